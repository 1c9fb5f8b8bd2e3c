"""asyncio API: SCTP over UDP (RFC 6951) driven by an asyncio DatagramProtocol.

::

    async with await anysctp.asyncio.connect("127.0.0.1", 9899) as assoc:
        await assoc.send(b"hello", stream=0, ppid=51)
        async for message in assoc:
            print(message.stream, message.data)

``connect`` and ``serve`` take the association settings of
:class:`anysctp.AssociationConfig` as keyword arguments.
"""

import asyncio
import os
import socket as _socket
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import exceptions
from ._sansio import Address, Buffer, Endpoint
from .config import AssociationConfig
from .events import (
    AssociationReset,
    AssociationStats,
    BufferedAmountLow,
    Closed,
    CloseReason,
    Connected,
    Event,
    Message,
    ResetDirection,
    StreamDirection,
    StreamsReset,
)

__all__ = ["connect", "serve", "Association", "Server", "DEFAULT_UDP_PORT"]

DEFAULT_UDP_PORT = 9899
"""The UDP port of SCTP over UDP (RFC 6951 §5)."""


async def _resolve(host: str, port: int, family: int = 0) -> Tuple[int, Address]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, family=family, type=_socket.SOCK_DGRAM)
    if not infos:
        raise exceptions.AddressError(f"cannot resolve {host!r}")
    fam, _, _, _, sockaddr = infos[0]
    return fam, (str(sockaddr[0]), int(sockaddr[1]))


def _close_error(reason: CloseReason, detail: str) -> exceptions.Error:
    if reason in (CloseReason.PEER_ABORTED, CloseReason.LOCALLY_ABORTED):
        return exceptions.AssociationAbortedError(f"association aborted ({reason.value}): {detail}")
    if reason in (CloseReason.TIMEOUT, CloseReason.SETUP_FAILED):
        return exceptions.TimeoutError(f"association closed: {reason.value} (the peer stopped answering)")
    return exceptions.AssociationClosedError("association closed by shutdown")


class _Driver(asyncio.DatagramProtocol):
    """Moves datagrams between a UDP socket and the sans-IO endpoint, runs its timer, dispatches events."""

    def __init__(self, endpoint: Endpoint, on_new: Optional[Callable[["Association"], None]] = None) -> None:
        self.endpoint = endpoint
        self.loop = asyncio.get_running_loop()
        self.transport: Optional[asyncio.DatagramTransport] = None
        self.associations: Dict[int, "Association"] = {}
        self.on_new = on_new
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_at: Optional[float] = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.endpoint.handle_datagram(self.loop.time(), (addr[0], addr[1]), data)
        self.pump()

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (e.g. port unreachable) are not fatal for SCTP: the
        # retransmission timers decide (RFC 9260 §8).
        pass

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()

    def pump(self) -> None:
        if self.closed:
            return
        now = self.loop.time()
        transport = self.transport
        if transport is not None:
            for dest, data in self.endpoint.poll_transmit_all(now):
                transport.sendto(data, dest)
        for event in self.endpoint.poll_events():
            self._dispatch(event)
        self._arm()

    def _dispatch(self, event: Event) -> None:
        assoc = self.associations.get(event.association)
        if assoc is None:
            if not isinstance(event, Connected) or self.on_new is None:
                return
            assoc = Association(self, event.association)
            self.associations[event.association] = assoc
            assoc._on_event(event)
            self.on_new(assoc)
            return
        assoc._on_event(event)
        if isinstance(event, Closed):
            del self.associations[event.association]

    def _arm(self) -> None:
        at = self.endpoint.poll_timeout()
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at is not None:
            self._timer = self.loop.call_at(at, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        self.endpoint.handle_timeout(self.loop.time())
        self.pump()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()


class Association:
    """One association, usable with ``async with`` and ``async for``.

    ``async for message in association`` yields :class:`anysctp.events.Message`
    until the association closes (ending quietly on graceful shutdown,
    raising :class:`AssociationAbortedError` or :class:`TimeoutError` otherwise).
    """

    def __init__(self, driver: _Driver, association: int) -> None:
        self._driver = driver
        self.id = association
        self._messages: "asyncio.Queue[Union[Message, Closed]]" = asyncio.Queue()
        self._connected: "asyncio.Future[Connected]" = driver.loop.create_future()
        self._closed: "asyncio.Future[Closed]" = driver.loop.create_future()
        self._writable = asyncio.Event()
        self._writable.set()
        self.outbound_streams = 0
        self.inbound_streams = 0
        self._own_driver = False
        self._reset: "Optional[asyncio.Future[StreamsReset]]" = None
        self._assoc_reset: "Optional[asyncio.Future[AssociationReset]]" = None
        self._reset_incoming = False

    def __repr__(self) -> str:
        return f"<anysctp.asyncio.Association {self.id} {self.state or 'CLOSED'}>"

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Message):
            self._messages.put_nowait(event)
        elif isinstance(event, Connected):
            self.outbound_streams = event.outbound_streams
            self.inbound_streams = event.inbound_streams
            if not self._connected.done():
                self._connected.set_result(event)
        elif isinstance(event, BufferedAmountLow):
            self._writable.set()
        elif isinstance(event, StreamsReset) and event.direction is StreamDirection.OUTGOING:
            if self._reset is not None and not self._reset.done():
                self._reset.set_result(event)
        elif isinstance(event, StreamsReset) and event.direction is StreamDirection.INCOMING:
            # The answer to an incoming-only reset we asked for.
            if self._reset is not None and not self._reset.done() and self._reset_incoming:
                self._reset.set_result(event)
        elif isinstance(event, AssociationReset):
            if self._assoc_reset is not None and not self._assoc_reset.done():
                self._assoc_reset.set_result(event)
        elif isinstance(event, Closed):
            for pending in (self._reset, self._assoc_reset):
                if pending is not None and not pending.done():
                    pending.set_exception(_close_error(event.reason, event.detail))
            if not self._connected.done():
                self._connected.set_exception(_close_error(event.reason, event.detail))
            if not self._closed.done():
                self._closed.set_result(event)
            self._messages.put_nowait(event)
            self._writable.set()
            if self._own_driver:
                self._driver.close()

    @property
    def state(self) -> Optional[str]:
        """RFC 9260 state name, or None once closed."""
        return self._driver.endpoint.state(self.id)

    @property
    def buffered_amount(self) -> int:
        """Bytes queued and not yet sent."""
        return self._driver.endpoint.buffered_amount(self.id) or 0

    @property
    def peer_addresses(self) -> List[Address]:
        """The peer's transport addresses."""
        return self._driver.endpoint.peer_addresses(self.id) or []

    def stats(self) -> Optional[AssociationStats]:
        """Figures of the association, or None once closed."""
        return self._driver.endpoint.stats(self.id)

    async def wait_connected(self) -> None:
        """Waits until the association is established."""
        await asyncio.shield(self._connected)

    async def send(
        self,
        data: Buffer,
        *,
        stream: int = 0,
        ppid: int = 0,
        unordered: bool = False,
        lifetime: Optional[float] = None,
        max_retransmits: Optional[int] = None,
    ) -> None:
        """Queues a message, waiting (back-pressure) while the send buffer is full."""
        ep = self._driver.endpoint
        while True:
            if self._closed.done():
                closed = self._closed.result()
                raise _close_error(closed.reason, closed.detail)
            try:
                ep.send(self._driver.loop.time(), self.id, stream, data, ppid, unordered, lifetime, max_retransmits)
            except exceptions.BufferFullError:
                buffered = ep.buffered_amount(self.id) or 0
                if buffered == 0:
                    raise
                # Wake when enough has drained for this message; the level is
                # below the current amount so the crossing is sure to come
                # (BufferedAmountLow fires once per downward crossing).
                threshold = max(0, min(ep.config.send_buffer - len(data), buffered - 1))
                self._writable.clear()
                ep.set_buffered_amount_low_threshold(self.id, threshold)
                self._driver.pump()
                await self._writable.wait()
                continue
            self._driver.pump()
            return

    async def reset_streams(
        self, streams: Sequence[int], *, direction: Union[ResetDirection, str] = ResetDirection.OUTGOING
    ) -> StreamsReset:
        """Resets our outgoing ``streams`` (RFC 6525; how a WebRTC data
        channel closes) and returns the peer's answer, a
        :class:`~anysctp.events.StreamsReset` whose ``result`` says whether
        their numbering restarted at 0. Messages sent meanwhile wait for the
        answer. ``direction=INCOMING`` asks the peer to reset its streams
        instead (the answer: the ``INCOMING`` event); ``BOTH`` does both and
        returns the answer for ours. Raises
        :class:`ReconfigUnavailableError` without RE-CONFIG,
        :class:`ReconfigInProgressError` while another request is unanswered."""
        if self._closed.done():
            closed = self._closed.result()
            raise _close_error(closed.reason, closed.detail)
        direction = ResetDirection(direction)
        self._driver.endpoint.reset_streams(self._driver.loop.time(), self.id, list(streams), direction.value)
        self._reset = self._driver.loop.create_future()
        self._reset_incoming = direction is ResetDirection.INCOMING
        self._driver.pump()
        return await self._reset

    async def reset_association(self) -> AssociationReset:
        """Resets both directions' TSNs and every stream's sequence numbers
        (RFC 6525 SSN/TSN Reset) and returns the peer's answer, an
        :class:`~anysctp.events.AssociationReset`. Messages sent meanwhile
        wait for the answer; nothing sent before is lost. Raises as
        :meth:`reset_streams`."""
        if self._closed.done():
            closed = self._closed.result()
            raise _close_error(closed.reason, closed.detail)
        self._driver.endpoint.reset_association(self._driver.loop.time(), self.id)
        self._assoc_reset = self._driver.loop.create_future()
        self._driver.pump()
        return await self._assoc_reset

    async def recv(self) -> Message:
        """The next message. Raises once the association has closed and every message was read."""
        item = await self._messages.get()
        if isinstance(item, Closed):
            self._messages.put_nowait(item)  # later calls raise too
            raise _close_error(item.reason, item.detail)
        return item

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Message]:
        while True:
            item = await self._messages.get()
            if isinstance(item, Closed):
                self._messages.put_nowait(item)
                if item.reason == CloseReason.SHUTDOWN:
                    return
                raise _close_error(item.reason, item.detail)
            yield item

    async def close(self, timeout: Optional[float] = 10.0) -> None:
        """Graceful shutdown: queued data is delivered, then the association closes."""
        if not self._closed.done():
            try:
                self._driver.endpoint.shutdown(self._driver.loop.time(), self.id)
            except exceptions.AssociationClosedError:
                pass
            self._driver.pump()
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), timeout)
            except asyncio.TimeoutError:
                self.abort("shutdown timed out")
        if self._own_driver:
            self._driver.close()

    def abort(self, reason: str = "") -> None:
        """Ends the association at once with ABORT."""
        if not self._closed.done():
            try:
                self._driver.endpoint.abort(self._driver.loop.time(), self.id, reason)
            except exceptions.AssociationClosedError:
                pass
            self._driver.pump()
        if self._own_driver:
            self._driver.close()

    async def wait_closed(self) -> Closed:
        """Waits until the association has closed; returns the Closed event."""
        return await asyncio.shield(self._closed)

    async def __aenter__(self) -> "Association":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def connect(
    host: str,
    port: int = DEFAULT_UDP_PORT,
    *,
    sctp_port: int = 5000,
    local_sctp_port: int = 5000,
    local_addr: Optional[Tuple[str, int]] = None,
    timeout: Optional[float] = 30.0,
    seed: Optional[bytes] = None,
    config: Optional[AssociationConfig] = None,
    **settings: Any,
) -> Association:
    """Opens an association to the SCTP-over-UDP peer at ``host``:``port``
    (UDP) whose SCTP port is ``sctp_port``; returns when it is established.
    Settings are :class:`AssociationConfig` keywords."""
    loop = asyncio.get_running_loop()
    family, remote = await _resolve(host, port)
    endpoint = Endpoint(local_sctp_port, seed=seed if seed is not None else os.urandom(32), config=config, **settings)
    if local_addr is None:
        local_addr = ("::", 0) if family == _socket.AF_INET6 else ("0.0.0.0", 0)
    _, driver = await loop.create_datagram_endpoint(lambda: _Driver(endpoint), local_addr=local_addr)
    try:
        handle = endpoint.connect(loop.time(), remote, sctp_port)
        assoc = Association(driver, handle.id)
        assoc._own_driver = True
        driver.associations[handle.id] = assoc
        driver.pump()
        await asyncio.wait_for(assoc.wait_connected(), timeout)
        return assoc
    except asyncio.TimeoutError:
        driver.close()
        raise exceptions.TimeoutError(f"no association with {host}:{port} within {timeout} s") from None
    except BaseException:
        driver.close()
        raise


Handler = Callable[[Association], Awaitable[None]]


class Server:
    """A listening endpoint; returned by :func:`serve`. Use ``async with`` or :meth:`close`."""

    def __init__(self, driver: _Driver, handler: Handler) -> None:
        self._driver = driver
        self._handler = handler
        self._tasks: "set[asyncio.Task[None]]" = set()

    @property
    def address(self) -> Address:
        """The local UDP address."""
        assert self._driver.transport is not None
        addr = self._driver.transport.get_extra_info("sockname")
        return (str(addr[0]), int(addr[1]))

    @property
    def associations(self) -> List[Association]:
        """The associations currently open."""
        return list(self._driver.associations.values())

    def _accept(self, assoc: Association) -> None:
        task = self._driver.loop.create_task(self._run(assoc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, assoc: Association) -> None:
        try:
            await self._handler(assoc)
        finally:
            if not assoc._closed.done():
                await assoc.close()

    def close(self) -> None:
        """Aborts every association and closes the UDP socket."""
        for assoc in list(self._driver.associations.values()):
            assoc.abort("server closing")
        for task in self._tasks:
            task.cancel()
        self._driver.close()

    async def wait_closed(self) -> None:
        """Waits until the handlers have finished after :meth:`close`."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()


async def serve(
    handler: Handler,
    host: str = "0.0.0.0",
    port: int = DEFAULT_UDP_PORT,
    *,
    sctp_port: int = 5000,
    max_associations: int = 65536,
    seed: Optional[bytes] = None,
    config: Optional[AssociationConfig] = None,
    **settings: Any,
) -> Server:
    """Accepts associations on UDP ``host``:``port``, SCTP port ``sctp_port``;
    runs ``await handler(association)`` for each. Settings are
    :class:`AssociationConfig` keywords."""
    loop = asyncio.get_running_loop()
    _, local = await _resolve(host, port)
    endpoint = Endpoint(
        sctp_port,
        accept_incoming=True,
        max_associations=max_associations,
        seed=seed if seed is not None else os.urandom(32),
        config=config,
        **settings,
    )
    server_ref: List[Server] = []
    _, driver = await loop.create_datagram_endpoint(
        lambda: _Driver(endpoint, on_new=lambda a: server_ref[0]._accept(a)), local_addr=local
    )
    server = Server(driver, handler)
    server_ref.append(server)
    return server
