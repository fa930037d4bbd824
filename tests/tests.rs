//! End-to-end tests that drive the `airlock` binary. One test binary; one module per command.

mod bundle;
mod common;
mod evidence_scan;
mod fingerprint;
mod key;
mod sigstore;
mod tlog;
mod trust;
mod vercmp;
