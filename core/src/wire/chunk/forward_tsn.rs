//! FORWARD TSN (RFC 3758 §3.2) and I-FORWARD-TSN (RFC 8260 §2.3.1) chunks.

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::types::Tsn;
use crate::wire::codec::{put_u32, u32_at};
use crate::wire::error::WireError;
use crate::wire::list::{ForwardTsnStream, IForwardTsnStream, List};

fn entries(chunk_type: u8, v: &[u8], size: usize) -> Result<&[u8], WireError> {
    let rest = v.get(4..).unwrap_or(&[]);
    if rest.len() % size != 0 {
        return Err(WireError::CountMismatch {
            chunk_type,
            needed: rest.len().next_multiple_of(size),
            available: rest.len(),
        });
    }
    Ok(rest)
}

/// A FORWARD TSN chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForwardTsnChunk<'a> {
    /// New Cumulative TSN.
    pub new_cum_tsn: Tsn,
    /// Per-stream largest skipped SSN.
    pub streams: List<'a, ForwardTsnStream>,
}

impl<'a> ForwardTsnChunk<'a> {
    /// Parses a FORWARD TSN value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::FORWARD_TSN, v, 4)?;
        Ok(ForwardTsnChunk {
            new_cum_tsn: Tsn(u32_at(v, 0).unwrap_or(0)),
            streams: List::Raw(entries(chunk_type::FORWARD_TSN, v, 4)?),
        })
    }

    /// Iterates over the stream entries.
    pub fn streams(&self) -> impl Iterator<Item = ForwardTsnStream> + 'a {
        self.streams.iter().map_while(Result::ok)
    }
}

impl ChunkBody for ForwardTsnChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + self.streams.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.new_cum_tsn.0);
        self.streams.emit(&mut v[4..]);
    }
}
impl_emit!(ForwardTsnChunk, chunk_type::FORWARD_TSN);

/// An I-FORWARD-TSN chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IForwardTsnChunk<'a> {
    /// New Cumulative TSN.
    pub new_cum_tsn: Tsn,
    /// Per-stream (and ordered/unordered) largest skipped MID.
    pub streams: List<'a, IForwardTsnStream>,
}

impl<'a> IForwardTsnChunk<'a> {
    /// Parses an I-FORWARD-TSN value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::I_FORWARD_TSN, v, 4)?;
        Ok(IForwardTsnChunk {
            new_cum_tsn: Tsn(u32_at(v, 0).unwrap_or(0)),
            streams: List::Raw(entries(chunk_type::I_FORWARD_TSN, v, 8)?),
        })
    }

    /// Iterates over the stream entries.
    pub fn streams(&self) -> impl Iterator<Item = IForwardTsnStream> + 'a {
        self.streams.iter().map_while(Result::ok)
    }
}

impl ChunkBody for IForwardTsnChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + self.streams.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.new_cum_tsn.0);
        self.streams.emit(&mut v[4..]);
    }
}
impl_emit!(IForwardTsnChunk, chunk_type::I_FORWARD_TSN);
