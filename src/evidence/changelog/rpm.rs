//! RPM `%changelog` entries:
//!
//! ```text
//! * Wed Jun 14 2023 Jane Doe <jane@example.org> - 1.2.3-4
//! - Fix CVE-2023-1234 (heap overflow in foo)
//! ```
//!
//! The input is either a whole spec file (the `%changelog` section runs to the next line that
//! starts a section, `%` followed by a letter) or the section body alone, as
//! `rpm -q --changelog` prints it. The version is what follows the e-mail address (after an
//! optional `-`); it may be empty in old entries.

use std::sync::LazyLock;

use regex::Regex;

use super::{ChangelogEntry, ChangelogError, ChangelogFormat, clip, mentions_in};
use crate::evidence::limits::Limits;

static ENTRY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\*\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d\d:\d\d:\d\d\s+(?:[A-Z]{3,4}\s+)?)?\d{4})\s+(.*?)\s*$")
        .expect("valid regex")
});
static SECTION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^%[a-zA-Z]").expect("valid regex"));

/// Parses RPM changelog text (a spec file or a bare `%changelog` body).
pub fn parse(
    text: &str,
    package: Option<&str>,
    limits: &Limits,
) -> Result<Vec<ChangelogEntry>, ChangelogError> {
    let all: Vec<&str> = text.lines().collect();
    let (lines, offset) = match all.iter().position(|l| l.trim_end() == "%changelog") {
        Some(p) => {
            let rest = &all[p + 1..];
            let end = rest
                .iter()
                .position(|l| SECTION_RE.is_match(l))
                .unwrap_or(rest.len());
            (&rest[..end], p + 1)
        }
        None if all
            .iter()
            .any(|l| SECTION_RE.is_match(l) && l.starts_with("%prep")) =>
        {
            return Err(ChangelogError::NoChangelogSection);
        }
        None => (&all[..], 0),
    };
    let mut entries: Vec<ChangelogEntry> = Vec::new();
    let mut body_start = 0;
    let finish = |entries: &mut Vec<ChangelogEntry>, start: usize, end: usize| {
        if let Some(e) = entries.last_mut() {
            let body = &lines[start..end];
            e.changes = body
                .iter()
                .map(|l| l.trim_end())
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned();
            e.mentions = mentions_in(body, offset + start + 1);
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('*') {
            let Some(c) = ENTRY_RE.captures(line) else {
                return Err(ChangelogError::BadHeader {
                    line: offset + i + 1,
                    found: clip(line),
                });
            };
            finish(&mut entries, body_start, i);
            if entries.len() >= limits.max_changelog_entries {
                return Err(ChangelogError::TooManyEntries {
                    max: limits.max_changelog_entries,
                });
            }
            let (maintainer, version) = split_who_version(&c[2]);
            entries.push(ChangelogEntry {
                format: ChangelogFormat::Rpm,
                package: package.map(str::to_owned),
                version,
                distributions: Vec::new(),
                urgency: None,
                binary_only: false,
                maintainer,
                date: c[1].split_whitespace().collect::<Vec<_>>().join(" "),
                line: offset + i + 1,
                changes: String::new(),
                mentions: Vec::new(),
            });
            body_start = i + 1;
        } else if entries.is_empty() && !line.trim().is_empty() {
            return Err(ChangelogError::BadHeader {
                line: offset + i + 1,
                found: clip(line),
            });
        }
    }
    finish(&mut entries, body_start, lines.len());
    if entries.is_empty() {
        return Err(ChangelogError::Empty);
    }
    Ok(entries)
}

/// `Jane Doe <jane@example.org> - 1.2-3` → (`Jane Doe <jane@example.org>`, `1.2-3`).
fn split_who_version(rest: &str) -> (String, String) {
    if let Some(gt) = rest.rfind('>') {
        let who = rest[..=gt].trim().to_owned();
        let tail = rest[gt + 1..].trim();
        let version = tail.strip_prefix('-').unwrap_or(tail).trim();
        return (who, version.to_owned());
    }
    match rest.rsplit_once(" - ") {
        Some((who, v)) => (who.trim().to_owned(), v.trim().to_owned()),
        None => (rest.trim().to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;
    use crate::evidence::changelog::MentionKind;

    const SPEC: &str = "\
Name: foo
Version: 1.2.3
%prep
%setup -q
%changelog
* Wed Jun 14 2023 Jane Doe <jane@example.org> - 1.2.3-4
- Fix CVE-2023-1234 (heap overflow in foo)
- Add test for CVE-2023-5678

* Mon Jan 02 2023 John Roe <john@example.org> 1.2.3-3
- Rebuild
";

    #[test]
    fn parses_spec_changelog() {
        let e = parse(SPEC, Some("foo"), &Limits::default()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].version, "1.2.3-4");
        assert_eq!(e[0].maintainer, "Jane Doe <jane@example.org>");
        assert_eq!(e[0].date, "Wed Jun 14 2023");
        assert_eq!(e[0].line, 6);
        assert_eq!(e[0].mentions[0].id, "CVE-2023-1234");
        assert_eq!(e[0].mentions[0].kind, MentionKind::Fix);
        assert_eq!(e[0].mentions[0].line, 7);
        assert_eq!(e[0].mentions[1].kind, MentionKind::TestOnly);
        assert_eq!(e[1].version, "1.2.3-3");
        assert_eq!(e[1].package.as_deref(), Some("foo"));
    }

    #[test]
    fn broken_header() {
        let err = parse(
            "%changelog\n* yesterday me - 1.0\n- x\n",
            None,
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.line()),
            ("changelog-header-invalid", Some(2))
        );
        let err = parse("Name: x\n%prep\n", None, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "changelog-section-missing");
    }
}
