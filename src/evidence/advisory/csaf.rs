//! CSAF 2.0 documents (OASIS CSAF v2.0, any profile: `csaf_base`, `csaf_security_advisory`,
//! `csaf_vex`, `csaf_informational_advisory`) → one [`Advisory`] per document.
//!
//! # Product tree → packages
//! Every product id is resolved through the tree: `branches` (walked with their `vendor`,
//! `product_family`, `product_name`, `architecture`, `product_version` and
//! `product_version_range` context), `full_product_names`, and `relationships` (a component
//! `product_reference` installed on a platform `relates_to_product_reference`, as Red Hat
//! writes `AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.src`). The package is the
//! component's `product_identification_helper.purl` without its version (the version, with an
//! `epoch` qualifier folded in as `epoch:version`, becomes the entry's version); without a purl
//! it is `pkg:generic/<vendor>/<product name>` and the version is the `product_version` branch
//! name. The release is the platform's CPE without the `cpe:/x:vendor:` prefix
//! (`enterprise_linux:9::appstream`, the same form as OSV's `Red Hat:` ecosystems), else the
//! platform's name.
//!
//! # Status
//! `product_status` per vulnerability: `fixed`, `first_fixed`, `recommended` → fixed;
//! `known_affected`, `first_affected`, `last_affected` → affected, or will-not-fix when a
//! `no_fix_planned` or `none_available` remediation names the product; `known_not_affected` →
//! not-affected (`justification` = the flag label, else the `impact` threat text);
//! `under_investigation` → under-investigation. Products of one package line (same purl or
//! name, same release, same vulnerability) are merged into one entry: affected product
//! versions go to `versions`, `product_version_range` names to `ranges` (`expression`), fixed
//! product versions to `fixed`; the entry is `fixed` when a fixed product or a `vendor_fix`
//! whose text names the version ("Fixed in 9.8.12", "at least version 1.0.0-rc2") exists.
//! Not-affected and under-investigation products stay separate entries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use packageurl::PackageUrl;

use super::ecosystem::VersionScheme;
use super::{
    Advisory, AdvisoryError, AffectedPackage, DocumentDigest, Limits, Range, Reference, Source,
    Status, is_cve_id, sorted_unique, time_field,
};

mod wire {
    use serde::Deserialize;

    use super::super::nullable;

    #[derive(Debug, Deserialize)]
    pub struct Document {
        pub document: Meta,
        #[serde(default)]
        pub product_tree: Option<ProductTree>,
        #[serde(default, deserialize_with = "nullable")]
        pub vulnerabilities: Vec<Vulnerability>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Meta {
        pub category: String,
        pub csaf_version: String,
        #[serde(default)]
        pub title: Option<String>,
        pub tracking: Tracking,
        #[serde(default, deserialize_with = "nullable")]
        pub references: Vec<Reference>,
        #[serde(default)]
        pub aggregate_severity: Option<AggregateSeverity>,
    }

    #[derive(Debug, Deserialize)]
    pub struct AggregateSeverity {
        pub text: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct Tracking {
        pub id: String,
        #[serde(default)]
        pub initial_release_date: Option<String>,
        #[serde(default)]
        pub current_release_date: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub aliases: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Reference {
        pub url: String,
        #[serde(default)]
        pub category: Option<String>,
    }

    #[derive(Debug, Default, Deserialize)]
    pub struct ProductTree {
        #[serde(default, deserialize_with = "nullable")]
        pub branches: Vec<Branch>,
        #[serde(default, deserialize_with = "nullable")]
        pub full_product_names: Vec<FullProductName>,
        #[serde(default, deserialize_with = "nullable")]
        pub relationships: Vec<Relationship>,
        #[serde(default, deserialize_with = "nullable")]
        pub product_groups: Vec<ProductGroup>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Branch {
        pub category: String,
        pub name: String,
        #[serde(default, deserialize_with = "nullable")]
        pub branches: Vec<Branch>,
        #[serde(default)]
        pub product: Option<FullProductName>,
    }

    #[derive(Debug, Deserialize)]
    pub struct FullProductName {
        pub name: String,
        pub product_id: String,
        #[serde(default)]
        pub product_identification_helper: Option<Helper>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Helper {
        #[serde(default)]
        pub purl: Option<String>,
        #[serde(default)]
        pub cpe: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Relationship {
        pub full_product_name: FullProductName,
        pub product_reference: String,
        pub relates_to_product_reference: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct ProductGroup {
        pub group_id: String,
        #[serde(default, deserialize_with = "nullable")]
        pub product_ids: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Vulnerability {
        #[serde(default)]
        pub cve: Option<String>,
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub ids: Vec<Id>,
        #[serde(default)]
        pub product_status: Option<ProductStatus>,
        #[serde(default, deserialize_with = "nullable")]
        pub remediations: Vec<Remediation>,
        #[serde(default, deserialize_with = "nullable")]
        pub flags: Vec<Flag>,
        #[serde(default, deserialize_with = "nullable")]
        pub threats: Vec<Threat>,
        #[serde(default, deserialize_with = "nullable")]
        pub references: Vec<Reference>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Id {
        #[serde(default)]
        pub text: String,
    }

    #[derive(Debug, Default, Deserialize)]
    pub struct ProductStatus {
        #[serde(default, deserialize_with = "nullable")]
        pub first_affected: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub first_fixed: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub fixed: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub known_affected: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub known_not_affected: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub last_affected: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub recommended: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub under_investigation: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Remediation {
        pub category: String,
        #[serde(default)]
        pub details: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub product_ids: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub group_ids: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Flag {
        pub label: String,
        #[serde(default, deserialize_with = "nullable")]
        pub product_ids: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub group_ids: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Threat {
        pub category: String,
        #[serde(default)]
        pub details: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub product_ids: Vec<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub group_ids: Vec<String>,
    }
}

/// A product as the tree describes it.
#[derive(Debug, Default, Clone)]
struct Product {
    name: String,
    purl: Option<String>,
    cpe: Option<String>,
    vendor: Option<String>,
    product_name: Option<String>,
    version: Option<String>,
    version_range: Option<String>,
}

/// A component installed on a platform.
#[derive(Debug, Clone)]
struct Composite {
    component: String,
    platform: String,
}

/// Branch context inherited down the tree.
#[derive(Debug, Default, Clone)]
struct Context {
    vendor: Option<String>,
    product_name: Option<String>,
    version: Option<String>,
    version_range: Option<String>,
}

struct Tree {
    products: HashMap<String, Product>,
    composites: HashMap<String, Composite>,
    groups: HashMap<String, Vec<String>>,
}

/// Reads one CSAF 2.0 document.
///
/// # Errors
/// [`AdvisoryError`] for malformed JSON, missing required fields (`document.category`,
/// `document.csaf_version`, `document.tracking.id`), a branch tree deeper than
/// [`Limits::max_branch_depth`], or too many entries.
pub fn parse(
    bytes: &[u8],
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Advisory, AdvisoryError> {
    let doc: wire::Document = super::from_json(Source::Csaf, bytes)?;
    convert(doc, document, limits)
}

fn convert(
    doc: wire::Document,
    document: DocumentDigest,
    limits: &Limits,
) -> Result<Advisory, AdvisoryError> {
    let meta = doc.document;
    if meta.tracking.id.trim().is_empty() {
        return Err(AdvisoryError::field_error(
            Source::Csaf,
            "document.tracking.id",
            "expected a non-empty id, found an empty string",
        ));
    }
    let mut warnings = Vec::new();
    if meta.csaf_version != "2.0" {
        warnings.push(format!(
            "document.csaf_version: expected \"2.0\", found {:?}; read as 2.0",
            meta.csaf_version
        ));
    }
    const PROFILES: &[&str] = &[
        "csaf_base",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    ];
    if !PROFILES.contains(&meta.category.as_str()) {
        warnings.push(format!(
            "document.category: {:?} is not a CSAF 2.0 profile; read as csaf_base",
            meta.category
        ));
    }
    let tree = build_tree(doc.product_tree.unwrap_or_default(), limits)?;

    let mut aliases: Vec<String> = meta.tracking.aliases.clone();
    let mut cve_ids = Vec::new();
    let mut references: Vec<Reference> = Vec::new();
    for r in meta.references {
        push_ref(r, &mut references);
    }
    let doc_severity = meta.aggregate_severity.map(|s| s.text);

    let mut affected = Vec::new();
    for (i, mut v) in doc.vulnerabilities.into_iter().enumerate() {
        if v.cve.is_none() {
            // Early Red Hat output left `cve` out and began the title with the id.
            let from_title = v
                .title
                .as_deref()
                .and_then(|t| t.split_whitespace().next())
                .filter(|w| is_cve_id(w));
            if let Some(cve) = from_title {
                warnings.push(format!(
                    "vulnerabilities[{i}].cve: missing; {cve} taken from the title"
                ));
                v.cve = Some(cve.to_owned());
            }
        }
        let vuln_id = v
            .cve
            .clone()
            .or_else(|| {
                v.ids
                    .iter()
                    .map(|id| id.text.clone())
                    .find(|t| !t.is_empty())
            })
            .unwrap_or_else(|| format!("{}#vulnerabilities[{i}]", meta.tracking.id));
        if let Some(cve) = &v.cve {
            if is_cve_id(cve) {
                cve_ids.push(cve.clone());
            }
            aliases.push(cve.clone());
        }
        for id in &v.ids {
            if is_cve_id(&id.text) || id.text.starts_with("GHSA-") {
                aliases.push(id.text.clone());
            }
        }
        for r in std::mem::take(&mut v.references) {
            push_ref(r, &mut references);
        }
        affected.extend(vulnerability_entries(
            &tree,
            &v,
            &vuln_id,
            doc_severity.as_deref(),
        ));
        if affected.len() > limits.max_affected_per_record {
            return Err(AdvisoryError::LimitExceeded {
                source_kind: Source::Csaf,
                what: "affected entries",
                limit: limits.max_affected_per_record,
            });
        }
    }

    let published = time_field(
        meta.tracking.initial_release_date.as_deref(),
        "document.tracking.initial_release_date",
        &mut warnings,
    );
    let modified = time_field(
        meta.tracking.current_release_date.as_deref(),
        "document.tracking.current_release_date",
        &mut warnings,
    );
    let id = meta.tracking.id;
    let aliases = sorted_unique(aliases.into_iter().filter(|a| *a != id).collect());
    Ok(Advisory {
        source: Source::Csaf,
        id,
        aliases,
        related: Vec::new(),
        cve_ids: sorted_unique(cve_ids),
        summary: meta.title,
        published,
        modified,
        withdrawn: None,
        affected,
        references,
        document,
        warnings,
    })
}

fn push_ref(r: wire::Reference, refs: &mut Vec<Reference>) {
    let reference = Reference {
        kind: r.category.unwrap_or_else(|| "external".into()),
        url: r.url,
    };
    if !reference.url.is_empty() && !refs.contains(&reference) {
        refs.push(reference);
    }
}

fn build_tree(pt: wire::ProductTree, limits: &Limits) -> Result<Tree, AdvisoryError> {
    let mut tree = Tree {
        products: HashMap::new(),
        composites: HashMap::new(),
        groups: HashMap::new(),
    };
    for (i, b) in pt.branches.into_iter().enumerate() {
        walk(
            b,
            &Context::default(),
            1,
            &format!("product_tree.branches[{i}]"),
            limits,
            &mut tree,
        )?;
    }
    for fpn in pt.full_product_names {
        let p = product_from(&fpn, &Context::default());
        tree.products.insert(fpn.product_id, p);
    }
    for r in pt.relationships {
        let id = r.full_product_name.product_id.clone();
        tree.composites.insert(
            id.clone(),
            Composite {
                component: r.product_reference,
                platform: r.relates_to_product_reference,
            },
        );
        // The relationship's own name is a product too (used when a reference is unknown).
        tree.products
            .entry(id)
            .or_insert_with(|| product_from(&r.full_product_name, &Context::default()));
    }
    for g in pt.product_groups {
        tree.groups.insert(g.group_id, g.product_ids);
    }
    Ok(tree)
}

fn walk(
    b: wire::Branch,
    ctx: &Context,
    depth: usize,
    field: &str,
    limits: &Limits,
    tree: &mut Tree,
) -> Result<(), AdvisoryError> {
    if depth > limits.max_branch_depth {
        return Err(AdvisoryError::LimitExceeded {
            source_kind: Source::Csaf,
            what: "product tree branch depth",
            limit: limits.max_branch_depth,
        });
    }
    let mut ctx = ctx.clone();
    match b.category.as_str() {
        "vendor" => ctx.vendor = Some(b.name.clone()),
        "product_name" | "product_family" => ctx.product_name = Some(b.name.clone()),
        "product_version" => ctx.version = Some(b.name.clone()),
        "product_version_range" => ctx.version_range = Some(b.name.clone()),
        _ => {}
    }
    if let Some(fpn) = &b.product {
        let p = product_from(fpn, &ctx);
        tree.products.insert(fpn.product_id.clone(), p);
    }
    for (i, child) in b.branches.into_iter().enumerate() {
        walk(
            child,
            &ctx,
            depth + 1,
            &format!("{field}.branches[{i}]"),
            limits,
            tree,
        )?;
    }
    Ok(())
}

fn product_from(fpn: &wire::FullProductName, ctx: &Context) -> Product {
    let helper = fpn.product_identification_helper.as_ref();
    Product {
        name: fpn.name.clone(),
        purl: helper
            .and_then(|h| h.purl.clone())
            .filter(|p| !p.is_empty()),
        cpe: helper.and_then(|h| h.cpe.clone()).filter(|c| !c.is_empty()),
        vendor: ctx.vendor.clone(),
        product_name: ctx.product_name.clone(),
        version: ctx.version.clone(),
        version_range: ctx.version_range.clone(),
    }
}

/// The package a product id stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PackageKey {
    package: String,
    release: Option<String>,
}

#[derive(Debug)]
struct Resolved {
    key: PackageKey,
    name: String,
    purl: Option<String>,
    scheme: VersionScheme,
    version: Option<String>,
    version_range: Option<String>,
    cpe: Option<String>,
}

fn resolve(tree: &Tree, id: &str) -> Resolved {
    let (component_id, platform) = match tree.composites.get(id) {
        Some(c) => {
            // A component may itself be a relationship (nested); follow a few levels.
            let mut comp = c.component.as_str();
            for _ in 0..4 {
                match tree.composites.get(comp) {
                    Some(inner) => comp = inner.component.as_str(),
                    None => break,
                }
            }
            (comp, tree.products.get(&c.platform))
        }
        None => (id, None),
    };
    let component = tree
        .products
        .get(component_id)
        .cloned()
        .unwrap_or_else(|| Product {
            name: component_id.to_owned(),
            ..Product::default()
        });
    let release = platform.map(|p| {
        p.cpe
            .as_deref()
            .and_then(cpe_release)
            .unwrap_or_else(|| p.name.clone())
    });
    let cpe = platform
        .and_then(|p| p.cpe.clone())
        .or_else(|| component.cpe.clone());
    let has_purl = component.purl.is_some();
    let (name, purl, scheme, purl_version) = match component
        .purl
        .as_deref()
        .and_then(|t| t.parse::<PackageUrl>().ok())
    {
        Some(mut p) => {
            let version = p.version().map(str::to_owned);
            let epoch = p.qualifiers().get("epoch").map(|e| e.to_string());
            let version = match (epoch, version) {
                (Some(e), Some(v)) if e != "0" => Some(format!("{e}:{v}")),
                (_, v) => v,
            };
            p.without_version();
            let qualifiers: Vec<(String, String)> = p
                .qualifiers()
                .iter()
                .filter(|(k, _)| k.as_ref() != "epoch")
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            p.clear_qualifiers();
            for (k, v) in qualifiers {
                let _ = p.add_qualifier(k, v);
            }
            let scheme = VersionScheme::for_purl_type(p.ty());
            (p.name().to_owned(), Some(p.to_string()), scheme, version)
        }
        None => {
            let name = component
                .product_name
                .clone()
                .unwrap_or_else(|| component.name.clone());
            let purl = generic_purl(component.vendor.as_deref(), &name);
            (name, purl, VersionScheme::Other, None)
        }
    };
    // With a purl, the version is the purl's: Red Hat VEX puts package names (`sqlite-libs`)
    // in `product_version` branches of unversioned components.
    let version = if has_purl {
        purl_version
    } else {
        component.version.clone()
    };
    Resolved {
        key: PackageKey {
            package: purl.clone().unwrap_or_else(|| name.clone()),
            release: release.clone(),
        },
        name,
        purl,
        scheme,
        version,
        version_range: component.version_range,
        cpe,
    }
}

fn generic_purl(vendor: Option<&str>, name: &str) -> Option<String> {
    let mut p = PackageUrl::new("generic", name.trim().to_owned()).ok()?;
    if let Some(v) = vendor.map(str::trim).filter(|v| !v.is_empty()) {
        p.with_namespace(v.to_owned()).ok()?;
    }
    Some(p.to_string())
}

/// `cpe:/a:redhat:enterprise_linux:9::appstream` → `enterprise_linux:9::appstream`;
/// `cpe:2.3:o:redhat:enterprise_linux:9:*:…` → `enterprise_linux:9`.
fn cpe_release(cpe: &str) -> Option<String> {
    let parts: Vec<&str> = if let Some(rest) = cpe.strip_prefix("cpe:2.3:") {
        rest.split(':')
            .skip(2)
            .take(4)
            .map(|p| if p == "*" || p == "-" { "" } else { p })
            .collect()
    } else if let Some(rest) = cpe.strip_prefix("cpe:/") {
        rest.split(':').skip(2).collect()
    } else {
        return None;
    };
    let mut parts = parts;
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    (!parts.is_empty()).then(|| parts.join(":"))
}

/// Per-entry accumulator.
#[derive(Default)]
struct Acc {
    name: String,
    purl: Option<String>,
    scheme: Option<VersionScheme>,
    cpe: Option<String>,
    product_ids: BTreeSet<String>,
    versions: BTreeSet<String>,
    fixed: BTreeSet<String>,
    ranges: BTreeSet<String>,
    has_fixed: bool,
    has_affected: bool,
    will_not_fix: Option<String>,
    justification: Option<String>,
    severity: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    FixLine,
    NotAffected,
    UnderInvestigation,
}

fn vulnerability_entries(
    tree: &Tree,
    v: &wire::Vulnerability,
    vuln_id: &str,
    doc_severity: Option<&str>,
) -> Vec<AffectedPackage> {
    let expand = |ids: &[String], groups: &[String]| -> Vec<String> {
        let mut out: Vec<String> = ids.to_vec();
        for g in groups {
            if let Some(members) = tree.groups.get(g) {
                out.extend(members.iter().cloned());
            }
        }
        out
    };
    // Per product: remediation facts, flag labels, impact texts.
    let mut no_fix: HashMap<String, String> = HashMap::new();
    let mut vendor_fix_versions: HashMap<String, Vec<String>> = HashMap::new();
    for r in &v.remediations {
        let ids = expand(&r.product_ids, &r.group_ids);
        match r.category.as_str() {
            "no_fix_planned" | "none_available" => {
                let why = r.details.clone().unwrap_or_else(|| r.category.clone());
                for id in ids {
                    no_fix
                        .entry(id)
                        .or_insert_with(|| format!("{}: {why}", r.category));
                }
            }
            "vendor_fix" => {
                if let Some(ver) = r.details.as_deref().and_then(version_in_text) {
                    for id in ids {
                        vendor_fix_versions.entry(id).or_default().push(ver.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let mut flags: HashMap<String, String> = HashMap::new();
    for f in &v.flags {
        for id in expand(&f.product_ids, &f.group_ids) {
            flags.entry(id).or_insert_with(|| f.label.clone());
        }
    }
    let mut impacts: HashMap<String, String> = HashMap::new();
    for t in v.threats.iter().filter(|t| t.category == "impact") {
        if let Some(d) = &t.details {
            for id in expand(&t.product_ids, &t.group_ids) {
                impacts.entry(id).or_insert_with(|| d.clone());
            }
        }
    }

    let ps = match &v.product_status {
        Some(ps) => ps,
        None => return Vec::new(),
    };
    let lists: [(&[String], Class, bool); 8] = [
        (&ps.fixed, Class::FixLine, true),
        (&ps.first_fixed, Class::FixLine, true),
        (&ps.recommended, Class::FixLine, true),
        (&ps.known_affected, Class::FixLine, false),
        (&ps.first_affected, Class::FixLine, false),
        (&ps.last_affected, Class::FixLine, false),
        (&ps.known_not_affected, Class::NotAffected, false),
        (&ps.under_investigation, Class::UnderInvestigation, false),
    ];
    let mut accs: BTreeMap<(PackageKey, Class), Acc> = BTreeMap::new();
    for (ids, class, is_fixed) in lists {
        for id in ids {
            let r = resolve(tree, id);
            let acc = accs.entry((r.key.clone(), class)).or_default();
            if acc.product_ids.is_empty() {
                acc.name = r.name.clone();
                acc.purl = r.purl.clone();
                acc.cpe = r.cpe.clone();
            }
            if acc.scheme.is_none() || acc.scheme == Some(VersionScheme::Other) {
                acc.scheme = Some(r.scheme);
            }
            acc.product_ids.insert(id.clone());
            if let Some(range) = &r.version_range {
                acc.ranges.insert(range.clone());
            }
            match class {
                Class::FixLine if is_fixed => {
                    acc.has_fixed = true;
                    if let Some(ver) = &r.version {
                        acc.fixed.insert(ver.clone());
                    }
                }
                Class::FixLine => {
                    acc.has_affected = true;
                    if let Some(ver) = &r.version {
                        acc.versions.insert(ver.clone());
                    }
                    if let Some(why) = no_fix.get(id) {
                        acc.will_not_fix.get_or_insert_with(|| why.clone());
                    }
                    if let Some(vs) = vendor_fix_versions.get(id) {
                        acc.has_fixed = true;
                        acc.fixed.extend(vs.iter().cloned());
                    }
                    if acc.severity.is_none() {
                        acc.severity = impacts.get(id).cloned();
                    }
                }
                Class::NotAffected => {
                    if let Some(ver) = &r.version {
                        acc.versions.insert(ver.clone());
                    }
                    if acc.justification.is_none() {
                        acc.justification = flags.get(id).or_else(|| impacts.get(id)).cloned();
                    }
                }
                Class::UnderInvestigation => {
                    if let Some(ver) = &r.version {
                        acc.versions.insert(ver.clone());
                    }
                }
            }
        }
    }
    accs.into_iter()
        .map(|((key, class), acc)| {
            let status = match class {
                Class::NotAffected => Status::NotAffected,
                Class::UnderInvestigation => Status::UnderInvestigation,
                Class::FixLine if acc.has_fixed => Status::Fixed,
                Class::FixLine if acc.will_not_fix.is_some() => Status::WillNotFix,
                Class::FixLine => Status::Affected,
            };
            let justification = match status {
                Status::WillNotFix => acc.will_not_fix.clone(),
                _ => acc.justification.clone(),
            };
            let severity = acc.severity.or_else(|| {
                (class == Class::FixLine)
                    .then(|| doc_severity.map(str::to_owned))
                    .flatten()
            });
            // Affected versions of a line that also has fixed products stay in `versions`.
            let versions: Vec<String> = if acc.has_affected || class != Class::FixLine {
                acc.versions.into_iter().collect()
            } else {
                Vec::new()
            };
            AffectedPackage {
                name: acc.name,
                purl: acc.purl,
                ecosystem: None,
                release: key.release,
                version_scheme: acc.scheme.unwrap_or(VersionScheme::Other),
                status,
                ranges: acc
                    .ranges
                    .into_iter()
                    .map(|e| Range {
                        kind: "csaf-version-range".into(),
                        repo: None,
                        events: Vec::new(),
                        expression: Some(e),
                    })
                    .collect(),
                versions,
                fixed: acc.fixed.into_iter().collect(),
                vulnerabilities: vec![vuln_id.to_owned()],
                justification,
                severity,
                cpe: acc.cpe,
                product_ids: acc.product_ids.into_iter().collect(),
                binaries: Vec::new(),
            }
        })
        .collect()
}

/// A version named in remediation text: "Fixed in 9.8.12.", "at least version 1.0.0-rc2",
/// "update to version 2.4". Conservative: the word before must be one of these phrases and
/// the version must start with a digit.
fn version_in_text(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for phrase in [
        "fixed in version ",
        "fixed in ",
        "at least version ",
        "update to version ",
        "upgrade to version ",
    ] {
        if let Some(i) = lower.find(phrase) {
            let rest = &text[i + phrase.len()..];
            let rest = rest.strip_prefix('v').unwrap_or(rest);
            let ver: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~' | ':' | '_')
                })
                .collect();
            let ver = ver.trim_end_matches(['.', '-', ':', '_']).to_owned();
            if ver.starts_with(|c: char| c.is_ascii_digit()) {
                return Some(ver);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_releases() {
        assert_eq!(
            cpe_release("cpe:/a:redhat:enterprise_linux:9::appstream").as_deref(),
            Some("enterprise_linux:9::appstream")
        );
        assert_eq!(
            cpe_release("cpe:/o:redhat:enterprise_linux:10").as_deref(),
            Some("enterprise_linux:10")
        );
        assert_eq!(
            cpe_release("cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*").as_deref(),
            Some("enterprise_linux:9")
        );
        assert_eq!(cpe_release("nope"), None);
    }

    #[test]
    fn versions_in_remediation_text() {
        assert_eq!(
            version_in_text("Fixed in 9.8.12.").as_deref(),
            Some("9.8.12")
        );
        assert_eq!(
            version_in_text(
                "Update to the latest version of the product. At least version 1.0.0-rc2"
            )
            .as_deref(),
            Some("1.0.0-rc2")
        );
        assert_eq!(
            version_in_text("Cisco has released software updates that address this vulnerability."),
            None
        );
        assert_eq!(
            version_in_text(
                "For details on how to apply this update, see https://access.redhat.com/articles/11258"
            ),
            None
        );
    }
}
