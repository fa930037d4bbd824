//! What changed, in the artifact's own terms: the artifact type, per-section and function
//! views of executables (sections through `object`, functions from [`crate::binary`]; stripped
//! binaries fall back to sections), archive
//! members (zip / jar / wheel, tar, .deb, gzip, OCI image archives) and materials (CycloneDX,
//! SPDX, SLSA `resolvedDependencies`, OCI layers, .deb `Depends`).
//!
//! Everything here is analysis over untrusted bytes: bounded, never panicking, and never
//! needed to reproduce the target (the payload acts on the artifact's exact bytes).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use base64::Engine as _;
use bundle_format::delta::manifest::{
    ArtifactDigests, AttestationRef, ContainerView, FunctionChange, FunctionsChanged, Material,
    MaterialsDelta, MemberDelta, SectionDelta,
};
use bundle_format::digest::Digest;
use object::{Object, ObjectSection};

/// Most archive members looked at.
pub const MAX_MEMBERS: usize = 100_000;
/// Largest decompressed member or inner stream looked at, in bytes.
pub const MAX_INNER_BYTES: u64 = 1 << 30;
/// Most functions listed in `functions_changed.top`.
pub const TOP_FUNCTIONS: usize = 25;

/// The analysis of a base/target pair.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Artifact type.
    pub artifact_type: String,
    /// Sections (executables).
    pub sections: Vec<SectionDelta>,
    /// Functions (executables).
    pub functions_changed: FunctionsChanged,
    /// Members (archives).
    pub container: ContainerView,
    /// Materials.
    pub materials_delta: MaterialsDelta,
}

/// Names the artifact type from its content alone (so verify can recompute it).
#[must_use]
pub fn detect(data: &[u8]) -> String {
    detect_listed(data).0
}

/// A member listing [`detect`] had to compute: of a zip (`Zip`), or of the tar inside a gzip
/// (`Gzip`, `None` if it does not decompress or is not a tar).
enum Listed {
    Zip(Option<Members>),
    Gzip(Option<Members>),
}

/// [`detect`], also returning the member listing it computed, so that [`analyze`] does not
/// decompress and list the artifact a second time.
fn detect_listed(data: &[u8]) -> (String, Option<Listed>) {
    let mut listed = None;
    let t = if data.starts_with(b"\x7fELF") {
        "elf"
    } else if data.starts_with(b"MZ") {
        "pe"
    } else if data.len() >= 4
        && matches!(
            u32::from_le_bytes([data[0], data[1], data[2], data[3]]),
            0xfeed_face | 0xfeed_facf
        )
    {
        "macho"
    } else if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        let names = zip_members(data);
        let t = match &names {
            Some(n) if n.keys().any(|n| n.ends_with(".dist-info/WHEEL")) => "wheel",
            Some(n) if n.contains_key("META-INF/MANIFEST.MF") => "jar",
            _ => "zip",
        };
        listed = Some(Listed::Zip(names));
        t
    } else if super::rpm::is_rpm(data) {
        "rpm"
    } else if data.starts_with(b"!<arch>\ndebian-binary") {
        "deb"
    } else if data.starts_with(b"!<arch>\n") {
        "ar"
    } else if data.starts_with(&[0x1f, 0x8b]) {
        let inner = gunzip(data).and_then(|t| tar_members(&t));
        let t = match &inner {
            Some(m)
                if m.keys().any(|n| {
                    n.split('/').nth(1) == Some("Cargo.toml") && n.matches('/').count() == 1
                }) =>
            {
                "crate"
            }
            Some(m) if !m.is_empty() => "tar+gzip",
            _ => "gzip",
        };
        listed = Some(Listed::Gzip(inner));
        t
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "xz"
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd"
    } else if data.len() > 262 && &data[257..262] == b"ustar" {
        if tar_members(data)
            .is_some_and(|m| m.contains_key("oci-layout") && m.contains_key("index.json"))
        {
            "oci-archive"
        } else {
            "tar"
        }
    } else {
        json_kind(data).unwrap_or("blob")
    };
    (t.to_owned(), listed)
}

fn json_kind(data: &[u8]) -> Option<&'static str> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' || data.len() > 64 << 20 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(data).ok()?;
    if v.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
        Some("cyclonedx")
    } else if v.get("spdxVersion").is_some() {
        Some("spdx")
    } else if v.get("payloadType").is_some() {
        Some("dsse")
    } else {
        Some("json")
    }
}

/// Analyzes a pair.
#[must_use]
pub fn analyze(base: &[u8], target: &[u8]) -> Analysis {
    let (bt, b_listed) = detect_listed(base);
    let (tt, t_listed) = detect_listed(target);
    let zip = |d: &[u8], l: Option<Listed>| match l {
        Some(Listed::Zip(m)) => m,
        _ => zip_members(d),
    };
    let gz = |d: &[u8], l: Option<Listed>| match l {
        Some(Listed::Gzip(m)) => m,
        _ => gunzip(d).as_deref().and_then(tar_members),
    };
    let mut a = Analysis {
        artifact_type: if bt == tt {
            tt.clone()
        } else {
            format!("{bt}->{tt}")
        },
        ..Analysis::default()
    };
    a.functions_changed.note = "not an executable".into();
    match tt.as_str() {
        "elf" | "pe" | "macho" => executable(base, target, &mut a),
        "zip" | "jar" | "wheel" => {
            members(zip(base, b_listed), zip(target, t_listed), "zip", &mut a)
        }
        "tar" => members(tar_members(base), tar_members(target), "tar", &mut a),
        "oci-archive" => {
            members(tar_members(base), tar_members(target), "tar", &mut a);
            let (b, t) = (oci_layers(base), oci_layers(target));
            a.materials_delta = diff_materials(&b, &t);
            a.materials_delta.sources.push("oci-layers".into());
        }
        "gzip" | "crate" | "tar+gzip" => {
            members(gz(base, b_listed), gz(target, t_listed), "tar+gzip", &mut a);
            a.container.notes.push(
                "gzip container: members compared after decompression; the payload acts on the compressed bytes".into(),
            );
        }
        "deb" => deb(base, target, &mut a),
        "rpm" => rpm(base, target, &mut a),
        "cyclonedx" | "spdx" => {
            let (b, t) = (sbom_materials(base), sbom_materials(target));
            a.materials_delta = diff_materials(&b, &t);
            a.materials_delta.sources.push(tt.clone());
        }
        _ => {}
    }
    a
}

fn executable(base: &[u8], target: &[u8], a: &mut Analysis) {
    let (Ok(bf), Ok(tf)) = (object::File::parse(base), object::File::parse(target)) else {
        a.functions_changed.note =
            "executable header could not be parsed; byte-level delta only".into();
        return;
    };
    let secs = |f: &object::File<'_>| -> BTreeMap<String, (u64, Option<Digest>)> {
        f.sections()
            .filter_map(|s| {
                let name = s.name().ok()?.to_owned();
                if name.is_empty() {
                    return None;
                }
                Some((name, (s.size(), s.data().ok().map(Digest::sha256))))
            })
            .collect()
    };
    let (bs, ts) = (secs(&bf), secs(&tf));
    let names: BTreeSet<&String> = bs.keys().chain(ts.keys()).collect();
    a.sections = names
        .into_iter()
        .map(|n| {
            let (b, t) = (bs.get(n), ts.get(n));
            SectionDelta {
                name: n.clone(),
                base_size: b.map(|x| x.0),
                target_size: t.map(|x| x.0),
                changed: b.map(|x| x.1) != t.map(|x| x.1),
            }
        })
        .collect();
    let ((bfn, bun), (tfn, tun)) = (functions(base), functions(target));
    if bfn.is_empty() || tfn.is_empty() {
        let which = match (bfn.is_empty(), tfn.is_empty()) {
            (true, true) => "base and target have",
            (true, false) => "base has",
            _ => "target has",
        };
        let unwind = if bun + tun > 0 {
            format!(
                " ({bun} / {tun} unnamed functions found from unwind tables, not matched by name)"
            )
        } else {
            String::new()
        };
        a.functions_changed = FunctionsChanged {
            available: false,
            note: format!("{which} no function symbols (stripped?): per-section view only{unwind}"),
            ..FunctionsChanged::default()
        };
        return;
    }
    let mut fc = FunctionsChanged {
        available: true,
        note:
            "functions matched by symbol name; modified = body bytes differ (relocated calls count)"
                .into(),
        ..FunctionsChanged::default()
    };
    let mut changes = Vec::new();
    let names: BTreeSet<&String> = bfn.keys().chain(tfn.keys()).collect();
    for n in names {
        let (b, t) = (bfn.get(n), tfn.get(n));
        let change = match (b, t) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(x), Some(y)) if x.hash != y.hash => "modified",
            _ => {
                fc.unchanged += 1;
                continue;
            }
        };
        match change {
            "added" => fc.added += 1,
            "removed" => fc.removed += 1,
            _ => fc.modified += 1,
        }
        let bsz = b.map_or(0, |x| x.size);
        let tsz = t.map_or(0, |x| x.size);
        changes.push(FunctionChange {
            name: n.clone(),
            section: t.or(b).map(|x| x.section.clone()).unwrap_or_default(),
            change: change.into(),
            base_size: bsz,
            target_size: tsz,
            size_delta: tsz as i64 - bsz as i64,
        });
    }
    changes.sort_by(|x, y| {
        let rank = |c: &FunctionChange| u8::from(c.change == "modified");
        rank(x)
            .cmp(&rank(y))
            .then(
                y.size_delta
                    .unsigned_abs()
                    .cmp(&x.size_delta.unsigned_abs()),
            )
            .then(x.name.cmp(&y.name))
    });
    changes.truncate(TOP_FUNCTIONS);
    fc.top = changes;
    a.functions_changed = fc;
}

struct Func {
    size: u64,
    section: String,
    hash: Digest,
}

/// Named functions of the first image in `data`, from the binary analysis
/// ([`crate::binary::format`]: symbol tables, then dynamic symbols; functions found only in
/// unwind tables have no stable name across builds and are left out). Returns the functions and
/// how many unnamed ones were skipped.
fn functions(data: &[u8]) -> (BTreeMap<String, Func>, usize) {
    use crate::binary::{extract, format};
    let mut out = BTreeMap::new();
    let limits = format::Limits {
        max_functions: MAX_MEMBERS,
        ..format::Limits::default()
    };
    let Ok(images) = format::parse(data, &limits) else {
        return (out, 0);
    };
    let Some(img) = images.first() else {
        return (out, 0);
    };
    let Ok(list) = img.functions() else {
        return (out, 0);
    };
    let sections: Vec<(&str, u64, u64)> = img
        .code_sections()
        .map(|(n, addr, d)| (n, addr, d.len() as u64))
        .collect();
    let mut unnamed = 0;
    for f in &list.functions {
        if extract::is_unnamed(&f.name) {
            unnamed += 1;
            continue;
        }
        if out.contains_key(&f.name) {
            continue;
        }
        let section = sections
            .iter()
            .find(|(_, addr, len)| f.address >= *addr && f.address - addr < *len)
            .map_or("", |s| s.0);
        out.insert(
            f.name.clone(),
            Func {
                size: f.size,
                section: section.to_owned(),
                hash: Digest::sha256(img.function_bytes(f).unwrap_or(&[])),
            },
        );
    }
    (out, unnamed)
}

type Members = BTreeMap<String, (Digest, u64)>;

fn members(base: Option<Members>, target: Option<Members>, kind: &str, a: &mut Analysis) {
    a.container.kind = kind.into();
    a.container.exact_bytes = true;
    let (Some(b), Some(t)) = (base, target) else {
        a.container.notes.push(format!(
            "{kind}: members could not be listed; byte-level delta only"
        ));
        return;
    };
    let names: BTreeSet<&String> = b.keys().chain(t.keys()).collect();
    for n in names {
        let (x, y) = (b.get(n), t.get(n));
        let change = match (x, y) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(p), Some(q)) if p.0 != q.0 => "modified",
            _ => "unchanged",
        };
        match change {
            "added" => a.container.added += 1,
            "removed" => a.container.removed += 1,
            "modified" => a.container.modified += 1,
            _ => a.container.unchanged += 1,
        }
        if change != "unchanged" {
            a.container.members.push(MemberDelta {
                path: n.clone(),
                change: change.into(),
                base_sha256: x.map(|v| v.0),
                target_sha256: y.map(|v| v.0),
                target_size: y.map(|v| v.1),
            });
        }
    }
    if a.container.added + a.container.removed + a.container.modified == 0 {
        a.container.notes.push(format!(
            "{kind}: every member's content is identical; the container was repacked (order, metadata or compression)"
        ));
    }
}

fn read_capped(r: impl Read, cap: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    r.take(cap + 1).read_to_end(&mut out).ok()?;
    (out.len() as u64 <= cap).then_some(out)
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    read_capped(flate2::read::MultiGzDecoder::new(data), MAX_INNER_BYTES)
}

fn decompress_by_name(name: &str, data: &[u8]) -> Option<Vec<u8>> {
    if name.ends_with(".gz") {
        gunzip(data)
    } else if name.ends_with(".xz") {
        read_capped(xz2::read::XzDecoder::new(data), MAX_INNER_BYTES)
    } else if name.ends_with(".zst") {
        read_capped(
            zstd::stream::read::Decoder::new(data).ok()?,
            MAX_INNER_BYTES,
        )
    } else if name.ends_with(".tar") {
        Some(data.to_vec())
    } else {
        None
    }
}

fn u16le(d: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32le(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        d.get(at..at + 4)?.try_into().ok()?,
    )))
}

/// Members of a zip (stored and deflated; no zip64), hashed after decompression.
#[must_use]
pub fn zip_members(d: &[u8]) -> Option<Members> {
    let search_from = d.len().saturating_sub(65_557);
    let eocd = (search_from..d.len().saturating_sub(21))
        .rev()
        .find(|&i| d[i..i + 4] == *b"PK\x05\x06")?;
    let count = u16le(d, eocd + 10)?;
    let mut p = usize::try_from(u32le(d, eocd + 16)?).ok()?;
    let mut out = Members::new();
    for _ in 0..count.min(MAX_MEMBERS) {
        if d.get(p..p + 4)? != b"PK\x01\x02" {
            return None;
        }
        let method = u16le(d, p + 10)?;
        let csize = u32le(d, p + 20)?;
        let usize_ = u32le(d, p + 24)?;
        let (nl, el, cl) = (u16le(d, p + 28)?, u16le(d, p + 30)?, u16le(d, p + 32)?);
        let local = usize::try_from(u32le(d, p + 42)?).ok()?;
        let name = String::from_utf8_lossy(d.get(p + 46..p + 46 + nl)?).into_owned();
        p += 46 + nl + el + cl;
        if name.ends_with('/') {
            continue;
        }
        let (lnl, lel) = (u16le(d, local + 26)?, u16le(d, local + 28)?);
        let start = local + 30 + lnl + lel;
        let comp = d.get(start..start + usize::try_from(csize).ok()?)?;
        let data = match method {
            0 => comp.to_vec(),
            8 => read_capped(
                flate2::read::DeflateDecoder::new(comp),
                usize_.min(MAX_INNER_BYTES),
            )?,
            _ => return None,
        };
        out.insert(name, (Digest::sha256(&data), data.len() as u64));
    }
    Some(out)
}

/// Members of a tar (regular files), hashed.
#[must_use]
pub fn tar_members(d: &[u8]) -> Option<Members> {
    let mut ar = tar::Archive::new(d);
    let mut out = Members::new();
    for e in ar.entries().ok()? {
        let mut e = e.ok()?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_start_matches("./")
            .to_owned();
        let data = read_capped(&mut e, MAX_INNER_BYTES)?;
        out.insert(name, (Digest::sha256(&data), data.len() as u64));
        if out.len() >= MAX_MEMBERS {
            break;
        }
    }
    Some(out)
}

fn tar_file(d: &[u8], want: &str) -> Option<Vec<u8>> {
    let mut ar = tar::Archive::new(d);
    for e in ar.entries().ok()? {
        let mut e = e.ok()?;
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_start_matches("./")
            .to_owned();
        if name == want {
            return read_capped(&mut e, 64 << 20);
        }
    }
    None
}

/// The members of a Unix `ar` archive (name, bytes).
fn ar_members(d: &[u8]) -> Option<Vec<(String, &[u8])>> {
    Some(
        super::expand::ar_entries(d)?
            .into_iter()
            .map(|(name, at, len)| (name, &d[at..at + len]))
            .collect(),
    )
}

fn deb(base: &[u8], target: &[u8], a: &mut Analysis) {
    let inner = |d: &[u8], prefix: &str| -> Option<Vec<u8>> {
        let ms = ar_members(d)?;
        let (name, body) = ms.into_iter().find(|(n, _)| n.starts_with(prefix))?;
        decompress_by_name(&name, body)
    };
    let (bd, td) = (inner(base, "data.tar"), inner(target, "data.tar"));
    members(
        bd.as_deref().and_then(tar_members),
        td.as_deref().and_then(tar_members),
        "deb",
        a,
    );
    a.container.notes.push(
        "deb: data.tar members compared after decompression; the manifest's expansion says which compressed members the payload diffs decompressed".into(),
    );
    let deps = |d: &[u8]| -> Vec<Material> {
        let Some(ctl) = inner(d, "control.tar") else {
            return Vec::new();
        };
        let Some(text) = tar_file(&ctl, "control") else {
            return Vec::new();
        };
        deb_depends(&String::from_utf8_lossy(&text))
    };
    a.materials_delta = diff_materials(&deps(base), &deps(target));
    a.materials_delta.sources.push("deb-depends".into());
}

/// RPM: both headers and every payload file compared; `Requires` feed the materials; the
/// payload's recompression recipe is searched for and stated either way.
fn rpm(base: &[u8], target: &[u8], a: &mut Analysis) {
    use super::rpm;
    let (b, t) = (
        rpm::parse(base, MAX_INNER_BYTES),
        rpm::parse(target, MAX_INNER_BYTES),
    );
    members(
        b.as_ref().map(|r| r.members.clone()),
        t.as_ref().map(|r| r.members.clone()),
        "rpm",
        a,
    );
    let Some(tr) = &t else {
        a.container
            .notes
            .push("rpm: the target's lead or headers are malformed; byte-level view only".into());
        return;
    };
    if !tr.payload_read {
        a.container.notes.push(format!(
            "rpm {}: {} payload ({}) could not be decoded; headers compared only",
            tr.nevr, tr.payload_format, tr.compressor
        ));
    }
    let recipe = super::expand::find_streams(target).first().and_then(|f| {
        let z = &target[f.offset..f.offset + f.len];
        let inner = super::recompress::decode(f.codec, z, MAX_INNER_BYTES)?;
        super::recompress::find(f.codec, &inner, z, None)
    });
    a.container.notes.push(match recipe {
        Some(r) => format!(
            "rpm {}: cpio payload members compared after decompression; recompression recipe found: {} reproduces the compressed payload byte for byte, so the delta payload acts on the decompressed payload",
            tr.nevr,
            super::recompress::describe(&r)
        ),
        None => format!(
            "rpm {}: cpio payload members compared after decompression; no recompression recipe reproduces the {} payload's exact bytes (other encoder build or settings), so the delta payload acts on its compressed bytes",
            tr.nevr, tr.compressor
        ),
    });
    let empty = Vec::new();
    a.materials_delta = diff_materials(b.as_ref().map_or(&empty, |r| &r.requires), &tr.requires);
    a.materials_delta.sources.push("rpm-requires".into());
}

fn deb_depends(control: &str) -> Vec<Material> {
    let mut out = Vec::new();
    let mut field = String::new();
    for line in control.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if !field.is_empty() {
                field.push_str(line);
            }
            continue;
        }
        field.clear();
        for key in ["Depends:", "Pre-Depends:"] {
            if let Some(v) = line.strip_prefix(key) {
                field = v.to_owned();
            }
        }
        if !field.is_empty() {
            for dep in field.split(',') {
                let dep = dep.trim();
                if dep.is_empty() {
                    continue;
                }
                let (name, ver) = match dep.split_once('(') {
                    Some((n, v)) => (
                        n.trim().to_owned(),
                        Some(v.trim_end_matches(')').trim().to_owned()),
                    ),
                    None => (dep.to_owned(), None),
                };
                out.push(Material {
                    name,
                    version: ver,
                    digests: vec![],
                    source: "deb-depends".into(),
                });
            }
        }
    }
    out
}

fn oci_layers(d: &[u8]) -> Vec<Material> {
    let mut out = Vec::new();
    let Some(index) = tar_file(d, "index.json") else {
        return out;
    };
    let Ok(index) = serde_json::from_slice::<serde_json::Value>(&index) else {
        return out;
    };
    let mut todo: Vec<String> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["digest"].as_str().map(str::to_owned))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(dg) = todo.pop() {
        if !seen.insert(dg.clone()) || seen.len() > 256 {
            continue;
        }
        let Some(blob) = tar_file(d, &format!("blobs/{}", dg.replacen(':', "/", 1))) else {
            continue;
        };
        let Ok(m) = serde_json::from_slice::<serde_json::Value>(&blob) else {
            continue;
        };
        for child in m["manifests"].as_array().into_iter().flatten() {
            if let Some(c) = child["digest"].as_str() {
                todo.push(c.to_owned());
            }
        }
        for l in m["layers"].as_array().into_iter().flatten() {
            if let Some(ld) = l["digest"].as_str() {
                let name = l["annotations"]["org.opencontainers.image.title"]
                    .as_str()
                    .map_or_else(|| format!("layer {ld}"), |t| format!("layer {t}"));
                out.push(Material {
                    name,
                    version: None,
                    digests: vec![ld.to_owned()],
                    source: "oci-layer".into(),
                });
            }
        }
    }
    out
}

/// Materials listed by a CycloneDX or SPDX JSON SBOM.
#[must_use]
pub fn sbom_materials(d: &[u8]) -> Vec<Material> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(d) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in v["components"].as_array().into_iter().flatten() {
        let name = c["purl"]
            .as_str()
            .or(c["name"].as_str())
            .unwrap_or("")
            .to_owned();
        let digests = c["hashes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| {
                Some(format!(
                    "{}:{}",
                    h["alg"].as_str()?.to_ascii_lowercase().replace('-', ""),
                    h["content"].as_str()?
                ))
            })
            .collect();
        out.push(Material {
            name,
            version: c["version"].as_str().map(str::to_owned),
            digests,
            source: "cyclonedx".into(),
        });
    }
    for p in v["packages"].as_array().into_iter().flatten() {
        let purl = p["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["referenceType"].as_str() == Some("purl"))
            .and_then(|r| r["referenceLocator"].as_str());
        let name = purl.or(p["name"].as_str()).unwrap_or("").to_owned();
        let digests = p["checksums"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| {
                Some(format!(
                    "{}:{}",
                    h["algorithm"]
                        .as_str()?
                        .to_ascii_lowercase()
                        .replace('-', ""),
                    h["checksumValue"].as_str()?
                ))
            })
            .collect();
        out.push(Material {
            name,
            version: p["versionInfo"].as_str().map(str::to_owned),
            digests,
            source: "spdx".into(),
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Materials only in `target` are added, only in `base` removed (by name, version, digests).
#[must_use]
pub fn diff_materials(base: &[Material], target: &[Material]) -> MaterialsDelta {
    let key = |m: &Material| (m.name.clone(), m.version.clone(), m.digests.clone());
    let bk: BTreeSet<_> = base.iter().map(key).collect();
    let tk: BTreeSet<_> = target.iter().map(key).collect();
    let mut added: Vec<Material> = target
        .iter()
        .filter(|m| !bk.contains(&key(m)))
        .cloned()
        .collect();
    let mut removed: Vec<Material> = base
        .iter()
        .filter(|m| !tk.contains(&key(m)))
        .cloned()
        .collect();
    added.sort();
    added.dedup();
    removed.sort();
    removed.dedup();
    MaterialsDelta {
        added,
        removed,
        sources: Vec::new(),
    }
}

/// The in-toto statement carried by an attestation file (DSSE envelope, Sigstore bundle, or
/// one line of a `.intoto.jsonl`), with the bundle's inclusion-proof flag.
#[must_use]
pub fn statement_of(bytes: &[u8]) -> Option<(String, serde_json::Value, bool, String)> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok().or_else(|| {
        let text = std::str::from_utf8(bytes).ok()?;
        serde_json::from_str(text.lines().find(|l| !l.trim().is_empty())?).ok()
    })?;
    let (env, kind, proof) = if v.get("payloadType").is_some() {
        (v.clone(), "dsse", false)
    } else if v["mediaType"]
        .as_str()
        .is_some_and(|m| m.contains("sigstore.bundle"))
    {
        let proof = v["verificationMaterial"]["tlogEntries"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e.get("inclusionProof").is_some()));
        (v["dsseEnvelope"].clone(), "sigstore-bundle", proof)
    } else {
        return None;
    };
    let pt = env["payloadType"].as_str().unwrap_or("").to_owned();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str()?)
        .ok()?;
    let st: serde_json::Value = serde_json::from_slice(&payload).unwrap_or(serde_json::Value::Null);
    Some((kind.to_owned(), st, proof, pt))
}

/// Describes an attestation file for the manifest (structure only; signatures are checked by
/// `delta verify`).
#[must_use]
pub fn describe_attestation(path: &str, bytes: &[u8], target: &ArtifactDigests) -> AttestationRef {
    let mut r = AttestationRef {
        path: path.to_owned(),
        kind: "unknown".into(),
        sha256: Digest::sha256(bytes),
        payload_type: None,
        predicate_type: None,
        subjects: Vec::new(),
        names_target: false,
        has_inclusion_proof: false,
    };
    if let Some((kind, st, proof, pt)) = statement_of(bytes) {
        r.kind = kind;
        r.has_inclusion_proof = proof;
        r.payload_type = Some(pt);
        r.predicate_type = st["predicateType"].as_str().map(str::to_owned);
        for s in st["subject"].as_array().into_iter().flatten() {
            if let Some(h) = s["digest"]["sha256"].as_str() {
                r.subjects.push(format!("sha256:{h}"));
            }
        }
        r.subjects.sort();
        r.subjects.dedup();
        r.names_target = r.subjects.contains(&target.sha256.to_string());
    }
    r
}

/// Adds SLSA provenance `resolvedDependencies` (v1) or `materials` (v0.2) of the given
/// attestations as a source of the materials view (listed, not diffed: the base's provenance is
/// not part of a delta).
pub fn add_provenance_materials(m: &mut MaterialsDelta, attestations: &[(String, Vec<u8>)]) {
    for (_, bytes) in attestations {
        let Some((_, st, _, _)) = statement_of(bytes) else {
            continue;
        };
        if !st["predicateType"]
            .as_str()
            .is_some_and(|p| p.starts_with("https://slsa.dev/provenance/"))
        {
            continue;
        }
        let n = st["predicate"]["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .or(st["predicate"]["materials"].as_array())
            .map_or(0, Vec::len);
        m.sources
            .push(format!("slsa-provenance ({n} resolved dependencies)"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_parse() {
        let m = deb_depends("Package: x\nDepends: libc6 (>= 2.34), zlib1g\nPre-Depends: dpkg\n");
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].version.as_deref(), Some(">= 2.34"));
    }
}
