//! Received chunks (RFC 9260 §6, §8, §9): verification tags, DATA, SACK,
//! heartbeats, shutdown, abort, errors, unknown chunks.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::event::{CloseReason, Event};
use crate::rx::{AddOutcome, IncomingData, Observed, Seq};
use crate::stats::AssociationState as S;
use crate::types::{Tsn, VerificationTag};
use crate::wire::{self, chunk_type, Chunk, ErrorCause, Packet, RawChunk};

use super::{Association, Ctx};

impl Association {
    /// RFC 9260 §8.5 / §8.5.1: whether a packet with this tag may be
    /// processed, given its first chunk.
    fn tag_ok(&self, vtag: VerificationTag, first: &RawChunk<'_>) -> bool {
        match first.chunk_type {
            // §8.5.1 A: packets with INIT carry tag 0 (checked by the caller
            // together with bundling).
            chunk_type::INIT => vtag.0 == 0,
            // §8.5.1 B, C: T bit set → the peer's tag reflected.
            chunk_type::ABORT | chunk_type::SHUTDOWN_COMPLETE => {
                let t = first.flags & 1 != 0;
                (!t && vtag == self.local_tag) || (t && vtag == self.peer_tag)
            }
            // §8.5.1 D: checked against the cookie (§5.2.4).
            chunk_type::COOKIE_ECHO => true,
            _ => vtag == self.local_tag,
        }
    }

    /// Processes a packet for this association (the endpoint matched it by
    /// addresses and ports).
    pub(crate) fn handle_packet(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        packet: &Packet<&[u8]>,
        datagram: &Bytes,
    ) {
        let mut chunks = packet.chunks();
        let Some(Ok(first)) = chunks.next() else {
            return;
        };
        if packet.check_bundling().is_err() {
            // §6.10: INIT, INIT ACK and SHUTDOWN COMPLETE travel alone;
            // a packet breaking this is discarded.
            return;
        }
        if !self.tag_ok(packet.verification_tag(), &first) {
            // §8.5.1 E: SHUTDOWN ACK in COOKIE-WAIT/ECHOED is out of the
            // blue; the endpoint answers those. Everything else is dropped.
            tracing::trace!(id = %self.id, "verification tag mismatch; packet dropped");
            return;
        }
        self.stats.packets_received += 1;
        self.last_activity = ctx.now;
        // RFC 9260 §6.1 D: what this packet lets us send is one burst.
        self.paths
            .iter_mut()
            .for_each(crate::path::Path::start_burst);
        // Any packet from the peer clears the association error counter in
        // states where the peer is evidently alive (§8.1 / §9.2).
        let mut had_data = false;
        let mut immediate = false;
        self.auth.rx_authenticated = false;
        for raw in packet.chunks() {
            let Ok(raw) = raw else { break };
            if self.closed {
                return;
            }
            // RFC 4895 §6.3: AUTH authenticates what follows it; chunks of
            // our CHUNKS list not after a valid AUTH are discarded.
            if raw.chunk_type == chunk_type::AUTH && self.auth.is_active() {
                if self.auth.rx_authenticated || !self.on_auth(ctx, &raw, packet.as_bytes()) {
                    // A second AUTH (§5.1: at most one per packet) or one
                    // that fails: the chunks after it are discarded.
                    break;
                }
                continue;
            }
            if !self.auth.rx_authenticated && self.auth.we_require(raw.chunk_type) {
                tracing::trace!(id = %self.id, chunk = raw.chunk_type, "unauthenticated chunk discarded");
                continue;
            }
            let chunk = match Chunk::parse(&raw) {
                Ok(c) => c,
                Err(e) => {
                    // A malformed known chunk: report a protocol violation
                    // and stop processing the packet (§3.2 spirit: never
                    // trust a length).
                    tracing::debug!(id = %self.id, error = %e, "malformed chunk");
                    if self.state == S::CookieWait {
                        // The peer's tag is not known yet, so an ABORT
                        // would reach no association (§8.5); discard the
                        // packet and let T1-init retransmit the INIT
                        // (§5.1 C), as FreeBSD does (ETSI TS 102 369
                        // sctp-imh-i-3-2). A forged reply cannot end the
                        // setup this way either.
                        return;
                    }
                    self.queue_error_text(ctx, true, "malformed chunk");
                    return;
                }
            };
            match chunk {
                Chunk::Data(d) => {
                    if !self.receives_data() {
                        // RFC 9260 §6: DATA in SHUTDOWN-RECEIVED or
                        // SHUTDOWN-ACK-SENT is discarded (and not SACKed).
                        continue;
                    }
                    had_data = true;
                    immediate |= d.immediate_sack;
                    if d.payload.is_empty() {
                        // §6.2: a DATA chunk with no user data → ABORT with
                        // "No User Data".
                        self.abort_with(
                            ctx,
                            ErrorCause::NoUserData(d.tsn),
                            "DATA chunk without user data",
                        );
                        return;
                    }
                    if self.negotiated.i_data {
                        // RFC 8260 §2.2: DATA must not be used once I-DATA
                        // is negotiated.
                        self.abort_protocol_violation(
                            ctx,
                            "DATA received on an I-DATA association",
                        );
                        return;
                    }
                    let payload = datagram.slice_ref(d.payload);
                    self.on_data(
                        ctx,
                        IncomingData {
                            tsn: d.tsn,
                            stream: d.stream,
                            ppid: d.ppid,
                            unordered: d.unordered,
                            beginning: d.beginning,
                            ending: d.ending,
                            seq: Seq::Ssn(d.ssn),
                            payload,
                        },
                    );
                }
                Chunk::IData(d) => {
                    if !self.receives_data() {
                        // RFC 9260 §6: DATA in SHUTDOWN-RECEIVED or
                        // SHUTDOWN-ACK-SENT is discarded (and not SACKed).
                        continue;
                    }
                    had_data = true;
                    immediate |= d.immediate_sack;
                    if !self.negotiated.i_data {
                        self.abort_protocol_violation(ctx, "I-DATA received but not negotiated");
                        return;
                    }
                    if d.payload.is_empty() {
                        self.abort_with(
                            ctx,
                            ErrorCause::NoUserData(d.tsn),
                            "I-DATA chunk without user data",
                        );
                        return;
                    }
                    let payload = datagram.slice_ref(d.payload);
                    self.on_data(
                        ctx,
                        IncomingData {
                            tsn: d.tsn,
                            stream: d.stream,
                            ppid: d.ppid,
                            unordered: d.unordered,
                            beginning: d.beginning,
                            ending: d.ending,
                            seq: Seq::IData {
                                mid: d.mid,
                                fsn: d.fsn,
                            },
                            payload,
                        },
                    );
                }
                Chunk::Sack(s) => self.on_sack(ctx, &s),
                Chunk::Heartbeat(h) => self.on_heartbeat(ctx, from, h.info),
                Chunk::HeartbeatAck(h) => self.on_heartbeat_ack_info(ctx, h.info),
                Chunk::Abort(a) => {
                    let text = describe_causes(a.causes.iter().flatten());
                    // §9.1: the peer aborted; data is discarded.
                    self.close(ctx, CloseReason::PeerAborted(text));
                    return;
                }
                Chunk::Shutdown(s) => self.on_shutdown(ctx, s.cum_tsn_ack),
                Chunk::ShutdownAck => self.on_shutdown_ack(ctx),
                Chunk::ShutdownComplete(_) => {
                    // §9.2: only meaningful in SHUTDOWN-ACK-SENT.
                    if self.state == S::ShutdownAckSent {
                        self.close(ctx, CloseReason::Shutdown);
                        return;
                    }
                }
                Chunk::Error(e) => self.on_error(ctx, &e),
                Chunk::CookieEcho(c) => self.on_cookie_echo_existing(ctx, from, c.cookie),
                Chunk::CookieAck => self.on_cookie_ack(ctx),
                Chunk::Init(i) => self.on_init_existing(ctx, from, &i),
                Chunk::InitAck(i) => self.on_init_ack(ctx, from, &i),
                Chunk::ForwardTsn(_) | Chunk::IForwardTsn(_) if !self.offered(&chunk) => {
                    // RFC 3758 §3.3.2: an endpoint that did not offer
                    // PR-SCTP acts as if it did not know the chunk: an
                    // ERROR (the types' upper bits 11: skip and report).
                    if !self.on_unknown_chunk(ctx, raw, datagram) {
                        break;
                    }
                }
                Chunk::ForwardTsn(f) => {
                    had_data = true;
                    let skipped = f
                        .streams
                        .iter()
                        .flatten()
                        .map(|s| crate::rx::SkippedMessage {
                            stream: s.stream,
                            unordered: false,
                            seq: crate::rx::SkippedSeq::Ssn(s.ssn),
                        });
                    self.on_forward_tsn(ctx, f.new_cum_tsn, skipped);
                }
                Chunk::IForwardTsn(f) => {
                    had_data = true;
                    let skipped = f
                        .streams
                        .iter()
                        .flatten()
                        .map(|s| crate::rx::SkippedMessage {
                            stream: s.stream,
                            unordered: s.unordered,
                            seq: crate::rx::SkippedSeq::Mid(s.mid),
                        });
                    self.on_forward_tsn(ctx, f.new_cum_tsn, skipped);
                }
                Chunk::Pad(_) | Chunk::Ecne(_) | Chunk::Cwr(_) => {}
                Chunk::ReConfig(r) if self.config.reconfig => self.on_reconfig(ctx, &r),
                // RFC 5061 §4.1.1, §4.1.2.
                // RFC 5061 §4.1.1, §4.1.2: only after a valid AUTH;
                // unauthenticated ones are silently discarded.
                Chunk::Asconf(c) if self.config.asconf => {
                    if self.auth.rx_authenticated {
                        self.on_asconf(ctx, from, &c);
                    }
                }
                Chunk::AsconfAck(a) if self.config.asconf => {
                    if self.auth.rx_authenticated {
                        self.on_asconf_ack(ctx, &a);
                    }
                }
                Chunk::ReConfig(_) | Chunk::Asconf(_) | Chunk::AsconfAck(_) | Chunk::Auth(_) => {
                    // Not negotiated by this implementation yet: treat like
                    // an unrecognised chunk whose type asks to skip and
                    // report (the upper bits of these types are 10 or 11).
                    if !self.on_unknown_chunk(ctx, raw, datagram) {
                        break;
                    }
                }
                Chunk::Unknown(_) => {
                    if !self.on_unknown_chunk(ctx, raw, datagram) {
                        break;
                    }
                }
            }
        }
        if self.closed {
            return;
        }
        if had_data {
            // §6.4: the SACK goes back to where the DATA came from.
            if let Some(p) = self.paths.find(&from) {
                self.last_data_path = Some(p);
            }
            self.tracker.on_data_packet(ctx.now, immediate);
            if self.state == S::ShutdownSent {
                // §9.2: answer each packet with DATA with a SHUTDOWN.
                self.need_shutdown = true;
                self.t2.start(ctx.now + self.primary_rto());
            }
        }
        self.reconfig_after_data(ctx);
        self.deliver_messages(ctx);
        self.progress_shutdown(ctx);
    }

    /// Whether we offered the extension `chunk` belongs to in our INIT or
    /// INIT ACK (FORWARD-TSN: RFC 3758 §3.3.1; I-FORWARD-TSN: RFC 8260
    /// §2.3 needs I-DATA too).
    fn offered(&self, chunk: &Chunk<'_>) -> bool {
        match chunk {
            Chunk::ForwardTsn(_) => self.config.partial_reliability,
            Chunk::IForwardTsn(_) => self.config.partial_reliability && self.config.i_data,
            _ => true,
        }
    }

    /// RFC 4895 §6.3 for a packet whose COOKIE ECHO created this
    /// association: an AUTH chunk before the COOKIE ECHO must verify with
    /// the cookie's parameters, and a COOKIE ECHO in our CHUNKS list must
    /// follow one. Returns whether the packet may be processed.
    pub(crate) fn cookie_echo_authentic(&mut self, packet: &Packet<&[u8]>) -> bool {
        let mut chunks = packet.chunks();
        let Some(Ok(first)) = chunks.next() else {
            return false;
        };
        if first.chunk_type != chunk_type::AUTH || !self.auth.is_active() {
            return !self.auth.we_require(chunk_type::COOKIE_ECHO);
        }
        let Ok(Chunk::Auth(a)) = Chunk::parse(&first) else {
            return false;
        };
        let region = packet
            .as_bytes()
            .get(first.offset.saturating_sub(4)..)
            .unwrap_or(&[]);
        // The association's own `handle_packet` checks it again and reports
        // a new key; here only the verdict counts.
        let ok = matches!(
            self.auth.verify(&a, region),
            super::auth::Verdict::Valid { .. }
        );
        self.auth.forget_peer_key();
        ok
    }

    /// Checks an AUTH chunk (RFC 4895 §6.3); returns whether the chunks
    /// after it are authenticated.
    fn on_auth(&mut self, ctx: &mut Ctx<'_>, raw: &RawChunk<'_>, packet: &[u8]) -> bool {
        let Ok(Chunk::Auth(a)) = Chunk::parse(raw) else {
            return false;
        };
        let region = packet.get(raw.offset.saturating_sub(4)..).unwrap_or(&[]);
        match self.auth.verify(&a, region) {
            super::auth::Verdict::Valid { new_key, freed } => {
                self.auth.rx_authenticated = true;
                for (key, indication) in [
                    (new_key, crate::event::AuthIndication::NewKey),
                    (freed, crate::event::AuthIndication::FreeKey),
                ] {
                    if let Some(key_id) = key {
                        ctx.emit(self.id, Event::Authentication { key_id, indication });
                    }
                }
                true
            }
            super::auth::Verdict::UnsupportedHmac(id) => {
                // §6.3: discard, and an ERROR SHOULD be sent.
                self.queue_error(ctx, ErrorCause::UnsupportedHmacIdentifier(id));
                false
            }
            super::auth::Verdict::Discard => {
                tracing::debug!(id = %self.id, "AUTH chunk failed verification; rest of packet discarded");
                false
            }
        }
    }

    /// §3.2: unknown chunk actions by the upper two bits of the type.
    /// Returns whether to keep processing the packet.
    fn on_unknown_chunk(&mut self, ctx: &mut Ctx<'_>, raw: RawChunk<'_>, datagram: &Bytes) -> bool {
        let action = wire::UnrecognizedAction::for_chunk(raw.chunk_type);
        if action.reports() {
            let whole = raw.bytes_in(datagram);
            self.queue_error(ctx, ErrorCause::UnrecognizedChunkType(whole));
        }
        action.continues()
    }

    /// RFC 9260 §6: the states in which DATA is received (COOKIE-ECHOED:
    /// bundled with the COOKIE ACK).
    fn receives_data(&self) -> bool {
        matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownSent | S::CookieEchoed
        )
    }

    fn on_data(&mut self, ctx: &mut Ctx<'_>, d: IncomingData) {
        if !self.receives_data() {
            // §6.2 / §9.2: no new data once the peer shut down.
            return;
        }
        if u32::from(d.stream.0) >= u32::from(self.inbound_streams) {
            // §6.5: invalid stream → ERROR "Invalid Stream Identifier",
            // the TSN still counts as received.
            if self.tracker.observe(d.tsn) == Observed::New {
                self.queue_error(ctx, ErrorCause::InvalidStreamIdentifier(d.stream));
            }
            return;
        }
        match self.tracker.classify(d.tsn) {
            Observed::Duplicate => {
                self.tracker.observe(d.tsn);
                return;
            }
            Observed::Dropped => return,
            Observed::New => {}
        }
        let tsn = d.tsn;
        let len = d.payload.len();
        // §6.2: with the window closed, only chunks that fill holes below
        // the highest TSN received are admitted.
        let held = self.reasm.buffered_bytes() + self.undelivered;
        if !self
            .window
            .admits(held, len, tsn, self.tracker.highest_received())
        {
            self.tracker.force_sack();
            return;
        }
        match self.reasm.add(d) {
            Ok(AddOutcome::Accepted) => {
                self.tracker.observe(tsn);
                self.stats.bytes_received += len as u64;
            }
            Ok(AddOutcome::AcceptedAfterEviction) => {
                // Evicted TSNs are no longer reported as received; forget
                // them before recording this one (rx contract).
                let evicted: Vec<Tsn> = self.reasm.take_evicted().collect();
                for t in evicted {
                    self.tracker.forget(t);
                }
                self.tracker.observe(tsn);
                self.stats.bytes_received += len as u64;
            }
            Ok(AddOutcome::Duplicate) => {
                self.tracker.observe(tsn);
            }
            Ok(AddOutcome::BufferFull) => {
                // Refused for lack of buffer (§6.2): not acknowledged, a
                // SACK goes out at once, the peer retransmits.
                self.tracker.force_sack();
            }
            Err(e) => {
                // A message larger than we accept, or an inconsistent
                // fragment sequence: protocol violation.
                self.abort_protocol_violation(ctx, &e.to_string());
            }
        }
    }

    pub(crate) fn deliver_messages(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(m) = self.reasm.poll_message() {
            self.stats.messages_received += 1;
            self.undelivered += m.data.len();
            ctx.emit(
                self.id,
                Event::Message {
                    stream: m.stream,
                    ppid: m.ppid,
                    unordered: m.unordered,
                    data: m.data,
                },
            );
        }
    }

    fn on_forward_tsn(
        &mut self,
        ctx: &mut Ctx<'_>,
        new_cum: Tsn,
        skipped: impl Iterator<Item = crate::rx::SkippedMessage>,
    ) {
        if !self.negotiated.forward_tsn {
            self.abort_protocol_violation(ctx, "FORWARD-TSN received but not negotiated");
            return;
        }
        // RFC 3758 §3.6: a FORWARD-TSN whose TSN lies beyond what we could
        // have received is a protocol violation; a stale one is ignored.
        if self.forward_tsn_before_reset(new_cum) {
            return;
        }
        if new_cum.gt(self.tracker.cumulative_tsn_ack().add(1 << 30)) {
            self.abort_protocol_violation(ctx, "FORWARD-TSN too far ahead");
            return;
        }
        if self.tracker.handle_forward_tsn(new_cum) {
            self.reasm.handle_forward_tsn(new_cum, skipped);
        }
    }

    fn on_sack(&mut self, ctx: &mut Ctx<'_>, s: &wire::SackChunk<'_>) {
        if !matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownSent | S::ShutdownReceived
        ) {
            return;
        }
        let outcome = match self.rtx.handle_sack(
            s.cum_tsn_ack,
            s.gap_blocks.iter().flatten(),
            s.a_rwnd,
            ctx.now,
        ) {
            Ok(o) => o,
            Err(e) => {
                // §6.2.1 / §9.2: acknowledging what was never sent.
                self.abort_protocol_violation(ctx, &e.to_string());
                return;
            }
        };
        if outcome.stale {
            return;
        }
        self.error_count = 0;
        self.stats.bytes_acked += outcome.newly_acked_bytes as u64;
        self.apply_sack_to_paths(ctx, &outcome);
        if outcome.fast_retransmit {
            self.fast_retransmit_pending = true;
        }
        // RFC 9260 §7.2.4: chunks marked here are retransmitted as fast
        // retransmissions (AssociationStats::fast_retransmissions).
        self.stats.fast_retransmissions += outcome.fast_retransmit_marked;
        self.report_failed(ctx);
        self.note_forward_tsn_point();
        if !self.rtx.has_outstanding() && self.sendq.is_empty() && !self.dry_reported {
            self.dry_reported = true;
            ctx.emit(self.id, Event::SenderDry);
        }
        if self.sendq.take_buffered_amount_low() {
            ctx.emit(self.id, Event::BufferedAmountLow);
        }
    }

    /// Hands back messages the tx side gave up on.
    pub(crate) fn report_failed(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(f) = self.rtx.take_failed().or_else(|| self.sendq.take_failed()) {
            let reason = match f.reason {
                crate::tx::FailReason::AssociationClosed => {
                    crate::event::SendFailure::AssociationClosed
                }
                _ => crate::event::SendFailure::Abandoned,
            };
            ctx.emit(
                self.id,
                Event::SendFailed {
                    stream: f.msg.stream,
                    ppid: f.msg.ppid,
                    reason,
                    data: f.msg.data,
                },
            );
        }
    }

    fn on_error(&mut self, ctx: &mut Ctx<'_>, e: &wire::ErrorChunk<'_>) {
        for cause in e.causes.iter().flatten() {
            if let ErrorCause::StaleCookie(staleness_us) = cause {
                if self.state == S::CookieEchoed {
                    self.on_stale_cookie(ctx, staleness_us);
                    return;
                }
            }
            if let ErrorCause::UnrecognizedChunkType(c) = cause {
                if c.first() == Some(&chunk_type::ASCONF) {
                    // RFC 5061 §5.1 A9.
                    self.on_asconf_unrecognized(ctx);
                }
            }
        }
        let text = describe_causes(e.causes.iter().flatten());
        ctx.emit(self.id, Event::RemoteError(text));
    }

    fn on_shutdown(&mut self, ctx: &mut Ctx<'_>, cum_tsn_ack: Tsn) {
        match self.state {
            // §9.2: discarded during setup.
            S::CookieWait | S::CookieEchoed | S::Closed => return,
            S::ShutdownAckSent => {
                self.need_shutdown_ack = true;
                return;
            }
            S::ShutdownSent => {
                // §9.2: both sides shut down: answer with SHUTDOWN ACK.
                self.state = S::ShutdownAckSent;
                self.need_shutdown = false;
                self.need_shutdown_ack = true;
                self.t2.stop();
                self.t2.start(ctx.now + self.primary_rto());
                return;
            }
            S::Established | S::ShutdownPending => {
                self.state = S::ShutdownReceived;
                self.stop_heartbeats();
                ctx.emit(self.id, Event::ShutdownReceived);
            }
            S::ShutdownReceived => {}
        }
        // The cumulative TSN ack in SHUTDOWN acknowledges our data (§9.2).
        let a_rwnd =
            u32::try_from(self.rtx.peer_rwnd() + self.rtx.bytes_in_flight()).unwrap_or(u32::MAX);
        if let Ok(o) = self
            .rtx
            .handle_sack(cum_tsn_ack, core::iter::empty(), a_rwnd, ctx.now)
        {
            self.apply_sack_to_paths(ctx, &o);
        }
        self.report_failed(ctx);
        // RFC 3758 §3.5 C1-C3: this cumulative ack may be what lets the
        // Advanced.Peer.Ack.Point pass abandoned chunks; without a FORWARD
        // TSN then, nothing would acknowledge them and the shutdown would
        // wait for them until the guard timer aborts the association.
        self.note_forward_tsn_point();
    }

    /// Asks for a FORWARD TSN when the Advanced.Peer.Ack.Point is ahead of
    /// the cumulative ack (RFC 3758 §3.5 C2/C3), after anything that moved
    /// either: a SACK, the cumulative ack in a SHUTDOWN (RFC 9260 §9.2), or
    /// an abandonment at a timeout.
    pub(crate) fn note_forward_tsn_point(&mut self) {
        if self.negotiated.forward_tsn && self.rtx.forward_tsn(self.negotiated.i_data, 1).is_some()
        {
            self.need_forward_tsn = true;
        }
    }

    fn on_shutdown_ack(&mut self, ctx: &mut Ctx<'_>) {
        match self.state {
            S::ShutdownSent | S::ShutdownAckSent => {
                // §9.2: send SHUTDOWN COMPLETE and forget the association.
                self.queue_control(super::Control {
                    bytes: encode_simple(Chunk::ShutdownComplete(wire::ShutdownCompleteChunk {
                        reflected_tag: false,
                    })),
                    alone: true,
                    vtag: None,
                    to: None,
                });
                self.t2.stop();
                self.close(ctx, CloseReason::Shutdown);
            }
            S::CookieWait | S::CookieEchoed => {
                // §9.2: the sender of the INIT or COOKIE ECHO answers with a
                // SHUTDOWN COMPLETE, T bit set, under the tag received (ours,
                // checked by `tag_ok`); T1-init keeps running.
                self.queue_control(super::Control {
                    bytes: encode_simple(Chunk::ShutdownComplete(wire::ShutdownCompleteChunk {
                        reflected_tag: true,
                    })),
                    alone: true,
                    vtag: Some(self.local_tag),
                    to: None,
                });
            }
            _ => {}
        }
    }

    /// SHUTDOWN-PENDING → SHUTDOWN-SENT and SHUTDOWN-RECEIVED →
    /// SHUTDOWN-ACK-SENT once everything we sent is acknowledged (§9.2).
    pub(crate) fn progress_shutdown(&mut self, ctx: &mut Ctx<'_>) {
        // §9.2: SHUTDOWN (or SHUTDOWN ACK) waits until all outstanding data
        // is acknowledged, and only the cumulative TSN ack acknowledges: a
        // gap-acked chunk may still be behind an abandoned one whose
        // FORWARD TSN (RFC 3758 §3.5) the peer has not seen.
        let all_acked = self.rtx.cum_ack().next() == self.rtx.next_tsn() && self.sendq.is_empty();
        match self.state {
            S::ShutdownPending if all_acked => {
                self.state = S::ShutdownSent;
                self.stop_heartbeats();
                self.need_shutdown = true;
                self.tracker.set_immediate_mode(true);
                self.t2.stop();
                self.t2.start(ctx.now + self.primary_rto());
                let guard = self.config.rto_max * 5;
                self.t5.start(ctx.now + guard);
            }
            S::ShutdownReceived if all_acked => {
                self.state = S::ShutdownAckSent;
                self.need_shutdown_ack = true;
                self.t2.stop();
                self.t2.start(ctx.now + self.primary_rto());
            }
            _ => {}
        }
    }
}

/// Encodes a chunk into owned bytes (control chunks wait in a queue).
pub(crate) fn encode_simple(c: Chunk<'_>) -> Vec<u8> {
    use wire::Emit;
    let mut out = vec![0u8; super::output::pad4(c.encoded_len())];
    c.emit(&mut out);
    out
}

/// Renders error causes for the application.
pub(crate) fn describe_causes<'a>(causes: impl Iterator<Item = ErrorCause<'a>>) -> String {
    let mut s = String::new();
    for c in causes.take(8) {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&describe_cause(&c));
    }
    if s.is_empty() {
        s.push_str("no cause given");
    }
    s
}

/// One error cause in words.
pub(crate) fn describe_cause(c: &ErrorCause<'_>) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(256)]).into_owned();
    match c {
        ErrorCause::InvalidStreamIdentifier(s) => format!("invalid stream identifier {s}"),
        ErrorCause::MissingMandatoryParameter(_) => "missing mandatory parameter".into(),
        ErrorCause::StaleCookie(us) => format!("stale cookie ({us} us too late)"),
        ErrorCause::OutOfResource => "out of resource".into(),
        ErrorCause::UnresolvableAddress(_) => "unresolvable address".into(),
        ErrorCause::UnrecognizedChunkType(c) => {
            format!(
                "unrecognized chunk type {}",
                c.first().copied().unwrap_or(0)
            )
        }
        ErrorCause::InvalidMandatoryParameter => "invalid mandatory parameter".into(),
        ErrorCause::UnrecognizedParameters(_) => "unrecognized parameters".into(),
        ErrorCause::NoUserData(t) => format!("no user data in TSN {t}"),
        ErrorCause::CookieReceivedWhileShuttingDown => "cookie received while shutting down".into(),
        ErrorCause::RestartWithNewAddresses(_) => {
            "restart of an association with new addresses".into()
        }
        ErrorCause::UserInitiatedAbort([]) => "user-initiated abort".into(),
        ErrorCause::UserInitiatedAbort(r) => format!("user-initiated abort: {}", text(r)),
        ErrorCause::ProtocolViolation(r) => format!("protocol violation: {}", text(r)),
        other => format!("error cause {}", other.cause_code()),
    }
}
