//! Events as a tagged union, and the association state and statistics as
//! flat structs.

use std::ffi::c_char;
use std::ptr;

use crate::addr::anysctp_sockaddr;

/// Which member of `anysctp_event.u` is valid.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_event_type {
    /// The association reached ESTABLISHED: `u.connected`.
    ANYSCTP_EVENT_CONNECTED = 1,
    /// The peer restarted the association (RFC 9260 §5.2.4); data in flight
    /// before the restart is lost. No data.
    ANYSCTP_EVENT_RESTARTED = 2,
    /// A whole message arrived: `u.message`.
    ANYSCTP_EVENT_MESSAGE = 3,
    /// A message will not be delivered; you get it back: `u.send_failed`.
    ANYSCTP_EVENT_SEND_FAILED = 4,
    /// The peer reported an error (ERROR chunk): `u.text`.
    ANYSCTP_EVENT_REMOTE_ERROR = 5,
    /// A peer address changed state: `u.peer_address_change`.
    ANYSCTP_EVENT_PEER_ADDRESS_CHANGE = 6,
    /// The peer started a graceful shutdown. No data.
    ANYSCTP_EVENT_SHUTDOWN_RECEIVED = 7,
    /// Every message sent has been acknowledged. No data.
    ANYSCTP_EVENT_SENDER_DRY = 8,
    /// The bytes queued for sending fell to or below the threshold set
    /// with `anysctp_endpoint_set_buffered_amount_low_threshold`. No data.
    ANYSCTP_EVENT_BUFFERED_AMOUNT_LOW = 9,
    /// The association ended; no more events come for it: `u.closed`.
    ANYSCTP_EVENT_CLOSED = 10,
    /// Streams were reset (RFC 6525): `u.streams_reset`.
    ANYSCTP_EVENT_STREAMS_RESET = 11,
    /// Streams were added (RFC 6525): `u.streams_added`.
    ANYSCTP_EVENT_STREAMS_ADDED = 12,
    /// SCTP-AUTH news (RFC 4895; RFC 6458 §6.1.8): `u.authentication`.
    ANYSCTP_EVENT_AUTHENTICATION = 13,
    /// The peer answered one of our address changes (RFC 5061 ASCONF-ACK):
    /// `u.address_request_result`.
    ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT = 14,
    /// Both directions' TSNs and every stream's sequence numbers were
    /// reset, or our request to do so was refused (RFC 6525 SSN/TSN Reset;
    /// RFC 6458 SCTP_ASSOC_RESET_EVENT): `u.association_reset`.
    ANYSCTP_EVENT_ASSOCIATION_RESET = 15,
    /// An event this version of the header does not know; skip it.
    ANYSCTP_EVENT_OTHER = 99,
}

/// `u.connected` of `ANYSCTP_EVENT_CONNECTED`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_connected {
    /// Negotiated outbound streams (valid stream ids are below this).
    pub outbound_streams: u16,
    /// Negotiated inbound streams.
    pub inbound_streams: u16,
}

/// `u.message` of `ANYSCTP_EVENT_MESSAGE`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_message {
    /// The stream it came on.
    pub stream: u16,
    /// Its payload protocol identifier (host byte order).
    pub ppid: u32,
    /// Whether it was sent unordered.
    pub unordered: bool,
    /// The message bytes. With `anysctp_endpoint_poll_event` BORROWED from
    /// the endpoint: valid until the next call on that endpoint (any
    /// `anysctp_endpoint_*` function, including another poll) or its free.
    /// With `anysctp_endpoint_poll_event_copy` it points into your buffer.
    pub data: *const u8,
    /// Length of the message in bytes.
    pub len: usize,
}

/// Why a message was not delivered.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_send_failure {
    /// Its partial-reliability lifetime or retransmission limit ran out.
    ANYSCTP_SEND_FAILURE_ABANDONED = 1,
    /// The association ended before the peer acknowledged it.
    ANYSCTP_SEND_FAILURE_ASSOCIATION_CLOSED = 2,
    /// A reason this header version does not know.
    ANYSCTP_SEND_FAILURE_OTHER = 99,
}

/// `u.send_failed` of `ANYSCTP_EVENT_SEND_FAILED`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_send_failed {
    /// The stream it was sent on.
    pub stream: u16,
    /// Its payload protocol identifier.
    pub ppid: u32,
    /// Why it failed.
    pub reason: anysctp_send_failure,
    /// The message as you sent it; borrowed or copied exactly like
    /// `anysctp_event_message.data`.
    pub data: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// `u.text` of `ANYSCTP_EVENT_REMOTE_ERROR`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_text {
    /// NUL-terminated text, BORROWED from the endpoint until the next call
    /// on it (also with `anysctp_endpoint_poll_event_copy`).
    pub text: *const c_char,
    /// Its length without the NUL.
    pub len: usize,
}

/// The new state of a peer address (RFC 6458 SCTP_PEER_ADDR_CHANGE).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_address_state {
    /// Reachable again.
    ANYSCTP_ADDR_AVAILABLE = 1,
    /// Path.Max.Retrans exceeded (RFC 9260 §8.2).
    ANYSCTP_ADDR_UNREACHABLE = 2,
    /// Confirmed by a HEARTBEAT ACK (RFC 9260 §5.4).
    ANYSCTP_ADDR_CONFIRMED = 3,
    /// Became the primary path.
    ANYSCTP_ADDR_MADE_PRIMARY = 4,
    /// Added to the association.
    ANYSCTP_ADDR_ADDED = 5,
    /// Removed from the association.
    ANYSCTP_ADDR_REMOVED = 6,
    /// Potentially failed (RFC 7829).
    ANYSCTP_ADDR_POTENTIALLY_FAILED = 7,
    /// A state this header version does not know.
    ANYSCTP_ADDR_OTHER = 99,
}

/// `u.peer_address_change` of `ANYSCTP_EVENT_PEER_ADDRESS_CHANGE`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_peer_address_change {
    /// The peer address.
    pub address: anysctp_sockaddr,
    /// Its new state.
    pub state: anysctp_address_state,
}

/// Why an association ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_close_reason {
    /// Graceful shutdown completed (RFC 9260 §9.2).
    ANYSCTP_CLOSE_SHUTDOWN = 1,
    /// The peer sent ABORT; `text` holds its error causes.
    ANYSCTP_CLOSE_PEER_ABORTED = 2,
    /// We aborted (the application asked, or a protocol violation); `text`
    /// says why.
    ANYSCTP_CLOSE_LOCALLY_ABORTED = 3,
    /// Too many retransmissions without answer (RFC 9260 §8.1): peer gone.
    ANYSCTP_CLOSE_TIMEOUT = 4,
    /// The peer could not be reached during setup (RFC 9260 §5.1).
    ANYSCTP_CLOSE_SETUP_FAILED = 5,
    /// A reason this header version does not know.
    ANYSCTP_CLOSE_OTHER = 99,
}

/// `u.closed` of `ANYSCTP_EVENT_CLOSED`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_closed {
    /// Why.
    pub reason: anysctp_close_reason,
    /// Details (may be empty, never NULL), NUL-terminated, BORROWED until
    /// the next call on the endpoint.
    pub text: *const c_char,
    /// Length of `text` without the NUL.
    pub len: usize,
}

/// Whose streams an `ANYSCTP_EVENT_STREAMS_RESET` concerns.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_stream_direction {
    /// The peer's streams: their sequence numbers restart at 0 here; every
    /// message the peer sent before the reset came before this event.
    ANYSCTP_STREAMS_INCOMING = 1,
    /// Our streams: the answer to `anysctp_endpoint_reset_streams`.
    ANYSCTP_STREAMS_OUTGOING = 2,
}

/// How a stream re-configuration (RFC 6525) ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_reconfig_result {
    /// Performed.
    ANYSCTP_RECONFIG_SUCCESS = 1,
    /// The peer refused.
    ANYSCTP_RECONFIG_DENIED = 2,
    /// The peer answered with an error, or never answered.
    ANYSCTP_RECONFIG_FAILED = 3,
}

/// `u.streams_reset` of `ANYSCTP_EVENT_STREAMS_RESET`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_streams_reset {
    /// Whose streams.
    pub direction: anysctp_stream_direction,
    /// The outcome. With success on outgoing streams the next message on
    /// each carries sequence number 0.
    pub result: anysctp_reconfig_result,
    /// The stream ids, BORROWED until the next call on the endpoint (also
    /// with `anysctp_endpoint_poll_event_copy`); `count` 0 means all streams.
    pub streams: *const u16,
    /// How many ids `streams` holds.
    pub count: usize,
}

/// `u.streams_added` of `ANYSCTP_EVENT_STREAMS_ADDED`: the counts now in
/// force (unchanged unless `result` is success).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_streams_added {
    /// Inbound streams now.
    pub inbound_streams: u16,
    /// Outbound streams now (valid stream ids are below this).
    pub outbound_streams: u16,
    /// The outcome of our request, or success for the peer's.
    pub result: anysctp_reconfig_result,
}

/// `u.association_reset` of `ANYSCTP_EVENT_ASSOCIATION_RESET`: the answer
/// to `anysctp_endpoint_reset_association`, or the peer asked and we
/// performed it. With success every stream's next message in both
/// directions carries sequence number 0, and every message the peer sent
/// before came before this event; otherwise nothing was reset.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_association_reset {
    /// The TSN our next DATA chunk carries (`assocreset_local_tsn`).
    pub local_tsn: u32,
    /// The TSN the peer's next DATA chunk carries (`assocreset_remote_tsn`).
    pub remote_tsn: u32,
    /// The outcome of our request, or success for the peer's.
    pub result: anysctp_reconfig_result,
}

/// What an `ANYSCTP_EVENT_AUTHENTICATION` reports (RFC 6458 §6.1.8).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_auth_indication {
    /// The peer used `key_id` for the first time (SCTP_AUTH_NEW_KEY).
    ANYSCTP_AUTH_NEW_KEY = 1,
    /// Deactivated key `key_id` is no longer used and may be deleted
    /// (SCTP_AUTH_FREE_KEY).
    ANYSCTP_AUTH_FREE_KEY = 2,
    /// The peer does not support SCTP-AUTH: the association runs without
    /// authentication (SCTP_AUTH_NO_AUTH; `key_id` 0).
    ANYSCTP_AUTH_NO_AUTH = 3,
    /// An indication this header version does not know.
    ANYSCTP_AUTH_OTHER = 99,
}

/// `u.authentication` of `ANYSCTP_EVENT_AUTHENTICATION`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_authentication {
    /// The shared key identifier concerned.
    pub key_id: u16,
    /// What happened.
    pub indication: anysctp_auth_indication,
}

/// Which of our address changes an `ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT`
/// answers.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_address_request {
    /// `anysctp_endpoint_add_local_address`.
    ANYSCTP_REQUEST_ADD_LOCAL = 1,
    /// `anysctp_endpoint_remove_local_address`.
    ANYSCTP_REQUEST_REMOVE_LOCAL = 2,
    /// `anysctp_endpoint_set_peer_primary`.
    ANYSCTP_REQUEST_SET_PEER_PRIMARY = 3,
    /// A request this header version does not know.
    ANYSCTP_REQUEST_OTHER = 99,
}

/// How the peer answered an address change.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_address_outcome {
    /// Performed; an added address is used from now on.
    ANYSCTP_OUTCOME_ACCEPTED = 1,
    /// Refused with `cause_code` (RFC 5061 §4.3); `text` says why. A
    /// refused removal leaves the address in use.
    ANYSCTP_OUTCOME_REFUSED = 2,
    /// The peer does not understand such requests; no more are sent.
    ANYSCTP_OUTCOME_UNSUPPORTED = 3,
    /// An outcome this header version does not know.
    ANYSCTP_OUTCOME_OTHER = 99,
}

/// `u.address_request_result` of `ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_event_address_request_result {
    /// What we asked.
    pub request: anysctp_address_request,
    /// The IP address concerned (`port` 0).
    pub address: anysctp_sockaddr,
    /// The answer.
    pub outcome: anysctp_address_outcome,
    /// The error cause code when refused, else 0.
    pub cause_code: u16,
    /// The refusal as text (empty otherwise, never NULL), NUL-terminated,
    /// BORROWED until the next call on the endpoint.
    pub text: *const c_char,
    /// Length of `text` without the NUL.
    pub len: usize,
}

/// The per-type data of an event; `anysctp_event.type` says which member
/// is valid.
#[repr(C)]
#[derive(Clone, Copy)]
pub union anysctp_event_data {
    /// For `ANYSCTP_EVENT_CONNECTED`.
    pub connected: anysctp_event_connected,
    /// For `ANYSCTP_EVENT_MESSAGE`.
    pub message: anysctp_event_message,
    /// For `ANYSCTP_EVENT_SEND_FAILED`.
    pub send_failed: anysctp_event_send_failed,
    /// For `ANYSCTP_EVENT_REMOTE_ERROR`.
    pub text: anysctp_event_text,
    /// For `ANYSCTP_EVENT_PEER_ADDRESS_CHANGE`.
    pub peer_address_change: anysctp_event_peer_address_change,
    /// For `ANYSCTP_EVENT_CLOSED`.
    pub closed: anysctp_event_closed,
    /// For `ANYSCTP_EVENT_STREAMS_RESET`.
    pub streams_reset: anysctp_event_streams_reset,
    /// For `ANYSCTP_EVENT_STREAMS_ADDED`.
    pub streams_added: anysctp_event_streams_added,
    /// For `ANYSCTP_EVENT_AUTHENTICATION`.
    pub authentication: anysctp_event_authentication,
    /// For `ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT`.
    pub address_request_result: anysctp_event_address_request_result,
    /// For `ANYSCTP_EVENT_ASSOCIATION_RESET`.
    pub association_reset: anysctp_event_association_reset,
}

/// One event from `anysctp_endpoint_poll_event`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anysctp_event {
    /// Which member of `u` is valid.
    pub kind: anysctp_event_type,
    /// The association it concerns.
    pub association: u64,
    /// The data of the event.
    pub u: anysctp_event_data,
}

impl anysctp_event {
    pub(crate) fn empty() -> Self {
        Self {
            kind: anysctp_event_type::ANYSCTP_EVENT_OTHER,
            association: 0,
            u: anysctp_event_data {
                text: anysctp_event_text {
                    text: ptr::null(),
                    len: 0,
                },
            },
        }
    }
}

/// The state of an association (RFC 9260 §4).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_association_state {
    /// INIT sent, waiting for INIT ACK.
    ANYSCTP_STATE_COOKIE_WAIT = 1,
    /// COOKIE ECHO sent, waiting for COOKIE ACK.
    ANYSCTP_STATE_COOKIE_ECHOED = 2,
    /// Data flows both ways.
    ANYSCTP_STATE_ESTABLISHED = 3,
    /// Shutdown asked; outstanding data is being acknowledged.
    ANYSCTP_STATE_SHUTDOWN_PENDING = 4,
    /// SHUTDOWN sent.
    ANYSCTP_STATE_SHUTDOWN_SENT = 5,
    /// SHUTDOWN received.
    ANYSCTP_STATE_SHUTDOWN_RECEIVED = 6,
    /// SHUTDOWN ACK sent.
    ANYSCTP_STATE_SHUTDOWN_ACK_SENT = 7,
    /// Ended.
    ANYSCTP_STATE_CLOSED = 8,
    /// A state this header version does not know.
    ANYSCTP_STATE_OTHER = 99,
}

impl From<sctp::AssociationState> for anysctp_association_state {
    fn from(s: sctp::AssociationState) -> Self {
        use anysctp_association_state::*;
        use sctp::AssociationState as S;
        match s {
            S::CookieWait => ANYSCTP_STATE_COOKIE_WAIT,
            S::CookieEchoed => ANYSCTP_STATE_COOKIE_ECHOED,
            S::Established => ANYSCTP_STATE_ESTABLISHED,
            S::ShutdownPending => ANYSCTP_STATE_SHUTDOWN_PENDING,
            S::ShutdownSent => ANYSCTP_STATE_SHUTDOWN_SENT,
            S::ShutdownReceived => ANYSCTP_STATE_SHUTDOWN_RECEIVED,
            S::ShutdownAckSent => ANYSCTP_STATE_SHUTDOWN_ACK_SENT,
            S::Closed => ANYSCTP_STATE_CLOSED,
            _ => ANYSCTP_STATE_OTHER,
        }
    }
}

/// The RFC's name of a state (`"ESTABLISHED"`, ...), static and
/// NUL-terminated; `"UNKNOWN"` for values outside the enum.
#[no_mangle]
pub extern "C" fn anysctp_association_state_name(state: std::ffi::c_int) -> *const c_char {
    let s: &'static [u8] = match state {
        1 => b"COOKIE-WAIT\0",
        2 => b"COOKIE-ECHOED\0",
        3 => b"ESTABLISHED\0",
        4 => b"SHUTDOWN-PENDING\0",
        5 => b"SHUTDOWN-SENT\0",
        6 => b"SHUTDOWN-RECEIVED\0",
        7 => b"SHUTDOWN-ACK-SENT\0",
        8 => b"CLOSED\0",
        _ => b"UNKNOWN\0",
    };
    s.as_ptr().cast()
}

/// The state of a path (RFC 9260 §8.2, RFC 7829).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_path_state {
    /// Not yet confirmed by a HEARTBEAT ACK.
    ANYSCTP_PATH_UNCONFIRMED = 1,
    /// Reachable.
    ANYSCTP_PATH_ACTIVE = 2,
    /// Potentially failed.
    ANYSCTP_PATH_POTENTIALLY_FAILED = 3,
    /// Unreachable.
    ANYSCTP_PATH_INACTIVE = 4,
    /// A state this header version does not know.
    ANYSCTP_PATH_OTHER = 99,
}

/// Figures of one path, from `anysctp_endpoint_path_stats`. Times in
/// microseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_path_stats {
    /// The peer's transport address.
    pub address: anysctp_sockaddr,
    /// Its state.
    pub state: anysctp_path_state,
    /// Whether it is the primary path.
    pub primary: bool,
    /// Whether the round-trip time has been measured (`srtt_us` and
    /// `rttvar_us` are 0 until then).
    pub rtt_measured: bool,
    /// Smoothed round-trip time.
    pub srtt_us: u64,
    /// Round-trip time variation.
    pub rttvar_us: u64,
    /// Current retransmission timeout.
    pub rto_us: u64,
    /// Congestion window, bytes.
    pub cwnd: u64,
    /// Slow-start threshold, bytes.
    pub ssthresh: u64,
    /// Bytes of DATA chunks in flight on this path, chunk headers and
    /// padding included: the flight size the cwnd limits (RFC 9260 §3).
    pub bytes_in_flight: u64,
    /// Consecutive timeouts without answer.
    pub error_count: u32,
    /// Path MTU, bytes.
    pub mtu: u32,
}

/// Figures of an association, from `anysctp_endpoint_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_stats {
    /// The association's state.
    pub state: anysctp_association_state,
    /// Negotiated outbound streams.
    pub outbound_streams: u16,
    /// Negotiated inbound streams.
    pub inbound_streams: u16,
    /// The peer's receive window as last computed.
    pub peer_rwnd: u32,
    /// Bytes queued and not yet sent.
    pub buffered_amount: u64,
    /// User data bytes sent and not yet acknowledged (all paths).
    pub bytes_in_flight: u64,
    /// DATA chunks retransmitted.
    pub retransmissions: u64,
    /// Fast retransmissions among them.
    pub fast_retransmissions: u64,
    /// Retransmission timer expirations.
    pub timeouts: u64,
    /// SCTP packets sent.
    pub packets_sent: u64,
    /// SCTP packets received and accepted.
    pub packets_received: u64,
    /// User messages sent.
    pub messages_sent: u64,
    /// User messages delivered.
    pub messages_received: u64,
    /// User payload bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// User payload bytes delivered.
    pub bytes_received: u64,
    /// Number of paths (peer addresses); read each with
    /// `anysctp_endpoint_path_stats`, index 0 being the primary.
    pub path_count: u32,
}

fn us(d: core::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl From<&sctp::AssociationStats> for anysctp_stats {
    fn from(s: &sctp::AssociationStats) -> Self {
        Self {
            state: s.state.into(),
            outbound_streams: s.outbound_streams,
            inbound_streams: s.inbound_streams,
            peer_rwnd: s.peer_rwnd,
            buffered_amount: s.buffered_amount as u64,
            bytes_in_flight: s.bytes_in_flight as u64,
            retransmissions: s.retransmissions,
            fast_retransmissions: s.fast_retransmissions,
            timeouts: s.timeouts,
            packets_sent: s.packets_sent,
            packets_received: s.packets_received,
            messages_sent: s.messages_sent,
            messages_received: s.messages_received,
            bytes_acked: s.bytes_acked,
            bytes_received: s.bytes_received,
            path_count: u32::try_from(s.paths.len()).unwrap_or(u32::MAX),
        }
    }
}

impl From<&sctp::PathStats> for anysctp_path_stats {
    fn from(p: &sctp::PathStats) -> Self {
        use anysctp_path_state::*;
        Self {
            address: p.address.into(),
            state: match p.state {
                sctp::PathState::Unconfirmed => ANYSCTP_PATH_UNCONFIRMED,
                sctp::PathState::Active => ANYSCTP_PATH_ACTIVE,
                sctp::PathState::PotentiallyFailed => ANYSCTP_PATH_POTENTIALLY_FAILED,
                sctp::PathState::Inactive => ANYSCTP_PATH_INACTIVE,
                _ => ANYSCTP_PATH_OTHER,
            },
            primary: p.primary,
            rtt_measured: p.srtt.is_some(),
            srtt_us: p.srtt.map_or(0, us),
            rttvar_us: p.rttvar.map_or(0, us),
            rto_us: us(p.rto),
            cwnd: p.cwnd as u64,
            ssthresh: p.ssthresh as u64,
            bytes_in_flight: p.bytes_in_flight as u64,
            error_count: p.error_count,
            mtu: u32::try_from(p.mtu).unwrap_or(u32::MAX),
        }
    }
}
