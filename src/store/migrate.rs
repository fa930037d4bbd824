//! Schema migrations (`spec/store.md` §7), run by [`super::Store::open_write`] in one write
//! transaction, so a store is either fully migrated or untouched.
//!
//! 1 → 2: `scope_rows` (a bundle stamp per index row) becomes `scope_entries` (per entry path,
//! the keys of the rows it wrote). Each stamped row is listed under the entry its value's
//! `source` names (an `advisory_ids` row under the source of the `advisories` row it mirrors);
//! a stamp whose row is gone is dropped. Holds the grouped keys in memory once (O(rows)).

use std::collections::BTreeMap;

use redb::{ReadableTable, WriteTransaction};

use super::entry_index;
use super::records::{RowTable, Source};
use super::tables;

/// Migrates a schema-1 store to schema 2 inside `wtx` (the caller commits).
///
/// # Errors
/// A database error, or a row whose value is not a `Row`.
pub fn v1_to_v2(wtx: &WriteTransaction) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    type Group = (Source, Vec<(RowTable, Vec<u8>)>);
    let mut groups: BTreeMap<Vec<u8>, Group> = BTreeMap::new();
    {
        let stamps = wtx.open_table(tables::SCOPE_ROWS_V1).map_err(|x| e(&x))?;
        let rows: BTreeMap<RowTable, _> = RowTable::ALL
            .into_iter()
            .map(|r| Ok((r, wtx.open_table(r.def())?)))
            .collect::<Result<_, redb::TableError>>()
            .map_err(|x| e(&x))?;
        for item in stamps.iter().map_err(|x| e(&x))? {
            let (k, _) = item.map_err(|x| e(&x))?;
            let k = k.value();
            // publisher 0 channel 0 table 0 row-key
            let mut parts = k.splitn(4, |b| *b == 0);
            let (Some(p), Some(c), Some(name), Some(row_key)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("scope_rows key {k:?}: expected 4 parts"));
            };
            let table = std::str::from_utf8(name)
                .ok()
                .and_then(RowTable::from_name)
                .ok_or_else(|| format!("scope_rows key {k:?}: unknown table"))?;
            let source_key = match table {
                RowTable::AdvisoryIds => entry_index::advisory_of_id_key(row_key)
                    .ok_or_else(|| format!("advisory_ids key {row_key:?}: expected 5 parts"))?,
                _ => row_key.to_vec(),
            };
            let source_table = if table == RowTable::AdvisoryIds {
                RowTable::Advisories
            } else {
                table
            };
            let Some(value) = rows[&source_table]
                .get(source_key.as_slice())
                .map_err(|x| e(&x))?
            else {
                continue;
            };
            let source: Source = entry_index::row_source(value.value())
                .and_then(|s| serde_json::from_slice(s).ok())
                .ok_or_else(|| format!("{}: row without a source", source_table.name()))?;
            let mut prefix = [p, c].join(&0u8);
            prefix.push(0);
            let index_key = entry_index::key(&prefix, &source.entry);
            groups
                .entry(index_key)
                .or_insert_with(|| (source, Vec::new()))
                .1
                .push((table, row_key.to_vec()));
        }
    }
    let mut index = wtx.open_table(tables::SCOPE_ENTRIES).map_err(|x| e(&x))?;
    for (key, (source, refs)) in groups {
        let sha: [u8; 32] = hex::decode(&source.sha256)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| format!("source sha256 {:?}: expected 64 hex digits", source.sha256))?;
        let value = entry_index::encode(
            &sha,
            source.kind.name(),
            refs.iter().map(|(t, k)| (*t, k.as_slice())),
        );
        index
            .insert(key.as_slice(), value.as_slice())
            .map_err(|x| e(&x))?;
    }
    drop(index);
    wtx.delete_table(tables::SCOPE_ROWS_V1).map_err(|x| e(&x))?;
    let mut meta = wtx.open_table(tables::META).map_err(|x| e(&x))?;
    meta.insert(tables::META_SCHEMA_VERSION, b"2".as_slice())
        .map_err(|x| e(&x))?;
    Ok(())
}
