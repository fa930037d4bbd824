//! The typed write path of an advisory row's `record` (`spec/store.md` §4.4): the RFC 8785
//! canonical JSON of the slim advisory written straight from [`Advisory`], with no
//! `serde_json::Value` tree in between.
//!
//! Invariant: the bytes equal `jcs(slim(advisory) + {"affected": [prune(entry)...]})` as built
//! through `serde_json::Value` (the reference path kept in the tests below): members in
//! ascending key order (every key is ASCII, so byte order is RFC 8785's UTF-16 order), members
//! that are `null` or an empty array omitted at the record and entry level, leaves written by
//! serde_json (its string escaping is JCS's, and no leaf here is a number).

use serde::Serialize;

use crate::evidence::advisory::{Advisory, AffectedPackage, Event, Range};

/// Writes members of one JSON object in the order given; the caller gives keys sorted.
struct Obj<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A leaf member (string, enum, list of strings), written by serde_json.
    fn leaf<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) {
        let out = self.key(key);
        serde_json::to_writer(out, v).expect("leaves serialize to a Vec");
    }

    /// A member omitted when `None` (the pruned `null`).
    fn opt(&mut self, key: &str, v: Option<&String>) {
        if let Some(v) = v {
            self.leaf(key, v);
        }
    }

    /// A member omitted when empty (the pruned `[]`).
    fn list(&mut self, key: &str, v: &[String]) {
        if !v.is_empty() {
            self.leaf(key, v);
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// Appends the canonical `record` of the advisory row of `a` whose `affected` holds the
/// entries `entries` (indices into `a.affected`, in document order).
pub fn write_record(a: &Advisory, entries: &[usize], out: &mut Vec<u8>) {
    let mut o = Obj::open(out);
    {
        let out = o.key("affected");
        out.push(b'[');
        for (n, &i) in entries.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_affected(&a.affected[i], out);
        }
        out.push(b']');
    }
    o.list("aliases", &a.aliases);
    o.list("cve_ids", &a.cve_ids);
    o.leaf("id", &a.id);
    o.opt("modified", a.modified.as_ref());
    o.opt("published", a.published.as_ref());
    o.list("related", &a.related);
    o.leaf("source", &a.source);
    o.opt("summary", a.summary.as_ref());
    o.opt("withdrawn", a.withdrawn.as_ref());
    o.close();
}

fn write_affected(e: &AffectedPackage, out: &mut Vec<u8>) {
    let mut o = Obj::open(out);
    o.list("binaries", &e.binaries);
    o.opt("cpe", e.cpe.as_ref());
    o.opt("ecosystem", e.ecosystem.as_ref());
    o.list("fixed", &e.fixed);
    o.opt("justification", e.justification.as_ref());
    o.leaf("name", &e.name);
    o.list("product_ids", &e.product_ids);
    o.opt("purl", e.purl.as_ref());
    if !e.ranges.is_empty() {
        let out = o.key("ranges");
        out.push(b'[');
        for (n, r) in e.ranges.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_range(r, out);
        }
        out.push(b']');
    }
    o.opt("release", e.release.as_ref());
    o.opt("severity", e.severity.as_ref());
    o.leaf("status", &e.status);
    o.leaf("version_scheme", &e.version_scheme);
    o.list("versions", &e.versions);
    o.list("vulnerabilities", &e.vulnerabilities);
    o.close();
}

/// A range is nested below the pruned level: `events` is written even when empty, `repo` and
/// `expression` only when present (their `skip_serializing_if`).
fn write_range(r: &Range, out: &mut Vec<u8>) {
    let mut o = Obj::open(out);
    {
        let out = o.key("events");
        out.push(b'[');
        for (n, ev) in r.events.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let (k, v) = match ev {
                Event::Introduced(v) => ("introduced", v),
                Event::Fixed(v) => ("fixed", v),
                Event::LastAffected(v) => ("last_affected", v),
                Event::Limit(v) => ("limit", v),
            };
            let mut e = Obj::open(out);
            e.leaf(k, v);
            e.close();
        }
        out.push(b']');
    }
    o.opt("expression", r.expression.as_ref());
    o.leaf("kind", &r.kind);
    o.opt("repo", r.repo.as_ref());
    o.close();
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::evidence::advisory;

    /// The reference path: through `serde_json::Value`, pruned, then canonicalized.
    fn reference(a: &Advisory, entries: &[usize]) -> Vec<u8> {
        let keep = |v: &Value| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty));
        let Value::Object(full) = serde_json::to_value(a).unwrap() else {
            unreachable!()
        };
        let mut slim: serde_json::Map<String, Value> = full
            .into_iter()
            .filter(|(k, v)| super::super::parse::ROW_MEMBERS.contains(&k.as_str()) && keep(v))
            .collect();
        let affected = entries
            .iter()
            .map(|&i| match serde_json::to_value(&a.affected[i]).unwrap() {
                Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| keep(v)).collect()),
                other => other,
            })
            .collect();
        slim.insert("affected".into(), Value::Array(affected));
        bundle_format::canonical::to_canonical_vec(&Value::Object(slim)).unwrap()
    }

    fn check_file(path: &std::path::Path) -> usize {
        let Ok(bytes) = std::fs::read(path) else {
            return 0;
        };
        let Ok(doc) = advisory::parse(&bytes, &advisory::Limits::default()) else {
            return 0;
        };
        for a in &doc.advisories {
            let all: Vec<usize> = (0..a.affected.len()).collect();
            for entries in [all.as_slice(), &all[..all.len().min(1)]] {
                let mut out = Vec::new();
                write_record(a, entries, &mut out);
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&reference(a, entries)),
                    "{} {}",
                    path.display(),
                    a.id
                );
            }
        }
        doc.advisories.len()
    }

    fn walk(dir: &std::path::Path, n: &mut usize) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, n);
            } else {
                *n += check_file(&p);
            }
        }
    }

    #[test]
    fn typed_record_equals_the_value_path_on_every_fixture() {
        let mut n = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        walk(&root.join("fixtures"), &mut n);
        walk(
            std::path::Path::new("/work/shared/fixtures/advisories"),
            &mut n,
        );
        // OSV, CSAF and tracker records with ranges, repos, expressions, aliases, binaries.
        assert!(n > 50, "only {n} advisories checked");
        let doc = br#"{"id":"X-1","aliases":["CVE-2024-1"],"summary":"q\"\u0001\u00e9","affected":[{"package":{"ecosystem":"Debian:12","name":"o"},"ranges":[{"type":"GIT","repo":"https://r","events":[{"introduced":"0"},{"fixed":"abc"},{"limit":"z"}]},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1"}]}],"versions":["1"]}]}"#;
        let parsed = advisory::parse(doc, &advisory::Limits::default()).unwrap();
        let a = &parsed.advisories[0];
        let mut out = Vec::new();
        write_record(a, &[0], &mut out);
        assert_eq!(out, reference(a, &[0]));
    }
}
