//! `airlock vex --findings FILE [--store DIR] [--out FILE]`: one OpenVEX document whose
//! statements carry proofs, with the proofs written beside it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use airlock::proof::{ProofBlob, ProofRequest, prove};
use airlock::store::Store;
use airlock::vex::{Document, Finding, read_findings, statement_for};
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

/// One finding's outcome, by its index in the findings list.
type Proved = (usize, Result<ProofBlob, String>);

fn prove_all(
    store: &Store,
    findings: &[Finding],
    jobs: usize,
    out: &OutputMode,
) -> Result<Vec<Result<ProofBlob, String>>, Failure> {
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
    let next = AtomicUsize::new(0);
    let latencies =
        std::sync::Mutex::new(Vec::<std::time::Duration>::with_capacity(findings.len()));
    let mut results: Vec<Option<Result<ProofBlob, String>>> = vec![None; findings.len()];
    let chunks: Vec<Vec<Proved>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| -> Result<Vec<Proved>, Failure> {
                    let snapshot = store
                        .snapshot()
                        .map_err(|e| Failure::from_coded("store", &e))?;
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = findings.get(i) else { break };
                        let request = ProofRequest {
                            vulnerability: f.vulnerability.clone(),
                            purl: f.purl.clone(),
                            computed_at: None,
                        };
                        let started = std::time::Instant::now();
                        let proved = prove(&snapshot, &request, None).map_err(|e| e.to_string());
                        latencies
                            .lock()
                            .expect("no poisoned lock")
                            .push(started.elapsed());
                        done.push((i, proved));
                        if let Some(b) = &bar {
                            b.inc(1);
                        }
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("proof worker does not panic"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut lat = latencies.into_inner().expect("no poisoned lock");
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
    for (i, r) in chunks.into_iter().flatten() {
        results[i] = Some(r);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every finding was proved"))
        .collect())
}

impl VexArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let findings = read_findings(&read_file(&self.findings)?)
            .map_err(|e| Failure::from_coded(self.findings.display(), &e))?;
        let dir = self.location.dir()?;
        let store = Store::open_write(&dir).map_err(|e| Failure::from_coded(dir.display(), &e))?;
        let jobs = self
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let results = prove_all(&store, &findings, jobs, out)?;

        let proofs_dir: Option<PathBuf> = self.proofs.clone().or_else(|| {
            self.out
                .as_ref()
                .map(|o| PathBuf::from(format!("{}.proofs", o.display())))
        });
        let mut statements = Vec::new();
        let mut audit = Vec::new();
        let mut failed = Vec::new();
        let mut files = Vec::new();
        for (finding, result) in findings.iter().zip(&results) {
            match result {
                Ok(proof) => {
                    let hash = proof.proof_hash.clone().unwrap_or_default();
                    let file = format!("{}.proof.json", hash.replace(':', "-"));
                    let reference = match &proofs_dir {
                        Some(d) => Path::new(d.file_name().unwrap_or_default())
                            .join(&file)
                            .display()
                            .to_string(),
                        None => hash.clone(),
                    };
                    statements.push(statement_for(
                        &finding.vulnerability,
                        &finding.product,
                        finding.image.as_deref(),
                        proof,
                        &reference,
                    ));
                    audit.push(proof.to_canonical());
                    files.push(file);
                }
                Err(e) => failed.push(format!("{} {}: {e}", finding.vulnerability, finding.purl)),
            }
        }
        if !failed.is_empty() {
            return Err(Failure::could_not_run(
                "subject-invalid",
                format!(
                    "{}: {} finding(s) could not be proved: {}",
                    self.findings.display(),
                    failed.len(),
                    failed.join("; ")
                ),
            ));
        }
        // Every cited proof file is durable before the document below is renamed into place.
        if let Some(d) = &proofs_dir {
            let named: Vec<(String, &[u8])> = files
                .into_iter()
                .zip(audit.iter().map(Vec::as_slice))
                .collect();
            airlock::vex::proof_files::write_durably(d, &named, jobs)
                .map_err(|(path, e)| Failure::io(path.display(), &e))?;
        }
        store
            .append_proofs(&audit)
            .map_err(|e| Failure::from_coded(dir.display(), &e))?;
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
        let doc = Document::new(statements, timestamp);
        let mut bytes = serde_json::to_vec_pretty(&doc).expect("documents serialize");
        bytes.push(b'\n');
        match &self.out {
            Some(path) => {
                airlock::fsutil::write_atomic(path, &bytes)
                    .map_err(|e| Failure::io(path.display(), &e))?;
                let mut counts = std::collections::BTreeMap::new();
                for s in &doc.statements {
                    *counts
                        .entry(s["status"].as_str().unwrap_or_default().to_owned())
                        .or_insert(0usize) += 1;
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
        Ok(())
    }
}
