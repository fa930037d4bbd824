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
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// `@context`.
    #[serde(rename = "@context")]
    pub context: String,
    /// `@id`: `urn:airlock:vex:<blake3 of the canonical statements>`.
    #[serde(rename = "@id")]
    pub id: String,
    /// Author.
    pub author: String,
    /// Role of the author.
    pub role: String,
    /// Document time (the store's time floor or `--at`, never the clock).
    pub timestamp: String,
    /// Version.
    pub version: u64,
    /// Tooling.
    pub tooling: String,
    /// Statements, sorted by vulnerability and product.
    pub statements: Vec<Value>,
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
    pub fn new(mut statements: Vec<Value>, timestamp: String) -> Self {
        // Keyed once per statement (the key serializes the products).
        statements.sort_by_cached_key(|v| {
            (
                v["vulnerability"]["name"].to_string(),
                v["products"].to_string(),
            )
        });
        let canonical = crate::proof::canonical::array(&statements);
        Self {
            context: CONTEXT.to_owned(),
            id: format!("urn:airlock:vex:{}", blake3::hash(&canonical).to_hex()),
            author: "airlock".to_owned(),
            role: "proof engine".to_owned(),
            timestamp,
            version: 1,
            tooling: format!("airlock {}", env!("CARGO_PKG_VERSION")),
            statements,
        }
    }
}
