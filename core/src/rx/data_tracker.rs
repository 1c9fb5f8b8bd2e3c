//! Received-TSN bookkeeping and SACK scheduling (RFC 9260 §6.2, §6.7;
//! RFC 3758 §3.6; RFC 7053).
//!
//! [`DataTracker`] remembers which TSNs arrived: a cumulative TSN ack plus a
//! short sorted list of received ranges above it (the future Gap Ack
//! Blocks). In-order arrival only bumps the cumulative ack: O(1) and no
//! allocation. Out-of-order arrival usually extends the last range (O(1));
//! anything else is a binary search in a list bounded by
//! [`DataTrackerConfig::max_gap_ranges`].
//!
//! Typical use by the association, per received packet:
//!
//! 1. for every DATA / I-DATA chunk: [`DataTracker::classify`]; if
//!    [`Observed::New`], hand the chunk to the reassembly queue and, only if
//!    it was accepted there, call [`DataTracker::observe`]; if
//!    [`Observed::Duplicate`], call [`DataTracker::observe`] too (it records
//!    the duplicate for the next SACK);
//! 2. at the end of the packet: [`DataTracker::on_data_packet`];
//! 3. when [`DataTracker::sack_due_now`] (or after
//!    [`DataTracker::handle_timeout`] at [`DataTracker::sack_deadline`]):
//!    build the SACK with [`DataTracker::write_sack`] and call
//!    [`DataTracker::on_sack_sent`].

use std::collections::VecDeque;
use std::time::Duration;

use crate::time::Instant;
use crate::types::{GapAckBlock, Tsn};

/// RFC 9260 §6.2: 'SACK.Delay' MUST NOT be configured above 500 ms.
pub const MAX_SACK_DELAY: Duration = Duration::from_millis(500);

/// Size of a SACK chunk header without gap blocks or duplicates
/// (RFC 9260 §3.3.4): type, flags, length, cumulative TSN ack, a_rwnd,
/// number of gap blocks, number of duplicates.
pub const SACK_HEADER_LEN: usize = 16;

/// Size of one Gap Ack Block or one duplicate TSN in a SACK chunk.
pub const SACK_ENTRY_LEN: usize = 4;

/// Limits and timing of a [`DataTracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTrackerConfig {
    /// How far above the cumulative TSN ack a TSN may be and still be
    /// accepted. Larger values are clamped to `u16::MAX`, so every tracked
    /// TSN can be expressed as a Gap Ack Block offset (RFC 9260 §3.3.4).
    pub max_window_tsns: u32,
    /// Maximum number of disjoint received ranges above the cumulative ack.
    /// A TSN that would need one more range is dropped (not acked), which
    /// keeps memory bounded against a peer that sends every other TSN.
    pub max_gap_ranges: usize,
    /// Maximum number of duplicate TSNs remembered for the next SACK.
    pub max_duplicates: usize,
    /// Send a SACK at least every `sack_freq` packets carrying DATA
    /// (RFC 9260 §6.2: "at least every second packet"). 0 or 1 means every
    /// packet.
    pub sack_freq: u32,
    /// Delayed-ack timeout ('SACK.Delay'); clamped to [`MAX_SACK_DELAY`].
    pub sack_delay: Duration,
}

impl Default for DataTrackerConfig {
    fn default() -> Self {
        Self {
            max_window_tsns: u32::from(u16::MAX),
            max_gap_ranges: 256,
            max_duplicates: 32,
            sack_freq: 2,
            sack_delay: Duration::from_millis(200),
        }
    }
}

/// What a TSN is to the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Not received before: process the chunk.
    New,
    /// Already received (or at/below the cumulative ack): discard the chunk,
    /// report the TSN as duplicate, SACK immediately (RFC 9260 §6.2).
    Duplicate,
    /// Beyond what the receiver tracks (too far above the cumulative ack,
    /// or too many gaps): discard the chunk without acknowledging it.
    Dropped,
}

/// Received-TSN bookkeeping, gap/duplicate reporting and delayed-ack timing.
#[derive(Clone, Debug)]
pub struct DataTracker {
    cfg: DataTrackerConfig,
    cum_ack: Tsn,
    /// Received ranges `(first, last)` above `cum_ack + 1`, ascending,
    /// disjoint and not adjacent to each other.
    ranges: VecDeque<(Tsn, Tsn)>,
    duplicates: Vec<Tsn>,
    // SACK scheduling.
    /// Some chunk of the current packet saw a gap (before or after it).
    packet_saw_gap: bool,
    /// The current packet carried a duplicate or a stale FORWARD-TSN.
    packet_had_duplicate: bool,
    /// Packets with DATA since the last SACK.
    unacked_packets: u32,
    sack_now: bool,
    deadline: Option<Instant>,
    immediate_mode: bool,
    /// No SACK was sent yet: the first one goes out at once.
    first_sack_pending: bool,
}

impl DataTracker {
    /// A tracker for a peer whose first TSN is `peer_initial_tsn`
    /// (cumulative TSN ack = initial - 1, RFC 9260 §6.1).
    pub fn new(peer_initial_tsn: Tsn, mut cfg: DataTrackerConfig) -> Self {
        cfg.max_window_tsns = cfg.max_window_tsns.clamp(1, u32::from(u16::MAX));
        cfg.max_gap_ranges = cfg.max_gap_ranges.max(1);
        cfg.sack_delay = cfg.sack_delay.min(MAX_SACK_DELAY);
        Self {
            cum_ack: peer_initial_tsn.prev(),
            ranges: VecDeque::new(),
            duplicates: Vec::with_capacity(cfg.max_duplicates.min(64)),
            packet_saw_gap: false,
            packet_had_duplicate: false,
            unacked_packets: 0,
            sack_now: false,
            deadline: None,
            immediate_mode: false,
            first_sack_pending: true,
            cfg,
        }
    }

    /// The cumulative TSN ack: every TSN up to it was received (or skipped
    /// by FORWARD-TSN).
    #[inline]
    pub fn cumulative_tsn_ack(&self) -> Tsn {
        self.cum_ack
    }

    /// Whether any TSN above the cumulative ack was received (a gap exists).
    #[inline]
    pub fn has_gaps(&self) -> bool {
        !self.ranges.is_empty()
    }

    /// The highest TSN received so far (the cumulative ack if no gap).
    pub fn highest_received(&self) -> Tsn {
        self.ranges.back().map_or(self.cum_ack, |r| r.1)
    }

    /// Classifies `tsn` without recording anything.
    pub fn classify(&self, tsn: Tsn) -> Observed {
        if tsn.le(self.cum_ack) {
            return Observed::Duplicate;
        }
        let offset = tsn.0.wrapping_sub(self.cum_ack.0);
        if offset > self.cfg.max_window_tsns {
            return Observed::Dropped;
        }
        if offset == 1 {
            return Observed::New;
        }
        match self.locate(tsn) {
            Ok(_) => Observed::Duplicate,
            Err(idx) => {
                let joins_prev =
                    idx > 0 && self.ranges.get(idx - 1).is_some_and(|r| r.1.next() == tsn);
                let joins_next = self.ranges.get(idx).is_some_and(|r| tsn.next() == r.0);
                if !joins_prev && !joins_next && self.ranges.len() >= self.cfg.max_gap_ranges {
                    Observed::Dropped
                } else {
                    Observed::New
                }
            }
        }
    }

    /// Records the arrival of `tsn` and returns what it was. A duplicate is
    /// remembered for the next SACK (bounded by
    /// [`DataTrackerConfig::max_duplicates`]); a dropped TSN is not recorded.
    ///
    /// Call this only for chunks the reassembly queue accepted (or for
    /// duplicates), so that a chunk dropped for lack of buffer is never
    /// acknowledged (RFC 9260 §6.2).
    pub fn observe(&mut self, tsn: Tsn) -> Observed {
        let had_gap = !self.ranges.is_empty();
        let result = self.classify(tsn);
        match result {
            Observed::New => self.insert(tsn),
            Observed::Duplicate => {
                self.packet_had_duplicate = true;
                if self.duplicates.len() < self.cfg.max_duplicates {
                    self.duplicates.push(tsn);
                }
            }
            Observed::Dropped => {}
        }
        // RFC 9260 §6.7: SACK immediately while a gap exists and when it
        // was just filled.
        if had_gap || !self.ranges.is_empty() {
            self.packet_saw_gap = true;
        }
        result
    }

    /// Binary search for the range containing `tsn` (Ok) or the index where
    /// a range starting at `tsn` would be inserted (Err).
    fn locate(&self, tsn: Tsn) -> Result<usize, usize> {
        // Fast path: at or beyond the last range.
        match self.ranges.back() {
            None => return Err(0),
            Some(&(first, last)) => {
                if tsn.gt(last) {
                    return Err(self.ranges.len());
                }
                if tsn.ge(first) {
                    return Ok(self.ranges.len() - 1);
                }
            }
        }
        let cum = self.cum_ack;
        // Offsets from the cumulative ack are monotonic across the list.
        let off = tsn.0.wrapping_sub(cum.0);
        let idx = self
            .ranges
            .partition_point(|r| r.1 .0.wrapping_sub(cum.0) < off);
        match self.ranges.get(idx) {
            Some(r) if r.0 .0.wrapping_sub(cum.0) <= off => Ok(idx),
            _ => Err(idx),
        }
    }

    fn insert(&mut self, tsn: Tsn) {
        if tsn == self.cum_ack.next() {
            self.cum_ack = tsn;
            if let Some(&(first, last)) = self.ranges.front() {
                if first == tsn.next() {
                    self.cum_ack = last;
                    self.ranges.pop_front();
                }
            }
            return;
        }
        let Err(idx) = self.locate(tsn) else {
            return;
        };
        let joins_prev = idx > 0 && self.ranges.get(idx - 1).is_some_and(|r| r.1.next() == tsn);
        let joins_next = self.ranges.get(idx).is_some_and(|r| tsn.next() == r.0);
        match (joins_prev, joins_next) {
            (true, true) => {
                let next_last = self.ranges.remove(idx).map(|r| r.1);
                if let (Some(prev), Some(last)) = (self.ranges.get_mut(idx - 1), next_last) {
                    prev.1 = last;
                }
            }
            (true, false) => {
                if let Some(prev) = self.ranges.get_mut(idx - 1) {
                    prev.1 = tsn;
                }
            }
            (false, true) => {
                if let Some(next) = self.ranges.get_mut(idx) {
                    next.0 = tsn;
                }
            }
            (false, false) => self.ranges.insert(idx, (tsn, tsn)),
        }
    }

    /// Forgets that `tsn` (above the cumulative ack) was received, e.g. when
    /// the reassembly queue had to drop it (RFC 9260 §6.2: dropped chunks
    /// MUST NOT be reported in later Gap Ack Blocks). Returns whether it
    /// was tracked.
    pub fn forget(&mut self, tsn: Tsn) -> bool {
        let Ok(idx) = self.locate(tsn) else {
            return false;
        };
        let Some(&(first, last)) = self.ranges.get(idx) else {
            return false;
        };
        if first == last {
            self.ranges.remove(idx);
            return true;
        }
        if let Some(r) = self.ranges.get_mut(idx) {
            if tsn == first {
                r.0 = tsn.next();
            } else {
                r.1 = tsn.prev();
                if tsn != last {
                    self.ranges.insert(idx + 1, (tsn.next(), last));
                }
            }
        }
        true
    }

    /// RFC 3758 §3.6: advance the cumulative ack to `new_cum_tsn`, then
    /// further over TSNs already received; stop reporting anything below.
    /// A FORWARD-TSN at or behind the current cumulative ack is stale: it
    /// is ignored, and an immediate SACK is scheduled (the previous SACK
    /// was probably lost). Returns whether the cumulative ack moved.
    ///
    /// For SACK timing, call [`DataTracker::on_data_packet`] after the
    /// packet as for DATA (RFC 3758 §3.6).
    pub fn handle_forward_tsn(&mut self, new_cum_tsn: Tsn) -> bool {
        if new_cum_tsn.le(self.cum_ack) {
            self.packet_had_duplicate = true;
            return false;
        }
        if !self.ranges.is_empty() {
            self.packet_saw_gap = true;
        }
        self.cum_ack = new_cum_tsn;
        while let Some(&(first, last)) = self.ranges.front() {
            if first.gt(self.cum_ack.next()) {
                break;
            }
            self.ranges.pop_front();
            if last.gt(self.cum_ack) {
                self.cum_ack = last;
            }
        }
        true
    }

    /// RFC 6525 §5.2.4 G4 and §5.2.7 H5 (SSN/TSN reset): the peer's next
    /// DATA carries `next_tsn`; everything before it counts as received
    /// and nothing above the new cumulative ack is remembered. Unlike
    /// [`handle_forward_tsn`](Self::handle_forward_tsn) this may move the
    /// cumulative ack anywhere (RFC 6525 §5.1.7 D4 suggests 2^31 ahead,
    /// where serial comparison cannot tell ahead from behind). A SACK is
    /// due at once.
    pub fn restart(&mut self, next_tsn: Tsn) {
        self.cum_ack = next_tsn.prev();
        self.ranges.clear();
        self.duplicates.clear();
        self.sack_now = true;
    }

    /// The Gap Ack Blocks to report, lowest TSNs first (RFC 9260 §6.7:
    /// when not all fit, report from the lowest and leave the highest
    /// unacknowledged). Take as many as fit with `.take(n)`; see
    /// [`DataTracker::write_sack`].
    pub fn gap_ack_blocks(&self) -> impl ExactSizeIterator<Item = GapAckBlock> + '_ {
        let cum = self.cum_ack;
        self.ranges.iter().map(move |&(first, last)| GapAckBlock {
            // The window is clamped to u16::MAX, so offsets fit.
            start: u16::try_from(first.0.wrapping_sub(cum.0)).unwrap_or(u16::MAX),
            end: u16::try_from(last.0.wrapping_sub(cum.0)).unwrap_or(u16::MAX),
        })
    }

    /// Duplicate TSNs received since the last [`DataTracker::write_sack`].
    pub fn duplicates(&self) -> &[Tsn] {
        &self.duplicates
    }

    /// Fills the caller's (reusable) vectors with what a SACK chunk of at
    /// most `max_chunk_len` bytes can carry: Gap Ack Blocks first, lowest
    /// first, then duplicate TSNs in the remaining room. Drains the
    /// duplicate list (duplicates that do not fit are forgotten; they are
    /// advisory). Returns the cumulative TSN ack to put in the SACK.
    pub fn write_sack(
        &mut self,
        max_chunk_len: usize,
        gaps: &mut Vec<GapAckBlock>,
        dups: &mut Vec<Tsn>,
    ) -> Tsn {
        gaps.clear();
        dups.clear();
        let mut room = max_chunk_len.saturating_sub(SACK_HEADER_LEN) / SACK_ENTRY_LEN;
        // The count fields are 16 bits.
        let max_gaps = room.min(usize::from(u16::MAX));
        gaps.extend(self.gap_ack_blocks().take(max_gaps));
        room -= gaps.len();
        dups.extend(
            self.duplicates
                .iter()
                .copied()
                .take(room.min(usize::from(u16::MAX))),
        );
        self.duplicates.clear();
        self.cum_ack
    }

    /// Call once per received packet that carried DATA, I-DATA or
    /// FORWARD-TSN chunks, after all of them were observed. `immediate` is
    /// the I bit of any of its DATA chunks (RFC 7053).
    ///
    /// A SACK becomes due now when the packet had the I bit, a duplicate or
    /// a stale FORWARD-TSN, when a gap exists or was just filled (RFC 9260
    /// §6.7), in immediate mode, for the first DATA of the association
    /// (the peer's slow start waits for it), or on every `sack_freq`-th
    /// packet;
    /// otherwise it is due at `now + sack_delay` at the latest (§6.2).
    pub fn on_data_packet(&mut self, now: Instant, immediate: bool) {
        self.unacked_packets = self.unacked_packets.saturating_add(1);
        if immediate
            || self.packet_had_duplicate
            || self.packet_saw_gap
            || self.immediate_mode
            || self.first_sack_pending
            || self.unacked_packets >= self.cfg.sack_freq
        {
            self.sack_now = true;
        } else if self.deadline.is_none() {
            self.deadline = Some(now + self.cfg.sack_delay);
        }
        self.packet_saw_gap = false;
        self.packet_had_duplicate = false;
    }

    /// When a delayed SACK must be sent at the latest, if one is pending and
    /// not already due now.
    pub fn sack_deadline(&self) -> Option<Instant> {
        if self.sack_now {
            None
        } else {
            self.deadline
        }
    }

    /// Marks the delayed SACK as due if its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) {
            self.sack_now = true;
        }
    }

    /// Whether a SACK should be sent now (in the next packet out).
    pub fn sack_due_now(&self) -> bool {
        self.sack_now
    }

    /// Requests a SACK now, e.g. after dropping a chunk for lack of buffer
    /// (RFC 9260 §6.2) or for a window update.
    pub fn force_sack(&mut self) {
        self.sack_now = true;
    }

    /// In immediate mode every packet with DATA is SACKed without delay,
    /// e.g. in SHUTDOWN-SENT (RFC 9260 §9.2).
    pub fn set_immediate_mode(&mut self, on: bool) {
        self.immediate_mode = on;
    }

    /// Call when a SACK (or a SHUTDOWN carrying the cumulative ack) was
    /// sent: clears the pending SACK and its deadline.
    pub fn on_sack_sent(&mut self) {
        self.first_sack_pending = false;
        self.sack_now = false;
        self.deadline = None;
        self.unacked_packets = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(initial: u32) -> DataTracker {
        DataTracker::new(Tsn(initial), DataTrackerConfig::default())
    }

    fn gaps(t: &DataTracker) -> Vec<(u16, u16)> {
        t.gap_ack_blocks().map(|g| (g.start, g.end)).collect()
    }

    proptest::proptest! {
        /// Against a plain set of received offsets: cumulative ack, gap
        /// blocks and duplicate detection agree, across the u32 wrap, with
        /// forgets and FORWARD-TSNs mixed in.
        #[test]
        fn matches_a_set_model(
            initial in proptest::prop_oneof![proptest::strategy::Just(u32::MAX - 50), proptest::prelude::any::<u32>()],
            ops in proptest::collection::vec((0u8..10, 0u32..120), 1..300),
        ) {
            use std::collections::BTreeSet;
            let mut t = tracker(initial);
            // Offsets from `initial` that were received (or skipped).
            let mut got = BTreeSet::new();
            let mut cum_off: i64 = -1;
            for (op, off) in ops {
                let tsn = Tsn(initial).add(off);
                match op {
                    0 => {
                        // Forget (only above the cumulative ack).
                        let tracked = i64::from(off) > cum_off && got.contains(&off);
                        proptest::prop_assert_eq!(t.forget(tsn), tracked);
                        if tracked {
                            got.remove(&off);
                        }
                    }
                    1 => {
                        let advanced = t.handle_forward_tsn(tsn);
                        proptest::prop_assert_eq!(advanced, i64::from(off) > cum_off);
                        if advanced {
                            got.extend(0..=off);
                        }
                    }
                    _ => {
                        let expect = if got.contains(&off) || i64::from(off) <= cum_off {
                            Observed::Duplicate
                        } else {
                            Observed::New
                        };
                        proptest::prop_assert_eq!(t.observe(tsn), expect);
                        got.insert(off);
                    }
                }
                while got.contains(&u32::try_from(cum_off + 1).unwrap()) {
                    cum_off += 1;
                }
                proptest::prop_assert_eq!(t.cumulative_tsn_ack(), Tsn(initial).add(cum_off as u32));
                // Gap blocks from the model.
                let mut blocks = Vec::new();
                for &o in got.range(u32::try_from(cum_off + 1).unwrap()..) {
                    let rel = u16::try_from(i64::from(o) - cum_off).unwrap();
                    match blocks.last_mut() {
                        Some((_, end)) if *end + 1 == rel => *end = rel,
                        _ => blocks.push((rel, rel)),
                    }
                }
                proptest::prop_assert_eq!(gaps(&t), blocks);
            }
        }
    }

    #[test]
    fn in_order_advances_cum_ack() {
        let mut t = tracker(10);
        assert_eq!(t.cumulative_tsn_ack(), Tsn(9));
        for tsn in 10..20 {
            assert_eq!(t.observe(Tsn(tsn)), Observed::New);
        }
        assert_eq!(t.cumulative_tsn_ack(), Tsn(19));
        assert!(!t.has_gaps());
        assert_eq!(t.observe(Tsn(15)), Observed::Duplicate);
        assert_eq!(t.duplicates(), &[Tsn(15)]);
    }

    #[test]
    fn out_of_order_reports_gaps_and_fills() {
        let mut t = tracker(1);
        t.observe(Tsn(1));
        t.observe(Tsn(3));
        t.observe(Tsn(4));
        t.observe(Tsn(7));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(1));
        assert_eq!(gaps(&t), vec![(2, 3), (6, 6)]);
        assert_eq!(t.highest_received(), Tsn(7));
        // Join two ranges.
        t.observe(Tsn(6));
        t.observe(Tsn(5));
        assert_eq!(gaps(&t), vec![(2, 6)]);
        assert_eq!(t.observe(Tsn(4)), Observed::Duplicate);
        // Fill the hole: everything becomes cumulative.
        t.observe(Tsn(2));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(7));
        assert!(!t.has_gaps());
    }

    #[test]
    fn wraps_around_u32_max() {
        let mut t = tracker(u32::MAX - 1);
        t.observe(Tsn(u32::MAX - 1));
        t.observe(Tsn(1));
        assert_eq!(gaps(&t), vec![(3, 3)]);
        t.observe(Tsn(u32::MAX));
        t.observe(Tsn(0));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(1));
        assert_eq!(t.observe(Tsn(u32::MAX)), Observed::Duplicate);
        assert_eq!(t.observe(Tsn(2)), Observed::New);
    }

    #[test]
    fn far_tsn_and_too_many_ranges_are_dropped() {
        let cfg = DataTrackerConfig {
            max_window_tsns: 100,
            max_gap_ranges: 2,
            ..DataTrackerConfig::default()
        };
        let mut t = DataTracker::new(Tsn(0), cfg);
        // cum ack = u32::MAX: the window reaches TSN 99.
        assert_eq!(t.observe(Tsn(100)), Observed::Dropped);
        assert_eq!(t.observe(Tsn(99)), Observed::New);
        assert_eq!(t.observe(Tsn(50)), Observed::New);
        // A third disjoint range is refused, but extending one is fine.
        assert_eq!(t.observe(Tsn(20)), Observed::Dropped);
        assert_eq!(t.observe(Tsn(51)), Observed::New);
        assert_eq!(gaps(&t), vec![(51, 52), (100, 100)]);
        // Filling the cumulative hole is always possible.
        assert_eq!(t.observe(Tsn(0)), Observed::New);
        assert_eq!(t.cumulative_tsn_ack(), Tsn(0));
    }

    #[test]
    fn sack_lists_lowest_gaps_first_within_budget() {
        let mut t = tracker(0);
        for tsn in [2, 4, 6, 8] {
            t.observe(Tsn(tsn));
        }
        t.observe(Tsn(4));
        t.observe(Tsn(6));
        let (mut g, mut d) = (Vec::new(), Vec::new());
        // Room for 3 entries: 3 gaps, no duplicates.
        let cum = t.write_sack(SACK_HEADER_LEN + 3 * SACK_ENTRY_LEN + 3, &mut g, &mut d);
        assert_eq!(cum, Tsn(u32::MAX));
        assert_eq!(
            g,
            vec![
                GapAckBlock { start: 3, end: 3 },
                GapAckBlock { start: 5, end: 5 },
                GapAckBlock { start: 7, end: 7 }
            ]
        );
        assert!(d.is_empty());
        // Duplicates were drained.
        assert!(t.duplicates().is_empty());
        t.observe(Tsn(2));
        t.write_sack(1500, &mut g, &mut d);
        assert_eq!(g.len(), 4);
        assert_eq!(d, vec![Tsn(2)]);
    }

    #[test]
    fn duplicates_are_bounded() {
        let cfg = DataTrackerConfig {
            max_duplicates: 3,
            ..DataTrackerConfig::default()
        };
        let mut t = DataTracker::new(Tsn(0), cfg);
        t.observe(Tsn(0));
        for _ in 0..10 {
            t.observe(Tsn(0));
        }
        assert_eq!(t.duplicates().len(), 3);
    }

    #[test]
    fn forward_tsn_advances_and_stale_is_ignored() {
        let mut t = tracker(100);
        t.observe(Tsn(100));
        t.observe(Tsn(102)); // RFC 3758 §3.6 example: 103 missing
        t.observe(Tsn(104));
        t.observe(Tsn(105));
        t.observe(Tsn(107));
        assert!(t.handle_forward_tsn(Tsn(103)));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(105));
        assert_eq!(gaps(&t), vec![(2, 2)]);
        t.on_sack_sent();
        assert!(!t.handle_forward_tsn(Tsn(104)));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(105));
        t.on_data_packet(Instant::ZERO, false);
        assert!(t.sack_due_now(), "stale FORWARD-TSN must be SACKed");
        // A FORWARD-TSN beyond everything received clears all gaps.
        assert!(t.handle_forward_tsn(Tsn(200)));
        assert_eq!(t.cumulative_tsn_ack(), Tsn(200));
        assert!(!t.has_gaps());
    }

    #[test]
    fn forget_splits_ranges() {
        let mut t = tracker(0);
        for tsn in 2..=6 {
            t.observe(Tsn(tsn));
        }
        assert!(t.forget(Tsn(4)));
        assert_eq!(gaps(&t), vec![(3, 4), (6, 7)]);
        assert!(t.forget(Tsn(6)));
        assert!(t.forget(Tsn(2)));
        assert!(!t.forget(Tsn(2)));
        assert_eq!(gaps(&t), vec![(4, 4), (6, 6)]);
        assert_eq!(t.observe(Tsn(4)), Observed::New);
    }

    #[test]
    fn delayed_ack_every_second_packet() {
        let mut t = tracker(0);
        t.on_sack_sent(); // past the first SACK, which is never delayed
        let t0 = Instant::from_millis(1000);
        t.observe(Tsn(0));
        t.on_data_packet(t0, false);
        assert!(!t.sack_due_now());
        assert_eq!(t.sack_deadline(), Some(t0 + Duration::from_millis(200)));
        t.observe(Tsn(1));
        t.on_data_packet(t0 + Duration::from_millis(10), false);
        assert!(t.sack_due_now());
        t.on_sack_sent();
        assert!(!t.sack_due_now());
        assert_eq!(t.sack_deadline(), None);
    }

    #[test]
    fn delayed_ack_timer_fires() {
        let mut t = tracker(0);
        t.on_sack_sent(); // past the first SACK, which is never delayed
        let t0 = Instant::from_millis(1000);
        t.observe(Tsn(0));
        t.on_data_packet(t0, false);
        // A second in-order packet later does not push the deadline back.
        t.handle_timeout(t0 + Duration::from_millis(199));
        assert!(!t.sack_due_now());
        t.handle_timeout(t0 + Duration::from_millis(200));
        assert!(t.sack_due_now());
    }

    #[test]
    fn sack_delay_is_clamped_to_500ms() {
        let cfg = DataTrackerConfig {
            sack_delay: Duration::from_secs(5),
            sack_freq: 10,
            ..DataTrackerConfig::default()
        };
        let mut t = DataTracker::new(Tsn(0), cfg);
        t.on_sack_sent(); // past the first SACK, which is never delayed
        t.observe(Tsn(0));
        t.on_data_packet(Instant::ZERO, false);
        assert_eq!(t.sack_deadline(), Some(Instant::ZERO + MAX_SACK_DELAY));
    }

    #[test]
    fn first_data_is_acknowledged_at_once_then_delayed() {
        let mut t = tracker(0);
        let t0 = Instant::from_millis(1000);
        t.observe(Tsn(0));
        t.on_data_packet(t0, false);
        assert!(t.sack_due_now(), "the first SACK is not delayed");
        t.on_sack_sent();
        t.observe(Tsn(1));
        t.on_data_packet(t0, false);
        assert!(!t.sack_due_now());
        assert_eq!(t.sack_deadline(), Some(t0 + Duration::from_millis(200)));
    }

    #[test]
    fn immediate_sack_cases() {
        let now = Instant::ZERO;
        // I bit.
        let mut t = tracker(0);
        t.observe(Tsn(0));
        t.on_data_packet(now, true);
        assert!(t.sack_due_now());
        // Duplicate.
        t.on_sack_sent();
        t.observe(Tsn(0));
        t.on_data_packet(now, false);
        assert!(t.sack_due_now());
        // Gap detected.
        t.on_sack_sent();
        t.observe(Tsn(2));
        t.on_data_packet(now, false);
        assert!(t.sack_due_now());
        // Packet that does not fill the gap: still immediate.
        t.on_sack_sent();
        t.observe(Tsn(3));
        t.on_data_packet(now, false);
        assert!(t.sack_due_now());
        // Gap just filled: immediate too.
        t.on_sack_sent();
        t.observe(Tsn(1));
        assert!(!t.has_gaps());
        t.on_data_packet(now, false);
        assert!(t.sack_due_now());
        // Back to normal: delayed.
        t.on_sack_sent();
        t.observe(Tsn(4));
        t.on_data_packet(now, false);
        assert!(!t.sack_due_now());
        // Immediate mode (SHUTDOWN-SENT).
        t.on_sack_sent();
        t.set_immediate_mode(true);
        t.observe(Tsn(5));
        t.on_data_packet(now, false);
        assert!(t.sack_due_now());
    }
}
