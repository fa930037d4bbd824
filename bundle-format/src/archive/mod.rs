//! The bundle archive: a ustar stream with canonical headers, compressed as exactly two zstd
//! frames (the first holds only the manifest member, the second every entry and the
//! end-of-archive marker). [`BundleWriter`] writes it, [`BundleReader`] checks it as it streams.
//!
//! From `spec/bundle-format.md` ("Archive"): every header is the one [`canonical_header`]
//! produces for the entry's path and size, byte for byte; readers compare the whole 512-byte
//! block, so mode, owner, times, link names and checksum need no separate checks.

mod pipeline;
mod read;
#[cfg(test)]
mod tests;
mod write;

pub use read::{BundleReader, EntryReader, ReadError, ReadSummary};
pub use write::{BundleWriter, WriteError, WriteOptions};

use crate::path::ustar_split;

/// Size of a tar block.
pub const BLOCK_BYTES: usize = 512;
/// zstd compression level of both frames.
pub const ZSTD_LEVEL: i32 = 3;
/// zstd window log writers use (2 MiB window).
pub const ZSTD_WINDOW_LOG: u32 = 21;
/// Largest entry size a ustar octal size field can hold (8 GiB - 1).
pub const MAX_USTAR_SIZE: u64 = (1 << 33) - 1;

/// The one header airlock writes (and accepts) for a regular file of `size` bytes at `path`:
/// ustar magic `ustar\0` version `00`, mode `0000644`, uid and gid `0000000`, mtime 0, type `0`,
/// empty link name, uname and gname, device numbers `0000000`, `path` split by
/// [`ustar_split`], numeric fields (checksum included) as zero-padded octal ending in NUL. This is
/// byte for byte what the `tar` crate's `Header::new_ustar` writes with those fields set. `None` if the path cannot be split or the size does not fit.
#[must_use]
pub fn canonical_header(path: &str, size: u64) -> Option<[u8; BLOCK_BYTES]> {
    let (prefix, name) = ustar_split(path)?;
    if size > MAX_USTAR_SIZE {
        return None;
    }
    let mut h = [0u8; BLOCK_BYTES];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    put_octal(&mut h[124..136], size);
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[329..337].copy_from_slice(b"0000000\0");
    h[337..345].copy_from_slice(b"0000000\0");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is the sum of all header bytes with the checksum field taken as 8 spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put_octal(&mut h[148..156], u64::from(sum));
    Some(h)
}

/// Writes `value` as zero-padded octal filling `field` but its last byte, which is NUL (what
/// `format!("{value:0N$o}\0")` gives for a value that fits). Callers guarantee it fits.
fn put_octal(field: &mut [u8], mut value: u64) {
    let (nul, digits) = field.split_last_mut().expect("octal fields are not empty");
    *nul = 0;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (value & 7) as u8;
        value >>= 3;
    }
    debug_assert_eq!(value, 0, "octal value does not fit its field");
}

/// Zero bytes that pad `size` bytes of data to a whole block.
#[must_use]
pub fn padding_bytes(size: u64) -> usize {
    let rem = (size % BLOCK_BYTES as u64) as usize;
    if rem == 0 { 0 } else { BLOCK_BYTES - rem }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn octal_fields_match_format() {
        for value in [0u64, 1, 7, 8, 511, 1234, 130_560, MAX_USTAR_SIZE] {
            let mut field = [0xffu8; 12];
            put_octal(&mut field, value);
            assert_eq!(&field[..], format!("{value:011o}\0").as_bytes());
        }
        let mut field = [0xffu8; 8];
        put_octal(&mut field, 130_560);
        assert_eq!(&field[..], format!("{:07o}\0", 130_560).as_bytes());
    }

    #[test]
    fn canonical_header_is_what_tar_reads() {
        let h = canonical_header("advisories/osv/a.json", 1234).unwrap();
        let parsed = tar::Header::from_byte_slice(&h);
        assert_eq!(parsed.path_bytes().as_ref(), b"advisories/osv/a.json");
        assert_eq!(parsed.size().unwrap(), 1234);
        assert_eq!(parsed.mode().unwrap(), 0o644);
        assert_eq!(parsed.entry_type(), tar::EntryType::Regular);
        assert_eq!(parsed.cksum().unwrap(), {
            let mut copy = h;
            copy[148..156].copy_from_slice(b"        ");
            copy.iter().map(|&b| u32::from(b)).sum::<u32>()
        });
        let mut t = tar::Header::new_ustar();
        t.set_path("advisories/osv/a.json").unwrap();
        t.set_size(1234);
        t.set_mode(0o644);
        t.set_uid(0);
        t.set_gid(0);
        t.set_mtime(0);
        t.set_device_major(0).unwrap();
        t.set_device_minor(0).unwrap();
        t.set_entry_type(tar::EntryType::Regular);
        t.set_cksum();
        assert_eq!(
            t.as_bytes(),
            &canonical_header("advisories/osv/a.json", 1234).unwrap()
        );
        let long = format!("{}/{}", "p".repeat(120), "n".repeat(90));
        let h = canonical_header(&long, 0).unwrap();
        assert_eq!(
            tar::Header::from_byte_slice(&h).path_bytes().as_ref(),
            long.as_bytes()
        );
    }
}
