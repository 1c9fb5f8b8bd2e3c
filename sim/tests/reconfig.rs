//! Stream re-configuration (RFC 6525) over a lossy, reordering network:
//! streams reset in the middle of traffic lose nothing, deliver in order
//! and restart their numbering at 0; added streams can be used; an SSN/TSN
//! reset in the middle of traffic both ways loses and duplicates nothing,
//! and each side's TSNs restart where the other was told (§5.2.4).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use anysctp::wire::{Chunk, Packet};
use anysctp::{
    AssociationConfig, AssociationId, EndpointConfig, Event, ReconfigResult, SendOptions,
    StreamDirection, StreamId,
};
use anysctp_sim::{EndpointNode, Instant, LinkProfile, Sim};
use bytes::Bytes;

const CLIENT: usize = 0;
const SERVER: usize = 1;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

/// The fragments the client sent, by TSN.
type Fragments = Rc<RefCell<HashMap<u32, Fragment>>>;

/// One fragment as first sent.
#[derive(Clone, Debug, PartialEq)]
struct Fragment {
    stream: u16,
    begin: bool,
    end: bool,
    /// SSN, or MID with I-DATA.
    seq: u32,
    /// FSN with I-DATA.
    fsn: u32,
    /// The start of its payload.
    prefix: Vec<u8>,
}

/// The fragment after the one at `tsn`: the next TSN with DATA; with
/// I-DATA (interleaved) the nearest later TSN with the next FSN of the
/// same message.
fn successor(frags: &HashMap<u32, Fragment>, tsn: u32, i_data: bool) -> Option<u32> {
    let f = frags.get(&tsn)?;
    if !i_data {
        return Some(tsn.wrapping_add(1)).filter(|t| frags.contains_key(t));
    }
    frags
        .iter()
        .filter(|(_, n)| n.stream == f.stream && n.seq == f.seq && n.fsn == f.fsn.wrapping_add(1))
        .map(|(t, _)| t.wrapping_sub(tsn))
        .filter(|d| *d < 1 << 31)
        .min()
        .map(|d| tsn.wrapping_add(d))
}

/// The sequence number (SSN, or MID with I-DATA) each message went out
/// with, and the TSN of its first fragment, by its label, from the
/// fragments seen on the wire.
fn numbering(frags: &Fragments, i_data: bool) -> HashMap<String, (u32, u32)> {
    let frags = frags.borrow();
    let mut out = HashMap::new();
    for (tsn, f) in frags.iter().filter(|(_, f)| f.begin) {
        let mut bytes = f.prefix.clone();
        let (mut at, mut end) = (*tsn, f.end);
        while !end && !bytes.contains(&b'|') {
            let Some(n) = successor(&frags, at, i_data) else {
                break;
            };
            let Some(next) = frags.get(&n) else { break };
            bytes.extend_from_slice(&next.prefix);
            (at, end) = (n, next.end);
        }
        out.insert(label_of(&bytes), (f.seq, *tsn));
    }
    out
}

/// A connected client/server pair over `link`, and a sniffer recording
/// the client's message numbering.
fn connected(
    seed: u64,
    link: LinkProfile,
    cfg: &AssociationConfig,
) -> (Sim<EndpointNode>, AssociationId, AssociationId, Fragments) {
    let mut sim = Sim::new(seed);
    sim.set_all_links(link);
    let ep = |accept| EndpointConfig {
        accept_incoming: accept,
        association: cfg.clone(),
        ..EndpointConfig::default()
    };
    let s = seed.to_le_bytes()[0];
    sim.add_node(EndpointNode::new(ep(false), [s; 32]).unwrap(), [addr(1)]);
    sim.add_node(
        EndpointNode::new(ep(true), [s ^ 0x55; 32]).unwrap(),
        [addr(2)],
    );
    let fragments = record_fragments(sim.node_mut(CLIENT));
    let now = sim.now();
    let client = &mut sim.node_mut(CLIENT).endpoint;
    client.connect(now, addr(2), 5000, cfg.clone()).unwrap();
    // The association ids, from each side's Connected event.
    let mut ids = [None, None];
    sim.run_until(Instant::from_millis(30_000), |sim| {
        for (node, id) in ids.iter_mut().enumerate() {
            while let Some((a, ev)) = sim.node_mut(node).endpoint.poll_event() {
                *id = Some(a);
                assert!(matches!(ev, Event::Connected { .. }), "{ev:?}");
            }
        }
        ids.iter().all(Option::is_some)
    })
    .unwrap();
    let [Some(cid), Some(sid)] = ids else {
        panic!("seed {seed}: not connected")
    };
    (sim, cid, sid, fragments)
}

/// Records the DATA / I-DATA fragments `node` sends, checking that a
/// retransmission is numbered as the first transmission.
fn record_fragments(node: &mut EndpointNode) -> Fragments {
    let fragments: Fragments = Rc::default();
    let seen = Rc::clone(&fragments);
    node.set_sniffer(move |_, _, _, p| {
        for c in Packet::new_unchecked(p).into_chunks().map_while(Result::ok) {
            let (tsn, f) = match Chunk::parse(&c) {
                Ok(Chunk::Data(d)) => (
                    d.tsn.0,
                    (
                        d.stream,
                        d.beginning,
                        d.ending,
                        u32::from(d.ssn.0),
                        0,
                        d.payload,
                    ),
                ),
                Ok(Chunk::IData(d)) => (
                    d.tsn.0,
                    (d.stream, d.beginning, d.ending, d.mid.0, d.fsn.0, d.payload),
                ),
                _ => continue,
            };
            let f = Fragment {
                stream: f.0 .0,
                begin: f.1,
                end: f.2,
                seq: f.3,
                fsn: f.4,
                prefix: f.5.iter().take(16).copied().collect(),
            };
            // A retransmission is the same fragment, numbered the same.
            let first = seen
                .borrow_mut()
                .entry(tsn)
                .or_insert_with(|| f.clone())
                .clone();
            assert_eq!(first, f, "renumbered on retransmission");
        }
    });
    fragments
}

/// Messages are "label|padding"; the label names stream and index.
fn label_of(payload: &[u8]) -> String {
    let end = payload.iter().position(|b| *b == b'|').unwrap_or(0);
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

fn message(label: &str, len: usize) -> Bytes {
    let mut v = format!("{label}|").into_bytes();
    v.resize(len.max(v.len()), b'.');
    Bytes::from(v)
}

/// What each side saw.
#[derive(Default)]
struct Seen {
    /// Labels received per stream, in delivery order.
    received: HashMap<u16, Vec<String>>,
    server_resets: Vec<Event>,
    client_events: Vec<Event>,
}

fn collect(sim: &mut Sim<EndpointNode>, seen: &mut Seen) {
    while let Some((_, ev)) = sim.node_mut(SERVER).endpoint.poll_event() {
        match ev {
            Event::Message { stream, data, .. } => seen
                .received
                .entry(stream.0)
                .or_default()
                .push(label_of(&data)),
            e @ Event::StreamsReset { .. } => seen.server_resets.push(e),
            _ => {}
        }
    }
    while let Some((_, ev)) = sim.node_mut(CLIENT).endpoint.poll_event() {
        if matches!(ev, Event::StreamsReset { .. } | Event::StreamsAdded { .. }) {
            seen.client_events.push(ev);
        }
    }
}

/// Sends `count` messages on each of streams 0..4, labelled from `from`;
/// some are large enough to be fragmented.
fn send_round(sim: &mut Sim<EndpointNode>, cid: AssociationId, from: usize, count: usize) {
    send_round_from(sim, CLIENT, cid, from, count);
}

/// [`send_round`] from `node`.
fn send_round_from(
    sim: &mut Sim<EndpointNode>,
    node: usize,
    cid: AssociationId,
    from: usize,
    count: usize,
) {
    let now = sim.now();
    for i in from..from + count {
        for s in 0..4u16 {
            let len = if i % 5 == 3 { 3000 } else { 40 };
            sim.node_mut(node)
                .endpoint
                .send(
                    now,
                    cid,
                    StreamId(s),
                    message(&format!("s{s}m{i}"), len),
                    SendOptions::default(),
                )
                .unwrap();
        }
    }
}

/// 10 ms each way, 10 % loss, 5 % reordered.
fn lossy_link() -> LinkProfile {
    LinkProfile {
        delay: Duration::from_millis(10),
        loss: 0.1,
        reorder: 0.05,
        reorder_delay: Duration::from_millis(15),
        ..LinkProfile::default()
    }
}

fn reset_in_the_middle_of_traffic(i_data: bool, seed: u64) {
    let cfg = AssociationConfig {
        i_data,
        nodelay: true,
        ..AssociationConfig::default()
    };
    let link = lossy_link();
    let (mut sim, cid, _sid, fragments) = connected(seed, link, &cfg);
    let mut seen = Seen::default();
    // Messages 0..10 before the reset, 10..20 queued while it is pending.
    send_round(&mut sim, cid, 0, 10);
    let now = sim.now();
    sim.node_mut(CLIENT)
        .endpoint
        .reset_streams(now, cid, &[StreamId(1), StreamId(2)])
        .unwrap();
    send_round(&mut sim, cid, 10, 10);
    sim.run_for(Duration::from_secs(120), |sim| {
        collect(sim, &mut seen);
        seen.received.values().map(Vec::len).sum::<usize>() == 80 && !seen.client_events.is_empty()
    })
    .unwrap();
    // A second reset of stream 1, after the first completed, then more.
    let now = sim.now();
    sim.node_mut(CLIENT)
        .endpoint
        .reset_streams(now, cid, &[StreamId(1)])
        .unwrap();
    send_round(&mut sim, cid, 20, 5);
    sim.run_for(Duration::from_secs(120), |sim| {
        collect(sim, &mut seen);
        seen.received.values().map(Vec::len).sum::<usize>() == 100 && seen.client_events.len() == 2
    })
    .unwrap();

    let ctx = format!("seed {seed}, i_data {i_data}");
    let numbering = numbering(&fragments, i_data);
    for s in 0..4u16 {
        // Every message exactly once, in the order sent.
        let expected: Vec<String> = (0..25).map(|i| format!("s{s}m{i}")).collect();
        assert_eq!(seen.received.get(&s), Some(&expected), "stream {s}, {ctx}");
        // Numbering: from 0, restarting at each reset of the stream.
        let restarts: &[usize] = match s {
            1 => &[10, 20],
            2 => &[10],
            _ => &[],
        };
        for i in 0..25usize {
            let start = restarts
                .iter()
                .copied()
                .filter(|r| *r <= i)
                .max()
                .unwrap_or(0);
            let want = (i - start) as u32;
            let got = numbering.get(&format!("s{s}m{i}")).map(|n| n.0);
            assert_eq!(got, Some(want), "s{s}m{i}: SSN/MID, {ctx}");
        }
    }
    let ok = |direction, streams: &[u16]| Event::StreamsReset {
        direction,
        streams: streams.iter().map(|s| StreamId(*s)).collect(),
        result: ReconfigResult::Success,
    };
    assert_eq!(
        seen.client_events,
        vec![
            ok(StreamDirection::Outgoing, &[1, 2]),
            ok(StreamDirection::Outgoing, &[1])
        ],
        "{ctx}"
    );
    assert_eq!(
        seen.server_resets,
        vec![
            ok(StreamDirection::Incoming, &[1, 2]),
            ok(StreamDirection::Incoming, &[1])
        ],
        "{ctx}"
    );
}

#[test]
fn reset_streams_mid_traffic_with_data() {
    for seed in 1..=6 {
        reset_in_the_middle_of_traffic(false, seed);
    }
}

#[test]
fn reset_streams_mid_traffic_with_i_data() {
    for seed in 1..=6 {
        reset_in_the_middle_of_traffic(true, seed);
    }
}

#[test]
fn added_streams_carry_messages() {
    let cfg = AssociationConfig {
        outbound_streams: 2,
        nodelay: true,
        ..AssociationConfig::default()
    };
    for seed in 1..=4 {
        let link = LinkProfile {
            delay: Duration::from_millis(10),
            loss: 0.2,
            ..LinkProfile::default()
        };
        let (mut sim, cid, _sid, _) = connected(seed, link, &cfg);
        let mut seen = Seen::default();
        let now = sim.now();
        sim.node_mut(CLIENT)
            .endpoint
            .add_streams(now, cid, 3)
            .unwrap();
        sim.run_for(Duration::from_secs(120), |sim| {
            collect(sim, &mut seen);
            !seen.client_events.is_empty()
        })
        .unwrap();
        assert_eq!(
            seen.client_events,
            vec![Event::StreamsAdded {
                inbound_streams: 2,
                outbound_streams: 5,
                result: ReconfigResult::Success
            }],
            "seed {seed}"
        );
        let now = sim.now();
        for i in 0..5 {
            sim.node_mut(CLIENT)
                .endpoint
                .send(
                    now,
                    cid,
                    StreamId(4),
                    message(&format!("s4m{i}"), 100),
                    SendOptions::default(),
                )
                .unwrap();
        }
        sim.run_for(Duration::from_secs(120), |sim| {
            collect(sim, &mut seen);
            seen.received.get(&4).is_some_and(|v| v.len() == 5)
        })
        .unwrap();
        let expected: Vec<String> = (0..5).map(|i| format!("s4m{i}")).collect();
        assert_eq!(seen.received.get(&4), Some(&expected), "seed {seed}");
    }
}

/// Messages received and SSN/TSN reset events, per node.
#[derive(Default)]
struct BothWays {
    received: [HashMap<u16, Vec<String>>; 2],
    resets: [Vec<Event>; 2],
}

fn collect_both(sim: &mut Sim<EndpointNode>, seen: &mut BothWays) {
    for node in [CLIENT, SERVER] {
        while let Some((_, ev)) = sim.node_mut(node).endpoint.poll_event() {
            match ev {
                Event::Message { stream, data, .. } => seen.received[node]
                    .entry(stream.0)
                    .or_default()
                    .push(label_of(&data)),
                e @ Event::AssociationReset { .. } => seen.resets[node].push(e),
                _ => {}
            }
        }
    }
}

/// Checks what `frags` (one side's DATA) says about an SSN/TSN reset whose
/// first new TSN is `first_new`: per stream, the messages of before the
/// reset went out with TSNs before `first_new` and SSNs from 0, the later
/// ones from `first_new` on and SSNs from 0 again; messages labelled from
/// `after` on were all sent after the reset; and `first_new` itself was
/// used (the TSNs restart exactly there, RFC 6525 §5.2.4, §5.2.7 H5).
fn check_epochs(frags: &Fragments, first_new: u32, total: usize, after: usize, ctx: &str) {
    let numbering = numbering(frags, false);
    let new_epoch = |tsn: u32| tsn.wrapping_sub(first_new) < 1 << 30;
    for s in 0..4u16 {
        let mut before = 0u32;
        for i in 0..total {
            let label = format!("s{s}m{i}");
            let Some(&(seq, tsn)) = numbering.get(&label) else {
                panic!("{label} never sent, {ctx}");
            };
            if new_epoch(tsn) {
                assert_eq!(seq, i as u32 - before, "{label} SSN after the reset, {ctx}");
            } else {
                assert!(i < after, "{label} sent before the reset, {ctx}");
                assert_eq!(seq, i as u32, "{label} SSN, {ctx}");
                assert_eq!(before, i as u32, "{label} old numbering after new, {ctx}");
                before += 1;
            }
        }
    }
    // The new TSNs start exactly at `first_new` (when anything was sent
    // after the reset; always when messages were queued after it).
    let any_new = frags.borrow().keys().any(|t| new_epoch(*t));
    assert!(
        any_new || after == total,
        "nothing sent after the reset, {ctx}"
    );
    assert!(
        !any_new || frags.borrow().contains_key(&first_new),
        "no DATA at the new TSN {first_new}, {ctx}"
    );
}

fn association_reset_mid_traffic(seed: u64) {
    let cfg = AssociationConfig {
        nodelay: true,
        reconfig_policy: anysctp::ReconfigPolicy {
            accept_ssn_tsn_reset: true,
            ..anysctp::ReconfigPolicy::default()
        },
        ..AssociationConfig::default()
    };
    let link = LinkProfile {
        duplicate: 0.02,
        ..lossy_link()
    };
    let (mut sim, cid, sid, client_frags) = connected(seed, link, &cfg);
    let server_frags = record_fragments(sim.node_mut(SERVER));
    let mut seen = BothWays::default();
    // Traffic both ways, the reset asked in the middle of it, more traffic
    // queued while it is pending.
    send_round_from(&mut sim, CLIENT, cid, 0, 10);
    send_round_from(&mut sim, SERVER, sid, 0, 10);
    sim.run_for(Duration::from_millis(15), |_| false).ok();
    let now = sim.now();
    sim.node_mut(CLIENT)
        .endpoint
        .reset_association(now, cid)
        .unwrap();
    send_round_from(&mut sim, CLIENT, cid, 10, 10);
    send_round_from(&mut sim, SERVER, sid, 10, 10);
    let total = |m: &HashMap<u16, Vec<String>>| m.values().map(Vec::len).sum::<usize>();
    sim.run_for(Duration::from_secs(300), |sim| {
        collect_both(sim, &mut seen);
        total(&seen.received[CLIENT]) == 80
            && total(&seen.received[SERVER]) == 80
            && seen.resets.iter().all(|r| !r.is_empty())
    })
    .unwrap_or_else(|_| panic!("seed {seed}: not everything delivered"));
    // A little longer: nothing more arrives (no duplicate delivery).
    sim.run_for(Duration::from_secs(5), |sim| {
        collect_both(sim, &mut seen);
        false
    })
    .ok();
    let ctx = format!("seed {seed}");
    for node in [CLIENT, SERVER] {
        for s in 0..4u16 {
            // Every message exactly once, in the order sent.
            let expected: Vec<String> = (0..20).map(|i| format!("s{s}m{i}")).collect();
            assert_eq!(
                seen.received[node].get(&s),
                Some(&expected),
                "node {node} stream {s}, {ctx}"
            );
        }
    }
    let [client, server] = &seen.resets;
    let (
        [Event::AssociationReset {
            local_tsn: c_local,
            remote_tsn: c_remote,
            result: ReconfigResult::Success,
        }],
        [Event::AssociationReset {
            local_tsn: s_local,
            remote_tsn: s_remote,
            result: ReconfigResult::Success,
        }],
    ) = (&client[..], &server[..])
    else {
        panic!("one successful reset each side: {client:?} {server:?}, {ctx}");
    };
    assert_eq!((c_local, c_remote), (s_remote, s_local), "{ctx}");
    check_epochs(&client_frags, c_local.0, 20, 10, &format!("client, {ctx}"));
    // The server queued its second round before it saw the request: any
    // of it may go before the reset.
    check_epochs(&server_frags, s_local.0, 20, 20, &format!("server, {ctx}"));
}

#[test]
fn association_reset_mid_traffic_under_loss() {
    for seed in 1..=6 {
        association_reset_mid_traffic(seed);
    }
}
