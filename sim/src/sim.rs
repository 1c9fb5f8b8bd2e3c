//! The runner: nodes on a [`Network`], driven in virtual time.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::time::Duration;

use anysctp::Instant;
use bytes::Bytes;

use crate::network::{Action, LinkProfile, LinkStats, Network, Popped};
use crate::node::Node;

/// Size of the buffer handed to [`Node::poll_transmit`].
pub const TRANSMIT_BUFFER: usize = 65536;

/// Guard rails, so that a buggy node cannot make a run loop forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of steps in the whole simulation.
    pub max_steps: u64,
    /// No event is performed after this virtual time.
    pub max_time: Instant,
    /// Maximum number of consecutive steps at the same virtual time.
    pub max_steps_same_instant: u64,
    /// Maximum number of times in a row a node may answer
    /// [`Node::handle_timeout`] with a deadline that is not in the future.
    pub max_past_timeouts: u32,
    /// Maximum number of datagrams taken from a node in one drain of
    /// [`Node::poll_transmit`].
    pub max_transmits_per_drain: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 100_000_000,
            max_time: Instant::from_millis(24 * 3600 * 1000),
            max_steps_same_instant: 1_000_000,
            max_past_timeouts: 1000,
            max_transmits_per_drain: 1_000_000,
        }
    }
}

/// Why a run was stopped by a guard rail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// More than [`Limits::max_steps`] steps.
    StepLimit {
        /// The limit.
        steps: u64,
        /// Virtual time when it was hit.
        now: Instant,
    },
    /// The next event lies after [`Limits::max_time`].
    TimeLimit {
        /// The limit.
        limit: Instant,
        /// The time of the event that would have been performed.
        next: Instant,
    },
    /// Too many consecutive steps without virtual time advancing.
    NoProgress {
        /// Steps in a row at `now`.
        steps: u64,
        /// The virtual time that did not advance.
        now: Instant,
    },
    /// A node kept answering `handle_timeout` with a deadline not in the
    /// future.
    TimeoutInPast {
        /// Index of the node.
        node: usize,
        /// Times in a row.
        count: u32,
        /// Virtual time.
        now: Instant,
        /// The deadline it returned last.
        deadline: Instant,
    },
    /// A node produced too many datagrams in one drain of `poll_transmit`.
    TransmitFlood {
        /// Index of the node.
        node: usize,
        /// Datagrams taken before giving up.
        count: u64,
    },
    /// A node returned a datagram length larger than the buffer.
    BadTransmitLength {
        /// Index of the node.
        node: usize,
        /// The length it returned.
        len: usize,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::StepLimit { steps, now } => {
                write!(f, "step limit of {steps} steps reached at {now:?}")
            }
            SimError::TimeLimit { limit, next } => write!(
                f,
                "virtual time limit {limit:?} reached (next event at {next:?})"
            ),
            SimError::NoProgress { steps, now } => write!(
                f,
                "{steps} steps in a row without virtual time advancing past {now:?}"
            ),
            SimError::TimeoutInPast {
                node,
                count,
                now,
                deadline,
            } => write!(
                f,
                "node {node} returned a timeout in the past {count} times in a row \
                 (now {now:?}, deadline {deadline:?})"
            ),
            SimError::TransmitFlood { node, count } => write!(
                f,
                "node {node} produced more than {count} datagrams in one poll_transmit drain"
            ),
            SimError::BadTransmitLength { node, len } => write!(
                f,
                "node {node} returned a datagram of {len} bytes, larger than the \
                 {TRANSMIT_BUFFER}-byte buffer"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// How [`Sim::run_until`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The stop condition returned true.
    Stopped,
    /// The next event lies after the deadline; the clock is at the deadline.
    DeadlineReached,
    /// Nothing left to do: no packet in flight, no scheduled action, no node
    /// deadline. The clock was moved to the deadline.
    Idle,
}

struct Slot<N> {
    node: N,
    addrs: Vec<SocketAddr>,
    timeout: Option<Instant>,
    /// Touched by the application since its last drain.
    dirty: bool,
    past_timeouts: u32,
}

/// What the next step will do.
enum Next {
    Network(Instant),
    Timeout(Instant, usize),
}

/// A deterministic simulation of nodes on a network, in virtual time.
///
/// Each [`step`](Sim::step) performs the earliest pending thing — a datagram
/// delivery, a scheduled network action, or a node's deadline — and then
/// drains the affected node's `poll_transmit` into the network. Between steps
/// the scenario may act on nodes through [`node_mut`](Sim::node_mut); nodes
/// touched that way are drained before the next step.
pub struct Sim<N: Node> {
    net: Network,
    nodes: Vec<Slot<N>>,
    now: Instant,
    limits: Limits,
    steps: u64,
    same_instant: u64,
    buf: Vec<u8>,
    trace: DefaultHasher,
    trace_events: u64,
}

impl<N: Node> fmt::Debug for Sim<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.net.seed())
            .field("now", &self.now)
            .field("nodes", &self.nodes.len())
            .field("steps", &self.steps)
            .field("in_flight", &self.net.in_flight())
            .finish()
    }
}

const TRACE_SEND: u8 = 1;
const TRACE_DELIVER: u8 = 2;
const TRACE_TIMEOUT: u8 = 3;
const TRACE_ACTION: u8 = 4;
const TRACE_DROP: u8 = 5;

impl<N: Node> Sim<N> {
    /// An empty simulation at time zero; all randomness is seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Sim {
            net: Network::new(seed),
            nodes: Vec::new(),
            now: Instant::ZERO,
            limits: Limits::default(),
            steps: 0,
            same_instant: 0,
            buf: vec![0; TRANSMIT_BUFFER],
            trace: DefaultHasher::new(),
            trace_events: 0,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.net.seed()
    }

    /// Replaces the guard rails.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The guard rails.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Adds a node owning `addrs` (the first is its default source address)
    /// and returns its index.
    ///
    /// # Panics
    /// If `addrs` is empty or an address already belongs to another node.
    pub fn add_node(&mut self, node: N, addrs: impl IntoIterator<Item = SocketAddr>) -> usize {
        let index = self.nodes.len();
        let addrs: Vec<SocketAddr> = addrs.into_iter().collect();
        assert!(!addrs.is_empty(), "node {index} needs at least one address");
        for &a in &addrs {
            self.net.add_address(a, index);
        }
        self.nodes.push(Slot {
            node,
            addrs,
            timeout: None,
            dirty: true,
            past_timeouts: 0,
        });
        index
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Node `i`.
    ///
    /// # Panics
    /// If there is no node `i`.
    pub fn node(&self, i: usize) -> &N {
        &self.nodes[i].node
    }

    /// Node `i`, for application code (send, read events, ...). The node is
    /// drained (`poll_transmit`, `poll_timeout`) before the next step.
    ///
    /// # Panics
    /// If there is no node `i`.
    pub fn node_mut(&mut self, i: usize) -> &mut N {
        let slot = &mut self.nodes[i];
        slot.dirty = true;
        &mut slot.node
    }

    /// The addresses of node `i`; the first is its default.
    ///
    /// # Panics
    /// If there is no node `i`.
    pub fn addresses(&self, i: usize) -> &[SocketAddr] {
        &self.nodes[i].addrs
    }

    /// Current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Steps performed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The network (profiles, statistics).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The network, to change profiles or schedule actions.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// Sets the profile of every link, current and future.
    pub fn set_all_links(&mut self, profile: LinkProfile) {
        self.net.set_all_links(profile);
    }

    /// Sets the profile of the link `from → to`.
    pub fn set_link(&mut self, from: SocketAddr, to: SocketAddr, profile: LinkProfile) {
        self.net.set_link(from, to, profile);
    }

    /// Brings the link `from → to` up or down now.
    pub fn set_link_up(&mut self, from: SocketAddr, to: SocketAddr, up: bool) {
        self.net.set_link_up(from, to, up);
    }

    /// Brings both directions between `a` and `b` up or down now.
    pub fn set_path_up(&mut self, a: SocketAddr, b: SocketAddr, up: bool) {
        self.net.set_path_up(a, b, up);
    }

    /// Schedules a network action at virtual time `at`.
    pub fn schedule(&mut self, at: Instant, action: Action) {
        self.net.schedule(at, action);
    }

    /// Counters of the link `from → to`, if used or configured.
    pub fn link_stats(&self, from: SocketAddr, to: SocketAddr) -> Option<&LinkStats> {
        self.net.link_stats(from, to)
    }

    /// A hash of everything that happened so far (sends, deliveries, drops
    /// in flight, timeouts, actions, with their times and contents): equal
    /// for two runs that behaved identically.
    pub fn trace_hash(&self) -> u64 {
        self.trace.finish()
    }

    /// Number of things hashed into [`trace_hash`](Sim::trace_hash).
    pub fn trace_events(&self) -> u64 {
        self.trace_events
    }

    /// Performs the earliest pending event. Returns `Ok(false)` when there is
    /// nothing left to do.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.flush()?;
        let Some(next) = self.next() else {
            return Ok(false);
        };
        let at = match next {
            Next::Network(t) | Next::Timeout(t, _) => t,
        };
        if at > self.limits.max_time {
            return Err(SimError::TimeLimit {
                limit: self.limits.max_time,
                next: at,
            });
        }
        if self.steps >= self.limits.max_steps {
            return Err(SimError::StepLimit {
                steps: self.steps,
                now: self.now,
            });
        }
        self.steps += 1;
        // A deadline in the past fires now: the clock never goes back.
        let at = at.max(self.now);
        if at == self.now {
            self.same_instant += 1;
            if self.same_instant > self.limits.max_steps_same_instant {
                return Err(SimError::NoProgress {
                    steps: self.same_instant,
                    now: self.now,
                });
            }
        } else {
            self.same_instant = 0;
        }
        self.now = at;
        match next {
            Next::Network(_) => self.network_event()?,
            Next::Timeout(_, i) => self.timeout(i)?,
        }
        Ok(true)
    }

    /// Runs until `stop` returns true (checked before the first step and
    /// after every step — the place for application hooks: pull events,
    /// push sends), until the next event lies after `deadline`, or until
    /// nothing is left to do.
    pub fn run_until(
        &mut self,
        deadline: Instant,
        mut stop: impl FnMut(&mut Self) -> bool,
    ) -> Result<RunOutcome, SimError> {
        loop {
            if stop(self) {
                return Ok(RunOutcome::Stopped);
            }
            self.flush()?;
            let next = match self.next() {
                None => {
                    self.now = self.now.max(deadline);
                    return Ok(RunOutcome::Idle);
                }
                Some(Next::Network(t) | Next::Timeout(t, _)) => t,
            };
            if next > deadline {
                self.now = self.now.max(deadline);
                return Ok(RunOutcome::DeadlineReached);
            }
            self.step()?;
        }
    }

    /// [`run_until`](Sim::run_until) `now() + duration`.
    pub fn run_for(
        &mut self,
        duration: Duration,
        stop: impl FnMut(&mut Self) -> bool,
    ) -> Result<RunOutcome, SimError> {
        let deadline = self.now + duration;
        self.run_until(deadline, stop)
    }

    fn next(&self) -> Option<Next> {
        let timeout = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.timeout.map(|t| (t, i)))
            .min();
        match (self.net.next_event_time(), timeout) {
            (None, None) => None,
            (Some(n), None) => Some(Next::Network(n)),
            (None, Some((t, i))) => Some(Next::Timeout(t, i)),
            // Ties: the network first, so a packet arriving exactly at a
            // deadline is seen before the timer fires.
            (Some(n), Some((t, i))) => Some(if n <= t {
                Next::Network(n)
            } else {
                Next::Timeout(t, i)
            }),
        }
    }

    fn network_event(&mut self) -> Result<(), SimError> {
        let Some((_, popped)) = self.net.pop() else {
            return Ok(());
        };
        match popped {
            Popped::Deliver(d) => {
                self.record(TRACE_DELIVER, d.node, (d.from, d.to), &d.data);
                let slot = &mut self.nodes[d.node];
                slot.node.handle_datagram(self.now, d.from, d.to, d.data);
                self.service(d.node)
            }
            Popped::Action => {
                self.record(TRACE_ACTION, usize::MAX, None, &[]);
                Ok(())
            }
            Popped::Dropped => {
                self.record(TRACE_DROP, usize::MAX, None, &[]);
                Ok(())
            }
        }
    }

    fn timeout(&mut self, i: usize) -> Result<(), SimError> {
        self.record(TRACE_TIMEOUT, i, None, &[]);
        let now = self.now;
        self.nodes[i].node.handle_timeout(now);
        self.service(i)?;
        let slot = &mut self.nodes[i];
        match slot.timeout {
            Some(deadline) if deadline <= now => {
                slot.past_timeouts += 1;
                if slot.past_timeouts >= self.limits.max_past_timeouts {
                    return Err(SimError::TimeoutInPast {
                        node: i,
                        count: slot.past_timeouts,
                        now,
                        deadline,
                    });
                }
            }
            _ => slot.past_timeouts = 0,
        }
        Ok(())
    }

    /// Drains every node the application touched.
    fn flush(&mut self) -> Result<(), SimError> {
        for i in 0..self.nodes.len() {
            if self.nodes[i].dirty {
                self.service(i)?;
            }
        }
        Ok(())
    }

    /// Takes every datagram node `i` has to send, then its deadline.
    fn service(&mut self, i: usize) -> Result<(), SimError> {
        let now = self.now;
        let mut count = 0u64;
        loop {
            let slot = &mut self.nodes[i];
            let Some((dst, src, len)) = slot.node.poll_transmit(now, &mut self.buf) else {
                break;
            };
            if len > self.buf.len() {
                return Err(SimError::BadTransmitLength { node: i, len });
            }
            count += 1;
            if count > self.limits.max_transmits_per_drain {
                return Err(SimError::TransmitFlood {
                    node: i,
                    count: self.limits.max_transmits_per_drain,
                });
            }
            let src = src.unwrap_or(slot.addrs[0]);
            let data = Bytes::copy_from_slice(&self.buf[..len]);
            self.record(TRACE_SEND, i, (src, dst), &data);
            self.net.send(now, src, dst, data);
        }
        let slot = &mut self.nodes[i];
        slot.timeout = slot.node.poll_timeout();
        slot.dirty = false;
        Ok(())
    }

    fn record(
        &mut self,
        kind: u8,
        node: usize,
        addrs: impl Into<Option<(SocketAddr, SocketAddr)>>,
        data: &[u8],
    ) {
        self.trace_events += 1;
        (kind, self.now, node, addrs.into(), data).hash(&mut self.trace);
    }
}
