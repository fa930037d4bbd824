//! `airlock evidence …`: look at evidence before it is packed (`scan`) and compare versions
//! (`vercmp`).

use std::cmp::Ordering;
use std::io::BufRead;
use std::path::PathBuf;

use airlock::evidence::advisory::Limits;
use airlock::evidence::scan::{self, ScanReport};
use airlock::evidence::version::VersionScheme;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Evidence commands.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// What would be indexed from a file or directory: records per kind, vulnerability ids per
    /// package version, errors with path and line/field (exit 1 if any file fails).
    Scan(ScanArgs),
    /// Compare two versions as the ecosystem's own tool does; prints `<`, `=` or `>`.
    Vercmp(VercmpArgs),
}

/// `airlock evidence scan PATH`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A file or a directory (walked recursively, symlinks not followed).
    path: PathBuf,
}

/// Version scheme names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// dpkg (`dpkg --compare-versions`).
    Deb,
    /// rpm (`rpmvercmp` with epoch and release).
    Rpm,
    /// apk-tools (Alpine).
    Apk,
    /// Semantic Versioning 2.0.0.
    Semver,
}

impl From<SchemeArg> for VersionScheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Deb => VersionScheme::Deb,
            SchemeArg::Rpm => VersionScheme::Rpm,
            SchemeArg::Apk => VersionScheme::Apk,
            SchemeArg::Semver => VersionScheme::Semver,
        }
    }
}

/// `evidence vercmp --scheme S A B` or `evidence vercmp --scheme S --batch < pairs.tsv`.
#[derive(Debug, Args)]
pub struct VercmpArgs {
    /// The version scheme.
    #[arg(long, value_enum)]
    pub scheme: SchemeArg,
    /// Read `A<TAB>B` lines from stdin and print one result per line (`<`, `=`, `>` or
    /// `error`).
    #[arg(long, conflicts_with_all = ["a", "b"])]
    pub batch: bool,
    /// The first version.
    #[arg(required_unless_present = "batch")]
    pub a: Option<String>,
    /// The second version.
    #[arg(required_unless_present = "batch")]
    pub b: Option<String>,
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

impl EvidenceArgs {
    /// Runs the chosen evidence command.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            EvidenceCommand::Scan(args) => args.run(out),
            EvidenceCommand::Vercmp(args) => args.run(out),
        }
    }
}

impl ScanArgs {
    /// Scans and prints the report.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let report = scan::scan_path(&self.path, &Limits::default())
            .map_err(|e| Failure::from_coded("evidence scan", &e))?;
        if out.json {
            out.json(&report);
        } else {
            print_human(&report, out);
        }
        if report.totals.errors > 0 {
            return Err(Failure::rejected(
                "evidence-scan-errors",
                format!(
                    "{} of {} files failed",
                    report.totals.errors, report.totals.files
                ),
            ));
        }
        Ok(())
    }
}

fn print_human(report: &ScanReport, out: &OutputMode) {
    for f in &report.files {
        match (f.status, &f.error, &f.reason) {
            (_, Some(e), _) => {
                let at = match (&e.field, e.line) {
                    (Some(field), Some(line)) => format!(" (field {field}, line {line})"),
                    (Some(field), None) => format!(" (field {field})"),
                    (None, Some(line)) => format!(" (line {line})"),
                    (None, None) => String::new(),
                };
                out.line(format!("{}: error [{}]{at}: {}", f.path, e.code, e.message));
            }
            (_, None, Some(reason)) => out.line(format!("{}: skipped: {reason}", f.path)),
            _ => out.line(format!(
                "{}: {} ({} record{})",
                f.path,
                f.kind.as_deref().unwrap_or("?"),
                f.records,
                if f.records == 1 { "" } else { "s" }
            )),
        }
    }
    out.line("");
    for (kind, c) in &report.kinds {
        out.line(format!(
            "{kind}: {} records in {} files",
            c.records, c.files
        ));
    }
    if !report.packages.is_empty() {
        out.line("");
        for p in &report.packages {
            let version = p
                .version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            out.line(format!(
                "{}{version} {}: {}",
                p.package,
                p.status,
                p.ids.join(" ")
            ));
        }
    }
    let t = &report.totals;
    out.line("");
    out.line(format!(
        "{} files: {} read ({} records, {} bytes), {} skipped, {} failed",
        t.files, t.ok, t.records, t.bytes, t.skipped, t.errors
    ));
}

impl VercmpArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let scheme = VersionScheme::from(self.scheme);
        if self.batch {
            return run_batch(scheme, out);
        }
        let (a, b) = match (&self.a, &self.b) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(Failure::usage("vercmp needs two versions A B, or --batch")),
        };
        let ord = scheme
            .compare(a, b)
            .map_err(|e| Failure::from_coded("vercmp", &e))?;
        if out.json {
            #[derive(Serialize)]
            struct Wire<'a> {
                scheme: &'a str,
                a: &'a str,
                b: &'a str,
                result: &'a str,
            }
            out.json(&Wire {
                scheme: scheme.as_str(),
                a,
                b,
                result: symbol(ord),
            });
        } else {
            out.line(symbol(ord));
        }
        Ok(())
    }
}

/// One result per input line; a line without a tab, or with an invalid version, gives `error`.
fn run_batch(scheme: VersionScheme, out: &OutputMode) -> CmdResult {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut results: Vec<&'static str> = Vec::new();
    let mut buf = String::with_capacity(64 * 1024);
    loop {
        let mut line = Vec::new();
        let n = lock
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::io("stdin", &e))?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let r = match std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.split_once('\t'))
        {
            Some((a, b)) => scheme.compare(a, b).map(symbol).unwrap_or("error"),
            None => "error",
        };
        if out.json {
            results.push(r);
        } else {
            buf.push_str(r);
            buf.push('\n');
            if buf.len() >= 60 * 1024 {
                out.raw(buf.as_bytes());
                buf.clear();
            }
        }
    }
    if out.json {
        out.json(&results);
    } else {
        out.raw(buf.as_bytes());
    }
    Ok(())
}
