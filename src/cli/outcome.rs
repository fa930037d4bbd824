//! What a command ends with, and how that maps to the exit code and the error report.

use std::process::ExitCode;

use airlock::{Coded, FailureClass};
use serde::Serialize;

use crate::output::OutputMode;

/// A command that did not succeed.
#[derive(Debug)]
pub struct Failure {
    /// Rejected (exit 1) or could not run (exit 2).
    pub class: FailureClass,
    /// Stable kebab-case code.
    pub code: &'static str,
    /// The full message, naming the file or field, what was expected and what was found.
    pub message: String,
}

#[allow(dead_code, reason = "shared helpers; not every command uses every one")]
impl Failure {
    /// A rejection: the input was checked and refused.
    pub fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            class: FailureClass::Rejected,
            code,
            message: message.into(),
        }
    }

    /// The command could not run (usage, I/O, missing input).
    pub fn could_not_run(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            class: FailureClass::CouldNotRun,
            code,
            message: message.into(),
        }
    }

    /// From a library error, prefixing `context` (typically the file the error is about).
    pub fn from_coded<E: Coded>(context: impl std::fmt::Display, err: &E) -> Self {
        Self {
            class: err.class(),
            code: err.code(),
            message: format!("{context}: {err}"),
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: impl std::fmt::Display, err: &std::io::Error) -> Self {
        Self::could_not_run("io-error", format!("{path}: {err}"))
    }

    /// Bad flag values or combinations.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::could_not_run("usage", message)
    }

    /// Exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self.class {
            FailureClass::Rejected => ExitCode::from(1),
            FailureClass::CouldNotRun => ExitCode::from(2),
        }
    }

    /// Reports the failure: a JSON object on stdout with `--json`, always a line on stderr.
    pub fn report(&self, out: &OutputMode) {
        #[derive(Serialize)]
        struct Wire<'a> {
            status: &'a str,
            code: &'a str,
            error: &'a str,
        }
        let status = match self.class {
            FailureClass::Rejected => "rejected",
            FailureClass::CouldNotRun => "error",
        };
        if out.json {
            out.json(&Wire {
                status,
                code: self.code,
                error: &self.message,
            });
        }
        out.error(format!(
            "airlock: {status} [{}]: {}",
            self.code, self.message
        ));
    }
}

/// The result type of every command's `run`.
pub type CmdResult = Result<(), Failure>;
