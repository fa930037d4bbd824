//! Fuzz the C2SP signed-note and tlog-checkpoint parsers and the note verifier.
//!
//! Any input must be rejected (or parsed) without panicking, hanging or allocating without
//! bound: the note parser, signature verification against a known Ed25519 key and a Rekor
//! ECDSA key, checkpoint body parsing and full checkpoint verification with a witness policy.
//! Seeds: `fuzz/seeds/tlog_note/` (the signed-note and checkpoint vectors).
#![no_main]

use std::sync::OnceLock;

use airlock::tlog::checkpoint::{self, Checkpoint, WitnessPolicy};
use airlock::tlog::note::{self, Verifier};
use libfuzzer_sys::fuzz_target;

/// The Go note package's example key, and the Rekor key of the committed Rekor checkpoint.
static KEYS: OnceLock<Vec<Verifier>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let keys = KEYS.get_or_init(|| {
        vec![
            Verifier::from_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .expect("example vkey parses"),
            Verifier::ecdsa_p256_from_pem(
                "rekor.sigstore.dev",
                include_str!("../../fixtures/vectors/signed-note/rekor-sigstore-dev.pub.pem"),
            )
            .expect("rekor key parses"),
        ]
    });
    if let Ok(parsed) = note::parse(data) {
        let _ = Checkpoint::parse(&parsed.text);
    }
    let _ = note::open(data, keys);
    let policy = WitnessPolicy {
        witnesses: vec![keys[0].clone()],
        threshold: 1,
    };
    for log in keys {
        let _ = checkpoint::verify(data, log, checkpoint::origin_of_key(log), &policy);
    }
});
