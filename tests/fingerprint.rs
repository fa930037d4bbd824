//! `airlock fingerprint`: TLSH digests, extraction, CVE records and matching, end to end.

use crate::common::{expect_code, fixture};

#[test]
fn tlsh_prints_digest_and_file_like_sha256sum() {
    let dir = tempfile::tempdir().unwrap();
    let sample = fixture("binary/samples/elf-x86_64/md.cpython-311-x86_64-linux-gnu.so");
    let short = dir.path().join("short");
    std::fs::write(&short, b"too short").unwrap();
    let out = expect_code(
        dir.path(),
        &[
            "fingerprint",
            "tlsh",
            sample.to_str().unwrap(),
            short.to_str().unwrap(),
        ],
        0,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "T1F5721126E7F2CD3FCABC477844A7433462B5D421A39293235A5461743E437E42F26E99  {}",
            sample.display()
        )
    );
    assert_eq!(lines[1], format!("TNULL  {}", short.display()));
}

#[test]
fn tlsh_missing_file_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = expect_code(
        dir.path(),
        &["--json", "fingerprint", "tlsh", "nope.bin"],
        2,
    );
    assert!(out.contains("\"code\": \"io-error\""), "{out}");
}

fn extract_json(dir: &std::path::Path, rel: &str) -> serde_json::Value {
    let path = fixture(rel);
    let out = expect_code(
        dir,
        &["--json", "fingerprint", "extract", path.to_str().unwrap()],
        0,
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn extract_elf_pe_macho_x86_64_and_arm64() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, format, arches) in [
        (
            "binary/samples/elf-x86_64/md.cpython-311-x86_64-linux-gnu.so",
            "elf",
            vec!["x86-64"],
        ),
        (
            "binary/samples/elf-aarch64/md.cpython-311-aarch64-linux-gnu.so",
            "elf",
            vec!["arm64"],
        ),
        (
            "binary/samples/pe-x86_64/md.cp311-win_amd64.pyd",
            "pe",
            vec!["x86-64"],
        ),
        (
            "binary/samples/macho-arm64/mmh3.cpython-311-darwin.so",
            "mach-o",
            vec!["arm64"],
        ),
        (
            "binary/samples/macho-universal2/md.cpython-311-darwin.so",
            "mach-o",
            vec!["x86-64", "arm64"],
        ),
    ] {
        let v = extract_json(dir.path(), rel);
        let images = v["images"].as_array().unwrap();
        let got: Vec<&str> = images.iter().map(|i| i["arch"].as_str().unwrap()).collect();
        assert_eq!(got, arches, "{rel}");
        for img in images {
            assert_eq!(img["format"], format, "{rel}");
            let fns = img["functions"].as_array().unwrap();
            assert!(!fns.is_empty(), "{rel}");
            assert!(
                fns.iter()
                    .all(|f| f["insn_hash"].as_str().is_some_and(|h| h.len() == 64)),
                "{rel}"
            );
            assert!(
                fns.iter()
                    .any(|f| f["tlsh"].as_str().is_some_and(|t| t.starts_with("T1"))),
                "{rel}"
            );
        }
    }
}

#[test]
fn extract_lists_section_tlsh_equal_to_py_tlsh() {
    // py-tlsh over the section bytes, located by readelf/objdump/llvm-objdump (committed).
    let expected = std::fs::read_to_string(fixture("binary/tlsh-sections.expected")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for rel in [
        "elf-x86_64/md.cpython-311-x86_64-linux-gnu.so",
        "pe-x86_64/md.cp311-win_amd64.pyd",
        "macho-arm64/md.cpython-311-darwin.so",
    ] {
        let want: Vec<(&str, &str)> = expected
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f[2] == rel)
            .map(|f| (f[4], f[0]))
            .collect();
        assert!(want.len() > 3, "{rel}");
        let v = extract_json(dir.path(), &format!("binary/samples/{rel}"));
        let got: Vec<(&str, &str)> = v["images"][0]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap(),
                    s["tlsh"].as_str().unwrap_or("TNULL"),
                )
            })
            .collect();
        assert_eq!(got, want, "{rel}");
    }
}

#[test]
fn armhf_thumb_functions_are_disassembled_in_thumb_mode() {
    // Debian bookworm armhf libffi8 3.4.4-1: built as Thumb-2, so every function symbol's
    // value has bit 0 set (e.g. ffi_prep_cif_var = 0x154d in `readelf -s`).
    let dir = tempfile::tempdir().unwrap();
    let v = extract_json(dir.path(), "binary/samples/elf-armhf/libffi.so.8.1.2");
    let img = &v["images"][0];
    assert_eq!(img["arch"], "arm");
    assert_eq!(img["bits"], 32);
    let fs = img["functions"].as_array().unwrap();
    assert!(fs.len() >= 20, "{img:#}");
    let f = fs.iter().find(|f| f["name"] == "ffi_prep_cif_var").unwrap();
    assert_eq!(
        f["address"], 0x154c,
        "the Thumb bit is cleared from the address"
    );
    assert_eq!(f["size"], 116);
    assert_eq!(f["thumb"], true);
    // Decoded as Thumb almost everything is valid code (A32 decoding would not be).
    let insns: u64 = fs.iter().map(|f| f["instructions"].as_u64().unwrap()).sum();
    let bad: u64 = fs.iter().map(|f| f["undecodable"].as_u64().unwrap()).sum();
    assert!(fs.iter().all(|f| f["thumb"] == true));
    assert!(
        insns > 2000 && bad * 100 < insns,
        "{insns} instructions, {bad} undecodable"
    );
}

#[test]
fn extract_selected_functions_and_missing_function() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("binary/samples/elf-x86_64/md.cpython-311-x86_64-linux-gnu.so");
    let p = path.to_str().unwrap();
    let out = expect_code(
        dir.path(),
        &["fingerprint", "extract", p, "--functions", "PyInit_md"],
        0,
    );
    assert_eq!(
        out.lines().filter(|l| !l.starts_with('#')).count(),
        1,
        "{out}"
    );
    assert!(out.contains("PyInit_md"), "{out}");
    let out = expect_code(
        dir.path(),
        &[
            "--json",
            "fingerprint",
            "extract",
            p,
            "--functions",
            "no_such_fn",
        ],
        2,
    );
    assert!(out.contains("\"code\": \"function-not-found\""), "{out}");
}

#[test]
fn extract_truncated_and_foreign_files_are_rejected_with_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(fixture(
        "binary/samples/elf-x86_64/md.cpython-311-x86_64-linux-gnu.so",
    ))
    .unwrap();
    std::fs::write(dir.path().join("cut.so"), &data[..100]).unwrap();
    std::fs::write(
        dir.path().join("text.txt"),
        b"just some text, not a binary at all",
    )
    .unwrap();
    let out = expect_code(
        dir.path(),
        &["--json", "fingerprint", "extract", "cut.so"],
        1,
    );
    assert!(out.contains("\"code\": \"binary-malformed\""), "{out}");
    let out = expect_code(
        dir.path(),
        &["--json", "fingerprint", "extract", "text.txt"],
        1,
    );
    assert!(out.contains("\"code\": \"binary-unknown-format\""), "{out}");
    let out = expect_code(
        dir.path(),
        &["--json", "fingerprint", "extract", "absent.so"],
        2,
    );
    assert!(out.contains("\"code\": \"io-error\""), "{out}");
}

fn json_out(dir: &std::path::Path, args: &[&str], code: i32) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    serde_json::from_str(&expect_code(dir, &full, code)).unwrap()
}

#[test]
fn cve_with_patch_finds_the_patched_function_and_match_tells_builds_apart() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| {
        fixture(&format!("binary/pair/{n}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (vuln, fixed, patch) = (p("vulnerable.so"), p("fixed.so"), p("fix.patch"));
    let v = json_out(
        dir.path(),
        &[
            "fingerprint",
            "cve",
            "--cve",
            "CVE-2099-0001",
            "--package",
            "pkg:generic/record@1.0",
            "--vulnerable",
            &vuln,
            "--fixed",
            &fixed,
            "--patch",
            &patch,
            "--out",
            "records",
        ],
        0,
    );
    assert_eq!(v["candidates_from"], "patch");
    let fns = v["functions"].as_array().unwrap();
    assert_eq!(fns.len(), 1, "{v}");
    assert_eq!(fns[0]["function"], "parse_record");
    assert_eq!(fns[0]["status"], "changed");
    // Every function the patch does not touch is identical.
    assert_eq!(
        v["common_unchanged"].as_u64().unwrap() + 1,
        v["common_functions"].as_u64().unwrap()
    );
    assert_eq!(v["records"].as_array().unwrap().len(), 2);
    // Records are canonical JSON.
    for r in v["records"].as_array().unwrap() {
        let bytes = std::fs::read(dir.path().join(r.as_str().unwrap())).unwrap();
        airlock::bundle_format::canonical::parse_canonical(&bytes).unwrap();
    }
    for (bin, verdict) in [(&vuln, "vulnerable"), (&fixed, "fixed")] {
        let m = json_out(
            dir.path(),
            &[
                "fingerprint",
                "match",
                bin,
                "--cve",
                "CVE-2099-0001",
                "--records",
                "records",
            ],
            0,
        );
        assert_eq!(m["verdict"], verdict, "{m}");
        for row in m["matches"].as_array().unwrap() {
            let c = row["confidence"].as_f64().unwrap();
            match row["method"].as_str().unwrap() {
                "tlsh" => assert!((0.75..=0.85).contains(&c)),
                _ => assert!((0.55..=0.75).contains(&c)),
            }
        }
    }
}

#[test]
fn real_debian_pair_libpng_deb12u5_vs_deb12u6() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| {
        fixture(&format!("binary/debian-pair/{n}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (vuln, fixed) = (
        p("libpng16.so.16.39.0.deb12u5"),
        p("libpng16.so.16.39.0.deb12u6"),
    );
    let purl = "pkg:deb/debian/libpng16-16@1.6.39-2%2Bdeb12u6?arch=amd64";
    let v = json_out(
        dir.path(),
        &[
            "fingerprint",
            "cve",
            "--cve",
            "CVE-2026-46675",
            "--package",
            purl,
            "--vulnerable",
            &vuln,
            "--fixed",
            &fixed,
            "--out",
            "records",
        ],
        0,
    );
    // The fix touched three (static, unnamed) functions; the other 454 are identical.
    assert_eq!(v["functions"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["common_functions"], 457);
    assert_eq!(v["common_unchanged"], 454);
    // Exported functions the fix did not touch compare unchanged.
    let u = json_out(
        dir.path(),
        &[
            "fingerprint",
            "cve",
            "--cve",
            "CVE-2026-46675",
            "--package",
            purl,
            "--vulnerable",
            &vuln,
            "--fixed",
            &fixed,
            "--out",
            "none",
            "--functions",
            "png_read_info,png_set_IHDR",
        ],
        0,
    );
    assert!(
        u["functions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "unchanged"),
        "{u}"
    );
    for (bin, verdict) in [(&vuln, "vulnerable"), (&fixed, "fixed")] {
        let m = json_out(
            dir.path(),
            &[
                "fingerprint",
                "match",
                bin,
                "--cve",
                "CVE-2026-46675",
                "--records",
                "records",
            ],
            0,
        );
        assert_eq!(m["verdict"], verdict, "{m}");
    }
}

#[test]
fn cve_and_match_bad_inputs_have_codes() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| {
        fixture(&format!("binary/pair/{n}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (vuln, fixed) = (p("vulnerable.so"), p("fixed.so"));
    let base = [
        "fingerprint",
        "cve",
        "--cve",
        "CVE-1",
        "--vulnerable",
        &vuln,
        "--fixed",
        &fixed,
        "--out",
        "o",
    ];
    let mut args = base.to_vec();
    args.extend(["--package", "not-a-purl"]);
    assert_eq!(json_out(dir.path(), &args, 2)["code"], "usage");
    let mut args = base.to_vec();
    args.extend(["--package", "pkg:generic/x@1", "--functions", "nope"]);
    assert_eq!(json_out(dir.path(), &args, 2)["code"], "function-not-found");
    std::fs::write(
        dir.path().join("empty.patch"),
        "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend(["--package", "pkg:generic/x@1", "--patch", "empty.patch"]);
    assert_eq!(json_out(dir.path(), &args, 1)["code"], "patch-no-functions");
    // An x86-64 and an arm64 build share no architecture.
    let arm = fixture("binary/samples/elf-aarch64/md.cpython-311-aarch64-linux-gnu.so");
    let args = [
        "fingerprint",
        "cve",
        "--cve",
        "CVE-1",
        "--package",
        "pkg:generic/x@1",
        "--vulnerable",
        &vuln,
        "--fixed",
        arm.to_str().unwrap(),
        "--out",
        "o",
    ];
    assert_eq!(
        json_out(dir.path(), &args, 1)["code"],
        "architecture-mismatch"
    );
    // match: no records, a corrupt record.
    std::fs::create_dir(dir.path().join("recs")).unwrap();
    let m = [
        "fingerprint",
        "match",
        &vuln,
        "--cve",
        "CVE-1",
        "--records",
        "recs",
    ];
    assert_eq!(json_out(dir.path(), &m, 2)["code"], "no-fingerprints");
    std::fs::write(
        dir.path().join("recs/bad.json"),
        br#"{"schema":"airlock.fingerprint/v1"}"#,
    )
    .unwrap();
    assert_eq!(
        json_out(dir.path(), &m, 1)["code"],
        "fingerprint-record-invalid"
    );
}
