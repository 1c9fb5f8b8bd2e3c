"""The sans-IO layer across a simulated lossy link (virtual time)."""

import random
from typing import List, Optional

import pytest

import anysctp
from anysctp import Closed, Connected, Endpoint, Link, Message


def pair(filter=None):  # type: ignore[no-untyped-def]
    a = Endpoint(5000, seed=bytes([1]) * 32, rto_min=0.2, rto_initial=0.5)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, rto_min=0.2, rto_initial=0.5)
    link = Link(a, b, filter=filter, delay=0.005)
    assoc = a.connect(link.now, link.b_address, 5000)
    assert link.run(lambda: any(isinstance(e, Connected) for e in link.events_a), timeout=120)
    return link, assoc


def messages(events: List[anysctp.Event]) -> List[Message]:
    return [e for e in events if isinstance(e, Message)]


def test_lossy_link_delivers_everything_in_order() -> None:
    rng = random.Random(7)
    dropped = [0]

    def lossy(direction: str, datagram: bytes) -> Optional[bytes]:
        if rng.random() < 0.10:
            dropped[0] += 1
            return None
        return datagram

    link, assoc = pair(lossy)
    n = 500
    for i in range(n):
        data = i.to_bytes(8, "little") + bytes((i + k) % 251 for k in range(8, 300))
        assoc.send(link.now, data, stream=i % 3, ppid=51)
    assert link.run(lambda: len(messages(link.events_b)) == n, timeout=600)
    got = messages(link.events_b)
    for stream in range(3):
        ids = [int.from_bytes(m.data[:8], "little") for m in got if m.stream == stream]
        assert ids == list(range(stream, n, 3))
    assert all(m.ppid == 51 and len(m.data) == 300 for m in got)
    assert dropped[0] > 0


def test_filter_can_modify_and_the_core_discards_corrupt_packets() -> None:
    corrupt = [True]

    def flip_first_data(direction: str, d: bytes) -> bytes:
        # Corrupt one packet's payload byte: the checksum no longer matches,
        # the receiver discards it (RFC 9260 §6.8), retransmission repairs.
        if direction == "a>b" and corrupt[0] and len(d) > 40:
            corrupt[0] = False
            return d[:-1] + bytes([d[-1] ^ 0xFF])
        return d

    link, assoc = pair(flip_first_data)
    assoc.send(link.now, b"x" * 100)
    assert link.run(lambda: len(messages(link.events_b)) == 1, timeout=120)
    assert messages(link.events_b)[0].data == b"x" * 100
    assert not corrupt[0]


def test_shutdown_closes_both_sides_and_send_after_close_raises() -> None:
    link, assoc = pair()
    assoc.send(link.now, b"last words")
    assoc.shutdown(link.now)
    assert link.run(lambda: any(isinstance(e, Closed) for e in link.events_a), timeout=120)
    assert messages(link.events_b)[0].data == b"last words"
    with pytest.raises(anysctp.AssociationClosedError):
        assoc.send(link.now, b"too late")


def test_oversize_message_raises_message_too_large() -> None:
    link, assoc = pair()
    with pytest.raises(anysctp.MessageTooLargeError, match="max_message_size"):
        assoc.send(link.now, bytes(256 * 1024 + 1))
    with pytest.raises(anysctp.EmptyMessageError):
        assoc.send(link.now, b"")
    with pytest.raises(anysctp.InvalidStreamError):
        assoc.send(link.now, b"x", stream=60000)


def test_batch_api_and_stats() -> None:
    link, assoc = pair()
    queued = link.a.send_many(link.now, assoc.id, [0, 1], [bytearray(b"m%d" % i) for i in range(100)])
    assert queued == 100
    assert link.run(lambda: len(messages(link.events_b)) == 100, timeout=120)
    stats = assoc.stats()
    assert stats is not None and stats.state == "ESTABLISHED" and stats.messages_sent == 100
