//! C2SP signed-note: parse notes, verify their signatures, sign them.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then signature lines
//! `— <key name> <base64(key hash || signature)>`. Verifier keys are the C2SP strings
//! `<name>+<hash>+<base64(type || public key)>` with the key hash the first four bytes of
//! `SHA-256(name || 0x0A || type || public key)`:
//! - type `0x01`: Ed25519 over the note text;
//! - type `0x04`: C2SP tlog-cosignature/v1 (Ed25519 over
//!   `cosignature/v1\ntime <t>\n` + note text, signature = 8-byte big-endian `t` || 64 bytes).
//!
//! Rekor's checkpoints use ECDSA P-256 instead ([`Verifier::ecdsa_p256_from_spki_der`]): the key
//! hash is the first four bytes of `SHA-256(SubjectPublicKeyInfo DER)` and the signature is an
//! ASN.1 DER ECDSA signature over the note text.
//!
//! Rules enforced, as the spec and Go's `golang.org/x/mod/sumdb/note` do: the text is valid
//! UTF-8 without control characters other than newline, ends in a newline and is followed by a
//! blank line; every signature line is well formed; at most [`MAX_SIGNATURES`] lines; a known
//! key may sign only once; a bad signature from a known key rejects the note; signatures from
//! unknown keys are ignored but at least one known key must have signed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Signer as _;
use sha2::{Digest as _, Sha256};

use crate::error::{Coded, FailureClass};

/// The most signature lines a note may carry (Go's `sumdb/note` uses the same bound).
pub const MAX_SIGNATURES: usize = 100;
/// The largest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// The em dash and space that open every signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// Signature algorithm byte of an Ed25519 signed-note key.
pub const ALG_ED25519: u8 = 0x01;
/// Signature algorithm byte of a C2SP tlog-cosignature/v1 key.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// A 4-byte key hash (key ID) that prefixes every signature.
pub type KeyHash = [u8; 4];

/// One parsed (not yet verified) signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key hash the signature names.
    pub key_hash: KeyHash,
    /// The signature bytes after the key hash.
    pub signature: Vec<u8>,
}

/// A parsed note: its text and its signature lines, unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note's structure is broken (no blank line, no final newline, bad signature line,
    /// bad base64, control characters, too large).
    #[error("malformed note: {0}")]
    Malformed(String),
    /// More signature lines than allowed.
    #[error("note has {found} signature lines, at most {max} allowed")]
    TooManySignatures {
        /// Lines found.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// A known key signed twice.
    #[error("note has two signatures from known key {name}")]
    DuplicateSignature {
        /// The key's name.
        name: String,
    },
    /// A known key's signature does not verify.
    #[error("signature by known key {name} does not verify over the note text")]
    InvalidSignature {
        /// The key's name.
        name: String,
    },
    /// No signature is from a known key.
    #[error("no signature from a known key (signed by: {names})")]
    NoKnownSignature {
        /// The names on the signature lines, comma-separated.
        names: String,
    },
}

impl Coded for NoteError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "note-malformed",
            Self::TooManySignatures { .. } => "note-too-many-signatures",
            Self::DuplicateSignature { .. } => "note-duplicate-signature",
            Self::InvalidSignature { .. } => "note-signature-invalid",
            Self::NoKnownSignature { .. } => "note-unknown-key",
        }
    }
    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// A verifier key string or PEM that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key text is not in the expected format.
    #[error("verifier key {key:?}: {reason}")]
    Invalid {
        /// The key as given (public material only).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Coded for KeyError {
    fn code(&self) -> &'static str {
        "verifier-key-invalid"
    }
    fn class(&self) -> FailureClass {
        FailureClass::CouldNotRun
    }
}

/// A C2SP key name: non-empty, no Unicode space, no `+`, no control characters.
#[must_use]
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// `SHA-256(name || 0x0A || alg || key)[..4]`, the C2SP signed-note key hash.
#[must_use]
pub fn key_hash(name: &str, alg: u8, key: &[u8]) -> KeyHash {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, alg]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The message a cosignature/v1 signs: `cosignature/v1\ntime <t>\n` followed by the text.
#[must_use]
pub fn cosignature_message(timestamp: u64, text: &str) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text.as_bytes());
    m
}

/// The public key inside a [`Verifier`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum VerifierKey {
    /// Ed25519 over the note text (type 0x01).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// tlog-cosignature/v1 (type 0x04).
    CosignatureV1(ed25519_dalek::VerifyingKey),
    /// ECDSA P-256 / SHA-256 over the note text, DER signature (Rekor checkpoints).
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

/// A named public key that can verify note signatures.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Key name as it appears on signature lines.
    pub name: String,
    /// Key hash as it appears at the start of signatures.
    pub key_hash: KeyHash,
    /// The key.
    pub key: VerifierKey,
}

fn key_err(key: &str, reason: impl Into<String>) -> KeyError {
    KeyError::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

impl Verifier {
    /// Parses a C2SP verifier key `name+hash+base64(type || key)` (types 0x01 and 0x04).
    ///
    /// # Errors
    /// [`KeyError`] when the string is malformed, the type is unknown or the hash is wrong.
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        let vkey = vkey.trim();
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(key_err(vkey, "expected name+hash+base64"));
        };
        if !is_valid_key_name(name) {
            return Err(key_err(
                vkey,
                "key name is empty or has spaces, '+' or control characters",
            ));
        }
        if hash.len() != 8
            || !hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(key_err(vkey, "key hash must be 8 lowercase hex digits"));
        }
        let raw = B64
            .decode(b64)
            .map_err(|e| key_err(vkey, format!("key is not base64: {e}")))?;
        let (&alg, key) = raw
            .split_first()
            .ok_or_else(|| key_err(vkey, "key is empty"))?;
        let ed = |key: &[u8]| -> Result<ed25519_dalek::VerifyingKey, KeyError> {
            let bytes: [u8; 32] = key.try_into().map_err(|_| {
                key_err(
                    vkey,
                    format!("Ed25519 key must be 32 bytes, found {}", key.len()),
                )
            })?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|e| key_err(vkey, format!("Ed25519 key: {e}")))
        };
        let key_obj = match alg {
            ALG_ED25519 => VerifierKey::Ed25519(ed(key)?),
            ALG_COSIGNATURE_V1 => VerifierKey::CosignatureV1(ed(key)?),
            other => return Err(key_err(vkey, format!("unsupported key type 0x{other:02x}"))),
        };
        let computed = key_hash(name, alg, key);
        if hex::encode(computed) != hash {
            return Err(key_err(
                vkey,
                format!(
                    "key hash {hash} does not match the key ({})",
                    hex::encode(computed)
                ),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_hash: computed,
            key: key_obj,
        })
    }

    /// An ECDSA P-256 log key as Rekor uses it: key hash = `SHA-256(spki_der)[..4]`.
    ///
    /// # Errors
    /// [`KeyError`] when the DER is not a P-256 SubjectPublicKeyInfo or the name is invalid.
    pub fn ecdsa_p256_from_spki_der(name: &str, spki_der: &[u8]) -> Result<Self, KeyError> {
        use p256::pkcs8::DecodePublicKey as _;
        if !is_valid_key_name(name) {
            return Err(key_err(
                name,
                "key name is empty or has spaces, '+' or control characters",
            ));
        }
        let vk = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
            .map_err(|e| key_err(name, format!("not an ECDSA P-256 public key: {e}")))?;
        let d = Sha256::digest(spki_der);
        Ok(Self {
            name: name.to_owned(),
            key_hash: [d[0], d[1], d[2], d[3]],
            key: VerifierKey::EcdsaP256(vk),
        })
    }

    /// [`Self::ecdsa_p256_from_spki_der`] from a `PUBLIC KEY` PEM.
    ///
    /// # Errors
    /// [`KeyError`] when the PEM cannot be decoded or holds no P-256 key.
    pub fn ecdsa_p256_from_pem(name: &str, pem: &str) -> Result<Self, KeyError> {
        let (label, doc) = spki::Document::from_pem(pem)
            .map_err(|e| key_err(name, format!("public key PEM: {e}")))?;
        if label != "PUBLIC KEY" {
            return Err(key_err(
                name,
                format!("expected a PUBLIC KEY PEM, found {label}"),
            ));
        }
        Self::ecdsa_p256_from_spki_der(name, doc.as_bytes())
    }

    /// The C2SP verifier key string (`None` for ECDSA keys, which have none).
    #[must_use]
    pub fn vkey(&self) -> Option<String> {
        let (alg, key) = match &self.key {
            VerifierKey::Ed25519(k) => (ALG_ED25519, k.to_bytes()),
            VerifierKey::CosignatureV1(k) => (ALG_COSIGNATURE_V1, k.to_bytes()),
            VerifierKey::EcdsaP256(_) => return None,
        };
        let mut raw = vec![alg];
        raw.extend_from_slice(&key);
        Some(format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_hash),
            B64.encode(raw)
        ))
    }

    /// Checks `signature` (the bytes after the key hash) over `text`. For a cosignature key
    /// returns the signed timestamp.
    #[must_use]
    pub fn verify(&self, text: &str, signature: &[u8]) -> Option<Option<u64>> {
        match &self.key {
            VerifierKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).ok()?;
                k.verify_strict(text.as_bytes(), &sig).ok().map(|()| None)
            }
            VerifierKey::CosignatureV1(k) => {
                if signature.len() != 72 {
                    return None;
                }
                let ts = u64::from_be_bytes(signature[..8].try_into().ok()?);
                let sig = ed25519_dalek::Signature::from_slice(&signature[8..]).ok()?;
                k.verify_strict(&cosignature_message(ts, text), &sig)
                    .ok()
                    .map(|()| Some(ts))
            }
            VerifierKey::EcdsaP256(k) => {
                use p256::ecdsa::signature::Verifier as _;
                let sig = p256::ecdsa::Signature::from_der(signature).ok()?;
                k.verify(text.as_bytes(), &sig).ok().map(|()| None)
            }
        }
    }
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key name.
    pub name: String,
    /// The key hash.
    pub key_hash: KeyHash,
    /// For cosignatures, the witness's timestamp (seconds since the Unix epoch).
    pub timestamp: Option<u64>,
}

/// A note whose signatures were checked: the verified ones and those from unknown keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The signed text.
    pub text: String,
    /// Signatures from known keys, all valid.
    pub verified: Vec<VerifiedSignature>,
    /// Signature lines from keys not in the verifier list.
    pub unverified: Vec<NoteSignature>,
}

fn malformed(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed(reason.into())
}

/// Parses a note's structure without verifying anything.
///
/// # Errors
/// [`NoteError::Malformed`] or [`NoteError::TooManySignatures`].
pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(malformed(format!(
            "note is {} bytes, at most {MAX_NOTE_BYTES} allowed",
            bytes.len()
        )));
    }
    let msg = std::str::from_utf8(bytes).map_err(|e| malformed(format!("not UTF-8: {e}")))?;
    if !msg.ends_with('\n') {
        return Err(malformed("missing final newline"));
    }
    if let Some(c) = msg.chars().find(|&c| c.is_control() && c != '\n') {
        return Err(malformed(format!(
            "control character U+{:04X}",
            u32::from(c)
        )));
    }
    let Some(split) = msg.rfind("\n\n") else {
        return Err(malformed("no blank line between text and signatures"));
    };
    let text = &msg[..=split];
    let sigs = &msg[split + 2..];
    if text.len() <= 1 {
        return Err(malformed("empty text"));
    }
    let lines: Vec<&str> = sigs.split_terminator('\n').collect();
    if lines.is_empty() {
        return Err(malformed("no signature lines"));
    }
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures {
            found: lines.len(),
            max: MAX_SIGNATURES,
        });
    }
    let mut signatures = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            malformed(format!(
                "signature line {}: does not start with an em dash and space",
                i + 1
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            malformed(format!(
                "signature line {}: expected '<name> <base64>'",
                i + 1
            ))
        })?;
        if !is_valid_key_name(name) {
            return Err(malformed(format!(
                "signature line {}: invalid key name {name:?}",
                i + 1
            )));
        }
        let raw = B64.decode(b64).map_err(|e| {
            malformed(format!(
                "signature line {} ({name}): bad base64: {e}",
                i + 1
            ))
        })?;
        if raw.len() < 5 {
            return Err(malformed(format!(
                "signature line {} ({name}): signature too short",
                i + 1
            )));
        }
        signatures.push(NoteSignature {
            name: name.to_owned(),
            key_hash: [raw[0], raw[1], raw[2], raw[3]],
            signature: raw[4..].to_vec(),
        });
    }
    Ok(Note {
        text: text.to_owned(),
        signatures,
    })
}

/// Parses `bytes` and verifies its signatures against `verifiers`.
///
/// # Errors
/// Any [`NoteError`]: malformed, duplicate or invalid known-key signatures, or none known.
pub fn open(bytes: &[u8], verifiers: &[Verifier]) -> Result<VerifiedNote, NoteError> {
    let note = parse(bytes)?;
    let mut verified: Vec<VerifiedSignature> = Vec::new();
    let mut unverified = Vec::new();
    for sig in &note.signatures {
        let Some(v) = verifiers
            .iter()
            .find(|v| v.name == sig.name && v.key_hash == sig.key_hash)
        else {
            unverified.push(sig.clone());
            continue;
        };
        if verified
            .iter()
            .any(|s| s.name == v.name && s.key_hash == v.key_hash)
        {
            return Err(NoteError::DuplicateSignature {
                name: v.name.clone(),
            });
        }
        let Some(timestamp) = v.verify(&note.text, &sig.signature) else {
            return Err(NoteError::InvalidSignature {
                name: v.name.clone(),
            });
        };
        verified.push(VerifiedSignature {
            name: v.name.clone(),
            key_hash: v.key_hash,
            timestamp,
        });
    }
    if verified.is_empty() {
        let names: Vec<&str> = note.signatures.iter().map(|s| s.name.as_str()).collect();
        return Err(NoteError::NoKnownSignature {
            names: names.join(", "),
        });
    }
    Ok(VerifiedNote {
        text: note.text,
        verified,
        unverified,
    })
}

/// An Ed25519 note signer (type 0x01) or witness cosigner (type 0x04).
#[derive(Debug)]
pub struct Signer {
    name: String,
    alg: u8,
    key: ed25519_dalek::SigningKey,
}

impl Signer {
    /// An Ed25519 signer named `name`.
    ///
    /// # Errors
    /// [`KeyError`] when the name is not a valid key name.
    pub fn ed25519(name: &str, key: ed25519_dalek::SigningKey) -> Result<Self, KeyError> {
        Self::new(name, ALG_ED25519, key)
    }

    /// A tlog-cosignature/v1 witness signer named `name`.
    ///
    /// # Errors
    /// [`KeyError`] when the name is not a valid key name.
    pub fn cosignature_v1(name: &str, key: ed25519_dalek::SigningKey) -> Result<Self, KeyError> {
        Self::new(name, ALG_COSIGNATURE_V1, key)
    }

    fn new(name: &str, alg: u8, key: ed25519_dalek::SigningKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(key_err(
                name,
                "key name is empty or has spaces, '+' or control characters",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            alg,
            key,
        })
    }

    /// Parses a Go-style signer key `PRIVATE+KEY+name+hash+base64(0x01 || seed)`.
    ///
    /// # Errors
    /// [`KeyError`] on any format error or hash mismatch.
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let shown = "PRIVATE+KEY+…";
        let rest = skey
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| key_err(shown, "missing PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(key_err(shown, "expected PRIVATE+KEY+name+hash+base64"));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| key_err(shown, "key is not base64"))?;
        let (&alg, seed) = raw
            .split_first()
            .ok_or_else(|| key_err(shown, "key is empty"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| key_err(shown, "seed must be 32 bytes"))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let s = Self::new(name, alg, key)?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(key_err(shown, format!("unsupported key type 0x{alg:02x}")));
        }
        if hex::encode(s.key_hash()) != hash {
            return Err(key_err(shown, "key hash does not match the key"));
        }
        Ok(s)
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    #[must_use]
    pub fn key_hash(&self) -> KeyHash {
        key_hash(&self.name, self.alg, self.key.verifying_key().as_bytes())
    }

    /// The matching verifier.
    #[must_use]
    pub fn verifier(&self) -> Verifier {
        let vk = self.key.verifying_key();
        let key = if self.alg == ALG_COSIGNATURE_V1 {
            VerifierKey::CosignatureV1(vk)
        } else {
            VerifierKey::Ed25519(vk)
        };
        Verifier {
            name: self.name.clone(),
            key_hash: self.key_hash(),
            key,
        }
    }

    /// The signature line for `text` (a cosigner signs at `timestamp`; plain signers ignore it).
    #[must_use]
    pub fn signature_line(&self, text: &str, timestamp: u64) -> String {
        let mut raw = self.key_hash().to_vec();
        if self.alg == ALG_COSIGNATURE_V1 {
            raw.extend_from_slice(&timestamp.to_be_bytes());
            raw.extend_from_slice(
                &self
                    .key
                    .sign(&cosignature_message(timestamp, text))
                    .to_bytes(),
            );
        } else {
            raw.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        }
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }
}

/// Signs `text` (which must end in a newline) with every signer: `text`, a blank line, the
/// signature lines.
///
/// # Errors
/// [`NoteError::Malformed`] when the text would not make a valid note.
pub fn sign(text: &str, signers: &[&Signer], timestamp: u64) -> Result<Vec<u8>, NoteError> {
    if !text.ends_with('\n') || text.len() < 2 {
        return Err(malformed("text must be non-empty and end in a newline"));
    }
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n') {
        return Err(malformed(format!(
            "control character U+{:04X}",
            u32::from(c)
        )));
    }
    let mut out = format!("{text}\n");
    for s in signers {
        out.push_str(&s.signature_line(text, timestamp));
    }
    Ok(out.into_bytes())
}

/// Appends signature lines (for example a witness's cosignature) to an existing signed note.
///
/// # Errors
/// [`NoteError`] when `note` does not parse.
pub fn add_signatures(
    note: &[u8],
    signers: &[&Signer],
    timestamp: u64,
) -> Result<Vec<u8>, NoteError> {
    let parsed = parse(note)?;
    let mut out = note.to_vec();
    for s in signers {
        out.extend_from_slice(s.signature_line(&parsed.text, timestamp).as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    fn vec_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors/signed-note")
    }

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(vec_dir().join(name)).unwrap()
    }

    fn vkeys(case: &Value) -> Vec<Verifier> {
        case["vkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| Verifier::from_vkey(k.as_str().unwrap()).unwrap())
            .collect()
    }

    fn case(file: &str) -> Value {
        let idx: Value = serde_json::from_slice(&read("vectors.json")).unwrap();
        idx["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["file"] == file)
            .unwrap()
            .clone()
    }

    #[test]
    fn c2sp_example_verifies() {
        let c = case("c2sp-signed-note-example.note");
        let n = open(&read("c2sp-signed-note-example.note"), &vkeys(&c)).unwrap();
        assert_eq!(n.text, "This is an example message.\n");
        assert_eq!(n.verified.len(), 1);
    }

    #[test]
    fn go_note_verifies_and_resigns_byte_for_byte() {
        let c = case("go-note-peterneumann.note");
        let bytes = read("go-note-peterneumann.note");
        let n = open(&bytes, &vkeys(&c)).unwrap();
        assert_eq!(n.verified[0].name, "PeterNeumann");
        let signer = Signer::from_skey(c["skey"].as_str().unwrap()).unwrap();
        assert_eq!(
            signer.verifier().vkey().unwrap(),
            c["vkeys"][0].as_str().unwrap()
        );
        assert_eq!(sign(&n.text, &[&signer], 0).unwrap(), bytes);
    }

    #[test]
    fn two_signatures_either_key() {
        let c = case("go-note-two-signatures.note");
        let bytes = read("go-note-two-signatures.note");
        let keys = vkeys(&c);
        let both = open(&bytes, &keys).unwrap();
        assert_eq!(both.verified.len(), 2);
        for k in &keys {
            let one = open(&bytes, std::slice::from_ref(k)).unwrap();
            assert_eq!(one.verified.len(), 1);
            assert_eq!(one.unverified.len(), 1);
        }
    }

    #[test]
    fn tampered_note_rejected() {
        let c = case("go-note-peterneumann-tampered.note");
        let err = open(&read("go-note-peterneumann-tampered.note"), &vkeys(&c)).unwrap_err();
        assert_eq!(err.code(), "note-signature-invalid");
    }

    #[test]
    fn unknown_key_rejected() {
        let c = case("go-note-two-signatures.note");
        let err = open(&read("c2sp-signed-note-example.note"), &vkeys(&c)).unwrap_err();
        assert_eq!(err.code(), "note-unknown-key");
    }

    #[test]
    fn rekor_ecdsa_checkpoint_verifies() {
        let pem = std::fs::read_to_string(vec_dir().join("rekor-sigstore-dev.pub.pem")).unwrap();
        let v = Verifier::ecdsa_p256_from_pem("rekor.sigstore.dev", &pem).unwrap();
        assert_eq!(B64.encode(v.key_hash), "wNI9ag==");
        let bytes = read("rekor-checkpoint-from-rules_lint-bundle.note");
        open(&bytes, std::slice::from_ref(&v)).unwrap();
        let mut bad = bytes.clone();
        bad[45] ^= 1; // a digit of the tree size
        assert_eq!(
            open(&bad, &[v]).unwrap_err().code(),
            "note-signature-invalid"
        );
    }

    #[test]
    fn malformed_notes_rejected() {
        let c = case("go-note-peterneumann.note");
        let keys = vkeys(&c);
        let good = String::from_utf8(read("go-note-peterneumann.note")).unwrap();
        let code = |s: &str| open(s.as_bytes(), &keys).unwrap_err().code();
        // No blank line.
        assert_eq!(code(&good.replacen("\n\n", "\n", 1)), "note-malformed");
        // Missing final newline.
        assert_eq!(code(good.trim_end_matches('\n')), "note-malformed");
        // Duplicate signature from a known key.
        let sig_line = good.lines().last().unwrap();
        assert_eq!(
            code(&format!("{good}{sig_line}\n")),
            "note-duplicate-signature"
        );
        // Bad base64.
        assert_eq!(code(&good.replace("x08go", "x08g!")), "note-malformed");
        // Too many signatures (from unknown keys).
        let mut many = good.clone();
        for i in 0..MAX_SIGNATURES {
            many.push_str(&format!("\u{2014} other{i} AAAAAAAAAA==\n"));
        }
        assert_eq!(code(&many), "note-too-many-signatures");
        // Control character, missing em dash.
        assert_eq!(code(&good.replacen("If", "I\x07", 1)), "note-malformed");
        assert_eq!(code(&good.replace('\u{2014}', "-")), "note-malformed");
        // Bad key strings.
        assert!(
            Verifier::from_vkey(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
        assert!(Verifier::from_vkey("nope").is_err());
    }

    #[test]
    fn cosignature_roundtrip() {
        let log = Signer::ed25519(
            "example.com/log",
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
        )
        .unwrap();
        let wit = Signer::cosignature_v1(
            "witness.example",
            ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap();
        let note = sign(
            "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            &[&log],
            0,
        )
        .unwrap();
        let cosigned = add_signatures(&note, &[&wit], 1_700_000_000).unwrap();
        let v = open(&cosigned, &[log.verifier(), wit.verifier()]).unwrap();
        assert_eq!(v.verified[1].timestamp, Some(1_700_000_000));
        let vk = wit.verifier().vkey().unwrap();
        assert_eq!(Verifier::from_vkey(&vk).unwrap().key_hash, wit.key_hash());
    }
}
