//! `airlock evidence …`: look at evidence before it is packed.

use std::path::PathBuf;

use airlock::evidence::advisory::Limits;
use airlock::evidence::scan::{self, ScanReport};
use clap::{Args, Subcommand};

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
}

/// `airlock evidence scan PATH`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A file or a directory (walked recursively, symlinks not followed).
    path: PathBuf,
}

impl EvidenceArgs {
    /// Runs the chosen evidence command.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            EvidenceCommand::Scan(args) => args.run(out),
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
