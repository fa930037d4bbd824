//! A fast RFC 8785 serializer for `serde_json::Value`, used on the import hot path. It writes
//! the same bytes as `bundle_format::canonical::to_canonical_vec` (tested below): members
//! sorted by UTF-16 code units, serde_json's string escaping (which is JCS's: `\"`, `\\`,
//! `\b \f \n \r \t`, other controls as lowercase `\u00xx`, nothing else escaped), integers as
//! decimal; any other number goes through the reference canonicalizer.

use serde_json::Value;

/// Appends the RFC 8785 form of `value` to `out`.
pub fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            // Integers up to 2^53 print as decimal in both; beyond that JCS goes through a double.
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= 1 << 53) {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                out.extend_from_slice(
                    &bundle_format::canonical::to_canonical_vec(n)
                        .expect("finite JSON numbers canonicalize"),
                );
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            if !members.windows(2).all(|w| utf16_le(w[0].0, w[1].0)) {
                members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

fn utf16_le(a: &str, b: &str) -> bool {
    a.encode_utf16().cmp(b.encode_utf16()) != std::cmp::Ordering::Greater
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The RFC 8785 form of `value`.
#[must_use]
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_as_reference() {
        let cases = [
            r#"{"b":1,"a":[true,false,null,-5,18446744073709551615,1.5,1e21,0.1],"\u0001\n\"\\\/é€😀":"x\u001f\u007f"}"#,
            r#"{"€":1,"😀":2,"ﬀ":3,"a":{"z":{},"y":[]}}"#,
            r#"[1,"",{},[],-0.0,123456789012,2.5e-7]"#,
        ];
        for c in cases {
            let v: Value = serde_json::from_str(c).unwrap();
            assert_eq!(
                String::from_utf8(to_vec(&v)).unwrap(),
                String::from_utf8(bundle_format::canonical::to_canonical_vec(&v).unwrap()).unwrap()
            );
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/vectors/jcs/input");
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                assert_eq!(
                    to_vec(&v),
                    bundle_format::canonical::to_canonical_vec(&v).unwrap(),
                    "{:?}",
                    e.path()
                );
            }
        }
    }
}
