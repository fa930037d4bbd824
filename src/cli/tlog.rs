//! `airlock tlog …`: transparency-log proofs, signed notes, checkpoints and the local log.
//! Flags are parsed here and turned into calls to [`airlock::tlog`]; nothing here decides
//! whether a proof holds.

use std::path::{Path, PathBuf};

use airlock::tlog::merkle::{self, Hash};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Transparency logs: verify proofs, notes and checkpoints; run a local tile log.
#[derive(Debug, Args)]
pub struct TlogArgs {
    #[command(subcommand)]
    pub command: TlogCommand,
}

/// The `tlog` verbs.
#[derive(Debug, Subcommand)]
pub enum TlogCommand {
    /// Verify an RFC 6962/9162 inclusion proof.
    VerifyInclusion(VerifyInclusionArgs),
    /// Verify an RFC 6962/9162 consistency proof between two tree heads.
    VerifyConsistency(VerifyConsistencyArgs),
}

impl TlogArgs {
    /// Runs the chosen verb.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            TlogCommand::VerifyInclusion(a) => a.run(out),
            TlogCommand::VerifyConsistency(a) => a.run(out),
        }
    }
}

/// Parses a 32-byte hash given as hex.
pub(crate) fn parse_hash(flag: &str, text: &str) -> Result<Hash, Failure> {
    let bytes = hex::decode(text.trim()).map_err(|e| {
        Failure::usage(format!(
            "{flag}: expected 64 hex digits, found {text:?}: {e}"
        ))
    })?;
    Hash::try_from(bytes.as_slice()).map_err(|_| {
        Failure::usage(format!(
            "{flag}: expected a 32-byte hash (64 hex digits), found {} bytes",
            bytes.len()
        ))
    })
}

/// Parses `HEX[,HEX…]`; the empty string is the empty proof.
pub(crate) fn parse_proof(text: &str) -> Result<Vec<Hash>, Failure> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() > merkle::MAX_PROOF_HASHES {
        return Err(Failure::rejected(
            "proof-too-long",
            format!(
                "--proof: {} hashes, at most {} allowed",
                parts.len(),
                merkle::MAX_PROOF_HASHES
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| parse_hash(&format!("--proof hash {i}"), p))
        .collect()
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::io(path.display(), &e))
}

/// `airlock tlog verify-inclusion`.
#[derive(Debug, Args)]
pub struct VerifyInclusionArgs {
    /// The leaf hash (hex), SHA-256(0x00 || entry).
    #[arg(
        long,
        value_name = "HEX",
        conflicts_with = "leaf",
        required_unless_present = "leaf"
    )]
    leaf_hash: Option<String>,
    /// The leaf entry itself; its RFC 6962 leaf hash is computed.
    #[arg(long, value_name = "FILE")]
    leaf: Option<PathBuf>,
    /// Index of the leaf in the log.
    #[arg(long, value_name = "I")]
    index: u64,
    /// Tree size the proof is for.
    #[arg(long, value_name = "N")]
    size: u64,
    /// Root hash (hex) of the tree of that size.
    #[arg(long, value_name = "HEX")]
    root: String,
    /// Proof hashes, hex, comma-separated (`''` for none).
    #[arg(long, value_name = "HEX[,HEX…]", allow_hyphen_values = true)]
    proof: String,
}

#[derive(Serialize)]
struct InclusionReport {
    status: &'static str,
    leaf_hash: String,
    index: u64,
    size: u64,
    root: String,
}

impl VerifyInclusionArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let leaf = match (&self.leaf_hash, &self.leaf) {
            (Some(h), _) => parse_hash("--leaf-hash", h)?,
            (None, Some(f)) => merkle::leaf_hash(&read_file(f)?),
            (None, None) => return Err(Failure::usage("one of --leaf-hash or --leaf is required")),
        };
        let root = parse_hash("--root", &self.root)?;
        let proof = parse_proof(&self.proof)?;
        merkle::verify_inclusion(&leaf, self.index, self.size, &proof, &root).map_err(|e| {
            Failure::rejected(
                "inclusion-proof-invalid",
                format!(
                    "leaf {} at index {} of tree size {}: {e}",
                    hex::encode(leaf),
                    self.index,
                    self.size
                ),
            )
        })?;
        let report = InclusionReport {
            status: "verified",
            leaf_hash: hex::encode(leaf),
            index: self.index,
            size: self.size,
            root: hex::encode(root),
        };
        if out.json {
            out.json(&report);
        } else {
            out.line(format!(
                "verified: leaf {} is entry {} of the tree of size {} with root {}",
                report.leaf_hash, report.index, report.size, report.root
            ));
        }
        Ok(())
    }
}

/// `airlock tlog verify-consistency`.
#[derive(Debug, Args)]
pub struct VerifyConsistencyArgs {
    /// Size of the older tree.
    #[arg(long, value_name = "M")]
    old_size: u64,
    /// Root hash (hex) of the older tree.
    #[arg(long, value_name = "HEX")]
    old_root: String,
    /// Size of the newer tree.
    #[arg(long, value_name = "N")]
    size: u64,
    /// Root hash (hex) of the newer tree.
    #[arg(long, value_name = "HEX")]
    root: String,
    /// Proof hashes, hex, comma-separated (`''` for none).
    #[arg(long, value_name = "HEX[,HEX…]", allow_hyphen_values = true)]
    proof: String,
}

#[derive(Serialize)]
struct ConsistencyReport {
    status: &'static str,
    old_size: u64,
    old_root: String,
    size: u64,
    root: String,
}

impl VerifyConsistencyArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let old_root = parse_hash("--old-root", &self.old_root)?;
        let root = parse_hash("--root", &self.root)?;
        let proof = parse_proof(&self.proof)?;
        merkle::verify_consistency(self.old_size, self.size, &proof, &old_root, &root).map_err(
            |e| {
                Failure::rejected(
                    "log-inconsistent",
                    format!(
                        "tree of size {} is not proven a prefix of tree of size {}: {e}",
                        self.old_size, self.size
                    ),
                )
            },
        )?;
        let report = ConsistencyReport {
            status: "verified",
            old_size: self.old_size,
            old_root: hex::encode(old_root),
            size: self.size,
            root: hex::encode(root),
        };
        if out.json {
            out.json(&report);
        } else {
            out.line(format!(
                "verified: tree {} (size {}) is a prefix of tree {} (size {})",
                report.old_root, report.old_size, report.root, report.size
            ));
        }
        Ok(())
    }
}
