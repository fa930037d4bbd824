//! `airlock key generate|show`.

use std::path::PathBuf;

use airlock::crypto::{KeyAlgorithm, PrivateKey};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::common::load_public_key;
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Manage signing keys.
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Generate a key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM).
    Generate {
        /// Signature algorithm.
        #[arg(long, value_enum)]
        algorithm: AlgorithmArg,
        /// Output prefix.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Print a key's algorithm and key id (SHA-256 of its SPKI DER).
    Show {
        /// A public (SPKI PEM) or private (PKCS#8 PEM) key file.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    Ed25519,
    #[value(name = "ecdsa-p256")]
    EcdsaP256,
}

#[derive(Serialize)]
struct KeyInfo<'a> {
    algorithm: &'a str,
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
}

impl KeyArgs {
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            KeyCommand::Generate {
                algorithm,
                out: prefix,
                force,
            } => {
                let algorithm = match algorithm {
                    AlgorithmArg::Ed25519 => KeyAlgorithm::Ed25519,
                    AlgorithmArg::EcdsaP256 => KeyAlgorithm::EcdsaP256,
                };
                let key_path = PathBuf::from(format!("{}.key", prefix.display()));
                let pub_path = PathBuf::from(format!("{}.pub", prefix.display()));
                for p in [&key_path, &pub_path] {
                    if p.exists() && !force {
                        return Err(Failure::usage(format!(
                            "{} exists; refusing to overwrite a key (pass --force)",
                            p.display()
                        )));
                    }
                }
                let key = PrivateKey::generate(algorithm)
                    .map_err(|e| Failure::from_coded("key generate", &e))?;
                airlock::fsutil::write_atomic_with_mode(
                    &key_path,
                    key.to_pem().as_bytes(),
                    Some(0o600),
                )
                .map_err(|e| Failure::io(key_path.display(), &e))?;
                airlock::fsutil::write_atomic(&pub_path, key.public_key().to_pem().as_bytes())
                    .map_err(|e| Failure::io(pub_path.display(), &e))?;
                let info = KeyInfo {
                    algorithm: algorithm.name(),
                    key_id: key.key_id().as_str(),
                    private_key: Some(key_path.display().to_string()),
                    public_key: Some(pub_path.display().to_string()),
                };
                if out.json {
                    out.json(&info);
                } else {
                    out.line(format!(
                        "{}  {}  {}",
                        info.algorithm,
                        info.key_id,
                        pub_path.display()
                    ));
                }
                Ok(())
            }
            KeyCommand::Show { file } => {
                let key = load_public_key(file)?;
                let info = KeyInfo {
                    algorithm: key.algorithm().name(),
                    key_id: key.key_id().as_str(),
                    private_key: None,
                    public_key: None,
                };
                if out.json {
                    out.json(&info);
                } else {
                    out.line(format!(
                        "algorithm: {}\nkey id:    {}",
                        info.algorithm, info.key_id
                    ));
                }
                Ok(())
            }
        }
    }
}
