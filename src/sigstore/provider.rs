//! The RustCrypto backend for the Sigstore crates.
//!
//! `sigstore-crypto` is built with `default-features = false` (no aws-lc, no C), so it needs a
//! [`CryptoProvider`] installed once per process. This one hashes with `sha2` and verifies with
//! `p256`/`p384` (ECDSA, DER or fixed-size signatures) and `ed25519-dalek`. It verifies only: it
//! never generates or loads private keys. RSA and ML-DSA keys are refused
//! (`UnsupportedAlgorithm`); the public-good trusted root uses none.

use std::sync::OnceLock;

use sha2::Digest as _;
use sigstore_verify::crypto::{CryptoProvider, Error, HashContext, SigningScheme};
use sigstore_verify::types::HashAlgorithm;

/// The verification-only RustCrypto provider.
#[derive(Debug)]
pub struct RustCryptoProvider;

static PROVIDER: RustCryptoProvider = RustCryptoProvider;
static INSTALLED: OnceLock<()> = OnceLock::new();

/// Installs [`RustCryptoProvider`] as the process-wide Sigstore crypto backend (idempotent).
///
/// If another provider was installed first (by an embedding program), that one stays.
pub fn install() {
    INSTALLED.get_or_init(|| {
        let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
    });
}

struct Hasher<D: sha2::Digest + Send>(D);

impl<D: sha2::Digest + Send> HashContext for Hasher<D> {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(match algorithm {
        HashAlgorithm::Sha2256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha2384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha2512 => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "cannot compute {other} digests"
            )));
        }
    })
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

macro_rules! ecdsa_prehash {
    ($curve:ident, $scheme:expr, $key:expr, $prehash:expr, $sig:expr) => {{
        use $curve::ecdsa::signature::hazmat::PrehashVerifier as _;
        let key = $curve::ecdsa::VerifyingKey::from_sec1_bytes($key).map_err(|_| {
            Error::Verification(format!("{}: malformed public key", $scheme.name()))
        })?;
        // Sigstore signatures are ASN.1 DER; accept the fixed-size form as some clients emit it.
        let sig = match $curve::ecdsa::DerSignature::from_bytes($sig) {
            Ok(der) => $curve::ecdsa::Signature::try_from(der).map_err(|_| invalid($scheme))?,
            Err(_) => $curve::ecdsa::Signature::from_slice($sig).map_err(|_| invalid($scheme))?,
        };
        key.verify_prehash($prehash, &sig)
            .map_err(|_| invalid($scheme))
    }};
}

fn verify_ecdsa_prehashed(
    scheme: SigningScheme,
    key: &[u8],
    prehash: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    match scheme {
        SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
            ecdsa_prehash!(p256, scheme, key, prehash, signature)
        }
        SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
            ecdsa_prehash!(p384, scheme, key, prehash, signature)
        }
        other => Err(Error::UnsupportedAlgorithm(format!(
            "the RustCrypto provider does not verify {} signatures",
            other.name()
        ))),
    }
}

impl CryptoProvider for RustCryptoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>, Error> {
        Ok(match algorithm {
            HashAlgorithm::Sha2256 => Box::new(Hasher(sha2::Sha256::new())),
            HashAlgorithm::Sha2384 => Box::new(Hasher(sha2::Sha384::new())),
            HashAlgorithm::Sha2512 => Box::new(Hasher(sha2::Sha512::new())),
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "cannot compute {other} digests"
                )));
            }
        })
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        sha2::Sha384::digest(data).into()
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        sha2::Sha512::digest(data).into()
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if scheme == SigningScheme::Ed25519 {
            use ed25519_dalek::Verifier as _;
            let key: &[u8; 32] = spki_pubkey_bytes
                .try_into()
                .map_err(|_| Error::Verification("Ed25519: malformed public key".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(key)
                .map_err(|_| Error::Verification("Ed25519: malformed public key".into()))?;
            let sig =
                ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid(scheme))?;
            return key.verify(data, &sig).map_err(|_| invalid(scheme));
        }
        let Some(algorithm) = scheme.hash_algorithm() else {
            return Err(Error::UnsupportedAlgorithm(format!(
                "the RustCrypto provider does not verify {} signatures",
                scheme.name()
            )));
        };
        let prehash = digest(algorithm, data)?;
        verify_ecdsa_prehashed(scheme, spki_pubkey_bytes, &prehash, signature)
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        verify_ecdsa_prehashed(scheme, spki_pubkey_bytes, digest, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p256_round_trip_and_rejects_other_message() {
        use p256::ecdsa::signature::Signer as _;
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        let der = sig.to_der();
        let pk = sk.verifying_key().to_sec1_bytes();
        let p = RustCryptoProvider;
        p.verify_raw(
            SigningScheme::EcdsaP256Sha256,
            &pk,
            b"hello",
            der.as_bytes(),
        )
        .unwrap();
        p.verify_raw(
            SigningScheme::EcdsaP256Sha256,
            &pk,
            b"hello",
            &sig.to_bytes(),
        )
        .unwrap();
        assert!(
            p.verify_raw(
                SigningScheme::EcdsaP256Sha256,
                &pk,
                b"hellp",
                der.as_bytes()
            )
            .is_err()
        );
        let prehash = p.sha256(b"hello");
        p.verify_prehashed(
            SigningScheme::EcdsaP256Sha256,
            &pk,
            &prehash,
            der.as_bytes(),
        )
        .unwrap();
    }

    #[test]
    fn ed25519_round_trip() {
        use ed25519_dalek::Signer as _;
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let sig = sk.sign(b"note");
        let p = RustCryptoProvider;
        let pk = sk.verifying_key().to_bytes();
        p.verify_raw(SigningScheme::Ed25519, &pk, b"note", &sig.to_bytes())
            .unwrap();
        assert!(
            p.verify_raw(SigningScheme::Ed25519, &pk, b"nope", &sig.to_bytes())
                .is_err()
        );
    }

    #[test]
    fn unsupported_schemes_fail_closed() {
        let p = RustCryptoProvider;
        assert!(
            p.verify_raw(SigningScheme::RsaPkcs1Sha256, &[0; 10], b"x", b"y")
                .is_err()
        );
        assert!(
            p.verify_prehashed(SigningScheme::Ed25519, &[0; 32], &[0; 32], b"y")
                .is_err()
        );
    }
}
