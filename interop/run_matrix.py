#!/usr/bin/env python3
"""Interop matrix: SCTP-over-UDP peers from different stacks against each other.

    python3 interop/run_matrix.py                  # build if needed, run all, print the matrix
    python3 interop/run_matrix.py --pairs usrsctp-pion --scenarios handshake,big_1mib
    python3 interop/run_matrix.py --list

Every peer kind speaks the same command line (see README.md); a scenario is a
set of flags for the server and the client, optionally with the impairment
relay between them. A run passes when both peers print `RESULT {"ok": true ...}`
and exit 0 within the time limit. Every process started here is killed when
its run ends, whatever happens.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
RELAY = ROOT / "target" / "release" / "anysctp-relay"


# ---------------------------------------------------------------- building

def _newer(target: Path, *sources: Path) -> bool:
    """True if target exists and is newer than every source."""
    if not target.exists():
        return False
    t = target.stat().st_mtime
    return all(s.stat().st_mtime <= t for s in sources)


def _run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def build_usrsctp() -> Path:
    out = BUILD / "usrsctp-peer"
    src = HERE / "usrsctp-peer"
    if not _newer(out, src / "peer.c", src / "Makefile"):
        _run(["make", "-C", str(src), f"BUILD={BUILD}"])
    return out


def build_pion() -> Path:
    out = BUILD / "pion-peer"
    src = HERE / "pion-peer" / "main.go"
    if not _newer(out, src):
        BUILD.mkdir(exist_ok=True)
        # Offline build against Debian's pion/sctp (golang-github-pion-sctp-dev).
        env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="")
        env.setdefault("GOCACHE", str(BUILD / "go-cache"))
        _run(["go", "build", "-o", str(out), str(src)], env=env, cwd=src.parent)
    return out


_relay_built = False


def build_relay() -> Path:
    global _relay_built
    if not _relay_built:
        # cargo decides itself whether anything changed.
        _run(["cargo", "build", "--release", "-q", "-p", "anysctp-relay"], cwd=ROOT)
        _relay_built = True
    return RELAY


# ---------------------------------------------------------------- peer kinds

@dataclass
class PeerKind:
    """How to build and start one kind of peer (all share one command line)."""

    name: str
    build: Callable[[], Path]
    binary: Path | None = None

    def ensure_built(self) -> Path:
        if self.binary is None:
            self.binary = self.build()
        return self.binary

    def server_cmd(self, udp_port: int, sctp_port: int, flags: list[str]) -> list[str]:
        return [str(self.ensure_built()), "server", "--udp-port", str(udp_port),
                "--sctp-port", str(sctp_port), *flags]

    def client_cmd(self, remote: str, udp_port: int, sctp_port: int, remote_sctp: int,
                   flags: list[str]) -> list[str]:
        return [str(self.ensure_built()), "client", "--remote", remote, "--udp-port", str(udp_port),
                "--sctp-port", str(sctp_port), "--remote-sctp-port", str(remote_sctp), *flags]


ANYSCTP = ROOT / "target" / "release" / "anysctp"
_anysctp_built = False


def build_anysctp() -> Path:
    global _anysctp_built
    if not _anysctp_built:
        _run(["cargo", "build", "--release", "-q", "-p", "anysctp-cli"], cwd=ROOT)
        _anysctp_built = True
    return ANYSCTP


class AnysctpPeer(PeerKind):
    """The anysctp CLI: `server`/`client` map onto `listen`/`connect --verify`
    (the CLI takes every scenario flag of the common command line)."""

    def server_cmd(self, udp_port: int, sctp_port: int, flags: list[str]) -> list[str]:
        return [str(self.ensure_built()), "listen", f"127.0.0.1:{udp_port}", "--verify",
                "--sctp-port", str(sctp_port), *flags]

    def client_cmd(self, remote: str, udp_port: int, sctp_port: int, remote_sctp: int,
                   flags: list[str]) -> list[str]:
        return [str(self.ensure_built()), "connect", "--remote", remote, "--verify",
                "--local", f"127.0.0.1:{udp_port}", "--sctp-port", str(sctp_port),
                "--remote-sctp-port", str(remote_sctp), *flags]


PEERS: dict[str, PeerKind] = {
    "usrsctp": PeerKind("usrsctp", build_usrsctp),
    "pion": PeerKind("pion", build_pion),
    "anysctp": AnysctpPeer("anysctp", build_anysctp),
}

# (client, server): client -> server.
PAIRS: list[tuple[str, str]] = [
    ("usrsctp", "pion"), ("pion", "usrsctp"),
    ("anysctp", "usrsctp"), ("usrsctp", "anysctp"),
    ("anysctp", "pion"), ("pion", "anysctp"),
]

# Per-pair adjustments, each for a reason in a foreign stack (README, Findings).
ADJUSTMENTS: dict[tuple[str, str], dict[str, list[str]]] = {
    # pion/sctp 1.8.6 puts its own send-side ack point into the SHUTDOWN
    # chunk's Cumulative TSN Ack; usrsctp validates the field and ABORTs about
    # half the time. The pion peer's shim rewrites the field (pion initiates
    # the shutdown only as the client).
    ("pion", "usrsctp"): {"client": ["--fix-shutdown-cum-ack"]},
    # pion/sctp 1.8.6 ignores the Cumulative TSN Ack of a SHUTDOWN it receives
    # and waits for a SACK that the SHUTDOWN sender, per RFC 9260 §9.2, no
    # longer sends: if the client's last SACK (delayed) is replaced by its
    # SHUTDOWN while pion has data in flight (echo_shutdown), both hang.
    # usrsctp's client SACKs every packet at once so no SACK is pending.
    ("usrsctp", "pion"): {"client": ["--immediate-sack"]},
}


# ---------------------------------------------------------------- scenarios

@dataclass
class Impairment:
    loss: float = 0.0
    reorder: float = 0.0
    dup: float = 0.0
    seed: int = 1


@dataclass
class Scenario:
    name: str
    description: str
    server: list[str]
    client: list[str]
    timeout: float = 30.0
    relay: Impairment | None = None
    both: list[str] = field(default_factory=list)
    # The (client, server) pairs it runs on (None: all).
    pairs: tuple[tuple[str, str], ...] | None = None


_10K = ["--streams", "16", "--send-streams", "16", "--unordered", "mixed", "--size", "100"]

SCENARIOS: list[Scenario] = [
    Scenario("handshake", "association up, no data, graceful shutdown",
             server=[], client=[], timeout=15),
    Scenario("messages_10k", "10,000 x 100 B over 16 streams, odd ids unordered",
             server=["--expect", "10000"], client=["--count", "10000"], both=_10K, timeout=60),
    Scenario("big_1mib", "one 1 MiB message",
             server=["--expect", "1"], client=[],
             both=["--big", "1048576"], timeout=60),
    Scenario("echo_shutdown", "1,000 messages echoed back, then a graceful shutdown both sides see",
             server=["--expect", "1000", "--echo"], client=["--count", "1000", "--expect", "1000"],
             both=["--streams", "16", "--send-streams", "8", "--unordered", "mixed", "--size", "300"],
             timeout=60),
    Scenario("loss_1pct", "messages_10k through the relay at 1% loss",
             server=["--expect", "10000"], client=["--count", "10000"], both=_10K,
             relay=Impairment(loss=0.01), timeout=120),
    Scenario("loss_5pct_reorder_5pct", "messages_10k through the relay at 5% loss, 5% reordering",
             server=["--expect", "10000"], client=["--count", "10000"], both=_10K,
             relay=Impairment(loss=0.05, reorder=0.05), timeout=180),
    # RFC 6525: the client resets its outgoing streams (as a WebRTC data
    # channel does when it closes, RFC 8831 §6.7) in the middle of the
    # traffic; every message still arrives once, in order, and every reset
    # is confirmed. Only the usrsctp peer has the --reset-every flag, and
    # pion/sctp 1.8.6 as the server delivers nothing on a stream after the
    # first reset of it (README, Findings), so: usrsctp -> anysctp.
    Scenario("stream_reset", "2,000 x 200 B over 4 streams, the client resets its streams every 250",
             server=["--expect", "2000"], client=["--count", "2000", "--reset-every", "250"],
             both=["--streams", "4", "--send-streams", "4", "--size", "200"],
             relay=Impairment(loss=0.02), timeout=90, pairs=(("usrsctp", "anysctp"),)),
]


def combos(pairs: list[tuple[str, str]], scenarios: list[Scenario]) -> list[tuple[Scenario, tuple[str, str]]]:
    """The (scenario, pair) runs: every pair the scenario applies to."""
    return [(sc, p) for sc in scenarios for p in pairs if sc.pairs is None or p in sc.pairs]


# ---------------------------------------------------------------- running

_used_ports: set[int] = set()


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 nobody uses now (and not handed out before)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _used_ports:
            _used_ports.add(port)
            return port
    raise RuntimeError("no free UDP port")


def parse_result(stdout: str) -> dict | None:
    lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    if len(lines) != 1:
        return None
    try:
        return json.loads(lines[0][len("RESULT "):])
    except json.JSONDecodeError:
        return None


@dataclass
class RunResult:
    pair: str
    scenario: str
    ok: bool
    seconds: float
    server: dict | None
    client: dict | None
    relay: str = ""
    problems: list[str] = field(default_factory=list)
    stderr_tail: str = ""

    def summary(self) -> str:
        lines = [f"{self.scenario} [{self.pair}]: {'ok' if self.ok else 'FAILED'} in {self.seconds:.1f}s"]
        lines += [f"  {p}" for p in self.problems]
        lines.append(f"  server: {json.dumps(self.server)}")
        lines.append(f"  client: {json.dumps(self.client)}")
        if self.relay:
            lines.append("  relay: " + self.relay.replace("\n", "; "))
        if not self.ok and self.stderr_tail:
            lines.append("  stderr (tail):\n" + self.stderr_tail)
        return "\n".join(lines)


def _start(cmd: list[str], stdin=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop(p: subprocess.Popen) -> None:
    """Kills p's process group if it still runs (only what we started)."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class _Collector:
    """Reads a process's output in threads; notes when its RESULT line came."""

    def __init__(self, p: subprocess.Popen):
        self.p = p
        self.out: list[str] = []
        self.err: list[str] = []
        self.result_seen = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(p.stdout, self.out, True), daemon=True),
                        threading.Thread(target=self._read, args=(p.stderr, self.err, False), daemon=True)]
        for t in self.threads:
            t.start()

    def _read(self, f, sink: list[str], watch: bool) -> None:
        for line in f:
            sink.append(line)
            if watch and line.startswith("RESULT "):
                self.result_seen.set()

    def finish(self) -> tuple[str, str, int | None]:
        for t in self.threads:
            t.join(timeout=5)
        return "".join(self.out), "".join(self.err), self.p.returncode


def run_scenario(client_kind: str, server_kind: str, sc: Scenario) -> RunResult:
    client, server = PEERS[client_kind], PEERS[server_kind]
    pair = f"{client_kind}->{server_kind}"
    adj = ADJUSTMENTS.get((client_kind, server_kind), {})
    server_udp, client_udp = free_udp_port(), free_udp_port()
    server_sctp, client_sctp = 5001, 5002  # agreed SCTP ports (common header)
    peer_timeout = ["--timeout", str(sc.timeout)]
    procs: list[tuple[str, subprocess.Popen]] = []
    t0 = time.monotonic()
    try:
        procs.append(("server", _start(server.server_cmd(
            server_udp, server_sctp, [*sc.both, *sc.server, *adj.get("server", []), *peer_timeout]))))
        remote_port = server_udp
        if sc.relay is not None:
            remote_port = free_udp_port()
            r = sc.relay
            procs.append(("relay", _start([
                str(build_relay()), "--listen", f"127.0.0.1:{remote_port}",
                "--target", f"127.0.0.1:{server_udp}", "--loss", str(r.loss),
                "--reorder", str(r.reorder), "--dup", str(r.dup), "--seed", str(r.seed),
                # bounded by itself, and stopped (below) by closing its stdin
                "--timeout", str(sc.timeout + 10), "--stop-on-eof", "1"], stdin=subprocess.PIPE)))
        time.sleep(0.3)  # let the server bind (a lost INIT only costs a retransmission)
        procs.append(("client", _start(client.client_cmd(
            f"127.0.0.1:{remote_port}", client_udp, client_sctp, server_sctp,
            [*sc.both, *sc.client, *adj.get("client", []), *peer_timeout, "--linger", "30"]))))

        outputs: dict[str, tuple[str, str, int | None]] = {}
        deadline = time.monotonic() + sc.timeout + 5  # peers stop themselves at sc.timeout
        server_p, client_p = procs[0][1], procs[-1][1]
        client_io = _Collector(client_p)
        try:
            out, err = server_p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(server_p)
            out, err = server_p.communicate()
        outputs["server"] = (out, err, server_p.returncode)
        # The client lingers after its RESULT line (answering a retransmitted
        # SHUTDOWN-ACK if its SHUTDOWN-COMPLETE was lost); once the server is
        # done, nobody needs it any more: SIGTERM makes it exit with its code.
        client_io.result_seen.wait(timeout=max(0.1, min(5.0, deadline - time.monotonic())))
        if client_p.poll() is None:
            client_p.send_signal(signal.SIGTERM)
        try:
            client_p.wait(timeout=max(0.1, min(5.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            _stop(client_p)
        outputs["client"] = client_io.finish()
        for name, p in procs:
            if name == "relay":
                # end of its stdin stops the relay; it prints its counters
                try:
                    out, err = p.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    _stop(p)
                    out, err = p.communicate()
                outputs["relay"] = (out, err, p.returncode)
    finally:
        for _, p in procs:
            _stop(p)
    seconds = time.monotonic() - t0

    problems: list[str] = []
    results: dict[str, dict | None] = {}
    for role in ("server", "client"):
        out, err, rc = outputs[role]
        res = parse_result(out)
        results[role] = res
        if res is None:
            problems.append(f"{role}: no RESULT line (exit {rc})")
        elif not res.get("ok") or rc != 0:
            problems.append(f"{role}: not ok (exit {rc}): {res.get('errors')}")
        elif res.get("shutdown") != "graceful":
            problems.append(f"{role}: shutdown {res.get('shutdown')}")
    stderr_tail = "\n".join(
        f"    {role}: {line}" for role in ("server", "client")
        for line in outputs[role][1].strip().splitlines()[-5:])
    return RunResult(pair, sc.name, not problems, seconds, results["server"], results["client"],
                     relay=outputs.get("relay", ("", "", 0))[0].strip(), problems=problems,
                     stderr_tail=stderr_tail)


def format_matrix(results: list[RunResult]) -> str:
    pairs = list(dict.fromkeys(r.pair for r in results))
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    cell = {(r.scenario, r.pair): ("ok" if r.ok else "FAIL") + f" {r.seconds:.1f}s" for r in results}
    w0 = max(len("scenario"), *(len(s) for s in scenarios))
    ws = [max(len(p), 12) for p in pairs]
    lines = ["  ".join(["scenario".ljust(w0), *(p.ljust(w) for p, w in zip(pairs, ws))])]
    lines.append("  ".join(["-" * w0, *("-" * w for w in ws)]))
    for s in scenarios:
        lines.append("  ".join([s.ljust(w0), *(cell.get((s, p), "-").ljust(w) for p, w in zip(pairs, ws))]))
    return "\n".join(lines)


def build_all() -> None:
    for kind in PEERS.values():
        kind.ensure_built()
    build_relay()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", help="comma-separated client-server pairs, e.g. usrsctp-pion")
    ap.add_argument("--scenarios", help="comma-separated scenario names")
    ap.add_argument("--list", action="store_true", help="list pairs and scenarios")
    ap.add_argument("--json", help="write all results to this file")
    a = ap.parse_args(argv)
    pairs = PAIRS
    if a.pairs:
        pairs = [tuple(p.split("-", 1)) for p in a.pairs.split(",")]  # type: ignore[misc]
        for c, s in pairs:
            if c not in PEERS or s not in PEERS:
                ap.error(f"unknown peer kind in {c}-{s}; known: {', '.join(PEERS)}")
    scenarios = SCENARIOS
    if a.scenarios:
        wanted = a.scenarios.split(",")
        scenarios = [s for s in SCENARIOS if s.name in wanted]
        if len(scenarios) != len(wanted):
            ap.error(f"unknown scenario; known: {', '.join(s.name for s in SCENARIOS)}")
    if a.list:
        print("pairs:", ", ".join(f"{c}-{s}" for c, s in pairs))
        for s in scenarios:
            print(f"{s.name}: {s.description}")
        return 0
    build_all()
    results = []
    for sc, (c, s) in combos(pairs, scenarios):
        r = run_scenario(c, s, sc)
        print(r.summary(), flush=True)
        results.append(r)
    print()
    print(format_matrix(results))
    if a.json:
        Path(a.json).write_text(json.dumps([r.__dict__ for r in results], indent=1))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
