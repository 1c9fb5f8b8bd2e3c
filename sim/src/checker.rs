//! End-to-end delivery invariants: what the applications sent against what
//! they received.
//!
//! Every message carries its unique id in its first 8 bytes (little endian)
//! followed by content derived from the id ([`make_message`]), so the
//! receiving side can name the message and the checker can tell corruption,
//! duplicates, reordering, losses and inventions apart.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hasher;

use bytes::{BufMut, Bytes, BytesMut};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Length of the id at the front of every message.
pub const ID_LEN: usize = 8;

/// A message of `len` bytes (at least [`ID_LEN`]: shorter lengths are
/// raised to it): `id` in little endian, then bytes derived from `id`.
pub fn make_message(id: u64, len: usize) -> Bytes {
    let len = len.max(ID_LEN);
    let mut buf = BytesMut::with_capacity(len);
    buf.put_u64_le(id);
    buf.resize(len, 0);
    fill_content(id, &mut buf[ID_LEN..]);
    buf.freeze()
}

/// Checks that `data` is a message made by [`make_message`] and returns its
/// id, or says what is wrong with it.
pub fn check_message(data: &[u8]) -> Result<u64, String> {
    let id = message_id(data)?;
    let body = &data[ID_LEN..];
    // Regenerate the content in pieces (no allocation); the pieces are
    // multiples of 4 bytes, so they continue the same stream of 32-bit words
    // as one `fill_bytes` over the whole body.
    let mut rng = ChaCha8Rng::seed_from_u64(id);
    let mut expected = [0u8; 256];
    for (chunk_index, chunk) in body.chunks(expected.len()).enumerate() {
        let offset = chunk_index * expected.len();
        let want = &mut expected[..chunk.len()];
        rng.fill_bytes(want);
        if let Some(pos) = chunk.iter().zip(want.iter()).position(|(a, b)| a != b) {
            let at = ID_LEN + offset + pos;
            return Err(format!(
                "message {id} ({} bytes): byte {at} is {:#04x}, expected {:#04x}",
                data.len(),
                chunk[pos],
                want[pos]
            ));
        }
    }
    Ok(id)
}

/// The id in the first [`ID_LEN`] bytes of `data`.
pub fn message_id(data: &[u8]) -> Result<u64, String> {
    match data.get(..ID_LEN) {
        Some(head) => {
            let mut id = [0u8; ID_LEN];
            id.copy_from_slice(head);
            Ok(u64::from_le_bytes(id))
        }
        None => Err(format!(
            "message of {} bytes is shorter than its {ID_LEN}-byte id",
            data.len()
        )),
    }
}

fn fill_content(id: u64, out: &mut [u8]) {
    ChaCha8Rng::seed_from_u64(id).fill_bytes(out);
}

fn content_hash(data: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(data);
    h.finish()
}

/// One direction of one association: the key under which ordering is
/// checked (together with the stream).
///
/// `association` is any number the test uses to name the association the
/// same way on both sides (association ids differ per endpoint; e.g. use the
/// index of the client node); `sender` is the index of the sending node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow {
    /// The association, as named by the test.
    pub association: u64,
    /// The sending node.
    pub sender: usize,
}

/// Delivery guarantee requested for a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// Must be delivered exactly once.
    Reliable,
    /// Partially reliable (RFC 3758: lifetime or retransmission limit): at
    /// most once.
    Partial,
}

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A message was received whose id was never sent, or that carries no id.
    NotSent {
        /// The id read from the message, if it had one.
        id: Option<u64>,
        /// Where it was received.
        flow: Flow,
        /// On which stream.
        stream: u16,
        /// Its length.
        len: usize,
    },
    /// A message arrived with different content or length.
    Corrupted {
        /// The message.
        id: u64,
        /// What differs.
        detail: String,
    },
    /// A message arrived on another flow or stream, or with another ordered
    /// flag, than it was sent with.
    Misrouted {
        /// The message.
        id: u64,
        /// What differs.
        detail: String,
    },
    /// A message was delivered more than once.
    Duplicate {
        /// The message.
        id: u64,
        /// How many times it has been delivered.
        count: u32,
    },
    /// An ordered message arrived after one sent later on the same flow and
    /// stream.
    OutOfOrder {
        /// The message.
        id: u64,
        /// The flow.
        flow: Flow,
        /// The stream.
        stream: u16,
        /// The later-sent message that was delivered before it.
        after: u64,
    },
    /// A reliable message was never delivered.
    Missing {
        /// The message.
        id: u64,
        /// The flow.
        flow: Flow,
        /// The stream.
        stream: u16,
        /// Its length.
        len: usize,
    },
    /// The test recorded two sent messages with the same id.
    IdReused {
        /// The id.
        id: u64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotSent {
                id,
                flow,
                stream,
                len,
            } => match id {
                Some(id) => write!(
                    f,
                    "message {id} ({len} bytes) received on {flow:?} stream {stream} was never sent"
                ),
                None => write!(
                    f,
                    "a {len}-byte message without an id was received on {flow:?} stream {stream}"
                ),
            },
            Violation::Corrupted { id, detail } => write!(f, "message {id} corrupted: {detail}"),
            Violation::Misrouted { id, detail } => write!(f, "message {id} misrouted: {detail}"),
            Violation::Duplicate { id, count } => {
                write!(f, "message {id} delivered {count} times")
            }
            Violation::OutOfOrder {
                id,
                flow,
                stream,
                after,
            } => write!(
                f,
                "ordered message {id} on {flow:?} stream {stream} delivered after message \
                 {after}, which was sent later"
            ),
            Violation::Missing {
                id,
                flow,
                stream,
                len,
            } => write!(
                f,
                "reliable message {id} ({len} bytes) on {flow:?} stream {stream} never delivered"
            ),
            Violation::IdReused { id } => write!(f, "the test sent id {id} twice"),
        }
    }
}

#[derive(Debug)]
struct Sent {
    flow: Flow,
    stream: u16,
    ordered: bool,
    reliability: Reliability,
    len: usize,
    hash: u64,
    /// Position among the ordered messages of (flow, stream).
    seq: u64,
    deliveries: u32,
}

/// Counts of a check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckSummary {
    /// Messages sent.
    pub sent: u64,
    /// Reliable messages sent.
    pub reliable_sent: u64,
    /// Deliveries recorded (duplicates included).
    pub received: u64,
    /// Distinct sent messages delivered at least once.
    pub delivered: u64,
    /// Partially reliable messages delivered at least once.
    pub partial_delivered: u64,
}

/// The failures of a check, with the counts; `Display` prints a readable
/// report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The counts.
    pub summary: CheckSummary,
    /// Every broken invariant, in the order found (missing messages last,
    /// by id).
    pub violations: Vec<Violation>,
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 20;
        let s = &self.summary;
        writeln!(
            f,
            "{} violation(s); {} sent ({} reliable), {} delivered, {} deliveries",
            self.violations.len(),
            s.sent,
            s.reliable_sent,
            s.delivered,
            s.received
        )?;
        for v in self.violations.iter().take(SHOWN) {
            writeln!(f, "  - {v}")?;
        }
        if self.violations.len() > SHOWN {
            writeln!(f, "  ... and {} more", self.violations.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for CheckReport {}

/// Records messages sent and received by the applications of a simulation
/// and checks the delivery invariants.
///
/// Violations seen on receipt (corruption, duplicates, misordering,
/// invented messages) are recorded as they happen; [`verify`](Checker::verify)
/// adds reliable messages never delivered. Nothing here panics: the test
/// decides what to do with the report.
#[derive(Debug, Default)]
pub struct Checker {
    next_id: u64,
    sent: BTreeMap<u64, Sent>,
    next_seq: HashMap<(Flow, u16), u64>,
    /// Per (flow, stream): (seq, id) of the latest-sent ordered message
    /// delivered so far.
    last_ordered: HashMap<(Flow, u16), (u64, u64)>,
    violations: Vec<Violation>,
    summary: CheckSummary,
    pending_reliable: u64,
}

impl Checker {
    /// An empty checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes a message of `len` bytes with a fresh id (see
    /// [`make_message`]), records it as sent and returns it.
    pub fn send(
        &mut self,
        flow: Flow,
        stream: u16,
        ordered: bool,
        reliability: Reliability,
        len: usize,
    ) -> Bytes {
        while self.sent.contains_key(&self.next_id) {
            self.next_id += 1;
        }
        let data = make_message(self.next_id, len);
        self.record_sent(flow, stream, ordered, reliability, &data);
        data
    }

    /// Records `data` (carrying its id in the first 8 bytes) as sent.
    pub fn record_sent(
        &mut self,
        flow: Flow,
        stream: u16,
        ordered: bool,
        reliability: Reliability,
        data: &[u8],
    ) {
        let id = match message_id(data) {
            Ok(id) => id,
            Err(_) => {
                // A test bug; report it as a message that cannot be tracked.
                self.violations.push(Violation::NotSent {
                    id: None,
                    flow,
                    stream,
                    len: data.len(),
                });
                return;
            }
        };
        if self.sent.contains_key(&id) {
            self.violations.push(Violation::IdReused { id });
            return;
        }
        let seq = if ordered {
            let next = self.next_seq.entry((flow, stream)).or_insert(0);
            *next += 1;
            *next
        } else {
            0
        };
        self.summary.sent += 1;
        if reliability == Reliability::Reliable {
            self.summary.reliable_sent += 1;
            self.pending_reliable += 1;
        }
        self.sent.insert(
            id,
            Sent {
                flow,
                stream,
                ordered,
                reliability,
                len: data.len(),
                hash: content_hash(data),
                seq,
                deliveries: 0,
            },
        );
    }

    /// Records that the application of `flow`'s receiving side got `data`
    /// on `stream`, delivered as ordered (`true`) or unordered.
    pub fn record_received(&mut self, flow: Flow, stream: u16, ordered: bool, data: &[u8]) {
        self.summary.received += 1;
        let Ok(id) = message_id(data) else {
            self.violations.push(Violation::NotSent {
                id: None,
                flow,
                stream,
                len: data.len(),
            });
            return;
        };
        let Some(sent) = self.sent.get_mut(&id) else {
            self.violations.push(Violation::NotSent {
                id: Some(id),
                flow,
                stream,
                len: data.len(),
            });
            return;
        };
        if sent.len != data.len() || sent.hash != content_hash(data) {
            let detail = match check_message(data) {
                Err(e) => e,
                Ok(_) if sent.len != data.len() => {
                    format!("{} bytes received, {} sent", data.len(), sent.len)
                }
                Ok(_) => "content differs from what was sent".to_string(),
            };
            self.violations.push(Violation::Corrupted { id, detail });
            return;
        }
        if (sent.flow, sent.stream, sent.ordered) != (flow, stream, ordered) {
            self.violations.push(Violation::Misrouted {
                id,
                detail: format!(
                    "sent on {:?} stream {} ordered={}, received on {flow:?} stream \
                     {stream} ordered={ordered}",
                    sent.flow, sent.stream, sent.ordered
                ),
            });
            return;
        }
        sent.deliveries += 1;
        if sent.deliveries > 1 {
            self.violations.push(Violation::Duplicate {
                id,
                count: sent.deliveries,
            });
            return;
        }
        self.summary.delivered += 1;
        match sent.reliability {
            Reliability::Reliable => self.pending_reliable -= 1,
            Reliability::Partial => self.summary.partial_delivered += 1,
        }
        if sent.ordered {
            let last = self.last_ordered.entry((flow, stream)).or_insert((0, 0));
            if sent.seq < last.0 {
                self.violations.push(Violation::OutOfOrder {
                    id,
                    flow,
                    stream,
                    after: last.1,
                });
            } else {
                *last = (sent.seq, id);
            }
        }
    }

    /// Reliable messages sent and not yet delivered (useful as a stop
    /// condition).
    pub fn pending_reliable(&self) -> u64 {
        self.pending_reliable
    }

    /// Violations found so far on receipt (missing messages are only found
    /// by [`verify`](Checker::verify)).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The counts so far.
    pub fn summary(&self) -> CheckSummary {
        self.summary
    }

    /// Checks every invariant: the violations seen on receipt plus every
    /// reliable message not delivered.
    pub fn verify(&self) -> Result<CheckSummary, CheckReport> {
        let mut violations = self.violations.clone();
        for (&id, s) in &self.sent {
            if s.reliability == Reliability::Reliable && s.deliveries == 0 {
                violations.push(Violation::Missing {
                    id,
                    flow: s.flow,
                    stream: s.stream,
                    len: s.len,
                });
            }
        }
        if violations.is_empty() {
            Ok(self.summary)
        } else {
            Err(CheckReport {
                summary: self.summary,
                violations,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: Flow = Flow {
        association: 1,
        sender: 0,
    };
    const B: Flow = Flow {
        association: 1,
        sender: 1,
    };

    proptest! {
        #[test]
        fn made_messages_check(id: u64, len in 0usize..3000) {
            let m = make_message(id, len);
            prop_assert_eq!(m.len(), len.max(ID_LEN));
            prop_assert_eq!(check_message(&m), Ok(id));
        }

        #[test]
        fn any_flipped_byte_is_found(id: u64, len in 9usize..1000, pos: prop::sample::Index, bit in 0u8..8) {
            let mut m = make_message(id, len).to_vec();
            let pos = ID_LEN + pos.index(len - ID_LEN);
            m[pos] ^= 1 << bit;
            let err = check_message(&m).unwrap_err();
            prop_assert!(err.contains(&format!("byte {pos} ")), "{}", err);
        }
    }

    #[test]
    fn content_differs_between_ids() {
        assert_ne!(make_message(1, 64)[8..], make_message(2, 64)[8..]);
        assert!(check_message(&[1, 2, 3]).is_err());
    }

    #[test]
    fn clean_run_passes() {
        let mut c = Checker::new();
        let msgs: Vec<_> = (0..5)
            .map(|i| c.send(A, 1, i % 2 == 0, Reliability::Reliable, 100))
            .collect();
        let pr = c.send(A, 1, true, Reliability::Partial, 10);
        assert_eq!(c.pending_reliable(), 5);
        // Unordered ones in any order; the ordered 0, 2, 4 in order.
        for i in [1, 0, 3, 2, 4] {
            c.record_received(A, 1, i % 2 == 0, &msgs[i]);
        }
        let _ = pr; // abandoned: allowed
        assert_eq!(c.pending_reliable(), 0);
        let s = c.verify().unwrap();
        assert_eq!((s.sent, s.delivered, s.partial_delivered), (6, 5, 0));
    }

    #[test]
    fn each_failure_is_reported() {
        let mut c = Checker::new();
        let m0 = c.send(A, 1, true, Reliability::Reliable, 50);
        let m1 = c.send(A, 1, true, Reliability::Reliable, 50);
        let m2 = c.send(B, 2, false, Reliability::Partial, 50);
        let lost = c.send(A, 3, true, Reliability::Reliable, 50);
        c.record_received(A, 1, true, &m1);
        c.record_received(A, 1, true, &m0); // out of order
        c.record_received(B, 2, false, &m2);
        c.record_received(B, 2, false, &m2); // duplicate of a PR message
        let mut bad = m1.to_vec();
        bad[20] ^= 0xff;
        c.record_received(A, 1, true, &bad); // corrupted
        c.record_received(A, 2, true, &m1); // wrong stream
        c.record_received(A, 1, true, &make_message(999, 20)); // never sent
        let report = c.verify().unwrap_err();
        let v = &report.violations;
        let id = |m: &Bytes| message_id(m).unwrap();
        assert_eq!(
            v[0],
            Violation::OutOfOrder {
                id: id(&m0),
                flow: A,
                stream: 1,
                after: id(&m1)
            }
        );
        assert_eq!(
            v[1],
            Violation::Duplicate {
                id: id(&m2),
                count: 2
            }
        );
        assert!(
            matches!(&v[2], Violation::Corrupted { id: i, detail } if *i == id(&m1) && detail.contains("byte 20"))
        );
        assert!(matches!(&v[3], Violation::Misrouted { id: i, .. } if *i == id(&m1)));
        assert!(matches!(v[4], Violation::NotSent { id: Some(999), .. }));
        assert_eq!(
            v[5],
            Violation::Missing {
                id: id(&lost),
                flow: A,
                stream: 3,
                len: 50
            }
        );
        assert_eq!(v.len(), 6);
        let text = report.to_string();
        assert!(text.starts_with("6 violation(s)"), "{text}");
        assert!(text.contains("never delivered"), "{text}");
    }

    #[test]
    fn ordering_is_per_flow_and_stream() {
        let mut c = Checker::new();
        let a1 = c.send(A, 1, true, Reliability::Reliable, 8);
        let a2 = c.send(A, 2, true, Reliability::Reliable, 8);
        let b1 = c.send(B, 1, true, Reliability::Reliable, 8);
        // Different streams and directions may interleave freely.
        c.record_received(B, 1, true, &b1);
        c.record_received(A, 2, true, &a2);
        c.record_received(A, 1, true, &a1);
        assert!(c.verify().is_ok());
    }

    #[test]
    fn abandoned_ordered_messages_leave_gaps() {
        let mut c = Checker::new();
        let m0 = c.send(A, 1, true, Reliability::Reliable, 8);
        let _abandoned = c.send(A, 1, true, Reliability::Partial, 8);
        let m2 = c.send(A, 1, true, Reliability::Reliable, 8);
        c.record_received(A, 1, true, &m0);
        c.record_received(A, 1, true, &m2);
        assert!(c.verify().is_ok());
    }
}
