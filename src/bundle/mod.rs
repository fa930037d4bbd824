//! Evidence bundles: create them from an evidence directory, verify them against a trust root,
//! inspect their manifest, extract them safely. The archive format itself (and the streaming
//! reader and writer) is in [`bundle_format`]; this module adds keys, trust and the file system.
//!
//! Which function for which task:
//! - make a bundle: [`create::plan`] (walk and classify, see [`layout`]) then [`create::create`];
//! - check one: [`verify::open_authenticated`] (signature by the trust root's `bundle-signer`
//!   role and expiry, from the first frame alone), then stream its entries with
//!   [`verify::AuthenticatedBundle::next_entry`] or check them all with
//!   [`verify::AuthenticatedBundle::verify_remaining`];
//! - read the manifest without trusting it (inspect): [`verify::peek`];
//! - split for removable media and read back: [`parts`] ([`parts::PartWriter`], the signed
//!   part index, [`parts::BundleInput`] for a plain file or a part set);
//! - write the bundle file: [`output::DirectWriter`] (background thread, `O_DIRECT`);
//! - extract: [`extract::extract`] (verifies as it goes, into a temporary directory, renamed at
//!   the end).
//!
//! Must not depend on the command line or the output module.

pub mod create;
pub mod diff;
pub mod extract;
pub mod layout;
pub mod output;
pub mod parts;
pub mod verify;

pub use create::{CreateError, CreateOptions, PlannedFile};
pub use verify::{AuthenticatedBundle, VerifyError, open_authenticated, peek};
