//! `airlock fingerprint`: TLSH digests of files, function fingerprints of binaries, fingerprint
//! records for a vulnerability (vendor side) and matching a binary against them (site side).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use airlock::binary::extract::{self, ImageFingerprints};
use airlock::binary::format::{self, Limits};
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
    /// List a binary's functions with their TLSH digest and instruction hash.
    Extract(ExtractArgs),
}

impl FingerprintArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            FingerprintCommand::Tlsh(args) => args.run(out),
            FingerprintCommand::Extract(args) => args.run(out),
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
