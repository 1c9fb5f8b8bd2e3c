//! Round-trip property tests for every chunk, parameter and cause, and
//! robustness tests of the parsers on arbitrary bytes.

use core::net::IpAddr;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;

use super::*;
use crate::types::{Fsn, GapAckBlock, Mid, Ppid, Ssn, StreamId, Tsn, VerificationTag};
use crate::wire::cause::ErrorCause;
use crate::wire::list::{ForwardTsnStream, IForwardTsnStream, List, ListItem};
use crate::wire::packet::{ChecksumMode, ChecksumPolicy, Packet, PacketWriter};
use crate::wire::param::{param_type, Param};

// Test-only: leaking gives the `'static` borrows the reprs hold.
fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn bytes(max: usize) -> impl Strategy<Value = &'static [u8]> {
    vec(any::<u8>(), 0..max).prop_map(leak)
}

fn list<T: Strategy>(s: T, max: usize) -> impl Strategy<Value = List<'static, T::Value>>
where
    T::Value: ListItem<'static> + core::fmt::Debug + 'static,
{
    vec(s, 0..max).prop_map(|v| List::Items(leak(v)))
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from)
    ]
}

fn tsn() -> impl Strategy<Value = Tsn> {
    any::<u32>().prop_map(Tsn)
}

fn is_known_cause(c: u16) -> bool {
    !matches!(
        ErrorCause::parse(c, &[0; 4]),
        Ok(ErrorCause::Unknown { .. })
    )
}

pub(crate) fn cause() -> BoxedStrategy<ErrorCause<'static>> {
    use ErrorCause as E;
    Union::new(vec![
        any::<u16>()
            .prop_map(|s| E::InvalidStreamIdentifier(StreamId(s)))
            .boxed(),
        list(any::<u16>(), 6)
            .prop_map(E::MissingMandatoryParameter)
            .boxed(),
        any::<u32>().prop_map(E::StaleCookie).boxed(),
        Just(E::OutOfResource).boxed(),
        bytes(24).prop_map(E::UnresolvableAddress).boxed(),
        bytes(24).prop_map(E::UnrecognizedChunkType).boxed(),
        Just(E::InvalidMandatoryParameter).boxed(),
        bytes(24).prop_map(E::UnrecognizedParameters).boxed(),
        tsn().prop_map(E::NoUserData).boxed(),
        Just(E::CookieReceivedWhileShuttingDown).boxed(),
        bytes(24).prop_map(E::RestartWithNewAddresses).boxed(),
        bytes(24).prop_map(E::UserInitiatedAbort).boxed(),
        bytes(24).prop_map(E::ProtocolViolation).boxed(),
        any::<u16>().prop_map(E::UnsupportedHmacIdentifier).boxed(),
        bytes(24).prop_map(E::DeleteLastRemainingAddress).boxed(),
        bytes(24).prop_map(E::ResourceShortage).boxed(),
        bytes(24).prop_map(E::DeleteSourceAddress).boxed(),
        bytes(24).prop_map(E::IllegalAsconfAck).boxed(),
        bytes(24).prop_map(E::NoAuthorization).boxed(),
        (
            any::<u16>().prop_filter("unknown", |c| !is_known_cause(*c)),
            bytes(24),
        )
            .prop_map(|(cause_code, value)| E::Unknown { cause_code, value })
            .boxed(),
    ])
    .boxed()
}

fn is_known_param(t: u16) -> bool {
    !matches!(Param::parse(t, &[0; 64]), Ok(Param::Unknown { .. }))
}

pub(crate) fn param() -> BoxedStrategy<Param<'static>> {
    use Param as P;
    let streams = || list(any::<u16>().prop_map(StreamId), 8);
    Union::new(vec![
        bytes(32).prop_map(P::HeartbeatInfo).boxed(),
        ip().prop_map(P::Address).boxed(),
        bytes(32).prop_map(P::StateCookie).boxed(),
        bytes(32).prop_map(P::UnrecognizedParameter).boxed(),
        any::<u32>().prop_map(P::CookiePreservative).boxed(),
        bytes(32).prop_map(P::HostNameAddress).boxed(),
        list(any::<u16>(), 4)
            .prop_map(P::SupportedAddressTypes)
            .boxed(),
        (any::<u32>(), any::<u32>(), tsn(), streams())
            .prop_map(
                |(request_seq, response_seq, last_tsn, streams)| P::OutgoingSsnResetRequest {
                    request_seq,
                    response_seq,
                    last_tsn,
                    streams,
                },
            )
            .boxed(),
        (any::<u32>(), streams())
            .prop_map(|(request_seq, streams)| P::IncomingSsnResetRequest {
                request_seq,
                streams,
            })
            .boxed(),
        any::<u32>()
            .prop_map(|request_seq| P::SsnTsnResetRequest { request_seq })
            .boxed(),
        (
            any::<u32>(),
            any::<u32>(),
            proptest::option::of((tsn(), tsn())),
        )
            .prop_map(|(response_seq, result, next_tsns)| P::ReconfigResponse {
                response_seq,
                result,
                next_tsns,
            })
            .boxed(),
        (any::<u32>(), any::<u16>())
            .prop_map(|(request_seq, new_streams)| P::AddOutgoingStreams {
                request_seq,
                new_streams,
            })
            .boxed(),
        (any::<u32>(), any::<u16>())
            .prop_map(|(request_seq, new_streams)| P::AddIncomingStreams {
                request_seq,
                new_streams,
            })
            .boxed(),
        Just(P::EcnCapable).boxed(),
        any::<u32>()
            .prop_map(|edmid| P::ZeroChecksumAcceptable { edmid })
            .boxed(),
        bytes(32).prop_map(P::Random).boxed(),
        bytes(8).prop_map(P::ChunkList).boxed(),
        list(any::<u16>(), 4)
            .prop_map(P::RequestedHmacAlgorithms)
            .boxed(),
        bytes(8).prop_map(P::SupportedExtensions).boxed(),
        Just(P::ForwardTsnSupported).boxed(),
        (any::<u32>(), ip())
            .prop_map(|(correlation_id, address)| P::AddIpAddress {
                correlation_id,
                address,
            })
            .boxed(),
        (any::<u32>(), ip())
            .prop_map(|(correlation_id, address)| P::DeleteIpAddress {
                correlation_id,
                address,
            })
            .boxed(),
        (any::<u32>(), list(cause(), 3))
            .prop_map(|(correlation_id, causes)| P::ErrorCauseIndication {
                correlation_id,
                causes,
            })
            .boxed(),
        (any::<u32>(), ip())
            .prop_map(|(correlation_id, address)| P::SetPrimaryAddress {
                correlation_id,
                address,
            })
            .boxed(),
        any::<u32>()
            .prop_map(|correlation_id| P::SuccessIndication { correlation_id })
            .boxed(),
        any::<u32>().prop_map(P::AdaptationLayerIndication).boxed(),
        (
            any::<u16>().prop_filter("unknown", |t| !is_known_param(*t)),
            bytes(24),
        )
            .prop_map(|(param_type, value)| P::Unknown { param_type, value })
            .boxed(),
    ])
    .boxed()
}

fn data() -> impl Strategy<Value = DataChunk<'static>> {
    (
        tsn(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<[bool; 4]>(),
        bytes(64),
    )
        .prop_map(|(tsn, s, ssn, ppid, [u, b, e, i], payload)| DataChunk {
            tsn,
            stream: StreamId(s),
            ssn: Ssn(ssn),
            ppid: Ppid(ppid),
            unordered: u,
            beginning: b,
            ending: e,
            immediate_sack: i,
            payload,
        })
}

fn idata() -> impl Strategy<Value = IDataChunk<'static>> {
    (
        tsn(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        any::<[bool; 4]>(),
        bytes(64),
    )
        .prop_map(|(tsn, s, mid, word, [u, b, e, i], payload)| IDataChunk {
            tsn,
            stream: StreamId(s),
            mid: Mid(mid),
            // Canonical form: PPID on the first fragment, FSN on the others.
            ppid: Ppid(if b { word } else { 0 }),
            fsn: Fsn(if b { 0 } else { word }),
            unordered: u,
            beginning: b,
            ending: e,
            immediate_sack: i,
            payload,
        })
}

fn init() -> impl Strategy<Value = InitChunk<'static>> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        tsn(),
        list(param(), 5),
    )
        .prop_map(
            |(initiate_tag, a_rwnd, outbound_streams, inbound_streams, initial_tsn, params)| {
                InitChunk {
                    initiate_tag,
                    a_rwnd,
                    outbound_streams,
                    inbound_streams,
                    initial_tsn,
                    params,
                }
            },
        )
}

fn is_known_chunk(t: u8) -> bool {
    !matches!(
        Chunk::parse(&crate::wire::RawChunk {
            chunk_type: t,
            flags: 0,
            value: &[0; 64],
            offset: 0
        }),
        Ok(Chunk::Unknown(_))
    )
}

pub(crate) fn chunk() -> BoxedStrategy<Chunk<'static>> {
    let gap = (any::<u16>(), any::<u16>()).prop_map(|(start, end)| GapAckBlock { start, end });
    Union::new(vec![
        data().prop_map(Chunk::Data).boxed(),
        init().prop_map(Chunk::Init).boxed(),
        init().prop_map(Chunk::InitAck).boxed(),
        (tsn(), any::<u32>(), list(gap, 20), list(tsn(), 10))
            .prop_map(|(cum_tsn_ack, a_rwnd, gap_blocks, duplicate_tsns)| {
                Chunk::Sack(SackChunk {
                    cum_tsn_ack,
                    a_rwnd,
                    gap_blocks,
                    duplicate_tsns,
                })
            })
            .boxed(),
        bytes(40)
            .prop_map(|info| Chunk::Heartbeat(HeartbeatChunk { info }))
            .boxed(),
        bytes(40)
            .prop_map(|info| Chunk::HeartbeatAck(HeartbeatChunk { info }))
            .boxed(),
        (any::<bool>(), list(cause(), 4))
            .prop_map(|(reflected_tag, causes)| {
                Chunk::Abort(AbortChunk {
                    reflected_tag,
                    causes,
                })
            })
            .boxed(),
        tsn()
            .prop_map(|cum_tsn_ack| Chunk::Shutdown(ShutdownChunk { cum_tsn_ack }))
            .boxed(),
        Just(Chunk::ShutdownAck).boxed(),
        list(cause(), 4)
            .prop_map(|causes| Chunk::Error(ErrorChunk { causes }))
            .boxed(),
        bytes(80)
            .prop_map(|cookie| Chunk::CookieEcho(CookieEchoChunk { cookie }))
            .boxed(),
        Just(Chunk::CookieAck).boxed(),
        tsn()
            .prop_map(|lowest_tsn| Chunk::Ecne(EcneChunk { lowest_tsn }))
            .boxed(),
        tsn()
            .prop_map(|lowest_tsn| Chunk::Cwr(CwrChunk { lowest_tsn }))
            .boxed(),
        any::<bool>()
            .prop_map(|reflected_tag| {
                Chunk::ShutdownComplete(ShutdownCompleteChunk { reflected_tag })
            })
            .boxed(),
        (any::<u16>(), any::<u16>(), bytes(40))
            .prop_map(|(shared_key_id, hmac_id, hmac)| {
                Chunk::Auth(AuthChunk {
                    shared_key_id,
                    hmac_id,
                    hmac,
                })
            })
            .boxed(),
        idata().prop_map(Chunk::IData).boxed(),
        (
            tsn(),
            list(
                (any::<u16>(), any::<u16>()).prop_map(|(s, n)| ForwardTsnStream {
                    stream: StreamId(s),
                    ssn: Ssn(n),
                }),
                8,
            ),
        )
            .prop_map(|(new_cum_tsn, streams)| {
                Chunk::ForwardTsn(ForwardTsnChunk {
                    new_cum_tsn,
                    streams,
                })
            })
            .boxed(),
        (
            tsn(),
            list(
                (any::<u16>(), any::<bool>(), any::<u32>()).prop_map(|(s, unordered, m)| {
                    IForwardTsnStream {
                        stream: StreamId(s),
                        unordered,
                        mid: Mid(m),
                    }
                }),
                8,
            ),
        )
            .prop_map(|(new_cum_tsn, streams)| {
                Chunk::IForwardTsn(IForwardTsnChunk {
                    new_cum_tsn,
                    streams,
                })
            })
            .boxed(),
        list(param(), 3)
            .prop_map(|params| Chunk::ReConfig(ReConfigChunk { params }))
            .boxed(),
        (any::<u32>(), ip(), list(param(), 4))
            .prop_map(|(serial, address, params)| {
                Chunk::Asconf(AsconfChunk {
                    serial,
                    address,
                    params,
                })
            })
            .boxed(),
        (any::<u32>(), list(param(), 4))
            .prop_map(|(serial, params)| Chunk::AsconfAck(AsconfAckChunk { serial, params }))
            .boxed(),
        (0usize..100)
            .prop_map(|padding_len| Chunk::Pad(PadChunk { padding_len }))
            .boxed(),
        (
            any::<u8>().prop_filter("unknown", |t| !is_known_chunk(*t)),
            any::<u8>(),
            bytes(40),
        )
            .prop_map(|(chunk_type, flags, value)| {
                Chunk::Unknown(UnknownChunk {
                    chunk_type,
                    flags,
                    value,
                })
            })
            .boxed(),
    ])
    .boxed()
}

/// Parses everything reachable from a chunk, nested lists included, and
/// returns how many items were visited (so the work cannot be optimised out).
pub(crate) fn walk_chunk(c: &Chunk<'_>) -> usize {
    fn causes<'a>(l: &List<'a, ErrorCause<'a>>) -> usize {
        l.iter()
            .map(|c| match c {
                Ok(ErrorCause::MissingMandatoryParameter(l)) => 1 + l.iter().count(),
                _ => 1,
            })
            .sum()
    }
    fn params<'a>(l: &List<'a, Param<'a>>) -> usize {
        l.iter()
            .map(|p| match p {
                Ok(Param::ErrorCauseIndication { causes: c, .. }) => 1 + causes(&c),
                Ok(Param::SupportedAddressTypes(l) | Param::RequestedHmacAlgorithms(l)) => {
                    1 + l.iter().count()
                }
                Ok(
                    Param::OutgoingSsnResetRequest { streams, .. }
                    | Param::IncomingSsnResetRequest { streams, .. },
                ) => 1 + streams.iter().count(),
                _ => 1,
            })
            .sum()
    }
    match c {
        Chunk::Init(i) | Chunk::InitAck(i) => params(&i.params),
        Chunk::Sack(s) => s.gap_blocks().count() + s.duplicate_tsns().count(),
        Chunk::Abort(a) => causes(&a.causes),
        Chunk::Error(e) => causes(&e.causes),
        Chunk::ForwardTsn(f) => f.streams().count(),
        Chunk::IForwardTsn(f) => f.streams().count(),
        Chunk::ReConfig(r) => params(&r.params),
        Chunk::Asconf(a) => params(&a.params),
        Chunk::AsconfAck(a) => params(&a.params),
        _ => 1,
    }
}

fn emit_packet(chunks: &[Chunk<'_>], buf: &mut [u8]) -> usize {
    let mut w = PacketWriter::new(buf, 5000, 5001, VerificationTag(0xdead_beef)).unwrap();
    for c in chunks {
        w.push(c).unwrap();
    }
    w.finish(ChecksumMode::Compute)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn chunk_round_trip(c in chunk()) {
        let mut buf = vec![0xAAu8; 70_000];
        let n = emit_packet(&[c], &mut buf);
        prop_assert_eq!(n, 12 + crate::wire::codec::pad4(c.encoded_len()));
        let p = Packet::new_checked(&buf[..n], ChecksumPolicy::Required).unwrap();
        let raws: Vec<_> = p.chunks().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(raws.len(), 1);
        prop_assert_eq!(raws[0].value.len() + 4, c.encoded_len());
        prop_assert_eq!(raws[0].flags, c.flags());
        let parsed = Chunk::parse(&raws[0]).unwrap();
        prop_assert_eq!(parsed, c);
        prop_assert_eq!(walk_chunk(&parsed), walk_chunk(&c));
    }

    #[test]
    fn bundle_round_trip(cs in vec(chunk(), 1..6)) {
        let mut buf = vec![0u8; 70_000 * 6];
        let n = emit_packet(&cs, &mut buf);
        let p = Packet::new_checked(&buf[..n], ChecksumPolicy::Required).unwrap();
        let parsed: Vec<_> = p.chunks().map(|r| Chunk::parse(&r.unwrap()).unwrap()).collect();
        prop_assert_eq!(parsed, cs);
    }

    #[test]
    fn param_round_trip(p in param()) {
        let mut buf = vec![0xAAu8; 1024];
        let n = p.emit(&mut buf);
        prop_assert_eq!(n % 4, 0);
        let (parsed, used) = Param::parse_item(&buf[..n]);
        prop_assert_eq!(used, n);
        prop_assert_eq!(parsed.unwrap(), p);
        // Also as the last item of a list whose padding is left out.
        let (parsed, _) = Param::parse_item(&buf[..p.encoded_len()]);
        prop_assert_eq!(parsed.unwrap(), p);
    }

    #[test]
    fn cause_round_trip(c in cause()) {
        let mut buf = vec![0xAAu8; 1024];
        let n = c.emit(&mut buf);
        let (parsed, used) = ErrorCause::parse_item(&buf[..n]);
        prop_assert_eq!(used, n);
        prop_assert_eq!(parsed.unwrap(), c);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..600)) {
        for policy in [ChecksumPolicy::Skip, ChecksumPolicy::Required, ChecksumPolicy::ZeroAcceptable] {
            if let Ok(p) = Packet::new_checked(&data[..], policy) {
                let _ = p.check_bundling();
                for raw in p.chunks() {
                    if let Ok(c) = Chunk::parse(&raw.unwrap()) {
                        walk_chunk(&c);
                        let _ = format!("{c:?}");
                    }
                }
            }
        }
        let p = Packet::new_unchecked(&data[..]);
        let _ = (p.src_port(), p.verification_tag(), p.checksum(), format!("{p:?}"));
        for item in List::<Param>::Raw(&data).iter().chain(List::<Param>::Raw(data.get(1..).unwrap_or(&[])).iter()) {
            let _ = item;
        }
        for item in List::<ErrorCause>::Raw(&data).iter() {
            let _ = item;
        }
    }

    /// Well-framed chunks of any type with arbitrary values: reaches every
    /// typed parser with garbage.
    #[test]
    fn arbitrary_chunk_values_never_panic(
        chunks in vec((any::<u8>(), any::<u8>(), vec(any::<u8>(), 0..120)), 1..5),
        pick in vec(0u8..24, 0..5),
    ) {
        const TYPES: [u8; 24] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 64, 0x80, 130, 0x84, 192, 0xC1, 194, 0xFF];
        let mut buf = vec![0u8; 12];
        for (i, (t, flags, value)) in chunks.iter().enumerate() {
            let t = pick.get(i).map(|&k| TYPES[usize::from(k)]).unwrap_or(*t);
            buf.extend_from_slice(&[t, *flags]);
            buf.extend_from_slice(&((value.len() + 4) as u16).to_be_bytes());
            buf.extend_from_slice(value);
            while buf.len() % 4 != 0 {
                buf.push(0);
            }
        }
        let c = crate::wire::checksum(&buf);
        buf[8..12].copy_from_slice(&c.to_le_bytes());
        let p = Packet::new_checked(&buf[..], ChecksumPolicy::Required).unwrap();
        let _ = p.check_bundling();
        for raw in p.chunks() {
            if let Ok(c) = Chunk::parse(&raw.unwrap()) {
                walk_chunk(&c);
                let _ = format!("{c:?}");
            }
        }
    }
}

#[test]
fn param_type_constants_are_recognised() {
    for t in [
        param_type::IPV4_ADDRESS,
        param_type::ZERO_CHECKSUM_ACCEPTABLE,
        param_type::ADD_IP_ADDRESS,
    ] {
        assert!(is_known_param(t));
    }
    assert!(!is_known_param(0x7777));
}
