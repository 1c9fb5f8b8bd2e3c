//! Building packets (RFC 9260 §6.1, §6.10): control chunks first, then a
//! SACK, FORWARD-TSN, retransmissions and new DATA, within the congestion
//! and receiver windows.

use crate::event::Transmit;
use crate::stats::AssociationState as S;
use crate::time::Instant;
use crate::types::VerificationTag;
use crate::wire::{self, ChecksumMode, Chunk, Emit, List, PacketWriter};

use super::paths::pidx;
use super::Association;
use crate::path::PathId;

/// DATA chunk header (RFC 9260 §3.3.1).
const DATA_HEADER: usize = 16;
/// I-DATA chunk header (RFC 8260 §2.1).
const IDATA_HEADER: usize = 20;
/// The SCTP common header.
const COMMON_HEADER: usize = 12;
/// The longest AUTH chunk we send (HMAC-SHA-256, RFC 4895 §4.1).
const MAX_AUTH_CHUNK: usize = 8 + 32;

/// Already-encoded chunk bytes, pushed as they are.
pub(crate) struct Encoded<'a>(pub &'a [u8]);

/// Rounds up to a multiple of 4 (RFC 9260 §3.2 padding).
pub(crate) const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

impl Emit for Encoded<'_> {
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn emit(&self, buf: &mut [u8]) -> usize {
        buf[..self.0.len()].copy_from_slice(self.0);
        let end = pad4(self.0.len());
        buf[self.0.len()..end].fill(0);
        end
    }
    fn type_byte(&self) -> Option<u8> {
        self.0.first().copied()
    }
}

impl Association {
    fn checksum_mode(&self) -> ChecksumMode {
        if self.negotiated.send_zero_checksum {
            ChecksumMode::Zero
        } else {
            ChecksumMode::Compute
        }
    }

    fn data_header(&self) -> usize {
        if self.negotiated.i_data {
            IDATA_HEADER
        } else {
            DATA_HEADER
        }
    }

    /// The next packet to send, written into `buf`.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.reconfig_progress(now);
        let primary = self.paths.primary();
        let mtu = self.path_mtu(primary).min(buf.len());
        // A control chunk that travels alone or under another tag (INIT,
        // INIT ACK, SHUTDOWN COMPLETE, reflected ABORT) gets its own packet.
        // So does one addressed to a path other than this packet's (a
        // HEARTBEAT ACK to the source of its HEARTBEAT, §8.3).
        if let Some(c) = self.control.front() {
            if c.alone || c.vtag.is_some() || c.to.is_some() {
                let c = self.control.pop_front()?;
                let vtag = c.vtag.unwrap_or(self.peer_tag);
                let dest = c.to.unwrap_or_else(|| self.path_addr(primary));
                let source = self.paths.find(&dest).and_then(|p| self.path_source(p));
                let size = mtu
                    .max(COMMON_HEADER + MAX_AUTH_CHUNK + c.bytes.len())
                    .min(buf.len());
                let mut w = self.writer(&mut buf[..size], vtag)?;
                w.push(&Encoded(&c.bytes)).ok()?;
                let len = self.seal(w);
                self.stats.packets_sent += 1;
                return Some(Transmit {
                    destination: dest,
                    source,
                    len,
                });
            }
        }
        if self.state == S::Closed {
            return None;
        }
        if self.nothing_to_send() {
            // The host polls until it gets `None`: that last poll skips
            // building a packet that would stay empty. What a transmit
            // round does even when it sends nothing still happens: the idle
            // cwnd decay (§7.2.1) and fixing the burst's base (§6.1 D).
            if self.may_send_data() && buf.len() >= wire::HEADER_LEN {
                let path = self.packet_path();
                if let Some(p) = self.paths.get_mut(path) {
                    p.refresh_idle(now);
                    p.round_send_limit();
                }
            }
            return self.heartbeat_packet(now, buf);
        }

        let path = self.packet_path();
        let dest = self.path_addr(path);
        let mtu = self.path_mtu(path).min(buf.len());
        let mut w = self.writer(&mut buf[..mtu], self.peer_tag)?;
        // COOKIE ECHO first (§5.1 D: it must be the first chunk).
        if self.state == S::CookieEchoed && self.cookie_echo_pending {
            if let Some(cookie) = self.cookie.as_ref() {
                if w.push(&Chunk::CookieEcho(wire::CookieEchoChunk { cookie }))
                    .is_ok()
                {
                    self.cookie_echo_pending = false;
                }
            }
        }
        while let Some(c) = self.control.front() {
            if c.alone || c.vtag.is_some() || c.to.is_some() {
                break;
            }
            if w.push(&Encoded(&c.bytes)).is_err() {
                break;
            }
            self.control.pop_front();
        }
        if self.need_cookie_ack && w.push(&Chunk::CookieAck).is_ok() {
            self.need_cookie_ack = false;
        }
        if self.need_shutdown_ack && w.push(&Chunk::ShutdownAck).is_ok() {
            self.need_shutdown_ack = false;
        }
        // SACK: when due, or bundled with anything else we send (§6.2: a
        // SACK may be bundled with outgoing data).
        let will_send_data =
            self.may_send_data() && (self.rtx.has_retransmissions() || !self.sendq.is_empty());
        // §6.2: a SHUTDOWN acknowledges by its Cumulative TSN Ack; a SACK is
        // only needed beside it for what it cannot say (gaps, duplicates).
        let shutdown_acks =
            self.need_shutdown && !self.tracker.has_gaps() && self.tracker.duplicates().is_empty();
        if !shutdown_acks
            && (self.tracker.sack_due_now()
                || (self.tracker.sack_deadline().is_some() && (will_send_data || !w.is_empty()))
                || self.need_shutdown)
        {
            self.push_sack(&mut w);
        }
        if self.need_shutdown {
            let cum = self.tracker.cumulative_tsn_ack();
            if w.push(&Chunk::Shutdown(wire::ShutdownChunk { cum_tsn_ack: cum }))
                .is_ok()
            {
                self.need_shutdown = false;
                if shutdown_acks {
                    self.tracker.on_sack_sent();
                }
            }
        }
        if self.need_forward_tsn && self.push_forward_tsn(&mut w) {
            // RFC 3758 §3.5 C5: while a FORWARD TSN is unacknowledged a
            // T3-rtx timer runs (even with no DATA in flight), so a lost one
            // is sent again (A5) instead of stalling the cumulative ack.
            if let Some(p) = self.paths.get_mut(path) {
                p.start_t3_if_stopped(now);
            }
        }
        if self.may_send_data() {
            self.push_data(now, path, &mut w);
        }
        if w.is_empty() {
            // Nothing else to send: a HEARTBEAT, if one is due, goes alone
            // to its own path (§8.3), after any answer the peer waits for.
            return self.heartbeat_packet(now, buf);
        }
        let len = self.seal(w);
        self.stats.packets_sent += 1;
        Some(Transmit {
            destination: dest,
            source: self.path_source(path),
            len,
        })
    }

    /// A packet writer for this association: with SCTP-AUTH, it places an
    /// AUTH chunk before the first chunk the peer wants authenticated
    /// (RFC 4895 §6.2).
    fn writer<'b>(&self, buf: &'b mut [u8], vtag: VerificationTag) -> Option<PacketWriter<'b>> {
        let mut w = PacketWriter::new(buf, self.local_port, self.peer_port, vtag).ok()?;
        if let Some(plan) = self.auth.plan() {
            w.authenticate(plan);
        }
        Some(w)
    }

    /// Fills in the AUTH chunk's HMAC, if the packet has one (RFC 4895
    /// §6.2: over the AUTH chunk, HMAC zeroed, and all chunks after it),
    /// then the checksum; returns the packet's length.
    fn seal(&self, mut w: PacketWriter<'_>) -> usize {
        if let Some(plan) = w.auth_plan() {
            if let Some(region) = w.authenticated_region() {
                self.auth.sign(&plan, region);
            }
        }
        w.finish(self.checksum_mode())
    }

    /// Where the next packet goes (RFC 9260 §6.4):
    /// - with chunks to retransmit, to an active path other than the one
    ///   the first of them was last sent to
    ///   (`PathSet::destination_for_retransmission`; §6.4 and §6.3.3 E3 for
    ///   T3-rtx, and fast retransmissions alike);
    /// - with new data, to the data path (the primary while it is active);
    /// - otherwise (SACK and other replies) to the source of the newest DATA
    ///   if that address is confirmed (§6.4 reply rule, §5.4), else the data
    ///   path.
    fn packet_path(&self) -> PathId {
        if self.may_send_data() {
            if let Some(last) = self.rtx.retransmission_last_path() {
                let last = PathId(u16::try_from(last).unwrap_or(u16::MAX));
                return self
                    .paths
                    .destination_for_retransmission(last)
                    .unwrap_or_else(|| self.data_path());
            }
            if !self.sendq.is_empty() {
                return self.data_path();
            }
        }
        self.last_data_path
            .filter(|&p| self.paths.get(p).is_some_and(|p| p.is_confirmed()))
            .unwrap_or_else(|| self.data_path())
    }

    /// The local address packets on `path` leave from, when the endpoint
    /// learnt it (multihomed endpoints only; `None`: the host chooses).
    fn path_source(&self, path: PathId) -> Option<std::net::SocketAddr> {
        self.paths.get(path).and_then(|p| p.local())
    }

    fn heartbeat_packet(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (path, info) = self.poll_heartbeat(now)?;
        let dest = self.path_addr(path);
        let mtu = self.path_mtu(path).min(buf.len());
        let mut w = self.writer(&mut buf[..mtu], self.peer_tag)?;
        w.push(&Chunk::Heartbeat(wire::HeartbeatChunk { info: &info }))
            .ok()?;
        let len = self.seal(w);
        self.stats.packets_sent += 1;
        Some(Transmit {
            destination: dest,
            source: self.path_source(path),
            len,
        })
    }

    /// No chunk of any kind is waiting, except perhaps a HEARTBEAT: the
    /// packet `poll_transmit` would build stays empty. Each condition
    /// mirrors one step of `poll_transmit`; the SACK timer alone does not
    /// send a SACK (only bundled with another chunk, or when due).
    fn nothing_to_send(&self) -> bool {
        let cookie_echo = self.state == S::CookieEchoed && self.cookie_echo_pending;
        let data =
            self.may_send_data() && (self.rtx.has_retransmissions() || !self.sendq.is_empty());
        let pending = !self.control.is_empty()
            || cookie_echo
            || self.need_cookie_ack
            || self.need_shutdown_ack
            || self.need_shutdown
            || self.need_forward_tsn
            || self.fast_retransmit_pending
            || self.tracker.sack_due_now()
            || data;
        !pending
    }

    fn may_send_data(&self) -> bool {
        matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownReceived
        )
    }

    fn push_sack(&mut self, w: &mut PacketWriter<'_>) {
        // Less an AUTH chunk the SACK may need (RFC 4895 §6.2).
        let room = w.room_for(wire::chunk_type::SACK);
        let mut gaps = core::mem::take(&mut self.gap_scratch);
        let mut dups = core::mem::take(&mut self.dup_scratch);
        let cum = self.tracker.write_sack(room, &mut gaps, &mut dups);
        let held = self.reasm.buffered_bytes() + self.undelivered;
        let a_rwnd = self.window.a_rwnd(held);
        let sack = Chunk::Sack(wire::SackChunk {
            cum_tsn_ack: cum,
            a_rwnd,
            gap_blocks: List::Items(&gaps),
            duplicate_tsns: List::Items(&dups),
        });
        if w.push(&sack).is_ok() {
            self.tracker.on_sack_sent();
        }
        self.gap_scratch = gaps;
        self.dup_scratch = dups;
    }

    /// Returns whether a FORWARD TSN was written.
    fn push_forward_tsn(&mut self, w: &mut PacketWriter<'_>) -> bool {
        let t = if self.negotiated.i_data {
            wire::chunk_type::I_FORWARD_TSN
        } else {
            wire::chunk_type::FORWARD_TSN
        };
        let max_streams =
            (w.room_for(t).saturating_sub(8) / if self.negotiated.i_data { 8 } else { 4 }).max(1);
        let Some((new_cum, streams)) = self.rtx.forward_tsn(self.negotiated.i_data, max_streams)
        else {
            self.need_forward_tsn = false;
            return false;
        };
        let ok = if self.negotiated.i_data {
            let entries: Vec<wire::IForwardTsnStream> = streams
                .iter()
                .map(|s| wire::IForwardTsnStream {
                    stream: s.stream,
                    unordered: s.unordered,
                    mid: s.mid,
                })
                .collect();
            w.push(&Chunk::IForwardTsn(wire::IForwardTsnChunk {
                new_cum_tsn: new_cum,
                streams: List::Items(&entries),
            }))
            .is_ok()
        } else {
            let entries: Vec<wire::ForwardTsnStream> = streams
                .iter()
                .filter(|s| !s.unordered)
                .map(|s| wire::ForwardTsnStream {
                    stream: s.stream,
                    ssn: s.ssn,
                })
                .collect();
            w.push(&Chunk::ForwardTsn(wire::ForwardTsnChunk {
                new_cum_tsn: new_cum,
                streams: List::Items(&entries),
            }))
            .is_ok()
        };
        if ok {
            self.need_forward_tsn = false;
        }
        ok
    }

    /// Retransmissions first, then new data, within cwnd and the peer's
    /// window (§6.1), with Nagle-style bundling unless `nodelay`.
    fn push_data(&mut self, now: Instant, path: PathId, w: &mut PacketWriter<'_>) {
        let pi = pidx(path);
        let header = self.data_header();
        let data_type = if self.negotiated.i_data {
            wire::chunk_type::I_DATA
        } else {
            wire::chunk_type::DATA
        };
        let mut sent_any = false;
        // §7.2.4 step 3: the first packet after fast retransmit ignores cwnd.
        let ignore_cwnd = core::mem::take(&mut self.fast_retransmit_pending);
        let mut sent_bytes = 0usize;
        let limit = match self.paths.get_mut(path) {
            Some(p) => {
                p.refresh_idle(now);
                p.round_send_limit()
            }
            None => 0,
        };
        loop {
            // A chunk takes its padded length (RFC 9260 §3.2): with an MTU
            // that is not a multiple of 4, the last 1-3 bytes hold no DATA.
            // RFC 4895 §6.2: less the AUTH chunk that must precede DATA.
            let room = w.room_for(data_type) & !3;
            if room <= header {
                break;
            }
            let in_flight = self.rtx.path_bytes_in_flight(pi);
            if !ignore_cwnd && in_flight >= limit {
                // Max.Burst, not cwnd, stopped data that is waiting: the
                // window counts as fully utilised (§6.1 D lowers cwnd only
                // temporarily; §7.2.1).
                if self.rtx.has_retransmissions() || !self.sendq.is_empty() {
                    if let Some(p) = self.paths.get_mut(path) {
                        p.note_burst_stop(limit);
                    }
                }
                break;
            }
            let max_payload = room - header;
            if let Some((tsn, frag)) = self.rtx.next_retransmission(now, pi, max_payload) {
                self.emit_data(w, tsn, &frag);
                sent_bytes += self.rtx.chunk_size(frag.data.len());
                self.stats.retransmissions += 1;
                sent_any = true;
                continue;
            }
            if self.rtx.has_retransmissions() {
                // Retransmissions waiting that do not fit: next packet.
                break;
            }
            if self.sendq.is_empty() || path != self.data_path() {
                // Nothing new to send; or a packet of retransmissions to an
                // alternate path: new data goes to the data path (§6.4), in
                // the next packet.
                break;
            }
            // §6.1 B: the peer's window. With data outstanding, new data
            // goes only where it fits: a full chunk, or all that is queued
            // if that is less (no silly-window slivers, and never past the
            // window). With nothing outstanding one chunk may probe (§6.1 A).
            let rwnd = self.rtx.peer_rwnd();
            if self.rtx.has_outstanding()
                && rwnd < max_payload.min(self.sendq.buffered_amount()).max(1)
            {
                break;
            }
            // Nagle (RFC 9260 §6.1 D and RFC 1122 spirit): with data in flight,
            // hold back a packet that would not be full — but never the
            // rest of a message already begun: its tail would wait for a
            // (delayed) SACK of its head.
            if !self.config.nodelay
                && !sent_any
                && self.rtx.has_outstanding()
                && self.sendq.buffered_amount() < max_payload
                && !self.sendq.has_started_message()
            {
                break;
            }
            let max_payload = if rwnd == 0 {
                max_payload.min(self.path_mtu(path))
            } else {
                max_payload
            };
            // A small message that does not fit after the chunks already
            // in this packet goes whole into the next one.
            let fresh = if sent_any {
                self.path_mtu(path).saturating_sub(COMMON_HEADER + header)
            } else {
                max_payload
            };
            let Some(frag) =
                self.sendq
                    .produce_within(now, max_payload, fresh, self.negotiated.i_data)
            else {
                break;
            };
            if frag.end {
                self.stats.messages_sent += 1;
            }
            let tsn = self.rtx.next_tsn();
            self.emit_data(w, tsn, &frag);
            sent_bytes += self.rtx.chunk_size(frag.data.len());
            let assigned = self.rtx.add_sent(frag, pi, now);
            debug_assert_eq!(assigned, tsn);
            sent_any = true;
            self.dry_reported = false;
            if rwnd == 0 {
                break;
            }
        }
        if sent_any {
            self.on_path_data_sent(path, now, sent_bytes);
        }
    }

    fn emit_data(
        &mut self,
        w: &mut PacketWriter<'_>,
        tsn: crate::types::Tsn,
        f: &crate::tx::OutgoingFragment,
    ) {
        let res = if self.negotiated.i_data {
            w.push(&Chunk::IData(wire::IDataChunk {
                tsn,
                stream: f.stream,
                mid: f.mid,
                ppid: f.ppid,
                fsn: f.fsn,
                unordered: f.unordered,
                beginning: f.begin,
                ending: f.end,
                immediate_sack: false,
                payload: &f.data,
            }))
        } else {
            w.push(&Chunk::Data(wire::DataChunk {
                tsn,
                stream: f.stream,
                ssn: f.ssn,
                ppid: f.ppid,
                unordered: f.unordered,
                beginning: f.begin,
                ending: f.end,
                immediate_sack: false,
                payload: &f.data,
            }))
        };
        debug_assert!(res.is_ok(), "the fragment was sized to fit");
    }
}
