//! `airlock import`: verification, rollback rules, atomicity (crash test), concurrency.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airlock::bundle_format::manifest::{
    MANIFEST_PAYLOAD_TYPE, Manifest, ManifestEntry, ManifestHeader,
};
use airlock::bundle_format::{
    BundleKind, BundleWriter, Digest, EntryKind, EntryPath, Envelope, Limits, WriteOptions,
};
use airlock::crypto::PrivateKey;
use airlock::crypto::dsse::sign_envelope;

use crate::common::{airlock_bin, expect_code, run_in};

/// A scratch directory with a trust root whose bundle-signer is `signer.key`.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for k in ["root", "signer", "rogue"] {
            expect_code(
                d,
                &["key", "generate", "--algorithm", "ed25519", "--out", k],
                0,
            );
        }
        expect_code(
            d,
            &[
                "trust",
                "init",
                "--root-key",
                "root.pub",
                "--at",
                "2026-01-01T00:00:00Z",
                "--expires",
                "5y",
                "--out",
                "trust.json",
            ],
            0,
        );
        expect_code(
            d,
            &[
                "trust",
                "add-key",
                "--trust-root",
                "trust.json",
                "--role",
                "bundle-signer",
                "--key",
                "signer.pub",
            ],
            0,
        );
        expect_code(
            d,
            &[
                "trust",
                "sign",
                "--trust-root",
                "trust.json",
                "--key",
                "root.key",
            ],
            0,
        );
        Env { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> String {
        self.path().join("store").display().to_string()
    }

    /// Runs `airlock import` with the env's trust root, store and a fixed time.
    pub fn import(&self, files: &[&Path], extra: &[&str], code: i32) -> String {
        let mut args: Vec<String> = vec!["import".into()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let store = self.store();
        args.extend(
            [
                "--store",
                &store,
                "--trust-root",
                "trust.json",
                "--at",
                "2026-06-01T00:00:00Z",
            ]
            .map(String::from),
        );
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        expect_code(self.path(), &refs, code)
    }

    pub fn digest(&self) -> String {
        expect_code(
            self.path(),
            &["store", "digest", "--store", &self.store()],
            0,
        )
        .trim()
        .to_string()
    }

    pub fn check(&self) {
        expect_code(
            self.path(),
            &["store", "check", "--store", &self.store()],
            0,
        );
    }
}

/// One bundle to write.
pub struct Spec<'a> {
    pub channel: &'a str,
    pub sequence: u64,
    pub kind: BundleKind,
    pub created: &'a str,
    pub expires: &'a str,
    pub base: Option<Digest>,
    pub key: &'a str,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            channel: "stable",
            sequence: 1,
            kind: BundleKind::Snapshot,
            created: "2026-05-01T00:00:00Z",
            expires: "2027-05-01T00:00:00Z",
            base: None,
            key: "signer.key",
        }
    }
}

/// Writes a signed bundle with `entries` (path, kind, bytes) to `out`.
pub fn write_bundle(
    env: &Env,
    out: &str,
    spec: &Spec<'_>,
    entries: &[(String, EntryKind, Vec<u8>)],
) -> PathBuf {
    let limits = Limits::default();
    let mut list: Vec<ManifestEntry> = entries
        .iter()
        .map(|(p, k, b)| ManifestEntry {
            path: EntryPath::parse(p).unwrap(),
            kind: *k,
            media_type: "application/octet-stream".into(),
            size: b.len() as u64,
            sha256: Digest::sha256(b),
            blake3: Digest::blake3(b),
        })
        .collect();
    list.sort_by(|a, b| a.path.as_str().as_bytes().cmp(b.path.as_str().as_bytes()));
    let manifest = Manifest::build(
        ManifestHeader {
            kind: spec.kind,
            publisher: "acme".into(),
            channel: spec.channel.into(),
            sequence: spec.sequence,
            created: spec.created.into(),
            expires: spec.expires.into(),
            base: spec.base,
        },
        list,
        &limits,
    )
    .unwrap();
    let mut envelope = Envelope::new(MANIFEST_PAYLOAD_TYPE, manifest.to_payload());
    sign_envelope(
        &mut envelope,
        &PrivateKey::load(&env.path().join(spec.key)).unwrap(),
    );
    let path = env.path().join(out);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = BundleWriter::new(
        std::io::BufWriter::new(file),
        &envelope,
        &limits,
        WriteOptions::default(),
    )
    .unwrap();
    let mut sorted: Vec<&(String, EntryKind, Vec<u8>)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (p, _, b) in sorted {
        w.append(&EntryPath::parse(p).unwrap(), &mut b.as_slice())
            .unwrap();
    }
    use std::io::Write;
    w.finish().unwrap().flush().unwrap();
    path
}

pub fn osv(id: &str, cve: &str, pkg: &str, fixed: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","aliases":["{cve}"],"affected":[{{"package":{{"ecosystem":"Debian:12","name":"{pkg}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
    .into_bytes()
}

pub fn changelog(pkg: &str, version: &str, cve: &str) -> Vec<u8> {
    format!("{pkg} ({version}) unstable; urgency=high\n\n  * Fix {cve}.\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n").into_bytes()
}

/// Snapshot contents: `n` advisories (+ a changelog each), `variant` changes some fixed versions.
pub fn evidence(n: usize, variant: u32) -> Vec<(String, EntryKind, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..n {
        let fixed = if i % 3 == 0 {
            format!("1.{variant}-1")
        } else {
            "1.0-1".into()
        };
        let pkg = format!("pkg{i}");
        out.push((
            format!("advisories/osv/DSA-{i}-1.json"),
            EntryKind::Advisory,
            osv(
                &format!("DSA-{i}-1"),
                &format!("CVE-2024-{}", 10000 + i),
                &pkg,
                &fixed,
            ),
        ));
        out.push((
            format!("changelogs/{pkg}/changelog"),
            EntryKind::Changelog,
            changelog(&pkg, &fixed, &format!("CVE-2024-{}", 10000 + i)),
        ));
    }
    out
}

#[test]
fn import_reports_and_store_status() {
    let env = Env::new();
    let b = write_bundle(&env, "b1.airlock", &Spec::default(), &evidence(3, 1));
    let out = env.import(&[&b], &["--json"], 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["imports"][0]["outcome"], "imported");
    assert_eq!(v["imports"][0]["counts"]["advisories"]["added"], 6);
    assert_eq!(v["imports"][0]["counts"]["changelog_mentions"]["added"], 3);
    let status = expect_code(env.path(), &["store", "status", "--store", &env.store()], 0);
    assert!(
        status.contains("channel acme/stable: sequence 1"),
        "{status}"
    );
    let list = expect_code(
        env.path(),
        &["store", "list", "--store", &env.store(), "--json"],
        0,
    );
    assert!(list.contains("\"sequence\": 1"), "{list}");
    let show = expect_code(
        env.path(),
        &[
            "store",
            "show",
            "CVE-2024-10001",
            "--store",
            &env.store(),
            "--json",
        ],
        0,
    );
    assert!(show.contains("pkg:deb/debian/pkg1"), "{show}");
    expect_code(
        env.path(),
        &["store", "show", "CVE-1999-0001", "--store", &env.store()],
        1,
    );
    env.check();
    // Same bundle again: a no-op that says so.
    let again = env.import(&[&b], &[], 0);
    assert!(again.contains("already imported"), "{again}");
    // No store: status could not run.
    let out = run_in(env.path(), &["store", "status", "--store", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("store-not-found"));
}

#[test]
fn rollback_expiry_and_floor() {
    let env = Env::new();
    let b2 = write_bundle(
        &env,
        "b2.airlock",
        &Spec {
            sequence: 2,
            ..Spec::default()
        },
        &evidence(3, 2),
    );
    let b1 = write_bundle(
        &env,
        "b1.airlock",
        &Spec {
            sequence: 1,
            ..Spec::default()
        },
        &evidence(3, 1),
    );
    let b2b = write_bundle(
        &env,
        "b2b.airlock",
        &Spec {
            sequence: 2,
            ..Spec::default()
        },
        &evidence(2, 2),
    );
    env.import(&[&b2], &[], 0);
    let d = env.digest();
    for b in [&b1, &b2b] {
        let out = run_in(
            env.path(),
            &[
                "import",
                &b.display().to_string(),
                "--store",
                &env.store(),
                "--trust-root",
                "trust.json",
                "--at",
                "2026-06-01T00:00:00Z",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("rollback-detected"));
        assert_eq!(env.digest(), d);
    }
    let help = expect_code(env.path(), &["import", "--help"], 0);
    assert!(help.contains("unsafe"), "{help}");
    let out = env.import(&[&b1], &["--allow-downgrade"], 0);
    assert!(out.contains("DOWNGRADED"), "{out}");

    // Expiry: checked against --at ...
    let env = Env::new();
    let _short = write_bundle(
        &env,
        "s.airlock",
        &Spec {
            expires: "2026-05-15T00:00:00Z",
            ..Spec::default()
        },
        &evidence(1, 1),
    );
    let out = run_in(
        env.path(),
        &[
            "import",
            "s.airlock",
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bundle-expired"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ... and against the time floor raised by a later bundle, even with an earlier --at.
    let later = write_bundle(
        &env,
        "l.airlock",
        &Spec {
            channel: "other",
            created: "2026-05-20T00:00:00Z",
            ..Spec::default()
        },
        &evidence(1, 1),
    );
    expect_code(
        env.path(),
        &[
            "import",
            "l.airlock",
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-05-21T00:00:00Z",
        ],
        0,
    );
    let d = env.digest();
    let out = run_in(
        env.path(),
        &[
            "import",
            "s.airlock",
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-05-10T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bundle-expired"));
    assert_eq!(env.digest(), d);
    let _ = later;
}

#[test]
fn rejections_leave_digest_unchanged() {
    let env = Env::new();
    let b1 = write_bundle(&env, "b1.airlock", &Spec::default(), &evidence(3, 1));
    env.import(&[&b1], &[], 0);
    let d = env.digest();
    let good = write_bundle(
        &env,
        "b2.airlock",
        &Spec {
            sequence: 2,
            ..Spec::default()
        },
        &evidence(40, 2),
    );
    let bytes = std::fs::read(&good).unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut flipped = bytes.clone();
    let at = bytes.len() * 3 / 4;
    flipped[at] ^= 0x40;
    cases.push(("flipped", flipped));
    cases.push(("truncated", bytes[..bytes.len() / 2].to_vec()));
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"garbage");
    cases.push(("trailing", trailing));
    for (name, data) in &cases {
        let p = env.path().join(format!("{name}.airlock"));
        std::fs::write(&p, data).unwrap();
        let out = run_in(
            env.path(),
            &[
                "import",
                &p.display().to_string(),
                "--store",
                &env.store(),
                "--trust-root",
                "trust.json",
                "--at",
                "2026-06-01T00:00:00Z",
            ],
        );
        assert_ne!(out.status.code(), Some(0), "{name}");
        assert_eq!(env.digest(), d, "{name}");
    }
    // Signed by a key outside the bundle-signer role.
    let rogue = write_bundle(
        &env,
        "rogue.airlock",
        &Spec {
            sequence: 3,
            key: "rogue.key",
            ..Spec::default()
        },
        &evidence(2, 3),
    );
    let out = run_in(
        env.path(),
        &[
            "import",
            &rogue.display().to_string(),
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(env.digest(), d);
    // Created after the time of the check.
    let future = write_bundle(
        &env,
        "future.airlock",
        &Spec {
            sequence: 3,
            created: "2026-07-01T00:00:00Z",
            ..Spec::default()
        },
        &evidence(2, 3),
    );
    let out = run_in(
        env.path(),
        &[
            "import",
            &future.display().to_string(),
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bundle-not-yet-valid"));
    assert_eq!(env.digest(), d);
    // An entry that fails to parse rejects the whole bundle, naming the entry.
    let mut ev = evidence(3, 4);
    ev.push((
        "advisories/osv/broken.json".into(),
        EntryKind::Advisory,
        b"{\"id\": 5".to_vec(),
    ));
    let bad = write_bundle(
        &env,
        "bad.airlock",
        &Spec {
            sequence: 4,
            ..Spec::default()
        },
        &ev,
    );
    let out = run_in(
        env.path(),
        &[
            "import",
            &bad.display().to_string(),
            "--store",
            &env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("entry-parse-failed") && err.contains("advisories/osv/broken.json"),
        "{err}"
    );
    assert_eq!(env.digest(), d);
    env.check();
}

#[test]
fn n_after_n_minus_1_equals_n_alone() {
    let a = Env::new();
    let n1 = write_bundle(&a, "n1.airlock", &Spec::default(), &evidence(10, 1));
    let n2 = write_bundle(
        &a,
        "n2.airlock",
        &Spec {
            sequence: 2,
            created: "2026-05-02T00:00:00Z",
            ..Spec::default()
        },
        &evidence(8, 2),
    );
    a.import(&[&n1], &[], 0);
    let after_n1 = a.digest();
    a.import(&[&n2], &[], 0);
    // N replaces N-1's content (rows N no longer has are swept), so the digests differ ...
    assert_ne!(a.digest(), after_n1);
    let b = Env::new();
    // Same bundle bytes are not needed: same evidence, signed by b's own key.
    let n2b = write_bundle(
        &b,
        "n2.airlock",
        &Spec {
            sequence: 2,
            created: "2026-05-02T00:00:00Z",
            ..Spec::default()
        },
        &evidence(8, 2),
    );
    b.import(&[&n2b], &[], 0);
    // ... and N after N-1 holds exactly what N alone holds.
    assert_eq!(a.digest(), b.digest());
    // Delta bundles record their base and add on top.
    let base: Digest = expect_code(
        a.path(),
        &["store", "list", "--store", &a.store(), "--json"],
        0,
    )
    .lines()
    .find_map(|l| {
        l.trim()
            .strip_prefix("\"id\": \"")
            .map(|s| s.trim_end_matches("\",").to_string())
    })
    .unwrap()
    .parse()
    .unwrap();
    let delta = write_bundle(
        &a,
        "d3.airlock",
        &Spec {
            sequence: 3,
            kind: BundleKind::Delta,
            base: Some(base),
            ..Spec::default()
        },
        &evidence(1, 9),
    );
    // A delta must be a snapshot delta (`spec/bundle-format.md` §12, tests/snapshot.rs); plain
    // evidence under kind `delta` is refused and changes nothing.
    let before = a.digest();
    let out = run_in(
        a.path(),
        &[
            "import",
            &delta.display().to_string(),
            "--store",
            &a.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[delta-layout-invalid]"));
    assert_eq!(a.digest(), before);
    a.check();
}

fn big_bundle(env: &Env, name: &str, seq: u64, n: usize) -> PathBuf {
    write_bundle(
        env,
        name,
        &Spec {
            sequence: seq,
            created: "2026-05-02T00:00:00Z",
            ..Spec::default()
        },
        &evidence(n, seq as u32),
    )
}

fn spawn_import(env: &Env, store: &str, file: &Path) -> std::process::Child {
    Command::new(airlock_bin())
        .args([
            "import",
            &file.display().to_string(),
            "--store",
            store,
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ])
        .current_dir(env.path())
        .env_remove("AIRLOCK_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn digest_of(env: &Env, store: &str) -> String {
    expect_code(env.path(), &["store", "digest", "--store", store], 0)
        .trim()
        .to_string()
}

#[test]
fn crash_at_many_points_leaves_old_or_new() {
    let env = Env::new();
    let n1 = big_bundle(&env, "n1.airlock", 1, 200);
    let n2 = big_bundle(&env, "n2.airlock", 2, 1200);
    // Reference stores: old (N1) and new (N1 + N2); time the uninterrupted import.
    let old = env.path().join("old").display().to_string();
    expect_code(
        env.path(),
        &[
            "import",
            "n1.airlock",
            "--store",
            &old,
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
        0,
    );
    let old_digest = digest_of(&env, &old);
    let new = env.path().join("new");
    copy_dir(Path::new(&old), &new);
    let started = Instant::now();
    let status = spawn_import(&env, &new.display().to_string(), &n2)
        .wait()
        .unwrap();
    let full = started.elapsed();
    assert!(status.success());
    let new_digest = digest_of(&env, &new.display().to_string());
    assert_ne!(old_digest, new_digest);
    let _ = n1;

    eprintln!("uninterrupted import: {full:?}");
    let points = 22u32;
    let (mut saw_old, mut saw_new) = (0, 0);
    for i in 0..points {
        let store = env.path().join(format!("crash{i}"));
        copy_dir(Path::new(&old), &store);
        let store = store.display().to_string();
        let mut child = spawn_import(&env, &store, &n2);
        // Spread the kills over the whole import (and a little past it).
        let delay = full.mul_f64(1.2 * f64::from(i) / f64::from(points - 1));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        expect_code(env.path(), &["store", "check", "--store", &store], 0);
        let d = digest_of(&env, &store);
        assert!(
            d == old_digest || d == new_digest,
            "kill {i} after {delay:?}: digest {d} is neither old nor new"
        );
        if d == old_digest {
            saw_old += 1
        } else {
            saw_new += 1
        }
        std::fs::remove_dir_all(&store).unwrap();
    }
    eprintln!(
        "crash test: {saw_old} kills left the old content, {saw_new} the new (import took {full:?})"
    );
    assert!(saw_old >= 1, "old {saw_old}, new {saw_new}");
}

#[test]
fn concurrent_imports_and_readers() {
    let env = Env::new();
    let a = write_bundle(
        &env,
        "a.airlock",
        &Spec {
            channel: "a",
            ..Spec::default()
        },
        &evidence(1500, 1),
    );
    let b = write_bundle(
        &env,
        "b.airlock",
        &Spec {
            channel: "b",
            ..Spec::default()
        },
        &evidence(1500, 2),
    );
    let small = write_bundle(
        &env,
        "s.airlock",
        &Spec {
            channel: "s",
            ..Spec::default()
        },
        &evidence(2, 1),
    );
    env.import(&[&small], &[], 0);
    let before = env.digest();
    let store = env.store();
    let mut ca = spawn_import(&env, &store, &a);
    std::thread::sleep(Duration::from_millis(100));
    let mut cb = spawn_import(&env, &store, &b);
    // A reader during the imports never blocks and sees a committed state.
    let t = Instant::now();
    let d = env.digest();
    assert!(t.elapsed() < Duration::from_secs(20));
    if ca.try_wait().unwrap().is_none() && cb.try_wait().unwrap().is_none() {
        assert_eq!(
            d, before,
            "a reader during an import sees the previous state"
        );
    }
    let oa = ca.wait_with_output().unwrap();
    let ob = cb.wait_with_output().unwrap();
    assert!(
        oa.status.success(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
    assert!(
        ob.status.success(),
        "{}",
        String::from_utf8_lossy(&ob.stderr)
    );
    let status = expect_code(
        env.path(),
        &["store", "status", "--store", &store, "--json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        v["channels"].as_array().unwrap().len(),
        3,
        "nothing lost: {status}"
    );
    env.check();
}
