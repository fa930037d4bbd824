//! Binary analysis: TLSH digests of files, sections and functions; executable formats (ELF,
//! PE/COFF, Mach-O incl. fat) and function boundaries; normalized disassembly and instruction
//! hashes; fingerprint records for a vulnerability's vulnerable and fixed builds, and matching a
//! binary against them. Specified in `spec/fingerprint-format.md`.
//!
//! Entry points: [`tlsh::Tlsh`] / [`tlsh::TlshHasher`] for digests and distances;
//! [`format::parse`] for images and [`format::Image::functions`]; [`extract::fingerprint_binary`]
//! for per-function fingerprints; [`record::diff_builds`] to make records from a vulnerable and
//! a fixed build and [`record::match_records`] to match a binary against records.
//!
//! Depends on `object` and `capstone` only; no I/O beyond reading the files it is given, no
//! network, no store (the store and proof code call into this module, never the reverse).

pub mod disasm;
pub mod extract;
pub mod format;
pub mod patch;
pub mod record;
pub mod tlsh;
pub mod unwind;

/// Fuzzing hook for the format layer: parses `data` as a binary with small limits and runs
/// every analysis step (function boundaries, unwind tables, TLSH, disassembly) on it. Must
/// never panic, whatever `data` is. Used by `fuzz/fuzz_targets/binary_format.rs` and by the
/// mutation smoke test.
#[doc(hidden)]
pub fn fuzz_binary(data: &[u8]) {
    let limits = format::Limits {
        max_file_bytes: 1 << 24,
        max_sections: 512,
        max_symbols: 10_000,
        max_functions: 2_000,
        max_function_bytes: 1 << 16,
        max_fat_arches: 4,
        max_unwind_records: 10_000,
    };
    let _ = unwind::eh_frame_ranges(data, 0x1000, true, 8, 1000);
    let _ = unwind::pdata_ranges(data, 0x1000, 1000);
    let Ok(images) = format::parse(data, &limits) else {
        return;
    };
    for img in &images {
        let _ = extract::fingerprint_image(img, None, 1);
    }
}
