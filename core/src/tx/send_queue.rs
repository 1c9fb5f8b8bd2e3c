//! Outbound user messages waiting to be sent: one FIFO per stream, a stream
//! scheduler choosing which stream sends next (RFC 8260 §3), fragmentation
//! (RFC 9260 §6.9), SSN / MID / FSN assignment (RFC 9260 §3.3.1,
//! RFC 8260 §2.1), buffered-amount accounting and stream pausing for
//! stream reset (RFC 6525).
//!
//! Stream state is allocated when a stream is first used; nothing is sized
//! by the number of negotiated streams.

use core::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::{FailReason, FailedMessage, MessageId, OutgoingFragment, OutgoingMessage, PrPolicy};
use crate::stream_table::StreamTable;
use crate::time::Instant;
use crate::types::{Fsn, Mid, Ssn, StreamId};

/// Why [`SendQueue::enqueue`] refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The stream id is not below the number of negotiated outbound streams.
    #[error(
        "stream {stream} does not exist: only {outbound_streams} outbound streams are negotiated; \
         use a lower stream id or add streams (RFC 6525 add-outgoing-streams)"
    )]
    StreamOutOfRange {
        /// The stream asked for.
        stream: StreamId,
        /// The number of outbound streams currently negotiated.
        outbound_streams: u16,
    },
    /// The message is larger than the configured maximum message size.
    #[error(
        "message of {len} bytes exceeds the maximum message size of {max} bytes; \
         split it or raise max_message_size"
    )]
    MessageTooLarge {
        /// Length of the refused message.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// Queuing the message would exceed the send buffer.
    #[error(
        "send buffer full: {buffered} bytes queued + {len} would exceed max_buffered_bytes = {max}; \
         wait for the buffered-amount-low indication or raise max_buffered_bytes"
    )]
    BufferFull {
        /// Bytes already queued.
        buffered: usize,
        /// Length of the refused message.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// SCTP cannot carry empty user messages (RFC 9260 §3.3.1: a DATA chunk
    /// with no user data is a protocol error).
    #[error("empty messages cannot be sent over SCTP; send at least one byte")]
    EmptyMessage,
}

/// The stream scheduler deciding which stream sends next (RFC 8260 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchedulerKind {
    /// First come, first served across all streams (RFC 8260 §3.1).
    #[default]
    Fcfs,
    /// Round robin between streams, one message per turn (RFC 8260 §3.2).
    /// With I-DATA the turn is one fragment, so large messages interleave.
    RoundRobin,
    /// Strict priority (RFC 8260 §3.4): the lowest priority value goes
    /// first (0 is the highest priority, RFC 8260 §4.3.2); streams of equal
    /// priority take turns round robin.
    Priority,
    /// Weighted fair queueing (RFC 8260 §3.6): streams share bandwidth in
    /// proportion to their weight, charged by bytes sent.
    WeightedFair,
}

/// Configuration of a [`SendQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendQueueConfig {
    /// Number of outbound streams (before negotiation: the number requested).
    pub outbound_streams: u16,
    /// Largest user message accepted by [`SendQueue::enqueue`].
    pub max_message_size: usize,
    /// Most bytes queued (not yet handed to the retransmission queue).
    pub max_buffered_bytes: usize,
    /// The stream scheduler.
    pub scheduler: SchedulerKind,
}

impl Default for SendQueueConfig {
    fn default() -> Self {
        Self {
            outbound_streams: 65535,
            max_message_size: 256 * 1024,
            max_buffered_bytes: 4 * 1024 * 1024,
            scheduler: SchedulerKind::Fcfs,
        }
    }
}

/// A message in a stream's FIFO.
#[derive(Debug)]
struct Queued {
    msg: OutgoingMessage,
    id: MessageId,
    /// Enqueue order, for FCFS.
    seq: u64,
    /// Bytes already produced.
    offset: usize,
    ssn: Ssn,
    mid: Mid,
    next_fsn: Fsn,
}

#[derive(Debug)]
struct OutStream {
    queue: VecDeque<Queued>,
    next_ssn: Ssn,
    next_mid_ordered: Mid,
    next_mid_unordered: Mid,
    buffered: usize,
    low_threshold: usize,
    low_pending: bool,
    paused: bool,
    /// While paused: messages with an id below this one were queued before
    /// the pause and are still sent (RFC 6525 §5.1.2 A1 holds only new
    /// user data).
    barrier: MessageId,
    priority: u16,
    weight: u16,
    /// Generation of the stream's live scheduler entry.
    gen: u32,
    scheduled: bool,
    /// WFQ: virtual finish time of the last turn.
    finish: u64,
}

impl Default for OutStream {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            next_ssn: Ssn(0),
            next_mid_ordered: Mid(0),
            next_mid_unordered: Mid(0),
            buffered: 0,
            low_threshold: 0,
            low_pending: false,
            paused: false,
            barrier: MessageId(0),
            priority: 0,
            weight: 1,
            gen: 0,
            scheduled: false,
            finish: 0,
        }
    }
}

impl OutStream {
    /// May the scheduler give this stream a turn now?
    fn sendable(&self) -> bool {
        match self.queue.front() {
            None => false,
            // RFC 6525 §5.1.2 A1: a paused stream still sends what was
            // queued before the pause (and finishes a started message) but
            // starts nothing queued after it.
            Some(q) => !self.paused || q.offset > 0 || q.id < self.barrier,
        }
    }

    /// Paused, and everything queued before the pause has been produced.
    fn drained_for_reset(&self) -> bool {
        match self.queue.front() {
            None => true,
            Some(q) => q.offset == 0 && q.id >= self.barrier,
        }
    }
}

/// Scale of WFQ virtual time per byte (so that weights up to 65535 keep
/// precision).
const WFQ_SCALE: u64 = 1 << 16;

/// Per-stream FIFOs of outbound messages plus the stream scheduler.
#[derive(Debug)]
pub struct SendQueue {
    cfg: SendQueueConfig,
    streams: StreamTable<OutStream>,
    /// Streams in `streams` (saturating; bounds the scheduler heap).
    stream_count: u16,
    /// Min-heap of `(key1, key2, stream, gen)`; stale entries (old `gen`)
    /// are skipped when popped.
    heap: BinaryHeap<Reverse<(u64, u64, u16, u32)>>,
    /// With DATA, the stream whose message is half sent: its fragments must
    /// go out before any other message (RFC 8260 §1.1: without I-DATA a
    /// large message blocks the association).
    current: Option<StreamId>,
    /// Messages some but not all of whose fragments were produced.
    started: usize,
    next_message_id: u64,
    next_seq: u64,
    rr_counter: u64,
    wfq_vtime: u64,
    buffered: usize,
    low_threshold: usize,
    low_pending: bool,
    stream_low: VecDeque<StreamId>,
    failed: VecDeque<FailedMessage>,
    /// Every stream is paused ([`pause_all`](Self::pause_all)): streams
    /// first used from now on start paused too.
    hold_all: bool,
}

impl SendQueue {
    /// An empty queue.
    pub fn new(cfg: SendQueueConfig) -> Self {
        Self {
            cfg,
            streams: StreamTable::default(),
            stream_count: 0,
            heap: BinaryHeap::new(),
            current: None,
            started: 0,
            next_message_id: 0,
            next_seq: 0,
            rr_counter: 0,
            wfq_vtime: 0,
            buffered: 0,
            low_threshold: 0,
            low_pending: false,
            stream_low: VecDeque::new(),
            failed: VecDeque::new(),
            hold_all: false,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &SendQueueConfig {
        &self.cfg
    }

    /// Queues a message, returning the id it will carry in its fragments.
    ///
    /// A message whose lifetime already ended at `now` is accepted and
    /// handed back at once through [`take_failed`](Self::take_failed), like
    /// any message that expires before it is sent.
    pub fn enqueue(&mut self, msg: OutgoingMessage, now: Instant) -> Result<MessageId, SendError> {
        let len = msg.data.len();
        if msg.stream.0 >= self.cfg.outbound_streams {
            return Err(SendError::StreamOutOfRange {
                stream: msg.stream,
                outbound_streams: self.cfg.outbound_streams,
            });
        }
        if len == 0 {
            return Err(SendError::EmptyMessage);
        }
        if len > self.cfg.max_message_size {
            return Err(SendError::MessageTooLarge {
                len,
                max: self.cfg.max_message_size,
            });
        }
        if self.buffered.saturating_add(len) > self.cfg.max_buffered_bytes {
            return Err(SendError::BufferFull {
                buffered: self.buffered,
                len,
                max: self.cfg.max_buffered_bytes,
            });
        }
        let id = MessageId(self.next_message_id);
        self.next_message_id += 1;
        if matches!(msg.pr, PrPolicy::Ttl(expiry) if now >= expiry) {
            self.failed.push_back(FailedMessage {
                id,
                msg,
                reason: FailReason::Expired,
            });
            return Ok(id);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let stream_id = msg.stream;
        let s = self.stream_or_default(stream_id);
        s.buffered += len;
        s.queue.push_back(Queued {
            msg,
            id,
            seq,
            offset: 0,
            ssn: Ssn(0),
            mid: Mid(0),
            next_fsn: Fsn(0),
        });
        let idle = !s.scheduled;
        self.buffered += len;
        if idle && self.current != Some(stream_id) {
            self.schedule(stream_id, 0);
        }
        Ok(id)
    }

    /// Total bytes queued and not yet produced.
    pub fn buffered_amount(&self) -> usize {
        self.buffered
    }

    /// Bytes queued on one stream and not yet produced.
    pub fn stream_buffered_amount(&self, stream: StreamId) -> usize {
        self.streams.get(&stream).map_or(0, |s| s.buffered)
    }

    /// Sets the total threshold: when the buffered amount drops from above
    /// it to at or below it, [`take_buffered_amount_low`](Self::take_buffered_amount_low)
    /// reports it once.
    pub fn set_buffered_amount_low_threshold(&mut self, bytes: usize) {
        self.low_threshold = bytes;
    }

    /// Sets a stream's threshold (like RTCDataChannel's
    /// `bufferedAmountLowThreshold`); crossings are reported by
    /// [`take_stream_buffered_amount_low`](Self::take_stream_buffered_amount_low).
    pub fn set_stream_buffered_amount_low_threshold(&mut self, stream: StreamId, bytes: usize) {
        self.stream_or_default(stream).low_threshold = bytes;
    }

    /// True once after each crossing of the total threshold.
    pub fn take_buffered_amount_low(&mut self) -> bool {
        core::mem::take(&mut self.low_pending)
    }

    /// The next stream whose buffered amount crossed its threshold, once per
    /// crossing.
    pub fn take_stream_buffered_amount_low(&mut self) -> Option<StreamId> {
        let id = self.stream_low.pop_front()?;
        if let Some(s) = self.streams.get_mut(&id) {
            s.low_pending = false;
        }
        Some(id)
    }

    /// The next message that could not be sent (TTL expired before its
    /// first fragment left, or its stream was removed), with its data.
    pub fn take_failed(&mut self) -> Option<FailedMessage> {
        self.failed.pop_front()
    }

    /// Sets a stream's priority for [`SchedulerKind::Priority`] (lower
    /// value = sent first) and weight for [`SchedulerKind::WeightedFair`]
    /// (at least 1).
    pub fn set_stream_priority(&mut self, stream: StreamId, priority: u16, weight: u16) {
        let s = self.stream_or_default(stream);
        s.priority = priority;
        s.weight = weight.max(1);
        if s.scheduled {
            self.schedule(stream, 0);
        }
    }

    /// Switches the scheduler; queued messages keep their order per stream.
    pub fn set_scheduler(&mut self, kind: SchedulerKind) {
        self.cfg.scheduler = kind;
        self.heap.clear();
        let ids: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, s)| s.scheduled)
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.schedule(id, 0);
        }
    }

    /// Sets the number of outbound streams (after negotiation, RFC 9260
    /// §5.1.2, or after adding streams, RFC 6525 §5.1.5). Messages queued on
    /// streams that no longer exist are handed back through
    /// [`take_failed`](Self::take_failed).
    pub fn set_outbound_streams(&mut self, n: u16) {
        self.cfg.outbound_streams = n;
        let gone: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(id, _)| id.0 >= n)
            .map(|(id, _)| id)
            .collect();
        for id in gone {
            if let Some(s) = self.streams.remove(&id) {
                self.stream_count = self.stream_count.saturating_sub(1);
                self.buffered -= s.buffered;
                if s.queue.front().is_some_and(|q| q.offset > 0) {
                    self.started = self.started.saturating_sub(1);
                }
                for q in s.queue {
                    self.failed.push_back(FailedMessage {
                        id: q.id,
                        msg: q.msg,
                        reason: FailReason::StreamRemoved,
                    });
                }
            }
            if self.current == Some(id) {
                self.current = None;
            }
        }
    }

    /// Holds back messages queued on these streams from now on (RFC 6525
    /// §5.1.2 A1); messages queued before keep being sent.
    pub fn pause_streams(&mut self, streams: &[StreamId]) {
        let barrier = MessageId(self.next_message_id);
        for &id in streams {
            let s = self.stream_or_default(id);
            s.paused = true;
            s.barrier = barrier;
        }
    }

    /// True when every message queued on a paused stream before its pause
    /// has been produced (has its TSNs), so the Outgoing SSN Reset Request
    /// can be sent with the Sender's Last Assigned TSN (RFC 6525 §5.1.2 A3).
    pub fn streams_paused_and_drained(&self) -> bool {
        self.streams
            .values()
            .filter(|s| s.paused)
            .all(OutStream::drained_for_reset)
    }

    /// Holds back every message not started yet, on every stream (RFC
    /// 6525 §5.1.4 C2 for an SSN/TSN reset: "suspending any new
    /// transmissions and TSN assignment"); a message already partly sent
    /// is finished. [`streams_paused_and_drained`](Self::streams_paused_and_drained)
    /// then tells when no message is partly sent.
    pub fn pause_all(&mut self) {
        self.hold_all = true;
        self.streams.for_each_mut(|s| {
            s.paused = true;
            s.barrier = MessageId(0);
        });
    }

    /// Every stream is held by [`pause_all`](Self::pause_all).
    pub fn all_paused(&self) -> bool {
        self.hold_all
    }

    /// RFC 6525 §5.2.4 G5 and §5.2.7 H5: every stream's SSN and MIDs
    /// restart at 0, and all streams resume.
    pub fn reset_all(&mut self) {
        let ids: Vec<StreamId> = self.streams.iter().map(|(id, _)| id).collect();
        self.streams.for_each_mut(|s| {
            s.next_ssn = Ssn(0);
            s.next_mid_ordered = Mid(0);
            s.next_mid_unordered = Mid(0);
        });
        self.hold_all = false;
        self.resume_streams(&ids);
    }

    /// Resumes every stream without touching the numbering (an SSN/TSN
    /// reset was refused).
    pub fn resume_all(&mut self) {
        let ids: Vec<StreamId> = self.streams.iter().map(|(id, _)| id).collect();
        self.hold_all = false;
        self.resume_streams(&ids);
    }

    /// Resets the streams' SSN and MIDs to 0 (RFC 6525 §5.1.2, §5.2.7 H4)
    /// and resumes them: the messages held since the pause go out with the
    /// new numbering.
    pub fn reset_streams(&mut self, streams: &[StreamId]) {
        for &id in streams {
            if let Some(s) = self.streams.get_mut(&id) {
                s.next_ssn = Ssn(0);
                s.next_mid_ordered = Mid(0);
                s.next_mid_unordered = Mid(0);
            }
        }
        self.resume_streams(streams);
    }

    /// Resumes paused streams without touching their numbering (the peer
    /// denied the reset, RFC 6525 §5.2.7 H3): held messages are sent.
    pub fn resume_streams(&mut self, streams: &[StreamId]) {
        for &id in streams {
            if let Some(s) = self.streams.get_mut(&id) {
                s.paused = false;
                if !s.scheduled && self.current != Some(id) && s.sendable() {
                    self.schedule(id, 0);
                }
            }
        }
    }

    /// Some message has fragments produced and fragments still queued (its
    /// tail must not wait, e.g. for Nagle: RFC 9260 §6.1 bundles small
    /// messages, it does not hold parts of a large one).
    pub fn has_started_message(&self) -> bool {
        self.started > 0
    }

    /// No message is queued.
    pub fn is_empty(&self) -> bool {
        self.buffered == 0
    }

    /// Drops the rest of a half-sent message whose sent fragments were
    /// abandoned (RFC 3758 §3.5 A3). Returns whether anything was dropped.
    /// The message itself is reported by the retransmission queue, not here.
    pub fn discard(&mut self, stream: StreamId, id: MessageId) -> bool {
        let Some(s) = self.streams.get_mut(&stream) else {
            return false;
        };
        match s.queue.front() {
            Some(q) if q.id == id => {}
            _ => return false,
        }
        let Some(q) = s.queue.pop_front() else {
            return false;
        };
        let remaining = q.msg.data.len() - q.offset;
        if q.offset > 0 {
            self.started = self.started.saturating_sub(1);
        }
        self.reduce_buffered(stream, remaining);
        if self.current == Some(stream) {
            self.current = None;
        }
        if let Some(s) = self.streams.get(&stream) {
            if !s.scheduled && s.sendable() {
                self.schedule(stream, 0);
            }
        }
        true
    }

    /// Takes everything still queued (when the association ends); each
    /// message is handed back once, including half-sent ones (whose sent
    /// fragments the retransmission queue does not report).
    pub fn drain_all(&mut self, reason: FailReason) -> Vec<FailedMessage> {
        let mut out: Vec<FailedMessage> = self.failed.drain(..).collect();
        let streams = core::mem::take(&mut self.streams);
        self.stream_count = 0;
        for s in streams.into_values() {
            for q in s.queue {
                out.push(FailedMessage {
                    id: q.id,
                    msg: q.msg,
                    reason,
                });
            }
        }
        out.sort_by_key(|f| f.id.0);
        self.heap.clear();
        self.current = None;
        self.started = 0;
        self.buffered = 0;
        out
    }

    /// Takes the next fragment to send, at most `max_payload` bytes of user
    /// data, or `None` when nothing can be sent. `i_data` selects I-DATA
    /// numbering (MID + FSN, RFC 8260 §2.1) and allows interleaving.
    pub fn produce(
        &mut self,
        now: Instant,
        max_payload: usize,
        i_data: bool,
    ) -> Option<OutgoingFragment> {
        self.produce_within(now, max_payload, max_payload, i_data)
    }

    /// Like [`produce`](Self::produce), but a message not started yet that
    /// does not fit in `max_payload` and would fit whole in `fresh_payload`
    /// (the room of an empty packet) is not split: `None` is returned and
    /// the message comes first in the next call. Splitting it would cost
    /// the receiver a reassembly (a copy) for no gain.
    pub fn produce_within(
        &mut self,
        now: Instant,
        max_payload: usize,
        fresh_payload: usize,
        i_data: bool,
    ) -> Option<OutgoingFragment> {
        if max_payload == 0 {
            return None;
        }
        loop {
            let stream_id = match self.current {
                Some(id) => id,
                None => self.pop_scheduled()?,
            };
            let Some(s) = self.streams.get_mut(&stream_id) else {
                self.current = None;
                continue;
            };
            if self.current == Some(stream_id) && !s.sendable() {
                // A message held whole for the next packet (see
                // `produce_within`) on a stream paused meanwhile: it does
                // not start (RFC 6525 §5.1.2); `reset_streams` reschedules.
                self.current = None;
                continue;
            }
            let Some(q) = s.queue.front_mut() else {
                self.current = None;
                continue;
            };
            if q.offset == 0 {
                // RFC 3758 §3.5 / RFC 7496 §3.1: a message whose lifetime
                // ended before it was sent is not sent at all.
                if let PrPolicy::Ttl(expiry) = q.msg.pr {
                    if now >= expiry {
                        let Some(q) = s.queue.pop_front() else {
                            continue;
                        };
                        let len = q.msg.data.len();
                        self.failed.push_back(FailedMessage {
                            id: q.id,
                            msg: q.msg,
                            reason: FailReason::Expired,
                        });
                        self.reduce_buffered(stream_id, len);
                        if self.current == Some(stream_id) {
                            // It was held whole for this packet: the turn
                            // ends with it.
                            self.current = None;
                        }
                        self.requeue_after_turn(stream_id, 0);
                        continue;
                    }
                }
                let total = q.msg.data.len();
                if total > max_payload && total <= fresh_payload {
                    // Hold the turn: `current` marks the stream whose
                    // message goes next, here before its first fragment.
                    // Nothing is numbered yet (no SSN/MID consumed).
                    self.current = Some(stream_id);
                    return None;
                }
                // RFC 9260 §3.3.1: unordered DATA carries no meaningful
                // SSN (sent as 0) and does not consume one.
                if q.msg.unordered {
                    q.ssn = Ssn(0);
                    q.mid = s.next_mid_unordered;
                    s.next_mid_unordered = s.next_mid_unordered.next();
                } else {
                    q.ssn = s.next_ssn;
                    q.mid = s.next_mid_ordered;
                    s.next_ssn = s.next_ssn.next();
                    s.next_mid_ordered = s.next_mid_ordered.next();
                }
            }
            let total = q.msg.data.len();
            let len = (total - q.offset).min(max_payload);
            let begin = q.offset == 0;
            let end = q.offset + len == total;
            let frag = OutgoingFragment {
                stream: stream_id,
                ppid: q.msg.ppid,
                unordered: q.msg.unordered,
                ssn: q.ssn,
                mid: q.mid,
                fsn: q.next_fsn,
                begin,
                end,
                data: q.msg.data.slice(q.offset..q.offset + len),
                message: q.msg.data.clone(),
                message_id: q.id,
                pr: q.msg.pr,
            };
            q.offset += len;
            q.next_fsn = q.next_fsn.next();
            match (begin, end) {
                (true, false) => self.started += 1,
                (false, true) => self.started = self.started.saturating_sub(1),
                _ => {}
            }
            if end {
                s.queue.pop_front();
            }
            self.reduce_buffered(stream_id, len);
            if end {
                self.current = None;
                self.requeue_after_turn(stream_id, total);
            } else if i_data {
                // RFC 8260 §3: with I-DATA the scheduler may interleave
                // fragments of messages from different streams.
                self.current = None;
                self.requeue_after_turn(stream_id, len);
            } else {
                // RFC 9260 §6.9: without I-DATA a fragmented message's
                // chunks take consecutive TSNs: nothing may interleave.
                self.current = Some(stream_id);
            }
            return Some(frag);
        }
    }

    fn reduce_buffered(&mut self, stream: StreamId, len: usize) {
        let before = self.buffered;
        self.buffered -= len;
        if before > self.low_threshold && self.buffered <= self.low_threshold {
            self.low_pending = true;
        }
        if let Some(s) = self.streams.get_mut(&stream) {
            let before = s.buffered;
            s.buffered -= len;
            if before > s.low_threshold && s.buffered <= s.low_threshold && !s.low_pending {
                s.low_pending = true;
                self.stream_low.push_back(stream);
            }
        }
    }

    /// Stream `id`'s state, created on first use.
    fn stream_or_default(&mut self, id: StreamId) -> &mut OutStream {
        if self.streams.get(&id).is_none() {
            self.stream_count = self.stream_count.saturating_add(1);
            // While every stream is held (an SSN/TSN reset), a new stream
            // is held too, with barrier 0: nothing queued on it is sent.
            let hold = self.hold_all;
            let s = self.streams.get_or_default(id);
            s.paused = hold;
            return s;
        }
        self.streams.get_or_default(id)
    }

    /// Puts a stream back in the scheduler after it sent `charged` bytes.
    fn requeue_after_turn(&mut self, stream: StreamId, charged: usize) {
        if self
            .streams
            .get(&stream)
            .is_some_and(|s| s.sendable() && !s.scheduled)
        {
            self.schedule(stream, charged);
        }
    }

    /// (Re)inserts a stream in the scheduler with a fresh key.
    fn schedule(&mut self, id: StreamId, charged: usize) {
        let kind = self.cfg.scheduler;
        let Some(s) = self.streams.get_mut(&id) else {
            return;
        };
        let Some(head) = s.queue.front() else {
            return;
        };
        let (k1, k2) = match kind {
            SchedulerKind::Fcfs => (head.seq, 0),
            SchedulerKind::RoundRobin => {
                self.rr_counter += 1;
                (self.rr_counter, 0)
            }
            SchedulerKind::Priority => {
                self.rr_counter += 1;
                (u64::from(s.priority), self.rr_counter)
            }
            SchedulerKind::WeightedFair => {
                let cost = (charged as u64).saturating_mul(WFQ_SCALE) / u64::from(s.weight.max(1));
                let start = self.wfq_vtime.max(if charged == 0 { 0 } else { s.finish });
                s.finish = start.saturating_add(cost);
                self.rr_counter += 1;
                (s.finish, self.rr_counter)
            }
        };
        s.gen = s.gen.wrapping_add(1);
        s.scheduled = true;
        self.heap.push(Reverse((k1, k2, id.0, s.gen)));
        // Stale entries (priority changes) are bounded: compact when they
        // dominate the heap.
        if self.heap.len() > 2 * usize::from(self.stream_count) + 16 {
            let streams = &self.streams;
            self.heap.retain(|Reverse((_, _, sid, gen))| {
                streams
                    .get(&StreamId(*sid))
                    .is_some_and(|s| s.scheduled && s.gen == *gen)
            });
        }
    }

    /// Pops the stream whose turn it is.
    fn pop_scheduled(&mut self) -> Option<StreamId> {
        while let Some(Reverse((k1, _, sid, gen))) = self.heap.pop() {
            let id = StreamId(sid);
            let Some(s) = self.streams.get_mut(&id) else {
                continue;
            };
            if !s.scheduled || s.gen != gen {
                continue;
            }
            s.scheduled = false;
            if !s.sendable() {
                continue;
            }
            if self.cfg.scheduler == SchedulerKind::WeightedFair {
                self.wfq_vtime = self.wfq_vtime.max(k1);
            }
            return Some(id);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Ppid;
    use bytes::Bytes;

    const T0: Instant = Instant::ZERO;

    fn q(kind: SchedulerKind) -> SendQueue {
        SendQueue::new(SendQueueConfig {
            outbound_streams: 10,
            max_message_size: 1000,
            max_buffered_bytes: 2000,
            scheduler: kind,
        })
    }

    fn msg(stream: u16, len: usize) -> OutgoingMessage {
        OutgoingMessage::new(
            StreamId(stream),
            Ppid(7),
            Bytes::from(vec![stream as u8; len]),
        )
    }

    #[test]
    fn produce_within_keeps_a_small_message_whole_for_the_next_packet() {
        let mut sq = q(SchedulerKind::Fcfs);
        sq.enqueue(msg(1, 60), T0).unwrap();
        sq.enqueue(msg(1, 60), T0).unwrap();
        let a = sq.produce_within(T0, 100, 100, false).unwrap();
        assert!(a.begin && a.end && a.data.len() == 60);
        // 40 bytes left in this packet: the second message would fit an
        // empty one, so it is not split...
        assert!(sq.produce_within(T0, 40, 100, false).is_none());
        // ...and comes whole, with the next stream sequence number, next.
        let b = sq.produce_within(T0, 100, 100, false).unwrap();
        assert!(b.begin && b.end && b.data.len() == 60);
        assert_eq!(b.ssn, a.ssn.next());
        // A message larger than a packet is still fragmented.
        sq.enqueue(msg(1, 150), T0).unwrap();
        let c = sq.produce_within(T0, 40, 100, false).unwrap();
        assert!(c.begin && !c.end && c.data.len() == 40);
    }

    #[test]
    fn a_held_message_on_a_paused_stream_goes_before_the_reset() {
        let mut sq = q(SchedulerKind::Fcfs);
        sq.enqueue(msg(1, 60), T0).unwrap();
        sq.enqueue(msg(2, 60), T0).unwrap();
        assert!(sq.produce_within(T0, 40, 100, false).is_none());
        // RFC 6525 §5.1.2 A1: the held message was queued before the pause,
        // so it still goes out with the old numbering before the request;
        // what is queued after the pause waits for the reset.
        sq.pause_streams(&[StreamId(1)]);
        sq.enqueue(msg(1, 60), T0).unwrap();
        assert!(!sq.streams_paused_and_drained());
        let f = sq.produce(T0, 100, false).unwrap();
        assert_eq!((f.stream, f.ssn), (StreamId(1), Ssn(0)));
        assert!(sq.streams_paused_and_drained());
        assert_eq!(sq.produce(T0, 100, false).unwrap().stream, StreamId(2));
        assert_eq!(sq.produce(T0, 100, false), None);
        sq.reset_streams(&[StreamId(1)]);
        let f = sq.produce(T0, 100, false).unwrap();
        assert_eq!(
            (f.stream, f.ssn, f.begin, f.end),
            (StreamId(1), Ssn(0), true, true)
        );
    }

    #[test]
    fn a_held_message_that_expires_is_handed_back_and_the_turn_moves_on() {
        let mut sq = q(SchedulerKind::Fcfs);
        let mut m = msg(1, 60);
        m.pr = PrPolicy::Ttl(Instant::from_millis(5));
        let id = sq.enqueue(m, T0).unwrap();
        sq.enqueue(msg(2, 60), T0).unwrap();
        sq.enqueue(msg(1, 60), T0).unwrap();
        assert!(sq.produce_within(T0, 40, 100, false).is_none());
        // FCFS: after the expired message, stream 2's older message goes
        // before stream 1's newer one.
        let later = Instant::from_millis(5);
        let order: Vec<u16> = core::iter::from_fn(|| sq.produce(later, 100, false))
            .map(|f| f.stream.0)
            .collect();
        assert_eq!(order, [2, 1]);
        assert_eq!(sq.take_failed().map(|f| f.id), Some(id));
        assert!(sq.is_empty());
    }

    #[test]
    fn started_messages_are_counted_until_their_last_fragment() {
        let mut sq = q(SchedulerKind::RoundRobin);
        let a = sq.enqueue(msg(1, 250), T0).unwrap();
        sq.enqueue(msg(2, 250), T0).unwrap();
        sq.enqueue(msg(3, 250), T0).unwrap();
        assert!(!sq.has_started_message());
        // I-DATA interleaves: three messages begun at once.
        for _ in 0..3 {
            sq.produce(T0, 100, true).unwrap();
        }
        assert!(sq.has_started_message());
        // Abandoned (RFC 3758 §3.5 A3), finished, and removed with its
        // stream: none is left begun.
        assert!(sq.discard(StreamId(1), a));
        let f = sq.produce(T0, 200, true).unwrap();
        assert_eq!((f.stream, f.end), (StreamId(2), true));
        assert!(sq.has_started_message());
        sq.set_outbound_streams(3);
        assert!(!sq.has_started_message());
        // A message that fits whole never counts.
        sq.enqueue(msg(1, 50), T0).unwrap();
        sq.produce(T0, 100, false).unwrap();
        assert!(!sq.has_started_message());
    }

    #[test]
    fn enqueue_errors_say_what_is_wrong() {
        let mut sq = q(SchedulerKind::Fcfs);
        assert!(matches!(
            sq.enqueue(msg(10, 1), T0),
            Err(SendError::StreamOutOfRange {
                outbound_streams: 10,
                ..
            })
        ));
        assert_eq!(sq.enqueue(msg(1, 0), T0), Err(SendError::EmptyMessage));
        assert!(matches!(
            sq.enqueue(msg(1, 1001), T0),
            Err(SendError::MessageTooLarge {
                len: 1001,
                max: 1000
            })
        ));
        sq.enqueue(msg(1, 1000), T0).unwrap();
        sq.enqueue(msg(1, 1000), T0).unwrap();
        let err = sq.enqueue(msg(1, 1), T0).unwrap_err();
        assert!(matches!(err, SendError::BufferFull { buffered: 2000, .. }));
        assert!(err.to_string().contains("max_buffered_bytes"));
        assert_eq!(sq.buffered_amount(), 2000);
    }

    #[test]
    fn fragments_are_slices_with_flags_and_sizes() {
        let mut sq = q(SchedulerKind::Fcfs);
        let data = Bytes::from((0..250u8).collect::<Vec<_>>());
        let mut m = msg(2, 1);
        m.data = data.clone();
        sq.enqueue(m, T0).unwrap();
        let frags: Vec<_> = core::iter::from_fn(|| sq.produce(T0, 100, false)).collect();
        assert_eq!(frags.len(), 3);
        assert_eq!(
            frags.iter().map(|f| f.data.len()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        assert_eq!(
            frags.iter().map(|f| (f.begin, f.end)).collect::<Vec<_>>(),
            [(true, false), (false, false), (false, true)]
        );
        assert_eq!(frags.iter().map(|f| f.fsn.0).collect::<Vec<_>>(), [0, 1, 2]);
        // Zero copy: the fragment points into the message's buffer.
        assert_eq!(frags[1].data.as_ptr(), data[100..].as_ptr());
        assert_eq!(frags[2].data, data.slice(200..));
        assert!(frags.iter().all(|f| f.ssn == Ssn(0) && f.message == data));
        assert!(sq.is_empty());
        // A message that fits is one fragment with both flags.
        sq.enqueue(msg(2, 100), T0).unwrap();
        let f = sq.produce(T0, 100, false).unwrap();
        assert!(f.begin && f.end);
        assert_eq!(sq.produce(T0, 100, false), None);
    }

    #[test]
    fn ssn_per_stream_only_for_ordered_and_wraps() {
        let mut sq = q(SchedulerKind::Fcfs);
        let mut out = Vec::new();
        for (stream, unordered) in [(1, false), (1, true), (1, false), (2, false), (1, true)] {
            let mut m = msg(stream, 5);
            m.unordered = unordered;
            sq.enqueue(m, T0).unwrap();
            let f = sq.produce(T0, 100, true).unwrap();
            out.push((f.stream.0, f.ssn.0, f.mid.0));
        }
        // Ordered: SSN and ordered MID count 0,1; unordered: SSN 0 and its
        // own MID counter (RFC 8260 §2.1).
        assert_eq!(out, [(1, 0, 0), (1, 0, 0), (1, 1, 1), (2, 0, 0), (1, 0, 1)]);

        sq.streams.get_mut(&StreamId(1)).unwrap().next_ssn = Ssn(65535);
        for expect in [65535, 0] {
            sq.enqueue(msg(1, 5), T0).unwrap();
            assert_eq!(sq.produce(T0, 100, false).unwrap().ssn, Ssn(expect));
        }
    }

    #[test]
    fn data_does_not_interleave_but_i_data_does() {
        for (i_data, expect) in [(false, [1, 1, 1, 2]), (true, [1, 2, 1, 1])] {
            let mut sq = q(SchedulerKind::RoundRobin);
            sq.enqueue(msg(1, 300), T0).unwrap();
            sq.enqueue(msg(2, 100), T0).unwrap();
            let order: Vec<u16> = core::iter::from_fn(|| sq.produce(T0, 100, i_data))
                .map(|f| f.stream.0)
                .collect();
            assert_eq!(order, expect, "i_data={i_data}");
        }
    }

    fn stream_order(sq: &mut SendQueue, n: usize) -> Vec<u16> {
        (0..n)
            .filter_map(|_| sq.produce(T0, 1000, false))
            .map(|f| f.stream.0)
            .collect()
    }

    #[test]
    fn fcfs_sends_in_arrival_order() {
        let mut sq = q(SchedulerKind::Fcfs);
        for s in [3, 1, 3, 2, 1] {
            sq.enqueue(msg(s, 10), T0).unwrap();
        }
        assert_eq!(stream_order(&mut sq, 5), [3, 1, 3, 2, 1]);
    }

    #[test]
    fn round_robin_alternates_per_message() {
        let mut sq = q(SchedulerKind::RoundRobin);
        for s in [1, 1, 1, 2, 2, 3] {
            sq.enqueue(msg(s, 10), T0).unwrap();
        }
        assert_eq!(stream_order(&mut sq, 6), [1, 2, 3, 1, 2, 1]);
    }

    #[test]
    fn priority_sends_lowest_value_first_then_round_robin() {
        let mut sq = q(SchedulerKind::Priority);
        sq.set_stream_priority(StreamId(1), 5, 1);
        sq.set_stream_priority(StreamId(2), 1, 1);
        sq.set_stream_priority(StreamId(3), 1, 1);
        for s in [1, 1, 2, 2, 3, 3] {
            sq.enqueue(msg(s, 10), T0).unwrap();
        }
        assert_eq!(stream_order(&mut sq, 6), [2, 3, 2, 3, 1, 1]);
    }

    #[test]
    fn weighted_fair_shares_bytes_by_weight() {
        let mut sq = SendQueue::new(SendQueueConfig {
            max_buffered_bytes: 1 << 20,
            scheduler: SchedulerKind::WeightedFair,
            ..SendQueueConfig::default()
        });
        sq.set_stream_priority(StreamId(1), 0, 3);
        sq.set_stream_priority(StreamId(2), 0, 1);
        for _ in 0..200 {
            sq.enqueue(msg(1, 100), T0).unwrap();
            sq.enqueue(msg(2, 100), T0).unwrap();
        }
        let order = stream_order(&mut sq, 200);
        let ones = order.iter().filter(|&&s| s == 1).count();
        // 3:1 weights → about 150 of 200 turns.
        assert!((145..=155).contains(&ones), "stream 1 got {ones} of 200");
    }

    #[test]
    fn expired_messages_are_dropped_and_handed_back() {
        let mut sq = q(SchedulerKind::Fcfs);
        let mut m = msg(1, 10);
        m.pr = PrPolicy::Ttl(Instant::from_millis(5));
        let id = sq.enqueue(m.clone(), T0).unwrap();
        sq.enqueue(msg(1, 20), T0).unwrap();
        let f = sq.produce(Instant::from_millis(5), 100, false).unwrap();
        assert_eq!(f.data.len(), 20);
        // The expired message did not consume an SSN.
        assert_eq!(f.ssn, Ssn(0));
        let failed = sq.take_failed().unwrap();
        assert_eq!((failed.id, failed.reason), (id, FailReason::Expired));
        assert_eq!(failed.msg, m);
        assert_eq!(sq.take_failed(), None);
        assert!(sq.is_empty());
        // Already expired when enqueued: handed back without being queued.
        let id = sq.enqueue(m, Instant::from_millis(6)).unwrap();
        assert_eq!(sq.take_failed().map(|f| f.id), Some(id));
        assert!(sq.is_empty());
    }

    #[test]
    fn buffered_amount_low_fires_once_per_crossing() {
        let mut sq = q(SchedulerKind::Fcfs);
        sq.set_buffered_amount_low_threshold(150);
        sq.set_stream_buffered_amount_low_threshold(StreamId(1), 0);
        sq.enqueue(msg(1, 100), T0).unwrap();
        sq.enqueue(msg(2, 100), T0).unwrap();
        sq.enqueue(msg(2, 100), T0).unwrap();
        assert!(!sq.take_buffered_amount_low());
        sq.produce(T0, 1000, false).unwrap(); // 300 -> 200
        assert!(!sq.take_buffered_amount_low());
        assert_eq!(sq.take_stream_buffered_amount_low(), Some(StreamId(1)));
        sq.produce(T0, 1000, false).unwrap(); // 200 -> 100: crossing
        assert!(sq.take_buffered_amount_low());
        assert!(!sq.take_buffered_amount_low());
        sq.produce(T0, 1000, false).unwrap(); // 100 -> 0: no new crossing
        assert!(!sq.take_buffered_amount_low());
        // Stream 2 has the default threshold 0 (as RTCDataChannel): it
        // reports when it empties.
        assert_eq!(sq.take_stream_buffered_amount_low(), Some(StreamId(2)));
        assert_eq!(sq.take_stream_buffered_amount_low(), None);
        sq.enqueue(msg(1, 200), T0).unwrap();
        sq.produce(T0, 1000, false).unwrap();
        assert!(sq.take_buffered_amount_low());
        assert_eq!(sq.take_stream_buffered_amount_low(), Some(StreamId(1)));
        assert_eq!(sq.stream_buffered_amount(StreamId(1)), 0);
    }

    #[test]
    fn pause_sends_what_was_queued_and_holds_the_rest_until_reset() {
        let mut sq = q(SchedulerKind::Fcfs);
        sq.enqueue(msg(1, 200), T0).unwrap();
        sq.enqueue(msg(1, 10), T0).unwrap();
        sq.enqueue(msg(2, 10), T0).unwrap();
        let f = sq.produce(T0, 100, false).unwrap();
        assert_eq!((f.stream, f.begin, f.ssn), (StreamId(1), true, Ssn(0)));
        sq.pause_streams(&[StreamId(1)]);
        // Queued after the pause: held until the reset.
        sq.enqueue(msg(1, 30), T0).unwrap();
        assert!(!sq.streams_paused_and_drained());
        let f = sq.produce(T0, 100, false).unwrap();
        assert_eq!((f.stream, f.end, f.ssn), (StreamId(1), true, Ssn(0)));
        assert!(!sq.streams_paused_and_drained());
        // The 10-byte message was queued before the pause: it still goes.
        let f = sq.produce(T0, 100, false).unwrap();
        assert_eq!((f.stream, f.data.len(), f.ssn), (StreamId(1), 10, Ssn(1)));
        assert!(sq.streams_paused_and_drained());
        assert_eq!(sq.produce(T0, 100, false).unwrap().stream, StreamId(2));
        assert_eq!(sq.produce(T0, 100, false), None);
        assert!(!sq.is_empty(), "the held message is still queued");
        sq.reset_streams(&[StreamId(1)]);
        let f = sq.produce(T0, 100, true).unwrap();
        assert_eq!(
            (f.stream, f.data.len(), f.ssn, f.mid),
            (StreamId(1), 30, Ssn(0), Mid(0))
        );
    }

    #[test]
    fn resume_after_denial_keeps_the_numbering() {
        let mut sq = q(SchedulerKind::Fcfs);
        sq.enqueue(msg(1, 10), T0).unwrap();
        assert_eq!(sq.produce(T0, 100, false).unwrap().ssn, Ssn(0));
        sq.pause_streams(&[StreamId(1)]);
        sq.enqueue(msg(1, 10), T0).unwrap();
        assert!(sq.streams_paused_and_drained());
        assert_eq!(sq.produce(T0, 100, false), None);
        sq.resume_streams(&[StreamId(1)]);
        assert_eq!(sq.produce(T0, 100, false).unwrap().ssn, Ssn(1));
        assert!(sq.is_empty());
    }

    #[test]
    fn shrinking_streams_hands_back_their_messages() {
        let mut sq = q(SchedulerKind::RoundRobin);
        sq.enqueue(msg(1, 10), T0).unwrap();
        sq.enqueue(msg(7, 10), T0).unwrap();
        sq.set_outbound_streams(5);
        let f = sq.take_failed().unwrap();
        assert_eq!(
            (f.msg.stream, f.reason),
            (StreamId(7), FailReason::StreamRemoved)
        );
        assert_eq!(sq.buffered_amount(), 10);
        assert_eq!(stream_order(&mut sq, 3), [1]);
    }

    #[test]
    fn discard_drops_the_rest_of_a_half_sent_message() {
        let mut sq = q(SchedulerKind::Fcfs);
        let id = sq.enqueue(msg(1, 300), T0).unwrap();
        sq.enqueue(msg(2, 10), T0).unwrap();
        sq.produce(T0, 100, false).unwrap();
        assert!(sq.discard(StreamId(1), id));
        assert!(!sq.discard(StreamId(1), id));
        assert_eq!(sq.buffered_amount(), 10);
        assert_eq!(sq.produce(T0, 100, false).unwrap().stream, StreamId(2));
    }

    #[test]
    fn drain_all_hands_back_everything_once() {
        let mut sq = q(SchedulerKind::Fcfs);
        let a = sq.enqueue(msg(1, 300), T0).unwrap();
        let b = sq.enqueue(msg(2, 10), T0).unwrap();
        sq.produce(T0, 100, false).unwrap();
        let all = sq.drain_all(FailReason::AssociationClosed);
        assert_eq!(all.iter().map(|f| f.id).collect::<Vec<_>>(), [a, b]);
        assert_eq!(all[0].msg.data.len(), 300);
        assert!(sq.is_empty());
        assert_eq!(sq.produce(T0, 100, false), None);
    }
}
