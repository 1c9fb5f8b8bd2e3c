"""The SCTP wire format as immutable Python objects, SCTP checksums
(RFC 9260 §6.8, Appendix A) and pcap captures of SCTP over UDP (RFC 6951).

:func:`parse_packet` turns a datagram into a :class:`Packet` of chunk objects
(:class:`Data`, :class:`Init`, :class:`Sack`, ..., :class:`UnknownChunk`),
whose parameters and error causes are objects too. Every object is a frozen
dataclass with equality, a readable repr and ``bytes(obj)`` (its encoding).
Build packets the same way to send them, or to craft unusual or malformed
ones: :class:`RawChunk` writes any type, flags, value and length field, and
``Packet.to_bytes(checksum=...)`` writes a computed, zero or given checksum.

Parsing runs the Rust core's codec first, so a datagram the core rejects
raises :class:`anysctp.WireError` (a :class:`anysctp.ProtocolError`) with the
core's description of the problem. Reserved flag bits of known chunks are not
kept (RFC 9260 §3.2: ignored on receipt). The checksum field is read in
network byte order, as Wireshark shows it.
"""

import dataclasses
import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Type, TypeVar, Union

from . import _anysctp
from ._sansio import Address, Buffer
from .exceptions import WireError

__all__ = [
    "crc32c",
    "checksum",
    "verify_checksum",
    "fix_checksum",
    "pcap_write",
    "pcap_read",
    "encapsulate_udp",
    "decapsulate_udp",
    "WireError",
    "parse_packet",
    "parse_chunks",
    "parse_params",
    "parse_causes",
    "Packet",
    "Chunk",
    "Param",
    "Cause",
    "GapBlock",
    "ForwardTsnStream",
    "IForwardTsnStream",
    # chunks
    "Data",
    "Init",
    "InitAck",
    "Sack",
    "Heartbeat",
    "HeartbeatAck",
    "Abort",
    "Shutdown",
    "ShutdownAck",
    "Error",
    "CookieEcho",
    "CookieAck",
    "Ecne",
    "Cwr",
    "ShutdownComplete",
    "Auth",
    "IData",
    "ForwardTsn",
    "IForwardTsn",
    "ReConfig",
    "Asconf",
    "AsconfAck",
    "Pad",
    "UnknownChunk",
    "RawChunk",
    # parameters
    "HeartbeatInfo",
    "IPv4Address",
    "IPv6Address",
    "StateCookie",
    "UnrecognizedParameter",
    "CookiePreservative",
    "HostNameAddress",
    "SupportedAddressTypes",
    "OutgoingSsnResetRequest",
    "IncomingSsnResetRequest",
    "SsnTsnResetRequest",
    "ReconfigurationResponse",
    "AddOutgoingStreamsRequest",
    "AddIncomingStreamsRequest",
    "EcnCapable",
    "ZeroChecksumAcceptable",
    "Random",
    "ChunkList",
    "RequestedHmacAlgorithm",
    "Padding",
    "SupportedExtensions",
    "ForwardTsnSupported",
    "AddIpAddress",
    "DeleteIpAddress",
    "ErrorCauseIndication",
    "SetPrimaryAddress",
    "SuccessIndication",
    "AdaptationLayerIndication",
    "UnknownParam",
    # causes
    "InvalidStreamIdentifier",
    "MissingMandatoryParameter",
    "StaleCookie",
    "OutOfResource",
    "UnresolvableAddress",
    "UnrecognizedChunkType",
    "InvalidMandatoryParameter",
    "UnrecognizedParameters",
    "NoUserData",
    "CookieReceivedWhileShuttingDown",
    "RestartWithNewAddresses",
    "UserInitiatedAbort",
    "ProtocolViolation",
    "UnsupportedHmacIdentifier",
    "DeleteLastRemainingIpAddress",
    "OperationRefusedResourceShortage",
    "DeleteSourceIpAddress",
    "IllegalAsconfAck",
    "RequestRefusedNoAuthorization",
    "UnknownCause",
]


def crc32c(data: Buffer) -> int:
    """CRC32c (Castagnoli) of ``data``."""
    return _anysctp.crc32c(data)


def checksum(packet: Buffer) -> int:
    """The checksum ``packet`` must carry (its field zeroed for the computation)."""
    return _anysctp.checksum(packet)


def verify_checksum(packet: Buffer) -> bool:
    """Whether the packet's checksum is right. Raises ProtocolError below 12 bytes."""
    return _anysctp.verify_checksum(packet)


def fix_checksum(packet: Buffer) -> bytes:
    """``packet`` with a correct checksum (e.g. after editing it)."""
    return _anysctp.fix_checksum(packet)


def pcap_write(records: Iterable[Tuple[float, Buffer]], *, ethernet: bool = False) -> bytes:
    """A pcap capture of ``(timestamp seconds, ip_packet)`` records (LINKTYPE_RAW, or Ethernet)."""
    return _anysctp.pcap_write(records, ethernet)


def pcap_read(capture: Buffer) -> List[Tuple[float, bytes]]:
    """The ``(timestamp seconds, ip_packet)`` records of a pcap capture."""
    return _anysctp.pcap_read(capture)


def encapsulate_udp(src: Address, dst: Address, sctp_packet: Buffer) -> bytes:
    """An IPv4/IPv6 + UDP packet carrying ``sctp_packet`` (for captures)."""
    return _anysctp.encapsulate_udp(src, dst, sctp_packet)


def decapsulate_udp(ip_packet: Buffer) -> Tuple[Address, Address, bytes]:
    """``(src, dst, payload)`` of a UDP datagram in an IP packet."""
    return _anysctp.decapsulate_udp(ip_packet)


# --------------------------------------------------------------------------
# Encoding helpers


def _pad(n: int) -> int:
    """Bytes of zero padding after ``n`` bytes (RFC 9260 §3.2: 4-byte multiples)."""
    return -n % 4


def _join(items: Iterable["_Tlv"]) -> bytes:
    """TLVs one after another, each padded except the last: RFC 9260 §3.2
    leaves the last one's padding out of the enclosing length."""
    parts = [i.to_bytes() for i in items]
    if not parts:
        return b""
    return b"".join(p + bytes(_pad(len(p))) for p in parts[:-1]) + parts[-1]


def _u16s(values: Iterable[int]) -> bytes:
    v = tuple(values)
    return struct.pack("!%dH" % len(v), *v)


def _read_u16s(value: bytes, what: str) -> Tuple[int, ...]:
    if len(value) % 2:
        raise WireError(f"{what}: {len(value)} bytes is not a list of 16-bit values")
    return struct.unpack("!%dH" % (len(value) // 2), value)


def _fixed(fmt: str, value: bytes, what: str) -> Tuple[Any, ...]:
    s = struct.Struct(fmt)
    if len(value) != s.size:
        raise WireError(f"{what}: value of {len(value)} bytes, expected {s.size}")
    return s.unpack(value)


def _at_least(fmt: str, value: bytes, what: str) -> Tuple[Tuple[Any, ...], bytes]:
    s = struct.Struct(fmt)
    if len(value) < s.size:
        raise WireError(f"{what}: value of {len(value)} bytes is shorter than its {s.size}-byte fixed part")
    return s.unpack_from(value), value[s.size :]


def _split_tlvs(buf: bytes, kind: str) -> Iterable[Tuple[int, int, bytes]]:
    """``(type, length, value)`` of each TLV in ``buf`` (parameters, causes)."""
    off = 0
    while off < len(buf):
        if len(buf) - off < 4:
            raise WireError(f"{kind} list has {len(buf) - off} trailing bytes at offset {off}")
        t, length = struct.unpack_from("!HH", buf, off)
        if length < 4:
            raise WireError(f"{kind} of type {t} has length {length} < 4")
        if off + length > len(buf):
            raise WireError(
                f"{kind} of type {t} at offset {off} with length {length} runs past the end "
                f"({len(buf) - off} bytes available)"
            )
        yield t, length, bytes(buf[off + 4 : off + length])
        off += length + _pad(length)


_T = TypeVar("_T", bound="_Tlv")


@dataclass(frozen=True)
class _Tlv:
    """Common behaviour of chunks, parameters and causes."""

    TYPE: ClassVar[int] = -1
    NAME: ClassVar[str] = ""

    def __post_init__(self) -> None:
        # Lists given by the caller become tuples: the objects stay immutable
        # and hashable.
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, list):
                object.__setattr__(self, f.name, tuple(v))

    def value_bytes(self) -> bytes:
        """The encoded value (after the 4-byte header, without final padding)."""
        return b""

    @property
    def length(self) -> int:
        """The length field: header + value, without final padding."""
        return 4 + len(self.value_bytes())

    def to_bytes(self) -> bytes:
        """The encoding, without final padding (a container adds it)."""
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        return self.to_bytes()


# --------------------------------------------------------------------------
# Parameters (RFC 9260 §3.2.1, §3.3.2.1 and the extensions)


@dataclass(frozen=True)
class Param(_Tlv):
    """A chunk parameter. ``type_id``/``type`` name it as tests/vectors does."""

    @property
    def type_id(self) -> int:
        """The Parameter Type."""
        return self.TYPE

    @property
    def type(self) -> str:
        """The parameter's name, e.g. ``"STATE_COOKIE"``."""
        return self.NAME

    def to_bytes(self) -> bytes:
        value = self.value_bytes()
        return struct.pack("!HH", self.type_id, 4 + len(value)) + value

    @classmethod
    def _decode(cls: Type[_T], value: bytes) -> _T:
        return cls()


_PARAMS: Dict[int, Type[Param]] = {}
_P = TypeVar("_P", bound=Type[Param])


def _param(type_id: int, name: str) -> Any:
    def register(cls: _P) -> _P:
        cls.TYPE, cls.NAME = type_id, name
        _PARAMS[type_id] = cls
        return cls

    return register


def parse_params(buf: Buffer) -> Tuple[Param, ...]:
    """The parameters encoded one after another in ``buf``."""
    out: List[Param] = []
    for t, _, value in _split_tlvs(bytes(buf), "parameter"):
        cls = _PARAMS.get(t)
        if cls is None:
            out.append(UnknownParam(t, value))
            continue
        try:
            out.append(cls._decode(value))
        except (struct.error, ValueError) as e:
            if isinstance(e, WireError):
                raise
            raise WireError(f"{cls.NAME} parameter: {e}") from None
    return tuple(out)


def _bytes_param(type_id: int, name: str, attr: str) -> Any:
    """A parameter whose value is one byte string held in ``attr``."""

    def register(cls: _P) -> _P:
        cls.value_bytes = lambda self: bytes(getattr(self, attr))  # type: ignore[method-assign]
        cls._decode = classmethod(lambda c, value: c(value))  # type: ignore[method-assign,assignment]
        return _param(type_id, name)(cls)  # type: ignore[no-any-return]

    return register


def _struct_param(type_id: int, name: str, fmt: str) -> Any:
    """A parameter whose value is a fixed struct of the dataclass's fields."""

    def register(cls: _P) -> _P:
        names = [f.name for f in dataclasses.fields(cls)]
        cls.value_bytes = lambda self: struct.pack(fmt, *(getattr(self, n) for n in names))  # type: ignore[method-assign]
        cls._decode = classmethod(lambda c, value: c(*_fixed(fmt, value, name)))  # type: ignore[method-assign,assignment]
        return _param(type_id, name)(cls)  # type: ignore[no-any-return]

    return register


@_bytes_param(1, "HEARTBEAT_INFO", "info")
@dataclass(frozen=True)
class HeartbeatInfo(Param):
    """Heartbeat Info: sender data echoed back (RFC 9260 §3.3.5)."""

    info: bytes


@dataclass(frozen=True)
class _AddressParam(Param):
    address: str

    def value_bytes(self) -> bytes:
        return ipaddress.ip_address(self.address).packed


@_param(5, "IPV4_ADDRESS")
@dataclass(frozen=True)
class IPv4Address(_AddressParam):
    """IPv4 Address parameter, ``address`` as text (RFC 9260 §3.3.2.1)."""

    @classmethod
    def _decode(cls, value: bytes) -> "IPv4Address":
        if len(value) != 4:
            raise WireError(f"IPV4_ADDRESS parameter: value of {len(value)} bytes, expected 4")
        return cls(str(ipaddress.IPv4Address(value)))


@_param(6, "IPV6_ADDRESS")
@dataclass(frozen=True)
class IPv6Address(_AddressParam):
    """IPv6 Address parameter, ``address`` as text (RFC 9260 §3.3.2.1)."""

    @classmethod
    def _decode(cls, value: bytes) -> "IPv6Address":
        if len(value) != 16:
            raise WireError(f"IPV6_ADDRESS parameter: value of {len(value)} bytes, expected 16")
        return cls(str(ipaddress.IPv6Address(value)))


def address_param(address: str) -> Param:
    """The IPv4 or IPv6 Address parameter of ``address``."""
    return IPv6Address(address) if ":" in address else IPv4Address(address)


@_bytes_param(7, "STATE_COOKIE", "cookie")
@dataclass(frozen=True)
class StateCookie(Param):
    """State Cookie (RFC 9260 §3.3.3.1)."""

    cookie: bytes


@_bytes_param(8, "UNRECOGNIZED_PARAMETER", "value")
@dataclass(frozen=True)
class UnrecognizedParameter(Param):
    """Unrecognized Parameter: the reported parameter TLV(s) as bytes; ``params`` decodes them."""

    value: bytes

    @property
    def params(self) -> Tuple[Param, ...]:
        """The reported parameters."""
        return parse_params(self.value)

    @classmethod
    def of(cls, *params: Param) -> "UnrecognizedParameter":
        """Reports ``params``."""
        return cls(_join(params))


@_struct_param(9, "COOKIE_PRESERVATIVE", "!I")
@dataclass(frozen=True)
class CookiePreservative(Param):
    """Cookie Preservative: suggested life-span increment in ms (RFC 9260 §3.3.2.1)."""

    life_span_increment: int


@_bytes_param(11, "HOST_NAME_ADDRESS", "hostname")
@dataclass(frozen=True)
class HostNameAddress(Param):
    """Host Name Address (RFC 9260 §3.3.2.1; deprecated, to be refused)."""

    hostname: bytes


@_param(12, "SUPPORTED_ADDRESS_TYPES")
@dataclass(frozen=True)
class SupportedAddressTypes(Param):
    """Supported Address Types: parameter type codes (RFC 9260 §3.3.2.1)."""

    address_types: Sequence[int]

    def value_bytes(self) -> bytes:
        return _u16s(self.address_types)

    @classmethod
    def _decode(cls, value: bytes) -> "SupportedAddressTypes":
        return cls(_read_u16s(value, "SUPPORTED_ADDRESS_TYPES"))


@_param(13, "OUTGOING_SSN_RESET_REQUEST")
@dataclass(frozen=True)
class OutgoingSsnResetRequest(Param):
    """Outgoing SSN Reset Request (RFC 6525 §4.1); no stream ids means all."""

    request_sequence_number: int
    response_sequence_number: int
    last_tsn: int
    stream_ids: Sequence[int] = ()

    def value_bytes(self) -> bytes:
        fixed = struct.pack("!III", self.request_sequence_number, self.response_sequence_number, self.last_tsn)
        return fixed + _u16s(self.stream_ids)

    @classmethod
    def _decode(cls, value: bytes) -> "OutgoingSsnResetRequest":
        (req, resp, last), rest = _at_least("!III", value, cls.NAME)
        return cls(req, resp, last, _read_u16s(rest, cls.NAME))


@_param(14, "INCOMING_SSN_RESET_REQUEST")
@dataclass(frozen=True)
class IncomingSsnResetRequest(Param):
    """Incoming SSN Reset Request (RFC 6525 §4.2); no stream ids means all."""

    request_sequence_number: int
    stream_ids: Sequence[int] = ()

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.request_sequence_number) + _u16s(self.stream_ids)

    @classmethod
    def _decode(cls, value: bytes) -> "IncomingSsnResetRequest":
        (req,), rest = _at_least("!I", value, cls.NAME)
        return cls(req, _read_u16s(rest, cls.NAME))


@_struct_param(15, "SSN_TSN_RESET_REQUEST", "!I")
@dataclass(frozen=True)
class SsnTsnResetRequest(Param):
    """SSN/TSN Reset Request (RFC 6525 §4.3)."""

    request_sequence_number: int


@_param(16, "RECONFIGURATION_RESPONSE")
@dataclass(frozen=True)
class ReconfigurationResponse(Param):
    """Re-configuration Response (RFC 6525 §4.4), with both next TSNs or neither."""

    response_sequence_number: int
    result: int
    sender_next_tsn: Optional[int] = None
    receiver_next_tsn: Optional[int] = None

    def value_bytes(self) -> bytes:
        v = struct.pack("!II", self.response_sequence_number, self.result)
        if self.sender_next_tsn is not None or self.receiver_next_tsn is not None:
            v += struct.pack("!II", self.sender_next_tsn or 0, self.receiver_next_tsn or 0)
        return v

    @classmethod
    def _decode(cls, value: bytes) -> "ReconfigurationResponse":
        if len(value) == 8:
            return cls(*struct.unpack("!II", value))
        return cls(*_fixed("!IIII", value, cls.NAME))


@_struct_param(17, "ADD_OUTGOING_STREAMS_REQUEST", "!IH2x")
@dataclass(frozen=True)
class AddOutgoingStreamsRequest(Param):
    """Add Outgoing Streams Request (RFC 6525 §4.5)."""

    request_sequence_number: int
    number_of_new_streams: int


@_struct_param(18, "ADD_INCOMING_STREAMS_REQUEST", "!IH2x")
@dataclass(frozen=True)
class AddIncomingStreamsRequest(Param):
    """Add Incoming Streams Request (RFC 6525 §4.6)."""

    request_sequence_number: int
    number_of_new_streams: int


@_param(0x8000, "ECN_CAPABLE")
@dataclass(frozen=True)
class EcnCapable(Param):
    """ECN Capable (RFC 9260 Appendix A)."""


@_struct_param(0x8001, "ZERO_CHECKSUM_ACCEPTABLE", "!I")
@dataclass(frozen=True)
class ZeroChecksumAcceptable(Param):
    """Zero Checksum Acceptable with its Error Detection Method Identifier (RFC 9653 §4)."""

    edmid: int


@_bytes_param(0x8002, "RANDOM", "random")
@dataclass(frozen=True)
class Random(Param):
    """Random (RFC 4895 §3.1)."""

    random: bytes


@_param(0x8003, "CHUNK_LIST")
@dataclass(frozen=True)
class ChunkList(Param):
    """Chunk List: chunk types to authenticate (RFC 4895 §3.2)."""

    chunk_types: Sequence[int]

    def value_bytes(self) -> bytes:
        return bytes(self.chunk_types)

    @classmethod
    def _decode(cls, value: bytes) -> "ChunkList":
        return cls(tuple(value))


@_param(0x8004, "REQUESTED_HMAC_ALGORITHM")
@dataclass(frozen=True)
class RequestedHmacAlgorithm(Param):
    """Requested HMAC Algorithm identifiers (RFC 4895 §3.3)."""

    hmac_ids: Sequence[int]

    def value_bytes(self) -> bytes:
        return _u16s(self.hmac_ids)

    @classmethod
    def _decode(cls, value: bytes) -> "RequestedHmacAlgorithm":
        return cls(_read_u16s(value, cls.NAME))


@_param(0x8005, "PADDING")
@dataclass(frozen=True)
class Padding(Param):
    """Padding parameter: ``padding_length`` zero bytes (RFC 4820 §3)."""

    padding_length: int

    def value_bytes(self) -> bytes:
        return bytes(self.padding_length)

    @classmethod
    def _decode(cls, value: bytes) -> "Padding":
        return cls(len(value))


@_param(0x8008, "SUPPORTED_EXTENSIONS")
@dataclass(frozen=True)
class SupportedExtensions(Param):
    """Supported Extensions: chunk types (RFC 5061 §4.2.7)."""

    chunk_types: Sequence[int]

    def value_bytes(self) -> bytes:
        return bytes(self.chunk_types)

    @classmethod
    def _decode(cls, value: bytes) -> "SupportedExtensions":
        return cls(tuple(value))


@_param(0xC000, "FORWARD_TSN_SUPPORTED")
@dataclass(frozen=True)
class ForwardTsnSupported(Param):
    """Forward-TSN Supported (RFC 3758 §3.1)."""


@dataclass(frozen=True)
class _AsconfAddressParam(Param):
    correlation_id: int
    address: Param

    @property
    def params(self) -> Tuple[Param, ...]:
        """The address parameter, as a one-element tuple."""
        return (self.address,)

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.correlation_id) + self.address.to_bytes()

    @classmethod
    def _decode(cls: Type[_T], value: bytes) -> _T:
        (corr,), rest = _at_least("!I", value, cls.NAME)
        params = parse_params(rest)
        if len(params) != 1:
            raise WireError(f"{cls.NAME} parameter: {len(params)} address parameters, expected 1")
        return cls(corr, params[0])  # type: ignore[call-arg]


@_param(0xC001, "ADD_IP_ADDRESS")
@dataclass(frozen=True)
class AddIpAddress(_AsconfAddressParam):
    """Add IP Address (RFC 5061 §4.2.1); ``address`` is an address parameter."""


@_param(0xC002, "DELETE_IP_ADDRESS")
@dataclass(frozen=True)
class DeleteIpAddress(_AsconfAddressParam):
    """Delete IP Address (RFC 5061 §4.2.2)."""


@_param(0xC004, "SET_PRIMARY_ADDRESS")
@dataclass(frozen=True)
class SetPrimaryAddress(_AsconfAddressParam):
    """Set Primary Address (RFC 5061 §4.2.4)."""


@_param(0xC003, "ERROR_CAUSE_INDICATION")
@dataclass(frozen=True)
class ErrorCauseIndication(Param):
    """Error Cause Indication (RFC 5061 §4.2.3)."""

    correlation_id: int
    causes: Sequence["Cause"] = ()

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.correlation_id) + _join(self.causes)

    @classmethod
    def _decode(cls, value: bytes) -> "ErrorCauseIndication":
        (corr,), rest = _at_least("!I", value, cls.NAME)
        return cls(corr, parse_causes(rest))


@_struct_param(0xC005, "SUCCESS_INDICATION", "!I")
@dataclass(frozen=True)
class SuccessIndication(Param):
    """Success Indication (RFC 5061 §4.2.5)."""

    correlation_id: int


@_struct_param(0xC006, "ADAPTATION_LAYER_INDICATION", "!I")
@dataclass(frozen=True)
class AdaptationLayerIndication(Param):
    """Adaptation Layer Indication (RFC 5061 §4.2.6)."""

    adaptation_code_point: int


def _action(high_bits: int) -> str:
    return ("stop", "stop_and_report", "skip", "skip_and_report")[high_bits & 3]


@dataclass(frozen=True)
class UnknownParam(Param):
    """A parameter type this codec does not know, kept whole."""

    param_type: int
    value: bytes

    @property
    def type_id(self) -> int:
        return self.param_type

    @property
    def type(self) -> str:
        return "UNKNOWN"

    @property
    def action(self) -> str:
        """RFC 9260 §3.2.1 handling from the upper two type bits."""
        return _action(self.param_type >> 14)

    def value_bytes(self) -> bytes:
        return bytes(self.value)


# --------------------------------------------------------------------------
# Error causes (RFC 9260 §3.3.10 and RFC 4895, RFC 5061)


@dataclass(frozen=True)
class Cause(_Tlv):
    """An error cause. ``code_id``/``code`` name it as tests/vectors does."""

    @property
    def code_id(self) -> int:
        """The Cause Code."""
        return self.TYPE

    @property
    def code(self) -> str:
        """The cause's name, e.g. ``"PROTOCOL_VIOLATION"``."""
        return self.NAME

    def to_bytes(self) -> bytes:
        value = self.value_bytes()
        return struct.pack("!HH", self.code_id, 4 + len(value)) + value

    @classmethod
    def _decode(cls: Type[_T], value: bytes) -> _T:
        return cls()


_CAUSES: Dict[int, Type[Cause]] = {}
_C = TypeVar("_C", bound=Type[Cause])


def _cause(code: int, name: str, fmt: Optional[str] = None) -> Any:
    def register(cls: _C) -> _C:
        cls.TYPE, cls.NAME = code, name
        if fmt is not None:
            names = [f.name for f in dataclasses.fields(cls)]
            cls.value_bytes = lambda self: struct.pack(fmt, *(getattr(self, n) for n in names))  # type: ignore[method-assign]
            cls._decode = classmethod(lambda c, value: c(*_fixed(fmt, value, name)))  # type: ignore[method-assign,assignment]
        _CAUSES[code] = cls
        return cls

    return register


def parse_causes(buf: Buffer) -> Tuple[Cause, ...]:
    """The error causes encoded one after another in ``buf``."""
    out: List[Cause] = []
    for code, _, value in _split_tlvs(bytes(buf), "cause"):
        cls = _CAUSES.get(code)
        if cls is None:
            out.append(UnknownCause(code, value))
            continue
        try:
            out.append(cls._decode(value))
        except (struct.error, ValueError) as e:
            if isinstance(e, WireError):
                raise
            raise WireError(f"{cls.NAME} cause: {e}") from None
    return tuple(out)


@dataclass(frozen=True)
class _BytesCause(Cause):
    value: bytes

    def value_bytes(self) -> bytes:
        return bytes(self.value)

    @classmethod
    def _decode(cls: Type[_T], value: bytes) -> _T:
        return cls(value)  # type: ignore[call-arg]


@dataclass(frozen=True)
class _ParamsCause(_BytesCause):
    """A cause carrying parameter TLVs as bytes; ``params`` decodes them."""

    @property
    def params(self) -> Tuple[Param, ...]:
        """The parameters carried."""
        return parse_params(self.value)

    @classmethod
    def of(cls: Type[_T], *params: Param) -> _T:
        """The cause carrying ``params``."""
        return cls(_join(params))  # type: ignore[call-arg]


@_cause(1, "INVALID_STREAM_IDENTIFIER", "!H2x")
@dataclass(frozen=True)
class InvalidStreamIdentifier(Cause):
    """Invalid Stream Identifier (RFC 9260 §3.3.10.1)."""

    stream_id: int


@_cause(2, "MISSING_MANDATORY_PARAMETER")
@dataclass(frozen=True)
class MissingMandatoryParameter(Cause):
    """Missing Mandatory Parameter: the missing parameter types (RFC 9260 §3.3.10.2)."""

    missing_types: Sequence[int]

    def value_bytes(self) -> bytes:
        return struct.pack("!I", len(self.missing_types)) + _u16s(self.missing_types)

    @classmethod
    def _decode(cls, value: bytes) -> "MissingMandatoryParameter":
        (n,), rest = _at_least("!I", value, cls.NAME)
        if n * 2 > len(rest):
            raise WireError(f"{cls.NAME} cause: {n} types announced, {len(rest) // 2} present")
        return cls(_read_u16s(rest[: 2 * n], cls.NAME))


@_cause(3, "STALE_COOKIE", "!I")
@dataclass(frozen=True)
class StaleCookie(Cause):
    """Stale Cookie Error: measure of staleness in µs (RFC 9260 §3.3.10.3)."""

    staleness_us: int


@_cause(4, "OUT_OF_RESOURCE", "")
@dataclass(frozen=True)
class OutOfResource(Cause):
    """Out of Resource (RFC 9260 §3.3.10.4)."""


@_cause(5, "UNRESOLVABLE_ADDRESS")
@dataclass(frozen=True)
class UnresolvableAddress(_ParamsCause):
    """Unresolvable Address: the address parameter (RFC 9260 §3.3.10.5)."""


@_cause(6, "UNRECOGNIZED_CHUNK_TYPE")
@dataclass(frozen=True)
class UnrecognizedChunkType(Cause):
    """Unrecognized Chunk Type: the whole chunk (RFC 9260 §3.3.10.6)."""

    chunk: bytes

    def value_bytes(self) -> bytes:
        return bytes(self.chunk)

    @classmethod
    def _decode(cls, value: bytes) -> "UnrecognizedChunkType":
        return cls(value)


@_cause(7, "INVALID_MANDATORY_PARAMETER", "")
@dataclass(frozen=True)
class InvalidMandatoryParameter(Cause):
    """Invalid Mandatory Parameter (RFC 9260 §3.3.10.7)."""


@_cause(8, "UNRECOGNIZED_PARAMETERS")
@dataclass(frozen=True)
class UnrecognizedParameters(_ParamsCause):
    """Unrecognized Parameters (RFC 9260 §3.3.10.8)."""


@_cause(9, "NO_USER_DATA", "!I")
@dataclass(frozen=True)
class NoUserData(Cause):
    """No User Data: the TSN of the empty DATA chunk (RFC 9260 §3.3.10.9)."""

    tsn: int


@_cause(10, "COOKIE_RECEIVED_WHILE_SHUTTING_DOWN", "")
@dataclass(frozen=True)
class CookieReceivedWhileShuttingDown(Cause):
    """Cookie Received While Shutting Down (RFC 9260 §3.3.10.10)."""


@_cause(11, "RESTART_WITH_NEW_ADDRESSES")
@dataclass(frozen=True)
class RestartWithNewAddresses(_ParamsCause):
    """Restart of an Association with New Addresses (RFC 9260 §3.3.10.11)."""


@_cause(12, "USER_INITIATED_ABORT")
@dataclass(frozen=True)
class UserInitiatedAbort(Cause):
    """User-Initiated Abort with the upper layer's reason (RFC 9260 §3.3.10.12)."""

    reason: bytes = b""

    def value_bytes(self) -> bytes:
        return bytes(self.reason)

    @classmethod
    def _decode(cls, value: bytes) -> "UserInitiatedAbort":
        return cls(value)


@_cause(13, "PROTOCOL_VIOLATION")
@dataclass(frozen=True)
class ProtocolViolation(Cause):
    """Protocol Violation with additional information (RFC 9260 §3.3.10.13)."""

    info: bytes = b""

    def value_bytes(self) -> bytes:
        return bytes(self.info)

    @classmethod
    def _decode(cls, value: bytes) -> "ProtocolViolation":
        return cls(value)


@_cause(105, "UNSUPPORTED_HMAC_IDENTIFIER", "!H")
@dataclass(frozen=True)
class UnsupportedHmacIdentifier(Cause):
    """Unsupported HMAC Identifier (RFC 4895 §4.1)."""

    hmac_id: int


@_cause(0xA0, "DELETE_LAST_REMAINING_IP_ADDRESS")
@dataclass(frozen=True)
class DeleteLastRemainingIpAddress(_ParamsCause):
    """Request to Delete Last Remaining IP Address: the refused ASCONF parameter (RFC 5061 §4.3.1)."""


@_cause(0xA1, "OPERATION_REFUSED_RESOURCE_SHORTAGE")
@dataclass(frozen=True)
class OperationRefusedResourceShortage(_ParamsCause):
    """Operation Refused Due to Resource Shortage (RFC 5061 §4.3.2)."""


@_cause(0xA2, "DELETE_SOURCE_IP_ADDRESS")
@dataclass(frozen=True)
class DeleteSourceIpAddress(_ParamsCause):
    """Request to Delete Source IP Address (RFC 5061 §4.3.3)."""


@_cause(0xA3, "ILLEGAL_ASCONF_ACK")
@dataclass(frozen=True)
class IllegalAsconfAck(_BytesCause):
    """Association Aborted Due to Illegal ASCONF-ACK (RFC 5061 §4.3.4)."""

    value: bytes = b""


@_cause(0xA4, "REQUEST_REFUSED_NO_AUTHORIZATION")
@dataclass(frozen=True)
class RequestRefusedNoAuthorization(_ParamsCause):
    """Request Refused - No Authorization (RFC 5061 §4.3.5)."""


@dataclass(frozen=True)
class UnknownCause(Cause):
    """A cause code this codec does not know, kept whole."""

    cause_code: int
    value: bytes

    @property
    def code_id(self) -> int:
        return self.cause_code

    @property
    def code(self) -> str:
        return "UNKNOWN"

    def value_bytes(self) -> bytes:
        return bytes(self.value)


# --------------------------------------------------------------------------
# Chunks (RFC 9260 §3.2, §3.3 and the extensions)


class GapBlock(NamedTuple):
    """A SACK gap ack block: offsets from the cumulative TSN ack (RFC 9260 §3.3.4)."""

    start: int
    end: int


class ForwardTsnStream(NamedTuple):
    """A FORWARD TSN entry (RFC 3758 §3.2)."""

    stream_id: int
    ssn: int


class IForwardTsnStream(NamedTuple):
    """An I-FORWARD-TSN entry (RFC 8260 §3.2)."""

    stream_id: int
    unordered: bool
    mid: int


@dataclass(frozen=True)
class Chunk(_Tlv):
    """A chunk. ``type_id``/``type`` name it as tests/vectors does; ``flags`` is the flags byte."""

    @property
    def type_id(self) -> int:
        """The Chunk Type."""
        return self.TYPE

    @property
    def type(self) -> str:
        """The chunk's name, e.g. ``"SACK"``."""
        return self.NAME

    @property
    def flags(self) -> int:
        """The Chunk Flags byte."""
        return 0

    def to_bytes(self) -> bytes:
        value = self.value_bytes()
        return struct.pack("!BBH", self.type_id, self.flags, 4 + len(value)) + value

    def raw(self) -> "RawChunk":
        """This chunk as a :class:`RawChunk`, to change its length field or flags."""
        return RawChunk(self.type_id, self.flags, self.value_bytes())

    @classmethod
    def _decode(cls: Type[_T], flags: int, value: bytes) -> _T:
        return cls()


_CHUNKS: Dict[int, Type[Chunk]] = {}
_K = TypeVar("_K", bound=Type[Chunk])


def _chunk(type_id: int, name: str) -> Any:
    def register(cls: _K) -> _K:
        cls.TYPE, cls.NAME = type_id, name
        _CHUNKS[type_id] = cls
        return cls

    return register


def _data_flags(immediate_sack: bool, unordered: bool, beginning: bool, ending: bool) -> int:
    return immediate_sack << 3 | unordered << 2 | beginning << 1 | int(ending)


@_chunk(0, "DATA")
@dataclass(frozen=True)
class Data(Chunk):
    """DATA (RFC 9260 §3.3.1; the I bit is RFC 7053)."""

    tsn: int
    stream_id: int
    ssn: int
    ppid: int
    payload: bytes
    unordered: bool = False
    beginning: bool = True
    ending: bool = True
    immediate_sack: bool = False

    @property
    def flags(self) -> int:
        return _data_flags(self.immediate_sack, self.unordered, self.beginning, self.ending)

    def value_bytes(self) -> bytes:
        return struct.pack("!IHHI", self.tsn, self.stream_id, self.ssn, self.ppid) + bytes(self.payload)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Data":
        (tsn, sid, ssn, ppid), payload = _at_least("!IHHI", value, cls.NAME)
        return cls(tsn, sid, ssn, ppid, payload, bool(flags & 4), bool(flags & 2), bool(flags & 1), bool(flags & 8))


@dataclass(frozen=True)
class _InitBase(Chunk):
    initiate_tag: int
    a_rwnd: int
    outbound_streams: int
    inbound_streams: int
    initial_tsn: int
    params: Sequence[Param] = ()

    def value_bytes(self) -> bytes:
        fixed = struct.pack(
            "!IIHHI", self.initiate_tag, self.a_rwnd, self.outbound_streams, self.inbound_streams, self.initial_tsn
        )
        return fixed + _join(self.params)

    @classmethod
    def _decode(cls: Type[_T], flags: int, value: bytes) -> _T:
        fixed, rest = _at_least("!IIHHI", value, cls.NAME)
        return cls(*fixed, parse_params(rest))  # type: ignore[call-arg]


@_chunk(1, "INIT")
@dataclass(frozen=True)
class Init(_InitBase):
    """INIT (RFC 9260 §3.3.2)."""


@_chunk(2, "INIT_ACK")
@dataclass(frozen=True)
class InitAck(_InitBase):
    """INIT ACK (RFC 9260 §3.3.3); the State Cookie is one of ``params``."""


@_chunk(3, "SACK")
@dataclass(frozen=True)
class Sack(Chunk):
    """SACK (RFC 9260 §3.3.4)."""

    cumulative_tsn_ack: int
    a_rwnd: int
    gap_blocks: Sequence[Tuple[int, int]] = ()
    duplicate_tsns: Sequence[int] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "gap_blocks", tuple(GapBlock(*g) for g in self.gap_blocks))

    def value_bytes(self) -> bytes:
        gaps = b"".join(struct.pack("!HH", g[0], g[1]) for g in self.gap_blocks)
        dups = struct.pack("!%dI" % len(self.duplicate_tsns), *self.duplicate_tsns)
        fixed = struct.pack(
            "!IIHH", self.cumulative_tsn_ack, self.a_rwnd, len(self.gap_blocks), len(self.duplicate_tsns)
        )
        return fixed + gaps + dups

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Sack":
        (cum, rwnd, ngaps, ndups), rest = _at_least("!IIHH", value, cls.NAME)
        if len(rest) != 4 * (ngaps + ndups):
            raise WireError(f"SACK: {ngaps} gap blocks and {ndups} duplicate TSNs need {4 * (ngaps + ndups)} bytes")
        gaps = tuple(GapBlock(*struct.unpack_from("!HH", rest, 4 * i)) for i in range(ngaps))
        dups = struct.unpack_from("!%dI" % ndups, rest, 4 * ngaps)
        return cls(cum, rwnd, gaps, dups)


@dataclass(frozen=True)
class _HeartbeatBase(Chunk):
    params: Sequence[Param] = ()

    @property
    def info(self) -> Optional[bytes]:
        """The Heartbeat Info parameter's data, if there is one."""
        for p in self.params:
            if isinstance(p, HeartbeatInfo):
                return p.info
        return None

    def value_bytes(self) -> bytes:
        return _join(self.params)

    @classmethod
    def _decode(cls: Type[_T], flags: int, value: bytes) -> _T:
        return cls(parse_params(value))  # type: ignore[call-arg]


@_chunk(4, "HEARTBEAT")
@dataclass(frozen=True)
class Heartbeat(_HeartbeatBase):
    """HEARTBEAT (RFC 9260 §3.3.5): ``Heartbeat([HeartbeatInfo(b"...")])``."""


@_chunk(5, "HEARTBEAT_ACK")
@dataclass(frozen=True)
class HeartbeatAck(_HeartbeatBase):
    """HEARTBEAT ACK (RFC 9260 §3.3.6)."""


@_chunk(6, "ABORT")
@dataclass(frozen=True)
class Abort(Chunk):
    """ABORT (RFC 9260 §3.3.7); ``t_bit``: the tag is reflected."""

    causes: Sequence[Cause] = ()
    t_bit: bool = False

    @property
    def flags(self) -> int:
        return int(self.t_bit)

    def value_bytes(self) -> bytes:
        return _join(self.causes)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Abort":
        return cls(parse_causes(value), bool(flags & 1))


@_chunk(7, "SHUTDOWN")
@dataclass(frozen=True)
class Shutdown(Chunk):
    """SHUTDOWN (RFC 9260 §3.3.8)."""

    cumulative_tsn_ack: int

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.cumulative_tsn_ack)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Shutdown":
        return cls(*_fixed("!I", value, cls.NAME))


@_chunk(8, "SHUTDOWN_ACK")
@dataclass(frozen=True)
class ShutdownAck(Chunk):
    """SHUTDOWN ACK (RFC 9260 §3.3.9)."""


@_chunk(9, "ERROR")
@dataclass(frozen=True)
class Error(Chunk):
    """ERROR (RFC 9260 §3.3.10)."""

    causes: Sequence[Cause] = ()

    def value_bytes(self) -> bytes:
        return _join(self.causes)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Error":
        return cls(parse_causes(value))


@_chunk(10, "COOKIE_ECHO")
@dataclass(frozen=True)
class CookieEcho(Chunk):
    """COOKIE ECHO (RFC 9260 §3.3.11)."""

    cookie: bytes

    def value_bytes(self) -> bytes:
        return bytes(self.cookie)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "CookieEcho":
        return cls(value)


@_chunk(11, "COOKIE_ACK")
@dataclass(frozen=True)
class CookieAck(Chunk):
    """COOKIE ACK (RFC 9260 §3.3.12)."""


@dataclass(frozen=True)
class _LowestTsn(Chunk):
    lowest_tsn: int

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.lowest_tsn)

    @classmethod
    def _decode(cls: Type[_T], flags: int, value: bytes) -> _T:
        return cls(*_fixed("!I", value, cls.NAME))


@_chunk(12, "ECNE")
@dataclass(frozen=True)
class Ecne(_LowestTsn):
    """ECN Echo (RFC 9260 Appendix A)."""


@_chunk(13, "CWR")
@dataclass(frozen=True)
class Cwr(_LowestTsn):
    """Congestion Window Reduced (RFC 9260 Appendix A)."""


@_chunk(14, "SHUTDOWN_COMPLETE")
@dataclass(frozen=True)
class ShutdownComplete(Chunk):
    """SHUTDOWN COMPLETE (RFC 9260 §3.3.13)."""

    t_bit: bool = False

    @property
    def flags(self) -> int:
        return int(self.t_bit)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "ShutdownComplete":
        return cls(bool(flags & 1))


@_chunk(15, "AUTH")
@dataclass(frozen=True)
class Auth(Chunk):
    """AUTH (RFC 4895 §6.1)."""

    shared_key_id: int
    hmac_id: int
    hmac: bytes

    def value_bytes(self) -> bytes:
        return struct.pack("!HH", self.shared_key_id, self.hmac_id) + bytes(self.hmac)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Auth":
        (key, hid), hmac = _at_least("!HH", value, cls.NAME)
        return cls(key, hid, hmac)


@_chunk(64, "I_DATA")
@dataclass(frozen=True)
class IData(Chunk):
    """I-DATA (RFC 8260 §2.1): the PPID travels in the first fragment, the FSN in the others."""

    tsn: int
    stream_id: int
    mid: int
    payload: bytes
    ppid: int = 0
    fsn: int = 0
    unordered: bool = False
    beginning: bool = True
    ending: bool = True
    immediate_sack: bool = False

    @property
    def flags(self) -> int:
        return _data_flags(self.immediate_sack, self.unordered, self.beginning, self.ending)

    def value_bytes(self) -> bytes:
        word = self.ppid if self.beginning else self.fsn
        return struct.pack("!IH2xII", self.tsn, self.stream_id, self.mid, word) + bytes(self.payload)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "IData":
        (tsn, sid, mid, word), payload = _at_least("!IH2xII", value, cls.NAME)
        b = bool(flags & 2)
        return cls(
            tsn, sid, mid, payload, word if b else 0, 0 if b else word, bool(flags & 4), b, bool(flags & 1), bool(flags & 8)
        )


@_chunk(192, "FORWARD_TSN")
@dataclass(frozen=True)
class ForwardTsn(Chunk):
    """FORWARD TSN (RFC 3758 §3.2)."""

    new_cumulative_tsn: int
    streams: Sequence[Tuple[int, int]] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "streams", tuple(ForwardTsnStream(*s) for s in self.streams))

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.new_cumulative_tsn) + b"".join(struct.pack("!HH", *s) for s in self.streams)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "ForwardTsn":
        (cum,), rest = _at_least("!I", value, cls.NAME)
        if len(rest) % 4:
            raise WireError(f"FORWARD_TSN: {len(rest)} bytes of stream entries is not a multiple of 4")
        return cls(cum, tuple(ForwardTsnStream(*struct.unpack_from("!HH", rest, i)) for i in range(0, len(rest), 4)))


@_chunk(194, "I_FORWARD_TSN")
@dataclass(frozen=True)
class IForwardTsn(Chunk):
    """I-FORWARD-TSN (RFC 8260 §3.2)."""

    new_cumulative_tsn: int
    streams: Sequence[Tuple[int, bool, int]] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "streams", tuple(IForwardTsnStream(*s) for s in self.streams))

    def value_bytes(self) -> bytes:
        entries = b"".join(struct.pack("!HHI", s[0], int(bool(s[1])), s[2]) for s in self.streams)
        return struct.pack("!I", self.new_cumulative_tsn) + entries

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "IForwardTsn":
        (cum,), rest = _at_least("!I", value, cls.NAME)
        if len(rest) % 8:
            raise WireError(f"I_FORWARD_TSN: {len(rest)} bytes of stream entries is not a multiple of 8")
        entries = []
        for i in range(0, len(rest), 8):
            sid, u, mid = struct.unpack_from("!HHI", rest, i)
            entries.append(IForwardTsnStream(sid, bool(u & 1), mid))
        return cls(cum, tuple(entries))


@_chunk(130, "RE_CONFIG")
@dataclass(frozen=True)
class ReConfig(Chunk):
    """RE-CONFIG (RFC 6525 §3.1)."""

    params: Sequence[Param] = ()

    def value_bytes(self) -> bytes:
        return _join(self.params)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "ReConfig":
        return cls(parse_params(value))


@dataclass(frozen=True)
class _AsconfBase(Chunk):
    serial_number: int
    params: Sequence[Param] = ()

    def value_bytes(self) -> bytes:
        return struct.pack("!I", self.serial_number) + _join(self.params)

    @classmethod
    def _decode(cls: Type[_T], flags: int, value: bytes) -> _T:
        (serial,), rest = _at_least("!I", value, cls.NAME)
        return cls(serial, parse_params(rest))  # type: ignore[call-arg]


@_chunk(193, "ASCONF")
@dataclass(frozen=True)
class Asconf(_AsconfBase):
    """ASCONF (RFC 5061 §4.1.1); the first parameter is the address parameter."""


@_chunk(128, "ASCONF_ACK")
@dataclass(frozen=True)
class AsconfAck(_AsconfBase):
    """ASCONF-ACK (RFC 5061 §4.1.2)."""


@_chunk(132, "PAD")
@dataclass(frozen=True)
class Pad(Chunk):
    """PAD: ``padding_length`` zero bytes (RFC 4820 §3)."""

    padding_length: int

    def value_bytes(self) -> bytes:
        return bytes(self.padding_length)

    @classmethod
    def _decode(cls, flags: int, value: bytes) -> "Pad":
        return cls(len(value))


@dataclass(frozen=True)
class UnknownChunk(Chunk):
    """A chunk type this codec does not know, kept whole; ``action`` is RFC 9260 §3.2's rule."""

    chunk_type: int
    chunk_flags: int
    value: bytes

    @property
    def type_id(self) -> int:
        return self.chunk_type

    @property
    def type(self) -> str:
        return "UNKNOWN"

    @property
    def flags(self) -> int:
        return self.chunk_flags

    @property
    def action(self) -> str:
        """``stop``, ``stop_and_report``, ``skip`` or ``skip_and_report`` from the upper two type bits."""
        return _action(self.chunk_type >> 6)

    def value_bytes(self) -> bytes:
        return bytes(self.value)


@dataclass(frozen=True)
class RawChunk(Chunk):
    """Any chunk bytes, for crafting: ``length`` overrides the length field
    (``None``: the true length) and ``padding`` the zero bytes written after
    the value (``None``: up to a multiple of 4)."""

    chunk_type: int
    chunk_flags: int
    value: bytes
    length_field: Optional[int] = None
    padding: Optional[int] = None

    @property
    def type_id(self) -> int:
        return self.chunk_type

    @property
    def type(self) -> str:
        return _CHUNKS[self.chunk_type].NAME if self.chunk_type in _CHUNKS else "UNKNOWN"

    @property
    def flags(self) -> int:
        return self.chunk_flags

    @property
    def length(self) -> int:
        return 4 + len(self.value) if self.length_field is None else self.length_field

    def value_bytes(self) -> bytes:
        return bytes(self.value)

    def to_bytes(self) -> bytes:
        return struct.pack("!BBH", self.chunk_type, self.chunk_flags, self.length) + bytes(self.value)

    def _padding(self) -> int:
        return _pad(4 + len(self.value)) if self.padding is None else self.padding


def _chunk_padding(c: Chunk) -> int:
    if isinstance(c, RawChunk):
        return c._padding()
    return _pad(c.length)


def parse_chunks(buf: Buffer) -> Tuple[Chunk, ...]:
    """The chunks encoded one after another in ``buf`` (a packet without its common header)."""
    data = bytes(buf)
    out: List[Chunk] = []
    off = 0
    while off < len(data):
        if len(data) - off < 4:
            raise WireError(f"chunk region has {len(data) - off} trailing bytes at offset {off}")
        t, flags, length = struct.unpack_from("!BBH", data, off)
        if length < 4:
            raise WireError(f"chunk of type {t} has length {length} < 4")
        if off + length > len(data):
            raise WireError(
                f"chunk of type {t} at offset {off} with length {length} runs past the end "
                f"({len(data) - off} bytes available)"
            )
        value = data[off + 4 : off + length]
        cls = _CHUNKS.get(t)
        if cls is None:
            out.append(UnknownChunk(t, flags, value))
        else:
            try:
                out.append(cls._decode(flags, value))
            except (struct.error, ValueError) as e:
                if isinstance(e, WireError):
                    raise
                raise WireError(f"{cls.NAME} chunk: {e}") from None
        off += length + _pad(length)
    return tuple(out)


@dataclass(frozen=True)
class Packet:
    """An SCTP packet: the common header (RFC 9260 §3.1) and its chunks.

    ``checksum`` is the field as received (network byte order) and is left
    out of equality; :meth:`to_bytes` chooses what to write.
    """

    src_port: int
    dst_port: int
    verification_tag: int
    chunks: Sequence[Chunk] = ()
    checksum: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.chunks, tuple):
            object.__setattr__(self, "chunks", tuple(self.chunks))

    def to_bytes(self, checksum: Union[bool, int] = True) -> bytes:
        """The datagram. ``checksum``: ``True`` the correct CRC32c, ``False``
        zero (RFC 9653), an ``int`` that value as the field reads in network
        byte order (e.g. a wrong one)."""
        body = b"".join(c.to_bytes() + bytes(_chunk_padding(c)) for c in self.chunks)
        header = struct.pack("!HHI", self.src_port, self.dst_port, self.verification_tag)
        if checksum is True:
            return _anysctp.fix_checksum(header + b"\0\0\0\0" + body)
        value = 0 if checksum is False else int(checksum)
        return header + struct.pack("!I", value) + body

    def __bytes__(self) -> bytes:
        return self.to_bytes()


def parse_packet(data: Buffer, *, verify_checksum: bool = True) -> Packet:
    """Parses a datagram. Raises :class:`WireError` when the core's codec
    rejects it (bad checksum unless ``verify_checksum=False``, broken chunk,
    parameter or cause framing, a chunk shorter than its fixed part)."""
    raw = bytes(data)
    _anysctp.check_packet_bytes(raw, verify_checksum)
    src, dst, vtag, csum = struct.unpack_from("!HHII", raw)
    return Packet(src, dst, vtag, parse_chunks(raw[12:]), csum)
