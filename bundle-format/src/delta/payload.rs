//! `delta.bin`: the delta payload (spec `delta-format.md` §5). A fixed header, the op stream
//! (tag bytes and LEB128 varints), then the ADD data as one zstd frame compressed with the base
//! artifact as reference prefix.
//!
//! The reader is bounded: every count and size the file declares is checked against
//! [`Limits`] and against the real file size before anything is allocated, COPY ranges must lie
//! inside the base, the op stream must be canonical, and the output must hash to the target digest.

use sha2::{Digest as _, Sha256};

/// The eight magic bytes that open every `delta.bin`.
pub const MAGIC: [u8; 8] = *b"ALDELTA\0";
/// The payload format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Header length in bytes (spec §5.1).
pub const HEADER_BYTES: usize = 192;
/// Compression id for "zstd frame, base as reference prefix".
pub const COMPRESSION_ZSTD_REF_PREFIX: u8 = 1;
/// zstd compression level for ADD data (spec §5.4).
pub const ZSTD_LEVEL: i32 = 19;
/// zstd compression level for the reverse payload's ADD data (spec §5.4, §10): rollback is rare,
/// so `create` spends its time on the forward payload.
pub const REVERSE_ZSTD_LEVEL: i32 = 9;
/// Smallest zstd window log written (spec §5.4).
pub const MIN_WINDOW_LOG: u32 = 20;
/// Largest zstd window log written or accepted (spec §5.4): 2 GiB.
pub const MAX_WINDOW_LOG: u32 = 31;

const TAG_COPY: u8 = 0;
const TAG_ADD: u8 = 1;
const TAG_ADD_DIFF: u8 = 2;

/// One operation; applied in order they produce the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Copy `len` bytes of the base starting at `offset`.
    Copy {
        /// Base offset.
        offset: u64,
        /// Bytes to copy (at least 1).
        len: u64,
    },
    /// Append the next `len` bytes of the ADD data.
    Add {
        /// Bytes to take (at least 1).
        len: u64,
    },
    /// Append `len` bytes, each the next ADD byte plus (mod 256) the base byte at the same
    /// position of `offset..offset+len` (bsdiff-style "approximate copy").
    AddDiff {
        /// Base offset.
        offset: u64,
        /// Bytes (at least 1).
        len: u64,
    },
}

impl Op {
    /// Output bytes this op produces.
    #[must_use]
    pub fn output_len(&self) -> u64 {
        match *self {
            Op::Copy { len, .. } | Op::Add { len } | Op::AddDiff { len, .. } => len,
        }
    }

    /// ADD bytes this op consumes.
    #[must_use]
    pub fn add_len(&self) -> u64 {
        match *self {
            Op::Copy { .. } => 0,
            Op::Add { len } | Op::AddDiff { len, .. } => len,
        }
    }
}

/// Caps on everything a payload declares (spec §7). Defaults are documented per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most ops in one payload (default 16 Mi).
    pub max_ops: u64,
    /// Most raw ADD bytes (default 1 GiB).
    pub max_add_bytes: u64,
    /// Largest target the payload may produce (default 4 GiB).
    pub max_target_bytes: u64,
    /// Largest zstd window log accepted (default 31).
    pub max_window_log: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_ops: 16 << 20,
            max_add_bytes: 1 << 30,
            max_target_bytes: 4 << 30,
            max_window_log: MAX_WINDOW_LOG,
        }
    }
}

/// The fixed header of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version.
    pub version: u16,
    /// zstd window log used for the ADD frame.
    pub window_log: u32,
    /// Size of the base artifact.
    pub base_size: u64,
    /// Size of the target artifact.
    pub target_size: u64,
    /// Number of ops.
    pub op_count: u64,
    /// Bytes in the op stream.
    pub ops_bytes: u64,
    /// Raw (uncompressed) ADD bytes.
    pub add_bytes: u64,
    /// Compressed ADD bytes.
    pub add_compressed_bytes: u64,
    /// SHA-256 of the base.
    pub base_sha256: [u8; 32],
    /// SHA-256 of the target.
    pub target_sha256: [u8; 32],
    /// SHA-256 of the op stream bytes.
    pub ops_sha256: [u8; 32],
    /// SHA-256 of the compressed ADD bytes.
    pub add_sha256: [u8; 32],
}

/// Why a payload was refused or could not be built. Each variant has its own stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The file does not start with the magic bytes.
    #[error("delta.bin: not a delta payload (bad magic bytes)")]
    BadMagic,
    /// A version this reader does not know.
    #[error("delta.bin: unsupported format version {found}, expected {VERSION}")]
    UnsupportedVersion {
        /// The version found.
        found: u16,
    },
    /// The header is malformed (unknown compression, reserved bytes set, window out of range).
    #[error("delta.bin header: {0}")]
    BadHeader(String),
    /// File shorter or longer than the header declares.
    #[error("delta.bin: header declares {expected} bytes in total, file has {found}")]
    SizeMismatch {
        /// Bytes the header accounts for.
        expected: u64,
        /// Bytes in the file.
        found: u64,
    },
    /// The base given is not the one the payload was made against.
    #[error(
        "base: payload expects {expected} ({expected_size} bytes), found {found} ({found_size} bytes)"
    )]
    BaseMismatch {
        /// Expected base sha256 (hex).
        expected: String,
        /// Expected base size.
        expected_size: u64,
        /// Found base sha256 (hex).
        found: String,
        /// Found base size.
        found_size: u64,
    },
    /// The op stream's bytes do not match their digest in the header.
    #[error("delta.bin op stream: sha256 {found} does not match the header's {expected}")]
    OpsDigestMismatch {
        /// From the header.
        expected: String,
        /// Computed.
        found: String,
    },
    /// The op stream is not a canonical sequence of ops.
    #[error("delta.bin op stream at byte {offset}: {reason}")]
    BadOpStream {
        /// Offset inside the op stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Too many ops.
    #[error("delta.bin: {found} ops exceed the limit of {max}")]
    TooManyOps {
        /// Declared.
        found: u64,
        /// Limit.
        max: u64,
    },
    /// A COPY (or ADD_DIFF) range outside the base.
    #[error(
        "delta.bin op {index}: base range {offset}..{end} lies outside the base of {base_size} bytes"
    )]
    CopyOutOfRange {
        /// Op index.
        index: u64,
        /// Start.
        offset: u64,
        /// End (exclusive, saturating).
        end: u64,
        /// Base size.
        base_size: u64,
    },
    /// ADD data larger than allowed or than declared.
    #[error("delta.bin: ADD data of {found} bytes exceeds {max} bytes")]
    AddTooLarge {
        /// Found (declared or summed).
        found: u64,
        /// Cap.
        max: u64,
    },
    /// The output would be larger than allowed.
    #[error("delta.bin: output of {found} bytes exceeds the limit of {max} bytes")]
    OutputTooLarge {
        /// Found.
        found: u64,
        /// Cap.
        max: u64,
    },
    /// The ops do not add up to the header's sizes.
    #[error("delta.bin: ops produce {found} {what}, header declares {expected}")]
    CountMismatch {
        /// Which count.
        what: &'static str,
        /// Declared.
        expected: u64,
        /// Computed.
        found: u64,
    },
    /// The compressed ADD bytes do not match their digest in the header.
    #[error("delta.bin ADD data: sha256 {found} does not match the header's {expected}")]
    AddDigestMismatch {
        /// From the header.
        expected: String,
        /// Computed.
        found: String,
    },
    /// The ADD frame does not decompress to the declared bytes.
    #[error("delta.bin ADD data: {0}")]
    AddCorrupt(String),
    /// The reconstructed output does not hash to the target digest.
    #[error("reconstructed target: sha256 {found} does not match the expected {expected}")]
    TargetMismatch {
        /// Expected hex.
        expected: String,
        /// Computed hex.
        found: String,
    },
    /// zstd failed while writing.
    #[error("zstd compression failed: {0}")]
    Compress(String),
}

impl PayloadError {
    /// The stable kebab-case code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic => "delta-bad-magic",
            Self::UnsupportedVersion { .. } => "delta-unsupported-version",
            Self::BadHeader(_) => "delta-bad-header",
            Self::SizeMismatch { .. } => "delta-size-mismatch",
            Self::BaseMismatch { .. } => "delta-base-mismatch",
            Self::OpsDigestMismatch { .. } => "delta-ops-digest-mismatch",
            Self::BadOpStream { .. } => "delta-op-stream-invalid",
            Self::TooManyOps { .. } => "delta-too-many-ops",
            Self::CopyOutOfRange { .. } => "delta-copy-out-of-range",
            Self::AddTooLarge { .. } => "delta-add-too-large",
            Self::OutputTooLarge { .. } => "delta-output-too-large",
            Self::CountMismatch { .. } => "delta-count-mismatch",
            Self::AddDigestMismatch { .. } => "delta-add-digest-mismatch",
            Self::AddCorrupt(_) => "delta-add-data-corrupt",
            Self::TargetMismatch { .. } => "delta-target-mismatch",
            Self::Compress(_) => "delta-compress-failed",
        }
    }

    /// Whether the failure is a rejection of the input (true) or an inability to run (false).
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Self::Compress(_))
    }
}

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The zstd window log for a base and target of these sizes (spec §5.4): the smallest power of
/// two covering both, at least [`MIN_WINDOW_LOG`], at most [`MAX_WINDOW_LOG`].
#[must_use]
pub fn window_log_for(base_size: u64, target_size: u64) -> u32 {
    let need = base_size.saturating_add(target_size).max(1);
    let log = 64 - (need - 1).leading_zeros();
    log.clamp(MIN_WINDOW_LOG, MAX_WINDOW_LOG)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i128) -> u64 {
    let v = v as i64;
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Encodes the op stream (spec §5.2).
#[must_use]
pub fn encode_ops(ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ops.len() * 6);
    let mut prev_end: u64 = 0;
    for op in ops {
        match *op {
            Op::Copy { offset, len } | Op::AddDiff { offset, len } => {
                out.push(if matches!(op, Op::Copy { .. }) {
                    TAG_COPY
                } else {
                    TAG_ADD_DIFF
                });
                put_varint(&mut out, zigzag(i128::from(offset) - i128::from(prev_end)));
                put_varint(&mut out, len);
                prev_end = offset + len;
            }
            Op::Add { len } => {
                out.push(TAG_ADD);
                put_varint(&mut out, len);
            }
        }
    }
    out
}

/// Least ADD bytes, as a fraction 1/`PREFIX_MIN_SHARE` of the base, for which the encoder
/// references the base (spec §5.4): below it, indexing the whole base at level 19 costs far more
/// time than the few matches it can add to ADD data that the matcher already found unmatched.
pub const PREFIX_MIN_SHARE: usize = 16;

/// Compresses ADD data with the base as reference prefix (spec §5.4) — when the ADD data is at
/// least 1/[`PREFIX_MIN_SHARE`] of the base; smaller ADD data is compressed alone. Either frame
/// decodes the same with the base set as prefix: a frame that never references its prefix does
/// not depend on it.
///
/// # Errors
/// [`PayloadError::Compress`] if zstd fails.
pub fn compress_add(
    base: &[u8],
    add: &[u8],
    window_log: u32,
    level: i32,
) -> Result<Vec<u8>, PayloadError> {
    use zstd::zstd_safe::{CCtx, CParameter};
    let err = |e: usize| PayloadError::Compress(zstd::zstd_safe::get_error_name(e).to_owned());
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::CompressionLevel(level))
        .map_err(err)?;
    cctx.set_parameter(CParameter::WindowLog(window_log))
        .map_err(err)?;
    cctx.set_parameter(CParameter::EnableLongDistanceMatching(true))
        .map_err(err)?;
    cctx.set_parameter(CParameter::ChecksumFlag(true))
        .map_err(err)?;
    cctx.set_parameter(CParameter::ContentSizeFlag(true))
        .map_err(err)?;
    if add.len().saturating_mul(PREFIX_MIN_SHARE) >= base.len() {
        cctx.ref_prefix(base).map_err(err)?;
    }
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(add.len()));
    cctx.compress2(&mut out, add).map_err(err)?;
    Ok(out)
}

/// Builds a complete payload from `ops` and the raw ADD bytes they consume, ADD data at
/// [`ZSTD_LEVEL`].
///
/// # Errors
/// [`PayloadError::Compress`] if zstd fails.
pub fn encode(base: &[u8], target: &[u8], ops: &[Op], add: &[u8]) -> Result<Vec<u8>, PayloadError> {
    encode_at(base, target, ops, add, ZSTD_LEVEL)
}

/// [`encode`] with the ADD data compressed at zstd `level` (the reverse payload uses
/// [`REVERSE_ZSTD_LEVEL`]); decoding does not depend on the level.
///
/// # Errors
/// [`PayloadError::Compress`] if zstd fails.
pub fn encode_at(
    base: &[u8],
    target: &[u8],
    ops: &[Op],
    add: &[u8],
    level: i32,
) -> Result<Vec<u8>, PayloadError> {
    let window_log = window_log_for(base.len() as u64, target.len() as u64);
    let ops_bytes = encode_ops(ops);
    let add_z = compress_add(base, add, window_log, level)?;
    let header = Header {
        version: VERSION,
        window_log,
        base_size: base.len() as u64,
        target_size: target.len() as u64,
        op_count: ops.len() as u64,
        ops_bytes: ops_bytes.len() as u64,
        add_bytes: add.len() as u64,
        add_compressed_bytes: add_z.len() as u64,
        base_sha256: sha(base),
        target_sha256: sha(target),
        ops_sha256: sha(&ops_bytes),
        add_sha256: sha(&add_z),
    };
    Ok(assemble(&header, &ops_bytes, &add_z))
}

/// Serializes a header followed by the two sections. Used by [`encode`] and by tests that
/// build deliberately malformed payloads.
#[must_use]
pub fn assemble(h: &Header, ops_bytes: &[u8], add_compressed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + ops_bytes.len() + add_compressed.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&h.version.to_be_bytes());
    out.push(COMPRESSION_ZSTD_REF_PREFIX);
    out.push(h.window_log as u8);
    out.extend_from_slice(&[0u8; 4]);
    for v in [
        h.base_size,
        h.target_size,
        h.op_count,
        h.ops_bytes,
        h.add_bytes,
        h.add_compressed_bytes,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&h.base_sha256);
    out.extend_from_slice(&h.target_sha256);
    out.extend_from_slice(&h.ops_sha256);
    out.extend_from_slice(&h.add_sha256);
    debug_assert_eq!(out.len(), HEADER_BYTES);
    out.extend_from_slice(ops_bytes);
    out.extend_from_slice(add_compressed);
    out
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8-byte slice"))
}

fn h32(b: &[u8], at: usize) -> [u8; 32] {
    b[at..at + 32].try_into().expect("32-byte slice")
}

/// Parses and checks the header against the file length and `limits`.
///
/// # Errors
/// [`PayloadError`] for bad magic, version, header fields, sizes or limits.
pub fn parse_header(bytes: &[u8], limits: &Limits) -> Result<Header, PayloadError> {
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return Err(PayloadError::BadMagic);
    }
    if bytes.len() < HEADER_BYTES {
        return Err(PayloadError::SizeMismatch {
            expected: HEADER_BYTES as u64,
            found: bytes.len() as u64,
        });
    }
    let version = u16::from_be_bytes([bytes[8], bytes[9]]);
    if version != VERSION {
        return Err(PayloadError::UnsupportedVersion { found: version });
    }
    if bytes[10] != COMPRESSION_ZSTD_REF_PREFIX {
        return Err(PayloadError::BadHeader(format!(
            "compression id {}, expected 1",
            bytes[10]
        )));
    }
    let window_log = u32::from(bytes[11]);
    if !(MIN_WINDOW_LOG..=limits.max_window_log.min(MAX_WINDOW_LOG)).contains(&window_log) {
        return Err(PayloadError::BadHeader(format!(
            "zstd window log {window_log} out of range"
        )));
    }
    if bytes[12..16] != [0; 4] {
        return Err(PayloadError::BadHeader(
            "reserved bytes 12..16 are not zero".into(),
        ));
    }
    let h = Header {
        version,
        window_log,
        base_size: u64_at(bytes, 16),
        target_size: u64_at(bytes, 24),
        op_count: u64_at(bytes, 32),
        ops_bytes: u64_at(bytes, 40),
        add_bytes: u64_at(bytes, 48),
        add_compressed_bytes: u64_at(bytes, 56),
        base_sha256: h32(bytes, 64),
        target_sha256: h32(bytes, 96),
        ops_sha256: h32(bytes, 128),
        add_sha256: h32(bytes, 160),
    };
    if h.op_count > limits.max_ops {
        return Err(PayloadError::TooManyOps {
            found: h.op_count,
            max: limits.max_ops,
        });
    }
    if h.add_bytes > limits.max_add_bytes {
        return Err(PayloadError::AddTooLarge {
            found: h.add_bytes,
            max: limits.max_add_bytes,
        });
    }
    if h.target_size > limits.max_target_bytes {
        return Err(PayloadError::OutputTooLarge {
            found: h.target_size,
            max: limits.max_target_bytes,
        });
    }
    let expected = (HEADER_BYTES as u64)
        .checked_add(h.ops_bytes)
        .and_then(|v| v.checked_add(h.add_compressed_bytes))
        .unwrap_or(u64::MAX);
    if expected != bytes.len() as u64 {
        return Err(PayloadError::SizeMismatch {
            expected,
            found: bytes.len() as u64,
        });
    }
    Ok(h)
}

/// A payload whose header, op stream and ADD digest have been checked (not yet applied).
#[derive(Debug, Clone)]
pub struct ParsedPayload<'a> {
    /// The header.
    pub header: Header,
    /// The ops, in order.
    pub ops: Vec<Op>,
    /// The compressed ADD frame.
    pub add_compressed: &'a [u8],
}

fn get_varint(ops: &[u8], pos: &mut usize) -> Result<u64, PayloadError> {
    let start = *pos;
    let mut v: u64 = 0;
    for i in 0..10 {
        let Some(&b) = ops.get(*pos) else {
            return Err(PayloadError::BadOpStream {
                offset: start as u64,
                reason: "truncated varint".into(),
            });
        };
        *pos += 1;
        if i == 9 && b > 1 {
            return Err(PayloadError::BadOpStream {
                offset: start as u64,
                reason: "varint overflows 64 bits".into(),
            });
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(PayloadError::BadOpStream {
                    offset: start as u64,
                    reason: "overlong varint".into(),
                });
            }
            return Ok(v);
        }
    }
    Err(PayloadError::BadOpStream {
        offset: start as u64,
        reason: "varint longer than 10 bytes".into(),
    })
}

/// Parses a payload for the base of `base_size` bytes and SHA-256 `base_sha256`: header, op
/// stream digest, every op (COPY ranges inside the base, ADD within caps, sums equal to the
/// header), then the ADD frame's digest. Does not decompress.
///
/// # Errors
/// The first [`PayloadError`] found, in the order of spec §6.2.
pub fn parse<'a>(
    bytes: &'a [u8],
    base_size: u64,
    base_sha256: &[u8; 32],
    limits: &Limits,
) -> Result<ParsedPayload<'a>, PayloadError> {
    let header = parse_header(bytes, limits)?;
    if header.base_size != base_size || header.base_sha256 != *base_sha256 {
        return Err(PayloadError::BaseMismatch {
            expected: hex::encode(header.base_sha256),
            expected_size: header.base_size,
            found: hex::encode(base_sha256),
            found_size: base_size,
        });
    }
    let ops_end = HEADER_BYTES + header.ops_bytes as usize;
    let ops_bytes = &bytes[HEADER_BYTES..ops_end];
    let add_compressed = &bytes[ops_end..];
    let found = sha(ops_bytes);
    if found != header.ops_sha256 {
        return Err(PayloadError::OpsDigestMismatch {
            expected: hex::encode(header.ops_sha256),
            found: hex::encode(found),
        });
    }
    // Each op takes at least 2 bytes, so this cannot over-allocate beyond the file size.
    let mut ops = Vec::with_capacity((header.op_count as usize).min(ops_bytes.len() / 2));
    let mut pos = 0usize;
    let mut prev_end: u64 = 0;
    let mut out_total: u64 = 0;
    let mut add_total: u64 = 0;
    let mut index: u64 = 0;
    while pos < ops_bytes.len() {
        if index >= header.op_count {
            return Err(PayloadError::CountMismatch {
                what: "ops",
                expected: header.op_count,
                found: index + 1,
            });
        }
        let at = pos as u64;
        let tag = ops_bytes[pos];
        pos += 1;
        let op = match tag {
            TAG_COPY | TAG_ADD_DIFF => {
                let delta = unzigzag(get_varint(ops_bytes, &mut pos)?);
                let len = get_varint(ops_bytes, &mut pos)?;
                let offset = i128::from(prev_end) + i128::from(delta);
                let end = offset + i128::from(len);
                if offset < 0 || end > i128::from(base_size) {
                    return Err(PayloadError::CopyOutOfRange {
                        index,
                        offset: offset.clamp(0, i128::from(u64::MAX)) as u64,
                        end: end.clamp(0, i128::from(u64::MAX)) as u64,
                        base_size,
                    });
                }
                let offset = offset as u64;
                prev_end = offset + len;
                if tag == TAG_COPY {
                    Op::Copy { offset, len }
                } else {
                    Op::AddDiff { offset, len }
                }
            }
            TAG_ADD => Op::Add {
                len: get_varint(ops_bytes, &mut pos)?,
            },
            other => {
                return Err(PayloadError::BadOpStream {
                    offset: at,
                    reason: format!("unknown op tag {other}"),
                });
            }
        };
        if op.output_len() == 0 {
            return Err(PayloadError::BadOpStream {
                offset: at,
                reason: "zero-length op".into(),
            });
        }
        if matches!(op, Op::Add { .. }) && matches!(ops.last(), Some(Op::Add { .. })) {
            return Err(PayloadError::BadOpStream {
                offset: at,
                reason: "two adjacent ADD ops".into(),
            });
        }
        add_total = add_total.saturating_add(op.add_len());
        if add_total > limits.max_add_bytes || add_total > header.add_bytes {
            return Err(PayloadError::AddTooLarge {
                found: add_total,
                max: header.add_bytes.min(limits.max_add_bytes),
            });
        }
        out_total = out_total.saturating_add(op.output_len());
        if out_total > limits.max_target_bytes || out_total > header.target_size {
            return Err(PayloadError::OutputTooLarge {
                found: out_total,
                max: header.target_size.min(limits.max_target_bytes),
            });
        }
        ops.push(op);
        index += 1;
    }
    if index != header.op_count {
        return Err(PayloadError::CountMismatch {
            what: "ops",
            expected: header.op_count,
            found: index,
        });
    }
    if out_total != header.target_size {
        return Err(PayloadError::CountMismatch {
            what: "output bytes",
            expected: header.target_size,
            found: out_total,
        });
    }
    if add_total != header.add_bytes {
        return Err(PayloadError::CountMismatch {
            what: "ADD bytes",
            expected: header.add_bytes,
            found: add_total,
        });
    }
    let found = sha(add_compressed);
    if found != header.add_sha256 {
        return Err(PayloadError::AddDigestMismatch {
            expected: hex::encode(header.add_sha256),
            found: hex::encode(found),
        });
    }
    Ok(ParsedPayload {
        header,
        ops,
        add_compressed,
    })
}

/// Decompresses the ADD frame (bounded to the declared size) and replays the ops over `base`.
/// The result is returned only if it hashes to the header's target digest.
///
/// # Errors
/// [`PayloadError::AddCorrupt`] or [`PayloadError::TargetMismatch`].
pub fn apply(base: &[u8], parsed: &ParsedPayload<'_>) -> Result<Vec<u8>, PayloadError> {
    let out = replay(base, parsed)?;
    let h = &parsed.header;
    let found = sha(&out);
    if found != h.target_sha256 {
        return Err(PayloadError::TargetMismatch {
            expected: hex::encode(h.target_sha256),
            found: hex::encode(found),
        });
    }
    Ok(out)
}

/// [`apply`] without the final digest check: decompresses the ADD frame (bounded to the declared
/// size) and replays the ops over `base`. The caller **must** check the result against the
/// header's target digest before using it (airlock's engine hashes it once for SHA-256 and
/// BLAKE3 together).
///
/// # Errors
/// [`PayloadError::AddCorrupt`].
pub fn replay(base: &[u8], parsed: &ParsedPayload<'_>) -> Result<Vec<u8>, PayloadError> {
    use zstd::zstd_safe::{DCtx, DParameter};
    let h = &parsed.header;
    let err = |e: usize| PayloadError::AddCorrupt(zstd::zstd_safe::get_error_name(e).to_owned());
    let mut add = Vec::with_capacity(h.add_bytes as usize);
    if h.add_bytes > 0 || !parsed.add_compressed.is_empty() {
        let mut dctx = DCtx::create();
        dctx.set_parameter(DParameter::WindowLogMax(h.window_log))
            .map_err(err)?;
        dctx.ref_prefix(base).map_err(err)?;
        dctx.decompress(&mut add, parsed.add_compressed)
            .map_err(err)?;
        if add.len() as u64 != h.add_bytes {
            return Err(PayloadError::AddCorrupt(format!(
                "frame decompresses to {} bytes, header declares {}",
                add.len(),
                h.add_bytes
            )));
        }
    }
    let mut out = Vec::with_capacity(h.target_size as usize);
    let mut a = 0usize;
    for op in &parsed.ops {
        match *op {
            Op::Copy { offset, len } => {
                out.extend_from_slice(&base[offset as usize..(offset + len) as usize])
            }
            Op::Add { len } => {
                out.extend_from_slice(&add[a..a + len as usize]);
                a += len as usize;
            }
            Op::AddDiff { offset, len } => {
                let b = &base[offset as usize..(offset + len) as usize];
                out.extend(
                    b.iter()
                        .zip(&add[a..a + len as usize])
                        .map(|(x, d)| x.wrapping_add(*d)),
                );
                a += len as usize;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let base: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut target = base[..5000].to_vec();
        target.extend_from_slice(b"hello");
        target.extend(base[100..200].iter().map(|b| b.wrapping_add(1)));
        let ops = [
            Op::Copy {
                offset: 0,
                len: 5000,
            },
            Op::Add { len: 5 },
            Op::AddDiff {
                offset: 100,
                len: 100,
            },
        ];
        let mut add = b"hello".to_vec();
        add.extend(std::iter::repeat_n(1u8, 100));
        let bin = encode(&base, &target, &ops, &add).unwrap();
        let p = parse(&bin, base.len() as u64, &sha(&base), &Limits::default()).unwrap();
        assert_eq!(p.ops, ops);
        assert_eq!(apply(&base, &p).unwrap(), target);
        let tight = Limits {
            max_add_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse(&bin, base.len() as u64, &sha(&base), &tight)
                .unwrap_err()
                .code(),
            "delta-add-too-large"
        );
        let mut bad = bin.clone();
        bad[HEADER_BYTES + 1] ^= 0x40;
        assert_eq!(
            parse(&bad, base.len() as u64, &sha(&base), &Limits::default())
                .unwrap_err()
                .code(),
            "delta-ops-digest-mismatch"
        );
    }

    #[test]
    fn varints_are_canonical() {
        let mut pos = 0;
        assert!(get_varint(&[0x80, 0x00], &mut pos).is_err());
        let mut v = Vec::new();
        put_varint(&mut v, u64::MAX);
        pos = 0;
        assert_eq!(get_varint(&v, &mut pos).unwrap(), u64::MAX);
        assert_eq!(unzigzag(zigzag(-5)), -5);
    }
}
