//! `delta verify`: every check a receiver can make with the base, the delta directory and
//! the trust roots, in the order of spec §9: manifest and payload integrity, attestations
//! (BEFORE any scoring), the op stream against the base, the target digest, the chunk tree,
//! the reverse payload, the manifest's analysis against a recomputation, then the score.

use std::path::Path;

use bundle_format::delta::manifest::{
    AttestationRef, DeltaManifest, DeltaRisk, REVERSE_PAYLOAD_FILE, ScoreInputs,
};
use bundle_format::delta::payload::Limits;
use serde::Serialize;

use super::analyze;
use super::attest::{self, Anchors};
use super::engine::{self, DeltaError, LoadedDelta};
use super::score::{self, AttestationCheck, Policy};

/// The outcome of a successful structural verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The verdict: `green`, `amber` or `red`.
    pub verdict: String,
    /// The recomputed risk.
    pub risk: DeltaRisk,
    /// The recomputed inputs.
    pub score_inputs: ScoreInputs,
    /// Per attestation: what was established.
    pub attestations: Vec<AttestationOutcome>,
    /// Checks that passed, in order.
    pub checks: Vec<String>,
    /// The target's sha256.
    pub target_sha256: String,
}

/// What verification established about one attestation.
#[derive(Debug, Clone, Serialize)]
pub struct AttestationOutcome {
    /// Path in the delta directory.
    pub path: String,
    /// Signature verified (null: not checked).
    pub signature_verified: Option<bool>,
    /// Log inclusion verified (null: not checked).
    pub inclusion_verified: Option<bool>,
    /// Notes.
    pub notes: Vec<String>,
}

/// Reads and checks each attestation file against its manifest digest, then verifies it.
///
/// # Errors
/// [`DeltaError::FileDigestMismatch`] for a tampered or missing attestation file.
pub fn check_attestations(
    dir: &Path,
    refs: &[AttestationRef],
    anchors: &Anchors,
) -> Result<Vec<AttestationCheck>, DeltaError> {
    let mut out = Vec::new();
    for r in refs {
        if r.path.contains("..") || !r.path.starts_with("attestations/") {
            return Err(DeltaError::ManifestInvalid(format!(
                "attestation path {:?} is not under attestations/",
                r.path
            )));
        }
        let path = dir.join(&r.path);
        let bytes = engine::read_bounded(&path, engine::MAX_ATTESTATION_BYTES)?;
        let found = bundle_format::Digest::sha256(&bytes);
        if found != r.sha256 {
            return Err(DeltaError::FileDigestMismatch {
                file: r.path.clone(),
                expected: r.sha256.to_string(),
                found: found.to_string(),
            });
        }
        out.push(attest::check(&bytes, anchors));
    }
    Ok(out)
}

/// Verifies the delta in `dir` against `base`.
///
/// # Errors
/// The first failed check as a [`DeltaError`] with its specific code.
pub fn verify(
    dir: &Path,
    base: &[u8],
    anchors: &Anchors,
    policy: &Policy,
    limits: &Limits,
) -> Result<VerifyReport, DeltaError> {
    let mut passed = Vec::new();
    let LoadedDelta {
        manifest: m,
        payload,
        ..
    } = engine::load_dir(dir)?;
    passed.push("manifest is canonical JSON and delta.bin matches its digest".to_owned());
    let checks = check_attestations(dir, &m.attestations, anchors)?;
    passed.push(format!(
        "{} attestation file(s) match their digests and were checked before scoring",
        checks.len()
    ));
    let rec = engine::reconstruct_target(&payload, &m, base, limits)?;
    passed.push(
        "base digest, op stream, COPY ranges, ADD caps and target digest (sha256+blake3) verified"
            .to_owned(),
    );
    engine::check_chunks(&m, &rec.bytes)?;
    passed.push("chunk tree root and changed-chunk multi-proof verified".to_owned());
    let reverse = engine::read_bounded(
        &dir.join(REVERSE_PAYLOAD_FILE),
        m.reverse_payload.size.saturating_add(1 << 20),
    )?;
    engine::reconstruct(
        REVERSE_PAYLOAD_FILE,
        &reverse,
        &m.reverse_payload,
        &rec.bytes,
        &m.target,
        &m.base,
        limits,
    )?;
    passed.push("reverse payload reproduces the base exactly".to_owned());
    check_analysis(&m, base, &rec.bytes, &rec.ops, payload.len() as u64)?;
    passed.push("manifest analysis (ops summary, sections, functions, members, materials) matches a recomputation".to_owned());
    let inputs = score::inputs_at_creation(
        &m.ops_summary,
        &m.materials_delta,
        &m.functions_changed,
        &m.attestations,
        &checks,
    );
    let mut risk = score::score(&inputs, policy);
    for (r, c) in m.attestations.iter().zip(&checks) {
        if c.signature == Some(false) || c.inclusion == Some(false) {
            risk.verdict = "red".into();
            risk.reasons.push(format!("{} failed verification", r.path));
        }
    }
    let attestations = m
        .attestations
        .iter()
        .zip(&checks)
        .map(|(r, c)| AttestationOutcome {
            path: r.path.clone(),
            signature_verified: c.signature,
            inclusion_verified: c.inclusion,
            notes: c.notes.clone(),
        })
        .collect();
    Ok(VerifyReport {
        verdict: risk.verdict.clone(),
        risk,
        score_inputs: inputs,
        attestations,
        checks: passed,
        target_sha256: m.target.sha256.to_string(),
    })
}

fn check_analysis(
    m: &DeltaManifest,
    base: &[u8],
    target: &[u8],
    ops: &[bundle_format::delta::Op],
    payload_len: u64,
) -> Result<(), DeltaError> {
    let mismatch = |what: &str| {
        DeltaError::ManifestMismatch(format!(
            "{what} does not match a recomputation from base and target"
        ))
    };
    // The ADD bytes are not kept by reconstruct; recompute the summary from the ops alone where
    // possible and compare the op-derived counts.
    let s = &m.ops_summary;
    let (mut copy_ops, mut add_ops, mut diff_ops, mut copy_b, mut add_b, mut diff_b) =
        (0, 0, 0, 0, 0, 0);
    for op in ops {
        match *op {
            bundle_format::delta::Op::Copy { len, .. } => {
                copy_ops += 1;
                copy_b += len;
            }
            bundle_format::delta::Op::Add { len } => {
                add_ops += 1;
                add_b += len;
            }
            bundle_format::delta::Op::AddDiff { len, .. } => {
                diff_ops += 1;
                diff_b += len;
            }
        }
    }
    if (
        s.copy_ops,
        s.add_ops,
        s.add_diff_ops,
        s.copy_bytes,
        s.add_bytes,
        s.add_diff_bytes,
    ) != (copy_ops, add_ops, diff_ops, copy_b, add_b, diff_b)
        || payload_len * 1000 / m.target.size.max(1) != s.payload_ratio_permille
            && m.target.size > 0
    {
        return Err(mismatch("ops_summary"));
    }
    let a = analyze::analyze(base, target);
    if a.artifact_type != m.artifact_type {
        return Err(mismatch("artifact_type"));
    }
    if a.sections != m.sections {
        return Err(mismatch("sections"));
    }
    if a.functions_changed != m.functions_changed {
        return Err(mismatch("functions_changed"));
    }
    if a.container != m.container {
        return Err(mismatch("container"));
    }
    if a.materials_delta.added != m.materials_delta.added
        || a.materials_delta.removed != m.materials_delta.removed
    {
        return Err(mismatch("materials_delta"));
    }
    Ok(())
}
