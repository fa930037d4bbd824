//! `airlock trust` and `airlock dsse` end to end: the bad-input cases of the foundation.

use std::path::Path;

use crate::common::{expect_code, run_in};

const AT: &str = "2026-06-01T00:00:00Z";

fn keygen(dir: &Path, alg: &str, name: &str) {
    expect_code(
        dir,
        &["key", "generate", "--algorithm", alg, "--out", name],
        0,
    );
}

/// A signed trust root `tr.json` with root key `root`, bundle signers `s1`, `s2` (threshold 2).
fn setup(dir: &Path) {
    keygen(dir, "ed25519", "root");
    keygen(dir, "ecdsa-p256", "s1");
    keygen(dir, "ed25519", "s2");
    keygen(dir, "ed25519", "stranger");
    expect_code(
        dir,
        &[
            "trust",
            "init",
            "--root-key",
            "root.pub",
            "--expires",
            "1y",
            "--at",
            AT,
            "--out",
            "tr.json",
        ],
        0,
    );
    for s in ["s1.pub", "s2.pub"] {
        expect_code(
            dir,
            &[
                "trust",
                "add-key",
                "--trust-root",
                "tr.json",
                "--role",
                "bundle-signer",
                "--key",
                s,
            ],
            0,
        );
    }
    expect_code(
        dir,
        &[
            "trust",
            "set-threshold",
            "--trust-root",
            "tr.json",
            "--role",
            "bundle-signer",
            "2",
        ],
        0,
    );
    expect_code(
        dir,
        &[
            "trust",
            "sign",
            "--trust-root",
            "tr.json",
            "--key",
            "root.key",
        ],
        0,
    );
    std::fs::write(dir.join("payload.json"), br#"{"hello":"world"}"#).unwrap();
}

fn code_of(dir: &Path, args: &[&str], exit: i32) -> String {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = run_in(dir, &full);
    assert_eq!(
        out.status.code(),
        Some(exit),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["code"].as_str().unwrap_or_default().to_owned()
}

fn sign(dir: &Path, key: &str, input: &str, out: &str, append: bool) {
    let mut args = vec!["dsse", "sign", "--key", key, "--out", out];
    if append {
        args.push("--append");
    } else {
        args.extend(["--payload-type", "application/json"]);
    }
    args.push(input);
    expect_code(dir, &args, 0);
}

#[test]
fn envelope_threshold_counts_distinct_trusted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let verify = [
        "dsse",
        "verify",
        "one.dsse",
        "--trust-root",
        "tr.json",
        "--role",
        "bundle-signer",
        "--at",
        AT,
    ];
    sign(d, "s1.key", "payload.json", "one.dsse", false);
    assert_eq!(code_of(d, &verify, 1), "threshold-not-met");
    // The same key twice still counts once.
    sign(d, "s1.key", "one.dsse", "one.dsse.tmp", true);
    std::fs::rename(d.join("one.dsse.tmp"), d.join("one.dsse")).unwrap();
    assert_eq!(code_of(d, &verify, 1), "threshold-not-met");
    // A key outside the role does not count.
    sign(d, "stranger.key", "one.dsse", "one.dsse.tmp", true);
    std::fs::rename(d.join("one.dsse.tmp"), d.join("one.dsse")).unwrap();
    assert_eq!(code_of(d, &verify, 1), "threshold-not-met");
    sign(d, "s2.key", "one.dsse", "one.dsse.tmp", true);
    std::fs::rename(d.join("one.dsse.tmp"), d.join("one.dsse")).unwrap();
    assert_eq!(code_of(d, &verify, 0), "");
    // Explicit keys instead of a trust root; unknown key only → rejected.
    expect_code(
        d,
        &[
            "dsse",
            "verify",
            "one.dsse",
            "--key",
            "s1.pub",
            "--key",
            "s2.pub",
            "--threshold",
            "2",
        ],
        0,
    );
    sign(d, "stranger.key", "payload.json", "lone.dsse", false);
    assert_eq!(
        code_of(d, &["dsse", "verify", "lone.dsse", "--key", "s1.pub"], 1),
        "threshold-not-met"
    );
    // The caller's expected payload type is enforced.
    assert_eq!(
        code_of(
            d,
            &[
                "dsse",
                "verify",
                "one.dsse",
                "--key",
                "s1.pub",
                "--payload-type",
                "application/vnd.other"
            ],
            1
        ),
        "payload-type-mismatch"
    );
}

#[test]
fn expired_trust_root_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    expect_code(
        d,
        &["trust", "verify", "tr.json", "--at", "2027-05-31T00:00:00Z"],
        0,
    );
    assert_eq!(
        code_of(
            d,
            &["trust", "verify", "tr.json", "--at", "2027-06-02T00:00:00Z"],
            1
        ),
        "trust-root-expired"
    );
}

#[test]
fn rotation_requires_old_root_keys_and_no_skipped_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    keygen(d, "ed25519", "root2");
    // v2 replaces the root key; signed only by the new key → the rotation is not authorized.
    expect_code(
        d,
        &[
            "trust",
            "add-key",
            "--trust-root",
            "tr.json",
            "--role",
            "root",
            "--key",
            "root2.pub",
            "--out",
            "v2.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "remove-key",
            "--trust-root",
            "v2.json",
            "--role",
            "root",
            "--key",
            "root.pub",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "v2.json",
            "--key",
            "root2.key",
        ],
        0,
    );
    expect_code(d, &["trust", "verify", "v2.json", "--at", AT], 0);
    assert_eq!(
        code_of(
            d,
            &[
                "trust",
                "verify",
                "v2.json",
                "--previous",
                "tr.json",
                "--at",
                AT
            ],
            1
        ),
        "threshold-not-met"
    );
    // A rotation signed by the wrong (stranger) key is still refused.
    std::fs::copy(d.join("v2.json"), d.join("v2-wrong.json")).unwrap();
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "v2-wrong.json",
            "--key",
            "stranger.key",
        ],
        0,
    );
    assert_eq!(
        code_of(
            d,
            &[
                "trust",
                "verify",
                "v2-wrong.json",
                "--previous",
                "tr.json",
                "--at",
                AT
            ],
            1
        ),
        "threshold-not-met"
    );
    // Signed by the old root key as well → accepted.
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "v2.json",
            "--key",
            "root.key",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "verify",
            "v2.json",
            "--previous",
            "tr.json",
            "--at",
            AT,
        ],
        0,
    );
    // v3 skipped: v4 against v2 is refused.
    expect_code(
        d,
        &[
            "trust",
            "set-threshold",
            "--trust-root",
            "v2.json",
            "--role",
            "bundle-signer",
            "1",
            "--out",
            "v3.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "v3.json",
            "--key",
            "root2.key",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "set-threshold",
            "--trust-root",
            "v3.json",
            "--role",
            "bundle-signer",
            "2",
            "--out",
            "v4.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "v4.json",
            "--key",
            "root2.key",
        ],
        0,
    );
    assert_eq!(
        code_of(
            d,
            &[
                "trust",
                "verify",
                "v4.json",
                "--previous",
                "v2.json",
                "--at",
                AT
            ],
            1
        ),
        "trust-root-version-skip"
    );
}

#[test]
fn unknown_signer_non_canonical_payload_and_wrong_type_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    // A trust root signed only by a key that is not its root key.
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
            "bad.json",
        ],
        0,
    );
    expect_code(
        d,
        &[
            "trust",
            "sign",
            "--trust-root",
            "bad.json",
            "--key",
            "stranger.key",
        ],
        0,
    );
    assert_eq!(
        code_of(d, &["trust", "verify", "bad.json", "--at", AT], 1),
        "threshold-not-met"
    );

    // Re-encode the signed payload with whitespace: same meaning, not canonical → refused.
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("tr.json")).unwrap()).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(env["payload"].as_str().unwrap()).unwrap();
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&payload).unwrap())
            .unwrap();
    let mut tampered = env.clone();
    tampered["payload"] = serde_json::Value::String(b64.encode(&pretty));
    std::fs::write(
        d.join("pretty.json"),
        serde_json::to_vec(&tampered).unwrap(),
    )
    .unwrap();
    assert_eq!(
        code_of(d, &["trust", "verify", "pretty.json", "--at", AT], 1),
        "trust-root-malformed"
    );

    // A duplicate key in the payload is refused before anything else.
    let text = String::from_utf8(payload.clone()).unwrap();
    let dup = text.replacen("{\"expires\"", "{\"version\":1,\"expires\"", 1);
    let mut tampered = env.clone();
    tampered["payload"] = serde_json::Value::String(b64.encode(dup.as_bytes()));
    std::fs::write(d.join("dup.json"), serde_json::to_vec(&tampered).unwrap()).unwrap();
    assert_eq!(
        code_of(d, &["trust", "verify", "dup.json", "--at", AT], 1),
        "trust-root-malformed"
    );

    // An envelope of another payload type is not a trust root.
    sign(d, "root.key", "payload.json", "other.dsse", false);
    assert_eq!(
        code_of(d, &["trust", "verify", "other.dsse", "--at", AT], 1),
        "payload-type-mismatch"
    );
    // Missing trust root → could not run.
    assert_eq!(
        code_of(
            d,
            &[
                "dsse",
                "verify",
                "other.dsse",
                "--trust-root",
                "missing.json",
                "--role",
                "root"
            ],
            2
        ),
        "io-error"
    );
}
