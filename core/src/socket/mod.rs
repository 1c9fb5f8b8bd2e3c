//! An RFC 6458-style sockets facade over [`crate::Endpoint`], still sans-IO.
//!
//! [`SocketStack`] owns sockets (small integer handles, [`SocketId`]) and
//! the endpoints behind them, one [`Endpoint`] per bound local SCTP port.
//! The host drives it like an endpoint (`handle_datagram`, `poll_transmit`,
//! `poll_timeout`, `handle_timeout`) and makes socket calls with RFC 6458
//! semantics and errno-style results ([`SocketError`] / [`Errno`]).
//!
//! Nothing blocks. Calls that would block return `EAGAIN` (or `EINPROGRESS`
//! for `connect`); [`SocketStack::readiness`] tells a poll/epoll-style host
//! when to retry. A host emulating a blocking socket (see
//! [`SocketStack::is_nonblocking`]) waits for readiness and calls again.
//!
//! # Ports and addresses
//!
//! Addresses are transport addresses: with SCTP over UDP (RFC 6951) the IP
//! address and UDP port. The SCTP port of a socket (the common header's
//! port, [`crate::EndpointConfig::port`]) is the port given to `bind`: one
//! number serves as UDP port and SCTP port, so a socket bound to
//! `127.0.0.1:5000` receives UDP datagrams on port 5000 carrying SCTP
//! packets for port 5000. Likewise `sendmsg` to an unknown peer (implicit
//! setup, RFC 6458 §3.1.5 / §3.2) uses the destination's port as its SCTP
//! port; `connect`/`connectx` take the peer's SCTP port explicitly. Port 0
//! or an unbound socket gets an ephemeral port from 49152..=65535.
//!
//! Incoming datagrams are routed to endpoints by the SCTP destination port
//! of the common header; packets for ports nobody bound are dropped.

mod errno;
mod notification;
mod options;

pub use errno::{Errno, SocketError};
pub use notification::{
    stream_flags, AssocChangeState, EventMask, EventType, Notification, PeerAddrChangeState,
};
pub use options::{
    enable_reset, spp_flags, AssocInfo, AuthChunks, AuthKeyId, HmacIdent, InitMsg, PeerAddrInfo,
    PeerAddrParams, PeerAddrState, PeerAddrThresholds, RtoInfo, SocketOption, Status,
};

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use core::time::Duration;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::config::{AssociationConfig, EndpointConfig};
use crate::endpoint::Endpoint;
use crate::event::{
    AssociationId, CloseReason, Event, SendFailure, SendOptions, StreamDirection, Transmit,
};
use crate::stats::{AssociationStats, PathStats};
use crate::time::Instant;
use crate::types::{Ppid, StreamId};

use options::{to_ms, DATA_OVERHEAD};

type SResult<T> = Result<T, SocketError>;

const fn err(errno: Errno, hint: &'static str) -> SocketError {
    SocketError::new(errno, hint)
}

/// A socket handle, a small integer like a file descriptor. Handles of
/// closed sockets are reused (lowest free first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u32);

/// The socket style (RFC 6458 §3 and §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketKind {
    /// SOCK_STREAM: one association per socket; `listen` + `accept`.
    OneToOne,
    /// SOCK_SEQPACKET: many associations per socket, set up implicitly by
    /// `sendmsg` or accepted automatically after `listen`.
    OneToMany,
}

/// `how` of [`SocketStack::shutdown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// SHUT_RD: discard anything that still arrives.
    Read,
    /// SHUT_WR: graceful SHUTDOWN (RFC 9260 §9.2) once queued data is sent.
    Write,
    /// SHUT_RDWR: both.
    Both,
}

/// `bindx` operation (RFC 6458 §9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindxOp {
    /// SCTP_BINDX_ADD_ADDR.
    Add,
    /// SCTP_BINDX_REM_ADDR.
    Remove,
}

/// Flags of [`SndInfo`] and [`RcvInfo`] (Linux values).
pub mod snd_flags {
    /// SCTP_UNORDERED: unordered delivery.
    pub const UNORDERED: u16 = 1 << 0;
    /// SCTP_ABORT: abort the association; the data is the reason.
    pub const ABORT: u16 = 1 << 2;
    /// SCTP_SENDALL: one-to-many, send to every association.
    pub const SENDALL: u16 = 1 << 6;
    /// SCTP_EOF: graceful shutdown after this message (data may be empty).
    pub const EOF: u16 = 0x200;
}

/// Partial-reliability policy of a message (RFC 6458 §5.3.7, `sctp_prinfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrPolicy {
    /// SCTP_PR_SCTP_TTL: give up after this many milliseconds.
    Ttl(u32),
    /// SCTP_PR_SCTP_RTX: give up after this many retransmissions.
    Rtx(u16),
}

/// `sctp_sndinfo` (RFC 6458 §5.3.4) plus the optional `sctp_prinfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SndInfo {
    /// Stream to send on.
    pub stream: u16,
    /// [`snd_flags`].
    pub flags: u16,
    /// Payload protocol identifier (host byte order).
    pub ppid: u32,
    /// Opaque value for the application (RFC 6458 echoes it in send
    /// failures; not echoed yet, see [`Notification::SendFailed`]).
    pub context: u32,
    /// One-to-many: the association to send on (`None`: pick by the
    /// destination address). Ignored on one-to-one sockets.
    pub assoc_id: Option<AssociationId>,
    /// Partial reliability.
    pub pr: Option<PrPolicy>,
}

/// `sctp_rcvinfo` (RFC 6458 §5.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RcvInfo {
    /// Stream it arrived on.
    pub stream: u16,
    /// SSN or MID. Always 0: the core does not report it yet.
    pub ssn: u32,
    /// `snd_flags::UNORDERED` if sent unordered.
    pub flags: u16,
    /// Payload protocol identifier (host byte order).
    pub ppid: u32,
    /// TSN of the (first fragment of the) message. Always 0: not reported
    /// by the core yet.
    pub tsn: u32,
    /// Cumulative TSN when delivered. Always 0: not reported yet.
    pub cumtsn: u32,
    /// The default context of the socket (SCTP_DEFAULT_SNDINFO's context).
    pub context: u32,
    /// The association.
    pub assoc_id: AssociationId,
}

impl RcvInfo {
    fn for_assoc(assoc_id: AssociationId, context: u32) -> Self {
        Self {
            stream: 0,
            ssn: 0,
            flags: 0,
            ppid: 0,
            tsn: 0,
            cumtsn: 0,
            context,
            assoc_id,
        }
    }
}

/// What [`SocketStack::recvmsg`] returns: a whole message or a
/// notification, in the order they happened (RFC 6458 §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecvMsg {
    /// The message (empty for a notification).
    pub data: Bytes,
    /// Where and how it arrived.
    pub info: RcvInfo,
    /// The peer's primary transport address.
    pub from: Option<SocketAddr>,
    /// `Some` when this is a notification (MSG_NOTIFICATION).
    pub notification: Option<Notification>,
    /// End of record: the message is complete (always `true` from
    /// `recvmsg`, which returns whole messages).
    pub eor: bool,
}

/// Readiness for poll/epoll-style hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Readiness {
    /// `recvmsg`/`read`/`accept` would not return EAGAIN (data,
    /// notification, connection to accept, EOF or pending error).
    pub readable: bool,
    /// `sendmsg`/`write` would not return EAGAIN (connected with room in
    /// the send buffer), or a non-blocking connect finished.
    pub writable: bool,
    /// SO_ERROR holds an error.
    pub error: bool,
    /// The association is gone (closed, aborted or both directions shut).
    pub hup: bool,
}

/// Settings of a [`SocketStack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackConfig {
    /// Seed of every random choice (each endpoint's seed is drawn from it).
    pub seed: [u8; 32],
    /// Most associations per endpoint (per bound port).
    pub max_associations: usize,
    /// Association settings new sockets start with.
    pub association: AssociationConfig,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            seed: [0; 32],
            max_associations: 65_536,
            association: AssociationConfig::default(),
        }
    }
}

/// One-to-one socket connection state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    Idle,
    Listening,
    Connecting,
    Connected,
    /// The association ended (EOF, reset or failure); see `error`.
    Closed,
}

#[derive(Debug)]
struct Assoc {
    /// Peer transport addresses, primary first.
    peers: Vec<SocketAddr>,
    up: bool,
    /// SHUTDOWN received or association ended: the peer sends no more.
    peer_done: bool,
}

#[derive(Debug)]
struct Socket {
    kind: SocketKind,
    nonblocking: bool,
    port: Option<u16>,
    local: Vec<SocketAddr>,
    conn: Conn,
    backlog: usize,
    accept_queue: VecDeque<SocketId>,
    assocs: BTreeMap<AssociationId, Assoc>,
    rx: VecDeque<RecvMsg>,
    /// Bytes of the head message already returned by `read`.
    rx_offset: usize,
    error: Option<Errno>,
    shut_rd: bool,
    shut_wr: bool,
    linger: Option<u32>,
    events: EventMask,
    default_sndinfo: SndInfo,
    disable_fragments: bool,
    /// SCTP_AUTO_ASCONF.
    auto_asconf: bool,
    config: AssociationConfig,
}

impl Socket {
    fn new(kind: SocketKind, config: AssociationConfig) -> Self {
        Self {
            kind,
            nonblocking: false,
            port: None,
            local: Vec::new(),
            conn: Conn::Idle,
            backlog: 0,
            accept_queue: VecDeque::new(),
            assocs: BTreeMap::new(),
            rx: VecDeque::new(),
            rx_offset: 0,
            error: None,
            shut_rd: false,
            shut_wr: false,
            linger: None,
            events: EventMask::default(),
            default_sndinfo: SndInfo::default(),
            disable_fragments: false,
            auto_asconf: true,
            config,
        }
    }

    /// A socket for an association accepted or peeled off from `parent`:
    /// same port, addresses and options.
    fn child(parent: &Socket) -> Self {
        let mut s = Socket::new(SocketKind::OneToOne, parent.config.clone());
        s.port = parent.port;
        s.local = parent.local.clone();
        s.conn = Conn::Connected;
        s.linger = parent.linger;
        s.events = parent.events;
        s.default_sndinfo = parent.default_sndinfo;
        s.disable_fragments = parent.disable_fragments;
        s
    }

    fn one_assoc(&self) -> Option<AssociationId> {
        if self.kind == SocketKind::OneToOne {
            self.assocs.keys().next().copied()
        } else {
            None
        }
    }

    fn notify(&mut self, n: Notification, assoc_id: AssociationId, from: Option<SocketAddr>) {
        if !self.events.contains(n.event_type()) || self.shut_rd {
            return;
        }
        self.rx.push_back(RecvMsg {
            data: Bytes::new(),
            info: RcvInfo::for_assoc(assoc_id, self.default_sndinfo.context),
            from,
            notification: Some(n),
            eor: true,
        });
    }
}

#[derive(Debug)]
struct Port {
    endpoint: Endpoint,
    accept_incoming: bool,
    /// Sockets using this port (bound, accepted, peeled off).
    refs: usize,
    owners: HashMap<AssociationId, SocketId>,
    /// Associations whose socket was closed (graceful shutdown running).
    orphans: HashSet<AssociationId>,
    /// The socket that called `listen`.
    listener: Option<SocketId>,
    /// Local transport addresses the port was bound to.
    local: Vec<SocketAddr>,
}

/// Sockets over endpoints: the RFC 6458 facade. See the [module
/// documentation](self).
#[derive(Debug)]
pub struct SocketStack {
    config: StackConfig,
    rng: ChaCha20Rng,
    sockets: Vec<Option<Socket>>,
    ports: BTreeMap<u16, Port>,
    next_ephemeral: u16,
    /// Round-robin position for `poll_transmit`.
    tx_cursor: u16,
    /// Answers to out-of-the-blue packets (RFC 9260 §8.4).
    ootb: VecDeque<(Transmit, Vec<u8>)>,
}

/// Most answers to out-of-the-blue packets waiting to be sent.
const OOTB_QUEUE: usize = 16;

const EPHEMERAL_FIRST: u16 = 49152;

fn unspecified_like(addr: &SocketAddr) -> IpAddr {
    match addr {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

fn assoc_change(
    state: AssocChangeState,
    assoc_id: AssociationId,
    streams: (u16, u16),
    reason: String,
) -> Notification {
    Notification::AssocChange {
        state,
        outbound_streams: streams.0,
        inbound_streams: streams.1,
        reason,
        assoc_id,
    }
}

fn close_reason_text(r: &CloseReason) -> String {
    match r {
        CloseReason::Shutdown => String::new(),
        CloseReason::PeerAborted(s) => format!("peer aborted: {s}"),
        CloseReason::LocallyAborted(s) => format!("aborted: {s}"),
        CloseReason::Timeout => "too many retransmissions".into(),
        CloseReason::SetupFailed => "peer unreachable during setup".into(),
        #[allow(unreachable_patterns)]
        _ => "closed".into(),
    }
}

fn path_info(assoc_id: Option<AssociationId>, p: &PathStats) -> PeerAddrInfo {
    PeerAddrInfo {
        assoc_id,
        address: p.address,
        state: p.state,
        cwnd: u32::try_from(p.cwnd).unwrap_or(u32::MAX),
        srtt: p.srtt.map(to_ms).unwrap_or(0),
        rto: to_ms(p.rto),
        mtu: u32::try_from(p.mtu).unwrap_or(u32::MAX),
    }
}

impl SocketStack {
    /// Creates an empty stack.
    pub fn new(config: StackConfig) -> SResult<Self> {
        config
            .association
            .validate()
            .map_err(|e| errno::from_core(&e))?;
        Ok(Self {
            rng: ChaCha20Rng::from_seed(config.seed),
            config,
            sockets: Vec::new(),
            ports: BTreeMap::new(),
            next_ephemeral: EPHEMERAL_FIRST,
            tx_cursor: 0,
            ootb: VecDeque::new(),
        })
    }

    // ----- host side -------------------------------------------------

    /// Processes one datagram's payload (an SCTP packet) that arrived from
    /// `from` on the local transport address `local` (`None` if the host
    /// does not know). Routed by the SCTP destination port; dropped when no
    /// socket is bound to that port or `local` is not one of its addresses.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: Option<SocketAddr>,
        from: SocketAddr,
        data: Bytes,
    ) {
        // RFC 9260 §3.1: destination port is octets 2..4 of the common header.
        let Some(&[hi, lo]) = data.get(2..4) else {
            return;
        };
        let port_no = u16::from_be_bytes([hi, lo]);
        let Some(port) = self.ports.get_mut(&port_no) else {
            self.out_of_the_blue(now, local, from, data, port_no);
            return;
        };
        if let Some(local) = local {
            let ok = port.local.is_empty()
                || port.local.iter().any(|a| {
                    a.port() == local.port() && (a.ip().is_unspecified() || a.ip() == local.ip())
                });
            if !ok {
                return;
            }
        }
        port.endpoint.handle_datagram(now, from, data);
        self.drain_events(now, port_no);
    }

    /// A packet for a port nobody bound: RFC 9260 §8.4 asks for an answer
    /// (ABORT to an INIT, SHUTDOWN COMPLETE to a SHUTDOWN ACK). A closed,
    /// non-accepting endpoint for that port gives the answer; at most
    /// [`OOTB_QUEUE`] answers wait, further packets are dropped.
    fn out_of_the_blue(
        &mut self,
        now: Instant,
        local: Option<SocketAddr>,
        from: SocketAddr,
        data: Bytes,
        port_no: u16,
    ) {
        if self.ootb.len() >= OOTB_QUEUE {
            return;
        }
        let cfg = self.config.association.clone();
        let Ok(mut ep) = self.new_endpoint(port_no, false, &cfg) else {
            return;
        };
        ep.handle_datagram(now, from, data);
        let mut buf = [0u8; 2048];
        while self.ootb.len() < OOTB_QUEUE {
            let Some(mut t) = ep.poll_transmit(now, &mut buf) else {
                break;
            };
            let Some(bytes) = buf.get(..t.len) else {
                break;
            };
            if t.source.is_none() {
                t.source =
                    Some(local.unwrap_or_else(|| {
                        SocketAddr::new(unspecified_like(&t.destination), port_no)
                    }));
            }
            self.ootb.push_back((t, bytes.to_vec()));
        }
    }

    /// Writes the next packet to send into `buf` (65536 bytes always
    /// suffice). `Transmit::source` is always set: the local transport
    /// address to send from; its port selects the host's UDP socket, an
    /// unspecified IP lets the host choose the source IP.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some((t, bytes)) = self.ootb.pop_front() {
            if let Some(dst) = buf.get_mut(..bytes.len()) {
                dst.copy_from_slice(&bytes);
                return Some(Transmit {
                    len: bytes.len(),
                    ..t
                });
            }
        }
        if self.ports.is_empty() {
            return None;
        }
        // Round robin over ports so one busy endpoint does not starve
        // others; walks the map in place (no per-packet allocation).
        let start = self.tx_cursor;
        let mut from = start;
        let mut wrapped = false;
        loop {
            let next = if wrapped {
                self.ports.range(from..start).next()
            } else {
                self.ports.range(from..).next()
            }
            .map(|(k, _)| *k);
            let Some(k) = next else {
                if wrapped || start == 0 {
                    return None;
                }
                wrapped = true;
                from = 0;
                continue;
            };
            if let Some(port) = self.ports.get_mut(&k) {
                if let Some(mut t) = port.endpoint.poll_transmit(now, buf) {
                    if t.source.is_none() {
                        t.source = Some(port.local.first().copied().unwrap_or_else(|| {
                            SocketAddr::new(unspecified_like(&t.destination), k)
                        }));
                    }
                    self.tx_cursor = k.wrapping_add(1);
                    self.drain_events(now, k);
                    return Some(t);
                }
                // Its last packets (e.g. an ABORT after close) are out: a
                // port nobody holds any more can go now.
                self.gc_port(k);
            }
            if k == u16::MAX {
                if wrapped || start == 0 {
                    return None;
                }
                wrapped = true;
                from = 0;
            } else {
                from = k + 1;
            }
        }
    }

    /// The earliest deadline of any endpoint.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.ports
            .values_mut()
            .filter_map(|p| p.endpoint.poll_timeout())
            .min()
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let keys: Vec<u16> = self.ports.keys().copied().collect();
        for k in keys {
            if let Some(p) = self.ports.get_mut(&k) {
                p.endpoint.handle_timeout(now);
                self.drain_events(now, k);
            }
        }
    }

    // ----- socket calls ----------------------------------------------

    /// `socket(AF_INET/AF_INET6, SOCK_STREAM or SOCK_SEQPACKET,
    /// IPPROTO_SCTP)`. Sockets start blocking, with notifications off.
    pub fn socket(&mut self, kind: SocketKind) -> SocketId {
        let s = Socket::new(kind, self.config.association.clone());
        self.insert(s)
    }

    /// Marks the socket non-blocking (O_NONBLOCK). The core never blocks;
    /// the flag tells a host whether to emulate blocking.
    pub fn set_nonblocking(&mut self, id: SocketId, on: bool) -> SResult<()> {
        self.sock_mut(id)?.nonblocking = on;
        Ok(())
    }

    /// Whether the socket is non-blocking.
    pub fn is_nonblocking(&self, id: SocketId) -> SResult<bool> {
        Ok(self.sock(id)?.nonblocking)
    }

    /// `bind`: `addr` is the local transport address; its port is also the
    /// SCTP port (0 picks an ephemeral one). Once only (RFC 6458 §3.1.2);
    /// add more addresses with [`Self::bindx`].
    pub fn bind(&mut self, id: SocketId, addr: SocketAddr) -> SResult<()> {
        if self.sock(id)?.port.is_some() {
            return Err(err(
                Errno::EINVAL,
                "socket is already bound; use bindx to add addresses",
            ));
        }
        let port = if addr.port() == 0 {
            self.ephemeral_port()?
        } else if self.ports.contains_key(&addr.port()) {
            return Err(err(
                Errno::EADDRINUSE,
                "another socket is bound to this port",
            ));
        } else {
            addr.port()
        };
        let local = SocketAddr::new(addr.ip(), port);
        self.attach_port(id, port, vec![local])
    }

    /// `sctp_bindx` (RFC 6458 §9.1). Every address must carry the socket's
    /// port (or 0). Once the socket has associations, use
    /// [`bindx_at`](Self::bindx_at) (changes reach them through ASCONF and
    /// need the time); here they give EOPNOTSUPP.
    pub fn bindx(&mut self, id: SocketId, addrs: &[SocketAddr], op: BindxOp) -> SResult<()> {
        self.bindx_inner(None, id, addrs, op)
    }

    /// `sctp_bindx` at time `now`, also on a socket with associations (RFC
    /// 6458 §9.1, RFC 5061): with SCTP_AUTO_ASCONF on (the default), each
    /// specific address added or removed is announced in an ASCONF to every
    /// association's peer that supports it (the peer's answers are not
    /// reported as socket notifications; the peer's own changes are, as
    /// SCTP_PEER_ADDR_CHANGE with SCTP_ADDR_ADDED / REMOVED / MADE_PRIM). Only
    /// addresses added at run time can be removed while associations live
    /// (the ones bound before were never listed to the peer); removing
    /// another gives EADDRNOTAVAIL.
    pub fn bindx_at(
        &mut self,
        now: Instant,
        id: SocketId,
        addrs: &[SocketAddr],
        op: BindxOp,
    ) -> SResult<()> {
        self.bindx_inner(Some(now), id, addrs, op)
    }

    fn bindx_inner(
        &mut self,
        now: Option<Instant>,
        id: SocketId,
        addrs: &[SocketAddr],
        op: BindxOp,
    ) -> SResult<()> {
        if addrs.is_empty() {
            return Err(err(Errno::EINVAL, "bindx needs at least one address"));
        }
        let bound = self.sock(id)?.port;
        let first_port = addrs[0].port();
        if addrs.iter().any(|a| a.port() != first_port) {
            return Err(err(
                Errno::EINVAL,
                "all bindx addresses must use the same port",
            ));
        }
        match (bound, op) {
            (None, BindxOp::Add) => {
                self.bind(id, addrs[0])?;
                let port = self.sock(id)?.port.unwrap_or(0);
                self.add_local(id, port, &addrs[1..])
            }
            (None, BindxOp::Remove) => Err(err(Errno::EINVAL, "socket is not bound")),
            (Some(port), op) => {
                if first_port != 0 && first_port != port {
                    return Err(err(
                        Errno::EINVAL,
                        "bindx addresses must use the port the socket is bound to",
                    ));
                }
                if !self.sock(id)?.assocs.is_empty() {
                    let Some(now) = now else {
                        return Err(err(
                            Errno::EOPNOTSUPP,
                            "the socket has associations: use bindx_at, which sends ASCONFs (RFC 5061)",
                        ));
                    };
                    self.announce_addresses(now, id, port, addrs, op)?;
                }
                match op {
                    BindxOp::Add => self.add_local(id, port, addrs),
                    BindxOp::Remove => {
                        let s = self.sock_mut(id)?;
                        let keep: Vec<SocketAddr> = s
                            .local
                            .iter()
                            .copied()
                            .filter(|l| !addrs.iter().any(|a| a.ip() == l.ip()))
                            .collect();
                        if keep.is_empty() {
                            return Err(err(Errno::EINVAL, "cannot remove the last local address"));
                        }
                        s.local = keep.clone();
                        if let Some(p) = self.ports.get_mut(&port) {
                            p.local = keep;
                        }
                        Ok(())
                    }
                }
            }
        }
    }

    /// Applies a live bindx to the port's endpoint (RFC 5061 ASCONF when
    /// SCTP_AUTO_ASCONF is on).
    fn announce_addresses(
        &mut self,
        now: Instant,
        id: SocketId,
        port_no: u16,
        addrs: &[SocketAddr],
        op: BindxOp,
    ) -> SResult<()> {
        let auto = self.sock(id)?.auto_asconf;
        let port = self
            .ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::ENOTCONN))?;
        port.endpoint.set_auto_asconf(auto);
        for a in addrs.iter().filter(|a| !a.ip().is_unspecified()) {
            let r = match op {
                BindxOp::Add => port.endpoint.add_local_address(now, a.ip()),
                BindxOp::Remove => port.endpoint.remove_local_address(now, a.ip()),
            };
            r.map_err(address_error)?;
        }
        Ok(())
    }

    /// `listen`. One-to-one: up to `backlog` established associations wait
    /// for `accept`; more are aborted (RFC 6458 §4.1.3). One-to-many:
    /// non-zero enables accepting associations, 0 disables (§3.1.3).
    /// Binds an ephemeral port if unbound.
    pub fn listen(&mut self, now: Instant, id: SocketId, backlog: usize) -> SResult<()> {
        let s = self.sock(id)?;
        if s.kind == SocketKind::OneToOne && !matches!(s.conn, Conn::Idle | Conn::Listening) {
            return Err(err(Errno::EINVAL, "listen on a connected socket"));
        }
        if s.port.is_none() {
            self.bind(id, SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))?;
        }
        let s = self.sock_mut(id)?;
        let port_no = s.port.unwrap_or(0);
        s.backlog = backlog;
        let accept = match s.kind {
            SocketKind::OneToOne => {
                s.conn = Conn::Listening;
                true
            }
            SocketKind::OneToMany => backlog > 0,
        };
        if let Some(p) = self.ports.get_mut(&port_no) {
            if let Some(other) = p.listener {
                if other != id {
                    return Err(err(
                        Errno::EADDRINUSE,
                        "another socket listens on this port",
                    ));
                }
            }
            p.listener = accept.then_some(id);
        }
        self.ensure_endpoint(now, port_no, accept)
    }

    /// `accept` on a listening one-to-one socket: the next established
    /// association as a new socket, or EAGAIN.
    pub fn accept(&mut self, id: SocketId) -> SResult<(SocketId, Option<SocketAddr>)> {
        let s = self.sock_mut(id)?;
        if s.kind == SocketKind::OneToMany {
            return Err(err(
                Errno::EOPNOTSUPP,
                "one-to-many sockets accept automatically (RFC 6458 §3.1.3)",
            ));
        }
        if s.conn != Conn::Listening {
            return Err(err(Errno::EINVAL, "socket is not listening"));
        }
        let child = s
            .accept_queue
            .pop_front()
            .ok_or(SocketError::from(Errno::EAGAIN))?;
        let from = self
            .sock(child)
            .ok()
            .and_then(|c| c.assocs.values().next())
            .and_then(|a| a.peers.first().copied());
        Ok((child, from))
    }

    /// `connect`: starts an association with the peer at transport address
    /// `remote` whose SCTP port is `sctp_port`. Always returns EINPROGRESS
    /// on success (non-blocking): the socket becomes writable when the
    /// association is up, or gets SO_ERROR (ECONNREFUSED when the peer
    /// answered with ABORT, ETIMEDOUT after Max.Init.Retransmits).
    /// On a one-to-many socket it sets up one more association
    /// (EINPROGRESS too; the id arrives with SCTP_COMM_UP).
    pub fn connect(
        &mut self,
        now: Instant,
        id: SocketId,
        remote: SocketAddr,
        sctp_port: u16,
    ) -> SResult<()> {
        self.connectx(now, id, &[remote], sctp_port)?;
        Err(SocketError::from(Errno::EINPROGRESS))
    }

    /// `sctp_connectx` (RFC 6458 §9.9): like `connect` with several peer
    /// addresses. `Ok` carries the new association's id (what
    /// `sctp_connectx`'s `id` out-parameter gives) and means the same as
    /// `connect`'s EINPROGRESS: setup has started.
    pub fn connectx(
        &mut self,
        now: Instant,
        id: SocketId,
        remotes: &[SocketAddr],
        sctp_port: u16,
    ) -> SResult<AssociationId> {
        let first = *remotes.first().ok_or(err(
            Errno::EINVAL,
            "connect needs at least one peer address",
        ))?;
        if sctp_port == 0 {
            return Err(err(Errno::EINVAL, "the peer's SCTP port must not be 0"));
        }
        let s = self.sock(id)?;
        if s.kind == SocketKind::OneToOne {
            match s.conn {
                Conn::Idle => {}
                Conn::Connecting => return Err(SocketError::from(Errno::EALREADY)),
                Conn::Connected => return Err(SocketError::from(Errno::EISCONN)),
                Conn::Listening => return Err(err(Errno::EINVAL, "connect on a listening socket")),
                Conn::Closed => {
                    return Err(err(
                        Errno::EISCONN,
                        "the socket's association has ended; open a new socket",
                    ))
                }
            }
        } else if let Some((aid, _)) = s
            .assocs
            .iter()
            .find(|(_, a)| a.peers.iter().any(|p| remotes.contains(p)))
        {
            let _ = aid;
            return Err(err(Errno::EISCONN, "an association with this peer exists"));
        }
        self.start_association(now, id, remotes, sctp_port, first)
    }

    /// `sendmsg`/`sctp_sendv`. `info` `None` uses SCTP_DEFAULT_SNDINFO.
    /// One-to-one: `to` is ignored. One-to-many: the association is
    /// `info.assoc_id`, else the one whose peer has address `to`, else a new
    /// one is set up with `to` (implicit setup, RFC 6458 §3.1.5; the SCTP
    /// port is `to`'s port). Flags: SCTP_EOF (graceful shutdown after the
    /// data, which may be empty), SCTP_ABORT (abort; the data is the
    /// reason), SCTP_SENDALL (one-to-many: every association), SCTP_UNORDERED.
    /// Returns the bytes accepted (all or nothing).
    pub fn sendmsg(
        &mut self,
        now: Instant,
        id: SocketId,
        data: Bytes,
        info: Option<&SndInfo>,
        to: Option<SocketAddr>,
    ) -> SResult<usize> {
        let s = self.sock(id)?;
        let info = info.copied().unwrap_or(s.default_sndinfo);
        let port_no = s.port;
        let all: Vec<AssociationId>;
        let one: [AssociationId; 1];
        let targets: &[AssociationId] = match s.kind {
            SocketKind::OneToOne => {
                if s.shut_wr {
                    return Err(err(Errno::EPIPE, "socket is shut down for writing"));
                }
                match (s.conn, s.one_assoc()) {
                    (Conn::Connected | Conn::Connecting, Some(a)) => {
                        one = [a];
                        &one
                    }
                    (Conn::Closed, _) => {
                        return Err(err(Errno::EPIPE, "the association has ended"))
                    }
                    _ => return Err(SocketError::from(Errno::ENOTCONN)),
                }
            }
            SocketKind::OneToMany => {
                if info.flags & snd_flags::SENDALL != 0 {
                    // SENDALL is rare; the one allocation is fine here.
                    all = s.assocs.keys().copied().collect();
                    &all
                } else if let Some(a) = info.assoc_id {
                    if !s.assocs.contains_key(&a) {
                        return Err(err(Errno::EINVAL, "no such association on this socket"));
                    }
                    one = [a];
                    &one
                } else if let Some(to) = to {
                    match s.assocs.iter().find(|(_, a)| a.peers.contains(&to)) {
                        Some((a, _)) => {
                            one = [*a];
                            &one
                        }
                        None => {
                            if info.flags & (snd_flags::EOF | snd_flags::ABORT) != 0 {
                                return Err(err(
                                    Errno::EINVAL,
                                    "SCTP_EOF/SCTP_ABORT for a peer with no association",
                                ));
                            }
                            if data.is_empty() {
                                return Err(err(Errno::EINVAL, "empty message"));
                            }
                            one = [self.start_association(now, id, &[to], to.port(), to)?];
                            &one
                        }
                    }
                } else {
                    return Err(err(
                        Errno::EDESTADDRREQ,
                        "give a destination address or an assoc_id",
                    ));
                }
            }
        };
        let port_no = match port_no.or(self.sock(id)?.port) {
            Some(p) => p,
            None => return Err(SocketError::from(Errno::ENOTCONN)),
        };
        let connecting = self.sock(id).is_ok_and(|s| s.conn == Conn::Connecting);
        let result = self
            .send_to_assocs(now, id, port_no, targets, data, &info)
            .map_err(|e| {
                if connecting && e.errno == Errno::EPIPE {
                    // The core may refuse data before COOKIE ACK; that is
                    // "try again when writable", not a broken association.
                    err(
                        Errno::EAGAIN,
                        "association is still being set up: wait until the socket is writable",
                    )
                } else {
                    e
                }
            });
        self.drain_events(now, port_no);
        result
    }

    /// `write`/`send` on a one-to-one socket with SCTP_DEFAULT_SNDINFO.
    pub fn write(&mut self, now: Instant, id: SocketId, data: &[u8]) -> SResult<usize> {
        if self.sock(id)?.kind != SocketKind::OneToOne {
            return Err(err(
                Errno::EDESTADDRREQ,
                "one-to-many sockets need sendmsg with a destination",
            ));
        }
        self.sendmsg(now, id, Bytes::copy_from_slice(data), None, None)
    }

    /// `recvmsg`: the next whole message or notification, or EAGAIN. After
    /// the peer shut down (one-to-one) returns an empty message with no
    /// notification: EOF, like `read() == 0`. A pending SO_ERROR is
    /// returned (and cleared) once queued messages are read.
    pub fn recvmsg(&mut self, id: SocketId) -> SResult<RecvMsg> {
        let s = self.sock_mut(id)?;
        if s.conn == Conn::Listening {
            return Err(err(Errno::ENOTCONN, "listening socket: use accept"));
        }
        if let Some(mut m) = s.rx.pop_front() {
            if s.rx_offset > 0 {
                m.data = m.data.slice(s.rx_offset.min(m.data.len())..);
                s.rx_offset = 0;
            }
            return Ok(m);
        }
        if let Some(e) = s.error.take() {
            return Err(SocketError::from(e));
        }
        if s.kind == SocketKind::OneToOne && Self::at_eof(s) {
            return Ok(RecvMsg {
                data: Bytes::new(),
                info: RcvInfo::for_assoc(
                    s.one_assoc().unwrap_or(AssociationId(0)),
                    s.default_sndinfo.context,
                ),
                from: None,
                notification: None,
                eor: true,
            });
        }
        if s.kind == SocketKind::OneToOne && matches!(s.conn, Conn::Idle) {
            return Err(SocketError::from(Errno::ENOTCONN));
        }
        Err(SocketError::from(Errno::EAGAIN))
    }

    /// `read` on a one-to-one socket: copies message bytes into `buf`
    /// (the rest of a longer message comes with the next call). `Ok(0)` is
    /// EOF. Notifications are skipped: subscribe only when using `recvmsg`.
    pub fn read(&mut self, id: SocketId, buf: &mut [u8]) -> SResult<usize> {
        let s = self.sock_mut(id)?;
        if s.kind != SocketKind::OneToOne {
            return Err(err(
                Errno::EOPNOTSUPP,
                "read on a one-to-many socket: use recvmsg",
            ));
        }
        while s.rx.front().is_some_and(|m| m.notification.is_some()) {
            s.rx.pop_front();
        }
        if let Some(m) = s.rx.front() {
            let rest = m.data.get(s.rx_offset..).unwrap_or(&[]);
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            if n == rest.len() {
                s.rx.pop_front();
                s.rx_offset = 0;
            } else {
                s.rx_offset += n;
            }
            return Ok(n);
        }
        if let Some(e) = s.error.take() {
            return Err(SocketError::from(e));
        }
        if Self::at_eof(s) {
            return Ok(0);
        }
        match s.conn {
            Conn::Idle | Conn::Listening => Err(SocketError::from(Errno::ENOTCONN)),
            _ => Err(SocketError::from(Errno::EAGAIN)),
        }
    }

    /// `shutdown` (one-to-one only; one-to-many uses SCTP_EOF, RFC 6458
    /// §3.1.5). SHUT_WR starts the graceful SHUTDOWN.
    pub fn shutdown(&mut self, now: Instant, id: SocketId, how: Shutdown) -> SResult<()> {
        let s = self.sock_mut(id)?;
        if s.kind == SocketKind::OneToMany {
            return Err(err(
                Errno::EOPNOTSUPP,
                "one-to-many sockets: send with SCTP_EOF to shut an association down",
            ));
        }
        if !matches!(s.conn, Conn::Connected | Conn::Connecting | Conn::Closed) {
            return Err(SocketError::from(Errno::ENOTCONN));
        }
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            s.shut_rd = true;
            s.rx.clear();
            s.rx_offset = 0;
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) && !s.shut_wr {
            s.shut_wr = true;
            if let (Some(a), Some(p), Conn::Connected) = (s.one_assoc(), s.port, s.conn) {
                if let Some(port) = self.ports.get_mut(&p) {
                    port.endpoint
                        .shutdown(now, a)
                        .map_err(|e| errno::from_core(&e))?;
                }
                self.drain_events(now, p);
            }
        }
        Ok(())
    }

    /// `close`. Associations are shut down gracefully (SO_LINGER with 0
    /// seconds: aborted; still in setup: aborted) and finish in the
    /// background; the handle is freed at once. Closing a listener aborts
    /// associations not yet accepted.
    pub fn close(&mut self, now: Instant, id: SocketId) -> SResult<()> {
        let s = self.take(id)?;
        let Some(port_no) = s.port else {
            return Ok(());
        };
        for child in &s.accept_queue {
            let _ = self.close(now, *child);
        }
        let abort = s.linger == Some(0);
        if let Some(port) = self.ports.get_mut(&port_no) {
            if port.listener == Some(id) {
                port.listener = None;
            }
            for (aid, a) in &s.assocs {
                port.owners.remove(aid);
                let setup = !a.up;
                let r = if abort || setup {
                    port.endpoint.abort(now, *aid, "socket closed")
                } else {
                    port.endpoint.shutdown(now, *aid)
                };
                if r.is_ok() {
                    port.orphans.insert(*aid);
                }
            }
            port.refs = port.refs.saturating_sub(1);
        }
        self.drain_events(now, port_no);
        self.gc_port(port_no);
        Ok(())
    }

    /// `sctp_peeloff` (RFC 6458 §9.2): moves association `assoc` of a
    /// one-to-many socket, with its queued messages, to a new one-to-one
    /// socket.
    pub fn peeloff(&mut self, id: SocketId, assoc: AssociationId) -> SResult<SocketId> {
        let s = self.sock_mut(id)?;
        if s.kind != SocketKind::OneToMany {
            return Err(err(Errno::EINVAL, "peeloff needs a one-to-many socket"));
        }
        let Some(a) = s.assocs.remove(&assoc) else {
            return Err(err(Errno::EINVAL, "no such association on this socket"));
        };
        let mut child = Socket::child(s);
        child.conn = if a.up {
            Conn::Connected
        } else {
            Conn::Connecting
        };
        child.assocs.insert(assoc, a);
        let (mine, rest): (VecDeque<RecvMsg>, VecDeque<RecvMsg>) =
            s.rx.drain(..).partition(|m| m.info.assoc_id == assoc);
        s.rx = rest;
        child.rx = mine;
        let port_no = child.port;
        let cid = self.insert(child);
        if let Some(p) = port_no.and_then(|p| self.ports.get_mut(&p)) {
            p.refs += 1;
            p.owners.insert(assoc, cid);
        }
        Ok(cid)
    }

    /// `sctp_getpaddrs`: the peer's transport addresses (primary first).
    /// `assoc` is ignored on one-to-one sockets.
    pub fn getpaddrs(
        &self,
        id: SocketId,
        assoc: Option<AssociationId>,
    ) -> SResult<Vec<SocketAddr>> {
        let s = self.sock(id)?;
        let aid = self.pick_assoc(s, assoc)?;
        let live = s
            .port
            .and_then(|p| self.ports.get(&p))
            .and_then(|p| p.endpoint.peer_addresses(aid));
        Ok(live.unwrap_or_else(|| {
            s.assocs
                .get(&aid)
                .map(|a| a.peers.clone())
                .unwrap_or_default()
        }))
    }

    /// SCTP_RESET_STREAMS (RFC 6525 §6.3.2): resets `streams` in the
    /// directions of `flags` ([`reset_streams_flags::OUTGOING`], our
    /// streams; [`reset_streams_flags::INCOMING`], asking the peer to reset
    /// its own; both: one RE-CONFIG chunk). See
    /// [`Endpoint::reset_streams_with`]: messages queued before are still
    /// delivered, later ones wait for the peer's answer, which arrives as
    /// an SCTP_STREAM_RESET_EVENT notification. An empty list (all streams)
    /// is allowed for incoming streams only (EINVAL otherwise); a request
    /// still outstanding gives EALREADY.
    pub fn reset_streams(
        &mut self,
        now: Instant,
        id: SocketId,
        assoc: Option<AssociationId>,
        flags: u16,
        streams: &[u16],
    ) -> SResult<()> {
        use reset_streams_flags::{INCOMING, OUTGOING};
        let direction = match flags {
            OUTGOING => crate::ResetDirection::Outgoing,
            INCOMING => crate::ResetDirection::Incoming,
            f if f == INCOMING | OUTGOING => crate::ResetDirection::Both,
            _ => {
                return Err(err(
                    Errno::EINVAL,
                    "SCTP_RESET_STREAMS: set srs_flags to SCTP_STREAM_RESET_OUTGOING, SCTP_STREAM_RESET_INCOMING or both",
                ))
            }
        };
        let ids: Vec<StreamId> = streams.iter().map(|s| StreamId(*s)).collect();
        self.on_endpoint(now, id, assoc, |ep, aid| {
            ep.reset_streams_with(now, aid, &ids, direction)
                .map_err(|e| errno::from_core(&e))
        })
    }

    /// SCTP_ADD_STREAMS (RFC 6525 §6.3.4): asks the peer for `outstrms`
    /// more outbound streams and `instrms` more inbound ones, in one
    /// RE-CONFIG chunk (see [`Endpoint::add_streams_with`]); each answer
    /// arrives as an SCTP_STREAM_CHANGE_EVENT notification. Inbound streams
    /// beyond SCTP_INITMSG's sinit_max_instreams give EINVAL.
    pub fn add_streams(
        &mut self,
        now: Instant,
        id: SocketId,
        assoc: Option<AssociationId>,
        instrms: u16,
        outstrms: u16,
    ) -> SResult<()> {
        self.on_endpoint(now, id, assoc, |ep, aid| {
            ep.add_streams_with(now, aid, instrms, outstrms)
                .map_err(|e| errno::from_core(&e))
        })
    }

    /// SCTP_RESET_ASSOC (RFC 6525 §6.3.3): resets the TSNs of both
    /// directions and every stream's sequence numbers (see
    /// [`Endpoint::reset_association`]: nothing sent is lost; new messages
    /// wait for the answer). The answer arrives as an
    /// SCTP_ASSOC_RESET_EVENT notification. A request still outstanding
    /// gives EALREADY; RE-CONFIG not negotiated, EOPNOTSUPP.
    pub fn reset_assoc(
        &mut self,
        now: Instant,
        id: SocketId,
        assoc: Option<AssociationId>,
    ) -> SResult<()> {
        self.on_endpoint(now, id, assoc, |ep, aid| {
            ep.reset_association(now, aid)
                .map_err(|e| errno::from_core(&e))
        })
    }

    /// Runs a command on the endpoint for the socket's association, then
    /// turns the events it caused into notifications.
    fn on_endpoint(
        &mut self,
        now: Instant,
        id: SocketId,
        assoc: Option<AssociationId>,
        f: impl FnOnce(&mut Endpoint, AssociationId) -> SResult<()>,
    ) -> SResult<()> {
        let s = self.sock(id)?;
        let aid = self.pick_assoc(s, assoc)?;
        let port_no = s.port.unwrap_or(0);
        let port = self
            .ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::ENOTCONN))?;
        f(&mut port.endpoint, aid)?;
        self.drain_events(now, port_no);
        Ok(())
    }

    /// `sctp_getladdrs`: the socket's local transport addresses.
    pub fn getladdrs(&self, id: SocketId) -> SResult<Vec<SocketAddr>> {
        Ok(self.sock(id)?.local.clone())
    }

    /// Association ids of the socket (one-to-many: all; one-to-one: its one).
    pub fn associations(&self, id: SocketId) -> SResult<Vec<AssociationId>> {
        Ok(self.sock(id)?.assocs.keys().copied().collect())
    }

    /// Readiness for poll/epoll-style hosts.
    pub fn readiness(&self, id: SocketId) -> SResult<Readiness> {
        let s = self.sock(id)?;
        let error = s.error.is_some();
        let mut r = Readiness {
            readable: !s.rx.is_empty() || !s.accept_queue.is_empty() || error,
            error,
            ..Readiness::default()
        };
        match s.kind {
            SocketKind::OneToOne => {
                let eof = Self::at_eof(s);
                r.readable |= eof;
                r.hup = s.conn == Conn::Closed || (s.shut_rd && s.shut_wr);
                r.writable = s.conn == Conn::Connected
                    && !s.shut_wr
                    && s.one_assoc().is_some_and(|a| self.has_room(s, a));
                // A failed non-blocking connect reports writable + error,
                // as kernels do, so a host waiting for writability wakes.
                r.writable |= error;
            }
            SocketKind::OneToMany => {
                r.writable = s.assocs.keys().all(|a| self.has_room(s, *a));
            }
        }
        Ok(r)
    }

    /// `setsockopt`. Options configuring associations (SCTP_RTOINFO,
    /// SCTP_INITMSG, SO_RCVBUF, ...) apply to future associations: on a
    /// one-to-one socket before connect/listen, on a one-to-many socket with
    /// `assoc_id: None`. Changing them on a live association gives
    /// EOPNOTSUPP, except SCTP_ENABLE_STREAM_RESET and heartbeat-only
    /// SCTP_PEER_ADDR_PARAMS, which apply at once.
    pub fn setsockopt(&mut self, now: Instant, id: SocketId, opt: SocketOption) -> SResult<()> {
        if let SocketOption::AuthActiveKey(k)
        | SocketOption::AuthDeactivateKey(k)
        | SocketOption::AuthDeleteKey(k) = opt
        {
            let (port_no, aid) = self.auth_target(id, k.assoc_id)?;
            let ep = &mut self
                .ports
                .get_mut(&port_no)
                .ok_or(SocketError::from(Errno::ENOTCONN))?
                .endpoint;
            match opt {
                SocketOption::AuthActiveKey(_) => ep.set_active_auth_key(aid, k.key_id),
                SocketOption::AuthDeactivateKey(_) => ep.deactivate_auth_key(aid, k.key_id),
                _ => ep.delete_auth_key(aid, k.key_id),
            }
            .map_err(|e| errno::from_core(&e))?;
            self.drain_events(now, port_no);
            return Ok(());
        }
        if let SocketOption::PrimaryAddr { assoc_id, address } = opt {
            let address = address.ok_or(err(
                Errno::EINVAL,
                "SCTP_PRIMARY_ADDR: give the peer address to make primary",
            ))?;
            let (ep, aid, port_no) = self.assoc_endpoint(id, assoc_id)?;
            ep.set_primary(aid, address).map_err(address_error)?;
            self.drain_events(now, port_no);
            return Ok(());
        }
        let s = self.sock_mut(id)?;
        match opt {
            SocketOption::Error(_)
            | SocketOption::Status(_)
            | SocketOption::PeerAddrInfo(_)
            | SocketOption::PeerAuthChunks(_)
            | SocketOption::LocalAuthChunks(_) => {
                return Err(err(Errno::ENOPROTOOPT, "this option is read-only"))
            }
            SocketOption::Linger(l) => {
                s.linger = l;
                return Ok(());
            }
            SocketOption::DefaultSndInfo(i) => {
                if i.flags & !(snd_flags::UNORDERED | snd_flags::EOF | snd_flags::SENDALL) != 0 {
                    return Err(err(
                        Errno::EINVAL,
                        "SCTP_DEFAULT_SNDINFO: only SCTP_UNORDERED, SCTP_EOF and SCTP_SENDALL flags are allowed",
                    ));
                }
                s.default_sndinfo = i;
                return Ok(());
            }
            SocketOption::DisableFragments(on) => {
                s.disable_fragments = on;
                return Ok(());
            }
            SocketOption::AutoAsconf(on) => {
                s.auto_asconf = on;
                return Ok(());
            }
            SocketOption::SetPeerPrimaryAddr { assoc_id, address } => {
                let (ep, aid, _) = self.assoc_endpoint(id, assoc_id)?;
                return ep
                    .set_peer_primary(now, aid, address.ip())
                    .map_err(|e| match e {
                        crate::Error::InvalidState { hint, .. } => err(Errno::EOPNOTSUPP, hint),
                        e => address_error(e),
                    });
            }
            SocketOption::Event {
                assoc_id,
                event,
                on,
            } => {
                if assoc_id.is_some() {
                    return Err(err(
                        Errno::EINVAL,
                        "SCTP_EVENT: subscriptions are per socket; use assoc_id None (SCTP_FUTURE_ASSOC)",
                    ));
                }
                s.events.set(event, on);
                return Ok(());
            }
            SocketOption::AutoClose(_) if s.kind == SocketKind::OneToOne => {
                return Err(err(
                    Errno::EOPNOTSUPP,
                    "SCTP_AUTOCLOSE applies to one-to-many sockets only",
                ))
            }
            _ => {}
        }
        debug_assert!(opt.is_association_config());
        let live = match s.kind {
            SocketKind::OneToOne => s.conn != Conn::Idle && s.conn != Conn::Listening,
            SocketKind::OneToMany => assoc_key(&opt).is_some(),
        };
        if let (SocketKind::OneToMany, Some(a)) = (s.kind, assoc_key(&opt)) {
            if !s.assocs.contains_key(&a) {
                return Err(err(Errno::EINVAL, "no such association on this socket"));
            }
        }
        if let (true, SocketOption::PeerAddrParams(pp)) = (live, opt) {
            if pp.pathmaxrxt == 0 && pp.pathmtu == 0 {
                return self.set_live_option(now, id, &opt);
            }
        }
        if let (true, SocketOption::EnableStreamReset { .. }) = (live, opt) {
            return self.set_live_option(now, id, &opt);
        }
        if live {
            return Err(err(
                Errno::EOPNOTSUPP,
                "changing this option on a live association is not supported yet; set it before connect/listen (or with assoc_id None)",
            ));
        }
        options::apply(&mut s.config, &opt)?;
        if let Some(port_no) = s.port {
            self.refresh_endpoint(now, port_no, id);
        }
        Ok(())
    }

    /// Options a live association takes at once: SCTP_PEER_ADDR_PARAMS
    /// changing only heartbeats (RFC 9260 §8.3), SCTP_ENABLE_STREAM_RESET
    /// (RFC 6525 §6.3.1).
    fn set_live_option(&mut self, now: Instant, id: SocketId, opt: &SocketOption) -> SResult<()> {
        let s = self.sock(id)?;
        let mut config = s.config.clone();
        options::apply(&mut config, opt)?;
        let aid = match (s.kind, assoc_key(opt)) {
            (SocketKind::OneToMany, Some(a)) => a,
            _ => s.one_assoc().ok_or(SocketError::from(Errno::ENOTCONN))?,
        };
        let port_no = s.port.unwrap_or(0);
        let one_to_one = s.kind == SocketKind::OneToOne;
        if let Some(port) = self.ports.get_mut(&port_no) {
            let r = match opt {
                SocketOption::EnableStreamReset { .. } => port
                    .endpoint
                    .set_reconfig_policy(aid, config.reconfig_policy),
                _ => port
                    .endpoint
                    .set_heartbeat(now, aid, config.heartbeat_interval),
            };
            r.map_err(|e| errno::from_core(&e))?;
        }
        if one_to_one {
            self.sock_mut(id)?.config = config;
        }
        Ok(())
    }

    /// `getsockopt`: give the option with its keys (`assoc_id`, `address`,
    /// `event`) set; get it back filled in. Reading SO_ERROR clears it.
    pub fn getsockopt(&mut self, id: SocketId, opt: SocketOption) -> SResult<SocketOption> {
        let s = self.sock_mut(id)?;
        match opt {
            SocketOption::Error(_) => return Ok(SocketOption::Error(s.error.take())),
            SocketOption::Linger(_) => return Ok(SocketOption::Linger(s.linger)),
            SocketOption::DefaultSndInfo(_) => {
                return Ok(SocketOption::DefaultSndInfo(s.default_sndinfo))
            }
            SocketOption::DisableFragments(_) => {
                return Ok(SocketOption::DisableFragments(s.disable_fragments))
            }
            SocketOption::AutoAsconf(_) => return Ok(SocketOption::AutoAsconf(s.auto_asconf)),
            SocketOption::SetPeerPrimaryAddr { .. } => {
                return Err(err(Errno::ENOPROTOOPT, "this option is write-only"))
            }
            SocketOption::Event {
                assoc_id, event, ..
            } => {
                return Ok(SocketOption::Event {
                    assoc_id,
                    event,
                    on: s.events.contains(event),
                })
            }
            _ => {}
        }
        if let SocketOption::AuthActiveKey(k) = opt {
            let (port_no, aid) = self.auth_target(id, k.assoc_id)?;
            let key_id = self
                .ports
                .get(&port_no)
                .ok_or(SocketError::from(Errno::ENOTCONN))?
                .endpoint
                .active_auth_key(aid)
                .map_err(|e| errno::from_core(&e))?;
            return Ok(SocketOption::AuthActiveKey(AuthKeyId { key_id, ..k }));
        }
        let s = self.sock(id)?;
        match opt {
            SocketOption::PeerAuthChunks(q) | SocketOption::LocalAuthChunks(q) => {
                let aid = self.pick_assoc(s, q.assoc_id)?;
                let ep = &s
                    .port
                    .and_then(|p| self.ports.get(&p))
                    .ok_or(SocketError::from(Errno::ENOTCONN))?
                    .endpoint;
                let list = match opt {
                    SocketOption::PeerAuthChunks(_) => ep.peer_auth_chunks(aid),
                    _ => ep.local_auth_chunks(aid),
                }
                .map_err(|e| errno::from_core(&e))?;
                let q = AuthChunks {
                    chunks: list.into_iter().collect(),
                    ..q
                };
                Ok(match opt {
                    SocketOption::PeerAuthChunks(_) => SocketOption::PeerAuthChunks(q),
                    _ => SocketOption::LocalAuthChunks(q),
                })
            }
            SocketOption::AuthChunk(_)
            | SocketOption::AuthDeactivateKey(_)
            | SocketOption::AuthDeleteKey(_) => {
                Err(err(Errno::ENOPROTOOPT, "this option is write-only"))
            }
            SocketOption::Status(st) => {
                let aid = self.pick_assoc(s, st.assoc_id)?;
                let stats = self.stats_of(s, aid)?;
                let frag = stats
                    .paths
                    .first()
                    .map_or(s.config.mtu, |p| p.mtu)
                    .saturating_sub(DATA_OVERHEAD);
                Ok(SocketOption::Status(Status {
                    assoc_id: st.assoc_id,
                    state: stats.state,
                    rwnd: stats.peer_rwnd,
                    unacked_bytes: u32::try_from(stats.bytes_in_flight).unwrap_or(u32::MAX),
                    pending_bytes: u32::try_from(stats.buffered_amount).unwrap_or(u32::MAX),
                    instrms: stats.inbound_streams,
                    outstrms: stats.outbound_streams,
                    fragmentation_point: u32::try_from(frag).unwrap_or(u32::MAX),
                    primary: stats.paths.first().map(|p| path_info(st.assoc_id, p)),
                }))
            }
            SocketOption::PeerAddrInfo(q) => {
                let aid = self.pick_assoc(s, q.assoc_id)?;
                let stats = self.stats_of(s, aid)?;
                let p = stats
                    .paths
                    .iter()
                    .find(|p| p.address == q.address)
                    .ok_or(err(Errno::EINVAL, "not a peer address of this association"))?;
                Ok(SocketOption::PeerAddrInfo(path_info(q.assoc_id, p)))
            }
            SocketOption::PrimaryAddr { assoc_id, .. } => {
                let aid = self.pick_assoc(s, assoc_id)?;
                let stats = self.stats_of(s, aid)?;
                let address = stats
                    .paths
                    .iter()
                    .find(|p| p.primary)
                    .or(stats.paths.first())
                    .map(|p| p.address);
                Ok(SocketOption::PrimaryAddr { assoc_id, address })
            }
            SocketOption::AssocInfo(a) if a.assoc_id.is_some() || s.one_assoc().is_some() => {
                let aid = self.pick_assoc(s, a.assoc_id)?;
                let stats = self.stats_of(s, aid)?;
                let mut out = options::read(&s.config, opt);
                if let SocketOption::AssocInfo(ref mut o) = out {
                    o.peer_rwnd = stats.peer_rwnd;
                    o.number_peer_destinations =
                        u16::try_from(stats.paths.len()).unwrap_or(u16::MAX);
                }
                Ok(out)
            }
            SocketOption::AutoClose(_) if s.kind == SocketKind::OneToOne => Err(err(
                Errno::EOPNOTSUPP,
                "SCTP_AUTOCLOSE applies to one-to-many sockets only",
            )),
            other => {
                if let Some(a) = assoc_key(&other) {
                    if !s.assocs.contains_key(&a) {
                        return Err(err(Errno::EINVAL, "no such association on this socket"));
                    }
                }
                Ok(options::read(&s.config, other))
            }
        }
    }

    /// Statistics of an association of the socket (the core's figures).
    pub fn stats(&self, id: SocketId, assoc: Option<AssociationId>) -> SResult<AssociationStats> {
        let s = self.sock(id)?;
        let aid = self.pick_assoc(s, assoc)?;
        self.stats_of(s, aid)
    }

    /// Open socket handles.
    pub fn sockets(&self) -> Vec<SocketId> {
        (0..self.sockets.len())
            .filter(|i| self.sockets[*i].is_some())
            .map(|i| SocketId(i as u32))
            .collect()
    }

    // ----- internals -------------------------------------------------

    fn insert(&mut self, s: Socket) -> SocketId {
        if let Some(i) = self.sockets.iter().position(Option::is_none) {
            self.sockets[i] = Some(s);
            SocketId(i as u32)
        } else {
            self.sockets.push(Some(s));
            SocketId((self.sockets.len() - 1) as u32)
        }
    }

    fn take(&mut self, id: SocketId) -> SResult<Socket> {
        self.sockets
            .get_mut(id.0 as usize)
            .and_then(Option::take)
            .ok_or(SocketError::from(Errno::EBADF))
    }

    fn sock(&self, id: SocketId) -> SResult<&Socket> {
        self.sockets
            .get(id.0 as usize)
            .and_then(Option::as_ref)
            .ok_or(SocketError::from(Errno::EBADF))
    }

    fn sock_mut(&mut self, id: SocketId) -> SResult<&mut Socket> {
        self.sockets
            .get_mut(id.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(SocketError::from(Errno::EBADF))
    }

    fn at_eof(s: &Socket) -> bool {
        s.shut_rd
            || match s.one_assoc().and_then(|a| s.assocs.get(&a)) {
                Some(a) => a.peer_done,
                None => s.conn == Conn::Closed,
            }
    }

    fn has_room(&self, s: &Socket, a: AssociationId) -> bool {
        s.port
            .and_then(|p| self.ports.get(&p))
            .and_then(|p| p.endpoint.buffered_amount(a))
            .is_some_and(|b| b < s.config.send_buffer)
    }

    /// Sets SCTP-AUTH endpoint pair shared key `key_id` (RFC 6458 §8.3.3,
    /// SCTP_AUTH_KEY; the one option whose value has a variable length).
    /// `assoc_id` `None`: the socket's endpoint, for its future
    /// associations (on a connected one-to-one socket: its association).
    /// The socket must be bound or connected. An empty `secret` is the
    /// null key.
    pub fn set_auth_key(
        &mut self,
        id: SocketId,
        assoc_id: Option<AssociationId>,
        key_id: u16,
        secret: &[u8],
    ) -> SResult<()> {
        let (port_no, aid) = self.auth_target(id, assoc_id)?;
        self.ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::ENOTCONN))?
            .endpoint
            .set_auth_key(aid, key_id, secret)
            .map_err(|e| errno::from_core(&e))
    }

    /// The endpoint (by port) and association an SCTP-AUTH key option is
    /// for.
    fn auth_target(
        &self,
        id: SocketId,
        assoc_id: Option<AssociationId>,
    ) -> SResult<(u16, Option<AssociationId>)> {
        let s = self.sock(id)?;
        let port = s.port.ok_or(err(
            Errno::EINVAL,
            "SCTP-AUTH keys live in the socket's endpoint: bind or connect the socket first",
        ))?;
        let aid = match (assoc_id, s.kind) {
            (Some(a), _) => Some(self.pick_assoc(s, Some(a))?),
            (None, SocketKind::OneToOne) => s.one_assoc(),
            (None, SocketKind::OneToMany) => None,
        };
        Ok((port, aid))
    }

    fn pick_assoc(&self, s: &Socket, assoc: Option<AssociationId>) -> SResult<AssociationId> {
        match s.kind {
            SocketKind::OneToOne => s.one_assoc().ok_or(SocketError::from(Errno::ENOTCONN)),
            SocketKind::OneToMany => {
                let a = assoc.ok_or(err(
                    Errno::EINVAL,
                    "one-to-many sockets need an assoc_id for this call",
                ))?;
                if s.assocs.contains_key(&a) {
                    Ok(a)
                } else {
                    Err(err(Errno::EINVAL, "no such association on this socket"))
                }
            }
        }
    }

    /// The endpoint holding the socket's association `assoc` (see
    /// `pick_assoc`), the association and the port.
    fn assoc_endpoint(
        &mut self,
        id: SocketId,
        assoc: Option<AssociationId>,
    ) -> SResult<(&mut Endpoint, AssociationId, u16)> {
        let s = self.sock(id)?;
        let aid = self.pick_assoc(s, assoc)?;
        let port_no = s.port.unwrap_or(0);
        let port = self
            .ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::ENOTCONN))?;
        Ok((&mut port.endpoint, aid, port_no))
    }

    fn stats_of(&self, s: &Socket, aid: AssociationId) -> SResult<AssociationStats> {
        s.port
            .and_then(|p| self.ports.get(&p))
            .and_then(|p| p.endpoint.stats(aid))
            .ok_or(err(Errno::EINVAL, "the association has ended"))
    }

    fn ephemeral_port(&mut self) -> SResult<u16> {
        for _ in 0..=(u16::MAX - EPHEMERAL_FIRST) {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                p + 1
            };
            if !self.ports.contains_key(&p) {
                return Ok(p);
            }
        }
        Err(err(Errno::EADDRNOTAVAIL, "no ephemeral port left"))
    }

    fn new_endpoint(
        &mut self,
        port: u16,
        accept: bool,
        cfg: &AssociationConfig,
    ) -> SResult<Endpoint> {
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        Endpoint::new(
            EndpointConfig {
                port,
                accept_incoming: accept,
                max_associations: self.config.max_associations,
                association: cfg.clone(),
                local_addresses: Vec::new(),
            },
            seed,
        )
        .map_err(|e| errno::from_core(&e))
    }

    /// Reserves `port` for socket `id` (creating the endpoint, not yet
    /// accepting associations).
    fn attach_port(&mut self, id: SocketId, port: u16, local: Vec<SocketAddr>) -> SResult<()> {
        let cfg = self.sock(id)?.config.clone();
        let endpoint = self.new_endpoint(port, false, &cfg)?;
        self.ports.insert(
            port,
            Port {
                endpoint,
                accept_incoming: false,
                refs: 1,
                owners: HashMap::new(),
                orphans: HashSet::new(),
                listener: None,
                local: local.clone(),
            },
        );
        let s = self.sock_mut(id)?;
        s.port = Some(port);
        s.local = local;
        Ok(())
    }

    fn add_local(&mut self, id: SocketId, port: u16, addrs: &[SocketAddr]) -> SResult<()> {
        let s = self.sock_mut(id)?;
        for a in addrs {
            let a = SocketAddr::new(a.ip(), port);
            if !s.local.contains(&a) {
                s.local.push(a);
            }
        }
        let local = s.local.clone();
        if let Some(p) = self.ports.get_mut(&port) {
            p.local = local;
        }
        Ok(())
    }

    /// Makes the port's endpoint accept (or refuse) incoming associations.
    /// The Endpoint API fixes `accept_incoming` at creation, so the
    /// endpoint is recreated when it holds no associations; otherwise
    /// unwanted incoming associations are aborted once they come up.
    fn ensure_endpoint(&mut self, _now: Instant, port_no: u16, accept: bool) -> SResult<()> {
        let Some(port) = self.ports.get(&port_no) else {
            return Ok(());
        };
        if port.accept_incoming == accept {
            return Ok(());
        }
        if port.owners.is_empty() && port.orphans.is_empty() {
            let cfg = port
                .listener
                .and_then(|l| self.sock(l).ok())
                .map(|s| s.config.clone())
                .unwrap_or_else(|| port.endpoint.config().association.clone());
            let keys = port.endpoint.shared_keys().clone();
            let mut ep = self.new_endpoint(port_no, accept, &cfg)?;
            // SCTP-AUTH keys set on the socket stay with it.
            ep.set_shared_keys(keys);
            if let Some(port) = self.ports.get_mut(&port_no) {
                port.endpoint = ep;
                port.accept_incoming = accept;
            }
        }
        Ok(())
    }

    /// After a socket's future-association config changed: rebuild an idle
    /// endpoint so accepted associations use it.
    fn refresh_endpoint(&mut self, _now: Instant, port_no: u16, id: SocketId) {
        let Some(port) = self.ports.get(&port_no) else {
            return;
        };
        if !port.owners.is_empty() || !port.orphans.is_empty() {
            return;
        }
        let accept = port.accept_incoming;
        let Ok(cfg) = self.sock(id).map(|s| s.config.clone()) else {
            return;
        };
        if port.endpoint.config().association == cfg {
            return;
        }
        let keys = port.endpoint.shared_keys().clone();
        if let Ok(mut ep) = self.new_endpoint(port_no, accept, &cfg) {
            // SCTP-AUTH keys set on the socket stay with it.
            ep.set_shared_keys(keys);
            if let Some(port) = self.ports.get_mut(&port_no) {
                port.endpoint = ep;
            }
        }
    }

    fn gc_port(&mut self, port_no: u16) {
        if let Some(p) = self.ports.get(&port_no) {
            if p.refs == 0 && p.owners.is_empty() && p.endpoint.is_idle() {
                self.ports.remove(&port_no);
            }
        }
    }

    fn start_association(
        &mut self,
        now: Instant,
        id: SocketId,
        remotes: &[SocketAddr],
        sctp_port: u16,
        first: SocketAddr,
    ) -> SResult<AssociationId> {
        if self.sock(id)?.port.is_none() {
            self.bind(id, SocketAddr::new(unspecified_like(&first), 0))?;
        }
        let s = self.sock(id)?;
        let port_no = s.port.unwrap_or(0);
        let cfg = s.config.clone();
        let port = self
            .ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::EBADF))?;
        let aid = port
            .endpoint
            .connectx(now, remotes, sctp_port, cfg)
            .map_err(|e| match e {
                crate::Error::InvalidAddress(m) => err(Errno::EADDRNOTAVAIL, m),
                e => errno::from_core(&e),
            })?;
        port.owners.insert(aid, id);
        let s = self.sock_mut(id)?;
        s.assocs.insert(
            aid,
            Assoc {
                peers: remotes.to_vec(),
                up: false,
                peer_done: false,
            },
        );
        if s.kind == SocketKind::OneToOne {
            s.conn = Conn::Connecting;
        }
        self.drain_events(now, port_no);
        Ok(aid)
    }

    fn send_to_assocs(
        &mut self,
        now: Instant,
        id: SocketId,
        port_no: u16,
        targets: &[AssociationId],
        data: Bytes,
        info: &SndInfo,
    ) -> SResult<usize> {
        let s = self.sock(id)?;
        let frag_limit = s.config.mtu.saturating_sub(DATA_OVERHEAD);
        if s.disable_fragments && data.len() > frag_limit {
            return Err(err(
                Errno::EMSGSIZE,
                "message larger than one fragment while SCTP_DISABLE_FRAGMENTS is on",
            ));
        }
        let port = self
            .ports
            .get_mut(&port_no)
            .ok_or(SocketError::from(Errno::ENOTCONN))?;
        let len = data.len();
        if info.flags & snd_flags::ABORT != 0 {
            let reason = String::from_utf8_lossy(&data).into_owned();
            for a in targets {
                port.endpoint
                    .abort(now, *a, &reason)
                    .map_err(|e| errno::from_core(&e))?;
            }
            return Ok(len);
        }
        if !data.is_empty() {
            let opts = SendOptions {
                ppid: Ppid(info.ppid),
                unordered: info.flags & snd_flags::UNORDERED != 0,
                lifetime: match info.pr {
                    Some(PrPolicy::Ttl(ms)) => Some(Duration::from_millis(u64::from(ms))),
                    _ => None,
                },
                max_retransmits: match info.pr {
                    Some(PrPolicy::Rtx(n)) => Some(n),
                    _ => None,
                },
            };
            for a in targets {
                port.endpoint
                    .send(now, *a, StreamId(info.stream), data.clone(), opts)
                    .map_err(|e| errno::from_core(&e))?;
            }
        } else if info.flags & snd_flags::EOF == 0 {
            return Err(err(
                Errno::EINVAL,
                "empty message: SCTP user messages need at least one byte",
            ));
        }
        if info.flags & snd_flags::EOF != 0 {
            for a in targets {
                port.endpoint
                    .shutdown(now, *a)
                    .map_err(|e| errno::from_core(&e))?;
            }
            if let Ok(s) = self.sock_mut(id) {
                if s.kind == SocketKind::OneToOne {
                    s.shut_wr = true;
                }
            }
        }
        Ok(len)
    }

    /// Moves the endpoint's events into the sockets' queues.
    fn drain_events(&mut self, now: Instant, port_no: u16) {
        loop {
            let Some(port) = self.ports.get_mut(&port_no) else {
                return;
            };
            let Some((aid, ev)) = port.endpoint.poll_event() else {
                break;
            };
            match port.owners.get(&aid).copied() {
                Some(sid) => self.deliver(now, port_no, sid, aid, ev),
                None if port.orphans.contains(&aid) => {
                    if matches!(ev, Event::Closed(_)) {
                        port.orphans.remove(&aid);
                    }
                }
                None => {
                    if let Event::Connected { .. } = ev {
                        self.incoming(now, port_no, aid, ev);
                    }
                }
            }
        }
        self.gc_port(port_no);
    }

    /// A new association that the peer initiated came up.
    fn incoming(&mut self, now: Instant, port_no: u16, aid: AssociationId, ev: Event) {
        let Some(port) = self.ports.get_mut(&port_no) else {
            return;
        };
        let peers = port.endpoint.peer_addresses(aid).unwrap_or_default();
        let listener = port.listener.and_then(|l| {
            self.sockets
                .get(l.0 as usize)
                .and_then(Option::as_ref)
                .map(|s| (l, s))
        });
        let target = match listener {
            Some((l, s)) if s.kind == SocketKind::OneToMany && s.backlog > 0 => Some(l),
            Some((l, s))
                if s.kind == SocketKind::OneToOne
                    && s.conn == Conn::Listening
                    && s.accept_queue.len() < s.backlog =>
            {
                let child = Socket::child(s);
                let cid = self.insert(child);
                if let Some(ls) = self.sockets.get_mut(l.0 as usize).and_then(Option::as_mut) {
                    ls.accept_queue.push_back(cid);
                }
                if let Some(p) = self.ports.get_mut(&port_no) {
                    p.refs += 1;
                }
                Some(cid)
            }
            _ => None,
        };
        let Some(port) = self.ports.get_mut(&port_no) else {
            return;
        };
        match target {
            Some(sid) => {
                port.owners.insert(aid, sid);
                if let Some(s) = self
                    .sockets
                    .get_mut(sid.0 as usize)
                    .and_then(Option::as_mut)
                {
                    s.assocs.insert(
                        aid,
                        Assoc {
                            peers,
                            up: false,
                            peer_done: false,
                        },
                    );
                }
                self.deliver(now, port_no, sid, aid, ev);
            }
            None => {
                // RFC 6458 §4.1.3: beyond the backlog (or not listening) the
                // association is refused.
                if port
                    .endpoint
                    .abort(now, aid, "not accepting associations (backlog full)")
                    .is_ok()
                {
                    port.orphans.insert(aid);
                }
            }
        }
    }

    fn deliver(
        &mut self,
        _now: Instant,
        port_no: u16,
        sid: SocketId,
        aid: AssociationId,
        ev: Event,
    ) {
        let Some(s) = self
            .sockets
            .get_mut(sid.0 as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        let from = s.assocs.get(&aid).and_then(|a| a.peers.first().copied());
        match ev {
            Event::Connected {
                outbound_streams,
                inbound_streams,
            } => {
                let peers = self
                    .ports
                    .get(&port_no)
                    .and_then(|p| p.endpoint.peer_addresses(aid));
                if let Some(a) = s.assocs.get_mut(&aid) {
                    a.up = true;
                    if let Some(p) = peers {
                        if !p.is_empty() {
                            a.peers = p;
                        }
                    }
                }
                if s.kind == SocketKind::OneToOne {
                    s.conn = Conn::Connected;
                }
                let from = s.assocs.get(&aid).and_then(|a| a.peers.first().copied());
                s.notify(
                    assoc_change(
                        AssocChangeState::CommUp,
                        aid,
                        (outbound_streams, inbound_streams),
                        String::new(),
                    ),
                    aid,
                    from,
                );
            }
            Event::Restarted => {
                let streams = self
                    .ports
                    .get(&port_no)
                    .and_then(|p| p.endpoint.stats(aid))
                    .map_or((0, 0), |st| (st.outbound_streams, st.inbound_streams));
                s.notify(
                    assoc_change(AssocChangeState::Restart, aid, streams, String::new()),
                    aid,
                    from,
                );
            }
            Event::Message {
                stream,
                ppid,
                unordered,
                data,
            } => {
                if s.shut_rd {
                    return;
                }
                s.rx.push_back(RecvMsg {
                    data,
                    info: RcvInfo {
                        stream: stream.0,
                        flags: if unordered { snd_flags::UNORDERED } else { 0 },
                        ppid: ppid.0,
                        ..RcvInfo::for_assoc(aid, s.default_sndinfo.context)
                    },
                    from,
                    notification: None,
                    eor: true,
                });
            }
            Event::SendFailed {
                stream,
                ppid,
                reason,
                data,
            } => s.notify(
                Notification::SendFailed {
                    sent: reason != SendFailure::Abandoned,
                    info: SndInfo {
                        stream: stream.0,
                        ppid: ppid.0,
                        assoc_id: Some(aid),
                        ..SndInfo::default()
                    },
                    data,
                },
                aid,
                from,
            ),
            Event::RemoteError(text) => s.notify(
                Notification::RemoteError {
                    text,
                    assoc_id: aid,
                },
                aid,
                from,
            ),
            Event::PeerAddressChange { address, state, .. } => {
                let peers = self
                    .ports
                    .get(&port_no)
                    .and_then(|p| p.endpoint.peer_addresses(aid));
                if let (Some(a), Some(p)) = (s.assocs.get_mut(&aid), peers) {
                    if !p.is_empty() {
                        a.peers = p;
                    }
                }
                s.notify(
                    Notification::PeerAddrChange {
                        address,
                        state: PeerAddrChangeState::from_core(state),
                        assoc_id: aid,
                    },
                    aid,
                    from,
                );
            }
            Event::ShutdownReceived => {
                if let Some(a) = s.assocs.get_mut(&aid) {
                    a.peer_done = true;
                }
                s.notify(Notification::Shutdown { assoc_id: aid }, aid, from);
            }
            Event::SenderDry => s.notify(Notification::SenderDry { assoc_id: aid }, aid, from),
            Event::StreamsReset {
                direction,
                streams,
                result,
            } => {
                let dir = match direction {
                    StreamDirection::Incoming => stream_flags::RESET_INCOMING_SSN,
                    StreamDirection::Outgoing => stream_flags::RESET_OUTGOING_SSN,
                };
                let n = Notification::StreamReset {
                    flags: dir | stream_flags::of(result),
                    streams: streams.iter().map(|s| s.0).collect(),
                    assoc_id: aid,
                };
                s.notify(n, aid, from);
            }
            Event::AssociationReset {
                local_tsn,
                remote_tsn,
                result,
            } => {
                let n = Notification::AssocReset {
                    flags: stream_flags::of(result),
                    local_tsn: local_tsn.0,
                    remote_tsn: remote_tsn.0,
                    assoc_id: aid,
                };
                s.notify(n, aid, from);
            }
            Event::StreamsAdded {
                inbound_streams,
                outbound_streams,
                result,
            } => {
                let n = Notification::StreamChange {
                    flags: stream_flags::of(result),
                    inbound_streams,
                    outbound_streams,
                    assoc_id: aid,
                };
                s.notify(n, aid, from);
            }
            Event::Authentication { key_id, indication } => s.notify(
                Notification::Authentication {
                    key_id,
                    indication,
                    assoc_id: aid,
                },
                aid,
                from,
            ),
            Event::BufferedAmountLow => {}
            Event::Closed(reason) => {
                let was_up = s.assocs.get(&aid).is_some_and(|a| a.up);
                let state = match (&reason, was_up) {
                    (CloseReason::Shutdown, _) => AssocChangeState::ShutdownComp,
                    (_, true) => AssocChangeState::CommLost,
                    (_, false) => AssocChangeState::CantStartAssoc,
                };
                let errno = match (&reason, was_up) {
                    (CloseReason::Shutdown, _) => None,
                    (CloseReason::PeerAborted(_), false) => Some(Errno::ECONNREFUSED),
                    (CloseReason::PeerAborted(_), true) => Some(Errno::ECONNRESET),
                    (CloseReason::LocallyAborted(_), _) => Some(Errno::ECONNABORTED),
                    _ => Some(Errno::ETIMEDOUT),
                };
                let text = close_reason_text(&reason);
                s.notify(assoc_change(state, aid, (0, 0), text), aid, from);
                if s.kind == SocketKind::OneToOne {
                    if let Some(a) = s.assocs.get_mut(&aid) {
                        a.peer_done = true;
                    }
                    s.conn = Conn::Closed;
                    if errno.is_some() {
                        s.error = errno;
                    }
                } else {
                    s.assocs.remove(&aid);
                }
                if let Some(p) = self.ports.get_mut(&port_no) {
                    if s.kind == SocketKind::OneToMany {
                        p.owners.remove(&aid);
                    }
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

/// `srs_flags` of SCTP_RESET_STREAMS (RFC 6525 §6.3.2).
pub mod reset_streams_flags {
    /// SCTP_STREAM_RESET_INCOMING: ask the peer to reset its streams.
    pub const INCOMING: u16 = 0x01;
    /// SCTP_STREAM_RESET_OUTGOING: reset our streams.
    pub const OUTGOING: u16 = 0x02;
}

/// The `assoc_id` key of an association-configuring option, if any.
/// A core error about an address argument: EADDRNOTAVAIL for a refused
/// address, the usual mapping otherwise.
fn address_error(e: crate::Error) -> SocketError {
    match e {
        crate::Error::InvalidAddress(m) => err(Errno::EADDRNOTAVAIL, m),
        e => errno::from_core(&e),
    }
}

fn assoc_key(opt: &SocketOption) -> Option<AssociationId> {
    match opt {
        SocketOption::RtoInfo(r) => r.assoc_id,
        SocketOption::AssocInfo(a) => a.assoc_id,
        SocketOption::PeerAddrParams(p) => p.assoc_id,
        SocketOption::PeerAddrThresholds(t) => t.assoc_id,
        SocketOption::EnableStreamReset { assoc_id, .. } => *assoc_id,
        _ => None,
    }
}
