//! Alpine (apk-tools) version ordering, following the token machine of apk-tools' current
//! `src/version.c` (the `token_first` / `token_next` / `token_cmp` design used since 2.12):
//! `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`.
//!
//! - Pre-release suffixes `_alpha < _beta < _pre < _rc` sort before the bare version, post-release
//!   suffixes `_cvs < _svn < _git < _hg < _p` after it.
//! - A dotted component where either side starts with `0` is compared as a string (Gentoo rule),
//!   so `1.01 < 1.1` and `1.0.05 < 1.0.4`.
//! - When one version runs out first, the longer one is newer unless it continues with a
//!   pre-release suffix; so `1.0 < 1.0-r0 < 1.0-r1` and `1.0_rc1 < 1.0 < 1.0_p1`.
//!
//! Versions that `apk_version_validate` refuses (including the empty string) are rejected.

use std::cmp::Ordering;

use super::{MAX_VERSION_BYTES, VersionError, VersionScheme};

/// Token kinds, in apk's order (the order is part of the comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `None` (no suffix) is the pivot between pre- and post-release.
const SUFFIXES: [(&str, u8); 9] = [
    ("alpha", 1),
    ("beta", 2),
    ("pre", 3),
    ("rc", 4),
    ("cvs", 6),
    ("svn", 7),
    ("git", 8),
    ("hg", 9),
    ("p", 10),
];
const SUFFIX_NONE: u8 = 5;

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    suffix: u8,
    number: u64,
    value: &'a [u8],
}

struct Tokens<'a> {
    rest: &'a [u8],
    tok: Token<'a>,
}

impl<'a> Tokens<'a> {
    fn first(s: &'a [u8]) -> Self {
        let mut t = Tokens {
            rest: s,
            tok: Token {
                kind: Kind::InitialDigit,
                suffix: 0,
                number: 0,
                value: &[],
            },
        };
        t.digits();
        t
    }

    fn digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (digits, rest) = self.rest.split_at(n);
        self.tok.value = digits;
        self.tok.number = digits.iter().fold(0u64, |acc, &c| {
            acc.saturating_mul(10).saturating_add(u64::from(c - b'0'))
        });
        self.rest = rest;
        if n == 0 {
            self.tok.kind = Kind::Invalid;
        }
    }

    fn span(&mut self, pred: fn(&u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|c| pred(c)).count();
        let (v, rest) = self.rest.split_at(n);
        self.rest = rest;
        v
    }

    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.tok.kind = Kind::End;
            return;
        };
        let prev = self.tok.kind;
        let kind = match c {
            b'a'..=b'z' if prev <= Kind::Digit => {
                self.tok.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                Kind::Letter
            }
            b'.' | b'0'..=b'9' if prev <= Kind::Digit || (c != b'.' && prev == Kind::Suffix) => {
                if c == b'.' {
                    self.rest = &self.rest[1..];
                }
                self.tok.kind = if prev == Kind::Suffix {
                    Kind::SuffixNo
                } else {
                    Kind::Digit
                };
                self.digits();
                return;
            }
            b'_' if prev <= Kind::SuffixNo => {
                self.rest = &self.rest[1..];
                let word = self.span(u8::is_ascii_lowercase);
                self.tok.value = word;
                match SUFFIXES.iter().find(|(s, _)| s.as_bytes() == word) {
                    Some(&(_, rank)) => {
                        self.tok.suffix = rank;
                        Kind::Suffix
                    }
                    None => Kind::Invalid,
                }
            }
            b'~' if prev < Kind::CommitHash => {
                self.rest = &self.rest[1..];
                let hash = self.span(u8::is_ascii_hexdigit);
                self.tok.value = hash;
                if hash.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::CommitHash
                }
            }
            b'-' if prev < Kind::RevisionNo && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                self.tok.kind = Kind::RevisionNo;
                self.digits();
                return;
            }
            _ => Kind::Invalid,
        };
        self.tok.kind = kind;
    }
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => {
            a.number.cmp(&b.number)
        }
        Kind::Letter => a.value.first().cmp(&b.value.first()),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Whether apk-tools accepts `version` (`apk_version_validate`).
pub fn validate(version: &str) -> bool {
    let mut t = Tokens::first(version.as_bytes());
    while t.tok.kind < Kind::End {
        t.next();
    }
    t.tok.kind == Kind::End
}

fn check(version: &str) -> Result<(), VersionError> {
    if version.len() > MAX_VERSION_BYTES {
        return Err(VersionError::TooLong {
            scheme: VersionScheme::Apk,
            len: version.len(),
            max: MAX_VERSION_BYTES,
        });
    }
    if !validate(version) {
        return Err(VersionError::Invalid {
            scheme: VersionScheme::Apk,
            version: version.to_owned(),
            reason: "not an apk version (digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#})",
        });
    }
    Ok(())
}

/// Compares two apk versions as `apk version -t` does; invalid versions are rejected.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    check(a)?;
    check(b)?;
    let mut ta = Tokens::first(a.as_bytes());
    let mut tb = Tokens::first(b.as_bytes());
    while ta.tok.kind == tb.tok.kind && ta.tok.kind < Kind::End {
        match token_cmp(&ta.tok, &tb.tok) {
            Ordering::Equal => {}
            other => return Ok(other),
        }
        ta.next();
        tb.next();
    }
    let (ka, kb) = (ta.tok.kind, tb.tok.kind);
    if ka == kb {
        return Ok(Ordering::Equal);
    }
    // Leading components equal: the longer version is newer unless it continues with a
    // pre-release suffix.
    if ka == Kind::Suffix && ta.tok.suffix < SUFFIX_NONE {
        return Ok(Ordering::Less);
    }
    if kb == Kind::Suffix && tb.tok.suffix < SUFFIX_NONE {
        return Ok(Ordering::Greater);
    }
    Ok(kb.cmp(&ka))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("1.0_rc1", "1.0");
        lt("1.0", "1.0_p1");
        lt("1.0_alpha", "1.0_beta");
        lt("1.0_beta2", "1.0_pre1");
        lt("1.0_pre1", "1.0_rc1");
        lt("1.0-r0", "1.0-r1");
        lt("1.0", "1.0-r1");
        lt("1.0", "1.0-r0");
        lt("1.0", "1.0a");
        lt("1.0a", "1.0b");
        lt("1.2", "1.10");
        lt("1.0", "1.0.1");
        lt("2.9.14-r1", "2.10.3-r0");
        lt("1.0.05", "1.0.4");
        assert_eq!(compare("1.0~abc", "1.0~abc").unwrap(), Ordering::Equal);
        assert!(compare("1.0-beta", "1.0").is_err());
        assert!(compare("abc", "1.0").is_err());
        assert!(compare("1.0_foo", "1.0").is_err());
        assert!(compare("", "1.0").is_err());
        assert!(compare("1.", "1.0").is_err());
    }
}
