"""Argument checking, error mapping, config and events, without a peer."""

import pytest

import anysctp
from anysctp import AssociationConfig, Endpoint, events


def test_config_defaults_are_rfc9260() -> None:
    c = AssociationConfig()
    assert (c.rto_initial, c.rto_min, c.rto_max) == (1.0, 1.0, 60.0)
    assert (c.max_init_retransmits, c.max_association_retransmits, c.max_path_retransmits) == (8, 10, 5)
    assert c.heartbeat_interval == 30.0 and c.cookie_lifetime == 60.0 and c.max_burst == 4
    assert c.pf_max_retrans == 0  # RFC 7829 §6: SCTP-PF on the first timeout


def test_bad_config_raises_config_error_naming_the_field() -> None:
    with pytest.raises(anysctp.ConfigError, match="mtu"):
        Endpoint(mtu=10)
    with pytest.raises(anysctp.ConfigError, match="sack_delay"):
        Endpoint(sack_delay=0.9)
    with pytest.raises(anysctp.ConfigError, match="outbound_streams"):
        Endpoint(outbound_streams=70000)
    with pytest.raises(anysctp.ConfigError, match="pf_max_retrans must be below max_path_retransmits"):
        Endpoint(pf_max_retrans=5)
    Endpoint(pf_max_retrans=None)  # SCTP-PF off
    with pytest.raises(anysctp.ConfigError, match="max_init_timeout must be greater than zero"):
        Endpoint(max_init_timeout=0.0)
    Endpoint(max_init_timeout=3.0)
    Endpoint(max_path_retransmits=8, pf_max_retrans=5)
    with pytest.raises(TypeError):
        Endpoint(no_such_setting=1)
    with pytest.raises(ValueError, match="32 bytes"):
        Endpoint(seed=b"short")


def test_wrong_types_raise_type_error() -> None:
    ep = Endpoint(seed=bytes(32))
    with pytest.raises(TypeError, match="bytes, bytearray or memoryview"):
        ep.send(1.0, 1, 0, "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes, bytearray or memoryview"):
        ep.handle_datagram(1.0, ("127.0.0.1", 9899), 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple"):
        ep.handle_datagram(1.0, "127.0.0.1:9899", b"x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an IP address"):
        ep.handle_datagram(1.0, ("example.invalid", 9899), b"x")
    with pytest.raises(ValueError, match="time must be"):
        ep.handle_timeout(-1.0)


def test_unknown_association_raises_association_closed_error() -> None:
    ep = Endpoint(seed=bytes(32))
    with pytest.raises(anysctp.AssociationClosedError, match="closed or never existed"):
        ep.send(1.0, 12345, 0, b"data")
    with pytest.raises(anysctp.AssociationClosedError):
        ep.association(12345).shutdown(1.0)
    assert ep.association(12345).stats() is None and ep.association(12345).state is None


def test_exception_hierarchy() -> None:
    assert issubclass(anysctp.AssociationAbortedError, anysctp.AssociationClosedError)
    assert issubclass(anysctp.TimeoutError, TimeoutError) and issubclass(anysctp.TimeoutError, anysctp.Error)
    assert anysctp.WouldBlockError is anysctp.BufferFullError
    assert issubclass(anysctp.BufferFullError, BlockingIOError)
    for name in anysctp.exceptions.__all__:
        assert issubclass(getattr(anysctp, name), anysctp.Error)


def test_events_are_frozen_and_matchable() -> None:
    m = events.Message(1, 2, 51, False, b"x")
    with pytest.raises(Exception):
        m.stream = 3  # type: ignore[misc]
    assert m == events.Message(1, 2, 51, False, b"x")
    assert events.Message.__match_args__ == ("association", "stream", "ppid", "unordered", "data")
    assert "3 bytes" in repr(events.Message(1, 0, 0, False, b"abc"))


def test_socket_options() -> None:
    s = anysctp.socket()
    s.setsockopt(anysctp.SCTP_INITMSG, (16, 16, 4))
    assert s.getsockopt(anysctp.SCTP_INITMSG) == (16, 16, 4)
    s.setsockopt(anysctp.SCTP_NODELAY, True)
    assert s.getsockopt(anysctp.SCTP_NODELAY) is True
    with pytest.raises(anysctp.ConfigError, match="unknown option"):
        s.setsockopt("SO_NOPE", 1)
    with pytest.raises(anysctp.InvalidStateError, match="connect"):
        s.sendmsg(b"x")
