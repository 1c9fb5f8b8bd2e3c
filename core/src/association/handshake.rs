//! Association setup (RFC 9260 §5): our INIT and INIT ACK, what we accept in
//! the peer's, the state cookie, and the collision cases of §5.2.

use std::net::{IpAddr, SocketAddr};

use crate::config::AssociationConfig;
use crate::types::{Tsn, VerificationTag};
use crate::wire::{self, chunk_type, ErrorCause, InitChunk, List, Param};

use super::auth::AuthParams;
use super::cookie::{CookieAuth, CookieContents, PeerCapabilities};

/// Error Detection Method Identifier for "SCTP over DTLS" (RFC 9653 §5).
pub(crate) const EDMID_DTLS: u32 = 1;

/// What the peer said in its INIT or INIT ACK, checked.
#[derive(Debug, Clone)]
pub(crate) struct PeerInit {
    pub tag: VerificationTag,
    pub a_rwnd: u32,
    pub outbound_streams: u16,
    pub max_inbound_streams: u16,
    pub initial_tsn: Tsn,
    pub caps: PeerCapabilities,
    pub adaptation: Option<u32>,
    /// Addresses listed in the chunk (§5.1.2), with the packet's source
    /// port.
    pub addresses: Vec<SocketAddr>,
    pub cookie: Option<Vec<u8>>,
    /// Unrecognized parameters to report, each a whole encoded TLV
    /// (§3.2.1).
    pub unrecognized: Vec<Vec<u8>>,
    pub cookie_preservative_ms: u32,
    /// The peer's SCTP-AUTH parameters (RFC 4895), if it uses AUTH.
    pub auth: Option<AuthParams>,
}

/// Why an INIT or INIT ACK is refused (answered with ABORT, §5.1 / §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitReject {
    /// A mandatory field is invalid (zero tag, zero streams):
    /// "Invalid Mandatory Parameter" (§3.3.10.7).
    InvalidMandatory,
    /// A host name address: "Unresolvable Address" (§5.1.2 / §3.3.10.5).
    HostName,
    /// The packet is malformed.
    Malformed,
    /// An INIT ACK without a State Cookie: "Missing Mandatory Parameter"
    /// (§3.3.10.2).
    MissingCookie,
    /// Unusable SCTP-AUTH parameters (RFC 4895 §6.1): a Protocol
    /// Violation.
    Auth(&'static str),
}

/// The first Host Name Address parameter of `init`, encoded (the content
/// of an "Unresolvable Address" cause, §3.3.10.5); empty if none.
pub(crate) fn host_name_tlv(init: &InitChunk<'_>) -> Vec<u8> {
    let Some(p) = init
        .params
        .iter()
        .flatten()
        .find(|p| matches!(p, Param::HostNameAddress(_)))
    else {
        return Vec::new();
    };
    let len = p.encoded_len();
    let mut bytes = vec![0u8; super::output::pad4(len)];
    p.emit(&mut bytes);
    bytes.truncate(len);
    bytes
}

/// Checks the peer's INIT / INIT ACK (RFC 9260 §3.3.2, §3.3.3, §5.1).
pub(crate) fn parse_peer_init(
    init: &InitChunk<'_>,
    source: SocketAddr,
    is_init_ack: bool,
) -> Result<PeerInit, InitReject> {
    // §3.3.2: Initiate Tag, OS and MIS must not be 0.
    if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
        return Err(InitReject::InvalidMandatory);
    }
    let mut p = PeerInit {
        tag: VerificationTag(init.initiate_tag),
        a_rwnd: init.a_rwnd,
        outbound_streams: init.outbound_streams,
        max_inbound_streams: init.inbound_streams,
        initial_tsn: init.initial_tsn,
        caps: PeerCapabilities::default(),
        adaptation: None,
        addresses: vec![source],
        cookie: None,
        unrecognized: Vec::new(),
        cookie_preservative_ms: 0,
        auth: None,
    };
    // RFC 4895 §3: RANDOM, CHUNKS, HMAC-ALGO (the first of each counts).
    let (mut random, mut chunks, mut hmacs) = (None, None, None);
    let mut supported_families: Option<(bool, bool)> = None;
    'params: for param in init.params.iter() {
        let param = param.map_err(|_| InitReject::Malformed)?;
        match param {
            Param::Address(ip) => {
                let a = SocketAddr::new(ip, source.port());
                if usable_peer_address(ip, source.ip())
                    && !p.addresses.contains(&a)
                    && p.addresses.len() < 16
                {
                    p.addresses.push(a);
                }
            }
            Param::HostNameAddress(_) => return Err(InitReject::HostName),
            Param::SupportedAddressTypes(list) => {
                let mut v4 = false;
                let mut v6 = false;
                for t in list.iter().flatten() {
                    v4 |= t == 5;
                    v6 |= t == 6;
                }
                supported_families = Some((v4, v6));
            }
            Param::CookiePreservative(ms) => p.cookie_preservative_ms = ms,
            Param::StateCookie(c) if is_init_ack => {
                if c.len() > 4096 {
                    return Err(InitReject::Malformed);
                }
                p.cookie = Some(c.to_vec());
            }
            Param::ForwardTsnSupported => p.caps.forward_tsn = true,
            Param::SupportedExtensions(types) => {
                for &t in types {
                    match t {
                        chunk_type::FORWARD_TSN => p.caps.forward_tsn = true,
                        chunk_type::I_DATA => p.caps.i_data = true,
                        chunk_type::RE_CONFIG => p.caps.reconfig = true,
                        chunk_type::ASCONF => p.caps.asconf = true,
                        _ => {}
                    }
                }
            }
            Param::ZeroChecksumAcceptable { edmid } => {
                p.caps.zero_checksum = edmid == EDMID_DTLS;
            }
            Param::AdaptationLayerIndication(v) => p.adaptation = Some(v),
            Param::Random(r) => random = random.or(Some(r)),
            Param::ChunkList(c) => chunks = chunks.or(Some(c)),
            Param::RequestedHmacAlgorithms(wire::List::Raw(h)) => hmacs = hmacs.or(Some(h)),
            Param::EcnCapable | Param::RequestedHmacAlgorithms(_) => {}
            Param::Unknown { param_type, value } => {
                let action = wire::UnrecognizedAction::for_param(param_type);
                if action.reports() && p.unrecognized.len() < 16 && value.len() <= 1024 {
                    // §3.2.2: report the whole parameter.
                    let tlv = Param::Unknown { param_type, value };
                    let mut bytes = vec![0u8; super::output::pad4(tlv.encoded_len())];
                    tlv.emit(&mut bytes);
                    bytes.truncate(tlv.encoded_len());
                    p.unrecognized.push(bytes);
                }
                if !action.continues() {
                    // RFC 9260 §3.2.1: 00 and 01 stop processing this
                    // parameter and the ones after it in the chunk; the
                    // chunk itself is still processed (the INIT is
                    // answered, the INIT ACK accepted if it is complete).
                    break 'params;
                }
            }
            _ => {}
        }
    }
    if let Some((v4, v6)) = supported_families {
        // §5.1.2 C: only addresses of the families the peer supports.
        p.addresses
            .retain(|a| (a.is_ipv4() && v4) || (a.is_ipv6() && v6) || *a == source);
    }
    p.auth = AuthParams::from_peer(random, chunks, hmacs).map_err(|e| InitReject::Auth(e.0))?;
    if is_init_ack && p.cookie.is_none() {
        // §5.1: the State Cookie is mandatory in INIT ACK (a "Missing
        // Mandatory Parameter" error).
        return Err(InitReject::MissingCookie);
    }
    Ok(p)
}

/// The extensions we list in Supported Extensions (RFC 5061 §4.2.7).
fn our_extensions(cfg: &AssociationConfig, buf: &mut [u8; 8]) -> usize {
    let mut n = 0;
    if cfg.partial_reliability {
        buf[n] = chunk_type::FORWARD_TSN;
        n += 1;
    }
    if cfg.i_data {
        buf[n] = chunk_type::I_DATA;
        n += 1;
        if cfg.partial_reliability {
            buf[n] = chunk_type::I_FORWARD_TSN;
            n += 1;
        }
    }
    if cfg.reconfig {
        buf[n] = chunk_type::RE_CONFIG;
        n += 1;
    }
    if cfg.auth.is_some() {
        // RFC 4895 §3 / RFC 5061 §4.2.7.
        buf[n] = chunk_type::AUTH;
        n += 1;
        if cfg.asconf {
            // RFC 5061 §4.2.7: both chunk types are listed, and only with
            // AUTH (ASCONF must be authenticated, §4.1.1).
            buf[n] = chunk_type::ASCONF;
            buf[n + 1] = chunk_type::ASCONF_ACK;
            n += 2;
        }
    }
    n
}

/// Encodes our INIT (`cookie == None`) or INIT ACK chunk.
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_init(
    cfg: &AssociationConfig,
    tag: VerificationTag,
    initial_tsn: Tsn,
    outbound_streams: u16,
    local_addresses: &[IpAddr],
    cookie: Option<&[u8]>,
    unrecognized: &[Vec<u8>],
    auth: Option<&AuthParams>,
) -> Vec<u8> {
    let mut ext = [0u8; 8];
    let n = our_extensions(cfg, &mut ext);
    let mut params: Vec<Param<'_>> =
        Vec::with_capacity(8 + local_addresses.len() + unrecognized.len());
    // Unrecognized parameters of the peer's INIT travel as Unrecognized
    // Parameter parameters in the INIT ACK (§3.3.3). They come first, in
    // the order the INIT listed them, before the State Cookie: §3.3.3 fixes
    // no order, and this is what FreeBSD sends (ETSI TS 102 369
    // sctp-as-i-1-8-*).
    for u in unrecognized {
        params.push(Param::UnrecognizedParameter(u));
    }
    if let Some(c) = cookie {
        params.push(Param::StateCookie(c));
    }
    for ip in local_addresses {
        params.push(Param::Address(*ip));
    }
    if cfg.partial_reliability {
        params.push(Param::ForwardTsnSupported);
    }
    if n > 0 {
        params.push(Param::SupportedExtensions(&ext[..n]));
    }
    if cfg.zero_checksum {
        params.push(Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS });
    }
    if let Some(a) = cfg.adaptation_indication {
        params.push(Param::AdaptationLayerIndication(a));
    }
    // RFC 4895 §3, §6.1: RANDOM, CHUNKS (omitted when empty), HMAC-ALGO.
    if let Some(a) = auth {
        params.push(Param::Random(&a.random));
        if let Some(c) = &a.chunks {
            params.push(Param::ChunkList(c));
        }
        params.push(Param::RequestedHmacAlgorithms(List::Items(&a.hmacs)));
    }
    let chunk = InitChunk {
        initiate_tag: tag.0,
        a_rwnd: cfg.receive_buffer,
        outbound_streams,
        inbound_streams: cfg.max_inbound_streams,
        initial_tsn,
        params: List::Items(&params),
    };
    let c = if cookie.is_some() {
        wire::Chunk::InitAck(chunk)
    } else {
        wire::Chunk::Init(chunk)
    };
    super::input::encode_simple(c)
}

/// Encodes a chunk carrying one error cause (ABORT or ERROR).
pub(crate) fn encode_with_cause(
    abort: bool,
    t_bit: bool,
    cause: Option<ErrorCause<'_>>,
) -> Vec<u8> {
    let causes = cause.as_slice();
    let c = if abort {
        wire::Chunk::Abort(wire::AbortChunk {
            reflected_tag: t_bit,
            causes: List::Items(causes),
        })
    } else {
        wire::Chunk::Error(wire::ErrorChunk {
            causes: List::Items(causes),
        })
    };
    super::input::encode_simple(c)
}

/// The negotiated number of streams (§5.1.1): ours is at most what the peer
/// accepts, and theirs at most what we accept.
pub(crate) fn negotiate_streams(cfg: &AssociationConfig, peer: &PeerInit) -> (u16, u16) {
    (
        cfg.outbound_streams.min(peer.max_inbound_streams),
        peer.outbound_streams.min(cfg.max_inbound_streams),
    )
}

/// The cookie for an INIT we answer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn make_cookie(
    cfg: &AssociationConfig,
    local_auth: Option<&AuthParams>,
    now: crate::Instant,
    peer: &PeerInit,
    local_tag: VerificationTag,
    local_initial_tsn: Tsn,
    tie_tags: (VerificationTag, VerificationTag),
    local_port: u16,
    peer_port: u16,
) -> CookieContents {
    let (outbound, inbound) = negotiate_streams(cfg, peer);
    // §5.1.3 / §3.3.2.1: honour a Cookie Preservative, bounded.
    let extra = peer.cookie_preservative_ms.min(60_000);
    let lifetime = cfg
        .cookie_lifetime
        .as_millis()
        .min(u128::from(u32::MAX - 60_000)) as u32
        + extra;
    CookieContents {
        created: now,
        lifetime_ms: lifetime,
        local_tag,
        peer_tag: peer.tag,
        local_initial_tsn,
        peer_initial_tsn: peer.initial_tsn,
        peer_rwnd: peer.a_rwnd,
        outbound_streams: outbound,
        inbound_streams: inbound,
        local_tie_tag: tie_tags.0,
        peer_tie_tag: tie_tags.1,
        peer_port,
        local_port,
        capabilities: peer.caps,
        peer_adaptation: peer.adaptation,
        peer_addresses: peer.addresses.clone(),
        // RFC 4895 §6.3: the cookie carries both sides' parameters (never
        // a shared key, §6.3), so the association it builds can check an
        // AUTH bundled with the COOKIE ECHO.
        auth: match (local_auth, &peer.auth) {
            (Some(l), Some(p)) => Some(CookieAuth {
                local: l.clone(),
                peer: p.clone(),
            }),
            _ => None,
        },
    }
}

/// Whether a peer address listed in INIT / INIT ACK can become a path.
///
/// The core does not know the host's local addresses, so it only adopts
/// addresses of the family the packet came from (RFC 9260 §5.1.2 C lets a
/// receiver ignore families it cannot use), and never unspecified,
/// multicast, broadcast or IPv6 link-local ones, which no UDP
/// encapsulation (RFC 6951) path could reach without a scope.
pub(crate) fn usable_peer_address(ip: IpAddr, source: IpAddr) -> bool {
    if ip.is_unspecified() || ip.is_multicast() || ip.is_ipv4() != source.is_ipv4() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => !v4.is_broadcast(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reachable_addresses_of_the_source_family_become_paths() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(usable_peer_address("192.0.2.9".parse().unwrap(), v4));
        assert!(!usable_peer_address(v6, v4));
        assert!(!usable_peer_address("fe80::1".parse().unwrap(), v6));
        assert!(usable_peer_address("2001:db8::2".parse().unwrap(), v6));
        assert!(!usable_peer_address("255.255.255.255".parse().unwrap(), v4));
        assert!(!usable_peer_address("224.0.0.1".parse().unwrap(), v4));
        assert!(!usable_peer_address("0.0.0.0".parse().unwrap(), v4));
    }
}
