//! Dynamic address reconfiguration (RFC 5061) under the simulator: a
//! client host with two addresses (10.1.0.1 and 10.2.0.1) starts its
//! association to a single-homed server (10.9.0.2) with the first one only,
//! adds the second in the middle of a transfer, asks the server to make it
//! primary, deletes the first, and then loses the first network for good.
//! The transfer carries on over the new address with nothing lost or
//! duplicated (anysctp_sim::Checker), and both sides report what changed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anysctp::wire::chunk_type;
use anysctp::{
    AddressRequest, AddressRequestOutcome, AssociationConfig, AssociationId, CloseReason,
    EndpointConfig, Event, PeerAddressState, SendOptions, StreamId,
};
use anysctp_sim::{
    chunk_types, Checker, EndpointNode, Flow, Instant, LinkProfile, Reliability, Sim,
};

use std::cell::RefCell;
use std::rc::Rc;

const CLIENT: usize = 0;
const SERVER: usize = 1;

fn c1() -> SocketAddr {
    SocketAddr::from(([10, 1, 0, 1], 9899))
}
fn c2() -> SocketAddr {
    SocketAddr::from(([10, 2, 0, 1], 9899))
}
fn server() -> SocketAddr {
    SocketAddr::from(([10, 9, 0, 2], 9899))
}

/// Packets the client sent: time, source the endpoint chose, chunk types.
type Log = Rc<RefCell<Vec<(Instant, Option<SocketAddr>, Vec<u8>)>>>;

struct Run {
    sim: Sim<EndpointNode>,
    ids: [AssociationId; 2],
    checker: Checker,
    closed: [Option<CloseReason>; 2],
    changes: [Vec<(SocketAddr, PeerAddressState)>; 2],
    results: Vec<(AddressRequest, AddressRequestOutcome)>,
    unexpected: Vec<String>,
    client_log: Log,
    /// Whether `run_until` keeps the client's send buffer topped up.
    sending: bool,
}

impl Run {
    fn new(seed: u64, loss: f64) -> Run {
        let mut sim = Sim::new(seed);
        let cfg = AssociationConfig {
            send_buffer: 4 << 20,
            receive_buffer: 4 << 20,
            // RFC 5061 §4.1.1: ASCONF needs SCTP-AUTH.
            auth: Some(anysctp::AuthConfig::default()),
            ..AssociationConfig::default()
        };
        let client_log: Log = Rc::default();
        let ep = EndpointConfig {
            association: cfg.clone(),
            local_addresses: vec![c1().ip()],
            ..EndpointConfig::default()
        };
        let mut node = EndpointNode::new(ep, [1; 32]).unwrap();
        // The host's default route leaves from the first address: once it
        // is deleted, only the endpoint's own choice of source
        // (Transmit::source) reaches the server.
        node.set_router(|_| Some(c1()));
        let log = Rc::clone(&client_log);
        node.set_sniffer(move |t, _dst, src, p| {
            log.borrow_mut().push((t, src, chunk_types(p).collect()))
        });
        sim.add_node(node, [c1(), c2()]);
        let ep = EndpointConfig {
            accept_incoming: true,
            association: cfg.clone(),
            ..EndpointConfig::default()
        };
        sim.add_node(EndpointNode::new(ep, [2; 32]).unwrap(), [server()]);
        let link = LinkProfile {
            delay: Duration::from_millis(10),
            queue_bytes: 1 << 20,
            bandwidth_bps: Some(50_000_000),
            loss,
            duplicate: loss / 2.0,
            ..LinkProfile::default()
        };
        for c in [c1(), c2()] {
            sim.network_mut().set_path(c, server(), link.clone());
        }
        let now = sim.now();
        let cid = sim
            .node_mut(CLIENT)
            .endpoint
            .connect(now, server(), 5000, cfg)
            .unwrap();
        let mut r = Run {
            sim,
            ids: [cid, cid],
            checker: Checker::new(),
            closed: [None, None],
            changes: Default::default(),
            results: Vec::new(),
            unexpected: Vec::new(),
            client_log,
            sending: false,
        };
        let up = r.run_until(Instant::from_millis(5000), |r| {
            let ep = &r.sim.node(CLIENT).endpoint;
            ep.state(cid) == Some(anysctp::AssociationState::Established)
                && r.sim.node(SERVER).endpoint.associations().len() == 1
        });
        assert!(up, "connected");
        r.sending = true;
        r
    }

    fn pump(&mut self) {
        for n in [CLIENT, SERVER] {
            while let Some((id, ev)) = self.sim.node_mut(n).endpoint.poll_event() {
                match ev {
                    Event::Connected { .. } => self.ids[n] = id,
                    Event::Message {
                        stream,
                        unordered,
                        data,
                        ..
                    } => {
                        // Messages arrive at the server only.
                        let flow = Flow {
                            association: 0,
                            sender: CLIENT,
                        };
                        self.checker
                            .record_received(flow, stream.0, !unordered, &data);
                    }
                    Event::PeerAddressChange { address, state, .. } => {
                        self.changes[n].push((address, state))
                    }
                    Event::AddressRequestResult { request, outcome } if n == CLIENT => {
                        self.results.push((request, outcome))
                    }
                    Event::Closed(r) => self.closed[n] = Some(r),
                    Event::SendFailed { .. }
                    | Event::Restarted
                    | Event::AddressRequestResult { .. } => {
                        self.unexpected.push(format!("node {n}: {ev:?}"))
                    }
                    _ => {}
                }
            }
        }
    }

    /// Queues one 1000-byte message at the client (the buffer has room:
    /// `run_until` keeps at most 64 KiB of the 4 MiB queued).
    fn send_one(&mut self) {
        let flow = Flow {
            association: 0,
            sender: CLIENT,
        };
        let data = self
            .checker
            .send(flow, 0, true, Reliability::Reliable, 1000);
        let (now, id) = (self.sim.now(), self.ids[CLIENT]);
        let ep = &mut self.sim.node_mut(CLIENT).endpoint;
        ep.send(now, id, StreamId(0), data, SendOptions::default())
            .unwrap();
    }

    /// Gives the client a command that sends `request` to the server, and
    /// runs (the transfer going on) until its answer arrives.
    fn request(
        &mut self,
        request: AddressRequest,
        command: impl FnOnce(
            &mut anysctp::Endpoint,
            Instant,
            AssociationId,
        ) -> Result<(), anysctp::Error>,
    ) -> AddressRequestOutcome {
        let (now, id) = (self.sim.now(), self.ids[CLIENT]);
        command(&mut self.sim.node_mut(CLIENT).endpoint, now, id).unwrap();
        let answered = self.run_until(now + Duration::from_secs(30), |r| {
            r.results.iter().any(|(q, _)| *q == request)
        });
        assert!(answered, "no answer to {request:?}");
        let i = self.results.iter().position(|(q, _)| *q == request);
        self.results.remove(i.unwrap_or_default()).1
    }

    /// Runs in 10 ms slices, keeping 64 KiB queued at the client, until
    /// `stop` or `deadline`.
    fn run_until(&mut self, deadline: Instant, mut stop: impl FnMut(&mut Run) -> bool) -> bool {
        loop {
            self.pump();
            if stop(self) {
                return true;
            }
            if self.sim.now() >= deadline {
                return false;
            }
            while self.sending
                && self
                    .sim
                    .node(CLIENT)
                    .endpoint
                    .buffered_amount(self.ids[CLIENT])
                    .is_some_and(|b| b < 64 << 10)
            {
                self.send_one();
            }
            let to = (self.sim.now() + Duration::from_millis(10)).min(deadline);
            self.sim.run_until(to, |_| false).unwrap();
        }
    }

    fn delivered(&self) -> u64 {
        self.checker.summary().delivered
    }
}

fn ip(a: SocketAddr) -> IpAddr {
    a.ip()
}

#[test]
fn an_address_added_mid_transfer_takes_over_from_the_deleted_one() {
    add_then_delete(11, 0.0);
}

/// The same with 2% loss and 1% duplication on every link: lost ASCONFs
/// and ASCONF-ACKs are recovered by T-4 and the cached answers.
#[test]
fn address_changes_survive_loss_and_duplication() {
    for seed in [21, 22, 23] {
        add_then_delete(seed, 0.02);
    }
}

fn add_then_delete(seed: u64, loss: f64) {
    let mut r = Run::new(seed, loss);
    let t0 = r.sim.now();
    // Data flows over the first address.
    assert!(r.run_until(t0 + Duration::from_secs(10), |r| r.delivered() >= 500));
    let accepted = AddressRequestOutcome::Accepted;
    let outcome = r.request(AddressRequest::AddLocal(ip(c2())), |ep, now, _| {
        ep.add_local_address(now, ip(c2()))
    });
    assert_eq!(outcome, accepted);
    // The server probes the new address before using it (RFC 9260 §5.4).
    let now = r.sim.now();
    assert!(
        r.run_until(now + Duration::from_secs(10), |r| r.changes[SERVER]
            .contains(&(c2(), PeerAddressState::Confirmed)))
    );
    assert!(r.changes[SERVER].contains(&(c2(), PeerAddressState::Added)));
    // Ask the server to send to the new address from now on.
    let outcome = r.request(AddressRequest::SetPeerPrimary(ip(c2())), |ep, now, id| {
        ep.set_peer_primary(now, id, ip(c2()))
    });
    assert_eq!(outcome, accepted);
    assert!(r.changes[SERVER].contains(&(c2(), PeerAddressState::MadePrimary)));
    let server_peers = |r: &Run| r.sim.node(SERVER).endpoint.peer_addresses(r.ids[SERVER]);
    assert_eq!(server_peers(&r).unwrap()[0], c2());
    // Delete the first address, still mid-transfer.
    let before = r.delivered();
    let now = r.sim.now();
    let outcome = r.request(AddressRequest::RemoveLocal(ip(c1())), |ep, now, _| {
        ep.remove_local_address(now, ip(c1()))
    });
    assert_eq!(outcome, accepted);
    assert!(r.changes[SERVER].contains(&(c1(), PeerAddressState::Removed)));
    assert_eq!(server_peers(&r).unwrap(), vec![c2()]);
    // §5.3 F6: the ASCONF deleting 10.1.0.1 did not leave from it.
    let log = r.client_log.borrow();
    let asconfs: Vec<_> = log
        .iter()
        .filter(|e| e.0 >= now && e.2.contains(&chunk_type::ASCONF))
        .collect();
    assert!(!asconfs.is_empty());
    assert!(asconfs.iter().all(|e| e.1 == Some(c2())), "{asconfs:?}");
    drop(log);
    // The first network goes away for good: the transfer carries on.
    r.sim.set_path_up(c1(), server(), false);
    let cut = r.sim.now();
    let ok = r.run_until(cut + Duration::from_secs(60), |r| {
        r.delivered() >= before + 3000
    });
    assert!(
        ok,
        "transfer stalled after the delete: {:?} {:?}",
        r.sim.node(CLIENT).endpoint.stats(r.ids[CLIENT]),
        r.closed
    );
    let log = r.client_log.borrow();
    assert!(
        log.iter().filter(|e| e.0 >= cut).all(|e| e.1 == Some(c2())),
        "every packet after the delete leaves from the new address"
    );
    drop(log);
    // Drain and check: nothing lost, nothing duplicated, nobody closed.
    r.sending = false;
    let end = r.sim.now() + Duration::from_secs(60);
    r.run_until(end, |r| r.checker.pending_reliable() == 0);
    assert_eq!(r.closed, [None, None]);
    assert!(r.unexpected.is_empty(), "{:?}", r.unexpected);
    let s = r.checker.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(s.delivered > before + 3000);
}
