//! `airlock sigstore verify` end to end: the real bundles of `fixtures/sigstore/cases.json` and
//! the tampered copies of `fixtures/sigstore/tampered/index.json` (made by
//! `scripts/gen-sigstore-tamper.py`), each with its expected exit status and code.

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture, run_in};

/// Runs one case (`bundle`, `root`, optional `artifact`/`digest`/`key`/`identity`/
/// `identity_regexp`/`issuer`) and asserts `expect` (`verified` or a rejection code).
fn run_case(dir: &Path, case: &Value) {
    let s = |k: &str| case.get(k).and_then(Value::as_str).map(str::to_string);
    let name = s("name").unwrap_or_default();
    let mut args: Vec<String> = vec![
        "--json".into(),
        "sigstore".into(),
        "verify".into(),
        s("bundle").expect("bundle"),
        "--trusted-root".into(),
        s("root").expect("root"),
    ];
    for (key, flag) in [
        ("artifact", "--artifact"),
        ("digest", "--digest"),
        ("key", "--key"),
        ("identity", "--identity"),
        ("identity_regexp", "--identity-regexp"),
        ("issuer", "--issuer"),
    ] {
        if let Some(v) = s(key) {
            args.push(flag.into());
            args.push(v);
        }
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_in(dir, &refs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expect = s("expect").expect("expect");
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {stdout}\n{stderr}"));
    if expect == "verified" {
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}\n{stderr}");
        assert_eq!(report["status"], "verified", "{name}");
    } else {
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: expected {expect}: {stdout}\n{stderr}"
        );
        assert_eq!(
            report["code"],
            expect.as_str(),
            "{name}: {stdout}\n{stderr}"
        );
    }
}

fn run_index(rel: &str) -> usize {
    let index = fixture(rel);
    let dir = index.parent().unwrap().to_path_buf();
    let doc: Value = serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
    let cases = doc["cases"].as_array().expect("cases");
    for case in cases {
        run_case(&dir, case);
    }
    cases.len()
}

#[test]
fn real_bundles_verify_and_real_bad_bundles_are_rejected_with_their_code() {
    let n = run_index("sigstore/cases.json");
    assert!(n >= 20);
}

#[test]
fn dsse_without_artifact_reports_subjects() {
    let dir = fixture("sigstore");
    let out = crate::common::expect_code(
        &dir,
        &[
            "--json",
            "sigstore",
            "verify",
            "bundles/sigstore.js-2.0.0-provenance.sigstore.json",
            "--trusted-root",
            "../../trust-roots/sigstore-public-good-trusted_root.json",
            "--identity-regexp",
            "https://github\\.com/sigstore/sigstore-js/.*",
        ],
        0,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["artifact_binding"], "statement-subjects");
    assert_eq!(v["predicate_type"], "https://slsa.dev/provenance/v1");
    assert!(
        v["subjects"][0]["name"]
            .as_str()
            .unwrap()
            .contains("sigstore")
    );
    assert_eq!(v["tlog_entries"][0]["log"], "https://rekor.sigstore.dev");
    assert!(v["tlog_entries"][0]["integrated_time"].is_string());
}

#[test]
fn at_refuses_bundles_verified_later_and_accepts_them_after() {
    let dir = fixture("sigstore");
    let verify = |at: &str| {
        crate::common::run_in(
            &dir,
            &[
                "--json",
                "sigstore",
                "verify",
                "bundles/sigstore.js-2.0.0-provenance.sigstore.json",
                "--trusted-root",
                "../../trust-roots/sigstore-public-good-trusted_root.json",
                "--at",
                at,
            ],
        )
    };
    let out = verify("2099-01-01T00:00:00Z");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let logged = v["verified_times"][0].as_str().unwrap().to_owned();
    // Exactly at the verified time is still fine; one second before it is not.
    assert_eq!(verify(&logged).status.code(), Some(0), "{logged}");
    let before: jiff::Timestamp = logged.parse().unwrap();
    let before = (before - jiff::SignedDuration::from_secs(1)).to_string();
    let out = verify(&before);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "verified-time-after-at", "{v}");
    // A malformed time is a usage error.
    assert_eq!(verify("yesterday").status.code(), Some(2));
}

#[test]
fn identity_regexp_must_match_the_whole_identity() {
    let dir = fixture("sigstore");
    let out = run_in(
        &dir,
        &[
            "--json",
            "sigstore",
            "verify",
            "bundles/sigstore.js-2.0.0-provenance.sigstore.json",
            "--trusted-root",
            "../../trust-roots/sigstore-public-good-trusted_root.json",
            "--identity-regexp",
            "https://github\\.com/sigstore/sigstore-js",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("identity-mismatch"));
}

#[test]
fn message_signature_without_artifact_and_key_bundle_without_key_cannot_run() {
    let dir = fixture("sigstore");
    let root = "../../trust-roots/sigstore-public-good-trusted_root.json";
    let out = run_in(
        &dir,
        &[
            "sigstore",
            "verify",
            "bundles/cosign-v3-blob.sigstore.json",
            "--trusted-root",
            root,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("artifact-required"));
    let out = run_in(
        &dir,
        &[
            "sigstore",
            "verify",
            "bundles/managed-key.sigstore.json",
            "--trusted-root",
            root,
            "--artifact",
            "artifacts/managed-key-artifact.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key-required"));
    let out = run_in(
        &dir,
        &[
            "sigstore",
            "verify",
            "bundles/dsse.sigstore.json",
            "--trusted-root",
            "missing.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trusted-root-invalid"));
}

#[test]
fn every_tampered_bundle_is_rejected_with_its_code() {
    let n = run_index("sigstore/tampered/index.json");
    assert!(n >= 100, "only {n} tampered cases");
}
