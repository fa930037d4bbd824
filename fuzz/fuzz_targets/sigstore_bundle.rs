//! Fuzz the Sigstore bundle parser and the whole offline verifier.
//!
//! Any input must be rejected (or, in principle, verified) without panicking, hanging or
//! allocating without bound. Seeds: `fuzz/seeds/sigstore_bundle/` (real bundles).
#![no_main]

use std::sync::OnceLock;

use airlock::sigstore::{Policy, TrustedRoot, parse_bundle, verify_bundle};
use libfuzzer_sys::fuzz_target;

static ROOT: OnceLock<TrustedRoot> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let root = ROOT.get_or_init(|| {
        TrustedRoot::from_json(include_bytes!(
            "../../trust-roots/sigstore-public-good-trusted_root.json"
        ))
        .expect("shipped trusted root parses")
    });
    if parse_bundle(data).is_ok() {
        let _ = verify_bundle(data, root, &Policy::default());
        let _ = verify_bundle(data, root, &Policy::default().artifact_sha256([0; 32]));
    }
});
