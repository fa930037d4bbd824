//! `airlock fingerprint`: TLSH digests of files, function fingerprints of binaries, fingerprint
//! records for a vulnerability (vendor side) and matching a binary against them (site side).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use airlock::binary::extract::{self, ImageFingerprints};
use airlock::binary::format::{self, Limits};
use airlock::binary::record::{self, FingerprintRecord, FingerprintedBinary};
use airlock::binary::tlsh::{TNULL, TlshHasher};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Binary fingerprints: TLSH digests, per-function fingerprints, CVE records and matching.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    #[command(subcommand)]
    pub command: FingerprintCommand,
}

/// The `fingerprint` verbs.
#[derive(Debug, Subcommand)]
pub enum FingerprintCommand {
    /// Print the TLSH T1 digest of each file (`DIGEST  FILE`, `TNULL` where none exists).
    Tlsh(TlshArgs),
    /// List a binary's sections (TLSH) and functions (TLSH and instruction hash).
    Extract(ExtractArgs),
    /// Vendor side: write fingerprint records for the functions a fix changed.
    Cve(CveArgs),
    /// Site side: say per function whether a binary resembles the fixed or the vulnerable build.
    Match(MatchArgs),
}

impl FingerprintArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            FingerprintCommand::Tlsh(args) => args.run(out),
            FingerprintCommand::Extract(args) => args.run(out),
            FingerprintCommand::Cve(args) => args.run(out),
            FingerprintCommand::Match(args) => args.run(out),
        }
    }
}

/// `fingerprint tlsh FILE...`
#[derive(Debug, Args)]
pub struct TlshArgs {
    /// Files to digest.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct TlshLine {
    file: String,
    tlsh: String,
}

impl TlshArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let mut lines = Vec::new();
        let mut first_failure = None;
        for path in &self.files {
            match tlsh_of_file(path) {
                Ok(digest) => {
                    let file = path.display().to_string();
                    if !out.json {
                        out.line(format!("{digest}  {file}"));
                    }
                    lines.push(TlshLine { file, tlsh: digest });
                }
                Err(err) => {
                    let failure = Failure::io(path.display(), &err);
                    out.error(format!("airlock: {}", failure.message));
                    first_failure.get_or_insert(failure);
                }
            }
        }
        if out.json {
            out.json(&lines);
        }
        first_failure.map_or(Ok(()), Err)
    }
}

/// Streams `path` through TLSH in 1 MiB reads (memory stays constant).
fn tlsh_of_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = TlshHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finish()
        .map_or_else(|| TNULL.to_owned(), |t| t.to_string()))
}

/// `fingerprint extract BINARY [--functions f,g]`
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The binary (ELF, PE/COFF, Mach-O, fat Mach-O).
    pub binary: PathBuf,
    /// Only these functions (comma-separated names); each must exist.
    #[arg(long, value_delimiter = ',')]
    pub functions: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Serialize)]
struct ExtractReport<'a> {
    file: String,
    sha256: String,
    images: &'a [ImageFingerprints],
}

/// Reads and fingerprints `path`: (sha256 hex, images).
pub(crate) fn fingerprint_path(
    path: &Path,
    only: Option<&BTreeSet<String>>,
    threads: Option<usize>,
) -> Result<(String, Vec<ImageFingerprints>), Failure> {
    let limits = Limits::default();
    let data =
        format::read_file(path, &limits).map_err(|e| Failure::from_coded(path.display(), &e))?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
    let threads = threads.unwrap_or_else(extract::default_threads);
    let images = extract::fingerprint_binary(&data, only, &limits, threads)
        .map_err(|e| Failure::from_coded(path.display(), &e))?;
    Ok((sha256, images))
}

impl ExtractArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let only: BTreeSet<String> = self.functions.iter().cloned().collect();
        let only = (!only.is_empty()).then_some(&only);
        let (sha256, images) = fingerprint_path(&self.binary, only, self.threads)?;
        if out.json {
            out.json(&ExtractReport {
                file: self.binary.display().to_string(),
                sha256,
                images: &images,
            });
            return Ok(());
        }
        for (i, img) in images.iter().enumerate() {
            out.line(format!(
                "# {} image {i}: {} {} {}-bit {}-endian, boundaries from {}, {} functions{}",
                self.binary.display(),
                wire_name(&img.format),
                img.arch.name(),
                img.bits,
                img.endian,
                wire_name(&img.boundary_source),
                img.functions.len(),
                img.disassembly_unavailable
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
            ));
            // Sections only for a full listing (a --functions selection lists just those).
            for sec in img.sections.iter().filter(|_| self.functions.is_empty()) {
                let tlsh = sec.tlsh.map_or_else(|| TNULL.to_owned(), |t| t.to_string());
                out.line(format!(
                    "section {:016x} {:>8} {tlsh} {}",
                    sec.address, sec.size, sec.name
                ));
            }
            for f in &img.functions {
                let tlsh = f.tlsh.map_or_else(|| TNULL.to_owned(), |t| t.to_string());
                let insn = f.insn_hash.as_deref().map_or("-", |h| &h[..16]);
                out.line(format!(
                    "{:016x} {:>8} {tlsh} {insn} {}",
                    f.address, f.size, f.name
                ));
            }
        }
        Ok(())
    }
}

/// The serde (kebab-case) name of a unit enum value.
fn wire_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `fingerprint cve --cve ID --package PURL --vulnerable OLD --fixed NEW [--functions f,g |
/// --patch FILE] --out DIR`
#[derive(Debug, Args)]
pub struct CveArgs {
    /// Vulnerability id the records are for.
    #[arg(long = "cve", value_name = "ID")]
    pub cve: String,
    /// Package URL of the package the binaries come from.
    #[arg(long, value_name = "PURL")]
    pub package: String,
    /// The vulnerable build.
    #[arg(long, value_name = "OLD")]
    pub vulnerable: PathBuf,
    /// The fixed build.
    #[arg(long, value_name = "NEW")]
    pub fixed: PathBuf,
    /// Compare only these functions (comma-separated; each must exist in a build).
    #[arg(long, value_delimiter = ',', conflicts_with = "patch")]
    pub functions: Vec<String>,
    /// Compare the functions named in this patch's hunk headers.
    #[arg(long, value_name = "FILE")]
    pub patch: Option<PathBuf>,
    /// Directory to write the records to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Serialize)]
struct CveReport<'a> {
    vulnerability: &'a str,
    package: &'a str,
    vulnerable_sha256: &'a str,
    fixed_sha256: &'a str,
    candidates_from: &'a str,
    functions: &'a [record::FunctionDiff],
    common_functions: usize,
    common_unchanged: usize,
    records: Vec<String>,
}

impl CveArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        if self.package.parse::<packageurl::PackageUrl<'_>>().is_err() {
            return Err(Failure::usage(format!(
                "--package: not a package URL: {:?}",
                self.package
            )));
        }
        if self.cve.trim().is_empty() {
            return Err(Failure::usage("--cve: must not be empty"));
        }
        let (candidates, from, strict) = if let Some(patch) = &self.patch {
            let text = std::fs::read(patch).map_err(|e| Failure::io(patch.display(), &e))?;
            let names = airlock::binary::patch::hunk_functions(&String::from_utf8_lossy(&text));
            if names.is_empty() {
                return Err(Failure::rejected(
                    "patch-no-functions",
                    format!("{}: no hunk header names a function", patch.display()),
                ));
            }
            (Some(names), "patch", false)
        } else if !self.functions.is_empty() {
            (
                Some(self.functions.iter().cloned().collect()),
                "functions",
                true,
            )
        } else {
            (None, "all", false)
        };
        let (vsha, vimg) = fingerprint_path(&self.vulnerable, None, self.threads)?;
        let (fsha, fimg) = fingerprint_path(&self.fixed, None, self.threads)?;
        let vb = FingerprintedBinary {
            sha256: vsha,
            images: vimg,
        };
        let fb = FingerprintedBinary {
            sha256: fsha,
            images: fimg,
        };
        let diff = record::diff_builds(
            &self.cve,
            &self.package,
            &vb,
            &fb,
            candidates.as_ref(),
            strict,
        )
        .map_err(|e| {
            Failure::from_coded(
                format!("{} vs {}", self.vulnerable.display(), self.fixed.display()),
                &e,
            )
        })?;
        std::fs::create_dir_all(&self.out).map_err(|e| Failure::io(self.out.display(), &e))?;
        let mut written = Vec::new();
        for r in &diff.records {
            let path = self.out.join(r.file_name());
            airlock::fsutil::write_atomic(&path, &r.to_canonical())
                .map_err(|e| Failure::io(path.display(), &e))?;
            written.push(path.display().to_string());
        }
        if out.json {
            out.json(&CveReport {
                vulnerability: &self.cve,
                package: &self.package,
                vulnerable_sha256: &vb.sha256,
                fixed_sha256: &fb.sha256,
                candidates_from: from,
                functions: &diff.functions,
                common_functions: diff.common_functions,
                common_unchanged: diff.common_unchanged,
                records: written,
            });
            return Ok(());
        }
        for f in &diff.functions {
            let d = f
                .tlsh_distance
                .map(|d| format!("tlsh-distance {d}"))
                .unwrap_or_default();
            out.line(format!(
                "{:<16} {:<8} {} {d}",
                f.status, f.architecture, f.function
            ));
        }
        out.line(format!(
            "{} of {} functions present in both builds are unchanged; wrote {} records to {}",
            diff.common_unchanged,
            diff.common_functions,
            written.len(),
            self.out.display()
        ));
        Ok(())
    }
}

/// `fingerprint match BINARY --cve ID (--records DIR | --store DIR)`
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The binary to check.
    pub binary: PathBuf,
    /// Vulnerability id whose records to use.
    #[arg(long = "cve", value_name = "ID")]
    pub cve: String,
    /// A directory of fingerprint record files (`*.json`).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "store",
        required_unless_present = "store"
    )]
    pub records: Option<PathBuf>,
    /// The airlock store to read records from.
    #[arg(long, value_name = "DIR", env = "AIRLOCK_STORE")]
    pub store: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Most record files read from one directory, and the largest record file.
const MAX_RECORD_FILES: usize = 100_000;
const MAX_RECORD_BYTES: u64 = 1 << 20;

#[derive(Serialize)]
struct MatchReport<'a> {
    binary: String,
    sha256: &'a str,
    vulnerability: &'a str,
    verdict: &'a str,
    matches: &'a [record::FunctionMatch],
}

impl MatchArgs {
    fn load_records(&self) -> Result<Vec<FingerprintRecord>, Failure> {
        let mut records = Vec::new();
        if let Some(dir) = &self.records {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| Failure::io(dir.display(), &e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .take(MAX_RECORD_FILES + 1)
                .collect();
            if paths.len() > MAX_RECORD_FILES {
                return Err(Failure::rejected(
                    "binary-limit-exceeded",
                    format!(
                        "{}: more than {MAX_RECORD_FILES} record files",
                        dir.display()
                    ),
                ));
            }
            paths.sort();
            for p in paths {
                let meta = std::fs::metadata(&p).map_err(|e| Failure::io(p.display(), &e))?;
                if meta.len() > MAX_RECORD_BYTES {
                    return Err(Failure::rejected(
                        "fingerprint-record-invalid",
                        format!(
                            "{}: {} bytes, more than {MAX_RECORD_BYTES}",
                            p.display(),
                            meta.len()
                        ),
                    ));
                }
                let bytes = std::fs::read(&p).map_err(|e| Failure::io(p.display(), &e))?;
                let r = FingerprintRecord::from_json(&bytes)
                    .map_err(|e| Failure::from_coded(p.display(), &e))?;
                if r.vulnerability == self.cve {
                    records.push(r);
                }
            }
        } else if let Some(dir) = &self.store {
            let store = airlock::store::Store::open_read(dir)
                .map_err(|e| Failure::from_coded(dir.display(), &e))?;
            let snap = store
                .snapshot()
                .map_err(|e| Failure::from_coded(dir.display(), &e))?;
            let rows = snap
                .fingerprints(&self.cve)
                .map_err(|e| Failure::from_coded(dir.display(), &e))?;
            for row in rows {
                // Rows that are not v1 records (other publishers' formats) are skipped.
                if let Ok(r) = serde_json::from_value::<FingerprintRecord>(row.record)
                    && r.validate().is_ok()
                {
                    records.push(r);
                }
            }
        }
        Ok(records)
    }

    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let records = self.load_records()?;
        if records.is_empty() {
            return Err(Failure::could_not_run(
                "no-fingerprints",
                format!("no fingerprint records for {}", self.cve),
            ));
        }
        let (sha256, images) = fingerprint_path(&self.binary, None, self.threads)?;
        let binary = FingerprintedBinary { sha256, images };
        let matches = record::match_records(&binary, &records);
        let verdict = record::overall_verdict(&matches);
        if out.json {
            out.json(&MatchReport {
                binary: self.binary.display().to_string(),
                sha256: &binary.sha256,
                vulnerability: &self.cve,
                verdict,
                matches: &matches,
            });
            return Ok(());
        }
        for m in &matches {
            let d = |x: Option<u32>| x.map_or_else(|| "-".to_owned(), |v| v.to_string());
            out.line(format!(
                "{:<12} {:.3} {:<8} {:<9} {} (vulnerable {}, fixed {}; located by {})",
                wire_name(&m.verdict),
                m.confidence,
                m.architecture,
                m.method.name(),
                m.function,
                d(m.distance_vulnerable),
                d(m.distance_fixed),
                m.located_by,
            ));
        }
        out.line(format!(
            "{}: {verdict} ({})",
            self.binary.display(),
            self.cve
        ));
        Ok(())
    }
}
