//! Fingerprint records (`spec/fingerprint-format.md` §5): the fingerprints of one function in a
//! vulnerable and in a fixed build of a package, for one vulnerability, architecture and method;
//! building them from two binaries ([`diff_builds`]) and matching a binary against them
//! ([`match_records`]).
//!
//! Records are canonical JSON (RFC 8785). The store and proof code call [`match_records`]
//! with records they loaded; nothing here touches the store.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::extract::{FunctionFingerprint, ImageFingerprints, is_unnamed};
use super::tlsh::Tlsh;

/// The `schema` value of version 1 records.
pub const SCHEMA_V1: &str = "airlock.fingerprint/v1";

/// How a fingerprint is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// TLSH T1 digest of the function's bytes; compared by distance with the length term.
    Tlsh,
    /// BLAKE3 of the normalized instruction stream; compared by equality.
    InsnHash,
}

impl Method {
    /// The wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Tlsh => "tlsh",
            Self::InsnHash => "insn-hash",
        }
    }
}

/// One side (vulnerable or fixed) of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The fingerprint: a T1 TLSH digest or 64 hex digits of BLAKE3.
    pub value: String,
    /// The function's size in bytes in that build.
    pub size: u64,
    /// SHA-256 (lowercase hex) of the whole binary file the function came from.
    pub binary_sha256: String,
}

/// A fingerprint record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintRecord {
    /// Always [`SCHEMA_V1`].
    pub schema: String,
    /// Vulnerability id (`CVE-…`, `GHSA-…`, …).
    pub vulnerability: String,
    /// Package URL of the package the binaries belong to.
    pub package: String,
    /// Function name, or alias (`name+k`) for a function without a symbol.
    pub function: String,
    /// Architecture (`x86-64`, `arm64`, …).
    pub architecture: String,
    /// Method.
    pub method: Method,
    /// The vulnerable build's fingerprint.
    pub vulnerable: Reference,
    /// The fixed build's fingerprint.
    pub fixed: Reference,
}

/// Why records could not be built, read or matched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A record file is not a valid v1 record.
    #[error("fingerprint record: {0}")]
    Invalid(String),
    /// The two builds share no architecture.
    #[error("vulnerable and fixed binaries share no architecture")]
    NoCommonArchitecture,
    /// A function named for the diff is in neither build.
    #[error("function {0}: in neither the vulnerable nor the fixed build")]
    FunctionNotFound(String),
}

impl crate::Coded for RecordError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "fingerprint-record-invalid",
            Self::NoCommonArchitecture => "architecture-mismatch",
            Self::FunctionNotFound(_) => "function-not-found",
        }
    }
    fn class(&self) -> crate::FailureClass {
        match self {
            Self::Invalid(_) | Self::NoCommonArchitecture => crate::FailureClass::Rejected,
            Self::FunctionNotFound(_) => crate::FailureClass::CouldNotRun,
        }
    }
}

impl FingerprintRecord {
    /// Checks the fields a parser cannot: schema, method-specific value syntax, digests.
    ///
    /// # Errors
    /// [`RecordError::Invalid`] naming the field.
    pub fn validate(&self) -> Result<(), RecordError> {
        let bad = |m: String| Err(RecordError::Invalid(m));
        if self.schema != SCHEMA_V1 {
            return bad(format!(
                "schema: expected {SCHEMA_V1:?}, found {:?}",
                self.schema
            ));
        }
        if self.vulnerability.is_empty() || self.function.is_empty() || self.architecture.is_empty()
        {
            return bad("vulnerability, function and architecture must not be empty".into());
        }
        if self.package.parse::<packageurl::PackageUrl<'_>>().is_err() {
            return bad(format!("package: not a package URL: {:?}", self.package));
        }
        for (side, r) in [("vulnerable", &self.vulnerable), ("fixed", &self.fixed)] {
            let ok = match self.method {
                Method::Tlsh => r.value.parse::<Tlsh>().is_ok(),
                Method::InsnHash => is_lower_hex(&r.value, 64),
            };
            if !ok {
                return bad(format!(
                    "{side}.value: not a {} fingerprint: {:?}",
                    self.method.name(),
                    r.value
                ));
            }
            if !is_lower_hex(&r.binary_sha256, 64) {
                return bad(format!(
                    "{side}.binary_sha256: expected 64 lowercase hex digits"
                ));
            }
        }
        Ok(())
    }

    /// Parses and validates one record (JSON; canonical form is not required on input).
    ///
    /// # Errors
    /// [`RecordError::Invalid`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, RecordError> {
        let r: Self =
            serde_json::from_slice(bytes).map_err(|e| RecordError::Invalid(e.to_string()))?;
        r.validate()?;
        Ok(r)
    }

    /// The canonical (RFC 8785) bytes of this record.
    #[must_use]
    pub fn to_canonical(&self) -> Vec<u8> {
        bundle_format::canonical::to_canonical_vec(self).expect("records always serialize")
    }

    /// A file name for this record: `<vuln>__<arch>__<function>__<method>.json`, with bytes
    /// outside `[A-Za-z0-9._+-]` replaced by `_`.
    #[must_use]
    pub fn file_name(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        format!(
            "{}__{}__{}__{}.json",
            clean(&self.vulnerability),
            clean(&self.architecture),
            clean(&self.function),
            self.method.name()
        )
    }
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A binary as the record code sees it: its SHA-256 and its per-image fingerprints.
#[derive(Debug, Clone)]
pub struct FingerprintedBinary {
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Per-image fingerprints.
    pub images: Vec<ImageFingerprints>,
}

/// How one candidate function compares between the two builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionDiff {
    /// Function name or alias.
    pub function: String,
    /// Architecture.
    pub architecture: String,
    /// `changed`, `unchanged`, `only-vulnerable`, `only-fixed`, `absent` (in neither build).
    pub status: &'static str,
    /// TLSH distance (with length) between the builds, where both have a digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlsh_distance: Option<u32>,
}

/// The result of comparing a vulnerable and a fixed build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildDiff {
    /// Per candidate function.
    pub functions: Vec<FunctionDiff>,
    /// Records for the changed functions.
    #[serde(skip)]
    pub records: Vec<FingerprintRecord>,
    /// Functions present in both builds (all, not only candidates).
    pub common_functions: usize,
    /// Of those, how many have equal instruction hashes.
    pub common_unchanged: usize,
}

/// A function is unchanged when its size and instruction hash are equal (TLSH of the raw bytes
/// moves with relocated call targets, so it is not used to decide "changed"); without
/// instruction hashes, when the TLSH digests are equal.
fn unchanged(a: &FunctionFingerprint, b: &FunctionFingerprint) -> bool {
    match (&a.insn_hash, &b.insn_hash) {
        (Some(x), Some(y)) => x == y && a.size == b.size,
        _ => a.tlsh == b.tlsh && a.size == b.size,
    }
}

/// Compares `vulnerable` with `fixed` over `candidates` (all functions when `None`) and
/// builds records for the functions that changed. Candidates in neither build are an error
/// when `strict` (names given by the user), else listed as `absent` (names from a patch, which
/// may name static functions a stripped binary has no symbol for).
///
/// # Errors
/// [`RecordError::NoCommonArchitecture`]; [`RecordError::FunctionNotFound`].
pub fn diff_builds(
    vulnerability: &str,
    package: &str,
    vulnerable: &FingerprintedBinary,
    fixed: &FingerprintedBinary,
    candidates: Option<&BTreeSet<String>>,
    strict: bool,
) -> Result<BuildDiff, RecordError> {
    let mut diff = BuildDiff {
        functions: Vec::new(),
        records: Vec::new(),
        common_functions: 0,
        common_unchanged: 0,
    };
    let mut seen_any = BTreeSet::new();
    let mut any_arch = false;
    for vi in &vulnerable.images {
        let Some(fi) = fixed.images.iter().find(|f| f.arch == vi.arch) else {
            continue;
        };
        any_arch = true;
        let arch = vi.arch.name();
        let vmap: BTreeMap<&str, &FunctionFingerprint> =
            vi.functions.iter().map(|f| (f.key(), f)).collect();
        let fmap: BTreeMap<&str, &FunctionFingerprint> =
            fi.functions.iter().map(|f| (f.key(), f)).collect();
        for (k, v) in &vmap {
            if let Some(f) = fmap.get(k) {
                diff.common_functions += 1;
                if unchanged(v, f) {
                    diff.common_unchanged += 1;
                }
            }
        }
        let names: BTreeSet<&str> = match candidates {
            Some(c) => c.iter().map(String::as_str).collect(),
            None => vmap.keys().chain(fmap.keys()).copied().collect(),
        };
        for name in names {
            let v = vmap.get(name).copied().or_else(|| vi.find(name));
            let f = fmap.get(name).copied().or_else(|| fi.find(name));
            let (status, dist) = match (v, f) {
                (Some(v), Some(f)) => {
                    seen_any.insert(name.to_owned());
                    let d = v.tlsh.zip(f.tlsh).map(|(a, b)| a.distance(&b, true));
                    if unchanged(v, f) {
                        ("unchanged", d)
                    } else {
                        diff.records.extend(records_for(
                            vulnerability,
                            package,
                            &arch,
                            name,
                            v,
                            f,
                            vulnerable,
                            fixed,
                        ));
                        ("changed", d)
                    }
                }
                (Some(_), None) => {
                    seen_any.insert(name.to_owned());
                    ("only-vulnerable", None)
                }
                (None, Some(_)) => {
                    seen_any.insert(name.to_owned());
                    ("only-fixed", None)
                }
                (None, None) => continue,
            };
            // Without explicit candidates, list only what changed or is one-sided.
            if candidates.is_some() || status != "unchanged" {
                diff.functions.push(FunctionDiff {
                    function: name.to_owned(),
                    architecture: arch.clone(),
                    status,
                    tlsh_distance: dist,
                });
            }
        }
    }
    if !any_arch {
        return Err(RecordError::NoCommonArchitecture);
    }
    if let Some(c) = candidates {
        for missing in c.iter().filter(|n| !seen_any.contains(*n)) {
            if strict {
                return Err(RecordError::FunctionNotFound(missing.clone()));
            }
            diff.functions.push(FunctionDiff {
                function: missing.clone(),
                architecture: String::new(),
                status: "absent",
                tlsh_distance: None,
            });
        }
    }
    diff.records.sort_by_key(FingerprintRecord::file_name);
    Ok(diff)
}

#[allow(clippy::too_many_arguments)]
fn records_for(
    vulnerability: &str,
    package: &str,
    arch: &str,
    name: &str,
    v: &FunctionFingerprint,
    f: &FunctionFingerprint,
    vb: &FingerprintedBinary,
    fb: &FingerprintedBinary,
) -> Vec<FingerprintRecord> {
    let mut out = Vec::new();
    let mk = |method, vv: String, fv: String| FingerprintRecord {
        schema: SCHEMA_V1.to_owned(),
        vulnerability: vulnerability.to_owned(),
        package: package.to_owned(),
        function: name.to_owned(),
        architecture: arch.to_owned(),
        method,
        vulnerable: Reference {
            value: vv,
            size: v.size,
            binary_sha256: vb.sha256.clone(),
        },
        fixed: Reference {
            value: fv,
            size: f.size,
            binary_sha256: fb.sha256.clone(),
        },
    };
    if let (Some(a), Some(b)) = (v.tlsh, f.tlsh)
        && a != b
    {
        out.push(mk(Method::Tlsh, a.to_string(), b.to_string()));
    }
    if let (Some(a), Some(b)) = (&v.insn_hash, &f.insn_hash)
        && a != b
    {
        out.push(mk(Method::InsnHash, a.clone(), b.clone()));
    }
    out
}

/// The lower end of the TLSH confidence range.
pub const TLSH_CONFIDENCE_MIN: f64 = 0.75;
/// The upper end of the TLSH confidence range.
pub const TLSH_CONFIDENCE_MAX: f64 = 0.85;
/// The lower end of the instruction-hash confidence range.
pub const INSN_CONFIDENCE_MIN: f64 = 0.55;
/// The upper end of the instruction-hash confidence range.
pub const INSN_CONFIDENCE_MAX: f64 = 0.75;
/// A function located by searching (not by name) must be at most this TLSH distance from one
/// of the references.
pub const SEARCH_MAX_TLSH_DISTANCE: u32 = 100;

/// Which build a function resembles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Closer to the fixed reference.
    Fixed,
    /// Closer to the vulnerable reference.
    Vulnerable,
    /// Equally close, or not found.
    Undetermined,
}

/// The outcome of matching one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionMatch {
    /// Vulnerability id.
    pub vulnerability: String,
    /// Function (record name).
    pub function: String,
    /// Architecture.
    pub architecture: String,
    /// Method.
    pub method: Method,
    /// How the function was found: `name`, `alias`, `search`, or `absent`.
    pub located_by: &'static str,
    /// The function in the binary that was compared (its own name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_function: Option<String>,
    /// Distance to the vulnerable reference (TLSH: with length; insn-hash: 0 equal, 1 not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_vulnerable: Option<u32>,
    /// Distance to the fixed reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_fixed: Option<u32>,
    /// The verdict.
    pub verdict: Verdict,
    /// Confidence in the verdict (0 when undetermined).
    pub confidence: f64,
}

/// Matches `binary` against `records` (all records are used; filter by vulnerability first).
/// Records whose architecture is not in the binary give `absent` results.
#[must_use]
pub fn match_records(
    binary: &FingerprintedBinary,
    records: &[FingerprintRecord],
) -> Vec<FunctionMatch> {
    let mut out: Vec<FunctionMatch> = records.iter().map(|r| match_one(binary, r)).collect();
    out.sort_by(|a, b| {
        (&a.vulnerability, &a.architecture, &a.function, a.method).cmp(&(
            &b.vulnerability,
            &b.architecture,
            &b.function,
            b.method,
        ))
    });
    out
}

fn match_one(binary: &FingerprintedBinary, r: &FingerprintRecord) -> FunctionMatch {
    let mut m = FunctionMatch {
        vulnerability: r.vulnerability.clone(),
        function: r.function.clone(),
        architecture: r.architecture.clone(),
        method: r.method,
        located_by: "absent",
        target_function: None,
        distance_vulnerable: None,
        distance_fixed: None,
        verdict: Verdict::Undetermined,
        confidence: 0.0,
    };
    let images: Vec<&ImageFingerprints> = binary
        .images
        .iter()
        .filter(|i| i.arch.name() == r.architecture)
        .collect();
    // Locate: by symbol name, then by alias, then by searching every function.
    let mut found: Option<(&FunctionFingerprint, &'static str)> = None;
    for img in &images {
        if let Some(f) = img
            .functions
            .iter()
            .find(|f| f.name == r.function && !is_unnamed(&f.name))
        {
            found = Some((f, "name"));
            break;
        }
    }
    if found.is_none() {
        for img in &images {
            if let Some(f) = img
                .functions
                .iter()
                .find(|f| f.alias.as_deref() == Some(r.function.as_str()))
            {
                found = Some((f, "alias"));
                break;
            }
        }
    }
    let candidates = || images.iter().flat_map(|i| i.functions.iter());
    match r.method {
        Method::Tlsh => {
            let (Ok(vt), Ok(ft)) = (
                r.vulnerable.value.parse::<Tlsh>(),
                r.fixed.value.parse::<Tlsh>(),
            ) else {
                return m;
            };
            let dist = |f: &FunctionFingerprint| {
                f.tlsh
                    .map(|t| (t.distance(&vt, true), t.distance(&ft, true)))
            };
            // A located function with no digest counts as not located.
            let mut hit = found.and_then(|(f, how)| dist(f).map(|d| (f, how, d)));
            if hit.is_none() {
                hit = candidates()
                    .filter_map(|f| dist(f).map(|d| (f, "search", d)))
                    .filter(|(_, _, (dv, df))| (*dv).min(*df) <= SEARCH_MAX_TLSH_DISTANCE)
                    .min_by_key(|(f, _, (dv, df))| ((*dv).min(*df), f.address));
            }
            let Some((f, how, (dv, df))) = hit else {
                return m;
            };
            m.located_by = how;
            m.target_function = Some(f.name.clone());
            m.distance_vulnerable = Some(dv);
            m.distance_fixed = Some(df);
            let (verdict, confidence) = tlsh_verdict(dv, df, how == "search");
            m.verdict = verdict;
            m.confidence = confidence;
        }
        Method::InsnHash => {
            let eq = |f: &FunctionFingerprint| {
                f.insn_hash.as_deref().map(|h| {
                    (
                        u32::from(h != r.vulnerable.value),
                        u32::from(h != r.fixed.value),
                    )
                })
            };
            let mut hit = found.and_then(|(f, how)| eq(f).map(|d| (f, how, d)));
            // A located function equal to neither reference: look for one that is equal.
            if (hit.is_none() || hit.is_some_and(|(_, _, (a, b))| a == 1 && b == 1))
                && let Some(s) = candidates()
                    .filter_map(|f| eq(f).map(|d| (f, "search", d)))
                    .find(|(_, _, (a, b))| *a == 0 || *b == 0)
            {
                hit = Some(s);
            }
            let Some((f, how, (dv, df))) = hit else {
                return m;
            };
            m.located_by = how;
            m.target_function = Some(f.name.clone());
            m.distance_vulnerable = Some(dv);
            m.distance_fixed = Some(df);
            let (verdict, confidence) = match (dv, df) {
                (1, 0) => (Verdict::Fixed, insn_confidence(how)),
                (0, 1) => (Verdict::Vulnerable, insn_confidence(how)),
                _ => (Verdict::Undetermined, 0.0),
            };
            m.verdict = verdict;
            m.confidence = confidence;
        }
    }
    m
}

/// TLSH verdict and confidence: the nearer reference wins; confidence rises linearly from the
/// range's lower end (gap 0) to its upper end (one reference matched exactly, the other far)
/// with the decisiveness `|dv - df| / max(dv, df)`. A function found by search is capped at
/// the middle of the range. Rounded to 3 decimals so output is stable.
#[must_use]
pub fn tlsh_verdict(dv: u32, df: u32, searched: bool) -> (Verdict, f64) {
    if dv == df {
        return (Verdict::Undetermined, 0.0);
    }
    let decisive = f64::from(dv.abs_diff(df)) / f64::from(dv.max(df));
    let mut c = TLSH_CONFIDENCE_MIN + (TLSH_CONFIDENCE_MAX - TLSH_CONFIDENCE_MIN) * decisive;
    if searched {
        c = c.min((TLSH_CONFIDENCE_MIN + TLSH_CONFIDENCE_MAX) / 2.0);
    }
    let c = (c * 1000.0).round() / 1000.0;
    (
        if df < dv {
            Verdict::Fixed
        } else {
            Verdict::Vulnerable
        },
        c,
    )
}

/// Instruction-hash confidence by how the function was located: by symbol name the top of the
/// range, by alias the middle, by search the bottom.
fn insn_confidence(how: &str) -> f64 {
    match how {
        "name" => INSN_CONFIDENCE_MAX,
        "alias" => (INSN_CONFIDENCE_MIN + INSN_CONFIDENCE_MAX) / 2.0,
        _ => INSN_CONFIDENCE_MIN,
    }
}

/// The overall verdict over per-function matches: `fixed` / `vulnerable` when every decided
/// match agrees, `mixed` when they disagree, `undetermined` when none decided.
#[must_use]
pub fn overall_verdict(matches: &[FunctionMatch]) -> &'static str {
    let decided: BTreeSet<Verdict> = matches
        .iter()
        .map(|m| m.verdict)
        .filter(|v| *v != Verdict::Undetermined)
        .collect();
    match decided.iter().next() {
        None => "undetermined",
        Some(_) if decided.len() > 1 => "mixed",
        Some(Verdict::Fixed) => "fixed",
        Some(_) => "vulnerable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlsh_confidence_stays_in_range() {
        assert_eq!(tlsh_verdict(10, 10, false), (Verdict::Undetermined, 0.0));
        assert_eq!(tlsh_verdict(80, 0, false), (Verdict::Fixed, 0.85));
        assert_eq!(tlsh_verdict(0, 80, false), (Verdict::Vulnerable, 0.85));
        let (v, c) = tlsh_verdict(100, 90, false);
        assert_eq!(v, Verdict::Fixed);
        assert!((0.75..0.77).contains(&c), "{c}");
        assert_eq!(tlsh_verdict(80, 0, true).1, 0.8);
    }

    #[test]
    fn record_validation_names_the_field() {
        let r = FingerprintRecord {
            schema: SCHEMA_V1.into(),
            vulnerability: "CVE-2026-0001".into(),
            package: "pkg:deb/debian/libfoo@1.0".into(),
            function: "f".into(),
            architecture: "x86-64".into(),
            method: Method::InsnHash,
            vulnerable: Reference {
                value: "a".repeat(64),
                size: 1,
                binary_sha256: "b".repeat(64),
            },
            fixed: Reference {
                value: "c".repeat(64),
                size: 1,
                binary_sha256: "d".repeat(64),
            },
        };
        r.validate().unwrap();
        let back = FingerprintRecord::from_json(&r.to_canonical()).unwrap();
        assert_eq!(back, r);
        let mut bad = r.clone();
        bad.package = "not a purl".into();
        assert!(bad.validate().unwrap_err().to_string().contains("package"));
        let mut bad = r.clone();
        bad.method = Method::Tlsh;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("vulnerable.value")
        );
        assert!(FingerprintRecord::from_json(b"{\"schema\":1}").is_err());
    }
}
