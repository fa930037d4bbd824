//! `airlock sigstore verify`: offline verification of Sigstore bundles.

use std::path::PathBuf;

use airlock::sigstore::{Policy, Signer, TrustedRoot, VerifiedBundle, verify_bundle};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Sigstore bundles (v0.1–v0.3), verified offline against a trusted_root.json.
#[derive(Debug, Args)]
pub struct SigstoreArgs {
    #[command(subcommand)]
    command: SigstoreCommand,
}

#[derive(Debug, Subcommand)]
enum SigstoreCommand {
    /// Verify a bundle: signature, Fulcio chain at the logged or timestamped time, identity and
    /// issuer, Rekor inclusion proof, checkpoint and signed entry timestamp, RFC 3161 timestamps.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The Sigstore bundle (JSON, or a one-line .jsonl).
    bundle: PathBuf,
    /// The trusted root (`trusted_root.json`), e.g. trust-roots/sigstore-public-good-trusted_root.json.
    #[arg(long, value_name = "FILE")]
    trusted_root: PathBuf,
    /// The artifact the bundle signs (optional for DSSE bundles).
    #[arg(long, value_name = "FILE", conflicts_with = "digest")]
    artifact: Option<PathBuf>,
    /// The artifact's digest instead of the artifact, as sha256:HEX.
    #[arg(long, value_name = "sha256:HEX")]
    digest: Option<String>,
    /// Managed-key bundle: the signer's public key (SPKI PEM, as cosign writes it).
    #[arg(long, value_name = "PUB", conflicts_with_all = ["identity", "identity_regexp", "issuer"])]
    key: Option<PathBuf>,
    /// Required certificate identity (SAN email or URI), exact.
    #[arg(long, value_name = "ID", conflicts_with = "identity_regexp")]
    identity: Option<String>,
    /// Required certificate identity, as a regular expression matching the whole SAN.
    #[arg(long, value_name = "RE")]
    identity_regexp: Option<String>,
    /// Required OIDC issuer (the Fulcio issuer extension).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Verify as of this time (RFC 3339): refuse bundles whose verified (logged or
    /// timestamped) time is later. Never used in place of a verified time.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

impl SigstoreArgs {
    /// Runs the chosen subcommand.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            SigstoreCommand::Verify(args) => args.run(out),
        }
    }
}

fn parse_digest(text: &str) -> Result<[u8; 32], Failure> {
    let hex_part = text.strip_prefix("sha256:").ok_or_else(|| {
        Failure::usage(format!(
            "--digest {text:?}: expected sha256:HEX (64 hex digits)"
        ))
    })?;
    let bytes = hex::decode(hex_part)
        .map_err(|e| Failure::usage(format!("--digest {text:?}: not hex: {e}")))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        Failure::usage(format!(
            "--digest {text:?}: expected 32 bytes, found {}",
            b.len()
        ))
    })
}

#[derive(Serialize)]
struct Report<'a> {
    status: &'static str,
    bundle: String,
    #[serde(flatten)]
    verified: &'a VerifiedBundle,
}

impl VerifyArgs {
    fn policy(&self) -> Result<Policy, Failure> {
        let mut policy = Policy::default();
        if let Some(id) = &self.identity {
            policy = policy.identity(id.clone());
        }
        if let Some(re) = &self.identity_regexp {
            policy = policy
                .identity_regex(re)
                .map_err(|e| Failure::usage(format!("--identity-regexp {re:?}: {e}")))?;
        }
        if let Some(issuer) = &self.issuer {
            policy = policy.issuer(issuer.clone());
        }
        if let Some(at) = &self.at {
            policy = policy.at(super::common::check_time(Some(at))?);
        }
        if let Some(path) = &self.key {
            let pem = std::fs::read_to_string(path).map_err(|e| Failure::io(path.display(), &e))?;
            policy = policy
                .key_pem(&pem)
                .map_err(|e| Failure::from_coded(path.display(), &e))?;
        }
        if let Some(path) = &self.artifact {
            let bytes = std::fs::read(path).map_err(|e| Failure::io(path.display(), &e))?;
            policy = policy.artifact_bytes(bytes);
        }
        if let Some(d) = &self.digest {
            policy = policy.artifact_sha256(parse_digest(d)?);
        }
        Ok(policy)
    }

    fn run(&self, out: &OutputMode) -> CmdResult {
        let policy = self.policy()?;
        let root = TrustedRoot::load(&self.trusted_root)
            .map_err(|e| Failure::from_coded(self.trusted_root.display(), &e))?;
        let bytes =
            std::fs::read(&self.bundle).map_err(|e| Failure::io(self.bundle.display(), &e))?;
        let verified = verify_bundle(&bytes, &root, &policy)
            .map_err(|e| Failure::from_coded(self.bundle.display(), &e))?;
        if out.json {
            out.json(&Report {
                status: "verified",
                bundle: self.bundle.display().to_string(),
                verified: &verified,
            });
            return Ok(());
        }
        out.line(format!(
            "verified: {} ({})",
            self.bundle.display(),
            verified.media_type
        ));
        match &verified.signer {
            Signer::Certificate {
                identity, issuer, ..
            } => {
                out.line(format!(
                    "  signer: {} (issuer {})",
                    identity.as_deref().unwrap_or("-"),
                    issuer.as_deref().unwrap_or("-")
                ));
            }
            Signer::Key { spki_sha256 } => out.line(format!("  signer: key sha256:{spki_sha256}")),
        }
        match &verified.artifact_sha256 {
            Some(d) => out.line(format!(
                "  artifact: sha256:{d} ({})",
                verified.artifact_binding
            )),
            None => out.line(format!("  artifact: ({})", verified.artifact_binding)),
        }
        if let Some(p) = &verified.predicate_type {
            out.line(format!("  predicate: {p}"));
        }
        for s in &verified.subjects {
            let digests: Vec<String> = s.digest.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            out.line(format!("  subject: {} {}", s.name, digests.join(" ")));
        }
        for e in &verified.tlog_entries {
            out.line(format!(
                "  tlog: {} index {} ({}, rekor v{}){}",
                e.log,
                e.log_index,
                e.kind,
                e.rekor_version,
                e.integrated_time
                    .as_ref()
                    .map(|t| format!(", integrated {t}"))
                    .unwrap_or_default()
            ));
        }
        if verified.rfc3161_timestamps > 0 {
            out.line(format!(
                "  rfc3161 timestamps: {}",
                verified.rfc3161_timestamps
            ));
        }
        Ok(())
    }
}
