//! The SCTP packet: common header (RFC 9260 §3.1), CRC32c (Appendix A),
//! chunk framing (§3.2), bundling rules (§6.10, §8.5.1) and a packet writer.

use core::fmt;

use super::chunk::{chunk_type, Emit};
use super::codec::{pad4, put_u16, put_u32, u16_at, u32_at};
use super::error::{TlvKind, WireError};
use crate::types::VerificationTag;

/// Length of the common header.
pub const HEADER_LEN: usize = 12;

/// Whether a received packet may carry a zero checksum (RFC 9653).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ChecksumPolicy {
    /// The CRC32c must be correct (RFC 9260 §6.8).
    #[default]
    Required,
    /// A checksum field of zero is also accepted: this endpoint announced
    /// Zero Checksum Acceptable (RFC 9653 §5.3). A non-zero checksum must
    /// still be correct.
    ZeroAcceptable,
    /// Do not check (the packet was authenticated otherwise and the caller
    /// knows why). Framing is still checked.
    Skip,
}

/// What [`PacketWriter::finish`] writes in the checksum field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ChecksumMode {
    /// The CRC32c of the packet.
    #[default]
    Compute,
    /// Zero, when the peer accepts it (RFC 9653 §5.2).
    Zero,
}

/// The CRC32c of a packet, computed as if its checksum field were zero
/// (RFC 9260 Appendix A). `packet` must be at least 12 bytes; shorter
/// input is hashed as is.
pub fn checksum(packet: &[u8]) -> u32 {
    match (packet.get(..8), packet.get(12..)) {
        (Some(head), Some(tail)) => {
            // Two calls, not three: each call of the CRC library costs
            // about a hundred instructions before its first byte.
            let mut header = [0u8; HEADER_LEN];
            header[..8].copy_from_slice(head);
            crc32c::crc32c_append(crc32c::crc32c(&header), tail)
        }
        _ => crc32c::crc32c(packet),
    }
}

/// One chunk as framed in a packet, before typed parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    /// Chunk type.
    pub chunk_type: u8,
    /// Chunk flags.
    pub flags: u8,
    /// Chunk value, without header and padding.
    pub value: &'a [u8],
    /// Offset of `value` within the packet, so the caller can slice a
    /// `Bytes` of the datagram without copying.
    pub offset: usize,
}

impl<'a> RawChunk<'a> {
    /// The whole chunk (header and value, no padding) as found in
    /// `packet`, e.g. to quote it in an Unrecognized Chunk Type cause.
    pub fn bytes_in(&self, packet: &'a [u8]) -> &'a [u8] {
        packet
            .get(self.offset.saturating_sub(4)..self.offset + self.value.len())
            .unwrap_or(&[])
    }
}

impl fmt::Debug for RawChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawChunk")
            .field("chunk_type", &self.chunk_type)
            .field("flags", &format_args!("{:#04x}", self.flags))
            .field("len", &self.value.len())
            .field("offset", &self.offset)
            .finish()
    }
}

/// Iterator over the chunks of a packet. After an error it ends.
#[derive(Clone, Debug)]
pub struct ChunkIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> ChunkIter<'a> {
    /// Iterates over the chunks in `buf` (a whole packet), starting after
    /// the common header.
    pub fn new(packet: &'a [u8]) -> Self {
        ChunkIter {
            buf: packet,
            at: HEADER_LEN,
        }
    }
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = Result<RawChunk<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.at..).filter(|r| !r.is_empty())?;
        let at = self.at;
        let fail = |e| Some(Err(e));
        let (Some(t), Some(flags), Some(len)) = (rest.first(), rest.get(1), u16_at(rest, 2)) else {
            self.at = self.buf.len();
            return fail(WireError::TrailingBytes {
                kind: TlvKind::Chunk,
                offset: at,
                len: rest.len(),
            });
        };
        let ulen = usize::from(len);
        if ulen < 4 {
            self.at = self.buf.len();
            return fail(WireError::LengthBelowHeader {
                kind: TlvKind::Chunk,
                tlv_type: u16::from(*t),
                len,
            });
        }
        // RFC 9260 §6.10: a chunk that, with its padding, does not fit is
        // partial. Every chunk, the last included, is padded by the sender.
        let (Some(value), true) = (rest.get(4..ulen), pad4(ulen) <= rest.len()) else {
            self.at = self.buf.len();
            return fail(WireError::LengthPastEnd {
                kind: TlvKind::Chunk,
                tlv_type: u16::from(*t),
                offset: at,
                len,
                available: rest.len(),
            });
        };
        self.at = at + pad4(ulen);
        Some(Ok(RawChunk {
            chunk_type: *t,
            flags: *flags,
            value,
            offset: at + 4,
        }))
    }
}

/// A bundling rule broken by a received packet (RFC 9260 §6.10, §8.5.1,
/// §5.1). The endpoint discards such packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundlingViolation {
    /// INIT, INIT ACK or SHUTDOWN COMPLETE bundled with another chunk
    /// (RFC 9260 §6.10).
    MustBeAlone {
        /// The chunk that must be alone.
        chunk_type: u8,
    },
    /// Verification tag 0 on a packet that is not a lone INIT (RFC 9260
    /// §8.5.1 A).
    ZeroTagWithoutInit,
    /// COOKIE ECHO neither first (RFC 9260 §5.1 C) nor second after an
    /// AUTH chunk that authenticates it (RFC 4895 §6.3).
    CookieEchoNotFirst,
    /// A control chunk after a DATA or I-DATA chunk (RFC 9260 §6.10: control
    /// chunks first). A sender rule; an endpoint may choose to tolerate it.
    ControlAfterData {
        /// The control chunk found after data.
        chunk_type: u8,
    },
    /// The chunk framing is broken.
    Malformed(WireError),
}

/// A view of an SCTP packet over a buffer.
#[derive(Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking anything. Accessors on a short
    /// buffer return zeros; [`Packet::chunks`] reports framing errors.
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a received datagram after checking that it holds the common
    /// header, that the checksum is acceptable under `policy`, and that the
    /// chunk region frames into at least one whole chunk with no partial
    /// chunk or stray bytes.
    pub fn new_checked(buffer: T, policy: ChecksumPolicy) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::PacketTooShort { len: b.len() });
        }
        let p = Packet { buffer };
        let found = p.checksum();
        match policy {
            ChecksumPolicy::Skip => {}
            ChecksumPolicy::ZeroAcceptable if found == 0 => {}
            _ => {
                let expected = checksum(p.buffer.as_ref());
                if expected != found {
                    return Err(if found == 0 {
                        WireError::ZeroChecksumNotAllowed { expected }
                    } else {
                        WireError::BadChecksum { expected, found }
                    });
                }
            }
        }
        let mut n = 0usize;
        for c in p.chunks() {
            c?;
            n += 1;
        }
        if n == 0 {
            return Err(WireError::NoChunks);
        }
        Ok(p)
    }

    /// The underlying buffer.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), 0).unwrap_or(0)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), 2).unwrap_or(0)
    }

    /// Verification tag.
    pub fn verification_tag(&self) -> VerificationTag {
        VerificationTag(u32_at(self.buffer.as_ref(), 4).unwrap_or(0))
    }

    /// The checksum field, as the CRC32c value it carries (the wire holds it
    /// least significant byte first, RFC 9260 Appendix A).
    pub fn checksum(&self) -> u32 {
        match self.buffer.as_ref().get(8..12) {
            Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
            None => 0,
        }
    }

    /// Iterates over the chunks.
    pub fn chunks(&self) -> ChunkIter<'_> {
        ChunkIter::new(self.buffer.as_ref())
    }

    /// Checks the receiver-side bundling rules: INIT, INIT ACK and SHUTDOWN
    /// COMPLETE alone (RFC 9260 §6.10), verification tag 0 only on a lone
    /// INIT (§8.5.1 A), COOKIE ECHO first (§5.1; after one AUTH allowed,
    /// RFC 4895 §6.3), no control chunk after DATA (§6.10). Returns the first
    /// rule broken. Stops at the first unknown chunk type whose action is to
    /// stop (RFC 9260 §3.2), as the receiver will not look further.
    pub fn check_bundling(&self) -> Result<(), BundlingViolation> {
        use chunk_type::*;
        let mut count = 0usize;
        let mut first = None;
        let mut seen_data = false;
        let mut prev: Option<u8> = None;
        for c in self.chunks() {
            let c = c.map_err(BundlingViolation::Malformed)?;
            let t = c.chunk_type;
            count += 1;
            if first.is_none() {
                first = Some(t);
            }
            if count > 1 {
                if let Some(f @ (INIT | INIT_ACK | SHUTDOWN_COMPLETE)) = first {
                    return Err(BundlingViolation::MustBeAlone { chunk_type: f });
                }
                if matches!(t, INIT | INIT_ACK | SHUTDOWN_COMPLETE) {
                    return Err(BundlingViolation::MustBeAlone { chunk_type: t });
                }
            }
            if t == COOKIE_ECHO && !(count == 1 || (count == 2 && prev == Some(AUTH))) {
                return Err(BundlingViolation::CookieEchoNotFirst);
            }
            match t {
                DATA | I_DATA => seen_data = true,
                PAD => {}
                _ if seen_data => {
                    return Err(BundlingViolation::ControlAfterData { chunk_type: t })
                }
                _ => {}
            }
            prev = Some(t);
            if !is_known(t) && !super::UnrecognizedAction::for_chunk(t).continues() {
                break;
            }
        }
        if self.verification_tag().0 == 0 && !(count == 1 && first == Some(INIT)) {
            return Err(BundlingViolation::ZeroTagWithoutInit);
        }
        Ok(())
    }
}

impl<'a> Packet<&'a [u8]> {
    /// Iterates over the chunks with the lifetime of the buffer rather than
    /// of the view, so parsed chunks can outlive the `Packet`.
    pub fn into_chunks(self) -> ChunkIter<'a> {
        ChunkIter::new(self.buffer)
    }
}

fn is_known(t: u8) -> bool {
    use chunk_type::*;
    matches!(
        t,
        DATA..=AUTH | I_DATA | ASCONF_ACK | RE_CONFIG | PAD | FORWARD_TSN | ASCONF | I_FORWARD_TSN
    )
}

impl<T: AsRef<[u8]>> fmt::Debug for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Packet");
        d.field("src_port", &self.src_port())
            .field("dst_port", &self.dst_port())
            .field("vtag", &format_args!("{:#010x}", self.verification_tag().0))
            .field("checksum", &format_args!("{:#010x}", self.checksum()));
        struct Chunks<'a>(ChunkIter<'a>);
        impl fmt::Debug for Chunks<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.clone()).finish()
            }
        }
        d.field("chunks", &Chunks(self.chunks())).finish()
    }
}

/// Builds a packet chunk by chunk in a caller buffer (e.g. one MTU), without
/// allocating.
///
/// ```
/// use anysctp::wire::{Chunk, ChecksumMode, ChecksumPolicy, Packet, PacketWriter, ShutdownChunk};
/// use anysctp::{Tsn, VerificationTag};
///
/// let mut buf = [0u8; 1200];
/// let mut w = PacketWriter::new(&mut buf, 5000, 5001, VerificationTag(7)).unwrap();
/// w.push(&Chunk::Shutdown(ShutdownChunk { cum_tsn_ack: Tsn(41) })).unwrap();
/// let n = w.finish(ChecksumMode::Compute);
/// let p = Packet::new_checked(&buf[..n], ChecksumPolicy::Required).unwrap();
/// assert_eq!(p.verification_tag(), VerificationTag(7));
/// ```
pub struct PacketWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    auth: Option<AuthPlan>,
    /// Where the AUTH chunk was placed, once it was.
    auth_at: Option<usize>,
}

/// A set of chunk types (for the CHUNKS parameter of RFC 4895 §3.2 and the
/// AUTH placement of [`PacketWriter::authenticate`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChunkTypeSet([u64; 4]);

impl ChunkTypeSet {
    /// The empty set.
    pub const EMPTY: Self = Self([0; 4]);

    /// Adds `t`.
    pub fn insert(&mut self, t: u8) {
        self.0[usize::from(t >> 6)] |= 1 << (t & 63);
    }

    /// Removes `t`.
    pub fn remove(&mut self, t: u8) {
        self.0[usize::from(t >> 6)] &= !(1 << (t & 63));
    }

    /// Whether `t` is in the set.
    pub fn contains(&self, t: u8) -> bool {
        self.0[usize::from(t >> 6)] & (1 << (t & 63)) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The types in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(|&t| self.contains(t))
    }
}

impl FromIterator<u8> for ChunkTypeSet {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        let mut s = Self::EMPTY;
        for t in iter {
            s.insert(t);
        }
        s
    }
}

/// Where and how a [`PacketWriter`] places an AUTH chunk (RFC 4895 §6.2):
/// before the first pushed chunk whose type is in `chunks`, with the HMAC
/// field zeroed; the caller computes the HMAC over
/// [`PacketWriter::authenticated_region`] before [`PacketWriter::finish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthPlan {
    /// Chunk types that must follow an AUTH chunk.
    pub chunks: ChunkTypeSet,
    /// The Shared Key Identifier to write.
    pub shared_key_id: u16,
    /// The HMAC Identifier to write.
    pub hmac_id: u16,
    /// The HMAC's length in bytes (20 for SHA-1, 32 for SHA-256).
    pub hmac_len: usize,
}

impl AuthPlan {
    /// The AUTH chunk's length on the wire, padding included.
    pub fn chunk_len(&self) -> usize {
        pad4(8 + self.hmac_len)
    }
}

impl fmt::Debug for PacketWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketWriter")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .finish()
    }
}

impl<'b> PacketWriter<'b> {
    /// Starts a packet in `buf` with the common header; fails if `buf` has
    /// no room for it.
    pub fn new(
        buf: &'b mut [u8],
        src_port: u16,
        dst_port: u16,
        vtag: VerificationTag,
    ) -> Result<Self, WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::NoRoom {
                needed: HEADER_LEN,
                available: buf.len(),
            });
        }
        put_u16(buf, 0, src_port);
        put_u16(buf, 2, dst_port);
        put_u32(buf, 4, vtag.0);
        put_u32(buf, 8, 0);
        Ok(PacketWriter {
            buf,
            len: HEADER_LEN,
            auth: None,
            auth_at: None,
        })
    }

    /// From now on, an AUTH chunk goes before the first pushed chunk whose
    /// type is in `plan.chunks` (RFC 4895 §6.2). Chunks pushed after it are
    /// authenticated too.
    pub fn authenticate(&mut self, plan: AuthPlan) {
        self.auth = Some(plan);
    }

    /// The bytes a chunk of type `chunk_type` may take: [`remaining`]
    /// less the AUTH chunk that would have to go before it.
    ///
    /// [`remaining`]: Self::remaining
    pub fn room_for(&self, chunk_type: u8) -> usize {
        self.remaining()
            .saturating_sub(self.auth_overhead(chunk_type))
    }

    /// The AUTH placement given to [`authenticate`](Self::authenticate).
    pub fn auth_plan(&self) -> Option<AuthPlan> {
        self.auth
    }

    /// Whether an AUTH chunk was placed in this packet.
    pub fn has_auth(&self) -> bool {
        self.auth_at.is_some()
    }

    /// The packet from the AUTH chunk to its end, the HMAC field still
    /// zero (RFC 4895 §6.2, Figure 6), when an AUTH chunk was placed. The
    /// HMAC goes at offset 8 of this region.
    pub fn authenticated_region(&mut self) -> Option<&mut [u8]> {
        let at = self.auth_at?;
        self.buf.get_mut(at..self.len)
    }

    fn auth_overhead(&self, chunk_type: u8) -> usize {
        match self.auth {
            Some(plan) if self.auth_at.is_none() && plan.chunks.contains(chunk_type) => {
                plan.chunk_len()
            }
            _ => 0,
        }
    }

    /// Bytes still free.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Bytes written so far (header included).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no chunk has been pushed yet.
    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN
    }

    /// Appends a chunk (any [`Emit`]: a [`Chunk`](super::Chunk) or a repr)
    /// with its padding, or returns [`WireError::NoRoom`] and leaves the
    /// packet unchanged.
    pub fn push<C: Emit + ?Sized>(&mut self, chunk: &C) -> Result<(), WireError> {
        let len = chunk.encoded_len();
        if len > usize::from(u16::MAX) {
            return Err(WireError::TooLong { len });
        }
        let needed = pad4(len);
        let auth = chunk.type_byte().map_or(0, |t| self.auth_overhead(t));
        if needed + auth > self.remaining() {
            return Err(WireError::NoRoom {
                needed: needed + auth,
                available: self.remaining(),
            });
        }
        if auth > 0 {
            if let Some(plan) = self.auth {
                self.push_auth(&plan);
            }
        }
        let n = chunk.emit(&mut self.buf[self.len..self.len + needed]);
        debug_assert_eq!(n, needed);
        self.len += needed;
        Ok(())
    }

    fn push_auth(&mut self, plan: &AuthPlan) {
        let n = plan.chunk_len();
        let Some(b) = self.buf.get_mut(self.len..self.len + n) else {
            return;
        };
        b.fill(0);
        b[0] = chunk_type::AUTH;
        put_u16(b, 2, (8 + plan.hmac_len) as u16);
        put_u16(b, 4, plan.shared_key_id);
        put_u16(b, 6, plan.hmac_id);
        self.auth_at = Some(self.len);
        self.len += n;
    }

    /// Writes the checksum and returns the packet length; the packet is
    /// `buf[..len]`.
    pub fn finish(self, mode: ChecksumMode) -> usize {
        let packet = &mut self.buf[..self.len];
        // The field is zero while the CRC is computed (RFC 9260 Appendix
        // A): one pass over the whole packet.
        packet[8..12].fill(0);
        let c = match mode {
            ChecksumMode::Compute => crc32c::crc32c(packet),
            ChecksumMode::Zero => 0,
        };
        // RFC 9260 Appendix A: the CRC goes on the wire least significant
        // byte first.
        packet[8..12].copy_from_slice(&c.to_le_bytes());
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Ppid, Ssn, StreamId, Tsn};
    use crate::wire::chunk::{Chunk, DataChunk, InitChunk};
    use crate::wire::List;

    /// A packet with vtag 1 around `chunks` (raw bytes), checksum filled in.
    fn packet(vtag: u32, chunks: &[u8]) -> Vec<u8> {
        let mut p = vec![0x13, 0x88, 0x13, 0x89];
        p.extend_from_slice(&vtag.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(chunks);
        let c = checksum(&p);
        p[8..12].copy_from_slice(&c.to_le_bytes());
        p
    }

    const COOKIE_ACK: [u8; 4] = [11, 0, 0, 4];
    const SHUTDOWN_ACK: [u8; 4] = [8, 0, 0, 4];

    fn data_chunk() -> Vec<u8> {
        let mut buf = [0u8; 32];
        let n = Chunk::Data(DataChunk {
            tsn: Tsn(1),
            stream: StreamId(2),
            ssn: Ssn(3),
            ppid: Ppid(4),
            unordered: false,
            beginning: true,
            ending: true,
            immediate_sack: false,
            payload: b"abc",
        })
        .emit(&mut buf);
        buf[..n].to_vec()
    }

    fn init_chunk(t: u8) -> Vec<u8> {
        let i = InitChunk {
            initiate_tag: 5,
            a_rwnd: 1 << 16,
            outbound_streams: 10,
            inbound_streams: 10,
            initial_tsn: Tsn(9),
            params: List::EMPTY,
        };
        let mut buf = [0u8; 32];
        let c = if t == 1 {
            Chunk::Init(i)
        } else {
            Chunk::InitAck(i)
        };
        let n = c.emit(&mut buf);
        buf[..n].to_vec()
    }

    /// Packets laid out and checksummed by other stacks (scapy, pion): they
    /// pin the CRC32c byte order, which a round trip through our own code
    /// cannot.
    #[test]
    fn checksum_matches_other_implementations() {
        let header_only = [
            0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x06, 0xa9, 0x00, 0xe1,
        ];
        assert_eq!(
            checksum(&header_only),
            Packet::new_unchecked(&header_only).checksum()
        );

        let init = [
            0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x16, 0xde, 0x25, 0x9a, 0x01, 0x00,
            0x00, 0x14, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0xa0, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x00, 0x00, 0x10, 0x00,
        ];
        let p = Packet::new_checked(&init[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(p.check_bundling(), Ok(()));
        let raw = p.chunks().next().unwrap().unwrap();
        let Ok(Chunk::Init(i)) = Chunk::parse(&raw) else {
            panic!("not INIT")
        };
        assert_eq!(
            (
                i.initiate_tag,
                i.a_rwnd,
                i.outbound_streams,
                i.inbound_streams,
                i.initial_tsn
            ),
            (0x1234_5678, 106_496, 1024, 1024, Tsn(0x1000))
        );
        // Re-emitting gives the same bytes, checksum included.
        let mut out = [0u8; 32];
        let mut w = PacketWriter::new(&mut out, 5000, 5000, VerificationTag(0)).unwrap();
        w.push(&Chunk::Init(i)).unwrap();
        assert_eq!(w.finish(ChecksumMode::Compute), 32);
        assert_eq!(out, init);

        let data = [
            0xc0, 0x00, 0x13, 0x88, 0xde, 0xad, 0xbe, 0xef, 0x94, 0x0b, 0x27, 0x86, 0x00, 0x03,
            0x00, 0x12, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x35,
            0x68, 0x69, 0x00, 0x00,
        ];
        let p = Packet::new_checked(&data[..], ChecksumPolicy::Required).unwrap();
        let raw = p.chunks().next().unwrap().unwrap();
        let Ok(Chunk::Data(d)) = Chunk::parse(&raw) else {
            panic!("not DATA")
        };
        assert_eq!((d.tsn, d.ppid, d.payload), (Tsn(1), Ppid(53), &b"hi"[..]));
        assert!(d.beginning && d.ending && !d.unordered);
    }

    #[test]
    fn header_fields_and_wire_layout() {
        let p = packet(0xAABBCCDD, &COOKIE_ACK);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!((v.src_port(), v.dst_port()), (5000, 5001));
        assert_eq!(v.verification_tag(), VerificationTag(0xAABBCCDD));
        assert_eq!(v.checksum(), checksum(&p));
        let c: Vec<_> = v.chunks().map(Result::unwrap).collect();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].chunk_type, c[0].offset, c[0].value.len()),
            (11, 16, 0)
        );
        assert_eq!(c[0].bytes_in(&p), &COOKIE_ACK);
    }

    #[test]
    fn data_payload_offset_locates_payload() {
        let p = packet(1, &data_chunk());
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        // Chunks borrow the datagram, not the view.
        let raw = v.into_chunks().next().unwrap().unwrap();
        let Ok(Chunk::Data(d)) = Chunk::parse(&raw) else {
            panic!("not DATA")
        };
        assert_eq!(format!("{d:?}"), "DataChunk { tsn: Tsn(1), stream: StreamId(2), ssn: Ssn(3), ppid: Ppid(4), flags: --BE, payload_len: 3 }");
        let at = raw.offset + DataChunk::PAYLOAD_OFFSET;
        assert_eq!(&p[at..at + 3], b"abc");
        // Chunk length 19 excludes the padding byte (RFC 9260 §3.2).
        assert_eq!(&p[14..16], &[0, 19]);
        assert_eq!(p.len(), 12 + 20);
    }

    #[test]
    fn payload_becomes_bytes_without_copy() {
        let datagram = bytes::Bytes::from(packet(1, &data_chunk()));
        let v = Packet::new_checked(&datagram[..], ChecksumPolicy::Required).unwrap();
        let raw = v.into_chunks().next().unwrap().unwrap();
        let Ok(Chunk::Data(d)) = Chunk::parse(&raw) else {
            panic!("not DATA")
        };
        let payload = datagram.slice_ref(d.payload);
        assert_eq!(&payload[..], b"abc");
        assert_eq!(
            payload.as_ptr(),
            datagram[raw.offset + DataChunk::PAYLOAD_OFFSET..].as_ptr()
        );
    }

    #[test]
    fn too_short_and_empty_packets() {
        assert_eq!(
            Packet::new_checked(&[0u8; 11][..], ChecksumPolicy::Skip).unwrap_err(),
            WireError::PacketTooShort { len: 11 }
        );
        let p = packet(1, &[]);
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap_err(),
            WireError::NoChunks
        );
    }

    #[test]
    fn bad_checksum_is_rejected() {
        let mut p = packet(1, &COOKIE_ACK);
        let good = checksum(&p);
        p[8] ^= 1;
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap_err(),
            WireError::BadChecksum {
                expected: good,
                found: good ^ 1
            }
        );
        // A wrong non-zero checksum fails even when zero is acceptable.
        assert!(Packet::new_checked(&p[..], ChecksumPolicy::ZeroAcceptable).is_err());
        // Corrupting the payload is caught too.
        let mut p = packet(1, &data_chunk());
        p[30] ^= 0x40;
        assert!(matches!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required),
            Err(WireError::BadChecksum { .. })
        ));
    }

    #[test]
    fn zero_checksum_needs_acceptance() {
        let mut p = packet(1, &COOKIE_ACK);
        p[8..12].fill(0);
        assert!(matches!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required),
            Err(WireError::ZeroChecksumNotAllowed { .. })
        ));
        assert!(Packet::new_checked(&p[..], ChecksumPolicy::ZeroAcceptable).is_ok());
    }

    #[test]
    fn writer_zero_checksum_mode() {
        let mut buf = [0xFFu8; 64];
        let mut w = PacketWriter::new(&mut buf, 1, 2, VerificationTag(3)).unwrap();
        w.push(&Chunk::CookieAck).unwrap();
        let n = w.finish(ChecksumMode::Zero);
        assert_eq!(&buf[8..12], &[0; 4]);
        assert!(Packet::new_checked(&buf[..n], ChecksumPolicy::ZeroAcceptable).is_ok());
    }

    #[test]
    fn chunk_length_errors() {
        // Length below the header, including zero.
        for len in [0u8, 3] {
            let p = packet(1, &[9, 0, 0, len]);
            assert!(matches!(
                Packet::new_checked(&p[..], ChecksumPolicy::Required),
                Err(WireError::LengthBelowHeader {
                    kind: TlvKind::Chunk,
                    ..
                })
            ));
        }
        // Length past the end of the packet.
        let p = packet(1, &[9, 0, 0, 12, 0, 0, 0, 0]);
        assert!(matches!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required),
            Err(WireError::LengthPastEnd {
                offset: 12,
                len: 12,
                available: 8,
                ..
            })
        ));
        // Last chunk without its padding is a partial chunk.
        let p = packet(1, &[10, 0, 0, 5, 0xAB]);
        assert!(matches!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required),
            Err(WireError::LengthPastEnd { .. })
        ));
        // Stray bytes after the last chunk.
        let p = packet(1, &[11, 0, 0, 4, 0, 0]);
        assert!(matches!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required),
            Err(WireError::TrailingBytes {
                offset: 16,
                len: 2,
                ..
            })
        ));
    }

    #[test]
    fn chunk_value_too_short_for_its_type() {
        // A DATA chunk of length 8: fixed fields missing.
        let p = packet(1, &[0, 3, 0, 8, 0, 0, 0, 1]);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        let raw = v.chunks().next().unwrap().unwrap();
        assert_eq!(
            Chunk::parse(&raw).unwrap_err(),
            WireError::ChunkTooShort {
                chunk_type: 0,
                len: 8,
                min: 16
            }
        );
        // SACK whose gap count runs past its length.
        let p = packet(1, &[3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 9, 0, 5, 0, 0]);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        let raw = v.chunks().next().unwrap().unwrap();
        assert!(matches!(
            Chunk::parse(&raw),
            Err(WireError::CountMismatch { chunk_type: 3, .. })
        ));
    }

    #[test]
    fn bundling_init_must_be_alone() {
        let mut both = init_chunk(1);
        both.extend_from_slice(&data_chunk());
        let p = packet(0, &both);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(
            v.check_bundling(),
            Err(BundlingViolation::MustBeAlone { chunk_type: 1 })
        );
        let mut both = COOKIE_ACK.to_vec();
        both.extend_from_slice(&init_chunk(2));
        let p = packet(7, &both);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(
            v.check_bundling(),
            Err(BundlingViolation::MustBeAlone { chunk_type: 2 })
        );
        let mut both = [14, 1, 0, 4].to_vec();
        both.extend_from_slice(&SHUTDOWN_ACK);
        let p = packet(7, &both);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(
            v.check_bundling(),
            Err(BundlingViolation::MustBeAlone { chunk_type: 14 })
        );
        // Alone, they pass.
        let p = packet(0, &init_chunk(1));
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required)
                .unwrap()
                .check_bundling(),
            Ok(())
        );
    }

    #[test]
    fn bundling_zero_tag_only_for_init() {
        let p = packet(0, &COOKIE_ACK);
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(
            v.check_bundling(),
            Err(BundlingViolation::ZeroTagWithoutInit)
        );
        let p = packet(0, &init_chunk(2));
        let v = Packet::new_checked(&p[..], ChecksumPolicy::Required).unwrap();
        assert_eq!(
            v.check_bundling(),
            Err(BundlingViolation::ZeroTagWithoutInit)
        );
    }

    #[test]
    fn bundling_order_rules() {
        let echo = [10u8, 0, 0, 8, 1, 2, 3, 4];
        // COOKIE ECHO then DATA: fine.
        let mut c = echo.to_vec();
        c.extend_from_slice(&data_chunk());
        let p = packet(7, &c);
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required)
                .unwrap()
                .check_bundling(),
            Ok(())
        );
        // AUTH then COOKIE ECHO: fine (RFC 4895).
        let mut c = vec![15u8, 0, 0, 8, 0, 1, 0, 1];
        c.extend_from_slice(&echo);
        let p = packet(7, &c);
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required)
                .unwrap()
                .check_bundling(),
            Ok(())
        );
        // COOKIE ECHO after another control chunk: not.
        let mut c = SHUTDOWN_ACK.to_vec();
        c.extend_from_slice(&echo);
        let p = packet(7, &c);
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required)
                .unwrap()
                .check_bundling(),
            Err(BundlingViolation::CookieEchoNotFirst)
        );
        // Control after DATA.
        let mut c = data_chunk();
        c.extend_from_slice(&SHUTDOWN_ACK);
        let p = packet(7, &c);
        assert_eq!(
            Packet::new_checked(&p[..], ChecksumPolicy::Required)
                .unwrap()
                .check_bundling(),
            Err(BundlingViolation::ControlAfterData { chunk_type: 8 })
        );
    }

    #[test]
    fn writer_reports_no_room_and_keeps_packet() {
        let mut buf = [0u8; 24];
        assert!(PacketWriter::new(&mut buf[..11], 1, 2, VerificationTag(3)).is_err());
        let mut w = PacketWriter::new(&mut buf, 1, 2, VerificationTag(3)).unwrap();
        assert!(w.is_empty());
        w.push(&Chunk::CookieAck).unwrap();
        assert_eq!(w.remaining(), 8);
        let big = Chunk::CookieEcho(crate::wire::CookieEchoChunk { cookie: &[1; 5] });
        assert_eq!(
            w.push(&big),
            Err(WireError::NoRoom {
                needed: 12,
                available: 8
            })
        );
        assert_eq!(w.len(), 16);
        let n = w.finish(ChecksumMode::Compute);
        let v = Packet::new_checked(&buf[..n], ChecksumPolicy::Required).unwrap();
        assert_eq!(v.chunks().count(), 1);
    }

    #[test]
    fn writer_rejects_chunk_over_64k() {
        let mut buf = vec![0u8; 70_000];
        let mut w = PacketWriter::new(&mut buf, 1, 2, VerificationTag(3)).unwrap();
        let cookie = vec![0u8; 65_532];
        let c = Chunk::CookieEcho(crate::wire::CookieEchoChunk { cookie: &cookie });
        assert_eq!(w.push(&c), Err(WireError::TooLong { len: 65_536 }));
    }
}
