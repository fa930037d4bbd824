//! Unified diffs (`diff -u`, `git diff`, quilt): file headers (`--- a/x` / `+++ b/x`, with any
//! `diff --git`, `Index:` and git extended header lines before them) and hunks
//! (`@@ -a,b +c,d @@ function context`). Hunk bodies are read by their line counts, as GNU
//! patch reads them, so a removed line that itself starts with `--` is not mistaken for a header.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::PatchError;
use crate::evidence::limits::Limits;

static HUNK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$").expect("valid regex")
});

/// One line of a hunk body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "text", rename_all = "kebab-case")]
pub enum HunkLine {
    /// Unchanged context (` `).
    Context(String),
    /// Removed (`-`).
    Removed(String),
    /// Added (`+`).
    Added(String),
}

/// One hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// Start line in the old file.
    pub old_start: u64,
    /// Line count in the old file.
    pub old_lines: u64,
    /// Start line in the new file.
    pub new_start: u64,
    /// Line count in the new file.
    pub new_lines: u64,
    /// Function context after the second `@@`, if any.
    pub function: Option<String>,
    /// 1-based line of the `@@` header in the patch.
    pub line: usize,
    /// The body.
    pub lines: Vec<HunkLine>,
}

/// The changes to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilePatch {
    /// Path on the `---` line (timestamp removed), e.g. `a/src/foo.c` or `/dev/null`.
    pub old_path: String,
    /// Path on the `+++` line.
    pub new_path: String,
    /// 1-based line of the `---` header.
    pub line: usize,
    /// The hunks.
    pub hunks: Vec<Hunk>,
}

impl FilePatch {
    /// The path this patch is about: the new path unless the file is deleted.
    pub fn path(&self) -> &str {
        if self.new_path == "/dev/null" {
            &self.old_path
        } else {
            &self.new_path
        }
    }

    /// The file name without directories.
    pub fn basename(&self) -> &str {
        let p = self.path();
        p.rsplit('/').next().unwrap_or(p)
    }
}

fn header_path(rest: &str) -> String {
    // "--- a/foo.c\t2023-01-01 00:00:00" → "a/foo.c"; quoted git paths are kept as written.
    let p = rest.split('\t').next().unwrap_or(rest).trim_end();
    p.to_owned()
}

/// Index of the first file header (`--- ` followed by `+++ `, or a `diff --git`/`Index:` line
/// that introduces one), if any.
pub fn find_diff_start(lines: &[&str]) -> Option<usize> {
    for i in 0..lines.len() {
        let l = lines[i];
        if l.starts_with("--- ") && lines.get(i + 1).is_some_and(|n| n.starts_with("+++ ")) {
            // Include any "diff --git"/"Index:" preamble directly above.
            let mut start = i;
            while start > 0 {
                let p = lines[start - 1];
                if p.starts_with("diff ")
                    || p.starts_with("Index: ")
                    || p.starts_with("index ")
                    || p.starts_with("=====")
                    || p.starts_with("new file mode")
                    || p.starts_with("deleted file mode")
                    || p.starts_with("old mode")
                    || p.starts_with("new mode")
                    || p.starts_with("similarity index")
                    || p.starts_with("rename ")
                {
                    start -= 1;
                } else {
                    break;
                }
            }
            return Some(start);
        }
    }
    None
}

/// Parses the diff part (`lines[0]` is line `first_line`, 1-based).
pub fn parse_diff(
    lines: &[&str],
    first_line: usize,
    limits: &Limits,
) -> Result<Vec<FilePatch>, PatchError> {
    let mut files: Vec<FilePatch> = Vec::new();
    let mut hunks_total = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with("--- ") && lines.get(i + 1).is_some_and(|n| n.starts_with("+++ ")) {
            if files.len() >= limits.max_patch_files {
                return Err(PatchError::TooManyFiles {
                    max: limits.max_patch_files,
                });
            }
            files.push(FilePatch {
                old_path: header_path(&l[4..]),
                new_path: header_path(&lines[i + 1][4..]),
                line: first_line + i,
                hunks: Vec::new(),
            });
            i += 2;
            continue;
        }
        if l.starts_with("@@") {
            let lineno = first_line + i;
            let Some(c) = HUNK_RE.captures(l) else {
                return Err(PatchError::BadHunkHeader { line: lineno });
            };
            let Some(file) = files.last_mut() else {
                return Err(PatchError::HunkWithoutFile { line: lineno });
            };
            let num = |k: usize, default: u64| -> Result<u64, PatchError> {
                match c.get(k) {
                    None => Ok(default),
                    Some(m) => m
                        .as_str()
                        .parse()
                        .map_err(|_| PatchError::BadHunkHeader { line: lineno }),
                }
            };
            let (old_start, old_lines) = (num(1, 0)?, num(2, 1)?);
            let (new_start, new_lines) = (num(3, 0)?, num(4, 1)?);
            let function = Some(c[5].trim().to_owned()).filter(|f| !f.is_empty());
            hunks_total += 1;
            if hunks_total > limits.max_patch_hunks {
                return Err(PatchError::TooManyHunks {
                    max: limits.max_patch_hunks,
                });
            }
            let (mut old_left, mut new_left) = (old_lines, new_lines);
            let mut body = Vec::new();
            i += 1;
            while old_left > 0 || new_left > 0 {
                let Some(&b) = lines.get(i) else {
                    return Err(PatchError::TruncatedHunk { line: lineno });
                };
                let bl = first_line + i;
                match b.as_bytes().first() {
                    Some(b' ') | None => {
                        // An empty line is context whose single space was stripped.
                        if old_left == 0 || new_left == 0 {
                            return Err(PatchError::BadHunkLine { line: bl });
                        }
                        body.push(HunkLine::Context(b.get(1..).unwrap_or("").to_owned()));
                        old_left -= 1;
                        new_left -= 1;
                    }
                    Some(b'-') if old_left > 0 => {
                        body.push(HunkLine::Removed(b[1..].to_owned()));
                        old_left -= 1;
                    }
                    Some(b'+') if new_left > 0 => {
                        body.push(HunkLine::Added(b[1..].to_owned()));
                        new_left -= 1;
                    }
                    Some(b'\\') => {}
                    _ => return Err(PatchError::BadHunkLine { line: bl }),
                }
                i += 1;
            }
            // "\ No newline at end of file" after the last line.
            while lines.get(i).is_some_and(|l| l.starts_with('\\')) {
                i += 1;
            }
            file.hunks.push(Hunk {
                old_start,
                old_lines,
                new_start,
                new_lines,
                function,
                line: lineno,
                lines: body,
            });
            continue;
        }
        // Anything else between files (diff/index lines, "-- " signatures, "Only in …").
        i += 1;
    }
    Ok(files)
}
