//! Two endpoints in one thread over a perfect in-memory wire (the
//! perf-anchors shapes, short): W1, 64 KiB ordered messages on one stream
//! (payload bytes per second; 64 messages an iteration), W2, 1 KiB ordered
//! messages on one stream, and W3, 100-byte unordered messages over 16
//! streams (messages per second; 1,000 messages an iteration). Every
//! iteration moves its messages through an established association with
//! the default configuration (MTU 1200) but `nodelay`, including CRC32c on
//! both sides and the receiver's events.
//!
//! Run: `cargo bench -p anysctp --bench association`

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anysctp::{
    AssociationConfig, AssociationId, Endpoint, EndpointConfig, Event, Instant, SendOptions,
    StreamId,
};
use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const A_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5000);
const B_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5000);
/// Messages and datagrams are slices of large host buffers (no allocation
/// per message in the host either).
const POOL: usize = 4 << 20;
/// Messages per iteration (W2, W3).
const BATCH: usize = 1000;
/// Messages per iteration (W1: 4 MiB).
const BATCH_W1: usize = 64;
/// Bytes the application keeps queued ahead of the receiver (the harness's
/// backlog is 1 MiB; smaller here so an iteration is not one long burst).
const BACKLOG: usize = 256 * 1024;

struct Pair {
    a: Endpoint,
    b: Endpoint,
    id: AssociationId,
    buf: Vec<u8>,
    pool: BytesMut,
    msgs: BytesMut,
    wire: [VecDeque<Bytes>; 2],
    now: Instant,
}

impl Pair {
    fn new(streams: u16) -> Self {
        let cfg = AssociationConfig {
            nodelay: true,
            outbound_streams: streams,
            ..AssociationConfig::default()
        };
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
            .expect("endpoint")
        };
        let mut a = ep(false, 1);
        let id = a
            .connect(Instant::ZERO, B_ADDR, 5000, cfg.clone())
            .expect("connect");
        let mut p = Pair {
            a,
            b: ep(true, 2),
            id,
            buf: vec![0; 65536],
            pool: BytesMut::with_capacity(POOL),
            msgs: BytesMut::with_capacity(POOL),
            wire: [VecDeque::new(), VecDeque::new()],
            now: Instant::ZERO,
        };
        for _ in 0..100 {
            p.pump();
            let mut up = false;
            while let Some((_, ev)) = p.a.poll_event() {
                up |= matches!(ev, Event::Connected { .. });
            }
            while p.b.poll_event().is_some() {}
            if up {
                return p;
            }
            p.skip();
        }
        panic!("no association");
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

    /// Advances the clock to the next deadline (delayed SACKs).
    fn skip(&mut self) {
        if let Some(t) = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
        {
            self.now = self.now.max(t);
        }
    }

    /// Sends and receives `batch` messages of `size` bytes round-robin over
    /// `streams` streams.
    fn transfer(&mut self, batch: usize, size: usize, streams: u16, unordered: bool) {
        let msg = vec![0x5Au8; size];
        let opts = SendOptions {
            unordered,
            ..SendOptions::default()
        };
        let (mut sent, mut got) = (0usize, 0usize);
        while got < batch {
            let mut progress = false;
            while sent < batch && (sent - got) * size < BACKLOG {
                if self.msgs.capacity() < size {
                    self.msgs.reserve(POOL);
                }
                self.msgs.extend_from_slice(&msg);
                let data = self.msgs.split().freeze();
                let stream = StreamId((sent % usize::from(streams)) as u16);
                if self.a.send(self.now, self.id, stream, data, opts).is_err() {
                    break;
                }
                sent += 1;
                progress = true;
            }
            self.pump();
            while let Some((_, ev)) = self.b.poll_event() {
                if matches!(ev, Event::Message { .. }) {
                    got += 1;
                    progress = true;
                }
            }
            while self.a.poll_event().is_some() {}
            if !progress {
                self.skip();
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("association");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(3));

    g.throughput(Throughput::Bytes((BATCH_W1 * 65536) as u64));
    let mut w1 = Pair::new(1);
    g.bench_function("W1 64 KiB ordered, 1 stream", |b| {
        b.iter(|| w1.transfer(BATCH_W1, 65536, 1, false))
    });

    g.throughput(Throughput::Elements(BATCH as u64));
    let mut w2 = Pair::new(1);
    g.bench_function("W2 1 KiB ordered, 1 stream", |b| {
        b.iter(|| w2.transfer(BATCH, 1024, 1, false))
    });

    let mut w3 = Pair::new(16);
    g.bench_function("W3 100 B unordered, 16 streams", |b| {
        b.iter(|| w3.transfer(BATCH, 100, 16, true))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
