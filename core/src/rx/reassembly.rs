//! Reassembly and ordered/unordered delivery (RFC 9260 §6.5, §6.6, §6.9;
//! RFC 8260 §2.1 for I-DATA; RFC 3758 §3.6 and RFC 8260 §2.3.1 for
//! (I-)FORWARD-TSN; RFC 6525 §5.2.2 for stream reset).
//!
//! [`ReassemblyQueue`] takes the user data of accepted DATA or I-DATA
//! chunks ([`IncomingData`]) and yields complete user messages
//! ([`ReceivedMessage`]) through [`ReassemblyQueue::poll_message`]:
//! ordered ones in SSN/MID order per stream, unordered ones as soon as they
//! are complete.
//!
//! - DATA mode: the fragments of a message have consecutive TSNs, the first
//!   with the B bit, the last with the E bit (RFC 9260 §6.9). Fragments are
//!   kept in one map keyed by (unwrapped) TSN.
//! - I-DATA mode: fragments are identified by stream, U bit, MID and FSN
//!   (RFC 8260 §2.1), so messages of different streams may interleave.
//!
//! A message made of one chunk is delivered as the very `Bytes` it arrived
//! in, with no map insertion and no allocation; a fragmented one is copied
//! once into a buffer of its final size.
//!
//! Memory is bounded by [`ReassemblyConfig::max_buffer`]: every byte held
//! (fragments, complete messages waiting for an earlier SSN/MID, and
//! messages ready but not yet polled) is counted. When a chunk does not
//! fit, held fragments with higher TSNs are dropped to make room for it
//! ([`AddOutcome::AcceptedAfterEviction`], RFC 9260 §6.2); if that is not
//! enough it is refused with [`AddOutcome::BufferFull`] — the association
//! then must not acknowledge its TSN and sends a SACK at once. Zero-length
//! user data is refused as a protocol error, so the number of held chunks
//! is bounded by the byte limit too.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::{Bytes, BytesMut};

use crate::stream_table::StreamTable;
use crate::types::{Fsn, Mid, Ppid, Ssn, StreamId, Tsn};

/// Which chunk type carries user data on this association (RFC 8260 §2.2.1:
/// one or the other, never both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReassemblyMode {
    /// DATA chunks (RFC 9260): fragments have consecutive TSNs.
    Data,
    /// I-DATA chunks (RFC 8260): fragments carry a MID and an FSN.
    IData,
}

/// Limits of a [`ReassemblyQueue`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// DATA or I-DATA.
    pub mode: ReassemblyMode,
    /// Bytes of user data the queue may hold: a hard memory cap, normally
    /// the receive buffer advertised in INIT / INIT ACK. The advertised
    /// window itself (which also counts data delivered but not yet read)
    /// is the association's, via [`ReceiveWindow`](super::ReceiveWindow).
    /// With I-DATA, partial messages of several streams are held at once,
    /// so the buffer should fit one `max_message_size` message per stream
    /// that interleaves, or reassembly can stall.
    pub max_buffer: usize,
    /// Largest user message accepted; a larger one is a
    /// [`ReassemblyError::MessageTooLarge`]. Should not exceed
    /// `max_buffer`, since partial delivery is not offered.
    pub max_message_size: usize,
}

/// The sequencing fields of a DATA or I-DATA chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seq {
    /// DATA: Stream Sequence Number (ignored for unordered chunks).
    Ssn(Ssn),
    /// I-DATA: Message Identifier and Fragment Sequence Number (the FSN is
    /// 0 when the B bit is set, RFC 8260 §2.1).
    IData {
        /// Message Identifier.
        mid: Mid,
        /// Fragment Sequence Number.
        fsn: Fsn,
    },
}

/// The user data of one received DATA or I-DATA chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingData {
    /// Its TSN.
    pub tsn: Tsn,
    /// Stream identifier.
    pub stream: StreamId,
    /// Payload protocol identifier (for I-DATA, meaningful only with the
    /// B bit set).
    pub ppid: Ppid,
    /// U bit.
    pub unordered: bool,
    /// B bit: first fragment of a message.
    pub beginning: bool,
    /// E bit: last fragment of a message.
    pub ending: bool,
    /// SSN, or MID + FSN.
    pub seq: Seq,
    /// User data.
    pub payload: Bytes,
}

/// A complete user message, ready for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Stream it arrived on.
    pub stream: StreamId,
    /// Payload protocol identifier.
    pub ppid: Ppid,
    /// Whether it was sent unordered.
    pub unordered: bool,
    /// The message.
    pub data: Bytes,
    /// TSN of its first fragment.
    pub tsn: Tsn,
}

/// What happened to an added chunk (not an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum AddOutcome {
    /// Held or delivered: the association records its TSN as received.
    Accepted,
    /// Accepted, after dropping held fragments with higher TSNs to make
    /// room (RFC 9260 §6.2). The association first calls
    /// [`DataTracker::forget`](super::DataTracker::forget) for every TSN of
    /// [`ReassemblyQueue::take_evicted`] (so they are no longer reported in
    /// Gap Ack Blocks), then records this TSN as received — in that order,
    /// or the cumulative ack could move over an evicted TSN.
    AcceptedAfterEviction,
    /// This fragment is already held; nothing changed.
    Duplicate,
    /// Refused for lack of receive buffer: the chunk is dropped, its TSN
    /// MUST NOT be acknowledged, and a SACK is sent at once (RFC 9260 §6.2).
    BufferFull,
}

/// A chunk the association must answer with ABORT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// The message is larger than [`ReassemblyConfig::max_message_size`].
    #[error("user message of at least {size} bytes exceeds the maximum of {max}")]
    MessageTooLarge {
        /// Bytes of the message seen so far.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// DATA/I-DATA chunk without user data (RFC 9260 §6.2: ABORT with the
    /// "No User Data" error cause).
    #[error("DATA chunk with no user data (TSN {0})")]
    NoUserData(Tsn),
    /// A DATA chunk on an I-DATA association or vice versa (RFC 8260
    /// §2.2.1; a protocol violation).
    #[error("chunk type does not match the negotiated DATA/I-DATA mode")]
    WrongMode,
}

/// A message skipped by a FORWARD-TSN or I-FORWARD-TSN chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkippedMessage {
    /// Stream identifier.
    pub stream: StreamId,
    /// U bit (I-FORWARD-TSN only; always false for FORWARD-TSN).
    pub unordered: bool,
    /// Largest skipped SSN (FORWARD-TSN) or MID (I-FORWARD-TSN).
    pub seq: SkippedSeq,
}

/// The sequence number in a [`SkippedMessage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkippedSeq {
    /// From a FORWARD-TSN chunk (RFC 3758 §3.2).
    Ssn(Ssn),
    /// From an I-FORWARD-TSN chunk (RFC 8260 §2.3.1).
    Mid(Mid),
}

impl SkippedSeq {
    fn raw(self) -> u32 {
        match self {
            SkippedSeq::Ssn(s) => u32::from(s.0),
            SkippedSeq::Mid(m) => m.0,
        }
    }
}

/// Maps 32-bit serial numbers to a monotonic 64-bit line so they can key a
/// `BTreeMap` (valid while live values are within 2^31 of each other).
#[derive(Clone, Debug)]
struct Unwrapper {
    base_raw: u32,
    base: u64,
}

impl Unwrapper {
    fn new(start: u32) -> Self {
        Self {
            base_raw: start,
            base: 1 << 40,
        }
    }

    fn unwrap(&mut self, raw: u32) -> u64 {
        let d = i64::from(raw.wrapping_sub(self.base_raw) as i32);
        let v = self.base.saturating_add_signed(d);
        if d > 0 {
            self.base = v;
            self.base_raw = raw;
        }
        v
    }
}

/// One held fragment in DATA mode.
#[derive(Clone, Debug)]
struct DataFrag {
    stream: StreamId,
    ppid: Ppid,
    unordered: bool,
    beginning: bool,
    ending: bool,
    ssn: Ssn,
    tsn: Tsn,
    payload: Bytes,
}

/// A partially received message in I-DATA mode.
#[derive(Clone, Debug, Default)]
struct Partial {
    /// FSN -> (unwrapped TSN, TSN, payload).
    frags: BTreeMap<u32, (u64, Tsn, Bytes)>,
    ppid: Option<Ppid>,
    first_tsn: Option<Tsn>,
    end_fsn: Option<u32>,
    bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct MsgKey {
    stream: StreamId,
    unordered: bool,
    mid: u32,
}

/// Delivery state of one incoming stream.
#[derive(Clone, Debug, Default)]
struct StreamState {
    /// I-DATA: largest unordered MID skipped by I-FORWARD-TSN; late
    /// fragments at or before it are discarded.
    unordered_floor: Option<u32>,
    /// Next expected SSN/MID, as on the wire.
    next_raw: u32,
    /// Next expected, on a 64-bit line (keys of `pending`).
    next: u64,
    /// Complete messages waiting for an earlier one: key -> (raw seq, msg).
    pending: BTreeMap<u64, (u32, ReceivedMessage)>,
}

/// Reassembles fragments and orders complete messages per stream.
#[derive(Clone, Debug)]
pub struct ReassemblyQueue {
    cfg: ReassemblyConfig,
    tsns: Unwrapper,
    /// DATA mode fragments by unwrapped TSN.
    data_frags: BTreeMap<u64, DataFrag>,
    /// I-DATA mode partial messages.
    partials: HashMap<MsgKey, Partial>,
    /// Per-stream state, created on first use.
    streams: StreamTable<StreamState>,
    ready: VecDeque<ReceivedMessage>,
    buffered: usize,
    /// RFC 6525 §5.2.2 E2: deferred reset (last assigned TSN unwrapped,
    /// affected streams, empty = all) and the chunks held back for it.
    deferred_reset: Option<(u64, Vec<StreamId>)>,
    deferred: Vec<IncomingData>,
    /// I-DATA mode: unwrapped TSN -> fragment, to find the highest held.
    idata_index: BTreeMap<u64, (MsgKey, u32)>,
    /// TSNs dropped to make room, not yet taken by the association.
    evicted: Vec<Tsn>,
}

impl ReassemblyQueue {
    /// An empty queue for a peer whose first TSN is `peer_initial_tsn`.
    pub fn new(peer_initial_tsn: Tsn, cfg: ReassemblyConfig) -> Self {
        Self {
            cfg,
            tsns: Unwrapper::new(peer_initial_tsn.0),
            data_frags: BTreeMap::new(),
            partials: HashMap::new(),
            streams: StreamTable::default(),
            ready: VecDeque::new(),
            buffered: 0,
            deferred_reset: None,
            deferred: Vec::new(),
            idata_index: BTreeMap::new(),
            evicted: Vec::new(),
        }
    }

    /// DATA or I-DATA.
    pub fn mode(&self) -> ReassemblyMode {
        self.cfg.mode
    }

    /// Bytes of user data held: fragments, complete messages waiting for
    /// an earlier SSN/MID, and messages not yet taken with
    /// [`ReassemblyQueue::poll_message`].
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Number of complete messages ready for [`ReassemblyQueue::poll_message`].
    pub fn ready_messages(&self) -> usize {
        self.ready.len()
    }

    /// The next complete message, in delivery order.
    pub fn poll_message(&mut self) -> Option<ReceivedMessage> {
        let m = self.ready.pop_front()?;
        self.buffered = self.buffered.saturating_sub(m.data.len());
        Some(m)
    }

    /// Adds the user data of a chunk whose TSN the
    /// [`DataTracker`](super::DataTracker) classified as new. Only on
    /// [`AddOutcome::Accepted`] or [`AddOutcome::AcceptedAfterEviction`]
    /// may the association record the TSN as received. An `Err` is a
    /// protocol violation to answer with ABORT.
    pub fn add(&mut self, chunk: IncomingData) -> Result<AddOutcome, ReassemblyError> {
        let len = chunk.payload.len();
        if len == 0 {
            return Err(ReassemblyError::NoUserData(chunk.tsn));
        }
        if len > self.cfg.max_message_size {
            return Err(ReassemblyError::MessageTooLarge {
                size: len,
                max: self.cfg.max_message_size,
            });
        }
        let mode_ok = matches!(
            (self.cfg.mode, chunk.seq),
            (ReassemblyMode::Data, Seq::Ssn(_)) | (ReassemblyMode::IData, Seq::IData { .. })
        );
        if !mode_ok {
            return Err(ReassemblyError::WrongMode);
        }
        let key = self.tsns.unwrap(chunk.tsn.0);
        if self.holds(&chunk, key) {
            return Ok(AddOutcome::Duplicate);
        }
        let defer = self.defers(&chunk, key);
        if !defer && self.is_stale(&chunk) {
            // A late fragment of a message already delivered or skipped by
            // FORWARD-TSN: its TSN is acknowledged, its data discarded.
            tracing::debug!(tsn = %chunk.tsn, stream = chunk.stream.0, "rx: discarding stale chunk");
            return Ok(AddOutcome::Accepted);
        }
        let mut evicted = false;
        let over = self
            .buffered
            .saturating_add(len)
            .saturating_sub(self.cfg.max_buffer);
        if over > 0 {
            // RFC 9260 §6.2: when full, a chunk above everything held is
            // dropped (not acked); one below the largest TSN held is
            // accepted by dropping the largest TSNs held for reassembly.
            if !self.evict_above(key, over) {
                tracing::debug!(tsn = %chunk.tsn, len, buffered = self.buffered, "rx: buffer full, dropping chunk");
                return Ok(AddOutcome::BufferFull);
            }
            evicted = true;
        }
        let outcome = if defer {
            // RFC 6525 §5.2.2 E2: held until the reset is performed.
            self.buffered += len;
            self.deferred.push(chunk);
            AddOutcome::Accepted
        } else {
            // Not held (checked above) and not stale (checked unless
            // deferred, and it is not).
            self.add_new(chunk, key)?
        };
        Ok(match outcome {
            AddOutcome::Accepted if evicted => AddOutcome::AcceptedAfterEviction,
            other => other,
        })
    }

    /// TSNs of held fragments dropped to make room for a chunk with a lower
    /// TSN (see [`AddOutcome::AcceptedAfterEviction`]): the association
    /// un-records them in its [`DataTracker`](super::DataTracker) (RFC 9260
    /// §6.2: dropped chunks MUST NOT be reported in later Gap Ack Blocks).
    pub fn take_evicted(&mut self) -> impl Iterator<Item = Tsn> + '_ {
        self.evicted.drain(..)
    }

    /// Drops the held fragments with the highest TSNs, all above `key`,
    /// until at least `need` bytes are freed. Does nothing and returns
    /// false if that is not possible. Complete messages waiting for
    /// ordering are not evicted.
    fn evict_above(&mut self, key: u64, need: usize) -> bool {
        let Some(from) = key.checked_add(1) else {
            return false;
        };
        let mut avail = 0usize;
        match self.cfg.mode {
            ReassemblyMode::Data => {
                for f in self.data_frags.range(from..).rev().map(|e| e.1) {
                    avail = avail.saturating_add(f.payload.len());
                    if avail >= need {
                        break;
                    }
                }
            }
            ReassemblyMode::IData => {
                for (mk, fsn) in self.idata_index.range(from..).rev().map(|e| e.1) {
                    let l = self
                        .partials
                        .get(mk)
                        .and_then(|p| p.frags.get(fsn))
                        .map_or(0, |f| f.2.len());
                    avail = avail.saturating_add(l);
                    if avail >= need {
                        break;
                    }
                }
            }
        }
        if avail < need {
            return false;
        }
        let mut freed = 0usize;
        while freed < need {
            let dropped = match self.cfg.mode {
                ReassemblyMode::Data => self
                    .data_frags
                    .pop_last()
                    .map(|(_, f)| (f.tsn, f.payload.len())),
                ReassemblyMode::IData => self.idata_index.pop_last().and_then(|(_, (mk, fsn))| {
                    let p = self.partials.get_mut(&mk)?;
                    let (_, tsn, payload) = p.frags.remove(&fsn)?;
                    p.bytes = p.bytes.saturating_sub(payload.len());
                    if fsn == 0 {
                        p.ppid = None;
                        p.first_tsn = None;
                    }
                    if p.end_fsn == Some(fsn) {
                        p.end_fsn = None;
                    }
                    if p.frags.is_empty() {
                        self.partials.remove(&mk);
                    }
                    Some((tsn, payload.len()))
                }),
            };
            let Some((tsn, l)) = dropped else { break };
            tracing::debug!(%tsn, "rx: evicting held fragment to make room");
            freed += l;
            self.evicted.push(tsn);
        }
        self.buffered = self.buffered.saturating_sub(freed);
        true
    }

    /// Whether the fragment (by TSN, or by MID/FSN for I-DATA) is held.
    fn holds(&self, c: &IncomingData, key: u64) -> bool {
        match c.seq {
            Seq::Ssn(_) => self.holds_data(key),
            Seq::IData { .. } if self.partials.is_empty() => false,
            Seq::IData { mid, fsn } => {
                let k = MsgKey {
                    stream: c.stream,
                    unordered: c.unordered,
                    mid: mid.0,
                };
                let fsn = if c.beginning { 0 } else { fsn.0 };
                self.partials
                    .get(&k)
                    .is_some_and(|p| p.frags.contains_key(&fsn))
            }
        }
    }

    /// Whether the DATA fragment with unwrapped TSN `key` is held.
    /// Fragments mostly arrive in TSN order: one above every fragment held
    /// is found not held without a search.
    fn holds_data(&self, key: u64) -> bool {
        match self.data_frags.last_key_value() {
            Some((&last, _)) if key < last => self.data_frags.contains_key(&key),
            Some((&last, _)) => key == last,
            None => false,
        }
    }

    /// Whether a deferred stream reset holds this chunk back.
    fn defers(&self, c: &IncomingData, key: u64) -> bool {
        self.deferred_reset.as_ref().is_some_and(|(last, streams)| {
            key > *last && (streams.is_empty() || streams.contains(&c.stream))
        })
    }

    /// `add` without the buffer limit, for deferred chunks replayed.
    fn add_unchecked(&mut self, chunk: IncomingData) -> Result<AddOutcome, ReassemblyError> {
        if self.is_stale(&chunk) {
            return Ok(AddOutcome::Accepted);
        }
        let key = self.tsns.unwrap(chunk.tsn.0);
        if self.holds(&chunk, key) {
            return Ok(AddOutcome::Duplicate);
        }
        self.add_new(chunk, key)
    }

    /// Adds a chunk that is not held, not stale and not deferred; `key` is
    /// its unwrapped TSN.
    fn add_new(&mut self, chunk: IncomingData, key: u64) -> Result<AddOutcome, ReassemblyError> {
        match (self.cfg.mode, chunk.seq) {
            (ReassemblyMode::Data, Seq::Ssn(ssn)) => self.add_data(chunk, ssn, key),
            (ReassemblyMode::IData, Seq::IData { mid, fsn }) => self.add_idata(chunk, mid, fsn),
            _ => Err(ReassemblyError::WrongMode),
        }
    }

    /// Whether `c` belongs to a message before the stream's next expected
    /// SSN/MID (ordered) or at/before a skipped unordered MID (I-DATA).
    fn is_stale(&self, c: &IncomingData) -> bool {
        let Some(st) = self.streams.get(&c.stream) else {
            return false;
        };
        let mode = self.cfg.mode;
        let raw = match c.seq {
            Seq::Ssn(ssn) => u32::from(ssn.0),
            Seq::IData { mid, .. } => mid.0,
        };
        if !c.unordered {
            Self::seq_distance(mode, raw, st.next_raw) < 0
        } else {
            mode == ReassemblyMode::IData
                && st
                    .unordered_floor
                    .is_some_and(|f| Self::seq_distance(mode, raw, f) <= 0)
        }
    }

    /// A DATA chunk not held yet (`key`: its unwrapped TSN).
    fn add_data(
        &mut self,
        c: IncomingData,
        ssn: Ssn,
        key: u64,
    ) -> Result<AddOutcome, ReassemblyError> {
        if c.beginning && c.ending {
            self.buffered += c.payload.len();
            let msg = ReceivedMessage {
                stream: c.stream,
                ppid: c.ppid,
                unordered: c.unordered,
                data: c.payload,
                tsn: c.tsn,
            };
            self.complete(msg, u32::from(ssn.0));
            return Ok(AddOutcome::Accepted);
        }
        let ending = c.ending;
        self.buffered += c.payload.len();
        self.data_frags.insert(
            key,
            DataFrag {
                stream: c.stream,
                ppid: c.ppid,
                unordered: c.unordered,
                beginning: c.beginning,
                ending: c.ending,
                ssn,
                tsn: c.tsn,
                payload: c.payload,
            },
        );
        self.try_assemble_data(key, ending)?;
        Ok(AddOutcome::Accepted)
    }

    /// Whether `next` continues the message that `cur` belongs to.
    fn continues(cur: &DataFrag, next: &DataFrag) -> bool {
        !cur.ending && !next.beginning
    }

    /// Assembles the message containing the fragment at `key` (whose E bit
    /// is `ending`) if all its fragments are present. Walks forward to the
    /// E fragment, then back to the B fragment in one ordered pass over the
    /// run. In-order arrival costs no search beyond the insertion per
    /// fragment, and one pass over the message at its end.
    fn try_assemble_data(&mut self, key: u64, ending: bool) -> Result<(), ReassemblyError> {
        let mut last = key;
        if !ending {
            if self
                .data_frags
                .last_key_value()
                .is_some_and(|(&k, _)| k == key)
            {
                // The highest fragment held: nothing follows it yet.
                return Ok(());
            }
            loop {
                let Some(cur) = self.data_frags.get(&last) else {
                    return Ok(());
                };
                if cur.ending {
                    break;
                }
                match self.data_frags.get(&(last + 1)) {
                    Some(n) if Self::continues(cur, n) => last += 1,
                    _ => return Ok(()),
                }
            }
        }
        let mut expect = last;
        let mut total = 0usize;
        let mut after: Option<&DataFrag> = None;
        let mut first = None;
        for (&k, f) in self.data_frags.range(..=last).rev() {
            if k != expect || after.is_some_and(|n| !Self::continues(f, n)) {
                break;
            }
            total = total.saturating_add(f.payload.len());
            if f.beginning {
                first = Some(k);
                break;
            }
            let Some(prev) = k.checked_sub(1) else {
                break;
            };
            expect = prev;
            after = Some(f);
        }
        let Some(first) = first else {
            return Ok(());
        };
        if total > self.cfg.max_message_size {
            self.drop_data_range(first, last);
            return Err(ReassemblyError::MessageTooLarge {
                size: total,
                max: self.cfg.max_message_size,
            });
        }
        let mut buf = BytesMut::with_capacity(total);
        let mut head: Option<DataFrag> = None;
        let mut take = |f: DataFrag| {
            buf.extend_from_slice(&f.payload);
            if head.is_none() {
                head = Some(f);
            }
        };
        // The run is consecutive keys. When it is all the map holds (in-order
        // arrival), the map is taken whole: no removal rebalances the tree.
        // When it starts the map, it is taken from the front without
        // searching.
        let in_front = self
            .data_frags
            .first_key_value()
            .is_some_and(|(&k, _)| k == first);
        let whole = in_front
            && self
                .data_frags
                .last_key_value()
                .is_some_and(|(&k, _)| k == last);
        if whole {
            core::mem::take(&mut self.data_frags)
                .into_values()
                .for_each(take);
        } else {
            for k in first..=last {
                let f = if in_front {
                    self.data_frags.pop_first().map(|(_, f)| f)
                } else {
                    self.data_frags.remove(&k)
                };
                if let Some(f) = f {
                    take(f);
                }
            }
        }
        if let Some(h) = head {
            let msg = ReceivedMessage {
                stream: h.stream,
                ppid: h.ppid,
                unordered: h.unordered,
                data: buf.freeze(),
                tsn: h.tsn,
            };
            self.complete(msg, u32::from(h.ssn.0));
        }
        Ok(())
    }

    fn drop_data_range(&mut self, first: u64, last: u64) {
        for k in first..=last {
            if let Some(f) = self.data_frags.remove(&k) {
                self.buffered = self.buffered.saturating_sub(f.payload.len());
            }
        }
    }

    fn add_idata(
        &mut self,
        c: IncomingData,
        mid: Mid,
        fsn: Fsn,
    ) -> Result<AddOutcome, ReassemblyError> {
        let key = MsgKey {
            stream: c.stream,
            unordered: c.unordered,
            mid: mid.0,
        };
        let len = c.payload.len();
        // Fast path (no hashing while nothing is partial): a whole message.
        if c.beginning
            && c.ending
            && (self.partials.is_empty() || !self.partials.contains_key(&key))
        {
            self.buffered += len;
            let msg = ReceivedMessage {
                stream: c.stream,
                ppid: c.ppid,
                unordered: c.unordered,
                data: c.payload,
                tsn: c.tsn,
            };
            self.complete(msg, mid.0);
            return Ok(AddOutcome::Accepted);
        }
        // RFC 8260 §2.1: with the B bit the FSN is implicitly 0.
        let fsn = if c.beginning { 0 } else { fsn.0 };
        let max = self.cfg.max_message_size;
        let partial = self.partials.entry(key).or_default();
        if partial.frags.contains_key(&fsn) {
            return Ok(AddOutcome::Duplicate);
        }
        let size = partial.bytes.saturating_add(len);
        if size > max {
            if let Some(p) = self.partials.remove(&key) {
                self.buffered = self.buffered.saturating_sub(p.bytes);
                for (k, _, _) in p.frags.values() {
                    self.idata_index.remove(k);
                }
            }
            return Err(ReassemblyError::MessageTooLarge { size, max });
        }
        let ukey = self.tsns.unwrap(c.tsn.0);
        partial.frags.insert(fsn, (ukey, c.tsn, c.payload));
        self.idata_index.insert(ukey, (key, fsn));
        partial.bytes = size;
        if c.beginning {
            partial.ppid = Some(c.ppid);
            partial.first_tsn = Some(c.tsn);
        }
        if c.ending {
            partial.end_fsn = Some(fsn);
        }
        self.buffered += len;
        let complete = match (partial.ppid, partial.end_fsn) {
            (Some(_), Some(end)) => {
                u64::try_from(partial.frags.len()).ok() == Some(u64::from(end) + 1)
            }
            _ => false,
        };
        if complete {
            if let Some(p) = self.partials.remove(&key) {
                let mut buf = BytesMut::with_capacity(p.bytes);
                for (k, _, payload) in p.frags.values() {
                    buf.extend_from_slice(payload);
                    self.idata_index.remove(k);
                }
                let msg = ReceivedMessage {
                    stream: key.stream,
                    ppid: p.ppid.unwrap_or_default(),
                    unordered: key.unordered,
                    data: buf.freeze(),
                    tsn: p.first_tsn.unwrap_or(c.tsn),
                };
                self.complete(msg, mid.0);
            }
        }
        Ok(AddOutcome::Accepted)
    }

    /// Signed serial distance `a - b` in the width of the mode's sequence
    /// numbers (16-bit SSN or 32-bit MID).
    fn seq_distance(mode: ReassemblyMode, a: u32, b: u32) -> i64 {
        match mode {
            ReassemblyMode::Data => i64::from((a as u16).wrapping_sub(b as u16) as i16),
            ReassemblyMode::IData => i64::from(a.wrapping_sub(b) as i32),
        }
    }

    fn seq_next(mode: ReassemblyMode, raw: u32) -> u32 {
        match mode {
            ReassemblyMode::Data => u32::from((raw as u16).wrapping_add(1)),
            ReassemblyMode::IData => raw.wrapping_add(1),
        }
    }

    /// A complete message (already counted in `buffered`): deliver it or
    /// hold it for ordering (RFC 9260 §6.6).
    fn complete(&mut self, msg: ReceivedMessage, seq: u32) {
        if msg.unordered {
            self.ready.push_back(msg);
            return;
        }
        let mode = self.cfg.mode;
        let st = self.streams.get_or_default(msg.stream);
        let d = Self::seq_distance(mode, seq, st.next_raw);
        if d < 0 {
            // Older than what was delivered or skipped: a stale message.
            tracing::debug!(
                stream = msg.stream.0,
                seq,
                "rx: dropping stale ordered message"
            );
            self.buffered = self.buffered.saturating_sub(msg.data.len());
            return;
        }
        if d == 0 {
            st.next += 1;
            st.next_raw = Self::seq_next(mode, st.next_raw);
            self.ready.push_back(msg);
            Self::drain(mode, st, &mut self.ready);
            return;
        }
        let key = st.next + d.unsigned_abs();
        match st.pending.entry(key) {
            std::collections::btree_map::Entry::Occupied(_) => {
                self.buffered = self.buffered.saturating_sub(msg.data.len());
            }
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert((seq, msg));
            }
        }
    }

    /// Moves consecutive pending messages of `st` to `ready`.
    fn drain(mode: ReassemblyMode, st: &mut StreamState, ready: &mut VecDeque<ReceivedMessage>) {
        while let Some(entry) = st.pending.first_entry() {
            if *entry.key() != st.next {
                break;
            }
            let (_, msg) = entry.remove();
            st.next += 1;
            st.next_raw = Self::seq_next(mode, st.next_raw);
            ready.push_back(msg);
        }
    }

    /// RFC 3758 §3.6 / RFC 8260 §2.3.1: the peer abandoned everything up to
    /// `new_cum_tsn` and the listed messages. Call only when the
    /// [`DataTracker`](super::DataTracker) accepted the FORWARD-TSN (it was
    /// not stale).
    ///
    /// - DATA mode: fragments at or below `new_cum_tsn` that can no longer
    ///   form a complete message (a fragment they need is at or below the
    ///   new cumulative TSN and missing) are dropped; fragments of messages
    ///   that can still complete are kept.
    /// - I-DATA mode: partial messages of the listed stream and U bit with
    ///   MID at or before the skipped one are dropped.
    /// - Ordered streams listed: complete messages up to the skipped SSN/MID
    ///   are made available, the expected SSN/MID moves past it, and what
    ///   follows in order is delivered.
    pub fn handle_forward_tsn(
        &mut self,
        new_cum_tsn: Tsn,
        skipped: impl IntoIterator<Item = SkippedMessage>,
    ) {
        let mode = self.cfg.mode;
        if mode == ReassemblyMode::Data {
            self.drop_dead_data_fragments(new_cum_tsn);
        }
        for s in skipped {
            let raw = s.seq.raw();
            if mode == ReassemblyMode::IData {
                let mut freed = 0usize;
                let index = &mut self.idata_index;
                self.partials.retain(|k, p| {
                    let dead = k.stream == s.stream
                        && k.unordered == s.unordered
                        && Self::seq_distance(mode, k.mid, raw) <= 0;
                    if dead {
                        freed += p.bytes;
                        for (ukey, _, _) in p.frags.values() {
                            index.remove(ukey);
                        }
                    }
                    !dead
                });
                self.buffered = self.buffered.saturating_sub(freed);
            }
            let st = self.streams.get_or_default(s.stream);
            if s.unordered {
                if mode == ReassemblyMode::IData {
                    let later = st
                        .unordered_floor
                        .map_or(true, |f| Self::seq_distance(mode, raw, f) > 0);
                    if later {
                        st.unordered_floor = Some(raw);
                    }
                }
                continue;
            }
            let d = Self::seq_distance(mode, raw, st.next_raw);
            if d < 0 {
                continue; // already past it
            }
            let skip_to = st.next + d.unsigned_abs();
            // Messages up to the skipped one that did arrive complete are
            // delivered (RFC 3758 §3.6 "make available for delivery").
            while let Some(entry) = st.pending.first_entry() {
                if *entry.key() > skip_to {
                    break;
                }
                let (_, msg) = entry.remove();
                self.ready.push_back(msg);
            }
            st.next = skip_to + 1;
            st.next_raw = Self::seq_next(mode, raw);
            Self::drain(mode, st, &mut self.ready);
        }
    }

    /// DATA mode: drops runs of fragments starting at or below `new_cum`
    /// that can never complete.
    fn drop_dead_data_fragments(&mut self, new_cum: Tsn) {
        let limit = self.tsns.unwrap(new_cum.0);
        let mut cursor = 0u64;
        while cursor <= limit {
            let Some((&start, _)) = self.data_frags.range(cursor..=limit).next() else {
                break;
            };
            let mut end = start;
            let mut beginning = false;
            let mut complete = false;
            if let Some(f) = self.data_frags.get(&start) {
                beginning = f.beginning;
            }
            while let Some(cur) = self.data_frags.get(&end) {
                if cur.ending {
                    complete = true;
                    break;
                }
                match self.data_frags.get(&(end + 1)) {
                    Some(n) if Self::continues(cur, n) => end += 1,
                    _ => break,
                }
            }
            // The run is alive only if it has its B fragment, and the
            // fragment it misses (end + 1) may still arrive.
            let missing = end + 1;
            let alive = beginning
                && !complete
                && missing > limit
                && !self.data_frags.contains_key(&missing);
            if !alive {
                self.drop_data_range(start, end);
            }
            cursor = end + 1;
        }
    }

    /// RFC 6525 §5.2.4 G4/G5 and §5.2.7 H5 (SSN/TSN reset): as a
    /// FORWARD-TSN over everything for all streams, then every stream
    /// restarts at SSN/MID 0 and the peer's next TSN is `peer_next_tsn`.
    /// Complete messages that waited for an earlier one are made available
    /// (in their stream's order); fragments of incomplete messages are
    /// dropped (the peer abandoned them, §5.1.4 C2).
    ///
    /// Chunks held by [`defer_reset`](Self::defer_reset) (with all streams:
    /// our own SSN/TSN Reset Request was in flight) are sorted by the
    /// boundary: those before `peer_next_tsn` were sent before the reset
    /// and are processed first, with the old numbering; the others after
    /// it. An error there is a protocol violation, as from
    /// [`add`](Self::add).
    pub fn restart(&mut self, peer_next_tsn: Tsn) -> Result<(), ReassemblyError> {
        self.deferred_reset = None;
        let held = core::mem::take(&mut self.deferred);
        let (before, after): (Vec<_>, Vec<_>) =
            held.into_iter().partition(|c| c.tsn.lt(peer_next_tsn));
        let mut result = self.replay(before);
        let ready = &mut self.ready;
        self.streams.for_each_mut(|st| {
            for (_, (_, msg)) in core::mem::take(&mut st.pending) {
                ready.push_back(msg);
            }
        });
        self.streams = StreamTable::default();
        self.data_frags.clear();
        self.partials.clear();
        self.idata_index.clear();
        self.evicted.clear();
        self.tsns = Unwrapper::new(peer_next_tsn.0);
        self.buffered = self.ready.iter().map(|m| m.data.len()).sum::<usize>()
            + after.iter().map(|c| c.payload.len()).sum::<usize>();
        result = result.and(self.replay(after));
        result
    }

    /// Ends deferred reset processing without a reset (the request was
    /// refused): the held chunks are processed as they are.
    pub fn release_deferred(&mut self) -> Result<(), ReassemblyError> {
        self.deferred_reset = None;
        let held = core::mem::take(&mut self.deferred);
        self.replay(held)
    }

    /// Processes chunks held by a deferred reset (already counted against
    /// the buffer).
    fn replay(&mut self, chunks: Vec<IncomingData>) -> Result<(), ReassemblyError> {
        let mut result = Ok(());
        for chunk in chunks {
            // Uncount, then re-add without the limit check.
            self.buffered = self.buffered.saturating_sub(chunk.payload.len());
            if let Err(e) = self.add_unchecked(chunk) {
                result = result.and(Err(e));
            }
        }
        result
    }

    /// RFC 6525 §5.2.2 E2 "deferred reset processing": an Outgoing SSN
    /// Reset Request for `streams` (all when empty) arrived whose Sender's
    /// Last Assigned TSN is above the cumulative ack. From now on, chunks of
    /// those streams with a TSN above `senders_last_assigned_tsn` are
    /// accepted (and counted in the buffer) but held back until
    /// [`ReassemblyQueue::reset_streams`] performs the reset. One deferred
    /// reset at a time: a new call replaces the criteria (chunks already
    /// held stay held).
    pub fn defer_reset(&mut self, senders_last_assigned_tsn: Tsn, streams: &[StreamId]) {
        let last = self.tsns.unwrap(senders_last_assigned_tsn.0);
        self.deferred_reset = Some((last, streams.to_vec()));
    }

    /// RFC 6525 §5.2.2 E3/E4: resets the incoming `streams` (all when
    /// empty): the next expected SSN/MID becomes 0. Then ends deferred reset
    /// processing and processes the held-back chunks normally; an error
    /// there is a protocol violation, as from [`ReassemblyQueue::add`].
    ///
    /// The association calls this only once the cumulative ack reached the
    /// request's Sender's Last Assigned TSN, so everything before it was
    /// received. Anything still held for these streams is therefore assumed
    /// to be sent after the reset: complete messages waiting for ordering
    /// are re-sequenced from 0 (and delivered if now in order); fragments
    /// are kept. In I-DATA mode both MID counters (ordered and unordered)
    /// restart at 0 (RFC 8260 §2.3.2).
    pub fn reset_streams(&mut self, streams: &[StreamId]) -> Result<(), ReassemblyError> {
        let mode = self.cfg.mode;
        let ready = &mut self.ready;
        let mut dropped = 0usize;
        let mut reset = |st: &mut StreamState| {
            let pending = core::mem::take(&mut st.pending);
            st.next_raw = 0;
            // RFC 8260 §2.3.2: the unordered MID counter restarts too.
            st.unordered_floor = None;
            for (_, (raw, msg)) in pending {
                let d = Self::seq_distance(mode, raw, 0);
                if d < 0 {
                    dropped += msg.data.len();
                    continue;
                }
                st.pending.insert(st.next + d.unsigned_abs(), (raw, msg));
            }
            Self::drain(mode, st, ready);
        };
        if streams.is_empty() {
            self.streams.for_each_mut(&mut reset);
        } else {
            for id in streams {
                if let Some(st) = self.streams.get_mut(id) {
                    reset(st);
                }
            }
        }
        self.buffered = self.buffered.saturating_sub(dropped);
        self.deferred_reset = None;
        let held = core::mem::take(&mut self.deferred);
        self.replay(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: usize = 1 << 20;

    fn queue(mode: ReassemblyMode) -> ReassemblyQueue {
        ReassemblyQueue::new(
            Tsn(0),
            ReassemblyConfig {
                mode,
                max_buffer: BIG,
                max_message_size: BIG,
            },
        )
    }

    /// A DATA chunk; `be` = (B, E).
    fn data(
        tsn: u32,
        stream: u16,
        ssn: u16,
        unordered: bool,
        be: (bool, bool),
        p: &'static [u8],
    ) -> IncomingData {
        IncomingData {
            tsn: Tsn(tsn),
            stream: StreamId(stream),
            ppid: Ppid(tsn),
            unordered,
            beginning: be.0,
            ending: be.1,
            seq: Seq::Ssn(Ssn(ssn)),
            payload: Bytes::from_static(p),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn idata(
        tsn: u32,
        stream: u16,
        mid: u32,
        fsn: u32,
        unordered: bool,
        be: (bool, bool),
        p: &'static [u8],
    ) -> IncomingData {
        IncomingData {
            tsn: Tsn(tsn),
            stream: StreamId(stream),
            ppid: Ppid(7),
            unordered,
            beginning: be.0,
            ending: be.1,
            seq: Seq::IData {
                mid: Mid(mid),
                fsn: Fsn(fsn),
            },
            payload: Bytes::from_static(p),
        }
    }

    const WHOLE: (bool, bool) = (true, true);
    const FIRST: (bool, bool) = (true, false);
    const MIDDLE: (bool, bool) = (false, false);
    const LAST: (bool, bool) = (false, true);

    fn add(q: &mut ReassemblyQueue, c: IncomingData) {
        assert_eq!(q.add(c), Ok(AddOutcome::Accepted));
    }

    fn drain(q: &mut ReassemblyQueue) -> Vec<(u16, Vec<u8>)> {
        std::iter::from_fn(|| q.poll_message())
            .map(|m| (m.stream.0, m.data.to_vec()))
            .collect()
    }

    #[test]
    fn single_chunk_message_is_not_copied() {
        let mut q = queue(ReassemblyMode::Data);
        let c = data(0, 0, 0, false, WHOLE, b"abc");
        let ptr = c.payload.as_ptr();
        add(&mut q, c);
        assert_eq!(q.buffered_bytes(), 3);
        let m = q.poll_message().unwrap();
        assert_eq!(m.data.as_ptr(), ptr);
        assert_eq!((m.tsn, m.ppid, m.unordered), (Tsn(0), Ppid(0), false));
        assert_eq!(q.buffered_bytes(), 0);
    }

    #[test]
    fn ordered_messages_wait_for_earlier_ssn() {
        let mut q = queue(ReassemblyMode::Data);
        add(&mut q, data(2, 1, 2, false, WHOLE, b"c"));
        add(&mut q, data(1, 1, 1, false, WHOLE, b"b"));
        // Another stream is independent.
        add(&mut q, data(3, 2, 0, false, WHOLE, b"x"));
        assert_eq!(drain(&mut q), vec![(2, b"x".to_vec())]);
        assert_eq!(q.buffered_bytes(), 2);
        add(&mut q, data(0, 1, 0, false, WHOLE, b"a"));
        assert_eq!(
            drain(&mut q),
            vec![(1, b"a".to_vec()), (1, b"b".to_vec()), (1, b"c".to_vec())]
        );
    }

    #[test]
    fn fragments_reassemble_in_any_order() {
        let mut q = queue(ReassemblyMode::Data);
        add(&mut q, data(2, 0, 0, false, LAST, b"ef"));
        add(&mut q, data(0, 0, 0, false, FIRST, b"ab"));
        assert_eq!(q.ready_messages(), 0);
        assert_eq!(
            q.add(data(0, 0, 0, false, FIRST, b"ab")),
            Ok(AddOutcome::Duplicate)
        );
        add(&mut q, data(1, 0, 0, false, MIDDLE, b"cd"));
        let m = q.poll_message().unwrap();
        assert_eq!(&m.data[..], b"abcdef");
        assert_eq!(m.tsn, Tsn(0));
        assert_eq!(m.ppid, Ppid(0), "PPID of the first fragment");
        assert_eq!(q.buffered_bytes(), 0);
    }

    #[test]
    fn unordered_fragmented_message_bypasses_ordering() {
        let mut q = queue(ReassemblyMode::Data);
        // Ordered SSN 1 is stuck waiting for SSN 0.
        add(&mut q, data(10, 0, 1, false, WHOLE, b"late"));
        add(&mut q, data(12, 0, 0, true, LAST, b"yz"));
        add(&mut q, data(11, 0, 0, true, FIRST, b"wx"));
        let m = q.poll_message().unwrap();
        assert_eq!((&m.data[..], m.unordered), (&b"wxyz"[..], true));
        assert!(q.poll_message().is_none());
    }

    #[test]
    fn ssn_wraps_at_65535() {
        let mut q = queue(ReassemblyMode::Data);
        let mut tsn = 0u32;
        for ssn in 0..=65535u16 {
            add(&mut q, data(tsn, 3, ssn, false, WHOLE, b"."));
            tsn += 1;
        }
        assert_eq!(drain(&mut q).len(), 65536);
        // SSN 1 after the wrap must wait for SSN 0.
        add(&mut q, data(tsn + 1, 3, 1, false, WHOLE, b"1"));
        assert_eq!(q.ready_messages(), 0);
        add(&mut q, data(tsn, 3, 0, false, WHOLE, b"0"));
        assert_eq!(drain(&mut q), vec![(3, b"0".to_vec()), (3, b"1".to_vec())]);
    }

    #[test]
    fn tsn_wrap_inside_a_message() {
        let mut q = ReassemblyQueue::new(
            Tsn(u32::MAX - 1),
            ReassemblyConfig {
                mode: ReassemblyMode::Data,
                max_buffer: BIG,
                max_message_size: BIG,
            },
        );
        add(&mut q, data(0, 0, 0, false, LAST, b"c"));
        add(&mut q, data(u32::MAX - 1, 0, 0, false, FIRST, b"a"));
        add(&mut q, data(u32::MAX, 0, 0, false, MIDDLE, b"b"));
        assert_eq!(drain(&mut q), vec![(0, b"abc".to_vec())]);
    }

    #[test]
    fn idata_interleaves_messages_of_two_streams() {
        let mut q = queue(ReassemblyMode::IData);
        // Stream 1 MID 0 and stream 2 MID 0 fragments alternate in TSN.
        add(&mut q, idata(0, 1, 0, 0, false, FIRST, b"A1"));
        add(&mut q, idata(1, 2, 0, 0, false, FIRST, b"B1"));
        add(&mut q, idata(2, 1, 0, 1, false, MIDDLE, b"A2"));
        add(&mut q, idata(4, 2, 0, 1, false, LAST, b"B2"));
        assert_eq!(drain(&mut q), vec![(2, b"B1B2".to_vec())]);
        add(&mut q, idata(3, 1, 0, 2, false, LAST, b"A3"));
        assert_eq!(drain(&mut q), vec![(1, b"A1A2A3".to_vec())]);
        assert_eq!(q.buffered_bytes(), 0);
    }

    #[test]
    fn idata_ordered_by_mid_and_unordered_mids_are_separate() {
        let mut q = queue(ReassemblyMode::IData);
        add(&mut q, idata(0, 1, 1, 1, false, LAST, b"2"));
        add(&mut q, idata(1, 1, 1, 0, false, FIRST, b"1"));
        // Unordered MID 0 on the same stream is a different message.
        add(&mut q, idata(2, 1, 0, 1, true, LAST, b"v"));
        add(&mut q, idata(3, 1, 0, 0, true, FIRST, b"u"));
        assert_eq!(drain(&mut q), vec![(1, b"uv".to_vec())]);
        add(&mut q, idata(4, 1, 0, 0, false, WHOLE, b"0"));
        assert_eq!(drain(&mut q), vec![(1, b"0".to_vec()), (1, b"12".to_vec())]);
    }

    #[test]
    fn wrong_mode_and_empty_payload_are_errors() {
        let mut q = queue(ReassemblyMode::IData);
        assert_eq!(
            q.add(data(0, 0, 0, false, WHOLE, b"x")),
            Err(ReassemblyError::WrongMode)
        );
        assert_eq!(
            q.add(idata(0, 0, 0, 0, false, WHOLE, b"")),
            Err(ReassemblyError::NoUserData(Tsn(0)))
        );
    }

    #[test]
    fn buffer_full_refuses_and_recovers() {
        let mut q = ReassemblyQueue::new(
            Tsn(0),
            ReassemblyConfig {
                mode: ReassemblyMode::Data,
                max_buffer: 10,
                max_message_size: 10,
            },
        );
        add(&mut q, data(0, 0, 0, false, WHOLE, b"123456"));
        assert_eq!(
            q.add(data(1, 0, 1, false, WHOLE, b"12345")),
            Ok(AddOutcome::BufferFull)
        );
        assert_eq!(q.buffered_bytes(), 6);
        add(&mut q, data(1, 0, 1, false, WHOLE, b"1234"));
        assert_eq!(q.buffered_bytes(), 10);
        // Reading frees the buffer.
        q.poll_message().unwrap();
        add(&mut q, data(2, 0, 2, false, WHOLE, b"12345"));
    }

    #[test]
    fn full_buffer_evicts_highest_fragments_for_a_lower_tsn() {
        for mode in [ReassemblyMode::Data, ReassemblyMode::IData] {
            let mut q = ReassemblyQueue::new(
                Tsn(0),
                ReassemblyConfig {
                    mode,
                    max_buffer: 10,
                    max_message_size: 10,
                },
            );
            let chunk = |tsn: u32, fsn: u32, be: (bool, bool), p: &'static [u8]| match mode {
                ReassemblyMode::Data => data(tsn, 0, 0, true, be, p),
                ReassemblyMode::IData => idata(tsn, 0, 0, fsn, true, be, p),
            };
            // One unordered message TSN 3..=5, of which 3 and 5 are held.
            add(&mut q, chunk(3, 0, FIRST, b"aaaa"));
            add(&mut q, chunk(5, 2, LAST, b"cccc"));
            // Above everything held and no room: dropped.
            assert_eq!(
                q.add(chunk(6, 3, LAST, b"xxx")),
                Ok(AddOutcome::BufferFull),
                "{mode:?}"
            );
            assert_eq!(q.take_evicted().count(), 0);
            // A fragment already held is a duplicate and evicts nothing.
            assert_eq!(
                q.add(chunk(3, 0, FIRST, b"aaaa")),
                Ok(AddOutcome::Duplicate),
                "{mode:?}"
            );
            assert_eq!(q.take_evicted().count(), 0);
            // Lower than the largest held: TSN 5 makes room for it.
            let other = match mode {
                ReassemblyMode::Data => data(1, 1, 0, false, WHOLE, b"zzz"),
                ReassemblyMode::IData => idata(1, 1, 0, 0, false, WHOLE, b"zzz"),
            };
            assert_eq!(
                q.add(other),
                Ok(AddOutcome::AcceptedAfterEviction),
                "{mode:?}"
            );
            assert_eq!(
                q.take_evicted().collect::<Vec<_>>(),
                vec![Tsn(5)],
                "{mode:?}"
            );
            assert_eq!(q.buffered_bytes(), 7);
            assert_eq!(drain(&mut q), vec![(1, b"zzz".to_vec())]);
            // The evicted fragment is retransmitted and completes the message.
            add(&mut q, chunk(5, 2, LAST, b"cccc"));
            add(&mut q, chunk(4, 1, MIDDLE, b"bb"));
            assert_eq!(drain(&mut q), vec![(0, b"aaaabbcccc".to_vec())], "{mode:?}");
            assert_eq!(q.buffered_bytes(), 0);
        }
    }

    #[test]
    fn message_too_large_is_an_error_and_frees_memory() {
        for mode in [ReassemblyMode::Data, ReassemblyMode::IData] {
            let mut q = ReassemblyQueue::new(
                Tsn(0),
                ReassemblyConfig {
                    mode,
                    max_buffer: 100,
                    max_message_size: 5,
                },
            );
            let (a, b) = match mode {
                ReassemblyMode::Data => (
                    data(0, 0, 0, false, FIRST, b"abc"),
                    data(1, 0, 0, false, LAST, b"def"),
                ),
                ReassemblyMode::IData => (
                    idata(0, 0, 0, 0, false, FIRST, b"abc"),
                    idata(1, 0, 0, 1, false, LAST, b"def"),
                ),
            };
            add(&mut q, a);
            assert_eq!(
                q.add(b),
                Err(ReassemblyError::MessageTooLarge { size: 6, max: 5 }),
                "{mode:?}"
            );
            assert_eq!(q.buffered_bytes(), 0, "{mode:?}");
        }
    }

    #[test]
    fn forward_tsn_delivers_stranded_ordered_messages() {
        let mut q = queue(ReassemblyMode::Data);
        // SSN 0 (TSN 0-1) abandoned after its first fragment arrived;
        // SSN 1 and 2 complete but stuck behind it.
        add(&mut q, data(0, 5, 0, false, FIRST, b"lost"));
        add(&mut q, data(2, 5, 1, false, WHOLE, b"one"));
        add(&mut q, data(3, 5, 2, false, WHOLE, b"two"));
        assert_eq!(q.ready_messages(), 0);
        q.handle_forward_tsn(
            Tsn(1),
            [SkippedMessage {
                stream: StreamId(5),
                unordered: false,
                seq: SkippedSeq::Ssn(Ssn(0)),
            }],
        );
        assert_eq!(
            drain(&mut q),
            vec![(5, b"one".to_vec()), (5, b"two".to_vec())]
        );
        assert_eq!(q.buffered_bytes(), 0, "the abandoned fragment was dropped");
        // The stream continues at SSN 3.
        add(&mut q, data(4, 5, 3, false, WHOLE, b"three"));
        assert_eq!(drain(&mut q), vec![(5, b"three".to_vec())]);
    }

    #[test]
    fn forward_tsn_keeps_fragments_that_can_still_complete() {
        let mut q = queue(ReassemblyMode::Data);
        // Unordered message at TSN 10..=12: 10 received, 11 and 12 pending.
        // TSN 9 (another message) abandoned; the peer advances to 10.
        add(&mut q, data(10, 0, 0, true, FIRST, b"a"));
        // An unordered fragment whose beginning was abandoned (TSN 5).
        add(&mut q, data(6, 0, 0, true, LAST, b"z"));
        q.handle_forward_tsn(Tsn(10), []);
        assert_eq!(q.buffered_bytes(), 1);
        add(&mut q, data(11, 0, 0, true, MIDDLE, b"b"));
        add(&mut q, data(12, 0, 0, true, LAST, b"c"));
        assert_eq!(drain(&mut q), vec![(0, b"abc".to_vec())]);
    }

    #[test]
    fn i_forward_tsn_drops_partial_messages() {
        let mut q = queue(ReassemblyMode::IData);
        add(&mut q, idata(0, 1, 0, 0, false, FIRST, b"x"));
        add(&mut q, idata(1, 1, 0, 0, true, FIRST, b"y"));
        add(&mut q, idata(3, 1, 1, 0, false, WHOLE, b"next"));
        add(&mut q, idata(4, 1, 1, 0, true, FIRST, b"keep"));
        q.handle_forward_tsn(
            Tsn(2),
            [
                SkippedMessage {
                    stream: StreamId(1),
                    unordered: false,
                    seq: SkippedSeq::Mid(Mid(0)),
                },
                SkippedMessage {
                    stream: StreamId(1),
                    unordered: true,
                    seq: SkippedSeq::Mid(Mid(0)),
                },
            ],
        );
        assert_eq!(drain(&mut q), vec![(1, b"next".to_vec())]);
        assert_eq!(q.buffered_bytes(), 4, "unordered MID 1 is kept");
        add(&mut q, idata(5, 1, 1, 1, true, LAST, b"!"));
        assert_eq!(drain(&mut q), vec![(1, b"keep!".to_vec())]);
    }

    #[test]
    fn late_fragments_of_skipped_messages_are_discarded() {
        let mut q = queue(ReassemblyMode::IData);
        q.handle_forward_tsn(
            Tsn(1),
            [
                SkippedMessage {
                    stream: StreamId(1),
                    unordered: false,
                    seq: SkippedSeq::Mid(Mid(0)),
                },
                SkippedMessage {
                    stream: StreamId(1),
                    unordered: true,
                    seq: SkippedSeq::Mid(Mid(4)),
                },
            ],
        );
        // Accepted (the TSN is acknowledged) but not held.
        add(&mut q, idata(2, 1, 0, 1, false, LAST, b"late"));
        add(&mut q, idata(3, 1, 4, 1, true, LAST, b"late"));
        assert_eq!(q.buffered_bytes(), 0);
        // Later messages are unaffected.
        add(&mut q, idata(4, 1, 5, 0, true, WHOLE, b"u5"));
        add(&mut q, idata(5, 1, 1, 0, false, WHOLE, b"o1"));
        assert_eq!(
            drain(&mut q),
            vec![(1, b"u5".to_vec()), (1, b"o1".to_vec())]
        );
    }

    #[test]
    fn reset_streams_restarts_ssn_at_zero() {
        let mut q = queue(ReassemblyMode::Data);
        add(&mut q, data(0, 1, 0, false, WHOLE, b"a"));
        add(&mut q, data(1, 1, 1, false, WHOLE, b"b"));
        add(&mut q, data(2, 2, 0, false, WHOLE, b"x"));
        drain(&mut q);
        q.reset_streams(&[StreamId(1)]).unwrap();
        // After the reset the peer starts again at SSN 0; SSN 1 arrives first.
        add(&mut q, data(4, 1, 1, false, WHOLE, b"new1"));
        assert_eq!(q.ready_messages(), 0);
        add(&mut q, data(3, 1, 0, false, WHOLE, b"new0"));
        assert_eq!(
            drain(&mut q),
            vec![(1, b"new0".to_vec()), (1, b"new1".to_vec())]
        );
        // Stream 2 was not reset: SSN 0 there is stale.
        add(&mut q, data(5, 2, 0, false, WHOLE, b"old"));
        assert!(q.poll_message().is_none());
        assert_eq!(q.buffered_bytes(), 0);
    }

    #[test]
    fn idata_reset_restarts_both_mid_counters() {
        let mut q = queue(ReassemblyMode::IData);
        add(&mut q, idata(0, 1, 0, 0, false, WHOLE, b"o0"));
        // Unordered MIDs up to 3 were skipped by I-FORWARD-TSN.
        q.handle_forward_tsn(
            Tsn(1),
            [SkippedMessage {
                stream: StreamId(1),
                unordered: true,
                seq: SkippedSeq::Mid(Mid(3)),
            }],
        );
        q.reset_streams(&[StreamId(1)]).unwrap();
        add(&mut q, idata(2, 1, 0, 0, true, WHOLE, b"u0"));
        add(&mut q, idata(3, 1, 0, 0, false, WHOLE, b"o0'"));
        assert_eq!(
            drain(&mut q),
            vec![
                (1, b"o0".to_vec()),
                (1, b"u0".to_vec()),
                (1, b"o0'".to_vec())
            ]
        );
    }

    #[test]
    fn reset_all_streams() {
        let mut q = queue(ReassemblyMode::Data);
        add(&mut q, data(5, 2, 0, false, WHOLE, b"x"));
        add(&mut q, data(6, 3, 0, false, WHOLE, b"z"));
        assert_eq!(drain(&mut q).len(), 2);
        q.reset_streams(&[]).unwrap();
        add(&mut q, data(7, 3, 0, false, WHOLE, b"z"));
        assert_eq!(drain(&mut q), vec![(3, b"z".to_vec())]);
        add(&mut q, data(8, 2, 0, false, WHOLE, b"y"));
        assert_eq!(drain(&mut q), vec![(2, b"y".to_vec())]);
        assert_eq!(q.buffered_bytes(), 0);
    }

    #[test]
    fn streams_across_the_id_space_are_independent() {
        let mut q = queue(ReassemblyMode::Data);
        let ids = [65535u16, 0, 300, 256, 255];
        for (i, &id) in ids.iter().enumerate() {
            // SSN 1 first: held until SSN 0 of the same stream.
            add(&mut q, data(2 * i as u32 + 1, id, 1, false, WHOLE, b"1"));
        }
        assert_eq!(q.ready_messages(), 0);
        for (i, &id) in ids.iter().enumerate() {
            add(&mut q, data(2 * i as u32, id, 0, false, WHOLE, b"0"));
            assert_eq!(
                drain(&mut q),
                vec![(id, b"0".to_vec()), (id, b"1".to_vec())]
            );
        }
        // Reset of all streams reaches every page.
        q.reset_streams(&[]).unwrap();
        for (i, &id) in ids.iter().enumerate() {
            add(&mut q, data(100 + i as u32, id, 0, false, WHOLE, b"r"));
        }
        assert_eq!(q.ready_messages(), ids.len());
    }

    #[test]
    fn deferred_reset_holds_new_data_until_reset() {
        let mut q = queue(ReassemblyMode::Data);
        add(&mut q, data(0, 1, 0, false, WHOLE, b"a"));
        // TSN 1 (SSN 1) is still missing when the peer's reset request
        // (last assigned TSN 1) arrives.
        q.defer_reset(Tsn(1), &[StreamId(1)]);
        // New data after the reset restarts at SSN 0; other streams flow.
        add(&mut q, data(2, 1, 0, false, WHOLE, b"new0"));
        add(&mut q, data(3, 2, 0, false, WHOLE, b"other"));
        assert_eq!(
            drain(&mut q),
            vec![(1, b"a".to_vec()), (2, b"other".to_vec())]
        );
        assert_eq!(q.buffered_bytes(), 4, "held data counts against the buffer");
        add(&mut q, data(1, 1, 1, false, WHOLE, b"b"));
        assert_eq!(drain(&mut q), vec![(1, b"b".to_vec())]);
        q.reset_streams(&[StreamId(1)]).unwrap();
        assert_eq!(drain(&mut q), vec![(1, b"new0".to_vec())]);
        assert_eq!(q.buffered_bytes(), 0);
        // Deferral ended: data flows normally.
        add(&mut q, data(4, 1, 1, false, WHOLE, b"new1"));
        assert_eq!(drain(&mut q), vec![(1, b"new1".to_vec())]);
    }
}
