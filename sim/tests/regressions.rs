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
    let mut client_events = Vec::new();
    let mut server_events = Vec::new();
    let closed = sim
        .run_until(Instant::from_millis(30_000), |sim| {
            while let Some((_, ev)) = sim.node_mut(CLIENT).endpoint.poll_event() {
                client_events.push(ev);
            }
            while let Some((_, ev)) = sim.node_mut(SERVER).endpoint.poll_event() {
                server_events.push(ev);
            }
            [&client_events, &server_events]
                .iter()
                .all(|evs| evs.iter().any(|e| matches!(e, Event::Closed(_))))
        })
        .unwrap();
    assert_eq!(
        closed,
        anysctp_sim::RunOutcome::Stopped,
        "both sides closed: {client_events:?} {server_events:?}"
    );
    let failed: Vec<_> = client_events
        .iter()
        .filter_map(|e| match e {
            Event::SendFailed { data, reason, .. } => Some((data.clone(), *reason)),
            _ => None,
        })
        .collect();
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
