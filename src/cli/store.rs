//! `airlock store status|list|show|check|digest|gc`: inspect and maintain the evidence store.

use std::path::{Path, PathBuf};

use airlock::store::{self, Store};
use clap::{Args, Subcommand};
use serde_json::json;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Where the store is.
#[derive(Debug, Clone, Args)]
pub struct StoreLocation {
    /// Store directory [default: $AIRLOCK_STORE, else $XDG_DATA_HOME/airlock, else
    /// ~/.local/share/airlock].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

impl StoreLocation {
    /// The resolved directory.
    pub fn dir(&self) -> Result<PathBuf, Failure> {
        store::resolve_dir(self.store.as_deref()).ok_or_else(|| {
            Failure::usage("no store directory: pass --store DIR or set AIRLOCK_STORE")
        })
    }

    /// Opens the store read-only.
    pub fn open_read(&self) -> Result<(PathBuf, Store), Failure> {
        let dir = self.dir()?;
        let s = Store::open_read(&dir).map_err(|e| Failure::from_coded(dir.display(), &e))?;
        Ok((dir, s))
    }
}

/// Inspect and maintain the evidence store.
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// The store subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Schema version, time floor, channel heads and row counts.
    Status(StoreLocation),
    /// Every imported bundle.
    List(StoreLocation),
    /// Show a bundle (id or hex prefix), a vulnerability id or an advisory id.
    Show {
        /// Bundle id (`sha256:…` or a hex prefix), vulnerability id or advisory id.
        id: String,
        #[command(flatten)]
        location: StoreLocation,
    },
    /// Re-verify every index row against the raw evidence it came from (re-hash and re-parse).
    Check(StoreLocation),
    /// Canonical digest of the logical content (same evidence, same digest).
    Digest(StoreLocation),
    /// Drop raw evidence that nothing references any more.
    Gc(StoreLocation),
}

fn coded(dir: &Path, e: &airlock::store::StoreError) -> Failure {
    Failure::from_coded(dir.display(), e)
}

impl StoreArgs {
    /// Runs the subcommand.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            StoreCommand::Status(loc) => {
                let (dir, s) = loc.open_read()?;
                let status = s
                    .snapshot()
                    .and_then(|snap| snap.status(&s))
                    .map_err(|e| coded(&dir, &e))?;
                if out.json {
                    out.json(&status);
                } else {
                    out.line(format!(
                        "store {} (schema {}, {} bytes)",
                        status.dir, status.schema_version, status.file_bytes
                    ));
                    out.line(format!(
                        "time floor: {}",
                        status.time_floor.as_deref().unwrap_or("none")
                    ));
                    for c in &status.channels {
                        out.line(format!(
                            "channel {}/{}: sequence {} ({})",
                            c.publisher, c.channel, c.sequence, c.bundle
                        ));
                    }
                    for (t, n) in &status.tables {
                        out.line(format!("  {t:<20} {n}"));
                    }
                }
                Ok(())
            }
            StoreCommand::List(loc) => {
                let (dir, s) = loc.open_read()?;
                let bundles = s
                    .snapshot()
                    .and_then(|snap| snap.bundles())
                    .map_err(|e| coded(&dir, &e))?;
                if out.json {
                    out.json(&json!({ "bundles": bundles }));
                } else {
                    for b in &bundles {
                        let r = &b.record;
                        out.line(format!(
                            "{} {}/{} #{} {:?} created {} imported {} ({} entries)",
                            b.id,
                            r.publisher,
                            r.channel,
                            r.sequence,
                            r.kind,
                            r.created,
                            r.imported_at,
                            r.entries
                        ));
                    }
                }
                Ok(())
            }
            StoreCommand::Show { id, location } => {
                let (dir, s) = location.open_read()?;
                match s
                    .snapshot()
                    .and_then(|snap| snap.show(id))
                    .map_err(|e| coded(&dir, &e))?
                {
                    Some(v) => {
                        if out.json {
                            out.json(&v);
                        } else {
                            out.line(serde_json::to_string_pretty(&v).expect("values serialize"));
                        }
                        Ok(())
                    }
                    None => Err(Failure::rejected(
                        "store-not-found-id",
                        format!("{}: nothing matches {id:?}", dir.display()),
                    )),
                }
            }
            StoreCommand::Check(loc) => {
                let (dir, s) = loc.open_read()?;
                let report = s
                    .snapshot()
                    .and_then(|snap| snap.check())
                    .map_err(|e| coded(&dir, &e))?;
                let ok = report.findings.is_empty();
                if out.json {
                    out.json(
                        &json!({"status": if ok { "ok" } else { "rejected" }, "report": report}),
                    );
                } else {
                    for f in &report.findings {
                        out.line(format!("finding: {f}"));
                    }
                    out.line(format!(
                        "{}: {} raw values re-hashed, {} rows re-derived, {} findings",
                        dir.display(),
                        report.raw_checked,
                        report.rows_checked,
                        report.findings.len()
                    ));
                }
                if ok {
                    Ok(())
                } else {
                    Err(Failure::rejected(
                        "store-inconsistent",
                        format!(
                            "{}: {} findings, first: {}",
                            dir.display(),
                            report.findings.len(),
                            report.findings[0]
                        ),
                    ))
                }
            }
            StoreCommand::Digest(loc) => {
                let (dir, s) = loc.open_read()?;
                let d = s
                    .snapshot()
                    .and_then(|snap| snap.digest())
                    .map_err(|e| coded(&dir, &e))?;
                if out.json {
                    out.json(&json!({ "digest": d.to_string() }));
                } else {
                    out.line(d.to_string());
                }
                Ok(())
            }
            StoreCommand::Gc(loc) => {
                let dir = loc.dir()?;
                let s = Store::open_write(&dir).map_err(|e| coded(&dir, &e))?;
                let r = s.gc().map_err(|e| coded(&dir, &e))?;
                if out.json {
                    out.json(&r);
                } else {
                    out.line(format!(
                        "removed {} raw values ({} bytes), kept {}",
                        r.removed, r.removed_bytes, r.kept
                    ));
                }
                Ok(())
            }
        }
    }
}
