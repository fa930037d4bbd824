//! Transparency logs, offline: RFC 6962/9162 Merkle proofs, C2SP signed notes, checkpoints,
//! cosignatures and tiles, and a local tile-based log for vendors.
//!
//! Entry points by task:
//! - hash leaves, build or check inclusion and consistency proofs: [`merkle`]
//!   ([`merkle::verify_inclusion`], [`merkle::verify_consistency`],
//!   [`merkle::inclusion_proof`], [`merkle::consistency_proof`]);
//!
//! Nothing here opens a network connection or reads the clock. Must not depend on the CLI.

pub mod merkle;

#[cfg(test)]
mod vector_tests;
