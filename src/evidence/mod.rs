//! Evidence parsers: what vendors ship as evidence, read exactly and without trusting it.
//!
//! - [`advisory`]: security advisories (OSV, CSAF 2.0, Debian security tracker) → one normalized
//!   record; [`scan`]: what would be indexed from a file or directory.
//! - [`version`]: version ordering per ecosystem (dpkg, rpm, apk, semver) —
//!   [`version::compare`].
//! - [`changelog`]: Debian and RPM changelogs → entries with the vulnerability ids they
//!   mention and whether they state a fix — [`changelog::parse_debian`], [`changelog::parse_rpm`].
//! - [`patch`]: DEP-3 / git patches → files, hunks and HunkSig signatures —
//!   [`patch::parse_patch`] (`spec/hunksig.md`).
//! - [`decode`] (gzip/xz/zstd with output caps) and [`limits::Limits`] (every size cap).
//!
//! Everything here is a pure function over bytes or strings with documented size limits; no
//! network, no clock, no store. Must not depend on `store`, `bundle` or the command line.

pub mod advisory;
pub mod changelog;
pub mod decode;
pub mod limits;
pub mod patch;
pub mod scan;
pub mod version;
