//! Findings from scanners: (vulnerability id, package URL with version) pairs.
//!
//! Formats are recognized by content: Trivy JSON (`Results[].Vulnerabilities[]`, purl from
//! `PkgIdentifier.PURL`, source package from `SrcName`), Grype JSON (`matches[]`, purl from
//! `artifact.purl`, source from `artifact.upstreams`), CycloneDX JSON (`vulnerabilities[]`
//! whose `affects[].ref` names a component's `bom-ref` with a purl), and CSV lines `id,purl`
//! (a header line `id,purl` and `#` comments are skipped).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::{Coded, FailureClass};

/// The largest findings file read, in bytes.
pub const MAX_FINDINGS_BYTES: usize = 512 * 1024 * 1024;

/// One finding to prove.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Vulnerability id as the scanner wrote it.
    pub vulnerability: String,
    /// Package URL with version the engine proves against: the scanner's purl, with an
    /// `upstream=<source package>` qualifier added when the scanner named the source package
    /// elsewhere in the report.
    pub purl: String,
    /// The package's purl exactly as the scanner wrote it: the VEX product (or subcomponent)
    /// has to match the scanner's own identifier, so nothing is added to it.
    pub product: String,
    /// The scanned container image as `pkg:oci/NAME@sha256%3AHEX`, when the report names an
    /// image by digest (Trivy `Metadata.RepoDigests`, Grype `source.target.repoDigests`).
    pub image: Option<String>,
}

/// `pkg:oci/NAME@sha256%3AHEX` from a repo digest such as `docker.io/library/debian@sha256:…`
/// (the purl spec's `oci` type: the name is the last path segment, the version the digest).
fn oci_purl(repo_digest: &str) -> Option<String> {
    let (repo, digest) = repo_digest.split_once('@')?;
    let hex = digest.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let name = repo.rsplit('/').next()?.to_ascii_lowercase();
    (!name.is_empty()).then(|| format!("pkg:oci/{name}@sha256%3A{}", hex.to_ascii_lowercase()))
}

fn first_str(v: &Value) -> Option<&str> {
    v.as_array().and_then(|a| a.first()).and_then(Value::as_str)
}

/// Why a findings file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FindingsError {
    /// Larger than [`MAX_FINDINGS_BYTES`].
    #[error("findings file is {found} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size.
        found: usize,
        /// Limit.
        max: usize,
    },
    /// Not one of the recognized formats.
    #[error("{0}")]
    Format(String),
}

impl Coded for FindingsError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "findings-too-large",
            Self::Format(_) => "findings-malformed",
        }
    }

    fn class(&self) -> FailureClass {
        FailureClass::CouldNotRun
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Adds `upstream=<src>` to a purl that lacks a source qualifier, so the engine can find
/// the source package's evidence.
fn with_upstream(purl: &str, src: Option<&str>) -> String {
    match src {
        Some(src) if !src.is_empty() && !purl.contains("upstream=") => {
            let sep = if purl.contains('?') { '&' } else { '?' };
            format!("{purl}{sep}upstream={src}")
        }
        _ => purl.to_owned(),
    }
}

fn trivy(doc: &Value) -> Result<Vec<Finding>, FindingsError> {
    let image = first_str(&doc["Metadata"]["RepoDigests"]).and_then(oci_purl);
    let mut out = Vec::new();
    for (r, result) in doc["Results"].as_array().into_iter().flatten().enumerate() {
        for (i, v) in result["Vulnerabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let id = s(v, &["VulnerabilityID"]).ok_or_else(|| {
                FindingsError::Format(format!(
                    "Results[{r}].Vulnerabilities[{i}].VulnerabilityID: expected a string"
                ))
            })?;
            let purl = s(v, &["PkgIdentifier", "PURL"]).ok_or_else(|| {
                FindingsError::Format(format!(
                    "Results[{r}].Vulnerabilities[{i}].PkgIdentifier.PURL: expected a purl (Trivy ≥ 0.48 writes it)"
                ))
            })?;
            let src = s(v, &["SrcName"]).filter(|src| Some(*src) != s(v, &["PkgName"]));
            out.push(Finding {
                vulnerability: id.to_owned(),
                purl: with_upstream(purl, src),
                product: purl.to_owned(),
                image: image.clone(),
            });
        }
    }
    Ok(out)
}

fn grype(doc: &Value) -> Result<Vec<Finding>, FindingsError> {
    let image = first_str(&doc["source"]["target"]["repoDigests"]).and_then(oci_purl);
    let mut out = Vec::new();
    for (i, m) in doc["matches"].as_array().into_iter().flatten().enumerate() {
        let id = s(m, &["vulnerability", "id"]).ok_or_else(|| {
            FindingsError::Format(format!("matches[{i}].vulnerability.id: expected a string"))
        })?;
        let purl = s(m, &["artifact", "purl"]).ok_or_else(|| {
            FindingsError::Format(format!("matches[{i}].artifact.purl: expected a purl"))
        })?;
        let src = m["artifact"]["upstreams"]
            .as_array()
            .and_then(|u| u.first())
            .and_then(|u| u["name"].as_str());
        out.push(Finding {
            vulnerability: id.to_owned(),
            purl: with_upstream(purl, src),
            product: purl.to_owned(),
            image: image.clone(),
        });
    }
    Ok(out)
}

fn cyclonedx(doc: &Value) -> Result<Vec<Finding>, FindingsError> {
    let mut refs = BTreeMap::new();
    let mut stack: Vec<&Value> = doc["components"].as_array().into_iter().flatten().collect();
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (c["bom-ref"].as_str(), c["purl"].as_str()) {
            refs.insert(r.to_owned(), p.to_owned());
        }
        stack.extend(c["components"].as_array().into_iter().flatten());
    }
    let mut out = Vec::new();
    for (i, v) in doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let id = s(v, &["id"]).ok_or_else(|| {
            FindingsError::Format(format!("vulnerabilities[{i}].id: expected a string"))
        })?;
        for (j, a) in v["affects"].as_array().into_iter().flatten().enumerate() {
            let r = a["ref"].as_str().unwrap_or_default();
            let purl = refs.get(r).cloned().or_else(|| r.starts_with("pkg:").then(|| r.to_owned())).ok_or_else(|| {
                FindingsError::Format(format!("vulnerabilities[{i}].affects[{j}].ref {r:?}: names no component with a purl"))
            })?;
            out.push(Finding {
                vulnerability: id.to_owned(),
                product: purl.clone(),
                purl,
                image: None,
            });
        }
    }
    Ok(out)
}

fn csv(text: &str) -> Result<Vec<Finding>, FindingsError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.eq_ignore_ascii_case("id,purl") {
            continue;
        }
        let (id, purl) = line.split_once(',').ok_or_else(|| {
            FindingsError::Format(format!(
                "line {}: expected `id,purl`, found {line:?}",
                n + 1
            ))
        })?;
        let purl = purl.trim().trim_matches('"');
        if !purl.starts_with("pkg:") {
            return Err(FindingsError::Format(format!(
                "line {}: expected a purl, found {purl:?}",
                n + 1
            )));
        }
        out.push(Finding {
            vulnerability: id.trim().trim_matches('"').to_owned(),
            purl: purl.to_owned(),
            product: purl.to_owned(),
            image: None,
        });
    }
    Ok(out)
}

/// Reads findings in any of the supported formats; duplicates are dropped, order is sorted.
///
/// # Errors
/// [`FindingsError`] naming the field or line.
pub fn read_findings(bytes: &[u8]) -> Result<Vec<Finding>, FindingsError> {
    if bytes.len() > MAX_FINDINGS_BYTES {
        return Err(FindingsError::TooLarge {
            found: bytes.len(),
            max: MAX_FINDINGS_BYTES,
        });
    }
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&bytes[..0], |i| &bytes[i..]);
    let found = if trimmed.first() == Some(&b'{') {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| FindingsError::Format(format!("JSON: {e}")))?;
        if doc.get("Results").is_some() || doc.get("SchemaVersion").is_some() {
            trivy(&doc)?
        } else if doc.get("matches").is_some() {
            grype(&doc)?
        } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            cyclonedx(&doc)?
        } else {
            return Err(FindingsError::Format(
                "JSON is neither a Trivy report (Results), a Grype report (matches) nor CycloneDX (bomFormat)".into(),
            ));
        }
    } else {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| FindingsError::Format(format!("CSV is not UTF-8: {e}")))?;
        csv(text)?
    };
    Ok(found
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_four_formats() {
        let trivy = br#"{"SchemaVersion":2,"Results":[{"Target":"debian 12.5","Vulnerabilities":[{"VulnerabilityID":"CVE-2023-38545","PkgName":"libcurl4","SrcName":"curl","PkgIdentifier":{"PURL":"pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12.5"}}]}]}"#;
        let f = read_findings(trivy).unwrap();
        assert_eq!(
            f[0].purl,
            "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12.5&upstream=curl"
        );
        // The product stays the scanner's purl, so Trivy can match it.
        assert_eq!(
            f[0].product,
            "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12.5"
        );
        assert_eq!(f[0].image, None);
        let grype = br#"{"matches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"purl":"pkg:deb/debian/curl@1?distro=debian-12"}}]}"#;
        assert_eq!(read_findings(grype).unwrap()[0].vulnerability, "CVE-1");
        let d = "a".repeat(64);
        let grype_image = format!(
            r#"{{"source":{{"type":"image","target":{{"repoDigests":["docker.io/library/Debian@sha256:{d}"]}}}},"matches":[{{"vulnerability":{{"id":"CVE-1"}},"artifact":{{"purl":"pkg:deb/debian/curl@1?distro=debian-12"}}}}]}}"#
        );
        assert_eq!(
            read_findings(grype_image.as_bytes()).unwrap()[0]
                .image
                .as_deref(),
            Some(format!("pkg:oci/debian@sha256%3A{d}").as_str())
        );
        assert_eq!(oci_purl("debian@sha256:short"), None);
        assert_eq!(oci_purl("debian:12"), None);
        let cdx = br#"{"bomFormat":"CycloneDX","components":[{"bom-ref":"c1","purl":"pkg:rpm/redhat/openssl@3.0.7-1.el9"}],"vulnerabilities":[{"id":"CVE-2","affects":[{"ref":"c1"}]}]}"#;
        assert_eq!(
            read_findings(cdx).unwrap()[0].purl,
            "pkg:rpm/redhat/openssl@3.0.7-1.el9"
        );
        let csv = b"id,purl\nCVE-3,pkg:apk/alpine/musl@1.2.4-r2\n# comment\nCVE-3,pkg:apk/alpine/musl@1.2.4-r2\n";
        assert_eq!(read_findings(csv).unwrap().len(), 1);
    }

    #[test]
    fn bad_input_names_the_field_or_line() {
        let e = read_findings(b"id,purl\nCVE-1 pkg:x\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = read_findings(br#"{"matches":[{"vulnerability":{}}]}"#).unwrap_err();
        assert!(e.to_string().contains("matches[0].vulnerability.id"), "{e}");
        assert!(read_findings(br#"{"other":1}"#).is_err());
    }
}
