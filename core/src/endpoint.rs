//! API FACADE ONLY (branch `api`): the public signatures of `Endpoint`, so
//! bindings can be written while the association is integrated. Every
//! method here does nothing useful; the real implementation lands on main.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::config::{AssociationConfig, EndpointConfig};
use crate::error::Error;
use crate::event::{AssociationId, Event, SendOptions, Transmit};
use crate::stats::{AssociationState, AssociationStats};
use crate::time::Instant;
use crate::types::StreamId;

/// An SCTP endpoint: one local SCTP port, many associations.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
}

impl Endpoint {
    /// Creates an endpoint; `seed` feeds every random choice.
    pub fn new(config: EndpointConfig, seed: [u8; 32]) -> Result<Self, Error> {
        let _ = seed;
        config.association.validate()?;
        Ok(Self { config })
    }
    /// The endpoint's configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }
    /// Starts an association with `remote` (transport address) whose SCTP port is `remote_port`.
    pub fn connect(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        remote_port: u16,
        config: AssociationConfig,
    ) -> Result<AssociationId, Error> {
        self.connectx(now, &[remote], remote_port, config)
    }
    /// Like `connect` with several peer addresses (sctp_connectx).
    pub fn connectx(
        &mut self,
        _now: Instant,
        _remotes: &[SocketAddr],
        _remote_port: u16,
        _config: AssociationConfig,
    ) -> Result<AssociationId, Error> {
        Err(Error::InvalidState {
            state: "facade",
            hint: "not implemented on the api branch",
        })
    }
    /// Processes one datagram that arrived from `from`.
    pub fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, _data: Bytes) {}
    /// Writes the next packet to send into `buf` (give at least the MTU; 65536 is always enough).
    pub fn poll_transmit(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<Transmit> {
        None
    }
    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
    /// Runs the timers that are due at `now`.
    pub fn handle_timeout(&mut self, _now: Instant) {}
    /// The next event.
    pub fn poll_event(&mut self) -> Option<(AssociationId, Event)> {
        None
    }
    /// Queues a message.
    pub fn send(
        &mut self,
        _now: Instant,
        _id: AssociationId,
        _stream: StreamId,
        _data: Bytes,
        _opts: SendOptions,
    ) -> Result<(), Error> {
        Err(Error::NoSuchAssociation)
    }
    /// Starts a graceful shutdown (RFC 9260 §9.2).
    pub fn shutdown(&mut self, _now: Instant, _id: AssociationId) -> Result<(), Error> {
        Err(Error::NoSuchAssociation)
    }
    /// Aborts the association (RFC 9260 §9.1) with a user-initiated-abort cause carrying `reason`.
    pub fn abort(&mut self, _now: Instant, _id: AssociationId, _reason: &str) -> Result<(), Error> {
        Err(Error::NoSuchAssociation)
    }
    /// Figures about the association.
    pub fn stats(&self, _id: AssociationId) -> Option<AssociationStats> {
        None
    }
    /// The association's state.
    pub fn state(&self, _id: AssociationId) -> Option<AssociationState> {
        None
    }
    /// Ids of the associations the endpoint holds.
    pub fn associations(&self) -> Vec<AssociationId> {
        Vec::new()
    }
    /// Bytes queued for sending and not yet sent.
    pub fn buffered_amount(&self, _id: AssociationId) -> Option<usize> {
        None
    }
    /// Sets the level at or below which `Event::BufferedAmountLow` fires (once per crossing).
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        _id: AssociationId,
        _bytes: usize,
    ) -> Result<(), Error> {
        Err(Error::NoSuchAssociation)
    }
    /// The peer's transport addresses.
    pub fn peer_addresses(&self, _id: AssociationId) -> Option<Vec<SocketAddr>> {
        None
    }
    /// Makes `addr` the primary path.
    pub fn set_primary(&mut self, _id: AssociationId, _addr: SocketAddr) -> Result<(), Error> {
        Err(Error::NoSuchAssociation)
    }
}
