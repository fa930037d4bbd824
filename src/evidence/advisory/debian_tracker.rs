//! The Debian security tracker's JSON (`https://security-tracker.debian.org/tracker/data/json`)
//! → one [`Advisory`] per vulnerability id (CVE or TEMP id), with one [`AffectedPackage`] per
//! (source package, release).
//!
//! The document is `{package: {id: {description, scope, debianbug, releases: {codename:
//! {status, fixed_version, urgency, nodsa, nodsa_reason, repositories}}}}}`. Status mapping
//! (the tracker's `data/CVE/list` annotations in brackets):
//!
//! | tracker | status |
//! |---|---|
//! | `resolved`, `fixed_version` `0` (`<not-affected>`) | `not-affected` |
//! | `resolved`, any other `fixed_version` | `fixed` (`fixed` = that version) |
//! | `open` with urgency `end-of-life` (`<end-of-life>`) | `will-not-fix` |
//! | `open` with `nodsa_reason` `ignored` (`<ignored>`) | `will-not-fix` |
//! | `open` with `nodsa_reason` `postponed` (`<postponed>`), `<no-dsa>`, `<unfixed>` | `affected` |
//! | `undetermined` (`<undetermined>`) | `under-investigation` |
//!
//! `justification` keeps `nodsa`/`nodsa_reason` or `end-of-life`; `severity` keeps the urgency
//! (`**` marks an urgency the tracker guessed). `releases: []` (an empty list, as the tracker
//! writes an empty map) is read as no releases. Unknown status words are an error naming the
//! field.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;

use super::ecosystem::{self, VersionScheme};
use super::{
    Advisory, AdvisoryError, AffectedPackage, DocumentDigest, Limits, Reference, Source, Status,
    is_cve_id,
};

mod wire {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    #[derive(Debug, Deserialize)]
    pub struct Entry {
        #[serde(default)]
        pub debianbug: Option<Bug>,
        #[serde(default, deserialize_with = "map_or_empty_list")]
        pub releases: BTreeMap<String, Release>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum Bug {
        Number(u64),
        Text(String),
    }

    #[derive(Debug, Deserialize)]
    pub struct Release {
        pub status: String,
        #[serde(default)]
        pub fixed_version: Option<String>,
        #[serde(default)]
        pub urgency: Option<String>,
        #[serde(default)]
        pub nodsa: Option<String>,
        #[serde(default)]
        pub nodsa_reason: Option<String>,
    }

    /// The tracker writes an empty map as `[]`; accept that, `null`, or a map of releases
    /// (values read as `R`: a [`Release`], or `IgnoredAny` in the first pass; a repeated
    /// codename keeps its last value). A visitor (not an untagged enum) so errors inside a
    /// release keep their field path.
    pub(super) fn map_or_empty_list<'de, D: Deserializer<'de>, R: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, R>, D::Error> {
        struct V<R>(std::marker::PhantomData<R>);
        impl<'de, R: Deserialize<'de>> serde::de::Visitor<'de> for V<R> {
            type Value = BTreeMap<String, R>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of releases (or an empty list)")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(BTreeMap::new())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(BTreeMap::new())
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "expected a map of releases, found a non-empty list",
                    ));
                }
                Ok(BTreeMap::new())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, R>()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The first pass's view of an entry: its description (borrowed where the JSON has no
/// escapes) and the codenames of its releases (their contents skipped unread).
mod light {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde::de::IgnoredAny;

    #[derive(Debug, Deserialize)]
    pub struct Entry<'a> {
        #[serde(default, borrow)]
        pub description: Option<Cow<'a, str>>,
        #[serde(default, deserialize_with = "super::wire::map_or_empty_list")]
        pub releases: BTreeMap<String, IgnoredAny>,
    }
}

/// Reads the tracker JSON; records come out sorted by id.
///
/// Built on [`TrackerDocument`]: the per-package fragments are merged per id, so this and the
/// streaming path cannot disagree.
///
/// # Errors
/// [`AdvisoryError`] for malformed JSON, wrongly typed fields, unknown status words or limits.
pub fn parse(
    bytes: &[u8],
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Vec<Advisory>, AdvisoryError> {
    let doc = TrackerDocument::read(bytes, document, limits)?;
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    doc.for_each_fragment(|fragment| {
        match by_id.get_mut(&fragment.id) {
            Some(advisory) => {
                advisory.affected.extend(fragment.affected);
                for r in fragment.references {
                    if !advisory.references.contains(&r) {
                        advisory.references.push(r);
                    }
                }
            }
            None => {
                by_id.insert(fragment.id.clone(), fragment);
            }
        }
        Ok(())
    })?;
    let mut out: Vec<Advisory> = by_id.into_values().collect();
    for a in &mut out {
        a.references.sort();
    }
    Ok(out)
}

/// What the first pass learns about one vulnerability id across all packages.
#[derive(Debug)]
struct IdSummary<'a> {
    /// The description of the first package (in name order) that gives one.
    summary: Option<Cow<'a, str>>,
    /// Releases named for this id, summed over packages (the record's affected entries).
    affected: usize,
}

/// A tracker document read in two passes, so that no whole-document tree is ever built:
///
/// 1. [`TrackerDocument::read`] checks the JSON syntax of the whole document, splits it into
///    one raw slice per package (sorted by name; a repeated name keeps its last value, as a map
///    would), and reads each package lightly to learn every id's summary and affected count
///    (the record and affected-entry limits are checked here, in document order).
/// 2. [`TrackerDocument::for_each_fragment`] reads one package at a time and hands out one
///    *fragment* per (package, id): the [`Advisory`] that [`parse`] would build for that id,
///    restricted to this package's releases and bug reference. Memory is the raw document plus
///    one package's records, plus the per-id summaries.
///
/// Invariant: merging the fragments of an id in package-name order (affected entries appended,
/// references deduplicated) gives exactly the record [`parse`] returns.
#[derive(Debug)]
pub struct TrackerDocument<'a> {
    bytes: &'a [u8],
    document: DocumentDigest,
    packages: BTreeMap<String, &'a RawValue>,
    ids: HashMap<String, IdSummary<'a>>,
}

impl<'a> TrackerDocument<'a> {
    /// The first pass (see the type docs).
    ///
    /// # Errors
    /// [`AdvisoryError`] for malformed JSON, a package that is not a map of ids, or limits.
    pub fn read(
        bytes: &'a [u8],
        document: DocumentDigest,
        limits: &Limits,
    ) -> Result<Self, AdvisoryError> {
        let packages: BTreeMap<String, &'a RawValue> =
            super::from_json(Source::DebianTracker, bytes)?;
        let mut ids: HashMap<String, IdSummary<'a>> = HashMap::new();
        for (package, raw) in &packages {
            let entries: BTreeMap<String, light::Entry<'a>> = read_package(bytes, package, raw)?;
            for (id, entry) in entries {
                if !ids.contains_key(&id) && ids.len() >= limits.max_records {
                    return Err(AdvisoryError::LimitExceeded {
                        source_kind: Source::DebianTracker,
                        what: "records",
                        limit: limits.max_records,
                    });
                }
                let seen = ids.entry(id).or_insert(IdSummary {
                    summary: None,
                    affected: 0,
                });
                if seen.summary.is_none() {
                    seen.summary = entry.description;
                }
                seen.affected += entry.releases.len();
                if seen.affected > limits.max_affected_per_record {
                    return Err(AdvisoryError::LimitExceeded {
                        source_kind: Source::DebianTracker,
                        what: "affected entries",
                        limit: limits.max_affected_per_record,
                    });
                }
            }
        }
        Ok(Self {
            bytes,
            document,
            packages,
            ids,
        })
    }

    /// Source package names, sorted.
    pub fn package_names(&self) -> impl Iterator<Item = &str> {
        self.packages.keys().map(String::as_str)
    }

    /// The second pass: calls `f` with each (package, id) fragment, packages in name order and
    /// ids in order within a package (see the type docs). Stops at the first error.
    ///
    /// # Errors
    /// [`AdvisoryError`] for wrongly typed fields or unknown status words, or whatever `f`
    /// returns.
    pub fn for_each_fragment(
        &self,
        mut f: impl FnMut(Advisory) -> Result<(), AdvisoryError>,
    ) -> Result<(), AdvisoryError> {
        for (package, raw) in &self.packages {
            let entries: BTreeMap<String, wire::Entry> = read_package(self.bytes, package, raw)?;
            for (id, entry) in entries {
                f(self.fragment(package, id, entry)?)?;
            }
        }
        Ok(())
    }

    fn fragment(
        &self,
        package: &str,
        id: String,
        entry: wire::Entry,
    ) -> Result<Advisory, AdvisoryError> {
        let summary = self
            .ids
            .get(&id)
            .and_then(|s| s.summary.as_deref())
            .map(str::to_owned);
        let references = entry
            .debianbug
            .map(|bug| {
                let n = match bug {
                    wire::Bug::Number(n) => n.to_string(),
                    wire::Bug::Text(t) => t,
                };
                Reference {
                    kind: "bug".into(),
                    url: format!("https://bugs.debian.org/{n}"),
                }
            })
            .into_iter()
            .collect();
        let mut affected = Vec::with_capacity(entry.releases.len());
        for (codename, rel) in entry.releases {
            let field = format!("{package}.{id}.releases.{codename}.status");
            affected.push(convert_release(package, &codename, rel, &field)?);
        }
        Ok(Advisory {
            source: Source::DebianTracker,
            cve_ids: if is_cve_id(&id) {
                vec![id.clone()]
            } else {
                Vec::new()
            },
            id,
            aliases: Vec::new(),
            related: Vec::new(),
            summary,
            published: None,
            modified: None,
            withdrawn: None,
            affected,
            references,
            document: self.document,
            warnings: Vec::new(),
        })
    }
}

/// Reads one package's raw slice as `T`; a field error names the package in its path and
/// keeps its position in the whole document.
fn read_package<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    package: &str,
    raw: &'a RawValue,
) -> Result<T, AdvisoryError> {
    let text = raw.get();
    super::from_json(Source::DebianTracker, text.as_bytes()).map_err(|mut e| {
        if let AdvisoryError::Field {
            field,
            line,
            column,
            ..
        } = &mut e
        {
            // Pointer arithmetic on addresses only: `text` is a sub-slice of `bytes`.
            let offset = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
            (*line, *column) = document_position(bytes, offset, *line, *column);
            *field = match field.as_str() {
                "" | "." | "(document)" => package.to_owned(),
                inner => format!("{package}.{inner}"),
            };
        }
        e
    })
}

/// Converts a (1-based) position inside a slice that starts at `offset` of `bytes` into a
/// position in `bytes`. Line 0 means "no position" and stays so.
fn document_position(bytes: &[u8], offset: usize, line: usize, column: usize) -> (usize, usize) {
    if line == 0 {
        return (0, 0);
    }
    let before = &bytes[..offset.min(bytes.len())];
    let newlines = before.iter().filter(|&&b| b == b'\n').count();
    if line > 1 {
        return (newlines + line, column);
    }
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (newlines + 1, offset - line_start + column)
}

fn convert_release(
    package: &str,
    codename: &str,
    rel: wire::Release,
    field: &str,
) -> Result<AffectedPackage, AdvisoryError> {
    let fixed_version = rel.fixed_version.filter(|v| !v.is_empty());
    let urgency = rel.urgency.filter(|u| !u.is_empty());
    let reason = rel.nodsa_reason.as_deref().filter(|r| !r.is_empty());
    let (status, justification) = match rel.status.as_str() {
        "resolved" => match fixed_version.as_deref() {
            Some("0") => (Status::NotAffected, None),
            Some(_) => (Status::Fixed, None),
            None => {
                return Err(AdvisoryError::field_error(
                    Source::DebianTracker,
                    field,
                    "expected a fixed_version with status resolved, found none",
                ));
            }
        },
        "open" => {
            if urgency.as_deref() == Some("end-of-life") {
                (Status::WillNotFix, Some("end-of-life".to_owned()))
            } else if reason == Some("ignored") {
                (
                    Status::WillNotFix,
                    Some(nodsa_text("ignored", rel.nodsa.as_deref())),
                )
            } else if let Some(r) = reason {
                (Status::Affected, Some(nodsa_text(r, rel.nodsa.as_deref())))
            } else {
                (
                    Status::Affected,
                    rel.nodsa
                        .clone()
                        .filter(|n| !n.is_empty())
                        .map(|n| nodsa_text("no-dsa", Some(&n))),
                )
            }
        }
        "undetermined" => (Status::UnderInvestigation, None),
        other => {
            return Err(AdvisoryError::field_error(
                Source::DebianTracker,
                field,
                format!("expected resolved, open or undetermined, found {other:?}"),
            ));
        }
    };
    let number = ecosystem::debian_number(codename);
    let fixed = match status {
        Status::Fixed => fixed_version.into_iter().collect(),
        _ => Vec::new(),
    };
    Ok(AffectedPackage {
        name: package.to_owned(),
        purl: package_purl(package, codename),
        ecosystem: Some(match number {
            Some(n) => format!("Debian:{n}"),
            None => format!("Debian:{codename}"),
        }),
        release: Some(codename.to_owned()),
        version_scheme: VersionScheme::Deb,
        status,
        ranges: Vec::new(),
        versions: Vec::new(),
        fixed,
        vulnerabilities: Vec::new(),
        justification,
        severity: urgency,
        cpe: None,
        product_ids: Vec::new(),
        binaries: Vec::new(),
    })
}

/// The purl of source package `package` in release `codename`
/// (`pkg:deb/debian/curl?distro=bookworm`), `None` when none can be formed.
#[must_use]
pub fn package_purl(package: &str, codename: &str) -> Option<String> {
    let info = ecosystem::EcosystemInfo {
        purl_type: Some("deb"),
        namespace: Some("debian"),
        scheme: VersionScheme::Deb,
        release: Some(codename.to_owned()),
        distro: Some(codename.to_owned()),
    };
    ecosystem::derive_purl(&info, package)
}

fn nodsa_text(reason: &str, nodsa: Option<&str>) -> String {
    match nodsa.filter(|n| !n.is_empty()) {
        Some(n) => format!("{reason}: {n}"),
        None => reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;

    fn read(text: &str) -> Result<Vec<Advisory>, AdvisoryError> {
        let bytes = text.as_bytes();
        parse(bytes, DocumentDigest::of(bytes), &Limits::default())
    }

    #[test]
    fn statuses_map_as_documented() {
        let recs = read(
            r#"{"curl": {"CVE-2023-1": {"releases": {
                "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u4", "urgency": "high"},
                "bullseye": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"},
                "buster": {"status": "open", "urgency": "end-of-life"},
                "sid": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored"},
                "trixie": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "postponed"},
                "forky": {"status": "undetermined"}}},
              "TEMP-0000000-A": {"releases": []}}}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 2);
        let a = &recs[0];
        assert_eq!(a.id, "CVE-2023-1");
        let by: BTreeMap<&str, &AffectedPackage> = a
            .affected
            .iter()
            .map(|p| (p.release.as_deref().unwrap(), p))
            .collect();
        assert_eq!(by["bookworm"].status, Status::Fixed);
        assert_eq!(by["bookworm"].fixed, ["7.88.1-10+deb12u4"]);
        assert_eq!(
            by["bookworm"].purl.as_deref(),
            Some("pkg:deb/debian/curl?distro=bookworm")
        );
        assert_eq!(by["bookworm"].ecosystem.as_deref(), Some("Debian:12"));
        assert_eq!(by["bullseye"].status, Status::NotAffected);
        assert_eq!(by["buster"].status, Status::WillNotFix);
        assert_eq!(by["sid"].status, Status::WillNotFix);
        assert_eq!(
            by["sid"].justification.as_deref(),
            Some("ignored: Minor issue")
        );
        assert_eq!(by["trixie"].status, Status::Affected);
        assert_eq!(by["forky"].status, Status::UnderInvestigation);
        assert!(recs[1].affected.is_empty());
        assert!(recs[1].cve_ids.is_empty());
    }

    #[test]
    fn a_field_error_in_a_later_package_keeps_its_document_position() {
        let text = "{\"bash\": {},\n  \"curl\": {\"CVE-2023-1\": {\"releases\": {\"sid\": {\"urgency\": 7}}}}}";
        let err = read(text).unwrap_err();
        assert_eq!(err.field(), Some("curl.CVE-2023-1.releases.sid.urgency"));
        // serde_json reports the position just past the offending value `7`.
        let column = text.lines().nth(1).unwrap().find('7').unwrap() + 1;
        assert_eq!(err.position(), Some((2, column)));
        let err = read("{\"bash\": {}, \"curl\": \"x\"}").unwrap_err();
        assert_eq!(err.field(), Some("curl"));
        assert_eq!(err.position(), Some((1, 24)));
    }

    #[test]
    fn unknown_status_names_the_field() {
        let err = read(r#"{"curl": {"CVE-2023-1": {"releases": {"sid": {"status": "maybe"}}}}}"#)
            .unwrap_err();
        assert_eq!(err.code(), "advisory-invalid-field");
        assert_eq!(err.field(), Some("curl.CVE-2023-1.releases.sid.status"));
        let err = read(r#"{"curl": {"CVE-2023-1": {"releases": {"sid": {"urgency": "low"}}}}}"#)
            .unwrap_err();
        assert_eq!(err.field(), Some("curl.CVE-2023-1.releases.sid"));
    }
}
