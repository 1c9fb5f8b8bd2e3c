"""Two uniffi endpoints over an in-memory link with seeded loss, in virtual
time (microseconds): the harness of the Python tests."""
import random


class Link:
    def __init__(self, a, b, a_addr, b_addr, loss=0.0, seed=7):
        self.a, self.b = a, b
        self.addr = (a_addr, b_addr)
        # Every "ip:port" each side may be sent to (add to it for ASCONF).
        self.addrs = ([a_addr], [b_addr])
        self.loss = loss
        self.rng = random.Random(seed)
        self.now = 1_000_000
        self.events = {0: [], 1: []}

    def step(self):
        moved = False
        wire = []  # (to_endpoint, from_addr, data)
        for side, ep in enumerate((self.a, self.b)):
            while (d := ep.poll_transmit(self.now)) is not None:
                moved = True
                assert d.destination in self.addrs[1 - side], d.destination
                if self.rng.random() < self.loss:
                    continue  # lost
                wire.append((self.b if side == 0 else self.a, self.addr[side], d.data))
        for ep, src, data in wire:
            ep.handle_datagram(self.now, src, data)
            moved = True
        for side, ep in enumerate((self.a, self.b)):
            while (e := ep.poll_event()) is not None:
                self.events[side].append(e)
                moved = True
        return moved

    def run(self, until, limit=600_000_000):
        """Moves packets and time until `until()` or `limit` µs passed."""
        end = self.now + limit
        while not until() and self.now < end:
            if self.step():
                continue
            deadlines = [t for t in (self.a.poll_timeout(), self.b.poll_timeout()) if t is not None]
            if not deadlines:
                break
            self.now = max(self.now, min(deadlines))
            self.a.handle_timeout(self.now)
            self.b.handle_timeout(self.now)
        return until()

    def of(self, side, kind):
        """Events of one side of a type (e.g. sctp.SctpEvent.CONNECTED)."""
        return [e for e in self.events[side] if isinstance(e, kind)]
