//! Explainable risk: `delta_risk` is a pure function of `score_inputs` and the policy
//! (spec §8). The inputs are computed from the delta and from what verification established;
//! each input's contribution is reported with its reason.

use bundle_format::delta::manifest::{
    AttestationRef, DeltaRisk, FunctionsChanged, MaterialsDelta, OpsSummary, RiskContribution,
    ScoreInputs,
};
use serde::{Deserialize, Serialize};

/// Risk weights per input (they need not sum to 100; the score is normalized).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Weight of missing provenance.
    pub provenance: u64,
    /// Weight of new high-entropy bytes.
    pub entropy: u64,
    /// Weight of new dependencies.
    pub new_deps: u64,
    /// Weight of unverified attestations.
    pub attestation: u64,
    /// Weight of function-level change.
    pub functions: u64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            provenance: 30,
            entropy: 20,
            new_deps: 20,
            attestation: 20,
            functions: 10,
        }
    }
}

/// Verdict thresholds on the 0..=100 score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Scores up to this are green.
    pub green_max: u64,
    /// Scores up to this are amber; above, red.
    pub amber_max: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            green_max: 30,
            amber_max: 60,
        }
    }
}

/// Hard rules on top of the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Require {
    /// Green only with verified SLSA provenance naming the target (the seed's rule).
    pub slsa_for_green: bool,
    /// Red unless at least one attestation verified.
    pub verified_attestation: bool,
    /// Red if more dependencies than this were added.
    pub max_new_deps: Option<u64>,
    /// Red if provenance completeness (0..=1000) is below this.
    pub min_provenance_completeness: u64,
}

impl Default for Require {
    fn default() -> Self {
        Self {
            slsa_for_green: true,
            verified_attestation: false,
            max_new_deps: None,
            min_provenance_completeness: 0,
        }
    }
}

/// A delta policy (`policy.yaml`, or TOML/JSON with the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Input weights.
    pub weights: Weights,
    /// Verdict thresholds.
    pub thresholds: Thresholds,
    /// Hard rules.
    pub require: Require,
    /// SHA-256 of the policy file (`default` when none); not read from the file.
    #[serde(skip)]
    pub source: String,
}

/// Largest policy file, in bytes.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

impl Policy {
    /// Parses a policy file: YAML (`.yaml`/`.yml`, or anything not JSON), or JSON.
    ///
    /// # Errors
    /// A message naming the problem.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(format!(
                "policy of {} bytes exceeds {MAX_POLICY_BYTES}",
                bytes.len()
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| format!("policy is not UTF-8: {e}"))?;
        let mut p: Policy = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| format!("policy JSON: {e}"))?
        } else {
            serde_saphyr::from_str(text).map_err(|e| format!("policy YAML: {e}"))?
        };
        if p.thresholds.green_max > p.thresholds.amber_max || p.thresholds.amber_max > 100 {
            return Err("policy thresholds: need green_max <= amber_max <= 100".into());
        }
        p.source = bundle_format::digest::Digest::sha256(bytes).to_string();
        Ok(p)
    }

    /// The policy's identity for the manifest.
    #[must_use]
    pub fn id(&self) -> String {
        if self.source.is_empty() {
            "default".into()
        } else {
            self.source.clone()
        }
    }
}

/// What verification established about one attestation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestationCheck {
    /// Signature verified against the trust root (None: not checked).
    pub signature: Option<bool>,
    /// Transparency-log inclusion verified (None: not checked).
    pub inclusion: Option<bool>,
    /// Why a check failed or was skipped.
    pub notes: Vec<String>,
}

fn is_slsa(a: &AttestationRef) -> bool {
    a.predicate_type
        .as_deref()
        .is_some_and(|p| p.starts_with("https://slsa.dev/provenance/"))
}

/// Computes the score inputs. `checks[i]` is what verification established for
/// `attestations[i]`; missing entries mean "not verified".
#[must_use]
pub fn inputs_at_creation(
    ops: &OpsSummary,
    materials: &MaterialsDelta,
    functions: &FunctionsChanged,
    attestations: &[AttestationRef],
    checks: &[AttestationCheck],
) -> ScoreInputs {
    let mut gaps = Vec::new();
    let verified = |i: usize| checks.get(i).is_some_and(|c| c.signature == Some(true));
    let included = |i: usize| checks.get(i).is_some_and(|c| c.inclusion == Some(true));
    let mut prov = 0u64;
    let slsa = attestations
        .iter()
        .enumerate()
        .find(|(i, a)| is_slsa(a) && a.names_target && verified(*i));
    if attestations.is_empty() {
        gaps.push("no attestation accompanies the delta".to_owned());
    }
    if let Some((i, _)) = slsa {
        prov += 500;
        if included(i) {
            prov += 300;
        } else {
            gaps.push(
                "SLSA provenance is not anchored by a verified transparency-log inclusion proof"
                    .into(),
            );
        }
    } else if attestations.iter().any(is_slsa) {
        gaps.push(
            "SLSA provenance present but not verified or not naming the target digest".into(),
        );
    } else {
        gaps.push("no SLSA provenance for the target".into());
    }
    let any_vendor = attestations
        .iter()
        .enumerate()
        .any(|(i, a)| a.names_target && verified(i));
    if any_vendor {
        prov += 200;
    } else if !attestations.is_empty() {
        gaps.push("no verified signature over an attestation naming the target digest".into());
    }
    for (i, a) in attestations.iter().enumerate() {
        if !a.names_target {
            gaps.push(format!("{}: does not name the target digest", a.path));
        }
        if let Some(c) = checks.get(i) {
            gaps.extend(c.notes.iter().map(|n| format!("{}: {n}", a.path)));
        } else {
            gaps.push(format!("{}: signature not verified", a.path));
        }
    }
    let validity = if attestations.is_empty() {
        0
    } else {
        (0..attestations.len()).filter(|&i| verified(i)).count() as u64 * 1000
            / attestations.len() as u64
    };
    let new_share = 1000 - ops.copy_ratio_permille.min(1000);
    let entropy = (ops.add_entropy_millibits / 8).min(1000) * (new_share * 4).min(1000) / 1000;
    let impact = if functions.available {
        ((functions.added + functions.removed) * 50 + functions.modified * 10).min(1000)
    } else {
        0
    };
    if !functions.available && !functions.note.is_empty() && functions.note != "not an executable" {
        gaps.push(format!(
            "function-level view unavailable: {}",
            functions.note
        ));
    }
    gaps.sort();
    gaps.dedup();
    ScoreInputs {
        provenance_completeness: prov,
        delta_entropy: entropy,
        new_deps_count: materials.added.len() as u64,
        signed_attestation_validity: validity,
        function_change_impact: impact,
        provenance_gaps: gaps,
    }
}

fn contribution(input: &str, weight: u64, badness: u64, reason: String) -> RiskContribution {
    RiskContribution {
        input: input.into(),
        points: (weight * badness.min(1000) + 500) / 1000,
        weight,
        reason,
    }
}

/// The risk: a pure function of the inputs and the policy.
#[must_use]
pub fn score(i: &ScoreInputs, p: &Policy) -> DeltaRisk {
    let w = &p.weights;
    let deps_badness = (i.new_deps_count * 200).min(1000);
    let breakdown = vec![
        contribution(
            "provenance_completeness",
            w.provenance,
            1000 - i.provenance_completeness.min(1000),
            format!(
                "provenance completeness {}/1000 (SLSA 500, log inclusion 300, vendor signature 200)",
                i.provenance_completeness
            ),
        ),
        contribution(
            "delta_entropy",
            w.entropy,
            i.delta_entropy,
            format!(
                "new-byte entropy index {}/1000 (entropy of new bytes × share of new bytes)",
                i.delta_entropy
            ),
        ),
        contribution(
            "new_deps_count",
            w.new_deps,
            deps_badness,
            format!(
                "{} dependencies added (200 per dependency, capped at 1000)",
                i.new_deps_count
            ),
        ),
        contribution(
            "signed_attestation_validity",
            w.attestation,
            1000 - i.signed_attestation_validity.min(1000),
            format!(
                "{}/1000 of attestations verified against the trust root",
                i.signed_attestation_validity
            ),
        ),
        contribution(
            "function_change_impact",
            w.functions,
            i.function_change_impact,
            format!(
                "function-change impact {}/1000 (added/removed 50, modified 10 each)",
                i.function_change_impact
            ),
        ),
    ];
    let total_w: u64 = [
        w.provenance,
        w.entropy,
        w.new_deps,
        w.attestation,
        w.functions,
    ]
    .iter()
    .sum();
    let points: u64 = breakdown.iter().map(|c| c.points).sum();
    let score = (points * 100 + total_w / 2)
        .checked_div(total_w)
        .unwrap_or(0);
    let mut verdict = if score <= p.thresholds.green_max {
        2
    } else if score <= p.thresholds.amber_max {
        1
    } else {
        0
    };
    let mut reasons = Vec::new();
    if p.require.slsa_for_green && i.provenance_completeness < 500 && verdict == 2 {
        verdict = 1;
        reasons.push("no verified SLSA provenance: at best amber".to_owned());
    }
    if p.require.verified_attestation && i.signed_attestation_validity == 0 {
        verdict = 0;
        reasons.push("policy requires a verified attestation; none verified".to_owned());
    }
    if let Some(max) = p.require.max_new_deps
        && i.new_deps_count > max
    {
        verdict = 0;
        reasons.push(format!(
            "{} new dependencies exceed the policy's {max}",
            i.new_deps_count
        ));
    }
    if i.provenance_completeness < p.require.min_provenance_completeness {
        verdict = 0;
        reasons.push(format!(
            "provenance completeness {} below the policy's {}",
            i.provenance_completeness, p.require.min_provenance_completeness
        ));
    }
    DeltaRisk {
        score,
        verdict: ["red", "amber", "green"][verdict].into(),
        policy: p.id(),
        breakdown,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_policy_parses_and_scores() {
        let p = Policy::parse(b"weights:\n  provenance: 50\nthresholds:\n  green_max: 10\n  amber_max: 40\nrequire:\n  max_new_deps: 0\n").unwrap();
        assert_eq!(p.weights.provenance, 50);
        let i = ScoreInputs {
            provenance_completeness: 1000,
            delta_entropy: 0,
            new_deps_count: 1,
            signed_attestation_validity: 1000,
            function_change_impact: 0,
            provenance_gaps: vec![],
        };
        let r = score(&i, &p);
        assert_eq!(r.verdict, "red");
        assert_eq!(score(&i, &p), r, "pure");
        assert!(Policy::parse(b"weights:\n  bogus: 1\n").is_err());
    }
}
