//! Evidence parsers: what vendors ship as evidence, read exactly and without trusting it.
//!
//! - [`version`]: version ordering per ecosystem (dpkg, rpm, apk, semver) —
//!   [`version::compare`].
//!
//! Everything here is a pure function over bytes or strings with documented size limits; no
//! network, no clock, no store. Must not depend on `store`, `bundle` or the command line.

pub mod version;
