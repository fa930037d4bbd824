//! `airlock key`: generation, display, and refusal of keys it cannot use.

use crate::common::{expect_code, run_in};

#[test]
fn generate_writes_pkcs8_and_spki_with_private_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    for (alg, oid_hint) in [("ed25519", "ed25519"), ("ecdsa-p256", "ecdsa-p256")] {
        let prefix = format!("k-{alg}");
        let out = expect_code(
            dir.path(),
            &[
                "--json",
                "key",
                "generate",
                "--algorithm",
                alg,
                "--out",
                &prefix,
            ],
            0,
        );
        let info: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(info["algorithm"], oid_hint);
        let key_text = std::fs::read_to_string(dir.path().join(format!("{prefix}.key"))).unwrap();
        assert!(key_text.starts_with("-----BEGIN PRIVATE KEY-----"));
        let pub_text = std::fs::read_to_string(dir.path().join(format!("{prefix}.pub"))).unwrap();
        assert!(pub_text.starts_with("-----BEGIN PUBLIC KEY-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(format!("{prefix}.key")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The key id is the SHA-256 of the SPKI DER, the same from the private and public file.
        let shown_pub = expect_code(
            dir.path(),
            &["--json", "key", "show", &format!("{prefix}.pub")],
            0,
        );
        let shown_key = expect_code(
            dir.path(),
            &["--json", "key", "show", &format!("{prefix}.key")],
            0,
        );
        let a: serde_json::Value = serde_json::from_str(&shown_pub).unwrap();
        let b: serde_json::Value = serde_json::from_str(&shown_key).unwrap();
        assert_eq!(a["key_id"], info["key_id"]);
        assert_eq!(b["key_id"], info["key_id"]);
    }
    // Refuses to overwrite an existing key.
    let out = run_in(
        dir.path(),
        &[
            "key",
            "generate",
            "--algorithm",
            "ed25519",
            "--out",
            "k-ed25519",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cosign_public_key_loads_with_its_key_id() {
    // A P-256 SPKI PEM as cosign writes it (the DSSE spec's example key).
    let dir = tempfile::tempdir().unwrap();
    let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\nCrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n-----END PUBLIC KEY-----\n";
    std::fs::write(dir.path().join("cosign.pub"), pem).unwrap();
    let out = expect_code(dir.path(), &["--json", "key", "show", "cosign.pub"], 0);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["algorithm"], "ecdsa-p256");
    // sha256 of the SPKI DER (base64 body above), computed independently with `openssl`.
    let der = base64_decode(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMrCrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==",
    );
    use sha2::Digest as _;
    assert_eq!(info["key_id"], hex::encode(sha2::Sha256::digest(&der)));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn malformed_encrypted_and_foreign_keys_are_refused_with_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("garbage.pem", "not a key at all\n", "key-malformed"),
        (
            "enc.key",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBAA==\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "key-encrypted",
        ),
        (
            "cosign.key",
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            "key-encrypted",
        ),
        // Well-formed keys of algorithms airlock does not support (made with `openssl genpkey`).
        (
            "rsa.pub",
            "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC8u/gN4EcQ9x7abxvYK1tZei3O\nfvUgEwdtRixg80gmjypvMaWSBTR7F7sHUbZU5eKu/JaC9iKVCSvg5AB6rFB0eJRZ\nB3aY4xWbh+SOCOctvbzDHjf6exVLg6MDY9fJjn4HK5psTC00ypFf5fKou6/iPLS7\nnZwwUymWtJnAaanKtQIDAQAB\n-----END PUBLIC KEY-----\n",
            "key-unsupported",
        ),
        (
            "ed448.pub",
            "-----BEGIN PUBLIC KEY-----\nMEMwBQYDK2VxAzoAhYKOkc21JImxV9Ja0pzFWFYqcPa9dYLEhLUI2rIwcYxsek8g\nDTg07ivpCjYXjbpiGxhmrT2GjLKA\n-----END PUBLIC KEY-----\n",
            "key-unsupported",
        ),
    ];
    for (name, text, code) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
        let out = run_in(dir.path(), &["--json", "key", "show", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["code"], code, "{name}: {report}");
        assert!(
            report["error"].as_str().unwrap().contains(name),
            "error names the file: {report}"
        );
    }
}
