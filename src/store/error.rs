//! Errors of the store's operations, each with a stable code.

use crate::{Coded, FailureClass};

/// Opening or reading the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No store exists at the given directory.
    #[error("no store at {dir} (import a bundle first, or pass --store DIR)")]
    NotFound {
        /// The store directory.
        dir: String,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// redb reported an error.
    #[error("store database {path}: {message}")]
    Database {
        /// The database file.
        path: String,
        /// redb's message.
        message: String,
    },
    /// The store was written by a newer airlock.
    #[error("store schema version {found} is newer than this airlock supports ({supported})")]
    SchemaUnsupported {
        /// Version in the file.
        found: u64,
        /// Version this build supports.
        supported: u64,
    },
    /// A stored value is malformed.
    #[error("store table {table}: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Coded for StoreError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "store-not-found",
            Self::Io { .. } => "io-error",
            Self::Database { .. } => "store-database-error",
            Self::SchemaUnsupported { .. } => "store-schema-unsupported",
            Self::Corrupt { .. } => "store-inconsistent",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Corrupt { .. } => FailureClass::Rejected,
            _ => FailureClass::CouldNotRun,
        }
    }
}

/// An import was refused or failed; the store is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundle failed verification (signature, digests, Merkle root, format).
    #[error("{message}")]
    Bundle {
        /// The bundle verifier's code.
        code: &'static str,
        /// Rejected or could-not-run, as the verifier classified it.
        class: FailureClass,
        /// The verifier's message.
        message: String,
    },
    /// The bundle expired before `max(now, time floor)`.
    #[error(
        "bundle expired at {expires}, which is not after {now} (the later of the clock/--at and the store's time floor)"
    )]
    Expired {
        /// The manifest's `expires`.
        expires: String,
        /// The effective time.
        now: String,
    },
    /// The bundle's sequence is not above the channel head.
    #[error(
        "publisher {publisher:?} channel {channel:?}: sequence {sequence} is not above the store's head {head} (bundle {head_bundle}); pass --allow-downgrade (unsafe) to force"
    )]
    Rollback {
        /// Publisher.
        publisher: String,
        /// Channel.
        channel: String,
        /// The bundle's sequence.
        sequence: u64,
        /// The head's sequence.
        head: u64,
        /// The head's bundle id.
        head_bundle: String,
    },
    /// An entry failed to parse; the whole bundle is rejected.
    #[error("entry {entry} ({kind}): {message}")]
    EntryParse {
        /// Entry path.
        entry: String,
        /// Entry kind.
        kind: String,
        /// The parser's error.
        message: String,
    },
    /// The bundle's transparency-log material was refused (`log-inconsistent`, or the
    /// checkpoint verifier's code).
    #[error(transparent)]
    Tlog(#[from] super::tlog::TlogImportError),
    /// A record produced an invalid key.
    #[error("entry {entry}: {message}")]
    Key {
        /// Entry path.
        entry: String,
        /// What is wrong with the key.
        message: String,
    },
}

impl Coded for ImportError {
    fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Bundle { code, .. } => code,
            Self::Expired { .. } => "bundle-expired",
            Self::Rollback { .. } => "rollback-detected",
            Self::EntryParse { .. } => "entry-parse-failed",
            Self::Key { .. } => "store-key-invalid",
            Self::Tlog(super::tlog::TlogImportError::Checkpoint { code, .. }) => code,
            Self::Tlog(super::tlog::TlogImportError::Inconsistent { source, .. }) => source.code(),
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Store(e) => e.class(),
            Self::Bundle { class, .. } => *class,
            _ => FailureClass::Rejected,
        }
    }
}
