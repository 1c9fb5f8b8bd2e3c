//! SCTP-AUTH (RFC 4895) end to end: both endpoints authenticate DATA and
//! SACK over lossy, duplicating, reordering links, and every message is
//! delivered exactly once, in order, with every DATA and SACK packet
//! carrying an AUTH chunk first among them.

use std::cell::Cell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;

use anysctp::wire::chunk_type;
use anysctp::{
    AssociationConfig, AuthConfig, EndpointConfig, Event, HmacAlgorithm, SendOptions, StreamId,
};
use anysctp_sim::{
    check_message, chunk_types, make_message, matrix, EndpointNode, Instant, RunOutcome, Sim,
};

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

const CLIENT: usize = 0;
const SERVER: usize = 1;
const MESSAGES: u64 = 200;

/// Sends `MESSAGES` messages each way under `profile`; returns the number of
/// packets with DATA or SACK that were not authenticated.
fn exchange(profile_name: &str, seed: u64, client_hmacs: Vec<HmacAlgorithm>) -> u64 {
    let profile = matrix::profile(profile_name).unwrap().profile;
    let auth = |hmacs: Vec<HmacAlgorithm>| AuthConfig {
        chunks: vec![chunk_type::DATA, chunk_type::SACK],
        hmac_algorithms: hmacs,
    };
    let cfg = |hmacs| AssociationConfig {
        auth: Some(auth(hmacs)),
        nodelay: true,
        ..AssociationConfig::default()
    };
    let mut sim = Sim::new(seed);
    sim.set_all_links(profile);
    let ep = |accept, hmacs| EndpointConfig {
        accept_incoming: accept,
        association: cfg(hmacs),
        ..EndpointConfig::default()
    };
    let mut s1 = [1u8; 32];
    s1[..8].copy_from_slice(&seed.to_le_bytes());
    sim.add_node(
        EndpointNode::new(ep(false, client_hmacs.clone()), s1).unwrap(),
        [addr(1)],
    );
    sim.add_node(
        EndpointNode::new(ep(true, AuthConfig::default().hmac_algorithms), [2; 32]).unwrap(),
        [addr(2)],
    );
    let bare = Rc::new(Cell::new(0u64));
    for n in [CLIENT, SERVER] {
        let bare = Rc::clone(&bare);
        sim.node_mut(n).set_sniffer(move |_, _, _, p| {
            let types: Vec<u8> = chunk_types(p).collect();
            let auth_at = types.iter().position(|&t| t == chunk_type::AUTH);
            let first_needing = types
                .iter()
                .position(|&t| t == chunk_type::DATA || t == chunk_type::SACK);
            if let Some(i) = first_needing {
                if !auth_at.is_some_and(|a| a < i) {
                    bare.set(bare.get() + 1);
                }
            }
        });
    }
    let now = sim.now();
    let cid = sim
        .node_mut(CLIENT)
        .endpoint
        .connect(now, addr(2), 5000, cfg(client_hmacs))
        .unwrap();
    let mut sid = None;
    let mut sent = 0u64;
    let mut received: HashMap<usize, Vec<u64>> = HashMap::new();
    let outcome = sim
        .run_until(Instant::from_millis(600_000), |sim| {
            for node in [CLIENT, SERVER] {
                while let Some((aid, ev)) = sim.node_mut(node).endpoint.poll_event() {
                    match ev {
                        Event::Connected { .. } if node == SERVER => sid = Some(aid),
                        Event::Message { data, .. } => {
                            received
                                .entry(node)
                                .or_default()
                                .push(check_message(&data).unwrap());
                        }
                        Event::Closed(r) => panic!("node {node} closed: {r:?}"),
                        _ => {}
                    }
                }
            }
            if let Some(sid) = sid {
                let now = sim.now();
                while sent < MESSAGES {
                    let m = make_message(sent, 100 + (sent as usize * 37) % 3000);
                    let a = sim.node_mut(CLIENT).endpoint.send(
                        now,
                        cid,
                        StreamId(0),
                        m.clone(),
                        SendOptions::default(),
                    );
                    let b = sim.node_mut(SERVER).endpoint.send(
                        now,
                        sid,
                        StreamId(0),
                        m,
                        SendOptions::default(),
                    );
                    a.unwrap();
                    b.unwrap();
                    sent += 1;
                }
            }
            [CLIENT, SERVER]
                .iter()
                .all(|n| received.get(n).map_or(0, Vec::len) as u64 == MESSAGES)
        })
        .unwrap();
    assert_eq!(outcome, RunOutcome::Stopped, "not everything arrived");
    for n in [CLIENT, SERVER] {
        let ids = &received[&n];
        assert_eq!(
            *ids,
            (0..MESSAGES).collect::<Vec<_>>(),
            "node {n}: in order, once"
        );
    }
    bare.get()
}

#[test]
fn authenticated_data_and_sacks_survive_loss_duplication_and_reordering() {
    for (profile, seed) in [("loss_10pct", 11), ("combined", 12), ("dup_1pct", 13)] {
        assert_eq!(
            exchange(
                profile,
                seed,
                vec![HmacAlgorithm::Sha256, HmacAlgorithm::Sha1]
            ),
            0,
            "{profile}: every DATA and SACK packet is authenticated"
        );
    }
}

#[test]
fn sha1_only_peer_is_served_with_sha1() {
    assert_eq!(exchange("loss_1pct", 21, vec![HmacAlgorithm::Sha1]), 0);
}
