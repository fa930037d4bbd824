//! Opening the store: one redb file in a directory, shared between processes in redb's
//! `MultiWriter` mode so that readers never wait for an import (they see the last commit).

use std::path::{Path, PathBuf};

use redb::{ConcurrencyMode, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};

use super::error::StoreError;
use super::tables;

/// redb page cache per open store. Bounds the memory an import or a reader uses.
pub const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// The store directory to use: `explicit`, else `$AIRLOCK_STORE`, else `$XDG_DATA_HOME/airlock`,
/// else `$HOME/.local/share/airlock`.
#[must_use]
pub fn resolve_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env("AIRLOCK_STORE"))
        .or_else(|| env("XDG_DATA_HOME").map(|d| d.join("airlock")))
        .or_else(|| env("HOME").map(|h| h.join(".local/share/airlock")))
}

enum Handle {
    Write(redb::Database),
    Read(redb::ReadOnlyDatabase),
}

/// An open store.
pub struct Store {
    handle: Handle,
    dir: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) fn db_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn builder() -> redb::Builder {
    let mut b = redb::Database::builder();
    b.set_concurrency_mode(ConcurrencyMode::MultiWriter)
        .set_cache_size(CACHE_BYTES);
    b
}

impl Store {
    /// The database file of the store in `dir`.
    #[must_use]
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join(tables::DB_FILE)
    }

    /// The store directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens an existing store for reading. Never creates anything. A store left unclean by a
    /// crashed writer is repaired first (redb rolls back to the last commit).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], a database error, or an unsupported schema version.
    pub fn open_read(dir: &Path) -> Result<Store, StoreError> {
        let path = Self::db_path(dir);
        if !path.is_file() {
            return Err(StoreError::NotFound {
                dir: dir.display().to_string(),
            });
        }
        let handle = match builder().open_read_only(&path) {
            Ok(db) => Handle::Read(db),
            Err(redb::DatabaseError::RepairAborted) => {
                Handle::Write(builder().open(&path).map_err(|e| db_err(&path, e))?)
            }
            Err(e) => return Err(db_err(&path, e)),
        };
        let store = Store {
            handle,
            dir: dir.to_path_buf(),
        };
        store.check_schema()?;
        Ok(store)
    }

    /// Opens the store for writing, creating the directory, the file and the tables if needed.
    ///
    /// # Errors
    /// I/O, database error, or an unsupported schema version.
    pub fn open_write(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = Self::db_path(dir);
        let db = builder().create(&path).map_err(|e| db_err(&path, e))?;
        let store = Store {
            handle: Handle::Write(db),
            dir: dir.to_path_buf(),
        };
        let initialized = {
            let rtx = store.begin_read()?;
            match rtx.open_table(tables::META) {
                Ok(t) => t
                    .get(tables::META_SCHEMA_VERSION)
                    .map_err(|e| db_err(&path, e))?
                    .is_some(),
                Err(_) => false,
            }
        };
        if !initialized {
            let wtx = store.begin_write_blocking(&mut || {})?;
            create_tables(&wtx).map_err(|e| db_err(&path, e))?;
            {
                let mut meta = wtx.open_table(tables::META).map_err(|e| db_err(&path, e))?;
                if meta
                    .get(tables::META_SCHEMA_VERSION)
                    .map_err(|e| db_err(&path, e))?
                    .is_none()
                {
                    let v = tables::SCHEMA_VERSION.to_string();
                    meta.insert(tables::META_SCHEMA_VERSION, v.as_bytes())
                        .map_err(|e| db_err(&path, e))?;
                }
            }
            wtx.commit().map_err(|e| db_err(&path, e))?;
        }
        if store.check_schema()? == 1 {
            let wtx = store.begin_write_blocking(&mut || {})?;
            // Another writer may have migrated it while this one waited.
            let version = wtx
                .open_table(tables::META)
                .map_err(|e| db_err(&path, e))?
                .get(tables::META_SCHEMA_VERSION)
                .map_err(|e| db_err(&path, e))?
                .map(|v| v.value().to_vec());
            if version.as_deref() == Some(b"1".as_slice()) {
                super::migrate::v1_to_v2(&wtx).map_err(|e| db_err(&path, e))?;
                wtx.commit().map_err(|e| db_err(&path, e))?;
            }
        }
        Ok(store)
    }

    /// The store's schema version, if this build can read it.
    fn check_schema(&self) -> Result<u64, StoreError> {
        let path = Self::db_path(&self.dir);
        let rtx = self.begin_read()?;
        let found = match rtx.open_table(tables::META) {
            Ok(t) => match t
                .get(tables::META_SCHEMA_VERSION)
                .map_err(|e| db_err(&path, e))?
            {
                Some(v) => std::str::from_utf8(v.value())
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| StoreError::Corrupt {
                        table: "meta",
                        message: "schema_version: expected a JSON integer".into(),
                    })?,
                None => {
                    return Err(StoreError::NotFound {
                        dir: self.dir.display().to_string(),
                    });
                }
            },
            Err(_) => {
                return Err(StoreError::NotFound {
                    dir: self.dir.display().to_string(),
                });
            }
        };
        if found > tables::SCHEMA_VERSION {
            return Err(StoreError::SchemaUnsupported {
                found,
                supported: tables::SCHEMA_VERSION,
            });
        }
        Ok(found)
    }

    /// A read transaction: a consistent snapshot of the last commit; never waits for a writer.
    ///
    /// # Errors
    /// A database error.
    pub fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        let path = Self::db_path(&self.dir);
        match &self.handle {
            Handle::Write(db) => db.begin_read(),
            Handle::Read(db) => db.begin_read(),
        }
        .map_err(|e| db_err(&path, e))
    }

    /// A write transaction. If another process or thread is writing, calls `waiting` once and
    /// then waits for it to finish.
    ///
    /// # Errors
    /// A database error, or the store was opened read-only.
    pub fn begin_write_blocking(
        &self,
        waiting: &mut dyn FnMut(),
    ) -> Result<WriteTransaction, StoreError> {
        let path = Self::db_path(&self.dir);
        let Handle::Write(db) = &self.handle else {
            return Err(db_err(&path, "opened read-only"));
        };
        match db.try_begin_write() {
            Ok(w) => Ok(w),
            Err(redb::TransactionError::WouldBlock) => {
                waiting();
                db.begin_write().map_err(|e| db_err(&path, e))
            }
            Err(e) => Err(db_err(&path, e)),
        }
    }
}

/// Creates every table (a no-op for those that exist).
fn create_tables(wtx: &WriteTransaction) -> Result<(), redb::TableError> {
    wtx.open_table(tables::META)?;
    wtx.open_table(tables::BUNDLES)?;
    wtx.open_table(tables::CHANNEL_HEADS)?;
    for t in tables::ROW_TABLES {
        wtx.open_table(t)?;
    }
    wtx.open_table(tables::ADVISORY_IDS)?;
    wtx.open_table(tables::RAW)?;
    wtx.open_table(tables::TLOG_CHECKPOINTS)?;
    wtx.open_table(tables::SCOPE_ENTRIES)?;
    wtx.open_table(tables::PROOFS)?;
    Ok(())
}
