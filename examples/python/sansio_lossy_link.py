"""Two sans-IO endpoints over a simulated link that drops 10% of datagrams."""

import random
from typing import Optional

from anysctp import Connected, Endpoint, Link, Message


def main() -> None:
    rng = random.Random(1)

    def lossy(direction: str, datagram: bytes) -> Optional[bytes]:
        return None if rng.random() < 0.1 else datagram

    client = Endpoint(5000, seed=bytes(32))
    server = Endpoint(5000, accept_incoming=True, seed=bytes([1]) * 32)
    link = Link(client, server, filter=lossy, delay=0.01)
    assoc = client.connect(link.now, link.b_address, 5000)
    link.run(lambda: any(isinstance(e, Connected) for e in link.events_a), timeout=120)
    for i in range(100):
        assoc.send(link.now, i.to_bytes(8, "little") + bytes(100), stream=i % 2, ppid=51)

    def received() -> int:
        return sum(isinstance(e, Message) for e in link.events_b)

    link.run(lambda: received() == 100, timeout=600)
    print(f"{received()} messages at t={link.now:.3f}s, {link.dropped} datagrams dropped")
    stats = assoc.stats()
    if stats is not None:
        print(f"retransmissions: {stats.retransmissions}")


if __name__ == "__main__":
    main()
