//! Helpers shared by the integration tests: run the binary, make scratch directories.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The path of the built `airlock` binary.
pub fn airlock_bin() -> &'static str {
    env!("CARGO_BIN_EXE_airlock")
}

/// Runs `airlock` with `args` in `dir`, no stdin, and returns its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(airlock_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_STORE")
        .env_remove("AIRLOCK_TRUST_ROOT")
        .stdin(Stdio::null())
        .output()
        .expect("airlock binary runs")
}

/// Runs `airlock` and asserts its exit code, returning stdout as text.
pub fn expect_code(dir: &Path, args: &[&str], code: i32) -> String {
    let out = run_in(dir, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "airlock {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Path of a file in the repository's `fixtures/` folder.
pub fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}
