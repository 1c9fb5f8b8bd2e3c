//! # anysctp-sim
//!
//! A deterministic network simulator for sans-IO protocol endpoints: nodes
//! implementing [`Node`] exchange datagrams over links with loss,
//! duplication, reordering, delay, jitter, bandwidth limits and path
//! failures, in virtual time, with all randomness from one seed. A
//! [`Checker`] verifies end-to-end delivery invariants; [`matrix`] runs
//! seeded scenarios across named link profiles and prints replayable
//! failures.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checker;
pub mod endpoint;
pub mod matrix;
pub mod network;
pub mod node;
pub mod sim;
pub mod toy;

pub use anysctp::Instant;
pub use checker::{check_message, make_message, Checker, Flow, Reliability};
pub use endpoint::{chunk_types, EndpointNode};
pub use network::{Action, LinkProfile, LinkStats, Network};
pub use node::Node;
pub use sim::{Limits, RunOutcome, Sim, SimError};

// Runs the README's examples as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
