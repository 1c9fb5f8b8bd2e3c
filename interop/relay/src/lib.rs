//! A UDP impairment relay for interop tests: it forwards datagrams between a
//! client (learned from the first datagram) and a fixed target, and on the way
//! drops, reorders and duplicates them from a seeded random source, so a run
//! can be replayed exactly.
//!
//! The impairment decisions live in [`Impairer`], which knows nothing about
//! sockets (the CLI demo reuses it); [`Relay`] drives two of them (one per
//! direction) over std UDP sockets.
//!
//! ```no_run
//! use relay::{Impairment, Relay};
//! use std::time::{Duration, Instant};
//!
//! let imp = Impairment { loss: 0.01, reorder: 0.05, dup: 0.0 };
//! let relay = Relay::bind("127.0.0.1:9000", "127.0.0.1:9899", imp, 1).unwrap();
//! let counters = relay.run_until(Instant::now() + Duration::from_secs(30)).unwrap();
//! println!("{counters}");
//! ```
#![warn(missing_docs)]

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Largest datagram the relay carries (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// How long a held (reordered) datagram waits for a successor before it is
/// released anyway, so reordering never turns into loss at the end of a burst.
pub const MAX_HOLD: Duration = Duration::from_millis(20);

/// Probabilities, each in `0.0..=1.0`, applied independently per datagram.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Impairment {
    /// Probability that a datagram is dropped.
    pub loss: f64,
    /// Probability that a datagram is held back and sent after the next one.
    pub reorder: f64,
    /// Probability that a datagram is sent twice.
    pub dup: f64,
}

impl Impairment {
    /// Checks that every probability is a number in `0.0..=1.0`.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("loss", self.loss),
            ("reorder", self.reorder),
            ("dup", self.dup),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("--{name} must be between 0 and 1, got {p}"));
            }
        }
        Ok(())
    }
}

/// What happened to the datagrams of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams received from the sender.
    pub received: u64,
    /// Datagrams sent on to the receiver (duplicates included).
    pub forwarded: u64,
    /// Datagrams dropped.
    pub dropped: u64,
    /// Datagrams held back and sent after a later one.
    pub reordered: u64,
    /// Extra copies sent.
    pub duplicated: u64,
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "received={} forwarded={} dropped={} reordered={} duplicated={}",
            self.received, self.forwarded, self.dropped, self.reordered, self.duplicated
        )
    }
}

/// The seeded impairment of one direction: feed it each datagram, and it
/// emits the datagrams to send (zero, one, two or three of them).
#[derive(Debug)]
pub struct Impairer {
    imp: Impairment,
    rng: ChaCha8Rng,
    /// The datagram held for reordering, and since when.
    held: Option<(Vec<u8>, Instant)>,
    /// A spare buffer for the next hold, so steady state does not allocate.
    spare: Vec<u8>,
    counters: Counters,
}

impl Impairer {
    /// An impairer with its own random stream derived from `seed`.
    pub fn new(imp: Impairment, seed: u64) -> Self {
        Self {
            imp,
            rng: ChaCha8Rng::seed_from_u64(seed),
            held: None,
            spare: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// What happened so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// A uniform draw in `[0, 1)`; `p` of them fall below `p`.
    fn chance(&mut self, p: f64) -> bool {
        // Always draw, so the random stream does not depend on the settings
        // of the other impairments.
        let x = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }

    /// Handles one datagram at time `now`, calling `send` for each datagram
    /// to transmit, in order.
    pub fn process(&mut self, now: Instant, dgram: &[u8], mut send: impl FnMut(&[u8])) {
        self.counters.received += 1;
        let lose = self.chance(self.imp.loss);
        let hold = self.chance(self.imp.reorder);
        let dup = self.chance(self.imp.dup);
        if lose {
            self.counters.dropped += 1;
            return;
        }
        if hold && self.held.is_none() {
            let mut buf = std::mem::take(&mut self.spare);
            buf.clear();
            buf.extend_from_slice(dgram);
            self.held = Some((buf, now));
            self.counters.reordered += 1;
            return;
        }
        send(dgram);
        self.counters.forwarded += 1;
        if dup {
            send(dgram);
            self.counters.forwarded += 1;
            self.counters.duplicated += 1;
        }
        // The held datagram goes out after the one that overtook it.
        self.release(&mut send);
    }

    /// Releases a held datagram that has waited [`MAX_HOLD`] by `now`.
    pub fn poll(&mut self, now: Instant, mut send: impl FnMut(&[u8])) {
        if matches!(&self.held, Some((_, since)) if now.duration_since(*since) >= MAX_HOLD) {
            self.release(&mut send);
        }
    }

    fn release(&mut self, send: &mut impl FnMut(&[u8])) {
        if let Some((buf, _)) = self.held.take() {
            send(&buf);
            self.counters.forwarded += 1;
            self.spare = buf;
        }
    }
}

/// Counters of both directions, as printed on exit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayCounters {
    /// Client to target.
    pub to_target: Counters,
    /// Target to client.
    pub to_client: Counters,
}

impl fmt::Display for RelayCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client->target: {}\ntarget->client: {}",
            self.to_target, self.to_client
        )
    }
}

/// A UDP relay between one client and one target with seeded impairments.
#[derive(Debug)]
pub struct Relay {
    /// Where clients send to.
    listen: UdpSocket,
    /// Connected to the target.
    upstream: UdpSocket,
    imp: Impairment,
    seed: u64,
}

impl Relay {
    /// Binds the client-facing socket to `listen` and a socket connected to
    /// `target`. Each direction gets its own random stream derived from `seed`.
    pub fn bind(
        listen: impl ToSocketAddrs,
        target: impl ToSocketAddrs,
        imp: Impairment,
        seed: u64,
    ) -> io::Result<Self> {
        imp.validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listen = UdpSocket::bind(listen)?;
        let target: SocketAddr = target
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "target has no address"))?;
        let any: SocketAddr = if target.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let upstream = UdpSocket::bind(any)?;
        upstream.connect(target)?;
        Ok(Self {
            listen,
            upstream,
            imp,
            seed,
        })
    }

    /// The address clients send to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listen.local_addr()
    }

    /// Relays until `deadline`, one thread per direction, and returns the
    /// counters. Datagrams from anyone but the first client are ignored.
    pub fn run_until(self, deadline: Instant) -> io::Result<RelayCounters> {
        self.run(deadline, &AtomicBool::new(false))
    }

    /// Like [`Relay::run_until`], and also stops soon after `stop` is set
    /// (from another thread).
    pub fn run(self, deadline: Instant, stop: &AtomicBool) -> io::Result<RelayCounters> {
        let go = || Instant::now() < deadline && !stop.load(Ordering::Relaxed);
        const TICK: Duration = Duration::from_millis(5);
        self.listen.set_read_timeout(Some(TICK))?;
        self.upstream.set_read_timeout(Some(TICK))?;
        let client: Mutex<Option<SocketAddr>> = Mutex::new(None);
        let (listen, upstream, client) = (&self.listen, &self.upstream, &client);
        let mut up = Impairer::new(self.imp, self.seed);
        let mut down = Impairer::new(self.imp, self.seed ^ 0x9e37_79b9_7f4a_7c15);
        std::thread::scope(|s| {
            let t = s.spawn(move || -> io::Result<Counters> {
                let mut buf = vec![0u8; MAX_DATAGRAM];
                while go() {
                    let now = Instant::now();
                    up.poll(now, |d| drop(upstream.send(d)));
                    match listen.recv_from(&mut buf) {
                        Ok((n, from)) => {
                            let mut c = client.lock().unwrap_or_else(|e| e.into_inner());
                            if *c.get_or_insert(from) != from {
                                continue;
                            }
                            drop(c);
                            // Send errors (e.g. ECONNREFUSED before the target
                            // is up) are losses the protocol recovers from.
                            up.process(Instant::now(), &buf[..n], |d| drop(upstream.send(d)));
                        }
                        Err(e) if is_timeout(&e) || is_refused(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(up.counters())
            });
            let mut buf = vec![0u8; MAX_DATAGRAM];
            let mut result = Ok(());
            while go() {
                let now = Instant::now();
                let to = *client.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(to) = to {
                    down.poll(now, |d| drop(listen.send_to(d, to)));
                }
                match upstream.recv(&mut buf) {
                    Ok(n) => {
                        // Look the client up after the wait: it may just have
                        // been learned by the other thread.
                        let to = *client.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(to) = to {
                            down.process(Instant::now(), &buf[..n], |d| {
                                drop(listen.send_to(d, to))
                            });
                        }
                    }
                    Err(e) if is_timeout(&e) || is_refused(&e) => {}
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            let to_target = t
                .join()
                .map_err(|_| io::Error::other("relay thread panicked"))??;
            result?;
            Ok(RelayCounters {
                to_target,
                to_client: down.counters(),
            })
        })
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// A connected UDP socket reports an earlier ICMP "port unreachable" as an
/// error on a later call; that is a loss, not a failure of the relay.
fn is_refused(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::ConnectionRefused
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` numbered datagrams through an impairer; returns what was sent.
    fn run(imp: Impairment, seed: u64, n: u32) -> (Vec<u32>, Counters) {
        let mut i = Impairer::new(imp, seed);
        let mut out = Vec::new();
        let now = Instant::now();
        for k in 0..n {
            i.process(now, &k.to_be_bytes(), |d| {
                out.push(u32::from_be_bytes(d.try_into().unwrap()))
            });
        }
        i.poll(now + MAX_HOLD, |d| {
            out.push(u32::from_be_bytes(d.try_into().unwrap()))
        });
        (out, i.counters())
    }

    #[test]
    fn no_impairment_forwards_everything_in_order() {
        let (out, c) = run(Impairment::default(), 1, 1000);
        assert_eq!(out, (0..1000).collect::<Vec<_>>());
        assert_eq!(c.forwarded, 1000);
        assert_eq!(c.dropped + c.reordered + c.duplicated, 0);
    }

    #[test]
    fn full_loss_drops_everything() {
        let imp = Impairment {
            loss: 1.0,
            ..Default::default()
        };
        let (out, c) = run(imp, 1, 100);
        assert!(out.is_empty());
        assert_eq!(c.dropped, 100);
    }

    #[test]
    fn full_reorder_swaps_neighbours() {
        let imp = Impairment {
            reorder: 1.0,
            ..Default::default()
        };
        let (out, c) = run(imp, 1, 6);
        // 0 is held, 1 overtakes it, 0 follows; then 2 is held ...
        assert_eq!(out, vec![1, 0, 3, 2, 5, 4]);
        assert_eq!(c.reordered, 3);
    }

    #[test]
    fn held_datagram_is_released_after_max_hold() {
        let imp = Impairment {
            reorder: 1.0,
            ..Default::default()
        };
        let mut i = Impairer::new(imp, 1);
        let t0 = Instant::now();
        let mut out = Vec::new();
        i.process(t0, b"a", |d| out.push(d.to_vec()));
        i.poll(t0 + MAX_HOLD / 2, |d| out.push(d.to_vec()));
        assert!(out.is_empty(), "released too early");
        i.poll(t0 + MAX_HOLD, |d| out.push(d.to_vec()));
        assert_eq!(out, vec![b"a".to_vec()]);
    }

    #[test]
    fn full_dup_sends_each_twice() {
        let imp = Impairment {
            dup: 1.0,
            ..Default::default()
        };
        let (out, c) = run(imp, 1, 3);
        assert_eq!(out, vec![0, 0, 1, 1, 2, 2]);
        assert_eq!(c.duplicated, 3);
    }

    #[test]
    fn same_seed_same_decisions_other_seed_others() {
        let imp = Impairment {
            loss: 0.1,
            reorder: 0.1,
            dup: 0.1,
        };
        let a = run(imp, 7, 2000);
        assert_eq!(a, run(imp, 7, 2000));
        assert_ne!(a.0, run(imp, 8, 2000).0);
    }

    #[test]
    fn rates_match_the_probabilities() {
        let imp = Impairment {
            loss: 0.05,
            reorder: 0.05,
            dup: 0.02,
        };
        let (out, c) = run(imp, 3, 100_000);
        let near = |x: u64, p: f64| (x as f64 - p * 100_000.0).abs() < 0.15 * p * 100_000.0;
        assert!(near(c.dropped, 0.05), "{c}");
        assert!(near(c.duplicated, 0.02 * 0.95), "{c}");
        // A datagram is reordered only when none is held already.
        assert!(c.reordered > 4000 && c.reordered < 5000, "{c}");
        // Every datagram not dropped comes out, duplicates once more.
        assert_eq!(out.len() as u64, 100_000 - c.dropped + c.duplicated);
        assert_eq!(c.forwarded, out.len() as u64);
    }

    #[test]
    fn bad_probabilities_are_rejected() {
        assert!(Impairment {
            loss: 1.5,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(Impairment {
            dup: f64::NAN,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(Relay::bind(
            "127.0.0.1:0",
            "127.0.0.1:9",
            Impairment {
                reorder: -0.1,
                ..Default::default()
            },
            1
        )
        .is_err());
    }

    #[test]
    fn relays_both_ways_over_loopback() {
        let target = UdpSocket::bind("127.0.0.1:0").unwrap();
        let relay = Relay::bind(
            "127.0.0.1:0",
            target.local_addr().unwrap(),
            Impairment::default(),
            1,
        )
        .unwrap();
        let relay_addr = relay.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            relay.run_until(Instant::now() + Duration::from_millis(500))
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        target
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        client.send_to(b"ping", relay_addr).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = target.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        target.send_to(b"pong", from).unwrap();
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"pong");
        let c = handle.join().unwrap().unwrap();
        assert_eq!(c.to_target.forwarded, 1);
        assert_eq!(c.to_client.forwarded, 1);
    }

    #[test]
    fn stop_flag_ends_the_run_before_the_deadline() {
        let relay = Relay::bind("127.0.0.1:0", "127.0.0.1:9", Impairment::default(), 1).unwrap();
        let stop = AtomicBool::new(true);
        let t0 = Instant::now();
        relay.run(t0 + Duration::from_secs(30), &stop).unwrap();
        assert!(t0.elapsed() < Duration::from_secs(5));
    }
}
