//! Creating a bundle from an evidence directory: walk and classify ([`plan`]), hash every file
//! and check JSON files parse (in parallel), build and sign the manifest, then stream the files
//! into the archive ([`create`]). The writer re-hashes while writing, so a file that changes
//! between the two passes makes creation fail instead of producing a bundle that cannot verify.
//!
//! Deterministic: the output depends only on the files' bytes and relative paths, the options
//! (including `created`, an input) and the key (Ed25519 signatures are deterministic).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bundle_format::digest::{DualHasher, hash_reader};
use bundle_format::{
    BundleKind, BundleWriter, EntryKind, EntryPath, Envelope, FileDigests, Limits, Manifest,
    ManifestEntry, ManifestError, ManifestHeader, PathError, WriteError, WriteOptions,
};
use jiff::Timestamp;

use super::layout::{self, LayoutError};
use crate::crypto::{PrivateKey, sign_envelope};
use crate::error::{Coded, FailureClass};

/// One file of the evidence directory, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Its entry path (relative to the evidence directory).
    pub path: EntryPath,
    /// Where it is on disk.
    pub source: PathBuf,
    /// Its kind, from the layout.
    pub kind: EntryKind,
    /// Its media type, from its name.
    pub media_type: &'static str,
    /// Its size when planned.
    pub size: u64,
}

/// The manifest fields and knobs of a `create`.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Publisher name.
    pub publisher: String,
    /// Channel name.
    pub channel: String,
    /// Sequence number.
    pub sequence: u64,
    /// Creation time (an input, never the clock inside).
    pub created: Timestamp,
    /// Expiry time.
    pub expires: Timestamp,
    /// Limits the bundle must respect.
    pub limits: Limits,
    /// Threads for hashing and compression (output bytes do not depend on it).
    pub threads: u32,
}

/// Why a bundle could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// Reading an input or writing the output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A symbolic link, device or other non-regular file in the evidence directory.
    #[error("{}: expected a regular file or directory, found {found}", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is.
        found: &'static str,
    },
    /// A file outside the documented layout.
    #[error("{}: {source}", path.display())]
    Unclassified {
        /// The file.
        path: PathBuf,
        /// Why.
        source: LayoutError,
    },
    /// A file name that cannot be an entry path.
    #[error("{}: {source}", path.display())]
    Path {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PathError,
    },
    /// A `.json` / `.jsonl` file that does not parse.
    #[error("{}: expected valid JSON: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A file under `packages/` that the package readers refuse.
    #[error("{}: {source}", path.display())]
    Package {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        source: crate::evidence::package::PackageError,
    },
    /// The manifest would break a rule or limit.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Writing the archive failed (or an input changed meanwhile).
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl Coded for CreateError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io-error",
            Self::NotRegular { .. } => "evidence-not-regular",
            Self::Unclassified { .. } => "evidence-unclassified",
            Self::Path { source, .. } => source.code(),
            Self::Json { .. } => "evidence-json-invalid",
            Self::Package { source, .. } => source.code(),
            Self::Manifest(e) => e.code(),
            Self::Write(e) => e.code(),
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Io { .. } | Self::Write(WriteError::Io(_)) => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CreateError + '_ {
    move |source| CreateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Walks `dir` (never following links), classifies each file by [`layout`], and returns the
/// files sorted by entry path bytes.
///
/// # Errors
/// The first file that cannot go into a bundle.
pub fn plan(dir: &Path, limits: &Limits) -> Result<Vec<PlannedFile>, CreateError> {
    let mut files = Vec::new();
    for item in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            CreateError::Io {
                path,
                source: e.into(),
            }
        })?;
        let source = item.path().to_path_buf();
        let ft = item.file_type();
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            let found = if ft.is_symlink() {
                "a symbolic link"
            } else {
                "a special file"
            };
            return Err(CreateError::NotRegular {
                path: source,
                found,
            });
        }
        let rel = item
            .path()
            .strip_prefix(dir)
            .expect("walkdir yields paths under its root");
        let Some(text) = rel.to_str() else {
            return Err(CreateError::Path {
                path: source,
                source: PathError::Invalid {
                    path: rel.display().to_string(),
                    reason: "not valid UTF-8",
                },
            });
        };
        let text = text.replace(std::path::MAIN_SEPARATOR, "/");
        let path = EntryPath::parse(&text)
            .and_then(|p| p.check_limits(limits).map(|()| p))
            .map_err(|e| CreateError::Path {
                path: source.clone(),
                source: e,
            })?;
        let kind = layout::classify(path.as_str()).map_err(|e| CreateError::Unclassified {
            path: source.clone(),
            source: e,
        })?;
        let size = item
            .metadata()
            .map_err(|e| io_err(&source)(e.into()))?
            .len();
        let media_type = layout::media_type(kind, path.as_str());
        files.push(PlannedFile {
            path,
            source,
            kind,
            media_type,
            size,
        });
    }
    files.sort_by(|a, b| a.path.as_str().as_bytes().cmp(b.path.as_str().as_bytes()));
    Ok(files)
}

/// Checks a `.json` file holds one JSON value, or a `.jsonl` file one per non-empty line.
fn check_json(path: &Path, lines: bool) -> Result<(), CreateError> {
    let file = File::open(path).map_err(io_err(path))?;
    let bad = |message: String| CreateError::Json {
        path: path.to_path_buf(),
        message,
    };
    if lines {
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io_err(path))?;
            if line.trim().is_empty() {
                continue;
            }
            serde_json::from_str::<serde::de::IgnoredAny>(&line)
                .map_err(|e| bad(format!("line {}: {e}", n + 1)))?;
        }
    } else {
        let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
        serde::Deserialize::deserialize(&mut de)
            .map(|_: serde::de::IgnoredAny| ())
            .map_err(|e| bad(e.to_string()))?;
        de.end().map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}

/// Files up to this size are read once into memory, then checked and hashed from there; larger
/// ones are streamed (bounding each worker's buffer).
const WHOLE_FILE_BYTES: u64 = 4 << 20;

/// Checks a `.json` file's bytes hold one JSON value (the same grammar and messages as
/// [`check_json`], which streams).
fn check_json_bytes(path: &Path, bytes: &[u8]) -> Result<(), CreateError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map(|_| ())
        .map_err(|e| CreateError::Json {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Refuses what the layout says must parse (JSON, packages), then hashes the file. Small files
/// are read once into `buf`; `.jsonl` and large files are read from disk per check.
fn check_and_hash(file: &PlannedFile, buf: &mut Vec<u8>) -> Result<FileDigests, CreateError> {
    let json = layout::json_check(file.kind, file.path.as_str());
    let package = matches!(
        file.kind,
        EntryKind::SourcePackage | EntryKind::BinaryPackage
    );
    let check_package = |bytes: &[u8]| {
        layout::check_package(file.kind, file.path.as_str(), bytes).map_err(|source| {
            CreateError::Package {
                path: file.source.clone(),
                source,
            }
        })
    };
    if json != Some(true) && file.size <= WHOLE_FILE_BYTES {
        buf.clear();
        let f = File::open(&file.source).map_err(io_err(&file.source))?;
        // One byte more than the limit tells a file that grew since planning.
        f.take(WHOLE_FILE_BYTES + 1)
            .read_to_end(buf)
            .map_err(io_err(&file.source))?;
        if buf.len() as u64 <= WHOLE_FILE_BYTES {
            if json == Some(false) {
                check_json_bytes(&file.source, buf)?;
            }
            if package {
                check_package(buf)?;
            }
            let mut hasher = DualHasher::new();
            hasher.update(buf);
            return Ok(hasher.finish());
        }
    }
    if let Some(lines) = json {
        check_json(&file.source, lines)?;
    }
    if package {
        let bytes = std::fs::read(&file.source).map_err(io_err(&file.source))?;
        check_package(&bytes)?;
    }
    let f = File::open(&file.source).map_err(io_err(&file.source))?;
    hash_reader(f).map_err(io_err(&file.source))
}

/// Hashes (and JSON-checks) every planned file with `threads` workers.
fn hash_all(
    files: &[PlannedFile],
    threads: u32,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<FileDigests>, CreateError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<FileDigests, CreateError>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let work = || {
        // Reused across files: holds one whole file of at most `WHOLE_FILE_BYTES`.
        let mut buf = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else { break };
            let result = check_and_hash(file, &mut buf).inspect(|d| progress(d.size));
            let failed = result.is_err();
            results
                .lock()
                .expect("no worker panics while holding the lock")[i] = Some(result);
            if failed {
                // Stop handing out work; the first error by index is reported.
                next.store(files.len(), Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.max(1) {
            s.spawn(work);
        }
        work();
    });
    let results = results.into_inner().expect("workers finished");
    let mut out = Vec::with_capacity(files.len());
    for r in results {
        match r {
            Some(r) => out.push(r?),
            None => break,
        }
    }
    if out.len() != files.len() {
        // A later file failed after an earlier one was skipped: report that failure.
        unreachable_error()?;
    }
    Ok(out)
}

fn unreachable_error() -> Result<(), CreateError> {
    Err(CreateError::Io {
        path: PathBuf::from("(evidence)"),
        source: io::Error::other("hashing stopped early"),
    })
}

/// Counts bytes read for a progress callback.
struct Progress<'a, R> {
    inner: R,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Builds, signs and writes a snapshot bundle of `files` to `out`. `progress` receives byte
/// counts: first while hashing, then again while writing (2 × total bytes in all).
///
/// # Errors
/// [`CreateError`].
pub fn create<W: Write>(
    files: &[PlannedFile],
    options: &CreateOptions,
    key: &PrivateKey,
    out: W,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Manifest, Envelope, W), CreateError> {
    let digests = hash_all(files, options.threads, progress)?;
    let entries = files
        .iter()
        .zip(&digests)
        .map(|(f, d)| ManifestEntry {
            path: f.path.clone(),
            kind: f.kind,
            media_type: f.media_type.to_owned(),
            size: d.size,
            sha256: d.sha256,
            blake3: d.blake3,
        })
        .collect();
    let header = ManifestHeader {
        kind: BundleKind::Snapshot,
        publisher: options.publisher.clone(),
        channel: options.channel.clone(),
        sequence: options.sequence,
        created: crate::time::format_instant(options.created),
        expires: crate::time::format_instant(options.expires),
        base: None,
    };
    let manifest = Manifest::build(header, entries, &options.limits)?;
    let (mut writer, envelope) = BundleWriter::from_manifest(
        out,
        manifest,
        |envelope| sign_envelope(envelope, key),
        &options.limits,
        WriteOptions {
            threads: options.threads,
        },
    )?;
    for file in files {
        let f = File::open(&file.source).map_err(io_err(&file.source))?;
        writer.append(&file.path, &mut Progress { inner: f, progress })?;
    }
    let manifest = writer.manifest().clone();
    let out = writer.finish()?;
    Ok((manifest, envelope, out))
}
