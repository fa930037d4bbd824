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
//! - [`purl`]: Package URLs — parse/format, store keys, `distro` releases, version scheme per
//!   type, source package names.
//! - [`package`]: `.deb` binary packages and Debian source packages (`.dsc`, `.debian.tar.*`)
//!   → control fields, changelogs and patches.
//! - [`decode`] (gzip/xz/zstd with output caps) and [`limits::Limits`] (every size cap).
//!
//! Everything here is a pure function over bytes or strings with documented size limits; no
//! network, no clock, no store. Must not depend on `store`, `bundle` or the command line.

pub mod advisory;
pub mod changelog;
pub mod decode;
pub mod limits;
#[cfg(test)]
mod mutation_tests;
pub mod package;
pub mod patch;
pub mod purl;
pub mod scan;
pub mod version;
