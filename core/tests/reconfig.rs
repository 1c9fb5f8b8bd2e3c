//! Stream re-configuration (RFC 6525) against a hand-scripted peer that
//! writes raw RE-CONFIG chunks: every request type, the answers the RFC
//! pins down, and malformed input.

use std::net::SocketAddr;
use std::time::Duration;

use anysctp::wire::{
    ChecksumMode, ChecksumPolicy, Chunk, CookieEchoChunk, DataChunk, Emit, ForwardTsnChunk,
    InitChunk, List, Packet, PacketWriter, Param, ReConfigChunk, SackChunk,
};
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, Endpoint, EndpointConfig, Error, Event, Instant,
    Ppid, ReconfigPolicy, ReconfigResult, ResetDirection, SendOptions, Ssn, StreamDirection,
    StreamId, Tsn, VerificationTag,
};
use bytes::Bytes;

const PEER: &str = "10.0.0.2:6000";
const PEER_TAG: u32 = 0x0a0b_0c0d;
/// The peer's initial TSN, hence its first request sequence number (RFC
/// 6525 §4.1).
const PEER_TSN: u32 = 100;
const RE_CONFIG: u8 = 130;

/// Result codes (RFC 6525 §4.4).
const PERFORMED: u32 = 1;
const DENIED: u32 = 2;
const ALREADY_IN_PROGRESS: u32 = 4;
const BAD_SEQUENCE_NUMBER: u32 = 5;
const IN_PROGRESS: u32 = 6;

/// A RE-CONFIG parameter the endpoint sent, owned.
#[derive(Debug, Clone, PartialEq)]
enum R {
    Resp {
        sn: u32,
        result: u32,
        /// Sender's and Receiver's Next TSN (answers to SSN/TSN Reset).
        next_tsns: Option<(u32, u32)>,
    },
    OutReq {
        sn: u32,
        resp_sn: u32,
        last_tsn: u32,
        streams: Vec<u16>,
    },
    AddOut {
        sn: u32,
        n: u16,
    },
    TsnReq {
        sn: u32,
    },
    InReq {
        sn: u32,
        streams: Vec<u16>,
    },
    AddIn {
        sn: u32,
        n: u16,
    },
    Other(u16),
}

/// What the endpoint sent, decoded enough for the tests.
#[derive(Debug, Default)]
struct Sent {
    /// RE-CONFIG parameters, chunk by chunk.
    reconfigs: Vec<Vec<R>>,
    /// DATA chunks: (TSN, stream, SSN).
    data: Vec<(u32, u16, u16)>,
    /// Error cause codes of ERROR chunks.
    errors: Vec<u16>,
    sacks: usize,
}

/// A chunk given as raw bytes (type, flags, value), for malformed input.
struct RawChunk(u8, Vec<u8>);

impl Emit for RawChunk {
    fn encoded_len(&self) -> usize {
        4 + self.1.len()
    }
    fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.encoded_len();
        buf[0] = self.0;
        buf[1] = 0;
        buf[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        buf[4..len].copy_from_slice(&self.1);
        let padded = (len + 3) & !3;
        buf[len..padded].fill(0);
        padded
    }
}

struct Peer {
    ep: Endpoint,
    now: Instant,
    id: AssociationId,
    /// The endpoint's tag and initial TSN.
    tag: u32,
    tsn: u32,
    /// The peer's next request sequence number.
    next_sn: u32,
}

impl Peer {
    /// An endpoint with `cfg`, ESTABLISHED with a peer that offers
    /// RE-CONFIG (when `reconfig`) and announces 4 streams each way.
    fn new(cfg: AssociationConfig, reconfig: bool) -> Self {
        let config = EndpointConfig {
            port: 5000,
            accept_incoming: true,
            association: cfg,
            ..EndpointConfig::default()
        };
        let mut p = Peer {
            ep: Endpoint::new(config, [9; 32]).unwrap(),
            now: Instant::from_millis(1000),
            id: AssociationId(0),
            tag: 0,
            tsn: 0,
            next_sn: PEER_TSN,
        };
        let ext: &[u8] = if reconfig { &[RE_CONFIG] } else { &[] };
        let params = [Param::SupportedExtensions(ext), Param::ForwardTsnSupported];
        p.send_chunks(
            0,
            &[&Chunk::Init(InitChunk {
                initiate_tag: PEER_TAG,
                a_rwnd: 1 << 20,
                outbound_streams: 4,
                inbound_streams: 4,
                initial_tsn: Tsn(PEER_TSN),
                params: List::Items(&params),
            })],
        );
        let ack = p.raw_out().remove(0).1;
        let ack = InitChunk::parse(2, &ack).unwrap();
        p.tag = ack.initiate_tag;
        p.tsn = ack.initial_tsn.0;
        let cookie = ack
            .params()
            .flatten()
            .find_map(|x| match x {
                Param::StateCookie(c) => Some(c.to_vec()),
                _ => None,
            })
            .unwrap();
        p.send_chunks(
            p.tag,
            &[&Chunk::CookieEcho(CookieEchoChunk { cookie: &cookie })],
        );
        assert_eq!(p.raw_out()[0].0, 11, "COOKIE ACK");
        p.id = p.ep.associations()[0];
        while p.ep.poll_event().is_some() {}
        p
    }

    fn send_chunks(&mut self, vtag: u32, chunks: &[&dyn Emit]) {
        let mut buf = vec![0u8; 4096];
        let mut w = PacketWriter::new(&mut buf, 6000, 5000, VerificationTag(vtag)).unwrap();
        for c in chunks {
            w.push(*c).unwrap();
        }
        let n = w.finish(ChecksumMode::Compute);
        let from: SocketAddr = PEER.parse().unwrap();
        self.ep
            .handle_datagram(self.now, from, Bytes::copy_from_slice(&buf[..n]));
    }

    /// Every chunk the endpoint sends now: (type, value).
    fn raw_out(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut buf = vec![0u8; 65536];
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut buf) {
            let p = Packet::new_checked(&buf[..t.len], ChecksumPolicy::Required).unwrap();
            for c in p.chunks() {
                let c = c.unwrap();
                out.push((c.chunk_type, c.value.to_vec()));
            }
        }
        out
    }

    fn out(&mut self) -> Sent {
        let mut s = Sent::default();
        for (ty, v) in self.raw_out() {
            match ty {
                0 => {
                    let d = DataChunk::parse(3, &v).unwrap();
                    s.data.push((d.tsn.0, d.stream.0, d.ssn.0));
                }
                3 => s.sacks += 1,
                9 => s.errors.push(u16::from_be_bytes([v[0], v[1]])),
                RE_CONFIG => {
                    let c = ReConfigChunk::parse(0, &v).unwrap();
                    s.reconfigs
                        .push(c.params().map(|p| own(p.unwrap())).collect());
                }
                _ => {}
            }
        }
        s
    }

    fn reconfig(&mut self, params: &[Param<'_>]) -> Sent {
        let c = Chunk::ReConfig(ReConfigChunk {
            params: List::Items(params),
        });
        self.send_chunks(self.tag, &[&c]);
        self.out()
    }

    /// The peer answers our request `sn` with `result`.
    fn answer(&mut self, sn: u32, result: u32) -> Sent {
        self.reconfig(&[Param::ReconfigResponse {
            response_seq: sn,
            result,
            next_tsns: None,
        }])
    }

    /// The next request sequence number of the peer.
    fn sn(&mut self) -> u32 {
        self.next_sn += 1;
        self.next_sn - 1
    }

    fn data(&mut self, tsn: u32, stream: u16, ssn: u16, payload: &'static [u8]) {
        let d = Chunk::Data(DataChunk {
            tsn: Tsn(tsn),
            stream: StreamId(stream),
            ssn: Ssn(ssn),
            ppid: Ppid(0),
            unordered: false,
            beginning: true,
            ending: true,
            immediate_sack: false,
            payload,
        });
        self.send_chunks(self.tag, &[&d]);
    }

    fn sack(&mut self, cum: u32) {
        let s = Chunk::Sack(SackChunk {
            cum_tsn_ack: Tsn(cum),
            a_rwnd: 1 << 20,
            gap_blocks: List::Items(&[]),
            duplicate_tsns: List::Items(&[]),
        });
        self.send_chunks(self.tag, &[&s]);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.ep.poll_event().map(|e| e.1)).collect()
    }

    fn send(&mut self, stream: u16, data: &'static [u8]) -> Result<(), Error> {
        self.ep.send(
            self.now,
            self.id,
            StreamId(stream),
            Bytes::from_static(data),
            SendOptions::default(),
        )
    }

    /// Asks for one more outbound stream and checks that the request goes
    /// out at once numbered `sn` (nothing of ours was outstanding).
    fn expect_add_request(&mut self, sn: u32) {
        self.ep.add_streams(self.now, self.id, 1).unwrap();
        assert_eq!(self.out().reconfigs, vec![vec![R::AddOut { sn, n: 1 }]]);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.ep.handle_timeout(self.now);
    }
}

fn own(p: Param<'_>) -> R {
    match p {
        Param::ReconfigResponse {
            response_seq,
            result,
            next_tsns,
        } => R::Resp {
            sn: response_seq,
            result,
            next_tsns: next_tsns.map(|(a, b)| (a.0, b.0)),
        },
        Param::OutgoingSsnResetRequest {
            request_seq,
            response_seq,
            last_tsn,
            streams,
        } => R::OutReq {
            sn: request_seq,
            resp_sn: response_seq,
            last_tsn: last_tsn.0,
            streams: streams.iter().map(|s| s.unwrap().0).collect(),
        },
        Param::AddOutgoingStreams {
            request_seq,
            new_streams,
        } => R::AddOut {
            sn: request_seq,
            n: new_streams,
        },
        Param::SsnTsnResetRequest { request_seq } => R::TsnReq { sn: request_seq },
        Param::IncomingSsnResetRequest {
            request_seq,
            streams,
        } => R::InReq {
            sn: request_seq,
            streams: streams.iter().map(|s| s.unwrap().0).collect(),
        },
        Param::AddIncomingStreams {
            request_seq,
            new_streams,
        } => R::AddIn {
            sn: request_seq,
            n: new_streams,
        },
        other => R::Other(other.param_type()),
    }
}

fn resp(sn: u32, result: u32) -> R {
    R::Resp {
        sn,
        result,
        next_tsns: None,
    }
}

fn out_req(sn: u32, last_tsn: u32, streams: &'static [StreamId]) -> Param<'static> {
    Param::OutgoingSsnResetRequest {
        request_seq: sn,
        response_seq: 0,
        last_tsn: Tsn(last_tsn),
        streams: List::Items(streams),
    }
}

fn messages(events: &[Event]) -> Vec<(u16, &[u8])> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { stream, data, .. } => Some((stream.0, &data[..])),
            _ => None,
        })
        .collect()
}

fn reset_event(direction: StreamDirection, streams: &[u16], result: ReconfigResult) -> Event {
    Event::StreamsReset {
        direction,
        streams: streams.iter().map(|s| StreamId(*s)).collect(),
        result,
    }
}

fn incoming_reset(streams: &[u16]) -> Event {
    reset_event(StreamDirection::Incoming, streams, ReconfigResult::Success)
}

#[test]
fn outgoing_reset_request_restarts_the_incoming_stream_at_ssn_0() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(100, 1, 0, b"a");
    p.data(101, 1, 1, b"b");
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 101, &[StreamId(1)])]);
    // RFC 6525 §5.2.2 E3/E5; §5.2.1: a SACK goes with the answer.
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    assert!(out.sacks >= 1);
    p.data(102, 1, 0, b"c");
    let ev = p.events();
    assert_eq!(messages(&ev), vec![(1, &b"a"[..]), (1, b"b"), (1, b"c")]);
    // The event comes after the messages sent before the reset.
    let at = ev.iter().position(|e| *e == incoming_reset(&[1])).unwrap();
    assert!(matches!(ev[at + 1], Event::Message { .. }));
}

#[test]
fn reset_waits_for_the_last_tsn_in_progress_then_performs() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(100, 2, 0, b"a");
    // TSN 101 (SSN 1) is late; the request says it was sent.
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 101, &[StreamId(2)])]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, IN_PROGRESS)]]);
    // A message after the reset (SSN 0) arrives before the late one.
    p.data(102, 2, 0, b"c");
    let ev = p.events();
    assert_eq!(messages(&ev), vec![(2, &b"a"[..])]);
    p.data(101, 2, 1, b"b");
    let ev = p.events();
    assert_eq!(messages(&ev), vec![(2, &b"b"[..]), (2, b"c")]);
    assert_eq!(ev.iter().filter(|e| **e == incoming_reset(&[2])).count(), 1);
    // §5.2.1: the retransmitted request gets the final answer.
    let out = p.reconfig(&[out_req(sn, 101, &[StreamId(2)])]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    assert!(p.events().is_empty(), "not performed twice");
}

#[test]
fn duplicate_request_is_answered_again_but_not_performed_again() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(100, 0, 0, b"a");
    let sn = p.sn();
    assert_eq!(
        p.reconfig(&[out_req(sn, 100, &[])]).reconfigs,
        vec![vec![resp(sn, PERFORMED)]]
    );
    // An empty list resets every stream (§5.2.2 E3).
    assert_eq!(messages(&p.events()), vec![(0, &b"a"[..])]);
    p.data(101, 0, 0, b"b");
    // The response was lost: the peer retransmits the same request.
    assert_eq!(
        p.reconfig(&[out_req(sn, 100, &[])]).reconfigs,
        vec![vec![resp(sn, PERFORMED)]]
    );
    p.data(102, 0, 1, b"c");
    let ev = p.events();
    assert_eq!(messages(&ev), vec![(0, &b"b"[..]), (0, b"c")]);
    assert!(!ev.iter().any(|e| matches!(e, Event::StreamsReset { .. })));
}

#[test]
fn unexpected_sequence_numbers_are_answered_bad_sequence_number() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    let out = p.reconfig(&[out_req(PEER_TSN + 5, 99, &[StreamId(0)])]);
    assert_eq!(
        out.reconfigs,
        vec![vec![resp(PEER_TSN + 5, BAD_SEQUENCE_NUMBER)]]
    );
    assert!(p.events().is_empty());
    // The expected one is still accepted.
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 99, &[StreamId(0)])]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
}

#[test]
fn ssn_tsn_reset_is_denied_with_next_tsns() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    let sn = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    // RFC 6525 §5.1.7 D3/D4: the answer carries both next TSNs, here the
    // ones in force (nothing was reset).
    assert_eq!(out.reconfigs, tsn_answer(sn, DENIED, p.tsn, PEER_TSN));
    assert!(p.events().is_empty());
}

/// One RE-CONFIG chunk answering SSN/TSN Reset Request `sn` with `result`
/// and the Sender's and Receiver's Next TSNs.
fn tsn_answer(sn: u32, result: u32, sender: u32, receiver: u32) -> Vec<Vec<R>> {
    vec![vec![R::Resp {
        sn,
        result,
        next_tsns: Some((sender, receiver)),
    }]]
}

/// The AssociationReset events among `events`.
fn assoc_resets(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| matches!(e, Event::AssociationReset { .. }))
        .collect()
}

/// Without heartbeats: timeouts are the request's only.
fn no_heartbeat() -> AssociationConfig {
    AssociationConfig {
        heartbeat_interval: None,
        ..AssociationConfig::default()
    }
}

/// An endpoint that accepts SSN/TSN Reset Requests.
fn accepts_tsn_reset() -> AssociationConfig {
    AssociationConfig {
        reconfig_policy: ReconfigPolicy {
            accept_ssn_tsn_reset: true,
            ..ReconfigPolicy::default()
        },
        ..AssociationConfig::default()
    }
}

/// The Receiver's Next TSN of the one response in `reconfigs`.
fn receiver_next_of(reconfigs: &[Vec<R>]) -> u32 {
    match reconfigs {
        [c] => match c[..] {
            [R::Resp {
                next_tsns: Some((_, r)),
                ..
            }] => r,
            _ => panic!("not one response with next TSNs: {c:?}"),
        },
        _ => panic!("not one RE-CONFIG chunk: {reconfigs:?}"),
    }
}

/// Checks a performed SSN/TSN reset's next TSNs as usrsctp (the requester)
/// uses them: it takes `ours - 1` as its last acknowledged TSN and ignores
/// SACKs whose cumulative ack is not serially after it, so the peer's new
/// numbering `theirs` must start after `ours - 1` with room (at most 2^30
/// on); and `theirs` stays far (at least 2^29) from `unacked`, the peer's
/// TSN before the reset, so late DATA of before the reset is never taken
/// for new DATA (RFC 6525 §5.2.4 G1).
fn assert_usrsctp_can_use(ours: u32, theirs: u32, unacked: u32) {
    let last_acked = ours.wrapping_sub(1);
    let first_ack = theirs;
    let ahead = first_ack.wrapping_sub(last_acked);
    assert!(
        (1..=(1 << 30) + 1).contains(&ahead),
        "the ack of TSN {theirs:#x} is not after {last_acked:#x}"
    );
    let d = theirs.wrapping_sub(unacked);
    assert!(
        d.min(d.wrapping_neg()) >= 1 << 29,
        "{theirs:#x} near {unacked:#x}"
    );
}

#[test]
fn ssn_tsn_reset_waits_for_our_data_in_flight_then_resets_both_directions() {
    let mut p = Peer::new(accepts_tsn_reset(), true);
    // The peer's message SSN 0 on stream 1, and ours on stream 0 (in
    // flight, unacknowledged).
    p.data(PEER_TSN, 1, 0, b"p0");
    p.send(0, b"a").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 0, 0)]);
    assert_eq!(messages(&p.events()), vec![(1, &b"p0"[..])]);
    let sn = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    // RFC 6525 §5.2.7 H2 "In progress": our DATA is in flight.
    assert_eq!(
        out.reconfigs,
        tsn_answer(sn, IN_PROGRESS, p.tsn + 1, PEER_TSN + 1)
    );
    // Messages sent meanwhile wait.
    p.send(0, b"b").unwrap();
    p.send(2, b"c").unwrap();
    assert!(p.out().data.is_empty());
    assert!(p.events().is_empty());
    // Our DATA is acknowledged; the peer asks again: performed (§5.2.4).
    p.sack(p.tsn);
    assert!(p.out().data.is_empty(), "still held until the reset");
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    // G2: ours is the highest TSN we sent plus 1; G1: the peer's next TSN
    // one a requester like usrsctp can be acknowledged in.
    let ours = p.tsn.wrapping_add(1);
    let theirs = receiver_next_of(&out.reconfigs);
    assert_usrsctp_can_use(ours, theirs, PEER_TSN + 1);
    let performed = tsn_answer(sn, PERFORMED, ours, theirs);
    assert_eq!(out.reconfigs, performed);
    // G5: the held messages go from our new TSN, each stream from SSN 0.
    assert_eq!(out.data, vec![(ours, 0, 0), (ours.wrapping_add(1), 2, 0)]);
    assert_eq!(
        assoc_resets(p.events()),
        vec![Event::AssociationReset {
            local_tsn: Tsn(ours),
            remote_tsn: Tsn(theirs),
            result: ReconfigResult::Success,
        }]
    );
    // A retransmission gets the same answer (§5.2.1), nothing happens again.
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    assert_eq!(out.reconfigs, performed);
    assert!(p.events().is_empty());
    // A late DATA chunk of before the reset is not delivered; the peer's
    // new DATA from its new TSN is, its streams restarting at SSN 0.
    p.data(PEER_TSN, 1, 0, b"late");
    p.data(theirs, 1, 0, b"p1");
    assert_eq!(messages(&p.events()), vec![(1, &b"p1"[..])]);
    // The next request takes the next sequence number.
    let next = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: next }]);
    assert_eq!(out.reconfigs.len(), 1);
    assert!(matches!(out.reconfigs[0][0], R::Resp { sn, .. } if sn == next));
}

#[test]
fn ssn_tsn_reset_while_the_peers_data_is_missing_is_in_progress() {
    let mut p = Peer::new(accepts_tsn_reset(), true);
    // The peer's first DATA chunk is lost, its second arrives; then it
    // asks for the reset (as usrsctp does with DATA still outstanding).
    p.data(PEER_TSN + 1, 1, 1, b"p1");
    assert!(messages(&p.events()).is_empty());
    let sn = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    // §5.2.7 H2: not performed, or G4 would skip the missing message and
    // our acks would be in a numbering the peer's retransmission is not.
    assert_eq!(out.reconfigs, tsn_answer(sn, IN_PROGRESS, p.tsn, PEER_TSN));
    assert!(p.events().is_empty());
    // The retransmission arrives: nothing is lost.
    p.data(PEER_TSN, 1, 0, b"p0");
    assert_eq!(
        messages(&p.events()),
        vec![(1, &b"p0"[..]), (1, &b"p1"[..])]
    );
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    let theirs = receiver_next_of(&out.reconfigs);
    assert_usrsctp_can_use(p.tsn, theirs, PEER_TSN + 2);
    assert_eq!(out.reconfigs, tsn_answer(sn, PERFORMED, p.tsn, theirs));
    // usrsctp keeps its Advanced.Peer.Ack.Point of the old numbering and
    // sends it in FORWARD-TSNs after the reset: stale, ignored.
    let f = Chunk::ForwardTsn(ForwardTsnChunk {
        new_cum_tsn: Tsn(PEER_TSN + 1),
        streams: List::Items(&[]),
    });
    p.send_chunks(p.tag, &[&f]);
    assert!(p.raw_out().iter().all(|(t, _)| *t != 6), "no ABORT");
    p.data(theirs, 2, 0, b"n0");
    assert_eq!(messages(&p.events()), vec![(2, &b"n0"[..])]);
}

#[test]
fn ssn_tsn_reset_with_nothing_in_flight_is_performed_at_once() {
    let mut p = Peer::new(accepts_tsn_reset(), true);
    p.send(3, b"a").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 3, 0)]);
    p.sack(p.tsn);
    let sn = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    let ours = p.tsn.wrapping_add(1);
    let theirs = receiver_next_of(&out.reconfigs);
    assert_usrsctp_can_use(ours, theirs, PEER_TSN);
    assert_eq!(out.reconfigs, tsn_answer(sn, PERFORMED, ours, theirs));
    p.send(3, b"b").unwrap();
    assert_eq!(p.out().data, vec![(ours, 3, 0)]);
}

#[test]
fn ssn_tsn_reset_while_our_request_is_outstanding_is_already_in_progress() {
    let mut p = Peer::new(accepts_tsn_reset(), true);
    p.ep.add_streams(p.now, p.id, 1).unwrap();
    assert_eq!(p.out().reconfigs.len(), 1);
    let sn = p.sn();
    let out = p.reconfig(&[Param::SsnTsnResetRequest { request_seq: sn }]);
    assert!(matches!(
        out.reconfigs[..],
        [ref c] if matches!(c[..], [R::Resp { result: ALREADY_IN_PROGRESS, .. }])
    ));
}

#[test]
fn our_association_reset_waits_for_acks_then_applies_the_answer() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(PEER_TSN, 1, 0, b"p0");
    p.send(0, b"a").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 0, 0)]);
    p.events();
    p.ep.reset_association(p.now, p.id).unwrap();
    // One request at a time (§5.1.1).
    assert_eq!(
        p.ep.reset_association(p.now, p.id),
        Err(Error::ReconfigInProgress)
    );
    assert_eq!(
        p.ep.reset_streams(p.now, p.id, &[StreamId(0)]),
        Err(Error::ReconfigInProgress)
    );
    // §5.1.4 C2: new messages wait, and the request waits for our DATA to
    // be acknowledged.
    p.send(0, b"b").unwrap();
    let out = p.out();
    assert!(out.data.is_empty());
    assert!(out.reconfigs.is_empty());
    p.sack(p.tsn);
    let out = p.out();
    assert_eq!(out.reconfigs, vec![vec![R::TsnReq { sn: p.tsn }]]);
    assert!(out.data.is_empty());
    // "In progress" keeps it waiting.
    p.answer(p.tsn, IN_PROGRESS);
    assert!(p.out().data.is_empty());
    // §5.2.7 H5: our data from the peer's Receiver's Next TSN, SSN 0; the
    // peer's from its Sender's Next TSN.
    let out = p.reconfig(&[Param::ReconfigResponse {
        response_seq: p.tsn,
        result: PERFORMED,
        next_tsns: Some((Tsn(5000), Tsn(9000))),
    }]);
    assert_eq!(out.data, vec![(9000, 0, 0)]);
    assert_eq!(
        assoc_resets(p.events()),
        vec![Event::AssociationReset {
            local_tsn: Tsn(9000),
            remote_tsn: Tsn(5000),
            result: ReconfigResult::Success,
        }]
    );
    p.data(5000, 1, 0, b"p1");
    assert_eq!(messages(&p.events()), vec![(1, &b"p1"[..])]);
}

#[test]
fn denied_association_reset_sends_held_messages_with_the_old_numbering() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.reset_association(p.now, p.id).unwrap();
    p.send(2, b"a").unwrap();
    let out = p.out();
    assert_eq!(out.reconfigs, vec![vec![R::TsnReq { sn: p.tsn }]]);
    assert!(out.data.is_empty());
    let out = p.reconfig(&[Param::ReconfigResponse {
        response_seq: p.tsn,
        result: DENIED,
        next_tsns: Some((Tsn(5000), Tsn(9000))),
    }]);
    assert_eq!(out.data, vec![(p.tsn, 2, 0)]);
    assert_eq!(
        assoc_resets(p.events()),
        vec![Event::AssociationReset {
            local_tsn: Tsn(p.tsn),
            remote_tsn: Tsn(PEER_TSN),
            result: ReconfigResult::Denied,
        }]
    );
}

#[test]
fn a_performed_answer_without_next_tsns_resets_nothing() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.reset_association(p.now, p.id).unwrap();
    assert_eq!(p.out().reconfigs.len(), 1);
    p.send(2, b"a").unwrap();
    let out = p.answer(p.tsn, PERFORMED);
    assert_eq!(out.data, vec![(p.tsn, 2, 0)]);
    assert!(matches!(
        assoc_resets(p.events())[..],
        [Event::AssociationReset {
            result: ReconfigResult::Failed,
            ..
        }]
    ));
}

#[test]
fn a_request_timeout_counts_against_the_path_and_the_association() {
    let mut p = Peer::new(no_heartbeat(), true);
    p.ep.add_streams(p.now, p.id, 1).unwrap();
    assert_eq!(p.out().reconfigs.len(), 1);
    let errors = |p: &Peer| p.ep.stats(p.id).unwrap().paths[0].error_count;
    let rto = |p: &Peer| p.ep.stats(p.id).unwrap().paths[0].rto;
    let before = rto(&p);
    assert_eq!(errors(&p), 0);
    p.advance(Duration::from_secs(4));
    assert_eq!(p.out().reconfigs.len(), 1, "retransmitted");
    // RFC 6525 §5.1.1 / RFC 9260 §6.3.3 E1-E2: the path's error counter
    // grows and its RTO backs off.
    assert_eq!(errors(&p), 1);
    assert!(rto(&p) > before);
    // The answer clears it.
    p.answer(p.tsn, PERFORMED);
    assert_eq!(errors(&p), 0);
}

#[test]
fn policy_denies_resets_and_added_streams() {
    let mut p = Peer::new(
        AssociationConfig {
            reconfig_policy: ReconfigPolicy {
                accept_stream_reset: false,
                accept_add_streams: false,
                ..ReconfigPolicy::default()
            },
            ..AssociationConfig::default()
        },
        true,
    );
    let a = p.sn();
    let b = p.sn();
    let out = p.reconfig(&[
        out_req(a, 99, &[StreamId(0)]),
        Param::IncomingSsnResetRequest {
            request_seq: b,
            streams: List::Items(&[StreamId(0)]),
        },
    ]);
    assert_eq!(out.reconfigs, vec![vec![resp(a, DENIED), resp(b, DENIED)]]);
    let c = p.sn();
    let out = p.reconfig(&[Param::AddOutgoingStreams {
        request_seq: c,
        new_streams: 1,
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(c, DENIED)]]);
    assert!(p.events().is_empty());
}

#[test]
fn reset_of_a_stream_that_does_not_exist_is_denied() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 99, &[StreamId(0), StreamId(4)])]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, DENIED)]]);
}

#[test]
fn peer_adds_streams_within_max_inbound_streams() {
    let mut p = Peer::new(
        AssociationConfig {
            max_inbound_streams: 6,
            ..AssociationConfig::default()
        },
        true,
    );
    let sn = p.sn();
    let out = p.reconfig(&[Param::AddOutgoingStreams {
        request_seq: sn,
        new_streams: 3,
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, DENIED)]], "4 + 3 > 6");
    let sn = p.sn();
    let out = p.reconfig(&[Param::AddOutgoingStreams {
        request_seq: sn,
        new_streams: 2,
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    let ev = p.events();
    assert_eq!(
        ev,
        vec![Event::StreamsAdded {
            inbound_streams: 6,
            outbound_streams: 4,
            result: ReconfigResult::Success
        }]
    );
    // §5.2.5: the new stream starts at SSN 0.
    p.data(100, 5, 0, b"new");
    assert_eq!(messages(&p.events()), vec![(5, &b"new"[..])]);
    assert_eq!(p.ep.stats(p.id).unwrap().inbound_streams, 6);
}

#[test]
fn add_incoming_streams_is_answered_with_our_add_outgoing_request() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    let sn = p.sn();
    let out = p.reconfig(&[Param::AddIncomingStreams {
        request_seq: sn,
        new_streams: 2,
    }]);
    // §5.2.6: an Add Outgoing Streams Request, numbered from our initial
    // TSN (§4.1), is the answer.
    assert_eq!(out.reconfigs, vec![vec![R::AddOut { sn: p.tsn, n: 2 }]]);
    assert_eq!(
        p.send(4, b"x"),
        Err(Error::InvalidStream {
            stream: StreamId(4),
            streams: 4
        })
    );
    let out = p.answer(p.tsn, PERFORMED);
    assert!(out.reconfigs.is_empty(), "a response is not answered");
    assert_eq!(
        p.events(),
        vec![Event::StreamsAdded {
            inbound_streams: 4,
            outbound_streams: 6,
            result: ReconfigResult::Success
        }]
    );
    p.send(5, b"x").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 5, 0)]);
}

#[test]
fn incoming_reset_request_makes_us_reset_our_outgoing_streams() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.send(3, b"a").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 3, 0)]);
    p.sack(p.tsn);
    let sn = p.sn();
    let out = p.reconfig(&[Param::IncomingSsnResetRequest {
        request_seq: sn,
        streams: List::Items(&[StreamId(3)]),
    }]);
    // §5.2.3 F1 / §5.1.2 A3, A4: our request names the peer's and our last
    // TSN.
    assert_eq!(
        out.reconfigs,
        vec![vec![R::OutReq {
            sn: p.tsn,
            resp_sn: sn,
            last_tsn: p.tsn,
            streams: vec![3]
        }]]
    );
    // New messages wait for the answer.
    p.send(3, b"b").unwrap();
    assert!(p.out().data.is_empty());
    let out = p.answer(p.tsn, PERFORMED);
    let ev = p.events();
    let done = reset_event(StreamDirection::Outgoing, &[3], ReconfigResult::Success);
    assert!(ev.contains(&done));
    assert_eq!(out.data, vec![(p.tsn + 1, 3, 0)]);
}

#[test]
fn our_reset_sends_queued_messages_first_then_holds_new_ones() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.send(1, b"a").unwrap();
    p.send(1, b"b").unwrap();
    p.ep.reset_streams(p.now, p.id, &[StreamId(1)]).unwrap();
    p.send(1, b"c").unwrap();
    let out = p.out();
    // What was queued before the reset goes first, with the old numbering.
    assert_eq!(out.data, vec![(p.tsn, 1, 0), (p.tsn + 1, 1, 1)]);
    let request = vec![vec![R::OutReq {
        sn: p.tsn,
        resp_sn: PEER_TSN - 1,
        last_tsn: p.tsn + 1,
        streams: vec![1],
    }]];
    assert_eq!(out.reconfigs, request);
    // One request at a time (§5.1.1).
    assert_eq!(
        p.ep.reset_streams(p.now, p.id, &[StreamId(2)]),
        Err(Error::ReconfigInProgress)
    );
    assert_eq!(
        p.ep.add_streams(p.now, p.id, 1),
        Err(Error::ReconfigInProgress)
    );
    p.sack(p.tsn + 1);
    // The response is lost: the request is sent again, the same.
    p.advance(Duration::from_secs(4));
    let out = p.out();
    assert_eq!(out.reconfigs, request);
    assert!(out.data.is_empty(), "c is held");
    // "In progress" keeps it waiting; then success.
    p.answer(p.tsn, IN_PROGRESS);
    assert!(p.out().data.is_empty());
    let out = p.answer(p.tsn, PERFORMED);
    // The held message goes now, numbered from 0 (RFC 6525 §5.2.7 H4).
    assert_eq!(out.data, vec![(p.tsn + 2, 1, 0)]);
    // The next request takes the next sequence number.
    p.expect_add_request(p.tsn + 1);
}

#[test]
fn denied_reset_sends_held_messages_with_the_old_numbering() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.send(0, b"a").unwrap();
    p.ep.reset_streams(p.now, p.id, &[StreamId(0)]).unwrap();
    p.send(0, b"b").unwrap();
    assert_eq!(p.out().data, vec![(p.tsn, 0, 0)]);
    // Acknowledged, so Nagle does not hold the next small message.
    p.sack(p.tsn);
    let out = p.answer(p.tsn, DENIED);
    let denied = reset_event(StreamDirection::Outgoing, &[0], ReconfigResult::Denied);
    assert!(p.events().contains(&denied));
    assert_eq!(out.data, vec![(p.tsn + 1, 0, 1)]);
}

#[test]
fn unanswered_request_fails_the_association_after_max_retrans() {
    let mut p = Peer::new(
        AssociationConfig {
            max_association_retransmits: 2,
            heartbeat_interval: None,
            ..AssociationConfig::default()
        },
        true,
    );
    p.ep.add_streams(p.now, p.id, 1).unwrap();
    let mut requests = p.out().reconfigs.len();
    for _ in 0..8 {
        p.advance(Duration::from_secs(60));
        requests += p.out().reconfigs.len();
    }
    assert_eq!(requests, 3, "the request and 2 retransmissions");
    assert!(p.events().contains(&Event::Closed(CloseReason::Timeout)));
}

#[test]
fn api_errors_say_what_to_change() {
    let mut p = Peer::new(AssociationConfig::default(), false);
    assert!(matches!(
        p.ep.reset_streams(p.now, p.id, &[StreamId(0)]),
        Err(Error::ReconfigUnavailable(_))
    ));
    assert!(matches!(
        p.ep.add_streams(p.now, p.id, 1),
        Err(Error::ReconfigUnavailable(_))
    ));
    let mut p = Peer::new(AssociationConfig::default(), true);
    assert_eq!(
        p.ep.reset_streams(p.now, p.id, &[StreamId(4)]),
        Err(Error::InvalidStream {
            stream: StreamId(4),
            streams: 4
        })
    );
    assert!(matches!(
        p.ep.reset_streams(p.now, p.id, &[]),
        Err(Error::InvalidReconfig(_))
    ));
    assert!(matches!(
        p.ep.add_streams(p.now, p.id, 0),
        Err(Error::InvalidReconfig(_))
    ));
    assert!(matches!(
        p.ep.add_streams(p.now, p.id, 65535),
        Err(Error::InvalidReconfig(_))
    ));
}

#[test]
fn incoming_request_while_ours_is_outstanding() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.reset_streams(p.now, p.id, &[StreamId(1), StreamId(2)])
        .unwrap();
    assert_eq!(p.out().reconfigs.len(), 1);
    // §5.2.3: covered by our own reset → "nothing to do".
    let sn = p.sn();
    let out = p.reconfig(&[Param::IncomingSsnResetRequest {
        request_seq: sn,
        streams: List::Items(&[StreamId(2)]),
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, 0)]]);
    let sn = p.sn();
    let out = p.reconfig(&[Param::IncomingSsnResetRequest {
        request_seq: sn,
        streams: List::Items(&[StreamId(3)]),
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, ALREADY_IN_PROGRESS)]]);
}

/// Malformed RE-CONFIG chunks: an ERROR with a Protocol Violation cause
/// (13), no panic, and the association goes on.
#[test]
fn malformed_reconfig_chunks_get_a_protocol_violation_error() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    let tlv = |ty: u16, v: &[u8]| {
        let mut b = ty.to_be_bytes().to_vec();
        b.extend_from_slice(&((4 + v.len()) as u16).to_be_bytes());
        b.extend_from_slice(v);
        while b.len() % 4 != 0 {
            b.push(0);
        }
        b
    };
    let sn = PEER_TSN.to_be_bytes();
    let mut odd = sn.to_vec();
    odd.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 99, 0, 1, 0]);
    let three = [tlv(16, &[0; 8]), tlv(16, &[0; 8]), tlv(16, &[0; 8])].concat();
    let cases: Vec<Vec<u8>> = vec![
        vec![],                                // no parameter
        tlv(13, &sn),                          // Outgoing SSN Reset Request too short
        tlv(14, &[0, 0, 0, 100, 0]),           // odd stream list
        odd.clone(),                           // not a TLV at all
        tlv(13, &odd),                         // odd stream list after the fields
        tlv(0x7777, &[1, 2, 3, 4]),            // unknown parameter type
        tlv(1, &[1, 2, 3, 4]),                 // a parameter of another chunk
        three,                                 // three parameters
        [tlv(15, &sn), tlv(15, &sn)].concat(), // two SSN/TSN requests
        tlv(16, &[0; 10]),                     // response of a wrong length
        vec![0, 13, 0, 200, 0, 0, 0, 0],       // length beyond the chunk
    ];
    for (i, value) in cases.into_iter().enumerate() {
        p.send_chunks(p.tag, &[&RawChunk(RE_CONFIG, value)]);
        let out = p.out();
        assert_eq!(out.errors, vec![13], "case {i}");
        assert!(out.reconfigs.is_empty(), "case {i}");
    }
    // Nothing was processed: the first request number is still expected.
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 99, &[StreamId(0)])]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    assert!(p.ep.stats(p.id).is_some());
}

#[test]
fn reconfig_is_an_unknown_chunk_when_not_offered() {
    let mut p = Peer::new(
        AssociationConfig {
            reconfig: false,
            ..AssociationConfig::default()
        },
        true,
    );
    let sn = p.sn();
    let out = p.reconfig(&[out_req(sn, 99, &[StreamId(0)])]);
    // RFC 9260 §3.2: type 130 (upper bits 10): skipped, not reported.
    assert!(out.errors.is_empty());
    assert!(out.reconfigs.is_empty());
    assert!(p.events().is_empty());
    assert!(p.ep.stats(p.id).is_some());
}

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    /// One parameter TLV: a RE-CONFIG type (or any type), a request number
    /// near the expected one, and arbitrary bytes after it.
    fn param() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![4 => 13u16..=18, 1 => any::<u16>()],
            0u32..4,
            proptest::collection::vec(any::<u8>(), 0..24),
            any::<bool>(),
        )
            .prop_map(|(ty, sn, rest, lie)| {
                let mut v = (PEER_TSN + sn).to_be_bytes().to_vec();
                v.extend_from_slice(&rest);
                // Sometimes a length field that does not match the bytes.
                let len = if lie {
                    4 + rest.len() as u16
                } else {
                    4 + v.len() as u16
                };
                let mut b = ty.to_be_bytes().to_vec();
                b.extend_from_slice(&len.to_be_bytes());
                b.extend_from_slice(&v);
                while b.len() % 4 != 0 {
                    b.push(0);
                }
                b
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any answer to our SSN/TSN Reset Request, after any DATA of the
        /// peer: no panic; the message held meanwhile goes out from the
        /// peer's Receiver's Next TSN on success, else with the old TSN;
        /// the event says which.
        #[test]
        fn any_answer_to_our_association_reset(
            result in prop_oneof![Just(0u32), Just(1), Just(2), 0u32..8],
            next_tsns in proptest::option::of((any::<u32>(), any::<u32>())),
            data in proptest::collection::vec((0u32..6, 0u16..4, 0u16..3), 0..5),
        ) {
            let mut p = Peer::new(AssociationConfig::default(), true);
            p.ep.reset_association(p.now, p.id).unwrap();
            p.send(0, b"held").unwrap();
            prop_assert_eq!(p.out().reconfigs, vec![vec![R::TsnReq { sn: p.tsn }]]);
            for (tsn, stream, ssn) in data {
                p.data(PEER_TSN + tsn, stream, ssn, b"x");
            }
            let out = p.reconfig(&[Param::ReconfigResponse {
                response_seq: p.tsn,
                result,
                next_tsns: next_tsns.map(|(a, b)| (Tsn(a), Tsn(b))),
            }]);
            if result == IN_PROGRESS {
                prop_assert!(out.data.is_empty());
                return Ok(());
            }
            let performed = matches!(result, 0 | 1) && next_tsns.is_some();
            let want_tsn = match next_tsns {
                Some((_, ours)) if performed => ours,
                _ => p.tsn,
            };
            prop_assert_eq!(out.data, vec![(want_tsn, 0, 0)]);
            let resets = assoc_resets(p.events());
            prop_assert_eq!(resets.len(), 1);
            let Event::AssociationReset { local_tsn, result: r, .. } = &resets[0] else {
                unreachable!()
            };
            prop_assert_eq!(local_tsn.0, want_tsn);
            prop_assert_eq!(*r == ReconfigResult::Success, performed);
            prop_assert_eq!(
                p.ep.stats(p.id).map(|s| s.state),
                Some(anysctp::AssociationState::Established)
            );
        }

        /// Any RE-CONFIG chunks: no panic, the association stays up, and
        /// every RE-CONFIG it sends back parses.
        #[test]
        fn arbitrary_reconfig_chunks_are_answered_without_harm(
            chunks in proptest::collection::vec(
                proptest::collection::vec(param(), 0..4), 1..6),
            tsn_reset in any::<bool>(),
            ours in any::<bool>(),
        ) {
            let cfg = if tsn_reset { accepts_tsn_reset() } else { AssociationConfig::default() };
            let mut p = Peer::new(cfg, true);
            if ours {
                // Our own SSN/TSN Reset Request is outstanding meanwhile.
                p.send(0, b"x").unwrap();
                p.ep.reset_association(p.now, p.id).unwrap();
            }
            for params in chunks {
                p.send_chunks(p.tag, &[&RawChunk(RE_CONFIG, params.concat())]);
                let out = p.out();
                prop_assert!(out.reconfigs.iter().flatten().all(|r| !matches!(r, R::Other(_))));
                prop_assert_eq!(
                    p.ep.stats(p.id).map(|s| s.state),
                    Some(anysctp::AssociationState::Established)
                );
            }
        }
    }
}

#[test]
fn our_incoming_reset_is_answered_by_the_peers_outgoing_request() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(PEER_TSN, 1, 0, b"p0");
    p.ep.reset_streams_with(p.now, p.id, &[StreamId(1)], ResetDirection::Incoming)
        .unwrap();
    // RFC 6525 §5.1.3: sent at once, alone.
    let out = p.out();
    assert_eq!(
        out.reconfigs,
        vec![vec![R::InReq {
            sn: p.tsn,
            streams: vec![1]
        }]]
    );
    assert_eq!(
        p.ep.add_streams(p.now, p.id, 1),
        Err(Error::ReconfigInProgress)
    );
    // §5.2.3 / §5.1.2 A4: the peer answers with its own Outgoing SSN Reset
    // Request carrying our sequence number.
    let sn = p.sn();
    let out = p.reconfig(&[Param::OutgoingSsnResetRequest {
        request_seq: sn,
        response_seq: p.tsn,
        last_tsn: Tsn(PEER_TSN),
        streams: List::Items(&[StreamId(1)]),
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    let ev = p.events();
    assert_eq!(messages(&ev), vec![(1, &b"p0"[..])]);
    assert!(ev.contains(&incoming_reset(&[1])));
    // Answered: the next request may go, with the next sequence number.
    p.expect_add_request(p.tsn + 1);
}

#[test]
fn our_incoming_reset_denied_is_reported() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    // An empty list asks for all the peer's streams (§5.1.3 B2).
    p.ep.reset_streams_with(p.now, p.id, &[], ResetDirection::Incoming)
        .unwrap();
    let out = p.out();
    assert_eq!(
        out.reconfigs,
        vec![vec![R::InReq {
            sn: p.tsn,
            streams: vec![]
        }]]
    );
    p.answer(p.tsn, DENIED);
    assert_eq!(
        p.events(),
        vec![reset_event(
            StreamDirection::Incoming,
            &[],
            ReconfigResult::Denied
        )]
    );
    assert!(matches!(
        p.ep.reset_streams_with(p.now, p.id, &[StreamId(4)], ResetDirection::Incoming),
        Err(Error::InvalidStream { .. })
    ));
    assert!(matches!(
        p.ep.reset_streams_with(p.now, p.id, &[], ResetDirection::Both),
        Err(Error::InvalidReconfig(_))
    ));
}

#[test]
fn both_directions_go_in_one_chunk_and_both_must_be_answered() {
    let mut p = Peer::new(no_heartbeat(), true);
    p.send(2, b"a").unwrap();
    p.ep.reset_streams_with(p.now, p.id, &[StreamId(2)], ResetDirection::Both)
        .unwrap();
    p.send(2, b"b").unwrap();
    let out = p.out();
    assert_eq!(out.data, vec![(p.tsn, 2, 0)]);
    // §3.1, §5.1.3 B3: Outgoing and Incoming SSN Reset in one chunk.
    let both = vec![vec![
        R::OutReq {
            sn: p.tsn,
            resp_sn: PEER_TSN - 1,
            last_tsn: p.tsn,
            streams: vec![2],
        },
        R::InReq {
            sn: p.tsn + 1,
            streams: vec![2],
        },
    ]];
    assert_eq!(out.reconfigs, both);
    p.sack(p.tsn);
    // Our outgoing reset is performed; the held message goes from SSN 0.
    let out = p.answer(p.tsn, PERFORMED);
    assert_eq!(out.data, vec![(p.tsn + 1, 2, 0)]);
    let done = reset_event(StreamDirection::Outgoing, &[2], ReconfigResult::Success);
    assert!(p.events().contains(&done));
    // The incoming one is still unanswered (§5.2.7 H1): the chunk is
    // retransmitted, and no new request may start.
    assert_eq!(
        p.ep.add_streams(p.now, p.id, 1),
        Err(Error::ReconfigInProgress)
    );
    p.advance(Duration::from_secs(4));
    assert_eq!(p.out().reconfigs, both);
    // The peer's own reset answers it.
    let sn = p.sn();
    p.reconfig(&[Param::OutgoingSsnResetRequest {
        request_seq: sn,
        response_seq: p.tsn + 1,
        last_tsn: Tsn(PEER_TSN - 1),
        streams: List::Items(&[StreamId(2)]),
    }]);
    assert!(p.events().contains(&incoming_reset(&[2])));
    p.ep.add_streams(p.now, p.id, 1).unwrap();
}

#[test]
fn add_streams_both_ways_in_one_chunk() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.add_streams_with(p.now, p.id, 2, 1).unwrap();
    // §3.1: Add Outgoing and Add Incoming Streams in one chunk.
    assert_eq!(
        p.out().reconfigs,
        vec![vec![
            R::AddOut { sn: p.tsn, n: 1 },
            R::AddIn {
                sn: p.tsn + 1,
                n: 2
            }
        ]]
    );
    // The peer performs ours and adds its outgoing streams with its own
    // request (§5.2.6).
    // (§3.1: a response and an Add Outgoing Streams Request do not share a
    // chunk.)
    p.answer(p.tsn, PERFORMED);
    let sn = p.sn();
    let out = p.reconfig(&[Param::AddOutgoingStreams {
        request_seq: sn,
        new_streams: 2,
    }]);
    assert_eq!(out.reconfigs, vec![vec![resp(sn, PERFORMED)]]);
    let added: Vec<(u16, u16, ReconfigResult)> = p
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::StreamsAdded {
                inbound_streams,
                outbound_streams,
                result,
            } => Some((inbound_streams, outbound_streams, result)),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec![
            (4, 5, ReconfigResult::Success),
            (6, 5, ReconfigResult::Success)
        ]
    );
    // Both answered.
    p.ep.add_streams(p.now, p.id, 1).unwrap();
}

#[test]
fn add_incoming_streams_denied_is_reported_and_limits_are_checked() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.add_streams_with(p.now, p.id, 3, 0).unwrap();
    assert_eq!(p.out().reconfigs, vec![vec![R::AddIn { sn: p.tsn, n: 3 }]]);
    p.answer(p.tsn, DENIED);
    assert_eq!(
        p.events(),
        vec![Event::StreamsAdded {
            inbound_streams: 4,
            outbound_streams: 4,
            result: ReconfigResult::Denied
        }]
    );
    assert!(matches!(
        p.ep.add_streams_with(p.now, p.id, 0, 0),
        Err(Error::InvalidReconfig(_))
    ));
    assert!(matches!(
        p.ep.add_streams_with(p.now, p.id, 65535, 0),
        Err(Error::InvalidReconfig(_))
    ));
}

#[test]
fn peer_data_racing_its_answer_is_held_and_split_at_its_next_tsn() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.data(PEER_TSN, 1, 0, b"p0");
    p.ep.reset_association(p.now, p.id).unwrap();
    assert_eq!(p.out().reconfigs, vec![vec![R::TsnReq { sn: p.tsn }]]);
    assert_eq!(messages(&p.events()), vec![(1, &b"p0"[..])]);
    // Before its answer: one message sent before the peer performed the
    // reset (SSN 1) and one after (TSN 102, SSN 0). Both are
    // acknowledged, neither delivered yet: which numbering they follow is
    // known only from the answer (RFC 6525 §5.2.7 H5).
    p.data(PEER_TSN + 1, 1, 1, b"old");
    p.data(PEER_TSN + 2, 1, 0, b"new");
    assert!(messages(&p.events()).is_empty());
    p.reconfig(&[Param::ReconfigResponse {
        response_seq: p.tsn,
        result: PERFORMED,
        next_tsns: Some((Tsn(PEER_TSN + 2), Tsn(9000))),
    }]);
    assert_eq!(
        messages(&p.events()),
        vec![(1, &b"old"[..]), (1, &b"new"[..])]
    );
    // And the numbering goes on from there.
    p.data(PEER_TSN + 3, 1, 1, b"next");
    assert_eq!(messages(&p.events()), vec![(1, &b"next"[..])]);
}

#[test]
fn peer_data_held_during_a_refused_association_reset_is_delivered() {
    let mut p = Peer::new(AssociationConfig::default(), true);
    p.ep.reset_association(p.now, p.id).unwrap();
    assert_eq!(p.out().reconfigs.len(), 1);
    p.data(PEER_TSN, 2, 0, b"held");
    assert!(messages(&p.events()).is_empty());
    p.answer(p.tsn, DENIED);
    assert_eq!(messages(&p.events()), vec![(2, &b"held"[..])]);
}
