import itertools
import os
import socket

import pytest

import anysctp


def core_is_facade() -> bool:
    """True while the core's Endpoint is the API facade (branch `api`), whose connect always fails."""
    ep = anysctp.Endpoint(5000, seed=bytes(32))
    try:
        ep.connect(1.0, ("127.0.0.1", 9))
    except anysctp.InvalidStateError as e:
        return "facade" in str(e)
    return False


requires_core = pytest.mark.skipif(core_is_facade(), reason="the core Endpoint is still the API facade")

_ports = itertools.count(20000 + (os.getpid() % 2000) * 10)


def free_udp_port() -> int:
    for _ in range(100):
        port = next(_ports)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free UDP port")
