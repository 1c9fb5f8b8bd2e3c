"""The logging bridge: the core's tracing arrives in the "anysctp" logger."""

import logging

import pytest

import anysctp
from anysctp import Endpoint, wire


def test_a_dropped_malformed_packet_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    endpoint = Endpoint(5000, accept_incoming=True, seed=bytes(32))
    bad = wire.Packet(5001, 5000, 0, [wire.CookieAck()]).to_bytes(checksum=0x12345678)
    caplog.set_level(logging.DEBUG, logger="anysctp")
    anysctp.enable_logging(logging.DEBUG)
    try:
        endpoint.handle_datagram(0.0, ("192.0.2.1", 5001), bad)
    finally:
        anysctp.disable_logging()
    records = [r for r in caplog.records if r.name == "anysctp" and "malformed packet dropped" in r.getMessage()]
    assert records, [r.getMessage() for r in caplog.records]
    assert records[0].levelno == logging.DEBUG
    assert "bad checksum" in records[0].getMessage()


def test_nothing_is_forwarded_when_disabled_or_below_the_level(caplog: pytest.LogCaptureFixture) -> None:
    endpoint = Endpoint(5000, accept_incoming=True, seed=bytes(32))
    bad = wire.Packet(5001, 5000, 0, [wire.CookieAck()]).to_bytes(checksum=1)
    caplog.set_level(logging.DEBUG, logger="anysctp")
    anysctp.disable_logging()
    endpoint.handle_datagram(0.0, ("192.0.2.1", 5001), bad)
    anysctp.enable_logging(logging.WARNING)
    try:
        endpoint.handle_datagram(0.0, ("192.0.2.1", 5001), bad)
    finally:
        anysctp.disable_logging()
    assert not [r for r in caplog.records if r.name == "anysctp"]
