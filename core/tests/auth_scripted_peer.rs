//! SCTP-AUTH (RFC 4895) against a hand-scripted peer that writes raw
//! packets and computes its HMACs with the `hmac` crate directly, from the
//! key material of RFC 4895 §6.1 worked out here independently.

use std::net::SocketAddr;
use std::time::Duration;

use anysctp::wire::{
    checksum, chunk_type, ChecksumPolicy, Chunk, CookieEchoChunk, Emit, InitChunk, List, Packet,
    Param,
};
use anysctp::{
    AssociationConfig, AuthConfig, AuthIndication, Endpoint, EndpointConfig, Event, HmacAlgorithm,
    Instant, SendOptions, StreamId, Tsn,
};
use bytes::Bytes;

mod auth_support;
use auth_support::*;

const PEER: &str = "10.0.0.2:6000";
const PEER_TAG: u32 = 0x0102_0304;
const PEER_RANDOM: [u8; 32] = [0x5A; 32];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A chunk's bytes, padded.
fn enc(c: &Chunk<'_>) -> Vec<u8> {
    let mut v = vec![0u8; (c.encoded_len() + 3) & !3];
    c.emit(&mut v);
    v
}

/// A packet the endpoint sent.
#[derive(Debug)]
struct Out {
    vtag: u32,
    bytes: Vec<u8>,
    chunks: Vec<(u8, Vec<u8>, usize)>,
}

impl Out {
    fn types(&self) -> Vec<u8> {
        self.chunks.iter().map(|c| c.0).collect()
    }
}

struct Peer {
    ep: Endpoint,
    now: Instant,
    local_tag: u32,
    cookie: Vec<u8>,
    /// The peer's key vector (RANDOM, CHUNKS, HMAC-ALGO it sent).
    peer_vector: Vec<u8>,
    /// The endpoint's key vector, from its INIT ACK.
    ep_vector: Vec<u8>,
    /// The CHUNKS list of the endpoint.
    ep_chunks: Vec<u8>,
}

/// The peer's AUTH parameters in its INIT: CHUNKS `chunks`, HMAC-ALGO
/// `hmacs`; returns them and the key vector.
fn peer_params<'a>(chunks: &'a [u8], hmacs: &'a [u16]) -> (Vec<Param<'a>>, Vec<u8>) {
    let params = vec![
        Param::SupportedExtensions(&[chunk_type::AUTH]),
        Param::Random(&PEER_RANDOM),
        Param::ChunkList(chunks),
        Param::RequestedHmacAlgorithms(List::Items(hmacs)),
    ];
    let mut v = tlv(0x8002, &PEER_RANDOM);
    v.extend(tlv(0x8003, chunks));
    let h: Vec<u8> = hmacs.iter().flat_map(|h| h.to_be_bytes()).collect();
    v.extend(tlv(0x8004, &h));
    (params, v)
}

impl Peer {
    fn listening(auth: AuthConfig) -> Self {
        let ep = Endpoint::new(
            EndpointConfig {
                port: 5000,
                accept_incoming: true,
                association: AssociationConfig {
                    auth: Some(auth),
                    ..AssociationConfig::default()
                },
                ..EndpointConfig::default()
            },
            [9; 32],
        )
        .unwrap();
        Peer {
            ep,
            now: Instant::from_millis(1000),
            local_tag: 0,
            cookie: Vec::new(),
            peer_vector: Vec::new(),
            ep_vector: Vec::new(),
            ep_chunks: Vec::new(),
        }
    }

    /// Sends a packet of already-encoded chunks.
    fn send_raw(&mut self, vtag: u32, chunks: &[u8]) {
        let mut p = vec![0x17, 0x70, 0x13, 0x88];
        p.extend_from_slice(&vtag.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(chunks);
        let c = checksum(&p);
        p[8..12].copy_from_slice(&c.to_le_bytes());
        self.ep
            .handle_datagram(self.now, addr(PEER), Bytes::from(p));
    }

    fn sent(&mut self) -> Vec<Out> {
        let mut buf = vec![0u8; 65536];
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut buf) {
            let p = Packet::new_checked(&buf[..t.len], ChecksumPolicy::Required).unwrap();
            let chunks = p
                .chunks()
                .map(|c| {
                    let c = c.unwrap();
                    (c.chunk_type, c.value.to_vec(), c.offset - 4)
                })
                .collect();
            out.push(Out {
                vtag: p.verification_tag().0,
                bytes: buf[..t.len].to_vec(),
                chunks,
            });
        }
        out
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.ep.poll_event().map(|(_, e)| e)).collect()
    }

    /// Learns the endpoint's tag, cookie and key vector from its INIT ACK.
    fn learn_init_ack(&mut self, v: &[u8]) {
        let ack = InitChunk::parse(2, v).unwrap();
        self.local_tag = ack.initiate_tag;
        let (mut random, mut chunks, mut hmacs) = (None, None, None);
        for p in ack.params().flatten() {
            match p {
                Param::StateCookie(c) => self.cookie = c.to_vec(),
                Param::Random(r) => random = Some(tlv(0x8002, r)),
                Param::ChunkList(c) => {
                    self.ep_chunks = c.to_vec();
                    chunks = Some(tlv(0x8003, c));
                }
                Param::RequestedHmacAlgorithms(l) => {
                    let h: Vec<u8> = l.iter().flatten().flat_map(u16::to_be_bytes).collect();
                    hmacs = Some(tlv(0x8004, &h));
                }
                _ => {}
            }
        }
        let mut v = random.expect("RANDOM in INIT ACK");
        assert_eq!(v.len(), 36, "a 32-byte RANDOM");
        v.extend(chunks.unwrap_or_default());
        v.extend(hmacs.expect("HMAC-ALGO in INIT ACK"));
        self.ep_vector = v;
    }

    /// INIT with AUTH parameters, the INIT ACK learnt.
    fn init(&mut self, chunks: &[u8], hmacs: &[u16]) {
        let (params, vector) = peer_params(chunks, hmacs);
        self.peer_vector = vector;
        let init = init_chunk(&params);
        self.send_raw(0, &init);
        let out = self.sent();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].types(), vec![2], "INIT ACK");
        self.learn_init_ack(&out[0].chunks[0].1);
    }

    /// The association shared key for endpoint pair shared key `secret`
    /// (RFC 4895 §6.1).
    fn key(&self, secret: &[u8]) -> Vec<u8> {
        association_key(secret, &self.peer_vector, &self.ep_vector)
    }

    /// An AUTH chunk (key `key_id`, HMAC id `hmac_id`, computed with
    /// `key`) followed by `rest`.
    fn auth_then(&self, key_id: u16, hmac_id: u16, key: &[u8], rest: &[u8]) -> Vec<u8> {
        auth_then(key_id, hmac_id, key, rest)
    }

    fn cookie_echo_chunk(&self) -> Vec<u8> {
        enc(&Chunk::CookieEcho(CookieEchoChunk {
            cookie: &self.cookie,
        }))
    }

    /// INIT, COOKIE ECHO, COOKIE ACK; the endpoint wants `ep_auth`.
    fn established(ep_auth: AuthConfig, chunks: &[u8], hmacs: &[u16]) -> Self {
        let mut p = Peer::listening(ep_auth);
        p.init(chunks, hmacs);
        let ce = p.cookie_echo_chunk();
        p.send_raw(p.local_tag, &ce);
        let out = p.sent();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].types(), vec![11], "COOKIE ACK");
        p.events();
        p
    }

    fn messages(&mut self) -> Vec<Vec<u8>> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message { data, .. } => Some(data.to_vec()),
                _ => None,
            })
            .collect()
    }
}

/// The peer's INIT (tag `PEER_TAG`, TSN 100) with `params`, encoded.
fn init_chunk(params: &[Param<'_>]) -> Vec<u8> {
    enc(&Chunk::Init(InitChunk {
        initiate_tag: PEER_TAG,
        a_rwnd: 65536,
        outbound_streams: 1,
        inbound_streams: 1,
        initial_tsn: Tsn(100),
        params: List::Items(params),
    }))
}

fn data(tsn: u32, payload: &[u8]) -> Vec<u8> {
    enc(&data_chunk(tsn, payload))
}

fn data_required() -> AuthConfig {
    AuthConfig {
        chunks: vec![chunk_type::DATA],
        ..AuthConfig::default()
    }
}

#[test]
fn init_ack_lists_random_chunks_hmac_algo_and_auth_support() {
    let mut p = Peer::listening(data_required());
    p.init(&[], &[1]);
    // CHUNKS [DATA] and, ASCONF being offered by default, ASCONF and
    // ASCONF-ACK (RFC 5061 §4.2.7); HMAC-ALGO [SHA-256, SHA-1] (the
    // default).
    assert_eq!(
        p.ep_chunks,
        vec![0, chunk_type::ASCONF, chunk_type::ASCONF_ACK]
    );
    assert_eq!(
        &p.ep_vector[p.ep_vector.len() - 8..],
        &[0x80, 0x04, 0, 8, 0, 3, 0, 1]
    );
}

#[test]
fn authenticated_data_is_accepted_and_unauthenticated_data_discarded() {
    let mut p = Peer::established(data_required(), &[], &[1]);
    // DATA without AUTH: discarded (§6.3), not even acknowledged.
    p.send_raw(p.local_tag, &data(100, b"forged"));
    p.advance_sack();
    assert!(p.messages().is_empty());
    assert!(p.sent().iter().all(|o| !o.types().contains(&3)), "no SACK");
    // The same DATA after a valid AUTH (key 0, the null key; SHA-1).
    let key = p.key(b"");
    let pkt = p.auth_then(0, 1, &key, &data(100, b"genuine"));
    p.send_raw(p.local_tag, &pkt);
    let msgs = p.messages();
    assert_eq!(msgs, vec![b"genuine".to_vec()]);
    let out = p.sent();
    assert!(out.iter().any(|o| o.types().contains(&3)), "SACK: {out:?}");
}

impl Peer {
    fn advance_sack(&mut self) {
        self.now += Duration::from_millis(300);
        self.ep.handle_timeout(self.now);
    }
}

#[test]
fn a_wrong_hmac_or_an_unknown_key_id_is_discarded_silently() {
    let mut p = Peer::established(data_required(), &[], &[1]);
    let key = p.key(b"");
    let mut pkt = p.auth_then(0, 1, &key, &data(100, b"x"));
    let last = pkt.len() - 4;
    pkt[last] ^= 0x40; // tamper with the DATA after signing
    p.send_raw(p.local_tag, &pkt);
    // Key id 7 was never configured (§6.3).
    let pkt = p.auth_then(7, 1, &key, &data(100, b"y"));
    p.send_raw(p.local_tag, &pkt);
    // A key computed without the endpoint's vector.
    let pkt = p.auth_then(0, 1, b"guess", &data(100, b"z"));
    p.send_raw(p.local_tag, &pkt);
    p.advance_sack();
    assert!(p.messages().is_empty());
    let out = p.sent();
    assert!(out
        .iter()
        .all(|o| o.types().is_empty() || !o.types().contains(&3)));
    assert!(
        out.iter().all(|o| !o.types().contains(&9)),
        "no ERROR: {out:?}"
    );
}

#[test]
fn an_hmac_id_we_did_not_ask_for_gets_an_unsupported_hmac_identifier_error() {
    // We ask the peer for SHA-1 only; it uses SHA-256.
    let auth = AuthConfig {
        chunks: vec![chunk_type::DATA],
        hmac_algorithms: vec![HmacAlgorithm::Sha1],
    };
    let mut p = Peer::established(auth, &[], &[3, 1]);
    let key = p.key(b"");
    let pkt = p.auth_then(0, 3, &key, &data(100, b"x"));
    p.send_raw(p.local_tag, &pkt);
    assert!(p.messages().is_empty());
    let out = p.sent();
    let err = out
        .iter()
        .flat_map(|o| o.chunks.iter())
        .find(|c| c.0 == 9)
        .expect("ERROR chunk");
    // Unsupported HMAC Identifier (0x0105), length 6, id 3.
    assert_eq!(&err.1[..6], &[0x01, 0x05, 0, 6, 0, 3]);
}

#[test]
fn auth_before_cookie_echo_is_checked_with_the_cookies_parameters() {
    // The endpoint wants COOKIE ECHO and DATA authenticated.
    let auth = AuthConfig {
        chunks: vec![chunk_type::COOKIE_ECHO, chunk_type::DATA],
        ..AuthConfig::default()
    };
    let mut p = Peer::listening(auth);
    p.init(&[], &[1]);
    // A bare COOKIE ECHO: no association.
    let ce = p.cookie_echo_chunk();
    p.send_raw(p.local_tag, &ce);
    assert!(p.sent().is_empty());
    assert!(p.ep.associations().is_empty());
    // With a wrong HMAC: neither.
    let rest = [ce.clone(), data(100, b"first")].concat();
    let pkt = p.auth_then(0, 1, b"wrong", &rest);
    p.send_raw(p.local_tag, &pkt);
    assert!(p.ep.associations().is_empty());
    // AUTH, COOKIE ECHO, DATA (RFC 4895 §6.3): established, data delivered.
    let key = p.key(b"");
    let pkt = p.auth_then(0, 1, &key, &rest);
    p.send_raw(p.local_tag, &pkt);
    assert_eq!(p.ep.associations().len(), 1);
    let out = p.sent();
    assert_eq!(out[0].types()[0], 11, "COOKIE ACK: {out:?}");
    assert_eq!(p.messages(), vec![b"first".to_vec()]);
}

#[test]
fn chunks_the_peer_lists_are_sent_after_an_auth_chunk_with_a_valid_hmac() {
    // The peer asks for DATA authenticated with SHA-256 preferred.
    let mut p = Peer::established(AuthConfig::default(), &[chunk_type::DATA], &[3, 1]);
    let id = p.ep.associations()[0];
    assert_eq!(p.ep.peer_auth_chunks(id).unwrap(), vec![0]);
    // Only what ASCONF needs (RFC 5061 §4.2.7; offered by default).
    assert_eq!(
        p.ep.local_auth_chunks(id).unwrap(),
        vec![chunk_type::ASCONF_ACK, chunk_type::ASCONF]
    );
    // A message larger than one packet: every packet is full yet fits the
    // MTU with its AUTH chunk.
    let msg = vec![0xAB; 5000];
    p.ep.send(
        p.now,
        id,
        StreamId(0),
        Bytes::from(msg),
        SendOptions::default(),
    )
    .unwrap();
    let out = p.sent();
    assert!(!out.is_empty());
    let key = p.key(b"");
    for o in &out {
        assert!(o.bytes.len() <= 1200, "MTU: {}", o.bytes.len());
        assert_eq!(o.types()[0], chunk_type::AUTH, "{:?}", o.types());
        let (_, v, at) = &o.chunks[0];
        assert_eq!(&v[..4], &[0, 0, 0, 3], "key 0, HMAC-SHA-256");
        let mut region = o.bytes[*at..].to_vec();
        region[8..40].fill(0);
        assert_eq!(&v[4..36], hmac_sha256(&key, &[&region]).as_slice());
        assert_eq!(o.vtag, PEER_TAG);
    }
}

#[test]
fn a_client_sends_auth_then_cookie_echo_when_the_peer_requires_it() {
    let mut ep = Endpoint::new(EndpointConfig::default(), [3; 32]).unwrap();
    let now = Instant::from_millis(10);
    let cfg = AssociationConfig {
        auth: Some(AuthConfig::default()),
        ..AssociationConfig::default()
    };
    ep.connect(now, addr(PEER), 6000, cfg).unwrap();
    let mut buf = vec![0u8; 65536];
    let t = ep.poll_transmit(now, &mut buf).unwrap();
    let init_pkt = buf[..t.len].to_vec();
    let init_packet = Packet::new_checked(&init_pkt[..], ChecksumPolicy::Required).unwrap();
    let init_chunk = init_packet.chunks().next().unwrap().unwrap();
    // The endpoint's INIT is what its key vector comes from.
    let mut p = Peer::listening(AuthConfig::default());
    p.learn_init_ack(init_chunk.value);
    let ep_tag = p.local_tag;
    // The INIT ACK asks for COOKIE ECHO authenticated (SHA-1 only).
    let (mut params, vector) = peer_params(&[chunk_type::COOKIE_ECHO], &[1]);
    p.peer_vector = vector;
    params.push(Param::StateCookie(b"opaque cookie"));
    let ack = Chunk::InitAck(InitChunk {
        initiate_tag: PEER_TAG,
        a_rwnd: 65536,
        outbound_streams: 1,
        inbound_streams: 1,
        initial_tsn: Tsn(7),
        params: List::Items(&params),
    });
    let mut pkt = vec![0x17, 0x70, 0x13, 0x88];
    pkt.extend_from_slice(&ep_tag.to_be_bytes());
    pkt.extend_from_slice(&[0; 4]);
    pkt.extend(enc(&ack));
    let c = checksum(&pkt);
    pkt[8..12].copy_from_slice(&c.to_le_bytes());
    ep.handle_datagram(now, addr(PEER), Bytes::from(pkt));
    let t = ep.poll_transmit(now, &mut buf).unwrap();
    let out = &buf[..t.len];
    let p2 = Packet::new_checked(out, ChecksumPolicy::Required).unwrap();
    let chunks: Vec<_> = p2.chunks().map(|c| c.unwrap()).collect();
    assert_eq!(chunks[0].chunk_type, chunk_type::AUTH);
    assert_eq!(chunks[1].chunk_type, chunk_type::COOKIE_ECHO);
    assert_eq!(chunks[1].value, b"opaque cookie");
    let mut region = out[12..].to_vec();
    region[8..28].fill(0);
    assert_eq!(
        &chunks[0].value[4..24],
        hmac_sha1(&p.key(b""), &[&region]).as_slice()
    );
}

#[test]
fn a_random_that_is_not_32_bytes_aborts() {
    let mut p = Peer::listening(AuthConfig::default());
    let hm = [1u16];
    let params = [
        Param::Random(&PEER_RANDOM[..16]),
        Param::RequestedHmacAlgorithms(List::Items(&hm)),
    ];
    let init = init_chunk(&params);
    p.send_raw(0, &init);
    let out = p.sent();
    assert_eq!(out[0].types(), vec![6], "ABORT");
    // Protocol Violation (13).
    assert_eq!(&out[0].chunks[0].1[..2], &[0, 13]);
}

#[test]
fn a_peer_without_auth_gets_an_unauthenticated_association_and_a_no_auth_event() {
    let mut p = Peer::listening(data_required());
    let init = init_chunk(&[]);
    p.send_raw(0, &init);
    let out = p.sent();
    p.learn_init_ack(&out[0].chunks[0].1);
    let ce = p.cookie_echo_chunk();
    p.send_raw(p.local_tag, &[ce, data(100, b"plain")].concat());
    let ev = p.events();
    assert!(ev.contains(&Event::Authentication {
        key_id: 0,
        indication: AuthIndication::NoAuth
    }));
    assert!(ev.iter().any(|e| matches!(e, Event::Message { .. })));
}

#[test]
fn shared_keys_authenticate_and_a_new_key_is_reported() {
    let mut p = Peer::established(data_required(), &[], &[1]);
    let id = p.ep.associations()[0];
    p.ep.set_auth_key(Some(id), 4, b"pre-shared").unwrap();
    let key4 = p.key(b"pre-shared");
    let pkt = p.auth_then(4, 1, &key4, &data(100, b"with key 4"));
    p.send_raw(p.local_tag, &pkt);
    let ev = p.events();
    assert!(ev.contains(&Event::Authentication {
        key_id: 4,
        indication: AuthIndication::NewKey
    }));
    assert!(ev.iter().any(|e| matches!(e, Event::Message { .. })));
    // Key 0 cannot be deleted while active, nor before deactivation.
    assert!(p.ep.delete_auth_key(Some(id), 0).is_err());
    assert!(p.ep.deactivate_auth_key(Some(id), 0).is_err(), "active");
    p.ep.set_active_auth_key(Some(id), 4).unwrap();
    p.ep.deactivate_auth_key(Some(id), 0).unwrap();
    assert!(p.events().contains(&Event::Authentication {
        key_id: 0,
        indication: AuthIndication::FreeKey
    }));
    p.ep.delete_auth_key(Some(id), 0).unwrap();
    // The null key is gone: a packet authenticated with it is discarded.
    let key0 = p.key(b"");
    let pkt = p.auth_then(0, 1, &key0, &data(101, b"null key"));
    p.send_raw(p.local_tag, &pkt);
    assert!(p.messages().is_empty());
}

#[test]
fn a_sack_full_of_gap_blocks_still_fits_beside_its_auth_chunk() {
    // The peer wants SACK authenticated; 400 DATA chunks with every other
    // TSN missing make a SACK whose gap blocks would fill the whole packet
    // without room for the AUTH chunk.
    let mut p = Peer::established(AuthConfig::default(), &[chunk_type::SACK], &[3, 1]);
    for i in 0..400u32 {
        p.send_raw(p.local_tag, &data(101 + 2 * i, b"g"));
    }
    p.advance_sack();
    let sacks: Vec<Out> = p
        .sent()
        .into_iter()
        .filter(|o| o.types().contains(&chunk_type::SACK))
        .collect();
    assert!(!sacks.is_empty(), "a SACK is sent");
    for o in &sacks {
        assert!(o.bytes.len() <= 1200, "MTU: {}", o.bytes.len());
        assert_eq!(o.types()[0], chunk_type::AUTH);
        let sack = &o.chunks[1].1;
        let gaps = u16::from_be_bytes([sack[8], sack[9]]);
        assert!(gaps > 200, "the SACK reports many gaps: {gaps}");
    }
}
