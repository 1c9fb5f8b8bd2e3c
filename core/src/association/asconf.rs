//! Dynamic address reconfiguration (RFC 5061): ASCONF and ASCONF-ACK.
//!
//! Sending (§5.1): our requests (add / delete one of our addresses, set the
//! peer's primary to one of them) queue in [`AsconfState`]; one ASCONF is
//! outstanding at a time, carrying every queued request with its
//! correlation id, retransmitted unchanged on T-4 (the RTO of the path it
//! went to, counted against the path and association error counters) to an
//! alternate confirmed path. The ASCONF-ACK answers each request (§5.1
//! A6–A8, §5.3): an added address becomes a source only then (F1, F2).
//!
//! Receiving (§5.2): the Peer-Serial-Number picks new ASCONFs (processed in
//! order, their ASCONF-ACK cached), retransmitted ones (the cached
//! ASCONF-ACK again) and stale ones (discarded). Added peer addresses
//! become unconfirmed paths probed by HEARTBEAT (F14, RFC 9260 §5.4);
//! deletes of the last address or of the packet's source are refused (F7,
//! F8). With UDP encapsulation (RFC 6951 §5.7) a peer address is the IP of
//! the parameter (or the packet's source for the wildcard 0.0.0.0 / ::)
//! with the UDP port of the packet carrying the ASCONF.
//!
//! RFC 5061 §4.1.1 wants both chunks authenticated (RFC 4895): ASCONF is
//! only used with SCTP-AUTH in use and both chunk types in both CHUNKS
//! lists ([`Association::asconf_usable`]), and received ones count only
//! after a valid AUTH chunk (the input dispatch).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use rand_chacha::rand_core::RngCore;

use crate::error::Error;
use crate::event::{
    AddressChangeReason, AddressRequest, AddressRequestOutcome, Event, PeerAddressState,
};
use crate::path::{PathError, PathId};
use crate::stats::AssociationState as S;
use crate::time::Instant;
use crate::types::Tsn;
use crate::wire::{self, cause_code, Chunk, ErrorCause, List, Param, UnrecognizedAction};

use super::paths::pidx;
use super::{Association, Control, Ctx};

/// The reason of changes the peer's ASCONF asked for.
const PEER: AddressChangeReason = AddressChangeReason::PeerRequest;

/// Most requests waiting for the outstanding ASCONF to be answered.
pub(crate) const MAX_PENDING: usize = 32;
/// Most requests in one ASCONF: 16 parameters of at most 28 bytes, the
/// header and the lookup address fit the smallest PMTU (RFC 5061 §5.1.1
/// C5).
const MAX_PER_ASCONF: usize = 16;
/// Most deleted local addresses remembered for §5.3.1.
const MAX_DELETED_LOCAL: usize = 4;
/// Most peer addresses held valid after the peer deleted them (§5.3); the
/// default bound on an association's paths.
const MAX_DELETED_PEER: usize = 16;
/// Most parameters of a received ASCONF processed; the rest are refused
/// with a resource shortage (the answer must stay bounded).
const MAX_PROCESSED: usize = 64;

/// One request we sent, with its correlation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sent {
    cid: u32,
    request: AddressRequest,
}

/// The ASCONF waiting for its ASCONF-ACK (§5.1 A3–A5).
#[derive(Debug)]
struct Outstanding {
    serial: u32,
    /// The encoded chunk, resent unchanged (§5.1 B4).
    chunk: Vec<u8>,
    requests: Vec<Sent>,
    /// Where it went last, for the T-4 error counting and back-off.
    path: PathId,
    /// T-4 RTO.
    deadline: Instant,
}

/// ASCONF state of one association.
#[derive(Debug, Default)]
pub(crate) struct AsconfState {
    /// The Sequence Number of our next ASCONF (§5.1 A2).
    next_serial: u32,
    next_cid: u32,
    // Boxed: an idle association pays a pointer (issue 3's idle budget).
    outstanding: Option<Box<Outstanding>>,
    pending: VecDeque<AddressRequest>,
    /// 'Peer-Serial-Number': the last ASCONF of the peer processed (§5.2).
    peer_serial: u32,
    /// The ASCONF-ACK answering `peer_serial`, encoded (§5.2 E4).
    cached_ack: Option<Box<[u8]>>,
    /// The peer reported ASCONF as unrecognized (§5.1 A9).
    peer_refuses_asconf: bool,
    /// The peer did not understand Add / Delete IP Address (§5.3 F3a).
    peer_refuses_add_delete: bool,
    /// The peer did not understand Set Primary Address (§5.3 F3b).
    peer_refuses_set_primary: bool,
    /// A peer address it asked us to make primary, applied once a
    /// HEARTBEAT confirms it (RFC 9260 §5.4: no data before).
    pending_primary: Option<Box<SocketAddr>>,
    /// Addresses deleted from the association; boxed on the first deletion
    /// (an idle association pays a pointer).
    deleted: Option<Box<Deleted>>,
}

/// Addresses deleted from an association.
#[derive(Debug, Default)]
struct Deleted {
    /// Our addresses deleted from the association (the newest few):
    /// ABORTs arriving there are ignored (§5.3.1).
    local: Vec<IpAddr>,
    /// Peer addresses the peer deleted, with the end of their grace
    /// period: no longer destinations, but packets from them still belong
    /// to the association until then (§5.3, after F13: at most 2 RTO).
    peer: Vec<(SocketAddr, Instant)>,
}

impl AsconfState {
    /// State at the start of an association: our serial numbers start at
    /// our Initial TSN (§5.1 A2), the peer's at its Initial TSN, so the
    /// last one processed is one below (§5.2).
    pub(crate) fn new(local_initial_tsn: Tsn, peer_initial_tsn: Tsn) -> Self {
        AsconfState {
            next_serial: local_initial_tsn.0,
            peer_serial: peer_initial_tsn.0.wrapping_sub(1),
            ..AsconfState::default()
        }
    }

    /// T-4's deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.outstanding.as_ref().map(|o| o.deadline)
    }

    /// When the grace period of a deleted peer address ends.
    pub(crate) fn deleted_peer_deadline(&self) -> Option<Instant> {
        self.deleted.as_ref()?.peer.iter().map(|d| d.1).min()
    }

    fn deleted_local(&self) -> &[IpAddr] {
        self.deleted.as_ref().map_or(&[], |d| &d.local)
    }

    fn deleted_mut(&mut self) -> &mut Deleted {
        self.deleted.get_or_insert_with(Box::default)
    }

    /// Requests not answered yet (queued or outstanding).
    pub(crate) fn unanswered(&self) -> usize {
        self.pending.len() + self.outstanding.as_ref().map_or(0, |o| o.requests.len())
    }

    fn refuses(&self, r: &AddressRequest) -> bool {
        match r {
            AddressRequest::SetPeerPrimary(_) => self.peer_refuses_set_primary,
            _ => self.peer_refuses_add_delete,
        }
    }
}

/// How a received ASCONF parameter is answered.
enum Answer {
    Success,
    /// An error cause code; the refused parameter is attached (§4.3).
    Refused(u16),
}

/// The error cause with `code`, carrying the refused parameter `tlv`.
fn refusal(code: u16, tlv: &[u8]) -> ErrorCause<'_> {
    match code {
        cause_code::DELETE_LAST_REMAINING_ADDRESS => ErrorCause::DeleteLastRemainingAddress(tlv),
        cause_code::DELETE_SOURCE_ADDRESS => ErrorCause::DeleteSourceAddress(tlv),
        cause_code::UNRESOLVABLE_ADDRESS => ErrorCause::UnresolvableAddress(tlv),
        cause_code::UNRECOGNIZED_PARAMETERS => ErrorCause::UnrecognizedParameters(tlv),
        cause_code::INVALID_MANDATORY_PARAMETER => ErrorCause::InvalidMandatoryParameter,
        _ => ErrorCause::ResourceShortage(tlv),
    }
}

/// Appends `p` with its padding to `out`.
fn push_param(out: &mut Vec<u8>, p: &Param<'_>) {
    let start = out.len();
    out.resize(start + super::pad4(p.encoded_len()), 0);
    if let Some(buf) = out.get_mut(start..) {
        p.emit(buf);
    }
}

/// `p` encoded without padding (a refused parameter inside a cause).
fn tlv_of(p: &Param<'_>) -> Vec<u8> {
    let mut v = Vec::new();
    push_param(&mut v, p);
    v.truncate(p.encoded_len());
    v
}

/// The peer transport address an ASCONF parameter names (RFC 6951 §5.7):
/// the wildcard is the packet's source; otherwise the IP with the UDP port
/// of the packet.
fn peer_address(ip: IpAddr, from: SocketAddr) -> SocketAddr {
    if ip.is_unspecified() {
        from
    } else {
        SocketAddr::new(ip, from.port())
    }
}

impl Association {
    /// Whether ASCONF may be used on this association (§4.2.7): both sides
    /// offered it, SCTP-AUTH is in use with ASCONF and ASCONF-ACK in both
    /// CHUNKS lists (§4.1.1, RFC 4895), the peer did not reject the chunk
    /// since (§5.1 A9), and the state allows it (§5.1.1 C4).
    pub(crate) fn asconf_usable(&self) -> bool {
        let authenticated = |t| self.auth.we_require(t) && self.auth.peer_requires(t);
        self.config.asconf
            && self.peer_caps.asconf
            && authenticated(wire::chunk_type::ASCONF)
            && authenticated(wire::chunk_type::ASCONF_ACK)
            && !self.asconf.peer_refuses_asconf
            && matches!(
                self.state,
                S::Established | S::ShutdownPending | S::ShutdownReceived | S::ShutdownSent
            )
    }

    /// Whether a packet that arrived at our address `to` must be ignored
    /// because it starts with an ABORT and `to` is one of our deleted
    /// addresses (§5.3.1: the peer answers late packets from it as out of
    /// the blue).
    pub(crate) fn ignores_abort_at(&self, to: IpAddr, packet: &wire::Packet<&[u8]>) -> bool {
        self.asconf.deleted_local().contains(&to)
            && packet
                .chunks()
                .next()
                .is_some_and(|c| c.is_ok_and(|c| c.chunk_type == wire::chunk_type::ABORT))
    }

    /// Queues one of our address changes for the peer (§5.1 A1–A3).
    pub(crate) fn request_address_change(
        &mut self,
        now: Instant,
        request: AddressRequest,
    ) -> Result<(), Error> {
        if !self.asconf_usable() {
            return Err(Error::InvalidState {
                state: self.state.name(),
                hint: "the peer does not support dynamic address reconfiguration (RFC 5061 ASCONF) on this association",
            });
        }
        if self.asconf.refuses(&request) {
            return Err(Error::InvalidState {
                state: self.state.name(),
                hint: "the peer reported this kind of address request as unrecognized",
            });
        }
        if self.asconf.unanswered() >= MAX_PENDING {
            return Err(Error::InvalidState {
                state: self.state.name(),
                hint: "too many address requests wait for the peer's answer; wait for AddressRequestResult events",
            });
        }
        if let AddressRequest::RemoveLocal(ip) = request {
            // §5.3 F5: never delete our last address. With no address
            // listed the peer knows us only by our packets' source.
            let others = self.local_addresses.iter().filter(|a| **a != ip).count();
            if others == 0 {
                return Err(Error::InvalidAddress(
                    "cannot remove the association's last address; add another one first",
                ));
            }
            // §5.3 F4, F6: the address is no source from now on.
            self.local_addresses.retain(|a| *a != ip);
            self.stop_using_local(ip);
            let deleted = &mut self.asconf.deleted_mut().local;
            if !deleted.contains(&ip) {
                if deleted.len() >= MAX_DELETED_LOCAL {
                    deleted.remove(0);
                }
                deleted.push(ip);
            }
        }
        self.asconf.pending.push_back(request);
        self.asconf_flush(now);
        Ok(())
    }

    /// Paths that sent from `ip` send from another of our addresses (same
    /// UDP port, RFC 6951 §5) or let the host choose.
    fn stop_using_local(&mut self, ip: IpAddr) {
        let replacement = |port: u16, v4: bool, locals: &[IpAddr]| {
            locals
                .iter()
                .find(|a| a.is_ipv4() == v4)
                .map(|a| SocketAddr::new(*a, port))
        };
        let locals = self.local_addresses.clone();
        for p in self.paths.iter_mut() {
            if let Some(l) = p.local().filter(|l| l.ip() == ip) {
                p.set_local(replacement(l.port(), ip.is_ipv4(), &locals));
            }
        }
    }

    /// Sends the queued requests if no ASCONF is outstanding (§5.1 A3, C1).
    pub(crate) fn asconf_flush(&mut self, now: Instant) {
        if self.asconf.outstanding.is_some() || self.asconf.pending.is_empty() {
            return;
        }
        if !self.asconf_usable() {
            return;
        }
        let n = self.asconf.pending.len().min(MAX_PER_ASCONF);
        let mut sent = Vec::with_capacity(n);
        let mut params = Vec::with_capacity(n);
        for request in self.asconf.pending.drain(..n) {
            let cid = self.asconf.next_cid;
            self.asconf.next_cid = cid.wrapping_add(1);
            params.push(match request {
                AddressRequest::AddLocal(address) => Param::AddIpAddress {
                    correlation_id: cid,
                    address,
                },
                AddressRequest::RemoveLocal(address) => Param::DeleteIpAddress {
                    correlation_id: cid,
                    address,
                },
                AddressRequest::SetPeerPrimary(address) => Param::SetPrimaryAddress {
                    correlation_id: cid,
                    address,
                },
            });
            sent.push(Sent { cid, request });
        }
        // §4.1.1: the lookup address is one the peer knows as ours (§5.5
        // rule 4: as if the earlier requests were accepted); the wildcard
        // when we listed none.
        let deleted = |a: &IpAddr| {
            sent.iter()
                .any(|s| s.request == AddressRequest::RemoveLocal(*a))
        };
        let address = self
            .local_addresses
            .iter()
            .copied()
            .find(|a| !deleted(a))
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let serial = self.asconf.next_serial;
        self.asconf.next_serial = serial.wrapping_add(1);
        let chunk = super::input::encode_simple(Chunk::Asconf(wire::AsconfChunk {
            serial,
            address,
            params: List::Items(&params),
        }));
        let path = self.data_path();
        tracing::debug!(id = %self.id, serial, requests = sent.len(), "ASCONF sent");
        self.asconf.outstanding = Some(Box::new(Outstanding {
            serial,
            chunk,
            requests: sent,
            path,
            deadline: now,
        }));
        self.send_outstanding_asconf(now, path);
    }

    /// (Re)sends the outstanding ASCONF to `path` and starts T-4 with that
    /// path's RTO (§5.1 A4, B4, B5).
    fn send_outstanding_asconf(&mut self, now: Instant, path: PathId) {
        let rto = self
            .paths
            .get(path)
            .map_or(self.config.rto_initial, |p| p.current_rto());
        let to = self.path_addr(path);
        let Some(o) = self.asconf.outstanding.as_mut() else {
            return;
        };
        o.path = path;
        o.deadline = now + rto;
        let bytes = o.chunk.clone();
        self.queue_control(Control {
            bytes,
            alone: false,
            vtag: None,
            to: Some(to),
        });
    }

    /// T-4 expired (§5.1 B1–B5). Returns true if the association failed
    /// (Association.Max.Retrans exceeded).
    pub(crate) fn on_t4(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let Some(last) = self.asconf.outstanding.as_ref().map(|o| o.path) else {
            return false;
        };
        self.stats.timeouts += 1;
        let Some(next) = self.control_chunk_timeout(ctx, last) else {
            return true;
        };
        self.send_outstanding_asconf(ctx.now, next);
        false
    }

    /// The peer did not recognize ASCONF (an ERROR with Unrecognized Chunk
    /// Type, §5.1 A9): no more ASCONFs; every request fails.
    pub(crate) fn on_asconf_unrecognized(&mut self, ctx: &mut Ctx<'_>) {
        self.asconf.peer_refuses_asconf = true;
        let mut failed: Vec<AddressRequest> = self
            .asconf
            .outstanding
            .take()
            .map(|o| o.requests.into_iter().map(|s| s.request).collect())
            .unwrap_or_default();
        failed.extend(self.asconf.pending.drain(..));
        for request in failed {
            self.finish_request(ctx, request, AddressRequestOutcome::Unsupported);
        }
    }

    /// Reports an answered request and applies its effect (§5.3 F2, F4).
    fn finish_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: AddressRequest,
        outcome: AddressRequestOutcome,
    ) {
        let accepted = outcome == AddressRequestOutcome::Accepted;
        // F2: an added address is a source from now on; a refused removal
        // leaves the address part of the association, usable again.
        let keep = match request {
            AddressRequest::AddLocal(ip) if accepted => Some(ip),
            AddressRequest::RemoveLocal(ip) if !accepted => Some(ip),
            _ => None,
        };
        if let Some(ip) = keep.filter(|ip| !self.local_addresses.contains(ip)) {
            self.local_addresses.push(ip);
            if let Some(d) = self.asconf.deleted.as_mut() {
                d.local.retain(|a| *a != ip);
            }
        }
        ctx.emit(self.id, Event::AddressRequestResult { request, outcome });
    }

    /// An ASCONF-ACK arrived (§5.1 A5–A8, §5.3 F0, F3).
    pub(crate) fn on_asconf_ack(&mut self, ctx: &mut Ctx<'_>, ack: &wire::AsconfAckChunk<'_>) {
        let matches = self
            .asconf
            .outstanding
            .as_ref()
            .is_some_and(|o| o.serial == ack.serial);
        if !matches {
            // F0: an ASCONF-ACK for a serial we have not sent yet (serial
            // arithmetic) is illegal; older ones are stale duplicates.
            let ahead = ack.serial.wrapping_sub(self.asconf.next_serial) < 1 << 31;
            if ahead {
                self.abort_with(
                    ctx,
                    ErrorCause::IllegalAsconfAck(&[]),
                    "ASCONF-ACK for an ASCONF never sent",
                );
            }
            return;
        }
        let Some(o) = self.asconf.outstanding.take() else {
            return;
        };
        // A5: the peer answered; clear the error counters.
        if let Some(e) = self.paths.on_data_acked(o.path, ctx.now, true) {
            self.path_event(ctx, e);
        }
        // A6: answers by correlation id, in request order.
        let mut answers: Vec<Option<AddressRequestOutcome>> = vec![None; o.requests.len()];
        for param in ack.params() {
            let Ok(param) = param else { break };
            let (cid, outcome) = match param {
                Param::SuccessIndication { correlation_id } => {
                    (correlation_id, AddressRequestOutcome::Accepted)
                }
                Param::ErrorCauseIndication {
                    correlation_id,
                    causes,
                } => {
                    let first = causes.iter().flatten().next();
                    let outcome = match first {
                        Some(ErrorCause::UnrecognizedParameters(_)) => {
                            AddressRequestOutcome::Unsupported
                        }
                        Some(c) => AddressRequestOutcome::Refused {
                            cause_code: c.cause_code(),
                            reason: super::input::describe_cause(&c),
                        },
                        None => AddressRequestOutcome::Refused {
                            cause_code: 0,
                            reason: "refused without a cause".to_string(),
                        },
                    };
                    (correlation_id, outcome)
                }
                _ => continue,
            };
            if let Some(i) = o.requests.iter().position(|s| s.cid == cid) {
                if let Some(slot) = answers.get_mut(i) {
                    *slot = Some(outcome);
                }
            }
        }
        // A7, A8: unanswered requests before the last refusal succeeded;
        // after it they were not performed.
        let last_refusal = answers.iter().rposition(|a| {
            a.as_ref()
                .is_some_and(|a| *a != AddressRequestOutcome::Accepted)
        });
        for (i, (sent, answer)) in o.requests.iter().zip(answers).enumerate() {
            let outcome = answer.unwrap_or_else(|| match last_refusal {
                Some(r) if i > r => AddressRequestOutcome::Refused {
                    cause_code: 0,
                    reason: "not performed: an earlier request of the same ASCONF was refused"
                        .to_string(),
                },
                _ => AddressRequestOutcome::Accepted,
            });
            if outcome == AddressRequestOutcome::Unsupported {
                // F3a, F3b.
                match sent.request {
                    AddressRequest::SetPeerPrimary(_) => {
                        self.asconf.peer_refuses_set_primary = true
                    }
                    _ => self.asconf.peer_refuses_add_delete = true,
                }
            }
            self.finish_request(ctx, sent.request, outcome);
        }
        self.asconf.next_serial = self.asconf.next_serial.max(o.serial.wrapping_add(1));
        self.asconf_flush(ctx.now);
    }

    /// An ASCONF from `from` (§5.2). Only the last answer is cached (E1
    /// lets older ones go): several ASCONFs in one packet are answered in
    /// order, a retransmission of the newest from the cache.
    pub(crate) fn on_asconf(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        chunk: &wire::AsconfChunk<'_>,
    ) {
        if !matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownReceived | S::ShutdownSent
        ) {
            // §5.1.1 C4.
            return;
        }
        let expected = self.asconf.peer_serial.wrapping_add(1);
        if chunk.serial == self.asconf.peer_serial {
            // E2: a retransmission; the cached answer again.
            if let Some(bytes) = self.asconf.cached_ack.clone() {
                self.queue_asconf_ack(from, bytes.into_vec());
            }
            return;
        }
        if chunk.serial != expected {
            // E2 (older, no cache) / E5: stale or forged.
            tracing::debug!(id = %self.id, serial = chunk.serial, expected, "ASCONF discarded");
            return;
        }
        let mut out = Vec::new();
        // F11: once an add or delete fails, later ones fail too.
        let mut failing: Option<u16> = None;
        for (n, param) in chunk.params().enumerate() {
            let param = match param {
                Ok(p) => p,
                Err(_) => {
                    // A malformed parameter: stop here and say so; the
                    // rest cannot be framed.
                    let cid = 0;
                    self.push_answer(
                        &mut out,
                        cid,
                        None,
                        Answer::Refused(cause_code::INVALID_MANDATORY_PARAMETER),
                    );
                    break;
                }
            };
            if n >= MAX_PROCESSED {
                if let Some(cid) = correlation_id(&param) {
                    self.push_answer(
                        &mut out,
                        cid,
                        Some(&param),
                        Answer::Refused(cause_code::RESOURCE_SHORTAGE),
                    );
                }
                continue;
            }
            let cid = correlation_id(&param).unwrap_or(0);
            let answer = match param {
                Param::AddIpAddress { address, .. } | Param::DeleteIpAddress { address, .. } => {
                    let add = matches!(param, Param::AddIpAddress { .. });
                    let answer = match failing {
                        Some(code) => Answer::Refused(code),
                        None if add => self.peer_add(ctx, from, address),
                        None => self.peer_delete(ctx, from, address),
                    };
                    if let Answer::Refused(code) = answer {
                        failing.get_or_insert(code);
                    }
                    answer
                }
                Param::SetPrimaryAddress { address, .. } => {
                    self.peer_set_primary(ctx, from, address)
                }
                // §4.2.6: may travel in an ASCONF; nothing to answer.
                Param::AdaptationLayerIndication(_) => continue,
                other => {
                    // V2: unrecognized (or misplaced) parameters per their
                    // upper two bits (RFC 9260 §3.2.1).
                    let action = UnrecognizedAction::for_param(other.param_type());
                    if action.reports() {
                        let a = Answer::Refused(cause_code::UNRECOGNIZED_PARAMETERS);
                        self.push_answer(&mut out, cid, Some(&other), a);
                    }
                    if action.continues() {
                        continue;
                    }
                    break;
                }
            };
            self.push_answer(&mut out, cid, Some(&param), answer);
        }
        // E4, V4, V5.
        let bytes = super::input::encode_simple(Chunk::AsconfAck(wire::AsconfAckChunk {
            serial: chunk.serial,
            params: List::Raw(&out),
        }));
        self.asconf.peer_serial = chunk.serial;
        self.asconf.cached_ack = Some(bytes.clone().into_boxed_slice());
        self.queue_asconf_ack(from, bytes);
    }

    /// E6: the ASCONF-ACK goes to the source of the ASCONF.
    fn queue_asconf_ack(&mut self, from: SocketAddr, bytes: Vec<u8>) {
        let to = (self.paths.find(&from) != Some(self.data_path())).then_some(from);
        self.queue_control(Control {
            bytes,
            alone: false,
            vtag: None,
            to,
        });
    }

    /// Appends the answer to one parameter (V3: its correlation id).
    fn push_answer(&self, out: &mut Vec<u8>, cid: u32, param: Option<&Param<'_>>, a: Answer) {
        match a {
            Answer::Success => push_param(
                out,
                &Param::SuccessIndication {
                    correlation_id: cid,
                },
            ),
            Answer::Refused(code) => {
                let tlv = param.map(tlv_of).unwrap_or_default();
                let cause = refusal(code, &tlv);
                push_param(
                    out,
                    &Param::ErrorCauseIndication {
                        correlation_id: cid,
                        causes: List::Items(core::slice::from_ref(&cause)),
                    },
                );
            }
        }
    }

    /// Add IP Address from the peer (§4.2.1, §5.3 F9, F14).
    fn peer_add(&mut self, ctx: &mut Ctx<'_>, from: SocketAddr, ip: IpAddr) -> Answer {
        let addr = peer_address(ip, from);
        if !ip.is_unspecified() && !super::handshake::usable_peer_address(ip, from.ip()) {
            // Broadcast, multicast or another family: not reachable.
            return Answer::Refused(cause_code::UNRESOLVABLE_ADDRESS);
        }
        if self.paths.find(&addr).is_some() {
            return Answer::Success;
        }
        match self.paths.add(addr, None, false) {
            Ok(id) => {
                // Back before its grace period ended: it stays.
                if let Some(d) = self.asconf.deleted.as_mut() {
                    d.peer.retain(|d| d.0 != addr);
                }
                // F14, RFC 9260 §5.4: unconfirmed, probed at once.
                let r = self.rng.next_u32();
                if let Some(p) = self.paths.get_mut(id) {
                    p.start_heartbeats(ctx.now, r);
                }
                self.paths_changed = true;
                self.address_change(ctx, addr, PeerAddressState::Added, PEER);
                Answer::Success
            }
            // F9.
            Err(_) => Answer::Refused(cause_code::RESOURCE_SHORTAGE),
        }
    }

    /// Delete IP Address from the peer (§4.2.2, §5.3 F7, F8, F12, F13).
    fn peer_delete(&mut self, ctx: &mut Ctx<'_>, from: SocketAddr, ip: IpAddr) -> Answer {
        if ip.is_unspecified() {
            // §4.2.2: every address but the packet's source.
            let Some(keep) = self.paths.find(&from) else {
                return Answer::Refused(cause_code::DELETE_SOURCE_ADDRESS);
            };
            let others: Vec<PathId> = self
                .paths
                .iter()
                .map(|p| p.id())
                .filter(|id| *id != keep)
                .collect();
            for id in others {
                self.remove_peer_path(ctx, id, Some(keep));
            }
            return Answer::Success;
        }
        let addr = peer_address(ip, from);
        let Some(id) = self.paths.find(&addr) else {
            // Not (or no longer) an address of the association.
            return Answer::Success;
        };
        if self.paths.len() == 1 {
            return Answer::Refused(cause_code::DELETE_LAST_REMAINING_ADDRESS);
        }
        if addr == from {
            return Answer::Refused(cause_code::DELETE_SOURCE_ADDRESS);
        }
        self.remove_peer_path(ctx, id, self.paths.find(&from));
        Answer::Success
    }

    /// Removes a peer path; a new primary is chosen first if needed (F12:
    /// the packet's source if confirmed, else any confirmed path, else the
    /// source anyway). Data outstanding there is retransmitted elsewhere.
    fn remove_peer_path(&mut self, ctx: &mut Ctx<'_>, id: PathId, source: Option<PathId>) {
        if self.paths.primary() == id {
            let confirmed =
                |s: &Self, p: PathId| p != id && s.paths.get(p).is_some_and(|p| p.is_confirmed());
            let choice = source
                .filter(|s| confirmed(self, *s))
                .or_else(|| {
                    self.paths
                        .iter()
                        .map(|p| p.id())
                        .find(|p| confirmed(self, *p))
                })
                .or(source.filter(|s| *s != id))
                .or_else(|| self.paths.iter().map(|p| p.id()).find(|p| *p != id));
            let Some(new) = choice else { return };
            if self.paths.set_primary(new) == Err(PathError::Unconfirmed) {
                let _ = self.paths.force_primary(new);
            }
            let address = self.path_addr(new);
            self.address_change(
                ctx,
                address,
                PeerAddressState::MadePrimary,
                AddressChangeReason::PrimaryDeleted,
            );
        }
        // Data outstanding on the removed path is sent again elsewhere
        // (as after a T3-rtx expiry there, RFC 9260 §6.3.3 E3); the
        // receiver discards what arrives twice.
        self.rtx.on_t3_expired(pidx(id), ctx.now);
        let Ok(path) = self.paths.remove(id) else {
            return;
        };
        let address = path.remote();
        // §5.3 (after F13): the peer may have sent packets from the address
        // before it deleted it; they may arrive after the ASCONF. We hold
        // the address valid as a source for 2 RTO of its path, the most
        // the RFC allows, so such late DATA is taken rather than answered
        // with an ABORT (which the peer would ignore, §5.3.1) and sent
        // again. It is no destination from now on (F13).
        let grace = path.current_rto().saturating_mul(2);
        let held = &mut self.asconf.deleted_mut().peer;
        if held.len() >= MAX_DELETED_PEER {
            let oldest = held.remove(0);
            self.removed_peer_addresses.push(oldest.0);
        }
        let held = &mut self.asconf.deleted_mut().peer;
        held.push((address, ctx.now + grace));
        if self.last_data_path == Some(id) {
            self.last_data_path = None;
        }
        if self.asconf.pending_primary.as_deref() == Some(&address) {
            self.asconf.pending_primary = None;
        }
        self.address_change(ctx, address, PeerAddressState::Removed, PEER);
    }

    /// Ends the grace periods that are over: packets from those addresses
    /// are out of the blue from now on (RFC 5061 §5.3 F13).
    pub(crate) fn end_deleted_peer_grace(&mut self, now: Instant) {
        let Some(d) = self.asconf.deleted.as_mut() else {
            return;
        };
        let mut i = 0;
        while let Some(&(address, until)) = d.peer.get(i) {
            if until > now {
                i += 1;
                continue;
            }
            d.peer.remove(i);
            if self.paths.find(&address).is_none() {
                self.removed_peer_addresses.push(address);
            }
        }
    }

    /// Set Primary Address from the peer (§4.2.4, §5.4).
    fn peer_set_primary(&mut self, ctx: &mut Ctx<'_>, from: SocketAddr, ip: IpAddr) -> Answer {
        let addr = peer_address(ip, from);
        let Some(id) = self.paths.find(&addr) else {
            // §5.4: not an address of the association; primary unchanged.
            return Answer::Refused(cause_code::UNRESOLVABLE_ADDRESS);
        };
        match self.paths.set_primary(id) {
            Ok(()) => {
                self.asconf.pending_primary = None;
                self.address_change(ctx, addr, PeerAddressState::MadePrimary, PEER);
            }
            // RFC 9260 §5.4: primary once a HEARTBEAT confirms it.
            Err(_) => self.asconf.pending_primary = Some(Box::new(addr)),
        }
        Answer::Success
    }

    /// A path was confirmed: the primary the peer asked for, if it was
    /// waiting for that.
    pub(crate) fn on_path_confirmed(&mut self, ctx: &mut Ctx<'_>, id: PathId) {
        let addr = self.path_addr(id);
        if self.asconf.pending_primary.as_deref() == Some(&addr)
            && self.paths.set_primary(id).is_ok()
        {
            self.asconf.pending_primary = None;
            self.address_change(ctx, addr, PeerAddressState::MadePrimary, PEER);
        }
    }

    fn address_change(
        &self,
        ctx: &mut Ctx<'_>,
        address: SocketAddr,
        state: PeerAddressState,
        reason: AddressChangeReason,
    ) {
        ctx.emit(
            self.id,
            Event::PeerAddressChange {
                address,
                state,
                reason,
            },
        );
    }
}

/// The correlation id of an ASCONF parameter: known ones carry it; for
/// unknown ones, the first four bytes of the value (§4.2: every ASCONF
/// parameter starts with one).
fn correlation_id(p: &Param<'_>) -> Option<u32> {
    match p {
        Param::AddIpAddress { correlation_id, .. }
        | Param::DeleteIpAddress { correlation_id, .. }
        | Param::SetPrimaryAddress { correlation_id, .. } => Some(*correlation_id),
        Param::Unknown { value, .. } => {
            let b: [u8; 4] = value.get(..4)?.try_into().ok()?;
            Some(u32::from_be_bytes(b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_start_at_the_initial_tsns() {
        let s = AsconfState::new(Tsn(7), Tsn(0));
        assert_eq!(s.next_serial, 7, "§5.1 A2");
        // §5.2: the peer's first ASCONF (serial = its Initial TSN) is the
        // one after 'Peer-Serial-Number', across the wrap.
        assert_eq!(s.peer_serial, u32::MAX);
        assert_eq!(s.peer_serial.wrapping_add(1), 0);
        assert_eq!(s.deadline(), None);
        assert_eq!(s.unanswered(), 0);
    }

    #[test]
    fn wildcard_means_the_source_and_the_udp_port_comes_from_the_packet() {
        let from: SocketAddr = "192.0.2.1:9899".parse().unwrap();
        assert_eq!(peer_address("0.0.0.0".parse().unwrap(), from), from);
        assert_eq!(
            peer_address("192.0.2.7".parse().unwrap(), from),
            "192.0.2.7:9899".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn correlation_ids_of_known_and_unknown_parameters() {
        let add = Param::AddIpAddress {
            correlation_id: 9,
            address: "192.0.2.1".parse().unwrap(),
        };
        assert_eq!(correlation_id(&add), Some(9));
        let unknown = Param::Unknown {
            param_type: 0xC0FF,
            value: &[0, 0, 1, 2, 3],
        };
        assert_eq!(correlation_id(&unknown), Some(0x102));
        let short = Param::Unknown {
            param_type: 0xC0FF,
            value: &[1],
        };
        assert_eq!(correlation_id(&short), None);
        assert_eq!(correlation_id(&Param::ForwardTsnSupported), None);
    }

    #[test]
    fn refusals_carry_the_refused_parameter() {
        let p = Param::DeleteIpAddress {
            correlation_id: 1,
            address: "192.0.2.1".parse().unwrap(),
        };
        let tlv = tlv_of(&p);
        assert_eq!(tlv.len(), 16);
        for code in [
            cause_code::DELETE_LAST_REMAINING_ADDRESS,
            cause_code::DELETE_SOURCE_ADDRESS,
            cause_code::RESOURCE_SHORTAGE,
            cause_code::UNRESOLVABLE_ADDRESS,
        ] {
            assert_eq!(refusal(code, &tlv).cause_code(), code);
        }
        let mut out = Vec::new();
        push_param(&mut out, &p);
        assert_eq!(out, tlv, "16 bytes need no padding");
    }
}
