//! Rollback attestations (spec §10): a DSSE envelope over an in-toto Statement v1 whose
//! subject is the artifact being restored (the delta's base) and whose predicate names the
//! artifact being replaced (the delta's target) and the delta manifest, signed by the trust
//! root's `rollback-signer` role and anchored in a transparency log of the trust root by an
//! RFC 6962 inclusion proof against a C2SP checkpoint signed by that log (and its witnesses).

use std::path::Path;

use base64::Engine as _;
use bundle_format::canonical::{parse_strict, to_canonical_vec};
use bundle_format::delta::manifest::DeltaManifest;
use bundle_format::dsse::Envelope;
use serde::{Deserialize, Serialize};

use crate::crypto::intoto::Statement;
use crate::tlog::{checkpoint, merkle, note};
use crate::trust::{LogKeyType, Role, TrustRoot};
use crate::{Coded, FailureClass};

/// The predicate type of a rollback attestation.
pub const ROLLBACK_PREDICATE_TYPE: &str = "https://airlock.dev/delta-rollback/v1";
/// The format name of a rollback attestation file.
pub const ROLLBACK_FORMAT: &str = "airlock-rollback-attestation/v1";
/// The DSSE payload type of the statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Longest inclusion proof accepted (hashes).
pub const MAX_PROOF_HASHES: usize = 64;

/// Where the attestation is anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogAnchor {
    /// The log's origin (must be a log of the trust root).
    pub origin: String,
    /// Leaf index of the envelope.
    pub leaf_index: u64,
    /// Tree size the proof is for (must equal the checkpoint's).
    pub tree_size: u64,
    /// RFC 6962 inclusion proof, hex hashes.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint note (C2SP signed-note text).
    pub checkpoint: String,
}

/// A rollback attestation file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackAttestation {
    /// [`ROLLBACK_FORMAT`].
    pub format: String,
    /// The DSSE envelope; the log leaf is its RFC 8785 canonical JSON.
    pub envelope: serde_json::Value,
    /// The log anchor.
    pub log: LogAnchor,
}

/// Why a rollback attestation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// The file is not a rollback attestation.
    #[error("rollback attestation: {0}")]
    Malformed(String),
    /// The trust root could not be loaded.
    #[error("trust root: {0}")]
    TrustRoot(String),
    /// The statement names other digests than the delta's.
    #[error("rollback attestation: {0}")]
    WrongDigests(String),
    /// Signature verification failed.
    #[error("rollback attestation signature: {0}")]
    Signature(String),
    /// The inclusion proof or checkpoint failed.
    #[error("rollback attestation log inclusion: {0}")]
    Inclusion(String),
    /// Creating an attestation failed.
    #[error("{0}")]
    Create(String),
}

impl Coded for RollbackError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "rollback-attestation-invalid",
            Self::TrustRoot(_) => "trust-root-invalid",
            Self::WrongDigests(_) => "rollback-digest-mismatch",
            Self::Signature(_) => "rollback-signature-invalid",
            Self::Inclusion(_) => "rollback-inclusion-invalid",
            Self::Create(_) => "rollback-create-failed",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::TrustRoot(_) | Self::Create(_) => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

fn statement_for(m: &DeltaManifest, manifest_sha256: &str, reason: &str) -> Statement {
    let mut digest = std::collections::BTreeMap::new();
    digest.insert("sha256".to_owned(), m.base.sha256.hex());
    digest.insert("blake3".to_owned(), m.base.blake3.hex());
    Statement::new(
        vec![crate::crypto::intoto::ResourceDescriptor {
            name: "rollback-target".into(),
            digest,
            uri: None,
        }],
        ROLLBACK_PREDICATE_TYPE,
        serde_json::json!({
            "from": {"sha256": m.target.sha256.hex(), "blake3": m.target.blake3.hex()},
            "to": {"sha256": m.base.sha256.hex(), "blake3": m.base.blake3.hex()},
            "delta_manifest": {"sha256": manifest_sha256},
            "reason": reason,
        }),
    )
}

/// Checks a rollback attestation for the delta whose manifest is `m` (canonical bytes
/// `manifest_bytes`) under the trust root at `root`, at time `at`. In order: file shape,
/// trust root, DSSE signature by the `rollback-signer` role, statement digests, log anchor
/// (log in the trust root, checkpoint signature and witnesses, inclusion proof).
///
/// # Errors
/// [`RollbackError`] naming the failed check.
pub fn check_rollback_attestation(
    bytes: &[u8],
    m: &DeltaManifest,
    manifest_bytes: &[u8],
    root: &Path,
    at: jiff::Timestamp,
) -> Result<(), RollbackError> {
    let value = parse_strict(bytes).map_err(|e| RollbackError::Malformed(e.to_string()))?;
    let att: RollbackAttestation =
        serde_json::from_value(value).map_err(|e| RollbackError::Malformed(e.to_string()))?;
    if att.format != ROLLBACK_FORMAT {
        return Err(RollbackError::Malformed(format!(
            "format {:?}, expected {ROLLBACK_FORMAT:?}",
            att.format
        )));
    }
    let env_bytes =
        to_canonical_vec(&att.envelope).map_err(|e| RollbackError::Malformed(e.to_string()))?;
    let envelope = Envelope::from_json(&env_bytes)
        .map_err(|e| RollbackError::Malformed(format!("envelope: {e}")))?;
    let trust = TrustRoot::load(root, at).map_err(|e| RollbackError::TrustRoot(e.to_string()))?;
    let verified = trust
        .verify_envelope(&envelope, INTOTO_PAYLOAD_TYPE, Role::RollbackSigner)
        .map_err(|e| RollbackError::Signature(e.to_string()))?;
    let st: Statement = serde_json::from_slice(&verified.value().payload)
        .map_err(|e| RollbackError::Malformed(format!("statement: {e}")))?;
    if !st.is_v1() || st.predicate_type != ROLLBACK_PREDICATE_TYPE {
        return Err(RollbackError::Malformed(format!(
            "statement type {:?} / predicate {:?}, expected in-toto v1 / {ROLLBACK_PREDICATE_TYPE}",
            st.statement_type, st.predicate_type
        )));
    }
    let base_hex = m.base.sha256.hex();
    if !st
        .subject
        .iter()
        .any(|s| s.digest.get("sha256") == Some(&base_hex))
    {
        return Err(RollbackError::WrongDigests(format!(
            "no subject names the restored artifact sha256:{base_hex}"
        )));
    }
    let from = st.predicate["from"]["sha256"].as_str().unwrap_or("");
    if from != m.target.sha256.hex() {
        return Err(RollbackError::WrongDigests(format!(
            "predicate.from.sha256 is {from:?}, the delta's target is {}",
            m.target.sha256
        )));
    }
    let manifest_hex = bundle_format::Digest::sha256(manifest_bytes).hex();
    let named = st.predicate["delta_manifest"]["sha256"]
        .as_str()
        .unwrap_or("");
    if named != manifest_hex {
        return Err(RollbackError::WrongDigests(format!(
            "predicate.delta_manifest.sha256 is {named:?}, the delta manifest is sha256:{manifest_hex}"
        )));
    }
    // The anchor.
    let log = trust
        .logs()
        .iter()
        .find(|l| l.origin == att.log.origin)
        .ok_or_else(|| {
            RollbackError::Inclusion(format!("log {:?} is not in the trust root", att.log.origin))
        })?;
    let verifier = match log.key_type {
        LogKeyType::NoteVkey => note::Verifier::from_vkey(&log.key),
        LogKeyType::SpkiPem => {
            note::Verifier::ecdsa_p256_from_pem(checkpoint::rekor_key_name(&log.origin), &log.key)
        }
    }
    .map_err(|e| RollbackError::Inclusion(format!("log key of {:?}: {e}", log.origin)))?;
    let w = trust.witnesses();
    let witnesses = w
        .keys
        .iter()
        .map(|k| note::Verifier::from_vkey(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RollbackError::Inclusion(format!("witness key: {e}")))?;
    let policy = checkpoint::WitnessPolicy {
        witnesses,
        threshold: usize::try_from(w.threshold).unwrap_or(usize::MAX),
    };
    let cp = checkpoint::verify(
        att.log.checkpoint.as_bytes(),
        &verifier,
        &log.origin,
        &policy,
    )
    .map_err(|e| RollbackError::Inclusion(format!("checkpoint: {e}")))?;
    if cp.checkpoint.size != att.log.tree_size {
        return Err(RollbackError::Inclusion(format!(
            "proof is for tree size {}, the checkpoint has {}",
            att.log.tree_size, cp.checkpoint.size
        )));
    }
    if att.log.inclusion_proof.len() > MAX_PROOF_HASHES {
        return Err(RollbackError::Inclusion("inclusion proof too long".into()));
    }
    let proof: Vec<merkle::Hash> = att
        .log
        .inclusion_proof
        .iter()
        .map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|v| merkle::Hash::try_from(v.as_slice()).ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(|| {
            RollbackError::Inclusion("inclusion proof: not 32-byte hex hashes".into())
        })?;
    let leaf = merkle::leaf_hash(&env_bytes);
    merkle::verify_inclusion(
        &leaf,
        att.log.leaf_index,
        att.log.tree_size,
        &proof,
        &cp.checkpoint.root,
    )
    .map_err(|e| RollbackError::Inclusion(format!("inclusion proof: {e}")))
}

/// Creates a rollback attestation for a delta: the statement signed with `key` (a key of the
/// `rollback-signer` role), logged as the single entry of a fresh log named `origin` whose
/// checkpoint is signed with the Ed25519 `log_key`. Returns the file bytes and the log's C2SP
/// verifier key (to add to the trust root with `trust add-log`).
///
/// A vendor with a real log appends the canonical envelope to it and ships that log's proof
/// and checkpoint instead; the verifier accepts either.
///
/// # Errors
/// [`RollbackError::Create`].
pub fn create_rollback_attestation(
    m: &DeltaManifest,
    manifest_bytes: &[u8],
    key: &crate::crypto::PrivateKey,
    log_key: ed25519_dalek::SigningKey,
    origin: &str,
    reason: &str,
) -> Result<(Vec<u8>, String), RollbackError> {
    let err = |e: &dyn std::fmt::Display| RollbackError::Create(e.to_string());
    let (env_value, env_bytes) = signed_envelope(m, manifest_bytes, key, reason)?;
    let leaf = merkle::leaf_hash(&env_bytes);
    let text = format!(
        "{origin}\n1\n{}\n",
        base64::engine::general_purpose::STANDARD.encode(leaf)
    );
    let signer = note::Signer::ed25519(origin, log_key).map_err(|e| err(&e))?;
    let vkey = signer.verifier().vkey().unwrap_or_default();
    let note_bytes = note::sign(&text, &[&signer], 0).map_err(|e| err(&e))?;
    let att = RollbackAttestation {
        format: ROLLBACK_FORMAT.into(),
        envelope: env_value,
        log: LogAnchor {
            origin: origin.into(),
            leaf_index: 0,
            tree_size: 1,
            inclusion_proof: Vec::new(),
            checkpoint: String::from_utf8(note_bytes).map_err(|e| err(&e))?,
        },
    };
    Ok((to_canonical_vec(&att).map_err(|e| err(&e))?, vkey))
}

/// Signs the rollback statement for `m` and returns the envelope as a JSON value and as the
/// RFC 8785 canonical bytes that are the log leaf.
fn signed_envelope(
    m: &DeltaManifest,
    manifest_bytes: &[u8],
    key: &crate::crypto::PrivateKey,
    reason: &str,
) -> Result<(serde_json::Value, Vec<u8>), RollbackError> {
    let err = |e: &dyn std::fmt::Display| RollbackError::Create(e.to_string());
    let st = statement_for(
        m,
        &bundle_format::Digest::sha256(manifest_bytes).hex(),
        reason,
    );
    let payload = to_canonical_vec(&st).map_err(|e| err(&e))?;
    let mut env = Envelope::new(INTOTO_PAYLOAD_TYPE, payload);
    crate::crypto::sign_envelope(&mut env, key);
    let env_value: serde_json::Value =
        serde_json::from_slice(&env.to_json()).map_err(|e| err(&e))?;
    let env_bytes = to_canonical_vec(&env_value).map_err(|e| err(&e))?;
    Ok((env_value, env_bytes))
}

/// Like [`create_rollback_attestation`], but anchors the envelope in an existing local log
/// (`airlock tlog init`): appends the canonical envelope as a new leaf, signs a checkpoint for
/// the new size and ships the RFC 6962 inclusion proof against it. Returns the attestation and
/// the log's verifier key.
///
/// # Errors
/// [`RollbackError::Create`], also when the log cannot be appended to or proved from.
pub fn create_rollback_attestation_in_log(
    m: &DeltaManifest,
    manifest_bytes: &[u8],
    key: &crate::crypto::PrivateKey,
    log: &mut crate::tlog::log::LocalLog,
    reason: &str,
) -> Result<(Vec<u8>, String), RollbackError> {
    let err = |e: &dyn std::fmt::Display| RollbackError::Create(e.to_string());
    let (env_value, env_bytes) = signed_envelope(m, manifest_bytes, key, reason)?;
    let index = log
        .append(&[crate::tlog::log::LeafInput::Data(env_bytes)])
        .map_err(|e| err(&e))?;
    let note_bytes = log.sign_checkpoint().map_err(|e| err(&e))?;
    let size = log.size();
    let (_, proof, _) = log.prove_inclusion(index, size).map_err(|e| err(&e))?;
    let att = RollbackAttestation {
        format: ROLLBACK_FORMAT.into(),
        envelope: env_value,
        log: LogAnchor {
            origin: log.origin().to_owned(),
            leaf_index: index,
            tree_size: size,
            inclusion_proof: proof.iter().map(hex::encode).collect(),
            checkpoint: String::from_utf8(note_bytes).map_err(|e| err(&e))?,
        },
    };
    Ok((
        to_canonical_vec(&att).map_err(|e| err(&e))?,
        log.vkey().to_owned(),
    ))
}
