//! Why a Sigstore bundle was rejected, with a stable code per cause.

use crate::{Coded, FailureClass};

/// A Sigstore bundle (or its trusted root) could not be verified.
///
/// Every variant names what was expected and what was found; [`Coded::code`] gives the stable
/// kebab-case code scripts match on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigstoreError {
    /// The trusted root is not valid JSON or not a usable `trusted_root.json`.
    #[error("trusted root: {0}")]
    TrustedRootInvalid(String),
    /// The bundle is larger than [`super::MAX_BUNDLE_BYTES`].
    #[error("bundle is {size} bytes, more than the limit of {limit} bytes")]
    BundleTooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bundle is not a well-formed Sigstore bundle v0.1–v0.3.
    #[error("malformed bundle: {0}")]
    BundleMalformed(String),
    /// Well formed, but uses content or entry kinds that cannot be verified here.
    #[error("unsupported bundle: {0}")]
    BundleUnsupported(String),
    /// A message-signature bundle needs the artifact (`--artifact` or `--digest`).
    #[error("{0}")]
    ArtifactRequired(String),
    /// The artifact was given in a form this bundle cannot be checked against.
    #[error("artifact input: {0}")]
    ArtifactUnsupported(String),
    /// The bundle is keyless but a key was given, or managed-key but no key was given.
    #[error("{0}")]
    KeyRequired(String),
    /// A certificate bundle was checked against `--key`, or the reverse.
    #[error("{0}")]
    BundleKindMismatch(String),
    /// The signing certificate does not chain to a trusted Fulcio CA at the verified time(s).
    #[error("certificate chain: {0}")]
    CertificateChainInvalid(String),
    /// The certificate's embedded SCT is missing or does not verify against the CT logs.
    #[error("signed certificate timestamp: {0}")]
    SctInvalid(String),
    /// The certificate's SAN does not match the identity policy.
    #[error("identity mismatch: expected {expected}, found {found}")]
    IdentityMismatch {
        /// The policy.
        expected: String,
        /// The certificate's identity.
        found: String,
    },
    /// The certificate's Fulcio OIDC issuer extension does not match the issuer policy.
    #[error("issuer mismatch: expected {expected}, found {found}")]
    IssuerMismatch {
        /// The policy.
        expected: String,
        /// The certificate's issuer claim.
        found: String,
    },
    /// The signature does not verify over the artifact or DSSE payload.
    #[error("signature: {0}")]
    SignatureInvalid(String),
    /// The artifact does not match the bundle's message digest or statement subjects.
    #[error("artifact digest mismatch: {0}")]
    ArtifactDigestMismatch(String),
    /// The bundle carries no transparency-log entry.
    #[error("no transparency-log entry: {0}")]
    TlogEntryMissing(String),
    /// A log entry names a log whose key is not in the trusted root.
    #[error("unknown log key: {0}")]
    UnknownLogKey(String),
    /// The Merkle inclusion proof does not lead to the checkpoint's root.
    #[error("inclusion proof: {0}")]
    InclusionInvalid(String),
    /// The checkpoint is malformed, does not match the proof, or is not signed by the entry's log.
    #[error("checkpoint: {0}")]
    CheckpointInvalid(String),
    /// The signed entry timestamp (inclusion promise) does not verify.
    #[error("signed entry timestamp: {0}")]
    SetInvalid(String),
    /// The log entry body does not describe this bundle's signature, key or artifact.
    #[error("log entry does not match the bundle: {0}")]
    EntryMismatch(String),
    /// The integrated time is outside the certificate's validity or in the future.
    #[error("integrated time: {0}")]
    IntegratedTimeInvalid(String),
    /// An RFC 3161 timestamp does not verify against the trusted TSAs.
    #[error("rfc 3161 timestamp: {0}")]
    TimestampInvalid(String),
    /// A verified time (SET integrated time or RFC 3161 time) lies after the policy time
    /// (`--at`): the bundle did not exist yet at that time.
    #[error("verified time after the policy time: {0}")]
    TimeAfterPolicy(String),
    /// No authenticated time (SET-verified integrated time or RFC 3161 timestamp) exists.
    #[error("no verified time: {0}")]
    NoVerifiedTime(String),
}

impl Coded for SigstoreError {
    fn code(&self) -> &'static str {
        match self {
            Self::TrustedRootInvalid(_) => "trusted-root-invalid",
            Self::BundleTooLarge { .. } | Self::BundleMalformed(_) => "bundle-malformed",
            Self::BundleUnsupported(_) => "bundle-unsupported",
            Self::ArtifactRequired(_) => "artifact-required",
            Self::ArtifactUnsupported(_) => "artifact-unsupported",
            Self::KeyRequired(_) => "key-required",
            Self::BundleKindMismatch(_) => "bundle-kind-mismatch",
            Self::CertificateChainInvalid(_) => "certificate-chain-invalid",
            Self::SctInvalid(_) => "sct-invalid",
            Self::IdentityMismatch { .. } => "identity-mismatch",
            Self::IssuerMismatch { .. } => "issuer-mismatch",
            Self::SignatureInvalid(_) => "signature-invalid",
            Self::ArtifactDigestMismatch(_) => "artifact-digest-mismatch",
            Self::UnknownLogKey(_) => "unknown-log-key",
            Self::TlogEntryMissing(_) => "tlog-entry-missing",
            Self::InclusionInvalid(_) => "tlog-inclusion-invalid",
            Self::CheckpointInvalid(_) => "checkpoint-invalid",
            Self::SetInvalid(_) => "set-invalid",
            Self::EntryMismatch(_) => "tlog-entry-mismatch",
            Self::IntegratedTimeInvalid(_) => "integrated-time-invalid",
            Self::TimestampInvalid(_) => "timestamp-invalid",
            Self::NoVerifiedTime(_) => "no-verified-time",
            Self::TimeAfterPolicy(_) => "verified-time-after-at",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::TrustedRootInvalid(_)
            | Self::ArtifactRequired(_)
            | Self::ArtifactUnsupported(_)
            | Self::KeyRequired(_) => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

impl From<sigstore_verify::Error> for SigstoreError {
    fn from(err: sigstore_verify::Error) -> Self {
        use sigstore_verify::TransparencyLogError as L;
        use sigstore_verify::{CertificateError as C, Error as E, TimestampError as T};
        let text = err.to_string();
        match err {
            E::IdentityMismatch { expected, actual } => Self::IdentityMismatch {
                expected: expected.to_string(),
                found: actual.map_or_else(|| "no identity".into(), |a| a.as_str().to_string()),
            },
            E::IssuerMismatch { expected, actual } => Self::IssuerMismatch {
                expected,
                found: actual.unwrap_or_else(|| "no issuer extension".into()),
            },
            E::SignatureInvalid(m) => Self::SignatureInvalid(m),
            E::ArtifactMismatch(m) => Self::ArtifactDigestMismatch(m),
            E::UnsupportedArtifact(m) => Self::ArtifactUnsupported(m),
            E::Certificate(C::Malformed(m)) => Self::BundleMalformed(format!("certificate: {m}")),
            E::Certificate(C::Sct(m)) => Self::SctInvalid(m),
            E::Certificate(_) => Self::CertificateChainInvalid(text),
            E::TransparencyLog(L::UnknownLog { log_id }) => Self::UnknownLogKey(format!(
                "log id {log_id} is not among the trusted root's transparency logs"
            )),
            E::TransparencyLog(L::InclusionProof(m)) => Self::InclusionInvalid(m),
            E::TransparencyLog(L::Checkpoint(m)) => Self::CheckpointInvalid(m),
            E::TransparencyLog(L::InclusionPromise(m)) => Self::SetInvalid(m),
            E::TransparencyLog(L::EntryMismatch(m)) => Self::EntryMismatch(m),
            E::TransparencyLog(L::IntegratedTime(m)) => Self::IntegratedTimeInvalid(m),
            E::TransparencyLog(_) => Self::BundleMalformed(text),
            E::Timestamp(T::NoVerifiedTimestamp(m)) => Self::NoVerifiedTime(m),
            E::Timestamp(_) => Self::TimestampInvalid(text),
            E::UnsupportedBundle(m) => Self::BundleUnsupported(m),
            E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
                Self::TrustedRootInvalid(text)
            }
            E::Crypto(_) => Self::SignatureInvalid(text),
            E::Bundle(
                sigstore_verify::bundle::Error::LogIndexOutOfRange { .. }
                | sigstore_verify::bundle::Error::CheckpointRootMismatch,
            ) => Self::InclusionInvalid(text),
            _ => Self::BundleMalformed(text),
        }
    }
}
