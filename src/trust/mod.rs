//! Trust roots: which keys may sign what, with which threshold, until when; which transparency
//! logs and witnesses are trusted; and how a trust root is rotated.
//!
//! A trust root is a DSSE envelope (payloadType [`PAYLOAD_TYPE`]) whose payload is the RFC 8785
//! canonical JSON of a [`TrustRootBody`]. It is valid when a threshold of its own `root` role's
//! keys signed it and it has not expired. Version N+1 replaces version N only when signed by a
//! threshold of N's root keys *and* of its own (`spec/trust-roots.md`). A trust root is only ever
//! loaded from a path the operator names; nothing here reads the clock or the network.

mod body;
mod edit;

use std::path::Path;

use bundle_format::canonical;
use bundle_format::dsse::{Envelope, EnvelopeError};
use jiff::Timestamp;

pub use body::{FORMAT, KeyEntry, LogEntry, LogKeyType, Role, RoleEntry, TrustRootBody, Witnesses};
pub use edit::{Draft, EditError};

use crate::crypto::{DsseError, PublicKey, Verified, verify_envelope, verify_envelope_ref};
use crate::error::{Coded, FailureClass};

/// The DSSE payloadType of a trust root.
pub const PAYLOAD_TYPE: &str = "application/vnd.airlock.trust-root+json";

/// Trust root files larger than this are refused unread.
pub const MAX_TRUST_ROOT_BYTES: u64 = 1024 * 1024;

/// Why a trust root (or something checked against one) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// Larger than [`MAX_TRUST_ROOT_BYTES`].
    #[error("trust root is {found} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size found.
        found: u64,
        /// The limit.
        max: u64,
    },
    /// Not a DSSE envelope.
    #[error("not a signed trust root: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The payload is not canonical JSON, or not a trust root body.
    #[error("trust root payload: {0}")]
    Malformed(String),
    /// A signature check failed.
    #[error("{context}: {source}")]
    Signature {
        /// What was being verified (role, previous version).
        context: String,
        /// The DSSE failure.
        source: DsseError,
    },
    /// Past its `expires`.
    #[error("trust root version {version} expired at {expires}, checked at {at}")]
    Expired {
        /// The version.
        version: u64,
        /// Its expiry.
        expires: String,
        /// The time of the check.
        at: String,
    },
    /// A rotation that does not go to exactly the next version.
    #[error("rotation from version {previous} to {found}: expected version {}", previous + 1)]
    VersionSkip {
        /// The previous version.
        previous: u64,
        /// The version found.
        found: u64,
    },
    /// A role with no usable key.
    #[error("role {role} has no key valid at {at}")]
    RoleEmpty {
        /// The role.
        role: Role,
        /// The time of the check.
        at: String,
    },
}

impl Coded for TrustError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io-error",
            Self::TooLarge { .. } => "trust-root-too-large",
            Self::Envelope(_) | Self::Malformed(_) => "trust-root-malformed",
            Self::Signature { source, .. } => match source {
                DsseError::WrongPayloadType { .. } => "payload-type-mismatch",
                DsseError::BadThreshold { .. } => "threshold-invalid",
                _ => "threshold-not-met",
            },
            Self::Expired { .. } => "trust-root-expired",
            Self::VersionSkip { .. } => "trust-root-version-skip",
            Self::RoleEmpty { .. } => "role-empty",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Io(_) => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

/// A trust root whose signatures and expiry were checked at the time it was loaded for.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    verified: Verified<TrustRootBody>,
    envelope: Envelope,
    at: Timestamp,
}

/// Reads the envelope and body of a trust root file without checking signatures.
///
/// # Errors
/// I/O, size, envelope or body errors.
pub fn read_unverified(path: &Path) -> Result<(Envelope, TrustRootBody), TrustError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_TRUST_ROOT_BYTES {
        return Err(TrustError::TooLarge {
            found: len,
            max: MAX_TRUST_ROOT_BYTES,
        });
    }
    let bytes = std::fs::read(path)?;
    let envelope = Envelope::from_json_allow_unsigned(&bytes)?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(TrustError::Signature {
            context: "trust root".into(),
            source: DsseError::WrongPayloadType {
                expected: PAYLOAD_TYPE.into(),
                found: envelope.payload_type.clone(),
            },
        });
    }
    let body = TrustRootBody::from_canonical(&envelope.payload)?;
    Ok((envelope, body))
}

impl TrustRoot {
    /// Loads and verifies a trust root for use at time `at`: its own root role's threshold
    /// signed it (counting keys valid at `at`), and it has not expired at `at`.
    ///
    /// # Errors
    /// [`TrustError`] naming what failed.
    pub fn load(path: &Path, at: Timestamp) -> Result<Self, TrustError> {
        let (envelope, body) = read_unverified(path)?;
        Self::verify(envelope, body, at)
    }

    /// Verifies an already-read trust root (see [`TrustRoot::load`]).
    ///
    /// # Errors
    /// [`TrustError`] naming what failed.
    pub fn verify(
        envelope: Envelope,
        body: TrustRootBody,
        at: Timestamp,
    ) -> Result<Self, TrustError> {
        let (keys, threshold) = body.role_keys(Role::Root, at)?;
        let signed =
            verify_envelope(&envelope, PAYLOAD_TYPE, &keys, threshold).map_err(|source| {
                TrustError::Signature {
                    context: format!("trust root version {} (role root)", body.version),
                    source,
                }
            })?;
        if at >= body.expires_at() {
            return Err(TrustError::Expired {
                version: body.version,
                expires: body.expires.clone(),
                at: crate::time::format_instant(at),
            });
        }
        let signers = signed.signers().to_vec();
        Ok(Self {
            verified: Verified::new(body, signers),
            envelope,
            at,
        })
    }

    /// Verifies that `self` (version N+1) is a valid rotation of `previous` (version N): the
    /// version goes up by exactly one and a threshold of N's root keys signed N+1 (in addition
    /// to N+1's own root threshold, which [`TrustRoot::load`] already checked).
    ///
    /// # Errors
    /// [`TrustError::VersionSkip`] or a signature error naming the previous version.
    pub fn verify_rotation_from(&self, previous: &TrustRootBody) -> Result<(), TrustError> {
        let found = self.body().version;
        if found != previous.version + 1 {
            return Err(TrustError::VersionSkip {
                previous: previous.version,
                found,
            });
        }
        let (keys, threshold) = previous.role_keys(Role::Root, self.at)?;
        verify_envelope(&self.envelope, PAYLOAD_TYPE, &keys, threshold).map_err(|source| {
            TrustError::Signature {
                context: format!(
                    "rotation to version {found}: root keys of version {}",
                    previous.version
                ),
                source,
            }
        })?;
        Ok(())
    }

    /// The verified body.
    #[must_use]
    pub fn body(&self) -> &TrustRootBody {
        self.verified.value()
    }

    /// The root keys whose signatures verified.
    #[must_use]
    pub fn signers(&self) -> &[crate::crypto::KeyId] {
        self.verified.signers()
    }

    /// The time the trust root was checked for; role keys are those valid then.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The keys of `role` valid at [`TrustRoot::at`], and the role's threshold.
    ///
    /// # Errors
    /// [`TrustError::RoleEmpty`] if no key of the role is valid then.
    pub fn role_keys(&self, role: Role) -> Result<(Vec<PublicKey>, usize), TrustError> {
        self.body().role_keys(role, self.at)
    }

    /// Verifies that `envelope` has payload type `expected_payload_type` and is signed by the
    /// threshold of `role`.
    ///
    /// # Errors
    /// [`TrustError::Signature`] (payload type or threshold) or [`TrustError::RoleEmpty`].
    pub fn verify_envelope(
        &self,
        envelope: &Envelope,
        expected_payload_type: &str,
        role: Role,
    ) -> Result<Verified<Envelope>, TrustError> {
        let verified = self.verify_envelope_ref(envelope, expected_payload_type, role)?;
        Ok(Verified::new(envelope.clone(), verified.signers().to_vec()))
    }

    /// [`TrustRoot::verify_envelope`] without copying the envelope (the result borrows it).
    ///
    /// # Errors
    /// As [`TrustRoot::verify_envelope`].
    pub fn verify_envelope_ref<'a>(
        &self,
        envelope: &'a Envelope,
        expected_payload_type: &str,
        role: Role,
    ) -> Result<Verified<&'a Envelope>, TrustError> {
        let (keys, threshold) = self.role_keys(role)?;
        verify_envelope_ref(envelope, expected_payload_type, &keys, threshold).map_err(|source| {
            TrustError::Signature {
                context: format!("role {role}"),
                source,
            }
        })
    }

    /// The trusted transparency logs.
    #[must_use]
    pub fn logs(&self) -> &[LogEntry] {
        &self.body().logs
    }

    /// The witness policy.
    #[must_use]
    pub fn witnesses(&self) -> &Witnesses {
        &self.body().witnesses
    }
}

/// Parses canonical JSON into a trust root body, naming the problem on failure.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<TrustRootBody, TrustError> {
    canonical::from_canonical_slice(bytes).map_err(|e| TrustError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests;
