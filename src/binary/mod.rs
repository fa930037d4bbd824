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
