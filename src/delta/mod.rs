//! Artifact deltas (spec `delta-format.md`): create a small, verifiable delta between two
//! artifacts, verify it with its attestations, apply it, roll it back under a signed and logged
//! rollback attestation, and explain its risk.
//!
//! - [`ops`]: the byte-level matcher (COPY / ADD / ADD_DIFF).
//! - [`engine`]: create a delta directory, load one with bounded checks, apply it.
//! - [`analyze`]: artifact types, per-section and function views, archive members, materials.
//! - [`score`]: policy and the pure risk function over `score_inputs`.
//! - [`report`]: the self-contained HTML report.
//!
//! Depends on `bundle_format::delta` for the on-disk formats; never on the command line.

pub mod analyze;
pub mod attest;
pub mod engine;
pub mod expand;
pub mod fuzz;
pub mod ops;
pub mod recompress;
pub mod report;
pub mod rollback;
pub mod rpm;
pub mod score;
pub mod verify;

pub use engine::{CreateOptions, DeltaError, LoadedDelta, create, load_dir, write_dir};
