//! Executable formats through `object`: ELF, PE/COFF, Mach-O (thin and fat/universal). For each
//! image: architecture, bitness, endianness, sections, symbol counts, exports, build id / PDB
//! id / Mach-O UUID, and function boundaries (symbols, dynamic symbols, `.eh_frame`, `.pdata`,
//! else whole executable sections, with the source recorded).
//!
//! Parsing works on a byte slice the caller has read (bounded by [`Limits::max_file_bytes`]);
//! every count an attacker controls is capped by [`Limits`], and malformed input gives a
//! [`BinaryError`], never a panic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use serde::Serialize;

use super::unwind::{self, UnwindRange};
use crate::{Coded, FailureClass};

/// Caps on attacker-controlled sizes and counts. Defaults suit real shared libraries of a few
/// hundred MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes (default 1 GiB).
    pub max_file_bytes: u64,
    /// Most sections per image (default 65 536).
    pub max_sections: usize,
    /// Most symbols per table (default 4 000 000).
    pub max_symbols: usize,
    /// Most functions per image (default 2 000 000).
    pub max_functions: usize,
    /// Largest single function, in bytes; larger ones are skipped (default 16 MiB).
    pub max_function_bytes: u64,
    /// Most images in a fat Mach-O (default 32).
    pub max_fat_arches: usize,
    /// Most `.eh_frame` / `.pdata` records (default 4 000 000).
    pub max_unwind_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 1 << 30,
            max_sections: 65_536,
            max_symbols: 4_000_000,
            max_functions: 2_000_000,
            max_function_bytes: 16 << 20,
            max_fat_arches: 32,
            max_unwind_records: 4_000_000,
        }
    }
}

/// Why a binary could not be read or analysed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than [`Limits::max_file_bytes`].
    #[error("file is {size} bytes, more than the limit of {max} bytes")]
    TooLarge {
        /// Size found.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Not ELF, PE/COFF or Mach-O.
    #[error("not an ELF, PE/COFF or Mach-O binary (starts with {magic})")]
    UnknownFormat {
        /// The first bytes, hex.
        magic: String,
    },
    /// The headers or tables are truncated or inconsistent.
    #[error("malformed {format}: {what}")]
    Malformed {
        /// The format being parsed.
        format: &'static str,
        /// What `object` or our reader could not read.
        what: String,
    },
    /// A count beyond its limit.
    #[error("{what}: {count} found, more than the limit of {max}")]
    TooMany {
        /// sections, symbols, functions, fat architectures.
        what: &'static str,
        /// Count found (at least this many).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A function asked for by name is not in the binary.
    #[error("function {name}: not found in the binary")]
    FunctionNotFound {
        /// The name asked for.
        name: String,
    },
    /// A function asked for by name has no bytes (zero length or in a section with no data).
    #[error("function {name}: has no code bytes (zero length)")]
    EmptyFunction {
        /// The name asked for.
        name: String,
    },
}

impl Coded for BinaryError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io-error",
            Self::TooLarge { .. } => "binary-too-large",
            Self::UnknownFormat { .. } => "binary-unknown-format",
            Self::Malformed { .. } => "binary-malformed",
            Self::TooMany { .. } => "binary-limit-exceeded",
            Self::FunctionNotFound { .. } => "function-not-found",
            Self::EmptyFunction { .. } => "function-empty",
        }
    }
    fn class(&self) -> FailureClass {
        match self {
            Self::Io(_) | Self::FunctionNotFound { .. } => FailureClass::CouldNotRun,
            _ => FailureClass::Rejected,
        }
    }
}

/// Reads `path` whole, refusing files above `limits.max_file_bytes` (checked before and while
/// reading, so a growing file cannot exceed it either).
///
/// # Errors
/// [`BinaryError::Io`] or [`BinaryError::TooLarge`].
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, BinaryError> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Err(BinaryError::TooLarge {
            size,
            max: limits.max_file_bytes,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut data)?;
    if data.len() as u64 > limits.max_file_bytes {
        return Err(BinaryError::TooLarge {
            size: data.len() as u64,
            max: limits.max_file_bytes,
        });
    }
    Ok(data)
}

/// Container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// ELF.
    Elf,
    /// PE/COFF image.
    Pe,
    /// COFF object.
    Coff,
    /// Mach-O (an image of a fat file is also `mach-o`).
    MachO,
}

/// Instruction set, as named in fingerprint records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Arch {
    /// AMD64.
    X86_64,
    /// IA-32.
    X86,
    /// AArch64.
    Arm64,
    /// 32-bit ARM.
    Arm,
    /// RV64.
    Riscv64,
    /// RV32.
    Riscv32,
    /// Anything else (`object`'s name, lowercase).
    Other(String),
}

impl Arch {
    fn from_object(a: object::Architecture) -> Self {
        use object::Architecture as A;
        match a {
            A::X86_64 | A::X86_64_X32 => Self::X86_64,
            A::I386 => Self::X86,
            A::Aarch64 | A::Aarch64_Ilp32 => Self::Arm64,
            A::Arm => Self::Arm,
            A::Riscv64 => Self::Riscv64,
            A::Riscv32 => Self::Riscv32,
            other => Self::Other(format!("{other:?}").to_lowercase()),
        }
    }

    /// The name used in records and output (`x86-64`, `arm64`, …).
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::X86_64 => "x86-64".into(),
            Self::X86 => "x86".into(),
            Self::Arm64 => "arm64".into(),
            Self::Arm => "arm".into(),
            Self::Riscv64 => "riscv64".into(),
            Self::Riscv32 => "riscv32".into(),
            Self::Other(s) => s.clone(),
        }
    }
}

/// Where a function's boundaries came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoundarySource {
    /// The static symbol table.
    Symbols,
    /// The dynamic symbol table or the export table.
    DynamicSymbols,
    /// An `.eh_frame` FDE.
    EhFrame,
    /// A PE `.pdata` entry.
    Pdata,
    /// A whole executable section (no finer boundaries known).
    Section,
}

/// One section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionInfo {
    /// Name (lossy UTF-8).
    pub name: String,
    /// Virtual address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Holds executable code.
    pub executable: bool,
}

/// PE debug identity (CodeView RSDS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdbId {
    /// GUID bytes, lowercase hex in file order.
    pub guid: String,
    /// Age.
    pub age: u32,
    /// PDB path as stored (lossy UTF-8).
    pub path: String,
}

/// What an image is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    /// Container format.
    pub format: Format,
    /// Instruction set.
    pub arch: Arch,
    /// 32 or 64.
    pub bits: u8,
    /// `little` or `big`.
    pub endian: &'static str,
    /// Index in a fat Mach-O, if the file is fat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fat_index: Option<usize>,
    /// Sections in file order.
    pub sections: Vec<SectionInfo>,
    /// Entries in the static symbol table.
    pub symbol_count: usize,
    /// Entries in the dynamic symbol table.
    pub dynamic_symbol_count: usize,
    /// Exported names (PE export table; ELF/Mach-O exported symbols), sorted.
    pub exports: Vec<String>,
    /// ELF `NT_GNU_BUILD_ID`, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// PE CodeView PDB identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdb: Option<PdbId>,
    /// Mach-O `LC_UUID`, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mach_uuid: Option<String>,
}

/// A function: a name and an address range inside an executable section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Symbol name (Mach-O's leading `_` removed), or `fn_<hex address>` when unnamed.
    pub name: String,
    /// Start address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Where the boundaries came from.
    pub boundary_source: BoundarySource,
    /// 32-bit ARM code in Thumb mode: the ELF symbol's value had bit 0 set (ARM ELF ABI; the
    /// address above has it cleared).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub thumb: bool,
}

/// An image's functions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionList {
    /// The best source any function came from (symbols > dynamic symbols > unwind > section).
    pub boundary_source: BoundarySource,
    /// Sorted by address.
    pub functions: Vec<Function>,
    /// Candidates dropped because they had zero length.
    pub zero_length_skipped: usize,
    /// Names of the zero-length candidates that had a name.
    #[serde(skip)]
    pub zero_length_names: Vec<String>,
    /// Candidates dropped because they exceeded [`Limits::max_function_bytes`].
    pub oversize_skipped: usize,
}

struct CodeSection<'data> {
    name: String,
    address: u64,
    data: &'data [u8],
}

/// One parsed image (a thin file, or one architecture of a fat Mach-O).
pub struct Image<'data> {
    /// What it is.
    pub info: ImageInfo,
    file: object::File<'data>,
    code: Vec<CodeSection<'data>>,
    limits: Limits,
}

impl std::fmt::Debug for Image<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn malformed(format: &'static str, e: impl std::fmt::Display) -> BinaryError {
    BinaryError::Malformed {
        format,
        what: e.to_string(),
    }
}

/// Parses `data` into its images: one for a thin file, one per architecture for a fat Mach-O.
///
/// # Errors
/// [`BinaryError`] for unknown formats, malformed headers and exceeded limits.
pub fn parse<'data>(data: &'data [u8], limits: &Limits) -> Result<Vec<Image<'data>>, BinaryError> {
    if data.len() as u64 > limits.max_file_bytes {
        return Err(BinaryError::TooLarge {
            size: data.len() as u64,
            max: limits.max_file_bytes,
        });
    }
    let kind = object::FileKind::parse(data).map_err(|_| BinaryError::UnknownFormat {
        magic: hex::encode(&data[..data.len().min(4)]),
    })?;
    let slices: Slices<'data> = match kind {
        object::FileKind::MachOFat32 => {
            let fat = MachOFatFile32::parse(data).map_err(|e| malformed("fat mach-o", e))?;
            fat_slices(fat.arches(), data, limits)?
        }
        object::FileKind::MachOFat64 => {
            let fat = MachOFatFile64::parse(data).map_err(|e| malformed("fat mach-o", e))?;
            fat_slices(fat.arches(), data, limits)?
        }
        object::FileKind::Elf32
        | object::FileKind::Elf64
        | object::FileKind::Pe32
        | object::FileKind::Pe64
        | object::FileKind::Coff
        | object::FileKind::CoffBig
        | object::FileKind::MachO32
        | object::FileKind::MachO64 => vec![(None, data)],
        _ => {
            return Err(BinaryError::UnknownFormat {
                magic: hex::encode(&data[..data.len().min(4)]),
            });
        }
    };
    slices
        .into_iter()
        .map(|(idx, slice)| Image::parse(slice, idx, limits))
        .collect()
}

/// A section with contents: (name, address, offset in the image's data, bytes).
pub type SectionBytes<'data> = (String, u64, u64, &'data [u8]);

/// Images of a file: (index in a fat file, bytes).
type Slices<'data> = Vec<(Option<usize>, &'data [u8])>;

fn fat_slices<'data, A: FatArch>(
    arches: &'data [A],
    data: &'data [u8],
    limits: &Limits,
) -> Result<Slices<'data>, BinaryError> {
    if arches.len() > limits.max_fat_arches {
        return Err(BinaryError::TooMany {
            what: "fat mach-o architectures",
            count: arches.len(),
            max: limits.max_fat_arches,
        });
    }
    arches
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Ok((
                Some(i),
                a.data(data).map_err(|e| malformed("fat mach-o", e))?,
            ))
        })
        .collect()
}

impl<'data> Image<'data> {
    fn parse(
        data: &'data [u8],
        fat_index: Option<usize>,
        limits: &Limits,
    ) -> Result<Self, BinaryError> {
        let file = object::File::parse(data).map_err(|e| malformed("binary", e))?;
        let format = match file.format() {
            object::BinaryFormat::Elf => Format::Elf,
            object::BinaryFormat::Pe => Format::Pe,
            object::BinaryFormat::Coff => Format::Coff,
            object::BinaryFormat::MachO => Format::MachO,
            _ => {
                return Err(BinaryError::UnknownFormat {
                    magic: hex::encode(&data[..data.len().min(4)]),
                });
            }
        };
        let fname = format_name(format);
        let mut sections = Vec::new();
        let mut code = Vec::new();
        for (i, s) in file.sections().enumerate() {
            if i >= limits.max_sections {
                return Err(BinaryError::TooMany {
                    what: "sections",
                    count: i + 1,
                    max: limits.max_sections,
                });
            }
            let name = String::from_utf8_lossy(s.name_bytes().unwrap_or(b"")).into_owned();
            let executable = s.kind() == SectionKind::Text;
            if executable {
                // Sections whose bytes lie outside the file are malformed, not empty.
                let bytes = s
                    .data()
                    .map_err(|e| malformed(fname, format!("section {name}: {e}")))?;
                code.push(CodeSection {
                    name: name.clone(),
                    address: s.address(),
                    data: bytes,
                });
            }
            sections.push(SectionInfo {
                name,
                address: s.address(),
                size: s.size(),
                executable,
            });
        }
        let symbol_count = count_capped(file.symbols(), limits.max_symbols, "symbols")?;
        let dynamic_symbol_count = count_capped(
            file.dynamic_symbols(),
            limits.max_symbols,
            "dynamic symbols",
        )?;
        let mut exports = Vec::new();
        if let Ok(iter) = file.exports() {
            for (i, e) in iter.enumerate() {
                if i >= limits.max_symbols {
                    return Err(BinaryError::TooMany {
                        what: "exports",
                        count: i + 1,
                        max: limits.max_symbols,
                    });
                }
                let Ok(e) = e else { break };
                if let object::read::NameOrOrdinal::Name(n) = e.name() {
                    exports.push(String::from_utf8_lossy(n).into_owned());
                }
            }
        }
        exports.sort();
        exports.dedup();
        let build_id = file.build_id().ok().flatten().map(hex::encode);
        let pdb = file.pdb_info().ok().flatten().map(|cv| PdbId {
            guid: hex::encode(cv.guid()),
            age: cv.age(),
            path: String::from_utf8_lossy(cv.path()).into_owned(),
        });
        let mach_uuid = file.mach_uuid().ok().flatten().map(hex::encode);
        let info = ImageInfo {
            format,
            arch: Arch::from_object(file.architecture()),
            bits: if file.is_64() { 64 } else { 32 },
            endian: if file.is_little_endian() {
                "little"
            } else {
                "big"
            },
            fat_index,
            sections,
            symbol_count,
            dynamic_symbol_count,
            exports,
            build_id,
            pdb,
            mach_uuid,
        };
        Ok(Self {
            info,
            file,
            code,
            limits: *limits,
        })
    }

    /// The function list (see [`BoundarySource`] for the order of preference).
    ///
    /// # Errors
    /// [`BinaryError`] when a table is malformed or a limit is exceeded.
    pub fn functions(&self) -> Result<FunctionList, BinaryError> {
        let limits = &self.limits;
        let fname = format_name(self.info.format);
        let strip_underscore = self.info.format == Format::MachO;
        // ARM ELF: a function symbol's bit 0 marks Thumb code; the code starts at value & !1.
        let arm_elf = self.info.format == Format::Elf && self.info.arch == Arch::Arm;
        let mut thumb_starts = std::collections::BTreeSet::new();
        // Named candidates: start -> (name, size, source, is_global).
        let mut named: BTreeMap<u64, (String, u64, BoundarySource, bool)> = BTreeMap::new();
        let mut add = |name: &str, addr: u64, size: u64, src: BoundarySource, global: bool| {
            let addr = if arm_elf && addr & 1 == 1 {
                thumb_starts.insert(addr & !1);
                addr & !1
            } else {
                addr
            };
            let name = if strip_underscore {
                name.strip_prefix('_').unwrap_or(name)
            } else {
                name
            };
            if name.is_empty() {
                return;
            }
            match named.get_mut(&addr) {
                Some(e) => {
                    // Aliases: prefer the better source, then global, then the smaller name.
                    let better = (src, !global, name) < (e.2, !e.3, e.0.as_str());
                    e.1 = e.1.max(size);
                    if better {
                        e.0 = name.to_owned();
                        e.2 = src;
                        e.3 = global;
                    }
                }
                None => {
                    named.insert(addr, (name.to_owned(), size, src, global));
                }
            }
        };
        let mut n = 0usize;
        for sym in self.file.symbols() {
            n += 1;
            if n > limits.max_symbols {
                return Err(BinaryError::TooMany {
                    what: "symbols",
                    count: n,
                    max: limits.max_symbols,
                });
            }
            if sym.kind() == SymbolKind::Text
                && sym.is_definition()
                && let Ok(name) = sym.name()
            {
                add(
                    name,
                    sym.address(),
                    sym.size(),
                    BoundarySource::Symbols,
                    sym.is_global(),
                );
            }
        }
        for sym in self.file.dynamic_symbols() {
            if sym.kind() == SymbolKind::Text
                && sym.is_definition()
                && let Ok(name) = sym.name()
            {
                add(
                    name,
                    sym.address(),
                    sym.size(),
                    BoundarySource::DynamicSymbols,
                    true,
                );
            }
        }
        if self.info.format == Format::Pe
            && let Ok(iter) = self.file.exports()
        {
            for e in iter.take(limits.max_symbols).flatten() {
                if let (
                    object::read::NameOrOrdinal::Name(name),
                    object::read::ExportTarget::Address { address },
                ) = (e.name(), e.target())
                    && self.code_section(address).is_some()
                {
                    let name = String::from_utf8_lossy(name);
                    add(&name, address, 0, BoundarySource::DynamicSymbols, true);
                }
            }
        }
        // Unwind ranges.
        let (unwind, unwind_source) = self.unwind_ranges().map_err(|e| malformed(fname, e))?;
        let unwind_by_start: BTreeMap<u64, u64> =
            unwind.iter().map(|r| (r.start, r.size)).collect();

        // All known starts, to bound unsized symbols.
        let mut starts: Vec<u64> = named
            .keys()
            .copied()
            .chain(unwind_by_start.keys().copied())
            .collect();
        starts.sort_unstable();
        starts.dedup();

        let mut functions = Vec::new();
        let mut zero = 0usize;
        let mut zero_names = Vec::new();
        let mut oversize = 0usize;
        let mut push = |f: Function, functions: &mut Vec<Function>| -> Result<(), BinaryError> {
            if f.size == 0 {
                zero += 1;
                if zero_names.len() < 1024 {
                    zero_names.push(f.name);
                }
            } else if f.size > limits.max_function_bytes {
                oversize += 1;
            } else {
                if functions.len() >= limits.max_functions {
                    return Err(BinaryError::TooMany {
                        what: "functions",
                        count: functions.len() + 1,
                        max: limits.max_functions,
                    });
                }
                functions.push(f);
            }
            Ok(())
        };
        for (&addr, (name, size, src, _)) in &named {
            let Some(sec) = self.code_section(addr) else {
                continue;
            };
            let sec_end = sec.address + sec.data.len() as u64;
            let mut size = *size;
            if size == 0 {
                size = unwind_by_start.get(&addr).copied().unwrap_or_else(|| {
                    let next = starts.partition_point(|&s| s <= addr);
                    starts.get(next).copied().unwrap_or(sec_end).min(sec_end) - addr
                });
            }
            let size = size.min(sec_end - addr);
            push(
                Function {
                    name: name.clone(),
                    address: addr,
                    size,
                    boundary_source: *src,
                    thumb: thumb_starts.contains(&addr),
                },
                &mut functions,
            )?;
        }
        for r in &unwind {
            if named.contains_key(&r.start) {
                continue;
            }
            let Some(sec) = self.code_section(r.start) else {
                continue;
            };
            let sec_end = sec.address + sec.data.len() as u64;
            let size = r.size.min(sec_end - r.start);
            push(
                Function {
                    name: format!("fn_{:x}", r.start),
                    address: r.start,
                    size,
                    boundary_source: unwind_source,
                    thumb: false,
                },
                &mut functions,
            )?;
        }
        if functions.is_empty() {
            for sec in &self.code {
                push(
                    Function {
                        name: sec.name.clone(),
                        address: sec.address,
                        size: sec.data.len() as u64,
                        boundary_source: BoundarySource::Section,
                        thumb: false,
                    },
                    &mut functions,
                )?;
            }
        }
        functions.sort_by(|a, b| (a.address, &a.name).cmp(&(b.address, &b.name)));
        let boundary_source = functions
            .iter()
            .map(|f| f.boundary_source)
            .min()
            .unwrap_or(BoundarySource::Section);
        Ok(FunctionList {
            boundary_source,
            functions,
            zero_length_skipped: zero,
            zero_length_names: zero_names,
            oversize_skipped: oversize,
        })
    }

    fn unwind_ranges(&self) -> Result<(Vec<UnwindRange>, BoundarySource), unwind::UnwindError> {
        let limits = &self.limits;
        match self.info.format {
            Format::Pe => {
                if self.info.arch != Arch::X86_64 {
                    return Ok((Vec::new(), BoundarySource::Pdata));
                }
                let Some(s) = self.file.section_by_name(".pdata") else {
                    return Ok((Vec::new(), BoundarySource::Pdata));
                };
                let data = s.data().unwrap_or(&[]);
                let base = self.file.relative_address_base();
                Ok((
                    unwind::pdata_ranges(data, base, limits.max_unwind_records)?,
                    BoundarySource::Pdata,
                ))
            }
            _ => {
                let s = self
                    .file
                    .section_by_name(".eh_frame")
                    .or_else(|| self.file.section_by_name("__eh_frame"));
                let Some(s) = s else {
                    return Ok((Vec::new(), BoundarySource::EhFrame));
                };
                let data = s.data().unwrap_or(&[]);
                let addr_bytes = if self.info.bits == 64 { 8 } else { 4 };
                let ranges = unwind::eh_frame_ranges(
                    data,
                    s.address(),
                    self.info.endian == "little",
                    addr_bytes,
                    limits.max_unwind_records,
                )?;
                Ok((ranges, BoundarySource::EhFrame))
            }
        }
    }

    fn code_section(&self, addr: u64) -> Option<&CodeSection<'data>> {
        self.code
            .iter()
            .find(|s| addr >= s.address && addr - s.address < s.data.len() as u64)
    }

    /// The bytes of `f` (clamped to its section), or `None` if it lies in no code section.
    #[must_use]
    pub fn function_bytes(&self, f: &Function) -> Option<&'data [u8]> {
        let sec = self.code_section(f.address)?;
        let start = usize::try_from(f.address - sec.address).ok()?;
        let len = usize::try_from(f.size).ok()?;
        sec.data
            .get(start..start.checked_add(len)?.min(sec.data.len()))
    }

    /// Names of functions dropped for zero length (at most 1024).
    #[must_use]
    pub fn zero_length_names(&self) -> Vec<String> {
        self.functions()
            .map(|l| l.zero_length_names)
            .unwrap_or_default()
    }

    /// Every section whose contents lie in the file (ELF `SHT_NOBITS`, Mach-O zero-fill and
    /// PE uninitialized data have none), in section-table order, as (name, address, offset
    /// of its bytes in this image's data, bytes). A section whose range lies outside the file
    /// is an error, not an empty section.
    ///
    /// # Errors
    /// [`BinaryError::Malformed`] naming the section.
    pub fn section_contents(&self) -> Result<Vec<SectionBytes<'data>>, BinaryError> {
        let fname = format_name(self.info.format);
        let mut out = Vec::new();
        for s in self.file.sections() {
            let Some((offset, _)) = s.file_range() else {
                continue;
            };
            let name = String::from_utf8_lossy(s.name_bytes().unwrap_or(b"")).into_owned();
            let bytes = s
                .data()
                .map_err(|e| malformed(fname, format!("section {name}: {e}")))?;
            if bytes.is_empty() {
                continue;
            }
            out.push((name, s.address(), offset, bytes));
        }
        Ok(out)
    }

    /// The executable sections as (name, address, bytes).
    pub fn code_sections(&self) -> impl Iterator<Item = (&str, u64, &'data [u8])> {
        self.code
            .iter()
            .map(|s| (s.name.as_str(), s.address, s.data))
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Elf => "elf",
        Format::Pe => "pe",
        Format::Coff => "coff",
        Format::MachO => "mach-o",
    }
}

fn count_capped<I: Iterator>(
    iter: I,
    max: usize,
    what: &'static str,
) -> Result<usize, BinaryError> {
    let mut n = 0usize;
    for _ in iter {
        n += 1;
        if n > max {
            return Err(BinaryError::TooMany {
                what,
                count: n,
                max,
            });
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rel: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/binary/samples")
                .join(rel),
        )
        .unwrap()
    }

    fn summary(rel: &str) -> Vec<(Format, Arch, u8, BoundarySource, usize)> {
        let data = sample(rel);
        parse(&data, &Limits::default())
            .unwrap()
            .iter()
            .map(|img| {
                let f = img.functions().unwrap();
                (
                    img.info.format,
                    img.info.arch.clone(),
                    img.info.bits,
                    f.boundary_source,
                    f.functions.len(),
                )
            })
            .collect()
    }

    #[test]
    fn elf_x86_64_and_arm64() {
        let s = summary("elf-x86_64/md.cpython-311-x86_64-linux-gnu.so");
        assert_eq!(
            (s[0].0, s[0].1.clone(), s[0].2),
            (Format::Elf, Arch::X86_64, 64)
        );
        assert!(s[0].4 > 0);
        let s = summary("elf-aarch64/md.cpython-311-aarch64-linux-gnu.so");
        assert_eq!((s[0].0, s[0].1.clone()), (Format::Elf, Arch::Arm64));
    }

    #[test]
    fn pe_uses_exports_and_pdata() {
        let data = sample("pe-x86_64/_speedups.cp311-win_amd64.pyd");
        let imgs = parse(&data, &Limits::default()).unwrap();
        assert_eq!(imgs[0].info.format, Format::Pe);
        assert!(
            imgs[0].info.exports.iter().any(|e| e == "PyInit__speedups"),
            "{:?}",
            imgs[0].info.exports
        );
        let f = imgs[0].functions().unwrap();
        assert!(
            f.functions
                .iter()
                .any(|f| f.boundary_source == BoundarySource::Pdata)
        );
        assert!(f.functions.iter().any(|f| f.name == "PyInit__speedups"));
    }

    #[test]
    fn fat_macho_has_two_images() {
        let s = summary("macho-universal2/md.cpython-311-darwin.so");
        let arches: Vec<Arch> = s.iter().map(|x| x.1.clone()).collect();
        assert_eq!(arches, vec![Arch::X86_64, Arch::Arm64]);
        assert!(s.iter().all(|x| x.0 == Format::MachO && x.4 > 0));
    }

    #[test]
    fn truncated_and_garbage_inputs_are_typed_errors() {
        let data = sample("elf-x86_64/md.cpython-311-x86_64-linux-gnu.so");
        for cut in [0, 3, 16, 63, 64, 200, 1000, data.len() / 2] {
            let r = parse(&data[..cut], &Limits::default());
            if let Ok(imgs) = r {
                for img in imgs {
                    let _ = img.functions();
                }
            }
        }
        let err = parse(b"hello world, not a binary", &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "binary-unknown-format");
        let err = parse(&data[..100], &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "binary-malformed");
    }

    #[test]
    fn limits_are_enforced() {
        let data = sample("elf-x86_64/md.cpython-311-x86_64-linux-gnu.so");
        let limits = Limits {
            max_sections: 3,
            ..Limits::default()
        };
        assert_eq!(
            parse(&data, &limits).unwrap_err().code(),
            "binary-limit-exceeded"
        );
        let limits = Limits {
            max_file_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse(&data, &limits).unwrap_err().code(),
            "binary-too-large"
        );
        let limits = Limits {
            max_functions: 1,
            ..Limits::default()
        };
        let imgs = parse(&data, &limits).unwrap();
        assert_eq!(
            imgs[0].functions().unwrap_err().code(),
            "binary-limit-exceeded"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
        /// Mutation smoke test of the whole format layer (the fuzz target's hook): random byte
        /// overwrites and truncations of real samples never panic.
        #[test]
        fn mutated_samples_never_panic(
            which in 0usize..4,
            edits in proptest::collection::vec((0usize..1 << 16, proptest::prelude::any::<u8>()), 1..32),
            cut in 0usize..1 << 17,
        ) {
            let rel = [
                "elf-x86_64/md.cpython-311-x86_64-linux-gnu.so",
                "pe-x86_64/md.cp311-win_amd64.pyd",
                "macho-universal2/md.cpython-311-darwin.so",
                "elf-aarch64/md.cpython-311-aarch64-linux-gnu.so",
            ][which];
            let mut data = sample(rel);
            for (pos, byte) in edits {
                let n = data.len();
                data[pos % n] = byte;
            }
            data.truncate(cut.max(1));
            crate::binary::fuzz_binary(&data);
        }
    }
}
