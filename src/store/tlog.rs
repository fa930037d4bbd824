//! Transparency-log checkpoints carried in bundles (`spec/store.md` §4.11, §5 step 5a).
//!
//! A bundle carries log material under `tlog/`: a signed checkpoint note `DIR/checkpoint` and
//! the C2SP tiles of its tree `DIR/tile/L/N[.p/W]` (a fragment as `airlock tlog prove` writes
//! it; `DIR` may be empty). The store keeps the last verified checkpoint per origin. Invariants:
//!
//! - only a checkpoint whose log signature (and witness policy) verifies against a log of the
//!   trust root is ever stored; checkpoints of logs the trust root does not name stay raw
//!   evidence only;
//! - a stored checkpoint is replaced only by a larger one whose consistency with it is proved by
//!   the tiles of the same fragment; a smaller tree, the same size with another root (split
//!   view) or a missing or failing proof rejects the whole bundle (`log-inconsistent`).

use std::collections::BTreeMap;

use crate::tlog::checkpoint::{self, Checkpoint as LogCheckpoint, WitnessPolicy};
use crate::tlog::fragment::{TlogError, check_advance};
use crate::tlog::merkle;
use crate::tlog::note::Verifier;
use crate::tlog::tiles::{MemTiles, TileNodes, TileReader};
use crate::trust::{LogKeyType, TrustRoot};

/// The logs whose checkpoints the store accepts, from the trust root in force at import.
#[derive(Debug, Clone, Default)]
pub struct LogTrust {
    /// Origin → the log's verifier key.
    logs: BTreeMap<String, Verifier>,
    /// Witness cosignature policy.
    witnesses: WitnessPolicy,
}

impl LogTrust {
    /// No trusted logs: no checkpoint is stored.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// These logs (origin, verifier key) with this witness policy.
    #[must_use]
    pub fn new(logs: Vec<(String, Verifier)>, witnesses: WitnessPolicy) -> Self {
        Self {
            logs: logs.into_iter().collect(),
            witnesses,
        }
    }

    /// The trust root's logs and witness policy.
    ///
    /// # Errors
    /// A log or witness key of the trust root that cannot be read (message names it).
    pub fn from_trust_root(trust: &TrustRoot) -> Result<Self, String> {
        let mut logs = BTreeMap::new();
        for log in trust.logs() {
            let verifier = match log.key_type {
                LogKeyType::NoteVkey => Verifier::from_vkey(&log.key),
                LogKeyType::SpkiPem => {
                    Verifier::ecdsa_p256_from_pem(checkpoint::rekor_key_name(&log.origin), &log.key)
                }
            }
            .map_err(|e| format!("trust root: log key of {:?}: {e}", log.origin))?;
            logs.insert(log.origin.clone(), verifier);
        }
        let w = trust.witnesses();
        let witnesses = w
            .keys
            .iter()
            .map(|k| Verifier::from_vkey(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("trust root: witness key: {e}"))?;
        Ok(Self {
            logs,
            witnesses: WitnessPolicy {
                witnesses,
                threshold: usize::try_from(w.threshold).unwrap_or(usize::MAX),
            },
        })
    }
}

/// Why a bundle's log material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogImportError {
    /// The checkpoint of a trusted log did not verify.
    #[error("entry {entry}: checkpoint of trusted log {origin:?}: {message}")]
    Checkpoint {
        /// Entry path.
        entry: String,
        /// Origin line.
        origin: String,
        /// The verifier's code.
        code: &'static str,
        /// What failed.
        message: String,
    },
    /// The new checkpoint does not extend the stored one.
    #[error("entry {entry}: {source}")]
    Inconsistent {
        /// Entry path.
        entry: String,
        /// Why.
        source: TlogError,
    },
}

/// Reads tiles from a fragment without copying it.
struct Borrowed<'a>(&'a MemTiles);

impl TileReader for Borrowed<'_> {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.0.read(path)
    }
}

/// A fragment's material as it streams in.
#[derive(Debug, Default)]
struct Fragment {
    checkpoint: Option<(String, Vec<u8>)>,
    tiles: MemTiles,
}

/// Log material collected from one bundle's `tlog` entries.
#[derive(Debug, Default)]
pub struct TlogMaterial {
    fragments: BTreeMap<String, Fragment>,
}

/// A checkpoint that may replace the stored one of its origin.
#[derive(Debug, Clone)]
pub struct Advance {
    /// The verified checkpoint.
    pub checkpoint: LogCheckpoint,
    /// The note's entry path.
    pub entry: String,
    /// The note bytes (stored in `raw`).
    pub note: Vec<u8>,
}

impl TlogMaterial {
    /// Takes one `tlog` entry: a `checkpoint` note or a tile; anything else is ignored here.
    pub fn add(&mut self, path: &str, bytes: &[u8]) {
        let segments: Vec<&str> = path.split('/').collect();
        if let Some(i) = segments.iter().position(|s| *s == "tile") {
            let dir = segments[..i].join("/");
            let tile = segments[i..].join("/");
            self.fragments
                .entry(dir)
                .or_default()
                .tiles
                .tiles
                .insert(tile, bytes.to_vec());
        } else if segments.last() == Some(&"checkpoint") {
            let dir = segments[..segments.len() - 1].join("/");
            self.fragments.entry(dir).or_default().checkpoint =
                Some((path.to_owned(), bytes.to_vec()));
        }
    }

    /// The origin lines of the checkpoints carried (unverified; to look up stored ones).
    #[must_use]
    pub fn origins(&self) -> Vec<String> {
        self.fragments
            .values()
            .filter_map(|f| f.checkpoint.as_ref())
            .filter_map(|(_, note)| {
                std::str::from_utf8(note)
                    .ok()?
                    .lines()
                    .next()
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Verifies each fragment's checkpoint against `trust` and, against `stored` (origin → the
    /// store's checkpoint), decides what advances. Fragments are taken in path order; a later
    /// one is checked against what an earlier one advanced to.
    ///
    /// # Errors
    /// [`TlogImportError`]; nothing may then be written.
    pub fn resolve(
        &self,
        trust: &LogTrust,
        stored: &BTreeMap<String, LogCheckpoint>,
    ) -> Result<Vec<Advance>, TlogImportError> {
        let mut current: BTreeMap<String, LogCheckpoint> = BTreeMap::new();
        let mut out: Vec<Advance> = Vec::new();
        for fragment in self.fragments.values() {
            let Some((entry, note)) = &fragment.checkpoint else {
                continue;
            };
            // The origin is the note's first line; only trusted logs are considered.
            let origin = std::str::from_utf8(note)
                .ok()
                .and_then(|t| t.lines().next())
                .unwrap_or_default();
            let Some(log) = trust.logs.get(origin) else {
                continue;
            };
            let verified =
                checkpoint::verify(note, log, origin, &trust.witnesses).map_err(|e| {
                    TlogImportError::Checkpoint {
                        entry: entry.clone(),
                        origin: origin.to_owned(),
                        code: crate::error::Coded::code(&e),
                        message: e.to_string(),
                    }
                })?;
            let new = verified.checkpoint;
            let old = current
                .get(origin)
                .cloned()
                .or_else(|| stored.get(origin).cloned());
            let inconsistent = |source| TlogImportError::Inconsistent {
                entry: entry.clone(),
                source,
            };
            let proof = match &old {
                Some(o) if o.size > 0 && o.size < new.size => {
                    let nodes = TileNodes::new(Borrowed(&fragment.tiles), new.size);
                    merkle::consistency_proof(&nodes, o.size, new.size).map_err(|e| {
                        inconsistent(TlogError::Inconsistent {
                            origin: origin.to_owned(),
                            old_size: o.size,
                            size: new.size,
                            reason: format!(
                                "no consistency proof from the stored checkpoint in the bundle's tiles: {e}"
                            ),
                        })
                    })?
                }
                _ => Vec::new(),
            };
            check_advance(old.as_ref(), &new, &proof).map_err(inconsistent)?;
            if old.as_ref().is_some_and(|o| o.size == new.size) {
                continue;
            }
            current.insert(origin.to_owned(), new.clone());
            out.retain(|a| a.checkpoint.origin != origin);
            out.push(Advance {
                checkpoint: new,
                entry: entry.clone(),
                note: note.clone(),
            });
        }
        Ok(out)
    }
}
