//! Chunk parameters (RFC 9260 §3.2.1, §3.3.2.1, §3.3.3.1 and extensions).
//!
//! [`Param`] is the typed repr of one parameter TLV; parameter lists are
//! [`List<Param>`](super::List). Unknown types are kept as
//! [`Param::Unknown`] so the receiver can apply the action bits of RFC 9260
//! §3.2.1 ([`UnrecognizedAction::for_param`]).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cause::ErrorCause;
use super::codec::{pad4, put_bytes, put_tlv_header, put_u16, put_u32, u16_at, u32_at};
use super::error::{TlvKind, WireError};
use super::list::{split_tlv, List, ListItem};
use crate::types::{StreamId, Tsn};

/// Parameter type codes.
pub mod param_type {
    /// Heartbeat Info (RFC 9260 §3.3.5).
    pub const HEARTBEAT_INFO: u16 = 1;
    /// IPv4 Address (RFC 9260 §3.3.2.1).
    pub const IPV4_ADDRESS: u16 = 5;
    /// IPv6 Address (RFC 9260 §3.3.2.1).
    pub const IPV6_ADDRESS: u16 = 6;
    /// State Cookie (RFC 9260 §3.3.3.1).
    pub const STATE_COOKIE: u16 = 7;
    /// Unrecognized Parameter (RFC 9260 §3.3.3.1).
    pub const UNRECOGNIZED_PARAMETER: u16 = 8;
    /// Cookie Preservative (RFC 9260 §3.3.2.1).
    pub const COOKIE_PRESERVATIVE: u16 = 9;
    /// Host Name Address, deprecated (RFC 9260 §3.3.2.1).
    pub const HOST_NAME_ADDRESS: u16 = 11;
    /// Supported Address Types (RFC 9260 §3.3.2.1).
    pub const SUPPORTED_ADDRESS_TYPES: u16 = 12;
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    pub const OUTGOING_SSN_RESET_REQUEST: u16 = 13;
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    pub const INCOMING_SSN_RESET_REQUEST: u16 = 14;
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    pub const SSN_TSN_RESET_REQUEST: u16 = 15;
    /// Re-configuration Response (RFC 6525 §4.4).
    pub const RECONFIG_RESPONSE: u16 = 16;
    /// Add Outgoing Streams Request (RFC 6525 §4.5).
    pub const ADD_OUTGOING_STREAMS: u16 = 17;
    /// Add Incoming Streams Request (RFC 6525 §4.6).
    pub const ADD_INCOMING_STREAMS: u16 = 18;
    /// ECN Capable (RFC 9260 Appendix A).
    pub const ECN_CAPABLE: u16 = 0x8000;
    /// Zero Checksum Acceptable (RFC 9653 §4).
    pub const ZERO_CHECKSUM_ACCEPTABLE: u16 = 0x8001;
    /// Random (RFC 4895 §3.1).
    pub const RANDOM: u16 = 0x8002;
    /// Chunk List (RFC 4895 §3.2).
    pub const CHUNK_LIST: u16 = 0x8003;
    /// Requested HMAC Algorithm (RFC 4895 §3.3).
    pub const REQUESTED_HMAC_ALGORITHM: u16 = 0x8004;
    /// Supported Extensions (RFC 5061 §4.2.7).
    pub const SUPPORTED_EXTENSIONS: u16 = 0x8008;
    /// Forward-TSN Supported (RFC 3758 §3.1).
    pub const FORWARD_TSN_SUPPORTED: u16 = 0xC000;
    /// Add IP Address (RFC 5061 §4.2.1).
    pub const ADD_IP_ADDRESS: u16 = 0xC001;
    /// Delete IP Address (RFC 5061 §4.2.2).
    pub const DELETE_IP_ADDRESS: u16 = 0xC002;
    /// Error Cause Indication (RFC 5061 §4.2.3).
    pub const ERROR_CAUSE_INDICATION: u16 = 0xC003;
    /// Set Primary Address (RFC 5061 §4.2.4).
    pub const SET_PRIMARY_ADDRESS: u16 = 0xC004;
    /// Success Indication (RFC 5061 §4.2.5).
    pub const SUCCESS_INDICATION: u16 = 0xC005;
    /// Adaptation Layer Indication (RFC 5061 §4.2.6).
    pub const ADAPTATION_LAYER_INDICATION: u16 = 0xC006;
}

/// What to do with an unrecognized chunk or parameter, from the two
/// highest bits of its type (RFC 9260 §3.2 and §3.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnrecognizedAction {
    /// `00`: stop processing; for a chunk, discard it and the rest of the
    /// packet; for a parameter, do not process the rest of the chunk's
    /// parameters.
    Stop,
    /// `01`: as `Stop`, and report it (an ERROR with an Unrecognized Chunk
    /// Type cause, or an Unrecognized Parameter).
    StopAndReport,
    /// `10`: skip it and continue.
    Skip,
    /// `11`: skip it, continue, and report it.
    SkipAndReport,
}

impl UnrecognizedAction {
    fn from_bits(bits: u8) -> Self {
        match bits & 3 {
            0 => Self::Stop,
            1 => Self::StopAndReport,
            2 => Self::Skip,
            _ => Self::SkipAndReport,
        }
    }

    /// The action for an unrecognized chunk type (RFC 9260 §3.2).
    pub fn for_chunk(chunk_type: u8) -> Self {
        Self::from_bits(chunk_type >> 6)
    }

    /// The action for an unrecognized parameter type (RFC 9260 §3.2.1).
    pub fn for_param(param_type: u16) -> Self {
        Self::from_bits((param_type >> 14) as u8)
    }

    /// Whether processing continues after the unrecognized item.
    pub fn continues(self) -> bool {
        matches!(self, Self::Skip | Self::SkipAndReport)
    }

    /// Whether the item is reported to the sender.
    pub fn reports(self) -> bool {
        matches!(self, Self::StopAndReport | Self::SkipAndReport)
    }
}

/// One chunk parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    /// Heartbeat Info: sender-specific data echoed back (RFC 9260 §3.3.5).
    HeartbeatInfo(&'a [u8]),
    /// IPv4 Address (type 5) or IPv6 Address (type 6) (RFC 9260 §3.3.2.1).
    Address(IpAddr),
    /// State Cookie (RFC 9260 §3.3.3.1).
    StateCookie(&'a [u8]),
    /// Unrecognized Parameter: the whole unrecognized TLV (RFC 9260
    /// §3.3.3.1).
    UnrecognizedParameter(&'a [u8]),
    /// Cookie Preservative: suggested cookie life-span increment in
    /// milliseconds (RFC 9260 §3.3.2.1).
    CookiePreservative(u32),
    /// Host Name Address; recognised only so it can be rejected with an
    /// Unresolvable Address error (RFC 9260 §3.3.2.1).
    HostNameAddress(&'a [u8]),
    /// Supported Address Types: parameter type codes (RFC 9260 §3.3.2.1).
    SupportedAddressTypes(List<'a, u16>),
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    OutgoingSsnResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Sender's Last Assigned TSN.
        last_tsn: Tsn,
        /// Streams to reset; empty means all.
        streams: List<'a, StreamId>,
    },
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    IncomingSsnResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Streams to reset; empty means all.
        streams: List<'a, StreamId>,
    },
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    SsnTsnResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
    },
    /// Re-configuration Response (RFC 6525 §4.4).
    ReconfigResponse {
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Result code (0 success nothing to do, 1 success performed,
        /// 2 denied, 3 error wrong SSN, 4 error request already in
        /// progress, 5 error bad sequence number, 6 in progress).
        result: u32,
        /// Sender's and receiver's Next TSN, present in answers to an
        /// SSN/TSN Reset Request.
        next_tsns: Option<(Tsn, Tsn)>,
    },
    /// Add Outgoing Streams Request (RFC 6525 §4.5).
    AddOutgoingStreams {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Number of new streams.
        new_streams: u16,
    },
    /// Add Incoming Streams Request (RFC 6525 §4.6).
    AddIncomingStreams {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Number of new streams.
        new_streams: u16,
    },
    /// ECN Capable (RFC 9260 Appendix A).
    EcnCapable,
    /// Zero Checksum Acceptable with its Error Detection Method Identifier
    /// (RFC 9653 §4).
    ZeroChecksumAcceptable {
        /// Error Detection Method Identifier (1: SCTP over DTLS).
        edmid: u32,
    },
    /// Random (RFC 4895 §3.1).
    Random(&'a [u8]),
    /// Chunk List: chunk types that must be authenticated (RFC 4895 §3.2).
    ChunkList(&'a [u8]),
    /// Requested HMAC Algorithm identifiers (RFC 4895 §3.3).
    RequestedHmacAlgorithms(List<'a, u16>),
    /// Supported Extensions: chunk types (RFC 5061 §4.2.7).
    SupportedExtensions(&'a [u8]),
    /// Forward-TSN Supported (RFC 3758 §3.1).
    ForwardTsnSupported,
    /// Add IP Address (RFC 5061 §4.2.1).
    AddIpAddress {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
        /// The address.
        address: IpAddr,
    },
    /// Delete IP Address (RFC 5061 §4.2.2).
    DeleteIpAddress {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
        /// The address.
        address: IpAddr,
    },
    /// Error Cause Indication (RFC 5061 §4.2.3).
    ErrorCauseIndication {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
        /// The causes.
        causes: List<'a, ErrorCause<'a>>,
    },
    /// Set Primary Address (RFC 5061 §4.2.4).
    SetPrimaryAddress {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
        /// The address.
        address: IpAddr,
    },
    /// Success Indication (RFC 5061 §4.2.5).
    SuccessIndication {
        /// ASCONF-Request Correlation ID.
        correlation_id: u32,
    },
    /// Adaptation Layer Indication (RFC 5061 §4.2.6).
    AdaptationLayerIndication(u32),
    /// A parameter type this codec does not know, kept whole. Emitting it
    /// reproduces the original TLV, e.g. for an Unrecognized Parameter
    /// report (RFC 9260 §3.2.2).
    Unknown {
        /// Its type.
        param_type: u16,
        /// Its value (without header and padding).
        value: &'a [u8],
    },
}

/// Length of an address parameter (IPv4 8, IPv6 20).
fn address_param_len(a: &IpAddr) -> usize {
    match a {
        IpAddr::V4(_) => 8,
        IpAddr::V6(_) => 20,
    }
}

fn emit_address_param(a: &IpAddr, out: &mut [u8]) {
    match a {
        IpAddr::V4(v4) => {
            put_tlv_header(out, param_type::IPV4_ADDRESS, 8);
            put_bytes(out, 4, &v4.octets());
        }
        IpAddr::V6(v6) => {
            put_tlv_header(out, param_type::IPV6_ADDRESS, 20);
            put_bytes(out, 4, &v6.octets());
        }
    }
}

/// Decodes the value of an IPv4 or IPv6 address parameter.
fn address_value(param_type: u16, value: &[u8]) -> Option<IpAddr> {
    match param_type {
        param_type::IPV4_ADDRESS => {
            let b: [u8; 4] = value.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(b)))
        }
        param_type::IPV6_ADDRESS => {
            let b: [u8; 16] = value.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

/// Parses an address parameter (IPv4 or IPv6) at the start of `buf`,
/// returning the address and the bytes it takes with padding. Used where a
/// chunk or parameter embeds one (ASCONF, RFC 5061 §3.1.1 and §4.2).
pub(crate) fn parse_address_param(
    buf: &[u8],
    chunk_type: u8,
) -> Result<(IpAddr, usize), WireError> {
    let (t, value, used) = split_tlv(buf, TlvKind::Param)?;
    if t != param_type::IPV4_ADDRESS && t != param_type::IPV6_ADDRESS {
        return Err(WireError::UnexpectedParam {
            chunk_type,
            expected: param_type::IPV4_ADDRESS,
            found: t,
        });
    }
    let addr = address_value(t, value).ok_or(WireError::BadParamLength {
        param_type: t,
        len: value.len() + 4,
    })?;
    Ok((addr, used))
}

pub(crate) fn encoded_address_param(a: &IpAddr) -> usize {
    address_param_len(a)
}

pub(crate) fn write_address_param(a: &IpAddr, out: &mut [u8]) {
    emit_address_param(a, out)
}

impl<'a> Param<'a> {
    /// The parameter type code.
    pub fn param_type(&self) -> u16 {
        use param_type::*;
        match self {
            Param::HeartbeatInfo(_) => HEARTBEAT_INFO,
            Param::Address(IpAddr::V4(_)) => IPV4_ADDRESS,
            Param::Address(IpAddr::V6(_)) => IPV6_ADDRESS,
            Param::StateCookie(_) => STATE_COOKIE,
            Param::UnrecognizedParameter(_) => UNRECOGNIZED_PARAMETER,
            Param::CookiePreservative(_) => COOKIE_PRESERVATIVE,
            Param::HostNameAddress(_) => HOST_NAME_ADDRESS,
            Param::SupportedAddressTypes(_) => SUPPORTED_ADDRESS_TYPES,
            Param::OutgoingSsnResetRequest { .. } => OUTGOING_SSN_RESET_REQUEST,
            Param::IncomingSsnResetRequest { .. } => INCOMING_SSN_RESET_REQUEST,
            Param::SsnTsnResetRequest { .. } => SSN_TSN_RESET_REQUEST,
            Param::ReconfigResponse { .. } => RECONFIG_RESPONSE,
            Param::AddOutgoingStreams { .. } => ADD_OUTGOING_STREAMS,
            Param::AddIncomingStreams { .. } => ADD_INCOMING_STREAMS,
            Param::EcnCapable => ECN_CAPABLE,
            Param::ZeroChecksumAcceptable { .. } => ZERO_CHECKSUM_ACCEPTABLE,
            Param::Random(_) => RANDOM,
            Param::ChunkList(_) => CHUNK_LIST,
            Param::RequestedHmacAlgorithms(_) => REQUESTED_HMAC_ALGORITHM,
            Param::SupportedExtensions(_) => SUPPORTED_EXTENSIONS,
            Param::ForwardTsnSupported => FORWARD_TSN_SUPPORTED,
            Param::AddIpAddress { .. } => ADD_IP_ADDRESS,
            Param::DeleteIpAddress { .. } => DELETE_IP_ADDRESS,
            Param::ErrorCauseIndication { .. } => ERROR_CAUSE_INDICATION,
            Param::SetPrimaryAddress { .. } => SET_PRIMARY_ADDRESS,
            Param::SuccessIndication { .. } => SUCCESS_INDICATION,
            Param::AdaptationLayerIndication(_) => ADAPTATION_LAYER_INDICATION,
            Param::Unknown { param_type, .. } => *param_type,
        }
    }

    /// Parses a parameter from its type and value (without header and
    /// padding). Unknown types give [`Param::Unknown`]; a known type with a
    /// malformed value gives an error.
    pub fn parse(param_type: u16, value: &'a [u8]) -> Result<Self, WireError> {
        use param_type::*;
        let bad = WireError::BadParamLength {
            param_type,
            len: value.len() + 4,
        };
        let exact = |n: usize| if value.len() == n { Ok(()) } else { Err(bad) };
        let u32_0 = || u32_at(value, 0).ok_or(bad);
        let even = |v: &'a [u8]| if v.len() % 2 == 0 { Ok(v) } else { Err(bad) };
        let asconf_addr = || -> Result<(u32, IpAddr), WireError> {
            let cid = u32_at(value, 0).ok_or(bad)?;
            let (addr, _) = parse_address_param(value.get(4..).ok_or(bad)?, 0xC1)?;
            Ok((cid, addr))
        };
        Ok(match param_type {
            HEARTBEAT_INFO => Param::HeartbeatInfo(value),
            IPV4_ADDRESS | IPV6_ADDRESS => {
                Param::Address(address_value(param_type, value).ok_or(bad)?)
            }
            STATE_COOKIE => Param::StateCookie(value),
            UNRECOGNIZED_PARAMETER => Param::UnrecognizedParameter(value),
            COOKIE_PRESERVATIVE => {
                exact(4)?;
                Param::CookiePreservative(u32_0()?)
            }
            HOST_NAME_ADDRESS => Param::HostNameAddress(value),
            SUPPORTED_ADDRESS_TYPES => Param::SupportedAddressTypes(List::Raw(even(value)?)),
            OUTGOING_SSN_RESET_REQUEST => {
                let rest = value.get(12..).ok_or(bad)?;
                Param::OutgoingSsnResetRequest {
                    request_seq: u32_0()?,
                    response_seq: u32_at(value, 4).ok_or(bad)?,
                    last_tsn: Tsn(u32_at(value, 8).ok_or(bad)?),
                    streams: List::Raw(even(rest)?),
                }
            }
            INCOMING_SSN_RESET_REQUEST => {
                let rest = value.get(4..).ok_or(bad)?;
                Param::IncomingSsnResetRequest {
                    request_seq: u32_0()?,
                    streams: List::Raw(even(rest)?),
                }
            }
            SSN_TSN_RESET_REQUEST => {
                exact(4)?;
                Param::SsnTsnResetRequest {
                    request_seq: u32_0()?,
                }
            }
            RECONFIG_RESPONSE => {
                let next_tsns = match value.len() {
                    8 => None,
                    16 => Some((
                        Tsn(u32_at(value, 8).ok_or(bad)?),
                        Tsn(u32_at(value, 12).ok_or(bad)?),
                    )),
                    _ => return Err(bad),
                };
                Param::ReconfigResponse {
                    response_seq: u32_0()?,
                    result: u32_at(value, 4).ok_or(bad)?,
                    next_tsns,
                }
            }
            ADD_OUTGOING_STREAMS | ADD_INCOMING_STREAMS => {
                exact(8)?;
                let request_seq = u32_0()?;
                let new_streams = u16_at(value, 4).ok_or(bad)?;
                if param_type == ADD_OUTGOING_STREAMS {
                    Param::AddOutgoingStreams {
                        request_seq,
                        new_streams,
                    }
                } else {
                    Param::AddIncomingStreams {
                        request_seq,
                        new_streams,
                    }
                }
            }
            ECN_CAPABLE => {
                exact(0)?;
                Param::EcnCapable
            }
            ZERO_CHECKSUM_ACCEPTABLE => {
                exact(4)?;
                Param::ZeroChecksumAcceptable { edmid: u32_0()? }
            }
            RANDOM => Param::Random(value),
            CHUNK_LIST => Param::ChunkList(value),
            REQUESTED_HMAC_ALGORITHM => Param::RequestedHmacAlgorithms(List::Raw(even(value)?)),
            SUPPORTED_EXTENSIONS => Param::SupportedExtensions(value),
            FORWARD_TSN_SUPPORTED => {
                exact(0)?;
                Param::ForwardTsnSupported
            }
            ADD_IP_ADDRESS => {
                let (correlation_id, address) = asconf_addr()?;
                Param::AddIpAddress {
                    correlation_id,
                    address,
                }
            }
            DELETE_IP_ADDRESS => {
                let (correlation_id, address) = asconf_addr()?;
                Param::DeleteIpAddress {
                    correlation_id,
                    address,
                }
            }
            SET_PRIMARY_ADDRESS => {
                let (correlation_id, address) = asconf_addr()?;
                Param::SetPrimaryAddress {
                    correlation_id,
                    address,
                }
            }
            ERROR_CAUSE_INDICATION => Param::ErrorCauseIndication {
                correlation_id: u32_0()?,
                causes: List::Raw(value.get(4..).ok_or(bad)?),
            },
            SUCCESS_INDICATION => {
                exact(4)?;
                Param::SuccessIndication {
                    correlation_id: u32_0()?,
                }
            }
            ADAPTATION_LAYER_INDICATION => {
                exact(4)?;
                Param::AdaptationLayerIndication(u32_0()?)
            }
            _ => Param::Unknown { param_type, value },
        })
    }

    /// Length of the value (without header and padding).
    fn value_len(&self) -> usize {
        match self {
            Param::HeartbeatInfo(b)
            | Param::StateCookie(b)
            | Param::UnrecognizedParameter(b)
            | Param::HostNameAddress(b)
            | Param::Random(b)
            | Param::ChunkList(b)
            | Param::SupportedExtensions(b) => b.len(),
            Param::Unknown { value, .. } => value.len(),
            Param::Address(IpAddr::V4(_)) => 4,
            Param::Address(IpAddr::V6(_)) => 16,
            Param::CookiePreservative(_)
            | Param::SsnTsnResetRequest { .. }
            | Param::ZeroChecksumAcceptable { .. }
            | Param::SuccessIndication { .. }
            | Param::AdaptationLayerIndication(_) => 4,
            Param::SupportedAddressTypes(l) | Param::RequestedHmacAlgorithms(l) => l.encoded_len(),
            Param::OutgoingSsnResetRequest { streams, .. } => 12 + streams.encoded_len(),
            Param::IncomingSsnResetRequest { streams, .. } => 4 + streams.encoded_len(),
            Param::ReconfigResponse { next_tsns, .. } => {
                if next_tsns.is_some() {
                    16
                } else {
                    8
                }
            }
            Param::AddOutgoingStreams { .. } | Param::AddIncomingStreams { .. } => 8,
            Param::EcnCapable | Param::ForwardTsnSupported => 0,
            Param::AddIpAddress { address, .. }
            | Param::DeleteIpAddress { address, .. }
            | Param::SetPrimaryAddress { address, .. } => 4 + address_param_len(address),
            Param::ErrorCauseIndication { causes, .. } => 4 + causes.encoded_len(),
        }
    }

    /// Encoded length: header and value, without trailing padding.
    pub fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Writes the parameter and its zero padding at the start of `buf`;
    /// returns the bytes written (`encoded_len` rounded up to 4).
    ///
    /// `buf` must hold at least that many bytes.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.encoded_len();
        let end = pad4(len);
        debug_assert!(buf.len() >= end, "Param::emit: buffer too small");
        let out = &mut buf[..end];
        out[len..].fill(0);
        put_tlv_header(out, self.param_type(), len);
        let v = &mut out[4..];
        match self {
            Param::HeartbeatInfo(b)
            | Param::StateCookie(b)
            | Param::UnrecognizedParameter(b)
            | Param::HostNameAddress(b)
            | Param::Random(b)
            | Param::ChunkList(b)
            | Param::SupportedExtensions(b)
            | Param::Unknown { value: b, .. } => {
                put_bytes(v, 0, b);
            }
            Param::Address(IpAddr::V4(a)) => {
                put_bytes(v, 0, &a.octets());
            }
            Param::Address(IpAddr::V6(a)) => {
                put_bytes(v, 0, &a.octets());
            }
            Param::CookiePreservative(x)
            | Param::SsnTsnResetRequest { request_seq: x }
            | Param::ZeroChecksumAcceptable { edmid: x }
            | Param::SuccessIndication { correlation_id: x }
            | Param::AdaptationLayerIndication(x) => put_u32(v, 0, *x),
            Param::SupportedAddressTypes(l) | Param::RequestedHmacAlgorithms(l) => {
                l.emit(v);
            }
            Param::OutgoingSsnResetRequest {
                request_seq,
                response_seq,
                last_tsn,
                streams,
            } => {
                put_u32(v, 0, *request_seq);
                put_u32(v, 4, *response_seq);
                put_u32(v, 8, last_tsn.0);
                streams.emit(&mut v[12..]);
            }
            Param::IncomingSsnResetRequest {
                request_seq,
                streams,
            } => {
                put_u32(v, 0, *request_seq);
                streams.emit(&mut v[4..]);
            }
            Param::ReconfigResponse {
                response_seq,
                result,
                next_tsns,
            } => {
                put_u32(v, 0, *response_seq);
                put_u32(v, 4, *result);
                if let Some((s, r)) = next_tsns {
                    put_u32(v, 8, s.0);
                    put_u32(v, 12, r.0);
                }
            }
            Param::AddOutgoingStreams {
                request_seq,
                new_streams,
            }
            | Param::AddIncomingStreams {
                request_seq,
                new_streams,
            } => {
                put_u32(v, 0, *request_seq);
                put_u16(v, 4, *new_streams);
                put_u16(v, 6, 0);
            }
            Param::EcnCapable | Param::ForwardTsnSupported => {}
            Param::AddIpAddress {
                correlation_id,
                address,
            }
            | Param::DeleteIpAddress {
                correlation_id,
                address,
            }
            | Param::SetPrimaryAddress {
                correlation_id,
                address,
            } => {
                put_u32(v, 0, *correlation_id);
                emit_address_param(address, &mut v[4..]);
            }
            Param::ErrorCauseIndication {
                correlation_id,
                causes,
            } => {
                put_u32(v, 0, *correlation_id);
                causes.emit(&mut v[4..]);
            }
        }
        // Lists may have written their last item's padding; re-zero it.
        out[len..].fill(0);
        end
    }
}

impl<'a> ListItem<'a> for Param<'a> {
    fn parse_item(buf: &'a [u8]) -> (Result<Self, WireError>, usize) {
        match split_tlv(buf, TlvKind::Param) {
            Ok((t, value, used)) => (Param::parse(t, value), used),
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

/// Iterator over a parameter list.
pub type ParamIter<'a> = super::list::ListIter<'a, Param<'a>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: Param<'_>) {
        let mut buf = [0xAAu8; 128];
        let n = p.emit(&mut buf);
        assert_eq!(n, pad4(p.encoded_len()));
        assert!(buf[p.encoded_len()..n].iter().all(|&b| b == 0));
        let (t, value, used) = split_tlv(&buf[..n], TlvKind::Param).unwrap();
        assert_eq!(used, n);
        assert_eq!(Param::parse(t, value).unwrap(), p);
    }

    #[test]
    fn known_layouts() {
        let mut buf = [0u8; 32];
        let n = Param::Address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))).emit(&mut buf);
        assert_eq!(&buf[..n], &[0, 5, 0, 8, 10, 0, 0, 1]);
        let n = Param::ForwardTsnSupported.emit(&mut buf);
        assert_eq!(&buf[..n], &[0xC0, 0, 0, 4]);
        let n = Param::SupportedExtensions(&[0x82, 0xC0, 0x40]).emit(&mut buf);
        assert_eq!(&buf[..n], &[0x80, 0x08, 0, 7, 0x82, 0xC0, 0x40, 0]);
        round_trip(Param::AddIpAddress {
            correlation_id: 7,
            address: IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
        round_trip(Param::IncomingSsnResetRequest {
            request_seq: 3,
            streams: List::Items(&[StreamId(1), StreamId(2), StreamId(3)]),
        });
    }

    #[test]
    fn malformed_known_params_are_errors() {
        assert!(Param::parse(param_type::IPV4_ADDRESS, &[1, 2, 3]).is_err());
        assert!(Param::parse(param_type::COOKIE_PRESERVATIVE, &[1, 2, 3, 4, 5]).is_err());
        assert!(Param::parse(param_type::SUPPORTED_ADDRESS_TYPES, &[0, 5, 0]).is_err());
        assert!(Param::parse(param_type::RECONFIG_RESPONSE, &[0; 12]).is_err());
        assert!(Param::parse(param_type::ADD_IP_ADDRESS, &[0, 0, 0, 1, 0, 7, 0, 4]).is_err());
        assert_eq!(
            Param::parse(0x9999, &[1]).unwrap(),
            Param::Unknown {
                param_type: 0x9999,
                value: &[1]
            }
        );
    }

    #[test]
    fn action_bits() {
        assert_eq!(
            UnrecognizedAction::for_param(0x0009),
            UnrecognizedAction::Stop
        );
        assert_eq!(
            UnrecognizedAction::for_param(0x4000),
            UnrecognizedAction::StopAndReport
        );
        assert_eq!(
            UnrecognizedAction::for_param(0x8001),
            UnrecognizedAction::Skip
        );
        assert_eq!(
            UnrecognizedAction::for_param(0xC000),
            UnrecognizedAction::SkipAndReport
        );
        assert_eq!(
            UnrecognizedAction::for_chunk(0x3F),
            UnrecognizedAction::Stop
        );
        assert_eq!(
            UnrecognizedAction::for_chunk(0x40),
            UnrecognizedAction::StopAndReport
        );
        assert_eq!(
            UnrecognizedAction::for_chunk(0x84),
            UnrecognizedAction::Skip
        );
        assert_eq!(
            UnrecognizedAction::for_chunk(0xC1),
            UnrecognizedAction::SkipAndReport
        );
        assert!(UnrecognizedAction::Skip.continues() && !UnrecognizedAction::Skip.reports());
    }
}
