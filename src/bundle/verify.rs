//! Verifying a bundle against a trust root: the manifest's signatures by the `bundle-signer`
//! role's threshold, its validity window at the time of the check, then every entry as it
//! streams (size, SHA-256, BLAKE3, order, nothing missing or extra, no trailing bytes).
//!
//! [`open_authenticated`] does the first part from the first zstd frame alone and hands back an
//! [`AuthenticatedBundle`] whose entries the caller streams (the store imports them into a write
//! transaction and commits only when the stream ends cleanly). Content read from an entry is
//! unverified until its [`bundle_format::EntryReader::finish`] succeeds.

use std::io::Read;

use bundle_format::manifest::{MANIFEST_PAYLOAD_TYPE, bundle_digest};
use bundle_format::{BundleReader, Digest, Envelope, Limits, Manifest, ReadError};
use jiff::Timestamp;

use crate::crypto::{DsseError, KeyId};
use crate::error::{Coded, FailureClass};
use crate::trust::{Role, TrustError, TrustRoot};

/// Why a bundle was refused (or could not be checked).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The archive or manifest broke a rule of `spec/bundle-format.md`.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// No signature by a `bundle-signer` key of the trust root.
    #[error("manifest signatures: {detail}")]
    Untrusted {
        /// The stable code: `signature-invalid` (a role key's signature does not verify: the
        /// manifest was altered), `signature-untrusted` (signed by keys outside the role) or
        /// `threshold-not-met` (too few role keys signed).
        code: &'static str,
        /// What was found.
        detail: String,
    },
    /// The trust root could not be used (no key in the role, bad threshold).
    #[error("trust root: {0}")]
    Trust(TrustError),
    /// Past `expires` at the time of the check.
    #[error("bundle expired at {expires}, checked at {at}")]
    Expired {
        /// The manifest's expiry.
        expires: String,
        /// The time of the check.
        at: String,
    },
    /// `created` is later than the time of the check.
    #[error("bundle created at {created}, after the time of the check {at}")]
    NotYetValid {
        /// The manifest's creation time.
        created: String,
        /// The time of the check.
        at: String,
    },
}

impl Coded for VerifyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Read(e) => e.code(),
            Self::Untrusted { code, .. } => code,
            Self::Trust(e) => e.code(),
            Self::Expired { .. } => "bundle-expired",
            Self::NotYetValid { .. } => "bundle-not-yet-valid",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Read(e) if !e.is_rejection() => FailureClass::CouldNotRun,
            Self::Trust(e) => e.class(),
            _ => FailureClass::Rejected,
        }
    }
}

/// A bundle whose manifest is signed by the trust root's `bundle-signer` threshold and valid at
/// the time of the check. Stream its entries next.
#[derive(Debug)]
pub struct AuthenticatedBundle<R: Read> {
    reader: BundleReader<R>,
    signers: Vec<KeyId>,
    digest: Digest,
}

impl<R: Read> AuthenticatedBundle<R> {
    /// The authenticated manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        self.reader
            .manifest()
            .expect("loaded by open_authenticated")
    }

    /// The `bundle-signer` keys whose signatures verified.
    #[must_use]
    pub fn signers(&self) -> &[KeyId] {
        &self.signers
    }

    /// The bundle digest (SHA-256 of the manifest payload); deltas name their base with it.
    #[must_use]
    pub fn bundle_digest(&self) -> Digest {
        self.digest
    }

    /// The manifest envelope as read.
    #[must_use]
    pub fn envelope(&self) -> &Envelope {
        self.reader.envelope()
    }

    /// The underlying reader, for code that walks an authenticated bundle's entries itself
    /// (snapshot-delta import). Entries are still checked against the manifest as they stream.
    pub fn reader_mut(&mut self) -> &mut BundleReader<R> {
        &mut self.reader
    }

    /// The next entry (see [`BundleReader::next_entry`]); `None` once the archive ended cleanly.
    ///
    /// # Errors
    /// [`ReadError`].
    pub fn next_entry(&mut self) -> Result<Option<bundle_format::EntryReader<'_, R>>, ReadError> {
        self.reader.next_entry()
    }

    /// Reads and checks every remaining entry.
    ///
    /// # Errors
    /// [`VerifyError::Read`].
    pub fn verify_remaining(&mut self) -> Result<bundle_format::archive::ReadSummary, VerifyError> {
        Ok(self.reader.verify_remaining()?)
    }
}

/// Reads the first frame of a bundle, checks the manifest's signatures against `trust_root`'s
/// `bundle-signer` role and threshold, parses the manifest and checks `created <= at <= expires`.
///
/// # Errors
/// [`VerifyError`].
pub fn open_authenticated<R: Read>(
    input: R,
    trust_root: &TrustRoot,
    at: Timestamp,
    limits: Limits,
) -> Result<AuthenticatedBundle<R>, VerifyError> {
    let mut reader = BundleReader::open(input, limits)?;
    let verified = trust_root
        .verify_envelope_ref(reader.envelope(), MANIFEST_PAYLOAD_TYPE, Role::BundleSigner)
        .map_err(|e| classify_signature_failure(reader.envelope(), trust_root, e))?;
    let signers = verified.signers().to_vec();
    let digest = bundle_digest(&reader.envelope().payload);
    let manifest = reader.load_manifest()?;
    check_window(manifest, at)?;
    Ok(AuthenticatedBundle {
        reader,
        signers,
        digest,
    })
}

/// Checks `created <= at <= expires`.
///
/// # Errors
/// [`VerifyError::Expired`] or [`VerifyError::NotYetValid`].
pub fn check_window(manifest: &Manifest, at: Timestamp) -> Result<(), VerifyError> {
    let at_text = crate::time::format_instant(at);
    // Both are validated `YYYY-MM-DDTHH:MM:SSZ`, so they parse.
    let parse = |t: &str| crate::time::parse_instant(t).ok();
    if let Some(expires) = parse(&manifest.expires)
        && at > expires
    {
        return Err(VerifyError::Expired {
            expires: manifest.expires.clone(),
            at: at_text,
        });
    }
    if let Some(created) = parse(&manifest.created)
        && at < created
    {
        return Err(VerifyError::NotYetValid {
            created: manifest.created.clone(),
            at: at_text,
        });
    }
    Ok(())
}

/// Tells a tampered manifest (a role key's signature no longer verifies) from signatures by
/// keys outside the role and from too few signatures. The `keyid` hints are unauthenticated;
/// they only choose the message, never the outcome.
pub(crate) fn classify_signature_failure(
    envelope: &Envelope,
    trust_root: &TrustRoot,
    err: TrustError,
) -> VerifyError {
    let TrustError::Signature {
        source: DsseError::ThresholdNotMet { valid, .. },
        ..
    } = &err
    else {
        return VerifyError::Trust(err);
    };
    let role_ids: Vec<String> = trust_root
        .role_keys(Role::BundleSigner)
        .map(|(keys, _)| keys.iter().map(|k| k.key_id().to_string()).collect())
        .unwrap_or_default();
    let claims_role_key = envelope
        .signatures
        .iter()
        .any(|s| role_ids.contains(&s.keyid));
    let code = if *valid > 0 {
        "threshold-not-met"
    } else if claims_role_key {
        "signature-invalid"
    } else {
        "signature-untrusted"
    };
    VerifyError::Untrusted {
        code,
        detail: err.to_string(),
    }
}

/// Reads only the first frame and parses the manifest without checking any signature, for
/// `inspect`. Nothing returned here is trusted.
///
/// # Errors
/// [`ReadError`].
pub fn peek<R: Read>(input: R, limits: Limits) -> Result<(Envelope, Manifest), ReadError> {
    let mut reader = BundleReader::open(input, limits)?;
    reader.load_manifest()?;
    let (envelope, manifest) = reader.into_parts();
    Ok((envelope, manifest.expect("loaded above")))
}
