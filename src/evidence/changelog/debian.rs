//! Debian changelogs, as deb-changelog(5) and dpkg's `Dpkg::Changelog::Debian` read them:
//!
//! ```text
//! package (version) distribution(s); urgency=urgency[, key=value…]
//!
//!   * change details
//!     more change details
//!
//!  -- maintainer name <email address>  date
//! ```
//!
//! Parsing is strict where it matters for evidence: a malformed header, a version dpkg would
//! reject, a missing or malformed trailer, or an unindented line inside an entry is an error
//! with its line. After at least one entry, the conventional end-of-changelog markers (Emacs
//! `Local variables:`, `Old Changelog:`, and other unindented text that is not an attempted
//! header) end the parse, as dpkg does.

use std::sync::LazyLock;

use regex::Regex;

use super::{ChangelogEntry, ChangelogError, ChangelogFormat, clip, mentions_in};
use crate::evidence::limits::Limits;
use crate::evidence::version::deb::DebVersion;

static HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\w[-+0-9A-Za-z.]*) \(([^() \t]+)\)((?:\s+[-+0-9A-Za-z.]+)+);(.*?)\s*$")
        .expect("valid regex")
});
/// Something that tries to be a header: a package name, a space and a parenthesis.
static HEADER_ATTEMPT_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][-+a-z0-9.]* \(").expect("valid regex"));
static TRAILER_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ -- (.*?<[^>]*>) ?\s*(.*?)\s*$").expect("valid regex"));
static BINNMU_VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+b\d+$").expect("valid regex"));

struct Open {
    entry: ChangelogEntry,
    body_start: usize,
}

/// Parses the text of a Debian changelog.
pub fn parse(text: &str, limits: &Limits) -> Result<Vec<ChangelogEntry>, ChangelogError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut entries = Vec::new();
    let mut open: Option<Open> = None;
    for (i, &line) in lines.iter().enumerate() {
        let lineno = i + 1;
        match open.as_mut() {
            None => {
                if line.trim().is_empty() {
                    continue;
                }
                if let Some(c) = HEADER_RE.captures(line) {
                    if entries.len() >= limits.max_changelog_entries {
                        return Err(ChangelogError::TooManyEntries {
                            max: limits.max_changelog_entries,
                        });
                    }
                    open = Some(Open {
                        entry: header(&c, lineno)?,
                        body_start: i + 1,
                    });
                    continue;
                }
                let attempted = HEADER_ATTEMPT_RE.is_match(line);
                if entries.is_empty() || attempted {
                    return Err(ChangelogError::BadHeader {
                        line: lineno,
                        found: clip(line),
                    });
                }
                // End of the parseable changelog (old formats, editor footers).
                break;
            }
            Some(o) => {
                if line.starts_with(" --") {
                    let Some(c) = TRAILER_RE.captures(line) else {
                        return Err(ChangelogError::BadTrailer { line: lineno });
                    };
                    let Open {
                        mut entry,
                        body_start,
                    } = open.take().expect("entry is open");
                    entry.maintainer = c[1].trim().to_owned();
                    entry.date = c[2].to_owned();
                    let body = &lines[body_start..i];
                    entry.changes = trim_blank(body).join("\n");
                    entry.mentions = mentions_in(body, body_start + 1);
                    entries.push(entry);
                    continue;
                }
                if line.is_empty() || line.starts_with([' ', '\t']) {
                    continue;
                }
                if HEADER_RE.is_match(line) {
                    return Err(ChangelogError::MissingTrailer { line: o.entry.line });
                }
                return Err(ChangelogError::UnexpectedLine {
                    line: lineno,
                    found: clip(line),
                });
            }
        }
    }
    if let Some(o) = open {
        return Err(ChangelogError::MissingTrailer { line: o.entry.line });
    }
    if entries.is_empty() {
        return Err(ChangelogError::Empty);
    }
    Ok(entries)
}

fn trim_blank<'a>(body: &'a [&'a str]) -> &'a [&'a str] {
    let start = body
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(body.len());
    let end = body
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |e| e + 1);
    &body[start..end]
}

fn header(c: &regex::Captures<'_>, lineno: usize) -> Result<ChangelogEntry, ChangelogError> {
    let version = c[2].to_owned();
    DebVersion::parse(&version).map_err(|e| ChangelogError::BadVersion {
        line: lineno,
        version: version.clone(),
        reason: match e {
            crate::evidence::version::VersionError::Invalid { reason, .. } => reason.to_owned(),
            other => other.to_string(),
        },
    })?;
    let distributions = c[3].split_whitespace().map(str::to_owned).collect();
    let mut urgency = None;
    let mut binary_only = false;
    for kv in c[4].split(',') {
        let Some((k, v)) = kv.split_once('=') else {
            if kv.trim().is_empty() {
                continue;
            }
            return Err(ChangelogError::BadHeader {
                line: lineno,
                found: clip(&c[0]),
            });
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "urgency" => urgency = Some(v.trim().to_owned()),
            "binary-only" => binary_only = v.trim().eq_ignore_ascii_case("yes"),
            _ => {}
        }
    }
    if BINNMU_VERSION_RE.is_match(&version) {
        binary_only = true;
    }
    Ok(ChangelogEntry {
        format: ChangelogFormat::Debian,
        package: Some(c[1].to_owned()),
        version,
        distributions,
        urgency,
        binary_only,
        maintainer: String::new(),
        date: String::new(),
        line: lineno,
        changes: String::new(),
        mentions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;
    use crate::evidence::changelog::MentionKind;

    const SAMPLE: &str = "\
curl (7.88.1-10+deb12u5) bookworm-security; urgency=medium

  * Non-maintainer upload by the Security Team.
  * Fix CVE-2023-46218 (cookie mixed case PSL bypass)
  * d/tests: add test for cve-2023-46219

 -- Samuel Henrique <samueloph@debian.org>  Sat, 09 Dec 2023 17:26:30 +0000

curl (7.88.1-10+deb12u4) bookworm; urgency=medium, binary-only=yes

  * Binary-only non-maintainer upload for amd64; no source changes.

 -- amd64 Build Daemon <buildd@example.org>  Mon, 01 Jan 2024 00:00:00 +0000
";

    #[test]
    fn parses_entries() {
        let e = parse(SAMPLE, &Limits::default()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].package.as_deref(), Some("curl"));
        assert_eq!(e[0].version, "7.88.1-10+deb12u5");
        assert_eq!(e[0].distributions, ["bookworm-security"]);
        assert_eq!(e[0].urgency.as_deref(), Some("medium"));
        assert_eq!(e[0].maintainer, "Samuel Henrique <samueloph@debian.org>");
        assert_eq!(e[0].date, "Sat, 09 Dec 2023 17:26:30 +0000");
        assert_eq!(e[0].line, 1);
        assert_eq!(e[0].mentions.len(), 2);
        assert_eq!(e[0].mentions[0].id, "CVE-2023-46218");
        assert_eq!(e[0].mentions[0].kind, MentionKind::Fix);
        assert_eq!(e[0].mentions[0].line, 4);
        assert_eq!(e[0].mentions[1].kind, MentionKind::TestOnly);
        assert!(!e[0].binary_only);
        assert!(e[1].binary_only);
    }

    fn code(text: &str) -> (&'static str, Option<usize>) {
        let e = parse(text, &Limits::default()).unwrap_err();
        (e.code(), e.line())
    }

    #[test]
    fn bad_input_has_codes_and_lines() {
        assert_eq!(
            code("garbage here\n"),
            ("changelog-header-invalid", Some(1))
        );
        assert_eq!(
            code("foo (1.0 unstable; urgency=low\n"),
            ("changelog-header-invalid", Some(1))
        );
        assert_eq!(
            code("foo (1.0-) unstable; urgency=low\n"),
            ("changelog-version-invalid", Some(1))
        );
        assert_eq!(
            code("foo (1.0) unstable; urgency=low\n\n  * x\n"),
            ("changelog-trailer-missing", Some(1))
        );
        assert_eq!(
            code("foo (1.0) unstable; urgency=low\n\n  * x\n\n -- nobody\n"),
            ("changelog-trailer-invalid", Some(5))
        );
        assert_eq!(
            code("foo (1.0) unstable; urgency=low\n\n  * x\nbar\n"),
            ("changelog-line-unexpected", Some(4))
        );
        assert_eq!(
            code("foo (1.0) unstable; urgency=low\n  * x\nfoo (0.9) unstable; urgency=low\n"),
            ("changelog-trailer-missing", Some(1))
        );
        assert_eq!(code("\n\n"), ("changelog-empty", None));
    }

    #[test]
    fn stops_at_old_changelog_tail() {
        let text = format!("{SAMPLE}\nLocal variables:\nmode: debian-changelog\nEnd:\n");
        assert_eq!(parse(&text, &Limits::default()).unwrap().len(), 2);
    }
}
