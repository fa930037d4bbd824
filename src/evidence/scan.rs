//! What would be indexed from a file or a directory of evidence: each file's kind and record
//! count, the vulnerability ids per package version, and per-file errors (path, code, field,
//! line and column). Reads files; never writes, never opens the network.
//!
//! Kinds are told by content first (JSON advisory feeds are sniffed, see
//! [`advisory::detect`](super::advisory::detect)), then by extension. Files that are no
//! evidence (signatures, checksums, notes) are listed as skipped with a reason; they are not
//! errors.
//!
//! # Wire format (`--json`, version 1)
//! `{"format": "airlock-evidence-scan/1", "files": [{"path", "kind", "status": "ok" | "error" |
//! "skipped", "records", "size_bytes", "reason"?, "error"?: {"code", "message", "field"?,
//! "line"?, "column"?}}], "kinds": {kind: {"files", "records"}}, "packages": [{"package",
//! "version"?, "status", "ids"}], "totals": {"files", "ok", "skipped", "errors", "records",
//! "bytes"}}`. `packages` is sorted by package, version, status; `version` is the fixed version
//! for `fixed` entries and absent otherwise (all versions the advisory names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::advisory::{self, AdvisoryError, Limits, Status};
use crate::Coded;

/// The scan report's format tag.
pub const SCAN_FORMAT: &str = "airlock-evidence-scan/1";

/// One file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The path as walked.
    pub path: String,
    /// `osv`, `csaf`, `debian-tracker`; `None` when skipped or unrecognized.
    pub kind: Option<String>,
    /// `ok`, `error` or `skipped`.
    pub status: &'static str,
    /// Records the file yields.
    pub records: u64,
    /// File size.
    pub size_bytes: u64,
    /// Why a file was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why a file failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FileError>,
}

/// A per-file failure.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    /// Stable kebab-case code (`advisory-malformed-json`, `advisory-invalid-field`, …).
    pub code: &'static str,
    /// The full message.
    pub message: String,
    /// The field path, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// Files and records of one kind.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct KindCount {
    /// Files of this kind that were read.
    pub files: u64,
    /// Records they yield.
    pub records: u64,
}

/// Vulnerability ids for one package version and status.
#[derive(Debug, Clone, Serialize)]
pub struct PackageIds {
    /// purl without version (or `name` when no purl could be formed).
    pub package: String,
    /// Fixed version for `fixed`; absent for the other statuses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The status.
    pub status: Status,
    /// Vulnerability ids (advisory ids, aliases, CVE ids), sorted.
    pub ids: Vec<String>,
}

/// Totals over the scan.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    /// Files looked at.
    pub files: u64,
    /// Files read without error.
    pub ok: u64,
    /// Files that are no evidence.
    pub skipped: u64,
    /// Files that failed.
    pub errors: u64,
    /// Records over all files.
    pub records: u64,
    /// Bytes of the files read.
    pub bytes: u64,
}

/// The whole scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// [`SCAN_FORMAT`].
    pub format: &'static str,
    /// Per file, in path order.
    pub files: Vec<FileReport>,
    /// Per kind.
    pub kinds: BTreeMap<String, KindCount>,
    /// Vulnerability ids per package version.
    pub packages: Vec<PackageIds>,
    /// Totals.
    pub totals: Totals,
}

/// Why a scan could not run at all (per-file problems are in the report instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The path cannot be read or walked.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Coded for ScanError {
    fn code(&self) -> &'static str {
        "io-error"
    }

    fn class(&self) -> crate::FailureClass {
        crate::FailureClass::CouldNotRun
    }
}

/// Scans a file or a directory tree (sorted, symlinks not followed).
///
/// # Errors
/// [`ScanError`] when `path` itself cannot be read; unreadable files inside a directory are
/// reported per file.
pub fn scan_path(path: &Path, limits: &Limits) -> Result<ScanReport, ScanError> {
    let meta = std::fs::metadata(path).map_err(|source| ScanError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    if meta.is_dir() {
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| ScanError::Io {
                path: e
                    .path()
                    .map_or_else(|| path.display().to_string(), |p| p.display().to_string()),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk failed")),
            })?;
            if entry.file_type().is_file() {
                paths.push(entry.into_path());
            }
        }
    } else {
        paths.push(path.to_path_buf());
    }
    let outcomes = scan_files(&paths, limits);
    Ok(build_report(outcomes))
}

/// One file's report plus the records it yields.
struct Outcome {
    report: FileReport,
    advisories: Vec<advisory::Advisory>,
}

/// Reads the files on all cores (work shared through an atomic index), keeping path order.
fn scan_files(paths: &[PathBuf], limits: &Limits) -> Vec<Outcome> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(paths.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Outcome)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { break };
                        mine.push((i, scan_file(p, limits)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scan threads do not panic"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

fn scan_file(path: &Path, limits: &Limits) -> Outcome {
    let shown = path.display().to_string();
    let mut report = FileReport {
        path: shown,
        kind: None,
        status: "ok",
        records: 0,
        size_bytes: 0,
        reason: None,
        error: None,
    };
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return failed(report, io_error(&e)),
    };
    report.size_bytes = size;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => {}
        "yaml" | "yml" => {
            return skipped(
                report,
                "YAML is not read: OSV records are exchanged as JSON (osv.dev serves JSON)",
            );
        }
        _ => {
            return skipped(
                report,
                "not an evidence file (no advisory, changelog, patch or package)",
            );
        }
    }
    if size > limits.max_document_bytes {
        let err = AdvisoryError::TooLarge {
            size_bytes: size,
            max_bytes: limits.max_document_bytes,
        };
        return failed(report, advisory_error(&err));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return failed(report, io_error(&e)),
    };
    match advisory::parse(&bytes, limits) {
        Ok(doc) => {
            report.kind = Some(doc.source.as_str().to_owned());
            report.records = doc.advisories.len() as u64;
            Outcome {
                report,
                advisories: doc.advisories,
            }
        }
        Err(AdvisoryError::UnknownFormat { found }) => {
            skipped(report, &format!("JSON but not an advisory feed: {found}"))
        }
        Err(e) => failed(report, advisory_error(&e)),
    }
}

fn skipped(mut report: FileReport, reason: &str) -> Outcome {
    report.status = "skipped";
    report.reason = Some(reason.to_owned());
    Outcome {
        report,
        advisories: Vec::new(),
    }
}

fn failed(mut report: FileReport, error: FileError) -> Outcome {
    report.status = "error";
    report.error = Some(error);
    Outcome {
        report,
        advisories: Vec::new(),
    }
}

fn io_error(e: &std::io::Error) -> FileError {
    FileError {
        code: "io-error",
        message: e.to_string(),
        field: None,
        line: None,
        column: None,
    }
}

fn advisory_error(e: &AdvisoryError) -> FileError {
    FileError {
        code: e.code(),
        message: e.to_string(),
        field: e.field().map(str::to_owned),
        line: e.position().map(|p| p.0),
        column: e.position().map(|p| p.1),
    }
}

fn build_report(outcomes: Vec<Outcome>) -> ScanReport {
    let mut kinds: BTreeMap<String, KindCount> = BTreeMap::new();
    let mut packages: BTreeMap<(String, Option<String>, Status), BTreeSet<String>> =
        BTreeMap::new();
    let mut totals = Totals::default();
    let mut files = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        totals.files += 1;
        match o.report.status {
            "ok" => {
                totals.ok += 1;
                totals.bytes += o.report.size_bytes;
                totals.records += o.report.records;
            }
            "skipped" => totals.skipped += 1,
            _ => totals.errors += 1,
        }
        if let Some(kind) = &o.report.kind {
            let k = kinds.entry(kind.clone()).or_default();
            k.files += 1;
            k.records += o.report.records;
        }
        for a in &o.advisories {
            for p in &a.affected {
                let package = p.purl.clone().unwrap_or_else(|| p.name.clone());
                if package.is_empty() {
                    continue;
                }
                let ids = a.ids_for(p);
                let versions: Vec<Option<String>> =
                    if p.status == Status::Fixed && !p.fixed.is_empty() {
                        p.fixed.iter().cloned().map(Some).collect()
                    } else {
                        vec![None]
                    };
                for v in versions {
                    packages
                        .entry((package.clone(), v, p.status))
                        .or_default()
                        .extend(ids.iter().cloned());
                }
            }
        }
        files.push(o.report);
    }
    let packages = packages
        .into_iter()
        .map(|((package, version, status), ids)| PackageIds {
            package,
            version,
            status,
            ids: ids.into_iter().collect(),
        })
        .collect();
    ScanReport {
        format: SCAN_FORMAT,
        files,
        kinds,
        packages,
        totals,
    }
}
