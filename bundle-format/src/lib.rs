//! On-disk formats of airlock, integrity only.
//!
//! This crate reads and writes the bytes airlock puts on disk and checks their internal
//! consistency. It holds no key policy, no store, no command line and opens no network
//! connection, so a third party can check a bundle's consistency with this crate alone. Which
//! keys are trusted is decided by the `airlock` crate.
//!
//! Which type for which task:
//! - Read or verify a bundle, streaming, in bounded memory: [`BundleReader`]
//!   (open → authenticate [`BundleReader::envelope`] → [`BundleReader::load_manifest`] →
//!   [`BundleReader::next_entry`] until `None`).
//! - Write a bundle from a signed manifest envelope: [`BundleWriter`].
//! - Build, parse and check a manifest, its Merkle root and the bundle digest: [`manifest`].
//! - Validate an entry name: [`EntryPath`]. Size caps: [`Limits`].
//! - Digests: [`digest`]; RFC 8785 canonical JSON: [`canonical`]; DSSE structure and PAE:
//!   [`dsse`].
//!
//! The normative description is `spec/bundle-format.md` in the airlock repository.

pub mod archive;
pub mod canonical;
pub mod delta;
pub mod digest;
pub mod dsse;
pub mod limits;
pub mod manifest;
pub mod path;

pub use archive::{BundleReader, BundleWriter, EntryReader, ReadError, WriteError, WriteOptions};
pub use digest::{Digest, DigestAlgorithm, FileDigests};
pub use dsse::Envelope;
pub use limits::Limits;
pub use manifest::{BundleKind, EntryKind, Manifest, ManifestEntry, ManifestError, ManifestHeader};
pub use path::{EntryPath, PathError};
