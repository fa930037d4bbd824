//! RFC 8785 canonical JSON written directly, for the proof hot path (a batch VEX run
//! canonicalizes every proof twice and its whole statement list once).
//!
//! Invariant: every function here yields exactly the bytes of
//! [`bundle_format::canonical::to_canonical_vec`] for the same value (the tests compare them).
//! That holds because (a) strings go through serde_json's compact escaper, which is the escaper
//! RFC 8785 prescribes (`\"`, `\\`, `\b \f \n \r \t`, other controls as lowercase `\u00xx`,
//! nothing else escaped); (b) members are written in RFC 8785 order — the fixed structs list
//! their keys in sorted order by hand, `Value` objects are sorted by UTF-16 code units; (c) a
//! number is written as a plain integer only when it is integral with magnitude below 2^53 (where
//! the ECMAScript form is that integer), and every other number is handed to the reference
//! canonicalizer.

use bundle_format::canonical::{MAX_SAFE_INTEGER, push_canonical_value, to_canonical_vec};
use serde_json::Value;

use super::blob::{ChannelState, EvidenceItem, ProofBlob};
use super::subject::Subject;

/// Output buffer with JSON writing helpers.
struct Out(Vec<u8>);

impl Out {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn string(&mut self, s: &str) {
        serde_json::to_writer(&mut self.0, s).expect("writing a string to a Vec cannot fail");
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw("null"),
        }
    }

    fn integer(&mut self, n: i128) {
        self.raw(&n.to_string());
    }

    fn f64(&mut self, x: f64) {
        if x.is_finite() && x.fract() == 0.0 && x.abs() < MAX_SAFE_INTEGER as f64 {
            // Exact: |x| < 2^53 is integral, so the cast loses nothing (and -0 becomes 0).
            #[allow(clippy::cast_possible_truncation)]
            self.integer(x as i128);
        } else {
            let canonical = to_canonical_vec(&x).expect("proof numbers are finite");
            self.0.extend_from_slice(&canonical);
        }
    }

    fn u64(&mut self, n: u64) {
        if n < MAX_SAFE_INTEGER {
            self.integer(i128::from(n));
        } else {
            let canonical = to_canonical_vec(&n).expect("integers serialize");
            self.0.extend_from_slice(&canonical);
        }
    }

    /// `{"key":`, opening an object — keys here are fixed ASCII identifiers, needing no escapes.
    fn first_key(&mut self, key: &str) {
        self.raw("{\"");
        self.raw(key);
        self.raw("\":");
    }

    /// `,"key":`, the next member.
    fn key(&mut self, key: &str) {
        self.raw(",\"");
        self.raw(key);
        self.raw("\":");
    }

    fn seq<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.0.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            each(self, item);
        }
        self.0.push(b']');
    }

    fn item(&mut self, e: &EvidenceItem) {
        let EvidenceItem {
            tier,
            supports,
            confidence,
            record_id,
            package,
            entry,
            raw_digest,
            publisher,
            channel,
            reason,
        } = e;
        self.first_key("channel");
        self.string(channel);
        self.key("confidence");
        self.f64(*confidence);
        self.key("entry");
        self.string(entry);
        self.key("package");
        self.string(package);
        self.key("publisher");
        self.string(publisher);
        self.key("raw_digest");
        self.string(raw_digest);
        self.key("reason");
        self.string(reason);
        self.key("record_id");
        self.string(record_id);
        self.key("supports");
        self.string(supports.as_str());
        self.key("tier");
        self.string(tier.as_str());
        self.0.push(b'}');
    }

    fn head(&mut self, h: &ChannelState) {
        let ChannelState {
            publisher,
            channel,
            sequence,
            bundle,
        } = h;
        self.first_key("bundle");
        self.string(bundle);
        self.key("channel");
        self.string(channel);
        self.key("publisher");
        self.string(publisher);
        self.key("sequence");
        self.u64(*sequence);
        self.0.push(b'}');
    }

    fn subject(&mut self, s: &Subject) {
        let Subject {
            vulnerability,
            purl,
            package,
            version,
            scheme,
            release,
            source_packages,
            binary,
        } = s;
        self.first_key("binary");
        self.opt_string(binary.as_deref());
        self.key("package");
        self.string(package);
        self.key("purl");
        self.string(purl);
        self.key("release");
        self.opt_string(release.as_deref());
        self.key("scheme");
        self.string(scheme);
        self.key("source_packages");
        self.seq(source_packages, |o, p| o.string(p));
        self.key("version");
        self.string(version);
        self.key("vulnerability");
        self.string(vulnerability);
        self.0.push(b'}');
    }

    fn value(&mut self, v: &Value) {
        push_canonical_value(&mut self.0, v);
    }
}

/// The canonical JSON of `blob` with `proof_hash` replaced by `hash` (`None` → `null`, the
/// form the self-hash is computed over).
#[must_use]
pub fn proof(blob: &ProofBlob, hash: Option<&str>) -> Vec<u8> {
    let ProofBlob {
        format,
        subject,
        verdict,
        confidence,
        method,
        evidence,
        conflicts,
        store_state,
        computed_at,
        proof_hash: _,
    } = blob;
    let mut o = Out(Vec::with_capacity(
        1024 + 512 * (evidence.len() + conflicts.len()),
    ));
    o.first_key("computed_at");
    o.opt_string(computed_at.as_deref());
    o.key("confidence");
    o.f64(*confidence);
    o.key("conflicts");
    o.seq(conflicts, Out::item);
    o.key("evidence");
    o.seq(evidence, Out::item);
    o.key("format");
    o.string(format);
    o.key("method");
    o.string(method);
    o.key("proof_hash");
    o.opt_string(hash);
    o.key("store_state");
    o.first_key("heads");
    o.seq(&store_state.heads, Out::head);
    o.0.push(b'}');
    o.key("subject");
    o.subject(subject);
    o.key("verdict");
    o.string(verdict.as_str());
    o.0.push(b'}');
    o.0
}

/// The canonical JSON of an array of JSON values.
#[must_use]
pub fn array(items: &[Value]) -> Vec<u8> {
    let mut o = Out(Vec::with_capacity(256 * items.len()));
    o.seq(items, Out::value);
    o.0
}

/// The canonical JSON of any JSON value.
#[must_use]
pub fn value(v: &Value) -> Vec<u8> {
    let mut o = Out(Vec::with_capacity(256));
    o.value(v);
    o.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::proof::blob::{StoreState, Tier, Verdict};

    fn reference<T: serde::Serialize>(v: &T) -> Vec<u8> {
        to_canonical_vec(v).unwrap()
    }

    fn item(reason: &str, confidence: f64) -> EvidenceItem {
        EvidenceItem {
            tier: Tier::Changelog,
            supports: Verdict::NotAffected,
            confidence,
            record_id: "1.2-3+deb12u1".into(),
            package: "pkg:deb/debian/curl".into(),
            entry: "changelogs/curl/changelog.Debian".into(),
            raw_digest: "sha256:00ff".into(),
            publisher: "debian".into(),
            channel: "bookworm".into(),
            reason: reason.into(),
        }
    }

    fn blob(release: Option<&str>, computed_at: Option<&str>, confidence: f64) -> ProofBlob {
        ProofBlob {
            format: "airlock-proof/1".into(),
            subject: Subject {
                vulnerability: "CVE-2023-38545".into(),
                purl: "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?distro=debian-12".into(),
                package: "pkg:deb/debian/curl".into(),
                version: "7.88.1-10+deb12u5".into(),
                scheme: "deb".into(),
                release: release.map(str::to_owned),
                source_packages: vec!["pkg:deb/debian/curl".into(), "pkg:deb/debian/x".into()],
                binary: computed_at.map(|_| "sha256:ab".to_owned()),
            },
            verdict: Verdict::Fixed,
            confidence,
            method: "advisory+changelog".into(),
            evidence: vec![
                item(
                    "quote \" backslash \\ tab \t nl \n bell \u{7} del \u{7f}",
                    0.98,
                ),
                item("unicode é ✓ 𝄞 / slash", 0.8),
            ],
            conflicts: vec![item("", 0.55)],
            store_state: StoreState {
                heads: vec![ChannelState {
                    publisher: "debian".into(),
                    channel: "bookworm".into(),
                    sequence: 7,
                    bundle: "sha256:11".into(),
                }],
            },
            computed_at: computed_at.map(str::to_owned),
            proof_hash: Some("blake3:abc".into()),
        }
    }

    #[test]
    fn proofs_match_the_reference_canonicalizer() {
        for b in [
            blob(Some("bookworm"), Some("2026-11-23T12:00:00Z"), 0.98),
            blob(None, None, 0.0),
            blob(None, None, 1.0),
            blob(None, None, 0.05),
            blob(None, None, 1e-7),
            blob(None, None, 1e22),
        ] {
            assert_eq!(
                String::from_utf8(proof(&b, b.proof_hash.as_deref())).unwrap(),
                String::from_utf8(reference(&b)).unwrap()
            );
            let mut unhashed = b.clone();
            unhashed.proof_hash = None;
            assert_eq!(proof(&b, None), reference(&unhashed));
        }
        let mut big = blob(None, None, 0.5);
        big.store_state.heads[0].sequence = u64::MAX;
        assert_eq!(proof(&big, Some("h")), {
            big.proof_hash = Some("h".into());
            reference(&big)
        });
    }

    #[test]
    fn values_match_the_reference_canonicalizer() {
        let v = json!({
            "b": [1, -2, 2.5, 1e-7, 1e21, 9_007_199_254_740_993_u64, -9_007_199_254_740_993_i64,
                  null, true, false, 0.1],
            "a": {"\u{e000}": 1, "\u{1d11e}": 2, "z": "\u{1}\"\\/", "A": {}},
            "": [],
            "é": "x"
        });
        assert_eq!(
            String::from_utf8(value(&v)).unwrap(),
            String::from_utf8(reference(&v)).unwrap()
        );
        let items = [v.clone(), json!("s"), v];
        assert_eq!(array(&items), reference(&items));
    }
}
