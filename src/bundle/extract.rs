//! Extracting a verified bundle: every entry goes through its validated [`bundle_format::EntryPath`]
//! into a fresh temporary directory beside the target (files opened with `create_new`, so an
//! existing link is never followed), and the directory is renamed into place only after the
//! whole bundle verified. On any failure nothing is left behind.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::verify::{AuthenticatedBundle, VerifyError};
use crate::error::{Coded, FailureClass};

/// Why extraction failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The bundle failed verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The target exists already.
    #[error("{}: already exists; extract into a new directory", .0.display())]
    Exists(PathBuf),
    /// Writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl Coded for ExtractError {
    fn code(&self) -> &'static str {
        match self {
            Self::Verify(e) => e.code(),
            Self::Exists(_) => "output-exists",
            Self::Io { .. } => "io-error",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Verify(e) => e.class(),
            _ => FailureClass::CouldNotRun,
        }
    }
}

/// Entries and bytes written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractSummary {
    /// Files written.
    pub entries: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Streams every entry of `bundle` into a new directory `to`.
///
/// # Errors
/// [`ExtractError`]; the target is untouched on error.
pub fn extract<R: Read>(
    bundle: &mut AuthenticatedBundle<R>,
    to: &Path,
) -> Result<ExtractSummary, ExtractError> {
    if fs::symlink_metadata(to).is_ok() {
        return Err(ExtractError::Exists(to.to_path_buf()));
    }
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Io { path, source }
    };
    let staging = tempfile::Builder::new()
        .prefix(".airlock-extract-")
        .tempdir_in(&parent)
        .map_err(io_err(&parent))?;
    let mut summary = ExtractSummary {
        entries: 0,
        bytes: 0,
    };
    while let Some(mut entry) = bundle.next_entry().map_err(VerifyError::from)? {
        let mut target = staging.path().to_path_buf();
        let segments: Vec<&str> = entry.entry().path.segments().collect();
        let (file_name, dirs) = segments.split_last().expect("paths have a segment");
        for dir in dirs {
            target.push(dir);
            match fs::symlink_metadata(&target) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(_) => {
                    return Err(ExtractError::Io {
                        path: target,
                        source: io::Error::other("expected a directory we created"),
                    });
                }
                Err(_) => fs::create_dir(&target).map_err(io_err(&target))?,
            }
        }
        target.push(file_name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io_err(&target))?;
        let mut buf = vec![0u8; 256 * 1024];
        // A read failure is reported precisely by `finish` below.
        while let Ok(n @ 1..) = entry.read(&mut buf) {
            io::Write::write_all(&mut file, &buf[..n]).map_err(io_err(&target))?;
            summary.bytes += n as u64;
        }
        entry.finish().map_err(VerifyError::from)?;
        summary.entries += 1;
    }
    let kept = staging.keep();
    if let Err(e) = fs::rename(&kept, to) {
        let _ = fs::remove_dir_all(&kept);
        return Err(ExtractError::Io {
            path: to.to_path_buf(),
            source: e,
        });
    }
    Ok(summary)
}
