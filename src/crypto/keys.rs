//! Signing keys and public keys: Ed25519 (RFC 8032) and ECDSA P-256 with SHA-256 (FIPS 186-5).
//!
//! Private keys are PKCS#8 PEM (`PRIVATE KEY`), public keys SPKI PEM (`PUBLIC KEY`), the forms
//! cosign and OpenSSL write. A [`KeyId`] is the lowercase hex SHA-256 of the SPKI DER, so the same
//! key has the same id whatever file or tool it came from.
//!
//! ECDSA signatures are produced deterministically (RFC 6979) and written as ASN.1 DER, as cosign
//! writes them; verification also accepts the fixed 64-byte `r || s` form the DSSE spec's own
//! test vector uses.

use std::fmt;
use std::path::Path;

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use spki::{DecodePublicKey, EncodePublicKey};

use crate::error::{Coded, FailureClass};

/// PEM files larger than this are refused before parsing.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The signature algorithms airlock signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032), pure, 64-byte signatures.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256, DER signatures.
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
}

impl KeyAlgorithm {
    /// The name used on the command line and in documents.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256 => "ecdsa-p256",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KeyAlgorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        match s {
            "ed25519" => Ok(Self::Ed25519),
            "ecdsa-p256" | "ecdsa-p256-sha256" => Ok(Self::EcdsaP256),
            other => Err(KeyError::UnsupportedAlgorithm(format!(
                "{other:?} (expected ed25519 or ecdsa-p256)"
            ))),
        }
    }
}

/// Lowercase hex SHA-256 of a key's SPKI DER encoding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    /// The id of the key whose SPKI DER is `spki_der`.
    #[must_use]
    pub fn of_spki(spki_der: &[u8]) -> Self {
        Self(bundle_format::Digest::sha256(spki_der).hex())
    }

    /// The 64 hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s))
        } else {
            Err(format!("key id {s:?}: expected 64 lowercase hex digits"))
        }
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a key could not be read, made or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read key file: {0}")]
    Io(#[from] std::io::Error),
    /// The key file is larger than [`MAX_KEY_FILE_BYTES`].
    #[error("key file is {found} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size found.
        found: u64,
        /// The limit.
        max: u64,
    },
    /// Not PEM, or PEM with a label other than the expected one.
    #[error("expected a PEM block labelled {expected:?}, found {found}")]
    WrongPem {
        /// The expected label.
        expected: &'static str,
        /// What was found instead.
        found: String,
    },
    /// An encrypted private key where a plain one is expected.
    #[error("the private key is encrypted ({label}); airlock needs an unencrypted PKCS#8 key")]
    Encrypted {
        /// The PEM label found.
        label: String,
    },
    /// The DER inside is malformed or names an algorithm we do not support.
    #[error("unsupported algorithm or malformed key: {0}")]
    UnsupportedAlgorithm(String),
    /// Randomness for key generation was unavailable.
    #[error("no randomness for key generation: {0}")]
    Random(String),
}

impl Coded for KeyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io-error",
            Self::TooLarge { .. } => "key-too-large",
            Self::WrongPem { .. } => "key-malformed",
            Self::Encrypted { .. } => "key-encrypted",
            Self::UnsupportedAlgorithm(_) => "key-unsupported",
            Self::Random(_) => "no-randomness",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::CouldNotRun
    }
}

/// A signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signature does not verify with {algorithm} key {key_id}")]
pub struct BadSignature {
    /// The key tried.
    pub key_id: KeyId,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
}

#[derive(Clone)]
enum PublicInner {
    Ed25519(ed25519_dalek::VerifyingKey),
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

/// A public key that can verify signatures.
#[derive(Clone)]
pub struct PublicKey {
    inner: PublicInner,
    spki_der: Vec<u8>,
    key_id: KeyId,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

/// Splits `text` into its first PEM block's label, refusing anything else.
fn pem_label(text: &str) -> Result<String, KeyError> {
    let begin = text.find("-----BEGIN ").ok_or_else(|| KeyError::WrongPem {
        expected: "PUBLIC KEY or PRIVATE KEY",
        found: "no PEM block".to_owned(),
    })?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let end = rest.find("-----").ok_or_else(|| KeyError::WrongPem {
        expected: "PUBLIC KEY or PRIVATE KEY",
        found: "an unterminated PEM header".to_owned(),
    })?;
    Ok(rest[..end].to_owned())
}

fn read_limited(path: &Path) -> Result<String, KeyError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_KEY_FILE_BYTES {
        return Err(KeyError::TooLarge {
            found: len,
            max: MAX_KEY_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|_| KeyError::WrongPem {
        expected: "PUBLIC KEY or PRIVATE KEY",
        found: "binary data (not UTF-8 PEM)".to_owned(),
    })
}

impl PublicKey {
    /// Reads an SPKI DER public key (Ed25519 or P-256).
    ///
    /// # Errors
    /// [`KeyError::UnsupportedAlgorithm`] for other algorithms or malformed DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let inner = if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            PublicInner::Ed25519(k)
        } else if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            PublicInner::EcdsaP256(k)
        } else {
            let what = spki::SubjectPublicKeyInfoRef::try_from(der).map_or_else(
                |e| format!("malformed SubjectPublicKeyInfo ({e})"),
                |info| {
                    format!(
                        "algorithm OID {} with parameters {:?} (expected Ed25519 1.3.101.112 or EC P-256)",
                        info.algorithm.oid,
                        info.algorithm.parameters_oid().ok().map(|o| o.to_string())
                    )
                },
            );
            return Err(KeyError::UnsupportedAlgorithm(what));
        };
        // Re-encode so the key id does not depend on how the input encoded the same key.
        let spki_der = match &inner {
            PublicInner::Ed25519(k) => k.to_public_key_der(),
            PublicInner::EcdsaP256(k) => k.to_public_key_der(),
        }
        .map_err(|e| KeyError::UnsupportedAlgorithm(e.to_string()))?
        .into_vec();
        let key_id = KeyId::of_spki(&spki_der);
        Ok(Self {
            inner,
            spki_der,
            key_id,
        })
    }

    /// Reads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`), as cosign and OpenSSL write.
    ///
    /// # Errors
    /// [`KeyError`] for other PEM labels or unsupported keys.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let label = pem_label(text)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::WrongPem {
                expected: "PUBLIC KEY",
                found: format!("{label:?}"),
            });
        }
        let (_, doc) = spki::Document::from_pem(text)
            .map_err(|e| KeyError::UnsupportedAlgorithm(format!("bad PEM: {e}")))?;
        Self::from_spki_der(doc.as_bytes())
    }

    /// Reads a public key file; a private key file yields its public half.
    ///
    /// # Errors
    /// [`KeyError`] if the file cannot be read or holds no supported key.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = read_limited(path)?;
        if pem_label(&text)?.ends_with("PRIVATE KEY") {
            return Ok(PrivateKey::from_pem(&text)?.public_key());
        }
        Self::from_pem(&text)
    }

    /// The SPKI PEM text.
    #[must_use]
    pub fn to_pem(&self) -> String {
        spki::Document::try_from(self.spki_der.as_slice())
            .and_then(|d| d.to_pem("PUBLIC KEY", LineEnding::LF))
            .expect("a key we decoded re-encodes")
    }

    /// The SPKI DER bytes.
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key id (hex SHA-256 of the SPKI DER).
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            PublicInner::Ed25519(_) => KeyAlgorithm::Ed25519,
            PublicInner::EcdsaP256(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// The raw 32-byte Ed25519 key, if this is one (used by C2SP note verifier keys).
    #[must_use]
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match &self.inner {
            PublicInner::Ed25519(k) => Some(k.to_bytes()),
            PublicInner::EcdsaP256(_) => None,
        }
    }

    /// Verifies `sig` over `msg`. Ed25519 uses strict verification (no malleable signatures);
    /// ECDSA accepts DER or 64-byte `r || s` and rejects high-S forms only as the curve crate does.
    ///
    /// # Errors
    /// [`BadSignature`] if the signature does not verify or is malformed.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), BadSignature> {
        let bad = || BadSignature {
            key_id: self.key_id.clone(),
            algorithm: self.algorithm(),
        };
        match &self.inner {
            PublicInner::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| bad())?;
                k.verify_strict(msg, &sig).map_err(|_| bad())
            }
            PublicInner::EcdsaP256(k) => {
                let sig = if sig.len() == 64 {
                    p256::ecdsa::Signature::from_slice(sig)
                } else {
                    p256::ecdsa::Signature::from_der(sig)
                }
                .map_err(|_| bad())?;
                k.verify(msg, &sig).map_err(|_| bad())
            }
        }
    }
}

enum PrivateInner {
    Ed25519(ed25519_dalek::SigningKey),
    EcdsaP256(p256::ecdsa::SigningKey),
}

/// A signing key. Its bytes never appear in `Debug` output.
pub struct PrivateKey {
    inner: PrivateInner,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    fn from_inner(inner: PrivateInner) -> Result<Self, KeyError> {
        let der = match &inner {
            PrivateInner::Ed25519(k) => k.verifying_key().to_public_key_der(),
            PrivateInner::EcdsaP256(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|e| KeyError::UnsupportedAlgorithm(e.to_string()))?;
        let public = PublicKey::from_spki_der(der.as_bytes())?;
        Ok(Self { inner, public })
    }

    /// A fresh key from the operating system's randomness.
    ///
    /// # Errors
    /// [`KeyError::Random`] if no randomness is available.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, KeyError> {
        loop {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
            let inner = match algorithm {
                KeyAlgorithm::Ed25519 => {
                    PrivateInner::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
                }
                // A P-256 scalar must be non-zero and below the group order; retry otherwise
                // (probability about 2^-32).
                KeyAlgorithm::EcdsaP256 => match p256::ecdsa::SigningKey::from_slice(&seed) {
                    Ok(k) => PrivateInner::EcdsaP256(k),
                    Err(_) => continue,
                },
            };
            return Self::from_inner(inner);
        }
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// [`KeyError::Encrypted`] for encrypted keys, [`KeyError::WrongPem`] for other labels,
    /// [`KeyError::UnsupportedAlgorithm`] for other algorithms.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let label = pem_label(text)?;
        if label.contains("ENCRYPTED") {
            return Err(KeyError::Encrypted { label });
        }
        if label != "PRIVATE KEY" {
            return Err(KeyError::WrongPem {
                expected: "PRIVATE KEY",
                found: format!("{label:?}"),
            });
        }
        let inner = if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(text) {
            PrivateInner::Ed25519(k)
        } else if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(text) {
            PrivateInner::EcdsaP256(k)
        } else {
            return Err(KeyError::UnsupportedAlgorithm(
                "PKCS#8 key is neither Ed25519 nor ECDSA P-256, or is malformed".to_owned(),
            ));
        };
        Self::from_inner(inner)
    }

    /// Reads a private key file.
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`], or an I/O error.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_limited(path)?)
    }

    /// The PKCS#8 PEM text (secret: write it with mode 0600).
    #[must_use]
    pub fn to_pem(&self) -> String {
        let pem = match &self.inner {
            PrivateInner::Ed25519(k) => k.to_pkcs8_pem(LineEnding::LF),
            PrivateInner::EcdsaP256(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .expect("a valid key encodes as PKCS#8");
        pem.as_str().to_owned()
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The key id of the public half.
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        self.public.key_id()
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    /// Signs `msg`: Ed25519 (64 bytes) or deterministic ECDSA P-256/SHA-256 (DER).
    #[must_use]
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.inner {
            PrivateInner::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            PrivateInner::EcdsaP256(k) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_round_trip_through_pem_and_sign() {
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
            let key = PrivateKey::generate(alg).unwrap();
            let again = PrivateKey::from_pem(&key.to_pem()).unwrap();
            assert_eq!(again.key_id(), key.key_id());
            let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
            assert_eq!(public.key_id(), key.key_id());
            let sig = key.sign(b"message");
            public.verify(b"message", &sig).unwrap();
            assert!(public.verify(b"messagE", &sig).is_err());
        }
    }

    #[test]
    fn dsse_spec_ecdsa_vector_verifies_with_raw_signature() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\nCrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n-----END PUBLIC KEY-----\n";
        let key = PublicKey::from_pem(pem).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
        use base64::Engine as _;
        let sig = base64::engine::general_purpose::STANDARD
            .decode("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==")
            .unwrap();
        let pae = bundle_format::dsse::pae("http://example.com/HelloWorld", b"hello world");
        key.verify(&pae, &sig).unwrap();
    }

    #[test]
    fn refuses_wrong_labels_and_encrypted_keys() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        assert!(matches!(
            PublicKey::from_pem(&key.to_pem()),
            Err(KeyError::WrongPem { .. })
        ));
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(
            PrivateKey::from_pem(encrypted),
            Err(KeyError::Encrypted { .. })
        ));
        let cosign = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
        assert!(matches!(
            PrivateKey::from_pem(cosign),
            Err(KeyError::Encrypted { .. })
        ));
        assert!(PublicKey::from_pem("not pem").is_err());
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(PublicKey::from_pem(garbage).is_err());
    }
}
