//! Debian (dpkg) version parsing and ordering, following `lib/dpkg/parsehelp.c`
//! (`parseversion`) and `lib/dpkg/version.c` (`verrevcmp`, `dpkg_version_compare`) byte for
//! byte, so that [`compare`] agrees with `dpkg --compare-versions`.
//!
//! dpkg distinguishes hard errors (empty version, bad epoch, empty revision, embedded spaces),
//! which make `dpkg --compare-versions` fail, from warnings (version not starting with a
//! digit, invalid characters), after which dpkg still compares. [`DebVersion::parse`] rejects
//! exactly the hard errors; [`DebVersion::lint`] reports the warning dpkg would print.

use std::cmp::Ordering;

use super::{MAX_VERSION_BYTES, VersionError, VersionScheme};

/// A parsed dpkg version: `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DebVersion {
    /// The epoch (0 when absent).
    pub epoch: u32,
    /// The upstream version (between the epoch colon and the last hyphen).
    pub upstream: String,
    /// The Debian revision after the last hyphen ("" when absent).
    pub revision: String,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn invalid(version: &str, reason: &'static str) -> VersionError {
    VersionError::Invalid {
        scheme: VersionScheme::Deb,
        version: version.to_owned(),
        reason,
    }
}

impl DebVersion {
    /// Parses `text` as dpkg's `parseversion` does, rejecting what dpkg treats as an error.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.len() > MAX_VERSION_BYTES {
            return Err(VersionError::TooLong {
                scheme: VersionScheme::Deb,
                len: text.len(),
                max: MAX_VERSION_BYTES,
            });
        }
        let bytes = text.as_bytes();
        // Trim leading and trailing blanks; nothing but blanks may follow the version.
        let mut start = 0;
        while start < bytes.len() && is_blank(bytes[start]) {
            start += 1;
        }
        if start == bytes.len() {
            return Err(invalid(text, "version string is empty"));
        }
        let mut end = start;
        while end < bytes.len() && !is_blank(bytes[end]) {
            end += 1;
        }
        if bytes[end..].iter().any(|&b| !is_blank(b)) {
            return Err(invalid(text, "version string has embedded spaces"));
        }
        let word = &text[start..end];
        let wb = word.as_bytes();
        let (epoch, rest) = match wb.iter().position(|&b| b == b':') {
            Some(colon) => {
                let epoch = parse_epoch(word, &wb[..colon])?;
                if colon + 1 == wb.len() {
                    return Err(invalid(text, "nothing after colon in version number"));
                }
                (epoch, &word[colon + 1..])
            }
            None => (0, word),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(h) => {
                if h + 1 == rest.len() {
                    return Err(invalid(text, "revision number is empty"));
                }
                (&rest[..h], &rest[h + 1..])
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(invalid(text, "version number is empty"));
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// The warning dpkg prints for this version, if any (dpkg still compares such versions).
    pub fn lint(&self) -> Option<&'static str> {
        let up = self.upstream.as_bytes();
        if !up.first().is_some_and(u8::is_ascii_digit) {
            return Some("version number does not start with digit");
        }
        if up[1..]
            .iter()
            .any(|&b| !b.is_ascii_alphanumeric() && !b".-+~:".contains(&b))
        {
            return Some("invalid character in version number");
        }
        if self
            .revision
            .bytes()
            .any(|b| !b.is_ascii_alphanumeric() && !b".+~".contains(&b))
        {
            return Some("invalid character in revision number");
        }
        None
    }
}

/// The epoch as C `strtol(.., 10)` reads it, with dpkg's checks: the digits must run up to the
/// colon, be non-negative and fit an `int`.
fn parse_epoch(word: &str, field: &[u8]) -> Result<u32, VersionError> {
    let mut i = 0;
    // strtol skips C isspace(); blanks were trimmed already, the others may remain.
    while i < field.len() && matches!(field[i], b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < field.len() && (field[i] == b'+' || field[i] == b'-') {
        negative = field[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut value: u64 = 0;
    while i < field.len() && field[i].is_ascii_digit() {
        value = value
            .saturating_mul(10)
            .saturating_add(u64::from(field[i] - b'0'));
        i += 1;
    }
    if i == digits_start {
        // strtol consumed nothing: its end pointer is the start of the string.
        return Err(invalid(word, "epoch in version is empty"));
    }
    if i != field.len() {
        return Err(invalid(word, "epoch in version is not number"));
    }
    if negative && value != 0 {
        // strtol saturates at LONG_MIN with ERANGE; either way dpkg reports a negative epoch.
        return Err(invalid(word, "epoch in version is negative"));
    }
    u32::try_from(value)
        .ok()
        .filter(|&v| v <= i32::MAX as u32)
        .ok_or_else(|| invalid(word, "epoch in version is too big"))
}

/// dpkg's `order()`: digits 0, letters their code, `~` -1, end 0, other bytes code + 256
/// (with C's signed `char`, so bytes >= 0x80 land between letters and punctuation).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c as i8) + 256,
    }
}

/// dpkg's `verrevcmp`: alternate non-digit runs (compared by [`order`]) and digit runs
/// (compared numerically).
pub fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let at = |k: usize| a.get(k).copied();
    let bt = |k: usize| b.get(k).copied();
    let nondigit = |c: Option<u8>| c.is_some_and(|c| !c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while nondigit(at(i)) || nondigit(bt(j)) {
            let ac = order(at(i));
            let bc = order(bt(j));
            if ac != bc {
                return (ac - bc).cmp(&0);
            }
            i += 1;
            j += 1;
        }
        while at(i) == Some(b'0') {
            i += 1;
        }
        while bt(j) == Some(b'0') {
            j += 1;
        }
        while at(i).is_some_and(|c| c.is_ascii_digit()) && bt(j).is_some_and(|c| c.is_ascii_digit())
        {
            if first_diff == 0 {
                first_diff = i32::from(a[i]) - i32::from(b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if bt(j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for DebVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

/// Compares two dpkg versions as `dpkg --compare-versions` does.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(DebVersion::parse(a)?.cmp(&DebVersion::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(compare("1.0~rc1", "1.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1:1.0", "2.0").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0-1", "1.0-1").unwrap(), Ordering::Equal);
        assert_eq!(compare("0:1.0", "1.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0", "1.0-0").unwrap(), Ordering::Equal);
        assert!(compare("1.0-", "1").is_err());
        assert!(compare("a:1", "1").is_err());
        assert!(compare("-1:1", "1").is_err());
        assert!(compare("1 2", "1").is_err());
        assert_eq!(compare(" 1.0 ", "1.0").unwrap(), Ordering::Equal);
    }

    #[test]
    fn warnings_still_compare() {
        let v = DebVersion::parse("a1.0").unwrap();
        assert_eq!(v.lint(), Some("version number does not start with digit"));
    }
}
