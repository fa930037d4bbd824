//! Debian source packages: the `.dsc` control file (`Source`, `Version`, `Binary`, `Format`,
//! the files it lists) and the `.debian.tar.*` of a `3.0 (quilt)` package, from which
//! `debian/changelog`, `debian/patches/series` and each patch the series names are read (the
//! upstream tarball is not needed). Each entry is read on its own, so either can be indexed
//! without the other.

use serde::Serialize;

use super::{PackageError, control, tar};
use crate::evidence::changelog::{self, ChangelogEntry};
use crate::evidence::limits::Limits;
use crate::evidence::patch::{self, Patch};

/// What a `.dsc` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceControl {
    /// `Source`.
    pub source: String,
    /// `Version`.
    pub version: String,
    /// `Format` (`3.0 (quilt)`, `1.0`, …).
    pub format: String,
    /// `Binary`: the binary packages built from it.
    pub binaries: Vec<String>,
    /// File names listed under `Files` / `Checksums-Sha256`.
    pub files: Vec<String>,
}

/// Reads a `.dsc` (clear-signed or not; the signature is not checked here).
///
/// # Errors
/// [`PackageError`] for a broken paragraph or a missing `Source` / `Version`.
pub fn read_dsc(bytes: &[u8], limits: &Limits) -> Result<SourceControl, PackageError> {
    if bytes.len() as u64 > limits.max_input_bytes.min(1 << 20) {
        return Err(PackageError::TooLarge {
            len: bytes.len() as u64,
            max_bytes: limits.max_input_bytes.min(1 << 20),
        });
    }
    let text = String::from_utf8_lossy(bytes);
    let para = control::parse("dsc", &text)?;
    let source = para.require("dsc", "Source")?.to_owned();
    let version = para.require("dsc", "Version")?.to_owned();
    let format = para.get("Format").unwrap_or("1.0").trim().to_owned();
    let binaries = para
        .get("Binary")
        .unwrap_or("")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let listing = para
        .get("Checksums-Sha256")
        .or_else(|| para.get("Files"))
        .unwrap_or("");
    let files = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(str::to_owned)
        .collect();
    Ok(SourceControl {
        source,
        version,
        format,
        binaries,
        files,
    })
}

/// What a `.debian.tar.*` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebianDir {
    /// The source name, from the newest changelog entry.
    pub source: String,
    /// The source version, from the newest changelog entry.
    pub version: String,
    /// `debian/changelog`, newest entry first.
    pub changelog: Vec<ChangelogEntry>,
    /// Patch names in `debian/patches/series` order (empty without a series).
    pub series: Vec<String>,
    /// The patches the series names, in series order.
    pub patches: Vec<SourcePatch>,
    /// Patches that could not be read, with the reason; the rest of the package is still
    /// indexed (a patch with no hunks, such as a binary-only one, is not evidence).
    pub patch_errors: Vec<PatchProblem>,
}

/// A patch of a source package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourcePatch {
    /// Its path (`debian/patches/NAME`).
    pub path: String,
    /// Its bytes' SHA-256 (lowercase hex).
    pub sha256: String,
    /// The parsed patch.
    pub patch: Patch,
}

/// A patch that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchProblem {
    /// Its path (`debian/patches/NAME`).
    pub path: String,
    /// Stable code (`patch-no-hunks`, `package-patch-missing`, …).
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Names in a quilt series: one per line, first word, `#` comments and blank lines skipped;
/// names that would leave `debian/patches/` (`..`, absolute) are dropped.
#[must_use]
pub fn parse_series(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| !n.starts_with('/') && !n.split('/').any(|c| c == ".."))
        .map(str::to_owned)
        .collect()
}

/// Reads a `.debian.tar.{xz,gz,bz2?,zst}` (xz, gzip and zstd are decoded).
///
/// # Errors
/// [`PackageError`] for a corrupt archive, a missing or broken `debian/changelog`, or a cap.
pub fn read_debian_tar(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<DebianDir, PackageError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(PackageError::TooLarge {
            len: bytes.len() as u64,
            max_bytes: limits.max_input_bytes,
        });
    }
    let files = tar::files(name, bytes, limits, |p| {
        p == "debian/changelog" || p.starts_with("debian/patches/")
    })?;
    let get = |p: &str| files.iter().find(|f| f.path == p);
    let cl = get("debian/changelog").ok_or_else(|| PackageError::MissingMember {
        member: format!("{name}/debian/changelog"),
    })?;
    let changelog =
        changelog::parse_debian(&cl.data, limits).map_err(|e| PackageError::Changelog {
            path: format!("{name}/debian/changelog"),
            source: e,
        })?;
    let top = changelog
        .first()
        .ok_or_else(|| PackageError::MissingMember {
            member: format!("{name}/debian/changelog (no entry)"),
        })?;
    let source = top.package.clone().unwrap_or_default();
    let version = top.version.clone();
    let series = get("debian/patches/series")
        .map(|f| parse_series(&String::from_utf8_lossy(&f.data)))
        .unwrap_or_default();
    if series.len() > limits.max_patches {
        return Err(PackageError::TooManyMembers {
            max: limits.max_patches,
        });
    }
    let mut patches = Vec::new();
    let mut patch_errors = Vec::new();
    for n in &series {
        let path = format!("debian/patches/{n}");
        let Some(f) = get(&path) else {
            patch_errors.push(PatchProblem {
                path,
                code: "package-patch-missing",
                message:
                    "named in debian/patches/series but not in the archive (or not a regular file)"
                        .to_owned(),
                line: None,
            });
            continue;
        };
        match patch::parse_patch(&f.data, limits) {
            Ok(p) => patches.push(SourcePatch {
                path,
                sha256: bundle_format::Digest::sha256(&f.data).hex(),
                patch: p,
            }),
            Err(e) => patch_errors.push(PatchProblem {
                path,
                code: crate::Coded::code(&e),
                line: e.line(),
                message: e.to_string(),
            }),
        }
    }
    Ok(DebianDir {
        source,
        version,
        changelog,
        series,
        patches,
        patch_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_lines() {
        assert_eq!(
            parse_series("# c\na.patch -p1\n\n b.diff # x\n../evil\n/abs\nsub/c.patch\n"),
            ["a.patch", "b.diff", "sub/c.patch"]
        );
    }
}
