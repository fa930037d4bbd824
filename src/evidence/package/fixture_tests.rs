//! The real packages under `fixtures/packages/` (see its SOURCES.md), and mutations of them.

use super::*;
use crate::evidence::changelog::MentionKind;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/packages/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const LIBEXPAT: &str = "libexpat1_2.5.0-1+deb12u2_amd64.deb";
const DISORDER: &str = "libdisorder0_0.0.2+git20130809.8062ee1-4+b1_amd64.deb";
const PY3ALL: &str = "python3-all_3.11.2-1+b1_amd64.deb";
const DSC: &str = "expat_2.5.0-1+deb12u2.dsc";
const DEBTAR: &str = "expat_2.5.0-1+deb12u2.debian.tar.xz";

fn binary(name: &str) -> BinaryPackage {
    match read_package(name, &fixture(name), &Limits::default()).unwrap() {
        PackageEvidence::Binary(b) => b,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn deb_control_source_and_changelog() {
    let b = binary(LIBEXPAT);
    assert_eq!(
        (
            b.package.as_str(),
            b.version.as_str(),
            b.architecture.as_str()
        ),
        ("libexpat1", "2.5.0-1+deb12u2", "amd64")
    );
    assert_eq!(b.source.name, "expat");
    assert_eq!(b.source.version.as_deref(), Some("2.5.0-1+deb12u2"));
    assert_eq!(b.changelogs.len(), 1);
    let cl = &b.changelogs[0];
    assert_eq!(cl.path, "usr/share/doc/libexpat1/changelog.Debian.gz");
    assert!(!cl.binnmu);
    assert_eq!(cl.entries[0].version, "2.5.0-1+deb12u2");
    // Debian trims packaged changelogs; the newest entries name the CVEs it fixes.
    let top_ids = cl.entries[0].fixed_ids();
    assert!(top_ids.contains("CVE-2024-8176"), "{top_ids:?}");
    let all: std::collections::BTreeSet<String> = cl.entries.iter().flat_map(|e| e.ids()).collect();
    assert!(all.contains("CVE-2023-52425"), "{all:?}");
}

#[test]
fn binnmu_changelog_and_versioned_source_field() {
    let b = binary(DISORDER);
    assert_eq!(b.source.name, "libdisorder");
    let paths: Vec<(&str, bool)> = b
        .changelogs
        .iter()
        .map(|c| (c.path.as_str(), c.binnmu))
        .collect();
    assert_eq!(
        paths,
        [
            ("usr/share/doc/libdisorder0/changelog.Debian.amd64.gz", true),
            ("usr/share/doc/libdisorder0/changelog.Debian.gz", false),
        ]
    );
    let nmu = &b.changelogs[0].entries[0];
    assert!(nmu.binary_only, "{nmu:?}");
    assert_eq!(nmu.version, "0.0.2+git20130809.8062ee1-4+b1");
    // python3-all: doc dir is a symlink (no changelog read) and Source carries the version.
    let p = binary(PY3ALL);
    assert_eq!(p.source.name, "python3-defaults");
    assert_eq!(p.source.version.as_deref(), Some("3.11.2-1"));
    assert!(p.changelogs.is_empty());
}

#[test]
fn dsc_fields() {
    let PackageEvidence::Dsc(d) = read_package(DSC, &fixture(DSC), &Limits::default()).unwrap()
    else {
        panic!("not a dsc")
    };
    assert_eq!(
        (d.source.as_str(), d.version.as_str()),
        ("expat", "2.5.0-1+deb12u2")
    );
    assert_eq!(d.format, "3.0 (quilt)");
    assert_eq!(
        d.binaries,
        ["libexpat1-dev", "libexpat1", "libexpat1-udeb", "expat"]
    );
    assert_eq!(
        d.files,
        [
            "expat_2.5.0.orig.tar.gz",
            "expat_2.5.0-1+deb12u2.debian.tar.xz"
        ]
    );
}

#[test]
fn debian_tar_changelog_series_and_patches() {
    let PackageEvidence::DebianTar(d) =
        read_package(DEBTAR, &fixture(DEBTAR), &Limits::default()).unwrap()
    else {
        panic!("not a debian tar")
    };
    assert_eq!(
        (d.source.as_str(), d.version.as_str()),
        ("expat", "2.5.0-1+deb12u2")
    );
    assert_eq!(d.series.len(), 8);
    assert_eq!(
        d.patches.len() + d.patch_errors.len(),
        8,
        "{:?}",
        d.patch_errors
    );
    assert!(d.patch_errors.is_empty(), "{:?}", d.patch_errors);
    let p = d
        .patches
        .iter()
        .find(|p| p.path == "debian/patches/CVE-2024-45490.patch")
        .unwrap();
    assert!(!p.patch.files.is_empty());
    assert!(p.patch.patch_sig.is_some());
    assert_eq!(p.sha256.len(), 64);
    let cl_ids: std::collections::BTreeSet<String> =
        d.changelog.iter().flat_map(|e| e.ids()).collect();
    for id in [
        "CVE-2024-45490",
        "CVE-2024-45491",
        "CVE-2024-45492",
        "CVE-2024-8176",
    ] {
        assert!(cl_ids.contains(id), "{id}");
    }
    assert!(
        d.changelog[0]
            .mentions
            .iter()
            .any(|m| m.kind == MentionKind::Fix)
    );
}

#[test]
fn bad_packages_are_named_errors() {
    let l = Limits::default();
    let e = read_package("x.deb", b"not an ar", &l).unwrap_err();
    assert_eq!(e.code(), "package-archive-malformed");
    let deb = fixture(LIBEXPAT);
    let e = read_package("x.deb", &deb[..deb.len() / 2], &l).unwrap_err();
    assert_eq!(e.code(), "package-archive-malformed", "{e}");
    let e = read_package("x.dsc", b"Format: 3.0\n", &l).unwrap_err();
    assert_eq!(e.code(), "package-field-missing", "{e}");
    assert!(e.to_string().contains("Source"), "{e}");
    let e = read_package("x.dsc", b"Source: a\nnot a field\n", &l).unwrap_err();
    assert_eq!((e.code(), e.line()), ("package-control-malformed", Some(2)));
    let tar = fixture(DEBTAR);
    let e = read_package("x.debian.tar.xz", &tar[..tar.len() - 100], &l).unwrap_err();
    assert_eq!(e.code(), "compressed-truncated", "{e}");
    let small = Limits {
        max_decompressed_bytes: 1000,
        ..Limits::default()
    };
    let e = read_package("x.debian.tar.xz", &tar, &small).unwrap_err();
    assert_eq!(e.code(), "decompressed-too-large", "{e}");
    assert_eq!(
        read_package("x.txt", b"", &l).unwrap_err().code(),
        "package-kind-unknown"
    );
}

/// Truncations and byte flips of every sample: an error or a result, never a panic.
#[test]
fn mutated_packages_never_panic() {
    let l = Limits {
        max_decompressed_bytes: 8 << 20,
        ..Limits::default()
    };
    for name in [LIBEXPAT, DISORDER, PY3ALL, DSC, DEBTAR] {
        let bytes = fixture(name);
        let step = (bytes.len() / 37).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = read_package(name, &bytes[..cut], &l);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0x5a;
            let _ = read_package(name, &flipped, &l);
        }
    }
}
