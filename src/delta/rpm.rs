//! RPM packages for the member view (analysis only): the v3 lead (96 bytes), the signature
//! header and the main header (both v4 header structures: magic `8e ad e8 01`, index of
//! 16-byte entries, data store; the signature header padded to 8 bytes), then the payload —
//! a cpio archive (`newc`, magic `070701` / `070702`) compressed as the header's
//! `PAYLOADCOMPRESSOR` says (gzip, xz, lzma, zstd; bzip2 is not decoded).
//!
//! Layout per the RPM file format (rpm.org, "Package File Format", and `rpm/lib/header.c`).
//! Every size is checked against the buffer before use; any inconsistency gives `None`.

use std::collections::BTreeMap;
use std::io::Read;

use bundle_format::delta::manifest::Material;
use bundle_format::digest::Digest;

const LEAD_BYTES: usize = 96;
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
const MAX_INDEX_ENTRIES: usize = 1 << 16;
const MAX_STORE_BYTES: usize = 64 << 20;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_REQUIRENAME: u32 = 1049;
const TAG_REQUIREVERSION: u32 = 1050;
const TAG_PAYLOADFORMAT: u32 = 1124;
const TAG_PAYLOADCOMPRESSOR: u32 = 1125;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Whether `data` starts with an RPM lead.
#[must_use]
pub fn is_rpm(data: &[u8]) -> bool {
    data.len() >= LEAD_BYTES && data[..4] == LEAD_MAGIC
}

/// One parsed header structure.
struct Header<'a> {
    index: &'a [u8],
    store: &'a [u8],
    /// Bytes from the header magic to the end of its store.
    len: usize,
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn header(d: &[u8], at: usize) -> Option<Header<'_>> {
    if d.get(at..at + 4)? != HEADER_MAGIC {
        return None;
    }
    let n = be32(d, at + 8)? as usize;
    let hsize = be32(d, at + 12)? as usize;
    if n > MAX_INDEX_ENTRIES || hsize > MAX_STORE_BYTES {
        return None;
    }
    let index_start = at + 16;
    let store_start = index_start + 16 * n;
    let end = store_start.checked_add(hsize)?;
    Some(Header {
        index: d.get(index_start..store_start)?,
        store: d.get(store_start..end)?,
        len: end - at,
    })
}

impl Header<'_> {
    /// The strings of tag `tag` (STRING, STRING_ARRAY or I18NSTRING), or empty.
    fn strings(&self, tag: u32) -> Vec<String> {
        for e in self.index.chunks_exact(16) {
            if be32(e, 0) != Some(tag) {
                continue;
            }
            let (Some(ty), Some(off), Some(count)) = (be32(e, 4), be32(e, 8), be32(e, 12)) else {
                return Vec::new();
            };
            if !matches!(ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
                return Vec::new();
            }
            let mut out = Vec::new();
            let mut p = off as usize;
            for _ in 0..count.min(1 << 16) {
                let Some(rest) = self.store.get(p..) else {
                    break;
                };
                let Some(nul) = rest.iter().position(|&b| b == 0) else {
                    break;
                };
                out.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
                p += nul + 1;
            }
            return out;
        }
        Vec::new()
    }

    fn string(&self, tag: u32) -> Option<String> {
        self.strings(tag).into_iter().next()
    }
}

/// What the member view needs from one package.
#[derive(Debug, Clone)]
pub struct Rpm {
    /// `name-version-release`.
    pub nevr: String,
    /// The payload compressor named by the header (`gzip`, `xz`, `zstd`, ...).
    pub compressor: String,
    /// The payload format (`cpio`).
    pub payload_format: String,
    /// Members: the two headers as `rpm:signature-header` / `rpm:header`, and every regular
    /// file of the payload by its cpio path; each with its SHA-256 and size.
    pub members: BTreeMap<String, (Digest, u64)>,
    /// Whether the payload could be decompressed and read to its trailer.
    pub payload_read: bool,
    /// `Requires` as materials (source `rpm-requires`); `rpmlib(...)` features are left out.
    pub requires: Vec<Material>,
}

/// Parses an RPM package; `None` if the lead or a header is malformed. A payload that cannot be
/// decoded leaves `payload_read` false (the headers are still compared).
#[must_use]
pub fn parse(d: &[u8], max_inner: u64) -> Option<Rpm> {
    if !is_rpm(d) {
        return None;
    }
    let sig = header(d, LEAD_BYTES)?;
    let main_at = (LEAD_BYTES + sig.len).checked_add(7)? & !7;
    let main = header(d, main_at)?;
    let payload = d.get(main_at + main.len..)?;
    let nevr = format!(
        "{}-{}-{}",
        main.string(TAG_NAME).unwrap_or_default(),
        main.string(TAG_VERSION).unwrap_or_default(),
        main.string(TAG_RELEASE).unwrap_or_default()
    );
    let compressor = main
        .string(TAG_PAYLOADCOMPRESSOR)
        .unwrap_or_else(|| "gzip".into());
    let payload_format = main
        .string(TAG_PAYLOADFORMAT)
        .unwrap_or_else(|| "cpio".into());
    let mut members = BTreeMap::new();
    let sig_bytes = &d[LEAD_BYTES..LEAD_BYTES + sig.len];
    members.insert(
        "rpm:signature-header".to_owned(),
        (Digest::sha256(sig_bytes), sig_bytes.len() as u64),
    );
    let main_bytes = &d[main_at..main_at + main.len];
    members.insert(
        "rpm:header".to_owned(),
        (Digest::sha256(main_bytes), main_bytes.len() as u64),
    );
    let mut payload_read = false;
    if payload_format == "cpio"
        && let Some(cpio) = decompress(&compressor, payload, max_inner)
        && let Some(files) = cpio_files(&cpio)
    {
        payload_read = true;
        for (name, data) in files {
            members.insert(name, (Digest::sha256(data), data.len() as u64));
        }
    }
    let names = main.strings(TAG_REQUIRENAME);
    let versions = main.strings(TAG_REQUIREVERSION);
    let mut requires: Vec<Material> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.starts_with("rpmlib("))
        .map(|(i, n)| Material {
            name: n.clone(),
            version: versions.get(i).filter(|v| !v.is_empty()).cloned(),
            digests: vec![],
            source: "rpm-requires".into(),
        })
        .collect();
    requires.sort();
    requires.dedup();
    Some(Rpm {
        nevr,
        compressor,
        payload_format,
        members,
        payload_read,
        requires,
    })
}

fn read_capped(r: impl Read, cap: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    r.take(cap + 1).read_to_end(&mut out).ok()?;
    (out.len() as u64 <= cap).then_some(out)
}

/// Decompresses an RPM payload by its compressor name, bounded to `cap` bytes.
fn decompress(compressor: &str, data: &[u8], cap: u64) -> Option<Vec<u8>> {
    match compressor {
        "gzip" => read_capped(flate2::read::MultiGzDecoder::new(data), cap),
        "xz" => read_capped(xz2::read::XzDecoder::new(data), cap),
        "lzma" => {
            let stream = xz2::stream::Stream::new_lzma_decoder(cap.max(1 << 20)).ok()?;
            read_capped(xz2::read::XzDecoder::new_stream(data, stream), cap)
        }
        "zstd" => read_capped(zstd::stream::read::Decoder::new(data).ok()?, cap),
        _ => None,
    }
}

fn hex_field(h: &[u8], i: usize) -> Option<usize> {
    let s = std::str::from_utf8(h.get(6 + 8 * i..14 + 8 * i)?).ok()?;
    usize::from_str_radix(s, 16).ok()
}

/// The regular files of a cpio `newc` archive, by name, up to its `TRAILER!!!`.
fn cpio_files(d: &[u8]) -> Option<Vec<(String, &[u8])>> {
    let mut out = Vec::new();
    let mut p = 0usize;
    loop {
        let h = d.get(p..p + 110)?;
        if &h[..6] != b"070701" && &h[..6] != b"070702" {
            return None;
        }
        let mode = hex_field(h, 1)?;
        let size = hex_field(h, 6)?;
        let namesize = hex_field(h, 11)?;
        let name_bytes = d.get(p + 110..(p + 110).checked_add(namesize)?)?;
        let name = String::from_utf8_lossy(name_bytes.strip_suffix(&[0]).unwrap_or(name_bytes))
            .into_owned();
        let data_at = (p + 110 + namesize + 3) & !3;
        if name == "TRAILER!!!" {
            return Some(out);
        }
        let data = d.get(data_at..data_at.checked_add(size)?)?;
        if mode & 0o170_000 == 0o100_000 && out.len() < super::analyze::MAX_MEMBERS {
            out.push((name.trim_start_matches('.').to_owned(), data));
        }
        p = (data_at + size + 3) & !3;
    }
}

/// Where the compressed payload starts, and its compressor (`gzip`, `xz`, `zstd`, ...).
#[must_use]
pub fn payload_offset(d: &[u8]) -> Option<(usize, String)> {
    if !is_rpm(d) {
        return None;
    }
    let sig = header(d, LEAD_BYTES)?;
    let main_at = (LEAD_BYTES + sig.len).checked_add(7)? & !7;
    let main = header(d, main_at)?;
    let at = main_at + main.len;
    d.get(at..)?;
    let compressor = main
        .string(TAG_PAYLOADCOMPRESSOR)
        .unwrap_or_else(|| "gzip".into());
    Some((at, compressor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_newc_round() {
        fn entry(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
            let mut e = format!(
                "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                1,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                name.len() + 1,
                0
            )
            .into_bytes();
            e.extend_from_slice(name.as_bytes());
            e.push(0);
            while e.len() % 4 != 0 {
                e.push(0);
            }
            e.extend_from_slice(data);
            while e.len() % 4 != 0 {
                e.push(0);
            }
            e
        }
        let mut a = entry("./usr/bin/x", 0o100_755, b"hello");
        a.extend(entry("./usr/share", 0o040_755, b""));
        a.extend(entry("TRAILER!!!", 0, b""));
        let files = cpio_files(&a).unwrap();
        assert_eq!(files, vec![("/usr/bin/x".to_owned(), &b"hello"[..])]);
        // Truncated: no trailer.
        assert!(cpio_files(&a[..a.len() - 8]).is_none());
    }
}
