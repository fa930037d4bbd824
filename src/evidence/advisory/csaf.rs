//! CSAF 2.0 documents → [`Advisory`] (placeholder until the product tree reader lands).

use super::{Advisory, AdvisoryError, DocumentDigest, Limits};

/// Reads one CSAF 2.0 document.
///
/// # Errors
/// Always, for now.
pub fn parse(
    _bytes: &[u8],
    _document: DocumentDigest,
    _limits: &Limits,
) -> Result<Advisory, AdvisoryError> {
    Err(AdvisoryError::UnknownFormat {
        found: "a CSAF document (not read yet)".into(),
    })
}
