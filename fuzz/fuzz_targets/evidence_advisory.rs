//! Fuzzes the advisory readers (OSV, CSAF 2.0, Debian security tracker, told apart by sniffing):
//! any bytes give a document or a typed error, never a panic.
#![no_main]
use airlock::evidence::advisory::{Limits, parse};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = parse(data, &Limits::default());
});
