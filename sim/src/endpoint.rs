//! [`EndpointNode`]: an [`anysctp::Endpoint`] as a simulator [`Node`].
//!
//! The simulator drives the network side (datagrams in and out, timers);
//! the scenario drives the application side through
//! [`endpoint`](EndpointNode::endpoint) between steps, using
//! [`Sim::now`](crate::Sim::now) as the time of its calls:
//!
//! ```
//! use anysctp::{AssociationConfig, EndpointConfig};
//! use anysctp_sim::{EndpointNode, Instant, Sim};
//!
//! let a = "10.0.0.1:9899".parse().unwrap();
//! let b = "10.0.0.2:9899".parse().unwrap();
//! let mut sim = Sim::new(7);
//! let client = sim.add_node(EndpointNode::new(EndpointConfig::default(), [1; 32]).unwrap(), [a]);
//! let server_config = EndpointConfig { accept_incoming: true, ..EndpointConfig::default() };
//! sim.add_node(EndpointNode::new(server_config, [2; 32]).unwrap(), [b]);
//! let now = sim.now();
//! let id = sim.node_mut(client).endpoint.connect(now, b, 5000, AssociationConfig::default()).unwrap();
//! sim.run_until(Instant::from_millis(1000), |sim| {
//!     sim.node(client).endpoint.stats(id).is_some_and(|s| s.state.name() == "ESTABLISHED")
//! })
//! .unwrap();
//! ```

use std::fmt;
use std::net::SocketAddr;

use anysctp::wire::Packet;
use anysctp::{Endpoint, EndpointConfig, Error, Instant};
use bytes::Bytes;

use crate::node::Node;

/// Called for every datagram the endpoint sends: (time, destination,
/// source if the endpoint chose one, the SCTP packet).
pub type Sniffer = Box<dyn FnMut(Instant, SocketAddr, Option<SocketAddr>, &[u8])>;

/// Decides whether to drop a datagram before the endpoint sees it: (time,
/// source, the SCTP packet) → drop.
pub type InboundFilter = Box<dyn FnMut(Instant, SocketAddr, &[u8]) -> bool>;

/// Chooses the source address of a datagram the endpoint left to the host
/// (`Transmit::source == None`), from its destination: the simulated
/// host's routing table. `None`: the node's first address.
pub type Router = Box<dyn FnMut(SocketAddr) -> Option<SocketAddr>>;

/// An [`Endpoint`] driven by the simulator. `Transmit::source` is passed
/// through, so a multihomed endpoint sends from the address it chose;
/// datagrams arrive through [`Endpoint::handle_datagram_to`], so it learns
/// the local address of each path.
pub struct EndpointNode {
    /// The endpoint, for application calls (`connect`, `send`,
    /// `poll_event`, `shutdown`, `stats`, ...).
    pub endpoint: Endpoint,
    sniffer: Option<Sniffer>,
    filter: Option<InboundFilter>,
    router: Option<Router>,
}

impl fmt::Debug for EndpointNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointNode")
            .field("endpoint", &self.endpoint)
            .field("sniffer", &self.sniffer.is_some())
            .field("filter", &self.filter.is_some())
            .field("router", &self.router.is_some())
            .finish()
    }
}

impl EndpointNode {
    /// A node around a new endpoint (see [`Endpoint::new`]; `seed` feeds
    /// all of the endpoint's randomness).
    pub fn new(config: EndpointConfig, seed: [u8; 32]) -> Result<Self, Error> {
        Ok(Self::from_endpoint(Endpoint::new(config, seed)?))
    }

    /// A node around an existing endpoint.
    pub fn from_endpoint(endpoint: Endpoint) -> Self {
        EndpointNode {
            endpoint,
            sniffer: None,
            filter: None,
            router: None,
        }
    }

    /// Routes datagrams the endpoint sends without a source address (see
    /// [`Router`]), like a host's routing table would: e.g. pick the local
    /// address on the destination's subnet.
    pub fn set_router(&mut self, router: impl FnMut(SocketAddr) -> Option<SocketAddr> + 'static) {
        self.router = Some(Box::new(router));
    }

    /// Calls `sniffer` for every datagram this node sends from now on
    /// (replacing any previous one).
    pub fn set_sniffer(
        &mut self,
        sniffer: impl FnMut(Instant, SocketAddr, Option<SocketAddr>, &[u8]) + 'static,
    ) {
        self.sniffer = Some(Box::new(sniffer));
    }

    /// Drops every arriving datagram for which `filter` returns true, before
    /// the endpoint sees it (targeted losses for regression tests).
    pub fn set_inbound_filter(
        &mut self,
        filter: impl FnMut(Instant, SocketAddr, &[u8]) -> bool + 'static,
    ) {
        self.filter = Some(Box::new(filter));
    }
}

/// The chunk types in an SCTP packet, in order; stops at the first chunk
/// that does not parse.
pub fn chunk_types(packet: &[u8]) -> impl Iterator<Item = u8> + '_ {
    Packet::new_unchecked(packet)
        .into_chunks()
        .map_while(|c| c.ok().map(|c| c.chunk_type))
}

impl Node for EndpointNode {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, data: Bytes) {
        if let Some(filter) = self.filter.as_mut() {
            if filter(now, from, &data) {
                return;
            }
        }
        self.endpoint.handle_datagram_to(now, from, to, data);
    }

    fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        let t = self.endpoint.poll_transmit(now, buf)?;
        let source = match (t.source, self.router.as_mut()) {
            (None, Some(route)) => route(t.destination),
            (s, _) => s,
        };
        if let Some(sniff) = self.sniffer.as_mut() {
            if let Some(packet) = buf.get(..t.len) {
                sniff(now, t.destination, t.source, packet);
            }
        }
        Some((t.destination, source, t.len))
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sim;
    use anysctp::wire::chunk_type;
    use anysctp::{AssociationConfig, Event};
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn two_endpoints_connect_and_the_sniffer_sees_the_handshake() {
        let a: SocketAddr = "10.0.0.1:9899".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:9899".parse().unwrap();
        let mut sim = Sim::new(1);
        let mut client = EndpointNode::new(EndpointConfig::default(), [1; 32]).unwrap();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        client.set_sniffer(move |_, dst, _, p| {
            log.borrow_mut()
                .push((dst, chunk_types(p).collect::<Vec<_>>()))
        });
        let c = sim.add_node(client, [a]);
        let cfg = EndpointConfig {
            accept_incoming: true,
            ..EndpointConfig::default()
        };
        let s = sim.add_node(EndpointNode::new(cfg, [2; 32]).unwrap(), [b]);
        let now = sim.now();
        sim.node_mut(c)
            .endpoint
            .connect(now, b, 5000, AssociationConfig::default())
            .unwrap();
        let mut up = [false; 2];
        sim.run_until(Instant::from_millis(5000), |sim| {
            for (n, up) in [c, s].into_iter().zip(up.iter_mut()) {
                while let Some((_, ev)) = sim.node_mut(n).endpoint.poll_event() {
                    *up |= matches!(ev, Event::Connected { .. });
                }
            }
            up == [true; 2]
        })
        .unwrap();
        assert_eq!(up, [true; 2]);
        let seen = seen.borrow();
        assert_eq!(seen[0], (b, vec![chunk_type::INIT]));
        assert_eq!(seen[1], (b, vec![chunk_type::COOKIE_ECHO]));
    }
}
