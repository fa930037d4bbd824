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
