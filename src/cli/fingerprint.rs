//! `airlock fingerprint`: TLSH digests of files, function fingerprints of binaries, fingerprint
//! records for a vulnerability (vendor side) and matching a binary against them (site side).

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

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
}

impl FingerprintArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            FingerprintCommand::Tlsh(args) => args.run(out),
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
