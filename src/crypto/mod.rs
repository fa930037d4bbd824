//! Keys, signatures, DSSE signing and threshold verification, in-toto Statement v1 types.
//!
//! Which keys are trusted for what is not decided here: see [`crate::trust`]. This module only
//! answers "did these keys sign these bytes".

pub mod dsse;
pub mod intoto;
pub mod keys;

pub use dsse::{DsseError, Verified, sign_envelope, verify_envelope, verify_envelope_ref};
pub use keys::{BadSignature, KeyAlgorithm, KeyError, KeyId, PrivateKey, PublicKey};
