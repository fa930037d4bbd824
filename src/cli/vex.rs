//! `airlock vex --findings FILE [--store DIR] [--out FILE]`: one OpenVEX document whose
//! statements carry proofs, with the proofs written beside it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use airlock::proof::{Subject, prove_subject};
use airlock::store::Store;
use airlock::store::query::{ProofAppender, Snapshot};
use airlock::vex::{Document, Finding, Prepared, proof_files, read_findings, statement_for};
use clap::Args;

use super::common::{check_time, read_file};
use super::store::StoreLocation;
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Write OpenVEX for a scanner's findings (Trivy JSON, Grype JSON, CycloneDX, CSV id,purl),
/// each statement backed by a proof from the store.
#[derive(Debug, Args)]
pub struct VexArgs {
    /// The findings file.
    #[arg(long)]
    findings: PathBuf,
    #[command(flatten)]
    location: StoreLocation,
    /// Where to write the OpenVEX document (default: stdout). Proofs go to `<out>.proofs/`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write the proofs (default: `<out>.proofs/`; none without --out).
    #[arg(long)]
    proofs: Option<PathBuf>,
    /// Document timestamp (RFC 3339; default: the store's time floor, for reproducible output).
    #[arg(long)]
    at: Option<String>,
    /// Worker threads (default: available cores).
    #[arg(long)]
    jobs: Option<usize>,
}

/// A proved finding: its statement, the proof's canonical JSON (the proof file and the audit
/// record) and the proof file's name.
struct Proved {
    statement: Prepared,
    canonical: Vec<u8>,
    file: String,
}

/// One finding's outcome, by its index in the findings list.
type Outcome = (usize, Result<Proved, String>);

/// Outcomes a worker hands over at once (one wake-up of the collecting thread per chunk).
const SEND_CHUNK: usize = 64;

/// Proves one finding (its subject formed already) and builds its statement; `proofs_dir`
/// decides the proof reference.
fn prove_one(
    snapshot: &Snapshot,
    f: &Finding,
    subject: &Subject,
    proofs_dir: Option<&Path>,
) -> Result<Proved, String> {
    let proof = prove_subject(snapshot, subject.clone(), None, None).map_err(|e| e.to_string())?;
    let hash = proof.proof_hash.clone().unwrap_or_default();
    let file = format!("{}.proof.json", hash.replace(':', "-"));
    let reference = match proofs_dir {
        Some(d) => Path::new(d.file_name().unwrap_or_default())
            .join(&file)
            .display()
            .to_string(),
        None => hash,
    };
    Ok(Proved {
        statement: Prepared::new(&statement_for(
            &f.vulnerability,
            &f.product,
            f.image.as_deref(),
            &proof,
            &reference,
        )),
        canonical: proof.to_canonical(),
        file,
    })
}

/// Proves every finding on `jobs` workers (one read transaction each); each worker writes the
/// proof files of its findings into `batch` as it goes, and this thread queues every proof in
/// `audit` in findings order as it arrives. Returns the statements in findings order (or why a
/// finding could not be proved); fails on the first proof-file or store error.
fn prove_all(
    store: &Store,
    findings: &[Finding],
    subjects: &[Subject],
    jobs: usize,
    out: &OutputMode,
    batch: Option<&proof_files::Batch>,
    audit: &mut ProofAppender,
) -> Result<Vec<Result<Prepared, String>>, Failure> {
    let bar = out.progress_allowed().then(|| {
        let b = indicatif::ProgressBar::new(findings.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} proving {pos}/{len} findings [{elapsed_precise}] {wide_bar}",
            )
            .expect("valid template"),
        );
        b
    });
    let proofs_dir = batch.map(proof_files::Batch::dir);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Prepared, String>>> = Vec::new();
    results.resize_with(findings.len(), || None);
    // Proofs that arrived before an earlier finding's, held until the audit can take them in
    // findings order (workers take findings in order, so few wait here).
    let mut early: std::collections::BTreeMap<usize, Option<Vec<u8>>> = Default::default();
    let mut audited = 0;
    let mut audit_error = None;
    let write_error = std::sync::Mutex::new(None);
    let (tx, rx) = std::sync::mpsc::channel::<Vec<Outcome>>();
    let latencies = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                let tx = tx.clone();
                let (next, write_error) = (&next, &write_error);
                scope.spawn(move || -> Result<Vec<Duration>, Failure> {
                    let snapshot = store
                        .snapshot()
                        .map_err(|e| Failure::from_coded("store", &e))?;
                    let mut latencies = Vec::new();
                    let mut chunk = Vec::with_capacity(SEND_CHUNK);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let (Some(f), Some(subject)) = (findings.get(i), subjects.get(i)) else {
                            break;
                        };
                        let started = Instant::now();
                        let proved = prove_one(&snapshot, f, subject, proofs_dir);
                        latencies.push(started.elapsed());
                        if let (Ok(p), Some(b)) = (&proved, batch)
                            && let Err((path, e)) = b.write(&p.file, &p.canonical)
                        {
                            write_error
                                .lock()
                                .expect("no poisoned lock")
                                .get_or_insert(Failure::io(path.display(), &e));
                            // Stop every worker: the run fails anyway.
                            next.store(findings.len(), Ordering::Relaxed);
                        }
                        chunk.push((i, proved));
                        if chunk.len() >= SEND_CHUNK && tx.send(std::mem::take(&mut chunk)).is_err()
                        {
                            break;
                        }
                    }
                    // The receiver outlives every worker (it ends when all senders are gone).
                    let _ = tx.send(chunk);
                    Ok(latencies)
                })
            })
            .collect();
        drop(tx);
        for (i, proved) in rx.into_iter().flatten() {
            let (statement, canonical) = match proved {
                Ok(p) => (Ok(p.statement), Some(p.canonical)),
                Err(e) => (Err(e), None),
            };
            results[i] = Some(statement);
            early.insert(i, canonical);
            while let Some(canonical) = early.remove(&audited) {
                audited += 1;
                if let (Some(c), None) = (canonical, &audit_error)
                    && let Err(e) = audit.push(c)
                {
                    audit_error = Some(e);
                    next.store(findings.len(), Ordering::Relaxed);
                }
            }
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("proof worker does not panic"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut lat: Vec<Duration> = latencies.into_iter().flatten().collect();
    if !lat.is_empty() {
        lat.sort();
        let pick = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize];
        out.debug(format!(
            "proof latency over {} proofs ({jobs} worker(s)): p50 {:?}, p99 {:?}, max {:?}",
            lat.len(),
            pick(0.50),
            pick(0.99),
            lat[lat.len() - 1]
        ));
    }
    if let Some(e) = write_error.into_inner().expect("no poisoned lock") {
        return Err(e);
    }
    if let Some(e) = audit_error {
        return Err(Failure::from_coded(store.dir().display(), &e));
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every finding was proved"))
        .collect())
}

/// Every finding's subject; fails with every finding whose subject (id, purl) is invalid,
/// before anything is written.
fn subjects(path: &Path, findings: &[Finding]) -> Result<Vec<Subject>, Failure> {
    let mut subjects = Vec::with_capacity(findings.len());
    let mut invalid = Vec::new();
    for f in findings {
        match Subject::new(&f.vulnerability, &f.purl) {
            Ok(s) => subjects.push(s),
            Err(e) => invalid.push(format!("{} {}: {e}", f.vulnerability, f.purl)),
        }
    }
    unprovable(path, &invalid)?;
    Ok(subjects)
}

fn unprovable(path: &Path, failed: &[String]) -> Result<(), Failure> {
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure::could_not_run(
        "subject-invalid",
        format!(
            "{}: {} finding(s) could not be proved: {}",
            path.display(),
            failed.len(),
            failed.join("; ")
        ),
    ))
}

impl VexArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let t0 = std::time::Instant::now();
        let lap = |what: &str| out.debug(format!("{what}: {:?} since start", t0.elapsed()));
        let findings = read_findings(&read_file(&self.findings)?)
            .map_err(|e| Failure::from_coded(self.findings.display(), &e))?;
        let dir = self.location.dir()?;
        let store = Store::open_write(&dir).map_err(|e| Failure::from_coded(dir.display(), &e))?;
        let jobs = self
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        lap("findings read, store open");
        let subjects = subjects(&self.findings, &findings)?;
        let proofs_dir: Option<PathBuf> = self.proofs.clone().or_else(|| {
            self.out
                .as_ref()
                .map(|o| PathBuf::from(format!("{}.proofs", o.display())))
        });
        let batch = proofs_dir
            .as_deref()
            .map(proof_files::Batch::create)
            .transpose()
            .map_err(|(path, e)| Failure::io(path.display(), &e))?;
        let mut audit = store
            .proof_appender()
            .map_err(|e| Failure::from_coded(dir.display(), &e))?;
        let results = prove_all(
            &store,
            &findings,
            &subjects,
            jobs,
            out,
            batch.as_ref(),
            &mut audit,
        )?;
        lap("proved, proof files written");
        let mut statements = Vec::with_capacity(results.len());
        let mut failed = Vec::new();
        for (finding, result) in findings.iter().zip(results) {
            match result {
                Ok(statement) => statements.push(statement),
                Err(e) => failed.push(format!("{} {}: {e}", finding.vulnerability, finding.purl)),
            }
        }
        unprovable(&self.findings, &failed)?;
        let timestamp = match &self.at {
            Some(t) => airlock::time::format_instant(check_time(Some(t))?),
            None => {
                let snap = store
                    .snapshot()
                    .map_err(|e| Failure::from_coded(dir.display(), &e))?;
                let floor = snap
                    .time_floor()
                    .map_err(|e| Failure::from_coded(dir.display(), &e))?;
                floor.map_or_else(
                    || "1970-01-01T00:00:00Z".to_owned(),
                    airlock::time::format_instant,
                )
            }
        };
        // Three independent jobs at once: committing the audit (every proof recorded, one write
        // transaction), making the proof files durable, and building the document. Every
        // cited proof file is durable before the document is renamed into place below.
        let (audited, durable, doc) = std::thread::scope(|scope| {
            let durable = scope.spawn(|| {
                batch.map_or(Ok(()), |b| {
                    b.finish()
                        .map_err(|(path, e)| Failure::io(path.display(), &e))
                })
            });
            let doc = scope.spawn(|| Document::from_prepared(statements, timestamp));
            let audited = audit
                .commit()
                .map_err(|e| Failure::from_coded(dir.display(), &e));
            (
                audited,
                durable.join().expect("the proof-file sync does not panic"),
                doc.join().expect("building the document does not panic"),
            )
        });
        audited?;
        durable?;
        lap("audit appended, proof files durable, document built");
        let mut bytes = doc.to_pretty_json();
        bytes.push(b'\n');
        match &self.out {
            Some(path) => {
                airlock::fsutil::write_atomic(path, &bytes)
                    .map_err(|e| Failure::io(path.display(), &e))?;
                let mut counts = std::collections::BTreeMap::new();
                for s in &doc.statements {
                    *counts.entry(s.status.as_str()).or_insert(0usize) += 1;
                }
                out.info(format!(
                    "wrote {} with {} statement(s) {:?}; proofs in {}",
                    path.display(),
                    doc.statements.len(),
                    counts,
                    proofs_dir
                        .as_ref()
                        .map_or_else(String::new, |d| d.display().to_string())
                ));
            }
            None => out.raw(&bytes),
        }
        lap("document written");

        Ok(())
    }
}
