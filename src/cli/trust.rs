//! `airlock trust init|add-key|remove-key|set-threshold|add-log|add-witness|sign|verify|show`.

use std::path::{Path, PathBuf};

use airlock::crypto::KeyId;
use airlock::trust::{Draft, LogEntry, LogKeyType, Role, TrustRoot, read_unverified};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::common::{check_time, load_private_key, load_public_key};
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Create, edit, sign, verify and show trust roots.
#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// Create an unsigned version-1 trust root with the given root key(s); sign it next.
    Init {
        /// Root public key (repeatable).
        #[arg(long, required = true)]
        root_key: Vec<PathBuf>,
        /// Root signatures required.
        #[arg(long, default_value_t = 1)]
        threshold: u64,
        /// Validity from now (or --at), e.g. 365d, 1y.
        #[arg(long, default_value = "1y")]
        expires: String,
        /// Start of validity (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add a key to a role (an edit: bumps the version of a signed root, drops signatures).
    AddKey {
        #[command(flatten)]
        target: Target,
        /// Role: root, bundle-signer, rollback-signer, proof-signer.
        #[arg(long)]
        role: String,
        /// Public key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Remove a key from a role.
    RemoveKey {
        #[command(flatten)]
        target: Target,
        /// Role.
        #[arg(long)]
        role: String,
        /// Public key file, or a key id (64 hex digits).
        #[arg(long)]
        key: String,
    },
    /// Set a role's threshold (`--role witnesses` sets the witness k-of-n).
    SetThreshold {
        #[command(flatten)]
        target: Target,
        /// Role, or `witnesses`.
        #[arg(long)]
        role: String,
        /// Distinct signatures required.
        threshold: u64,
    },
    /// Trust a transparency log: C2SP verifier key string, or an SPKI PEM file (e.g. Rekor).
    AddLog {
        #[command(flatten)]
        target: Target,
        /// The log's origin (first checkpoint line).
        #[arg(long)]
        origin: String,
        /// PEM file path or `name+hash+base64` verifier key.
        #[arg(long)]
        key: String,
    },
    /// Trust a witness (C2SP verifier key string).
    AddWitness {
        #[command(flatten)]
        target: Target,
        /// `name+hash+base64` verifier key.
        #[arg(long)]
        key: String,
        /// Also set the witness threshold.
        #[arg(long)]
        threshold: Option<u64>,
    },
    /// Add a signature (the file is rewritten with it).
    Sign {
        #[command(flatten)]
        target: Target,
        /// Private key.
        #[arg(long)]
        key: PathBuf,
    },
    /// Verify a trust root, and with --previous that it is a valid rotation of it.
    Verify {
        /// The trust root.
        file: PathBuf,
        /// The version it replaces.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Time of the check (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Show a trust root's content and signers (without verifying).
    Show {
        /// The trust root.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
struct Target {
    /// The trust root file to edit.
    #[arg(long)]
    trust_root: PathBuf,
    /// Write the result here instead of editing in place.
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Target {
    fn edit(
        &self,
        f: impl FnOnce(&mut Draft) -> Result<(), airlock::trust::EditError>,
    ) -> CmdResult {
        let mut draft = Draft::open(&self.trust_root)
            .map_err(|e| Failure::from_coded(self.trust_root.display(), &e))?;
        f(&mut draft).map_err(|e| Failure::from_coded(self.trust_root.display(), &e))?;
        let dest = self.out.as_deref().unwrap_or(&self.trust_root);
        draft
            .save(dest)
            .map_err(|e| Failure::from_coded(dest.display(), &e))
    }
}

fn parse_role(text: &str) -> Result<Role, Failure> {
    text.parse().map_err(Failure::usage)
}

#[derive(Serialize)]
struct Shown<'a> {
    body: &'a airlock::trust::TrustRootBody,
    signatures: Vec<&'a str>,
}

impl TrustArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            TrustCommand::Init {
                root_key,
                threshold,
                expires,
                at,
                out: dest,
            } => {
                let keys = root_key
                    .iter()
                    .map(|p| load_public_key(p))
                    .collect::<Result<Vec<_>, _>>()?;
                let start = check_time(at.as_deref())?;
                let span = airlock::time::parse_duration(expires).map_err(Failure::usage)?;
                let expires = airlock::time::add(start, span).map_err(Failure::usage)?;
                let draft = Draft::init(&keys, *threshold, expires)
                    .map_err(|e| Failure::from_coded("trust init", &e))?;
                draft
                    .save(dest)
                    .map_err(|e| Failure::from_coded(dest.display(), &e))?;
                out.info(format!(
                    "wrote unsigned trust root version 1 to {}; sign it with `airlock trust sign`",
                    dest.display()
                ));
                Ok(())
            }
            TrustCommand::AddKey { target, role, key } => {
                let role = parse_role(role)?;
                let key = load_public_key(key)?;
                target.edit(|d| d.add_key(role, &key))
            }
            TrustCommand::RemoveKey { target, role, key } => {
                let role = parse_role(role)?;
                let id = match KeyId::try_from(key.clone()) {
                    Ok(id) => id,
                    Err(_) => load_public_key(Path::new(key))?.key_id().clone(),
                };
                target.edit(|d| d.remove_key(role, &id))
            }
            TrustCommand::SetThreshold {
                target,
                role,
                threshold,
            } => {
                if role == "witnesses" {
                    return target.edit(|d| d.set_witness_threshold(*threshold));
                }
                let role = parse_role(role)?;
                target.edit(|d| d.set_threshold(role, *threshold))
            }
            TrustCommand::AddLog {
                target,
                origin,
                key,
            } => {
                let entry = if Path::new(key).is_file() {
                    let public = load_public_key(Path::new(key))?;
                    LogEntry {
                        origin: origin.clone(),
                        key_type: LogKeyType::SpkiPem,
                        key: public.to_pem(),
                    }
                } else {
                    check_vkey(key)?;
                    LogEntry {
                        origin: origin.clone(),
                        key_type: LogKeyType::NoteVkey,
                        key: key.clone(),
                    }
                };
                target.edit(|d| d.add_log(entry))
            }
            TrustCommand::AddWitness {
                target,
                key,
                threshold,
            } => {
                check_vkey(key)?;
                target.edit(|d| {
                    d.add_witness(key.clone())?;
                    match threshold {
                        Some(k) => d.set_witness_threshold(*k),
                        None => Ok(()),
                    }
                })
            }
            TrustCommand::Sign { target, key } => {
                let key = load_private_key(key)?;
                target.edit(|d| d.sign(&key))
            }
            TrustCommand::Verify { file, previous, at } => {
                let at = check_time(at.as_deref())?;
                let root = TrustRoot::load(file, at)
                    .map_err(|e| Failure::from_coded(file.display(), &e))?;
                if let Some(prev) = previous {
                    let (_, prev_body) = read_unverified(prev)
                        .map_err(|e| Failure::from_coded(prev.display(), &e))?;
                    root.verify_rotation_from(&prev_body)
                        .map_err(|e| Failure::from_coded(file.display(), &e))?;
                }
                let signers: Vec<String> = root.signers().iter().map(ToString::to_string).collect();
                if out.json {
                    out.json(&serde_json::json!({
                        "status": "verified",
                        "version": root.body().version,
                        "expires": root.body().expires,
                        "signers": signers,
                    }));
                } else {
                    out.line(format!(
                        "verified: {} version {} (expires {}), signed by {}",
                        file.display(),
                        root.body().version,
                        root.body().expires,
                        signers.join(", ")
                    ));
                }
                Ok(())
            }
            TrustCommand::Show { file } => {
                let (envelope, body) =
                    read_unverified(file).map_err(|e| Failure::from_coded(file.display(), &e))?;
                let shown = Shown {
                    body: &body,
                    signatures: envelope
                        .signatures
                        .iter()
                        .map(|s| s.keyid.as_str())
                        .collect(),
                };
                if out.json {
                    out.json(&shown);
                } else {
                    out.line(format!(
                        "trust root version {} expires {}",
                        body.version, body.expires
                    ));
                    for (role, entry) in &body.roles {
                        out.line(format!(
                            "  role {role}: threshold {} of {}",
                            entry.threshold,
                            entry.keyids.len()
                        ));
                        for id in &entry.keyids {
                            out.line(format!("    {} {id}", body.keys[id].algorithm));
                        }
                    }
                    for log in &body.logs {
                        out.line(format!("  log {} ({:?})", log.origin, log.key_type));
                    }
                    out.line(format!(
                        "  witnesses: {} of {}",
                        body.witnesses.threshold,
                        body.witnesses.keys.len()
                    ));
                    out.line(format!("  signatures: {}", shown.signatures.join(", ")));
                }
                Ok(())
            }
        }
    }
}

/// Light check of a C2SP verifier key's shape (`name+hash8hex+base64`); the tlog code parses
/// it fully when it is used.
fn check_vkey(key: &str) -> Result<(), Failure> {
    let parts: Vec<&str> = key.splitn(3, '+').collect();
    let ok = parts.len() == 3
        && !parts[0].is_empty()
        && parts[1].len() == 8
        && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
        && !parts[2].is_empty();
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "{key:?}: expected an existing PEM file or a C2SP verifier key `name+hash+base64`"
        )))
    }
}
