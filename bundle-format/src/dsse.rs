//! DSSE envelopes (secure-systems-lab/dsse `envelope.md`, `protocol.md`): structure, JSON wire
//! form and the pre-authentication encoding (PAE). Signing and key policy live in `airlock`.
//!
//! From the DSSE protocol: `PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP +
//! LEN(body) + SP + body`, where `LEN` is the ASCII decimal byte length. Signatures are over PAE,
//! never over the JSON; the payload is kept as the exact decoded bytes that were signed.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// The most signatures an envelope may carry; more is refused before any verification work.
pub const MAX_SIGNATURES: usize = 32;

/// The pre-authentication encoding of `payload_type` and `payload`.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key id hint (may be empty: DSSE makes it optional and unauthenticated).
    pub keyid: String,
    /// The raw signature bytes (DER for ECDSA, 64 bytes for Ed25519).
    pub sig: Vec<u8>,
}

/// A DSSE envelope with its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type (a media type or URI), authenticated through PAE.
    pub payload_type: String,
    /// The exact payload bytes that were signed.
    pub payload: Vec<u8>,
    /// Signatures over `pae(payload_type, payload)`.
    pub signatures: Vec<Signature>,
}

/// Why an envelope could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not a JSON DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    Json(String),
    /// A base64 field did not decode.
    #[error("DSSE envelope field `{field}`: invalid base64")]
    Base64 {
        /// The field name.
        field: &'static str,
    },
    /// No signature at all.
    #[error("DSSE envelope has no signatures")]
    NoSignatures,
    /// More signatures than [`MAX_SIGNATURES`].
    #[error("DSSE envelope has {found} signatures, more than the limit of {max}")]
    TooManySignatures {
        /// Signatures found.
        found: usize,
        /// The limit.
        max: usize,
    },
}

mod wire {
    use std::borrow::Cow;

    use serde::{Deserialize, Serialize};

    /// The payload borrows the input text when it has no JSON escapes (base64 never needs one),
    /// so a large payload is not copied before it is decoded.
    #[derive(Serialize, Deserialize)]
    pub struct Envelope<'a> {
        #[serde(borrow)]
        pub payload: Cow<'a, str>,
        #[serde(rename = "payloadType")]
        pub payload_type: String,
        pub signatures: Vec<Signature>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Signature {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub keyid: String,
        pub sig: String,
    }
}

/// Decodes base64 in any of the forms DSSE allows (standard or URL-safe, padded or not).
fn decode_b64(text: &str, field: &'static str) -> Result<Vec<u8>, EnvelopeError> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .map_err(|_| EnvelopeError::Base64 { field })
}

impl Envelope {
    /// An unsigned envelope.
    #[must_use]
    pub fn new(payload_type: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            payload_type: payload_type.into(),
            payload,
            signatures: Vec::new(),
        }
    }

    /// The bytes every signature covers.
    #[must_use]
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Reads a signed envelope from its JSON form.
    ///
    /// # Errors
    /// [`EnvelopeError`] for malformed JSON or base64, no signature, or too many.
    pub fn from_json(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let envelope = Self::from_json_allow_unsigned(bytes)?;
        if envelope.signatures.is_empty() {
            return Err(EnvelopeError::NoSignatures);
        }
        Ok(envelope)
    }

    /// Reads an envelope that may carry no signature yet (a draft awaiting signers).
    ///
    /// # Errors
    /// [`EnvelopeError`] for malformed JSON or base64, or too many signatures.
    pub fn from_json_allow_unsigned(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let wire: wire::Envelope =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Json(e.to_string()))?;
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(EnvelopeError::TooManySignatures {
                found: wire.signatures.len(),
                max: MAX_SIGNATURES,
            });
        }
        let payload = decode_b64(&wire.payload, "payload")?;
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| {
                Ok(Signature {
                    keyid: s.keyid,
                    sig: decode_b64(&s.sig, "signatures[].sig")?,
                })
            })
            .collect::<Result<Vec<_>, EnvelopeError>>()?;
        Ok(Self {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// The envelope's JSON form (RFC 8785 canonical, standard padded base64).
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        let wire = wire::Envelope {
            payload: STANDARD.encode(&self.payload).into(),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| wire::Signature {
                    keyid: s.keyid.clone(),
                    sig: STANDARD.encode(&s.sig),
                })
                .collect(),
        };
        crate::canonical::to_canonical_vec(&wire).expect("an envelope of strings always serializes")
    }
}

impl Serialize for Envelope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value =
            serde_json::from_slice(&self.to_json()).map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let bytes = serde_json::to_vec(&value).map_err(serde::de::Error::custom)?;
        Self::from_json(&bytes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn envelope_round_trips_and_refuses_empty_signatures() {
        let mut env = Envelope::new("application/vnd.in-toto+json", b"{}".to_vec());
        env.signatures.push(Signature {
            keyid: "k".into(),
            sig: vec![1, 2, 3],
        });
        let back = Envelope::from_json(&env.to_json()).unwrap();
        assert_eq!(back, env);
        let unsigned = br#"{"payload":"e30=","payloadType":"t","signatures":[]}"#;
        assert!(matches!(
            Envelope::from_json(unsigned),
            Err(EnvelopeError::NoSignatures)
        ));
        let bad = br#"{"payload":"!!","payloadType":"t","signatures":[{"sig":"AA=="}]}"#;
        assert!(matches!(
            Envelope::from_json(bad),
            Err(EnvelopeError::Base64 { field: "payload" })
        ));
    }
}
