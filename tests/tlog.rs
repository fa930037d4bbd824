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
