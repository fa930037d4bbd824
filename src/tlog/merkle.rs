//! RFC 6962 / RFC 9162 Merkle trees: leaf and node hashing, tree roots, inclusion and
//! consistency proofs (generation and verification).
//!
//! Pure functions over hashes; no I/O, no keys. Proof *generation* works over any
//! [`NodeSource`] (an in-memory [`MemoryTree`], a tile store, a tile fragment), so the same
//! code serves the local log, tile fragments and tests. Proof *verification* follows the
//! iterative algorithm of RFC 9162 §2.1.3.2 and §2.1.4.2 (as transparency-dev/merkle does it)
//! and is checked against the transparency-dev vectors in `fixtures/vectors/merkle/`.
//!
//! Must not depend on the file system, signatures or the command line.

use sha2::{Digest as _, Sha256};

/// Bytes in a SHA-256 tree hash.
pub const HASH_BYTES: usize = 32;

/// A SHA-256 tree hash (leaf hash, interior node hash or root).
pub type Hash = [u8; HASH_BYTES];

/// The most proof hashes any proof for a `u64` tree can need: inclusion uses at most 64,
/// consistency at most 64 + 1. Longer proofs are rejected before any hashing.
pub const MAX_PROOF_HASHES: usize = 65;

/// RFC 6962 §2.1: the hash of the empty tree, `SHA-256()`.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 6962 §2.1: `MTH({d}) = SHA-256(0x00 || d)`.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 §2.1: interior node `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof could not be generated or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for the given index and sizes.
    #[error("proof has {found} hashes, expected {expected}")]
    WrongLength {
        /// Hashes the sizes require.
        expected: usize,
        /// Hashes supplied.
        found: usize,
    },
    /// The root recomputed from the proof differs from the expected root.
    #[error("root mismatch: proof leads to {computed}, expected {expected}")]
    RootMismatch {
        /// Hex of the root the proof leads to.
        computed: String,
        /// Hex of the root that was expected.
        expected: String,
    },
    /// Tree sizes that admit no proof (the newer tree is smaller, or the older one is empty).
    #[error("tree sizes do not admit a proof: old size {old_size}, new size {size}")]
    BadSizes {
        /// The older (first) tree size.
        old_size: u64,
        /// The newer (second) tree size.
        size: u64,
    },
    /// A node needed to build a proof is not available from the node source.
    #[error("node at level {level} index {index} is not available: {reason}")]
    MissingNode {
        /// The node's level (0 = leaves).
        level: u8,
        /// The node's index within its level.
        index: u64,
        /// Why the source could not give it.
        reason: String,
    },
}

/// Anything that can give the hash of a *perfect* subtree: the node at `level` (0 = leaf
/// hashes) and `index` covers leaves `[index << level, (index + 1) << level)`.
pub trait NodeSource {
    /// The hash of the perfect subtree at (`level`, `index`).
    ///
    /// # Errors
    /// [`ProofError::MissingNode`] when the source does not hold the node.
    fn node(&self, level: u8, index: u64) -> Result<Hash, ProofError>;
}

/// Largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start .. start + n])` for `n >= 1`, where `start` is a multiple of the largest power
/// of two not above `n` rounded up (always true inside the RFC 6962 recursion).
///
/// # Errors
/// A node the source cannot give.
pub fn subtree_hash<S: NodeSource + ?Sized>(
    src: &S,
    start: u64,
    n: u64,
) -> Result<Hash, ProofError> {
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        return src.node(level, start >> level);
    }
    let k = split_point(n);
    let left = subtree_hash(src, start, k)?;
    let right = subtree_hash(src, start + k, n - k)?;
    Ok(node_hash(&left, &right))
}

/// The root of the first `size` leaves of `src` (the empty-tree hash for size 0).
///
/// # Errors
/// A node the source cannot give.
pub fn root_from_source<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(empty_root());
    }
    subtree_hash(src, 0, size)
}

/// RFC 9162 §2.1.3.1 `PATH(m, D[n])`: the inclusion proof for leaf `index` in the tree of the
/// first `size` leaves, leaf-side first.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] or a node the source cannot give.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    path(src, index, 0, size, &mut out)?;
    Ok(out)
}

fn path<S: NodeSource + ?Sized>(
    src: &S,
    m: u64,
    start: u64,
    n: u64,
    out: &mut Vec<Hash>,
) -> Result<(), ProofError> {
    if n == 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(src, m, start, k, out)?;
        out.push(subtree_hash(src, start + k, n - k)?);
    } else {
        path(src, m - k, start + k, n - k, out)?;
        out.push(subtree_hash(src, start, k)?);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.1 `PROOF(m, D[n])`: the consistency proof between the trees of the first
/// `old_size` and the first `size` leaves. Empty when the sizes are equal.
///
/// # Errors
/// [`ProofError::BadSizes`] when `old_size` is 0 or above `size`, or a missing node.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &S,
    old_size: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if old_size == 0 || old_size > size {
        return Err(ProofError::BadSizes { old_size, size });
    }
    let mut out = Vec::new();
    if old_size < size {
        subproof(src, old_size, 0, size, true, &mut out)?;
    }
    Ok(out)
}

fn subproof<S: NodeSource + ?Sized>(
    src: &S,
    m: u64,
    start: u64,
    n: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), ProofError> {
    if m == n {
        if !whole {
            out.push(subtree_hash(src, start, n)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(src, m, start, k, whole, out)?;
        out.push(subtree_hash(src, start + k, n - k)?);
    } else {
        subproof(src, m - k, start + k, n - k, false, out)?;
        out.push(subtree_hash(src, start, k)?);
    }
    Ok(())
}

/// Number of proof hashes below and at the right border for leaf `index` of `size`
/// (transparency-dev `decompInclProof`).
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        seed = if (index >> i) & 1 == 0 {
            node_hash(&seed, h)
        } else {
            node_hash(h, &seed)
        };
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[Hash]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

fn check_root(computed: &Hash, expected: &[u8]) -> Result<(), ProofError> {
    if computed.as_slice() == expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch {
            computed: hex::encode(computed),
            expected: hex::encode(expected),
        })
    }
}

/// RFC 9162 §2.1.3.2: the root that an inclusion proof for `leaf` at `index` in a tree of
/// `size` leads to.
///
/// # Errors
/// Index outside the tree, or a proof of the wrong length.
pub fn root_from_inclusion_proof(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::WrongLength {
            expected: inner + border,
            found: proof.len(),
        });
    }
    let res = chain_inner(*leaf, &proof[..inner], index);
    Ok(chain_border_right(res, &proof[inner..]))
}

/// Verifies that `leaf` is the leaf at `index` of the tree of `size` leaves with root `root`
/// (RFC 9162 §2.1.3.2). `root` is compared byte for byte, so a root of the wrong length fails.
///
/// # Errors
/// Any [`ProofError`] that says why the proof does not hold.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &[u8],
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf, index, size, proof)?;
    check_root(&computed, root)
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `size` leaves with root `root` (RFC 9162 §2.1.4.2).
///
/// Equal sizes need an empty proof and equal roots. A consistency check from the empty tree
/// proves nothing and is rejected ([`ProofError::BadSizes`]), as the transparency-dev vectors
/// require; callers that hold no earlier checkpoint skip the check instead.
///
/// # Errors
/// Any [`ProofError`] that says why the proof does not hold.
pub fn verify_consistency(
    old_size: u64,
    size: u64,
    proof: &[Hash],
    old_root: &[u8],
    root: &[u8],
) -> Result<(), ProofError> {
    if old_size == 0 || size < old_size {
        return Err(ProofError::BadSizes { old_size, size });
    }
    if old_size == size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                found: proof.len(),
            });
        }
        return if old_root == root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch {
                computed: hex::encode(old_root),
                expected: hex::encode(root),
            })
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength {
            expected: 1,
            found: 0,
        });
    }
    let (inner, border) = decompose(old_size - 1, size);
    let shift = old_size.trailing_zeros() as usize;
    let inner = inner - shift;
    let (seed, start) = if old_size == 1u64 << shift {
        let Ok(seed) = Hash::try_from(old_root) else {
            return Err(ProofError::RootMismatch {
                computed: String::from("(a 32-byte hash)"),
                expected: hex::encode(old_root),
            });
        };
        (seed, 0)
    } else {
        (proof[0], 1)
    };
    if proof.len() != start + inner + border {
        return Err(ProofError::WrongLength {
            expected: start + inner + border,
            found: proof.len(),
        });
    }
    let proof = &proof[start..];
    let mask = (old_size - 1) >> shift;
    let hash1 = chain_border_right(
        chain_inner_right(seed, &proof[..inner], mask),
        &proof[inner..],
    );
    check_root(&hash1, old_root)?;
    let hash2 = chain_border_right(chain_inner(seed, &proof[..inner], mask), &proof[inner..]);
    check_root(&hash2, root)
}

/// A whole tree in memory: every perfect node at every level. Good for tests and for small
/// logs; the local log keeps the same nodes in tiles instead.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` = node (l, i); `levels[0]` are the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new()],
        }
    }

    /// A tree of the given leaf hashes.
    #[must_use]
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Self::new();
        for l in leaves {
            t.push(l);
        }
        t
    }

    /// Appends a leaf hash, completing every perfect subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut h = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }

    /// Number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The root of the first `size` leaves.
    ///
    /// # Errors
    /// `size` is larger than the tree.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::BadSizes {
                old_size: size,
                size: self.size(),
            });
        }
        root_from_source(self, size)
    }

    /// The root of the whole tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        root_from_source(self, self.size()).expect("all nodes of a memory tree are present")
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        self.levels
            .get(usize::from(level))
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or(ProofError::MissingNode {
                level,
                index,
                reason: String::from("beyond the tree"),
            })
    }
}

/// `MTH` of a list of leaf hashes, straight from RFC 6962 §2.1 (reference implementation for
/// tests; use [`MemoryTree`] or [`root_from_source`] for real work).
#[must_use]
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn empty_tree_hash() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn memory_tree_matches_reference_root_for_all_prefixes() {
        let l = leaves(70);
        let t = MemoryTree::from_leaf_hashes(l.clone());
        for n in 0..=70 {
            assert_eq!(t.root_at(n).unwrap(), root_of(&l[..n as usize]), "size {n}");
        }
    }

    #[test]
    fn all_small_proofs_verify() {
        let t = MemoryTree::from_leaf_hashes(leaves(40));
        for size in 1..=40u64 {
            let root = t.root_at(size).unwrap();
            for i in 0..size {
                let p = inclusion_proof(&t, i, size).unwrap();
                verify_inclusion(&t.levels[0][i as usize], i, size, &p, &root).unwrap();
            }
            for m in 1..=size {
                let p = consistency_proof(&t, m, size).unwrap();
                verify_consistency(m, size, &p, &t.root_at(m).unwrap(), &root).unwrap();
            }
        }
    }

    proptest! {
        #[test]
        fn inclusion_bit_flip_fails(size in 1u64..300, idx in any::<u64>(), bit in 0usize..(256 * 66)) {
            let t = MemoryTree::from_leaf_hashes(leaves(size));
            let index = idx % size;
            let root = t.root();
            let leaf = t.levels[0][index as usize];
            let proof = inclusion_proof(&t, index, size).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
            // Flip one bit anywhere in leaf, proof or root.
            let (mut leaf2, mut proof2, mut root2) = (leaf, proof.clone(), root);
            let slot = bit / 256 % (proof.len() + 2);
            let (byte, b) = (bit % 256 / 8, bit % 8);
            match slot {
                0 => leaf2[byte] ^= 1 << b,
                1 => root2[byte] ^= 1 << b,
                s => proof2[s - 2][byte] ^= 1 << b,
            }
            prop_assert!(verify_inclusion(&leaf2, index, size, &proof2, &root2).is_err());
            // A wrong index or size fails too (unless it yields the same path, which the
            // length or the root catches).
            if index + 1 < size {
                prop_assert!(verify_inclusion(&leaf, index + 1, size, &proof, &root).is_err());
            }
        }

        #[test]
        fn consistency_bit_flip_fails(size in 2u64..300, m in any::<u64>(), bit in 0usize..(256 * 67)) {
            let t = MemoryTree::from_leaf_hashes(leaves(size));
            let old = 1 + m % (size - 1);
            let (r1, r2) = (t.root_at(old).unwrap(), t.root());
            let proof = consistency_proof(&t, old, size).unwrap();
            prop_assert!(verify_consistency(old, size, &proof, &r1, &r2).is_ok());
            let (mut p2, mut a, mut b2) = (proof.clone(), r1, r2);
            let slot = bit / 256 % (proof.len() + 2);
            let (byte, b) = (bit % 256 / 8, bit % 8);
            match slot {
                0 => a[byte] ^= 1 << b,
                1 => b2[byte] ^= 1 << b,
                s => p2[s - 2][byte] ^= 1 << b,
            }
            prop_assert!(verify_consistency(old, size, &p2, &a, &b2).is_err());
        }
    }
}
