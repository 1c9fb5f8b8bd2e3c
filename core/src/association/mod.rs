//! The association: RFC 9260's state machine (§4), one file per concern.
//!
//! - `mod.rs`: the TCB (`Association`), commands, timers, events;
//! - `handshake.rs`: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, collisions
//!   and restart (§5);
//! - `input.rs`: dispatch of received chunks (§6, §8, §9);
//! - `output.rs`: building packets (bundling, §6.1 sending rules);
//! - `cookie.rs`: the signed State Cookie;
//! - `reconfig.rs`: stream re-configuration (RFC 6525).
//! - `auth.rs`: SCTP-AUTH (RFC 4895) keys, HMACs and chunk lists;
//! - `asconf.rs`: dynamic address reconfiguration (RFC 5061).

mod asconf;
pub(crate) mod auth;
pub mod cookie;
pub(crate) mod handshake;
mod input;
mod lifecycle;
mod output;
mod paths;
mod reconfig;

pub(crate) use output::{pad4, Encoded};

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;
use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use crate::config::AssociationConfig;
use crate::event::{AssociationId, CloseReason, Event, SendFailure};
use crate::stats::{AssociationState, AssociationStats};
use crate::time::Instant;
use crate::types::{Tsn, VerificationTag};

use cookie::{CookieKey, PeerCapabilities};

/// Most control chunks queued for sending; more are dropped (they are
/// answers the peer will ask again for).
const MAX_CONTROL_QUEUE: usize = 64;

/// What the endpoint lends an association while it works.
pub(crate) struct Ctx<'a> {
    pub now: Instant,
    pub events: &'a mut VecDeque<(AssociationId, Event)>,
    pub cookie_key: &'a CookieKey,
}

impl Ctx<'_> {
    fn emit(&mut self, id: AssociationId, ev: Event) {
        self.events.push_back((id, ev));
    }
}

/// Capabilities both sides agreed on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Negotiated {
    pub forward_tsn: bool,
    pub i_data: bool,
    /// We may send packets with a zero checksum (the peer accepts them).
    pub send_zero_checksum: bool,
    /// We accept packets with a zero checksum.
    pub accept_zero_checksum: bool,
}

/// A timer: a deadline and how often it fired without progress.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timer {
    pub deadline: Option<Instant>,
    pub count: u32,
}

impl Timer {
    fn start(&mut self, at: Instant) {
        self.deadline = Some(at);
    }
    fn stop(&mut self) {
        self.deadline = None;
        self.count = 0;
    }
    fn due(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }
}

/// A control chunk waiting to be sent, already encoded.
#[derive(Debug)]
pub(crate) struct Control {
    /// The encoded chunk (with padding).
    pub bytes: Vec<u8>,
    /// Must travel alone (INIT, INIT ACK, SHUTDOWN COMPLETE).
    pub alone: bool,
    /// Overrides the packet's verification tag (INIT: 0; reflected tags).
    pub vtag: Option<VerificationTag>,
    /// Destination other than the primary path.
    pub to: Option<SocketAddr>,
}

/// One association's Transmission Control Block (RFC 9260 §14).
#[derive(Debug)]
pub(crate) struct Association {
    pub id: AssociationId,
    pub state: AssociationState,
    pub config: AssociationConfig,
    pub local_port: u16,
    pub peer_port: u16,
    pub local_tag: VerificationTag,
    pub peer_tag: VerificationTag,
    pub local_tie_tag: VerificationTag,
    pub peer_tie_tag: VerificationTag,
    pub local_initial_tsn: Tsn,
    pub outbound_streams: u16,
    pub inbound_streams: u16,
    pub negotiated: Negotiated,
    pub peer_caps: PeerCapabilities,
    pub paths: crate::path::PathSet,
    pub window: crate::rx::ReceiveWindow,
    pub peer_initial_tsn: Tsn,
    pub sendq: crate::tx::SendQueue,
    pub rtx: crate::tx::RetransmissionQueue,
    pub tracker: crate::rx::DataTracker,
    pub reasm: crate::rx::ReassemblyQueue,
    /// T1-init / T1-cookie (§5.1).
    pub t1: Timer,
    /// T2-shutdown (§9.2).
    pub t2: Timer,
    /// T5-shutdown-guard (§9.2).
    pub t5: Timer,
    /// Our INIT chunk, encoded, for retransmission and collisions (§5.2.1).
    pub init_chunk: Option<Vec<u8>>,
    /// The cookie to echo while in COOKIE-ECHOED.
    pub cookie: Option<Bytes>,
    /// The COOKIE ECHO must be (re)sent.
    pub cookie_echo_pending: bool,
    /// The first packet after a fast retransmit may ignore cwnd (§7.2.4).
    pub fast_retransmit_pending: bool,
    pub control: VecDeque<Control>,
    pub need_cookie_ack: bool,
    pub need_shutdown: bool,
    pub need_shutdown_ack: bool,
    pub need_forward_tsn: bool,
    /// Association error counter (§8.1).
    pub error_count: u32,
    pub rng: ChaCha8Rng,
    pub stats: Counters,
    /// Bytes delivered to the host as events and not yet taken by it; they
    /// still occupy the receive window (§6.2.1).
    pub undelivered: usize,
    pub last_activity: Instant,
    /// Whether SenderDry was reported since the last send.
    pub dry_reported: bool,
    pub gap_scratch: Vec<crate::types::GapAckBlock>,
    pub dup_scratch: Vec<Tsn>,
    /// The path the newest DATA came from: SACKs go back there (RFC 9260
    /// §6.4: reply chunks to the source of what they answer).
    pub last_data_path: Option<crate::path::PathId>,
    /// Peer addresses were added since the endpoint last looked (it maps
    /// every peer address to this association).
    pub paths_changed: bool,
    /// Our addresses, listed in INIT / INIT ACK (§5.1.2); empty: only the
    /// packets' source address.
    pub local_addresses: Vec<std::net::IpAddr>,
    /// ASCONF / ASCONF-ACK state (RFC 5061).
    pub asconf: asconf::AsconfState,
    /// Peer addresses removed (RFC 5061 Delete IP) since the endpoint
    /// last looked: it stops mapping them to this association.
    pub removed_peer_addresses: Vec<SocketAddr>,
    /// In the ready list of the endpoint.
    pub queued: bool,
    /// The deadline the endpoint's timer queue holds for this association,
    /// so it is only rescheduled when it changed.
    pub scheduled: Option<Instant>,
    pub closed: bool,
    /// Stream re-configuration (RFC 6525).
    pub reconfig: reconfig::ReconfigState,
    /// SCTP-AUTH (RFC 4895) state.
    pub auth: auth::Auth,
}

/// Running counters for [`AssociationStats`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub retransmissions: u64,
    pub fast_retransmissions: u64,
    pub timeouts: u64,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub messages_sent: u64,
    pub messages_received: u64,
    pub bytes_acked: u64,
    pub bytes_received: u64,
}

impl Association {
    fn random_tag(rng: &mut ChaCha8Rng) -> VerificationTag {
        // §5.3.1: a non-zero random value.
        loop {
            let t = rng.next_u32();
            if t != 0 {
                return VerificationTag(t);
            }
        }
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>, reason: CloseReason) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.state = AssociationState::Closed;
        // Messages abandoned before the end (a lifetime that ran out while
        // queued, RFC 7496 §3.1) keep their own reason...
        self.report_failed(ctx);
        // ...then hand back every message the peer did not acknowledge
        // (nothing the application was promised is silently lost).
        let reason_failed = SendFailure::AssociationClosed;
        let failed = self.rtx.drain_all_unacked();
        let unsent = self
            .sendq
            .drain_all(crate::tx::FailReason::AssociationClosed);
        for f in failed.into_iter().chain(unsent) {
            ctx.emit(
                self.id,
                Event::SendFailed {
                    stream: f.msg.stream,
                    ppid: f.msg.ppid,
                    reason: reason_failed,
                    data: f.msg.data,
                },
            );
        }
        ctx.emit(self.id, Event::Closed(reason));
        self.t1.stop();
        self.t2.stop();
        self.t5.stop();
    }

    /// Whether the chunk being handled followed a valid AUTH chunk in its
    /// packet (RFC 4895 §6.3). Only meaningful while `handle_packet`
    /// dispatches a chunk.
    #[allow(dead_code)]
    pub(crate) fn received_authenticated(&self) -> bool {
        self.auth.rx_authenticated
    }

    /// Whether incoming packets may carry a zero checksum (RFC 9653).
    pub(crate) fn accepts_zero_checksum(&self) -> bool {
        self.negotiated.accept_zero_checksum
    }

    pub(crate) fn stats(&self) -> AssociationStats {
        AssociationStats {
            state: self.state,
            outbound_streams: self.outbound_streams,
            inbound_streams: self.inbound_streams,
            peer_rwnd: u32::try_from(self.rtx.peer_rwnd()).unwrap_or(u32::MAX),
            buffered_amount: self.sendq.buffered_amount(),
            bytes_in_flight: self.rtx.bytes_in_flight(),
            retransmissions: self.stats.retransmissions,
            fast_retransmissions: self.stats.fast_retransmissions,
            timeouts: self.stats.timeouts,
            packets_sent: self.stats.packets_sent,
            packets_received: self.stats.packets_received,
            messages_sent: self.stats.messages_sent,
            messages_received: self.stats.messages_received,
            bytes_acked: self.stats.bytes_acked,
            bytes_received: self.stats.bytes_received,
            paths: self.path_stats(),
        }
    }
}
