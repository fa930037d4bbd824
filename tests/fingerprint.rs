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
