//! Error causes carried by ERROR and ABORT chunks (RFC 9260 §3.3.10) and by
//! the Error Cause Indication parameter (RFC 5061 §4.2.3): causes 1-13 of
//! RFC 9260, 0x00A0-0x00A4 of RFC 5061 §4.3 and 0x0105 of RFC 4895.

use super::codec::{pad4, put_bytes, put_tlv_header, put_u16, put_u32, u16_at, u32_at};
use super::error::{TlvKind, WireError};
use super::list::{split_tlv, List, ListItem};
use crate::types::{StreamId, Tsn};

/// Error cause codes.
pub mod cause_code {
    /// Invalid Stream Identifier (RFC 9260 §3.3.10.1).
    pub const INVALID_STREAM_IDENTIFIER: u16 = 1;
    /// Missing Mandatory Parameter (RFC 9260 §3.3.10.2).
    pub const MISSING_MANDATORY_PARAMETER: u16 = 2;
    /// Stale Cookie (RFC 9260 §3.3.10.3).
    pub const STALE_COOKIE: u16 = 3;
    /// Out of Resource (RFC 9260 §3.3.10.4).
    pub const OUT_OF_RESOURCE: u16 = 4;
    /// Unresolvable Address (RFC 9260 §3.3.10.5).
    pub const UNRESOLVABLE_ADDRESS: u16 = 5;
    /// Unrecognized Chunk Type (RFC 9260 §3.3.10.6).
    pub const UNRECOGNIZED_CHUNK_TYPE: u16 = 6;
    /// Invalid Mandatory Parameter (RFC 9260 §3.3.10.7).
    pub const INVALID_MANDATORY_PARAMETER: u16 = 7;
    /// Unrecognized Parameters (RFC 9260 §3.3.10.8).
    pub const UNRECOGNIZED_PARAMETERS: u16 = 8;
    /// No User Data (RFC 9260 §3.3.10.9).
    pub const NO_USER_DATA: u16 = 9;
    /// Cookie Received While Shutting Down (RFC 9260 §3.3.10.10).
    pub const COOKIE_RECEIVED_WHILE_SHUTTING_DOWN: u16 = 10;
    /// Restart of an Association with New Addresses (RFC 9260 §3.3.10.11).
    pub const RESTART_WITH_NEW_ADDRESSES: u16 = 11;
    /// User-Initiated Abort (RFC 9260 §3.3.10.12).
    pub const USER_INITIATED_ABORT: u16 = 12;
    /// Protocol Violation (RFC 9260 §3.3.10.13).
    pub const PROTOCOL_VIOLATION: u16 = 13;
    /// Request to Delete Last Remaining IP Address (RFC 5061 §4.3.1).
    pub const DELETE_LAST_REMAINING_ADDRESS: u16 = 0x00A0;
    /// Operation Refused Due to Resource Shortage (RFC 5061 §4.3.2).
    pub const RESOURCE_SHORTAGE: u16 = 0x00A1;
    /// Request to Delete Source IP Address (RFC 5061 §4.3.3).
    pub const DELETE_SOURCE_ADDRESS: u16 = 0x00A2;
    /// Association Aborted Due to Illegal ASCONF-ACK (RFC 5061 §4.3.4).
    pub const ILLEGAL_ASCONF_ACK: u16 = 0x00A3;
    /// Request Refused - No Authorization (RFC 5061 §4.3.5).
    pub const NO_AUTHORIZATION: u16 = 0x00A4;
    /// Unsupported HMAC Identifier (RFC 4895 §4.1), 0x0105.
    pub const UNSUPPORTED_HMAC_IDENTIFIER: u16 = 0x0105;
}

/// One error cause.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ErrorCause<'a> {
    /// Invalid Stream Identifier (1).
    InvalidStreamIdentifier(StreamId),
    /// Missing Mandatory Parameter (2): the missing parameter types.
    MissingMandatoryParameter(List<'a, u16>),
    /// Stale Cookie (3): measure of staleness in microseconds.
    StaleCookie(u32),
    /// Out of Resource (4).
    OutOfResource,
    /// Unresolvable Address (5): the address parameter TLV.
    UnresolvableAddress(&'a [u8]),
    /// Unrecognized Chunk Type (6): the unrecognized chunk (header
    /// included).
    UnrecognizedChunkType(&'a [u8]),
    /// Invalid Mandatory Parameter (7).
    InvalidMandatoryParameter,
    /// Unrecognized Parameters (8): the unrecognized parameter TLVs.
    UnrecognizedParameters(&'a [u8]),
    /// No User Data (9): the TSN of the empty DATA chunk.
    NoUserData(Tsn),
    /// Cookie Received While Shutting Down (10).
    CookieReceivedWhileShuttingDown,
    /// Restart of an Association with New Addresses (11): the new address
    /// parameter TLVs.
    RestartWithNewAddresses(&'a [u8]),
    /// User-Initiated Abort (12): upper-layer abort reason.
    UserInitiatedAbort(&'a [u8]),
    /// Protocol Violation (13): additional information.
    ProtocolViolation(&'a [u8]),
    /// Unsupported HMAC Identifier (0x0105, RFC 4895 §4.1).
    UnsupportedHmacIdentifier(u16),
    /// Request to Delete Last Remaining IP Address (0x00A0, RFC 5061
    /// §4.3.1): the refused ASCONF parameter TLV.
    DeleteLastRemainingAddress(&'a [u8]),
    /// Operation Refused Due to Resource Shortage (0x00A1, RFC 5061
    /// §4.3.2): the refused ASCONF parameter TLV.
    ResourceShortage(&'a [u8]),
    /// Request to Delete Source IP Address (0x00A2, RFC 5061 §4.3.3): the
    /// refused ASCONF parameter TLV.
    DeleteSourceAddress(&'a [u8]),
    /// Association Aborted Due to Illegal ASCONF-ACK (0x00A3, RFC 5061
    /// §4.3.4).
    IllegalAsconfAck(&'a [u8]),
    /// Request Refused - No Authorization (0x00A4, RFC 5061 §4.3.5): the
    /// refused ASCONF parameter TLV.
    NoAuthorization(&'a [u8]),
    /// A cause code this codec does not know, kept whole.
    Unknown {
        /// Its code.
        cause_code: u16,
        /// Its value (without header and padding).
        value: &'a [u8],
    },
}

impl<'a> ErrorCause<'a> {
    /// The cause code.
    pub fn cause_code(&self) -> u16 {
        use cause_code::*;
        match self {
            ErrorCause::InvalidStreamIdentifier(_) => INVALID_STREAM_IDENTIFIER,
            ErrorCause::MissingMandatoryParameter(_) => MISSING_MANDATORY_PARAMETER,
            ErrorCause::StaleCookie(_) => STALE_COOKIE,
            ErrorCause::OutOfResource => OUT_OF_RESOURCE,
            ErrorCause::UnresolvableAddress(_) => UNRESOLVABLE_ADDRESS,
            ErrorCause::UnrecognizedChunkType(_) => UNRECOGNIZED_CHUNK_TYPE,
            ErrorCause::InvalidMandatoryParameter => INVALID_MANDATORY_PARAMETER,
            ErrorCause::UnrecognizedParameters(_) => UNRECOGNIZED_PARAMETERS,
            ErrorCause::NoUserData(_) => NO_USER_DATA,
            ErrorCause::CookieReceivedWhileShuttingDown => COOKIE_RECEIVED_WHILE_SHUTTING_DOWN,
            ErrorCause::RestartWithNewAddresses(_) => RESTART_WITH_NEW_ADDRESSES,
            ErrorCause::UserInitiatedAbort(_) => USER_INITIATED_ABORT,
            ErrorCause::ProtocolViolation(_) => PROTOCOL_VIOLATION,
            ErrorCause::UnsupportedHmacIdentifier(_) => UNSUPPORTED_HMAC_IDENTIFIER,
            ErrorCause::DeleteLastRemainingAddress(_) => DELETE_LAST_REMAINING_ADDRESS,
            ErrorCause::ResourceShortage(_) => RESOURCE_SHORTAGE,
            ErrorCause::DeleteSourceAddress(_) => DELETE_SOURCE_ADDRESS,
            ErrorCause::IllegalAsconfAck(_) => ILLEGAL_ASCONF_ACK,
            ErrorCause::NoAuthorization(_) => NO_AUTHORIZATION,
            ErrorCause::Unknown { cause_code, .. } => *cause_code,
        }
    }

    /// Parses a cause from its code and value (without header and padding).
    pub fn parse(code: u16, value: &'a [u8]) -> Result<Self, WireError> {
        use cause_code::*;
        let bad = WireError::BadCauseLength {
            cause_code: code,
            len: value.len() + 4,
        };
        let exact = |n: usize| if value.len() == n { Ok(()) } else { Err(bad) };
        Ok(match code {
            INVALID_STREAM_IDENTIFIER => {
                exact(4)?;
                ErrorCause::InvalidStreamIdentifier(StreamId(u16_at(value, 0).ok_or(bad)?))
            }
            MISSING_MANDATORY_PARAMETER => {
                let n = u32_at(value, 0).ok_or(bad)?;
                let rest = value.get(4..).ok_or(bad)?;
                // The count must match the length; never trust it for sizing.
                let needed = usize::try_from(n).unwrap_or(usize::MAX).saturating_mul(2);
                if needed != rest.len() {
                    return Err(WireError::CountMismatch {
                        chunk_type: 9,
                        needed,
                        available: rest.len(),
                    });
                }
                ErrorCause::MissingMandatoryParameter(List::Raw(rest))
            }
            STALE_COOKIE => {
                exact(4)?;
                ErrorCause::StaleCookie(u32_at(value, 0).ok_or(bad)?)
            }
            OUT_OF_RESOURCE => {
                exact(0)?;
                ErrorCause::OutOfResource
            }
            UNRESOLVABLE_ADDRESS => ErrorCause::UnresolvableAddress(value),
            UNRECOGNIZED_CHUNK_TYPE => ErrorCause::UnrecognizedChunkType(value),
            INVALID_MANDATORY_PARAMETER => {
                exact(0)?;
                ErrorCause::InvalidMandatoryParameter
            }
            UNRECOGNIZED_PARAMETERS => ErrorCause::UnrecognizedParameters(value),
            NO_USER_DATA => {
                exact(4)?;
                ErrorCause::NoUserData(Tsn(u32_at(value, 0).ok_or(bad)?))
            }
            COOKIE_RECEIVED_WHILE_SHUTTING_DOWN => {
                exact(0)?;
                ErrorCause::CookieReceivedWhileShuttingDown
            }
            RESTART_WITH_NEW_ADDRESSES => ErrorCause::RestartWithNewAddresses(value),
            USER_INITIATED_ABORT => ErrorCause::UserInitiatedAbort(value),
            PROTOCOL_VIOLATION => ErrorCause::ProtocolViolation(value),
            UNSUPPORTED_HMAC_IDENTIFIER => {
                exact(2)?;
                ErrorCause::UnsupportedHmacIdentifier(u16_at(value, 0).ok_or(bad)?)
            }
            DELETE_LAST_REMAINING_ADDRESS => ErrorCause::DeleteLastRemainingAddress(value),
            RESOURCE_SHORTAGE => ErrorCause::ResourceShortage(value),
            DELETE_SOURCE_ADDRESS => ErrorCause::DeleteSourceAddress(value),
            ILLEGAL_ASCONF_ACK => ErrorCause::IllegalAsconfAck(value),
            NO_AUTHORIZATION => ErrorCause::NoAuthorization(value),
            _ => ErrorCause::Unknown {
                cause_code: code,
                value,
            },
        })
    }

    fn value_len(&self) -> usize {
        match self {
            ErrorCause::InvalidStreamIdentifier(_)
            | ErrorCause::StaleCookie(_)
            | ErrorCause::NoUserData(_) => 4,
            ErrorCause::MissingMandatoryParameter(l) => 4 + l.encoded_len(),
            ErrorCause::OutOfResource
            | ErrorCause::InvalidMandatoryParameter
            | ErrorCause::CookieReceivedWhileShuttingDown => 0,
            ErrorCause::UnresolvableAddress(b)
            | ErrorCause::UnrecognizedChunkType(b)
            | ErrorCause::UnrecognizedParameters(b)
            | ErrorCause::RestartWithNewAddresses(b)
            | ErrorCause::UserInitiatedAbort(b)
            | ErrorCause::ProtocolViolation(b)
            | ErrorCause::DeleteLastRemainingAddress(b)
            | ErrorCause::ResourceShortage(b)
            | ErrorCause::DeleteSourceAddress(b)
            | ErrorCause::IllegalAsconfAck(b)
            | ErrorCause::NoAuthorization(b)
            | ErrorCause::Unknown { value: b, .. } => b.len(),
            ErrorCause::UnsupportedHmacIdentifier(_) => 2,
        }
    }

    /// Encoded length: header and value, without trailing padding.
    pub fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Writes the cause and its zero padding at the start of `buf`; returns
    /// the bytes written (`encoded_len` rounded up to 4).
    ///
    /// `buf` must hold at least that many bytes.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.encoded_len();
        let end = pad4(len);
        debug_assert!(buf.len() >= end, "ErrorCause::emit: buffer too small");
        let out = &mut buf[..end];
        out[len..].fill(0);
        put_tlv_header(out, self.cause_code(), len);
        let v = &mut out[4..];
        match self {
            ErrorCause::InvalidStreamIdentifier(s) => {
                put_u16(v, 0, s.0);
                put_u16(v, 2, 0);
            }
            ErrorCause::MissingMandatoryParameter(l) => {
                let count = l.iter().count();
                put_u32(v, 0, u32::try_from(count).unwrap_or(u32::MAX));
                l.emit(&mut v[4..]);
            }
            ErrorCause::StaleCookie(x) => put_u32(v, 0, *x),
            ErrorCause::NoUserData(t) => put_u32(v, 0, t.0),
            ErrorCause::OutOfResource
            | ErrorCause::InvalidMandatoryParameter
            | ErrorCause::CookieReceivedWhileShuttingDown => {}
            ErrorCause::UnresolvableAddress(b)
            | ErrorCause::UnrecognizedChunkType(b)
            | ErrorCause::UnrecognizedParameters(b)
            | ErrorCause::RestartWithNewAddresses(b)
            | ErrorCause::UserInitiatedAbort(b)
            | ErrorCause::ProtocolViolation(b)
            | ErrorCause::DeleteLastRemainingAddress(b)
            | ErrorCause::ResourceShortage(b)
            | ErrorCause::DeleteSourceAddress(b)
            | ErrorCause::IllegalAsconfAck(b)
            | ErrorCause::NoAuthorization(b)
            | ErrorCause::Unknown { value: b, .. } => {
                put_bytes(v, 0, b);
            }
            ErrorCause::UnsupportedHmacIdentifier(id) => put_u16(v, 0, *id),
        }
        out[len..].fill(0);
        end
    }
}

impl<'a> ListItem<'a> for ErrorCause<'a> {
    fn parse_item(buf: &'a [u8]) -> (Result<Self, WireError>, usize) {
        match split_tlv(buf, TlvKind::Cause) {
            Ok((t, value, used)) => (ErrorCause::parse(t, value), used),
            Err(e) => (Err(e), 0),
        }
    }
    fn item_len(&self) -> usize {
        self.encoded_len()
    }
    fn item_stride(&self) -> usize {
        pad4(self.encoded_len())
    }
    fn emit_item(&self, buf: &mut [u8]) {
        self.emit(buf);
    }
}

/// Iterator over an error cause list.
pub type CauseIter<'a> = super::list::ListIter<'a, ErrorCause<'a>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let mut buf = [0u8; 16];
        let n = ErrorCause::UnsupportedHmacIdentifier(3).emit(&mut buf);
        assert_eq!(&buf[..n], &[0x01, 0x05, 0, 6, 0, 3, 0, 0]);
        let n = ErrorCause::MissingMandatoryParameter(List::Items(&[7])).emit(&mut buf);
        assert_eq!(&buf[..n], &[0, 2, 0, 10, 0, 0, 0, 1, 0, 7, 0, 0]);
        assert_eq!(
            ErrorCause::parse(2, &buf[4..10]).unwrap(),
            ErrorCause::MissingMandatoryParameter(List::Items(&[7]))
        );
    }

    #[test]
    fn missing_param_count_must_match() {
        // Claims 1000 missing parameters but carries one.
        assert!(matches!(
            ErrorCause::parse(2, &[0, 0, 3, 0xE8, 0, 7]),
            Err(WireError::CountMismatch { .. })
        ));
        assert!(ErrorCause::parse(1, &[0, 1]).is_err());
        assert!(ErrorCause::parse(4, &[0]).is_err());
    }
}
