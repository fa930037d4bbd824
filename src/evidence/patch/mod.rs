//! Patches as evidence: a DEP-3 / git format-patch header ([`dep3`]), the unified diff's files
//! and hunks ([`diff`]), and HunkSig signatures per hunk and per patch ([`hunksig`],
//! `spec/hunksig.md`) so one fix can be recognized across distributions and versions.
//!
//! Entry point: [`parse_patch`]. A patch without any hunk is an error (`patch-no-hunks`);
//! every error names its 1-based line; callers add the path.

pub mod dep3;
pub mod diff;
pub mod hunksig;

use serde::Serialize;

pub use dep3::PatchHeader;
pub use diff::{FilePatch, Hunk, HunkLine};
pub use hunksig::Sig;

use super::decode::{self, DecodeError};
use super::limits::Limits;
use crate::{Coded, FailureClass};

/// A parsed patch with its signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patch {
    /// The header (DEP-3 fields, git headers and trailers, mentioned ids).
    pub header: PatchHeader,
    /// The files it changes.
    pub files: Vec<FilePatch>,
    /// One HunkSig per hunk, in file and hunk order.
    pub hunk_sigs: Vec<Sig>,
    /// The patch signature (`None` if it changes only whitespace).
    pub patch_sig: Option<Sig>,
}

impl Patch {
    /// Distinct vulnerability ids named by the header (text and `CVE:` field), sorted.
    pub fn ids(&self) -> std::collections::BTreeSet<String> {
        self.header
            .mentions
            .iter()
            .map(|m| m.id.clone())
            .chain(self.header.cve_field.iter().cloned())
            .collect()
    }
}

/// Why a patch could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The compressed patch could not be decompressed.
    #[error("patch: {0}")]
    Decode(#[from] DecodeError),
    /// The input exceeds the size cap.
    #[error("patch of {len} bytes exceeds the limit of {max_bytes} bytes")]
    TooLarge {
        /// Size in bytes.
        len: u64,
        /// The cap.
        max_bytes: u64,
    },
    /// No `--- `/`+++ ` file header with a hunk.
    #[error("line {line}: patch has no hunks (no `--- a/… / +++ b/… / @@` diff found)")]
    NoHunks {
        /// Last line of the input (where a diff was still expected).
        line: usize,
    },
    /// A malformed `@@ -a,b +c,d @@` line.
    #[error("line {line}: malformed hunk header, expected `@@ -a,b +c,d @@`")]
    BadHunkHeader {
        /// 1-based line.
        line: usize,
    },
    /// A hunk before any file header.
    #[error("line {line}: hunk before any `---`/`+++` file header")]
    HunkWithoutFile {
        /// 1-based line.
        line: usize,
    },
    /// The input ends before the hunk's line counts are used up.
    #[error("line {line}: hunk is truncated (fewer lines than its header counts)")]
    TruncatedHunk {
        /// 1-based line of the hunk header.
        line: usize,
    },
    /// A line in a hunk body that is not ` `, `-`, `+` or `\`, or exceeds the counts.
    #[error("line {line}: unexpected line in hunk body")]
    BadHunkLine {
        /// 1-based line.
        line: usize,
    },
    /// More files than [`Limits::max_patch_files`].
    #[error("patch changes more than {max} files")]
    TooManyFiles {
        /// The cap.
        max: usize,
    },
    /// More hunks than [`Limits::max_patch_hunks`].
    #[error("patch has more than {max} hunks")]
    TooManyHunks {
        /// The cap.
        max: usize,
    },
}

impl PatchError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::NoHunks { line }
            | Self::BadHunkHeader { line }
            | Self::HunkWithoutFile { line }
            | Self::TruncatedHunk { line }
            | Self::BadHunkLine { line } => Some(*line),
            _ => None,
        }
    }
}

impl Coded for PatchError {
    fn code(&self) -> &'static str {
        match self {
            Self::Decode(e) => e.code(),
            Self::TooLarge { .. } => "patch-too-large",
            Self::NoHunks { .. } => "patch-no-hunks",
            Self::BadHunkHeader { .. } => "patch-hunk-header-invalid",
            Self::HunkWithoutFile { .. } => "patch-hunk-without-file",
            Self::TruncatedHunk { .. } => "patch-hunk-truncated",
            Self::BadHunkLine { .. } => "patch-hunk-line-invalid",
            Self::TooManyFiles { .. } => "patch-too-many-files",
            Self::TooManyHunks { .. } => "patch-too-many-hunks",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::Rejected
    }
}

/// Parses a patch (plain, or gzip/xz/zstd compressed): header, files, hunks and signatures.
pub fn parse_patch(bytes: &[u8], limits: &Limits) -> Result<Patch, PatchError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(PatchError::TooLarge {
            len: bytes.len() as u64,
            max_bytes: limits.max_input_bytes,
        });
    }
    let raw = decode::decompress_auto(bytes, limits.max_decompressed_bytes)?;
    let text = String::from_utf8_lossy(&raw);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let start = diff::find_diff_start(&lines).unwrap_or(lines.len());
    let header = dep3::parse_header(&lines[..start], 1);
    let files = diff::parse_diff(&lines[start..], start + 1, limits)?;
    if files.iter().all(|f| f.hunks.is_empty()) {
        return Err(PatchError::NoHunks {
            line: lines.len().max(1),
        });
    }
    let hunk_sigs = files
        .iter()
        .flat_map(|f| {
            f.hunks
                .iter()
                .map(move |h| hunksig::hunk_sig(f.basename(), h))
        })
        .collect();
    let patch_sig = hunksig::patch_sig(&files);
    Ok(Patch {
        header,
        files,
        hunk_sigs,
        patch_sig,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = r#"Description: Fix overflow in parse_foo (CVE-2023-1234)
Origin: upstream
---
--- a/src/foo.c
+++ b/src/foo.c
@@ -10,7 +10,8 @@ int parse_foo(const char *s)
 {
     char buf[16];
-    strcpy(buf, s);
+    if (strlen(s) >= sizeof buf) return -1;
+    strcpy(buf, s);
     return 0;
 }
 
 
"#;

    #[test]
    fn parses_and_signs() {
        let p = parse_patch(P.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(p.files.len(), 1);
        assert_eq!(p.files[0].path(), "b/src/foo.c");
        let h = &p.files[0].hunks[0];
        assert_eq!(
            (h.old_start, h.old_lines, h.new_start, h.new_lines),
            (10, 7, 10, 8)
        );
        assert_eq!(h.function.as_deref(), Some("int parse_foo(const char *s)"));
        assert_eq!(h.line, 6);
        assert_eq!(p.ids().into_iter().collect::<Vec<_>>(), ["CVE-2023-1234"]);
        assert_eq!(p.hunk_sigs.len(), 1);
        assert!(p.patch_sig.unwrap().to_string().starts_with("ps1:"));
    }

    #[test]
    fn drift_and_whitespace_do_not_change_signatures() {
        let drifted = r#"--- foo.c.orig	2020-01-01
+++ foo.c	2020-01-02
@@ -310,5 +310,6 @@ static int other_context(void)
   char buf[16];
-	strcpy(buf,s);
+	if (strlen(s)>=sizeof buf) return -1;
+	strcpy( buf, s );
   return 0;
 }
 /* different trailing context */
"#;
        let a = parse_patch(P.as_bytes(), &Limits::default()).unwrap();
        let b = parse_patch(drifted.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(a.hunk_sigs, b.hunk_sigs);
        assert_eq!(a.patch_sig, b.patch_sig);
        let other = drifted.replace("return -1", "return -2");
        let c = parse_patch(other.as_bytes(), &Limits::default()).unwrap();
        assert_ne!(a.patch_sig, c.patch_sig);
    }

    fn code(text: &str) -> (&'static str, Option<usize>) {
        let e = parse_patch(text.as_bytes(), &Limits::default()).unwrap_err();
        (e.code(), e.line())
    }

    #[test]
    fn bad_patches_have_codes_and_lines() {
        assert_eq!(
            code("Description: nothing here\n"),
            ("patch-no-hunks", Some(1))
        );
        assert_eq!(code("--- a/x\n+++ b/x\n"), ("patch-no-hunks", Some(2)));
        assert_eq!(
            code("--- a/x\n+++ b/x\n@@ -1 +1 @\n"),
            ("patch-hunk-header-invalid", Some(3))
        );
        assert_eq!(
            code("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n"),
            ("patch-hunk-truncated", Some(3))
        );
        assert_eq!(
            code("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n?b\n"),
            ("patch-hunk-line-invalid", Some(5))
        );
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(P.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        assert!(parse_patch(&gz, &Limits::default()).is_ok());
        let e = parse_patch(&gz[..gz.len() / 2], &Limits::default()).unwrap_err();
        assert_eq!(e.code(), "compressed-truncated");
    }
}

#[cfg(test)]
mod vectors {
    //! `fixtures/vectors/hunksig/`: every patch's signatures match `expected.tsv`
    //! (`file<TAB>patch sig<TAB>hunk sigs space-separated`).
    use super::*;
    use std::path::Path;

    #[test]
    fn hunksig_vectors() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors/hunksig");
        let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
        let mut n = 0;
        let mut got_all = String::new();
        for line in expected.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            let p = parse_patch(
                &std::fs::read(dir.join(cols[0])).expect("patch"),
                &Limits::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", cols[0]));
            let ps = p.patch_sig.map(|s| s.to_string()).unwrap_or_default();
            let hs: Vec<String> = p.hunk_sigs.iter().map(ToString::to_string).collect();
            got_all.push_str(&format!("{}\t{ps}\t{}\n", cols[0], hs.join(" ")));
            assert_eq!(cols[1], ps, "{}: patch sig", cols[0]);
            assert_eq!(cols[2], hs.join(" "), "{}: hunk sigs", cols[0]);
            n += 1;
        }
        assert!(n >= 4, "got:\n{got_all}");
        // The drifted backport is the same fix; a one-character change and another file are not.
        let sig = |name: &str| {
            expected
                .lines()
                .find(|l| l.starts_with(name))
                .map(|l| l.split('\t').nth(1).unwrap_or("").to_owned())
        };
        assert_eq!(sig("fix-a.patch"), sig("fix-a-drifted.patch"));
        assert_ne!(sig("fix-a.patch"), sig("fix-b.patch"));
        assert_ne!(sig("fix-a.patch"), sig("fix-a-other-file.patch"));
    }
}
