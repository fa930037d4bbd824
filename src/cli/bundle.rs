//! `airlock bundle create|verify|inspect|extract`.
//!
//! `--json` wire format (version 1), one object on stdout per command:
//! - create: `{"status":"created","path","bundle_digest","publisher","channel","sequence",
//!   "created","expires","entries","entry_bytes","compressed_bytes","signers":[keyid]}`; with
//!   `--max-part-size`, `path` is the part index and `"parts":["NAME SIZE bytes sha256:…"]`
//!   lists the parts
//! - verify: `{"status":"verified","path","bundle_digest",…,"signers":[keyid],"findings":[]}`;
//!   a rejection is `{"status":"rejected","code","error"}` (exit 1), a failure to run
//!   `{"status":"error","code","error"}` (exit 2)
//! - inspect: the manifest summary, `"verified": false` (nothing is checked but structure)
//! - extract: `{"status":"extracted","to","entries","bytes","bundle_digest"}`

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use airlock::Coded;
use airlock::bundle::create::{self, CreateOptions};
use airlock::bundle::output::DirectWriter;
use airlock::bundle::parts::{self, BundleInput, PartIndex, PartWriter};
use airlock::bundle::{extract, open_authenticated, peek};
use airlock::bundle_format::manifest::bundle_digest;
use airlock::bundle_format::{Limits, Manifest};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::common::{check_time, load_private_key, load_trust_root, refuse_overwriting_input};
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Create, verify, inspect and extract evidence bundles.
#[derive(Debug, Args)]
pub struct BundleArgs {
    #[command(subcommand)]
    command: BundleCommand,
}

#[derive(Debug, Subcommand)]
enum BundleCommand {
    /// Pack an evidence directory into a signed bundle (layout: advisories/, changelogs/,
    /// patches/, packages/, fingerprints/, attestations/, tlog/, trust-roots/, blobs/).
    Create {
        /// The evidence directory.
        #[arg(long)]
        evidence: PathBuf,
        /// The bundle-signer private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Publisher name ([A-Za-z0-9][A-Za-z0-9._-]*).
        #[arg(long)]
        publisher: String,
        /// Channel name (same syntax).
        #[arg(long)]
        channel: String,
        /// Sequence number; must increase per publisher and channel.
        #[arg(long)]
        sequence: u64,
        /// Validity from --created, e.g. 90d, 1y.
        #[arg(long, default_value = "90d")]
        expires: String,
        /// Creation time (RFC 3339; default now). Fix it to get byte-identical bundles.
        #[arg(long)]
        created: Option<String>,
        /// Worker threads for hashing and compression (does not change the output).
        #[arg(long, default_value_t = 2)]
        threads: u32,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
        /// Split the bundle into parts of at most SIZE bytes (e.g. 700MiB, 4095MiB for FAT32,
        /// 4GB, or bytes): writes OUT.part0001, OUT.part0002, … and the signed part index
        /// OUT.parts.json instead of OUT.
        #[arg(long, value_name = "SIZE")]
        max_part_size: Option<String>,
    },
    /// Verify a bundle: signatures by the bundle-signer threshold, validity window, every
    /// entry's size and digests, order, nothing missing or extra, the Merkle root.
    Verify {
        /// The bundle (or a split bundle's NAME.parts.json or NAME.part0001).
        file: PathBuf,
        /// Trust root (or $AIRLOCK_TRUST_ROOT).
        #[arg(long)]
        trust_root: Option<PathBuf>,
        /// Time of the check (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Show a bundle's manifest (reads only the first zstd frame; verifies nothing).
    Inspect {
        /// The bundle.
        file: PathBuf,
    },
    /// Make a signed delta bundle from snapshot --base to snapshot --target.
    Diff(super::bundle_diff::DiffArgs),
    /// Verify a bundle and write its entries into a new directory.
    Extract {
        /// The bundle (or a split bundle's NAME.parts.json or NAME.part0001).
        file: PathBuf,
        /// Trust root (or $AIRLOCK_TRUST_ROOT).
        #[arg(long)]
        trust_root: Option<PathBuf>,
        /// Time of the check (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// The directory to create.
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Serialize)]
struct KindTotal {
    count: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct Summary<'a> {
    status: &'a str,
    path: String,
    format: &'a str,
    kind: &'a str,
    bundle_digest: String,
    publisher: &'a str,
    channel: &'a str,
    sequence: u64,
    created: &'a str,
    expires: &'a str,
    merkle_root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<String>,
    entries: usize,
    entry_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    compressed_bytes: Option<u64>,
    kinds: BTreeMap<&'static str, KindTotal>,
    signers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<Vec<String>>,
    delta: Option<serde_json::Value>,
}

fn summary<'a>(
    status: &'a str,
    path: &Path,
    manifest: &'a Manifest,
    payload: &[u8],
    signers: Vec<String>,
) -> Summary<'a> {
    Summary {
        status,
        path: path.display().to_string(),
        format: &manifest.format,
        kind: match manifest.kind {
            airlock::bundle_format::BundleKind::Delta => "delta",
            _ => "snapshot",
        },
        bundle_digest: bundle_digest(payload).to_string(),
        publisher: &manifest.publisher,
        channel: &manifest.channel,
        sequence: manifest.sequence,
        created: &manifest.created,
        expires: &manifest.expires,
        merkle_root: manifest.merkle_root.to_string(),
        base: manifest.base.map(|b| b.to_string()),
        entries: manifest.entries.len(),
        entry_bytes: manifest.total_bytes(),
        compressed_bytes: None,
        kinds: manifest
            .totals_by_kind()
            .into_iter()
            .map(|(k, (count, bytes))| (k.name(), KindTotal { count, bytes }))
            .collect(),
        signers,
        verified: None,
        findings: None,
        parts: None,
        delta: None,
    }
}

fn print_summary(out: &OutputMode, s: &Summary<'_>) {
    if out.json {
        out.json(s);
        return;
    }
    out.line(format!("{}: {}", s.status, s.path));
    out.line(format!("  bundle digest  {}", s.bundle_digest));
    out.line(format!(
        "  publisher      {}  channel {}  sequence {}",
        s.publisher, s.channel, s.sequence
    ));
    out.line(format!("  kind           {}  ({})", s.kind, s.format));
    out.line(format!(
        "  created        {}  expires {}",
        s.created, s.expires
    ));
    out.line(format!(
        "  entries        {}  ({} bytes)",
        s.entries, s.entry_bytes
    ));
    if let Some(c) = s.compressed_bytes {
        out.line(format!("  compressed     {c} bytes"));
    }
    for (kind, t) in &s.kinds {
        out.line(format!(
            "    {kind:<15} {:>7} entries {:>14} bytes",
            t.count, t.bytes
        ));
    }
    for signer in &s.signers {
        out.line(format!("  signer         {signer}"));
    }
    for part in s.parts.iter().flatten() {
        out.line(format!("  part           {part}"));
    }
}

/// The failure for `err` while reading `input`, or the part failure that explains it (a damaged
/// part of a split bundle surfaces first as a bundle error).
fn explained<E: Coded>(file: &Path, input: &mut BundleInput, err: &E) -> Failure {
    match input.explain() {
        Some(p) => Failure::from_coded(file.display(), p),
        None => Failure::from_coded(file.display(), err),
    }
}

fn open_input(file: &Path, trust: &airlock::trust::TrustRoot) -> Result<BundleInput, Failure> {
    BundleInput::open(file, trust).map_err(|e| Failure::from_coded(file.display(), &e))
}

/// Moves the finished parts and index from `staging` into `dir`, removing stale higher-numbered
/// parts of an earlier split under the same name. The index goes last.
fn publish_parts(
    staging: &Path,
    dir: &Path,
    base: &str,
    count: usize,
    index_json: &[u8],
) -> Result<(), Failure> {
    for n in 1..=count {
        let name = parts::part_name(base, n);
        std::fs::rename(staging.join(&name), dir.join(&name))
            .map_err(|e| Failure::io(dir.join(&name).display(), &e))?;
    }
    let mut n = count + 1;
    while dir.join(parts::part_name(base, n)).exists() {
        let stale = dir.join(parts::part_name(base, n));
        std::fs::remove_file(&stale).map_err(|e| Failure::io(stale.display(), &e))?;
        n += 1;
    }
    let index = dir.join(format!("{base}{}", parts::INDEX_SUFFIX));
    let staged = staging.join("index");
    std::fs::write(&staged, index_json).map_err(|e| Failure::io(staged.display(), &e))?;
    std::fs::rename(&staged, &index).map_err(|e| Failure::io(index.display(), &e))
}

fn open(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|e| Failure::io(path.display(), &e))
}

impl BundleArgs {
    /// Runs the chosen subcommand.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            BundleCommand::Create {
                evidence,
                key,
                publisher,
                channel,
                sequence,
                expires,
                created,
                threads,
                out: target,
                max_part_size,
            } => {
                let max_part_size = max_part_size
                    .as_deref()
                    .map(parts::parse_size)
                    .transpose()
                    .map_err(Failure::usage)?;
                let key = load_private_key(key)?;
                let created = match created {
                    Some(text) => airlock::time::parse_instant(text).map_err(Failure::usage)?,
                    None => check_time(None)?,
                };
                let span = airlock::time::parse_duration(expires).map_err(Failure::usage)?;
                let expires = airlock::time::add(created, span).map_err(Failure::usage)?;
                refuse_overwriting_input(target, &[evidence.as_path()])?;
                let limits = Limits::default();
                let files = create::plan(evidence, &limits)
                    .map_err(|e| Failure::from_coded(evidence.display(), &e))?;
                let total: u64 = files.iter().map(|f| f.size).sum();
                let options = CreateOptions {
                    publisher: publisher.clone(),
                    channel: channel.clone(),
                    sequence: *sequence,
                    created,
                    expires,
                    limits,
                    threads: (*threads).max(1),
                };
                let dir = match target.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let bar = out.progress_allowed().then(|| {
                    let bar = indicatif::ProgressBar::new(total * 2);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}",
                        )
                        .expect("static template"),
                    );
                    bar.set_message("hashing, then packing");
                    bar
                });
                let progress = |n: u64| {
                    if let Some(bar) = &bar {
                        bar.inc(n);
                    }
                };
                if let Some(max) = max_part_size {
                    let base = target
                        .file_name()
                        .and_then(|n| n.to_str())
                        .ok_or_else(|| Failure::usage("--out: expected a file name"))?;
                    let staging = tempfile::Builder::new()
                        .prefix(".airlock-parts")
                        .tempdir_in(&dir)
                        .map_err(|e| Failure::io(dir.display(), &e))?;
                    let writer = PartWriter::new(staging.path(), base, max)
                        .map_err(|e| Failure::from_coded(target.display(), &e))?;
                    let (manifest, envelope, writer) =
                        create::create(&files, &options, &key, writer, &progress)
                            .map_err(|e| Failure::from_coded(evidence.display(), &e))?;
                    let (written, whole, total) = writer
                        .finish()
                        .map_err(|e| Failure::io(target.display(), &e))?;
                    let index = PartIndex {
                        format: parts::PARTS_FORMAT.to_owned(),
                        bundle_digest: bundle_digest(&envelope.payload),
                        bundle_sha256: whole,
                        total_size: total,
                        max_part_size: max,
                        parts: written,
                    };
                    let json = parts::sign_index(&index, &key)
                        .map_err(|e| Failure::from_coded(target.display(), &e))?;
                    publish_parts(staging.path(), &dir, base, index.parts.len(), &json)?;
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    let index_path = dir.join(format!("{base}{}", parts::INDEX_SUFFIX));
                    let mut s = summary(
                        "created",
                        &index_path,
                        &manifest,
                        &envelope.payload,
                        vec![key.key_id().to_string()],
                    );
                    s.compressed_bytes = Some(total);
                    s.parts = Some(
                        index
                            .parts
                            .iter()
                            .map(|p| format!("{} {} bytes {}", p.name, p.size, p.sha256))
                            .collect(),
                    );
                    print_summary(out, &s);
                    return Ok(());
                }
                let tmp = tempfile::NamedTempFile::new_in(&dir)
                    .map_err(|e| Failure::io(dir.display(), &e))?;
                let writer = DirectWriter::new(tmp.as_file(), tmp.path())
                    .map_err(|e| Failure::io(dir.display(), &e))?;
                let (manifest, envelope, writer) =
                    create::create(&files, &options, &key, writer, &progress)
                        .map_err(|e| Failure::from_coded(evidence.display(), &e))?;
                let size = writer
                    .finish()
                    .map_err(|e| Failure::io(target.display(), &e))?;
                tmp.as_file()
                    .sync_all()
                    .map_err(|e| Failure::io(target.display(), &e))?;
                tmp.persist(target)
                    .map_err(|e| Failure::io(target.display(), &e.error))?;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                let mut s = summary(
                    "created",
                    target,
                    &manifest,
                    &envelope.payload,
                    vec![key.key_id().to_string()],
                );
                s.compressed_bytes = Some(size);
                print_summary(out, &s);
                Ok(())
            }
            BundleCommand::Verify {
                file,
                trust_root,
                at,
            } => {
                let at = check_time(at.as_deref())?;
                let trust = load_trust_root(trust_root.as_deref(), at)?;
                let mut input = open_input(file, &trust)?;
                let digest_check = input.digest_check();
                let mut bundle = match open_authenticated(&mut input, &trust, at, Limits::default())
                {
                    Ok(b) => b,
                    Err(e) => return Err(explained(file, &mut input, &e)),
                };
                digest_check
                    .check(&bundle.bundle_digest())
                    .map_err(|e| Failure::from_coded(file.display(), &e))?;
                let read = match bundle.verify_remaining() {
                    Ok(r) => r,
                    Err(e) => {
                        drop(bundle);
                        return Err(explained(file, &mut input, &e));
                    }
                };
                let signers = bundle.signers().iter().map(ToString::to_string).collect();
                let mut s = summary(
                    "verified",
                    file,
                    bundle.manifest(),
                    &bundle.envelope().payload,
                    signers,
                );
                s.compressed_bytes = Some(read.compressed_bytes);
                s.findings = Some(Vec::new());
                print_summary(out, &s);
                Ok(())
            }
            BundleCommand::Inspect { file } => {
                let input: Box<dyn std::io::Read> = match parts::PartSet::from_path(file) {
                    Some(set) => Box::new(parts::UncheckedParts::new(set)),
                    None => Box::new(open(file)?),
                };
                let (envelope, manifest) = peek(input, Limits::default()).map_err(|e| {
                    Failure::could_not_run(e.code(), format!("{}: {e}", file.display()))
                })?;
                let signers = envelope
                    .signatures
                    .iter()
                    .map(|s| s.keyid.clone())
                    .collect();
                let mut s = summary(
                    "inspected (not verified)",
                    file,
                    &manifest,
                    &envelope.payload,
                    signers,
                );
                s.verified = Some(false);
                let index = match manifest.kind {
                    airlock::bundle_format::BundleKind::Delta => {
                        Some(super::bundle_diff::inspect_index(file)?)
                    }
                    _ => None,
                };
                s.delta = index.as_ref().map(super::bundle_diff::index_json);
                print_summary(out, &s);
                if let (Some(index), false) = (&index, out.json) {
                    for line in super::bundle_diff::index_lines(index) {
                        out.line(line);
                    }
                }
                Ok(())
            }
            BundleCommand::Diff(args) => args.run(out),
            BundleCommand::Extract {
                file,
                trust_root,
                at,
                to,
            } => {
                let at = check_time(at.as_deref())?;
                let trust = load_trust_root(trust_root.as_deref(), at)?;
                let mut input = open_input(file, &trust)?;
                let digest_check = input.digest_check();
                let mut bundle = match open_authenticated(&mut input, &trust, at, Limits::default())
                {
                    Ok(b) => b,
                    Err(e) => return Err(explained(file, &mut input, &e)),
                };
                digest_check
                    .check(&bundle.bundle_digest())
                    .map_err(|e| Failure::from_coded(file.display(), &e))?;
                let done = match extract::extract(&mut bundle, to) {
                    Ok(d) => d,
                    Err(e) => {
                        drop(bundle);
                        return Err(explained(file, &mut input, &e));
                    }
                };
                let bundle_digest = bundle.bundle_digest();
                #[derive(Serialize)]
                struct Extracted {
                    status: &'static str,
                    to: String,
                    entries: u64,
                    bytes: u64,
                    bundle_digest: String,
                }
                let report = Extracted {
                    status: "extracted",
                    to: to.display().to_string(),
                    entries: done.entries,
                    bytes: done.bytes,
                    bundle_digest: bundle_digest.to_string(),
                };
                if out.json {
                    out.json(&report);
                } else {
                    out.line(format!(
                        "extracted {} entries ({} bytes) to {}",
                        report.entries, report.bytes, report.to
                    ));
                }
                Ok(())
            }
        }
    }
}
