//! Flag handling shared by several commands: the time of a check, trust roots, keys.

use std::path::{Path, PathBuf};

use airlock::crypto::{PrivateKey, PublicKey};
use airlock::trust::TrustRoot;
use jiff::Timestamp;

use super::Failure;

/// The instant a check is made for: `--at` if given, else the clock, read once here.
pub fn check_time(at: Option<&str>) -> Result<Timestamp, Failure> {
    match at {
        Some(text) => airlock::time::parse_instant(text).map_err(Failure::usage),
        None => Ok(Timestamp::now()),
    }
}

/// The trust root named by `--trust-root` or `$AIRLOCK_TRUST_ROOT`, verified for time `at`.
pub fn load_trust_root(flag: Option<&Path>, at: Timestamp) -> Result<TrustRoot, Failure> {
    let path: PathBuf = match flag {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("AIRLOCK_TRUST_ROOT") {
            Some(p) => PathBuf::from(p),
            None => {
                return Err(Failure::could_not_run(
                    "trust-root-missing",
                    "no trust root: pass --trust-root FILE or set AIRLOCK_TRUST_ROOT",
                ));
            }
        },
    };
    TrustRoot::load(&path, at).map_err(|e| Failure::from_coded(path.display(), &e))
}

/// Reads a private key file.
pub fn load_private_key(path: &Path) -> Result<PrivateKey, Failure> {
    PrivateKey::load(path).map_err(|e| Failure::from_coded(path.display(), &e))
}

/// Reads a public key file (a private key file yields its public half).
pub fn load_public_key(path: &Path) -> Result<PublicKey, Failure> {
    PublicKey::load(path).map_err(|e| Failure::from_coded(path.display(), &e))
}

/// Reads a whole input file, naming it on failure.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::io(path.display(), &e))
}

/// Refuses to write `out` over one of the command's inputs.
pub fn refuse_overwriting_input(out: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    if let Some(out_c) = canon(out) {
        for input in inputs {
            if canon(input).as_ref() == Some(&out_c) {
                return Err(Failure::usage(format!(
                    "refusing to overwrite input {}",
                    input.display()
                )));
            }
        }
    }
    Ok(())
}
