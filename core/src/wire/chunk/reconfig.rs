//! RE-CONFIG chunk (RFC 6525 §3.1).

use super::{chunk_type, impl_emit, ChunkBody};
use crate::wire::error::WireError;
use crate::wire::list::List;
use crate::wire::param::{Param, ParamIter};

/// A RE-CONFIG chunk: one or two request/response parameters (RFC 6525
/// §3.1). Which combinations are legal is the association's to check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReConfigChunk<'a> {
    /// The re-configuration parameters.
    pub params: List<'a, Param<'a>>,
}

impl<'a> ReConfigChunk<'a> {
    /// Parses a RE-CONFIG value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        Ok(ReConfigChunk {
            params: List::Raw(v),
        })
    }

    /// Iterates over the parameters.
    pub fn params(&self) -> ParamIter<'a> {
        self.params.iter()
    }
}

impl ChunkBody for ReConfigChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        self.params.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        self.params.emit(v);
    }
}
impl_emit!(ReConfigChunk, chunk_type::RE_CONFIG);
