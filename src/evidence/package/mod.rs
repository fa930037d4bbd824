//! Packages as evidence: `.deb` / `.udeb` binary packages ([`deb`]) and Debian source packages
//! ([`source`]: `.dsc` and `.debian.tar.*`), read for the changelogs and patches they carry.
//! [`read_package`] picks the reader from the file name, as `bundle create` classifies files
//! under `packages/`.
//!
//! Bounded: every archive is read from memory with [`Limits`] caps (input size, decompressed
//! size, member count, patch count); only regular tar entries are read — symlinks and hard
//! links are never followed — and nothing is written anywhere.

pub mod ar;
pub mod control;
pub mod deb;
pub mod source;
pub mod tar;

use serde::Serialize;

pub use deb::{BinaryPackage, PackagedChangelog};
pub use source::{DebianDir, SourceControl, SourcePatch};

use super::changelog::ChangelogError;
use super::decode::DecodeError;
use super::limits::Limits;
use crate::{Coded, FailureClass};

/// Why a package could not be read. Each message names the member or file inside the package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The package is larger than the input cap.
    #[error("package of {len} bytes exceeds the limit of {max_bytes} bytes")]
    TooLarge {
        /// Its size.
        len: u64,
        /// The cap.
        max_bytes: u64,
    },
    /// An archive (ar or tar) is malformed.
    #[error("{member}: {detail}")]
    Archive {
        /// The member or archive.
        member: String,
        /// What is wrong.
        detail: String,
    },
    /// A compressed member could not be decoded.
    #[error("{member}: {source}")]
    Decode {
        /// The member.
        member: String,
        /// The decoder's error.
        source: DecodeError,
    },
    /// A required member or file is absent.
    #[error("expected {member} in the package, found none")]
    MissingMember {
        /// What is missing.
        member: String,
    },
    /// More members or patches than the cap.
    #[error("more than {max} archive members or patches")]
    TooManyMembers {
        /// The cap.
        max: usize,
    },
    /// A control paragraph line is malformed.
    #[error("{what}: line {line}: {detail}")]
    Control {
        /// The control file.
        what: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A required control field is missing or empty.
    #[error("{what}: expected a {field} field, found none")]
    MissingField {
        /// The control file.
        what: String,
        /// The field.
        field: String,
    },
    /// A control field's value is unusable.
    #[error("{what}: field {field}: {detail}")]
    Field {
        /// The control file.
        what: String,
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// A changelog inside the package is broken.
    #[error("{path}: {source}")]
    Changelog {
        /// Its path inside the package.
        path: String,
        /// The changelog parser's error.
        source: ChangelogError,
    },
    /// The file name is not one of the package kinds.
    #[error(
        "expected a .deb, .udeb, .dsc, .debian.tar.*, .orig.tar.*, .diff.gz, .rpm or .apk file name, found {name:?}"
    )]
    UnknownKind {
        /// The name.
        name: String,
    },
}

impl PackageError {
    /// The 1-based line inside the named file, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Control { line, .. } => Some(*line),
            Self::Changelog { source, .. } => source.line(),
            _ => None,
        }
    }
}

impl Coded for PackageError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "package-too-large",
            Self::Archive { .. } => "package-archive-malformed",
            Self::Decode { source, .. } => source.code(),
            Self::MissingMember { .. } => "package-member-missing",
            Self::TooManyMembers { .. } => "package-too-many-members",
            Self::Control { .. } => "package-control-malformed",
            Self::MissingField { .. } => "package-field-missing",
            Self::Field { .. } => "package-field-invalid",
            Self::Changelog { source, .. } => source.code(),
            Self::UnknownKind { .. } => "package-kind-unknown",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// What a package file yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PackageEvidence {
    /// A `.deb` / `.udeb`.
    Binary(BinaryPackage),
    /// A `.dsc`.
    Dsc(SourceControl),
    /// A `.debian.tar.*`.
    DebianTar(DebianDir),
    /// A package file that carries no evidence read here (`.orig.tar.*`, a format 1.0
    /// `.diff.gz`, `.rpm`, `.apk`); kept, not indexed.
    Opaque,
}

impl PackageEvidence {
    /// The number of records it yields: changelog entries plus patches.
    pub fn records(&self) -> u64 {
        match self {
            Self::Binary(b) => b.changelogs.iter().map(|c| c.entries.len() as u64).sum(),
            Self::Dsc(_) => 1,
            Self::DebianTar(d) => (d.changelog.len() + d.patches.len()) as u64,
            Self::Opaque => 0,
        }
    }
}

/// Which reader a file name calls for: `deb`, `dsc`, `debian-tar`, `opaque` (orig tarballs,
/// `.diff.gz`, `.rpm`, `.apk`: kept but not read), or `None`.
#[must_use]
pub fn kind_of(name: &str) -> Option<&'static str> {
    let name = name.rsplit('/').next().unwrap_or(name);
    if name.ends_with(".deb") || name.ends_with(".udeb") {
        Some("deb")
    } else if name.ends_with(".dsc") {
        Some("dsc")
    } else if name.contains(".debian.tar.") || name.ends_with(".debian.tar") {
        Some("debian-tar")
    } else if name.contains(".orig.tar.")
        || name.contains(".orig-")
        || name.ends_with(".diff.gz")
        || name.ends_with(".rpm")
        || name.ends_with(".apk")
    {
        Some("opaque")
    } else {
        None
    }
}

/// Reads the package file `name` (its path or file name) from `bytes`.
///
/// # Errors
/// [`PackageError`] naming the member or file that is wrong.
pub fn read_package(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<PackageEvidence, PackageError> {
    match kind_of(name) {
        Some("deb") => deb::read(bytes, limits).map(PackageEvidence::Binary),
        Some("dsc") => source::read_dsc(bytes, limits).map(PackageEvidence::Dsc),
        Some("debian-tar") => {
            let base = name.rsplit('/').next().unwrap_or(name);
            source::read_debian_tar(base, bytes, limits).map(PackageEvidence::DebianTar)
        }
        Some(_) => Ok(PackageEvidence::Opaque),
        None => Err(PackageError::UnknownKind {
            name: name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod fixture_tests;
