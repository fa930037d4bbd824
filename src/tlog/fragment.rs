//! Tile fragments: the minimal set of C2SP tiles that proves given leaves against a
//! checkpoint (and that checkpoint's consistency with an older one), extracted from a full
//! tile tree, carried across the air gap and verified offline.
//!
//! A fragment directory holds `checkpoint` (the signed note it proves against), optionally
//! `old-checkpoint`, and `tile/<L>/<N>[.p/<W>]` files with the widths of the checkpoint's tree.
//! The tiles are untrusted input: every proof computed from them is verified against the
//! checkpoint's root, so a wrong, missing or forked tile makes verification fail.
//!
//! Also here: [`check_advance`], the rule the store applies when a newer checkpoint of a log
//! it already knows arrives.

use std::collections::BTreeSet;
use std::path::Path;

use super::checkpoint::Checkpoint;
use super::log::{LocalLog, LogError};
use super::merkle::{self, Hash, NodeSource, ProofError};
use super::tiles::{self, DirTiles, MemTiles, TileNodes, TileReader};
use crate::error::{Coded, FailureClass};
use crate::fsutil::write_atomic;

/// The most leaf indexes one fragment may prove.
pub const MAX_FRAGMENT_INDEXES: usize = 100_000;

/// Why a fragment or a checkpoint advance was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// A tile the proof needs is absent or has the wrong size.
    #[error("fragment lacks a tile: {0}")]
    TileMissing(String),
    /// A leaf's inclusion does not verify against the checkpoint.
    #[error("leaf {index}: inclusion in tree of size {size} does not verify: {reason}")]
    InclusionInvalid {
        /// The leaf index.
        index: u64,
        /// The checkpoint size.
        size: u64,
        /// Why.
        reason: String,
    },
    /// The newer checkpoint does not extend the older one (fork, split view or shrinking log).
    #[error("log {origin} is inconsistent: size {old_size} to {size}: {reason}")]
    Inconsistent {
        /// The log origin.
        origin: String,
        /// The older size.
        old_size: u64,
        /// The newer size.
        size: u64,
        /// Why.
        reason: String,
    },
    /// The two checkpoints are from different logs.
    #[error("checkpoint origin {found:?} differs from the known origin {expected:?}")]
    OriginMismatch {
        /// The known origin.
        expected: String,
        /// The new checkpoint's origin.
        found: String,
    },
    /// Too many indexes requested.
    #[error("{found} leaf indexes, at most {max} per fragment")]
    TooManyIndexes {
        /// Requested.
        found: usize,
        /// Limit.
        max: usize,
    },
}

impl Coded for TlogError {
    fn code(&self) -> &'static str {
        match self {
            Self::TileMissing(_) => "tile-missing",
            Self::InclusionInvalid { .. } => "inclusion-proof-invalid",
            Self::Inconsistent { .. } => "log-inconsistent",
            Self::OriginMismatch { .. } => "checkpoint-origin-mismatch",
            Self::TooManyIndexes { .. } => "fragment-too-large",
        }
    }
    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// Accepts `new` as the successor of the last verified checkpoint `old` of the same log, given
/// a consistency proof from `old.size` to `new.size`. With no earlier checkpoint any new one is
/// accepted (first use); a smaller size, a different root at the same size or a failing proof
/// is [`TlogError::Inconsistent`].
///
/// Both checkpoints must already have had their signatures verified.
///
/// # Errors
/// [`TlogError::Inconsistent`] or [`TlogError::OriginMismatch`].
pub fn check_advance(
    old: Option<&Checkpoint>,
    new: &Checkpoint,
    proof: &[Hash],
) -> Result<(), TlogError> {
    let Some(old) = old else { return Ok(()) };
    if old.origin != new.origin {
        return Err(TlogError::OriginMismatch {
            expected: old.origin.clone(),
            found: new.origin.clone(),
        });
    }
    let inconsistent = |reason: String| TlogError::Inconsistent {
        origin: new.origin.clone(),
        old_size: old.size,
        size: new.size,
        reason,
    };
    if new.size < old.size {
        return Err(inconsistent("the log shrank".to_owned()));
    }
    if old.size == 0 {
        return Ok(());
    }
    if new.size == old.size {
        return if new.root == old.root && proof.is_empty() {
            Ok(())
        } else {
            Err(inconsistent(
                "two different roots for the same size (split view)".to_owned(),
            ))
        };
    }
    merkle::verify_consistency(old.size, new.size, proof, &old.root, &new.root)
        .map_err(|e| inconsistent(e.to_string()))
}

/// What [`extract`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentSummary {
    /// Tree size the fragment proves against.
    pub size: u64,
    /// Older size whose consistency it proves, if any.
    pub old_size: Option<u64>,
    /// Tile paths in the fragment.
    pub tiles: Vec<String>,
    /// Total tile bytes.
    pub bytes: u64,
}

fn missing(e: ProofError) -> TlogError {
    TlogError::TileMissing(e.to_string())
}

/// Collects the tiles that prove `indexes` (and consistency from `old_size`) in the tree of
/// `size` leaves, reading from `reader` whose tiles are those of a tree of `source_size >=
/// size` leaves. Returned tiles are trimmed to the widths of the tree of `size`.
///
/// # Errors
/// [`TlogError::TileMissing`] for a tile the source lacks; an index or size out of range.
pub fn collect<R: TileReader>(
    reader: R,
    source_size: u64,
    size: u64,
    indexes: &[u64],
    old_size: Option<u64>,
) -> Result<MemTiles, TlogError> {
    if indexes.len() > MAX_FRAGMENT_INDEXES {
        return Err(TlogError::TooManyIndexes {
            found: indexes.len(),
            max: MAX_FRAGMENT_INDEXES,
        });
    }
    let nodes = TileNodes::new(reader, source_size);
    let mut needed: BTreeSet<(u8, u64)> = BTreeSet::new();
    {
        let recording = Recorder {
            inner: &nodes,
            seen: std::cell::RefCell::new(&mut needed),
        };
        for &i in indexes {
            merkle::inclusion_proof(&recording, i, size).map_err(|e| match e {
                ProofError::MissingNode { .. } => missing(e),
                other => TlogError::InclusionInvalid {
                    index: i,
                    size,
                    reason: other.to_string(),
                },
            })?;
            recording.node(0, i).map_err(missing)?;
        }
        if let Some(m) = old_size.filter(|&m| m > 0) {
            merkle::consistency_proof(&recording, m, size).map_err(|e| {
                TlogError::Inconsistent {
                    origin: String::new(),
                    old_size: m,
                    size,
                    reason: e.to_string(),
                }
            })?;
        }
        merkle::root_from_source(&recording, size).map_err(missing)?;
    }
    let mut out = MemTiles::default();
    for (level, index) in needed {
        let w = tiles::tile_width(level, index, size);
        let hashes = nodes.tile(level, index).map_err(missing)?;
        let bytes: Vec<u8> = hashes[..usize::try_from(w).expect("tile width fits")]
            .iter()
            .flatten()
            .copied()
            .collect();
        out.tiles.insert(tiles::tile_path(level, index, w), bytes);
    }
    Ok(out)
}

/// Records which tiles a proof touches.
struct Recorder<'a, R> {
    inner: &'a TileNodes<R>,
    seen: std::cell::RefCell<&'a mut BTreeSet<(u8, u64)>>,
}

impl<R: TileReader> NodeSource for Recorder<'_, R> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        let tile_level = level / tiles::TILE_HEIGHT;
        let first = index << (level % tiles::TILE_HEIGHT);
        self.seen
            .borrow_mut()
            .insert((tile_level, first / tiles::TILE_WIDTH));
        self.inner.node(level, index)
    }
}

/// Extracts a fragment from a local log into `out`: the tiles proving `indexes` against the
/// log's latest signed checkpoint (and consistency from `old_size`), plus that checkpoint and,
/// when the log kept it, the old one.
///
/// # Errors
/// [`LogError`] for I/O, a log without a checkpoint, or a proof the tiles cannot give.
pub fn extract(
    log: &LocalLog,
    indexes: &[u64],
    old_size: Option<u64>,
    out: &Path,
) -> Result<FragmentSummary, LogError> {
    let Some((cp, note_bytes)) = log.latest_checkpoint()? else {
        return Err(LogError::Empty(format!(
            "{}: no signed checkpoint yet; run tlog checkpoint",
            log.dir().display()
        )));
    };
    let tiles = collect(
        DirTiles::new(log.dir()),
        log.size(),
        cp.size,
        indexes,
        old_size,
    )?;
    let write = |rel: &str, bytes: &[u8]| -> Result<(), LogError> {
        let path = out.join(rel);
        let io = |source| LogError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io)?;
        }
        write_atomic(&path, bytes).map_err(|source| LogError::Io {
            path: path.display().to_string(),
            source,
        })
    };
    write("checkpoint", &note_bytes)?;
    if let Some(old) =
        old_size.and_then(|m| std::fs::read(log.dir().join(format!("checkpoints/{m}"))).ok())
    {
        write("old-checkpoint", &old)?;
    }
    let mut bytes = 0;
    for (path, data) in &tiles.tiles {
        write(path, data)?;
        bytes += data.len() as u64;
    }
    Ok(FragmentSummary {
        size: cp.size,
        old_size,
        tiles: tiles.tiles.keys().cloned().collect(),
        bytes,
    })
}

/// Verifies a fragment offline: every leaf in `indexes` is included in the tree `checkpoint`
/// names, and, with `old = (size, root)`, that tree extends the older one. Returns the leaf
/// hashes (in `indexes` order) for the caller to compare with the entries it expects.
///
/// `checkpoint` must already have had its signature verified ([`super::checkpoint::verify`]).
///
/// # Errors
/// [`TlogError`]: a missing tile, a failing inclusion, or an inconsistent log.
pub fn verify_fragment<R: TileReader>(
    reader: R,
    checkpoint: &Checkpoint,
    indexes: &[u64],
    old: Option<(u64, Hash)>,
) -> Result<Vec<Hash>, TlogError> {
    if indexes.len() > MAX_FRAGMENT_INDEXES {
        return Err(TlogError::TooManyIndexes {
            found: indexes.len(),
            max: MAX_FRAGMENT_INDEXES,
        });
    }
    let size = checkpoint.size;
    let nodes = TileNodes::new(reader, size);
    let mut leaves = Vec::with_capacity(indexes.len());
    for &i in indexes {
        let invalid = |reason: String| TlogError::InclusionInvalid {
            index: i,
            size,
            reason,
        };
        let proof = merkle::inclusion_proof(&nodes, i, size).map_err(|e| match e {
            ProofError::MissingNode { .. } => missing(e),
            other => invalid(other.to_string()),
        })?;
        let leaf = nodes.node(0, i).map_err(missing)?;
        merkle::verify_inclusion(&leaf, i, size, &proof, &checkpoint.root)
            .map_err(|e| invalid(e.to_string()))?;
        leaves.push(leaf);
    }
    if let Some((m, old_root)) = old {
        let old_cp = Checkpoint {
            origin: checkpoint.origin.clone(),
            size: m,
            root: old_root,
            extensions: Vec::new(),
        };
        let proof = if m > 0 && m < size {
            merkle::consistency_proof(&nodes, m, size).map_err(missing)?
        } else {
            Vec::new()
        };
        check_advance(Some(&old_cp), checkpoint, &proof)?;
    }
    Ok(leaves)
}

/// [`verify_fragment`] over a fragment directory.
///
/// # Errors
/// As [`verify_fragment`].
pub fn verify_fragment_dir(
    dir: &Path,
    checkpoint: &Checkpoint,
    indexes: &[u64],
    old: Option<(u64, Hash)>,
) -> Result<Vec<Hash>, TlogError> {
    verify_fragment(DirTiles::new(dir), checkpoint, indexes, old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::log::LeafInput;
    use crate::tlog::log::tests::test_key;
    use crate::tlog::merkle::leaf_hash;

    fn leaves(range: std::ops::Range<u64>, salt: u8) -> Vec<LeafInput> {
        range
            .map(|i| {
                let mut d = i.to_be_bytes().to_vec();
                d.push(salt);
                LeafInput::Hash(leaf_hash(&d))
            })
            .collect()
    }

    fn random_indexes(n: usize, size: u64) -> Vec<u64> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % size
            })
            .collect()
    }

    #[test]
    fn fragment_of_100_leaves_verifies_and_forks_fail() {
        let tmp = tempfile::tempdir().unwrap();
        let key = test_key(tmp.path(), 4);
        let (old_n, n) = (40_000u64, 70_000u64);
        let mut log = LocalLog::init(&tmp.path().join("a"), "vendor.example/a", &key).unwrap();
        log.append(&leaves(0..old_n, 0)).unwrap();
        let old_note = log.sign_checkpoint().unwrap();
        log.append(&leaves(old_n..n, 0)).unwrap();
        log.sign_checkpoint().unwrap();
        let (cp, _) = log.latest_checkpoint().unwrap().unwrap();
        let old_cp = Checkpoint::parse(&crate::tlog::note::parse(&old_note).unwrap().text).unwrap();

        let idx = random_indexes(100, n);
        let out = tmp.path().join("frag");
        let summary = extract(&log, &idx, Some(old_n), &out).unwrap();
        assert!(out.join("old-checkpoint").exists());
        // Far fewer tiles than the log holds (274 level-0 tiles + 2 levels above).
        assert!(summary.tiles.len() < 130, "{} tiles", summary.tiles.len());
        let got = verify_fragment_dir(&out, &cp, &idx, Some((old_n, old_cp.root))).unwrap();
        for (i, h) in idx.iter().zip(&got) {
            let mut d = i.to_be_bytes().to_vec();
            d.push(0);
            assert_eq!(*h, leaf_hash(&d));
        }
        // An index that the fragment does not cover lacks tiles.
        let uncovered = (0..n)
            .find(|i| {
                !out.join(tiles::tile_path(
                    0,
                    i / 256,
                    tiles::tile_width(0, i / 256, n),
                ))
                .exists()
            })
            .unwrap();
        assert_eq!(
            verify_fragment_dir(&out, &cp, &[uncovered], None)
                .unwrap_err()
                .code(),
            "tile-missing"
        );
        // A tampered tile fails inclusion.
        let t = out.join(&summary.tiles[0]);
        let mut b = std::fs::read(&t).unwrap();
        b[0] ^= 1;
        std::fs::write(&t, &b).unwrap();
        let err = verify_fragment_dir(&out, &cp, &idx, None).unwrap_err();
        assert_eq!(err.code(), "inclusion-proof-invalid");

        // A forked log: same first old_n - 1 leaves, then different ones.
        let mut fork = LocalLog::init(&tmp.path().join("b"), "vendor.example/a", &key).unwrap();
        fork.append(&leaves(0..old_n - 1, 0)).unwrap();
        fork.append(&leaves(old_n - 1..n, 1)).unwrap();
        fork.sign_checkpoint().unwrap();
        let (fork_cp, _) = fork.latest_checkpoint().unwrap().unwrap();
        let fout = tmp.path().join("fork-frag");
        extract(&fork, &idx[..3], Some(old_n), &fout).unwrap();
        let err = verify_fragment_dir(&fout, &fork_cp, &idx[..3], Some((old_n, old_cp.root)))
            .unwrap_err();
        assert_eq!(err.code(), "log-inconsistent");
        // check_advance directly: shrinking, split view, and the honest proof.
        let (proof, _, _) = log.prove_consistency(old_n, n).unwrap();
        check_advance(Some(&old_cp), &cp, &proof).unwrap();
        check_advance(None, &cp, &[]).unwrap();
        assert_eq!(
            check_advance(Some(&cp), &old_cp, &[]).unwrap_err().code(),
            "log-inconsistent"
        );
        let (fproof, _, _) = fork.prove_consistency(old_n, n).unwrap();
        assert_eq!(
            check_advance(Some(&old_cp), &fork_cp, &fproof)
                .unwrap_err()
                .code(),
            "log-inconsistent"
        );
        let mut split = cp.clone();
        split.root = fork_cp.root;
        assert_eq!(
            check_advance(Some(&cp), &split, &[]).unwrap_err().code(),
            "log-inconsistent"
        );
    }
}
