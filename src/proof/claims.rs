//! Turning store rows into evidence items: what each record claims about the subject's
//! installed version, evaluated with the package's own version ordering.
//!
//! Records are read by field name and several record shapes are accepted (the normalized
//! advisory of `evidence::advisory`, and the compact rows the store keeps for OSV, the Debian
//! security tracker and changelogs). A record that does not speak about the subject's package
//! and release yields nothing; it never yields a guess.

use std::cmp::Ordering;

use serde_json::Value;

use super::blob::{EvidenceItem, Tier, Verdict};
use super::subject::{Subject, normalize_release};
use crate::store::query::StoredRow;

/// Tier confidences from the seed (`spec/proof-format.md` §4).
pub const ADVISORY_CONFIDENCE: f64 = 0.98;
/// A changelog entry naming the vulnerability.
pub const CHANGELOG_CONFIDENCE: f64 = 0.80;
/// A patch whose DEP-3 header or name names the vulnerability.
pub const PATCH_HEADER_CONFIDENCE: f64 = 0.85;
/// A patch whose HunkSig equals an independent fix's HunkSig.
pub const PATCH_HUNKSIG_CONFIDENCE: f64 = 0.90;

/// One status claim an advisory makes for one package and (maybe) release.
#[derive(Debug, Clone)]
struct Claim {
    release: Option<String>,
    status: String,
    fixed: Vec<String>,
    /// `(introduced, fixed_or_limit, last_affected)` per range.
    ranges: Vec<(Option<String>, Option<String>, Option<String>)>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn key_of(purl: &str) -> String {
    let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
    purl[..end].trim_end_matches('/').to_owned()
}

/// Whether an `affected[]` entry of a normalized advisory is about the subject's package.
fn affects_subject(subject: &Subject, entry: &Value) -> bool {
    if let Some(purl) = str_field(entry, "purl")
        && subject.source_packages.contains(&key_of(purl))
    {
        return true;
    }
    let names: Vec<&str> = subject
        .source_packages
        .iter()
        .map(|k| k.rsplit('/').next().unwrap_or(k))
        .collect();
    let same_type = str_field(entry, "purl")
        .is_none_or(|p| p.starts_with(&format!("pkg:{}/", subject.purl_type())));
    same_type
        && (str_field(entry, "name").is_some_and(|n| names.contains(&n))
            || strings(entry.get("binaries"))
                .iter()
                .any(|b| b == subject.name()))
}

fn claims_of(subject: &Subject, row: &StoredRow) -> Vec<Claim> {
    let r = &row.record;
    // Normalized advisory (evidence::advisory::Advisory).
    if let Some(affected) = r.get("affected").and_then(Value::as_array) {
        return affected
            .iter()
            .filter(|e| affects_subject(subject, e))
            .map(|e| Claim {
                release: str_field(e, "release").map(normalize_release),
                status: str_field(e, "status").unwrap_or("affected").to_owned(),
                fixed: strings(e.get("fixed")),
                ranges: e
                    .get("ranges")
                    .and_then(Value::as_array)
                    .map(|rs| {
                        rs.iter()
                            .filter(|range| {
                                !str_field(range, "kind")
                                    .is_some_and(|k| k.eq_ignore_ascii_case("git"))
                            })
                            .map(|range| {
                                let mut intro = None;
                                let mut fixed = None;
                                let mut last = None;
                                for ev in range
                                    .get("events")
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                                {
                                    intro =
                                        intro.or(str_field(ev, "introduced").map(str::to_owned));
                                    fixed = fixed.or(str_field(ev, "fixed").map(str::to_owned));
                                    last =
                                        last.or(str_field(ev, "last_affected").map(str::to_owned));
                                }
                                (intro, fixed, last)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
    }
    // Debian security tracker rows: per-release status and fixed version.
    if let Some(releases) = r.get("releases").and_then(Value::as_object) {
        return releases
            .iter()
            .map(|(name, info)| {
                let status = match str_field(info, "status") {
                    Some("resolved") => "fixed",
                    Some("open") => "affected",
                    Some("undetermined") => "under-investigation",
                    Some(other) => other,
                    None => "affected",
                };
                Claim {
                    release: Some(normalize_release(name)),
                    status: status.to_owned(),
                    fixed: str_field(info, "fixed_version")
                        .map(str::to_owned)
                        .into_iter()
                        .collect(),
                    ranges: Vec::new(),
                }
            })
            .collect();
    }
    // Compact OSV rows: status and fixed versions for the row's package.
    if r.get("fixed_versions").is_some() || r.get("status").is_some() {
        let release = str_field(r, "release").map(normalize_release);
        return vec![Claim {
            release,
            status: str_field(r, "status").unwrap_or("affected").to_owned(),
            fixed: strings(r.get("fixed_versions")),
            ranges: Vec::new(),
        }];
    }
    Vec::new()
}

fn item(
    row: &StoredRow,
    tier: Tier,
    supports: Verdict,
    confidence: f64,
    record_id: String,
    reason: String,
) -> EvidenceItem {
    EvidenceItem {
        tier,
        supports,
        confidence,
        record_id,
        package: row.key.get(1).cloned().unwrap_or_default(),
        entry: row.source.entry.clone(),
        raw_digest: format!("sha256:{}", row.source.sha256),
        publisher: row.publisher.clone(),
        channel: row.channel.clone(),
        reason,
    }
}

fn cmp(subject: &Subject, a: &str, b: &str) -> Option<Ordering> {
    subject.scheme().compare(a, b).ok()
}

/// Evaluates one claim against the installed version. `None`: the claim says nothing usable.
fn evaluate(subject: &Subject, claim: &Claim) -> Option<(Verdict, String)> {
    let v = subject.version.as_str();
    let status = claim.status.as_str();
    if matches!(
        status,
        "not-affected" | "not_affected" | "known_not_affected"
    ) {
        return Some((
            Verdict::NotAffected,
            "states the package is not affected".to_owned(),
        ));
    }
    // The Debian tracker writes fixed version "0" for "never affected in this release".
    if claim.fixed.iter().any(|f| f == "0") && !matches!(status, "affected" | "will-not-fix") {
        return Some((
            Verdict::NotAffected,
            "fixed version is 0: the release never shipped the vulnerable code".to_owned(),
        ));
    }
    for (intro, fixed, last) in &claim.ranges {
        let after_intro = intro
            .as_deref()
            .is_none_or(|i| i == "0" || cmp(subject, v, i).is_some_and(Ordering::is_ge));
        if !after_intro {
            continue;
        }
        if let Some(f) = fixed {
            match cmp(subject, v, f)? {
                Ordering::Less => {
                    return Some((Verdict::Affected, format!("installed {v} < fixed {f}")));
                }
                _ => continue,
            }
        }
        if let Some(l) = last
            && cmp(subject, v, l)?.is_le()
        {
            return Some((
                Verdict::Affected,
                format!("installed {v} ≤ last affected {l}"),
            ));
        }
    }
    // The lowest fixed version of the claim (a distro advisory names one per release).
    let mut lowest: Option<&str> = None;
    for f in &claim.fixed {
        if cmp(subject, f, f).is_none() {
            continue;
        }
        if lowest.is_none_or(|l| cmp(subject, f, l).is_some_and(Ordering::is_lt)) {
            lowest = Some(f);
        }
    }
    match (status, lowest) {
        (_, Some(f)) => Some(match cmp(subject, v, f)? {
            Ordering::Less => (Verdict::Affected, format!("installed {v} < fixed {f}")),
            _ => (Verdict::Fixed, format!("fixed in {f}; installed {v} ≥ it")),
        }),
        ("affected" | "will-not-fix" | "known_affected", None)
            if claim.ranges.is_empty() || !claim.ranges.iter().any(|r| r.1.is_some()) =>
        {
            Some((
                Verdict::Affected,
                format!("states the package is {status} with no fixed version"),
            ))
        }
        _ => None,
    }
}

/// Replaces a compact OSV or CSAF advisory row (one without per-package `affected` detail)
/// by the normalized advisory parsed from its raw document, so release and range information
/// is never lost. The raw bytes are re-hashed first: a row whose source does not hash to its
/// digest is kept as it is and cannot gain detail.
///
/// # Errors
/// A store error.
pub fn normalize_advisory_row(
    source: &dyn super::engine::EvidenceSource,
    vulnerability: &str,
    mut row: StoredRow,
) -> Result<StoredRow, crate::store::StoreError> {
    let compact_format =
        str_field(&row.record, "source_format").filter(|f| matches!(*f, "osv" | "csaf"));
    if row.record.get("affected").is_some() || compact_format.is_none() {
        return Ok(row);
    }
    let Some(raw) = source.raw(&row.source.sha256)? else {
        return Ok(row);
    };
    if bundle_format::Digest::sha256(&raw).hex() != row.source.sha256 {
        return Ok(row);
    }
    let limits = crate::evidence::advisory::Limits::default();
    let Ok(doc) = crate::evidence::advisory::parse(&raw, &limits) else {
        return Ok(row);
    };
    let affected: Vec<Value> = doc
        .advisories
        .iter()
        .filter(|a| {
            a.id == vulnerability
                || a.cve_ids.iter().any(|c| c == vulnerability)
                || a.aliases.iter().any(|c| c == vulnerability)
        })
        .flat_map(|a| a.affected.iter())
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    if !affected.is_empty() {
        row.record["affected"] = Value::Array(affected);
    }
    Ok(row)
}

/// Evidence items from advisory rows.
pub fn advisory_items(subject: &Subject, rows: &[StoredRow]) -> Vec<EvidenceItem> {
    let mut out = Vec::new();
    for row in rows {
        // A withdrawn record is not evidence (`evidence::advisory`).
        if row.record.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        let id = str_field(&row.record, "id")
            .unwrap_or_else(|| row.key.last().map_or("", String::as_str))
            .to_owned();
        for claim in claims_of(subject, row) {
            if let (Some(want), Some(have)) = (&subject.release, &claim.release)
                && want != have
            {
                continue;
            }
            if let Some((verdict, why)) = evaluate(subject, &claim) {
                let release = claim
                    .release
                    .as_deref()
                    .map_or(String::new(), |r| format!(" for {r}"));
                out.push(item(
                    row,
                    Tier::Advisory,
                    verdict,
                    ADVISORY_CONFIDENCE,
                    id.clone(),
                    format!("advisory {id}{release} {why}"),
                ));
            }
        }
    }
    out
}

/// Evidence items from changelog rows: an entry at or below the installed version that names the
/// vulnerability says the fix is in; if only later entries name it, the installed version
/// predates the fix.
pub fn changelog_items(subject: &Subject, rows: &[StoredRow]) -> Vec<EvidenceItem> {
    let v = subject.version.as_str();
    let mut fixed = Vec::new();
    let mut later = Vec::new();
    for row in rows {
        let Some(version) = str_field(&row.record, "version") else {
            continue;
        };
        let class = str_field(&row.record, "classification").unwrap_or("fix");
        if class == "test-only" {
            continue;
        }
        let Some(order) = cmp(subject, version, v) else {
            continue;
        };
        let id = format!(
            "{} {version}",
            row.key
                .get(1)
                .map_or("", |p| p.rsplit('/').next().unwrap_or(p))
        );
        if order.is_le() {
            fixed.push(item(
                row,
                Tier::Changelog,
                Verdict::Fixed,
                CHANGELOG_CONFIDENCE,
                id,
                format!(
                    "changelog entry {version} names {} as fixed; installed {v} ≥ it",
                    subject.vulnerability
                ),
            ));
        } else {
            later.push(item(
                row,
                Tier::Changelog,
                Verdict::Affected,
                CHANGELOG_CONFIDENCE,
                id,
                format!(
                    "only changelog entry {version}, later than installed {v}, names {}",
                    subject.vulnerability
                ),
            ));
        }
    }
    if fixed.is_empty() { later } else { fixed }
}

/// Evidence items from patch rows. A patch counts when it belongs to a source package version
/// at or below the installed one (`version` in the record); its HunkSig raises it to 0.90 when
/// an independent patch (another package or origin) for the same vulnerability has the same one.
pub fn patch_items(
    subject: &Subject,
    rows: &[StoredRow],
    all_for_vuln: &[StoredRow],
) -> Vec<EvidenceItem> {
    let v = subject.version.as_str();
    let mut out = Vec::new();
    for row in rows {
        let path = str_field(&row.record, "path")
            .unwrap_or(&row.source.entry)
            .to_owned();
        let Some(version) = str_field(&row.record, "version") else {
            continue;
        };
        let Some(order) = cmp(subject, version, v) else {
            continue;
        };
        if order.is_gt() {
            continue;
        }
        let sig =
            str_field(&row.record, "patch_hunksig").or_else(|| str_field(&row.record, "hunksig"));
        let independent = sig.is_some_and(|s| {
            all_for_vuln.iter().any(|other| {
                other.source.sha256 != row.source.sha256
                    && other.key.get(1) != row.key.get(1)
                    && (str_field(&other.record, "patch_hunksig")
                        .or_else(|| str_field(&other.record, "hunksig"))
                        == Some(s))
            })
        });
        let (confidence, how) = if independent {
            (
                PATCH_HUNKSIG_CONFIDENCE,
                "and its HunkSig matches an independent fix",
            )
        } else {
            (PATCH_HEADER_CONFIDENCE, "by its header")
        };
        out.push(item(
            row,
            Tier::Patch,
            Verdict::Fixed,
            confidence,
            path.clone(),
            format!(
                "patch {path} in source version {version} (≤ installed {v}) fixes {} {how}",
                subject.vulnerability
            ),
        ));
    }
    out
}

/// Evidence items from matching a binary against the fingerprint rows of the subject's
/// packages: a function closer to the fixed build supports `fixed`, closer to the vulnerable
/// build supports `affected`, with the matcher's confidence (TLSH 0.75–0.85, insn-hash
/// 0.55–0.75). Undetermined matches yield nothing.
pub fn binary_items(
    subject: &Subject,
    rows: &[StoredRow],
    binary: &crate::binary::record::FingerprintedBinary,
) -> Vec<EvidenceItem> {
    use crate::binary::record::{self, FingerprintRecord, Verdict as Match};
    let mut out = Vec::new();
    for row in rows {
        if !row
            .key
            .get(1)
            .is_some_and(|p| subject.source_packages.contains(p))
        {
            continue;
        }
        let Ok(rec) = serde_json::from_value::<FingerprintRecord>(row.record.clone()) else {
            continue;
        };
        if rec.validate().is_err() {
            continue;
        }
        for m in record::match_records(binary, std::slice::from_ref(&rec)) {
            let supports = match m.verdict {
                Match::Fixed => Verdict::Fixed,
                Match::Vulnerable => Verdict::Affected,
                Match::Undetermined => continue,
            };
            let distances = format!(
                "distance to vulnerable {}, to fixed {}",
                m.distance_vulnerable
                    .map_or_else(|| "-".to_owned(), |d| d.to_string()),
                m.distance_fixed
                    .map_or_else(|| "-".to_owned(), |d| d.to_string())
            );
            out.push(item(
                row,
                Tier::Binary,
                supports,
                (m.confidence * 100.0).round() / 100.0,
                format!("{} ({})", m.function, m.architecture),
                format!(
                    "function {} ({}, {}) in binary sha256:{} is closer to the {} build: {distances}",
                    m.function,
                    m.architecture,
                    m.method.name(),
                    binary.sha256,
                    if supports == Verdict::Fixed { "fixed" } else { "vulnerable" }
                ),
            ));
        }
    }
    out
}
