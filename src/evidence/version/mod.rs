//! Version ordering per scheme, exactly as each ecosystem's own tool orders versions:
//! [`deb`] (`dpkg --compare-versions`), [`rpm`] (`rpmvercmp` and EVR), [`apk`] (apk-tools) and
//! [`semver`] (SemVer 2.0.0 precedence). Entry point: [`compare`] (or
//! [`VersionScheme::compare`]); a [`VersionError`] names the scheme, the version and the reason.
//! Pure functions over strings; no I/O.

pub mod apk;
pub mod deb;
pub mod rpm;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Coded, FailureClass};

/// Longest version string accepted by any scheme, in bytes.
pub const MAX_VERSION_BYTES: usize = 1024;

/// A version scheme: how versions of a package compare. One type for the whole crate: advisories
/// record it per package, the proof engine orders versions with it. Only [`VersionScheme::ALL`]
/// (deb, rpm, apk, semver) have an ordering here; the others are recognised and named so that
/// evidence keeps what its source said, and [`VersionScheme::compare`] refuses them with
/// `version-scheme-unsupported`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum VersionScheme {
    /// Debian / Ubuntu: dpkg ordering.
    Deb,
    /// Red Hat, SUSE and rebuilds: rpm EVR ordering.
    Rpm,
    /// Alpine, Wolfi, Chainguard: apk-tools ordering.
    Apk,
    /// Semantic Versioning 2.0.0 precedence (npm, crates.io, Go, Hex, Pub, …).
    Semver,
    /// PEP 440 (PyPI); no ordering implemented.
    Pep440,
    /// Maven ordering; no ordering implemented.
    Maven,
    /// NuGet ordering; no ordering implemented.
    Nuget,
    /// RubyGems ordering; no ordering implemented.
    Gem,
    /// Composer ordering (Packagist); no ordering implemented.
    Composer,
    /// Commits, not versions.
    Git,
    /// Unknown; compare only for equality.
    Other,
}

impl VersionScheme {
    /// Every scheme with an ordering, in a fixed order.
    pub const ALL: [VersionScheme; 4] = [Self::Deb, Self::Rpm, Self::Apk, Self::Semver];

    /// Every scheme, ordered or not.
    pub const NAMED: [VersionScheme; 11] = [
        Self::Deb,
        Self::Rpm,
        Self::Apk,
        Self::Semver,
        Self::Pep440,
        Self::Maven,
        Self::Nuget,
        Self::Gem,
        Self::Composer,
        Self::Git,
        Self::Other,
    ];

    /// The scheme's kebab-case name (`deb`, `rpm`, `apk`, `semver`, `pep440`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Rpm => "rpm",
            Self::Apk => "apk",
            Self::Semver => "semver",
            Self::Pep440 => "pep440",
            Self::Maven => "maven",
            Self::Nuget => "nuget",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Git => "git",
            Self::Other => "other",
        }
    }

    /// Whether [`VersionScheme::compare`] orders versions of this scheme.
    pub fn is_ordered(self) -> bool {
        Self::ALL.contains(&self)
    }

    /// The scheme for a purl type (`deb` → dpkg, `rpm` → rpm, `apk`/`alpm` → apk, `npm`,
    /// `cargo`, `golang`, … → semver, `pypi` → PEP 440, unknown types → [`VersionScheme::Other`]).
    /// See [`crate::evidence::purl::ordering_scheme`] for the fallback used when an order is
    /// needed.
    #[must_use]
    pub fn for_purl_type(ty: &str) -> Self {
        match ty {
            "deb" => Self::Deb,
            "rpm" => Self::Rpm,
            "apk" | "alpm" => Self::Apk,
            "npm" | "cargo" | "golang" | "hex" | "pub" | "swift" | "cocoapods" => Self::Semver,
            "pypi" => Self::Pep440,
            "maven" => Self::Maven,
            "nuget" => Self::Nuget,
            "gem" => Self::Gem,
            "composer" => Self::Composer,
            "github" => Self::Git,
            _ => Self::Other,
        }
    }

    /// Compares `a` with `b` under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Self::Deb => deb::compare(a, b),
            Self::Rpm => rpm::compare(a, b),
            Self::Apk => apk::compare(a, b),
            Self::Semver => semver::compare(a, b),
            _ => Err(VersionError::Unsupported { scheme: self }),
        }
    }

    /// Checks that `version` is valid under this scheme.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.compare(version, version).map(|_| ())
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VersionScheme {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::NAMED
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| VersionError::UnknownScheme { name: s.to_owned() })
    }
}

/// Compares `a` with `b` under `scheme`.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    scheme.compare(a, b)
}

/// Why a version could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The version is not valid under the scheme.
    #[error("{scheme} version {version:?}: {reason}")]
    Invalid {
        /// The scheme.
        scheme: VersionScheme,
        /// The offending version.
        version: String,
        /// What is wrong (the wording of the scheme's own tool where there is one).
        reason: &'static str,
    },
    /// The version is longer than [`MAX_VERSION_BYTES`].
    #[error("{scheme} version of {len} bytes exceeds the limit of {max} bytes")]
    TooLong {
        /// The scheme.
        scheme: VersionScheme,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The scheme name is not a known scheme.
    #[error("unknown version scheme {name:?}: expected deb, rpm, apk or semver")]
    UnknownScheme {
        /// The name given.
        name: String,
    },
    /// The scheme is known but has no ordering here.
    #[error("{scheme} versions cannot be ordered: expected deb, rpm, apk or semver")]
    Unsupported {
        /// The scheme.
        scheme: VersionScheme,
    },
}

impl Coded for VersionError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "version-invalid",
            Self::TooLong { .. } => "version-too-long",
            Self::UnknownScheme { .. } => "version-scheme-unknown",
            Self::Unsupported { .. } => "version-scheme-unsupported",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::UnknownScheme { .. } | Self::Unsupported { .. } => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

#[cfg(test)]
mod vectors {
    //! Every committed vector under `fixtures/vectors/versions/` (see its SOURCES.md).
    use super::*;

    fn check(file: &str, text: &str, cmp: impl Fn(&str, &str) -> Result<Ordering, VersionError>) {
        let mut n = 0;
        let mut bad = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (a, rest) = line
                .split_once('\t')
                .expect("vector line has A<TAB>B<TAB>expected");
            let (b, want) = rest
                .rsplit_once('\t')
                .expect("vector line has an expectation");
            let got = match cmp(a, b) {
                Ok(Ordering::Less) => "<",
                Ok(Ordering::Equal) => "=",
                Ok(Ordering::Greater) => ">",
                Err(_) => "error",
            };
            n += 1;
            if got != want {
                bad.push(format!("{a:?} vs {b:?}: want {want}, got {got}"));
            }
        }
        assert!(n > 0, "{file}: no vectors");
        assert!(
            bad.is_empty(),
            "{file}: {} of {n} disagree:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    macro_rules! vector_file {
        ($name:ident, $file:literal, $cmp:expr) => {
            #[test]
            fn $name() {
                let text = include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/vectors/versions/",
                    $file
                ));
                check($file, text, $cmp);
            }
        };
    }

    vector_file!(dpkg_testsuite, "dpkg-testsuite.tsv", deb::compare);
    vector_file!(dpkg_generated, "dpkg-generated.tsv", deb::compare);
    vector_file!(
        rpmvercmp_testsuite,
        "rpmvercmp-testsuite.tsv",
        |a: &str, b: &str| Ok(rpm::rpmvercmp(a.as_bytes(), b.as_bytes()))
    );
    vector_file!(
        rpmvercmp_generated,
        "rpmvercmp-generated.tsv",
        |a: &str, b: &str| Ok(rpm::rpmvercmp(a.as_bytes(), b.as_bytes()))
    );
    vector_file!(rpm_evr_generated, "rpm-evr-generated.tsv", rpm::compare);
    vector_file!(apk_handwritten, "apk-handwritten.tsv", apk::compare);
}

#[cfg(test)]
mod properties {
    //! Each ordering is total (every valid pair compares), antisymmetric and transitive.
    use super::*;
    use proptest::prelude::*;

    fn version_strategy(scheme: VersionScheme) -> BoxedStrategy<String> {
        match scheme {
            VersionScheme::Deb => "([0-9]:)?[0-9][0-9a-z.+~]{0,8}(-[0-9a-z.+~]{1,6})?".boxed(),
            VersionScheme::Rpm => "([0-9]:)?[0-9a-z.~^_+]{1,8}(-[0-9a-z.~^]{0,5})?".boxed(),
            VersionScheme::Apk => {
                "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-c]?(_(alpha|beta|pre|rc|p|git)[0-9]?){0,2}(-r[0-9])?"
                    .boxed()
            }
            VersionScheme::Semver => {
                "(0|[1-9][0-9]?)\\.(0|[1-9])\\.(0|[1-9])(-(alpha|beta|rc|[0-9])(\\.(0|[1-9]|x)){0,2})?(\\+b[0-9])?"
                    .boxed()
            }
            _ => unreachable!("only ordered schemes have strategies"),
        }
    }

    fn laws(scheme: VersionScheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
        let ab = scheme.compare(a, b);
        prop_assert!(ab.is_ok(), "{scheme}: {a} vs {b} not comparable: {ab:?}");
        let ab = ab.unwrap();
        let ba = scheme.compare(b, a).unwrap();
        prop_assert_eq!(ab, ba.reverse(), "{}: antisymmetry {} {}", scheme, a, b);
        prop_assert_eq!(scheme.compare(a, a).unwrap(), Ordering::Equal);
        let bc = scheme.compare(b, c).unwrap();
        let ac = scheme.compare(a, c).unwrap();
        if ab != Ordering::Greater && bc != Ordering::Greater {
            prop_assert_ne!(
                ac,
                Ordering::Greater,
                "{}: transitivity {} {} {}",
                scheme,
                a,
                b,
                c
            );
        }
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn deb_laws(a in version_strategy(VersionScheme::Deb), b in version_strategy(VersionScheme::Deb), c in version_strategy(VersionScheme::Deb)) {
            laws(VersionScheme::Deb, &a, &b, &c)?;
        }
        #[test]
        fn rpm_laws(a in version_strategy(VersionScheme::Rpm), b in version_strategy(VersionScheme::Rpm), c in version_strategy(VersionScheme::Rpm)) {
            laws(VersionScheme::Rpm, &a, &b, &c)?;
        }
        #[test]
        fn apk_laws(a in version_strategy(VersionScheme::Apk), b in version_strategy(VersionScheme::Apk), c in version_strategy(VersionScheme::Apk)) {
            laws(VersionScheme::Apk, &a, &b, &c)?;
        }
        #[test]
        fn semver_laws(a in version_strategy(VersionScheme::Semver), b in version_strategy(VersionScheme::Semver), c in version_strategy(VersionScheme::Semver)) {
            laws(VersionScheme::Semver, &a, &b, &c)?;
        }
        #[test]
        fn no_panic_on_any_input(a in "\\PC{0,24}", b in "\\PC{0,24}") {
            for s in VersionScheme::ALL {
                let _ = s.compare(&a, &b);
            }
        }
    }

    /// Shorter inputs compared exhaustively over a small alphabet: transitivity must hold for
    /// every triple, which random sampling rarely reaches for near-equal versions.
    #[test]
    fn exhaustive_small_alphabet_transitivity() {
        for (scheme, alphabet) in [
            (VersionScheme::Deb, &["1", "0", "~", "a", ".", "+"][..]),
            (VersionScheme::Rpm, &["1", "0", "~", "^", "a", ".", "-"][..]),
        ] {
            let mut all = vec![String::new()];
            let mut level = vec![String::new()];
            for _ in 0..3 {
                let mut next = Vec::new();
                for p in &level {
                    for c in alphabet {
                        next.push(format!("{p}{c}"));
                    }
                }
                all.extend(next.iter().cloned());
                level = next;
            }
            let valid: Vec<&String> = all
                .iter()
                .filter(|v| scheme.validate(&format!("1{v}")).is_ok())
                .collect();
            let vs: Vec<String> = valid.iter().map(|v| format!("1{v}")).collect();
            let mut sorted = vs.clone();
            sorted.sort_by(|a, b| scheme.compare(a, b).unwrap());
            for w in sorted.windows(2) {
                assert_ne!(scheme.compare(&w[0], &w[1]).unwrap(), Ordering::Greater);
            }
            // A sorted list is consistent only if every pair respects the positions.
            for i in (0..sorted.len()).step_by(7) {
                for j in (i + 1)..sorted.len() {
                    assert_ne!(
                        scheme.compare(&sorted[i], &sorted[j]).unwrap(),
                        Ordering::Greater,
                        "{scheme}: {} > {} after sort",
                        sorted[i],
                        sorted[j]
                    );
                }
            }
        }
    }
}
