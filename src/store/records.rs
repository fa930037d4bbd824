//! What the store holds: entry kinds, the records parsers produce, and the JSON value shapes of
//! `spec/store.md` §4. Every structured value is written as RFC 8785 canonical JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::{self, KeyError};
use super::tables;

/// The kind of a bundle entry: the bundle format's own manifest `kind`, so the store and the
/// bundle can never disagree on the set of kinds or their names.
pub use bundle_format::manifest::EntryKind;

/// Snapshot (replaces the channel's content) or delta (adds and replaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    /// A full snapshot of the channel.
    Snapshot,
    /// Changes against a base bundle named by digest.
    Delta,
}

/// One fact a parser extracted from an entry: the index row(s) it becomes.
///
/// This is the seam between the evidence parsers and the store: each parser's output is mapped
/// to these variants (see [`super::parse`]), and the store only ever sees them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexRecord {
    /// A normalized advisory for one (vulnerability, package).
    Advisory {
        /// Vulnerability id (`CVE-…`, or the advisory's own id).
        vulnerability: String,
        /// Package URL without version.
        package: String,
        /// The advisory document's own id (`DSA-…`, `GHSA-…`, `CVE-…`).
        advisory_id: String,
        /// The slim normalized advisory, already canonical (the typed write path).
        record: CanonicalRecord,
    },
    /// A changelog entry (version block) naming a vulnerability.
    ChangelogMention {
        /// Vulnerability id.
        vulnerability: String,
        /// Source package URL without version.
        package: String,
        /// Version of the changelog entry.
        version: String,
        /// The entry.
        record: Value,
    },
    /// A patch fixing a vulnerability, with its hunk signatures.
    Patch {
        /// Vulnerability id.
        vulnerability: String,
        /// Package URL without version.
        package: String,
        /// Lowercase hex SHA-256 of the patch bytes.
        patch_sha256: String,
        /// Path, DEP-3 fields, HunkSigs.
        record: Value,
    },
    /// A function fingerprint tied to a vulnerability.
    Fingerprint {
        /// Vulnerability id.
        vulnerability: String,
        /// Package URL without version.
        package: String,
        /// Function name.
        function: String,
        /// Variant (architecture / vulnerable or fixed).
        variant: String,
        /// The fingerprint record.
        record: Value,
    },
    /// An attestation about one subject.
    Attestation {
        /// Subject digest, `alg:hex`.
        subject: String,
        /// Lowercase hex SHA-256 of the statement.
        statement_sha256: String,
        /// Payload and predicate types, subjects.
        record: Value,
    },
    /// A transparency-log checkpoint.
    Checkpoint {
        /// Origin line.
        origin: String,
        /// Tree size.
        size: u64,
        /// Root hash, base64.
        root_hash: String,
    },
}

/// A record already in RFC 8785 canonical form, written by a typed serializer instead of through
/// a `serde_json::Value` tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRecord(Vec<u8>);

impl CanonicalRecord {
    /// Wraps bytes the caller wrote in canonical form (see [`super::advisory_row`]).
    pub(crate) fn from_canonical(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The canonical bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The record as a JSON value.
    ///
    /// # Panics
    /// Never: the bytes are canonical JSON by construction.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.0).expect("canonical JSON parses")
    }
}

/// Where a row came from (`spec/store.md` §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Entry path inside the bundle.
    pub entry: String,
    /// Entry kind.
    pub kind: EntryKind,
    /// Lowercase hex SHA-256 of the entry bytes (`raw` key).
    pub sha256: String,
}

/// The value of an index row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The normalized record.
    pub record: Value,
    /// Its source.
    pub source: Source,
}

/// The tables rows go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowTable {
    /// `advisories`.
    Advisories,
    /// `advisory_ids` (inverse index, empty values).
    AdvisoryIds,
    /// `changelog_mentions`.
    ChangelogMentions,
    /// `patches`.
    Patches,
    /// `fingerprints`.
    Fingerprints,
    /// `attestations`.
    Attestations,
}

impl RowTable {
    /// Every row table.
    pub const ALL: [RowTable; 6] = [
        Self::Advisories,
        Self::AdvisoryIds,
        Self::ChangelogMentions,
        Self::Patches,
        Self::Fingerprints,
        Self::Attestations,
    ];

    /// The redb table.
    #[must_use]
    pub fn def(self) -> redb::TableDefinition<'static, &'static [u8], &'static [u8]> {
        match self {
            Self::Advisories => tables::ADVISORIES,
            Self::AdvisoryIds => tables::ADVISORY_IDS,
            Self::ChangelogMentions => tables::CHANGELOG_MENTIONS,
            Self::Patches => tables::PATCHES,
            Self::Fingerprints => tables::FINGERPRINTS,
            Self::Attestations => tables::ATTESTATIONS,
        }
    }

    /// The table name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Advisories => "advisories",
            Self::AdvisoryIds => "advisory_ids",
            Self::ChangelogMentions => "changelog_mentions",
            Self::Patches => "patches",
            Self::Fingerprints => "fingerprints",
            Self::Attestations => "attestations",
        }
    }

    /// From a table name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Number of trailing key components that form the scope (always 2).
    pub const SCOPE_COMPONENTS: usize = 2;
}

/// A row ready to write: table, key (scope included), canonical value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRow {
    /// The table.
    pub table: RowTable,
    /// The full key.
    pub key: Vec<u8>,
    /// The canonical JSON value (empty for `advisory_ids`).
    pub value: Vec<u8>,
}

/// Serializes to RFC 8785 canonical JSON.
#[must_use]
pub fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    bundle_format::canonical::to_canonical_vec(value)
        .expect("store values hold only strings, integers, arrays and objects")
}

impl IndexRecord {
    /// The rows this record becomes under `scope` (publisher, channel), or `None` for a
    /// checkpoint (which is not scoped).
    ///
    /// # Errors
    /// [`KeyError`] if a key component is empty, has a NUL or is too long.
    pub fn rows(&self, scope: (&str, &str), source: &Source) -> Result<Vec<EncodedRow>, KeyError> {
        self.rows_with(scope, &canonical(source))
    }

    /// As [`IndexRecord::rows`], with the source already serialized (once per entry).
    ///
    /// The value is the canonical JSON of [`Row`], built as
    /// `{"record":<canonical record>,"source":<canonical source>}`: both members are canonical
    /// and `record` sorts before `source`, so this is exactly RFC 8785.
    ///
    /// # Errors
    /// [`KeyError`] if a key component is empty, has a NUL or is too long.
    pub fn rows_with(
        &self,
        scope: (&str, &str),
        source_json: &[u8],
    ) -> Result<Vec<EncodedRow>, KeyError> {
        let (p, c) = scope;
        let row = |record: &Value| {
            row_value(
                &bundle_format::canonical::canonical_value_vec(record),
                source_json,
            )
        };
        Ok(match self {
            Self::Advisory {
                vulnerability,
                package,
                advisory_id,
                record,
            } => vec![
                EncodedRow {
                    table: RowTable::Advisories,
                    key: keys::encode(&[vulnerability, package, advisory_id, p, c])?,
                    value: row_value(record.as_bytes(), source_json),
                },
                EncodedRow {
                    table: RowTable::AdvisoryIds,
                    key: keys::encode(&[advisory_id, vulnerability, package, p, c])?,
                    value: Vec::new(),
                },
            ],
            Self::ChangelogMention {
                vulnerability,
                package,
                version,
                record,
            } => vec![EncodedRow {
                table: RowTable::ChangelogMentions,
                key: keys::encode(&[vulnerability, package, version, p, c])?,
                value: row(record),
            }],
            Self::Patch {
                vulnerability,
                package,
                patch_sha256,
                record,
            } => vec![EncodedRow {
                table: RowTable::Patches,
                key: keys::encode(&[vulnerability, package, patch_sha256, p, c])?,
                value: row(record),
            }],
            Self::Fingerprint {
                vulnerability,
                package,
                function,
                variant,
                record,
            } => {
                vec![EncodedRow {
                    table: RowTable::Fingerprints,
                    key: keys::encode(&[vulnerability, package, function, variant, p, c])?,
                    value: row(record),
                }]
            }
            Self::Attestation {
                subject,
                statement_sha256,
                record,
            } => vec![EncodedRow {
                table: RowTable::Attestations,
                key: keys::encode(&[subject, statement_sha256, p, c])?,
                value: row(record),
            }],
            Self::Checkpoint { .. } => Vec::new(),
        })
    }
}

/// `{"record":<record>,"source":<source>}`: both members canonical and `record` sorts before
/// `source`, so this is exactly RFC 8785.
fn row_value(record: &[u8], source_json: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(record.len() + source_json.len() + 22);
    v.extend_from_slice(b"{\"record\":");
    v.extend_from_slice(record);
    v.extend_from_slice(b",\"source\":");
    v.extend_from_slice(source_json);
    v.push(b'}');
    v
}

/// `bundles` value (`spec/store.md` §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRecord {
    /// Base bundle id of a delta, `sha256:<hex>`.
    pub base: Option<String>,
    /// Channel.
    pub channel: String,
    /// Manifest `created`, RFC 3339.
    pub created: String,
    /// Number of entries.
    pub entries: u64,
    /// `raw` key (hex) of the DSSE envelope bytes.
    pub envelope_sha256: String,
    /// Manifest `expires`, RFC 3339.
    pub expires: Option<String>,
    /// When it was imported (the import's `now`), RFC 3339.
    pub imported_at: String,
    /// Snapshot or delta.
    pub kind: BundleKind,
    /// Publisher.
    pub publisher: String,
    /// Sequence within the channel.
    pub sequence: u64,
}

/// `channel_heads` value (`spec/store.md` §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelHead {
    /// Bundle id, `sha256:<hex>`.
    pub bundle: String,
    /// Highest accepted sequence.
    pub sequence: u64,
}

/// `tlog_checkpoints` value (`spec/store.md` §4.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Origin line.
    pub origin: String,
    /// `raw` key (hex) of the checkpoint note.
    pub raw: String,
    /// Root hash, base64.
    pub root_hash: String,
    /// Tree size.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_row_value_is_canonical_row() {
        let source = Source {
            entry: "a/b".into(),
            kind: EntryKind::Advisory,
            sha256: "00".repeat(32),
        };
        let rec = IndexRecord::ChangelogMention {
            vulnerability: "CVE-1".into(),
            package: "pkg:x/y".into(),
            version: "1.0-1".into(),
            record: serde_json::json!({"z": 1, "a": ["é", 2.5], "m": {"b": null, "a": true}}),
        };
        let rows = rec.rows(("p", "c"), &source).unwrap();
        let expected = canonical(&Row {
            record: match &rec {
                IndexRecord::ChangelogMention { record, .. } => record.clone(),
                _ => unreachable!(),
            },
            source,
        });
        assert_eq!(rows[0].value, expected);
        bundle_format::canonical::parse_canonical(&rows[0].value).unwrap();
    }
}
