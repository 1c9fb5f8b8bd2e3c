//! Heap allocations of the core in steady state, and the size of an idle
//! association, measured with a counting global allocator.
//!
//! What "per packet in the core" means here: the host owns two buffers,
//! carved into `Bytes` slices without allocating (one large `BytesMut`
//! reclaimed when its earlier slices are dropped): the messages it sends and
//! the datagrams it hands to `handle_datagram` (the receiver's messages are
//! zero-copy slices of those datagrams, so the datagram buffer is the
//! host's). Everything else allocated while messages flow is the core's.
//! The counter is per thread, so tests running in parallel do not mix.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;

use anysctp::{AssociationConfig, Endpoint, EndpointConfig, Event, Instant, SendOptions, StreamId};
use bytes::{Bytes, BytesMut};

struct Counting;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<i64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|b| b.set(b.get() + l.size() as i64));
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let _ = BYTES.try_with(|b| b.set(b.get() - l.size() as i64));
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|b| b.set(b.get() + n as i64 - l.size() as i64));
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs() -> u64 {
    COUNT.with(Cell::get)
}
fn live_bytes() -> i64 {
    BYTES.with(Cell::get)
}

const A_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
    5000,
);
const B_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)),
    5000,
);
const POOL: usize = 4 << 20;

struct Host {
    a: Endpoint,
    b: Endpoint,
    buf: Vec<u8>,
    pool: BytesMut,
    wire: [std::collections::VecDeque<Bytes>; 2],
    now: Instant,
}

impl Host {
    fn new(cfg: &AssociationConfig) -> Self {
        let ep = |accept, seed| {
            Endpoint::new(
                EndpointConfig {
                    port: 5000,
                    accept_incoming: accept,
                    association: cfg.clone(),
                    ..EndpointConfig::default()
                },
                [seed; 32],
            )
            .unwrap()
        };
        let mut w = [
            std::collections::VecDeque::new(),
            std::collections::VecDeque::new(),
        ];
        w[0].reserve(4096);
        w[1].reserve(4096);
        Host {
            a: ep(false, 1),
            b: ep(true, 2),
            buf: vec![0; 65536],
            pool: BytesMut::with_capacity(POOL),
            wire: w,
            now: Instant::ZERO,
        }
    }

    fn drain(&mut self, side: usize) {
        let ep = if side == 0 { &mut self.a } else { &mut self.b };
        if ep.poll_timeout().is_some_and(|d| d <= self.now) {
            ep.handle_timeout(self.now);
        }
        while let Some(t) = ep.poll_transmit(self.now, &mut self.buf) {
            if self.pool.capacity() < t.len {
                self.pool.reserve(POOL);
            }
            self.pool.extend_from_slice(&self.buf[..t.len]);
            self.wire[side].push_back(self.pool.split().freeze());
        }
    }

    /// Delivers until quiet; jumps to the next deadline when nothing moves.
    fn pump(&mut self) {
        loop {
            self.drain(0);
            self.drain(1);
            if self.wire[0].is_empty() && self.wire[1].is_empty() {
                return;
            }
            while let Some(p) = self.wire[0].pop_front() {
                self.b.handle_datagram(self.now, A_ADDR, p);
                self.drain(1);
            }
            while let Some(p) = self.wire[1].pop_front() {
                self.a.handle_datagram(self.now, B_ADDR, p);
                self.drain(0);
            }
        }
    }

    fn idle_skip(&mut self) {
        if let Some(t) = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
        {
            self.now = self.now.max(t);
        }
    }
}

/// The measurement is per packet, so messages must not be fragmented: a
/// message split over two packets is reassembled into one new buffer, an
/// allocation per *message* by design (rx/reassembly.rs). With the default
/// MTU (1200) a 1 KiB message fits a packet, and the sender does not split
/// one that fits whole in the next packet (tx/send_queue.rs
/// `produce_within`), so each packet carries one whole message.
fn cfg() -> AssociationConfig {
    AssociationConfig {
        nodelay: true,
        outbound_streams: 1,
        ..AssociationConfig::default()
    }
}

/// Sends `n` 1 KiB messages (W2-like: ordered, one stream, at most 64 KiB
/// outstanding) and reads them all; returns messages received.
fn transfer(h: &mut Host, id: anysctp::AssociationId, n: usize, spool: &mut BytesMut) -> usize {
    let msg = [7u8; 1024];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut idle = 0;
    while got < n {
        let mut progress = false;
        while sent < n && sent - got < 64 {
            if spool.capacity() < msg.len() {
                spool.reserve(POOL);
            }
            spool.extend_from_slice(&msg);
            let data = spool.split().freeze();
            if h.a
                .send(h.now, id, StreamId(0), data, SendOptions::default())
                .is_err()
            {
                break;
            }
            sent += 1;
            progress = true;
        }
        h.pump();
        while let Some((_, ev)) = h.b.poll_event() {
            if matches!(ev, Event::Message { .. }) {
                got += 1;
                progress = true;
            }
        }
        while h.a.poll_event().is_some() {}
        if !progress {
            idle += 1;
            assert!(idle < 10_000, "stalled");
            h.idle_skip();
        }
    }
    got
}

fn connect(h: &mut Host) -> anysctp::AssociationId {
    let id = h.a.connect(h.now, B_ADDR, 5000, cfg()).unwrap();
    for _ in 0..1000 {
        h.pump();
        let mut up = false;
        while let Some((_, ev)) = h.a.poll_event() {
            up |= matches!(ev, Event::Connected { .. });
        }
        while h.b.poll_event().is_some() {}
        if up {
            return id;
        }
        h.idle_skip();
    }
    panic!("no association");
}

#[test]
fn steady_state_transfer_allocates_nothing_per_packet() {
    let mut h = Host::new(&cfg());
    let id = connect(&mut h);
    let mut spool = BytesMut::with_capacity(POOL);
    // Warm-up: queues, scratch vectors and per-stream state reach their size.
    assert_eq!(transfer(&mut h, id, 4000, &mut spool), 4000);
    let mut counts = Vec::new();
    for n in [2000usize, 8000] {
        let before = allocs();
        assert_eq!(transfer(&mut h, id, n, &mut spool), n);
        counts.push(allocs() - before);
    }
    eprintln!(
        "allocations: 2000 messages {}, 8000 messages {}",
        counts[0], counts[1]
    );
    // The host's pools re-allocate once per 4 MiB at most (8000 KiB → 3
    // at most each way, counted here too); the core adds none per packet.
    // 6000 more messages (~6000 more packets each way) may not add more
    // than that constant.
    assert!(
        counts[1] <= counts[0] + 8,
        "allocations grow with traffic: {counts:?}"
    );
    assert!(
        counts[1] <= 32,
        "too many allocations in steady state: {counts:?}"
    );
}

#[test]
fn idle_association_is_small() {
    let mut h = Host::new(&cfg());
    let before = live_bytes();
    let id = connect(&mut h);
    // Let setup finish (no data); drop what the host holds in flight.
    h.pump();
    let held = live_bytes() - before;
    eprintln!("an established idle association (both endpoints together) holds {held} bytes");
    let _ = id;
    // Both sides of one association, including the endpoints' maps and timer
    // entries for it (the host's pool is allocated before `before`).
    // Measured 8,176 bytes (just under 4 KiB a side, with AUTH, ASCONF and
    // RE-CONFIG state boxed until used; 7,088 before those extensions,
    // 18,204 before the endpoint boxed its associations); the goal is
    // under 4 KiB a side.
    assert!(
        held < 2 * 4 * 1024,
        "idle association too large: {held} bytes for both sides"
    );
}
