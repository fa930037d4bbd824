//! Store maintenance: status, digest (`spec/store.md` §6), check (§7) and gc.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bundle_format::Digest;
use redb::{ReadableTable, ReadableTableMetadata, TableHandle};
use serde::Serialize;
use sha2::Digest as _;

use super::db::{Store, db_err};
use super::error::StoreError;
use super::keys;
use super::parse::parse_entry;
use super::query::{Snapshot, decode_row};
use super::records::{BundleRecord, Checkpoint, IndexRecord, Row, RowTable, Source};
use super::tables;

/// The index tables whose rows carry a `source` (all but `advisory_ids`, whose empty rows
/// mirror `advisories`).
const SOURCED_TABLES: [RowTable; 5] = [
    RowTable::Advisories,
    RowTable::ChangelogMentions,
    RowTable::Patches,
    RowTable::Fingerprints,
    RowTable::Attestations,
];

/// Rows per table and store facts.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Store directory.
    pub dir: String,
    /// Database file size in bytes.
    pub file_bytes: u64,
    /// Schema version.
    pub schema_version: u64,
    /// Time floor, RFC 3339.
    pub time_floor: Option<String>,
    /// Row count per table.
    pub tables: BTreeMap<String, u64>,
    /// Channel heads.
    pub channels: Vec<ChannelStatus>,
}

/// One channel's head.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelStatus {
    /// Publisher.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// Head sequence.
    pub sequence: u64,
    /// Head bundle id.
    pub bundle: String,
}

/// Result of `store check`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Raw evidence values re-hashed.
    pub raw_checked: u64,
    /// Index rows re-derived.
    pub rows_checked: u64,
    /// Problems found (at most [`MAX_FINDINGS`]).
    pub findings: Vec<String>,
}

/// Most findings a check reports.
pub const MAX_FINDINGS: usize = 100;

/// Result of `store gc`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GcReport {
    /// Raw values removed.
    pub removed: u64,
    /// Their bytes.
    pub removed_bytes: u64,
    /// Raw values kept.
    pub kept: u64,
}

impl Snapshot {
    /// Store status.
    ///
    /// # Errors
    /// A database error.
    pub fn status(&self, store: &Store) -> Result<Status, StoreError> {
        let path = Store::db_path(store.dir());
        let e = |x: &dyn std::fmt::Display| db_err(&path, x);
        let mut counts = BTreeMap::new();
        let txn = self.txn();
        for t in [
            tables::BUNDLES,
            tables::CHANNEL_HEADS,
            tables::ADVISORY_IDS,
            tables::TLOG_CHECKPOINTS,
        ]
        .into_iter()
        .chain(tables::ROW_TABLES)
        {
            let n = txn
                .open_table(t)
                .map_err(|x| e(&x))?
                .len()
                .map_err(|x| e(&x))?;
            counts.insert(t.name().to_string(), n);
        }
        counts.insert(
            "raw".into(),
            txn.open_table(tables::RAW)
                .map_err(|x| e(&x))?
                .len()
                .map_err(|x| e(&x))?,
        );
        counts.insert(
            "proofs".into(),
            txn.open_table(tables::PROOFS)
                .map_err(|x| e(&x))?
                .len()
                .map_err(|x| e(&x))?,
        );
        let channels = self
            .channel_heads()?
            .into_iter()
            .map(|(publisher, channel, h)| ChannelStatus {
                publisher,
                channel,
                sequence: h.sequence,
                bundle: h.bundle,
            })
            .collect();
        Ok(Status {
            dir: store.dir().display().to_string(),
            file_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            schema_version: tables::SCHEMA_VERSION,
            time_floor: self.time_floor()?.map(crate::time::format_instant),
            tables: counts,
            channels,
        })
    }

    /// The canonical digest of the logical content (`spec/store.md` §6).
    ///
    /// # Errors
    /// A database error.
    pub fn digest(&self) -> Result<Digest, StoreError> {
        let txn = self.txn();
        let mut h = sha2::Sha256::new();
        h.update(b"airlock-store-digest/1\n");
        for t in tables::DIGEST_TABLES {
            let table = txn.open_table(t).map_err(|e| corrupt_db(t.name(), e))?;
            h.update(t.name().as_bytes());
            h.update(b"\n");
            for item in table.iter().map_err(|e| corrupt_db(t.name(), e))? {
                let (k, v) = item.map_err(|e| corrupt_db(t.name(), e))?;
                h.update((k.value().len() as u64).to_be_bytes());
                h.update(k.value());
                h.update((v.value().len() as u64).to_be_bytes());
                h.update(v.value());
            }
            h.update(b"\n");
        }
        Ok(Digest::new(
            bundle_format::DigestAlgorithm::Sha256,
            h.finalize().into(),
        ))
    }

    /// Re-verifies every row against the raw evidence it came from (`spec/store.md` §7).
    ///
    /// # Errors
    /// A database error (findings are not errors: they are in the report).
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let txn = self.txn();
        let mut report = CheckReport::default();
        let mut find = |report: &mut CheckReport, f: String| {
            if report.findings.len() < MAX_FINDINGS {
                report.findings.push(f);
            }
        };
        let raw = txn
            .open_table(tables::RAW)
            .map_err(|e| corrupt_db("raw", e))?;
        for item in raw.iter().map_err(|e| corrupt_db("raw", e))? {
            let (k, v) = item.map_err(|e| corrupt_db("raw", e))?;
            report.raw_checked += 1;
            if Digest::sha256(v.value()).as_bytes() != k.value() {
                find(
                    &mut report,
                    format!(
                        "raw {}: bytes hash to {}",
                        hex::encode(k.value()),
                        Digest::sha256(v.value())
                    ),
                );
            }
        }
        // Canonical JSON values.
        for t in [
            tables::BUNDLES,
            tables::CHANNEL_HEADS,
            tables::TLOG_CHECKPOINTS,
        ] {
            let table = txn.open_table(t).map_err(|e| corrupt_db(t.name(), e))?;
            for item in table.iter().map_err(|e| corrupt_db(t.name(), e))? {
                let (k, v) = item.map_err(|e| corrupt_db(t.name(), e))?;
                if bundle_format::canonical::parse_canonical(v.value()).is_err() {
                    find(
                        &mut report,
                        format!(
                            "{} {:?}: value is not canonical JSON",
                            t.name(),
                            keys::decode(k.value())
                        ),
                    );
                }
                if t.name() == "bundles" {
                    match serde_json::from_slice::<BundleRecord>(v.value()) {
                        Ok(b) => check_raw_ref(
                            &raw,
                            &b.envelope_sha256,
                            "bundles",
                            &mut report,
                            &mut find,
                        )?,
                        Err(e) => find(&mut report, format!("bundles: {e}")),
                    }
                }
                if t.name() == "tlog_checkpoints" {
                    match serde_json::from_slice::<Checkpoint>(v.value()) {
                        Ok(c) => {
                            check_raw_ref(&raw, &c.raw, "tlog_checkpoints", &mut report, &mut find)?
                        }
                        Err(e) => find(&mut report, format!("tlog_checkpoints: {e}")),
                    }
                }
            }
        }
        // Index rows: re-parse the raw entry, demand the row among its results. The fast
        // path derives each entry once; only when it cannot account for every row does the
        // per-row pass run, which names each problem.
        if let Some(rows) = every_row_rederived(txn, &raw)? {
            report.rows_checked = rows;
        } else {
            check_rows_one_by_one(txn, &raw, &mut report, &mut find)?;
        }
        // Channel heads name imported bundles.
        let bundles = txn
            .open_table(tables::BUNDLES)
            .map_err(|e| corrupt_db("bundles", e))?;
        for (p, c, head) in self.channel_heads()? {
            let id = head
                .bundle
                .strip_prefix("sha256:")
                .and_then(|h| hex::decode(h).ok())
                .unwrap_or_default();
            if bundles
                .get(id.as_slice())
                .map_err(|e| corrupt_db("bundles", e))?
                .is_none()
            {
                find(
                    &mut report,
                    format!(
                        "channel_heads {p:?}/{c:?}: bundle {} is not in bundles",
                        head.bundle
                    ),
                );
            }
        }
        Ok(report)
    }

    /// Resolves `id` for `store show`: a bundle id (`sha256:<hex>`, or a hex prefix of at least
    /// 8 digits), a vulnerability id, or an advisory id.
    ///
    /// # Errors
    /// A database error.
    pub fn show(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let hexpart = id.strip_prefix("sha256:").unwrap_or(id);
        if hexpart.len() >= 8 && hexpart.chars().all(|c| c.is_ascii_hexdigit()) {
            let hexpart = hexpart.to_ascii_lowercase();
            let matches: Vec<_> = self
                .bundles()?
                .into_iter()
                .filter(|b| b.id["sha256:".len()..].starts_with(&hexpart))
                .collect();
            if matches.len() == 1 {
                return Ok(Some(serde_json::json!({"bundle": matches[0]})));
            }
            if let Ok(d) = format!("sha256:{hexpart}").parse::<Digest>()
                && let Some(bytes) = self.raw(&d)?
            {
                return Ok(Some(
                    serde_json::json!({"raw": {"sha256": hexpart, "bytes": bytes.len()}}),
                ));
            }
        }
        let mut out = serde_json::Map::new();
        let advisories = self.advisories_for_vulnerability(id)?;
        let by_id = self.advisories_by_id(id)?;
        let changelog = self.scan_any(RowTable::ChangelogMentions, id)?;
        let patches = self.patches(id)?;
        let fingerprints = self.fingerprints(id)?;
        for (name, rows) in [
            ("advisories", advisories),
            ("advisories_by_id", by_id),
            ("changelog_mentions", changelog),
            ("patches", patches),
            ("fingerprints", fingerprints),
        ] {
            if !rows.is_empty() {
                out.insert(
                    name.into(),
                    serde_json::to_value(rows).expect("rows serialize"),
                );
            }
        }
        Ok((!out.is_empty()).then_some(serde_json::Value::Object(out)))
    }

    fn scan_any(
        &self,
        table: RowTable,
        first: &str,
    ) -> Result<Vec<super::query::StoredRow>, StoreError> {
        match table {
            RowTable::ChangelogMentions => {
                let (start, end) =
                    keys::prefix_range(&[first]).map_err(|e| corrupt_db("keys", e))?;
                let t = self
                    .txn()
                    .open_table(table.def())
                    .map_err(|e| corrupt_db(table.name(), e))?;
                let mut out = Vec::new();
                for item in t
                    .range(start.as_slice()..end.as_slice())
                    .map_err(|e| corrupt_db(table.name(), e))?
                {
                    let (k, v) = item.map_err(|e| corrupt_db(table.name(), e))?;
                    out.push(decode_row(table, k.value(), v.value())?);
                }
                Ok(out)
            }
            _ => Ok(Vec::new()),
        }
    }
}

fn corrupt_db(table: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database {
        path: table.to_string(),
        message: e.to_string(),
    }
}

fn check_raw_ref(
    raw: &redb::ReadOnlyTable<&'static [u8; 32], &'static [u8]>,
    hex_digest: &str,
    what: &str,
    report: &mut CheckReport,
    find: &mut impl FnMut(&mut CheckReport, String),
) -> Result<(), StoreError> {
    let key: Option<[u8; 32]> = hex::decode(hex_digest).ok().and_then(|v| v.try_into().ok());
    let present = match key {
        Some(k) => raw.get(&k).map_err(|e| corrupt_db("raw", e))?.is_some(),
        None => false,
    };
    if !present {
        find(
            report,
            format!("{what}: raw evidence {hex_digest} is missing"),
        );
    }
    Ok(())
}

/// The raw-evidence table as `check` reads it.
type RawTable = redb::ReadOnlyTable<&'static [u8; 32], &'static [u8]>;

/// `check`'s fast path: derives the rows of every `scope_entries` entry once (one entry's rows
/// in memory at a time) and looks each up. A stored row is accounted for when its bytes equal
/// the row derived by the entry its `source` names (equal bytes also prove the value canonical);
/// an `advisory_ids` row when its `advisories` row was accounted for by the same entry. Returns
/// the number of rows checked (as the per-row pass counts them) when every row of every index
/// table is accounted for, `None` otherwise (a missing or unreadable entry, a differing or
/// unexplained row) — then the per-row pass decides and names the findings.
fn every_row_rederived(
    txn: &redb::ReadTransaction,
    raw: &RawTable,
) -> Result<Option<u64>, StoreError> {
    let entries = txn
        .open_table(tables::SCOPE_ENTRIES)
        .map_err(|e| corrupt_db("scope_entries", e))?;
    let mut open = BTreeMap::new();
    for table in RowTable::ALL {
        let t = txn
            .open_table(table.def())
            .map_err(|e| corrupt_db(table.name(), e))?;
        open.insert(table, t);
    }
    let mut accounted = 0u64;
    for item in entries.iter().map_err(|e| corrupt_db("scope_entries", e))? {
        let (k, v) = item.map_err(|e| corrupt_db("scope_entries", e))?;
        let Some((scope, source)) = entry_source(k.value(), v.value()) else {
            return Ok(None);
        };
        let own_source = super::records::canonical(&source);
        let Some(derived) = derived_rows(raw, &source, (&scope.0, &scope.1), &own_source) else {
            return Ok(None);
        };
        // Rows are sorted by (table, key); of a run of one key the last is the stored one.
        let last_of_run = |i: usize| {
            derived
                .get(i + 1)
                .is_none_or(|next| (next.table, &next.key) != (derived[i].table, &derived[i].key))
        };
        let mut ours: HashSet<&[u8]> = HashSet::new();
        for (i, row) in derived.iter().enumerate() {
            if row.table == RowTable::AdvisoryIds || !last_of_run(i) {
                continue;
            }
            let stored = open[&row.table]
                .get(row.key.as_slice())
                .map_err(|e| corrupt_db(row.table.name(), e))?;
            let Some(stored) = stored else {
                return Ok(None);
            };
            if stored.value() == row.value.as_slice() {
                accounted += 1;
                ours.insert(&row.key);
            } else if super::entry_index::row_source(stored.value()) == Some(own_source.as_slice())
            {
                return Ok(None);
            }
            // Otherwise a later entry of the scope wrote this key: that entry accounts for it.
        }
        for (i, row) in derived.iter().enumerate() {
            if row.table != RowTable::AdvisoryIds || !last_of_run(i) {
                continue;
            }
            let Some(mirrored) = super::entry_index::advisory_of_id_key(&row.key) else {
                return Ok(None);
            };
            if !ours.contains(mirrored.as_slice()) {
                continue;
            }
            let present = open[&row.table]
                .get(row.key.as_slice())
                .map_err(|e| corrupt_db(row.table.name(), e))?
                .is_some();
            if !present {
                return Ok(None);
            }
            accounted += 1;
        }
    }
    let (mut total, mut checked) = (0u64, 0u64);
    for (table, t) in &open {
        let n = t.len().map_err(|e| corrupt_db(table.name(), e))?;
        total += n;
        if *table != RowTable::AdvisoryIds {
            checked += n;
        }
    }
    Ok((accounted == total).then_some(checked))
}

/// The scope and [`Source`] of a `scope_entries` row (`publisher 0 channel 0 path` →
/// `sha256 || u8 n || kind || refs`), or `None` if it does not decode.
fn entry_source(key: &[u8], value: &[u8]) -> Option<((String, String), Source)> {
    let mut parts = key.splitn(3, |b| *b == 0);
    let text = |b: Option<&[u8]>| {
        b.and_then(|b| std::str::from_utf8(b).ok())
            .map(str::to_owned)
    };
    let (publisher, channel, entry) = (
        text(parts.next())?,
        text(parts.next())?,
        text(parts.next())?,
    );
    let sha = value.get(..32)?;
    let n = *value.get(32)? as usize;
    let kind_name = std::str::from_utf8(value.get(33..33 + n)?).ok()?;
    let kind = super::records::EntryKind::ALL
        .into_iter()
        .find(|k| k.name() == kind_name)?;
    Some((
        (publisher, channel),
        Source {
            entry,
            kind,
            sha256: hex::encode(sha),
        },
    ))
}

/// `check`'s per-row pass: every row of the index tables decoded, its source re-derived (a
/// bounded cache of derived entries), the row demanded among the results; each problem found.
fn check_rows_one_by_one(
    txn: &redb::ReadTransaction,
    raw: &RawTable,
    report: &mut CheckReport,
    find: &mut impl FnMut(&mut CheckReport, String),
) -> Result<(), StoreError> {
    let mut cache: HashMap<(String, String), DerivedRows> = HashMap::new();
    let adv_ids = txn
        .open_table(tables::ADVISORY_IDS)
        .map_err(|e| corrupt_db("advisory_ids", e))?;
    let mut expected_ids = 0u64;
    for table in SOURCED_TABLES {
        let t = txn
            .open_table(table.def())
            .map_err(|e| corrupt_db(table.name(), e))?;
        for item in t.iter().map_err(|e| corrupt_db(table.name(), e))? {
            let (k, v) = item.map_err(|e| corrupt_db(table.name(), e))?;
            report.rows_checked += 1;
            let key_text = keys::decode(k.value());
            let row = match decode_row(table, k.value(), v.value()) {
                Ok(r) => r,
                Err(e) => {
                    find(report, format!("{} {key_text:?}: {e}", table.name()));
                    continue;
                }
            };
            if bundle_format::canonical::parse_canonical(v.value()).is_err() {
                find(
                    report,
                    format!("{} {key_text:?}: value is not canonical JSON", table.name()),
                );
            }
            let scope = (row.publisher.clone(), row.channel.clone());
            let cache_key = (
                row.source.sha256.clone(),
                format!("{}\0{}", scope.0, scope.1),
            );
            if !cache.contains_key(&cache_key) {
                if cache.len() > 256 {
                    cache.clear();
                }
                let derived = derive(raw, &row.source, (&scope.0, &scope.1));
                match derived {
                    Ok(d) => {
                        cache.insert(cache_key.clone(), d);
                    }
                    Err(e) => {
                        find(
                            report,
                            format!(
                                "{} {key_text:?}: source {}: {e}",
                                table.name(),
                                row.source.entry
                            ),
                        );
                        continue;
                    }
                }
            }
            let derived = &cache[&cache_key];
            match derived.get(&(table, k.value().to_vec())) {
                Some(value) if value.as_slice() == v.value() => {}
                Some(_) => find(
                    report,
                    format!(
                        "{} {key_text:?}: value differs from re-parsing {}",
                        table.name(),
                        row.source.entry
                    ),
                ),
                None => find(
                    report,
                    format!(
                        "{} {key_text:?}: re-parsing {} does not yield this row",
                        table.name(),
                        row.source.entry
                    ),
                ),
            }
            if table == RowTable::Advisories {
                expected_ids += 1;
                if let [vuln, pkg, id, p, c] = key_text.as_slice() {
                    let inverse = keys::encode(&[id, vuln, pkg, p, c]).unwrap_or_default();
                    if adv_ids
                        .get(inverse.as_slice())
                        .map_err(|e| corrupt_db("advisory_ids", e))?
                        .is_none()
                    {
                        find(
                            report,
                            format!("advisory_ids: missing inverse of {key_text:?}"),
                        );
                    }
                }
            }
        }
    }
    let ids_len = adv_ids.len().map_err(|e| corrupt_db("advisory_ids", e))?;
    if ids_len != expected_ids {
        find(
            report,
            format!("advisory_ids: {ids_len} rows, expected {expected_ids}"),
        );
    }
    Ok(())
}

/// The rows `source` yields under `scope` (sorted, as an import forms them), or `None` when
/// its raw evidence is missing or does not parse (the row-by-row pass then names the problem).
fn derived_rows(
    raw: &RawTable,
    source: &Source,
    scope: (&str, &str),
    source_json: &[u8],
) -> Option<Vec<super::records::EncodedRow>> {
    let bytes = raw_bytes(raw, source).ok()?;
    super::parse::entry_rows(source.kind, &source.entry, &bytes, scope, source_json).ok()
}

/// The raw evidence `source` cites.
fn raw_bytes(raw: &RawTable, source: &Source) -> Result<Vec<u8>, String> {
    let key: [u8; 32] = hex::decode(&source.sha256)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| format!("sha256 {:?} is not 64 hex digits", source.sha256))?;
    Ok(raw
        .get(&key)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("raw evidence {} is missing", source.sha256))?
        .value()
        .to_vec())
}

/// (table, key) → value of the rows one source yields.
type DerivedRows = BTreeMap<(RowTable, Vec<u8>), Vec<u8>>;

/// Re-derives the rows `source` yields under `scope`: (table, key) → value.
fn derive(raw: &RawTable, source: &Source, scope: (&str, &str)) -> Result<DerivedRows, String> {
    let bytes = raw_bytes(raw, source)?;
    let records = parse_entry(source.kind, &source.entry, &bytes).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| !matches!(r, IndexRecord::Checkpoint { .. }))
    {
        for row in r.rows(scope, source).map_err(|e| e.to_string())? {
            out.insert((row.table, row.key), row.value);
        }
    }
    Ok(out)
}

impl Store {
    /// Drops raw evidence that no row, bundle or checkpoint references. One write transaction.
    ///
    /// # Errors
    /// A database error.
    pub fn gc(&self) -> Result<GcReport, StoreError> {
        let path = Store::db_path(self.dir());
        let e = |x: &dyn std::fmt::Display| db_err(&path, x);
        let wtx = self.begin_write_blocking(&mut || {})?;
        let mut referenced: BTreeSet<[u8; 32]> = BTreeSet::new();
        let mut add = |hex_digest: &str| {
            if let Some(k) = hex::decode(hex_digest)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
            {
                referenced.insert(k);
            }
        };
        for table in SOURCED_TABLES {
            let t = wtx.open_table(table.def()).map_err(|x| e(&x))?;
            for item in t.iter().map_err(|x| e(&x))? {
                let (_, v) = item.map_err(|x| e(&x))?;
                let row: Row = serde_json::from_slice(v.value()).map_err(|x| e(&x))?;
                add(&row.source.sha256);
            }
        }
        for item in wtx
            .open_table(tables::BUNDLES)
            .map_err(|x| e(&x))?
            .iter()
            .map_err(|x| e(&x))?
        {
            let (_, v) = item.map_err(|x| e(&x))?;
            let b: BundleRecord = serde_json::from_slice(v.value()).map_err(|x| e(&x))?;
            add(&b.envelope_sha256);
        }
        for item in wtx
            .open_table(tables::TLOG_CHECKPOINTS)
            .map_err(|x| e(&x))?
            .iter()
            .map_err(|x| e(&x))?
        {
            let (_, v) = item.map_err(|x| e(&x))?;
            let c: Checkpoint = serde_json::from_slice(v.value()).map_err(|x| e(&x))?;
            add(&c.raw);
        }
        // The current snapshots' entries stay, so deltas against them can be rebuilt.
        referenced.extend(super::delta_import::head_entry_digests(&wtx)?);
        let mut report = GcReport::default();
        {
            let mut raw = wtx.open_table(tables::RAW).map_err(|x| e(&x))?;
            raw.retain(|k, v| {
                if referenced.contains(k) {
                    report.kept += 1;
                    true
                } else {
                    report.removed += 1;
                    report.removed_bytes += v.len() as u64;
                    false
                }
            })
            .map_err(|x| e(&x))?;
        }
        wtx.commit().map_err(|x| e(&x))?;
        Ok(report)
    }
}
