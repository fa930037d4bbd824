//! C2SP tlog-checkpoint: the signed tree head of a log, and its verification with a log key and
//! a k-of-n witness (tlog-cosignature) policy.
//!
//! Body (the note text): origin line, decimal tree size, base64 root hash, then optional
//! non-empty extension lines, each ending in a newline.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::merkle::Hash;
use super::note::{self, NoteError, VerifiedSignature, Verifier};
use crate::error::{Coded, FailureClass};

/// The most extension lines accepted in a checkpoint body.
pub const MAX_EXTENSION_LINES: usize = 64;

/// A checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (unique identifier, usually a schema-less URL).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash of the tree of `size` leaves.
    pub root: Hash,
    /// Extension lines, without newlines.
    pub extensions: Vec<String>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed note around the checkpoint failed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The body is not a checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// The origin is not the one expected.
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    OriginMismatch {
        /// The expected origin.
        expected: String,
        /// The origin on the checkpoint.
        found: String,
    },
    /// The log key did not sign (only witnesses did).
    #[error("checkpoint is not signed by the log key {name}")]
    NotSignedByLog {
        /// The log key's name.
        name: String,
    },
    /// Too few witnesses cosigned.
    #[error(
        "{found} of the required {required} witness cosignatures verified (witnesses: {known})"
    )]
    WitnessThreshold {
        /// Cosignatures that verified.
        found: usize,
        /// Required.
        required: usize,
        /// Names of the witnesses in the policy.
        known: String,
    },
}

impl Coded for CheckpointError {
    fn code(&self) -> &'static str {
        match self {
            Self::Note(e) => e.code(),
            Self::Malformed(_) => "checkpoint-malformed",
            Self::OriginMismatch { .. } => "checkpoint-origin-mismatch",
            Self::NotSignedByLog { .. } => "checkpoint-not-signed-by-log",
            Self::WitnessThreshold { .. } => "witness-threshold-not-met",
        }
    }
    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

fn malformed(reason: impl Into<String>) -> CheckpointError {
    CheckpointError::Malformed(reason.into())
}

impl Checkpoint {
    /// Parses a checkpoint body (a note's text).
    ///
    /// # Errors
    /// [`CheckpointError::Malformed`] naming the line that is wrong.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| malformed("body does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(malformed("empty origin line"));
        }
        let size_text = lines
            .next()
            .ok_or_else(|| malformed("missing tree size line"))?;
        let canonical = size_text.bytes().all(|b| b.is_ascii_digit())
            && !size_text.is_empty()
            && (size_text == "0" || !size_text.starts_with('0'));
        if !canonical {
            return Err(malformed(format!(
                "tree size {size_text:?} is not a canonical decimal number"
            )));
        }
        let size: u64 = size_text
            .parse()
            .map_err(|_| malformed(format!("tree size {size_text:?} exceeds 2^64-1")))?;
        let root_text = lines
            .next()
            .ok_or_else(|| malformed("missing root hash line"))?;
        let root_bytes = B64
            .decode(root_text)
            .map_err(|e| malformed(format!("root hash {root_text:?} is not base64: {e}")))?;
        let root = Hash::try_from(root_bytes.as_slice()).map_err(|_| {
            malformed(format!(
                "root hash is {} bytes, expected 32",
                root_bytes.len()
            ))
        })?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(malformed("empty extension line"));
        }
        if extensions.len() > MAX_EXTENSION_LINES {
            return Err(malformed(format!(
                "{} extension lines, at most {MAX_EXTENSION_LINES}",
                extensions.len()
            )));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The body text, as signed.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

/// How many of which witnesses must cosign.
#[derive(Debug, Clone, Default)]
pub struct WitnessPolicy {
    /// The witness keys (normally tlog-cosignature/v1 keys).
    pub witnesses: Vec<Verifier>,
    /// How many distinct witnesses must have cosigned (0 = no requirement).
    pub threshold: usize,
}

/// A checkpoint whose log signature (and witness policy) verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The log's signature.
    pub log_signature: VerifiedSignature,
    /// Witness cosignatures that verified.
    pub witnesses: Vec<VerifiedSignature>,
    /// The exact note bytes that were verified.
    pub note: Vec<u8>,
}

/// The origin a log key implies: for C2SP keys the key name is the origin.
#[must_use]
pub fn origin_of_key(key: &Verifier) -> &str {
    &key.name
}

/// The key name Rekor uses on checkpoint signature lines for `origin`: the origin up to the
/// first space (`rekor.sigstore.dev - 1193050959916656506` is signed as `rekor.sigstore.dev`).
#[must_use]
pub fn rekor_key_name(origin: &str) -> &str {
    origin.split(' ').next().unwrap_or(origin)
}

/// Verifies a signed checkpoint: the note is well formed, `log` signed it, the origin is
/// `expected_origin`, and at least `policy.threshold` of `policy.witnesses` cosigned.
///
/// # Errors
/// [`CheckpointError`] naming what failed.
pub fn verify(
    note_bytes: &[u8],
    log: &Verifier,
    expected_origin: &str,
    policy: &WitnessPolicy,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let mut verifiers = vec![log.clone()];
    verifiers.extend(policy.witnesses.iter().cloned());
    let opened = note::open(note_bytes, &verifiers)?;
    let checkpoint = Checkpoint::parse(&opened.text)?;
    if checkpoint.origin != expected_origin {
        return Err(CheckpointError::OriginMismatch {
            expected: expected_origin.to_owned(),
            found: checkpoint.origin,
        });
    }
    let is_log = |s: &VerifiedSignature| s.name == log.name && s.key_hash == log.key_hash;
    let log_signature = opened
        .verified
        .iter()
        .find(|s| is_log(s))
        .cloned()
        .ok_or_else(|| CheckpointError::NotSignedByLog {
            name: log.name.clone(),
        })?;
    let witnesses: Vec<VerifiedSignature> =
        opened.verified.into_iter().filter(|s| !is_log(s)).collect();
    if witnesses.len() < policy.threshold {
        let known: Vec<&str> = policy.witnesses.iter().map(|w| w.name.as_str()).collect();
        return Err(CheckpointError::WitnessThreshold {
            found: witnesses.len(),
            required: policy.threshold,
            known: known.join(", "),
        });
    }
    Ok(VerifiedCheckpoint {
        checkpoint,
        log_signature,
        witnesses,
        note: note_bytes.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::note::Signer;
    use std::path::Path;

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/vectors/signed-note")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn c2sp_example_parses() {
        let n = note::parse(&read("c2sp-tlog-checkpoint-example.note")).unwrap();
        let c = Checkpoint::parse(&n.text).unwrap();
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20_852_163);
        assert_eq!(c.to_text(), n.text);
    }

    #[test]
    fn go_sumdb_tree_body_parses() {
        let text = String::from_utf8(read("go-sumdb-tree-body.txt")).unwrap();
        let c = Checkpoint::parse(&text).unwrap();
        assert_eq!(c.origin, "go.sum database tree");
        assert_eq!(c.size, 123_456_789_012);
        assert_eq!(c.root, crate::tlog::merkle::leaf_hash(b"hello world"));
    }

    #[test]
    fn rekor_checkpoint_verifies() {
        let pem = String::from_utf8(read("rekor-sigstore-dev.pub.pem")).unwrap();
        let origin = "rekor.sigstore.dev - 1193050959916656506";
        let key = Verifier::ecdsa_p256_from_pem(rekor_key_name(origin), &pem).unwrap();
        let v = verify(
            &read("rekor-checkpoint-from-rules_lint-bundle.note"),
            &key,
            origin,
            &WitnessPolicy::default(),
        )
        .unwrap();
        assert_eq!(v.checkpoint.size, 66_718_530);
        let err = verify(
            &read("rekor-checkpoint-from-rules_lint-bundle.note"),
            &key,
            "other",
            &WitnessPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "checkpoint-origin-mismatch");
    }

    #[test]
    fn malformed_bodies() {
        let root = B64.encode([0u8; 32]);
        for (body, why) in [
            (format!("o\n01\n{root}\n"), "leading zero"),
            (format!("o\n-1\n{root}\n"), "negative"),
            (format!("o\n18446744073709551616\n{root}\n"), "overflow"),
            ("o\n1\nAAAA\n".to_owned(), "short root"),
            (format!("o\n1\n{root}\n\n"), "empty extension"),
            (format!("\n1\n{root}\n"), "empty origin"),
            ("o\n1\n".to_owned(), "no root"),
        ] {
            assert!(Checkpoint::parse(&body).is_err(), "{why}");
        }
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\next one\n")).is_ok());
    }

    #[test]
    fn witness_policy() {
        let log = Signer::ed25519(
            "log.example",
            ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        let w: Vec<Signer> = (0..3u8)
            .map(|i| {
                Signer::cosignature_v1(
                    &format!("w{i}"),
                    ed25519_dalek::SigningKey::from_bytes(&[10 + i; 32]),
                )
                .unwrap()
            })
            .collect();
        let body = Checkpoint {
            origin: "log.example".into(),
            size: 5,
            root: [3; 32],
            extensions: vec![],
        }
        .to_text();
        let signed = note::sign(&body, &[&log], 0).unwrap();
        let cosigned = note::add_signatures(&signed, &[&w[0], &w[2]], 1_700_000_000).unwrap();
        let policy = |k| WitnessPolicy {
            witnesses: w.iter().map(Signer::verifier).collect(),
            threshold: k,
        };
        assert!(verify(&cosigned, &log.verifier(), "log.example", &policy(2)).is_ok());
        let err = verify(&cosigned, &log.verifier(), "log.example", &policy(3)).unwrap_err();
        assert_eq!(err.code(), "witness-threshold-not-met");
        // Only a witness signed: not signed by the log.
        let only_w = note::sign(&body, &[&w[0]], 5).unwrap();
        let err = verify(&only_w, &log.verifier(), "log.example", &policy(1)).unwrap_err();
        assert_eq!(err.code(), "checkpoint-not-signed-by-log");
    }
}
