use super::*;
use crate::crypto::{KeyAlgorithm, PrivateKey};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn signed_root(keys: &[&PrivateKey], threshold: u64) -> Draft {
    let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let mut draft = Draft::init(&publics, threshold, at("2030-01-01T00:00:00Z")).unwrap();
    for k in keys {
        draft.sign(k).unwrap();
    }
    draft
}

fn load(draft: &Draft, when: &str) -> Result<TrustRoot, TrustError> {
    let env = draft.envelope();
    let body = TrustRootBody::from_canonical(&env.payload)?;
    TrustRoot::verify(env, body, at(when))
}

#[test]
fn self_signed_root_verifies_and_expires() {
    let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let draft = signed_root(&[&k], 1);
    load(&draft, "2029-01-01T00:00:00Z").unwrap();
    assert_eq!(
        load(&draft, "2030-01-01T00:00:00Z").unwrap_err().code(),
        "trust-root-expired"
    );
}

#[test]
fn threshold_of_root_keys_is_required() {
    let a = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let b = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut draft = Draft::init(
        &[a.public_key(), b.public_key()],
        2,
        at("2030-01-01T00:00:00Z"),
    )
    .unwrap();
    draft.sign(&a).unwrap();
    assert_eq!(
        load(&draft, "2029-01-01T00:00:00Z").unwrap_err().code(),
        "threshold-not-met"
    );
    assert!(draft.sign(&a).is_err(), "the same key cannot sign twice");
    draft.sign(&b).unwrap();
    load(&draft, "2029-01-01T00:00:00Z").unwrap();
}

#[test]
fn rotation_needs_old_and_new_root_keys_and_the_next_version() {
    let old = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let new = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let v1 = signed_root(&[&old], 1);
    let mut v2 = v1.clone();
    v2.add_key(Role::Root, &new.public_key()).unwrap();
    v2.remove_key(Role::Root, old.key_id()).unwrap();
    assert_eq!(v2.body().version, 2);
    v2.sign(&new).unwrap();
    let v2_root = load(&v2, "2029-01-01T00:00:00Z").unwrap();
    let err = v2_root.verify_rotation_from(v1.body()).unwrap_err();
    assert_eq!(err.code(), "threshold-not-met", "{err}");
    v2.sign(&old).unwrap();
    let v2_root = load(&v2, "2029-01-01T00:00:00Z").unwrap();
    v2_root.verify_rotation_from(v1.body()).unwrap();

    // Skipping a version is refused even with the right keys.
    let mut v3 = v2.clone();
    v3.set_threshold(Role::BundleSigner, 1).unwrap();
    v3.sign(&new).unwrap();
    let mut v4 = v3.clone();
    v4.set_threshold(Role::Root, 1).unwrap();
    v4.add_witness("w+01234567+AAAA".into()).unwrap();
    v4.sign(&new).unwrap();
    assert_eq!(v4.body().version, 4);
    let v4_root = load(&v4, "2029-01-01T00:00:00Z").unwrap();
    assert_eq!(
        v4_root.verify_rotation_from(v2.body()).unwrap_err().code(),
        "trust-root-version-skip"
    );
}

#[test]
fn role_keys_respect_validity_windows() {
    let root = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let signer = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let mut draft = signed_root(&[&root], 1);
    draft
        .add_key(Role::BundleSigner, &signer.public_key())
        .unwrap();
    draft
        .body
        .keys
        .get_mut(signer.key_id())
        .unwrap()
        .valid_until = Some("2028-01-01T00:00:00Z".into());
    draft.sign(&root).unwrap();
    let tr = load(&draft, "2027-01-01T00:00:00Z").unwrap();
    assert_eq!(tr.role_keys(Role::BundleSigner).unwrap().0.len(), 1);
    let tr = load(&draft, "2028-06-01T00:00:00Z").unwrap();
    assert_eq!(
        tr.role_keys(Role::BundleSigner).unwrap_err().code(),
        "role-empty"
    );
}

#[test]
fn non_canonical_payload_is_refused() {
    let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let draft = signed_root(&[&k], 1);
    let mut env = draft.envelope();
    let mut value: serde_json::Value = serde_json::from_slice(&env.payload).unwrap();
    value["version"] = serde_json::json!(1);
    env.payload = serde_json::to_vec_pretty(&value).unwrap();
    let err = TrustRootBody::from_canonical(&env.payload).unwrap_err();
    assert_eq!(err.code(), "trust-root-malformed");
    assert!(err.to_string().contains("canonical"), "{err}");
}
