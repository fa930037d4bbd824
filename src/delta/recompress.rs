//! Compressed streams: bounded decoding, and recompression recipes (spec §5.5.2) — settings under
//! which airlock's own encoders reproduce a compressed stream byte for byte.
//!
//! A recipe is only ever claimed after re-encoding reproduced the exact bytes; apply still
//! checks the whole result against the target digest, so a recipe that stops reproducing (another
//! encoder build) fails closed with `delta-target-mismatch`.

use std::io::{Read, Write};

use bundle_format::delta::manifest::Recipe;

/// Largest decompressed stream a recipe is searched for (bounds create time and memory).
pub const MAX_RECIPE_BYTES: usize = 256 << 20;

/// Why recompressing failed at apply time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeError(pub String);

fn read_capped(r: impl Read, cap: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    r.take(cap + 1).read_to_end(&mut out).ok()?;
    (out.len() as u64 <= cap).then_some(out)
}

/// Inflates a raw deflate stream at the start of `data`; returns the bytes and how many input
/// bytes the stream used, or `None` if it is malformed, truncated or inflates beyond `cap`.
#[must_use]
pub fn inflate_prefix(data: &[u8], cap: u64) -> Option<(Vec<u8>, usize)> {
    let mut d = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(data.len().saturating_mul(3).min(cap as usize));
    let mut last = (u64::MAX, u64::MAX);
    loop {
        // No progress with room to write: the stream is stuck (truncated or malformed).
        let now = (d.total_in(), d.total_out());
        if now == last && out.len() < out.capacity() {
            return None;
        }
        last = now;
        if out.len() == out.capacity() {
            if out.len() as u64 >= cap {
                return None;
            }
            out.reserve((out.len().max(1 << 16)).min(cap as usize - out.len()));
        }
        let consumed = usize::try_from(d.total_in()).ok()?;
        let status = d
            .decompress_vec(&data[consumed..], &mut out, flate2::FlushDecompress::Finish)
            .ok()?;
        match status {
            flate2::Status::StreamEnd => {
                return Some((out, usize::try_from(d.total_in()).ok()?));
            }
            flate2::Status::Ok | flate2::Status::BufError => {
                if usize::try_from(d.total_in()).ok()? >= data.len() && out.len() < out.capacity() {
                    return None;
                }
            }
        }
    }
}

/// Decodes a whole stream of `codec` (`deflate` must use every byte), bounded to `cap` bytes.
#[must_use]
pub fn decode(codec: &str, data: &[u8], cap: u64) -> Option<Vec<u8>> {
    match codec {
        "deflate" => {
            let (out, used) = inflate_prefix(data, cap)?;
            (used == data.len()).then_some(out)
        }
        "xz" => read_capped(xz2::read::XzDecoder::new_multi_decoder(data), cap),
        "zstd" => read_capped(zstd::stream::read::Decoder::new(data).ok()?, cap),
        _ => None,
    }
}

/// A writer that checks what it is given against `want` and fails at the first difference, so
/// a wrong recipe costs only the bytes up to its first differing output.
struct Compare<'a> {
    want: &'a [u8],
    pos: usize,
}

impl Write for Compare<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = self.pos + buf.len();
        if self.want.get(self.pos..end) != Some(buf) {
            return Err(std::io::Error::other("differs"));
        }
        self.pos = end;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn xz_check(name: &str) -> Option<xz2::stream::Check> {
    Some(match name {
        "crc32" => xz2::stream::Check::Crc32,
        "crc64" => xz2::stream::Check::Crc64,
        "sha256" => xz2::stream::Check::Sha256,
        "none" => xz2::stream::Check::None,
        _ => return None,
    })
}

/// Threads for the xz multi-threaded encoder. Its output does not depend on the thread count
/// (blocks are cut at the preset's block size), only its speed does.
fn xz_threads() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4) as u32)
}

/// Raw deflate with miniz_oxide exactly as its one-shot `compress_to_vec` (same flags, whole
/// input with `Finish`), but handing each output block to `out` so a comparison stops early.
fn miniz_deflate(mut input: &[u8], level: u8, mut out: impl Write) -> std::io::Result<()> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    let mut c = CompressorOxide::new(create_comp_flags_from_zip_params(level.into(), -15, 0));
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let (status, used, produced) = compress(&mut c, input, &mut buf, TDEFLFlush::Finish);
        out.write_all(&buf[..produced])?;
        match status {
            TDEFLStatus::Done => return Ok(()),
            TDEFLStatus::Okay if used <= input.len() => input = &input[used..],
            _ => return Err(std::io::Error::other("miniz_oxide: compression failed")),
        }
    }
}

/// Encodes `inner` with `r` into `out`; errors if the recipe is unknown or `out` refuses bytes.
fn encode_into(r: &Recipe, inner: &[u8], out: impl Write) -> Result<(), RecipeError> {
    let bad = || RecipeError(format!("unknown recipe {r:?}"));
    let io = |e: std::io::Error| RecipeError(e.to_string());
    match (r.codec.as_str(), r.encoder.as_str()) {
        ("deflate", "zlib") if r.level <= 9 && r.check == "none" => {
            let mut e = flate2::write::DeflateEncoder::new(out, flate2::Compression::new(r.level));
            e.write_all(inner).map_err(io)?;
            e.finish().map_err(io)?;
        }
        ("deflate", "miniz_oxide") if r.level <= 10 && r.check == "none" => {
            miniz_deflate(inner, r.level as u8, out).map_err(io)?;
        }
        ("xz", enc @ ("liblzma" | "liblzma-mt")) if r.level <= 9 => {
            let check = xz_check(&r.check).ok_or_else(bad)?;
            let stream = if enc == "liblzma" {
                xz2::stream::Stream::new_easy_encoder(r.level, check)
            } else {
                xz2::stream::MtStreamBuilder::new()
                    .preset(r.level)
                    .check(check)
                    .threads(xz_threads())
                    .encoder()
            }
            .map_err(|e| RecipeError(e.to_string()))?;
            let mut e = xz2::write::XzEncoder::new_stream(out, stream);
            e.write_all(inner).map_err(io)?;
            e.finish().map_err(io)?;
        }
        ("zstd", enc @ ("libzstd" | "libzstd-stream")) if (1..=22).contains(&r.level) => {
            let checksum = match r.check.as_str() {
                "checksum" => true,
                "none" => false,
                _ => return Err(bad()),
            };
            let level = r.level as i32;
            if enc == "libzstd" {
                let mut c = zstd::bulk::Compressor::new(level).map_err(io)?;
                c.include_checksum(checksum).map_err(io)?;
                let mut out = out;
                out.write_all(&c.compress(inner).map_err(io)?).map_err(io)?;
            } else {
                let mut e = zstd::stream::write::Encoder::new(out, level).map_err(io)?;
                e.include_checksum(checksum).map_err(io)?;
                e.write_all(inner).map_err(io)?;
                e.finish().map_err(io)?;
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// Compresses `inner` with `r`.
///
/// # Errors
/// [`RecipeError`] for an unknown recipe or an encoder failure.
pub fn encode(r: &Recipe, inner: &[u8]) -> Result<Vec<u8>, RecipeError> {
    let mut out = Vec::new();
    encode_into(r, inner, &mut out)?;
    Ok(out)
}

/// Whether compressing `inner` with `r` gives exactly `compressed` (stops at the first
/// differing byte).
#[must_use]
pub fn reproduces(r: &Recipe, inner: &[u8], compressed: &[u8]) -> bool {
    let mut c = Compare {
        want: compressed,
        pos: 0,
    };
    encode_into(r, inner, &mut c).is_ok() && c.pos == compressed.len()
}

fn recipe(codec: &str, encoder: &str, level: u32, check: &str) -> Recipe {
    Recipe {
        codec: codec.into(),
        encoder: encoder.into(),
        level,
        check: check.into(),
    }
}

/// The recipes tried for `codec`, most likely first: deflate as zip writers (Rust `zip` with
/// miniz_oxide at 6; Python's zlib at 6), cargo (zlib at 9) and gzip(1) produce it; xz as dpkg
/// (multi-threaded liblzma, preset 6, CRC64) and xz(1) do; zstd as dpkg and rpm do.
#[must_use]
pub fn candidates(codec: &str) -> Vec<Recipe> {
    let mut v = Vec::new();
    match codec {
        "deflate" => {
            v.push(recipe("deflate", "miniz_oxide", 6, "none"));
            v.push(recipe("deflate", "zlib", 9, "none"));
            v.push(recipe("deflate", "zlib", 6, "none"));
            for l in [1, 2, 3, 4, 5, 7, 8, 9] {
                v.push(recipe("deflate", "miniz_oxide", l, "none"));
            }
            for l in [1, 2, 3, 4, 5, 7, 8] {
                v.push(recipe("deflate", "zlib", l, "none"));
            }
        }
        "xz" => {
            for preset in [6, 9, 2] {
                for enc in ["liblzma-mt", "liblzma"] {
                    for check in ["crc64", "sha256", "crc32"] {
                        v.push(recipe("xz", enc, preset, check));
                    }
                }
            }
        }
        "zstd" => {
            for level in [19, 3, 9, 12, 15, 22] {
                for enc in ["libzstd-stream", "libzstd"] {
                    for check in ["none", "checksum"] {
                        v.push(recipe("zstd", enc, level, check));
                    }
                }
            }
        }
        _ => {}
    }
    v
}

/// Searches for a recipe reproducing `compressed` from `inner`, trying `hint` first (the recipe
/// that reproduced the previous stream of the same container). `None` if none does.
#[must_use]
pub fn find(codec: &str, inner: &[u8], compressed: &[u8], hint: Option<&Recipe>) -> Option<Recipe> {
    if inner.len() > MAX_RECIPE_BYTES {
        return None;
    }
    let mut tries = candidates(codec);
    if let Some(h) = hint.filter(|h| h.codec == codec)
        && let Some(i) = tries.iter().position(|r| r == h)
    {
        let h = tries.remove(i);
        tries.insert(0, h);
    }
    tries.into_iter().find(|r| reproduces(r, inner, compressed))
}

/// A recipe in words, for notes.
#[must_use]
pub fn describe(r: &Recipe) -> String {
    let lib = match r.codec.as_str() {
        "zstd" => format!(" (libzstd {})", zstd::zstd_safe::version_string()),
        _ => String::new(),
    };
    format!(
        "{} {} level {} check {}{lib}",
        r.codec, r.encoder, r.level, r.check
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 27) as u8 ^ (i % 7) as u8)
            .collect()
    }

    #[test]
    fn every_candidate_round_trips_and_is_found() {
        let inner = sample();
        for codec in ["deflate", "xz", "zstd"] {
            for r in candidates(codec).into_iter().step_by(5) {
                let z = encode(&r, &inner).unwrap();
                assert_eq!(decode(codec, &z, 1 << 20).unwrap(), inner, "{r:?}");
                let found = find(codec, &inner, &z, None).unwrap();
                // Another recipe may give the same bytes; it must reproduce them exactly.
                assert_eq!(encode(&found, &inner).unwrap(), z, "{r:?}");
            }
        }
    }

    #[test]
    fn miniz_blocks_equal_the_one_shot_encoder() {
        let inner = sample();
        for level in [1u8, 6, 9, 10] {
            let mut v = Vec::new();
            miniz_deflate(&inner, level, &mut v).unwrap();
            assert_eq!(v, miniz_oxide::deflate::compress_to_vec(&inner, level));
        }
    }

    #[test]
    fn foreign_bytes_have_no_recipe() {
        let inner = sample();
        let mut z = encode(&recipe("deflate", "zlib", 9, "none"), &inner).unwrap();
        let n = z.len();
        z[n / 2] ^= 1;
        assert!(find("deflate", &inner, &z, None).is_none());
        assert!(encode(&recipe("deflate", "zlib", 11, "none"), &inner).is_err());
        assert!(encode(&recipe("lz4", "x", 1, "none"), &inner).is_err());
    }

    #[test]
    fn inflate_prefix_reports_the_stream_length() {
        let inner = sample();
        let mut z = encode(&recipe("deflate", "zlib", 6, "none"), &inner).unwrap();
        let n = z.len();
        z.extend_from_slice(b"trailer");
        let (out, used) = inflate_prefix(&z, 1 << 20).unwrap();
        assert_eq!((out, used), (inner.clone(), n));
        assert!(inflate_prefix(&z[..n - 10], 1 << 20).is_none());
        assert!(inflate_prefix(&z, 1000).is_none());
        assert!(decode("deflate", &z, 1 << 20).is_none());
    }
}
