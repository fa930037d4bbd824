//! Signing DSSE envelopes and verifying them against a threshold of distinct trusted keys.
//!
//! From the DSSE protocol: the verifier "MUST reject the envelope unless at least `threshold`
//! distinct, trusted keys produced valid signatures" over PAE. Distinct means distinct key ids:
//! two signatures by one key count once, whatever `keyid` hints they carry.

use std::collections::BTreeSet;

use bundle_format::dsse::{Envelope, Signature};

use super::keys::{KeyId, PrivateKey, PublicKey};
use crate::error::{Coded, FailureClass};

/// A value that passed verification. Only verifying code can make one, so functions that take
/// `&Verified<T>` cannot be handed unchecked input.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    signers: Vec<KeyId>,
}

impl<T> Verified<T> {
    /// Wraps a value whose signatures were checked. Crate-private on purpose.
    pub(crate) fn new(value: T, signers: Vec<KeyId>) -> Self {
        Self { value, signers }
    }

    /// The verified value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The distinct trusted keys whose signatures verified, sorted.
    pub fn signers(&self) -> &[KeyId] {
        &self.signers
    }

    /// Takes the value out.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Maps the verified value, keeping the signers (for parsing a verified payload).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified {
            value: f(self.value),
            signers: self.signers,
        }
    }
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The payload type is not the one the caller expects.
    #[error("payloadType is {found:?}, expected {expected:?}")]
    WrongPayloadType {
        /// Expected type.
        expected: String,
        /// Type found.
        found: String,
    },
    /// Fewer distinct trusted keys signed than the threshold requires.
    #[error(
        "{valid} distinct trusted key(s) signed, threshold is {threshold} ({signatures} signature(s) present{detail})"
    )]
    ThresholdNotMet {
        /// Distinct trusted keys with valid signatures.
        valid: usize,
        /// Required.
        threshold: usize,
        /// Signatures in the envelope.
        signatures: usize,
        /// Which signatures failed and why.
        detail: String,
    },
    /// A threshold of zero, or higher than the number of trusted keys, can never be meaningful.
    #[error("threshold {threshold} is invalid for {keys} trusted key(s)")]
    BadThreshold {
        /// The threshold asked for.
        threshold: usize,
        /// Trusted keys available.
        keys: usize,
    },
}

impl Coded for DsseError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongPayloadType { .. } => "payload-type-mismatch",
            Self::ThresholdNotMet { .. } => "threshold-not-met",
            Self::BadThreshold { .. } => "threshold-invalid",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::BadThreshold { .. } => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

/// Adds `key`'s signature over the envelope's PAE, with the key id as `keyid`.
pub fn sign_envelope(envelope: &mut Envelope, key: &PrivateKey) {
    let sig = key.sign(&envelope.pae());
    envelope.signatures.push(Signature {
        keyid: key.key_id().to_string(),
        sig,
    });
}

/// Verifies that at least `threshold` distinct keys from `trusted` signed the envelope and that
/// its payload type is `expected_payload_type`.
///
/// The `keyid` hint only orders the attempts; every trusted key is tried for every signature, so
/// a missing or wrong hint cannot make a valid signature fail or an invalid one pass.
///
/// # Errors
/// [`DsseError`] naming the payload type, or how many keys signed against the threshold.
pub fn verify_envelope(
    envelope: &Envelope,
    expected_payload_type: &str,
    trusted: &[PublicKey],
    threshold: usize,
) -> Result<Verified<Envelope>, DsseError> {
    let verified = verify_envelope_ref(envelope, expected_payload_type, trusted, threshold)?;
    Ok(Verified::new(envelope.clone(), verified.signers))
}

/// [`verify_envelope`] without copying the envelope: the result borrows it (for large payloads
/// such as bundle manifests, where a copy would cost as much memory as the payload).
///
/// # Errors
/// As [`verify_envelope`].
pub fn verify_envelope_ref<'a>(
    envelope: &'a Envelope,
    expected_payload_type: &str,
    trusted: &[PublicKey],
    threshold: usize,
) -> Result<Verified<&'a Envelope>, DsseError> {
    let distinct: BTreeSet<&KeyId> = trusted.iter().map(PublicKey::key_id).collect();
    if threshold == 0 || threshold > distinct.len() {
        return Err(DsseError::BadThreshold {
            threshold,
            keys: distinct.len(),
        });
    }
    if envelope.payload_type != expected_payload_type {
        return Err(DsseError::WrongPayloadType {
            expected: expected_payload_type.to_owned(),
            found: envelope.payload_type.clone(),
        });
    }
    let pae = envelope.pae();
    let mut signers = BTreeSet::new();
    let mut failures = Vec::new();
    for (i, signature) in envelope.signatures.iter().enumerate() {
        let mut candidates: Vec<&PublicKey> = trusted.iter().collect();
        candidates.sort_by_key(|k| k.key_id().as_str() != signature.keyid);
        match candidates
            .iter()
            .find(|k| k.verify(&pae, &signature.sig).is_ok())
        {
            Some(key) => {
                signers.insert(key.key_id().clone());
            }
            None => failures.push(format!(
                "signature {i} (keyid {:?}) matches no trusted key",
                signature.keyid
            )),
        }
    }
    if signers.len() < threshold {
        let detail = if failures.is_empty() {
            String::new()
        } else {
            format!("; {}", failures.join("; "))
        };
        return Err(DsseError::ThresholdNotMet {
            valid: signers.len(),
            threshold,
            signatures: envelope.signatures.len(),
            detail,
        });
    }
    Ok(Verified::new(envelope, signers.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::KeyAlgorithm;

    fn key(alg: KeyAlgorithm) -> PrivateKey {
        PrivateKey::generate(alg).unwrap()
    }

    #[test]
    fn threshold_counts_distinct_keys_only() {
        let a = key(KeyAlgorithm::Ed25519);
        let b = key(KeyAlgorithm::EcdsaP256);
        let trusted = [a.public_key(), b.public_key()];
        let mut env = Envelope::new("t", b"payload".to_vec());
        sign_envelope(&mut env, &a);
        sign_envelope(&mut env, &a);
        let err = verify_envelope(&env, "t", &trusted, 2).unwrap_err();
        assert!(matches!(
            err,
            DsseError::ThresholdNotMet {
                valid: 1,
                threshold: 2,
                ..
            }
        ));
        sign_envelope(&mut env, &b);
        let ok = verify_envelope(&env, "t", &trusted, 2).unwrap();
        assert_eq!(ok.signers().len(), 2);
    }

    #[test]
    fn refuses_wrong_type_unknown_key_and_tampering() {
        let a = key(KeyAlgorithm::Ed25519);
        let stranger = key(KeyAlgorithm::Ed25519);
        let mut env = Envelope::new("t", b"payload".to_vec());
        sign_envelope(&mut env, &stranger);
        assert_eq!(
            verify_envelope(&env, "t", &[a.public_key()], 1)
                .unwrap_err()
                .code(),
            "threshold-not-met"
        );
        let mut env = Envelope::new("t", b"payload".to_vec());
        sign_envelope(&mut env, &a);
        assert_eq!(
            verify_envelope(&env, "u", &[a.public_key()], 1)
                .unwrap_err()
                .code(),
            "payload-type-mismatch"
        );
        env.payload[0] ^= 1;
        assert!(verify_envelope(&env, "t", &[a.public_key()], 1).is_err());
        assert_eq!(
            verify_envelope(&env, "t", &[a.public_key()], 2)
                .unwrap_err()
                .code(),
            "threshold-invalid"
        );
    }

    #[test]
    fn a_wrong_keyid_hint_does_not_matter() {
        let a = key(KeyAlgorithm::EcdsaP256);
        let mut env = Envelope::new("t", b"x".to_vec());
        sign_envelope(&mut env, &a);
        env.signatures[0].keyid = "something-else".into();
        verify_envelope(&env, "t", &[a.public_key()], 1).unwrap();
    }
}
