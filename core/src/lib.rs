//! # anysctp
//!
//! A portable, sans-IO implementation of SCTP (RFC 9260) and its extensions.
//!
//! The core does no I/O: the host hands it datagrams and the current time,
//! and takes from it datagrams to send, the next deadline, and events. See
//! the repository's `DESIGN.md` for the architecture.
//!
//! Rooms, from the bottom up: [`wire`] (packet codecs), [`rx`] (receive
//! side), [`tx`] (send side), [`path`] (per-path state), [`congestion`]
//! (congestion control), [`timer`] (deadlines).

#![doc = ""]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod association;
pub mod config;
pub mod congestion;
pub mod endpoint;
pub mod error;
pub mod event;
pub mod path;
pub mod pcap;
pub mod rx;
pub mod socket;
pub mod stats;
mod stream_table;
pub mod time;
pub mod timer;
pub mod tx;
pub mod types;
pub mod wire;

pub use config::{AssociationConfig, AuthConfig, EndpointConfig, HmacAlgorithm, ReconfigPolicy};
pub use endpoint::Endpoint;
pub use error::Error;
pub use event::{
    AddressChangeReason, AddressRequest, AddressRequestOutcome, AssociationId, AuthIndication,
    CloseReason, Event, PeerAddressState, ReconfigResult, ResetDirection, SendFailure, SendOptions,
    StreamDirection, Transmit,
};
pub use stats::{AssociationState, AssociationStats, PathState, PathStats};
pub use time::Instant;
pub use types::{Fsn, GapAckBlock, Mid, Ppid, Ssn, StreamId, Tsn, VerificationTag};
