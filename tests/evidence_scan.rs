//! `airlock evidence scan`: kinds, records, package ids and per-file errors on the real
//! advisory samples in `fixtures/advisories` and on broken copies of them.

use std::path::Path;

use crate::common::{expect_code, fixture};

fn json(text: &str) -> serde_json::Value {
    // With a failure the report is followed by the standard failure object.
    serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .next()
        .expect("a JSON document on stdout")
        .expect("valid JSON")
}

fn file<'a>(report: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no file ending in {suffix}"))
}

#[test]
fn scans_the_osv_samples() {
    let dir = fixture("advisories/osv");
    let out = expect_code(
        Path::new("."),
        &["evidence", "scan", dir.to_str().unwrap(), "--json"],
        0,
    );
    let r = json(&out);
    assert_eq!(r["format"], "airlock-evidence-scan/1");
    assert_eq!(r["kinds"]["osv"]["files"], 16);
    assert_eq!(r["kinds"]["osv"]["records"], 16);
    assert_eq!(file(&r, "PYSEC-2022-230.yaml")["status"], "skipped");
    assert_eq!(file(&r, "DSA-3029-1.json")["kind"], "osv");
    let nginx = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "pkg:deb/debian/nginx?distro=wheezy")
        .expect("nginx package");
    assert_eq!(nginx["version"], "1.2.1-2.2+wheezy3");
    assert_eq!(nginx["status"], "fixed");
    assert_eq!(
        nginx["ids"],
        serde_json::json!(["CVE-2014-3616", "DSA-3029-1"])
    );
}

#[test]
fn scans_a_single_tracker_file_in_human_form() {
    let f = fixture("advisories/debian-tracker/tracker-json/debian_security_tracker_mock.json");
    let out = expect_code(
        Path::new("."),
        &["evidence", "scan", f.to_str().unwrap()],
        0,
    );
    assert!(out.contains("debian-tracker ("), "{out}");
    assert!(
        out.contains("pkg:deb/debian/apparmor?distro=bookworm"),
        "{out}"
    );
}

#[test]
fn broken_files_fail_with_path_code_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("advisories/osv/debian/DSA-3029-1.json")).unwrap();
    std::fs::write(dir.path().join("good.json"), &good).unwrap();
    std::fs::write(dir.path().join("truncated.json"), &good[..good.len() / 2]).unwrap();
    std::fs::write(
        dir.path().join("wrong-type.json"),
        "{\"id\": \"DSA-1\",\n \"affected\": [{\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": {}}]}]}",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let out = expect_code(dir.path(), &["evidence", "scan", ".", "--json"], 1);
    let r = json(&out);
    assert_eq!(r["totals"]["errors"], 2);
    assert_eq!(r["totals"]["ok"], 1);
    assert_eq!(r["totals"]["skipped"], 1);
    let t = file(&r, "truncated.json");
    assert_eq!(t["status"], "error");
    assert_eq!(t["error"]["code"], "advisory-malformed-json");
    assert!(t["error"]["line"].as_u64().unwrap() > 1);
    let w = file(&r, "wrong-type.json");
    assert_eq!(w["error"]["code"], "advisory-invalid-field");
    assert_eq!(w["error"]["field"], "affected[0].ranges[0].events");
    assert_eq!(w["error"]["line"], 2);
}

#[test]
fn missing_path_cannot_run() {
    expect_code(
        Path::new("."),
        &["evidence", "scan", "/nonexistent/evidence"],
        2,
    );
}

#[test]
fn scans_packages_changelogs_and_patches() {
    let dir = fixture("packages");
    let out = expect_code(
        Path::new("."),
        &["evidence", "scan", dir.to_str().unwrap(), "--json"],
        0,
    );
    let r = json(&out);
    assert_eq!(r["kinds"]["deb"]["files"], 3);
    assert_eq!(r["kinds"]["dsc"]["files"], 1);
    assert_eq!(r["kinds"]["debian-tar"]["files"], 1);
    let fixed = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "pkg:deb/debian/expat" && p["version"] == "2.5.0-1+deb12u2")
        .expect("expat 2.5.0-1+deb12u2");
    assert_eq!(
        fixed["ids"],
        serde_json::json!(["CVE-2023-52425", "CVE-2024-50602", "CVE-2024-8176"])
    );
    let cl = expect_code(
        Path::new("."),
        &[
            "evidence",
            "scan",
            fixture("changelogs").to_str().unwrap(),
            "--json",
        ],
        0,
    );
    let r = json(&cl);
    assert_eq!(r["kinds"]["debian-changelog"]["files"], 24);
}

#[test]
fn broken_changelogs_patches_and_packages_name_path_code_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("changelog"),
        "foo (1.0-1) unstable; urgency=low\n\n  * Fix CVE-2024-1234.\n\n -- A <a@b.c>  Mon, 01 Jan 2024 00:00:00 +0000\n\nfoo (0.9-1 unstable; urgency=low\n\n  * Old.\n\n -- A <a@b.c>  Mon, 01 Jan 2023 00:00:00 +0000\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("nohunks.patch"), "Description: nothing\n").unwrap();
    let deb = std::fs::read(fixture("packages/libexpat1_2.5.0-1+deb12u2_amd64.deb")).unwrap();
    std::fs::write(dir.path().join("cut_1_amd64.deb"), &deb[..deb.len() / 3]).unwrap();
    let out = expect_code(dir.path(), &["evidence", "scan", ".", "--json"], 1);
    let r = json(&out);
    assert_eq!(r["totals"]["errors"], 3, "{r}");
    let c = file(&r, "changelog");
    assert_eq!(c["status"], "error");
    assert_eq!(c["error"]["line"], 7, "{c}");
    assert!(
        c["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("changelog-")
    );
    let p = file(&r, "nohunks.patch");
    assert!(
        p["error"]["code"].as_str().unwrap().starts_with("patch-"),
        "{p}"
    );
    let d = file(&r, "cut_1_amd64.deb");
    assert_eq!(d["error"]["code"], "package-archive-malformed", "{d}");
}
