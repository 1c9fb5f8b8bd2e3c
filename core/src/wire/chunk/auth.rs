//! AUTH chunk (RFC 4895 §4.1).

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::wire::codec::{put_bytes, put_u16, u16_at};
use crate::wire::error::WireError;

/// An AUTH chunk.
///
/// To verify it, the receiver computes the HMAC over the chunk with the
/// HMAC field zeroed and the chunks after it (RFC 4895 §6.3); the HMAC
/// starts at [`AuthChunk::HMAC_OFFSET`] within the chunk value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthChunk<'a> {
    /// Shared Key Identifier.
    pub shared_key_id: u16,
    /// HMAC Identifier.
    pub hmac_id: u16,
    /// The HMAC.
    pub hmac: &'a [u8],
}

impl AuthChunk<'_> {
    /// Offset of the HMAC within the chunk value.
    pub const HMAC_OFFSET: usize = 4;
}

impl<'a> AuthChunk<'a> {
    /// Parses an AUTH value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::AUTH, v, 4)?;
        Ok(AuthChunk {
            shared_key_id: u16_at(v, 0).unwrap_or(0),
            hmac_id: u16_at(v, 2).unwrap_or(0),
            hmac: v.get(4..).unwrap_or(&[]),
        })
    }
}

impl ChunkBody for AuthChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + self.hmac.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u16(v, 0, self.shared_key_id);
        put_u16(v, 2, self.hmac_id);
        put_bytes(v, 4, self.hmac);
    }
}
impl_emit!(AuthChunk, chunk_type::AUTH);
