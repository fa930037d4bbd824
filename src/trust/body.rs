//! The trust root document (`airlock-trust-root/1`) as it is signed.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::TrustError;
use crate::crypto::{KeyAlgorithm, KeyId, PublicKey};

/// The value of the body's `type` field.
pub const FORMAT: &str = "airlock-trust-root/1";

/// The roles a trust root assigns keys to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Role {
    /// Signs the trust root itself and its rotations.
    Root,
    /// Signs evidence bundle manifests.
    BundleSigner,
    /// Signs rollback attestations for artifact deltas.
    RollbackSigner,
    /// Signs proofs.
    ProofSigner,
}

impl Role {
    /// Every role, in document order.
    pub const ALL: [Role; 4] = [
        Role::Root,
        Role::BundleSigner,
        Role::RollbackSigner,
        Role::ProofSigner,
    ];

    /// The role's name in documents and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::BundleSigner => "bundle-signer",
            Self::RollbackSigner => "rollback-signer",
            Self::ProofSigner => "proof-signer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                format!(
                    "role {s:?}: expected one of root, bundle-signer, rollback-signer, proof-signer"
                )
            })
    }
}

/// A trusted public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The key's algorithm; must match the key.
    pub algorithm: KeyAlgorithm,
    /// SPKI PEM.
    pub public_key: String,
    /// Not valid before this instant (RFC 3339), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Not valid from this instant on (RFC 3339), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// Keys and threshold of one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    /// Key ids (sorted, distinct).
    pub keyids: Vec<KeyId>,
    /// How many distinct keys must sign.
    pub threshold: u64,
}

/// How a log's key is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LogKeyType {
    /// A C2SP signed-note verifier key (`name+hash+base64`).
    NoteVkey,
    /// An SPKI PEM public key (e.g. Rekor's ECDSA P-256 key).
    SpkiPem,
}

/// A trusted transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// The log's origin line (checkpoint first line).
    pub origin: String,
    /// How `key` is encoded.
    pub key_type: LogKeyType,
    /// The key text.
    pub key: String,
}

/// Witnesses and the k-of-n cosignature policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnesses {
    /// C2SP verifier keys of the witnesses (sorted, distinct).
    pub keys: Vec<String>,
    /// How many witnesses must cosign a checkpoint (0 = no witness policy).
    pub threshold: u64,
}

/// The signed content of a trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRootBody {
    /// Always [`FORMAT`].
    #[serde(rename = "type")]
    pub format: String,
    /// Version; each rotation adds exactly one.
    pub version: u64,
    /// Expiry instant (RFC 3339 UTC).
    pub expires: String,
    /// Key id → key.
    pub keys: BTreeMap<KeyId, KeyEntry>,
    /// Role name → keys and threshold. Every role is present.
    pub roles: BTreeMap<Role, RoleEntry>,
    /// Trusted transparency logs, sorted by origin.
    #[serde(default)]
    pub logs: Vec<LogEntry>,
    /// Witness policy.
    #[serde(default)]
    pub witnesses: Witnesses,
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp, TrustError> {
    text.parse::<Timestamp>().map_err(|e| {
        TrustError::Malformed(format!(
            "field {field}: expected RFC 3339, found {text:?} ({e})"
        ))
    })
}

impl TrustRootBody {
    /// Parses and validates a canonical body: format, key ids match their keys, roles name
    /// known keys with a threshold between 1 and their key count.
    ///
    /// # Errors
    /// [`TrustError::Malformed`] naming the field.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, TrustError> {
        let body = super::parse_body(bytes)?;
        body.validate()?;
        Ok(body)
    }

    /// Checks the body's internal consistency.
    ///
    /// # Errors
    /// [`TrustError::Malformed`] naming the field.
    pub fn validate(&self) -> Result<(), TrustError> {
        let bad = |m: String| Err(TrustError::Malformed(m));
        if self.format != FORMAT {
            return bad(format!(
                "field type: expected {FORMAT:?}, found {:?}",
                self.format
            ));
        }
        parse_time("expires", &self.expires)?;
        for (id, entry) in &self.keys {
            let key = PublicKey::from_pem(&entry.public_key)
                .map_err(|e| TrustError::Malformed(format!("keys.{id}: {e}")))?;
            if key.key_id() != id {
                return bad(format!("keys.{id}: the key's id is {}", key.key_id()));
            }
            if key.algorithm() != entry.algorithm {
                return bad(format!(
                    "keys.{id}: algorithm says {}, the key is {}",
                    entry.algorithm,
                    key.algorithm()
                ));
            }
            for (field, value) in [
                ("valid_from", &entry.valid_from),
                ("valid_until", &entry.valid_until),
            ] {
                if let Some(text) = value {
                    parse_time(&format!("keys.{id}.{field}"), text)?;
                }
            }
        }
        for role in Role::ALL {
            let Some(entry) = self.roles.get(&role) else {
                return bad(format!("roles.{role}: missing"));
            };
            for id in &entry.keyids {
                if !self.keys.contains_key(id) {
                    return bad(format!("roles.{role}: key {id} is not in keys"));
                }
            }
            let mut sorted = entry.keyids.clone();
            sorted.sort();
            sorted.dedup();
            if sorted != entry.keyids {
                return bad(format!(
                    "roles.{role}.keyids: expected sorted distinct key ids"
                ));
            }
            let n = entry.keyids.len() as u64;
            if n > 0 && (entry.threshold == 0 || entry.threshold > n) {
                return bad(format!(
                    "roles.{role}.threshold: {} is not between 1 and {n}",
                    entry.threshold
                ));
            }
        }
        if self.roles[&Role::Root].keyids.is_empty() {
            return bad("roles.root: at least one key is required".to_owned());
        }
        if self.witnesses.threshold > self.witnesses.keys.len() as u64 {
            return bad(format!(
                "witnesses.threshold: {} is more than the {} witness key(s)",
                self.witnesses.threshold,
                self.witnesses.keys.len()
            ));
        }
        Ok(())
    }

    /// The expiry instant (validated at parse time).
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.expires
            .parse()
            .expect("validated when the body was parsed")
    }

    /// The keys of `role` valid at `at`, and the role's threshold. A key outside its
    /// `valid_from`/`valid_until` window does not count.
    ///
    /// # Errors
    /// [`TrustError::RoleEmpty`] if fewer keys are valid than the threshold needs.
    pub fn role_keys(
        &self,
        role: Role,
        at: Timestamp,
    ) -> Result<(Vec<PublicKey>, usize), TrustError> {
        let entry = self.roles.get(&role);
        let mut keys = Vec::new();
        for id in entry.map(|e| e.keyids.as_slice()).unwrap_or_default() {
            let Some(k) = self.keys.get(id) else { continue };
            let from_ok = k
                .valid_from
                .as_deref()
                .is_none_or(|t| t.parse::<Timestamp>().is_ok_and(|t| at >= t));
            let until_ok = k
                .valid_until
                .as_deref()
                .is_none_or(|t| t.parse::<Timestamp>().is_ok_and(|t| at < t));
            if from_ok && until_ok {
                keys.push(
                    PublicKey::from_pem(&k.public_key)
                        .map_err(|e| TrustError::Malformed(e.to_string()))?,
                );
            }
        }
        let threshold = entry.map_or(1, |e| usize::try_from(e.threshold).unwrap_or(usize::MAX));
        if keys.is_empty() || keys.len() < threshold {
            return Err(TrustError::RoleEmpty {
                role,
                at: crate::time::format_instant(at),
            });
        }
        Ok((keys, threshold))
    }

    /// The canonical JSON bytes that get signed.
    #[must_use]
    pub fn to_canonical(&self) -> Vec<u8> {
        bundle_format::canonical::to_canonical_vec(self)
            .expect("trust root bodies always serialize")
    }
}
