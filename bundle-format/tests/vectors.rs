//! Official vectors: RFC 8785 (cyberphone/json-canonicalization testdata) and DSSE PAE.

use std::path::PathBuf;

use bundle_format::canonical::{
    canonical_value_vec, parse_canonical, parse_strict, to_canonical_vec,
};
use bundle_format::dsse::{Envelope, pae};

fn vectors(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/vectors")
        .join(rel)
}

#[test]
fn rfc8785_inputs_canonicalize_to_the_expected_bytes() {
    let mut seen = 0;
    for entry in std::fs::read_dir(vectors("jcs/input")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let input = std::fs::read(&path).unwrap();
        let expected = std::fs::read(vectors("jcs/output").join(&name)).unwrap();
        let value = parse_strict(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = to_canonical_vec(&value).unwrap();
        assert_eq!(canonical_value_vec(&value), got, "{name}: the fast writer");
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        // The hex form agrees with the output file, and the output is its own canonical form.
        let hex_name = name.replace(".json", ".txt");
        let hex: String = std::fs::read_to_string(vectors("jcs/outhex").join(hex_name))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(hex::encode(&got), hex, "{name} outhex");
        parse_canonical(&expected)
            .unwrap_or_else(|e| panic!("{name}: canonical output refused: {e}"));
        seen += 1;
    }
    assert_eq!(seen, 6);
}

#[test]
fn dsse_pae_vectors() {
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors("dsse/pae-computed-cases.json")).unwrap())
            .unwrap();
    for case in cases["cases"].as_array().unwrap() {
        let t = String::from_utf8(hex::decode(case["payloadType_hex"].as_str().unwrap()).unwrap())
            .unwrap();
        let body = hex::decode(case["body_hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            hex::encode(pae(&t, &body)),
            case["pae_hex"].as_str().unwrap(),
            "{}",
            case["note"]
        );
    }
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors("dsse/protocol-test-vector.json")).unwrap())
            .unwrap();
    let env = Envelope::from_json(
        &std::fs::read(vectors("dsse/protocol-test-vector.envelope.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(env.payload_type, spec["payloadType"].as_str().unwrap());
    assert_eq!(hex::encode(env.pae()), spec["pae_hex"].as_str().unwrap());
}
