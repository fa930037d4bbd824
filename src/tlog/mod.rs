//! Transparency logs, offline: RFC 6962/9162 Merkle proofs, C2SP signed notes, checkpoints,
//! cosignatures and tiles, and a local tile-based log for vendors.
//!
//! Entry points by task:
//! - hash leaves, build or check inclusion and consistency proofs: [`merkle`]
//!   ([`merkle::verify_inclusion`], [`merkle::verify_consistency`],
//!   [`merkle::inclusion_proof`], [`merkle::consistency_proof`]);
//! - parse, verify and sign C2SP signed notes and tlog-cosignature/v1 cosignatures: [`note`]
//!   ([`note::open`], [`note::Verifier::from_vkey`], [`note::Verifier::ecdsa_p256_from_pem`]);
//! - parse and verify C2SP checkpoints with a k-of-n witness policy: [`checkpoint`]
//!   ([`checkpoint::Checkpoint::parse`], [`checkpoint::verify`]);
//! - C2SP tile paths, entry bundles, proofs computed from tiles: [`tiles`] ([`tiles::TileNodes`]);
//! - a local tile log with signed checkpoints (`airlock tlog init|append|checkpoint|prove`):
//!   [`log::LocalLog`];
//! - tile fragments (extract, verify offline) and the checkpoint-advance rule the store
//!   applies: [`fragment`] ([`fragment::extract`], [`fragment::verify_fragment`],
//!   [`fragment::check_advance`]).
//!
//! Nothing here opens a network connection or reads the clock. Must not depend on the CLI.

pub mod checkpoint;
pub mod fragment;
pub mod log;
pub mod merkle;
pub mod note;
pub mod tiles;

#[cfg(test)]
mod vector_tests;
