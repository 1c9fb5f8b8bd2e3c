//! Stream re-configuration (RFC 6525): the RE-CONFIG chunk's requests and
//! responses, both as sender (§5.1) and as receiver (§5.2).
//!
//! We send every request type, one RE-CONFIG chunk at a time (§5.1.1):
//! Outgoing SSN Reset (for [`crate::Endpoint::reset_streams`] and in answer
//! to the peer's Incoming SSN Reset), Incoming SSN Reset (alone or with an
//! Outgoing one, [`crate::Endpoint::reset_streams_with`]), Add Outgoing and
//! Add Incoming Streams ([`crate::Endpoint::add_streams_with`]; Add
//! Outgoing also in answer to the peer's Add Incoming) and SSN/TSN Reset
//! ([`crate::Endpoint::reset_association`]). We answer every request type;
//! SSN/TSN Reset only when the policy allows it.
//!
//! SSN/TSN reset and lost messages: the requester holds its new messages
//! and sends the request only once everything it sent was acknowledged
//! (§5.1.4 C2 allows abandoning instead; we never do); until the answer it
//! holds the peer's DATA too, and the answer's Sender's Next TSN splits it
//! into before and after the reset. The receiver answers "In progress"
//! while it has DATA in flight, holding its new messages, and performs the
//! reset when the request comes again with nothing in flight.

use crate::event::{Event, ReconfigResult, ResetDirection, StreamDirection};
use crate::path::PathId;
use crate::stats::AssociationState as S;
use crate::types::{StreamId, Tsn};
use crate::wire::{self, param_type, Chunk, List, Param};

use super::input::encode_simple;
use super::{Association, Control, Ctx};

/// Result codes of the Re-configuration Response (RFC 6525 §4.4, Table 3).
pub(crate) mod result {
    /// Success - Nothing to do.
    pub const NOTHING_TO_DO: u32 = 0;
    /// Success - Performed.
    pub const PERFORMED: u32 = 1;
    /// Denied.
    pub const DENIED: u32 = 2;
    /// Error - Request already in progress.
    pub const ALREADY_IN_PROGRESS: u32 = 4;
    /// Error - Bad Sequence Number.
    pub const BAD_SEQUENCE_NUMBER: u32 = 5;
    /// In progress.
    pub const IN_PROGRESS: u32 = 6;
}

/// Bytes of a RE-CONFIG chunk carrying an Outgoing SSN Reset Request
/// without streams: chunk header 4, parameter header 4, fields 12.
const OUTGOING_RESET_OVERHEAD: usize = 20;
/// The SCTP common header.
const COMMON_HEADER: usize = 12;
/// How far an SSN/TSN reset moves the peer's TSNs: half the number space
/// (RFC 6525 §5.2.4 G1 and §5.1.7 D4: "plus 2^31"), so that any DATA chunk
/// of before the reset, arriving late, is behind or far outside the
/// window.
const TSN_RESET_JUMP: u32 = 1 << 31;
/// How far beyond our own last TSN (Sender's Next TSN minus 1) the peer's
/// new numbering may start: see [`receivers_next_tsn`].
const REQUESTER_ACK_ROOM: u32 = 1 << 30;

/// The Receiver's Next TSN of a performed SSN/TSN reset (RFC 6525 §5.2.4
/// G1): `unacked` (the smallest TSN of the peer not acknowledged) plus
/// 2^31, as the RFC recommends ("SHOULD"), when that lies within
/// [`REQUESTER_ACK_ROOM`] beyond `sender_next - 1`; else the end of that
/// range farthest from `unacked`.
///
/// usrsctp as requester takes our Sender's Next TSN minus 1 as the last
/// TSN of its own that was acknowledged, and ignores every SACK whose
/// cumulative TSN ack is not serially after it: with the RFC's value
/// alone, half of all resets left its DATA unacknowledged for ever (the
/// transfer stalled, its next reset failed with EBUSY). Starting the peer's
/// numbering in that range keeps our acks after it; at least 2^29 from
/// `unacked`, a late DATA chunk of before the reset is still far behind or
/// far outside the window.
fn receivers_next_tsn(unacked: Tsn, sender_next: Tsn) -> Tsn {
    let last = sender_next.prev();
    let after_last = |t: Tsn| t.0.wrapping_sub(1).wrapping_sub(last.0);
    let rfc = unacked.add(TSN_RESET_JUMP);
    if after_last(rfc) <= REQUESTER_ACK_ROOM {
        return rfc;
    }
    // Circular distance from `unacked`.
    let away = |t: Tsn| {
        let d = t.0.wrapping_sub(unacked.0);
        d.min(d.wrapping_neg())
    };
    let near = sender_next;
    let far = sender_next.add(REQUESTER_ACK_ROOM);
    if away(far) >= away(near) {
        far
    } else {
        near
    }
}

/// A request parameter of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    /// Outgoing SSN Reset Request for these streams (never empty).
    OutgoingReset(Vec<StreamId>),
    /// Incoming SSN Reset Request (§4.2) for these streams (empty: all).
    IncomingReset(Vec<StreamId>),
    /// Add Outgoing Streams Request.
    AddOutgoing(u16),
    /// Add Incoming Streams Request (§4.6).
    AddIncoming(u16),
    /// SSN/TSN Reset Request (§4.3).
    AssocReset,
}

/// The RE-CONFIG chunk in flight (§5.1.1: at most one), with one or two
/// requests (§3.1: Outgoing and Incoming SSN Reset, or Add Outgoing and
/// Add Incoming Streams).
#[derive(Debug)]
struct Outstanding {
    /// The requests not answered yet, by sequence number; the timer runs
    /// until both are (§5.2.7 H1).
    parts: [Option<(u32, Request)>; 2],
    /// The encoded RE-CONFIG chunk, for retransmission.
    chunk: Vec<u8>,
    /// The peer answered "In progress" (§5.2.7 H2): retransmissions do not
    /// count as errors.
    in_progress: bool,
    /// Where it was last sent: a timeout counts against this path too
    /// (§5.1.1, RFC 9260 §6.3.3 E1, §8.2).
    path: PathId,
    /// When the Re-configuration Timer (§5.1.1) expires; it runs exactly
    /// while a request is in flight, so it lives here (an idle association
    /// pays nothing for it).
    deadline: crate::time::Instant,
}

impl Outstanding {
    /// Whether an unanswered request matches `f`.
    fn find_kind(&self, f: impl Fn(&Request) -> bool) -> bool {
        self.parts.iter().flatten().any(|(_, r)| f(r))
    }

    /// The unanswered request numbered `sn`.
    fn find(&self, sn: u32) -> Option<&Request> {
        self.parts
            .iter()
            .flatten()
            .find(|(s, _)| *s == sn)
            .map(|p| &p.1)
    }

    /// Takes the first unanswered request that `pick` selects, returning
    /// it with whether none is left.
    fn take(&mut self, mut pick: impl FnMut(u32, &Request) -> bool) -> Option<(Request, bool)> {
        let slot = self
            .parts
            .iter_mut()
            .find(|p| p.as_ref().is_some_and(|(s, r)| pick(*s, r)))?;
        let (_, r) = slot.take()?;
        Some((r, self.parts.iter().all(Option::is_none)))
    }
}

/// A request of ours waiting before it can be sent.
#[derive(Debug)]
enum Pending {
    /// An Outgoing SSN Reset Request waiting for the messages queued before
    /// it to get their TSNs (§5.1.2 A1–A3).
    Streams {
        streams: Vec<StreamId>,
        /// The peer's Incoming SSN Reset Request this answers (§5.1.2 A4),
        /// or the peer's last request sequence number.
        response_seq: u32,
        /// An Incoming SSN Reset Request to send along (§5.1.3 B3), for
        /// these streams (empty: all).
        incoming: Option<Vec<StreamId>>,
    },
    /// An SSN/TSN Reset Request waiting for everything we sent to be
    /// acknowledged (§5.1.4 C2); new messages are held meanwhile.
    Association,
    /// Not ours: the peer's SSN/TSN Reset Request `sn`, answered "In
    /// progress" while our DATA is in flight; our new messages are held,
    /// and no request of ours may start.
    PeerAssociation { sn: u32 },
}

/// The peer's Outgoing SSN Reset Request waiting for our cumulative TSN ack
/// to reach its Sender's Last Assigned TSN (§5.2.2 E2).
#[derive(Debug)]
struct DeferredReset {
    sn: u32,
    last_tsn: Tsn,
    streams: Vec<StreamId>,
}

/// RE-CONFIG state of one association.
#[derive(Debug, Default)]
pub(crate) struct ReconfigState {
    /// Requests we numbered: our next sequence number is our initial TSN
    /// plus this (§4.1: "initialized to the same value as the initial TSN").
    sent: u32,
    /// Requests of the peer processed: the next one expected carries the
    /// peer's initial TSN plus this.
    received: u32,
    /// The results of the peer's last two requests (a RE-CONFIG chunk holds
    /// up to two), answered again when they are retransmitted (§5.2.1).
    last_results: [Option<(u32, u32)>; 2],
    /// The sequence number, Sender's Next TSN and Receiver's Next TSN of
    /// the last SSN/TSN Reset Request we performed, for its
    /// retransmissions (§5.2.1), and our cumulative TSN ack of the peer's
    /// DATA before it. Boxed: rarely used.
    assoc_reset_answer: Option<Box<(u32, Tsn, Tsn, Tsn)>>,
    // Boxed: an idle association pays a pointer each, not the requests
    // (issue 3's idle-size budget).
    pending: Option<Box<Pending>>,
    outstanding: Option<Box<Outstanding>>,
    deferred: Option<Box<DeferredReset>>,
}

impl ReconfigState {
    /// A request of ours is waiting or in flight.
    fn busy(&self) -> bool {
        self.pending.is_some() || self.outstanding.is_some()
    }

    /// When the Re-configuration Timer expires.
    pub(crate) fn deadline(&self) -> Option<crate::time::Instant> {
        self.outstanding.as_ref().map(|o| o.deadline)
    }

    fn record(&mut self, sn: u32, result: u32) {
        self.last_results[1] = self.last_results[0];
        self.last_results[0] = Some((sn, result));
    }

    fn stored(&self, sn: u32) -> Option<u32> {
        self.last_results
            .iter()
            .flatten()
            .find(|(s, _)| *s == sn)
            .map(|(_, r)| *r)
    }

    fn update_stored(&mut self, sn: u32, result: u32) {
        for (s, r) in self.last_results.iter_mut().flatten() {
            if *s == sn {
                *r = result;
            }
        }
    }
}

/// How a received request's sequence number relates to what we expect
/// (§5.2.1).
enum SeqCheck {
    /// The next request: process it.
    New,
    /// One of the last two: answer as before.
    Repeat(u32),
    /// Anything else.
    Bad,
}

/// The parameter-type combinations a RE-CONFIG chunk may carry (§3.1).
fn allowed_combination(types: &[u16]) -> bool {
    use param_type::*;
    let has = |t: u16| types.contains(&t);
    match types {
        [t] => matches!(
            *t,
            OUTGOING_SSN_RESET_REQUEST
                | INCOMING_SSN_RESET_REQUEST
                | SSN_TSN_RESET_REQUEST
                | ADD_OUTGOING_STREAMS
                | ADD_INCOMING_STREAMS
                | RECONFIG_RESPONSE
        ),
        [a, b] => {
            (has(OUTGOING_SSN_RESET_REQUEST) && has(INCOMING_SSN_RESET_REQUEST))
                || (has(ADD_OUTGOING_STREAMS) && has(ADD_INCOMING_STREAMS))
                || (has(RECONFIG_RESPONSE) && has(OUTGOING_SSN_RESET_REQUEST))
                || (*a == RECONFIG_RESPONSE && *b == RECONFIG_RESPONSE)
        }
        _ => false,
    }
}

/// Encodes a RE-CONFIG chunk.
fn encode_reconfig(params: &[Param<'_>]) -> Vec<u8> {
    encode_simple(Chunk::ReConfig(wire::ReConfigChunk {
        params: List::Items(params),
    }))
}

/// The parameter of request `r` numbered `sn`.
fn request_param((sn, r): &(u32, Request), response_seq: u32, last_tsn: Tsn) -> Param<'_> {
    let request_seq = *sn;
    match r {
        // §5.1.4 C3: alone in its chunk (never paired).
        Request::AssocReset => Param::SsnTsnResetRequest { request_seq },
        Request::OutgoingReset(streams) => Param::OutgoingSsnResetRequest {
            request_seq,
            response_seq,
            last_tsn,
            streams: List::Items(streams),
        },
        Request::IncomingReset(streams) => Param::IncomingSsnResetRequest {
            request_seq,
            streams: List::Items(streams),
        },
        Request::AddOutgoing(n) => Param::AddOutgoingStreams {
            request_seq,
            new_streams: *n,
        },
        Request::AddIncoming(n) => Param::AddIncomingStreams {
            request_seq,
            new_streams: *n,
        },
    }
}

/// Sorted, without duplicates.
fn normalize(streams: &[StreamId]) -> Vec<StreamId> {
    let mut v = streams.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl Association {
    /// Whether both sides offered RE-CONFIG (RFC 6525 §5.1.1).
    fn reconfig_usable(&self) -> Result<(), crate::Error> {
        if !self.config.reconfig {
            return Err(crate::Error::ReconfigUnavailable(
                "AssociationConfig::reconfig is off (turn it on to offer RE-CONFIG)",
            ));
        }
        if !self.peer_caps.reconfig {
            return Err(crate::Error::ReconfigUnavailable(
                "the peer did not offer RE-CONFIG in its INIT / INIT ACK (RFC 6525 §5.1.1)",
            ));
        }
        if self.state != S::Established {
            return Err(crate::Error::InvalidState {
                state: self.state.name(),
                hint: "streams are re-configured only on an ESTABLISHED association",
            });
        }
        if self.reconfig.busy() {
            return Err(crate::Error::ReconfigInProgress);
        }
        Ok(())
    }

    /// The RESET STREAMS primitive (RFC 6525 §5.1.2 for our outgoing
    /// streams, §5.1.3 for the peer's, both in one chunk when both).
    pub(crate) fn reset_streams(
        &mut self,
        ctx: &mut Ctx<'_>,
        streams: &[StreamId],
        direction: ResetDirection,
    ) -> Result<(), crate::Error> {
        self.reconfig_usable()?;
        let outgoing = direction != ResetDirection::Incoming;
        let incoming = direction != ResetDirection::Outgoing;
        if streams.is_empty() && outgoing {
            return Err(crate::Error::InvalidReconfig(
                "list at least one stream to reset (only the peer's streams can be reset all at once, with an empty list and ResetDirection::Incoming)",
            ));
        }
        let limit = match direction {
            ResetDirection::Outgoing => self.outbound_streams,
            ResetDirection::Incoming => self.inbound_streams,
            ResetDirection::Both => self.outbound_streams.min(self.inbound_streams),
        };
        if let Some(&stream) = streams.iter().find(|s| s.0 >= limit) {
            return Err(crate::Error::InvalidStream {
                stream,
                streams: limit,
            });
        }
        let streams = normalize(streams);
        // Each list costs 2 bytes a stream; the Incoming SSN Reset Request
        // 8 bytes more (§4.2).
        let lists = usize::from(outgoing) + usize::from(incoming);
        let room = self
            .config
            .mtu
            .saturating_sub(COMMON_HEADER + OUTGOING_RESET_OVERHEAD + 8)
            / (2 * lists);
        if streams.len() > room {
            return Err(crate::Error::InvalidReconfig(
                "too many streams for one request (it must fit one packet): reset them in several calls",
            ));
        }
        if !outgoing {
            // Nothing of ours waits: it goes now.
            self.send_request(ctx.now, Request::IncomingReset(streams), None, 0);
            return Ok(());
        }
        let response_seq = self.peer_last_request_sn();
        self.sendq.pause_streams(&streams);
        self.reconfig.pending = Some(Box::new(Pending::Streams {
            incoming: incoming.then(|| streams.clone()),
            streams,
            response_seq,
        }));
        self.reconfig_progress(ctx.now);
        Ok(())
    }

    /// The SSN/TSN reset primitive (RFC 6525 §5.1.4; RFC 6458-style
    /// SCTP_RESET_ASSOC): new messages are held from now on, the request
    /// goes out once everything sent was acknowledged (C2), and the
    /// answer applies the new TSNs (§5.2.7 H5).
    pub(crate) fn reset_association(&mut self, ctx: &mut Ctx<'_>) -> Result<(), crate::Error> {
        self.reconfig_usable()?;
        self.sendq.pause_all();
        self.reconfig.pending = Some(Box::new(Pending::Association));
        self.reconfig_progress(ctx.now);
        Ok(())
    }

    /// Nothing of ours is in flight or half sent, and new messages are held:
    /// the TSNs may be reset (§5.1.4 C2, §5.2.4 G3).
    fn tsns_quiet(&self) -> bool {
        self.sendq.all_paused()
            && self.sendq.streams_paused_and_drained()
            && self.rtx.cum_ack().next() == self.rtx.next_tsn()
    }

    /// The ADD STREAMS primitive (RFC 6525 §5.1.5 for outgoing streams,
    /// §5.1.6 for incoming ones, both in one chunk when both).
    pub(crate) fn add_streams(
        &mut self,
        ctx: &mut Ctx<'_>,
        incoming: u16,
        outgoing: u16,
    ) -> Result<(), crate::Error> {
        self.reconfig_usable()?;
        if incoming == 0 && outgoing == 0 {
            return Err(crate::Error::InvalidReconfig("add at least one stream"));
        }
        if u32::from(self.outbound_streams) + u32::from(outgoing) > 65535 {
            return Err(crate::Error::InvalidReconfig(
                "an association has at most 65535 outbound streams",
            ));
        }
        if u32::from(self.inbound_streams) + u32::from(incoming)
            > u32::from(self.config.max_inbound_streams)
        {
            // We would deny the peer's Add Outgoing Streams Request (§5.2.5).
            return Err(crate::Error::InvalidReconfig(
                "more inbound streams than AssociationConfig::max_inbound_streams: raise it first",
            ));
        }
        let add_in = (incoming > 0).then_some(Request::AddIncoming(incoming));
        match (outgoing > 0).then_some(Request::AddOutgoing(outgoing)) {
            Some(out) => self.send_request(ctx.now, out, add_in, 0),
            None => {
                if let Some(r) = add_in {
                    self.send_request(ctx.now, r, None, 0);
                }
            }
        }
        Ok(())
    }

    /// The peer's sequence number of its last request, as our requests'
    /// Re-configuration Response Sequence Number (§5.1.2 A4).
    fn peer_last_request_sn(&self) -> u32 {
        self.peer_initial_tsn
            .0
            .wrapping_add(self.reconfig.received)
            .wrapping_sub(1)
    }

    /// Numbers (one sequence number each, §5.1.2 A1, §5.1.3 B1, §5.1.4
    /// C1), encodes and sends one or two requests in one chunk, starting
    /// the timer (§5.1.1).
    fn send_request(
        &mut self,
        now: crate::time::Instant,
        first: Request,
        second: Option<Request>,
        response_seq: u32,
    ) {
        let mut next_sn = || {
            let sn = self.local_initial_tsn.0.wrapping_add(self.reconfig.sent);
            self.reconfig.sent = self.reconfig.sent.wrapping_add(1);
            sn
        };
        let parts = [Some((next_sn(), first)), second.map(|r| (next_sn(), r))];
        // §5.1.2 A3: the next TSN we assign minus 1.
        let last_tsn = self.rtx.next_tsn().prev();
        let chunk = match &parts {
            [Some(a), Some(b)] => encode_reconfig(&[
                request_param(a, response_seq, last_tsn),
                request_param(b, response_seq, last_tsn),
            ]),
            [Some(a), None] => encode_reconfig(&[request_param(a, response_seq, last_tsn)]),
            _ => return,
        };
        self.queue_control(Control {
            bytes: chunk.clone(),
            alone: false,
            vtag: None,
            to: None,
        });
        self.reconfig.outstanding = Some(Box::new(Outstanding {
            parts,
            chunk,
            in_progress: false,
            path: self.paths.primary(),
            deadline: now + self.primary_rto(),
        }));
    }

    /// Sends a waiting Outgoing SSN Reset Request once everything queued
    /// before it has its TSN (§5.1.2 A3). Called before building packets.
    pub(crate) fn reconfig_progress(&mut self, now: crate::time::Instant) {
        if self.reconfig.outstanding.is_some() {
            return;
        }
        let ready = match self.reconfig.pending.as_deref() {
            None => return,
            Some(Pending::Streams { .. }) => self.sendq.streams_paused_and_drained(),
            // A deferred reset of the peer's streams refers to the TSNs
            // in force: let it finish first.
            Some(Pending::Association) => self.tsns_quiet() && self.reconfig.deferred.is_none(),
            Some(Pending::PeerAssociation { .. }) => false,
        };
        if !ready {
            return;
        }
        match self.reconfig.pending.take().map(|p| *p) {
            Some(Pending::Streams {
                streams,
                response_seq,
                incoming,
            }) => self.send_request(
                now,
                Request::OutgoingReset(streams),
                incoming.map(Request::IncomingReset),
                response_seq,
            ),
            Some(Pending::Association) => {
                // The peer's DATA from now on may follow its reset (its
                // answer can come late, §5.2.7 H5): held until the answer
                // says where the new numbering starts.
                self.reasm
                    .defer_reset(self.tracker.cumulative_tsn_ack(), &[]);
                self.send_request(now, Request::AssocReset, None, 0)
            }
            Some(p @ Pending::PeerAssociation { .. }) => {
                self.reconfig.pending = Some(Box::new(p));
            }
            None => {}
        }
    }

    /// The Re-configuration Timer expired (§5.1.1): retransmit, counting
    /// against Association.Max.Retrans unless the peer said "In progress"
    /// (§5.2.7 H2). Returns true if the association failed.
    pub(crate) fn on_reconfig_timer(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let Some(o) = self.reconfig.outstanding.as_ref() else {
            return false;
        };
        if self.closed || o.deadline > ctx.now {
            return false;
        }
        let chunk = o.chunk.clone();
        let counts = !o.in_progress;
        let last = o.path;
        self.stats.timeouts += 1;
        // §5.1.1: as T3-rtx, except after "In progress" (§5.2.7 H2).
        let next = if counts {
            match self.control_chunk_timeout(ctx, last) {
                Some(next) => next,
                None => return true,
            }
        } else {
            self.paths
                .destination_for_retransmission(last)
                .unwrap_or_else(|| self.data_path())
        };
        let to = self.path_addr(next);
        let rto = self
            .paths
            .get(next)
            .map_or(self.config.rto_initial, |p| p.current_rto());
        if let Some(o) = self.reconfig.outstanding.as_mut() {
            o.path = next;
            o.deadline = ctx.now + rto;
        }
        self.queue_control(Control {
            bytes: chunk,
            alone: false,
            vtag: None,
            to: Some(to),
        });
        false
    }

    /// A RE-CONFIG chunk arrived (§5.2.1).
    pub(crate) fn on_reconfig(&mut self, ctx: &mut Ctx<'_>, chunk: &wire::ReConfigChunk<'_>) {
        if !matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownSent | S::ShutdownReceived
        ) {
            return;
        }
        let mut params: [Option<Param<'_>>; 2] = [None, None];
        let mut types = [0u16; 2];
        let mut n = 0usize;
        for p in chunk.params() {
            let Ok(p) = p else {
                self.queue_error_text(ctx, false, "malformed RE-CONFIG parameter");
                return;
            };
            if n == 2 {
                n = 3;
                break;
            }
            types[n] = p.param_type();
            params[n] = Some(p);
            n += 1;
        }
        if !allowed_combination(types.get(..n).unwrap_or(&[])) {
            // §3.1: an unsupported combination → ERROR, Protocol Violation.
            self.queue_error_text(ctx, false, "unsupported RE-CONFIG parameter combination");
            return;
        }
        let mut responses: [Option<(u32, u32)>; 2] = [None, None];
        let mut tsn_reset = false;
        // §5.2.1: a chunk with a request is answered with a SACK too, also
        // when the answer is a request of ours (§5.2.3, §5.2.6).
        if params
            .iter()
            .flatten()
            .any(|p| !matches!(p, Param::ReconfigResponse { .. }))
        {
            self.tracker.force_sack();
        }
        for (i, p) in params.into_iter().flatten().enumerate() {
            let answer = match p {
                Param::ReconfigResponse {
                    response_seq,
                    result,
                    next_tsns,
                } => {
                    self.on_reconfig_response(ctx, response_seq, result, next_tsns);
                    None
                }
                Param::OutgoingSsnResetRequest {
                    request_seq,
                    response_seq,
                    last_tsn,
                    streams,
                } => {
                    // §5.1.2 A4, §5.2.3: it answers our Incoming SSN Reset
                    // Request numbered `response_seq`.
                    self.request_answered(ctx, |s, r| {
                        s == response_seq && matches!(r, Request::IncomingReset(_))
                    });
                    self.peer_request(request_seq, |a| {
                        a.on_outgoing_reset_request(ctx, request_seq, last_tsn, streams)
                    })
                }
                Param::IncomingSsnResetRequest {
                    request_seq,
                    streams,
                } => self.peer_request(request_seq, |a| {
                    a.on_incoming_reset_request(ctx, request_seq, streams)
                }),
                Param::SsnTsnResetRequest { request_seq } => {
                    tsn_reset = true;
                    let waiting = matches!(
                        self.reconfig.pending.as_deref(),
                        Some(Pending::PeerAssociation { sn }) if *sn == request_seq
                    );
                    if waiting {
                        // The retransmission of a request we answered "In
                        // progress": perform it if we can now.
                        let r = self.try_assoc_reset(ctx, request_seq);
                        self.reconfig.update_stored(request_seq, r);
                        Some((request_seq, r))
                    } else {
                        self.peer_request(request_seq, |a| {
                            a.on_ssn_tsn_reset_request(ctx, request_seq)
                        })
                    }
                }
                Param::AddOutgoingStreams {
                    request_seq,
                    new_streams,
                } => {
                    // §5.2.6: it answers our Add Incoming Streams Request.
                    self.request_answered(ctx, |_, r| matches!(r, Request::AddIncoming(_)));
                    self.peer_request(request_seq, |a| a.on_add_outgoing(ctx, new_streams))
                }
                Param::AddIncomingStreams {
                    request_seq,
                    new_streams,
                } => self.peer_request(request_seq, |a| {
                    a.on_add_incoming(ctx, request_seq, new_streams)
                }),
                _ => None,
            };
            if let (Some(r), Some(slot)) = (answer, responses.get_mut(i)) {
                *slot = Some(r);
            }
            if self.closed {
                return;
            }
        }
        self.send_responses(&responses, tsn_reset);
    }

    /// Applies the §5.2.1 sequence number rules around a request handler
    /// that returns (the response to send, if any; the result to store).
    fn peer_request(
        &mut self,
        sn: u32,
        handle: impl FnOnce(&mut Self) -> (Option<u32>, u32),
    ) -> Option<(u32, u32)> {
        let expected = self.peer_initial_tsn.0.wrapping_add(self.reconfig.received);
        let check = if sn == expected {
            SeqCheck::New
        } else if let Some(r) = self.reconfig.stored(sn) {
            SeqCheck::Repeat(r)
        } else {
            SeqCheck::Bad
        };
        match check {
            SeqCheck::New => {
                if matches!(
                    self.reconfig.pending.as_deref(),
                    Some(Pending::PeerAssociation { .. })
                ) {
                    // The peer moved on from its SSN/TSN Reset Request
                    // (one request at a time, §5.1.1): stop holding ours.
                    self.reconfig.pending = None;
                    self.sendq.resume_all();
                }
                self.reconfig.received = self.reconfig.received.wrapping_add(1);
                let (answer, stored) = handle(self);
                self.reconfig.record(sn, stored);
                answer.map(|r| (sn, r))
            }
            // §5.2.1: a retransmitted request gets the answer it got.
            SeqCheck::Repeat(r) => Some((sn, r)),
            SeqCheck::Bad => Some((sn, result::BAD_SEQUENCE_NUMBER)),
        }
    }

    /// Queues one RE-CONFIG chunk with the responses (§5.2.1: "put into one
    /// RE-CONFIG chunk"), and a SACK with it (§5.2.1 implementation note).
    fn send_responses(&mut self, responses: &[Option<(u32, u32)>; 2], tsn_reset: bool) {
        let mut params = [Param::EcnCapable, Param::EcnCapable];
        let mut n = 0;
        for (sn, r) in responses.iter().flatten() {
            // §5.1.7 D3/D4: only in answers to SSN/TSN Reset Requests; a
            // performed one's TSNs are those it set, also when answered
            // again (§5.2.1).
            let next_tsns = tsn_reset.then(|| match self.reconfig.assoc_reset_answer.as_deref() {
                Some(&(s, sender, receiver, _)) if s == *sn && *r == result::PERFORMED => {
                    (sender, receiver)
                }
                _ => (
                    self.rtx.next_tsn(),
                    self.tracker.cumulative_tsn_ack().next(),
                ),
            });
            if let Some(slot) = params.get_mut(n) {
                *slot = Param::ReconfigResponse {
                    response_seq: *sn,
                    result: *r,
                    next_tsns,
                };
                n += 1;
            }
        }
        let Some(params) = params.get(..n).filter(|p| !p.is_empty()) else {
            return;
        };
        let bytes = encode_reconfig(params);
        self.queue_control(Control {
            bytes,
            alone: false,
            vtag: None,
            to: None,
        });
        self.tracker.force_sack();
    }

    /// Collects a received stream list, checking each against `limit`.
    /// `None`: a stream out of range.
    fn stream_list(streams: List<'_, StreamId>, limit: u16) -> Option<Vec<StreamId>> {
        let mut v = Vec::new();
        for s in streams.iter() {
            // The parser guarantees an even length, so items never fail.
            let s = s.ok()?;
            if s.0 >= limit {
                return None;
            }
            v.push(s);
        }
        Some(v)
    }

    /// §5.2.2: the peer resets streams it sends on.
    fn on_outgoing_reset_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        sn: u32,
        last_tsn: Tsn,
        streams: List<'_, StreamId>,
    ) -> (Option<u32>, u32) {
        let denied = (Some(result::DENIED), result::DENIED);
        if !self.config.reconfig_policy.accept_stream_reset {
            return denied;
        }
        let Some(streams) = Self::stream_list(streams, self.inbound_streams) else {
            return denied;
        };
        let ours_in_flight = self
            .reconfig
            .outstanding
            .as_ref()
            .is_some_and(|o| o.find_kind(|r| matches!(r, Request::AssocReset)));
        if self.reconfig.deferred.is_some() || ours_in_flight {
            // One deferred reset at a time (our SSN/TSN Reset Request
            // holds the peer's DATA too).
            let r = result::ALREADY_IN_PROGRESS;
            return (Some(r), r);
        }
        if last_tsn.gt(self.tracker.cumulative_tsn_ack()) {
            // E2: deferred reset processing, "In progress".
            self.reasm.defer_reset(last_tsn, &streams);
            self.reconfig.deferred = Some(Box::new(DeferredReset {
                sn,
                last_tsn,
                streams,
            }));
            let r = result::IN_PROGRESS;
            return (Some(r), r);
        }
        let r = self.perform_incoming_reset(ctx, streams);
        (Some(r), r)
    }

    /// §5.2.2 E3/E4: resets the incoming streams; the messages sent before
    /// the reset are delivered before the event.
    fn perform_incoming_reset(&mut self, ctx: &mut Ctx<'_>, streams: Vec<StreamId>) -> u32 {
        self.deliver_messages(ctx);
        if let Err(e) = self.reasm.reset_streams(&streams) {
            self.abort_protocol_violation(ctx, &e.to_string());
            return result::DENIED;
        }
        ctx.emit(
            self.id,
            Event::StreamsReset {
                direction: StreamDirection::Incoming,
                streams,
                result: ReconfigResult::Success,
            },
        );
        result::PERFORMED
    }

    /// After DATA and FORWARD TSN: performs a deferred reset once the
    /// cumulative TSN ack reached its Sender's Last Assigned TSN (§5.2.2
    /// E2). Its result is stored for the request's retransmission.
    pub(crate) fn reconfig_after_data(&mut self, ctx: &mut Ctx<'_>) {
        let Some(d) = self.reconfig.deferred.as_ref() else {
            return;
        };
        if d.last_tsn.gt(self.tracker.cumulative_tsn_ack()) {
            return;
        }
        let Some(d) = self.reconfig.deferred.take() else {
            return;
        };
        let r = self.perform_incoming_reset(ctx, d.streams);
        self.reconfig.update_stored(d.sn, r);
    }

    /// §5.2.3: the peer asks us to reset streams we send on: we send an
    /// Outgoing SSN Reset Request for them (F1), which answers it (§5.1.2
    /// A4); no response parameter then.
    fn on_incoming_reset_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        sn: u32,
        streams: List<'_, StreamId>,
    ) -> (Option<u32>, u32) {
        let denied = (Some(result::DENIED), result::DENIED);
        if !self.config.reconfig_policy.accept_stream_reset || streams.is_empty() {
            // All streams (an empty list) would hold every stream's new
            // messages; refused.
            return denied;
        }
        let Some(streams) = Self::stream_list(streams, self.outbound_streams) else {
            return denied;
        };
        let streams = normalize(&streams);
        let ours = match (
            self.reconfig.pending.as_deref(),
            self.reconfig.outstanding.as_deref(),
        ) {
            (Some(Pending::Streams { streams, .. }), _) => Some(streams),
            (Some(Pending::Association | Pending::PeerAssociation { .. }), _) => None,
            (None, Some(o)) => o.parts.iter().flatten().find_map(|(_, r)| match r {
                Request::OutgoingReset(s) => Some(s),
                _ => None,
            }),
            _ => None,
        };
        if let Some(ours) = ours {
            // §5.2.3: our own reset of the same streams covers it.
            if streams.iter().all(|s| ours.binary_search(s).is_ok()) {
                let r = result::NOTHING_TO_DO;
                return (Some(r), r);
            }
        }
        if self.reconfig.busy() {
            let r = result::ALREADY_IN_PROGRESS;
            return (Some(r), r);
        }
        self.sendq.pause_streams(&streams);
        self.reconfig.pending = Some(Box::new(Pending::Streams {
            streams,
            response_seq: sn,
            incoming: None,
        }));
        self.reconfig_progress(ctx.now);
        (None, result::PERFORMED)
    }

    /// §5.2.4: the peer asks to reset both directions' TSNs and SSNs.
    fn on_ssn_tsn_reset_request(&mut self, ctx: &mut Ctx<'_>, sn: u32) -> (Option<u32>, u32) {
        if !self.config.reconfig_policy.accept_ssn_tsn_reset {
            // §5.2.1: an administrative decision.
            let r = result::DENIED;
            return (Some(r), r);
        }
        if self.reconfig.busy() || self.reconfig.deferred.is_some() {
            // A request of ours, or a deferred reset of the peer's streams,
            // is under way: they refer to the TSNs in force.
            let r = result::ALREADY_IN_PROGRESS;
            return (Some(r), r);
        }
        // Our new messages wait from now on; what is in flight must be
        // acknowledged first, or the peer would skip it (G3).
        self.sendq.pause_all();
        self.reconfig.pending = Some(Box::new(Pending::PeerAssociation { sn }));
        let r = self.try_assoc_reset(ctx, sn);
        (Some(r), r)
    }

    /// Performs the peer's SSN/TSN reset `sn` if nothing of ours is in
    /// flight (§5.2.4 G1-G5), else answers "In progress" (§5.2.7 H2: the
    /// peer asks again).
    fn try_assoc_reset(&mut self, ctx: &mut Ctx<'_>, sn: u32) -> u32 {
        // §5.2.7 H2 "In progress" (the requester asks again): our DATA is in
        // flight, or the peer's is (we hold DATA beyond a hole). G4 would
        // skip the peer's DATA we lack, and a cumulative ack in the new
        // numbering is one it cannot accept while it retransmits old TSNs.
        if !self.tsns_quiet() || self.tracker.has_gaps() {
            return result::IN_PROGRESS;
        }
        self.reconfig.pending = None;
        // G2: the highest TSN sent plus 1 (nothing is in flight). Not
        // further: a requester such as usrsctp applies it as a FORWARD-TSN
        // within its receive window (a jump aborts the association). Our
        // DATA sent after the reset may reach the requester before this
        // answer; as requester we hold such DATA until the answer says
        // where the new numbering starts (see `send_request`).
        let sender_next = self.rtx.next_tsn();
        let before = self.tracker.cumulative_tsn_ack();
        let receiver_next = receivers_next_tsn(before.next(), sender_next);
        if self.restart_tsns(ctx, sender_next, receiver_next).is_err() {
            return result::DENIED;
        }
        self.reconfig.assoc_reset_answer = Some(Box::new((sn, sender_next, receiver_next, before)));
        ctx.emit(
            self.id,
            Event::AssociationReset {
                local_tsn: sender_next,
                remote_tsn: receiver_next,
                result: ReconfigResult::Success,
            },
        );
        result::PERFORMED
    }

    /// A FORWARD-TSN of the peer's numbering before the last SSN/TSN reset
    /// we performed (at most 65,535 before our cumulative ack then, at
    /// least 2^29 from the new numbering; see [`receivers_next_tsn`]): stale,
    /// as G4 forwarded past all of it (RFC 3758 §3.6: ignored). usrsctp
    /// keeps sending its old Advanced.Peer.Ack.Point after the reset, which
    /// can lie ahead of the new numbering.
    pub(crate) fn forward_tsn_before_reset(&self, new_cum: Tsn) -> bool {
        self.reconfig
            .assoc_reset_answer
            .as_deref()
            .is_some_and(|&(_, _, _, before)| {
                (0..=i32::from(u16::MAX)).contains(&before.distance(new_cum))
            })
    }

    /// §5.2.4 G3-G5, §5.2.7 H5: our next DATA carries `local_next`, the
    /// peer's `remote_next`; every stream restarts at SSN/MID 0. Complete
    /// messages of the peer are delivered first; held messages of ours go
    /// out with the new numbering.
    fn restart_tsns(
        &mut self,
        ctx: &mut Ctx<'_>,
        local_next: Tsn,
        remote_next: Tsn,
    ) -> Result<(), ()> {
        // G3: as a SACK acknowledging everything (nothing is outstanding).
        self.rtx.restart(local_next);
        // G4: as a FORWARD-TSN over everything, all streams. The peer's
        // DATA received already from `remote_next` on (it performed the
        // reset before its answer reached us) stays received.
        self.deliver_messages(ctx);
        let cum = self.tracker.cumulative_tsn_ack();
        let last = remote_next.prev();
        let ahead = last.distance(cum);
        if ahead > 0 && ahead.unsigned_abs() <= u32::from(u16::MAX) {
            self.tracker.handle_forward_tsn(last);
        } else if ahead.unsigned_abs() > u32::from(u16::MAX) {
            self.tracker.restart(remote_next);
        }
        if let Err(e) = self.reasm.restart(remote_next) {
            self.abort_protocol_violation(ctx, &e.to_string());
            return Err(());
        }
        self.deliver_messages(ctx);
        // G5.
        self.sendq.reset_all();
        self.report_failed(ctx);
        Ok(())
    }

    /// §5.2.5: the peer adds streams it sends on (our inbound streams).
    fn on_add_outgoing(&mut self, ctx: &mut Ctx<'_>, n: u16) -> (Option<u32>, u32) {
        let denied = (Some(result::DENIED), result::DENIED);
        let total = u32::from(self.inbound_streams) + u32::from(n);
        if !self.config.reconfig_policy.accept_add_streams
            || total > u32::from(self.config.max_inbound_streams)
        {
            return denied;
        }
        if n == 0 {
            let r = result::NOTHING_TO_DO;
            return (Some(r), r);
        }
        // New streams expect SSN 0: the reassembly queue creates stream
        // state on first use.
        self.inbound_streams = u16::try_from(total).unwrap_or(u16::MAX);
        ctx.emit(
            self.id,
            Event::StreamsAdded {
                inbound_streams: self.inbound_streams,
                outbound_streams: self.outbound_streams,
                result: ReconfigResult::Success,
            },
        );
        let r = result::PERFORMED;
        (Some(r), r)
    }

    /// §5.2.6: the peer asks for more streams from us: we send an Add
    /// Outgoing Streams Request (no response parameter), or deny.
    fn on_add_incoming(&mut self, ctx: &mut Ctx<'_>, _sn: u32, n: u16) -> (Option<u32>, u32) {
        let denied = (Some(result::DENIED), result::DENIED);
        let total = u32::from(self.outbound_streams) + u32::from(n);
        if !self.config.reconfig_policy.accept_add_streams
            || total > u32::from(self.config.reconfig_policy.max_outbound_streams)
        {
            return denied;
        }
        if n == 0 {
            let r = result::NOTHING_TO_DO;
            return (Some(r), r);
        }
        if self.reconfig.busy() {
            let r = result::ALREADY_IN_PROGRESS;
            return (Some(r), r);
        }
        self.send_request(ctx.now, Request::AddOutgoing(n), None, 0);
        (None, result::PERFORMED)
    }

    /// §5.2.7: the peer answered one of our requests.
    fn on_reconfig_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        sn: u32,
        code: u32,
        next_tsns: Option<(Tsn, Tsn)>,
    ) {
        // H1: only a request in flight is answered.
        if self
            .reconfig
            .outstanding
            .as_ref()
            .and_then(|o| o.find(sn))
            .is_none()
        {
            return;
        }
        if code == result::IN_PROGRESS {
            // H2: wait again, without counting errors.
            let deadline = ctx.now + self.primary_rto();
            if let Some(o) = self.reconfig.outstanding.as_mut() {
                o.in_progress = true;
                o.deadline = deadline;
            }
            return;
        }
        let Some(request) = self.request_answered(ctx, |s, _| s == sn) else {
            return;
        };
        let outcome = match code {
            result::NOTHING_TO_DO | result::PERFORMED => ReconfigResult::Success,
            result::DENIED => ReconfigResult::Denied,
            _ => ReconfigResult::Failed,
        };
        match request {
            Request::OutgoingReset(streams) => {
                if outcome == ReconfigResult::Success {
                    // H4: the streams restart at SSN/MID 0; held messages go.
                    self.sendq.reset_streams(&streams);
                } else {
                    // H3: nothing reset; held messages go with the old
                    // numbering (nothing the application sent is lost).
                    self.sendq.resume_streams(&streams);
                }
                ctx.emit(
                    self.id,
                    Event::StreamsReset {
                        direction: StreamDirection::Outgoing,
                        streams,
                        result: outcome,
                    },
                );
            }
            Request::AddOutgoing(n) => {
                if outcome == ReconfigResult::Success {
                    // H6: the new streams may be used now.
                    let total = u32::from(self.outbound_streams) + u32::from(n);
                    self.outbound_streams = u16::try_from(total).unwrap_or(u16::MAX);
                    self.sendq.set_outbound_streams(self.outbound_streams);
                }
                ctx.emit(
                    self.id,
                    Event::StreamsAdded {
                        inbound_streams: self.inbound_streams,
                        outbound_streams: self.outbound_streams,
                        result: outcome,
                    },
                );
            }
            Request::AssocReset => self.on_assoc_reset_response(ctx, outcome, next_tsns),
            // Success: the peer answers with its own request (§5.2.3,
            // §5.2.6), whose processing reports the reset or added
            // streams. Otherwise nothing changes; say so.
            Request::IncomingReset(streams) if outcome != ReconfigResult::Success => ctx.emit(
                self.id,
                Event::StreamsReset {
                    direction: StreamDirection::Incoming,
                    streams,
                    result: outcome,
                },
            ),
            Request::AddIncoming(_) if outcome != ReconfigResult::Success => ctx.emit(
                self.id,
                Event::StreamsAdded {
                    inbound_streams: self.inbound_streams,
                    outbound_streams: self.outbound_streams,
                    result: outcome,
                },
            ),
            Request::IncomingReset(_) | Request::AddIncoming(_) => {}
        }
        // Another request may have waited for this one.
        self.reconfig_progress(ctx.now);
    }

    /// Marks a request of ours answered (§5.2.7 H1), by a response or by
    /// the peer's own request (§5.2.3, §5.2.6): returns it; the timer
    /// stops once no request is left.
    fn request_answered(
        &mut self,
        ctx: &mut Ctx<'_>,
        pick: impl FnMut(u32, &Request) -> bool,
    ) -> Option<Request> {
        let o = self.reconfig.outstanding.as_mut()?;
        let (request, done) = o.take(pick)?;
        let path = o.path;
        if done {
            self.reconfig.outstanding = None;
        }
        // The peer answered: the path and the association are reachable
        // (RFC 9260 §8.1, §8.2).
        if let Some(e) = self.paths.on_data_acked(path, ctx.now, true) {
            self.path_event(ctx, e);
        }
        Some(request)
    }
}

impl Association {
    /// §5.2.7 H5: the answer to our SSN/TSN Reset Request.
    fn on_assoc_reset_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        outcome: ReconfigResult,
        next_tsns: Option<(Tsn, Tsn)>,
    ) {
        // §5.1.7 D3/D4: a success carries both TSNs; without them nothing
        // can be reset.
        let (outcome, tsns) = match (outcome, next_tsns) {
            (ReconfigResult::Success, Some(t)) => (outcome, Some(t)),
            (ReconfigResult::Success, None) => (ReconfigResult::Failed, None),
            (o, _) => (o, None),
        };
        let (local_tsn, remote_tsn) = match tsns {
            // The peer's Sender's Next TSN is the TSN of its next DATA; its
            // Receiver's Next TSN is ours.
            Some((peer_next, our_next)) => {
                if self.restart_tsns(ctx, our_next, peer_next).is_err() {
                    return;
                }
                (our_next, peer_next)
            }
            None => {
                // H3: nothing reset; held messages go with the old
                // numbering, and so are the peer's DATA held meanwhile.
                self.sendq.resume_all();
                if let Err(e) = self.reasm.release_deferred() {
                    self.abort_protocol_violation(ctx, &e.to_string());
                    return;
                }
                self.deliver_messages(ctx);
                (
                    self.rtx.next_tsn(),
                    self.tracker.cumulative_tsn_ack().next(),
                )
            }
        };
        ctx.emit(
            self.id,
            Event::AssociationReset {
                local_tsn,
                remote_tsn,
                result: outcome,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use param_type::*;

    #[test]
    fn rfc_combinations_are_the_only_ones_allowed() {
        let ok: &[&[u16]] = &[
            &[OUTGOING_SSN_RESET_REQUEST],
            &[INCOMING_SSN_RESET_REQUEST],
            &[OUTGOING_SSN_RESET_REQUEST, INCOMING_SSN_RESET_REQUEST],
            &[INCOMING_SSN_RESET_REQUEST, OUTGOING_SSN_RESET_REQUEST],
            &[SSN_TSN_RESET_REQUEST],
            &[ADD_OUTGOING_STREAMS],
            &[ADD_INCOMING_STREAMS],
            &[ADD_OUTGOING_STREAMS, ADD_INCOMING_STREAMS],
            &[RECONFIG_RESPONSE],
            &[RECONFIG_RESPONSE, OUTGOING_SSN_RESET_REQUEST],
            &[RECONFIG_RESPONSE, RECONFIG_RESPONSE],
        ];
        for c in ok {
            assert!(allowed_combination(c), "{c:?}");
        }
        let bad: &[&[u16]] = &[
            &[],
            &[SSN_TSN_RESET_REQUEST, SSN_TSN_RESET_REQUEST],
            &[OUTGOING_SSN_RESET_REQUEST, OUTGOING_SSN_RESET_REQUEST],
            &[SSN_TSN_RESET_REQUEST, RECONFIG_RESPONSE],
            &[ADD_OUTGOING_STREAMS, OUTGOING_SSN_RESET_REQUEST],
            &[RECONFIG_RESPONSE, INCOMING_SSN_RESET_REQUEST],
            &[HEARTBEAT_INFO],
            &[0x7fff],
            &[RECONFIG_RESPONSE, RECONFIG_RESPONSE, RECONFIG_RESPONSE],
        ];
        for c in bad {
            assert!(!allowed_combination(c), "{c:?}");
        }
    }

    #[test]
    fn stored_results_remember_the_last_two_requests() {
        let mut s = ReconfigState::default();
        s.record(10, result::PERFORMED);
        s.record(11, result::IN_PROGRESS);
        s.record(12, result::DENIED);
        assert_eq!(s.stored(10), None);
        assert_eq!(s.stored(11), Some(result::IN_PROGRESS));
        assert_eq!(s.stored(12), Some(result::DENIED));
        s.update_stored(11, result::PERFORMED);
        assert_eq!(s.stored(11), Some(result::PERFORMED));
    }

    #[test]
    fn normalize_sorts_and_removes_duplicates() {
        let v = normalize(&[StreamId(5), StreamId(1), StreamId(5)]);
        assert_eq!(v, vec![StreamId(1), StreamId(5)]);
    }
}
