//! The redb floor of an import, for `scripts/bench-import.sh`: copies every row of an imported
//! store's index tables, `scope_entries` and `raw` into a fresh redb file with the store's
//! settings (multi-writer mode, the same page cache), in ascending key order, in ONE durable
//! write transaction — exactly the bytes the import wrote, with no bundle reading, hashing or
//! parsing, and the friendliest insert order. The time is what redb alone needs for this import.
//!
//! Usage: `cargo run --release --example redb_floor -- STORE_DIR OUT_FILE`

use std::time::Instant;

use airlock::store::{CACHE_BYTES, Store, tables};
use redb::{ReadableTable, TableDefinition};

type Rows = Vec<(Vec<u8>, Vec<u8>)>;
type Def = TableDefinition<'static, &'static [u8], &'static [u8]>;

fn load(rtx: &redb::ReadTransaction, def: Def) -> Rows {
    let t = rtx.open_table(def).expect("table");
    t.iter()
        .expect("iter")
        .map(|r| {
            let (k, v) = r.expect("row");
            (k.value().to_vec(), v.value().to_vec())
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, out] = args.as_slice() else {
        eprintln!("usage: redb_floor STORE_DIR OUT_FILE");
        std::process::exit(2);
    };
    let store = Store::open_read(std::path::Path::new(src)).expect("open store");
    let rtx = store.begin_read().expect("read");
    let mut defs: Vec<Def> = tables::ROW_TABLES.to_vec();
    defs.push(tables::ADVISORY_IDS);
    defs.push(tables::SCOPE_ENTRIES);
    let loaded: Vec<(Def, Rows)> = defs.into_iter().map(|d| (d, load(&rtx, d))).collect();
    let raw: Vec<([u8; 32], Vec<u8>)> = {
        let t = rtx.open_table(tables::RAW).expect("raw");
        t.iter()
            .expect("iter")
            .map(|r| {
                let (k, v) = r.expect("row");
                (*k.value(), v.value().to_vec())
            })
            .collect()
    };
    drop(rtx);
    let rows: usize = loaded.iter().map(|(_, r)| r.len()).sum::<usize>() + raw.len();
    let _ = std::fs::remove_file(out);
    let db = redb::Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
        .set_cache_size(CACHE_BYTES)
        .create(out)
        .expect("create");
    let start = Instant::now();
    let wtx = db.begin_write().expect("write");
    for (def, rows) in &loaded {
        let mut t = wtx.open_table(*def).expect("open");
        for (k, v) in rows {
            t.insert(k.as_slice(), v.as_slice()).expect("insert");
        }
    }
    {
        let mut t = wtx.open_table(tables::RAW).expect("open");
        for (k, v) in &raw {
            t.insert(k, v.as_slice()).expect("insert");
        }
    }
    wtx.commit().expect("commit");
    let s = start.elapsed().as_secs_f64();
    println!("{rows} rows in {s:.2} s ({:.0} rows/s)", rows as f64 / s);
}
