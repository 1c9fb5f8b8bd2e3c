"""The exceptions anysctp raises. Every one derives from :class:`Error`.

The native core's errors map as follows (``anysctp::Error`` variant →
exception): InvalidConfig → :class:`ConfigError`, NoSuchAssociation →
:class:`AssociationClosedError`, InvalidState → :class:`InvalidStateError`,
InvalidStream → :class:`InvalidStreamError`, MessageTooLarge →
:class:`MessageTooLargeError`, EmptyMessage → :class:`EmptyMessageError`,
WouldBlock → :class:`BufferFullError` (alias :data:`WouldBlockError`),
TooManyAssociations → :class:`TooManyAssociationsError`, InvalidAddress →
:class:`AddressError`, ReconfigUnavailable →
:class:`ReconfigUnavailableError`, ReconfigInProgress →
:class:`ReconfigInProgressError`, InvalidReconfig →
:class:`InvalidReconfigError` (all three are :class:`ReconfigError`), Auth
→ :class:`AuthError`. Wire and capture parse errors raise
:class:`ProtocolError`.
"""

import builtins

__all__ = [
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


class Error(Exception):
    """Base class of every anysctp error."""


class ConfigError(Error, ValueError):
    """A configuration value is out of range; the message names it."""


class ProtocolError(Error):
    """Bytes are not a valid SCTP packet, chunk or capture (or the peer broke the protocol)."""


class WireError(ProtocolError):
    """Bytes that are not a well-formed SCTP packet, chunk, parameter or cause
    (raised by :mod:`anysctp.wire`; the message says what and where)."""


class AssociationClosedError(Error):
    """The association is closed (or never existed); open a new one."""


class AssociationAbortedError(AssociationClosedError):
    """The association ended by an ABORT (from the peer or from us)."""


class InvalidStateError(Error):
    """The association cannot take this command in its current state."""


class InvalidStreamError(Error, ValueError):
    """The stream id is not below the negotiated number of outbound streams."""


class MessageTooLargeError(Error, ValueError):
    """The message exceeds max_message_size: split it or raise the limit."""


class EmptyMessageError(Error, ValueError):
    """SCTP user messages need at least one byte."""


class BufferFullError(Error, BlockingIOError):
    """The send buffer is full: wait for BufferedAmountLow (the asyncio API waits for you)."""


WouldBlockError = BufferFullError


class TooManyAssociationsError(Error):
    """The endpoint holds its configured maximum of associations."""


class AddressError(Error, ValueError):
    """An address argument is unusable."""


class ReconfigError(Error):
    """A stream re-configuration (RFC 6525) command cannot be done as asked."""


class ReconfigUnavailableError(ReconfigError):
    """RE-CONFIG was not negotiated on this association (set ``reconfig`` on both sides)."""


class ReconfigInProgressError(ReconfigError):
    """A previous re-configuration request is unanswered: wait for its event, then retry."""


class InvalidReconfigError(ReconfigError, ValueError):
    """The re-configuration request is malformed (e.g. an empty stream list)."""


class AuthError(Error, ValueError):
    """An SCTP-AUTH (RFC 4895) key command cannot be done as asked."""


class TimeoutError(Error, builtins.TimeoutError):
    """An operation timed out, or the association ended because the peer stopped answering."""
