//! Vulnerability identifiers in free text, and what the text says about them.
//!
//! Recognized (case-insensitive), normalized to the canonical spelling:
//! - `CVE-YYYY-NNNN…` (4 or more digits), also written `CVE YYYY-NNNN`, `CVE_YYYY-NNNN` or
//!   `CVEYYYY-NNNN`; the pre-2005 candidate prefix `CAN-` becomes `CVE-`.
//! - GitHub advisories `GHSA-xxxx-xxxx-xxxx` (normalized to lower-case groups).
//!
//! Not recognized: Zero Day Initiative candidates (`ZDI-CAN-…`), and ids glued to letters or
//! digits on either side (`xCVE-…`, `CVE-2023-1234a`).
//!
//! [`classify`] reads the text around a mention (the changelog item or patch header holding it)
//! and decides, conservatively, whether it states a fix, a fix of a regression, a test-only
//! change, or something else (a revert, "not affected", a reference).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

static CVE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(CVE|CAN)[-_ ]?((?:19|20)\d\d)-(\d{4,})\b").expect("valid regex")
});
static GHSA_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bGHSA-([2-9cfghjmpqrvwx]{4})-([2-9cfghjmpqrvwx]{4})-([2-9cfghjmpqrvwx]{4})\b")
        .expect("valid regex")
});

/// Longest CVE sequence number accepted, in digits (longer runs are not ids).
const MAX_CVE_NUMBER_DIGITS: usize = 8;

/// One identifier found in a text, with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMatch {
    /// The normalized identifier (`CVE-2024-1234`, `GHSA-abcd-efgh-ijkm`).
    pub id: String,
    /// Byte offset of the match in the text.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
}

/// Finds every vulnerability id in `text`, in order of appearance (duplicates kept).
pub fn find_ids(text: &str) -> Vec<IdMatch> {
    let mut out = Vec::new();
    for c in CVE_RE.captures_iter(text) {
        let m = c.get(0).expect("group 0 always matches");
        let before = &text[..m.start()];
        if c[1].eq_ignore_ascii_case("CAN") && before.to_ascii_uppercase().ends_with("ZDI-") {
            continue;
        }
        if c[3].len() > MAX_CVE_NUMBER_DIGITS {
            continue;
        }
        out.push(IdMatch {
            id: format!("CVE-{}-{}", &c[2], &c[3]),
            start: m.start(),
            end: m.end(),
        });
    }
    for c in GHSA_RE.captures_iter(text) {
        let m = c.get(0).expect("group 0 always matches");
        out.push(IdMatch {
            id: format!(
                "GHSA-{}-{}-{}",
                c[1].to_ascii_lowercase(),
                c[2].to_ascii_lowercase(),
                c[3].to_ascii_lowercase()
            ),
            start: m.start(),
            end: m.end(),
        });
    }
    out.sort_by_key(|m| m.start);
    out
}

/// What a text says about a vulnerability it mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MentionKind {
    /// The change fixes the vulnerability (patch, backport, security update, new upstream).
    Fix,
    /// The change fixes a regression caused by an earlier fix for it.
    RegressionFix,
    /// Only tests change (a test for the vulnerability is added, enabled or skipped).
    TestOnly,
    /// Anything else: a revert, "not affected", a reference, or too little text to tell.
    Other,
}

impl MentionKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fix => "fix",
            Self::RegressionFix => "regression-fix",
            Self::TestOnly => "test-only",
            Self::Other => "other",
        }
    }
}

static NEGATIVE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(revert(s|ed|ing)?|not (be )?(affected|vulnerable)|does(n't| not) affect|unaffected|false positive|disputed|ignore[sd]?|wontfix|won't fix|no-dsa|postponed?|reintroduc\w*|document(s|ed|ing)?|mention(s|ed|ing)?)\b",
    )
    .expect("valid regex")
});
static REGRESSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bregress(ion|ions|ed)?\b").expect("valid regex"));
/// "regression" tied to an earlier fix or update (not a regression of something else).
static REGRESSION_LINK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\bprevious(ly)?\b|\bintroduced\b|\bcaused by (the |a )?(previous |security )?(fix|patch|update)|\bsecurity regression|regression[-_ ]?[-_\w{},]*\.(patch|diff)\b|-regression\b|\bregression (in|from|of|with|caused by) (the )?(previous |last |recent )?(security )?(fix|patch|update)|\b(fix|patch|update)e?s? for .{0,60}regress)",
    )
    .expect("valid regex")
});
static REGRESSION_TEST_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bregression[- ]?(test|tests|testsuite|testing)\b").expect("valid regex")
});
static TEST_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\b(tests?|testsuite|test-?suite|testcase|test case|autopkgtests?|unit[- ]tests?|selftests?)\b|debian/tests|d/tests)",
    )
    .expect("valid regex")
});
static FIX_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\b(fix(e[sd])?|fixing|security|patch(es|ed)?|backport(s|ed)?|cherry[- ]pick(ed)?|prevent(s|ed)?|address(es|ed)?|resolve[sd]?|mitigat\w*|harden\w*|sanitiz\w*|overflows?|underflows?|use[- ]after[- ]free|double[- ]free|out[- ]of[- ]bounds|oob|denial[- ]of[- ]service|dos|vulnerab\w*|exploit\w*|injection|crash(es)?|infinite loop|null pointer|dereference|disclosure|bypass|upstream (release|version)|new upstream|update|updated|cves?)\b|\.(patch|diff)\b)",
    )
    .expect("valid regex")
});

/// Classifies a mention of a vulnerability from the text around it (typically the changelog
/// item holding it, with its parent item). The rules, first match wins:
/// 1. a revert, "not affected", "ignored", "false positive", "document…", "mention…" →
///    [`MentionKind::Other`];
/// 2. "regression" (not "regression test") tied to an earlier fix ("introduced by", "previously
///    fixed", "security regression", a `…-regression.patch`) → [`MentionKind::RegressionFix`];
/// 3. test words (test, testsuite, autopkgtest, `debian/tests`) with no fix words once the test
///    words are removed → [`MentionKind::TestOnly`];
/// 4. otherwise [`MentionKind::Fix`]: in a changelog item or a patch header an id is listed
///    because the change addresses it.
pub fn classify(context: &str) -> MentionKind {
    let ids = find_ids(context);
    let mut stripped = String::with_capacity(context.len());
    let mut last = 0;
    for m in &ids {
        stripped.push_str(&context[last..m.start]);
        stripped.push(' ');
        last = m.end;
    }
    stripped.push_str(&context[last..]);
    if NEGATIVE_RE.is_match(&stripped) {
        return MentionKind::Other;
    }
    let without_regression_tests = REGRESSION_TEST_RE.replace_all(&stripped, " test ");
    if REGRESSION_RE.is_match(&without_regression_tests)
        && REGRESSION_LINK_RE.is_match(&without_regression_tests)
    {
        return MentionKind::RegressionFix;
    }
    if TEST_RE.is_match(&stripped) {
        let no_tests = TEST_RE.replace_all(&stripped, " ");
        // "Add test for X" or "skip test for X": fix words must remain outside test phrases.
        let fixes = FIX_RE.find_iter(&no_tests).any(|m| {
            let w = m.as_str().to_ascii_lowercase();
            !matches!(
                w.as_str(),
                "update" | "updated" | "cve" | "cves" | ".patch" | ".diff"
            )
        });
        if !fixes {
            return MentionKind::TestOnly;
        }
    }
    // In a changelog item or patch header, an id with nothing saying otherwise is a fix: that is
    // how security uploads list them ("* CVE-2024-1234: overflow in foo", "- CVE-2024-1234").
    MentionKind::Fix
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(t: &str) -> Vec<String> {
        find_ids(t).into_iter().map(|m| m.id).collect()
    }

    #[test]
    fn forms() {
        assert_eq!(
            ids("fix CVE-2024-1234 and cve-2023-45678"),
            ["CVE-2024-1234", "CVE-2023-45678"]
        );
        assert_eq!(ids("CVE 2021-3156"), ["CVE-2021-3156"]);
        assert_eq!(ids("CAN-2004-0001"), ["CVE-2004-0001"]);
        assert_eq!(ids("(CVE-2022-1234)."), ["CVE-2022-1234"]);
        assert_eq!(ids("debian/patches/CVE-2022-1234.patch"), ["CVE-2022-1234"]);
        assert_eq!(ids("GHSA-jfh8-c2jp-5v3q"), ["GHSA-jfh8-c2jp-5v3q"]);
        assert_eq!(ids("ghsa-JFH8-C2JP-5V3Q"), ["GHSA-jfh8-c2jp-5v3q"]);
        assert!(ids("ZDI-CAN-12345").is_empty());
        assert!(ids("ZDI-CAN-2004-1234").is_empty());
        assert!(ids("xCVE-2024-1234").is_empty());
        assert!(ids("CVE-2024-123").is_empty());
        assert!(ids("CVE-2024-1234a").is_empty());
    }

    #[test]
    fn classification() {
        use MentionKind::*;
        assert_eq!(classify("* Fix heap overflow in foo (CVE-2024-1234)"), Fix);
        assert_eq!(classify("* CVE-2024-1234"), Fix);
        assert_eq!(classify("- CVE-2024-1234, CVE-2024-1235"), Fix);
        assert_eq!(
            classify("* debian/patches/CVE-2024-1234.patch: check length in a.c"),
            Fix
        );
        assert_eq!(
            classify("* Fix regression introduced by the fix for CVE-2024-1234"),
            RegressionFix
        );
        assert_eq!(
            classify("* SECURITY REGRESSION: crash in foo\n - CVE-2024-1234"),
            RegressionFix
        );
        assert_eq!(
            classify("* Add regression test for CVE-2024-1234"),
            TestOnly
        );
        assert_eq!(
            classify("* d/tests: skip CVE-2024-1234 test on armhf"),
            TestOnly
        );
        assert_eq!(
            classify("* Revert patch for CVE-2024-1234, it breaks foo"),
            Other
        );
        assert_eq!(
            classify("* Not affected by CVE-2024-1234 (only Windows)"),
            Other
        );
        assert_eq!(classify("* Document CVE-2024-1234 in README.Debian"), Other);
        assert_eq!(classify("* CVE-2024-1234 (Closes: #1)"), Fix);
        assert_eq!(
            classify("* CVE-2023-7104: Session extension buffer overread"),
            Fix
        );
        assert_eq!(
            classify("+ Fix a DTLS regression (caused by TLS1.3 support) CVE-2020-11501"),
            Fix
        );
        assert_eq!(
            classify("* Cherry-pick upstream regression fix for previously fixed CVE 2026-33416."),
            RegressionFix
        );
        assert_eq!(
            classify("* debian/patches/fix-CVE-2023-27534-regression-{1,2}.patch: add"),
            RegressionFix
        );
    }
}
