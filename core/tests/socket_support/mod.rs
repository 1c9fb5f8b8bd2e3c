//! Two socket stacks joined by an in-memory wire, in virtual time.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anysctp::socket::{SocketStack, StackConfig};
use anysctp::{AssociationConfig, Instant};
use bytes::Bytes;

pub const A_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
pub const B_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

pub fn addr(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

pub fn t0() -> Instant {
    Instant::from_micros(1_000_000)
}

pub struct Net {
    pub a: SocketStack,
    pub b: SocketStack,
    pub now: Instant,
    buf: Vec<u8>,
}

fn cfg(seed: u8) -> StackConfig {
    StackConfig {
        seed: [seed; 32],
        association: AssociationConfig {
            rto_initial: core::time::Duration::from_millis(100),
            rto_min: core::time::Duration::from_millis(100),
            rto_max: core::time::Duration::from_millis(400),
            max_init_retransmits: 3,
            ..AssociationConfig::default()
        },
        ..StackConfig::default()
    }
}

impl Net {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// Like `new`, with both stacks' settings changed by `f`.
    pub fn with(f: impl Fn(&mut StackConfig)) -> Self {
        let (mut a, mut b) = (cfg(1), cfg(2));
        f(&mut a);
        f(&mut b);
        Self {
            a: SocketStack::new(a).unwrap(),
            b: SocketStack::new(b).unwrap(),
            now: t0(),
            buf: vec![0; 65536],
        }
    }

    /// Delivers every datagram both stacks want to send; true if any moved.
    pub fn pump(&mut self) -> bool {
        let mut moved = false;
        for from_a in [true, false] {
            loop {
                let (src_stack, default_ip) = if from_a {
                    (&mut self.a, A_IP)
                } else {
                    (&mut self.b, B_IP)
                };
                let Some(t) = src_stack.poll_transmit(self.now, &mut self.buf) else {
                    break;
                };
                moved = true;
                let mut source = t.source.expect("stack always sets the source");
                if source.ip().is_unspecified() {
                    source.set_ip(default_ip);
                }
                let data = Bytes::copy_from_slice(&self.buf[..t.len]);
                let dst = if t.destination.ip() == A_IP {
                    &mut self.a
                } else if t.destination.ip() == B_IP {
                    &mut self.b
                } else {
                    continue; // nobody there
                };
                dst.handle_datagram(self.now, Some(t.destination), source, data);
            }
        }
        moved
    }

    /// Runs until `done` holds, jumping time to the next deadline when the
    /// wire is idle. Gives up after `limit` of virtual time.
    pub fn run_until(
        &mut self,
        limit: core::time::Duration,
        mut done: impl FnMut(&mut Net) -> bool,
    ) -> bool {
        let end = self.now + limit;
        loop {
            while self.pump() {}
            if done(self) {
                return true;
            }
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    if t > self.now {
                        self.now = t;
                    }
                    let now = self.now;
                    self.a.handle_timeout(now);
                    self.b.handle_timeout(now);
                }
                _ => return done(self),
            }
        }
    }

    /// Lets both sides settle (e.g. delayed SACKs) for `d` of virtual time.
    pub fn settle(&mut self, d: core::time::Duration) {
        let _ = self.run_until(d, |_| false);
    }
}

/// The project's interop message: 8-byte little-endian id, then byte i is
/// (id + i) % 251.
pub fn message(id: u64, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len.max(8)];
    m[..8].copy_from_slice(&id.to_le_bytes());
    for (i, b) in m.iter_mut().enumerate().skip(8) {
        *b = ((id + i as u64) % 251) as u8;
    }
    m
}
