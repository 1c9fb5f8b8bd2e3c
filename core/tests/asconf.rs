//! Dynamic address reconfiguration (RFC 5061) against a hand-scripted peer
//! that writes raw ASCONF / ASCONF-ACK chunks: each request type, refused
//! deletes, the serial number rules (cached answers, stale requests),
//! malformed and unknown parameters, and our own requests with T-4. Both
//! sides use SCTP-AUTH (RFC 4895), as RFC 5061 §4.1.1 requires: the peer
//! signs its ASCONF / ASCONF-ACK chunks (auth_support), and an unsigned
//! one is discarded.

mod auth_support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anysctp::wire::{
    cause_code, chunk_type, AsconfAckChunk, AsconfChunk, ChecksumMode, ChecksumPolicy, Chunk,
    CookieEchoChunk, ErrorCause, ErrorChunk, HeartbeatChunk, InitChunk, List, Packet, PacketWriter,
    Param, UnknownChunk,
};
use anysctp::wire::{checksum, Emit};
use anysctp::{
    AddressChangeReason, AddressRequest, AddressRequestOutcome, AssociationConfig, AssociationId,
    AuthConfig, Endpoint, EndpointConfig, Event, Instant, PeerAddressState, Tsn, VerificationTag,
};
use bytes::Bytes;

/// The scripted peer's first address and UDP port; its other addresses
/// share the port (RFC 6951 §5).
const PEER_PORT: u16 = 6000;
const PEER_TAG: u32 = 0x0A0B_0C0D;
/// The peer's Initial TSN: its first ASCONF carries this serial number.
const PEER_TSN: u32 = 0xFFFF_FFFE;

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

fn peer(last: u8) -> SocketAddr {
    SocketAddr::new(ip(last), PEER_PORT)
}

/// A packet the endpoint sent.
#[derive(Debug)]
struct Out {
    to: SocketAddr,
    chunks: Vec<(u8, Vec<u8>)>,
}

struct Script {
    ep: Endpoint,
    now: Instant,
    id: AssociationId,
    tag: u32,
    /// The endpoint's Initial TSN (its ASCONF serial numbers start there).
    tsn: u32,
    events: Vec<Event>,
    backlog: Vec<Out>,
    /// The association shared key (RFC 4895 §6.1, key 0: empty secret).
    key: Vec<u8>,
    /// Whether ASCONF and ASCONF-ACK chunks are sent after an AUTH.
    sign: bool,
}

const PEER_RANDOM: [u8; 32] = [0x3C; 32];

impl Script {
    /// An endpoint at 10.0.0.1 (listing that address, AUTH on) and an
    /// established association with the peer at 10.0.0.2, which offers
    /// AUTH and ASCONF if `peer_asconf`.
    fn new(peer_asconf: bool) -> Script {
        let ep = Endpoint::new(
            EndpointConfig {
                port: 5000,
                accept_incoming: true,
                local_addresses: vec![ip(1)],
                association: AssociationConfig {
                    heartbeat_interval: None,
                    auth: Some(AuthConfig::default()),
                    ..AssociationConfig::default()
                },
                ..EndpointConfig::default()
            },
            [9; 32],
        )
        .unwrap();
        let mut s = Script {
            ep,
            now: Instant::from_millis(1000),
            id: AssociationId(0),
            tag: 0,
            tsn: 0,
            events: Vec::new(),
            backlog: Vec::new(),
            key: Vec::new(),
            sign: true,
        };
        let ext = [chunk_type::AUTH, chunk_type::ASCONF, chunk_type::ASCONF_ACK];
        let list = [chunk_type::ASCONF, chunk_type::ASCONF_ACK];
        let hmacs = [3u16, 1];
        let params = [
            Param::SupportedExtensions(&ext),
            Param::Random(&PEER_RANDOM),
            Param::ChunkList(&list),
            Param::RequestedHmacAlgorithms(List::Items(&hmacs)),
        ];
        let mut peer_vector = auth_support::tlv(0x8002, &PEER_RANDOM);
        peer_vector.extend(auth_support::tlv(0x8003, &list));
        peer_vector.extend(auth_support::tlv(0x8004, &[0, 3, 0, 1]));
        let init = Chunk::Init(InitChunk {
            initiate_tag: PEER_TAG,
            a_rwnd: 65536,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: Tsn(PEER_TSN),
            params: List::Items(if peer_asconf { &params } else { &[] }),
        });
        s.send_from(2, 0, &[init]);
        let out = s.sent();
        let ack = InitChunk::parse(0, &out[0].chunks[0].1).unwrap();
        assert!(
            ack.params().flatten().any(|p| matches!(p,
                Param::SupportedExtensions(t) if t.contains(&chunk_type::ASCONF) && t.contains(&chunk_type::ASCONF_ACK))),
            "our INIT ACK offers ASCONF and ASCONF-ACK (RFC 5061 §4.2.7)"
        );
        assert!(
            ack.params().flatten().any(|p| matches!(p,
                Param::ChunkList(t) if t.contains(&chunk_type::ASCONF) && t.contains(&chunk_type::ASCONF_ACK))),
            "ASCONF and ASCONF-ACK only authenticated (RFC 5061 §4.1.1)"
        );
        let mut ep_vector = Vec::new();
        for p in ack.params().flatten() {
            match p {
                Param::Random(r) => ep_vector.extend(auth_support::tlv(0x8002, r)),
                Param::ChunkList(c) => ep_vector.extend(auth_support::tlv(0x8003, c)),
                Param::RequestedHmacAlgorithms(l) => {
                    let h: Vec<u8> = l.iter().flatten().flat_map(u16::to_be_bytes).collect();
                    ep_vector.extend(auth_support::tlv(0x8004, &h));
                }
                _ => {}
            }
        }
        s.key = auth_support::association_key(b"", &peer_vector, &ep_vector);
        s.tag = ack.initiate_tag;
        s.tsn = ack.initial_tsn.0;
        let cookie = ack
            .params()
            .flatten()
            .find_map(|p| match p {
                Param::StateCookie(c) => Some(c.to_vec()),
                _ => None,
            })
            .unwrap();
        let tag = s.tag;
        s.send_from(
            2,
            tag,
            &[Chunk::CookieEcho(CookieEchoChunk { cookie: &cookie })],
        );
        assert_eq!(s.sent()[0].chunks[0].0, chunk_type::COOKIE_ACK);
        s.id = s.ep.associations()[0];
        s.take_events();
        s
    }

    fn send_from(&mut self, host: u8, vtag: u32, chunks: &[Chunk<'_>]) {
        let mut buf = vec![0u8; 4096];
        let mut w = PacketWriter::new(&mut buf, PEER_PORT, 5000, VerificationTag(vtag)).unwrap();
        for c in chunks {
            w.push(c).unwrap();
        }
        let n = w.finish(ChecksumMode::Compute);
        self.ep
            .handle_datagram(self.now, peer(host), Bytes::copy_from_slice(&buf[..n]));
    }

    /// Sends chunks of the association from the peer's address `host`;
    /// ASCONF and ASCONF-ACK after an AUTH chunk (unless `sign` is off).
    fn send(&mut self, host: u8, chunks: &[Chunk<'_>]) {
        let mut body = Vec::new();
        for c in chunks {
            let start = body.len();
            body.resize(start + ((c.encoded_len() + 3) & !3), 0);
            c.emit(&mut body[start..]);
        }
        let asconf = matches!(
            body.first(),
            Some(&chunk_type::ASCONF | &chunk_type::ASCONF_ACK)
        );
        if asconf && self.sign {
            body = auth_support::auth_then(0, 3, &self.key, &body);
        }
        let mut p = PEER_PORT.to_be_bytes().to_vec();
        p.extend_from_slice(&5000u16.to_be_bytes());
        p.extend_from_slice(&self.tag.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(&body);
        let c = checksum(&p);
        p[8..12].copy_from_slice(&c.to_le_bytes());
        self.ep
            .handle_datagram(self.now, peer(host), Bytes::from(p));
    }

    fn asconf(&mut self, host: u8, serial: u32, params: &[Param<'_>]) {
        let c = Chunk::Asconf(AsconfChunk {
            serial,
            address: ip(host),
            params: List::Items(params),
        });
        self.send(host, &[c]);
    }

    /// Packets sent since the last look (those `sent_of` left included).
    fn sent(&mut self) -> Vec<Out> {
        let mut buf = vec![0u8; 65536];
        let mut out = std::mem::take(&mut self.backlog);
        while let Some(t) = self.ep.poll_transmit(self.now, &mut buf) {
            let p = Packet::new_checked(&buf[..t.len], ChecksumPolicy::Required).unwrap();
            let chunks = p
                .chunks()
                .map(|c| {
                    let c = c.unwrap();
                    (c.chunk_type, c.value.to_vec())
                })
                .collect();
            out.push(Out {
                to: t.destination,
                chunks,
            });
        }
        out
    }

    /// Takes the chunks of type `ty` sent, with their destination; the
    /// other chunks stay for later looks.
    fn sent_of(&mut self, ty: u8) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut found = Vec::new();
        for mut o in self.sent() {
            let to = o.to;
            o.chunks.retain(|c| {
                let hit = c.0 == ty;
                if hit {
                    found.push((to, c.1.clone()));
                }
                !hit
            });
            if !o.chunks.is_empty() {
                self.backlog.push(o);
            }
        }
        found
    }

    fn take_events(&mut self) -> Vec<Event> {
        while let Some((_, e)) = self.ep.poll_event() {
            self.events.push(e);
        }
        std::mem::take(&mut self.events)
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.ep.handle_timeout(self.now);
    }
}

/// The answers of an ASCONF-ACK: (correlation id, None for success or the
/// first cause code).
fn answers(ack: &[u8]) -> (u32, Vec<(u32, Option<u16>)>) {
    let a = AsconfAckChunk::parse(0, ack).unwrap();
    let v = a
        .params()
        .map(|p| match p.unwrap() {
            Param::SuccessIndication { correlation_id } => (correlation_id, None),
            Param::ErrorCauseIndication {
                correlation_id,
                causes,
            } => (
                correlation_id,
                causes.iter().flatten().next().map(|c| c.cause_code()),
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (a.serial, v)
}

fn add(cid: u32, host: u8) -> Param<'static> {
    Param::AddIpAddress {
        correlation_id: cid,
        address: ip(host),
    }
}

fn del(cid: u32, host: u8) -> Param<'static> {
    Param::DeleteIpAddress {
        correlation_id: cid,
        address: ip(host),
    }
}

fn change(e: &Event) -> Option<(SocketAddr, PeerAddressState)> {
    change_why(e).map(|c| (c.0, c.1))
}

fn change_why(e: &Event) -> Option<(SocketAddr, PeerAddressState, AddressChangeReason)> {
    match e {
        Event::PeerAddressChange {
            address,
            state,
            reason,
        } => Some((*address, *state, *reason)),
        _ => None,
    }
}

/// Confirms the peer's address `host` by answering the HEARTBEAT sent
/// there one RTO after it was added (RFC 9260 §5.4).
fn confirm(s: &mut Script, host: u8) {
    s.advance(Duration::from_secs(1));
    let hb = s.sent_of(chunk_type::HEARTBEAT);
    let (to, info) = hb.first().expect("a HEARTBEAT probes the new address");
    assert_eq!(*to, peer(host));
    let info = HeartbeatChunk::parse(0, info).unwrap().info.to_vec();
    s.send(host, &[Chunk::HeartbeatAck(HeartbeatChunk { info: &info })]);
}

#[test]
fn peer_adds_an_address_makes_it_primary_and_deletes_the_old_one() {
    let mut s = Script::new(true);
    s.asconf(2, PEER_TSN, &[add(7, 3)]);
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(acks.len(), 1);
    assert_eq!(
        acks[0].0,
        peer(2),
        "answered to the ASCONF's source (§5.2 E6)"
    );
    assert_eq!(answers(&acks[0].1), (PEER_TSN, vec![(7, None)]));
    let ev = s.take_events();
    assert!(ev.iter().filter_map(change_why).any(|c| c
        == (
            peer(3),
            PeerAddressState::Added,
            AddressChangeReason::PeerRequest
        )));
    assert_eq!(
        s.ep.peer_addresses(s.id).unwrap(),
        vec![peer(2), peer(3)],
        "the new address takes the UDP port of the packet (RFC 6951)"
    );
    // Unconfirmed: probed, and not made primary before confirmation.
    confirm(&mut s, 3);
    s.asconf(
        2,
        PEER_TSN.wrapping_add(1),
        &[Param::SetPrimaryAddress {
            correlation_id: 8,
            address: ip(3),
        }],
    );
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(answers(&acks[0].1).1, vec![(8, None)]);
    assert_eq!(s.ep.peer_addresses(s.id).unwrap()[0], peer(3), "primary");
    // Serial numbers wrap (0xFFFFFFFF + 1 = 0); delete the old address,
    // sent from the new one.
    s.asconf(3, 0, &[del(9, 2)]);
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(acks[0].0, peer(3));
    assert_eq!(answers(&acks[0].1), (0, vec![(9, None)]));
    let ev = s.take_events();
    let changes: Vec<_> = ev.iter().filter_map(change_why).collect();
    use AddressChangeReason::{HeartbeatAck, PeerRequest};
    assert!(changes.contains(&(peer(3), PeerAddressState::Confirmed, HeartbeatAck)));
    assert!(changes.contains(&(peer(3), PeerAddressState::MadePrimary, PeerRequest)));
    assert!(changes.contains(&(peer(2), PeerAddressState::Removed, PeerRequest)));
    assert_eq!(s.ep.peer_addresses(s.id).unwrap(), vec![peer(3)]);
    // §5.3 (after F13): DATA the peer sent from the deleted address before
    // deleting it may arrive late; for 2 RTO of that path (1 s here) it is
    // still taken, and answered on the remaining path, never the deleted
    // one.
    let _earlier = s.sent();
    s.advance(Duration::from_millis(1999));
    s.send(2, &[auth_support::data_chunk(PEER_TSN, b"late")]);
    let out = s.sent();
    assert!(out.iter().all(|o| o.to == peer(3)), "{out:?}");
    assert!(out
        .iter()
        .any(|o| o.chunks.iter().any(|c| c.0 == chunk_type::SACK)));
    assert!(s
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::Message { data, .. } if &data[..] == b"late")));
    // §5.3 F13: once the grace period is over, the deleted address is out
    // of the blue.
    s.advance(Duration::from_millis(1));
    s.send(2, &[Chunk::HeartbeatAck(HeartbeatChunk { info: &[0; 12] })]);
    let out = s.sent();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].chunks[0].0, chunk_type::ABORT);
}

#[test]
fn deleting_the_last_or_the_source_address_is_refused() {
    let mut s = Script::new(true);
    // F7: the only address.
    s.asconf(2, PEER_TSN, &[del(1, 2)]);
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(
        answers(&acks[0].1).1,
        vec![(1, Some(cause_code::DELETE_LAST_REMAINING_ADDRESS))]
    );
    // F8: add another, then delete the packet's source; F11: once a
    // delete fails, the following add fails too.
    s.asconf(
        2,
        PEER_TSN.wrapping_add(1),
        &[add(2, 3), del(3, 2), add(4, 4)],
    );
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    let (_, a) = answers(&acks[0].1);
    assert_eq!(
        a,
        vec![
            (2, None),
            (3, Some(cause_code::DELETE_SOURCE_ADDRESS)),
            (4, Some(cause_code::DELETE_SOURCE_ADDRESS)),
        ]
    );
    // The refused TLV travels in the cause (§4.3.3).
    let ack = AsconfAckChunk::parse(0, &acks[0].1).unwrap();
    let refused = ack.params().flatten().find_map(|p| match p {
        Param::ErrorCauseIndication { causes, .. } => causes.iter().flatten().next(),
        _ => None,
    });
    let Some(ErrorCause::DeleteSourceAddress(tlv)) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(Param::parse(0xC002, &tlv[4..]).unwrap(), del(3, 2));
    assert_eq!(s.ep.peer_addresses(s.id).unwrap(), vec![peer(2), peer(3)]);
}

#[test]
fn retransmitted_asconf_is_answered_from_the_cache_and_stale_ones_are_dropped() {
    let mut s = Script::new(true);
    s.asconf(2, PEER_TSN, &[add(5, 3)]);
    let first = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(s.take_events().iter().filter_map(change).count(), 1);
    // The same ASCONF again (its ACK was lost): the same answer, nothing
    // done twice.
    s.asconf(2, PEER_TSN, &[add(5, 3)]);
    let again = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(first[0].1, again[0].1);
    assert!(s.take_events().iter().filter_map(change).next().is_none());
    // A serial neither the last nor the next: discarded (§5.2 E5).
    for serial in [PEER_TSN.wrapping_sub(1), PEER_TSN.wrapping_add(5)] {
        s.asconf(2, serial, &[add(6, 4)]);
        assert!(s.sent_of(chunk_type::ASCONF_ACK).is_empty(), "{serial}");
    }
    assert_eq!(s.ep.peer_addresses(s.id).unwrap().len(), 2);
}

#[test]
fn malformed_and_unknown_parameters_get_answers_not_panics() {
    let mut s = Script::new(true);
    // An Add IP Address whose address is cut short, after a good one.
    let mut value = Vec::new();
    value.extend_from_slice(&PEER_TSN.to_be_bytes());
    value.extend_from_slice(&[0, 5, 0, 8, 10, 0, 0, 2]); // lookup address
    value.extend_from_slice(&[0xC0, 1, 0, 16, 0, 0, 0, 1, 0, 5, 0, 8, 10, 0, 0, 3]);
    value.extend_from_slice(&[0xC0, 1, 0, 12, 0, 0, 0, 2, 0, 5, 0, 4]);
    s.send(
        2,
        &[Chunk::Unknown(UnknownChunk {
            chunk_type: chunk_type::ASCONF,
            flags: 0,
            value: &value,
        })],
    );
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    let (_, a) = answers(&acks[0].1);
    assert_eq!(a[0], (1, None));
    assert_eq!(a[1].1, Some(cause_code::INVALID_MANDATORY_PARAMETER));
    // Unknown parameters: 0xC0xx (skip and report) is reported, the rest
    // processed; 0x00xx (stop, no report) ends the processing.
    let skip = Param::Unknown {
        param_type: 0xC0FF,
        value: &[0, 0, 0, 3],
    };
    let stop = Param::Unknown {
        param_type: 0x00FF,
        value: &[0, 0, 0, 5],
    };
    s.asconf(
        2,
        PEER_TSN.wrapping_add(1),
        &[skip, add(4, 4), stop, add(6, 5)],
    );
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(
        answers(&acks[0].1).1,
        vec![(3, Some(cause_code::UNRECOGNIZED_PARAMETERS)), (4, None)]
    );
    assert_eq!(
        s.ep.peer_addresses(s.id).unwrap(),
        vec![peer(2), peer(3), peer(4)]
    );
    // Multicast is no address to add.
    s.asconf(
        2,
        PEER_TSN.wrapping_add(2),
        &[Param::AddIpAddress {
            correlation_id: 9,
            address: IpAddr::from([224, 0, 0, 1]),
        }],
    );
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(
        answers(&acks[0].1).1,
        vec![(9, Some(cause_code::UNRESOLVABLE_ADDRESS))]
    );
}

#[test]
fn our_add_waits_for_the_ack_and_is_retransmitted_on_t4() {
    let mut s = Script::new(true);
    s.ep.add_local_address(s.now, ip(9)).unwrap();
    let sent = s.sent_of(chunk_type::ASCONF);
    assert_eq!(sent.len(), 1);
    let (to, bytes) = &sent[0];
    assert_eq!(*to, peer(2));
    let c = AsconfChunk::parse(0, bytes).unwrap();
    assert_eq!(
        c.serial, s.tsn,
        "the first serial is our Initial TSN (§5.1 A2)"
    );
    assert_eq!(c.address, ip(1), "looked up by an address the peer knows");
    let params: Vec<_> = c.params().flatten().collect();
    let Param::AddIpAddress {
        correlation_id,
        address,
    } = params[0]
    else {
        panic!("{params:?}")
    };
    assert_eq!(address, ip(9));
    // Unanswered: T-4 (RTO.Initial, 1 s) resends it unchanged (§5.1 B4).
    s.advance(Duration::from_millis(999));
    assert!(s.sent_of(chunk_type::ASCONF).is_empty());
    s.advance(Duration::from_millis(1));
    let again = s.sent_of(chunk_type::ASCONF);
    assert_eq!(again.len(), 1);
    assert_eq!(&again[0].1, bytes);
    // Another request waits for the answer (§5.1.1 C1).
    s.ep.set_peer_primary(s.now, s.id, ip(1)).unwrap();
    assert!(s.sent_of(chunk_type::ASCONF).is_empty());
    // An empty ASCONF-ACK: everything succeeded (§5.1 A8).
    s.send(
        2,
        &[Chunk::AsconfAck(AsconfAckChunk {
            serial: c.serial,
            params: List::Items(&[]),
        })],
    );
    let ev = s.take_events();
    assert!(ev.contains(&Event::AddressRequestResult {
        request: AddressRequest::AddLocal(ip(9)),
        outcome: AddressRequestOutcome::Accepted,
    }));
    assert_eq!(correlation_id, 0);
    // The queued set-primary goes out now, with the next serial.
    let next = s.sent_of(chunk_type::ASCONF);
    let c2 = AsconfChunk::parse(0, &next[0].1).unwrap();
    assert_eq!(c2.serial, s.tsn.wrapping_add(1));
    let p: Vec<_> = c2.params().flatten().collect();
    assert!(matches!(p[0], Param::SetPrimaryAddress { address, .. } if address == ip(1)));
    let cid = match p[0] {
        Param::SetPrimaryAddress { correlation_id, .. } => correlation_id,
        _ => unreachable!(),
    };
    // Refused.
    let cause = ErrorCause::ResourceShortage(&[]);
    s.send(
        2,
        &[Chunk::AsconfAck(AsconfAckChunk {
            serial: c2.serial,
            params: List::Items(&[Param::ErrorCauseIndication {
                correlation_id: cid,
                causes: List::Items(std::slice::from_ref(&cause)),
            }]),
        })],
    );
    let ev = s.take_events();
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::AddressRequestResult {
            request: AddressRequest::SetPeerPrimary(_),
            outcome: AddressRequestOutcome::Refused {
                cause_code: cause_code::RESOURCE_SHORTAGE,
                ..
            },
        }
    )));
}

#[test]
fn removing_our_address_stops_using_it_and_refusals_restore_it() {
    let mut s = Script::new(true);
    // The last address cannot go (§5.3 F5).
    assert!(s.ep.remove_local_address(s.now, ip(1)).is_err());
    s.ep.add_local_address(s.now, ip(9)).unwrap();
    let a = AsconfChunk::parse(0, &s.sent_of(chunk_type::ASCONF)[0].1)
        .unwrap()
        .serial;
    s.send(
        2,
        &[Chunk::AsconfAck(AsconfAckChunk {
            serial: a,
            params: List::Items(&[]),
        })],
    );
    s.ep.remove_local_address(s.now, ip(1)).unwrap();
    let sent = s.sent_of(chunk_type::ASCONF);
    let c = AsconfChunk::parse(0, &sent[0].1).unwrap();
    assert_eq!(c.address, ip(9), "the lookup address is one that stays");
    let Some(Param::DeleteIpAddress {
        correlation_id,
        address,
    }) = c.params().flatten().next()
    else {
        panic!("{c:?}")
    };
    assert_eq!(address, ip(1));
    assert_eq!(s.ep.local_addresses(), &[ip(9)]);
    // A refusal: the address is ours again.
    s.send(
        2,
        &[Chunk::AsconfAck(AsconfAckChunk {
            serial: c.serial,
            params: List::Items(&[Param::ErrorCauseIndication {
                correlation_id,
                causes: List::Items(&[ErrorCause::DeleteSourceAddress(&[])]),
            }]),
        })],
    );
    assert!(s.take_events().iter().any(|e| matches!(e,
        Event::AddressRequestResult {
            request: AddressRequest::RemoveLocal(a),
            outcome: AddressRequestOutcome::Refused { cause_code: cause_code::DELETE_SOURCE_ADDRESS, .. },
        } if *a == ip(1))));
    // An ASCONF-ACK with a serial never sent, nothing outstanding → ABORT
    // with "Illegal ASCONF-ACK" (§5.3 F0).
    s.send(
        2,
        &[Chunk::AsconfAck(AsconfAckChunk {
            serial: c.serial.wrapping_add(7),
            params: List::Items(&[]),
        })],
    );
    let abort = s.sent_of(chunk_type::ABORT);
    assert_eq!(abort.len(), 1);
    assert_eq!(
        u16::from_be_bytes([abort[0].1[0], abort[0].1[1]]),
        cause_code::ILLEGAL_ASCONF_ACK
    );
    assert!(s
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::Closed(_))));
}

#[test]
fn an_unauthenticated_asconf_is_discarded() {
    let mut s = Script::new(true);
    s.sign = false;
    s.asconf(2, PEER_TSN, &[add(1, 3)]);
    assert!(s.sent_of(chunk_type::ASCONF_ACK).is_empty());
    assert_eq!(s.ep.peer_addresses(s.id).unwrap(), vec![peer(2)]);
    // Signed, the same request is performed.
    s.sign = true;
    s.asconf(2, PEER_TSN, &[add(1, 3)]);
    assert_eq!(s.sent_of(chunk_type::ASCONF_ACK).len(), 1);
    assert_eq!(s.ep.peer_addresses(s.id).unwrap().len(), 2);
    // Our ASCONF-ACKs and ASCONFs travel after an AUTH chunk.
    s.ep.add_local_address(s.now, ip(9)).unwrap();
    let out = s.sent();
    let p = out
        .iter()
        .find(|o| o.chunks.iter().any(|c| c.0 == chunk_type::ASCONF))
        .expect("an ASCONF");
    assert_eq!(p.chunks[0].0, chunk_type::AUTH, "{p:?}");
}

#[test]
fn a_peer_without_asconf_gets_none() {
    let mut s = Script::new(false);
    s.ep.add_local_address(s.now, ip(9)).unwrap();
    assert!(s.sent_of(chunk_type::ASCONF).is_empty());
    assert!(s.ep.set_peer_primary(s.now, s.id, ip(1)).is_err());
}

#[test]
fn an_error_reporting_asconf_unrecognized_fails_the_requests() {
    let mut s = Script::new(true);
    s.ep.add_local_address(s.now, ip(9)).unwrap();
    let (_, bytes) = s.sent_of(chunk_type::ASCONF).remove(0);
    let mut whole = vec![chunk_type::ASCONF, 0];
    whole.extend_from_slice(&((bytes.len() + 4) as u16).to_be_bytes());
    whole.extend_from_slice(&bytes);
    let cause = ErrorCause::UnrecognizedChunkType(&whole);
    s.send(
        2,
        &[Chunk::Error(ErrorChunk {
            causes: List::Items(std::slice::from_ref(&cause)),
        })],
    );
    let ev = s.take_events();
    assert!(ev.contains(&Event::AddressRequestResult {
        request: AddressRequest::AddLocal(ip(9)),
        outcome: AddressRequestOutcome::Unsupported,
    }));
    // §5.1 A9: no more ASCONFs, T-4 stopped.
    s.advance(Duration::from_secs(5));
    assert!(s.sent_of(chunk_type::ASCONF).is_empty());
    assert!(s.ep.set_peer_primary(s.now, s.id, ip(1)).is_err());
}

#[test]
fn an_asconf_from_a_new_address_is_found_by_its_address_parameter() {
    let mut s = Script::new(true);
    // RFC 6951 §5.7 style: sent from the new address, which it adds with
    // the wildcard; the association is found by the lookup address
    // (RFC 5061 §5.2 D2) and the answer goes to the packet's source (E6).
    let c = Chunk::Asconf(AsconfChunk {
        serial: PEER_TSN,
        address: ip(2),
        params: List::Items(&[Param::AddIpAddress {
            correlation_id: 4,
            address: IpAddr::from([0, 0, 0, 0]),
        }]),
    });
    s.send(3, &[c]);
    let acks = s.sent_of(chunk_type::ASCONF_ACK);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0, peer(3));
    assert_eq!(answers(&acks[0].1).1, vec![(4, None)]);
    assert_eq!(s.ep.peer_addresses(s.id).unwrap(), vec![peer(2), peer(3)]);
    // A lookup address of no association: out of the blue (D3), answered
    // with an ABORT.
    let c = Chunk::Asconf(AsconfChunk {
        serial: PEER_TSN.wrapping_add(1),
        address: ip(7),
        params: List::Items(&[]),
    });
    s.send(8, &[c]);
    let to_8: Vec<_> = s.sent().into_iter().filter(|o| o.to == peer(8)).collect();
    assert_eq!(to_8.len(), 1, "{to_8:?}");
    assert_eq!(to_8[0].chunks[0].0, chunk_type::ABORT);
}
