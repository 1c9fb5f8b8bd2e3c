//! One endpoint against a hand-scripted peer that writes raw packets: checks
//! answers the RFC pins down to the verification tag and the chunk types
//! (the cases the ETSI TS 102 369 conformance scripts found).

use std::net::SocketAddr;
use std::time::Duration;

use anysctp::wire::{
    ChecksumMode, ChecksumPolicy, Chunk, CookieEchoChunk, DataChunk, ForwardTsnChunk,
    ForwardTsnStream, InitChunk, List, Packet, PacketWriter, Param, ShutdownChunk,
};
use anysctp::{
    AssociationConfig, Endpoint, EndpointConfig, Instant, Ppid, SendOptions, Ssn, StreamId, Tsn,
    VerificationTag,
};
use bytes::Bytes;

const PEER: &str = "10.0.0.2:6000";
/// The peer's Initiate Tag.
const PEER_TAG: u32 = 0x0102_0304;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A packet the endpoint sent: verification tag and (type, flags, value).
#[derive(Debug)]
struct Out {
    vtag: u32,
    chunks: Vec<(u8, u8, Vec<u8>)>,
}

impl Out {
    fn types(&self) -> Vec<u8> {
        self.chunks.iter().map(|c| c.0).collect()
    }
}

struct Peer {
    ep: Endpoint,
    now: Instant,
    /// Our (the endpoint's) tag, learned from its INIT ACK.
    local_tag: u32,
    cookie: Vec<u8>,
    local_tsn: u32,
}

impl Peer {
    fn listening(cfg: AssociationConfig) -> Self {
        let ep = Endpoint::new(
            EndpointConfig {
                port: 5000,
                accept_incoming: true,
                association: cfg,
                ..EndpointConfig::default()
            },
            [7; 32],
        )
        .unwrap();
        Peer {
            ep,
            now: Instant::from_millis(1000),
            local_tag: 0,
            cookie: Vec::new(),
            local_tsn: 0,
        }
    }

    fn send(&mut self, vtag: u32, chunks: &[Chunk<'_>]) {
        let mut buf = vec![0u8; 2048];
        let mut w = PacketWriter::new(&mut buf, 6000, 5000, VerificationTag(vtag)).unwrap();
        for c in chunks {
            w.push(c).unwrap();
        }
        let n = w.finish(ChecksumMode::Compute);
        self.ep
            .handle_datagram(self.now, addr(PEER), Bytes::copy_from_slice(&buf[..n]));
    }

    fn sent(&mut self) -> Vec<Out> {
        let mut buf = vec![0u8; 65536];
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut buf) {
            assert_eq!(t.destination, addr(PEER));
            let p = Packet::new_checked(&buf[..t.len], ChecksumPolicy::Required).unwrap();
            let chunks = p
                .chunks()
                .map(|c| {
                    let c = c.unwrap();
                    (c.chunk_type, c.flags, c.value.to_vec())
                })
                .collect();
            out.push(Out {
                vtag: p.verification_tag().0,
                chunks,
            });
        }
        out
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.ep.handle_timeout(self.now);
    }

    /// Sends INIT and learns the endpoint's tag, TSN and cookie.
    fn init(&mut self) {
        let init = Chunk::Init(InitChunk {
            initiate_tag: PEER_TAG,
            a_rwnd: 65536,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: Tsn(100),
            params: List::Items(&[]),
        });
        self.send(0, &[init]);
        let out = self.sent();
        assert_eq!(out.len(), 1, "{out:?}");
        let (ty, _, v) = &out[0].chunks[0];
        assert_eq!(*ty, 2, "INIT ACK");
        let ack = InitChunk::parse(2, v).unwrap();
        self.local_tag = ack.initiate_tag;
        self.local_tsn = ack.initial_tsn.0;
        self.cookie = ack
            .params()
            .flatten()
            .find_map(|p| match p {
                Param::StateCookie(c) => Some(c.to_vec()),
                _ => None,
            })
            .expect("State Cookie");
    }

    fn cookie_echo(&mut self) -> Vec<Out> {
        let cookie = self.cookie.clone();
        self.send(
            self.local_tag,
            &[Chunk::CookieEcho(CookieEchoChunk { cookie: &cookie })],
        );
        self.sent()
    }

    fn established(cfg: AssociationConfig) -> Self {
        let mut p = Peer::listening(cfg);
        p.init();
        let out = p.cookie_echo();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].types(), vec![11], "COOKIE ACK");
        p
    }
}

fn data(tsn: u32, payload: &[u8]) -> Chunk<'_> {
    Chunk::Data(DataChunk {
        tsn: Tsn(tsn),
        stream: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid(0),
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload,
    })
}

#[test]
fn stale_cookie_error_carries_the_peers_tag() {
    // RFC 9260 §5.1.5 step 4: the ERROR goes to the peer, which is in
    // COOKIE-ECHOED and accepts only its own tag (§8.5).
    let mut p = Peer::listening(AssociationConfig {
        cookie_lifetime: Duration::from_secs(10),
        ..AssociationConfig::default()
    });
    p.init();
    p.advance(Duration::from_secs(11));
    let out = p.cookie_echo();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].types(), vec![9], "ERROR");
    assert_eq!(out[0].vtag, PEER_TAG);
    // Stale Cookie cause (3).
    assert_eq!(&out[0].chunks[0].2[..2], &[0, 3]);
}

#[test]
fn data_after_the_peers_shutdown_is_discarded_without_a_sack() {
    // RFC 9260 §6: DATA is received only in ESTABLISHED, SHUTDOWN-PENDING
    // and SHUTDOWN-SENT; in SHUTDOWN-RECEIVED it is discarded.
    let mut p = Peer::established(AssociationConfig::default());
    let id = p.ep.associations()[0];
    p.ep.send(
        p.now,
        id,
        StreamId(0),
        Bytes::from_static(b"hello"),
        SendOptions::default(),
    )
    .unwrap();
    let out = p.sent();
    assert_eq!(out[0].types(), vec![0], "DATA");
    // SHUTDOWN acknowledging nothing of ours: SHUTDOWN-RECEIVED.
    let nothing = p.local_tsn.wrapping_sub(1);
    p.send(
        p.local_tag,
        &[Chunk::Shutdown(ShutdownChunk {
            cum_tsn_ack: Tsn(nothing),
        })],
    );
    assert!(p.sent().is_empty());
    p.send(p.local_tag, &[data(100, b"late")]);
    p.advance(Duration::from_millis(250));
    let out = p.sent();
    assert!(
        out.iter().all(|o| !o.types().contains(&3)),
        "no SACK for discarded DATA: {out:?}"
    );
}

/// The OS of the INIT ACK an endpoint configured with `os` outbound
/// streams sends for an INIT announcing `mis` inbound streams.
fn init_ack_os(os: u16, mis: u16) -> u16 {
    let mut p = Peer::listening(AssociationConfig {
        outbound_streams: os,
        ..AssociationConfig::default()
    });
    p.send(
        0,
        &[Chunk::Init(InitChunk {
            initiate_tag: PEER_TAG,
            a_rwnd: 65536,
            outbound_streams: 100,
            inbound_streams: mis,
            initial_tsn: Tsn(1),
            params: List::Items(&[]),
        })],
    );
    let out = p.sent();
    assert_eq!(out[0].types(), vec![2], "INIT ACK");
    InitChunk::parse(2, &out[0].chunks[0].2)
        .unwrap()
        .outbound_streams
}

#[test]
fn init_ack_announces_no_more_outbound_streams_than_the_init_accepts() {
    // RFC 9260 §3.3.3: the INIT ACK's OS MUST NOT exceed the INIT's MIS.
    assert_eq!(init_ack_os(10, 3), 3);
    assert_eq!(init_ack_os(10, 50), 10);
}

#[test]
fn shutdown_ack_in_cookie_wait_is_answered_with_a_reflected_shutdown_complete() {
    // RFC 9260 §9.2: the sender of the INIT answers a SHUTDOWN ACK with a
    // SHUTDOWN COMPLETE (T bit) under the tag received, and keeps waiting.
    let mut p = Peer::listening(AssociationConfig::default());
    let id =
        p.ep.connect(p.now, addr(PEER), 6000, AssociationConfig::default())
            .unwrap();
    let out = p.sent();
    assert_eq!(out[0].types(), vec![1], "INIT");
    let our_tag = InitChunk::parse(1, &out[0].chunks[0].2)
        .unwrap()
        .initiate_tag;
    p.send(our_tag, &[Chunk::ShutdownAck]);
    let out = p.sent();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].types(), vec![14], "SHUTDOWN COMPLETE");
    assert_eq!(out[0].chunks[0].1 & 1, 1, "T bit");
    assert_eq!(out[0].vtag, our_tag);
    assert!(p.ep.state(id).is_some(), "still connecting");
}

#[test]
fn init_with_tag_zero_or_too_short_is_silently_discarded() {
    // RFC 9260 §3.3.2: Initiate Tag 0 → silently discard.
    let mut p = Peer::listening(AssociationConfig::default());
    p.send(
        0,
        &[Chunk::Init(InitChunk {
            initiate_tag: 0,
            a_rwnd: 65536,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: Tsn(1),
            params: List::Items(&[]),
        })],
    );
    assert!(p.sent().is_empty());
    // An INIT chunk of 8 bytes: no Initiate Tag to answer to.
    let mut buf = vec![0u8; 20];
    buf[0..2].copy_from_slice(&6000u16.to_be_bytes());
    buf[2..4].copy_from_slice(&5000u16.to_be_bytes());
    buf[12..20].copy_from_slice(&[1, 0, 0, 8, 1, 2, 3, 4]);
    let crc = anysctp::wire::checksum(&buf);
    buf[8..12].copy_from_slice(&crc.to_le_bytes());
    p.ep.handle_datagram(p.now, addr(PEER), Bytes::from(buf));
    assert!(p.sent().is_empty());
    // A valid INIT afterwards is answered.
    p.init();
}

#[test]
fn association_failing_after_max_retrans_sends_an_abort() {
    // RFC 9260 §8.1: after Association.Max.Retrans the peer is unreachable
    // and the association closes; an ABORT tells a peer that still hears us.
    let mut p = Peer::established(AssociationConfig::default());
    let id = p.ep.associations()[0];
    p.ep.send(
        p.now,
        id,
        StreamId(0),
        Bytes::from_static(b"lost"),
        SendOptions::default(),
    )
    .unwrap();
    let mut all = p.sent();
    let mut rounds = 0;
    while p.ep.state(id).is_some() {
        rounds += 1;
        assert!(rounds < 1000, "the association never gave up");
        let t = p.ep.poll_timeout().expect("a timer runs");
        p.now = t;
        p.ep.handle_timeout(t);
        all.extend(p.sent());
    }
    let last = all.last().unwrap();
    assert_eq!(last.types(), vec![6], "ABORT last: {all:?}");
    assert_eq!(last.vtag, PEER_TAG);
    assert_eq!(last.chunks[0].1 & 1, 0, "T bit clear");
}

/// The parameters of the INIT ACK answering an INIT that lists `params`.
fn init_ack_params(params: &[Param<'_>]) -> Vec<(u16, Vec<u8>)> {
    let mut p = Peer::listening(AssociationConfig::default());
    p.send(
        0,
        &[Chunk::Init(InitChunk {
            initiate_tag: PEER_TAG,
            a_rwnd: 65536,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: Tsn(1),
            params: List::Items(params),
        })],
    );
    let out = p.sent();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].types(), vec![2], "INIT ACK, not ABORT");
    InitChunk::parse(2, &out[0].chunks[0].2)
        .unwrap()
        .params()
        .map(|p| {
            let p = p.unwrap();
            let mut bytes = vec![0u8; (p.encoded_len() + 3) & !3];
            p.emit(&mut bytes);
            (p.param_type(), bytes[4..p.encoded_len()].to_vec())
        })
        .collect()
}

/// An unknown INIT parameter of `param_type` whose value is `[n; 4]`.
fn unknown(param_type: u16, n: u8) -> Param<'static> {
    const VALUES: [[u8; 4]; 4] = [[0; 4], [1; 4], [2; 4], [3; 4]];
    Param::Unknown {
        param_type,
        value: &VALUES[usize::from(n)],
    }
}

/// The TLV an Unrecognized Parameter (8) carries for `unknown(ty, n)`.
fn reported(ty: u16, n: u8) -> (u16, Vec<u8>) {
    let mut tlv = ty.to_be_bytes().to_vec();
    tlv.extend_from_slice(&[0, 8, n, n, n, n]);
    (8, tlv)
}

#[test]
fn unrecognized_init_parameters_stop_processing_of_later_parameters_only() {
    // RFC 9260 §3.2.1: 11 = skip and report, 10 = skip, 01 = stop
    // processing further parameters and report, 00 = stop without report.
    // The INIT itself is answered; the reports precede the State Cookie.
    let types = |ps: &[(u16, Vec<u8>)]| ps.iter().map(|p| p.0).collect::<Vec<_>>();
    let all_skipped =
        init_ack_params(&[unknown(0xc0cc, 1), unknown(0xc0cc, 2), unknown(0xc0cc, 3)]);
    assert_eq!(
        all_skipped[..3],
        [
            reported(0xc0cc, 1),
            reported(0xc0cc, 2),
            reported(0xc0cc, 3)
        ]
    );
    assert_eq!(all_skipped[3].0, 7, "State Cookie after the reports");
    let stop = init_ack_params(&[unknown(0xc0cc, 1), unknown(0x00cc, 2), unknown(0xc0cc, 3)]);
    assert_eq!(stop[0], reported(0xc0cc, 1));
    assert_eq!(stop[1].0, 7, "{:?}", types(&stop));
    assert_eq!(
        types(&stop).iter().filter(|t| **t == 8).count(),
        1,
        "only the first reported"
    );
    let stop_report =
        init_ack_params(&[unknown(0xc0cc, 1), unknown(0x40cc, 2), unknown(0xc0cc, 3)]);
    assert_eq!(stop_report[..2], [reported(0xc0cc, 1), reported(0x40cc, 2)]);
    assert_eq!(stop_report[2].0, 7, "{:?}", types(&stop_report));
    let skip = init_ack_params(&[unknown(0xc0cc, 1), unknown(0x80cc, 2), unknown(0xc0cc, 3)]);
    assert_eq!(skip[..2], [reported(0xc0cc, 1), reported(0xc0cc, 3)]);
    assert_eq!(skip[2].0, 7, "{:?}", types(&skip));
}

/// Connects from `p`'s endpoint; returns the association and the tag of
/// its INIT.
fn connect(p: &mut Peer, cfg: AssociationConfig) -> (anysctp::AssociationId, u32) {
    let id = p.ep.connect(p.now, addr(PEER), 6000, cfg).unwrap();
    let out = p.sent();
    assert_eq!(out[0].types(), vec![1], "INIT");
    let tag = InitChunk::parse(1, &out[0].chunks[0].2)
        .unwrap()
        .initiate_tag;
    (id, tag)
}

/// Runs `p`'s timers until `id` is gone; every packet sent, with its time.
fn run_until_closed(p: &mut Peer, id: anysctp::AssociationId) -> Vec<(Instant, Out)> {
    let mut all = Vec::new();
    for _ in 0..1000 {
        if p.ep.state(id).is_none() {
            return all;
        }
        let t = p.ep.poll_timeout().expect("a timer runs");
        p.now = t;
        p.ep.handle_timeout(t);
        all.extend(p.sent().into_iter().map(|o| (t, o)));
    }
    panic!("the association never gave up: {all:?}");
}

fn setup_config() -> AssociationConfig {
    AssociationConfig {
        rto_initial: Duration::from_millis(100),
        rto_min: Duration::from_millis(100),
        rto_max: Duration::from_millis(800),
        max_init_retransmits: 3,
        ..AssociationConfig::default()
    }
}

#[test]
fn giving_up_in_cookie_echoed_sends_an_abort_to_the_peers_tag() {
    // RFC 9260 §5.1 C: after Max.Init.Retransmits COOKIE ECHOs the setup
    // fails; the peer's tag is known from its INIT ACK, so an ABORT tells
    // it (ETSI TS 102 369 sctp-as-i-1-3-2).
    let mut p = Peer::listening(AssociationConfig::default());
    let (id, our_tag) = connect(&mut p, setup_config());
    let cookie = [0xc0u8; 8];
    let cookie_param = [Param::StateCookie(&cookie)];
    p.send(
        our_tag,
        &[Chunk::InitAck(InitChunk {
            initiate_tag: PEER_TAG,
            a_rwnd: 65536,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: Tsn(1),
            params: List::Items(&cookie_param),
        })],
    );
    assert_eq!(p.sent()[0].types(), vec![10], "COOKIE ECHO");
    let all = run_until_closed(&mut p, id);
    let kinds: Vec<Vec<u8>> = all.iter().map(|(_, o)| o.types()).collect();
    assert_eq!(
        kinds,
        vec![vec![10], vec![10], vec![10], vec![6]],
        "3 retransmissions, then ABORT"
    );
    let (_, abort) = all.last().unwrap();
    assert_eq!(abort.vtag, PEER_TAG);
    assert_eq!(abort.chunks[0].1 & 1, 0, "T bit clear");
}

#[test]
fn giving_up_in_cookie_wait_sends_nothing() {
    // RFC 9260 §5.1 C: no tag of the peer yet, so no ABORT.
    let mut p = Peer::listening(AssociationConfig::default());
    let (id, _) = connect(&mut p, setup_config());
    let all = run_until_closed(&mut p, id);
    let kinds: Vec<Vec<u8>> = all.iter().map(|(_, o)| o.types()).collect();
    assert_eq!(
        kinds,
        vec![vec![1], vec![1], vec![1]],
        "INIT retransmissions only"
    );
}

#[test]
fn too_short_init_ack_is_discarded_and_the_init_retransmitted() {
    // An INIT ACK of 8 bytes in COOKIE-WAIT: an ABORT could only carry tag
    // 0, which reaches nobody (§8.5); the packet is discarded and T1-init
    // retransmits the INIT (ETSI TS 102 369 sctp-imh-i-3-2, FreeBSD).
    let mut p = Peer::listening(AssociationConfig::default());
    let (id, our_tag) = connect(&mut p, setup_config());
    let mut buf = vec![0u8; 20];
    buf[0..2].copy_from_slice(&6000u16.to_be_bytes());
    buf[2..4].copy_from_slice(&5000u16.to_be_bytes());
    buf[4..8].copy_from_slice(&our_tag.to_be_bytes());
    buf[12..20].copy_from_slice(&[2, 0, 0, 8, 1, 2, 3, 4]);
    let crc = anysctp::wire::checksum(&buf);
    buf[8..12].copy_from_slice(&crc.to_le_bytes());
    p.ep.handle_datagram(p.now, addr(PEER), Bytes::from(buf));
    assert!(
        p.sent().is_empty(),
        "nothing answers the malformed INIT ACK"
    );
    assert!(p.ep.state(id).is_some(), "still connecting");
    p.advance(Duration::from_millis(100));
    let out = p.sent();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].types(), vec![1], "INIT retransmitted");
}

#[test]
fn max_init_timeout_caps_the_setup_timer_backoff() {
    // RFC 6458 §8.1.3 sinit_max_init_timeo: the T1-init doubling stops at
    // max_init_timeout instead of RTO.Max.
    let gaps = |max_init_timeout: Option<Duration>| {
        let mut p = Peer::listening(AssociationConfig::default());
        let start = p.now;
        let cfg = AssociationConfig {
            max_init_retransmits: 5,
            max_init_timeout,
            ..setup_config()
        };
        let (id, _) = connect(&mut p, cfg);
        let mut last = start;
        run_until_closed(&mut p, id)
            .into_iter()
            .map(|(t, _)| {
                let gap = t.saturating_duration_since(last).as_millis();
                last = t;
                gap
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(gaps(None), vec![100, 200, 400, 800, 800]);
    assert_eq!(
        gaps(Some(Duration::from_millis(300))),
        vec![100, 200, 300, 300, 300]
    );
    // Above RTO.Max: the setup timer may grow past it.
    assert_eq!(
        gaps(Some(Duration::from_secs(2))),
        vec![100, 200, 400, 800, 1600]
    );
}

#[test]
fn forward_tsn_without_having_offered_pr_sctp_is_reported_not_fatal() {
    // RFC 3758 §3.3.2: an endpoint that did not include Forward-TSN-Supported
    // acts as if it did not support the chunk: an ERROR (Unrecognized Chunk
    // Type; 192 has the upper bits 11, skip and report), the association
    // goes on.
    let mut p = Peer::established(AssociationConfig {
        partial_reliability: false,
        ..AssociationConfig::default()
    });
    let id = p.ep.associations()[0];
    let streams = [ForwardTsnStream {
        stream: StreamId(0),
        ssn: Ssn(0),
    }];
    p.send(
        p.local_tag,
        &[Chunk::ForwardTsn(ForwardTsnChunk {
            new_cum_tsn: Tsn(100),
            streams: List::Items(&streams),
        })],
    );
    let out = p.sent();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].types(), vec![9], "ERROR, not ABORT");
    assert_eq!(out[0].vtag, PEER_TAG);
    let cause = &out[0].chunks[0].2;
    assert_eq!(&cause[..2], &[0, 6], "Unrecognized Chunk Type");
    assert_eq!(cause[4], 192, "the FORWARD-TSN itself");
    assert!(p.ep.state(id).is_some(), "still established");
    // DATA still flows: TSN 100 was not skipped.
    p.send(p.local_tag, &[data(100, b"after")]);
    p.advance(Duration::from_millis(250));
    let sacks: Vec<Out> = p
        .sent()
        .into_iter()
        .filter(|o| o.types() == vec![3])
        .collect();
    assert_eq!(sacks.len(), 1);
    assert_eq!(
        &sacks[0].chunks[0].2[..4],
        &100u32.to_be_bytes(),
        "cum TSN 100"
    );
}
