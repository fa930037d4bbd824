//! OSV records (`https://ossf.github.io/osv-schema/`, schema 1.0–1.7) → [`Advisory`].
//!
//! Lenient where feeds differ and strict where meaning is at stake: unknown fields and unknown
//! ecosystems are kept or ignored, `null` is read as empty, a malformed purl is repaired or
//! re-derived with a warning; a missing `id` or a range event that is not a string is an error.
//! Status: a range with a `fixed` event → `fixed`, otherwise `affected` (OSV lists affected
//! packages only). Fixed versions are the `fixed` events of non-GIT ranges.

use super::ecosystem::{self, VersionScheme};
use super::{
    Advisory, AdvisoryError, AffectedPackage, DocumentDigest, Event, Limits, Range, Reference,
    Source, Status, embedded_cve, is_cve_id, nullable, sorted_unique, time_field,
};
use packageurl::PackageUrl;

mod wire {
    use serde::Deserialize;

    use super::nullable;

    #[derive(Debug, Deserialize)]
    pub struct Record {
        pub id: String,
        #[serde(default)]
        pub modified: Option<String>,
        #[serde(default)]
        pub published: Option<String>,
        #[serde(default)]
        pub withdrawn: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub aliases: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub related: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub upstream: Vec<String>,
        #[serde(default)]
        pub summary: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub affected: Vec<Affected>,
        #[serde(default, deserialize_with = "nullable")]
        pub references: Vec<Reference>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Affected {
        #[serde(default)]
        pub package: Option<Package>,
        #[serde(default, deserialize_with = "nullable")]
        pub ranges: Vec<Range>,
        #[serde(default, deserialize_with = "nullable")]
        pub versions: Vec<String>,
        #[serde(default)]
        pub ecosystem_specific: Option<serde_json::Value>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Package {
        #[serde(default)]
        pub ecosystem: String,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub purl: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Range {
        #[serde(rename = "type", default)]
        pub kind: String,
        #[serde(default)]
        pub repo: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub events: Vec<Event>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Event {
        #[serde(default)]
        pub introduced: Option<String>,
        #[serde(default)]
        pub fixed: Option<String>,
        #[serde(default)]
        pub last_affected: Option<String>,
        #[serde(default)]
        pub limit: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Reference {
        #[serde(rename = "type", default)]
        pub kind: String,
        #[serde(default)]
        pub url: String,
    }
}

/// Reads one OSV record.
///
/// # Errors
/// [`AdvisoryError`] for malformed JSON, a missing `id`, wrongly typed fields or limits.
pub fn parse(
    bytes: &[u8],
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Advisory, AdvisoryError> {
    let rec: wire::Record = super::from_json(Source::Osv, bytes)?;
    convert(rec, document, limits)
}

fn convert(
    rec: wire::Record,
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Advisory, AdvisoryError> {
    if rec.id.trim().is_empty() {
        return Err(AdvisoryError::field_error(
            Source::Osv,
            "id",
            "expected a non-empty id, found an empty string",
        ));
    }
    if rec.affected.len() > limits.max_affected_per_record {
        return Err(AdvisoryError::LimitExceeded {
            source_kind: Source::Osv,
            what: "affected entries",
            limit: limits.max_affected_per_record,
        });
    }
    let mut warnings = Vec::new();
    let published = time_field(rec.published.as_deref(), "published", &mut warnings);
    let modified = time_field(rec.modified.as_deref(), "modified", &mut warnings);
    let withdrawn = time_field(rec.withdrawn.as_deref(), "withdrawn", &mut warnings);

    let mut aliases: Vec<String> = rec
        .aliases
        .iter()
        .chain(&rec.upstream)
        .filter(|a| **a != rec.id)
        .cloned()
        .collect();
    aliases = sorted_unique(aliases);
    let mut cve_ids: Vec<String> = aliases.iter().filter(|a| is_cve_id(a)).cloned().collect();
    if let Some(c) = embedded_cve(&rec.id) {
        cve_ids.push(c.to_owned());
    }
    let cve_ids = sorted_unique(cve_ids);

    let mut affected = Vec::with_capacity(rec.affected.len());
    for (i, a) in rec.affected.into_iter().enumerate() {
        affected.push(convert_affected(a, i, &mut warnings)?);
    }

    let mut references: Vec<Reference> = Vec::with_capacity(rec.references.len());
    for r in rec.references {
        if r.url.is_empty() {
            continue;
        }
        let reference = Reference {
            kind: r.kind,
            url: r.url,
        };
        if !references.contains(&reference) {
            references.push(reference);
        }
    }

    Ok(Advisory {
        source: Source::Osv,
        id: rec.id,
        aliases,
        related: sorted_unique(rec.related),
        cve_ids,
        summary: rec.summary,
        published,
        modified,
        withdrawn,
        affected,
        references,
        document,
        warnings,
    })
}

fn convert_affected(
    a: wire::Affected,
    i: usize,
    warnings: &mut Vec<String>,
) -> Result<AffectedPackage, AdvisoryError> {
    let (eco, name, given_purl) = match a.package {
        Some(p) => (p.ecosystem, p.name, p.purl),
        None => (String::new(), String::new(), None),
    };
    let info = ecosystem::classify(&eco);
    let mut scheme = info.scheme;

    let mut ranges = Vec::with_capacity(a.ranges.len());
    let mut fixed = Vec::new();
    let mut any_fixed = false;
    for (j, r) in a.ranges.into_iter().enumerate() {
        let kind = r.kind.to_ascii_lowercase();
        let mut events = Vec::with_capacity(r.events.len());
        for (k, e) in r.events.into_iter().enumerate() {
            let set = [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
                .iter()
                .filter(|v| v.is_some())
                .count();
            if set != 1 {
                return Err(AdvisoryError::field_error(
                    Source::Osv,
                    format!("affected[{i}].ranges[{j}].events[{k}]"),
                    format!(
                        "expected exactly one of introduced, fixed, last_affected, limit, found {set}"
                    ),
                ));
            }
            let event = if let Some(v) = e.introduced {
                Event::Introduced(v)
            } else if let Some(v) = e.fixed {
                any_fixed = true;
                if kind != "git" {
                    fixed.push(v.clone());
                }
                Event::Fixed(v)
            } else if let Some(v) = e.last_affected {
                Event::LastAffected(v)
            } else if let Some(v) = e.limit {
                Event::Limit(v)
            } else {
                unreachable!("exactly one event field is set")
            };
            events.push(event);
        }
        if kind == "semver" && scheme == VersionScheme::Other {
            scheme = VersionScheme::Semver;
        }
        if kind == "git" && eco.is_empty() {
            scheme = VersionScheme::Git;
        }
        ranges.push(Range {
            kind,
            repo: r.repo,
            events,
            expression: None,
        });
    }

    let purl = resolve_purl(
        given_purl,
        &info,
        &name,
        &format!("affected[{i}].package.purl"),
        warnings,
    );
    // An entry without a package (a bare GIT range) is named by its repository.
    let name = if name.is_empty() {
        ranges
            .iter()
            .find_map(|r| r.repo.clone())
            .unwrap_or_default()
    } else {
        name
    };
    if scheme == VersionScheme::Other
        && let Some(p) = purl.as_deref().and_then(|p| p.parse::<PackageUrl>().ok())
    {
        scheme = VersionScheme::for_purl_type(p.ty());
    }

    let (binaries, severity) = ecosystem_specific(a.ecosystem_specific.as_ref());
    Ok(AffectedPackage {
        name,
        purl,
        ecosystem: Some(eco).filter(|e| !e.is_empty()),
        release: info.release,
        version_scheme: scheme,
        status: if any_fixed {
            Status::Fixed
        } else {
            Status::Affected
        },
        ranges,
        versions: a.versions,
        fixed: sorted_unique(fixed),
        vulnerabilities: Vec::new(),
        justification: None,
        severity,
        cpe: None,
        product_ids: Vec::new(),
        binaries,
    })
}

/// The purl for an entry: the feed's (without version; a `distro` qualifier added where known),
/// repaired when it has several `?`, else derived from ecosystem and name.
pub(crate) fn resolve_purl(
    given: Option<String>,
    info: &ecosystem::EcosystemInfo,
    name: &str,
    field: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if let Some(text) = given.filter(|t| !t.is_empty()) {
        let repaired = if text.matches('?').count() > 1 {
            let mut parts = text.splitn(2, '?');
            let head = parts.next().unwrap_or_default();
            let tail = parts.next().unwrap_or_default().replace('?', "&");
            warnings.push(format!(
                "{field}: {text:?} has more than one '?'; read as {head}?{tail}"
            ));
            format!("{head}?{tail}")
        } else {
            text.clone()
        };
        match repaired.parse::<PackageUrl>() {
            Ok(mut p) => {
                p.without_version();
                if let Some(d) = &info.distro
                    && !p.qualifiers().contains_key("distro")
                {
                    // A value the purl crate refuses only loses the qualifier.
                    let _ = p.add_qualifier("distro", d.clone());
                }
                return Some(p.to_string());
            }
            Err(e) => {
                let derived = ecosystem::derive_purl(info, name);
                warnings.push(format!(
                    "{field}: {text:?} is not a valid purl ({e}); {}",
                    derived
                        .as_deref()
                        .map_or_else(|| "no purl derived".to_owned(), |d| format!("derived {d}"))
                ));
                return derived;
            }
        }
    }
    ecosystem::derive_purl(info, name)
}

/// Binary package names and priority from `ecosystem_specific` (Ubuntu's shape); other
/// shapes are ignored.
fn ecosystem_specific(v: Option<&serde_json::Value>) -> (Vec<String>, Option<String>) {
    let Some(obj) = v.and_then(serde_json::Value::as_object) else {
        return (Vec::new(), None);
    };
    let binaries = obj
        .get("binaries")
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|b| match b {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => o
                        .get("binary_name")
                        .and_then(|n| n.as_str())
                        .map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let severity = obj
        .get("ubuntu_priority")
        .or_else(|| obj.get("severity"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    (sorted_unique(binaries), severity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;

    fn read(text: &str) -> Result<Advisory, AdvisoryError> {
        let bytes = text.as_bytes();
        parse(bytes, DocumentDigest::of(bytes), &Limits::default())
    }

    #[test]
    fn minimal_record_with_nulls() {
        let a = read(r#"{"id":"GHSA-x","aliases":null,"affected":[{"package":{"ecosystem":"crates.io","name":"foo"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.2.3"}]}]}]}"#).unwrap();
        assert_eq!(a.affected[0].purl.as_deref(), Some("pkg:cargo/foo"));
        assert_eq!(a.affected[0].status, Status::Affected);
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            Event::LastAffected("1.2.3".into())
        );
    }

    #[test]
    fn event_with_two_keys_is_a_field_error() {
        let err = read(r#"{"id":"X","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#).unwrap_err();
        assert_eq!(err.code(), "advisory-invalid-field");
        assert_eq!(err.field(), Some("affected[0].ranges[0].events[0]"));
    }

    #[test]
    fn wrong_types_name_the_field_and_line() {
        let err = read("{\"id\":\"X\",\n\"affected\":[{\"versions\": \"1.0\"}]}").unwrap_err();
        assert_eq!(err.code(), "advisory-invalid-field");
        assert_eq!(err.field(), Some("affected[0].versions"));
        assert_eq!(err.position().map(|p| p.0), Some(2));
        let err = read(r#"{"affected":[]}"#).unwrap_err();
        assert_eq!(err.code(), "advisory-invalid-field");
    }

    #[test]
    fn double_question_mark_purl_is_repaired() {
        let a = read(r#"{"id":"UBUNTU-CVE-2023-38545","affected":[{"package":{"ecosystem":"Ubuntu:20.04:LTS","name":"curl","purl":"pkg:deb/ubuntu/curl?arch=src?distro=focal"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.68.0-1ubuntu2.19"}]}]}]}"#).unwrap();
        assert_eq!(
            a.affected[0].purl.as_deref(),
            Some("pkg:deb/ubuntu/curl?arch=src&distro=focal")
        );
        assert_eq!(a.cve_ids, ["CVE-2023-38545"]);
        assert_eq!(a.warnings.len(), 1);
        assert_eq!(a.affected[0].fixed, ["7.68.0-1ubuntu2.19"]);
        assert_eq!(a.affected[0].status, Status::Fixed);
    }
}
