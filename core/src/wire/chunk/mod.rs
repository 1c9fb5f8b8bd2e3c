//! Chunks (RFC 9260 §3.3 and extensions): one typed repr per chunk type,
//! gathered in [`Chunk`].
//!
//! Parsing: [`Chunk::parse`] on a [`RawChunk`](super::RawChunk) from
//! [`Packet::chunks`](super::Packet::chunks). Emitting: build a repr (lists
//! as [`List::Items`](super::List::Items)), wrap it in [`Chunk`] and push it
//! into a [`PacketWriter`](super::PacketWriter), or call [`Emit::emit`].

mod asconf;
mod auth;
mod control;
mod data;
mod forward_tsn;
mod init;
mod reconfig;
mod sack;

pub use asconf::{AsconfAckChunk, AsconfChunk};
pub use auth::AuthChunk;
pub use control::{
    AbortChunk, CookieEchoChunk, CwrChunk, EcneChunk, ErrorChunk, HeartbeatChunk, PadChunk,
    ShutdownChunk, ShutdownCompleteChunk,
};
pub use data::{DataChunk, IDataChunk};
pub use forward_tsn::{ForwardTsnChunk, IForwardTsnChunk};
pub use init::InitChunk;
pub use reconfig::ReConfigChunk;
pub use sack::SackChunk;

use super::codec::{pad4, put_bytes, put_u16};
use super::error::WireError;
use super::packet::RawChunk;
use super::param::UnrecognizedAction;

/// Chunk type codes.
pub mod chunk_type {
    /// DATA (RFC 9260 §3.3.1).
    pub const DATA: u8 = 0;
    /// INIT (RFC 9260 §3.3.2).
    pub const INIT: u8 = 1;
    /// INIT ACK (RFC 9260 §3.3.3).
    pub const INIT_ACK: u8 = 2;
    /// SACK (RFC 9260 §3.3.4).
    pub const SACK: u8 = 3;
    /// HEARTBEAT (RFC 9260 §3.3.5).
    pub const HEARTBEAT: u8 = 4;
    /// HEARTBEAT ACK (RFC 9260 §3.3.6).
    pub const HEARTBEAT_ACK: u8 = 5;
    /// ABORT (RFC 9260 §3.3.7).
    pub const ABORT: u8 = 6;
    /// SHUTDOWN (RFC 9260 §3.3.8).
    pub const SHUTDOWN: u8 = 7;
    /// SHUTDOWN ACK (RFC 9260 §3.3.9).
    pub const SHUTDOWN_ACK: u8 = 8;
    /// ERROR (RFC 9260 §3.3.10).
    pub const ERROR: u8 = 9;
    /// COOKIE ECHO (RFC 9260 §3.3.11).
    pub const COOKIE_ECHO: u8 = 10;
    /// COOKIE ACK (RFC 9260 §3.3.12).
    pub const COOKIE_ACK: u8 = 11;
    /// ECNE (RFC 9260 Appendix A).
    pub const ECNE: u8 = 12;
    /// CWR (RFC 9260 Appendix A).
    pub const CWR: u8 = 13;
    /// SHUTDOWN COMPLETE (RFC 9260 §3.3.13).
    pub const SHUTDOWN_COMPLETE: u8 = 14;
    /// AUTH (RFC 4895 §4.1).
    pub const AUTH: u8 = 15;
    /// I-DATA (RFC 8260 §2.1).
    pub const I_DATA: u8 = 64;
    /// ASCONF ACK (RFC 5061 §3.1.2).
    pub const ASCONF_ACK: u8 = 0x80;
    /// RE-CONFIG (RFC 6525 §3.1).
    pub const RE_CONFIG: u8 = 130;
    /// PAD (RFC 4820 §3).
    pub const PAD: u8 = 0x84;
    /// FORWARD TSN (RFC 3758 §3.2).
    pub const FORWARD_TSN: u8 = 192;
    /// ASCONF (RFC 5061 §3.1.1).
    pub const ASCONF: u8 = 0xC1;
    /// I-FORWARD-TSN (RFC 8260 §2.3.1).
    pub const I_FORWARD_TSN: u8 = 194;
}

/// Anything that can be written to the wire: chunks, parameters, causes.
pub trait Emit {
    /// Encoded length: header and value, without trailing padding (the
    /// value of the length field).
    fn encoded_len(&self) -> usize;
    /// Writes header, value and zero padding at the start of `buf` and
    /// returns the bytes written (`encoded_len` rounded up to 4).
    ///
    /// Precondition: `buf.len() >= encoded_len` rounded up to 4; a smaller
    /// buffer is a caller bug and panics. [`PacketWriter`](super::PacketWriter)
    /// checks it and returns [`WireError::NoRoom`] instead.
    fn emit(&self, buf: &mut [u8]) -> usize;
    /// The chunk type this writes, when known before writing (it decides
    /// whether an AUTH chunk must go before it, RFC 4895 §6.2); `None`
    /// for bytes that are not one chunk.
    fn type_byte(&self) -> Option<u8> {
        None
    }
}

/// The value part of a chunk, for the shared header-writing code.
pub(crate) trait ChunkBody {
    fn flags(&self) -> u8;
    fn value_len(&self) -> usize;
    /// Writes the value into `v`, which is `value_len` rounded up to 4
    /// bytes long; whatever is written past `value_len` is re-zeroed.
    fn emit_value(&self, v: &mut [u8]);
}

pub(crate) fn emit_chunk<C: ChunkBody>(c: &C, chunk_type: u8, buf: &mut [u8]) -> usize {
    let len = 4 + c.value_len();
    let end = pad4(len);
    debug_assert!(buf.len() >= end, "chunk emit: buffer too small");
    debug_assert!(len <= usize::from(u16::MAX), "chunk too long");
    let out = &mut buf[..end];
    out[0] = chunk_type;
    out[1] = c.flags();
    put_u16(out, 2, len as u16);
    c.emit_value(&mut out[4..]);
    out[len..].fill(0);
    end
}

macro_rules! impl_emit {
    (@owned $t:ident, $ty:expr) => {
        impl $crate::wire::chunk::Emit for $t {
            fn encoded_len(&self) -> usize {
                4 + $crate::wire::chunk::ChunkBody::value_len(self)
            }
            fn emit(&self, buf: &mut [u8]) -> usize {
                $crate::wire::chunk::emit_chunk(self, $ty, buf)
            }
            fn type_byte(&self) -> Option<u8> {
                Some($ty)
            }
        }
    };
    ($t:ident, $ty:expr) => {
        impl $crate::wire::chunk::Emit for $t<'_> {
            fn encoded_len(&self) -> usize {
                4 + $crate::wire::chunk::ChunkBody::value_len(self)
            }
            fn emit(&self, buf: &mut [u8]) -> usize {
                $crate::wire::chunk::emit_chunk(self, $ty, buf)
            }
            fn type_byte(&self) -> Option<u8> {
                Some($ty)
            }
        }
    };
}
pub(crate) use impl_emit;

/// Checks that a chunk value holds at least `min_value` bytes.
pub(crate) fn need(chunk_type: u8, value: &[u8], min_value: usize) -> Result<(), WireError> {
    if value.len() < min_value {
        Err(WireError::ChunkTooShort {
            chunk_type,
            len: value.len() + 4,
            min: min_value + 4,
        })
    } else {
        Ok(())
    }
}

/// A chunk of a type this codec does not know, kept whole so the receiver
/// can apply RFC 9260 §3.2 ([`UnknownChunk::action`]) and report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownChunk<'a> {
    /// The chunk type.
    pub chunk_type: u8,
    /// The chunk flags.
    pub flags: u8,
    /// The value, without header and padding.
    pub value: &'a [u8],
}

impl UnknownChunk<'_> {
    /// What RFC 9260 §3.2 says to do with this chunk.
    pub fn action(&self) -> UnrecognizedAction {
        UnrecognizedAction::for_chunk(self.chunk_type)
    }
}

impl ChunkBody for UnknownChunk<'_> {
    fn flags(&self) -> u8 {
        self.flags
    }
    fn value_len(&self) -> usize {
        self.value.len()
    }
    fn emit_value(&self, v: &mut [u8]) {
        put_bytes(v, 0, self.value);
    }
}

/// A parsed chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Chunk<'a> {
    /// DATA.
    Data(DataChunk<'a>),
    /// INIT.
    Init(InitChunk<'a>),
    /// INIT ACK (same layout as INIT; the State Cookie is a parameter).
    InitAck(InitChunk<'a>),
    /// SACK.
    Sack(SackChunk<'a>),
    /// HEARTBEAT.
    Heartbeat(HeartbeatChunk<'a>),
    /// HEARTBEAT ACK.
    HeartbeatAck(HeartbeatChunk<'a>),
    /// ABORT.
    Abort(AbortChunk<'a>),
    /// SHUTDOWN.
    Shutdown(ShutdownChunk),
    /// SHUTDOWN ACK.
    ShutdownAck,
    /// ERROR.
    Error(ErrorChunk<'a>),
    /// COOKIE ECHO.
    CookieEcho(CookieEchoChunk<'a>),
    /// COOKIE ACK.
    CookieAck,
    /// ECNE.
    Ecne(EcneChunk),
    /// CWR.
    Cwr(CwrChunk),
    /// SHUTDOWN COMPLETE.
    ShutdownComplete(ShutdownCompleteChunk),
    /// AUTH.
    Auth(AuthChunk<'a>),
    /// I-DATA.
    IData(IDataChunk<'a>),
    /// FORWARD TSN.
    ForwardTsn(ForwardTsnChunk<'a>),
    /// I-FORWARD-TSN.
    IForwardTsn(IForwardTsnChunk<'a>),
    /// RE-CONFIG.
    ReConfig(ReConfigChunk<'a>),
    /// ASCONF.
    Asconf(AsconfChunk<'a>),
    /// ASCONF ACK.
    AsconfAck(AsconfAckChunk<'a>),
    /// PAD.
    Pad(PadChunk),
    /// Any other type.
    Unknown(UnknownChunk<'a>),
}

/// A chunk with no value (SHUTDOWN ACK, COOKIE ACK).
struct Empty;

impl ChunkBody for Empty {
    fn flags(&self) -> u8 {
        0
    }
    fn value_len(&self) -> usize {
        0
    }
    fn emit_value(&self, _: &mut [u8]) {}
}

/// Applies `$f` to the chunk's body, whatever its type.
macro_rules! with_body {
    ($self:expr, |$b:ident| $f:expr) => {
        match $self {
            Chunk::Data($b) => $f,
            Chunk::Init($b) | Chunk::InitAck($b) => $f,
            Chunk::Sack($b) => $f,
            Chunk::Heartbeat($b) | Chunk::HeartbeatAck($b) => $f,
            Chunk::Abort($b) => $f,
            Chunk::Shutdown($b) => $f,
            Chunk::ShutdownAck | Chunk::CookieAck => {
                let $b = &Empty;
                $f
            }
            Chunk::Error($b) => $f,
            Chunk::CookieEcho($b) => $f,
            Chunk::Ecne($b) => $f,
            Chunk::Cwr($b) => $f,
            Chunk::ShutdownComplete($b) => $f,
            Chunk::Auth($b) => $f,
            Chunk::IData($b) => $f,
            Chunk::ForwardTsn($b) => $f,
            Chunk::IForwardTsn($b) => $f,
            Chunk::ReConfig($b) => $f,
            Chunk::Asconf($b) => $f,
            Chunk::AsconfAck($b) => $f,
            Chunk::Pad($b) => $f,
            Chunk::Unknown($b) => $f,
        }
    };
}

impl<'a> Chunk<'a> {
    /// Parses a raw chunk into its typed repr. Unknown types give
    /// [`Chunk::Unknown`]; a known type with a malformed value gives an
    /// error. Nested lists stay unparsed views until iterated.
    pub fn parse(raw: &RawChunk<'a>) -> Result<Self, WireError> {
        use chunk_type::*;
        let (f, v) = (raw.flags, raw.value);
        Ok(match raw.chunk_type {
            DATA => Chunk::Data(DataChunk::parse(f, v)?),
            INIT => Chunk::Init(InitChunk::parse(INIT, v)?),
            INIT_ACK => Chunk::InitAck(InitChunk::parse(INIT_ACK, v)?),
            SACK => Chunk::Sack(SackChunk::parse(f, v)?),
            HEARTBEAT => Chunk::Heartbeat(HeartbeatChunk::parse(HEARTBEAT, v)?),
            HEARTBEAT_ACK => Chunk::HeartbeatAck(HeartbeatChunk::parse(HEARTBEAT_ACK, v)?),
            ABORT => Chunk::Abort(AbortChunk::parse(f, v)?),
            SHUTDOWN => Chunk::Shutdown(ShutdownChunk::parse(f, v)?),
            SHUTDOWN_ACK => Chunk::ShutdownAck,
            ERROR => Chunk::Error(ErrorChunk::parse(f, v)?),
            COOKIE_ECHO => Chunk::CookieEcho(CookieEchoChunk::parse(f, v)?),
            COOKIE_ACK => Chunk::CookieAck,
            ECNE => Chunk::Ecne(EcneChunk::parse(f, v)?),
            CWR => Chunk::Cwr(CwrChunk::parse(f, v)?),
            SHUTDOWN_COMPLETE => Chunk::ShutdownComplete(ShutdownCompleteChunk::parse(f, v)?),
            AUTH => Chunk::Auth(AuthChunk::parse(f, v)?),
            I_DATA => Chunk::IData(IDataChunk::parse(f, v)?),
            FORWARD_TSN => Chunk::ForwardTsn(ForwardTsnChunk::parse(f, v)?),
            I_FORWARD_TSN => Chunk::IForwardTsn(IForwardTsnChunk::parse(f, v)?),
            RE_CONFIG => Chunk::ReConfig(ReConfigChunk::parse(f, v)?),
            ASCONF => Chunk::Asconf(AsconfChunk::parse(f, v)?),
            ASCONF_ACK => Chunk::AsconfAck(AsconfAckChunk::parse(f, v)?),
            PAD => Chunk::Pad(PadChunk::parse(f, v)?),
            t => Chunk::Unknown(UnknownChunk {
                chunk_type: t,
                flags: f,
                value: v,
            }),
        })
    }

    /// The chunk type code.
    pub fn chunk_type(&self) -> u8 {
        use chunk_type::*;
        match self {
            Chunk::Data(_) => DATA,
            Chunk::Init(_) => INIT,
            Chunk::InitAck(_) => INIT_ACK,
            Chunk::Sack(_) => SACK,
            Chunk::Heartbeat(_) => HEARTBEAT,
            Chunk::HeartbeatAck(_) => HEARTBEAT_ACK,
            Chunk::Abort(_) => ABORT,
            Chunk::Shutdown(_) => SHUTDOWN,
            Chunk::ShutdownAck => SHUTDOWN_ACK,
            Chunk::Error(_) => ERROR,
            Chunk::CookieEcho(_) => COOKIE_ECHO,
            Chunk::CookieAck => COOKIE_ACK,
            Chunk::Ecne(_) => ECNE,
            Chunk::Cwr(_) => CWR,
            Chunk::ShutdownComplete(_) => SHUTDOWN_COMPLETE,
            Chunk::Auth(_) => AUTH,
            Chunk::IData(_) => I_DATA,
            Chunk::ForwardTsn(_) => FORWARD_TSN,
            Chunk::IForwardTsn(_) => I_FORWARD_TSN,
            Chunk::ReConfig(_) => RE_CONFIG,
            Chunk::Asconf(_) => ASCONF,
            Chunk::AsconfAck(_) => ASCONF_ACK,
            Chunk::Pad(_) => PAD,
            Chunk::Unknown(u) => u.chunk_type,
        }
    }

    /// The chunk flags as they will be emitted.
    pub fn flags(&self) -> u8 {
        with_body!(self, |b| b.flags())
    }
}

impl Emit for Chunk<'_> {
    fn encoded_len(&self) -> usize {
        4 + with_body!(self, |b| b.value_len())
    }

    fn emit(&self, buf: &mut [u8]) -> usize {
        let t = self.chunk_type();
        with_body!(self, |b| emit_chunk(b, t, buf))
    }

    fn type_byte(&self) -> Option<u8> {
        Some(self.chunk_type())
    }
}

impl Emit for UnknownChunk<'_> {
    fn encoded_len(&self) -> usize {
        4 + self.value.len()
    }
    fn emit(&self, buf: &mut [u8]) -> usize {
        emit_chunk(self, self.chunk_type, buf)
    }
    fn type_byte(&self) -> Option<u8> {
        Some(self.chunk_type)
    }
}

#[cfg(test)]
pub(crate) mod tests;
