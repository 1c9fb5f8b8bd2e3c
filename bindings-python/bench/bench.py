"""W1-W3 of shared/perf-anchors through the Python sans-IO API (batch calls),
two endpoints in one process over an in-memory FIFO wire, next to aiortc.

    python bench/bench.py [--count-scale 1.0] [--aiortc PATH/TO/aiortc_bench.py]

Timed phase: first write to last read, wall clock. When nothing can progress
the clock jumps to the next timer (stall time), as the contract says.
"""

import argparse
import json
import pathlib
import struct
import subprocess
import sys
import time
from collections import deque
from typing import Deque, Dict, List, Tuple

from anysctp import Connected, Endpoint, pump

WORKLOADS = {
    "W1": dict(size=65536, streams=1, unordered=0, count=4096),
    "W2": dict(size=1024, streams=1, unordered=0, count=65536),
    "W3": dict(size=100, streams=16, unordered=1, count=262144),
}
A_ADDR = ("10.0.0.1", 9899)
B_ADDR = ("10.0.0.2", 9899)


def message(i: int, size: int) -> bytes:
    head = i.to_bytes(8, "little")
    return (head + bytes((i + k) % 251 for k in range(8, size)))[:size] if size < 64 else head + bytes(size - 8)


def run(name: str, size: int, streams: int, unordered: int, count: int, backlog: int = 1 << 20) -> Dict[str, object]:
    base = time.monotonic()
    skipped = 0.0

    def now() -> float:
        return time.monotonic() - base + skipped + 1.0

    cfg = dict(nodelay=True, outbound_streams=max(16, streams), max_inbound_streams=max(16, streams))
    a = Endpoint(5000, seed=bytes([1]) * 32, **cfg)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, **cfg)
    wire: Tuple[Deque[Tuple[Tuple[str, int], bytes]], Deque[Tuple[Tuple[str, int], bytes]]] = (deque(), deque())

    def step() -> bool:
        # Both directions, entirely in Rust, until the wire is quiet.
        return pump(a, b, now(), A_ADDR, B_ADDR) > 0

    assoc = a.connect(now(), B_ADDR, 5000)
    connected = False
    while not connected:
        if not step():
            deadline = min(x for x in (a.poll_timeout(), b.poll_timeout(), now() + 0.01) if x is not None)
            skipped += max(0.0, deadline - now())
            a.handle_timeout(now())
            b.handle_timeout(now())
        connected = any(isinstance(e, Connected) for e in a.poll_events())
    b.poll_events()

    # Every message carries its own sequence number in its first 8 bytes
    # (contract rule 2); the rest of the body is shared.
    body = message(0, size)[8:]
    stream_ids = [i % streams for i in range(streams)]
    seq = struct.Struct("<Q")
    pack, unpack = seq.pack, seq.unpack_from
    last = [-1] * streams
    sent = received = 0
    checksum = 0
    stall = 0.0
    start = time.perf_counter()
    while received < count:
        room = backlog - (sent - received) * size
        if sent < count and (room >= size or sent == received):
            k = max(1, min(count - sent, room // size if room >= size else 1, 1024))
            batch = [pack(sent + j) + body for j in range(k)]
            rotated = stream_ids[sent % streams :] + stream_ids[: sent % streams]
            sent += a.send_many(now(), assoc.id, rotated, batch, 51, bool(unordered))
        progressed = step()
        got = b.poll_messages(data_only=True)
        if got:
            if any(len(d) != size for d in got):
                raise AssertionError("size mismatch")
            ids = [unpack(d)[0] for d in got]
            checksum += sum(ids)
            if not unordered:
                # Per-stream order: message i travels on stream i % streams.
                for i in ids:
                    s = i % streams
                    if i <= last[s]:
                        raise AssertionError(f"message {i} out of order on stream {s}")
                    last[s] = i
            received += len(got)
            progressed = True
        b.poll_events()
        a.poll_events()
        if not progressed:
            deadline = min(x for x in (a.poll_timeout(), b.poll_timeout(), now() + 0.01) if x is not None)
            jump = max(0.0, deadline - now())
            skipped += jump
            stall += jump
            a.handle_timeout(now())
            b.handle_timeout(now())
    secs = time.perf_counter() - start
    if checksum != count * (count - 1) // 2:
        raise AssertionError("sum of sequence numbers differs: messages lost or duplicated")
    return dict(
        impl="anysctp-python",
        workload=name,
        size=size,
        count=count,
        messages=received,
        bytes=received * size,
        secs=secs,
        msg_per_s=received / secs,
        mb_per_s=received * size / secs / 1e6,
        stall_ms=stall * 1000,
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--count-scale", type=float, default=1.0)
    p.add_argument("--aiortc", default="/work/shared/perf-anchors/python/aiortc_bench.py")
    args = p.parse_args()
    rows: List[Dict[str, object]] = []
    for name, w in WORKLOADS.items():
        count = max(16, int(w["count"] * args.count_scale))
        rows.append(run(name, w["size"], w["streams"], w["unordered"], count))
    if pathlib.Path(args.aiortc).exists():
        for name, w in WORKLOADS.items():
            cmd = [sys.executable, args.aiortc, name, f"size={w['size']}", "count=" + str({"W1": 256, "W2": 20000, "W3": 20000}[name]),
                   f"streams={w['streams']}", f"unordered={w['unordered']}", "loss=0", "reorder=0", "seed=1", "backlog=1048576"]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
                line = next(l for l in out.splitlines() if l.startswith("RESULT "))
                r = json.loads(line[7:])
                secs = float(r["secs"])
                rows.append(dict(impl="aiortc", workload=name, size=w["size"], count=r["messages"], secs=secs,
                                 msg_per_s=r["messages"] / secs, mb_per_s=r["bytes"] / secs / 1e6, stall_ms=r.get("stall_ms", 0)))
            except (StopIteration, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
                print(f"aiortc {name}: not run ({e!r}); install aiortc to compare", file=sys.stderr)
    print(f"| impl | workload | size | messages | secs | msg/s | MB/s | stall ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['impl']} | {r['workload']} | {r['size']} | {r['count']} | {float(r['secs']):.3f} | "
              f"{float(r['msg_per_s']):,.0f} | {float(r['mb_per_s']):.1f} | {float(r['stall_ms']):.0f} |")
    ours = {r["workload"]: r for r in rows if r["impl"] == "anysctp-python"}
    theirs = {r["workload"]: r for r in rows if r["impl"] == "aiortc"}
    for name in WORKLOADS:
        if name in ours and name in theirs:
            ratio = float(ours[name]["msg_per_s"]) / float(theirs[name]["msg_per_s"])
            print(f"{name}: anysctp-python / aiortc = {ratio:.1f}x (same run)")


if __name__ == "__main__":
    main()
