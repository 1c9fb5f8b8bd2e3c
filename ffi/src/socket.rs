//! The socket-style API (RFC 6458 names with the `anysctp_` prefix) over the
//! core's socket facade, with a built-in driver for SCTP over UDP (RFC 6951):
//! real UDP sockets, a timer, and one pollable file descriptor.
//!
//! Linux only (epoll + timerfd). No thread is started: the caller's thread
//! drives I/O inside blocking calls, or through `anysctp_socket_process`
//! when the descriptor from `anysctp_socket_fd` polls readable.
//!
//! Functions here follow the sockets convention, not `anysctp_result`:
//! they return `-1` (or NULL) on failure with `errno` set (Linux values),
//! and `anysctp_last_error()` holds a sentence saying what to change.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use sctp::socket::{
    AssocInfo, AuthChunks, AuthKeyId, BindxOp, EventType, InitMsg, Notification, PeerAddrParams,
    PeerAddrThresholds, PrPolicy, RecvMsg, RtoInfo, Shutdown, SndInfo, SocketError, SocketId,
    SocketKind, SocketOption, SocketStack, StackConfig,
};
use sctp::{AssociationId, Instant};

use crate::addr::anysctp_sockaddr;
use crate::error::{panic_text, set_last_error};
use crate::event::anysctp_association_state;

/// `level` of SCTP options (IPPROTO_SCTP).
pub const ANYSCTP_IPPROTO_SCTP: c_int = 132;
/// `level` of socket options (SOL_SOCKET, Linux value).
pub const ANYSCTP_SOL_SOCKET: c_int = 1;
/// SO_ERROR (int, get only; reading clears it).
pub const ANYSCTP_SO_ERROR: c_int = 4;
/// SO_SNDBUF (int, bytes).
pub const ANYSCTP_SO_SNDBUF: c_int = 7;
/// SO_RCVBUF (int, bytes).
pub const ANYSCTP_SO_RCVBUF: c_int = 8;
/// SCTP_RTOINFO (`anysctp_rtoinfo`).
pub const ANYSCTP_RTOINFO: c_int = 0;
/// SCTP_ASSOCINFO (`anysctp_assocparams`).
pub const ANYSCTP_ASSOCINFO: c_int = 1;
/// SCTP_INITMSG (`anysctp_initmsg`).
pub const ANYSCTP_INITMSG: c_int = 2;
/// SCTP_NODELAY (int).
pub const ANYSCTP_NODELAY: c_int = 3;
/// SCTP_AUTOCLOSE (int, seconds; one-to-many only).
pub const ANYSCTP_AUTOCLOSE: c_int = 4;
/// SCTP_ADAPTATION_LAYER (`anysctp_setadaptation`).
pub const ANYSCTP_ADAPTATION_LAYER: c_int = 7;
/// SCTP_DISABLE_FRAGMENTS (int).
pub const ANYSCTP_DISABLE_FRAGMENTS: c_int = 8;
/// SCTP_PEER_ADDR_PARAMS (`anysctp_paddrparams`).
pub const ANYSCTP_PEER_ADDR_PARAMS: c_int = 9;
/// SCTP_PEER_ADDR_THLDS (`anysctp_paddrthlds`, RFC 7829 §7.2).
pub const ANYSCTP_PEER_ADDR_THLDS: c_int = 31;
/// SCTP_MAXSEG (`anysctp_assoc_value`, or an int).
pub const ANYSCTP_MAXSEG: c_int = 13;
/// SCTP_STATUS (`anysctp_status`, get only).
pub const ANYSCTP_STATUS: c_int = 14;
/// SCTP_DEFAULT_SNDINFO (`anysctp_sndinfo`).
pub const ANYSCTP_DEFAULT_SNDINFO: c_int = 34;
/// SCTP_EVENT (`anysctp_event_subscribe`).
pub const ANYSCTP_EVENT: c_int = 127;
/// SCTP_SET_PEER_PRIMARY_ADDR (`anysctp_setpeerprim`, set only): asks the
/// peer to send to one of our addresses by preference (RFC 5061 Set
/// Primary Address in an ASCONF; both sides need SCTP-AUTH).
pub const ANYSCTP_SET_PEER_PRIMARY_ADDR: c_int = 5;
/// SCTP_AUTH_CHUNK (`anysctp_authchunk`, set only, RFC 6458 §8.3.2): a chunk
/// type future associations accept only authenticated; turns SCTP-AUTH on.
pub const ANYSCTP_AUTH_CHUNK: c_int = 21;
/// SCTP_HMAC_IDENT (`anysctp_hmacalgo`, RFC 6458 §8.1.17): the HMAC
/// algorithms, preferred first (`ANYSCTP_AUTH_HMAC_ID_*`; must include
/// SHA-1); turns SCTP-AUTH on.
pub const ANYSCTP_HMAC_IDENT: c_int = 22;
/// SCTP_AUTH_KEY (`anysctp_authkey`, set only, RFC 6458 §8.3.3): sets a
/// shared key; `len` covers the key bytes after the struct.
pub const ANYSCTP_AUTH_KEY: c_int = 23;
/// SCTP_AUTH_ACTIVE_KEY (`anysctp_authkeyid`, RFC 6458 §8.1.18): the key
/// that signs what is sent.
pub const ANYSCTP_AUTH_ACTIVE_KEY: c_int = 24;
/// SCTP_AUTH_DELETE_KEY (`anysctp_authkeyid`, set only, RFC 6458 §8.3.5).
pub const ANYSCTP_AUTH_DELETE_KEY: c_int = 25;
/// SCTP_PEER_AUTH_CHUNKS (`anysctp_authchunks`, get only, RFC 6458 §8.2.3):
/// the chunk types the peer wants authenticated.
pub const ANYSCTP_PEER_AUTH_CHUNKS: c_int = 26;
/// SCTP_LOCAL_AUTH_CHUNKS (`anysctp_authchunks`, get only, RFC 6458
/// §8.2.4): the chunk types we accept only authenticated.
pub const ANYSCTP_LOCAL_AUTH_CHUNKS: c_int = 27;
/// SCTP_AUTO_ASCONF (int): whether `anysctp_bindx` on a socket with
/// associations announces the change to their peers (RFC 5061). On by
/// default.
pub const ANYSCTP_AUTO_ASCONF: c_int = 30;
/// SCTP_AUTH_DEACTIVATE_KEY (`anysctp_authkeyid`, set only, RFC 6458
/// §8.3.4).
pub const ANYSCTP_AUTH_DEACTIVATE_KEY: c_int = 35;
/// SCTP_ENABLE_STREAM_RESET (`anysctp_assoc_value` holding
/// `ANYSCTP_ENABLE_*` flags, RFC 6525 §6.3.1): which re-configuration
/// requests of the peer are accepted; also on a live association.
pub const ANYSCTP_ENABLE_STREAM_RESET: c_int = 118;
/// SCTP_RESET_STREAMS (`anysctp_reset_streams`, set only, RFC 6525
/// §6.3.2): resets our outgoing streams, or asks the peer to reset its
/// own, or both (`srs_flags`).
pub const ANYSCTP_RESET_STREAMS: c_int = 119;
/// SCTP_RESET_ASSOC (a `uint64_t` association id, 0 for a one-to-one
/// socket's; set only, RFC 6525 §6.3.3): resets both directions' TSNs and
/// every stream's sequence numbers (SSN/TSN Reset, §5.1.4). Messages sent
/// meanwhile wait; the answer comes as `ANYSCTP_ASSOC_RESET_EVENT`. The
/// peer performs it only if it enabled `ANYSCTP_ENABLE_RESET_ASSOC_REQ`.
pub const ANYSCTP_RESET_ASSOC: c_int = 120;
/// SCTP_ADD_STREAMS (`anysctp_add_streams`, set only, RFC 6525 §6.3.4).
pub const ANYSCTP_ADD_STREAMS: c_int = 121;

/// `assoc_value` of SCTP_ENABLE_STREAM_RESET: accept the peer's stream
/// resets (SCTP_ENABLE_RESET_STREAM_REQ).
pub const ANYSCTP_ENABLE_RESET_STREAM_REQ: u32 = 0x01;
/// SCTP_ENABLE_RESET_ASSOC_REQ: accept the peer's SSN/TSN Reset Requests
/// (RFC 6525 §5.2.4; off by default).
pub const ANYSCTP_ENABLE_RESET_ASSOC_REQ: u32 = 0x02;
/// SCTP_ENABLE_CHANGE_ASSOC_REQ: accept the peer's requests to add streams.
pub const ANYSCTP_ENABLE_CHANGE_ASSOC_REQ: u32 = 0x04;

/// `srs_flags` of SCTP_RESET_STREAMS: ask the peer to reset its streams
/// (SCTP_STREAM_RESET_INCOMING; `srs_number_streams` 0: all of them). With
/// `ANYSCTP_STREAM_RESET_OUTGOING` too: both in one request.
pub const ANYSCTP_STREAM_RESET_INCOMING: u16 = 0x01;
/// SCTP_STREAM_RESET_OUTGOING: reset our outgoing streams.
pub const ANYSCTP_STREAM_RESET_OUTGOING: u16 = 0x02;

/// `shmac_idents` value: HMAC-SHA-1 (SCTP_AUTH_HMAC_ID_SHA1, RFC 4895 §4).
pub const ANYSCTP_AUTH_HMAC_ID_SHA1: u16 = 1;
/// HMAC-SHA-256 (SCTP_AUTH_HMAC_ID_SHA256).
pub const ANYSCTP_AUTH_HMAC_ID_SHA256: u16 = 3;

/// `snd_flags`/`rcv_flags`: unordered delivery (SCTP_UNORDERED).
pub const ANYSCTP_UNORDERED: u16 = 1 << 0;
/// `snd_flags`: abort the association; the data is the reason (SCTP_ABORT).
pub const ANYSCTP_ABORT: u16 = 1 << 2;
/// `snd_flags`: one-to-many, send to every association (SCTP_SENDALL).
pub const ANYSCTP_SENDALL: u16 = 1 << 6;
/// `snd_flags`: graceful shutdown after this message (SCTP_EOF).
pub const ANYSCTP_EOF: u16 = 0x200;

/// `pr_policy` of `anysctp_sndinfo`: fully reliable.
pub const ANYSCTP_PR_SCTP_NONE: u16 = 0;
/// `pr_policy`: give up after `pr_value` milliseconds.
pub const ANYSCTP_PR_SCTP_TTL: u16 = 1;
/// `pr_policy`: give up after `pr_value` retransmissions.
pub const ANYSCTP_PR_SCTP_RTX: u16 = 2;

/// `*msg_flags` of `anysctp_recvmsg`: the message is complete (MSG_EOR).
pub const ANYSCTP_MSG_EOR: c_int = 0x80;
/// `*msg_flags`: this is a notification, in `*notification` (MSG_NOTIFICATION).
pub const ANYSCTP_MSG_NOTIFICATION: c_int = 0x8000;

/// `how` of `anysctp_shutdown` (SHUT_RD).
pub const ANYSCTP_SHUT_RD: c_int = 0;
/// SHUT_WR: graceful SHUTDOWN once queued data is sent.
pub const ANYSCTP_SHUT_WR: c_int = 1;
/// SHUT_RDWR.
pub const ANYSCTP_SHUT_RDWR: c_int = 2;

/// `flags` of `anysctp_bindx`: add addresses (SCTP_BINDX_ADD_ADDR).
pub const ANYSCTP_BINDX_ADD_ADDR: c_int = 1;
/// Remove addresses (SCTP_BINDX_REM_ADDR).
pub const ANYSCTP_BINDX_REM_ADDR: c_int = 2;

/// `sn_type` SCTP_ASSOC_CHANGE.
pub const ANYSCTP_ASSOC_CHANGE: u16 = 0x8001;
/// `sn_type` SCTP_PEER_ADDR_CHANGE.
pub const ANYSCTP_PEER_ADDR_CHANGE: u16 = 0x8002;
/// `sn_type` SCTP_REMOTE_ERROR.
pub const ANYSCTP_REMOTE_ERROR: u16 = 0x8004;
/// `sn_type` SCTP_SHUTDOWN_EVENT.
pub const ANYSCTP_SHUTDOWN_EVENT: u16 = 0x8005;
/// `sn_type` SCTP_ADAPTATION_INDICATION.
pub const ANYSCTP_ADAPTATION_INDICATION: u16 = 0x8007;
/// `sn_type` SCTP_SENDER_DRY_EVENT.
pub const ANYSCTP_SENDER_DRY_EVENT: u16 = 0x8009;
/// `sn_type` SCTP_SEND_FAILED_EVENT.
pub const ANYSCTP_SEND_FAILED_EVENT: u16 = 0x800d;
/// `sn_type` SCTP_AUTHENTICATION_EVENT (RFC 6458 §6.1.8).
pub const ANYSCTP_AUTHENTICATION_EVENT: u16 = 0x8008;
/// `sn_type` SCTP_STREAM_RESET_EVENT (RFC 6525 §6.1.1).
pub const ANYSCTP_STREAM_RESET_EVENT: u16 = 0x800a;
/// `sn_type` SCTP_STREAM_CHANGE_EVENT (RFC 6525 §6.1.3).
pub const ANYSCTP_STREAM_CHANGE_EVENT: u16 = 0x800c;

/// `sn_type` SCTP_ASSOC_RESET_EVENT (RFC 6525 §6.1.2): `local_tsn`,
/// `remote_tsn`, `flags` (`ANYSCTP_ASSOC_RESET_DENIED`, `_FAILED`, 0 on
/// success).
pub const ANYSCTP_ASSOC_RESET_EVENT: u16 = 0x800b;
/// `flags` of SCTP_ASSOC_RESET_EVENT: the peer refused our request
/// (SCTP_ASSOC_RESET_DENIED).
pub const ANYSCTP_ASSOC_RESET_DENIED: u16 = 0x0004;
/// Our request failed (SCTP_ASSOC_RESET_FAILED).
pub const ANYSCTP_ASSOC_RESET_FAILED: u16 = 0x0008;
/// `flags` of SCTP_STREAM_RESET_EVENT: the peer's streams were reset
/// (SCTP_STREAM_RESET_INCOMING_SSN).
pub const ANYSCTP_STREAM_RESET_INCOMING_SSN: u16 = 0x0001;
/// Our streams were reset (SCTP_STREAM_RESET_OUTGOING_SSN).
pub const ANYSCTP_STREAM_RESET_OUTGOING_SSN: u16 = 0x0002;
/// The peer refused our request (SCTP_STREAM_RESET_DENIED).
pub const ANYSCTP_STREAM_RESET_DENIED: u16 = 0x0004;
/// Our request failed (SCTP_STREAM_RESET_FAILED).
pub const ANYSCTP_STREAM_RESET_FAILED: u16 = 0x0008;
/// `flags` of SCTP_STREAM_CHANGE_EVENT: the peer refused to add streams
/// (SCTP_STREAM_CHANGE_DENIED).
pub const ANYSCTP_STREAM_CHANGE_DENIED: u16 = 0x0004;
/// Adding streams failed (SCTP_STREAM_CHANGE_FAILED).
pub const ANYSCTP_STREAM_CHANGE_FAILED: u16 = 0x0008;

/// `state` (`auth_indication`) of SCTP_AUTHENTICATION_EVENT: the peer
/// used `keynumber` for the first time (SCTP_AUTH_NEW_KEY; named `_SN_`
/// because the endpoint API's `ANYSCTP_AUTH_NEW_KEY` has another value).
pub const ANYSCTP_SN_AUTH_NEW_KEY: u32 = 0;
/// Deactivated key `keynumber` is no longer used (SCTP_AUTH_FREE_KEY).
pub const ANYSCTP_SN_AUTH_FREE_KEY: u32 = 1;
/// The peer does not support SCTP-AUTH (SCTP_AUTH_NO_AUTH).
pub const ANYSCTP_SN_AUTH_NO_AUTH: u32 = 2;

/// `state` of SCTP_ASSOC_CHANGE: SCTP_COMM_UP.
pub const ANYSCTP_COMM_UP: u32 = 0;
/// SCTP_COMM_LOST.
pub const ANYSCTP_COMM_LOST: u32 = 1;
/// SCTP_RESTART.
pub const ANYSCTP_RESTART: u32 = 2;
/// SCTP_SHUTDOWN_COMP.
pub const ANYSCTP_SHUTDOWN_COMP: u32 = 3;
/// SCTP_CANT_STR_ASSOC.
pub const ANYSCTP_CANT_STR_ASSOC: u32 = 4;

/// `*events` bits of `anysctp_socket_readiness` (poll's POLLIN).
pub const ANYSCTP_POLLIN: c_int = 0x1;
/// POLLOUT.
pub const ANYSCTP_POLLOUT: c_int = 0x4;
/// POLLERR.
pub const ANYSCTP_POLLERR: c_int = 0x8;
/// POLLHUP.
pub const ANYSCTP_POLLHUP: c_int = 0x10;

/// A socket: one-to-one (`SOCK_STREAM`) or one-to-many (`SOCK_SEQPACKET`).
/// Opaque.
///
/// Thread-safe: sockets of one stack (a socket from `anysctp_socket()` and
/// those accepted or peeled off from it) share a lock; a blocking call
/// releases it while it waits. Pointers inside a notification stay valid
/// until the next call on the same socket.
pub struct anysctp_sock {
    drv: Arc<Mutex<Driver>>,
    id: SocketId,
}

/// `sctp_sndinfo` (RFC 6458 §5.3.4) plus `sctp_prinfo` (§5.3.7).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_sndinfo {
    /// Stream to send on.
    pub snd_sid: u16,
    /// `ANYSCTP_UNORDERED`, `ANYSCTP_EOF`, `ANYSCTP_ABORT`, `ANYSCTP_SENDALL`.
    pub snd_flags: u16,
    /// Payload protocol identifier, host byte order.
    pub snd_ppid: u32,
    /// Opaque value for the application.
    pub snd_context: u32,
    /// One-to-many: the association (0 = choose by destination address).
    pub snd_assoc_id: u64,
    /// `ANYSCTP_PR_SCTP_NONE`, `_TTL` or `_RTX`.
    pub pr_policy: u16,
    /// Milliseconds (TTL) or retransmissions (RTX).
    pub pr_value: u32,
}

/// `sctp_rcvinfo` (RFC 6458 §5.3.5).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_rcvinfo {
    /// Stream it arrived on.
    pub rcv_sid: u16,
    /// SSN/MID (0: not reported yet).
    pub rcv_ssn: u32,
    /// `ANYSCTP_UNORDERED` if sent unordered.
    pub rcv_flags: u16,
    /// Payload protocol identifier, host byte order.
    pub rcv_ppid: u32,
    /// TSN (0: not reported yet).
    pub rcv_tsn: u32,
    /// Cumulative TSN (0: not reported yet).
    pub rcv_cumtsn: u32,
    /// The socket's default context.
    pub rcv_context: u32,
    /// The association.
    pub rcv_assoc_id: u64,
}

/// A notification (RFC 6458 §6.1), flattened: `sn_type` says which fields
/// mean something. Pointers are BORROWED until the next call on the socket.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_notification {
    /// `ANYSCTP_ASSOC_CHANGE`, `ANYSCTP_PEER_ADDR_CHANGE`, ...
    pub sn_type: u16,
    /// The association.
    pub assoc_id: u64,
    /// ASSOC_CHANGE: `ANYSCTP_COMM_UP`...; PEER_ADDR_CHANGE: the RFC's
    /// `spc_state` (0 AVAILABLE, 1 UNREACHABLE, 2 REMOVED, 3 ADDED,
    /// 4 MADE_PRIM, 5 CONFIRMED, 6 POTENTIALLY_FAILED); SEND_FAILED: 1 when
    /// the data was sent (SCTP_DATA_SENT), 0 when not (SCTP_DATA_UNSENT);
    /// AUTHENTICATION_EVENT: `auth_indication` (`ANYSCTP_SN_AUTH_NEW_KEY`,
    /// `_FREE_KEY`, `_NO_AUTH`; `UINT32_MAX` for one this header does not
    /// know).
    pub state: u32,
    /// ASSOC_CHANGE: negotiated outbound streams; STREAM_CHANGE_EVENT:
    /// outbound streams now (`strchange_outstrms`).
    pub outbound_streams: u16,
    /// ASSOC_CHANGE: negotiated inbound streams; STREAM_CHANGE_EVENT:
    /// inbound streams now (`strchange_instrms`).
    pub inbound_streams: u16,
    /// PEER_ADDR_CHANGE: the address.
    pub address: anysctp_sockaddr,
    /// SEND_FAILED: the message's stream, flags, PPID, association.
    pub info: anysctp_sndinfo,
    /// SEND_FAILED: the message given back.
    pub data: *const u8,
    /// Its length.
    pub data_len: usize,
    /// ASSOC_CHANGE (COMM_LOST, CANT_STR_ASSOC), REMOTE_ERROR: text,
    /// NUL-terminated (never NULL).
    pub text: *const c_char,
    /// Its length without the NUL.
    pub text_len: usize,
    /// STREAM_RESET_EVENT: `strreset_flags` (`ANYSCTP_STREAM_RESET_INCOMING_SSN`
    /// or `_OUTGOING_SSN`, with `_DENIED` or `_FAILED` when our request did
    /// not succeed); STREAM_CHANGE_EVENT: `strchange_flags`
    /// (`ANYSCTP_STREAM_CHANGE_DENIED`, `_FAILED`, 0 on success);
    /// ASSOC_RESET_EVENT: `assocreset_flags` (`ANYSCTP_ASSOC_RESET_DENIED`,
    /// `_FAILED`, 0 on success).
    pub flags: u16,
    /// STREAM_RESET_EVENT: the streams (`strreset_stream_list`); NULL with
    /// `stream_count` 0 means all streams.
    pub streams: *const u16,
    /// How many `streams`.
    pub stream_count: usize,
    /// AUTHENTICATION_EVENT: the shared key concerned (`auth_keynumber`; 0
    /// for `ANYSCTP_SN_AUTH_NO_AUTH`).
    pub keynumber: u16,
    /// ASSOC_RESET_EVENT: the TSN our next DATA chunk carries
    /// (`assocreset_local_tsn`).
    pub local_tsn: u32,
    /// ASSOC_RESET_EVENT: the TSN the peer's next DATA chunk carries
    /// (`assocreset_remote_tsn`).
    pub remote_tsn: u32,
}

/// SCTP_INITMSG.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_initmsg {
    /// Outbound streams to request (0 = unchanged).
    pub sinit_num_ostreams: u16,
    /// Most inbound streams (0 = unchanged).
    pub sinit_max_instreams: u16,
    /// Max.Init.Retransmits (0 = unchanged).
    pub sinit_max_attempts: u16,
    /// Must be 0 (no separate setup RTO limit).
    pub sinit_max_init_timeo: u16,
}

/// SCTP_RTOINFO; ms, 0 = unchanged.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_rtoinfo {
    /// The association, 0 = future associations.
    pub srto_assoc_id: u64,
    /// RTO.Initial.
    pub srto_initial: u32,
    /// RTO.Max.
    pub srto_max: u32,
    /// RTO.Min.
    pub srto_min: u32,
}

/// SCTP_ASSOCINFO.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_assocparams {
    /// The association, 0 = future associations.
    pub sasoc_assoc_id: u64,
    /// Association.Max.Retrans (0 = unchanged).
    pub sasoc_asocmaxrxt: u16,
    /// Peer addresses (get only).
    pub sasoc_number_peer_destinations: u16,
    /// Peer receive window (get only).
    pub sasoc_peer_rwnd: u32,
    /// Local receive buffer (get only).
    pub sasoc_local_rwnd: u32,
    /// Valid.Cookie.Life, ms (0 = unchanged).
    pub sasoc_cookie_life: u32,
}

/// SCTP_PEER_ADDR_PARAMS.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_paddrparams {
    /// The association, 0 = future associations.
    pub spp_assoc_id: u64,
    /// A peer address, or family 0 for all (per-address is not supported).
    pub spp_address: anysctp_sockaddr,
    /// HB.interval, ms (0 = unchanged).
    pub spp_hbinterval: u32,
    /// Path.Max.Retrans (0 = unchanged).
    pub spp_pathmaxrxt: u16,
    /// Path MTU (0 = unchanged).
    pub spp_pathmtu: u32,
    /// SPP_HB_ENABLE 1, SPP_HB_DISABLE 2, SPP_PMTUD_ENABLE 8, SPP_PMTUD_DISABLE 16.
    pub spp_flags: u32,
}

/// SCTP_PEER_ADDR_THLDS (RFC 7829 §7.2): SCTP-PF thresholds. A
/// `spt_pathpfthld` at or above `spt_pathmaxrxt` turns SCTP-PF off.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_paddrthlds {
    /// The association, 0 = future associations.
    pub spt_assoc_id: u64,
    /// A peer address, or family 0 for all (per-address is not supported).
    pub spt_address: anysctp_sockaddr,
    /// Path.Max.Retrans (0 = unchanged).
    pub spt_pathmaxrxt: u16,
    /// PotentiallyFailed.Max.Retrans.
    pub spt_pathpfthld: u16,
    /// When the primary stops being used: 0 or equal to the PF threshold
    /// (`spt_pathmaxrxt` with SCTP-PF off).
    pub spt_pathcpthld: u16,
}

/// SCTP_MAXSEG.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_assoc_value {
    /// The association, 0 = future associations.
    pub assoc_id: u64,
    /// The value.
    pub assoc_value: u32,
}

/// SCTP_ADAPTATION_LAYER.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_setadaptation {
    /// The indication sent in INIT / INIT ACK.
    pub ssb_adaptation_ind: u32,
}

/// SCTP_EVENT: subscribe to one notification type.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_event_subscribe {
    /// Must be 0 (subscriptions are per socket).
    pub se_assoc_id: u64,
    /// `ANYSCTP_ASSOC_CHANGE`, ...
    pub se_type: u16,
    /// 1 = on, 0 = off.
    pub se_on: u8,
}

/// SCTP_STATUS (get only).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_status {
    /// The association (one-to-many; ignored for one-to-one).
    pub sstat_assoc_id: u64,
    /// Its state.
    pub sstat_state: anysctp_association_state,
    /// Peer receive window.
    pub sstat_rwnd: u32,
    /// Bytes unacknowledged.
    pub sstat_unackdata: u32,
    /// Bytes queued, not yet sent.
    pub sstat_penddata: u32,
    /// Inbound streams.
    pub sstat_instrms: u16,
    /// Outbound streams.
    pub sstat_outstrms: u16,
    /// Largest fragment per packet.
    pub sstat_fragmentation_point: u32,
    /// Primary path address.
    pub sstat_primary_address: anysctp_sockaddr,
    /// Primary path: smoothed RTT, ms.
    pub sstat_primary_srtt: u32,
    /// Primary path: RTO, ms.
    pub sstat_primary_rto: u32,
    /// Primary path: cwnd, bytes.
    pub sstat_primary_cwnd: u32,
    /// Primary path: MTU.
    pub sstat_primary_mtu: u32,
}

/// SCTP_AUTH_CHUNK (RFC 6458 §8.3.2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_authchunk {
    /// A chunk type to accept only authenticated (not INIT, INIT ACK,
    /// SHUTDOWN COMPLETE or AUTH).
    pub sauth_chunk: u8,
}

/// SCTP_HMAC_IDENT (RFC 6458 §8.1.17): a count followed by that many
/// identifiers (allocate `sizeof(anysctp_hmacalgo) + n * sizeof(uint16_t)`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_hmacalgo {
    /// How many identifiers follow (set: 1 or 2).
    pub shmac_num_idents: u32,
    /// `ANYSCTP_AUTH_HMAC_ID_SHA256`, `ANYSCTP_AUTH_HMAC_ID_SHA1`,
    /// preferred first.
    pub shmac_idents: [u16; 0],
}

/// SCTP_AUTH_KEY (RFC 6458 §8.3.3): the key bytes follow the struct; pass
/// `len` = `offsetof(anysctp_authkey, sca_key) + sca_keylength` or more.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_authkey {
    /// The association, or 0: the socket's endpoint (keys later
    /// associations start with; a connected one-to-one socket's own
    /// association).
    pub sca_assoc_id: u64,
    /// The Shared Key Identifier.
    pub sca_keynumber: u16,
    /// Key length in bytes (0: the null key).
    pub sca_keylength: u16,
    /// The key.
    pub sca_key: [u8; 0],
}

/// SCTP_AUTH_ACTIVE_KEY, SCTP_AUTH_DEACTIVATE_KEY, SCTP_AUTH_DELETE_KEY
/// (RFC 6458 §8.1.18, §8.3.4, §8.3.5).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_authkeyid {
    /// The association, or 0 as in `anysctp_authkey`.
    pub scact_assoc_id: u64,
    /// The Shared Key Identifier.
    pub scact_keynumber: u16,
}

/// SCTP_PEER_AUTH_CHUNKS / SCTP_LOCAL_AUTH_CHUNKS (RFC 6458 §8.2.3,
/// §8.2.4): the chunk types follow the struct, one byte each.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_authchunks {
    /// The association (one-to-many; ignored for one-to-one).
    pub gauth_assoc_id: u64,
    /// How many chunk types follow (set even when the buffer is too small,
    /// then the call fails with EINVAL).
    pub gauth_number_of_chunks: u32,
    /// The chunk types.
    pub gauth_chunks: [u8; 0],
}

/// SCTP_SET_PEER_PRIMARY_ADDR (RFC 6458 §8.3.1).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_setpeerprim {
    /// The association (one-to-many; ignored for one-to-one).
    pub sspp_assoc_id: u64,
    /// One of the association's local addresses (the port is ignored).
    pub sspp_addr: anysctp_sockaddr,
}

/// SCTP_RESET_STREAMS (RFC 6525 §6.3.2): the stream list follows the
/// struct (allocate `sizeof(anysctp_reset_streams) + n * sizeof(uint16_t)`).
/// Messages queued before are still delivered; later ones wait for the
/// answer, an SCTP_STREAM_RESET_EVENT (subscribe with SCTP_EVENT).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_reset_streams {
    /// The association (one-to-many; ignored for one-to-one).
    pub srs_assoc_id: u64,
    /// `ANYSCTP_STREAM_RESET_OUTGOING`.
    pub srs_flags: u16,
    /// How many streams follow (at least 1: "all" is not supported).
    pub srs_number_streams: u16,
    /// The streams.
    pub srs_stream_list: [u16; 0],
}

/// SCTP_ADD_STREAMS (RFC 6525 §6.3.4). The answer is an
/// SCTP_STREAM_CHANGE_EVENT.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_add_streams {
    /// The association (one-to-many; ignored for one-to-one).
    pub sas_assoc_id: u64,
    /// Must be 0 (the peer adds the streams it sends on).
    pub sas_instrms: u16,
    /// Outbound streams to add.
    pub sas_outstrms: u16,
}

// ----- the driver -------------------------------------------------------

struct Driver {
    stack: SocketStack,
    udp: HashMap<u16, UdpSocket>,
    epoll: OwnedFd,
    timer: OwnedFd,
    origin: std::time::Instant,
    partial: HashMap<SocketId, (RecvMsg, usize)>,
    held: HashMap<SocketId, Held>,
    v6: bool,
    buf: Vec<u8>,
}

/// What the pointers of the last notification of a socket point into.
#[derive(Default)]
struct Held {
    data: Bytes,
    text: Vec<u8>,
    streams: Vec<u16>,
}

struct Fail {
    errno: i32,
    message: String,
}

impl From<SocketError> for Fail {
    fn from(e: SocketError) -> Self {
        Self {
            errno: e.errno.code(),
            message: e.to_string(),
        }
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Self {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            message: e.to_string(),
        }
    }
}

fn einval(message: impl Into<String>) -> Fail {
    Fail {
        errno: libc::EINVAL,
        message: message.into(),
    }
}

fn cvt(r: c_int) -> io::Result<c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl Driver {
    fn new(v6: bool) -> Result<Self, Fail> {
        // SAFETY: plain syscalls with constant arguments; the returned
        // descriptors are checked, then owned by OwnedFd.
        let epoll = unsafe { OwnedFd::from_raw_fd(cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        // SAFETY: as above.
        let timer = unsafe {
            OwnedFd::from_raw_fd(cvt(libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            ))?)
        };
        let mut seed = [0u8; 32];
        // SAFETY: writes at most 32 bytes into `seed`.
        let n = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
        if n != 32 {
            return Err(io::Error::last_os_error().into());
        }
        let stack = SocketStack::new(StackConfig {
            seed,
            ..StackConfig::default()
        })?;
        let d = Self {
            stack,
            udp: HashMap::new(),
            epoll,
            timer,
            origin: std::time::Instant::now(),
            partial: HashMap::new(),
            held: HashMap::new(),
            v6,
            buf: vec![0; 65536],
        };
        d.watch(d.timer.as_raw_fd())?;
        Ok(d)
    }

    fn watch(&self, fd: RawFd) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: fd as u64,
        };
        // SAFETY: both descriptors are open; `ev` is a valid epoll_event.
        cvt(unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) })?;
        Ok(())
    }

    fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    fn wildcard(&self, port: u16) -> SocketAddr {
        let ip = if self.v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        SocketAddr::new(ip, port)
    }

    /// Opens the UDP socket that carries SCTP port `addr.port()` (RFC 6951:
    /// one number is both) and returns its local address.
    fn open_udp(&mut self, addr: SocketAddr) -> Result<SocketAddr, Fail> {
        if let Some(u) = self.udp.get(&addr.port()) {
            if addr.port() != 0 {
                return Ok(u.local_addr()?);
            }
        }
        let u = UdpSocket::bind(addr)?;
        u.set_nonblocking(true)?;
        let local = u.local_addr()?;
        self.watch(u.as_raw_fd())?;
        self.udp.insert(local.port(), u);
        Ok(local)
    }

    fn ensure_bound(&mut self, id: SocketId) -> Result<(), Fail> {
        if self.stack.getladdrs(id)?.is_empty() {
            let local = self.open_udp(self.wildcard(0))?;
            self.stack.bind(id, local)?;
        }
        Ok(())
    }

    /// Receives every waiting datagram, runs due timers, sends what is due,
    /// and re-arms the timer.
    fn process(&mut self) {
        let now = self.now();
        let mut buf = std::mem::take(&mut self.buf);
        for u in self.udp.values() {
            let local = u.local_addr().ok();
            // Bounded: at most this many datagrams per socket per call, so a
            // flood cannot starve the caller.
            for _ in 0..1024 {
                match u.recv_from(&mut buf) {
                    Ok((n, from)) => self.stack.handle_datagram(
                        now,
                        local,
                        from,
                        Bytes::copy_from_slice(&buf[..n]),
                    ),
                    Err(_) => break,
                }
            }
        }
        self.buf = buf;
        let mut drain = [0u8; 8];
        // SAFETY: reads at most 8 bytes into `drain` from our timerfd.
        unsafe { libc::read(self.timer.as_raw_fd(), drain.as_mut_ptr().cast(), 8) };
        if self.stack.poll_timeout().is_some_and(|d| d <= now) {
            self.stack.handle_timeout(now);
        }
        self.flush();
    }

    fn flush(&mut self) {
        let now = self.now();
        let mut buf = std::mem::take(&mut self.buf);
        while let Some(t) = self.stack.poll_transmit(now, &mut buf) {
            let port = t.source.map_or(0, |s| s.port());
            if !self.udp.contains_key(&port) {
                let bind = t
                    .source
                    .filter(|s| !s.ip().is_unspecified())
                    .unwrap_or_else(|| self.wildcard(port));
                if self.open_udp(bind).is_err() {
                    continue;
                }
            }
            if let Some(u) = self.udp.get(&port) {
                // UDP is unreliable anyway: a failed send is a lost packet,
                // which SCTP recovers from.
                let _ = u.send_to(&buf[..t.len], t.destination);
            }
        }
        self.buf = buf;
        self.arm_timer();
    }

    fn arm_timer(&mut self) {
        let mut spec: libc::itimerspec =
            // SAFETY: all-zero is a valid itimerspec (disarmed).
            unsafe { std::mem::zeroed() };
        if let Some(d) = self.stack.poll_timeout() {
            let wait = d.saturating_duration_since(self.now());
            // A zero it_value disarms: fire in 1 µs instead when overdue.
            let wait = wait.max(core::time::Duration::from_micros(1));
            spec.it_value.tv_sec = wait.as_secs() as libc::time_t;
            spec.it_value.tv_nsec = wait.subsec_nanos() as libc::c_long;
        }
        // SAFETY: our timerfd; `spec` is valid; old value not requested.
        unsafe { libc::timerfd_settime(self.timer.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    }

    /// Milliseconds until the next deadline, for poll(); -1 = none.
    fn timeout_ms(&mut self) -> c_int {
        match self.stack.poll_timeout() {
            Some(d) => {
                let ms = d.saturating_duration_since(self.now()).as_millis() + 1;
                c_int::try_from(ms).unwrap_or(c_int::MAX)
            }
            None => -1,
        }
    }
}

fn lock(drv: &Arc<Mutex<Driver>>) -> Result<MutexGuard<'_, Driver>, Fail> {
    drv.lock().map_err(|_| Fail {
        errno: libc::EIO,
        message: "socket stack unusable: an internal error happened in an earlier call".into(),
    })
}

fn set_errno(e: i32) {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

/// Runs a socket call: catches panics, reports failures through errno and
/// the last error, returns `fail` then.
fn call<T>(fail: T, f: impl FnOnce() -> Result<T, Fail>) -> T {
    let r = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(Fail {
            errno: libc::EIO,
            message: format!("internal error (panic): {}", panic_text(&p)),
        }),
    };
    match r {
        Ok(v) => v,
        Err(e) => {
            set_last_error(e.message);
            set_errno(e.errno);
            fail
        }
    }
}

fn sock<'a>(s: *mut anysctp_sock) -> Result<&'a anysctp_sock, Fail> {
    if s.is_null() {
        return Err(Fail {
            errno: libc::EBADF,
            message: "socket must not be NULL".into(),
        });
    }
    // SAFETY: non-NULL; the caller promised a live socket from this library
    // (the handle itself is immutable; shared state is behind the mutex).
    Ok(unsafe { &*s })
}

/// Runs `op` on the socket; on a blocking socket, while `op` says EAGAIN
/// (or `again` holds), waits for I/O or the next timer and retries.
fn blocking<T>(
    s: &anysctp_sock,
    mut op: impl FnMut(&mut Driver, SocketId) -> Result<Option<T>, Fail>,
) -> Result<T, Fail> {
    loop {
        let mut d = lock(&s.drv)?;
        d.process();
        let r = op(&mut d, s.id);
        d.flush();
        match r {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) if e.errno == libc::EAGAIN && !d.stack.is_nonblocking(s.id)? => {}
            Err(e) => return Err(e),
        }
        if d.stack.is_nonblocking(s.id)? {
            return Err(Fail {
                errno: libc::EAGAIN,
                message: "operation would block".into(),
            });
        }
        let fd = d.epoll.as_raw_fd();
        let timeout = d.timeout_ms();
        drop(d);
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; the epoll fd stays open while `s` lives.
        unsafe { libc::poll(&mut pfd, 1, timeout) };
    }
}

/// An option's peer address: family 0 means "all addresses".
fn any_addr(a: &anysctp_sockaddr) -> Result<Option<SocketAddr>, Fail> {
    if a.family == 0 {
        return Ok(None);
    }
    a.to_socket_addr().map(Some).map_err(|f| einval(f.message))
}

fn assoc_opt(id: u64) -> Option<AssociationId> {
    (id != 0).then_some(AssociationId(id))
}

fn sys_addr(addr: *const c_void, len: usize) -> Result<SocketAddr, Fail> {
    let mut a = anysctp_sockaddr::default();
    if crate::addr::anysctp_sockaddr_from_sys(addr, len, &mut a)
        != crate::error::anysctp_result::ANYSCTP_OK
    {
        return Err(Fail {
            errno: libc::EINVAL,
            message: "address must be a sockaddr_in or sockaddr_in6 of the given length".into(),
        });
    }
    a.to_socket_addr().map_err(|f| einval(f.message))
}

/// Reads `count` packed sockaddr_in/sockaddr_in6 (RFC 6458 §9.1 layout).
fn packed_addrs(addrs: *const c_void, count: c_int) -> Result<Vec<SocketAddr>, Fail> {
    if addrs.is_null() || !(1..=64).contains(&count) {
        return Err(einval("need 1..=64 addresses and a non-NULL array"));
    }
    let mut out = Vec::new();
    let mut p = addrs.cast::<u8>();
    for _ in 0..count {
        // SAFETY: the caller promised `count` packed sockaddrs; the family
        // field is read unaligned from the start of the current one.
        let family = unsafe {
            std::ptr::read_unaligned(
                p.add(std::mem::offset_of!(libc::sockaddr, sa_family))
                    .cast::<libc::sa_family_t>(),
            )
        };
        let len = match i32::from(family) {
            libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
            libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
            f => return Err(einval(format!("address family {f} in the array"))),
        };
        out.push(sys_addr(p.cast(), len)?);
        // SAFETY: stays within the caller's array of `count` addresses.
        p = unsafe { p.add(len) };
    }
    Ok(out)
}

fn new_handle(drv: Arc<Mutex<Driver>>, id: SocketId) -> *mut anysctp_sock {
    Box::into_raw(Box::new(anysctp_sock { drv, id }))
}

// ----- calls ----------------------------------------------------------------

/// `socket(domain, type, IPPROTO_SCTP)`: `domain` AF_INET or AF_INET6,
/// `type` SOCK_STREAM (one-to-one) or SOCK_SEQPACKET (one-to-many). Each
/// call makes an independent stack (its own UDP sockets and timer). The
/// socket starts blocking. Free with `anysctp_close`. NULL on failure.
#[no_mangle]
pub extern "C" fn anysctp_socket(domain: c_int, kind: c_int) -> *mut anysctp_sock {
    call(std::ptr::null_mut(), || {
        let v6 = match domain {
            libc::AF_INET => false,
            libc::AF_INET6 => true,
            _ => {
                return Err(Fail {
                    errno: libc::EAFNOSUPPORT,
                    message: "domain must be AF_INET or AF_INET6".into(),
                })
            }
        };
        let kind = match kind {
            libc::SOCK_STREAM => SocketKind::OneToOne,
            libc::SOCK_SEQPACKET => SocketKind::OneToMany,
            _ => return Err(einval("type must be SOCK_STREAM or SOCK_SEQPACKET")),
        };
        let mut d = Driver::new(v6)?;
        let id = d.stack.socket(kind);
        Ok(new_handle(Arc::new(Mutex::new(d)), id))
    })
}

/// A file descriptor that polls readable (POLLIN) when the socket's stack
/// has I/O or a timer to handle: add it to your poll/epoll/kqueue set and
/// call `anysctp_socket_process` when it fires, then retry your calls.
/// Shared by all sockets of one stack; owned by the library (do not close).
#[no_mangle]
pub extern "C" fn anysctp_socket_fd(s: *mut anysctp_sock) -> c_int {
    call(-1, || Ok(lock(&sock(s)?.drv)?.epoll.as_raw_fd()))
}

/// Handles whatever made `anysctp_socket_fd` readable: receives datagrams,
/// runs due timers, sends what is due. Never blocks. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_socket_process(s: *mut anysctp_sock) -> c_int {
    call(-1, || {
        lock(&sock(s)?.drv)?.process();
        Ok(0)
    })
}

/// Sets `*events` to what the socket is ready for: `ANYSCTP_POLLIN`
/// (recvmsg/accept would not block), `ANYSCTP_POLLOUT`, `ANYSCTP_POLLERR`,
/// `ANYSCTP_POLLHUP`. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_socket_readiness(s: *mut anysctp_sock, events: *mut c_int) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        if events.is_null() {
            return Err(einval("events must not be NULL"));
        }
        let d = lock(&s.drv)?;
        let r = d.stack.readiness(s.id)?;
        let partial = d.partial.contains_key(&s.id);
        let mut e = 0;
        if r.readable || partial {
            e |= ANYSCTP_POLLIN;
        }
        if r.writable {
            e |= ANYSCTP_POLLOUT;
        }
        if r.error {
            e |= ANYSCTP_POLLERR;
        }
        if r.hup {
            e |= ANYSCTP_POLLHUP;
        }
        // SAFETY: non-NULL; the caller promised a writable int.
        unsafe { events.write(e) };
        Ok(0)
    })
}

/// Makes the socket non-blocking (`on` != 0): calls that would wait fail
/// with EAGAIN (connect: EINPROGRESS) instead. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_set_nonblocking(s: *mut anysctp_sock, on: c_int) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        lock(&s.drv)?.stack.set_nonblocking(s.id, on != 0)?;
        Ok(0)
    })
}

/// `bind`: `addr` is a `struct sockaddr_in`/`sockaddr_in6` of `len` bytes.
/// Its port is both the UDP port and the SCTP port (RFC 6951); 0 lets the
/// system choose. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_bind(s: *mut anysctp_sock, addr: *const c_void, len: usize) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let a = sys_addr(addr, len)?;
        let mut d = lock(&s.drv)?;
        let fresh = a.port() == 0 || !d.udp.contains_key(&a.port());
        let local = d.open_udp(a)?;
        if let Err(e) = d.stack.bind(s.id, local) {
            if fresh {
                d.udp.remove(&local.port());
            }
            return Err(e.into());
        }
        Ok(0)
    })
}

/// `sctp_bindx` (RFC 6458 §9.1): `count` packed sockaddrs, `flags`
/// `ANYSCTP_BINDX_ADD_ADDR` or `ANYSCTP_BINDX_REM_ADDR`. Every address
/// carries the socket's port (or 0). Also on a socket with associations:
/// with SCTP_AUTO_ASCONF on (the default) each address added or removed
/// is announced to the peers in an ASCONF (RFC 5061; both sides need
/// SCTP-AUTH), which report it as SCTP_PEER_ADDR_CHANGE ADDED / REMOVED.
/// While associations live, only addresses added after they started can
/// be removed (EADDRNOTAVAIL otherwise). The driver receives on the
/// addresses its UDP socket is bound to: bind the wildcard address to
/// receive on every address added. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_bindx(
    s: *mut anysctp_sock,
    addrs: *const c_void,
    count: c_int,
    flags: c_int,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let list = packed_addrs(addrs, count)?;
        let op = match flags {
            ANYSCTP_BINDX_ADD_ADDR => BindxOp::Add,
            ANYSCTP_BINDX_REM_ADDR => BindxOp::Remove,
            _ => return Err(einval("flags must be ANYSCTP_BINDX_ADD_ADDR or _REM_ADDR")),
        };
        let mut d = lock(&s.drv)?;
        if op == BindxOp::Add {
            for a in &list {
                if a.port() != 0 && !d.udp.contains_key(&a.port()) {
                    d.open_udp(*a)?;
                }
            }
        }
        let now = d.now();
        d.stack.bindx_at(now, s.id, &list, op)?;
        // With associations, the change goes out as ASCONFs (RFC 5061).
        d.flush();
        Ok(0)
    })
}

/// `listen`. Binds an ephemeral port first if unbound. 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_listen(s: *mut anysctp_sock, backlog: c_int) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let mut d = lock(&s.drv)?;
        d.ensure_bound(s.id)?;
        let now = d.now();
        d.stack
            .listen(now, s.id, usize::try_from(backlog.max(0)).unwrap_or(0))?;
        d.flush();
        Ok(0)
    })
}

/// `accept` on a listening one-to-one socket: a new socket for the next
/// association (free it with `anysctp_close`); `from` (may be NULL) gets the
/// peer's primary address. Blocks unless non-blocking (then EAGAIN). NULL
/// on failure.
#[no_mangle]
pub extern "C" fn anysctp_accept(
    s: *mut anysctp_sock,
    from: *mut anysctp_sockaddr,
) -> *mut anysctp_sock {
    call(std::ptr::null_mut(), || {
        let s = sock(s)?;
        let (child, peer) = blocking(s, |d, id| Ok(Some(d.stack.accept(id)?)))?;
        if !from.is_null() {
            let a = peer.map(anysctp_sockaddr::from).unwrap_or_default();
            // SAFETY: non-NULL; the caller promised it is writable.
            unsafe { from.write(a) };
        }
        Ok(new_handle(s.drv.clone(), child))
    })
}

fn connect_inner(s: &anysctp_sock, remotes: &[SocketAddr], port: u16) -> Result<u64, Fail> {
    let mut d = lock(&s.drv)?;
    d.ensure_bound(s.id)?;
    let now = d.now();
    let assoc = d.stack.connectx(now, s.id, remotes, port)?;
    d.flush();
    let nonblocking = d.stack.is_nonblocking(s.id)?;
    drop(d);
    if nonblocking {
        return Err(Fail {
            errno: libc::EINPROGRESS,
            message: format!(
                "association {assoc} is being set up: wait for POLLOUT, then read SO_ERROR"
            ),
        });
    }
    // Blocking: wait until the association is up or failed.
    blocking(s, |d, id| {
        let r = d.stack.readiness(id)?;
        if r.error {
            if let SocketOption::Error(Some(e)) =
                d.stack.getsockopt(id, SocketOption::Error(None))?
            {
                return Err(SocketError::from(e).into());
            }
        }
        let up = r.writable || d.stack.associations(id)?.is_empty();
        Ok(up.then_some(()))
    })?;
    Ok(assoc.0)
}

/// `connect` to the peer at transport address `addr` (sockaddr of `len`
/// bytes: IP and UDP port) whose SCTP port is `sctp_port` (0 = the same as
/// the UDP port, the RFC 6951 convention). Blocking: returns 0 once the
/// association is up, -1 with ECONNREFUSED/ETIMEDOUT... Non-blocking: -1
/// with EINPROGRESS; wait for POLLOUT, then read SO_ERROR.
#[no_mangle]
pub extern "C" fn anysctp_connect(
    s: *mut anysctp_sock,
    addr: *const c_void,
    len: usize,
    sctp_port: u16,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let a = sys_addr(addr, len)?;
        let port = if sctp_port == 0 { a.port() } else { sctp_port };
        connect_inner(s, &[a], port).map(|_| 0)
    })
}

/// `sctp_connectx` (RFC 6458 §9.9): `count` packed sockaddrs of one peer;
/// `*assoc_id` (may be NULL) gets the association id. Like `anysctp_connect`
/// otherwise; with EINPROGRESS `*assoc_id` is set too.
#[no_mangle]
pub extern "C" fn anysctp_connectx(
    s: *mut anysctp_sock,
    addrs: *const c_void,
    count: c_int,
    sctp_port: u16,
    assoc_id: *mut u64,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let list = packed_addrs(addrs, count)?;
        let port = if sctp_port == 0 {
            list[0].port()
        } else {
            sctp_port
        };
        let r = connect_inner(s, &list, port);
        let id = match &r {
            Ok(id) => Some(*id),
            Err(e) if e.errno == libc::EINPROGRESS => {
                let d = lock(&s.drv)?;
                d.stack.associations(s.id)?.last().map(|a| a.0)
            }
            Err(_) => None,
        };
        if let (false, Some(id)) = (assoc_id.is_null(), id) {
            // SAFETY: non-NULL; the caller promised it is writable.
            unsafe { assoc_id.write(id) };
        }
        r.map(|_| 0)
    })
}

/// `sctp_sendv`-style send of one message (`len` bytes, copied). `to` (may
/// be NULL) picks or sets up the association of a one-to-many socket
/// (implicit setup; SCTP port = UDP port). `info` NULL uses
/// SCTP_DEFAULT_SNDINFO. Returns `len` (all or nothing), or -1: EAGAIN when
/// the send buffer is full (blocking sockets wait), EMSGSIZE, EPIPE...
#[no_mangle]
pub extern "C" fn anysctp_sendmsg(
    s: *mut anysctp_sock,
    data: *const c_void,
    len: usize,
    to: *const anysctp_sockaddr,
    info: *const anysctp_sndinfo,
) -> isize {
    call(-1, || {
        let s = sock(s)?;
        if data.is_null() && len > 0 {
            return Err(einval("data is NULL but len is not 0"));
        }
        if len > isize::MAX as usize {
            return Err(einval("len too large"));
        }
        let bytes = if len == 0 {
            Bytes::new()
        } else {
            // SAFETY: non-NULL, bounded, and the caller promised `len`
            // readable bytes.
            Bytes::copy_from_slice(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
        };
        let to = if to.is_null() {
            None
        } else {
            Some(crate::addr::read_addr(to, "to").map_err(|f| einval(f.message))?)
        };
        let info = if info.is_null() {
            None
        } else {
            // SAFETY: non-NULL; the caller promised a valid anysctp_sndinfo.
            let i = unsafe { info.read_unaligned() };
            Some(SndInfo {
                stream: i.snd_sid,
                flags: i.snd_flags,
                ppid: i.snd_ppid,
                context: i.snd_context,
                assoc_id: assoc_opt(i.snd_assoc_id),
                pr: match i.pr_policy {
                    ANYSCTP_PR_SCTP_NONE => None,
                    ANYSCTP_PR_SCTP_TTL => Some(PrPolicy::Ttl(i.pr_value)),
                    ANYSCTP_PR_SCTP_RTX => Some(PrPolicy::Rtx(
                        u16::try_from(i.pr_value).map_err(|_| einval("pr_value above 65535"))?,
                    )),
                    _ => return Err(einval("pr_policy must be ANYSCTP_PR_SCTP_NONE/TTL/RTX")),
                },
            })
        };
        {
            let d = lock(&s.drv)?;
            let unbound = d.stack.getladdrs(s.id)?.is_empty();
            drop(d);
            if unbound {
                lock(&s.drv)?.ensure_bound(s.id)?;
            }
        }
        let n = blocking(s, |d, id| {
            let now = d.now();
            Ok(Some(d.stack.sendmsg(
                now,
                id,
                bytes.clone(),
                info.as_ref(),
                to,
            )?))
        })?;
        Ok(isize::try_from(n).unwrap_or(isize::MAX))
    })
}

fn fill_notification(
    d: &mut Driver,
    id: SocketId,
    n: Notification,
    from: Option<SocketAddr>,
) -> anysctp_notification {
    let mut out = anysctp_notification {
        sn_type: n.event_type().code(),
        assoc_id: 0,
        state: 0,
        outbound_streams: 0,
        inbound_streams: 0,
        address: from.map(Into::into).unwrap_or_default(),
        info: anysctp_sndinfo::default(),
        data: std::ptr::null(),
        data_len: 0,
        text: std::ptr::null(),
        text_len: 0,
        flags: 0,
        streams: std::ptr::null(),
        stream_count: 0,
        keynumber: 0,
        local_tsn: 0,
        remote_tsn: 0,
    };
    let mut text = String::new();
    let mut data = Bytes::new();
    let mut streams = Vec::new();
    match n {
        Notification::AssocChange {
            state,
            outbound_streams,
            inbound_streams,
            reason,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.state = u32::from(state.code());
            out.outbound_streams = outbound_streams;
            out.inbound_streams = inbound_streams;
            text = reason;
        }
        Notification::PeerAddrChange {
            address,
            state,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.address = address.into();
            out.state = state.code();
        }
        Notification::RemoteError { text: t, assoc_id } => {
            out.assoc_id = assoc_id.0;
            text = t;
        }
        Notification::SendFailed {
            sent,
            info,
            data: d,
        } => {
            out.assoc_id = info.assoc_id.map_or(0, |a| a.0);
            out.state = u32::from(sent);
            out.info = anysctp_sndinfo {
                snd_sid: info.stream,
                snd_flags: info.flags,
                snd_ppid: info.ppid,
                snd_context: info.context,
                snd_assoc_id: out.assoc_id,
                pr_policy: 0,
                pr_value: 0,
            };
            data = d;
        }
        Notification::Shutdown { assoc_id } | Notification::SenderDry { assoc_id } => {
            out.assoc_id = assoc_id.0;
        }
        Notification::StreamReset {
            flags,
            streams: list,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.flags = flags;
            streams = list;
        }
        Notification::StreamChange {
            flags,
            inbound_streams,
            outbound_streams,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.flags = flags;
            out.inbound_streams = inbound_streams;
            out.outbound_streams = outbound_streams;
        }
        Notification::AssocReset {
            flags,
            local_tsn,
            remote_tsn,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.flags = flags;
            out.local_tsn = local_tsn;
            out.remote_tsn = remote_tsn;
        }
        Notification::Authentication {
            key_id,
            indication,
            assoc_id,
        } => {
            out.assoc_id = assoc_id.0;
            out.keynumber = key_id;
            // RFC 6458 §6.1.8 auth_indication values (Linux enum order).
            out.state = match indication {
                sctp::AuthIndication::NewKey => ANYSCTP_SN_AUTH_NEW_KEY,
                sctp::AuthIndication::FreeKey => ANYSCTP_SN_AUTH_FREE_KEY,
                sctp::AuthIndication::NoAuth => ANYSCTP_SN_AUTH_NO_AUTH,
                _ => u32::MAX,
            };
        }
        _ => {}
    }
    let held = d.held.entry(id).or_default();
    held.data = data;
    held.text.clear();
    held.text
        .extend(text.bytes().map(|b| if b == 0 { b'?' } else { b }));
    held.text.push(0);
    held.streams = streams;
    out.data = held.data.as_ptr();
    out.data_len = held.data.len();
    out.text = held.text.as_ptr().cast();
    if !held.streams.is_empty() {
        out.streams = held.streams.as_ptr();
        out.stream_count = held.streams.len();
    }
    out.text_len = text.len();
    out
}

/// `sctp_recvv`-style receive: copies the next message into `buf` (`len`
/// bytes) and returns its length, or 0 at EOF (one-to-one, peer shut down).
/// A message longer than `len` comes in pieces: `*msg_flags` lacks
/// `ANYSCTP_MSG_EOR` until its last piece. `from`, `info`, `msg_flags`,
/// `notification` may be NULL. A notification (subscribe with SCTP_EVENT)
/// returns 0 with `ANYSCTP_MSG_NOTIFICATION` in `*msg_flags` and fills
/// `*notification`. -1 with EAGAIN when nothing is there (blocking sockets
/// wait), or the pending SO_ERROR.
#[no_mangle]
pub extern "C" fn anysctp_recvmsg(
    s: *mut anysctp_sock,
    buf: *mut c_void,
    len: usize,
    from: *mut anysctp_sockaddr,
    info: *mut anysctp_rcvinfo,
    msg_flags: *mut c_int,
    notification: *mut anysctp_notification,
) -> isize {
    call(-1, || {
        let s = sock(s)?;
        if buf.is_null() && len > 0 {
            return Err(einval("buf is NULL but len is not 0"));
        }
        let len = len.min(isize::MAX as usize);
        blocking(s, |d, id| {
            let (msg, offset) = match d.partial.remove(&id) {
                Some(p) => p,
                None => (d.stack.recvmsg(id)?, 0),
            };
            if !from.is_null() {
                let a = msg.from.map(anysctp_sockaddr::from).unwrap_or_default();
                // SAFETY: non-NULL; the caller promised it is writable.
                unsafe { from.write(a) };
            }
            if !info.is_null() {
                let i = anysctp_rcvinfo {
                    rcv_sid: msg.info.stream,
                    rcv_ssn: msg.info.ssn,
                    rcv_flags: msg.info.flags,
                    rcv_ppid: msg.info.ppid,
                    rcv_tsn: msg.info.tsn,
                    rcv_cumtsn: msg.info.cumtsn,
                    rcv_context: msg.info.context,
                    rcv_assoc_id: msg.info.assoc_id.0,
                };
                // SAFETY: non-NULL; the caller promised it is writable.
                unsafe { info.write(i) };
            }
            let mut flags = 0;
            if let Some(n) = msg.notification.clone() {
                let filled = fill_notification(d, id, n, msg.from);
                if !notification.is_null() {
                    // SAFETY: non-NULL; the caller promised it is writable.
                    unsafe { notification.write(filled) };
                }
                flags |= ANYSCTP_MSG_NOTIFICATION | ANYSCTP_MSG_EOR;
                if !msg_flags.is_null() {
                    // SAFETY: non-NULL; the caller promised it is writable.
                    unsafe { msg_flags.write(flags) };
                }
                return Ok(Some(0));
            }
            let rest = msg.data.get(offset..).unwrap_or_default();
            let n = rest.len().min(len);
            if n > 0 {
                // SAFETY: `buf` is non-NULL (len > 0) with `len >= n`
                // writable bytes, as the caller promised.
                unsafe { std::ptr::copy_nonoverlapping(rest.as_ptr(), buf.cast::<u8>(), n) };
            }
            if n < rest.len() {
                d.partial.insert(id, (msg, offset + n));
            } else {
                flags |= ANYSCTP_MSG_EOR;
            }
            if !msg_flags.is_null() {
                // SAFETY: non-NULL; the caller promised it is writable.
                unsafe { msg_flags.write(flags) };
            }
            Ok(Some(isize::try_from(n).unwrap_or(isize::MAX)))
        })
    })
}

/// `shutdown` (one-to-one): `ANYSCTP_SHUT_WR` starts the graceful SHUTDOWN.
/// 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_shutdown(s: *mut anysctp_sock, how: c_int) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let how = match how {
            ANYSCTP_SHUT_RD => Shutdown::Read,
            ANYSCTP_SHUT_WR => Shutdown::Write,
            ANYSCTP_SHUT_RDWR => Shutdown::Both,
            _ => return Err(einval("how must be ANYSCTP_SHUT_RD, _WR or _RDWR")),
        };
        let mut d = lock(&s.drv)?;
        let now = d.now();
        d.stack.shutdown(now, s.id, how)?;
        d.flush();
        Ok(0)
    })
}

/// `close`: ends the socket (associations are shut down gracefully, or
/// aborted with SO_LINGER 0) and frees the handle; NULL is ignored. The
/// stack lives while any of its sockets is open; the shutdown of a closed
/// socket's associations proceeds while another socket of the stack is
/// driven. When the last socket closes, everything stops at once: shut down
/// and wait for EOF first for a clean end. 0 or -1 (the handle is freed
/// either way).
#[no_mangle]
pub extern "C" fn anysctp_close(s: *mut anysctp_sock) -> c_int {
    if s.is_null() {
        return 0;
    }
    // SAFETY: non-NULL and, as the caller promised, from this library and
    // not closed before: ownership returns to a Box, dropped below.
    let handle = unsafe { Box::from_raw(s) };
    call(-1, move || {
        let mut d = lock(&handle.drv)?;
        let now = d.now();
        d.partial.remove(&handle.id);
        d.held.remove(&handle.id);
        let r = d.stack.close(now, handle.id);
        d.flush();
        drop(d);
        drop(handle);
        r?;
        Ok(0)
    })
}

/// `sctp_peeloff` (RFC 6458 §9.2): moves association `assoc_id` of a
/// one-to-many socket to a new one-to-one socket (free with
/// `anysctp_close`). NULL on failure.
#[no_mangle]
pub extern "C" fn anysctp_peeloff(s: *mut anysctp_sock, assoc_id: u64) -> *mut anysctp_sock {
    call(std::ptr::null_mut(), || {
        let s = sock(s)?;
        let child = lock(&s.drv)?.stack.peeloff(s.id, AssociationId(assoc_id))?;
        Ok(new_handle(s.drv.clone(), child))
    })
}

/// `sctp_getpaddrs`: the peer's addresses (primary first). `*count` gets how
/// many; up to `cap` are written to `out`. 0, or -1 (ENOBUFS when `cap` is
/// too small; `*count` is still set).
#[no_mangle]
pub extern "C" fn anysctp_getpaddrs(
    s: *mut anysctp_sock,
    assoc_id: u64,
    out: *mut anysctp_sockaddr,
    cap: usize,
    count: *mut usize,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        if count.is_null() || (out.is_null() && cap > 0) {
            return Err(einval(
                "count must not be NULL; out must not be NULL when cap > 0",
            ));
        }
        let addrs = lock(&s.drv)?.stack.getpaddrs(s.id, assoc_opt(assoc_id))?;
        // SAFETY: non-NULL; the caller promised it is writable.
        unsafe { count.write(addrs.len()) };
        for (i, a) in addrs.iter().take(cap).enumerate() {
            // SAFETY: i < cap elements, as the caller promised.
            unsafe { out.add(i).write((*a).into()) };
        }
        if addrs.len() > cap {
            return Err(Fail {
                errno: libc::ENOBUFS,
                message: format!("{} addresses, room for {cap}", addrs.len()),
            });
        }
        Ok(0)
    })
}

/// `sctp_getladdrs`: the socket's local addresses, like `anysctp_getpaddrs`.
#[no_mangle]
pub extern "C" fn anysctp_getladdrs(
    s: *mut anysctp_sock,
    out: *mut anysctp_sockaddr,
    cap: usize,
    count: *mut usize,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        if count.is_null() || (out.is_null() && cap > 0) {
            return Err(einval(
                "count must not be NULL; out must not be NULL when cap > 0",
            ));
        }
        let addrs = lock(&s.drv)?.stack.getladdrs(s.id)?;
        // SAFETY: non-NULL; the caller promised it is writable.
        unsafe { count.write(addrs.len()) };
        for (i, a) in addrs.iter().take(cap).enumerate() {
            // SAFETY: i < cap elements, as the caller promised.
            unsafe { out.add(i).write((*a).into()) };
        }
        if addrs.len() > cap {
            return Err(Fail {
                errno: libc::ENOBUFS,
                message: format!("{} addresses, room for {cap}", addrs.len()),
            });
        }
        Ok(0)
    })
}

fn read_opt<T: Copy>(val: *const c_void, len: usize) -> Result<T, Fail> {
    if val.is_null() || len < std::mem::size_of::<T>() {
        return Err(einval(format!(
            "option value must not be NULL and at least {} bytes",
            std::mem::size_of::<T>()
        )));
    }
    // SAFETY: non-NULL with at least size_of::<T>() readable bytes; T is
    // plain repr(C) data.
    Ok(unsafe { val.cast::<T>().read_unaligned() })
}

fn read_int(val: *const c_void, len: usize) -> Result<u32, Fail> {
    let v: c_int = read_opt(val, len)?;
    u32::try_from(v).map_err(|_| einval("the option value must not be negative"))
}

/// Reads an option struct `T` whose flexible array of `E` starts at byte
/// `offset` (RFC 6458 variable-length options), with the `n(&head)`
/// elements that follow; `len` must cover `offset` plus them (the padding
/// that `sizeof` adds after the fixed fields may hold elements).
fn read_flex<T: Copy + Default, E: Copy>(
    val: *const c_void,
    len: usize,
    offset: usize,
    n: impl FnOnce(&T) -> usize,
) -> Result<(T, Vec<E>), Fail> {
    debug_assert!(offset <= std::mem::size_of::<T>());
    if val.is_null() || len < offset {
        return Err(einval(format!(
            "option value must not be NULL and at least {offset} bytes"
        )));
    }
    let mut head = T::default();
    // SAFETY: `val` has at least `offset` readable bytes (checked above, as
    // the caller promised), `head` at least `offset` writable ones; T is
    // plain repr(C) data whose fixed fields end at `offset`.
    unsafe {
        std::ptr::copy_nonoverlapping(val.cast::<u8>(), (&mut head as *mut T).cast::<u8>(), offset)
    };
    let n = n(&head);
    n.checked_mul(std::mem::size_of::<E>())
        .and_then(|b| b.checked_add(offset))
        .filter(|&need| need <= len)
        .ok_or_else(|| {
            einval(format!(
                "option length {len} is too short for its {n} elements"
            ))
        })?;
    let base = val.cast::<u8>();
    let list = (0..n)
        .map(|i| {
            // SAFETY: offset + (i + 1) * size_of::<E>() <= len (checked
            // above) readable bytes, as the caller promised; E is plain data.
            unsafe {
                base.add(offset + i * std::mem::size_of::<E>())
                    .cast::<E>()
                    .read_unaligned()
            }
        })
        .collect();
    Ok((head, list))
}

/// Writes the fixed fields of `head` (its first `offset` bytes) and then
/// `list` (its flexible array) into the caller's `*len`-byte buffer and
/// sets `*len` to `offset` plus the list's bytes. When only the fixed
/// fields fit, they are still written (so the caller learns the count) and
/// the call fails with EINVAL.
fn write_flex<T, E: Copy>(
    val: *mut c_void,
    len: *mut usize,
    head: T,
    offset: usize,
    list: &[E],
) -> Result<(), Fail> {
    debug_assert!(offset <= std::mem::size_of::<T>());
    // SAFETY: `len` was checked non-NULL by the caller of this function.
    let cap = unsafe { len.read() };
    let need = offset + std::mem::size_of_val(list);
    if cap < offset {
        return Err(einval(format!("option buffer of {cap} bytes, need {need}")));
    }
    // SAFETY: `val` is non-NULL (checked by the caller) with `cap >=
    // offset` writable bytes, as the caller promised.
    unsafe {
        std::ptr::copy_nonoverlapping((&head as *const T).cast::<u8>(), val.cast::<u8>(), offset)
    };
    if cap < need {
        return Err(einval(format!(
            "option buffer of {cap} bytes, need {need} for {} elements",
            list.len()
        )));
    }
    let base = val.cast::<u8>();
    for (i, e) in list.iter().enumerate() {
        // SAFETY: offset + (i + 1) * size_of::<E>() <= need <= cap writable
        // bytes, as the caller promised.
        unsafe {
            base.add(offset + i * std::mem::size_of::<E>())
                .cast::<E>()
                .write_unaligned(*e)
        };
    }
    // SAFETY: non-NULL, checked by the caller.
    unsafe { len.write(need) };
    Ok(())
}

fn hmac_algorithm(id: u16) -> Result<sctp::HmacAlgorithm, Fail> {
    sctp::HmacAlgorithm::from_id(id).ok_or_else(|| {
        einval(format!(
            "SCTP_HMAC_IDENT: unknown HMAC identifier {id}; use ANYSCTP_AUTH_HMAC_ID_SHA1 (1) or _SHA256 (3)"
        ))
    })
}

fn event_type(code: u16) -> Result<EventType, Fail> {
    EventType::from_code(code).ok_or_else(|| einval(format!("unknown notification type {code:#x}")))
}

fn to_option(
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: usize,
) -> Result<SocketOption, Fail> {
    let unknown = || Fail {
        errno: libc::ENOPROTOOPT,
        message: format!("option {name} at level {level} is not supported"),
    };
    Ok(match (level, name) {
        (ANYSCTP_SOL_SOCKET, ANYSCTP_SO_ERROR) => SocketOption::Error(None),
        (ANYSCTP_SOL_SOCKET, ANYSCTP_SO_RCVBUF) => SocketOption::RcvBuf(read_int(val, len)?),
        (ANYSCTP_SOL_SOCKET, ANYSCTP_SO_SNDBUF) => SocketOption::SndBuf(read_int(val, len)?),
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG) => {
            let v: anysctp_initmsg = read_opt(val, len)?;
            SocketOption::InitMsg(InitMsg {
                num_ostreams: v.sinit_num_ostreams,
                max_instreams: v.sinit_max_instreams,
                max_attempts: v.sinit_max_attempts,
                max_init_timeo: v.sinit_max_init_timeo,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_RTOINFO) => {
            let v: anysctp_rtoinfo = read_opt(val, len)?;
            SocketOption::RtoInfo(RtoInfo {
                assoc_id: assoc_opt(v.srto_assoc_id),
                initial: v.srto_initial,
                max: v.srto_max,
                min: v.srto_min,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_ASSOCINFO) => {
            let v: anysctp_assocparams = read_opt(val, len)?;
            SocketOption::AssocInfo(AssocInfo {
                assoc_id: assoc_opt(v.sasoc_assoc_id),
                asocmaxrxt: v.sasoc_asocmaxrxt,
                number_peer_destinations: v.sasoc_number_peer_destinations,
                peer_rwnd: v.sasoc_peer_rwnd,
                local_rwnd: v.sasoc_local_rwnd,
                cookie_life: v.sasoc_cookie_life,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_PARAMS) => {
            let v: anysctp_paddrparams = read_opt(val, len)?;
            SocketOption::PeerAddrParams(PeerAddrParams {
                assoc_id: assoc_opt(v.spp_assoc_id),
                address: any_addr(&v.spp_address)?,
                hbinterval: v.spp_hbinterval,
                pathmaxrxt: v.spp_pathmaxrxt,
                pathmtu: v.spp_pathmtu,
                flags: v.spp_flags,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_THLDS) => {
            let v: anysctp_paddrthlds = read_opt(val, len)?;
            SocketOption::PeerAddrThresholds(PeerAddrThresholds {
                assoc_id: assoc_opt(v.spt_assoc_id),
                address: any_addr(&v.spt_address)?,
                pathmaxrxt: v.spt_pathmaxrxt,
                pathpfthld: v.spt_pathpfthld,
                pathcpthld: v.spt_pathcpthld,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY) => SocketOption::NoDelay(read_int(val, len)? != 0),
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_MAXSEG) => {
            if len >= std::mem::size_of::<anysctp_assoc_value>() {
                SocketOption::MaxSeg(read_opt::<anysctp_assoc_value>(val, len)?.assoc_value)
            } else {
                SocketOption::MaxSeg(read_int(val, len)?)
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_DEFAULT_SNDINFO) => {
            let v: anysctp_sndinfo = read_opt(val, len)?;
            SocketOption::DefaultSndInfo(SndInfo {
                stream: v.snd_sid,
                flags: v.snd_flags,
                ppid: v.snd_ppid,
                context: v.snd_context,
                assoc_id: assoc_opt(v.snd_assoc_id),
                pr: None,
            })
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_DISABLE_FRAGMENTS) => {
            SocketOption::DisableFragments(read_int(val, len)? != 0)
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTOCLOSE) => SocketOption::AutoClose(read_int(val, len)?),
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_ADAPTATION_LAYER) => SocketOption::AdaptationLayer(
            read_opt::<anysctp_setadaptation>(val, len)?.ssb_adaptation_ind,
        ),
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_EVENT) => {
            let v: anysctp_event_subscribe = read_opt(val, len)?;
            SocketOption::Event {
                assoc_id: assoc_opt(v.se_assoc_id),
                event: event_type(v.se_type)?,
                on: v.se_on != 0,
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_ENABLE_STREAM_RESET) => {
            let v: anysctp_assoc_value = read_opt(val, len)?;
            SocketOption::EnableStreamReset {
                assoc_id: assoc_opt(v.assoc_id),
                value: v.assoc_value,
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTO_ASCONF) => {
            SocketOption::AutoAsconf(read_int(val, len)? != 0)
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_SET_PEER_PRIMARY_ADDR) => {
            let v: anysctp_setpeerprim = read_opt(val, len)?;
            SocketOption::SetPeerPrimaryAddr {
                assoc_id: assoc_opt(v.sspp_assoc_id),
                address: v
                    .sspp_addr
                    .to_socket_addr()
                    .map_err(|f| einval(f.message))?,
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTH_CHUNK) => {
            SocketOption::AuthChunk(read_opt::<anysctp_authchunk>(val, len)?.sauth_chunk)
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_HMAC_IDENT) => {
            let (_, ids) = read_flex::<anysctp_hmacalgo, u16>(
                val,
                len,
                std::mem::offset_of!(anysctp_hmacalgo, shmac_idents),
                |h| usize::try_from(h.shmac_num_idents).unwrap_or(usize::MAX),
            )?;
            let (first, second) = match ids[..] {
                [a] => (a, None),
                [a, b] => (a, Some(b)),
                _ => {
                    return Err(einval(
                        "SCTP_HMAC_IDENT: give 1 or 2 identifiers (SHA-256 and/or SHA-1)",
                    ))
                }
            };
            SocketOption::HmacIdent(sctp::socket::HmacIdent {
                first: hmac_algorithm(first)?,
                second: second.map(hmac_algorithm).transpose()?,
                enabled: true,
            })
        }
        (
            ANYSCTP_IPPROTO_SCTP,
            ANYSCTP_AUTH_ACTIVE_KEY | ANYSCTP_AUTH_DEACTIVATE_KEY | ANYSCTP_AUTH_DELETE_KEY,
        ) => {
            let v: anysctp_authkeyid = read_opt(val, len)?;
            let k = AuthKeyId {
                assoc_id: assoc_opt(v.scact_assoc_id),
                key_id: v.scact_keynumber,
            };
            match name {
                ANYSCTP_AUTH_ACTIVE_KEY => SocketOption::AuthActiveKey(k),
                ANYSCTP_AUTH_DEACTIVATE_KEY => SocketOption::AuthDeactivateKey(k),
                _ => SocketOption::AuthDeleteKey(k),
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_AUTH_CHUNKS | ANYSCTP_LOCAL_AUTH_CHUNKS) => {
            // The key only: the caller may size the buffer without padding.
            let gauth_assoc_id: u64 = read_opt(val, len)?;
            let q = AuthChunks {
                assoc_id: assoc_opt(gauth_assoc_id),
                ..AuthChunks::default()
            };
            if name == ANYSCTP_PEER_AUTH_CHUNKS {
                SocketOption::PeerAuthChunks(q)
            } else {
                SocketOption::LocalAuthChunks(q)
            }
        }
        (ANYSCTP_IPPROTO_SCTP, ANYSCTP_STATUS) => {
            if len < std::mem::size_of::<anysctp_status>() {
                return Err(einval("option buffer smaller than anysctp_status"));
            }
            // Only the key is read: the rest of the caller's struct may hold
            // anything, including values no Rust enum may take.
            let key: u64 = read_opt(val, len)?;
            SocketOption::Status(sctp::socket::Status {
                assoc_id: assoc_opt(key),
                state: sctp::AssociationState::Closed,
                rwnd: 0,
                unacked_bytes: 0,
                pending_bytes: 0,
                instrms: 0,
                outstrms: 0,
                fragmentation_point: 0,
                primary: None,
            })
        }
        _ => return Err(unknown()),
    })
}

fn write_opt<T>(val: *mut c_void, len: *mut usize, v: T) -> Result<(), Fail> {
    // SAFETY: `len` was checked non-NULL by the caller of this function.
    let cap = unsafe { len.read() };
    if cap < std::mem::size_of::<T>() {
        return Err(einval(format!(
            "option buffer of {cap} bytes, need {}",
            std::mem::size_of::<T>()
        )));
    }
    // SAFETY: `val` is non-NULL (checked by the caller) with `cap` writable
    // bytes, as the caller promised; `len` is non-NULL.
    unsafe {
        val.cast::<T>().write_unaligned(v);
        len.write(std::mem::size_of::<T>());
    }
    Ok(())
}

/// `setsockopt` for the options above (`level` `ANYSCTP_IPPROTO_SCTP` or
/// `ANYSCTP_SOL_SOCKET`; `val` points to the option's struct or int of
/// `len` bytes; for `ANYSCTP_RESET_STREAMS`, `ANYSCTP_AUTH_KEY` and
/// `ANYSCTP_HMAC_IDENT` the struct is followed by its array, and `len`
/// covers at least the array's offset plus its elements). Options that
/// configure associations apply to future ones (EOPNOTSUPP on a live
/// association, except `ANYSCTP_ENABLE_STREAM_RESET` and heartbeat-only
/// `ANYSCTP_PEER_ADDR_PARAMS`). 0 or -1 (ENOPROTOOPT for an unknown
/// option).
#[no_mangle]
pub extern "C" fn anysctp_setsockopt(
    s: *mut anysctp_sock,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: usize,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        let mut d = lock(&s.drv)?;
        let now = d.now();
        match (level, name) {
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_RESET_STREAMS) => {
                let (v, list) = read_flex::<anysctp_reset_streams, u16>(
                    val,
                    len,
                    std::mem::offset_of!(anysctp_reset_streams, srs_stream_list),
                    |v| usize::from(v.srs_number_streams),
                )?;
                let assoc = assoc_opt(v.srs_assoc_id);
                d.stack
                    .reset_streams(now, s.id, assoc, v.srs_flags, &list)?
            }
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_RESET_ASSOC) => {
                let assoc: u64 = read_opt(val, len)?;
                d.stack.reset_assoc(now, s.id, assoc_opt(assoc))?
            }
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_ADD_STREAMS) => {
                let v: anysctp_add_streams = read_opt(val, len)?;
                let assoc = assoc_opt(v.sas_assoc_id);
                d.stack
                    .add_streams(now, s.id, assoc, v.sas_instrms, v.sas_outstrms)?
            }
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTH_KEY) => {
                let (v, key) = read_flex::<anysctp_authkey, u8>(
                    val,
                    len,
                    std::mem::offset_of!(anysctp_authkey, sca_key),
                    |v| usize::from(v.sca_keylength),
                )?;
                let assoc = assoc_opt(v.sca_assoc_id);
                d.stack.set_auth_key(s.id, assoc, v.sca_keynumber, &key)?
            }
            _ => {
                let opt = to_option(level, name, val, len)?;
                d.stack.setsockopt(now, s.id, opt)?
            }
        }
        d.flush();
        Ok(0)
    })
}

/// `getsockopt`: `val` (`*len` bytes) holds the option's struct with its
/// keys set (`assoc_id`, `se_type`...); it is filled in and `*len` set to
/// its size (for `ANYSCTP_HMAC_IDENT` and `ANYSCTP_PEER/LOCAL_AUTH_CHUNKS`:
/// the array's offset plus its elements; when only the fixed fields fit,
/// they are written, with the count, and the call fails with EINVAL).
/// 0 or -1.
#[no_mangle]
pub extern "C" fn anysctp_getsockopt(
    s: *mut anysctp_sock,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut usize,
) -> c_int {
    call(-1, || {
        let s = sock(s)?;
        if val.is_null() || len.is_null() {
            return Err(einval("val and len must not be NULL"));
        }
        // SAFETY: non-NULL; the caller promised a readable size_t.
        let cap = unsafe { len.read() };
        // Keys are read from the caller's value; int options need none.
        let query = match (level, name) {
            (ANYSCTP_SOL_SOCKET, ANYSCTP_SO_RCVBUF) => SocketOption::RcvBuf(0),
            (ANYSCTP_SOL_SOCKET, ANYSCTP_SO_SNDBUF) => SocketOption::SndBuf(0),
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY) => SocketOption::NoDelay(false),
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_DISABLE_FRAGMENTS) => {
                SocketOption::DisableFragments(false)
            }
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTOCLOSE) => SocketOption::AutoClose(0),
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_MAXSEG) => SocketOption::MaxSeg(0),
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_AUTO_ASCONF) => SocketOption::AutoAsconf(false),
            (ANYSCTP_IPPROTO_SCTP, ANYSCTP_HMAC_IDENT) => {
                SocketOption::HmacIdent(sctp::socket::HmacIdent {
                    first: sctp::HmacAlgorithm::Sha1,
                    second: None,
                    enabled: false,
                })
            }
            _ => to_option(level, name, val, cap)?,
        };
        let got = lock(&s.drv)?.stack.getsockopt(s.id, query)?;
        let int = |v: u32| c_int::try_from(v).unwrap_or(c_int::MAX);
        match got {
            SocketOption::Error(e) => write_opt(val, len, e.map_or(0, |e| e.code()))?,
            SocketOption::RcvBuf(v) | SocketOption::SndBuf(v) | SocketOption::AutoClose(v) => {
                write_opt(val, len, int(v))?
            }
            SocketOption::NoDelay(b)
            | SocketOption::DisableFragments(b)
            | SocketOption::AutoAsconf(b) => write_opt(val, len, c_int::from(b))?,
            SocketOption::EnableStreamReset { assoc_id, value } => write_opt(
                val,
                len,
                anysctp_assoc_value {
                    assoc_id: assoc_id.map_or(0, |a| a.0),
                    assoc_value: value,
                },
            )?,
            SocketOption::HmacIdent(h) => {
                let ids: Vec<u16> = std::iter::once(h.first)
                    .chain(h.second)
                    .map(sctp::HmacAlgorithm::id)
                    .collect();
                write_flex(
                    val,
                    len,
                    anysctp_hmacalgo {
                        shmac_num_idents: ids.len() as u32,
                        shmac_idents: [],
                    },
                    std::mem::offset_of!(anysctp_hmacalgo, shmac_idents),
                    &ids,
                )?
            }
            SocketOption::AuthActiveKey(k) => write_opt(
                val,
                len,
                anysctp_authkeyid {
                    scact_assoc_id: k.assoc_id.map_or(0, |a| a.0),
                    scact_keynumber: k.key_id,
                },
            )?,
            SocketOption::PeerAuthChunks(a) | SocketOption::LocalAuthChunks(a) => {
                let list: Vec<u8> = a.chunks.iter().collect();
                write_flex(
                    val,
                    len,
                    anysctp_authchunks {
                        gauth_assoc_id: a.assoc_id.map_or(0, |a| a.0),
                        gauth_number_of_chunks: list.len() as u32,
                        gauth_chunks: [],
                    },
                    std::mem::offset_of!(anysctp_authchunks, gauth_chunks),
                    &list,
                )?
            }
            SocketOption::MaxSeg(v) => {
                if cap >= std::mem::size_of::<anysctp_assoc_value>() {
                    write_opt(
                        val,
                        len,
                        anysctp_assoc_value {
                            assoc_id: 0,
                            assoc_value: v,
                        },
                    )?
                } else {
                    write_opt(val, len, int(v))?
                }
            }
            SocketOption::InitMsg(v) => write_opt(
                val,
                len,
                anysctp_initmsg {
                    sinit_num_ostreams: v.num_ostreams,
                    sinit_max_instreams: v.max_instreams,
                    sinit_max_attempts: v.max_attempts,
                    sinit_max_init_timeo: v.max_init_timeo,
                },
            )?,
            SocketOption::RtoInfo(v) => write_opt(
                val,
                len,
                anysctp_rtoinfo {
                    srto_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                    srto_initial: v.initial,
                    srto_max: v.max,
                    srto_min: v.min,
                },
            )?,
            SocketOption::AssocInfo(v) => write_opt(
                val,
                len,
                anysctp_assocparams {
                    sasoc_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                    sasoc_asocmaxrxt: v.asocmaxrxt,
                    sasoc_number_peer_destinations: v.number_peer_destinations,
                    sasoc_peer_rwnd: v.peer_rwnd,
                    sasoc_local_rwnd: v.local_rwnd,
                    sasoc_cookie_life: v.cookie_life,
                },
            )?,
            SocketOption::PeerAddrParams(v) => write_opt(
                val,
                len,
                anysctp_paddrparams {
                    spp_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                    spp_address: v.address.map(Into::into).unwrap_or_default(),
                    spp_hbinterval: v.hbinterval,
                    spp_pathmaxrxt: v.pathmaxrxt,
                    spp_pathmtu: v.pathmtu,
                    spp_flags: v.flags,
                },
            )?,
            SocketOption::PeerAddrThresholds(v) => write_opt(
                val,
                len,
                anysctp_paddrthlds {
                    spt_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                    spt_address: v.address.map(Into::into).unwrap_or_default(),
                    spt_pathmaxrxt: v.pathmaxrxt,
                    spt_pathpfthld: v.pathpfthld,
                    spt_pathcpthld: v.pathcpthld,
                },
            )?,
            SocketOption::DefaultSndInfo(v) => write_opt(
                val,
                len,
                anysctp_sndinfo {
                    snd_sid: v.stream,
                    snd_flags: v.flags,
                    snd_ppid: v.ppid,
                    snd_context: v.context,
                    snd_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                    pr_policy: 0,
                    pr_value: 0,
                },
            )?,
            SocketOption::AdaptationLayer(v) => write_opt(
                val,
                len,
                anysctp_setadaptation {
                    ssb_adaptation_ind: v,
                },
            )?,
            SocketOption::Event {
                assoc_id,
                event,
                on,
            } => write_opt(
                val,
                len,
                anysctp_event_subscribe {
                    se_assoc_id: assoc_id.map_or(0, |a| a.0),
                    se_type: event.code(),
                    se_on: u8::from(on),
                },
            )?,
            SocketOption::Status(v) => {
                let p = v.primary;
                write_opt(
                    val,
                    len,
                    anysctp_status {
                        sstat_assoc_id: v.assoc_id.map_or(0, |a| a.0),
                        sstat_state: v.state.into(),
                        sstat_rwnd: v.rwnd,
                        sstat_unackdata: v.unacked_bytes,
                        sstat_penddata: v.pending_bytes,
                        sstat_instrms: v.instrms,
                        sstat_outstrms: v.outstrms,
                        sstat_fragmentation_point: v.fragmentation_point,
                        sstat_primary_address: p.map(|p| p.address.into()).unwrap_or_default(),
                        sstat_primary_srtt: p.map_or(0, |p| p.srtt),
                        sstat_primary_rto: p.map_or(0, |p| p.rto),
                        sstat_primary_cwnd: p.map_or(0, |p| p.cwnd),
                        sstat_primary_mtu: p.map_or(0, |p| p.mtu),
                    },
                )?
            }
            _ => {
                return Err(Fail {
                    errno: libc::ENOPROTOOPT,
                    message: "option not supported by getsockopt".into(),
                })
            }
        }
        Ok(0)
    })
}
