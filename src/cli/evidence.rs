//! `airlock evidence ...`: look at evidence without importing it (`vercmp`).

use std::cmp::Ordering;
use std::io::BufRead;

use airlock::evidence::version::VersionScheme;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::cli::{CmdResult, Failure};
use crate::output::OutputMode;

/// Evidence commands.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

/// The `evidence` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Compare two versions as the ecosystem's own tool does; prints `<`, `=` or `>`.
    Vercmp(VercmpArgs),
}

/// Version scheme names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// dpkg (`dpkg --compare-versions`).
    Deb,
    /// rpm (`rpmvercmp` with epoch and release).
    Rpm,
    /// apk-tools (Alpine).
    Apk,
    /// Semantic Versioning 2.0.0.
    Semver,
}

impl From<SchemeArg> for VersionScheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Deb => VersionScheme::Deb,
            SchemeArg::Rpm => VersionScheme::Rpm,
            SchemeArg::Apk => VersionScheme::Apk,
            SchemeArg::Semver => VersionScheme::Semver,
        }
    }
}

/// `evidence vercmp --scheme S A B` or `evidence vercmp --scheme S --batch < pairs.tsv`.
#[derive(Debug, Args)]
pub struct VercmpArgs {
    /// The version scheme.
    #[arg(long, value_enum)]
    pub scheme: SchemeArg,
    /// Read `A<TAB>B` lines from stdin and print one result per line (`<`, `=`, `>` or
    /// `error`).
    #[arg(long, conflicts_with_all = ["a", "b"])]
    pub batch: bool,
    /// The first version.
    #[arg(required_unless_present = "batch")]
    pub a: Option<String>,
    /// The second version.
    #[arg(required_unless_present = "batch")]
    pub b: Option<String>,
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

impl EvidenceArgs {
    /// Runs the chosen subcommand.
    pub fn run(&self, out: &OutputMode) -> CmdResult {
        match &self.command {
            EvidenceCommand::Vercmp(args) => args.run(out),
        }
    }
}

impl VercmpArgs {
    fn run(&self, out: &OutputMode) -> CmdResult {
        let scheme = VersionScheme::from(self.scheme);
        if self.batch {
            return run_batch(scheme, out);
        }
        let (a, b) = match (&self.a, &self.b) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(Failure::usage("vercmp needs two versions A B, or --batch")),
        };
        let ord = scheme
            .compare(a, b)
            .map_err(|e| Failure::from_coded("vercmp", &e))?;
        if out.json {
            #[derive(Serialize)]
            struct Wire<'a> {
                scheme: &'a str,
                a: &'a str,
                b: &'a str,
                result: &'a str,
            }
            out.json(&Wire {
                scheme: scheme.as_str(),
                a,
                b,
                result: symbol(ord),
            });
        } else {
            out.line(symbol(ord));
        }
        Ok(())
    }
}

/// One result per input line; a line without a tab, or with an invalid version, gives `error`.
fn run_batch(scheme: VersionScheme, out: &OutputMode) -> CmdResult {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut results: Vec<&'static str> = Vec::new();
    let mut buf = String::with_capacity(64 * 1024);
    loop {
        let mut line = Vec::new();
        let n = lock
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::io("stdin", &e))?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let r = match std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.split_once('\t'))
        {
            Some((a, b)) => scheme.compare(a, b).map(symbol).unwrap_or("error"),
            None => "error",
        };
        if out.json {
            results.push(r);
        } else {
            buf.push_str(r);
            buf.push('\n');
            if buf.len() >= 60 * 1024 {
                out.raw(buf.as_bytes());
                buf.clear();
            }
        }
    }
    if out.json {
        out.json(&results);
    } else {
        out.raw(buf.as_bytes());
    }
    Ok(())
}
