//! The seam between entry bytes and index rows: each entry kind's parser, mapped to
//! [`IndexRecord`]s. `store check` calls the same function to re-derive every row.
//!
//! Advisories, changelogs, patches and packages are read by the `evidence` capability's
//! parsers; this module only maps their normalized records to index rows. A parse failure
//! rejects the whole bundle, naming the entry.

use std::collections::BTreeMap;

use base64::Engine as _;
use bundle_format::Digest;
use serde_json::{Value, json};

use super::records::{CanonicalRecord, EntryKind, IndexRecord};
use crate::evidence::advisory::{self, Advisory};

/// Why an entry could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EntryParseError {
    /// What was expected and what was found.
    pub message: String,
}

fn err(message: impl Into<String>) -> EntryParseError {
    EntryParseError {
        message: message.into(),
    }
}

/// Parses one verified entry into the records it contributes.
///
/// # Errors
/// [`EntryParseError`] when the bytes are not what their kind promises.
pub fn parse_entry(
    kind: EntryKind,
    path: &str,
    bytes: &[u8],
) -> Result<Vec<IndexRecord>, EntryParseError> {
    let mut out = Vec::new();
    parse_entry_into(kind, path, bytes, &mut |r| out.push(r))?;
    Ok(out)
}

/// As [`parse_entry`], handing each record to `sink` as soon as it is formed, so a caller that
/// encodes records one by one never holds them all (a tracker document's records are formed
/// one package at a time). On error, records already handed out must be discarded.
///
/// # Errors
/// [`EntryParseError`] when the bytes are not what their kind promises.
pub fn parse_entry_into(
    kind: EntryKind,
    path: &str,
    bytes: &[u8],
    sink: &mut dyn FnMut(IndexRecord),
) -> Result<(), EntryParseError> {
    let records = match kind {
        EntryKind::Advisory => return parse_advisory(bytes, sink),
        EntryKind::Changelog => parse_changelog(path, bytes),
        EntryKind::Patch => parse_patch(path, bytes),
        EntryKind::SourcePackage | EntryKind::BinaryPackage => parse_package(path, bytes),
        EntryKind::Fingerprint => parse_fingerprints(bytes),
        EntryKind::Attestation => parse_attestation(bytes),
        _ => Ok(Vec::new()),
    }?;
    records.into_iter().for_each(sink);
    Ok(())
}

/// Why [`entry_rows`] could not form an entry's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowsError {
    /// The bytes are not what their kind promises.
    Parse(String),
    /// More records than [`super::MAX_ROWS_PER_ENTRY`] (the count).
    TooManyRecords(usize),
    /// A key component is empty, has a NUL or is too long.
    Key(String),
}

/// Every row `bytes` (entry `path` of `kind`) yields under `scope`, each value citing
/// `source_json`, sorted by (table name, key). The sort is stable: a key formed twice keeps
/// formation order, and the last of a run is the one an import leaves stored. Import and
/// `store check` both form rows here. Records are encoded as the parser forms them and dropped
/// at once; errors take precedence as if parsing came first (parse error, record limit, key).
///
/// # Errors
/// [`RowsError`].
pub fn entry_rows(
    kind: EntryKind,
    path: &str,
    bytes: &[u8],
    scope: (&str, &str),
    source_json: &[u8],
) -> Result<Vec<super::records::EncodedRow>, RowsError> {
    let (mut rows, mut records, mut key_error) = (Vec::new(), 0usize, None);
    parse_entry_into(kind, path, bytes, &mut |record| {
        records += 1;
        if records > super::MAX_ROWS_PER_ENTRY || key_error.is_some() {
            return;
        }
        match record.rows_with(scope, source_json) {
            Ok(r) => rows.extend(r),
            Err(e) => key_error = Some(e.to_string()),
        }
    })
    .map_err(|e| RowsError::Parse(e.message))?;
    if records > super::MAX_ROWS_PER_ENTRY {
        return Err(RowsError::TooManyRecords(records));
    }
    if let Some(message) = key_error {
        return Err(RowsError::Key(message));
    }
    rows.sort_by(|a, b| (a.table.name(), &a.key).cmp(&(b.table.name(), &b.key)));
    Ok(rows)
}

fn json_value(bytes: &[u8]) -> Result<Value, EntryParseError> {
    serde_json::from_slice(bytes).map_err(|e| err(format!("invalid JSON: {e}")))
}

/// A Package URL reduced to type, namespace and name (no version, qualifiers or subpath).
#[must_use]
pub fn package_key(purl: &str) -> String {
    crate::evidence::purl::package_key(purl)
}

/// Advisory documents (OSV, CSAF 2.0, Debian tracker) through [`crate::evidence::advisory`].
///
/// Each normalized [`Advisory`] becomes one row per (id, package key): the ids are
/// [`Advisory::ids_for`] of each affected entry (the record id, its aliases and every CVE id,
/// including OSV `upstream`) plus the CVE id inside a prefixed one (`UBUNTU-CVE-…`), the package
/// key is the entry's purl without version, qualifiers or subpath. The row's record is
/// the slim advisory ([`ROW_MEMBERS`] without `null` or empty-array members) with `affected`
/// reduced to the entries of that package which
/// speak about that id, entries pruned of `null` and empty-array members. Entries without a purl
/// are not indexed (nothing could look them up).
fn parse_advisory(bytes: &[u8], sink: &mut dyn FnMut(IndexRecord)) -> Result<(), EntryParseError> {
    let limits = advisory::Limits::default();
    let tracker = advisory::open_tracker(bytes, &limits).map_err(|e| err(e.to_string()))?;
    if let Some(doc) = tracker
        && package_keys_are_distinct(&doc)
    {
        return doc
            .for_each_fragment(|fragment| {
                advisory_rows(&fragment).into_iter().for_each(&mut *sink);
                Ok(())
            })
            .map_err(|e| err(e.to_string()));
    }
    let doc = advisory::parse(bytes, &limits).map_err(|e| err(e.to_string()))?;
    for a in &doc.advisories {
        advisory_rows(a).into_iter().for_each(&mut *sink);
    }
    Ok(())
}

/// Whether every source package of a tracker document has its own package key. Only then is
/// a (id, package) row built from one package's fragment the row the whole record gives (two
/// names with one key, say `Foo` and `foo`, share their rows); otherwise the caller reads the
/// document whole.
fn package_keys_are_distinct(doc: &advisory::debian_tracker::TrackerDocument<'_>) -> bool {
    let mut keys = std::collections::HashSet::new();
    doc.package_names().all(|name| {
        advisory::debian_tracker::package_purl(name, "sid")
            .is_none_or(|purl| keys.insert(package_key(&purl)))
    })
}

/// Top-level members of a normalized advisory that an index row keeps. `references`,
/// `document` and `warnings` stay in the raw evidence the row cites (`source.sha256`): the
/// proof engine and `store check` never read them, and they made most of a row's bytes.
/// [`super::advisory_row`] writes exactly these (and `affected`).
pub const ROW_MEMBERS: [&str; 9] = [
    "source",
    "id",
    "aliases",
    "related",
    "cve_ids",
    "summary",
    "published",
    "modified",
    "withdrawn",
];

fn advisory_rows(a: &Advisory) -> Vec<IndexRecord> {
    // (id, package) → indices into `a.affected`, in document order.
    let mut per: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, entry) in a.affected.iter().enumerate() {
        let Some(purl) = entry.purl.as_deref() else {
            continue;
        };
        let package = package_key(purl);
        let mut ids = a.ids_for(entry);
        // `UBUNTU-CVE-2023-38545` (an OSV `upstream` id) is about `CVE-2023-38545`.
        let embedded: Vec<String> = ids
            .iter()
            .filter_map(|id| advisory::embedded_cve(id))
            .map(str::to_owned)
            .collect();
        ids.extend(embedded);
        ids.sort();
        ids.dedup();
        for id in ids {
            per.entry((id, package.clone())).or_default().push(i);
        }
    }
    let mut out = Vec::with_capacity(per.len());
    for ((vulnerability, package), entries) in per {
        let mut record = Vec::with_capacity(256);
        super::advisory_row::write_record(a, &entries, &mut record);
        out.push(IndexRecord::Advisory {
            vulnerability,
            package,
            advisory_id: a.id.clone(),
            record: CanonicalRecord::from_canonical(record),
        });
    }
    out
}

// ---- Changelogs, patches and packages: the `evidence` parsers mapped to index rows. ----
//
// Layout (paths relative to the evidence directory):
// - `changelogs/**`: a Debian changelog (plain or compressed), or an RPM `%changelog` (a
//   `.spec` file, or a file whose first line starts with `* `); the RPM package name is the file
//   name without `.spec` / `.changelog` / compression suffix, its namespace the folder below
//   `changelogs/` when there is one (`changelogs/redhat/curl.spec`), else `redhat`.
// - `patches/<source>/<file>` or `patches/<source>/<version>/<file>`: a patch of Debian source
//   package `<source>` (at source version `<version>` when given; the proof engine's patch tier
//   needs the version).
// - `packages/**`: `.deb` → the changelogs inside; `.debian.tar.*` → `debian/changelog` and every
//   patch of the series, at the package's source version; `.dsc`, orig tarballs → no rows.
// Rows: `ChangelogMention` per (entry, id) with `version`, `classification` (fix,
// regression-fix, test-only, other); `Patch` per (patch, id) with `version` (when known),
// `source_package`, `patch_hunksig`, per-hunk signatures and the DEP-3 fields.

fn limits() -> crate::evidence::limits::Limits {
    crate::evidence::limits::Limits::default()
}

/// The purl namespace of a Debian-format changelog: `ubuntu` when the version says so.
fn deb_namespace(version: &str) -> &'static str {
    if version.contains("ubuntu") {
        "ubuntu"
    } else {
        "debian"
    }
}

/// Strongest classification of `id` in an entry: fix > regression-fix > other > test-only.
fn classification(entry: &crate::evidence::changelog::ChangelogEntry, id: &str) -> &'static str {
    use crate::evidence::changelog::MentionKind;
    let rank = |k: MentionKind| match k {
        MentionKind::Fix => 0,
        MentionKind::RegressionFix => 1,
        MentionKind::Other => 2,
        _ => 3,
    };
    entry
        .mentions
        .iter()
        .filter(|m| m.id == id)
        .map(|m| m.kind)
        .min_by_key(|k| rank(*k))
        .map_or("other", |k| k.as_str())
}

/// Rows for changelog entries of `package` (a key); `source` names where they came from.
fn mention_rows(
    entries: &[crate::evidence::changelog::ChangelogEntry],
    package_for: impl Fn(&crate::evidence::changelog::ChangelogEntry) -> String,
    source: &str,
    out: &mut Vec<IndexRecord>,
) {
    for e in entries {
        let ids = e.ids();
        if ids.is_empty() {
            continue;
        }
        let package = package_for(e);
        for id in &ids {
            let lines: Vec<usize> = e
                .mentions
                .iter()
                .filter(|m| &m.id == id)
                .map(|m| m.line)
                .collect();
            out.push(IndexRecord::ChangelogMention {
                vulnerability: id.clone(),
                package: package.clone(),
                version: e.version.clone(),
                record: json!({
                    "package": package, "version": e.version, "format": e.format,
                    "distributions": e.distributions, "urgency": e.urgency,
                    "binary_only": e.binary_only, "maintainer": e.maintainer, "date": e.date,
                    "vulnerabilities": ids, "classification": classification(e, id),
                    "source": source, "lines": lines,
                }),
            });
        }
    }
}

fn is_rpm_changelog(path: &str, bytes: &[u8]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".spec") {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096)];
    crate::evidence::decode::Compression::sniff(head).is_none()
        && String::from_utf8_lossy(head)
            .lines()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.starts_with("* ") || l.trim() == "%changelog")
}

fn parse_changelog(path: &str, bytes: &[u8]) -> Result<Vec<IndexRecord>, EntryParseError> {
    use crate::evidence::changelog;
    let mut out = Vec::new();
    if is_rpm_changelog(path, bytes) {
        let parts: Vec<&str> = path.split('/').collect();
        let file = parts.last().copied().unwrap_or(path);
        let name = [".gz", ".xz", ".zst"]
            .iter()
            .fold(file, |f, s| f.strip_suffix(s).unwrap_or(f));
        let name = name
            .strip_suffix(".spec")
            .or_else(|| name.strip_suffix(".changelog"))
            .unwrap_or(name);
        let namespace = if parts.len() >= 3 { parts[1] } else { "redhat" };
        let entries = changelog::parse_rpm(bytes, Some(name), &limits())
            .map_err(|e| err(format!("{path}: [{}] {e}", crate::Coded::code(&e))))?;
        let key = format!("pkg:rpm/{namespace}/{name}");
        mention_rows(&entries, |_| key.clone(), path, &mut out);
    } else {
        let entries = changelog::parse_debian(bytes, &limits())
            .map_err(|e| err(format!("{path}: [{}] {e}", crate::Coded::code(&e))))?;
        let ns = deb_namespace(entries.first().map_or("", |e| e.version.as_str()));
        mention_rows(&entries, |e| deb_key(ns, e), path, &mut out);
    }
    Ok(out)
}

/// The key of an entry's package; `ns` comes from the newest entry, so older entries merged
/// from another vendor stay with the changelog's package.
fn deb_key(ns: &str, e: &crate::evidence::changelog::ChangelogEntry) -> String {
    format!("pkg:deb/{ns}/{}", e.package.as_deref().unwrap_or("unknown"))
}

/// Rows for one parsed patch of `package` (a key) at source `version`.
fn patch_rows(
    path: &str,
    bytes_sha256: &str,
    patch: &crate::evidence::patch::Patch,
    package: &str,
    version: Option<&str>,
    extra_ids: impl IntoIterator<Item = String>,
    out: &mut Vec<IndexRecord>,
) {
    let mut ids = patch.ids();
    ids.extend(extra_ids);
    if ids.is_empty() {
        return;
    }
    let mut hunk_sigs = patch.hunk_sigs.iter();
    let hunks: Vec<Value> = patch
        .files
        .iter()
        .flat_map(|f| {
            f.hunks
                .iter()
                .map(|h| (f.path().to_owned(), h.function.clone()))
                .collect::<Vec<_>>()
        })
        .map(|(file, function)| {
            json!({"file": file, "function": function,
                   "hunksig": hunk_sigs.next().map(ToString::to_string)})
        })
        .collect();
    let h = &patch.header;
    let record = json!({
        "path": path, "source_package": package, "version": version,
        "vulnerabilities": ids, "patch_hunksig": patch.patch_sig.map(|s| s.to_string()),
        "hunks": hunks,
        "dep3": {"description": h.description, "origin": h.origin, "bug": h.bugs,
                 "forwarded": h.forwarded, "applied_upstream": h.applied_upstream,
                 "last_update": h.last_update, "cve": h.cve_field, "author": h.authors},
    });
    for id in ids {
        out.push(IndexRecord::Patch {
            vulnerability: id,
            package: package.to_owned(),
            patch_sha256: bytes_sha256.to_owned(),
            record: record.clone(),
        });
    }
}

/// Vulnerability ids in a patch's file name (`CVE-2024-45490.patch`).
fn ids_in_name(path: &str) -> Vec<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    crate::evidence::changelog::find_ids(name)
        .into_iter()
        .map(|m| m.id)
        .collect()
}

fn parse_patch(path: &str, bytes: &[u8]) -> Result<Vec<IndexRecord>, EntryParseError> {
    let parts: Vec<&str> = path.split('/').collect();
    let (source, version) = match parts.as_slice() {
        [_, src, _] => (*src, None),
        [_, src, ver, _] => (*src, Some(*ver)),
        _ => {
            return Err(err(format!(
                "{path}: expected patches/<source-package>/<file> or patches/<source-package>/<version>/<file>"
            )));
        }
    };
    if let Some(v) = version {
        crate::evidence::version::VersionScheme::Deb
            .validate(v)
            .map_err(|e| err(format!("{path}: folder {v:?} is not a source version: {e}")))?;
    }
    let patch = crate::evidence::patch::parse_patch(bytes, &limits())
        .map_err(|e| err(format!("{path}: [{}] {e}", crate::Coded::code(&e))))?;
    let package = format!(
        "pkg:deb/{}/{source}",
        version.map_or("debian", deb_namespace)
    );
    let mut out = Vec::new();
    patch_rows(
        path,
        &Digest::sha256(bytes).hex(),
        &patch,
        &package,
        version,
        ids_in_name(path),
        &mut out,
    );
    Ok(out)
}

fn parse_package(path: &str, bytes: &[u8]) -> Result<Vec<IndexRecord>, EntryParseError> {
    use crate::evidence::package::{self, PackageEvidence};
    let evidence = package::read_package(path, bytes, &limits())
        .map_err(|e| err(format!("{path}: [{}] {e}", crate::Coded::code(&e))))?;
    let mut out = Vec::new();
    match evidence {
        PackageEvidence::Binary(b) => {
            for cl in &b.changelogs {
                let source = format!("{path}!{}", cl.path);
                // Entries are the source package's history (binNMU entries name the binary
                // version); index them under the source package.
                let ns = deb_namespace(&b.version);
                let key = |e: &crate::evidence::changelog::ChangelogEntry| {
                    format!(
                        "pkg:deb/{ns}/{}",
                        e.package.as_deref().unwrap_or(&b.source.name)
                    )
                };
                mention_rows(&cl.entries, key, &source, &mut out);
            }
        }
        PackageEvidence::DebianTar(d) => {
            let key = format!("pkg:deb/{}/{}", deb_namespace(&d.version), d.source);
            let source = format!("{path}!debian/changelog");
            let ns = deb_namespace(&d.version);
            mention_rows(&d.changelog, |e| deb_key(ns, e), &source, &mut out);
            for p in &d.patches {
                patch_rows(
                    &format!("{path}!{}", p.path),
                    &p.sha256,
                    &p.patch,
                    &key,
                    Some(&d.version),
                    ids_in_name(&p.path),
                    &mut out,
                );
            }
        }
        _ => {}
    }
    Ok(out)
}

fn parse_fingerprints(bytes: &[u8]) -> Result<Vec<IndexRecord>, EntryParseError> {
    let doc = json_value(bytes)?;
    let records = match &doc {
        Value::Array(a) => a.clone(),
        Value::Object(m) => m
            .get("records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| vec![doc.clone()]),
        _ => {
            return Err(err(
                "expected a fingerprint record, an array of them or {\"records\": [...]}",
            ));
        }
    };
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let field = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
        let package = field("package")
            .ok_or_else(|| err(format!("records[{i}].package: expected a string")))?;
        let function = field("function")
            .ok_or_else(|| err(format!("records[{i}].function: expected a string")))?;
        let variant = field("variant").unwrap_or_else(|| "default".to_string());
        let mut vulns: Vec<String> = r
            .get("vulnerabilities")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        vulns.extend(field("vulnerability"));
        if vulns.is_empty() {
            return Err(err(format!(
                "records[{i}]: expected vulnerability or vulnerabilities"
            )));
        }
        for v in vulns {
            out.push(IndexRecord::Fingerprint {
                vulnerability: v,
                package: package_key(&package),
                function: function.clone(),
                variant: variant.clone(),
                record: r.clone(),
            });
        }
    }
    Ok(out)
}

fn statement_rows(envelope: &Value, out: &mut Vec<IndexRecord>) -> Result<(), EntryParseError> {
    let payload_type = envelope
        .get("payloadType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let payload_b64 = envelope
        .get("payload")
        .and_then(Value::as_str)
        .ok_or_else(|| err("DSSE envelope: expected a payload string"))?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(payload_b64)
        .map_err(|e| err(format!("DSSE payload: invalid base64: {e}")))?;
    let statement = json_value(&payload)?;
    let statement_sha256 = Digest::sha256(&payload).hex();
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let record = json!({
        "payload_type": payload_type,
        "predicate_type": statement.get("predicateType").cloned().unwrap_or(Value::Null),
        "subjects": subjects,
    });
    for s in &subjects {
        for (alg, hex) in s
            .get("digest")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(hex) = hex.as_str() {
                out.push(IndexRecord::Attestation {
                    subject: format!("{alg}:{hex}"),
                    statement_sha256: statement_sha256.clone(),
                    record: record.clone(),
                });
            }
        }
    }
    Ok(())
}

fn parse_attestation(bytes: &[u8]) -> Result<Vec<IndexRecord>, EntryParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| err(format!("not UTF-8: {e}")))?;
    let mut out = Vec::new();
    let docs: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(v) => vec![v],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| err(format!("line {}: invalid JSON: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?,
    };
    for doc in docs {
        let envelope = doc.get("dsseEnvelope").unwrap_or(&doc);
        if envelope.get("payload").is_some() {
            statement_rows(envelope, &mut out)?;
        } else if doc.get("mediaType").is_none() {
            return Err(err("expected a DSSE envelope or a Sigstore bundle"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(rel: &str) -> Option<Vec<u8>> {
        std::fs::read(std::path::Path::new("/work/shared/fixtures").join(rel)).ok()
    }

    /// Rows of a tracker document read whole (every record built, then its rows).
    fn whole_document_rows(doc: &[u8]) -> Vec<String> {
        let parsed = advisory::parse(doc, &advisory::Limits::default()).unwrap();
        let mut rows: Vec<String> = parsed
            .advisories
            .iter()
            .flat_map(advisory_rows)
            .map(|r| format!("{r:?}"))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn streamed_tracker_rows_are_the_whole_document_rows() {
        let fixture = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "fixtures/advisories/debian-tracker/tracker-json/debian_security_tracker_mock.json",
        ))
        .unwrap();
        // Ids spread over packages, the summary from the first package (by name) that has a
        // description, a TEMP id, an empty release list, and two names with one package key.
        let spread = br#"{"zlib": {"CVE-2024-2": {"description": "from zlib", "releases": {"bookworm": {"status": "open", "urgency": "low"}}},
                          "CVE-2024-1": {"debianbug": 7, "releases": {"sid": {"status": "resolved", "fixed_version": "1.3-1"}}}},
                 "curl": {"CVE-2024-1": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u5"}, "sid": {"status": "undetermined"}}},
                          "CVE-2024-2": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "0"}}},
                          "TEMP-0000000-A": {"description": "temp", "releases": []}},
                 "bash": {"CVE-2024-2": {"description": "from bash", "releases": {"sid": {"status": "open", "urgency": "end-of-life"}}}}}"#;
        let mut colliding = spread.to_vec();
        let at = colliding.windows(6).position(|w| w == b"\"bash\"").unwrap();
        colliding.splice(at..at + 6, b"\"CURL\"".iter().copied());
        let limits = advisory::Limits::default();
        let distinct = |doc: &[u8]| {
            package_keys_are_distinct(&advisory::open_tracker(doc, &limits).unwrap().unwrap())
        };
        assert!(
            distinct(spread) && !distinct(&colliding),
            "CURL and curl share a key"
        );
        for doc in [fixture.as_slice(), spread.as_slice(), colliding.as_slice()] {
            let mut streamed: Vec<String> = parse_entry(EntryKind::Advisory, "t.json", doc)
                .unwrap()
                .iter()
                .map(|r| format!("{r:?}"))
                .collect();
            streamed.sort();
            assert!(!streamed.is_empty());
            assert_eq!(streamed, whole_document_rows(doc));
        }
        for r in parse_entry(EntryKind::Advisory, "t.json", spread).unwrap() {
            if let IndexRecord::Advisory {
                vulnerability,
                record,
                ..
            } = r
                && vulnerability == "CVE-2024-2"
            {
                let text = String::from_utf8(record.as_bytes().to_vec()).unwrap();
                assert!(text.contains(r#""summary":"from bash""#), "{text}");
            }
        }
    }

    #[test]
    fn osv_rows_per_alias_and_package() {
        let doc = br#"{"id":"DSA-1-1","aliases":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.1-1"}]}]}]}"#;
        let rows = parse_entry(EntryKind::Advisory, "a.json", doc).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(
            matches!(&rows[0], IndexRecord::Advisory { vulnerability, package, .. }
            if vulnerability == "CVE-2024-1" && package == "pkg:deb/debian/openssl")
        );
    }

    #[test]
    fn ubuntu_upstream_ids_are_indexed() {
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/proof-evidence/advisories/osv/USN-6429-1.json"),
        )
        .unwrap();
        let rows = parse_entry(EntryKind::Advisory, "usn.json", &bytes).unwrap();
        let keys: Vec<(&str, &str)> = rows
            .iter()
            .filter_map(|r| match r {
                IndexRecord::Advisory {
                    vulnerability,
                    package,
                    ..
                } => Some((vulnerability.as_str(), package.as_str())),
                _ => None,
            })
            .collect();
        assert!(
            keys.contains(&("CVE-2023-38545", "pkg:deb/ubuntu/curl")),
            "{keys:?}"
        );
        assert!(keys.contains(&("CVE-2023-38546", "pkg:deb/ubuntu/curl")));
        assert!(keys.contains(&("USN-6429-1", "pkg:deb/ubuntu/curl")));
        let IndexRecord::Advisory { record, .. } = &rows[0] else {
            unreachable!()
        };
        let record = record.to_value();
        assert_eq!(record["source"], "osv");
        assert_eq!(record["affected"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn advisory_rows_are_slim() {
        let doc = br#"{"pkg0":{"CVE-2024-9":{"description":"d","scope":"local","releases":{"bookworm":{"status":"resolved","fixed_version":"1.2-1","urgency":"medium","repositories":{"bookworm":"1.2-1"}}}}}}"#;
        let rows = parse_entry(EntryKind::Advisory, "t.json", doc).unwrap();
        let [IndexRecord::Advisory { record, .. }] = rows.as_slice() else {
            panic!("{rows:?}")
        };
        let record = &record.to_value();
        for dropped in ["document", "references", "warnings", "withdrawn", "aliases"] {
            assert!(record.get(dropped).is_none(), "{dropped}: {record}");
        }
        assert_eq!(record["id"], "CVE-2024-9");
        let e = &record["affected"][0];
        assert_eq!(
            (&e["status"], &e["release"], &e["fixed"][0]),
            (&json!("fixed"), &json!("bookworm"), &json!("1.2-1"))
        );
        assert!(e.get("cpe").is_none() && e.get("binaries").is_none(), "{e}");
    }

    #[test]
    fn changelog_mentions() {
        let text = b"openssl (3.0.11-1~deb12u2) bookworm-security; urgency=medium\n\n  * Fix CVE-2023-5678 and CVE-2024-0727.\n\n -- Sebastian <s@example.org>  Sat, 03 Feb 2024 10:00:00 +0100\n\nopenssl (3.0.11-1) unstable; urgency=medium\n\n  * New upstream.\n\n -- S <s@example.org>  Thu, 01 Jan 2024 10:00:00 +0100\n";
        let rows = parse_entry(EntryKind::Changelog, "changelogs/openssl", text).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(parse_entry(EntryKind::Changelog, "c", b"garbage here\n").is_err());
    }

    fn package_fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/packages/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn source_package_patches_carry_the_source_version() {
        let name = "expat_2.5.0-1+deb12u2.debian.tar.xz";
        let rows = parse_entry(
            EntryKind::SourcePackage,
            &format!("packages/{name}"),
            &package_fixture(name),
        )
        .unwrap();
        let patch = rows
            .iter()
            .find_map(|r| match r {
                IndexRecord::Patch {
                    vulnerability,
                    package,
                    record,
                    ..
                } if vulnerability == "CVE-2024-45490" => Some((package, record)),
                _ => None,
            })
            .expect("a patch row for CVE-2024-45490");
        assert_eq!(patch.0, "pkg:deb/debian/expat");
        assert_eq!(patch.1["version"], "2.5.0-1+deb12u2");
        assert!(
            patch.1["patch_hunksig"]
                .as_str()
                .is_some_and(|s| s.len() >= 64)
        );
        assert!(rows.iter().any(|r| matches!(r,
            IndexRecord::ChangelogMention { vulnerability, version, record, .. }
            if vulnerability == "CVE-2024-8176" && version == "2.5.0-1+deb12u2"
                && record["classification"] == "fix")));
    }

    #[test]
    fn binary_package_changelog_indexes_under_the_source() {
        let name = "libexpat1_2.5.0-1+deb12u2_amd64.deb";
        let rows = parse_entry(
            EntryKind::BinaryPackage,
            &format!("packages/{name}"),
            &package_fixture(name),
        )
        .unwrap();
        assert!(rows.iter().any(|r| matches!(r,
            IndexRecord::ChangelogMention { vulnerability, package, .. }
            if vulnerability == "CVE-2024-8176" && package == "pkg:deb/debian/expat")));
        // A .dsc yields no rows but must parse; garbage is refused with the path.
        let dsc = "expat_2.5.0-1+deb12u2.dsc";
        assert!(
            parse_entry(EntryKind::SourcePackage, dsc, &package_fixture(dsc))
                .unwrap()
                .is_empty()
        );
        let e = parse_entry(EntryKind::BinaryPackage, "packages/x.deb", b"junk").unwrap_err();
        assert!(e.message.contains("packages/x.deb"), "{e}");
    }

    #[test]
    fn patch_entries_use_the_patch_parser() {
        let patch = b"Description: fix overflow\nCVE: CVE-2024-1111\n---\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@ int f(void)\n a\n-b\n+c\n";
        let rows = parse_entry(EntryKind::Patch, "patches/foo/1.0-2/fix.patch", patch).unwrap();
        assert!(
            matches!(rows.as_slice(), [IndexRecord::Patch { vulnerability, package, record, .. }]
            if vulnerability == "CVE-2024-1111" && package == "pkg:deb/debian/foo"
                && record["version"] == "1.0-2" && record["hunks"][0]["function"] == "int f(void)")
        );
        let rows = parse_entry(EntryKind::Patch, "patches/foo/CVE-2024-2222.patch", patch).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(parse_entry(EntryKind::Patch, "patches/foo/x.patch", b"no hunks here\n").is_err());
        assert!(parse_entry(EntryKind::Patch, "patches/foo/bad version!/x.patch", patch).is_err());
        // RPM %changelog by file name.
        let spec = b"%changelog\n* Tue Jan 09 2024 A B <a@b.c> - 7.76.1-26\n- Fix CVE-2023-46218\n";
        let rows = parse_entry(EntryKind::Changelog, "changelogs/redhat/curl.spec", spec).unwrap();
        assert!(
            matches!(rows.as_slice(), [IndexRecord::ChangelogMention { package, version, .. }]
            if package == "pkg:rpm/redhat/curl" && version == "7.76.1-26")
        );
    }

    #[test]
    fn real_fixtures_parse() {
        for rel in [
            "advisories/osv/debian/DSA-3029-1.json",
            "advisories/csaf/redhat/rhsa-2024_4546.json",
        ] {
            if let Some(bytes) = shared(rel) {
                let rows = parse_entry(EntryKind::Advisory, rel, &bytes).unwrap();
                assert!(!rows.is_empty(), "{rel}");
            }
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse_entry(EntryKind::Advisory, "x.json", b"{not json").is_err());
        assert!(parse_entry(EntryKind::Fingerprint, "f.json", b"[{\"package\":\"p\"}]").is_err());
    }
}
