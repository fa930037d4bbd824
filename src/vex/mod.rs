//! Proof-carrying VEX: read a scanner's findings, prove each against the store, and write one
//! OpenVEX v0.2.0 document whose statements carry the proof's reference, method and confidence.
//!
//! - [`findings`]: Trivy JSON, Grype JSON, CycloneDX with vulnerabilities, CSV `id,purl`
//! - [`openvex`]: the document and the verdict → status mapping

pub mod findings;
pub mod openvex;

pub use findings::{Finding, FindingsError, read_findings};
pub use openvex::{Document, statement_for};
