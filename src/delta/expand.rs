//! Container expansion (spec §5.5): compressed members defeat byte-level matching, so the payload
//! acts on the *expanded* artifacts — every compressed stream replaced by its decompressed bytes —
//! and apply recompresses the target's streams with recipes proven at create time.
//!
//! Streams are found in zip / jar / wheel members (deflate), gzip files such as `.crate` and
//! `.tar.gz` (the deflate body; header and trailer stay bytes), `.deb` (`ar` members ending
//! `.gz`, `.xz`, `.zst`) and RPM payloads (gzip, xz, zstd). A target stream without a reproducing recipe stays as its compressed
//! bytes in the expanded target, so every target can still be packed exactly.

use bundle_format::delta::manifest::{BaseStream, Recipe, TargetStream};

use super::recompress;

/// Most streams expanded per artifact (bounds the manifest).
pub const MAX_STREAMS: usize = 65_536;
/// Largest expanded artifact (the create/apply input limit).
pub const MAX_EXPANDED_BYTES: u64 = 2 << 30;

/// A compressed range found in an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Offset of the compressed bytes.
    pub offset: usize,
    /// Compressed length.
    pub len: usize,
    /// `deflate`, `xz` or `zstd`.
    pub codec: &'static str,
    /// Member name, for notes.
    pub name: String,
}

fn u16le(d: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32le(d: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?)).ok()
}

/// A stream found, with its decoded bytes when finding it decoded them already.
type FoundDecoded = (Found, Option<Vec<u8>>);

/// Deflated members of a zip, from its central directory.
fn zip_streams(d: &[u8]) -> Option<Vec<FoundDecoded>> {
    let from = d.len().saturating_sub(65_557);
    let eocd = (from..d.len().saturating_sub(21))
        .rev()
        .find(|&i| d[i..i + 4] == *b"PK\x05\x06")?;
    let count = u16le(d, eocd + 10)?;
    let mut p = u32le(d, eocd + 16)?;
    let mut out = Vec::new();
    for _ in 0..count {
        if d.get(p..p + 4)? != b"PK\x01\x02" {
            return None;
        }
        let method = u16le(d, p + 10)?;
        let csize = u32le(d, p + 20)?;
        let (nl, el, cl) = (u16le(d, p + 28)?, u16le(d, p + 30)?, u16le(d, p + 32)?);
        let local = u32le(d, p + 42)?;
        let name = String::from_utf8_lossy(d.get(p + 46..p + 46 + nl)?).into_owned();
        p += 46 + nl + el + cl;
        if method != 8 || csize == 0 || d.get(local..local + 4)? != b"PK\x03\x04" {
            continue;
        }
        let start = local + 30 + u16le(d, local + 26)? + u16le(d, local + 28)?;
        d.get(start..start.checked_add(csize)?)?;
        out.push((
            Found {
                offset: start,
                len: csize,
                codec: "deflate",
                name,
            },
            None,
        ));
    }
    Some(out)
}

/// The deflate body of a gzip member starting at `at` (RFC 1952 header fields skipped), with its
/// inflated bytes (finding its end takes inflating it).
fn gzip_body(d: &[u8], at: usize, name: &str) -> Option<(Found, Vec<u8>)> {
    let h = d.get(at..at + 10)?;
    if h[..3] != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = h[3];
    let mut p = at + 10;
    if flags & 4 != 0 {
        p += 2 + u16le(d, p)?;
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            p += d.get(p..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        p += 2;
    }
    let (inner, used) = recompress::inflate_prefix(d.get(p..)?, MAX_EXPANDED_BYTES)?;
    Some((
        Found {
            offset: p,
            len: used,
            codec: "deflate",
            name: name.to_owned(),
        },
        inner,
    ))
}

/// The members of a Unix `ar` archive: (name, body offset, body length). `None` if a header or
/// body runs past the end.
pub(crate) fn ar_entries(d: &[u8]) -> Option<Vec<(String, usize, usize)>> {
    let mut p = 8usize;
    let mut out = Vec::new();
    while p + 60 <= d.len() {
        let h = &d[p..p + 60];
        let name = String::from_utf8_lossy(&h[..16])
            .trim()
            .trim_end_matches('/')
            .to_owned();
        let size: usize = String::from_utf8_lossy(&h[48..58]).trim().parse().ok()?;
        let body = p + 60;
        d.get(body..body.checked_add(size)?)?;
        out.push((name, body, size));
        p = body + size + (size & 1);
    }
    Some(out)
}

/// Compressed members of a Unix `ar` archive (`.deb`).
fn ar_streams(d: &[u8]) -> Option<Vec<FoundDecoded>> {
    let mut out = Vec::new();
    for (name, body, size) in ar_entries(d)? {
        if name.ends_with(".gz") {
            out.extend(gzip_body(d, body, &name).map(|(f, inner)| (f, Some(inner))));
        } else if let Some(codec) = [(".xz", "xz"), (".zst", "zstd")]
            .iter()
            .find(|(ext, _)| name.ends_with(ext))
            .map(|&(_, c)| c)
        {
            out.push((
                Found {
                    offset: body,
                    len: size,
                    codec,
                    name,
                },
                None,
            ));
        }
    }
    Some(out)
}

/// The compressed payload of an RPM package (gzip, xz or zstd).
fn rpm_streams(d: &[u8]) -> Option<Vec<FoundDecoded>> {
    let (at, compressor) = super::rpm::payload_offset(d)?;
    let name = "rpm payload";
    let f = match compressor.as_str() {
        "gzip" => gzip_body(d, at, name).map(|(f, inner)| (f, Some(inner)))?,
        "xz" | "zstd" => (
            Found {
                offset: at,
                len: d.len() - at,
                codec: if compressor == "xz" { "xz" } else { "zstd" },
                name: name.into(),
            },
            None,
        ),
        _ => return None,
    };
    Some(vec![f])
}

/// The compressed streams of `d`, sorted and non-overlapping; empty for anything else.
#[must_use]
pub fn find_streams(d: &[u8]) -> Vec<Found> {
    find_streams_decoded(d)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// [`find_streams`], keeping the bytes of the streams that finding decoded (gzip bodies).
fn find_streams_decoded(d: &[u8]) -> Vec<FoundDecoded> {
    let mut v = if super::rpm::is_rpm(d) {
        rpm_streams(d)
    } else if d.starts_with(b"!<arch>\n") {
        ar_streams(d)
    } else if d.starts_with(&[0x1f, 0x8b]) {
        gzip_body(d, 0, "gzip").map(|(f, inner)| vec![(f, Some(inner))])
    } else if d.starts_with(b"PK\x03\x04") {
        zip_streams(d)
    } else {
        None
    }
    .unwrap_or_default();
    v.sort_by_key(|(f, _)| f.offset);
    let mut end = 0;
    v.retain(|(f, _)| {
        let keep = f.offset >= end;
        if keep {
            end = f.offset + f.len;
        }
        keep
    });
    v.truncate(MAX_STREAMS);
    v
}

/// `f` over every item, on up to [`std::thread::available_parallelism`] threads (items dealt
/// round-robin); results in item order, so they do not depend on the thread count.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let f = &f;
                s.spawn(move || {
                    items
                        .iter()
                        .enumerate()
                        .skip(w)
                        .step_by(threads)
                        .map(|(i, x)| (i, f(x)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("worker does not panic") {
                out[i] = Some(r);
            }
        }
    });
    out.into_iter()
        .map(|r| r.expect("every item was mapped"))
        .collect()
}

/// Each stream of `d` found with [`find_streams`], with its decoded bytes (`None` if it does not
/// decode within [`MAX_EXPANDED_BYTES`]); streams are decoded on parallel threads.
#[must_use]
pub fn decode_streams(d: &[u8]) -> Vec<(Found, Option<Vec<u8>>)> {
    let found = find_streams_decoded(d);
    let decoded = par_map(&found, |(f, inner)| {
        if inner.is_some() {
            return None;
        }
        recompress::decode(f.codec, &d[f.offset..f.offset + f.len], MAX_EXPANDED_BYTES)
    });
    found
        .into_iter()
        .zip(decoded)
        .map(|((f, known), fresh)| {
            let inner = known.or(fresh);
            (f, inner)
        })
        .collect()
}

/// Replaces each stream of `d` by its decoded bytes. `None` if a stream is out of range,
/// overlaps the previous one, does not decode, or the result exceeds [`MAX_EXPANDED_BYTES`].
/// Streams are decoded on parallel threads, sharing one budget of [`MAX_EXPANDED_BYTES`]: a
/// stream that does not fit in what the others left makes the whole too large either way.
#[must_use]
pub fn expand(d: &[u8], streams: &[BaseStream]) -> Option<Vec<u8>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let mut ranges = Vec::with_capacity(streams.len());
    let mut at = 0usize;
    let mut kept = d.len() as u64;
    for s in streams {
        let off = usize::try_from(s.offset).ok()?;
        let end = off.checked_add(usize::try_from(s.len).ok()?)?;
        if off < at || end > d.len() {
            return None;
        }
        ranges.push((off, end, s.codec.as_str()));
        kept -= s.len;
        at = end;
    }
    let budget = AtomicU64::new(MAX_EXPANDED_BYTES.checked_sub(kept)?);
    let decoded = par_map(&ranges, |&(off, end, codec)| {
        let room = budget.load(Ordering::Relaxed);
        let inner = recompress::decode(codec, &d[off..end], room)?;
        let n = inner.len() as u64;
        budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(n))
            .ok()?;
        Some(inner)
    });
    let mut out = Vec::with_capacity(d.len() * 2);
    let mut at = 0usize;
    for (&(off, end, _), inner) in ranges.iter().zip(decoded) {
        out.extend_from_slice(&d[at..off]);
        out.extend_from_slice(&inner?);
        at = end;
    }
    out.extend_from_slice(&d[at..]);
    (out.len() as u64 <= MAX_EXPANDED_BYTES).then_some(out)
}

/// The base's streams (every one that decodes).
#[must_use]
pub fn base_streams(base: &[u8]) -> Vec<BaseStream> {
    expand_base(base).0
}

/// The base's streams (every one that decodes) and the base expanded with them (`None` if the
/// result would exceed [`MAX_EXPANDED_BYTES`]): as [`base_streams`] then [`expand`], decoding
/// each stream once.
#[must_use]
pub fn expand_base(base: &[u8]) -> (Vec<BaseStream>, Option<Vec<u8>>) {
    let decoded: Vec<(Found, Vec<u8>)> = decode_streams(base)
        .into_iter()
        .filter_map(|(f, inner)| Some((f, inner?)))
        .collect();
    let streams = decoded
        .iter()
        .map(|(f, _)| BaseStream {
            offset: f.offset as u64,
            len: f.len as u64,
            codec: f.codec.into(),
        })
        .collect();
    let total = decoded.iter().fold(base.len() as u64, |n, (f, inner)| {
        n - f.len as u64 + inner.len() as u64
    });
    if total > MAX_EXPANDED_BYTES {
        return (streams, None);
    }
    let mut out = Vec::with_capacity(total as usize);
    let mut at = 0usize;
    for (f, inner) in &decoded {
        out.extend_from_slice(&base[at..f.offset]);
        out.extend_from_slice(inner);
        at = f.offset + f.len;
    }
    out.extend_from_slice(&base[at..]);
    (streams, Some(out))
}

/// The target's plan: streams reproduced by a recipe, the expanded target, and a note per
/// stream that stays bytes.
#[derive(Debug, Clone, Default)]
pub struct TargetPlan {
    /// Streams apply recompresses.
    pub streams: Vec<TargetStream>,
    /// The target with those streams decompressed.
    pub expanded: Vec<u8>,
    /// Streams without a reproducing recipe (they stay compressed bytes).
    pub kept: Vec<Found>,
}

/// Finds the target's streams and a reproducing recipe for each (spec §5.5.3). Streams are
/// searched on parallel threads; the result does not depend on the thread count.
#[must_use]
pub fn plan_target(target: &[u8]) -> TargetPlan {
    let d = DecodedTarget::new(target);
    let recipes = d.search(target);
    d.into_plan(target, recipes)
}

/// A target whose streams are decoded (once) but whose recipes are not searched yet.
#[derive(Debug)]
pub struct DecodedTarget {
    /// The target with every stream that decoded replaced by its bytes: the plan's expanded
    /// target whenever a recipe reproduces every one of them (the usual case), so work on it can
    /// start before the recipes are proven.
    pub expanded: Vec<u8>,
    /// Each stream found, and where its decoded bytes are in `expanded` (`None`: no decode).
    streams: Vec<(Found, Option<std::ops::Range<usize>>)>,
}

impl DecodedTarget {
    /// Decodes the target's streams (on parallel threads).
    #[must_use]
    pub fn new(target: &[u8]) -> Self {
        let mut expanded = Vec::with_capacity(target.len() * 2);
        let mut streams = Vec::new();
        let mut at = 0usize;
        for (f, inner) in decode_streams(target) {
            let Some(inner) = inner else {
                streams.push((f, None));
                continue;
            };
            expanded.extend_from_slice(&target[at..f.offset]);
            let start = expanded.len();
            expanded.extend_from_slice(&inner);
            at = f.offset + f.len;
            streams.push((f, Some(start..expanded.len())));
        }
        expanded.extend_from_slice(&target[at..]);
        Self { expanded, streams }
    }

    /// Whether any stream decoded.
    #[must_use]
    pub fn any_decoded(&self) -> bool {
        self.streams.iter().any(|(_, r)| r.is_some())
    }

    /// Searches each decoded stream's recipe. The largest stream is searched first without a
    /// hint; its recipe is then every other stream's hint (members of one container are usually
    /// written alike), and those are searched on parallel threads. Each search depends only on
    /// the stream and that hint, so the result does not depend on the thread count.
    #[must_use]
    pub fn search(&self, target: &[u8]) -> Vec<Option<Recipe>> {
        let one = |i: usize, hint: Option<&Recipe>| -> Option<Recipe> {
            let (f, range) = &self.streams[i];
            let z = &target[f.offset..f.offset + f.len];
            recompress::find(f.codec, &self.expanded[range.clone()?], z, hint)
        };
        let n = self.streams.len();
        let mut results: Vec<Option<Recipe>> = vec![None; n];
        let Some(first) = (0..n).max_by_key(|&i| (self.streams[i].0.len, std::cmp::Reverse(i)))
        else {
            return results;
        };
        results[first] = one(first, None);
        let hint = results[first].clone();
        let rest: Vec<usize> = (0..n).filter(|&i| i != first).collect();
        for (&i, r) in rest.iter().zip(par_map(&rest, |&i| one(i, hint.as_ref()))) {
            results[i] = r;
        }
        results
    }

    /// Whether `recipes` has one for every stream that decoded: then the plan's expanded target
    /// is [`DecodedTarget::expanded`].
    #[must_use]
    pub fn covers(&self, recipes: &[Option<Recipe>]) -> bool {
        self.streams
            .iter()
            .zip(recipes)
            .all(|((_, range), r)| range.is_none() || r.is_some())
    }

    /// The plan for the recipes [`DecodedTarget::search`] found: streams with one are
    /// recompressed at apply, the others stay bytes (and are listed as kept).
    #[must_use]
    pub fn into_plan(self, target: &[u8], recipes: Vec<Option<Recipe>>) -> TargetPlan {
        let all = self.covers(&recipes);
        let mut plan = TargetPlan::default();
        let mut at = 0usize;
        for ((f, range), recipe) in self.streams.into_iter().zip(recipes) {
            let (Some(range), Some(recipe)) = (range, recipe) else {
                plan.kept.push(f);
                continue;
            };
            if !all {
                plan.expanded.extend_from_slice(&target[at..f.offset]);
                plan.expanded
                    .extend_from_slice(&self.expanded[range.clone()]);
                at = f.offset + f.len;
            }
            plan.streams.push(TargetStream {
                offset: f.offset as u64,
                len: f.len as u64,
                expanded_len: range.len() as u64,
                recipe,
            });
        }
        if all {
            plan.expanded = self.expanded;
        } else {
            plan.expanded.extend_from_slice(&target[at..]);
        }
        plan
    }
}

/// Packs an expanded target back into the target: each stream's expanded bytes are recompressed
/// with its recipe (on worker threads, largest first; the result does not depend on them) and
/// must come out `len` bytes long; the caller checks the digest.
///
/// # Errors
/// A description of the first stream that is out of range or does not recompress to its size.
pub fn pack(expanded: &[u8], streams: &[TargetStream]) -> Result<Vec<u8>, String> {
    // Where each stream's expanded bytes start.
    let mut starts = Vec::with_capacity(streams.len());
    let (mut e, mut t) = (0u64, 0u64);
    for (i, s) in streams.iter().enumerate() {
        let gap = s
            .offset
            .checked_sub(t)
            .ok_or_else(|| format!("target_streams[{i}]: overlaps the previous stream"))?;
        let start = e + gap;
        let end = start
            .checked_add(s.expanded_len)
            .filter(|&end| end <= expanded.len() as u64)
            .ok_or_else(|| format!("target_streams[{i}]: beyond the expanded target"))?;
        starts.push((start as usize, end as usize));
        e = end;
        t = s.offset + s.len;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(streams.len().max(1));
    // Biggest first, dealt round-robin, so one large member does not serialize the rest.
    let mut order: Vec<usize> = (0..streams.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(streams[i].expanded_len));
    let mut packed: Vec<Option<Result<Vec<u8>, String>>> = vec![None; streams.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let (order, starts) = (&order, &starts);
                s.spawn(move || {
                    order
                        .iter()
                        .skip(w)
                        .step_by(threads)
                        .map(|&i| {
                            let (a, b) = starts[i];
                            let r = recompress::encode(&streams[i].recipe, &expanded[a..b])
                                .map_err(|err| format!("target_streams[{i}]: {}", err.0));
                            (i, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("pack worker does not panic") {
                packed[i] = Some(r);
            }
        }
    });
    let mut out = Vec::with_capacity(expanded.len());
    let mut e = 0usize;
    for (i, (s, z)) in streams.iter().zip(packed).enumerate() {
        let z = z.expect("every stream was packed")?;
        if z.len() as u64 != s.len {
            return Err(format!(
                "target_streams[{i}]: recipe {} gives {} bytes, expected {}",
                recompress::describe(&s.recipe),
                z.len(),
                s.len
            ));
        }
        out.extend_from_slice(&expanded[e..starts[i].0]);
        out.extend_from_slice(&z);
        e = starts[i].1;
    }
    out.extend_from_slice(&expanded[e..]);
    Ok(out)
}
