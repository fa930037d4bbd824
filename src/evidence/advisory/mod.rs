//! Security advisories from three feeds, normalized into one [`Advisory`] record.
//!
//! Feeds read here: [OSV](osv) (every distro and language ecosystem), [CSAF 2.0](csaf)
//! (security advisories and the VEX profile) and the [Debian security tracker's JSON](debian_tracker).
//! [`parse`] sniffs which one a document is and returns every record in it together with the
//! digests of the raw bytes; [`parse_as`] skips the sniffing. Parsers are pure functions over
//! `&[u8]`: no file system, no network, no clock. This module must not depend on the store, the
//! bundle or the CLI.
//!
//! # The record
//!
//! | field | meaning |
//! |---|---|
//! | `source` | `osv`, `csaf` or `debian-tracker` |
//! | `id` | the feed's id: OSV `id`, CSAF `document.tracking.id`, the tracker's CVE/TEMP id |
//! | `aliases` | other ids for the same vulnerability (OSV `aliases` + `upstream`, CSAF tracking aliases and vulnerability `cve`/`ids`), sorted, without `id` |
//! | `related` | OSV `related` ids (a different but connected issue) |
//! | `cve_ids` | every `CVE-YYYY-NNNN+` among `id`, `aliases`, OSV `upstream`, a `PREFIX-CVE-…` id, CSAF `cve`; sorted, unique |
//! | `summary` | OSV `summary`, CSAF `document.title`, the tracker's `description` |
//! | `published`, `modified`, `withdrawn` | RFC 3339 UTC, whole seconds (CSAF: `initial_release_date`, `current_release_date`) |
//! | `affected` | one [`AffectedPackage`] per package (and release, and status) the feed speaks about |
//! | `references` | URLs with the feed's kind (`ADVISORY`, `FIX`, `self`, `external`, …) |
//! | `document` | size, SHA-256 and BLAKE3 of the raw document the record came from |
//! | `warnings` | what was repaired or ignored while reading (a malformed purl, an unknown range event) |
//!
//! An [`AffectedPackage`] names the package as a purl without version (`pkg:deb/debian/curl?distro=bookworm`),
//! its `ecosystem` (OSV form such as `Debian:12`, `Ubuntu:Pro:20.04:LTS`, `Red Hat:rhel_aus:8.6::appstream`),
//! the `release` within that ecosystem, the `version_scheme` used to compare its versions, the
//! `ranges` (OSV events `introduced`/`fixed`/`last_affected`/`limit`, CSAF version ranges as
//! `expression`), the explicitly listed affected `versions`, the `fixed` versions, and the
//! `vulnerabilities` the entry is about (empty means: every id of the advisory).
//!
//! # Status mapping
//!
//! [`Status`] says what the advisory states about the package in that release:
//!
//! | status | OSV | CSAF `product_status` (+ remediations) | Debian tracker |
//! |---|---|---|---|
//! | `fixed` | a range has a `fixed` event (versions in the ranges are affected, `fixed` lists the fixes) | `fixed`, `first_fixed`, `recommended`; affected versions of the same package line go to `versions` | `resolved` with a `fixed_version` other than `0` |
//! | `not-affected` | — (OSV lists affected packages only) | `known_not_affected` (`justification` = the flag label) | `resolved` with `fixed_version` `0` (the tracker's `<not-affected>`) |
//! | `affected` | no `fixed` event (only `introduced` / `last_affected` / listed versions) | `known_affected`, `first_affected`, `last_affected` without a fixed version | `open`, also `<no-dsa>` and `<postponed>` (the fix waits for a point release) |
//! | `will-not-fix` | — | affected and a `no_fix_planned` or `none_available` remediation (Red Hat: "Out of support scope", "Fix deferred"; `justification` keeps the text) | `open` with `nodsa_reason` `ignored`, or urgency `end-of-life` |
//! | `under-investigation` | — | `under_investigation` | `undetermined` |
//!
//! A withdrawn OSV record keeps its statuses and has `withdrawn` set; consumers must not use it
//! as evidence.

pub mod csaf;
pub mod debian_tracker;
pub mod ecosystem;
pub mod osv;
mod sniff;

use std::fmt;

use bundle_format::digest::{Digest, DualHasher};
use serde::{Deserialize, Serialize};

use crate::error::{Coded, FailureClass};

pub use ecosystem::{EcosystemInfo, VersionScheme};

/// Caps on attacker-controlled sizes while reading advisory documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes. Default 256 MiB: the whole Debian security
    /// tracker JSON, the largest real feed document, is about 70 MB (2025).
    pub max_document_bytes: u64,
    /// Most advisory records one document may produce (default 1,000,000; the tracker JSON
    /// has about 100,000 CVE ids).
    pub max_records: usize,
    /// Most affected-package entries per record (default 100,000).
    pub max_affected_per_record: usize,
    /// Deepest CSAF product-tree branch nesting (default 30; real trees use 3 to 5).
    pub max_branch_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 256 * 1024 * 1024,
            max_records: 1_000_000,
            max_affected_per_record: 100_000,
            max_branch_depth: 30,
        }
    }
}

/// The feed a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Source {
    /// An OSV record (`https://ossf.github.io/osv-schema/`).
    Osv,
    /// A CSAF 2.0 document (any profile, including VEX).
    Csaf,
    /// The Debian security tracker's JSON (`security-tracker.debian.org/tracker/data/json`).
    DebianTracker,
}

impl Source {
    /// The kebab-case name (`osv`, `csaf`, `debian-tracker`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Osv => "osv",
            Self::Csaf => "csaf",
            Self::DebianTracker => "debian-tracker",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an advisory states about a package in a release (see the module docs for the mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// Fixed: `fixed` names the version(s) carrying the fix.
    Fixed,
    /// The package is not affected.
    NotAffected,
    /// Affected, no fixed version named.
    Affected,
    /// Affected and the vendor does not plan to fix it.
    WillNotFix,
    /// The vendor has not determined yet.
    UnderInvestigation,
}

impl Status {
    /// The kebab-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::NotAffected => "not-affected",
            Self::Affected => "affected",
            Self::WillNotFix => "will-not-fix",
            Self::UnderInvestigation => "under-investigation",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Size and digests of the raw document a record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDigest {
    /// Length in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: Digest,
    /// BLAKE3 of the bytes.
    pub blake3: Digest,
}

impl DocumentDigest {
    /// Hashes `bytes` (both algorithms in one pass).
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        let mut h = DualHasher::new();
        h.update(bytes);
        let d = h.finish();
        Self {
            size_bytes: d.size,
            sha256: d.sha256,
            blake3: d.blake3,
        }
    }
}

/// One range event (OSV semantics; serialized as `{"introduced": "1.0"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// Versions from here on are affected (`0` = from the beginning).
    Introduced(String),
    /// This version and later ones are not affected.
    Fixed(String),
    /// This version is the last affected one.
    LastAffected(String),
    /// Upper bound of the range, exclusive, not a fix (OSV `limit`).
    Limit(String),
}

/// A range of affected versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `ecosystem`, `semver`, `git` (OSV range types, lowercased; unknown ones kept lowercased)
    /// or `csaf-version-range` (a CSAF `product_version_range` branch; the text is in
    /// `expression`).
    pub kind: String,
    /// For `git` ranges: the repository URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Events in feed order.
    #[serde(default)]
    pub events: Vec<Event>,
    /// A range written as text (CSAF `vers:` or free text such as `0 < 9.8.12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// What the advisory says about one package (in one release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// Package name as the feed spells it (OSV `package.name`, the CSAF product's name, the
    /// tracker's source package).
    pub name: String,
    /// Package URL without version (`pkg:deb/ubuntu/curl?arch=src&distro=focal`), with a
    /// `distro` qualifier where the feed gives the release; `None` if none can be formed.
    pub purl: Option<String>,
    /// OSV ecosystem string (kept verbatim even when unknown to us); derived for the tracker
    /// (`Debian:12`); `None` for CSAF.
    pub ecosystem: Option<String>,
    /// The release within the ecosystem: Debian codename (`bookworm`, also for OSV's
    /// `Debian:12`), Ubuntu release (`20.04:LTS`, `Pro:16.04:LTS`), Alpine branch (`v3.18`), Red Hat CPE-derived stream
    /// (`enterprise_linux:9::appstream`), CSAF platform product name when no CPE exists.
    pub release: Option<String>,
    /// How versions of this package compare.
    pub version_scheme: VersionScheme,
    /// The status (see the module docs).
    pub status: Status,
    /// Affected ranges.
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions, sorted as given (OSV `versions`, CSAF affected
    /// product versions).
    pub versions: Vec<String>,
    /// Fixed versions (sorted, unique).
    pub fixed: Vec<String>,
    /// Vulnerability ids this entry is about; empty = every id of the advisory.
    pub vulnerabilities: Vec<String>,
    /// Why not affected / why not fixed (CSAF flag label or remediation text, tracker
    /// `nodsa`/`nodsa_reason`, `end-of-life`).
    pub justification: Option<String>,
    /// Severity or urgency as the feed words it (tracker urgency, Ubuntu priority, CSAF impact).
    pub severity: Option<String>,
    /// CPE of the product or platform (CSAF).
    pub cpe: Option<String>,
    /// CSAF product ids this entry was formed from (sorted).
    pub product_ids: Vec<String>,
    /// Binary package names built from this (source) package, where the feed lists them
    /// (Ubuntu OSV `ecosystem_specific.binaries`).
    pub binaries: Vec<String>,
}

/// A link given by the advisory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reference {
    /// The feed's kind for the link (OSV `type`, CSAF `category`; `bug` for tracker bugs).
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// One normalized advisory record (see the module docs for each field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The feed.
    pub source: Source,
    /// The feed's id for the record.
    pub id: String,
    /// Other ids for the same vulnerability (sorted, unique, without `id`).
    pub aliases: Vec<String>,
    /// Related but different issues (OSV `related`), sorted.
    pub related: Vec<String>,
    /// CVE ids the record is about (sorted, unique).
    pub cve_ids: Vec<String>,
    /// Short title or description.
    pub summary: Option<String>,
    /// First publication, RFC 3339 UTC.
    pub published: Option<String>,
    /// Last modification, RFC 3339 UTC.
    pub modified: Option<String>,
    /// When the record was withdrawn, if it was.
    pub withdrawn: Option<String>,
    /// What the advisory says per package.
    pub affected: Vec<AffectedPackage>,
    /// Links, in feed order without duplicates.
    pub references: Vec<Reference>,
    /// Digest of the raw document.
    pub document: DocumentDigest,
    /// What was repaired or ignored while reading.
    pub warnings: Vec<String>,
}

impl Advisory {
    /// Every id an affected entry is about: its own `vulnerabilities`, else the advisory's id,
    /// aliases and CVE ids (sorted, unique).
    #[must_use]
    pub fn ids_for(&self, entry: &AffectedPackage) -> Vec<String> {
        let mut ids: Vec<String> = if entry.vulnerabilities.is_empty() {
            std::iter::once(self.id.clone())
                .chain(self.aliases.iter().cloned())
                .chain(self.cve_ids.iter().cloned())
                .collect()
        } else {
            entry.vulnerabilities.clone()
        };
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Every record read from one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedDocument {
    /// The feed the document belongs to.
    pub source: Source,
    /// Digest of the raw bytes.
    pub document: DocumentDigest,
    /// The records, in a deterministic order (feed order for OSV/CSAF, by id for the tracker).
    pub advisories: Vec<Advisory>,
}

/// Why an advisory document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvisoryError {
    /// The document is larger than [`Limits::max_document_bytes`].
    #[error("document is {size_bytes} bytes, over the limit of {max_bytes} bytes")]
    TooLarge {
        /// Size of the document.
        size_bytes: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// The document is not one of the formats read here.
    #[error(
        "not an advisory document: expected OSV, CSAF 2.0 or Debian security tracker JSON, {found}"
    )]
    UnknownFormat {
        /// What was found instead.
        found: String,
    },
    /// The bytes are not well-formed JSON.
    #[error("{format}: malformed JSON at line {line} column {column}: {message}")]
    Syntax {
        /// The format being read (`osv`, `csaf`, `debian-tracker`, or `json` before detection).
        format: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// A field is missing or has the wrong type or value.
    #[error("{source_kind}: field {field}: {message}{}", location(*line, *column))]
    Field {
        /// The format being read.
        source_kind: Source,
        /// Path of the field (`affected[2].ranges[0].events`).
        field: String,
        /// What was expected and found.
        message: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
    },
    /// A count exceeds one of the [`Limits`].
    #[error("{source_kind}: {what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// The format being read.
        source_kind: Source,
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

fn location(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line} column {column})")
    }
}

impl AdvisoryError {
    /// The 1-based line and column the error points at, when known.
    #[must_use]
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Syntax { line, column, .. } | Self::Field { line, column, .. } if *line > 0 => {
                Some((*line, *column))
            }
            _ => None,
        }
    }

    /// The field path the error names, when there is one.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn field_error(
        source_kind: Source,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Field {
            source_kind,
            field: field.into(),
            message: message.into(),
            line: 0,
            column: 0,
        }
    }
}

impl Coded for AdvisoryError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "advisory-too-large",
            Self::UnknownFormat { .. } => "advisory-unknown-format",
            Self::Syntax { .. } => "advisory-malformed-json",
            Self::Field { .. } => "advisory-invalid-field",
            Self::LimitExceeded { .. } => "advisory-limit-exceeded",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// Which feed `bytes` belong to, from the first keys of the JSON document; `None` if the
/// document is none of them (or not JSON).
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<Source> {
    sniff::sniff(bytes).ok()
}

/// Reads every advisory record in `bytes`, detecting the feed.
///
/// # Errors
/// [`AdvisoryError`] naming the field, line and column of the first problem.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<ParsedDocument, AdvisoryError> {
    check_size(bytes, limits)?;
    let source = sniff::sniff(bytes).map_err(|found| {
        // Malformed JSON gets a syntax error, not "unknown format".
        match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(e) if e.is_syntax() || e.is_eof() => AdvisoryError::Syntax {
                format: "json",
                line: e.line(),
                column: e.column(),
                message: strip_position(&e),
            },
            _ => AdvisoryError::UnknownFormat { found },
        }
    })?;
    parse_as(source, bytes, limits)
}

/// Reads `bytes` as a document of the given feed.
///
/// # Errors
/// [`AdvisoryError`] naming the field, line and column of the first problem.
pub fn parse_as(
    source: Source,
    bytes: &[u8],
    limits: &Limits,
) -> Result<ParsedDocument, AdvisoryError> {
    check_size(bytes, limits)?;
    let document = DocumentDigest::of(bytes);
    let advisories = match source {
        Source::Osv => vec![osv::parse(bytes, document, limits)?],
        Source::Csaf => vec![csaf::parse(bytes, document, limits)?],
        Source::DebianTracker => debian_tracker::parse(bytes, document, limits)?,
    };
    Ok(ParsedDocument {
        source,
        document,
        advisories,
    })
}

/// Opens a Debian security tracker document for the two-pass streaming read
/// ([`debian_tracker::TrackerDocument`]), or `Ok(None)` when the document is not one (read
/// those with [`parse`]).
///
/// # Errors
/// As [`parse`] for a tracker document: size, syntax, shape or record limits.
pub fn open_tracker<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Option<debian_tracker::TrackerDocument<'a>>, AdvisoryError> {
    if sniff::sniff(bytes) != Ok(Source::DebianTracker) {
        return Ok(None);
    }
    check_size(bytes, limits)?;
    debian_tracker::TrackerDocument::read(bytes, DocumentDigest::of(bytes), limits).map(Some)
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), AdvisoryError> {
    let size_bytes = bytes.len() as u64;
    if size_bytes > limits.max_document_bytes {
        return Err(AdvisoryError::TooLarge {
            size_bytes,
            max_bytes: limits.max_document_bytes,
        });
    }
    Ok(())
}

/// Deserializes `T` from JSON: the fast path without path tracking; on failure the document
/// is read again with path tracking so the error names the field.
pub(crate) fn from_json<'de, T: Deserialize<'de>>(
    source_kind: Source,
    bytes: &'de [u8],
) -> Result<T, AdvisoryError> {
    let fast = {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        T::deserialize(&mut de).and_then(|v| de.end().map(|()| v))
    };
    let err = match fast {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if err.is_syntax() || err.is_eof() {
        return Err(AdvisoryError::Syntax {
            format: source_kind.as_str(),
            line: err.line(),
            column: err.column(),
            message: strip_position(&err),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => Err(AdvisoryError::Field {
            source_kind,
            field: "(document)".into(),
            message: strip_position(&err),
            line: err.line(),
            column: err.column(),
        }),
        Err(e) => {
            let inner = e.inner();
            Err(AdvisoryError::Field {
                source_kind,
                field: e.path().to_string(),
                message: strip_position(inner),
                line: inner.line(),
                column: inner.column(),
            })
        }
    }
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Normalizes a feed timestamp to RFC 3339 UTC whole seconds; a bare date becomes midnight
/// UTC. Returns `Err(text)` when the text is neither.
pub(crate) fn normalize_time(text: &str) -> Result<String, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(crate::time::format_instant(ts));
    }
    // Some feeds omit the offset or give a date only.
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)
    {
        return Ok(crate::time::format_instant(z.timestamp()));
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
    {
        return Ok(crate::time::format_instant(z.timestamp()));
    }
    Err(text.to_owned())
}

/// Normalizes an optional time, recording a warning for unreadable text (kept verbatim).
pub(crate) fn time_field(
    value: Option<&str>,
    field: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let v = value?;
    match normalize_time(v) {
        Ok(t) => Some(t),
        Err(raw) => {
            warnings.push(format!(
                "{field}: {raw:?} is not an RFC 3339 time; kept as given"
            ));
            Some(raw)
        }
    }
}

/// True for `CVE-YYYY-NNNN+` (case-sensitive, as every feed writes it).
#[must_use]
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// The CVE id embedded in an id such as `UBUNTU-CVE-2023-38545` or `ALSA-CVE-…`.
pub(crate) fn embedded_cve(id: &str) -> Option<&str> {
    if is_cve_id(id) {
        return Some(id);
    }
    let i = id.find("-CVE-")?;
    let tail = &id[i + 1..];
    is_cve_id(tail).then_some(tail)
}

/// Sorts and deduplicates.
pub(crate) fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Deserializes `null` as the default value (feeds write `"aliases": null`).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_are_recognized() {
        assert!(is_cve_id("CVE-2023-38545"));
        assert!(is_cve_id("CVE-2021-1234567"));
        assert!(!is_cve_id("CVE-2023-385"));
        assert!(!is_cve_id("cve-2023-38545"));
        assert_eq!(
            embedded_cve("UBUNTU-CVE-2023-38545"),
            Some("CVE-2023-38545")
        );
        assert_eq!(embedded_cve("USN-6429-1"), None);
    }

    #[test]
    fn times_normalize_to_utc_seconds() {
        assert_eq!(
            normalize_time("2024-08-22T19:20:09.516938+00:00").unwrap(),
            "2024-08-22T19:20:09Z"
        );
        assert_eq!(
            normalize_time("2022-03-14T13:10:55.000+01:00").unwrap(),
            "2022-03-14T12:10:55Z"
        );
        assert_eq!(
            normalize_time("2014-09-20").unwrap(),
            "2014-09-20T00:00:00Z"
        );
        assert!(normalize_time("soon").is_err());
    }

    #[test]
    fn oversized_documents_are_refused() {
        let limits = Limits {
            max_document_bytes: 4,
            ..Limits::default()
        };
        let err = parse(b"{\"id\": \"X\"}", &limits).unwrap_err();
        assert_eq!(err.code(), "advisory-too-large");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse(
            b"{\n  \"id\": \"X\",\n  \"affected\": [\n",
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "advisory-malformed-json");
        assert_eq!(err.position().map(|p| p.0), Some(4));
        let err = parse(b"[1, 2]", &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "advisory-unknown-format");
    }
}
#[cfg(test)]
mod fixture_tests;
