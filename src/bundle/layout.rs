//! The evidence directory layout `bundle create` understands, and how each file is classified.
//!
//! | top-level folder | entry kind |
//! |---|---|
//! | `advisories/` | `advisory` |
//! | `changelogs/` | `changelog` |
//! | `patches/` | `patch` |
//! | `packages/` | `binary-package` for `.deb`, `.udeb`, `.rpm`, `.apk`; `source-package` for `.dsc`, `.debian.tar.*`, `.orig.tar.*`, `.diff.gz`; anything else is an error |
//! | `fingerprints/` | `fingerprint` |
//! | `attestations/` | `attestation` |
//! | `tlog/` | `tlog` |
//! | `trust-roots/` | `trust-root` |
//! | `blobs/` | `blob` (anything, carried opaquely) |
//!
//! Any other place is an error naming the file. Files ending in `.json` outside `blobs/` must be
//! valid JSON, `.jsonl` files one JSON value per non-empty line. The media type comes from the
//! file name (see [`media_type`]).

use bundle_format::EntryKind;

/// Why a file cannot go into a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// Not under one of the known top-level folders.
    #[error(
        "expected it under advisories/, changelogs/, patches/, packages/, fingerprints/, attestations/, tlog/, trust-roots/ or blobs/"
    )]
    UnknownFolder,
    /// Under `packages/` but not a recognised package file.
    #[error(
        "under packages/, expected .deb, .udeb, .rpm, .apk (binary) or .dsc, .debian.tar.*, .orig.tar.*, .diff.gz (source); put other files under blobs/"
    )]
    UnknownPackage,
}

/// The kind of the file at `path` (relative, `/`-separated).
///
/// # Errors
/// [`LayoutError`] when the layout does not say.
pub fn classify(path: &str) -> Result<EntryKind, LayoutError> {
    let (top, rest) = path.split_once('/').ok_or(LayoutError::UnknownFolder)?;
    let kind = match top {
        "advisories" => EntryKind::Advisory,
        "changelogs" => EntryKind::Changelog,
        "patches" => EntryKind::Patch,
        "fingerprints" => EntryKind::Fingerprint,
        "attestations" => EntryKind::Attestation,
        "tlog" => EntryKind::Tlog,
        "trust-roots" => EntryKind::TrustRoot,
        "blobs" => EntryKind::Blob,
        "packages" => {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            return package_kind(name).ok_or(LayoutError::UnknownPackage);
        }
        _ => return Err(LayoutError::UnknownFolder),
    };
    Ok(kind)
}

fn package_kind(name: &str) -> Option<EntryKind> {
    let binary = [".deb", ".udeb", ".rpm", ".apk"];
    if binary.iter().any(|ext| name.ends_with(ext)) {
        return Some(EntryKind::BinaryPackage);
    }
    if name.ends_with(".dsc")
        || name.contains(".debian.tar.")
        || name.contains(".orig.tar.")
        || name.ends_with(".diff.gz")
    {
        return Some(EntryKind::SourcePackage);
    }
    None
}

/// Whether files of this kind and name must parse as JSON (`Some(true)` for JSON Lines).
#[must_use]
pub fn json_check(kind: EntryKind, path: &str) -> Option<bool> {
    if kind == EntryKind::Blob {
        return None;
    }
    if path.ends_with(".json") {
        Some(false)
    } else if path.ends_with(".jsonl") {
        Some(true)
    } else {
        None
    }
}

/// The media type recorded for a file, from its name and kind.
#[must_use]
pub fn media_type(kind: EntryKind, path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let by_suffix: &[(&str, &str)] = &[
        (".json", "application/json"),
        (".jsonl", "application/jsonl"),
        (".yaml", "application/yaml"),
        (".yml", "application/yaml"),
        (".asc", "application/pgp-signature"),
        (".sig", "application/octet-stream"),
        (".patch", "text/x-diff"),
        (".diff", "text/x-diff"),
        (".deb", "application/vnd.debian.binary-package"),
        (".udeb", "application/vnd.debian.binary-package"),
        (".rpm", "application/x-rpm"),
        (".dsc", "text/plain"),
        (".gz", "application/gzip"),
        (".xz", "application/x-xz"),
        (".zst", "application/zstd"),
        (".bz2", "application/x-bzip2"),
        (".txt", "text/plain"),
        (".md", "text/markdown"),
        (".note", "text/plain"),
        (".pem", "application/x-pem-file"),
    ];
    if let Some((_, media)) = by_suffix.iter().find(|(s, _)| name.ends_with(s)) {
        return media;
    }
    match kind {
        EntryKind::Advisory | EntryKind::Changelog | EntryKind::Patch => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_documented_layout() {
        assert_eq!(classify("advisories/osv/a.json"), Ok(EntryKind::Advisory));
        assert_eq!(
            classify("packages/pool/c/curl_8.5.0-2_amd64.deb"),
            Ok(EntryKind::BinaryPackage)
        );
        assert_eq!(
            classify("packages/curl_8.5.0-2.debian.tar.xz"),
            Ok(EntryKind::SourcePackage)
        );
        assert_eq!(classify("packages/curl.dsc"), Ok(EntryKind::SourcePackage));
        assert_eq!(
            classify("packages/readme.txt"),
            Err(LayoutError::UnknownPackage)
        );
        assert_eq!(classify("random/file"), Err(LayoutError::UnknownFolder));
        assert_eq!(classify("toplevel.json"), Err(LayoutError::UnknownFolder));
        assert_eq!(
            media_type(EntryKind::Advisory, "advisories/x.json"),
            "application/json"
        );
        assert_eq!(
            media_type(EntryKind::Tlog, "tlog/tile/0/000"),
            "application/octet-stream"
        );
        assert_eq!(json_check(EntryKind::Blob, "blobs/x.json"), None);
    }
}
