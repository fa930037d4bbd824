//! RPM version ordering: `rpmvercmp` from `rpmio/rpmvercmp.c` (rpm >= 4.15, with `~` and `^`)
//! and EVR comparison as rpm 4.18's `rpmver` objects (`rpm.ver(a) < rpm.ver(b)` in rpm's Lua,
//! `rpm.labelCompare` in Python): a missing epoch equals `0`, a missing release sorts before
//! any release (even an empty one). rpm rejects only the empty EVR string; the length cap applies.

use std::cmp::Ordering;

use super::{MAX_VERSION_BYTES, VersionError, VersionScheme};

/// An RPM `[epoch:]version[-release]` split as rpm's `parseEVR` does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Evr {
    /// The epoch text, if present (empty epoch text becomes "0").
    pub epoch: Option<String>,
    /// The version.
    pub version: String,
    /// The release, if present (after the last hyphen).
    pub release: Option<String>,
}

impl Evr {
    /// Splits `text` as rpm's `parseEVR`: leading digits followed by `:` are the epoch, the last
    /// `-` after them starts the release.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.len() > MAX_VERSION_BYTES {
            return Err(VersionError::TooLong {
                scheme: VersionScheme::Rpm,
                len: text.len(),
                max: MAX_VERSION_BYTES,
            });
        }
        if text.is_empty() {
            return Err(VersionError::Invalid {
                scheme: VersionScheme::Rpm,
                version: String::new(),
                reason: "empty version",
            });
        }
        let b = text.as_bytes();
        let s = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let dash = text[s..].rfind('-').map(|p| p + s);
        let (epoch, vstart) = if b.get(s) == Some(&b':') {
            let e = &text[..s];
            (
                Some(if e.is_empty() {
                    "0".to_owned()
                } else {
                    e.to_owned()
                }),
                s + 1,
            )
        } else {
            (None, 0)
        };
        let (version, release) = match dash {
            Some(d) if d >= vstart => (&text[vstart..d], Some(text[d + 1..].to_owned())),
            _ => (&text[vstart..], None),
        };
        Ok(Self {
            epoch,
            version: version.to_owned(),
            release,
        })
    }
}

impl Ord for Evr {
    fn cmp(&self, other: &Self) -> Ordering {
        let e1 = self.epoch.as_deref().unwrap_or("0");
        let e2 = other.epoch.as_deref().unwrap_or("0");
        rpmvercmp(e1.as_bytes(), e2.as_bytes())
            .then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes()))
            .then_with(|| match (&self.release, &other.release) {
                (Some(r1), Some(r2)) => rpmvercmp(r1.as_bytes(), r2.as_bytes()),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
    }
}

impl PartialOrd for Evr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// rpm's `rpmvercmp` on two plain version (or release) strings.
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let at = |k: usize| a.get(k).copied().unwrap_or(0);
    let bt = |k: usize| b.get(k).copied().unwrap_or(0);
    let sep = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut one, mut two) = (0usize, 0usize);
    while at(one) != 0 || bt(two) != 0 {
        while sep(at(one)) {
            one += 1;
        }
        while sep(bt(two)) {
            two += 1;
        }
        // Tilde sorts before everything else.
        if at(one) == b'~' || bt(two) == b'~' {
            if at(one) != b'~' {
                return Ordering::Greater;
            }
            if bt(two) != b'~' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        // Caret: like tilde, except that the side that ended is older.
        if at(one) == b'^' || bt(two) == b'^' {
            if at(one) == 0 {
                return Ordering::Less;
            }
            if bt(two) == 0 {
                return Ordering::Greater;
            }
            if at(one) != b'^' {
                return Ordering::Greater;
            }
            if bt(two) != b'^' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        if at(one) == 0 || bt(two) == 0 {
            break;
        }
        let (mut s1, mut s2) = (one, two);
        let isnum = at(s1).is_ascii_digit();
        if isnum {
            while at(s1).is_ascii_digit() {
                s1 += 1;
            }
            while bt(s2).is_ascii_digit() {
                s2 += 1;
            }
        } else {
            while at(s1).is_ascii_alphabetic() {
                s1 += 1;
            }
            while bt(s2).is_ascii_alphabetic() {
                s2 += 1;
            }
        }
        if one == s1 {
            return Ordering::Less; // cannot happen (arbitrary in rpm)
        }
        if two == s2 {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut x, mut y) = (&a[one..s1], &b[two..s2]);
        if isnum {
            while x.first() == Some(&b'0') {
                x = &x[1..];
            }
            while y.first() == Some(&b'0') {
                y = &y[1..];
            }
            match x.len().cmp(&y.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match x.cmp(y) {
            Ordering::Equal => {}
            other => return other,
        }
        one = s1;
        two = s2;
    }
    if at(one) == 0 && bt(two) == 0 {
        return Ordering::Equal;
    }
    if at(one) == 0 {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// Compares two RPM `[epoch:]version[-release]` strings as rpm's `rpmverCmp` does.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Evr::parse(a)?.cmp(&Evr::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &str, b: &str) -> Ordering {
        rpmvercmp(a.as_bytes(), b.as_bytes())
    }

    #[test]
    fn basics() {
        assert_eq!(v("1.0", "1.0"), Ordering::Equal);
        assert_eq!(v("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(v("1.0^", "1.0"), Ordering::Greater);
        assert_eq!(v("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(v("1a", "1.1"), Ordering::Less);
        assert_eq!(compare("1:1.0", "2.0").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0-1", "1.0").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0-", "1.0").unwrap(), Ordering::Greater);
        assert_eq!(compare(":1.0", "0:1.0").unwrap(), Ordering::Equal);
        assert!(compare("", "1").is_err());
    }
}
