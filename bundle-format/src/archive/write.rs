//! [`BundleWriter`]: streams a bundle whose manifest is already signed.
//!
//! The manifest comes first in the archive yet lists every entry's digests, so the caller hashes
//! its inputs first (see [`crate::digest::hash_reader`]), builds and signs the manifest, then
//! streams the same inputs through the writer. The writer recomputes each entry's size and BLAKE3
//! while writing and refuses content that differs from the signed manifest (a file changed
//! between the two passes), so a bundle it finishes always verifies.

use std::io::{self, Read, Write};

use zstd::stream::raw::{self, CParameter};
use zstd::stream::write::Encoder;
use zstd::stream::zio;

use super::{BLOCK_BYTES, ZSTD_LEVEL, ZSTD_WINDOW_LOG, canonical_header, padding_bytes};
use crate::Limits;
use crate::digest::Digest;
use crate::dsse::Envelope;
use crate::manifest::{MANIFEST_MEMBER, MANIFEST_PAYLOAD_TYPE, Manifest, ManifestError};
use crate::path::EntryPath;

/// How to compress. Nothing here changes the output bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// zstd worker threads (at least 1). zstd's multithreaded mode produces the same bytes for
    /// any number of workers ≥ 1 (tested in this crate), so this only changes speed.
    pub threads: u32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self { threads: 2 }
    }
}

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Writing the output or reading an input failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The envelope's payload type is not the manifest's.
    #[error("manifest envelope payloadType {found:?}: expected {MANIFEST_PAYLOAD_TYPE:?}")]
    PayloadType {
        /// What the envelope says.
        found: String,
    },
    /// The envelope carries no signature.
    #[error("manifest envelope has no signatures; sign it before writing")]
    Unsigned,
    /// The envelope's payload is not a valid manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The envelope JSON is larger than [`Limits::max_manifest_bytes`].
    #[error("manifest envelope is {size} bytes, more than the limit of {max}")]
    ManifestTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Entries must be appended in manifest order; this is not the next one.
    #[error("entry {path}: expected {expected} next (manifest order)")]
    OutOfOrder {
        /// The path given.
        path: EntryPath,
        /// The path the manifest lists next.
        expected: String,
    },
    /// The data is not what the manifest says (size or BLAKE3); the input changed.
    #[error("entry {path}: content differs from the manifest ({what}); did the file change?")]
    ContentMismatch {
        /// The entry.
        path: EntryPath,
        /// Which property differs.
        what: String,
    },
    /// `finish` before every manifest entry was appended.
    #[error("entry {path}: listed in the manifest but never appended")]
    Missing {
        /// The first entry not appended.
        path: EntryPath,
    },
}

impl WriteError {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io-error",
            Self::PayloadType { .. } => "payload-type-wrong",
            Self::Unsigned => "manifest-unsigned",
            Self::Manifest(e) => e.code(),
            Self::ManifestTooLarge { .. } => "manifest-too-large",
            Self::OutOfOrder { .. } => "entry-out-of-order",
            Self::ContentMismatch { .. } => "input-changed",
            Self::Missing { .. } => "entry-missing",
        }
    }
}

/// Writes a bundle: the signed manifest first, then each entry in manifest order.
///
/// ```no_run
/// # fn demo(envelope: bundle_format::Envelope, files: Vec<(bundle_format::EntryPath, std::fs::File)>)
/// # -> Result<(), bundle_format::archive::WriteError> {
/// use bundle_format::{BundleWriter, Limits, WriteOptions};
/// let out = std::fs::File::create("bundle.airlock")?;
/// let mut writer = BundleWriter::new(out, &envelope, &Limits::default(), WriteOptions::default())?;
/// for (path, mut file) in files {
///     writer.append(&path, &mut file)?;
/// }
/// writer.finish()?;
/// # Ok(()) }
/// ```
pub struct BundleWriter<W: Write> {
    encoder: Encoder<'static, W>,
    manifest: Manifest,
    next: usize,
    buf: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for BundleWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleWriter")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// A zstd context with the parameters both frames use. One context writes both frames, so the
/// multithreaded context (worker threads, job buffers) is set up once.
fn raw_encoder(options: WriteOptions) -> io::Result<raw::Encoder<'static>> {
    let mut enc = raw::Encoder::new(ZSTD_LEVEL)?;
    enc.set_parameter(CParameter::ChecksumFlag(true))?;
    enc.set_parameter(CParameter::ContentSizeFlag(false))?;
    enc.set_parameter(CParameter::DictIdFlag(false))?;
    enc.set_parameter(CParameter::WindowLog(ZSTD_WINDOW_LOG))?;
    enc.set_parameter(CParameter::NbWorkers(options.threads.max(1)))?;
    Ok(enc)
}

impl<W: Write> BundleWriter<W> {
    /// Starts a bundle: checks that `envelope` is a signed manifest envelope whose payload is a
    /// valid manifest under `limits`, and writes it as the first frame.
    ///
    /// # Errors
    /// [`WriteError`].
    pub fn new(
        out: W,
        envelope: &Envelope,
        limits: &Limits,
        options: WriteOptions,
    ) -> Result<Self, WriteError> {
        let manifest = Manifest::from_payload(&envelope.payload, limits)?;
        Self::start(out, envelope, manifest, limits, options)
    }

    /// Starts a bundle from a manifest the caller built: validates it under `limits`, wraps its
    /// payload in an envelope, lets `sign` sign it, and writes it as the first frame. Returns the
    /// envelope too. Unlike [`BundleWriter::new`] this does not parse the payload back, which
    /// for a large manifest costs more memory than everything else (the payload comes from
    /// `manifest`, so they cannot differ).
    ///
    /// # Errors
    /// [`WriteError`].
    pub fn from_manifest(
        out: W,
        manifest: Manifest,
        sign: impl FnOnce(&mut Envelope),
        limits: &Limits,
        options: WriteOptions,
    ) -> Result<(Self, Envelope), WriteError> {
        manifest.validate(limits)?;
        let mut envelope = Envelope::new(MANIFEST_PAYLOAD_TYPE, manifest.to_payload());
        sign(&mut envelope);
        let writer = Self::start(out, &envelope, manifest, limits, options)?;
        Ok((writer, envelope))
    }

    /// Checks the envelope around `manifest` and writes it as the first frame.
    fn start(
        out: W,
        envelope: &Envelope,
        manifest: Manifest,
        limits: &Limits,
        options: WriteOptions,
    ) -> Result<Self, WriteError> {
        if envelope.payload_type != MANIFEST_PAYLOAD_TYPE {
            return Err(WriteError::PayloadType {
                found: envelope.payload_type.clone(),
            });
        }
        if envelope.signatures.is_empty() {
            return Err(WriteError::Unsigned);
        }
        let json = envelope.to_json();
        let size = json.len() as u64;
        if size > limits.max_manifest_bytes {
            return Err(WriteError::ManifestTooLarge {
                size,
                max: limits.max_manifest_bytes,
            });
        }
        let mut first = zio::Writer::new(out, raw_encoder(options)?);
        first.write_all(
            &canonical_header(MANIFEST_MEMBER, size).expect("the manifest name fits ustar"),
        )?;
        first.write_all(&json)?;
        first.write_all(&[0u8; BLOCK_BYTES][..padding_bytes(size)])?;
        first.finish()?;
        // The frame ended, so the context starts a new frame with the same parameters.
        let (out, context) = first.into_inner();
        Ok(Self {
            encoder: Encoder::with_encoder(out, context),
            manifest,
            next: 0,
            buf: vec![0u8; 256 * 1024],
        })
    }

    /// The manifest being written.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Appends the next entry, reading its content from `data` until EOF.
    ///
    /// # Errors
    /// [`WriteError::OutOfOrder`] if `path` is not the next manifest entry,
    /// [`WriteError::ContentMismatch`] if the bytes differ from the manifest, or I/O errors.
    pub fn append<R: Read + ?Sized>(
        &mut self,
        path: &EntryPath,
        data: &mut R,
    ) -> Result<(), WriteError> {
        let Some(entry) = self.manifest.entries.get(self.next) else {
            return Err(WriteError::OutOfOrder {
                path: path.clone(),
                expected: "no further entry".into(),
            });
        };
        if &entry.path != path {
            return Err(WriteError::OutOfOrder {
                path: path.clone(),
                expected: entry.path.to_string(),
            });
        }
        let size = entry.size;
        let header = canonical_header(path.as_str(), size)
            .expect("validated manifest paths and sizes fit ustar");
        self.encoder.write_all(&header)?;
        let mut hasher = blake3::Hasher::new();
        let mut written: u64 = 0;
        loop {
            let n = match data.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            written += n as u64;
            if written > size {
                return Err(WriteError::ContentMismatch {
                    path: path.clone(),
                    what: format!("more than the {size} bytes listed"),
                });
            }
            hasher.update(&self.buf[..n]);
            self.encoder.write_all(&self.buf[..n])?;
        }
        if written != size {
            return Err(WriteError::ContentMismatch {
                path: path.clone(),
                what: format!("{written} bytes, {size} listed"),
            });
        }
        let blake3 = Digest::new(
            crate::DigestAlgorithm::Blake3,
            *hasher.finalize().as_bytes(),
        );
        if blake3 != entry.blake3 {
            return Err(WriteError::ContentMismatch {
                path: path.clone(),
                what: format!("{blake3}"),
            });
        }
        self.encoder
            .write_all(&[0u8; BLOCK_BYTES][..padding_bytes(size)])?;
        self.next += 1;
        Ok(())
    }

    /// Writes the end-of-archive marker (two zero blocks), ends the frame and returns the output.
    ///
    /// # Errors
    /// [`WriteError::Missing`] if an entry was not appended, or I/O errors.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if let Some(entry) = self.manifest.entries.get(self.next) {
            return Err(WriteError::Missing {
                path: entry.path.clone(),
            });
        }
        self.encoder.write_all(&[0u8; 2 * BLOCK_BYTES])?;
        Ok(self.encoder.finish()?)
    }
}
