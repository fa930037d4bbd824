//! `airlock tlog …`: transparency-log proofs, signed notes, checkpoints and the local log.
//! Flags are parsed here and turned into calls to [`airlock::tlog`]; nothing here decides
//! whether a proof holds.

use std::path::{Path, PathBuf};

use airlock::tlog::checkpoint::{self, WitnessPolicy};
use airlock::tlog::fragment;
use airlock::tlog::log::{LeafInput, LocalLog};
use airlock::tlog::merkle::{self, Hash};
use airlock::tlog::note::{self, VerifiedSignature, Verifier};
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
    /// Verify a C2SP signed note against verifier keys.
    VerifyNote(VerifyNoteArgs),
    /// Verify a C2SP checkpoint: log signature, origin, witness cosignatures.
    VerifyCheckpoint(VerifyCheckpointArgs),
    /// Create a local tile log signed with an Ed25519 key.
    Init(InitArgs),
    /// Append entries (files or leaf hashes) to a local log; prints their indexes.
    Append(AppendArgs),
    /// Sign a checkpoint for the local log's current size.
    Checkpoint(CheckpointArgs),
    /// Print an inclusion or consistency proof from a local log's tiles.
    Prove(ProveArgs),
    /// Extract the tiles that prove given leaves (and consistency) against the latest checkpoint.
    Fragment(FragmentArgs),
    /// Verify an extracted tile fragment offline.
    VerifyFragment(VerifyFragmentArgs),
}

impl TlogArgs {
    /// Runs the chosen verb.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            TlogCommand::VerifyInclusion(a) => a.run(out),
            TlogCommand::VerifyConsistency(a) => a.run(out),
            TlogCommand::VerifyNote(a) => a.run(out),
            TlogCommand::VerifyCheckpoint(a) => a.run(out),
            TlogCommand::Init(a) => a.run(out),
            TlogCommand::Append(a) => a.run(out),
            TlogCommand::Checkpoint(a) => a.run(out),
            TlogCommand::Prove(a) => a.run(out),
            TlogCommand::Fragment(a) => a.run(out),
            TlogCommand::VerifyFragment(a) => a.run(out),
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

fn parse_vkeys(flag: &str, keys: &[String]) -> Result<Vec<Verifier>, Failure> {
    keys.iter()
        .map(|k| Verifier::from_vkey(k).map_err(|e| Failure::from_coded(flag, &e)))
        .collect()
}

#[derive(Serialize)]
struct SignatureReport {
    name: String,
    key_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<u64>,
}

impl From<&VerifiedSignature> for SignatureReport {
    fn from(s: &VerifiedSignature) -> Self {
        Self {
            name: s.name.clone(),
            key_hash: hex::encode(s.key_hash),
            timestamp: s.timestamp,
        }
    }
}

/// `airlock tlog verify-note`.
#[derive(Debug, Args)]
pub struct VerifyNoteArgs {
    /// The signed note.
    file: PathBuf,
    /// C2SP verifier keys (`name+hash+base64`); repeat or list several.
    #[arg(long = "key", value_name = "VKEY", required = true, num_args = 1..)]
    keys: Vec<String>,
}

#[derive(Serialize)]
struct NoteReport {
    status: &'static str,
    file: String,
    text: String,
    verified: Vec<SignatureReport>,
    unverified: Vec<String>,
}

impl VerifyNoteArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let keys = parse_vkeys("--key", &self.keys)?;
        let bytes = read_file(&self.file)?;
        let opened =
            note::open(&bytes, &keys).map_err(|e| Failure::from_coded(self.file.display(), &e))?;
        let report = NoteReport {
            status: "verified",
            file: self.file.display().to_string(),
            text: opened.text.clone(),
            verified: opened.verified.iter().map(SignatureReport::from).collect(),
            unverified: opened.unverified.iter().map(|s| s.name.clone()).collect(),
        };
        if out.json {
            out.json(&report);
        } else {
            let names: Vec<&str> = report.verified.iter().map(|s| s.name.as_str()).collect();
            out.line(format!(
                "verified: {} signed by {}",
                report.file,
                names.join(", ")
            ));
            if !report.unverified.is_empty() {
                out.info(format!(
                    "ignored signatures from unknown keys: {}",
                    report.unverified.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// `airlock tlog verify-checkpoint`.
#[derive(Debug, Args)]
pub struct VerifyCheckpointArgs {
    /// The signed checkpoint note.
    file: PathBuf,
    /// The log's C2SP verifier key; the checkpoint origin must equal its name.
    #[arg(
        long = "key",
        value_name = "VKEY",
        conflicts_with = "log_key",
        required_unless_present = "log_key"
    )]
    key: Option<String>,
    /// The log's ECDSA P-256 public key (PEM), as Rekor uses; needs --origin.
    #[arg(long, value_name = "PEM", requires = "origin")]
    log_key: Option<PathBuf>,
    /// The expected checkpoint origin (defaults to the --key name).
    #[arg(long, value_name = "NAME")]
    origin: Option<String>,
    /// Witness verifier keys (tlog-cosignature/v1); repeat or list several.
    #[arg(long = "witness", value_name = "VKEY", num_args = 1..)]
    witnesses: Vec<String>,
    /// How many witnesses must have cosigned (default: all given).
    #[arg(long, value_name = "K")]
    witness_threshold: Option<usize>,
}

#[derive(Serialize)]
struct CheckpointReport {
    status: &'static str,
    origin: String,
    size: u64,
    root: String,
    extensions: Vec<String>,
    log_signature: SignatureReport,
    witnesses: Vec<SignatureReport>,
}

impl VerifyCheckpointArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = match (&self.key, &self.log_key, &self.origin) {
            (Some(k), _, _) => {
                Verifier::from_vkey(k).map_err(|e| Failure::from_coded("--key", &e))?
            }
            (None, Some(pem), Some(origin)) => {
                let text =
                    std::fs::read_to_string(pem).map_err(|e| Failure::io(pem.display(), &e))?;
                Verifier::ecdsa_p256_from_pem(checkpoint::rekor_key_name(origin), &text)
                    .map_err(|e| Failure::from_coded(pem.display(), &e))?
            }
            _ => {
                return Err(Failure::usage(
                    "give --key VKEY, or --log-key PEM with --origin NAME",
                ));
            }
        };
        let expected_origin = self
            .origin
            .clone()
            .unwrap_or_else(|| checkpoint::origin_of_key(&log).to_owned());
        let witnesses = parse_vkeys("--witness", &self.witnesses)?;
        let threshold = self.witness_threshold.unwrap_or(witnesses.len());
        if threshold > witnesses.len() {
            return Err(Failure::usage(format!(
                "--witness-threshold {threshold} exceeds the {} witnesses given",
                witnesses.len()
            )));
        }
        let policy = WitnessPolicy {
            witnesses,
            threshold,
        };
        let bytes = read_file(&self.file)?;
        let v = checkpoint::verify(&bytes, &log, &expected_origin, &policy)
            .map_err(|e| Failure::from_coded(self.file.display(), &e))?;
        let report = CheckpointReport {
            status: "verified",
            origin: v.checkpoint.origin.clone(),
            size: v.checkpoint.size,
            root: hex::encode(v.checkpoint.root),
            extensions: v.checkpoint.extensions.clone(),
            log_signature: SignatureReport::from(&v.log_signature),
            witnesses: v.witnesses.iter().map(SignatureReport::from).collect(),
        };
        if out.json {
            out.json(&report);
        } else {
            out.line(format!(
                "verified: checkpoint of {} at size {} root {} (log key {}, {} of {} witnesses)",
                report.origin,
                report.size,
                report.root,
                report.log_signature.name,
                report.witnesses.len(),
                policy.witnesses.len()
            ));
        }
        Ok(())
    }
}

fn open_log(dir: &Path) -> Result<LocalLog, Failure> {
    LocalLog::open(dir).map_err(|e| Failure::from_coded(dir.display(), &e))
}

/// `airlock tlog init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory for the log (created).
    #[arg(long, value_name = "D")]
    dir: PathBuf,
    /// The log's origin; also the name of its signing key.
    #[arg(long, value_name = "NAME")]
    origin: String,
    /// Ed25519 private key (PKCS#8 PEM, as `airlock key generate` writes it).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
}

#[derive(Serialize)]
struct InitReport {
    status: &'static str,
    dir: String,
    origin: String,
    vkey: String,
}

impl InitArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = LocalLog::init(&self.dir, &self.origin, &self.key)
            .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
        let r = InitReport {
            status: "created",
            dir: self.dir.display().to_string(),
            origin: log.origin().to_owned(),
            vkey: log.vkey().to_owned(),
        };
        if out.json {
            out.json(&r);
        } else {
            out.info(format!(
                "created log {} in {}; verifier key:",
                r.origin, r.dir
            ));
            out.line(&r.vkey);
        }
        Ok(())
    }
}

/// `airlock tlog append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The log directory.
    #[arg(long, value_name = "D")]
    dir: PathBuf,
    /// Files to append; each file's bytes are one entry.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Leaf hashes (hex) to append, after the files.
    #[arg(long, value_name = "HEX")]
    leaf_hash: Vec<String>,
    /// A file of leaf hashes, one hex hash per line, appended after the rest (bulk loads).
    #[arg(long, value_name = "FILE")]
    hashes_from: Option<PathBuf>,
}

#[derive(Serialize)]
struct AppendedEntry {
    index: u64,
    leaf_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

#[derive(Serialize)]
struct AppendReport {
    status: &'static str,
    first_index: u64,
    count: u64,
    size: u64,
    entries: Vec<AppendedEntry>,
}

impl AppendArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let mut log = open_log(&self.dir)?;
        let mut leaves = Vec::new();
        let mut labels: Vec<Option<String>> = Vec::new();
        for f in &self.files {
            leaves.push(LeafInput::Data(read_file(f)?));
            labels.push(Some(f.display().to_string()));
        }
        for h in &self.leaf_hash {
            leaves.push(LeafInput::Hash(parse_hash("--leaf-hash", h)?));
            labels.push(None);
        }
        if let Some(path) = &self.hashes_from {
            let text =
                std::fs::read_to_string(path).map_err(|e| Failure::io(path.display(), &e))?;
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                leaves.push(LeafInput::Hash(parse_hash(
                    &format!("{}:{}", path.display(), i + 1),
                    line,
                )?));
                labels.push(None);
            }
        }
        if leaves.is_empty() {
            return Err(Failure::usage(
                "nothing to append: give FILE…, --leaf-hash or --hashes-from",
            ));
        }
        let first = log
            .append(&leaves)
            .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
        let entries: Vec<AppendedEntry> = leaves
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (l, file))| AppendedEntry {
                index: first + i as u64,
                leaf_hash: hex::encode(match l {
                    LeafInput::Data(d) => merkle::leaf_hash(d),
                    LeafInput::Hash(h) => *h,
                }),
                file,
            })
            .collect();
        let r = AppendReport {
            status: "appended",
            first_index: first,
            count: entries.len() as u64,
            size: log.size(),
            entries,
        };
        if out.json {
            out.json(&r);
        } else {
            for e in &r.entries {
                match &e.file {
                    Some(f) => out.line(format!("{}\t{f}", e.index)),
                    None => out.line(format!("{}\t{}", e.index, e.leaf_hash)),
                }
            }
            out.info(format!("appended {} entries; log size {}", r.count, r.size));
        }
        Ok(())
    }
}

/// `airlock tlog checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The log directory.
    #[arg(long, value_name = "D")]
    dir: PathBuf,
}

#[derive(Serialize)]
struct CheckpointWritten {
    status: &'static str,
    origin: String,
    size: u64,
    root: String,
    note: String,
}

impl CheckpointArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = open_log(&self.dir)?;
        let signed = log
            .sign_checkpoint()
            .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
        if out.json {
            let root = log
                .root_at(log.size())
                .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
            out.json(&CheckpointWritten {
                status: "signed",
                origin: log.origin().to_owned(),
                size: log.size(),
                root: hex::encode(root),
                note: String::from_utf8_lossy(&signed).into_owned(),
            });
        } else {
            out.raw(&signed);
        }
        Ok(())
    }
}

/// `airlock tlog prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The log directory.
    #[arg(long, value_name = "D")]
    dir: PathBuf,
    /// Prove inclusion of the leaf at this index.
    #[arg(
        long,
        value_name = "I",
        conflicts_with = "old_size",
        required_unless_present = "old_size"
    )]
    index: Option<u64>,
    /// Prove consistency from this older tree size.
    #[arg(long, value_name = "M")]
    old_size: Option<u64>,
    /// Tree size to prove against (default: the latest checkpoint's, else the log's size).
    #[arg(long, value_name = "N")]
    size: Option<u64>,
}

#[derive(Serialize)]
struct ProofReport {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leaf_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_root: Option<String>,
    size: u64,
    root: String,
    proof: Vec<String>,
}

impl ProveArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = open_log(&self.dir)?;
        let ctx = self.dir.display();
        let size = match self.size {
            Some(s) => s,
            None => log
                .default_size()
                .map_err(|e| Failure::from_coded(&ctx, &e))?,
        };
        let hexes = |p: &[Hash]| p.iter().map(hex::encode).collect::<Vec<_>>();
        let r = if let Some(index) = self.index {
            let (leaf, proof, root) = log
                .prove_inclusion(index, size)
                .map_err(|e| Failure::from_coded(&ctx, &e))?;
            ProofReport {
                kind: "inclusion",
                index: Some(index),
                leaf_hash: Some(hex::encode(leaf)),
                old_size: None,
                old_root: None,
                size,
                root: hex::encode(root),
                proof: hexes(&proof),
            }
        } else {
            let old = self.old_size.expect("clap requires --index or --old-size");
            let (proof, old_root, root) = log
                .prove_consistency(old, size)
                .map_err(|e| Failure::from_coded(&ctx, &e))?;
            ProofReport {
                kind: "consistency",
                index: None,
                leaf_hash: None,
                old_size: Some(old),
                old_root: Some(hex::encode(old_root)),
                size,
                root: hex::encode(root),
                proof: hexes(&proof),
            }
        };
        if out.json {
            out.json(&r);
        } else {
            out.line(r.proof.join(","));
            out.info(format!(
                "{} proof against size {} root {}",
                r.kind, r.size, r.root
            ));
        }
        Ok(())
    }
}

/// `airlock tlog fragment`.
#[derive(Debug, Args)]
pub struct FragmentArgs {
    /// The log directory.
    #[arg(long, value_name = "D")]
    dir: PathBuf,
    /// Leaf indexes to prove; repeat or list several.
    #[arg(long = "index", value_name = "I", required = true, num_args = 1..)]
    indexes: Vec<u64>,
    /// Also prove consistency with the tree of this older size.
    #[arg(long, value_name = "M")]
    old_size: Option<u64>,
    /// Output directory for the fragment.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Serialize)]
struct FragmentReport {
    status: &'static str,
    out: String,
    size: u64,
    old_size: Option<u64>,
    tiles: usize,
    bytes: u64,
}

impl FragmentArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = open_log(&self.dir)?;
        let s = fragment::extract(&log, &self.indexes, self.old_size, &self.out)
            .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
        let r = FragmentReport {
            status: "extracted",
            out: self.out.display().to_string(),
            size: s.size,
            old_size: s.old_size,
            tiles: s.tiles.len(),
            bytes: s.bytes,
        };
        if out.json {
            out.json(&r);
        } else {
            out.line(format!(
                "extracted {} tiles ({} bytes) proving {} leaves against size {} into {}",
                r.tiles,
                r.bytes,
                self.indexes.len(),
                r.size,
                r.out
            ));
        }
        Ok(())
    }
}

/// `airlock tlog verify-fragment`.
#[derive(Debug, Args)]
pub struct VerifyFragmentArgs {
    /// The fragment directory (with `checkpoint` and `tile/`).
    dir: PathBuf,
    /// The log's C2SP verifier key.
    #[arg(long = "key", value_name = "VKEY")]
    key: String,
    /// Leaf indexes to verify.
    #[arg(long = "index", value_name = "I", required = true, num_args = 1..)]
    indexes: Vec<u64>,
    /// An older signed checkpoint the fragment's checkpoint must be consistent with.
    #[arg(long, value_name = "FILE")]
    old_checkpoint: Option<PathBuf>,
}

#[derive(Serialize)]
struct VerifiedLeaf {
    index: u64,
    leaf_hash: String,
}

#[derive(Serialize)]
struct VerifyFragmentReport {
    status: &'static str,
    origin: String,
    size: u64,
    root: String,
    old_size: Option<u64>,
    leaves: Vec<VerifiedLeaf>,
}

impl VerifyFragmentArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let log = Verifier::from_vkey(&self.key).map_err(|e| Failure::from_coded("--key", &e))?;
        let origin = checkpoint::origin_of_key(&log).to_owned();
        let none = WitnessPolicy::default();
        let cp_path = self.dir.join("checkpoint");
        let cp = checkpoint::verify(&read_file(&cp_path)?, &log, &origin, &none)
            .map_err(|e| Failure::from_coded(cp_path.display(), &e))?
            .checkpoint;
        let old = match &self.old_checkpoint {
            Some(p) => {
                let c = checkpoint::verify(&read_file(p)?, &log, &origin, &none)
                    .map_err(|e| Failure::from_coded(p.display(), &e))?
                    .checkpoint;
                Some((c.size, c.root))
            }
            None => None,
        };
        let leaves = fragment::verify_fragment_dir(&self.dir, &cp, &self.indexes, old)
            .map_err(|e| Failure::from_coded(self.dir.display(), &e))?;
        let r = VerifyFragmentReport {
            status: "verified",
            origin: cp.origin.clone(),
            size: cp.size,
            root: hex::encode(cp.root),
            old_size: old.map(|(m, _)| m),
            leaves: self
                .indexes
                .iter()
                .zip(leaves)
                .map(|(&index, h)| VerifiedLeaf {
                    index,
                    leaf_hash: hex::encode(h),
                })
                .collect(),
        };
        if out.json {
            out.json(&r);
        } else {
            for l in &r.leaves {
                out.line(format!("{}\t{}", l.index, l.leaf_hash));
            }
            out.info(format!(
                "verified: {} leaves included in {} at size {}{}",
                r.leaves.len(),
                r.origin,
                r.size,
                r.old_size
                    .map(|m| format!(", consistent with size {m}"))
                    .unwrap_or_default()
            ));
        }
        Ok(())
    }
}
