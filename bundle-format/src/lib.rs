//! On-disk formats of airlock, integrity only.
//!
//! This crate reads and writes the bytes airlock puts on disk and checks their internal
//! consistency: digests ([`digest`]), RFC 8785 canonical JSON ([`canonical`]), DSSE envelopes and
//! their pre-authentication encoding ([`dsse`]). It holds no key policy, no store, no command line
//! and opens no network connection, so a third party can check a bundle's consistency with this
//! crate alone. Which keys are trusted is decided by the `airlock` crate.

pub mod canonical;
pub mod delta;
pub mod digest;
pub mod dsse;

pub use digest::{Digest, DigestAlgorithm, FileDigests};
pub use dsse::Envelope;
