//! The test harness's own packet builder and reader.
//!
//! Deliberately independent of the core's `wire` codecs: the scripts inject
//! malformed packets (wrong lengths, bad checksums, truncated chunks) that a
//! correct codec must refuse to produce, and the stack's output is judged by
//! a reader that does not share the stack's code. The reader never panics and
//! never trusts a length field.

use crate::ast::{AddressType, Cause, Chunk, Param, Payload, ReconfigParam, Val};
use crate::parse::chunk_type_by_name;

/// Values the runner substitutes while building an injected packet
/// (packetdrill maps script values onto live ones).
pub trait Mapper {
    /// A TSN of the stack's TSN space, from the script's view to the live one.
    fn local_tsn(&self, script: u32) -> u32;
    /// The state cookie of the last INIT ACK the stack sent, for
    /// `COOKIE_ECHO[val=...]`.
    fn cookie(&self) -> Option<&[u8]>;
}

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

fn or<T: Copy>(v: &Val<T>, default: T) -> T {
    v.get().copied().unwrap_or(default)
}

/// Builds a full SCTP packet: common header (ports, `vtag`, CRC32c, or a
/// wrong checksum when `bad_crc32c`) and the payload.
pub fn build_packet(
    src_port: u16,
    dst_port: u16,
    vtag: u32,
    payload: &Payload,
    bad_crc32c: bool,
    map: &dyn Mapper,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1500);
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&vtag.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    match payload {
        Payload::Raw(bytes) => out.extend_from_slice(bytes),
        Payload::Chunks(chunks) => {
            for c in chunks {
                encode_chunk(&mut out, c, map);
            }
        }
    }
    let mut crc = crc32c::crc32c(&out);
    if bad_crc32c {
        crc = !crc;
    }
    // RFC 9260 Appendix A: the CRC32c is stored little-endian.
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Writes a chunk header whose length field is `len` if given, else computed.
fn chunk_with(out: &mut Vec<u8>, ty: u8, flags: u8, len: Option<u16>, body: &[u8]) {
    let computed = u16::try_from(4 + body.len()).unwrap_or(u16::MAX);
    out.push(ty);
    out.push(flags);
    out.extend_from_slice(&len.unwrap_or(computed).to_be_bytes());
    out.extend_from_slice(body);
    pad4(out);
}

/// A DATA or I-DATA chunk whose `fields` are written: user data (zeros)
/// fills it up to `len` (none when `len` is `...`); flags default to BE.
fn data_like(out: &mut Vec<u8>, ty: u8, flags: &Val<u8>, len: &Val<u16>, mut fields: Vec<u8>) {
    let header = 4 + fields.len();
    let total = usize::from(or(len, 0)).max(header);
    fields.resize(total - 4, 0);
    chunk_with(out, ty, or(flags, 3), len.get().copied(), &fields);
}

fn encode_chunk(out: &mut Vec<u8>, c: &Chunk, map: &dyn Mapper) {
    let mut body = Vec::new();
    match c {
        Chunk::Data {
            flags,
            len,
            tsn,
            sid,
            ssn,
            ppid,
        } => {
            body.extend_from_slice(&or(tsn, 0).to_be_bytes());
            body.extend_from_slice(&or(sid, 0).to_be_bytes());
            body.extend_from_slice(&or(ssn, 0).to_be_bytes());
            body.extend_from_slice(&or(ppid, 0).to_be_bytes());
            data_like(out, 0, flags, len, body);
        }
        Chunk::Init(i) | Chunk::InitAck(i) => {
            body.extend_from_slice(&or(&i.tag, 1).to_be_bytes());
            body.extend_from_slice(&or(&i.a_rwnd, 1500).to_be_bytes());
            body.extend_from_slice(&or(&i.os, 1).to_be_bytes());
            body.extend_from_slice(&or(&i.is, 1).to_be_bytes());
            body.extend_from_slice(&or(&i.tsn, 0).to_be_bytes());
            for p in &i.params.items {
                encode_param(&mut body, p);
            }
            let ty = if matches!(c, Chunk::Init(_)) { 1 } else { 2 };
            chunk_with(out, ty, or(&i.flags, 0), None, &body);
        }
        Chunk::Sack {
            flags,
            cum_tsn,
            a_rwnd,
            gaps,
            dups,
        } => {
            let gaps = gaps.get().cloned().unwrap_or_default();
            let dups = dups.get().cloned().unwrap_or_default();
            body.extend_from_slice(&map.local_tsn(or(cum_tsn, 0)).to_be_bytes());
            body.extend_from_slice(&or(a_rwnd, 1500).to_be_bytes());
            body.extend_from_slice(&u16::try_from(gaps.len()).unwrap_or(0).to_be_bytes());
            body.extend_from_slice(&u16::try_from(dups.len()).unwrap_or(0).to_be_bytes());
            for (s, e) in gaps {
                body.extend_from_slice(&s.to_be_bytes());
                body.extend_from_slice(&e.to_be_bytes());
            }
            for d in dups {
                body.extend_from_slice(&map.local_tsn(d).to_be_bytes());
            }
            chunk_with(out, 3, or(flags, 0), None, &body);
        }
        Chunk::Heartbeat { flags, params } | Chunk::HeartbeatAck { flags, params } => {
            for p in &params.items {
                encode_param(&mut body, p);
            }
            let ty = if matches!(c, Chunk::Heartbeat { .. }) {
                4
            } else {
                5
            };
            chunk_with(out, ty, or(flags, 0), None, &body);
        }
        Chunk::Abort { flags, causes } | Chunk::Error { flags, causes } => {
            for cause in &causes.items {
                encode_cause(&mut body, cause, map);
            }
            let ty = if matches!(c, Chunk::Abort { .. }) {
                6
            } else {
                9
            };
            chunk_with(out, ty, or(flags, 0), None, &body);
        }
        Chunk::Shutdown { flags, cum_tsn } => {
            body.extend_from_slice(&map.local_tsn(or(cum_tsn, 0)).to_be_bytes());
            chunk_with(out, 7, or(flags, 0), None, &body);
        }
        Chunk::ShutdownAck { flags } => chunk_with(out, 8, or(flags, 0), None, &[]),
        Chunk::CookieAck { flags } => chunk_with(out, 11, or(flags, 0), None, &[]),
        Chunk::ShutdownComplete { flags } => chunk_with(out, 14, or(flags, 0), None, &[]),
        Chunk::CookieEcho { flags, len, val } => {
            match val {
                Val::Is(v) => body.extend_from_slice(v),
                // packetdrill echoes the cookie the stack handed out.
                Val::Any => body.extend_from_slice(map.cookie().unwrap_or(&[])),
            }
            chunk_with(out, 10, or(flags, 0), len.get().copied(), &body);
        }
        Chunk::IData {
            flags,
            len,
            tsn,
            sid,
            mid,
            ppid_fsn,
        } => {
            // RFC 8260 §2.1: TSN, SID, reserved, MID, PPID / FSN.
            body.extend_from_slice(&or(tsn, 0).to_be_bytes());
            body.extend_from_slice(&or(sid, 0).to_be_bytes());
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&or(mid, 0).to_be_bytes());
            body.extend_from_slice(&or(ppid_fsn, 0).to_be_bytes());
            data_like(out, 64, flags, len, body);
        }
        Chunk::ForwardTsn {
            flags,
            len,
            cum_tsn,
            ids,
        } => {
            // RFC 3758 §3.2; the peer's own TSN space: not mapped.
            body.extend_from_slice(&or(cum_tsn, 0).to_be_bytes());
            for (sid, ssn) in ids.get().map_or(&[][..], Vec::as_slice) {
                body.extend_from_slice(&sid.to_be_bytes());
                body.extend_from_slice(&ssn.to_be_bytes());
            }
            chunk_with(out, 192, or(flags, 0), len.get().copied(), &body);
        }
        Chunk::IForwardTsn {
            flags,
            len,
            cum_tsn,
            ids,
        } => {
            // RFC 8260 §2.3.1: SID, 15 reserved bits and U, MID.
            body.extend_from_slice(&or(cum_tsn, 0).to_be_bytes());
            for (sid, u, mid) in ids.get().map_or(&[][..], Vec::as_slice) {
                body.extend_from_slice(&sid.to_be_bytes());
                body.extend_from_slice(&u16::from(*u).to_be_bytes());
                body.extend_from_slice(&mid.to_be_bytes());
            }
            chunk_with(out, 194, or(flags, 0), len.get().copied(), &body);
        }
        Chunk::Reconfig { flags, len, params } => {
            for p in &params.items {
                encode_reconfig_param(&mut body, p, map);
            }
            chunk_with(out, 130, or(flags, 0), len.get().copied(), &body);
        }
        Chunk::Generic {
            ty,
            flags,
            len,
            val,
        } => {
            body.extend_from_slice(val.get().map_or(&[][..], Vec::as_slice));
            chunk_with(out, or(ty, 0), or(flags, 0), len.get().copied(), &body);
        }
    }
}

/// A RE-CONFIG parameter the scripted peer sends: the fields in the
/// receiver's (the stack's) TSN space are mapped to the live values.
fn encode_reconfig_param(out: &mut Vec<u8>, p: &ReconfigParam, map: &dyn Mapper) {
    let mut body = Vec::new();
    let mut put = |v: u32| body.extend_from_slice(&v.to_be_bytes());
    let ty = match p {
        ReconfigParam::OutgoingSsnReset {
            req_sn,
            resp_sn,
            last_tsn,
            sids,
        } => {
            put(or(req_sn, 0));
            put(map.local_tsn(or(resp_sn, 0)));
            put(or(last_tsn, 0));
            sid_list(&mut body, sids);
            13
        }
        ReconfigParam::IncomingSsnReset { req_sn, sids } => {
            put(or(req_sn, 0));
            sid_list(&mut body, sids);
            14
        }
        ReconfigParam::SsnTsnReset { req_sn } => {
            put(or(req_sn, 0));
            15
        }
        ReconfigParam::Response {
            req_sn,
            result,
            sender_next_tsn,
            receiver_next_tsn,
        } => {
            put(map.local_tsn(or(req_sn, 0)));
            put(or(result, 0));
            if let Some(s) = sender_next_tsn {
                put(or(s, 0));
            }
            if let Some(r) = receiver_next_tsn {
                put(map.local_tsn(or(r, 0)));
            }
            16
        }
        ReconfigParam::AddOutgoingStreams {
            req_sn,
            number_of_new_streams,
        }
        | ReconfigParam::AddIncomingStreams {
            req_sn,
            number_of_new_streams,
        } => {
            put(or(req_sn, 0));
            body.extend_from_slice(&or(number_of_new_streams, 0).to_be_bytes());
            body.extend_from_slice(&[0, 0]);
            if matches!(p, ReconfigParam::AddOutgoingStreams { .. }) {
                17
            } else {
                18
            }
        }
    };
    tlv(out, ty, None, &body);
}

fn sid_list(body: &mut Vec<u8>, sids: &Val<Vec<u16>>) {
    for sid in sids.get().map_or(&[][..], Vec::as_slice) {
        body.extend_from_slice(&sid.to_be_bytes());
    }
}

fn tlv(out: &mut Vec<u8>, ty: u16, len: Option<u16>, body: &[u8]) {
    let computed = u16::try_from(4 + body.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&len.unwrap_or(computed).to_be_bytes());
    out.extend_from_slice(body);
    pad4(out);
}

/// Bytes of a `len`/`val` pair: `val` if given, else zeros up to `len`.
fn sized(len: &Val<u16>, val: &Val<Vec<u8>>, header: usize) -> Vec<u8> {
    match (val, len) {
        (Val::Is(v), _) => v.clone(),
        (Val::Any, Val::Is(l)) => vec![0; usize::from(*l).saturating_sub(header)],
        (Val::Any, Val::Any) => Vec::new(),
    }
}

fn encode_param(out: &mut Vec<u8>, p: &Param) {
    match p {
        Param::Ipv4Address(a) => tlv(out, 5, None, &a.get().map_or([0; 4], |a| a.octets())),
        Param::Ipv6Address(a) => tlv(out, 6, None, &a.get().map_or([0; 16], |a| a.octets())),
        Param::StateCookie { len, val } => tlv(out, 7, len.get().copied(), &sized(len, val, 4)),
        Param::UnrecognizedParameter(ps) => {
            let mut body = Vec::new();
            for q in ps.get().map_or(&[][..], Vec::as_slice) {
                encode_param(&mut body, q);
            }
            tlv(out, 8, None, &body);
        }
        Param::CookiePreservative(incr) => tlv(out, 9, None, &or(incr, 0).to_be_bytes()),
        Param::HostnameAddress(h) => {
            let mut body = h.get().map_or_else(Vec::new, |s| s.as_bytes().to_vec());
            body.push(0);
            tlv(out, 11, None, &body);
        }
        Param::SupportedAddressTypes(types) => {
            let mut body = Vec::new();
            for t in types.get().map_or(&[][..], Vec::as_slice) {
                body.extend_from_slice(&AddressType::code(*t).to_be_bytes());
            }
            tlv(out, 12, None, &body);
        }
        Param::HeartbeatInformation { len, val } => {
            tlv(out, 1, len.get().copied(), &sized(len, val, 4))
        }
        Param::Generic { ty, len, val } => {
            tlv(out, or(ty, 0), len.get().copied(), &sized(len, val, 4))
        }
    }
}

fn encode_cause(out: &mut Vec<u8>, c: &Cause, map: &dyn Mapper) {
    let mut body = Vec::new();
    let code = match c {
        Cause::InvalidStreamIdentifier(sid) => {
            body.extend_from_slice(&or(sid, 0).to_be_bytes());
            body.extend_from_slice(&[0, 0]);
            1
        }
        Cause::MissingMandatoryParameter(types) => {
            let types = types.get().map_or(&[][..], Vec::as_slice);
            body.extend_from_slice(&u32::try_from(types.len()).unwrap_or(0).to_be_bytes());
            for t in types {
                body.extend_from_slice(&t.to_be_bytes());
            }
            2
        }
        Cause::StaleCookie(s) => {
            body.extend_from_slice(&or(s, 0).to_be_bytes());
            3
        }
        Cause::UnresolvableAddress(p) => {
            if let Val::Is(p) = p {
                encode_param(&mut body, p);
            }
            5
        }
        Cause::UnrecognizedChunkType(ch) => {
            if let Val::Is(ch) = ch {
                encode_chunk(&mut body, ch, map);
            }
            6
        }
        Cause::InvalidMandatoryParameter => 7,
        Cause::UnrecognizedParameters(ps) => {
            for q in ps.get().map_or(&[][..], Vec::as_slice) {
                encode_param(&mut body, q);
            }
            8
        }
        Cause::NoUserData(tsn) => {
            body.extend_from_slice(&or(tsn, 0).to_be_bytes());
            9
        }
        Cause::ProtocolViolation(info) => {
            body.extend_from_slice(info.get().map_or(&[][..], Vec::as_slice));
            13
        }
    };
    tlv(out, code, None, &body);
}

/// The common header and chunks of a packet the stack sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentPacket {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Verification tag.
    pub vtag: u32,
    /// Whether the CRC32c was right.
    pub checksum_ok: bool,
    /// The chunks, in order.
    pub chunks: Vec<RawChunk>,
}

/// One chunk as sent: header fields and the value after the 4-byte header
/// (padding excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawChunk {
    /// Chunk type.
    pub ty: u8,
    /// Chunk flags.
    pub flags: u8,
    /// The length field.
    pub len: u16,
    /// The value bytes (`len - 4` of them).
    pub value: Vec<u8>,
}

/// A TLV (parameter or error cause) as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTlv {
    /// Type or cause code.
    pub ty: u16,
    /// The length field.
    pub len: u16,
    /// The value bytes (`len - 4` of them).
    pub value: Vec<u8>,
}

/// Reads a packet; `None` when it is too short or a length is inconsistent.
pub fn read_packet(bytes: &[u8]) -> Option<SentPacket> {
    let header = bytes.get(..12)?;
    let src_port = u16::from_be_bytes([header[0], header[1]]);
    let dst_port = u16::from_be_bytes([header[2], header[3]]);
    let vtag = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    let stored = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let mut zeroed = bytes.to_vec();
    zeroed[8..12].copy_from_slice(&[0; 4]);
    let checksum_ok = crc32c::crc32c(&zeroed) == stored;
    let mut chunks = Vec::new();
    let mut rest = bytes.get(12..)?;
    while !rest.is_empty() {
        let h = rest.get(..4)?;
        let len = u16::from_be_bytes([h[2], h[3]]);
        let value = rest.get(4..usize::from(len))?.to_vec();
        chunks.push(RawChunk {
            ty: h[0],
            flags: h[1],
            len,
            value,
        });
        let padded = (usize::from(len) + 3) & !3;
        rest = rest.get(padded.min(rest.len())..)?;
    }
    Some(SentPacket {
        src_port,
        dst_port,
        vtag,
        checksum_ok,
        chunks,
    })
}

/// Splits a TLV sequence; stops at the first malformed entry.
pub fn read_tlvs(mut bytes: &[u8]) -> Vec<RawTlv> {
    let mut out = Vec::new();
    while let Some(h) = bytes.get(..4) {
        let ty = u16::from_be_bytes([h[0], h[1]]);
        let len = u16::from_be_bytes([h[2], h[3]]);
        let Some(value) = bytes.get(4..usize::from(len)) else {
            break;
        };
        out.push(RawTlv {
            ty,
            len,
            value: value.to_vec(),
        });
        let padded = (usize::from(len) + 3) & !3;
        bytes = bytes.get(padded.min(bytes.len())..).unwrap_or(&[]);
    }
    out
}

/// The script name of a chunk type.
pub fn chunk_name(ty: u8) -> String {
    const NAMES: &[&str] = &[
        "DATA",
        "INIT",
        "INIT_ACK",
        "SACK",
        "HEARTBEAT",
        "HEARTBEAT_ACK",
        "ABORT",
        "SHUTDOWN",
        "SHUTDOWN_ACK",
        "ERROR",
        "COOKIE_ECHO",
        "COOKIE_ACK",
        "SHUTDOWN_COMPLETE",
        "I_DATA",
        "RECONFIG",
        "FORWARD_TSN",
        "I_FORWARD_TSN",
    ];
    NAMES
        .iter()
        .find(|n| chunk_type_by_name(n) == Some(ty))
        .map_or_else(|| format!("CHUNK[type=0x{ty:02x}]"), |n| (*n).to_string())
}

fn be32(v: &[u8], at: usize) -> Option<u32> {
    v.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(v: &[u8], at: usize) -> Option<u16> {
    v.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

impl RawChunk {
    /// A 32-bit field of the value, if present.
    pub fn u32_at(&self, at: usize) -> Option<u32> {
        be32(&self.value, at)
    }
    /// A 16-bit field of the value, if present.
    pub fn u16_at(&self, at: usize) -> Option<u16> {
        be16(&self.value, at)
    }
}

impl std::fmt::Display for RawChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = chunk_name(self.ty);
        write!(f, "{name}[flgs=0x{:02x}, len={}", self.flags, self.len)?;
        let u = |at| self.u32_at(at).unwrap_or(0);
        let h = |at| self.u16_at(at).unwrap_or(0);
        match self.ty {
            0 => write!(
                f,
                ", tsn={}, sid={}, ssn={}, ppid={}",
                u(0),
                h(4),
                h(6),
                u(8)
            )?,
            1 | 2 => write!(
                f,
                ", tag={}, a_rwnd={}, os={}, is={}, tsn={}, params=[{}]",
                u(0),
                u(4),
                h(8),
                h(10),
                u(12),
                read_tlvs(self.value.get(16..).unwrap_or(&[]))
                    .iter()
                    .map(|t| format!("0x{:04x}/{}", t.ty, t.len))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
            3 => write!(
                f,
                ", cum_tsn={}, a_rwnd={}, gaps={}, dups={}",
                u(0),
                u(4),
                h(8),
                h(10)
            )?,
            7 | 192 | 194 => write!(f, ", cum_tsn={}", u(0))?,
            64 => write!(
                f,
                ", tsn={}, sid={}, mid={}, ppid/fsn={}",
                u(0),
                h(4),
                u(8),
                u(12)
            )?,
            130 => write!(
                f,
                ", params=[{}]",
                read_tlvs(&self.value)
                    .iter()
                    .map(|t| t.ty.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
            6 | 9 => write!(
                f,
                ", causes=[{}]",
                read_tlvs(&self.value)
                    .iter()
                    .map(|t| t.ty.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
            _ => {}
        }
        write!(f, "]")
    }
}

impl std::fmt::Display for SentPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sctp(tag={}): ", self.vtag)?;
        for (i, c) in self.chunks.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_script;

    struct NoMap;
    impl Mapper for NoMap {
        fn local_tsn(&self, script: u32) -> u32 {
            script.wrapping_add(100)
        }
        fn cookie(&self) -> Option<&[u8]> {
            Some(&[9, 9, 9])
        }
    }

    fn payload(line: &str) -> Payload {
        let s = parse_script(line).unwrap();
        match &s.events[0].action {
            crate::ast::Action::Packet(p) => p.payload.clone(),
            _ => panic!("not a packet"),
        }
    }

    #[test]
    fn built_packets_read_back_with_valid_checksum() {
        let p = payload(
            "+0 < sctp: DATA[flgs=BE, len=116, tsn=1, sid=0, ssn=0, ppid=0]; \
             SACK[flgs=0, cum_tsn=1, a_rwnd=1500, gaps=[2:2], dups=[]]; COOKIE_ECHO[flgs=0, len=..., val=...]",
        );
        let bytes = build_packet(1, 2, 0xdead_beef, &p, false, &NoMap);
        let r = read_packet(&bytes).expect("reads");
        assert!(r.checksum_ok);
        assert_eq!((r.src_port, r.dst_port, r.vtag), (1, 2, 0xdead_beef));
        assert_eq!(r.chunks.len(), 3);
        assert_eq!(
            (r.chunks[0].ty, r.chunks[0].flags, r.chunks[0].len),
            (0, 3, 116)
        );
        assert_eq!(r.chunks[0].value.len(), 112);
        // SACK TSNs are in the stack's TSN space: mapped.
        assert_eq!(r.chunks[1].u32_at(0), Some(101));
        assert_eq!(r.chunks[1].u16_at(8), Some(1));
        // COOKIE_ECHO with val=... echoes the learned cookie.
        assert_eq!(r.chunks[2].value, vec![9, 9, 9]);
        let bad = build_packet(1, 2, 3, &p, true, &NoMap);
        assert!(!read_packet(&bad).unwrap().checksum_ok);
    }

    #[test]
    fn extension_chunks_are_built_as_the_rfcs_lay_them_out() {
        let p = payload(
            "+0 < sctp: I_DATA[flgs=BE, len=24, tsn=5, sid=1, mid=2, ppid=3]; \
             FORWARD_TSN[flgs=0, len=..., cum_tsn=9, ids=[{1,2}]]; \
             I_FORWARD_TSN[flgs=0, len=..., cum_tsn=9, ids=[{1,1,7}]]; \
             RECONFIG[flgs=0, OUTGOING_SSN_RESET[req_sn=1, resp_sn=2, last_tsn=3, sids=[4]], \
             RECONFIG_RESPONSE[req_sn=5, result=1, sender_next_tsn=6, receiver_next_tsn=7]]",
        );
        let r = read_packet(&build_packet(1, 2, 3, &p, false, &NoMap)).unwrap();
        let types: Vec<u8> = r.chunks.iter().map(|c| c.ty).collect();
        assert_eq!(types, vec![64, 192, 194, 130]);
        // RFC 8260 §2.1: TSN, SID, reserved, MID, PPID, then 4 data bytes.
        assert_eq!(r.chunks[0].len, 24);
        assert_eq!(
            r.chunks[0].value,
            vec![0, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0]
        );
        // The peer's own TSNs are not mapped.
        assert_eq!(r.chunks[1].value, vec![0, 0, 0, 9, 0, 1, 0, 2]);
        assert_eq!(r.chunks[2].value, vec![0, 0, 0, 9, 0, 1, 0, 1, 0, 0, 0, 7]);
        let params = read_tlvs(&r.chunks[3].value);
        assert_eq!((params[0].ty, params[1].ty), (13, 16));
        // Outgoing SSN Reset: req 1 and last TSN 3 are the peer's, the
        // response sequence number answers ours (mapped: + 100).
        assert_eq!(
            params[0].value,
            vec![0, 0, 0, 1, 0, 0, 0, 102, 0, 0, 0, 3, 0, 4]
        );
        // Response: the request answered and the receiver's next TSN are
        // ours (mapped), the sender's next TSN the peer's.
        assert_eq!(
            params[1].value,
            vec![0, 0, 0, 105, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 107]
        );
    }

    #[test]
    fn malformed_lengths_are_kept_as_written() {
        let p = payload("+0 < sctp: CHUNK[type=0x2F, flgs=0, len=5, val=[0x01]]; COOKIE_ECHO[flgs=0, len=16, val=[0x01, 0x02, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x9, 0x0a, 0x0b]]");
        let bytes = build_packet(1, 2, 3, &p, false, &NoMap);
        assert_eq!(&bytes[12..20], &[0x2f, 0, 0, 5, 1, 0, 0, 0]);
        // COOKIE_ECHO claims 16 bytes but carries 12 + header: length as written.
        assert_eq!(&bytes[20..24], &[10, 0, 0, 16]);
        let raw = build_packet(1, 2, 0, &Payload::Raw(vec![1, 0, 0, 0x60]), false, &NoMap);
        assert_eq!(raw.len(), 16);
        // The declared INIT length exceeds the packet: the reader refuses it.
        assert_eq!(read_packet(&raw), None);
    }

    #[test]
    fn reader_never_panics() {
        let p = payload("+0 < sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1, IPV4_ADDRESS[addr=1.1.1.1]]");
        let bytes = build_packet(1, 2, 3, &p, false, &NoMap);
        for end in 0..bytes.len() {
            let _ = read_packet(&bytes[..end]);
            let _ = read_tlvs(&bytes[end..]);
        }
        let r = read_packet(&bytes).unwrap();
        let params = read_tlvs(&r.chunks[0].value[16..]);
        assert_eq!(params[0].ty, 5);
        assert_eq!(params[0].value, vec![1, 1, 1, 1]);
    }
}
