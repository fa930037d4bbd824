//! Offline verification of Sigstore bundles (v0.1, v0.2, v0.3) against a `trusted_root.json`.
//!
//! Built on the Sigstore project's Rust crates (`sigstore-verify`, `sigstore-types`,
//! `sigstore-trust-root`, pinned exactly, default features off, no HTTP/TLS) with our RustCrypto
//! [`provider`]. They check, for keyless bundles: the Fulcio chain at every authenticated time
//! (SET-verified Rekor v1 integrated time, RFC 3161 timestamps), the embedded SCT, identity and
//! issuer, the Merkle inclusion proof with its signed checkpoint, the signed entry timestamp, the
//! signature over the artifact or DSSE PAE, and that each log entry describes this bundle.
//! Managed-key bundles are checked the same way with the caller's key instead of a certificate.
//!
//! What those crates leave out, [`verify_bundle`] checks itself (see [`checks`]):
//! - a size limit and strict JSON (no duplicate member names) before parsing;
//! - every log entry's log must be in the trusted root (`unknown-log-key`) before anything else;
//! - the checkpoint must be signed by *the entry's own* log key (the crates accept any trusted
//!   Rekor key), its origin must name that log, and for Rekor v1 its tree size must equal the
//!   proof's tree size (`checkpoint-invalid`);
//! - identity by regular expression (anchored, full match);
//! - DSSE bundles without an artifact: the statement's subjects stand in for the artifact and
//!   are reported, so the signature, certificate and log checks still run in full.
//!
//! # Library entry point
//! ```no_run
//! use airlock::sigstore::{verify_bundle, Policy, TrustedRoot};
//! let root = TrustedRoot::load("trust-roots/sigstore-public-good-trusted_root.json".as_ref())?;
//! let policy = Policy::default()
//!     .identity("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main")
//!     .issuer("https://token.actions.githubusercontent.com");
//! let verified = verify_bundle(&std::fs::read("att.sigstore.json")?, &root, &policy)?;
//! for s in &verified.subjects { println!("{} {:?}", s.name, s.digest); }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod checks;
mod error;
pub mod provider;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use sha2::Digest as _;
use sigstore_verify::types::bundle::VerificationMaterialContent;
use sigstore_verify::types::{Bundle, DerPublicKey, KindVersion, Sha256Hash, SignatureContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

pub use error::SigstoreError;

/// Largest bundle accepted, in bytes (real bundles are 2–20 KB).
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// Largest trusted root accepted, in bytes.
pub const MAX_TRUSTED_ROOT_BYTES: usize = 4 * 1024 * 1024;

/// A parsed and checked `trusted_root.json`, ready to verify many bundles.
pub struct TrustedRoot {
    inner: sigstore_verify::trust_root::TrustedRoot,
    verifier: Verifier,
}

impl std::fmt::Debug for TrustedRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedRoot")
            .field("tlogs", &self.inner.tlogs.len())
            .field(
                "certificate_authorities",
                &self.inner.certificate_authorities.len(),
            )
            .field("ctlogs", &self.inner.ctlogs.len())
            .field(
                "timestamp_authorities",
                &self.inner.timestamp_authorities.len(),
            )
            .finish()
    }
}

impl TrustedRoot {
    /// Parses a `trusted_root.json` (strict JSON, at most [`MAX_TRUSTED_ROOT_BYTES`]) and checks
    /// every key and certificate in it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SigstoreError> {
        provider::install();
        if bytes.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(SigstoreError::TrustedRootInvalid(format!(
                "{} bytes, more than the limit of {MAX_TRUSTED_ROOT_BYTES}",
                bytes.len()
            )));
        }
        bundle_format::canonical::parse_strict(bytes)
            .map_err(|e| SigstoreError::TrustedRootInvalid(e.to_string()))?;
        let text = std::str::from_utf8(bytes)
            .map_err(|e| SigstoreError::TrustedRootInvalid(e.to_string()))?;
        let inner = sigstore_verify::trust_root::TrustedRoot::from_json(text)
            .map_err(|e| SigstoreError::TrustedRootInvalid(e.to_string()))?;
        if !inner
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(SigstoreError::TrustedRootInvalid(format!(
                "mediaType is {:?}, expected application/vnd.dev.sigstore.trustedroot…+json",
                inner.media_type
            )));
        }
        let verifier = Verifier::new(&inner).map_err(SigstoreError::from)?;
        Ok(Self { inner, verifier })
    }

    /// Reads and parses a `trusted_root.json` file.
    pub fn load(path: &Path) -> Result<Self, SigstoreError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SigstoreError::TrustedRootInvalid(format!("{}: {e}", path.display())))?;
        Self::from_json(&bytes)
    }

    /// The underlying trusted root (logs, CAs, CT logs, TSAs).
    pub fn raw(&self) -> &sigstore_verify::trust_root::TrustedRoot {
        &self.inner
    }
}

/// How the signer's identity (the certificate SAN) must look.
#[derive(Debug, Clone)]
pub enum IdentityMatch {
    /// Equal to this string (an email address or URI).
    Exact(String),
    /// The whole SAN matches this regular expression.
    Regex(regex::Regex),
}

/// The artifact a bundle is expected to cover.
#[derive(Debug, Clone)]
pub enum ExpectedArtifact {
    /// The artifact's bytes.
    Bytes(Vec<u8>),
    /// The artifact's SHA-256 digest.
    Sha256([u8; 32]),
}

/// What a bundle must satisfy beyond cryptographic validity.
///
/// `Policy::default()` accepts any identity from any trusted Fulcio CA: callers that act on the
/// result must then authorize [`VerifiedBundle::signer`] themselves.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Required certificate identity (SAN).
    pub identity: Option<IdentityMatch>,
    /// Required Fulcio OIDC issuer.
    pub issuer: Option<String>,
    /// Managed-key bundles: the signer's public key (DER SPKI). Keyless bundles are then refused.
    pub key: Option<Vec<u8>>,
    /// The artifact the bundle must cover. Optional for DSSE bundles (the statement's subjects
    /// are reported instead); required for message-signature bundles.
    pub artifact: Option<ExpectedArtifact>,
    /// The policy time ("verify as of"): every verified time must be at or before it, so a
    /// bundle logged or timestamped later is refused (`verified-time-after-at`). It is never
    /// used as a verified time itself: an unauthenticated time cannot stand in for a log or TSA.
    pub at: Option<jiff::Timestamp>,
}

impl Policy {
    /// Requires this exact identity.
    #[must_use]
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(IdentityMatch::Exact(identity.into()));
        self
    }

    /// Requires the identity to match `re` in full.
    pub fn identity_regex(mut self, re: &str) -> Result<Self, regex::Error> {
        self.identity = Some(IdentityMatch::Regex(regex::Regex::new(&format!(
            "^(?:{re})$"
        ))?));
        Ok(self)
    }

    /// Verifies as of `at` (see [`Policy::at`]).
    #[must_use]
    pub fn at(mut self, at: jiff::Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    /// Requires this OIDC issuer.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Verifies a managed-key bundle with this SPKI PEM public key.
    pub fn key_pem(mut self, pem: &str) -> Result<Self, SigstoreError> {
        let key = DerPublicKey::from_pem(pem)
            .map_err(|e| SigstoreError::KeyRequired(format!("public key: {e}")))?;
        self.key = Some(key.as_bytes().to_vec());
        Ok(self)
    }

    /// Requires the bundle to cover these artifact bytes.
    #[must_use]
    pub fn artifact_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.artifact = Some(ExpectedArtifact::Bytes(bytes));
        self
    }

    /// Requires the bundle to cover an artifact with this SHA-256 digest.
    #[must_use]
    pub fn artifact_sha256(mut self, digest: [u8; 32]) -> Self {
        self.artifact = Some(ExpectedArtifact::Sha256(digest));
        self
    }
}

/// Who signed: a Fulcio certificate's claims, or the managed key.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Signer {
    /// Keyless: a short-lived Fulcio certificate.
    Certificate {
        /// SAN identity (email or URI).
        identity: Option<String>,
        /// Fulcio OIDC issuer extension.
        issuer: Option<String>,
        /// Certificate validity start (RFC 3339).
        not_before: String,
        /// Certificate validity end (RFC 3339).
        not_after: String,
        /// Source repository claim, if the certificate carries one.
        source_repository: Option<String>,
        /// Source repository commit claim.
        source_digest: Option<String>,
    },
    /// Managed key.
    Key {
        /// SHA-256 of the key's DER SPKI, hex.
        spki_sha256: String,
    },
}

/// An in-toto subject of a verified DSSE statement.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    /// Subject name.
    pub name: String,
    /// Digests by algorithm (hex).
    pub digest: BTreeMap<String, String>,
}

/// One verified transparency-log entry.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// The log (its base URL in the trusted root).
    pub log: String,
    /// Log ID (hex SHA-256 of the log key, as in the trusted root).
    pub log_id: String,
    /// Entry kind and version (e.g. `hashedrekord 0.0.1`).
    pub kind: String,
    /// `1` for Rekor v1 entries, `2` for Rekor v2.
    pub rekor_version: u8,
    /// Log index.
    pub log_index: u64,
    /// Integrated time (RFC 3339), only when authenticated by a signed entry timestamp.
    pub integrated_time: Option<String>,
    /// Whether a signed entry timestamp was verified.
    pub signed_entry_timestamp: bool,
    /// Tree size of the verified inclusion proof's checkpoint.
    pub checkpoint_tree_size: Option<u64>,
    /// Origin line of the verified checkpoint.
    pub checkpoint_origin: Option<String>,
}

/// What a verified bundle says, for reports and for callers that act on it.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedBundle {
    /// Media type (bundle version).
    pub media_type: String,
    /// `dsse` or `message-signature`.
    pub content: String,
    /// Who signed.
    pub signer: Signer,
    /// SHA-256 (hex) of the artifact the bundle was checked against, when one was given or is
    /// in the message digest.
    pub artifact_sha256: Option<String>,
    /// How the artifact binding was checked: `artifact`, `digest` or `statement-subjects`.
    pub artifact_binding: String,
    /// DSSE payload type.
    pub payload_type: Option<String>,
    /// in-toto predicate type.
    pub predicate_type: Option<String>,
    /// in-toto subjects (DSSE bundles).
    pub subjects: Vec<Subject>,
    /// Verified log entries.
    pub tlog_entries: Vec<LogEntry>,
    /// Every authenticated time the certificate was checked at (RFC 3339).
    pub verified_times: Vec<String>,
    /// Number of RFC 3161 timestamps in the bundle (all verified).
    pub rfc3161_timestamps: usize,
    /// Whether the certificate's SCT was verified.
    pub sct_verified: bool,
    /// DSSE payload bytes (the in-toto statement), for callers that read the predicate.
    #[serde(skip)]
    pub payload: Vec<u8>,
}

/// Parses bundle bytes with the limits and strictness airlock requires.
///
/// Accepts a JSON document, or a JSON Lines file holding exactly one bundle (as SLSA
/// `.intoto.jsonl` files do).
pub fn parse_bundle(bytes: &[u8]) -> Result<Bundle, SigstoreError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(SigstoreError::BundleTooLarge {
            size: bytes.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SigstoreError::BundleMalformed(format!("not UTF-8: {e}")))?;
    bundle_format::canonical::parse_strict(text.trim_end().as_bytes())
        .map_err(|e| SigstoreError::BundleMalformed(e.to_string()))?;
    Bundle::from_json(text).map_err(|e| SigstoreError::BundleMalformed(e.to_string()))
}

fn hex_of(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn rfc3339(t: impl std::fmt::Display) -> String {
    t.to_string()
}

/// Verifies a Sigstore bundle offline against `root`, enforcing `policy`.
///
/// Returns what the bundle proves (signer, subjects, log entries, times) or the first reason
/// it is rejected, as a [`SigstoreError`] with a stable code. Never touches the network.
pub fn verify_bundle(
    bytes: &[u8],
    root: &TrustedRoot,
    policy: &Policy,
) -> Result<VerifiedBundle, SigstoreError> {
    provider::install();
    let bundle = parse_bundle(bytes)?;
    if bundle.verification_material.tlog_entries.is_empty() {
        return Err(SigstoreError::TlogEntryMissing(
            "verificationMaterial.tlogEntries is empty; airlock requires the signature to be \
             logged in a transparency log of the trusted root"
                .into(),
        ));
    }
    checks::known_logs(&bundle, root)?;

    let statement = match &bundle.content {
        SignatureContent::DsseEnvelope(env)
            if env.payload_type == "application/vnd.in-toto+json" =>
        {
            serde_json::from_slice::<sigstore_verify::types::Statement>(env.payload.as_bytes()).ok()
        }
        _ => None,
    };

    // The artifact the crates check the bundle against.
    let (artifact, binding, artifact_sha256): (sigstore_verify::types::Artifact<'_>, &str, _) =
        match (&policy.artifact, &bundle.content) {
            (Some(ExpectedArtifact::Bytes(b)), _) => (
                b.as_slice().into(),
                "artifact",
                Some(sha2::Sha256::digest(b).to_vec()),
            ),
            (Some(ExpectedArtifact::Sha256(d)), _) => {
                (Sha256Hash::new(*d).into(), "digest", Some(d.to_vec()))
            }
            (None, SignatureContent::DsseEnvelope(_)) => {
                let digest = statement
                    .as_ref()
                    .and_then(checks::first_subject_digest)
                    .ok_or_else(|| {
                        SigstoreError::ArtifactRequired(
                            "the DSSE payload is not an in-toto statement with a sha256 or \
                             sha512 subject; give the artifact (--artifact or --digest)"
                                .into(),
                        )
                    })?;
                let shown = (digest.algorithm() == sigstore_verify::types::HashAlgorithm::Sha2256)
                    .then(|| digest.as_bytes().to_vec());
                (
                    sigstore_verify::types::Artifact::Digest(digest),
                    "statement-subjects",
                    shown,
                )
            }
            (None, _) => {
                return Err(SigstoreError::ArtifactRequired(
                    "a message-signature bundle can only be verified against its artifact; \
                     give --artifact FILE or --digest sha256:HEX"
                        .into(),
                ));
            }
        };

    let is_key_bundle = matches!(
        bundle.verification_material.content,
        VerificationMaterialContent::PublicKey(_)
    );
    let result = match (&policy.key, is_key_bundle) {
        (Some(key), true) => {
            let key_policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(key.clone()));
            root.verifier.verify(artifact, &bundle, &key_policy)?
        }
        (None, true) => {
            return Err(SigstoreError::KeyRequired(
                "the bundle is signed with a managed key (no certificate); give --key PUB".into(),
            ));
        }
        (Some(_), false) => {
            return Err(SigstoreError::BundleKindMismatch(
                "a public key was given, but the bundle is keyless (it carries a Fulcio \
                 certificate)"
                    .into(),
            ));
        }
        (None, false) => {
            let mut cert_policy = VerificationPolicy::any_identity();
            if let Some(IdentityMatch::Exact(id)) = &policy.identity {
                cert_policy = cert_policy.require_identity(id.as_str());
            }
            if let Some(issuer) = &policy.issuer {
                cert_policy = cert_policy.require_issuer(issuer.as_str());
            }
            root.verifier.verify(artifact, &bundle, &cert_policy)?
        }
    };

    if let Some(IdentityMatch::Regex(re)) = &policy.identity {
        let found = result.identity().map(|i| i.as_str().to_string());
        if !found.as_deref().is_some_and(|f| re.is_match(f)) {
            return Err(SigstoreError::IdentityMismatch {
                expected: format!("identity matching /{}/", re.as_str()),
                found: found.unwrap_or_else(|| "no identity".into()),
            });
        }
    }

    if let Some(at) = policy.at {
        // The crates' times are another jiff major version: compare as nanoseconds.
        let limit = at.as_nanosecond();
        if let Some(late) = result
            .verified_timestamps()
            .iter()
            .find(|t| t.as_nanosecond() > limit)
        {
            return Err(SigstoreError::TimeAfterPolicy(format!(
                "the bundle's verified time {late} is after --at {at}"
            )));
        }
    }

    let tlog_entries = checks::checkpoints(&bundle, root)?;

    let signer = match (result.certificate(), &policy.key) {
        (Some(cert), _) => Signer::Certificate {
            identity: cert.identity.as_ref().map(|i| i.as_str().to_string()),
            issuer: cert.issuer.clone(),
            not_before: rfc3339(cert.not_before),
            not_after: rfc3339(cert.not_after),
            source_repository: cert.ci_claims.source_repository_uri.clone(),
            source_digest: cert.ci_claims.source_repository_digest.clone(),
        },
        (None, Some(key)) => Signer::Key {
            spki_sha256: hex_of(&sha2::Sha256::digest(key)),
        },
        (None, None) => {
            return Err(SigstoreError::BundleMalformed(
                "no signing certificate or key".into(),
            ));
        }
    };

    let (content, payload_type, payload) = match &bundle.content {
        SignatureContent::DsseEnvelope(env) => (
            "dsse",
            Some(env.payload_type.clone()),
            env.payload.as_bytes().to_vec(),
        ),
        _ => ("message-signature", None, Vec::new()),
    };
    let subjects = statement.as_ref().map(checks::subjects).unwrap_or_default();
    let mut tlog_entries = tlog_entries;
    for entry in &mut tlog_entries {
        if entry.signed_entry_timestamp && entry.rekor_version == 1 {
            entry.integrated_time = bundle
                .verification_material
                .tlog_entries
                .iter()
                .find(|e| e.log_index.get() == entry.log_index)
                .and_then(|e| e.integrated_time)
                .map(rfc3339);
        }
    }

    Ok(VerifiedBundle {
        media_type: bundle.media_type.as_str().to_string(),
        content: content.into(),
        signer,
        artifact_sha256: artifact_sha256.map(|d| hex_of(&d)),
        artifact_binding: binding.into(),
        payload_type,
        predicate_type: statement.as_ref().map(|s| s.predicate_type.clone()),
        subjects,
        tlog_entries,
        verified_times: result
            .verified_timestamps()
            .iter()
            .map(|t| rfc3339(*t))
            .collect(),
        rfc3161_timestamps: bundle
            .verification_material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len(),
        sct_verified: result.sct_verified(),
        payload,
    })
}

fn kind_name(kind: KindVersion) -> String {
    format!("{} {}", kind.kind(), kind.version())
}
