//! `airlock dsse sign|verify`.

use std::path::PathBuf;

use airlock::bundle_format::dsse::Envelope;
use airlock::crypto::{sign_envelope, verify_envelope};
use airlock::trust::Role;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::common::{
    check_time, load_private_key, load_public_key, load_trust_root, read_file,
    refuse_overwriting_input,
};
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Sign and verify DSSE envelopes.
#[derive(Debug, Args)]
pub struct DsseArgs {
    #[command(subcommand)]
    command: DsseCommand,
}

#[derive(Debug, Subcommand)]
enum DsseCommand {
    /// Sign FILE's bytes as a DSSE payload; writes the envelope to --out or stdout.
    /// With --append, FILE is an existing envelope that gets one more signature.
    Sign {
        /// Private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// The payload type (e.g. application/vnd.in-toto+json).
        #[arg(long, required_unless_present = "append")]
        payload_type: Option<String>,
        /// Add a signature to the existing envelope FILE instead of wrapping FILE.
        #[arg(long)]
        append: bool,
        /// Where to write the envelope (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The payload (or the envelope, with --append).
        file: PathBuf,
    },
    /// Verify an envelope against keys and a threshold, or a trust root role.
    Verify {
        /// The envelope.
        envelope: PathBuf,
        /// Trusted public key (repeatable).
        #[arg(long, conflicts_with_all = ["trust_root", "role"])]
        key: Vec<PathBuf>,
        /// Distinct keys required (default 1).
        #[arg(long, requires = "key")]
        threshold: Option<usize>,
        /// Trust root whose role must have signed.
        #[arg(long, requires = "role")]
        trust_root: Option<PathBuf>,
        /// Role in the trust root (bundle-signer, rollback-signer, proof-signer, root).
        #[arg(long, requires = "trust_root")]
        role: Option<String>,
        /// Require this payload type.
        #[arg(long)]
        payload_type: Option<String>,
        /// Time of the check (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// Write the verified payload here.
        #[arg(long)]
        payload_out: Option<PathBuf>,
    },
}

#[derive(Serialize)]
struct VerifyReport<'a> {
    status: &'a str,
    payload_type: &'a str,
    signers: Vec<String>,
    payload_sha256: String,
}

impl DsseArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            DsseCommand::Sign {
                key,
                payload_type,
                append,
                out: dest,
                file,
            } => {
                if let Some(dest) = dest {
                    refuse_overwriting_input(dest, &[file.as_path()])?;
                }
                let key = load_private_key(key)?;
                let bytes = read_file(file)?;
                let mut envelope = if *append {
                    Envelope::from_json_allow_unsigned(&bytes).map_err(|e| {
                        Failure::rejected("envelope-malformed", format!("{}: {e}", file.display()))
                    })?
                } else {
                    Envelope::new(payload_type.clone().unwrap_or_default(), bytes)
                };
                if let Some(t) = payload_type
                    && *append
                    && &envelope.payload_type != t
                {
                    return Err(Failure::rejected(
                        "payload-type-mismatch",
                        format!(
                            "{}: payloadType is {:?}, expected {t:?}",
                            file.display(),
                            envelope.payload_type
                        ),
                    ));
                }
                sign_envelope(&mut envelope, &key);
                let mut json = envelope.to_json();
                json.push(b'\n');
                match dest {
                    Some(path) => airlock::fsutil::write_atomic(path, &json)
                        .map_err(|e| Failure::io(path.display(), &e))?,
                    None => out.raw(&json),
                }
                Ok(())
            }
            DsseCommand::Verify {
                envelope,
                key,
                threshold,
                trust_root,
                role,
                payload_type,
                at,
                payload_out,
            } => {
                let bytes = read_file(envelope)?;
                let env = Envelope::from_json(&bytes).map_err(|e| {
                    Failure::rejected("envelope-malformed", format!("{}: {e}", envelope.display()))
                })?;
                let expected = payload_type
                    .clone()
                    .unwrap_or_else(|| env.payload_type.clone());
                let verified = if let (Some(tr), Some(role)) = (trust_root, role) {
                    let role: Role = role.parse().map_err(Failure::usage)?;
                    let root = load_trust_root(Some(tr), check_time(at.as_deref())?)?;
                    root.verify_envelope(&env, &expected, role)
                        .map_err(|e| Failure::from_coded(envelope.display(), &e))?
                } else {
                    if key.is_empty() {
                        return Err(Failure::usage(
                            "pass --key PUB (repeatable) or --trust-root T --role R",
                        ));
                    }
                    let keys = key
                        .iter()
                        .map(|k| load_public_key(k))
                        .collect::<Result<Vec<_>, _>>()?;
                    verify_envelope(&env, &expected, &keys, threshold.unwrap_or(1))
                        .map_err(|e| Failure::from_coded(envelope.display(), &e))?
                };
                if let Some(path) = payload_out {
                    airlock::fsutil::write_atomic(path, &verified.value().payload)
                        .map_err(|e| Failure::io(path.display(), &e))?;
                }
                let report = VerifyReport {
                    status: "verified",
                    payload_type: &env.payload_type,
                    signers: verified.signers().iter().map(ToString::to_string).collect(),
                    payload_sha256: airlock::bundle_format::Digest::sha256(&env.payload)
                        .to_string(),
                };
                if out.json {
                    out.json(&report);
                } else {
                    out.line(format!(
                        "verified: {} signed by {} key(s): {}",
                        envelope.display(),
                        report.signers.len(),
                        report.signers.join(", ")
                    ));
                }
                Ok(())
            }
        }
    }
}
