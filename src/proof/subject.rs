//! The subject of a proof: a Package URL with a version, read into what the engine needs —
//! the store's package key, the version scheme, the distro release, and the source package
//! names the binary package may come from.

use std::str::FromStr;

use packageurl::PackageUrl;
use serde::{Deserialize, Serialize};

use crate::evidence::advisory::ecosystem::{debian_codename, ubuntu_codename};
use crate::evidence::version::VersionScheme;

/// Why a subject could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// Not a Package URL.
    #[error("purl {purl:?}: {reason}")]
    BadPurl {
        /// The text.
        purl: String,
        /// Why.
        reason: String,
    },
    /// A purl without `@version`: a proof is always about one installed version.
    #[error("purl {0:?}: expected a version (`@<version>`), found none")]
    NoVersion(String),
    /// Not a CVE/GHSA/advisory id.
    #[error("vulnerability id {0:?}: expected e.g. CVE-2023-38545 or GHSA-xxxx-xxxx-xxxx")]
    BadVulnerability(String),
    /// The version is not valid under the package's scheme.
    #[error("purl {purl:?}: {reason}")]
    BadVersion {
        /// The purl.
        purl: String,
        /// Why.
        reason: String,
    },
}

/// What a proof is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The vulnerability id, upper-cased (`CVE-2023-38545`).
    pub vulnerability: String,
    /// The Package URL as given.
    pub purl: String,
    /// The store's package key: `pkg:<type>/<namespace>/<name>`.
    pub package: String,
    /// The installed version.
    pub version: String,
    /// Its ordering scheme (`deb`, `rpm`, `apk`, `semver`).
    pub scheme: String,
    /// Distro release if the purl names one (`bookworm`, `12`, `3.19`).
    pub release: Option<String>,
    /// Source package keys considered, the package's own key first.
    pub source_packages: Vec<String>,
    /// The binary examined for tier 4, as `sha256:<hex>`, if any.
    pub binary: Option<String>,
}

/// Version scheme for a purl type (`deb` → dpkg, `rpm` → rpm, `apk` → apk, else semver).
#[must_use]
pub fn scheme_for(purl_type: &str) -> VersionScheme {
    crate::evidence::purl::ordering_scheme(purl_type)
}

/// Normalizes a release naming for comparison. Debian and Ubuntu releases become codenames
/// (`debian-12.5`, `Debian:12`, `12` → `bookworm`; `ubuntu-22.04`, `22.04:LTS`, `Pro:20.04:LTS`
/// → `jammy`, `focal`); Alpine releases become `major.minor` (`alpine-3.19.1`, `v3.19` →
/// `3.19`). Unknown forms are lower-cased as they are.
#[must_use]
pub fn normalize_release(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("debian-")
        .or_else(|| lower.strip_prefix("debian:"))
        .or_else(|| lower.strip_prefix("debian "));
    if let Some(rest) = rest {
        let major = rest.split('.').next().unwrap_or(rest);
        return debian_codename(major).map_or_else(|| major.to_owned(), str::to_owned);
    }
    if let Some(codename) = debian_codename(&lower) {
        return codename.to_owned();
    }
    let ubuntu = lower
        .strip_prefix("ubuntu-")
        .or_else(|| lower.strip_prefix("ubuntu:"))
        .unwrap_or(&lower);
    if let Some(codename) = ubuntu.split(':').find_map(ubuntu_codename) {
        return codename.to_owned();
    }
    for prefix in ["alpine-", "alpine:v", "alpine:", "v"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let mut parts = rest.split('.');
            if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
                return format!("{a}.{b}");
            }
        }
    }
    lower
}

/// Upper-cases and checks a vulnerability id.
///
/// # Errors
/// [`SubjectError::BadVulnerability`].
pub fn normalize_vulnerability(id: &str) -> Result<String, SubjectError> {
    let upper = id.trim().to_ascii_uppercase();
    let ok = upper.len() <= 64
        && upper.contains('-')
        && upper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b':');
    if ok {
        // GHSA ids are lower-case in their own alphabet after the prefix.
        if let Some(rest) = upper.strip_prefix("GHSA-") {
            return Ok(format!("GHSA-{}", rest.to_ascii_lowercase()));
        }
        Ok(upper)
    } else {
        Err(SubjectError::BadVulnerability(id.to_owned()))
    }
}

impl Subject {
    /// Reads `purl` (with a version) for vulnerability `vulnerability`.
    ///
    /// # Errors
    /// [`SubjectError`] naming the purl or id.
    pub fn new(vulnerability: &str, purl: &str) -> Result<Self, SubjectError> {
        let vulnerability = normalize_vulnerability(vulnerability)?;
        let parsed = PackageUrl::from_str(purl).map_err(|e| SubjectError::BadPurl {
            purl: purl.to_owned(),
            reason: e.to_string(),
        })?;
        let version = parsed
            .version()
            .ok_or_else(|| SubjectError::NoVersion(purl.to_owned()))?
            .to_owned();
        let scheme = scheme_for(parsed.ty());
        scheme
            .validate(&version)
            .map_err(|e| SubjectError::BadVersion {
                purl: purl.to_owned(),
                reason: e.to_string(),
            })?;
        let key = |name: &str| match parsed.namespace() {
            Some(ns) => format!("pkg:{}/{}/{}", parsed.ty(), ns, name),
            None => format!("pkg:{}/{}", parsed.ty(), name),
        };
        let qualifier = |k: &str| parsed.qualifiers().get(k).map(|v| v.to_string());
        let mut source_packages = vec![key(parsed.name())];
        // Syft/Grype write the source package as `upstream=` (see `evidence::purl`).
        if let Some(src) = crate::evidence::purl::Purl::parse(purl)
            .ok()
            .and_then(|p| p.source_package())
        {
            source_packages.push(key(&src.name));
        }
        let release = qualifier("distro").map(|d| normalize_release(&d));
        Ok(Self {
            vulnerability,
            purl: purl.to_owned(),
            package: key(parsed.name()),
            version,
            scheme: scheme.as_str().to_owned(),
            release,
            source_packages,
            binary: None,
        })
    }

    /// The version scheme.
    #[must_use]
    pub fn scheme(&self) -> VersionScheme {
        self.scheme.parse().unwrap_or(VersionScheme::Semver)
    }

    /// Adds a source package key found through the evidence (binary → source mapping).
    pub fn add_source_package(&mut self, key: String) {
        if !self.source_packages.contains(&key) {
            self.source_packages.push(key);
        }
    }

    /// The purl type (`deb`, `rpm`, …).
    #[must_use]
    pub fn purl_type(&self) -> &str {
        self.package
            .strip_prefix("pkg:")
            .and_then(|r| r.split('/').next())
            .unwrap_or_default()
    }

    /// The bare package name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.package.rsplit('/').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_syft_style_deb_purls() {
        let s = Subject::new(
            "cve-2023-38545",
            "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12&upstream=curl",
        )
        .unwrap();
        assert_eq!(s.vulnerability, "CVE-2023-38545");
        assert_eq!(s.package, "pkg:deb/debian/libcurl4");
        assert_eq!(s.version, "7.88.1-10+deb12u5");
        assert_eq!(s.scheme, "deb");
        assert_eq!(s.release.as_deref(), Some("bookworm"));
        assert_eq!(
            s.source_packages,
            vec!["pkg:deb/debian/libcurl4", "pkg:deb/debian/curl"]
        );
    }

    #[test]
    fn refuses_versionless_and_invalid() {
        assert!(matches!(
            Subject::new("CVE-2024-1", "pkg:deb/debian/curl"),
            Err(SubjectError::NoVersion(_))
        ));
        assert!(Subject::new("not an id", "pkg:deb/debian/curl@1").is_err());
        assert!(Subject::new("CVE-2024-1", "curl@1").is_err());
        assert!(matches!(
            Subject::new("CVE-2024-1", "pkg:deb/debian/curl@1:"),
            Err(SubjectError::BadVersion { .. })
        ));
    }

    #[test]
    fn release_names_normalize() {
        for (a, b) in [
            ("debian-12.5", "bookworm"),
            ("Debian:12", "bookworm"),
            ("bookworm", "bookworm"),
            ("alpine-3.19.1", "3.19"),
            ("Alpine:v3.19", "3.19"),
            ("ubuntu-22.04", "jammy"),
            ("22.04:LTS", "jammy"),
            ("Pro:20.04:LTS", "focal"),
            ("jammy", "jammy"),
        ] {
            assert_eq!(normalize_release(a), b, "{a}");
        }
    }
}
