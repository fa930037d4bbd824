//! Every redb table of the store, beside the schema version. `spec/store.md` §4 is normative;
//! this file is its executable form. Keys of composite tables are NUL-separated UTF-8 (see
//! [`super::keys`]); structured values are RFC 8785 canonical JSON.

use redb::TableDefinition;

/// The schema version this build reads and writes (`meta.schema_version`).
pub const SCHEMA_VERSION: u64 = 2;

/// The database file inside a store directory.
pub const DB_FILE: &str = "store.redb";

/// `meta`: ASCII name → canonical JSON (`schema_version`, `time_floor`).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// `meta` key of the schema version (JSON integer).
pub const META_SCHEMA_VERSION: &str = "schema_version";
/// `meta` key of the time floor (JSON string, RFC 3339).
pub const META_TIME_FLOOR: &str = "time_floor";

/// `bundles`: 32-byte bundle id → canonical JSON `BundleRecord`.
pub const BUNDLES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("bundles");
/// `channel_heads`: `publisher 0 channel` → canonical JSON `ChannelHead`.
pub const CHANNEL_HEADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("channel_heads");
/// `advisories`: `vuln 0 package 0 advisory-id 0 publisher 0 channel` → `Row`.
pub const ADVISORIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("advisories");
/// `advisory_ids`: `advisory-id 0 vuln 0 package 0 publisher 0 channel` → empty.
pub const ADVISORY_IDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("advisory_ids");
/// `changelog_mentions`: `vuln 0 package 0 version 0 publisher 0 channel` → `Row`.
pub const CHANGELOG_MENTIONS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("changelog_mentions");
/// `patches`: `vuln 0 package 0 patch-sha256-hex 0 publisher 0 channel` → `Row`.
pub const PATCHES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("patches");
/// `fingerprints`: `vuln 0 package 0 function 0 variant 0 publisher 0 channel` → `Row`.
pub const FINGERPRINTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("fingerprints");
/// `attestations`: `subject-alg:hex 0 statement-sha256-hex 0 publisher 0 channel` → `Row`.
pub const ATTESTATIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("attestations");
/// `raw`: SHA-256 of the bytes → the bytes (content-addressed evidence).
pub const RAW: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("raw");
/// `tlog_checkpoints`: origin line → canonical JSON `Checkpoint` (largest tree seen).
pub const TLOG_CHECKPOINTS: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("tlog_checkpoints");
/// `scope_rows` (schema 1 only): `publisher 0 channel 0 table 0 row-key` → 32-byte bundle id.
/// Replaced by [`SCOPE_ENTRIES`] in schema 2; dropped by the migration.
pub const SCOPE_ROWS_V1: TableDefinition<&[u8], &[u8; 32]> = TableDefinition::new("scope_rows");
/// `scope_entries`: `publisher 0 channel 0 entry-path` → the entry's SHA-256, kind and the keys
/// of the rows it wrote (bookkeeping for the snapshot sweep; layout in `entry_index`).
pub const SCOPE_ENTRIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("scope_entries");
/// `proofs`: append-only audit log, sequence from 1 → canonical JSON proof.
pub const PROOFS: TableDefinition<u64, &[u8]> = TableDefinition::new("proofs");

/// The index tables whose rows are `Row` values derived from one raw entry, in digest order.
pub const ROW_TABLES: [TableDefinition<&[u8], &[u8]>; 5] = [
    ADVISORIES,
    CHANGELOG_MENTIONS,
    PATCHES,
    FINGERPRINTS,
    ATTESTATIONS,
];

/// The logical tables hashed by `store digest`, in the order of `spec/store.md` §6.
pub const DIGEST_TABLES: [TableDefinition<&[u8], &[u8]>; 8] = [
    CHANNEL_HEADS,
    ADVISORIES,
    ADVISORY_IDS,
    CHANGELOG_MENTIONS,
    PATCHES,
    FINGERPRINTS,
    ATTESTATIONS,
    TLOG_CHECKPOINTS,
];
