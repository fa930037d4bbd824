//! Round trips and hostile archives for the reader and writer.

use std::io::{Read, Write};

use super::*;
use crate::dsse::{Envelope, Signature};
use crate::manifest::{
    BundleKind, EntryKind, MANIFEST_MEMBER, MANIFEST_PAYLOAD_TYPE, Manifest, ManifestEntry,
    ManifestHeader,
};
use crate::{Digest, EntryPath, Limits};

fn entry(path: &str, data: &[u8]) -> ManifestEntry {
    ManifestEntry {
        path: EntryPath::parse(path).unwrap(),
        kind: EntryKind::Blob,
        media_type: "application/octet-stream".into(),
        size: data.len() as u64,
        sha256: Digest::sha256(data),
        blake3: Digest::blake3(data),
    }
}

fn envelope_for(files: &[(&str, Vec<u8>)]) -> Envelope {
    let header = ManifestHeader {
        kind: BundleKind::Snapshot,
        publisher: "example.org".into(),
        channel: "stable".into(),
        sequence: 1,
        created: "2026-01-01T00:00:00Z".into(),
        expires: "2027-01-01T00:00:00Z".into(),
        base: None,
    };
    let entries = files.iter().map(|(p, d)| entry(p, d)).collect();
    let manifest = Manifest::build(header, entries, &Limits::default()).unwrap();
    let mut env = Envelope::new(MANIFEST_PAYLOAD_TYPE, manifest.to_payload());
    env.signatures.push(Signature {
        keyid: "test".into(),
        sig: vec![1; 64],
    });
    env
}

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("advisories/a.json", br#"{"id":"A"}"#.to_vec()),
        (
            "blobs/big.bin",
            (0..300_000u32).flat_map(u32::to_le_bytes).collect(),
        ),
        ("blobs/empty", Vec::new()),
    ]
}

fn write_bundle(files: &[(&str, Vec<u8>)], threads: u32) -> Vec<u8> {
    let env = envelope_for(files);
    let mut w = BundleWriter::new(
        Vec::new(),
        &env,
        &Limits::default(),
        WriteOptions { threads },
    )
    .unwrap();
    for (p, d) in files {
        w.append(&EntryPath::parse(p).unwrap(), &mut &d[..])
            .unwrap();
    }
    w.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let mut r = BundleReader::open(bytes, Limits::default())?;
    r.load_manifest()?;
    let mut out = Vec::new();
    while let Some(mut e) = r.next_entry()? {
        let path = e.entry().path.to_string();
        let mut data = Vec::new();
        let _ = e.read_to_end(&mut data);
        e.finish()?;
        out.push((path, data));
    }
    Ok(out)
}

#[test]
fn round_trip_is_deterministic_across_thread_counts() {
    let files = files();
    let one = write_bundle(&files, 1);
    assert_eq!(one, write_bundle(&files, 2));
    assert_eq!(one, write_bundle(&files, 4));
    let back = read_all(&one).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[1].1, files[1].1);
}

#[test]
fn inspect_reads_only_the_first_frame() {
    let bundle = write_bundle(&files(), 1);
    let first_frame = zstd::zstd_safe::find_frame_compressed_size(&bundle).unwrap();
    let r = BundleReader::open(&bundle[..first_frame], Limits::default()).unwrap();
    assert_eq!(r.envelope().payload_type, MANIFEST_PAYLOAD_TYPE);
}

#[test]
fn truncation_and_trailing_bytes_are_refused() {
    let bundle = write_bundle(&files(), 1);
    for cut in [10, bundle.len() / 2, bundle.len() - 1] {
        let err = read_all(&bundle[..cut]).unwrap_err();
        assert!(
            matches!(err.code(), "archive-truncated" | "archive-corrupt"),
            "{cut}: {err}"
        );
    }
    let mut trailing = bundle.clone();
    trailing.extend_from_slice(b"garbage");
    assert_eq!(read_all(&trailing).unwrap_err().code(), "trailing-garbage");
    let mut flipped = bundle;
    let at = flipped.len() - 40;
    flipped[at] ^= 1;
    assert!(read_all(&flipped).is_err());
}

/// Compresses a raw tar stream the way the writer does: manifest member alone in frame one.
fn compress(first: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut out = zstd::encode_all(first, 3).unwrap();
    out.extend(zstd::encode_all(rest, 3).unwrap());
    out
}

fn member(path: &str, data: &[u8]) -> Vec<u8> {
    let mut v = canonical_header(path, data.len() as u64).unwrap().to_vec();
    v.extend_from_slice(data);
    v.resize(v.len() + padding_bytes(data.len() as u64), 0);
    v
}

fn hostile(env: &Envelope, body: &[u8]) -> Vec<u8> {
    let mut rest = body.to_vec();
    rest.extend_from_slice(&[0u8; 1024]);
    compress(&member(MANIFEST_MEMBER, &env.to_json()), &rest)
}

#[test]
fn archive_order_must_equal_manifest_order() {
    let a = b"a".to_vec();
    let b = b"b".to_vec();
    let env = envelope_for(&[("a", a.clone()), ("b", b.clone()), ("c", b.clone())]);
    let code = |body: Vec<u8>| read_all(&hostile(&env, &body)).unwrap_err().code();
    assert_eq!(
        code([member("a", &a), member("c", &b)].concat()),
        "entry-missing"
    );
    assert_eq!(
        code([member("b", &b), member("a", &a), member("c", &b)].concat()),
        "entry-out-of-order"
    );
    assert_eq!(
        code([member("a", &a), member("a", &a)].concat()),
        "entry-duplicate"
    );
    assert_eq!(
        code(
            [
                member("a", &a),
                member("b", &b),
                member("c", &b),
                member("d", &b)
            ]
            .concat()
        ),
        "entry-unexpected"
    );
    assert_eq!(
        code([member("a", b"x"), member("b", &b), member("c", &b)].concat()),
        "entry-digest-mismatch"
    );
    assert_eq!(
        code([member("a", b"xx"), member("b", &b), member("c", &b)].concat()),
        "entry-size-mismatch"
    );
    let ok = [member("a", &a), member("b", &b), member("c", &b)].concat();
    assert_eq!(read_all(&hostile(&env, &ok)).unwrap().len(), 3);
}

#[test]
fn links_devices_and_bad_headers_are_refused() {
    let env = envelope_for(&[("a", b"a".to_vec())]);
    let with_type = |t: u8| {
        let mut h = tar::Header::new_ustar();
        h.set_path("a").unwrap();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::new(t));
        h.set_cksum();
        h.as_bytes().to_vec()
    };
    let code = |body: Vec<u8>| read_all(&hostile(&env, &body)).unwrap_err().code();
    assert_eq!(code(with_type(b'2')), "entry-symlink");
    assert_eq!(code(with_type(b'1')), "entry-hardlink");
    assert_eq!(code(with_type(b'3')), "entry-device");
    assert_eq!(code(with_type(b'5')), "entry-directory");
    assert_eq!(code(with_type(b'x')), "entry-type-unsupported");
    let mut odd_mode = member("a", b"a");
    odd_mode[100..108].copy_from_slice(b"0000755\0");
    assert_eq!(code(odd_mode), "archive-noncanonical");
}

#[test]
fn manifest_member_rules() {
    let env = envelope_for(&[]);
    let mut wrong = env.clone();
    wrong.payload_type = "application/json".into();
    assert_eq!(
        read_all(&hostile(&wrong, &[])).unwrap_err().code(),
        "payload-type-wrong"
    );
    let small = Limits {
        max_manifest_bytes: 64,
        ..Limits::default()
    };
    let err = BundleReader::open(&hostile(&env, &[])[..], small).unwrap_err();
    assert_eq!(err.code(), "manifest-too-large");
    let not_first = compress(&member("a", b"a"), &[0u8; 1024]);
    assert_eq!(read_all(&not_first).unwrap_err().code(), "manifest-missing");
    assert_eq!(read_all(&hostile(&env, &[])).unwrap().len(), 0);
}

#[test]
fn decompression_bombs_stop_early() {
    let zeros = vec![0u8; 8 << 20];
    let env = envelope_for(&[("a", zeros.clone())]);
    let bomb = hostile(&env, &member("a", &zeros));
    assert_eq!(
        read_all(&bomb).unwrap_err().code(),
        "decompression-ratio-exceeded"
    );
}

#[test]
fn writer_refuses_changed_input() {
    let files = files();
    let env = envelope_for(&files);
    let mut w = BundleWriter::new(
        Vec::new(),
        &env,
        &Limits::default(),
        WriteOptions::default(),
    )
    .unwrap();
    let err = w
        .append(
            &EntryPath::parse("advisories/a.json").unwrap(),
            &mut &b"{\"id\":\"B\"}"[..],
        )
        .unwrap_err();
    assert_eq!(err.code(), "input-changed");
    let mut sink = Vec::new();
    sink.write_all(b"").unwrap();
}

/// `verify_remaining` (digests on worker threads) against entry-by-entry reading.
fn verify_fast(bytes: &[u8]) -> Result<ReadSummary, ReadError> {
    let mut r = BundleReader::open(bytes, Limits::default())?;
    r.load_manifest()?;
    r.verify_remaining()
}

#[test]
fn pipelined_verification_reports_what_sequential_reading_reports() {
    // Many small entries (sharing hash chunks) and large ones (spanning several).
    let mut many: Vec<(String, Vec<u8>)> = (0..200u32)
        .map(|i| {
            let len = (i as usize * 37) % 5000;
            (
                format!("advisories/{i:04}.json"),
                vec![(i % 251) as u8; len],
            )
        })
        .collect();
    many.push((
        "blobs/big".into(),
        (0..400_000u32).flat_map(u32::to_le_bytes).collect(),
    ));
    let files: Vec<(&str, Vec<u8>)> = many.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
    let entries = |data: &dyn Fn(usize, &[u8]) -> Vec<u8>| {
        files
            .iter()
            .enumerate()
            .map(|(i, (p, d))| member(p, &data(i, d)))
            .collect::<Vec<_>>()
            .concat()
    };
    let env = envelope_for(&files);
    let good = write_bundle(&files, 2);
    let summary = verify_fast(&good).unwrap();
    assert_eq!(summary.entries, files.len() as u64);
    assert_eq!(summary.compressed_bytes, good.len() as u64);

    let flip = |at: usize| {
        move |i: usize, d: &[u8]| {
            let mut d = d.to_vec();
            if i == at && !d.is_empty() {
                let mid = d.len() / 2;
                d[mid] ^= 1;
            }
            d
        }
    };
    // (name, whether a digest mismatch must win, bytes); `hostile` adds the end marker.
    let mut cases: Vec<(String, bool, Vec<u8>)> = Vec::new();
    for at in [1, 57, 199, 200] {
        let early = at < 200;
        let bytes = hostile(&env, &entries(&flip(at)));
        // A flipped byte early and the archive cut short later: the flip is reported.
        let cut = bytes[..bytes.len() - 3000].to_vec();
        cases.push((format!("flipped {at} then truncated"), early, cut));
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(b"garbage");
        cases.push((format!("flipped {at} then trailing"), true, trailing));
        cases.push((format!("flipped {at}"), true, bytes));
    }
    cases.push(("truncated".into(), false, good[..good.len() / 2].to_vec()));
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"x");
    cases.push(("trailing".into(), false, trailing));
    let mut reordered = files.clone();
    reordered.swap(3, 4);
    let tar: Vec<u8> = reordered.iter().flat_map(|(p, d)| member(p, d)).collect();
    cases.push(("out of order".into(), false, hostile(&env, &tar)));
    for (name, mismatch, bytes) in &cases {
        let slow = read_all(bytes).unwrap_err();
        let fast = verify_fast(bytes).unwrap_err();
        assert_eq!(slow.code(), fast.code(), "{name}: {slow} / {fast}");
        assert_eq!(slow.to_string(), fast.to_string(), "{name}");
        assert_eq!(
            *mismatch,
            fast.code() == "entry-digest-mismatch",
            "{name}: {fast}"
        );
    }
}
