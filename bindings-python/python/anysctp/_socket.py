"""A blocking, socket-like API (one-to-one style, RFC 6458 flavour) over
SCTP over UDP (RFC 6951).

Each socket's I/O runs on one shared background thread with an asyncio loop
(the :mod:`anysctp.asyncio` layer); the blocking calls wait on it.
"""

import asyncio
import threading
from typing import Any, Coroutine, Dict, List, NamedTuple, Optional, Tuple, TypeVar

from . import asyncio as aio
from . import exceptions
from ._sansio import Address, Buffer

__all__ = [
    "Socket",
    "socket",
    "RecvMessage",
    "SCTP_NODELAY",
    "SCTP_INITMSG",
    "SCTP_MAXSEG",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "SCTP_RTOINFO",
    "SCTP_AUTOCLOSE",
]

T = TypeVar("T")

# Option names (level is ignored: there is one SCTP level here).
SCTP_NODELAY = "SCTP_NODELAY"
"""bool: send without bundling delay."""
SCTP_INITMSG = "SCTP_INITMSG"
"""(outbound_streams, max_inbound_streams, max_init_retransmits)."""
SCTP_MAXSEG = "SCTP_MAXSEG"
"""int: the path MTU assumed (SCTP packet size)."""
SO_SNDBUF = "SO_SNDBUF"
"""int: send buffer, bytes."""
SO_RCVBUF = "SO_RCVBUF"
"""int: receive buffer (a_rwnd), bytes."""
SCTP_RTOINFO = "SCTP_RTOINFO"
"""(rto_initial, rto_min, rto_max) in seconds."""
SCTP_AUTOCLOSE = "SCTP_AUTOCLOSE"
"""float seconds or None."""

_OPTIONS = {
    SCTP_NODELAY: ("nodelay",),
    SCTP_INITMSG: ("outbound_streams", "max_inbound_streams", "max_init_retransmits"),
    SCTP_MAXSEG: ("mtu",),
    SO_SNDBUF: ("send_buffer",),
    SO_RCVBUF: ("receive_buffer",),
    SCTP_RTOINFO: ("rto_initial", "rto_min", "rto_max"),
    SCTP_AUTOCLOSE: ("autoclose",),
}


class RecvMessage(NamedTuple):
    """A message from :meth:`Socket.recvmsg`."""

    data: bytes
    stream: int
    ppid: int
    unordered: bool


class _LoopThread:
    lock = threading.Lock()
    loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls.lock:
            if cls.loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="anysctp-io", daemon=True).start()
                cls.loop = loop
            return cls.loop


class Socket:
    """A blocking SCTP socket over UDP. Create with :func:`socket`.

    Addresses are the UDP transport addresses ``(host, port)``; the SCTP
    port (common header) is ``sctp_port`` (default 5000) on both sides.
    """

    def __init__(self, *, sctp_port: int = 5000, **settings: Any) -> None:
        self._loop = _LoopThread.get()
        self._settings: Dict[str, Any] = dict(settings)
        self._sctp_port = sctp_port
        self._timeout: Optional[float] = None
        self._bound: Optional[Address] = None
        self._assoc: Optional[aio.Association] = None
        self._server: Optional[aio.Server] = None
        self._backlog: "Optional[asyncio.Queue[aio.Association]]" = None
        self._closed = False

    def _run(self, coro: "Coroutine[Any, Any, T]", timeout: Optional[float] = None) -> T:
        if self._closed:
            coro.close()
            raise exceptions.AssociationClosedError("socket is closed")
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        t = self._timeout if timeout is None else timeout
        try:
            return fut.result(t)
        except TimeoutError as e:
            if isinstance(e, exceptions.Error):
                raise
            fut.cancel()
            raise exceptions.TimeoutError(f"timed out after {t} s") from None

    # configuration
    def settimeout(self, timeout: Optional[float]) -> None:
        """Timeout of blocking calls in seconds; None blocks forever."""
        self._timeout = timeout

    def gettimeout(self) -> Optional[float]:
        """The timeout of blocking calls."""
        return self._timeout

    def setsockopt(self, option: str, value: Any) -> None:
        """Sets an option (SCTP_NODELAY, SCTP_INITMSG, SCTP_MAXSEG, SO_SNDBUF,
        SO_RCVBUF, SCTP_RTOINFO, SCTP_AUTOCLOSE) for associations set up later."""
        names = _OPTIONS.get(option)
        if names is None:
            raise exceptions.ConfigError(f"unknown option {option!r}; known: {', '.join(_OPTIONS)}")
        values = tuple(value) if len(names) > 1 else (value,)
        if len(values) != len(names):
            raise exceptions.ConfigError(f"{option} takes {len(names)} values: {', '.join(names)}")
        for name, v in zip(names, values):
            self._settings[name] = v

    def getsockopt(self, option: str) -> Any:
        """An option's value."""
        from .config import AssociationConfig

        names = _OPTIONS.get(option)
        if names is None:
            raise exceptions.ConfigError(f"unknown option {option!r}; known: {', '.join(_OPTIONS)}")
        cfg = AssociationConfig(**self._settings)
        values = tuple(getattr(cfg, n) for n in names)
        return values if len(values) > 1 else values[0]

    # setup
    def bind(self, address: Address) -> None:
        """Chooses the local UDP address."""
        self._bound = (address[0], address[1])

    def listen(self, backlog: int = 128) -> None:
        """Starts accepting associations on the bound address."""
        if self._bound is None:
            raise exceptions.InvalidStateError("bind() before listen()")
        bound = self._bound

        async def start() -> None:
            queue: "asyncio.Queue[aio.Association]" = asyncio.Queue(backlog)
            self._backlog = queue

            async def handler(assoc: aio.Association) -> None:
                await queue.put(assoc)
                await assoc.wait_closed()

            self._server = await aio.serve(handler, bound[0], bound[1], sctp_port=self._sctp_port, **self._settings)

        self._run(start())

    def accept(self) -> "Tuple[Socket, Address]":
        """Waits for an association; returns a connected socket and the peer's address."""
        if self._backlog is None:
            raise exceptions.InvalidStateError("listen() before accept()")
        backlog = self._backlog

        async def take() -> aio.Association:
            return await backlog.get()

        assoc = self._run(take())
        conn = Socket(sctp_port=self._sctp_port, **self._settings)
        conn._assoc = assoc
        peers = assoc.peer_addresses
        return conn, (peers[0] if peers else ("", 0))

    def connect(self, address: Address) -> None:
        """Opens an association to the UDP address; blocks until established."""
        local = self._bound
        settings = self._settings

        async def go() -> aio.Association:
            return await aio.connect(
                address[0], address[1], sctp_port=self._sctp_port, local_sctp_port=self._sctp_port,
                local_addr=local, timeout=None, **settings,
            )

        self._assoc = self._run(go())

    def _association(self) -> aio.Association:
        if self._assoc is None:
            raise exceptions.InvalidStateError("socket is not connected: connect() or accept() first")
        return self._assoc

    # data
    def sendmsg(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False) -> int:
        """Sends one message; blocks while the send buffer is full. Returns its length."""
        assoc = self._association()
        self._run(assoc.send(data, stream=stream, ppid=ppid, unordered=unordered))
        return len(data)

    def send(self, data: Buffer) -> int:
        """``sendmsg`` on stream 0 with PPID 0."""
        return self.sendmsg(data)

    def recvmsg(self) -> RecvMessage:
        """Waits for the next message. Raises AssociationClosedError (or a subclass) once closed."""
        assoc = self._association()
        m = self._run(assoc.recv())
        return RecvMessage(m.data, m.stream, m.ppid, m.unordered)

    def recv(self) -> bytes:
        """The next message's bytes; ``b""`` once the peer has shut down."""
        try:
            return self.recvmsg().data
        except exceptions.AssociationClosedError as e:
            if type(e) is exceptions.AssociationClosedError:
                return b""
            raise

    def getpeername(self) -> Address:
        """The peer's primary UDP address."""
        peers = self._association().peer_addresses
        if not peers:
            raise exceptions.AssociationClosedError("association is closed")
        return peers[0]

    def getpaddrs(self) -> List[Address]:
        """All of the peer's addresses."""
        return self._association().peer_addresses

    def getsockname(self) -> Address:
        """The local UDP address."""
        if self._server is not None:
            return self._server.address
        if self._assoc is not None and self._assoc._driver.transport is not None:
            a = self._assoc._driver.transport.get_extra_info("sockname")
            return (str(a[0]), int(a[1]))
        return self._bound or ("", 0)

    def close(self) -> None:
        """Graceful shutdown of the association (or stops listening)."""
        if self._closed:
            return
        assoc, server = self._assoc, self._server

        async def stop() -> None:
            if assoc is not None:
                await assoc.close(timeout=self._timeout if self._timeout is not None else 10.0)
            if server is not None:
                server.close()
                await server.wait_closed()

        try:
            self._run(stop(), timeout=30.0)
        finally:
            self._closed = True

    def __enter__(self) -> "Socket":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def socket(*, sctp_port: int = 5000, **settings: Any) -> Socket:
    """A new blocking SCTP-over-UDP socket (see :class:`Socket`). Settings
    are :class:`anysctp.AssociationConfig` keywords."""
    return Socket(sctp_port=sctp_port, **settings)
