"""anysctp: portable SCTP (RFC 9260) for Python.

Layers:

- :mod:`anysctp.wire` — checksums and pcap captures (packet crafting).
- :class:`Endpoint` — the sans-IO endpoint (datagrams in, datagrams out,
  timers, events), :class:`Association` handles, and :class:`Link` for tests.
- :mod:`anysctp.asyncio` and :func:`socket` — SCTP over UDP (RFC 6951).

Time in the sans-IO API is float seconds from any origin (e.g.
``time.monotonic()``), converted to the core's microseconds.
"""

import logging as _logging

from . import events, exceptions, wire
from ._sansio import Address, Association, Buffer, Endpoint, Link, pump
from ._socket import (
    SCTP_AUTOCLOSE,
    SCTP_INITMSG,
    SCTP_MAXSEG,
    SCTP_NODELAY,
    SCTP_RTOINFO,
    SO_RCVBUF,
    SO_SNDBUF,
    RecvMessage,
    Socket,
    socket,
)
from .config import AssociationConfig, AuthConfig
from .events import (
    AssociationState,
    CloseReason,
    SendFailure,
    PeerAddressState,
    StreamDirection,
    ResetDirection,
    ReconfigResult,
    AuthIndication,
    AddressRequestKind,
    AddressRequestOutcome,
    Event,
    Connected,
    Restarted,
    Message,
    SendFailed,
    RemoteError,
    PeerAddressChange,
    ShutdownReceived,
    SenderDry,
    BufferedAmountLow,
    StreamsReset,
    StreamsAdded,
    AssociationReset,
    Authentication,
    AddressRequestResult,
    Closed,
    Unknown,
    PathStats,
    AssociationStats,
)
from .exceptions import (
    Error,
    ConfigError,
    ProtocolError,
    WireError,
    AssociationClosedError,
    AssociationAbortedError,
    InvalidStateError,
    InvalidStreamError,
    MessageTooLargeError,
    EmptyMessageError,
    BufferFullError,
    WouldBlockError,
    TooManyAssociationsError,
    AddressError,
    ReconfigError,
    ReconfigUnavailableError,
    ReconfigInProgressError,
    InvalidReconfigError,
    AuthError,
    TimeoutError,
)
from . import _anysctp

__all__ = [
    "Address",
    "Association",
    "AssociationConfig",
    "AuthConfig",
    "Buffer",
    "Endpoint",
    "Link",
    "pump",
    "RecvMessage",
    "Socket",
    "socket",
    "enable_logging",
    "disable_logging",
    "events",
    "exceptions",
    "wire",
    "SCTP_UDP_PORT",
    "SCTP_AUTOCLOSE",
    "SCTP_INITMSG",
    "SCTP_MAXSEG",
    "SCTP_NODELAY",
    "SCTP_RTOINFO",
    "SO_RCVBUF",
    "SO_SNDBUF",
    "AssociationState",
    "CloseReason",
    "SendFailure",
    "PeerAddressState",
    "StreamDirection",
    "ResetDirection",
    "ReconfigResult",
    "AuthIndication",
    "AddressRequestKind",
    "AddressRequestOutcome",
    "Event",
    "Connected",
    "Restarted",
    "Message",
    "SendFailed",
    "RemoteError",
    "PeerAddressChange",
    "ShutdownReceived",
    "SenderDry",
    "BufferedAmountLow",
    "StreamsReset",
    "StreamsAdded",
    "AssociationReset",
    "Authentication",
    "AddressRequestResult",
    "Closed",
    "Unknown",
    "PathStats",
    "AssociationStats",
    "Error",
    "ConfigError",
    "ProtocolError",
    "WireError",
    "AssociationClosedError",
    "AssociationAbortedError",
    "InvalidStateError",
    "InvalidStreamError",
    "MessageTooLargeError",
    "EmptyMessageError",
    "BufferFullError",
    "WouldBlockError",
    "TooManyAssociationsError",
    "AddressError",
    "ReconfigError",
    "ReconfigUnavailableError",
    "ReconfigInProgressError",
    "InvalidReconfigError",
    "AuthError",
    "TimeoutError",
]

SCTP_UDP_PORT: int = _anysctp.SCTP_UDP_PORT


def enable_logging(level: int = _logging.DEBUG) -> None:
    """Forwards the core's tracing to the ``logging`` logger "anysctp" at
    ``level`` and above (off by default; costs nothing while off)."""
    if level <= 5:
        rank = 5
    elif level <= _logging.DEBUG:
        rank = 4
    elif level <= _logging.INFO:
        rank = 3
    elif level <= _logging.WARNING:
        rank = 2
    else:
        rank = 1
    _anysctp.set_log_level(rank)


def disable_logging() -> None:
    """Stops forwarding the core's tracing."""
    _anysctp.set_log_level(0)
