//! Errors of the wire codecs.
//!
//! Every variant says what was wrong and where, without allocating, so an
//! endpoint can log it and pick the protocol answer (discard, ERROR, ABORT).

use thiserror::Error;

/// Which kind of TLV a length error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlvKind {
    /// A chunk (RFC 9260 §3.2).
    Chunk,
    /// A chunk parameter (RFC 9260 §3.2.1).
    Param,
    /// An error cause (RFC 9260 §3.3.10).
    Cause,
}

/// What is wrong with bytes given to a wire codec, or why an emit failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
pub enum WireError {
    /// The datagram is shorter than the 12-byte common header.
    #[error("packet of {len} bytes is shorter than the 12-byte common header")]
    PacketTooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The packet carries no chunk at all.
    #[error("packet carries no chunk")]
    NoChunks,
    /// The CRC32c checksum does not match the packet (RFC 9260 §6.8).
    #[error("bad checksum: computed {expected:#010x}, packet has {found:#010x}")]
    BadChecksum {
        /// The checksum computed over the packet.
        expected: u32,
        /// The checksum found in the packet.
        found: u32,
    },
    /// The checksum field is zero but zero checksums were not announced as
    /// acceptable (RFC 9653 §5.3).
    #[error("zero checksum not acceptable (computed {expected:#010x})")]
    ZeroChecksumNotAllowed {
        /// The checksum computed over the packet.
        expected: u32,
    },
    /// A TLV length field is below the 4-byte header.
    #[error("{kind:?} of type {tlv_type} has length {len} < 4")]
    LengthBelowHeader {
        /// Chunk, parameter or cause.
        kind: TlvKind,
        /// Its type code.
        tlv_type: u16,
        /// The length field.
        len: u16,
    },
    /// A TLV (including its padding) runs past the end of the enclosing
    /// buffer: a partial chunk (RFC 9260 §6.10) or parameter.
    #[error("{kind:?} of type {tlv_type} at offset {offset} with length {len} runs past the end ({available} bytes available)")]
    LengthPastEnd {
        /// Chunk, parameter or cause.
        kind: TlvKind,
        /// Its type code.
        tlv_type: u16,
        /// Offset of the TLV within the enclosing buffer.
        offset: usize,
        /// The length field.
        len: u16,
        /// Bytes available from `offset` to the end.
        available: usize,
    },
    /// 1 to 3 bytes are left over after the last TLV: too short for a header.
    #[error("{kind:?} region has {len} trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Chunk, parameter or cause.
        kind: TlvKind,
        /// Where the leftover starts.
        offset: usize,
        /// How many bytes are left.
        len: usize,
    },
    /// A chunk's value is shorter than its fixed fields.
    #[error("chunk type {chunk_type} has length {len}, needs at least {min}")]
    ChunkTooShort {
        /// The chunk type.
        chunk_type: u8,
        /// The chunk length field (header included).
        len: usize,
        /// The minimum length for this chunk type.
        min: usize,
    },
    /// A parameter's value has a length its type does not allow.
    #[error("parameter type {param_type:#06x} has bad length {len}")]
    BadParamLength {
        /// The parameter type.
        param_type: u16,
        /// The parameter length field (header included).
        len: usize,
    },
    /// An error cause's value has a length its code does not allow.
    #[error("error cause {cause_code} has bad length {len}")]
    BadCauseLength {
        /// The cause code.
        cause_code: u16,
        /// The cause length field (header included).
        len: usize,
    },
    /// A count field in a chunk or cause disagrees with its length.
    #[error("chunk type {chunk_type}: counts need {needed} bytes, length leaves {available}")]
    CountMismatch {
        /// The chunk type (or 9, ERROR, for a cause).
        chunk_type: u8,
        /// Bytes the count fields call for.
        needed: usize,
        /// Bytes the length leaves.
        available: usize,
    },
    /// A chunk or parameter that must hold a specific parameter holds
    /// something else.
    #[error("chunk type {chunk_type}: expected parameter {expected:#06x}, found {found:#06x}")]
    UnexpectedParam {
        /// The enclosing chunk type.
        chunk_type: u8,
        /// The parameter type required here.
        expected: u16,
        /// The parameter type found.
        found: u16,
    },
    /// The buffer given to an emit has no room for what was pushed.
    #[error("no room: need {needed} bytes, {available} available")]
    NoRoom {
        /// Bytes needed (with padding).
        needed: usize,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// A value is too long for its 16-bit length field.
    #[error("encoded length {len} exceeds 65535")]
    TooLong {
        /// The length that would have been written.
        len: usize,
    },
}
