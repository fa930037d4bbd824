//! Split bundles for removable media (`spec/bundle-format.md` §9): a bundle cut into numbered
//! parts `FILE.part0001`, `FILE.part0002`, … of at most `max_part_size` bytes, whose
//! concatenation is the bundle, plus a part index `FILE.parts.json` signed like the manifest.
//!
//! Writing: [`PartWriter`] is a `Write` that starts a new part file whenever the current one is
//! full, hashing each part and the whole stream as it goes; [`sign_index`] makes the index.
//! Reading: [`PartsReader`] is a `Read` over the concatenation that opens one part at a time and
//! checks each part's presence, size and SHA-256 as it streams (so nothing is ever held whole in
//! memory or on disk); [`BundleInput`] picks a plain file or a part set from the path a user gave.
//!
//! Invariant of [`PartsReader`]: it returns end-of-stream only after every part listed in the
//! (authenticated) index was read to its end with the listed size and SHA-256, no further part
//! file exists, and the whole stream's SHA-256 matches the index. Bytes of a part are handed out
//! before that part's digest is known; a bundle reader that fails on them is explained by
//! [`BundleInput::explain`], which reads the rest and names the damaged part.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bundle_format::canonical::{from_canonical_slice, to_canonical_vec};
use bundle_format::{Digest, DigestAlgorithm, Envelope};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::verify::{VerifyError, classify_signature_failure};
use crate::crypto::{PrivateKey, sign_envelope};
use crate::error::{Coded, FailureClass};
use crate::trust::{Role, TrustRoot};

/// DSSE payloadType of a part index.
pub const PARTS_PAYLOAD_TYPE: &str = "application/vnd.airlock.parts+json";
/// `format` of a part index.
pub const PARTS_FORMAT: &str = "airlock-parts/1";
/// Suffix of the index file after the bundle name.
pub const INDEX_SUFFIX: &str = ".parts.json";
/// Largest part index a reader accepts (1 MiB: tens of thousands of parts).
pub const MAX_INDEX_BYTES: u64 = 1 << 20;
/// Smallest `--max-part-size` accepted (64 KiB), so a typo cannot make millions of files.
pub const MIN_PART_SIZE: u64 = 64 << 10;
/// Most parts a bundle may be split into.
pub const MAX_PARTS: usize = 9999;

/// The name of part `number` (from 1) of bundle file name `base`: four digits at least.
#[must_use]
pub fn part_name(base: &str, number: usize) -> String {
    format!("{base}.part{number:04}")
}

/// Why a split bundle could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartError {
    /// A part listed in the index is not there.
    #[error("{}: missing (part {number} of {count} listed in the part index)", path.display())]
    Missing {
        /// The expected file.
        path: PathBuf,
        /// Its number, from 1.
        number: usize,
        /// How many parts the index lists.
        count: usize,
    },
    /// A part is shorter than the index says.
    #[error("{}: truncated: expected {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The part.
        path: PathBuf,
        /// Size in the index.
        expected: u64,
        /// Size found.
        found: u64,
    },
    /// A part is longer than the index says.
    #[error("{}: expected {expected} bytes, found {found}", path.display())]
    SizeMismatch {
        /// The part.
        path: PathBuf,
        /// Size in the index.
        expected: u64,
        /// Size found.
        found: u64,
    },
    /// A part's content differs from the index.
    #[error("{}: sha256 mismatch: index says {expected}, part has {found}", path.display())]
    DigestMismatch {
        /// The part.
        path: PathBuf,
        /// Digest in the index.
        expected: Digest,
        /// Digest computed.
        found: Digest,
    },
    /// A part file beyond those the index lists.
    #[error("{}: extra part: the part index lists only {count} parts", path.display())]
    Extra {
        /// The unexpected file.
        path: PathBuf,
        /// How many the index lists.
        count: usize,
    },
    /// The concatenation's SHA-256 differs from the index.
    #[error("{}: whole-bundle sha256 mismatch: index says {expected}, parts give {found}", path.display())]
    BundleMismatch {
        /// The index.
        path: PathBuf,
        /// Digest in the index.
        expected: Digest,
        /// Digest computed.
        found: Digest,
    },
    /// The index names another bundle than the one its parts hold.
    #[error(
        "{}: the part index is for bundle {expected}, the parts hold bundle {found}",
        path.display()
    )]
    IndexMismatch {
        /// The index.
        path: PathBuf,
        /// Bundle digest in the index.
        expected: Digest,
        /// Bundle digest of the manifest read from the parts.
        found: Digest,
    },
    /// The index is not a well-formed part index.
    #[error("{}: invalid part index: {detail}", path.display())]
    IndexInvalid {
        /// The index.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The index is not signed by the trust root's `bundle-signer` role (same codes as the
    /// manifest: `signature-invalid`, `signature-untrusted`, `threshold-not-met`, …).
    #[error("{}: part index signature: {source}", path.display())]
    Signature {
        /// The index.
        path: PathBuf,
        /// Why.
        source: Box<VerifyError>,
    },
    /// `--max-part-size` is unusable, or the bundle needs too many parts.
    #[error("{0}")]
    Size(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl Coded for PartError {
    fn code(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "part-missing",
            Self::Truncated { .. } => "part-truncated",
            Self::SizeMismatch { .. } => "part-size-mismatch",
            Self::DigestMismatch { .. } => "part-digest-mismatch",
            Self::Extra { .. } => "part-extra",
            Self::BundleMismatch { .. } => "part-bundle-mismatch",
            Self::IndexMismatch { .. } => "part-index-mismatch",
            Self::IndexInvalid { .. } => "part-index-invalid",
            Self::Signature { source, .. } => source.code(),
            Self::Size(_) => "invalid-part-size",
            Self::Io { .. } => "io-error",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Io { .. } | Self::Size(_) => FailureClass::CouldNotRun,
            Self::Signature { source, .. } => match source.class() {
                FailureClass::CouldNotRun => FailureClass::CouldNotRun,
                _ => FailureClass::Rejected,
            },
            _ => FailureClass::Rejected,
        }
    }
}

/// Parses a part size: a whole number of bytes, optionally followed by `KiB`, `MiB`, `GiB`,
/// `TiB` (powers of 1024) or `kB`, `MB`, `GB`, `TB` (powers of 1000), or `B`.
///
/// # Errors
/// A message naming the text.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let bad = || {
        format!(
            "size {text:?}: expected a number of bytes with an optional unit (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)"
        )
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size {text:?}: too large"))
}

/// One part in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartInfo {
    /// File name (no directory), `FILE.partNNNN`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the part.
    pub sha256: Digest,
}

/// The signed part index payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartIndex {
    /// [`PARTS_FORMAT`].
    pub format: String,
    /// The bundle digest (SHA-256 of the manifest payload), as in the manifest.
    pub bundle_digest: Digest,
    /// SHA-256 of the whole bundle file (the concatenation of the parts).
    pub bundle_sha256: Digest,
    /// Size of the whole bundle file.
    pub total_size: u64,
    /// The `--max-part-size` used: every part but the last has exactly this size.
    pub max_part_size: u64,
    /// The parts, in order.
    pub parts: Vec<PartInfo>,
}

impl PartIndex {
    /// Checks the structure against the bundle name `base`: format, names `base.part0001`…
    /// in order, sizes that add up, every part but the last full, none empty.
    fn check(&self, base: &str) -> Result<(), String> {
        if self.format != PARTS_FORMAT {
            return Err(format!(
                "format: expected {PARTS_FORMAT:?}, found {:?}",
                self.format
            ));
        }
        if self.parts.is_empty() || self.parts.len() > MAX_PARTS {
            return Err(format!(
                "expected 1 to {MAX_PARTS} parts, found {}",
                self.parts.len()
            ));
        }
        for (i, p) in self.parts.iter().enumerate() {
            let want = part_name(base, i + 1);
            if p.name != want {
                return Err(format!(
                    "part {}: expected name {want:?}, found {:?}",
                    i + 1,
                    p.name
                ));
            }
            let last = i + 1 == self.parts.len();
            if p.size == 0 || p.size > self.max_part_size || (!last && p.size != self.max_part_size)
            {
                return Err(format!(
                    "part {}: size {} does not fit max_part_size {}",
                    p.name, p.size, self.max_part_size
                ));
            }
            if p.sha256.algorithm() != DigestAlgorithm::Sha256 {
                return Err(format!("part {}: expected a sha256 digest", p.name));
            }
        }
        let sum: u64 = self.parts.iter().map(|p| p.size).sum();
        if sum != self.total_size {
            return Err(format!(
                "parts add up to {sum} bytes, total_size says {}",
                self.total_size
            ));
        }
        Ok(())
    }
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> PartError + '_ {
    move |source| PartError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sha256_digest(h: sha2::Sha256) -> Digest {
    Digest::new(DigestAlgorithm::Sha256, h.finalize().into())
}

/// A `Write` that cuts its stream into part files `dir/base.partNNNN` of at most `max` bytes.
/// A part is created only when there is a byte to put in it, so no part is empty.
#[derive(Debug)]
pub struct PartWriter {
    dir: PathBuf,
    base: String,
    max: u64,
    current: Option<(BufWriter<File>, u64, sha2::Sha256)>,
    whole: sha2::Sha256,
    total: u64,
    parts: Vec<PartInfo>,
}

impl PartWriter {
    /// Writes parts of at most `max` bytes named after `base` into `dir`.
    ///
    /// # Errors
    /// [`PartError::Size`] if `max` is below [`MIN_PART_SIZE`].
    pub fn new(dir: &Path, base: &str, max: u64) -> Result<Self, PartError> {
        if max < MIN_PART_SIZE {
            return Err(PartError::Size(format!(
                "max part size {max} bytes: expected at least {MIN_PART_SIZE} bytes (64 KiB)"
            )));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            base: base.to_owned(),
            max,
            current: None,
            whole: sha2::Sha256::new(),
            total: 0,
            parts: Vec::new(),
        })
    }

    fn close_current(&mut self) -> io::Result<()> {
        if let Some((mut w, size, hasher)) = self.current.take() {
            w.flush()?;
            let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            self.parts.push(PartInfo {
                name: part_name(&self.base, self.parts.len() + 1),
                size,
                sha256: sha256_digest(hasher),
            });
        }
        Ok(())
    }

    /// Closes the last part. Returns the parts, the whole stream's SHA-256 and its size.
    ///
    /// # Errors
    /// Writing failed.
    pub fn finish(mut self) -> io::Result<(Vec<PartInfo>, Digest, u64)> {
        self.close_current()?;
        Ok((self.parts, sha256_digest(self.whole), self.total))
    }
}

impl Write for PartWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.current.as_ref().is_some_and(|c| c.1 == self.max) {
            self.close_current()?;
        }
        if self.current.is_none() {
            if self.parts.len() >= MAX_PARTS {
                return Err(io::Error::other(format!(
                    "the bundle needs more than {MAX_PARTS} parts of {} bytes; use a larger --max-part-size",
                    self.max
                )));
            }
            let path = self.dir.join(part_name(&self.base, self.parts.len() + 1));
            let file = File::create(&path)?;
            self.current = Some((
                BufWriter::with_capacity(1 << 20, file),
                0,
                sha2::Sha256::new(),
            ));
        }
        let (w, size, hasher) = self.current.as_mut().expect("just opened");
        let room = usize::try_from(self.max - *size).unwrap_or(usize::MAX);
        let n = w.write(&buf[..buf.len().min(room)])?;
        hasher.update(&buf[..n]);
        self.whole.update(&buf[..n]);
        *size += n as u64;
        self.total += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((w, ..)) => w.flush(),
            None => Ok(()),
        }
    }
}

/// Builds and signs the part index envelope (JSON bytes to write as `FILE.parts.json`).
///
/// # Errors
/// Never in practice (canonical JSON of plain data).
pub fn sign_index(index: &PartIndex, key: &PrivateKey) -> Result<Vec<u8>, PartError> {
    let payload = to_canonical_vec(index).map_err(|e| PartError::Size(e.to_string()))?;
    let mut envelope = Envelope::new(PARTS_PAYLOAD_TYPE, payload);
    sign_envelope(&mut envelope, key);
    Ok(envelope.to_json())
}

/// Where a split bundle's files are: `dir/base.parts.json` and `dir/base.partNNNN`.
#[derive(Debug, Clone)]
pub struct PartSet {
    /// The directory.
    pub dir: PathBuf,
    /// The bundle file name the parts are named after.
    pub base: String,
}

impl PartSet {
    /// Recognizes `…/NAME.parts.json` or `…/NAME.partNNNN` (four or more digits); `None` for any
    /// other path (a plain bundle file).
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if let Some(base) = name.strip_suffix(INDEX_SUFFIX) {
            return (!base.is_empty()).then(|| Self {
                dir,
                base: base.to_owned(),
            });
        }
        let (base, digits) = name.rsplit_once(".part")?;
        (!base.is_empty() && digits.len() >= 4 && digits.bytes().all(|b| b.is_ascii_digit())).then(
            || Self {
                dir,
                base: base.to_owned(),
            },
        )
    }

    /// The index file.
    #[must_use]
    pub fn index_path(&self) -> PathBuf {
        self.dir.join(format!("{}{INDEX_SUFFIX}", self.base))
    }

    /// Reads the index and checks its signature (the trust root's `bundle-signer` role) and
    /// structure.
    ///
    /// # Errors
    /// [`PartError`].
    pub fn load_index(&self, trust_root: &TrustRoot) -> Result<PartIndex, PartError> {
        let path = self.index_path();
        let invalid = |detail: String| PartError::IndexInvalid {
            path: path.clone(),
            detail,
        };
        let file = File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                invalid("missing: a split bundle is read through its part index".into())
            } else {
                io_err(&path)(e)
            }
        })?;
        let mut bytes = Vec::new();
        file.take(MAX_INDEX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err(&path))?;
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(invalid(format!("larger than {MAX_INDEX_BYTES} bytes")));
        }
        let envelope = Envelope::from_json(&bytes).map_err(|e| invalid(e.to_string()))?;
        if envelope.payload_type != PARTS_PAYLOAD_TYPE {
            return Err(invalid(format!(
                "payloadType: expected {PARTS_PAYLOAD_TYPE:?}, found {:?}",
                envelope.payload_type
            )));
        }
        trust_root
            .verify_envelope(&envelope, PARTS_PAYLOAD_TYPE, Role::BundleSigner)
            .map_err(|e| PartError::Signature {
                path: path.clone(),
                source: Box::new(classify_signature_failure(&envelope, trust_root, e)),
            })?;
        let index: PartIndex =
            from_canonical_slice(&envelope.payload).map_err(|e| invalid(e.to_string()))?;
        index.check(&self.base).map_err(invalid)?;
        Ok(index)
    }
}

/// The part files `base.part0001`, `base.part0002`, … that exist, concatenated, checking
/// nothing: for `inspect`, which trusts nothing it reads anyway.
#[derive(Debug)]
pub struct UncheckedParts {
    set: PartSet,
    next: usize,
    current: Option<File>,
}

impl UncheckedParts {
    /// Starts at part 1.
    #[must_use]
    pub fn new(set: PartSet) -> Self {
        Self {
            set,
            next: 1,
            current: None,
        }
    }
}

impl Read for UncheckedParts {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(f) = &mut self.current {
                let n = f.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.current = None;
            }
            let path = self.set.dir.join(part_name(&self.set.base, self.next));
            match File::open(&path) {
                Ok(f) => {
                    self.current = Some(f);
                    self.next += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && self.next > 1 => return Ok(0),
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            }
        }
    }
}

/// The concatenation of a part set, checked as it streams (see the module invariant).
#[derive(Debug)]
pub struct PartsReader {
    set: PartSet,
    index: PartIndex,
    next: usize,
    current: Option<(BufReader<File>, PathBuf, u64, sha2::Sha256)>,
    whole: sha2::Sha256,
    failure: Option<PartError>,
    done: bool,
}

impl PartsReader {
    /// Streams the parts of `set` as listed in the authenticated `index`.
    #[must_use]
    pub fn new(set: PartSet, index: PartIndex) -> Self {
        Self {
            set,
            index,
            next: 0,
            current: None,
            whole: sha2::Sha256::new(),
            failure: None,
            done: false,
        }
    }

    /// The index being followed.
    #[must_use]
    pub fn index(&self) -> &PartIndex {
        &self.index
    }

    fn open_next(&mut self) -> Result<(), PartError> {
        let count = self.index.parts.len();
        let info = &self.index.parts[self.next];
        let path = self.set.dir.join(&info.name);
        let file = File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                PartError::Missing {
                    path: path.clone(),
                    number: self.next + 1,
                    count,
                }
            } else {
                io_err(&path)(e)
            }
        })?;
        let found = file.metadata().map_err(io_err(&path))?.len();
        if found < info.size {
            return Err(PartError::Truncated {
                path,
                expected: info.size,
                found,
            });
        }
        if found > info.size {
            return Err(PartError::SizeMismatch {
                path,
                expected: info.size,
                found,
            });
        }
        self.current = Some((
            BufReader::with_capacity(256 * 1024, file),
            path,
            info.size,
            sha2::Sha256::new(),
        ));
        self.next += 1;
        Ok(())
    }

    /// Checks what follows the last part: no further part file, the whole digest.
    fn check_end(&mut self) -> Result<(), PartError> {
        let count = self.index.parts.len();
        let extra = self.set.dir.join(part_name(&self.set.base, count + 1));
        if extra.exists() {
            return Err(PartError::Extra { path: extra, count });
        }
        let found = sha256_digest(std::mem::take(&mut self.whole));
        if found != self.index.bundle_sha256 {
            return Err(PartError::BundleMismatch {
                path: self.set.index_path(),
                expected: self.index.bundle_sha256,
                found,
            });
        }
        Ok(())
    }

    fn read_checked(&mut self, buf: &mut [u8]) -> Result<usize, PartError> {
        loop {
            if self.done {
                return Ok(0);
            }
            let Some((reader, path, remaining, hasher)) = &mut self.current else {
                if self.next == self.index.parts.len() {
                    self.check_end()?;
                    self.done = true;
                    return Ok(0);
                }
                self.open_next()?;
                continue;
            };
            if *remaining == 0 {
                let expected = self.index.parts[self.next - 1].sha256;
                let found = sha256_digest(std::mem::take(hasher));
                let path = path.clone();
                self.current = None;
                if found != expected {
                    return Err(PartError::DigestMismatch {
                        path,
                        expected,
                        found,
                    });
                }
                continue;
            }
            let want = buf
                .len()
                .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
            let n = reader.read(&mut buf[..want]).map_err(io_err(path))?;
            if n == 0 {
                // The file shrank after its size was checked.
                let info = &self.index.parts[self.next - 1];
                return Err(PartError::Truncated {
                    path: path.clone(),
                    expected: info.size,
                    found: info.size - *remaining,
                });
            }
            hasher.update(&buf[..n]);
            self.whole.update(&buf[..n]);
            *remaining -= n as u64;
            return Ok(n);
        }
    }

    /// Reads whatever is left, checking every remaining part; the first part failure seen
    /// (now or earlier), if any.
    pub fn explain(&mut self) -> Option<&PartError> {
        let mut buf = vec![0u8; 256 * 1024];
        while self.failure.is_none() && !self.done {
            if let Err(e) = self.read_checked(&mut buf) {
                self.failure = Some(e);
            }
        }
        self.failure.as_ref()
    }
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = &self.failure {
            return Err(io::Error::other(f.to_string()));
        }
        match self.read_checked(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                let message = e.to_string();
                self.failure = Some(e);
                Err(io::Error::other(message))
            }
        }
    }
}

/// What a user named as a bundle: a plain file, or a split bundle by its index or a part.
#[derive(Debug)]
pub enum BundleInput {
    /// A single bundle file.
    File(File),
    /// A split bundle, read part by part.
    Parts(Box<PartsReader>),
}

impl BundleInput {
    /// Opens `path`: a part set if its name is `NAME.parts.json` or `NAME.partNNNN` (the index
    /// is then authenticated against `trust_root`), else the file itself.
    ///
    /// # Errors
    /// [`PartError`].
    pub fn open(path: &Path, trust_root: &TrustRoot) -> Result<Self, PartError> {
        match PartSet::from_path(path) {
            Some(set) => {
                let index = set.load_index(trust_root)?;
                Ok(Self::Parts(Box::new(PartsReader::new(set, index))))
            }
            None => Ok(Self::File(File::open(path).map_err(io_err(path))?)),
        }
    }

    /// What the bundle digest read from the parts' manifest must be (for a plain file,
    /// anything). Taken before the input is handed to a bundle reader.
    #[must_use]
    pub fn digest_check(&self) -> DigestCheck {
        match self {
            Self::File(_) => DigestCheck(None),
            Self::Parts(p) => DigestCheck(Some((p.index.bundle_digest, p.set.index_path()))),
        }
    }

    /// After a bundle reader failed on this input: for a split bundle, reads the remaining
    /// parts and returns the part failure that explains it, if any (a damaged part makes the
    /// bundle reader fail before the part's own digest can be checked).
    pub fn explain(&mut self) -> Option<&PartError> {
        match self {
            Self::File(_) => None,
            Self::Parts(p) => p.explain(),
        }
    }
}

/// The bundle digest a part index names, to compare with the manifest read from the parts.
#[derive(Debug, Clone)]
pub struct DigestCheck(Option<(Digest, PathBuf)>);

impl DigestCheck {
    /// Checks the bundle digest of the manifest read from the input.
    ///
    /// # Errors
    /// [`PartError::IndexMismatch`] if the part index names another bundle.
    pub fn check(&self, found: &Digest) -> Result<(), PartError> {
        match &self.0 {
            Some((expected, path)) if expected != found => Err(PartError::IndexMismatch {
                path: path.clone(),
                expected: *expected,
                found: *found,
            }),
            _ => Ok(()),
        }
    }
}

impl Read for BundleInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::File(f) => f.read(buf),
            Self::Parts(p) => p.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("700MiB"), Ok(700 << 20));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert!(parse_size("4 gigs").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn part_set_recognizes_index_and_parts() {
        let s = PartSet::from_path(Path::new("/m/b.airlock.parts.json")).unwrap();
        assert_eq!(
            (s.dir.as_path(), s.base.as_str()),
            (Path::new("/m"), "b.airlock")
        );
        let s = PartSet::from_path(Path::new("b.airlock.part0001")).unwrap();
        assert_eq!(
            (s.dir.as_path(), s.base.as_str()),
            (Path::new("."), "b.airlock")
        );
        assert!(PartSet::from_path(Path::new("b.airlock")).is_none());
        assert!(PartSet::from_path(Path::new("b.part01")).is_none());
    }

    #[test]
    fn writer_cuts_full_parts_and_no_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = PartWriter::new(dir.path(), "b", MIN_PART_SIZE).unwrap();
        let data: Vec<u8> = (0..(2 * MIN_PART_SIZE)).map(|i| (i % 251) as u8).collect();
        w.write_all(&data).unwrap();
        let (parts, whole, total) = w.finish().unwrap();
        assert_eq!(total, 2 * MIN_PART_SIZE);
        assert_eq!(parts.len(), 2);
        assert_eq!(whole, Digest::sha256(&data));
        assert_eq!(
            parts[1].sha256,
            Digest::sha256(&data[MIN_PART_SIZE as usize..])
        );
        assert!(!dir.path().join("b.part0003").exists());
        assert!(PartWriter::new(dir.path(), "b", 1000).is_err());
    }
}
