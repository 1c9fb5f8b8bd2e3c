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

use core::time::Duration;
use std::collections::VecDeque;

use super::{FailReason, FailedMessage, MessageId, OutgoingFragment, PrPolicy};
use crate::time::Instant;
use crate::types::{GapAckBlock, Mid, Ssn, StreamId, Tsn};

/// Miss indications that trigger fast retransmit (RFC 9260 §7.2.4).
const FAST_RETRANSMIT_MISSES: u8 = 3;

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
            entered_fast_recovery: false,
        }
    }
}

/// What the last SACK meant for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathAckInfo {
    /// User data bytes newly acknowledged that were last sent on this path
    /// (for cwnd growth, RFC 9260 §7.2.1 / §7.2.2).
    pub newly_acked_bytes: usize,
    /// The cumulative ack covered the earliest outstanding chunk sent on
    /// this path: restart its T3-rtx if data is still in flight there, stop
    /// it otherwise (RFC 9260 §6.3.2 R2/R3).
    pub earliest_outstanding_acked: bool,
    /// Chunks last sent on this path were marked for fast retransmit.
    pub fast_retransmit: bool,
    /// The peer reneged on chunks sent on this path (RFC 9260 §6.2.1 D
    /// iii): start T3-rtx here if it is not running.
    pub reneged: bool,
}

#[derive(Debug, Default, Clone)]
struct PathState {
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
    /// `entries[i]` has TSN `cum_ack + 1 + i`.
    entries: VecDeque<Entry>,
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
}

impl RetransmissionQueue {
    /// A queue whose first chunk gets `initial_tsn`; `peer_a_rwnd` is the
    /// a_rwnd of the peer's INIT or INIT ACK.
    pub fn new(initial_tsn: Tsn, peer_a_rwnd: u32) -> Self {
        Self {
            cum_ack: initial_tsn.prev(),
            next_tsn: initial_tsn,
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
        }
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

    /// User data bytes in flight on all paths.
    pub fn bytes_in_flight(&self) -> usize {
        self.in_flight
    }

    /// User data bytes in flight on one path.
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
    pub fn add_sent(&mut self, frag: OutgoingFragment, path: usize, now: Instant) -> Tsn {
        let tsn = self.next_tsn;
        self.next_tsn = tsn.next();
        let len = frag.data.len();
        self.in_flight += len;
        self.outstanding += len;
        self.path_mut(path).in_flight += len;
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
            self.in_flight -= len;
            if let Some(p) = self.paths.get_mut(path) {
                p.in_flight -= len;
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
            if e.in_flight {
                self.in_flight -= len;
                self.path_mut(e.path).in_flight -= len;
            }
            match e.state {
                State::Outstanding | State::ToRetransmit => {
                    if e.state == State::ToRetransmit {
                        self.to_retransmit -= 1;
                    }
                    self.outstanding -= len;
                    out.newly_acked_bytes += len;
                    let info = &mut self.path_mut(e.path).info;
                    info.newly_acked_bytes += len;
                    info.earliest_outstanding_acked = true;
                    self.take_rtt_sample(tsn, &e, now, &mut out);
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
                        let len = e.frag.data.len();
                        let path = e.path;
                        if e.state == State::ToRetransmit {
                            self.to_retransmit -= 1;
                        }
                        e.state = State::Acked;
                        e.misses = 0;
                        self.outstanding -= len;
                        out.newly_acked_bytes += len;
                        htna_idx = htna_idx.max(Some(idx));
                        self.remove_from_flight(idx);
                        self.path_mut(path).info.newly_acked_bytes += len;
                        if let Some(e) = self.entries.get(idx) {
                            let (e_tsn, e_tx, e_sent, e_path) =
                                (tsn, e.transmissions, e.sent_at, e.path);
                            self.take_rtt_sample_raw(e_tsn, e_tx, e_sent, e_path, now, &mut out);
                        }
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
                        if self.mark_for_retransmission(idx, now) {
                            out.fast_retransmit = true;
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
            self.fast_recovery_exit = Some(highest_sent);
            out.entered_fast_recovery = true;
        }
        // RFC 9260 §6.2.1 D ii.
        self.rwnd = (a_rwnd as usize).saturating_sub(self.in_flight);
        Ok(out)
    }

    fn take_rtt_sample(&mut self, tsn: Tsn, e: &Entry, now: Instant, out: &mut SackOutcome) {
        self.take_rtt_sample_raw(tsn, e.transmissions, e.sent_at, e.path, now, out);
    }

    fn take_rtt_sample_raw(
        &mut self,
        tsn: Tsn,
        transmissions: u16,
        sent_at: Instant,
        path: usize,
        now: Instant,
        out: &mut SackOutcome,
    ) {
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
        while let Some(f) = self.entries.get(i) {
            if f.frag.message_id == id {
                let end = f.frag.end;
                self.abandon_chunk(i);
                if end {
                    break;
                }
            }
            i += 1;
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
    /// policy). Returns the bytes removed from flight.
    pub fn on_t3_expired(&mut self, path: usize, now: Instant) -> usize {
        let before = self.in_flight;
        for idx in 0..self.entries.len() {
            let Some(e) = self.entries.get(idx) else {
                break;
            };
            if e.path == path && e.state == State::Outstanding {
                self.mark_for_retransmission(idx, now);
            }
        }
        before - self.in_flight
    }

    /// Takes the lowest-TSN chunk marked for retransmission if it fits in
    /// `max_size` bytes of user data, and records it as sent on `path` at
    /// `now` (RFC 9260 §6.1: retransmissions go before new data). Chunks
    /// whose lifetime ended are abandoned instead (RFC 7496 §3.1).
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
            e.path = path;
            e.misses = 0;
            let frag = e.frag.clone();
            self.to_retransmit -= 1;
            self.in_flight += len;
            self.path_mut(path).in_flight += len;
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
    /// the cumulative ack (RFC 3758 §3.5 C1–C4, RFC 8260 §2.3).
    pub fn forward_tsn(&self, i_data: bool) -> Option<(Tsn, Vec<ForwardTsnStream>)> {
        let run = self
            .entries
            .iter()
            .take_while(|e| e.state == State::Abandoned)
            .count();
        if run == 0 {
            return None;
        }
        let mut streams: Vec<ForwardTsnStream> = Vec::new();
        for e in self.entries.iter().take(run) {
            let f = &e.frag;
            // C4: FORWARD-TSN lists ordered messages only; I-FORWARD-TSN
            // lists both kinds, distinguished by the U flag.
            if f.unordered && !i_data {
                continue;
            }
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
                None => streams.push(ForwardTsnStream {
                    stream: f.stream,
                    unordered: f.unordered,
                    ssn: f.ssn,
                    mid: f.mid,
                }),
            }
        }
        Some((self.cum_ack.add(run as u32), streams))
    }

    /// The association ended: hands back every message with a chunk not
    /// acknowledged, once each, and empties the queue. Messages whose last
    /// fragment was never sent are left to
    /// [`SendQueue::drain_all`](super::SendQueue::drain_all), which holds
    /// their remainder. Pending [`take_failed`](Self::take_failed) entries
    /// come first.
    pub fn drain_all_unacked(&mut self) -> Vec<FailedMessage> {
        let mut out: Vec<FailedMessage> = self.failed.drain(..).collect();
        let mut unacked: Vec<MessageId> = self
            .entries
            .iter()
            .filter(|e| matches!(e.state, State::Outstanding | State::ToRetransmit))
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
}
