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
use super::changelog::{self, ChangelogEntry};
use super::limits::Limits as ELimits;
use super::package::{self, PackageEvidence};
use super::patch;
use crate::Coded;

/// The scan report's format tag.
pub const SCAN_FORMAT: &str = "airlock-evidence-scan/1";

/// One file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The path as walked.
    pub path: String,
    /// `osv`, `csaf`, `debian-tracker`, `debian-changelog`, `rpm-changelog`, `patch`, `deb`,
    /// `dsc`, `debian-tar` (`changelog` / `package` when unreadable); `None` when skipped.
    pub kind: Option<String>,
    /// `ok`, `error` or `skipped`.
    pub status: &'static str,
    /// Records the file yields.
    pub records: u64,
    /// File size.
    pub size_bytes: u64,
    /// Why a file was skipped (or, for a source package, which patches could not be read).
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
    /// Fix claims from changelogs, patches and packages: (package, version, ids).
    claims: Vec<(String, Option<String>, BTreeSet<String>)>,
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
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_owned();
    if let Some(kind) = text_kind(&name, &ext) {
        return scan_text_evidence(path, report, kind, limits);
    }
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
                claims: Vec::new(),
            }
        }
        Err(AdvisoryError::UnknownFormat { found }) => {
            skipped(report, &format!("JSON but not an advisory feed: {found}"))
        }
        Err(e) => failed(report, advisory_error(&e)),
    }
}

/// Non-JSON evidence kinds told by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Package,
    Patch,
    DebianChangelog,
    RpmChangelog,
}

fn text_kind(name: &str, ext: &str) -> Option<TextKind> {
    if package::kind_of(name).is_some_and(|k| k != "opaque") {
        return Some(TextKind::Package);
    }
    match ext {
        "patch" | "diff" | "debdiff" => Some(TextKind::Patch),
        "spec" => Some(TextKind::RpmChangelog),
        _ if name.starts_with("changelog") || name.contains(".changelog") => {
            Some(TextKind::DebianChangelog)
        }
        _ => None,
    }
}

/// The purl key of a Debian-format changelog's package: `ubuntu` when `version` (the newest
/// entry's or the package's) says so, so merged older entries stay with the package.
fn deb_key(name: &str, version: &str) -> String {
    let ns = if version.contains("ubuntu") {
        "ubuntu"
    } else {
        "debian"
    };
    format!("pkg:deb/{ns}/{name}")
}

/// Fix claims of changelog entries: ids an entry names as fixed, at the entry's version.
fn entry_claims(
    entries: &[ChangelogEntry],
    key: impl Fn(&ChangelogEntry) -> String,
    out: &mut Vec<(String, Option<String>, BTreeSet<String>)>,
) {
    for e in entries {
        let ids = e.fixed_ids();
        if !ids.is_empty() {
            out.push((key(e), Some(e.version.clone()), ids));
        }
    }
}

fn coded_error(code: &'static str, message: String, line: Option<usize>) -> FileError {
    FileError {
        code,
        message,
        field: None,
        line,
        column: None,
    }
}

fn scan_text_evidence(
    path: &Path,
    mut report: FileReport,
    kind: TextKind,
    limits: &Limits,
) -> Outcome {
    let el = ELimits::default();
    if report.size_bytes > el.max_input_bytes {
        let message = format!(
            "{} bytes exceeds the limit of {} bytes",
            report.size_bytes, el.max_input_bytes
        );
        return failed(report, coded_error("evidence-too-large", message, None));
    }
    let _ = limits;
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return failed(report, io_error(&e)),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut claims = Vec::new();
    match kind {
        TextKind::DebianChangelog | TextKind::RpmChangelog => {
            let parsed = if kind == TextKind::RpmChangelog {
                let pkg = name.strip_suffix(".spec").unwrap_or(name);
                changelog::parse_rpm(&bytes, Some(pkg), &el).map(|e| (e, Some(pkg.to_owned())))
            } else {
                changelog::parse_debian(&bytes, &el).map(|e| (e, None))
            };
            match parsed {
                Ok((entries, rpm_name)) => {
                    let newest = entries.first().map_or("", |e| e.version.as_str());
                    report.kind = Some(
                        if rpm_name.is_some() {
                            "rpm-changelog"
                        } else {
                            "debian-changelog"
                        }
                        .to_owned(),
                    );
                    report.records = entries.len() as u64;
                    entry_claims(
                        &entries,
                        |e| match &rpm_name {
                            Some(n) => format!("pkg:rpm/{n}"),
                            None => deb_key(e.package.as_deref().unwrap_or("unknown"), newest),
                        },
                        &mut claims,
                    );
                }
                Err(e) => {
                    report.kind = Some("changelog".to_owned());
                    return failed(report, coded_error(e.code(), e.to_string(), e.line()));
                }
            }
        }
        TextKind::Patch => {
            report.kind = Some("patch".to_owned());
            match patch::parse_patch(&bytes, &el) {
                Ok(p) => {
                    report.records = 1;
                    let ids = p.ids();
                    if !ids.is_empty() {
                        // A patch alone names no package version; list its ids under its file.
                        claims.push((format!("patch:{name}"), None, ids));
                    }
                }
                Err(e) => return failed(report, coded_error(e.code(), e.to_string(), e.line())),
            }
        }
        TextKind::Package => match package::read_package(name, &bytes, &el) {
            Ok(ev) => {
                report.records = ev.records();
                match &ev {
                    PackageEvidence::Binary(b) => {
                        report.kind = Some("deb".to_owned());
                        for cl in &b.changelogs {
                            entry_claims(
                                &cl.entries,
                                |e| {
                                    deb_key(
                                        e.package.as_deref().unwrap_or(&b.source.name),
                                        &b.version,
                                    )
                                },
                                &mut claims,
                            );
                        }
                    }
                    PackageEvidence::Dsc(_) => report.kind = Some("dsc".to_owned()),
                    PackageEvidence::DebianTar(d) => {
                        report.kind = Some("debian-tar".to_owned());
                        entry_claims(
                            &d.changelog,
                            |e| deb_key(e.package.as_deref().unwrap_or(&d.source), &d.version),
                            &mut claims,
                        );
                        let ids: BTreeSet<String> =
                            d.patches.iter().flat_map(|p| p.patch.ids()).collect();
                        if !ids.is_empty() {
                            claims.push((
                                deb_key(&d.source, &d.version),
                                Some(d.version.clone()),
                                ids,
                            ));
                        }
                        if !d.patch_errors.is_empty() {
                            report.reason = Some(
                                d.patch_errors
                                    .iter()
                                    .map(|p| format!("{}: [{}] {}", p.path, p.code, p.message))
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            );
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                report.kind = Some("package".to_owned());
                return failed(report, coded_error(e.code(), e.to_string(), e.line()));
            }
        },
    }
    Outcome {
        report,
        advisories: Vec::new(),
        claims,
    }
}

fn skipped(mut report: FileReport, reason: &str) -> Outcome {
    report.status = "skipped";
    report.reason = Some(reason.to_owned());
    Outcome {
        report,
        advisories: Vec::new(),
        claims: Vec::new(),
    }
}

fn failed(mut report: FileReport, error: FileError) -> Outcome {
    report.status = "error";
    report.error = Some(error);
    Outcome {
        report,
        advisories: Vec::new(),
        claims: Vec::new(),
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
        for (package, version, ids) in o.claims {
            packages
                .entry((package, version, Status::Fixed))
                .or_default()
                .extend(ids);
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
