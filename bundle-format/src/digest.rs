//! Content digests: one type for `sha256:<hex>` and `blake3:<hex>`, and a streaming hasher that
//! computes both in a single pass over the data.
//!
//! Invariant: a [`Digest`] always holds exactly 32 bytes; its text form is the algorithm name,
//! a colon and 64 lowercase hex digits, nothing else (no uppercase, no whitespace).

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

use sha2::Digest as _;

/// The hash algorithms a [`Digest`] may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// BLAKE3 with its default 32-byte output.
    Blake3,
}

impl DigestAlgorithm {
    /// The algorithm's prefix in the text form (`sha256`, `blake3`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Blake3 => "blake3",
        }
    }

    /// Hashes `data` in one call.
    #[must_use]
    pub fn hash(self, data: &[u8]) -> Digest {
        let bytes: [u8; 32] = match self {
            Self::Sha256 => sha2::Sha256::digest(data).into(),
            Self::Blake3 => *blake3::hash(data).as_bytes(),
        };
        Digest {
            algorithm: self,
            bytes,
        }
    }
}

/// A 32-byte digest tagged with its algorithm.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    bytes: [u8; 32],
}

/// Why a digest string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestParseError {
    /// The text has no `algorithm:` prefix.
    #[error(
        "digest {0:?}: expected `sha256:<64 hex>` or `blake3:<64 hex>`, found no algorithm prefix"
    )]
    MissingAlgorithm(String),
    /// The prefix names an algorithm we do not support.
    #[error("digest {0:?}: unknown algorithm, expected `sha256` or `blake3`")]
    UnknownAlgorithm(String),
    /// The hex part is not 64 lowercase hex digits.
    #[error("digest {0:?}: expected 64 lowercase hex digits after the prefix")]
    BadHex(String),
}

impl Digest {
    /// Wraps raw digest bytes.
    #[must_use]
    pub fn new(algorithm: DigestAlgorithm, bytes: [u8; 32]) -> Self {
        Self { algorithm, bytes }
    }

    /// SHA-256 of `data`.
    #[must_use]
    pub fn sha256(data: &[u8]) -> Self {
        DigestAlgorithm::Sha256.hash(data)
    }

    /// BLAKE3 of `data`.
    #[must_use]
    pub fn blake3(data: &[u8]) -> Self {
        DigestAlgorithm::Blake3.hash(data)
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The lowercase hex of the bytes, without prefix.
    #[must_use]
    pub fn hex(&self) -> String {
        hex::encode(self.bytes)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex_part) = s
            .split_once(':')
            .ok_or_else(|| DigestParseError::MissingAlgorithm(s.to_owned()))?;
        let algorithm = match alg {
            "sha256" => DigestAlgorithm::Sha256,
            "blake3" => DigestAlgorithm::Blake3,
            _ => return Err(DigestParseError::UnknownAlgorithm(s.to_owned())),
        };
        let valid = hex_part.len() == 64
            && hex_part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(DigestParseError::BadHex(s.to_owned()));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes)
            .map_err(|_| DigestParseError::BadHex(s.to_owned()))?;
        Ok(Self { algorithm, bytes })
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::canonical::deserialize_parsed_str(deserializer, str::parse)
    }
}

/// Size and both digests of one stream of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigests {
    /// Number of bytes hashed.
    pub size: u64,
    /// SHA-256 of the bytes.
    pub sha256: Digest,
    /// BLAKE3 of the bytes.
    pub blake3: Digest,
}

/// Feeds bytes to SHA-256 and BLAKE3 at once.
#[derive(Clone, Default)]
pub struct DualHasher {
    size: u64,
    sha256: sha2::Sha256,
    blake3: blake3::Hasher,
}

impl fmt::Debug for DualHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DualHasher")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl DualHasher {
    /// A hasher that has seen no bytes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        self.sha256.update(data);
        self.blake3.update(data);
    }

    /// The digests of everything added so far.
    #[must_use]
    pub fn finish(self) -> FileDigests {
        FileDigests {
            size: self.size,
            sha256: Digest::new(DigestAlgorithm::Sha256, self.sha256.finalize().into()),
            blake3: Digest::new(DigestAlgorithm::Blake3, *self.blake3.finalize().as_bytes()),
        }
    }
}

/// Hashes everything `reader` yields in one streaming pass (64 KiB buffer, bounded memory).
///
/// # Errors
/// Any I/O error of the reader.
pub fn hash_reader<R: Read>(mut reader: R) -> io::Result<FileDigests> {
    let mut hasher = DualHasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_for_empty_input() {
        let d = hash_reader(&b""[..]).unwrap();
        assert_eq!(d.size, 0);
        assert_eq!(
            d.sha256.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            d.blake3.to_string(),
            "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn text_form_round_trips_and_rejects_bad_input() {
        let d = Digest::sha256(b"abc");
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        for bad in [
            "sha256",
            "md5:00",
            "sha256:ABC",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}", "0".repeat(63)),
            &format!("blake3:{} ", "0".repeat(64)),
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let d = hash_reader(&data[..]).unwrap();
        assert_eq!(d.sha256, Digest::sha256(&data));
        assert_eq!(d.blake3, Digest::blake3(&data));
        assert_eq!(d.size, 200_000);
    }
}
