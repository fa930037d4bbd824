//! The published vectors in `fixtures/vectors/merkle/` (transparency-dev/merkle testdata,
//! RFC 6962 reference leaves, real Rekor inclusion proofs), every file.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use super::merkle::{self, Hash};

fn dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/vectors")
        .join(rel)
}

fn json_files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.expect("walk vectors").into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap_or("")).expect("vector base64")
}

/// A hash field; `None` when it is not 32 bytes (the verifiers reject such input).
fn hash32(bytes: &[u8]) -> Option<Hash> {
    Hash::try_from(bytes).ok()
}

fn proof(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(|h| hash32(&b64(h))).collect(),
        _ => panic!("proof field"),
    }
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let files = json_files(&dir("merkle/inclusion"));
    assert_eq!(files.len(), 98, "all 98 inclusion vectors present");
    for f in &files {
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let index = v["leafIdx"].as_u64().unwrap();
        let size = v["treeSize"].as_u64().unwrap();
        let root = b64(&v["root"]);
        let result = match (hash32(&b64(&v["leafHash"])), proof(&v["proof"])) {
            (Some(leaf), Some(p)) => {
                merkle::verify_inclusion(&leaf, index, size, &p, &root).is_ok()
            }
            _ => false,
        };
        assert_eq!(result, !want_err, "{}: {}", f.display(), v["desc"]);
    }
}

#[test]
fn transparency_dev_consistency_vectors() {
    let files = json_files(&dir("merkle/consistency"));
    assert_eq!(files.len(), 98, "all 98 consistency vectors present");
    for f in &files {
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let (m, n) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        let (r1, r2) = (b64(&v["root1"]), b64(&v["root2"]));
        let result = match proof(&v["proof"]) {
            Some(p) => merkle::verify_consistency(m, n, &p, &r1, &r2).is_ok(),
            None => false,
        };
        assert_eq!(result, !want_err, "{}: {}", f.display(), v["desc"]);
    }
}

#[test]
fn rfc6962_reference_leaves_and_roots() {
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir("merkle/rfc6962-leaves.json")).unwrap()).unwrap();
    let inputs: Vec<Vec<u8>> = v["leaf_inputs_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect();
    let hashes: Vec<Hash> = inputs.iter().map(|d| merkle::leaf_hash(d)).collect();
    for (h, want) in hashes
        .iter()
        .zip(v["leaf_hashes_base64"].as_array().unwrap())
    {
        assert_eq!(h.as_slice(), b64(want).as_slice());
    }
    let tree = merkle::MemoryTree::from_leaf_hashes(hashes.clone());
    let roots = v["roots_by_size_base64"].as_object().unwrap();
    assert_eq!(roots.len(), 8);
    for (size, want) in roots {
        let size: u64 = size.parse().unwrap();
        assert_eq!(
            tree.root_at(size).unwrap().as_slice(),
            b64(want).as_slice(),
            "size {size}"
        );
        assert_eq!(
            merkle::root_of(&hashes[..size as usize]).as_slice(),
            b64(want).as_slice()
        );
    }
    // Our generated proofs reproduce the happy-path vectors byte for byte.
    for f in json_files(&dir("merkle/inclusion")) {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        if v["desc"] != "happy path" || v["treeSize"].as_u64().unwrap() > 8 {
            continue;
        }
        let (i, n) = (
            v["leafIdx"].as_u64().unwrap(),
            v["treeSize"].as_u64().unwrap(),
        );
        assert_eq!(
            Some(merkle::inclusion_proof(&tree, i, n).unwrap()),
            proof(&v["proof"]),
            "{}",
            f.display()
        );
    }
    for f in json_files(&dir("merkle/consistency")) {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        if v["desc"] != "happy path" || v["size2"].as_u64().unwrap() > 8 {
            continue;
        }
        let (m, n) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        assert_eq!(
            Some(merkle::consistency_proof(&tree, m, n).unwrap()),
            proof(&v["proof"]),
            "{}",
            f.display()
        );
    }
}

#[test]
fn rekor_inclusion_proofs_from_real_bundles() {
    let v: Value = serde_json::from_slice(
        &std::fs::read(dir("merkle/rekor-inclusion-from-bundles.json")).unwrap(),
    )
    .unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let leaf = merkle::leaf_hash(&b64(&c["leaf_input_base64"]));
        assert_eq!(hex::encode(leaf), c["leaf_hash_hex"].as_str().unwrap());
        let proof: Vec<Hash> = c["proof_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        let root = hex::decode(c["root_hash_hex"].as_str().unwrap()).unwrap();
        let (i, n) = (
            c["logIndex_in_shard"].as_u64().unwrap(),
            c["treeSize"].as_u64().unwrap(),
        );
        merkle::verify_inclusion(&leaf, i, n, &proof, &root).unwrap();
        assert!(merkle::verify_inclusion(&leaf, i ^ 1, n, &proof, &root).is_err());
        let mut bad = proof.clone();
        bad[0][0] ^= 1;
        assert!(merkle::verify_inclusion(&leaf, i, n, &bad, &root).is_err());
    }
}
