//! `airlock delta`: the smart-difference test matrix, byte-exact round trips and tampering.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use airlock::bundle_format::delta::manifest::DeltaManifest;
use airlock::bundle_format::delta::payload::{self, Header, Op};

use crate::common::{expect_code, run_in};

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn manifest(dir: &Path) -> DeltaManifest {
    serde_json::from_slice(&fs::read(dir.join("delta-manifest.json")).unwrap()).unwrap()
}

/// Creates a delta, applies it, checks the bytes, verifies it; returns the manifest.
fn round_trip(dir: &Path, base: &[u8], target: &[u8], name: &str) -> DeltaManifest {
    let (b, t) = (format!("{name}.base"), format!("{name}.target"));
    fs::write(dir.join(&b), base).unwrap();
    fs::write(dir.join(&t), target).unwrap();
    let d = format!("{name}.delta");
    expect_code(
        dir,
        &["delta", "create", "--base", &b, "--target", &t, "--out", &d],
        0,
    );
    let out = format!("{name}.out");
    expect_code(
        dir,
        &["delta", "apply", "--base", &b, "--delta", &d, "--out", &out],
        0,
    );
    assert_eq!(
        fs::read(dir.join(&out)).unwrap(),
        target,
        "{name}: apply reproduces the target"
    );
    // Integrity must pass; the verdict may be red by policy (exit 1 with its own code).
    let out = run_in(
        dir,
        &["--json", "delta", "verify", "--base", &b, "--delta", &d],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    match out.status.code() {
        Some(0) => assert_ne!(v["verdict"], "red"),
        Some(1) => assert_eq!(v["code"], "delta-verdict-red", "{v}"),
        other => panic!("verify exit {other:?}: {v}"),
    }
    manifest(&dir.join(&d))
}

#[test]
fn small_edit_in_large_file_needs_minimal_add() {
    let dir = tempfile::tempdir().unwrap();
    let base = noise(2 << 20, 11);
    let mut target = base.clone();
    target[1_000_000..1_000_016].copy_from_slice(b"a small edit....");
    let m = round_trip(dir.path(), &base, &target, "edit");
    let o = &m.ops_summary;
    assert!(o.add_bytes + o.add_diff_changed_bytes <= 64, "{o:?}");
    assert!(m.payload.size < 1024, "payload {} bytes", m.payload.size);
    assert!(m.changed_chunks.len() <= 2);
    assert_eq!(m.artifact_type, "blob");
}

#[test]
fn same_inputs_give_identical_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let base = noise(300_000, 3);
    let mut target = base[1000..].to_vec();
    target.extend_from_slice(&noise(5000, 4));
    fs::write(dir.path().join("a"), &base).unwrap();
    fs::write(dir.path().join("b"), &target).unwrap();
    for d in ["d1", "d2"] {
        expect_code(
            dir.path(),
            &[
                "delta", "create", "--base", "a", "--target", "b", "--out", d,
            ],
            0,
        );
    }
    for f in ["delta.bin", "reverse.bin", "delta-manifest.json"] {
        assert_eq!(
            fs::read(dir.path().join("d1").join(f)).unwrap(),
            fs::read(dir.path().join("d2").join(f)).unwrap()
        );
    }
}

fn deflate6(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A minimal zip writer: deflated members in the given order with the given DOS time.
fn zip(members: &[(&str, &[u8])], dos_time: u16) -> Vec<u8> {
    let deflated: Vec<(&str, &[u8], Vec<u8>)> =
        members.iter().map(|&(n, d)| (n, d, deflate6(d))).collect();
    zip_deflated(&deflated, dos_time)
}

/// [`zip`] with each member's deflate stream given.
fn zip_deflated(members: &[(&str, &[u8], Vec<u8>)], dos_time: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, comp) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&8u16.to_le_bytes());
            v.extend_from_slice(&dos_time.to_le_bytes());
            v.extend_from_slice(&0x5a21u16.to_le_bytes());
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&(comp.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(comp);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        central.extend_from_slice(&[0u8; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn repacked_zip_with_same_payload_is_mostly_copy() {
    let dir = tempfile::tempdir().unwrap();
    let a = noise(200_000, 5);
    let text: Vec<u8> = (0..20_000)
        .flat_map(|i: u32| format!("line {i} of the payload\n").into_bytes())
        .collect();
    let c = noise(50_000, 6);
    let base = zip(
        &[
            ("pkg/a.bin", &a),
            ("pkg/readme.txt", &text),
            ("pkg/c.bin", &c),
        ],
        0x6000,
    );
    let target = zip(
        &[
            ("pkg/c.bin", &c),
            ("pkg/a.bin", &a),
            ("pkg/readme.txt", &text),
        ],
        0x7000,
    );
    let m = round_trip(dir.path(), &base, &target, "zip");
    assert_eq!(m.artifact_type, "zip");
    assert!(
        m.ops_summary.copy_ratio_permille >= 990,
        "{:?}",
        m.ops_summary
    );
    assert_eq!(m.container.kind, "zip");
    assert_eq!(
        (
            m.container.added,
            m.container.removed,
            m.container.modified,
            m.container.unchanged
        ),
        (0, 0, 0, 3)
    );
    assert!(
        m.container.notes.iter().any(|n| n.contains("repacked")),
        "{:?}",
        m.container.notes
    );
    assert!(m.payload.size * 50 < target.len() as u64);
}

fn oci_archive(layers: &[&[u8]]) -> Vec<u8> {
    use airlock::bundle_format::Digest;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut descs = Vec::new();
    for l in layers {
        let d = Digest::sha256(l);
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d.to_string(), "size": l.len()}));
        files.push((format!("blobs/sha256/{}", d.hex()), l.to_vec()));
    }
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let cd = Digest::sha256(&config);
    files.push((format!("blobs/sha256/{}", cd.hex()), config.clone()));
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.to_string(), "size": config.len()},
        "layers": descs})).unwrap();
    let md = Digest::sha256(&manifest);
    files.push((format!("blobs/sha256/{}", md.hex()), manifest.clone()));
    let index = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md.to_string(), "size": manifest.len()}]})).unwrap();
    files.push(("index.json".into(), index));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    files.sort();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn added_layer_in_oci_image_is_flagged_in_materials_delta() {
    let dir = tempfile::tempdir().unwrap();
    let (l1, l2, l3) = (noise(100_000, 1), noise(80_000, 2), noise(30_000, 9));
    let base = oci_archive(&[&l1, &l2]);
    let target = oci_archive(&[&l1, &l2, &l3]);
    let m = round_trip(dir.path(), &base, &target, "oci");
    assert_eq!(m.artifact_type, "oci-archive");
    let added = &m.materials_delta.added;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(
        added[0].digests,
        vec![airlock::bundle_format::Digest::sha256(&l3).to_string()]
    );
    assert_eq!(added[0].source, "oci-layer");
    assert!(m.materials_delta.removed.is_empty());
    assert_eq!(m.score_inputs.new_deps_count, 1);
    assert!(
        m.delta_risk
            .breakdown
            .iter()
            .any(|c| c.input == "new_deps_count" && c.points > 0)
    );
}

#[test]
fn stripped_and_unstripped_elf_degrade_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let unstripped = fs::read(crate::common::fixture("delta/hello-unstripped.elf")).unwrap();
    let stripped = fs::read(crate::common::fixture("delta/hello-stripped.elf")).unwrap();
    let m = round_trip(dir.path(), &unstripped, &stripped, "strip");
    assert_eq!(m.artifact_type, "elf");
    assert!(!m.functions_changed.available);
    assert!(
        m.functions_changed.note.contains("stripped"),
        "{}",
        m.functions_changed.note
    );
    assert!(
        m.sections
            .iter()
            .any(|s| s.name == ".symtab" && s.target_size.is_none()),
        "{:?}",
        m.sections
    );
    assert!(
        m.score_inputs
            .provenance_gaps
            .iter()
            .any(|g| g.contains("function-level view unavailable"))
    );
    let v2 = fs::read(crate::common::fixture("delta/hello2-unstripped.elf")).unwrap();
    let m = round_trip(dir.path(), &unstripped, &v2, "fn");
    assert!(
        m.functions_changed.available,
        "{}",
        m.functions_changed.note
    );
    assert!(
        m.functions_changed
            .top
            .iter()
            .any(|f| f.name == "new_feature" && f.change == "added"),
        "{:?}",
        m.functions_changed.top
    );
    assert!(m.functions_changed.modified >= 1);
}

struct Tamper {
    dir: tempfile::TempDir,
}

impl Tamper {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = noise(100_000, 21);
        let mut target = base.clone();
        target[50_000..50_100].copy_from_slice(&noise(100, 22));
        target.extend_from_slice(&noise(3000, 23));
        fs::write(dir.path().join("base"), &base).unwrap();
        fs::write(dir.path().join("target"), &target).unwrap();
        expect_code(
            dir.path(),
            &[
                "delta", "create", "--base", "base", "--target", "target", "--out", "good",
            ],
            0,
        );
        Self { dir }
    }

    fn copy(&self, name: &str) -> std::path::PathBuf {
        let d = self.dir.path().join(name);
        fs::create_dir(&d).unwrap();
        for e in fs::read_dir(self.dir.path().join("good")).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
        d
    }

    fn expect(&self, delta: &str, code: &str) {
        for cmd in ["verify", "apply"] {
            let mut args = vec!["--json", "delta", cmd, "--base", "base", "--delta", delta];
            if cmd == "apply" {
                args.extend(["--out", "restored"]);
            }
            let out = run_in(self.dir.path(), &args);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{cmd} {delta}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["code"], code, "{cmd} {delta}: {stdout}");
            assert!(
                !self.dir.path().join("restored").exists(),
                "nothing written on refusal"
            );
        }
    }

    /// Rewrites delta.bin from parts and fixes up the manifest's payload digest, so only the
    /// structural check can catch the damage.
    fn forge(&self, name: &str, header: &Header, ops: &[u8], add: &[u8]) {
        let d = self.copy(name);
        let bin = payload::assemble(header, ops, add);
        fs::write(d.join("delta.bin"), &bin).unwrap();
        let mut m = manifest(&d);
        m.payload.size = bin.len() as u64;
        m.payload.sha256 = airlock::bundle_format::Digest::sha256(&bin);
        m.payload.blake3 = airlock::bundle_format::Digest::blake3(&bin);
        fs::write(
            d.join("delta-manifest.json"),
            airlock::bundle_format::canonical::to_canonical_vec(&m).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn tampered_deltas_are_refused_with_their_own_codes() {
    let t = Tamper::new();
    let good = fs::read(t.dir.path().join("good/delta.bin")).unwrap();
    let h = payload::parse_header(&good, &payload::Limits::default()).unwrap();
    let ops_end = payload::HEADER_BYTES + h.ops_bytes as usize;

    let d = t.copy("ops");
    let mut bin = good.clone();
    bin[payload::HEADER_BYTES] ^= 0x01;
    fs::write(d.join("delta.bin"), &bin).unwrap();
    t.expect("ops", "delta-ops-digest-mismatch");

    let d = t.copy("add");
    let mut bin = good.clone();
    let last = bin.len() - 10;
    bin[last] ^= 0x55;
    fs::write(d.join("delta.bin"), &bin).unwrap();
    t.expect("add", "delta-add-digest-mismatch");

    let d = t.copy("manifest");
    let mut m = manifest(&d);
    m.target.sha256 = airlock::bundle_format::Digest::sha256(b"something else");
    fs::write(
        d.join("delta-manifest.json"),
        airlock::bundle_format::canonical::to_canonical_vec(&m).unwrap(),
    )
    .unwrap();
    t.expect("manifest", "delta-manifest-mismatch");

    let d = t.copy("pretty");
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("delta-manifest.json")).unwrap()).unwrap();
    fs::write(
        d.join("delta-manifest.json"),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    t.expect("pretty", "delta-manifest-invalid");

    // A COPY reaching past the end of the base, with every digest fixed up.
    let ops = payload::encode_ops(&[Op::Copy {
        offset: 99_000,
        len: h.target_size,
    }]);
    let mut hh = h;
    hh.op_count = 1;
    hh.ops_bytes = ops.len() as u64;
    hh.ops_sha256 = airlock::bundle_format::Digest::sha256(&ops)
        .as_bytes()
        .to_owned();
    let add = &good[ops_end..];
    t.forge("range", &hh, &ops, add);
    t.expect("range", "delta-copy-out-of-range");

    // An ADD larger than the header declares and than the cap.
    let ops = payload::encode_ops(&[Op::Add { len: 1 << 40 }]);
    let mut hh = h;
    hh.op_count = 1;
    hh.ops_bytes = ops.len() as u64;
    hh.ops_sha256 = airlock::bundle_format::Digest::sha256(&ops)
        .as_bytes()
        .to_owned();
    t.forge("oversized", &hh, &ops, add);
    t.expect("oversized", "delta-add-too-large");
    let mut hh = h;
    hh.add_bytes = 1 << 40;
    t.forge(
        "oversized-header",
        &hh,
        &good[payload::HEADER_BYTES..ops_end],
        add,
    );
    t.expect("oversized-header", "delta-add-too-large");

    // A delta applied to the wrong base.
    fs::write(t.dir.path().join("base"), noise(100_000, 99)).unwrap();
    t.expect("good", "delta-base-mismatch");
}

#[test]
fn rollback_without_attestation_is_refused_and_writes_nothing() {
    let t = Tamper::new();
    let out = run_in(
        t.dir.path(),
        &[
            "--json",
            "delta",
            "rollback",
            "--current",
            "target",
            "--delta",
            "good",
            "--out",
            "old",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "rollback-attestation-missing");
    assert!(!t.dir.path().join("old").exists());
}

#[test]
fn report_is_self_contained_html() {
    let t = Tamper::new();
    expect_code(
        t.dir.path(),
        &["delta", "report", "good", "--html", "r.html"],
        0,
    );
    let html = fs::read_to_string(t.dir.path().join("r.html")).unwrap();
    for panel in [
        "Top changed functions",
        "Provenance",
        "Delta anatomy",
        "Dependency delta",
        "Apply / rollback gate",
    ] {
        assert!(html.contains(panel), "{panel}");
    }
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
}

const AT: &str = "2026-11-23T12:00:00Z";
const ORIGIN: &str = "example.com/airlock-test-log";

/// Keys and a trust root with `vendor` as bundle-signer and rollback-signer, plus a rollback
/// attestation for the `good` delta whose log is added to the trust root.
fn trust_setup(t: &Tamper) -> String {
    let d = t.dir.path();
    for k in ["root", "vendor", "log", "stranger"] {
        expect_code(
            d,
            &[
                "-q",
                "key",
                "generate",
                "--algorithm",
                "ed25519",
                "--out",
                k,
                "--force",
            ],
            0,
        );
    }
    expect_code(
        d,
        &[
            "-q",
            "trust",
            "init",
            "--root-key",
            "root.pub",
            "--at",
            AT,
            "--expires",
            "1y",
            "--out",
            "trust.json",
        ],
        0,
    );
    for role in ["bundle-signer", "rollback-signer"] {
        expect_code(
            d,
            &[
                "-q",
                "trust",
                "add-key",
                "--trust-root",
                "trust.json",
                "--role",
                role,
                "--key",
                "vendor.pub",
            ],
            0,
        );
    }
    let out = expect_code(
        d,
        &[
            "--json",
            "delta",
            "attest-rollback",
            "--delta",
            "good",
            "--key",
            "vendor.key",
            "--log-key",
            "log.key",
            "--log-origin",
            ORIGIN,
            "--out",
            "rb.json",
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let vkey = v["log_vkey"].as_str().unwrap().to_owned();
    expect_code(
        d,
        &[
            "-q",
            "trust",
            "add-log",
            "--trust-root",
            "trust.json",
            "--origin",
            ORIGIN,
            "--key",
            &vkey,
        ],
        0,
    );
    expect_code(
        d,
        &[
            "-q",
            "trust",
            "sign",
            "--trust-root",
            "trust.json",
            "--key",
            "root.key",
        ],
        0,
    );
    vkey
}

fn rollback_code(t: &Tamper, att: &str) -> Option<String> {
    let out = run_in(
        t.dir.path(),
        &[
            "--json",
            "delta",
            "rollback",
            "--current",
            "target",
            "--delta",
            "good",
            "--attestation",
            att,
            "--trust-root",
            "trust.json",
            "--at",
            AT,
            "--out",
            "old",
        ],
    );
    if out.status.code() == Some(0) {
        return None;
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !t.dir.path().join("old").exists(),
        "nothing written on refusal"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(v["code"].as_str().unwrap().to_owned())
}

#[test]
fn rollback_with_signed_logged_attestation_restores_the_base_exactly() {
    let t = Tamper::new();
    trust_setup(&t);
    let d = t.dir.path();
    // Signed by a key outside the rollback-signer role.
    expect_code(
        d,
        &[
            "-q",
            "delta",
            "attest-rollback",
            "--delta",
            "good",
            "--key",
            "stranger.key",
            "--log-key",
            "log.key",
            "--log-origin",
            ORIGIN,
            "--out",
            "forged.json",
        ],
        0,
    );
    assert_eq!(
        rollback_code(&t, "forged.json").as_deref(),
        Some("rollback-signature-invalid")
    );
    // Anchored in a log the trust root does not list.
    expect_code(
        d,
        &[
            "-q",
            "delta",
            "attest-rollback",
            "--delta",
            "good",
            "--key",
            "vendor.key",
            "--log-key",
            "log.key",
            "--log-origin",
            "example.com/other-log",
            "--out",
            "unlogged.json",
        ],
        0,
    );
    assert_eq!(
        rollback_code(&t, "unlogged.json").as_deref(),
        Some("rollback-inclusion-invalid")
    );
    // A tampered checkpoint.
    let mut v: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("rb.json")).unwrap()).unwrap();
    let cp = v["log"]["checkpoint"]
        .as_str()
        .unwrap()
        .replacen("\n1\n", "\n2\n", 1);
    v["log"]["checkpoint"] = cp.into();
    fs::write(d.join("badcp.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(
        rollback_code(&t, "badcp.json").as_deref(),
        Some("rollback-inclusion-invalid")
    );
    // An attestation for another delta.
    fs::copy(d.join("good/delta-manifest.json"), d.join("manifest.bak")).unwrap();
    let mut m = manifest(&d.join("good"));
    m.score_inputs.provenance_gaps.push("edited".into());
    fs::write(
        d.join("good/delta-manifest.json"),
        airlock::bundle_format::canonical::to_canonical_vec(&m).unwrap(),
    )
    .unwrap();
    assert_eq!(
        rollback_code(&t, "rb.json").as_deref(),
        Some("rollback-digest-mismatch")
    );
    fs::copy(d.join("manifest.bak"), d.join("good/delta-manifest.json")).unwrap();
    // The genuine attestation.
    assert_eq!(rollback_code(&t, "rb.json"), None);
    assert_eq!(
        fs::read(d.join("old")).unwrap(),
        fs::read(d.join("base")).unwrap()
    );
}

#[test]
fn missing_slsa_with_valid_vendor_signature_records_the_gap_and_scores_lower() {
    let t = Tamper::new();
    trust_setup(&t);
    let d = t.dir.path();
    let target_hex =
        airlock::bundle_format::Digest::sha256(&fs::read(d.join("target")).unwrap()).hex();
    let statement = |pt: &str| {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"target","digest":{{"sha256":"{target_hex}"}}}}],"predicateType":"{pt}","predicate":{{"buildDefinition":{{"resolvedDependencies":[]}}}}}}"#
        )
    };
    for (name, pt) in [
        ("vendor", "https://airlock.invalid/release/v1"),
        ("slsa", "https://slsa.dev/provenance/v1"),
    ] {
        fs::write(d.join(format!("{name}.stmt")), statement(pt)).unwrap();
        expect_code(
            d,
            &[
                "-q",
                "dsse",
                "sign",
                "--key",
                "vendor.key",
                "--payload-type",
                "application/vnd.in-toto+json",
                "--out",
                &format!("{name}.dsse"),
                &format!("{name}.stmt"),
            ],
            0,
        );
        expect_code(
            d,
            &[
                "-q",
                "delta",
                "create",
                "--base",
                "base",
                "--target",
                "target",
                "--attestation",
                &format!("{name}.dsse"),
                "--out",
                &format!("{name}.delta"),
            ],
            0,
        );
    }
    let verify = |delta: &str| -> serde_json::Value {
        let out = expect_code(
            d,
            &[
                "--json",
                "delta",
                "verify",
                "--base",
                "base",
                "--delta",
                delta,
                "--trust-root",
                "trust.json",
                "--at",
                AT,
            ],
            0,
        );
        serde_json::from_str(&out).unwrap()
    };
    let vendor = verify("vendor.delta");
    assert_eq!(
        vendor["attestations"][0]["signature_verified"], true,
        "{vendor}"
    );
    let gaps = vendor["score_inputs"]["provenance_gaps"]
        .as_array()
        .unwrap();
    assert!(
        gaps.iter()
            .any(|g| g.as_str().unwrap().contains("no SLSA provenance")),
        "{gaps:?}"
    );
    assert_eq!(vendor["score_inputs"]["provenance_completeness"], 200);
    assert_ne!(vendor["verdict"], "green");
    let slsa = verify("slsa.delta");
    assert_eq!(
        slsa["score_inputs"]["provenance_completeness"], 700,
        "{slsa}"
    );
    assert!(slsa["risk"]["score"].as_u64() < vendor["risk"]["score"].as_u64());
    // Without a trust root nothing is verified: a gap, not a pass.
    let out = run_in(
        d,
        &[
            "--json",
            "delta",
            "verify",
            "--base",
            "base",
            "--delta",
            "vendor.delta",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if out.status.code() == Some(0) {
        assert_eq!(
            v["attestations"][0]["signature_verified"],
            serde_json::Value::Null
        );
    }
}

/// RPM packages built here with Debian's rpmbuild (fixtures/delta/rpm/SOURCES.md): one pair per
/// payload compressor. Members are compared inside the cpio payload, `Requires` feed the
/// materials, and the recompression recipe is stated either way.
#[test]
fn rpm_payloads_are_diffed_member_by_member() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/delta/rpm");
    for comp in ["gz", "xz", "zst"] {
        let base = fs::read(fx.join(format!("airlock-hello-1.0-1.{comp}.rpm"))).unwrap();
        let target = fs::read(fx.join(format!("airlock-hello-1.1-1.{comp}.rpm"))).unwrap();
        let m = round_trip(dir.path(), &base, &target, &format!("rpm-{comp}"));
        assert_eq!(m.artifact_type, "rpm");
        let c = &m.container;
        assert_eq!(c.kind, "rpm");
        let changed: Vec<&str> = c.members.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            changed,
            [
                "/usr/bin/hello",
                "/usr/share/doc/airlock-hello/README",
                "rpm:header",
                "rpm:signature-header"
            ],
            "{comp}"
        );
        let hello = &c.members[0];
        // The payload's /usr/bin/hello is exactly fixtures/delta/hello2-unstripped.elf.
        assert_eq!(
            hello.target_sha256.unwrap().hex(),
            "c8c9a2a8dc02348b41e7a0385d2a7b1775da2f320e325c87dc7fef6e4294102c"
        );
        let added: Vec<&str> = m
            .materials_delta
            .added
            .iter()
            .map(|x| x.name.as_str())
            .collect();
        assert_eq!(added, ["libfeature1"], "{comp}");
        assert!(m.materials_delta.removed.is_empty());
        let note = c.notes.join(" ");
        // rpmbuild's gzip (zlib 9) and xz (liblzma preset 6, SHA-256) are reproduced, so the
        // payload acts on the cpio archive; its zstd frame (other libzstd) is not.
        let x = m.expansion.as_ref();
        match comp {
            "gz" | "xz" => {
                let recipe = if comp == "gz" {
                    "deflate zlib level 9 check none"
                } else {
                    "xz liblzma level 6 check sha256"
                };
                assert!(note.contains(&format!("recipe found: {recipe}")), "{note}");
                let x = x.expect("expanded");
                assert_eq!(x.target_streams.len(), 1);
                assert!(x.kept_streams.is_empty());
            }
            _ => {
                assert!(note.contains("no recompression recipe"), "{note}");
                assert!(x.is_none());
            }
        }
    }
}

#[test]
fn malformed_rpm_degrades_to_the_byte_view() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/delta/rpm");
    let base = fs::read(fx.join("airlock-hello-1.0-1.gz.rpm")).unwrap();
    let mut target = fs::read(fx.join("airlock-hello-1.1-1.gz.rpm")).unwrap();
    // Break the signature header's magic: the lead still says rpm.
    target[96] ^= 0xff;
    let m = round_trip(dir.path(), &base, &target, "rpm-bad");
    assert_eq!(m.artifact_type, "rpm");
    assert!(
        m.container.notes.iter().any(|n| n.contains("malformed")),
        "{:?}",
        m.container.notes
    );
}

/// A `.crate` as cargo writes one: a tar of `name-version/...` in gzip (file name in the header,
/// mtime 0) from flate2 with zlib at level 9.
fn crate_file(version: &str, lib: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in [
        (
            "Cargo.toml",
            format!("[package]\nname = \"demo\"\nversion = \"{version}\"\n").into_bytes(),
        ),
        ("src/lib.rs", lib.to_vec()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, format!("demo-{version}/{path}"), &data[..])
            .unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::GzBuilder::new()
        .filename(format!("demo-{version}.crate"))
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// Rust-like source text, deterministic.
fn source_text(lines: u32) -> Vec<u8> {
    (0..lines)
        .flat_map(|i| {
            format!(
                "pub fn item_{i}(x: u64) -> u64 {{ x.wrapping_mul({}) ^ {} }}\n",
                u64::from(i).wrapping_mul(2_654_435_761) % 9973,
                (i * 7919) % 1000
            )
            .into_bytes()
        })
        .collect()
}

fn assert_expanded(
    m: &DeltaManifest,
    streams: usize,
    recipe: (&str, &str, u32),
    target_len: usize,
) {
    let x = m
        .expansion
        .as_ref()
        .expect("the payload acts on the expanded container");
    assert_eq!(x.target_streams.len(), streams, "{x:?}");
    assert!(x.kept_streams.is_empty(), "{:?}", x.kept_streams);
    let big = x.target_streams.iter().max_by_key(|s| s.len).unwrap();
    assert_eq!(
        (
            big.recipe.codec.as_str(),
            big.recipe.encoder.as_str(),
            big.recipe.level
        ),
        recipe
    );
    // A few edited lines: the delta is a small fraction of the compressed container.
    assert!(
        m.payload.size * 10 < target_len as u64,
        "payload {} of target {target_len}",
        m.payload.size
    );
}

#[test]
fn crate_archives_are_diffed_decompressed_and_recompressed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let lib = source_text(4000);
    let mut lib2 = lib.clone();
    lib2.splice(
        100_000..100_000,
        b"// 1.0.1: fixed an overflow\n".iter().copied(),
    );
    let (base, target) = (crate_file("1.0.0", &lib), crate_file("1.0.1", &lib2));
    let m = round_trip(dir.path(), &base, &target, "crate");
    assert_eq!(m.artifact_type, "crate");
    assert_expanded(&m, 1, ("deflate", "zlib", 9), target.len());
}

#[test]
fn python_zip_and_dpkg_deb_are_diffed_decompressed_and_recompressed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/delta/containers");
    for (b, t, streams, recipe) in [
        ("app-1.0.zip", "app-1.1.zip", 4, ("deflate", "zlib", 6)),
        (
            "app_1.0_all.deb",
            "app_1.1_all.deb",
            2,
            ("xz", "liblzma-mt", 6),
        ),
    ] {
        let base = fs::read(fx.join(b)).unwrap();
        let target = fs::read(fx.join(t)).unwrap();
        let m = round_trip(dir.path(), &base, &target, b);
        assert_expanded(&m, streams, recipe, target.len());
    }
}

#[test]
fn unreproducible_member_is_stated_and_shipped_as_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = source_text(3000);
    let mut text2 = text.clone();
    text2[50_000..50_010].copy_from_slice(b"0123456789");
    // b.txt deflated with a sync flush after 1000 bytes: valid deflate that no one-shot recipe
    // writes, so it must stay bytes (and be said so) while a.txt is expanded.
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(&text[..1000]).unwrap();
    e.flush().unwrap();
    e.write_all(&text[1000..]).unwrap();
    let odd = e.finish().unwrap();
    let base = zip(&[("a.txt", &text), ("b.txt", &text)], 0x6000);
    let target = zip_deflated(
        &[("a.txt", &text2, deflate6(&text2)), ("b.txt", &text, odd)],
        0x6000,
    );
    let m = round_trip(dir.path(), &base, &target, "odd");
    let x = m.expansion.as_ref().expect("a.txt is still expanded");
    assert_eq!(x.target_streams.len(), 1);
    assert_eq!(x.kept_streams.len(), 1);
    assert_eq!(x.kept_streams[0].member, "b.txt");
}

#[test]
fn a_recipe_that_does_not_reproduce_is_refused_at_apply() {
    let dir = tempfile::tempdir().unwrap();
    let lib = source_text(3000);
    let mut lib2 = lib.clone();
    lib2[10_000] = b'#';
    let (base, target) = (crate_file("1.0.0", &lib), crate_file("1.0.1", &lib2));
    let m = round_trip(dir.path(), &base, &target, "recipe");
    let d = dir.path().join("recipe.delta");
    let mut bad = m.clone();
    bad.expansion.as_mut().unwrap().target_streams[0]
        .recipe
        .level = 8;
    fs::write(
        d.join("delta-manifest.json"),
        airlock::bundle_format::canonical::to_canonical_vec(&bad).unwrap(),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "--json",
            "delta",
            "apply",
            "--base",
            "recipe.base",
            "--delta",
            "recipe.delta",
            "--out",
            "recipe.bad",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "delta-target-mismatch", "{v}");
    assert!(!dir.path().join("recipe.bad").exists());
}
