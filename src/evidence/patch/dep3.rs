//! Patch headers: DEP-3 fields (`Description`/`Subject`, `Origin`, `Bug`, `Bug-<Vendor>`,
//! `Forwarded`, `Applied-Upstream`, `Last-Update`, `Author`/`From`, `Reviewed-by`, `CVE`) and
//! git format-patch headers and trailers (`From <sha> …`, `From:`, `Date:`, `Subject: [PATCH]`,
//! `Signed-off-by:` and other `Key: value` trailers). Both styles may mix, as `gbp pq` writes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evidence::changelog::{Mention, find_ids, ids::classify};

/// The header of a patch: everything before its first file header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatchHeader {
    /// `Description` or `Subject` (with a `[PATCH …]` prefix removed), continuation lines joined
    /// with `\n`.
    pub description: Option<String>,
    /// `Origin` values.
    pub origin: Vec<String>,
    /// `Bug` values (upstream bug URLs).
    pub bugs: Vec<String>,
    /// `Bug-<Vendor>` values by vendor (`Debian`, `Ubuntu`, …).
    pub vendor_bugs: BTreeMap<String, Vec<String>>,
    /// `Forwarded` (`no`, `not-needed`, or a URL).
    pub forwarded: Option<String>,
    /// `Applied-Upstream` (version, URL or commit).
    pub applied_upstream: Option<String>,
    /// `Last-Update` (YYYY-MM-DD).
    pub last_update: Option<String>,
    /// `Author` / `From` values.
    pub authors: Vec<String>,
    /// `Reviewed-by` / `Acked-by` values.
    pub reviewers: Vec<String>,
    /// Ids listed in `CVE:` fields (normalized).
    pub cve_field: Vec<String>,
    /// git: the commit id on the `From <sha> <date>` mbox line.
    pub git_commit: Option<String>,
    /// git: the `Date:` header.
    pub date: Option<String>,
    /// Every `Key: value` field and trailer, in order (key as written).
    pub fields: Vec<(String, String)>,
    /// Vulnerability ids mentioned anywhere in the header, classified from the header text.
    pub mentions: Vec<Mention>,
}

fn is_field_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses header lines (`lines[0]` is line `first_line`, 1-based).
pub fn parse_header(lines: &[&str], first_line: usize) -> PatchHeader {
    let mut h = PatchHeader::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut in_field = false;
    for (i, line) in lines.iter().enumerate() {
        if i == 0
            && let Some(rest) = line.strip_prefix("From ")
        {
            let sha = rest.split_whitespace().next().unwrap_or("");
            if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                h.git_commit = Some(sha.to_ascii_lowercase());
                continue;
            }
        }
        if in_field && (line.starts_with(' ') || line.starts_with('\t')) && !line.trim().is_empty()
        {
            let t = line.trim();
            if let Some(last) = fields.last_mut() {
                // DEP-3: a lone "." stands for an empty line in a long description.
                last.1.push('\n');
                last.1.push_str(if t == "." { "" } else { t });
            }
            continue;
        }
        in_field = false;
        if let Some((k, v)) = line.split_once(':')
            && is_field_key(k)
            && (v.is_empty() || v.starts_with(' ') || v.starts_with('\t'))
        {
            fields.push((k.to_owned(), v.trim().to_owned()));
            in_field = true;
        }
    }
    for (k, v) in &fields {
        let key = k.to_ascii_lowercase();
        match key.as_str() {
            "description" | "subject" => {
                if h.description.is_none() {
                    h.description = Some(strip_patch_prefix(v).to_owned());
                }
            }
            "origin" => h.origin.push(v.clone()),
            "bug" => h.bugs.push(v.clone()),
            "forwarded" => h.forwarded = Some(v.clone()),
            "applied-upstream" => h.applied_upstream = Some(v.clone()),
            "last-update" => h.last_update = Some(v.clone()),
            "author" | "from" => h.authors.push(v.clone()),
            "reviewed-by" | "acked-by" => h.reviewers.push(v.clone()),
            "date" => h.date = Some(v.clone()),
            "cve" => h.cve_field.extend(find_ids(v).into_iter().map(|m| m.id)),
            _ => {
                if let Some(vendor) = k.strip_prefix("Bug-").or_else(|| k.strip_prefix("bug-")) {
                    h.vendor_bugs
                        .entry(vendor.to_owned())
                        .or_default()
                        .push(v.clone());
                }
            }
        }
    }
    h.fields = fields;
    let text = lines.join("\n");
    if !find_ids(&text).is_empty() {
        let kind = classify(&text);
        for (i, line) in lines.iter().enumerate() {
            for m in find_ids(line) {
                h.mentions.push(Mention {
                    id: m.id,
                    kind,
                    line: first_line + i,
                });
            }
        }
    }
    h
}

/// `[PATCH 2/7] Fix foo` → `Fix foo`.
fn strip_patch_prefix(s: &str) -> &str {
    let t = s.trim_start();
    if t.starts_with('[')
        && let Some(end) = t.find(']')
        && t[1..end].to_ascii_uppercase().contains("PATCH")
    {
        return t[end + 1..].trim_start();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep3_and_git() {
        let text = "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n\
From: Jane Dev <jane@example.org>\n\
Date: Tue, 1 Aug 2023 10:00:00 +0200\n\
Subject: [PATCH] Fix heap overflow in parse_foo\n\
\n\
Check the length before copying.\n\
\n\
Origin: upstream, https://example.org/commit/0123\n\
Bug: https://example.org/issues/7\n\
Bug-Debian: https://bugs.debian.org/1000\n\
Forwarded: not-needed\n\
Applied-Upstream: 1.2.4\n\
Last-Update: 2023-08-02\n\
CVE: CVE-2023-1234\n\
Signed-off-by: Jane Dev <jane@example.org>\n\
---";
        let lines: Vec<&str> = text.lines().collect();
        let h = parse_header(&lines, 1);
        assert_eq!(
            h.git_commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            h.description.as_deref(),
            Some("Fix heap overflow in parse_foo")
        );
        assert_eq!(h.authors, ["Jane Dev <jane@example.org>"]);
        assert_eq!(h.origin, ["upstream, https://example.org/commit/0123"]);
        assert_eq!(h.bugs.len(), 1);
        assert_eq!(h.vendor_bugs["Debian"], ["https://bugs.debian.org/1000"]);
        assert_eq!(h.forwarded.as_deref(), Some("not-needed"));
        assert_eq!(h.applied_upstream.as_deref(), Some("1.2.4"));
        assert_eq!(h.last_update.as_deref(), Some("2023-08-02"));
        assert_eq!(h.cve_field, ["CVE-2023-1234"]);
        assert_eq!(h.mentions.len(), 1);
        assert_eq!(h.mentions[0].line, 14);
        assert!(h.fields.iter().any(|(k, _)| k == "Signed-off-by"));
    }

    #[test]
    fn multi_line_description() {
        let lines = ["Description: first", " second", " .", " third", "Author: x"];
        let h = parse_header(&lines, 1);
        assert_eq!(h.description.as_deref(), Some("first\nsecond\n\nthird"));
        assert_eq!(h.authors, ["x"]);
    }
}
