//! Disassembly through capstone and the normalized instruction stream behind instruction hashes
//! (`spec/fingerprint-format.md` §4): per instruction its mnemonic and the kinds of its operands
//! (register `R`, immediate/address/branch target `I`, memory `M`, register list `L`, shifted
//! or extended operand `S`), so the same code at another address, or linked against other
//! addresses, gives the same stream. Undecodable bytes become one `(bad)` token per decoding
//! unit. The instruction hash is BLAKE3 over the stream.

use capstone::prelude::*;

use super::format::Arch;

/// Why a disassembler could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DisasmError {
    /// capstone has no decoder for this instruction set here.
    #[error("no disassembler for architecture {0}")]
    Unsupported(String),
    /// capstone failed (out of memory, bad mode).
    #[error("capstone: {0}")]
    Capstone(String),
}

impl crate::Coded for DisasmError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unsupported(_) => "arch-unsupported",
            Self::Capstone(_) => "disassembler-failed",
        }
    }
    fn class(&self) -> crate::FailureClass {
        crate::FailureClass::CouldNotRun
    }
}

/// A normalized instruction stream summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// BLAKE3 of the stream, lowercase hex.
    pub hash: String,
    /// Instructions decoded.
    pub instructions: usize,
    /// `(bad)` tokens emitted.
    pub undecodable: usize,
}

/// A disassembler for one instruction set.
pub struct Disassembler {
    cs: Capstone,
    /// Bytes to skip past an undecodable instruction.
    unit: usize,
}

impl std::fmt::Debug for Disassembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disassembler")
            .field("unit", &self.unit)
            .finish_non_exhaustive()
    }
}

impl Disassembler {
    /// A disassembler for `arch` (x86-64, x86, ARM64, ARM (A32), RISC-V 32/64 with C).
    ///
    /// # Errors
    /// [`DisasmError`] for other instruction sets or a capstone failure.
    pub fn new(arch: &Arch, big_endian: bool) -> Result<Self, DisasmError> {
        let endian = if big_endian {
            capstone::Endian::Big
        } else {
            capstone::Endian::Little
        };
        let built = match arch {
            Arch::X86_64 => (
                Capstone::new()
                    .x86()
                    .mode(arch::x86::ArchMode::Mode64)
                    .build(),
                1,
            ),
            Arch::X86 => (
                Capstone::new()
                    .x86()
                    .mode(arch::x86::ArchMode::Mode32)
                    .build(),
                1,
            ),
            Arch::Arm64 => (
                Capstone::new()
                    .arm64()
                    .mode(arch::arm64::ArchMode::Arm)
                    .endian(endian)
                    .build(),
                4,
            ),
            Arch::Arm => (
                Capstone::new()
                    .arm()
                    .mode(arch::arm::ArchMode::Arm)
                    .endian(endian)
                    .build(),
                4,
            ),
            Arch::Riscv64 => (
                Capstone::new()
                    .riscv()
                    .mode(arch::riscv::ArchMode::RiscV64)
                    .extra_mode([arch::riscv::ArchExtraMode::RiscVC].into_iter())
                    .build(),
                2,
            ),
            Arch::Riscv32 => (
                Capstone::new()
                    .riscv()
                    .mode(arch::riscv::ArchMode::RiscV32)
                    .extra_mode([arch::riscv::ArchExtraMode::RiscVC].into_iter())
                    .build(),
                2,
            ),
            other => return Err(DisasmError::Unsupported(other.name())),
        };
        let (cs, unit) = built;
        let cs = cs.map_err(|e| DisasmError::Capstone(e.to_string()))?;
        Ok(Self { cs, unit })
    }

    /// A 32-bit ARM disassembler in Thumb mode (Thumb-2: 16- and 32-bit encodings), for
    /// functions whose ELF symbol value has bit 0 set; undecodable units are 2 bytes.
    ///
    /// # Errors
    /// [`DisasmError::Capstone`] when capstone fails.
    pub fn new_thumb(big_endian: bool) -> Result<Self, DisasmError> {
        let endian = if big_endian {
            capstone::Endian::Big
        } else {
            capstone::Endian::Little
        };
        let cs = Capstone::new()
            .arm()
            .mode(arch::arm::ArchMode::Thumb)
            .endian(endian)
            .build()
            .map_err(|e| DisasmError::Capstone(e.to_string()))?;
        Ok(Self { cs, unit: 2 })
    }

    /// Walks `code` (loaded at `address`) and calls `emit` with each normalized token.
    fn walk(
        &self,
        code: &[u8],
        address: u64,
        mut emit: impl FnMut(&str),
    ) -> Result<(usize, usize), DisasmError> {
        let mut offset = 0usize;
        let mut count = 0usize;
        let mut bad = 0usize;
        let mut token = String::new();
        while offset < code.len() {
            let mut iter = self
                .cs
                .disasm_iter(&code[offset..], address.wrapping_add(offset as u64))
                .map_err(|e| DisasmError::Capstone(e.to_string()))?;
            while let Some(insn) = iter.next() {
                offset += insn.len();
                count += 1;
                token.clear();
                token.push_str(insn.mnemonic().unwrap_or("?"));
                normalize_operands(insn.op_str().unwrap_or(""), &mut token);
                emit(&token);
            }
            if offset < code.len() {
                bad += 1;
                emit("(bad)");
                offset += self.unit;
            }
        }
        Ok((count, bad))
    }

    /// The normalized stream of `code` as text, one instruction per line (for inspection and
    /// the spec's examples).
    ///
    /// # Errors
    /// [`DisasmError::Capstone`].
    pub fn stream(&self, code: &[u8], address: u64) -> Result<String, DisasmError> {
        let mut out = String::new();
        self.walk(code, address, |t| {
            out.push_str(t);
            out.push('\n');
        })?;
        Ok(out)
    }

    /// The instruction hash of `code`: BLAKE3 over the stream, each token followed by `\n`.
    ///
    /// # Errors
    /// [`DisasmError::Capstone`].
    pub fn normalize(&self, code: &[u8], address: u64) -> Result<Normalized, DisasmError> {
        let mut hasher = blake3::Hasher::new();
        let (instructions, undecodable) = self.walk(code, address, |t| {
            hasher.update(t.as_bytes());
            hasher.update(b"\n");
        })?;
        Ok(Normalized {
            hash: hasher.finalize().to_hex().to_string(),
            instructions,
            undecodable,
        })
    }
}

/// Appends ` K1,K2,…` (operand kinds) for capstone's operand text `ops` to `out`.
fn normalize_operands(ops: &str, out: &mut String) {
    let ops = ops.trim();
    if ops.is_empty() {
        return;
    }
    out.push(' ');
    let mut depth = 0i32;
    let mut start = 0usize;
    let mut first = true;
    let bytes = ops.as_bytes();
    for i in 0..=bytes.len() {
        let at_end = i == bytes.len();
        if !at_end {
            match bytes[i] {
                b'[' | b'{' | b'(' => depth += 1,
                b']' | b'}' | b')' => depth -= 1,
                _ => {}
            }
        }
        if at_end || (bytes[i] == b',' && depth <= 0) {
            if !first {
                out.push(',');
            }
            first = false;
            out.push(operand_kind(ops[start..i].trim()));
            start = i + 1;
        }
    }
}

fn operand_kind(op: &str) -> char {
    let Some(first) = op.chars().next() else {
        return 'R';
    };
    if op.contains('[') || op.contains('(') {
        'M'
    } else if first == '{' {
        'L'
    } else if first == '#' || first == '-' || first == '+' || first.is_ascii_digit() {
        'I'
    } else if op.contains('#') || op.contains(' ') {
        'S'
    } else {
        'R'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_code_at_another_address_hashes_the_same() {
        let d = Disassembler::new(&Arch::X86_64, false).unwrap();
        // call rel32; mov eax, [rip+disp32]; ret — with different displacements.
        let a = [0xe8, 0x10, 0, 0, 0, 0x8b, 0x05, 0x20, 0, 0, 0, 0xc3];
        let b = [0xe8, 0x40, 1, 0, 0, 0x8b, 0x05, 0x99, 2, 0, 0, 0xc3];
        let ha = d.normalize(&a, 0x1000).unwrap();
        let hb = d.normalize(&b, 0x9000).unwrap();
        assert_eq!(ha, hb);
        assert_eq!(d.stream(&a, 0x1000).unwrap(), "call I\nmov R,M\nret\n");
        // A different instruction changes the hash.
        let c = [0xe8, 0x10, 0, 0, 0, 0x8b, 0x05, 0x20, 0, 0, 0, 0x90];
        assert_ne!(d.normalize(&c, 0x1000).unwrap().hash, ha.hash);
    }

    #[test]
    fn undecodable_bytes_are_tokens_not_errors() {
        let d = Disassembler::new(&Arch::Arm64, false).unwrap();
        let n = d
            .normalize(&[0xff, 0xff, 0xff, 0xff, 0xc0, 0x03, 0x5f, 0xd6, 1, 2], 0)
            .unwrap();
        assert_eq!(n.instructions, 1);
        assert_eq!(n.undecodable, 2);
    }

    #[test]
    fn thumb_mode_decodes_thumb2_code() {
        // push {r4, lr}; mov r4, r0; bl <+4> (32-bit Thumb-2); pop {r4, pc}
        let code = [0x10, 0xb5, 0x04, 0x46, 0x00, 0xf0, 0x00, 0xf8, 0x10, 0xbd];
        let t = Disassembler::new_thumb(false).unwrap();
        assert_eq!(
            t.stream(&code, 0x1530).unwrap(),
            "push L\nmov R,R\nbl I\npop L\n"
        );
        // The same bytes read as A32 are not that code.
        let a = Disassembler::new(&Arch::Arm, false).unwrap();
        assert_ne!(
            a.normalize(&code, 0x1530).unwrap().hash,
            t.normalize(&code, 0x1530).unwrap().hash
        );
    }

    #[test]
    fn operand_kinds() {
        let mut s = String::new();
        normalize_operands("x0, [x1, #8], lsl #2", &mut s);
        assert_eq!(s, " R,M,S");
        s.clear();
        normalize_operands("{r4, r5, lr}", &mut s);
        assert_eq!(s, " L");
        s.clear();
        normalize_operands("a0, -16(sp)", &mut s);
        assert_eq!(s, " R,M");
    }
}
