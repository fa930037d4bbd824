//! Store core tests with hand-made bundles (no bundle file format involved).

use jiff::Timestamp;
use redb::ReadableTable as _;

use super::*;

pub(crate) fn osv(id: &str, cve: &str, pkg: &str, fixed: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","aliases":["{cve}"],"affected":[{{"package":{{"ecosystem":"Debian:12","name":"{pkg}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
    .into_bytes()
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) struct Fake {
    pub header: BundleHeader,
    pub entries: Vec<VerifiedEntry>,
}

pub(crate) fn fake(seq: u64, kind: BundleKind, entries: Vec<(&str, EntryKind, Vec<u8>)>) -> Fake {
    let entries: Vec<VerifiedEntry> = entries
        .into_iter()
        .map(|(p, k, b)| VerifiedEntry {
            path: p.to_string(),
            kind: k,
            bytes: b,
        })
        .collect();
    let mut manifest = format!("seq={seq};");
    for e in &entries {
        manifest.push_str(&format!(
            "{}={};",
            e.path,
            bundle_format::Digest::sha256(&e.bytes)
        ));
    }
    Fake {
        header: BundleHeader {
            id: *bundle_format::Digest::sha256(manifest.as_bytes()).as_bytes(),
            publisher: "acme".into(),
            channel: "stable".into(),
            sequence: seq,
            kind,
            created: t("2026-01-01T00:00:00Z") + jiff::SignedDuration::from_hours(24 * seq as i64),
            expires: Some(t("2027-01-01T00:00:00Z")),
            base: None,
            entry_count: entries.len() as u64,
            envelope: manifest.into_bytes(),
        },
        entries,
    }
}

fn opts() -> ImportOptions {
    ImportOptions {
        now: t("2026-06-01T00:00:00Z"),
        allow_downgrade: false,
    }
}

pub(crate) fn run(store: &Store, f: &Fake, o: ImportOptions) -> Result<ImportReport, ImportError> {
    let mut it = f.entries.clone().into_iter().map(Ok);
    store.import(&f.header, &mut it, o, &mut |_| {})
}

fn digest(store: &Store) -> String {
    store.snapshot().unwrap().digest().unwrap().to_string()
}

fn n1() -> Fake {
    fake(1, BundleKind::Snapshot, vec![
        ("advisories/a.json", EntryKind::Advisory, osv("DSA-1-1", "CVE-2024-1001", "openssl", "1.0-1")),
        ("advisories/b.json", EntryKind::Advisory, osv("DSA-2-1", "CVE-2024-1002", "curl", "2.0-1")),
        (
            "changelogs/openssl",
            EntryKind::Changelog,
            b"openssl (1.0-1) unstable; urgency=high\n\n  * Fix CVE-2024-1001.\n\n -- A <a@b.c>  Mon, 01 Jan 2024 00:00:00 +0000\n".to_vec(),
        ),
    ])
}

fn n2() -> Fake {
    fake(2, BundleKind::Snapshot, vec![
        ("advisories/a.json", EntryKind::Advisory, osv("DSA-1-1", "CVE-2024-1001", "openssl", "1.0-2")),
        ("advisories/c.json", EntryKind::Advisory, osv("DSA-3-1", "CVE-2024-1003", "zlib", "3.0-1")),
        (
            "changelogs/openssl",
            EntryKind::Changelog,
            b"openssl (1.0-1) unstable; urgency=high\n\n  * Fix CVE-2024-1001.\n\n -- A <a@b.c>  Mon, 01 Jan 2024 00:00:00 +0000\n".to_vec(),
        ),
    ])
}

#[test]
fn import_counts_noop_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    let empty = digest(&store);
    let r = run(&store, &n1(), opts()).unwrap();
    assert_eq!(r.outcome, "imported");
    assert_eq!(r.counts["advisories"].added, 4);
    assert_eq!(r.counts["changelog_mentions"].added, 1);
    let after1 = digest(&store);
    assert_ne!(after1, empty);
    // Same bundle again: no-op.
    assert_eq!(
        run(&store, &n1(), opts()).unwrap().outcome,
        "already-imported"
    );
    assert_eq!(digest(&store), after1);
    // N2 replaces: a updated, b removed, c added.
    let r = run(&store, &n2(), opts()).unwrap();
    let a = r.counts["advisories"];
    assert_eq!((a.added, a.updated, a.unchanged, a.removed), (2, 2, 0, 2));
    assert_eq!(r.counts["changelog_mentions"].unchanged, 1);
    let after2 = digest(&store);
    // Rollback: older sequence with other content.
    let mut old = n1();
    old.header.id[0] ^= 1;
    let e = run(&store, &old, opts()).unwrap_err();
    assert_eq!(crate::Coded::code(&e), "rollback-detected");
    assert_eq!(digest(&store), after2);
    // Equal sequence, other content.
    let mut same_seq = n2();
    same_seq.header.id[0] ^= 1;
    assert_eq!(
        crate::Coded::code(&run(&store, &same_seq, opts()).unwrap_err()),
        "rollback-detected"
    );
    // Allowed with --allow-downgrade.
    let r = run(
        &store,
        &old,
        ImportOptions {
            allow_downgrade: true,
            ..opts()
        },
    )
    .unwrap();
    assert!(r.downgraded);

    // N2 alone gives the same digest as N1 then N2.
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = Store::open_write(dir2.path()).unwrap();
    run(&fresh, &n2(), opts()).unwrap();
    assert_eq!(digest(&fresh), after2);
    let report = fresh.snapshot().unwrap().check().unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.rows_checked >= 5);
}

#[test]
fn expiry_against_time_floor() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    let mut b = n1();
    b.header.expires = Some(t("2026-03-01T00:00:00Z"));
    let e = run(&store, &b, opts()).unwrap_err();
    assert_eq!(crate::Coded::code(&e), "bundle-expired");
    // Fine at an earlier --at.
    run(
        &store,
        &b,
        ImportOptions {
            now: t("2026-02-01T00:00:00Z"),
            ..opts()
        },
    )
    .unwrap();
    // A later bundle raises the floor; then a bundle that expires before the floor is refused
    // even with an early clock.
    let mut later = n2();
    later.header.created = t("2026-05-01T00:00:00Z");
    run(
        &store,
        &later,
        ImportOptions {
            now: t("2026-02-01T00:00:00Z"),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        store.snapshot().unwrap().time_floor().unwrap(),
        Some(t("2026-05-01T00:00:00Z"))
    );
    let mut third = fake(3, BundleKind::Delta, vec![]);
    third.header.expires = Some(t("2026-04-01T00:00:00Z"));
    let e = run(
        &store,
        &third,
        ImportOptions {
            now: t("2026-02-01T00:00:00Z"),
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(crate::Coded::code(&e), "bundle-expired");
}

#[test]
fn parse_failure_rejects_whole_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &n1(), opts()).unwrap();
    let before = digest(&store);
    let bad = fake(
        2,
        BundleKind::Snapshot,
        vec![
            (
                "advisories/ok.json",
                EntryKind::Advisory,
                osv("DSA-9-1", "CVE-2024-1009", "bash", "1"),
            ),
            (
                "advisories/bad.json",
                EntryKind::Advisory,
                b"{oops".to_vec(),
            ),
        ],
    );
    let e = run(&store, &bad, opts()).unwrap_err();
    assert_eq!(crate::Coded::code(&e), "entry-parse-failed");
    assert!(e.to_string().contains("advisories/bad.json"), "{e}");
    assert_eq!(digest(&store), before);
    assert_eq!(store.snapshot().unwrap().bundles().unwrap().len(), 1);
    // A verification error from the entry stream also aborts.
    let mut it = vec![
        Ok(VerifiedEntry {
            path: "advisories/x.json".into(),
            kind: EntryKind::Advisory,
            bytes: osv("X-1", "CVE-1-1", "a", "1"),
        }),
        Err(ImportError::Bundle {
            code: "entry-digest-mismatch",
            class: crate::FailureClass::Rejected,
            message: "x".into(),
        }),
    ]
    .into_iter();
    let e = store
        .import(&n2().header, &mut it, opts(), &mut |_| {})
        .unwrap_err();
    assert_eq!(crate::Coded::code(&e), "entry-digest-mismatch");
    assert_eq!(digest(&store), before);
}

#[test]
fn reader_sees_previous_state_during_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &n1(), opts()).unwrap();
    let before = digest(&store);
    let b = n2();
    let mut seen = Vec::new();
    let mut it = b.entries.clone().into_iter().map(|e| {
        // Mid-import: a reader sees exactly the last commit.
        let snap = store.snapshot().unwrap();
        seen.push((
            snap.digest().unwrap().to_string(),
            snap.advisories("CVE-2024-1003", "pkg:deb/debian/zlib")
                .unwrap()
                .len(),
        ));
        Ok(e)
    });
    store
        .import(&b.header, &mut it, opts(), &mut |_| {})
        .unwrap();
    assert!(seen.iter().all(|(d, n)| *d == before && *n == 0));
    assert_eq!(
        store
            .snapshot()
            .unwrap()
            .advisories("CVE-2024-1003", "pkg:deb/debian/zlib")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn queries_gc_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &n1(), opts()).unwrap();
    let snap = store.snapshot().unwrap();
    let rows = snap
        .advisories("CVE-2024-1001", "pkg:deb/debian/openssl")
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].publisher, "acme");
    let digest: bundle_format::Digest =
        format!("sha256:{}", rows[0].source.sha256).parse().unwrap();
    let raw = snap.raw(&digest).unwrap().unwrap();
    assert_eq!(bundle_format::Digest::sha256(&raw), digest);
    assert_eq!(snap.advisories_by_id("DSA-1-1").unwrap().len(), 2);
    assert_eq!(
        snap.changelog_mentions("CVE-2024-1001", "pkg:deb/debian/openssl")
            .unwrap()
            .len(),
        1
    );
    drop(snap);
    run(&store, &n2(), opts()).unwrap();
    let g = store.gc().unwrap();
    assert_eq!(g.removed, 2, "{g:?}"); // old a.json and b.json
    assert!(
        store
            .snapshot()
            .unwrap()
            .check()
            .unwrap()
            .findings
            .is_empty()
    );
    assert_eq!(store.append_proof(b"{}").unwrap(), 1);
    assert_eq!(store.append_proof(b"{\"a\":1}").unwrap(), 2);
    let d = store.snapshot().unwrap().digest().unwrap();
    store.append_proof(b"{}").unwrap();
    assert_eq!(
        store.snapshot().unwrap().digest().unwrap(),
        d,
        "audit log is not logical content"
    );
}

#[test]
fn a_proof_batch_is_recorded_in_order_on_commit_and_not_at_all_when_abandoned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    assert_eq!(store.append_proof(b"{\"first\":1}").unwrap(), 1);
    let mut abandoned = store.proof_appender().unwrap();
    abandoned.push(b"{\"lost\":1}".to_vec()).unwrap();
    drop(abandoned);
    let mut batch = store.proof_appender().unwrap();
    // More than one insertion chunk.
    let proofs: Vec<Vec<u8>> = (0..2500)
        .map(|i| format!("{{\"n\":{i}}}").into_bytes())
        .collect();
    for p in &proofs {
        batch.push(p.clone()).unwrap();
    }
    assert_eq!(batch.commit().unwrap(), 2502);
    let log = store.snapshot().unwrap().proofs().unwrap();
    assert_eq!(log.len(), 2501);
    assert_eq!(log[0], (1, b"{\"first\":1}".to_vec()));
    for (i, (seq, bytes)) in log[1..].iter().enumerate() {
        assert_eq!((*seq, bytes), (i as u64 + 2, &proofs[i]));
    }
}

#[test]
fn check_finds_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &n1(), opts()).unwrap();
    let rows = store
        .snapshot()
        .unwrap()
        .advisories("CVE-2024-1001", "pkg:deb/debian/openssl")
        .unwrap();
    let key: [u8; 32] = hex::decode(&rows[0].source.sha256)
        .unwrap()
        .try_into()
        .unwrap();
    let wtx = store.begin_write_blocking(&mut || {}).unwrap();
    wtx.open_table(tables::RAW)
        .unwrap()
        .insert(&key, b"tampered".as_slice())
        .unwrap();
    wtx.commit().unwrap();
    let report = store.snapshot().unwrap().check().unwrap();
    assert!(!report.findings.is_empty());
}

/// `check` passes a clean store, and each kind of unexplained row sends it to the row-by-row
/// pass, which reports it: a row no entry yields, a row value edited, a missing inverse row.
#[test]
fn check_accounts_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &n1(), opts()).unwrap();
    let clean = store.snapshot().unwrap().check().unwrap();
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert!(clean.rows_checked > 0);
    let (key, value) = {
        let rtx = store.begin_read().unwrap();
        let t = rtx.open_table(tables::ADVISORIES).unwrap();
        let (k, v) = t.iter().unwrap().next().unwrap().unwrap();
        (k.value().to_vec(), v.value().to_vec())
    };
    let tamper = |f: &dyn Fn(&redb::WriteTransaction)| {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open_write(d.path()).unwrap();
        run(&s, &n1(), opts()).unwrap();
        let wtx = s.begin_write_blocking(&mut || {}).unwrap();
        f(&wtx);
        wtx.commit().unwrap();
        let report = s.snapshot().unwrap().check().unwrap();
        (report.findings, d)
    };
    let mut orphan = key.clone();
    orphan.splice(0..0, b"CVE-1999-0001".iter().copied());
    let (findings, _d) = tamper(&|w| {
        w.open_table(tables::ADVISORIES)
            .unwrap()
            .insert(orphan.as_slice(), value.as_slice())
            .unwrap();
    });
    assert!(
        findings
            .iter()
            .any(|f| f.contains("does not yield this row")),
        "{findings:?}"
    );
    let edited = String::from_utf8(value.clone()).unwrap().replacen(
        "\"record\":{",
        "\"record\":{\"aaa\":1,",
        1,
    );
    let (findings, _d) = tamper(&|w| {
        w.open_table(tables::ADVISORIES)
            .unwrap()
            .insert(key.as_slice(), edited.as_bytes())
            .unwrap();
    });
    assert!(
        findings.iter().any(|f| f.contains("value differs")),
        "{findings:?}"
    );
    let (findings, _d) = tamper(&|w| {
        let mut ids = w.open_table(tables::ADVISORY_IDS).unwrap();
        let first = ids
            .iter()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .0
            .value()
            .to_vec();
        ids.remove(first.as_slice()).unwrap();
    });
    assert!(
        findings.iter().any(|f| f.contains("advisory_ids")),
        "{findings:?}"
    );
}

/// Store-core throughput without the bundle reader: `cargo test --release --lib
/// store::tests::core_throughput -- --ignored --nocapture` (scripts/bench-import.sh measures
/// the whole command).
#[test]
#[ignore = "throughput measurement, run by hand"]
fn core_throughput() {
    let files = 20usize;
    let per = 10_000usize;
    let mut entries = Vec::new();
    for f in 0..files {
        let mut doc = serde_json::Map::new();
        for j in f * per..(f + 1) * per {
            let pkg = doc
                .entry(format!("pkg{}", j / 10))
                .or_insert_with(|| serde_json::json!({}));
            pkg[format!("CVE-2024-{}", 100_000 + j)] = serde_json::json!({"releases": {"bookworm": {"status": "resolved", "fixed_version": format!("1.{}-1", j % 7)}}});
        }
        entries.push((
            format!("advisories/t/{f}.json"),
            EntryKind::Advisory,
            serde_json::to_vec(&doc).unwrap(),
        ));
    }
    let refs: Vec<(&str, EntryKind, Vec<u8>)> = entries
        .iter()
        .map(|(p, k, b)| (p.as_str(), *k, b.clone()))
        .collect();
    let bytes: usize = refs.iter().map(|e| e.2.len()).sum();
    let t = std::time::Instant::now();
    let mut nrows = 0;
    for (p, k, b) in &refs {
        let source = records::Source {
            entry: p.to_string(),
            kind: *k,
            sha256: "00".repeat(32),
        };
        let sj = records::canonical(&source);
        for r in parse::parse_entry(*k, p, b).unwrap() {
            nrows += r.rows_with(("acme", "stable"), &sj).unwrap().len();
        }
    }
    eprintln!(
        "parse + encode only: {nrows} rows in {:.2}s",
        t.elapsed().as_secs_f64()
    );
    let b = fake(1, BundleKind::Snapshot, refs);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    let t = std::time::Instant::now();
    let r = run(&store, &b, opts()).unwrap();
    let s = t.elapsed().as_secs_f64();
    let n = r.counts["advisories"].added;
    eprintln!(
        "{n} records, {:.1} MB in {s:.2}s: {:.0} records/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        n as f64 / s,
        bytes as f64 / 1e6 / s
    );
}

mod tlog_checkpoints {
    use super::*;
    use crate::tlog::checkpoint::WitnessPolicy;
    use crate::tlog::fragment;
    use crate::tlog::log::{LeafInput, LocalLog, tests::test_key};
    use crate::tlog::note::Verifier;
    use crate::tlog::tiles::DirTiles;

    const ORIGIN: &str = "vendor.example/log";

    fn append(log: &mut LocalLog, from: u64, n: u64, salt: &str) {
        let leaves: Vec<LeafInput> = (from..from + n)
            .map(|i| LeafInput::Data(format!("{salt}{i}").into_bytes()))
            .collect();
        log.append(&leaves).unwrap();
    }

    /// The log's signed checkpoint for its current size and, with `old_size`, the tiles that
    /// prove consistency from it, as bundle entries under `tlog/DIR/`.
    fn fragment(log: &LocalLog, dir: &str, old_size: Option<u64>) -> Vec<(String, Vec<u8>)> {
        let note = log.sign_checkpoint().unwrap();
        let mut out = vec![(format!("tlog/{dir}/checkpoint"), note)];
        if old_size.is_some() {
            let tiles = fragment::collect(
                DirTiles::new(log.dir()),
                log.size(),
                log.size(),
                &[],
                old_size,
            )
            .unwrap();
            for (path, bytes) in tiles.tiles {
                out.push((format!("tlog/{dir}/{path}"), bytes));
            }
        }
        out
    }

    fn bundle(seq: u64, material: &[(String, Vec<u8>)]) -> Fake {
        let mut entries: Vec<(&str, EntryKind, Vec<u8>)> = vec![(
            "advisories/a.json",
            EntryKind::Advisory,
            osv("DSA-1-1", "CVE-2024-1001", "openssl", "1.0-1"),
        )];
        for (p, b) in material {
            entries.push((p.as_str(), EntryKind::Tlog, b.clone()));
        }
        fake(seq, BundleKind::Snapshot, entries)
    }

    fn import(store: &Store, f: &Fake, logs: &LogTrust) -> Result<ImportReport, ImportError> {
        let mut it = f.entries.clone().into_iter().map(Ok);
        store.import_with_logs(&f.header, &mut it, opts(), logs, &mut |_| {})
    }

    fn stored_size(store: &Store) -> Option<u64> {
        let snap = store.snapshot().unwrap();
        snap.checkpoint(ORIGIN).unwrap().map(|c| c.size)
    }

    fn expect_inconsistent(store: &Store, f: &Fake, logs: &LogTrust, why: &str) {
        let before = digest(store);
        let err = import(store, f, logs).unwrap_err();
        assert_eq!(crate::Coded::code(&err), "log-inconsistent", "{why}: {err}");
        assert!(
            err.to_string().contains("tlog/"),
            "{why}: names the entry: {err}"
        );
        assert_eq!(digest(store), before, "{why}");
    }

    #[test]
    fn checkpoints_advance_only_with_consistency() {
        let tmp = tempfile::tempdir().unwrap();
        let key = test_key(tmp.path(), 7);
        let mut log = LocalLog::init(&tmp.path().join("log"), ORIGIN, &key).unwrap();
        let logs = LogTrust::new(
            vec![(ORIGIN.into(), Verifier::from_vkey(log.vkey()).unwrap())],
            WitnessPolicy::default(),
        );
        let store_dir = tmp.path().join("store");
        let store = Store::open_write(&store_dir).unwrap();

        // First use: any verified checkpoint is accepted.
        append(&mut log, 0, 300, "a");
        let at300 = fragment(&log, "v", None);
        let r = import(&store, &bundle(1, &at300), &logs).unwrap();
        assert_eq!(r.counts["tlog_checkpoints"].added, 1);
        assert_eq!(stored_size(&store), Some(300));

        // Without the logs of the trust root nothing is stored; the same checkpoint again is
        // unchanged.
        let untrusted = Store::open_write(&tmp.path().join("untrusted")).unwrap();
        import(&untrusted, &bundle(1, &at300), &LogTrust::none()).unwrap();
        assert_eq!(stored_size(&untrusted), None);
        let r = import(&store, &bundle(2, &at300), &logs).unwrap();
        assert!(!r.counts.contains_key("tlog_checkpoints"), "{r:?}");

        // A larger checkpoint without tiles: no consistency proof.
        append(&mut log, 300, 700, "a");
        let bare = fragment(&log, "v", None);
        expect_inconsistent(&store, &bundle(3, &bare), &logs, "no proof");

        // With the tiles proving consistency from 300: advances.
        let at1000 = fragment(&log, "v", Some(300));
        let r = import(&store, &bundle(3, &at1000), &logs).unwrap();
        assert_eq!(r.counts["tlog_checkpoints"].updated, 1);
        assert_eq!(stored_size(&store), Some(1000));

        // The log shrinking.
        expect_inconsistent(&store, &bundle(4, &at300), &logs, "smaller tree");

        // A fork signed by the same key: same size, another root (split view) ...
        let mut fork = LocalLog::init(&tmp.path().join("fork"), ORIGIN, &key).unwrap();
        append(&mut fork, 0, 1000, "b");
        let split = fragment(&fork, "v", Some(300));
        expect_inconsistent(&store, &bundle(4, &split), &logs, "split view");
        // ... and larger, with its own (valid-looking) tiles: the proof fails.
        append(&mut fork, 1000, 200, "b");
        let forked = fragment(&fork, "v", Some(1000));
        expect_inconsistent(&store, &bundle(4, &forked), &logs, "failing proof");

        // A tampered signature of a trusted log is refused with the verifier's code.
        append(&mut log, 1000, 10, "a");
        let mut tampered = fragment(&log, "v", Some(1000));
        let note = &mut tampered[0].1;
        let at = note.len() - 5;
        note[at] ^= 1;
        let before = digest(&store);
        let err = import(&store, &bundle(4, &tampered), &logs).unwrap_err();
        assert_ne!(crate::Coded::code(&err), "log-inconsistent");
        assert!(err.to_string().contains("tlog/v/checkpoint"), "{err}");
        assert_eq!(digest(&store), before);
        assert_eq!(stored_size(&store), Some(1000));

        // The honest successor still imports, and store check holds.
        let good = fragment(&log, "v", Some(1000));
        import(&store, &bundle(4, &good), &logs).unwrap();
        assert_eq!(stored_size(&store), Some(1010));
        let report = store.snapshot().unwrap().check().unwrap();
        assert!(report.findings.is_empty(), "{:?}", report.findings);
    }
}

/// A row two entries wrote (the later one wins), then a snapshot that keeps only the earlier
/// entry, unchanged: the row must end up as that entry writes it, as a fresh import would.
#[test]
fn sweep_keeps_rows_another_entry_of_the_bundle_wrote() {
    let a = osv("DSA-1-1", "CVE-2024-1001", "openssl", "1.0-1");
    let a2 = osv("DSA-1-1", "CVE-2024-1001", "openssl", "1.0-9");
    let first = fake(
        1,
        BundleKind::Snapshot,
        vec![
            ("advisories/a.json", EntryKind::Advisory, a.clone()),
            ("advisories/b.json", EntryKind::Advisory, a2),
        ],
    );
    let second = fake(
        2,
        BundleKind::Snapshot,
        vec![("advisories/a.json", EntryKind::Advisory, a)],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(dir.path()).unwrap();
    run(&store, &first, opts()).unwrap();
    let r = run(&store, &second, opts()).unwrap();
    let c = r.counts["advisories"];
    assert_eq!((c.added, c.updated, c.unchanged, c.removed), (0, 2, 0, 0));
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = Store::open_write(dir2.path()).unwrap();
    run(&fresh, &second, opts()).unwrap();
    assert_eq!(digest(&store), digest(&fresh));
}

/// A schema-1 store (a `scope_rows` stamp per row) opened for writing is migrated to
/// `scope_entries`, and the next snapshot sweeps it exactly as a schema-2 store.
#[test]
fn schema_1_store_migrates() {
    use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
    let dir = tempfile::tempdir().unwrap();
    let first = n1();
    {
        let store = Store::open_write(dir.path()).unwrap();
        run(&store, &first, opts()).unwrap();
    }
    // Rewrite the bookkeeping as schema 1 wrote it.
    {
        let db = redb::Database::create(Store::db_path(dir.path())).unwrap();
        let wtx = db.begin_write().unwrap();
        {
            let mut stamps = wtx.open_table(tables::SCOPE_ROWS_V1).unwrap();
            let index = wtx.open_table(tables::SCOPE_ENTRIES).unwrap();
            for item in index.iter().unwrap() {
                let (k, v) = item.unwrap();
                let k = k.value();
                let at = k
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == 0)
                    .nth(1)
                    .unwrap()
                    .0;
                let rows = super::entry_index::EntryRows::decode(v.value()).unwrap();
                for r in rows.refs() {
                    let (table, key) = r.unwrap();
                    let mut s = k[..=at].to_vec();
                    s.extend_from_slice(table.name().as_bytes());
                    s.push(0);
                    s.extend_from_slice(key);
                    stamps.insert(s.as_slice(), &first.header.id).unwrap();
                }
            }
        }
        wtx.delete_table(tables::SCOPE_ENTRIES).unwrap();
        wtx.open_table(tables::META)
            .unwrap()
            .insert(tables::META_SCHEMA_VERSION, b"1".as_slice())
            .unwrap();
        wtx.commit().unwrap();
        let rtx = db.begin_read().unwrap();
        assert_eq!(
            rtx.open_table(tables::SCOPE_ROWS_V1)
                .unwrap()
                .len()
                .unwrap(),
            9
        );
    }
    let store = Store::open_write(dir.path()).unwrap();
    {
        let rtx = store.begin_read().unwrap();
        let meta = rtx.open_table(tables::META).unwrap();
        assert_eq!(
            meta.get(tables::META_SCHEMA_VERSION)
                .unwrap()
                .unwrap()
                .value(),
            b"2"
        );
        assert!(rtx.open_table(tables::SCOPE_ROWS_V1).is_err());
        assert_eq!(
            rtx.open_table(tables::SCOPE_ENTRIES)
                .unwrap()
                .len()
                .unwrap(),
            3
        );
    }
    let r = run(&store, &n2(), opts()).unwrap();
    let a = r.counts["advisories"];
    assert_eq!((a.added, a.updated, a.unchanged, a.removed), (2, 2, 0, 2));
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = Store::open_write(dir2.path()).unwrap();
    run(&fresh, &n2(), opts()).unwrap();
    assert_eq!(digest(&store), digest(&fresh));
}
