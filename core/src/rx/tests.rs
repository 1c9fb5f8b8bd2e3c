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
) -> (Vec<IncomingData>, Vec<(Bytes, Tsn)>) {
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
