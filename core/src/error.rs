//! Errors returned to the application.

use crate::types::StreamId;

/// An error from a command the application gave. Each message says what to
/// change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The association id names no association of this endpoint (it may have
    /// closed already).
    #[error("no such association: it was closed or never existed")]
    NoSuchAssociation,
    /// The association cannot take this command in its current state.
    #[error("association is {state}: {hint}")]
    InvalidState {
        /// The association's state.
        state: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// The stream id is not below the number of outbound streams negotiated.
    #[error("stream {stream} does not exist: the association has {streams} outbound streams (use a lower stream id or request more streams)")]
    InvalidStream {
        /// The stream asked for.
        stream: StreamId,
        /// The negotiated number of outbound streams.
        streams: u16,
    },
    /// The message is larger than the association's maximum message size.
    #[error("message of {size} bytes exceeds the maximum message size of {max} bytes (split it, or raise max_message_size)")]
    MessageTooLarge {
        /// The message's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A message with no bytes; SCTP cannot carry empty user messages
    /// (RFC 9260 §6.9 requires at least one byte of user data).
    #[error("empty message: SCTP user messages need at least one byte")]
    EmptyMessage,
    /// The send buffer is full; wait for a buffered-amount-low event.
    #[error("send buffer full ({buffered} of {capacity} bytes queued): wait for BufferedAmountLow or raise send_buffer")]
    WouldBlock {
        /// Bytes queued.
        buffered: usize,
        /// The configured send buffer.
        capacity: usize,
    },
    /// The endpoint holds its configured maximum of associations.
    #[error("too many associations (the endpoint's max_associations is reached)")]
    TooManyAssociations,
    /// An address argument is unusable.
    #[error("invalid address: {0}")]
    InvalidAddress(&'static str),
    /// An SCTP-AUTH (RFC 4895) key command cannot be done as asked.
    #[error("SCTP-AUTH: {0}")]
    Auth(&'static str),
}
