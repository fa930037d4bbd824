//! The real samples under `fixtures/advisories` (see its SOURCES.md files), with concrete
//! expectations per feed.

use std::path::PathBuf;

use super::*;

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/advisories")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(rel: &str) -> ParsedDocument {
    parse(&fixture(rel), &Limits::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn one(rel: &str) -> Advisory {
    let mut d = read(rel);
    assert_eq!(d.advisories.len(), 1, "{rel}");
    d.advisories.remove(0)
}

#[test]
fn osv_debian_dsa() {
    let a = one("osv/debian/DSA-3029-1.json");
    assert_eq!(a.source, Source::Osv);
    assert_eq!(a.id, "DSA-3029-1");
    assert_eq!(a.cve_ids, ["CVE-2014-3616"]);
    assert_eq!(a.published.as_deref(), Some("2014-09-20T00:00:00Z"));
    assert_eq!(a.modified.as_deref(), Some("2014-09-20T08:18:07Z"));
    let p = &a.affected[0];
    assert_eq!(
        p.purl.as_deref(),
        Some("pkg:deb/debian/nginx?distro=wheezy")
    );
    assert_eq!(p.release.as_deref(), Some("wheezy"));
    assert_eq!(
        (p.version_scheme, p.status),
        (VersionScheme::Deb, Status::Fixed)
    );
    assert_eq!(p.fixed, ["1.2.1-2.2+wheezy3"]);
    assert_eq!(
        a.document.sha256.to_string(),
        "sha256:163257708b40f60659bdc17ac9b641a886fb63804db65ad142577cd551075b4d"
    );
    assert_eq!(
        a.references[0].url,
        "https://www.debian.org/security/2014/dsa-3029"
    );
}

#[test]
fn osv_ubuntu_with_malformed_purl_and_binaries() {
    let a = one("osv/ubuntu/UBUNTU-CVE-2023-38545.json");
    assert_eq!(a.cve_ids, ["CVE-2023-38545"]);
    assert!(a.aliases.is_empty());
    assert_eq!(a.related, ["CVE-2023-38545", "USN-6429-1", "USN-6429-3"]);
    let focal = &a.affected[0];
    assert_eq!(
        focal.purl.as_deref(),
        Some("pkg:deb/ubuntu/curl?arch=src&distro=focal")
    );
    assert_eq!(focal.ecosystem.as_deref(), Some("Ubuntu:20.04:LTS"));
    assert_eq!(focal.fixed, ["7.68.0-1ubuntu2.19"]);
    assert_eq!(focal.versions.len(), 20);
    assert!(focal.binaries.contains(&"libcurl4".to_owned()));
    assert_eq!(focal.severity.as_deref(), Some("high"));
    assert_eq!(a.warnings.len(), a.affected.len());
}

#[test]
fn osv_ubuntu_unfixed_and_withdrawn() {
    let a = one("osv/ubuntu/UBUNTU-CVE-2016-20013.json");
    assert!(
        a.affected
            .iter()
            .all(|p| p.status == Status::Affected && p.fixed.is_empty())
    );
    assert!(a.affected.len() > 10);
    let w = one("osv/ubuntu/UBUNTU-CVE-2020-36325.json");
    assert!(w.withdrawn.is_some());
}

#[test]
fn osv_pypi_git_and_ecosystem_ranges() {
    let a = one("osv/pypi/PYSEC-2023-74.json");
    assert_eq!(a.aliases, ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"]);
    let p = &a.affected[0];
    assert_eq!(p.purl.as_deref(), Some("pkg:pypi/requests"));
    assert_eq!(p.version_scheme, VersionScheme::Pep440);
    assert_eq!(p.ranges[0].kind, "git");
    assert_eq!(
        p.ranges[0].repo.as_deref(),
        Some("https://github.com/psf/requests")
    );
    assert_eq!(
        p.ranges[1].events,
        [
            Event::Introduced("2.3.0".into()),
            Event::Fixed("2.31.0".into())
        ]
    );
    // The GIT fix is a commit, not a version.
    assert_eq!(p.fixed, ["2.31.0"]);
}

#[test]
fn osv_alpine_red_hat_and_go() {
    let a = one("osv/alpine/CVE-2018-5407.json");
    let p = &a.affected[0];
    assert_eq!(
        p.purl.as_deref(),
        Some("pkg:apk/alpine/openssl?arch=source&distro=alpine-3.3")
    );
    assert_eq!(
        (p.version_scheme, p.fixed.as_slice()),
        (VersionScheme::Apk, ["1.0.2q-r0".to_owned()].as_slice())
    );
    // An entry with only a GIT range and no package.
    let git = a.affected.iter().find(|p| p.ecosystem.is_none()).unwrap();
    assert_eq!(git.version_scheme, VersionScheme::Git);
    assert!(git.name.starts_with("https://"), "{}", git.name);

    let r = one("osv/redhat/RHSA-2024_4546.json");
    assert_eq!(r.cve_ids, ["CVE-2023-45288"]);
    assert_eq!(r.related, ["GO-2024-2687"]);
    let p = &r.affected[0];
    assert_eq!(p.purl.as_deref(), Some("pkg:rpm/redhat/git-lfs"));
    assert_eq!(p.release.as_deref(), Some("rhel_aus:8.6::appstream"));
    assert_eq!(
        (p.version_scheme, p.status),
        (VersionScheme::Rpm, Status::Fixed)
    );
    assert_eq!(p.fixed, ["0:2.13.3-3.el8_6.1"]);

    let g = one("osv/ghsa/GHSA-4v7x-pqxf-cx7m.json");
    assert_eq!(g.affected[0].version_scheme, VersionScheme::Semver);
    assert_eq!(
        g.affected
            .iter()
            .flat_map(|p| p.fixed.clone())
            .collect::<Vec<_>>(),
        ["1.21.9", "1.22.2"]
    );
}

#[test]
fn every_osv_json_sample_parses() {
    for rel in [
        "osv/debian/DLA-3623-1.trimmed.json",
        "osv/ghsa/GHSA-jfhm-5ghh-2f97.json",
        "osv/ghsa/GHSA-9v2f-6vcg-3hgv.json",
        "osv/ubuntu/UBUNTU-CVE-2014-9913.json",
        "osv/ubuntu/UBUNTU-CVE-2021-3782.json",
        "osv/ubuntu/UBUNTU-CVE-2025-38094.json",
        "osv/ubuntu/USN-5614-1.json",
        "osv/ubuntu/USN-6429-1.json",
    ] {
        let a = one(rel);
        assert!(!a.id.is_empty(), "{rel}");
    }
    let dla = one("osv/debian/DLA-3623-1.trimmed.json");
    assert_eq!(dla.cve_ids.len(), 44);
    assert!(dla.affected.is_empty());
}

#[test]
fn debian_tracker_json() {
    let d = read("debian-tracker/tracker-json/debian.json");
    assert_eq!(d.source, Source::DebianTracker);
    let ids: Vec<&str> = d.advisories.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id");
    let a = d
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2008-7220")
        .unwrap();
    let stretch = a
        .affected
        .iter()
        .find(|p| p.release.as_deref() == Some("stretch"))
        .unwrap();
    assert_eq!(
        stretch.purl.as_deref(),
        Some("pkg:deb/debian/prototypejs?distro=stretch")
    );
    assert_eq!(
        (stretch.status, stretch.fixed.as_slice()),
        (Status::Fixed, ["1.6.0.2-1".to_owned()].as_slice())
    );
    assert_eq!(stretch.severity.as_deref(), Some("high**"));
    assert_eq!(a.references[0].url, "https://bugs.debian.org/555217");
    let na = d
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2007-2383")
        .unwrap();
    assert!(na.affected.iter().all(|p| p.status == Status::NotAffected));
    // `releases: []` reads as no releases.
    let empty = d
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2022-0358")
        .unwrap();
    assert!(empty.affected.is_empty());

    let m = read("debian-tracker/tracker-json/debian_security_tracker_mock.json");
    let open = m
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2016-1585")
        .unwrap();
    let bookworm = open
        .affected
        .iter()
        .find(|p| p.release.as_deref() == Some("bookworm"))
        .unwrap();
    assert_eq!(
        (bookworm.status, bookworm.ecosystem.as_deref()),
        (Status::Affected, Some("Debian:12"))
    );
}

#[test]
fn csaf_red_hat_rhsa_relationships() {
    let a = one("csaf/redhat/rhsa-2024_6163.json");
    assert_eq!(a.source, Source::Csaf);
    assert_eq!(a.id, "RHSA-2024:6163");
    assert_eq!(a.cve_ids, ["CVE-2024-8088"]);
    assert_eq!(a.published.as_deref(), Some("2024-09-03T17:57:24Z"));
    assert_eq!(a.modified.as_deref(), Some("2026-03-26T18:50:03Z"));
    assert_eq!(a.affected.len(), 3);
    let p = &a.affected[0];
    assert_eq!(p.purl.as_deref(), Some("pkg:rpm/redhat/python3.9?arch=src"));
    assert_eq!(p.release.as_deref(), Some("enterprise_linux:9::appstream"));
    assert_eq!(
        p.cpe.as_deref(),
        Some("cpe:/a:redhat:enterprise_linux:9::appstream")
    );
    assert_eq!(
        (p.version_scheme, p.status),
        (VersionScheme::Rpm, Status::Fixed)
    );
    assert_eq!(p.fixed, ["3.9.18-3.el9_4.5"]);
    assert_eq!(p.vulnerabilities, ["CVE-2024-8088"]);
    assert_eq!(
        p.product_ids,
        ["AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.src"]
    );
    assert!(
        a.references
            .iter()
            .any(|r| r.url == "https://bugzilla.redhat.com/show_bug.cgi?id=2307370")
    );

    // The same advisory as OSV names the same release streams.
    let csaf = one("csaf/redhat/rhsa-2024_4546.json");
    let osv = one("osv/redhat/RHSA-2024_4546.json");
    let releases = |a: &Advisory| {
        a.affected
            .iter()
            .filter_map(|p| p.release.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(releases(&csaf), releases(&osv));
    assert_eq!(csaf.cve_ids, osv.cve_ids);
}

#[test]
fn csaf_red_hat_vex_statuses() {
    let a = one("csaf/redhat-vex/cve-2025-29087.json");
    assert_eq!(a.id, "CVE-2025-29087");
    assert_eq!(a.cve_ids, ["CVE-2025-29087"]);
    assert!(a.aliases.is_empty());
    let find = |purl: &str, release: &str| {
        a.affected
            .iter()
            .find(|p| p.purl.as_deref() == Some(purl) && p.release.as_deref() == Some(release))
            .unwrap_or_else(|| panic!("{purl} {release}"))
    };
    let el10 = find("pkg:rpm/redhat/sqlite", "enterprise_linux:10");
    assert_eq!(el10.status, Status::WillNotFix);
    assert!(el10.versions.is_empty());
    let el6 = find("pkg:rpm/redhat/sqlite", "enterprise_linux:6");
    assert_eq!(
        (el6.status, el6.justification.as_deref()),
        (
            Status::WillNotFix,
            Some("no_fix_planned: Out of support scope")
        )
    );
    let el8 = find("pkg:rpm/redhat/sqlite", "enterprise_linux:8");
    assert_eq!(
        (el8.status, el8.justification.as_deref()),
        (Status::NotAffected, Some("vulnerable_code_not_present"))
    );
    let counts = |s: Status| a.affected.iter().filter(|p| p.status == s).count();
    assert_eq!(counts(Status::NotAffected), 16);
    assert_eq!(counts(Status::WillNotFix), 69);

    let k = one("csaf/redhat-vex/cve-2024-40951.json");
    assert!(k.affected.iter().all(|p| p.status == Status::NotAffected));
    assert_eq!(k.affected.len(), 7);
}

#[test]
fn csaf_version_trees_and_vendor_fix_text() {
    // BSI: affected versions and the first fixed version under one product name.
    let a = one("csaf/oasis-examples/bsi-2022-0001.json");
    assert_eq!(a.affected.len(), 1);
    let p = &a.affected[0];
    assert_eq!(
        p.purl.as_deref(),
        Some("pkg:generic/CSAF%20Tools/CVRF-CSAF-Converter")
    );
    assert_eq!(p.status, Status::Fixed);
    assert_eq!(p.fixed, ["1.0.0-rc2"]);
    assert_eq!(
        p.versions,
        [
            "1.0.0-alpha",
            "1.0.0-dev1",
            "1.0.0-dev2",
            "1.0.0-dev3",
            "1.0.0-rc1"
        ]
    );

    // CISA VEX: a version range affected, fixed in 9.8.12.
    let c = one("csaf/cisa/va-24-262-01.json");
    let p = &c.affected[0];
    assert_eq!(p.status, Status::Fixed);
    assert_eq!(p.fixed, ["9.8.12"]);
    assert_eq!(p.ranges[0].expression.as_deref(), Some("0 < 9.8.12"));
    assert_eq!(p.ranges[0].kind, "csaf-version-range");

    // Cisco: affected product families, a vendor fix without a version.
    let s = one("csaf/cisco/cisco-sa-openssh-rce-2024.json");
    assert_eq!(s.cve_ids, ["CVE-2024-6387"]);
    assert_eq!(s.affected.len(), 3);
    assert!(
        s.affected
            .iter()
            .all(|p| p.status == Status::Affected && p.fixed.is_empty())
    );

    // Informational advisory without vulnerabilities.
    let i = one("csaf/oasis-examples/rhsa-2019_1862.json");
    assert!(i.affected.is_empty());

    // Early Red Hat output: no `cve`, the id leads the title.
    let old = one("csaf/redhat/rhsa-2023_1441.json");
    assert_eq!(old.cve_ids, ["CVE-2023-0286"]);
    assert_eq!(old.warnings.len(), 1);
}

#[test]
fn csaf_bad_documents_name_the_field() {
    let err = parse(
        br#"{"document": {"category": "csaf_vex", "csaf_version": "2.0", "tracking": {}}}"#,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "advisory-invalid-field");
    assert_eq!(err.field(), Some("document.tracking"));
    assert!(err.to_string().contains("missing field `id`"), "{err}");
    let err = parse(
        br#"{"document": {"category": "csaf_vex", "csaf_version": "2.0", "tracking": {"id": "X"}}, "vulnerabilities": [{"product_status": {"fixed": "P1"}}]}"#,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("vulnerabilities[0].product_status.fixed"));
    // A branch tree deeper than the limit.
    let mut tree = String::from(r#"{"category": "vendor", "name": "v"}"#);
    for _ in 0..40 {
        tree = format!(r#"{{"category": "product_family", "name": "f", "branches": [{tree}]}}"#);
    }
    let doc = format!(
        r#"{{"document": {{"category": "csaf_base", "csaf_version": "2.0", "tracking": {{"id": "X"}}}}, "product_tree": {{"branches": [{tree}]}}}}"#
    );
    let err = parse(doc.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "advisory-limit-exceeded");
}

/// Truncations and byte flips of every JSON sample: each gives a record or a typed error,
/// never a panic.
#[test]
fn mutated_samples_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/advisories");
    let mut files = Vec::new();
    for kind in ["osv", "csaf", "debian-tracker/tracker-json"] {
        for entry in std::fs::read_dir(root.join(kind)).unwrap() {
            let dir = entry.unwrap().path();
            let paths: Vec<PathBuf> = if dir.is_dir() {
                std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![dir]
            };
            files.extend(
                paths
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
    }
    assert!(files.len() >= 27, "{}", files.len());
    let limits = Limits::default();
    let mut errors = 0usize;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let step = (bytes.len() / 37).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            errors += usize::from(parse(&bytes[..cut], &limits).is_err());
            let mut flipped = bytes.clone();
            flipped[cut] = match flipped[cut] {
                b'"' => b'0',
                b'[' => b'{',
                b'{' => b'[',
                b':' => b',',
                c => c ^ 0x20,
            };
            let _ = parse(&flipped, &limits);
        }
    }
    assert!(errors > 0);
}
