//! Attestation verification for deltas, run BEFORE any scoring: DSSE envelopes against the
//! trust root's `bundle-signer` role (the vendor signature), Sigstore bundles against a Sigstore
//! `trusted_root.json` (certificate chain, signature, Rekor inclusion proof and checkpoint).
//! Anything that cannot be checked is reported as not verified (a provenance gap), never as
//! verified.

use std::path::PathBuf;

use bundle_format::dsse::Envelope;

use super::score::AttestationCheck;
use crate::trust::{Role, TrustRoot};

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

fn dsse_envelope(bytes: &[u8]) -> Option<Envelope> {
    Envelope::from_json(bytes).ok().or_else(|| {
        let text = std::str::from_utf8(bytes).ok()?;
        Envelope::from_json(text.lines().find(|l| !l.trim().is_empty())?.as_bytes()).ok()
    })
}

/// Checks one attestation file.
#[must_use]
pub fn check(bytes: &[u8], anchors: &Anchors) -> AttestationCheck {
    let mut c = AttestationCheck::default();
    let Some((kind, _, has_proof, payload_type)) = super::analyze::statement_of(bytes) else {
        c.notes
            .push("not a DSSE envelope or Sigstore bundle".into());
        return c;
    };
    if kind == "sigstore-bundle" {
        let Some(path) = &anchors.sigstore_root else {
            c.notes
                .push("Sigstore bundle not verified: no --trusted-root given".into());
            return c;
        };
        let root = match crate::sigstore::TrustedRoot::load(path) {
            Ok(r) => r,
            Err(e) => {
                c.notes.push(format!("Sigstore trusted root unusable: {e}"));
                return c;
            }
        };
        match crate::sigstore::verify_bundle(bytes, &root, &crate::sigstore::Policy::default()) {
            Ok(_) => {
                c.signature = Some(true);
                c.inclusion = Some(true);
            }
            Err(e) => {
                c.signature = Some(false);
                c.notes
                    .push(format!("Sigstore bundle failed verification: {e}"));
            }
        }
        return c;
    }
    let Some(path) = &anchors.trust_root else {
        c.notes
            .push("signature not verified: no --trust-root given".into());
        if !has_proof {
            c.notes.push("no transparency-log inclusion proof".into());
        }
        return c;
    };
    let at = anchors.at.unwrap_or_else(jiff::Timestamp::now);
    let trust = match TrustRoot::load(path, at) {
        Ok(t) => t,
        Err(e) => {
            c.notes.push(format!("trust root unusable: {e}"));
            return c;
        }
    };
    let Some(env) = dsse_envelope(bytes) else {
        c.signature = Some(false);
        c.notes.push("DSSE envelope could not be parsed".into());
        return c;
    };
    match trust.verify_envelope(&env, &payload_type, Role::BundleSigner) {
        Ok(_) => {
            c.signature = Some(true);
        }
        Err(e) => {
            c.signature = Some(false);
            c.notes.push(format!("DSSE signature failed: {e}"));
        }
    }
    if !has_proof {
        c.notes.push("no transparency-log inclusion proof".into());
    }
    c
}
