//! Rollback attestations (spec §10): a DSSE envelope over an in-toto Statement v1 whose
//! subject is the artifact being restored (the delta's base) and whose predicate names the
//! artifact being replaced (the delta's target) and the delta manifest, signed by the trust
//! root's `rollback-signer` role and anchored in a transparency log of the trust root by an
//! inclusion proof against a signed checkpoint.

use std::path::Path;

use bundle_format::delta::manifest::DeltaManifest;

use crate::{Coded, FailureClass};

/// The predicate type of a rollback attestation.
pub const ROLLBACK_PREDICATE_TYPE: &str = "https://airlock.dev/delta-rollback/v1";

/// Why a rollback attestation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// The file is not a rollback attestation.
    #[error("rollback attestation: {0}")]
    Malformed(String),
    /// The statement names other digests than the delta's.
    #[error("rollback attestation: {0}")]
    WrongDigests(String),
    /// Signature verification failed or cannot be performed.
    #[error("rollback attestation signature: {0}")]
    Signature(String),
    /// The inclusion proof or checkpoint failed.
    #[error("rollback attestation log inclusion: {0}")]
    Inclusion(String),
}

impl Coded for RollbackError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "rollback-attestation-invalid",
            Self::WrongDigests(_) => "rollback-digest-mismatch",
            Self::Signature(_) => "rollback-signature-invalid",
            Self::Inclusion(_) => "rollback-inclusion-invalid",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// Checks a rollback attestation for the delta `m` under the trust root at `root`.
///
/// # Errors
/// [`RollbackError`] naming the failed check.
pub fn check_rollback_attestation(
    bytes: &[u8],
    m: &DeltaManifest,
    root: &Path,
    at: jiff::Timestamp,
) -> Result<(), RollbackError> {
    let _ = (bytes, m, root, at);
    Err(RollbackError::Signature(
        "rollback-signer verification is not available in this build".into(),
    ))
}
