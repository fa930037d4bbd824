//! Building the op stream: a deterministic bsdiff-style matcher over a hash index of the base.
//!
//! 1. Index every `STRIDE`-th window of `WINDOW` bytes of the base (rolling polynomial hash,
//!    first occurrence wins, open table without chaining).
//! 2. Scan the target for exact anchors: a window whose hash hits, verified byte by byte and
//!    extended both ways, that beats the current alignment by more than `SWITCH_MARGIN` bytes.
//!    Bytes that already match the current alignment never trigger a lookup.
//! 3. Between anchors, extend the previous alignment forward and the next one backward with the
//!    bsdiff score (`2·matches − length`, maximized), the rest is literal ADD.
//! 4. Inside an aligned region, runs of at least `COPY_MIN` equal bytes become COPY, the rest
//!    ADD_DIFF (byte-wise difference to the base, mostly zeros, which zstd squeezes well).
//!
//! Same inputs → same ops: there is no randomness, no hash seed and no thread-dependent order.

use bundle_format::delta::Op;

const WINDOW: usize = 32;
const SWITCH_MARGIN: usize = 8;
const COPY_MIN: usize = 256;
const DIFF_MIN: usize = 16;
const MUL: u64 = 0x100_0000_01b3;

/// The ops and the ADD bytes they consume.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpStream {
    /// Ops in order.
    pub ops: Vec<Op>,
    /// Raw ADD bytes (literal bytes and ADD_DIFF differences, in op order).
    pub add: Vec<u8>,
}

struct Index {
    table: Vec<u32>,
    shift: u32,
    pow: u64,
}

fn slot(h: u64, shift: u32) -> usize {
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

fn hash_window(w: &[u8]) -> u64 {
    w.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(MUL).wrapping_add(u64::from(b) + 1)
    })
}

impl Index {
    fn build(base: &[u8]) -> Self {
        let stride = (base.len() / (4 << 20)).max(16);
        let entries = base.len() / stride + 1;
        let bits = (usize::BITS - (entries * 2).leading_zeros()).clamp(10, 28);
        let shift = 64 - bits;
        let mut table = vec![0u32; 1 << bits];
        let mut pos = 0;
        while pos + WINDOW <= base.len() {
            let s = slot(hash_window(&base[pos..pos + WINDOW]), shift);
            if table[s] == 0 {
                table[s] = pos as u32 + 1;
            }
            pos += stride;
        }
        let pow = (0..WINDOW - 1).fold(1u64, |p, _| p.wrapping_mul(MUL));
        Self { table, shift, pow }
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    t: usize,
    b: usize,
    len: usize,
}

fn matches_at(target: &[u8], base: &[u8], t: usize, off: i64, len: usize) -> usize {
    let mut n = 0;
    for k in 0..len {
        let bi = t as i64 + k as i64 + off;
        if bi >= 0 && (bi as usize) < base.len() && target[t + k] == base[bi as usize] {
            n += 1;
        }
    }
    n
}

fn find_anchors(base: &[u8], target: &[u8]) -> Vec<Anchor> {
    let mut anchors: Vec<Anchor> = Vec::new();
    if base.len() < WINDOW || target.len() < WINDOW || base.len() > u32::MAX as usize - 1 {
        return anchors;
    }
    let idx = Index::build(base);
    let n = target.len();
    let mut cur: Option<i64> = None;
    let mut floor = 0usize;
    let mut i = 0usize;
    let mut h = hash_window(&target[..WINDOW]);
    while i + WINDOW <= n {
        let aligned = cur.is_some_and(|off| {
            let bi = i as i64 + off;
            bi >= 0 && (bi as usize) < base.len() && base[bi as usize] == target[i]
        });
        if !aligned {
            let s = idx.table[slot(h, idx.shift)];
            if s != 0 {
                let p = (s - 1) as usize;
                let off = p as i64 - i as i64;
                if Some(off) != cur && base[p..p + WINDOW] == target[i..i + WINDOW] {
                    let mut len = WINDOW;
                    while i + len < n && p + len < base.len() && target[i + len] == base[p + len] {
                        len += 1;
                    }
                    let (mut t0, mut b0) = (i, p);
                    while t0 > floor && b0 > 0 && target[t0 - 1] == base[b0 - 1] {
                        t0 -= 1;
                        b0 -= 1;
                        len += 1;
                    }
                    let old = cur.map_or(0, |o| matches_at(target, base, t0, o, len));
                    if len > old + SWITCH_MARGIN {
                        anchors.push(Anchor { t: t0, b: b0, len });
                        cur = Some(off);
                        floor = t0 + len;
                        i = floor;
                        if i + WINDOW <= n {
                            h = hash_window(&target[i..i + WINDOW]);
                        }
                        continue;
                    }
                }
            }
        }
        if i + WINDOW < n {
            h = h
                .wrapping_sub((u64::from(target[i]) + 1).wrapping_mul(idx.pow))
                .wrapping_mul(MUL)
                .wrapping_add(u64::from(target[i + WINDOW]) + 1);
        }
        i += 1;
    }
    anchors
}

/// bsdiff forward score over `target[from..to]` aligned at `off`: the length maximizing
/// `2·matches − length`.
fn extend_forward(base: &[u8], target: &[u8], from: usize, to: usize, off: i64) -> usize {
    let (mut s, mut best, mut best_len) = (0i64, 0i64, 0usize);
    for k in 0..to - from {
        let bi = (from + k) as i64 + off;
        if bi < 0 || bi as usize >= base.len() {
            break;
        }
        if target[from + k] == base[bi as usize] {
            s += 1;
        }
        let score = 2 * s - (k as i64 + 1);
        if score > best {
            best = score;
            best_len = k + 1;
        }
    }
    best_len
}

/// Like [`extend_forward`] but walking backward from `to` toward `from`.
fn extend_backward(base: &[u8], target: &[u8], from: usize, to: usize, off: i64) -> usize {
    let (mut s, mut best, mut best_len) = (0i64, 0i64, 0usize);
    for k in 0..to - from {
        let t = to - 1 - k;
        let bi = t as i64 + off;
        if bi < 0 || bi as usize >= base.len() {
            break;
        }
        if target[t] == base[bi as usize] {
            s += 1;
        }
        let score = 2 * s - (k as i64 + 1);
        if score > best {
            best = score;
            best_len = k + 1;
        }
    }
    best_len
}

/// An aligned target range `[start, end)` matched against the base at `start + off`.
#[derive(Debug, Clone, Copy)]
struct Region {
    start: usize,
    end: usize,
    off: i64,
}

fn regions(base: &[u8], target: &[u8], anchors: &[Anchor]) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::with_capacity(anchors.len());
    for (k, a) in anchors.iter().enumerate() {
        let off = a.b as i64 - a.t as i64;
        let gap_start = out.last().map_or(0, |r| r.end);
        let mut start = a.t;
        // The previous region's forward extension was decided when it was pushed; extend this
        // anchor backward into whatever gap is left.
        let back = extend_backward(base, target, gap_start, a.t, off);
        start -= back;
        let next_start = anchors.get(k + 1).map_or(target.len(), |n| n.t);
        let end0 = a.t + a.len;
        let fwd = extend_forward(base, target, end0, next_start, off);
        let mut end = end0 + fwd;
        if let Some(next) = anchors.get(k + 1) {
            // Leave the next anchor's backward extension its share: split overlaps where the
            // two alignments together match the most bytes.
            let noff = next.b as i64 - next.t as i64;
            let nback = extend_backward(base, target, end0, next.t, noff);
            let nstart = next.t - nback;
            if nstart < end {
                let mut best = (i64::MIN, end);
                let mut score: i64 = 0;
                for s in nstart..=end {
                    if s > nstart {
                        let t = s - 1;
                        let a_ok = i64::from(byte_eq(base, target, t, off));
                        let b_ok = i64::from(byte_eq(base, target, t, noff));
                        score += a_ok - b_ok;
                    }
                    if score > best.0 {
                        best = (score, s);
                    }
                }
                end = best.1;
            }
        }
        out.push(Region { start, end, off });
    }
    out
}

fn byte_eq(base: &[u8], target: &[u8], t: usize, off: i64) -> bool {
    let bi = t as i64 + off;
    bi >= 0 && (bi as usize) < base.len() && base[bi as usize] == target[t]
}

fn push_add(stream: &mut OpStream, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if let Some(Op::Add { len }) = stream.ops.last_mut() {
        *len += bytes.len() as u64;
    } else {
        stream.ops.push(Op::Add {
            len: bytes.len() as u64,
        });
    }
    stream.add.extend_from_slice(bytes);
}

fn emit_region(stream: &mut OpStream, base: &[u8], target: &[u8], r: Region) {
    let bstart = (r.start as i64 + r.off) as usize;
    let t = &target[r.start..r.end];
    let b = &base[bstart..bstart + t.len()];
    let mut pending = 0usize; // start of the not-yet-emitted part
    let mut i = 0usize;
    while i < t.len() {
        if t[i] != b[i] {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < t.len() && t[i] == b[i] {
            i += 1;
        }
        let at_edge = run_start == 0 || i == t.len();
        if i - run_start >= COPY_MIN || (at_edge && i - run_start >= WINDOW) {
            emit_diff(stream, b, t, bstart, pending, run_start);
            stream.ops.push(Op::Copy {
                offset: (bstart + run_start) as u64,
                len: (i - run_start) as u64,
            });
            pending = i;
        }
    }
    emit_diff(stream, b, t, bstart, pending, t.len());
}

fn emit_diff(stream: &mut OpStream, b: &[u8], t: &[u8], bstart: usize, from: usize, to: usize) {
    if from >= to {
        return;
    }
    if to - from < DIFF_MIN {
        push_add(stream, &t[from..to]);
        return;
    }
    stream.ops.push(Op::AddDiff {
        offset: (bstart + from) as u64,
        len: (to - from) as u64,
    });
    stream.add.extend(
        t[from..to]
            .iter()
            .zip(&b[from..to])
            .map(|(x, y)| x.wrapping_sub(*y)),
    );
}

/// Computes the ops that turn `base` into `target`.
#[must_use]
pub fn diff(base: &[u8], target: &[u8]) -> OpStream {
    let anchors = find_anchors(base, target);
    let regions = regions(base, target, &anchors);
    let mut stream = OpStream::default();
    let mut pos = 0usize;
    for r in regions {
        if r.start >= r.end {
            continue;
        }
        push_add(&mut stream, &target[pos..r.start]);
        emit_region(&mut stream, base, target, r);
        pos = r.end;
    }
    push_add(&mut stream, &target[pos..]);
    stream
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn replay(base: &[u8], s: &OpStream) -> Vec<u8> {
        let mut out = Vec::new();
        let mut a = 0usize;
        for op in &s.ops {
            match *op {
                Op::Copy { offset, len } => {
                    out.extend_from_slice(&base[offset as usize..(offset + len) as usize])
                }
                Op::Add { len } => {
                    out.extend_from_slice(&s.add[a..a + len as usize]);
                    a += len as usize;
                }
                Op::AddDiff { offset, len } => {
                    let b = &base[offset as usize..(offset + len) as usize];
                    out.extend(
                        b.iter()
                            .zip(&s.add[a..a + len as usize])
                            .map(|(x, d)| x.wrapping_add(*d)),
                    );
                    a += len as usize;
                }
            }
        }
        out
    }

    #[test]
    fn small_edit_needs_few_add_bytes() {
        let base = noise(1 << 20, 7);
        let mut target = base.clone();
        target[500_000..500_010].copy_from_slice(b"0123456789");
        target.splice(100_000..100_000, b"INSERTED".iter().copied());
        let s = diff(&base, &target);
        assert_eq!(replay(&base, &s), target);
        let literal: u64 = s
            .ops
            .iter()
            .filter(|o| matches!(o, Op::Add { .. }))
            .map(Op::add_len)
            .sum();
        assert!(s.add.len() < 200, "add bytes {}", s.add.len());
        assert!(literal < 100);
    }

    #[test]
    fn shifted_pointers_become_add_diff() {
        let base = noise(200_000, 3);
        let mut target = vec![0u8; 100];
        target.extend_from_slice(&base);
        for i in (0..target.len()).step_by(97) {
            target[i] = target[i].wrapping_add(4);
        }
        let s = diff(&base, &target);
        assert_eq!(replay(&base, &s), target);
        assert!(s.ops.len() < 50, "ops {}", s.ops.len());
        let nonzero = s.add.iter().filter(|&&b| b != 0).count();
        assert!(nonzero < 3000, "nonzero {nonzero}");
    }

    #[test]
    fn unrelated_and_degenerate_inputs_round_trip() {
        for (b, t) in [
            (noise(5000, 1), noise(7000, 2)),
            (vec![], noise(100, 2)),
            (noise(100, 2), vec![]),
            (vec![0; 10_000], vec![0; 20_000]),
            (noise(40, 5), noise(40, 5)),
        ] {
            let s = diff(&b, &t);
            assert_eq!(replay(&b, &s), t);
            assert_eq!(diff(&b, &t), s, "deterministic");
        }
    }
}
