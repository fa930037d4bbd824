//! OSV ecosystems: which purl type and namespace, which version scheme and which release an
//! ecosystem string such as `Debian:12`, `Ubuntu:Pro:20.04:LTS`, `Alpine:v3.18`,
//! `Red Hat:rhel_aus:8.6::appstream` or `crates.io` stands for. Unknown ecosystems are not an
//! error: they keep their string and get [`VersionScheme::Other`].

use packageurl::PackageUrl;

pub use crate::evidence::version::VersionScheme;

/// What an ecosystem string stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemInfo {
    /// purl type (`deb`, `rpm`, `pypi`, …), `None` for ecosystems without one.
    pub purl_type: Option<&'static str>,
    /// purl namespace for distro ecosystems (`debian`, `ubuntu`, `alpine`, `redhat`, …).
    pub namespace: Option<&'static str>,
    /// Version ordering.
    pub scheme: VersionScheme,
    /// The release part (`bookworm` for `Debian:12`, `Pro:20.04:LTS`, `v3.18`,
    /// `rhel_aus:8.6::appstream`).
    pub release: Option<String>,
    /// The purl `distro` qualifier value for the release, where a convention exists
    /// (Debian and Ubuntu codenames, `alpine-3.18`).
    pub distro: Option<String>,
}

/// Debian release number → codename.
const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("3.0", "woody"),
    ("3.1", "sarge"),
    ("4", "etch"),
    ("5", "lenny"),
    ("6", "squeeze"),
    ("7", "wheezy"),
    ("8", "jessie"),
    ("9", "stretch"),
    ("10", "buster"),
    ("11", "bullseye"),
    ("12", "bookworm"),
    ("13", "trixie"),
    ("14", "forky"),
    ("15", "duke"),
];

/// Ubuntu version → codename.
const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("12.04", "precise"),
    ("14.04", "trusty"),
    ("16.04", "xenial"),
    ("18.04", "bionic"),
    ("20.04", "focal"),
    ("22.04", "jammy"),
    ("23.04", "lunar"),
    ("23.10", "mantic"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
    ("25.10", "questing"),
];

/// Debian codename for a release number (`12` → `bookworm`).
#[must_use]
pub fn debian_codename(number: &str) -> Option<&'static str> {
    DEBIAN_CODENAMES
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, c)| *c)
}

/// Ubuntu codename for a release number (`22.04` → `jammy`).
#[must_use]
pub fn ubuntu_codename(number: &str) -> Option<&'static str> {
    UBUNTU_CODENAMES
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, c)| *c)
}

/// Debian release number for a codename (`bookworm` → `12`).
#[must_use]
pub fn debian_number(codename: &str) -> Option<&'static str> {
    DEBIAN_CODENAMES
        .iter()
        .find(|(_, c)| *c == codename)
        .map(|(n, _)| *n)
}

/// Classifies an OSV ecosystem string.
#[must_use]
pub fn classify(ecosystem: &str) -> EcosystemInfo {
    let (base, release) = match ecosystem.split_once(':') {
        Some((b, r)) => (b, Some(r.to_owned()).filter(|r| !r.is_empty())),
        None => (ecosystem, None),
    };
    let (purl_type, namespace, scheme): (
        Option<&'static str>,
        Option<&'static str>,
        VersionScheme,
    ) = match base {
        "Debian" => (Some("deb"), Some("debian"), VersionScheme::Deb),
        "Ubuntu" => (Some("deb"), Some("ubuntu"), VersionScheme::Deb),
        "Alpine" => (Some("apk"), Some("alpine"), VersionScheme::Apk),
        "Alpaquita" | "BellSoft Hardened Containers" => {
            (Some("apk"), Some("alpaquita"), VersionScheme::Apk)
        }
        "Wolfi" => (Some("apk"), Some("wolfi"), VersionScheme::Apk),
        "Chainguard" => (Some("apk"), Some("chainguard"), VersionScheme::Apk),
        "Red Hat" => (Some("rpm"), Some("redhat"), VersionScheme::Rpm),
        "Rocky Linux" => (Some("rpm"), Some("rocky-linux"), VersionScheme::Rpm),
        "AlmaLinux" => (Some("rpm"), Some("almalinux"), VersionScheme::Rpm),
        "SUSE" => (Some("rpm"), Some("suse"), VersionScheme::Rpm),
        "openSUSE" => (Some("rpm"), Some("opensuse"), VersionScheme::Rpm),
        "Mageia" => (Some("rpm"), Some("mageia"), VersionScheme::Rpm),
        "openEuler" => (Some("rpm"), Some("openeuler"), VersionScheme::Rpm),
        "Photon OS" => (Some("rpm"), Some("photon"), VersionScheme::Rpm),
        "Azure Linux" | "Mariner" => (Some("rpm"), Some("azurelinux"), VersionScheme::Rpm),
        "Echo" => (Some("deb"), Some("echo"), VersionScheme::Deb),
        "MinimOS" => (Some("apk"), Some("minimos"), VersionScheme::Apk),
        "crates.io" => (Some("cargo"), None, VersionScheme::Semver),
        "npm" => (Some("npm"), None, VersionScheme::Semver),
        "Go" => (Some("golang"), None, VersionScheme::Semver),
        "PyPI" => (Some("pypi"), None, VersionScheme::Pep440),
        "Maven" => (Some("maven"), None, VersionScheme::Maven),
        "NuGet" => (Some("nuget"), None, VersionScheme::Nuget),
        "RubyGems" => (Some("gem"), None, VersionScheme::Gem),
        "Packagist" => (Some("composer"), None, VersionScheme::Composer),
        "Hex" => (Some("hex"), None, VersionScheme::Semver),
        "Pub" => (Some("pub"), None, VersionScheme::Semver),
        "Hackage" => (Some("hackage"), None, VersionScheme::Other),
        "CRAN" => (Some("cran"), None, VersionScheme::Other),
        "SwiftURL" => (Some("swift"), None, VersionScheme::Semver),
        "GitHub Actions" => (Some("github"), None, VersionScheme::Semver),
        "ConanCenter" => (Some("conan"), None, VersionScheme::Other),
        "Bitnami" => (Some("bitnami"), None, VersionScheme::Semver),
        "GIT" => (None, None, VersionScheme::Git),
        _ => (None, None, VersionScheme::Other),
    };
    let distro = release.as_deref().and_then(|r| distro_qualifier(base, r));
    // Debian releases are named by codename everywhere else (tracker, purl distro).
    let release = if base == "Debian" {
        distro.clone().or(release)
    } else {
        release
    };
    EcosystemInfo {
        purl_type,
        namespace,
        scheme,
        release,
        distro,
    }
}

fn distro_qualifier(base: &str, release: &str) -> Option<String> {
    match base {
        "Debian" => {
            let major = release.split(['.', ':']).next().unwrap_or(release);
            debian_codename(major)
                .or_else(|| debian_codename(release))
                .map(str::to_owned)
        }
        "Ubuntu" => release
            .split(':')
            .find_map(|part| UBUNTU_CODENAMES.iter().find(|(n, _)| *n == part))
            .map(|(_, c)| (*c).to_owned()),
        "Alpine" => Some(format!("alpine-{}", release.trim_start_matches('v'))),
        _ => None,
    }
}

/// Builds a purl (without version) for `name` in an ecosystem, splitting the namespace the
/// way the ecosystem writes names (`@scope/pkg`, `group:artifact`, `vendor/pkg`, Go module
/// paths). `None` if the ecosystem has no purl type or the name is unusable.
#[must_use]
pub fn derive_purl(info: &EcosystemInfo, name: &str) -> Option<String> {
    let ty = info.purl_type?;
    let (namespace, short): (Option<&str>, &str) = match (ty, info.namespace) {
        (_, Some(ns)) => (Some(ns), name),
        ("maven", None) => match name.split_once(':') {
            Some((g, a)) => (Some(g), a),
            None => (None, name),
        },
        ("npm" | "composer" | "golang" | "github" | "swift", None) => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, name),
        },
        _ => (None, name),
    };
    if short.is_empty() {
        return None;
    }
    let mut p = PackageUrl::new(ty, short).ok()?;
    if let Some(ns) = namespace {
        p.with_namespace(ns).ok()?;
    }
    if let Some(d) = &info.distro {
        p.add_qualifier("distro", d.clone()).ok()?;
    }
    Some(p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_ecosystems_map_to_purl_and_release() {
        let d = classify("Debian:7");
        assert_eq!(
            (d.purl_type, d.namespace, d.scheme),
            (Some("deb"), Some("debian"), VersionScheme::Deb)
        );
        assert_eq!(d.distro.as_deref(), Some("wheezy"));
        assert_eq!(
            derive_purl(&d, "nginx").as_deref(),
            Some("pkg:deb/debian/nginx?distro=wheezy")
        );
        let u = classify("Ubuntu:Pro:16.04:LTS");
        assert_eq!(u.release.as_deref(), Some("Pro:16.04:LTS"));
        assert_eq!(u.distro.as_deref(), Some("xenial"));
        let a = classify("Alpine:v3.18");
        assert_eq!(a.distro.as_deref(), Some("alpine-3.18"));
        assert_eq!(a.scheme, VersionScheme::Apk);
        let r = classify("Red Hat:rhel_aus:8.6::appstream");
        assert_eq!(
            (r.namespace, r.scheme),
            (Some("redhat"), VersionScheme::Rpm)
        );
        assert_eq!(r.release.as_deref(), Some("rhel_aus:8.6::appstream"));
        assert_eq!(classify("Rocky Linux:9").namespace, Some("rocky-linux"));
        assert_eq!(classify("AlmaLinux:8").scheme, VersionScheme::Rpm);
        assert_eq!(
            classify("SUSE:Linux Enterprise Server 15 SP5").scheme,
            VersionScheme::Rpm
        );
        assert_eq!(classify("openSUSE:Tumbleweed").namespace, Some("opensuse"));
    }

    #[test]
    fn language_ecosystems_split_names() {
        let npm = classify("npm");
        assert_eq!(
            derive_purl(&npm, "@babel/core").as_deref(),
            Some("pkg:npm/%40babel/core")
        );
        let mvn = classify("Maven");
        assert_eq!(
            derive_purl(&mvn, "org.apache.logging.log4j:log4j-core").as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core")
        );
        let go = classify("Go");
        assert_eq!(
            derive_purl(&go, "golang.org/x/net").as_deref(),
            Some("pkg:golang/golang.org/x/net")
        );
        assert_eq!(classify("crates.io").scheme, VersionScheme::Semver);
        assert_eq!(classify("PyPI").scheme, VersionScheme::Pep440);
        let unknown = classify("Nix:24.05");
        assert_eq!(
            (unknown.purl_type, unknown.scheme),
            (None, VersionScheme::Other)
        );
        assert_eq!(derive_purl(&unknown, "x"), None);
    }
}
