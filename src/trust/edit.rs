//! Editing and signing trust roots (`airlock trust init|add-key|remove-key|set-threshold|
//! add-log|add-witness|sign`).
//!
//! Invariant: an edit to a signed trust root bumps the version by one and drops every signature,
//! because the old signatures cover the old content; editing an unsigned draft keeps its version.

use std::path::Path;

use bundle_format::dsse::Envelope;
use jiff::Timestamp;

use super::body::{FORMAT, KeyEntry, LogEntry, Role, RoleEntry, TrustRootBody, Witnesses};
use super::{PAYLOAD_TYPE, TrustError, read_unverified};
use crate::crypto::{KeyId, PrivateKey, PublicKey, sign_envelope};
use crate::error::{Coded, FailureClass};

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The edit would make the document invalid.
    #[error("{0}")]
    Invalid(String),
    /// Writing failed.
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

impl Coded for EditError {
    fn code(&self) -> &'static str {
        match self {
            Self::Trust(e) => e.code(),
            Self::Invalid(_) => "trust-edit-invalid",
            Self::Io(_) => "io-error",
        }
    }

    fn class(&self) -> FailureClass {
        match self {
            Self::Trust(e) => e.class(),
            Self::Invalid(_) | Self::Io(_) => FailureClass::CouldNotRun,
        }
    }
}

/// A trust root being edited or signed.
#[derive(Debug, Clone)]
pub struct Draft {
    pub(super) body: TrustRootBody,
    signatures: Vec<bundle_format::dsse::Signature>,
}

impl Draft {
    /// A new, unsigned version-1 trust root whose root role holds `root_keys`.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the threshold does not fit the keys.
    pub fn init(
        root_keys: &[PublicKey],
        threshold: u64,
        expires: Timestamp,
    ) -> Result<Self, EditError> {
        let mut body = TrustRootBody {
            format: FORMAT.to_owned(),
            version: 1,
            expires: crate::time::format_instant(expires),
            keys: Default::default(),
            roles: Role::ALL
                .into_iter()
                .map(|r| {
                    (
                        r,
                        RoleEntry {
                            keyids: Vec::new(),
                            threshold: 1,
                        },
                    )
                })
                .collect(),
            logs: Vec::new(),
            witnesses: Witnesses::default(),
        };
        for key in root_keys {
            insert_key(&mut body, Role::Root, key);
        }
        body.roles
            .get_mut(&Role::Root)
            .expect("all roles present")
            .threshold = threshold;
        let draft = Self {
            body,
            signatures: Vec::new(),
        };
        draft.check()?;
        Ok(draft)
    }

    /// Opens a trust root file (signed or not) for editing.
    ///
    /// # Errors
    /// [`EditError::Trust`] if it cannot be read or parsed.
    pub fn open(path: &Path) -> Result<Self, EditError> {
        let (envelope, body) = read_unverified(path)?;
        Ok(Self {
            body,
            signatures: envelope.signatures,
        })
    }

    /// The body as it stands.
    #[must_use]
    pub fn body(&self) -> &TrustRootBody {
        &self.body
    }

    fn touch(&mut self) {
        if !self.signatures.is_empty() {
            self.body.version += 1;
            self.signatures.clear();
        }
    }

    fn check(&self) -> Result<(), EditError> {
        self.body
            .validate()
            .map_err(|e| EditError::Invalid(e.to_string()))
    }

    /// Adds `key` to `role` (idempotent for the key list, still an edit).
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the result is invalid.
    pub fn add_key(&mut self, role: Role, key: &PublicKey) -> Result<(), EditError> {
        self.touch();
        insert_key(&mut self.body, role, key);
        self.check()
    }

    /// Removes key `id` from `role`; a key no role uses any more leaves `keys`.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the key is not in the role or the result is invalid
    /// (e.g. the threshold would exceed the remaining keys).
    pub fn remove_key(&mut self, role: Role, id: &KeyId) -> Result<(), EditError> {
        let entry = self.body.roles.get_mut(&role).expect("all roles present");
        let before = entry.keyids.len();
        entry.keyids.retain(|k| k != id);
        if entry.keyids.len() == before {
            return Err(EditError::Invalid(format!("role {role} has no key {id}")));
        }
        self.touch();
        let used: std::collections::BTreeSet<KeyId> = self
            .body
            .roles
            .values()
            .flat_map(|r| r.keyids.iter().cloned())
            .collect();
        self.body.keys.retain(|k, _| used.contains(k));
        self.check()
    }

    /// Sets the threshold of `role`.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if it is zero or above the role's key count.
    pub fn set_threshold(&mut self, role: Role, threshold: u64) -> Result<(), EditError> {
        self.touch();
        self.body
            .roles
            .get_mut(&role)
            .expect("all roles present")
            .threshold = threshold;
        self.check()
    }

    /// Sets how many witnesses must cosign.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if above the number of witness keys.
    pub fn set_witness_threshold(&mut self, threshold: u64) -> Result<(), EditError> {
        self.touch();
        self.body.witnesses.threshold = threshold;
        self.check()
    }

    /// Adds (or replaces, by origin) a trusted log.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the result is invalid.
    pub fn add_log(&mut self, log: LogEntry) -> Result<(), EditError> {
        self.touch();
        self.body.logs.retain(|l| l.origin != log.origin);
        self.body.logs.push(log);
        self.body.logs.sort_by(|a, b| a.origin.cmp(&b.origin));
        self.check()
    }

    /// Adds a witness verifier key.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the result is invalid.
    pub fn add_witness(&mut self, vkey: String) -> Result<(), EditError> {
        self.touch();
        if !self.body.witnesses.keys.contains(&vkey) {
            self.body.witnesses.keys.push(vkey);
            self.body.witnesses.keys.sort();
        }
        self.check()
    }

    /// Sets the expiry.
    ///
    /// # Errors
    /// [`EditError::Invalid`] if the result is invalid.
    pub fn set_expires(&mut self, expires: Timestamp) -> Result<(), EditError> {
        self.touch();
        self.body.expires = crate::time::format_instant(expires);
        self.check()
    }

    /// Adds `key`'s signature over the current content (a key that already signed is refused).
    ///
    /// # Errors
    /// [`EditError::Invalid`] if this key already signed.
    pub fn sign(&mut self, key: &PrivateKey) -> Result<(), EditError> {
        if self
            .signatures
            .iter()
            .any(|s| s.keyid == key.key_id().as_str())
        {
            return Err(EditError::Invalid(format!(
                "key {} already signed this version",
                key.key_id()
            )));
        }
        let mut envelope = self.envelope();
        sign_envelope(&mut envelope, key);
        self.signatures = envelope.signatures;
        Ok(())
    }

    /// The envelope as it would be written.
    #[must_use]
    pub fn envelope(&self) -> Envelope {
        let mut envelope = Envelope::new(PAYLOAD_TYPE, self.body.to_canonical());
        envelope.signatures.clone_from(&self.signatures);
        envelope
    }

    /// Writes the envelope to `path` atomically (temp file in the same directory, then rename).
    ///
    /// # Errors
    /// [`EditError::Io`].
    pub fn save(&self, path: &Path) -> Result<(), EditError> {
        let mut bytes = self.envelope().to_json();
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes)?;
        Ok(())
    }
}

fn insert_key(body: &mut TrustRootBody, role: Role, key: &PublicKey) {
    body.keys.insert(
        key.key_id().clone(),
        KeyEntry {
            algorithm: key.algorithm(),
            public_key: key.to_pem(),
            valid_from: None,
            valid_until: None,
        },
    );
    let entry = body.roles.get_mut(&role).expect("all roles present");
    if !entry.keyids.contains(key.key_id()) {
        entry.keyids.push(key.key_id().clone());
        entry.keyids.sort();
    }
}
