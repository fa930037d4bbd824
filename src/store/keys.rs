//! Composite keys: NUL-separated UTF-8 components (`spec/store.md` §3.1). Because 0x00 sorts
//! below every other byte, bytewise key order is the lexicographic order of the component
//! tuples, and "every row for (c1, c2)" is one range scan.

/// Longest key component, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 1024;

/// Why a key component was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A component is empty.
    #[error("key component {index} is empty")]
    Empty {
        /// Position of the component (0-based).
        index: usize,
    },
    /// A component contains a NUL byte.
    #[error("key component {index} {text:?} contains a NUL byte")]
    Nul {
        /// Position of the component (0-based).
        index: usize,
        /// The component (lossy).
        text: String,
    },
    /// A component is longer than [`MAX_COMPONENT_BYTES`].
    #[error("key component {index} is {len} bytes, more than the limit of {max}")]
    TooLong {
        /// Position of the component (0-based).
        index: usize,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Joins `parts` into a key, checking each component.
///
/// # Errors
/// [`KeyError`] for an empty, NUL-bearing or over-long component.
pub fn encode<S: AsRef<str>>(parts: &[S]) -> Result<Vec<u8>, KeyError> {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.as_ref().len() + 1).sum());
    for (index, part) in parts.iter().enumerate() {
        let part = part.as_ref();
        if part.is_empty() {
            return Err(KeyError::Empty { index });
        }
        if part.len() > MAX_COMPONENT_BYTES {
            return Err(KeyError::TooLong {
                index,
                len: part.len(),
                max: MAX_COMPONENT_BYTES,
            });
        }
        if part.as_bytes().contains(&0) {
            return Err(KeyError::Nul {
                index,
                text: part.replace('\0', "\\0"),
            });
        }
        if index > 0 {
            key.push(0);
        }
        key.extend_from_slice(part.as_bytes());
    }
    Ok(key)
}

/// Splits a key into its components (lossy UTF-8, for display and checks).
#[must_use]
pub fn decode(key: &[u8]) -> Vec<String> {
    key.split(|b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// The half-open byte range `[start, end)` of every key whose first components are `prefix`.
///
/// # Errors
/// As [`encode`].
pub fn prefix_range<S: AsRef<str>>(prefix: &[S]) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let mut start = encode(prefix)?;
    start.push(0);
    let mut end = start.clone();
    *end.last_mut().expect("just pushed") = 1;
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_prefix() {
        let a = encode(&["CVE-1", "pkg:deb/debian/a"]).unwrap();
        let b = encode(&["CVE-1", "pkg:deb/debian/a", "x"]).unwrap();
        let c = encode(&["CVE-10", "pkg:deb/debian/a"]).unwrap();
        assert!(a < b && b < c);
        let (s, e) = prefix_range(&["CVE-1"]).unwrap();
        assert!(s <= b && b < e);
        assert!(!(s <= c && c < e));
        assert_eq!(decode(&b), vec!["CVE-1", "pkg:deb/debian/a", "x"]);
        assert!(matches!(
            encode(&["a", ""]),
            Err(KeyError::Empty { index: 1 })
        ));
        assert!(matches!(encode(&["a\0b"]), Err(KeyError::Nul { .. })));
        assert!(matches!(
            encode(&["x".repeat(1025)]),
            Err(KeyError::TooLong { .. })
        ));
    }
}
