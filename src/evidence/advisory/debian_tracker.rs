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

use std::collections::BTreeMap;

use super::ecosystem::{self, VersionScheme};
use super::{
    Advisory, AdvisoryError, AffectedPackage, DocumentDigest, Limits, Reference, Source, Status,
    is_cve_id,
};

mod wire {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    pub type Document = BTreeMap<String, BTreeMap<String, Entry>>;

    #[derive(Debug, Deserialize)]
    pub struct Entry {
        #[serde(default)]
        pub description: Option<String>,
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

    /// The tracker writes an empty map as `[]`; accept that, `null`, or a map. A visitor (not
    /// an untagged enum) so errors inside a release keep their field path.
    fn map_or_empty_list<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Release>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = BTreeMap<String, Release>;
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
                d.deserialize_any(V)
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
                while let Some((k, v)) = map.next_entry::<String, Release>()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the tracker JSON; records come out sorted by id.
///
/// # Errors
/// [`AdvisoryError`] for malformed JSON, wrongly typed fields, unknown status words or limits.
pub fn parse(
    bytes: &[u8],
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Vec<Advisory>, AdvisoryError> {
    let doc: wire::Document = super::from_json(Source::DebianTracker, bytes)?;
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (package, entries) in doc {
        for (id, entry) in entries {
            if !by_id.contains_key(&id) && by_id.len() >= limits.max_records {
                return Err(AdvisoryError::LimitExceeded {
                    source_kind: Source::DebianTracker,
                    what: "records",
                    limit: limits.max_records,
                });
            }
            let advisory = by_id.entry(id.clone()).or_insert_with(|| Advisory {
                source: Source::DebianTracker,
                cve_ids: if is_cve_id(&id) {
                    vec![id.clone()]
                } else {
                    Vec::new()
                },
                id: id.clone(),
                aliases: Vec::new(),
                related: Vec::new(),
                summary: None,
                published: None,
                modified: None,
                withdrawn: None,
                affected: Vec::new(),
                references: Vec::new(),
                document,
                warnings: Vec::new(),
            });
            if advisory.summary.is_none() {
                advisory.summary = entry.description.clone();
            }
            if let Some(bug) = &entry.debianbug {
                let n = match bug {
                    wire::Bug::Number(n) => n.to_string(),
                    wire::Bug::Text(t) => t.clone(),
                };
                let r = Reference {
                    kind: "bug".into(),
                    url: format!("https://bugs.debian.org/{n}"),
                };
                if !advisory.references.contains(&r) {
                    advisory.references.push(r);
                }
            }
            for (codename, rel) in entry.releases {
                let field = format!("{package}.{id}.releases.{codename}.status");
                advisory
                    .affected
                    .push(convert_release(&package, &codename, rel, &field)?);
                if advisory.affected.len() > limits.max_affected_per_record {
                    return Err(AdvisoryError::LimitExceeded {
                        source_kind: Source::DebianTracker,
                        what: "affected entries",
                        limit: limits.max_affected_per_record,
                    });
                }
            }
        }
    }
    let mut out: Vec<Advisory> = by_id.into_values().collect();
    for a in &mut out {
        a.references.sort();
    }
    Ok(out)
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
    let info = ecosystem::EcosystemInfo {
        purl_type: Some("deb"),
        namespace: Some("debian"),
        scheme: VersionScheme::Deb,
        release: Some(codename.to_owned()),
        distro: Some(codename.to_owned()),
    };
    let fixed = match status {
        Status::Fixed => fixed_version.into_iter().collect(),
        _ => Vec::new(),
    };
    Ok(AffectedPackage {
        name: package.to_owned(),
        purl: ecosystem::derive_purl(&info, package),
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
