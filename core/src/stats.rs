//! Figures the application can read about an association and its paths.

use core::time::Duration;
use std::net::SocketAddr;

/// The state of an association (RFC 9260 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssociationState {
    /// INIT sent, waiting for INIT ACK.
    CookieWait,
    /// COOKIE ECHO sent, waiting for COOKIE ACK.
    CookieEchoed,
    /// Data flows both ways.
    Established,
    /// The application asked to shut down; outstanding data is being
    /// acknowledged.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// SHUTDOWN received; our outstanding data is being acknowledged.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
    /// Ended.
    Closed,
}

impl AssociationState {
    /// The RFC's name of the state, e.g. `"ESTABLISHED"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CookieWait => "COOKIE-WAIT",
            Self::CookieEchoed => "COOKIE-ECHOED",
            Self::Established => "ESTABLISHED",
            Self::ShutdownPending => "SHUTDOWN-PENDING",
            Self::ShutdownSent => "SHUTDOWN-SENT",
            Self::ShutdownReceived => "SHUTDOWN-RECEIVED",
            Self::ShutdownAckSent => "SHUTDOWN-ACK-SENT",
            Self::Closed => "CLOSED",
        }
    }
}

impl core::fmt::Display for AssociationState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of one path (a peer transport address), RFC 9260 §8.2 and
/// RFC 7829.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathState {
    /// Not yet confirmed by a HEARTBEAT ACK (RFC 9260 §5.4).
    Unconfirmed,
    /// Reachable.
    Active,
    /// Potentially failed (RFC 7829).
    PotentiallyFailed,
    /// Unreachable: Path.Max.Retrans exceeded.
    Inactive,
}

/// Figures of one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStats {
    /// The peer's transport address.
    pub address: SocketAddr,
    /// Its state.
    pub state: PathState,
    /// Whether it is the primary path.
    pub primary: bool,
    /// Smoothed round-trip time, if measured.
    pub srtt: Option<Duration>,
    /// Round-trip time variation, if measured.
    pub rttvar: Option<Duration>,
    /// Current retransmission timeout.
    pub rto: Duration,
    /// Congestion window, bytes.
    pub cwnd: usize,
    /// Slow-start threshold, bytes.
    pub ssthresh: usize,
    /// Bytes of DATA chunks sent on this path and not yet acknowledged,
    /// chunk headers and padding included: the flight size cwnd is compared
    /// with (RFC 9260 §3, §6.1 B). [`AssociationStats::bytes_in_flight`]
    /// counts user data only.
    pub bytes_in_flight: usize,
    /// Consecutive timeouts without an answer (the path error counter).
    pub error_count: u32,
    /// Path MTU used, bytes.
    pub mtu: usize,
}

/// Figures of an association, from [`crate::Endpoint::stats`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationStats {
    /// The association's state.
    pub state: AssociationState,
    /// Negotiated outbound streams.
    pub outbound_streams: u16,
    /// Negotiated inbound streams.
    pub inbound_streams: u16,
    /// The peer's advertised receive window, as we last computed it.
    pub peer_rwnd: u32,
    /// Bytes queued by the application and not yet sent.
    pub buffered_amount: usize,
    /// User data bytes sent and not yet acknowledged (all paths; the
    /// per-path [`PathStats::bytes_in_flight`] counts DATA chunks whole).
    pub bytes_in_flight: usize,
    /// DATA chunks retransmitted (by timeout or fast retransmit).
    pub retransmissions: u64,
    /// Fast retransmissions among them.
    pub fast_retransmissions: u64,
    /// Retransmission timer expirations.
    pub timeouts: u64,
    /// SCTP packets sent.
    pub packets_sent: u64,
    /// SCTP packets received and accepted.
    pub packets_received: u64,
    /// User messages sent (fully handed to the association).
    pub messages_sent: u64,
    /// User messages delivered to the application.
    pub messages_received: u64,
    /// User payload bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// User payload bytes delivered to the application.
    pub bytes_received: u64,
    /// Per-path figures; the primary path first.
    pub paths: Vec<PathStats>,
}
