//! A local, offline, tile-based transparency log for vendors: C2SP tiles on disk and
//! Ed25519-signed C2SP checkpoints.
//!
//! Layout of a log directory `D`:
//! - `D/log.json`: origin, verifier key, path of the signing key, current size (not public);
//! - `D/tile/<L>/<N>[.p/<W>]`: hash tiles (C2SP tlog-tiles);
//! - `D/tile/entries/<N>[.p/<W>]`: entry bundles, written when every entry of the tile was
//!   appended as data of at most 65535 bytes;
//! - `D/checkpoint`: the latest signed checkpoint; `D/checkpoints/<size>`: every one signed.
//!
//! Appends are batched: one pass over the batch, full tiles written once, the right-edge
//! partial tiles rewritten once per batch, then the size is committed by rewriting
//! `log.json` atomically. A crash before that commit leaves the previous log intact (tiles
//! past the committed size are rewritten by the next append).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash, ProofError};
use super::note::{self, KeyError, Signer};
use super::tiles::{self, DirTiles, TILE_HEIGHT, TILE_WIDTH, TileNodes};
use crate::error::{Coded, FailureClass};
use crate::fsutil::write_atomic;

const CONFIG: &str = "log.json";
const FORMAT: &str = "airlock-local-tlog/v1";

/// Why a local-log operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// `init` on a directory that already holds a log.
    #[error("{0}: already holds a log")]
    Exists(String),
    /// The directory holds no log, or its state file is unreadable.
    #[error("{path}: not a local log: {reason}")]
    NotALog {
        /// The directory.
        path: String,
        /// Why.
        reason: String,
    },
    /// The signing key or origin cannot be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A tile is missing or inconsistent, or an index or size is out of range.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// A fragment could not be built.
    #[error(transparent)]
    Fragment(#[from] super::fragment::TlogError),
    /// Nothing to do (no signed checkpoint yet, empty log).
    #[error("{0}")]
    Empty(String),
}

impl Coded for LogError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io-error",
            Self::Exists(_) => "tlog-exists",
            Self::NotALog { .. } => "tlog-not-found",
            Self::Key(e) => e.code(),
            Self::Proof(ProofError::MissingNode { .. }) => "tile-missing",
            Self::Proof(_) => "index-out-of-range",
            Self::Empty(_) => "tlog-empty",
            Self::Fragment(e) => e.code(),
        }
    }
    fn class(&self) -> FailureClass {
        match self {
            Self::Fragment(e) => e.class(),
            _ => FailureClass::CouldNotRun,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The log's private state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Config {
    format: String,
    origin: String,
    vkey: String,
    key: PathBuf,
    size: u64,
}

/// One leaf to append.
#[derive(Debug, Clone)]
pub enum LeafInput {
    /// The entry bytes; the leaf hash is `SHA-256(0x00 || data)`.
    Data(Vec<u8>),
    /// Only the leaf hash is known.
    Hash(Hash),
}

/// An open local log.
#[derive(Debug)]
pub struct LocalLog {
    dir: PathBuf,
    config: Config,
}

/// Reads an Ed25519 PKCS#8 PEM private key (as `airlock key generate` writes it).
///
/// # Errors
/// [`LogError`] when the file cannot be read or is not an Ed25519 PKCS#8 key.
pub fn load_ed25519_key(path: &Path) -> Result<ed25519_dalek::SigningKey, LogError> {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    ed25519_dalek::SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        LogError::Key(KeyError::Invalid {
            key: path.display().to_string(),
            reason: format!("not an Ed25519 PKCS#8 private key: {e}"),
        })
    })
}

impl LocalLog {
    /// Creates an empty log in `dir` for `origin`, signed with the Ed25519 key at `key`.
    ///
    /// # Errors
    /// [`LogError`] if `dir` already holds a log, the key is unusable or writing fails.
    pub fn init(dir: &Path, origin: &str, key: &Path) -> Result<Self, LogError> {
        if dir.join(CONFIG).exists() {
            return Err(LogError::Exists(dir.display().to_string()));
        }
        let signer = Signer::ed25519(origin, load_ed25519_key(key)?)?;
        let key = std::fs::canonicalize(key).map_err(io_err(key))?;
        std::fs::create_dir_all(dir.join("tile")).map_err(io_err(dir))?;
        let config = Config {
            format: FORMAT.to_owned(),
            origin: origin.to_owned(),
            vkey: signer.verifier().vkey().expect("Ed25519 keys have a vkey"),
            key,
            size: 0,
        };
        let log = Self {
            dir: dir.to_path_buf(),
            config,
        };
        log.save()?;
        Ok(log)
    }

    /// Opens the log in `dir`.
    ///
    /// # Errors
    /// [`LogError::NotALog`] when there is no readable state file.
    pub fn open(dir: &Path) -> Result<Self, LogError> {
        let path = dir.join(CONFIG);
        let not = |reason: String| LogError::NotALog {
            path: dir.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| not(format!("{CONFIG}: {e}")))?;
        let config: Config =
            serde_json::from_slice(&bytes).map_err(|e| not(format!("{CONFIG}: {e}")))?;
        if config.format != FORMAT {
            return Err(not(format!(
                "{CONFIG}: format {:?}, expected {FORMAT:?}",
                config.format
            )));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
        })
    }

    fn save(&self) -> Result<(), LogError> {
        let path = self.dir.join(CONFIG);
        let mut bytes = serde_json::to_vec_pretty(&self.config).expect("config serializes");
        bytes.push(b'\n');
        write_atomic(&path, &bytes).map_err(io_err(&path))
    }

    /// The origin.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.config.origin
    }

    /// The log's C2SP verifier key.
    #[must_use]
    pub fn vkey(&self) -> &str {
        &self.config.vkey
    }

    /// Number of leaves appended.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.config.size
    }

    /// The log directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tiles of the current tree as a [`merkle::NodeSource`].
    #[must_use]
    pub fn nodes(&self) -> TileNodes<DirTiles> {
        TileNodes::new(DirTiles::new(&self.dir), self.config.size)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), LogError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        write_atomic(&path, bytes).map_err(io_err(&path))
    }

    /// Removes the partial versions (`<base>.p/`) of a tile once it is rewritten.
    fn remove_partials(&self, base: &str) -> Result<(), LogError> {
        let p = self.dir.join(format!("{base}.p"));
        match std::fs::remove_dir_all(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&p)(e)),
            _ => Ok(()),
        }
    }

    /// Appends a batch of leaves and returns the index of the first.
    ///
    /// # Errors
    /// [`LogError`] on I/O failure or unreadable existing tiles; the committed size is then
    /// unchanged.
    pub fn append(&mut self, leaves: &[LeafInput]) -> Result<u64, LogError> {
        let first = self.config.size;
        if leaves.is_empty() {
            return Ok(first);
        }
        let nodes = self.nodes();
        // The right edge: the hashes of the rightmost tile of each level.
        let mut edge: Vec<Vec<Hash>> = Vec::new();
        let mut rows: Vec<u64> = Vec::new();
        for level in 0u8.. {
            let row = if u32::from(level) * u32::from(TILE_HEIGHT) >= 64 {
                0
            } else {
                first >> (level * TILE_HEIGHT)
            };
            if row == 0 && level > 0 {
                break;
            }
            let w = row % TILE_WIDTH;
            edge.push(if w > 0 {
                nodes.tile(level, row / TILE_WIDTH)?
            } else {
                Vec::new()
            });
            rows.push(row);
            if row == 0 {
                break;
            }
        }
        // Entries of the rightmost level-0 tile, when all are known.
        let mut entries: Option<Vec<Vec<u8>>> = {
            let w = first % TILE_WIDTH;
            if w == 0 {
                Some(Vec::new())
            } else {
                let rel = tiles::entries_path(first / TILE_WIDTH, w);
                std::fs::read(self.dir.join(&rel)).ok().and_then(|b| {
                    tiles::decode_entry_bundle(&b)
                        .filter(|e| e.len() as u64 == w)
                        .map(|e| e.into_iter().map(<[u8]>::to_vec).collect())
                })
            }
        };
        let mut dirty_levels = vec![false; edge.len()];
        for leaf in leaves {
            let h = match leaf {
                LeafInput::Data(d) => merkle::leaf_hash(d),
                LeafInput::Hash(h) => *h,
            };
            if let Some(es) = entries.as_mut() {
                match leaf {
                    LeafInput::Data(d) if d.len() <= usize::from(u16::MAX) => es.push(d.clone()),
                    _ => entries = None,
                }
            }
            let mut level = 0usize;
            let mut h = h;
            loop {
                if edge.len() == level {
                    edge.push(Vec::new());
                    rows.push(0);
                    dirty_levels.push(false);
                }
                edge[level].push(h);
                rows[level] += 1;
                dirty_levels[level] = true;
                if edge[level].len() as u64 != TILE_WIDTH {
                    break;
                }
                let index = (rows[level] - 1) / TILE_WIDTH;
                let lvl = u8::try_from(level).expect("at most 8 tile levels");
                let bytes: Vec<u8> = edge[level].iter().flatten().copied().collect();
                let base = tiles::tile_path(lvl, index, TILE_WIDTH);
                self.write(&base, &bytes)?;
                self.remove_partials(&base)?;
                if level == 0 {
                    let ebase = tiles::entries_path(index, TILE_WIDTH);
                    if let Some(es) = entries.take() {
                        let bundle = tiles::encode_entry_bundle(es.iter().map(Vec::as_slice))
                            .expect("entries checked to fit in 16 bits");
                        self.write(&ebase, &bundle)?;
                    }
                    self.remove_partials(&ebase)?;
                    entries = Some(Vec::new());
                }
                h = tiles::fold_perfect(&edge[level]);
                edge[level].clear();
                dirty_levels[level] = false;
                level += 1;
            }
        }
        for (level, hashes) in edge.iter().enumerate() {
            if hashes.is_empty() || !dirty_levels[level] {
                continue;
            }
            let lvl = u8::try_from(level).expect("at most 8 tile levels");
            let index = rows[level] / TILE_WIDTH;
            let w = hashes.len() as u64;
            let base = tiles::tile_path(lvl, index, TILE_WIDTH);
            self.remove_partials(&base)?;
            let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
            self.write(&tiles::tile_path(lvl, index, w), &bytes)?;
            if level == 0 {
                let ebase = tiles::entries_path(index, TILE_WIDTH);
                self.remove_partials(&ebase)?;
                if let Some(es) = entries.as_ref().filter(|e| e.len() as u64 == w) {
                    let bundle = tiles::encode_entry_bundle(es.iter().map(Vec::as_slice))
                        .expect("entries fit in 16 bits");
                    self.write(&tiles::entries_path(index, w), &bundle)?;
                }
            }
        }
        self.config.size = first + leaves.len() as u64;
        self.save()?;
        Ok(first)
    }

    /// Refuses a tree size beyond the log's (`BadSizes`, naming both).
    fn check_within_log(&self, size: u64) -> Result<(), LogError> {
        if size > self.size() {
            return Err(ProofError::BadSizes {
                old_size: size,
                size: self.size(),
            }
            .into());
        }
        Ok(())
    }

    /// The root hash of the first `size` leaves.
    ///
    /// # Errors
    /// `size` beyond the log, or a missing tile.
    pub fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        self.check_within_log(size)?;
        Ok(merkle::root_from_source(&self.nodes(), size)?)
    }

    /// Signs a checkpoint for the current size, writes `checkpoint` and `checkpoints/<size>`,
    /// and returns the signed note.
    ///
    /// # Errors
    /// [`LogError`] on a missing tile, an unusable key or I/O failure.
    pub fn sign_checkpoint(&self) -> Result<Vec<u8>, LogError> {
        let signer = Signer::ed25519(&self.config.origin, load_ed25519_key(&self.config.key)?)?;
        let cp = Checkpoint {
            origin: self.config.origin.clone(),
            size: self.size(),
            root: self.root_at(self.size())?,
            extensions: Vec::new(),
        };
        let signed = note::sign(&cp.to_text(), &[&signer], 0)
            .expect("a checkpoint body is a valid note text");
        self.write("checkpoint", &signed)?;
        self.write(&format!("checkpoints/{}", cp.size), &signed)?;
        Ok(signed)
    }

    /// The latest signed checkpoint (`None` before the first `checkpoint`).
    ///
    /// # Errors
    /// [`LogError`] when the file exists but cannot be read or parsed.
    pub fn latest_checkpoint(&self) -> Result<Option<(Checkpoint, Vec<u8>)>, LogError> {
        let path = self.dir.join("checkpoint");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let bad = |reason: String| LogError::NotALog {
            path: path.display().to_string(),
            reason,
        };
        let n = note::parse(&bytes).map_err(|e| bad(e.to_string()))?;
        let cp = Checkpoint::parse(&n.text).map_err(|e| bad(e.to_string()))?;
        Ok(Some((cp, bytes)))
    }

    /// The size proofs default to: the latest signed checkpoint's, else the log's.
    ///
    /// # Errors
    /// An unreadable checkpoint.
    pub fn default_size(&self) -> Result<u64, LogError> {
        Ok(self
            .latest_checkpoint()?
            .map_or(self.size(), |(c, _)| c.size))
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves: (leaf hash, proof, root).
    ///
    /// # Errors
    /// Index or size out of range, or a missing tile.
    pub fn prove_inclusion(
        &self,
        index: u64,
        size: u64,
    ) -> Result<(Hash, Vec<Hash>, Hash), LogError> {
        self.check_within_log(size)?;
        let nodes = self.nodes();
        let proof = merkle::inclusion_proof(&nodes, index, size)?;
        let leaf = merkle::NodeSource::node(&nodes, 0, index)?;
        let root = merkle::root_from_source(&nodes, size)?;
        Ok((leaf, proof, root))
    }

    /// Consistency proof from `old_size` to `size`: (proof, old root, root).
    ///
    /// # Errors
    /// Sizes out of range, or a missing tile.
    pub fn prove_consistency(
        &self,
        old_size: u64,
        size: u64,
    ) -> Result<(Vec<Hash>, Hash, Hash), LogError> {
        self.check_within_log(size)?;
        let nodes = self.nodes();
        let proof = merkle::consistency_proof(&nodes, old_size, size)?;
        Ok((
            proof,
            merkle::root_from_source(&nodes, old_size)?,
            merkle::root_from_source(&nodes, size)?,
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tlog::merkle::{MemoryTree, leaf_hash};

    pub(crate) fn test_key(dir: &Path, seed: u8) -> PathBuf {
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        let k = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pem = k
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        let p = dir.join(format!("key{seed}.pem"));
        std::fs::write(&p, pem.as_bytes()).unwrap();
        p
    }

    #[test]
    fn appends_in_uneven_batches_match_memory_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let key = test_key(tmp.path(), 3);
        let dir = tmp.path().join("log");
        let mut log = LocalLog::init(&dir, "example.com/test-log", &key).unwrap();
        let mut tree = MemoryTree::new();
        let mut n = 0u64;
        for batch in [1usize, 2, 255, 1, 300, 65_536 + 7, 3] {
            let leaves: Vec<LeafInput> = (0..batch)
                .map(|i| {
                    let d = (n + i as u64).to_be_bytes().to_vec();
                    if i % 3 == 0 {
                        LeafInput::Hash(leaf_hash(&d))
                    } else {
                        LeafInput::Data(d)
                    }
                })
                .collect();
            for l in &leaves {
                tree.push(match l {
                    LeafInput::Data(d) => leaf_hash(d),
                    LeafInput::Hash(h) => *h,
                });
            }
            assert_eq!(log.append(&leaves).unwrap(), n);
            n += batch as u64;
            let log = LocalLog::open(&dir).unwrap();
            assert_eq!(log.size(), n);
            assert_eq!(log.root_at(n).unwrap(), tree.root(), "after {n}");
        }
        let (leaf, proof, root) = log.prove_inclusion(66_000, n).unwrap();
        merkle::verify_inclusion(&leaf, 66_000, n, &proof, &root).unwrap();
        let (proof, r1, r2) = log.prove_consistency(300, n).unwrap();
        merkle::verify_consistency(300, n, &proof, &r1, &r2).unwrap();
        let signed = log.sign_checkpoint().unwrap();
        let v = crate::tlog::note::Verifier::from_vkey(log.vkey()).unwrap();
        let cp = crate::tlog::checkpoint::verify(&signed, &v, log.origin(), &Default::default())
            .unwrap();
        assert_eq!(cp.checkpoint.root, tree.root());
        // Stale partial tiles are gone: exactly one level-0 partial.
        assert!(!dir.join("tile/0/000.p").exists());
        // Entry bundles exist for a fully-data tile only when every entry had data.
        assert!(!dir.join("tile/entries/000").exists());
        assert!(LocalLog::init(&dir, "x", &key).is_err());
    }
}
