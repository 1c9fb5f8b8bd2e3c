//! ASCONF and ASCONF ACK chunks (RFC 5061 §3.1).

use core::net::IpAddr;

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::wire::codec::{put_u32, u32_at};
use crate::wire::error::WireError;
use crate::wire::list::List;
use crate::wire::param::{
    encoded_address_param, parse_address_param, write_address_param, Param, ParamIter,
};

/// An ASCONF chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AsconfChunk<'a> {
    /// Sequence Number.
    pub serial: u32,
    /// The Address Parameter identifying the association (RFC 5061 §3.1.1).
    pub address: IpAddr,
    /// ASCONF parameters (Add/Delete IP, Set Primary, ...).
    pub params: List<'a, Param<'a>>,
}

impl<'a> AsconfChunk<'a> {
    /// Parses an ASCONF value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::ASCONF, v, 8)?;
        let rest = v.get(4..).unwrap_or(&[]);
        let (address, used) = parse_address_param(rest, chunk_type::ASCONF)?;
        Ok(AsconfChunk {
            serial: u32_at(v, 0).unwrap_or(0),
            address,
            params: List::Raw(rest.get(used..).unwrap_or(&[])),
        })
    }

    /// Iterates over the parameters.
    pub fn params(&self) -> ParamIter<'a> {
        self.params.iter()
    }
}

impl ChunkBody for AsconfChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + encoded_address_param(&self.address) + self.params.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.serial);
        let a = encoded_address_param(&self.address);
        write_address_param(&self.address, &mut v[4..]);
        self.params.emit(&mut v[4 + a..]);
    }
}
impl_emit!(AsconfChunk, chunk_type::ASCONF);

/// An ASCONF ACK chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AsconfAckChunk<'a> {
    /// Sequence Number of the ASCONF acknowledged.
    pub serial: u32,
    /// Responses (Success / Error Cause Indication).
    pub params: List<'a, Param<'a>>,
}

impl<'a> AsconfAckChunk<'a> {
    /// Parses an ASCONF ACK value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type::ASCONF_ACK, v, 4)?;
        Ok(AsconfAckChunk {
            serial: u32_at(v, 0).unwrap_or(0),
            params: List::Raw(v.get(4..).unwrap_or(&[])),
        })
    }

    /// Iterates over the parameters.
    pub fn params(&self) -> ParamIter<'a> {
        self.params.iter()
    }
}

impl ChunkBody for AsconfAckChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + self.params.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_u32(v, 0, self.serial);
        self.params.emit(&mut v[4..]);
    }
}
impl_emit!(AsconfAckChunk, chunk_type::ASCONF_ACK);
