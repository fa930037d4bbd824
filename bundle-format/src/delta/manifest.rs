//! `delta-manifest.json`: the description of a delta (spec `delta-format.md` §6), written as
//! RFC 8785 canonical JSON. Every field the smart-difference seed lists is here: base and target
//! digests, artifact type, changed chunks, ops summary, functions changed, materials delta,
//! attestation references, score inputs and the risk with its breakdown.

use serde::{Deserialize, Serialize};

use super::chunk::ChunkRef;
use crate::digest::Digest;

/// The manifest's format identifier.
pub const MANIFEST_FORMAT: &str = "airlock-delta-manifest/v1";
/// File name of the manifest inside a delta directory.
pub const MANIFEST_FILE: &str = "delta-manifest.json";
/// File name of the payload inside a delta directory.
pub const PAYLOAD_FILE: &str = "delta.bin";
/// File name of the reverse payload (target → base) inside a delta directory.
pub const REVERSE_PAYLOAD_FILE: &str = "reverse.bin";
/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Size and digests of one artifact or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactDigests {
    /// Bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: Digest,
    /// BLAKE3.
    pub blake3: Digest,
}

impl From<crate::digest::FileDigests> for ArtifactDigests {
    fn from(d: crate::digest::FileDigests) -> Self {
        Self {
            size: d.size,
            sha256: d.sha256,
            blake3: d.blake3,
        }
    }
}

/// The chunking parameters used (spec §4), recorded so a verifier can recompute the chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chunking {
    /// `fastcdc-v2020`.
    pub algorithm: String,
    /// Minimum chunk size.
    pub min_size: u64,
    /// Average chunk size.
    pub avg_size: u64,
    /// Maximum chunk size.
    pub max_size: u64,
    /// Normalization level.
    pub normalization: u8,
    /// Base chunk count.
    pub base_chunks: u64,
    /// Target chunk count.
    pub target_chunks: u64,
}

/// The Merkle tree over the target's chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkTree {
    /// `rfc6962-sha256`.
    pub hash: String,
    /// Leaves (target chunks).
    pub leaf_count: u64,
    /// Root hash, hex.
    pub root: String,
    /// Multi-proof for the changed chunks (hex hashes, depth-first order, spec §4.2).
    pub changed_proof: Vec<String>,
}

/// A chunk of the target that does not occur in the base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangedChunk {
    /// Leaf index in the chunk tree.
    pub index: u64,
    /// The chunk.
    #[serde(flatten)]
    pub chunk: ChunkRef,
}

/// Counts over the op stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSummary {
    /// COPY ops.
    pub copy_ops: u64,
    /// ADD ops.
    pub add_ops: u64,
    /// ADD_DIFF ops.
    pub add_diff_ops: u64,
    /// Bytes produced by COPY.
    pub copy_bytes: u64,
    /// Bytes produced by ADD.
    pub add_bytes: u64,
    /// Bytes produced by ADD_DIFF.
    pub add_diff_bytes: u64,
    /// Bytes that differ from the base in ADD_DIFF ranges.
    pub add_diff_changed_bytes: u64,
    /// Compressed ADD section size.
    pub add_compressed_bytes: u64,
    /// Share of output bytes produced by COPY or matching ADD_DIFF bytes, in thousandths.
    pub copy_ratio_permille: u64,
    /// Shannon entropy of the literal (new) bytes, in thousandths of a bit per byte.
    pub add_entropy_millibits: u64,
    /// Payload size relative to the target, in thousandths.
    pub payload_ratio_permille: u64,
}

/// One section of an executable, compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDelta {
    /// Section name.
    pub name: String,
    /// Base size (absent if added).
    pub base_size: Option<u64>,
    /// Target size (absent if removed).
    pub target_size: Option<u64>,
    /// Whether the contents changed.
    pub changed: bool,
}

/// One changed function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionChange {
    /// Symbol name.
    pub name: String,
    /// Section holding it.
    pub section: String,
    /// `added`, `removed` or `modified`.
    pub change: String,
    /// Base size in bytes (0 if added).
    pub base_size: u64,
    /// Target size in bytes (0 if removed).
    pub target_size: u64,
    /// `target_size - base_size`.
    pub size_delta: i64,
}

/// The function-level view of an executable delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FunctionsChanged {
    /// Whether function-level analysis was possible.
    pub available: bool,
    /// Why not, or how it was done.
    pub note: String,
    /// Functions only in the target.
    pub added: u64,
    /// Functions only in the base.
    pub removed: u64,
    /// Functions in both whose bytes differ.
    pub modified: u64,
    /// Functions in both with identical bytes.
    pub unchanged: u64,
    /// The most significant changes (largest size change first, then by name).
    pub top: Vec<FunctionChange>,
}

/// One member of an archive, compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDelta {
    /// Member path.
    pub path: String,
    /// `added`, `removed`, `modified` or `unchanged`.
    pub change: String,
    /// Base member sha256.
    pub base_sha256: Option<Digest>,
    /// Target member sha256.
    pub target_sha256: Option<Digest>,
    /// Target member size.
    pub target_size: Option<u64>,
}

/// How a container (archive) relates to its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContainerView {
    /// Container kind (`zip`, `tar`, `deb`, `tar+gzip`, ...), empty for non-containers.
    pub kind: String,
    /// Whether the payload reproduces the container's exact bytes (always true for airlock
    /// payloads, which act on the container bytes; member views are analysis only).
    pub exact_bytes: bool,
    /// Remarks on compression, repacking and recompression.
    pub notes: Vec<String>,
    /// Members compared.
    pub members: Vec<MemberDelta>,
    /// Count per change kind.
    pub added: u64,
    /// Members removed.
    pub removed: u64,
    /// Members modified.
    pub modified: u64,
    /// Members unchanged (possibly recompressed).
    pub unchanged: u64,
}

/// One dependency (material).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// Name, purl or layer reference.
    pub name: String,
    /// Version when known.
    pub version: Option<String>,
    /// Digests as `alg:hex`.
    pub digests: Vec<String>,
    /// Where it was found (`cyclonedx`, `spdx`, `slsa`, `oci-layer`, `deb-depends`, ...).
    pub source: String,
}

/// Dependencies added or removed between base and target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MaterialsDelta {
    /// Only in the target.
    pub added: Vec<Material>,
    /// Only in the base.
    pub removed: Vec<Material>,
    /// Where materials were read from.
    pub sources: Vec<String>,
}

/// A reference to an attestation shipped in the delta directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationRef {
    /// Path relative to the delta directory.
    pub path: String,
    /// `dsse`, `sigstore-bundle` or `unknown`.
    pub kind: String,
    /// SHA-256 of the file.
    pub sha256: Digest,
    /// DSSE payload type, if any.
    pub payload_type: Option<String>,
    /// in-toto predicate type, if any.
    pub predicate_type: Option<String>,
    /// Subject digests named by the statement (`sha256:hex`).
    pub subjects: Vec<String>,
    /// Whether a subject names the target digest.
    pub names_target: bool,
    /// Whether the bundle carries a transparency-log inclusion proof.
    pub has_inclusion_proof: bool,
}

/// The pre-computed inputs of the risk score (spec §8), each normalized to 0..=1000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreInputs {
    /// 0 = no provenance, 1000 = SLSA provenance + valid signature + log inclusion.
    pub provenance_completeness: u64,
    /// Entropy of new bytes scaled to 0..=1000 (8 bits/byte = 1000) times new-byte share.
    pub delta_entropy: u64,
    /// Dependencies added.
    pub new_deps_count: u64,
    /// 0 = none or invalid, 1000 = every attestation verified.
    pub signed_attestation_validity: u64,
    /// Function-change impact 0..=1000.
    pub function_change_impact: u64,
    /// Provenance gaps found.
    pub provenance_gaps: Vec<String>,
}

/// One input's contribution to the risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskContribution {
    /// Input name.
    pub input: String,
    /// Risk points contributed (0..=weight).
    pub points: u64,
    /// The weight from the policy.
    pub weight: u64,
    /// Plain-language reason.
    pub reason: String,
}

/// The risk score and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaRisk {
    /// 0 (no risk) ..= 100.
    pub score: u64,
    /// `green`, `amber` or `red`.
    pub verdict: String,
    /// SHA-256 of the policy file used, or `default`.
    pub policy: String,
    /// Each input's contribution.
    pub breakdown: Vec<RiskContribution>,
    /// Rules that forced the verdict, if any.
    pub reasons: Vec<String>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaManifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// `blob`, `elf`, `pe`, `macho`, `zip`, `tar`, `deb`, `gzip`, `oci-layout`, `cyclonedx`, `spdx`, ...
    pub artifact_type: String,
    /// The base.
    pub base: ArtifactDigests,
    /// The target.
    pub target: ArtifactDigests,
    /// The forward payload (`delta.bin`).
    pub payload: ArtifactDigests,
    /// The reverse payload (`reverse.bin`, target → base) used by rollback.
    pub reverse_payload: ArtifactDigests,
    /// Chunking parameters.
    pub chunking: Chunking,
    /// Merkle tree over the target chunks.
    pub chunk_tree: ChunkTree,
    /// Target chunks not found in the base.
    pub changed_chunks: Vec<ChangedChunk>,
    /// Op counts.
    pub ops_summary: OpsSummary,
    /// Per-section view (executables).
    pub sections: Vec<SectionDelta>,
    /// Function-level view (executables).
    pub functions_changed: FunctionsChanged,
    /// Member-level view (archives).
    pub container: ContainerView,
    /// Dependency changes.
    pub materials_delta: MaterialsDelta,
    /// Attestations shipped with the delta.
    pub attestations: Vec<AttestationRef>,
    /// Inputs of the score.
    pub score_inputs: ScoreInputs,
    /// The risk computed at creation (verify recomputes it under its own policy).
    pub delta_risk: DeltaRisk,
    /// Present when the payload acts on the *expanded* artifacts (compressed members
    /// decompressed, spec §5.5) instead of their bytes; absent (not `null`) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expansion: Option<Expansion>,
}

/// How the payload's streams relate to the artifacts when compressed members are expanded
/// (spec §5.5). Invariants (checked by the reader): streams are sorted, non-overlapping and lie
/// inside their artifact; the expanded artifacts are the artifact with each stream replaced by
/// its decompressed bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expansion {
    /// The expanded base (what the payload's header calls the base).
    pub base: ArtifactDigests,
    /// The expanded target (what the payload's header calls the target).
    pub target: ArtifactDigests,
    /// Compressed ranges of the base that are decompressed.
    pub base_streams: Vec<BaseStream>,
    /// Compressed ranges of the target that were reproduced by recompression at create time;
    /// apply recompresses them with their recipe.
    pub target_streams: Vec<TargetStream>,
    /// Compressed ranges of the target that no recipe reproduced: they stay compressed bytes
    /// in the expanded target (stated plainly, so a reader knows which members were not
    /// diffed by content).
    pub kept_streams: Vec<KeptStream>,
}

/// A compressed range of the target shipped as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptStream {
    /// Offset in the target.
    pub offset: u64,
    /// Compressed bytes.
    pub len: u64,
    /// `deflate`, `xz` or `zstd`.
    pub codec: String,
    /// The member it holds (zip or `ar` member name, or `gzip`).
    pub member: String,
}

/// A compressed range of the base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseStream {
    /// Offset in the base.
    pub offset: u64,
    /// Compressed bytes.
    pub len: u64,
    /// `deflate` (raw RFC 1951), `xz` or `zstd`.
    pub codec: String,
}

/// A compressed range of the target and how to reproduce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetStream {
    /// Offset in the target.
    pub offset: u64,
    /// Compressed bytes.
    pub len: u64,
    /// Decompressed bytes (its length in the expanded target).
    pub expanded_len: u64,
    /// The settings that reproduce the compressed bytes exactly.
    pub recipe: Recipe,
}

/// Compression settings (spec §5.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// `deflate`, `xz` or `zstd`.
    pub codec: String,
    /// `zlib` or `miniz_oxide` (deflate); `liblzma` or `liblzma-mt` (xz); `libzstd` or
    /// `libzstd-stream` (zstd).
    pub encoder: String,
    /// Level or preset.
    pub level: u32,
    /// xz: `crc32`, `crc64`, `sha256` or `none`; zstd: `checksum` or `none`; deflate: `none`.
    pub check: String,
}
