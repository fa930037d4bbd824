//! The self-contained HTML report of a delta (one file, inline CSS, no script, no external
//! asset): top changed functions, provenance, delta anatomy, dependency delta and the
//! apply / rollback gate with its reasons.

use std::fmt::Write as _;

use bundle_format::delta::manifest::DeltaManifest;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn permille(v: u64) -> String {
    format!("{}.{}%", v / 10, v % 10)
}

/// The gate shown in the report: may the delta be applied, may it be rolled back, and why.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// Apply allowed.
    pub apply: bool,
    /// Reasons for the apply decision.
    pub apply_reasons: Vec<String>,
    /// Rollback allowed.
    pub rollback: bool,
    /// Reasons for the rollback decision.
    pub rollback_reasons: Vec<String>,
}

/// The gate that follows from the manifest alone (no trust root at hand).
#[must_use]
pub fn gate_from_manifest(m: &DeltaManifest) -> Gate {
    let mut g = Gate {
        apply: m.delta_risk.verdict != "red",
        ..Gate::default()
    };
    g.apply_reasons.push(format!(
        "verdict {} at score {}/100 under policy {}",
        m.delta_risk.verdict, m.delta_risk.score, m.delta_risk.policy
    ));
    g.apply_reasons.extend(m.delta_risk.reasons.iter().cloned());
    g.apply_reasons.push(
        "apply always re-checks the base digest, every COPY range and the target digest".into(),
    );
    g.rollback_reasons.push(
        "rollback needs a DSSE rollback attestation signed by the trust root's rollback-signer role, naming both digests and anchored by a transparency-log inclusion proof; run `airlock delta rollback` to check it".into(),
    );
    g
}

/// Renders the report.
#[must_use]
pub fn render(m: &DeltaManifest, gate: &Gate) -> String {
    let mut h = String::new();
    let o = &m.ops_summary;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>airlock delta report</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}}\
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left;font-size:.9em}}\
code{{font-size:.85em;word-break:break-all}}.green{{background:#d4f7d4}}.amber{{background:#ffe9b3}}.red{{background:#ffc9c9}}\
.bar{{display:flex;height:1.2em;width:40em;border:1px solid #999}}.copy{{background:#6a6}}.add{{background:#c66}}\
section{{margin-bottom:1.5em}}</style></head><body>\n<h1>airlock delta report</h1>\n"
    );
    let _ = writeln!(
        h,
        "<section id=\"summary\"><table><tr><th>artifact type</th><td>{}</td></tr><tr><th>base</th><td><code>{}</code> ({} bytes)</td></tr>\
<tr><th>target</th><td><code>{}</code> ({} bytes)</td></tr><tr><th>risk</th><td class=\"{}\">{} — score {}/100</td></tr></table></section>",
        esc(&m.artifact_type),
        m.base.sha256,
        m.base.size,
        m.target.sha256,
        m.target.size,
        esc(&m.delta_risk.verdict),
        esc(&m.delta_risk.verdict),
        m.delta_risk.score
    );
    // Top changed functions.
    h.push_str("<section id=\"functions\"><h2>Top changed functions</h2>\n");
    let f = &m.functions_changed;
    let _ = writeln!(
        h,
        "<p>{} — added {}, removed {}, modified {}, unchanged {}</p>",
        esc(&f.note),
        f.added,
        f.removed,
        f.modified,
        f.unchanged
    );
    if !f.top.is_empty() {
        h.push_str("<table><tr><th>function</th><th>section</th><th>change</th><th>base size</th><th>target size</th><th>size delta</th></tr>\n");
        for c in &f.top {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:+}</td></tr>",
                esc(&c.name),
                esc(&c.section),
                esc(&c.change),
                c.base_size,
                c.target_size,
                c.size_delta
            );
        }
        h.push_str("</table>\n");
    }
    if !m.sections.is_empty() {
        h.push_str("<table><tr><th>section</th><th>base size</th><th>target size</th><th>changed</th></tr>\n");
        for s in &m.sections {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.name),
                s.base_size.map_or("—".into(), |v| v.to_string()),
                s.target_size.map_or("—".into(), |v| v.to_string()),
                if s.changed { "yes" } else { "no" }
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</section>\n");
    // Provenance.
    h.push_str("<section id=\"provenance\"><h2>Provenance</h2>\n");
    if m.attestations.is_empty() {
        h.push_str("<p>No attestations accompany this delta.</p>\n");
    } else {
        h.push_str("<table><tr><th>file</th><th>kind</th><th>predicate</th><th>names target</th><th>log inclusion proof</th></tr>\n");
        for a in &m.attestations {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.path),
                esc(&a.kind),
                esc(a.predicate_type.as_deref().unwrap_or("—")),
                if a.names_target { "yes" } else { "no" },
                if a.has_inclusion_proof {
                    "present"
                } else {
                    "absent"
                }
            );
        }
        h.push_str("</table>\n");
    }
    let _ = write!(
        h,
        "<p>Provenance completeness {}/1000.</p>\n<h3>Provenance gaps</h3><ul>\n",
        m.score_inputs.provenance_completeness
    );
    for g in &m.score_inputs.provenance_gaps {
        let _ = writeln!(h, "<li>{}</li>", esc(g));
    }
    h.push_str("</ul></section>\n");
    // Anatomy.
    let copy_w = o.copy_ratio_permille.min(1000);
    let _ = write!(
        h,
        "<section id=\"anatomy\"><h2>Delta anatomy</h2>\n<div class=\"bar\"><div class=\"copy\" style=\"width:{}%\"></div><div class=\"add\" style=\"width:{}%\"></div></div>\n\
<table><tr><th>reused from base (COPY + matching ADD_DIFF bytes)</th><td>{}</td></tr><tr><th>COPY ops / bytes</th><td>{} / {}</td></tr>\
<tr><th>ADD ops / bytes</th><td>{} / {}</td></tr><tr><th>ADD_DIFF ops / bytes / changed bytes</th><td>{} / {} / {}</td></tr>\
<tr><th>bytes added (literal + changed)</th><td>{}</td></tr><tr><th>entropy of new bytes</th><td>{}.{:03} bits/byte</td></tr>\
<tr><th>compressed ADD data</th><td>{} bytes</td></tr><tr><th>payload / target</th><td>{}</td></tr>\
<tr><th>changed chunks</th><td>{} of {} (FastCDC v2020, root <code>{}</code>)</td></tr></table></section>\n",
        copy_w / 10,
        (1000 - copy_w) / 10,
        permille(copy_w),
        o.copy_ops,
        o.copy_bytes,
        o.add_ops,
        o.add_bytes,
        o.add_diff_ops,
        o.add_diff_bytes,
        o.add_diff_changed_bytes,
        o.add_bytes + o.add_diff_changed_bytes,
        o.add_entropy_millibits / 1000,
        o.add_entropy_millibits % 1000,
        o.add_compressed_bytes,
        permille(o.payload_ratio_permille),
        m.changed_chunks.len(),
        m.chunk_tree.leaf_count,
        esc(&m.chunk_tree.root)
    );
    if let Some(x) = &m.expansion {
        let _ = writeln!(
            h,
            "<p id=\"expansion\">The payload acts on the expanded container ({} bytes base, {} bytes target): {} compressed stream(s) of the target are recompressed by recipes verified at creation; {} stream(s) no recipe reproduces are shipped as compressed bytes.</p>",
            x.base.size,
            x.target.size,
            x.target_streams.len(),
            x.kept_streams.len()
        );
        if !x.kept_streams.is_empty() {
            h.push_str("<ul>\n");
            for k in &x.kept_streams {
                let _ = writeln!(
                    h,
                    "<li><code>{}</code> ({}, {} bytes)</li>",
                    esc(&k.member),
                    esc(&k.codec),
                    k.len
                );
            }
            h.push_str("</ul>\n");
        }
    }
    // Dependencies.
    h.push_str("<section id=\"dependencies\"><h2>Dependency delta</h2>\n");
    let md = &m.materials_delta;
    let _ = writeln!(
        h,
        "<p>Sources: {}</p>",
        esc(&if md.sources.is_empty() {
            "none".into()
        } else {
            md.sources.join(", ")
        })
    );
    if md.added.is_empty() && md.removed.is_empty() {
        h.push_str("<p>No dependencies added or removed.</p>\n");
    } else {
        h.push_str("<table><tr><th>change</th><th>name</th><th>version</th><th>digests</th><th>source</th></tr>\n");
        for (kind, list) in [("added", &md.added), ("removed", &md.removed)] {
            for d in list {
                let _ = writeln!(
                    h,
                    "<tr><td>{kind}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&d.name),
                    esc(d.version.as_deref().unwrap_or("—")),
                    esc(&d.digests.join(" ")),
                    esc(&d.source)
                );
            }
        }
        h.push_str("</table>\n");
    }
    if !m.container.kind.is_empty() {
        let c = &m.container;
        let _ = writeln!(
            h,
            "<p>Container {}: {} added, {} removed, {} modified, {} unchanged members.</p><ul>",
            esc(&c.kind),
            c.added,
            c.removed,
            c.modified,
            c.unchanged
        );
        for n in &c.notes {
            let _ = writeln!(h, "<li>{}</li>", esc(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
    // Risk and gate.
    h.push_str("<section id=\"risk\"><h2>Risk breakdown</h2><table><tr><th>input</th><th>points</th><th>weight</th><th>reason</th></tr>\n");
    for c in &m.delta_risk.breakdown {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.input),
            c.points,
            c.weight,
            esc(&c.reason)
        );
    }
    h.push_str("</table></section>\n<section id=\"gate\"><h2>Apply / rollback gate</h2>\n");
    for (name, ok, reasons) in [
        ("Apply", gate.apply, &gate.apply_reasons),
        ("Rollback", gate.rollback, &gate.rollback_reasons),
    ] {
        let _ = writeln!(
            h,
            "<h3 class=\"{}\">{name}: {}</h3><ul>",
            if ok { "green" } else { "red" },
            if ok { "allowed" } else { "blocked" }
        );
        for r in reasons {
            let _ = writeln!(h, "<li>{}</li>", esc(r));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n</body></html>\n");
    h
}
