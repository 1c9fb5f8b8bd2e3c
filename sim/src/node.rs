//! The interface between the simulator and the thing it drives.

use std::net::SocketAddr;

use anysctp::Instant;
use bytes::Bytes;

/// Anything the simulator can drive: a sans-IO endpoint seen from the
/// network.
///
/// The simulator calls these methods only; application-level behaviour
/// (sending messages, reading events) is done by the scenario between steps,
/// through [`Sim::node_mut`](crate::Sim::node_mut).
pub trait Node {
    /// A datagram arrived from `from` at local address `to`.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, data: Bytes);

    /// Next datagram to send, written into `buf` (at least 65536 bytes):
    /// (destination, source address or `None` = the node's default, length).
    fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)>;

    /// The node's next deadline.
    fn poll_timeout(&mut self) -> Option<Instant>;

    /// Called when the deadline is reached.
    fn handle_timeout(&mut self, now: Instant);
}

impl<T: Node + ?Sized> Node for Box<T> {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, data: Bytes) {
        (**self).handle_datagram(now, from, to, data);
    }

    fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        (**self).poll_transmit(now, buf)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        (**self).poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        (**self).handle_timeout(now);
    }
}
