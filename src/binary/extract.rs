//! Per-function fingerprints of a binary: for each function of each image, its TLSH digest
//! (functions of at least 50 bytes with enough variation) and its instruction hash; and for
//! each section with contents in the file, the TLSH digest of those bytes.
//! Functions are processed in parallel (one disassembler per thread); results are sorted by
//! address, so output does not depend on the thread count.

use std::collections::BTreeSet;

use serde::Serialize;

use super::disasm::Disassembler;
use super::format::{self, Arch, BinaryError, BoundarySource, Format, Image, Limits};
use super::tlsh::Tlsh;

/// One function's fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionFingerprint {
    /// Name (see [`format::Function::name`]).
    pub name: String,
    /// For unnamed functions (`fn_<address>`): `<previous named function>+<k>`, the k-th
    /// unnamed function after the nearest named one (`+k` alone before the first), which
    /// stays the same across rebuilds that keep the function order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Start address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Where the boundaries came from.
    pub boundary_source: BoundarySource,
    /// Disassembled in Thumb mode (32-bit ARM symbol with bit 0 set).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub thumb: bool,
    /// TLSH of the function's bytes, where one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlsh: Option<Tlsh>,
    /// BLAKE3 of the normalized instruction stream, where the architecture can be disassembled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insn_hash: Option<String>,
    /// Instructions decoded.
    pub instructions: usize,
    /// Undecodable units.
    pub undecodable: usize,
}

/// One section's fingerprint: TLSH over exactly the section's bytes as stored in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionFingerprint {
    /// Name (lossy UTF-8).
    pub name: String,
    /// Virtual address.
    pub address: u64,
    /// Offset of the bytes in the image (in a fat Mach-O: in its architecture's slice).
    pub file_offset: u64,
    /// Number of bytes hashed.
    pub size: u64,
    /// TLSH of the bytes, where one exists (≥ 50 bytes with enough variation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlsh: Option<Tlsh>,
}

/// One image's fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFingerprints {
    /// Container format.
    pub format: Format,
    /// Instruction set.
    pub arch: Arch,
    /// 32 or 64.
    pub bits: u8,
    /// `little` or `big`.
    pub endian: &'static str,
    /// Index in a fat Mach-O.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fat_index: Option<usize>,
    /// ELF build id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Best boundary source used.
    pub boundary_source: BoundarySource,
    /// Zero-length candidates dropped.
    pub zero_length_skipped: usize,
    /// Why instruction hashes are missing, if they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disassembly_unavailable: Option<String>,
    /// Sections with contents in the file, in section-table order.
    pub sections: Vec<SectionFingerprint>,
    /// Functions, sorted by address.
    pub functions: Vec<FunctionFingerprint>,
}

/// TLSH of every section of `img` that has contents in the file.
///
/// # Errors
/// [`BinaryError::Malformed`] when a section's range lies outside the file.
pub fn fingerprint_sections(img: &Image<'_>) -> Result<Vec<SectionFingerprint>, BinaryError> {
    Ok(img
        .section_contents()?
        .into_iter()
        .map(|(name, address, file_offset, bytes)| SectionFingerprint {
            name,
            address,
            file_offset,
            size: bytes.len() as u64,
            tlsh: Tlsh::of(bytes),
        })
        .collect())
}

/// Fingerprints every function of `img` (or only those named in `only`).
///
/// # Errors
/// [`BinaryError`] from the function list.
pub fn fingerprint_image(
    img: &Image<'_>,
    only: Option<&BTreeSet<String>>,
    threads: usize,
) -> Result<ImageFingerprints, BinaryError> {
    let list = img.functions()?;
    let sections = fingerprint_sections(img)?;
    let wanted: Vec<&format::Function> = list
        .functions
        .iter()
        .filter(|f| only.is_none_or(|o| o.contains(&f.name)))
        .collect();
    let big_endian = img.info.endian == "big";
    let unavailable = Disassembler::new(&img.info.arch, big_endian)
        .err()
        .map(|e| e.to_string());
    let threads = threads.clamp(1, 64).min(wanted.len().max(1));
    let chunk = wanted.len().div_ceil(threads).max(1);
    let mut functions: Vec<FunctionFingerprint> = std::thread::scope(|s| {
        let handles: Vec<_> = wanted
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let dis = Disassembler::new(&img.info.arch, big_endian).ok();
                    let thumb = (img.info.arch == Arch::Arm)
                        .then(|| Disassembler::new_thumb(big_endian).ok())
                        .flatten();
                    part.iter()
                        .map(|f| {
                            let d = if f.thumb {
                                thumb.as_ref()
                            } else {
                                dis.as_ref()
                            };
                            fingerprint_function(img, f, d)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("fingerprint worker does not panic"))
            .collect()
    });
    functions.sort_by(|a, b| (a.address, &a.name).cmp(&(b.address, &b.name)));
    assign_aliases(&mut functions);
    Ok(ImageFingerprints {
        format: img.info.format,
        arch: img.info.arch.clone(),
        bits: img.info.bits,
        endian: img.info.endian,
        fat_index: img.info.fat_index,
        build_id: img.info.build_id.clone(),
        boundary_source: list.boundary_source,
        zero_length_skipped: list.zero_length_skipped,
        disassembly_unavailable: unavailable,
        sections,
        functions,
    })
}

/// Whether `name` is a placeholder for a function found only in unwind data.
#[must_use]
pub fn is_unnamed(name: &str) -> bool {
    name.strip_prefix("fn_")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn assign_aliases(functions: &mut [FunctionFingerprint]) {
    let mut anchor = String::new();
    let mut k = 0usize;
    for f in functions {
        if is_unnamed(&f.name) {
            k += 1;
            f.alias = Some(format!("{anchor}+{k}"));
        } else {
            anchor.clone_from(&f.name);
            k = 0;
        }
    }
}

impl ImageFingerprints {
    /// The function called `name`, or whose alias is `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&FunctionFingerprint> {
        self.functions.iter().find(|f| f.name == name).or_else(|| {
            self.functions
                .iter()
                .find(|f| f.alias.as_deref() == Some(name))
        })
    }
}

impl FunctionFingerprint {
    /// The name that identifies this function across builds: its symbol name, or its alias.
    #[must_use]
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

fn fingerprint_function(
    img: &Image<'_>,
    f: &format::Function,
    dis: Option<&Disassembler>,
) -> FunctionFingerprint {
    let bytes = img.function_bytes(f).unwrap_or(&[]);
    let tlsh = Tlsh::of(bytes);
    let norm = dis.and_then(|d| d.normalize(bytes, f.address).ok());
    FunctionFingerprint {
        name: f.name.clone(),
        alias: None,
        address: f.address,
        size: f.size,
        boundary_source: f.boundary_source,
        thumb: f.thumb,
        tlsh,
        insn_hash: norm.as_ref().map(|n| n.hash.clone()),
        instructions: norm.as_ref().map_or(0, |n| n.instructions),
        undecodable: norm.as_ref().map_or(0, |n| n.undecodable),
    }
}

/// Fingerprints every image of the binary in `data`. With `only`, every name must exist in
/// some image.
///
/// # Errors
/// [`BinaryError`] when the binary cannot be parsed or a named function is missing or empty.
pub fn fingerprint_binary(
    data: &[u8],
    only: Option<&BTreeSet<String>>,
    limits: &Limits,
    threads: usize,
) -> Result<Vec<ImageFingerprints>, BinaryError> {
    let images = format::parse(data, limits)?;
    let mut out = Vec::with_capacity(images.len());
    for img in &images {
        out.push(fingerprint_image(img, only, threads)?);
    }
    if let Some(only) = only {
        for name in only {
            let found: Vec<&FunctionFingerprint> = out
                .iter()
                .flat_map(|i| &i.functions)
                .filter(|f| &f.name == name)
                .collect();
            if found.is_empty() {
                // Distinguish a zero-length symbol from an absent one.
                let empty = images.iter().any(|img| {
                    img.info.symbol_count + img.info.dynamic_symbol_count > 0
                        && has_zero_length(img, name)
                });
                return Err(if empty {
                    BinaryError::EmptyFunction { name: name.clone() }
                } else {
                    BinaryError::FunctionNotFound { name: name.clone() }
                });
            }
        }
    }
    Ok(out)
}

fn has_zero_length(img: &Image<'_>, name: &str) -> bool {
    img.zero_length_names().iter().any(|n| n == name)
}

/// The default worker count: the machine's parallelism.
#[must_use]
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
