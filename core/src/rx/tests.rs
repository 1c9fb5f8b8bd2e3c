//! Property tests over the tracker and the reassembly queue together.

use std::collections::HashMap;

use bytes::Bytes;
use proptest::prelude::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::types::{Fsn, Mid, Ppid, Ssn, StreamId, Tsn};

/// One message to send: stream, unordered, length, fragment size.
type Spec = (u16, bool, usize, usize);
/// A chunk tagged with the index of its message.
type Tagged = (usize, IncomingData);
/// Per message: its content and the TSN of its first fragment.
type Contents = Vec<(Bytes, Tsn)>;

fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Builds the chunks of `specs` as a sender would. Returns the chunks in
/// TSN order and, per message, its expected content and first TSN.
fn build(
    specs: &[Spec],
    mode: ReassemblyMode,
    initial: Tsn,
    rng: &mut ChaCha8Rng,
) -> (Vec<IncomingData>, Contents) {
    let mut seqs: HashMap<(u16, bool), u32> = HashMap::new();
    // (message index, fragment index, chunk without TSN)
    let mut frags = Vec::new();
    let mut contents = Vec::new();
    for (i, &(stream, unordered, len, frag)) in specs.iter().enumerate() {
        let data: Bytes = (0..len).map(|j| ((i * 7 + j * 13) % 251) as u8).collect();
        let counter = seqs.entry((stream, unordered)).or_insert(0);
        let seq_raw = *counter;
        if !(mode == ReassemblyMode::Data && unordered) {
            *counter += 1;
        }
        let n = len.div_ceil(frag);
        for f in 0..n {
            let seq = match mode {
                ReassemblyMode::Data => Seq::Ssn(Ssn(seq_raw as u16)),
                ReassemblyMode::IData => Seq::IData {
                    mid: Mid(seq_raw),
                    fsn: Fsn(f as u32),
                },
            };
            frags.push((
                i,
                IncomingData {
                    tsn: Tsn(0),
                    stream: StreamId(stream),
                    ppid: Ppid(i as u32),
                    unordered,
                    beginning: f == 0,
                    ending: f + 1 == n,
                    seq,
                    payload: data.slice(f * frag..((f + 1) * frag).min(len)),
                },
            ));
        }
        contents.push((data, Tsn(0)));
    }
    // I-DATA lets fragments of different messages interleave in TSN order.
    if mode == ReassemblyMode::IData {
        shuffle(&mut frags, rng);
    }
    let mut tsn = initial;
    let mut chunks = Vec::with_capacity(frags.len());
    for (i, mut c) in frags {
        c.tsn = tsn;
        if c.beginning {
            contents[i].1 = tsn;
        }
        tsn = tsn.next();
        chunks.push(c);
    }
    (chunks, contents)
}

proptest! {
    #[test]
    fn every_message_delivered_once_in_order(
        idata in any::<bool>(),
        initial in prop_oneof![Just(u32::MAX - 10), any::<u32>()],
        specs in prop::collection::vec((0u16..4, any::<bool>(), 1usize..40, 1usize..16), 1..30),
        seed in any::<u64>(),
        dups in 0usize..20,
    ) {
        let mode = if idata { ReassemblyMode::IData } else { ReassemblyMode::Data };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (chunks, contents) = build(&specs, mode, Tsn(initial), &mut rng);
        let total = chunks.len() as u32;

        // Arrival: a permutation with duplicates mixed in.
        let mut arrival = chunks.clone();
        shuffle(&mut arrival, &mut rng);
        for _ in 0..dups {
            let c = chunks[(rng.next_u64() % chunks.len() as u64) as usize].clone();
            let at = (rng.next_u64() % (arrival.len() as u64 + 1)) as usize;
            arrival.insert(at, c);
        }

        let mut tracker = DataTracker::new(Tsn(initial), DataTrackerConfig::default());
        let mut queue = ReassemblyQueue::new(
            Tsn(initial),
            ReassemblyConfig { mode, max_buffer: 1 << 20, max_message_size: 1 << 16 },
        );
        let mut delivered = Vec::new();
        for (k, c) in arrival.into_iter().enumerate() {
            let tsn = c.tsn;
            match tracker.classify(tsn) {
                Observed::New => {
                    prop_assert_eq!(queue.add(c), Ok(AddOutcome::Accepted));
                    prop_assert_eq!(tracker.observe(tsn), Observed::New);
                }
                Observed::Duplicate => {
                    prop_assert_eq!(tracker.observe(tsn), Observed::Duplicate);
                }
                Observed::Dropped => prop_assert!(false, "TSN {tsn:?} dropped"),
            }
            tracker.on_data_packet(crate::Instant::from_millis(k as u64), false);
            if tracker.sack_due_now() {
                let (mut g, mut d) = (Vec::new(), Vec::new());
                let cum = tracker.write_sack(1200, &mut g, &mut d);
                prop_assert_eq!(cum, tracker.cumulative_tsn_ack());
                tracker.on_sack_sent();
            }
            while let Some(m) = queue.poll_message() {
                delivered.push(m);
            }
        }

        prop_assert_eq!(tracker.cumulative_tsn_ack(), Tsn(initial).add(total - 1));
        prop_assert!(!tracker.has_gaps());
        prop_assert_eq!(queue.buffered_bytes(), 0);
        prop_assert_eq!(delivered.len(), specs.len());

        let mut seen = vec![false; specs.len()];
        let mut last_ordered: HashMap<u16, usize> = HashMap::new();
        for m in &delivered {
            let i = m.ppid.0 as usize;
            prop_assert!(!seen[i], "message {} delivered twice", i);
            seen[i] = true;
            let (stream, unordered, _, _) = specs[i];
            prop_assert_eq!(m.stream, StreamId(stream));
            prop_assert_eq!(m.unordered, unordered);
            prop_assert_eq!(&m.data, &contents[i].0);
            prop_assert_eq!(m.tsn, contents[i].1);
            if !unordered {
                if let Some(&prev) = last_ordered.get(&stream) {
                    prop_assert!(prev < i, "stream {} out of order: {} after {}", stream, i, prev);
                }
                last_ordered.insert(stream, i);
            }
        }
    }
}

/// Like [`build`], but as a real sender: fragments of one stream and
/// ordering are sent in sequence, and in I-DATA mode different streams'
/// messages interleave at random.
fn build_sequential(
    specs: &[Spec],
    mode: ReassemblyMode,
    initial: Tsn,
    rng: &mut ChaCha8Rng,
) -> (Vec<Tagged>, Contents) {
    let mut seqs: HashMap<(u16, bool), u32> = HashMap::new();
    let mut queues: Vec<((u16, bool), std::collections::VecDeque<Tagged>)> = Vec::new();
    let mut contents = Vec::new();
    for (i, &(stream, unordered, len, frag)) in specs.iter().enumerate() {
        let data: Bytes = (0..len).map(|j| ((i * 7 + j * 13) % 251) as u8).collect();
        let counter = seqs.entry((stream, unordered)).or_insert(0);
        let seq_raw = *counter;
        if !(mode == ReassemblyMode::Data && unordered) {
            *counter += 1;
        }
        let qkey = match mode {
            ReassemblyMode::Data => (0, false),
            ReassemblyMode::IData => (stream, unordered),
        };
        let qi = match queues.iter().position(|q| q.0 == qkey) {
            Some(qi) => qi,
            None => {
                queues.push((qkey, Default::default()));
                queues.len() - 1
            }
        };
        let n = len.div_ceil(frag);
        for f in 0..n {
            let seq = match mode {
                ReassemblyMode::Data => Seq::Ssn(Ssn(seq_raw as u16)),
                ReassemblyMode::IData => Seq::IData {
                    mid: Mid(seq_raw),
                    fsn: Fsn(f as u32),
                },
            };
            queues[qi].1.push_back((
                i,
                IncomingData {
                    tsn: Tsn(0),
                    stream: StreamId(stream),
                    ppid: Ppid(i as u32),
                    unordered,
                    beginning: f == 0,
                    ending: f + 1 == n,
                    seq,
                    payload: data.slice(f * frag..((f + 1) * frag).min(len)),
                },
            ));
        }
        contents.push((data, Tsn(0)));
    }
    let mut tsn = initial;
    let mut chunks = Vec::new();
    loop {
        let live: Vec<usize> = (0..queues.len())
            .filter(|&q| !queues[q].1.is_empty())
            .collect();
        if live.is_empty() {
            break;
        }
        let q = live[(rng.next_u64() % live.len() as u64) as usize];
        // Send a few fragments of this queue in a row.
        for _ in 0..=(rng.next_u64() % 3) {
            let Some((i, mut c)) = queues[q].1.pop_front() else {
                break;
            };
            c.tsn = tsn;
            if c.beginning {
                contents[i].1 = tsn;
            }
            tsn = tsn.next();
            chunks.push((i, c));
        }
    }
    (chunks, contents)
}

proptest! {
    /// Partial reliability: some messages are abandoned by the sender (only
    /// some of their chunks arrive, possibly after the FORWARD-TSN that
    /// skips them). Every other message is delivered exactly once and in
    /// order; abandoned ones at most once and intact; nothing is left
    /// behind.
    #[test]
    fn forward_tsn_skips_abandoned_messages(
        idata in any::<bool>(),
        initial in prop_oneof![Just(u32::MAX - 10), any::<u32>()],
        specs in prop::collection::vec((0u16..3, any::<bool>(), 1usize..30, 1usize..10), 1..25),
        seed in any::<u64>(),
    ) {
        let mode = if idata { ReassemblyMode::IData } else { ReassemblyMode::Data };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (chunks, contents) = build_sequential(&specs, mode, Tsn(initial), &mut rng);
        let abandoned: Vec<bool> = (0..specs.len()).map(|_| rng.next_u64() % 4 == 0).collect();
        let last_tsn = Tsn(initial).add(chunks.len() as u32 - 1);

        // Which chunks arrive: all of live messages, some of abandoned ones.
        let mut arrival: Vec<IncomingData> = chunks
            .iter()
            .filter(|(i, _)| !abandoned[*i] || rng.next_u64() % 2 == 0)
            .map(|(_, c)| c.clone())
            .collect();
        shuffle(&mut arrival, &mut rng);

        let mut tracker = DataTracker::new(Tsn(initial), DataTrackerConfig::default());
        let mut queue = ReassemblyQueue::new(
            Tsn(initial),
            ReassemblyConfig { mode, max_buffer: 1 << 20, max_message_size: 1 << 16 },
        );
        let tsn_index = |t: Tsn| t.distance(Tsn(initial)) as usize;

        // The sender's FORWARD-TSN: advance over acked or abandoned TSNs
        // (RFC 3758 §3.5 C1) and list the largest skipped SSN/MID per stream.
        let forward_tsn = |tracker: &mut DataTracker, queue: &mut ReassemblyQueue| {
            let mut point = tracker.cumulative_tsn_ack();
            while point != last_tsn {
                let next = point.next();
                let (i, _) = &chunks[tsn_index(next)];
                if abandoned[*i] || tracker.classify(next) == Observed::Duplicate {
                    point = next;
                } else {
                    break;
                }
            }
            if !point.gt(tracker.cumulative_tsn_ack()) {
                return;
            }
            let mut skipped: HashMap<(u16, bool), u32> = HashMap::new();
            for (i, c) in &chunks {
                if !abandoned[*i] || c.tsn.gt(point) || (mode == ReassemblyMode::Data && c.unordered) {
                    continue;
                }
                let raw = match c.seq {
                    Seq::Ssn(s) => u32::from(s.0),
                    Seq::IData { mid, .. } => mid.0,
                };
                let e = skipped.entry((c.stream.0, c.unordered)).or_insert(raw);
                *e = (*e).max(raw);
            }
            assert!(tracker.handle_forward_tsn(point));
            queue.handle_forward_tsn(
                point,
                skipped.into_iter().map(|((stream, unordered), raw)| SkippedMessage {
                    stream: StreamId(stream),
                    unordered,
                    seq: match mode {
                        ReassemblyMode::Data => SkippedSeq::Ssn(Ssn(raw as u16)),
                        ReassemblyMode::IData => SkippedSeq::Mid(Mid(raw)),
                    },
                }),
            );
        };

        let mut delivered = Vec::new();
        for c in arrival {
            let tsn = c.tsn;
            match tracker.classify(tsn) {
                Observed::New => {
                    prop_assert_eq!(queue.add(c), Ok(AddOutcome::Accepted));
                    tracker.observe(tsn);
                }
                Observed::Duplicate => {
                    tracker.observe(tsn);
                }
                Observed::Dropped => prop_assert!(false, "TSN {tsn:?} dropped"),
            }
            if rng.next_u64() % 5 == 0 {
                forward_tsn(&mut tracker, &mut queue);
            }
            while let Some(m) = queue.poll_message() {
                delivered.push(m);
            }
        }
        forward_tsn(&mut tracker, &mut queue);
        while let Some(m) = queue.poll_message() {
            delivered.push(m);
        }

        prop_assert_eq!(tracker.cumulative_tsn_ack(), last_tsn);
        prop_assert!(!tracker.has_gaps());
        prop_assert_eq!(queue.buffered_bytes(), 0, "abandoned fragments left behind");

        let mut seen = vec![false; specs.len()];
        let mut last_ordered: HashMap<u16, usize> = HashMap::new();
        for m in &delivered {
            let i = m.ppid.0 as usize;
            prop_assert!(!seen[i], "message {} delivered twice", i);
            seen[i] = true;
            prop_assert_eq!(&m.data, &contents[i].0);
            prop_assert_eq!(m.tsn, contents[i].1);
            if !specs[i].1 {
                if let Some(&prev) = last_ordered.get(&specs[i].0) {
                    prop_assert!(prev < i, "stream {} out of order: {} after {}", specs[i].0, i, prev);
                }
                last_ordered.insert(specs[i].0, i);
            }
        }
        for (i, &a) in abandoned.iter().enumerate() {
            prop_assert!(a || seen[i], "live message {} not delivered", i);
        }
    }
}

proptest! {
    /// A sender that ignores the receive window: a small buffer refuses or
    /// evicts chunks (RFC 9260 §6.2), the tracker forgets evicted TSNs, and
    /// retransmission rounds still deliver every message exactly once.
    /// Messages are unordered, and the buffer holds one partial message per
    /// stream, so progress is always possible.
    #[test]
    fn overflowing_sender_still_delivers_everything(
        idata in any::<bool>(),
        initial in any::<u32>(),
        specs in prop::collection::vec((0u16..3, Just(true), 1usize..30, 1usize..10), 1..25),
        seed in any::<u64>(),
    ) {
        let mode = if idata { ReassemblyMode::IData } else { ReassemblyMode::Data };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (chunks, contents) = build_sequential(&specs, mode, Tsn(initial), &mut rng);
        let last_tsn = Tsn(initial).add(chunks.len() as u32 - 1);

        let mut tracker = DataTracker::new(Tsn(initial), DataTrackerConfig::default());
        let mut queue = ReassemblyQueue::new(
            Tsn(initial),
            ReassemblyConfig { mode, max_buffer: 100, max_message_size: 30 },
        );
        let mut delivered = Vec::new();
        let mut rounds = 0;
        while tracker.cumulative_tsn_ack() != last_tsn {
            rounds += 1;
            prop_assert!(rounds < 1000, "no progress");
            // Retransmit everything not acknowledged, with 20% loss.
            let mut flight: Vec<IncomingData> = chunks
                .iter()
                .filter(|(_, c)| tracker.classify(c.tsn) == Observed::New && rng.next_u64() % 5 != 0)
                .map(|(_, c)| c.clone())
                .collect();
            shuffle(&mut flight, &mut rng);
            for c in flight {
                let tsn = c.tsn;
                if tracker.classify(tsn) != Observed::New {
                    continue;
                }
                match queue.add(c) {
                    Ok(AddOutcome::Accepted) => {
                        tracker.observe(tsn);
                    }
                    Ok(AddOutcome::AcceptedAfterEviction) => {
                        // Forget first, or the cumulative ack could pass
                        // over the evicted TSNs.
                        for e in queue.take_evicted() {
                            prop_assert!(e.gt(tsn));
                            prop_assert!(tracker.forget(e));
                        }
                        tracker.observe(tsn);
                    }
                    Ok(AddOutcome::BufferFull) => {}
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
                prop_assert!(queue.buffered_bytes() <= 100);
                if rng.next_u64() % 2 == 0 {
                    while let Some(m) = queue.poll_message() {
                        delivered.push(m);
                    }
                }
            }
        }
        while let Some(m) = queue.poll_message() {
            delivered.push(m);
        }
        prop_assert!(!tracker.has_gaps());
        prop_assert_eq!(queue.buffered_bytes(), 0);
        prop_assert_eq!(delivered.len(), specs.len());
        let mut seen = vec![false; specs.len()];
        for m in &delivered {
            let i = m.ppid.0 as usize;
            prop_assert!(!seen[i], "message {} delivered twice", i);
            seen[i] = true;
            prop_assert_eq!(&m.data, &contents[i].0);
        }
    }
}
