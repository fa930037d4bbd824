//! `airlock store`: digest independence from history, gc, check.

use airlock::bundle_format::EntryKind;

use crate::common::expect_code;
use crate::import::{Env, Spec, evidence, write_bundle};

#[test]
fn gc_drops_unreferenced_raw_and_check_passes() {
    let env = Env::new();
    let n1 = write_bundle(&env, "n1.airlock", &Spec::default(), &evidence(5, 1));
    let n2 = write_bundle(
        &env,
        "n2.airlock",
        &Spec {
            sequence: 2,
            ..Spec::default()
        },
        &evidence(5, 2),
    );
    env.import(&[&n1, &n2], &[], 0);
    let d = env.digest();
    let out = expect_code(
        env.path(),
        &["store", "gc", "--store", &env.store(), "--json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["removed"].as_u64().unwrap() >= 2, "{out}");
    assert_eq!(env.digest(), d, "gc does not change the logical content");
    env.check();
    let out = expect_code(
        env.path(),
        &["store", "gc", "--store", &env.store(), "--json"],
        0,
    );
    assert!(out.contains("\"removed\": 0"), "{out}");
}

#[test]
fn digest_ignores_import_history_and_channels_differ() {
    let a = Env::new();
    let ev = |n| {
        let mut e = evidence(n, 1);
        e.push((
            "blobs/readme.txt".into(),
            EntryKind::Blob,
            b"hello".to_vec(),
        ));
        e
    };
    let x = write_bundle(
        &a,
        "x.airlock",
        &Spec {
            channel: "x",
            ..Spec::default()
        },
        &ev(3),
    );
    let y = write_bundle(
        &a,
        "y.airlock",
        &Spec {
            channel: "y",
            ..Spec::default()
        },
        &ev(4),
    );
    a.import(&[&x, &y], &[], 0);
    let b = Env::new();
    let x2 = write_bundle(
        &b,
        "x.airlock",
        &Spec {
            channel: "x",
            ..Spec::default()
        },
        &ev(3),
    );
    let y2 = write_bundle(
        &b,
        "y.airlock",
        &Spec {
            channel: "y",
            ..Spec::default()
        },
        &ev(4),
    );
    b.import(&[&y2], &[], 0);
    b.import(&[&x2], &[], 0);
    assert_eq!(a.digest(), b.digest(), "import order does not matter");
    let json = expect_code(
        a.path(),
        &["store", "digest", "--store", &a.store(), "--json"],
        0,
    );
    assert!(json.contains("sha256:"));
}
