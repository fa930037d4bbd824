//! Content-defined chunking: FastCDC v2020 with parameters fixed by `spec/delta-format.md` §4.
//!
//! A chunk's identity is the SHA-256 (and BLAKE3) of its bytes, never the gear hash the chunker
//! reports (that hash is an implementation detail and changed between fastcdc releases).

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// Minimum chunk size in bytes (spec §4).
pub const MIN_CHUNK_BYTES: usize = 2048;
/// Average (target) chunk size in bytes (spec §4).
pub const AVG_CHUNK_BYTES: usize = 8192;
/// Maximum chunk size in bytes (spec §4).
pub const MAX_CHUNK_BYTES: usize = 65536;
/// The chunking algorithm's name as recorded in the manifest.
pub const CHUNKING_ALGORITHM: &str = "fastcdc-v2020";
/// FastCDC normalization level (spec §4).
pub const NORMALIZATION_LEVEL: u8 = 1;

/// One chunk of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkRef {
    /// Byte offset in the artifact.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// SHA-256 of the chunk bytes (the chunk id).
    pub sha256: Digest,
    /// BLAKE3 of the chunk bytes.
    pub blake3: Digest,
}

/// Splits `data` into chunks with the fixed parameters and hashes each one.
#[must_use]
pub fn chunk(data: &[u8]) -> Vec<ChunkRef> {
    fastcdc::v2020::FastCDC::with_level(
        data,
        MIN_CHUNK_BYTES,
        AVG_CHUNK_BYTES,
        MAX_CHUNK_BYTES,
        fastcdc::v2020::Normalization::Level1,
    )
    .map(|c| {
        let bytes = &data[c.offset..c.offset + c.length];
        ChunkRef {
            offset: c.offset as u64,
            length: c.length as u64,
            sha256: Digest::sha256(bytes),
            blake3: Digest::blake3(bytes),
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input_and_resync_after_an_insertion() {
        let mut x: u64 = 1;
        let data: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let a = chunk(&data);
        assert_eq!(a.iter().map(|c| c.length).sum::<u64>(), data.len() as u64);
        assert!(a.iter().all(|c| c.length as usize <= MAX_CHUNK_BYTES));
        let mut edited = data.clone();
        edited.splice(1000..1000, b"inserted bytes".iter().copied());
        let b = chunk(&edited);
        let ids: std::collections::BTreeSet<_> = a.iter().map(|c| c.sha256).collect();
        let shared = b.iter().filter(|c| ids.contains(&c.sha256)).count();
        assert!(
            shared + 2 >= b.len(),
            "only the edited chunk(s) should differ"
        );
    }
}
