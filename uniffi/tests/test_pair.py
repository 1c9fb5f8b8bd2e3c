"""Drives the uniffi bindings from Python (the generated module): two
endpoints over an in-memory link with loss, in virtual time; messages in the
interop format must arrive complete and in order; then a graceful shutdown."""
import sys

import anysctp_uniffi as sctp
from link import Link

A, B = "10.0.0.1:9899", "10.0.0.2:9899"


def interop(mid, size):
    head = mid.to_bytes(8, "little")
    return head + bytes((mid + i) % 251 for i in range(8, size))


def main():
    a = sctp.SctpEndpoint(5001, False, bytes(32))
    b = sctp.SctpEndpoint(5002, True, bytes([1] * 32))
    link = Link(a, b, A, B, loss=0.05)
    now = lambda: link.now
    run = link.run
    events = link.events

    assoc = a.connect(now(), B, 5002)
    connected = lambda side: any(isinstance(e, sctp.SctpEvent.CONNECTED) for e in events[side])
    assert run(lambda: connected(0) and connected(1)), "no association"

    count = 300
    for mid in range(count):
        while True:
            try:
                a.send(now(), assoc, mid % 3, 51, False, interop(mid, 8 + mid * 13 % 1400))
                break
            except sctp.SctpError.WouldBlock:
                run(lambda: False, 10_000)
    messages = lambda: [e for e in events[1] if isinstance(e, sctp.SctpEvent.MESSAGE)]
    assert run(lambda: len(messages()) == count), f"{len(messages())} of {count} arrived"
    nxt = {0: 0, 1: 1, 2: 2}
    for m in messages():
        mid = int.from_bytes(m.data[:8], "little")
        assert m.data == interop(mid, len(m.data)) and mid == nxt[m.stream], mid
        nxt[m.stream] += 3

    try:
        a.send(now(), 424242, 0, 0, False, b"x")
        raise AssertionError("send to an unknown association succeeded")
    except sctp.SctpError.NoSuchAssociation:
        pass

    a.shutdown(now(), assoc)
    closed = lambda side: [e for e in events[side] if isinstance(e, sctp.SctpEvent.CLOSED)]
    assert run(lambda: closed(0) and closed(1)), "no clean close"
    assert closed(0)[0].reason == "shutdown" and closed(1)[0].reason == "shutdown"
    print(f"uniffi python: {count} messages in order over a lossy link, clean shutdown")


if __name__ == "__main__":
    sys.exit(main())
