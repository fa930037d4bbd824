//! `airlock proof --cve ID --purl PURL …` and `airlock proof verify FILE …`.

use std::path::PathBuf;

use airlock::binary::record::FingerprintedBinary;
use airlock::proof::sign::{sign_proof, verify_proof};
use airlock::proof::{ProofBlob, ProofRequest, prove};
use airlock::store::Store;
use clap::{Args, Subcommand};
use serde_json::json;

use super::common::{check_time, load_private_key, load_trust_root, read_file};
use super::store::StoreLocation;
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Prove whether a vulnerability is fixed in a package version, from the store alone.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProofArgs {
    #[command(subcommand)]
    command: Option<ProofCommand>,
    /// Vulnerability id (CVE-…, GHSA-…).
    #[arg(long, required = true)]
    cve: Option<String>,
    /// Package URL with the installed version (e.g. pkg:deb/debian/curl@7.88.1-10+deb12u5?distro=debian-12).
    #[arg(long, required = true)]
    purl: Option<String>,
    /// An installed binary of the package: tier 4 matches its functions against the
    /// fingerprint records in the store.
    #[arg(long, value_name = "FILE")]
    binary: Option<PathBuf>,
    #[command(flatten)]
    location: StoreLocation,
    /// Sign the proof (in-toto Statement in DSSE) with this proof-signer key.
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// Record this time in the proof (RFC 3339); without it the proof carries no time.
    #[arg(long)]
    at: Option<String>,
    /// Write the proof here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ProofCommand {
    /// Re-check a proof: its hash, its signature, and that every cited evidence blob is in the
    /// store and hashes the same.
    Verify {
        /// The proof (bare JSON or signed DSSE envelope).
        file: PathBuf,
        /// Trust root for signed proofs (role proof-signer).
        #[arg(long)]
        trust_root: Option<PathBuf>,
        #[command(flatten)]
        location: StoreLocation,
        /// Time for the trust root check (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
}

/// Proves `request` against the store at `location` and records the proof in the audit log
/// (when the store can be opened for writing; a busy store still answers from a snapshot).
pub fn prove_and_record(
    location: &StoreLocation,
    request: &ProofRequest,
    binary: Option<&FingerprintedBinary>,
    out: &OutputMode,
) -> Result<ProofBlob, Failure> {
    let dir = location.dir()?;
    let (store, writable) = match Store::open_write(&dir) {
        Ok(s) if Store::db_path(&dir).is_file() => (s, true),
        _ => (
            Store::open_read(&dir).map_err(|e| Failure::from_coded(dir.display(), &e))?,
            false,
        ),
    };
    let snapshot = store
        .snapshot()
        .map_err(|e| Failure::from_coded(dir.display(), &e))?;
    let proof =
        prove(&snapshot, request, binary).map_err(|e| Failure::from_coded(&request.purl, &e))?;
    drop(snapshot);
    if writable {
        store
            .append_proof(&proof.to_canonical())
            .map_err(|e| Failure::from_coded(dir.display(), &e))?;
    } else {
        out.info(format!(
            "{}: store busy or read-only; proof not recorded in the audit log",
            dir.display()
        ));
    }
    Ok(proof)
}

impl ProofArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        if let Some(ProofCommand::Verify {
            file,
            trust_root,
            location,
            at,
        }) = &self.command
        {
            return verify(file, trust_root.as_ref(), location, at.as_deref(), out);
        }
        let (Some(cve), Some(purl)) = (&self.cve, &self.purl) else {
            return Err(Failure::usage("pass --cve ID --purl PURL"));
        };
        let computed_at = match &self.at {
            Some(t) => Some(airlock::time::format_instant(check_time(Some(t))?)),
            None => None,
        };
        let request = ProofRequest {
            vulnerability: cve.clone(),
            purl: purl.clone(),
            computed_at,
        };
        let binary = match &self.binary {
            Some(path) => {
                let (sha256, images) = super::fingerprint::fingerprint_path(path, None, None)?;
                Some(FingerprintedBinary { sha256, images })
            }
            None => None,
        };
        let proof = prove_and_record(&self.location, &request, binary.as_ref(), out)?;
        let mut bytes = match &self.sign {
            Some(key) => sign_proof(&proof, &load_private_key(key)?).to_json(),
            None => proof.to_canonical(),
        };
        bytes.push(b'\n');
        match &self.out {
            Some(path) => {
                airlock::fsutil::write_atomic(path, &bytes)
                    .map_err(|e| Failure::io(path.display(), &e))?;
                out.info(format!(
                    "{} {}: {} ({}, confidence {:.2}) → {}",
                    proof.subject.vulnerability,
                    proof.subject.purl,
                    proof.verdict.as_str(),
                    proof.method,
                    proof.confidence,
                    path.display()
                ));
            }
            None if out.json || self.sign.is_some() => out.raw(&bytes),
            None => {
                out.line(format!(
                    "{} in {}: {} (confidence {:.2}, method {})",
                    proof.subject.vulnerability,
                    proof.subject.purl,
                    proof.verdict.as_str(),
                    proof.confidence,
                    proof.method
                ));
                for e in &proof.evidence {
                    out.line(format!(
                        "  [{}] {} ({:.2}; {})",
                        e.tier.as_str(),
                        e.reason,
                        e.confidence,
                        e.raw_digest
                    ));
                }
                for e in &proof.conflicts {
                    out.line(format!(
                        "  conflict [{}] {} ({:.2})",
                        e.tier.as_str(),
                        e.reason,
                        e.confidence
                    ));
                }
                out.line(format!(
                    "  proof_hash {}",
                    proof.proof_hash.as_deref().unwrap_or_default()
                ));
            }
        }
        Ok(())
    }
}

fn verify(
    file: &std::path::Path,
    trust_root: Option<&PathBuf>,
    location: &StoreLocation,
    at: Option<&str>,
    out: &OutputMode,
) -> CmdResult {
    let bytes = read_file(file)?;
    let root = match trust_root {
        Some(p) => Some(load_trust_root(Some(p), check_time(at)?)?),
        None => None,
    };
    let store_dir = airlock::store::resolve_dir(location.store.as_deref());
    let store = match (&location.store, &store_dir) {
        (Some(_), Some(dir)) => {
            Some(Store::open_read(dir).map_err(|e| Failure::from_coded(dir.display(), &e))?)
        }
        (None, Some(dir)) if Store::db_path(dir).is_file() => {
            Some(Store::open_read(dir).map_err(|e| Failure::from_coded(dir.display(), &e))?)
        }
        _ => None,
    };
    let snapshot = match &store {
        Some(s) => Some(s.snapshot().map_err(|e| Failure::from_coded("store", &e))?),
        None => None,
    };
    let check = verify_proof(&bytes, root.as_ref(), snapshot.as_ref())
        .map_err(|e| Failure::from_coded(file.display(), &e))?;
    let signers: Vec<String> = check.signers.iter().map(ToString::to_string).collect();
    if out.json {
        out.json(&json!({
            "status": "verified",
            "verdict": check.proof.verdict.as_str(),
            "proof_hash": check.proof.proof_hash,
            "signers": signers,
            "evidence_checked": check.evidence_checked,
        }));
    } else {
        out.line(format!(
            "verified: {} ({} {}: {}), hash ok, {} signer(s), {} evidence blob(s) re-hashed against the store",
            file.display(),
            check.proof.subject.vulnerability,
            check.proof.subject.purl,
            check.proof.verdict.as_str(),
            signers.len(),
            check.evidence_checked
        ));
    }
    Ok(())
}
