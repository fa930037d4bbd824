//! Changelogs as evidence: Debian `debian/changelog` (plain or compressed, including binNMU
//! changelogs) and RPM `%changelog` sections, read into [`ChangelogEntry`] records with the
//! vulnerability ids each entry mentions ([`ids`]) and what it says about them.
//!
//! Entry points: [`parse_debian`], [`parse_rpm`], or [`parse_auto`] for "whatever this is".
//! Errors carry the 1-based line; callers add the path (see [`crate::evidence::package`]).

pub mod debian;
pub mod ids;
pub mod rpm;

use std::collections::BTreeSet;

use serde::Serialize;

pub use ids::{MentionKind, classify, find_ids};

use super::decode::{self, DecodeError};
use super::limits::Limits;
use crate::{Coded, FailureClass};

/// Which changelog format an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ChangelogFormat {
    /// Debian `debian/changelog` (deb-changelog(5)).
    Debian,
    /// RPM spec `%changelog`.
    Rpm,
}

/// One vulnerability id mentioned in an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    /// Normalized id (`CVE-2024-1234`, `GHSA-xxxx-xxxx-xxxx`).
    pub id: String,
    /// What the surrounding text says about it.
    pub kind: MentionKind,
    /// 1-based line of the mention in the changelog.
    pub line: usize,
}

/// One changelog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangelogEntry {
    /// The format it was read from.
    pub format: ChangelogFormat,
    /// Source package name (Debian header; RPM only when the spec's `Name:` is known).
    pub package: Option<String>,
    /// The version the entry describes (Debian header; RPM `- VERSION` after the e-mail).
    pub version: String,
    /// Target distributions (Debian), e.g. `bookworm-security`.
    pub distributions: Vec<String>,
    /// Debian urgency (`low`, `medium`, `high`, …).
    pub urgency: Option<String>,
    /// A binNMU: `binary-only=yes` in the header, or a `+bN` version.
    pub binary_only: bool,
    /// Maintainer (`Name <email>`).
    pub maintainer: String,
    /// Date as written (RFC 2822 for Debian; `Www Mmm DD YYYY` for RPM).
    pub date: String,
    /// 1-based line of the entry's header.
    pub line: usize,
    /// The change text (body lines as written).
    pub changes: String,
    /// Vulnerability ids mentioned, one per occurrence, in order.
    pub mentions: Vec<Mention>,
}

impl ChangelogEntry {
    /// The distinct ids mentioned, sorted.
    pub fn ids(&self) -> BTreeSet<String> {
        self.mentions.iter().map(|m| m.id.clone()).collect()
    }

    /// The distinct ids this entry states as fixed (kind fix or regression-fix), sorted.
    pub fn fixed_ids(&self) -> BTreeSet<String> {
        self.mentions
            .iter()
            .filter(|m| matches!(m.kind, MentionKind::Fix | MentionKind::RegressionFix))
            .map(|m| m.id.clone())
            .collect()
    }
}

/// Why a changelog could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangelogError {
    /// The compressed changelog could not be decompressed.
    #[error("changelog: {0}")]
    Decode(#[from] DecodeError),
    /// The input exceeds the size cap.
    #[error("changelog of {len} bytes exceeds the limit of {max_bytes} bytes")]
    TooLarge {
        /// Size in bytes.
        len: u64,
        /// The cap.
        max_bytes: u64,
    },
    /// More entries than [`Limits::max_changelog_entries`].
    #[error("changelog has more than {max} entries")]
    TooManyEntries {
        /// The cap.
        max: usize,
    },
    /// No entry at all.
    #[error("changelog has no entries")]
    Empty,
    /// A line where an entry header was expected is not one.
    #[error(
        "line {line}: expected an entry header `package (version) distribution; urgency=…`, found {found:?}"
    )]
    BadHeader {
        /// 1-based line.
        line: usize,
        /// The line (truncated to 80 bytes).
        found: String,
    },
    /// The version in a header is not a valid version.
    #[error("line {line}: invalid version {version:?} in entry header: {reason}")]
    BadVersion {
        /// 1-based line.
        line: usize,
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// An entry ends (next header or end of file) without its ` -- maintainer  date` trailer.
    #[error("line {line}: entry started here has no ` -- maintainer <email>  date` trailer")]
    MissingTrailer {
        /// 1-based line of the entry's header.
        line: usize,
    },
    /// A trailer line is malformed.
    #[error("line {line}: malformed trailer, expected ` -- Name <email>  date`")]
    BadTrailer {
        /// 1-based line.
        line: usize,
    },
    /// An unindented line inside an entry.
    #[error("line {line}: unexpected unindented line inside an entry: {found:?}")]
    UnexpectedLine {
        /// 1-based line.
        line: usize,
        /// The line (truncated to 80 bytes).
        found: String,
    },
    /// An RPM spec without a `%changelog` section.
    #[error("spec file has no %changelog section")]
    NoChangelogSection,
}

impl ChangelogError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::BadHeader { line, .. }
            | Self::BadVersion { line, .. }
            | Self::MissingTrailer { line }
            | Self::BadTrailer { line }
            | Self::UnexpectedLine { line, .. } => Some(*line),
            _ => None,
        }
    }
}

impl Coded for ChangelogError {
    fn code(&self) -> &'static str {
        match self {
            Self::Decode(e) => e.code(),
            Self::TooLarge { .. } => "changelog-too-large",
            Self::TooManyEntries { .. } => "changelog-too-many-entries",
            Self::Empty => "changelog-empty",
            Self::BadHeader { .. } => "changelog-header-invalid",
            Self::BadVersion { .. } => "changelog-version-invalid",
            Self::MissingTrailer { .. } => "changelog-trailer-missing",
            Self::BadTrailer { .. } => "changelog-trailer-invalid",
            Self::UnexpectedLine { .. } => "changelog-line-unexpected",
            Self::NoChangelogSection => "changelog-section-missing",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

pub(crate) fn clip(s: &str) -> String {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Decompresses (gzip/xz/zstd) if needed and checks the size caps; returns the text (invalid
/// UTF-8 replaced, as old changelogs are often Latin-1).
pub(crate) fn decode_text(bytes: &[u8], limits: &Limits) -> Result<String, ChangelogError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(ChangelogError::TooLarge {
            len: bytes.len() as u64,
            max_bytes: limits.max_input_bytes,
        });
    }
    let raw = decode::decompress_auto(bytes, limits.max_decompressed_bytes)?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// Parses a Debian changelog (plain, gzip, xz or zstd).
pub fn parse_debian(bytes: &[u8], limits: &Limits) -> Result<Vec<ChangelogEntry>, ChangelogError> {
    debian::parse(&decode_text(bytes, limits)?, limits)
}

/// Parses an RPM changelog: a spec file's `%changelog` section, or the section's body alone
/// (as `rpm -q --changelog` prints it). `package` names the spec's package when known.
pub fn parse_rpm(
    bytes: &[u8],
    package: Option<&str>,
    limits: &Limits,
) -> Result<Vec<ChangelogEntry>, ChangelogError> {
    rpm::parse(&decode_text(bytes, limits)?, package, limits)
}

/// Mentions in a block of lines: each item (`*` bullet, `[ name ]` group) and sub-item
/// (`-`/`+` bullet) is one context for [`classify`]; a sub-item is read with its parent's first
/// line. `first_line` is the 1-based number of `lines[0]`.
pub(crate) fn mentions_in(lines: &[&str], first_line: usize) -> Vec<Mention> {
    struct Seg {
        parent: Option<String>,
        start: usize,
        end: usize,
    }
    let mut segs: Vec<Seg> = Vec::new();
    let mut top_first: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.is_empty() {
            continue;
        }
        let is_top = t.starts_with('*') || t.starts_with('[');
        let is_sub = t.starts_with("- ") || t.starts_with("+ ") || t.starts_with("o ");
        if is_top {
            top_first = Some((*line).to_owned());
            segs.push(Seg {
                parent: None,
                start: i,
                end: i + 1,
            });
        } else if is_sub {
            segs.push(Seg {
                parent: top_first.clone(),
                start: i,
                end: i + 1,
            });
        } else if let Some(s) = segs.last_mut() {
            s.end = i + 1;
        } else {
            segs.push(Seg {
                parent: None,
                start: i,
                end: i + 1,
            });
        }
    }
    let mut out = Vec::new();
    for s in &segs {
        let body = lines[s.start..s.end].join("\n");
        if find_ids(&body).is_empty() {
            continue;
        }
        let context = match &s.parent {
            Some(p) => format!("{p}\n{body}"),
            None => body.clone(),
        };
        let kind = classify(&context);
        for (k, line) in lines[s.start..s.end].iter().enumerate() {
            for m in find_ids(line) {
                out.push(Mention {
                    id: m.id,
                    kind,
                    line: first_line + s.start + k,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod real_changelogs {
    //! Real Debian changelogs (fixtures/changelogs, see its SOURCES.md): every entry parses and
    //! its ids match the hand-checked `<name>.ids` expectation.
    use super::*;
    use std::path::Path;

    #[test]
    fn ids_match_hand_checked_expectations() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/changelogs");
        let mut checked = 0;
        let mut failures = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixtures/changelogs exists") {
            let path = entry.expect("dir entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let Some(stem) = name
                .strip_suffix(".changelog")
                .or_else(|| name.strip_suffix(".changelog.amd64.gz"))
            else {
                continue;
            };
            let bytes = std::fs::read(&path).expect("read changelog");
            let entries = parse_debian(&bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{name}: {e} (line {:?})", e.line()));
            let expected = std::fs::read_to_string(dir.join(format!("{stem}.ids")))
                .unwrap_or_else(|_| panic!("{stem}.ids missing"));
            let want: Vec<(String, String)> = expected
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| {
                    let (v, ids) = l.split_once('\t').expect("version<TAB>ids");
                    (v.to_owned(), ids.to_owned())
                })
                .collect();
            let got: Vec<(String, String)> = entries
                .iter()
                .map(|e| {
                    (
                        e.version.clone(),
                        e.ids().into_iter().collect::<Vec<_>>().join(" "),
                    )
                })
                .collect();
            if got != want {
                for (g, w) in got.iter().zip(&want) {
                    if g != w {
                        failures.push(format!("{name}: got {g:?}, want {w:?}"));
                    }
                }
                if got.len() != want.len() {
                    failures.push(format!(
                        "{name}: {} entries, want {}",
                        got.len(),
                        want.len()
                    ));
                }
            }
            checked += 1;
        }
        assert!(checked >= 20, "only {checked} real changelogs");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
