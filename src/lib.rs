//! airlock: move security evidence across an air gap and put it to work offline.
//!
//! Each folder is one capability and owns its types and errors; dependencies point one way,
//! `cli` → capabilities → [`bundle_format`]. Entry points by task:
//! - keys, signing, DSSE: [`crypto`]
//! - trust roots, roles, thresholds and rotation: [`trust`]
//! - evidence bundles (create, verify, inspect, extract; streaming reader for import): [`bundle`]
//! - offline Sigstore bundle verification: [`sigstore::verify_bundle`]
//!
//! Every failure a user can see carries a stable kebab-case code through [`Coded`].

pub mod binary;
pub mod bundle;
pub mod crypto;
pub mod delta;
pub mod error;
pub mod evidence;
pub mod fsutil;
pub mod proof;
pub mod sigstore;
pub mod store;
pub mod time;
pub mod tlog;
pub mod trust;
pub mod vex;

pub use bundle_format;
pub use error::{Coded, FailureClass};
