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

/// Checks a file under `packages/` with the evidence package readers, so `bundle create`
/// refuses a `.deb`, `.dsc` or `.debian.tar.*` that `import` could not index. Other kinds, and
/// package files that are carried but not read (`.orig.tar.*`, `.rpm`, …), pass.
///
/// # Errors
/// The reader's [`PackageError`](crate::evidence::package::PackageError), naming the member.
pub fn check_package(
    kind: EntryKind,
    path: &str,
    bytes: &[u8],
) -> Result<(), crate::evidence::package::PackageError> {
    if matches!(kind, EntryKind::SourcePackage | EntryKind::BinaryPackage) {
        crate::evidence::package::read_package(
            path,
            bytes,
            &crate::evidence::limits::Limits::default(),
        )?;
    }
    Ok(())
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

    #[test]
    fn package_files_are_checked_by_the_package_readers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/packages/");
        let deb = std::fs::read(format!("{dir}libexpat1_2.5.0-1+deb12u2_amd64.deb")).unwrap();
        let path = "packages/libexpat1_2.5.0-1+deb12u2_amd64.deb";
        assert!(check_package(EntryKind::BinaryPackage, path, &deb).is_ok());
        let err = check_package(EntryKind::BinaryPackage, path, &deb[..500]).unwrap_err();
        assert_eq!(crate::Coded::code(&err), "package-archive-malformed");
        assert!(check_package(EntryKind::SourcePackage, "packages/x.dsc", b"junk\n").is_err());
        // Carried, not read.
        assert!(check_package(EntryKind::SourcePackage, "packages/x.orig.tar.gz", b"").is_ok());
        assert!(check_package(EntryKind::BinaryPackage, "packages/x.rpm", b"").is_ok());
        assert!(check_package(EntryKind::Advisory, "advisories/x.json", b"").is_ok());
    }
}
