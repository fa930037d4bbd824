//! The only place that prints. Results go to stdout, diagnostics to stderr; `--json` switches
//! results to one JSON document per command on stdout. A broken pipe ends output quietly.

use std::io::{self, Write};

/// How the user asked results to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputMode {
    /// Machine output (`--json`).
    pub json: bool,
    /// `-q`: suppress informational diagnostics.
    pub quiet: bool,
    /// `-v` count: more diagnostics.
    pub verbose: u8,
}

#[allow(dead_code, reason = "shared helpers; not every command uses every one")]
impl OutputMode {
    /// Writes a line of human output to stdout (ignored on a closed pipe).
    pub fn line(&self, text: impl AsRef<str>) {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{}", text.as_ref());
    }

    /// Writes raw bytes to stdout (ignored on a closed pipe).
    pub fn raw(&self, bytes: &[u8]) {
        let mut out = io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    /// Writes `value` as pretty JSON to stdout with a trailing newline.
    pub fn json<T: serde::Serialize>(&self, value: &T) {
        let mut out = io::stdout().lock();
        let text = serde_json::to_string_pretty(value).expect("output types always serialize");
        let _ = writeln!(out, "{text}");
    }

    /// An informational diagnostic on stderr, unless `-q`.
    pub fn info(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    /// A diagnostic on stderr shown with `-v`.
    pub fn debug(&self, text: impl AsRef<str>) {
        if self.verbose > 0 {
            eprintln!("{}", text.as_ref());
        }
    }

    /// An error diagnostic on stderr (always shown).
    pub fn error(&self, text: impl AsRef<str>) {
        eprintln!("{}", text.as_ref());
    }

    /// Whether progress bars may be drawn (a terminal on stderr, not quiet, not JSON).
    #[must_use]
    pub fn progress_allowed(&self) -> bool {
        use std::io::IsTerminal;
        !self.quiet && !self.json && io::stderr().is_terminal()
    }
}
