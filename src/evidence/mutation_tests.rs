//! Real changelog and patch samples, truncated and with bytes flipped: each parser returns a
//! result or a typed error, never panics. (Advisories and packages have their own such tests in
//! `advisory::fixture_tests` and `package::fixture_tests`.)

use super::limits::Limits;
use super::{changelog, patch};

fn files(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
    let root = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(&keep))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{root}: no samples");
    out
}

/// Calls `f` on truncations and single-byte flips of (the first 16 KiB of) `bytes` at ~12
/// positions; kept small so the suite stays fast (the fuzz targets go further).
fn mutate(bytes: &[u8], f: impl Fn(&[u8])) {
    let bytes = &bytes[..bytes.len().min(16 * 1024)];
    let step = (bytes.len() / 12).max(1);
    for at in (0..bytes.len()).step_by(step) {
        f(&bytes[..at]);
        let mut flipped = bytes.to_vec();
        flipped[at] ^= 0xa5;
        f(&flipped);
        flipped[at] = b'\n';
        f(&flipped);
    }
}

#[test]
fn mutated_changelogs_never_panic() {
    let l = Limits::default();
    for (name, bytes) in files("changelogs", |p| {
        !p.ends_with(".ids") && !p.ends_with(".md")
    }) {
        assert!(changelog::parse_debian(&bytes, &l).is_ok(), "{name}");
        mutate(&bytes, |b| {
            let _ = changelog::parse_debian(b, &l);
            let _ = changelog::parse_rpm(b, Some("x"), &l);
        });
    }
}

#[test]
fn mutated_patches_never_panic() {
    let l = Limits::default();
    for (name, bytes) in files("vectors/hunksig", |p| p.ends_with(".patch")) {
        assert!(patch::parse_patch(&bytes, &l).is_ok(), "{name}");
        mutate(&bytes, |b| {
            let _ = patch::parse_patch(b, &l);
        });
    }
}
