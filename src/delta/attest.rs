//! Attestation verification for deltas: DSSE envelopes against the trust root's keys and
//! Sigstore bundles against a Sigstore trusted root. Which verifiers exist depends on the
//! capabilities built into this crate; anything that cannot be checked is reported as not
//! verified (a provenance gap), never as verified.

use std::path::PathBuf;

use super::score::AttestationCheck;

/// The trust anchors available to a verification.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// airlock trust root file (`--trust-root`).
    pub trust_root: Option<PathBuf>,
    /// Sigstore `trusted_root.json` (`--trusted-root`).
    pub sigstore_root: Option<PathBuf>,
    /// The time checks are made at.
    pub at: Option<jiff::Timestamp>,
}

/// Checks one attestation file.
#[must_use]
pub fn check(bytes: &[u8], anchors: &Anchors) -> AttestationCheck {
    let mut c = AttestationCheck::default();
    let Some((kind, _, has_proof, _)) = super::analyze::statement_of(bytes) else {
        c.notes
            .push("not a DSSE envelope or Sigstore bundle".into());
        return c;
    };
    match kind.as_str() {
        "sigstore-bundle" if anchors.sigstore_root.is_none() => {
            c.notes
                .push("Sigstore bundle not verified: no --trusted-root given".into());
        }
        "sigstore-bundle" => c
            .notes
            .push("Sigstore bundle verification is not available in this build".into()),
        _ if anchors.trust_root.is_none() => c
            .notes
            .push("signature not verified: no --trust-root given".into()),
        _ => c
            .notes
            .push("DSSE verification against a trust root is not available in this build".into()),
    }
    if !has_proof {
        c.notes.push("no transparency-log inclusion proof".into());
    }
    c
}
