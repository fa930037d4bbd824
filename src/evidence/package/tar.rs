//! Reading the regular files of a (compressed) tar member: decompressed with the output cap,
//! walked with the `tar` crate, links and special files never followed or read, each file's
//! size capped, at most `max_archive_members` entries.

use std::io::Read;

use super::PackageError;
use crate::evidence::decode;
use crate::evidence::limits::Limits;

/// A regular file read from a tar: its path (leading `./` removed) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarFile {
    /// The path inside the archive.
    pub path: String,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Decompresses `bytes` (gzip/xz/zstd or plain) named `member`, and returns the regular files
/// whose path `want` accepts, in archive order.
///
/// # Errors
/// [`PackageError`] naming `member` for a corrupt stream, a bad tar header, or a cap.
pub fn files(
    member: &str,
    bytes: &[u8],
    limits: &Limits,
    want: impl Fn(&str) -> bool,
) -> Result<Vec<TarFile>, PackageError> {
    let raw = decode::decompress_auto(bytes, limits.max_decompressed_bytes).map_err(|e| {
        PackageError::Decode {
            member: member.to_owned(),
            source: e,
        }
    })?;
    let bad = |detail: String| PackageError::Archive {
        member: member.to_owned(),
        detail,
    };
    let mut archive = tar::Archive::new(raw.as_ref());
    let mut out = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a tar archive: {e}")))?;
    for (n, entry) in entries.enumerate() {
        if n >= limits.max_archive_members {
            return Err(PackageError::TooManyMembers {
                max: limits.max_archive_members,
            });
        }
        let mut entry = entry.map_err(|e| bad(format!("tar entry {n}: {e}")))?;
        // Regular files only: symlinks, hard links and devices are listed but never read.
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| bad(format!("tar entry {n}: bad path: {e}")))?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        if !want(&path) {
            continue;
        }
        let size = entry.size();
        if size > limits.max_decompressed_bytes {
            return Err(bad(format!(
                "{path}: {size} bytes exceeds the limit of {} bytes",
                limits.max_decompressed_bytes
            )));
        }
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("{path}: {e}")))?;
        out.push(TarFile { path, data });
    }
    Ok(out)
}
