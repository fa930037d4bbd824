use serde_json::{Value, json};

use super::*;
use crate::store::EntryKind;
use crate::store::records::Source;

/// An in-memory evidence source: rows keyed as the store keys them.
#[derive(Default)]
struct Mem {
    advisories: Vec<StoredRow>,
    changelogs: Vec<StoredRow>,
    patches: Vec<StoredRow>,
}

fn row(table: &'static str, vuln: &str, package: &str, record: Value, entry: &str) -> StoredRow {
    StoredRow {
        table,
        key: vec![vuln.to_owned(), package.to_owned()],
        publisher: "debian".into(),
        channel: "bookworm".into(),
        record,
        source: Source {
            entry: entry.into(),
            kind: EntryKind::Advisory,
            sha256: bundle_format::Digest::sha256(entry.as_bytes()).hex(),
        },
    }
}

impl EvidenceSource for Mem {
    fn advisories_for_vulnerability(&self, v: &str) -> Result<Vec<StoredRow>, StoreError> {
        Ok(self
            .advisories
            .iter()
            .filter(|r| r.key[0] == v)
            .cloned()
            .collect())
    }
    fn changelog_mentions(&self, v: &str, p: &str) -> Result<Vec<StoredRow>, StoreError> {
        Ok(self
            .changelogs
            .iter()
            .filter(|r| r.key[0] == v && r.key[1] == p)
            .cloned()
            .collect())
    }
    fn patches(&self, v: &str) -> Result<Vec<StoredRow>, StoreError> {
        Ok(self
            .patches
            .iter()
            .filter(|r| r.key[0] == v)
            .cloned()
            .collect())
    }
    fn fingerprints(&self, _: &str) -> Result<Vec<StoredRow>, StoreError> {
        Ok(Vec::new())
    }
    fn raw(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }
    fn heads(&self) -> Result<Vec<ChannelState>, StoreError> {
        Ok(vec![ChannelState {
            publisher: "debian".into(),
            channel: "bookworm".into(),
            sequence: 7,
            bundle: "sha256:00".into(),
        }])
    }
}

fn req(purl: &str) -> ProofRequest {
    ProofRequest {
        vulnerability: "CVE-2023-38545".into(),
        purl: purl.into(),
        computed_at: None,
    }
}

const CURL: &str = "pkg:deb/debian/curl";

/// Debian's tracker row for CVE-2023-38545 (curl): fixed in bookworm in 7.88.1-10+deb12u4.
fn tracker_row() -> StoredRow {
    row(
        "advisories",
        "CVE-2023-38545",
        CURL,
        json!({"id": "CVE-2023-38545", "package": CURL, "releases": {
            "bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u4"},
            "bullseye": {"status": "resolved", "fixed_version": "7.74.0-1.3+deb11u10"}}}),
        "advisories/debian-tracker.json",
    )
}

fn changelog_row(version: &str) -> StoredRow {
    row(
        "changelog_mentions",
        "CVE-2023-38545",
        CURL,
        json!({"package": CURL, "version": version, "text": ["  * Fix CVE-2023-38545"]}),
        &format!("changelogs/curl-{version}"),
    )
}

#[test]
fn backported_fix_is_fixed_with_advisory_and_changelog() {
    let mem = Mem {
        advisories: vec![tracker_row()],
        changelogs: vec![changelog_row("7.88.1-10+deb12u4")],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?distro=debian-12"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::Fixed);
    assert_eq!(proof.method, "advisory+changelog");
    assert!(
        (proof.confidence - 0.98).abs() < 1e-9,
        "0.98 + 0.05 capped at 0.98"
    );
    assert!(
        proof.evidence[1]
            .reason
            .contains("7.88.1-10+deb12u4 names CVE-2023-38545 as fixed"),
        "{:?}",
        proof.evidence
    );
    assert!(proof.hash_matches());
    // Upstream 7.88.1 "looks vulnerable" (the upstream fix is 8.4.0), yet the distro version is fixed.
}

#[test]
fn older_version_is_affected_and_release_must_match() {
    let mem = Mem {
        advisories: vec![tracker_row()],
        changelogs: vec![changelog_row("7.88.1-10+deb12u4")],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u3?distro=debian-12"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::Affected);
    // bullseye's fixed version must not be used for a bookworm package.
    assert!(
        proof.evidence.iter().all(|e| !e.reason.contains("7.74.0")),
        "{:?}",
        proof.evidence
    );
}

#[test]
fn changelog_alone_gives_080_and_no_evidence_gives_unknown() {
    let mem = Mem {
        changelogs: vec![changelog_row("7.88.1-10+deb12u4")],
        ..Mem::default()
    };
    let proof = prove(&mem, &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"), None).unwrap();
    assert_eq!(
        (proof.verdict, proof.confidence, proof.method.as_str()),
        (Verdict::Fixed, 0.8, "changelog")
    );
    let proof = prove(
        &Mem::default(),
        &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"),
        None,
    )
    .unwrap();
    assert_eq!(
        (proof.verdict, proof.confidence, proof.method.as_str()),
        (Verdict::Unknown, 0.0, "none")
    );
}

#[test]
fn advisory_above_installed_beats_a_changelog_claiming_the_fix() {
    let mem = Mem {
        advisories: vec![tracker_row()],
        changelogs: vec![changelog_row("7.88.1-10+deb12u2")],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u3?distro=debian-12"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::Affected);
    assert_eq!(proof.conflicts.len(), 1);
    assert_eq!(proof.conflicts[0].tier, Tier::Changelog);
}

#[test]
fn binary_package_maps_to_its_source_through_upstream_and_advisory_binaries() {
    let mem = Mem {
        advisories: vec![tracker_row()],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?distro=debian-12&upstream=curl"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::Fixed);
    let mut listed = tracker_row();
    listed.record["binaries"] = json!(["libcurl4", "curl"]);
    let mem = Mem {
        advisories: vec![listed],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?distro=debian-12"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::Fixed);
    assert!(proof.subject.source_packages.contains(&CURL.to_owned()));
}

#[test]
fn unrelated_ids_are_never_fixed_and_proofs_are_deterministic() {
    let mem = Mem {
        advisories: vec![tracker_row()],
        changelogs: vec![changelog_row("7.88.1-10+deb12u4")],
        ..Mem::default()
    };
    let other = ProofRequest {
        vulnerability: "CVE-2023-99999".into(),
        purl: "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5".into(),
        computed_at: None,
    };
    assert_eq!(prove(&mem, &other, None).unwrap().verdict, Verdict::Unknown);
    let a = prove(&mem, &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"), None)
        .unwrap()
        .to_canonical();
    let b = prove(&mem, &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"), None)
        .unwrap()
        .to_canonical();
    assert_eq!(a, b);
}

#[test]
fn normalized_osv_advisory_with_ranges_and_not_affected() {
    let osv = json!({"id": "DSA-5532-1", "affected": [{
        "name": "curl", "purl": "pkg:deb/debian/curl", "release": "bookworm", "status": "fixed",
        "ranges": [{"kind": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "7.88.1-10+deb12u4"}]}],
        "fixed": ["7.88.1-10+deb12u4"]}]});
    let mem = Mem {
        advisories: vec![row(
            "advisories",
            "CVE-2023-38545",
            CURL,
            osv,
            "advisories/osv/DSA-5532-1.json",
        )],
        ..Mem::default()
    };
    assert_eq!(
        prove(
            &mem,
            &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u3?distro=debian-12"),
            None
        )
        .unwrap()
        .verdict,
        Verdict::Affected
    );
    assert_eq!(
        prove(
            &mem,
            &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u4?distro=debian-12"),
            None
        )
        .unwrap()
        .verdict,
        Verdict::Fixed
    );
    let na = json!({"id": "CVE-2023-38545", "releases": {"bookworm": {"status": "resolved", "fixed_version": "0"}}});
    let mem = Mem {
        advisories: vec![row("advisories", "CVE-2023-38545", CURL, na, "t.json")],
        ..Mem::default()
    };
    let proof = prove(
        &mem,
        &req("pkg:deb/debian/curl@7.88.1-10?distro=debian-12"),
        None,
    )
    .unwrap();
    assert_eq!(proof.verdict, Verdict::NotAffected);
}

#[test]
fn patches_count_only_at_or_below_the_installed_version_and_hunksig_raises_confidence() {
    let patch = |pkg: &str, version: &str, sig: &str, entry: &str| {
        row(
            "patches",
            "CVE-2023-38545",
            pkg,
            json!({"path": entry, "version": version, "patch_hunksig": sig}),
            entry,
        )
    };
    let mem = Mem {
        patches: vec![
            patch(
                CURL,
                "7.88.1-10+deb12u4",
                "hs1",
                "patches/curl/CVE-2023-38545.patch",
            ),
            patch(
                "pkg:github/curl/curl",
                "8.4.0",
                "hs1",
                "patches/upstream/fix.patch",
            ),
        ],
        ..Mem::default()
    };
    let proof = prove(&mem, &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"), None).unwrap();
    assert_eq!((proof.verdict, proof.confidence), (Verdict::Fixed, 0.9));
    let proof = prove(&mem, &req("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u3"), None).unwrap();
    assert_eq!(proof.verdict, Verdict::Unknown);
}
