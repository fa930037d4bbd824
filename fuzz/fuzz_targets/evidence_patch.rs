//! Fuzzes the patch reader: DEP-3 / git headers, unified-diff hunks and HunkSig.
#![no_main]
use airlock::evidence::{limits::Limits, patch};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patch::parse_patch(data, &Limits::default());
});
