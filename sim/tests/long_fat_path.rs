//! W6: a long fat path. One association pushes 64 KiB messages on one
//! stream through a 1 Gbit/s bottleneck with a one-BDP drop-tail queue and a
//! 50 ms round trip (BDP 6.25 MB), and the goodput is measured as a share of
//! the link.
//!
//! Goodput counts user payload bytes delivered to the receiving application
//! (SCTP common and chunk headers are overhead, so the best possible share is
//! `(mtu - 28) / mtu`: 97.7 % at MTU 1200, 98.1 % at 1500).
//!
//! "After slow start" is defined as: from the first drop at the bottleneck
//! (slow start ends with that loss, RFC 9260 §7.3) to the end of the run,
//! or, when nothing is ever dropped, from t = 2 s (slow start ends by the
//! peer's window at ~1.1 s). Loss recovery is inside the measured window on
//! purpose: a stack that lets the link run dry while recovering fails.
//!
//! Three receive buffers, each asserted to reach ≥ 90 % of the link after
//! slow start: 8 MiB (above the BDP of 6.25 MB, below BDP + queue = 12.5 MB:
//! the peer's window ends slow start), 16 MiB and 32 MiB (above BDP +
//! queue: without a delay-based exit slow start overshoots by up to a
//! window and loses thousands of packets in one round trip, which loss
//! recovery must absorb without a T3-rtx timeout).
//!
//! The random-loss runs (NewReno and CUBIC) print the measured goodput next
//! to the Reno response function `1.22 · MSS / (RTT · √p)` and assert only
//! that data flowed.
//!
//! Run (release mode; debug builds skip these tests, ~1 GB each through
//! the simulator is too slow there):
//! `cargo test --release -p anysctp-sim --test long_fat_path -- --nocapture --test-threads 1`

use std::net::SocketAddr;
use std::time::Duration;

use anysctp::congestion::Algorithm;
use anysctp::{
    AssociationConfig, AssociationId, EndpointConfig, Error, Event, SendOptions, StreamId,
};
use anysctp_sim::matrix::long_fat;
use anysctp_sim::{EndpointNode, Instant, LinkProfile, Sim};
use bytes::Bytes;

const PORT: u16 = 5000;
const LINK_BPS: f64 = 1e9;
const RTT: Duration = Duration::from_millis(50);
const MESSAGE: usize = 64 * 1024;
/// The smallest send buffer, and the receive buffer of the random-loss
/// runs: comfortably above the BDP plus the queue (12.5 MB).
const BUFFER: usize = 16 * 1024 * 1024;
/// How often the run is sampled (rate and congestion window).
const SAMPLE: Duration = Duration::from_millis(10);
/// Without a drop, "after slow start" starts here.
const STEADY_FROM: Duration = Duration::from_secs(2);
/// Common header (12) + DATA chunk header (16).
const OVERHEAD: usize = 28;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

/// Simulated duration: 10 s (30 s of four runs would exceed the test
/// budget; `ANYSCTP_W6_SECONDS=30` gives the full figure).
fn duration() -> Duration {
    if let Some(s) = std::env::var("ANYSCTP_W6_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return Duration::from_secs(s);
    }
    Duration::from_secs(10)
}

#[derive(Debug)]
struct Report {
    mtu: usize,
    rwnd: usize,
    algorithm: Algorithm,
    loss: f64,
    seconds: f64,
    /// End of slow start: the first drop at the bottleneck, random or queue.
    slow_start_end: Option<Instant>,
    /// First time a 100 ms window delivered ≥ 90 % of the link.
    steady_at: Option<Instant>,
    /// Goodput over the whole run, Mbit/s.
    goodput_total: f64,
    /// Goodput from `slow_start_end` to the end, Mbit/s.
    goodput_after: f64,
    retransmissions: u64,
    fast_retransmissions: u64,
    timeouts: u64,
    max_cwnd: usize,
    final_cwnd: usize,
    final_ssthresh: usize,
    queue_drops: u64,
    random_drops: u64,
}

impl Report {
    fn share_after(&self) -> f64 {
        self.goodput_after * 1e6 / LINK_BPS
    }

    fn print(&self) {
        let opt = |t: Option<Instant>| {
            t.map_or("never".to_string(), |t| {
                format!("{:.3} s", t.as_micros() as f64 / 1e6)
            })
        };
        println!(
            "W6 {:?} mtu {} rwnd {} MiB loss {}%: {:.0} s simulated; goodput {:.1} Mbit/s overall, \
             {:.1} Mbit/s = {:.1}% of the link after slow start (ended {}); \
             ≥90% reached at {}; retransmissions {} (fast {}, timeouts {}); \
             cwnd max {} B, final {} B, ssthresh {} B; drops: queue {}, random {}",
            self.algorithm,
            self.mtu,
            self.rwnd >> 20,
            self.loss * 100.0,
            self.seconds,
            self.goodput_total,
            self.goodput_after,
            self.share_after() * 100.0,
            opt(self.slow_start_end),
            opt(self.steady_at),
            self.retransmissions,
            self.fast_retransmissions,
            self.timeouts,
            self.max_cwnd,
            self.final_cwnd,
            self.final_ssthresh,
            self.queue_drops,
            self.random_drops,
        );
    }
}

/// Keeps the sender's buffer full of 64 KiB messages (one shared `Bytes`).
fn top_up(sim: &mut Sim<EndpointNode>, client: usize, id: AssociationId, payload: &Bytes) {
    let now = sim.now();
    loop {
        match sim.node_mut(client).endpoint.send(
            now,
            id,
            StreamId(0),
            payload.clone(),
            SendOptions::default(),
        ) {
            Ok(()) => {}
            Err(Error::WouldBlock { .. }) => return,
            Err(e) => panic!("send failed: {e:?}"),
        }
    }
}

fn run(
    algorithm: Algorithm,
    mtu: usize,
    rwnd: usize,
    loss: f64,
    length: Duration,
    seed: u64,
) -> Report {
    let assoc = AssociationConfig {
        mtu,
        receive_buffer: rwnd as u32,
        // A sender that wants a window of `rwnd` in flight needs that much
        // buffered.
        send_buffer: rwnd.max(BUFFER),
        congestion_control: algorithm,
        ..AssociationConfig::default()
    };
    let (a, b) = (addr(1), addr(2));
    let mut sim = Sim::new(seed);
    let client_cfg = EndpointConfig {
        association: assoc.clone(),
        ..EndpointConfig::default()
    };
    let server_cfg = EndpointConfig {
        accept_incoming: true,
        association: assoc.clone(),
        ..EndpointConfig::default()
    };
    let client = sim.add_node(EndpointNode::new(client_cfg, [1; 32]).unwrap(), [a]);
    let server = sim.add_node(EndpointNode::new(server_cfg, [2; 32]).unwrap(), [b]);
    let link = long_fat();
    assert_eq!(link.queue_bytes, 6_250_000);
    sim.set_link(b, a, link.clone());
    // Random loss on the data direction only: that is what the Reno
    // response function models.
    sim.set_link(a, b, LinkProfile { loss, ..link });

    let now = sim.now();
    let id = sim
        .node_mut(client)
        .endpoint
        .connect(now, b, PORT, assoc)
        .unwrap();
    sim.node_mut(client)
        .endpoint
        .set_buffered_amount_low_threshold(id, rwnd.max(BUFFER) / 2)
        .unwrap();
    let payload = Bytes::from(vec![0x5a; MESSAGE]);

    let end = Instant::ZERO + length;
    let mut delivered: u64 = 0;
    let mut connected_at = None;
    let mut next_sample = Instant::ZERO;
    let mut max_cwnd = 0usize;
    let mut slow_start_end: Option<(Instant, u64)> = None;
    // Delivered bytes at each sample, for the 100 ms rate windows.
    let mut history: Vec<(Instant, u64)> = Vec::with_capacity(4096);
    let mut steady_at = None;
    let trace = std::env::var_os("ANYSCTP_W6_TRACE").is_some();

    sim.run_until(end, |sim| {
        while let Some((_, ev)) = sim.node_mut(server).endpoint.poll_event() {
            if let Event::Message { data, .. } = ev {
                delivered += data.len() as u64;
            }
        }
        while let Some((_, ev)) = sim.node_mut(client).endpoint.poll_event() {
            match ev {
                Event::Connected { .. } => {
                    connected_at = Some(sim.now());
                    top_up(sim, client, id, &payload);
                }
                Event::BufferedAmountLow => top_up(sim, client, id, &payload),
                Event::Closed(r) => panic!("association closed: {r:?}"),
                _ => {}
            }
        }
        let now = sim.now();
        if now >= next_sample {
            next_sample = now + SAMPLE;
            if let Some(s) = sim.node(client).endpoint.stats(id) {
                if let Some(p) = s.paths.first() {
                    max_cwnd = max_cwnd.max(p.cwnd);
                    if trace {
                        println!(
                            "{now:?} delivered {delivered} cwnd {} ssthresh {} flight {} \
                             peer_rwnd {} buffered {} rtx {} fast {} t3 {} srtt {:?} rto {:?} qdrops {}",
                            p.cwnd,
                            p.ssthresh,
                            p.bytes_in_flight,
                            s.peer_rwnd,
                            s.buffered_amount,
                            s.retransmissions,
                            s.fast_retransmissions,
                            s.timeouts,
                            p.srtt,
                            p.rto,
                            sim.link_stats(a, b).map_or(0, |l| l.dropped_queue)
                        );
                    }
                }
            }
            if slow_start_end.is_none() {
                let st = sim.link_stats(a, b).cloned().unwrap_or_default();
                if st.dropped_queue + st.dropped_loss > 0 {
                    slow_start_end = Some((now, delivered));
                }
            }
            history.push((now, delivered));
            if steady_at.is_none() {
                let back = now.as_micros().saturating_sub(100_000);
                if let Some(&(t0, d0)) = history.iter().rev().find(|(t, _)| t.as_micros() <= back)
                {
                    let secs = (now.as_micros() - t0.as_micros()) as f64 / 1e6;
                    if (delivered - d0) as f64 * 8.0 / secs >= 0.9 * LINK_BPS {
                        steady_at = Some(now);
                    }
                }
            }
        }
        false
    })
    .unwrap();
    assert!(connected_at.is_some(), "never connected");

    let stats = sim.node(client).endpoint.stats(id).expect("association");
    let path = stats.paths.first().expect("a path");
    let fwd = sim.link_stats(a, b).cloned().unwrap_or_default();
    let now = sim.now();
    let secs = |from: Instant| (now.as_micros() - from.as_micros()) as f64 / 1e6;
    let mbps = |bytes: u64, from: Instant| bytes as f64 * 8.0 / secs(from) / 1e6;
    let from = Instant::ZERO + STEADY_FROM;
    let (after_from, after_base) = slow_start_end.unwrap_or_else(|| {
        history
            .iter()
            .find(|(t, _)| *t >= from)
            .copied()
            .unwrap_or((from, 0))
    });
    Report {
        mtu,
        rwnd,
        algorithm,
        loss,
        seconds: secs(Instant::ZERO),
        slow_start_end: slow_start_end.map(|(t, _)| t),
        steady_at,
        goodput_total: mbps(delivered, Instant::ZERO),
        goodput_after: mbps(delivered - after_base, after_from),
        retransmissions: stats.retransmissions,
        fast_retransmissions: stats.fast_retransmissions,
        timeouts: stats.timeouts,
        max_cwnd,
        final_cwnd: path.cwnd,
        final_ssthresh: path.ssthresh,
        queue_drops: fwd.dropped_queue,
        random_drops: fwd.dropped_loss,
    }
}

/// Reno's response function (Mathis et al.): 1.22 · MSS / (RTT · √p), in
/// Mbit/s, with MSS = the user payload of a full packet.
fn reno_mbps(mtu: usize, loss: f64) -> f64 {
    let mss = (mtu - OVERHEAD) as f64;
    1.22 * mss * 8.0 / (RTT.as_secs_f64() * loss.sqrt()) / 1e6
}

/// Receive buffers of the "fills the link" runs: above the BDP (6.25 MB);
/// 8 MiB is below BDP + queue (12.5 MB), 16 and 32 MiB above it.
const MIB: usize = 1024 * 1024;

fn check_fills_the_link(mtu: usize, rwnd: usize) -> Report {
    let r = run(Algorithm::NewReno, mtu, rwnd, 0.0, duration(), 1);
    r.print();
    assert!(
        r.max_cwnd >= 6_250_000,
        "cwnd never reached the BDP: {} B",
        r.max_cwnd
    );
    let steady = r.steady_at.expect("never reached 90% of the link");
    assert!(
        steady < Instant::ZERO + STEADY_FROM,
        "90% of the link first reached at {steady:?}, after {STEADY_FROM:?}"
    );
    assert!(
        r.share_after() >= 0.90,
        "rwnd {} MiB: goodput after slow start {:.1} Mbit/s is {:.1}% of the link, below 90%",
        rwnd / MIB,
        r.goodput_after,
        r.share_after() * 100.0
    );
    assert_eq!(
        r.timeouts, 0,
        "loss recovery needed T3-rtx: the link ran dry for an RTO"
    );
    r
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release")]
fn w6_long_fat_path_mtu_1200_fills_the_link() {
    check_fills_the_link(1200, 8 * MIB);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release")]
fn w6_long_fat_path_mtu_1500_fills_the_link() {
    check_fills_the_link(1500, 8 * MIB);
}

/// 16 MiB: also asserts that the receiver kept every out-of-order chunk it
/// had room for when the queue dropped packets (before the gap-range fix it
/// discarded most of the window after the 256th hole and the sender
/// retransmitted 3.5× what the queue dropped).
#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release")]
fn w6_long_fat_path_16mib_fills_the_link() {
    let r = check_fills_the_link(1200, 16 * MIB);
    assert!(
        r.retransmissions <= r.queue_drops + r.queue_drops / 10,
        "{} retransmissions for {} drops: the receiver discarded data it had room for",
        r.retransmissions,
        r.queue_drops
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release")]
fn w6_long_fat_path_32mib_fills_the_link() {
    check_fills_the_link(1200, 32 * MIB);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release")]
fn w6_long_fat_path_with_random_loss_against_reno() {
    let loss = 0.00001;
    let reno = run(Algorithm::NewReno, 1200, BUFFER, loss, duration(), 2);
    reno.print();
    let cubic = run(Algorithm::Cubic, 1200, BUFFER, loss, duration(), 2);
    cubic.print();
    println!(
        "W6 mtu 1200 loss 0.001%: Reno 1.22·MSS/(RTT·√p) with RTT 50 ms predicts {:.1} Mbit/s; \
         NewReno measured {:.1} Mbit/s overall, {:.1} Mbit/s after the first loss; \
         CUBIC measured {:.1} Mbit/s overall, {:.1} Mbit/s after the first loss",
        reno_mbps(1200, loss),
        reno.goodput_total,
        reno.goodput_after,
        cubic.goodput_total,
        cubic.goodput_after,
    );
    assert!(reno.goodput_total > 0.0, "no data delivered (NewReno)");
    assert!(cubic.goodput_total > 0.0, "no data delivered (CUBIC)");
}
