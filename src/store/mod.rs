//! The evidence store: one redb file holding everything imported from verified bundles, indexed
//! for the proof engine, with the raw evidence each row came from (`spec/store.md`).
//!
//! - [`tables`]: every table, beside [`tables::SCHEMA_VERSION`]
//! - [`Store::open_read`] / [`Store::open_write`]: open (readers never block)
//! - [`Store::import`]: one bundle, one write transaction, rollback rules
//! - [`tlog`]: transparency-log checkpoints per origin, advanced only with a consistency proof
//! - [`query`]: what the proof engine asks
//! - [`maintenance`]: status, list, show, check, digest, gc

mod advisory_row;
mod db;
mod delta_import;
mod entry_index;
pub mod error;
mod import;
pub mod keys;
pub mod maintenance;
mod migrate;
pub mod parse;
pub mod query;
pub mod records;
pub mod tables;
pub mod tlog;

pub use db::{CACHE_BYTES, Store, resolve_dir};
pub use delta_import::{DeltaPiece, SnapshotDelta};
pub use error::{ImportError, StoreError};
pub use import::{
    BundleHeader, Counts, ImportEvent, ImportOptions, ImportReport, MAX_ROWS_PER_ENTRY,
    VerifiedEntry, bundle_id_text,
};
pub use records::{BundleKind, CanonicalRecord, EntryKind, IndexRecord};
pub use tlog::LogTrust;

#[cfg(test)]
mod tests;
