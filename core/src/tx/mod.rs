//! The send side of an association.
//!
//! - [`SendQueue`] holds user messages per outbound stream until the stream
//!   scheduler (RFC 8260 §3) picks them; it fragments them (RFC 9260 §6.9)
//!   and numbers them (SSN for DATA, MID/FSN for I-DATA).
//! - [`RetransmissionQueue`] assigns TSNs and keeps every chunk sent until
//!   it is cumulatively acknowledged: SACK processing (RFC 9260 §6.2.1),
//!   fast retransmit (§7.2.4), T3-rtx marking (§6.3.3), RTT sampling (§6.3.1)
//!   and partial reliability (RFC 3758, RFC 7496).
//!
//! The two are plain values driven by the association; neither knows about
//! the wire format. A typical send step:
//!
//! ```
//! use anysctp::tx::*;
//! use anysctp::{Instant, Ppid, StreamId, Tsn};
//! use bytes::Bytes;
//!
//! let now = Instant::ZERO;
//! let mut sq = SendQueue::new(SendQueueConfig::default());
//! let mut rtx = RetransmissionQueue::new(Tsn(100), 65536);
//! sq.enqueue(OutgoingMessage::new(StreamId(1), Ppid(51), Bytes::from_static(b"hi")), now)
//!     .unwrap();
//! // Retransmissions first (RFC 9260 §6.1), then new data.
//! while let Some(frag) = sq.produce(now, 1200, false) {
//!     let tsn = rtx.add_sent(frag, 0, now);
//!     assert_eq!(tsn, Tsn(100));
//! }
//! let out = rtx.handle_sack(Tsn(100), [].into_iter(), 65536, now).unwrap();
//! assert!(out.cum_ack_advanced);
//! // Abandoned / failed messages go back to the application:
//! while let Some(failed) = rtx.take_failed() {
//!     // Half-sent remainder of an abandoned message (RFC 3758 §3.5 A3).
//!     sq.discard(failed.msg.stream, failed.id);
//! }
//! ```

use bytes::Bytes;

use crate::time::Instant;
use crate::types::{Fsn, Mid, Ppid, Ssn, StreamId};

pub mod retransmission_queue;
pub mod send_queue;

pub use retransmission_queue::{
    ForwardTsnStream, PathAckInfo, RetransmissionQueue, SackError, SackOutcome,
};
pub use send_queue::{SchedulerKind, SendError, SendQueue, SendQueueConfig};

/// Partial reliability policy of a message (RFC 3758, RFC 7496).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrPolicy {
    /// Fully reliable.
    #[default]
    None,
    /// Timed reliability (RFC 7496 §3.1): abandon once this instant has
    /// passed.
    Ttl(Instant),
    /// Limited retransmissions (RFC 7496 §3.2): abandon instead of
    /// retransmitting more than this many times.
    MaxRetransmits(u16),
}

/// A user message handed to [`SendQueue::enqueue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Outbound stream.
    pub stream: StreamId,
    /// Payload protocol identifier.
    pub ppid: Ppid,
    /// Unordered delivery (U flag, RFC 9260 §3.3.1).
    pub unordered: bool,
    /// The payload; fragments are slices of it (no copy).
    pub data: Bytes,
    /// Partial reliability policy.
    pub pr: PrPolicy,
}

impl OutgoingMessage {
    /// An ordered, fully reliable message.
    pub fn new(stream: StreamId, ppid: Ppid, data: Bytes) -> Self {
        Self {
            stream,
            ppid,
            unordered: false,
            data,
            pr: PrPolicy::None,
        }
    }
}

/// Identifies a message from enqueue to final acknowledgement or failure;
/// unique within one [`SendQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u64);

/// One DATA or I-DATA chunk's worth of a message, as produced by
/// [`SendQueue::produce`]. The association encodes it: DATA uses `ssn`,
/// I-DATA uses `mid` and `fsn` (the first fragment's FSN field carries the
/// PPID on the wire, RFC 8260 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFragment {
    /// Stream.
    pub stream: StreamId,
    /// Payload protocol identifier.
    pub ppid: Ppid,
    /// U flag.
    pub unordered: bool,
    /// Stream sequence number (DATA; 0 for unordered messages).
    pub ssn: Ssn,
    /// Message identifier (I-DATA; counted separately for ordered and
    /// unordered messages, RFC 8260 §2.1).
    pub mid: Mid,
    /// Fragment sequence number (I-DATA), 0 for the first fragment.
    pub fsn: Fsn,
    /// B flag: first fragment.
    pub begin: bool,
    /// E flag: last fragment.
    pub end: bool,
    /// This fragment's user data: a slice of the message.
    pub data: Bytes,
    /// The whole message, to hand it back if it fails.
    pub message: Bytes,
    /// Which message this fragment belongs to.
    pub message_id: MessageId,
    /// The message's partial reliability policy.
    pub pr: PrPolicy,
}

impl OutgoingFragment {
    /// The message this fragment belongs to, rebuilt (cheap: the data is
    /// reference counted).
    pub fn to_message(&self) -> OutgoingMessage {
        OutgoingMessage {
            stream: self.stream,
            ppid: self.ppid,
            unordered: self.unordered,
            data: self.message.clone(),
            pr: self.pr,
        }
    }
}

/// Why a message was not (fully) delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// Its lifetime ended (RFC 7496 §3.1).
    Expired,
    /// It would have been retransmitted more often than allowed
    /// (RFC 7496 §3.2).
    MaxRetransmits,
    /// Its stream no longer exists after negotiation.
    StreamRemoved,
    /// The association ended before it was acknowledged.
    AssociationClosed,
}

/// A message handed back to the application with its data ("send failed").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMessage {
    /// The id it was enqueued under.
    pub id: MessageId,
    /// The message, data included.
    pub msg: OutgoingMessage,
    /// Why it failed.
    pub reason: FailReason,
}
