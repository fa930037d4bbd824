//! The chunk Merkle tree: RFC 6962 §2.1 (RFC 9162 §2.1.1) hashing over the target's chunk ids,
//! with a compact multi-proof for a set of leaves (the changed chunks).
//!
//! Leaves are `SHA-256(0x00 || chunk_sha256)` and interior nodes `SHA-256(0x01 || left || right)`,
//! so a leaf can never be confused with a node (the second-preimage defence of RFC 6962). The tree
//! over `n` leaves splits at the largest power of two smaller than `n`, exactly as RFC 6962 `MTH`.
//! We use this small own implementation rather than `rs_merkle`, whose hasher concatenates nodes
//! without domain separation and whose proofs are its own format (see `spec/delta-format.md`).

use sha2::{Digest as _, Sha256};

/// A 32-byte tree hash.
pub type Hash = [u8; 32];

/// Hash of a leaf whose data is `data` (RFC 6962: `SHA-256(0x00 || data)`).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Hash of an interior node (RFC 6962: `SHA-256(0x01 || left || right)`).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root over `leaves` (already leaf-hashed). The empty tree hashes to `SHA-256("")`.
#[must_use]
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// A multi-proof for the leaves at `indices` (sorted, unique): the hashes of every maximal
/// subtree that contains none of them, in left-to-right depth-first order.
#[must_use]
pub fn multi_proof(leaves: &[Hash], indices: &[usize]) -> Vec<Hash> {
    let mut out = Vec::new();
    prove(leaves, 0, indices, &mut out);
    out
}

fn prove(leaves: &[Hash], offset: usize, indices: &[usize], out: &mut Vec<Hash>) {
    let end = offset + leaves.len();
    let inside = indices.iter().any(|&i| i >= offset && i < end);
    if !inside {
        out.push(root(leaves));
        return;
    }
    if leaves.len() == 1 {
        return;
    }
    let k = split(leaves.len());
    prove(&leaves[..k], offset, indices, out);
    prove(&leaves[k..], offset + k, indices, out);
}

/// Why a multi-proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Indices are not sorted, repeat, or lie outside the tree.
    #[error("proof indices must be sorted, unique and below the leaf count {leaf_count}")]
    BadIndices {
        /// Leaves in the tree.
        leaf_count: usize,
    },
    /// The proof has too few or too many hashes.
    #[error("proof has the wrong number of hashes")]
    WrongLength,
    /// The recomputed root differs from the expected one.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}

/// Checks that the leaves `(index, leaf_hash)` (sorted by index) belong to the tree of
/// `leaf_count` leaves with root `expected_root`, given `proof` from [`multi_proof`].
///
/// # Errors
/// [`ProofError`] naming what did not match.
pub fn verify_multi_proof(
    leaf_count: usize,
    leaves: &[(usize, Hash)],
    proof: &[Hash],
    expected_root: &Hash,
) -> Result<(), ProofError> {
    if leaves.windows(2).any(|w| w[0].0 >= w[1].0) || leaves.iter().any(|l| l.0 >= leaf_count) {
        return Err(ProofError::BadIndices { leaf_count });
    }
    if leaf_count == 0 {
        return if proof.is_empty() && *expected_root == root(&[]) {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let mut cursor = 0usize;
    let got = rebuild(0, leaf_count, leaves, proof, &mut cursor)?;
    if cursor != proof.len() {
        return Err(ProofError::WrongLength);
    }
    if got == *expected_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

fn rebuild(
    offset: usize,
    size: usize,
    leaves: &[(usize, Hash)],
    proof: &[Hash],
    cursor: &mut usize,
) -> Result<Hash, ProofError> {
    let end = offset + size;
    let mine: Vec<&(usize, Hash)> = leaves
        .iter()
        .filter(|l| l.0 >= offset && l.0 < end)
        .collect();
    if mine.is_empty() {
        let h = *proof.get(*cursor).ok_or(ProofError::WrongLength)?;
        *cursor += 1;
        return Ok(h);
    }
    if size == 1 {
        return Ok(mine[0].1);
    }
    let k = split(size);
    let left = rebuild(offset, k, leaves, proof, cursor)?;
    let right = rebuild(offset + k, size - k, leaves, proof, cursor)?;
    Ok(node_hash(&left, &right))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&[i as u8])).collect()
    }

    #[test]
    fn rfc6962_reference_roots() {
        // transparency-dev / certificate-transparency-go test vectors: leaves are the byte
        // strings "", 0x00, 0x10, 0x2021, 0x3031, 0x40414243, ...
        let data: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        let hashed: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        assert_eq!(
            hex::encode(root(&hashed)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(
            hex::encode(root(&hashed[..1])),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(root(&hashed[..3])),
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
        );
    }

    #[test]
    fn multi_proofs_verify_and_detect_tampering() {
        for n in 1..40 {
            let l = leaves(n);
            let r = root(&l);
            for pick in [
                vec![0],
                vec![n - 1],
                (0..n).step_by(3).collect::<Vec<_>>(),
                (0..n).collect(),
            ] {
                let proof = multi_proof(&l, &pick);
                let set: Vec<(usize, Hash)> = pick.iter().map(|&i| (i, l[i])).collect();
                verify_multi_proof(n, &set, &proof, &r).unwrap();
                let mut bad = set.clone();
                bad[0].1[0] ^= 1;
                assert!(verify_multi_proof(n, &bad, &proof, &r).is_err());
            }
        }
    }
}
