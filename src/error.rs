//! The shared vocabulary of failures: a stable kebab-case code and a class per error, so the
//! command line can pick the exit code (1 rejected, 2 could not run) without string matching.

/// How a failure should be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The input was checked and found wanting (forged, expired, tampered, older): exit 1.
    Rejected,
    /// The check could not be carried out (I/O, usage, missing input): exit 2.
    CouldNotRun,
}

/// An error with a stable code that scripts may match on.
pub trait Coded: std::error::Error {
    /// The stable kebab-case code (e.g. `signature-invalid`).
    fn code(&self) -> &'static str;
    /// Whether this is a rejection or an inability to run.
    fn class(&self) -> FailureClass;
}
