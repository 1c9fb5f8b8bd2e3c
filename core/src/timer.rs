//! Deadlines across associations (see DESIGN.md).
//!
//! [`TimerQueue`] holds one deadline per key (e.g. per association) for a
//! whole endpoint: the endpoint schedules each association's earliest
//! deadline under its key, answers `poll_timeout` with
//! [`TimerQueue::next_deadline`] in O(1), and on `handle_timeout` pops expired
//! keys with [`TimerQueue::pop_expired`] in O(log n).
//!
//! [`Timer`] is the small value an association keeps per protocol timer
//! (T1-init, T3-rtx, ...: see [`TimerKind`]): a deadline and how often it has
//! expired in a row (for exponential back-off).

use crate::time::Instant;
use core::cmp::Ordering;
use core::hash::{BuildHasherDefault, Hash, Hasher};
use core::time::Duration;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BinaryHeap, HashMap};

/// Hashes keys the program assigns itself (association ids, never taken
/// from the network, so flooding-resistant hashing buys nothing) with a
/// multiply-rotate step instead of SipHash: the endpoint's association map
/// and this queue look them up several times a packet (SipHash was about
/// 5% of a 1 KiB message's instructions).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Heap entry; ordered so that `BinaryHeap` (a max-heap) yields the
/// earliest deadline first, ties broken by scheduling order.
#[derive(Clone, Debug)]
struct Entry<K> {
    deadline: Instant,
    seq: u64,
    key: K,
}

impl<K> PartialEq for Entry<K> {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline && self.seq == other.seq
    }
}
impl<K> Eq for Entry<K> {}
impl<K> PartialOrd for Entry<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Entry<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

/// Slack of stale heap entries tolerated before compaction, on top of one
/// per live key.
const COMPACT_SLACK: usize = 64;

/// A set of deadlines, one per key, with the earliest available in O(1).
///
/// A binary heap with lazy invalidation: rescheduling or cancelling a key
/// leaves its old heap entry in place, recognised as stale by a sequence
/// number. Stale entries are dropped when they reach the top, and the whole
/// heap is compacted when stale entries outnumber live ones (plus a small
/// slack), so memory stays `O(live keys)` however often keys are
/// rescheduled. All operations are amortised O(log n).
///
/// Keys are hashed with a fast hasher that is not flooding-resistant: use
/// identifiers the program assigns (as the endpoint's association ids), not
/// values a peer chooses.
#[derive(Clone, Debug)]
pub struct TimerQueue<K> {
    heap: BinaryHeap<Entry<K>>,
    live: HashMap<K, (Instant, u64), BuildHasherDefault<IdHasher>>,
    next_seq: u64,
}

impl<K: Clone + Eq + Hash> Default for TimerQueue<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + Eq + Hash> TimerQueue<K> {
    /// An empty queue.
    pub fn new() -> Self {
        TimerQueue {
            heap: BinaryHeap::new(),
            live: HashMap::default(),
            next_seq: 0,
        }
    }

    /// Sets `key`'s deadline, replacing any earlier one.
    pub fn schedule(&mut self, key: K, deadline: Instant) {
        let seq = self.next_seq;
        // One hash lookup for the check and the update.
        let old = match self.live.entry(key.clone()) {
            MapEntry::Occupied(mut o) => {
                if o.get().0 == deadline {
                    return;
                }
                Some(o.insert((deadline, seq)).1)
            }
            MapEntry::Vacant(v) => {
                v.insert((deadline, seq));
                None
            }
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        if old.is_some() && self.heap.peek().map(|e| e.seq) == old {
            if let Some(mut top) = self.heap.peek_mut() {
                // The key's entry is the earliest (always so with one key):
                // move it in place instead of leaving a stale entry behind.
                // Dropping `top` restores the heap order.
                top.deadline = deadline;
                top.seq = seq;
            }
            self.drop_stale_top();
            return;
        }
        // The top was live before the push (invariant) and is not this
        // key's old entry (handled above), so it is still live.
        self.heap.push(Entry { deadline, seq, key });
        self.maybe_compact();
    }

    /// Sets or clears `key`'s deadline.
    pub fn set(&mut self, key: K, deadline: Option<Instant>) {
        match deadline {
            Some(d) => self.schedule(key, d),
            None => {
                self.cancel(&key);
            }
        }
    }

    /// Removes `key`'s deadline; returns whether it had one.
    pub fn cancel(&mut self, key: &K) -> bool {
        let had = self.live.remove(key).is_some();
        if had {
            self.drop_stale_top();
            self.maybe_compact();
        }
        had
    }

    /// `key`'s deadline, if scheduled.
    pub fn deadline(&self, key: &K) -> Option<Instant> {
        self.live.get(key).map(|&(d, _)| d)
    }

    /// The earliest deadline of all keys. O(1).
    pub fn next_deadline(&self) -> Option<Instant> {
        // Invariant: the top of the heap is never stale.
        self.heap.peek().map(|e| e.deadline)
    }

    /// Removes and returns a key whose deadline is at or before `now`,
    /// earliest first (ties in scheduling order). O(log n).
    pub fn pop_expired(&mut self, now: Instant) -> Option<K> {
        if self.heap.peek()?.deadline > now {
            return None;
        }
        let e = self.heap.pop()?;
        self.live.remove(&e.key);
        self.drop_stale_top();
        Some(e.key)
    }

    /// Number of keys with a deadline.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no key has a deadline.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Heap entries held, live and stale (for memory accounting and tests).
    pub fn heap_entries(&self) -> usize {
        self.heap.len()
    }

    fn is_live(&self, e: &Entry<K>) -> bool {
        self.live.get(&e.key).is_some_and(|&(_, seq)| seq == e.seq)
    }

    fn drop_stale_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                break;
            }
            self.heap.pop();
        }
    }

    fn maybe_compact(&mut self) {
        let limit = self
            .live
            .len()
            .saturating_mul(2)
            .saturating_add(COMPACT_SLACK);
        if self.heap.len() > limit {
            let live = &self.live;
            self.heap
                .retain(|e| live.get(&e.key).is_some_and(|&(_, seq)| seq == e.seq));
        }
    }
}

/// The protocol timers of an association (RFC 9260 §4, §6.3, §8.3, §9.2;
/// RFC 6525 §5 for RE-CONFIG). Per-path timers (T3-rtx, heartbeat) are
/// stored on each path; this names them for keys and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// T1-init: INIT retransmission.
    T1Init,
    /// T1-cookie: COOKIE ECHO retransmission.
    T1Cookie,
    /// T2-shutdown: SHUTDOWN / SHUTDOWN ACK retransmission.
    T2Shutdown,
    /// T3-rtx: DATA retransmission (per path).
    T3Rtx,
    /// T5-shutdown-guard (§9.2).
    T5ShutdownGuard,
    /// Delayed SACK (§6.2).
    DelayedSack,
    /// Heartbeat (per path, §8.3).
    Heartbeat,
    /// Autoclose (§10.1 / RFC 6458 SCTP_AUTOCLOSE).
    Autoclose,
    /// RE-CONFIG request retransmission (RFC 6525 §5).
    Reconfig,
}

/// One protocol timer of an association: a deadline and the number of
/// consecutive expirations (its back-off count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timer {
    deadline: Option<Instant>,
    expirations: u32,
}

impl Timer {
    /// A stopped timer with no expirations.
    pub const fn new() -> Self {
        Timer {
            deadline: None,
            expirations: 0,
        }
    }

    /// Starts (or restarts) the timer to expire `duration` after `now`.
    pub fn start(&mut self, now: Instant, duration: Duration) {
        self.deadline = Some(now + duration);
    }

    /// Starts the timer only if it is not running (§6.3.2 R1 style).
    pub fn start_if_stopped(&mut self, now: Instant, duration: Duration) {
        if self.deadline.is_none() {
            self.start(now, duration);
        }
    }

    /// Stops the timer; the expiration count is kept.
    pub fn stop(&mut self) {
        self.deadline = None;
    }

    /// Stops the timer and clears the expiration count (e.g. on success).
    pub fn reset(&mut self) {
        *self = Timer::new();
    }

    /// The deadline while running.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the timer is running.
    pub fn is_running(&self) -> bool {
        self.deadline.is_some()
    }

    /// Whether the timer is running and its deadline is at or before `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }

    /// If expired at `now`: stops it, counts the expiration and returns the
    /// new count; otherwise `None`.
    pub fn poll_expired(&mut self, now: Instant) -> Option<u32> {
        if !self.is_expired(now) {
            return None;
        }
        self.deadline = None;
        self.expirations = self.expirations.saturating_add(1);
        Some(self.expirations)
    }

    /// Consecutive expirations since the last [`Timer::reset`].
    pub fn expirations(&self) -> u32 {
        self.expirations
    }

    /// `base * 2^expirations`, capped at `max`: the usual back-off of T1,
    /// T2 and RE-CONFIG retransmissions (RFC 9260 §5.1, §9.2).
    pub fn backed_off(&self, base: Duration, max: Duration) -> Duration {
        let factor = 1u32.checked_shl(self.expirations).unwrap_or(u32::MAX);
        base.saturating_mul(factor).min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn pops_in_deadline_order() {
        let mut q = TimerQueue::new();
        q.schedule(1u32, t(30));
        q.schedule(2, t(10));
        q.schedule(3, t(20));
        assert_eq!(q.next_deadline(), Some(t(10)));
        assert_eq!(q.pop_expired(t(5)), None);
        assert_eq!(q.pop_expired(t(25)), Some(2));
        assert_eq!(q.pop_expired(t(25)), Some(3));
        assert_eq!(q.pop_expired(t(25)), None);
        assert_eq!(q.next_deadline(), Some(t(30)));
        assert_eq!(q.pop_expired(t(30)), Some(1));
        assert!(q.is_empty());
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn cancel_and_reschedule() {
        let mut q = TimerQueue::new();
        q.schedule("a", t(10));
        q.schedule("b", t(20));
        assert!(q.cancel(&"a"));
        assert!(!q.cancel(&"a"));
        assert_eq!(q.next_deadline(), Some(t(20)));
        q.schedule("b", t(50));
        q.schedule("c", t(40));
        assert_eq!(q.next_deadline(), Some(t(40)));
        assert_eq!(q.deadline(&"b"), Some(t(50)));
        assert_eq!(q.pop_expired(t(100)), Some("c"));
        assert_eq!(q.pop_expired(t(100)), Some("b"));
        assert_eq!(q.pop_expired(t(100)), None);
        q.set("d", Some(t(1)));
        q.set("d", None);
        assert!(q.is_empty());
    }

    #[test]
    fn rescheduling_the_earliest_key_moves_its_entry() {
        let mut q = TimerQueue::new();
        q.schedule(1u32, t(10));
        for ms in [30, 5, 50, 20] {
            q.schedule(1, t(ms));
            assert_eq!(q.heap_entries(), 1, "no stale entry left behind");
            assert_eq!(q.next_deadline(), Some(t(ms)));
        }
        // Moved later than another key: that key's deadline comes first.
        q.schedule(2, t(40));
        q.schedule(1, t(60));
        assert_eq!(q.next_deadline(), Some(t(40)));
        assert_eq!(q.pop_expired(t(100)), Some(2));
        assert_eq!(q.pop_expired(t(100)), Some(1));
        assert!(q.is_empty());
    }

    #[test]
    fn many_keys_and_reschedules_keep_memory_bounded() {
        let mut q = TimerQueue::new();
        let n = 100_000u64;
        for k in 0..n {
            q.schedule(k, t(k * 7 % 1000 + 1000));
        }
        assert_eq!(q.len(), n as usize);
        for round in 0..2u64 {
            for k in 0..n {
                q.schedule(k, t((k * 13 + round) % 5000 + 2000));
                assert!(q.heap_entries() <= 2 * q.len() + COMPACT_SLACK + 1);
            }
        }
        // Cancel most keys: stale entries are compacted away.
        for k in 0..n - 10 {
            q.cancel(&k);
        }
        assert_eq!(q.len(), 10);
        assert!(q.heap_entries() <= 2 * 10 + COMPACT_SLACK + 1);
        let mut prev = Instant::ZERO;
        let mut popped = 0;
        while let Some(d) = q.next_deadline() {
            assert!(d >= prev);
            prev = d;
            let k = q.pop_expired(d).expect("the earliest deadline is due");
            assert!(k >= n - 10);
            popped += 1;
        }
        assert_eq!(popped, 10);
    }

    proptest::proptest! {
        #[test]
        fn matches_a_naive_model(ops in proptest::collection::vec((0u8..3, 0u8..16, 0u64..100), 0..400)) {
            let mut q = TimerQueue::new();
            let mut model: HashMap<u8, Instant> = HashMap::new();
            for (op, key, ms) in ops {
                match op {
                    0 => { q.schedule(key, t(ms)); model.insert(key, t(ms)); }
                    1 => { proptest::prop_assert_eq!(q.cancel(&key), model.remove(&key).is_some()); }
                    _ => {
                        let now = t(ms);
                        let popped = q.pop_expired(now);
                        let earliest = model.values().copied().min();
                        match popped {
                            Some(k) => {
                                let d = model.remove(&k);
                                proptest::prop_assert!(d.is_some_and(|d| d <= now));
                                proptest::prop_assert_eq!(d, earliest);
                            }
                            None => proptest::prop_assert!(!matches!(earliest, Some(e) if e <= now)),
                        }
                    }
                }
                proptest::prop_assert_eq!(q.next_deadline(), model.values().copied().min());
                proptest::prop_assert_eq!(q.len(), model.len());
            }
        }
    }

    #[test]
    fn timer_value_backoff() {
        let mut tm = Timer::new();
        assert!(!tm.is_running());
        tm.start(t(0), Duration::from_secs(1));
        assert_eq!(tm.poll_expired(t(999)), None);
        assert_eq!(tm.poll_expired(t(1000)), Some(1));
        assert!(!tm.is_running());
        assert_eq!(
            tm.backed_off(Duration::from_secs(1), Duration::from_secs(60)),
            Duration::from_secs(2)
        );
        tm.start_if_stopped(t(1000), Duration::from_secs(2));
        tm.start_if_stopped(t(1500), Duration::from_secs(2));
        assert_eq!(tm.deadline(), Some(t(3000)));
        for _ in 0..40 {
            tm.start(t(0), Duration::ZERO);
            tm.poll_expired(t(0));
        }
        assert_eq!(
            tm.backed_off(Duration::from_secs(1), Duration::from_secs(60)),
            Duration::from_secs(60)
        );
        tm.reset();
        assert_eq!(tm.expirations(), 0);
    }
}
