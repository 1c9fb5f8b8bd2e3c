//! Notifications (RFC 6458 §6.1) and their subscription (§6.2.2,
//! SCTP_EVENT).

use std::net::SocketAddr;

use bytes::Bytes;

use super::SndInfo;
use crate::event::AssociationId;

/// A notification type, with the Linux `sctp_sn_type` values (`code()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// SCTP_ASSOC_CHANGE (RFC 6458 §6.1.1).
    AssocChange,
    /// SCTP_PEER_ADDR_CHANGE (§6.1.2).
    PeerAddrChange,
    /// SCTP_REMOTE_ERROR (§6.1.3).
    RemoteError,
    /// SCTP_SHUTDOWN_EVENT (§6.1.5).
    Shutdown,
    /// SCTP_ADAPTATION_INDICATION (§6.1.6). Accepted by SCTP_EVENT, but
    /// never delivered yet: the core reports no peer adaptation indication.
    AdaptationIndication,
    /// SCTP_SENDER_DRY_EVENT (§6.1.9).
    SenderDry,
    /// SCTP_SEND_FAILED_EVENT (§6.1.11).
    SendFailed,
    /// SCTP_STREAM_RESET_EVENT (RFC 6458 §6.1.9, RFC 6525 §6.1.1).
    StreamReset,
    /// SCTP_STREAM_CHANGE_EVENT (RFC 6458 §6.1.10, RFC 6525 §6.1.3).
    StreamChange,
    /// SCTP_AUTHENTICATION_EVENT (§6.1.8).
    Authentication,
    /// SCTP_ASSOC_RESET_EVENT (RFC 6525 §6.1.2).
    AssocReset,
}

impl EventType {
    /// All types, in `code()` order.
    pub const ALL: [EventType; 11] = [
        Self::AssocChange,
        Self::PeerAddrChange,
        Self::RemoteError,
        Self::Shutdown,
        Self::AdaptationIndication,
        Self::SenderDry,
        Self::StreamReset,
        Self::AssocReset,
        Self::StreamChange,
        Self::SendFailed,
        Self::Authentication,
    ];

    /// The Linux `sctp_sn_type` value (`SCTP_SN_TYPE_BASE` is `1 << 15`).
    pub fn code(self) -> u16 {
        match self {
            Self::AssocChange => 0x8001,
            Self::PeerAddrChange => 0x8002,
            Self::RemoteError => 0x8004,
            Self::Shutdown => 0x8005,
            Self::AdaptationIndication => 0x8007,
            Self::SenderDry => 0x8009,
            Self::StreamReset => 0x800a,
            Self::AssocReset => 0x800b,
            Self::StreamChange => 0x800c,
            Self::SendFailed => 0x800d,
            Self::Authentication => 0x8008,
        }
    }

    /// The type with Linux value `code`, if this facade knows it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Which notifications a socket receives. All off by default (RFC 6458
/// §6.2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMask(u16);

impl EventMask {
    /// Whether `t` is subscribed.
    pub fn contains(self, t: EventType) -> bool {
        self.0 & t.bit() != 0
    }
    /// Subscribes or unsubscribes `t`.
    pub fn set(&mut self, t: EventType, on: bool) {
        if on {
            self.0 |= t.bit();
        } else {
            self.0 &= !t.bit();
        }
    }
}

/// `strreset_flags` of SCTP_STREAM_RESET_EVENT (RFC 6525 §6.1.1),
/// `assocreset_flags` of SCTP_ASSOC_RESET_EVENT (§6.1.2, DENIED and FAILED
/// only) and `strchange_flags` of SCTP_STREAM_CHANGE_EVENT (§6.1.3).
pub mod stream_flags {
    /// SCTP_STREAM_RESET_INCOMING_SSN: the peer's streams were reset.
    pub const RESET_INCOMING_SSN: u16 = 0x0001;
    /// SCTP_STREAM_RESET_OUTGOING_SSN: our streams were reset.
    pub const RESET_OUTGOING_SSN: u16 = 0x0002;
    /// SCTP_STREAM_RESET_DENIED / SCTP_STREAM_CHANGE_DENIED.
    pub const DENIED: u16 = 0x0004;
    /// SCTP_STREAM_RESET_FAILED / SCTP_STREAM_CHANGE_FAILED.
    pub const FAILED: u16 = 0x0008;

    /// The DENIED / FAILED bit for a re-configuration result.
    pub(crate) fn of(result: crate::ReconfigResult) -> u16 {
        match result {
            crate::ReconfigResult::Success => 0,
            crate::ReconfigResult::Denied => DENIED,
            crate::ReconfigResult::Failed => FAILED,
        }
    }
}

/// `sac_state` of SCTP_ASSOC_CHANGE, Linux values (`code()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssocChangeState {
    /// SCTP_COMM_UP: a new association is ready.
    CommUp,
    /// SCTP_COMM_LOST: the association failed (ABORT or timeouts).
    CommLost,
    /// SCTP_RESTART: the peer restarted.
    Restart,
    /// SCTP_SHUTDOWN_COMP: graceful shutdown completed.
    ShutdownComp,
    /// SCTP_CANT_STR_ASSOC: the association could not be set up.
    CantStartAssoc,
}

impl AssocChangeState {
    /// The Linux value.
    pub fn code(self) -> u16 {
        match self {
            Self::CommUp => 0,
            Self::CommLost => 1,
            Self::Restart => 2,
            Self::ShutdownComp => 3,
            Self::CantStartAssoc => 4,
        }
    }
}

/// `spc_state` of SCTP_PEER_ADDR_CHANGE, Linux values (`code()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerAddrChangeState {
    /// SCTP_ADDR_AVAILABLE.
    Available,
    /// SCTP_ADDR_UNREACHABLE.
    Unreachable,
    /// SCTP_ADDR_REMOVED.
    Removed,
    /// SCTP_ADDR_ADDED.
    Added,
    /// SCTP_ADDR_MADE_PRIM.
    MadePrimary,
    /// SCTP_ADDR_CONFIRMED.
    Confirmed,
    /// SCTP_ADDR_POTENTIALLY_FAILED.
    PotentiallyFailed,
}

impl PeerAddrChangeState {
    /// The Linux value.
    pub fn code(self) -> u32 {
        match self {
            Self::Available => 0,
            Self::Unreachable => 1,
            Self::Removed => 2,
            Self::Added => 3,
            Self::MadePrimary => 4,
            Self::Confirmed => 5,
            Self::PotentiallyFailed => 6,
        }
    }

    pub(crate) fn from_core(s: crate::PeerAddressState) -> Self {
        use crate::PeerAddressState as P;
        match s {
            P::Available => Self::Available,
            P::Unreachable => Self::Unreachable,
            P::Confirmed => Self::Confirmed,
            P::MadePrimary => Self::MadePrimary,
            P::Added => Self::Added,
            P::Removed => Self::Removed,
            P::PotentiallyFailed => Self::PotentiallyFailed,
            #[allow(unreachable_patterns)]
            _ => Self::Available,
        }
    }
}

/// A notification delivered through `recvmsg` (RFC 6458 §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// SCTP_ASSOC_CHANGE.
    AssocChange {
        /// What happened.
        state: AssocChangeState,
        /// Negotiated outbound streams (COMM_UP, RESTART), else 0.
        outbound_streams: u16,
        /// Negotiated inbound streams (COMM_UP, RESTART), else 0.
        inbound_streams: u16,
        /// For COMM_LOST / CANT_STR_ASSOC: the reason as text (the peer's
        /// ABORT causes, or why we gave up); empty otherwise.
        reason: String,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_PEER_ADDR_CHANGE.
    PeerAddrChange {
        /// The peer's transport address.
        address: SocketAddr,
        /// Its new state.
        state: PeerAddrChangeState,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_REMOTE_ERROR: the peer sent an ERROR chunk.
    RemoteError {
        /// The error causes, rendered as text by the core.
        text: String,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_SEND_FAILED_EVENT: a message was not (fully) delivered.
    SendFailed {
        /// SCTP_DATA_SENT when the association closed with it unacknowledged
        /// (it may have reached the peer), SCTP_DATA_UNSENT when it was
        /// abandoned (partial reliability) — `sent` is `true` for the former.
        sent: bool,
        /// The stream, PPID and association of the message; `context` is 0
        /// (the core does not echo it yet).
        info: SndInfo,
        /// The message, given back.
        data: Bytes,
    },
    /// SCTP_SHUTDOWN_EVENT: the peer sent SHUTDOWN; it sends no more data.
    Shutdown {
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_SENDER_DRY_EVENT: everything sent has been acknowledged.
    SenderDry {
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_STREAM_RESET_EVENT (RFC 6525 §6.1.1): streams were reset, or
    /// our request to reset them was denied or failed.
    StreamReset {
        /// [`stream_flags`]: direction, and DENIED / FAILED.
        flags: u16,
        /// The streams; empty means all.
        streams: Vec<u16>,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_ASSOC_RESET_EVENT (RFC 6525 §6.1.2): both directions' TSNs and
    /// every stream's sequence numbers were reset, or our request to reset
    /// them was denied or failed.
    AssocReset {
        /// `assocreset_flags`: [`stream_flags::DENIED`] /
        /// [`stream_flags::FAILED`] (SCTP_ASSOC_RESET_DENIED /
        /// SCTP_ASSOC_RESET_FAILED), 0 on success.
        flags: u16,
        /// `assocreset_local_tsn`: the TSN our next DATA chunk carries.
        local_tsn: u32,
        /// `assocreset_remote_tsn`: the TSN the peer's next DATA chunk
        /// carries.
        remote_tsn: u32,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_STREAM_CHANGE_EVENT (RFC 6525 §6.1.3): streams were added, or
    /// our request to add them was denied or failed.
    StreamChange {
        /// [`stream_flags`]: DENIED / FAILED.
        flags: u16,
        /// Inbound streams now.
        inbound_streams: u16,
        /// Outbound streams now.
        outbound_streams: u16,
        /// The association.
        assoc_id: AssociationId,
    },
    /// SCTP_AUTHENTICATION_EVENT (RFC 6458 §6.1.8).
    Authentication {
        /// `auth_keynumber`: the key concerned.
        key_id: u16,
        /// `auth_indication`: SCTP_AUTH_NEW_KEY, SCTP_AUTH_FREE_KEY or
        /// SCTP_AUTH_NO_AUTH.
        indication: crate::AuthIndication,
        /// The association.
        assoc_id: AssociationId,
    },
}

impl Notification {
    /// The notification's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::AssocChange { .. } => EventType::AssocChange,
            Self::PeerAddrChange { .. } => EventType::PeerAddrChange,
            Self::RemoteError { .. } => EventType::RemoteError,
            Self::SendFailed { .. } => EventType::SendFailed,
            Self::Shutdown { .. } => EventType::Shutdown,
            Self::SenderDry { .. } => EventType::SenderDry,
            Self::StreamReset { .. } => EventType::StreamReset,
            Self::StreamChange { .. } => EventType::StreamChange,
            Self::AssocReset { .. } => EventType::AssocReset,
            Self::Authentication { .. } => EventType::Authentication,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_is_off_by_default_and_toggles() {
        let mut m = EventMask::default();
        for t in EventType::ALL {
            assert!(!m.contains(t));
        }
        m.set(EventType::SenderDry, true);
        assert!(m.contains(EventType::SenderDry));
        assert!(!m.contains(EventType::AssocChange));
        m.set(EventType::SenderDry, false);
        assert!(!m.contains(EventType::SenderDry));
    }

    #[test]
    fn codes_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_code(t.code()), Some(t));
        }
        assert_eq!(EventType::from_code(0x7fff), None);
    }
}
