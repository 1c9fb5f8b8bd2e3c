//! Focused regression tests for association bugs found by the scenario
//! matrix (`tests/association.rs`), each reduced to the packets that matter
//! and made deterministic with targeted drops.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use anysctp::wire::chunk_type;
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Event, Ppid, SendOptions,
    StreamId,
};
use anysctp_sim::{chunk_types, EndpointNode, Instant, LinkProfile, Sim};
use bytes::Bytes;

// This binary replays single scenarios; the matrix itself is
// `tests/association.rs`.
#[allow(dead_code)]
mod support;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// A client and a server 5 ms apart, connected; returns the simulation and
/// the association ids (client, server).
fn connected_pair(cfg: AssociationConfig) -> (Sim<EndpointNode>, AssociationId, AssociationId) {
    let mut sim = Sim::new(1);
    sim.set_all_links(LinkProfile {
        delay: Duration::from_millis(5),
        ..LinkProfile::default()
    });
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
    let mut sid = None;
    let mut up = false;
    sim.run_until(Instant::from_millis(1000), |sim| {
        while let Some((id, ev)) = sim.node_mut(SERVER).endpoint.poll_event() {
            if matches!(ev, Event::Connected { .. }) {
                sid = Some(id);
            }
        }
        while let Some((_, ev)) = sim.node_mut(CLIENT).endpoint.poll_event() {
            up |= matches!(ev, Event::Connected { .. });
        }
        up && sid.is_some()
    })
    .unwrap();
    assert!(up);
    (sim, cid, sid.unwrap())
}

fn has_chunk(packet: &[u8], t: u8) -> bool {
    chunk_types(packet).any(|c| c == t)
}

/// RFC 9260 §9.2: SHUTDOWN waits until all outstanding data is
/// acknowledged — cumulatively. A message acknowledged only by a gap block,
/// behind an abandoned (RFC 3758) message whose FORWARD TSN the peer has not
/// acknowledged yet, is not acknowledged: shutting down then lost it, and
/// reported it as failed although the peer may still deliver it.
#[test]
fn shutdown_waits_for_gap_acked_data_behind_an_abandoned_message() {
    abandoned_message_then_shutdown(true);
}

/// RFC 3758 §3.5 C5/A5: a FORWARD TSN sent with no DATA in flight must
/// still be covered by T3-rtx, so that a lost one is sent again. Without
/// it the cumulative ack never passed the abandoned message, and the
/// shutdown (which waits for it) hung.
#[test]
fn a_lost_forward_tsn_is_sent_again_by_t3_rtx() {
    abandoned_message_then_shutdown(false);
}

/// The client sends A (partially reliable, no retransmission) and B
/// (reliable) and shuts down; the server loses A and the first FORWARD
/// TSN. With `server_talks`, the server sends the client a message after
/// A was abandoned.
fn abandoned_message_then_shutdown(server_talks: bool) {
    let (mut sim, cid, sid) = connected_pair(AssociationConfig {
        nodelay: true,
        ..AssociationConfig::default()
    });
    // The server loses the first packet with DATA (message A) and the
    // first with FORWARD TSN.
    let (lost_data, lost_fwd) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let (d, f) = (Rc::clone(&lost_data), Rc::clone(&lost_fwd));
    sim.node_mut(SERVER)
        .set_inbound_filter(move |_, _, p: &[u8]| {
            if !d.get() && has_chunk(p, chunk_type::DATA) {
                d.set(true);
                return true;
            }
            if !f.get() && has_chunk(p, chunk_type::FORWARD_TSN) {
                f.set(true);
                return true;
            }
            false
        });
    for n in [CLIENT, SERVER] {
        sim.node_mut(n).set_sniffer(move |t, _, _, p| {
            if std::env::var_os("ANYSCTP_SIM_VERBOSE").is_some() {
                println!(
                    "{t:?} node {n} sends {:?}",
                    chunk_types(p).collect::<Vec<_>>()
                );
            }
        });
    }
    let now = sim.now();
    let pr = SendOptions {
        max_retransmits: Some(0),
        ..SendOptions::default()
    };
    let a = Bytes::from_static(b"A: partially reliable, lost");
    let b = Bytes::from_static(b"B: reliable, acknowledged by a gap block");
    sim.node_mut(CLIENT)
        .endpoint
        .send(now, cid, StreamId(1), a, pr)
        .unwrap();
    sim.run_for(Duration::from_millis(1), |_| false).unwrap();
    let now = sim.now();
    sim.node_mut(CLIENT)
        .endpoint
        .send(now, cid, StreamId(1), b.clone(), SendOptions::default())
        .unwrap();
    sim.node_mut(CLIENT).endpoint.shutdown(now, cid).unwrap();
    // After T3-rtx abandoned A (≈1 s) and its FORWARD TSN was lost, the
    // server sends the client something: the client must not take that
    // packet as the moment to send SHUTDOWN.
    sim.run_until(Instant::from_millis(1600), |_| false)
        .unwrap();
    assert!(
        lost_data.get() && lost_fwd.get(),
        "the scenario's drops happened"
    );
    let now = sim.now();
    if server_talks {
        sim.node_mut(SERVER)
            .endpoint
            .send(
                now,
                sid,
                StreamId(0),
                Bytes::from_static(b"hello"),
                SendOptions {
                    ppid: Ppid(7),
                    ..SendOptions::default()
                },
            )
            .unwrap();
    }
    let (client_events, server_events) = run_to_close(&mut sim, Instant::from_millis(30_000));
    let failed = send_failures(&client_events);
    assert_eq!(failed.len(), 1, "only A is given up: {client_events:?}");
    assert!(failed[0].0.starts_with(b"A:"));
    assert!(
        server_events
            .iter()
            .any(|e| matches!(e, Event::Message { data, .. } if *data == b)),
        "B is delivered: {server_events:?}"
    );
    assert!(client_events.contains(&Event::Closed(CloseReason::Shutdown)));
    assert!(server_events.contains(&Event::Closed(CloseReason::Shutdown)));
}

/// Runs until both sides reported `Closed` (or `until`), collecting events.
fn run_to_close(sim: &mut Sim<EndpointNode>, until: Instant) -> (Vec<Event>, Vec<Event>) {
    let mut client_events = Vec::new();
    let mut server_events = Vec::new();
    let closed = sim.run_until(until, |sim| {
        while let Some((_, ev)) = sim.node_mut(CLIENT).endpoint.poll_event() {
            client_events.push(ev);
        }
        while let Some((_, ev)) = sim.node_mut(SERVER).endpoint.poll_event() {
            server_events.push(ev);
        }
        [&client_events, &server_events]
            .iter()
            .all(|evs| evs.iter().any(|e| matches!(e, Event::Closed(_))))
    });
    assert_eq!(
        closed.unwrap(),
        anysctp_sim::RunOutcome::Stopped,
        "both sides closed: {client_events:?} {server_events:?}"
    );
    (client_events, server_events)
}

fn send_failures(events: &[Event]) -> Vec<(Bytes, anysctp::SendFailure)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SendFailed { data, reason, .. } => Some((data.clone(), *reason)),
            _ => None,
        })
        .collect()
}

/// RFC 9260 §9.2 with RFC 3758 §3.5 C2: the cumulative TSN ack of a
/// SHUTDOWN acknowledges like a SACK, so it can be what moves the
/// Advanced.Peer.Ack.Point past an abandoned message. The side in
/// SHUTDOWN-RECEIVED must then send a FORWARD TSN; it did not (only a SACK
/// asked for one), nothing acknowledged the abandoned chunk, and the
/// association was aborted by the shutdown guard timer 5 minutes later.
/// Reduced from the matrix: loss_10pct seed 6485680164002117161 and
/// loss_30pct seed 5181327799452467014 (see `matrix_seeds_*` below).
#[test]
fn a_shutdown_that_acks_up_to_an_abandoned_message_gets_a_forward_tsn() {
    let (mut sim, cid, sid) = connected_pair(AssociationConfig {
        nodelay: true,
        ..AssociationConfig::default()
    });
    // The server loses the client's first packet with DATA: A (reliable)
    // and B (no retransmission allowed).
    let lost = Rc::new(Cell::new(false));
    let l = Rc::clone(&lost);
    sim.node_mut(SERVER)
        .set_inbound_filter(move |_, _, p: &[u8]| {
            if !l.get() && has_chunk(p, chunk_type::DATA) {
                l.set(true);
                return true;
            }
            false
        });
    let now = sim.now();
    let a = Bytes::from_static(b"A: reliable, retransmitted");
    let b = Bytes::from_static(b"B: never retransmitted, abandoned");
    let ep = &mut sim.node_mut(CLIENT).endpoint;
    ep.send(now, cid, StreamId(1), a.clone(), SendOptions::default())
        .unwrap();
    let pr = SendOptions {
        max_retransmits: Some(0),
        ..SendOptions::default()
    };
    ep.send(now, cid, StreamId(1), b.clone(), pr).unwrap();
    // The server has nothing outstanding: its SHUTDOWN goes at once and
    // acknowledges nothing; the one answering the retransmitted A
    // acknowledges A, up to the abandoned B.
    sim.node_mut(SERVER).endpoint.shutdown(now, sid).unwrap();
    let (client_events, server_events) = run_to_close(&mut sim, Instant::from_millis(400_000));
    assert!(lost.get(), "the scenario's drop happened");
    assert_eq!(
        send_failures(&client_events),
        [(b, anysctp::SendFailure::Abandoned)]
    );
    assert!(
        server_events
            .iter()
            .any(|e| matches!(e, Event::Message { data, .. } if *data == a)),
        "A is delivered: {server_events:?}"
    );
    assert!(
        client_events.contains(&Event::Closed(CloseReason::Shutdown)),
        "{client_events:?}"
    );
    assert!(
        server_events.contains(&Event::Closed(CloseReason::Shutdown)),
        "{server_events:?}"
    );
    // Within a few retransmission timeouts, not the 5-minute guard timer.
    assert!(sim.now() < Instant::from_millis(10_000), "{:?}", sim.now());
}

/// A message whose lifetime ran out while it was queued is dropped when the
/// packet builder reaches it (RFC 7496 §3.1), but reported only at the next
/// SACK or timeout. A graceful close before that reported it as
/// `AssociationClosed` — as if the shutdown had lost it — instead of
/// `Abandoned`. Reduced from the matrix: combined seed 17690670843692083565.
#[test]
fn a_message_expired_in_the_queue_is_reported_abandoned_even_at_close() {
    let (mut sim, cid, _) = connected_pair(AssociationConfig {
        nodelay: false,
        ..AssociationConfig::default()
    });
    let now = sim.now();
    let a = Bytes::from_static(b"A: reliable");
    let b = Bytes::from_static(b"B: held by Nagle behind A, expires queued");
    sim.node_mut(CLIENT)
        .endpoint
        .send(now, cid, StreamId(1), a, SendOptions::default())
        .unwrap();
    sim.run_for(Duration::from_millis(1), |_| false).unwrap();
    let now = sim.now();
    let short = SendOptions {
        lifetime: Some(Duration::from_millis(2)),
        ..SendOptions::default()
    };
    sim.node_mut(CLIENT)
        .endpoint
        .send(now, cid, StreamId(1), b.clone(), short)
        .unwrap();
    // A's (delayed) SACK ends the Nagle hold; B has expired by then and is
    // dropped instead of sent. The client then closes gracefully.
    sim.run_until(Instant::from_millis(1500), |sim| {
        sim.node(CLIENT).endpoint.buffered_amount(cid) == Some(0)
    })
    .unwrap();
    let now = sim.now();
    sim.node_mut(CLIENT).endpoint.shutdown(now, cid).unwrap();
    let (client_events, _) = run_to_close(&mut sim, Instant::from_millis(30_000));
    assert_eq!(
        send_failures(&client_events),
        [(b, anysctp::SendFailure::Abandoned)]
    );
    assert!(
        client_events.contains(&Event::Closed(CloseReason::Shutdown)),
        "{client_events:?}"
    );
}

/// Replays one scenario of the matrix (`tests/association.rs`) by profile
/// name and seed.
fn replay(profile: &str, seed: u64) {
    let p = support::scenario::all_profiles()
        .into_iter()
        .find(|p| p.name == profile)
        .unwrap_or_else(|| panic!("no profile {profile}"));
    let sc = anysctp_sim::matrix::Scenario {
        profile_name: p.name,
        profile: p.profile,
        seed,
    };
    if let Err(e) = support::scenario::run(&sc) {
        panic!("{profile} seed {seed}: {e}");
    }
}

// The three partial-reliability seeds that failed when messages that fit
// an empty packet stopped being split across two: the packet layout
// changed, and exposed the two bugs reduced in the tests above.

/// The client's shutdown stalled behind an abandoned message (T5 abort).
#[test]
fn matrix_seed_loss_10pct_6485680164002117161() {
    replay("loss_10pct", 6_485_680_164_002_117_161);
}

/// A message that expired in the queue was reported `AssociationClosed`.
#[test]
fn matrix_seed_combined_17690670843692083565() {
    replay("combined", 17_690_670_843_692_083_565);
}

/// As loss_10pct 6485680164002117161, at 30% loss.
#[test]
fn matrix_seed_loss_30pct_5181327799452467014() {
    replay("loss_30pct", 5_181_327_799_452_467_014);
}

/// Nagle (RFC 9260 §6.1, on by default) bundles *small* messages while data
/// is in flight; it must never hold the tail of a message whose first
/// fragments are out. It did: a request of 2 or 3 packets waited for the
/// SACK of its first fragments (a delayed SACK: 200 ms) before its last
/// fragment left. Request/response with `nodelay = false` over a 10 ms
/// round trip: each exchange takes about a round trip.
#[test]
fn nagle_does_not_hold_the_tail_of_a_fragmented_message() {
    for len in [2000usize, 3000] {
        let (mut sim, cid, sid) = connected_pair(AssociationConfig {
            nodelay: false,
            ..AssociationConfig::default()
        });
        let rounds = 20;
        let start = sim.now();
        for i in 0..rounds {
            let now = sim.now();
            let request = Bytes::from(vec![i as u8; len]);
            sim.node_mut(CLIENT)
                .endpoint
                .send(now, cid, StreamId(0), request, SendOptions::default())
                .unwrap();
            for (from, to, to_id) in [(CLIENT, SERVER, sid), (SERVER, CLIENT, cid)] {
                let mut got = None;
                sim.run_until(Instant::from_millis(600_000), |sim| {
                    while let Some((_, ev)) = sim.node_mut(to).endpoint.poll_event() {
                        if let Event::Message { data, .. } = ev {
                            got = Some(data);
                        }
                    }
                    got.is_some()
                })
                .unwrap();
                let data = got.unwrap_or_else(|| panic!("{len}: message {i} from {from} lost"));
                assert_eq!(data.len(), len);
                if to == SERVER {
                    // The response, as large as the request.
                    let now = sim.now();
                    sim.node_mut(SERVER)
                        .endpoint
                        .send(now, to_id, StreamId(0), data, SendOptions::default())
                        .unwrap();
                }
            }
        }
        let per_exchange = (sim.now() - start) / rounds;
        eprintln!("{len} bytes: {per_exchange:?} per request/response");
        // One round trip is 10 ms; a held tail costs at least another one
        // (the SACK that releases it), or the 200 ms delayed SACK.
        assert!(
            per_exchange < Duration::from_millis(15),
            "{len} bytes: {per_exchange:?} per request/response"
        );
    }
}
