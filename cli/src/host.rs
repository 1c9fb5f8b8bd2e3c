//! The native host: drives an [`anysctp::Endpoint`] over UDP sockets
//! (SCTP over UDP, RFC 6951) with one `mio` poll loop — one socket per local
//! address, the core's deadline as the poll timeout, no busy waiting.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anysctp::{Endpoint, EndpointConfig, Instant};
use bytes::Bytes;
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

/// Token of the waker other threads (stdin reader, Ctrl-C) use.
const WAKER: Token = Token(usize::MAX);
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
    pub fn bind(locals: &[SocketAddr], config: EndpointConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(!locals.is_empty(), "no local address to bind");
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
            counters: Counters::default(),
        })
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
        let timeout = match (until_deadline, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let readable: Vec<usize> = self
            .events
            .iter()
            .filter(|e| e.token() != WAKER)
            .map(|e| e.token().0)
            .collect();
        for i in readable {
            self.drain_socket(i);
        }
        let now = self.now();
        if self.endpoint.poll_timeout().is_some_and(|d| d <= now) {
            self.endpoint.handle_timeout(now);
        }
        self.flush();
        Ok(())
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
                return;
            };
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
                return;
            };
            let packet = &self.tx_buf[..t.len];
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
    }
}
