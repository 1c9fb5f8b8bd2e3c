//! Multihoming under the simulator (RFC 9260 §5.1.2, §5.4, §6.4, §8.2,
//! RFC 7829): two hosts with two addresses each, on two disjoint networks
//! (10.1/16 and 10.2/16; the cross links are down). Each host lists its
//! addresses in INIT / INIT ACK, confirms the peer's second address with
//! HEARTBEATs, and keeps the association going when the primary network
//! dies, comes back, flaps, or is much faster than the other.
//!
//! The failover bound checked here (defaults: RTO.Min = RTO.Initial = 1 s,
//! RFC 7829 SCTP-PF on with PFMR = 0): the first T3-rtx expiry on the
//! primary makes it Potentially Failed, and the retransmissions and new
//! data go to the alternate at once. T3-rtx runs from the last restart,
//! before the failure, so data flows on the alternate at most one RTO of
//! the primary (its value at the failure) after the failure. Without PF it
//! would take Path.Max.Retrans + 1 timeouts, each RTO doubled (capped at
//! RTO.Max): 1+2+4+8+16+32 = 63 s with the defaults.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use anysctp::wire::chunk_type;
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Event, PeerAddressState,
    SendOptions, StreamId,
};
use anysctp_sim::{
    chunk_types, Action, Checker, EndpointNode, Flow, Instant, LinkProfile, Reliability, Sim,
};

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// Address of `host` (1 client, 2 server) on network `net` (1 or 2).
fn addr(net: u8, host: u8) -> SocketAddr {
    SocketAddr::from(([10, net, 0, host], 9899))
}

/// A packet a node sent: time, destination, source the endpoint chose,
/// chunk types.
type Log = Rc<RefCell<Vec<(Instant, SocketAddr, Option<SocketAddr>, Vec<u8>)>>>;

struct Pair {
    sim: Sim<EndpointNode>,
    ids: [AssociationId; 2],
    checker: Checker,
    closed: [Option<CloseReason>; 2],
    /// Peer address changes seen by each side: (time, address, state).
    changes: [Vec<(Instant, SocketAddr, PeerAddressState)>; 2],
    sent_by: [Log; 2],
    unexpected: Vec<String>,
    next_msg: u64,
}

fn link(one_way_ms: u64) -> LinkProfile {
    LinkProfile {
        delay: Duration::from_millis(one_way_ms),
        queue_bytes: 1 << 20,
        bandwidth_bps: Some(100_000_000),
        ..LinkProfile::default()
    }
}

impl Pair {
    /// Both hosts on both networks (one-way delays `d1`, `d2` ms); the
    /// client connects to the server's first address only and learns the
    /// second from the INIT ACK. Returns once both sides confirmed both
    /// peer addresses.
    fn connect(d1: u64, d2: u64, seed: u64) -> Pair {
        Pair::connect_with(d1, d2, seed, AssociationConfig::default())
    }

    /// [`Pair::connect`] with `cfg` for both sides (buffers and the
    /// maximum message size raised for bulk transfers).
    fn connect_with(d1: u64, d2: u64, seed: u64, cfg: AssociationConfig) -> Pair {
        let mut sim = Sim::new(seed);
        let cfg = AssociationConfig {
            send_buffer: 4 << 20,
            receive_buffer: 4 << 20,
            max_message_size: 1 << 20,
            ..cfg
        };
        let sent_by: [Log; 2] = Default::default();
        for host in [CLIENT, SERVER] {
            let me = host as u8 + 1;
            let ep = EndpointConfig {
                accept_incoming: host == SERVER,
                association: cfg.clone(),
                local_addresses: vec![addr(1, me).ip(), addr(2, me).ip()],
                ..EndpointConfig::default()
            };
            let mut node = EndpointNode::new(ep, [host as u8 + 1; 32]).unwrap();
            // The host's routing table: the address on the destination's
            // network.
            node.set_router(move |dst| match dst.ip() {
                IpAddr::V4(v4) => Some(addr(v4.octets()[1], me)),
                IpAddr::V6(_) => None,
            });
            let log = Rc::clone(&sent_by[host]);
            node.set_sniffer(move |t, dst, src, p| {
                log.borrow_mut()
                    .push((t, dst, src, chunk_types(p).collect()))
            });
            sim.add_node(node, [addr(1, me), addr(2, me)]);
        }
        for (net, d) in [(1, d1), (2, d2)] {
            sim.network_mut()
                .set_path(addr(net, 1), addr(net, 2), link(d));
        }
        // The networks are disjoint.
        let down = LinkProfile {
            up: false,
            ..LinkProfile::default()
        };
        sim.network_mut()
            .set_path(addr(1, 1), addr(2, 2), down.clone());
        sim.network_mut().set_path(addr(2, 1), addr(1, 2), down);
        let now = sim.now();
        let cid = sim
            .node_mut(CLIENT)
            .endpoint
            .connect(now, addr(1, 2), 5000, cfg)
            .unwrap();
        let mut p = Pair {
            sim,
            ids: [cid, cid],
            checker: Checker::new(),
            closed: [None, None],
            changes: [Vec::new(), Vec::new()],
            sent_by,
            unexpected: Vec::new(),
            next_msg: 0,
        };
        p.run_until(Instant::from_millis(5000), |p| {
            (0..2).all(|n| {
                p.changes[n]
                    .iter()
                    .any(|c| c.2 == PeerAddressState::Confirmed)
            })
        });
        for n in [CLIENT, SERVER] {
            let peer = 3 - (n as u8 + 1);
            let confirmed: Vec<SocketAddr> = p.changes[n]
                .iter()
                .filter(|c| c.2 == PeerAddressState::Confirmed)
                .map(|c| c.1)
                .collect();
            assert_eq!(confirmed, vec![addr(2, peer)], "node {n} confirmed");
            assert_eq!(
                p.sim.node(n).endpoint.peer_addresses(p.ids[n]).unwrap(),
                vec![addr(1, peer), addr(2, peer)],
                "node {n}: peer addresses, the primary first"
            );
        }
        p
    }

    fn pump(&mut self) {
        let now = self.sim.now();
        for n in [CLIENT, SERVER] {
            while let Some((id, ev)) = self.sim.node_mut(n).endpoint.poll_event() {
                match ev {
                    Event::Connected { .. } => self.ids[n] = id,
                    Event::Message {
                        stream,
                        unordered,
                        data,
                        ..
                    } => self.checker.record_received(
                        Flow {
                            association: 0,
                            sender: 1 - n,
                        },
                        stream.0,
                        !unordered,
                        &data,
                    ),
                    Event::PeerAddressChange { address, state, .. } => {
                        self.changes[n].push((now, address, state))
                    }
                    Event::Closed(r) => self.closed[n] = Some(r),
                    Event::SendFailed { .. } | Event::Restarted => {
                        self.unexpected.push(format!("node {n}: {ev:?}"))
                    }
                    _ => {}
                }
            }
        }
    }

    /// Queues a reliable message of `len` bytes from the client; false if
    /// the send buffer is full.
    fn send(&mut self, len: usize) -> bool {
        let now = self.sim.now();
        let data = anysctp_sim::make_message(self.next_msg, len);
        let ok = self
            .sim
            .node_mut(CLIENT)
            .endpoint
            .send(
                now,
                self.ids[CLIENT],
                StreamId(1),
                data.clone(),
                SendOptions::default(),
            )
            .is_ok();
        if ok {
            self.next_msg += 1;
            self.checker.record_sent(
                Flow {
                    association: 0,
                    sender: CLIENT,
                },
                1,
                true,
                Reliability::Reliable,
                &data,
            );
        }
        ok
    }

    /// Runs in 10 ms slices until `stop` or `deadline`, pumping events.
    fn run_until(&mut self, deadline: Instant, mut stop: impl FnMut(&mut Pair) -> bool) -> bool {
        loop {
            self.pump();
            if stop(self) {
                return true;
            }
            if self.sim.now() >= deadline {
                return false;
            }
            let to = (self.sim.now() + Duration::from_millis(10)).min(deadline);
            self.sim.run_until(to, |_| false).unwrap();
        }
    }

    /// Sends `count` messages of `len` bytes from the client, keeping the
    /// send buffer topped up, and runs until all arrived (or `deadline`).
    fn transfer(&mut self, count: u64, len: usize, deadline: Instant) -> bool {
        let target = self.next_msg + count;
        let delivered_at_start = self.checker.summary().delivered;
        self.run_until(deadline, |p| {
            while p.next_msg < target
                && p.sim.node(CLIENT).endpoint.buffered_amount(p.ids[CLIENT]) < Some(256 << 10)
                && p.send(len)
            {}
            p.checker.summary().delivered - delivered_at_start >= count
        })
    }

    /// When the client first sent DATA to `dst` at or after `since`.
    fn first_data_to(&self, dst: SocketAddr, since: Instant) -> Option<Instant> {
        self.sent_by[CLIENT]
            .borrow()
            .iter()
            .find(|(t, d, _, c)| *t >= since && *d == dst && c.contains(&chunk_type::DATA))
            .map(|e| e.0)
    }

    fn data_packets_to(&self, dst: SocketAddr, from: Instant, to: Instant) -> usize {
        self.sent_by[CLIENT]
            .borrow()
            .iter()
            .filter(|(t, d, _, c)| {
                *t >= from && *t < to && *d == dst && c.contains(&chunk_type::DATA)
            })
            .count()
    }

    /// Keeps data flowing until the primary network fails for good `after`
    /// from now; returns the failure time and the primary's RTO just
    /// before it.
    fn fail_primary_in(&mut self, after: Duration) -> (Instant, Duration) {
        let fail_at = self.sim.now() + after;
        self.sim.schedule(
            fail_at,
            Action::SetPathUp {
                a: addr(1, 1),
                b: addr(1, 2),
                up: false,
            },
        );
        let mut rto = Duration::ZERO;
        let done = self.run_until(fail_at, |p| {
            while p.sim.node(CLIENT).endpoint.buffered_amount(p.ids[CLIENT]) < Some(64 << 10)
                && p.send(1000)
            {}
            rto = p.primary_rto(CLIENT);
            false
        });
        assert!(!done);
        (fail_at, rto)
    }

    /// The primary network (10.1/16) is down from `down` to `up`.
    fn primary_network_down_between(&mut self, down: Instant, up: Instant) {
        for (at, state) in [(down, false), (up, true)] {
            self.sim.schedule(
                at,
                Action::SetPathUp {
                    a: addr(1, 1),
                    b: addr(1, 2),
                    up: state,
                },
            );
        }
    }

    fn primary_rto(&self, n: usize) -> Duration {
        let s = self.sim.node(n).endpoint.stats(self.ids[n]).unwrap();
        s.paths.iter().find(|p| p.primary).unwrap().rto
    }

    fn assert_clean(&mut self) {
        let deadline = self.sim.now() + Duration::from_secs(60);
        self.run_until(deadline, |p| p.checker.pending_reliable() == 0);
        assert_eq!(self.closed, [None, None], "the association survived");
        assert!(self.unexpected.is_empty(), "{:?}", self.unexpected);
        let s = self.checker.verify().unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(s.delivered, self.next_msg, "every message arrived once");
    }
}

#[test]
fn both_addresses_are_advertised_confirmed_and_used_from_their_own_local_address() {
    let mut p = Pair::connect(5, 5, 1);
    assert_eq!(
        p.sim.node(CLIENT).endpoint.local_addresses(),
        &[addr(1, 1).ip(), addr(2, 1).ip()]
    );
    // Data goes to the primary only while it is active (§6.4).
    let t0 = p.sim.now();
    assert!(p.transfer(200, 1000, t0 + Duration::from_secs(10)));
    let t1 = p.sim.now();
    assert!(p.data_packets_to(addr(1, 2), t0, t1) > 0);
    assert_eq!(p.data_packets_to(addr(2, 2), t0, t1), 0, "alternate idle");
    // Every packet the server sent to the client's second address after
    // learning it left from the server's second address (Transmit.source).
    let log = p.sent_by[SERVER].borrow();
    let to_second: Vec<_> = log.iter().filter(|e| e.1 == addr(2, 1)).collect();
    assert!(!to_second.is_empty());
    assert!(
        to_second.iter().skip(1).all(|e| e.2 == Some(addr(2, 2))),
        "{to_second:?}"
    );
    drop(log);
    // set_primary: only confirmed addresses; the change is reported.
    let now = p.sim.now();
    let cid = p.ids[CLIENT];
    p.sim
        .node_mut(CLIENT)
        .endpoint
        .set_primary(cid, addr(2, 2))
        .unwrap();
    assert!(p
        .sim
        .node_mut(CLIENT)
        .endpoint
        .set_primary(cid, addr(1, 9))
        .is_err());
    assert!(p.transfer(100, 1000, now + Duration::from_secs(10)));
    assert!(p.changes[CLIENT]
        .iter()
        .any(|c| c.1 == addr(2, 2) && c.2 == PeerAddressState::MadePrimary));
    let t2 = p.sim.now();
    assert!(p.data_packets_to(addr(2, 2), now, t2) > 0);
    assert_eq!(p.data_packets_to(addr(1, 2), now, t2), 0);
    p.assert_clean();
}

#[test]
fn primary_fails_for_good_and_data_moves_to_the_alternate_within_one_rto() {
    let mut p = Pair::connect(5, 5, 2);
    let (fail_at, rto) = p.fail_primary_in(Duration::from_secs(2));
    assert!(p.transfer(3000, 1000, fail_at + Duration::from_secs(60)));
    let switched = p
        .first_data_to(addr(2, 2), fail_at)
        .expect("data went to the alternate");
    assert!(
        switched - fail_at <= rto,
        "failover took {:?}, bound (one RTO with SCTP-PF) {rto:?}",
        switched - fail_at
    );
    // The primary was reported potentially failed, then unreachable.
    let states: Vec<_> = p.changes[CLIENT]
        .iter()
        .filter(|c| c.1 == addr(1, 2))
        .map(|c| c.2)
        .collect();
    assert_eq!(states.first(), Some(&PeerAddressState::PotentiallyFailed));
    p.run_until(p.sim.now() + Duration::from_secs(120), |_| false);
    assert!(p.changes[CLIENT]
        .iter()
        .any(|c| c.1 == addr(1, 2) && c.2 == PeerAddressState::Unreachable));
    // After the switch, no DATA went to the dead primary except retries.
    let now = p.sim.now();
    assert!(p.transfer(500, 1000, now + Duration::from_secs(30)));
    let later = p.sim.now();
    assert_eq!(p.data_packets_to(addr(1, 2), now, later), 0);
    p.assert_clean();
}

#[test]
fn primary_fails_and_comes_back_and_data_returns_to_it() {
    let mut p = Pair::connect(5, 5, 3);
    let t0 = p.sim.now();
    let down = t0 + Duration::from_secs(1);
    let up = down + Duration::from_secs(5);
    p.primary_network_down_between(down, up);
    assert!(p.transfer(4000, 1000, t0 + Duration::from_secs(60)));
    // Keep sending until the primary is active again (PF probes once per
    // RTO, RFC 7829 rule 5; the RTO backs off at most to RTO.Max = 60 s).
    let back = p.run_until(up + Duration::from_secs(70), |p| {
        while p.sim.node(CLIENT).endpoint.buffered_amount(p.ids[CLIENT]) < Some(16 << 10)
            && p.send(1000)
        {}
        p.changes[CLIENT]
            .iter()
            .any(|c| c.0 >= up && c.1 == addr(1, 2) && c.2 == PeerAddressState::Available)
    });
    assert!(back, "the primary became available again");
    let again = p.sim.now();
    assert!(p.transfer(500, 1000, again + Duration::from_secs(30)));
    let end = p.sim.now();
    assert!(
        p.data_packets_to(addr(1, 2), again, end) > 0,
        "back on primary"
    );
    assert!(
        p.data_packets_to(addr(2, 2), down, up) > 0,
        "alternate used"
    );
    p.assert_clean();
}

#[test]
fn a_flapping_primary_loses_and_duplicates_nothing() {
    let mut p = Pair::connect(5, 5, 4);
    let t0 = p.sim.now();
    for i in 0..20u64 {
        p.sim.schedule(
            t0 + Duration::from_millis(500 + 700 * i),
            Action::SetPathUp {
                a: addr(1, 1),
                b: addr(1, 2),
                up: i % 2 == 1,
            },
        );
    }
    assert!(p.transfer(8000, 1200, t0 + Duration::from_secs(120)));
    p.assert_clean();
}

#[test]
fn very_different_rtts_fail_over_to_the_slow_path_and_heartbeat_at_the_configured_rate() {
    // 10 ms RTT primary, 600 ms RTT alternate.
    let mut p = Pair::connect(5, 300, 5);
    let t0 = p.sim.now();
    // Idle for two minutes: heartbeats only, each destination at most once
    // per HB.interval + RTO/2 (§8.3, the jitter lower bound).
    p.run_until(t0 + Duration::from_secs(120), |_| false);
    let t1 = p.sim.now();
    for n in [CLIENT, SERVER] {
        let rto_min = Duration::from_secs(1);
        let period = Duration::from_secs(30) + rto_min / 2;
        let max = (t1 - t0).as_micros() / period.as_micros() + 1;
        for net in [1, 2] {
            let dst = addr(net, 3 - (n as u8 + 1));
            let hbs = p.sent_by[n]
                .borrow()
                .iter()
                .filter(|e| e.0 >= t0 && e.1 == dst && e.3.contains(&chunk_type::HEARTBEAT))
                .count() as u128;
            assert!(hbs >= 1 && hbs <= max, "node {n} → {dst}: {hbs} > {max}");
        }
    }
    let fail_at = t1 + Duration::from_millis(200);
    p.sim.schedule(
        fail_at,
        Action::SetPathUp {
            a: addr(1, 1),
            b: addr(1, 2),
            up: false,
        },
    );
    let rto = p.primary_rto(CLIENT);
    assert!(p.transfer(20_000, 1000, t1 + Duration::from_secs(120)));
    let switched = p.first_data_to(addr(2, 2), fail_at).unwrap();
    assert!(
        switched - fail_at <= rto,
        "{:?} > {rto:?}",
        switched - fail_at
    );
    p.assert_clean();
}

/// The failover bound without SCTP-PF (RFC 9260 §8.2, §6.3.3 E2): the
/// primary is declared unreachable when its error counter exceeds
/// Path.Max.Retrans. The first T3-rtx expiry comes at most one RTO after
/// T3's last restart, and that restart can itself come up to one RTO after
/// the failure (a SACK the peer sent just before it). Chunks that reached
/// the peer before the failure may then be acknowledged, which clears the
/// counter once (§8.3: an acknowledged TSN clears the counter of the
/// address it was last sent to); after that, PMR + 1 consecutive expiries,
/// each RTO doubled and capped at RTO.Max.
fn failover_bound_without_pf(rto: Duration, cfg: &AssociationConfig) -> Duration {
    rto * 2
        + (1..=cfg.max_path_retransmits + 1)
            .map(|k| (rto * 2u32.saturating_pow(k)).min(cfg.rto_max))
            .sum::<Duration>()
}

#[test]
fn without_sctp_pf_the_primary_is_abandoned_after_path_max_retrans_timeouts() {
    // Short timers so the full RFC 9260 §8.2 procedure fits in the test:
    // RTO 200 ms .. 2 s, Path.Max.Retrans 3 -> bound 0.4 + 0.4+0.8+1.6+2 s.
    let cfg = AssociationConfig {
        rto_initial: Duration::from_millis(200),
        rto_min: Duration::from_millis(200),
        rto_max: Duration::from_secs(2),
        max_path_retransmits: 3,
        pf_max_retrans: None,
        ..AssociationConfig::default()
    };
    let mut p = Pair::connect_with(5, 5, 6, cfg.clone());
    let (fail_at, rto) = p.fail_primary_in(Duration::from_secs(2));
    assert!(p.transfer(3000, 1000, fail_at + Duration::from_secs(60)));
    let primary: Vec<_> = p.changes[CLIENT]
        .iter()
        .filter(|c| c.1 == addr(1, 2))
        .map(|c| (c.0, c.2))
        .collect();
    assert!(
        primary
            .iter()
            .all(|c| c.1 != PeerAddressState::PotentiallyFailed),
        "SCTP-PF is off: {primary:?}"
    );
    let (down_at, _) = *primary
        .iter()
        .find(|c| c.1 == PeerAddressState::Unreachable)
        .expect("the primary was declared unreachable");
    let bound = failover_bound_without_pf(rto, &cfg);
    assert!(
        down_at - fail_at <= bound,
        "primary abandoned {:?} after the failure; bound {bound:?} (RTO {rto:?})",
        down_at - fail_at
    );
    // Not before PMR + 1 timeouts either: 0.2 + 0.4 + 0.8 + 1.6 s.
    assert!(down_at - fail_at >= Duration::from_secs(3), "{down_at:?}");
    // Retransmissions already went to the alternate (§6.4) before that.
    assert!(p.data_packets_to(addr(2, 2), fail_at, down_at) > 0);
    // From then on, new data goes to the alternate only.
    let now = p.sim.now();
    assert!(p.transfer(500, 1000, now + Duration::from_secs(30)));
    assert_eq!(p.data_packets_to(addr(1, 2), now, p.sim.now()), 0);
    p.assert_clean();
}

/// Issue 5's benchmark figure: W1 (64 KiB ordered messages on one stream)
/// over two 100 Mbit/s, 10 ms RTT networks, the primary failing for good
/// when half the bytes have arrived, against the same transfer without
/// failure. Simulated time, so the figures are exact and repeatable:
/// `cargo test --release -p anysctp-sim --test multihoming failover_figure -- --nocapture`
struct Figure {
    seconds: f64,
    mbit_s: f64,
    stall: Duration,
}

fn w1_with_failover(cfg: AssociationConfig, fail: bool) -> Figure {
    const MESSAGES: u64 = 512; // 32 MiB
    const LEN: usize = 64 << 10;
    let mut p = Pair::connect_with(5, 5, 7, cfg);
    let t0 = p.sim.now();
    let deadline = t0 + Duration::from_secs(600);
    if fail {
        assert!(p.transfer(MESSAGES / 2, LEN, deadline));
        let now = p.sim.now();
        p.sim.set_path_up(addr(1, 1), addr(1, 2), false);
        assert!(p.transfer(MESSAGES - MESSAGES / 2, LEN, deadline));
        assert!(p.first_data_to(addr(2, 2), now).is_some());
    } else {
        assert!(p.transfer(MESSAGES, LEN, deadline));
    }
    let elapsed = p.sim.now() - t0;
    // The longest gap between deliveries to the server.
    let stall = {
        let log = p.sent_by[CLIENT].borrow();
        let data: Vec<Instant> = log
            .iter()
            .filter(|e| e.0 >= t0 && e.3.contains(&chunk_type::DATA))
            .map(|e| e.0)
            .collect();
        data.windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default()
    };
    p.assert_clean();
    let secs = elapsed.as_secs_f64();
    Figure {
        seconds: secs,
        mbit_s: (MESSAGES as f64 * LEN as f64 * 8.0) / secs / 1e6,
        stall,
    }
}

#[test]
fn failover_figure_w1_with_the_primary_failing_half_way() {
    let quick = AssociationConfig {
        rto_initial: Duration::from_millis(200),
        rto_min: Duration::from_millis(200),
        rto_max: Duration::from_secs(2),
        ..AssociationConfig::default()
    };
    let runs = [
        (
            "defaults (RTO.Min 1 s), SCTP-PF on",
            AssociationConfig::default(),
        ),
        ("RTO.Min 200 ms, SCTP-PF on", quick.clone()),
        (
            "RTO.Min 200 ms, SCTP-PF off",
            AssociationConfig {
                pf_max_retrans: None,
                ..quick
            },
        ),
    ];
    println!("W1 failover: 32 MiB in 64 KiB messages, two 100 Mbit/s 10 ms RTT paths, primary fails at 16 MiB");
    println!(
        "{:<38} {:>14} {:>14} {:>12} {:>14}",
        "config", "no failure", "with failure", "share", "longest stall"
    );
    for (name, cfg) in runs {
        let base = w1_with_failover(cfg.clone(), false);
        let fo = w1_with_failover(cfg.clone(), true);
        println!(
            "{name:<38} {:>9.1} Mb/s {:>9.1} Mb/s {:>11.0}% {:>11.2} s",
            base.mbit_s,
            fo.mbit_s,
            100.0 * fo.mbit_s / base.mbit_s,
            fo.stall.as_secs_f64()
        );
        // Without failure the transfer fills most of the 100 Mbit/s link.
        assert!(base.mbit_s > 80.0, "{name}: {:.1} Mbit/s", base.mbit_s);
        // The failover costs at most what RFC 9260 allows: with SCTP-PF the
        // switch happens at the first T3 expiry (one RTO, which may have
        // backed off at most once more while the alternate ramps up);
        // without it, after Path.Max.Retrans + 1 expiries.
        let rto = cfg.rto_min.max(Duration::from_millis(20));
        let allowed = match cfg.pf_max_retrans {
            Some(_) => rto * 3,
            None => failover_bound_without_pf(rto, &cfg),
        };
        assert!(
            fo.stall <= allowed,
            "{name}: stalled {:?}, allowed {allowed:?}",
            fo.stall
        );
        assert!(fo.seconds > base.seconds);
    }
}

/// RFC 7829 §3.2 rule 9: the client's DATA to the primary stops getting
/// through (that direction of network 1 fails for good; SACKs still come
/// back). Its DATA is retransmitted to the alternate, and the alternate's
/// acknowledgements of it prove nothing about the primary: it stays
/// Potentially Failed (then becomes unreachable) and is never reported
/// available again. (Acks of data sent only to the primary would revive
/// it, rule 10, but here none of that data arrives.) The alternate stays
/// active.
#[test]
fn acks_of_data_retransmitted_to_the_alternate_do_not_revive_the_failed_primary() {
    let mut p = Pair::connect(5, 5, 4);
    let start = p.sim.now();
    let fail_at = start + Duration::from_millis(100);
    p.sim.schedule(
        fail_at,
        Action::SetLinkUp {
            from: addr(1, 1),
            to: addr(1, 2),
            up: false,
        },
    );
    assert!(p.transfer(3000, 1000, fail_at + Duration::from_secs(60)));
    assert!(p.data_packets_to(addr(1, 2), start, fail_at) > 0);
    p.run_until(p.sim.now() + Duration::from_secs(120), |_| false);
    let primary: Vec<_> = p.changes[CLIENT]
        .iter()
        .filter(|c| c.1 == addr(1, 2) && c.0 >= fail_at)
        .map(|c| c.2)
        .collect();
    assert_eq!(
        primary,
        [
            PeerAddressState::PotentiallyFailed,
            PeerAddressState::Unreachable
        ]
    );
    let stats = p.sim.node(CLIENT).endpoint.stats(p.ids[CLIENT]).unwrap();
    let state_of = |a| stats.paths.iter().find(|s| s.address == a).unwrap().state;
    assert_eq!(state_of(addr(1, 2)), anysctp::PathState::Inactive);
    assert_eq!(state_of(addr(2, 2)), anysctp::PathState::Active);
    assert!(p.changes[CLIENT]
        .iter()
        .all(|c| c.1 != addr(2, 2) || c.2 == PeerAddressState::Confirmed));
    p.assert_clean();
}

/// RFC 7829 §5 Primary Path Switchover (`primary_switchover` = PFMR = 0):
/// when the primary fails the alternate becomes the primary, reported as
/// MadePrimary, and data stays there after the old primary comes back
/// (compare `primary_fails_and_comes_back_and_data_returns_to_it`).
#[test]
fn with_primary_switchover_data_stays_on_the_new_primary() {
    let cfg = AssociationConfig {
        primary_switchover: Some(0),
        ..AssociationConfig::default()
    };
    let mut p = Pair::connect_with(5, 5, 3, cfg);
    let t0 = p.sim.now();
    let down = t0 + Duration::from_secs(1);
    let up = down + Duration::from_secs(5);
    p.primary_network_down_between(down, up);
    // Data flows through the failure and well past the old primary's
    // recovery (a HEARTBEAT reaches it within HB.interval + RTO).
    p.run_until(up + Duration::from_secs(40), |p| {
        while p.sim.node(CLIENT).endpoint.buffered_amount(p.ids[CLIENT]) < Some(16 << 10)
            && p.send(1000)
        {}
        false
    });
    let made_primary: Vec<_> = p.changes[CLIENT]
        .iter()
        .filter(|c| c.2 == PeerAddressState::MadePrimary)
        .map(|c| (c.0, c.1))
        .collect();
    assert_eq!(
        made_primary.len(),
        1,
        "switched over once: {made_primary:?}"
    );
    assert!(made_primary[0].0 > down && made_primary[0].1 == addr(2, 2));
    let stats = p.sim.node(CLIENT).endpoint.stats(p.ids[CLIENT]).unwrap();
    let old = stats
        .paths
        .iter()
        .find(|s| s.address == addr(1, 2))
        .unwrap();
    assert_eq!(
        old.state,
        anysctp::PathState::Active,
        "the old primary is back"
    );
    assert!(!old.primary);
    assert_eq!(
        p.sim
            .node(CLIENT)
            .endpoint
            .peer_addresses(p.ids[CLIENT])
            .unwrap()[0],
        addr(2, 2),
        "the alternate is the primary now"
    );
    let again = p.sim.now();
    assert!(p.transfer(500, 1000, again + Duration::from_secs(30)));
    let end = p.sim.now();
    assert_eq!(
        p.data_packets_to(addr(1, 2), again, end),
        0,
        "no switch back"
    );
    assert!(p.data_packets_to(addr(2, 2), again, end) > 0);
    p.assert_clean();
}
