//! Snapshot deltas (`spec/bundle-format.md` §12, `airlock-snapshot-delta/1`): a signed bundle
//! of kind `delta` that carries what changed between two snapshots of one channel.
//!
//! The delta bundle's entries all live under `airlock-delta/`:
//! - `added/<target-sha256-hex>`: an added entry, whole (content-addressed, so identical
//!   content is carried once);
//! - `changed/<base-sha256-hex>/<target-sha256-hex>`: a `delta.bin` payload
//!   (`spec/delta-format.md` §5, the artifact-delta payload) that turns the base entry into the
//!   target entry;
//! - `index.json`: the [`DeltaIndex`] (base and target identities, added / changed / removed);
//! - `target.dsse.json`: the target snapshot's manifest envelope exactly as signed, so the site
//!   checks the reconstruction against the publisher's own signature and Merkle root.
//!
//! Invariant: every target entry is either listed in `added`, listed in `changed`, or present in
//! the base manifest at the same path with the same SHA-256 (unchanged). [`diff`] writes only
//! deltas where this holds; [`load`] checks everything that can be checked without the base.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bundle_format::delta::payload;
use bundle_format::manifest::{MANIFEST_PAYLOAD_TYPE, bundle_digest};
use bundle_format::{
    BundleKind, BundleReader, BundleWriter, Digest, EntryKind, EntryPath, Envelope, Limits,
    Manifest, ManifestEntry, ManifestError, ManifestHeader, ReadError, WriteError, WriteOptions,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::crypto::{PrivateKey, sign_envelope};
use crate::error::{Coded, FailureClass};
pub use crate::store::DeltaPiece;
use crate::trust::{Role, TrustError, TrustRoot};

/// The format identifier of [`DeltaIndex`].
pub const DELTA_FORMAT: &str = "airlock-snapshot-delta/1";
/// Every member of a snapshot delta sits below this directory.
pub const DELTA_DIR: &str = "airlock-delta/";
/// The delta index member.
pub const INDEX_MEMBER: &str = "airlock-delta/index.json";
/// The target manifest envelope member.
pub const TARGET_MEMBER: &str = "airlock-delta/target.dsse.json";
/// Media type of the index.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.airlock.snapshot-delta+json";
/// Media type of the target manifest envelope.
pub const TARGET_MEDIA_TYPE: &str = "application/vnd.airlock.manifest.dsse+json";
/// Media type of a changed entry's payload.
pub const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.airlock.delta-payload";

/// The member holding an added entry whole.
#[must_use]
pub fn added_member(target_sha256: &Digest) -> String {
    format!("{DELTA_DIR}added/{}", target_sha256.hex())
}

/// The member holding the payload from `base_sha256` to `target_sha256`.
#[must_use]
pub fn changed_member(base_sha256: &Digest, target_sha256: &Digest) -> String {
    format!(
        "{DELTA_DIR}changed/{}/{}",
        base_sha256.hex(),
        target_sha256.hex()
    )
}

/// One side of a delta: a snapshot's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRef {
    /// Bundle digest (SHA-256 of the manifest payload).
    pub bundle: Digest,
    /// Its sequence.
    pub sequence: u64,
    /// Its manifest's Merkle root.
    pub merkle_root: Digest,
    /// Its entry count.
    pub entries: u64,
    /// The sum of its entry sizes.
    pub entry_bytes: u64,
}

/// A target entry carried whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedEntry {
    /// Entry path in the target.
    pub path: EntryPath,
    /// SHA-256 of the content (names the member, [`added_member`]).
    pub sha256: Digest,
    /// Its size.
    pub size: u64,
}

/// A target entry carried as a payload against the base entry at the same path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangedEntry {
    /// Entry path (same in base and target).
    pub path: EntryPath,
    /// SHA-256 of the base entry.
    pub base_sha256: Digest,
    /// Size of the base entry.
    pub base_size: u64,
    /// SHA-256 of the target entry.
    pub sha256: Digest,
    /// Size of the target entry.
    pub size: u64,
    /// Size of the payload member ([`changed_member`]).
    pub payload_size: u64,
}

/// A base entry the target no longer has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedEntry {
    /// Entry path in the base.
    pub path: EntryPath,
    /// Its SHA-256.
    pub sha256: Digest,
    /// Its size.
    pub size: u64,
}

/// `airlock-delta/index.json`, RFC 8785 canonical JSON. Lists are sorted by path bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaIndex {
    /// Always [`DELTA_FORMAT`].
    pub format: String,
    /// The snapshot this delta applies to.
    pub base: SnapshotRef,
    /// The snapshot it produces.
    pub target: SnapshotRef,
    /// Target entries not in the base (by path).
    pub added: Vec<AddedEntry>,
    /// Entries at the same path with other content.
    pub changed: Vec<ChangedEntry>,
    /// Base entries not in the target.
    pub removed: Vec<RemovedEntry>,
    /// Count of target entries equal to the base entry at the same path.
    pub unchanged: u64,
}

impl DeltaIndex {
    /// Target bytes carried whole.
    #[must_use]
    pub fn added_bytes(&self) -> u64 {
        self.added.iter().map(|a| a.size).sum()
    }

    /// Target bytes of changed entries, and the payload bytes that carry them.
    #[must_use]
    pub fn changed_bytes(&self) -> (u64, u64) {
        self.changed
            .iter()
            .fold((0, 0), |(t, p), c| (t + c.size, p + c.payload_size))
    }

    /// Base bytes removed.
    #[must_use]
    pub fn removed_bytes(&self) -> u64 {
        self.removed.iter().map(|r| r.size).sum()
    }
}

/// Why a delta could not be made or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// Reading an input or writing the output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An input bundle is malformed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The bundle.
        path: PathBuf,
        /// What the reader found.
        source: ReadError,
    },
    /// Base or target is not a snapshot, or they do not belong together.
    #[error("{}: {problem}", path.display())]
    Inputs {
        /// The bundle at fault.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The delta bundle breaks the layout of §12 (member names, index shape, consistency).
    #[error("delta {member}: {problem}")]
    Layout {
        /// The stable code.
        code: &'static str,
        /// The member at fault.
        member: String,
        /// What is wrong.
        problem: String,
    },
    /// The target manifest's signature is not by the trust root's `bundle-signer` role.
    #[error("delta {TARGET_MEMBER}: target manifest signature: {0}")]
    TargetSignature(TrustError),
    /// A payload could not be built.
    #[error("entry {path}: {source}")]
    Payload {
        /// The changed entry.
        path: String,
        /// The payload error.
        source: payload::PayloadError,
    },
    /// The delta's own manifest would break a rule.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Writing the delta bundle failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl Coded for DiffError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io-error",
            Self::Read { source, .. } => source.code(),
            Self::Inputs { .. } => "delta-inputs-invalid",
            Self::Layout { code, .. } => code,
            Self::TargetSignature(e) => e.code(),
            Self::Payload { source, .. } => source.code(),
            Self::Manifest(e) => e.code(),
            Self::Write(e) => e.code(),
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Io { .. } | Self::Write(WriteError::Io(_)) => FailureClass::CouldNotRun,
            Self::Read { source, .. } if !source.is_rejection() => FailureClass::CouldNotRun,
            Self::TargetSignature(e) => e.class(),
            _ => FailureClass::Rejected,
        }
    }
}

/// The manifest fields of a delta being made.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Creation time of the delta (an input).
    pub created: Timestamp,
    /// Expiry of the delta.
    pub expires: Timestamp,
    /// Limits for reading inputs and writing the delta.
    pub limits: Limits,
    /// zstd workers for the delta bundle (output does not depend on it).
    pub threads: u32,
}

/// What [`diff`] made.
#[derive(Debug)]
pub struct CreatedDelta<W> {
    /// The delta bundle's manifest.
    pub manifest: Manifest,
    /// Its signed envelope.
    pub envelope: Envelope,
    /// The index it carries.
    pub index: DeltaIndex,
    /// The output.
    pub out: W,
}

/// A snapshot bundle opened for diffing: its envelope and manifest (structure checked, digests
/// checked as entries stream; signatures are the importer's business).
struct Opened {
    path: PathBuf,
    reader: BundleReader<std::io::BufReader<std::fs::File>>,
    manifest: Manifest,
    envelope: Envelope,
}

fn open_snapshot(path: &Path, limits: Limits) -> Result<Opened, DiffError> {
    let file = std::fs::File::open(path).map_err(|source| DiffError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let read_err = |source| DiffError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BundleReader::open(std::io::BufReader::with_capacity(1 << 20, file), limits)
        .map_err(read_err)?;
    let envelope = reader.envelope().clone();
    let manifest = reader.load_manifest().map_err(read_err)?.clone();
    if manifest.kind != BundleKind::Snapshot {
        return Err(DiffError::Inputs {
            path: path.to_path_buf(),
            problem: "expected a snapshot bundle, found a delta (diff two snapshots)".into(),
        });
    }
    Ok(Opened {
        path: path.to_path_buf(),
        reader,
        manifest,
        envelope,
    })
}

/// Streams every entry of `opened`, keeping the bytes of those `keep` selects (by index).
fn collect(
    opened: &mut Opened,
    keep: &BTreeSet<usize>,
) -> Result<BTreeMap<usize, Vec<u8>>, DiffError> {
    let mut kept = BTreeMap::new();
    let mut index = 0usize;
    let path = opened.path.clone();
    let read_err = |source| DiffError::Read {
        path: path.clone(),
        source,
    };
    while let Some(mut entry) = opened.reader.next_entry().map_err(read_err)? {
        if keep.contains(&index) {
            let mut bytes = Vec::with_capacity(usize::try_from(entry.entry().size).unwrap_or(0));
            // A read failure is kept by the reader and reported by finish().
            let _ = entry.read_to_end(&mut bytes);
            entry.finish().map_err(read_err)?;
            kept.insert(index, bytes);
        } else {
            entry.finish().map_err(read_err)?;
        }
        index += 1;
    }
    Ok(kept)
}

fn snapshot_ref(envelope: &Envelope, manifest: &Manifest) -> SnapshotRef {
    SnapshotRef {
        bundle: bundle_digest(&envelope.payload),
        sequence: manifest.sequence,
        merkle_root: manifest.merkle_root,
        entries: manifest.entries.len() as u64,
        entry_bytes: manifest.total_bytes(),
    }
}

/// Makes the payload turning `base` into `target` with the artifact-delta matcher and format.
fn make_payload(path: &str, base: &[u8], target: &[u8]) -> Result<Vec<u8>, DiffError> {
    let ops = crate::delta::ops::diff(base, target);
    payload::encode(base, target, &ops.ops, &ops.add).map_err(|source| DiffError::Payload {
        path: path.to_owned(),
        source,
    })
}

/// Builds payloads for `(path, base, target)` jobs with `threads` workers; results in job order.
fn make_payloads(
    jobs: &[(String, Vec<u8>, Vec<u8>)],
    threads: u32,
) -> Result<Vec<Vec<u8>>, DiffError> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Slot = Option<Result<Vec<u8>, DiffError>>;
    let results: std::sync::Mutex<Vec<Slot>> =
        std::sync::Mutex::new((0..jobs.len()).map(|_| None).collect());
    let work = || {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((path, base, target)) = jobs.get(i) else {
                break;
            };
            let r = make_payload(path, base, target);
            results.lock().expect("no worker panics holding the lock")[i] = Some(r);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.max(1) {
            s.spawn(work);
        }
        work();
    });
    results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// Makes a signed delta bundle from snapshot `base` to snapshot `target` of the same publisher
/// and channel and writes it to `out`. Deterministic: same inputs, options and key, same bytes.
///
/// # Errors
/// [`DiffError`].
pub fn diff<W: Write>(
    base_path: &Path,
    target_path: &Path,
    options: &DiffOptions,
    key: &PrivateKey,
    out: W,
) -> Result<CreatedDelta<W>, DiffError> {
    let mut base = open_snapshot(base_path, options.limits)?;
    let mut target = open_snapshot(target_path, options.limits)?;
    let (bm, tm) = (base.manifest.clone(), target.manifest.clone());
    if bm.publisher != tm.publisher || bm.channel != tm.channel {
        return Err(DiffError::Inputs {
            path: target_path.to_path_buf(),
            problem: format!(
                "publisher/channel {}/{} differs from the base's {}/{}",
                tm.publisher, tm.channel, bm.publisher, bm.channel
            ),
        });
    }
    if tm.sequence <= bm.sequence {
        return Err(DiffError::Inputs {
            path: target_path.to_path_buf(),
            problem: format!(
                "sequence {} is not above the base's {}",
                tm.sequence, bm.sequence
            ),
        });
    }
    if target.envelope.signatures.is_empty() {
        return Err(DiffError::Inputs {
            path: target_path.to_path_buf(),
            problem: "the target manifest is unsigned".into(),
        });
    }
    // Classify every target entry against the base entry at the same path.
    let base_at: BTreeMap<&str, (usize, &ManifestEntry)> = bm
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.path.as_str(), (i, e)))
        .collect();
    let mut keep_base = BTreeSet::new();
    let mut keep_target = BTreeSet::new();
    let mut unchanged = 0u64;
    let mut target_paths = BTreeSet::new();
    for (i, e) in tm.entries.iter().enumerate() {
        target_paths.insert(e.path.as_str());
        match base_at.get(e.path.as_str()) {
            Some((_, b)) if b.sha256 == e.sha256 => unchanged += 1,
            Some((bi, _)) => {
                keep_base.insert(*bi);
                keep_target.insert(i);
            }
            None => {
                keep_target.insert(i);
            }
        }
    }
    let removed: Vec<RemovedEntry> = bm
        .entries
        .iter()
        .filter(|e| !target_paths.contains(e.path.as_str()))
        .map(|e| RemovedEntry {
            path: e.path.clone(),
            sha256: e.sha256,
            size: e.size,
        })
        .collect();
    let base_bytes = collect(&mut base, &keep_base)?;
    let mut target_bytes = collect(&mut target, &keep_target)?;

    let mut members: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut jobs = Vec::new();
    for (i, e) in tm.entries.iter().enumerate() {
        let Some(bytes) = target_bytes.remove(&i) else {
            continue;
        };
        match base_at.get(e.path.as_str()) {
            Some((bi, b)) => {
                let base_content = base_bytes.get(bi).expect("kept above").clone();
                changed.push(ChangedEntry {
                    path: e.path.clone(),
                    base_sha256: b.sha256,
                    base_size: b.size,
                    sha256: e.sha256,
                    size: e.size,
                    payload_size: 0,
                });
                jobs.push((e.path.to_string(), base_content, bytes));
            }
            None => {
                added.push(AddedEntry {
                    path: e.path.clone(),
                    sha256: e.sha256,
                    size: e.size,
                });
                members.insert(added_member(&e.sha256), (e.media_type.clone(), bytes));
            }
        }
    }
    let payloads = make_payloads(&jobs, options.threads)?;
    for (c, p) in changed.iter_mut().zip(payloads) {
        c.payload_size = p.len() as u64;
        members.insert(
            changed_member(&c.base_sha256, &c.sha256),
            (PAYLOAD_MEDIA_TYPE.to_owned(), p),
        );
    }
    // Members are keyed by content, so two equal changes share one member; sizes agree.
    let index = DeltaIndex {
        format: DELTA_FORMAT.to_owned(),
        base: snapshot_ref(&base.envelope, &bm),
        target: snapshot_ref(&target.envelope, &tm),
        added,
        changed,
        removed,
        unchanged,
    };
    members.insert(
        INDEX_MEMBER.to_owned(),
        (
            INDEX_MEDIA_TYPE.to_owned(),
            bundle_format::canonical::to_canonical_vec(&index).expect("the index serializes"),
        ),
    );
    members.insert(
        TARGET_MEMBER.to_owned(),
        (TARGET_MEDIA_TYPE.to_owned(), target.envelope.to_json()),
    );
    let mut entries = Vec::with_capacity(members.len());
    for (path, (media, bytes)) in &members {
        entries.push(ManifestEntry {
            path: EntryPath::parse(path).expect("delta member names are valid paths"),
            kind: EntryKind::Blob,
            media_type: media.clone(),
            size: bytes.len() as u64,
            sha256: Digest::sha256(bytes),
            blake3: Digest::blake3(bytes),
        });
    }
    let header = ManifestHeader {
        kind: BundleKind::Delta,
        publisher: tm.publisher.clone(),
        channel: tm.channel.clone(),
        sequence: tm.sequence,
        created: crate::time::format_instant(options.created),
        expires: crate::time::format_instant(options.expires),
        base: Some(index.base.bundle),
    };
    let manifest = Manifest::build(header, entries, &options.limits)?;
    let mut envelope = Envelope::new(MANIFEST_PAYLOAD_TYPE, manifest.to_payload());
    sign_envelope(&mut envelope, key);
    let mut writer = BundleWriter::new(
        out,
        &envelope,
        &options.limits,
        WriteOptions {
            threads: options.threads.max(1),
        },
    )?;
    for entry in &manifest.entries {
        let (_, bytes) = &members[entry.path.as_str()];
        writer.append(&entry.path, &mut bytes.as_slice())?;
    }
    let out = writer.finish()?;
    Ok(CreatedDelta {
        manifest,
        envelope,
        index,
        out,
    })
}

/// A delta bundle read and checked as far as it can be without the base: every member's digest
/// (by the bundle reader), the layout, the index, the target manifest's signature by the trust
/// root's `bundle-signer` role, its digest, Merkle root and header against the delta's.
#[derive(Debug)]
pub struct LoadedDelta {
    /// The delta bundle's digest.
    pub delta_digest: Digest,
    /// The index.
    pub index: DeltaIndex,
    /// The target manifest envelope JSON as signed.
    pub target_envelope: Vec<u8>,
    /// The target manifest (verified).
    pub target: Manifest,
    /// Carried pieces by target entry path.
    pub pieces: BTreeMap<String, DeltaPiece>,
}

fn layout_err(code: &'static str, member: &str, problem: impl Into<String>) -> DiffError {
    DiffError::Layout {
        code,
        member: member.to_owned(),
        problem: problem.into(),
    }
}

/// Reads every member of a delta bundle whose envelope the caller has authenticated and whose
/// manifest is loaded, then checks it (see [`LoadedDelta`]).
///
/// # Errors
/// [`DiffError`]: `Read` for member digests, `Layout` (`delta-layout-invalid`,
/// `delta-index-invalid`, `delta-index-mismatch`, `delta-target-mismatch`), `TargetSignature`.
pub fn load<R: Read>(
    reader: &mut BundleReader<R>,
    file: &Path,
    trust_root: &TrustRoot,
    limits: &Limits,
) -> Result<LoadedDelta, DiffError> {
    let read_err = |source| DiffError::Read {
        path: file.to_path_buf(),
        source,
    };
    let delta_digest = bundle_digest(&reader.envelope().payload);
    let outer = reader
        .manifest()
        .cloned()
        .ok_or_else(|| layout_err("reader-misuse", "manifest", "manifest not loaded"))?;
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    while let Some(mut entry) = reader.next_entry().map_err(read_err)? {
        let path = entry.entry().path.to_string();
        if !path.starts_with(DELTA_DIR) {
            return Err(layout_err(
                "delta-layout-invalid",
                &path,
                format!("expected a member under {DELTA_DIR}"),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.entry().size).unwrap_or(0));
        let _ = entry.read_to_end(&mut bytes);
        entry.finish().map_err(read_err)?;
        members.insert(path, bytes);
    }
    let index_bytes = members
        .remove(INDEX_MEMBER)
        .ok_or_else(|| layout_err("delta-layout-invalid", INDEX_MEMBER, "missing"))?;
    let index: DeltaIndex = bundle_format::canonical::from_canonical_slice(&index_bytes)
        .map_err(|e| layout_err("delta-index-invalid", INDEX_MEMBER, e.to_string()))?;
    if index.format != DELTA_FORMAT {
        return Err(layout_err(
            "delta-index-invalid",
            INDEX_MEMBER,
            format!("format {:?}: expected {DELTA_FORMAT:?}", index.format),
        ));
    }
    let mismatch = |problem: String| layout_err("delta-index-mismatch", INDEX_MEMBER, problem);
    if outer.base != Some(index.base.bundle) {
        return Err(mismatch(format!(
            "base {}: the delta manifest names {}",
            index.base.bundle,
            outer.base.map(|b| b.to_string()).unwrap_or_default()
        )));
    }
    if index.base.sequence >= index.target.sequence {
        return Err(mismatch(format!(
            "base sequence {} is not below target sequence {}",
            index.base.sequence, index.target.sequence
        )));
    }
    // The target manifest: signed by the bundle-signer role, the one the index names.
    let target_envelope = members
        .remove(TARGET_MEMBER)
        .ok_or_else(|| layout_err("delta-layout-invalid", TARGET_MEMBER, "missing"))?;
    let envelope = Envelope::from_json(&target_envelope)
        .map_err(|e| layout_err("envelope-invalid", TARGET_MEMBER, e.to_string()))?;
    trust_root
        .verify_envelope(&envelope, MANIFEST_PAYLOAD_TYPE, Role::BundleSigner)
        .map_err(DiffError::TargetSignature)?;
    let target_digest = bundle_digest(&envelope.payload);
    let target_mismatch =
        |problem: String| layout_err("delta-target-mismatch", TARGET_MEMBER, problem);
    if target_digest != index.target.bundle {
        return Err(target_mismatch(format!(
            "bundle digest {target_digest}: the index names {}",
            index.target.bundle
        )));
    }
    let target = Manifest::from_payload(&envelope.payload, limits)?;
    if target.kind != BundleKind::Snapshot
        || target.publisher != outer.publisher
        || target.channel != outer.channel
        || target.sequence != outer.sequence
        || target.sequence != index.target.sequence
    {
        return Err(target_mismatch(format!(
            "target {:?} {}/{} #{}: expected a snapshot of {}/{} #{} (the delta's own header)",
            target.kind,
            target.publisher,
            target.channel,
            target.sequence,
            outer.publisher,
            outer.channel,
            outer.sequence
        )));
    }
    if target.merkle_root != index.target.merkle_root
        || target.entries.len() as u64 != index.target.entries
        || target.total_bytes() != index.target.entry_bytes
    {
        return Err(target_mismatch(
            "merkle root, entry count or bytes differ from the index".into(),
        ));
    }
    // Every added and changed entry names a target entry with the same digest and size, once.
    let mut pieces = BTreeMap::new();
    for a in &index.added {
        let member = added_member(&a.sha256);
        let e = target_entry(&target, a.path.as_str())?;
        if e.sha256 != a.sha256 || e.size != a.size {
            return Err(mismatch(format!(
                "added {}: digest or size differs from the target manifest",
                a.path
            )));
        }
        let bytes = members
            .get(&member)
            .ok_or_else(|| layout_err("delta-layout-invalid", &member, "missing"))?;
        if pieces
            .insert(a.path.to_string(), DeltaPiece::Whole(bytes.clone()))
            .is_some()
        {
            return Err(mismatch(format!("{} listed twice", a.path)));
        }
    }
    for c in &index.changed {
        let member = changed_member(&c.base_sha256, &c.sha256);
        let e = target_entry(&target, c.path.as_str())?;
        if e.sha256 != c.sha256 || e.size != c.size {
            return Err(mismatch(format!(
                "changed {}: digest or size differs from the target manifest",
                c.path
            )));
        }
        let bytes = members
            .get(&member)
            .ok_or_else(|| layout_err("delta-layout-invalid", &member, "missing"))?;
        let piece = DeltaPiece::Patch {
            base_sha256: c.base_sha256,
            payload: bytes.clone(),
        };
        if pieces.insert(c.path.to_string(), piece).is_some() {
            return Err(mismatch(format!("{} listed twice", c.path)));
        }
    }
    let carried = index.added.len() as u64 + index.changed.len() as u64;
    if carried + index.unchanged != target.entries.len() as u64 {
        return Err(mismatch(format!(
            "{carried} carried + {} unchanged entries, the target lists {}",
            index.unchanged,
            target.entries.len()
        )));
    }
    // No member that nothing refers to.
    let referenced: BTreeSet<String> = index
        .added
        .iter()
        .map(|a| added_member(&a.sha256))
        .chain(
            index
                .changed
                .iter()
                .map(|c| changed_member(&c.base_sha256, &c.sha256)),
        )
        .collect();
    if let Some(extra) = members.keys().find(|m| !referenced.contains(*m)) {
        return Err(layout_err(
            "delta-layout-invalid",
            extra,
            "not referenced by the index",
        ));
    }
    Ok(LoadedDelta {
        delta_digest,
        index,
        target_envelope,
        target,
        pieces,
    })
}

fn target_entry<'m>(target: &'m Manifest, path: &str) -> Result<&'m ManifestEntry, DiffError> {
    target
        .position(path)
        .map(|i| &target.entries[i])
        .ok_or_else(|| {
            layout_err(
                "delta-index-mismatch",
                INDEX_MEMBER,
                format!("{path}: not an entry of the target manifest"),
            )
        })
}

/// Reads only the index of a delta bundle, without checking any signature (for `inspect`).
/// Member digests are still checked as they stream.
///
/// # Errors
/// [`DiffError`].
pub fn peek_index<R: Read>(
    reader: &mut BundleReader<R>,
    file: &Path,
) -> Result<DeltaIndex, DiffError> {
    let read_err = |source| DiffError::Read {
        path: file.to_path_buf(),
        source,
    };
    while let Some(mut entry) = reader.next_entry().map_err(read_err)? {
        if entry.entry().path.as_str() != INDEX_MEMBER {
            continue;
        }
        let mut bytes = Vec::new();
        let _ = entry.read_to_end(&mut bytes);
        entry.finish().map_err(read_err)?;
        return bundle_format::canonical::from_canonical_slice(&bytes)
            .map_err(|e| layout_err("delta-index-invalid", INDEX_MEMBER, e.to_string()));
    }
    Err(layout_err("delta-layout-invalid", INDEX_MEMBER, "missing"))
}
