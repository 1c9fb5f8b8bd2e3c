"""The asyncio API over UDP (RFC 6951) against other SCTP stacks: the
usrsctp peer of interop/ (C, libusrsctp) and the anysctp CLI, both ways,
1,000 messages each, content and order verified on both sides.

The peers follow interop/README.md: the message format (8-byte
little-endian id, then byte i = (id + i) % 251), the command line, and one
`RESULT {...}` line with "ok" only after a graceful SHUTDOWN. Every peer
runs with its own --timeout and is killed when the test ends, whatever
happens. Skipped only when a peer binary cannot be built here (usrsctp needs
Debian's libusrsctp-dev; the CLI needs cargo)."""

import asyncio
import json
import pathlib
import shutil
import subprocess
from typing import Callable, Dict, List, Optional, Tuple

import pytest
from conftest import free_udp_port

import anysctp.asyncio


ROOT = pathlib.Path(__file__).resolve().parents[2]
COUNT, SIZE, STREAMS = 1000, 200, 4
PEER_TIMEOUT = 60


def payload(i: int, size: int = SIZE) -> bytes:
    return i.to_bytes(8, "little") + bytes((i + k) % 251 for k in range(8, size))


def _build(cmd: List[str], cwd: pathlib.Path) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        pass


def usrsctp_peer() -> Optional[pathlib.Path]:
    path = ROOT / "interop" / "build" / "usrsctp-peer"
    if not path.exists() and shutil.which("make"):
        _build(["make", "-C", str(ROOT / "interop" / "usrsctp-peer")], ROOT)
    return path if path.exists() else None


def anysctp_cli() -> Optional[pathlib.Path]:
    path = ROOT / "target" / "release" / "anysctp"
    if not path.exists() and shutil.which("cargo") and (ROOT / "cli").exists():
        _build(["cargo", "build", "--release", "-q", "-p", "anysctp-cli"], ROOT)
    return path if path.exists() else None


# (name, binary, server command, client command) per peer, as run_matrix.py runs them.
ServerCmd = Callable[[pathlib.Path, int, int, List[str]], List[str]]
ClientCmd = Callable[[pathlib.Path, int, int, int, List[str]], List[str]]
PEERS: Dict[str, Tuple[Callable[[], Optional[pathlib.Path]], ServerCmd, ClientCmd]] = {
    "usrsctp": (
        usrsctp_peer,
        lambda b, udp, sctp, f: [str(b), "server", "--udp-port", str(udp), "--sctp-port", str(sctp), *f],
        lambda b, udp, sctp, rsctp, f: [
            str(b), "client", "--remote", f"127.0.0.1:{udp}", "--sctp-port", str(sctp),
            "--remote-sctp-port", str(rsctp), *f,
        ],
    ),
    "anysctp-cli": (
        anysctp_cli,
        lambda b, udp, sctp, f: [str(b), "listen", f"127.0.0.1:{udp}", "--verify", "--sctp-port", str(sctp), *f],
        lambda b, udp, sctp, rsctp, f: [
            str(b), "connect", "--remote", f"127.0.0.1:{udp}", "--verify", "--sctp-port", str(sctp),
            "--remote-sctp-port", str(rsctp), *f,
        ],
    ),
}


def binary(name: str) -> pathlib.Path:
    found = PEERS[name][0]()
    if found is None:
        # The test command installs what the peers need (libusrsctp-dev,
        # cargo): a peer that cannot be built is a failure, not a skip.
        pytest.fail(f"{name} peer could not be built (see interop/README.md)")
    return found


async def finish(proc: "asyncio.subprocess.Process") -> dict:
    """The peer's RESULT, or a failure with its output; the process is always ended."""
    try:
        out, err = await asyncio.wait_for(proc.communicate(), PEER_TIMEOUT + 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = [l for l in out.decode(errors="replace").splitlines() if l.startswith("RESULT ")]
    assert lines, f"no RESULT line; stdout={out!r} stderr={err[-2000:]!r}"
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.mark.parametrize("peer", list(PEERS))
def test_python_client_to_peer_server(peer: str) -> None:
    exe = binary(peer)
    udp = free_udp_port()
    flags = ["--expect", str(COUNT), "--size", str(SIZE), "--send-streams", str(STREAMS), "--timeout", str(PEER_TIMEOUT)]

    async def main() -> dict:
        proc = await asyncio.create_subprocess_exec(
            *PEERS[peer][1](exe, udp, 5000, flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            await asyncio.sleep(0.3)  # let the server bind its socket
            assoc = await anysctp.asyncio.connect("127.0.0.1", udp, sctp_port=5000, local_sctp_port=5001, timeout=20)
            for i in range(COUNT):
                await assoc.send(payload(i), stream=i % STREAMS, ppid=51)
            await asyncio.wait_for(assoc.close(), 30)
        except BaseException:
            if proc.returncode is None:
                proc.kill()
            raise
        return await finish(proc)

    result = asyncio.run(main())
    assert result["ok"], json.dumps(result)
    assert result["received"] == COUNT and result["shutdown"] == "graceful", result


@pytest.mark.parametrize("peer", list(PEERS))
def test_peer_client_to_python_server(peer: str) -> None:
    exe = binary(peer)
    udp = free_udp_port()
    flags = [
        "--count", str(COUNT), "--size", str(SIZE), "--send-streams", str(STREAMS), "--timeout", str(PEER_TIMEOUT),
    ]
    received: List[Tuple[int, int, bytes]] = []
    done: "asyncio.Future[None]"

    async def handler(assoc: anysctp.asyncio.Association) -> None:
        async for m in assoc:
            received.append((m.stream, m.ppid, m.data))
        done.set_result(None)

    async def main() -> dict:
        nonlocal done
        done = asyncio.get_running_loop().create_future()
        server = await anysctp.asyncio.serve(handler, "127.0.0.1", udp, sctp_port=5000)
        async with server:
            proc = await asyncio.create_subprocess_exec(
                *PEERS[peer][2](exe, udp, 5001, 5000, flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            result = await finish(proc)
            await asyncio.wait_for(done, 10)
        return result

    result = asyncio.run(main())
    assert result["ok"], json.dumps(result)
    assert len(received) == COUNT
    last: Dict[int, int] = {}
    for stream, _, data in received:
        i = int.from_bytes(data[:8], "little")
        assert data == payload(i), f"message {i} corrupted"
        assert stream == i % STREAMS, f"message {i} on stream {stream}"
        assert last.get(stream, -1) < i, f"message {i} out of order on stream {stream}"
        last[stream] = i
    assert sorted(int.from_bytes(d[:8], "little") for _, _, d in received) == list(range(COUNT))
