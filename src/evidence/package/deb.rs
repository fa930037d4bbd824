//! Binary packages (`.deb`, `.udeb`): the `ar` members `debian-binary` (format `2.x`),
//! `control.tar.*` (the `control` paragraph: `Package`, `Source`, `Version`, `Architecture`) and
//! `data.tar.*`, of which only the Debian changelogs under `usr/share/doc/<pkg>/` are read:
//! `changelog.Debian.gz` and the binNMU `changelog.Debian.<arch>.gz`.

use serde::Serialize;

use super::{PackageError, ar, control, tar};
use crate::evidence::changelog::{self, ChangelogEntry};
use crate::evidence::limits::Limits;
use crate::evidence::purl::SourceRef;

/// What a binary package says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinaryPackage {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: String,
    /// The source package: `Source` (name and, for binNMUs, version), defaulting to the
    /// package name and version as Debian policy says.
    pub source: SourceRef,
    /// The Debian changelogs found, in archive order.
    pub changelogs: Vec<PackagedChangelog>,
}

/// A changelog inside a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackagedChangelog {
    /// Its path inside the package.
    pub path: String,
    /// Whether it is a binNMU changelog (`changelog.Debian.<arch>.gz`).
    pub binnmu: bool,
    /// Its entries.
    pub entries: Vec<ChangelogEntry>,
}

/// Whether `path` is a Debian changelog under `usr/share/doc/` (and whether a binNMU one).
fn changelog_kind(path: &str) -> Option<bool> {
    let rest = path.strip_prefix("usr/share/doc/")?;
    let (_pkg, file) = rest.split_once('/')?;
    let stem = file.strip_prefix("changelog.Debian")?;
    let stem = stem
        .strip_suffix(".gz")
        .or_else(|| stem.strip_suffix(".xz"))
        .unwrap_or(stem);
    if stem.is_empty() {
        Some(false)
    } else {
        let arch = stem.strip_prefix('.')?;
        (!arch.is_empty() && !arch.contains('/')).then_some(true)
    }
}

/// Reads a `.deb` or `.udeb`.
///
/// # Errors
/// [`PackageError`] naming the member (and the file inside it) that is wrong.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<BinaryPackage, PackageError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(PackageError::TooLarge {
            len: bytes.len() as u64,
            max_bytes: limits.max_input_bytes,
        });
    }
    let members = ar::members(bytes, limits.max_archive_members)?;
    let first = members.first().ok_or(PackageError::MissingMember {
        member: "debian-binary".to_owned(),
    })?;
    if first.name != "debian-binary" || !first.data.starts_with(b"2.") {
        return Err(PackageError::Archive {
            member: first.name.to_owned(),
            detail: "expected the first member `debian-binary` with format 2.x".to_owned(),
        });
    }
    let find = |prefix: &str| {
        members
            .iter()
            .find(|m| m.name == prefix || m.name.starts_with(&format!("{prefix}.")))
            .ok_or_else(|| PackageError::MissingMember {
                member: format!("{prefix}.*"),
            })
    };
    let ctl = find("control.tar")?;
    let files = tar::files(ctl.name, ctl.data, limits, |p| p == "control")?;
    let text = files
        .first()
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .ok_or_else(|| PackageError::MissingMember {
            member: format!("{}/control", ctl.name),
        })?;
    let what = format!("{}/control", ctl.name);
    let para = control::parse(&what, &text)?;
    let package = para.require(&what, "Package")?.to_owned();
    let version = para.require(&what, "Version")?.to_owned();
    let architecture = para.get("Architecture").unwrap_or("").trim().to_owned();
    let source = match para.get("Source") {
        Some(v) => {
            let mut s = SourceRef::from_control(v).ok_or_else(|| PackageError::Field {
                what: what.clone(),
                field: "Source".to_owned(),
                detail: format!("expected `name` or `name (version)`, found {v:?}"),
            })?;
            s.version.get_or_insert_with(|| version.clone());
            s
        }
        None => SourceRef {
            name: package.clone(),
            version: Some(version.clone()),
        },
    };
    let data = find("data.tar")?;
    let mut changelogs = Vec::new();
    for f in tar::files(data.name, data.data, limits, |p| {
        changelog_kind(p).is_some()
    })? {
        let entries =
            changelog::parse_debian(&f.data, limits).map_err(|e| PackageError::Changelog {
                path: format!("{}/{}", data.name, f.path),
                source: e,
            })?;
        changelogs.push(PackagedChangelog {
            binnmu: changelog_kind(&f.path) == Some(true),
            path: f.path,
            entries,
        });
    }
    Ok(BinaryPackage {
        package,
        version,
        architecture,
        source,
        changelogs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_paths() {
        assert_eq!(
            changelog_kind("usr/share/doc/zlib1g/changelog.Debian.gz"),
            Some(false)
        );
        assert_eq!(
            changelog_kind("usr/share/doc/bash/changelog.Debian.amd64.gz"),
            Some(true)
        );
        assert_eq!(changelog_kind("usr/share/doc/zlib1g/changelog.gz"), None);
        assert_eq!(changelog_kind("etc/changelog.Debian.gz"), None);
    }
}
