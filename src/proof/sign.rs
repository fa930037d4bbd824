//! Signed proofs: a [`ProofBlob`] as the predicate of an in-toto Statement v1 inside a DSSE
//! envelope signed by a `proof-signer` key; and `proof verify`, which re-checks a proof.

use std::collections::BTreeMap;

use bundle_format::Digest;
use bundle_format::dsse::Envelope;

use super::blob::ProofBlob;
use crate::crypto::intoto::{self, ResourceDescriptor, Statement};
use crate::crypto::{KeyId, PrivateKey, sign_envelope};
use crate::error::{Coded, FailureClass};
use crate::store::query::Snapshot;
use crate::trust::{Role, TrustRoot};

/// The in-toto predicate type of an airlock proof.
pub const PREDICATE_TYPE: &str = "https://airlock.dev/proof/v1";

/// Why a proof did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofVerifyError {
    /// Neither a proof nor a DSSE envelope holding one.
    #[error("not a proof: {0}")]
    Malformed(String),
    /// `proof_hash` does not match the content.
    #[error("proof_hash is {found}, the content hashes to {expected}")]
    HashMismatch {
        /// Computed.
        expected: String,
        /// In the document.
        found: String,
    },
    /// The statement's subject digest does not name this proof.
    #[error("statement subject digest {found} does not match proof_hash {expected}")]
    SubjectMismatch {
        /// The proof hash.
        expected: String,
        /// The subject's digest.
        found: String,
    },
    /// The signature does not meet the proof-signer role.
    #[error("signature: {0}")]
    Signature(String),
    /// A signed proof was given but no trust root to check it.
    #[error("the proof is signed; pass --trust-root to check the signature")]
    NoTrustRoot,
    /// A cited evidence blob is missing from the store or hashes differently.
    #[error("evidence {digest} ({entry}): {problem}")]
    Evidence {
        /// The cited digest.
        digest: String,
        /// The bundle entry it came from.
        entry: String,
        /// What is wrong.
        problem: String,
    },
    /// The store could not be read.
    #[error("store: {0}")]
    Store(String),
}

impl Coded for ProofVerifyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "proof-malformed",
            Self::HashMismatch { .. } => "proof-hash-mismatch",
            Self::SubjectMismatch { .. } => "proof-subject-mismatch",
            Self::Signature(_) => "signature-invalid",
            Self::NoTrustRoot => "trust-root-missing",
            Self::Evidence { .. } => "evidence-missing",
            Self::Store(_) => "store-error",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::NoTrustRoot | Self::Store(_) => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

/// Wraps a sealed proof in a Statement and signs it.
#[must_use]
pub fn sign_proof(proof: &ProofBlob, key: &PrivateKey) -> Envelope {
    let hash = proof
        .proof_hash
        .clone()
        .unwrap_or_else(|| proof.compute_hash());
    let hex = hash.strip_prefix("blake3:").unwrap_or(&hash).to_owned();
    let statement = Statement::new(
        vec![ResourceDescriptor {
            name: proof.subject.purl.clone(),
            digest: BTreeMap::from([("blake3".to_owned(), hex)]),
            uri: None,
        }],
        PREDICATE_TYPE,
        serde_json::to_value(proof).expect("proofs serialize"),
    );
    let payload =
        bundle_format::canonical::to_canonical_vec(&statement).expect("statements serialize");
    let mut envelope = Envelope::new(intoto::PAYLOAD_TYPE, payload);
    sign_envelope(&mut envelope, key);
    envelope
}

/// The result of [`verify_proof`].
#[derive(Debug, Clone)]
pub struct ProofCheck {
    /// The proof.
    pub proof: ProofBlob,
    /// Proof-signer keys that signed it (empty for an unsigned proof).
    pub signers: Vec<KeyId>,
    /// Evidence blobs re-hashed against the store (0 without a store).
    pub evidence_checked: usize,
}

/// Verifies a proof file: a bare ProofBlob, or a DSSE envelope around a Statement holding one.
/// Checks the self-hash, the signature (proof-signer role) when signed, and with a store that
/// every cited evidence blob exists there and hashes to its digest.
///
/// # Errors
/// [`ProofVerifyError`] naming the first failing check.
pub fn verify_proof(
    bytes: &[u8],
    trust_root: Option<&TrustRoot>,
    store: Option<&Snapshot>,
) -> Result<ProofCheck, ProofVerifyError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ProofVerifyError::Malformed(e.to_string()))?;
    let (proof, signers) = if value.get("payloadType").is_some() {
        let envelope =
            Envelope::from_json(bytes).map_err(|e| ProofVerifyError::Malformed(e.to_string()))?;
        let root = trust_root.ok_or(ProofVerifyError::NoTrustRoot)?;
        let verified = root
            .verify_envelope(&envelope, intoto::PAYLOAD_TYPE, Role::ProofSigner)
            .map_err(|e| ProofVerifyError::Signature(e.to_string()))?;
        let statement: Statement =
            bundle_format::canonical::from_canonical_slice(&verified.value().payload)
                .map_err(|e| ProofVerifyError::Malformed(format!("statement: {e}")))?;
        if !statement.is_v1() || statement.predicate_type != PREDICATE_TYPE {
            return Err(ProofVerifyError::Malformed(format!(
                "statement: expected in-toto v1 with predicateType {PREDICATE_TYPE}, found {} / {}",
                statement.statement_type, statement.predicate_type
            )));
        }
        let proof: ProofBlob = serde_json::from_value(statement.predicate.clone())
            .map_err(|e| ProofVerifyError::Malformed(format!("predicate: {e}")))?;
        let expected = proof.proof_hash.clone().unwrap_or_default();
        let found = statement
            .subject
            .first()
            .and_then(|s| s.digest.get("blake3"))
            .map(|h| format!("blake3:{h}"))
            .unwrap_or_default();
        if found != expected {
            return Err(ProofVerifyError::SubjectMismatch { expected, found });
        }
        (proof, verified.signers().to_vec())
    } else {
        let proof: ProofBlob = serde_json::from_value(value)
            .map_err(|e| ProofVerifyError::Malformed(e.to_string()))?;
        (proof, Vec::new())
    };
    if !proof.hash_matches() {
        return Err(ProofVerifyError::HashMismatch {
            expected: proof.compute_hash(),
            found: proof.proof_hash.clone().unwrap_or_else(|| "null".into()),
        });
    }
    let mut evidence_checked = 0;
    if let Some(snapshot) = store {
        for item in proof.evidence.iter().chain(&proof.conflicts) {
            let bad = |problem: &str| ProofVerifyError::Evidence {
                digest: item.raw_digest.clone(),
                entry: item.entry.clone(),
                problem: problem.to_owned(),
            };
            let digest: Digest = item
                .raw_digest
                .parse()
                .map_err(|_| bad("not a sha256 digest"))?;
            let raw = snapshot
                .raw(&digest)
                .map_err(|e| ProofVerifyError::Store(e.to_string()))?
                .ok_or_else(|| bad("not in the store"))?;
            if Digest::sha256(&raw) != digest {
                return Err(bad("the stored bytes hash differently"));
            }
            evidence_checked += 1;
        }
    }
    Ok(ProofCheck {
        proof,
        signers,
        evidence_checked,
    })
}
