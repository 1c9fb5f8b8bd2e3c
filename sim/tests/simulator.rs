//! The simulator tested with toy nodes: the network does what the profiles
//! say, runs replay exactly, and the guard rails stop broken nodes.

use std::net::SocketAddr;
use std::time::Duration;

use anysctp_sim::matrix;
use anysctp_sim::toy::{GoBackNNode, PingNode};
use anysctp_sim::{Action, Instant, LinkProfile, Node, RunOutcome, Sim, SimError};
use bytes::Bytes;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 5000))
}

/// Node 0 at 10.0.0.1 pings node 1 (a sink) at 10.0.0.2 over `profile`.
fn ping_pair(
    seed: u64,
    profile: LinkProfile,
    count: u64,
    size: usize,
    interval: Duration,
) -> Sim<PingNode> {
    let mut sim = Sim::new(seed);
    sim.set_all_links(profile);
    sim.add_node(PingNode::new(addr(2), count, size, interval), [addr(1)]);
    sim.add_node(PingNode::sink(), [addr(2)]);
    sim
}

fn run_to_idle<N: Node>(sim: &mut Sim<N>) {
    let outcome = sim
        .run_for(Duration::from_secs(3600), |_| false)
        .expect("no guard rail");
    assert_eq!(outcome, RunOutcome::Idle);
}

/// |observed − p| within 5 standard deviations of a binomial proportion.
fn assert_rate(observed: u64, n: u64, p: f64, what: &str) {
    let rate = observed as f64 / n as f64;
    let tolerance = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (rate - p).abs() <= tolerance,
        "{what}: observed {rate:.4} over {n}, expected {p} ± {tolerance:.4}"
    );
}

#[test]
fn loss_rate_matches_profile() {
    const N: u64 = 20_000;
    for (seed, p) in [(1, 0.01), (2, 0.10), (3, 0.30)] {
        let profile = LinkProfile {
            loss: p,
            ..LinkProfile::default()
        };
        let mut sim = ping_pair(seed, profile, N, 100, Duration::from_micros(10));
        run_to_idle(&mut sim);
        let stats = *sim.link_stats(addr(1), addr(2)).unwrap();
        assert_eq!(stats.sent, N);
        assert_eq!(stats.dropped_loss + stats.delivered, N);
        assert_eq!(sim.node(1).received.len() as u64, stats.delivered);
        assert_rate(stats.dropped_loss, N, p, "loss");
    }
}

#[test]
fn duplicates_arrive_twice() {
    const N: u64 = 10_000;
    let profile = LinkProfile {
        duplicate: 0.05,
        ..LinkProfile::default()
    };
    let mut sim = ping_pair(4, profile, N, 50, Duration::from_micros(10));
    run_to_idle(&mut sim);
    let stats = *sim.link_stats(addr(1), addr(2)).unwrap();
    assert_rate(stats.duplicated, N, 0.05, "duplication");
    let received = &sim.node(1).received;
    assert_eq!(received.len() as u64, N + stats.duplicated);
    let mut seqs: Vec<u64> = received.iter().map(|a| a.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len() as u64, N, "every datagram arrives, some twice");
}

#[test]
fn reordering_lets_later_packets_overtake() {
    const N: u64 = 5_000;
    let profile = LinkProfile {
        reorder: 0.05,
        reorder_delay: Duration::from_millis(3),
        delay: Duration::from_millis(5),
        ..LinkProfile::default()
    };
    let mut sim = ping_pair(5, profile, N, 50, Duration::from_millis(1));
    run_to_idle(&mut sim);
    let stats = *sim.link_stats(addr(1), addr(2)).unwrap();
    assert_rate(stats.reordered, N, 0.05, "reordering");
    let received = &sim.node(1).received;
    assert_eq!(received.len() as u64, N, "reordering loses nothing");
    let late = received.windows(2).filter(|w| w[0].seq > w[1].seq).count();
    assert!(late as u64 >= stats.reordered / 2, "{late} inversions");
    // Each packet arrives after the delay, held-back ones 3 ms later still.
    for a in received {
        let sent = Instant::from_millis(a.seq);
        let d = a.at - sent;
        assert!(
            d == Duration::from_millis(5) || d == Duration::from_millis(8),
            "{d:?}"
        );
    }
}

#[test]
fn jitter_stays_within_bounds_and_covers_them() {
    let profile = LinkProfile {
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(4),
        ..LinkProfile::default()
    };
    let mut sim = ping_pair(6, profile, 2000, 50, Duration::from_millis(1));
    run_to_idle(&mut sim);
    let delays: Vec<Duration> = sim
        .node(1)
        .received
        .iter()
        .map(|a| a.at - Instant::from_millis(a.seq))
        .collect();
    assert_eq!(delays.len(), 2000);
    let (min, max) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
    assert!(*min >= Duration::from_millis(10) && *min < Duration::from_micros(10_100));
    assert!(*max <= Duration::from_millis(14) && *max > Duration::from_micros(13_900));
}

#[test]
fn bandwidth_limits_throughput_and_overflow_drops() {
    // 10 Mbit/s bottleneck, 1000-byte packets offered at 20 Mbit/s for 1 s.
    let profile = LinkProfile {
        delay: Duration::from_millis(5),
        bandwidth_bps: Some(10_000_000),
        queue_bytes: 50_000,
        ..LinkProfile::default()
    };
    let mut sim = ping_pair(7, profile.clone(), 2500, 1000, Duration::from_micros(400));
    run_to_idle(&mut sim);
    let stats = *sim.link_stats(addr(1), addr(2)).unwrap();
    let received = &sim.node(1).received;
    assert!(stats.dropped_queue > 1000, "{stats:?}");
    assert_eq!(stats.delivered + stats.dropped_queue, 2500);
    // Throughput between first and last arrival: the bottleneck rate.
    let span = received.last().unwrap().at - received[0].at;
    let bits = (received.len() as f64 - 1.0) * 8000.0;
    let bps = bits / span.as_secs_f64();
    assert!((bps - 10e6).abs() < 0.01 * 10e6, "{bps} bit/s");

    // Offered below the bottleneck: nothing dropped, each packet takes
    // serialization (0.8 ms) + propagation (5 ms).
    let mut sim = ping_pair(7, profile, 500, 1000, Duration::from_millis(1));
    run_to_idle(&mut sim);
    let stats = *sim.link_stats(addr(1), addr(2)).unwrap();
    assert_eq!((stats.dropped_queue, stats.delivered), (0, 500));
    for a in &sim.node(1).received {
        assert_eq!(
            a.at - Instant::from_millis(a.seq),
            Duration::from_micros(5800)
        );
    }
}

#[test]
fn link_down_drops_everything_and_up_restores() {
    let mut sim = ping_pair(8, LinkProfile::default(), 100, 50, Duration::from_millis(1));
    sim.schedule(
        Instant::from_millis(20),
        Action::SetLinkUp {
            from: addr(1),
            to: addr(2),
            up: false,
        },
    );
    sim.schedule(
        Instant::from_millis(60),
        Action::SetPathUp {
            a: addr(2),
            b: addr(1),
            up: true,
        },
    );
    run_to_idle(&mut sim);
    let seqs: Vec<u64> = sim.node(1).received.iter().map(|a| a.seq).collect();
    let expected: Vec<u64> = (0..20).chain(60..100).collect();
    assert_eq!(seqs, expected);
    let stats = sim.link_stats(addr(1), addr(2)).unwrap();
    assert_eq!(stats.dropped_down, 40);
}

#[test]
fn multihomed_node_uses_the_path_it_chooses() {
    // Node 0 owns two addresses and sends from the second; the path from
    // its first address is down and must not matter.
    let mut sim = Sim::new(9);
    sim.add_node(
        PingNode::new(addr(3), 10, 50, Duration::from_millis(1)).with_source(addr(2)),
        [addr(1), addr(2)],
    );
    sim.add_node(PingNode::sink(), [addr(3)]);
    sim.set_path_up(addr(1), addr(3), false);
    run_to_idle(&mut sim);
    assert_eq!(sim.node(1).received.len(), 10);
    assert_eq!(sim.link_stats(addr(2), addr(3)).unwrap().delivered, 10);
    assert_eq!(sim.link_stats(addr(1), addr(3)).unwrap().sent, 0);
    // Switch paths: now the second one fails.
    sim.set_path_up(addr(1), addr(3), true);
    sim.set_path_up(addr(2), addr(3), false);
    let now = sim.now();
    sim.node_mut(0).send_more(now, 5);
    run_to_idle(&mut sim);
    assert_eq!(sim.node(1).received.len(), 10);
    assert_eq!(sim.link_stats(addr(2), addr(3)).unwrap().dropped_down, 5);
}

#[test]
fn run_until_stops_on_condition_deadline_or_idle() {
    let mut sim = ping_pair(
        10,
        LinkProfile::default(),
        100,
        50,
        Duration::from_millis(1),
    );
    let out = sim
        .run_until(Instant::from_millis(1000), |s| {
            s.node(1).received.len() == 10
        })
        .unwrap();
    assert_eq!(out, RunOutcome::Stopped);
    assert_eq!(sim.now(), Instant::from_millis(9));
    let out = sim
        .run_until(Instant::from_micros(30_500), |_| false)
        .unwrap();
    assert_eq!(out, RunOutcome::DeadlineReached);
    assert_eq!(sim.now(), Instant::from_micros(30_500));
    assert_eq!(sim.node(1).received.len(), 31);
    let out = sim.run_for(Duration::from_secs(5), |_| false).unwrap();
    assert_eq!(out, RunOutcome::Idle);
    assert_eq!(sim.now(), Instant::from_micros(5_030_500));
    assert_eq!(sim.node(1).received.len(), 100);
}

/// Two go-back-N nodes exchange messages both ways over `profile`.
fn exchange(seed: u64, profile: LinkProfile, messages: u64) -> (u64, u64, Instant) {
    let mut sim = Sim::new(seed);
    sim.set_all_links(profile);
    let rto = Duration::from_millis(60);
    sim.add_node(GoBackNNode::new(addr(2), 16, rto), [addr(1)]);
    sim.add_node(GoBackNNode::new(addr(1), 16, rto), [addr(2)]);
    let mut received = [0u64; 2];
    for i in 0..messages {
        sim.node_mut(0).send(Bytes::from(i.to_le_bytes().to_vec()));
        sim.node_mut(1).send(Bytes::from(i.to_le_bytes().to_vec()));
    }
    sim.run_until(Instant::from_millis(600_000), |sim| {
        for (n, count) in received.iter_mut().enumerate() {
            while let Some(m) = sim.node_mut(n).poll_delivered() {
                assert_eq!(m[..], count.to_le_bytes(), "in order, exactly once");
                *count += 1;
            }
        }
        received == [messages; 2]
    })
    .unwrap();
    (sim.trace_hash(), sim.trace_events(), sim.now())
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let a = exchange(11, matrix::combined(), 300);
    let b = exchange(11, matrix::combined(), 300);
    let c = exchange(12, matrix::combined(), 300);
    assert_eq!(a, b);
    assert!(a.1 > 600);
    assert_ne!(a.0, c.0);
}

/// A node whose deadline never moves: a bug the guard must catch.
struct StuckTimer;

impl Node for StuckTimer {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: SocketAddr, _: Bytes) {}
    fn poll_transmit(
        &mut self,
        _: Instant,
        _: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        None
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        Some(Instant::ZERO)
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

#[test]
fn guard_stops_a_node_stuck_on_a_past_timeout() {
    let mut sim = Sim::new(0);
    sim.add_node(StuckTimer, [addr(1)]);
    let err = sim
        .run_until(Instant::from_millis(1000), |_| false)
        .unwrap_err();
    assert!(matches!(
        err,
        SimError::TimeoutInPast {
            node: 0,
            count: 1000,
            ..
        }
    ));
    assert!(err
        .to_string()
        .starts_with("node 0 returned a timeout in the past 1000 times in a row"));
}

/// Echoes every datagram back at once: with zero delay, two of them ping-pong
/// forever without time advancing.
struct Echo(Option<(SocketAddr, Bytes)>);

impl Node for Echo {
    fn handle_datagram(&mut self, _: Instant, from: SocketAddr, _: SocketAddr, data: Bytes) {
        self.0 = Some((from, data));
    }
    fn poll_transmit(
        &mut self,
        _: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        let (to, data) = self.0.take()?;
        buf[..data.len()].copy_from_slice(&data);
        Some((to, None, data.len()))
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

#[test]
fn guards_stop_endless_ping_pong() {
    let start = |sim: &mut Sim<Echo>| {
        sim.add_node(Echo(Some((addr(2), Bytes::from_static(b"hi")))), [addr(1)]);
        sim.add_node(Echo(None), [addr(2)]);
    };
    let mut sim = Sim::new(0);
    start(&mut sim);
    let mut limits = *sim.limits();
    limits.max_steps_same_instant = 500;
    sim.set_limits(limits);
    let err = sim.run_until(Instant::MAX, |_| false).unwrap_err();
    assert_eq!(
        err,
        SimError::NoProgress {
            steps: 501,
            now: Instant::ZERO
        }
    );

    // With a delay time advances, so the step and time limits catch it.
    let mut sim = Sim::new(0);
    start(&mut sim);
    sim.set_all_links(LinkProfile {
        delay: Duration::from_millis(1),
        ..LinkProfile::default()
    });
    let mut limits = *sim.limits();
    limits.max_steps = 100;
    sim.set_limits(limits);
    assert!(matches!(
        sim.run_until(Instant::MAX, |_| false),
        Err(SimError::StepLimit { steps: 100, .. })
    ));
    limits.max_steps = u64::MAX;
    limits.max_time = Instant::from_millis(1000);
    sim.set_limits(limits);
    assert!(matches!(
        sim.run_until(Instant::MAX, |_| false),
        Err(SimError::TimeLimit { .. })
    ));
    assert_eq!(sim.now(), Instant::from_millis(1000));
}
