//! Fuzzes the delta payload reader: `delta.bin` header and op-stream parsing, the bounded zstd
//! ADD decoder and op replay against a small fixed base must never panic or over-allocate.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| airlock::delta::fuzz::fuzz_payload(data));
