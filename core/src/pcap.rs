//! Packet captures, sans-IO: classic libpcap files as bytes, and SCTP over
//! UDP (RFC 6951) wrapped in IPv4 or IPv6 headers so that Wireshark and
//! tshark can dissect what the core sends and receives.
//!
//! Writing: [`PcapWriter`] emits the libpcap global header and one record per
//! packet, into a `Vec<u8>` or any [`std::io::Write`]; [`encapsulate_udp`]
//! builds the IP + UDP datagram around an SCTP packet. Reading:
//! [`PcapReader`] iterates over the records of a capture held in memory, and
//! [`link_payload`] + [`decapsulate_udp`] give the SCTP bytes back.
//!
//! The format is the classic one (magic `0xa1b2c3d4`, microsecond
//! timestamps), readable by every pcap tool; pcapng is not produced. The
//! reader also accepts the byte-swapped and nanosecond variants.

use core::fmt;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::time::Instant;

/// The UDP port IANA assigned to SCTP over UDP (RFC 6951 §5.1).
pub const SCTP_UDP_PORT: u16 = 9899;

/// Largest packet a record holds in full (the capture's snapshot length).
pub const SNAPLEN: u32 = 65_535;

/// Largest record the reader accepts, whatever the capture's header says.
const MAX_SNAPLEN: u32 = 262_144;
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
const IPV4_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
const UDP_HEADER_LEN: usize = 8;
const ETHERNET_HEADER_LEN: usize = 14;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const IPPROTO_UDP: u8 = 17;
/// Hop limit / TTL of the IP headers we build.
const TTL: u8 = 64;

/// The link-layer header type of a capture (tcpdump.org LINKTYPE values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// `LINKTYPE_ETHERNET` (1): each record starts with a 14-byte Ethernet
    /// header.
    Ethernet,
    /// `LINKTYPE_RAW` (101): each record is an IPv4 or IPv6 packet.
    Raw,
}

impl LinkType {
    /// The LINKTYPE number written in the global header.
    pub const fn code(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
        }
    }

    /// The link type with LINKTYPE number `code`, if this module knows it.
    /// `DLT_RAW`'s platform values 12 and 14 are taken as [`LinkType::Raw`].
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            1 => Some(LinkType::Ethernet),
            101 | 12 | 14 => Some(LinkType::Raw),
            _ => None,
        }
    }
}

/// Why a capture or a captured packet could not be read, or a datagram not
/// built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// Fewer than 24 bytes: no global header.
    #[error("capture shorter than the 24-byte pcap global header")]
    TruncatedHeader,
    /// The first four bytes are no libpcap magic number (pcapng is not read).
    #[error("not a classic pcap capture (magic {0:#010x})")]
    BadMagic(u32),
    /// A record header or its data runs past the end of the capture.
    #[error("record truncated at byte offset {0}")]
    TruncatedRecord(usize),
    /// A record claims more captured bytes than the snapshot length allows
    /// (or more than 256 KiB).
    #[error("record at byte offset {0} is longer than the snapshot length")]
    RecordTooLong(usize),
    /// The link type is neither Ethernet nor raw IP.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u32),
    /// The Ethernet frame carries neither IPv4 nor IPv6.
    #[error("unsupported EtherType {0:#06x}")]
    UnsupportedEtherType(u16),
    /// The IP header is cut short or its length fields are inconsistent.
    #[error("malformed IP header")]
    BadIpHeader,
    /// The IPv4 header checksum is wrong.
    #[error("wrong IPv4 header checksum")]
    BadIpChecksum,
    /// The packet is an IP fragment; fragments are not reassembled.
    #[error("IP fragment (not reassembled)")]
    Fragment,
    /// The IP payload is not UDP (IPv6 extension headers are not walked).
    #[error("IP payload is protocol {0}, not UDP")]
    NotUdp(u8),
    /// The UDP header is cut short or its length is inconsistent.
    #[error("malformed UDP header")]
    BadUdpHeader,
    /// The UDP checksum is present and wrong (or absent over IPv6).
    #[error("wrong UDP checksum")]
    BadUdpChecksum,
    /// Source and destination are not of the same address family.
    #[error("source and destination address families differ")]
    MixedFamilies,
    /// The SCTP packet does not fit in one IP datagram.
    #[error("SCTP packet of {0} bytes is too long for one IP datagram")]
    TooLong(usize),
}

/// Writes a classic libpcap capture, one record per packet.
///
/// [`PcapWriter::new`] collects the capture in memory (get it with
/// [`PcapWriter::into_inner`] or [`PcapWriter::bytes`]);
/// [`PcapWriter::to_writer`] streams into any [`Write`] (a file, a socket).
pub struct PcapWriter<W: Write = Vec<u8>> {
    out: W,
    link_type: LinkType,
}

impl PcapWriter<Vec<u8>> {
    /// An in-memory capture of raw IP packets ([`LinkType::Raw`]), its
    /// global header already written.
    pub fn new() -> Self {
        Self::with_link_type(LinkType::Raw)
    }

    /// An in-memory capture with the given link type.
    pub fn with_link_type(link_type: LinkType) -> Self {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(&global_header(link_type));
        PcapWriter { out, link_type }
    }

    /// The capture so far: global header and every record written.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }
}

impl Default for PcapWriter<Vec<u8>> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Write> PcapWriter<W> {
    /// A capture streamed into `out`; writes the global header now.
    pub fn to_writer(mut out: W, link_type: LinkType) -> io::Result<Self> {
        out.write_all(&global_header(link_type))?;
        Ok(PcapWriter { out, link_type })
    }

    /// The capture's link type.
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// Appends one record: `ip_packet` (an IPv4 or IPv6 packet, e.g. from
    /// [`encapsulate_udp`]) captured at `ts`.
    ///
    /// With [`LinkType::Ethernet`] an Ethernet header is put in front (fixed
    /// locally administered MAC addresses, EtherType from the IP version).
    /// Bytes beyond [`SNAPLEN`] are not stored; the record keeps the original
    /// length. Never fails when writing into a `Vec<u8>`.
    pub fn write_packet(&mut self, ts: Instant, ip_packet: &[u8]) -> io::Result<()> {
        let link_len = match self.link_type {
            LinkType::Raw => 0,
            LinkType::Ethernet => ETHERNET_HEADER_LEN,
        };
        let orig_len = ip_packet.len().saturating_add(link_len);
        let incl_len = orig_len.min(SNAPLEN as usize);
        let micros = ts.as_micros();
        let secs = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
        // Both fit in u32: the remainder is < 10^6 and lengths are clamped.
        let usecs = (micros % 1_000_000) as u32;
        let mut header = [0u8; RECORD_HEADER_LEN];
        header[0..4].copy_from_slice(&secs.to_le_bytes());
        header[4..8].copy_from_slice(&usecs.to_le_bytes());
        header[8..12].copy_from_slice(&(incl_len as u32).to_le_bytes());
        header[12..16].copy_from_slice(&u32::try_from(orig_len).unwrap_or(u32::MAX).to_le_bytes());
        self.out.write_all(&header)?;
        let mut room = incl_len;
        if link_len != 0 {
            let ethertype = if ip_packet.first().map(|b| b >> 4) == Some(6) {
                ETHERTYPE_IPV6
            } else {
                ETHERTYPE_IPV4
            };
            let mut eth = [0u8; ETHERNET_HEADER_LEN];
            eth[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
            eth[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
            eth[12..14].copy_from_slice(&ethertype.to_be_bytes());
            self.out.write_all(&eth)?;
            room -= link_len;
        }
        self.out
            .write_all(ip_packet.get(..room).unwrap_or(ip_packet))
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer (for the in-memory writer: the whole capture).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> fmt::Debug for PcapWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcapWriter")
            .field("link_type", &self.link_type)
            .finish_non_exhaustive()
    }
}

fn global_header(link_type: LinkType) -> [u8; GLOBAL_HEADER_LEN] {
    // Little-endian like most writers; readers detect the order by the magic.
    let mut h = [0u8; GLOBAL_HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC_MICROS.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes()); // version 2.4
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone and sigfigs stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&link_type.code().to_le_bytes());
    h
}

/// One record of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapRecord<'a> {
    /// When the packet was captured (microseconds; nanosecond captures are
    /// truncated to microseconds).
    pub timestamp: Instant,
    /// The captured bytes, starting with the link-layer header.
    pub data: &'a [u8],
    /// The packet's length on the wire (more than `data.len()` if the
    /// capture cut it short).
    pub original_len: u32,
}

/// Reads a classic libpcap capture held in memory.
///
/// Iterating yields each record in order; after a malformed record the
/// iterator yields that error once and then ends. Never allocates.
#[derive(Debug, Clone)]
pub struct PcapReader<'a> {
    rest: &'a [u8],
    offset: usize,
    big_endian: bool,
    nanos: bool,
    snaplen: u32,
    link_type: u32,
    failed: bool,
}

impl<'a> PcapReader<'a> {
    /// Reads the global header of `capture`.
    pub fn new(capture: &'a [u8]) -> Result<Self, PcapError> {
        let header = capture
            .get(..GLOBAL_HEADER_LEN)
            .ok_or(PcapError::TruncatedHeader)?;
        let magic_le = read_u32_le(header, 0);
        let (big_endian, nanos) = match magic_le {
            MAGIC_MICROS => (false, false),
            MAGIC_NANOS => (false, true),
            m if m.swap_bytes() == MAGIC_MICROS => (true, false),
            m if m.swap_bytes() == MAGIC_NANOS => (true, true),
            m => return Err(PcapError::BadMagic(m)),
        };
        let mut reader = PcapReader {
            rest: capture.get(GLOBAL_HEADER_LEN..).unwrap_or_default(),
            offset: GLOBAL_HEADER_LEN,
            big_endian,
            nanos,
            snaplen: 0,
            link_type: 0,
            failed: false,
        };
        // Some writers put 0 or garbage here: accept at least 64 KiB and at
        // most 256 KiB (libpcap's own maximum) per record.
        reader.snaplen = reader.u32_at(header, 16).clamp(SNAPLEN, MAX_SNAPLEN);
        reader.link_type = reader.u32_at(header, 20);
        Ok(reader)
    }

    /// The LINKTYPE number from the global header.
    pub fn link_type_code(&self) -> u32 {
        self.link_type
    }

    /// The link type, if this module can strip it (see [`link_payload`]).
    pub fn link_type(&self) -> Result<LinkType, PcapError> {
        LinkType::from_code(self.link_type).ok_or(PcapError::UnsupportedLinkType(self.link_type))
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> u32 {
        let v = read_u32_le(bytes, at);
        if self.big_endian {
            v.swap_bytes()
        } else {
            v
        }
    }

    fn next_record(&mut self) -> Result<PcapRecord<'a>, PcapError> {
        let header = self
            .rest
            .get(..RECORD_HEADER_LEN)
            .ok_or(PcapError::TruncatedRecord(self.offset))?;
        let secs = u64::from(self.u32_at(header, 0));
        let frac = u64::from(self.u32_at(header, 4));
        let incl_len = self.u32_at(header, 8);
        let original_len = self.u32_at(header, 12);
        if incl_len > self.snaplen {
            return Err(PcapError::RecordTooLong(self.offset));
        }
        // incl_len <= MAX_SNAPLEN, so this cannot overflow even on 32 bits.
        let end = RECORD_HEADER_LEN + incl_len as usize;
        let data = self
            .rest
            .get(RECORD_HEADER_LEN..end)
            .ok_or(PcapError::TruncatedRecord(self.offset))?;
        self.rest = self.rest.get(end..).unwrap_or_default();
        self.offset += end;
        let frac_micros = if self.nanos { frac / 1000 } else { frac };
        Ok(PcapRecord {
            timestamp: Instant::from_micros(secs * 1_000_000 + frac_micros),
            data,
            original_len,
        })
    }
}

impl<'a> Iterator for PcapReader<'a> {
    type Item = Result<PcapRecord<'a>, PcapError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let record = self.next_record();
        self.failed = record.is_err();
        Some(record)
    }
}

fn read_u32_le(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

fn read_u16_be(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// The IP packet inside a captured frame of the given link type: strips the
/// Ethernet header (and one 802.1Q VLAN tag) or returns raw frames as they
/// are.
pub fn link_payload(link_type: LinkType, frame: &[u8]) -> Result<&[u8], PcapError> {
    match link_type {
        LinkType::Raw => Ok(frame),
        LinkType::Ethernet => {
            let mut ethertype = read_u16_be(frame, 12);
            let mut start = ETHERNET_HEADER_LEN;
            if ethertype == 0x8100 {
                ethertype = read_u16_be(frame, 16);
                start += 4;
            }
            if ethertype != ETHERTYPE_IPV4 && ethertype != ETHERTYPE_IPV6 {
                return Err(PcapError::UnsupportedEtherType(ethertype));
            }
            frame.get(start..).ok_or(PcapError::BadIpHeader)
        }
    }
}

/// A UDP datagram taken out of an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source IP address and UDP port.
    pub src: SocketAddr,
    /// Destination IP address and UDP port.
    pub dst: SocketAddr,
    /// The UDP payload: with RFC 6951 encapsulation, the SCTP packet.
    pub payload: &'a [u8],
}

/// Takes the UDP payload (for SCTP over UDP: the SCTP packet) out of an IPv4
/// or IPv6 packet, checking the IPv4 header checksum and the UDP checksum
/// (a zero UDP checksum is accepted over IPv4 only, RFC 768 / RFC 8200
/// §8.1). Bytes after the IP datagram (e.g. Ethernet padding) are ignored.
/// IPv4 options are skipped; IPv6 extension headers and IP fragments are not
/// supported.
pub fn decapsulate_udp(ip_packet: &[u8]) -> Result<UdpDatagram<'_>, PcapError> {
    let version = ip_packet.first().map(|b| b >> 4);
    let (src, dst, pseudo_sum, udp) = match version {
        Some(4) => {
            let ihl = usize::from(ip_packet.first().map_or(0, |b| b & 0x0f)) * 4;
            let total = usize::from(read_u16_be(ip_packet, 2));
            if ihl < IPV4_HEADER_LEN || total < ihl || total > ip_packet.len() {
                return Err(PcapError::BadIpHeader);
            }
            let header = ip_packet.get(..ihl).ok_or(PcapError::BadIpHeader)?;
            if checksum_fold(sum_words(header, 0)) != 0 {
                return Err(PcapError::BadIpChecksum);
            }
            // More-fragments flag or a fragment offset.
            if read_u16_be(header, 6) & 0x3fff != 0 {
                return Err(PcapError::Fragment);
            }
            let proto = header.get(9).copied().unwrap_or(0);
            if proto != IPPROTO_UDP {
                return Err(PcapError::NotUdp(proto));
            }
            let src = ipv4_at(header, 12);
            let dst = ipv4_at(header, 16);
            let udp = ip_packet.get(ihl..total).ok_or(PcapError::BadIpHeader)?;
            let pseudo = pseudo_v4(src, dst, udp.len());
            (IpPair::V4(src), IpPair::V4(dst), pseudo, udp)
        }
        Some(6) => {
            let payload_len = usize::from(read_u16_be(ip_packet, 4));
            let end = IPV6_HEADER_LEN + payload_len;
            if ip_packet.len() < end {
                return Err(PcapError::BadIpHeader);
            }
            let next = ip_packet.get(6).copied().unwrap_or(0);
            if next != IPPROTO_UDP {
                return Err(PcapError::NotUdp(next));
            }
            let src = ipv6_at(ip_packet, 8);
            let dst = ipv6_at(ip_packet, 24);
            let udp = ip_packet
                .get(IPV6_HEADER_LEN..end)
                .ok_or(PcapError::BadIpHeader)?;
            let pseudo = pseudo_v6(&src, &dst, udp.len());
            (IpPair::V6(src), IpPair::V6(dst), pseudo, udp)
        }
        _ => return Err(PcapError::BadIpHeader),
    };
    let udp_len = usize::from(read_u16_be(udp, 4));
    if udp.len() < UDP_HEADER_LEN || udp_len < UDP_HEADER_LEN || udp_len > udp.len() {
        return Err(PcapError::BadUdpHeader);
    }
    let udp = udp.get(..udp_len).ok_or(PcapError::BadUdpHeader)?;
    let stored = read_u16_be(udp, 6);
    let optional = matches!(src, IpPair::V4(_));
    if !(stored == 0 && optional) {
        // Recompute the pseudo-header sum over the UDP length actually used.
        let pseudo = match (&src, &dst) {
            (IpPair::V4(s), IpPair::V4(d)) => pseudo_v4(*s, *d, udp.len()),
            (IpPair::V6(s), IpPair::V6(d)) => pseudo_v6(s, d, udp.len()),
            _ => pseudo_sum,
        };
        if checksum_fold(sum_words(udp, pseudo)) != 0 {
            return Err(PcapError::BadUdpChecksum);
        }
    }
    let src_port = read_u16_be(udp, 0);
    let dst_port = read_u16_be(udp, 2);
    Ok(UdpDatagram {
        src: src.with_port(src_port),
        dst: dst.with_port(dst_port),
        payload: udp.get(UDP_HEADER_LEN..).unwrap_or_default(),
    })
}

enum IpPair {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl IpPair {
    fn with_port(&self, port: u16) -> SocketAddr {
        match self {
            IpPair::V4(a) => SocketAddr::V4(SocketAddrV4::new(*a, port)),
            IpPair::V6(a) => SocketAddr::V6(SocketAddrV6::new(*a, port, 0, 0)),
        }
    }
}

fn ipv4_at(bytes: &[u8], at: usize) -> Ipv4Addr {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    Ipv4Addr::from(b)
}

fn ipv6_at(bytes: &[u8], at: usize) -> Ipv6Addr {
    let mut b = [0u8; 16];
    if let Some(s) = bytes.get(at..at + 16) {
        b.copy_from_slice(s);
    }
    Ipv6Addr::from(b)
}

/// Wraps an SCTP packet into an IP + UDP datagram from `src` to `dst`
/// (RFC 6951 §5: the SCTP common header follows the UDP header directly).
///
/// Both addresses must be of the same family. The UDP checksum is computed
/// for IPv4 too (RFC 6951 allows 0 there, but a real checksum lets capture
/// tools validate it); over IPv6 it is mandatory (RFC 8200 §8.1).
pub fn encapsulate_udp(
    src: SocketAddr,
    dst: SocketAddr,
    sctp: &[u8],
) -> Result<Vec<u8>, PcapError> {
    match (src, dst) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => encapsulate_udp_v4(s, d, sctp),
        (SocketAddr::V6(s), SocketAddr::V6(d)) => encapsulate_udp_v6(s, d, sctp),
        _ => Err(PcapError::MixedFamilies),
    }
}

/// Wraps an SCTP packet into IPv4 + UDP (see [`encapsulate_udp`]). The IPv4
/// header has no options, TTL 64, identification 0 and no fragmentation
/// flags.
pub fn encapsulate_udp_v4(
    src: SocketAddrV4,
    dst: SocketAddrV4,
    sctp: &[u8],
) -> Result<Vec<u8>, PcapError> {
    let total = IPV4_HEADER_LEN + UDP_HEADER_LEN + sctp.len();
    let total16 = u16::try_from(total).map_err(|_| PcapError::TooLong(sctp.len()))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&total16.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, TTL, IPPROTO_UDP, 0, 0]);
    out.extend_from_slice(&src.ip().octets());
    out.extend_from_slice(&dst.ip().octets());
    let ip_sum = checksum_fold(sum_words(&out, 0));
    out[10..12].copy_from_slice(&ip_sum.to_be_bytes());
    let pseudo = pseudo_v4(*src.ip(), *dst.ip(), UDP_HEADER_LEN + sctp.len());
    push_udp(&mut out, src.port(), dst.port(), sctp, pseudo);
    Ok(out)
}

/// Wraps an SCTP packet into IPv6 + UDP (see [`encapsulate_udp`]). Traffic
/// class and flow label are 0, hop limit 64, no extension headers.
pub fn encapsulate_udp_v6(
    src: SocketAddrV6,
    dst: SocketAddrV6,
    sctp: &[u8],
) -> Result<Vec<u8>, PcapError> {
    let udp_len = UDP_HEADER_LEN + sctp.len();
    let udp_len16 = u16::try_from(udp_len).map_err(|_| PcapError::TooLong(sctp.len()))?;
    let mut out = Vec::with_capacity(IPV6_HEADER_LEN + udp_len);
    out.extend_from_slice(&[0x60, 0, 0, 0]);
    out.extend_from_slice(&udp_len16.to_be_bytes());
    out.extend_from_slice(&[IPPROTO_UDP, TTL]);
    out.extend_from_slice(&src.ip().octets());
    out.extend_from_slice(&dst.ip().octets());
    let pseudo = pseudo_v6(src.ip(), dst.ip(), udp_len);
    push_udp(&mut out, src.port(), dst.port(), sctp, pseudo);
    Ok(out)
}

fn push_udp(out: &mut Vec<u8>, src_port: u16, dst_port: u16, payload: &[u8], pseudo: u32) {
    let start = out.len();
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    // The callers checked that the length fits in 16 bits.
    out.extend_from_slice(&((UDP_HEADER_LEN + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let mut sum = checksum_fold(sum_words(&out[start..], pseudo));
    // RFC 768: a computed 0 is sent as all ones (0 means "no checksum").
    if sum == 0 {
        sum = 0xffff;
    }
    out[start + 6..start + 8].copy_from_slice(&sum.to_be_bytes());
}

/// Pseudo-header sum for UDP over IPv4 (RFC 768).
fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, udp_len: usize) -> u32 {
    let mut sum = sum_words(&src.octets(), 0);
    sum = sum_words(&dst.octets(), sum);
    sum + u32::from(IPPROTO_UDP) + (udp_len as u32 & 0xffff)
}

/// Pseudo-header sum for UDP over IPv6 (RFC 8200 §8.1).
fn pseudo_v6(src: &Ipv6Addr, dst: &Ipv6Addr, udp_len: usize) -> u32 {
    let mut sum = sum_words(&src.octets(), 0);
    sum = sum_words(&dst.octets(), sum);
    sum + u32::from(IPPROTO_UDP) + (udp_len as u32 >> 16) + (udp_len as u32 & 0xffff)
}

/// Adds `bytes` as big-endian 16-bit words (odd tail padded with a zero) to
/// `sum`, folding carries so the result cannot overflow (RFC 1071).
fn sum_words(bytes: &[u8], mut sum: u32) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for w in &mut chunks {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        if sum > 0xffff_0000 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

/// The one's complement of the folded one's complement sum (RFC 1071).
fn checksum_fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    fn v6(s: &str, port: u16) -> SocketAddrV6 {
        SocketAddrV6::new(s.parse().unwrap(), port, 0, 0)
    }

    // A minimal SCTP packet (COOKIE ACK) used as payload.
    const SCTP: [u8; 16] = [
        0x13, 0x88, 0x13, 0x89, 0x12, 0x34, 0xab, 0xcd, 0xde, 0xad, 0xbe, 0xef, 0x0b, 0x00, 0x00,
        0x04,
    ];

    #[test]
    fn ipv4_header_checksum_matches_known_value() {
        // The classic worked example: header 4500 0073 0000 4000 4011 ....
        // c0a8 0001 c0a8 00c7 has checksum 0xb861.
        let h = hex::decode("450000730000400040110000c0a80001c0a800c7").unwrap();
        assert_eq!(checksum_fold(sum_words(&h, 0)), 0xb861);
    }

    #[test]
    fn udp_v4_encapsulation_matches_independent_computation() {
        let pkt = encapsulate_udp_v4(
            v4([192, 0, 2, 1], SCTP_UDP_PORT),
            v4([198, 51, 100, 2], 40000),
            &SCTP,
        )
        .unwrap();
        // Expected bytes computed independently (Python, RFC 791/768).
        let expected = "4500002c0000000040118e8ac0000201c6336402\
                        26ab9c400018c2e6\
                        138813891234abcddeadbeef0b000004";
        assert_eq!(hex::encode(&pkt), expected);
        let d = decapsulate_udp(&pkt).unwrap();
        assert_eq!(d.src, "192.0.2.1:9899".parse().unwrap());
        assert_eq!(d.dst, "198.51.100.2:40000".parse().unwrap());
        assert_eq!(d.payload, &SCTP);
    }

    #[test]
    fn udp_v6_encapsulation_has_correct_mandatory_checksum() {
        let pkt = encapsulate_udp_v6(
            v6("2001:db8::1", SCTP_UDP_PORT),
            v6("2001:db8::2", SCTP_UDP_PORT),
            &SCTP,
        )
        .unwrap();
        let expected = "6000000000181140\
                        20010db8000000000000000000000001\
                        20010db8000000000000000000000002\
                        26ab26ab0018c93e\
                        138813891234abcddeadbeef0b000004";
        assert_eq!(hex::encode(&pkt), expected);
        let d = decapsulate_udp(&pkt).unwrap();
        assert_eq!(d.src, "[2001:db8::1]:9899".parse().unwrap());
        assert_eq!(d.payload, &SCTP);
    }

    #[test]
    fn mixed_families_and_oversized_payloads_are_refused() {
        let s = SocketAddr::V4(v4([127, 0, 0, 1], 1));
        let d = SocketAddr::V6(v6("::1", 1));
        assert_eq!(encapsulate_udp(s, d, &SCTP), Err(PcapError::MixedFamilies));
        let big = vec![0u8; 65_536];
        assert_eq!(encapsulate_udp(s, s, &big), Err(PcapError::TooLong(65_536)));
        let d6 = v6("::1", 1);
        assert_eq!(
            encapsulate_udp_v6(d6, d6, &big),
            Err(PcapError::TooLong(65_536))
        );
    }

    #[test]
    fn corrupted_datagrams_are_detected() {
        let good = encapsulate_udp_v4(v4([10, 0, 0, 1], 1), v4([10, 0, 0, 2], 2), &SCTP).unwrap();
        let mut bad_ip = good.clone();
        bad_ip[8] ^= 1; // TTL
        assert_eq!(decapsulate_udp(&bad_ip), Err(PcapError::BadIpChecksum));
        let mut bad_udp = good.clone();
        *bad_udp.last_mut().unwrap() ^= 1;
        assert_eq!(decapsulate_udp(&bad_udp), Err(PcapError::BadUdpChecksum));
        let mut no_sum = good.clone();
        no_sum[26..28].copy_from_slice(&[0, 0]);
        assert_eq!(decapsulate_udp(&no_sum).unwrap().payload, &SCTP);
        let mut frag = good.clone();
        frag[6] = 0x20; // more fragments
        let sum = {
            frag[10..12].copy_from_slice(&[0, 0]);
            checksum_fold(sum_words(&frag[..20], 0))
        };
        frag[10..12].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(decapsulate_udp(&frag), Err(PcapError::Fragment));
        let v6pkt = encapsulate_udp_v6(v6("::1", 1), v6("::2", 2), &SCTP).unwrap();
        let mut v6_zero = v6pkt.clone();
        v6_zero[46..48].copy_from_slice(&[0, 0]);
        assert_eq!(decapsulate_udp(&v6_zero), Err(PcapError::BadUdpChecksum));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let v4pkt = encapsulate_udp_v4(v4([10, 0, 0, 1], 1), v4([10, 0, 0, 2], 2), &SCTP).unwrap();
        let v6pkt = encapsulate_udp_v6(v6("::1", 1), v6("::2", 2), &SCTP).unwrap();
        for pkt in [&v4pkt, &v6pkt] {
            for n in 0..pkt.len() {
                assert!(decapsulate_udp(&pkt[..n]).is_err(), "length {n}");
            }
        }
        let mut w = PcapWriter::new();
        w.write_packet(Instant::from_micros(1), &v4pkt).unwrap();
        let cap = w.into_inner();
        for n in 0..cap.len() {
            let records: Vec<_> = match PcapReader::new(&cap[..n]) {
                Ok(r) => r.collect(),
                Err(_) => continue,
            };
            assert!(
                n == GLOBAL_HEADER_LEN || records.iter().any(|r| r.is_err()),
                "length {n}"
            );
        }
    }

    #[test]
    fn write_then_read_round_trips_records_and_timestamps() {
        let mut w = PcapWriter::new();
        let a =
            encapsulate_udp_v4(v4([10, 0, 0, 1], 9899), v4([10, 0, 0, 2], 9899), &SCTP).unwrap();
        let b = encapsulate_udp_v6(v6("fe80::1", 1234), v6("fe80::2", 9899), &SCTP[..13]).unwrap();
        w.write_packet(Instant::from_micros(1_500_000), &a).unwrap();
        w.write_packet(Instant::from_micros(3_000_000_123_456), &b)
            .unwrap();
        let cap = w.into_inner();
        // Global header: magic, version 2.4, snaplen, LINKTYPE_RAW.
        assert_eq!(
            hex::encode(&cap[..24]),
            "d4c3b2a1020004000000000000000000ffff000065000000"
        );
        let reader = PcapReader::new(&cap).unwrap();
        assert_eq!(reader.link_type(), Ok(LinkType::Raw));
        let records: Vec<_> = reader.map(Result::unwrap).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].timestamp, Instant::from_micros(1_500_000));
        assert_eq!(records[0].data, &a[..]);
        assert_eq!(records[0].original_len as usize, a.len());
        assert_eq!(
            records[1].timestamp,
            Instant::from_micros(3_000_000_123_456)
        );
        let d = decapsulate_udp(link_payload(LinkType::Raw, records[1].data).unwrap()).unwrap();
        assert_eq!(d.payload, &SCTP[..13]);
        assert_eq!(d.src.port(), 1234);
    }

    #[test]
    fn ethernet_captures_round_trip_through_any_writer() {
        let a = encapsulate_udp_v6(v6("::1", 1), v6("::2", 2), &SCTP).unwrap();
        let mut w = PcapWriter::to_writer(Vec::new(), LinkType::Ethernet).unwrap();
        w.write_packet(Instant::ZERO, &a).unwrap();
        let cap = w.into_inner();
        let mut reader = PcapReader::new(&cap).unwrap();
        assert_eq!(reader.link_type_code(), 1);
        let rec = reader.next().unwrap().unwrap();
        assert_eq!(rec.data.len(), a.len() + 14);
        assert_eq!(&rec.data[12..14], &[0x86, 0xdd]);
        let ip = link_payload(LinkType::Ethernet, rec.data).unwrap();
        assert_eq!(decapsulate_udp(ip).unwrap().payload, &SCTP);
    }

    #[test]
    fn reader_accepts_big_endian_nanosecond_captures() {
        let mut cap = Vec::new();
        cap.extend_from_slice(&MAGIC_NANOS.to_be_bytes());
        cap.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
        cap.extend_from_slice(&65535u32.to_be_bytes());
        cap.extend_from_slice(&101u32.to_be_bytes());
        cap.extend_from_slice(&7u32.to_be_bytes());
        cap.extend_from_slice(&5_000_999u32.to_be_bytes()); // ns
        cap.extend_from_slice(&3u32.to_be_bytes());
        cap.extend_from_slice(&3u32.to_be_bytes());
        cap.extend_from_slice(&[1, 2, 3]);
        let rec = PcapReader::new(&cap).unwrap().next().unwrap().unwrap();
        assert_eq!(rec.timestamp, Instant::from_micros(7_005_000));
        assert_eq!(rec.data, &[1, 2, 3]);
    }

    proptest::proptest! {
        #[test]
        fn encapsulation_round_trips(
            v6: bool,
            a: [u8; 16],
            b: [u8; 16],
            ports: (u16, u16),
            sctp in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1500),
        ) {
            let (src, dst) = if v6 {
                (
                    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(a), ports.0, 0, 0)),
                    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(b), ports.1, 0, 0)),
                )
            } else {
                (
                    SocketAddr::V4(SocketAddrV4::new(ipv4_at(&a, 0), ports.0)),
                    SocketAddr::V4(SocketAddrV4::new(ipv4_at(&b, 0), ports.1)),
                )
            };
            let pkt = encapsulate_udp(src, dst, &sctp).unwrap();
            let d = decapsulate_udp(&pkt).unwrap();
            proptest::prop_assert_eq!(d.src, src);
            proptest::prop_assert_eq!(d.dst, dst);
            proptest::prop_assert_eq!(d.payload, &sctp[..]);
        }

        #[test]
        fn capture_round_trips(
            packets in proptest::collection::vec(
                (0u64..=u64::from(u32::MAX) * 1_000_000,
                 proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)),
                0..8),
        ) {
            let mut w = PcapWriter::new();
            for (ts, data) in &packets {
                w.write_packet(Instant::from_micros(*ts), data).unwrap();
            }
            let cap = w.into_inner();
            let records: Vec<_> = PcapReader::new(&cap).unwrap().map(Result::unwrap).collect();
            proptest::prop_assert_eq!(records.len(), packets.len());
            for (r, (ts, data)) in records.iter().zip(&packets) {
                proptest::prop_assert_eq!(r.timestamp.as_micros(), *ts);
                proptest::prop_assert_eq!(r.data, &data[..]);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = decapsulate_udp(&bytes);
            let _ = link_payload(LinkType::Ethernet, &bytes);
            let mut cap = PcapWriter::new().into_inner();
            cap.extend_from_slice(&bytes);
            if let Ok(r) = PcapReader::new(&cap) {
                for rec in r.take(1000).flatten() {
                    let _ = decapsulate_udp(rec.data);
                }
            }
        }
    }

    #[test]
    fn reader_rejects_bad_magic_and_huge_records() {
        assert_eq!(
            PcapReader::new(&[0; 10]).unwrap_err(),
            PcapError::TruncatedHeader
        );
        let mut cap = PcapWriter::new().into_inner();
        cap[0] = 0x0a;
        assert!(matches!(PcapReader::new(&cap), Err(PcapError::BadMagic(_))));
        let mut cap = PcapWriter::new().into_inner();
        cap.extend_from_slice(&[0; 8]);
        cap.extend_from_slice(&u32::MAX.to_le_bytes());
        cap.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = PcapReader::new(&cap).unwrap();
        assert_eq!(r.next(), Some(Err(PcapError::RecordTooLong(24))));
        assert_eq!(r.next(), None);
    }
}
