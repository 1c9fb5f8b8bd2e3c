//! Socket options (RFC 6458 §8) as typed values.
//!
//! [`super::SocketStack::getsockopt`] takes an option value and returns it
//! filled in, like the C call's in/out buffer: keys such as `assoc_id`,
//! `address` or `event` are read from the value given, the rest is written.
//! Times are in the RFC's units (milliseconds, seconds for SO_LINGER and
//! SCTP_AUTOCLOSE); 0 in a field of a set call means "leave unchanged"
//! where RFC 6458 says so.

use core::time::Duration;
use std::net::SocketAddr;

use super::errno::{Errno, SocketError};
use super::notification::EventType;
use super::SndInfo;
use crate::config::AssociationConfig;
use crate::event::AssociationId;
use crate::stats::{AssociationState, PathState};

/// SCTP_INITMSG (RFC 6458 §8.1.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InitMsg {
    /// Outbound streams to request (0 = unchanged).
    pub num_ostreams: u16,
    /// Most inbound streams accepted (0 = unchanged).
    pub max_instreams: u16,
    /// Max.Init.Retransmits (0 = unchanged).
    pub max_attempts: u16,
    /// Largest T1-init / T1-cookie timeout while setting up, ms (0 =
    /// unchanged); sets [`AssociationConfig::max_init_timeout`]. May be
    /// above or below RTO.Max, which applies while it is unset.
    pub max_init_timeo: u16,
}

/// SCTP_RTOINFO (RFC 6458 §8.1.1). Values in ms; 0 = unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtoInfo {
    /// The association (one-to-many), or `None` for the socket's future
    /// associations (SCTP_FUTURE_ASSOC).
    pub assoc_id: Option<AssociationId>,
    /// RTO.Initial.
    pub initial: u32,
    /// RTO.Max.
    pub max: u32,
    /// RTO.Min.
    pub min: u32,
}

/// SCTP_ASSOCINFO (RFC 6458 §8.1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssocInfo {
    /// The association, or `None` for future associations.
    pub assoc_id: Option<AssociationId>,
    /// Association.Max.Retrans (0 = unchanged).
    pub asocmaxrxt: u16,
    /// Number of peer addresses (get only).
    pub number_peer_destinations: u16,
    /// The peer's receive window (get only).
    pub peer_rwnd: u32,
    /// Our receive buffer, bytes (get only; the configured size, not the
    /// window currently advertised).
    pub local_rwnd: u32,
    /// Valid.Cookie.Life, ms (0 = unchanged).
    pub cookie_life: u32,
}

/// Flags of [`PeerAddrParams`] (Linux values).
pub mod spp_flags {
    /// SPP_HB_ENABLE: turn heartbeats on.
    pub const HB_ENABLE: u32 = 1 << 0;
    /// SPP_HB_DISABLE: turn heartbeats off.
    pub const HB_DISABLE: u32 = 1 << 1;
    /// SPP_PMTUD_ENABLE (accepted; the core has no PMTU discovery yet).
    pub const PMTUD_ENABLE: u32 = 1 << 3;
    /// SPP_PMTUD_DISABLE: use `pathmtu` as the fixed path MTU.
    pub const PMTUD_DISABLE: u32 = 1 << 4;
}

/// SCTP_PEER_ADDR_PARAMS (RFC 6458 §8.1.12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerAddrParams {
    /// The association, or `None` for future associations.
    pub assoc_id: Option<AssociationId>,
    /// One peer address, or `None` for all. Per-address settings are not
    /// supported (EOPNOTSUPP): the core configures all paths alike.
    pub address: Option<SocketAddr>,
    /// HB.interval, ms (0 = unchanged).
    pub hbinterval: u32,
    /// Path.Max.Retrans (0 = unchanged).
    pub pathmaxrxt: u16,
    /// Path MTU, bytes (0 = unchanged).
    pub pathmtu: u32,
    /// [`spp_flags`].
    pub flags: u32,
}

/// SCTP_PEER_ADDR_THLDS (RFC 7829 §7.2): the path error thresholds of
/// SCTP-PF.
///
/// A path becomes Potentially Failed when its error counter exceeds
/// `pathpfthld` and unreachable when it exceeds `pathmaxrxt`. A
/// `pathpfthld` at or above `pathmaxrxt` turns SCTP-PF off (the Linux
/// convention); reading then returns `pathpfthld == pathmaxrxt`. The core
/// stops sending to a primary as soon as it is Potentially Failed (or
/// unreachable when PF is off), so `pathcpthld` must equal that threshold,
/// or be 0 on set ("the matching value").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerAddrThresholds {
    /// The association, or `None` for future associations.
    pub assoc_id: Option<AssociationId>,
    /// Must be `None` (all peer addresses): the core configures all paths
    /// alike.
    pub address: Option<SocketAddr>,
    /// Path.Max.Retrans (0 = unchanged).
    pub pathmaxrxt: u16,
    /// PotentiallyFailed.Max.Retrans.
    pub pathpfthld: u16,
    /// The threshold at which the primary stops being used.
    pub pathcpthld: u16,
}

/// A path's state in SCTP_GET_PEER_ADDR_INFO / SCTP_STATUS.
pub type PeerAddrState = PathState;

/// SCTP_GET_PEER_ADDR_INFO (RFC 6458 §8.2.2); also SCTP_STATUS's primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddrInfo {
    /// The association (one-to-many), ignored for one-to-one.
    pub assoc_id: Option<AssociationId>,
    /// The peer address asked about.
    pub address: SocketAddr,
    /// Its state.
    pub state: PeerAddrState,
    /// Congestion window, bytes.
    pub cwnd: u32,
    /// Smoothed RTT, ms (0 before the first measurement).
    pub srtt: u32,
    /// Current RTO, ms.
    pub rto: u32,
    /// Path MTU, bytes.
    pub mtu: u32,
}

/// SCTP_STATUS (RFC 6458 §8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// The association (one-to-many), ignored for one-to-one.
    pub assoc_id: Option<AssociationId>,
    /// Its state.
    pub state: AssociationState,
    /// The peer's receive window.
    pub rwnd: u32,
    /// Bytes sent and not yet acknowledged. (RFC 6458's `sstat_unackdata`
    /// counts chunks; the core counts bytes.)
    pub unacked_bytes: u32,
    /// Bytes queued and not yet sent (`sstat_penddata`, in bytes).
    pub pending_bytes: u32,
    /// Negotiated inbound streams.
    pub instrms: u16,
    /// Negotiated outbound streams.
    pub outstrms: u16,
    /// Largest user-data fragment that fits one packet on the primary path.
    pub fragmentation_point: u32,
    /// The primary path.
    pub primary: Option<PeerAddrInfo>,
}

/// One socket option, as a value to set or a query to fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketOption {
    /// SO_ERROR (get only; reading clears it).
    Error(Option<Errno>),
    /// SO_LINGER: `None` = off; `Some(0)` makes close() abort.
    Linger(Option<u32>),
    /// SO_RCVBUF: receive buffer (the advertised window), bytes.
    RcvBuf(u32),
    /// SO_SNDBUF: send buffer, bytes.
    SndBuf(u32),
    /// SCTP_INITMSG.
    InitMsg(InitMsg),
    /// SCTP_RTOINFO.
    RtoInfo(RtoInfo),
    /// SCTP_ASSOCINFO.
    AssocInfo(AssocInfo),
    /// SCTP_PEER_ADDR_PARAMS.
    PeerAddrParams(PeerAddrParams),
    /// SCTP_PEER_ADDR_THLDS (RFC 7829 §7.2).
    PeerAddrThresholds(PeerAddrThresholds),
    /// SCTP_NODELAY.
    NoDelay(bool),
    /// SCTP_MAXSEG: largest user-data fragment, bytes (0 = the path MTU
    /// decides). Setting it lowers the MTU the core assumes so fragments
    /// are at most this size.
    MaxSeg(u32),
    /// SCTP_DEFAULT_SNDINFO: used by sendmsg without a SndInfo.
    DefaultSndInfo(SndInfo),
    /// SCTP_DISABLE_FRAGMENTS: messages larger than one fragment fail with
    /// EMSGSIZE instead of being fragmented.
    DisableFragments(bool),
    /// SCTP_AUTOCLOSE, seconds (0 = off); one-to-many only.
    AutoClose(u32),
    /// SCTP_ADAPTATION_LAYER: the indication sent in INIT / INIT ACK.
    AdaptationLayer(u32),
    /// SCTP_INTERLEAVING_SUPPORTED (RFC 8260 §4.3.1): offer I-DATA (and,
    /// with partial reliability, I-FORWARD-TSN) to future associations;
    /// sets [`AssociationConfig::i_data`]. The core delivers messages
    /// whole, so RFC 8260's prerequisite (SCTP_FRAGMENT_INTERLEAVE level 2)
    /// has no counterpart here.
    InterleavingSupported(bool),
    /// SCTP_STATUS (get only).
    Status(Status),
    /// SCTP_EVENT: subscribe to one notification type.
    Event {
        /// Must be `None` (SCTP_FUTURE_ASSOC): subscriptions are per socket.
        assoc_id: Option<AssociationId>,
        /// The notification.
        event: EventType,
        /// On or off.
        on: bool,
    },
    /// SCTP_PRIMARY_ADDR: the primary peer address.
    PrimaryAddr {
        /// The association (one-to-many), ignored for one-to-one.
        assoc_id: Option<AssociationId>,
        /// The address (filled on get).
        address: Option<SocketAddr>,
    },
    /// SCTP_GET_PEER_ADDR_INFO (get only).
    PeerAddrInfo(PeerAddrInfo),
    /// SCTP_ENABLE_STREAM_RESET (RFC 6525 §6.3.1): which re-configuration
    /// requests of the peer are accepted, as [`enable_reset`] flags
    /// (default: streams resets and added streams). Settable on a live
    /// association too. Requesting resets and added streams ourselves is
    /// `Sockets::reset_streams` / `Sockets::add_streams` /
    /// `Sockets::reset_assoc` (SCTP_RESET_STREAMS, SCTP_ADD_STREAMS,
    /// SCTP_RESET_ASSOC).
    EnableStreamReset {
        /// The association, or `None` for future ones.
        assoc_id: Option<AssociationId>,
        /// [`enable_reset`] flags.
        value: u32,
    },
    /// SCTP_SET_PEER_PRIMARY_ADDR (set only): asks the peer to send to
    /// this address of ours by preference (RFC 5061 Set Primary Address,
    /// sent in an ASCONF; the peer must support it).
    SetPeerPrimaryAddr {
        /// The association (one-to-many), ignored for one-to-one.
        assoc_id: Option<AssociationId>,
        /// One of the association's local addresses (the port is ignored).
        address: SocketAddr,
    },
    /// SCTP_AUTO_ASCONF: whether `bindx` on a socket with associations
    /// announces the change to their peers with ASCONF (RFC 5061). On by
    /// default.
    AutoAsconf(bool),
    /// SCTP_AUTH_CHUNK (RFC 6458 §8.3.2, set only): a chunk type future
    /// associations accept only authenticated; turns SCTP-AUTH on
    /// ([`AssociationConfig::auth`]).
    AuthChunk(u8),
    /// SCTP_HMAC_IDENT (RFC 6458 §8.1.17): the HMAC algorithms the peer
    /// should use, preferred first, for future associations; must include
    /// SHA-1. Setting it turns SCTP-AUTH on.
    HmacIdent(HmacIdent),
    /// SCTP_AUTH_ACTIVE_KEY (RFC 6458 §8.1.18): the key that sends.
    AuthActiveKey(AuthKeyId),
    /// SCTP_AUTH_DEACTIVATE_KEY (RFC 6458 §8.3.4, set only).
    AuthDeactivateKey(AuthKeyId),
    /// SCTP_AUTH_DELETE_KEY (RFC 6458 §8.3.5, set only).
    AuthDeleteKey(AuthKeyId),
    /// SCTP_PEER_AUTH_CHUNKS (RFC 6458 §8.2.3, get only): the chunk types
    /// the peer wants authenticated.
    PeerAuthChunks(AuthChunks),
    /// SCTP_LOCAL_AUTH_CHUNKS (RFC 6458 §8.2.4, get only): the chunk types
    /// we accept only authenticated.
    LocalAuthChunks(AuthChunks),
}

/// SCTP_HMAC_IDENT's value: at most the two defined algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HmacIdent {
    /// The preferred algorithm.
    pub first: crate::HmacAlgorithm,
    /// The other one, if listed.
    pub second: Option<crate::HmacAlgorithm>,
    /// On get: whether SCTP-AUTH is on for future associations.
    pub enabled: bool,
}

/// `struct sctp_authkeyid` (RFC 6458 §8.1.18, §8.3.4, §8.3.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthKeyId {
    /// The association, or `None` for the socket's endpoint (its future
    /// associations; a one-to-one socket's own association when connected).
    pub assoc_id: Option<AssociationId>,
    /// The Shared Key Identifier.
    pub key_id: u16,
}

/// `struct sctp_authchunks` (RFC 6458 §8.2.3, §8.2.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthChunks {
    /// The association (one-to-many), ignored for one-to-one.
    pub assoc_id: Option<AssociationId>,
    /// The chunk types (filled on get).
    pub chunks: crate::wire::ChunkTypeSet,
}

/// Flags of SCTP_ENABLE_STREAM_RESET (RFC 6525 §6.3.1).
pub mod enable_reset {
    /// SCTP_ENABLE_RESET_STREAM_REQ: accept Outgoing and Incoming SSN Reset
    /// Requests.
    pub const RESET_STREAM_REQ: u32 = 0x01;
    /// SCTP_ENABLE_RESET_ASSOC_REQ: accept SSN/TSN Reset Requests (off by
    /// default, as in usrsctp).
    pub const RESET_ASSOC_REQ: u32 = 0x02;
    /// SCTP_ENABLE_CHANGE_ASSOC_REQ: accept Add Streams Requests.
    pub const CHANGE_ASSOC_REQ: u32 = 0x04;
}

impl SocketOption {
    /// The RFC's name, e.g. `"SCTP_RTOINFO"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Error(_) => "SO_ERROR",
            Self::Linger(_) => "SO_LINGER",
            Self::RcvBuf(_) => "SO_RCVBUF",
            Self::SndBuf(_) => "SO_SNDBUF",
            Self::InitMsg(_) => "SCTP_INITMSG",
            Self::RtoInfo(_) => "SCTP_RTOINFO",
            Self::AssocInfo(_) => "SCTP_ASSOCINFO",
            Self::PeerAddrParams(_) => "SCTP_PEER_ADDR_PARAMS",
            Self::PeerAddrThresholds(_) => "SCTP_PEER_ADDR_THLDS",
            Self::NoDelay(_) => "SCTP_NODELAY",
            Self::MaxSeg(_) => "SCTP_MAXSEG",
            Self::DefaultSndInfo(_) => "SCTP_DEFAULT_SNDINFO",
            Self::DisableFragments(_) => "SCTP_DISABLE_FRAGMENTS",
            Self::AutoClose(_) => "SCTP_AUTOCLOSE",
            Self::AdaptationLayer(_) => "SCTP_ADAPTATION_LAYER",
            Self::InterleavingSupported(_) => "SCTP_INTERLEAVING_SUPPORTED",
            Self::Status(_) => "SCTP_STATUS",
            Self::Event { .. } => "SCTP_EVENT",
            Self::PrimaryAddr { .. } => "SCTP_PRIMARY_ADDR",
            Self::PeerAddrInfo(_) => "SCTP_GET_PEER_ADDR_INFO",
            Self::EnableStreamReset { .. } => "SCTP_ENABLE_STREAM_RESET",
            Self::SetPeerPrimaryAddr { .. } => "SCTP_SET_PEER_PRIMARY_ADDR",
            Self::AutoAsconf(_) => "SCTP_AUTO_ASCONF",
            Self::AuthChunk(_) => "SCTP_AUTH_CHUNK",
            Self::HmacIdent(_) => "SCTP_HMAC_IDENT",
            Self::AuthActiveKey(_) => "SCTP_AUTH_ACTIVE_KEY",
            Self::AuthDeactivateKey(_) => "SCTP_AUTH_DEACTIVATE_KEY",
            Self::AuthDeleteKey(_) => "SCTP_AUTH_DELETE_KEY",
            Self::PeerAuthChunks(_) => "SCTP_PEER_AUTH_CHUNKS",
            Self::LocalAuthChunks(_) => "SCTP_LOCAL_AUTH_CHUNKS",
        }
    }

    /// Whether the option configures associations (applies through
    /// [`AssociationConfig`]), as opposed to the socket itself.
    pub(crate) fn is_association_config(&self) -> bool {
        matches!(
            self,
            Self::RcvBuf(_)
                | Self::SndBuf(_)
                | Self::InitMsg(_)
                | Self::RtoInfo(_)
                | Self::AssocInfo(_)
                | Self::PeerAddrParams(_)
                | Self::PeerAddrThresholds(_)
                | Self::NoDelay(_)
                | Self::MaxSeg(_)
                | Self::AutoClose(_)
                | Self::AdaptationLayer(_)
                | Self::InterleavingSupported(_)
                | Self::EnableStreamReset { .. }
                | Self::AuthChunk(_)
                | Self::HmacIdent(_)
        )
    }
}

/// Bytes of the SCTP common header plus a DATA chunk header (RFC 9260 §3,
/// §3.3.1): what a packet spends before the first user byte.
pub(crate) const DATA_OVERHEAD: usize = 12 + 16;

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

pub(crate) fn to_ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

const fn einval(hint: &'static str) -> SocketError {
    SocketError::new(Errno::EINVAL, hint)
}

/// Applies an association-configuring option to `cfg`, validating the
/// result. `cfg` is left untouched on error.
pub(crate) fn apply(cfg: &mut AssociationConfig, opt: &SocketOption) -> Result<(), SocketError> {
    let mut c = cfg.clone();
    match *opt {
        SocketOption::RcvBuf(n) => {
            if n < 1500 {
                return Err(einval(
                    "SO_RCVBUF must be at least 1500 bytes (RFC 9260 §6.2)",
                ));
            }
            c.receive_buffer = n;
        }
        SocketOption::SndBuf(n) => {
            if n == 0 {
                return Err(einval("SO_SNDBUF must be at least 1 byte"));
            }
            c.send_buffer = n as usize;
        }
        SocketOption::InitMsg(m) => {
            if m.max_init_timeo != 0 {
                c.max_init_timeout = Some(ms(u32::from(m.max_init_timeo)));
            }
            if m.num_ostreams != 0 {
                c.outbound_streams = m.num_ostreams;
            }
            if m.max_instreams != 0 {
                c.max_inbound_streams = m.max_instreams;
            }
            if m.max_attempts != 0 {
                c.max_init_retransmits = u32::from(m.max_attempts);
            }
        }
        SocketOption::RtoInfo(r) => {
            if r.initial != 0 {
                c.rto_initial = ms(r.initial);
            }
            if r.max != 0 {
                c.rto_max = ms(r.max);
            }
            if r.min != 0 {
                c.rto_min = ms(r.min);
            }
            if c.rto_min > c.rto_max {
                return Err(einval("SCTP_RTOINFO: srto_min must not exceed srto_max"));
            }
            if c.rto_initial < c.rto_min || c.rto_initial > c.rto_max {
                return Err(einval(
                    "SCTP_RTOINFO: srto_initial must lie between srto_min and srto_max",
                ));
            }
        }
        SocketOption::AssocInfo(a) => {
            if a.asocmaxrxt != 0 {
                c.max_association_retransmits = u32::from(a.asocmaxrxt);
            }
            if a.cookie_life != 0 {
                c.cookie_lifetime = ms(a.cookie_life);
            }
        }
        SocketOption::PeerAddrParams(p) => {
            if p.address.is_some() {
                return Err(SocketError::new(
                    Errno::EOPNOTSUPP,
                    "SCTP_PEER_ADDR_PARAMS: per-address settings are not supported; leave the address empty to set all paths",
                ));
            }
            let on = p.flags & spp_flags::HB_ENABLE != 0;
            let off = p.flags & spp_flags::HB_DISABLE != 0;
            if on && off {
                return Err(einval(
                    "SCTP_PEER_ADDR_PARAMS: SPP_HB_ENABLE and SPP_HB_DISABLE are mutually exclusive",
                ));
            }
            if p.flags & spp_flags::PMTUD_ENABLE != 0 && p.flags & spp_flags::PMTUD_DISABLE != 0 {
                return Err(einval(
                    "SCTP_PEER_ADDR_PARAMS: SPP_PMTUD_ENABLE and SPP_PMTUD_DISABLE are mutually exclusive",
                ));
            }
            let known = spp_flags::HB_ENABLE
                | spp_flags::HB_DISABLE
                | spp_flags::PMTUD_ENABLE
                | spp_flags::PMTUD_DISABLE;
            if p.flags & !known != 0 {
                return Err(einval("SCTP_PEER_ADDR_PARAMS: unknown spp_flags bits"));
            }
            if off {
                c.heartbeat_interval = None;
            } else if p.hbinterval != 0 {
                c.heartbeat_interval = Some(ms(p.hbinterval));
            } else if on && c.heartbeat_interval.is_none() {
                c.heartbeat_interval = AssociationConfig::default().heartbeat_interval;
            }
            if p.pathmaxrxt != 0 {
                c.max_path_retransmits = u32::from(p.pathmaxrxt);
            }
            if p.pathmtu != 0 {
                c.mtu = p.pathmtu as usize;
            }
        }
        SocketOption::PeerAddrThresholds(t) => {
            if t.address.is_some() {
                return Err(SocketError::new(
                    Errno::EOPNOTSUPP,
                    "SCTP_PEER_ADDR_THLDS: per-address settings are not supported; leave the address empty to set all paths",
                ));
            }
            if t.pathmaxrxt != 0 {
                c.max_path_retransmits = u32::from(t.pathmaxrxt);
            }
            let pf = u32::from(t.pathpfthld);
            c.pf_max_retrans = (pf < c.max_path_retransmits).then_some(pf);
            let switch = c.pf_max_retrans.unwrap_or(c.max_path_retransmits);
            if t.pathcpthld != 0 && u32::from(t.pathcpthld) != switch {
                return Err(einval(
                    "SCTP_PEER_ADDR_THLDS: spt_pathcpthld must equal spt_pathpfthld (or spt_pathmaxrxt with SCTP-PF off), or be 0",
                ));
            }
        }
        SocketOption::NoDelay(on) => c.nodelay = on,
        SocketOption::MaxSeg(n) => {
            if n != 0 {
                if (n as usize) < 256 - DATA_OVERHEAD {
                    return Err(einval(
                        "SCTP_MAXSEG: at least 228 bytes (an MTU of 256 minus headers)",
                    ));
                }
                c.mtu = (n as usize).saturating_add(DATA_OVERHEAD).min(c.mtu);
            }
        }
        SocketOption::AutoClose(secs) => {
            c.autoclose = (secs != 0).then(|| Duration::from_secs(u64::from(secs)));
        }
        SocketOption::AdaptationLayer(v) => c.adaptation_indication = Some(v),
        SocketOption::InterleavingSupported(on) => c.i_data = on,
        SocketOption::EnableStreamReset { value, .. } => {
            use enable_reset::*;
            if value & !(RESET_STREAM_REQ | RESET_ASSOC_REQ | CHANGE_ASSOC_REQ) != 0 {
                return Err(einval(
                    "SCTP_ENABLE_STREAM_RESET: only SCTP_ENABLE_RESET_STREAM_REQ, SCTP_ENABLE_RESET_ASSOC_REQ and SCTP_ENABLE_CHANGE_ASSOC_REQ are defined",
                ));
            }
            c.reconfig_policy.accept_stream_reset = value & RESET_STREAM_REQ != 0;
            c.reconfig_policy.accept_ssn_tsn_reset = value & RESET_ASSOC_REQ != 0;
            c.reconfig_policy.accept_add_streams = value & CHANGE_ASSOC_REQ != 0;
        }
        SocketOption::AuthChunk(t) => {
            let a = c.auth.get_or_insert_with(Default::default);
            if !a.chunks.contains(&t) {
                a.chunks.push(t);
            }
        }
        SocketOption::HmacIdent(h) => {
            c.auth.get_or_insert_with(Default::default).hmac_algorithms =
                core::iter::once(h.first).chain(h.second).collect();
        }
        _ => return Ok(()),
    }
    c.validate().map_err(|e| match e {
        crate::Error::InvalidConfig(msg) => einval(msg),
        _ => einval("value rejected by the association configuration"),
    })?;
    *cfg = c;
    Ok(())
}

/// Fills an association-configuring option from `cfg`.
pub(crate) fn read(cfg: &AssociationConfig, opt: SocketOption) -> SocketOption {
    match opt {
        SocketOption::RcvBuf(_) => SocketOption::RcvBuf(cfg.receive_buffer),
        SocketOption::SndBuf(_) => {
            SocketOption::SndBuf(u32::try_from(cfg.send_buffer).unwrap_or(u32::MAX))
        }
        SocketOption::InitMsg(_) => SocketOption::InitMsg(InitMsg {
            num_ostreams: cfg.outbound_streams,
            max_instreams: cfg.max_inbound_streams,
            max_attempts: u16::try_from(cfg.max_init_retransmits).unwrap_or(u16::MAX),
            // RFC 6458 §8.1.3: the limit in use; RTO.Max while unset.
            max_init_timeo: u16::try_from(to_ms(cfg.max_init_timeout.unwrap_or(cfg.rto_max)))
                .unwrap_or(u16::MAX),
        }),
        SocketOption::RtoInfo(r) => SocketOption::RtoInfo(RtoInfo {
            assoc_id: r.assoc_id,
            initial: to_ms(cfg.rto_initial),
            max: to_ms(cfg.rto_max),
            min: to_ms(cfg.rto_min),
        }),
        SocketOption::AssocInfo(a) => SocketOption::AssocInfo(AssocInfo {
            asocmaxrxt: u16::try_from(cfg.max_association_retransmits).unwrap_or(u16::MAX),
            local_rwnd: cfg.receive_buffer,
            cookie_life: to_ms(cfg.cookie_lifetime),
            ..a
        }),
        SocketOption::PeerAddrParams(p) => SocketOption::PeerAddrParams(PeerAddrParams {
            hbinterval: cfg.heartbeat_interval.map(to_ms).unwrap_or(0),
            pathmaxrxt: u16::try_from(cfg.max_path_retransmits).unwrap_or(u16::MAX),
            pathmtu: u32::try_from(cfg.mtu).unwrap_or(u32::MAX),
            flags: if cfg.heartbeat_interval.is_some() {
                spp_flags::HB_ENABLE
            } else {
                spp_flags::HB_DISABLE
            } | spp_flags::PMTUD_DISABLE,
            ..p
        }),
        SocketOption::PeerAddrThresholds(t) => {
            let pmr = u16::try_from(cfg.max_path_retransmits).unwrap_or(u16::MAX);
            let pf = cfg
                .pf_max_retrans
                .map_or(pmr, |v| u16::try_from(v).unwrap_or(u16::MAX));
            SocketOption::PeerAddrThresholds(PeerAddrThresholds {
                pathmaxrxt: pmr,
                pathpfthld: pf,
                pathcpthld: pf,
                ..t
            })
        }
        SocketOption::NoDelay(_) => SocketOption::NoDelay(cfg.nodelay),
        SocketOption::MaxSeg(_) => SocketOption::MaxSeg(
            u32::try_from(cfg.mtu.saturating_sub(DATA_OVERHEAD)).unwrap_or(u32::MAX),
        ),
        SocketOption::AutoClose(_) => SocketOption::AutoClose(
            cfg.autoclose
                .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
        ),
        SocketOption::InterleavingSupported(_) => SocketOption::InterleavingSupported(cfg.i_data),
        SocketOption::AdaptationLayer(_) => {
            SocketOption::AdaptationLayer(cfg.adaptation_indication.unwrap_or(0))
        }
        SocketOption::EnableStreamReset { assoc_id, .. } => {
            let p = cfg.reconfig_policy;
            let flag = |on: bool, f: u32| if on { f } else { 0 };
            SocketOption::EnableStreamReset {
                assoc_id,
                value: flag(p.accept_stream_reset, enable_reset::RESET_STREAM_REQ)
                    | flag(p.accept_ssn_tsn_reset, enable_reset::RESET_ASSOC_REQ)
                    | flag(p.accept_add_streams, enable_reset::CHANGE_ASSOC_REQ),
            }
        }
        SocketOption::HmacIdent(_) => {
            let list = cfg
                .auth
                .as_ref()
                .map(|a| a.hmac_algorithms.clone())
                .unwrap_or_else(|| vec![crate::HmacAlgorithm::Sha1]);
            SocketOption::HmacIdent(HmacIdent {
                first: list.first().copied().unwrap_or(crate::HmacAlgorithm::Sha1),
                second: list.get(1).copied(),
                enabled: cfg.auth.is_some(),
            })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtoinfo_round_trip_and_zero_means_unchanged() {
        let mut cfg = AssociationConfig::default();
        let set = SocketOption::RtoInfo(RtoInfo {
            assoc_id: None,
            initial: 300,
            max: 5000,
            min: 100,
        });
        apply(&mut cfg, &set).unwrap();
        assert_eq!(read(&cfg, SocketOption::RtoInfo(RtoInfo::default())), set);
        apply(
            &mut cfg,
            &SocketOption::RtoInfo(RtoInfo {
                max: 6000,
                ..RtoInfo::default()
            }),
        )
        .unwrap();
        assert_eq!(cfg.rto_initial, Duration::from_millis(300));
        assert_eq!(cfg.rto_max, Duration::from_millis(6000));
    }

    #[test]
    fn peer_addr_thresholds_switch_sctp_pf_on_and_off() {
        let mut cfg = AssociationConfig::default();
        let get = |cfg: &AssociationConfig| match read(
            cfg,
            SocketOption::PeerAddrThresholds(PeerAddrThresholds::default()),
        ) {
            SocketOption::PeerAddrThresholds(t) => (t.pathmaxrxt, t.pathpfthld, t.pathcpthld),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            get(&cfg),
            (5, 0, 0),
            "RFC 7829 defaults: PF on the first timeout"
        );
        let set = |pmr, pf, cp| {
            SocketOption::PeerAddrThresholds(PeerAddrThresholds {
                pathmaxrxt: pmr,
                pathpfthld: pf,
                pathcpthld: cp,
                ..PeerAddrThresholds::default()
            })
        };
        apply(&mut cfg, &set(4, 2, 0)).unwrap();
        assert_eq!((cfg.max_path_retransmits, cfg.pf_max_retrans), (4, Some(2)));
        assert_eq!(get(&cfg), (4, 2, 2));
        // pathpfthld >= pathmaxrxt: SCTP-PF off.
        apply(&mut cfg, &set(0, 4, 4)).unwrap();
        assert_eq!((cfg.max_path_retransmits, cfg.pf_max_retrans), (4, None));
        assert_eq!(get(&cfg), (4, 4, 4));
        // The primary is left at the PF threshold: other values are EINVAL.
        let before = cfg.clone();
        let err = apply(&mut cfg, &set(6, 1, 0xffff)).unwrap_err();
        assert_eq!(err.errno, Errno::EINVAL);
        assert!(err.hint.contains("spt_pathcpthld"), "{err}");
        assert_eq!(cfg, before);
        let err = apply(
            &mut cfg,
            &SocketOption::PeerAddrThresholds(PeerAddrThresholds {
                address: Some(SocketAddr::from(([10, 0, 0, 1], 9899))),
                ..PeerAddrThresholds::default()
            }),
        )
        .unwrap_err();
        assert_eq!(err.errno, Errno::EOPNOTSUPP);
    }

    #[test]
    fn bad_values_are_einval_and_leave_config_alone() {
        let mut cfg = AssociationConfig::default();
        let before = cfg.clone();
        let err = apply(
            &mut cfg,
            &SocketOption::RtoInfo(RtoInfo {
                assoc_id: None,
                initial: 1000,
                max: 100,
                min: 500,
            }),
        )
        .unwrap_err();
        assert_eq!(err.errno, Errno::EINVAL);
        assert!(err.hint.contains("srto_min"), "{err}");
        let err = apply(&mut cfg, &SocketOption::RcvBuf(100)).unwrap_err();
        assert_eq!(err.errno, Errno::EINVAL);
        let err = apply(
            &mut cfg,
            &SocketOption::PeerAddrParams(PeerAddrParams {
                flags: spp_flags::HB_ENABLE | spp_flags::HB_DISABLE,
                ..PeerAddrParams::default()
            }),
        )
        .unwrap_err();
        assert_eq!(err.errno, Errno::EINVAL);
        let err = apply(
            &mut cfg,
            &SocketOption::PeerAddrParams(PeerAddrParams {
                pathmtu: 100,
                ..PeerAddrParams::default()
            }),
        )
        .unwrap_err();
        assert_eq!(err.errno, Errno::EINVAL);
        assert!(err.hint.contains("mtu"), "{err}");
        assert_eq!(cfg, before);
    }

    #[test]
    fn heartbeat_flags() {
        let mut cfg = AssociationConfig::default();
        apply(
            &mut cfg,
            &SocketOption::PeerAddrParams(PeerAddrParams {
                flags: spp_flags::HB_DISABLE,
                ..PeerAddrParams::default()
            }),
        )
        .unwrap();
        assert_eq!(cfg.heartbeat_interval, None);
        apply(
            &mut cfg,
            &SocketOption::PeerAddrParams(PeerAddrParams {
                flags: spp_flags::HB_ENABLE,
                hbinterval: 5000,
                pathmaxrxt: 3,
                ..PeerAddrParams::default()
            }),
        )
        .unwrap();
        assert_eq!(cfg.heartbeat_interval, Some(Duration::from_secs(5)));
        assert_eq!(cfg.max_path_retransmits, 3);
    }

    #[test]
    fn maxseg_lowers_mtu() {
        let mut cfg = AssociationConfig::default();
        apply(&mut cfg, &SocketOption::MaxSeg(500)).unwrap();
        assert_eq!(cfg.mtu, 528);
        assert_eq!(
            read(&cfg, SocketOption::MaxSeg(0)),
            SocketOption::MaxSeg(500)
        );
        assert_eq!(
            apply(&mut cfg, &SocketOption::MaxSeg(10))
                .unwrap_err()
                .errno,
            Errno::EINVAL
        );
    }

    #[test]
    fn interleaving_supported_sets_i_data() {
        let mut cfg = AssociationConfig::default();
        apply(&mut cfg, &SocketOption::InterleavingSupported(true)).unwrap();
        assert!(cfg.i_data);
        assert_eq!(
            read(&cfg, SocketOption::InterleavingSupported(false)),
            SocketOption::InterleavingSupported(true)
        );
        apply(&mut cfg, &SocketOption::InterleavingSupported(false)).unwrap();
        assert!(!cfg.i_data);
    }

    #[test]
    fn initmsg() {
        let mut cfg = AssociationConfig::default();
        apply(
            &mut cfg,
            &SocketOption::InitMsg(InitMsg {
                num_ostreams: 5,
                max_instreams: 7,
                max_attempts: 3,
                max_init_timeo: 0,
            }),
        )
        .unwrap();
        assert_eq!(
            (
                cfg.outbound_streams,
                cfg.max_inbound_streams,
                cfg.max_init_retransmits
            ),
            (5, 7, 3)
        );
        // sinit_max_init_timeo caps the setup timer; 0 leaves it alone.
        apply(
            &mut cfg,
            &SocketOption::InitMsg(InitMsg {
                max_init_timeo: 100,
                ..InitMsg::default()
            }),
        )
        .unwrap();
        assert_eq!(cfg.max_init_timeout, Some(Duration::from_millis(100)));
        assert_eq!((cfg.outbound_streams, cfg.max_init_retransmits), (5, 3));
        match read(&cfg, SocketOption::InitMsg(InitMsg::default())) {
            SocketOption::InitMsg(m) => assert_eq!(m.max_init_timeo, 100),
            other => panic!("{other:?}"),
        }
        apply(&mut cfg, &SocketOption::InitMsg(InitMsg::default())).unwrap();
        assert_eq!(cfg.max_init_timeout, Some(Duration::from_millis(100)));
    }
}
