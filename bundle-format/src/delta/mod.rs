//! The artifact delta formats (spec `delta-format.md`): content-defined chunking
//! ([`chunk`]), the RFC 6962 chunk tree ([`merkle`]), the binary payload `delta.bin`
//! ([`payload`]) and `delta-manifest.json` ([`manifest`]). Integrity only: which signatures are
//! trusted and how risk is judged is decided by the `airlock` crate.

pub mod chunk;
pub mod manifest;
pub mod merkle;
pub mod payload;

pub use manifest::DeltaManifest;
pub use payload::{Limits, Op, PayloadError};
