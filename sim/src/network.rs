//! The simulated network: addresses, one-way links with loss, duplication,
//! reordering, delay, jitter, a bandwidth bottleneck with a drop-tail queue,
//! and path failure; an event queue in virtual time.
//!
//! All randomness comes from one seeded [`ChaCha8Rng`], and ties in the event
//! queue are broken by a sequence number, so a run replays exactly.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use anysctp::Instant;
use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// How one direction of a link behaves.
///
/// A packet sent on a link goes through, in order: the up/down check, random
/// loss, the bottleneck (serialization at `bandwidth_bps` behind a drop-tail
/// queue of `queue_bytes`), random duplication, then for each copy the
/// propagation `delay`, a uniform random extra delay in `[0, jitter]`, and
/// with probability `reorder` an extra `reorder_delay`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkProfile {
    /// Probability that a packet is lost.
    pub loss: f64,
    /// Probability that a packet is delivered twice.
    pub duplicate: f64,
    /// Probability that a packet is delayed by an extra `reorder_delay`, so
    /// that packets sent after it overtake it.
    pub reorder: f64,
    /// The extra delay of a reordered packet.
    pub reorder_delay: Duration,
    /// One-way propagation delay.
    pub delay: Duration,
    /// Upper bound of a uniform random extra delay per packet. Non-zero
    /// jitter can itself reorder packets.
    pub jitter: Duration,
    /// Bottleneck bandwidth in bits per second; `None` = infinite.
    pub bandwidth_bps: Option<u64>,
    /// Capacity of the drop-tail queue in front of the bottleneck, in bytes
    /// (including the packet being serialized). Only used with a bandwidth.
    pub queue_bytes: usize,
    /// Whether the link carries packets at all.
    pub up: bool,
}

impl Default for LinkProfile {
    /// A perfect link: no loss, no delay, infinite bandwidth, up.
    fn default() -> Self {
        LinkProfile {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(10),
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth_bps: None,
            queue_bytes: usize::MAX,
            up: true,
        }
    }
}

/// Counters of one link (one direction between two addresses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets handed to the link.
    pub sent: u64,
    /// Bytes handed to the link.
    pub bytes_sent: u64,
    /// Packets (copies included) handed to the receiving node.
    pub delivered: u64,
    /// Bytes (copies included) handed to the receiving node.
    pub bytes_delivered: u64,
    /// Packets dropped by random loss.
    pub dropped_loss: u64,
    /// Packets dropped because the bottleneck queue was full.
    pub dropped_queue: u64,
    /// Packets (or copies) dropped because the link was down when they were
    /// sent or went down while they were in flight.
    pub dropped_down: u64,
    /// Packets that were duplicated (each adds one extra copy).
    pub duplicated: u64,
    /// Copies that were delayed by `reorder_delay`.
    pub reordered: u64,
}

impl LinkStats {
    fn add(&mut self, o: &LinkStats) {
        self.sent += o.sent;
        self.bytes_sent += o.bytes_sent;
        self.delivered += o.delivered;
        self.bytes_delivered += o.bytes_delivered;
        self.dropped_loss += o.dropped_loss;
        self.dropped_queue += o.dropped_queue;
        self.dropped_down += o.dropped_down;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
    }
}

/// Something to do to the network at a scheduled time (see
/// [`Network::schedule`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Bring the link `from → to` up or down.
    SetLinkUp {
        /// Source address of the link.
        from: SocketAddr,
        /// Destination address of the link.
        to: SocketAddr,
        /// The new state.
        up: bool,
    },
    /// Bring both directions between `a` and `b` up or down.
    SetPathUp {
        /// One end.
        a: SocketAddr,
        /// The other end.
        b: SocketAddr,
        /// The new state.
        up: bool,
    },
    /// Replace the profile of the link `from → to`.
    SetLinkProfile {
        /// Source address of the link.
        from: SocketAddr,
        /// Destination address of the link.
        to: SocketAddr,
        /// The new profile.
        profile: LinkProfile,
    },
}

/// A datagram arriving at a node.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Index of the receiving node.
    pub node: usize,
    /// Source address.
    pub from: SocketAddr,
    /// Destination address (one of the receiving node's).
    pub to: SocketAddr,
    /// The datagram.
    pub data: Bytes,
}

/// What [`Network::pop`] found at the head of the event queue.
#[derive(Debug)]
pub enum Popped {
    /// A datagram to hand to a node.
    Deliver(Delivery),
    /// A scheduled action was applied.
    Action,
    /// A datagram in flight was dropped (its link went down meanwhile).
    Dropped,
}

#[derive(Debug)]
enum NetEvent {
    Deliver { delivery: Delivery, epoch: u64 },
    Action(Action),
}

#[derive(Debug)]
struct Queued {
    at: Instant,
    seq: u64,
    event: NetEvent,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed, so that the max-heap pops the earliest (then first queued).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Debug)]
struct Link {
    profile: LinkProfile,
    stats: LinkStats,
    /// When the bottleneck finishes serializing the last accepted packet,
    /// in nanoseconds of virtual time.
    busy_until_ns: u64,
    /// Packets at the bottleneck: (departure in ns, size).
    queue: VecDeque<(u64, usize)>,
    queued_bytes: usize,
    /// Incremented whenever the link goes down, so packets in flight across
    /// a failure are dropped even if the link is back up when they arrive.
    epoch: u64,
}

impl Link {
    fn new(profile: LinkProfile) -> Self {
        Link {
            profile,
            stats: LinkStats::default(),
            busy_until_ns: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            epoch: 0,
        }
    }

    fn set_up(&mut self, up: bool) {
        if self.profile.up && !up {
            self.epoch += 1;
        }
        self.profile.up = up;
    }

    fn set_profile(&mut self, profile: LinkProfile) {
        // Go through `set_up` so that an up→down change drops packets in
        // flight.
        let (up, was_up) = (profile.up, self.profile.up);
        self.profile = profile;
        self.profile.up = was_up;
        self.set_up(up);
    }
}

/// The network: which node owns which address, the links between addresses,
/// and the packets in flight.
#[derive(Debug)]
pub struct Network {
    rng: ChaCha8Rng,
    seed: u64,
    owners: BTreeMap<SocketAddr, usize>,
    links: BTreeMap<(SocketAddr, SocketAddr), Link>,
    default_profile: LinkProfile,
    events: BinaryHeap<Queued>,
    seq: u64,
    unroutable: u64,
}

impl Network {
    /// An empty network whose randomness is seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
            owners: BTreeMap::new(),
            links: BTreeMap::new(),
            default_profile: LinkProfile::default(),
            events: BinaryHeap::new(),
            seq: 0,
            unroutable: 0,
        }
    }

    /// The seed this network was created with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Registers `addr` as belonging to node `node`.
    ///
    /// # Panics
    /// If the address already belongs to a node (a mistake in the scenario).
    pub fn add_address(&mut self, addr: SocketAddr, node: usize) {
        if let Some(owner) = self.owners.insert(addr, node) {
            panic!("address {addr} already belongs to node {owner}");
        }
    }

    /// The node owning `addr`, if any.
    pub fn owner(&self, addr: SocketAddr) -> Option<usize> {
        self.owners.get(&addr).copied()
    }

    /// The profile used for links not configured explicitly.
    pub fn default_profile(&self) -> &LinkProfile {
        &self.default_profile
    }

    /// Sets the profile of every link: those already used and those created
    /// later. Up/down state is taken from `profile` too.
    pub fn set_all_links(&mut self, profile: LinkProfile) {
        for link in self.links.values_mut() {
            link.set_profile(profile.clone());
        }
        self.default_profile = profile;
    }

    /// Sets the profile of the link `from → to` (one direction).
    pub fn set_link(&mut self, from: SocketAddr, to: SocketAddr, profile: LinkProfile) {
        self.link_mut(from, to).set_profile(profile);
    }

    /// Sets the profile of both directions between `a` and `b`.
    pub fn set_path(&mut self, a: SocketAddr, b: SocketAddr, profile: LinkProfile) {
        self.set_link(a, b, profile.clone());
        self.set_link(b, a, profile);
    }

    /// The profile of the link `from → to` (the default one if never used).
    pub fn link_profile(&self, from: SocketAddr, to: SocketAddr) -> &LinkProfile {
        self.links
            .get(&(from, to))
            .map_or(&self.default_profile, |l| &l.profile)
    }

    /// Brings the link `from → to` up or down, now. Packets in flight on a
    /// link that goes down are dropped.
    pub fn set_link_up(&mut self, from: SocketAddr, to: SocketAddr, up: bool) {
        self.link_mut(from, to).set_up(up);
    }

    /// Brings both directions between `a` and `b` up or down, now.
    pub fn set_path_up(&mut self, a: SocketAddr, b: SocketAddr, up: bool) {
        self.set_link_up(a, b, up);
        self.set_link_up(b, a, up);
    }

    /// Schedules `action` at virtual time `at`.
    pub fn schedule(&mut self, at: Instant, action: Action) {
        self.push(at, NetEvent::Action(action));
    }

    /// Counters of the link `from → to`, if it was ever used or configured.
    pub fn link_stats(&self, from: SocketAddr, to: SocketAddr) -> Option<&LinkStats> {
        self.links.get(&(from, to)).map(|l| &l.stats)
    }

    /// Counters of every link, in address order.
    pub fn all_link_stats(&self) -> impl Iterator<Item = (SocketAddr, SocketAddr, &LinkStats)> {
        self.links.iter().map(|(&(f, t), l)| (f, t, &l.stats))
    }

    /// The sum of the counters of all links.
    pub fn total_stats(&self) -> LinkStats {
        let mut total = LinkStats::default();
        for link in self.links.values() {
            total.add(&link.stats);
        }
        total
    }

    /// Datagrams sent to an address no node owns (dropped).
    pub fn unroutable(&self) -> u64 {
        self.unroutable
    }

    /// Number of events (packets in flight and scheduled actions) queued.
    pub fn in_flight(&self) -> usize {
        self.events.len()
    }

    /// Time of the earliest queued event.
    pub fn next_event_time(&self) -> Option<Instant> {
        self.events.peek().map(|q| q.at)
    }

    /// Removes and performs the earliest queued event.
    pub fn pop(&mut self) -> Option<(Instant, Popped)> {
        let Queued { at, event, .. } = self.events.pop()?;
        let popped = match event {
            NetEvent::Action(action) => {
                self.apply(action);
                Popped::Action
            }
            NetEvent::Deliver { delivery, epoch } => {
                let link = self.link_mut(delivery.from, delivery.to);
                if link.profile.up && link.epoch == epoch {
                    link.stats.delivered += 1;
                    link.stats.bytes_delivered += delivery.data.len() as u64;
                    Popped::Deliver(delivery)
                } else {
                    link.stats.dropped_down += 1;
                    Popped::Dropped
                }
            }
        };
        Some((at, popped))
    }

    /// Applies `action` now.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SetLinkUp { from, to, up } => self.set_link_up(from, to, up),
            Action::SetPathUp { a, b, up } => self.set_path_up(a, b, up),
            Action::SetLinkProfile { from, to, profile } => self.set_link(from, to, profile),
        }
    }

    /// Sends `data` from `from` to `to` at time `now`, through the link
    /// between them. Returns the index of the receiving node, or `None` if
    /// no node owns `to`.
    pub fn send(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        mut data: Bytes,
    ) -> Option<usize> {
        let Some(node) = self.owner(to) else {
            self.unroutable += 1;
            return None;
        };
        let len = data.len();
        let now_ns = now.as_micros().saturating_mul(1000);
        // Split borrows: the rng and the link are separate fields.
        let default = &self.default_profile;
        let link = self
            .links
            .entry((from, to))
            .or_insert_with(|| Link::new(default.clone()));
        let rng = &mut self.rng;
        link.stats.sent += 1;
        link.stats.bytes_sent += len as u64;
        if !link.profile.up {
            link.stats.dropped_down += 1;
            return Some(node);
        }
        if chance(rng, link.profile.loss) {
            link.stats.dropped_loss += 1;
            return Some(node);
        }
        let departure_ns = match link.profile.bandwidth_bps {
            Some(bps) if bps > 0 => {
                while link.queue.front().is_some_and(|&(t, _)| t <= now_ns) {
                    if let Some((_, size)) = link.queue.pop_front() {
                        link.queued_bytes -= size;
                    }
                }
                // Drop-tail; an empty queue always takes one packet, so a
                // packet larger than the queue is not black-holed.
                if link.queued_bytes > 0
                    && link.queued_bytes.saturating_add(len) > link.profile.queue_bytes
                {
                    link.stats.dropped_queue += 1;
                    return Some(node);
                }
                let start = now_ns.max(link.busy_until_ns);
                let tx_ns = (len as u128 * 8 * 1_000_000_000).div_ceil(u128::from(bps));
                let done = start.saturating_add(u64::try_from(tx_ns).unwrap_or(u64::MAX));
                link.busy_until_ns = done;
                link.queue.push_back((done, len));
                link.queued_bytes += len;
                done
            }
            _ => now_ns,
        };
        let copies = if chance(rng, link.profile.duplicate) {
            link.stats.duplicated += 1;
            2
        } else {
            1
        };
        let departure = Instant::from_micros(departure_ns.div_ceil(1000));
        let epoch = link.epoch;
        let mut arrivals = [Instant::ZERO; 2];
        for arrival in arrivals.iter_mut().take(copies) {
            let mut at = departure + link.profile.delay;
            at += uniform_duration(rng, link.profile.jitter);
            if chance(rng, link.profile.reorder) {
                link.stats.reordered += 1;
                at += link.profile.reorder_delay;
            }
            *arrival = at;
        }
        for (i, &at) in arrivals.iter().take(copies).enumerate() {
            // A clone of `Bytes` is a reference count, not a copy.
            let data = if i + 1 == copies {
                std::mem::take(&mut data)
            } else {
                data.clone()
            };
            self.push(
                at,
                NetEvent::Deliver {
                    delivery: Delivery {
                        node,
                        from,
                        to,
                        data,
                    },
                    epoch,
                },
            );
        }
        Some(node)
    }

    fn push(&mut self, at: Instant, event: NetEvent) {
        let seq = self.seq;
        self.seq += 1;
        self.events.push(Queued { at, seq, event });
    }

    fn link_mut(&mut self, from: SocketAddr, to: SocketAddr) -> &mut Link {
        let default = &self.default_profile;
        self.links
            .entry((from, to))
            .or_insert_with(|| Link::new(default.clone()))
    }
}

/// True with probability `p` (0 and below: never; 1 and above: always).
fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    if p <= 0.0 {
        return false;
    }
    // 53 random bits → uniform in [0, 1).
    let x = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    x < p
}

/// Uniform in `[0, max]`, at microsecond resolution.
fn uniform_duration(rng: &mut ChaCha8Rng, max: Duration) -> Duration {
    let max_us = u64::try_from(max.as_micros()).unwrap_or(u64::MAX);
    if max_us == 0 {
        return Duration::ZERO;
    }
    let range = u128::from(max_us) + 1;
    let x = (u128::from(rng.next_u64()) * range) >> 64;
    Duration::from_micros(x as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn events_pop_in_time_then_insertion_order() {
        let mut net = Network::new(1);
        let (a, b) = (addr("10.0.0.1:1"), addr("10.0.0.2:1"));
        net.add_address(b, 0);
        net.set_link(
            a,
            b,
            LinkProfile {
                delay: Duration::from_millis(5),
                ..LinkProfile::default()
            },
        );
        let t = Instant::from_millis(1);
        net.send(t, a, b, Bytes::from_static(b"1"));
        net.send(Instant::ZERO, a, b, Bytes::from_static(b"0"));
        net.send(t, a, b, Bytes::from_static(b"2"));
        let mut got = Vec::new();
        while let Some((at, p)) = net.pop() {
            if let Popped::Deliver(d) = p {
                got.push((at, d.data));
            }
        }
        assert_eq!(
            got,
            vec![
                (Instant::from_millis(5), Bytes::from_static(b"0")),
                (Instant::from_millis(6), Bytes::from_static(b"1")),
                (Instant::from_millis(6), Bytes::from_static(b"2")),
            ]
        );
    }

    #[test]
    fn unroutable_is_counted() {
        let mut net = Network::new(1);
        assert_eq!(
            net.send(
                Instant::ZERO,
                addr("10.0.0.1:1"),
                addr("10.0.0.9:1"),
                Bytes::new()
            ),
            None
        );
        assert_eq!(net.unroutable(), 1);
        assert_eq!(net.in_flight(), 0);
    }

    #[test]
    fn serialization_and_queue() {
        let mut net = Network::new(1);
        let (a, b) = (addr("10.0.0.1:1"), addr("10.0.0.2:1"));
        net.add_address(b, 0);
        // 8 Mbit/s: 1000 bytes take 1 ms. Queue of 2500 bytes.
        net.set_link(
            a,
            b,
            LinkProfile {
                bandwidth_bps: Some(8_000_000),
                queue_bytes: 2500,
                ..LinkProfile::default()
            },
        );
        for _ in 0..4 {
            net.send(Instant::ZERO, a, b, Bytes::from(vec![0u8; 1000]));
        }
        let stats = *net.link_stats(a, b).unwrap();
        assert_eq!(stats.dropped_queue, 2, "third and fourth exceed 2500 bytes");
        let times: Vec<_> = std::iter::from_fn(|| net.pop()).map(|(t, _)| t).collect();
        assert_eq!(
            times,
            vec![Instant::from_millis(1), Instant::from_millis(2)]
        );
        // After the queue drained, it accepts again.
        net.send(Instant::from_millis(2), a, b, Bytes::from(vec![0u8; 1000]));
        assert_eq!(net.next_event_time(), Some(Instant::from_millis(3)));
    }

    #[test]
    fn in_flight_packets_die_with_the_link() {
        let mut net = Network::new(1);
        let (a, b) = (addr("10.0.0.1:1"), addr("10.0.0.2:1"));
        net.add_address(b, 0);
        net.set_link(
            a,
            b,
            LinkProfile {
                delay: Duration::from_millis(10),
                ..LinkProfile::default()
            },
        );
        net.send(Instant::ZERO, a, b, Bytes::from_static(b"x"));
        // Down and up again before the packet arrives: still lost.
        net.set_link_up(a, b, false);
        net.set_link_up(a, b, true);
        assert!(matches!(net.pop(), Some((_, Popped::Dropped))));
        let stats = net.link_stats(a, b).unwrap();
        assert_eq!((stats.dropped_down, stats.delivered), (1, 0));
    }

    proptest::proptest! {
        /// Every packet handed to a link is delivered, dropped once, or
        /// duplicated; events come out in time order.
        #[test]
        fn packets_are_conserved(
            seed: u64,
            loss in 0.0f64..1.0,
            duplicate in 0.0f64..1.0,
            reorder in 0.0f64..1.0,
            delay_us in 0u64..10_000,
            jitter_us in 0u64..10_000,
            bandwidth in proptest::option::of(1_000u64..1_000_000_000),
            queue_bytes in 0usize..100_000,
            sends in proptest::collection::vec((0u64..100_000, 0usize..2000, proptest::bool::ANY), 0..200),
        ) {
            let mut net = Network::new(seed);
            let (a, b) = (addr("10.0.0.1:1"), addr("10.0.0.2:1"));
            net.add_address(b, 0);
            let delay = Duration::from_micros(delay_us);
            net.set_link(a, b, LinkProfile {
                loss, duplicate, reorder, delay,
                jitter: Duration::from_micros(jitter_us),
                bandwidth_bps: bandwidth,
                queue_bytes,
                ..LinkProfile::default()
            });
            let mut sends = sends;
            sends.sort_by_key(|s| s.0);
            let mut now = Instant::ZERO;
            for (t, len, flap) in sends {
                // Deliver what is due before sending, as the runner does.
                while net.next_event_time().is_some_and(|e| e <= Instant::from_micros(t)) {
                    let (at, _) = net.pop().unwrap();
                    proptest::prop_assert!(at >= now);
                    now = at;
                }
                now = Instant::from_micros(t);
                if flap {
                    net.set_link_up(a, b, false);
                    net.set_link_up(a, b, true);
                }
                net.send(now, a, b, Bytes::from(vec![0u8; len]));
            }
            while let Some((at, _)) = net.pop() {
                proptest::prop_assert!(at >= now);
                now = at;
            }
            let s = *net.link_stats(a, b).unwrap();
            proptest::prop_assert_eq!(
                s.sent + s.duplicated,
                s.delivered + s.dropped_loss + s.dropped_queue + s.dropped_down
            );
        }
    }

    #[test]
    fn chance_extremes() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!((0..1000).all(|_| !chance(&mut rng, 0.0)));
        assert!((0..1000).all(|_| chance(&mut rng, 1.0)));
        let max = Duration::from_micros(3);
        let mut seen = [false; 4];
        for _ in 0..1000 {
            let d = uniform_duration(&mut rng, max);
            seen[d.as_micros() as usize] = true;
        }
        assert_eq!(seen, [true; 4], "jitter covers [0, max] inclusive");
    }
}
