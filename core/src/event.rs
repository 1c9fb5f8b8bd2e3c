//! What the core tells the host: events, datagrams to send, and the
//! application's send options.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use core::time::Duration;

use crate::types::{Ppid, StreamId};

/// Identifies an association within its [`crate::Endpoint`]. Ids are not
/// reused while the endpoint lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssociationId(pub u64);

impl core::fmt::Display for AssociationId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A datagram the host must send: the SCTP packet was written into the
/// buffer given to [`crate::Endpoint::poll_transmit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The local address to send from, when the association is bound to
    /// several (multihoming); `None` lets the host choose.
    pub source: Option<SocketAddr>,
    /// How many bytes of the buffer hold the packet.
    pub len: usize,
}

/// Options of one message given to [`crate::Endpoint::send`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Payload protocol identifier (RFC 9260 §3.3.1).
    pub ppid: Ppid,
    /// Deliver as soon as it arrives, not in stream order (the U bit).
    pub unordered: bool,
    /// Partial reliability (RFC 3758, RFC 7496): give up on the message
    /// after this long (the timed-reliability policy).
    pub lifetime: Option<Duration>,
    /// Partial reliability: give up after this many retransmissions (the
    /// limited-retransmissions policy).
    pub max_retransmits: Option<u16>,
}

/// Why an association ended or failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Graceful shutdown completed (RFC 9260 §9.2).
    Shutdown,
    /// The peer sent ABORT; its error causes, rendered as text.
    PeerAborted(String),
    /// We aborted (the application asked, or a protocol violation).
    LocallyAborted(String),
    /// Too many retransmissions without answer (RFC 9260 §8.1).
    Timeout,
    /// The peer could not be reached during setup (RFC 9260 §5.1:
    /// Max.Init.Retransmits exceeded).
    SetupFailed,
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendFailure {
    /// Its partial-reliability lifetime or retransmission limit ran out.
    Abandoned,
    /// The association ended before the peer acknowledged it.
    AssociationClosed,
}

/// A state of a peer's transport address changed (RFC 6458
/// SCTP_PEER_ADDR_CHANGE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerAddressState {
    /// The address became reachable again.
    Available,
    /// The address exceeded Path.Max.Retrans (RFC 9260 §8.2).
    Unreachable,
    /// The address was confirmed by a HEARTBEAT ACK (RFC 9260 §5.4).
    Confirmed,
    /// The address became the primary path.
    MadePrimary,
    /// The address was added to the association.
    Added,
    /// The address was removed from the association.
    Removed,
    /// The address entered the potentially-failed state (RFC 7829).
    PotentiallyFailed,
}

/// Why a peer address changed state ([`Event::PeerAddressChange`]; the
/// cause RFC 6458 §6.1.2 puts in `spc_error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressChangeReason {
    /// A HEARTBEAT ACK with our nonce arrived (RFC 9260 §5.4, §8.3).
    HeartbeatAck,
    /// DATA sent only to this address was acknowledged (RFC 9260 §8.2,
    /// RFC 7829 §3.2 rule 10), or the peer answered an ASCONF sent there
    /// (RFC 5061 §5.1 A5).
    DataAcked,
    /// The retransmission timer T3-rtx expired on this path (RFC 9260
    /// §6.3.3, §8.2).
    RetransmissionTimeout,
    /// A HEARTBEAT sent here was not answered within an RTO (RFC 9260
    /// §8.3).
    HeartbeatTimeout,
    /// An ASCONF sent here was not answered within an RTO (RFC 5061 §5.1
    /// B1–B3).
    AsconfTimeout,
    /// The peer asked for it in an ASCONF (RFC 5061 §4.2: Add IP Address,
    /// Delete IP Address, Set Primary Address).
    PeerRequest,
    /// The peer deleted its primary address, so this endpoint chose another
    /// primary (RFC 5061 §5.3 F12).
    PrimaryDeleted,
    /// This application asked for it ([`crate::Endpoint::set_primary`]).
    LocalRequest,
    /// The primary's error counter exceeded
    /// [`primary_switchover`](crate::AssociationConfig::primary_switchover):
    /// the path data goes to became the primary (RFC 7829 §5).
    PrimarySwitchover,
}

/// Which streams a reset concerns, seen from this endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamDirection {
    /// Streams the peer sends on: their sequence numbers restart at 0 on
    /// our side (RFC 6458 SCTP_STREAM_RESET_INCOMING_SSN).
    Incoming,
    /// Streams we send on (RFC 6458 SCTP_STREAM_RESET_OUTGOING_SSN).
    Outgoing,
}

/// Which streams [`crate::Endpoint::reset_streams_with`] resets (RFC 6458
/// `srs_flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetDirection {
    /// Streams we send on (SCTP_STREAM_RESET_OUTGOING; RFC 6525 §5.1.2).
    Outgoing,
    /// Streams the peer sends on: we ask it to reset them
    /// (SCTP_STREAM_RESET_INCOMING; RFC 6525 §5.1.3).
    Incoming,
    /// Both, in one RE-CONFIG chunk (RFC 6525 §3.1).
    Both,
}

/// How a stream re-configuration ended (RFC 6525 §6.1.1, §6.1.3 flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconfigResult {
    /// Performed (or there was nothing to do).
    Success,
    /// The peer refused (its result "Denied").
    Denied,
    /// The peer answered with an error result, or did not answer the
    /// request's retransmissions.
    Failed,
}

/// One of our own address changes, sent to the peer in an ASCONF chunk
/// (RFC 5061).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressRequest {
    /// Add this address of ours to the association (Add IP Address).
    AddLocal(IpAddr),
    /// Remove this address of ours from the association (Delete IP
    /// Address).
    RemoveLocal(IpAddr),
    /// Ask the peer to send to this address of ours by preference (Set
    /// Primary Address, RFC 6458 SCTP_SET_PEER_PRIMARY_ADDR).
    SetPeerPrimary(IpAddr),
}

/// How the peer answered an [`AddressRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressRequestOutcome {
    /// The peer performed it. An added address is used as a source from
    /// now on (RFC 5061 §5.3 F2).
    Accepted,
    /// The peer refused it with this error cause (RFC 5061 §4.3, e.g.
    /// 0x00A0 "delete last remaining address", 0x00A2 "delete source
    /// address", 0x00A1 "resource shortage"). A refused removal leaves the
    /// address in use.
    Refused {
        /// The cause code.
        cause_code: u16,
        /// The cause, rendered as text.
        reason: String,
    },
    /// The peer does not understand the request (it reported the ASCONF
    /// chunk or this parameter as unrecognized); no more such requests are
    /// sent to it (RFC 5061 §5.1 A9, §5.3 F3).
    Unsupported,
}

/// Something the host or application should know, from
/// [`crate::Endpoint::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The association reached ESTABLISHED.
    Connected {
        /// Negotiated outbound streams.
        outbound_streams: u16,
        /// Negotiated inbound streams.
        inbound_streams: u16,
    },
    /// The peer restarted the association (RFC 9260 §5.2.4); data in
    /// flight before the restart is lost.
    Restarted,
    /// A whole message arrived.
    Message {
        /// The stream it came on.
        stream: StreamId,
        /// Its payload protocol identifier.
        ppid: Ppid,
        /// Whether it was sent unordered.
        unordered: bool,
        /// The message.
        data: Bytes,
    },
    /// A message will not be delivered; the application gets it back.
    SendFailed {
        /// The stream it was sent on.
        stream: StreamId,
        /// Its payload protocol identifier.
        ppid: Ppid,
        /// Why.
        reason: SendFailure,
        /// The message as the application gave it.
        data: Bytes,
    },
    /// The peer reported an error in an ERROR chunk (RFC 9260 §3.3.10),
    /// rendered as text.
    RemoteError(String),
    /// A peer address changed state.
    PeerAddressChange {
        /// The address.
        address: SocketAddr,
        /// Its new state.
        state: PeerAddressState,
        /// What caused the change.
        reason: AddressChangeReason,
    },
    /// The peer answered one of our address changes (RFC 5061 ASCONF-ACK),
    /// from [`crate::Endpoint::add_local_address`],
    /// [`crate::Endpoint::remove_local_address`] or
    /// [`crate::Endpoint::set_peer_primary`].
    AddressRequestResult {
        /// What we asked.
        request: AddressRequest,
        /// The answer.
        outcome: AddressRequestOutcome,
    },
    /// The peer started a graceful shutdown (SHUTDOWN received).
    ShutdownReceived,
    /// Every message given to the association has been acknowledged
    /// (SCTP_SENDER_DRY_EVENT).
    SenderDry,
    /// The bytes queued for sending fell to or below the low-water mark.
    BufferedAmountLow,
    /// Streams were reset (RFC 6525; SCTP_STREAM_RESET_EVENT, RFC 6525
    /// §6.1.1). Outgoing: the answer to
    /// [`crate::Endpoint::reset_streams`]; with `Success` the next message
    /// on each of these streams carries SSN/MID 0. Incoming: the peer reset
    /// its streams; every message it sent before the reset was delivered
    /// before this event, and the streams' sequence restarts at 0.
    StreamsReset {
        /// Whose streams.
        direction: StreamDirection,
        /// The streams; empty means all streams.
        streams: Vec<crate::types::StreamId>,
        /// The outcome.
        result: ReconfigResult,
    },
    /// Both directions' TSNs and every stream's sequence numbers were
    /// reset (RFC 6525 SSN/TSN Reset, §5.2.4, §5.2.7 H5;
    /// SCTP_ASSOC_RESET_EVENT, §6.1.2). Either the answer to
    /// [`crate::Endpoint::reset_association`], or the peer asked and we
    /// performed it. With `Success`, every stream's next message in both
    /// directions carries SSN/MID 0; every message of the peer received
    /// before the reset was delivered before this event.
    AssociationReset {
        /// The TSN our next DATA chunk carries (`assocreset_local_tsn`).
        local_tsn: crate::types::Tsn,
        /// The TSN the peer's next DATA chunk carries
        /// (`assocreset_remote_tsn`).
        remote_tsn: crate::types::Tsn,
        /// `Success`, or why our request reset nothing (the TSNs are then
        /// the ones in force).
        result: ReconfigResult,
    },
    /// Streams were added (RFC 6525 §5.1.5, §5.2.5;
    /// SCTP_STREAM_CHANGE_EVENT, RFC 6525 §6.1.3): the counts now in force.
    StreamsAdded {
        /// Inbound streams now.
        inbound_streams: u16,
        /// Outbound streams now.
        outbound_streams: u16,
        /// `Success`, or why our request did not add streams (the counts
        /// are then unchanged).
        result: ReconfigResult,
    },
    /// The association ended. No more events come for it.
    Closed(CloseReason),
    /// SCTP-AUTH news (RFC 6458 §6.1.8, SCTP_AUTHENTICATION_EVENT).
    Authentication {
        /// The Shared Key Identifier concerned (0 for
        /// [`AuthIndication::NoAuth`]).
        key_id: u16,
        /// What happened.
        indication: AuthIndication,
    },
}

/// What an [`Event::Authentication`] reports (RFC 6458 §6.1.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthIndication {
    /// The peer used this key for the first time (SCTP_AUTH_NEW_KEY).
    NewKey,
    /// A deactivated key is no longer used by either side and may be
    /// deleted (SCTP_AUTH_FREE_KEY).
    FreeKey,
    /// The peer does not support SCTP-AUTH: the association runs without
    /// authentication (SCTP_AUTH_NO_AUTH).
    NoAuth,
}
