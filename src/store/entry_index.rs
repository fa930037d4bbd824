//! `scope_entries` (`spec/store.md` §4.12): per (publisher, channel, entry path), the entry's
//! SHA-256, kind and the keys of the rows it wrote. One row per bundle entry replaces a stamp
//! per index row; the snapshot sweep reads the previous commit's entries of the scope and
//! deletes each listed row that no entry of the new bundle wrote (a row's writer is the
//! `source` member of its value).
//!
//! Value layout: `sha256 (32 bytes) || u8 len || kind name (ASCII) || refs`, each ref
//! `u8 table code || u32be key length || key`, table codes as [`code`].

use super::records::RowTable;

/// The table code of a row table in a ref.
#[must_use]
pub fn code(table: RowTable) -> u8 {
    match table {
        RowTable::Advisories => 0,
        RowTable::AdvisoryIds => 1,
        RowTable::ChangelogMentions => 2,
        RowTable::Patches => 3,
        RowTable::Fingerprints => 4,
        RowTable::Attestations => 5,
    }
}

fn table_of(code: u8) -> Option<RowTable> {
    RowTable::ALL.into_iter().find(|t| self::code(*t) == code)
}

/// The `scope_entries` key of `path` under the scope prefix `publisher 0 channel 0`.
#[must_use]
pub fn key(scope_prefix: &[u8], path: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(scope_prefix.len() + path.len());
    k.extend_from_slice(scope_prefix);
    k.extend_from_slice(path.as_bytes());
    k
}

/// Encodes a value; `refs` in the order given.
#[must_use]
pub fn encode<'r>(
    sha256: &[u8; 32],
    kind: &str,
    refs: impl Iterator<Item = (RowTable, &'r [u8])>,
) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(sha256);
    v.push(u8::try_from(kind.len()).expect("entry kind names are short"));
    v.extend_from_slice(kind.as_bytes());
    for (table, key) in refs {
        v.push(code(table));
        v.extend_from_slice(
            &u32::try_from(key.len())
                .expect("keys are bounded by the key limits")
                .to_be_bytes(),
        );
        v.extend_from_slice(key);
    }
    v
}

/// A decoded value, borrowing the bytes.
#[derive(Debug)]
pub struct EntryRows<'v> {
    /// The refs' bytes.
    refs: &'v [u8],
}

/// Why a stored value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope_entries value: {0}")]
pub struct Malformed(&'static str);

impl<'v> EntryRows<'v> {
    /// Splits a stored value.
    ///
    /// # Errors
    /// [`Malformed`] if it is shorter than its header says.
    pub fn decode(v: &'v [u8]) -> Result<Self, Malformed> {
        let kind_len = *v.get(32).ok_or(Malformed("shorter than 33 bytes"))? as usize;
        let refs = v
            .get(33 + kind_len..)
            .ok_or(Malformed("kind runs past the end"))?;
        Ok(EntryRows { refs })
    }

    /// The row refs, in stored order.
    pub fn refs(&self) -> impl Iterator<Item = Result<(RowTable, &'v [u8]), Malformed>> + 'v {
        let mut rest = self.refs;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let parsed = (|| {
                let (&c, r) = rest.split_first().ok_or(Malformed("empty ref"))?;
                let table = table_of(c).ok_or(Malformed("unknown table code"))?;
                let len: [u8; 4] = r
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(Malformed("truncated key length"))?;
                let len = u32::from_be_bytes(len) as usize;
                let key = r.get(4..4 + len).ok_or(Malformed("truncated key"))?;
                rest = &r[4 + len..];
                Ok((table, key))
            })();
            if parsed.is_err() {
                rest = &[];
            }
            Some(parsed)
        })
    }
}

/// The `source` member of a row value `{"record":…,"source":{…}}` (its canonical bytes), or
/// `None` for a value of another shape. The top-level `source` is the value's last member and
/// holds no nested object, so it starts at the last `,"source":{` (a quote inside a JSON string
/// is escaped, so that byte sequence never occurs inside one).
#[must_use]
pub fn row_source(value: &[u8]) -> Option<&[u8]> {
    const MARK: &[u8] = b",\"source\":{";
    let body = value.strip_suffix(b"}")?;
    let at = body.windows(MARK.len()).rposition(|w| w == MARK)?;
    Some(&body[at + MARK.len() - 1..])
}

/// The `advisories` key of the row an `advisory_ids` key mirrors:
/// `id 0 vuln 0 package 0 publisher 0 channel` → `vuln 0 package 0 id 0 publisher 0 channel`.
#[must_use]
pub fn advisory_of_id_key(id_key: &[u8]) -> Option<Vec<u8>> {
    let parts: Vec<&[u8]> = id_key.split(|b| *b == 0).collect();
    let [id, vuln, package, p, c] = parts.as_slice() else {
        return None;
    };
    Some([*vuln, package, id, p, c].join(&0u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let refs = [
            (RowTable::Advisories, b"a\0b".as_slice()),
            (RowTable::AdvisoryIds, b"".as_slice()),
            (RowTable::Attestations, b"zz".as_slice()),
        ];
        let v = encode(&[7; 32], "advisory", refs.iter().copied());
        let got: Vec<_> = EntryRows::decode(&v)
            .unwrap()
            .refs()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, refs);
        let cut = &v[..v.len() - 1];
        assert!(EntryRows::decode(cut).unwrap().refs().any(|r| r.is_err()));
        assert!(EntryRows::decode(&v[..20]).is_err());
    }

    #[test]
    fn source_of_a_row_value() {
        let v = br#"{"record":{"x":",\"source\":{","source":"osv"},"source":{"entry":"a","kind":"advisory","sha256":"00"}}"#;
        assert_eq!(
            row_source(v).unwrap(),
            br#"{"entry":"a","kind":"advisory","sha256":"00"}"#
        );
        assert_eq!(row_source(b"{}"), None);
        assert_eq!(
            advisory_of_id_key(b"A\0V\0P\0p\0c").unwrap(),
            b"V\0P\0A\0p\0c"
        );
    }
}
