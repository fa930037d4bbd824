//! Proof-carrying VEX: read a scanner's findings, prove each against the store, and write one
//! OpenVEX v0.2.0 document whose statements carry the proof's reference, method and confidence.
//!
//! - [`findings`]: Trivy JSON, Grype JSON, CycloneDX with vulnerabilities, CSV `id,purl`
//! - [`openvex`]: the document and the verdict → status mapping
//! - [`proof_files`]: the proofs beside the document, durable before it is renamed into place

pub mod findings;
pub mod openvex;
pub mod proof_files;

pub use findings::{Finding, FindingsError, read_findings};
pub use openvex::{Document, Prepared, statement_for};
