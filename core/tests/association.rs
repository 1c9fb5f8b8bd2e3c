//! Two endpoints over a perfect in-memory link: setup, data in both
//! directions, graceful shutdown, abort, and errors the application sees.

use std::net::SocketAddr;

use std::time::Duration;

use anysctp::wire::chunk_type;
use anysctp::{
    AssociationConfig, AssociationId, AssociationState, CloseReason, Endpoint, EndpointConfig,
    Error, Event, Instant, PeerAddressState, Ppid, SendOptions, StreamId,
};
use bytes::Bytes;

const A: &str = "10.0.0.1:9899";
const B: &str = "10.0.0.2:9899";

/// Decides whether to drop a packet: (direction, index, bytes).
type DropRule = Box<dyn FnMut(usize, u64, &[u8]) -> bool>;

struct Pair {
    a: Endpoint,
    b: Endpoint,
    now: Instant,
    a_events: Vec<(AssociationId, Event)>,
    b_events: Vec<(AssociationId, Event)>,
    buf: Vec<u8>,
    /// Drop every packet for which this returns true (direction, index).
    drop: DropRule,
    sent: [u64; 2],
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Pair {
    fn new(cfg: AssociationConfig) -> Self {
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
        Pair {
            a: ep(false, 1),
            b: ep(true, 2),
            now: Instant::from_millis(1000),
            a_events: Vec::new(),
            b_events: Vec::new(),
            buf: vec![0; 65536],
            drop: Box::new(|_, _, _| false),
            sent: [0, 0],
        }
    }

    /// Delivers packets until both sides are quiet, then runs timers due;
    /// returns whether anything happened.
    fn step(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut any = false;
            while let Some(t) = self.a.poll_transmit(self.now, &mut self.buf) {
                assert_eq!(t.destination, addr(B));
                let idx = self.sent[0];
                self.sent[0] += 1;
                if !(self.drop)(0, idx, &self.buf[..t.len]) {
                    let d = Bytes::copy_from_slice(&self.buf[..t.len]);
                    self.b.handle_datagram(self.now, addr(A), d);
                }
                any = true;
            }
            while let Some(t) = self.b.poll_transmit(self.now, &mut self.buf) {
                assert_eq!(t.destination, addr(A));
                let idx = self.sent[1];
                self.sent[1] += 1;
                if !(self.drop)(1, idx, &self.buf[..t.len]) {
                    let d = Bytes::copy_from_slice(&self.buf[..t.len]);
                    self.a.handle_datagram(self.now, addr(B), d);
                }
                any = true;
            }
            while let Some(e) = self.a.poll_event() {
                self.a_events.push(e);
            }
            while let Some(e) = self.b.poll_event() {
                self.b_events.push(e);
            }
            if !any {
                break;
            }
            moved = true;
        }
        moved
    }

    /// Runs until `done` or `limit` of virtual time passes.
    fn run_until(&mut self, limit_ms: u64, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + std::time::Duration::from_millis(limit_ms);
        loop {
            self.step();
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
                    self.a.handle_timeout(self.now);
                    self.b.handle_timeout(self.now);
                }
                _ => return done(self),
            }
        }
    }

    fn connect(&mut self) -> (AssociationId, AssociationId) {
        let id = self
            .a
            .connect(self.now, addr(B), 5000, AssociationConfig::default())
            .unwrap();
        assert!(self.run_until(10_000, |p| {
            p.a_events
                .iter()
                .any(|(_, e)| matches!(e, Event::Connected { .. }))
                && p.b_events
                    .iter()
                    .any(|(_, e)| matches!(e, Event::Connected { .. }))
        }));
        let bid = self
            .b_events
            .iter()
            .find(|(_, e)| matches!(e, Event::Connected { .. }))
            .unwrap()
            .0;
        (id, bid)
    }
}

fn messages(events: &[(AssociationId, Event)]) -> Vec<(StreamId, Bytes)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Message { stream, data, .. } => Some((*stream, data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn handshake_establishes_both_sides() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, b) = p.connect();
    assert_eq!(p.a.state(a), Some(AssociationState::Established));
    assert_eq!(p.b.state(b), Some(AssociationState::Established));
    // 4 packets: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK.
    assert_eq!(p.sent, [2, 2]);
}

#[test]
fn messages_flow_both_ways_in_order() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, b) = p.connect();
    for i in 0..100u32 {
        let data = Bytes::from(format!("message {i}"));
        p.a.send(
            p.now,
            a,
            StreamId((i % 3) as u16),
            data,
            SendOptions::default(),
        )
        .unwrap();
    }
    p.b.send(
        p.now,
        b,
        StreamId(1),
        Bytes::from_static(b"reply"),
        SendOptions {
            ppid: Ppid(51),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(p.run_until(10_000, |p| messages(&p.b_events).len() == 100
        && messages(&p.a_events).len() == 1));
    let got = messages(&p.b_events);
    for s in 0..3u16 {
        let on_stream: Vec<u32> = got
            .iter()
            .filter(|(st, _)| st.0 == s)
            .map(|(_, d)| std::str::from_utf8(d).unwrap()[8..].parse().unwrap())
            .collect();
        let mut sorted = on_stream.clone();
        sorted.sort();
        assert_eq!(on_stream, sorted, "stream {s} out of order");
    }
    assert!(p
        .a_events
        .iter()
        .any(|(_, e)| matches!(e, Event::Message { ppid: Ppid(51), .. })));
}

#[test]
fn large_message_is_fragmented_and_reassembled() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    p.a.send(
        p.now,
        a,
        StreamId(0),
        Bytes::from(big.clone()),
        SendOptions::default(),
    )
    .unwrap();
    assert!(p.run_until(30_000, |p| !messages(&p.b_events).is_empty()));
    assert_eq!(messages(&p.b_events)[0].1, Bytes::from(big));
}

#[test]
fn graceful_shutdown_is_seen_by_both() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, b) = p.connect();
    p.a.send(
        p.now,
        a,
        StreamId(0),
        Bytes::from_static(b"last words"),
        SendOptions::default(),
    )
    .unwrap();
    p.a.shutdown(p.now, a).unwrap();
    assert!(p.run_until(10_000, |p| {
        p.a_events
            .iter()
            .any(|(_, e)| matches!(e, Event::Closed(CloseReason::Shutdown)))
            && p.b_events
                .iter()
                .any(|(_, e)| matches!(e, Event::Closed(CloseReason::Shutdown)))
    }));
    assert_eq!(
        messages(&p.b_events).len(),
        1,
        "data sent before shutdown is delivered"
    );
    assert_eq!(p.a.state(a), None);
    assert_eq!(p.b.state(b), None);
    assert!(p
        .b_events
        .iter()
        .any(|(_, e)| matches!(e, Event::ShutdownReceived)));
}

#[test]
fn abort_reaches_the_peer_with_reason() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    p.a.abort(p.now, a, "test over").unwrap();
    assert!(p.run_until(1000, |p| p
        .b_events
        .iter()
        .any(|(_, e)| matches!(e, Event::Closed(_)))));
    let reason = p
        .b_events
        .iter()
        .find_map(|(_, e)| match e {
            Event::Closed(CloseReason::PeerAborted(r)) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.contains("test over"), "{reason}");
}

#[test]
fn connecting_to_a_non_listener_fails_with_abort() {
    let mut p = Pair::new(AssociationConfig::default());
    // B does not accept: make a fresh B that does not listen.
    p.b = Endpoint::new(
        EndpointConfig {
            port: 5000,
            ..EndpointConfig::default()
        },
        [3; 32],
    )
    .unwrap();
    let id =
        p.a.connect(p.now, addr(B), 5000, AssociationConfig::default())
            .unwrap();
    assert!(p.run_until(5000, |p| p
        .a_events
        .iter()
        .any(|(_, e)| matches!(e, Event::Closed(_)))));
    assert!(
        matches!(p.a_events.last().unwrap(), (i, Event::Closed(CloseReason::PeerAborted(_))) if *i == id)
    );
}

#[test]
fn setup_gives_up_after_max_init_retransmits() {
    let mut p = Pair::new(AssociationConfig::default());
    p.drop = Box::new(|_, _, _| true);
    let cfg = AssociationConfig {
        max_init_retransmits: 3,
        ..AssociationConfig::default()
    };
    p.a.connect(p.now, addr(B), 5000, cfg).unwrap();
    assert!(p.run_until(600_000, |p| p
        .a_events
        .iter()
        .any(|(_, e)| matches!(e, Event::Closed(_)))));
    assert!(matches!(
        p.a_events.last().unwrap().1,
        Event::Closed(CloseReason::SetupFailed)
    ));
    // INIT + 3 retransmissions.
    assert_eq!(p.sent[0], 4);
}

#[test]
fn lost_packets_are_retransmitted() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    // Drop every 5th data packet from A once.
    p.drop = Box::new(|dir, i, _| dir == 0 && i % 5 == 0);
    for i in 0..200u32 {
        p.a.send(
            p.now,
            a,
            StreamId(0),
            Bytes::from(vec![(i % 256) as u8; 1000]),
            SendOptions::default(),
        )
        .unwrap();
    }
    assert!(p.run_until(120_000, |p| messages(&p.b_events).len() == 200));
    let got = messages(&p.b_events);
    for (i, (_, d)) in got.iter().enumerate() {
        assert_eq!(d[0], (i % 256) as u8, "message {i}");
    }
    assert!(p.a.stats(a).unwrap().retransmissions > 0);
    // Losses with later packets acknowledged are repaired by fast
    // retransmit (RFC 9260 §7.2.4), and the stats say so.
    let st = p.a.stats(a).unwrap();
    assert!(st.fast_retransmissions > 0);
    assert!(st.fast_retransmissions <= st.retransmissions);
}

#[test]
fn application_errors_are_clear() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    let e = p.a.send(
        p.now,
        a,
        StreamId(100),
        Bytes::from_static(b"x"),
        SendOptions::default(),
    );
    assert!(matches!(e, Err(Error::InvalidStream { .. })));
    let e =
        p.a.send(p.now, a, StreamId(0), Bytes::new(), SendOptions::default());
    assert_eq!(e, Err(Error::EmptyMessage));
    let big = Bytes::from(vec![0u8; 300 * 1024]);
    let e = p.a.send(p.now, a, StreamId(0), big, SendOptions::default());
    assert!(matches!(e, Err(Error::MessageTooLarge { .. })), "{e:?}");
    let e = p.a.send(
        p.now,
        AssociationId(999),
        StreamId(0),
        Bytes::from_static(b"x"),
        SendOptions::default(),
    );
    assert_eq!(e, Err(Error::NoSuchAssociation));
    assert!(e.unwrap_err().to_string().contains("closed"));
}

#[test]
fn idle_association_sends_heartbeats_at_the_configured_interval() {
    let cfg = AssociationConfig {
        heartbeat_interval: Some(std::time::Duration::from_secs(5)),
        ..AssociationConfig::default()
    };
    let mut p = Pair::new(cfg.clone());
    let id = p.a.connect(p.now, addr(B), 5000, cfg).unwrap();
    assert!(p.run_until(10_000, |p| p.a.state(id)
        == Some(AssociationState::Established)));
    let start = p.sent;
    let t0 = p.now;
    // 60 s idle: with HB.interval 5 s + RTO (1 s) ± 50 % RTO jitter, each
    // side sends one HEARTBEAT every 5.5–6.5 s (RFC 9260 §8.3).
    p.run_until(60_000, |_| false);
    // The run stops at the last deadline before the 60 s limit.
    let elapsed = (p.now - t0).as_secs_f64();
    assert!(elapsed >= 50.0, "ran {elapsed} s");
    // A sends its own HEARTBEATs and ACKs B's: two packets per period.
    let a_sent = (p.sent[0] - start[0]) as f64;
    let (lo, hi) = (2.0 * (elapsed / 6.5).floor(), 2.0 * (elapsed / 5.5).ceil());
    assert!(
        a_sent >= lo && a_sent <= hi,
        "A sent {a_sent} packets in {elapsed} s, expected {lo}..={hi}"
    );
    assert_eq!(p.a.state(id), Some(AssociationState::Established));
    assert!(
        p.a.stats(id).unwrap().paths[0].srtt.is_some(),
        "heartbeat ACKs measure the RTT"
    );
}

/// Chunk types of an SCTP packet, in order.
fn chunk_types(packet: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut at = 12;
    while let Some(h) = packet.get(at..at + 4) {
        types.push(h[0]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        at += len.max(4).div_ceil(4) * 4;
    }
    types
}

#[test]
fn shutdown_without_gaps_is_not_bundled_with_a_sack() {
    // RFC 9260 §6.2: the SHUTDOWN's Cumulative TSN Ack acknowledges
    // in-order data; a SACK beside it says nothing more.
    let mut p = Pair::new(AssociationConfig::default());
    let (a, b) = p.connect();
    p.b.send(
        p.now,
        b,
        StreamId(0),
        Bytes::from_static(b"hello"),
        SendOptions::default(),
    )
    .unwrap();
    p.step();
    assert_eq!(messages(&p.a_events).len(), 1);
    let from_a = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = from_a.clone();
    p.drop = Box::new(move |dir, _, bytes| {
        if dir == 0 {
            log.borrow_mut().push(chunk_types(bytes));
        }
        false
    });
    p.a.shutdown(p.now, a).unwrap();
    assert!(p.run_until(10_000, |p| p.a.state(a).is_none()));
    let sent = from_a.borrow();
    let shutdown = sent
        .iter()
        .find(|t| t.contains(&7))
        .expect("a SHUTDOWN was sent");
    assert_eq!(shutdown, &vec![7], "SHUTDOWN travels alone: {sent:?}");
}

#[test]
fn jumbo_mtu_carries_64_kib_messages() {
    // MTU 65,507 (the largest UDP payload): a 64 KiB message fills a DATA
    // chunk of about 65,400 bytes, close to the u16 chunk length limit
    // (RFC 9260 §3.2); it must be sent, acknowledged and delivered.
    let cfg = AssociationConfig {
        mtu: 65_507,
        max_message_size: 64 * 1024,
        nodelay: true,
        ..AssociationConfig::default()
    };
    let mut p = Pair::new(cfg.clone());
    let a = p.a.connect(p.now, addr(B), 5000, cfg).unwrap();
    assert!(p.run_until(10_000, |p| p
        .a_events
        .iter()
        .any(|(_, e)| matches!(e, Event::Connected { .. }))));
    let big: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    for _ in 0..4 {
        p.a.send(
            p.now,
            a,
            StreamId(0),
            Bytes::from(big.clone()),
            SendOptions::default(),
        )
        .unwrap();
    }
    // Well under one RTO: no retransmission timer may be needed.
    assert!(p.run_until(500, |p| messages(&p.b_events).len() == 4));
    for (_, m) in messages(&p.b_events) {
        assert_eq!(m, Bytes::from(big.clone()));
    }
    assert_eq!(p.a.stats(a).unwrap().retransmissions, 0);
}

/// RFC 9260 §6.1 D: Max.Burst (default 4) limits the packets sent in
/// response to one incoming packet or timer event, however often the host
/// polls, even when cwnd would allow more.
#[test]
fn max_burst_limits_packets_per_incoming_packet_or_timer() {
    use std::collections::VecDeque;
    let mut p = Pair::new(AssociationConfig::default());
    let (id, _) = p.connect();
    let payload = Bytes::from(vec![7u8; 64 * 1024]);
    let is_data = |d: &[u8]| d.get(12) == Some(&0);
    let mut to_a: VecDeque<Bytes> = VecDeque::new();
    let mut delivered_to_b = 0u64;
    let mut bound_by_burst = 0;
    // DATA packets `a` sent since its last incoming packet or timer event.
    let mut burst = 0usize;
    for _ in 0..2000 {
        while p
            .a
            .send(
                p.now,
                id,
                StreamId(0),
                payload.clone(),
                SendOptions::default(),
            )
            .is_ok()
        {}
        while let Some(t) = p.a.poll_transmit(p.now, &mut p.buf) {
            let d = Bytes::copy_from_slice(&p.buf[..t.len]);
            if is_data(&d) {
                burst += 1;
            }
            p.b.handle_datagram(p.now, addr(A), d);
            delivered_to_b += 1;
        }
        assert!(burst <= 4, "{burst} DATA packets after one event");
        if burst == 4 {
            let s = p.a.stats(id).unwrap();
            let path = &s.paths[0];
            // Without Max.Burst cwnd and the peer's window would have let
            // another full packet go.
            if path.cwnd >= path.bytes_in_flight + 1200
                && s.peer_rwnd >= 1200
                && s.buffered_amount >= 1200
            {
                bound_by_burst += 1;
            }
        }
        while let Some(t) = p.b.poll_transmit(p.now, &mut p.buf) {
            to_a.push_back(Bytes::copy_from_slice(&p.buf[..t.len]));
        }
        while p.b.poll_event().is_some() {}
        // The next event for `a`: one packet from `b`, else a timer.
        burst = 0;
        if let Some(d) = to_a.pop_front() {
            p.a.handle_datagram(p.now, addr(B), d);
        } else {
            let next = [p.a.poll_timeout(), p.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap();
            p.now = p.now.max(next);
            p.a.handle_timeout(p.now);
            p.b.handle_timeout(p.now);
        }
    }
    assert!(
        delivered_to_b > 1000,
        "data flowed: {delivered_to_b} packets"
    );
    assert!(
        bound_by_burst > 10,
        "cwnd allowed more than Max.Burst, so bursts were cut by it: {bound_by_burst}"
    );
}

/// `a`'s single path, as the statistics show it.
fn a_path(p: &Pair, id: AssociationId) -> anysctp::PathStats {
    p.a.stats(id).unwrap().paths[0].clone()
}

/// The peer address changes `a` reported.
fn a_path_changes(p: &Pair) -> Vec<PeerAddressState> {
    p.a_events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::PeerAddressChange { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

/// RFC 7829 §3.2 rules 6 and 10: a T3-rtx expiry makes the single path
/// Potentially Failed and sends a HEARTBEAT probe; here the probe is lost,
/// and the retransmitted DATA gets through. Its acknowledgement makes the
/// path active again at once, and the lost probe does not count against
/// it afterwards (it used to time out one RTO later and make the idle,
/// recovered path PF again until the next probe was answered).
#[test]
fn path_is_active_again_once_a_t3_retransmission_is_acked() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    // Lose the first transmission of the DATA (only T3-rtx repairs it),
    // then the HEARTBEAT probing the PF path.
    let (mut data_lost, mut probe_lost) = (false, false);
    p.drop = Box::new(move |dir, _, d| {
        let types = chunk_types(d);
        if dir != 0 {
            return false;
        }
        if !data_lost && types.contains(&chunk_type::DATA) {
            data_lost = true;
            return true;
        }
        if data_lost && !probe_lost && types.contains(&chunk_type::HEARTBEAT) {
            probe_lost = true;
            return true;
        }
        false
    });
    p.a.send(
        p.now,
        a,
        StreamId(0),
        Bytes::from_static(b"last"),
        SendOptions::default(),
    )
    .unwrap();
    let sent_at = p.now;
    assert!(p.run_until(10_000, |p| p
        .a_events
        .iter()
        .any(|(_, e)| matches!(e, Event::SenderDry))));
    let st = p.a.stats(a).unwrap();
    assert_eq!((st.timeouts, st.retransmissions), (1, 1));
    assert_eq!(messages(&p.b_events).len(), 1);
    // Acknowledged one RTO (1 s) after sending: by the retransmission.
    assert!(p.now >= sent_at + Duration::from_secs(1));
    assert_eq!(
        a_path_changes(&p),
        [
            PeerAddressState::PotentiallyFailed,
            PeerAddressState::Available
        ]
    );
    let path = a_path(&p, a);
    assert_eq!(
        (path.state, path.error_count),
        (anysctp::PathState::Active, 0)
    );
    // Idle for 20 s (less than HB.interval): nothing changes.
    let until = p.now + Duration::from_secs(20);
    p.run_until(20_000, |_| false);
    p.now = p.now.max(until);
    p.a.handle_timeout(p.now);
    p.step();
    let path = a_path(&p, a);
    assert_eq!(
        (path.state, path.error_count),
        (anysctp::PathState::Active, 0),
        "{:?}",
        a_path_changes(&p)
    );
    assert_eq!(a_path_changes(&p).len(), 2);
}

/// RFC 9260 §3, §6.1 B: cwnd limits the DATA chunks in flight, headers and
/// padding included, so small messages cannot put several times cwnd on
/// the wire. Nothing is acknowledged here: the first window is all `a` may
/// send.
#[test]
fn cwnd_counts_data_chunks_whole() {
    let mut p = Pair::new(AssociationConfig::default());
    let (a, _) = p.connect();
    p.drop = Box::new(|dir, _, _| dir == 1);
    for i in 0..2000u32 {
        p.a.send(
            p.now,
            a,
            StreamId(0),
            Bytes::from(i.to_be_bytes().to_vec()),
            SendOptions::default(),
        )
        .unwrap();
    }
    p.step();
    let st = p.a.stats(a).unwrap();
    let path = &st.paths[0];
    // 4-byte messages: 16-byte DATA header, no padding.
    let chunks = st.bytes_in_flight / 4;
    assert!(chunks > 100, "{chunks}");
    assert_eq!(path.bytes_in_flight, chunks * 20);
    assert!(path.bytes_in_flight < path.cwnd + path.mtu - 12, "{path:?}");
    assert!(path.bytes_in_flight >= path.cwnd, "{path:?}");
}
