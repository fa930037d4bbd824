//! OpenVEX v0.2.0 documents (<https://github.com/openvex/spec>), one statement per finding.
//!
//! Verdict → status: `fixed` → `fixed`; `not-affected` → `not_affected` with justification
//! `vulnerable_code_not_present` and the proof's reason as impact statement; `affected` →
//! `affected` with an action statement; `unknown` → `under_investigation`.
//!
//! Products: with no image, the product is the package purl exactly as the scanner wrote it
//! (`@id` and `identifiers.purl`), which `trivy --vex` matches (a VEX purl matches a package
//! purl when type, namespace, name and version are equal and its qualifiers are a subset).
//! When the findings name a container image by digest, the product is the image
//! (`pkg:oci/NAME@sha256%3AHEX`, no qualifiers) with the package purl as its subcomponent:
//! `grype --vex` matches products only against the scanned image's identifiers and the
//! package through `subcomponents`, and Trivy (≥ 0.52) follows image → subcomponent too.
//! The statement's `@id` is the proof's hash (`urn:airlock:proof:blake3:<hex>`) and its
//! `status_notes` carry the proof reference, method and confidence, since OpenVEX allows no
//! extra fields.

use serde::Serialize;
use serde_json::{Value, json};

use crate::proof::{ProofBlob, Verdict};

/// The OpenVEX context this writer emits.
pub const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// An OpenVEX document.
#[derive(Debug, Clone)]
pub struct Document {
    /// `@id`: `urn:airlock:vex:<blake3 of the canonical statements>`.
    pub id: String,
    /// Document time (the store's time floor or `--at`, never the clock).
    pub timestamp: String,
    /// Statements, sorted by vulnerability and product.
    pub statements: Vec<Prepared>,
}

/// The document's members in the order they are written; `statements` is written empty and
/// the prepared statements are spliced in.
#[derive(Serialize)]
struct Header<'a, S> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
    author: &'static str,
    role: &'static str,
    timestamp: &'a str,
    version: u64,
    tooling: String,
    statements: S,
}

/// Indentation of a statement inside the document (`statements` is a member of the top object).
const STATEMENT_INDENT: &[u8] = b"    ";

/// A statement serialized once (by the worker that proved it), so a document of many thousands
/// is assembled by concatenation.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Sort key: the vulnerability name and the products, as JSON text.
    key: (String, String),
    /// The statement's `status`.
    pub status: String,
    /// RFC 8785 form (the document id covers these).
    canonical: Vec<u8>,
    /// Pretty form as an element of the document's `statements` array: serde_json's pretty
    /// output with every line break followed by [`STATEMENT_INDENT`] (JSON strings never hold a
    /// raw line break, so each one is layout).
    pretty: Vec<u8>,
}

impl Prepared {
    /// Prepares `statement`.
    #[must_use]
    pub fn new(statement: &Value) -> Self {
        let standalone = serde_json::to_vec_pretty(statement).expect("statements serialize");
        let mut pretty = Vec::with_capacity(standalone.len() + standalone.len() / 8);
        for &b in &standalone {
            pretty.push(b);
            if b == b'\n' {
                pretty.extend_from_slice(STATEMENT_INDENT);
            }
        }
        Self {
            key: (
                statement["vulnerability"]["name"].to_string(),
                statement["products"].to_string(),
            ),
            status: statement["status"].as_str().unwrap_or_default().to_owned(),
            canonical: crate::proof::canonical::value(statement),
            pretty,
        }
    }
}

/// The product entry: the package itself, or the image with the package as subcomponent.
fn products(purl: &str, image: Option<&str>) -> Value {
    let package = json!({"@id": purl, "identifiers": {"purl": purl}});
    match image {
        Some(image) => json!({
            "@id": image,
            "identifiers": {"purl": image},
            "subcomponents": [package],
        }),
        None => package,
    }
}

/// The statement for `finding_purl` (inside `image` when given) from `proof`; `proof_ref` is
/// where the proof file is.
#[must_use]
pub fn statement_for(
    vulnerability: &str,
    finding_purl: &str,
    image: Option<&str>,
    proof: &ProofBlob,
    proof_ref: &str,
) -> Value {
    let hash = proof.proof_hash.clone().unwrap_or_default();
    let notes = format!(
        "airlock proof {hash} ({proof_ref}): verdict {}, method {}, confidence {:.2}",
        proof.verdict.as_str(),
        proof.method,
        proof.confidence
    );
    let mut st = json!({
        "@id": format!("urn:airlock:proof:{hash}"),
        "vulnerability": {"name": vulnerability},
        "products": [products(finding_purl, image)],
        "status_notes": notes,
    });
    if proof.subject.vulnerability != vulnerability {
        st["vulnerability"]["aliases"] = json!([proof.subject.vulnerability]);
    }
    let reason = proof
        .evidence
        .first()
        .map_or_else(String::new, |e| e.reason.clone());
    match proof.verdict {
        Verdict::Fixed => st["status"] = json!("fixed"),
        Verdict::NotAffected => {
            st["status"] = json!("not_affected");
            st["justification"] = json!("vulnerable_code_not_present");
            st["impact_statement"] = json!(reason);
        }
        Verdict::Affected => {
            st["status"] = json!("affected");
            st["action_statement"] = json!(format!(
                "Update the package to a version that carries the fix ({reason})."
            ));
        }
        Verdict::Unknown => st["status"] = json!("under_investigation"),
    }
    st
}

impl Document {
    /// A document over `statements` (sorted here), timed `timestamp`.
    #[must_use]
    pub fn new(statements: &[Value], timestamp: String) -> Self {
        Self::from_prepared(statements.iter().map(Prepared::new).collect(), timestamp)
    }

    /// A document over prepared statements (sorted here), timed `timestamp`.
    #[must_use]
    pub fn from_prepared(mut statements: Vec<Prepared>, timestamp: String) -> Self {
        // Stable: statements with equal keys keep their order.
        statements.sort_by(|a, b| a.key.cmp(&b.key));
        let mut canonical = Vec::with_capacity(
            2 + statements
                .iter()
                .map(|s| s.canonical.len() + 1)
                .sum::<usize>(),
        );
        canonical.push(b'[');
        for (i, s) in statements.iter().enumerate() {
            if i > 0 {
                canonical.push(b',');
            }
            canonical.extend_from_slice(&s.canonical);
        }
        canonical.push(b']');
        Self {
            id: format!("urn:airlock:vex:{}", blake3::hash(&canonical).to_hex()),
            timestamp,
            statements,
        }
    }

    /// The document as pretty JSON (serde_json's layout, two-space indent), without a final
    /// line break.
    #[must_use]
    pub fn to_pretty_json(&self) -> Vec<u8> {
        let header = Header {
            context: CONTEXT,
            id: &self.id,
            author: "airlock",
            role: "proof engine",
            timestamp: &self.timestamp,
            version: 1,
            tooling: format!("airlock {}", env!("CARGO_PKG_VERSION")),
            statements: [(); 0],
        };
        let mut out = serde_json::to_vec_pretty(&header).expect("headers serialize");
        if self.statements.is_empty() {
            return out;
        }
        let open = out.len() - b"[]\n}".len();
        debug_assert_eq!(&out[open..], b"[]\n}");
        out.truncate(open);
        out.reserve(self.statements.iter().map(|s| s.pretty.len() + 6).sum());
        out.extend_from_slice(b"[\n");
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(STATEMENT_INDENT);
            out.extend_from_slice(&s.pretty);
        }
        out.extend_from_slice(b"\n  ]\n}");
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reference(statements: &[Value], doc: &Document) -> Vec<u8> {
        let mut sorted = statements.to_vec();
        sorted.sort_by_cached_key(|v| {
            (
                v["vulnerability"]["name"].to_string(),
                v["products"].to_string(),
            )
        });
        let canonical = bundle_format::canonical::to_canonical_vec(&sorted).unwrap();
        assert_eq!(
            doc.id,
            format!("urn:airlock:vex:{}", blake3::hash(&canonical).to_hex())
        );
        // The layout `to_pretty_json` reproduces: serde_json's pretty form of the whole document.
        serde_json::to_vec_pretty(&Header {
            context: CONTEXT,
            id: &doc.id,
            author: "airlock",
            role: "proof engine",
            timestamp: &doc.timestamp,
            version: 1,
            tooling: format!("airlock {}", env!("CARGO_PKG_VERSION")),
            statements: sorted,
        })
        .unwrap()
    }

    #[test]
    fn assembled_documents_equal_the_whole_serialization() {
        let st = |v: &str, p: &str, extra: Value| {
            let mut s = json!({
                "@id": format!("urn:airlock:proof:{v}{p}"),
                "vulnerability": {"name": v},
                "products": [{"@id": p, "identifiers": {"purl": p}, "subcomponents": []}],
                "status_notes": "line\nbreak \"quoted\" tab\t é",
                "status": "fixed",
            });
            s["extra"] = extra;
            s
        };
        let statements = [
            st("CVE-2024-2", "pkg:deb/debian/b@1", json!({})),
            st(
                "CVE-2024-1",
                "pkg:deb/debian/z@1",
                json!([1, [2, []], {"k": null}]),
            ),
            st("CVE-2024-1", "pkg:deb/debian/a@1", json!(0.98)),
            st("CVE-2024-1", "pkg:deb/debian/a@1", json!("same key, later")),
        ];
        for n in [0, 1, statements.len()] {
            let doc = Document::new(&statements[..n], "2026-11-23T12:00:00Z".into());
            assert_eq!(
                String::from_utf8(doc.to_pretty_json()).unwrap(),
                String::from_utf8(reference(&statements[..n], &doc)).unwrap()
            );
        }
    }
}
