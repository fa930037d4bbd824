//! Size caps for the changelog, patch and package readers. Every size an attacker controls is
//! bounded here; a reader that would exceed a cap stops with a typed error naming the cap.

/// Caps applied while reading evidence files. [`Limits::default`] is what the CLI and the
/// bundle importer use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input file read, in bytes (compressed size for compressed inputs).
    pub max_input_bytes: u64,
    /// Largest decompressed stream (a gzip/xz/zstd changelog, patch or archive member), in bytes.
    pub max_decompressed_bytes: u64,
    /// Most changelog entries read from one changelog.
    pub max_changelog_entries: usize,
    /// Most files in one patch.
    pub max_patch_files: usize,
    /// Most hunks in one patch.
    pub max_patch_hunks: usize,
    /// Most members walked in one archive (ar members and tar entries together).
    pub max_archive_members: usize,
    /// Most patches read from one source package's `debian/patches`.
    pub max_patches: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 512 * 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_changelog_entries: 20_000,
            max_patch_files: 10_000,
            max_patch_hunks: 100_000,
            max_archive_members: 100_000,
            max_patches: 5_000,
        }
    }
}
