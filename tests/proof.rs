//! `airlock proof` and `airlock vex` end to end on real evidence: a vendor bundle with Debian's
//! bookworm curl changelog and Ubuntu's USN-6429-1 is imported, then proofs are made offline.
//!
//! Both cases are backports where a check of the upstream version alone says "vulnerable":
//! curl fixed CVE-2024-7264 upstream in 8.9.1 and CVE-2023-38545 in 8.4.0, while Debian 12
//! ships 7.88.1 and Ubuntu 22.04 ships 7.81.0 with the fixes backported.

use std::path::Path;

use serde_json::Value;

use crate::common::{expect_code, fixture, run_in};

const AT: &str = "2026-11-23T12:00:00Z";

/// Keys, trust root, a bundle of `fixtures/proof-evidence`, imported into `store/`.
fn imported_store(d: &Path) {
    expect_code(
        d,
        &["key", "generate", "--algorithm", "ed25519", "--out", "root"],
        0,
    );
    expect_code(
        d,
        &[
            "key",
            "generate",
            "--algorithm",
            "ecdsa-p256",
            "--out",
            "vendor",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "init",
            "--root-key",
            "root.pub",
            "--at",
            AT,
            "--out",
            "trust.json",
        ],
        0,
    );
    for role in ["bundle-signer", "proof-signer"] {
        expect_code(
            d,
            &[
                "trust",
                "add-key",
                "--trust-root",
                "trust.json",
                "--role",
                role,
                "--key",
                "vendor.pub",
            ],
            0,
        );
    }
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "trust.json",
            "--key",
            "root.key",
        ],
        0,
    );
    let evidence = fixture("proof-evidence");
    expect_code(
        d,
        &[
            "bundle",
            "create",
            "--evidence",
            evidence.to_str().unwrap(),
            "--key",
            "vendor.key",
            "--publisher",
            "example.org",
            "--channel",
            "stable",
            "--sequence",
            "1",
            "--created",
            AT,
            "--expires",
            "90d",
            "--out",
            "evidence.airlock",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "import",
            "evidence.airlock",
            "--store",
            "store",
            "--trust-root",
            "trust.json",
            "--at",
            AT,
        ],
        0,
    );
}

/// Every schema violation of `doc` against the official OpenVEX 0.2.0 schema (formats checked).
fn openvex_errors(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(fixture("schemas/openvex/openvex_json_schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OpenVEX schema compiles offline");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The files of `dir` by name, with their bytes.
fn files(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn proof_json(d: &Path, cve: &str, purl: &str) -> Value {
    let out = expect_code(
        d,
        &[
            "--json", "proof", "--cve", cve, "--purl", purl, "--store", "store",
        ],
        0,
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn backported_fixes_are_proved_and_unnamed_ids_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    imported_store(d);

    // Debian 12: the changelog entry 7.88.1-10+deb12u7 names CVE-2024-7264.
    let p = proof_json(
        d,
        "CVE-2024-7264",
        "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12",
    );
    assert_eq!(p["verdict"], "fixed", "{p:#}");
    assert_eq!(p["method"], "changelog");
    assert_eq!(p["confidence"], 0.8);
    assert!(
        p["evidence"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("changelog entry 7.88.1-10+deb12u7"),
        "{p:#}"
    );
    // One version earlier the fix is not there yet.
    let p = proof_json(
        d,
        "CVE-2024-7264",
        "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u6?distro=debian-12",
    );
    assert_ne!(p["verdict"], "fixed", "{p:#}");

    // Ubuntu 22.04: USN-6429-1 lists CVE-2023-38545 under `upstream` and fixes it in
    // 7.81.0-1ubuntu1.14; upstream curl fixed it only in 8.4.0.
    let p = proof_json(
        d,
        "CVE-2023-38545",
        "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15?arch=source&distro=ubuntu-22.04",
    );
    assert_eq!(p["verdict"], "fixed", "{p:#}");
    assert_eq!(p["method"], "advisory");
    assert_eq!(p["confidence"], 0.98);
    assert_eq!(p["evidence"][0]["record_id"], "USN-6429-1", "{p:#}");
    assert!(
        p["evidence"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("for jammy fixed in 7.81.0-1ubuntu1.14"),
        "{p:#}"
    );
    // The version before the fix, and the same fixed version on 20.04 (fixed there only in
    // 7.68.0-1ubuntu2.20, which sorts lower), are told apart by release.
    let p = proof_json(
        d,
        "CVE-2023-38545",
        "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.13?arch=source&distro=ubuntu-22.04",
    );
    assert_eq!(p["verdict"], "affected", "{p:#}");
    let p = proof_json(
        d,
        "CVE-2023-38546",
        "pkg:deb/ubuntu/curl@7.68.0-1ubuntu2.20?arch=source&distro=ubuntu-20.04",
    );
    assert_eq!(p["verdict"], "fixed", "{p:#}");

    // An id no evidence names is never "fixed".
    let p = proof_json(
        d,
        "CVE-2099-0001",
        "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12",
    );
    assert_eq!(p["verdict"], "unknown");
    assert_eq!(p["confidence"], 0.0);
}

#[test]
fn signed_proofs_verify_and_tampering_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    imported_store(d);
    let purl = "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12";
    expect_code(
        d,
        &[
            "proof",
            "--cve",
            "CVE-2024-7264",
            "--purl",
            purl,
            "--store",
            "store",
            "--sign",
            "vendor.key",
            "--out",
            "p.dsse",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "proof",
            "verify",
            "p.dsse",
            "--trust-root",
            "trust.json",
            "--store",
            "store",
            "--at",
            AT,
        ],
        0,
    );
    // The same proof twice is byte-identical.
    expect_code(
        d,
        &[
            "proof",
            "--cve",
            "CVE-2024-7264",
            "--purl",
            purl,
            "--store",
            "store",
            "--out",
            "a.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "proof",
            "--cve",
            "CVE-2024-7264",
            "--purl",
            purl,
            "--store",
            "store",
            "--out",
            "b.json",
        ],
        0,
    );
    assert_eq!(
        std::fs::read(d.join("a.json")).unwrap(),
        std::fs::read(d.join("b.json")).unwrap()
    );
    expect_code(d, &["proof", "verify", "a.json", "--store", "store"], 0);
    // Tampered verdict → hash mismatch; unknown evidence digest → evidence-missing.
    let text = std::fs::read_to_string(d.join("a.json")).unwrap();
    std::fs::write(
        d.join("t.json"),
        text.replace("\"verdict\":\"fixed\"", "\"verdict\":\"affected\""),
    )
    .unwrap();
    let out = run_in(
        d,
        &["--json", "proof", "verify", "t.json", "--store", "store"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["code"],
        "proof-hash-mismatch"
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["evidence"][0]["raw_digest"] = Value::String(format!("sha256:{}", "0".repeat(64)));
    v["proof_hash"] = Value::Null;
    let blob: airlock::proof::ProofBlob = serde_json::from_value(v).unwrap();
    let mut blob = blob;
    blob.seal();
    std::fs::write(d.join("e.json"), blob.to_canonical()).unwrap();
    let out = run_in(
        d,
        &["--json", "proof", "verify", "e.json", "--store", "store"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["code"],
        "evidence-missing"
    );
    // A signed proof without a trust root cannot be checked.
    let out = run_in(d, &["--json", "proof", "verify", "p.dsse"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn vex_carries_proofs_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    imported_store(d);
    std::fs::write(
        d.join("findings.csv"),
        "id,purl\n\
         CVE-2024-7264,pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12\n\
         CVE-2024-7264,pkg:deb/debian/curl@7.88.1-10%2Bdeb12u6?distro=debian-12\n\
         CVE-2099-0001,pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?distro=debian-12\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("one")).unwrap();
    std::fs::create_dir_all(d.join("two")).unwrap();
    expect_code(
        d,
        &[
            "vex",
            "--findings",
            "findings.csv",
            "--store",
            "store",
            "--out",
            "one/a.vex.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "vex",
            "--findings",
            "findings.csv",
            "--store",
            "store",
            "--out",
            "two/a.vex.json",
        ],
        0,
    );
    let a = std::fs::read(d.join("one/a.vex.json")).unwrap();
    assert_eq!(a, std::fs::read(d.join("two/a.vex.json")).unwrap());
    // The proofs beside it are byte-identical too.
    let proofs = files(&d.join("one/a.vex.json.proofs"));
    assert_eq!(proofs, files(&d.join("two/a.vex.json.proofs")));
    let doc: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    let errors = openvex_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    // The validator is not vacuous: a statement without a status is refused.
    let mut broken = doc.clone();
    broken["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert!(!openvex_errors(&broken).is_empty());
    let statuses: Vec<&str> = doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["affected", "fixed", "under_investigation"],
        "{doc:#}"
    );
    for s in doc["statements"].as_array().unwrap() {
        assert!(
            s["@id"]
                .as_str()
                .unwrap()
                .starts_with("urn:airlock:proof:blake3:")
        );
        assert!(s["status_notes"].as_str().unwrap().contains("confidence"));
        assert!(
            s["products"][0]["identifiers"]["purl"]
                .as_str()
                .unwrap()
                .starts_with("pkg:deb/")
        );
    }
    assert!(
        doc["statements"][0]["action_statement"].is_string(),
        "affected needs an action statement"
    );
    assert_eq!(proofs.len(), 3);
}

#[test]
fn vex_products_are_the_scanners_purls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    imported_store(d);
    // A Trivy image report (trimmed to the fields read): the package purl as Trivy writes it,
    // the source package in SrcName, the image by repo digest.
    let digest = "b".repeat(64);
    let pkg = "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u8?arch=amd64&distro=debian-12.7";
    std::fs::write(
        d.join("trivy.json"),
        format!(
            r#"{{"SchemaVersion":2,"ArtifactName":"example/app:1","ArtifactType":"container_image",
"Metadata":{{"RepoDigests":["example/app@sha256:{digest}"]}},
"Results":[{{"Target":"example/app:1 (debian 12.7)","Vulnerabilities":[{{"VulnerabilityID":"CVE-2024-7264",
"PkgName":"libcurl4","SrcName":"curl","PkgIdentifier":{{"PURL":"{pkg}"}}}}]}}]}}"#
        ),
    )
    .unwrap();
    let out = expect_code(
        d,
        &["vex", "--findings", "trivy.json", "--store", "store"],
        0,
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    let errors = openvex_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    let st = &doc["statements"][0];
    // Proved through the source package (upstream=curl) …
    assert_eq!(st["status"], "fixed", "{doc:#}");
    // … while the VEX names the image and, as its subcomponent, Trivy's own purl unchanged.
    let image = format!("pkg:oci/app@sha256%3A{digest}");
    assert_eq!(st["products"][0]["@id"], image.as_str());
    assert_eq!(st["products"][0]["identifiers"]["purl"], image.as_str());
    assert_eq!(st["products"][0]["subcomponents"][0]["@id"], pkg);
    assert_eq!(
        st["products"][0]["subcomponents"][0]["identifiers"]["purl"],
        pkg
    );

    // Without an image (CSV), the product is the package purl itself.
    std::fs::write(d.join("f.csv"), format!("CVE-2024-7264,{pkg}\n")).unwrap();
    let out = expect_code(d, &["vex", "--findings", "f.csv", "--store", "store"], 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(openvex_errors(&doc).is_empty());
    assert_eq!(doc["statements"][0]["products"][0]["@id"], pkg);
    assert!(doc["statements"][0]["products"][0]["subcomponents"].is_null());
}
