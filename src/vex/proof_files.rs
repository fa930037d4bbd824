//! The proof files a VEX run writes beside its document, made durable in one pass.
//!
//! Durability invariant: a VEX document is renamed into place only after every proof file it
//! cites is durable, so a crash never leaves a document that cites a missing or torn proof.
//! [`Batch`] gives the first half of that: each proof is written without a per-file
//! fsync — a new name is created and written in place (three system calls; nothing cites it
//! yet), an existing name is kept if it already holds the same bytes or else replaced by an
//! atomic rename (so a reader of an earlier document citing it never sees it torn) — then the
//! whole batch is made durable at once — `syncfs` on Linux, else one fsync per file — followed
//! by an fsync of the directory so the new entries survive. Only when it returns may the caller
//! rename the document. File names are the proofs' content hashes, so an existing name holds the
//! same bytes unless it was torn by a crash (ext4 flushes a file renamed over another; on file
//! systems that do not, a crash before the batch sync could leave that older document's proof
//! empty).

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files written between two background flushes.
const FLUSH_EVERY: usize = 4096;

/// A batch of proof files being written into one directory, by any number of threads (`vex`
/// writes each proof from the worker that proved it); durable once [`Batch::finish`] returns.
///
/// While it is written, a background thread flushes what is written so far every
/// [`FLUSH_EVERY`] files, so the disk works while the proofs are computed and the final sync
/// has only the tail left. Those flushes only start writeback early: durability comes from the
/// final sync in [`Batch::finish`], which covers every file.
#[derive(Debug)]
pub struct Batch {
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Names claimed so far (each is written by the thread that claimed it).
    names: HashSet<String>,
    /// New files since the last background flush started.
    unflushed: usize,
    /// The running background flush, if any.
    flusher: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// The first error of a background flush, reported by [`Batch::finish`].
    flush_error: Option<io::Error>,
}

impl State {
    fn join_flusher(&mut self) {
        if let Some(f) = self.flusher.take() {
            let result = f.join().expect("the flush thread does not panic");
            if let Err(e) = result {
                self.flush_error.get_or_insert(e);
            }
        }
    }
}

impl Batch {
    /// Starts a batch in `dir`, creating it if needed.
    ///
    /// # Errors
    /// The directory could not be created, with its path.
    pub fn create(dir: &Path) -> Result<Self, (PathBuf, io::Error)> {
        std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            state: Mutex::default(),
        })
    }

    /// The directory the proofs go to.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("no poisoned lock")
    }

    /// Writes `bytes` plus a newline as `dir/<name>`, not yet durably. A name given again is
    /// skipped (names are content hashes).
    ///
    /// # Errors
    /// The I/O error with the path it concerns; files written before it may remain, but no
    /// caller has cited them yet.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
        if !self.state().names.insert(name.to_owned()) {
            return Ok(());
        }
        let path = self.dir.join(name);
        write_unsynced(&self.dir, &path, bytes).map_err(|e| (path, e))?;
        let mut state = self.state();
        state.unflushed += 1;
        if state.unflushed >= FLUSH_EVERY && state.flusher.as_ref().is_none_or(|f| f.is_finished())
        {
            state.join_flusher();
            let dir = self.dir.clone();
            state.flusher = Some(std::thread::spawn(move || flush_early(&dir)));
            state.unflushed = 0;
        }
        Ok(())
    }

    /// Makes every file of the batch and the directory durable. Only after this may a document
    /// citing them be renamed into place.
    ///
    /// # Errors
    /// The I/O error with the path it concerns.
    pub fn finish(self) -> Result<(), (PathBuf, io::Error)> {
        let mut state = self.state.into_inner().expect("no poisoned lock");
        state.join_flusher();
        if let Some(e) = state.flush_error.take() {
            return Err((self.dir, e));
        }
        sync_batch(&self.dir, &state.names)?;
        // The new directory entries are durable only after the directory is synced.
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| (self.dir.clone(), e))
    }
}

/// Writes `bytes` and a newline as `path`, without fsync (the batch is synced afterwards).
///
/// A name not yet taken is created exclusively and written in place: no document cites it until
/// the batch is durable, so nobody relies on it before it is complete (a crash may leave it torn,
/// and the next run that wants the name rewrites it). A name that exists already — cited by an
/// earlier document, its content being its hash — is left alone when it holds exactly these
/// bytes, and otherwise replaced atomically (temp file in `dir`, then rename), so a reader of that
/// earlier document never sees it torn.
fn write_unsynced(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut line = Vec::with_capacity(bytes.len() + 1);
    line.extend_from_slice(bytes);
    line.push(b'\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    match options.open(path) {
        Ok(mut file) => file.write_all(&line).inspect_err(|_| {
            // Best effort: leave no torn file under the final name.
            let _ = std::fs::remove_file(path);
        }),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if std::fs::read(path).is_ok_and(|existing| existing == line) {
                return Ok(());
            }
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(0o644))?;
            }
            tmp.write_all(&line)?;
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Makes the data of every file written into `dir` durable: one `syncfs` of the file system
/// holding `dir` on Linux (one journal commit instead of one per file).
#[cfg(target_os = "linux")]
fn sync_batch(dir: &Path, _files: &HashSet<String>) -> Result<(), (PathBuf, io::Error)> {
    std::fs::File::open(dir)
        .and_then(|d| rustix::fs::syncfs(&d).map_err(io::Error::from))
        .map_err(|e| (dir.to_path_buf(), e))
}

/// Starts writing back what is dirty on the file system holding `dir` (Linux: `syncfs`).
#[cfg(target_os = "linux")]
fn flush_early(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir).and_then(|d| rustix::fs::syncfs(&d).map_err(io::Error::from))
}

/// Elsewhere nothing is flushed early; [`Batch::finish`] syncs each file.
#[cfg(not(target_os = "linux"))]
fn flush_early(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Elsewhere: fsync each file of the batch in turn (kept ones too: a concurrent run may have
/// written them moments ago).
#[cfg(not(target_os = "linux"))]
fn sync_batch(dir: &Path, files: &HashSet<String>) -> Result<(), (PathBuf, io::Error)> {
    for name in files {
        let path = dir.join(name);
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| (path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_durably(dir: &Path, files: &[(String, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
        let batch = Batch::create(dir)?;
        for (name, bytes) in files {
            batch.write(name, bytes)?;
        }
        batch.finish()
    }

    #[test]
    fn writes_each_name_once_with_a_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("doc.proofs");
        let files = vec![
            ("a.proof.json".to_owned(), &b"{\"a\":1}"[..]),
            ("b.proof.json".to_owned(), &b"{\"b\":2}"[..]),
            ("a.proof.json".to_owned(), &b"{\"a\":1}"[..]),
        ];
        write_durably(&out, &files).unwrap();
        assert_eq!(
            std::fs::read(out.join("a.proof.json")).unwrap(),
            b"{\"a\":1}\n"
        );
        assert_eq!(
            std::fs::read(out.join("b.proof.json")).unwrap(),
            b"{\"b\":2}\n"
        );
        // No temp files are left behind.
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    }

    #[test]
    fn an_existing_name_is_kept_when_identical_and_replaced_when_torn() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("doc.proofs");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("same.proof.json"), b"{\"s\":1}\n").unwrap();
        std::fs::write(out.join("torn.proof.json"), b"{\"t\"").unwrap();
        #[cfg(unix)]
        let inode = |name: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(out.join(name)).unwrap().ino()
        };
        #[cfg(unix)]
        let (same_before, torn_before) = (inode("same.proof.json"), inode("torn.proof.json"));
        let files = vec![
            ("same.proof.json".to_owned(), &b"{\"s\":1}"[..]),
            ("torn.proof.json".to_owned(), &b"{\"t\":2}"[..]),
        ];
        write_durably(&out, &files).unwrap();
        assert_eq!(
            std::fs::read(out.join("torn.proof.json")).unwrap(),
            b"{\"t\":2}\n"
        );
        assert_eq!(
            std::fs::read(out.join("same.proof.json")).unwrap(),
            b"{\"s\":1}\n"
        );
        // The identical file was not rewritten; the torn one was replaced by a rename.
        #[cfg(unix)]
        {
            assert_eq!(inode("same.proof.json"), same_before);
            assert_ne!(inode("torn.proof.json"), torn_before);
        }
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    }

    #[test]
    fn an_unwritable_directory_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let out = blocker.join("proofs");
        let files = vec![("a.proof.json".to_owned(), &b"{}"[..])];
        let (path, _) = write_durably(&out, &files).unwrap_err();
        assert_eq!(path, out);
    }
}
