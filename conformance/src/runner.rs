//! Executes a parsed script against a [`ScriptTarget`] in virtual time.
//!
//! packetdrill semantics kept here:
//! - relative times count from the previous event's script time (from the
//!   actual time after `*` or a range, whose time is only known then);
//! - an expected packet must be the next packet the stack sent, sent within
//!   `--tolerance_usecs` of its time; any other packet is a failure;
//! - the stack's initiate tag and initial TSN are learned from the INIT or
//!   INIT ACK it sends: injected packets carry the live tag in the common
//!   header, and TSNs of the stack's TSN space (SACK/SHUTDOWN cumulative
//!   acks injected, DATA TSNs expected) are mapped between the script's
//!   numbering and the live one; `COOKIE_ECHO[val=...]` echoes the cookie
//!   of the last INIT ACK the stack sent;
//! - system calls must return what the script says; a call on a blocking
//!   socket that cannot complete stays pending while later events run.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use anysctp::Instant;

use crate::ast::*;
use crate::codec::{self, Mapper, RawChunk, RawTlv, SentPacket};
use crate::parse::chunk_type_by_name;
use crate::target::{CallResult, ScriptTarget, Sent, SysCall, LOCAL_ADDR, REMOTE_ADDR};

/// Virtual time of script time 0 (host microseconds).
const EPOCH_USECS: u64 = 1_000_000;
/// How long a `*` packet is waited for.
const ANY_TIME_LIMIT_USECS: i64 = 600_000_000;
/// Bound on timer firings while advancing time (a runaway timer is a failure).
const MAX_TIMER_STEPS: usize = 100_000;

/// Why a script failed: the first mismatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Script line of the event that failed.
    pub line: u32,
    /// Virtual time (microseconds since the script started).
    pub time_usecs: i64,
    /// Expected versus actual.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} at {}.{:06}s: {}",
            self.line,
            self.time_usecs / 1_000_000,
            self.time_usecs.rem_euclid(1_000_000),
            self.message
        )
    }
}

struct Learned {
    local_tag: Option<u32>,
    peer_tag: Option<u32>,
    /// The Initiate Tag of the last INIT injected.
    last_init_tag: Option<u32>,
    /// live TSN = script TSN + offset, for the stack's TSN space.
    tsn_offset: u32,
    cookie: Option<Vec<u8>>,
}

impl Mapper for Learned {
    fn local_tsn(&self, script: u32) -> u32 {
        script.wrapping_add(self.tsn_offset)
    }
    fn cookie(&self) -> Option<&[u8]> {
        self.cookie.as_deref()
    }
}

struct Runner<'t> {
    target: &'t mut dyn ScriptTarget,
    now: i64,
    line: u32,
    queue: VecDeque<(i64, Sent)>,
    fds: HashMap<i64, i64>,
    learned: Learned,
    pending: Option<(u32, Syscall)>,
}

/// Runs `script` against `target`; `Err` holds the first mismatch.
pub fn run_script(script: &Script, target: &mut dyn ScriptTarget) -> Result<(), Failure> {
    let tol = i64::try_from(script.tolerance_usecs()).unwrap_or(i64::MAX);
    let mut r = Runner {
        target,
        now: 0,
        line: 0,
        queue: VecDeque::new(),
        fds: HashMap::new(),
        learned: Learned {
            local_tag: None,
            peer_tag: None,
            last_init_tag: None,
            tsn_offset: 0,
            cookie: None,
        },
        pending: None,
    };
    let mut last = 0i64;
    for ev in &script.events {
        r.line = ev.line;
        let (lo, hi) = match ev.time {
            EventTime::Any => (r.now, r.now.saturating_add(ANY_TIME_LIMIT_USECS)),
            EventTime::Absolute { start, end } => (start, end.unwrap_or(start)),
            EventTime::Relative { start, end } => (last + start, last + end.unwrap_or(start)),
        };
        let exact = matches!(
            ev.time,
            EventTime::Absolute { end: None, .. } | EventTime::Relative { end: None, .. }
        );
        match &ev.action {
            Action::Packet(p) if p.direction == Direction::Outbound => {
                let (lo, hi) = if exact {
                    (lo - tol, hi + tol)
                } else {
                    (lo, hi)
                };
                let sent_at = r.expect_packet(p, lo, hi)?;
                last = if exact { lo + tol } else { sent_at };
            }
            Action::Packet(p) => {
                r.advance_to(lo)?;
                r.inject(p);
                last = lo;
            }
            Action::Syscall(c) => {
                r.advance_to(lo)?;
                r.syscall(c)?;
                last = lo;
            }
            Action::Command(cmd) => {
                r.advance_to(lo)?;
                let now = r.instant();
                r.target
                    .command(now, cmd)
                    .map_err(|e| r.fail(format!("command `{cmd}` failed: {e}")))?;
                last = lo;
            }
        }
        r.check_pending()?;
    }
    if let Some((line, c)) = &r.pending {
        return Err(Failure {
            line: *line,
            time_usecs: r.now,
            message: format!("{}() still blocked at the end of the script", c.name),
        });
    }
    // Packets sent before the last event that no expectation consumed.
    if let Some((t, s)) = r.queue.iter().find(|(t, _)| *t < last) {
        let msg = format!("unexpected packet sent at {t} us: {}", describe(&s.bytes));
        return Err(r.fail(msg));
    }
    Ok(())
}

fn describe(bytes: &[u8]) -> String {
    codec::read_packet(bytes).map_or_else(
        || format!("unreadable packet of {} bytes", bytes.len()),
        |p| p.to_string(),
    )
}

impl Runner<'_> {
    fn instant(&self) -> Instant {
        Instant::from_micros(EPOCH_USECS.saturating_add_signed(self.now))
    }

    fn fail(&self, message: String) -> Failure {
        Failure {
            line: self.line,
            time_usecs: self.now,
            message,
        }
    }

    fn drain(&mut self) {
        let now = self.instant();
        while let Some(s) = self.target.poll_transmit(now) {
            self.queue.push_back((self.now, s));
        }
    }

    fn deadline(&mut self) -> Option<i64> {
        self.target
            .poll_timeout()
            .map(|d| i64::try_from(d.as_micros().saturating_sub(EPOCH_USECS)).unwrap_or(i64::MAX))
    }

    /// Runs timers up to `t` (never backwards), collecting sent packets.
    fn advance_to(&mut self, t: i64) -> Result<(), Failure> {
        self.drain();
        for _ in 0..MAX_TIMER_STEPS {
            self.check_pending()?;
            match self.deadline() {
                Some(d) if d <= t => {
                    self.now = self.now.max(d);
                    let now = self.instant();
                    self.target.handle_timeout(now);
                    self.drain();
                }
                _ => {
                    self.now = self.now.max(t);
                    self.drain();
                    return self.check_pending();
                }
            }
        }
        Err(self.fail("timers keep firing without time passing".into()))
    }

    fn expect_packet(&mut self, p: &PacketEvent, lo: i64, hi: i64) -> Result<i64, Failure> {
        for _ in 0..MAX_TIMER_STEPS {
            if !self.queue.is_empty() {
                break;
            }
            match self.deadline() {
                Some(d) if d <= hi => self.advance_to(d.max(self.now))?,
                _ => {
                    self.advance_to(hi)?;
                    break;
                }
            }
        }
        let Some((t, sent)) = self.queue.pop_front() else {
            return Err(self.fail(format!(
                "expected packet not sent by {hi} us: {}",
                expected_summary(p)
            )));
        };
        let actual = codec::read_packet(&sent.bytes);
        let line = self.line;
        let mismatch = |why: String| Failure {
            line,
            time_usecs: t,
            message: format!(
                "{why}\n    expected: {}\n    actual:   {}",
                expected_summary(p),
                describe(&sent.bytes)
            ),
        };
        if t < lo {
            return Err(mismatch(format!("packet sent at {t} us, before {lo} us")));
        }
        let Some(actual) = actual else {
            return Err(mismatch("the stack sent a malformed packet".into()));
        };
        self.match_packet(p, &actual, &sent).map_err(mismatch)?;
        Ok(t)
    }

    fn inject(&mut self, p: &PacketEvent) {
        let first_is_init =
            matches!(&p.payload, Payload::Chunks(c) if matches!(c.first(), Some(Chunk::Init(_))));
        if let Payload::Chunks(chunks) = &p.payload {
            for c in chunks {
                if let Chunk::Init(i) | Chunk::InitAck(i) = c {
                    // packetdrill takes the peer's tag from the first INIT
                    // (to a listening socket) or INIT ACK (to a connecting
                    // one) only.
                    if let (Val::Is(tag), None) = (&i.tag, self.learned.peer_tag) {
                        self.learned.peer_tag = Some(*tag);
                    }
                    if let (Chunk::Init(_), Val::Is(tag)) = (c, &i.tag) {
                        self.learned.last_init_tag = Some(*tag);
                    }
                }
            }
        }
        let vtag = match p.tag {
            Some(t) => t,
            None if first_is_init => 0,
            None => self.learned.local_tag.unwrap_or(0),
        };
        let bytes = codec::build_packet(
            REMOTE_ADDR.port(),
            LOCAL_ADDR.port(),
            vtag,
            &p.payload,
            p.bad_crc32c,
            &self.learned,
        );
        let (from, to) = match p.addresses {
            Some((s, d)) => (
                std::net::SocketAddr::new(s, REMOTE_ADDR.port()),
                std::net::SocketAddr::new(d, LOCAL_ADDR.port()),
            ),
            None => (REMOTE_ADDR, LOCAL_ADDR),
        };
        let now = self.instant();
        self.target.inject(now, from, to, &bytes);
        self.drain();
    }

    fn match_packet(
        &mut self,
        p: &PacketEvent,
        actual: &SentPacket,
        sent: &Sent,
    ) -> Result<(), String> {
        if !actual.checksum_ok {
            return Err("bad CRC32c".into());
        }
        if sent.to.ip() != REMOTE_ADDR.ip() {
            return Err(format!(
                "sent to {}, expected {}",
                sent.to,
                REMOTE_ADDR.ip()
            ));
        }
        if (actual.src_port, actual.dst_port) != (LOCAL_ADDR.port(), REMOTE_ADDR.port()) {
            return Err(format!(
                "ports {} > {}, expected {} > {}",
                actual.src_port,
                actual.dst_port,
                LOCAL_ADDR.port(),
                REMOTE_ADDR.port()
            ));
        }
        let Payload::Chunks(exp) = &p.payload else {
            return Err("raw payloads cannot be expected".into());
        };
        if exp.len() != actual.chunks.len() {
            return Err(format!(
                "{} chunks expected, {} sent",
                exp.len(),
                actual.chunks.len()
            ));
        }
        let t_bit = actual
            .chunks
            .iter()
            .any(|c| (c.ty == 6 || c.ty == 14) && c.flags & 1 != 0);
        match (exp.first(), self.learned.peer_tag) {
            (Some(Chunk::Init(_)), _) if actual.vtag != 0 => {
                return Err(format!("INIT with verification tag {}", actual.vtag))
            }
            (Some(Chunk::Init(_)), _) => {}
            // RFC 9260 §5.2.2: the INIT ACK or ABORT answering an INIT
            // for an existing association carries that INIT's tag.
            (Some(Chunk::InitAck(_) | Chunk::Abort { .. }), _)
                if self.learned.last_init_tag == Some(actual.vtag) => {}
            (_, Some(peer)) if !t_bit && actual.vtag != peer => {
                return Err(format!(
                    "verification tag {}, expected the peer's {peer}",
                    actual.vtag
                ))
            }
            _ => {}
        }
        for (i, (e, a)) in exp.iter().zip(&actual.chunks).enumerate() {
            self.match_chunk(e, a)
                .map_err(|m| format!("chunk {}: {} {m}", i + 1, e.name()))?;
        }
        Ok(())
    }

    fn match_chunk(&mut self, e: &Chunk, a: &RawChunk) -> Result<(), String> {
        let want_ty = match e {
            Chunk::Generic { ty, .. } => ty.get().copied(),
            other => chunk_type_by_name(other.name()),
        };
        if let Some(t) = want_ty {
            if t != a.ty {
                return Err(format!("but {} was sent", codec::chunk_name(a.ty)));
            }
        }
        let u = |at| a.u32_at(at).ok_or("truncated".to_string());
        let h = |at| a.u16_at(at).ok_or("truncated".to_string());
        match e {
            Chunk::Data {
                flags,
                len,
                tsn,
                sid,
                ssn,
                ppid,
            } => {
                self.match_head_tsn(flags, len, "tsn", tsn, a)?;
                chk("sid", sid, h(4)?)?;
                chk("ssn", ssn, h(6)?)?;
                chk("ppid", ppid, u(8)?)?;
            }
            Chunk::Init(i) | Chunk::InitAck(i) => {
                chk("flgs", &i.flags, a.flags)?;
                chk("a_rwnd", &i.a_rwnd, u(4)?)?;
                chk("os", &i.os, h(8)?)?;
                chk("is", &i.is, h(10)?)?;
                let tlvs = codec::read_tlvs(a.value.get(16..).unwrap_or(&[]));
                match_list(&i.params.items, i.params.more, &tlvs, match_param)?;
                // Learn the live values behind the script's, as packetdrill
                // does: from every INIT the stack sends, but from an INIT ACK
                // only while no tag is known (the first INIT ACK of a
                // passive socket). An INIT ACK answering a later INIT (to an
                // existing association, RFC 9260 §5.2.2) changes nothing.
                if matches!(e, Chunk::InitAck(_)) && self.learned.local_tag.is_some() {
                    return Ok(());
                }
                self.learned.local_tag = Some(u(0)?);
                if let Val::Is(script_tsn) = i.tsn {
                    self.learned.tsn_offset = u(12)?.wrapping_sub(script_tsn);
                }
                if let Some(c) = tlvs.iter().find(|t| t.ty == 7) {
                    self.learned.cookie = Some(c.value.clone());
                }
            }
            Chunk::Sack {
                flags,
                cum_tsn,
                a_rwnd,
                gaps,
                dups,
            } => {
                chk("flgs", flags, a.flags)?;
                chk("cum_tsn", cum_tsn, u(0)?)?;
                chk("a_rwnd", a_rwnd, u(4)?)?;
                let (ng, nd) = (usize::from(h(8)?), usize::from(h(10)?));
                let actual_gaps = (0..ng)
                    .map(|k| Ok((h(12 + 4 * k)?, h(14 + 4 * k)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                let actual_dups = (0..nd)
                    .map(|k| u(12 + 4 * ng + 4 * k))
                    .collect::<Result<Vec<_>, String>>()?;
                chk("gaps", gaps, actual_gaps)?;
                chk("dups", dups, actual_dups)?;
            }
            Chunk::Heartbeat { flags, params } | Chunk::HeartbeatAck { flags, params } => {
                chk("flgs", flags, a.flags)?;
                match_list(
                    &params.items,
                    params.more,
                    &codec::read_tlvs(&a.value),
                    match_param,
                )?;
            }
            Chunk::Abort { flags, causes } | Chunk::Error { flags, causes } => {
                chk("flgs", flags, a.flags)?;
                match_list(
                    &causes.items,
                    causes.more,
                    &codec::read_tlvs(&a.value),
                    match_cause,
                )?;
            }
            Chunk::Shutdown { flags, cum_tsn } => {
                chk("flgs", flags, a.flags)?;
                chk("cum_tsn", cum_tsn, u(0)?)?;
            }
            Chunk::ShutdownAck { flags }
            | Chunk::CookieAck { flags }
            | Chunk::ShutdownComplete { flags } => chk("flgs", flags, a.flags)?,
            Chunk::CookieEcho { flags, len, val } => {
                chk("flgs", flags, a.flags)?;
                chk("len", len, a.len)?;
                chk("val", val, a.value.clone())?;
            }
            Chunk::IData {
                flags,
                len,
                tsn,
                sid,
                mid,
                ppid_fsn,
            } => {
                self.match_head_tsn(flags, len, "tsn", tsn, a)?;
                chk("sid", sid, h(4)?)?;
                chk("mid", mid, u(8)?)?;
                let name = if a.flags & 0x02 != 0 { "ppid" } else { "fsn" };
                chk(name, ppid_fsn, u(12)?)?;
            }
            Chunk::ForwardTsn {
                flags,
                len,
                cum_tsn,
                ids,
            } => {
                self.match_head_tsn(flags, len, "cum_tsn", cum_tsn, a)?;
                let actual = forward_tsn_entries(a, 4, |at| Ok((h(at)?, h(at + 2)?)))?;
                chk("ids", ids, actual)?;
            }
            Chunk::IForwardTsn {
                flags,
                len,
                cum_tsn,
                ids,
            } => {
                self.match_head_tsn(flags, len, "cum_tsn", cum_tsn, a)?;
                let actual =
                    forward_tsn_entries(a, 8, |at| Ok((h(at)?, h(at + 2)? & 1 == 1, u(at + 4)?)))?;
                chk("ids", ids, actual)?;
            }
            Chunk::Reconfig { flags, len, params } => {
                chk("flgs", flags, a.flags)?;
                chk("len", len, a.len)?;
                let offset = self.learned.tsn_offset;
                let actual = codec::read_tlvs(&a.value);
                if !params.more && params.items.len() != actual.len() {
                    return Err(format!(
                        "{} parameters expected, {} sent (types {:?})",
                        params.items.len(),
                        actual.len(),
                        actual.iter().map(|t| t.ty).collect::<Vec<_>>()
                    ));
                }
                let mut rest = actual.iter();
                for want in &params.items {
                    let mut last = Err("a listed RECONFIG parameter is missing".to_string());
                    for got in rest.by_ref() {
                        last = match_reconfig_param(want, got, offset);
                        if last.is_ok() || !params.more {
                            break;
                        }
                    }
                    last?;
                }
            }
            Chunk::Generic {
                flags, len, val, ..
            } => {
                chk("flgs", flags, a.flags)?;
                chk("len", len, a.len)?;
                chk("val", val, a.value.clone())?;
            }
        }
        Ok(())
    }

    /// Flags, length and the first field, a TSN of the stack's TSN space
    /// called `name`, of a DATA, I-DATA, FORWARD-TSN or I-FORWARD-TSN chunk
    /// the stack sent.
    fn match_head_tsn(
        &self,
        flags: &Val<u8>,
        len: &Val<u16>,
        name: &str,
        tsn: &Val<u32>,
        a: &RawChunk,
    ) -> Result<(), String> {
        chk("flgs", flags, a.flags)?;
        chk("len", len, a.len)?;
        let live = a.u32_at(0).ok_or("truncated")?;
        chk(name, tsn, self.script_tsn(live))
    }

    /// A TSN of the stack's TSN space in the script's numbering.
    fn script_tsn(&self, live: u32) -> u32 {
        live.wrapping_sub(self.learned.tsn_offset)
    }

    fn syscall(&mut self, c: &Syscall) -> Result<(), Failure> {
        if let Some((line, p)) = &self.pending {
            let msg = format!("{}() from line {line} is still blocked", p.name);
            return Err(self.fail(msg));
        }
        let call = self.to_syscall(c).map_err(|m| self.fail(m))?;
        let now = self.instant();
        match self.target.call(now, &call) {
            CallResult::Pending => {
                self.pending = Some((self.line, c.clone()));
                Ok(())
            }
            res => {
                self.drain();
                self.check_result(c, &call, res).map_err(|m| self.fail(m))
            }
        }
    }

    fn check_pending(&mut self) -> Result<(), Failure> {
        let Some((line, c)) = self.pending.take() else {
            return Ok(());
        };
        let now = self.instant();
        match self.target.poll_pending(now) {
            None | Some(CallResult::Pending) => {
                self.pending = Some((line, c));
                Ok(())
            }
            Some(res) => {
                self.drain();
                let call = self.to_syscall(&c).map_err(|m| self.fail(m))?;
                self.check_result(&c, &call, res).map_err(|m| Failure {
                    line,
                    time_usecs: self.now,
                    message: m,
                })
            }
        }
    }

    fn fd(&self, e: Option<&Expr>) -> Result<i64, String> {
        match e {
            Some(Expr::Int(n)) => Ok(self.fds.get(n).copied().unwrap_or(*n)),
            other => Err(format!("expected a file descriptor, got {other:?}")),
        }
    }

    fn to_syscall(&self, c: &Syscall) -> Result<SysCall, String> {
        let arg = |i: usize| c.args.get(i);
        let int = |e: Option<&Expr>| e.and_then(Expr::as_int);
        let opt = |s: &Expr, k: &str| -> Option<i64> { int(s.field(k)).filter(|v| *v != 0) };
        fn ident(e: Option<&Expr>) -> &str {
            match e {
                Some(Expr::Ident(s)) => s.as_str(),
                _ => "",
            }
        }
        let has_flag = |e: Option<&Expr>, flag: &str| match e {
            Some(Expr::Ident(s)) => s == flag,
            Some(Expr::BitOr(v)) => v.iter().any(|x| matches!(x, Expr::Ident(s) if s == flag)),
            _ => false,
        };
        let len = |e: Option<&Expr>| -> Result<usize, String> {
            int(e)
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| format!("bad length in {}()", c.name))
        };
        Ok(match c.name.as_str() {
            "socket" => SysCall::Socket {
                one_to_one: ident(arg(1)) == "SOCK_STREAM",
            },
            "bind" => SysCall::Bind {
                fd: self.fd(arg(0))?,
                addr: LOCAL_ADDR,
            },
            "listen" => SysCall::Listen {
                fd: self.fd(arg(0))?,
                backlog: int(arg(1)).and_then(|v| u32::try_from(v).ok()).unwrap_or(1),
            },
            "accept" => SysCall::Accept {
                fd: self.fd(arg(0))?,
            },
            "connect" | "sctp_connectx" => SysCall::Connect {
                fd: self.fd(arg(0))?,
                addrs: vec![REMOTE_ADDR],
            },
            "read" => SysCall::Read {
                fd: self.fd(arg(0))?,
                len: len(arg(2))?,
            },
            "write" => SysCall::Write {
                fd: self.fd(arg(0))?,
                len: len(arg(2))?,
            },
            // RFC 6458 §9.7: sctp_sendmsg(sd, msg, len, to, tolen, ppid,
            // flags, stream_no, timetolive, context); a time to live
            // selects SCTP_PR_SCTP_TTL (as FreeBSD and Linux do).
            "sctp_sendmsg" => {
                let small = |i: usize, what: &str| -> Result<u32, String> {
                    match arg(i) {
                        None | Some(Expr::Ellipsis) => Ok(0),
                        e => int(e)
                            .and_then(|v| u32::try_from(v).ok())
                            .ok_or_else(|| format!("bad {what} in sctp_sendmsg()")),
                    }
                };
                SysCall::SendMsg {
                    fd: self.fd(arg(0))?,
                    len: len(arg(2))?,
                    ppid: small(5, "ppid")?,
                    unordered: has_flag(arg(6), "SCTP_UNORDERED"),
                    stream: u16::try_from(small(7, "stream_no")?)
                        .map_err(|_| "bad stream_no in sctp_sendmsg()".to_string())?,
                    ttl_ms: small(8, "timetolive")?,
                }
            }
            "close" => SysCall::Close {
                fd: self.fd(arg(0))?,
            },
            "shutdown" => {
                let how = ident(arg(1));
                SysCall::Shutdown {
                    fd: self.fd(arg(0))?,
                    read: how == "SHUT_RD" || how == "SHUT_RDWR",
                    write: how == "SHUT_WR" || how == "SHUT_RDWR",
                }
            }
            "fcntl" if ident(arg(1)) == "F_GETFL" => SysCall::GetNonblocking {
                fd: self.fd(arg(0))?,
            },
            "fcntl" if ident(arg(1)) == "F_SETFL" => SysCall::SetNonblocking {
                fd: self.fd(arg(0))?,
                on: has_flag(arg(2), "O_NONBLOCK"),
            },
            "setsockopt" | "getsockopt" => {
                let fd = self.fd(arg(0))?;
                let val = arg(3).cloned().unwrap_or(Expr::Ellipsis);
                let u32o = |k| opt(&val, k).and_then(|v| u32::try_from(v).ok());
                let u16o = |k| opt(&val, k).and_then(|v| u16::try_from(v).ok());
                match (c.name.as_str(), ident(arg(2))) {
                    ("setsockopt", "SCTP_RTOINFO") => SysCall::SetRtoInfo {
                        fd,
                        initial: u32o("srto_initial"),
                        max: u32o("srto_max"),
                        min: u32o("srto_min"),
                    },
                    ("setsockopt", "SCTP_INITMSG") => SysCall::SetInitMsg {
                        fd,
                        ostreams: u16o("sinit_num_ostreams"),
                        instreams: u16o("sinit_max_instreams"),
                        max_attempts: u16o("sinit_max_attempts"),
                        max_init_timeo: u16o("sinit_max_init_timeo"),
                    },
                    ("setsockopt", "SCTP_PEER_ADDR_PARAMS") => SysCall::SetPeerAddrParams {
                        fd,
                        hb_interval: u32o("spp_hbinterval"),
                        path_max_rxt: u16o("spp_pathmaxrxt"),
                        hb_disable: has_flag(val.field("spp_flags"), "SPP_HB_DISABLE"),
                        hb_enable: has_flag(val.field("spp_flags"), "SPP_HB_ENABLE"),
                    },
                    ("setsockopt", "SCTP_INTERLEAVING_SUPPORTED") => SysCall::SetInterleaving {
                        fd,
                        on: int(val.field("assoc_value")).is_some_and(|v| v != 0),
                    },
                    ("setsockopt", "SCTP_ENABLE_STREAM_RESET") => {
                        let names = [
                            ("SCTP_ENABLE_RESET_STREAM_REQ", 0x1),
                            ("SCTP_ENABLE_RESET_ASSOC_REQ", 0x2),
                            ("SCTP_ENABLE_CHANGE_ASSOC_REQ", 0x4),
                        ];
                        let v = val.field("assoc_value");
                        let value = match int(v) {
                            Some(n) => u32::try_from(n)
                                .map_err(|_| "bad assoc_value in SCTP_ENABLE_STREAM_RESET")?,
                            None => names
                                .iter()
                                .filter(|(n, _)| has_flag(v, n))
                                .fold(0, |acc, (_, bit)| acc | bit),
                        };
                        SysCall::SetEnableStreamReset { fd, value }
                    }
                    ("setsockopt", "SCTP_RESET_STREAMS") => {
                        let f = val.field("srs_flags");
                        let flags = match int(f) {
                            Some(n) => u16::try_from(n).map_err(|_| "bad srs_flags")?,
                            None => {
                                u16::from(has_flag(f, "SCTP_STREAM_RESET_INCOMING"))
                                    | u16::from(has_flag(f, "SCTP_STREAM_RESET_OUTGOING")) << 1
                            }
                        };
                        let streams = match val.field("srs_stream_list") {
                            Some(Expr::List(v)) => v
                                .iter()
                                .map(|e| e.as_int().and_then(|n| u16::try_from(n).ok()))
                                .collect::<Option<Vec<u16>>>()
                                .ok_or("bad srs_stream_list")?,
                            None => Vec::new(),
                            Some(_) => return Err("srs_stream_list must be a list".into()),
                        };
                        SysCall::ResetStreams { fd, flags, streams }
                    }
                    ("setsockopt", "SCTP_ADD_STREAMS") => SysCall::AddStreams {
                        fd,
                        instrms: u16o("sas_instrms").unwrap_or(0),
                        outstrms: u16o("sas_outstrms").unwrap_or(0),
                    },
                    ("setsockopt", "SCTP_RESET_ASSOC") => SysCall::ResetAssoc { fd },
                    ("getsockopt", "SO_ERROR") => SysCall::GetSoError { fd },
                    ("getsockopt", "SCTP_STATUS") => SysCall::GetStatus { fd },
                    (call, name) => return Err(format!("unsupported {call}({name})")),
                }
            }
            other => return Err(format!("unsupported system call {other}()")),
        })
    }

    fn check_result(&mut self, c: &Syscall, call: &SysCall, res: CallResult) -> Result<(), String> {
        let want = c.ret.as_int();
        match res {
            CallResult::Pending => Err(format!("{}() blocked", c.name)),
            CallResult::Failed(errno) => match (want, &c.errno) {
                (Some(-1), Some(e)) if !errno_eq(e, &errno) => {
                    Err(format!("{}() failed with {errno}, expected {e}", c.name))
                }
                (Some(-1), _) => Ok(()),
                _ if c.ret == Expr::Ellipsis => Ok(()),
                _ => Err(format!(
                    "{}() failed with {errno}, expected {}",
                    c.name,
                    fmt_expr(&c.ret)
                )),
            },
            CallResult::Done { ret, out } => {
                let ret = match call {
                    // F_GETFL: O_RDWR (0x02), plus O_NONBLOCK (FreeBSD 0x04).
                    SysCall::GetNonblocking { .. } => 0x02 | if ret != 0 { 0x04 } else { 0 },
                    _ => ret,
                };
                match want {
                    Some(-1) => {
                        return Err(format!(
                            "{}() returned {ret}, expected -1 {}",
                            c.name,
                            c.errno.clone().unwrap_or_default()
                        ))
                    }
                    Some(n) if matches!(call, SysCall::Socket { .. } | SysCall::Accept { .. }) => {
                        self.fds.insert(n, ret);
                    }
                    Some(n) if n != ret => {
                        return Err(format!("{}() returned {ret}, expected {n}", c.name))
                    }
                    _ => {}
                }
                if let (Some(out), Some(script)) = (out, c.args.get(3)) {
                    let script = match script {
                        Expr::List(v) if v.len() == 1 => &v[0],
                        other => other,
                    };
                    if !expr_matches(script, &out) {
                        return Err(format!(
                            "{}() yielded {}, expected {}",
                            c.name,
                            fmt_expr(&out),
                            fmt_expr(script)
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

fn errno_eq(a: &str, b: &str) -> bool {
    let norm = |s: &str| if s == "EWOULDBLOCK" { "EAGAIN" } else { s }.to_string();
    norm(a) == norm(b)
}

fn expr_matches(script: &Expr, actual: &Expr) -> bool {
    match (script, actual) {
        (Expr::Ellipsis, _) => true,
        (Expr::Struct(fields), Expr::Struct(_)) => fields.iter().all(|(k, v)| {
            matches!(v, Expr::Ellipsis) || actual.field(k).is_some_and(|a| expr_matches(v, a))
        }),
        (Expr::Ident(a), Expr::Ident(b)) => errno_eq(a, b),
        (s, a) => s == a,
    }
}

fn fmt_expr(e: &Expr) -> String {
    match e {
        Expr::Ellipsis => "...".into(),
        Expr::Int(n) => n.to_string(),
        Expr::Ident(s) => s.clone(),
        Expr::Str(s) => format!("{s:?}"),
        Expr::BitOr(v) => v.iter().map(fmt_expr).collect::<Vec<_>>().join("|"),
        Expr::List(v) => format!(
            "[{}]",
            v.iter().map(fmt_expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Struct(f) => format!(
            "{{{}}}",
            f.iter()
                .map(|(k, v)| format!("{k}={}", fmt_expr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn expected_summary(p: &PacketEvent) -> String {
    match &p.payload {
        Payload::Raw(b) => format!("{} raw bytes", b.len()),
        Payload::Chunks(c) => c.iter().map(Chunk::name).collect::<Vec<_>>().join("; "),
    }
}

fn chk<T: PartialEq + fmt::Debug>(name: &str, want: &Val<T>, actual: T) -> Result<(), String> {
    if want.matches(&actual) {
        Ok(())
    } else {
        Err(format!(
            "{name}: expected {:?}, got {actual:?}",
            want.get().expect("a mismatch has a concrete value")
        ))
    }
}

/// Exact list (in order) unless `more`; with `more`, the listed items must
/// appear in order among the actual ones.
fn match_list<E>(
    want: &[E],
    more: bool,
    actual: &[RawTlv],
    f: fn(&E, &RawTlv) -> Result<(), String>,
) -> Result<(), String> {
    if !more {
        if want.len() != actual.len() {
            return Err(format!(
                "{} parameters/causes expected, {} sent (types {:?})",
                want.len(),
                actual.len(),
                actual.iter().map(|t| t.ty).collect::<Vec<_>>()
            ));
        }
        return want.iter().zip(actual).try_for_each(|(w, a)| f(w, a));
    }
    let mut rest = actual.iter();
    for w in want {
        if !rest.any(|a| f(w, a).is_ok()) {
            return Err("a listed parameter/cause is missing".into());
        }
    }
    Ok(())
}

fn param_code(p: &Param) -> Option<u16> {
    Some(match p {
        Param::HeartbeatInformation { .. } => 1,
        Param::Ipv4Address(_) => 5,
        Param::Ipv6Address(_) => 6,
        Param::StateCookie { .. } => 7,
        Param::UnrecognizedParameter(_) => 8,
        Param::CookiePreservative(_) => 9,
        Param::HostnameAddress(_) => 11,
        Param::SupportedAddressTypes(_) => 12,
        Param::Generic { ty, .. } => return ty.get().copied(),
    })
}

fn match_param(p: &Param, a: &RawTlv) -> Result<(), String> {
    if let Some(code) = param_code(p) {
        if code != a.ty {
            return Err(format!("parameter type {} sent, expected {code}", a.ty));
        }
    }
    match p {
        Param::StateCookie { len, val }
        | Param::HeartbeatInformation { len, val }
        | Param::Generic { len, val, .. } => {
            chk("len", len, a.len)?;
            chk("val", val, a.value.clone())
        }
        Param::Ipv4Address(v) => chk("addr", &v.clone().map_octets(), a.value.clone()),
        Param::Ipv6Address(v) => chk("addr", &v.clone().map_octets6(), a.value.clone()),
        Param::UnrecognizedParameter(v) => match v {
            Val::Any => Ok(()),
            Val::Is(ps) => match_list(ps, false, &codec::read_tlvs(&a.value), match_param),
        },
        Param::CookiePreservative(v) => chk(
            "incr",
            v,
            a.value
                .get(..4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        ),
        Param::HostnameAddress(v) => {
            let name: Vec<u8> = a.value.iter().copied().take_while(|&b| b != 0).collect();
            chk("addr", v, String::from_utf8_lossy(&name).into_owned())
        }
        Param::SupportedAddressTypes(v) => match v {
            Val::Any => Ok(()),
            Val::Is(types) => {
                let want: Vec<u8> = types.iter().flat_map(|t| t.code().to_be_bytes()).collect();
                chk("types", &Val::Is(want), a.value.clone())
            }
        },
    }
}

trait AddrOctets {
    fn map_octets(self) -> Val<Vec<u8>>;
    fn map_octets6(self) -> Val<Vec<u8>>;
}

impl AddrOctets for Val<std::net::Ipv4Addr> {
    fn map_octets(self) -> Val<Vec<u8>> {
        match self {
            Val::Any => Val::Any,
            Val::Is(a) => Val::Is(a.octets().to_vec()),
        }
    }
    fn map_octets6(self) -> Val<Vec<u8>> {
        self.map_octets()
    }
}

impl AddrOctets for Val<std::net::Ipv6Addr> {
    fn map_octets(self) -> Val<Vec<u8>> {
        self.map_octets6()
    }
    fn map_octets6(self) -> Val<Vec<u8>> {
        match self {
            Val::Any => Val::Any,
            Val::Is(a) => Val::Is(a.octets().to_vec()),
        }
    }
}

/// The `size`-byte entries after the new cumulative TSN of a FORWARD-TSN
/// or I-FORWARD-TSN, each read by `entry` from its offset in the value.
fn forward_tsn_entries<T>(
    a: &RawChunk,
    size: usize,
    entry: impl Fn(usize) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let n = a.value.len().saturating_sub(4) / size;
    (0..n).map(|k| entry(4 + size * k)).collect()
}

/// A RE-CONFIG parameter the stack sent: the fields in the sender's (the
/// stack's) TSN space are compared in the script's numbering (`offset`).
fn match_reconfig_param(p: &ReconfigParam, a: &RawTlv, offset: u32) -> Result<(), String> {
    let v = &a.value;
    let be32 = |at: usize| {
        v.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| format!("RECONFIG parameter {} truncated", a.ty))
    };
    let ours = |at: usize| be32(at).map(|t| t.wrapping_sub(offset));
    let sids = |from: usize| -> Vec<u16> {
        v.get(from..)
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect()
    };
    let ty = match p {
        ReconfigParam::OutgoingSsnReset { .. } => 13,
        ReconfigParam::IncomingSsnReset { .. } => 14,
        ReconfigParam::SsnTsnReset { .. } => 15,
        ReconfigParam::Response { .. } => 16,
        ReconfigParam::AddOutgoingStreams { .. } => 17,
        ReconfigParam::AddIncomingStreams { .. } => 18,
    };
    if a.ty != ty {
        return Err(format!("RECONFIG parameter {} sent, expected {ty}", a.ty));
    }
    match p {
        ReconfigParam::OutgoingSsnReset {
            req_sn,
            resp_sn,
            last_tsn,
            sids: s,
        } => {
            chk("req_sn", req_sn, ours(0)?)?;
            chk("resp_sn", resp_sn, be32(4)?)?;
            chk("last_tsn", last_tsn, ours(8)?)?;
            chk("sids", s, sids(12))
        }
        ReconfigParam::IncomingSsnReset { req_sn, sids: s } => {
            chk("req_sn", req_sn, ours(0)?)?;
            chk("sids", s, sids(4))
        }
        ReconfigParam::SsnTsnReset { req_sn } => chk("req_sn", req_sn, ours(0)?),
        ReconfigParam::Response {
            req_sn,
            result,
            sender_next_tsn,
            receiver_next_tsn,
        } => {
            chk("req_sn", req_sn, be32(0)?)?;
            chk("result", result, be32(4)?)?;
            match (sender_next_tsn, receiver_next_tsn) {
                (None, None) if v.len() > 8 => {
                    Err("RECONFIG_RESPONSE carries next TSNs the script does not list".into())
                }
                (s, r) => {
                    if let Some(s) = s {
                        chk("sender_next_tsn", s, ours(8)?)?;
                    }
                    if let Some(r) = r {
                        chk("receiver_next_tsn", r, be32(12)?)?;
                    }
                    Ok(())
                }
            }
        }
        ReconfigParam::AddOutgoingStreams {
            req_sn,
            number_of_new_streams,
        }
        | ReconfigParam::AddIncomingStreams {
            req_sn,
            number_of_new_streams,
        } => {
            chk("req_sn", req_sn, ours(0)?)?;
            let n = be32(4)? >> 16;
            chk(
                "number_of_new_streams",
                number_of_new_streams,
                u16::try_from(n).unwrap_or(u16::MAX),
            )
        }
    }
}

fn match_cause(c: &Cause, a: &RawTlv) -> Result<(), String> {
    let code = match c {
        Cause::InvalidStreamIdentifier(_) => 1,
        Cause::MissingMandatoryParameter(_) => 2,
        Cause::StaleCookie(_) => 3,
        Cause::UnresolvableAddress(_) => 5,
        Cause::UnrecognizedChunkType(_) => 6,
        Cause::InvalidMandatoryParameter => 7,
        Cause::UnrecognizedParameters(_) => 8,
        Cause::NoUserData(_) => 9,
        Cause::ProtocolViolation(_) => 13,
    };
    if code != a.ty {
        return Err(format!("error cause {} sent, expected {code}", a.ty));
    }
    let v = &a.value;
    let be16 = |at: usize| {
        v.get(at..at + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    let be32 = |at: usize| {
        v.get(at..at + 4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    match c {
        Cause::InvalidStreamIdentifier(sid) => chk("sid", sid, be16(0)),
        Cause::MissingMandatoryParameter(types) => {
            let n = usize::try_from(be32(0)).unwrap_or(0).min(v.len() / 2);
            let actual: Vec<u16> = (0..n).map(|k| be16(4 + 2 * k)).collect();
            chk("types", types, actual)
        }
        Cause::StaleCookie(s) => chk("staleness", s, be32(0)),
        Cause::UnresolvableAddress(p) => match p {
            Val::Any => Ok(()),
            Val::Is(p) => codec::read_tlvs(v)
                .first()
                .ok_or_else(|| "no address parameter".to_string())
                .and_then(|t| match_param(p, t)),
        },
        Cause::UnrecognizedChunkType(ch) => match ch {
            Val::Any => Ok(()),
            Val::Is(ch) => {
                let Some(h) = v.get(..4) else {
                    return Err("truncated chunk".into());
                };
                let len = u16::from_be_bytes([h[2], h[3]]);
                let body = v
                    .get(4..usize::from(len))
                    .unwrap_or(v.get(4..).unwrap_or(&[]));
                let raw = RawChunk {
                    ty: h[0],
                    flags: h[1],
                    len,
                    value: body.to_vec(),
                };
                match &**ch {
                    Chunk::Generic {
                        ty,
                        flags,
                        len,
                        val,
                    } => {
                        chk("type", ty, raw.ty)?;
                        chk("flgs", flags, raw.flags)?;
                        chk("len", len, raw.len)?;
                        chk("val", val, raw.value)
                    }
                    other => Err(format!("cannot compare embedded {}", other.name())),
                }
            }
        },
        Cause::InvalidMandatoryParameter => Ok(()),
        Cause::UnrecognizedParameters(ps) => match ps {
            Val::Any => Ok(()),
            Val::Is(ps) => match_list(ps, false, &codec::read_tlvs(v), match_param),
        },
        Cause::NoUserData(tsn) => chk("tsn", tsn, be32(0)),
        Cause::ProtocolViolation(info) => chk("info", info, v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_script;
    use crate::target::Fd;

    /// A toy passive stack: answers INIT with INIT ACK (tag 0xabcd, TSN
    /// 1000, cookie [7, 7]), COOKIE ECHO with COOKIE ACK, and resends the
    /// INIT ACK once after a 1 s timer; `socket()` returns 10.
    #[derive(Default)]
    struct Toy {
        out: VecDeque<Sent>,
        timer: Option<Instant>,
        peer_tag: u32,
        cookie_ok: bool,
    }

    impl Toy {
        fn send(&mut self, chunks: &[u8]) {
            let mut p = vec![0x1f, 0x90, 0x87, 0x07];
            p.extend_from_slice(&self.peer_tag.to_be_bytes());
            p.extend_from_slice(&[0; 4]);
            p.extend_from_slice(chunks);
            let crc = crc32c::crc32c(&p);
            p[8..12].copy_from_slice(&crc.to_le_bytes());
            self.out.push_back(Sent {
                from: LOCAL_ADDR,
                to: REMOTE_ADDR,
                bytes: p,
            });
        }
        fn init_ack(&mut self) {
            let mut c = vec![2, 0, 0, 28];
            c.extend_from_slice(&0xabcdu32.to_be_bytes());
            c.extend_from_slice(&1500u32.to_be_bytes());
            c.extend_from_slice(&[0, 1, 0, 1]);
            c.extend_from_slice(&1000u32.to_be_bytes());
            c.extend_from_slice(&[0, 7, 0, 6, 7, 7, 0, 0]);
            self.send(&c);
        }
    }

    impl ScriptTarget for Toy {
        fn call(&mut self, _now: Instant, call: &SysCall) -> CallResult {
            let ret: Fd = if matches!(call, SysCall::Socket { .. }) {
                10
            } else {
                0
            };
            CallResult::Done { ret, out: None }
        }
        fn poll_pending(&mut self, _now: Instant) -> Option<CallResult> {
            None
        }
        fn inject(&mut self, now: Instant, _f: SocketAddr, _t: SocketAddr, p: &[u8]) {
            let Some(pkt) = codec::read_packet(p) else {
                return;
            };
            match pkt.chunks.first().map(|c| c.ty) {
                Some(1) => {
                    self.peer_tag = pkt.chunks[0].u32_at(0).unwrap_or(0);
                    self.init_ack();
                    self.timer = Some(now + std::time::Duration::from_secs(1));
                }
                Some(10) if pkt.vtag == 0xabcd => {
                    self.cookie_ok = pkt.chunks[0].value == [7, 7];
                    self.timer = None;
                    self.send(&[11, 0, 0, 4]);
                }
                _ => {}
            }
        }
        fn poll_transmit(&mut self, _now: Instant) -> Option<Sent> {
            self.out.pop_front()
        }
        fn poll_timeout(&mut self) -> Option<Instant> {
            self.timer
        }
        fn handle_timeout(&mut self, now: Instant) {
            if self.timer.is_some_and(|t| t <= now) {
                self.timer = None;
                self.init_ack();
            }
        }
    }

    use std::net::SocketAddr;

    fn run(text: &str) -> (Result<(), Failure>, Toy) {
        let script = parse_script(text).unwrap();
        let mut toy = Toy::default();
        let r = run_script(&script, &mut toy);
        (r, toy)
    }

    const HEAD: &str = "0.0 socket(..., SOCK_STREAM, IPPROTO_SCTP) = 3\n\
        +0.0 bind(3, ..., ...) = 0\n\
        +0.0 < sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1]\n";

    #[test]
    fn learns_tag_and_cookie_and_maps_fds() {
        let (r, toy) = run(&format!(
            "{HEAD}+0.0 > sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=..., os=..., is=..., tsn=1, ...]\n\
             +0.0 < sctp: COOKIE_ECHO[flgs=0, len=..., val=...]\n\
             +0.0 > sctp: COOKIE_ACK[flgs=0]\n+0.0 close(3) = 0\n"
        ));
        assert_eq!(r, Ok(()));
        assert!(
            toy.cookie_ok,
            "the learned cookie and live tag were injected"
        );
    }

    #[test]
    fn timer_driven_packet_is_matched_within_tolerance_only() {
        let ok = format!(
            "{HEAD}+0.0 > sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=..., os=..., is=..., tsn=1, ...]\n\
             +1.0 > sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=..., os=..., is=..., tsn=1, ...]\n"
        );
        assert_eq!(run(&ok).0, Ok(()));
        let any = ok.replace("+1.0 >", "* >");
        assert_eq!(run(&any).0, Ok(()));
        let late = ok.replace("+1.0 >", "+0.5 >");
        let f = run(&late).0.unwrap_err();
        assert_eq!(f.line, 5);
        assert!(f.message.contains("not sent"), "{f}");
    }

    #[test]
    fn reconfig_parameters_sent_by_the_stack_are_read_in_the_scripts_numbering() {
        let tlv = |ty: u16, words: &[u32]| RawTlv {
            ty,
            len: 4 + 4 * u16::try_from(words.len()).unwrap(),
            value: words.iter().flat_map(|w| w.to_be_bytes()).collect(),
        };
        let script = |line: &str| -> ReconfigParam {
            let s = parse_script(&format!("+0 > sctp: RECONFIG[flgs=0, {line}]")).unwrap();
            match &s.events[0].action {
                Action::Packet(PacketEvent {
                    payload: Payload::Chunks(c),
                    ..
                }) => match &c[0] {
                    Chunk::Reconfig { params, .. } => params.items[0].clone(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            }
        };
        // Live TSNs of the stack = script + 1000.
        let out = tlv(13, &[1001, 7, 1005, 0x0003_0000]);
        let want = script("OUTGOING_SSN_RESET[req_sn=1, resp_sn=7, last_tsn=5, sids=[3, 0]]");
        assert_eq!(match_reconfig_param(&want, &out, 1000), Ok(()));
        let off_by_one = script("OUTGOING_SSN_RESET[req_sn=1, resp_sn=7, last_tsn=6, sids=...]");
        assert!(match_reconfig_param(&off_by_one, &out, 1000)
            .unwrap_err()
            .contains("last_tsn"));
        // A response: the request answered is the peer's, the sender's
        // next TSN ours.
        let resp = tlv(16, &[7, 1, 1010, 55]);
        let want = script(
            "RECONFIG_RESPONSE[req_sn=7, result=1, sender_next_tsn=10, receiver_next_tsn=55]",
        );
        assert_eq!(match_reconfig_param(&want, &resp, 1000), Ok(()));
        let short = script("RECONFIG_RESPONSE[req_sn=7, result=1]");
        assert!(match_reconfig_param(&short, &resp, 1000).is_err());
        assert!(match_reconfig_param(&short, &tlv(15, &[1001]), 1000).is_err());
        // Truncated values never panic.
        let cut = RawTlv {
            ty: 13,
            len: 6,
            value: vec![0, 1],
        };
        assert!(match_reconfig_param(&want, &cut, 0).is_err());
        let any = script("OUTGOING_SSN_RESET[req_sn=1, resp_sn=..., last_tsn=..., sids=...]");
        assert!(match_reconfig_param(&any, &cut, 0).is_err());
    }

    #[test]
    fn field_mismatch_and_unexpected_packets_fail_with_line() {
        let (r, _) = run(&format!(
            "{HEAD}+0.0 > sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=999, os=..., is=..., tsn=1, ...]\n"
        ));
        let f = r.unwrap_err();
        assert_eq!(f.line, 4);
        assert!(f.message.contains("a_rwnd"), "{f}");
        // The INIT ACK is never expected: unexpected at the end.
        let (r, _) = run(&format!("{HEAD}+0.1 close(3) = 0\n"));
        assert!(r.unwrap_err().message.contains("unexpected"));
        // Wrong return value.
        let (r, _) =
            run("0.0 socket(..., SOCK_STREAM, IPPROTO_SCTP) = 3\n+0.0 close(3) = -1 EBADF\n");
        assert_eq!(r.unwrap_err().line, 2);
    }
}
