//! # anysctp-conformance
//!
//! Runs the ETSI TS 102 369 packetdrill scripts (kept outside the project,
//! in `../shared/conformance/etsi-ts-102-369`, or wherever
//! `ANYSCTP_CONFORMANCE_DIR` points) against the anysctp core in virtual
//! time.
//!
//! - [`parse`] reads the packetdrill language into the typed [`ast`].
//! - [`suite`] finds the scripts (the suite's and the project's own in
//!   `conformance/scripts/`), their groups and the declared lists
//!   (`expected-pass.txt`, `NOT_APPLICABLE.md`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
pub mod codec;
pub mod parse;
pub mod report;
pub mod runner;
pub mod socket_target;
pub mod suite;
pub mod target;

pub use parse::{parse_script, ParseError};

/// The target the suite runs against: [`socket_target::SocketTarget`], the
/// adapter over `anysctp::socket::SocketStack`.
pub fn default_target() -> report::TargetFactory<'static> {
    Some(&socket_target::SocketTarget::boxed)
}
