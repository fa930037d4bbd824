//! The bundle manifest (`airlock-bundle/1`): what a bundle holds, signed as one DSSE payload.
//!
//! The manifest is RFC 8785 canonical JSON; it lists every entry with its kind, media type, size,
//! SHA-256 and BLAKE3, sorted by path bytes, and commits to the list with an RFC 6962 Merkle root
//! (see [`merkle_root`]). This module parses and checks a manifest's internal consistency; whether
//! its signature is trusted is decided by the caller before [`Manifest::from_payload`] is called.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::Limits;
use crate::canonical::{self, CanonicalError};
use crate::digest::{Digest, DigestAlgorithm};
use crate::path::{EntryPath, PathError};

mod codec;

/// The format identifier this crate reads and writes.
pub const FORMAT: &str = "airlock-bundle/1";
/// The DSSE payloadType of a bundle manifest.
pub const MANIFEST_PAYLOAD_TYPE: &str = "application/vnd.airlock.manifest+json";
/// The name of the archive's first member: the manifest's DSSE envelope.
pub const MANIFEST_MEMBER: &str = "manifest.dsse.json";
/// Longest publisher or channel name in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest media type in bytes (RFC 6838 §4.2 allows 127 per part; we cap the whole).
pub const MAX_MEDIA_TYPE_BYTES: usize = 255;

/// Whether a bundle stands alone or applies on top of a base bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BundleKind {
    /// A complete set of evidence.
    Snapshot,
    /// Changes against the bundle named by [`Manifest::base`].
    Delta,
}

/// What an entry holds. The kind tells the importer which parser to run after verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EntryKind {
    /// A security advisory (OSV, CSAF, Debian tracker data, Alpine secdb, ...).
    Advisory,
    /// A package changelog (Debian or RPM).
    Changelog,
    /// A patch (DEP-3 headers, unified diff).
    Patch,
    /// A source package file (`.dsc`, `.debian.tar.*`, `.orig.tar.*`).
    SourcePackage,
    /// A binary package (`.deb`, `.rpm`, `.apk`).
    BinaryPackage,
    /// Binary fingerprints (function hashes, TLSH).
    Fingerprint,
    /// An attestation: a DSSE envelope or a Sigstore bundle.
    Attestation,
    /// Transparency-log material: checkpoints, tiles.
    Tlog,
    /// A trust-root update.
    TrustRoot,
    /// Anything else, carried opaquely.
    Blob,
}

impl EntryKind {
    /// Every kind, in manifest order.
    pub const ALL: [EntryKind; 10] = [
        Self::Advisory,
        Self::Changelog,
        Self::Patch,
        Self::SourcePackage,
        Self::BinaryPackage,
        Self::Fingerprint,
        Self::Attestation,
        Self::Tlog,
        Self::TrustRoot,
        Self::Blob,
    ];

    /// The kebab-case wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Advisory => "advisory",
            Self::Changelog => "changelog",
            Self::Patch => "patch",
            Self::SourcePackage => "source-package",
            Self::BinaryPackage => "binary-package",
            Self::Fingerprint => "fingerprint",
            Self::Attestation => "attestation",
            Self::Tlog => "tlog",
            Self::TrustRoot => "trust-root",
            Self::Blob => "blob",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Where the entry sits in the archive.
    pub path: EntryPath,
    /// What it holds.
    pub kind: EntryKind,
    /// Its media type (e.g. `application/json`).
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes.
    pub sha256: Digest,
    /// BLAKE3 of its bytes.
    pub blake3: Digest,
}

impl ManifestEntry {
    /// The RFC 6962 leaf hash of this entry: `SHA-256(0x00 || JCS(entry))`.
    #[must_use]
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut json = Vec::with_capacity(320);
        codec::encode_entry(&mut json, self);
        let mut h = sha2::Sha256::new();
        h.update([0u8]);
        h.update(&json);
        h.finalize().into()
    }
}

/// A bundle manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Snapshot or delta.
    pub kind: BundleKind,
    /// Who published the bundle (`[A-Za-z0-9][A-Za-z0-9._-]*`, at most 128 bytes).
    pub publisher: String,
    /// The publisher's channel (same syntax as the publisher).
    pub channel: String,
    /// Per publisher and channel, strictly increasing (at most 2^53).
    pub sequence: u64,
    /// When the bundle was made (RFC 3339 UTC, whole seconds: `YYYY-MM-DDTHH:MM:SSZ`).
    pub created: String,
    /// After this instant the bundle is refused (same form as `created`).
    pub expires: String,
    /// The entries, sorted by path bytes, no duplicates.
    pub entries: Vec<ManifestEntry>,
    /// RFC 6962 Merkle root over the entries' leaf hashes (`sha256:<hex>`).
    pub merkle_root: Digest,
    /// For deltas: the [`bundle_digest`] of the base bundle. Absent for snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Digest>,
}

/// The fields of a manifest other than its entries and Merkle root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHeader {
    /// Snapshot or delta.
    pub kind: BundleKind,
    /// Publisher name.
    pub publisher: String,
    /// Channel name.
    pub channel: String,
    /// Sequence number.
    pub sequence: u64,
    /// Creation time, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// Expiry time, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// Base bundle digest (deltas only).
    pub base: Option<Digest>,
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not strict canonical JSON of the manifest shape.
    #[error("manifest: {0}")]
    Json(#[from] CanonicalError),
    /// `format` is not [`FORMAT`].
    #[error("manifest format {found:?}: expected {FORMAT:?}")]
    UnsupportedFormat {
        /// The format found.
        found: String,
    },
    /// A header field is malformed.
    #[error("manifest field `{field}`: expected {expected}, found {found:?}")]
    Field {
        /// The field name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// More entries than allowed.
    #[error("manifest lists {found} entries, more than the limit of {max}")]
    TooManyEntries {
        /// Entries listed.
        found: u64,
        /// The limit.
        max: u64,
    },
    /// An entry path breaks the path rules or limits.
    #[error("manifest entry: {0}")]
    Path(#[from] PathError),
    /// Two entries with the same path.
    #[error("manifest entry {path}: listed twice")]
    DuplicatePath {
        /// The path.
        path: EntryPath,
    },
    /// Entries not sorted by path bytes.
    #[error(
        "manifest entry {path}: expected entries sorted by path bytes, found it after {previous}"
    )]
    Unsorted {
        /// The entry out of place.
        path: EntryPath,
        /// The entry before it.
        previous: EntryPath,
    },
    /// One entry's path is a directory of another's (`a` and `a/b`), or uses a reserved name.
    #[error("manifest entry {path}: conflicts with {other}")]
    PathConflict {
        /// The entry.
        path: EntryPath,
        /// What it conflicts with.
        other: String,
    },
    /// An entry is larger than allowed.
    #[error("manifest entry {path}: {size} bytes, more than the limit of {max}")]
    EntryTooLarge {
        /// The entry.
        path: EntryPath,
        /// Its declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The sum of entry sizes is larger than allowed.
    #[error("manifest entries total more than the limit of {max} bytes")]
    TotalTooLarge {
        /// The limit.
        max: u64,
    },
    /// An entry's digest names the wrong algorithm, or its media type is malformed.
    #[error("manifest entry {path}: field `{field}`: {problem}")]
    EntryField {
        /// The entry.
        path: EntryPath,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The Merkle root does not match the entries.
    #[error("manifest merkle_root: expected {expected} from the entries, found {found}")]
    MerkleRootMismatch {
        /// Root computed from the entries.
        expected: Digest,
        /// Root in the manifest.
        found: Digest,
    },
    /// `base` present on a snapshot or absent on a delta.
    #[error("manifest base: {0}")]
    Base(&'static str),
}

impl ManifestError {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(CanonicalError::NotCanonical { .. }) => "manifest-not-canonical",
            Self::Json(_) => "manifest-invalid",
            Self::UnsupportedFormat { .. } => "format-unsupported",
            Self::Field { .. } | Self::EntryField { .. } | Self::Base(_) => {
                "manifest-field-invalid"
            }
            Self::TooManyEntries { .. } => "too-many-entries",
            Self::Path(e) => e.code(),
            Self::DuplicatePath { .. } => "entry-duplicate",
            Self::Unsorted { .. } => "entry-out-of-order",
            Self::PathConflict { .. } => "path-conflict",
            Self::EntryTooLarge { .. } => "entry-too-large",
            Self::TotalTooLarge { .. } => "bundle-too-large",
            Self::MerkleRootMismatch { .. } => "merkle-root-mismatch",
        }
    }
}

/// The identity of a bundle: SHA-256 of its manifest payload (the exact signed bytes). Deltas
/// name their base with it; it does not depend on compression.
#[must_use]
pub fn bundle_digest(manifest_payload: &[u8]) -> Digest {
    Digest::sha256(manifest_payload)
}

/// RFC 6962 §2.1 Merkle Tree Hash over the entries' leaf hashes ([`ManifestEntry::leaf_hash`]):
/// `MTH({}) = SHA-256()`, `MTH({d}) = leaf`, and for `n > 1` with `k` the largest power of two
/// smaller than `n`: `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`.
#[must_use]
pub fn merkle_root(entries: &[ManifestEntry]) -> Digest {
    let leaves: Vec<[u8; 32]> = entries.iter().map(ManifestEntry::leaf_hash).collect();
    Digest::new(DigestAlgorithm::Sha256, mth(&leaves))
}

fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha2::Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            // The largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut h = sha2::Sha256::new();
            h.update([1u8]);
            h.update(mth(&leaves[..k]));
            h.update(mth(&leaves[k..]));
            h.finalize().into()
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly (field ranges are checked loosely; the caller parses the time).
#[must_use]
pub fn is_manifest_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
        && (1..=12).contains(&num(&text[5..7]))
        && (1..=31).contains(&num(&text[8..10]))
        && num(&text[11..13]) < 24
        && num(&text[14..16]) < 60
        && num(&text[17..19]) < 60
}

fn num(digits: &str) -> u32 {
    digits.parse().unwrap_or(u32::MAX)
}

/// Publisher and channel syntax: `[A-Za-z0-9][A-Za-z0-9._-]*`, 1 to 128 bytes.
#[must_use]
pub fn is_valid_name(text: &str) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_BYTES
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// `type/subtype[+suffix]` from RFC 6838 restricted-name characters, lowercase, no parameters.
#[must_use]
pub fn is_valid_media_type(text: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 127
            && p.as_bytes()[0].is_ascii_alphanumeric()
            && p.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$&-^_.+".contains(&c))
    };
    text.len() <= MAX_MEDIA_TYPE_BYTES
        && text
            .split_once('/')
            .is_some_and(|(t, s)| part(t) && part(s))
}

impl Manifest {
    /// Builds a manifest from its header and entries: sorts the entries, computes the Merkle
    /// root and checks everything against `limits`.
    ///
    /// # Errors
    /// [`ManifestError`] if the result would not be a valid manifest.
    pub fn build(
        header: ManifestHeader,
        mut entries: Vec<ManifestEntry>,
        limits: &Limits,
    ) -> Result<Self, ManifestError> {
        entries.sort_by(|a, b| a.path.as_str().as_bytes().cmp(b.path.as_str().as_bytes()));
        let manifest = Self {
            format: FORMAT.to_owned(),
            kind: header.kind,
            publisher: header.publisher,
            channel: header.channel,
            sequence: header.sequence,
            created: header.created,
            expires: header.expires,
            merkle_root: merkle_root(&entries),
            entries,
            base: header.base,
        };
        manifest.validate(limits)?;
        Ok(manifest)
    }

    /// Parses and checks a manifest payload: strict RFC 8785 canonical JSON (no duplicate keys,
    /// no integer beyond 2^53, no unknown fields), then [`Manifest::validate`].
    ///
    /// Call this only on a payload whose signature you have already checked.
    ///
    /// # Errors
    /// [`ManifestError`].
    pub fn from_payload(payload: &[u8], limits: &Limits) -> Result<Self, ManifestError> {
        let manifest = codec::decode(payload)?;
        manifest.validate(limits)?;
        Ok(manifest)
    }

    /// The canonical payload bytes (what gets signed).
    #[must_use]
    pub fn to_payload(&self) -> Vec<u8> {
        codec::encode_manifest(self)
    }

    /// Checks every rule of the spec's "Manifest" section that needs no key.
    ///
    /// # Errors
    /// The first [`ManifestError`] found.
    pub fn validate(&self, limits: &Limits) -> Result<(), ManifestError> {
        if self.format != FORMAT {
            return Err(ManifestError::UnsupportedFormat {
                found: self.format.clone(),
            });
        }
        let field = |field, expected, found: &str| ManifestError::Field {
            field,
            expected,
            found: found.to_owned(),
        };
        if !is_valid_name(&self.publisher) {
            return Err(field(
                "publisher",
                "[A-Za-z0-9][A-Za-z0-9._-]*, 1-128 bytes",
                &self.publisher,
            ));
        }
        if !is_valid_name(&self.channel) {
            return Err(field(
                "channel",
                "[A-Za-z0-9][A-Za-z0-9._-]*, 1-128 bytes",
                &self.channel,
            ));
        }
        if self.sequence > canonical::MAX_SAFE_INTEGER {
            return Err(field(
                "sequence",
                "an integer at most 2^53",
                &self.sequence.to_string(),
            ));
        }
        if !is_manifest_time(&self.created) {
            return Err(field("created", "YYYY-MM-DDTHH:MM:SSZ", &self.created));
        }
        if !is_manifest_time(&self.expires) {
            return Err(field("expires", "YYYY-MM-DDTHH:MM:SSZ", &self.expires));
        }
        if self.expires <= self.created {
            return Err(field("expires", "a time after `created`", &self.expires));
        }
        match (self.kind, &self.base) {
            (BundleKind::Delta, None) => {
                return Err(ManifestError::Base("a delta must name its base"));
            }
            (BundleKind::Snapshot, Some(_)) => {
                return Err(ManifestError::Base("a snapshot must not name a base"));
            }
            _ => {}
        }
        if let Some(base) = &self.base
            && base.algorithm() != DigestAlgorithm::Sha256
        {
            return Err(ManifestError::Base("expected a sha256 digest"));
        }
        let count = self.entries.len() as u64;
        if count > limits.max_entries {
            return Err(ManifestError::TooManyEntries {
                found: count,
                max: limits.max_entries,
            });
        }
        let mut total: u64 = 0;
        let mut previous: Option<&EntryPath> = None;
        let mut paths = BTreeSet::new();
        for entry in &self.entries {
            let path = &entry.path;
            path.check_limits(limits)?;
            if let Some(prev) = previous {
                match prev.as_str().as_bytes().cmp(path.as_str().as_bytes()) {
                    std::cmp::Ordering::Equal => {
                        return Err(ManifestError::DuplicatePath { path: path.clone() });
                    }
                    std::cmp::Ordering::Greater => {
                        return Err(ManifestError::Unsorted {
                            path: path.clone(),
                            previous: prev.clone(),
                        });
                    }
                    std::cmp::Ordering::Less => {}
                }
            }
            previous = Some(path);
            if path.as_str() == MANIFEST_MEMBER {
                return Err(ManifestError::PathConflict {
                    path: path.clone(),
                    other: "the reserved manifest member name".to_owned(),
                });
            }
            let bad = |field, problem: String| ManifestError::EntryField {
                path: path.clone(),
                field,
                problem,
            };
            if !is_valid_media_type(&entry.media_type) {
                return Err(bad(
                    "media_type",
                    format!("expected type/subtype, found {:?}", entry.media_type),
                ));
            }
            if entry.sha256.algorithm() != DigestAlgorithm::Sha256 {
                return Err(bad(
                    "sha256",
                    format!("expected a sha256 digest, found {}", entry.sha256),
                ));
            }
            if entry.blake3.algorithm() != DigestAlgorithm::Blake3 {
                return Err(bad(
                    "blake3",
                    format!("expected a blake3 digest, found {}", entry.blake3),
                ));
            }
            if entry.size > limits.max_entry_bytes {
                return Err(ManifestError::EntryTooLarge {
                    path: path.clone(),
                    size: entry.size,
                    max: limits.max_entry_bytes,
                });
            }
            total = total.saturating_add(entry.size);
            if total > limits.max_total_bytes {
                return Err(ManifestError::TotalTooLarge {
                    max: limits.max_total_bytes,
                });
            }
            paths.insert(path.as_str());
        }
        // A file and a directory of the same name cannot both be extracted.
        for entry in &self.entries {
            let text = entry.path.as_str();
            for (i, _) in text.match_indices('/') {
                if paths.contains(&text[..i]) {
                    return Err(ManifestError::PathConflict {
                        path: entry.path.clone(),
                        other: format!("entry {} (a file where a directory is needed)", &text[..i]),
                    });
                }
            }
        }
        let expected = merkle_root(&self.entries);
        if expected != self.merkle_root {
            return Err(ManifestError::MerkleRootMismatch {
                expected,
                found: self.merkle_root,
            });
        }
        Ok(())
    }

    /// The index of the entry at `path`, if listed.
    #[must_use]
    pub fn position(&self, path: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.path.as_str().as_bytes().cmp(path.as_bytes()))
            .ok()
    }

    /// Entry count and total bytes per kind.
    #[must_use]
    pub fn totals_by_kind(&self) -> BTreeMap<EntryKind, (u64, u64)> {
        let mut totals = BTreeMap::new();
        for entry in &self.entries {
            let t = totals.entry(entry.kind).or_insert((0u64, 0u64));
            t.0 += 1;
            t.1 += entry.size;
        }
        totals
    }

    /// The sum of all entry sizes.
    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, data: &[u8]) -> ManifestEntry {
        ManifestEntry {
            path: EntryPath::parse(path).unwrap(),
            kind: EntryKind::Blob,
            media_type: "application/octet-stream".into(),
            size: data.len() as u64,
            sha256: Digest::sha256(data),
            blake3: Digest::blake3(data),
        }
    }

    fn header() -> ManifestHeader {
        ManifestHeader {
            kind: BundleKind::Snapshot,
            publisher: "example.org".into(),
            channel: "stable".into(),
            sequence: 1,
            created: "2026-01-01T00:00:00Z".into(),
            expires: "2027-01-01T00:00:00Z".into(),
            base: None,
        }
    }

    #[test]
    fn merkle_root_follows_rfc6962_shape() {
        let es: Vec<_> = (0..5).map(|i| entry(&format!("b/{i}"), &[i])).collect();
        let l: Vec<_> = es.iter().map(ManifestEntry::leaf_hash).collect();
        let node = |a: &[u8; 32], b: &[u8; 32]| -> [u8; 32] {
            let mut h = sha2::Sha256::new();
            h.update([1u8]);
            h.update(a);
            h.update(b);
            h.finalize().into()
        };
        let left = node(&node(&l[0], &l[1]), &node(&l[2], &l[3]));
        assert_eq!(merkle_root(&es).as_bytes(), &node(&left, &l[4]));
        assert_eq!(merkle_root(&es[..1]).as_bytes(), &l[0]);
        assert_eq!(
            merkle_root(&[]).to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn round_trips_and_refuses_tampering() {
        let m = Manifest::build(
            header(),
            vec![entry("b", b"2"), entry("a", b"1")],
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(m.entries[0].path.as_str(), "a");
        let payload = m.to_payload();
        assert_eq!(
            Manifest::from_payload(&payload, &Limits::default()).unwrap(),
            m
        );
        let mut swapped = m.clone();
        swapped.entries.swap(0, 1);
        let err = Manifest::from_payload(&swapped.to_payload(), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "entry-out-of-order");
        let mut tampered = m.clone();
        tampered.entries[0].size = 9;
        let err = Manifest::from_payload(&tampered.to_payload(), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "merkle-root-mismatch");
        let text = String::from_utf8(payload)
            .unwrap()
            .replace("\"format\"", "\"extra\":1,\"format\"");
        assert_eq!(
            Manifest::from_payload(text.as_bytes(), &Limits::default())
                .unwrap_err()
                .code(),
            "manifest-invalid"
        );
    }

    #[test]
    fn refuses_file_directory_conflicts_and_bad_fields() {
        let err = Manifest::build(
            header(),
            vec![entry("a", b""), entry("a/b", b"")],
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "path-conflict");
        let mut h = header();
        h.publisher = "bad name".into();
        assert_eq!(
            Manifest::build(h, vec![], &Limits::default())
                .unwrap_err()
                .code(),
            "manifest-field-invalid"
        );
        assert!(is_manifest_time("2026-11-23T00:00:00Z"));
        assert!(!is_manifest_time("2026-11-23T00:00:00+01:00"));
        assert!(is_valid_media_type("application/vnd.airlock.manifest+json"));
        assert!(!is_valid_media_type("Application/JSON"));
    }
}
