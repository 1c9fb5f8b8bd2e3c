"""Association settings with RFC 9260 §16 defaults. Durations are float seconds."""

from dataclasses import dataclass, fields, replace
from typing import Any, Optional, Tuple

__all__ = ["AssociationConfig", "AuthConfig"]


@dataclass(frozen=True)
class AuthConfig:
    """SCTP-AUTH settings (RFC 4895) of :attr:`AssociationConfig.auth`.

    ``chunks``: chunk types accepted only when authenticated (e.g. ``(0,)``
    for DATA; INIT 1, INIT ACK 2, SHUTDOWN COMPLETE 14 and AUTH 15 may not
    be listed). ``hmac_algorithms``: ``"sha256"`` / ``"sha1"``, most
    preferred first; must include ``"sha1"`` (RFC 4895 §6.1).
    """

    chunks: Tuple[int, ...] = ()
    hmac_algorithms: Tuple[str, ...] = ("sha256", "sha1")


@dataclass(frozen=True)
class AssociationConfig:
    """Settings of one association (see ``anysctp::AssociationConfig``).

    Every field is a keyword argument; unknown keywords raise ``TypeError``.
    Values are checked by the core when the config is used (an endpoint is
    created or ``connect`` is called): out-of-range values raise
    :class:`anysctp.ConfigError` naming the field.
    """

    outbound_streams: int = 10
    max_inbound_streams: int = 65535
    rto_initial: float = 1.0
    rto_min: float = 1.0
    rto_max: float = 60.0
    max_init_retransmits: int = 8
    #: Upper limit of the INIT / COOKIE ECHO retransmission timeout, seconds
    #: (SCTP_INITMSG ``sinit_max_init_timeo``); ``None`` uses ``rto_max``.
    max_init_timeout: Optional[float] = None
    max_association_retransmits: int = 10
    max_path_retransmits: int = 5
    #: SCTP-PF (RFC 7829): a path is left as soon as its error counter
    #: exceeds this (0: on the first timeout); ``None`` turns SCTP-PF off.
    pf_max_retrans: Optional[int] = 0
    heartbeat_interval: Optional[float] = 30.0
    sack_delay: float = 0.2
    sack_frequency: int = 2
    mtu: int = 1200
    max_message_size: int = 256 * 1024
    receive_buffer: int = 1024 * 1024
    send_buffer: int = 4 * 1024 * 1024
    nodelay: bool = False
    max_burst: int = 4
    cookie_lifetime: float = 60.0
    i_data: bool = False
    partial_reliability: bool = True
    reconfig: bool = True
    #: Offer dynamic address reconfiguration (ASCONF, RFC 5061).
    asconf: bool = True
    #: SCTP-AUTH (RFC 4895): ``None`` neither offers nor accepts it.
    auth: Optional[AuthConfig] = None
    zero_checksum: bool = False
    adaptation_indication: Optional[int] = None
    autoclose: Optional[float] = None

    def replace(self, **changes: Any) -> "AssociationConfig":
        """A copy with some fields changed."""
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> "frozenset[str]":
        """Names of all settings."""
        return frozenset(f.name for f in fields(cls))
