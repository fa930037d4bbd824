//! `airlock tlog …` end to end: proofs, notes, checkpoints, the local log and fragments.

use std::path::Path;

use crate::common::{expect_code, fixture, run_in};

fn stderr_of(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&run_in(dir, args).stderr).into_owned()
}

/// Leaf 2 of the 8-leaf RFC 6962 reference tree, its proof and root (transparency-dev
/// `inclusion/*/happy-path.json`, converted to hex).
const RFC_LEAF2: &str = "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7";
const RFC_ROOT8: &str = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

fn rfc_proof_leaf2() -> String {
    // PATH(2, D[8]) over the reference leaves of fixtures/vectors/merkle/rfc6962-leaves.json.
    [
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    .join(",")
}

#[test]
fn verify_inclusion_accepts_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let proof = rfc_proof_leaf2();
    let args = |leaf: &str, index: &str, root: &str, proof: &str| -> Vec<String> {
        [
            "tlog",
            "verify-inclusion",
            "--leaf-hash",
            leaf,
            "--index",
            index,
            "--size",
            "8",
            "--root",
            root,
            "--proof",
            proof,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |a: Vec<String>, code| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        expect_code(d, &a, code)
    };
    run(args(RFC_LEAF2, "2", RFC_ROOT8, &proof), 0);
    // Leaf given as the entry bytes (0x10).
    std::fs::write(d.join("leaf"), [0x10u8]).unwrap();
    expect_code(
        d,
        &[
            "tlog",
            "verify-inclusion",
            "--leaf",
            "leaf",
            "--index",
            "2",
            "--size",
            "8",
            "--root",
            RFC_ROOT8,
            "--proof",
            &proof,
        ],
        0,
    );
    run(args(RFC_LEAF2, "3", RFC_ROOT8, &proof), 1);
    let mut bad = proof.clone().into_bytes();
    bad[5] = if bad[5] == b'0' { b'1' } else { b'0' };
    run(
        args(
            RFC_LEAF2,
            "2",
            RFC_ROOT8,
            std::str::from_utf8(&bad).unwrap(),
        ),
        1,
    );
    let a = args(RFC_LEAF2, "2", RFC_ROOT8, "");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    assert!(stderr_of(d, &a).contains("inclusion-proof-invalid"));
    // Not hex: could not run.
    run(args("zz", "2", RFC_ROOT8, &proof), 2);
    let out = expect_code(
        d,
        &[
            "--json",
            "tlog",
            "verify-inclusion",
            "--leaf-hash",
            RFC_LEAF2,
            "--index",
            "2",
            "--size",
            "8",
            "--root",
            RFC_ROOT8,
            "--proof",
            &proof,
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "verified");
}

#[test]
fn verify_inclusion_real_rekor_proof() {
    let tmp = tempfile::tempdir().unwrap();
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("vectors/merkle/rekor-inclusion-from-bundles.json")).unwrap(),
    )
    .unwrap();
    for c in v["cases"].as_array().unwrap() {
        let proof: Vec<&str> = c["proof_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        let proof = proof.join(",");
        let index = c["logIndex_in_shard"].to_string();
        let size = c["treeSize"].to_string();
        let mut args = vec![
            "tlog",
            "verify-inclusion",
            "--leaf-hash",
            c["leaf_hash_hex"].as_str().unwrap(),
        ];
        args.extend([
            "--index",
            &index,
            "--size",
            &size,
            "--root",
            c["root_hash_hex"].as_str().unwrap(),
        ]);
        args.extend(["--proof", &proof]);
        expect_code(tmp.path(), &args, 0);
        let wrong_size = (c["treeSize"].as_u64().unwrap() * 2).to_string();
        args[7] = &wrong_size;
        expect_code(tmp.path(), &args, 1);
    }
}

#[test]
fn verify_consistency_accepts_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // transparency-dev consistency/1/happy-path.json: size 1 -> 8.
    let old = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    let proof = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7,\
                 5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,\
                 6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";
    let proof: String = proof.split_whitespace().collect();
    let base = |old_root: &str, proof: &str, code| {
        expect_code(
            d,
            &[
                "tlog",
                "verify-consistency",
                "--old-size",
                "1",
                "--old-root",
                old_root,
                "--size",
                "8",
                "--root",
                RFC_ROOT8,
                "--proof",
                proof,
            ],
            code,
        )
    };
    base(old, &proof, 0);
    base(RFC_ROOT8, &proof, 1);
    base(old, "", 1);
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-consistency",
            "--old-size",
            "1",
            "--old-root",
            old,
            "--size",
            "8",
            "--root",
            old,
            "--proof",
            &proof,
        ],
    );
    assert!(err.contains("log-inconsistent"), "{err}");
    // Equal sizes with an empty proof and equal roots.
    expect_code(
        d,
        &[
            "tlog",
            "verify-consistency",
            "--old-size",
            "8",
            "--old-root",
            RFC_ROOT8,
            "--size",
            "8",
            "--root",
            RFC_ROOT8,
            "--proof",
            "",
        ],
        0,
    );
    // A shrinking log.
    expect_code(
        d,
        &[
            "tlog",
            "verify-consistency",
            "--old-size",
            "9",
            "--old-root",
            RFC_ROOT8,
            "--size",
            "8",
            "--root",
            RFC_ROOT8,
            "--proof",
            "",
        ],
        1,
    );
}

fn sn(rel: &str) -> String {
    fixture(&format!("vectors/signed-note/{rel}"))
        .display()
        .to_string()
}

const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

#[test]
fn verify_note_vectors_and_bad_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    expect_code(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("go-note-peterneumann.note"),
            "--key",
            PETER,
        ],
        0,
    );
    expect_code(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("c2sp-signed-note-example.note"),
            "--key",
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        ],
        0,
    );
    let out = expect_code(
        d,
        &[
            "--json",
            "tlog",
            "verify-note",
            &sn("go-note-two-signatures.note"),
            "--key",
            PETER,
            ENOCH,
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"].as_array().unwrap().len(), 2);
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("go-note-peterneumann-tampered.note"),
            "--key",
            PETER,
        ],
    );
    assert!(err.contains("note-signature-invalid"), "{err}");
    expect_code(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("go-note-peterneumann-tampered.note"),
            "--key",
            PETER,
        ],
        1,
    );
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("go-note-peterneumann.note"),
            "--key",
            ENOCH,
        ],
    );
    assert!(err.contains("note-unknown-key"), "{err}");

    let good = std::fs::read_to_string(sn("go-note-peterneumann.note")).unwrap();
    let sig_line = good.lines().last().unwrap().to_owned();
    let mut many = good.clone();
    for i in 0..101 {
        many.push_str(&format!("\u{2014} other{i} AAAAAAAAAA==\n"));
    }
    for (name, text, code) in [
        (
            "no-blank-line",
            good.replacen("\n\n", "\n", 1),
            "note-malformed",
        ),
        (
            "no-final-newline",
            good.trim_end_matches('\n').to_owned(),
            "note-malformed",
        ),
        (
            "duplicate",
            format!("{good}{sig_line}\n"),
            "note-duplicate-signature",
        ),
        (
            "bad-base64",
            good.replace("x08go", "x08g*"),
            "note-malformed",
        ),
        ("too-many", many, "note-too-many-signatures"),
    ] {
        std::fs::write(d.join(name), text).unwrap();
        let out = run_in(d, &["tlog", "verify-note", name, "--key", PETER]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(code), "{name}: {err}");
    }
    // A malformed key string cannot run.
    expect_code(
        d,
        &[
            "tlog",
            "verify-note",
            &sn("go-note-peterneumann.note"),
            "--key",
            "PeterNeumann+00000000+AAAA",
        ],
        2,
    );
}

#[test]
fn verify_checkpoint_rekor_and_witnesses() {
    use airlock::tlog::checkpoint::Checkpoint;
    use airlock::tlog::note::{self, Signer};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rekor = sn("rekor-checkpoint-from-rules_lint-bundle.note");
    let pem = sn("rekor-sigstore-dev.pub.pem");
    let origin = "rekor.sigstore.dev - 1193050959916656506";
    let out = expect_code(
        d,
        &[
            "--json",
            "tlog",
            "verify-checkpoint",
            &rekor,
            "--log-key",
            &pem,
            "--origin",
            origin,
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["size"], 66_718_530);
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-checkpoint",
            &rekor,
            "--log-key",
            &pem,
            "--origin",
            "rekor.sigstore.dev - 1",
        ],
    );
    assert!(err.contains("checkpoint-origin-mismatch"), "{err}");
    let tampered = std::fs::read_to_string(&rekor)
        .unwrap()
        .replace("66718530", "66718531");
    std::fs::write(d.join("tampered"), tampered).unwrap();
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-checkpoint",
            "tampered",
            "--log-key",
            &pem,
            "--origin",
            origin,
        ],
    );
    assert!(err.contains("note-signature-invalid"), "{err}");

    // An Ed25519 log with three witnesses, two of which cosigned.
    let log = Signer::ed25519(
        "log.example/test",
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap();
    let w: Vec<Signer> = (0..3u8)
        .map(|i| {
            Signer::cosignature_v1(
                &format!("witness{i}.example"),
                ed25519_dalek::SigningKey::from_bytes(&[20 + i; 32]),
            )
            .unwrap()
        })
        .collect();
    let body = Checkpoint {
        origin: "log.example/test".into(),
        size: 8,
        root: [7; 32],
        extensions: vec![],
    }
    .to_text();
    let signed = note::sign(&body, &[&log], 0).unwrap();
    let cosigned = note::add_signatures(&signed, &[&w[0], &w[1]], 1_763_900_000).unwrap();
    std::fs::write(d.join("cp"), &cosigned).unwrap();
    let lk = log.verifier().vkey().unwrap();
    let wk: Vec<String> = w.iter().map(|s| s.verifier().vkey().unwrap()).collect();
    expect_code(d, &["tlog", "verify-checkpoint", "cp", "--key", &lk], 0);
    expect_code(
        d,
        &[
            "tlog",
            "verify-checkpoint",
            "cp",
            "--key",
            &lk,
            "--witness",
            &wk[0],
            &wk[1],
            &wk[2],
            "--witness-threshold",
            "2",
        ],
        0,
    );
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-checkpoint",
            "cp",
            "--key",
            &lk,
            "--witness",
            &wk[0],
            &wk[1],
            &wk[2],
            "--witness-threshold",
            "3",
        ],
    );
    assert!(err.contains("witness-threshold-not-met"), "{err}");
    // The key's name must be the origin.
    let other = Signer::ed25519(
        "other.example",
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap();
    let s2 = note::sign(&body, &[&other], 0).unwrap();
    std::fs::write(d.join("cp2"), &s2).unwrap();
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-checkpoint",
            "cp2",
            "--key",
            &other.verifier().vkey().unwrap(),
        ],
    );
    assert!(err.contains("checkpoint-origin-mismatch"), "{err}");
}

fn write_key(dir: &Path, seed: u8) -> String {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let k = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let pem = k
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    let p = dir.join(format!("log{seed}.key"));
    std::fs::write(&p, pem.as_bytes()).unwrap();
    p.display().to_string()
}

#[test]
fn local_log_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = write_key(d, 5);
    let vkey = expect_code(
        d,
        &[
            "tlog",
            "init",
            "--dir",
            "log",
            "--origin",
            "vendor.example/log",
            "--key",
            &key,
        ],
        0,
    );
    let vkey = vkey.trim().to_owned();
    assert!(vkey.starts_with("vendor.example/log+"), "{vkey}");
    expect_code(
        d,
        &[
            "tlog",
            "init",
            "--dir",
            "log",
            "--origin",
            "vendor.example/log",
            "--key",
            &key,
        ],
        2,
    );
    for i in 0..5 {
        std::fs::write(d.join(format!("e{i}")), format!("entry {i}")).unwrap();
    }
    let out = expect_code(d, &["tlog", "append", "--dir", "log", "e0", "e1", "e2"], 0);
    assert_eq!(out.lines().next().unwrap(), "0\te0");
    let hashes: String = (0..600)
        .map(|i: u32| {
            format!(
                "{}\n",
                hex::encode(airlock::tlog::merkle::leaf_hash(&i.to_be_bytes()))
            )
        })
        .collect();
    std::fs::write(d.join("hashes"), hashes).unwrap();
    expect_code(
        d,
        &["tlog", "append", "--dir", "log", "--hashes-from", "hashes"],
        0,
    );
    expect_code(d, &["tlog", "checkpoint", "--dir", "log"], 0);
    std::fs::copy(d.join("log/checkpoint"), d.join("old-checkpoint")).unwrap();
    let out = expect_code(
        d,
        &["--json", "tlog", "append", "--dir", "log", "e3", "e4"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["first_index"], 603);
    let note = expect_code(d, &["tlog", "checkpoint", "--dir", "log"], 0);
    assert!(note.starts_with("vendor.example/log\n605\n"), "{note}");
    let out = expect_code(
        d,
        &[
            "--json",
            "tlog",
            "verify-checkpoint",
            "log/checkpoint",
            "--key",
            &vkey,
        ],
        0,
    );
    let cp: serde_json::Value = serde_json::from_str(&out).unwrap();
    let root = cp["root"].as_str().unwrap().to_owned();

    // Inclusion of e1 (index 1) in the latest checkpoint.
    let proof = expect_code(d, &["tlog", "prove", "--dir", "log", "--index", "1"], 0);
    let proof = proof.trim();
    expect_code(
        d,
        &[
            "tlog",
            "verify-inclusion",
            "--leaf",
            "e1",
            "--index",
            "1",
            "--size",
            "605",
            "--root",
            &root,
            "--proof",
            proof,
        ],
        0,
    );
    expect_code(
        d,
        &[
            "tlog",
            "verify-inclusion",
            "--leaf",
            "e2",
            "--index",
            "1",
            "--size",
            "605",
            "--root",
            &root,
            "--proof",
            proof,
        ],
        1,
    );
    let out = expect_code(
        d,
        &["--json", "tlog", "prove", "--dir", "log", "--index", "604"],
        0,
    );
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["root"], root.as_str());
    // Consistency from the old checkpoint.
    let out = expect_code(
        d,
        &[
            "--json",
            "tlog",
            "verify-checkpoint",
            "old-checkpoint",
            "--key",
            &vkey,
        ],
        0,
    );
    let old: serde_json::Value = serde_json::from_str(&out).unwrap();
    let proof = expect_code(
        d,
        &["tlog", "prove", "--dir", "log", "--old-size", "603"],
        0,
    );
    expect_code(
        d,
        &[
            "tlog",
            "verify-consistency",
            "--old-size",
            "603",
            "--old-root",
            old["root"].as_str().unwrap(),
            "--size",
            "605",
            "--root",
            &root,
            "--proof",
            proof.trim(),
        ],
        0,
    );
    // Out of range.
    expect_code(d, &["tlog", "prove", "--dir", "log", "--index", "605"], 2);
    expect_code(d, &["tlog", "prove", "--dir", "nolog", "--index", "0"], 2);
}

#[test]
fn fragment_extract_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = write_key(d, 6);
    let vkey = expect_code(
        d,
        &[
            "tlog",
            "init",
            "--dir",
            "log",
            "--origin",
            "vendor.example/f",
            "--key",
            &key,
        ],
        0,
    );
    let vkey = vkey.trim().to_owned();
    let hashes = |r: std::ops::Range<u32>, salt: u8| -> String {
        r.map(|i| {
            format!(
                "{}\n",
                hex::encode(airlock::tlog::merkle::leaf_hash(
                    &[&i.to_be_bytes()[..], &[salt]].concat()
                ))
            )
        })
        .collect()
    };
    std::fs::write(d.join("h1"), hashes(0..1000, 0)).unwrap();
    std::fs::write(d.join("h2"), hashes(1000..3000, 0)).unwrap();
    expect_code(
        d,
        &["tlog", "append", "--dir", "log", "--hashes-from", "h1"],
        0,
    );
    expect_code(d, &["tlog", "checkpoint", "--dir", "log"], 0);
    std::fs::copy(d.join("log/checkpoint"), d.join("old")).unwrap();
    expect_code(
        d,
        &["tlog", "append", "--dir", "log", "--hashes-from", "h2"],
        0,
    );
    expect_code(d, &["tlog", "checkpoint", "--dir", "log"], 0);
    expect_code(
        d,
        &[
            "tlog",
            "fragment",
            "--dir",
            "log",
            "--index",
            "5",
            "999",
            "2999",
            "--old-size",
            "1000",
            "--out",
            "frag",
        ],
        0,
    );
    let out = expect_code(
        d,
        &[
            "tlog",
            "verify-fragment",
            "frag",
            "--key",
            &vkey,
            "--index",
            "5",
            "999",
            "2999",
            "--old-checkpoint",
            "old",
        ],
        0,
    );
    assert_eq!(out.lines().count(), 3);
    // An index not covered by the fragment.
    let err = stderr_of(
        d,
        &[
            "tlog",
            "verify-fragment",
            "frag",
            "--key",
            &vkey,
            "--index",
            "1500",
        ],
    );
    assert!(err.contains("tile-missing"), "{err}");
    // A forked log signed by the same key: its fragment is not consistent with the old checkpoint.
    expect_code(
        d,
        &[
            "tlog",
            "init",
            "--dir",
            "fork",
            "--origin",
            "vendor.example/f",
            "--key",
            &key,
        ],
        0,
    );
    std::fs::write(d.join("f1"), hashes(0..999, 0) + &hashes(999..3000, 1)).unwrap();
    expect_code(
        d,
        &["tlog", "append", "--dir", "fork", "--hashes-from", "f1"],
        0,
    );
    expect_code(d, &["tlog", "checkpoint", "--dir", "fork"], 0);
    expect_code(
        d,
        &[
            "tlog",
            "fragment",
            "--dir",
            "fork",
            "--index",
            "5",
            "--old-size",
            "1000",
            "--out",
            "ffrag",
        ],
        0,
    );
    let out = run_in(
        d,
        &[
            "tlog",
            "verify-fragment",
            "ffrag",
            "--key",
            &vkey,
            "--index",
            "5",
            "--old-checkpoint",
            "old",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log-inconsistent"));
}
