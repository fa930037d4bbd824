//! [`BundleReader`]: checks a bundle while it streams past, in memory bounded by the limits.
//!
//! Order of use: [`BundleReader::open`] reads the first frame (the manifest envelope only);
//! the caller authenticates [`BundleReader::envelope`]; [`BundleReader::load_manifest`] parses
//! the now-trusted payload; [`BundleReader::next_entry`] yields each entry as an
//! [`EntryReader`] that hashes what passes through it; `next_entry` returning `None` means the
//! archive ended cleanly with every entry present and nothing after it.
//!
//! Everything the spec requires of a reader is enforced here: canonical headers (no links,
//! devices, directories or extension headers), path rules, archive order equal to manifest order,
//! sizes and both digests, the decompression-ratio limit, the frame layout, and no trailing bytes.

use std::io::{self, BufRead, BufReader, Read};

use zstd::stream::read::Decoder;

use super::pipeline::HashPipeline;
use super::{BLOCK_BYTES, canonical_header, padding_bytes};
use crate::Limits;
use crate::digest::{DualHasher, FileDigests};
use crate::dsse::{Envelope, EnvelopeError};
use crate::limits::RATIO_SLACK_BYTES;
use crate::manifest::{
    MANIFEST_MEMBER, MANIFEST_PAYLOAD_TYPE, Manifest, ManifestEntry, ManifestError,
};
use crate::path::{EntryPath, PathError};

/// Why a bundle was refused while reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Reading the input failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input ended before the archive did.
    #[error("archive truncated: the input ended {context}")]
    Truncated {
        /// Where it ended.
        context: String,
    },
    /// The zstd stream is corrupt (bad frame, checksum mismatch, window too large, ...).
    #[error("zstd stream corrupt: {0}")]
    Corrupt(String),
    /// More decompressed bytes than the ratio limit allows.
    #[error(
        "decompressed {decompressed} bytes from {compressed} compressed bytes, more than the ratio limit of {max_ratio}"
    )]
    RatioExceeded {
        /// Decompressed so far.
        decompressed: u64,
        /// Compressed consumed so far.
        compressed: u64,
        /// The limit.
        max_ratio: u64,
    },
    /// The first member is not `manifest.dsse.json`.
    #[error("first member {found:?}: expected {MANIFEST_MEMBER:?}")]
    ManifestMissing {
        /// The first member's name.
        found: String,
    },
    /// The manifest member is larger than allowed.
    #[error("manifest member is {size} bytes, more than the limit of {max}")]
    ManifestTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The manifest member is not a DSSE envelope.
    #[error("manifest member: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The envelope's payloadType is not the manifest's.
    #[error("manifest envelope payloadType {found:?}: expected {MANIFEST_PAYLOAD_TYPE:?}")]
    PayloadType {
        /// What the envelope says.
        found: String,
    },
    /// The frames are not laid out as the spec requires.
    #[error("archive layout: {0}")]
    Layout(&'static str),
    /// The manifest payload is not a valid manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// [`BundleReader::next_entry`] before [`BundleReader::load_manifest`].
    #[error("entries requested before the manifest was loaded")]
    ManifestNotLoaded,
    /// A member that is not a regular file (link, device, directory, extension header).
    #[error("member {path:?}: expected a regular file, found a {found}")]
    NotRegular {
        /// The member's name (lossy).
        path: String,
        /// What it is.
        found: &'static str,
        /// The stable code.
        code: &'static str,
    },
    /// A member's name breaks the path rules.
    #[error("member: {0}")]
    Path(#[from] PathError),
    /// A member's header or padding differs from the canonical form.
    #[error("member {path}: {what}")]
    Noncanonical {
        /// The member.
        path: String,
        /// What differs.
        what: &'static str,
    },
    /// The same path twice in a row.
    #[error("member {path}: appears twice")]
    Duplicate {
        /// The path.
        path: EntryPath,
    },
    /// A member sorted before the previous one.
    #[error("member {path}: expected members in path order, found it after {previous}")]
    OutOfOrder {
        /// The member.
        path: EntryPath,
        /// The member before it.
        previous: EntryPath,
    },
    /// A member the manifest does not list.
    #[error("member {path}: not listed in the manifest")]
    Unexpected {
        /// The member.
        path: EntryPath,
    },
    /// A manifest entry with no member.
    #[error("entry {path}: listed in the manifest but not in the archive")]
    Missing {
        /// The entry.
        path: EntryPath,
    },
    /// Header size differs from the manifest.
    #[error("entry {path}: expected {expected} bytes (manifest), found {found}")]
    SizeMismatch {
        /// The entry.
        path: EntryPath,
        /// Manifest size.
        expected: u64,
        /// Header size.
        found: u64,
    },
    /// Content digest differs from the manifest.
    #[error("entry {path}: expected {expected}, found {found}")]
    DigestMismatch {
        /// The entry.
        path: EntryPath,
        /// Manifest digest.
        expected: crate::Digest,
        /// Computed digest.
        found: crate::Digest,
    },
    /// Bytes after the end of the archive.
    #[error("trailing data: {0}")]
    TrailingGarbage(&'static str),
    /// A previous call failed; the reader cannot continue.
    #[error("the reader stopped after an earlier error")]
    Poisoned,
}

impl ReadError {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io-error",
            Self::Truncated { .. } => "archive-truncated",
            Self::Corrupt(_) => "archive-corrupt",
            Self::RatioExceeded { .. } => "decompression-ratio-exceeded",
            Self::ManifestMissing { .. } => "manifest-missing",
            Self::ManifestTooLarge { .. } => "manifest-too-large",
            Self::Envelope(_) => "envelope-invalid",
            Self::PayloadType { .. } => "payload-type-wrong",
            Self::Layout(_) => "archive-layout-invalid",
            Self::Manifest(e) => e.code(),
            Self::ManifestNotLoaded | Self::Poisoned => "reader-misuse",
            Self::NotRegular { code, .. } => code,
            Self::Path(e) => e.code(),
            Self::Noncanonical { .. } => "archive-noncanonical",
            Self::Duplicate { .. } => "entry-duplicate",
            Self::OutOfOrder { .. } => "entry-out-of-order",
            Self::Unexpected { .. } => "entry-unexpected",
            Self::Missing { .. } => "entry-missing",
            Self::SizeMismatch { .. } => "entry-size-mismatch",
            Self::DigestMismatch { .. } => "entry-digest-mismatch",
            Self::TrailingGarbage(_) => "trailing-garbage",
        }
    }

    /// Whether the failure is the input's fault (a rejection) rather than an I/O problem.
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Self::Io(_) | Self::ManifestNotLoaded | Self::Poisoned)
    }
}

/// Counts bytes taken from the underlying input.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

type Input<R> = BufReader<Counting<R>>;

/// The decompressed stream of one frame, with the ratio check applied to every read.
struct Stream<R: Read> {
    decoder: Decoder<'static, Input<R>>,
    decompressed: u64,
    max_ratio: u64,
    max_window_log: u32,
}

impl<R: Read> Stream<R> {
    fn new(
        input: Input<R>,
        max_ratio: u64,
        max_window_log: u32,
        decompressed: u64,
    ) -> Result<Self, ReadError> {
        let mut decoder = Decoder::with_buffer(input)?.single_frame();
        decoder.window_log_max(max_window_log)?;
        Ok(Self {
            decoder,
            decompressed,
            max_ratio,
            max_window_log,
        })
    }

    /// The next frame's stream over the same input.
    fn next_frame(self) -> Result<Self, ReadError> {
        Self::new(
            self.decoder.into_inner(),
            self.max_ratio,
            self.max_window_log,
            self.decompressed,
        )
    }

    fn compressed_consumed(&self) -> u64 {
        let input = self.decoder.get_ref();
        input.get_ref().count - input.buffer().len() as u64
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let n = loop {
            match self.decoder.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(ReadError::Truncated {
                        context: "inside a zstd frame".into(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Other => {
                    return Err(ReadError::Corrupt(e.to_string()));
                }
                Err(e) => return Err(ReadError::Io(e)),
            }
        };
        self.decompressed += n as u64;
        let compressed = self.compressed_consumed();
        if self.decompressed
            > self
                .max_ratio
                .saturating_mul(compressed)
                .saturating_add(RATIO_SLACK_BYTES)
        {
            return Err(ReadError::RatioExceeded {
                decompressed: self.decompressed,
                compressed,
                max_ratio: self.max_ratio,
            });
        }
        Ok(n)
    }

    fn read_exact(
        &mut self,
        mut buf: &mut [u8],
        context: &dyn Fn() -> String,
    ) -> Result<(), ReadError> {
        while !buf.is_empty() {
            let n = self.read(buf)?;
            if n == 0 {
                return Err(ReadError::Truncated { context: context() });
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Reads `len` padding bytes and requires them to be zero.
    fn skip_padding(&mut self, len: usize, path: &str) -> Result<(), ReadError> {
        let mut pad = [0u8; BLOCK_BYTES];
        self.read_exact(&mut pad[..len], &|| format!("in the padding of {path}"))?;
        if pad[..len].iter().any(|&b| b != 0) {
            return Err(ReadError::Noncanonical {
                path: path.to_owned(),
                what: "non-zero padding after the data",
            });
        }
        Ok(())
    }

    /// Whether this frame has ended (reads one byte to find out).
    fn at_frame_end(&mut self) -> Result<bool, ReadError> {
        let mut probe = [0u8; 1];
        Ok(self.read(&mut probe)? == 0)
    }

    /// Whether the underlying input has no more bytes.
    fn at_input_end(&mut self) -> Result<bool, ReadError> {
        Ok(self.decoder.get_mut().fill_buf()?.is_empty())
    }
}

struct Current {
    index: usize,
    remaining: u64,
    hasher: DualHasher,
}

/// Compressed input is read in pieces of this size (fewer zstd blocks straddle two reads, so
/// fewer are copied into zstd's own input buffer first).
const INPUT_BUFFER_BYTES: usize = 1 << 20;

/// Size of the buffer entries are drained through.
const DRAIN_BYTES: usize = 256 * 1024;

/// What a completed read saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    /// Entries read and verified.
    pub entries: u64,
    /// Their total size in bytes.
    pub entry_bytes: u64,
    /// Compressed bytes consumed (the bundle's size).
    pub compressed_bytes: u64,
}

/// Streams and checks a bundle. See the module documentation for the order of calls.
///
/// ```no_run
/// # fn demo() -> Result<(), bundle_format::archive::ReadError> {
/// use bundle_format::{BundleReader, Limits};
/// let file = std::fs::File::open("bundle.airlock")?;
/// let mut reader = BundleReader::open(file, Limits::default())?;
/// // ... authenticate reader.envelope() against your trust root here ...
/// reader.load_manifest()?;
/// while let Some(mut entry) = reader.next_entry()? {
///     let path = entry.entry().path.clone();
///     std::io::copy(&mut entry, &mut std::io::sink())?;
///     let digests = entry.finish()?; // size, SHA-256 and BLAKE3 matched the manifest
///     let _ = (path, digests);
/// }
/// # Ok(()) }
/// ```
pub struct BundleReader<R: Read> {
    limits: Limits,
    stream: Stream<R>,
    envelope: Envelope,
    manifest: Option<Manifest>,
    next_index: usize,
    first_missing: Option<usize>,
    previous: Option<EntryPath>,
    current: Option<Current>,
    entries_done: u64,
    bytes_done: u64,
    done: bool,
    error: Option<ReadError>,
    poisoned: bool,
    /// Reused to drain entries nobody read (allocated once, not per entry: most entries are
    /// small, and a fresh zeroed 256 KiB buffer per entry dominated verification time).
    scratch: Box<[u8]>,
}

impl<R: Read> std::fmt::Debug for BundleReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleReader")
            .field("next_index", &self.next_index)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> BundleReader<R> {
    /// Reads the first frame: the `manifest.dsse.json` member, at most
    /// [`Limits::max_manifest_bytes`], a DSSE envelope with the manifest payloadType, and nothing
    /// else in that frame. Reads no further than the first frame (plus input buffering).
    ///
    /// # Errors
    /// [`ReadError`].
    pub fn open(input: R, limits: Limits) -> Result<Self, ReadError> {
        let input = BufReader::with_capacity(
            INPUT_BUFFER_BYTES,
            Counting {
                inner: input,
                count: 0,
            },
        );
        let mut stream = Stream::new(
            input,
            limits.max_decompression_ratio,
            limits.max_window_log,
            0,
        )?;
        let mut block = [0u8; BLOCK_BYTES];
        stream.read_exact(&mut block, &|| "before the first member's header".into())?;
        if block.iter().all(|&b| b == 0) {
            return Err(ReadError::ManifestMissing {
                found: "(end of archive)".into(),
            });
        }
        let (path, size) = check_header(&block)?;
        if path.as_str() != MANIFEST_MEMBER {
            return Err(ReadError::ManifestMissing {
                found: path.to_string(),
            });
        }
        if size > limits.max_manifest_bytes {
            return Err(ReadError::ManifestTooLarge {
                size,
                max: limits.max_manifest_bytes,
            });
        }
        let mut json = vec![0u8; usize::try_from(size).expect("bounded by max_manifest_bytes")];
        stream.read_exact(&mut json, &|| format!("inside {MANIFEST_MEMBER}"))?;
        stream.skip_padding(padding_bytes(size), MANIFEST_MEMBER)?;
        if !stream.at_frame_end()? {
            return Err(ReadError::Layout(
                "the first zstd frame must hold only the manifest member",
            ));
        }
        let envelope = Envelope::from_json(&json)?;
        if envelope.payload_type != MANIFEST_PAYLOAD_TYPE {
            return Err(ReadError::PayloadType {
                found: envelope.payload_type,
            });
        }
        let stream = stream.next_frame()?;
        Ok(Self {
            limits,
            stream,
            envelope,
            manifest: None,
            next_index: 0,
            first_missing: None,
            previous: None,
            current: None,
            entries_done: 0,
            bytes_done: 0,
            done: false,
            error: None,
            poisoned: false,
            scratch: vec![0u8; DRAIN_BYTES].into_boxed_slice(),
        })
    }

    /// The manifest envelope, not yet authenticated. Check its signatures before
    /// [`BundleReader::load_manifest`].
    #[must_use]
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Parses and validates the manifest payload (strict canonical JSON, limits, order, Merkle
    /// root). Call it after authenticating [`BundleReader::envelope`].
    ///
    /// # Errors
    /// [`ReadError::Manifest`].
    pub fn load_manifest(&mut self) -> Result<&Manifest, ReadError> {
        if self.manifest.is_none() {
            self.manifest = Some(Manifest::from_payload(
                &self.envelope.payload,
                &self.limits,
            )?);
        }
        Ok(self.manifest.as_ref().expect("just set"))
    }

    /// The loaded manifest, if [`BundleReader::load_manifest`] succeeded.
    #[must_use]
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Ends reading and hands back the envelope and the loaded manifest (if any) without
    /// copying them.
    #[must_use]
    pub fn into_parts(self) -> (Envelope, Option<Manifest>) {
        (self.envelope, self.manifest)
    }

    /// The next entry, or `None` once the archive has ended cleanly (every manifest entry
    /// present, end-of-archive marker, nothing after it). An entry not read to its end is
    /// drained and checked here.
    ///
    /// # Errors
    /// [`ReadError`]; after an error the reader refuses further calls.
    pub fn next_entry(&mut self) -> Result<Option<EntryReader<'_, R>>, ReadError> {
        self.guard()?;
        match self.advance() {
            Ok(true) => Ok(Some(EntryReader { reader: self })),
            Ok(false) => Ok(None),
            Err(e) => Err(self.poison(e)),
        }
    }

    /// Reads and checks every remaining entry, discarding the content.
    ///
    /// # Errors
    /// The first [`ReadError`].
    ///
    /// SHA-256 and BLAKE3 run on two worker threads while this thread decompresses and checks
    /// the archive ([`super::pipeline`]); the error reported is the one checking each entry in
    /// turn would report.
    pub fn verify_remaining(&mut self) -> Result<ReadSummary, ReadError> {
        self.guard()?;
        if self.current.is_some() {
            // An entry handed out by `next_entry` is open: finish it here first.
            if let Err(e) = self.finish_current() {
                return Err(self.poison(e));
            }
        }
        let (read, mismatch) = std::thread::scope(|scope| {
            let (mut pipeline, workers) = HashPipeline::start(scope);
            let read = self.drain_into(&mut pipeline);
            pipeline.close();
            (read, workers.finish())
        });
        let result = match (mismatch, read) {
            (Some((index, expected, found)), _) => Err(ReadError::DigestMismatch {
                path: self
                    .manifest
                    .as_ref()
                    .expect("entries need a manifest")
                    .entries[index]
                    .path
                    .clone(),
                expected,
                found,
            }),
            (None, read) => read,
        };
        match result {
            Ok(()) => Ok(self.summary()),
            Err(e) => Err(self.poison(e)),
        }
    }

    /// Reads every remaining entry into `pipeline`, checking everything but the digests.
    fn drain_into(&mut self, pipeline: &mut HashPipeline) -> Result<(), ReadError> {
        while self.advance()? {
            loop {
                let chunk = pipeline.chunk();
                let n = self.read_current_raw(chunk.space())?;
                if n == 0 {
                    break;
                }
                chunk.filled(n);
            }
            let index = self.current.as_ref().expect("an entry is open").index;
            let (sha256, blake3, size) = {
                let entry = self.pad_current()?;
                (entry.sha256, entry.blake3, entry.size)
            };
            pipeline.end_entry(index, sha256, blake3);
            self.entries_done += 1;
            self.bytes_done += size;
            self.current = None;
        }
        Ok(())
    }

    /// Counts so far.
    #[must_use]
    pub fn summary(&self) -> ReadSummary {
        ReadSummary {
            entries: self.entries_done,
            entry_bytes: self.bytes_done,
            compressed_bytes: self.stream.compressed_consumed(),
        }
    }

    fn guard(&mut self) -> Result<(), ReadError> {
        if let Some(e) = self.error.take() {
            self.poisoned = true;
            return Err(e);
        }
        if self.poisoned {
            return Err(ReadError::Poisoned);
        }
        Ok(())
    }

    fn poison(&mut self, e: ReadError) -> ReadError {
        self.poisoned = true;
        e
    }

    /// Moves to the next member; `true` if an entry is ready to read.
    fn advance(&mut self) -> Result<bool, ReadError> {
        if self.done {
            return Ok(false);
        }
        if self.current.is_some() {
            self.finish_current()?;
        }
        let Some(manifest) = self.manifest.as_ref() else {
            return Err(ReadError::ManifestNotLoaded);
        };
        let mut block = [0u8; BLOCK_BYTES];
        let previous = &self.previous;
        self.stream.read_exact(&mut block, &|| {
            let after = previous.as_ref().map_or(MANIFEST_MEMBER, EntryPath::as_str);
            format!("after member {after}")
        })?;
        if block.iter().all(|&b| b == 0) {
            self.stream
                .read_exact(&mut block, &|| "inside the end-of-archive marker".into())?;
            if block.iter().any(|&b| b != 0) {
                return Err(ReadError::Noncanonical {
                    path: "(end of archive)".into(),
                    what: "the end-of-archive marker must be two zero blocks",
                });
            }
            if !self.stream.at_frame_end()? {
                return Err(ReadError::TrailingGarbage(
                    "data after the end-of-archive marker",
                ));
            }
            if !self.stream.at_input_end()? {
                return Err(ReadError::TrailingGarbage(
                    "bytes after the last zstd frame",
                ));
            }
            let missing = self
                .first_missing
                .or((self.next_index < manifest.entries.len()).then_some(self.next_index));
            if let Some(index) = missing {
                return Err(ReadError::Missing {
                    path: manifest.entries[index].path.clone(),
                });
            }
            self.done = true;
            return Ok(false);
        }
        let (path, size) = check_header(&block)?;
        path.check_limits(&self.limits)?;
        if let Some(previous) = &self.previous {
            match previous.as_str().as_bytes().cmp(path.as_str().as_bytes()) {
                std::cmp::Ordering::Equal => return Err(ReadError::Duplicate { path }),
                std::cmp::Ordering::Greater => {
                    return Err(ReadError::OutOfOrder {
                        path,
                        previous: previous.clone(),
                    });
                }
                std::cmp::Ordering::Less => {}
            }
        }
        // Archive paths strictly increase, and so do manifest paths: the member must be at or
        // after `next_index`; anything skipped is missing (reported at the end, so that an
        // out-of-order member is reported as such when it shows up).
        let tail = &manifest.entries[self.next_index..];
        // Almost always the member is the next entry: check that before searching.
        let offset = if tail.first().is_some_and(|e| e.path == path) {
            0
        } else {
            let Ok(offset) =
                tail.binary_search_by(|e| e.path.as_str().as_bytes().cmp(path.as_str().as_bytes()))
            else {
                return Err(ReadError::Unexpected { path });
            };
            offset
        };
        let index = self.next_index + offset;
        if offset > 0 && self.first_missing.is_none() {
            self.first_missing = Some(self.next_index);
        }
        let expected = manifest.entries[index].size;
        if expected != size {
            return Err(ReadError::SizeMismatch {
                path,
                expected,
                found: size,
            });
        }
        self.next_index = index + 1;
        self.previous = Some(path);
        self.current = Some(Current {
            index,
            remaining: size,
            hasher: DualHasher::new(),
        });
        Ok(true)
    }

    fn read_current(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let n = self.read_current_raw(buf)?;
        if let Some(current) = self.current.as_mut() {
            current.hasher.update(&buf[..n]);
        }
        Ok(n)
    }

    /// Reads the open entry's content without hashing it; 0 at its end.
    fn read_current_raw(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let Some(current) = self.current.as_mut() else {
            return Ok(0);
        };
        if current.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(current.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.stream.read(&mut buf[..want])?;
        let current = self.current.as_mut().expect("checked above");
        if n == 0 {
            let path = self
                .manifest
                .as_ref()
                .expect("entries need a manifest")
                .entries[current.index]
                .path
                .to_string();
            return Err(ReadError::Truncated {
                context: format!("inside entry {path}"),
            });
        }
        current.remaining -= n as u64;
        Ok(n)
    }

    fn finish_current(&mut self) -> Result<FileDigests, ReadError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let drained = loop {
            match self.read_current(&mut scratch) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(e),
            }
        };
        self.scratch = scratch;
        drained?;
        self.pad_current()?;
        let current = self.current.take().expect("an entry is open");
        let entry = &self
            .manifest
            .as_ref()
            .expect("entries need a manifest")
            .entries[current.index];
        let digests = current.hasher.finish();
        for (expected, found) in [
            (entry.sha256, digests.sha256),
            (entry.blake3, digests.blake3),
        ] {
            if expected != found {
                return Err(ReadError::DigestMismatch {
                    path: entry.path.clone(),
                    expected,
                    found,
                });
            }
        }
        self.entries_done += 1;
        self.bytes_done += entry.size;
        Ok(digests)
    }

    /// After the open entry's content: checks its padding. Returns the entry; its digests are
    /// still unchecked.
    fn pad_current(&mut self) -> Result<&ManifestEntry, ReadError> {
        let index = self.current.as_ref().expect("an entry is open").index;
        let entry = &self
            .manifest
            .as_ref()
            .expect("entries need a manifest")
            .entries[index];
        self.stream
            .skip_padding(padding_bytes(entry.size), entry.path.as_str())?;
        Ok(entry)
    }
}

/// Checks a member header: a regular file, a valid path, and exactly the canonical header for
/// that path and size. Returns the path and size.
fn check_header(block: &[u8; BLOCK_BYTES]) -> Result<(EntryPath, u64), ReadError> {
    let header = tar::Header::from_byte_slice(block);
    // Only errors need the name as text.
    let raw_path = || String::from_utf8_lossy(&header.path_bytes()).into_owned();
    let not_regular = |found, code| ReadError::NotRegular {
        path: raw_path(),
        found,
        code,
    };
    match block[156] {
        b'0' => {}
        b'1' => return Err(not_regular("hard link", "entry-hardlink")),
        b'2' => return Err(not_regular("symbolic link", "entry-symlink")),
        b'3' | b'4' => return Err(not_regular("device", "entry-device")),
        b'5' => return Err(not_regular("directory", "entry-directory")),
        b'6' => return Err(not_regular("FIFO", "entry-fifo")),
        _ => {
            return Err(not_regular(
                "non-regular or extension member",
                "entry-type-unsupported",
            ));
        }
    }
    let path = EntryPath::from_bytes(&header.path_bytes())?;
    let size = header.size().map_err(|_| ReadError::Noncanonical {
        path: raw_path(),
        what: "unreadable size field",
    })?;
    match canonical_header(path.as_str(), size) {
        Some(canonical) if &canonical == block => Ok((path, size)),
        _ => Err(ReadError::Noncanonical {
            path: raw_path(),
            what: "header differs from the canonical ustar header (mode 0644, uid/gid 0, mtime 0, empty names, checksum)",
        }),
    }
}

/// One entry's content as it streams past, hashed on the way. Read it (or not), then call
/// [`EntryReader::finish`] to learn whether it matched the manifest. Until `finish` succeeds,
/// treat what you read as unverified: stage it, and discard it on error.
///
/// A failure inside `read` surfaces as an `io::Error`; the precise [`ReadError`] is returned by
/// the following `finish` or [`BundleReader::next_entry`].
pub struct EntryReader<'a, R: Read> {
    reader: &'a mut BundleReader<R>,
}

impl<R: Read> std::fmt::Debug for EntryReader<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryReader")
            .field("entry", &self.entry().path)
            .finish_non_exhaustive()
    }
}

impl<R: Read> EntryReader<'_, R> {
    /// The manifest entry being read.
    #[must_use]
    pub fn entry(&self) -> &ManifestEntry {
        let index = self
            .reader
            .current
            .as_ref()
            .expect("an entry reader always has an entry")
            .index;
        &self
            .reader
            .manifest
            .as_ref()
            .expect("entries need a manifest")
            .entries[index]
    }

    /// Reads what is left, checks the padding, the size and both digests.
    ///
    /// # Errors
    /// [`ReadError::DigestMismatch`], truncation, or any error a `read` hit.
    pub fn finish(self) -> Result<FileDigests, ReadError> {
        self.reader.guard()?;
        match self.reader.finish_current() {
            Ok(d) => Ok(d),
            Err(e) => Err(self.reader.poison(e)),
        }
    }
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.reader.poisoned || self.reader.error.is_some() {
            return Err(io::Error::other("bundle reader failed earlier"));
        }
        match self.reader.read_current(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                let message = e.to_string();
                self.reader.error = Some(e);
                Err(io::Error::other(message))
            }
        }
    }
}
