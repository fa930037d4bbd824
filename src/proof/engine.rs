//! Collecting evidence for a subject and deciding the verdict (`spec/proof-format.md` §5).

use std::collections::BTreeSet;

use super::blob::{ChannelState, EvidenceItem, FORMAT, ProofBlob, StoreState, Tier, Verdict};
use super::claims;
use super::subject::{Subject, SubjectError};
use crate::binary::record::FingerprintedBinary;
use crate::error::{Coded, FailureClass};
use crate::store::StoreError;
use crate::store::query::{Snapshot, StoredRow};

/// The highest confidence any proof may claim.
pub const MAX_CONFIDENCE: f64 = 0.98;

/// What the engine reads. Implemented by the store's [`Snapshot`]; tests implement it in memory.
pub trait EvidenceSource {
    /// Every advisory row for the vulnerability, any package, in key order (the engine maps
    /// binary packages to source packages with them, then takes each source package's rows).
    ///
    /// # Errors
    /// A store error.
    fn advisories_for_vulnerability(
        &self,
        vulnerability: &str,
    ) -> Result<Vec<StoredRow>, StoreError>;
    /// Changelog rows for (vulnerability, source package key).
    ///
    /// # Errors
    /// A store error.
    fn changelog_mentions(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError>;
    /// Patch rows for the vulnerability, any package.
    ///
    /// # Errors
    /// A store error.
    fn patches(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError>;
    /// Fingerprint rows for the vulnerability, any package.
    ///
    /// # Errors
    /// A store error.
    fn fingerprints(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError>;
    /// The channel heads the evidence comes from.
    ///
    /// # Errors
    /// A store error.
    fn heads(&self) -> Result<Vec<ChannelState>, StoreError>;
    /// Raw evidence bytes by lowercase hex SHA-256.
    ///
    /// # Errors
    /// A store error.
    fn raw(&self, sha256_hex: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

impl EvidenceSource for Snapshot {
    fn advisories_for_vulnerability(
        &self,
        vulnerability: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        Snapshot::advisories_for_vulnerability(self, vulnerability)
    }
    fn changelog_mentions(
        &self,
        vulnerability: &str,
        package: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        Snapshot::changelog_mentions(self, vulnerability, package)
    }
    fn patches(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError> {
        Snapshot::patches(self, vulnerability)
    }
    fn fingerprints(&self, vulnerability: &str) -> Result<Vec<StoredRow>, StoreError> {
        Snapshot::fingerprints(self, vulnerability)
    }
    fn heads(&self) -> Result<Vec<ChannelState>, StoreError> {
        Ok(self
            .channel_heads()?
            .into_iter()
            .map(|(publisher, channel, head)| ChannelState {
                publisher,
                channel,
                sequence: head.sequence,
                bundle: head.bundle.clone(),
            })
            .collect())
    }
    fn raw(&self, sha256_hex: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match format!("sha256:{sha256_hex}").parse::<bundle_format::Digest>() {
            Ok(d) => Snapshot::raw(self, &d),
            Err(_) => Ok(None),
        }
    }
}

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The subject (purl or id) is invalid.
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for ProofError {
    fn code(&self) -> &'static str {
        match self {
            Self::Subject(_) => "subject-invalid",
            Self::Store(e) => e.code(),
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Subject(_) => FailureClass::CouldNotRun,
            Self::Store(e) => e.class(),
        }
    }
}

/// What to prove.
#[derive(Debug, Clone)]
pub struct ProofRequest {
    /// Vulnerability id.
    pub vulnerability: String,
    /// Package URL with version.
    pub purl: String,
    /// When, if the caller wants it recorded (never read from the clock here).
    pub computed_at: Option<String>,
}

fn bonus(tiers: usize) -> f64 {
    match tiers {
        0 | 1 => 0.0,
        2 => 0.05,
        3 => 0.08,
        _ => 0.10,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Builds the proof for `request` from `source`. With `binary` (an installed binary's
/// fingerprints), tier 4 matches it against the fingerprint records of the subject's packages.
///
/// # Errors
/// [`ProofError`] for an invalid subject or an unreadable store.
pub fn prove(
    source: &dyn EvidenceSource,
    request: &ProofRequest,
    binary: Option<&FingerprintedBinary>,
) -> Result<ProofBlob, ProofError> {
    let subject = Subject::new(&request.vulnerability, &request.purl)?;
    prove_subject(source, subject, request.computed_at.as_deref(), binary)
}

/// [`prove`] for a subject already formed from the request (`Subject::new`), so a caller that
/// validated its subjects up front does not parse them twice.
///
/// # Errors
/// [`ProofError`] for an unreadable store.
pub fn prove_subject(
    source: &dyn EvidenceSource,
    mut subject: Subject,
    computed_at: Option<&str>,
    binary: Option<&FingerprintedBinary>,
) -> Result<ProofBlob, ProofError> {
    let vuln = subject.vulnerability.clone();

    // Read once: a package's advisory rows are the rows whose key names it (key order kept).
    let mut vuln_rows = source.advisories_for_vulnerability(&vuln)?;
    // Binary → source package: advisories that list the subject's binary name.
    for row in &vuln_rows {
        let Some(package) = row.key.get(1) else {
            continue;
        };
        let binaries_mention = |v: &serde_json::Value| {
            v.get("binaries")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|a| a.iter().any(|b| b.as_str() == Some(subject.name())))
        };
        let listed = binaries_mention(&row.record)
            || row
                .record
                .get("affected")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|a| a.iter().any(binaries_mention));
        if listed && package.starts_with(&format!("pkg:{}/", subject.purl_type())) {
            subject.add_source_package(package.clone());
        }
    }

    let mut items = Vec::new();
    let mut seen_rows = BTreeSet::new();
    for package in subject.source_packages.clone() {
        let (mine, rest): (Vec<StoredRow>, Vec<StoredRow>) = vuln_rows
            .into_iter()
            .partition(|r| r.key.get(1) == Some(&package));
        vuln_rows = rest;
        let rows: Vec<StoredRow> = mine
            .into_iter()
            .filter(|r| seen_rows.insert((r.source.sha256.clone(), r.key.clone())))
            .map(|r| claims::normalize_advisory_row(source, &vuln, r))
            .collect::<Result<_, _>>()?;
        items.extend(claims::advisory_items(&subject, &rows));
        let mentions = source.changelog_mentions(&vuln, &package)?;
        items.extend(claims::changelog_items(&subject, &mentions));
    }
    let all_patches = source.patches(&vuln)?;
    let ours: Vec<StoredRow> = all_patches
        .iter()
        .filter(|r| {
            r.key
                .get(1)
                .is_some_and(|p| subject.source_packages.contains(p))
        })
        .cloned()
        .collect();
    items.extend(claims::patch_items(&subject, &ours, &all_patches));
    if let Some(binary) = binary {
        subject.binary = Some(format!("sha256:{}", binary.sha256));
        let rows = source.fingerprints(&vuln)?;
        items.extend(claims::binary_items(&subject, &rows, binary));
    }

    let mut blob = decide(subject, items);
    let mut heads = source.heads()?;
    heads.sort_by(|a, b| (&a.publisher, &a.channel).cmp(&(&b.publisher, &b.channel)));
    blob.store_state = StoreState { heads };
    blob.computed_at = computed_at.map(str::to_owned);
    blob.seal();
    Ok(blob)
}

/// The verdict from the evidence (`spec/proof-format.md` §5): each verdict's strength is its
/// strongest item's confidence; the strongest verdict wins; a tie goes to `affected`, then
/// `not-affected`, then `fixed` (never claim a fix the evidence does not carry). Confidence is
/// the winner's strongest item plus the multi-tier bonus (2 tiers +0.05, 3 +0.08, 4 +0.10),
/// capped at 0.98.
#[must_use]
pub fn decide(subject: Subject, mut items: Vec<EvidenceItem>) -> ProofBlob {
    items.sort_by(|a, b| {
        (
            a.tier,
            b.confidence.total_cmp(&a.confidence),
            &a.record_id,
            &a.raw_digest,
            &a.reason,
        )
            .cmp(&(
                b.tier,
                a.confidence.total_cmp(&b.confidence),
                &b.record_id,
                &b.raw_digest,
                &b.reason,
            ))
    });
    items.dedup_by(|a, b| a == b);
    let strength = |v: Verdict| {
        items
            .iter()
            .filter(|i| i.supports == v)
            .map(|i| i.confidence)
            .fold(0.0, f64::max)
    };
    let mut verdict = Verdict::Unknown;
    let mut best = 0.0;
    for v in [Verdict::Affected, Verdict::NotAffected, Verdict::Fixed] {
        let s = strength(v);
        if s > best {
            best = s;
            verdict = v;
        }
    }
    let (evidence, conflicts): (Vec<_>, Vec<_>) =
        items.into_iter().partition(|i| i.supports == verdict);
    let tiers: BTreeSet<Tier> = evidence.iter().map(|i| i.tier).collect();
    let confidence = if verdict == Verdict::Unknown {
        0.0
    } else {
        round2((best + bonus(tiers.len())).min(MAX_CONFIDENCE))
    };
    let method = if tiers.is_empty() {
        "none".to_owned()
    } else {
        tiers
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join("+")
    };
    ProofBlob {
        format: FORMAT.to_owned(),
        subject,
        verdict,
        confidence,
        method,
        evidence,
        conflicts,
        store_state: StoreState::default(),
        computed_at: None,
        proof_hash: None,
    }
}

#[cfg(test)]
mod tests;
