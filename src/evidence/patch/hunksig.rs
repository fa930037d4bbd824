//! HunkSig: a deterministic signature of what a hunk (and a whole patch) changes, insensitive to
//! whitespace, line numbers, function context and context lines, so that one fix matches across
//! distributions and versions. Normative description: `spec/hunksig.md` (version 1).
//!
//! - A line is normalized by decoding it as UTF-8 (invalid bytes replaced) and deleting every
//!   ASCII whitespace byte (HT, LF, VT, FF, CR, SP); lines empty after normalization are dropped.
//! - Hunk signature: BLAKE3 over `"airlock-hunksig-v1\n"`, `"file:" basename "\n"`, then each
//!   normalized removed line as `"-" line "\n"` in order, then each normalized added line as
//!   `"+" line "\n"` in order. Written `hs1:` + 64 lower-case hex digits.
//! - Patch signature: per file with at least one normalized changed line, the file's removed
//!   lines of all its hunks in order, then its added lines, hashed as a hunk with domain
//!   `"airlock-patchsig-v1\n"` per file; the files' digests (raw 32 bytes) sorted bytewise and
//!   hashed with domain `"airlock-patchsig-v1\n"` again. Written `ps1:` + hex. Splitting or
//!   merging hunks, reordering files, drifting line numbers or context leave it unchanged.

use std::fmt;

use serde::Serialize;

use super::diff::{FilePatch, Hunk, HunkLine};

const HUNK_DOMAIN: &[u8] = b"airlock-hunksig-v1\n";
const PATCH_DOMAIN: &[u8] = b"airlock-patchsig-v1\n";

/// A hunk or patch signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sig {
    prefix: &'static str,
    digest: [u8; 32],
}

impl Sig {
    /// The raw BLAKE3 digest.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefix, hex::encode(self.digest))
    }
}

impl Serialize for Sig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Deletes ASCII whitespace; `None` when nothing is left.
pub fn normalize_line(line: &str) -> Option<String> {
    let n: String = line
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' '))
        .collect();
    (!n.is_empty()).then_some(n)
}

fn feed(
    h: &mut blake3::Hasher,
    domain: &[u8],
    basename: &str,
    removed: &[String],
    added: &[String],
) {
    h.update(domain);
    h.update(b"file:");
    h.update(basename.as_bytes());
    h.update(b"\n");
    for l in removed {
        h.update(b"-");
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    for l in added {
        h.update(b"+");
        h.update(l.as_bytes());
        h.update(b"\n");
    }
}

fn changed(lines: &[HunkLine]) -> (Vec<String>, Vec<String>) {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for l in lines {
        match l {
            HunkLine::Removed(t) => removed.extend(normalize_line(t)),
            HunkLine::Added(t) => added.extend(normalize_line(t)),
            HunkLine::Context(_) => {}
        }
    }
    (removed, added)
}

/// The signature of one hunk of a file called `basename`.
pub fn hunk_sig(basename: &str, hunk: &Hunk) -> Sig {
    let (removed, added) = changed(&hunk.lines);
    let mut h = blake3::Hasher::new();
    feed(&mut h, HUNK_DOMAIN, basename, &removed, &added);
    Sig {
        prefix: "hs1",
        digest: *h.finalize().as_bytes(),
    }
}

/// The signature of a whole patch; `None` when no file has a changed non-whitespace line.
pub fn patch_sig(files: &[FilePatch]) -> Option<Sig> {
    let mut per_file: Vec<[u8; 32]> = Vec::new();
    for f in files {
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for hunk in &f.hunks {
            let (r, a) = changed(&hunk.lines);
            removed.extend(r);
            added.extend(a);
        }
        if removed.is_empty() && added.is_empty() {
            continue;
        }
        let mut h = blake3::Hasher::new();
        feed(&mut h, PATCH_DOMAIN, f.basename(), &removed, &added);
        per_file.push(*h.finalize().as_bytes());
    }
    if per_file.is_empty() {
        return None;
    }
    per_file.sort_unstable();
    let mut h = blake3::Hasher::new();
    h.update(PATCH_DOMAIN);
    for d in &per_file {
        h.update(d);
    }
    Some(Sig {
        prefix: "ps1",
        digest: *h.finalize().as_bytes(),
    })
}
