//! Importing a snapshot delta (`spec/bundle-format.md` §12.5): reconstruct the target
//! snapshot's entries from the base's raw evidence in the store and the delta's pieces, check
//! each against the signed target manifest, then import them exactly as the full target would
//! be imported ([`Store::import`], one write transaction, snapshot sweep included).
//!
//! Invariant: after base + delta the store holds what it would after importing the full target,
//! so `store digest` agrees. The store records the target snapshot's bundle id (not the delta's),
//! which is what makes a repeated delta, a later delta from this target, and the full target
//! itself behave as they would after a full import.

use std::collections::{BTreeMap, BTreeSet};

use bundle_format::delta::payload;
use bundle_format::manifest::{Manifest, bundle_digest};
use bundle_format::{Digest, Envelope, Limits, ManifestEntry};
use redb::ReadTransaction;

use super::db::Store;
use super::error::{ImportError, StoreError};
use super::import::{
    BundleHeader, ImportEvent, ImportOptions, ImportReport, VerifiedEntry, bundle_id_text,
};
use super::records::{BundleRecord, ChannelHead};
use super::tables;
use super::tlog::LogTrust;
use crate::FailureClass;

/// How one target entry is carried by a delta.
#[derive(Debug, Clone)]
pub enum DeltaPiece {
    /// Whole bytes (an added entry).
    Whole(Vec<u8>),
    /// A `delta.bin` payload against the base entry with this SHA-256 at the same path.
    Patch {
        /// The base entry's SHA-256.
        base_sha256: Digest,
        /// The payload.
        payload: Vec<u8>,
    },
}

/// A delta checked as far as possible without the store: the target manifest's signature,
/// digest and Merkle root, and the pieces against it.
#[derive(Debug, Clone)]
pub struct SnapshotDelta {
    /// The delta bundle's own digest (for messages).
    pub delta: Digest,
    /// The base snapshot's bundle id.
    pub base: [u8; 32],
    /// The base's sequence, as the delta's index says (for messages; the stored base manifest
    /// is authoritative).
    pub base_sequence: u64,
    /// Paths the index lists as removed.
    pub removed: Vec<String>,
    /// The target snapshot as a full import would see it.
    pub target: BundleHeader,
    /// The verified target manifest.
    pub target_manifest: Manifest,
    /// Carried pieces by target path; target entries not here are unchanged from the base.
    pub pieces: BTreeMap<String, DeltaPiece>,
}

fn reject(code: &'static str, message: String) -> ImportError {
    ImportError::Bundle {
        code,
        class: FailureClass::Rejected,
        message,
    }
}

fn db(store: &Store, e: impl std::fmt::Display) -> ImportError {
    ImportError::Store(super::db::db_err(&Store::db_path(store.dir()), e))
}

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> ImportError {
    ImportError::Store(StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

/// Reads `raw[sha]`.
fn raw_bytes(
    store: &Store,
    rtx: &ReadTransaction,
    sha: &[u8; 32],
) -> Result<Option<Vec<u8>>, ImportError> {
    let raw = rtx.open_table(tables::RAW).map_err(|e| db(store, e))?;
    Ok(raw
        .get(sha)
        .map_err(|e| db(store, e))?
        .map(|v| v.value().to_vec()))
}

/// The base snapshot's manifest, from the envelope the store kept when it imported the base;
/// checked to hash to the base id.
fn stored_manifest(
    store: &Store,
    rtx: &ReadTransaction,
    record: &BundleRecord,
    id: &[u8; 32],
) -> Result<Manifest, ImportError> {
    let mut sha = [0u8; 32];
    hex::decode_to_slice(&record.envelope_sha256, &mut sha).map_err(|e| corrupt("bundles", e))?;
    let base_text = bundle_id_text(id);
    let missing = |what: &str| {
        reject(
            "delta-base-incomplete",
            format!("base {base_text}: the store lacks {what}; import the full target snapshot"),
        )
    };
    let bytes = raw_bytes(store, rtx, &sha)?.ok_or_else(|| missing("its manifest envelope"))?;
    let envelope = Envelope::from_json(&bytes).map_err(|e| corrupt("raw", e))?;
    if bundle_digest(&envelope.payload).as_bytes() != id {
        return Err(corrupt(
            "raw",
            format!("stored manifest of {base_text} does not hash to its id"),
        ));
    }
    Manifest::from_payload(&envelope.payload, &Limits::default()).map_err(|e| corrupt("raw", e))
}

impl Store {
    /// Applies a snapshot delta: checks the store holds its base (else `delta-base-missing`,
    /// `delta-out-of-order` or `delta-base-mismatch`), that its target is not already here
    /// (`delta-already-applied`) or superseded (`delta-stale`), reconstructs and checks every
    /// target entry, and imports the target in one write transaction, checking its
    /// transparency-log checkpoints against `logs` as a full import does.
    ///
    /// # Errors
    /// [`ImportError`]; the store is then unchanged.
    pub fn import_delta(
        &self,
        delta: &SnapshotDelta,
        options: ImportOptions,
        logs: &LogTrust,
        progress: &mut dyn FnMut(ImportEvent),
    ) -> Result<ImportReport, ImportError> {
        let base = self.check_delta_base(delta, options)?;
        let mut entries = Reconstruct {
            store: self,
            delta,
            base_entries: base
                .entries
                .iter()
                .map(|e| (e.path.to_string(), e.clone()))
                .collect(),
            rtx: None,
            next: 0,
            failed: false,
        };
        let report = self.import_with_logs(&delta.target, &mut entries, options, logs, progress)?;
        if report.outcome == "already-imported" {
            return Err(already_applied(delta));
        }
        Ok(report)
    }

    /// The pre-checks, in a read transaction: the base's presence and manifest, the channel
    /// state. Returns the stored base manifest.
    fn check_delta_base(
        &self,
        delta: &SnapshotDelta,
        options: ImportOptions,
    ) -> Result<Manifest, ImportError> {
        let rtx = self.begin_read()?;
        let bundles = rtx.open_table(tables::BUNDLES).map_err(|e| db(self, e))?;
        if bundles
            .get(delta.target.id.as_slice())
            .map_err(|e| db(self, e))?
            .is_some()
        {
            return Err(already_applied(delta));
        }
        let channel_key = super::keys::encode(&[&delta.target.publisher, &delta.target.channel])
            .map_err(|e| ImportError::Key {
                entry: "manifest".into(),
                message: e.to_string(),
            })?;
        let heads = rtx
            .open_table(tables::CHANNEL_HEADS)
            .map_err(|e| db(self, e))?;
        let head: Option<ChannelHead> = heads
            .get(channel_key.as_slice())
            .map_err(|e| db(self, e))?
            .map(|v| serde_json::from_slice(v.value()))
            .transpose()
            .map_err(|e| corrupt("channel_heads", e))?;
        let base_text = bundle_id_text(&delta.base);
        let scope = format!("{}/{}", delta.target.publisher, delta.target.channel);
        if let Some(h) = &head
            && h.sequence >= delta.target.sequence
            && !options.allow_downgrade
        {
            return Err(reject(
                "delta-stale",
                format!(
                    "delta {} targets {scope} #{}, but the store is already at #{} ({}); nothing to apply",
                    delta.delta, delta.target.sequence, h.sequence, h.bundle
                ),
            ));
        }
        let Some(record) = bundles
            .get(delta.base.as_slice())
            .map_err(|e| db(self, e))?
            .map(|v| serde_json::from_slice::<BundleRecord>(v.value()))
            .transpose()
            .map_err(|e| corrupt("bundles", e))?
        else {
            let needs = format!(
                "delta {} needs base {base_text} ({scope} #{})",
                delta.delta, delta.base_sequence
            );
            return Err(match head {
                None => reject(
                    "delta-base-missing",
                    format!(
                        "{needs}; the store holds nothing of {scope}: import that snapshot (or the full target) first"
                    ),
                ),
                Some(h) if h.sequence < delta.base_sequence => reject(
                    "delta-out-of-order",
                    format!(
                        "{needs}; the store is at #{} ({}): import the deltas up to #{} first, or the full target",
                        h.sequence, h.bundle, delta.base_sequence
                    ),
                ),
                Some(h) => reject(
                    "delta-base-mismatch",
                    format!(
                        "{needs}; the store holds {scope} #{} ({}) but not that base: this delta is for another base; import the full target",
                        h.sequence, h.bundle
                    ),
                ),
            });
        };
        let base = stored_manifest(self, &rtx, &record, &delta.base)?;
        // The removed list must be exactly the base paths the target lacks.
        let target_paths: BTreeSet<&str> = delta
            .target_manifest
            .entries
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        let gone: Vec<&str> = base
            .entries
            .iter()
            .map(|e| e.path.as_str())
            .filter(|p| !target_paths.contains(p))
            .collect();
        if gone != delta.removed.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(reject(
                "delta-index-mismatch",
                format!(
                    "delta {}: its removed list ({} paths) differs from the base's entries the target lacks ({})",
                    delta.delta,
                    delta.removed.len(),
                    gone.len()
                ),
            ));
        }
        Ok(base)
    }
}

fn already_applied(delta: &SnapshotDelta) -> ImportError {
    reject(
        "delta-already-applied",
        format!(
            "delta {}: its target {} ({}/{} #{}) is already in the store; nothing to do",
            delta.delta,
            bundle_id_text(&delta.target.id),
            delta.target.publisher,
            delta.target.channel,
            delta.target.sequence
        ),
    )
}

/// Yields the target's entries in manifest order, each rebuilt and checked against the signed
/// target manifest. Its read transaction is opened on the first call, which [`Store::import`]
/// makes while holding the write lock, so it reads the last committed state.
struct Reconstruct<'a> {
    store: &'a Store,
    delta: &'a SnapshotDelta,
    base_entries: BTreeMap<String, ManifestEntry>,
    rtx: Option<ReadTransaction>,
    next: usize,
    failed: bool,
}

impl Reconstruct<'_> {
    fn entry(&mut self, target: &ManifestEntry) -> Result<VerifiedEntry, ImportError> {
        if self.rtx.is_none() {
            self.rtx = Some(self.store.begin_read()?);
        }
        let rtx = self.rtx.as_ref().expect("opened above");
        let path = target.path.as_str();
        let base_text = bundle_id_text(&self.delta.base);
        let from_base = |sha: &Digest| -> Result<Vec<u8>, ImportError> {
            raw_bytes(self.store, rtx, sha.as_bytes())?.ok_or_else(|| {
                reject(
                    "delta-base-incomplete",
                    format!(
                        "entry {path}: the store lacks the base's raw evidence {sha} (base {base_text}; removed by gc?); import the full target snapshot"
                    ),
                )
            })
        };
        let bytes = match self.delta.pieces.get(path) {
            Some(DeltaPiece::Whole(b)) => b.clone(),
            Some(DeltaPiece::Patch {
                base_sha256,
                payload: p,
            }) => {
                let base_entry = self
                    .base_entries
                    .get(path)
                    .filter(|b| b.sha256 == *base_sha256);
                let Some(base_entry) = base_entry else {
                    return Err(reject(
                        "delta-index-mismatch",
                        format!(
                            "entry {path}: the delta patches base content {base_sha256}, which base {base_text} does not hold at this path"
                        ),
                    ));
                };
                let base_bytes = from_base(&base_entry.sha256)?;
                let payload_err = |e: payload::PayloadError| {
                    reject(
                        e.code(),
                        format!("entry {path}: delta payload against base {base_sha256}: {e}"),
                    )
                };
                let parsed = payload::parse(
                    p,
                    base_bytes.len() as u64,
                    base_sha256.as_bytes(),
                    &payload::Limits::default(),
                )
                .map_err(payload_err)?;
                payload::apply(&base_bytes, &parsed).map_err(payload_err)?
            }
            None => match self.base_entries.get(path) {
                Some(b) if b.sha256 == target.sha256 => from_base(&b.sha256)?,
                _ => {
                    return Err(reject(
                        "delta-entry-missing",
                        format!(
                            "entry {path}: the delta neither carries it nor does base {base_text} hold it with digest {}",
                            target.sha256
                        ),
                    ));
                }
            },
        };
        let sha = Digest::sha256(&bytes);
        let blake = Digest::blake3(&bytes);
        if bytes.len() as u64 != target.size || sha != target.sha256 || blake != target.blake3 {
            return Err(reject(
                "delta-entry-digest-mismatch",
                format!(
                    "entry {path}: reconstructed {} bytes {sha}, the signed target manifest lists {} bytes {}",
                    bytes.len(),
                    target.size,
                    target.sha256
                ),
            ));
        }
        Ok(VerifiedEntry {
            path: path.to_owned(),
            kind: target.kind,
            bytes,
        })
    }
}

impl Iterator for Reconstruct<'_> {
    type Item = Result<VerifiedEntry, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let target = self.delta.target_manifest.entries.get(self.next)?.clone();
        self.next += 1;
        let r = self.entry(&target);
        self.failed = r.is_err();
        Some(r)
    }
}

/// The SHA-256 of every entry of every channel head's snapshot, read from the manifests the
/// store kept. `store gc` keeps these raw values even when no row refers to them (blobs, tiles,
/// packages), so the next delta can always be rebuilt from the current snapshot.
///
/// # Errors
/// A database error or a malformed head or bundle record.
pub(crate) fn head_entry_digests(
    wtx: &redb::WriteTransaction,
) -> Result<Vec<[u8; 32]>, StoreError> {
    use redb::ReadableTable as _;
    let e = |x: &dyn std::fmt::Display| StoreError::Corrupt {
        table: "channel_heads",
        message: x.to_string(),
    };
    let heads = wtx.open_table(tables::CHANNEL_HEADS).map_err(|x| e(&x))?;
    let bundles = wtx.open_table(tables::BUNDLES).map_err(|x| e(&x))?;
    let raw = wtx.open_table(tables::RAW).map_err(|x| e(&x))?;
    let mut out = Vec::new();
    for item in heads.iter().map_err(|x| e(&x))? {
        let (_, v) = item.map_err(|x| e(&x))?;
        let head: ChannelHead = serde_json::from_slice(v.value()).map_err(|x| e(&x))?;
        let id: Digest = head.bundle.parse().map_err(|x| e(&x))?;
        let Some(record) = bundles.get(id.as_bytes().as_slice()).map_err(|x| e(&x))? else {
            continue;
        };
        let record: BundleRecord = serde_json::from_slice(record.value()).map_err(|x| e(&x))?;
        let mut sha = [0u8; 32];
        hex::decode_to_slice(&record.envelope_sha256, &mut sha).map_err(|x| e(&x))?;
        let Some(envelope) = raw.get(&sha).map_err(|x| e(&x))? else {
            continue;
        };
        // Every envelope was verified at import; one that no longer parses (a damaged store,
        // which `store check` reports) protects nothing, and a delta onto it is refused later.
        let Ok(envelope) = Envelope::from_json(envelope.value()) else {
            continue;
        };
        let Ok(manifest) = Manifest::from_payload(&envelope.payload, &Limits::default()) else {
            continue;
        };
        out.extend(manifest.entries.iter().map(|en| *en.sha256.as_bytes()));
    }
    Ok(out)
}
