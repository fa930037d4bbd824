//! The command line: clap types are parsed here and turned into library calls; the library
//! never sees clap. One module per noun; each `XxxArgs` has a `run`.

pub mod bundle;
pub mod bundle_diff;
pub mod common;
pub mod delta;
pub mod delta_import;
pub mod dsse;
pub mod evidence;
pub mod fingerprint;
pub mod import;
pub mod key;
pub mod outcome;
pub mod proof;
pub mod sigstore;
pub mod store;
pub mod tlog;
pub mod trust;
pub mod vex;

use clap::{Parser, Subcommand};

use crate::output::OutputMode;
pub use outcome::{CmdResult, Failure};

/// airlock: signed evidence bundles across the air gap, offline proofs, VEX and binary deltas.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Machine-readable output: results as JSON on stdout, diagnostics on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Quiet: only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More diagnostics (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands. Only commands that work are listed.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evidence: scan advisories, changelogs, patches and packages before packing; compare versions.
    Evidence(evidence::EvidenceArgs),
    /// Inspect and maintain the evidence store.
    Store(store::StoreArgs),
    /// Verify evidence bundles and import them into the store (one transaction each).
    Import(import::ImportArgs),
    /// Generate and show signing keys.
    Key(key::KeyArgs),
    /// Sign and verify DSSE envelopes.
    Dsse(dsse::DsseArgs),
    /// Create, edit, sign, verify and show trust roots.
    Trust(trust::TrustArgs),
    /// Transparency logs: proofs, signed notes, checkpoints, tiles, the local log.
    Tlog(tlog::TlogArgs),
    /// Binary fingerprints: TLSH digests, function fingerprints, CVE records, matching.
    Fingerprint(fingerprint::FingerprintArgs),
    /// Artifact deltas: create, verify, apply, roll back, report.
    Delta(delta::DeltaArgs),
    /// Prove whether a vulnerability is fixed in a package version; verify proofs.
    Proof(proof::ProofArgs),
    /// Write OpenVEX for scanner findings, each statement carrying a proof.
    Vex(vex::VexArgs),
    /// Evidence bundles: create, verify, inspect, extract.
    Bundle(bundle::BundleArgs),
    /// Verify Sigstore bundles offline against a trusted_root.json.
    Sigstore(sigstore::SigstoreArgs),
}

impl Cli {
    /// The output mode the global flags ask for.
    pub fn output_mode(&self) -> OutputMode {
        OutputMode {
            json: self.json,
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }

    /// Runs the chosen command.
    pub fn run(self) -> CmdResult {
        let out = self.output_mode();
        match &self.command {
            Command::Sigstore(args) => args.run(&out),
            Command::Evidence(args) => args.run(&out),
            Command::Delta(args) => args.run(&out),
            Command::Store(args) => args.run(&out),
            Command::Import(args) => args.run(&out),
            Command::Key(args) => args.run(&out),
            Command::Dsse(args) => args.run(&out),
            Command::Trust(args) => args.run(&out),
            Command::Tlog(args) => args.run(&out),
            Command::Fingerprint(args) => args.run(&out),
            Command::Proof(args) => args.run(&out),
            Command::Vex(args) => args.run(&out),
            Command::Bundle(args) => args.run(&out),
        }
    }
}
