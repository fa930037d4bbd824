//! `airlock import DELTA`: the hook `import` calls when a bundle's manifest says `kind: delta`
//! (`spec/bundle-format.md` §12.5). The delta's own signature was checked by `import`; here its
//! members are read and checked ([`airlock::bundle::diff::load`]), and the store reconstructs
//! and imports the target snapshot in one transaction ([`Store::import_delta`]).

use std::io::Read;
use std::path::Path;

use airlock::bundle::diff;
use airlock::bundle::verify::check_window;
use airlock::store::{
    BundleHeader, BundleKind, ImportEvent, ImportOptions, ImportReport, LogTrust, SnapshotDelta,
    Store,
};
use airlock::trust::TrustRoot;
use bundle_format::{BundleReader, Limits};

use super::Failure;
use crate::output::OutputMode;

/// What `import` hands over for a delta.
pub struct DeltaContext<'a> {
    /// The delta file.
    pub file: &'a Path,
    /// The store directory.
    pub dir: &'a Path,
    /// The trust root.
    pub trust_root: &'a TrustRoot,
    /// The time of the check.
    pub now: jiff::Timestamp,
    /// `--allow-downgrade`.
    pub allow_downgrade: bool,
}

/// Imports the delta whose authenticated reader (manifest loaded) is `reader`.
pub fn import_delta<R: Read>(
    ctx: &DeltaContext<'_>,
    reader: &mut BundleReader<R>,
    store: &mut Option<Store>,
    out: &OutputMode,
) -> Result<ImportReport, Failure> {
    let file = ctx.file;
    let outer = reader
        .manifest()
        .cloned()
        .expect("import loaded the manifest");
    check_window(&outer, ctx.now).map_err(|e| Failure::from_coded(file.display(), &e))?;
    let loaded = diff::load(reader, file, ctx.trust_root, &Limits::default())
        .map_err(|e| Failure::from_coded(file.display(), &e))?;
    let t = &loaded.target;
    let time = |field: &str, text: &str| {
        airlock::time::parse_instant(text).map_err(|e| {
            Failure::rejected(
                "manifest-invalid",
                format!("{}: target manifest {field}: {e}", file.display()),
            )
        })
    };
    let target = BundleHeader {
        id: *loaded.index.target.bundle.as_bytes(),
        publisher: t.publisher.clone(),
        channel: t.channel.clone(),
        sequence: t.sequence,
        kind: BundleKind::Snapshot,
        created: time("created", &t.created)?,
        expires: Some(time("expires", &t.expires)?),
        base: None,
        entry_count: t.entries.len() as u64,
        envelope: loaded.target_envelope.clone(),
    };
    let delta = SnapshotDelta {
        delta: loaded.delta_digest,
        base: *loaded.index.base.bundle.as_bytes(),
        base_sequence: loaded.index.base.sequence,
        removed: loaded
            .index
            .removed
            .iter()
            .map(|r| r.path.to_string())
            .collect(),
        target,
        target_manifest: loaded.target.clone(),
        pieces: loaded.pieces,
    };
    if store.is_none() {
        *store = Some(
            Store::open_write(ctx.dir).map_err(|e| Failure::from_coded(ctx.dir.display(), &e))?,
        );
    }
    let store = store.as_ref().expect("just opened");
    let mut progress = |ev: ImportEvent| {
        if let ImportEvent::Waiting = ev {
            out.info(format!(
                "airlock: another import is writing to {}; waiting for it to finish",
                ctx.dir.display()
            ));
        }
    };
    let logs = LogTrust::from_trust_root(ctx.trust_root)
        .map_err(|m| Failure::could_not_run("trust-root-malformed", m))?;
    let mut report = store
        .import_delta(
            &delta,
            ImportOptions {
                now: ctx.now,
                allow_downgrade: ctx.allow_downgrade,
            },
            &logs,
            &mut progress,
        )
        .map_err(|e| Failure::from_coded(file.display(), &e))?;
    report.outcome = "delta-applied";
    report.base = Some(loaded.index.base.bundle.to_string());
    if !out.json {
        out.line(format!(
            "{}: delta {} applied onto base {} ({} added, {} changed, {} removed, {} unchanged)",
            file.display(),
            loaded.delta_digest,
            loaded.index.base.bundle,
            loaded.index.added.len(),
            loaded.index.changed.len(),
            loaded.index.removed.len(),
            loaded.index.unchanged
        ));
    }
    Ok(report)
}
