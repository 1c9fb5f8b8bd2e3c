//! Path failure and heartbeats of a single-homed association under the
//! simulator: a link that never comes back (both sides give up within the
//! RFC 9260 §8.1 bound), a link that is down for a few seconds (nothing
//! lost or duplicated), and HEARTBEATs on an idle association at
//! HB.interval + RTO ± 50% RTO (§8.3).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use anysctp::wire::chunk_type;
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Event, SendOptions, StreamId,
};
use anysctp_sim::{
    chunk_types, matrix, Action, Checker, EndpointNode, Flow, Instant, Reliability, RunOutcome, Sim,
};

const CLIENT: usize = 0;
const SERVER: usize = 1;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

struct Pair {
    sim: Sim<EndpointNode>,
    ids: [AssociationId; 2],
    checker: Checker,
    closed: [Option<(Instant, CloseReason)>; 2],
    errors: Vec<String>,
}

impl Pair {
    /// Client and server over `matrix::no_loss()` (5 ms one way), connected.
    fn connect(cfg: AssociationConfig, seed: u64) -> Pair {
        let mut sim = Sim::new(seed);
        sim.set_all_links(matrix::no_loss());
        let ep = |accept| EndpointConfig {
            accept_incoming: accept,
            association: cfg.clone(),
            ..EndpointConfig::default()
        };
        sim.add_node(EndpointNode::new(ep(false), [1; 32]).unwrap(), [addr(1)]);
        sim.add_node(EndpointNode::new(ep(true), [2; 32]).unwrap(), [addr(2)]);
        let now = sim.now();
        let cid = sim
            .node_mut(CLIENT)
            .endpoint
            .connect(now, addr(2), 5000, cfg)
            .unwrap();
        let mut ids = [Some(cid), None];
        let mut up = [false; 2];
        sim.run_until(Instant::from_millis(2000), |sim| {
            for n in [CLIENT, SERVER] {
                while let Some((id, ev)) = sim.node_mut(n).endpoint.poll_event() {
                    if matches!(ev, Event::Connected { .. }) {
                        up[n] = true;
                        ids[n] = Some(id);
                    }
                }
            }
            up == [true; 2]
        })
        .unwrap();
        assert_eq!(up, [true; 2], "connected");
        Pair {
            sim,
            ids: [cid, ids[SERVER].unwrap()],
            checker: Checker::new(),
            closed: [None, None],
            errors: Vec::new(),
        }
    }

    fn flow(sender: usize) -> Flow {
        Flow {
            association: 0,
            sender,
        }
    }

    fn pump(&mut self) {
        let now = self.sim.now();
        for n in [CLIENT, SERVER] {
            while let Some((_, ev)) = self.sim.node_mut(n).endpoint.poll_event() {
                match ev {
                    Event::Message {
                        stream,
                        unordered,
                        data,
                        ..
                    } => {
                        self.checker
                            .record_received(Self::flow(1 - n), stream.0, !unordered, &data)
                    }
                    Event::Closed(r) => self.closed[n] = Some((now, r)),
                    Event::SendFailed { .. } | Event::Restarted => {
                        self.errors.push(format!("node {n}: {ev:?}"))
                    }
                    _ => {}
                }
            }
        }
    }

    /// Sends a reliable message of `len` bytes from `n`, ordered on stream
    /// 1; returns false if the send buffer is full.
    fn send(&mut self, n: usize, len: usize) -> bool {
        let now = self.sim.now();
        let data =
            anysctp_sim::make_message(1_000_000 * n as u64 + self.checker.summary().sent, len);
        let ok = self
            .sim
            .node_mut(n)
            .endpoint
            .send(
                now,
                self.ids[n],
                StreamId(1),
                data.clone(),
                SendOptions::default(),
            )
            .is_ok();
        if ok {
            self.checker
                .record_sent(Self::flow(n), 1, true, Reliability::Reliable, &data);
        }
        ok
    }

    /// Both sides send a message every 10 ms until `until`.
    fn traffic_until(&mut self, until: Instant) {
        while self.sim.now() < until {
            let next = self.sim.now() + Duration::from_millis(10);
            self.sim.run_until(next, |_| false).unwrap();
            self.pump();
            for n in [CLIENT, SERVER] {
                if self.closed[n].is_none() {
                    self.send(n, 300);
                }
            }
        }
    }

    /// Runs until `stop` or `deadline`, pumping events.
    fn run_until(&mut self, deadline: Instant, mut stop: impl FnMut(&Pair) -> bool) -> RunOutcome {
        loop {
            let step_to = (self.sim.now() + Duration::from_millis(100)).min(deadline);
            self.sim.run_until(step_to, |_| false).unwrap();
            self.pump();
            if stop(self) {
                return RunOutcome::Stopped;
            }
            if self.sim.now() >= deadline {
                return RunOutcome::DeadlineReached;
            }
        }
    }
}

/// RFC 9260 §8.1 with §6.3.3 E2: T3-rtx expires Association.Max.Retrans + 1
/// times, each after the previous RTO doubled (capped at RTO.Max), before
/// the association is declared unreachable.
fn give_up_bound(rto: Duration, cfg: &AssociationConfig) -> Duration {
    (0..=cfg.max_association_retransmits)
        .map(|k| (rto * 2u32.saturating_pow(k)).min(cfg.rto_max))
        .sum()
}

#[test]
fn a_link_that_stays_down_ends_both_sides_with_timeout_within_the_rfc_bound() {
    let cfg = AssociationConfig::default();
    let mut p = Pair::connect(cfg.clone(), 11);
    p.traffic_until(Instant::from_millis(2000));
    // Everything so far arrived; now the path dies for good, with data in
    // flight both ways.
    let rto =
        [CLIENT, SERVER].map(|n| p.sim.node(n).endpoint.stats(p.ids[n]).unwrap().paths[0].rto);
    let down = p.sim.now();
    p.sim.set_path_up(addr(1), addr(2), false);
    for n in [CLIENT, SERVER] {
        assert!(p.send(n, 300));
    }
    let bounds = rto.map(|r| give_up_bound(r, &cfg));
    let deadline = down + bounds[0].max(bounds[1]) + Duration::from_secs(10);
    p.run_until(deadline, |p| p.closed.iter().all(Option::is_some));
    for n in [CLIENT, SERVER] {
        let (at, reason) = p.closed[n].clone().unwrap_or_else(|| {
            panic!(
                "node {n} did not give up by {deadline:?} (bound {:?})",
                bounds[n]
            )
        });
        assert_eq!(reason, CloseReason::Timeout, "node {n}");
        let took = at.saturating_duration_since(down);
        println!("node {n}: Closed(Timeout) {took:?} after the link went down (RFC bound {:?}, RTO {:?})", bounds[n], rto[n]);
        assert!(
            took <= bounds[n],
            "node {n} took {took:?} > {:?}",
            bounds[n]
        );
        // It retried for a while: at least the first Max.Retrans/2
        // back-offs (heartbeat timeouts also count towards the limit).
        let half = give_up_bound(
            rto[n],
            &AssociationConfig {
                max_association_retransmits: cfg.max_association_retransmits / 2,
                ..cfg.clone()
            },
        );
        assert!(took >= half, "node {n} gave up after only {took:?}");
        assert!(p.sim.node(n).endpoint.associations().is_empty());
    }
    // Messages sent before the failure arrived once; the rest came back
    // as SendFailed(AssociationClosed), none invented or duplicated.
    let report = p.checker.verify();
    if let Err(r) = &report {
        assert!(
            r.violations
                .iter()
                .all(|v| matches!(v, anysctp_sim::checker::Violation::Missing { .. })),
            "{r}"
        );
    }
}

#[test]
fn a_link_down_for_seconds_delays_the_transfer_but_loses_nothing() {
    let cfg = AssociationConfig::default();
    let mut p = Pair::connect(cfg, 12);
    let down_at = Instant::from_millis(1500);
    let up_at = Instant::from_millis(5500);
    for (at, up) in [(down_at, false), (up_at, true)] {
        p.sim.schedule(
            at,
            Action::SetPathUp {
                a: addr(1),
                b: addr(2),
                up,
            },
        );
    }
    // Traffic before, during and after the outage.
    p.traffic_until(Instant::from_millis(7000));
    let sent = p.checker.summary().sent;
    let deadline = Instant::from_millis(120_000);
    let outcome = p.run_until(deadline, |p| p.checker.pending_reliable() == 0);
    assert_eq!(
        outcome,
        RunOutcome::Stopped,
        "everything delivered by {deadline:?}"
    );
    let summary = p.checker.verify().unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(summary.delivered, sent);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let stats = p.sim.link_stats(addr(1), addr(2)).unwrap();
    assert!(stats.dropped_down > 0, "the outage dropped packets");
    for n in [CLIENT, SERVER] {
        let s = p.sim.node(n).endpoint.stats(p.ids[n]).unwrap();
        assert!(s.timeouts > 0, "node {n} saw T3-rtx expire");
        assert_eq!(s.state.name(), "ESTABLISHED");
    }
    // And it still shuts down cleanly.
    let now = p.sim.now();
    p.sim
        .node_mut(CLIENT)
        .endpoint
        .shutdown(now, p.ids[CLIENT])
        .unwrap();
    p.run_until(deadline, |p| p.closed.iter().all(Option::is_some));
    for n in [CLIENT, SERVER] {
        assert_eq!(
            p.closed[n].as_ref().map(|c| &c.1),
            Some(&CloseReason::Shutdown)
        );
    }
}

#[test]
fn an_idle_association_heartbeats_at_the_configured_interval() {
    let interval = Duration::from_secs(5);
    let cfg = AssociationConfig {
        heartbeat_interval: Some(interval),
        ..AssociationConfig::default()
    };
    let mut p = Pair::connect(cfg, 13);
    let seen: Rc<RefCell<[Vec<Instant>; 2]>> = Rc::default();
    let acks: Rc<RefCell<[u32; 2]>> = Rc::default();
    for n in [CLIENT, SERVER] {
        let (seen, acks) = (Rc::clone(&seen), Rc::clone(&acks));
        p.sim.node_mut(n).set_sniffer(move |t, _, _, packet| {
            for c in chunk_types(packet) {
                match c {
                    chunk_type::HEARTBEAT => seen.borrow_mut()[n].push(t),
                    chunk_type::HEARTBEAT_ACK => acks.borrow_mut()[n] += 1,
                    chunk_type::DATA => panic!("an idle association sends no DATA"),
                    _ => {}
                }
            }
        });
    }
    let run = Duration::from_secs(300);
    let end = p.sim.now() + run;
    p.run_until(end, |_| false);
    // §8.3: each idle destination is probed every RTO + HB.interval, with
    // a jitter of ±50% of the RTO.
    let rto = cfg_rto(&p);
    let (lo, hi) = (interval + rto / 2, interval + rto + rto / 2);
    let seen = seen.borrow();
    for n in [CLIENT, SERVER] {
        let times = &seen[n];
        let count = times.len() as u32;
        println!(
            "node {n}: {count} HEARTBEATs in {run:?}, gaps {:?}",
            times
                .windows(2)
                .map(|w| w[1].saturating_duration_since(w[0]))
                .collect::<Vec<_>>()
        );
        assert!(
            count >= (run.as_secs_f64() / hi.as_secs_f64()).floor() as u32 - 1,
            "node {n}: {count}"
        );
        assert!(
            count <= (run.as_secs_f64() / lo.as_secs_f64()).ceil() as u32 + 1,
            "node {n}: {count}"
        );
        for w in times.windows(2) {
            let gap = w[1].saturating_duration_since(w[0]);
            assert!(
                gap >= lo && gap <= hi,
                "node {n}: heartbeat gap {gap:?} outside [{lo:?}, {hi:?}]"
            );
        }
        // Every HEARTBEAT was answered by the peer.
        assert_eq!(
            acks.borrow()[1 - n],
            count,
            "node {n}'s heartbeats acknowledged"
        );
        assert!(p.closed[n].is_none());
    }
}

fn cfg_rto(p: &Pair) -> Duration {
    p.sim
        .node(CLIENT)
        .endpoint
        .stats(p.ids[CLIENT])
        .unwrap()
        .paths[0]
        .rto
}
