//! Small control chunks: HEARTBEAT / HEARTBEAT ACK (RFC 9260 §3.3.5-6),
//! ABORT (§3.3.7), SHUTDOWN (§3.3.8), ERROR (§3.3.10), COOKIE ECHO
//! (§3.3.11), SHUTDOWN COMPLETE (§3.3.13), ECNE and CWR (Appendix A) and
//! PAD (RFC 4820).

use super::{chunk_type, impl_emit, need, ChunkBody};
use crate::types::Tsn;
use crate::wire::cause::{CauseIter, ErrorCause};
use crate::wire::codec::{put_bytes, put_tlv_header, put_u32, u32_at};
use crate::wire::error::{TlvKind, WireError};
use crate::wire::list::{split_tlv, List};
use crate::wire::param::param_type;

/// The T bit of ABORT and SHUTDOWN COMPLETE (RFC 9260 §3.3.7, §3.3.13).
const FLAG_T: u8 = 0x01;

/// The body of a HEARTBEAT or HEARTBEAT ACK chunk: the Heartbeat Info
/// parameter's value, opaque to the receiver, echoed back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeartbeatChunk<'a> {
    /// Sender-specific heartbeat information.
    pub info: &'a [u8],
}

impl<'a> HeartbeatChunk<'a> {
    /// Parses a HEARTBEAT or HEARTBEAT ACK value: a Heartbeat Info
    /// parameter. `chunk_type` is for errors.
    pub fn parse(chunk_type: u8, v: &'a [u8]) -> Result<Self, WireError> {
        need(chunk_type, v, 4)?;
        let (t, info, _) = split_tlv(v, TlvKind::Param)?;
        if t != param_type::HEARTBEAT_INFO {
            return Err(WireError::UnexpectedParam {
                chunk_type,
                expected: param_type::HEARTBEAT_INFO,
                found: t,
            });
        }
        Ok(HeartbeatChunk { info })
    }
}

impl ChunkBody for HeartbeatChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        4 + self.info.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_tlv_header(v, param_type::HEARTBEAT_INFO, 4 + self.info.len());
        put_bytes(v, 4, self.info);
    }
}

/// An ABORT chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AbortChunk<'a> {
    /// T bit: the packet carries the sender's own (reflected) tag, not the
    /// receiver's (RFC 9260 §8.5.1 B).
    pub reflected_tag: bool,
    /// Error causes.
    pub causes: List<'a, ErrorCause<'a>>,
}

impl<'a> AbortChunk<'a> {
    /// Parses an ABORT value.
    pub fn parse(flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        Ok(AbortChunk {
            reflected_tag: flags & FLAG_T != 0,
            causes: List::Raw(v),
        })
    }

    /// Iterates over the error causes.
    pub fn causes(&self) -> CauseIter<'a> {
        self.causes.iter()
    }
}

impl ChunkBody for AbortChunk<'_> {
    fn flags(&self) -> u8 {
        u8::from(self.reflected_tag) * FLAG_T
    }
    fn value_len(&self) -> usize {
        self.causes.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        self.causes.emit(v);
    }
}
impl_emit!(AbortChunk, chunk_type::ABORT);

/// An ERROR chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorChunk<'a> {
    /// Error causes.
    pub causes: List<'a, ErrorCause<'a>>,
}

impl<'a> ErrorChunk<'a> {
    /// Parses an ERROR value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        Ok(ErrorChunk {
            causes: List::Raw(v),
        })
    }

    /// Iterates over the error causes.
    pub fn causes(&self) -> CauseIter<'a> {
        self.causes.iter()
    }
}

impl ChunkBody for ErrorChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        self.causes.encoded_len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        self.causes.emit(v);
    }
}
impl_emit!(ErrorChunk, chunk_type::ERROR);

/// A COOKIE ECHO chunk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CookieEchoChunk<'a> {
    /// The State Cookie from the INIT ACK.
    pub cookie: &'a [u8],
}

impl core::fmt::Debug for CookieEchoChunk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CookieEchoChunk")
            .field("cookie_len", &self.cookie.len())
            .finish()
    }
}

impl<'a> CookieEchoChunk<'a> {
    /// Parses a COOKIE ECHO value.
    pub fn parse(_flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        Ok(CookieEchoChunk { cookie: v })
    }
}

impl ChunkBody for CookieEchoChunk<'_> {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        self.cookie.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_bytes(v, 0, self.cookie);
    }
}
impl_emit!(CookieEchoChunk, chunk_type::COOKIE_ECHO);

macro_rules! tsn_chunk {
    ($(#[$doc:meta])* $name:ident, $field:ident, $ty:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            #[allow(missing_docs)]
            pub $field: Tsn,
        }

        impl $name {
            /// Parses the chunk value; bytes after the TSN are ignored.
            pub fn parse(_flags: u8, v: &[u8]) -> Result<Self, WireError> {
                need($ty, v, 4)?;
                Ok($name {
                    $field: Tsn(u32_at(v, 0).unwrap_or(0)),
                })
            }
        }

        impl ChunkBody for $name {
            fn flags(&self) -> u8 {
                0
            }
            fn value_len(&self) -> usize {
                4
            }
            fn emit_value(&self, v: &mut [u8]) {
                put_u32(v, 0, self.$field.0);
            }
        }
        impl_emit!(@owned $name, $ty);
    };
}

tsn_chunk!(
    /// A SHUTDOWN chunk: `cum_tsn_ack` is the Cumulative TSN Ack.
    ShutdownChunk,
    cum_tsn_ack,
    chunk_type::SHUTDOWN
);
tsn_chunk!(
    /// An ECNE chunk: `lowest_tsn` is the lowest TSN received with CE set.
    EcneChunk,
    lowest_tsn,
    chunk_type::ECNE
);
tsn_chunk!(
    /// A CWR chunk: `lowest_tsn` is the TSN sent when cwnd was lowered.
    CwrChunk,
    lowest_tsn,
    chunk_type::CWR
);

/// A SHUTDOWN COMPLETE chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownCompleteChunk {
    /// T bit: the packet carries the reflected tag (RFC 9260 §8.5.1 C).
    pub reflected_tag: bool,
}

impl ShutdownCompleteChunk {
    /// Parses a SHUTDOWN COMPLETE value.
    pub fn parse(flags: u8, _v: &[u8]) -> Result<Self, WireError> {
        Ok(ShutdownCompleteChunk {
            reflected_tag: flags & FLAG_T != 0,
        })
    }
}

impl ChunkBody for ShutdownCompleteChunk {
    fn flags(&self) -> u8 {
        u8::from(self.reflected_tag) * FLAG_T
    }
    fn value_len(&self) -> usize {
        0
    }
    fn emit_value(&self, _: &mut [u8]) {}
}
impl_emit!(@owned ShutdownCompleteChunk, chunk_type::SHUTDOWN_COMPLETE);

/// A PAD chunk (RFC 4820): padding bytes the receiver ignores, used to
/// probe the path MTU (RFC 8899).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PadChunk {
    /// Number of padding bytes in the value (emitted as zeros).
    pub padding_len: usize,
}

impl PadChunk {
    /// Parses a PAD value.
    pub fn parse(_flags: u8, v: &[u8]) -> Result<Self, WireError> {
        Ok(PadChunk {
            padding_len: v.len(),
        })
    }
}

impl ChunkBody for PadChunk {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        self.padding_len
    }
    fn emit_value(&self, v: &mut [u8]) {
        v.fill(0);
    }
}
impl_emit!(@owned PadChunk, chunk_type::PAD);
