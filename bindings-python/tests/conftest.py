import itertools
import os
import socket

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
