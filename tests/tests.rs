//! End-to-end tests that drive the `airlock` binary. One test binary; one module per command.

mod common;
mod delta;
