//! Semantic Versioning 2.0.0 precedence (§11): strict `MAJOR.MINOR.PATCH[-pre][+build]`, no
//! leading zeros, no `v` prefix; build metadata is ignored for ordering. Parsing is the
//! `semver` crate's; precedence is its `cmp_precedence`.

use std::cmp::Ordering;

use super::{MAX_VERSION_BYTES, VersionError, VersionScheme};

fn parse(text: &str) -> Result<semver::Version, VersionError> {
    if text.len() > MAX_VERSION_BYTES {
        return Err(VersionError::TooLong {
            scheme: VersionScheme::Semver,
            len: text.len(),
            max: MAX_VERSION_BYTES,
        });
    }
    semver::Version::parse(text).map_err(|_| VersionError::Invalid {
        scheme: VersionScheme::Semver,
        version: text.to_owned(),
        reason: "not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])",
    })
}

/// Compares two semantic versions by SemVer 2.0.0 precedence.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp_precedence(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        // SemVer 2.0.0 §11 example chain.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(
                compare(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
        }
        assert_eq!(compare("1.0.0+a", "1.0.0+b").unwrap(), Ordering::Equal);
        assert!(compare("01.0.0", "1.0.0").is_err());
        assert!(compare("v1.0.0", "1.0.0").is_err());
    }
}
