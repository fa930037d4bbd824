//! Snapshot deltas (`bundle diff`, `import DELTA`, `bundle inspect` of a delta): base + delta
//! equals the full target by `store digest`; chains; every mishap is refused with its own code
//! and leaves the store as it was; a full snapshot is always accepted; tampering is refused.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use airlock::bundle_format::manifest::{MANIFEST_PAYLOAD_TYPE, Manifest, ManifestHeader};
use airlock::bundle_format::{
    BundleReader, BundleWriter, Digest, EntryPath, Envelope, Limits, ManifestEntry, WriteOptions,
};
use airlock::crypto::PrivateKey;
use airlock::crypto::dsse::sign_envelope;

use crate::common::{expect_code, fixture, run_in};
use crate::import::Env;

const CHANGELOG: &str = "changelogs/curl/changelog.Debian";

fn copy_dir(from: &Path, to: &Path) {
    for item in walkdir::WalkDir::new(from).min_depth(1) {
        let item = item.unwrap();
        let rel = item.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if item.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(item.path(), &dest).unwrap();
        }
    }
}

/// Prepends a changelog entry naming `cve` at `version`.
fn add_changelog_entry(dir: &Path, version: &str, cve: &str) {
    let path = dir.join(CHANGELOG);
    let old = std::fs::read_to_string(&path).unwrap();
    let entry = format!(
        "curl ({version}) bookworm-security; urgency=medium\n\n  * Fix {cve}.\n\n -- Tester <t@example.org>  Mon, 01 Dec 2026 00:00:00 +0000\n\n"
    );
    std::fs::write(&path, entry + &old).unwrap();
}

/// Copies a real OSV advisory under a new id.
fn add_advisory(dir: &Path, id: &str) {
    let text = std::fs::read_to_string(fixture("evidence/advisories/osv/DSA-3029-1.json")).unwrap();
    std::fs::write(
        dir.join(format!("advisories/osv/{id}.json")),
        text.replace("DSA-3029-1", id),
    )
    .unwrap();
}

/// Three months of evidence of one channel, their snapshots and the deltas 1→2 and 2→3.
struct Months {
    env: Env,
}

impl Months {
    fn new() -> Months {
        let env = Env::new();
        let d = env.path();
        let m1 = d.join("m1");
        copy_dir(&fixture("evidence"), &m1);
        copy_dir(&fixture("proof-evidence"), &m1);
        let m2 = d.join("m2");
        copy_dir(&m1, &m2);
        add_changelog_entry(&m2, "7.88.1-10+deb12u9", "CVE-2099-0001");
        add_advisory(&m2, "DSA-9001-1");
        std::fs::remove_file(m2.join("advisories/csaf/bsi-2022-0001.json")).unwrap();
        let m3 = d.join("m3");
        copy_dir(&m2, &m3);
        add_changelog_entry(&m3, "7.88.1-10+deb12u10", "CVE-2099-0002");
        add_advisory(&m3, "DSA-9002-1");
        let months = Months { env };
        for (n, created) in [
            (1, "2026-03-01T00:00:00Z"),
            (2, "2026-04-01T00:00:00Z"),
            (3, "2026-05-01T00:00:00Z"),
        ] {
            months.create(&format!("m{n}"), n, created, "signer.key");
        }
        months.diff("m1.airlock", "m2.airlock", "d12.airlock", "signer.key");
        months.diff("m2.airlock", "m3.airlock", "d23.airlock", "signer.key");
        months
    }

    fn create(&self, dir: &str, sequence: u64, created: &str, key: &str) {
        expect_code(
            self.env.path(),
            &[
                "bundle",
                "create",
                "--evidence",
                dir,
                "--key",
                key,
                "--publisher",
                "acme",
                "--channel",
                "monthly",
                "--sequence",
                &sequence.to_string(),
                "--created",
                created,
                "--expires",
                "1y",
                "--out",
                &format!("{dir}.airlock"),
            ],
            0,
        );
    }

    fn diff(&self, base: &str, target: &str, out: &str, key: &str) -> String {
        expect_code(
            self.env.path(),
            &[
                "bundle",
                "diff",
                "--base",
                base,
                "--target",
                target,
                "--key",
                key,
                "--created",
                "2026-05-15T00:00:00Z",
                "--expires",
                "90d",
                "--out",
                out,
                "--json",
            ],
            0,
        )
    }

    fn file(&self, name: &str) -> PathBuf {
        self.env.path().join(name)
    }

    /// Imports into a store of its own and returns that store's digest.
    fn digest_of(&self, store: &str, files: &[&str]) -> String {
        let d = self.env.path();
        let mut args = vec!["import"];
        args.extend_from_slice(files);
        args.extend_from_slice(&[
            "--store",
            store,
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ]);
        expect_code(d, &args, 0);
        expect_code(d, &["store", "check", "--store", store], 0);
        expect_code(d, &["store", "digest", "--store", store], 0)
            .trim()
            .to_string()
    }

    /// Imports `file` into the env's store expecting a rejection with `code`; returns stderr.
    fn reject(&self, file: &str, code: &str) -> String {
        let store = self.env.store();
        let out = run_in(
            self.env.path(),
            &[
                "import",
                file,
                "--store",
                &store,
                "--trust-root",
                "trust.json",
                "--at",
                "2026-06-01T00:00:00Z",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
        assert!(stderr.contains(&format!("[{code}]")), "{file}: {stderr}");
        stderr
    }
}

#[test]
fn base_plus_delta_equals_full_target() {
    let m = Months::new();
    let full = m.digest_of("full", &["m1.airlock", "m2.airlock"]);
    assert_eq!(m.digest_of("only-target", &["m2.airlock"]), full);
    assert_eq!(m.digest_of("delta", &["m1.airlock", "d12.airlock"]), full);
    // A chain of two deltas equals the third month's snapshot.
    let full3 = m.digest_of("full3", &["m3.airlock"]);
    assert_ne!(full3, full);
    assert_eq!(
        m.digest_of("chain", &["m1.airlock", "d12.airlock", "d23.airlock"]),
        full3
    );
    // The delta is smaller than the target it stands for, and deterministic.
    let size = |f: &str| std::fs::metadata(m.file(f)).unwrap().len();
    assert!(size("d12.airlock") < size("m2.airlock"));
    m.diff(
        "m1.airlock",
        "m2.airlock",
        "d12-again.airlock",
        "signer.key",
    );
    assert_eq!(
        std::fs::read(m.file("d12.airlock")).unwrap(),
        std::fs::read(m.file("d12-again.airlock")).unwrap()
    );
}

#[test]
fn diff_reports_and_inspect_shows_the_changes() {
    let m = Months::new();
    let json = m.diff("m1.airlock", "m2.airlock", "d.airlock", "signer.key");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["added"]["count"], 1);
    assert_eq!(v["changed"]["count"], 1);
    assert_eq!(v["removed"]["count"], 1);
    assert_eq!(v["target_sequence"], 2);
    let inspect = expect_code(
        m.env.path(),
        &["bundle", "inspect", "d12.airlock", "--json"],
        0,
    );
    let i: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(i["kind"], "delta");
    assert_eq!(i["delta"]["base"], v["base"]);
    assert_eq!(i["delta"]["target"], v["target"]);
    assert_eq!(i["delta"]["changed"], v["changed"]);
    assert_eq!(
        i["base"], v["base"],
        "the manifest names the base by digest"
    );
    let text = expect_code(m.env.path(), &["bundle", "inspect", "d12.airlock"], 0);
    assert!(text.contains("changed              1 entries"), "{text}");
    // Base and target must be snapshots of one channel, in order.
    let out = run_in(
        m.env.path(),
        &[
            "bundle",
            "diff",
            "--base",
            "m2.airlock",
            "--target",
            "m1.airlock",
            "--key",
            "signer.key",
            "--out",
            "x.airlock",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[delta-inputs-invalid]"));
    let out = run_in(
        m.env.path(),
        &[
            "bundle",
            "diff",
            "--base",
            "d12.airlock",
            "--target",
            "m3.airlock",
            "--key",
            "signer.key",
            "--out",
            "x.airlock",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!m.file("x.airlock").exists());
}

#[test]
fn mishaps_are_refused_and_change_nothing() {
    let m = Months::new();
    // Onto an empty store: the base is missing.
    let err = m.reject("d12.airlock", "delta-base-missing");
    let base = serde_json::from_str::<serde_json::Value>(&expect_code(
        m.env.path(),
        &["bundle", "inspect", "d12.airlock", "--json"],
        0,
    ))
    .unwrap()["base"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(err.contains(&base), "names the base it needs: {err}");
    m.env.import(&[&m.file("m1.airlock")], &[], 0);
    let at_m1 = m.env.digest();
    // Out of order: 2→3 before 1→2.
    m.reject("d23.airlock", "delta-out-of-order");
    assert_eq!(m.env.digest(), at_m1);
    // In order, then twice.
    m.env.import(&[&m.file("d12.airlock")], &[], 0);
    let at_m2 = m.env.digest();
    m.reject("d12.airlock", "delta-already-applied");
    assert_eq!(m.env.digest(), at_m2);
    m.env.import(&[&m.file("d23.airlock")], &[], 0);
    let at_m3 = m.env.digest();
    // Its target came and went: still already applied.
    m.reject("d12.airlock", "delta-already-applied");
    assert_eq!(m.env.digest(), at_m3);
    m.env.check();
    // A delta older than the store's head (this store skipped from month 1 to month 3).
    let at_skip = m.digest_of("skip", &["m1.airlock", "m3.airlock"]);
    let out = run_in(
        m.env.path(),
        &[
            "import",
            "d12.airlock",
            "--store",
            "skip",
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[delta-stale]"));
    let after = expect_code(m.env.path(), &["store", "digest", "--store", "skip"], 0);
    assert_eq!(after.trim(), at_skip);
}

#[test]
fn wrong_base_is_refused_and_full_snapshots_always_win() {
    let m = Months::new();
    // Another month 1 (different content, same channel and sequence).
    let other = m.file("m1-other");
    copy_dir(&fixture("proof-evidence"), &other);
    m.create("m1-other", 1, "2026-03-01T00:00:00Z", "signer.key");
    m.env.import(&[&m.file("m1-other.airlock")], &[], 0);
    let before = m.env.digest();
    m.reject("d12.airlock", "delta-base-mismatch");
    assert_eq!(m.env.digest(), before);
    // The full snapshot is accepted over whatever the chain did, and then the delta chain
    // carries on from it.
    m.env.import(&[&m.file("m2.airlock")], &[], 0);
    m.env.import(&[&m.file("d23.airlock")], &[], 0);
    let chain = m.env.digest();
    assert_eq!(chain, m.digest_of("full3", &["m3.airlock"]));
    // The full target after its delta: already imported, exit 0, nothing changes.
    let out = m.env.import(&[&m.file("m3.airlock")], &[], 0);
    assert!(out.contains("already imported"), "{out}");
    assert_eq!(m.env.digest(), chain);
}

/// Rewrites a delta bundle member by member, then signs its manifest again with `key`.
fn rewrite(
    m: &Months,
    src: &str,
    dst: &str,
    key: &str,
    edit: impl FnOnce(&mut BTreeMap<String, Vec<u8>>),
) -> PathBuf {
    let input = std::fs::File::open(m.file(src)).unwrap();
    let mut reader = BundleReader::open(input, Limits::default()).unwrap();
    let manifest = reader.load_manifest().unwrap().clone();
    let mut members = BTreeMap::new();
    while let Some(mut e) = reader.next_entry().unwrap() {
        let path = e.entry().path.to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        e.finish().unwrap();
        members.insert(path, bytes);
    }
    edit(&mut members);
    let media: BTreeMap<String, String> = manifest
        .entries
        .iter()
        .map(|e| (e.path.to_string(), e.media_type.clone()))
        .collect();
    let entries = members
        .iter()
        .map(|(p, b)| ManifestEntry {
            path: EntryPath::parse(p).unwrap(),
            kind: airlock::bundle_format::EntryKind::Blob,
            media_type: media
                .get(p)
                .cloned()
                .unwrap_or_else(|| "application/octet-stream".into()),
            size: b.len() as u64,
            sha256: Digest::sha256(b),
            blake3: Digest::blake3(b),
        })
        .collect();
    let header = ManifestHeader {
        kind: manifest.kind,
        publisher: manifest.publisher.clone(),
        channel: manifest.channel.clone(),
        sequence: manifest.sequence,
        created: manifest.created.clone(),
        expires: manifest.expires.clone(),
        base: manifest.base,
    };
    let rebuilt = Manifest::build(header, entries, &Limits::default()).unwrap();
    let mut envelope = Envelope::new(MANIFEST_PAYLOAD_TYPE, rebuilt.to_payload());
    sign_envelope(&mut envelope, &PrivateKey::load(&m.file(key)).unwrap());
    let path = m.file(dst);
    let mut w = BundleWriter::new(
        std::fs::File::create(&path).unwrap(),
        &envelope,
        &Limits::default(),
        WriteOptions::default(),
    )
    .unwrap();
    for e in &rebuilt.entries {
        w.append(&e.path, &mut members[e.path.as_str()].as_slice())
            .unwrap();
    }
    w.finish().unwrap();
    path
}

fn member_with(members: &BTreeMap<String, Vec<u8>>, prefix: &str) -> String {
    members
        .keys()
        .find(|k| k.starts_with(prefix))
        .unwrap()
        .clone()
}

#[test]
fn tampered_deltas_are_refused() {
    let m = Months::new();
    m.env.import(&[&m.file("m1.airlock")], &[], 0);
    let before = m.env.digest();

    // A flipped byte in the file: the bundle reader refuses it.
    let mut bytes = std::fs::read(m.file("d12.airlock")).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0x55;
    std::fs::write(m.file("flipped.airlock"), &bytes).unwrap();
    let out = run_in(
        m.env.path(),
        &[
            "import",
            "flipped.airlock",
            "--store",
            &m.env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));

    // Re-signed by the publisher's key but with an added entry's bytes replaced: the
    // reconstruction does not match the signed target manifest.
    rewrite(
        &m,
        "d12.airlock",
        "added.airlock",
        "signer.key",
        |members| {
            let k = member_with(members, "airlock-delta/added/");
            members.get_mut(&k).unwrap()[10] ^= 1;
        },
    );
    let err = m.reject("added.airlock", "delta-entry-digest-mismatch");
    assert!(err.contains("advisories/osv/DSA-9001-1.json"), "{err}");

    // A changed entry's payload altered: the payload's own checks refuse it.
    rewrite(
        &m,
        "d12.airlock",
        "payload.airlock",
        "signer.key",
        |members| {
            let k = member_with(members, "airlock-delta/changed/");
            let p = members.get_mut(&k).unwrap();
            let last = p.len() - 1;
            p[last] ^= 1;
        },
    );
    let out = run_in(
        m.env.path(),
        &[
            "import",
            "payload.airlock",
            "--store",
            &m.env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(CHANGELOG), "{stderr}");

    // The target manifest edited (its own signature then fails).
    rewrite(
        &m,
        "d12.airlock",
        "target.airlock",
        "signer.key",
        |members| {
            let t = members.get_mut("airlock-delta/target.dsse.json").unwrap();
            let mut env: serde_json::Value = serde_json::from_slice(t).unwrap();
            env["signatures"][0]["sig"] = serde_json::Value::String(
                "AAAA".repeat(16), // 64 bytes of zeros, base64
            );
            *t = serde_json::to_vec(&env).unwrap();
        },
    );
    let out = run_in(
        m.env.path(),
        &[
            "import",
            "target.airlock",
            "--store",
            &m.env.store(),
            "--trust-root",
            "trust.json",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1));

    // A member the index does not know.
    rewrite(
        &m,
        "d12.airlock",
        "extra.airlock",
        "signer.key",
        |members| {
            members.insert("airlock-delta/added/zzz".into(), b"{}".to_vec());
        },
    );
    m.reject("extra.airlock", "delta-layout-invalid");

    // A delta signed by a key outside the bundle-signer role.
    rewrite(&m, "d12.airlock", "rogue.airlock", "rogue.key", |_| {});
    m.reject("rogue.airlock", "signature-untrusted");

    assert_eq!(
        m.env.digest(),
        before,
        "no tampered delta changed the store"
    );
    // The genuine delta still applies.
    m.env.import(&[&m.file("d12.airlock")], &[], 0);
}

#[test]
fn gc_keeps_what_the_next_delta_needs() {
    let m = Months::new();
    m.env.import(&[&m.file("m1.airlock")], &[], 0);
    // blobs/SOURCES.md and the tlog note yield no index rows; gc must still keep them.
    expect_code(m.env.path(), &["store", "gc", "--store", &m.env.store()], 0);
    m.env.import(&[&m.file("d12.airlock")], &[], 0);
    assert_eq!(m.env.digest(), m.digest_of("full", &["m2.airlock"]));
    m.env.check();
}
