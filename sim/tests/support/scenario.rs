//! The scenario runner of the simulator matrix: one seeded scenario of the
//! real association over a link profile (see `tests/association.rs`), also
//! used by `tests/regressions.rs` to replay seeds that once failed.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Error, Event, Ppid, SendFailure,
    SendOptions, StreamId,
};
use anysctp_sim::checker::message_id;
use anysctp_sim::matrix::{self, NamedProfile, Scenario, ENV_PROFILE, ENV_SCENARIOS, ENV_SEED};
use anysctp_sim::{
    make_message, Checker, EndpointNode, Flow, Instant, LinkProfile, Reliability, Sim,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const PORT: u16 = 5000;
pub const COMMAND: &str = "cargo test --release -p anysctp-sim --test association";
/// Messages per scenario (both directions, all associations).
const MESSAGES: usize = 100;
const STREAMS: u16 = 6;
/// Virtual time a scenario may take, at most.
const LIMIT: Duration = Duration::from_secs(1800);

/// A bandwidth-limited path: 2 Mbit/s, 10 ms one way, a 20 kB drop-tail
/// queue (losses come from congestion, not at random).
fn narrow() -> LinkProfile {
    LinkProfile {
        delay: Duration::from_millis(10),
        bandwidth_bps: Some(2_000_000),
        queue_bytes: 20_000,
        ..LinkProfile::default()
    }
}

pub fn all_profiles() -> Vec<NamedProfile> {
    let mut v = matrix::profiles();
    v.push(NamedProfile {
        name: "narrow_2mbit",
        profile: narrow(),
    });
    v
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The scenario list, narrowed by the same knobs as
/// `matrix::scenarios_from_env` (over this file's profiles).
pub fn scenario_list(default_count: usize, base_seed: u64) -> Vec<Scenario> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    let all = all_profiles();
    let selected: Vec<NamedProfile> = match var(ENV_PROFILE) {
        None => all,
        Some(names) => names
            .split(',')
            .map(|n| {
                let n = n.trim();
                all.iter()
                    .find(|p| p.name == n)
                    .cloned()
                    .unwrap_or_else(|| panic!("{ENV_PROFILE}: unknown profile {n:?}"))
            })
            .collect(),
    };
    if let Some(seed) = var(ENV_SEED) {
        let seed: u64 = seed.parse().expect("ANYSCTP_SIM_SEED is a u64");
        return selected
            .into_iter()
            .map(|p| Scenario {
                profile_name: p.name,
                profile: p.profile,
                seed,
            })
            .collect();
    }
    let n = var(ENV_SCENARIOS)
        .map(|c| c.parse().expect("ANYSCTP_SIM_SCENARIOS is a count"))
        .unwrap_or(default_count);
    (0..n)
        .map(|i| {
            let p = &selected[i % selected.len()];
            Scenario {
                profile_name: p.name,
                profile: p.profile.clone(),
                seed: mix(base_seed ^ mix(i as u64)),
            }
        })
        .collect()
}

/// `ANYSCTP_SIM_VERBOSE=1` prints every event and application call.
fn verbose() -> bool {
    std::env::var_os("ANYSCTP_SIM_VERBOSE").is_some()
}

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 9899))
}

fn seed_bytes(seed: u64, node: u64) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&mix(seed ^ mix(node)).to_le_bytes());
    s[8..16].copy_from_slice(&node.to_le_bytes());
    s
}

/// The PPID a message carries, derived from its id (checked on receipt).
fn ppid_for(id: u64) -> u32 {
    (id as u32).wrapping_mul(0x9e37_79b9) ^ 0x5c
}

#[derive(Clone, Copy, Debug)]
enum Pr {
    Lifetime(Duration),
    Retransmits(u16),
}

#[derive(Clone, Copy, Debug)]
struct Planned {
    assoc: usize,
    from_client: bool,
    stream: u16,
    unordered: bool,
    pr: Option<Pr>,
    len: usize,
}

#[derive(Debug)]
struct Assoc {
    /// The client's node index; also the association's name in `Flow`.
    client: usize,
    client_id: AssociationId,
    server_id: Option<AssociationId>,
    connected: [bool; 2],
    /// How each side ended: [client, server].
    closed: [Option<CloseReason>; 2],
}

struct World {
    server: usize,
    assocs: Vec<Assoc>,
    checker: Checker,
    partial: HashSet<u64>,
    errors: Vec<String>,
    next_id: u64,
}

impl World {
    /// (association index, side: 0 client / 1 server) of `id` on `node`.
    fn find(&self, node: usize, id: AssociationId) -> Option<(usize, usize)> {
        self.assocs.iter().enumerate().find_map(|(i, a)| {
            if node == a.client && id == a.client_id {
                Some((i, 0))
            } else if node == self.server && a.server_id == Some(id) {
                Some((i, 1))
            } else {
                None
            }
        })
    }

    /// Takes every event of every node.
    fn pump(&mut self, sim: &mut Sim<EndpointNode>) {
        for node in 0..sim.node_count() {
            while let Some((id, ev)) = sim.node_mut(node).endpoint.poll_event() {
                self.on_event(sim, node, id, ev);
            }
        }
    }

    fn on_event(&mut self, sim: &Sim<EndpointNode>, node: usize, id: AssociationId, ev: Event) {
        let now = sim.now();
        if verbose() {
            match &ev {
                Event::Message { stream, data, unordered, .. } => println!(
                    "{now:?} node {node} {id}: message {:?} stream {stream} unordered={unordered} len={}",
                    message_id(data),
                    data.len()
                ),
                Event::SendFailed { reason, data, .. } => println!(
                    "{now:?} node {node} {id}: send failed {:?} {reason:?}",
                    message_id(data)
                ),
                ev => println!("{now:?} node {node} {id}: {ev:?}"),
            }
        }
        if node == self.server
            && matches!(ev, Event::Connected { .. })
            && self.find(node, id).is_none()
        {
            // A new association on the server: name it by its client.
            let peer = sim
                .node(node)
                .endpoint
                .peer_addresses(id)
                .unwrap_or_default();
            let client = peer.first().and_then(|p| sim.network().owner(*p));
            match self.assocs.iter_mut().find(|a| Some(a.client) == client) {
                Some(a) if a.server_id.is_none() => a.server_id = Some(id),
                _ => self.errors.push(format!(
                    "{now:?}: server accepted association {id} from {peer:?}, not expected"
                )),
            }
        }
        let Some((ai, side)) = self.find(node, id) else {
            self.errors.push(format!(
                "{now:?}: node {node}: event for unknown association {id}: {ev:?}"
            ));
            return;
        };
        let a = &mut self.assocs[ai];
        if a.closed[side].is_some() {
            self.errors.push(format!(
                "{now:?}: node {node} {id}: event after Closed: {ev:?}"
            ));
            return;
        }
        match ev {
            Event::Connected { .. } => {
                if a.connected[side] {
                    self.errors
                        .push(format!("{now:?}: node {node} {id}: Connected twice"));
                }
                a.connected[side] = true;
            }
            Event::Message {
                stream,
                ppid,
                unordered,
                data,
            } => {
                let sender = if side == 0 { self.server } else { a.client };
                let flow = Flow {
                    association: a.client as u64,
                    sender,
                };
                if let Ok(mid) = message_id(&data) {
                    if ppid != Ppid(ppid_for(mid)) {
                        self.errors
                            .push(format!("{now:?}: message {mid} arrived with PPID {ppid}"));
                    }
                }
                self.checker
                    .record_received(flow, stream.0, !unordered, &data);
            }
            Event::SendFailed { reason, data, .. } => {
                let mid = message_id(&data).unwrap_or(u64::MAX);
                if !(reason == SendFailure::Abandoned && self.partial.contains(&mid)) {
                    self.errors.push(format!(
                        "{now:?}: node {node} {id}: message {mid} failed: {reason:?} (partial: {})",
                        self.partial.contains(&mid)
                    ));
                }
            }
            Event::Closed(r) => a.closed[side] = Some(r),
            Event::Restarted | Event::RemoteError(_) => self
                .errors
                .push(format!("{now:?}: node {node} {id}: unexpected {ev:?}")),
            _ => {}
        }
    }

    /// Sends planned messages from `cursor`, at most `k`; returns the new
    /// cursor. Stops early at a side not connected yet or a full buffer.
    fn send(
        &mut self,
        sim: &mut Sim<EndpointNode>,
        plan: &[Planned],
        mut cursor: usize,
        k: usize,
    ) -> usize {
        let now = sim.now();
        let end = (cursor + k).min(plan.len());
        while cursor < end {
            let p = plan[cursor];
            let a = &self.assocs[p.assoc];
            let (node, id) = if p.from_client {
                (a.client, a.client_id)
            } else {
                match a.server_id {
                    Some(id) => (self.server, id),
                    None => break,
                }
            };
            if !a.connected[usize::from(!p.from_client)] {
                break;
            }
            let flow = Flow {
                association: a.client as u64,
                sender: node,
            };
            let mid = self.next_id;
            let data = make_message(mid, p.len);
            let opts = SendOptions {
                ppid: Ppid(ppid_for(mid)),
                unordered: p.unordered,
                lifetime: match p.pr {
                    Some(Pr::Lifetime(d)) => Some(d),
                    _ => None,
                },
                max_retransmits: match p.pr {
                    Some(Pr::Retransmits(n)) => Some(n),
                    _ => None,
                },
            };
            match sim
                .node_mut(node)
                .endpoint
                .send(now, id, StreamId(p.stream), data.clone(), opts)
            {
                Ok(()) => {
                    if verbose() {
                        println!("{now:?} node {node} {id}: send {mid} {p:?}");
                    }
                    let reliability = if p.pr.is_some() {
                        self.partial.insert(mid);
                        Reliability::Partial
                    } else {
                        Reliability::Reliable
                    };
                    self.checker
                        .record_sent(flow, p.stream, !p.unordered, reliability, &data);
                    self.next_id += 1;
                }
                Err(Error::WouldBlock { .. }) => break,
                Err(e) => {
                    self.errors
                        .push(format!("{now:?}: send of message {mid} refused: {e}"));
                }
            }
            cursor += 1;
        }
        cursor
    }

    fn all_closed(&self) -> bool {
        self.assocs
            .iter()
            .all(|a| a.closed[0].is_some() && a.closed[1].is_some())
    }

    /// Whether every association has nothing queued and nothing in flight
    /// on either side.
    fn quiet(&self, sim: &Sim<EndpointNode>) -> bool {
        self.assocs.iter().all(|a| {
            let sides = [(a.client, Some(a.client_id)), (self.server, a.server_id)];
            sides.iter().all(|&(n, id)| {
                id.and_then(|id| sim.node(n).endpoint.stats(id))
                    .is_some_and(|s| s.buffered_amount == 0 && s.bytes_in_flight == 0)
            })
        })
    }

    fn describe(&self, sim: &Sim<EndpointNode>) -> String {
        let mut out = String::new();
        for a in &self.assocs {
            let sides = [(a.client, Some(a.client_id)), (self.server, a.server_id)];
            for (n, id) in sides {
                let s = id.and_then(|id| sim.node(n).endpoint.stats(id));
                out += &format!(
                    "\n  node {n} {id:?}: {}",
                    match s {
                        Some(s) => format!(
                            "{} buffered={} in_flight={} peer_rwnd={} rtx={} timeouts={}",
                            s.state,
                            s.buffered_amount,
                            s.bytes_in_flight,
                            s.peer_rwnd,
                            s.retransmissions,
                            s.timeouts
                        ),
                        None => "gone".into(),
                    }
                );
            }
            out += &format!(" closed={:?}", a.closed);
        }
        out
    }
}

fn plan(rng: &mut ChaCha8Rng, assocs: usize, with_pr: bool, mtu: usize) -> Vec<Planned> {
    let mut big = 0;
    (0..MESSAGES)
        .map(|_| {
            let r = rng.next_u32() % 100;
            let len = if r < 3 && big < 3 {
                big += 1;
                3 * mtu + (rng.next_u32() as usize % (65536 - 3 * mtu + 1))
            } else if r < 65 {
                8 + rng.next_u32() as usize % 200
            } else {
                8 + rng.next_u32() as usize % (3 * mtu - 7)
            };
            let pr = if with_pr && rng.next_u32() % 10 < 3 {
                Some(if rng.next_u32() % 2 == 0 {
                    Pr::Lifetime(Duration::from_millis(10 + u64::from(rng.next_u32() % 300)))
                } else {
                    Pr::Retransmits((rng.next_u32() % 3) as u16)
                })
            } else {
                None
            };
            Planned {
                assoc: rng.next_u32() as usize % assocs,
                from_client: rng.next_u32() % 2 == 0,
                stream: (rng.next_u32() % u32::from(STREAMS)) as u16,
                unordered: rng.next_u32() % 3 == 0,
                pr,
                len,
            }
        })
        .collect()
}

pub fn run(sc: &Scenario) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0x5c7e);
    let clients = if rng.next_u32() % 4 == 0 { 3 } else { 1 };
    let with_pr = rng.next_u32() % 3 == 0;
    let i_data = rng.next_u32() % 2 == 0;
    let mut cfg = AssociationConfig {
        outbound_streams: STREAMS,
        i_data,
        ..AssociationConfig::default()
    };
    if sc.profile.loss >= 0.2 {
        // With 30% loss each way, one retransmission and its SACK both get
        // through only half of the time: the RFC's limits (8 INIT, 10 data
        // retransmissions in a row) would give up on the peer in roughly one
        // scenario in a few hundred, which is right but not what this test
        // is about (path failure is tested in association_paths.rs).
        cfg.max_init_retransmits = 30;
        cfg.max_association_retransmits = 30;
        cfg.max_path_retransmits = 30;
    }
    let mtu = cfg.mtu;
    let mut sim: Sim<EndpointNode> = Sim::new(sc.seed);
    sim.set_all_links(sc.profile.clone());
    let server_addr = addr(100);
    let ep = |accept: bool| EndpointConfig {
        port: PORT,
        accept_incoming: accept,
        association: cfg.clone(),
        ..EndpointConfig::default()
    };
    let server_node =
        EndpointNode::new(ep(true), seed_bytes(sc.seed, 0)).map_err(|e| e.to_string())?;
    let server = sim.add_node(server_node, [server_addr]);
    if verbose() {
        sim.node_mut(server).set_sniffer(|t, to, _, p| {
            println!(
                "{t:?} server -> {to}: {:?}",
                anysctp_sim::chunk_types(p).collect::<Vec<_>>()
            )
        });
    }
    let mut world = World {
        server,
        assocs: Vec::new(),
        checker: Checker::new(),
        partial: HashSet::new(),
        errors: Vec::new(),
        next_id: 0,
    };
    for c in 0..clients {
        let node =
            EndpointNode::new(ep(false), seed_bytes(sc.seed, c + 1)).map_err(|e| e.to_string())?;
        let n = sim.add_node(node, [addr(1 + c as u8)]);
        if verbose() {
            sim.node_mut(n).set_sniffer(move |t, _, _, p| {
                println!(
                    "{t:?} client {n}: {:?}",
                    anysctp_sim::chunk_types(p).collect::<Vec<_>>()
                )
            });
            sim.node_mut(n).set_inbound_filter(move |t, _, p| {
                println!(
                    "{t:?} client {n} got {:?}",
                    anysctp_sim::chunk_types(p).collect::<Vec<_>>()
                );
                false
            });
        }
        let now = sim.now();
        let id = sim
            .node_mut(n)
            .endpoint
            .connect(now, server_addr, PORT, cfg.clone())
            .map_err(|e| e.to_string())?;
        world.assocs.push(Assoc {
            client: n,
            client_id: id,
            server_id: None,
            connected: [false; 2],
            closed: [None, None],
        });
    }
    let plan = plan(&mut rng, clients as usize, with_pr, mtu);
    let limit = Instant::ZERO + LIMIT;
    let fail = |world: &World, sim: &Sim<EndpointNode>, what: String| -> String {
        let report = match world.checker.verify() {
            Ok(s) => format!("checker ok: {s:?}"),
            Err(r) => r.to_string(),
        };
        format!(
            "{what} at {:?} (clients={clients} i_data={i_data} pr={with_pr}); errors: {:?}; {report};{}",
            sim.now(),
            world.errors,
            world.describe(sim)
        )
    };

    // Traffic: batches of 1..=8 messages every 0..40 ms.
    let mut cursor = 0;
    while cursor < plan.len() {
        let pause = Duration::from_millis(u64::from(rng.next_u32() % 40));
        let deadline = sim.now() + pause;
        sim.run_until(deadline, |sim| {
            world.pump(sim);
            false
        })
        .map_err(|e| fail(&world, &sim, e.to_string()))?;
        world.pump(&mut sim);
        let k = 1 + rng.next_u32() as usize % 8;
        cursor = world.send(&mut sim, &plan, cursor, k);
        if sim.now() > limit || world.all_closed() {
            return Err(fail(&world, &sim, format!("only {cursor} messages sent")));
        }
    }

    // Either wait until everything is acknowledged (and check the queues
    // are empty), or shut down at once with data still queued (§9.2: it is
    // still delivered).
    let drain_first = rng.next_u32() % 3 != 0;
    if drain_first {
        sim.run_until(limit, |sim| {
            world.pump(sim);
            world.checker.pending_reliable() == 0 && world.quiet(sim)
        })
        .map_err(|e| fail(&world, &sim, e.to_string()))?;
        if !(world.checker.pending_reliable() == 0 && world.quiet(&sim)) {
            return Err(fail(&world, &sim, "queues did not drain".into()));
        }
    }
    let who = rng.next_u32() % 5; // 0-1 client, 2-3 server, 4 both
    let now = sim.now();
    if verbose() {
        println!("{now:?} shutdown by {who} (0-1 client, 2-3 server, 4 both); drained first: {drain_first}");
    }
    for a in &world.assocs {
        if who <= 1 || who == 4 {
            sim.node_mut(a.client)
                .endpoint
                .shutdown(now, a.client_id)
                .map_err(|e| format!("client shutdown: {e}"))?;
        }
        if who >= 2 {
            let id = a.server_id.ok_or("server side never connected")?;
            sim.node_mut(server)
                .endpoint
                .shutdown(now, id)
                .map_err(|e| format!("server shutdown: {e}"))?;
        }
    }
    sim.run_until(limit, |sim| {
        world.pump(sim);
        world.all_closed() && (0..sim.node_count()).all(|n| sim.node(n).endpoint.is_idle())
    })
    .map_err(|e| fail(&world, &sim, e.to_string()))?;
    world.pump(&mut sim);

    if !world.all_closed() {
        return Err(fail(&world, &sim, "associations did not close".into()));
    }
    for a in &world.assocs {
        // A known race (RFC 9260 §8.4 rule 8, behaving as specified): a
        // duplicated or reordered packet of side X arriving after side Y
        // completed the shutdown is out of the blue for Y, which answers
        // ABORT; if that overtakes Y's SHUTDOWN COMPLETE, X (in
        // SHUTDOWN-ACK-SENT, all its data acknowledged) reports the abort.
        let reorders = sc.profile.duplicate > 0.0
            || sc.profile.reorder > 0.0
            || sc.profile.jitter > Duration::ZERO;
        let race = |mine: &Option<CloseReason>, other: &Option<CloseReason>| {
            reorders
                && matches!(mine, Some(CloseReason::PeerAborted(_)))
                && *other == Some(CloseReason::Shutdown)
        };
        let ok = a.closed == [Some(CloseReason::Shutdown), Some(CloseReason::Shutdown)]
            || race(&a.closed[0], &a.closed[1])
            || race(&a.closed[1], &a.closed[0]);
        if !ok {
            return Err(fail(
                &world,
                &sim,
                format!("association {} ended {:?}", a.client, a.closed),
            ));
        }
    }
    for n in 0..sim.node_count() {
        let ep = &sim.node(n).endpoint;
        if !ep.associations().is_empty() || !ep.is_idle() {
            return Err(fail(
                &world,
                &sim,
                format!("node {n} not idle: {:?}", ep.associations()),
            ));
        }
    }
    if !world.errors.is_empty() {
        return Err(fail(&world, &sim, "errors".into()));
    }
    let summary = world
        .checker
        .verify()
        .map_err(|r| fail(&world, &sim, r.to_string()))?;
    if summary.sent != MESSAGES as u64 {
        return Err(fail(
            &world,
            &sim,
            format!("only {} messages accepted", summary.sent),
        ));
    }
    Ok(())
}
