//! Function ranges from unwind tables, for binaries without (enough) symbols: `.eh_frame`
//! FDEs (ELF, Mach-O `__eh_frame`) and PE x64 `.pdata` `RUNTIME_FUNCTION` entries.
//!
//! Our own minimal CIE/FDE reader: only what is needed for `pc_begin` / `pc_range` (the pointer
//! encoding from the CIE augmentation `R`). Every read is bounds-checked, the record count is
//! capped, and a malformed table ends the walk with an error rather than a panic.

use std::collections::BTreeMap;

/// A function range found in an unwind table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnwindRange {
    /// Start address (virtual, as the image's sections use).
    pub start: u64,
    /// Length in bytes.
    pub size: u64,
}

/// Why an unwind table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnwindError {
    /// A record runs past the end of the section or a field cannot be decoded.
    #[error("{table}: malformed record at offset {offset}: {what}")]
    Malformed {
        /// `.eh_frame` or `.pdata`.
        table: &'static str,
        /// Byte offset of the record in the section.
        offset: usize,
        /// What could not be read.
        what: &'static str,
    },
    /// More records than the limit allows.
    #[error("{table}: more than {max} records")]
    TooManyRecords {
        /// `.eh_frame` or `.pdata`.
        table: &'static str,
        /// The limit.
        max: usize,
    },
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self, le: bool) -> Option<u16> {
        let b: [u8; 2] = self.take(2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }
    fn u32(&mut self, le: bool) -> Option<u32> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn u64(&mut self, le: bool) -> Option<u64> {
        let b: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }
    fn uleb(&mut self) -> Option<u64> {
        let mut result = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.u8()?;
            if shift < 64 {
                result |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    }
    fn sleb(&mut self) -> Option<i64> {
        let mut result = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift < 64 {
                result |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    result |= -1i64 << shift;
                }
                return Some(result);
            }
            if shift > 70 {
                return None;
            }
        }
    }
    fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        self.pos += n + 1;
        Some(&rest[..n])
    }
}

const DW_EH_PE_OMIT: u8 = 0xff;

/// Reads a pointer in `encoding`; `field_addr` is the virtual address of the field (for
/// `pcrel`). Returns `None` for unsupported encodings.
fn read_encoded(
    c: &mut Cursor<'_>,
    enc: u8,
    le: bool,
    addr_bytes: u8,
    field_addr: u64,
) -> Option<u64> {
    if enc == DW_EH_PE_OMIT {
        return Some(0);
    }
    let value = match enc & 0x0f {
        0x00 => {
            if addr_bytes == 8 {
                c.u64(le)?
            } else {
                u64::from(c.u32(le)?)
            }
        }
        0x01 => c.uleb()?,
        0x02 => u64::from(c.u16(le)?),
        0x03 => u64::from(c.u32(le)?),
        0x04 => c.u64(le)?,
        0x09 => c.sleb()? as u64,
        0x0a => i64::from(c.u16(le)? as i16) as u64,
        0x0b => i64::from(c.u32(le)? as i32) as u64,
        0x0c => c.u64(le)?,
        _ => return None,
    };
    match enc & 0x70 {
        0x00 => Some(value),
        0x10 => Some(field_addr.wrapping_add(value)),
        // textrel / datarel / funcrel / aligned: not used for FDE pointers by the toolchains we
        // meet; treated as unsupported rather than guessed.
        _ => None,
    }
}

/// Parses `.eh_frame` (`section_addr` is its virtual address) and returns the FDE ranges.
///
/// # Errors
/// [`UnwindError`] when a record is malformed or there are more than `max_records`.
pub fn eh_frame_ranges(
    data: &[u8],
    section_addr: u64,
    little_endian: bool,
    addr_bytes: u8,
    max_records: usize,
) -> Result<Vec<UnwindRange>, UnwindError> {
    const TABLE: &str = ".eh_frame";
    let le = little_endian;
    let bad = |offset, what| UnwindError::Malformed {
        table: TABLE,
        offset,
        what,
    };
    // CIE offset -> FDE pointer encoding.
    let mut cie_encodings: BTreeMap<usize, u8> = BTreeMap::new();
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut records = 0usize;
    while offset + 4 <= data.len() {
        records += 1;
        if records > max_records {
            return Err(UnwindError::TooManyRecords {
                table: TABLE,
                max: max_records,
            });
        }
        let mut c = Cursor { data, pos: offset };
        let len32 = c.u32(le).ok_or(bad(offset, "length"))?;
        if len32 == 0 {
            break; // terminator
        }
        let length = if len32 == 0xffff_ffff {
            c.u64(le).ok_or(bad(offset, "64-bit length"))?
        } else {
            u64::from(len32)
        };
        let body_start = c.pos;
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| body_start.checked_add(l))
            .filter(|&e| e <= data.len())
            .ok_or(bad(offset, "record length past the end of the section"))?;
        let id_pos = c.pos;
        let id = c.u32(le).ok_or(bad(offset, "CIE id"))?;
        let mut body = Cursor {
            data: &data[..end],
            pos: c.pos,
        };
        if id == 0 {
            let enc =
                parse_cie(&mut body, le, addr_bytes).ok_or(bad(offset, "CIE augmentation"))?;
            cie_encodings.insert(offset, enc);
        } else {
            let cie_offset = id_pos
                .checked_sub(id as usize)
                .ok_or(bad(offset, "CIE pointer before the section"))?;
            let enc = *cie_encodings
                .get(&cie_offset)
                .ok_or(bad(offset, "FDE names no known CIE"))?;
            let field_addr = section_addr.wrapping_add(body.pos as u64);
            let start = read_encoded(&mut body, enc, le, addr_bytes, field_addr)
                .ok_or(bad(offset, "pc_begin"))?;
            // pc_range uses the format of the encoding but is never relative.
            let size = read_encoded(&mut body, enc & 0x0f, le, addr_bytes, 0)
                .ok_or(bad(offset, "pc_range"))?;
            if start != 0 || size != 0 {
                out.push(UnwindRange { start, size });
            }
        }
        offset = end;
    }
    Ok(out)
}

/// Parses a CIE body (after the id) and returns its FDE pointer encoding.
fn parse_cie(c: &mut Cursor<'_>, le: bool, addr_bytes: u8) -> Option<u8> {
    let version = c.u8()?;
    let aug = c.cstr()?;
    if aug.starts_with(b"eh") {
        return None; // GCC 2.x "eh" augmentation: not produced by current toolchains
    }
    c.uleb()?; // code alignment
    c.sleb()?; // data alignment
    if version == 1 {
        c.u8()?;
    } else {
        c.uleb()?;
    }
    let mut enc = 0x00; // absptr
    if aug.first() == Some(&b'z') {
        let aug_len = usize::try_from(c.uleb()?).ok()?;
        let aug_end = c.pos.checked_add(aug_len)?;
        for &ch in &aug[1..] {
            match ch {
                b'R' => enc = c.u8()?,
                b'L' => {
                    c.u8()?;
                }
                b'P' => {
                    let penc = c.u8()?;
                    // Skip the personality pointer; its size follows from the format.
                    read_encoded(c, penc & 0x0f, le, addr_bytes, 0)?;
                }
                _ => break,
            }
            if c.pos > aug_end {
                return None;
            }
        }
    }
    Some(enc)
}

/// Parses PE x64 `.pdata` (`RUNTIME_FUNCTION`: begin RVA, end RVA, unwind RVA; 12 bytes each).
/// Addresses are returned as `image_base + RVA`. Entries with `end <= begin` are skipped.
///
/// # Errors
/// [`UnwindError::TooManyRecords`] beyond `max_records`.
pub fn pdata_ranges(
    data: &[u8],
    image_base: u64,
    max_records: usize,
) -> Result<Vec<UnwindRange>, UnwindError> {
    let count = data.len() / 12;
    if count > max_records {
        return Err(UnwindError::TooManyRecords {
            table: ".pdata",
            max: max_records,
        });
    }
    Ok(data
        .chunks_exact(12)
        .filter_map(|e| {
            let begin = u32::from_le_bytes(e[0..4].try_into().ok()?);
            let end = u32::from_le_bytes(e[4..8].try_into().ok()?);
            (begin != 0 && end > begin).then(|| UnwindRange {
                start: image_base.wrapping_add(u64::from(begin)),
                size: u64::from(end - begin),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_eh_frame_is_an_error_not_a_panic() {
        // A CIE claiming 100 bytes in a 12-byte section.
        let data = [100u8, 0, 0, 0, 0, 0, 0, 0, 1, b'z', b'R', 0];
        let err = eh_frame_ranges(&data, 0x1000, true, 8, 100).unwrap_err();
        assert!(matches!(err, UnwindError::Malformed { .. }), "{err}");
    }

    #[test]
    fn minimal_cie_and_fde() {
        let mut d = Vec::new();
        // CIE: length, id 0, version 1, "zR", code align 1, data align -8, ra 16, aug len 1, enc pcrel|sdata4
        let cie_body = [0, 0, 0, 0, 1, b'z', b'R', 0, 1, 0x78, 16, 1, 0x1b, 0, 0, 0];
        d.extend_from_slice(&(cie_body.len() as u32).to_le_bytes());
        d.extend_from_slice(&cie_body);
        let fde_off = d.len();
        // FDE: length, CIE pointer (offset from this field back to the CIE), pc_begin, pc_range
        let mut fde = Vec::new();
        fde.extend_from_slice(&((fde_off + 4) as u32).to_le_bytes());
        let field_pos = fde_off + 4 + 4;
        let target: i64 = 0x2000 - (0x1000 + field_pos as i64);
        fde.extend_from_slice(&(target as i32).to_le_bytes());
        fde.extend_from_slice(&0x40u32.to_le_bytes());
        fde.extend_from_slice(&[0, 0, 0, 0]);
        d.extend_from_slice(&(fde.len() as u32).to_le_bytes());
        d.extend_from_slice(&fde);
        d.extend_from_slice(&[0, 0, 0, 0]);
        let r = eh_frame_ranges(&d, 0x1000, true, 8, 100).unwrap();
        assert_eq!(
            r,
            vec![UnwindRange {
                start: 0x2000,
                size: 0x40
            }]
        );
    }

    #[test]
    fn record_cap_is_enforced() {
        let data = vec![0u8; 12 * 11];
        assert!(pdata_ranges(&data, 0, 10).is_err());
    }
}
