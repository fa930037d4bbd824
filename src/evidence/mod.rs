//! Evidence parsers: security advisories (OSV, CSAF 2.0, Debian security tracker), and — from
//! the versions engineer — distro version ordering, purls, changelogs, patches and packages.
//!
//! Parsers are pure functions over bytes; they never touch the network or the clock.

pub mod advisory;
pub mod scan;
