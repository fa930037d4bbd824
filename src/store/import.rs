//! Import: one verified bundle into the store in ONE redb write transaction
//! (`spec/store.md` §5). Nothing is visible until the commit; any error drops the transaction,
//! which leaves the store exactly as it was.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use bundle_format::Digest;
use jiff::Timestamp;
use redb::{ReadableTable, Table};
use serde::Serialize;

use super::db::{Store, db_err};
use super::entry_index;
use super::error::{ImportError, StoreError};
use super::parse::{RowsError, entry_rows};
use super::records::{
    BundleKind, BundleRecord, ChannelHead, Checkpoint, EncodedRow, EntryKind, RowTable, Source,
    canonical,
};
use super::tables;
use super::tlog::{LogTrust, TlogMaterial};
use crate::time::format_instant;

/// Largest number of rows one entry may contribute.
pub const MAX_ROWS_PER_ENTRY: usize = 1_000_000;

/// What import needs from a verified bundle's manifest. Build it only after the manifest's
/// signature was checked against the trust root.
#[derive(Debug, Clone)]
pub struct BundleHeader {
    /// Bundle id: SHA-256 of the signed manifest payload.
    pub id: [u8; 32],
    /// Publisher.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// Sequence in the channel.
    pub sequence: u64,
    /// Snapshot or delta.
    pub kind: BundleKind,
    /// Manifest `created` (a verified timestamp: raises the time floor).
    pub created: Timestamp,
    /// Manifest `expires`.
    pub expires: Option<Timestamp>,
    /// Base bundle id of a delta, `sha256:<hex>`.
    pub base: Option<String>,
    /// Number of entries the manifest lists.
    pub entry_count: u64,
    /// The DSSE envelope bytes as found in the bundle.
    pub envelope: Vec<u8>,
}

/// One entry whose size and digests matched the signed manifest.
#[derive(Debug, Clone)]
pub struct VerifiedEntry {
    /// Path in the bundle.
    pub path: String,
    /// Kind from the manifest.
    pub kind: EntryKind,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// The clock or `--at`.
    pub now: Timestamp,
    /// Accept a sequence not above the head (unsafe).
    pub allow_downgrade: bool,
}

/// Progress reported during an import.
#[derive(Debug, Clone, Copy)]
pub enum ImportEvent {
    /// Another import holds the write lock; waiting for it.
    Waiting,
    /// An entry was indexed (count so far, bytes so far).
    Entry {
        /// Entries done.
        entries: u64,
        /// Bytes done.
        bytes: u64,
    },
}

/// Added / updated / unchanged / removed rows of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// New keys.
    pub added: u64,
    /// Existing keys with another value.
    pub updated: u64,
    /// Existing keys with the same value.
    pub unchanged: u64,
    /// Keys removed by the snapshot sweep.
    pub removed: u64,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// `imported` or `already-imported`.
    pub outcome: &'static str,
    /// Bundle id, `sha256:<hex>`.
    pub bundle: String,
    /// Publisher.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// Sequence.
    pub sequence: u64,
    /// Snapshot or delta.
    pub kind: BundleKind,
    /// The delta's base, if any.
    pub base: Option<String>,
    /// The channel head before the import.
    pub previous_sequence: Option<u64>,
    /// Accepted through `--allow-downgrade`.
    pub downgraded: bool,
    /// Entries read.
    pub entries: u64,
    /// Per table: rows added, updated, unchanged, removed (`raw` counts stored entries).
    pub counts: BTreeMap<&'static str, Counts>,
    /// The store's time floor after the import.
    pub time_floor: Option<String>,
}

/// `sha256:<hex>` of a bundle id.
#[must_use]
pub fn bundle_id_text(id: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(id))
}

pub(crate) fn read_time_floor(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<Timestamp>, StoreError> {
    let Some(v) = meta
        .get(tables::META_TIME_FLOOR)
        .map_err(|e| corrupt("meta", e))?
    else {
        return Ok(None);
    };
    let text: String = serde_json::from_slice(v.value()).map_err(|e| corrupt("meta", e))?;
    crate::time::parse_instant(&text)
        .map(Some)
        .map_err(|e| corrupt("meta", e))
}

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        message: e.to_string(),
    }
}

struct Tables<'t> {
    rows: BTreeMap<RowTable, Table<'t, &'static [u8], &'static [u8]>>,
    entries: Table<'t, &'static [u8], &'static [u8]>,
    raw: Table<'t, &'static [u8; 32], &'static [u8]>,
    checkpoints: Table<'t, &'static [u8], &'static [u8]>,
}

impl Store {
    /// Imports one bundle. `entries` yields the bundle's entries in manifest order, each verified
    /// against the manifest as it streams; an error from it aborts the import.
    ///
    /// # Errors
    /// [`ImportError`]; the store is then unchanged.
    pub fn import(
        &self,
        header: &BundleHeader,
        entries: &mut dyn Iterator<Item = Result<VerifiedEntry, ImportError>>,
        options: ImportOptions,
        progress: &mut dyn FnMut(ImportEvent),
    ) -> Result<ImportReport, ImportError> {
        self.import_with_logs(header, entries, options, &LogTrust::none(), progress)
    }

    /// [`Store::import`] with the trust root's transparency logs: a bundle's checkpoint of a
    /// trusted log is verified and advances the stored one only with a consistency proof
    /// (`spec/store.md` §5 step 5a; [`super::tlog`]).
    ///
    /// # Errors
    /// [`ImportError`]; the store is then unchanged.
    pub fn import_with_logs(
        &self,
        header: &BundleHeader,
        entries: &mut dyn Iterator<Item = Result<VerifiedEntry, ImportError>>,
        options: ImportOptions,
        logs: &LogTrust,
        progress: &mut dyn FnMut(ImportEvent),
    ) -> Result<ImportReport, ImportError> {
        let path = Store::db_path(self.dir());
        let dbe = |e: &dyn std::fmt::Display| ImportError::Store(db_err(&path, e));
        let wtx = self.begin_write_blocking(&mut || progress(ImportEvent::Waiting))?;
        // The last commit, which this transaction starts from (writers are serialized): the
        // snapshot sweep reads the scope's previous entry index from it.
        let previous = match header.kind {
            BundleKind::Snapshot => Some(self.begin_read().map_err(ImportError::Store)?),
            BundleKind::Delta => None,
        };
        let id_text = bundle_id_text(&header.id);
        let mut report = ImportReport {
            outcome: "imported",
            bundle: id_text.clone(),
            publisher: header.publisher.clone(),
            channel: header.channel.clone(),
            sequence: header.sequence,
            kind: header.kind,
            base: header.base.clone(),
            previous_sequence: None,
            downgraded: false,
            entries: 0,
            counts: BTreeMap::new(),
            time_floor: None,
        };

        // 1. Same bundle again: a no-op.
        let floor = {
            let meta = wtx.open_table(tables::META).map_err(|e| dbe(&e))?;
            read_time_floor(&meta)?
        };
        report.time_floor = floor.map(format_instant);
        if wtx
            .open_table(tables::BUNDLES)
            .map_err(|e| dbe(&e))?
            .get(header.id.as_slice())
            .map_err(|e| dbe(&e))?
            .is_some()
        {
            report.outcome = "already-imported";
            wtx.abort().map_err(|e| dbe(&e))?;
            return Ok(report);
        }

        // 2. Expiry against max(now, floor).
        let effective_now = floor.map_or(options.now, |f| f.max(options.now));
        if let Some(expires) = header.expires
            && expires <= effective_now
        {
            return Err(ImportError::Expired {
                expires: format_instant(expires),
                now: format_instant(effective_now),
            });
        }

        // 3. Rollback: sequence only goes up per (publisher, channel).
        let channel_key =
            super::keys::encode(&[&header.publisher, &header.channel]).map_err(|e| {
                ImportError::Key {
                    entry: "manifest".into(),
                    message: e.to_string(),
                }
            })?;
        {
            let heads = wtx.open_table(tables::CHANNEL_HEADS).map_err(|e| dbe(&e))?;
            if let Some(v) = heads.get(channel_key.as_slice()).map_err(|e| dbe(&e))? {
                let head: ChannelHead = serde_json::from_slice(v.value())
                    .map_err(|e| ImportError::Store(corrupt("channel_heads", e)))?;
                report.previous_sequence = Some(head.sequence);
                if header.sequence <= head.sequence {
                    if !options.allow_downgrade {
                        return Err(ImportError::Rollback {
                            publisher: header.publisher.clone(),
                            channel: header.channel.clone(),
                            sequence: header.sequence,
                            head: head.sequence,
                            head_bundle: head.bundle,
                        });
                    }
                    report.downgraded = true;
                }
            }
        }

        // 4. Entries: raw evidence and index rows.
        let scope = (header.publisher.as_str(), header.channel.as_str());
        let scope_prefix = {
            let mut p = channel_key.clone();
            p.push(0);
            p
        };
        {
            let mut t = Tables {
                rows: RowTable::ALL
                    .into_iter()
                    .map(|r| Ok((r, wtx.open_table(r.def())?)))
                    .collect::<Result<_, redb::TableError>>()
                    .map_err(|e| dbe(&e))?,
                entries: wtx.open_table(tables::SCOPE_ENTRIES).map_err(|e| dbe(&e))?,
                raw: wtx.open_table(tables::RAW).map_err(|e| dbe(&e))?,
                checkpoints: wtx
                    .open_table(tables::TLOG_CHECKPOINTS)
                    .map_err(|e| dbe(&e))?,
            };
            let envelope_sha = Digest::sha256(&header.envelope);
            put_raw(&mut t.raw, envelope_sha.as_bytes(), &header.envelope).map_err(|e| dbe(&e))?;
            let mut bytes_done = 0u64;
            let mut tlog = TlogMaterial::default();
            let mut writer = RowWriter {
                header,
                scope_prefix: &scope_prefix,
                sources: HashSet::new(),
                paths: HashSet::new(),
            };
            pipeline(
                entries,
                scope,
                |entry| {
                    report.entries += 1;
                    if entry.kind == EntryKind::Tlog {
                        tlog.add(&entry.path, &entry.bytes);
                    }
                },
                |prepared| {
                    writer
                        .write(&mut t, prepared, &mut report.counts)
                        .map_err(|e| match e {
                            IndexFailure::Db(m) => dbe(&m),
                            IndexFailure::Import(e) => e,
                        })?;
                    bytes_done += prepared.bytes.len() as u64;
                    progress(ImportEvent::Entry {
                        entries: prepared.ordinal,
                        bytes: bytes_done,
                    });
                    Ok(())
                },
            )?;

            // 4a. Transparency-log checkpoints: verified, and advanced only consistently.
            self.advance_checkpoints(&mut t, &tlog, logs, &mut report.counts)
                .map_err(|e| match e {
                    IndexFailure::Db(m) => dbe(&m),
                    IndexFailure::Import(e) => e,
                })?;

            // 5. Snapshot sweep: rows the scope's previous entries wrote that no entry of this
            // bundle wrote go, and so do the index rows of entries this bundle no longer has.
            if header.kind == BundleKind::Snapshot {
                let before = previous.as_ref().expect("opened for snapshots");
                writer
                    .sweep(&mut t, before, &mut report.counts)
                    .map_err(|e| match e {
                        IndexFailure::Db(m) => dbe(&m),
                        IndexFailure::Import(e) => e,
                    })?;
            }

            // 6. Bookkeeping.
            let record = BundleRecord {
                base: header.base.clone(),
                channel: header.channel.clone(),
                created: format_instant(header.created),
                entries: report.entries,
                envelope_sha256: envelope_sha.hex(),
                expires: header.expires.map(format_instant),
                imported_at: format_instant(options.now),
                kind: header.kind,
                publisher: header.publisher.clone(),
                sequence: header.sequence,
            };
            let mut bundles = wtx.open_table(tables::BUNDLES).map_err(|e| dbe(&e))?;
            bundles
                .insert(header.id.as_slice(), canonical(&record).as_slice())
                .map_err(|e| dbe(&e))?;
            let head = ChannelHead {
                bundle: id_text.clone(),
                sequence: header.sequence,
            };
            let mut heads = wtx.open_table(tables::CHANNEL_HEADS).map_err(|e| dbe(&e))?;
            heads
                .insert(channel_key.as_slice(), canonical(&head).as_slice())
                .map_err(|e| dbe(&e))?;
            let new_floor = floor.map_or(header.created, |f| f.max(header.created));
            let mut meta = wtx.open_table(tables::META).map_err(|e| dbe(&e))?;
            meta.insert(
                tables::META_TIME_FLOOR,
                canonical(&format_instant(new_floor)).as_slice(),
            )
            .map_err(|e| dbe(&e))?;
            report.time_floor = Some(format_instant(new_floor));
        }
        wtx.commit().map_err(|e| dbe(&e))?;
        Ok(report)
    }
}

impl Store {
    fn advance_checkpoints(
        &self,
        t: &mut Tables<'_>,
        tlog: &TlogMaterial,
        logs: &LogTrust,
        counts: &mut BTreeMap<&'static str, Counts>,
    ) -> Result<(), IndexFailure> {
        let mut stored = BTreeMap::new();
        for origin in tlog.origins() {
            let Some(v) = t.checkpoints.get(origin.as_bytes())? else {
                continue;
            };
            let bad = |m: String| IndexFailure::Db(format!("tlog_checkpoints {origin:?}: {m}"));
            let c: Checkpoint =
                serde_json::from_slice(v.value()).map_err(|e| bad(e.to_string()))?;
            let root =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &c.root_hash)
                    .ok()
                    .and_then(|r| <[u8; 32]>::try_from(r).ok())
                    .ok_or_else(|| bad("root_hash: expected base64 of 32 bytes".into()))?;
            stored.insert(
                origin.clone(),
                crate::tlog::checkpoint::Checkpoint {
                    origin: c.origin,
                    size: c.size,
                    root,
                    extensions: Vec::new(),
                },
            );
        }
        let advances = tlog.resolve(logs, &stored);
        let advances = advances.map_err(|e| IndexFailure::Import(e.into()))?;
        for a in advances {
            let sha = Digest::sha256(&a.note);
            put_raw(&mut t.raw, sha.as_bytes(), &a.note)?;
            let value = Checkpoint {
                origin: a.checkpoint.origin.clone(),
                raw: sha.hex(),
                root_hash: base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    a.checkpoint.root,
                ),
                size: a.checkpoint.size,
            };
            let old = t
                .checkpoints
                .insert(value.origin.as_bytes(), canonical(&value).as_slice())?;
            let c = counts.entry("tlog_checkpoints").or_default();
            if old.is_some() {
                c.updated += 1;
            } else {
                c.added += 1;
            }
        }
        Ok(())
    }
}

/// Entries in flight between the bundle reader and the row writer: bounds the memory the
/// pipeline holds to this many entries (each within the bundle's entry-size limit) and their
/// rows.
const PIPELINE_DEPTH: usize = 2;

/// One entry parsed and encoded off the writer's thread: its rows sorted by (table, key) so
/// that the B-tree inserts of one entry walk each table in order. The sort is stable, so rows
/// with the same key keep their manifest order (the last one wins, as before).
struct Prepared {
    /// 1-based position of the entry in the bundle.
    ordinal: u64,
    path: String,
    kind: EntryKind,
    bytes: Vec<u8>,
    sha: Digest,
    /// Canonical JSON of the rows' [`Source`] (the `source` member of each row value).
    source_json: Vec<u8>,
    rows: Vec<EncodedRow>,
}

/// Parses and encodes one verified entry (pure: no store access, runs on the parse thread).
fn prepare(
    ordinal: u64,
    entry: VerifiedEntry,
    scope: (&str, &str),
) -> Result<Prepared, ImportError> {
    let parse_error = |message: String| ImportError::EntryParse {
        entry: entry.path.clone(),
        kind: entry.kind.to_string(),
        message,
    };
    let sha = Digest::sha256(&entry.bytes);
    let source_json = canonical(&Source {
        entry: entry.path.clone(),
        kind: entry.kind,
        sha256: sha.hex(),
    });
    let rows = entry_rows(entry.kind, &entry.path, &entry.bytes, scope, &source_json).map_err(
        |e| match e {
            RowsError::Parse(message) => parse_error(message),
            RowsError::TooManyRecords(n) => parse_error(format!(
                "{n} records, more than the limit of {MAX_ROWS_PER_ENTRY}"
            )),
            RowsError::Key(message) => ImportError::Key {
                entry: entry.path.clone(),
                message,
            },
        },
    )?;
    Ok(Prepared {
        ordinal,
        path: entry.path,
        kind: entry.kind,
        bytes: entry.bytes,
        source_json,
        sha,
        rows,
    })
}

/// Runs the import's entry loop on two threads: this one reads and verifies the bundle
/// (`entries`, which need not be `Send`) and writes rows (`write`, which owns the redb
/// transaction); a scoped worker parses and encodes ([`prepare`]). Entries are written in
/// manifest order. At most [`PIPELINE_DEPTH`] entries are in flight, and both channels hold that
/// many, so neither side can block the other forever. The first error stops both; the worker
/// ends when its channels close.
fn pipeline<'s>(
    entries: &mut dyn Iterator<Item = Result<VerifiedEntry, ImportError>>,
    scope: (&'s str, &'s str),
    mut on_read: impl FnMut(&VerifiedEntry),
    mut write: impl FnMut(&Prepared) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    std::thread::scope(|s| {
        let (to_worker, work) =
            std::sync::mpsc::sync_channel::<(u64, VerifiedEntry)>(PIPELINE_DEPTH);
        let (done_tx, done) = std::sync::mpsc::sync_channel(PIPELINE_DEPTH);
        s.spawn(move || {
            for (ordinal, entry) in work {
                if done_tx.send(prepare(ordinal, entry, scope)).is_err() {
                    break;
                }
            }
        });
        let mut to_worker = Some(to_worker);
        let (mut read, mut in_flight) = (0u64, 0usize);
        loop {
            while in_flight < PIPELINE_DEPTH
                && let Some(tx) = &to_worker
            {
                match entries.next() {
                    Some(entry) => {
                        let entry = entry?;
                        on_read(&entry);
                        read += 1;
                        tx.send((read, entry))
                            .expect("the worker runs until its input closes");
                        in_flight += 1;
                    }
                    None => to_worker = None,
                }
            }
            if in_flight == 0 {
                return Ok(());
            }
            let prepared = done
                .recv()
                .expect("the worker answers every entry it was sent")?;
            in_flight -= 1;
            write(&prepared)?;
        }
    })
}

/// Writes prepared entries into the open tables, and sweeps a snapshot's scope at the end.
struct RowWriter<'h> {
    header: &'h BundleHeader,
    scope_prefix: &'h [u8],
    /// `source` bytes of every entry written so far: a row whose value has one of these was
    /// written by this import. Bounded by the bundle's entry count, not its row count.
    sources: HashSet<Vec<u8>>,
    /// Paths of the entries written so far.
    paths: HashSet<String>,
}

impl RowWriter<'_> {
    /// Stores the entry's raw bytes, its rows and its `scope_entries` row.
    ///
    /// A row counts once per import: a key the same entry wrote just before (rows are sorted,
    /// so repeats are adjacent) or whose old value an earlier entry of this import wrote is not
    /// counted again.
    fn write(
        &mut self,
        t: &mut Tables<'_>,
        p: &Prepared,
        counts: &mut BTreeMap<&'static str, Counts>,
    ) -> Result<(), IndexFailure> {
        let fresh = put_raw(&mut t.raw, p.sha.as_bytes(), &p.bytes)?;
        let c = counts.entry("raw").or_default();
        if fresh {
            c.added += 1
        } else {
            c.unchanged += 1
        }
        let key = entry_index::key(self.scope_prefix, &p.path);
        // A path the scope held before: most of its rows are likely unchanged, so each is read
        // first and written only if it differs (a read dirties no page; rewriting the same bytes
        // would copy the leaf). A new path's rows are simply inserted.
        let seen_before = t.entries.get(key.as_slice())?.is_some();
        let mut last: Option<(RowTable, &[u8])> = None;
        for row in &p.rows {
            let table = t.rows.get_mut(&row.table).expect("all row tables are open");
            let old = if seen_before {
                let old = table.get(row.key.as_slice())?.map(|v| v.value().to_vec());
                if old.as_deref() != Some(row.value.as_slice()) {
                    table.insert(row.key.as_slice(), row.value.as_slice())?;
                }
                old
            } else {
                table
                    .insert(row.key.as_slice(), row.value.as_slice())?
                    .map(|v| v.value().to_vec())
            };
            let repeat = last == Some((row.table, row.key.as_slice()));
            last = Some((row.table, row.key.as_slice()));
            if row.table == RowTable::AdvisoryIds || repeat {
                continue;
            }
            if old
                .as_deref()
                .and_then(entry_index::row_source)
                .is_some_and(|s| self.sources.contains(s))
            {
                continue;
            }
            let c = counts.entry(row.table.name()).or_default();
            match old {
                None => c.added += 1,
                Some(v) if v == row.value => c.unchanged += 1,
                Some(_) => c.updated += 1,
            }
        }
        let refs = p.rows.iter().map(|r| (r.table, r.key.as_slice()));
        let value = match self.header.kind {
            BundleKind::Snapshot => entry_index::encode(p.sha.as_bytes(), p.kind.name(), refs),
            // No sweep follows a delta-kind import: rows the entry's previous content wrote stay,
            // so they stay listed (the union of both lists) for a later snapshot to sweep.
            BundleKind::Delta => {
                let mut all: BTreeSet<(RowTable, Vec<u8>)> =
                    refs.map(|(t, k)| (t, k.to_vec())).collect();
                if let Some(old) = t.entries.get(key.as_slice())? {
                    let old = entry_index::EntryRows::decode(old.value())
                        .map_err(|e| IndexFailure::Db(e.to_string()))?;
                    for r in old.refs() {
                        let (t, k) = r.map_err(|e| IndexFailure::Db(e.to_string()))?;
                        all.insert((t, k.to_vec()));
                    }
                }
                entry_index::encode(
                    p.sha.as_bytes(),
                    p.kind.name(),
                    all.iter().map(|(t, k)| (*t, k.as_slice())),
                )
            }
        };
        t.entries.insert(key.as_slice(), value.as_slice())?;
        self.sources.insert(p.source_json.clone());
        self.paths.insert(p.path.clone());
        Ok(())
    }

    /// The snapshot sweep (`spec/store.md` §5 step 6): every row listed by an entry of this
    /// scope in the previous commit is deleted unless an entry of this import wrote it (an
    /// `advisory_ids` row follows the `advisories` row it mirrors); index rows of paths this
    /// bundle does not have are deleted. Streams the previous index: memory does not grow with
    /// the store.
    fn sweep(
        &self,
        t: &mut Tables<'_>,
        before: &redb::ReadTransaction,
        counts: &mut BTreeMap<&'static str, Counts>,
    ) -> Result<(), IndexFailure> {
        let db = |e: &dyn std::fmt::Display| IndexFailure::Db(e.to_string());
        let old_index = before
            .open_table(tables::SCOPE_ENTRIES)
            .map_err(|e| db(&e))?;
        let mut end = self.scope_prefix.to_vec();
        *end.last_mut().expect("scope prefix ends with NUL") = 1;
        for item in old_index
            .range(self.scope_prefix..end.as_slice())
            .map_err(|e| db(&e))?
        {
            let (k, v) = item.map_err(|e| db(&e))?;
            let path = std::str::from_utf8(&k.value()[self.scope_prefix.len()..])
                .map_err(|e| db(&format!("scope_entries key: {e}")))?;
            if !self.paths.contains(path) {
                t.entries.remove(k.value())?;
            }
            let rows = entry_index::EntryRows::decode(v.value()).map_err(|e| db(&e))?;
            for r in rows.refs() {
                let (table, key) = r.map_err(|e| db(&e))?;
                let (check_table, check_key) = match table {
                    RowTable::AdvisoryIds => (
                        RowTable::Advisories,
                        entry_index::advisory_of_id_key(key)
                            .ok_or_else(|| db(&"advisory_ids key: expected 5 components"))?,
                    ),
                    _ => (table, key.to_vec()),
                };
                let written_here =
                    t.rows[&check_table]
                        .get(check_key.as_slice())?
                        .is_some_and(|v| {
                            entry_index::row_source(v.value())
                                .is_some_and(|s| self.sources.contains(s))
                        });
                if written_here {
                    continue;
                }
                let gone = t
                    .rows
                    .get_mut(&table)
                    .expect("all row tables are open")
                    .remove(key)?
                    .is_some();
                if gone && table != RowTable::AdvisoryIds {
                    counts.entry(table.name()).or_default().removed += 1;
                }
            }
        }
        Ok(())
    }
}

enum IndexFailure {
    Db(String),
    Import(ImportError),
}

impl From<redb::StorageError> for IndexFailure {
    fn from(e: redb::StorageError) -> Self {
        Self::Db(e.to_string())
    }
}

/// Stores `bytes` under its SHA-256 unless present; true if it was new.
fn put_raw(
    raw: &mut Table<'_, &'static [u8; 32], &'static [u8]>,
    sha: &[u8; 32],
    bytes: &[u8],
) -> Result<bool, redb::StorageError> {
    if raw.get(sha)?.is_some() {
        return Ok(false);
    }
    raw.insert(sha, bytes)?;
    Ok(true)
}
