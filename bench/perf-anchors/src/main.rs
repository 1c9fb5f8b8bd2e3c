//! anysctp on the perf-anchors harness: two `Endpoint`s in one thread joined by
//! the harness wire. The host loop delivers one datagram, then pulls due
//! timeouts and datagrams from the receiving side (README.md's wire model).
//!
//! Extra keys (besides the contract's): `mtu=N` (default 1200),
//! `zero_checksum=1` (RFC 9653, both sides), `sack_frequency=N`.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant as WallInstant};

use anysctp::{
    AssociationConfig, AssociationId, Endpoint, EndpointConfig, Error, Event, Instant,
    SendOptions, StreamId,
};
use bytes::{Bytes, BytesMut};
use perf_harness::{print_result, stamp, Args, Checker, Clock, Wire};

const A_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5000);
const B_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5000);
/// Datagrams are copied out of the transmit buffer into slices of one large
/// buffer, reclaimed when every earlier datagram was dropped: the host makes
/// no allocation per datagram in steady state.
const POOL: usize = 4 << 20;

struct Pair {
    a: Endpoint,
    b: Endpoint,
    wire: Wire<Bytes>,
    clock: Clock,
    buf: Vec<u8>,
    pool: BytesMut,
    batch: bool,
}

fn now(c: &Clock) -> Instant {
    Instant::from_micros(u64::try_from(c.now().as_micros()).unwrap_or(u64::MAX))
}

impl Pair {
    fn drain(&mut self, side: usize) -> usize {
        let t = now(&self.clock);
        let ep = if side == 0 { &mut self.a } else { &mut self.b };
        if ep.poll_timeout().is_some_and(|d| d <= t) {
            ep.handle_timeout(t);
        }
        let mut n = 0;
        while let Some(tx) = ep.poll_transmit(t, &mut self.buf) {
            if self.pool.capacity() < tx.len {
                self.pool.reserve(POOL);
            }
            self.pool.extend_from_slice(&self.buf[..tx.len]);
            self.wire.send(side, self.pool.split().freeze());
            n += 1;
        }
        n
    }

    /// Moves datagrams until the wire is empty; returns how many moved.
    fn pump(&mut self) -> usize {
        let mut moved = 0;
        loop {
            self.drain(0);
            self.drain(1);
            if self.wire.is_empty() {
                return moved;
            }
            while let Some(p) = self.wire.pop(0) {
                self.b.handle_datagram(now(&self.clock), A_ADDR, p);
                if !self.batch {
                    self.drain(1);
                }
                moved += 1;
            }
            while let Some(p) = self.wire.pop(1) {
                self.a.handle_datagram(now(&self.clock), B_ADDR, p);
                if !self.batch {
                    self.drain(0);
                }
                moved += 1;
            }
        }
    }

    fn idle_skip(&mut self) {
        let t = [self.a.poll_timeout(), self.b.poll_timeout()].into_iter().flatten().min();
        match t {
            Some(t) => self.clock.skip_to(Duration::from_micros(t.as_micros())),
            None => self.clock.skip_to(self.clock.now() + Duration::from_millis(10)),
        }
    }

    /// Connects A to B; returns A's and B's association ids.
    fn connect(&mut self, cfg: &AssociationConfig) -> Option<(AssociationId, AssociationId)> {
        let id = self.a.connect(now(&self.clock), B_ADDR, 5000, cfg.clone()).ok()?;
        let (mut a_up, mut b_up) = (false, None);
        for _ in 0..100_000 {
            let moved = self.pump();
            while let Some((i, ev)) = self.a.poll_event() {
                if i == id && matches!(ev, Event::Connected { .. }) {
                    a_up = true;
                }
            }
            while let Some((i, ev)) = self.b.poll_event() {
                if matches!(ev, Event::Connected { .. }) {
                    b_up = Some(i);
                }
            }
            if let (true, Some(b)) = (a_up, b_up) {
                return Some((id, b));
            }
            if moved == 0 {
                self.idle_skip();
            }
        }
        None
    }
}

fn main() {
    let a = Args::parse();
    let mut mtu = 1200usize;
    let mut zero_checksum = false;
    let mut sack_frequency = AssociationConfig::default().sack_frequency;
    for kv in std::env::args().skip(2) {
        match kv.split_once('=') {
            Some(("mtu", v)) => mtu = v.parse().expect("mtu"),
            Some(("zero_checksum", v)) => zero_checksum = v == "1",
            Some(("sack_frequency", v)) => sack_frequency = v.parse().expect("sack_frequency"),
            _ => {}
        }
    }
    let cfg = AssociationConfig {
        outbound_streams: a.streams.clamp(1, 65535) as u16,
        max_message_size: a.size.max(64 * 1024),
        nodelay: true,
        mtu,
        zero_checksum,
        sack_frequency,
        // The application's backlog is the send-side limit.
        send_buffer: a.backlog.max(a.size) + a.size,
        ..AssociationConfig::default()
    };
    let ep = |accept: bool, seed: u8| {
        Endpoint::new(
            EndpointConfig { port: 5000, accept_incoming: accept, association: cfg.clone(), ..EndpointConfig::default() },
            [seed; 32],
        )
        .expect("endpoint")
    };
    let mut p = Pair {
        a: ep(false, 1),
        b: ep(true, 2),
        wire: Wire::new(&a),
        clock: Clock::new(a.virtual_clock),
        buf: vec![0; 65_536],
        pool: BytesMut::with_capacity(POOL),
        batch: a.batch,
    };
    let mut ck = Checker::new(&a);
    let config = format!(
        "{{\"host_loop\":\"{}\",\"mtu\":{},\"receive_buffer\":{},\"send_buffer\":{},\"sack_delay_ms\":{},\"sack_frequency\":{},\"rto_min_ms\":{},\"rto_initial_ms\":{},\"nodelay\":true,\"crc32c\":\"{}\",\"clock\":\"{}\"}}",
        if a.batch { "batch" } else { "per-datagram" },
        cfg.mtu,
        cfg.receive_buffer,
        cfg.send_buffer,
        cfg.sack_delay.as_millis(),
        cfg.sack_frequency,
        cfg.rto_min.as_millis(),
        cfg.rto_initial.as_millis(),
        if zero_checksum { "zero checksum (RFC 9653) when negotiated" } else { "crc32c crate, computed and verified" },
        p.clock.mode()
    );
    let version = "0.1.0";

    if a.workload == "W5" {
        let t0 = WallInstant::now();
        let mut setup = 0.0;
        for i in 0..a.count {
            let s0 = WallInstant::now();
            let Some((ida, _)) = p.connect(&cfg) else {
                eprintln!("association {i} failed");
                break;
            };
            setup += s0.elapsed().as_secs_f64();
            ck.assoc(i as u64);
            // Teardown: ABORT (as usrsctp and dcsctp do); not timed.
            let _ = p.a.abort(now(&p.clock), ida, "bench teardown");
            p.pump();
            while p.a.poll_event().is_some() {}
            while p.b.poll_event().is_some() {}
        }
        let cycle = t0.elapsed().as_secs_f64();
        print_result("anysctp", version, &a, &ck, setup, cycle, &p.wire.json(), p.clock.stall_ms(), &config);
        return;
    }

    let (ida, _) = p.connect(&cfg).expect("no association");
    p.wire.impair = true;
    let streams = a.streams.max(1);
    let opts = SendOptions { unordered: a.unordered, ..SendOptions::default() };
    let mut msg = vec![b'x'; a.size];
    let mut rbuf = vec![0u8; a.size.max(1)];
    let mut spool = BytesMut::with_capacity(POOL);
    let (mut sent, mut sent_bytes) = (0usize, 0u64);
    let mut stuck = 0u64;
    let t0 = WallInstant::now();
    while (ck.got as usize) < a.count {
        let mut progress = false;
        let t = now(&p.clock);
        while sent < a.count && (sent_bytes == ck.bytes || sent_bytes - ck.bytes + a.size as u64 <= a.backlog as u64) {
            stamp(&mut msg, sent as u64);
            // Messages are slices of one large buffer too (no allocation per message).
            if spool.capacity() < msg.len() {
                spool.reserve(POOL.max(msg.len()));
            }
            spool.extend_from_slice(&msg);
            let data = spool.split().freeze();
            match p.a.send(t, ida, StreamId((sent % streams) as u16), data, opts) {
                Ok(()) => {
                    sent += 1;
                    sent_bytes += a.size as u64;
                    progress = true;
                }
                Err(Error::WouldBlock { .. }) => break,
                Err(e) => panic!("send failed: {e}"),
            }
        }
        if p.pump() > 0 {
            progress = true;
        }
        while let Some((_, ev)) = p.b.poll_event() {
            if let Event::Message { stream, data, .. } = ev {
                // The application copies each message out, as usrsctp_recvv does.
                let n = data.len().min(rbuf.len());
                rbuf[..n].copy_from_slice(&data[..n]);
                ck.msg(stream.0, &rbuf[..n], data.len());
                progress = true;
            }
        }
        while p.a.poll_event().is_some() {}
        if p.pump() > 0 {
            progress = true;
        }
        if !progress {
            p.idle_skip();
            stuck += 1;
            if stuck > 2_000_000 {
                eprintln!("stuck sent={sent} got={}", ck.got);
                break;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    print_result("anysctp", version, &a, &ck, secs, secs, &p.wire.json(), p.clock.stall_ms(), &config);
}
