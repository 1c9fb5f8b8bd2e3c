//! SACK chunk (RFC 9260 §3.3.4).

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::types::{GapAckBlock, Tsn};
use crate::wire::codec::{put_u16, put_u32, u16_at, u32_at};
use crate::wire::error::WireError;
use crate::wire::list::List;

/// A SACK chunk. Gap blocks and duplicate TSNs are views over the packet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SackChunk<'a> {
    /// Cumulative TSN Ack.
    pub cum_tsn_ack: Tsn,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Gap Ack Blocks (offsets from `cum_tsn_ack`).
    pub gap_blocks: List<'a, GapAckBlock>,
    /// Duplicate TSNs.
    pub duplicate_tsns: List<'a, Tsn>,
}

impl<'a> SackChunk<'a> {
    /// Parses a SACK value. The gap and duplicate counts must fit in the
    /// length; bytes after them are ignored.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::SACK, v, 12)?;
        let gaps = usize::from(u16_at(v, 8).unwrap_or(0)) * 4;
        let dups = usize::from(u16_at(v, 10).unwrap_or(0)) * 4;
        let (Some(gap_bytes), Some(dup_bytes)) =
            (v.get(12..12 + gaps), v.get(12 + gaps..12 + gaps + dups))
        else {
            return Err(WireError::CountMismatch {
                chunk_type: chunk_type::SACK,
                needed: gaps + dups,
                available: v.len() - 12,
            });
        };
        Ok(SackChunk {
            cum_tsn_ack: Tsn(u32_at(v, 0).unwrap_or(0)),
            a_rwnd: u32_at(v, 4).unwrap_or(0),
            gap_blocks: List::Raw(gap_bytes),
            duplicate_tsns: List::Raw(dup_bytes),
        })
    }

    /// Iterates over the gap ack blocks.
    pub fn gap_blocks(&self) -> impl Iterator<Item = GapAckBlock> + 'a {
        // Parsing checked the length, so no item can fail.
        self.gap_blocks.iter().map_while(Result::ok)
    }

    /// Iterates over the duplicate TSNs.
    pub fn duplicate_tsns(&self) -> impl Iterator<Item = Tsn> + 'a {
        self.duplicate_tsns.iter().map_while(Result::ok)
    }
}

fn count(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

impl ChunkBody for SackChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        12 + self.gap_blocks.encoded_len() + self.duplicate_tsns.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.cum_tsn_ack.0);
        put_u32(v, 4, self.a_rwnd);
        let g = self.gap_blocks.encoded_len();
        put_u16(v, 8, count(g / 4));
        put_u16(v, 10, count(self.duplicate_tsns.encoded_len() / 4));
        self.gap_blocks.emit(&mut v[12..]);
        self.duplicate_tsns.emit(&mut v[12 + g..]);
    }
}
impl_emit!(SackChunk, chunk_type::SACK);
