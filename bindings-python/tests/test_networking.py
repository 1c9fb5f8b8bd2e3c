"""The asyncio and blocking socket APIs over 127.0.0.1."""

import asyncio

import pytest
from conftest import free_udp_port

import anysctp
import anysctp.asyncio


def test_asyncio_echo() -> None:
    async def main() -> None:
        port = free_udp_port()

        async def echo(assoc: anysctp.asyncio.Association) -> None:
            async for m in assoc:
                await assoc.send(m.data, stream=m.stream, ppid=m.ppid, unordered=m.unordered)

        async with await anysctp.asyncio.serve(echo, "127.0.0.1", port, nodelay=True):
            async with await anysctp.asyncio.connect("127.0.0.1", port, nodelay=True) as assoc:
                for i in range(50):
                    await assoc.send(b"%d" % i + bytes(2000), stream=i % 4, ppid=51)
                got = [await assoc.recv() for _ in range(50)]
                for s in range(4):
                    assert [int(m.data[:-2000]) for m in got if m.stream == s] == list(range(s, 50, 4))

    asyncio.run(asyncio.wait_for(main(), 30))


def test_asyncio_reset_streams_and_association_wait_for_the_answer() -> None:
    async def main() -> None:
        port = free_udp_port()
        seen: "asyncio.Queue[bytes]" = asyncio.Queue()

        async def sink(assoc: anysctp.asyncio.Association) -> None:
            async for m in assoc:
                await seen.put(m.data)

        async with await anysctp.asyncio.serve(sink, "127.0.0.1", port):
            async with await anysctp.asyncio.connect("127.0.0.1", port) as assoc:
                await assoc.send(b"before", stream=1)
                answer = await assoc.reset_streams([1])
                assert (answer.direction, answer.streams, answer.result) == (
                    anysctp.StreamDirection.OUTGOING,
                    (1,),
                    anysctp.ReconfigResult.SUCCESS,
                )
                await assoc.send(b"after", stream=1)
                assert [await seen.get(), await seen.get()] == [b"before", b"after"]
                # The server keeps the default policy: SSN/TSN resets refused.
                denied = await assoc.reset_association()
                assert denied.result is anysctp.ReconfigResult.DENIED
                await assoc.send(b"still in order", stream=1)
                assert await seen.get() == b"still in order"
            async with await anysctp.asyncio.connect("127.0.0.1", port, reconfig=False) as plain:
                with pytest.raises(anysctp.ReconfigUnavailableError):
                    await plain.reset_streams([0])

    asyncio.run(asyncio.wait_for(main(), 30))


def test_asyncio_back_pressure_with_small_send_buffer() -> None:
    async def main() -> None:
        port = free_udp_port()
        received = []

        async def sink(assoc: anysctp.asyncio.Association) -> None:
            async for m in assoc:
                received.append(len(m.data))

        async with await anysctp.asyncio.serve(sink, "127.0.0.1", port):
            async with await anysctp.asyncio.connect("127.0.0.1", port, send_buffer=64 * 1024) as assoc:
                for _ in range(64):  # 4 MiB through a 64 KiB send buffer
                    await assoc.send(bytes(65536))
            for _ in range(100):
                if len(received) == 64:
                    break
                await asyncio.sleep(0.05)
        assert received == [65536] * 64

    asyncio.run(asyncio.wait_for(main(), 60))


def test_blocking_socket_round_trip() -> None:
    port = free_udp_port()
    with anysctp.socket() as srv:
        srv.settimeout(10)
        srv.bind(("127.0.0.1", port))
        srv.listen()
        with anysctp.socket() as cli:
            cli.settimeout(10)
            cli.connect(("127.0.0.1", port))
            conn, peer = srv.accept()
            conn.settimeout(10)
            assert cli.sendmsg(memoryview(b"ping"), stream=1, ppid=51) == 4
            assert conn.recvmsg() == anysctp.RecvMessage(b"ping", 1, 51, False)
            conn.sendmsg(b"pong")
            assert cli.recv() == b"pong"
            conn.close()
            with pytest.raises(anysctp.AssociationClosedError):
                conn.sendmsg(b"after close")
