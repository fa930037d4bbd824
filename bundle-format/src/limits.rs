//! Every size an attacker controls in a bundle, in one place, with documented defaults.
//!
//! The defaults are what `airlock` uses; they bound a reader's memory (the manifest is the only
//! thing held in memory, so memory is bounded by `max_manifest_bytes` and `max_entries`) and its
//! work (the decompression ratio and the total bytes bound how long a hostile bundle can keep a
//! reader busy). See `spec/bundle-format.md`, "Limits".

/// Caps applied while reading (and writing) a bundle. Units are in the field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest member (`manifest.dsse.json`, the DSSE envelope JSON) in bytes.
    /// Default 32 MiB: room for [`Limits::max_entries`] entries of about 300 bytes each.
    pub max_manifest_bytes: u64,
    /// Most entries a manifest may list. Default 100 000.
    pub max_entries: u64,
    /// Largest single entry in bytes. Default 4 GiB (ustar's octal size field holds < 8 GiB).
    pub max_entry_bytes: u64,
    /// Largest sum of all entry sizes in bytes. Default 64 GiB.
    pub max_total_bytes: u64,
    /// Longest entry path in bytes. Default 240 (ustar: 155-byte prefix + 100-byte name).
    pub max_path_bytes: usize,
    /// Most `/`-separated segments in an entry path. Default 16.
    pub max_path_depth: usize,
    /// Largest allowed ratio of decompressed to compressed bytes, checked continuously while
    /// reading (with [`RATIO_SLACK_BYTES`] of slack). Default 250.
    pub max_decompression_ratio: u64,
    /// Largest zstd window a reader accepts, as a power of two. Default 23 (8 MiB); writers use
    /// a 2 MiB window (see [`crate::archive::ZSTD_WINDOW_LOG`]).
    pub max_window_log: u32,
}

/// Decompressed bytes allowed beyond `ratio × compressed` before the ratio check applies, so
/// tiny bundles (whose framing overhead dominates) are never refused. 1 MiB.
pub const RATIO_SLACK_BYTES: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_manifest_bytes: 32 << 20,
            max_entries: 100_000,
            max_entry_bytes: 4 << 30,
            max_total_bytes: 64 << 30,
            max_path_bytes: 240,
            max_path_depth: 16,
            max_decompression_ratio: 250,
            max_window_log: 23,
        }
    }
}
