//! [`EntryPath`]: the name of a bundle entry, validated once so that nothing downstream can be
//! tricked into writing outside the directory it extracts to.
//!
//! From `spec/bundle-format.md` ("Entry paths"): a path is UTF-8, relative, `/`-separated,
//! normalized (no empty, `.` or `..` segments, no trailing `/`), has no backslash, NUL or control
//! character, each segment is at most 100 bytes, and it fits a ustar header (whole in the 100-byte
//! name field, or split at a `/` into a prefix of at most 155 bytes and a name of at most 100).
//! Length and depth caps come from [`crate::Limits`].

use std::fmt;

use crate::Limits;

/// Longest path segment in bytes (the ustar name field).
pub const MAX_SEGMENT_BYTES: usize = 100;
/// Size of the ustar `name` field.
pub const USTAR_NAME_BYTES: usize = 100;
/// Size of the ustar `prefix` field.
pub const USTAR_PREFIX_BYTES: usize = 155;

/// A validated, normalized, relative entry path.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryPath(String);

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    #[error("entry path is empty")]
    Empty,
    /// The path starts with `/` (or names a drive such as `C:`).
    #[error("entry path {0:?}: expected a relative path, found an absolute one")]
    Absolute(String),
    /// A `..` segment.
    #[error("entry path {0:?}: `..` segments are not allowed")]
    Traversal(String),
    /// Longer than the byte limit, a segment over 100 bytes, or not storable in a ustar header.
    #[error(
        "entry path {path:?}: {len} bytes, more than the limit of {max} (or not storable in ustar)"
    )]
    TooLong {
        /// The path (lossy).
        path: String,
        /// Its length in bytes.
        len: usize,
        /// The limit that was exceeded.
        max: usize,
    },
    /// More segments than allowed.
    #[error("entry path {path:?}: {depth} segments, more than the limit of {max}")]
    TooDeep {
        /// The path.
        path: String,
        /// Its number of segments.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// Not UTF-8, an empty or `.` segment, a trailing `/`, a backslash, NUL or control character.
    #[error("entry path {path:?}: {reason}")]
    Invalid {
        /// The path (lossy).
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl PathError {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty | Self::Invalid { .. } => "path-invalid",
            Self::Absolute(_) => "path-absolute",
            Self::Traversal(_) => "path-traversal",
            Self::TooLong { .. } => "path-too-long",
            Self::TooDeep { .. } => "path-too-deep",
        }
    }
}

impl EntryPath {
    /// Validates `text` structurally (everything but the configurable length and depth caps,
    /// which [`EntryPath::check_limits`] applies).
    ///
    /// # Errors
    /// [`PathError`] naming the rule that was broken.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        let invalid = |reason| PathError::Invalid {
            path: text.to_owned(),
            reason,
        };
        if text.starts_with('/') || has_drive_prefix(text) {
            return Err(PathError::Absolute(text.to_owned()));
        }
        if text.contains('\\') {
            return Err(invalid("backslashes are not allowed"));
        }
        if text.chars().any(char::is_control) {
            return Err(invalid("NUL and control characters are not allowed"));
        }
        for segment in text.split('/') {
            match segment {
                ".." => return Err(PathError::Traversal(text.to_owned())),
                "" => {
                    return Err(invalid(
                        "empty segments (`//`, trailing `/`) are not allowed",
                    ));
                }
                "." => return Err(invalid("`.` segments are not allowed")),
                s if s.len() > MAX_SEGMENT_BYTES => {
                    return Err(PathError::TooLong {
                        path: text.to_owned(),
                        len: s.len(),
                        max: MAX_SEGMENT_BYTES,
                    });
                }
                _ => {}
            }
        }
        if ustar_split(text).is_none() {
            return Err(PathError::TooLong {
                path: text.to_owned(),
                len: text.len(),
                max: USTAR_NAME_BYTES + 1 + USTAR_PREFIX_BYTES,
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// Validates raw bytes (as found in an archive header): UTF-8 first, then [`EntryPath::parse`].
    ///
    /// # Errors
    /// [`PathError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PathError> {
        let text = std::str::from_utf8(bytes).map_err(|_| PathError::Invalid {
            path: String::from_utf8_lossy(bytes).into_owned(),
            reason: "not valid UTF-8",
        })?;
        // Absolute and traversal checks come before anything else so the most telling code wins.
        Self::parse(text)
    }

    /// Applies the length and depth caps of `limits`.
    ///
    /// # Errors
    /// [`PathError::TooLong`] or [`PathError::TooDeep`].
    pub fn check_limits(&self, limits: &Limits) -> Result<(), PathError> {
        if self.0.len() > limits.max_path_bytes {
            return Err(PathError::TooLong {
                path: self.0.clone(),
                len: self.0.len(),
                max: limits.max_path_bytes,
            });
        }
        let depth = self.depth();
        if depth > limits.max_path_depth {
            return Err(PathError::TooDeep {
                path: self.0.clone(),
                depth,
                max: limits.max_path_depth,
            });
        }
        Ok(())
    }

    /// The path text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Number of `/`-separated segments.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.0.split('/').count()
    }

    /// The segments, first to last.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The ustar `(prefix, name)` split of this path (see [`ustar_split`]).
    #[must_use]
    pub fn ustar_fields(&self) -> (&str, &str) {
        ustar_split(&self.0).expect("validated paths always split")
    }
}

/// `C:` or `C:/...`: absolute on Windows, refused everywhere for portability.
fn has_drive_prefix(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Splits a path into ustar `prefix` and `name` fields, the one way the spec allows: whole in
/// `name` when it has at most 100 bytes; otherwise at the first `/` after which at most 100
/// bytes remain (the shortest possible prefix), which must leave a prefix of at most 155 bytes.
/// `None` if no such split exists.
#[must_use]
pub fn ustar_split(path: &str) -> Option<(&str, &str)> {
    if path.len() <= USTAR_NAME_BYTES {
        return Some(("", path));
    }
    let min_slash = path.len() - USTAR_NAME_BYTES - 1;
    let slash = path
        .bytes()
        .enumerate()
        .skip(min_slash)
        .find(|&(_, b)| b == b'/')?
        .0;
    if slash == 0 || slash > USTAR_PREFIX_BYTES {
        return None;
    }
    Some((&path[..slash], &path[slash + 1..]))
}

impl fmt::Display for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::str::FromStr for EntryPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for EntryPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for EntryPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for EntryPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::canonical::deserialize_parsed_str(deserializer, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_normal_paths() {
        for ok in [
            "a",
            "advisories/osv/GHSA-1.json",
            "a/b/c.d",
            "é/ü.json",
            "a..b/c",
        ] {
            EntryPath::parse(ok).unwrap();
        }
    }

    #[test]
    fn refuses_escapes_with_their_own_codes() {
        let code = |p: &str| EntryPath::parse(p).unwrap_err().code();
        assert_eq!(code("../x"), "path-traversal");
        assert_eq!(code("a/../../b"), "path-traversal");
        assert_eq!(code("a/.."), "path-traversal");
        assert_eq!(code("/etc/passwd"), "path-absolute");
        assert_eq!(code("C:/x"), "path-absolute");
        assert_eq!(code("a//b"), "path-invalid");
        assert_eq!(code("a/"), "path-invalid");
        assert_eq!(code("./a"), "path-invalid");
        assert_eq!(code("a\\b"), "path-invalid");
        assert_eq!(code("a\0b"), "path-invalid");
        assert_eq!(code(""), "path-invalid");
        assert_eq!(code(&"x".repeat(101)), "path-too-long");
        assert_eq!(
            code(&format!("{}/{}", "p".repeat(156), "n")),
            "path-too-long"
        );
        assert_eq!(
            EntryPath::from_bytes(b"a\xffb").unwrap_err().code(),
            "path-invalid"
        );
    }

    #[test]
    fn limits_apply_separately() {
        let deep = EntryPath::parse(&vec!["d"; 17].join("/")).unwrap();
        assert_eq!(
            deep.check_limits(&Limits::default()).unwrap_err().code(),
            "path-too-deep"
        );
        let long = EntryPath::parse(&format!(
            "{}/{}/{}",
            "a".repeat(100),
            "b".repeat(48),
            "c".repeat(100)
        ))
        .unwrap();
        assert_eq!(
            long.check_limits(&Limits::default()).unwrap_err().code(),
            "path-too-long"
        );
    }

    #[test]
    fn ustar_split_is_the_shortest_prefix() {
        assert_eq!(ustar_split("a/b"), Some(("", "a/b")));
        let long = format!("{}/{}/{}", "a".repeat(60), "b".repeat(60), "c".repeat(30));
        let (prefix, name) = ustar_split(&long).unwrap();
        assert_eq!(prefix, "a".repeat(60));
        assert_eq!(name.len(), 91);
    }
}
