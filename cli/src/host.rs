//! The native host: drives an [`anysctp::Endpoint`] over UDP sockets
//! (SCTP over UDP, RFC 6951) and, for `listen --ws`, WebSocket connections
//! (one SCTP packet per binary frame, [`crate::ws`]) with one `mio` poll
//! loop — one socket per local address, the core's deadline as the poll
//! timeout, no busy waiting.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anysctp::{Endpoint, EndpointConfig, Instant};
use bytes::Bytes;
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::ws::WsServer;

/// Token of the waker other threads (stdin reader, Ctrl-C) use.
pub const WAKER: Token = Token(usize::MAX);
/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;

/// A packet that crossed the host, for captures (`--pcap`).
pub struct Captured<'a> {
    /// Sender's transport address.
    pub from: SocketAddr,
    /// Receiver's transport address.
    pub to: SocketAddr,
    /// The SCTP packet (the UDP payload).
    pub sctp: &'a [u8],
}

/// Something that watches every packet (a capture file).
pub trait Tap {
    /// Called for every SCTP packet sent or received.
    fn packet(&mut self, p: Captured<'_>);
    /// Writes out what is buffered.
    fn flush(&mut self);
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(tap) = self.tap.as_mut() {
            tap.flush();
        }
    }
}

/// The UDP host of one endpoint.
pub struct Host {
    poll: Poll,
    events: Events,
    sockets: Vec<(SocketAddr, UdpSocket)>,
    /// The endpoint this host drives.
    pub endpoint: Endpoint,
    origin: std::time::Instant,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    waker: Arc<Waker>,
    tap: Option<Box<dyn Tap + Send>>,
    /// `listen --ws`: the WebSocket listener and its connections.
    ws: Option<WsServer>,
    /// Readiness of this turn (reused).
    ready: Vec<Token>,
    /// Transport addresses whose WebSocket went away (reused).
    lost: Vec<SocketAddr>,
    /// Datagrams received, sent and dropped on send errors.
    pub counters: Counters,
}

/// Datagram counters of a host.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// Datagrams the operating system refused to send.
    pub send_errors: u64,
}

impl Host {
    /// Binds one UDP socket per local address and creates the endpoint.
    /// `locals` may be empty for a host that only listens on WebSocket
    /// ([`listen_ws`](Self::listen_ws)).
    pub fn bind(locals: &[SocketAddr], config: EndpointConfig) -> anyhow::Result<Self> {
        let poll = Poll::new()?;
        let mut sockets = Vec::with_capacity(locals.len());
        for (i, addr) in locals.iter().enumerate() {
            let mut s = UdpSocket::bind(*addr).map_err(|e| {
                anyhow::anyhow!("cannot bind UDP {addr}: {e} (is the port in use? pick another with a different port number)")
            })?;
            poll.registry()
                .register(&mut s, Token(i), Interest::READABLE)?;
            let local = s.local_addr()?;
            sockets.push((local, s));
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
        let endpoint = Endpoint::new(config, seed)?;
        Ok(Self {
            poll,
            events: Events::with_capacity(64),
            sockets,
            endpoint,
            origin: std::time::Instant::now(),
            rx_buf: vec![0; MAX_DATAGRAM],
            tx_buf: vec![0; MAX_DATAGRAM],
            waker,
            tap: None,
            ws: None,
            ready: Vec::new(),
            lost: Vec::new(),
            counters: Counters::default(),
        })
    }

    /// Listens for WebSocket connections on TCP `addr` (`listen --ws`);
    /// frames larger than `frame_limit` bytes close their connection.
    /// Returns the address bound.
    pub fn listen_ws(
        &mut self,
        addr: SocketAddr,
        frame_limit: usize,
    ) -> anyhow::Result<SocketAddr> {
        let ws = WsServer::bind(addr, frame_limit, self.poll.registry())?;
        let local = ws.local_addr();
        self.ws = Some(ws);
        Ok(local)
    }

    /// The WebSocket side's counters, if it listens.
    pub fn ws_counters(&self) -> Option<crate::ws::WsCounters> {
        self.ws.as_ref().map(|w| w.counters)
    }

    /// Installs a packet tap (capture).
    pub fn set_tap(&mut self, tap: Box<dyn Tap + Send>) {
        self.tap = Some(tap);
    }

    /// A handle other threads use to wake the loop.
    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// The local addresses actually bound (ports resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets.iter().map(|(a, _)| *a).collect()
    }

    /// The core's clock: microseconds since this host started.
    pub fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    /// Waits for a datagram, the endpoint's next deadline, a wake-up, or
    /// `max_wait`, whichever comes first; handles what arrived and sends
    /// what the endpoint has to send.
    pub fn turn(&mut self, max_wait: Option<Duration>) -> io::Result<()> {
        self.flush();
        let now = self.now();
        let until_deadline = self
            .endpoint
            .poll_timeout()
            .map(|d| d.saturating_duration_since(now));
        let mut timeout = match (until_deadline, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(ws) = &self.ws {
            if ws.has_backlog() {
                timeout = Some(Duration::ZERO);
            } else if let Some(d) = ws.next_deadline() {
                let d = d.saturating_duration_since(std::time::Instant::now());
                timeout = Some(timeout.map_or(d, |t| t.min(d)));
            }
        }
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        self.ready.clear();
        self.ready.extend(
            self.events
                .iter()
                .map(|e| e.token())
                .filter(|t| *t != WAKER),
        );
        let ready = std::mem::take(&mut self.ready);
        for &token in &ready {
            if WsServer::owns_token(token) {
                self.drive_ws(Some(token));
            } else {
                self.drain_socket(token.0);
            }
        }
        self.ready = ready;
        if self.ws.as_ref().is_some_and(WsServer::has_backlog) {
            self.drive_ws(None);
        }
        let now = self.now();
        if self.endpoint.poll_timeout().is_some_and(|d| d <= now) {
            self.endpoint.handle_timeout(now);
        }
        self.flush();
        self.end_lost_connections();
        Ok(())
    }

    /// Moves a WebSocket token on (`None`: the connections with frames left
    /// from the last turn); what arrives goes to the endpoint.
    fn drive_ws(&mut self, token: Option<Token>) {
        let Some(ws) = self.ws.as_mut() else { return };
        let origin = self.origin;
        let endpoint = &mut self.endpoint;
        let tap = &mut self.tap;
        let counters = &mut self.counters;
        let mut deliver = |from: SocketAddr, to: SocketAddr, packet: Bytes| {
            counters.received += 1;
            if let Some(tap) = tap.as_mut() {
                tap.packet(Captured {
                    from,
                    to,
                    sctp: &packet,
                });
            }
            let now = Instant::from_micros(
                u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX),
            );
            endpoint.handle_datagram(now, from, packet);
        };
        match token {
            Some(t) => ws.ready(self.poll.registry(), t, &mut deliver),
            None => ws.drain_backlog(&mut deliver),
        }
    }

    /// Ends the associations whose WebSocket connection went away: no packet
    /// can reach their peer any more (a new connection is a new transport
    /// address). Their ABORT is dropped; the application sees the close.
    fn end_lost_connections(&mut self) {
        let Some(ws) = self.ws.as_mut() else { return };
        ws.expire(std::time::Instant::now());
        if !ws.has_ended() {
            return;
        }
        ws.take_lost(&mut self.lost);
        if !self.lost.is_empty() {
            let now = self.now();
            for id in self.endpoint.associations() {
                let on_lost = self
                    .endpoint
                    .peer_addresses(id)
                    .is_some_and(|a| a.iter().all(|p| self.lost.contains(p)));
                if on_lost {
                    let _ = self
                        .endpoint
                        .abort(now, id, "the WebSocket connection closed");
                }
            }
            self.lost.clear();
            self.flush();
        }
        if let Some(ws) = self.ws.as_mut() {
            ws.reap();
        }
    }

    fn drain_socket(&mut self, i: usize) {
        loop {
            let Some((local, sock)) = self.sockets.get(i) else {
                return;
            };
            let local = *local;
            match sock.recv_from(&mut self.rx_buf) {
                Ok((n, from)) => {
                    self.counters.received += 1;
                    let now = self.now();
                    let data = Bytes::copy_from_slice(&self.rx_buf[..n]);
                    if let Some(tap) = self.tap.as_mut() {
                        tap.packet(Captured {
                            from,
                            to: local,
                            sctp: &data,
                        });
                    }
                    self.endpoint.handle_datagram(now, from, data);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ICMP errors (e.g. port unreachable) surface here on some
                // systems; SCTP's own timers deal with lost peers.
                Err(e) => {
                    tracing::debug!(error = %e, "recv_from failed");
                    return;
                }
            }
        }
    }

    /// Sends every packet the endpoint has ready.
    pub fn flush(&mut self) {
        loop {
            let now = self.now();
            let Some(t) = self.endpoint.poll_transmit(now, &mut self.tx_buf) else {
                break;
            };
            let packet = &self.tx_buf[..t.len];
            // A WebSocket connection's peer address: its connection.
            if let Some(ws) = self.ws.as_mut().filter(|w| w.owns_peer(&t.destination)) {
                match ws.send(&t.destination, packet) {
                    Some(local) => {
                        self.counters.sent += 1;
                        if let Some(tap) = self.tap.as_mut() {
                            tap.packet(Captured {
                                from: local,
                                to: t.destination,
                                sctp: packet,
                            });
                        }
                    }
                    None => self.counters.send_errors += 1,
                }
                continue;
            }
            let idx = t
                .source
                .and_then(|s| self.sockets.iter().position(|(a, _)| *a == s))
                .or_else(|| {
                    self.sockets
                        .iter()
                        .position(|(a, _)| a.is_ipv4() == t.destination.is_ipv4())
                })
                .unwrap_or(0);
            let Some((local, sock)) = self.sockets.get(idx) else {
                // No UDP socket (WebSocket only) and no connection to this
                // address any more: like a datagram lost on the way.
                self.counters.send_errors += 1;
                tracing::debug!(to = %t.destination, "no transport to this address: packet dropped");
                continue;
            };
            match sock.send_to(packet, t.destination) {
                Ok(_) => self.counters.sent += 1,
                Err(e) => {
                    // A lost datagram is what SCTP recovers from.
                    self.counters.send_errors += 1;
                    tracing::debug!(error = %e, to = %t.destination, "send_to failed");
                }
            }
            if let Some(tap) = self.tap.as_mut() {
                tap.packet(Captured {
                    from: *local,
                    to: t.destination,
                    sctp: packet,
                });
            }
        }
        if let Some(ws) = self.ws.as_mut() {
            ws.flush();
        }
    }
}
