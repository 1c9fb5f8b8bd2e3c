"""The sans-IO layer: :class:`Endpoint`, :class:`Association` and :class:`Link`."""

import heapq
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _anysctp
from .config import AssociationConfig
from .events import AssociationStats, Event, ResetDirection

__all__ = ["Endpoint", "Association", "Link", "Address", "Buffer"]

Address = Tuple[str, int]
Buffer = Union[bytes, bytearray, memoryview]


def _config(config: Optional[AssociationConfig], kwargs: Dict[str, Any]) -> AssociationConfig:
    if config is not None and kwargs:
        return config.replace(**kwargs)
    if config is not None:
        return config
    return AssociationConfig(**kwargs)


class Endpoint(_anysctp.Endpoint):
    """A sans-IO SCTP endpoint: one SCTP port, many associations.

    The host loop: give it every datagram that arrives
    (:meth:`handle_datagram`), send what :meth:`poll_transmit` returns, call
    :meth:`handle_timeout` at :meth:`poll_timeout`, and read
    :meth:`poll_event`. Time is float seconds from any origin (e.g.
    ``time.monotonic()``); the core works in microseconds.

    ``port`` is the SCTP port (in the SCTP common header), not the UDP port.
    Association settings are keyword arguments (RFC 9260 defaults, see
    :class:`AssociationConfig`) or a ``config``; they apply to accepted
    associations and are the default for :meth:`connect`. ``seed`` (32
    bytes) makes every random choice reproducible; default: ``os.urandom``.
    ``local_addresses`` lists this host's IP addresses (str) announced in
    INIT / INIT ACK for multihoming; change them at run time with
    :meth:`add_local_address` / :meth:`remove_local_address` (RFC 5061
    ASCONF, sent to peers while :attr:`auto_asconf` is on).

    SCTP-AUTH keys (RFC 4895): :meth:`set_auth_key` and friends take an
    optional ``association`` id; without it they change the endpoint's keys,
    which associations created later start with.
    """

    config: AssociationConfig

    def __new__(
        cls,
        port: int = 5000,
        *,
        accept_incoming: bool = False,
        max_associations: int = 65536,
        seed: Optional[bytes] = None,
        config: Optional[AssociationConfig] = None,
        local_addresses: Sequence[str] = (),
        **settings: Any,
    ) -> "Endpoint":
        cfg = _config(config, settings)
        self = super().__new__(
            cls,
            port,
            accept_incoming,
            max_associations,
            seed if seed is not None else os.urandom(32),
            cfg,
            list(local_addresses),
        )
        self.config = cfg
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def connect(  # type: ignore[override]
        self,
        now: float,
        remote: Union[Address, Sequence[Address]],
        remote_port: int = 5000,
        *,
        config: Optional[AssociationConfig] = None,
        **settings: Any,
    ) -> "Association":
        """Starts an association to ``remote`` (one ``(ip, port)`` transport
        address, or several for multihoming, the first primary) whose SCTP
        port is ``remote_port``. Returns its handle at once; a
        :class:`~anysctp.events.Connected` event follows."""
        cfg = _config(config if config is not None else self.config, settings)
        remotes: List[Address]
        if isinstance(remote, tuple) and len(remote) in (2, 4) and isinstance(remote[0], str):
            remotes = [remote]
        else:
            remotes = list(remote)  # type: ignore[arg-type]
        return Association(self, super().connect(now, remotes, remote_port, cfg))

    def association(self, association: int) -> "Association":
        """The handle of an association by id (e.g. from an event)."""
        return Association(self, association)


class Association:
    """A handle on one association of an :class:`Endpoint` (the one-to-one view)."""

    __slots__ = ("endpoint", "id")

    def __init__(self, endpoint: Endpoint, association: int) -> None:
        self.endpoint = endpoint
        self.id = association

    def __repr__(self) -> str:
        return f"<Association {self.id} {self.state or 'CLOSED'}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Association) and other.endpoint is self.endpoint and other.id == self.id

    def __hash__(self) -> int:
        return hash((id(self.endpoint), self.id))

    def send(
        self,
        now: float,
        data: Buffer,
        *,
        stream: int = 0,
        ppid: int = 0,
        unordered: bool = False,
        lifetime: Optional[float] = None,
        max_retransmits: Optional[int] = None,
    ) -> None:
        """Queues one message. Raises :class:`BufferFullError` when the send
        buffer is full, :class:`AssociationClosedError` once closed."""
        self.endpoint.send(now, self.id, stream, data, ppid, unordered, lifetime, max_retransmits)

    def shutdown(self, now: float) -> None:
        """Graceful shutdown (RFC 9260 §9.2): queued data is delivered first."""
        self.endpoint.shutdown(now, self.id)

    def abort(self, now: float, reason: str = "") -> None:
        """Ends the association at once with ABORT (RFC 9260 §9.1)."""
        self.endpoint.abort(now, self.id, reason)

    def stats(self) -> Optional[AssociationStats]:
        """Figures of the association, or None once it is gone."""
        return self.endpoint.stats(self.id)

    @property
    def state(self) -> Optional[str]:
        """RFC 9260 state name, or None once the association is gone."""
        return self.endpoint.state(self.id)

    @property
    def buffered_amount(self) -> int:
        """Bytes queued and not yet sent (0 once gone)."""
        return self.endpoint.buffered_amount(self.id) or 0

    def set_buffered_amount_low_threshold(self, threshold: int) -> None:
        """Sets the level at or below which BufferedAmountLow fires."""
        self.endpoint.set_buffered_amount_low_threshold(self.id, threshold)

    @property
    def peer_addresses(self) -> List[Address]:
        """The peer's transport addresses."""
        return self.endpoint.peer_addresses(self.id) or []

    def reset_streams(
        self, now: float, streams: Sequence[int], *, direction: Union[ResetDirection, str] = ResetDirection.OUTGOING
    ) -> None:
        """Resets ``streams`` (RFC 6525). ``direction`` ``OUTGOING`` (the
        default): ours, their numbering restarts at 0 once the peer agrees;
        ``INCOMING``: we ask the peer to reset the streams it sends on (an
        empty list: all of them); ``BOTH``: both in one request. A
        :class:`~anysctp.events.StreamsReset` event per direction brings
        the answer. Raises :class:`ReconfigUnavailableError` without
        RE-CONFIG, :class:`ReconfigInProgressError` while a request is
        unanswered, ``ValueError`` for an unknown ``direction``."""
        self.endpoint.reset_streams(now, self.id, list(streams), ResetDirection(direction).value)

    def reset_association(self, now: float) -> None:
        """Resets both directions' TSNs and every stream's sequence numbers
        (RFC 6525 SSN/TSN Reset). Messages sent from now on wait until
        everything sent before was acknowledged and the peer answered; an
        :class:`~anysctp.events.AssociationReset` event brings the answer
        (the peer accepts only with ``accept_ssn_tsn_reset=True`` in its
        policy). Raises as :meth:`reset_streams`."""
        self.endpoint.reset_association(now, self.id)

    def add_streams(self, now: float, count: int, *, incoming: int = 0) -> None:
        """Adds ``count`` outbound streams and ``incoming`` inbound ones
        (RFC 6525; the peer adds those on its side); a
        :class:`~anysctp.events.StreamsAdded` event per direction brings
        the answer. :class:`InvalidReconfigError` when both are 0."""
        self.endpoint.add_streams(now, self.id, count, incoming)

    def set_reconfig_policy(
        self,
        *,
        accept_stream_reset: bool = True,
        accept_add_streams: bool = True,
        max_outbound_streams: int = 65535,
        accept_ssn_tsn_reset: bool = False,
    ) -> None:
        """Which re-configuration requests of the peer are accepted from now
        on. ``accept_ssn_tsn_reset``: let the peer reset the association's
        TSNs (off by default, as in usrsctp)."""
        self.endpoint.set_reconfig_policy(
            self.id, accept_stream_reset, accept_add_streams, max_outbound_streams, accept_ssn_tsn_reset
        )

    def set_peer_primary(self, now: float, address: str) -> None:
        """Asks the peer to send to our IP ``address`` by preference (RFC
        5061); an :class:`~anysctp.events.AddressRequestResult` event
        brings the answer."""
        self.endpoint.set_peer_primary(now, self.id, address)

    @property
    def peer_auth_chunks(self) -> List[int]:
        """Chunk types the peer wants authenticated (SCTP-AUTH; empty without it)."""
        return self.endpoint.peer_auth_chunks(self.id)

    @property
    def local_auth_chunks(self) -> List[int]:
        """Chunk types we accept only authenticated (SCTP-AUTH; empty without it)."""
        return self.endpoint.local_auth_chunks(self.id)


Filter = Callable[[str, bytes], Optional[bytes]]


class Link:
    """Two endpoints joined by a simulated wire in virtual time, for tests.

    ``a`` is reachable at ``a_address`` and ``b`` at ``b_address``. Every
    datagram passes ``filter(direction, datagram)`` (``direction`` is
    ``"a>b"`` or ``"b>a"``), which returns the datagram, a changed one, or
    None to drop it. Datagrams arrive ``delay`` seconds after they are sent.
    :meth:`run` moves datagrams and fires timers, jumping the clock when
    nothing else can happen; events are collected in :attr:`events_a` and
    :attr:`events_b`.
    """

    def __init__(
        self,
        a: Endpoint,
        b: Endpoint,
        *,
        a_address: Address = ("10.0.0.1", 9899),
        b_address: Address = ("10.0.0.2", 9899),
        filter: Optional[Filter] = None,
        delay: float = 0.0,
        start: float = 1.0,
    ) -> None:
        self.a, self.b = a, b
        self.a_address, self.b_address = a_address, b_address
        self.filter = filter
        self.delay = delay
        self.now = start
        self.events_a: List[Event] = []
        self.events_b: List[Event] = []
        self.delivered = 0
        self.dropped = 0
        self._queue: List[Tuple[float, int, int, bytes]] = []
        self._seq = 0

    def _collect(self) -> None:
        for side, ep in ((0, self.a), (1, self.b)):
            for dest, data in ep.poll_transmit_all(self.now):
                target = self.b_address if side == 0 else self.a_address
                if dest[0] != target[0] or dest[1] != target[1]:
                    self.dropped += 1
                    continue
                out: Optional[bytes] = data
                if self.filter is not None:
                    out = self.filter("a>b" if side == 0 else "b>a", data)
                if out is None:
                    self.dropped += 1
                    continue
                self._seq += 1
                heapq.heappush(self._queue, (self.now + self.delay, self._seq, 1 - side, bytes(out)))
            events = ep.poll_events()
            if events:
                (self.events_a if side == 0 else self.events_b).extend(events)

    def _next_timer(self) -> Optional[float]:
        ts = [t for t in (self.a.poll_timeout(), self.b.poll_timeout()) if t is not None]
        return min(ts) if ts else None

    def step(self) -> bool:
        """Does the next thing (deliver a datagram or fire timers); False when nothing is left."""
        self._collect()
        timer = self._next_timer()
        if self._queue and (timer is None or self._queue[0][0] <= timer):
            at, _, to, data = heapq.heappop(self._queue)
            self.now = max(self.now, at)
            if to == 1:
                self.b.handle_datagram(self.now, self.a_address, data)
            else:
                self.a.handle_datagram(self.now, self.b_address, data)
            self.delivered += 1
        elif timer is not None:
            self.now = max(self.now, timer)
            self.a.handle_timeout(self.now)
            self.b.handle_timeout(self.now)
        else:
            return False
        self._collect()
        return True

    def run(self, until: Optional[Callable[[], bool]] = None, *, timeout: float = 60.0) -> bool:
        """Steps until ``until()`` is true (returns True), or until nothing
        is left or ``timeout`` seconds of virtual time pass (returns False)."""
        deadline = self.now + timeout
        while self.now <= deadline:
            if until is not None and until():
                return True
            if not self.step():
                return until() if until is not None else True
        return False

    def pending(self) -> Iterable[Tuple[float, str, bytes]]:
        """Datagrams on the wire: ``(arrival time, direction, bytes)``."""
        return [(at, "a>b" if to == 1 else "b>a", data) for at, _, to, data in sorted(self._queue)]


def pump(a: Endpoint, b: Endpoint, now: float, a_address: Address, b_address: Address, max_rounds: int = 64) -> int:
    """Moves datagrams between two endpoints in memory until neither has
    more to send (at most ``max_rounds`` exchanges), entirely in Rust with
    the GIL released: what ``a`` sends arrives at ``b`` from ``a_address``
    and vice versa. Returns how many datagrams moved. A perfect wire for
    benchmarks and tests in one process; use :class:`Link` for delays,
    loss and inspection."""
    return _anysctp.pump(a, b, now, a_address, b_address, max_rounds)
