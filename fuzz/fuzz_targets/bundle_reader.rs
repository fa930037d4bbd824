//! Fuzz the evidence-bundle reader: the zstd frames, the tar headers, the DSSE envelope, the
//! manifest parser and the entry stream (sizes, digests, order, trailing bytes), then the
//! signed path (`open_authenticated` against the test-vector trust root).
//!
//! Any input must be rejected (or read) without panicking, hanging or allocating without bound.
//! Seeds: `fuzz/seeds/bundle_reader/` (tiny valid bundles from `fixtures/vectors/bundle/`).
#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use airlock::bundle::open_authenticated;
use airlock::bundle_format::{BundleReader, Limits, Manifest};
use airlock::trust::TrustRoot;
use libfuzzer_sys::fuzz_target;

static ROOT: OnceLock<TrustRoot> = OnceLock::new();

/// Small limits so a hostile size field cannot make a run slow.
fn limits() -> Limits {
    Limits {
        max_manifest_bytes: 1 << 20,
        ..Limits::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let root = ROOT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/vectors/bundle/trust.json");
        let at = "2026-06-01T00:00:00Z".parse().expect("fixed time");
        TrustRoot::load(std::path::Path::new(path), at).expect("test-vector trust root loads")
    });
    // Unauthenticated: every structural check, down to the last entry.
    if let Ok(mut reader) = BundleReader::open(data, limits()) {
        if reader.load_manifest().is_ok() {
            while let Ok(Some(mut entry)) = reader.next_entry() {
                let mut sink = Vec::new();
                let _ = (&mut entry).take(1 << 20).read_to_end(&mut sink);
                if entry.finish().is_err() {
                    break;
                }
            }
        }
    }
    // The manifest parser on its own.
    let _ = Manifest::from_payload(data, &limits());
    // Authenticated: signatures by the trust root's bundle-signer role, then the entries.
    let at = "2026-06-01T00:00:00Z".parse().expect("fixed time");
    if let Ok(mut bundle) = open_authenticated(data, root, at, limits()) {
        let _ = bundle.verify_remaining();
    }
});
