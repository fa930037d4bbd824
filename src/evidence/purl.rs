//! Package URLs (<https://github.com/package-url/purl-spec>) as evidence names packages: parsing
//! and canonical formatting through the `packageurl` crate, the package key the store indexes
//! by (`pkg:type/namespace/name`), the `distro` qualifier read as a release, the version scheme
//! of a purl type, and the source package a binary purl names (`upstream=` / `source=`).
//!
//! Invariants: [`Purl::key`] never contains a version, qualifiers or subpath and is not
//! percent-encoded (it matches keys built from plain names); [`Purl`]'s
//! `Display` is the canonical form (qualifiers sorted, components percent-encoded) so the same
//! package formats to the same bytes whatever the input spelling.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use packageurl::PackageUrl;

use super::advisory::ecosystem::{debian_codename, debian_number, ubuntu_codename};
use super::version::VersionScheme;
use crate::{Coded, FailureClass};

/// Longest purl accepted, in bytes.
pub const MAX_PURL_BYTES: usize = 4096;

/// A parsed Package URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

/// Why a purl could not be read or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlError {
    /// Not a valid purl.
    #[error("purl {purl:?}: {reason}")]
    Invalid {
        /// The text given (clipped).
        purl: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Longer than [`MAX_PURL_BYTES`].
    #[error("purl of {len} bytes exceeds the limit of {MAX_PURL_BYTES} bytes")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl Coded for PurlError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "purl-invalid",
            Self::TooLong { .. } => "purl-too-long",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

fn invalid(purl: &str, reason: impl fmt::Display) -> PurlError {
    PurlError::Invalid {
        purl: purl.chars().take(200).collect(),
        reason: reason.to_string(),
    }
}

impl Purl {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`PurlError`] naming the text and what is wrong.
    pub fn parse(text: &str) -> Result<Self, PurlError> {
        if text.len() > MAX_PURL_BYTES {
            return Err(PurlError::TooLong { len: text.len() });
        }
        let p = PackageUrl::from_str(text).map_err(|e| invalid(text, e))?;
        if p.name().is_empty() {
            return Err(invalid(text, "empty name"));
        }
        Ok(Self {
            ty: p.ty().to_owned(),
            namespace: p.namespace().map(str::to_owned),
            name: p.name().to_owned(),
            version: p.version().map(str::to_owned),
            qualifiers: p
                .qualifiers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            subpath: p.subpath().map(str::to_owned),
        })
    }

    /// Builds a purl from parts (no version, no qualifiers).
    ///
    /// # Errors
    /// [`PurlError`] when the type or name is not acceptable to the purl spec.
    pub fn new(ty: &str, namespace: Option<&str>, name: &str) -> Result<Self, PurlError> {
        let p = Self {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace.filter(|n| !n.is_empty()).map(str::to_owned),
            name: name.to_owned(),
            version: None,
            qualifiers: BTreeMap::new(),
            subpath: None,
        };
        // Round-trip through the crate so the parts obey the spec's rules.
        Self::parse(&p.to_string())
    }

    /// The type (`deb`, `rpm`, `npm`, …), lower case.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace (`debian`, `redhat`, `@babel`, …).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// A qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }

    /// All qualifiers, sorted by key.
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    /// The subpath.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The same package with `version`.
    #[must_use]
    pub fn with_version(mut self, version: Option<&str>) -> Self {
        self.version = version.map(str::to_owned);
        self
    }

    /// The same package with qualifier `key` set to `value`.
    #[must_use]
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Self {
        self.qualifiers
            .insert(key.to_ascii_lowercase(), value.to_owned());
        self
    }

    /// The store's package key: `pkg:type/namespace/name` with no version, qualifiers or
    /// subpath, the components as decoded (not percent-encoded), so the key of a parsed purl
    /// equals the key built from an advisory's plain package name (`pkg:deb/debian/libstdc++6`,
    /// `pkg:npm/@babel/core`).
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("pkg:{}/{}/{}", self.ty, ns, self.name),
            None => format!("pkg:{}/{}", self.ty, self.name),
        }
    }

    /// The key of `name` in this purl's type and namespace (a sibling package, such as the
    /// source package of a binary).
    pub fn sibling_key(&self, name: &str) -> Option<String> {
        Self::new(&self.ty, self.namespace.as_deref(), name)
            .ok()
            .map(|p| p.key())
    }

    /// The version scheme of the purl's type (see [`VersionScheme::for_purl_type`]).
    pub fn scheme(&self) -> VersionScheme {
        VersionScheme::for_purl_type(&self.ty)
    }

    /// The release named by the `distro` qualifier, if any.
    pub fn distro(&self) -> Option<Distro> {
        self.qualifier("distro").map(Distro::parse)
    }

    /// The source package the purl names, from the evidence in its qualifiers: `upstream=`
    /// (Syft/Grype: `curl`, `curl@7.88.1-10`, `glibc (2.36-9)`, or for rpm
    /// `curl-7.76.1-26.el9.src.rpm`), `source=` or `srcname=`. `None` when none is given or
    /// it names the package itself.
    pub fn source_package(&self) -> Option<SourceRef> {
        ["upstream", "source", "srcname"]
            .iter()
            .find_map(|q| self.qualifier(q))
            .and_then(|v| SourceRef::from_qualifier(&self.ty, v))
            .filter(|s| s.name != self.name)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Formatting cannot fail for parts that came from a parse; fall back to a plain join
        // only if the crate rejects them (a bug, not input).
        let built = (|| {
            let mut p = PackageUrl::new(self.ty.as_str(), self.name.as_str()).ok()?;
            if let Some(ns) = &self.namespace {
                p.with_namespace(ns.as_str()).ok()?;
            }
            if let Some(v) = &self.version {
                p.with_version(v.as_str()).ok()?;
            }
            for (k, v) in &self.qualifiers {
                p.add_qualifier(k.as_str(), v.as_str()).ok()?;
            }
            if let Some(s) = &self.subpath {
                p.with_subpath(s.as_str()).ok()?;
            }
            Some(p.to_string())
        })();
        match built {
            Some(s) => f.write_str(&s),
            None => write!(f, "pkg:{}/{}", self.ty, self.name),
        }
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The store's package key for `purl` (see [`Purl::key`]); for text that is not a purl, the
/// text up to the first `@`, `?` or `#` (so a malformed name still keys consistently).
#[must_use]
pub fn package_key(purl: &str) -> String {
    match Purl::parse(purl) {
        Ok(p) => p.key(),
        Err(_) => {
            let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
            purl[..end].trim_end_matches('/').to_owned()
        }
    }
}

/// The scheme to order versions of a purl type with: its own where one is implemented
/// (deb, rpm, apk, semver), otherwise semver — the documented fallback for language
/// ecosystems whose orderings (PEP 440, Maven, …) are not implemented here.
#[must_use]
pub fn ordering_scheme(ty: &str) -> VersionScheme {
    let s = VersionScheme::for_purl_type(ty);
    if s.is_ordered() {
        s
    } else {
        VersionScheme::Semver
    }
}

/// A source package named by the evidence: its name and, where given, its version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct SourceRef {
    /// The source package name.
    pub name: String,
    /// The source version, where the evidence gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl SourceRef {
    /// Reads a `.deb` control `Source:` field: `name` or `name (version)` (the version is
    /// given when it differs from the binary's, as for binNMUs).
    #[must_use]
    pub fn from_control(value: &str) -> Option<Self> {
        let value = value.trim();
        let (name, version) = match value.split_once('(') {
            Some((n, rest)) => (n.trim(), Some(rest.trim_end_matches(')').trim())),
            None => (value, None),
        };
        valid_name(name).then(|| Self {
            name: name.to_owned(),
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
        })
    }

    /// Reads a purl source qualifier value for a purl of type `ty`.
    #[must_use]
    pub fn from_qualifier(ty: &str, value: &str) -> Option<Self> {
        let value = value.trim();
        if ty == "rpm"
            && let Some(nvr) = value
                .strip_suffix(".src.rpm")
                .or_else(|| value.strip_suffix(".nosrc.rpm"))
        {
            // name-version-release: the name may itself contain dashes.
            let mut parts = nvr.rsplitn(3, '-');
            let (rel, ver, name) = (parts.next()?, parts.next()?, parts.next()?);
            return valid_name(name).then(|| Self {
                name: name.to_owned(),
                version: Some(format!("{ver}-{rel}")),
            });
        }
        if let Some((name, version)) = value.split_once('@') {
            return valid_name(name).then(|| Self {
                name: name.to_owned(),
                version: Some(version.to_owned()).filter(|v| !v.is_empty()),
            });
        }
        Self::from_control(value)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-._~".contains(&b))
}

/// A distribution release as a purl `distro` qualifier names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Distro {
    /// `debian`, `ubuntu`, `alpine`, `rhel` (also for `el9`), `fedora`, …, or `None` when the
    /// value is a bare unknown word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The release: a Debian/Ubuntu codename where one is known (`bookworm`, `jammy`),
    /// `major.minor` for Alpine (`3.19`), the number otherwise (`9`, `39`).
    pub release: String,
}

impl Distro {
    /// Reads a `distro` qualifier value: `debian-12`, `debian-12.5`, `bookworm`,
    /// `ubuntu-22.04`, `jammy`, `el9`, `rhel-9.2`, `alpine-3.19.1`, `fedora-39`, ….
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let v = value.trim().to_ascii_lowercase();
        let family = |f: &str, release: String| Self {
            family: Some(f.to_owned()),
            release,
        };
        if let Some(c) = debian_number(&v).map(|_| v.clone()) {
            return family("debian", c);
        }
        if let Some(c) = UBUNTU_NAMES.iter().find(|c| **c == v) {
            return family("ubuntu", (*c).to_owned());
        }
        let (fam, rel) = match v.split_once(['-', ':']) {
            Some((f, r)) => (f.to_owned(), r.to_owned()),
            None => match v
                .strip_prefix("el")
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            {
                Some(r) => ("rhel".to_owned(), r.to_owned()),
                None => {
                    return Self {
                        family: None,
                        release: v,
                    };
                }
            },
        };
        match fam.as_str() {
            "debian" => {
                let major = rel.split('.').next().unwrap_or(&rel);
                let release = debian_codename(major).map_or_else(|| rel.clone(), str::to_owned);
                family("debian", release)
            }
            "ubuntu" => {
                let release = ubuntu_codename(&rel).map_or_else(|| rel.clone(), str::to_owned);
                family("ubuntu", release)
            }
            "alpine" => {
                let r = rel.trim_start_matches('v');
                let mut parts = r.split('.');
                let release = match (parts.next(), parts.next()) {
                    (Some(a), Some(b)) => format!("{a}.{b}"),
                    _ => r.to_owned(),
                };
                family("alpine", release)
            }
            "rhel" | "redhat" | "el" => family("rhel", rel),
            _ => family(&fam, rel),
        }
    }
}

/// Ubuntu codenames accepted bare as a `distro` value.
const UBUNTU_NAMES: &[&str] = &[
    "precise", "trusty", "xenial", "bionic", "focal", "jammy", "lunar", "mantic", "noble",
    "oracular", "plucky", "questing",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_canonically() {
        // From fixtures/advisories (OSV Debian, CSAF Red Hat, OSV npm).
        let p = Purl::parse("pkg:deb/debian/curl@7.88.1-10+deb12u5?arch=source&distro=debian-12")
            .unwrap();
        assert_eq!(
            (p.ty(), p.namespace(), p.name()),
            ("deb", Some("debian"), "curl")
        );
        assert_eq!(p.version(), Some("7.88.1-10+deb12u5"));
        assert_eq!(p.key(), "pkg:deb/debian/curl");
        assert_eq!(p.scheme(), VersionScheme::Deb);
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=source&distro=debian-12"
        );
        // Qualifier order in the input does not change the output.
        let q = Purl::parse("pkg:deb/debian/curl@7.88.1-10+deb12u5?distro=debian-12&arch=source")
            .unwrap();
        assert_eq!(p.to_string(), q.to_string());
        let r = Purl::parse("pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&epoch=1").unwrap();
        assert_eq!(r.scheme(), VersionScheme::Rpm);
        assert_eq!(r.qualifier("epoch"), Some("1"));
        let n = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(n.namespace(), Some("@babel"));
        assert_eq!(n.key(), "pkg:npm/@babel/core");
        assert_eq!(n.to_string(), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(Purl::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn rejects_bad_purls_with_codes() {
        for bad in ["", "curl", "pkg:", "pkg:deb", "http://x/y"] {
            let e = Purl::parse(bad).unwrap_err();
            assert_eq!(e.code(), "purl-invalid", "{bad:?}: {e}");
        }
        let long = format!("pkg:npm/{}", "a".repeat(MAX_PURL_BYTES));
        assert_eq!(Purl::parse(&long).unwrap_err().code(), "purl-too-long");
    }

    #[test]
    fn package_key_strips_version_qualifiers_and_subpath() {
        assert_eq!(
            package_key("pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=bookworm#x"),
            "pkg:deb/debian/openssl"
        );
        assert_eq!(package_key("pkg:cargo/serde"), "pkg:cargo/serde");
        // Type is case-insensitive in the spec and lower-cased in the key.
        assert_eq!(package_key("pkg:DEB/debian/zlib"), "pkg:deb/debian/zlib");
        // Not a purl: cut at the first separator, as before.
        assert_eq!(package_key("not a purl@1"), "not a purl");
    }

    #[test]
    fn distro_qualifiers() {
        let d = |s: &str| {
            let d = Distro::parse(s);
            (d.family.unwrap_or_default(), d.release)
        };
        let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(d("debian-12"), s("debian", "bookworm"));
        assert_eq!(d("debian-12.5"), s("debian", "bookworm"));
        assert_eq!(d("bookworm"), s("debian", "bookworm"));
        assert_eq!(d("ubuntu-22.04"), s("ubuntu", "jammy"));
        assert_eq!(d("jammy"), s("ubuntu", "jammy"));
        assert_eq!(d("el9"), s("rhel", "9"));
        assert_eq!(d("rhel-9.2"), s("rhel", "9.2"));
        assert_eq!(d("alpine-3.19"), s("alpine", "3.19"));
        assert_eq!(d("alpine-3.19.1"), s("alpine", "3.19"));
        assert_eq!(d("fedora-39"), s("fedora", "39"));
        assert_eq!(Distro::parse("sid").family, None);
        let p = Purl::parse("pkg:apk/alpine/openssl@3.1.4-r5?distro=alpine-3.19.1").unwrap();
        assert_eq!(p.distro().unwrap().release, "3.19");
    }

    #[test]
    fn source_packages_from_qualifiers_and_control() {
        let p = Purl::parse("pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64&upstream=curl").unwrap();
        assert_eq!(p.source_package().unwrap().name, "curl");
        assert_eq!(p.sibling_key("curl").unwrap(), "pkg:deb/debian/curl");
        let p = Purl::parse("pkg:deb/debian/libc6@2.36-9?upstream=glibc%402.36-9").unwrap();
        assert_eq!(
            p.source_package(),
            Some(SourceRef {
                name: "glibc".into(),
                version: Some("2.36-9".into())
            })
        );
        let r = Purl::parse(
            "pkg:rpm/redhat/libcurl-minimal@7.76.1-26.el9?upstream=curl-7.76.1-26.el9.src.rpm",
        )
        .unwrap();
        assert_eq!(
            r.source_package(),
            Some(SourceRef {
                name: "curl".into(),
                version: Some("7.76.1-26.el9".into())
            })
        );
        // The package itself is not its own source evidence.
        let same = Purl::parse("pkg:deb/debian/curl@1?upstream=curl").unwrap();
        assert_eq!(same.source_package(), None);
        assert_eq!(
            SourceRef::from_control("python3-defaults (3.11.2-1)"),
            Some(SourceRef {
                name: "python3-defaults".into(),
                version: Some("3.11.2-1".into())
            })
        );
        assert_eq!(SourceRef::from_control("bad name!"), None);
    }

    #[test]
    fn schemes_per_type_and_fallback() {
        assert_eq!(ordering_scheme("deb"), VersionScheme::Deb);
        assert_eq!(ordering_scheme("apk"), VersionScheme::Apk);
        assert_eq!(ordering_scheme("cargo"), VersionScheme::Semver);
        assert_eq!(ordering_scheme("pypi"), VersionScheme::Semver);
        assert_eq!(VersionScheme::for_purl_type("pypi"), VersionScheme::Pep440);
        assert_eq!(
            VersionScheme::Pep440.compare("1", "2").unwrap_err().code(),
            "version-scheme-unsupported"
        );
    }
}
