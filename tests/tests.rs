//! End-to-end tests that drive the `airlock` binary. One test binary; one module per command.

mod bundle;
mod common;
mod delta;
mod evidence_scan;
mod fingerprint;
mod import;
mod key;
mod proof;
mod sigstore;
mod snapshot;
mod store;
mod tlog;
mod trust;
mod vercmp;
