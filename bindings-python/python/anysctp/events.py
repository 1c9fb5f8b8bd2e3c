"""Events of the sans-IO :class:`anysctp.Endpoint`, and the figures of
:meth:`anysctp.Endpoint.stats`.

Events are frozen dataclasses with ``__match_args__``, so they work with
``match``::

    match event:
        case Message(assoc, stream, ppid, unordered, data): ...
        case Closed(assoc, reason, detail): ...

``association`` is the id (an ``int``) of the association the event is about.
"""

import enum
from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = [
    "AssociationState",
    "CloseReason",
    "SendFailure",
    "PeerAddressState",
    "StreamDirection",
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
    "ResetDirection",
    "Authentication",
    "AddressRequestResult",
    "Closed",
    "Unknown",
    "PathStats",
    "AssociationStats",
]

Address = Tuple[str, int]


class AssociationState(str, enum.Enum):
    """RFC 9260 §4 association states."""

    COOKIE_WAIT = "COOKIE-WAIT"
    COOKIE_ECHOED = "COOKIE-ECHOED"
    ESTABLISHED = "ESTABLISHED"
    SHUTDOWN_PENDING = "SHUTDOWN-PENDING"
    SHUTDOWN_SENT = "SHUTDOWN-SENT"
    SHUTDOWN_RECEIVED = "SHUTDOWN-RECEIVED"
    SHUTDOWN_ACK_SENT = "SHUTDOWN-ACK-SENT"
    CLOSED = "CLOSED"


class CloseReason(str, enum.Enum):
    """Why an association ended."""

    SHUTDOWN = "shutdown"
    PEER_ABORTED = "peer-aborted"
    LOCALLY_ABORTED = "locally-aborted"
    TIMEOUT = "timeout"
    SETUP_FAILED = "setup-failed"
    UNKNOWN = "unknown"


class SendFailure(str, enum.Enum):
    """Why a message was not delivered."""

    ABANDONED = "abandoned"
    ASSOCIATION_CLOSED = "association-closed"
    UNKNOWN = "unknown"


class PeerAddressState(str, enum.Enum):
    """New state of a peer address (RFC 6458 SCTP_PEER_ADDR_CHANGE)."""

    AVAILABLE = "available"
    UNREACHABLE = "unreachable"
    CONFIRMED = "confirmed"
    MADE_PRIMARY = "made-primary"
    ADDED = "added"
    REMOVED = "removed"
    POTENTIALLY_FAILED = "potentially-failed"
    UNKNOWN = "unknown"


class StreamDirection(str, enum.Enum):
    """Whose streams a :class:`StreamsReset` concerns, seen from this endpoint."""

    #: The peer's streams: their numbering restarts at 0 on our side.
    INCOMING = "incoming"
    #: Our streams (the answer to :meth:`Endpoint.reset_streams`).
    OUTGOING = "outgoing"


class ResetDirection(str, enum.Enum):
    """Which streams :meth:`Association.reset_streams` resets (RFC 6458
    ``srs_flags``)."""

    #: Ours: their numbering restarts at 0 once the peer agrees (RFC 6525 §5.1.2).
    OUTGOING = "outgoing"
    #: The peer's: we ask it to reset the streams it sends on (§5.1.3).
    INCOMING = "incoming"
    #: Both, in one request; each stream must exist in both directions.
    BOTH = "both"


class ReconfigResult(str, enum.Enum):
    """How a stream re-configuration (RFC 6525) ended."""

    SUCCESS = "success"
    #: The peer refused.
    DENIED = "denied"
    #: The peer answered with an error, or never answered.
    FAILED = "failed"


class AuthIndication(str, enum.Enum):
    """What an :class:`Authentication` event reports (RFC 6458 §6.1.8)."""

    #: The peer used this key for the first time.
    NEW_KEY = "new-key"
    #: A deactivated key is no longer used and may be deleted.
    FREE_KEY = "free-key"
    #: The peer does not support SCTP-AUTH; the association runs unauthenticated.
    NO_AUTH = "no-auth"
    UNKNOWN = "unknown"


class AddressRequestKind(str, enum.Enum):
    """Which address change of ours an :class:`AddressRequestResult` answers."""

    ADD_LOCAL = "add-local"
    REMOVE_LOCAL = "remove-local"
    SET_PEER_PRIMARY = "set-peer-primary"
    UNKNOWN = "unknown"


class AddressRequestOutcome(str, enum.Enum):
    """How the peer answered an address change (RFC 5061 ASCONF-ACK)."""

    ACCEPTED = "accepted"
    #: Refused with an error cause (``cause_code``, ``reason``).
    REFUSED = "refused"
    #: The peer does not understand such requests; no more are sent.
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Event:
    """Base class of all events."""

    association: int


@dataclass(frozen=True)
class Connected(Event):
    """The association reached ESTABLISHED."""

    __match_args__ = ("association", "outbound_streams", "inbound_streams")
    outbound_streams: int
    inbound_streams: int


@dataclass(frozen=True)
class Restarted(Event):
    """The peer restarted the association (RFC 9260 §5.2.4); data in flight was lost."""

    __match_args__ = ("association",)


@dataclass(frozen=True)
class Message(Event):
    """A whole message arrived."""

    __match_args__ = ("association", "stream", "ppid", "unordered", "data")
    stream: int
    ppid: int
    unordered: bool
    data: bytes

    def __repr__(self) -> str:
        shown = self.data[:32]
        more = "..." if len(self.data) > 32 else ""
        return (
            f"Message(association={self.association}, stream={self.stream}, ppid={self.ppid}, "
            f"unordered={self.unordered}, data={shown!r}{more} ({len(self.data)} bytes))"
        )


@dataclass(frozen=True)
class SendFailed(Event):
    """A message will not be delivered; ``data`` is the message as given."""

    __match_args__ = ("association", "stream", "ppid", "reason", "data")
    stream: int
    ppid: int
    reason: SendFailure
    data: bytes


@dataclass(frozen=True)
class RemoteError(Event):
    """The peer sent an ERROR chunk (RFC 9260 §3.3.10), rendered as text."""

    __match_args__ = ("association", "message")
    message: str


@dataclass(frozen=True)
class PeerAddressChange(Event):
    """A peer transport address changed state."""

    __match_args__ = ("association", "address", "state")
    address: Address
    state: PeerAddressState


@dataclass(frozen=True)
class ShutdownReceived(Event):
    """The peer started a graceful shutdown."""

    __match_args__ = ("association",)


@dataclass(frozen=True)
class SenderDry(Event):
    """Every message given to the association has been acknowledged."""

    __match_args__ = ("association",)


@dataclass(frozen=True)
class BufferedAmountLow(Event):
    """The bytes queued for sending fell to or below the low-water mark."""

    __match_args__ = ("association",)


@dataclass(frozen=True)
class StreamsReset(Event):
    """Streams were reset (RFC 6525). ``OUTGOING``: the answer to
    :meth:`Endpoint.reset_streams`; with ``SUCCESS`` the next message on
    each stream is numbered from 0. ``INCOMING``: the peer reset its
    streams; everything it sent before was delivered before this event.
    An empty ``streams`` means all streams."""

    __match_args__ = ("association", "direction", "streams", "result")
    direction: StreamDirection
    streams: Tuple[int, ...]
    result: ReconfigResult


@dataclass(frozen=True)
class StreamsAdded(Event):
    """Streams were added (RFC 6525 §5.1.5): the counts now in force
    (unchanged unless ``result`` is ``SUCCESS``)."""

    __match_args__ = ("association", "inbound_streams", "outbound_streams", "result")
    inbound_streams: int
    outbound_streams: int
    result: ReconfigResult


@dataclass(frozen=True)
class AssociationReset(Event):
    """Both directions' TSNs and every stream's sequence numbers were reset
    (RFC 6525 SSN/TSN Reset; RFC 6458 SCTP_ASSOC_RESET_EVENT): the answer
    to :meth:`Endpoint.reset_association`, or the peer asked and we
    performed it. ``local_tsn`` is the TSN our next DATA chunk carries,
    ``remote_tsn`` the peer's; with ``SUCCESS`` every stream's next message
    in both directions is numbered from 0, and every message the peer sent
    before was delivered before this event. Otherwise nothing was reset
    and the TSNs are the ones in force."""

    __match_args__ = ("association", "local_tsn", "remote_tsn", "result")
    local_tsn: int
    remote_tsn: int
    result: ReconfigResult


@dataclass(frozen=True)
class Authentication(Event):
    """SCTP-AUTH news (RFC 6458 §6.1.8); ``key_id`` is 0 for ``NO_AUTH``."""

    __match_args__ = ("association", "key_id", "indication")
    key_id: int
    indication: AuthIndication


@dataclass(frozen=True)
class AddressRequestResult(Event):
    """The peer answered one of our address changes (RFC 5061 ASCONF-ACK):
    ``request`` on our IP ``address``. ``cause_code`` and ``reason`` say
    why when ``outcome`` is ``REFUSED`` (else None and "")."""

    __match_args__ = ("association", "request", "address", "outcome", "cause_code", "reason")
    request: AddressRequestKind
    address: str
    outcome: AddressRequestOutcome
    cause_code: Optional[int]
    reason: str


@dataclass(frozen=True)
class Closed(Event):
    """The association ended; no more events come for it. ``detail`` holds
    the abort causes as text (empty for shutdown and timeouts)."""

    __match_args__ = ("association", "reason", "detail")
    reason: CloseReason
    detail: str


@dataclass(frozen=True)
class Unknown(Event):
    """An event this version of the Python package does not know yet."""

    __match_args__ = ("association", "description")
    description: str


@dataclass(frozen=True)
class PathStats:
    """Figures of one path (durations in seconds)."""

    address: Address
    state: str
    primary: bool
    srtt: Optional[float]
    rttvar: Optional[float]
    rto: float
    cwnd: int
    ssthresh: int
    bytes_in_flight: int
    error_count: int
    mtu: int


@dataclass(frozen=True)
class AssociationStats:
    """Figures of an association (see ``anysctp::AssociationStats``)."""

    state: str
    outbound_streams: int
    inbound_streams: int
    peer_rwnd: int
    buffered_amount: int
    bytes_in_flight: int
    retransmissions: int
    fast_retransmissions: int
    timeouts: int
    packets_sent: int
    packets_received: int
    messages_sent: int
    messages_received: int
    bytes_acked: int
    bytes_received: int
    paths: Tuple[PathStats, ...]
