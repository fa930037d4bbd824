//! `airlock import FILE... [--store DIR] [--trust-root T] [--at TIME] [--allow-downgrade]`:
//! verify each bundle against the trust root and import it into the store, one write
//! transaction per bundle (`spec/store.md` §5).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use airlock::FailureClass;
use airlock::bundle::{AuthenticatedBundle, open_authenticated};
use airlock::store::{
    BundleHeader, BundleKind, ImportError, ImportEvent, ImportOptions, ImportReport, LogTrust,
    Store, VerifiedEntry,
};
use bundle_format::{Limits, ReadError};
use clap::Args;

use super::common::{check_time, load_trust_root};
use super::store::StoreLocation;
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Verify evidence bundles and import them into the store.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Bundle files, imported in order (each in its own transaction).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub location: StoreLocation,
    /// Trust root file [default: $AIRLOCK_TRUST_ROOT].
    #[arg(long, value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// Time of the check (RFC 3339) instead of the clock.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Accept a sequence not above the channel's head (unsafe: allows rolling the channel back).
    #[arg(long)]
    pub allow_downgrade: bool,
}

fn read_failure(file: &Path, e: &ReadError) -> ImportError {
    ImportError::Bundle {
        code: e.code(),
        class: if e.is_rejection() {
            FailureClass::Rejected
        } else {
            FailureClass::CouldNotRun
        },
        message: format!("{}: {e}", file.display()),
    }
}

/// Streams verified entries out of an authenticated bundle.
struct Entries<'a, R: Read> {
    reader: &'a mut AuthenticatedBundle<R>,
    file: &'a Path,
    failed: bool,
}

impl<R: Read> Iterator for Entries<'_, R> {
    type Item = Result<VerifiedEntry, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = (|| {
            let Some(mut entry) = self
                .reader
                .next_entry()
                .map_err(|e| read_failure(self.file, &e))?
            else {
                return Ok(None);
            };
            let (path, kind, size) = {
                let m = entry.entry();
                (m.path.as_str().to_string(), m.kind, m.size)
            };
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(64 << 20));
            if let Err(e) = entry.read_to_end(&mut bytes) {
                // The reader keeps the real error; finish() reports it.
                let _ = e;
            }
            entry.finish().map_err(|e| read_failure(self.file, &e))?;
            Ok(Some(VerifiedEntry { path, kind, bytes }))
        })();
        match result {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl ImportArgs {
    /// Runs the import.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let now = check_time(self.at.as_deref())?;
        let trust_root = load_trust_root(self.trust_root.as_deref(), now)?;
        let dir = self.location.dir()?;
        let mut reports = Vec::new();
        let mut store: Option<Store> = None;
        for file in &self.files {
            let report = self.import_one(file, &dir, &mut store, &trust_root, now, out)?;
            if !out.json {
                print_report(out, file, &report);
            }
            reports.push(report);
        }
        if out.json {
            out.json(&serde_json::json!({ "status": "ok", "imports": reports }));
        }
        Ok(())
    }

    fn import_one(
        &self,
        file: &Path,
        dir: &Path,
        store: &mut Option<Store>,
        trust_root: &airlock::trust::TrustRoot,
        now: jiff::Timestamp,
        out: &OutputMode,
    ) -> Result<ImportReport, Failure> {
        let fail = |e: &ImportError| Failure::from_coded(file.display(), e);
        // A plain bundle, or a split one by its part index or first part (checked as it streams).
        let mut input = airlock::bundle::parts::BundleInput::open(file, trust_root)
            .map_err(|e| Failure::from_coded(file.display(), &e))?;
        let digest_check = input.digest_check();
        // Signature by the bundle-signer threshold and the validity window at `now`; the store
        // checks expiry again against its time floor.
        let opened = open_authenticated(
            std::io::BufReader::new(&mut input),
            trust_root,
            now,
            Limits::default(),
        );
        let mut reader = match opened {
            Ok(r) => r,
            Err(e) => {
                return Err(match input.explain() {
                    Some(p) => Failure::from_coded(file.display(), p),
                    None => Failure::from_coded(file.display(), &e),
                });
            }
        };
        digest_check
            .check(&reader.bundle_digest())
            .map_err(|e| Failure::from_coded(file.display(), &e))?;
        let envelope = reader.envelope().to_json();
        let id = *reader.bundle_digest().as_bytes();
        if reader.manifest().kind == bundle_format::BundleKind::Delta {
            // Snapshot deltas reconstruct and import their target (`cli::delta_import`).
            let ctx = super::delta_import::DeltaContext {
                file,
                dir,
                trust_root,
                now,
                allow_downgrade: self.allow_downgrade,
            };
            let result = super::delta_import::import_delta(&ctx, reader.reader_mut(), store, out);
            drop(reader);
            return result.map_err(|f| match input.explain() {
                Some(p) => Failure::from_coded(file.display(), p),
                None => f,
            });
        }
        let manifest = reader.manifest();
        let time = |field: &str, text: &str| {
            airlock::time::parse_instant(text).map_err(|e| {
                Failure::rejected(
                    "manifest-invalid",
                    format!("{}: manifest {field}: {e}", file.display()),
                )
            })
        };
        let header = BundleHeader {
            id,
            publisher: manifest.publisher.clone(),
            channel: manifest.channel.clone(),
            sequence: manifest.sequence,
            kind: match manifest.kind {
                bundle_format::BundleKind::Delta => BundleKind::Delta,
                _ => BundleKind::Snapshot,
            },
            created: time("created", &manifest.created)?,
            expires: Some(time("expires", &manifest.expires)?),
            base: manifest.base.as_ref().map(ToString::to_string),
            entry_count: manifest.entries.len() as u64,
            envelope,
        };
        let total_bytes = manifest.total_bytes();
        if store.is_none() {
            *store =
                Some(Store::open_write(dir).map_err(|e| Failure::from_coded(dir.display(), &e))?);
        }
        let store = store.as_ref().expect("just opened");
        let bar = out.progress_allowed().then(|| {
            let bar = indicatif::ProgressBar::new(total_bytes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .expect("valid template"),
            );
            bar.set_message(format!("importing {}", file.display()));
            bar
        });
        let mut progress = |ev: ImportEvent| match ev {
            ImportEvent::Waiting => out.info(format!(
                "airlock: another import is writing to {}; waiting for it to finish",
                dir.display()
            )),
            ImportEvent::Entry { bytes, .. } => {
                if let Some(b) = &bar {
                    b.set_position(bytes);
                }
            }
        };
        let mut entries = Entries {
            reader: &mut reader,
            file,
            failed: false,
        };
        let logs = LogTrust::from_trust_root(trust_root)
            .map_err(|m| Failure::could_not_run("trust-root-malformed", m))?;
        let result = store.import_with_logs(
            &header,
            &mut entries,
            ImportOptions {
                now,
                allow_downgrade: self.allow_downgrade,
            },
            &logs,
            &mut progress,
        );
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        drop(reader);
        result.map_err(|e| match input.explain() {
            Some(p) => Failure::from_coded(file.display(), p),
            None => fail(&e),
        })
    }
}

fn print_report(out: &OutputMode, file: &Path, r: &ImportReport) {
    if r.outcome == "already-imported" {
        out.line(format!(
            "{}: already imported ({} {}/{} #{}); nothing to do",
            file.display(),
            r.bundle,
            r.publisher,
            r.channel,
            r.sequence
        ));
        return;
    }
    out.line(format!(
        "{}: imported {} {}/{} #{} ({:?}{}{}), {} entries",
        file.display(),
        r.bundle,
        r.publisher,
        r.channel,
        r.sequence,
        r.kind,
        r.base
            .as_ref()
            .map(|b| format!(", base {b}"))
            .unwrap_or_default(),
        if r.downgraded {
            ", DOWNGRADED (--allow-downgrade)"
        } else {
            ""
        },
        r.entries
    ));
    let counts: &BTreeMap<&str, airlock::store::Counts> = &r.counts;
    for (table, c) in counts {
        out.line(format!(
            "  {table:<20} added {:>8}  updated {:>8}  unchanged {:>8}  removed {:>8}",
            c.added, c.updated, c.unchanged, c.removed
        ));
    }
}
