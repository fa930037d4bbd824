//! Creating, loading and applying delta directories (`delta-manifest.json`, `delta.bin`,
//! `reverse.bin`, `attestations/`).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bundle_format::canonical::{from_canonical_slice, to_canonical_vec};
use bundle_format::delta::chunk::{
    self, AVG_CHUNK_BYTES, CHUNKING_ALGORITHM, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES,
    NORMALIZATION_LEVEL,
};
use bundle_format::delta::manifest::{
    ArtifactDigests, ChangedChunk, ChunkTree, Chunking, DeltaManifest, Expansion, KeptStream,
    MANIFEST_FILE, MANIFEST_FORMAT, MAX_MANIFEST_BYTES, OpsSummary, PAYLOAD_FILE,
    REVERSE_PAYLOAD_FILE,
};
use bundle_format::delta::merkle;
use bundle_format::delta::payload::{self, Limits, Op, PayloadError};
use bundle_format::digest::{Digest, DualHasher};

use super::analyze;
use super::expand;
use super::ops;
use super::score::{self, Policy};
use crate::{Coded, FailureClass};

/// Largest base or target accepted by `create` (2 GiB: the zstd window limit).
pub const MAX_ARTIFACT_BYTES: u64 = 2 << 30;
/// Most attestations shipped in one delta directory.
pub const MAX_ATTESTATIONS: usize = 64;
/// Largest attestation file, in bytes.
pub const MAX_ATTESTATION_BYTES: u64 = 16 << 20;
/// Most changed chunks listed in a manifest.
pub const MAX_CHANGED_CHUNKS: usize = 1 << 20;

/// Why creating, loading or applying a delta failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeltaError {
    /// The forward or reverse payload was refused.
    #[error("{file}: {source}")]
    Payload {
        /// `delta.bin` or `reverse.bin`.
        file: &'static str,
        /// The payload error.
        #[source]
        source: PayloadError,
    },
    /// The manifest is missing, too large, not canonical or malformed.
    #[error("delta-manifest.json: {0}")]
    ManifestInvalid(String),
    /// The manifest disagrees with the payload or with itself.
    #[error("delta-manifest.json: {0}")]
    ManifestMismatch(String),
    /// A file of the delta directory does not match its digest in the manifest.
    #[error("{file}: sha256 {found} does not match the manifest's {expected}")]
    FileDigestMismatch {
        /// File in the delta directory.
        file: String,
        /// From the manifest.
        expected: String,
        /// Computed.
        found: String,
    },
    /// The base given is not the manifest's base.
    #[error("base: expected {expected}, found {found}")]
    BaseMismatch {
        /// Expected digest.
        expected: String,
        /// Found digest.
        found: String,
    },
    /// An input is larger than the limits allow.
    #[error("{what}: {found} bytes exceed the limit of {max}")]
    TooLarge {
        /// What.
        what: String,
        /// Size found.
        found: u64,
        /// Limit.
        max: u64,
    },
    /// Bad options (too many attestations, unreadable policy).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl Coded for DeltaError {
    fn code(&self) -> &'static str {
        match self {
            Self::Payload { source, .. } => source.code(),
            Self::ManifestInvalid(_) => "delta-manifest-invalid",
            Self::ManifestMismatch(_) => "delta-manifest-mismatch",
            Self::FileDigestMismatch { .. } => "delta-file-digest-mismatch",
            Self::BaseMismatch { .. } => "delta-base-mismatch",
            Self::TooLarge { .. } => "delta-input-too-large",
            Self::Usage(_) => "usage",
            Self::Io { .. } => "io-error",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Payload { source, .. } if source.is_rejection() => FailureClass::Rejected,
            Self::Payload { .. } | Self::Usage(_) | Self::Io { .. } => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DeltaError + '_ {
    move |source| DeltaError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a whole file, refusing anything larger than `max` bytes.
///
/// # Errors
/// [`DeltaError::Io`] or [`DeltaError::TooLarge`].
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, DeltaError> {
    let meta = fs::metadata(path).map_err(io(path))?;
    if meta.len() > max {
        return Err(DeltaError::TooLarge {
            what: path.display().to_string(),
            found: meta.len(),
            max,
        });
    }
    fs::read(path).map_err(io(path))
}

fn digests(data: &[u8]) -> ArtifactDigests {
    let mut h = DualHasher::new();
    h.update(data);
    h.finish().into()
}

/// What `create` needs besides the two artifacts.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// Attestation files to ship: (file name, bytes).
    pub attestations: Vec<(String, Vec<u8>)>,
    /// The policy to score with.
    pub policy: Policy,
}

/// A delta in memory, ready to be written.
#[derive(Debug, Clone)]
pub struct CreatedDelta {
    /// The manifest.
    pub manifest: DeltaManifest,
    /// Canonical manifest bytes.
    pub manifest_bytes: Vec<u8>,
    /// `delta.bin`.
    pub payload: Vec<u8>,
    /// `reverse.bin`.
    pub reverse: Vec<u8>,
    /// `attestations/<name>` files.
    pub attestations: Vec<(String, Vec<u8>)>,
}

/// Summarizes an op stream (spec §6.4).
#[must_use]
pub fn summarize(
    ops: &[Op],
    add: &[u8],
    base: &[u8],
    target_size: u64,
    payload_size: u64,
    add_z: u64,
) -> OpsSummary {
    let mut s = OpsSummary {
        copy_ops: 0,
        add_ops: 0,
        add_diff_ops: 0,
        copy_bytes: 0,
        add_bytes: 0,
        add_diff_bytes: 0,
        add_diff_changed_bytes: 0,
        add_compressed_bytes: add_z,
        copy_ratio_permille: 0,
        add_entropy_millibits: 0,
        payload_ratio_permille: 0,
    };
    let mut hist = [0u64; 256];
    let mut a = 0usize;
    for op in ops {
        match *op {
            Op::Copy { len, .. } => {
                s.copy_ops += 1;
                s.copy_bytes += len;
            }
            Op::Add { len } => {
                s.add_ops += 1;
                s.add_bytes += len;
                for &b in &add[a..a + len as usize] {
                    hist[b as usize] += 1;
                }
                a += len as usize;
            }
            Op::AddDiff { offset, len } => {
                s.add_diff_ops += 1;
                s.add_diff_bytes += len;
                for (k, &d) in add[a..a + len as usize].iter().enumerate() {
                    if d != 0 {
                        s.add_diff_changed_bytes += 1;
                        hist[base[offset as usize + k].wrapping_add(d) as usize] += 1;
                    }
                }
                a += len as usize;
            }
        }
    }
    let new_bytes = s.add_bytes + s.add_diff_changed_bytes;
    s.copy_ratio_permille = ((target_size - new_bytes.min(target_size)) * 1000)
        .checked_div(target_size)
        .unwrap_or(0);
    s.payload_ratio_permille = (payload_size * 1000).checked_div(target_size).unwrap_or(0);
    s.add_entropy_millibits = entropy_millibits(&hist);
    s
}

/// Shannon entropy of a byte histogram in thousandths of a bit per byte (0..=8000).
#[must_use]
pub fn entropy_millibits(hist: &[u64; 256]) -> u64 {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 0;
    }
    let t = total as f64;
    let h: f64 = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / t;
            -p * p.log2()
        })
        .sum();
    (h * 1000.0).round() as u64
}

/// The forward payload and what it was computed over.
struct Forward {
    bin: Vec<u8>,
    stream: ops::OpStream,
    /// The expansion, when the target has streams a recipe reproduces.
    expansion: Option<Expansion>,
    /// The base the ops refer to (the expanded base, or the base).
    op_base: Option<Vec<u8>>,
    /// Bytes the ops produce.
    op_target_size: u64,
}

/// Builds the forward payload: over the expanded artifacts (spec §5.5) when at least one of the
/// target's compressed streams is reproduced by a recipe, else over the artifacts' bytes.
///
/// Both artifacts' streams are decoded once, on parallel threads. Proving a recipe costs a full
/// re-compression, so the payload is computed meanwhile, over the target expanded as if every
/// decoded stream had a recipe; if one has none, it is computed again over the real plan. The
/// payload is a function of the expanded artifacts only, so it is the same either way.
fn build_forward(base: &[u8], target: &[u8]) -> Result<Forward, DeltaError> {
    let err = |source| DeltaError::Payload {
        file: PAYLOAD_FILE,
        source,
    };
    let over = |b: &[u8], t: &[u8]| -> Result<(ops::OpStream, Vec<u8>), DeltaError> {
        let stream = ops::diff(b, t);
        let bin = payload::encode(b, t, &stream.ops, &stream.add).map_err(err)?;
        Ok((stream, bin))
    };
    let raw = || -> Result<Forward, DeltaError> {
        let (stream, bin) = over(base, target)?;
        Ok(Forward {
            bin,
            stream,
            expansion: None,
            op_base: None,
            op_target_size: target.len() as u64,
        })
    };
    let (decoded, (base_streams, expanded_base)) = std::thread::scope(|s| {
        let b = s.spawn(|| expand::expand_base(base));
        let t = expand::DecodedTarget::new(target);
        (t, b.join().expect("base expansion does not panic"))
    });
    // No target stream decodes: none can have a recipe, so there is no expansion.
    let Some(eb) = expanded_base.filter(|_| decoded.any_decoded()) else {
        return raw();
    };
    let (recipes, guessed) = std::thread::scope(|s| {
        let guessed = s.spawn(|| over(&eb, &decoded.expanded));
        let recipes = decoded.search(target);
        (
            recipes,
            guessed.join().expect("payload worker does not panic"),
        )
    });
    let guessed_right = decoded.covers(&recipes);
    let plan = decoded.into_plan(target, recipes);
    if plan.streams.is_empty() {
        return raw();
    }
    let et = &plan.expanded;
    let (stream, bin) = if guessed_right {
        guessed?
    } else {
        drop(guessed);
        over(&eb, et)?
    };
    let expansion = Expansion {
        base: digests(&eb),
        target: digests(et),
        base_streams,
        target_streams: plan.streams,
        kept_streams: plan
            .kept
            .into_iter()
            .map(|k| KeptStream {
                offset: k.offset as u64,
                len: k.len as u64,
                codec: k.codec.into(),
                member: k.name,
            })
            .collect(),
    };
    Ok(Forward {
        bin,
        stream,
        expansion: Some(expansion),
        op_target_size: et.len() as u64,
        op_base: Some(eb),
    })
}

/// Creates a delta from `base` to `target`.
///
/// # Errors
/// [`DeltaError`] if an input is too large or compression fails.
pub fn create(
    base: &[u8],
    target: &[u8],
    opts: &CreateOptions,
) -> Result<CreatedDelta, DeltaError> {
    for (what, data) in [("base", base), ("target", target)] {
        if data.len() as u64 > MAX_ARTIFACT_BYTES {
            return Err(DeltaError::TooLarge {
                what: what.into(),
                found: data.len() as u64,
                max: MAX_ARTIFACT_BYTES,
            });
        }
    }
    if opts.attestations.len() > MAX_ATTESTATIONS {
        return Err(DeltaError::Usage(format!(
            "at most {MAX_ATTESTATIONS} attestations, found {}",
            opts.attestations.len()
        )));
    }
    // The forward payload, the reverse payload (for rollback) and the analysis are independent:
    // they run on three threads. Each is deterministic, so the result does not depend on it.
    let (forward, reverse, (base_chunks, target_chunks, analysis)) = std::thread::scope(|s| {
        let forward = s.spawn(|| build_forward(base, target));
        let reverse = s.spawn(|| {
            let rev = ops::diff(target, base);
            payload::encode_at(
                target,
                base,
                &rev.ops,
                &rev.add,
                payload::REVERSE_ZSTD_LEVEL,
            )
            .map_err(|source| DeltaError::Payload {
                file: REVERSE_PAYLOAD_FILE,
                source,
            })
        });
        let rest = (
            chunk::chunk(base),
            chunk::chunk(target),
            analyze::analyze(base, target),
        );
        (
            forward.join().expect("payload worker does not panic"),
            reverse
                .join()
                .expect("reverse payload worker does not panic"),
            rest,
        )
    });
    let Forward {
        bin: payload_bin,
        stream,
        expansion,
        op_base,
        op_target_size,
    } = forward?;
    let reverse_bin = reverse?;
    let header = payload::parse_header(&payload_bin, &Limits::default()).map_err(|source| {
        DeltaError::Payload {
            file: PAYLOAD_FILE,
            source,
        }
    })?;
    let mut summary = summarize(
        &stream.ops,
        &stream.add,
        op_base.as_deref().unwrap_or(base),
        op_target_size,
        payload_bin.len() as u64,
        header.add_compressed_bytes,
    );
    // The payload is measured against the real target, expanded or not.
    summary.payload_ratio_permille = (payload_bin.len() as u64 * 1000)
        .checked_div(target.len() as u64)
        .unwrap_or(0);

    let base_ids: std::collections::BTreeSet<Digest> =
        base_chunks.iter().map(|c| c.sha256).collect();
    let leaves: Vec<merkle::Hash> = target_chunks
        .iter()
        .map(|c| merkle::leaf_hash(c.sha256.as_bytes()))
        .collect();
    let changed: Vec<ChangedChunk> = target_chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| !base_ids.contains(&c.sha256))
        .take(MAX_CHANGED_CHUNKS)
        .map(|(i, c)| ChangedChunk {
            index: i as u64,
            chunk: c.clone(),
        })
        .collect();
    let indices: Vec<usize> = changed.iter().map(|c| c.index as usize).collect();
    let proof = merkle::multi_proof(&leaves, &indices);

    let mut atts = Vec::new();
    let mut files = Vec::new();
    let target_digests = digests(target);
    for (i, (name, bytes)) in opts.attestations.iter().enumerate() {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = format!("{i:02}-{safe}");
        let r =
            analyze::describe_attestation(&format!("attestations/{file}"), bytes, &target_digests);
        atts.push(r);
        files.push((file, bytes.clone()));
    }
    let mut materials = analysis.materials_delta.clone();
    analyze::add_provenance_materials(&mut materials, &opts.attestations);
    let inputs = score::inputs_at_creation(
        &summary,
        &materials,
        &analysis.functions_changed,
        &atts,
        &[],
    );
    let risk = score::score(&inputs, &opts.policy);

    let manifest = DeltaManifest {
        format: MANIFEST_FORMAT.into(),
        artifact_type: analysis.artifact_type.clone(),
        base: digests(base),
        target: target_digests,
        payload: digests(&payload_bin),
        reverse_payload: digests(&reverse_bin),
        chunking: Chunking {
            algorithm: CHUNKING_ALGORITHM.into(),
            min_size: MIN_CHUNK_BYTES as u64,
            avg_size: AVG_CHUNK_BYTES as u64,
            max_size: MAX_CHUNK_BYTES as u64,
            normalization: NORMALIZATION_LEVEL,
            base_chunks: base_chunks.len() as u64,
            target_chunks: target_chunks.len() as u64,
        },
        chunk_tree: ChunkTree {
            hash: "rfc6962-sha256".into(),
            leaf_count: leaves.len() as u64,
            root: hex::encode(merkle::root(&leaves)),
            changed_proof: proof.iter().map(hex::encode).collect(),
        },
        changed_chunks: changed,
        ops_summary: summary,
        sections: analysis.sections,
        functions_changed: analysis.functions_changed,
        container: analysis.container,
        materials_delta: materials,
        attestations: atts,
        score_inputs: inputs,
        delta_risk: risk,
        expansion,
    };
    let manifest_bytes =
        to_canonical_vec(&manifest).map_err(|e| DeltaError::ManifestInvalid(e.to_string()))?;
    Ok(CreatedDelta {
        manifest,
        manifest_bytes,
        payload: payload_bin,
        reverse: reverse_bin,
        attestations: files,
    })
}

/// Writes `delta` into a new directory `out` (built beside it, then renamed into place).
///
/// # Errors
/// [`DeltaError::Io`], or [`DeltaError::Usage`] if `out` already exists.
pub fn write_dir(out: &Path, delta: &CreatedDelta) -> Result<(), DeltaError> {
    if out.exists() {
        return Err(DeltaError::Usage(format!(
            "{}: already exists; refusing to overwrite",
            out.display()
        )));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".airlock-delta-")
        .tempdir_in(parent)
        .map_err(io(parent))?;
    // Every file is written first, then all are made durable at once (one thread each, so the
    // file system can commit them together) before the directory is renamed into place.
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), DeltaError> {
        let p = tmp.path().join(name);
        let mut f = fs::File::create(&p).map_err(io(&p))?;
        f.write_all(bytes).map_err(io(&p))?;
        written.push((p, f));
        Ok(())
    };
    put(MANIFEST_FILE, &delta.manifest_bytes)?;
    put(PAYLOAD_FILE, &delta.payload)?;
    put(REVERSE_PAYLOAD_FILE, &delta.reverse)?;
    if !delta.attestations.is_empty() {
        let d = tmp.path().join("attestations");
        fs::create_dir(&d).map_err(io(&d))?;
        for (name, bytes) in &delta.attestations {
            put(&format!("attestations/{name}"), bytes)?;
        }
    }
    std::thread::scope(|s| {
        let syncs: Vec<_> = written
            .iter()
            .map(|(p, f)| (p, s.spawn(|| f.sync_all())))
            .collect();
        syncs.into_iter().try_for_each(|(p, h)| {
            h.join()
                .expect("fsync does not panic")
                .map_err(io(p.as_path()))
        })
    })?;
    let kept = tmp.keep();
    fs::rename(&kept, out).map_err(|source| {
        let _ = fs::remove_dir_all(&kept);
        DeltaError::Io {
            path: out.to_owned(),
            source,
        }
    })
}

/// A delta directory whose manifest and payload files have been read and checked for
/// consistency (digests, canonical form), but not yet applied.
#[derive(Debug, Clone)]
pub struct LoadedDelta {
    /// The directory.
    pub dir: PathBuf,
    /// The parsed manifest.
    pub manifest: DeltaManifest,
    /// `delta.bin` bytes.
    pub payload: Vec<u8>,
}

/// Reads a delta directory's manifest (bounded, canonical, known format) and its forward
/// payload (bounded; checked by [`reconstruct`]) (spec §9).
///
/// # Errors
/// [`DeltaError::ManifestInvalid`], [`DeltaError::FileDigestMismatch`], I/O errors.
pub fn load_dir(dir: &Path) -> Result<LoadedDelta, DeltaError> {
    let mpath = dir.join(MANIFEST_FILE);
    let bytes = read_bounded(&mpath, MAX_MANIFEST_BYTES)?;
    let manifest: DeltaManifest =
        from_canonical_slice(&bytes).map_err(|e| DeltaError::ManifestInvalid(e.to_string()))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(DeltaError::ManifestInvalid(format!(
            "format {:?}, expected {MANIFEST_FORMAT:?}",
            manifest.format
        )));
    }
    // The payload's digest is compared after its structure has been checked (see
    // [`reconstruct`]), so each kind of damage is reported with its own code.
    let payload = read_bounded(
        &dir.join(PAYLOAD_FILE),
        manifest.payload.size.saturating_add(1 << 20),
    )?;
    Ok(LoadedDelta {
        dir: dir.to_owned(),
        manifest,
        payload,
    })
}

/// Reads `dir/name`, bounded by and checked against `expected`.
///
/// # Errors
/// [`DeltaError::FileDigestMismatch`] or I/O.
pub fn read_file_checked(
    dir: &Path,
    name: &str,
    expected: &ArtifactDigests,
) -> Result<Vec<u8>, DeltaError> {
    let path = dir.join(name);
    let bytes = read_bounded(&path, expected.size.max(1).saturating_add(1 << 20))?;
    let found = digests(&bytes);
    if found.sha256 != expected.sha256 || found.size != expected.size {
        return Err(DeltaError::FileDigestMismatch {
            file: name.into(),
            expected: expected.sha256.to_string(),
            found: found.sha256.to_string(),
        });
    }
    Ok(bytes)
}

/// Checks the payload header against the manifest (sizes and digests must agree).
fn check_header_against(
    file: &'static str,
    h: &payload::Header,
    from: &ArtifactDigests,
    to: &ArtifactDigests,
) -> Result<(), DeltaError> {
    if h.base_size != from.size
        || h.base_sha256 != *from.sha256.as_bytes()
        || h.target_size != to.size
        || h.target_sha256 != *to.sha256.as_bytes()
    {
        return Err(DeltaError::ManifestMismatch(format!(
            "{file} header names base {}/{} bytes and target {}/{} bytes, manifest names {} and {}",
            hex::encode(h.base_sha256),
            h.base_size,
            hex::encode(h.target_sha256),
            h.target_size,
            from.sha256,
            to.sha256
        )));
    }
    Ok(())
}

/// The result of checking a payload against a base without writing anything.
#[derive(Debug, Clone)]
pub struct Reconstructed {
    /// The reconstructed artifact (already checked against the manifest digest).
    pub bytes: Vec<u8>,
    /// The ops that produced it.
    pub ops: Vec<Op>,
}

/// Checks `from_bytes` against `from` (size, then SHA-256 — for a large base on another thread
/// while `work` runs) and returns `work`'s result only if the base matches: a wrong base is
/// reported as [`DeltaError::BaseMismatch`] whatever `work` found. `work` only runs once the
/// size matched.
fn with_base_checked<T>(
    from_bytes: &[u8],
    from: &ArtifactDigests,
    work: impl FnOnce() -> Result<T, DeltaError> + Send,
) -> Result<T, DeltaError>
where
    T: Send,
{
    let mismatch = |found: Digest| DeltaError::BaseMismatch {
        expected: from.sha256.to_string(),
        found: found.to_string(),
    };
    if from_bytes.len() as u64 != from.size {
        return Err(mismatch(Digest::sha256(from_bytes)));
    }
    let (found, result) = if from_bytes.len() < PARALLEL_HASH_MIN {
        let found = Digest::sha256(from_bytes);
        (found, (found == from.sha256).then(work))
    } else {
        std::thread::scope(|s| {
            let h = s.spawn(|| Digest::sha256(from_bytes));
            let result = work();
            (h.join().expect("base hashing does not panic"), Some(result))
        })
    };
    match result {
        Some(result) if found == from.sha256 => result,
        _ => Err(mismatch(found)),
    }
}

/// Below this many bytes a digest is computed in line: a thread costs more than it saves (and
/// may wait for a core on a busy machine).
const PARALLEL_HASH_MIN: usize = 1 << 20;

/// Parses `payload_bytes` (checked against the manifest's header view and `expected_payload`)
/// and replays it over `from_bytes`, whose size the caller has checked. The result is not yet
/// checked against the target.
fn replay_checked(
    file: &'static str,
    payload_bytes: &[u8],
    expected_payload: &ArtifactDigests,
    from_bytes: &[u8],
    from: &ArtifactDigests,
    to: &ArtifactDigests,
    limits: &Limits,
) -> Result<(Vec<u8>, Vec<Op>), DeltaError> {
    let header = payload::parse_header(payload_bytes, limits)
        .map_err(|source| DeltaError::Payload { file, source })?;
    check_header_against(file, &header, from, to)?;
    let parsed = payload::parse(payload_bytes, from.size, from.sha256.as_bytes(), limits)
        .map_err(|source| DeltaError::Payload { file, source })?;
    let pd = digests(payload_bytes);
    if pd != *expected_payload {
        return Err(DeltaError::FileDigestMismatch {
            file: file.into(),
            expected: expected_payload.sha256.to_string(),
            found: pd.sha256.to_string(),
        });
    }
    // The one digest pass over the result (SHA-256 and BLAKE3 together) is the caller's.
    let bytes = payload::replay(from_bytes, &parsed)
        .map_err(|source| DeltaError::Payload { file, source })?;
    Ok((bytes, parsed.ops))
}

/// Applies a payload to `from`, checking the header against the manifest, every op against
/// the limits, and the result against `to` (SHA-256 and BLAKE3, in one pass).
///
/// # Errors
/// [`DeltaError`] with the specific payload code.
pub fn reconstruct(
    file: &'static str,
    payload_bytes: &[u8],
    expected_payload: &ArtifactDigests,
    from_bytes: &[u8],
    from: &ArtifactDigests,
    to: &ArtifactDigests,
    limits: &Limits,
) -> Result<Reconstructed, DeltaError> {
    let (bytes, ops) = with_base_checked(from_bytes, from, || {
        replay_checked(
            file,
            payload_bytes,
            expected_payload,
            from_bytes,
            from,
            to,
            limits,
        )
    })?;
    let got = digests(&bytes);
    if got != *to {
        return Err(DeltaError::Payload {
            file,
            source: PayloadError::TargetMismatch {
                expected: to.sha256.to_string(),
                found: got.sha256.to_string(),
            },
        });
    }
    Ok(Reconstructed { bytes, ops })
}

/// Applies the forward payload of `m` to `base`: directly, or — with an expansion (spec §5.5) —
/// to the expanded base, then packs the expanded target with the recipes; either way the result
/// must hash to the manifest's target (SHA-256 and BLAKE3) or nothing is returned.
///
/// The base is hashed while it is expanded, the expanded base while the payload is replayed, and
/// the expanded target while it is packed (2 cores); the checks and their order of precedence
/// are those of doing it one after the other.
///
/// # Errors
/// As [`reconstruct`]; a stream that does not decode [`DeltaError::ManifestMismatch`]; a
/// recipe that does not reproduce its stream `delta-target-mismatch`.
pub fn reconstruct_target(
    payload_bytes: &[u8],
    m: &DeltaManifest,
    base: &[u8],
    limits: &Limits,
) -> Result<Reconstructed, DeltaError> {
    let Some(x) = &m.expansion else {
        return reconstruct(
            PAYLOAD_FILE,
            payload_bytes,
            &m.payload,
            base,
            &m.base,
            &m.target,
            limits,
        );
    };
    let eb = with_base_checked(base, &m.base, || {
        expand::expand(base, &x.base_streams).ok_or_else(|| {
            DeltaError::ManifestMismatch(
                "expansion.base_streams: a stream is out of order, out of range or does not decode from the base".into(),
            )
        })
    })?;
    let (expanded, ops) = with_base_checked(&eb, &x.base, || {
        replay_checked(
            PAYLOAD_FILE,
            payload_bytes,
            &m.payload,
            &eb,
            &x.base,
            &x.target,
            limits,
        )
    })?;
    drop(eb);
    let mismatch = |expected: &Digest, found: String| DeltaError::Payload {
        file: PAYLOAD_FILE,
        source: PayloadError::TargetMismatch {
            expected: expected.to_string(),
            found,
        },
    };
    let (got, packed) = if expanded.len() < PARALLEL_HASH_MIN {
        let got = digests(&expanded);
        let packed = (got == x.target).then(|| expand::pack(&expanded, &x.target_streams));
        (got, packed)
    } else {
        std::thread::scope(|s| {
            let h = s.spawn(|| digests(&expanded));
            let packed = expand::pack(&expanded, &x.target_streams);
            (
                h.join().expect("target hashing does not panic"),
                Some(packed),
            )
        })
    };
    let Some(packed) = packed.filter(|_| got == x.target) else {
        return Err(mismatch(&x.target.sha256, got.sha256.to_string()));
    };
    let bytes = packed.map_err(|e| mismatch(&m.target.sha256, e))?;
    let got = digests(&bytes);
    if got != m.target {
        return Err(mismatch(&m.target.sha256, got.sha256.to_string()));
    }
    Ok(Reconstructed { bytes, ops })
}

/// Checks the manifest's chunk view against the reconstructed target: the chunk tree root,
/// the changed-chunk list and its multi-proof.
///
/// # Errors
/// [`DeltaError::ManifestMismatch`] naming the first disagreement.
pub fn check_chunks(m: &DeltaManifest, target: &[u8]) -> Result<(), DeltaError> {
    let chunks = chunk::chunk(target);
    let leaves: Vec<merkle::Hash> = chunks
        .iter()
        .map(|c| merkle::leaf_hash(c.sha256.as_bytes()))
        .collect();
    let root = hex::encode(merkle::root(&leaves));
    if root != m.chunk_tree.root || leaves.len() as u64 != m.chunk_tree.leaf_count {
        return Err(DeltaError::ManifestMismatch(format!(
            "chunk_tree: root {} over {} leaves, recomputed {root} over {}",
            m.chunk_tree.root,
            m.chunk_tree.leaf_count,
            leaves.len()
        )));
    }
    let mut set = Vec::new();
    for c in &m.changed_chunks {
        let i = c.index as usize;
        if chunks.get(i) != Some(&c.chunk) {
            return Err(DeltaError::ManifestMismatch(format!(
                "changed_chunks[{i}] does not match the target's chunk {i}"
            )));
        }
        set.push((i, leaves[i]));
    }
    let proof: Vec<merkle::Hash> = m
        .chunk_tree
        .changed_proof
        .iter()
        .map(|h| hex::decode(h).ok().and_then(|v| v.try_into().ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            DeltaError::ManifestMismatch("chunk_tree.changed_proof: not 32-byte hex hashes".into())
        })?;
    let expected: merkle::Hash = merkle::root(&leaves);
    merkle::verify_multi_proof(leaves.len(), &set, &proof, &expected)
        .map_err(|e| DeltaError::ManifestMismatch(format!("chunk_tree.changed_proof: {e}")))
}

/// Writes `bytes` to `out` atomically (temp file in the same directory, fsync, rename).
///
/// # Errors
/// [`DeltaError::Io`].
pub fn write_atomic(out: &Path, bytes: &[u8]) -> Result<(), DeltaError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io(parent))?;
    tmp.write_all(bytes).map_err(io(out))?;
    tmp.as_file().sync_all().map_err(io(out))?;
    tmp.persist(out).map_err(|e| DeltaError::Io {
        path: out.to_owned(),
        source: e.error,
    })?;
    Ok(())
}
