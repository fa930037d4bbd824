//! The proof files a VEX run writes beside its document, made durable in one pass.
//!
//! Durability invariant: a VEX document is renamed into place only after every proof file it
//! cites is durable, so a crash never leaves a document that cites a missing or torn proof.
//! [`write_durably`] gives the first half of that: each proof is written to a temp file in the
//! proofs directory and renamed to its final name without a per-file fsync (a reader never sees a
//! torn file under a final name while the system stays up), then the whole batch is made durable
//! at once — `syncfs` on Linux, else one fsync per file — followed by an fsync of the directory
//! so the renames themselves survive. Only when it returns may the caller rename the document.
//! File names are the proofs' content hashes, so rewriting a name another document already cites
//! replaces it with the same bytes (ext4 flushes a file renamed over another; on file systems
//! that do not, a crash before the batch sync could leave that older document's proof empty).

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Writes each `(file name, canonical proof bytes)` as `dir/<name>` (bytes plus a newline),
/// using up to `jobs` threads, and returns once all of them and `dir` are durable.
/// A name given twice is written once (names are content hashes).
///
/// # Errors
/// The first I/O error, with the path it concerns; files written before it may remain, but no
/// caller has cited them yet.
pub fn write_durably(
    dir: &Path,
    files: &[(String, &[u8])],
    jobs: usize,
) -> Result<(), (PathBuf, io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let mut seen = HashSet::with_capacity(files.len());
    let unique: Vec<&(String, &[u8])> = files.iter().filter(|(n, _)| seen.insert(n)).collect();
    let next = AtomicUsize::new(0);
    let first_error = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, unique.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, bytes)) = unique.get(i) else {
                        break;
                    };
                    let path = dir.join(name);
                    if let Err(e) = write_unsynced(dir, &path, bytes) {
                        first_error
                            .lock()
                            .expect("no poisoned lock")
                            .get_or_insert((path, e));
                        // Stop every worker: the run fails anyway.
                        next.store(unique.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    if let Some(err) = first_error.into_inner().expect("no poisoned lock") {
        return Err(err);
    }
    sync_batch(dir, &unique)?;
    // The directory entries (the renames) are durable only after the directory is synced.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| (dir.to_path_buf(), e))
}

/// Temp file in `dir`, contents, rename to `path`; no fsync (the batch is synced afterwards).
fn write_unsynced(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    let mut line = Vec::with_capacity(bytes.len() + 1);
    line.extend_from_slice(bytes);
    line.push(b'\n');
    tmp.write_all(&line)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Makes the data of every file written into `dir` durable: one `syncfs` of the file system
/// holding `dir` on Linux (one journal commit instead of one per file).
#[cfg(target_os = "linux")]
fn sync_batch(dir: &Path, _files: &[&(String, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
    std::fs::File::open(dir)
        .and_then(|d| rustix::fs::syncfs(&d).map_err(io::Error::from))
        .map_err(|e| (dir.to_path_buf(), e))
}

/// Elsewhere: fsync each written file in turn.
#[cfg(not(target_os = "linux"))]
fn sync_batch(dir: &Path, files: &[&(String, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
    for (name, _) in files {
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

    #[test]
    fn writes_each_name_once_with_a_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("doc.proofs");
        let files = vec![
            ("a.proof.json".to_owned(), &b"{\"a\":1}"[..]),
            ("b.proof.json".to_owned(), &b"{\"b\":2}"[..]),
            ("a.proof.json".to_owned(), &b"{\"a\":1}"[..]),
        ];
        write_durably(&out, &files, 4).unwrap();
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
    fn an_unwritable_directory_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let out = blocker.join("proofs");
        let files = vec![("a.proof.json".to_owned(), &b"{}"[..])];
        let (path, _) = write_durably(&out, &files, 2).unwrap_err();
        assert_eq!(path, out);
    }
}
