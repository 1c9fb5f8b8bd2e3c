//! Creating associations, the handshake's state transitions (RFC 9260 §5),
//! timers (§6.3, §8, §9.2) and the application's commands.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::AssociationConfig;
use crate::error::Error;
use crate::event::{AssociationId, CloseReason, Event, SendOptions};
use crate::stats::AssociationState as S;
use core::time::Duration;

use crate::time::{earliest, Instant};
use crate::types::{StreamId, Tsn, VerificationTag};
use crate::wire::{self, Chunk, ErrorCause, InitChunk};

use super::cookie::{CookieContents, CookieError, PeerCapabilities};
use super::handshake::{self, InitReject, PeerInit};
use super::input::encode_simple;
use super::{Association, Control, Counters, Ctx, Negotiated, Timer, MAX_CONTROL_QUEUE};

impl Association {
    fn blank(
        id: AssociationId,
        now: Instant,
        config: AssociationConfig,
        local_port: u16,
        peer_port: u16,
        remotes: &[SocketAddr],
        seed: [u8; 32],
    ) -> Self {
        let mut rng = ChaCha8Rng::from_seed(seed);
        let local_tag = Self::random_tag(&mut rng);
        let local_initial_tsn = Tsn(rng.next_u32());
        Self::with_parts(
            id,
            now,
            config,
            local_port,
            peer_port,
            remotes,
            rng,
            local_tag,
            local_initial_tsn,
            Tsn(0),
            1500,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn with_parts(
        id: AssociationId,
        now: Instant,
        config: AssociationConfig,
        local_port: u16,
        peer_port: u16,
        remotes: &[SocketAddr],
        rng: ChaCha8Rng,
        local_tag: VerificationTag,
        local_initial_tsn: Tsn,
        peer_initial_tsn: Tsn,
        peer_rwnd: u32,
    ) -> Self {
        let paths = super::paths::new_path_set(remotes, &config);
        let sendq = crate::tx::SendQueue::new(crate::tx::SendQueueConfig {
            outbound_streams: config.outbound_streams,
            max_message_size: config.max_message_size,
            max_buffered_bytes: config.send_buffer,
            ..Default::default()
        });
        let rtx = crate::tx::RetransmissionQueue::new(local_initial_tsn, peer_rwnd);
        let tracker = crate::rx::DataTracker::new(peer_initial_tsn, tracker_config(&config));
        let reasm = crate::rx::ReassemblyQueue::new(
            peer_initial_tsn,
            crate::rx::ReassemblyConfig {
                mode: crate::rx::ReassemblyMode::Data,
                max_message_size: config.max_message_size,
                max_buffer: config.receive_buffer as usize,
            },
        );
        let window = crate::rx::ReceiveWindow::new(config.receive_buffer, config.mtu as u32);
        Self {
            id,
            state: S::Closed,
            local_port,
            peer_port,
            local_tag,
            peer_tag: VerificationTag(0),
            local_tie_tag: VerificationTag(0),
            peer_tie_tag: VerificationTag(0),
            local_initial_tsn,
            outbound_streams: config.outbound_streams,
            inbound_streams: config.max_inbound_streams,
            negotiated: Negotiated::default(),
            peer_caps: PeerCapabilities::default(),
            paths,
            window,
            peer_initial_tsn,
            sendq,
            rtx,
            tracker,
            reasm,
            t1: Timer::default(),
            t2: Timer::default(),
            t5: Timer::default(),
            init_chunk: None,
            cookie: None,
            cookie_echo_pending: false,
            control: Default::default(),
            need_cookie_ack: false,
            need_shutdown: false,
            need_shutdown_ack: false,
            need_forward_tsn: false,
            fast_retransmit_pending: false,
            error_count: 0,
            rng,
            stats: Counters::default(),
            undelivered: 0,
            last_activity: now,
            dry_reported: true,
            gap_scratch: Vec::new(),
            dup_scratch: Vec::new(),
            last_data_path: None,
            paths_changed: false,
            local_addresses: Vec::new(),
            asconf: super::asconf::AsconfState::new(local_initial_tsn, peer_initial_tsn),
            removed_peer_addresses: Vec::new(),
            queued: false,
            scheduled: None,
            closed: false,
            reconfig: Default::default(),
            auth: super::auth::Auth::default(),
            config,
        }
    }

    /// A new association that starts with our INIT (§5.1 A).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_client(
        id: AssociationId,
        now: Instant,
        config: AssociationConfig,
        local_port: u16,
        peer_port: u16,
        remotes: &[SocketAddr],
        local_addresses: &[IpAddr],
        seed: [u8; 32],
    ) -> Self {
        let mut a = Self::blank(id, now, config, local_port, peer_port, remotes, seed);
        a.state = S::CookieWait;
        a.local_addresses = local_addresses.to_vec();
        // RFC 4895 §6.1: our RANDOM from the seeded source.
        a.auth = super::auth::Auth::new(&a.config, &mut a.rng);
        // §5.1.2: our addresses travel in the INIT.
        let init = handshake::encode_init(
            &a.config,
            a.local_tag,
            a.local_initial_tsn,
            a.config.outbound_streams,
            &a.local_addresses,
            None,
            &[],
            a.auth.local_params(),
        );
        a.init_chunk = Some(init.clone());
        a.queue_control(Control {
            bytes: init,
            alone: true,
            vtag: Some(VerificationTag(0)),
            to: None,
        });
        a.t1.start(now + a.config.rto_initial.min(t1_cap(&a.config)));
        a
    }

    /// An association built from a valid cookie (§5.1.5 step 4): it starts
    /// ESTABLISHED.
    pub(crate) fn from_cookie(
        id: AssociationId,
        now: Instant,
        config: AssociationConfig,
        c: &CookieContents,
        from: SocketAddr,
        seed: [u8; 32],
    ) -> Self {
        let rng = ChaCha8Rng::from_seed(seed);
        // §5.4: the source of the COOKIE ECHO is the confirmed primary.
        let mut remotes = vec![from];
        remotes.extend(c.peer_addresses.iter().filter(|a| **a != from));
        let mut a = Self::with_parts(
            id,
            now,
            config,
            c.local_port,
            c.peer_port,
            &remotes,
            rng,
            c.local_tag,
            c.local_initial_tsn,
            c.peer_initial_tsn,
            c.peer_rwnd,
        );
        a.peer_tag = c.peer_tag;
        a.apply_negotiation(c.outbound_streams, c.inbound_streams, c.capabilities);
        a.start_auth_from_cookie(c);
        a.state = S::Established;
        a.start_heartbeats(now);
        a
    }

    fn apply_negotiation(&mut self, outbound: u16, inbound: u16, caps: PeerCapabilities) {
        self.outbound_streams = outbound;
        self.inbound_streams = inbound;
        self.peer_caps = caps;
        self.negotiated = Negotiated {
            forward_tsn: self.config.partial_reliability && caps.forward_tsn,
            i_data: self.config.i_data && caps.i_data,
            send_zero_checksum: self.config.zero_checksum && caps.zero_checksum,
            accept_zero_checksum: self.config.zero_checksum,
        };
        self.rtx.set_i_data(self.negotiated.i_data);
        self.sendq.set_outbound_streams(outbound);
        self.reasm = crate::rx::ReassemblyQueue::new(self.peer_initial_tsn, self.reasm_config());
        self.asconf =
            super::asconf::AsconfState::new(self.local_initial_tsn, self.peer_initial_tsn);
    }

    /// RFC 4895 §6.1: both sides' AUTH parameters, from the State Cookie.
    fn start_auth_from_cookie(&mut self, c: &CookieContents) {
        let (local, peer) = match &c.auth {
            Some(a) => (Some(&a.local), Some(&a.peer)),
            None => (None, None),
        };
        self.auth.negotiate(local, peer);
    }

    pub(crate) fn queue_control(&mut self, c: Control) {
        if self.control.len() < MAX_CONTROL_QUEUE {
            self.control.push_back(c);
        }
    }

    /// Queues an ERROR chunk with one cause (§3.3.10).
    pub(crate) fn queue_error(&mut self, _ctx: &mut Ctx<'_>, cause: ErrorCause<'_>) {
        let bytes = handshake::encode_with_cause(false, false, Some(cause));
        self.queue_control(Control {
            bytes,
            alone: false,
            vtag: None,
            to: None,
        });
    }

    pub(crate) fn queue_error_text(&mut self, ctx: &mut Ctx<'_>, abort: bool, text: &str) {
        let cause = ErrorCause::ProtocolViolation(text.as_bytes());
        if abort {
            self.abort_with(ctx, cause, text);
        } else {
            self.queue_error(ctx, cause);
        }
    }

    /// Sends ABORT with `cause` and ends the association (§9.1).
    pub(crate) fn abort_with(&mut self, ctx: &mut Ctx<'_>, cause: ErrorCause<'_>, why: &str) {
        let bytes = handshake::encode_with_cause(true, false, Some(cause));
        self.control.clear();
        self.queue_control(Control {
            bytes,
            alone: true,
            vtag: Some(self.peer_tag),
            to: None,
        });
        self.close(ctx, CloseReason::LocallyAborted(why.to_string()));
    }

    /// The peer is unreachable (Association.Max.Retrans exceeded, RFC 9260
    /// §8.1, §9.2): the association closes. An ABORT goes out first in case
    /// the peer still hears us, so it does not keep a half-dead association.
    pub(crate) fn fail_unreachable(&mut self, ctx: &mut Ctx<'_>) {
        self.queue_bare_abort();
        self.close(ctx, CloseReason::Timeout);
    }

    /// Replaces the queued control chunks with an ABORT without causes,
    /// to the peer's tag.
    fn queue_bare_abort(&mut self) {
        let bytes = handshake::encode_with_cause(true, false, None);
        self.control.clear();
        self.queue_control(Control {
            bytes,
            alone: true,
            vtag: Some(self.peer_tag),
            to: None,
        });
    }

    pub(crate) fn abort_protocol_violation(&mut self, ctx: &mut Ctx<'_>, why: &str) {
        let cause = ErrorCause::ProtocolViolation(why.as_bytes());
        self.abort_with(ctx, cause, why);
    }

    // ---- handshake transitions -------------------------------------------

    /// INIT ACK in COOKIE-WAIT (§5.1 C); discarded elsewhere (§5.2.3).
    pub(crate) fn on_init_ack(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        init: &InitChunk<'_>,
    ) {
        if self.state != S::CookieWait {
            return;
        }
        match handshake::parse_peer_init(init, from, true) {
            Ok(peer) => {
                self.peer_tag = peer.tag;
                self.peer_initial_tsn = peer.initial_tsn;
                self.rtx = crate::tx::RetransmissionQueue::new(self.local_initial_tsn, peer.a_rwnd);
                self.tracker = crate::rx::DataTracker::new(peer.initial_tsn, self.tracker_config());
                let (o, i) = handshake::negotiate_streams(&self.config, &peer);
                self.apply_negotiation(o, i, peer.caps);
                self.auth.negotiate(None, peer.auth.as_ref());
                if self.config.auth.is_some() && !self.auth.is_active() {
                    // RFC 6458 §6.1.8: SCTP_AUTH_NO_AUTH.
                    ctx.emit(
                        self.id,
                        Event::Authentication {
                            key_id: 0,
                            indication: crate::event::AuthIndication::NoAuth,
                        },
                    );
                }
                for a in peer.addresses.iter() {
                    if self.paths.find(a).is_none() && self.paths.add(*a, None, false).is_ok() {
                        self.paths_changed = true;
                    }
                }
                self.cookie = peer.cookie.map(Bytes::from);
                self.cookie_echo_pending = true;
                if !peer.unrecognized.is_empty() {
                    // §3.2.2: report unrecognized parameters of the INIT ACK
                    // in an ERROR bundled with the COOKIE ECHO.
                    let all: Vec<u8> = peer
                        .unrecognized
                        .iter()
                        .flat_map(|t| {
                            let mut t = t.clone();
                            t.resize(super::output::pad4(t.len()), 0);
                            t
                        })
                        .collect();
                    self.queue_error(ctx, ErrorCause::UnrecognizedParameters(&all));
                }
                self.state = S::CookieEchoed;
                self.t1.stop();
                self.t1.start(ctx.now + self.t1_timeout(0));
            }
            Err(reason) => {
                // §8.5: the ABORT answering a bad INIT ACK carries the
                // peer's Initiate Tag when it has one (§3.3.3: never 0).
                if init.initiate_tag != 0 {
                    self.peer_tag = VerificationTag(init.initiate_tag);
                }
                let host_name = handshake::host_name_tlv(init);
                self.reject_init(ctx, reason, &host_name)
            }
        }
    }

    fn reject_init(&mut self, ctx: &mut Ctx<'_>, reason: InitReject, host_name: &[u8]) {
        let text = match reason {
            InitReject::InvalidMandatory => "invalid mandatory parameter in INIT ACK",
            InitReject::HostName => "the peer listed a host name address",
            InitReject::Malformed => "malformed INIT ACK",
            InitReject::MissingCookie => "INIT ACK without a State Cookie",
            InitReject::Auth(why) => why,
        };
        let cause = match reason {
            InitReject::InvalidMandatory => ErrorCause::InvalidMandatoryParameter,
            InitReject::HostName => ErrorCause::UnresolvableAddress(host_name),
            InitReject::MissingCookie => {
                ErrorCause::MissingMandatoryParameter(crate::wire::List::Items(&[
                    crate::wire::param_type::STATE_COOKIE,
                ]))
            }
            _ => ErrorCause::ProtocolViolation(text.as_bytes()),
        };
        self.abort_with(ctx, cause, text);
    }

    /// COOKIE ACK in COOKIE-ECHOED (§5.1 E); ignored elsewhere (§5.2.5).
    pub(crate) fn on_cookie_ack(&mut self, ctx: &mut Ctx<'_>) {
        if self.state != S::CookieEchoed {
            return;
        }
        self.state = S::Established;
        self.t1.stop();
        self.start_heartbeats(ctx.now);
        self.cookie = None;
        self.init_chunk = None;
        self.error_count = 0;
        ctx.emit(
            self.id,
            Event::Connected {
                outbound_streams: self.outbound_streams,
                inbound_streams: self.inbound_streams,
            },
        );
    }

    /// Stale Cookie error in COOKIE-ECHOED (§5.2.6): start over with a
    /// Cookie Preservative asking for more time.
    pub(crate) fn on_stale_cookie(&mut self, ctx: &mut Ctx<'_>, staleness_us: u32) {
        self.t1.count += 1;
        if self.t1.count > self.config.max_init_retransmits {
            self.close(ctx, CloseReason::SetupFailed);
            return;
        }
        self.state = S::CookieWait;
        self.cookie = None;
        self.cookie_echo_pending = false;
        let _ = staleness_us;
        if let Some(init) = self.init_chunk.clone() {
            self.queue_control(Control {
                bytes: init,
                alone: true,
                vtag: Some(VerificationTag(0)),
                to: None,
            });
        }
        self.t1.start(ctx.now + self.t1_timeout(self.t1.count));
    }

    /// INIT for an existing association (§5.2.1, §5.2.2).
    pub(crate) fn on_init_existing(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        init: &InitChunk<'_>,
    ) {
        let peer = match handshake::parse_peer_init(init, from, false) {
            Ok(p) => p,
            Err(_) => return,
        };
        match self.state {
            S::ShutdownAckSent => {
                // §9.2: resend SHUTDOWN ACK, discard the INIT.
                self.need_shutdown_ack = true;
            }
            S::CookieWait | S::CookieEchoed => {
                // §5.2.1: answer with an INIT ACK carrying our original
                // parameters (same tag) and a cookie; state unchanged.
                let tie = if self.state == S::CookieEchoed {
                    self.populate_tie_tags()
                } else {
                    (VerificationTag(0), VerificationTag(0))
                };
                let auth = self.auth.local_params().cloned();
                self.answer_init(
                    ctx,
                    &peer,
                    self.local_tag,
                    self.local_initial_tsn,
                    tie,
                    from,
                    auth,
                );
            }
            _ => {
                // §5.2.2: a new tag in the INIT ACK, tie-tags in the cookie.
                if peer.addresses.iter().any(|a| self.paths.find(a).is_none()) {
                    // New addresses: ABORT with the INIT's tag.
                    let bytes = handshake::encode_with_cause(true, false, None);
                    self.queue_control(Control {
                        bytes,
                        alone: true,
                        vtag: Some(peer.tag),
                        to: Some(from),
                    });
                    return;
                }
                let tie = self.populate_tie_tags();
                let tag = Self::random_tag(&mut self.rng);
                let tsn = Tsn(self.rng.next_u32());
                // RFC 4895 §6.1: the RANDOM follows the tag's rules: new tag,
                // new RANDOM.
                let auth = super::auth::AuthParams::for_association(&self.config, &mut self.rng);
                self.answer_init(ctx, &peer, tag, tsn, tie, from, auth);
            }
        }
    }

    fn populate_tie_tags(&mut self) -> (VerificationTag, VerificationTag) {
        self.local_tie_tag = self.local_tag;
        self.peer_tie_tag = self.peer_tag;
        (self.local_tie_tag, self.peer_tie_tag)
    }

    #[allow(clippy::too_many_arguments)]
    fn answer_init(
        &mut self,
        ctx: &mut Ctx<'_>,
        peer: &PeerInit,
        tag: VerificationTag,
        tsn: Tsn,
        tie: (VerificationTag, VerificationTag),
        from: SocketAddr,
        auth: Option<super::auth::AuthParams>,
    ) {
        let contents = handshake::make_cookie(
            &self.config,
            auth.as_ref(),
            ctx.now,
            peer,
            tag,
            tsn,
            tie,
            self.local_port,
            self.peer_port,
        );
        let cookie = ctx.cookie_key.seal(&contents);
        let bytes = handshake::encode_init(
            &self.config,
            tag,
            tsn,
            // RFC 9260 §3.3.3: the INIT ACK's OS is at most the INIT's MIS.
            handshake::negotiate_streams(&self.config, peer).0,
            &self.local_addresses,
            Some(&cookie),
            &peer.unrecognized,
            auth.as_ref(),
        );
        self.queue_control(Control {
            bytes,
            alone: true,
            vtag: Some(peer.tag),
            to: Some(from),
        });
    }

    /// COOKIE ECHO for an existing association (§5.2.4).
    pub(crate) fn on_cookie_echo_existing(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        cookie: &[u8],
    ) {
        let c = match ctx.cookie_key.open(cookie, ctx.now) {
            Ok(c) => c,
            Err(CookieError::Stale { staleness_us }) => {
                // §5.2.4 step 3: valid anyway if both tags match (case E...).
                match ctx.cookie_key.open_ignoring_lifetime(cookie) {
                    Some(c) if c.local_tag == self.local_tag && c.peer_tag == self.peer_tag => c,
                    _ => {
                        let cause =
                            ErrorCause::StaleCookie(staleness_us.min(u64::from(u32::MAX)) as u32);
                        self.queue_error(ctx, cause);
                        return;
                    }
                }
            }
            Err(CookieError::Invalid) => return,
        };
        let local_m = c.local_tag == self.local_tag;
        let peer_m = c.peer_tag == self.peer_tag;
        let tie_m = c.local_tie_tag == self.local_tie_tag && c.peer_tie_tag == self.peer_tie_tag;
        if !local_m && !peer_m && tie_m && c.local_tie_tag.0 != 0 {
            // (A) restart.
            if self.state == S::ShutdownAckSent {
                self.need_shutdown_ack = true;
                self.queue_error(ctx, ErrorCause::CookieReceivedWhileShuttingDown);
                return;
            }
            self.restart(ctx, &c, from);
        } else if local_m && (!peer_m || self.peer_tag.0 == 0) {
            // (B) collision: adopt the peer's tag.
            self.peer_tag = c.peer_tag;
            self.t1.stop();
            if matches!(self.state, S::CookieWait | S::CookieEchoed) {
                self.finish_setup_from_cookie(ctx, &c);
            }
            self.need_cookie_ack = true;
        } else if !local_m && peer_m && c.local_tie_tag.0 == 0 && c.peer_tie_tag.0 == 0 {
            // (C) a late cookie: discard.
        } else if local_m && peer_m {
            // (D)
            self.t1.stop();
            if matches!(self.state, S::CookieWait | S::CookieEchoed) {
                self.finish_setup_from_cookie(ctx, &c);
            }
            self.need_cookie_ack = true;
        }
    }

    fn finish_setup_from_cookie(&mut self, ctx: &mut Ctx<'_>, c: &CookieContents) {
        self.rtx = crate::tx::RetransmissionQueue::new(c.local_initial_tsn, c.peer_rwnd);
        self.peer_initial_tsn = c.peer_initial_tsn;
        self.tracker = crate::rx::DataTracker::new(c.peer_initial_tsn, self.tracker_config());
        self.apply_negotiation(c.outbound_streams, c.inbound_streams, c.capabilities);
        self.start_auth_from_cookie(c);
        self.state = S::Established;
        self.start_heartbeats(ctx.now);
        self.cookie = None;
        ctx.emit(
            self.id,
            Event::Connected {
                outbound_streams: self.outbound_streams,
                inbound_streams: self.inbound_streams,
            },
        );
    }

    fn restart(&mut self, ctx: &mut Ctx<'_>, c: &CookieContents, from: SocketAddr) {
        // §5.2.4 A: as if ABORT then a new COOKIE ECHO; RESTART instead of
        // COMMUNICATION LOST; congestion state reset. Messages already abandoned keep their reason.
        self.report_failed(ctx);
        let failed: Vec<_> = self.rtx.drain_all_unacked();
        for f in failed.into_iter().chain(
            self.sendq
                .drain_all(crate::tx::FailReason::AssociationClosed),
        ) {
            ctx.emit(
                self.id,
                Event::SendFailed {
                    stream: f.msg.stream,
                    ppid: f.msg.ppid,
                    reason: crate::event::SendFailure::AssociationClosed,
                    data: f.msg.data,
                },
            );
        }
        let seed = {
            let mut s = [0u8; 32];
            self.rng.fill_bytes(&mut s);
            s
        };
        let mut fresh = Self::from_cookie(self.id, ctx.now, self.config.clone(), c, from, seed);
        fresh.auth.set_shared_keys(self.auth.shared_keys().clone());
        fresh.local_addresses = core::mem::take(&mut self.local_addresses);
        fresh.paths_changed = true;
        *self = fresh;
        self.need_cookie_ack = true;
        ctx.emit(self.id, Event::Restarted);
    }

    // ---- heartbeats (§8.3) -------------------------------------------------

    pub(crate) fn on_heartbeat(&mut self, _ctx: &mut Ctx<'_>, from: SocketAddr, info: &[u8]) {
        // §8.3: echo the Heartbeat Info back, to the source of the HEARTBEAT.
        if info.len() > 1024 {
            return;
        }
        let bytes = encode_simple(Chunk::HeartbeatAck(wire::HeartbeatChunk { info }));
        self.queue_control(Control {
            bytes,
            alone: false,
            vtag: None,
            // §6.4: a reply goes to the source of what it answers; it
            // travels in its own packet when that is not the data path.
            to: if self.paths.find(&from) == Some(self.data_path()) {
                None
            } else {
                Some(from)
            },
        });
    }

    // ---- timers ------------------------------------------------------------

    /// The earliest deadline of this association.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        // Called after every packet: conditional moves, no branches.
        earliest([
            self.t1.deadline,
            self.t2.deadline,
            self.t5.deadline,
            self.reconfig.deadline(),
            self.tracker.sack_deadline(),
            self.paths_next_deadline(),
            self.asconf.deadline(),
            self.asconf.deleted_peer_deadline(),
            self.autoclose_deadline(),
        ])
    }

    /// Whether queuing a message may move a deadline: only the autoclose
    /// timer, which counts from the last activity, depends on it.
    pub(crate) fn send_moves_deadline(&self) -> bool {
        self.config.autoclose.is_some()
    }

    fn autoclose_deadline(&self) -> Option<Instant> {
        let idle = self.config.autoclose?;
        (self.state == S::Established).then(|| self.last_activity + idle)
    }

    pub(crate) fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.closed {
            return;
        }
        // RFC 9260 §6.1 D: what this timer event lets us send is one burst.
        self.paths
            .iter_mut()
            .for_each(crate::path::Path::start_burst);
        if self.t1.due(now) {
            self.on_t1(ctx);
        }
        if self.t2.due(now) {
            self.on_t2(ctx);
        }
        if self.t5.due(now) {
            // §9.2: the shutdown took too long.
            self.abort_with(
                ctx,
                ErrorCause::UserInitiatedAbort(b"shutdown guard timer expired"),
                "T5-shutdown-guard expired",
            );
            return;
        }
        if self.on_reconfig_timer(ctx) {
            self.fail_unreachable(ctx);
            return;
        }
        self.tracker.handle_timeout(now);
        // T3-rtx and heartbeat timers per path.
        for path in self.expired_t3(now) {
            if self.t3_expired(ctx, path) {
                self.fail_unreachable(ctx);
                return;
            }
        }
        if self.heartbeat_timeouts(ctx) {
            self.fail_unreachable(ctx);
            return;
        }
        // T-4 (RFC 5061 §5.1 B1-B5).
        if self.asconf.deadline().is_some_and(|d| d <= now) && self.on_t4(ctx) {
            self.fail_unreachable(ctx);
            return;
        }
        self.end_deleted_peer_grace(now);
        self.rtx.expire(now);
        self.sendq_expire(now);
        self.report_failed(ctx);
        self.note_forward_tsn_point();
        if self.autoclose_deadline().is_some_and(|d| d <= now) {
            let _ = self.shutdown(ctx);
        }
    }

    fn sendq_expire(&mut self, now: Instant) {
        // Expired messages that never started are dropped by `produce`; the
        // queue reports them through `take_failed`.
        let _ = now;
    }

    fn on_t1(&mut self, ctx: &mut Ctx<'_>) {
        // §5.1 C/D: retransmit INIT or COOKIE ECHO, up to
        // Max.Init.Retransmits, doubling the timer.
        self.t1.count += 1;
        if self.t1.count > self.config.max_init_retransmits {
            if self.state == S::CookieEchoed {
                // The peer's tag is known (from its INIT ACK): tell it,
                // as after Association.Max.Retrans (§8.1), so it does not
                // keep state for a setup we gave up. In COOKIE-WAIT there
                // is no tag to send an ABORT with (§5.1 C: just stop).
                self.queue_bare_abort();
            }
            self.close(ctx, CloseReason::SetupFailed);
            return;
        }
        match self.state {
            S::CookieWait => {
                if let Some(init) = self.init_chunk.clone() {
                    self.queue_control(Control {
                        bytes: init,
                        alone: true,
                        vtag: Some(VerificationTag(0)),
                        to: None,
                    });
                }
            }
            S::CookieEchoed => self.cookie_echo_pending = true,
            _ => {
                self.t1.stop();
                return;
            }
        }
        self.t1.start(ctx.now + self.t1_timeout(self.t1.count));
    }

    /// The T1-init / T1-cookie timeout after `count` expiries (§5.1 C/D,
    /// §6.3.3 E2): the RTO doubled per expiry, capped by `max_init_timeout`
    /// (RFC 6458 §8.1.3), else by RTO.Max.
    fn t1_timeout(&self, count: u32) -> Duration {
        self.primary_rto()
            .saturating_mul(1u32 << count.min(16))
            .min(t1_cap(&self.config))
    }

    fn on_t2(&mut self, ctx: &mut Ctx<'_>) {
        // §9.2: resend SHUTDOWN / SHUTDOWN ACK, up to Association.Max.Retrans.
        self.t2.count += 1;
        if self.t2.count > self.config.max_association_retransmits {
            self.fail_unreachable(ctx);
            return;
        }
        match self.state {
            S::ShutdownSent => self.need_shutdown = true,
            S::ShutdownAckSent => self.need_shutdown_ack = true,
            _ => {
                self.t2.stop();
                return;
            }
        }
        let count = self.t2.count;
        let rto = self.backed_off_rto(count);
        self.t2.start(ctx.now + rto);
        self.t2.count = count;
    }

    // ---- commands ----------------------------------------------------------

    pub(crate) fn send(
        &mut self,
        now: Instant,
        stream: StreamId,
        data: Bytes,
        opts: SendOptions,
    ) -> Result<(), Error> {
        match self.state {
            S::CookieWait | S::CookieEchoed | S::Established => {}
            s => {
                return Err(Error::InvalidState {
                    state: s.name(),
                    hint: "the association is shutting down or closed; no new messages are accepted (RFC 9260 §9.2)",
                })
            }
        }
        if data.is_empty() {
            return Err(Error::EmptyMessage);
        }
        if data.len() > self.config.max_message_size {
            return Err(Error::MessageTooLarge {
                size: data.len(),
                max: self.config.max_message_size,
            });
        }
        if stream.0 >= self.outbound_streams {
            return Err(Error::InvalidStream {
                stream,
                streams: self.outbound_streams,
            });
        }
        let pr = match (opts.lifetime, opts.max_retransmits) {
            (Some(l), _) => crate::tx::PrPolicy::Ttl(now + l),
            (None, Some(n)) => crate::tx::PrPolicy::MaxRetransmits(n),
            (None, None) => crate::tx::PrPolicy::None,
        };
        let msg = crate::tx::OutgoingMessage {
            stream,
            ppid: opts.ppid,
            unordered: opts.unordered,
            data,
            pr,
        };
        self.sendq
            .enqueue(msg, now)
            .map_err(|e| self.map_send_error(e))?;
        self.dry_reported = false;
        // The only deadline queuing moves (autoclose): the endpoint skips
        // recomputing deadlines after a send otherwise (send_moves_deadline).
        self.last_activity = now;
        Ok(())
    }

    fn map_send_error(&self, e: crate::tx::SendError) -> Error {
        use crate::tx::SendError as E;
        match e {
            E::BufferFull { buffered, max, .. } => Error::WouldBlock {
                buffered,
                capacity: max,
            },
            E::MessageTooLarge { len, max } => Error::MessageTooLarge { size: len, max },
            E::StreamOutOfRange {
                stream,
                outbound_streams,
            } => Error::InvalidStream {
                stream,
                streams: outbound_streams,
            },
            E::EmptyMessage => Error::EmptyMessage,
        }
    }

    /// The SHUTDOWN primitive (§9.2).
    pub(crate) fn shutdown(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Error> {
        match self.state {
            S::CookieWait | S::CookieEchoed => {
                // Nothing established: end it (§9.2 does not apply; the
                // peer gets an ABORT).
                self.abort_with(
                    ctx,
                    ErrorCause::UserInitiatedAbort(b"shutdown during setup"),
                    "shut down during setup",
                );
                Ok(())
            }
            S::Established => {
                self.state = S::ShutdownPending;
                self.progress_shutdown(ctx);
                Ok(())
            }
            // Already shutting down: nothing to do (§9.2: ULP shutdown
            // requests are ignored in SHUTDOWN-RECEIVED).
            _ => Ok(()),
        }
    }

    /// The ABORT primitive (§9.1).
    pub(crate) fn abort(&mut self, ctx: &mut Ctx<'_>, reason: &str) {
        let r = reason.as_bytes();
        let r = &r[..r.len().min(256)];
        if matches!(self.state, S::CookieWait) {
            // No peer tag known yet: nothing to send (§9.1 needs the tag).
            self.close(ctx, CloseReason::LocallyAborted(reason.to_string()));
            return;
        }
        self.abort_with(ctx, ErrorCause::UserInitiatedAbort(r), reason);
    }

    /// The host read `n` bytes of delivered messages: they no longer occupy
    /// the receive window.
    pub(crate) fn on_delivered_read(&mut self, n: usize) {
        self.undelivered = self.undelivered.saturating_sub(n);
        let held = self.reasm.buffered_bytes() + self.undelivered;
        if self.state == S::Established && self.window.window_update_due(held) {
            // §6.2: tell the peer the window opened.
            self.tracker.force_sack();
        }
    }

    fn tracker_config(&self) -> crate::rx::DataTrackerConfig {
        tracker_config(&self.config)
    }

    fn reasm_config(&self) -> crate::rx::ReassemblyConfig {
        crate::rx::ReassemblyConfig {
            mode: if self.negotiated.i_data {
                crate::rx::ReassemblyMode::IData
            } else {
                crate::rx::ReassemblyMode::Data
            },
            max_message_size: self.config.max_message_size,
            max_buffer: self.config.receive_buffer as usize,
        }
    }
}

/// The receiver's TSN bookkeeping limits for `config`.
///
/// RFC 9260 §6.2 asks the receiver to keep out-of-order DATA it has room
/// for. One loss episode on a long fat path leaves a hole every few packets
/// across a whole window, so the number of gap ranges tracked scales with
/// the receive buffer (one per full packet it holds) instead of a fixed
/// 256, which made the receiver discard most of a window it had room for.
/// Still bounded: at most 32,768 ranges (every other TSN of the 65,535-TSN
/// window), 256 KiB.
fn tracker_config(config: &AssociationConfig) -> crate::rx::DataTrackerConfig {
    let per_packet = (config.receive_buffer as usize) / config.mtu.max(1);
    crate::rx::DataTrackerConfig {
        sack_freq: config.sack_frequency,
        sack_delay: config.sack_delay,
        max_gap_ranges: per_packet.clamp(256, 32_768),
        ..Default::default()
    }
}

#[allow(dead_code)]
fn _unused(_: CookieError, _: &PeerInit) {}

/// The earlier of two optional deadlines.
/// The largest T1-init / T1-cookie timeout: `max_init_timeout` (RFC 6458
/// §8.1.3 `sinit_max_init_timeo`), else RTO.Max.
fn t1_cap(config: &AssociationConfig) -> Duration {
    config.max_init_timeout.unwrap_or(config.rto_max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rx::{DataTracker, Observed};

    /// RFC 9260 §6.2: a receiver with room keeps out-of-order DATA. A loss
    /// episode with a hole every other packet across a 16 MiB window must
    /// not make it discard what arrives after the 256th hole.
    #[test]
    fn large_receive_buffer_tracks_a_hole_every_other_packet() {
        let config = AssociationConfig {
            receive_buffer: 16 * 1024 * 1024,
            mtu: 1200,
            ..AssociationConfig::default()
        };
        let mut t = DataTracker::new(Tsn(1), tracker_config(&config));
        // TSN 1 lost, then every other TSN: 5,000 disjoint ranges.
        for i in 0..5_000u32 {
            assert_eq!(t.observe(Tsn(2 + 2 * i)), Observed::New, "hole {i}");
        }
        assert_eq!(t.gap_ack_blocks().len(), 5_000);
    }

    #[test]
    fn gap_range_bound_scales_with_the_buffer_within_limits() {
        let small = AssociationConfig::default();
        assert_eq!(tracker_config(&small).max_gap_ranges, 873);
        let tiny = AssociationConfig {
            receive_buffer: 1500,
            ..AssociationConfig::default()
        };
        assert_eq!(tracker_config(&tiny).max_gap_ranges, 256);
        let huge = AssociationConfig {
            receive_buffer: u32::MAX,
            mtu: 256,
            ..AssociationConfig::default()
        };
        assert_eq!(tracker_config(&huge).max_gap_ranges, 32_768);
    }
}
