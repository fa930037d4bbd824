//! Fuzzing entry point for the payload reader (`fuzz/fuzz_targets/delta_payload.rs`).
//!
//! Input layout: byte 0 selects the mode, the rest is a `delta.bin` candidate. In mode 0 the
//! bytes are parsed as they are (header and digest checks). In mode 1 the header's base size and
//! digest, op-stream digest and ADD digest are first rewritten to agree with the bytes, so the
//! fuzzer reaches the op parser, the bounded zstd decoder and the op replay. The base is a fixed
//! 4 KiB pattern; limits are small so no input can allocate more than a few MiB. Mode 2 instead
//! runs the container-expansion finders and decoders (zip, gzip, ar, RPM; spec §5.5) on the bytes.

use bundle_format::delta::payload::{self, HEADER_BYTES, Limits};
use sha2::{Digest, Sha256};

/// The fixed base every fuzz input is applied to.
fn fuzz_base() -> Vec<u8> {
    (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// Limits for fuzzing: at most 4096 ops, 256 KiB of ADD bytes and output, a 1 MiB window.
pub const FUZZ_LIMITS: Limits = Limits {
    max_ops: 4096,
    max_add_bytes: 256 << 10,
    max_target_bytes: 256 << 10,
    max_window_log: 20,
};

/// Rewrites the digest and base fields of a payload so only its structure is under test.
/// Leaves inputs shorter than a header, or whose op-stream length runs past the end, alone.
pub fn fix_digests(bin: &mut [u8], base: &[u8]) {
    if bin.len() < HEADER_BYTES {
        return;
    }
    bin[16..24].copy_from_slice(&(base.len() as u64).to_be_bytes());
    bin[64..96].copy_from_slice(&Sha256::digest(base));
    let mut n = [0u8; 8];
    n.copy_from_slice(&bin[40..48]);
    let ops_len = u64::from_be_bytes(n);
    let Some(ops_end) = usize::try_from(ops_len)
        .ok()
        .and_then(|l| HEADER_BYTES.checked_add(l))
        .filter(|&e| e <= bin.len())
    else {
        return;
    };
    let ops = Sha256::digest(&bin[HEADER_BYTES..ops_end]);
    let add = Sha256::digest(&bin[ops_end..]);
    bin[128..160].copy_from_slice(&ops);
    bin[160..192].copy_from_slice(&add);
}

/// Parses (and, if that succeeds, applies) one fuzz input. Never panics on any input.
pub fn fuzz_payload(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 2 {
        // Container expansion: the stream finders and bounded decoders on untrusted containers.
        let streams = super::expand::base_streams(rest);
        if let Some(e) = super::expand::expand(rest, &streams) {
            assert!(streams.is_empty() || e.len() as u64 <= super::expand::MAX_EXPANDED_BYTES);
        }
        return;
    }
    let base = fuzz_base();
    let mut bin = rest.to_vec();
    if mode & 1 == 1 {
        fix_digests(&mut bin, &base);
    }
    let digest: [u8; 32] = Sha256::digest(&base).into();
    let Ok(parsed) = payload::parse(&bin, base.len() as u64, &digest, &FUZZ_LIMITS) else {
        return;
    };
    if let Ok(out) = payload::apply(&base, &parsed) {
        assert_eq!(out.len() as u64, parsed.header.target_size);
    }
}

/// A valid seed payload over the fuzz base (ADD, COPY and ADD_DIFF ops), for `fuzz/seeds/`.
///
/// # Errors
/// Only if zstd fails to compress.
pub fn seed_payload() -> Result<Vec<u8>, payload::PayloadError> {
    use payload::Op;
    let base = fuzz_base();
    let mut target = b"airlock fuzz seed ".to_vec();
    target.extend_from_slice(&base[100..1100]);
    target.extend(base[2000..2300].iter().map(|b| b.wrapping_add(3)));
    let ops = [
        Op::Add { len: 18 },
        Op::Copy {
            offset: 100,
            len: 1000,
        },
        Op::AddDiff {
            offset: 2000,
            len: 300,
        },
    ];
    let mut add = b"airlock fuzz seed ".to_vec();
    add.extend(std::iter::repeat_n(3u8, 300));
    payload::encode(&base, &target, &ops, &add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_applies_and_mutations_do_not_panic() {
        let seed = seed_payload().unwrap();
        let base = fuzz_base();
        let digest: [u8; 32] = Sha256::digest(&base).into();
        let parsed = payload::parse(&seed, base.len() as u64, &digest, &FUZZ_LIMITS).unwrap();
        assert_eq!(
            payload::apply(&base, &parsed).unwrap().len(),
            18 + 1000 + 300
        );
        // Flipping any bit of the op stream after digest repair reaches the op parser without panicking.
        let ops_len = parsed.header.ops_bytes as usize;
        for i in HEADER_BYTES..HEADER_BYTES + ops_len {
            for bit in 0..8 {
                let mut m = vec![1u8];
                m.extend_from_slice(&seed);
                m[1 + i] ^= 1 << bit;
                fuzz_payload(&m);
            }
        }
        // Truncations at every length, in both modes.
        for n in 0..seed.len() {
            for mode in 0..2u8 {
                let mut m = vec![mode];
                m.extend_from_slice(&seed[..n]);
                fuzz_payload(&m);
            }
        }
    }

    #[test]
    fn fix_digests_makes_the_seed_parse_after_a_header_change() {
        let mut seed = seed_payload().unwrap();
        let base = fuzz_base();
        seed[HEADER_BYTES + 1] ^= 0x01; // a COPY/ADD length byte: digest now wrong
        fix_digests(&mut seed, &base);
        let digest: [u8; 32] = Sha256::digest(&base).into();
        let err = payload::parse(&seed, base.len() as u64, &digest, &FUZZ_LIMITS).unwrap_err();
        assert_ne!(err.code(), "delta-ops-digest-mismatch");
    }

    #[test]
    fn committed_seeds_parse_and_apply() {
        let base = fuzz_base();
        let digest: [u8; 32] = Sha256::digest(&base).into();
        for seed in [
            &include_bytes!("../../fuzz/seeds/delta_payload/valid-1")[..],
            &include_bytes!("../../fuzz/seeds/delta_payload/valid-2")[..],
        ] {
            let parsed = payload::parse(&seed[1..], base.len() as u64, &digest, &FUZZ_LIMITS)
                .expect("seed parses");
            payload::apply(&base, &parsed).expect("seed applies");
        }
    }
}
