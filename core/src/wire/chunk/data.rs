//! DATA (RFC 9260 §3.3.1) and I-DATA (RFC 8260 §2.1) chunks.

use core::fmt;

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::types::{Fsn, Mid, Ppid, Ssn, StreamId, Tsn};
use crate::wire::codec::{put_bytes, put_u16, put_u32, u16_at, u32_at};
use crate::wire::error::WireError;

const FLAG_I: u8 = 0x08;
const FLAG_U: u8 = 0x04;
const FLAG_B: u8 = 0x02;
const FLAG_E: u8 = 0x01;

fn data_flags(immediate_sack: bool, unordered: bool, beginning: bool, ending: bool) -> u8 {
    (u8::from(immediate_sack) * FLAG_I)
        | (u8::from(unordered) * FLAG_U)
        | (u8::from(beginning) * FLAG_B)
        | (u8::from(ending) * FLAG_E)
}

/// A DATA chunk. `payload` borrows from the packet; use the raw chunk's
/// `offset + 12` to slice it out of a `Bytes` without copying.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DataChunk<'a> {
    /// Transmission Sequence Number.
    pub tsn: Tsn,
    /// Stream Identifier.
    pub stream: StreamId,
    /// Stream Sequence Number.
    pub ssn: Ssn,
    /// Payload Protocol Identifier.
    pub ppid: Ppid,
    /// U bit: unordered.
    pub unordered: bool,
    /// B bit: first fragment of a message.
    pub beginning: bool,
    /// E bit: last fragment of a message.
    pub ending: bool,
    /// I bit: the receiver should SACK immediately (RFC 7053).
    pub immediate_sack: bool,
    /// User data. May be empty when received: the association answers with
    /// a No User Data error (RFC 9260 §6.2).
    pub payload: &'a [u8],
}

impl DataChunk<'_> {
    /// Offset of the payload within the chunk value.
    pub const PAYLOAD_OFFSET: usize = 12;
}

impl<'a> DataChunk<'a> {
    /// Parses a DATA chunk value.
    pub fn parse(flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::DATA, v, 12)?;
        Ok(DataChunk {
            tsn: Tsn(u32_at(v, 0).unwrap_or(0)),
            stream: StreamId(u16_at(v, 4).unwrap_or(0)),
            ssn: Ssn(u16_at(v, 6).unwrap_or(0)),
            ppid: Ppid(u32_at(v, 8).unwrap_or(0)),
            unordered: flags & FLAG_U != 0,
            beginning: flags & FLAG_B != 0,
            ending: flags & FLAG_E != 0,
            immediate_sack: flags & FLAG_I != 0,
            payload: v.get(12..).unwrap_or(&[]),
        })
    }
}

impl ChunkBody for DataChunk<'_> {
    fn flags(&self) -> u8 {
        data_flags(
            self.immediate_sack,
            self.unordered,
            self.beginning,
            self.ending,
        )
    }
    fn value_len(&self) -> usize {
        12 + self.payload.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.tsn.0);
        put_u16(v, 4, self.stream.0);
        put_u16(v, 6, self.ssn.0);
        put_u32(v, 8, self.ppid.0);
        put_bytes(v, 12, self.payload);
    }
}
impl_emit!(DataChunk, chunk_type::DATA);

/// An I-DATA chunk (RFC 8260 §2.1).
///
/// The wire carries the PPID in the first fragment (B bit set), whose FSN is
/// implicitly 0, and the FSN in the others. Parsing sets `fsn = 0` for a
/// first fragment and `ppid = 0` for the others; emitting writes `ppid` when
/// `beginning` is set and `fsn` otherwise.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IDataChunk<'a> {
    /// Transmission Sequence Number.
    pub tsn: Tsn,
    /// Stream Identifier.
    pub stream: StreamId,
    /// Message Identifier.
    pub mid: Mid,
    /// Payload Protocol Identifier (first fragment only).
    pub ppid: Ppid,
    /// Fragment Sequence Number (0 for the first fragment).
    pub fsn: Fsn,
    /// U bit: unordered.
    pub unordered: bool,
    /// B bit: first fragment.
    pub beginning: bool,
    /// E bit: last fragment.
    pub ending: bool,
    /// I bit: SACK immediately (RFC 7053).
    pub immediate_sack: bool,
    /// User data.
    pub payload: &'a [u8],
}

impl IDataChunk<'_> {
    /// Offset of the payload within the chunk value.
    pub const PAYLOAD_OFFSET: usize = 16;
}

impl<'a> IDataChunk<'a> {
    /// Parses an I-DATA chunk value.
    pub fn parse(flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::I_DATA, v, 16)?;
        let beginning = flags & FLAG_B != 0;
        let word = u32_at(v, 12).unwrap_or(0);
        Ok(IDataChunk {
            tsn: Tsn(u32_at(v, 0).unwrap_or(0)),
            stream: StreamId(u16_at(v, 4).unwrap_or(0)),
            mid: Mid(u32_at(v, 8).unwrap_or(0)),
            ppid: Ppid(if beginning { word } else { 0 }),
            fsn: Fsn(if beginning { 0 } else { word }),
            unordered: flags & FLAG_U != 0,
            beginning,
            ending: flags & FLAG_E != 0,
            immediate_sack: flags & FLAG_I != 0,
            payload: v.get(16..).unwrap_or(&[]),
        })
    }
}

impl ChunkBody for IDataChunk<'_> {
    fn flags(&self) -> u8 {
        data_flags(
            self.immediate_sack,
            self.unordered,
            self.beginning,
            self.ending,
        )
    }
    fn value_len(&self) -> usize {
        16 + self.payload.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.tsn.0);
        put_u16(v, 4, self.stream.0);
        put_u16(v, 6, 0);
        put_u32(v, 8, self.mid.0);
        put_u32(
            v,
            12,
            if self.beginning {
                self.ppid.0
            } else {
                self.fsn.0
            },
        );
        put_bytes(v, 16, self.payload);
    }
}
impl_emit!(IDataChunk, chunk_type::I_DATA);

/// Flags as the letters of RFC 9260 §3.3.1 / RFC 8260 §2.1, `-` when clear.
struct Flags(bool, bool, bool, bool);

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |on: bool, l: char| if on { l } else { '-' };
        write!(
            f,
            "{}{}{}{}",
            c(self.0, 'I'),
            c(self.1, 'U'),
            c(self.2, 'B'),
            c(self.3, 'E')
        )
    }
}

// Payloads are summarised by length: logs stay readable.
impl fmt::Debug for DataChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataChunk")
            .field("tsn", &self.tsn)
            .field("stream", &self.stream)
            .field("ssn", &self.ssn)
            .field("ppid", &self.ppid)
            .field(
                "flags",
                &Flags(
                    self.immediate_sack,
                    self.unordered,
                    self.beginning,
                    self.ending,
                ),
            )
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

impl fmt::Debug for IDataChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IDataChunk")
            .field("tsn", &self.tsn)
            .field("stream", &self.stream)
            .field("mid", &self.mid)
            .field("ppid", &self.ppid)
            .field("fsn", &self.fsn)
            .field(
                "flags",
                &Flags(
                    self.immediate_sack,
                    self.unordered,
                    self.beginning,
                    self.ending,
                ),
            )
            .field("payload_len", &self.payload.len())
            .finish()
    }
}
