//! Keys, signatures and DSSE signing and verification.
