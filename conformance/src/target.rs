//! What the runner needs from the system under test.
//!
//! The runner speaks to the stack only through [`ScriptTarget`]: typed
//! socket calls, packets in, packets out, and virtual time. An adapter over
//! `anysctp::socket` implements it once that facade is on main.
//!
//! Addressing: SCTP runs directly over IP in the scripts (no UDP). A
//! transport address is `IP:SCTP-port`: the stack's local address is
//! [`LOCAL_ADDR`] (packetdrill's default 192.168.0.1, port 8080) and the
//! scripted peer is [`REMOTE_ADDR`] (192.0.2.1, port 34567); the common
//! header's ports are those same ports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anysctp::Instant;

use crate::ast::Expr;

/// The stack's address and SCTP port in every script.
pub const LOCAL_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)), 8080);
/// The scripted peer's address and SCTP port.
pub const REMOTE_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 34567);

/// A socket handle of the target (the script's fds are mapped onto these).
pub type Fd = i64;

/// A system call, typed. Options left 0 in the script are `None`
/// ("do not change", RFC 6458 §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysCall {
    /// `socket(..., SOCK_STREAM | SOCK_SEQPACKET, IPPROTO_SCTP)`; returns the fd.
    Socket {
        /// One-to-one (`SOCK_STREAM`) rather than one-to-many.
        one_to_one: bool,
    },
    /// `bind(fd, LOCAL_ADDR)`.
    Bind {
        /// Socket.
        fd: Fd,
        /// Address to bind.
        addr: SocketAddr,
    },
    /// `listen(fd, backlog)`.
    Listen {
        /// Socket.
        fd: Fd,
        /// Backlog.
        backlog: u32,
    },
    /// `accept(fd)`; returns the new fd.
    Accept {
        /// Listening socket.
        fd: Fd,
    },
    /// `connect(fd, REMOTE_ADDR)` or `sctp_connectx`.
    Connect {
        /// Socket.
        fd: Fd,
        /// Peer addresses.
        addrs: Vec<SocketAddr>,
    },
    /// `read(fd, buf, len)`; returns the byte count.
    Read {
        /// Socket.
        fd: Fd,
        /// Buffer size.
        len: usize,
    },
    /// `write(fd, buf, len)` of `len` bytes; returns the byte count.
    Write {
        /// Socket.
        fd: Fd,
        /// Bytes to write.
        len: usize,
    },
    /// `sctp_sendmsg(fd, buf, len, ..., ..., ppid, flags, stream_no,
    /// timetolive, context)` of `len` bytes; returns the byte count.
    SendMsg {
        /// Socket.
        fd: Fd,
        /// Bytes to send.
        len: usize,
        /// Payload protocol identifier.
        ppid: u32,
        /// SCTP_UNORDERED given.
        unordered: bool,
        /// Stream.
        stream: u16,
        /// Time to live in ms (0: fully reliable), SCTP_PR_SCTP_TTL.
        ttl_ms: u32,
    },
    /// `close(fd)`.
    Close {
        /// Socket.
        fd: Fd,
    },
    /// `shutdown(fd, how)`.
    Shutdown {
        /// Socket.
        fd: Fd,
        /// Stop reading.
        read: bool,
        /// Stop writing.
        write: bool,
    },
    /// `fcntl(fd, F_GETFL)` reduced to O_NONBLOCK: returns 1 if non-blocking.
    GetNonblocking {
        /// Socket.
        fd: Fd,
    },
    /// `fcntl(fd, F_SETFL, flags)` reduced to O_NONBLOCK.
    SetNonblocking {
        /// Socket.
        fd: Fd,
        /// O_NONBLOCK set.
        on: bool,
    },
    /// `setsockopt(SCTP_RTOINFO)`, milliseconds.
    SetRtoInfo {
        /// Socket.
        fd: Fd,
        /// srto_initial.
        initial: Option<u32>,
        /// srto_max.
        max: Option<u32>,
        /// srto_min.
        min: Option<u32>,
    },
    /// `setsockopt(SCTP_INITMSG)`.
    SetInitMsg {
        /// Socket.
        fd: Fd,
        /// sinit_num_ostreams.
        ostreams: Option<u16>,
        /// sinit_max_instreams.
        instreams: Option<u16>,
        /// sinit_max_attempts.
        max_attempts: Option<u16>,
        /// sinit_max_init_timeo (ms).
        max_init_timeo: Option<u16>,
    },
    /// `setsockopt(SCTP_PEER_ADDR_PARAMS)` for all peer addresses.
    SetPeerAddrParams {
        /// Socket.
        fd: Fd,
        /// spp_hbinterval (ms).
        hb_interval: Option<u32>,
        /// spp_pathmaxrxt.
        path_max_rxt: Option<u16>,
        /// SPP_HB_DISABLE given.
        hb_disable: bool,
        /// SPP_HB_ENABLE given.
        hb_enable: bool,
    },
    /// `setsockopt(SCTP_INTERLEAVING_SUPPORTED)` (RFC 8260 §4.3.1).
    SetInterleaving {
        /// Socket.
        fd: Fd,
        /// `assoc_value` non-zero.
        on: bool,
    },
    /// `setsockopt(SCTP_ENABLE_STREAM_RESET)` (RFC 6525 §6.3.1).
    SetEnableStreamReset {
        /// Socket.
        fd: Fd,
        /// `assoc_value`: SCTP_ENABLE_RESET_STREAM_REQ (0x1),
        /// SCTP_ENABLE_RESET_ASSOC_REQ (0x2), SCTP_ENABLE_CHANGE_ASSOC_REQ
        /// (0x4).
        value: u32,
    },
    /// `setsockopt(SCTP_RESET_STREAMS)` (RFC 6525 §6.3.2).
    ResetStreams {
        /// Socket.
        fd: Fd,
        /// `srs_flags`: SCTP_STREAM_RESET_INCOMING (0x1),
        /// SCTP_STREAM_RESET_OUTGOING (0x2).
        flags: u16,
        /// `srs_stream_list`.
        streams: Vec<u16>,
    },
    /// `setsockopt(SCTP_ADD_STREAMS)` (RFC 6525 §6.3.4).
    AddStreams {
        /// Socket.
        fd: Fd,
        /// `sas_instrms`.
        instrms: u16,
        /// `sas_outstrms`.
        outstrms: u16,
    },
    /// `setsockopt(SCTP_RESET_ASSOC)` (RFC 6525 §6.3.3).
    ResetAssoc {
        /// Socket.
        fd: Fd,
    },
    /// `getsockopt(SOL_SOCKET, SO_ERROR)`; output: `Expr::Int(0)` or the
    /// errno name as `Expr::Ident`.
    GetSoError {
        /// Socket.
        fd: Fd,
    },
    /// `getsockopt(SCTP_STATUS)`; output: an `Expr::Struct` with the
    /// `sstat_*` fields the target knows (`sstat_state` as an identifier
    /// such as `SCTP_ESTABLISHED`).
    GetStatus {
        /// Socket.
        fd: Fd,
    },
}

/// Result of a system call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// Success: the return value and what the call wrote through its
    /// output argument, if anything.
    Done {
        /// Return value.
        ret: i64,
        /// Output value (getsockopt), compared with the script's argument.
        out: Option<Expr>,
    },
    /// Failure with an errno name (`EAGAIN`, `ECONNRESET`, ...).
    Failed(String),
    /// A call on a blocking socket that cannot complete yet; the runner
    /// polls [`ScriptTarget::poll_pending`] as virtual time passes.
    Pending,
}

/// A packet the stack sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Source transport address.
    pub from: SocketAddr,
    /// Destination transport address.
    pub to: SocketAddr,
    /// The SCTP packet (common header included).
    pub bytes: Vec<u8>,
}

/// The system under test, driven in virtual time.
pub trait ScriptTarget {
    /// Makes a system call at `now`.
    fn call(&mut self, now: Instant, call: &SysCall) -> CallResult;
    /// Completes the pending blocking call, if it can now.
    fn poll_pending(&mut self, now: Instant) -> Option<CallResult>;
    /// Delivers an SCTP packet (common header included) from `from` to `to`.
    fn inject(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, packet: &[u8]);
    /// The next packet the stack sends.
    fn poll_transmit(&mut self, now: Instant) -> Option<Sent>;
    /// The next deadline of the stack's timers.
    fn poll_timeout(&mut self) -> Option<Instant>;
    /// Runs the timers due at `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// A backtick command of the script (`sysctl ...`). Targets apply the
    /// knobs they model and accept the rest.
    fn command(&mut self, _now: Instant, _cmd: &str) -> Result<(), String> {
        Ok(())
    }
}
