//! Fuzzes the binary format layer: ELF / PE / Mach-O parsing, function boundaries, unwind
//! tables, TLSH and disassembly must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| airlock::binary::fuzz_binary(data));
