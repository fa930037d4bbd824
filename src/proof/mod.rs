//! The proof engine: "is vulnerability X fixed in package P at version V?", answered from the
//! store alone with a [`ProofBlob`] that cites every piece of evidence it used.
//!
//! Four evidence tiers (`spec/proof-format.md`): distro advisories (0.98), changelog entries
//! (0.80), patches (DEP-3 header 0.85, HunkSig match 0.90) and binary fingerprints (TLSH
//! 0.75–0.85, instruction hash 0.55–0.75). Versions are compared with the package's own scheme
//! (dpkg, rpm, apk, semver); an upstream project's version range never decides a distro package.
//! The engine is a pure function of the store snapshot and the request: no clock, no network.

pub mod blob;
pub mod canonical;
mod claims;
pub mod engine;
pub mod sign;
pub mod subject;

pub use blob::{EvidenceItem, ProofBlob, StoreState, Tier, Verdict};
pub use engine::{EvidenceSource, ProofError, ProofRequest, prove, prove_subject};
pub use subject::{Subject, SubjectError};
