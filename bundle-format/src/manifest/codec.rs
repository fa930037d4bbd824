//! The manifest's wire form without a generic JSON tree: a hand-written RFC 8785 encoder for the
//! fixed manifest shape, and a typed decoder whose result is exactly what the strict generic path
//! ([`canonical::from_canonical_slice`]) returns.
//!
//! Invariants:
//! - [`encode_manifest`] / [`encode_entry`] are byte-identical to [`canonical::to_canonical_vec`]
//!   on the same value (the keys below are written in RFC 8785 order: UTF-16 code units, which for
//!   these ASCII names is byte order). Tested against the general serializer.
//! - [`decode`] accepts `payload` on its fast path only if the typed parse succeeded, every integer
//!   is at most 2^53 and re-encoding the result gives back `payload` byte for byte. Such bytes are
//!   the canonical form of a value of the manifest shape: no duplicate or unknown keys (derived
//!   `Deserialize` refuses both), nesting depth 3, valid UTF-8, nothing after the value, so the
//!   strict path would accept them and produce the same manifest. On any other input the strict
//!   path runs and its error is returned, so error kinds and their precedence (parse, then
//!   canonical form, then shape) are unchanged.

use super::{BundleKind, Manifest, ManifestEntry};
use crate::canonical::{self, CanonicalError, push_canonical_str, push_canonical_u64};
use crate::digest::Digest;

/// Parses a manifest payload: strict canonical JSON of the manifest shape.
///
/// # Errors
/// Exactly the error [`canonical::from_canonical_slice`] gives for `payload`.
pub(super) fn decode(payload: &[u8]) -> Result<Manifest, CanonicalError> {
    if let Ok(manifest) = serde_json::from_slice::<Manifest>(payload)
        && integers_are_safe(&manifest)
        && encode_manifest(&manifest) == payload
    {
        return Ok(manifest);
    }
    canonical::from_canonical_slice(payload)
}

fn integers_are_safe(manifest: &Manifest) -> bool {
    manifest.sequence <= canonical::MAX_SAFE_INTEGER
        && manifest
            .entries
            .iter()
            .all(|e| e.size <= canonical::MAX_SAFE_INTEGER)
}

/// The RFC 8785 form of `manifest`.
pub(super) fn encode_manifest(manifest: &Manifest) -> Vec<u8> {
    // About 300 bytes per entry (paths and two hex digests dominate).
    let mut out = Vec::with_capacity(512 + manifest.entries.len() * 320);
    out.push(b'{');
    if let Some(base) = &manifest.base {
        key(&mut out, "base", true);
        push_digest(&mut out, base);
    }
    key(&mut out, "channel", manifest.base.is_none());
    push_canonical_str(&mut out, &manifest.channel);
    key(&mut out, "created", false);
    push_canonical_str(&mut out, &manifest.created);
    key(&mut out, "entries", false);
    out.push(b'[');
    for (i, entry) in manifest.entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        encode_entry(&mut out, entry);
    }
    out.push(b']');
    key(&mut out, "expires", false);
    push_canonical_str(&mut out, &manifest.expires);
    key(&mut out, "format", false);
    push_canonical_str(&mut out, &manifest.format);
    key(&mut out, "kind", false);
    push_canonical_str(
        &mut out,
        match manifest.kind {
            BundleKind::Snapshot => "snapshot",
            BundleKind::Delta => "delta",
        },
    );
    key(&mut out, "merkle_root", false);
    push_digest(&mut out, &manifest.merkle_root);
    key(&mut out, "publisher", false);
    push_canonical_str(&mut out, &manifest.publisher);
    key(&mut out, "sequence", false);
    push_canonical_u64(&mut out, manifest.sequence);
    out.push(b'}');
    out
}

/// Appends the RFC 8785 form of `entry` (also the input of its Merkle leaf hash).
pub(super) fn encode_entry(out: &mut Vec<u8>, entry: &ManifestEntry) {
    out.push(b'{');
    key(out, "blake3", true);
    push_digest(out, &entry.blake3);
    key(out, "kind", false);
    push_canonical_str(out, entry.kind.name());
    key(out, "media_type", false);
    push_canonical_str(out, &entry.media_type);
    key(out, "path", false);
    push_canonical_str(out, entry.path.as_str());
    key(out, "sha256", false);
    push_digest(out, &entry.sha256);
    key(out, "size", false);
    push_canonical_u64(out, entry.size);
    out.push(b'}');
}

/// Appends `"<algorithm>:<lowercase hex>"` (the digest's `Display` form, which needs no escapes).
fn push_digest(out: &mut Vec<u8>, digest: &Digest) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    out.extend_from_slice(digest.algorithm().name().as_bytes());
    out.push(b':');
    for &b in digest.as_bytes() {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
    out.push(b'"');
}

/// Appends `"name":`, preceded by a comma unless it is the object's first member.
fn key(out: &mut Vec<u8>, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    push_canonical_str(out, name);
    out.push(b':');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::EntryPath;

    fn entry(path: &str, media_type: &str, size: u64) -> ManifestEntry {
        ManifestEntry {
            path: EntryPath::parse(path).unwrap(),
            kind: super::super::EntryKind::SourcePackage,
            media_type: media_type.into(),
            size,
            sha256: Digest::sha256(path.as_bytes()),
            blake3: Digest::blake3(path.as_bytes()),
        }
    }

    fn manifest(base: Option<Digest>) -> Manifest {
        let entries = vec![
            entry("a/b.json", "application/json", 3),
            entry("a/é~x", "text/\u{7f}\u{2028}\u{1b}", 1 << 53),
            entry("z", "application/octet-stream", 0),
        ];
        Manifest {
            format: super::super::FORMAT.into(),
            kind: if base.is_some() {
                BundleKind::Delta
            } else {
                BundleKind::Snapshot
            },
            publisher: "pub\"\\\u{1}\u{8}\t\n\u{c}\r\u{1f}".into(),
            channel: "c".into(),
            sequence: 7,
            created: "2026-01-01T00:00:00Z".into(),
            expires: "2027-01-01T00:00:00Z".into(),
            merkle_root: super::super::merkle_root(&entries),
            entries,
            base,
        }
    }

    /// The generic strict path the fast decoder must agree with.
    fn strict(bytes: &[u8]) -> Result<Manifest, CanonicalError> {
        canonical::from_canonical_slice(bytes)
    }

    fn same_outcome(bytes: &[u8]) -> Result<Manifest, CanonicalError> {
        let fast = decode(bytes);
        let slow = strict(bytes);
        match (&fast, &slow) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!(
                "fast {fast:?} vs strict {slow:?} on {}",
                String::from_utf8_lossy(bytes)
            ),
        }
        fast
    }

    #[test]
    fn encoder_matches_the_general_serializer() {
        for m in [manifest(None), manifest(Some(Digest::sha256(b"base")))] {
            assert_eq!(
                encode_manifest(&m),
                canonical::to_canonical_vec(&m).unwrap()
            );
            for e in &m.entries {
                let mut out = Vec::new();
                encode_entry(&mut out, e);
                assert_eq!(out, canonical::to_canonical_vec(e).unwrap());
            }
        }
        let mut big = manifest(None);
        big.sequence = u64::MAX;
        big.entries[0].size = (1 << 53) + 1;
        assert_eq!(
            encode_manifest(&big),
            canonical::to_canonical_vec(&big).unwrap()
        );
        for c in (0u32..0x80).chain([0x7f, 0xa0, 0x2028, 0x2029, 0xfeff, 0x1f600]) {
            let text = format!("a{}b", char::from_u32(c).unwrap());
            let mut out = Vec::new();
            push_canonical_str(&mut out, &text);
            assert_eq!(
                out,
                canonical::to_canonical_vec(&text).unwrap(),
                "U+{c:04X}"
            );
        }
    }

    #[test]
    fn fast_decoder_agrees_with_the_strict_path_on_hostile_payloads() {
        let good = String::from_utf8(encode_manifest(&manifest(None))).unwrap();
        assert!(same_outcome(good.as_bytes()).is_ok());
        let delta = encode_manifest(&manifest(Some(Digest::sha256(b"b"))));
        assert!(same_outcome(&delta).is_ok());
        let hostile = [
            // Duplicate keys, top level and inside an entry.
            good.replacen(
                "{\"channel\":\"c\"",
                "{\"channel\":\"c\",\"channel\":\"c\"",
                1,
            ),
            good.replacen("\"size\":3}", "\"size\":3,\"size\":3}", 1),
            good.replacen(
                "{\"channel\"",
                "{\"base\":null,\"base\":null,\"channel\"",
                1,
            ),
            // Unknown fields, canonically placed and not.
            good.replacen(
                "\"kind\":\"snapshot\"",
                "\"kind\":\"snapshot\",\"kinda\":1",
                1,
            ),
            good.replacen("\"size\":3}", "\"size\":3,\"x\":1}", 1),
            good.replacen("\"channel\"", "\"zz\":1,\"channel\"", 1),
            // Key order and whitespace.
            good.replacen(
                "\"channel\":\"c\",\"created\":\"2026-01-01T00:00:00Z\"",
                "\"created\":\"2026-01-01T00:00:00Z\",\"channel\":\"c\"",
                1,
            ),
            good.replacen("\"sequence\":7", "\"sequence\": 7", 1),
            format!("{good}\n"),
            format!(" {good}"),
            format!("{good}{{}}"),
            // Integers: beyond 2^53, non-canonical spellings, negative, float.
            good.replacen("\"sequence\":7", "\"sequence\":9007199254740993", 1),
            good.replacen("\"sequence\":7", "\"sequence\":9007199254740994", 1),
            good.replacen("\"sequence\":7", "\"sequence\":18446744073709551615", 1),
            good.replacen("\"sequence\":7", "\"sequence\":18446744073709551616", 1),
            good.replacen("\"size\":3}", "\"size\":9007199254740994}", 1),
            good.replacen("\"sequence\":7", "\"sequence\":7.0", 1),
            good.replacen("\"sequence\":7", "\"sequence\":7e0", 1),
            good.replacen("\"sequence\":7", "\"sequence\":-7", 1),
            good.replacen("\"sequence\":7", "\"sequence\":07", 1),
            // Wrong types.
            good.replacen("\"sequence\":7", "\"sequence\":\"7\"", 1),
            good.replacen("\"channel\":\"c\"", "\"channel\":1", 1),
            good.replacen("\"channel\":\"c\"", "\"channel\":null", 1),
            good.replacen("\"kind\":\"snapshot\"", "\"kind\":\"full\"", 1),
            good.replacen("\"path\":\"z\"", "\"path\":[\"z\"]", 1),
            good.replacen("\"path\":\"z\"", "\"path\":\"/z\"", 1),
            good.replacen("\"entries\":[", "\"entries\":[[[[1]]],", 1),
            good.replacen("\"entries\":[", "\"entries\":{", 1),
            // Missing field; non-canonical string escapes.
            good.replacen("\"channel\":\"c\",", "", 1),
            good.replacen("\"channel\":\"c\"", "\"channel\":\"\\u0063\"", 1),
            good.replacen("\"channel\":\"c\"", "\"channel\":\"\\/\"", 1),
            good.replacen("\\u0001", "\\u0001\\u007f", 1),
            // Truncated and not JSON at all.
            good[..good.len() - 1].to_owned(),
            String::new(),
            "[]".into(),
            "null".into(),
        ];
        for text in &hostile {
            assert!(same_outcome(text.as_bytes()).is_err(), "accepted: {text}");
        }
        // Invalid UTF-8 inside a string.
        let mut bytes = good.clone().into_bytes();
        let at = good.find("\"c\"").unwrap() + 1;
        bytes[at] = 0xff;
        assert!(same_outcome(&bytes).is_err());
        // Deep nesting where a value is expected.
        let deep = good.replacen(
            "\"sequence\":7",
            &format!("\"sequence\":{}{}", "[".repeat(200), "]".repeat(200)),
            1,
        );
        assert!(same_outcome(deep.as_bytes()).is_err());
    }
}
