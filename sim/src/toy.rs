//! Toy nodes, to test the simulator itself and to show how to drive it.
//!
//! - [`PingNode`]: sends numbered datagrams at a fixed interval and records
//!   what arrives (a sink when it has nothing to send).
//! - [`GoBackNNode`]: a tiny reliable in-order message protocol (go-back-N
//!   with cumulative acknowledgements and a retransmission timer), to run
//!   end-to-end scenarios through the [`Checker`](crate::Checker).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anysctp::Instant;
use bytes::Bytes;

use crate::node::Node;

/// A datagram received by a [`PingNode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// When it arrived.
    pub at: Instant,
    /// Its sequence number (first 8 bytes, little endian; `u64::MAX` if it
    /// was shorter).
    pub seq: u64,
    /// Its length.
    pub len: usize,
}

/// Sends `count` numbered datagrams of `size` bytes to `peer`, one every
/// `interval` (all at once if zero), starting at time zero; records every
/// datagram it receives.
#[derive(Clone, Debug)]
pub struct PingNode {
    peer: Option<SocketAddr>,
    source: Option<SocketAddr>,
    size: usize,
    interval: Duration,
    next_seq: u64,
    count: u64,
    next_send: Instant,
    /// Everything received, in arrival order.
    pub received: Vec<Arrival>,
}

impl PingNode {
    /// A node sending `count` datagrams of `size` bytes (at least 8) to
    /// `peer`, one every `interval`.
    pub fn new(peer: SocketAddr, count: u64, size: usize, interval: Duration) -> Self {
        PingNode {
            peer: Some(peer),
            source: None,
            size: size.max(8),
            interval,
            next_seq: 0,
            count,
            next_send: Instant::ZERO,
            received: Vec::new(),
        }
    }

    /// A node that only receives.
    pub fn sink() -> Self {
        PingNode {
            peer: None,
            source: None,
            size: 8,
            interval: Duration::ZERO,
            next_seq: 0,
            count: 0,
            next_send: Instant::ZERO,
            received: Vec::new(),
        }
    }

    /// Sends from `source` instead of the node's default address.
    pub fn with_source(mut self, source: SocketAddr) -> Self {
        self.source = Some(source);
        self
    }

    /// Sends `more` further datagrams (from now on, at the same interval).
    pub fn send_more(&mut self, now: Instant, more: u64) {
        if self.next_seq == self.count {
            self.next_send = self.next_send.max(now);
        }
        self.count += more;
    }

    /// Datagrams sent so far.
    pub fn sent(&self) -> u64 {
        self.next_seq
    }

    fn pending(&self) -> bool {
        self.peer.is_some() && self.next_seq < self.count
    }
}

impl Node for PingNode {
    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, _to: SocketAddr, data: Bytes) {
        let seq = data
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map_or(u64::MAX, u64::from_le_bytes);
        self.received.push(Arrival {
            at: now,
            seq,
            len: data.len(),
        });
    }

    fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        let peer = self.peer?;
        if !self.pending() || now < self.next_send {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.next_send += self.interval;
        buf[..8].copy_from_slice(&seq.to_le_bytes());
        buf[8..self.size].fill(0xab);
        Some((peer, self.source, self.size))
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.pending().then_some(self.next_send)
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}

const DATA: u8 = 0;
const ACK: u8 = 1;
/// Header of a [`GoBackNNode`] packet: kind (1 byte) + sequence number (8).
const HEADER: usize = 9;

/// A minimal reliable, in-order message protocol: go-back-N with a fixed
/// window, cumulative acknowledgements and a retransmission timer with
/// exponential backoff. Both directions work at once.
///
/// The application side: [`send`](GoBackNNode::send) queues a message;
/// [`poll_delivered`](GoBackNNode::poll_delivered) takes the next message
/// received in order.
#[derive(Clone, Debug)]
pub struct GoBackNNode {
    peer: SocketAddr,
    window: u64,
    rto_initial: Duration,
    rto: Duration,
    // Sender: messages from `base` on, not yet acknowledged.
    unacked: VecDeque<Bytes>,
    base: u64,
    next_to_send: u64,
    /// One past the highest sequence number ever sent.
    highest_sent: u64,
    deadline: Option<Instant>,
    // Receiver.
    expected: u64,
    ack_pending: bool,
    delivered: VecDeque<Bytes>,
    /// Data packets retransmitted.
    pub retransmissions: u64,
}

impl GoBackNNode {
    /// A node talking to `peer`, with `window` messages in flight at most
    /// and an initial retransmission timeout `rto`.
    pub fn new(peer: SocketAddr, window: u64, rto: Duration) -> Self {
        GoBackNNode {
            peer,
            window: window.max(1),
            rto_initial: rto,
            rto,
            unacked: VecDeque::new(),
            base: 0,
            next_to_send: 0,
            highest_sent: 0,
            deadline: None,
            expected: 0,
            ack_pending: false,
            delivered: VecDeque::new(),
            retransmissions: 0,
        }
    }

    /// Queues a message (at most 65536 − 9 bytes).
    pub fn send(&mut self, message: Bytes) {
        self.unacked.push_back(message);
    }

    /// The next message received in order, if any.
    pub fn poll_delivered(&mut self) -> Option<Bytes> {
        self.delivered.pop_front()
    }

    /// Messages sent and not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.unacked.len()
    }
}

impl Node for GoBackNNode {
    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, _to: SocketAddr, data: Bytes) {
        let (Some(&kind), Some(seq)) = (
            data.first(),
            data.get(1..HEADER)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes),
        ) else {
            return;
        };
        match kind {
            DATA => {
                if seq == self.expected {
                    self.expected += 1;
                    self.delivered.push_back(data.slice(HEADER..));
                }
                // Acknowledge every data packet, in order or not, so that
                // lost acknowledgements are repaired.
                self.ack_pending = true;
            }
            // `seq` is the next sequence number the peer expects.
            ACK if seq > self.base && seq <= self.highest_sent => {
                let acked = (seq - self.base) as usize;
                self.unacked.drain(..acked.min(self.unacked.len()));
                self.base = seq;
                self.next_to_send = self.next_to_send.max(seq);
                self.rto = self.rto_initial;
                // Restart the timer for what is still outstanding.
                self.deadline = (self.base < self.next_to_send).then(|| now + self.rto);
            }
            _ => {}
        }
    }

    fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Option<(SocketAddr, Option<SocketAddr>, usize)> {
        if self.ack_pending {
            self.ack_pending = false;
            buf[0] = ACK;
            buf[1..HEADER].copy_from_slice(&self.expected.to_le_bytes());
            return Some((self.peer, None, HEADER));
        }
        let in_window = self.next_to_send < self.base + self.window;
        let index = (self.next_to_send - self.base) as usize;
        let message = self.unacked.get(index).filter(|_| in_window)?;
        let len = HEADER + message.len();
        buf[0] = DATA;
        buf[1..HEADER].copy_from_slice(&self.next_to_send.to_le_bytes());
        buf[HEADER..len].copy_from_slice(message);
        self.next_to_send += 1;
        self.highest_sent = self.highest_sent.max(self.next_to_send);
        if self.deadline.is_none() {
            self.deadline = Some(now + self.rto);
        }
        Some((self.peer, None, len))
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        if self.base == self.next_to_send {
            None
        } else {
            self.deadline
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) && self.base < self.next_to_send {
            // Go back: resend everything from the oldest unacknowledged.
            self.retransmissions += self.next_to_send - self.base;
            self.next_to_send = self.base;
            self.rto = (self.rto * 2).min(Duration::from_secs(10));
            self.deadline = None;
        }
    }
}
