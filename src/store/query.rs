//! What the proof engine asks the store. Every query runs on a [`Snapshot`], a read transaction:
//! it sees one consistent commit and never waits for an import in progress.

use bundle_format::Digest;
use std::sync::OnceLock;

use redb::{ReadTransaction, ReadableTable};
use serde::Serialize;
use serde_json::Value;

use super::db::{Store, db_err};
use super::error::StoreError;
use super::keys;
use super::records::{BundleRecord, ChannelHead, Checkpoint, Row, RowTable, Source};
use super::tables;

/// One index row as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRow {
    /// Table name.
    pub table: &'static str,
    /// Key components before the scope (e.g. vulnerability, package, advisory id).
    pub key: Vec<String>,
    /// Publisher whose bundle contributed the row.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// The normalized record.
    pub record: Value,
    /// The raw evidence it came from (`source.sha256` is a key of [`Snapshot::raw`]).
    pub source: Source,
}

/// A bundle as recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBundle {
    /// Bundle id, `sha256:<hex>`.
    pub id: String,
    /// Its record.
    #[serde(flatten)]
    pub record: BundleRecord,
}

/// A row table opened in a snapshot.
type OpenRowTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A consistent read-only view of the store (one read transaction).
pub struct Snapshot {
    txn: ReadTransaction,
    path: std::path::PathBuf,
    /// Row tables opened so far (a table is opened once per snapshot, not once per query: the
    /// proof engine runs several queries per proof). Indexed by [`row_slot`].
    row_tables: [OnceLock<OpenRowTable>; ROW_SLOTS],
    /// Channel heads, read once (the snapshot never changes).
    heads: OnceLock<Vec<(String, String, ChannelHead)>>,
}

const ROW_SLOTS: usize = 6;

fn row_slot(table: RowTable) -> usize {
    match table {
        RowTable::Advisories => 0,
        RowTable::AdvisoryIds => 1,
        RowTable::ChangelogMentions => 2,
        RowTable::Patches => 3,
        RowTable::Fingerprints => 4,
        RowTable::Attestations => 5,
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A consistent view of the last commit.
    ///
    /// # Errors
    /// A database error.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            txn: self.begin_read()?,
            path: Store::db_path(self.dir()),
            row_tables: Default::default(),
            heads: OnceLock::new(),
        })
    }

    /// Appends a proof (canonical JSON, exactly as issued) to the audit log; returns its
    /// sequence number (from 1). One small write transaction; waits for a running import.
    ///
    /// # Errors
    /// A database error.
    pub fn append_proof(&self, proof: &[u8]) -> Result<u64, StoreError> {
        let mut appender = self.proof_appender()?;
        appender.push(proof.to_vec())?;
        Ok(appender.commit()? - 1)
    }
}

impl Store {
    /// Starts appending proofs to the audit log in one write transaction (waits for a running
    /// import). Nothing is recorded unless [`ProofAppender::commit`] succeeds: the batch is
    /// atomic, so a crash or an abandoned run records none of it.
    ///
    /// # Errors
    /// A database error.
    pub fn proof_appender(&self) -> Result<ProofAppender, StoreError> {
        let path = Store::db_path(self.dir());
        let wtx = self.begin_write_blocking(&mut || {})?;
        let next = {
            let t = wtx
                .open_table(tables::PROOFS)
                .map_err(|e| db_err(&path, e))?;
            t.last()
                .map_err(|e| db_err(&path, e))?
                .map_or(1, |(k, _)| k.value() + 1)
        };
        Ok(ProofAppender {
            wtx,
            path,
            next,
            pending: Vec::new(),
        })
    }
}

/// Proofs held before they are inserted in one go (the table is opened once per chunk).
const APPEND_CHUNK: usize = 1024;

/// Appends proofs to the audit log, in the order given, within one write transaction.
pub struct ProofAppender {
    wtx: redb::WriteTransaction,
    path: std::path::PathBuf,
    /// The sequence number the next inserted proof gets.
    next: u64,
    pending: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ProofAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofAppender")
            .field("path", &self.path)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl ProofAppender {
    /// Queues a proof (canonical JSON, exactly as issued).
    ///
    /// # Errors
    /// A database error.
    pub fn push(&mut self, proof: Vec<u8>) -> Result<(), StoreError> {
        self.pending.push(proof);
        if self.pending.len() >= APPEND_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let path = &self.path;
        let mut t = self
            .wtx
            .open_table(tables::PROOFS)
            .map_err(|e| db_err(path, e))?;
        for proof in self.pending.drain(..) {
            t.insert(self.next, proof.as_slice())
                .map_err(|e| db_err(path, e))?;
            self.next += 1;
        }
        Ok(())
    }

    /// Records every queued proof durably (one commit); returns the next free sequence number.
    ///
    /// # Errors
    /// A database error; then nothing of this batch is recorded.
    pub fn commit(mut self) -> Result<u64, StoreError> {
        self.flush()?;
        self.wtx.commit().map_err(|e| db_err(&self.path, e))?;
        Ok(self.next)
    }
}

impl Snapshot {
    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        db_err(&self.path, e)
    }

    pub(crate) fn txn(&self) -> &ReadTransaction {
        &self.txn
    }

    fn row_table(&self, table: RowTable) -> Result<&OpenRowTable, StoreError> {
        let slot = &self.row_tables[row_slot(table)];
        if let Some(t) = slot.get() {
            return Ok(t);
        }
        let t = self.txn.open_table(table.def()).map_err(|e| self.err(e))?;
        Ok(slot.get_or_init(|| t))
    }

    fn scan(&self, table: RowTable, prefix: &[&str]) -> Result<Vec<StoredRow>, StoreError> {
        let (start, end) = keys::prefix_range(prefix).map_err(|e| self.err(e))?;
        let t = self.row_table(table)?;
        let mut out = Vec::new();
        for item in t
            .range(start.as_slice()..end.as_slice())
            .map_err(|e| self.err(e))?
        {
            let (k, v) = item.map_err(|e| self.err(e))?;
            out.push(decode_row(table, k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Advisories for `vulnerability` (e.g. `CVE-2024-3094`) and `package` (a Package URL
    /// without version, e.g. `pkg:deb/debian/xz-utils`), from every publisher and channel.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn advisories(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Advisories, &[vulnerability, package])
    }

    /// Every advisory row for `vulnerability`, any package.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn advisories_for_vulnerability(
        &self,
        vulnerability: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Advisories, &[vulnerability])
    }

    /// The advisory rows of one advisory document, by its own id (`DSA-5678-1`, `GHSA-…`).
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn advisories_by_id(&self, advisory_id: &str) -> Result<Vec<StoredRow>, StoreError> {
        let (start, end) = keys::prefix_range(&[advisory_id]).map_err(|e| self.err(e))?;
        let ids = self
            .txn
            .open_table(tables::ADVISORY_IDS)
            .map_err(|e| self.err(e))?;
        let adv = self
            .txn
            .open_table(tables::ADVISORIES)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for item in ids
            .range(start.as_slice()..end.as_slice())
            .map_err(|e| self.err(e))?
        {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let parts = keys::decode(k.value());
            if let [id, vuln, pkg, p, c] = parts.as_slice() {
                let key = keys::encode(&[vuln, pkg, id, p, c]).map_err(|e| self.err(e))?;
                if let Some(v) = adv.get(key.as_slice()).map_err(|e| self.err(e))? {
                    out.push(decode_row(RowTable::Advisories, &key, v.value())?);
                }
            }
        }
        Ok(out)
    }

    /// Changelog entries of source package `package` (`pkg:deb/debian/openssl`) that mention
    /// `vulnerability`, with the version that mentions it.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn changelog_mentions(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::ChangelogMentions, &[vulnerability, package])
    }

    /// Patches that name `vulnerability`, any package, with their HunkSigs.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn patches(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Patches, &[vulnerability])
    }

    /// Patches for `vulnerability` in `package`.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn patches_for(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Patches, &[vulnerability, package])
    }

    /// Function fingerprints tied to `vulnerability`, any package.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn fingerprints(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Fingerprints, &[vulnerability])
    }

    /// Fingerprints for `vulnerability` in `package`.
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn fingerprints_for(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Fingerprints, &[vulnerability, package])
    }

    /// Attestations about `subject` (`sha256:<hex>`).
    ///
    /// # Errors
    /// A database error or a malformed row.
    pub fn attestations(&self, subject: &str) -> Result<Vec<StoredRow>, StoreError> {
        self.scan(RowTable::Attestations, &[subject])
    }

    /// The largest verified checkpoint stored for log `origin`.
    ///
    /// # Errors
    /// A database error or a malformed value.
    pub fn checkpoint(&self, origin: &str) -> Result<Option<Checkpoint>, StoreError> {
        let t = self
            .txn
            .open_table(tables::TLOG_CHECKPOINTS)
            .map_err(|e| self.err(e))?;
        t.get(origin.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|v| serde_json::from_slice(v.value()).map_err(|e| corrupt("tlog_checkpoints", e)))
            .transpose()
    }

    /// Raw evidence by its SHA-256 (the `source.sha256` of a row), so a proof can cite and
    /// re-hash its sources. Returns `None` for another algorithm or an unknown digest.
    ///
    /// # Errors
    /// A database error.
    pub fn raw(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        if digest.algorithm() != bundle_format::DigestAlgorithm::Sha256 {
            return Ok(None);
        }
        let t = self.txn.open_table(tables::RAW).map_err(|e| self.err(e))?;
        Ok(t.get(digest.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|v| v.value().to_vec()))
    }

    /// Every imported bundle, ordered by publisher, channel, sequence.
    ///
    /// # Errors
    /// A database error or a malformed value.
    pub fn bundles(&self) -> Result<Vec<StoredBundle>, StoreError> {
        let t = self
            .txn
            .open_table(tables::BUNDLES)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for item in t.iter().map_err(|e| self.err(e))? {
            let (k, v) = item.map_err(|e| self.err(e))?;
            let record: BundleRecord =
                serde_json::from_slice(v.value()).map_err(|e| corrupt("bundles", e))?;
            out.push(StoredBundle {
                id: format!("sha256:{}", hex::encode(k.value())),
                record,
            });
        }
        out.sort_by(|a, b| {
            (&a.record.publisher, &a.record.channel, a.record.sequence).cmp(&(
                &b.record.publisher,
                &b.record.channel,
                b.record.sequence,
            ))
        });
        Ok(out)
    }

    /// Channel heads: (publisher, channel, head).
    ///
    /// # Errors
    /// A database error or a malformed value.
    pub fn channel_heads(&self) -> Result<Vec<(String, String, ChannelHead)>, StoreError> {
        if let Some(heads) = self.heads.get() {
            return Ok(heads.clone());
        }
        let t = self
            .txn
            .open_table(tables::CHANNEL_HEADS)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for item in t.iter().map_err(|e| self.err(e))? {
            let (k, v) = item.map_err(|e| self.err(e))?;
            let parts = keys::decode(k.value());
            let head: ChannelHead =
                serde_json::from_slice(v.value()).map_err(|e| corrupt("channel_heads", e))?;
            let [p, c] = <[String; 2]>::try_from(parts)
                .map_err(|_| corrupt("channel_heads", "expected publisher 0 channel"))?;
            out.push((p, c, head));
        }
        Ok(self.heads.get_or_init(|| out).clone())
    }

    /// The store's time floor (RFC 3339), if any bundle was imported.
    ///
    /// # Errors
    /// A database error or a malformed value.
    pub fn time_floor(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        let meta = self.txn.open_table(tables::META).map_err(|e| self.err(e))?;
        super::import::read_time_floor(&meta)
    }

    /// Proofs in the audit log: (sequence, canonical JSON).
    ///
    /// # Errors
    /// A database error.
    pub fn proofs(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let t = self
            .txn
            .open_table(tables::PROOFS)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for item in t.iter().map_err(|e| self.err(e))? {
            let (k, v) = item.map_err(|e| self.err(e))?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }
}

pub(crate) fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        message: e.to_string(),
    }
}

/// Decodes a row of `table` (not `advisory_ids`).
pub(crate) fn decode_row(
    table: RowTable,
    key: &[u8],
    value: &[u8],
) -> Result<StoredRow, StoreError> {
    let mut parts = keys::decode(key);
    if parts.len() < 3 {
        return Err(corrupt(
            table.name(),
            format!("key {parts:?}: expected at least 3 components"),
        ));
    }
    let channel = parts.pop().expect("length checked");
    let publisher = parts.pop().expect("length checked");
    let row: Row = serde_json::from_slice(value).map_err(|e| corrupt(table.name(), e))?;
    Ok(StoredRow {
        table: table.name(),
        key: parts,
        publisher,
        channel,
        record: row.record,
        source: row.source,
    })
}
