//! `airlock bundle create|verify|inspect|extract`, and every bad-input case of issue 3, each
//! asserting its own code. Hostile archives are built here with the `tar` crate's `Header`
//! directly (never through airlock's writer).

use std::io::Read;
use std::path::PathBuf;

use airlock::bundle_format::digest::hash_reader;
use airlock::bundle_format::manifest::{MANIFEST_MEMBER, MANIFEST_PAYLOAD_TYPE};
use airlock::bundle_format::{
    BundleKind, EntryKind, EntryPath, Envelope, Limits, Manifest, ManifestEntry, ManifestHeader,
};
use airlock::crypto::{KeyAlgorithm, PrivateKey, sign_envelope};
use airlock::trust::{Draft, Role};

use crate::common::{expect_code, run_in};

const AT: &str = "2026-07-01T00:00:00Z";
const CREATED: &str = "2026-06-01T00:00:00Z";

struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn key(&self, name: &str) -> PrivateKey {
        PrivateKey::load(&self.path(&format!("{name}.key"))).unwrap()
    }

    fn write(&self, rel: &str, data: &[u8]) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    /// Runs `bundle verify` with --json and returns the code (or "ok").
    fn verify_code(&self, bundle: &str, trust_root: &str, at: &str) -> String {
        let out = run_in(
            self.dir.path(),
            &[
                "bundle",
                "verify",
                bundle,
                "--trust-root",
                trust_root,
                "--at",
                at,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "stdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        match v["status"].as_str() {
            Some("verified") => {
                assert_eq!(out.status.code(), Some(0));
                "ok".into()
            }
            Some("rejected") => {
                assert_eq!(out.status.code(), Some(1), "{v}");
                v["code"].as_str().unwrap().to_owned()
            }
            _ => panic!("unexpected report {v} (exit {:?})", out.status.code()),
        }
    }
}

/// Keys `root`, `signer`, `signer2`, `outsider`; trust roots `tr.json` (bundle-signer: signer,
/// threshold 1) and `tr2.json` (signer + signer2, threshold 2); evidence in `ev/`.
fn site() -> Site {
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    for name in ["root", "signer", "signer2", "outsider"] {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        site.write(&format!("{name}.key"), key.to_pem().as_bytes());
    }
    let expires = airlock::time::parse_instant("2030-01-01T00:00:00Z").unwrap();
    let root = site.key("root");
    let mut one = Draft::init(&[root.public_key()], 1, expires).unwrap();
    one.add_key(Role::BundleSigner, &site.key("signer").public_key())
        .unwrap();
    one.sign(&root).unwrap();
    one.save(&site.path("tr.json")).unwrap();
    let mut two = Draft::init(&[root.public_key()], 1, expires).unwrap();
    two.add_key(Role::BundleSigner, &site.key("signer").public_key())
        .unwrap();
    two.add_key(Role::BundleSigner, &site.key("signer2").public_key())
        .unwrap();
    two.set_threshold(Role::BundleSigner, 2).unwrap();
    two.sign(&root).unwrap();
    two.save(&site.path("tr2.json")).unwrap();
    site.write(
        "ev/advisories/osv/a.json",
        br#"{"id":"GHSA-test","modified":"2026-01-01T00:00:00Z"}"#,
    );
    site.write("ev/attestations/x.intoto.jsonl", b"{\"a\":1}\n{\"b\":2}\n");
    site.write(
        "ev/blobs/data.bin",
        &(0..200_000u32)
            .flat_map(u32::to_le_bytes)
            .collect::<Vec<_>>(),
    );
    site.write("ev/tlog/checkpoint.note", b"example.org/log\n1\nAAAA\n");
    // A real package: `bundle create` refuses packages the evidence readers cannot read.
    site.write(
        "ev/packages/curl_8.5.0-2_amd64.deb",
        &std::fs::read(crate::common::fixture(
            "packages/libdisorder0_0.0.2+git20130809.8062ee1-4+b1_amd64.deb",
        ))
        .unwrap(),
    );
    site
}

fn create(site: &Site, out: &str) {
    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "create",
            "--evidence",
            "ev",
            "--key",
            "signer.key",
            "--publisher",
            "example.org",
            "--channel",
            "stable",
            "--sequence",
            "7",
            "--created",
            CREATED,
            "--out",
            out,
        ],
        0,
    );
}

#[test]
fn create_is_deterministic_and_verifies_inspects_extracts() {
    let site = site();
    create(&site, "one.airlock");
    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "create",
            "--evidence",
            "ev",
            "--key",
            "signer.key",
            "--publisher",
            "example.org",
            "--channel",
            "stable",
            "--sequence",
            "7",
            "--created",
            CREATED,
            "--threads",
            "1",
            "--out",
            "two.airlock",
        ],
        0,
    );
    let one = std::fs::read(site.path("one.airlock")).unwrap();
    assert_eq!(
        one,
        std::fs::read(site.path("two.airlock")).unwrap(),
        "same inputs, different bytes"
    );
    assert_eq!(site.verify_code("one.airlock", "tr.json", AT), "ok");

    let inspect = expect_code(
        site.dir.path(),
        &["bundle", "inspect", "one.airlock", "--json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v["publisher"], "example.org");
    assert_eq!(v["sequence"], 7);
    assert_eq!(v["entries"], 5);
    assert_eq!(v["kinds"]["binary-package"]["count"], 1);
    assert_eq!(v["signers"][0], site.key("signer").key_id().to_string());
    // inspect needs only the first zstd frame.
    let first = zstd::zstd_safe::find_frame_compressed_size(&one).unwrap();
    site.write("head.airlock", &one[..first]);
    expect_code(site.dir.path(), &["bundle", "inspect", "head.airlock"], 0);

    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "extract",
            "one.airlock",
            "--trust-root",
            "tr.json",
            "--at",
            AT,
            "--to",
            "out",
        ],
        0,
    );
    let back = std::fs::read(site.path("out/blobs/data.bin")).unwrap();
    assert_eq!(back, std::fs::read(site.path("ev/blobs/data.bin")).unwrap());
    // Extracting over an existing directory is refused.
    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "extract",
            "one.airlock",
            "--trust-root",
            "tr.json",
            "--at",
            AT,
            "--to",
            "out",
        ],
        2,
    );
}

fn failure_code(site: &Site, args: &[&str]) -> (i32, String) {
    let out = run_in(site.dir.path(), args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    (
        out.status.code().unwrap(),
        v["code"].as_str().unwrap_or("ok").to_owned(),
    )
}

#[test]
fn create_refuses_what_it_cannot_classify_or_parse() {
    let create_args = [
        "bundle",
        "create",
        "--evidence",
        "ev",
        "--key",
        "signer.key",
        "--publisher",
        "p",
        "--channel",
        "c",
        "--sequence",
        "1",
        "--out",
        "b.airlock",
        "--json",
    ];
    let site = site();
    site.write("ev/notes.txt", b"where does this go?");
    assert_eq!(
        failure_code(&site, &create_args),
        (1, "evidence-unclassified".into())
    );
    assert!(!site.path("b.airlock").exists());

    let site = self::site();
    site.write("ev/advisories/broken.json", b"{\"id\": ");
    assert_eq!(
        failure_code(&site, &create_args),
        (1, "evidence-json-invalid".into())
    );

    // Larger than what create reads into memory at once: the streaming check refuses it too.
    let site = self::site();
    let mut big = b"[".to_vec();
    big.extend(std::iter::repeat_n(b"1,".as_slice(), 3 << 20).flatten());
    big.extend_from_slice(b"}");
    site.write("ev/advisories/big-broken.json", &big);
    assert_eq!(
        failure_code(&site, &create_args),
        (1, "evidence-json-invalid".into())
    );

    let site = self::site();
    site.write("ev/packages/readme", b"x");
    assert_eq!(
        failure_code(&site, &create_args),
        (1, "evidence-unclassified".into())
    );

    let site = self::site();
    std::os::unix::fs::symlink("/etc/passwd", site.path("ev/blobs/link")).unwrap();
    assert_eq!(
        failure_code(&site, &create_args),
        (1, "evidence-not-regular".into())
    );
    assert!(!site.path("b.airlock").exists());
}

// ---- hostile bundles -------------------------------------------------------------------------

fn entry(path: &str, data: &[u8]) -> ManifestEntry {
    let d = hash_reader(data).unwrap();
    ManifestEntry {
        path: EntryPath::parse(path).unwrap(),
        kind: EntryKind::Blob,
        media_type: "application/octet-stream".into(),
        size: d.size,
        sha256: d.sha256,
        blake3: d.blake3,
    }
}

fn manifest(entries: Vec<ManifestEntry>) -> Manifest {
    let header = ManifestHeader {
        kind: BundleKind::Snapshot,
        publisher: "example.org".into(),
        channel: "stable".into(),
        sequence: 1,
        created: CREATED.into(),
        expires: "2026-12-01T00:00:00Z".into(),
        base: None,
    };
    Manifest::build(header, entries, &Limits::default()).unwrap()
}

fn signed(manifest: &Manifest, keys: &[&PrivateKey]) -> Envelope {
    let mut env = Envelope::new(MANIFEST_PAYLOAD_TYPE, manifest.to_payload());
    for key in keys {
        sign_envelope(&mut env, key);
    }
    env
}

/// A canonical header for a regular file, built with the tar crate.
fn header(path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_device_major(0).unwrap();
    h.set_device_minor(0).unwrap();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h
}

/// A header whose name field holds raw bytes (tar's `set_path` refuses `..`).
fn raw_name_header(name: &[u8], prefix: &[u8]) -> tar::Header {
    let mut h = header("placeholder", 1);
    let ustar = h.as_ustar_mut().unwrap();
    ustar.name = [0; 100];
    ustar.name[..name.len()].copy_from_slice(name);
    ustar.prefix[..prefix.len()].copy_from_slice(prefix);
    h.set_cksum();
    h
}

fn typed_header(path: &str, kind: tar::EntryType) -> tar::Header {
    let mut h = header(path, 0);
    h.set_entry_type(kind);
    if kind == tar::EntryType::Symlink || kind == tar::EntryType::Link {
        h.set_link_name("/etc/passwd").unwrap();
    }
    h.set_cksum();
    h
}

/// Frame 1: the envelope member alone; frame 2: `members` through `tar::Builder` (which adds
/// the end-of-archive marker).
fn forge(envelope: &Envelope, members: &[(tar::Header, Vec<u8>)]) -> Vec<u8> {
    let json = envelope.to_json();
    let mut first = header(MANIFEST_MEMBER, json.len() as u64)
        .as_bytes()
        .to_vec();
    first.extend_from_slice(&json);
    first.resize(first.len().div_ceil(512) * 512, 0);
    let mut out = zstd::encode_all(&first[..], 3).unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    for (h, data) in members {
        builder.append(h, &data[..]).unwrap();
    }
    let body = builder.into_inner().unwrap();
    out.extend(zstd::encode_all(&body[..], 3).unwrap());
    out
}

fn member(path: &str, data: &[u8]) -> (tar::Header, Vec<u8>) {
    (header(path, data.len() as u64), data.to_vec())
}

#[test]
fn forged_archives_each_get_their_own_code() {
    let site = site();
    let signer = site.key("signer");
    let a = b"alpha".to_vec();
    let b = b"bravo".to_vec();
    let env = signed(&manifest(vec![entry("a", &a), entry("b", &b)]), &[&signer]);
    let check = |name: &str, bytes: Vec<u8>, expected: &str| {
        site.write(name, &bytes);
        assert_eq!(
            site.verify_code(name, "tr.json", AT),
            expected,
            "case {name}"
        );
    };
    check(
        "ok.airlock",
        forge(&env, &[member("a", &a), member("b", &b)]),
        "ok",
    );
    check(
        "flipped.airlock",
        forge(&env, &[member("a", b"alphA"), member("b", &b)]),
        "entry-digest-mismatch",
    );
    check(
        "missing.airlock",
        forge(&env, &[member("a", &a)]),
        "entry-missing",
    );
    check(
        "extra.airlock",
        forge(&env, &[member("a", &a), member("b", &b), member("c", b"x")]),
        "entry-unexpected",
    );
    check(
        "dup.airlock",
        forge(&env, &[member("a", &a), member("a", &a), member("b", &b)]),
        "entry-duplicate",
    );
    check(
        "order.airlock",
        forge(&env, &[member("b", &b), member("a", &a)]),
        "entry-out-of-order",
    );
    check(
        "size.airlock",
        forge(&env, &[member("a", b"alph"), member("b", &b)]),
        "entry-size-mismatch",
    );
    let with = |h: tar::Header| forge(&env, &[(h, Vec::new()), member("a", &a), member("b", &b)]);
    check(
        "dotdot.airlock",
        with(raw_name_header(b"../evil", b"")),
        "path-traversal",
    );
    check(
        "inner-dotdot.airlock",
        with(raw_name_header(b"a/../../b", b"")),
        "path-traversal",
    );
    check(
        "absolute.airlock",
        with(raw_name_header(b"/etc/passwd", b"")),
        "path-absolute",
    );
    check(
        "long.airlock",
        with(raw_name_header(&[b'n'; 100], &[b'p'; 155])),
        "path-too-long",
    );
    check(
        "symlink.airlock",
        with(typed_header("a", tar::EntryType::Symlink)),
        "entry-symlink",
    );
    check(
        "hardlink.airlock",
        with(typed_header("a", tar::EntryType::Link)),
        "entry-hardlink",
    );
    check(
        "chardev.airlock",
        with(typed_header("a", tar::EntryType::Char)),
        "entry-device",
    );
    check(
        "blockdev.airlock",
        with(typed_header("a", tar::EntryType::Block)),
        "entry-device",
    );
    let mut mode = header("a", a.len() as u64);
    mode.set_mode(0o755);
    mode.set_cksum();
    check(
        "mode.airlock",
        forge(&env, &[(mode, a.clone()), member("b", &b)]),
        "archive-noncanonical",
    );

    let good = forge(&env, &[member("a", &a), member("b", &b)]);
    check(
        "truncated.airlock",
        good[..good.len() - 20].to_vec(),
        "archive-truncated",
    );
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"\0\0garbage");
    check("trailing.airlock", trailing, "trailing-garbage");
    let mut corrupt = good.clone();
    let at = corrupt.len() - 30;
    corrupt[at] ^= 0x40;
    let code = {
        site.write("corrupt.airlock", &corrupt);
        site.verify_code("corrupt.airlock", "tr.json", AT)
    };
    assert!(
        matches!(code.as_str(), "archive-corrupt" | "entry-digest-mismatch"),
        "{code}"
    );
}

#[test]
fn signatures_expiry_and_manifest_member_rules() {
    let site = site();
    let a = b"alpha".to_vec();
    let m = manifest(vec![entry("a", &a)]);
    let body = [member("a", &a)];
    let check = |name: &str, bytes: Vec<u8>, tr: &str, expected: &str| {
        site.write(name, &bytes);
        assert_eq!(site.verify_code(name, tr, AT), expected, "case {name}");
    };
    let (signer, signer2, outsider) = (
        site.key("signer"),
        site.key("signer2"),
        site.key("outsider"),
    );
    check(
        "ok.airlock",
        forge(&signed(&m, &[&signer]), &body),
        "tr.json",
        "ok",
    );
    check(
        "two.airlock",
        forge(&signed(&m, &[&signer, &signer2]), &body),
        "tr2.json",
        "ok",
    );
    check(
        "few.airlock",
        forge(&signed(&m, &[&signer]), &body),
        "tr2.json",
        "threshold-not-met",
    );
    check(
        "outsider.airlock",
        forge(&signed(&m, &[&outsider]), &body),
        "tr.json",
        "signature-untrusted",
    );
    let mut tampered = signed(&m, &[&signer]);
    let mut changed = m.clone();
    changed.sequence = 99;
    tampered.payload = changed.to_payload();
    check(
        "tampered.airlock",
        forge(&tampered, &body),
        "tr.json",
        "signature-invalid",
    );
    let mut wrong_type = Envelope::new("application/json", m.to_payload());
    sign_envelope(&mut wrong_type, &signer);
    check(
        "type.airlock",
        forge(&wrong_type, &body),
        "tr.json",
        "payload-type-wrong",
    );

    site.write("expired.airlock", &forge(&signed(&m, &[&signer]), &body));
    assert_eq!(
        site.verify_code("expired.airlock", "tr.json", "2026-12-02T00:00:00Z"),
        "bundle-expired"
    );

    // A manifest member whose header claims more than max_manifest_bytes is refused unread.
    let mut big = header(MANIFEST_MEMBER, 40 << 20).as_bytes().to_vec();
    big.extend_from_slice(&[b'{'; 512]);
    check(
        "bigmanifest.airlock",
        zstd::encode_all(&big[..], 3).unwrap(),
        "tr.json",
        "manifest-too-large",
    );
}

#[test]
fn decompression_bomb_stops_at_the_ratio_limit() {
    let site = site();
    let size: u64 = 16 << 20;
    let zeros = std::io::repeat(0).take(size);
    let d = hash_reader(zeros).unwrap();
    let e = ManifestEntry {
        path: EntryPath::parse("blobs/zero").unwrap(),
        kind: EntryKind::Blob,
        media_type: "application/octet-stream".into(),
        size,
        sha256: d.sha256,
        blake3: d.blake3,
    };
    let env = signed(&manifest(vec![e]), &[&site.key("signer")]);
    let mut bundle = forge(&env, &[]);
    // Replace frame 2 with one holding the 16 MiB entry, compressed in a streaming encoder.
    let first = zstd::zstd_safe::find_frame_compressed_size(&bundle).unwrap();
    bundle.truncate(first);
    let mut enc = zstd::Encoder::new(Vec::new(), 19).unwrap();
    {
        let mut builder = tar::Builder::new(&mut enc);
        builder
            .append(&header("blobs/zero", size), std::io::repeat(0).take(size))
            .unwrap();
        builder.finish().unwrap();
    }
    bundle.extend(enc.finish().unwrap());
    site.write("bomb.airlock", &bundle);
    assert_eq!(
        site.verify_code("bomb.airlock", "tr.json", AT),
        "decompression-ratio-exceeded"
    );
}

#[test]
fn extract_of_a_bad_bundle_writes_nothing() {
    let site = site();
    let signer = site.key("signer");
    let env = signed(
        &manifest(vec![entry("a", b"alpha"), entry("b", b"bravo")]),
        &[&signer],
    );
    site.write(
        "bad.airlock",
        &forge(&env, &[member("a", b"alpha"), member("b", b"bravO")]),
    );
    let (code, err) = failure_code(
        &site,
        &[
            "bundle",
            "extract",
            "bad.airlock",
            "--trust-root",
            "tr.json",
            "--at",
            AT,
            "--to",
            "out",
            "--json",
        ],
    );
    assert_eq!((code, err.as_str()), (1, "entry-digest-mismatch"));
    assert!(!site.path("out").exists());
    let leftovers: Vec<_> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".airlock-extract-")
        })
        .collect();
    assert!(leftovers.is_empty(), "staging directory left behind");
}

/// Creates a split bundle `dir/b.airlock` (64 KiB parts) from `ev/` plus a 300 KB
/// incompressible blob, so it has several parts.
fn create_split(site: &Site, dir: &str) {
    create_split_from(site, "ev", dir);
}

fn create_split_from(site: &Site, ev: &str, dir: &str) {
    if !site.path(&format!("{ev}/blobs/noise.bin")).exists() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        site.write(&format!("{ev}/blobs/noise.bin"), &noise);
    }
    std::fs::create_dir_all(site.path(dir)).unwrap();
    let out = format!("{dir}/b.airlock");
    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "create",
            "--evidence",
            ev,
            "--key",
            "signer.key",
            "--publisher",
            "example.org",
            "--channel",
            "stable",
            "--sequence",
            "7",
            "--created",
            CREATED,
            "--max-part-size",
            "64KiB",
            "--out",
            &out,
        ],
        0,
    );
}

fn files_of(site: &Site, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(site.path(dir))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn copy_set(site: &Site, from: &str, to: &str) {
    std::fs::create_dir_all(site.path(to)).unwrap();
    for (name, data) in files_of(site, from) {
        site.write(&format!("{to}/{name}"), &data);
    }
}

#[test]
fn split_bundle_is_deterministic_and_verifies_extracts_imports() {
    let site = site();
    create_split(&site, "p1");
    create_split(&site, "p2");
    let one = files_of(&site, "p1");
    assert_eq!(one, files_of(&site, "p2"), "same inputs, different parts");
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.len() >= 5, "{names:?}");
    assert_eq!(names[0], "b.airlock.part0001");
    assert_eq!(*names.last().unwrap(), "b.airlock.parts.json");
    for (name, data) in &one[..one.len() - 2] {
        assert_eq!(data.len(), 64 << 10, "{name} is not a full part");
    }
    // The concatenation is the bundle a plain create writes.
    create(&site, "whole.airlock");
    let joined: Vec<u8> = one[..one.len() - 1]
        .iter()
        .flat_map(|(_, d)| d.clone())
        .collect();
    site.write("joined.airlock", &joined);
    assert_eq!(site.verify_code("joined.airlock", "tr.json", AT), "ok");

    assert_eq!(
        site.verify_code("p1/b.airlock.parts.json", "tr.json", AT),
        "ok"
    );
    assert_eq!(
        site.verify_code("p1/b.airlock.part0001", "tr.json", AT),
        "ok"
    );
    expect_code(
        site.dir.path(),
        &["bundle", "inspect", "p1/b.airlock.part0001"],
        0,
    );
    expect_code(
        site.dir.path(),
        &[
            "bundle",
            "extract",
            "p1/b.airlock.part0001",
            "--trust-root",
            "tr.json",
            "--at",
            AT,
            "--to",
            "out",
        ],
        0,
    );
    assert_eq!(
        std::fs::read(site.path("out/blobs/noise.bin")).unwrap(),
        std::fs::read(site.path("ev/blobs/noise.bin")).unwrap()
    );
    let import = |file: &str, store: &str| {
        failure_code(
            &site,
            &[
                "import",
                file,
                "--store",
                store,
                "--trust-root",
                "tr.json",
                "--at",
                AT,
                "--json",
            ],
        )
    };
    // Import takes the store's evidence rules: real evidence from fixtures/evidence.
    let osv = crate::common::fixture("evidence/advisories/osv");
    copy_set(&site, osv.to_str().unwrap(), "fev/advisories/osv");
    create_split_from(&site, "fev", "f1");
    assert_eq!(import("f1/b.airlock.parts.json", "store"), (0, "ok".into()));
    // A damaged part on import is named, and nothing is imported.
    copy_set(&site, "f1", "bad");
    let mut part = std::fs::read(site.path("bad/b.airlock.part0003")).unwrap();
    part[1000] ^= 0x40;
    site.write("bad/b.airlock.part0003", &part);
    assert_eq!(
        import("bad/b.airlock.part0001", "store2"),
        (1, "part-digest-mismatch".into())
    );
}

#[test]
fn split_bundle_damage_is_named_per_part() {
    let site = site();
    create_split(&site, "p1");
    let count = files_of(&site, "p1").len() - 1;
    let last = format!("b.airlock.part{count:04}");
    let case = |name: &str, damage: &dyn Fn(&Site, &str)| -> String {
        copy_set(&site, "p1", name);
        damage(&site, name);
        site.verify_code(&format!("{name}/b.airlock.parts.json"), "tr.json", AT)
    };
    let rewrite = |site: &Site, path: &str, f: &dyn Fn(&mut Vec<u8>)| {
        let mut data = std::fs::read(site.path(path)).unwrap();
        f(&mut data);
        site.write(path, &data);
    };
    assert_eq!(
        case("missing", &|s, d| std::fs::remove_file(
            s.path(&format!("{d}/b.airlock.part0002"))
        )
        .unwrap()),
        "part-missing"
    );
    assert_eq!(
        case("short", &|s, d| rewrite(
            s,
            &format!("{d}/b.airlock.part0003"),
            &|v| v.truncate(1000)
        )),
        "part-truncated"
    );
    assert_eq!(
        case("long", &|s, d| rewrite(s, &format!("{d}/{last}"), &|v| v
            .push(0))),
        "part-size-mismatch"
    );
    for (n, offset) in [(1, 40_000), (2, 10), (count, 100)] {
        assert_eq!(
            case(&format!("flip{n}"), &|s, d| rewrite(
                s,
                &format!("{d}/b.airlock.part{n:04}"),
                &|v| v[offset] ^= 1
            )),
            "part-digest-mismatch",
            "flipped byte in part {n}"
        );
    }
    assert_eq!(
        case("extra", &|s, d| s.write(
            &format!("{d}/b.airlock.part{:04}", count + 1),
            b"leftover"
        )),
        "part-extra"
    );
    assert_eq!(
        case("noindex", &|s, d| std::fs::remove_file(
            s.path(&format!("{d}/b.airlock.parts.json"))
        )
        .unwrap()),
        "part-index-invalid"
    );
    // A part index re-signed with another bundle digest: signed by the role, wrong bundle.
    let other = |v: &mut serde_json::Value| {
        v["bundle_digest"] = format!("sha256:{}", "ab".repeat(32)).into();
    };
    assert_eq!(
        case("otherbundle", &|s, d| resign(s, d, "signer", &other)),
        "part-index-mismatch"
    );
    assert_eq!(
        case("outsider", &|s, d| resign(s, d, "outsider", &|_| {})),
        "signature-untrusted"
    );
    assert_eq!(
        case("badnames", &|s, d| resign(s, d, "signer", &|v| {
            v["parts"][0]["name"] = "../../etc/passwd".into();
        })),
        "part-index-invalid"
    );
}

/// Rewrites `d/b.airlock.parts.json` with its payload changed by `f`, signed by `key`.
fn resign(s: &Site, d: &str, key: &str, f: &dyn Fn(&mut serde_json::Value)) {
    let path = format!("{d}/b.airlock.parts.json");
    let env = Envelope::from_json(&std::fs::read(s.path(&path)).unwrap()).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&env.payload).unwrap();
    f(&mut v);
    let payload = airlock::bundle_format::canonical::to_canonical_vec(&v).unwrap();
    let mut e = Envelope::new(env.payload_type.clone(), payload);
    sign_envelope(&mut e, &s.key(key));
    s.write(&path, &e.to_json());
}

#[test]
fn vectors_give_their_expected_codes() {
    let dir = crate::common::fixture("vectors/bundle");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    let mut seen = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (name, want) = line.split_once(' ').unwrap();
        let file = dir.join(format!("{name}.airlock"));
        let trust = dir.join("trust.json");
        let got = site.verify_code(
            file.to_str().unwrap(),
            trust.to_str().unwrap(),
            "2026-06-01T00:00:00Z",
        );
        assert_eq!(got, want, "vector {name}");
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} vectors");
}

#[test]
fn max_part_size_must_be_a_usable_size() {
    let site = site();
    for (size, code) in [("4 gigs", "usage"), ("1000", "invalid-part-size")] {
        let (exit, found) = failure_code(
            &site,
            &[
                "bundle",
                "create",
                "--evidence",
                "ev",
                "--key",
                "signer.key",
                "--publisher",
                "p",
                "--channel",
                "c",
                "--sequence",
                "1",
                "--max-part-size",
                size,
                "--out",
                "b.airlock",
                "--json",
            ],
        );
        assert_eq!((exit, found.as_str()), (2, code), "--max-part-size {size}");
        assert!(!site.path("b.airlock.part0001").exists());
        assert!(!site.path("b.airlock.parts.json").exists());
    }
}
