"""Stream reconfiguration (RFC 6525), SCTP-AUTH (RFC 4895) and dynamic
addresses (RFC 5061) through the sans-IO API, two endpoints in memory."""

from typing import Any, List, Optional, Tuple

import pytest

import anysctp
from anysctp import (
    AddressRequestResult,
    AssociationReset,
    Authentication,
    AuthConfig,
    AuthIndication,
    Connected,
    Endpoint,
    Link,
    Message,
    ReconfigResult,
    ResetDirection,
    StreamDirection,
    StreamsAdded,
    StreamsReset,
    wire,
)

SECRET = b"a shared secret of both sides"


def pair(filter: Any = None, **settings: Any) -> Tuple[Link, anysctp.Association]:
    a = Endpoint(5000, seed=bytes([1]) * 32, **settings)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, **settings)
    return connect(a, b, filter)


def connect(a: Endpoint, b: Endpoint, filter: Any = None) -> Tuple[Link, anysctp.Association]:
    link = Link(a, b, filter=filter, delay=0.005)
    assoc = a.connect(link.now, link.b_address, 5000)
    assert link.run(lambda: any(isinstance(e, Connected) for e in link.events_b), timeout=60)
    assert link.run(lambda: any(isinstance(e, Connected) for e in link.events_a), timeout=60)
    return link, assoc


def of(kind: Any, events: List[anysctp.Event]) -> List[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_reset_stream_restarts_numbering_and_both_sides_see_it() -> None:
    ssns: List[Tuple[int, int]] = []

    def watch(direction: str, datagram: bytes) -> Optional[bytes]:
        if direction == "a>b":
            for c in wire.parse_packet(datagram).chunks:
                if isinstance(c, wire.Data) and c.stream_id == 1:
                    ssns.append((c.ssn, c.payload[0]))
        return datagram

    link, assoc = pair(watch)
    for i in range(3):
        assoc.send(link.now, bytes([i]) * 10, stream=1)
    assert link.run(lambda: len(of(Message, link.events_b)) == 3, timeout=60)
    assoc.reset_streams(link.now, [1])
    # Sent after the request: held until the peer answers, then numbered from 0.
    assoc.send(link.now, bytes([3]) * 10, stream=1)
    assoc.send(link.now, bytes([4]) * 10, stream=1)
    assert link.run(lambda: len(of(Message, link.events_b)) == 5, timeout=60)

    assert of(StreamsReset, link.events_a) == [
        StreamsReset(assoc.id, StreamDirection.OUTGOING, (1,), ReconfigResult.SUCCESS)
    ]
    incoming = of(StreamsReset, link.events_b)
    assert len(incoming) == 1
    assert (incoming[0].direction, incoming[0].streams, incoming[0].result) == (
        StreamDirection.INCOMING,
        (1,),
        ReconfigResult.SUCCESS,
    )
    # Messages before and after, in order, with the reset event between them.
    kinds = [e.data[0] if isinstance(e, Message) else "reset" for e in link.events_b if isinstance(e, (Message, StreamsReset))]
    assert kinds == [0, 1, 2, "reset", 3, 4]
    assert [ssn for ssn, _ in sorted(set(ssns), key=lambda x: x[1])] == [0, 1, 2, 0, 1]


def test_add_streams_reports_the_new_counts() -> None:
    link, assoc = pair(outbound_streams=4, max_inbound_streams=8)
    assoc.add_streams(link.now, 2)
    assert link.run(lambda: bool(of(StreamsAdded, link.events_a)), timeout=60)
    added = of(StreamsAdded, link.events_a)[0]
    assert (added.outbound_streams, added.result) == (6, ReconfigResult.SUCCESS)
    assoc.send(link.now, b"on a new stream", stream=5)
    assert link.run(lambda: any(m.stream == 5 for m in of(Message, link.events_b)), timeout=60)


def test_refused_reset_and_reconfig_errors() -> None:
    link, assoc = pair()
    b_assoc = link.b.association(of(Connected, link.events_b)[0].association)
    b_assoc.set_reconfig_policy(accept_stream_reset=False)
    assoc.reset_streams(link.now, [0])
    with pytest.raises(anysctp.ReconfigInProgressError, match="wait for its StreamsReset"):
        assoc.reset_streams(link.now, [1])
    assert link.run(lambda: bool(of(StreamsReset, link.events_a)), timeout=60)
    assert of(StreamsReset, link.events_a)[0].result == ReconfigResult.DENIED
    with pytest.raises(anysctp.InvalidReconfigError):
        assoc.reset_streams(link.now, [])
    with pytest.raises(anysctp.InvalidStreamError):
        assoc.reset_streams(link.now, [500])
    with pytest.raises(anysctp.InvalidReconfigError):
        assoc.add_streams(link.now, 0)

    link2, no_reconfig = pair(reconfig=False)
    with pytest.raises(anysctp.ReconfigUnavailableError, match="stream re-configuration unavailable"):
        no_reconfig.reset_streams(link2.now, [0])
    with pytest.raises(anysctp.AssociationClosedError):
        link2.a.reset_streams(link2.now, 12345, [0])


def test_association_reset_mid_traffic_restarts_tsns_and_ssns() -> None:
    # (direction, tsn, stream, ssn, first payload byte) of every DATA chunk.
    data: List[Tuple[str, int, int, int, int]] = []

    def watch(direction: str, datagram: bytes) -> Optional[bytes]:
        for c in wire.parse_packet(datagram).chunks:
            if isinstance(c, wire.Data):
                data.append((direction, c.tsn, c.stream_id, c.ssn, c.payload[0]))
        return datagram

    link, assoc = pair(watch)
    b_assoc = link.b.association(of(Connected, link.events_b)[0].association)
    b_assoc.set_reconfig_policy(accept_ssn_tsn_reset=True)
    for i in range(3):
        assoc.send(link.now, bytes([i]) * 10, stream=1)
        b_assoc.send(link.now, bytes([100 + i]) * 10, stream=2)
    # Mid-traffic: once the three messages each way are on the wire.
    assert link.run(lambda: sorted(d for d, *_ in data) == ["a>b"] * 3 + ["b>a"] * 3, timeout=60)
    assoc.reset_association(link.now)
    assoc.send(link.now, bytes([3]) * 10, stream=1)
    assoc.send(link.now, bytes([4]) * 10, stream=1)
    assert link.run(lambda: len(of(Message, link.events_b)) == 5 and bool(of(AssociationReset, link.events_b)), timeout=60)
    assert link.run(lambda: bool(of(AssociationReset, link.events_a)), timeout=60)
    b_assoc.send(link.now, bytes([103]) * 10, stream=2)
    assert link.run(lambda: len(of(Message, link.events_a)) == 4, timeout=60)

    [ours] = of(AssociationReset, link.events_a)
    [theirs] = of(AssociationReset, link.events_b)
    assert ours.result is ReconfigResult.SUCCESS and theirs.result is ReconfigResult.SUCCESS
    # Both sides agree on the new numbering, seen from each side.
    assert (ours.local_tsn, ours.remote_tsn) == (theirs.remote_tsn, theirs.local_tsn)

    def first(direction: str, payload: int) -> Tuple[int, int]:
        tsn, ssn = next((t, n) for d, t, _, n, p in data if d == direction and p == payload)
        return tsn, ssn

    # The first DATA after the reset carries the TSN the event announced,
    # with SSN 0; the next follows it.
    assert first("a>b", 3) == (ours.local_tsn, 0)
    assert first("a>b", 4) == ((ours.local_tsn + 1) % 2**32, 1)
    assert first("b>a", 103) == (theirs.local_tsn, 0)
    # Every message arrived once and in order, the reset after the old ones.
    kinds = [e.data[0] if isinstance(e, Message) else "reset" for e in link.events_b if isinstance(e, (Message, AssociationReset))]
    assert kinds == [0, 1, 2, "reset", 3, 4]
    assert [m.data[0] for m in of(Message, link.events_a)] == [100, 101, 102, 103]


def test_association_reset_refused_by_the_default_policy() -> None:
    ssns: List[int] = []

    def watch(direction: str, datagram: bytes) -> Optional[bytes]:
        if direction == "a>b":
            ssns.extend(c.ssn for c in wire.parse_packet(datagram).chunks if isinstance(c, wire.Data))
        return datagram

    link, assoc = pair(watch)
    assoc.send(link.now, b"\x00 before", stream=1)
    assert link.run(lambda: len(of(Message, link.events_b)) == 1, timeout=60)
    assoc.reset_association(link.now)
    with pytest.raises(anysctp.ReconfigInProgressError):
        assoc.reset_association(link.now)
    assoc.send(link.now, b"\x01 after", stream=1)
    assert link.run(lambda: bool(of(AssociationReset, link.events_a)), timeout=60)
    [denied] = of(AssociationReset, link.events_a)
    assert denied.result is ReconfigResult.DENIED
    assert link.run(lambda: len(of(Message, link.events_b)) == 2, timeout=60)
    # Nothing was reset: the held message went with the old numbering.
    assert ssns == [0, 1]
    assert not of(AssociationReset, link.events_b)

    link2, no_reconfig = pair(reconfig=False)
    with pytest.raises(anysctp.ReconfigUnavailableError):
        no_reconfig.reset_association(link2.now)


def test_incoming_reset_makes_the_peer_restart_its_stream() -> None:
    ssns: List[Tuple[int, int]] = []

    def watch(direction: str, datagram: bytes) -> Optional[bytes]:
        if direction == "b>a":
            for c in wire.parse_packet(datagram).chunks:
                if isinstance(c, wire.Data) and c.stream_id == 1:
                    ssns.append((c.ssn, c.payload[0]))
        return datagram

    link, assoc = pair(watch)
    b_assoc = link.b.association(of(Connected, link.events_b)[0].association)
    for i in range(2):
        b_assoc.send(link.now, bytes([i]) * 10, stream=1)
    assert link.run(lambda: len(of(Message, link.events_a)) == 2, timeout=60)
    assoc.reset_streams(link.now, [1], direction=ResetDirection.INCOMING)
    assert link.run(lambda: bool(of(StreamsReset, link.events_a)), timeout=60)
    b_assoc.send(link.now, bytes([2]) * 10, stream=1)
    assert link.run(lambda: len(of(Message, link.events_a)) == 3, timeout=60)

    assert of(StreamsReset, link.events_a) == [
        StreamsReset(assoc.id, StreamDirection.INCOMING, (1,), ReconfigResult.SUCCESS)
    ]
    # The peer reset its outgoing stream 1 for us.
    assert [(e.direction, e.streams, e.result) for e in of(StreamsReset, link.events_b)] == [
        (StreamDirection.OUTGOING, (1,), ReconfigResult.SUCCESS)
    ]
    assert [ssn for ssn, _ in sorted(set(ssns), key=lambda x: x[1])] == [0, 1, 0]

    with pytest.raises(ValueError, match="sideways"):
        assoc.reset_streams(link.now, [1], direction="sideways")
    with pytest.raises(anysctp.InvalidReconfigError):
        assoc.reset_streams(link.now, [], direction="both")


def test_incoming_reset_refused_by_the_peer() -> None:
    link, assoc = pair()
    b_assoc = link.b.association(of(Connected, link.events_b)[0].association)
    b_assoc.set_reconfig_policy(accept_stream_reset=False)
    assoc.reset_streams(link.now, [], direction="incoming")
    assert link.run(lambda: bool(of(StreamsReset, link.events_a)), timeout=60)
    assert of(StreamsReset, link.events_a) == [
        StreamsReset(assoc.id, StreamDirection.INCOMING, (), ReconfigResult.DENIED)
    ]


def test_add_incoming_streams_lets_the_peer_send_on_them() -> None:
    link, assoc = pair(outbound_streams=4, max_inbound_streams=8)
    b_assoc = link.b.association(of(Connected, link.events_b)[0].association)
    assoc.add_streams(link.now, 1, incoming=2)
    assert link.run(lambda: len(of(StreamsAdded, link.events_a)) == 2, timeout=60)
    # The peer added its outgoing streams with its own request.
    assert link.run(lambda: len(of(StreamsAdded, link.events_b)) == 2, timeout=60)
    assert of(StreamsAdded, link.events_b)[-1].outbound_streams == 6
    counts = [(e.inbound_streams, e.outbound_streams, e.result) for e in of(StreamsAdded, link.events_a)]
    assert counts[-1] == (6, 5, ReconfigResult.SUCCESS)
    assert all(r is ReconfigResult.SUCCESS for _, _, r in counts)
    b_assoc.send(link.now, b"on a new stream", stream=5)
    assert link.run(lambda: any(m.stream == 5 for m in of(Message, link.events_a)), timeout=60)
    with pytest.raises(anysctp.InvalidReconfigError):
        assoc.add_streams(link.now, 0, incoming=0)


def test_auth_with_a_shared_key_authenticates_data() -> None:
    auth_chunks: List[int] = []

    def watch(direction: str, datagram: bytes) -> Optional[bytes]:
        chunks = wire.parse_packet(datagram).chunks
        for i, c in enumerate(chunks):
            if isinstance(c, wire.Data):
                # RFC 4895 §6.2: the AUTH chunk precedes the chunks it covers.
                assert any(isinstance(p, wire.Auth) for p in chunks[:i])
                auth_chunks.extend(p.shared_key_id for p in chunks[:i] if isinstance(p, wire.Auth))
        return datagram

    cfg = AuthConfig(chunks=(0,), hmac_algorithms=("sha256", "sha1"))
    a = Endpoint(5000, seed=bytes([1]) * 32, auth=cfg)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, auth=cfg)
    for ep in (a, b):
        ep.set_auth_key(1, SECRET)
        ep.set_active_auth_key(1)
        assert ep.active_auth_key() == 1
    link, assoc = connect(a, b, watch)
    # DATA as asked; ASCONF (0xC1) and ASCONF-ACK (0x80) always (RFC 5061 §4.1).
    assert assoc.local_auth_chunks == [0, 0x80, 0xC1]
    assert 0 in assoc.peer_auth_chunks
    for i in range(5):
        assoc.send(link.now, b"authenticated %d" % i)
    assert link.run(lambda: len(of(Message, link.events_b)) == 5, timeout=60)
    assert [m.data for m in of(Message, link.events_b)] == [b"authenticated %d" % i for i in range(5)]
    assert auth_chunks and set(auth_chunks) == {1}
    assert Authentication(of(Connected, link.events_b)[0].association, 1, AuthIndication.NEW_KEY) in link.events_b


def test_auth_with_different_keys_delivers_nothing() -> None:
    cfg = AuthConfig(chunks=(0,))
    a = Endpoint(5000, seed=bytes([1]) * 32, auth=cfg)
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, auth=cfg)
    a.set_auth_key(1, SECRET)
    b.set_auth_key(1, b"another secret")
    a.set_active_auth_key(1)
    b.set_active_auth_key(1)
    link, assoc = connect(a, b)
    assoc.send(link.now, b"forged?")
    link.run(timeout=5)
    assert of(Message, link.events_b) == []


def test_auth_peer_without_auth_gets_no_auth_event() -> None:
    a = Endpoint(5000, seed=bytes([1]) * 32, auth=AuthConfig())
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32)
    link, assoc = connect(a, b)
    assert Authentication(assoc.id, 0, AuthIndication.NO_AUTH) in link.events_a
    assert assoc.peer_auth_chunks == [] and assoc.local_auth_chunks == []


def test_auth_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(anysctp.ConfigError, match="must include HmacAlgorithm::Sha1"):
        Endpoint(auth=AuthConfig(hmac_algorithms=("sha256",)))
    with pytest.raises(anysctp.ConfigError, match=r"must not list INIT \(1\)"):
        Endpoint(auth=AuthConfig(chunks=(1,)))
    with pytest.raises(anysctp.ConfigError, match='unknown algorithm "md5"'):
        Endpoint(auth=AuthConfig(hmac_algorithms=("md5", "sha1")))
    with pytest.raises(anysctp.ConfigError, match="chunk type ints"):
        Endpoint(auth=AuthConfig(chunks=(300,)))
    ep = Endpoint(seed=bytes(32), auth=AuthConfig())
    with pytest.raises(anysctp.AuthError, match="SCTP-AUTH"):
        ep.set_active_auth_key(7)  # no such key
    with pytest.raises(anysctp.AuthError):
        ep.set_auth_key(2, bytes(1025))
    ep.set_auth_key(2, b"k")
    with pytest.raises(anysctp.AuthError):
        ep.delete_auth_key(0)  # the active key: deactivate it first
    with pytest.raises(anysctp.AssociationClosedError):
        ep.set_auth_key(1, b"k", association=999)
    with pytest.raises(TypeError):
        ep.set_auth_key(1, "text")  # type: ignore[arg-type]


def test_key_rotation_frees_the_old_key() -> None:
    link, assoc = pair(auth=AuthConfig(chunks=(0,)))
    b_id = of(Connected, link.events_b)[0].association
    for ep, aid in ((link.a, assoc.id), (link.b, b_id)):
        ep.set_auth_key(3, SECRET, association=aid)
        ep.set_active_auth_key(3, association=aid)
    assoc.send(link.now, b"with key 3")
    assert link.run(lambda: len(of(Message, link.events_b)) == 1, timeout=60)
    assert Authentication(b_id, 3, AuthIndication.NEW_KEY) in link.events_b
    link.b.send(link.now, b_id, 0, b"back with key 3")
    assert link.run(lambda: len(of(Message, link.events_a)) == 1, timeout=60)
    link.a.deactivate_auth_key(0, association=assoc.id)
    link.run(lambda: Authentication(assoc.id, 0, AuthIndication.FREE_KEY) in link.events_a, timeout=10)
    assert Authentication(assoc.id, 0, AuthIndication.FREE_KEY) in link.events_a
    link.a.delete_auth_key(0, association=assoc.id)
    assert link.a.active_auth_key(assoc.id) == 3


def test_local_addresses_add_and_remove() -> None:
    ep = Endpoint(seed=bytes(32), local_addresses=["10.0.0.1"])
    assert ep.local_addresses == ["10.0.0.1"] and ep.auto_asconf
    ep.add_local_address(1.0, "10.0.1.1")
    assert ep.local_addresses == ["10.0.0.1", "10.0.1.1"]
    with pytest.raises(anysctp.AddressError, match="already one of ours"):
        ep.add_local_address(1.0, "10.0.1.1")
    with pytest.raises(anysctp.AddressError, match="unicast"):
        ep.add_local_address(1.0, "0.0.0.0")
    ep.remove_local_address(1.0, "10.0.0.1")
    assert ep.local_addresses == ["10.0.1.1"]
    with pytest.raises(anysctp.AddressError, match="last address"):
        ep.remove_local_address(1.0, "10.0.1.1")
    with pytest.raises(anysctp.AddressError, match="not one of this endpoint's addresses"):
        ep.remove_local_address(1.0, "10.9.9.9")
    with pytest.raises(ValueError, match="not an IP address"):
        ep.add_local_address(1.0, "example.org")
    ep.auto_asconf = False
    assert not ep.auto_asconf


def test_set_peer_primary_errors_and_answer() -> None:
    # ASCONF runs only over SCTP-AUTH (RFC 5061 §4.2).
    a = Endpoint(5000, seed=bytes([1]) * 32, local_addresses=["10.0.0.1"], auth=AuthConfig())
    b = Endpoint(5000, accept_incoming=True, seed=bytes([2]) * 32, auth=AuthConfig())
    link, assoc = connect(a, b)
    with pytest.raises(anysctp.AddressError, match="add it first"):
        assoc.set_peer_primary(link.now, "10.7.7.7")
    assoc.set_peer_primary(link.now, "10.0.0.1")
    assert link.run(lambda: bool(of(AddressRequestResult, link.events_a)), timeout=60)
    r = of(AddressRequestResult, link.events_a)[0]
    assert (r.request, r.address) == (anysctp.AddressRequestKind.SET_PEER_PRIMARY, "10.0.0.1")
    assert r.outcome == anysctp.AddressRequestOutcome.ACCEPTED

    c = Endpoint(5000, seed=bytes([3]) * 32, local_addresses=["10.0.0.1"], auth=AuthConfig())
    d = Endpoint(5000, accept_incoming=True, seed=bytes([4]) * 32, auth=AuthConfig(), asconf=False)
    link2, no_asconf = connect(c, d)
    with pytest.raises(anysctp.InvalidStateError, match="does not support dynamic address reconfiguration"):
        no_asconf.set_peer_primary(link2.now, "10.0.0.1")
