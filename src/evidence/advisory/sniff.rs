//! Which feed a JSON document belongs to, decided from its first top-level keys without
//! parsing the whole document. A small byte cursor: it reads keys and skips values, and gives
//! up (returning what it found) after a bounded number of keys.

use super::Source;

/// Top-level keys of an OSV record (schema 1.7).
const OSV_KEYS: &[&str] = &[
    "schema_version",
    "id",
    "modified",
    "published",
    "withdrawn",
    "aliases",
    "related",
    "upstream",
    "summary",
    "details",
    "severity",
    "affected",
    "references",
    "credits",
    "database_specific",
];

/// Top-level keys of a CSAF 2.0 document.
const CSAF_KEYS: &[&str] = &["document", "product_tree", "vulnerabilities"];

/// How many top-level keys are looked at before giving up.
const MAX_KEYS: usize = 8;

pub(super) fn sniff(bytes: &[u8]) -> Result<Source, String> {
    let mut c = Cursor { b: bytes, i: 0 };
    if c.b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        c.i = 3;
    }
    c.ws();
    if c.peek() != Some(b'{') {
        return Err("found no JSON object".into());
    }
    c.i += 1;
    for _ in 0..MAX_KEYS {
        c.ws();
        if c.peek() == Some(b'}') {
            return Err("found an empty JSON object".into());
        }
        let key = c.string().ok_or("found malformed JSON")?;
        c.ws();
        if c.peek() != Some(b':') {
            return Err("found malformed JSON".into());
        }
        c.i += 1;
        c.ws();
        if CSAF_KEYS.contains(&key.as_str()) {
            return Ok(Source::Csaf);
        }
        if OSV_KEYS.contains(&key.as_str()) {
            return Ok(Source::Osv);
        }
        if key == "$schema" {
            c.skip_value().ok_or("found malformed JSON")?;
        } else {
            // A package name: the tracker maps it to an object keyed by CVE/TEMP ids.
            if c.peek() == Some(b'{') {
                c.i += 1;
                c.ws();
                if c.peek() == Some(b'}') {
                    return Ok(Source::DebianTracker);
                }
                let inner = c.string().ok_or("found malformed JSON")?;
                if inner.starts_with("CVE-") || inner.starts_with("TEMP-") {
                    return Ok(Source::DebianTracker);
                }
            }
            return Err(format!("found top-level key {key:?}"));
        }
        c.ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            _ => return Err("found malformed JSON".into()),
        }
    }
    Err("found none of the keys that identify a feed".into())
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Reads a string token; escapes other than `\"` and `\\` are kept as written (keys we
    /// look for contain none).
    fn string(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        let s = String::from_utf8_lossy(self.b.get(start..self.i)?).into_owned();
        self.i += 1;
        Some(s)
    }

    /// Skips one value (string, number, literal, array or object) by bracket counting.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(self.peek()?, b',' | b'}' | b']') {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_told_apart_by_their_first_keys() {
        assert_eq!(
            sniff(br#"{"id": "DSA-1", "affected": []}"#),
            Ok(Source::Osv)
        );
        assert_eq!(sniff(br#"{"affected": [], "id": "X"}"#), Ok(Source::Osv));
        assert_eq!(
            sniff(br#"{"$schema": "x", "document": {}}"#),
            Ok(Source::Csaf)
        );
        assert_eq!(
            sniff(br#"{"$schema": {"a": ["}"]}, "vulnerabilities": []}"#),
            Ok(Source::Csaf)
        );
        assert_eq!(
            sniff(br#"{"curl": {"CVE-2023-38545": {}}}"#),
            Ok(Source::DebianTracker)
        );
        assert_eq!(
            sniff(br#"{"curl": {"TEMP-0000000-1": {}}}"#),
            Ok(Source::DebianTracker)
        );
        assert!(sniff(br#"{"stretch": {"major-version": "9"}}"#).is_err());
        assert!(sniff(b"[]").is_err());
        assert!(sniff(b"{\"id").is_err());
        assert!(sniff(b"").is_err());
    }
}
