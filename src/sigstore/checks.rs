//! The checks airlock adds on top of `sigstore-verify`.
//!
//! `sigstore-verify` verifies a checkpoint signature with *any* Rekor key of the trusted root
//! whose 4-byte hint matches, never compares the checkpoint's origin with the log, and for Rekor
//! v1 compares only the checkpoint's root hash with the proof (not its tree size), and for Rekor
//! v2 ignores the proof's own index, size and root (airlock requires them to agree). A log entry
//! naming a log that is not in the trusted root surfaces there as a SET or checkpoint failure.
//! These functions close those gaps; [`super::verify_bundle`] runs [`known_logs`] before the
//! crate and [`checkpoints`] after it.

use sigstore_verify::crypto::VerificationKey;
use sigstore_verify::trust_root::TransparencyLog;
use sigstore_verify::types::{
    ArtifactDigest, Bundle, Checkpoint, HashAlgorithm, KindVersion, Statement, TransparencyLogEntry,
};

use super::{LogEntry, SigstoreError, Subject, TrustedRoot, kind_name};

/// The trusted-root log an entry names, if any.
fn trusted_log<'r>(
    entry: &TransparencyLogEntry,
    root: &'r TrustedRoot,
) -> Option<&'r TransparencyLog> {
    let id = entry.log_id.key_id.as_bytes();
    root.inner
        .tlogs
        .iter()
        .find(|log| log.log_id.key_id.as_bytes() == id)
}

/// Every log entry must name a log of the trusted root (`unknown-log-key`).
pub fn known_logs(bundle: &Bundle, root: &TrustedRoot) -> Result<(), SigstoreError> {
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        if trusted_log(entry, root).is_none() {
            return Err(SigstoreError::UnknownLogKey(format!(
                "tlogEntries[{i}] names log id {}, which is not among the {} transparency logs of \
                 the trusted root",
                hex::encode(entry.log_id.key_id.as_bytes()),
                root.inner.tlogs.len()
            )));
        }
    }
    Ok(())
}

/// The host part of a log's base URL (`https://rekor.sigstore.dev/` → `rekor.sigstore.dev`).
fn host_of(base_url: &str) -> &str {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Whether a checkpoint origin names the log at `base_url`: C2SP origins are the log's host
/// (Rekor v2: `log2025-1.rekor.sigstore.dev`); Rekor v1 appends ` - <tree id>`.
pub fn origin_matches(origin: &str, base_url: &str) -> bool {
    let host = host_of(base_url);
    if host.is_empty() {
        return true;
    }
    origin == host
        || origin
            .strip_prefix(host)
            .is_some_and(|rest| rest.starts_with(" - "))
}

/// Checks each entry's checkpoint against the entry's own log and summarizes the entries.
pub fn checkpoints(bundle: &Bundle, root: &TrustedRoot) -> Result<Vec<LogEntry>, SigstoreError> {
    let mut out = Vec::new();
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        let log = trusted_log(entry, root).ok_or_else(|| {
            SigstoreError::UnknownLogKey(format!("tlogEntries[{i}] names an unknown log"))
        })?;
        let rekor_version = if entry.kind_version == KindVersion::HashedRekordV002 {
            2
        } else {
            1
        };
        let mut summary = LogEntry {
            log: log.base_url.clone(),
            log_id: hex::encode(entry.log_id.key_id.as_bytes()),
            kind: kind_name(entry.kind_version),
            rekor_version,
            log_index: entry.log_index.get(),
            integrated_time: None,
            signed_entry_timestamp: entry.inclusion_promise.is_some() && rekor_version == 1,
            checkpoint_tree_size: None,
            checkpoint_origin: None,
        };
        if let Some(proof) = &entry.inclusion_proof {
            let parsed;
            let checkpoint = match proof.checkpoint.checkpoint() {
                Some(c) => c,
                None => {
                    parsed = Checkpoint::from_text(proof.checkpoint.envelope()).map_err(|e| {
                        SigstoreError::CheckpointInvalid(format!(
                            "tlogEntries[{i}].inclusionProof.checkpoint: {e}"
                        ))
                    })?;
                    &parsed
                }
            };
            if !origin_matches(checkpoint.origin(), &log.base_url) {
                return Err(SigstoreError::CheckpointInvalid(format!(
                    "tlogEntries[{i}]: checkpoint origin {:?} does not name the entry's log {}",
                    checkpoint.origin(),
                    log.base_url
                )));
            }
            // The proof's own copies of index, size and root must agree with the entry and the
            // signed checkpoint (Rekor v2 leaves them unauthenticated; reject inconsistency).
            if checkpoint.tree_size() != proof.tree_size {
                return Err(SigstoreError::InclusionInvalid(format!(
                    "tlogEntries[{i}]: inclusion proof tree size {} differs from its checkpoint's \
                     tree size {}",
                    proof.tree_size,
                    checkpoint.tree_size()
                )));
            }
            if checkpoint.root_hash() != &proof.root_hash {
                return Err(SigstoreError::InclusionInvalid(format!(
                    "tlogEntries[{i}]: inclusion proof root hash {} differs from its checkpoint's \
                     root hash {}",
                    proof.root_hash.to_hex(),
                    checkpoint.root_hash().to_hex()
                )));
            }
            if rekor_version == 2 && proof.log_index.get() != entry.log_index.get() {
                return Err(SigstoreError::InclusionInvalid(format!(
                    "tlogEntries[{i}]: inclusion proof log index {} differs from the entry's log \
                     index {}",
                    proof.log_index.get(),
                    entry.log_index.get()
                )));
            }
            signed_by_log(checkpoint, entry, log).map_err(|why| {
                SigstoreError::CheckpointInvalid(format!("tlogEntries[{i}]: {why}"))
            })?;
            summary.checkpoint_tree_size = Some(checkpoint.tree_size());
            summary.checkpoint_origin = Some(checkpoint.origin().to_string());
        }
        out.push(summary);
    }
    Ok(out)
}

/// The checkpoint must carry a valid signature by the entry's own log key.
fn signed_by_log(
    checkpoint: &Checkpoint,
    entry: &TransparencyLogEntry,
    log: &TransparencyLog,
) -> Result<(), String> {
    let key = VerificationKey::from_spki(&log.public_key.raw_bytes)
        .map_err(|e| format!("log key of {} is unusable: {e}", log.base_url))?;
    let hint = &entry.log_id.key_id.as_bytes()[..4];
    let ok = checkpoint
        .signatures()
        .iter()
        .filter(|s| s.key_id.as_bytes().as_slice() == hint)
        .any(|s| key.verify(checkpoint.signed_data(), &s.signature).is_ok());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "checkpoint carries no valid signature by the entry's log {} (key hint {})",
            log.base_url,
            hex::encode(hint)
        ))
    }
}

/// The digest a DSSE statement's first usable subject stands for.
pub fn first_subject_digest(statement: &Statement) -> Option<ArtifactDigest> {
    statement.subject.iter().find_map(|s| {
        s.digest.sha256.map(ArtifactDigest::sha256).or_else(|| {
            s.digest.sha512.and_then(|h| {
                ArtifactDigest::new(HashAlgorithm::Sha2512, h.as_slice().to_vec()).ok()
            })
        })
    })
}

/// The statement's subjects, digests as hex.
pub fn subjects(statement: &Statement) -> Vec<Subject> {
    statement
        .subject
        .iter()
        .map(|s| {
            let mut digest = s.digest.other.clone();
            if let Some(h) = s.digest.sha256 {
                digest.insert("sha256".into(), h.to_hex());
            }
            if let Some(h) = s.digest.sha512 {
                digest.insert("sha512".into(), h.to_hex());
            }
            Subject {
                name: s.name.clone(),
                digest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::EncodePublicKey as _;
    use sha2::Digest as _;

    struct TestLog {
        key: p256::ecdsa::SigningKey,
        spki: Vec<u8>,
        id: [u8; 32],
    }

    fn test_log(seed: u8) -> TestLog {
        let key = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        let id = sha2::Sha256::digest(&spki).into();
        TestLog { key, spki, id }
    }

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    /// A checkpoint for `origin` signed by `signer`.
    fn note(origin: &str, signer: &TestLog) -> Checkpoint {
        let body = format!("{origin}\n1\n{}\n", b64(&[0u8; 32]));
        let sig: p256::ecdsa::Signature = signer.key.sign(body.as_bytes());
        let mut blob = signer.id[..4].to_vec();
        blob.extend_from_slice(sig.to_der().as_bytes());
        Checkpoint::from_text(&format!("{body}\n\u{2014} {origin} {}\n", b64(&blob))).unwrap()
    }

    fn entry_for(log: &TestLog) -> TransparencyLogEntry {
        serde_json::from_value(serde_json::json!({
            "logIndex": "0",
            "logId": {"keyId": b64(&log.id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": "1",
            "canonicalizedBody": "e30="
        }))
        .unwrap()
    }

    #[test]
    fn checkpoint_signed_by_another_trusted_log_is_refused() {
        super::super::provider::install();
        let (a, b) = (test_log(3), test_log(5));
        let tlogs: Vec<serde_json::Value> = [(&a, "https://a.example"), (&b, "https://b.example")]
            .iter()
            .map(|(log, url)| {
                serde_json::json!({
                    "baseUrl": url,
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(&log.spki),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": "2020-01-01T00:00:00Z"}
                    },
                    "logId": {"keyId": b64(&log.id)}
                })
            })
            .collect();
        let root = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": tlogs,
            "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []
        });
        let root = TrustedRoot::from_json(root.to_string().as_bytes()).unwrap();
        let log_a = &root.inner.tlogs[0];
        let log_b = &root.inner.tlogs[1];
        // Log B's checkpoint verifies for B's entries ...
        signed_by_log(&note("b.example", &b), &entry_for(&b), log_b).unwrap();
        // ... but not for an entry in log A, although B is a trusted log.
        let err = signed_by_log(&note("a.example", &b), &entry_for(&a), log_a).unwrap_err();
        assert!(
            err.contains("no valid signature by the entry's log"),
            "{err}"
        );
        signed_by_log(&note("a.example", &a), &entry_for(&a), log_a).unwrap();
    }

    #[test]
    fn origins() {
        assert!(origin_matches(
            "rekor.sigstore.dev - 1193050959916656506",
            "https://rekor.sigstore.dev"
        ));
        assert!(origin_matches(
            "log2025-1.rekor.sigstore.dev",
            "https://log2025-1.rekor.sigstore.dev/"
        ));
        assert!(!origin_matches(
            "rekor.sigstore.dev.evil - 1",
            "https://rekor.sigstore.dev"
        ));
        assert!(!origin_matches(
            "other.example",
            "https://rekor.sigstore.dev"
        ));
    }
}
