//! INIT (RFC 9260 §3.3.2) and INIT ACK (RFC 9260 §3.3.3) chunks.

use super::{need, ChunkBody};
use crate::types::Tsn;
use crate::wire::codec::{put_u16, put_u32, u16_at, u32_at};
use crate::wire::error::WireError;
use crate::wire::list::List;
use crate::wire::param::{Param, ParamIter};

/// The body of an INIT or INIT ACK chunk; [`Chunk::Init`](super::Chunk::Init)
/// or [`Chunk::InitAck`](super::Chunk::InitAck) says which.
///
/// The mandatory-field rules (non-zero tag, streams, rwnd; RFC 9260 §3.3.2)
/// are the association's to check: it must answer with an ABORT, not a
/// parse error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InitChunk<'a> {
    /// Initiate Tag.
    pub initiate_tag: u32,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Number of Outbound Streams.
    pub outbound_streams: u16,
    /// Number of Inbound Streams.
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: Tsn,
    /// Optional/variable-length parameters.
    pub params: List<'a, Param<'a>>,
}

impl<'a> InitChunk<'a> {
    /// Parses an INIT or INIT ACK value; `chunk_type` is for errors.
    pub fn parse(chunk_type: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type, v, 16)?;
        Ok(InitChunk {
            initiate_tag: u32_at(v, 0).unwrap_or(0),
            a_rwnd: u32_at(v, 4).unwrap_or(0),
            outbound_streams: u16_at(v, 8).unwrap_or(0),
            inbound_streams: u16_at(v, 10).unwrap_or(0),
            initial_tsn: Tsn(u32_at(v, 12).unwrap_or(0)),
            params: List::Raw(v.get(16..).unwrap_or(&[])),
        })
    }

    /// Iterates over the parameters.
    pub fn params(&self) -> ParamIter<'a> {
        self.params.iter()
    }
}

impl ChunkBody for InitChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        16 + self.params.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.initiate_tag);
        put_u32(v, 4, self.a_rwnd);
        put_u16(v, 8, self.outbound_streams);
        put_u16(v, 10, self.inbound_streams);
        put_u32(v, 12, self.initial_tsn.0);
        self.params.emit(&mut v[16..]);
    }
}
