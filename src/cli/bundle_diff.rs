//! `airlock bundle diff --base OLD --target NEW --key K --out FILE`: a signed snapshot delta
//! (`spec/bundle-format.md` §12), and the delta part of `bundle inspect`.
//!
//! `--json` (version 1): `{"status":"created","path","bundle_digest","base","target",
//! "target_sequence","added":{"count","bytes"},"changed":{"count","bytes","payload_bytes"},
//! "removed":{"count","bytes"},"unchanged","delta_bytes","target_entry_bytes","signers":[keyid]}`.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use airlock::bundle::diff::{self, DeltaIndex, DiffOptions};
use airlock::bundle_format::manifest::bundle_digest;
use airlock::bundle_format::{BundleReader, Limits};
use clap::Args;
use serde_json::json;

use super::common::{check_time, load_private_key, refuse_overwriting_input};
use super::{CmdResult, Failure};
use crate::output::OutputMode;

/// Make a signed delta bundle from snapshot OLD to snapshot NEW.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The base snapshot bundle (what the site already holds).
    #[arg(long)]
    base: PathBuf,
    /// The target snapshot bundle (signed; carried inside the delta).
    #[arg(long)]
    target: PathBuf,
    /// The bundle-signer private key (PKCS#8 PEM).
    #[arg(long)]
    key: PathBuf,
    /// Validity from --created, e.g. 90d, 1y.
    #[arg(long, default_value = "90d")]
    expires: String,
    /// Creation time (RFC 3339; default now). Fix it to get byte-identical deltas.
    #[arg(long)]
    created: Option<String>,
    /// Worker threads for payloads and compression (does not change the output).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Where to write the delta bundle.
    #[arg(long)]
    out: PathBuf,
}

/// The change summary of an index, as JSON.
pub fn index_json(index: &DeltaIndex) -> serde_json::Value {
    let (changed_bytes, payload_bytes) = index.changed_bytes();
    json!({
        "base": index.base.bundle.to_string(),
        "base_sequence": index.base.sequence,
        "target": index.target.bundle.to_string(),
        "target_sequence": index.target.sequence,
        "target_merkle_root": index.target.merkle_root.to_string(),
        "target_entries": index.target.entries,
        "target_entry_bytes": index.target.entry_bytes,
        "added": {"count": index.added.len(), "bytes": index.added_bytes()},
        "changed": {"count": index.changed.len(), "bytes": changed_bytes, "payload_bytes": payload_bytes},
        "removed": {"count": index.removed.len(), "bytes": index.removed_bytes()},
        "unchanged": index.unchanged,
    })
}

/// Text lines describing an index.
pub fn index_lines(index: &DeltaIndex) -> Vec<String> {
    let (changed_bytes, payload_bytes) = index.changed_bytes();
    vec![
        format!(
            "  base           {}  (sequence {})",
            index.base.bundle, index.base.sequence
        ),
        format!(
            "  target         {}  (sequence {}, {} entries, {} bytes)",
            index.target.bundle,
            index.target.sequence,
            index.target.entries,
            index.target.entry_bytes
        ),
        format!("  target root    {}", index.target.merkle_root),
        format!(
            "  added          {:>7} entries {:>14} bytes",
            index.added.len(),
            index.added_bytes()
        ),
        format!(
            "  changed        {:>7} entries {:>14} bytes (payloads {payload_bytes} bytes)",
            index.changed.len(),
            changed_bytes
        ),
        format!(
            "  removed        {:>7} entries {:>14} bytes",
            index.removed.len(),
            index.removed_bytes()
        ),
        format!("  unchanged      {:>7} entries", index.unchanged),
    ]
}

/// For `bundle inspect` of a delta: reads the index (member digests checked, nothing trusted).
pub fn inspect_index(file: &Path) -> Result<DeltaIndex, Failure> {
    let input = std::fs::File::open(file).map_err(|e| Failure::io(file.display(), &e))?;
    let mut reader = BundleReader::open(std::io::BufReader::new(input), Limits::default())
        .map_err(|e| Failure::could_not_run(e.code(), format!("{}: {e}", file.display())))?;
    reader
        .load_manifest()
        .map_err(|e| Failure::could_not_run(e.code(), format!("{}: {e}", file.display())))?;
    diff::peek_index(&mut reader, file).map_err(|e| Failure::from_coded(file.display(), &e))
}

impl DiffArgs {
    /// Runs `bundle diff`.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        let key = load_private_key(&self.key)?;
        let created = match &self.created {
            Some(text) => airlock::time::parse_instant(text).map_err(Failure::usage)?,
            None => check_time(None)?,
        };
        let span = airlock::time::parse_duration(&self.expires).map_err(Failure::usage)?;
        let expires = airlock::time::add(created, span).map_err(Failure::usage)?;
        refuse_overwriting_input(&self.out, &[self.base.as_path(), self.target.as_path()])?;
        let options = DiffOptions {
            created,
            expires,
            limits: Limits::default(),
            threads: self.threads.max(1),
        };
        let dir = match self.out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp =
            tempfile::NamedTempFile::new_in(&dir).map_err(|e| Failure::io(dir.display(), &e))?;
        let writer = BufWriter::with_capacity(
            1 << 20,
            tmp.as_file()
                .try_clone()
                .map_err(|e| Failure::io(dir.display(), &e))?,
        );
        let made = diff::diff(&self.base, &self.target, &options, &key, writer)
            .map_err(|e| Failure::from_coded("bundle diff", &e))?;
        let file = made
            .out
            .into_inner()
            .map_err(|e| Failure::io(self.out.display(), e.error()))?;
        file.sync_all()
            .map_err(|e| Failure::io(self.out.display(), &e))?;
        drop(file);
        let size = tmp
            .as_file()
            .metadata()
            .map_err(|e| Failure::io(self.out.display(), &e))?
            .len();
        tmp.persist(&self.out)
            .map_err(|e| Failure::io(self.out.display(), &e.error))?;
        let digest = bundle_digest(&made.envelope.payload).to_string();
        if out.json {
            let mut v = index_json(&made.index);
            let obj = v.as_object_mut().expect("an object");
            obj.insert("status".into(), json!("created"));
            obj.insert("path".into(), json!(self.out.display().to_string()));
            obj.insert("bundle_digest".into(), json!(digest));
            obj.insert("delta_bytes".into(), json!(size));
            obj.insert("signers".into(), json!([key.key_id().to_string()]));
            out.json(&v);
        } else {
            out.line(format!("created delta: {}", self.out.display()));
            out.line(format!("  bundle digest  {digest}"));
            for line in index_lines(&made.index) {
                out.line(line);
            }
            out.line(format!("  delta size     {size} bytes"));
        }
        Ok(())
    }
}
