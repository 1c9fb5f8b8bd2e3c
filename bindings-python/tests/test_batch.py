"""Batch calls for speed: pump() and Endpoint.poll_messages()."""

import pytest

import anysctp
from anysctp import Connected, Endpoint, Message, pump


A, B = ("10.0.0.1", 9899), ("10.0.0.2", 9899)


def connected_pair() -> "tuple[Endpoint, Endpoint, int]":
    a = Endpoint(5000, seed=bytes([1]) * 32, nodelay=True)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, nodelay=True)
    assoc = a.connect(1.0, B, 5000)
    assert pump(a, b, 1.0, A, B) >= 4  # INIT, INIT ACK, COOKIE ECHO, COOKIE ACK
    assert any(isinstance(e, Connected) for e in a.poll_events())
    return a, b, assoc.id


def test_pump_and_poll_messages_deliver_in_order_and_keep_other_events() -> None:
    a, b, assoc = connected_pair()
    msgs = [i.to_bytes(4, "little") * 10 for i in range(300)]
    assert a.send_many(1.0, assoc, [0, 1, 2], msgs, 51) == 300
    assert pump(a, b, 1.0, A, B) > 0
    got = b.poll_messages()
    assert [m[4] for m in got] == msgs
    assert [m[1] for m in got] == [i % 3 for i in range(300)]
    assert all(m[2] == 51 and m[3] is False for m in got)
    # The Connected event b had before the messages is still there.
    assert [type(e) for e in b.poll_events()] == [Connected]
    assert b.poll_messages() == [] and pump(a, b, 1.0, A, B) >= 0


def test_poll_messages_max_and_data_only() -> None:
    a, b, assoc = connected_pair()
    assert a.send_many(1.0, assoc, 0, [b"x%d" % i for i in range(10)], 0, True) == 10
    pump(a, b, 1.0, A, B)
    first = b.poll_messages(max=4, data_only=True)
    assert first == [b"x0", b"x1", b"x2", b"x3"]
    rest = [e for e in b.poll_events() if isinstance(e, Message)]
    assert [m.data for m in rest] == [b"x%d" % i for i in range(4, 10)] and rest[0].unordered


def test_pump_needs_two_endpoints() -> None:
    a = Endpoint(5000, seed=bytes(32))
    with pytest.raises(ValueError):
        pump(a, a, 1.0, A, B)
    assert anysctp.pump is pump
