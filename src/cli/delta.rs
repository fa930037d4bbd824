//! `airlock delta create|verify|apply|rollback|report`: artifact deltas (spec `delta-format.md`).

use std::path::{Path, PathBuf};

use airlock::delta::attest::Anchors;
use airlock::delta::engine::{self, CreateOptions, DeltaError};
use airlock::delta::score::Policy;
use airlock::delta::{report, rollback, verify};
use bundle_format::delta::manifest::REVERSE_PAYLOAD_FILE;
use bundle_format::delta::payload::Limits;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Artifact deltas: create, verify, apply, roll back, report.
#[derive(Debug, Args)]
pub struct DeltaArgs {
    #[command(subcommand)]
    command: DeltaCommand,
}

#[derive(Debug, Subcommand)]
enum DeltaCommand {
    /// Create a delta directory from BASE to TARGET.
    Create {
        /// The earlier artifact.
        #[arg(long)]
        base: PathBuf,
        /// The new artifact.
        #[arg(long)]
        target: PathBuf,
        /// Attestations to ship with the delta (DSSE envelopes, Sigstore bundles).
        #[arg(long, num_args = 1..)]
        attestation: Vec<PathBuf>,
        /// Risk policy (YAML or JSON).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Output directory (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a delta against its base: attestations first, then every integrity check, then the risk.
    Verify {
        /// The base artifact.
        #[arg(long)]
        base: PathBuf,
        /// The delta directory.
        #[arg(long)]
        delta: PathBuf,
        /// airlock trust root for DSSE attestations.
        #[arg(long, env = "AIRLOCK_TRUST_ROOT")]
        trust_root: Option<PathBuf>,
        /// Sigstore trusted_root.json for Sigstore bundles.
        #[arg(long)]
        trusted_root: Option<PathBuf>,
        /// Risk policy (YAML or JSON).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Time of the check (RFC 3339); defaults to now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Apply a delta to its base; writes OUT only if the result hashes to the target digest.
    Apply {
        /// The base artifact.
        #[arg(long)]
        base: PathBuf,
        /// The delta directory.
        #[arg(long)]
        delta: PathBuf,
        /// Where to write the target.
        #[arg(long)]
        out: PathBuf,
    },
    /// Roll back from the target to the base, under a signed and logged rollback attestation.
    Rollback {
        /// The current artifact (the delta's target).
        #[arg(long)]
        current: PathBuf,
        /// The delta directory.
        #[arg(long)]
        delta: PathBuf,
        /// The rollback attestation (DSSE + inclusion proof + checkpoint).
        #[arg(long)]
        attestation: Option<PathBuf>,
        /// airlock trust root holding the rollback-signer role and the logs.
        #[arg(long, env = "AIRLOCK_TRUST_ROOT")]
        trust_root: Option<PathBuf>,
        /// Time of the check (RFC 3339); defaults to now.
        #[arg(long)]
        at: Option<String>,
        /// Where to write the restored base.
        #[arg(long)]
        out: PathBuf,
    },
    /// Vendor side: sign a rollback attestation for a delta and anchor it in a one-entry log.
    AttestRollback {
        /// The delta directory.
        #[arg(long)]
        delta: PathBuf,
        /// Private key of the trust root's rollback-signer role (PEM).
        #[arg(long)]
        key: PathBuf,
        /// Ed25519 private key (PKCS#8 PEM) that signs a new one-entry log's checkpoint.
        #[arg(long, required_unless_present = "log_dir", requires = "log_origin")]
        log_key: Option<PathBuf>,
        /// The one-entry log's origin (as listed in the trust root).
        #[arg(long, requires = "log_key")]
        log_origin: Option<String>,
        /// Instead: a local log (`airlock tlog init`) to append the envelope to; a checkpoint is
        /// signed for the new size and the inclusion proof is against it.
        #[arg(long, value_name = "D", conflicts_with_all = ["log_key", "log_origin"])]
        log_dir: Option<PathBuf>,
        /// Why the rollback is authorized.
        #[arg(long, default_value = "authorized rollback")]
        reason: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Render the delta as one self-contained HTML file.
    Report {
        /// The delta directory.
        dir: PathBuf,
        /// Output HTML file.
        #[arg(long)]
        html: PathBuf,
    },
}

fn coded(context: &Path, e: &DeltaError) -> Failure {
    Failure::from_coded(context.display(), e)
}

fn read_artifact(path: &Path) -> Result<Vec<u8>, Failure> {
    engine::read_bounded(path, engine::MAX_ARTIFACT_BYTES).map_err(|e| coded(path, &e))
}

fn load_policy(path: Option<&Path>) -> Result<Policy, Failure> {
    let Some(p) = path else {
        return Ok(Policy::default());
    };
    let bytes = std::fs::read(p).map_err(|e| Failure::io(p.display(), &e))?;
    Policy::parse(&bytes)
        .map_err(|m| Failure::could_not_run("policy-invalid", format!("{}: {m}", p.display())))
}

fn instant(at: Option<&str>) -> Result<jiff::Timestamp, Failure> {
    match at {
        Some(t) => airlock::time::parse_instant(t).map_err(Failure::usage),
        None => Ok(jiff::Timestamp::now()),
    }
}

fn refuse_same(out: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    for i in inputs {
        if let (Ok(a), Ok(b)) = (std::fs::canonicalize(out), std::fs::canonicalize(i))
            && a == b
        {
            return Err(Failure::usage(format!(
                "--out {} is also an input; refusing to overwrite it",
                out.display()
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Created<'a> {
    status: &'static str,
    out: String,
    artifact_type: &'a str,
    base_sha256: String,
    target_sha256: String,
    target_size: u64,
    payload_size: u64,
    reverse_payload_size: u64,
    copy_ratio_permille: u64,
    changed_chunks: usize,
    verdict: &'a str,
    score: u64,
}

impl DeltaArgs {
    /// Runs the chosen delta command.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            DeltaCommand::Create {
                base,
                target,
                attestation,
                policy,
                out: dir,
            } => {
                let policy = load_policy(policy.as_deref())?;
                let b = read_artifact(base)?;
                let t = read_artifact(target)?;
                let mut atts = Vec::new();
                for a in attestation {
                    let bytes = engine::read_bounded(a, engine::MAX_ATTESTATION_BYTES)
                        .map_err(|e| coded(a, &e))?;
                    let name = a.file_name().map_or_else(
                        || "attestation".into(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    atts.push((name, bytes));
                }
                let created = engine::create(
                    &b,
                    &t,
                    &CreateOptions {
                        attestations: atts,
                        policy,
                    },
                )
                .map_err(|e| coded(target, &e))?;
                engine::write_dir(dir, &created).map_err(|e| coded(dir, &e))?;
                let m = &created.manifest;
                let r = Created {
                    status: "created",
                    out: dir.display().to_string(),
                    artifact_type: &m.artifact_type,
                    base_sha256: m.base.sha256.to_string(),
                    target_sha256: m.target.sha256.to_string(),
                    target_size: m.target.size,
                    payload_size: m.payload.size,
                    reverse_payload_size: m.reverse_payload.size,
                    copy_ratio_permille: m.ops_summary.copy_ratio_permille,
                    changed_chunks: m.changed_chunks.len(),
                    verdict: &m.delta_risk.verdict,
                    score: m.delta_risk.score,
                };
                if out.json {
                    out.json(&r);
                } else {
                    out.line(format!(
                        "created {} ({}): {} bytes delta for a {} byte target ({:.1}%), {}‰ reused, {} changed chunks, risk {} ({}/100)",
                        r.out,
                        r.artifact_type,
                        r.payload_size,
                        r.target_size,
                        r.payload_size as f64 * 100.0 / r.target_size.max(1) as f64,
                        r.copy_ratio_permille,
                        r.changed_chunks,
                        r.verdict,
                        r.score
                    ));
                }
                Ok(())
            }
            DeltaCommand::Verify {
                base,
                delta,
                trust_root,
                trusted_root,
                policy,
                at,
            } => {
                let policy = load_policy(policy.as_deref())?;
                let anchors = Anchors {
                    trust_root: trust_root.clone(),
                    sigstore_root: trusted_root.clone(),
                    at: Some(instant(at.as_deref())?),
                };
                let b = read_artifact(base)?;
                let rep = verify::verify(delta, &b, &anchors, &policy, &Limits::default())
                    .map_err(|e| coded(delta, &e))?;
                let red = rep.verdict == "red";
                if out.json {
                    if !red {
                        out.json(&rep);
                    }
                } else {
                    for c in &rep.checks {
                        out.line(format!("ok: {c}"));
                    }
                    for a in &rep.attestations {
                        out.line(format!(
                            "attestation {}: signature {}, log inclusion {}{}",
                            a.path,
                            tri(a.signature_verified),
                            tri(a.inclusion_verified),
                            if a.notes.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", a.notes.join("; "))
                            }
                        ));
                    }
                    for g in &rep.score_inputs.provenance_gaps {
                        out.line(format!("provenance gap: {g}"));
                    }
                    for c in &rep.risk.breakdown {
                        out.line(format!(
                            "risk {}: {}/{} — {}",
                            c.input, c.points, c.weight, c.reason
                        ));
                    }
                    for r in &rep.risk.reasons {
                        out.line(format!("rule: {r}"));
                    }
                    out.line(format!(
                        "verdict: {} (score {}/100)",
                        rep.verdict, rep.risk.score
                    ));
                }
                if red {
                    let mut why: Vec<String> = rep.risk.reasons.clone();
                    why.extend(
                        rep.score_inputs
                            .provenance_gaps
                            .iter()
                            .map(|g| format!("gap: {g}")),
                    );
                    return Err(Failure::rejected(
                        "delta-verdict-red",
                        format!(
                            "{}: verdict red (score {}/100) under the policy: {}",
                            delta.display(),
                            rep.risk.score,
                            why.join("; ")
                        ),
                    ));
                }
                Ok(())
            }
            DeltaCommand::Apply {
                base,
                delta,
                out: dest,
            } => {
                refuse_same(dest, &[base])?;
                let loaded = engine::load_dir(delta).map_err(|e| coded(delta, &e))?;
                let b = read_artifact(base)?;
                let m = &loaded.manifest;
                let rec = engine::reconstruct_target(&loaded.payload, m, &b, &Limits::default())
                    .map_err(|e| coded(delta, &e))?;
                engine::write_atomic(dest, &rec.bytes).map_err(|e| coded(dest, &e))?;
                report_written(
                    out,
                    "applied",
                    dest,
                    &m.target.sha256.to_string(),
                    m.target.size,
                );
                Ok(())
            }
            DeltaCommand::Rollback {
                current,
                delta,
                attestation,
                trust_root,
                at,
                out: dest,
            } => {
                refuse_same(dest, &[current])?;
                let loaded = engine::load_dir(delta).map_err(|e| coded(delta, &e))?;
                let m = &loaded.manifest;
                let Some(att) = attestation else {
                    return Err(Failure::rejected(
                        "rollback-attestation-missing",
                        format!(
                            "{}: rollback needs --attestation: a signed, logged rollback attestation naming {} and {}",
                            delta.display(),
                            m.target.sha256,
                            m.base.sha256
                        ),
                    ));
                };
                let at = instant(at.as_deref())?;
                let Some(root) = trust_root else {
                    return Err(Failure::could_not_run(
                        "trust-root-missing",
                        "rollback needs --trust-root (or AIRLOCK_TRUST_ROOT)",
                    ));
                };
                let att_bytes = engine::read_bounded(att, engine::MAX_ATTESTATION_BYTES)
                    .map_err(|e| coded(att, &e))?;
                let manifest_bytes = engine::read_bounded(
                    &delta.join(bundle_format::delta::manifest::MANIFEST_FILE),
                    bundle_format::delta::manifest::MAX_MANIFEST_BYTES,
                )
                .map_err(|e| coded(delta, &e))?;
                rollback::check_rollback_attestation(&att_bytes, m, &manifest_bytes, root, at)
                    .map_err(|e| Failure::from_coded(att.display(), &e))?;
                let cur = read_artifact(current)?;
                let reverse = engine::read_bounded(
                    &delta.join(REVERSE_PAYLOAD_FILE),
                    m.reverse_payload.size.saturating_add(1 << 20),
                )
                .map_err(|e| coded(delta, &e))?;
                let rec = engine::reconstruct(
                    REVERSE_PAYLOAD_FILE,
                    &reverse,
                    &m.reverse_payload,
                    &cur,
                    &m.target,
                    &m.base,
                    &Limits::default(),
                )
                .map_err(|e| coded(delta, &e))?;
                engine::write_atomic(dest, &rec.bytes).map_err(|e| coded(dest, &e))?;
                report_written(
                    out,
                    "rolled-back",
                    dest,
                    &m.base.sha256.to_string(),
                    m.base.size,
                );
                Ok(())
            }
            DeltaCommand::AttestRollback {
                delta,
                key,
                log_key,
                log_origin,
                log_dir,
                reason,
                out: dest,
            } => {
                let loaded = engine::load_dir(delta).map_err(|e| coded(delta, &e))?;
                let manifest_bytes = engine::read_bounded(
                    &delta.join(bundle_format::delta::manifest::MANIFEST_FILE),
                    bundle_format::delta::manifest::MAX_MANIFEST_BYTES,
                )
                .map_err(|e| coded(delta, &e))?;
                let signer = airlock::crypto::PrivateKey::load(key)
                    .map_err(|e| Failure::from_coded(key.display(), &e))?;
                let (bytes, vkey, log_origin) = if let Some(dir) = log_dir {
                    let mut log = airlock::tlog::log::LocalLog::open(dir)
                        .map_err(|e| Failure::from_coded(dir.display(), &e))?;
                    let (bytes, vkey) = rollback::create_rollback_attestation_in_log(
                        &loaded.manifest,
                        &manifest_bytes,
                        &signer,
                        &mut log,
                        reason,
                    )
                    .map_err(|e| Failure::from_coded(dir.display(), &e))?;
                    (bytes, vkey, log.origin().to_owned())
                } else {
                    let (Some(log_key), Some(origin)) = (log_key, log_origin) else {
                        return Err(Failure::usage(
                            "give --log-dir, or --log-key with --log-origin",
                        ));
                    };
                    let pem = std::fs::read_to_string(log_key)
                        .map_err(|e| Failure::io(log_key.display(), &e))?;
                    let lk = {
                        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
                        ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                            Failure::could_not_run(
                                "key-invalid",
                                format!(
                                    "{}: not an Ed25519 PKCS#8 PEM key ({e})",
                                    log_key.display()
                                ),
                            )
                        })?
                    };
                    let (bytes, vkey) = rollback::create_rollback_attestation(
                        &loaded.manifest,
                        &manifest_bytes,
                        &signer,
                        lk,
                        origin,
                        reason,
                    )
                    .map_err(|e| Failure::from_coded(delta.display(), &e))?;
                    (bytes, vkey, origin.clone())
                };
                engine::write_atomic(dest, &bytes).map_err(|e| coded(dest, &e))?;
                if out.json {
                    out.json(&serde_json::json!({"status": "written", "out": dest.display().to_string(), "log_origin": log_origin, "log_vkey": vkey}));
                } else {
                    out.line(format!("wrote {}; log verifier key (add with `airlock trust add-log --origin {log_origin} --key ...`):", dest.display()));
                    out.line(vkey);
                }
                Ok(())
            }
            DeltaCommand::Report { dir, html } => {
                let loaded = engine::load_dir(dir).map_err(|e| coded(dir, &e))?;
                let gate = report::gate_from_manifest(&loaded.manifest);
                let page = report::render(&loaded.manifest, &gate);
                engine::write_atomic(html, page.as_bytes()).map_err(|e| coded(html, &e))?;
                if out.json {
                    out.json(&serde_json::json!({"status": "written", "html": html.display().to_string(), "bytes": page.len()}));
                } else {
                    out.line(format!("wrote {} ({} bytes)", html.display(), page.len()));
                }
                Ok(())
            }
        }
    }
}

fn tri(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "verified",
        Some(false) => "FAILED",
        None => "not checked",
    }
}

fn report_written(out: &OutputMode, status: &str, dest: &Path, sha: &str, size: u64) {
    if out.json {
        out.json(&serde_json::json!({"status": status, "out": dest.display().to_string(), "sha256": sha, "size": size}));
    } else {
        out.line(format!(
            "{status}: wrote {} ({size} bytes, {sha})",
            dest.display()
        ));
    }
}
