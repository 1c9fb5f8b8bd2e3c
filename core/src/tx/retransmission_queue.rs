//! Chunks sent but not yet cumulatively acknowledged.
//!
//! Assigns TSNs, processes SACKs (RFC 9260 §6.2.1), counts miss indications
//! for fast retransmit with the HTNA rule (§7.2.4), marks chunks on T3-rtx
//! expiry (§6.3.3), takes RTT samples (§6.3.1 C5 + Karn), tracks the peer's
//! receive window (§6.2.1) and implements partial reliability: abandonment
//! and the FORWARD-TSN point (RFC 3758 §3.5, RFC 7496).
//!
//! Chunks live in a `VecDeque` indexed by their distance from the
//! cumulative TSN ack point, so insertion, lookup and cumulative
//! acknowledgement are O(1) per chunk. A SACK without gap blocks costs only
//! the chunks it newly acknowledges.
//!
//! Paths are plain indices (`usize`) chosen by the association.
//!
//! Two byte counts are kept, as RFC 9260 uses two: the peer's window counts
//! the *data size* of chunks (user data, §6.2.1 B, C), while what is in
//! flight on a path — flightsize, compared with cwnd (§6.1 B, §7.2) —
//! counts the *DATA chunks* (§3 "Outstanding Data": "the total size of the
//! DATA chunks"; §7.2.2: "including the chunk header and the padding").
//! [`RetransmissionQueue::bytes_in_flight`] is the former,
//! [`RetransmissionQueue::path_bytes_in_flight`] and
//! [`PathAckInfo::newly_acked_bytes`] the latter.

use core::time::Duration;
use std::collections::VecDeque;

use super::{FailReason, FailedMessage, MessageId, OutgoingFragment, PrPolicy};
use crate::time::Instant;
use crate::types::{GapAckBlock, Mid, Ssn, StreamId, Tsn};

/// Miss indications that trigger fast retransmit (RFC 9260 §7.2.4).
const FAST_RETRANSMIT_MISSES: u8 = 3;

/// DATA chunk header (RFC 9260 §3.3.1).
const DATA_CHUNK_HEADER: usize = 16;
/// I-DATA chunk header (RFC 8260 §2.1).
const IDATA_CHUNK_HEADER: usize = 20;

/// A SACK the association must answer with an ABORT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SackError {
    /// The peer acknowledged a TSN never sent (RFC 9260 §6.2.1 / §9.2:
    /// protocol violation).
    #[error("SACK cumulative TSN ack {cum_ack} is beyond the highest TSN sent {highest_sent}")]
    CumAckBeyondSent {
        /// The SACK's cumulative TSN ack.
        cum_ack: Tsn,
        /// The highest TSN ever sent.
        highest_sent: Tsn,
    },
}

/// What one SACK changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackOutcome {
    /// The SACK was older than one already processed and was ignored
    /// (RFC 9260 §6.2.1 D i); nothing else in this outcome is set.
    pub stale: bool,
    /// The cumulative TSN ack point after this SACK.
    pub cum_ack: Tsn,
    /// The cumulative TSN ack point moved forward.
    pub cum_ack_advanced: bool,
    /// User data bytes acknowledged for the first time (cumulatively or by
    /// gap blocks), excluding abandoned chunks (RFC 3758 §3.5 A2). Per path:
    /// [`RetransmissionQueue::path_ack_info`].
    pub newly_acked_bytes: usize,
    /// An RTT measurement `(path, rtt)` (RFC 9260 §6.3.1 C5: only from a
    /// chunk sent once, at most one per round trip).
    pub rtt_sample: Option<(usize, Duration)>,
    /// Chunks were newly marked for fast retransmit (RFC 9260 §7.2.4); the
    /// first packet of retransmissions may ignore cwnd (§7.2.4 step 3).
    pub fast_retransmit: bool,
    /// How many chunks this SACK newly marked for fast retransmit.
    pub fast_retransmit_marked: u64,
    /// Fast recovery was entered by this SACK: reduce ssthresh/cwnd of the
    /// paths with [`PathAckInfo::fast_retransmit`] set (§7.2.4 step 2).
    pub entered_fast_recovery: bool,
}

impl SackOutcome {
    fn empty(cum_ack: Tsn) -> Self {
        Self {
            stale: false,
            cum_ack,
            cum_ack_advanced: false,
            newly_acked_bytes: 0,
            rtt_sample: None,
            fast_retransmit: false,
            fast_retransmit_marked: 0,
            entered_fast_recovery: false,
        }
    }
}

/// What the last SACK meant for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathAckInfo {
    /// Bytes of DATA chunks (headers and padding included, see the module
    /// docs) newly acknowledged that were last sent on this path (for cwnd
    /// growth, RFC 9260 §7.2.1 / §7.2.2).
    pub newly_acked_bytes: usize,
    /// The cumulative ack covered the earliest outstanding chunk sent on
    /// this path: restart its T3-rtx if data is still in flight there, stop
    /// it otherwise (RFC 9260 §6.3.2 R2/R3).
    pub earliest_outstanding_acked: bool,
    /// Among the chunks newly acknowledged here, one had been sent to this
    /// path only (never to another): the ack proves the path works and may
    /// clear its error counter and reactivate it (RFC 7829 §3.2 rule 10).
    /// When all of them had also gone to another path, the ack may be for
    /// that copy (rule 9).
    pub acked_sent_only_here: bool,
    /// Chunks last sent on this path were marked for fast retransmit.
    pub fast_retransmit: bool,
    /// The peer reneged on chunks sent on this path (RFC 9260 §6.2.1 D
    /// iii): start T3-rtx here if it is not running.
    pub reneged: bool,
    /// The RTT of the most recently sent chunk (sent only once) that this
    /// SACK newly acknowledged on this path: a delay sample for congestion
    /// control (HyStart++), not for the RTO (§6.3.1 C4, see
    /// [`SackOutcome::rtt_sample`]).
    pub latest_rtt: Option<Duration>,
}

#[derive(Debug, Default, Clone)]
struct PathState {
    /// DATA chunk bytes in flight (see the module docs).
    in_flight: usize,
    info: PathAckInfo,
}

/// A stream entry of a FORWARD-TSN / I-FORWARD-TSN chunk (RFC 3758 §3.2,
/// RFC 8260 §2.3.1): the highest abandoned message per stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardTsnStream {
    /// Stream.
    pub stream: StreamId,
    /// U flag (I-FORWARD-TSN only; FORWARD-TSN lists ordered messages only).
    pub unordered: bool,
    /// Highest abandoned SSN (FORWARD-TSN).
    pub ssn: Ssn,
    /// Highest abandoned MID (I-FORWARD-TSN).
    pub mid: Mid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Sent and not acknowledged (in flight unless `in_flight` is false
    /// after reneging).
    Outstanding,
    /// Acknowledged by a gap block (may still be reneged).
    Acked,
    /// Waiting to be sent again (T3 or fast retransmit).
    ToRetransmit,
    /// Given up (RFC 3758): treated as acknowledged.
    Abandoned,
}

#[derive(Debug)]
struct Entry {
    frag: OutgoingFragment,
    path: usize,
    sent_at: Instant,
    transmissions: u16,
    /// Sent to more than one path (retransmitted elsewhere, RFC 7829 §3.2
    /// rule 9).
    multi_path: bool,
    state: State,
    in_flight: bool,
    misses: u8,
    fast_retransmitted: bool,
    /// Number of the last SACK whose gap blocks covered this chunk.
    sack_stamp: u32,
}

/// The retransmission queue of one association.
#[derive(Debug)]
pub struct RetransmissionQueue {
    /// Cumulative TSN ack point: every TSN up to it is acknowledged.
    cum_ack: Tsn,
    next_tsn: Tsn,
    /// Chunks carry the I-DATA header (20 bytes), not DATA's (16).
    i_data: bool,
    /// `entries[i]` has TSN `cum_ack + 1 + i`.
    entries: VecDeque<Entry>,
    /// User data bytes in flight, all paths (for the peer's rwnd).
    in_flight: usize,
    /// Bytes neither acknowledged nor abandoned.
    outstanding: usize,
    paths: Vec<PathState>,
    rwnd: usize,
    rtt_probe: Option<Tsn>,
    fast_recovery_exit: Option<Tsn>,
    /// Highest TSN acknowledged by a gap block in the last SACK.
    highest_gap_acked: Option<Tsn>,
    sack_counter: u32,
    to_retransmit: usize,
    /// No chunk below this index is marked for retransmission.
    rtx_hint: usize,
    failed: VecDeque<FailedMessage>,
    /// Abandoned messages whose last fragment was not sent yet: fragments
    /// of them sent later are abandoned on arrival (a safety net when the
    /// association sends before calling `SendQueue::discard`).
    abandoned_partial: VecDeque<MessageId>,
}

/// Bound on [`RetransmissionQueue::abandoned_partial`].
const MAX_ABANDONED_PARTIAL: usize = 256;

impl RetransmissionQueue {
    /// A queue whose first chunk gets `initial_tsn`; `peer_a_rwnd` is the
    /// a_rwnd of the peer's INIT or INIT ACK.
    pub fn new(initial_tsn: Tsn, peer_a_rwnd: u32) -> Self {
        Self {
            cum_ack: initial_tsn.prev(),
            next_tsn: initial_tsn,
            i_data: false,
            entries: VecDeque::new(),
            in_flight: 0,
            outstanding: 0,
            paths: Vec::new(),
            rwnd: peer_a_rwnd as usize,
            rtt_probe: None,
            fast_recovery_exit: None,
            highest_gap_acked: None,
            sack_counter: 0,
            to_retransmit: 0,
            rtx_hint: 0,
            failed: VecDeque::new(),
            abandoned_partial: VecDeque::new(),
        }
    }

    /// Counts chunks with the I-DATA header (RFC 8260 §2.1, 20 bytes) instead
    /// of the DATA header (16 bytes): call when I-DATA is negotiated, before
    /// anything is sent.
    pub fn set_i_data(&mut self, i_data: bool) {
        self.i_data = i_data;
    }

    /// The size on the wire of a DATA chunk carrying `len` bytes of user
    /// data: header and padding included (RFC 9260 §3.2, §7.2.2).
    pub fn chunk_size(&self, len: usize) -> usize {
        let header = if self.i_data {
            IDATA_CHUNK_HEADER
        } else {
            DATA_CHUNK_HEADER
        };
        (header + len + 3) & !3
    }

    /// The cumulative TSN ack point.
    pub fn cum_ack(&self) -> Tsn {
        self.cum_ack
    }

    /// The TSN the next new chunk will get.
    pub fn next_tsn(&self) -> Tsn {
        self.next_tsn
    }

    /// The peer's receive window as this side sees it (RFC 9260 §6.2.1).
    pub fn peer_rwnd(&self) -> usize {
        self.rwnd
    }

    /// User data bytes in flight on all paths (RFC 9260 §6.2.1: what the
    /// peer's window holds).
    pub fn bytes_in_flight(&self) -> usize {
        self.in_flight
    }

    /// DATA chunk bytes (headers and padding included) in flight on one
    /// path: its flightsize (RFC 9260 §3, §6.1 B).
    pub fn path_bytes_in_flight(&self, path: usize) -> usize {
        self.paths.get(path).map_or(0, |p| p.in_flight)
    }

    /// What the last SACK meant for `path`.
    pub fn path_ack_info(&self, path: usize) -> PathAckInfo {
        self.paths.get(path).map(|p| p.info).unwrap_or_default()
    }

    /// User data bytes sent and neither acknowledged nor abandoned
    /// (including those waiting for retransmission).
    pub fn outstanding_bytes(&self) -> usize {
        self.outstanding
    }

    /// Some chunk is neither acknowledged nor abandoned.
    pub fn has_outstanding(&self) -> bool {
        self.outstanding > 0
    }

    /// Chunks wait to be retransmitted.
    pub fn has_retransmissions(&self) -> bool {
        self.to_retransmit > 0
    }

    /// In fast recovery (RFC 9260 §7.2.4 step 6): cwnd must not be reduced
    /// again.
    pub fn in_fast_recovery(&self) -> bool {
        self.fast_recovery_exit.is_some()
    }

    /// The earliest send time of a chunk still in flight on `path`, for
    /// restarting T3-rtx (RFC 9260 §6.3.2). O(outstanding): call on timer
    /// events, not per packet.
    pub fn earliest_in_flight_send_time(&self, path: usize) -> Option<Instant> {
        self.entries
            .iter()
            .filter(|e| e.path == path && e.in_flight)
            .map(|e| e.sent_at)
            .min()
    }

    fn path_mut(&mut self, path: usize) -> &mut PathState {
        if path >= self.paths.len() {
            self.paths.resize(path + 1, PathState::default());
        }
        &mut self.paths[path]
    }

    /// Records a new chunk sent on `path` and returns its TSN.
    ///
    /// A fragment of a message abandoned meanwhile (the association did not
    /// yet [`discard`](super::SendQueue::discard) its remainder) is
    /// recorded as abandoned at once: the FORWARD-TSN point covers it, and
    /// the message is not reported again.
    pub fn add_sent(&mut self, frag: OutgoingFragment, path: usize, now: Instant) -> Tsn {
        let tsn = self.next_tsn;
        self.next_tsn = tsn.next();
        if !frag.begin {
            if let Some(pos) = self
                .abandoned_partial
                .iter()
                .position(|id| *id == frag.message_id)
            {
                if frag.end {
                    self.abandoned_partial.remove(pos);
                }
                self.entries.push_back(Entry {
                    frag,
                    path,
                    sent_at: now,
                    transmissions: 1,
                    multi_path: false,
                    state: State::Abandoned,
                    in_flight: false,
                    misses: 0,
                    fast_retransmitted: false,
                    sack_stamp: 0,
                });
                return tsn;
            }
        }
        let len = frag.data.len();
        let wire = self.chunk_size(len);
        self.in_flight += len;
        self.outstanding += len;
        self.path_mut(path).in_flight += wire;
        // RFC 9260 §6.2.1 B: sending reduces our view of the peer's rwnd.
        self.rwnd = self.rwnd.saturating_sub(len);
        if self.rtt_probe.is_none() {
            self.rtt_probe = Some(tsn);
        }
        self.entries.push_back(Entry {
            frag,
            path,
            sent_at: now,
            transmissions: 1,
            multi_path: false,
            state: State::Outstanding,
            in_flight: true,
            misses: 0,
            fast_retransmitted: false,
            sack_stamp: 0,
        });
        tsn
    }

    fn tsn_at(&self, idx: usize) -> Tsn {
        // `entries` never holds more than the TSN space allows.
        self.cum_ack.add(1).add(idx as u32)
    }

    fn remove_from_flight(&mut self, idx: usize) {
        let Some(e) = self.entries.get_mut(idx) else {
            return;
        };
        if e.in_flight {
            e.in_flight = false;
            let len = e.frag.data.len();
            let path = e.path;
            let wire = self.chunk_size(len);
            self.in_flight -= len;
            if let Some(p) = self.paths.get_mut(path) {
                p.in_flight -= wire;
            }
        }
    }

    /// Processes a SACK (RFC 9260 §6.2.1). `gap_blocks` are relative to
    /// `cum_tsn_ack` as on the wire; invalid or out-of-range blocks are
    /// ignored. An `Err` means the peer violated the protocol: ABORT.
    pub fn handle_sack(
        &mut self,
        cum_tsn_ack: Tsn,
        gap_blocks: impl IntoIterator<Item = GapAckBlock>,
        a_rwnd: u32,
        now: Instant,
    ) -> Result<SackOutcome, SackError> {
        // RFC 9260 §6.2.1 D i: an older SACK arrived late.
        if cum_tsn_ack.lt(self.cum_ack) {
            let mut out = SackOutcome::empty(self.cum_ack);
            out.stale = true;
            return Ok(out);
        }
        let highest_sent = self.next_tsn.prev();
        if cum_tsn_ack.gt(highest_sent) {
            return Err(SackError::CumAckBeyondSent {
                cum_ack: cum_tsn_ack,
                highest_sent,
            });
        }
        for p in &mut self.paths {
            p.info = PathAckInfo::default();
        }
        self.sack_counter = self.sack_counter.wrapping_add(1);
        let stamp = self.sack_counter;
        let was_in_fast_recovery = self.fast_recovery_exit.is_some();
        let mut out = SackOutcome::empty(self.cum_ack);
        // Index (in the queue after the cumulative ack) of the highest TSN
        // newly acknowledged by a gap block.
        let mut htna_idx: Option<usize> = None;

        // Cumulative ack.
        let advance = cum_tsn_ack.distance(self.cum_ack) as usize;
        for _ in 0..advance {
            let Some(e) = self.entries.pop_front() else {
                break;
            };
            let tsn = self.cum_ack.next();
            self.cum_ack = tsn;
            let len = e.frag.data.len();
            let wire = self.chunk_size(len);
            if e.in_flight {
                self.in_flight -= len;
                self.path_mut(e.path).in_flight -= wire;
            }
            match e.state {
                State::Outstanding | State::ToRetransmit => {
                    if e.state == State::ToRetransmit {
                        self.to_retransmit -= 1;
                    }
                    self.outstanding -= len;
                    out.newly_acked_bytes += len;
                    let info = &mut self.path_mut(e.path).info;
                    info.newly_acked_bytes += wire;
                    info.earliest_outstanding_acked = true;
                    info.acked_sent_only_here |= !e.multi_path;
                    self.take_rtt_sample(tsn, e.transmissions, e.sent_at, e.path, now, &mut out);
                }
                State::Acked | State::Abandoned => {}
            }
        }
        self.rtx_hint = self.rtx_hint.saturating_sub(advance);
        out.cum_ack = self.cum_ack;
        out.cum_ack_advanced = advance > 0;
        // RFC 9260 §6.2.1 D iv.
        if let Some(exit) = self.fast_recovery_exit {
            if self.cum_ack.ge(exit) {
                self.fast_recovery_exit = None;
            }
        }

        // Gap ack blocks.
        let mut highest_reported: Option<usize> = None;
        for b in gap_blocks {
            if b.start == 0 || b.start > b.end {
                continue;
            }
            let first = usize::from(b.start) - 1;
            if first >= self.entries.len() {
                continue;
            }
            let last = (usize::from(b.end) - 1).min(self.entries.len() - 1);
            highest_reported = highest_reported.max(Some(last));
            for idx in first..=last {
                let tsn = self.tsn_at(idx);
                let Some(e) = self.entries.get_mut(idx) else {
                    break;
                };
                e.sack_stamp = stamp;
                match e.state {
                    State::Outstanding | State::ToRetransmit => {
                        let (len, path) = (e.frag.data.len(), e.path);
                        let (transmissions, sent_at) = (e.transmissions, e.sent_at);
                        let only_here = !e.multi_path;
                        if e.state == State::ToRetransmit {
                            self.to_retransmit -= 1;
                        }
                        e.state = State::Acked;
                        e.misses = 0;
                        self.outstanding -= len;
                        out.newly_acked_bytes += len;
                        htna_idx = htna_idx.max(Some(idx));
                        self.remove_from_flight(idx);
                        let wire = self.chunk_size(len);
                        let info = &mut self.path_mut(path).info;
                        info.newly_acked_bytes += wire;
                        info.acked_sent_only_here |= only_here;
                        self.take_rtt_sample(tsn, transmissions, sent_at, path, now, &mut out);
                    }
                    State::Acked | State::Abandoned => {}
                }
            }
        }

        // Holes: miss indications (HTNA, RFC 9260 §7.2.4) and reneging
        // (§6.2.1 D iii).
        let miss_limit = if was_in_fast_recovery && out.cum_ack_advanced {
            // In fast recovery a SACK advancing the cum ack counts a miss
            // for every TSN it reports missing.
            highest_reported
        } else {
            htna_idx
        };
        let previous_highest = self
            .highest_gap_acked
            .map(|t| t.distance(self.cum_ack))
            .filter(|d| *d > 0)
            .map(|d| d as usize - 1);
        let scan_end = miss_limit
            .max(previous_highest)
            .map_or(0, |i| (i + 1).min(self.entries.len()));
        for idx in 0..scan_end {
            let Some(e) = self.entries.get_mut(idx) else {
                break;
            };
            if e.sack_stamp == stamp {
                continue;
            }
            match e.state {
                State::Acked => {
                    // Reneged: outstanding again but not in flight (it was
                    // removed from flight when gap-acked); one miss.
                    e.state = State::Outstanding;
                    e.misses = 1;
                    let (len, path) = (e.frag.data.len(), e.path);
                    self.outstanding += len;
                    self.path_mut(path).info.reneged = true;
                }
                State::Outstanding if miss_limit.is_some_and(|m| idx < m) => {
                    e.misses = e.misses.saturating_add(1);
                    if e.misses >= FAST_RETRANSMIT_MISSES && !e.fast_retransmitted {
                        // §7.2.4 step 5: at most one fast retransmit per TSN.
                        e.fast_retransmitted = true;
                        let path = e.path;
                        tracing::trace!(tsn = %self.cum_ack.add(1).add(idx as u32), "fast retransmit");
                        if self.mark_for_retransmission(idx, now) {
                            out.fast_retransmit = true;
                            out.fast_retransmit_marked += 1;
                            self.path_mut(path).info.fast_retransmit = true;
                        }
                    }
                }
                _ => {}
            }
        }
        self.highest_gap_acked = highest_reported.map(|i| self.tsn_at(i));

        // §7.2.4 step 6.
        if out.fast_retransmit && self.fast_recovery_exit.is_none() {
            tracing::debug!(exit = %highest_sent, "entering fast recovery");
            self.fast_recovery_exit = Some(highest_sent);
            out.entered_fast_recovery = true;
        }
        // RFC 9260 §6.2.1 D ii.
        self.rwnd = (a_rwnd as usize).saturating_sub(self.in_flight);
        Ok(out)
    }

    fn take_rtt_sample(
        &mut self,
        tsn: Tsn,
        transmissions: u16,
        sent_at: Instant,
        path: usize,
        now: Instant,
        out: &mut SackOutcome,
    ) {
        if transmissions == 1 {
            let rtt = now.saturating_duration_since(sent_at);
            let info = &mut self.path_mut(path).info;
            info.latest_rtt = Some(info.latest_rtt.map_or(rtt, |r| r.min(rtt)));
        }
        // At most one measurement per round trip: only the probe chunk.
        if self.rtt_probe == Some(tsn) {
            self.rtt_probe = None;
            // Karn's rule (RFC 9260 §6.3.1 C5): never from a retransmitted
            // chunk.
            if transmissions == 1 {
                out.rtt_sample = Some((path, now - sent_at));
            }
        }
    }

    /// Marks the chunk at `idx` for retransmission, or abandons its message
    /// if its partial reliability policy says so (RFC 7496). Returns true
    /// if it was marked.
    fn mark_for_retransmission(&mut self, idx: usize, now: Instant) -> bool {
        let tsn = self.tsn_at(idx);
        let Some(e) = self.entries.get(idx) else {
            return false;
        };
        let give_up = match e.frag.pr {
            PrPolicy::None => false,
            PrPolicy::Ttl(expiry) => now >= expiry,
            PrPolicy::MaxRetransmits(n) => e.transmissions > n,
        };
        if give_up {
            let reason = match e.frag.pr {
                PrPolicy::Ttl(_) => FailReason::Expired,
                _ => FailReason::MaxRetransmits,
            };
            self.abandon_message(idx, reason);
            return false;
        }
        self.remove_from_flight(idx);
        if let Some(e) = self.entries.get_mut(idx) {
            e.state = State::ToRetransmit;
            e.misses = 0;
            self.to_retransmit += 1;
            self.rtx_hint = self.rtx_hint.min(idx);
        }
        if self.rtt_probe == Some(tsn) {
            self.rtt_probe = None;
        }
        true
    }

    /// Abandons every fragment of the message of the chunk at `idx`
    /// (RFC 3758 §3.5 A3) and hands the message back once.
    fn abandon_message(&mut self, idx: usize, reason: FailReason) {
        let Some(e) = self.entries.get(idx) else {
            return;
        };
        let id = e.frag.message_id;
        let msg = e.frag.to_message();
        tracing::debug!(message = id.0, stream = %msg.stream, ?reason, "abandoning message");
        // Fragments of one message have increasing TSNs between its B and E
        // fragments; with I-DATA other messages may sit in between.
        let mut first = idx;
        if !e.frag.begin {
            while first > 0 {
                first -= 1;
                if self
                    .entries
                    .get(first)
                    .is_some_and(|f| f.frag.message_id == id && f.frag.begin)
                {
                    break;
                }
            }
        }
        let mut i = first;
        let mut end_seen = false;
        while let Some(f) = self.entries.get(i) {
            if f.frag.message_id == id {
                end_seen = f.frag.end;
                self.abandon_chunk(i);
                if end_seen {
                    break;
                }
            }
            i += 1;
        }
        if !end_seen {
            if self.abandoned_partial.len() >= MAX_ABANDONED_PARTIAL {
                self.abandoned_partial.pop_front();
            }
            self.abandoned_partial.push_back(id);
        }
        self.failed.push_back(FailedMessage { id, msg, reason });
    }

    fn abandon_chunk(&mut self, idx: usize) {
        let tsn = self.tsn_at(idx);
        self.remove_from_flight(idx);
        let Some(e) = self.entries.get_mut(idx) else {
            return;
        };
        match e.state {
            State::Outstanding => self.outstanding -= e.frag.data.len(),
            State::ToRetransmit => {
                self.outstanding -= e.frag.data.len();
                self.to_retransmit -= 1;
            }
            State::Acked | State::Abandoned => {}
        }
        e.state = State::Abandoned;
        if self.rtt_probe == Some(tsn) {
            self.rtt_probe = None;
        }
    }

    /// T3-rtx expired on `path` (RFC 9260 §6.3.3 E3): every chunk
    /// outstanding there is marked for retransmission (or abandoned, per its
    /// policy). Returns the DATA chunk bytes removed from the path's flight.
    pub fn on_t3_expired(&mut self, path: usize, now: Instant) -> usize {
        tracing::debug!(path, "T3-rtx expired");
        let before = self.path_bytes_in_flight(path);
        for idx in 0..self.entries.len() {
            let Some(e) = self.entries.get(idx) else {
                break;
            };
            if e.path == path && e.state == State::Outstanding {
                self.mark_for_retransmission(idx, now);
            }
        }
        before - self.path_bytes_in_flight(path)
    }

    /// The path the lowest-TSN chunk marked for retransmission was last
    /// sent on, if any chunk is marked (to choose an alternate destination
    /// for it, RFC 9260 §6.4). Amortised O(1): it starts at the same hint
    /// as [`Self::next_retransmission`].
    pub fn retransmission_last_path(&self) -> Option<usize> {
        if self.to_retransmit == 0 {
            return None;
        }
        self.entries
            .range(self.rtx_hint.min(self.entries.len())..)
            .find(|e| e.state == State::ToRetransmit)
            .map(|e| e.path)
    }

    /// Takes the lowest-TSN chunk marked for retransmission if it fits in
    /// `max_size` bytes of user data, and records it as sent on `path` at
    /// `now` (RFC 9260 §6.1: retransmissions go before new data). Chunks
    /// whose lifetime ended are abandoned instead (RFC 7496 §3.1).
    ///
    /// Returns `None` when the lowest marked chunk does not fit, so order is
    /// kept; if even an empty packet is too small (the PMTU shrank), pass
    /// `usize::MAX` and send it alone, letting IP fragment it.
    pub fn next_retransmission(
        &mut self,
        now: Instant,
        path: usize,
        max_size: usize,
    ) -> Option<(Tsn, OutgoingFragment)> {
        while self.to_retransmit > 0 {
            let idx = (self.rtx_hint..self.entries.len()).find(|&i| {
                self.entries
                    .get(i)
                    .is_some_and(|e| e.state == State::ToRetransmit)
            })?;
            self.rtx_hint = idx;
            let e = self.entries.get(idx)?;
            if let PrPolicy::Ttl(expiry) = e.frag.pr {
                if now >= expiry {
                    self.abandon_message(idx, FailReason::Expired);
                    continue;
                }
            }
            let len = e.frag.data.len();
            if len > max_size {
                return None;
            }
            let tsn = self.tsn_at(idx);
            let e = self.entries.get_mut(idx)?;
            e.state = State::Outstanding;
            e.in_flight = true;
            e.transmissions = e.transmissions.saturating_add(1);
            e.sent_at = now;
            e.multi_path |= e.path != path;
            e.path = path;
            e.misses = 0;
            let frag = e.frag.clone();
            self.to_retransmit -= 1;
            self.in_flight += len;
            let wire = self.chunk_size(len);
            self.path_mut(path).in_flight += wire;
            self.rwnd = self.rwnd.saturating_sub(len);
            return Some((tsn, frag));
        }
        None
    }

    /// Abandons, now, every message whose lifetime has ended among chunks
    /// waiting for retransmission or in flight (RFC 7496 §3.1). O(queue):
    /// call it from timers, not per packet.
    pub fn expire(&mut self, now: Instant) {
        for idx in 0..self.entries.len() {
            let Some(e) = self.entries.get(idx) else {
                break;
            };
            if matches!(e.state, State::Outstanding | State::ToRetransmit)
                && matches!(e.frag.pr, PrPolicy::Ttl(x) if now >= x)
            {
                self.abandon_message(idx, FailReason::Expired);
            }
        }
    }

    /// The next abandoned message, with its data, for the "send failed"
    /// event. If its last fragment was not sent yet, also call
    /// [`SendQueue::discard`](super::SendQueue::discard) with its stream and
    /// id so the rest is dropped (RFC 3758 §3.5 A3).
    pub fn take_failed(&mut self) -> Option<FailedMessage> {
        self.failed.pop_front()
    }

    /// The Advanced.Peer.Ack.Point and stream entries for a FORWARD-TSN
    /// (`i_data == false`) or I-FORWARD-TSN chunk, if the point is ahead of
    /// the cumulative ack (RFC 3758 §3.5 C1–C4, RFC 8260 §2.3). At most
    /// `max_streams` entries are returned: when more would be needed, the
    /// point is lowered so that the chunk fits in one packet (C4).
    pub fn forward_tsn(
        &self,
        i_data: bool,
        max_streams: usize,
    ) -> Option<(Tsn, Vec<ForwardTsnStream>)> {
        let mut streams: Vec<ForwardTsnStream> = Vec::new();
        let mut run = 0u32;
        for e in self.entries.iter() {
            if e.state != State::Abandoned {
                break;
            }
            let f = &e.frag;
            // C4: FORWARD-TSN lists ordered messages only; I-FORWARD-TSN
            // lists both kinds, distinguished by the U flag.
            if !f.unordered || i_data {
                let full = streams.len() >= max_streams;
                match streams
                    .iter_mut()
                    .find(|s| s.stream == f.stream && s.unordered == f.unordered)
                {
                    Some(s) => {
                        if f.ssn.gt(s.ssn) {
                            s.ssn = f.ssn;
                        }
                        if f.mid.gt(s.mid) {
                            s.mid = f.mid;
                        }
                    }
                    None if full => break,
                    None => streams.push(ForwardTsnStream {
                        stream: f.stream,
                        unordered: f.unordered,
                        ssn: f.ssn,
                        mid: f.mid,
                    }),
                }
            }
            run += 1;
        }
        if run == 0 {
            return None;
        }
        Some((self.cum_ack.add(run), streams))
    }

    /// The association ended: hands back every message with a chunk not
    /// cumulatively acknowledged (gap-acknowledged data may be reneged and
    /// ordered data behind a hole is never delivered, so it counts as not
    /// delivered), once each, and empties the queue. Messages whose last
    /// fragment was never sent are left to
    /// [`SendQueue::drain_all`](super::SendQueue::drain_all), which holds
    /// their remainder. Pending [`take_failed`](Self::take_failed) entries
    /// come first.
    pub fn drain_all_unacked(&mut self) -> Vec<FailedMessage> {
        let mut out: Vec<FailedMessage> = self.failed.drain(..).collect();
        let mut unacked: Vec<MessageId> = self
            .entries
            .iter()
            .filter(|e| e.state != State::Abandoned)
            .map(|e| e.frag.message_id)
            .collect();
        unacked.sort_unstable();
        unacked.dedup();
        for e in &self.entries {
            if e.frag.end && unacked.binary_search(&e.frag.message_id).is_ok() {
                out.push(FailedMessage {
                    id: e.frag.message_id,
                    msg: e.frag.to_message(),
                    reason: FailReason::AssociationClosed,
                });
            }
        }
        self.cum_ack = self.next_tsn.prev();
        self.entries.clear();
        self.in_flight = 0;
        self.outstanding = 0;
        self.to_retransmit = 0;
        self.rtx_hint = 0;
        self.rtt_probe = None;
        self.fast_recovery_exit = None;
        self.highest_gap_acked = None;
        for p in &mut self.paths {
            p.in_flight = 0;
        }
        out
    }

    /// RFC 6525 §5.2.4 G2/G3 and §5.2.7 H5 (SSN/TSN reset): the next new
    /// chunk gets `next_tsn`, and everything before it counts as
    /// acknowledged. The association resets TSNs only with nothing
    /// outstanding; should anything still be queued, its messages are
    /// handed back through [`take_failed`](Self::take_failed) rather than
    /// silently dropped.
    pub fn restart(&mut self, next_tsn: Tsn) {
        if !self.entries.is_empty() {
            let lost = self.drain_all_unacked();
            self.failed.extend(lost.into_iter().map(|mut f| {
                // Reported as abandoned: the association lives on.
                f.reason = FailReason::MaxRetransmits;
                f
            }));
        }
        self.next_tsn = next_tsn;
        self.cum_ack = next_tsn.prev();
        self.rtt_probe = None;
        self.fast_recovery_exit = None;
        self.highest_gap_acked = None;
        self.abandoned_partial.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{OutgoingMessage, SchedulerKind, SendQueue, SendQueueConfig};
    use crate::types::{Fsn, Ppid};
    use bytes::Bytes;

    const T0: Instant = Instant::ZERO;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    /// A whole message in one chunk.
    fn frag(id: u64, stream: u16, ssn: u16, len: usize, pr: PrPolicy) -> OutgoingFragment {
        let data = Bytes::from(vec![id as u8; len]);
        OutgoingFragment {
            stream: StreamId(stream),
            ppid: Ppid(0),
            unordered: false,
            ssn: Ssn(ssn),
            mid: Mid(u32::from(ssn)),
            fsn: Fsn(0),
            begin: true,
            end: true,
            data: data.clone(),
            message: data,
            message_id: MessageId(id),
            pr,
        }
    }

    /// Queue starting at TSN 10 with `n` 100-byte single-chunk messages on
    /// path 0.
    fn sent(n: u64) -> RetransmissionQueue {
        let mut q = RetransmissionQueue::new(Tsn(10), 100_000);
        for i in 0..n {
            q.add_sent(frag(i, 0, i as u16, 100, PrPolicy::None), 0, T0);
        }
        q
    }

    fn gap(start: u16, end: u16) -> GapAckBlock {
        GapAckBlock { start, end }
    }

    fn sack(q: &mut RetransmissionQueue, cum: u32, gaps: &[(u16, u16)]) -> SackOutcome {
        q.handle_sack(
            Tsn(cum),
            gaps.iter().map(|&(s, e)| gap(s, e)),
            100_000,
            ms(1),
        )
        .unwrap()
    }

    /// RFC 9260 §3, §7.2.2: a path's flight counts DATA chunks with header
    /// and padding; the peer's window (§6.2.1) counts user data.
    #[test]
    fn path_flight_counts_whole_chunks_and_rwnd_counts_user_data() {
        let mut q = RetransmissionQueue::new(Tsn(1), 10_000);
        assert_eq!(
            [q.chunk_size(0), q.chunk_size(1), q.chunk_size(4)],
            [16, 20, 20]
        );
        q.add_sent(frag(0, 0, 0, 5, PrPolicy::None), 0, T0);
        assert_eq!((q.path_bytes_in_flight(0), q.bytes_in_flight()), (24, 5));
        assert_eq!(q.peer_rwnd(), 9_995);
        let mut i = RetransmissionQueue::new(Tsn(1), 10_000);
        i.set_i_data(true);
        assert_eq!(i.chunk_size(5), 28);
        i.add_sent(frag(0, 0, 0, 5, PrPolicy::None), 0, T0);
        let out = i.handle_sack(Tsn(1), [], 10_000, ms(1)).unwrap();
        assert_eq!(out.newly_acked_bytes, 5);
        assert_eq!(i.path_ack_info(0).newly_acked_bytes, 28);
        assert_eq!(i.path_bytes_in_flight(0), 0);
    }

    #[test]
    fn tsns_are_assigned_in_order_across_wrap() {
        let mut q = RetransmissionQueue::new(Tsn(u32::MAX - 1), 100_000);
        let tsns: Vec<Tsn> = (0..4)
            .map(|i| q.add_sent(frag(i, 0, 0, 10, PrPolicy::None), 0, T0))
            .collect();
        assert_eq!(tsns, [Tsn(u32::MAX - 1), Tsn(u32::MAX), Tsn(0), Tsn(1)]);
        let out = sack(&mut q, 0, &[]);
        assert!(out.cum_ack_advanced);
        assert_eq!(out.newly_acked_bytes, 30);
        assert_eq!((q.cum_ack(), q.bytes_in_flight()), (Tsn(0), 10));
        let out = sack(&mut q, 1, &[]);
        assert_eq!(out.newly_acked_bytes, 10);
        assert!(!q.has_outstanding());
    }

    #[test]
    fn cum_ack_and_gap_blocks_ack_once() {
        let mut q = sent(5); // TSN 10..=14
        let out = sack(&mut q, 10, &[(2, 3)]); // 10, 12, 13
        assert_eq!(out.newly_acked_bytes, 300);
        // The path counts DATA chunks whole: 16-byte header each.
        assert_eq!(q.path_ack_info(0).newly_acked_bytes, 3 * 116);
        assert!(q.path_ack_info(0).earliest_outstanding_acked);
        assert_eq!((q.bytes_in_flight(), q.outstanding_bytes()), (200, 200));
        // The same SACK again acknowledges nothing new.
        let out = sack(&mut q, 10, &[(2, 3)]);
        assert_eq!(out.newly_acked_bytes, 0);
        assert!(!out.cum_ack_advanced);
        assert!(!q.path_ack_info(0).earliest_outstanding_acked);
        // Cum ack over gap-acked chunks does not count them again.
        let out = sack(&mut q, 13, &[]);
        assert_eq!(out.newly_acked_bytes, 100);
        assert_eq!(q.bytes_in_flight(), 100);
    }

    /// RFC 7829 §3.2 rules 9–10: an ack proves a path works only for
    /// chunks that were never sent anywhere else.
    #[test]
    fn acks_tell_whether_the_chunk_went_to_one_path_only() {
        let mut q = sent(3); // TSN 10..=12 on path 0
        q.add_sent(frag(3, 0, 3, 100, PrPolicy::None), 1, T0); // 13 on path 1
        q.on_t3_expired(0, ms(1));
        // TSN 10 and 11 retransmitted to path 1, TSN 12 to path 0 again.
        assert!(q.next_retransmission(ms(1), 1, 1000).is_some());
        assert!(q.next_retransmission(ms(1), 1, 1000).is_some());
        assert!(q.next_retransmission(ms(1), 0, 1000).is_some());
        // Cum ack 10 (moved to path 1); gap-acked 11 (moved) and 13 (path
        // 1 only): path 1 learns something of its own.
        sack(&mut q, 10, &[(1, 1), (3, 3)]);
        let p1 = q.path_ack_info(1);
        assert_eq!(p1.newly_acked_bytes, 3 * 116);
        assert!(p1.acked_sent_only_here);
        // Only chunks that were also sent to path 0: no proof for path 1.
        let mut q = sent(2);
        q.on_t3_expired(0, ms(1));
        assert!(q.next_retransmission(ms(1), 1, 1000).is_some());
        assert!(q.next_retransmission(ms(1), 0, 1000).is_some());
        sack(&mut q, 10, &[]);
        let (p0, p1) = (q.path_ack_info(0), q.path_ack_info(1));
        assert_eq!(
            (p1.newly_acked_bytes, p1.acked_sent_only_here),
            (116, false)
        );
        assert_eq!((p0.newly_acked_bytes, p0.acked_sent_only_here), (0, false));
        // Retransmitted to the same path it was sent to: still one path.
        sack(&mut q, 11, &[]);
        let p0 = q.path_ack_info(0);
        assert_eq!((p0.newly_acked_bytes, p0.acked_sent_only_here), (116, true));
    }

    #[test]
    fn invalid_gap_blocks_are_ignored() {
        let mut q = sent(3);
        let out = sack(&mut q, 9, &[(0, 1), (3, 2), (10, 20), (3, 500)]);
        // Only (3, 500) is usable, clamped to TSN 12.
        assert_eq!(out.newly_acked_bytes, 100);
        assert_eq!(q.outstanding_bytes(), 200);
    }

    #[test]
    fn stale_sack_is_ignored_and_ack_beyond_sent_is_an_error() {
        let mut q = sent(3);
        sack(&mut q, 11, &[]);
        let rwnd = q.peer_rwnd();
        let out = q.handle_sack(Tsn(10), [gap(1, 2)], 5, T0).unwrap();
        assert!(out.stale);
        assert_eq!((q.cum_ack(), q.peer_rwnd()), (Tsn(11), rwnd));
        assert_eq!(
            q.handle_sack(Tsn(13), [], 5, T0),
            Err(SackError::CumAckBeyondSent {
                cum_ack: Tsn(13),
                highest_sent: Tsn(12)
            })
        );
    }

    #[test]
    fn fast_retransmit_after_three_htna_misses_once() {
        let mut q = sent(7); // 10..=16
                             // TSN 13 acked: 11 and 12 missing below the HTNA; 14.. are not.
        for round in 1..=2 {
            let out = sack(&mut q, 10, &[(3, 3)]);
            assert!(!out.fast_retransmit, "round {round}");
            // Duplicates add no miss (nothing newly acked).
            sack(&mut q, 10, &[(3, 3)]);
            // Next SACK acks one more TSN above (14 then 15).
            q.handle_sack(Tsn(10), [gap(3, 3 + round)], 100_000, T0)
                .unwrap();
        }
        // 11 and 12 now have 3 misses (one per SACK with a new HTNA):
        // round 1: (3,3) new -> 1, (3,4) -> 2; round 2: (3,5) -> 3.
        assert!(q.in_fast_recovery());
        let rtx: Vec<Tsn> = core::iter::from_fn(|| q.next_retransmission(ms(2), 0, 1000))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(rtx, [Tsn(11), Tsn(12)]);
        // In flight: 16 and the two retransmissions.
        assert_eq!(q.bytes_in_flight(), 300);
        // More misses: no second fast retransmit for the same TSNs.
        for e in 6..=7 {
            let out = sack(&mut q, 10, &[(3, e)]);
            assert!(!out.fast_retransmit);
        }
        let out = sack(&mut q, 10, &[(3, 6)]);
        assert!(!out.fast_retransmit);
        assert!(!q.has_retransmissions());
    }

    #[test]
    fn exactly_three_misses_trigger_and_enter_fast_recovery_once() {
        let mut q = sent(6); // 10..=15
        let outs: Vec<SackOutcome> = (2..=5).map(|e| sack(&mut q, 9, &[(2, e)])).collect();
        // Misses of TSN 10: 1, 2, 3 → the third SACK triggers.
        assert_eq!(
            outs.iter().map(|o| o.fast_retransmit).collect::<Vec<_>>(),
            [false, false, true, false]
        );
        assert!(outs[2].entered_fast_recovery);
        assert!(!outs[3].entered_fast_recovery);
        assert_eq!(q.bytes_in_flight(), 100); // only 15 unacked in flight
        assert!(q.has_retransmissions());
        // Exit fast recovery once the exit point (15) is acknowledged.
        let (tsn, _) = q.next_retransmission(ms(1), 0, 100).unwrap();
        assert_eq!(tsn, Tsn(10));
        sack(&mut q, 14, &[]);
        assert!(q.in_fast_recovery());
        sack(&mut q, 15, &[]);
        assert!(!q.in_fast_recovery());
    }

    #[test]
    fn in_fast_recovery_a_cum_advance_counts_misses_for_all_reported_holes() {
        let mut q = sent(11); // 10..=20
        sack(&mut q, 9, &[(2, 2)]); // 11: miss 10
        sack(&mut q, 9, &[(2, 2), (4, 4)]); // 13: miss 10, 12
        let out = sack(&mut q, 9, &[(2, 2), (4, 5)]); // 14: 10 has 3
        assert!(out.entered_fast_recovery);
        assert_eq!(q.next_retransmission(ms(1), 0, 100).unwrap().0, Tsn(10));
        // Acks 10 by the cum ack; nothing above is newly acknowledged, so
        // HTNA alone would not count, but fast recovery does: 12 → 3 misses.
        let out = sack(&mut q, 11, &[(2, 3)]);
        assert!(out.fast_retransmit);
        assert!(!out.entered_fast_recovery);
        assert_eq!(q.next_retransmission(ms(1), 0, 100).unwrap().0, Tsn(12));
    }

    #[test]
    fn t3_marks_only_that_path_and_retransmits_in_tsn_order() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        for i in 0..4 {
            q.add_sent(frag(i, 0, 0, 100, PrPolicy::None), (i % 2) as usize, T0);
        }
        // Paths count DATA chunks whole (16-byte header), the total user
        // data only.
        assert_eq!(q.path_bytes_in_flight(0), 2 * 116);
        assert_eq!(q.on_t3_expired(0, ms(1)), 2 * 116);
        assert_eq!((q.path_bytes_in_flight(0), q.bytes_in_flight()), (0, 200));
        assert_eq!(q.outstanding_bytes(), 400);
        // Does not fit: nothing, and order is preserved.
        assert_eq!(q.next_retransmission(ms(2), 1, 99), None);
        let (t, f) = q.next_retransmission(ms(2), 1, 100).unwrap();
        assert_eq!((t, f.message_id), (Tsn(1), MessageId(0)));
        assert_eq!(q.next_retransmission(ms(2), 1, 100).unwrap().0, Tsn(3));
        assert_eq!(q.next_retransmission(ms(2), 1, 100), None);
        assert_eq!(q.path_bytes_in_flight(1), 4 * 116);
    }

    #[test]
    fn rwnd_is_a_rwnd_minus_bytes_in_flight() {
        let mut q = RetransmissionQueue::new(Tsn(1), 1000);
        q.add_sent(frag(0, 0, 0, 300, PrPolicy::None), 0, T0);
        q.add_sent(frag(1, 0, 1, 300, PrPolicy::None), 0, T0);
        assert_eq!(q.peer_rwnd(), 400);
        q.handle_sack(Tsn(1), [], 900, T0).unwrap();
        assert_eq!(q.peer_rwnd(), 600);
        q.handle_sack(Tsn(2), [], 100, T0).unwrap();
        assert_eq!(q.peer_rwnd(), 100);
        q.add_sent(frag(2, 0, 2, 300, PrPolicy::None), 0, T0);
        assert_eq!(q.peer_rwnd(), 0);
    }

    #[test]
    fn rtt_samples_once_per_round_trip_and_never_from_retransmissions() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        q.add_sent(frag(0, 0, 0, 10, PrPolicy::None), 3, ms(10));
        q.add_sent(frag(1, 0, 1, 10, PrPolicy::None), 3, ms(11));
        let out = q.handle_sack(Tsn(2), [], 100_000, ms(50)).unwrap();
        assert_eq!(out.rtt_sample, Some((3, Duration::from_millis(40))));
        // Next probe: TSN 3; it gets retransmitted → no sample.
        q.add_sent(frag(2, 0, 2, 10, PrPolicy::None), 0, ms(60));
        q.on_t3_expired(0, ms(100));
        q.next_retransmission(ms(100), 0, 100).unwrap();
        let out = q.handle_sack(Tsn(3), [], 100_000, ms(120)).unwrap();
        assert_eq!(out.rtt_sample, None);
        // A fresh chunk then gives a sample again.
        q.add_sent(frag(3, 0, 3, 10, PrPolicy::None), 0, ms(130));
        let out = q.handle_sack(Tsn(4), [], 100_000, ms(135)).unwrap();
        assert_eq!(out.rtt_sample, Some((0, Duration::from_millis(5))));
    }

    #[test]
    fn max_retransmits_abandons_and_forward_tsn_skips_streams() {
        let mut q = RetransmissionQueue::new(Tsn(100), 100_000);
        let mut unordered = frag(2, 3, 0, 10, PrPolicy::MaxRetransmits(0));
        unordered.unordered = true;
        unordered.mid = Mid(7);
        let sent = [
            frag(0, 1, 4, 10, PrPolicy::MaxRetransmits(0)),
            frag(1, 1, 5, 10, PrPolicy::MaxRetransmits(0)),
            unordered,
            frag(3, 2, 9, 10, PrPolicy::MaxRetransmits(0)),
            frag(4, 2, 10, 10, PrPolicy::None),
            frag(5, 2, 11, 10, PrPolicy::MaxRetransmits(0)),
        ];
        for f in sent.iter().cloned() {
            q.add_sent(f, 0, T0);
        }
        assert_eq!(q.forward_tsn(false, 100), None);
        q.on_t3_expired(0, ms(1));
        assert_eq!(q.bytes_in_flight(), 0);
        assert_eq!(q.outstanding_bytes(), 10); // only the reliable one
        let failed: Vec<FailedMessage> = core::iter::from_fn(|| q.take_failed()).collect();
        assert_eq!(
            failed.iter().map(|f| f.id.0).collect::<Vec<_>>(),
            [0, 1, 2, 3, 5]
        );
        assert!(failed
            .iter()
            .all(|f| f.reason == FailReason::MaxRetransmits));
        assert_eq!(failed[1].msg, sent[1].to_message());
        // The point stops before the reliable chunk (TSN 104).
        let (point, streams) = q.forward_tsn(false, 100).unwrap();
        assert_eq!(point, Tsn(103));
        let entry = |s, u, ssn, mid| ForwardTsnStream {
            stream: StreamId(s),
            unordered: u,
            ssn: Ssn(ssn),
            mid: Mid(mid),
        };
        assert_eq!(streams, [entry(1, false, 5, 5), entry(2, false, 9, 9)]);
        let (_, streams) = q.forward_tsn(true, 100).unwrap();
        assert_eq!(
            streams,
            [
                entry(1, false, 5, 5),
                entry(3, true, 0, 7),
                entry(2, false, 9, 9)
            ]
        );
        // The peer acknowledges the point: the abandoned chunks go, nothing
        // counted as newly acked.
        let out = q.handle_sack(Tsn(103), [], 100_000, ms(2)).unwrap();
        assert_eq!(out.newly_acked_bytes, 0);
        assert_eq!(q.forward_tsn(false, 100), None);
        assert_eq!(q.next_retransmission(ms(2), 0, 100).unwrap().0, Tsn(104));
        q.handle_sack(Tsn(104), [], 100_000, ms(2)).unwrap();
        assert_eq!(q.forward_tsn(false, 100).unwrap().0, Tsn(105));
    }

    #[test]
    fn forward_tsn_point_is_lowered_to_fit_max_streams() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        for (i, stream) in [1u16, 2, 1, 3].into_iter().enumerate() {
            q.add_sent(
                frag(i as u64, stream, i as u16, 10, PrPolicy::MaxRetransmits(0)),
                0,
                T0,
            );
        }
        q.on_t3_expired(0, T0);
        let (point, streams) = q.forward_tsn(false, 2).unwrap();
        assert_eq!(point, Tsn(3));
        assert_eq!(streams.len(), 2);
        assert_eq!(q.forward_tsn(false, 3).unwrap().0, Tsn(4));
    }

    #[test]
    fn fragments_of_an_abandoned_message_sent_later_are_abandoned_on_arrival() {
        let mut sq = SendQueue::new(SendQueueConfig::default());
        let mut rtx = RetransmissionQueue::new(Tsn(1), 100_000);
        let mut m = OutgoingMessage::new(StreamId(0), Ppid(1), Bytes::from(vec![1u8; 250]));
        m.pr = PrPolicy::MaxRetransmits(0);
        sq.enqueue(m, T0).unwrap();
        rtx.add_sent(sq.produce(T0, 100, false).unwrap(), 0, T0);
        rtx.on_t3_expired(0, T0);
        // The association sends on without discarding first.
        for _ in 0..2 {
            rtx.add_sent(sq.produce(T0, 100, false).unwrap(), 0, T0);
        }
        assert_eq!((rtx.bytes_in_flight(), rtx.outstanding_bytes()), (0, 0));
        assert!(rtx.take_failed().is_some());
        assert!(rtx.drain_all_unacked().is_empty());
        assert_eq!(rtx.abandoned_partial.len(), 0);
    }

    #[test]
    fn limited_retransmissions_allow_exactly_n() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        q.add_sent(frag(0, 0, 0, 10, PrPolicy::MaxRetransmits(2)), 0, T0);
        for _ in 0..2 {
            q.on_t3_expired(0, T0);
            assert!(q.next_retransmission(T0, 0, 100).is_some());
        }
        q.on_t3_expired(0, T0);
        assert!(q.next_retransmission(T0, 0, 100).is_none());
        assert_eq!(q.take_failed().unwrap().reason, FailReason::MaxRetransmits);
        assert_eq!(q.forward_tsn(false, 100).unwrap().0, Tsn(1));
    }

    #[test]
    fn ttl_abandons_whole_message_and_send_queue_drops_the_rest() {
        let mut sq = SendQueue::new(SendQueueConfig {
            scheduler: SchedulerKind::Fcfs,
            ..SendQueueConfig::default()
        });
        let mut rtx = RetransmissionQueue::new(Tsn(1), 100_000);
        let mut m = OutgoingMessage::new(StreamId(4), Ppid(1), Bytes::from(vec![9u8; 300]));
        m.pr = PrPolicy::Ttl(ms(50));
        let id = sq.enqueue(m.clone(), T0).unwrap();
        sq.enqueue(
            OutgoingMessage::new(StreamId(4), Ppid(1), Bytes::from_static(b"x")),
            T0,
        )
        .unwrap();
        for _ in 0..2 {
            let f = sq.produce(T0, 100, false).unwrap();
            rtx.add_sent(f, 0, T0);
        }
        rtx.on_t3_expired(0, ms(10)); // still alive: marked
        assert!(rtx.has_retransmissions());
        assert_eq!(rtx.next_retransmission(ms(60), 0, 1000), None);
        let failed = rtx.take_failed().unwrap();
        assert_eq!((failed.id, failed.reason), (id, FailReason::Expired));
        assert_eq!(failed.msg, m);
        assert_eq!(rtx.take_failed(), None);
        assert!(!rtx.has_outstanding());
        assert!(sq.discard(failed.msg.stream, failed.id));
        let next = sq.produce(ms(60), 100, false).unwrap();
        assert_eq!((next.data.len(), next.ssn), (1, Ssn(1)));
        let (point, streams) = rtx.forward_tsn(false, 100).unwrap();
        assert_eq!(point, Tsn(2));
        assert_eq!(streams[0].ssn, Ssn(0));
    }

    #[test]
    fn expire_abandons_in_flight_messages_past_their_lifetime() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        q.add_sent(frag(0, 0, 0, 10, PrPolicy::Ttl(ms(5))), 0, T0);
        q.add_sent(frag(1, 0, 1, 10, PrPolicy::None), 0, T0);
        q.expire(ms(4));
        assert_eq!(q.take_failed(), None);
        q.expire(ms(5));
        assert_eq!(q.take_failed().unwrap().id, MessageId(0));
        assert_eq!(q.bytes_in_flight(), 10);
    }

    #[test]
    fn reneged_chunks_become_outstanding_again() {
        let mut q = sent(4); // 10..=13
        sack(&mut q, 9, &[(2, 3)]); // 11, 12
        assert_eq!(q.outstanding_bytes(), 200);
        let out = sack(&mut q, 9, &[(2, 2)]); // 12 reneged
        assert_eq!(out.newly_acked_bytes, 0);
        assert!(q.path_ack_info(0).reneged);
        assert_eq!(q.outstanding_bytes(), 300);
        // Not in flight, but T3 still retransmits it.
        assert_eq!(q.bytes_in_flight(), 200);
        q.on_t3_expired(0, ms(1));
        let tsns: Vec<Tsn> = core::iter::from_fn(|| q.next_retransmission(ms(1), 0, 100))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(tsns, [Tsn(10), Tsn(12), Tsn(13)]);
    }

    #[test]
    fn drain_hands_back_unacked_messages_once() {
        let mut q = RetransmissionQueue::new(Tsn(1), 100_000);
        let two = |id, begin, end| {
            let mut f = frag(id, 0, 0, 10, PrPolicy::None);
            f.begin = begin;
            f.end = end;
            f
        };
        q.add_sent(two(0, true, true), 0, T0); // 1: cum acked
        q.add_sent(two(1, true, false), 0, T0); // 2
        q.add_sent(two(1, false, true), 0, T0); // 3
        q.add_sent(two(2, true, true), 0, T0); // 4: gap acked
        q.add_sent(two(3, true, false), 0, T0); // 5: rest still queued
        q.add_sent(two(4, true, true), 0, T0); // 6: abandoned
        q.add_sent(two(5, true, true), 0, T0); // 7: lost
        sack(&mut q, 1, &[(3, 3)]);
        q.abandon_message(4, FailReason::MaxRetransmits);
        let out = q.drain_all_unacked();
        assert_eq!(out.iter().map(|f| f.id.0).collect::<Vec<_>>(), [4, 1, 2, 5]);
        assert_eq!(out[0].reason, FailReason::MaxRetransmits);
        let out = &out[1..];
        assert_eq!(out[0].reason, FailReason::AssociationClosed);
        assert!(!q.has_outstanding());
        assert!(q.drain_all_unacked().is_empty());
    }

    mod model {
        use super::*;
        use proptest::prelude::*;
        use std::collections::{BTreeMap, BTreeSet};

        #[derive(Debug, Clone)]
        enum Action {
            Enqueue {
                stream: u16,
                len: usize,
                pr: u8,
                unordered: bool,
            },
            Send {
                loss: u64,
                path: usize,
            },
            Sack {
                replay_old: bool,
            },
            T3 {
                path: usize,
            },
            ForwardTsn {
                lost: bool,
            },
            Tick {
                millis: u64,
            },
        }

        fn action() -> impl Strategy<Value = Action> {
            prop_oneof![
                3 => (0u16..4, 1usize..350, 0u8..6, any::<bool>()).prop_map(
                    |(stream, len, pr, unordered)| Action::Enqueue { stream, len, pr, unordered }
                ),
                3 => (any::<u64>(), 0usize..2).prop_map(|(loss, path)| Action::Send { loss, path }),
                3 => any::<bool>().prop_map(|replay_old| Action::Sack { replay_old }),
                1 => (0usize..2).prop_map(|path| Action::T3 { path }),
                1 => any::<bool>().prop_map(|lost| Action::ForwardTsn { lost }),
                1 => (1u64..30).prop_map(|millis| Action::Tick { millis }),
            ]
        }

        /// A receiver that records which TSNs (unwrapped offsets) arrived.
        struct Receiver {
            got: BTreeSet<u64>,
            /// Offsets below this are acknowledged (received or skipped).
            cum: u64,
        }

        impl Receiver {
            fn advance(&mut self) {
                while self.got.contains(&self.cum) {
                    self.cum += 1;
                }
            }

            fn sack(&self, base: Tsn) -> (Tsn, Vec<GapAckBlock>) {
                // `cum` offsets are acked; the cum TSN is the last one.
                let cum_tsn = base.add(self.cum as u32).prev();
                let mut gaps: Vec<GapAckBlock> = Vec::new();
                for &o in self.got.range(self.cum..) {
                    let rel = o - self.cum + 1;
                    if rel > u64::from(u16::MAX) {
                        break;
                    }
                    let rel = rel as u16;
                    match gaps.last_mut() {
                        Some(g) if g.end + 1 == rel => g.end = rel,
                        _ => gaps.push(GapAckBlock {
                            start: rel,
                            end: rel,
                        }),
                    }
                }
                (cum_tsn, gaps)
            }
        }

        fn check_invariants(q: &RetransmissionQueue) {
            let mut flight = 0;
            let mut per_path: BTreeMap<usize, usize> = BTreeMap::new();
            let mut outstanding = 0;
            let mut marked = 0;
            for e in &q.entries {
                let len = e.frag.data.len();
                if e.in_flight {
                    assert_eq!(e.state, State::Outstanding);
                    flight += len;
                    *per_path.entry(e.path).or_default() += q.chunk_size(len);
                }
                if matches!(e.state, State::Outstanding | State::ToRetransmit) {
                    outstanding += len;
                }
                if e.state == State::ToRetransmit {
                    marked += 1;
                }
            }
            assert_eq!(q.bytes_in_flight(), flight);
            for p in 0..2 {
                assert_eq!(
                    q.path_bytes_in_flight(p),
                    per_path.get(&p).copied().unwrap_or(0)
                );
            }
            assert_eq!(q.outstanding_bytes(), outstanding);
            assert_eq!(q.to_retransmit, marked);
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// Whatever a peer puts in its SACKs: no panic, consistent
            /// accounting, cum ack never beyond what was sent.
            #[test]
            fn arbitrary_sacks_never_break_accounting(
                start in any::<u32>(),
                n in 0u64..60,
                sacks in proptest::collection::vec(
                    (0u32..80, proptest::collection::vec((any::<u16>(), any::<u16>()), 0..6), any::<u32>(), any::<bool>()),
                    1..20),
            ) {
                let mut q = RetransmissionQueue::new(Tsn(start), 1 << 16);
                for i in 0..n {
                    q.add_sent(frag(i, (i % 3) as u16, i as u16, 50, PrPolicy::MaxRetransmits(1)), (i % 2) as usize, T0);
                }
                for (cum_off, gaps, rwnd, t3) in sacks {
                    let cum = Tsn(start).add(cum_off).prev();
                    let res = q.handle_sack(cum, gaps.iter().map(|&(s, e)| gap(s, e)), rwnd, ms(1));
                    prop_assert_eq!(res.is_err(), cum.gt(Tsn(start).add(n as u32).prev()) && cum.ge(q.cum_ack()));
                    if t3 {
                        q.on_t3_expired(0, ms(2));
                        while q.next_retransmission(ms(2), 1, 50).is_some() {}
                    }
                    check_invariants(&q);
                    if let Ok(out) = res {
                        if !out.stale {
                            // Stale SACKs leave rwnd alone; others bound it.
                            prop_assert!(q.peer_rwnd() <= rwnd as usize);
                        }
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            #[test]
            fn random_traffic_keeps_invariants_and_accounts_for_every_message(
                actions in proptest::collection::vec(action(), 1..150),
                i_data in any::<bool>(),
            ) {
                let base = Tsn(u32::MAX - 40); // exercise wrap-around
                let mut now = Instant::from_millis(1);
                let mut sq = SendQueue::new(SendQueueConfig {
                    outbound_streams: 4,
                    max_message_size: 1000,
                    max_buffered_bytes: 20_000,
                    scheduler: SchedulerKind::RoundRobin,
                });
                let mut q = RetransmissionQueue::new(base, 1 << 20);
                let mut rx = Receiver { got: BTreeSet::new(), cum: 0 };
                // Per TSN offset: (message, fragment ends the message).
                let mut chunks: Vec<(MessageId, bool)> = Vec::new();
                let mut enqueued: Vec<MessageId> = Vec::new();
                let mut failed: Vec<MessageId> = Vec::new();
                let mut old_sacks: Vec<(Tsn, Vec<GapAckBlock>)> = Vec::new();
                let mut last_cum = q.cum_ack();

                for a in actions {
                    match a {
                        Action::Enqueue { stream, len, pr, unordered } => {
                            let mut m = OutgoingMessage::new(
                                StreamId(stream), Ppid(0), Bytes::from(vec![1u8; len]));
                            m.unordered = unordered;
                            m.pr = match pr {
                                0..=2 => PrPolicy::None,
                                3 => PrPolicy::MaxRetransmits(0),
                                4 => PrPolicy::MaxRetransmits(1),
                                _ => PrPolicy::Ttl(now + Duration::from_millis(20)),
                            };
                            if let Ok(id) = sq.enqueue(m, now) {
                                enqueued.push(id);
                            }
                        }
                        Action::Send { loss, path } => {
                            let mut bit = 0;
                            let mut deliver = |rx: &mut Receiver, tsn: Tsn| {
                                bit += 1;
                                if loss & (1 << (bit % 64)) != 0 || loss % 7 == 0 {
                                    let o = tsn.distance(base) as u32 as u64;
                                    rx.got.insert(o);
                                    rx.advance();
                                }
                            };
                            for _ in 0..8 {
                                if q.bytes_in_flight() > 3000 {
                                    break;
                                }
                                if let Some((tsn, _)) = q.next_retransmission(now, path, 100) {
                                    deliver(&mut rx, tsn);
                                } else if let Some(f) = sq.produce(now, 100, i_data) {
                                    chunks.push((f.message_id, f.end));
                                    let tsn = q.add_sent(f, path, now);
                                    deliver(&mut rx, tsn);
                                } else {
                                    break;
                                }
                            }
                        }
                        Action::Sack { replay_old } => {
                            let (cum, gaps) = if replay_old && !old_sacks.is_empty() {
                                old_sacks.remove(0)
                            } else {
                                rx.sack(base)
                            };
                            let out = q.handle_sack(cum, gaps.iter().copied(), 1 << 20, now);
                            prop_assert!(out.is_ok());
                            old_sacks.push(rx.sack(base));
                            if old_sacks.len() > 4 {
                                old_sacks.remove(0);
                            }
                        }
                        Action::T3 { path } => {
                            q.on_t3_expired(path, now);
                        }
                        Action::ForwardTsn { lost } => {
                            if let Some((point, _)) = q.forward_tsn(i_data, 16) {
                                if !lost {
                                    let o = u64::from(point.distance(base) as u32) + 1;
                                    rx.cum = rx.cum.max(o);
                                    rx.advance();
                                }
                            }
                        }
                        Action::Tick { millis } => {
                            now += Duration::from_millis(millis);
                        }
                    }
                    while let Some(f) = q.take_failed() {
                        sq.discard(f.msg.stream, f.id);
                        failed.push(f.id);
                    }
                    while let Some(f) = sq.take_failed() {
                        failed.push(f.id);
                    }
                    // Cumulative ack is monotonic.
                    prop_assert!(q.cum_ack().ge(last_cum));
                    last_cum = q.cum_ack();
                    check_invariants(&q);
                }

                let final_cum = u64::from(q.cum_ack().distance(base).wrapping_add(1) as u32);
                failed.extend(q.drain_all_unacked().iter().map(|f| f.id));
                failed.extend(sq.drain_all(FailReason::AssociationClosed).iter().map(|f| f.id));
                let mut seen = BTreeSet::new();
                for id in &failed {
                    prop_assert!(seen.insert(*id), "{:?} handed back twice", id);
                }
                for id in enqueued {
                    if seen.contains(&id) {
                        continue;
                    }
                    // Not handed back: every fragment was sent, cumulatively
                    // acknowledged, and really received.
                    let frags: Vec<(u64, bool)> = chunks
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.0 == id)
                        .map(|(o, c)| (o as u64, c.1))
                        .collect();
                    prop_assert!(frags.iter().any(|f| f.1), "{:?} never fully sent", id);
                    for (o, _) in frags {
                        prop_assert!(o < final_cum, "{:?} not acked", id);
                        prop_assert!(rx.got.contains(&o), "{:?} skipped but not failed", id);
                    }
                }
            }
        }
    }
}
