//! The [`ScriptTarget`] over the core's RFC 6458 facade,
//! [`anysctp::socket::SocketStack`].
//!
//! The stack's transport address is [`LOCAL_ADDR`] (`192.168.0.1:8080`):
//! the socket facade treats a transport address as an opaque address whose
//! port is also the SCTP port, which is exactly the scripts' SCTP-over-IP
//! view. The peer is [`REMOTE_ADDR`], its SCTP port 34567.
//!
//! Blocking sockets are emulated: a call that would block (`EAGAIN`, or a
//! `connect` in progress) is reported [`CallResult::Pending`] and retried by
//! [`ScriptTarget::poll_pending`] until the socket is ready.
//!
//! `sysctl` commands map onto [`AssociationConfig`] (for associations of
//! sockets created afterwards): `net.inet.sctp.pr_enable` and
//! `net.inet.sctp.reconfig_enable`. The other extensions the scripts turn
//! off (ASCONF, AUTH, ECN, NR-SACK, PKTDROP) are never offered by the core,
//! so those commands are accepted and change nothing.

use std::collections::HashMap;
use std::net::SocketAddr;

use anysctp::socket::{
    snd_flags, InitMsg, PeerAddrParams, PrPolicy, RtoInfo, Shutdown, SndInfo, SocketError,
    SocketId, SocketKind, SocketOption, SocketStack, StackConfig,
};
use anysctp::{AssociationConfig, AssociationState, Instant};
use bytes::Bytes;

use crate::ast::Expr;
use crate::target::{CallResult, Fd, ScriptTarget, Sent, SysCall, LOCAL_ADDR, REMOTE_ADDR};

/// Largest SCTP packet on the scripts' link: packetdrill's 1500-byte
/// MTU less the 20-byte IPv4 header.
const LINK_MTU: usize = 1500 - 20;

/// Largest packet the stack writes (the facade's documented bound).
const TX_BUF: usize = 65_536;

/// A [`ScriptTarget`] running one [`SocketStack`].
pub struct SocketTarget {
    stack: SocketStack,
    config: AssociationConfig,
    /// A blocking call waiting for readiness, with its socket.
    pending: Option<Waiting>,
    /// Sockets by fd (the fd is the socket id).
    ids: HashMap<Fd, SocketId>,
    buf: Vec<u8>,
}

#[derive(Clone, Debug)]
enum Waiting {
    /// A call retried as is until it stops saying EAGAIN.
    Retry(SysCall),
    /// A blocking `connect` waiting for the association (or its failure).
    Connect(SocketId),
}

impl Default for SocketTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl SocketTarget {
    /// A stack with the core's default association settings.
    pub fn new() -> Self {
        // packetdrill's tun device has an MTU of 1500 bytes; the core's
        // default (1200) is meant for unknown paths under UDP encapsulation.
        // The core's MTU is the SCTP packet's (here IPv4 is the only
        // header below it).
        let config = AssociationConfig {
            mtu: LINK_MTU,
            ..AssociationConfig::default()
        };
        Self {
            stack: Self::stack_with(config.clone()),
            config,
            pending: None,
            ids: HashMap::new(),
            buf: vec![0; TX_BUF],
        }
    }

    /// A fresh target behind the runner's trait object.
    pub fn boxed() -> Box<dyn ScriptTarget> {
        Box::new(Self::new())
    }

    fn stack_with(association: AssociationConfig) -> SocketStack {
        let config = StackConfig {
            association,
            ..StackConfig::default()
        };
        // The default configuration validates; a knob the adapter sets
        // is only ever a boolean, so this cannot fail either.
        SocketStack::new(config).unwrap_or_else(|e| panic!("stack configuration rejected: {e}"))
    }

    fn id(&self, fd: Fd) -> Result<SocketId, CallResult> {
        self.ids
            .get(&fd)
            .copied()
            .ok_or_else(|| CallResult::Failed("EBADF".into()))
    }

    fn blocking(&self, id: SocketId) -> bool {
        self.stack.is_nonblocking(id).is_ok_and(|nb| !nb)
    }

    fn new_fd(&mut self, id: SocketId) -> Fd {
        let fd = Fd::from(id.0) + 3;
        self.ids.insert(fd, id);
        fd
    }

    /// Runs `call`; the flag is true when it would block (EAGAIN).
    fn run(&mut self, now: Instant, call: &SysCall) -> (CallResult, bool) {
        let r = match self.exec(now, call) {
            Ok(r) | Err(r) => r,
        };
        let would_block = matches!(&r, CallResult::Failed(e) if e == "EAGAIN");
        (r, would_block)
    }

    fn exec(&mut self, now: Instant, call: &SysCall) -> Result<CallResult, CallResult> {
        let done = |ret: i64| CallResult::Done { ret, out: None };
        let failed = |e: SocketError| CallResult::Failed(e.errno.name().to_string());
        Ok(match call {
            SysCall::Socket { one_to_one } => {
                let kind = if *one_to_one {
                    SocketKind::OneToOne
                } else {
                    SocketKind::OneToMany
                };
                let id = self.stack.socket(kind);
                done(self.new_fd(id))
            }
            SysCall::Bind { fd, addr } => {
                let id = self.id(*fd)?;
                self.stack.bind(id, *addr).map_or_else(failed, |()| done(0))
            }
            SysCall::Listen { fd, backlog } => {
                let id = self.id(*fd)?;
                let backlog = usize::try_from(*backlog).unwrap_or(usize::MAX);
                self.stack
                    .listen(now, id, backlog)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::Accept { fd } => {
                let id = self.id(*fd)?;
                match self.stack.accept(id) {
                    Ok((child, _)) => done(self.new_fd(child)),
                    Err(e) => failed(e),
                }
            }
            SysCall::Connect { fd, addrs } => {
                let id = self.id(*fd)?;
                let addrs = if addrs.is_empty() {
                    vec![REMOTE_ADDR]
                } else {
                    addrs.clone()
                };
                match self.stack.connectx(now, id, &addrs, REMOTE_ADDR.port()) {
                    Ok(_) if self.blocking(id) => {
                        self.pending = Some(Waiting::Connect(id));
                        CallResult::Pending
                    }
                    Ok(_) => CallResult::Failed("EINPROGRESS".into()),
                    Err(e) => failed(e),
                }
            }
            SysCall::Read { fd, len } => {
                let id = self.id(*fd)?;
                let mut buf = vec![0u8; *len];
                match self.stack.read(id, &mut buf) {
                    Ok(n) => done(i64::try_from(n).unwrap_or(i64::MAX)),
                    Err(e) => failed(e),
                }
            }
            SysCall::Write { fd, len } => {
                let id = self.id(*fd)?;
                let data = vec![0u8; *len];
                match self.stack.write(now, id, &data) {
                    Ok(n) => done(i64::try_from(n).unwrap_or(i64::MAX)),
                    Err(e) => failed(e),
                }
            }
            SysCall::SendMsg {
                fd,
                len,
                ppid,
                unordered,
                stream,
                ttl_ms,
            } => {
                let id = self.id(*fd)?;
                let info = SndInfo {
                    stream: *stream,
                    flags: if *unordered { snd_flags::UNORDERED } else { 0 },
                    ppid: *ppid,
                    pr: (*ttl_ms != 0).then_some(PrPolicy::Ttl(*ttl_ms)),
                    ..SndInfo::default()
                };
                let data = Bytes::from(vec![0u8; *len]);
                match self.stack.sendmsg(now, id, data, Some(&info), None) {
                    Ok(n) => done(i64::try_from(n).unwrap_or(i64::MAX)),
                    Err(e) => failed(e),
                }
            }
            SysCall::SetInterleaving { fd, on } => {
                self.set(now, *fd, SocketOption::InterleavingSupported(*on))?
            }
            SysCall::SetEnableStreamReset { fd, value } => self.set(
                now,
                *fd,
                SocketOption::EnableStreamReset {
                    assoc_id: None,
                    value: *value,
                },
            )?,
            SysCall::ResetStreams { fd, flags, streams } => {
                let id = self.id(*fd)?;
                self.stack
                    .reset_streams(now, id, None, *flags, streams)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::AddStreams {
                fd,
                instrms,
                outstrms,
            } => {
                let id = self.id(*fd)?;
                self.stack
                    .add_streams(now, id, None, *instrms, *outstrms)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::ResetAssoc { fd } => {
                let id = self.id(*fd)?;
                self.stack
                    .reset_assoc(now, id, None)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::Close { fd } => {
                let id = self.id(*fd)?;
                self.ids.remove(fd);
                self.stack.close(now, id).map_or_else(failed, |()| done(0))
            }
            SysCall::Shutdown { fd, read, write } => {
                let id = self.id(*fd)?;
                let how = match (read, write) {
                    (true, true) => Shutdown::Both,
                    (true, false) => Shutdown::Read,
                    _ => Shutdown::Write,
                };
                self.stack
                    .shutdown(now, id, how)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::GetNonblocking { fd } => {
                let id = self.id(*fd)?;
                self.stack
                    .is_nonblocking(id)
                    .map_or_else(failed, |nb| done(i64::from(nb)))
            }
            SysCall::SetNonblocking { fd, on } => {
                let id = self.id(*fd)?;
                self.stack
                    .set_nonblocking(id, *on)
                    .map_or_else(failed, |()| done(0))
            }
            SysCall::SetRtoInfo {
                fd,
                initial,
                max,
                min,
            } => {
                let opt = SocketOption::RtoInfo(RtoInfo {
                    assoc_id: None,
                    initial: initial.unwrap_or(0),
                    max: max.unwrap_or(0),
                    min: min.unwrap_or(0),
                });
                self.set(now, *fd, opt)?
            }
            SysCall::SetInitMsg {
                fd,
                ostreams,
                instreams,
                max_attempts,
                max_init_timeo,
            } => {
                let opt = SocketOption::InitMsg(InitMsg {
                    num_ostreams: ostreams.unwrap_or(0),
                    max_instreams: instreams.unwrap_or(0),
                    max_attempts: max_attempts.unwrap_or(0),
                    max_init_timeo: max_init_timeo.unwrap_or(0),
                });
                self.set(now, *fd, opt)?
            }
            SysCall::SetPeerAddrParams {
                fd,
                hb_interval,
                path_max_rxt,
                hb_disable,
                hb_enable,
            } => {
                use anysctp::socket::spp_flags;
                let mut flags = 0;
                if *hb_disable {
                    flags |= spp_flags::HB_DISABLE;
                }
                if *hb_enable {
                    flags |= spp_flags::HB_ENABLE;
                }
                let opt = SocketOption::PeerAddrParams(PeerAddrParams {
                    assoc_id: None,
                    address: None,
                    hbinterval: hb_interval.unwrap_or(0),
                    pathmaxrxt: path_max_rxt.unwrap_or(0),
                    pathmtu: 0,
                    flags,
                });
                self.set(now, *fd, opt)?
            }
            SysCall::GetSoError { fd } => {
                let id = self.id(*fd)?;
                match self.stack.getsockopt(id, SocketOption::Error(None)) {
                    Ok(SocketOption::Error(e)) => CallResult::Done {
                        ret: 0,
                        out: Some(e.map_or(Expr::Int(0), |e| Expr::Ident(e.name().into()))),
                    },
                    Ok(_) => CallResult::Failed("EINVAL".into()),
                    Err(e) => failed(e),
                }
            }
            SysCall::GetStatus { fd } => {
                let id = self.id(*fd)?;
                let q = SocketOption::Status(anysctp::socket::Status {
                    assoc_id: None,
                    state: AssociationState::Closed,
                    rwnd: 0,
                    unacked_bytes: 0,
                    pending_bytes: 0,
                    instrms: 0,
                    outstrms: 0,
                    fragmentation_point: 0,
                    primary: None,
                });
                match self.stack.getsockopt(id, q) {
                    Ok(SocketOption::Status(s)) => CallResult::Done {
                        ret: 0,
                        out: Some(status_expr(&s)),
                    },
                    Ok(_) => CallResult::Failed("EINVAL".into()),
                    Err(e) => failed(e),
                }
            }
        })
    }

    fn set(&mut self, now: Instant, fd: Fd, opt: SocketOption) -> Result<CallResult, CallResult> {
        let id = self.id(fd)?;
        Ok(match self.stack.setsockopt(now, id, opt) {
            Ok(()) => CallResult::Done { ret: 0, out: None },
            Err(e) => CallResult::Failed(e.errno.name().to_string()),
        })
    }

    fn poll_connect(&mut self, id: SocketId) -> Option<CallResult> {
        let r = self.stack.readiness(id).ok()?;
        if r.error {
            let e = match self.stack.getsockopt(id, SocketOption::Error(None)) {
                Ok(SocketOption::Error(Some(e))) => e.name(),
                _ => "ECONNREFUSED",
            };
            return Some(CallResult::Failed(e.into()));
        }
        let up = self.stack.stats(id, None).is_ok_and(|s| {
            !matches!(
                s.state,
                AssociationState::CookieWait | AssociationState::CookieEchoed
            )
        });
        (r.writable || up).then_some(CallResult::Done { ret: 0, out: None })
    }
}

/// `sctp_status` as the runner compares it.
fn status_expr(s: &anysctp::socket::Status) -> Expr {
    let state = match s.state {
        AssociationState::CookieWait => "SCTP_COOKIE_WAIT",
        AssociationState::CookieEchoed => "SCTP_COOKIE_ECHOED",
        AssociationState::Established => "SCTP_ESTABLISHED",
        AssociationState::ShutdownPending => "SCTP_SHUTDOWN_PENDING",
        AssociationState::ShutdownSent => "SCTP_SHUTDOWN_SENT",
        AssociationState::ShutdownReceived => "SCTP_SHUTDOWN_RECEIVED",
        AssociationState::ShutdownAckSent => "SCTP_SHUTDOWN_ACK_SENT",
        _ => "SCTP_CLOSED",
    };
    Expr::Struct(vec![
        ("sstat_state".into(), Expr::Ident(state.into())),
        ("sstat_rwnd".into(), Expr::Int(i64::from(s.rwnd))),
        (
            "sstat_unackdata".into(),
            Expr::Int(i64::from(s.unacked_bytes)),
        ),
        (
            "sstat_penddata".into(),
            Expr::Int(i64::from(s.pending_bytes)),
        ),
        ("sstat_instrms".into(), Expr::Int(i64::from(s.instrms))),
        ("sstat_outstrms".into(), Expr::Int(i64::from(s.outstrms))),
        (
            "sstat_fragmentation_point".into(),
            Expr::Int(i64::from(s.fragmentation_point)),
        ),
    ])
}

impl ScriptTarget for SocketTarget {
    fn call(&mut self, now: Instant, call: &SysCall) -> CallResult {
        let (r, would_block) = self.run(now, call);
        let fd = match call {
            SysCall::Accept { fd }
            | SysCall::Read { fd, .. }
            | SysCall::Write { fd, .. }
            | SysCall::SendMsg { fd, .. } => Some(*fd),
            _ => None,
        };
        match (would_block, fd.and_then(|fd| self.ids.get(&fd).copied())) {
            (true, Some(id)) if self.blocking(id) => {
                self.pending = Some(Waiting::Retry(call.clone()));
                CallResult::Pending
            }
            _ => r,
        }
    }

    fn poll_pending(&mut self, now: Instant) -> Option<CallResult> {
        let res = match self.pending.clone()? {
            Waiting::Connect(id) => self.poll_connect(id),
            Waiting::Retry(call) => match self.run(now, &call) {
                (_, true) => None,
                (r, false) => Some(r),
            },
        };
        if res.is_some() {
            self.pending = None;
        }
        res
    }

    fn inject(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, packet: &[u8]) {
        self.stack
            .handle_datagram(now, Some(to), from, Bytes::copy_from_slice(packet));
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Sent> {
        let t = self.stack.poll_transmit(now, &mut self.buf)?;
        Some(Sent {
            from: t.source.unwrap_or(LOCAL_ADDR),
            to: t.destination,
            bytes: self.buf.get(..t.len).unwrap_or(&[]).to_vec(),
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.stack.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.stack.handle_timeout(now);
    }

    fn command(&mut self, _now: Instant, cmd: &str) -> Result<(), String> {
        let Some(setting) = cmd.trim().strip_prefix("sysctl -i ") else {
            return Err(format!("unsupported command `{cmd}`"));
        };
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("no value in `{cmd}`"))?;
        let on = value.trim() != "0";
        match name.trim() {
            "net.inet.sctp.pr_enable" => self.config.partial_reliability = on,
            "net.inet.sctp.reconfig_enable" => self.config.reconfig = on,
            // Extensions the core never offers: nothing to turn off.
            "net.inet.sctp.asconf_enable"
            | "net.inet.sctp.auth_enable"
            | "net.inet.sctp.ecn_enable"
            | "net.inet.sctp.nrsack_enable"
            | "net.inet.sctp.nrsack_on_off"
            | "net.inet.sctp.pktdrop_enable"
                if !on =>
            {
                return Ok(())
            }
            "net.inet.sctp.auth_disable" if on => return Ok(()),
            other => return Err(format!("unsupported sysctl {other}")),
        }
        if !self.ids.is_empty() {
            return Err("sysctl after sockets were created is not modelled".into());
        }
        self.stack = Self::stack_with(self.config.clone());
        Ok(())
    }
}
