//! `airlock evidence vercmp`: single comparisons, `--batch`, and invalid input.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{airlock_bin, expect_code};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn vercmp_prints_symbol_per_scheme() {
    let d = tmp();
    let p = d.path();
    assert_eq!(
        expect_code(
            p,
            &["evidence", "vercmp", "--scheme", "deb", "1.0~rc1", "1.0"],
            0
        ),
        "<\n"
    );
    assert_eq!(
        expect_code(
            p,
            &["evidence", "vercmp", "--scheme", "deb", "1:1.0", "2.0"],
            0
        ),
        ">\n"
    );
    assert_eq!(
        expect_code(
            p,
            &["evidence", "vercmp", "--scheme", "rpm", "1.0^git1", "1.0"],
            0
        ),
        ">\n"
    );
    assert_eq!(
        expect_code(
            p,
            &["evidence", "vercmp", "--scheme", "apk", "1.0_rc1", "1.0"],
            0
        ),
        "<\n"
    );
    assert_eq!(
        expect_code(
            p,
            &[
                "evidence", "vercmp", "--scheme", "semver", "1.0.0+a", "1.0.0+b"
            ],
            0
        ),
        "=\n"
    );
}

#[test]
fn vercmp_invalid_version_is_rejected_with_code() {
    let d = tmp();
    let out = expect_code(
        d.path(),
        &[
            "--json", "evidence", "vercmp", "--scheme", "deb", "1.0-", "1",
        ],
        1,
    );
    assert!(out.contains("\"version-invalid\""), "{out}");
}

#[test]
fn vercmp_unknown_scheme_is_usage_error() {
    let d = tmp();
    expect_code(
        d.path(),
        &["evidence", "vercmp", "--scheme", "pypi", "1", "2"],
        2,
    );
}

#[test]
fn vercmp_batch_one_result_per_line() {
    let mut child = Command::new(airlock_bin())
        .args(["evidence", "vercmp", "--scheme", "deb", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn airlock");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"1.0\t1.1\n2:1\t1:2\n1.0-\t1\nno-tab-here\n1.0\t1.0-0\r\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("airlock runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<\n>\nerror\nerror\n=\n"
    );
}
