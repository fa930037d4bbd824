//! The ProofBlob document (`airlock-proof/1`) and its self-hash.
//!
//! `proof_hash` = `blake3:` + BLAKE3 of the RFC 8785 canonical JSON of the blob with
//! `proof_hash` set to `null` (the hash cannot cover itself; this is the seed's rule).

use serde::{Deserialize, Serialize};

use super::subject::Subject;

/// The value of the `format` field.
pub const FORMAT: &str = "airlock-proof/1";

/// The answer a proof gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The installed version carries the fix.
    Fixed,
    /// The package is not affected at all (e.g. the vulnerable code was never shipped).
    NotAffected,
    /// The installed version is vulnerable.
    Affected,
    /// No evidence either way.
    Unknown,
}

impl Verdict {
    /// The kebab-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::NotAffected => "not-affected",
            Self::Affected => "affected",
            Self::Unknown => "unknown",
        }
    }
}

/// The four evidence tiers, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Distro or vendor advisories.
    Advisory,
    /// Changelog entries of the (source) package.
    Changelog,
    /// Patches in the source package.
    Patch,
    /// Binary function fingerprints.
    Binary,
}

impl Tier {
    /// The kebab-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advisory => "advisory",
            Self::Changelog => "changelog",
            Self::Patch => "patch",
            Self::Binary => "binary",
        }
    }
}

/// One piece of evidence and why it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// The tier.
    pub tier: Tier,
    /// Which verdict it supports.
    pub supports: Verdict,
    /// Its confidence, from the tier's range.
    pub confidence: f64,
    /// The record it came from (advisory id, changelog version, patch path, function).
    pub record_id: String,
    /// The package key the record is filed under.
    pub package: String,
    /// The bundle entry the record came from.
    pub entry: String,
    /// `sha256:<hex>` of the raw evidence (a key of the store's raw table).
    pub raw_digest: String,
    /// Publisher and channel of the bundle.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// Why it counts, in words.
    pub reason: String,
}

/// One channel head of the store at the time of the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    /// Publisher.
    pub publisher: String,
    /// Channel.
    pub channel: String,
    /// Sequence of the imported bundle.
    pub sequence: u64,
    /// Its digest.
    pub bundle: String,
}

/// The store state a proof was computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreState {
    /// Channel heads, sorted by publisher and channel.
    pub heads: Vec<ChannelState>,
}

/// A proof about one vulnerability in one package version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofBlob {
    /// Always [`FORMAT`].
    pub format: String,
    /// What the proof is about.
    pub subject: Subject,
    /// The answer.
    pub verdict: Verdict,
    /// Aggregate confidence in `[0, 0.98]`.
    pub confidence: f64,
    /// The tiers that support the verdict, joined by `+` (`advisory+changelog`), or `none`.
    pub method: String,
    /// Evidence supporting the verdict, strongest tier first.
    pub evidence: Vec<EvidenceItem>,
    /// Evidence that pointed the other way and lost (see the spec's conflict rules).
    pub conflicts: Vec<EvidenceItem>,
    /// Store state.
    pub store_state: StoreState,
    /// When the proof was made, if the caller gave a time (never read from the clock here).
    pub computed_at: Option<String>,
    /// `blake3:<hex>` self-hash (see the module doc).
    pub proof_hash: Option<String>,
}

impl ProofBlob {
    /// The canonical JSON bytes of the blob as it stands.
    #[must_use]
    pub fn to_canonical(&self) -> Vec<u8> {
        super::canonical::proof(self, self.proof_hash.as_deref())
    }

    /// Computes the self-hash (over the canonical form with `proof_hash` null).
    #[must_use]
    pub fn compute_hash(&self) -> String {
        let unhashed = super::canonical::proof(self, None);
        format!("blake3:{}", blake3::hash(&unhashed).to_hex())
    }

    /// Sets `proof_hash`.
    pub fn seal(&mut self) {
        self.proof_hash = Some(self.compute_hash());
    }

    /// Whether `proof_hash` matches the content.
    #[must_use]
    pub fn hash_matches(&self) -> bool {
        self.proof_hash.as_deref() == Some(self.compute_hash().as_str())
    }
}
