//! Function names from a unified diff's hunk headers (`@@ -a,b +c,d @@ context`), where `diff`
//! and `git` put the enclosing function's signature. A minimal reader for fingerprinting only;
//! the evidence module owns full patch parsing.

use std::collections::BTreeSet;

/// Most hunk headers read from one patch.
pub const MAX_HUNKS: usize = 100_000;

/// The function names the hunk headers of `patch` mention: for each header whose context holds
/// a `(`, the last identifier before it (`a::b` gives `b`). Headers without one are skipped.
#[must_use]
pub fn hunk_functions(patch: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in patch
        .lines()
        .filter(|l| l.starts_with("@@ "))
        .take(MAX_HUNKS)
    {
        let Some(rest) = line[3..].find("@@").map(|i| &line[3 + i + 2..]) else {
            continue;
        };
        if let Some(name) = function_in_context(rest) {
            out.insert(name.to_owned());
        }
    }
    out
}

fn function_in_context(context: &str) -> Option<&str> {
    let before = &context[..context.find('(')?];
    let before = before.trim_end();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)?;
    let ident = &before[start..];
    (ident
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
    .then_some(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_hunk_headers() {
        let patch = "--- a/x.c\n+++ b/x.c\n@@ -10,6 +10,8 @@ png_read_end(png_structrp png_ptr, png_inforp info_ptr)\n \
                     x\n@@ -50,3 +52,4 @@ static int\n@@ -70,3 +72,4 @@ static void *Foo::bar (int a)\n\
                     @@ -90 +92 @@\n@@ -99 +99 @@ struct s {\n";
        let got: Vec<String> = hunk_functions(patch).into_iter().collect();
        assert_eq!(got, vec!["bar", "png_read_end"]);
    }
}
