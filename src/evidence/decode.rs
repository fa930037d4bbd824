//! Transparent decompression of gzip, xz and zstd streams with a cap on the output size, so a
//! truncated or hostile stream ends in a typed error instead of a panic or an unbounded read.

use std::borrow::Cow;
use std::io::Read;

use crate::{Coded, FailureClass};

/// A compression format recognized by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// RFC 1952 gzip (`1f 8b`).
    Gzip,
    /// xz (`fd 37 7a 58 5a 00`).
    Xz,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

impl Compression {
    /// Recognizes the format from the first bytes, if compressed.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Self::Gzip)
        } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Self::Xz)
        } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Self::Zstd)
        } else {
            None
        }
    }

    /// The format's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Xz => "xz",
            Self::Zstd => "zstd",
        }
    }
}

/// Why a compressed stream could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The stream ends before its end marker.
    #[error("{format} stream is truncated (ends before its end marker)")]
    Truncated {
        /// The format.
        format: &'static str,
    },
    /// The stream is not valid for its format.
    #[error("{format} stream is corrupt: {detail}")]
    Corrupt {
        /// The format.
        format: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// The decompressed data exceeds the cap.
    #[error("{format} stream decompresses to more than {max_bytes} bytes")]
    TooLarge {
        /// The format.
        format: &'static str,
        /// The cap in bytes.
        max_bytes: u64,
    },
}

impl Coded for DecodeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "compressed-truncated",
            Self::Corrupt { .. } => "compressed-corrupt",
            Self::TooLarge { .. } => "decompressed-too-large",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// Reads all of `reader` (a decoder for `format`), at most `max_bytes`.
pub fn read_capped(
    reader: impl Read,
    format: &'static str,
    max_bytes: u64,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut limited = reader.take(max_bytes.saturating_add(1));
    match limited.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(DecodeError::Truncated { format });
        }
        Err(e) => {
            let detail = e.to_string();
            // xz2 and zstd report a cut stream as a generic error.
            if detail.contains("incomplete")
                || detail.contains("truncated")
                || detail.contains("end of")
            {
                return Err(DecodeError::Truncated { format });
            }
            return Err(DecodeError::Corrupt { format, detail });
        }
    }
    if out.len() as u64 > max_bytes {
        return Err(DecodeError::TooLarge { format, max_bytes });
    }
    Ok(out)
}

/// Decompresses `bytes` if they start with a gzip, xz or zstd magic; returns them unchanged
/// otherwise.
pub fn decompress_auto(bytes: &[u8], max_bytes: u64) -> Result<Cow<'_, [u8]>, DecodeError> {
    match Compression::sniff(bytes) {
        None => Ok(Cow::Borrowed(bytes)),
        Some(c) => decompress(c, bytes, max_bytes).map(Cow::Owned),
    }
}

/// Decompresses `bytes` in the given format.
pub fn decompress(c: Compression, bytes: &[u8], max_bytes: u64) -> Result<Vec<u8>, DecodeError> {
    match c {
        Compression::Gzip => {
            read_capped(flate2::read::MultiGzDecoder::new(bytes), "gzip", max_bytes)
        }
        Compression::Xz => read_capped(
            xz2::read::XzDecoder::new_multi_decoder(bytes),
            "xz",
            max_bytes,
        ),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(bytes).map_err(|e| {
                DecodeError::Corrupt {
                    format: "zstd",
                    detail: e.to_string(),
                }
            })?;
            read_capped(dec, "zstd", max_bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_round_trip_and_truncation() {
        let data = b"hello world ".repeat(1000);
        let z = gz(&data);
        assert_eq!(decompress_auto(&z, 1 << 20).unwrap().as_ref(), &data[..]);
        let cut = &z[..z.len() / 2];
        assert_eq!(
            decompress_auto(cut, 1 << 20).unwrap_err().code(),
            "compressed-truncated"
        );
        assert_eq!(
            decompress_auto(&z, 100).unwrap_err().code(),
            "decompressed-too-large"
        );
    }

    #[test]
    fn xz_truncation() {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(&b"abc".repeat(5000)).unwrap();
        let z = e.finish().unwrap();
        assert!(decompress_auto(&z, 1 << 20).is_ok());
        let err = decompress_auto(&z[..z.len() - 10], 1 << 20).unwrap_err();
        assert_eq!(err.code(), "compressed-truncated", "{err}");
    }

    #[test]
    fn plain_passes_through() {
        assert_eq!(decompress_auto(b"plain", 10).unwrap().as_ref(), b"plain");
    }
}
