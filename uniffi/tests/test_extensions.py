"""The extensions through the uniffi bindings from Python (the generated
module), two endpoints over an in-memory link in virtual time: the config
record (pf_max_retrans, max_init_timeout, auth), stream reconfiguration
(RFC 6525), SCTP-AUTH keys (RFC 4895) and ASCONF (RFC 5061), with their
events, shaped as the Python package's."""
import sys

import anysctp_uniffi as sctp
from link import Link

A, B = "10.0.0.1:9899", "10.0.0.2:9899"
E = sctp.SctpEvent


def config(**changes):
    c = sctp.default_config()
    for k, v in changes.items():
        setattr(c, k, v)
    return c


def pair(cfg=None, a_local=(), b_local=()):
    cfg = cfg or sctp.default_config()
    a = sctp.SctpEndpoint.with_config(5001, False, bytes(32), cfg, list(a_local))
    b = sctp.SctpEndpoint.with_config(5002, True, bytes([1] * 32), cfg, list(b_local))
    link = Link(a, b, A, B)
    assoc = a.connect(link.now, B, 5002)
    assert link.run(lambda: link.of(0, E.CONNECTED) and link.of(1, E.CONNECTED)), "no association"
    return link, assoc, link.of(1, E.CONNECTED)[0].association


def expect_error(kind, f):
    try:
        f()
    except kind as e:
        assert e.detail, "an error says what to change"
        return
    raise AssertionError(f"no {kind.__name__}")


def test_config():
    d = sctp.default_config()
    assert d.pf_max_retrans == 0 and d.max_init_timeout is None and d.auth is None
    assert d.reconfig and d.asconf and d.outbound_streams == 10
    bad = lambda **c: lambda: sctp.SctpEndpoint.with_config(1, False, bytes(32), config(**c), [])
    expect_error(sctp.SctpError.InvalidArgument, bad(pf_max_retrans=5))  # not below max_path_retransmits
    expect_error(sctp.SctpError.InvalidArgument, bad(max_init_timeout=-1.0))
    expect_error(sctp.SctpError.InvalidArgument, bad(max_init_timeout=0.0))
    expect_error(sctp.SctpError.InvalidArgument, bad(auth=sctp.SctpAuthConfig(chunks=[], hmac_algorithms=["md5"])))
    expect_error(sctp.SctpError.InvalidArgument, bad(auth=sctp.SctpAuthConfig(chunks=[1], hmac_algorithms=["sha1"])))
    sctp.SctpEndpoint.with_config(1, False, bytes(32), config(pf_max_retrans=None), [])

    # max_init_timeout caps the INIT retransmission timeout: toward a peer
    # that never answers, 5 tries take 1 + 4 * 2 s of virtual time instead
    # of 1 + 2 + 4 + 8 + 16.
    def give_up_after(cfg):
        a = sctp.SctpEndpoint.with_config(5001, False, bytes(32), cfg, [])
        now = 1_000_000
        a.connect(now, B, 5002)
        while True:
            while a.poll_transmit(now) is not None:
                pass  # into the void
            e = a.poll_event()
            if isinstance(e, E.CLOSED):
                return (now - 1_000_000) / 1e6
            t = a.poll_timeout()
            assert t is not None and now < 200_000_000
            now = max(now, t)
            a.handle_timeout(now)

    base = config(max_init_retransmits=4, rto_initial=1.0)
    assert give_up_after(base) == 31.0
    assert give_up_after(config(max_init_retransmits=4, rto_initial=1.0, max_init_timeout=2.0)) == 9.0


def test_reconfig():
    link, a_id, b_id = pair()
    a, b = link.a, link.b
    a.send(link.now, a_id, 1, 0, False, b"before")
    a.reset_streams(link.now, a_id, [1])
    assert link.run(lambda: link.of(0, E.STREAMS_RESET) and link.of(1, E.STREAMS_RESET))
    ours, theirs = link.of(0, E.STREAMS_RESET)[0], link.of(1, E.STREAMS_RESET)[0]
    assert (ours.direction, ours.streams, ours.result) == (sctp.StreamDirection.OUTGOING, [1], sctp.ReconfigResult.SUCCESS)
    assert (theirs.association, theirs.direction, theirs.streams) == (b_id, sctp.StreamDirection.INCOMING, [1])
    assert [m.data for m in link.of(1, E.MESSAGE)] == [b"before"]

    a.add_streams(link.now, a_id, 2)
    assert link.run(lambda: link.of(0, E.STREAMS_ADDED) and link.of(1, E.STREAMS_ADDED))
    added = link.of(0, E.STREAMS_ADDED)[0]
    assert (added.outbound_streams, added.result) == (12, sctp.ReconfigResult.SUCCESS)
    assert link.of(1, E.STREAMS_ADDED)[0].inbound_streams == 12

    # The peer refuses both from now on.
    b.set_reconfig_policy(b_id, False, False, 65535)
    a.reset_streams(link.now, a_id, [0])
    expect_error(sctp.SctpError.Refused, lambda: a.add_streams(link.now, a_id, 1))  # one at a time
    assert link.run(lambda: len(link.of(0, E.STREAMS_RESET)) == 2)
    a.add_streams(link.now, a_id, 1)
    assert link.run(lambda: len(link.of(0, E.STREAMS_ADDED)) == 2)
    assert link.of(0, E.STREAMS_RESET)[1].result == sctp.ReconfigResult.DENIED
    denied = link.of(0, E.STREAMS_ADDED)[1]
    assert (denied.result, denied.outbound_streams) == (sctp.ReconfigResult.DENIED, 12)
    expect_error(sctp.SctpError.NoSuchAssociation, lambda: a.reset_streams(link.now, 999, [0]))
    expect_error(sctp.SctpError.Refused, lambda: a.reset_streams(link.now, a_id, []))


def test_association_and_incoming_resets():
    link, a_id, b_id = pair()
    a, b = link.a, link.b
    # The default policy refuses an association reset: nothing changes.
    a.reset_association(link.now, a_id)
    expect_error(sctp.SctpError.Refused, lambda: a.reset_association(link.now, a_id))  # one at a time
    assert link.run(lambda: link.of(0, E.ASSOCIATION_RESET))
    assert link.of(0, E.ASSOCIATION_RESET)[0].result == sctp.ReconfigResult.DENIED
    assert not link.of(1, E.ASSOCIATION_RESET)

    b.set_reconfig_policy_with(b_id, True, True, 65535, True)
    a.send(link.now, a_id, 1, 0, False, b"before")
    a.reset_association(link.now, a_id)
    a.send(link.now, a_id, 1, 0, False, b"after")
    assert link.run(lambda: len(link.of(0, E.ASSOCIATION_RESET)) == 2 and link.of(1, E.ASSOCIATION_RESET))
    ours, theirs = link.of(0, E.ASSOCIATION_RESET)[1], link.of(1, E.ASSOCIATION_RESET)[0]
    assert ours.result == theirs.result == sctp.ReconfigResult.SUCCESS
    assert (ours.local_tsn, ours.remote_tsn) == (theirs.remote_tsn, theirs.local_tsn)
    assert theirs.association == b_id
    assert link.run(lambda: len(link.of(1, E.MESSAGE)) == 2)
    assert [m.data for m in link.of(1, E.MESSAGE)] == [b"before", b"after"]

    # Incoming: the peer resets the stream it sends on.
    a.reset_streams_with(link.now, a_id, [1], sctp.ResetDirection.INCOMING)
    assert link.run(lambda: link.of(0, E.STREAMS_RESET) and link.of(1, E.STREAMS_RESET))
    ours = link.of(0, E.STREAMS_RESET)[0]
    assert (ours.direction, ours.streams, ours.result) == (sctp.StreamDirection.INCOMING, [1], sctp.ReconfigResult.SUCCESS)
    assert link.of(1, E.STREAMS_RESET)[0].direction == sctp.StreamDirection.OUTGOING

    # Incoming streams: the peer adds outgoing ones.
    a.add_streams_with(link.now, a_id, 2, 0)
    assert link.run(lambda: link.of(0, E.STREAMS_ADDED) and link.of(1, E.STREAMS_ADDED))
    assert link.of(0, E.STREAMS_ADDED)[-1].inbound_streams == 12
    assert link.of(1, E.STREAMS_ADDED)[-1].outbound_streams == 12
    expect_error(sctp.SctpError.Refused, lambda: a.add_streams_with(link.now, a_id, 0, 0))


def test_auth():
    auth = sctp.SctpAuthConfig(chunks=[0], hmac_algorithms=["sha256", "sha1"])
    link, a_id, b_id = pair(config(auth=auth))
    a, b = link.a, link.b
    assert 0 in a.peer_auth_chunks(a_id) and 0 in a.local_auth_chunks(a_id)
    assert a.active_auth_key(None) == 0 and a.active_auth_key(a_id) == 0
    secret = b"uniffi shared secret"
    for ep, aid in ((a, a_id), (b, b_id)):
        ep.set_auth_key(3, secret, aid)
        ep.set_active_auth_key(3, aid)
    a.send(link.now, a_id, 0, 0, False, b"with key 3")
    assert link.run(lambda: link.of(1, E.MESSAGE))
    auth_b = link.of(1, E.AUTHENTICATION)
    assert any(e.key_id == 3 and e.indication == sctp.AuthIndication.NEW_KEY for e in auth_b), auth_b
    b.send(link.now, b_id, 0, 0, False, b"back with key 3")
    assert link.run(lambda: link.of(0, E.MESSAGE))
    a.deactivate_auth_key(0, a_id)
    free = lambda: [e for e in link.of(0, E.AUTHENTICATION) if e.indication == sctp.AuthIndication.FREE_KEY]
    assert link.run(free, 10_000_000)
    assert free()[0].key_id == 0 and free()[0].association == a_id
    a.delete_auth_key(0, a_id)
    assert a.active_auth_key(a_id) == 3
    expect_error(sctp.SctpError.Refused, lambda: a.delete_auth_key(3, a_id))  # active
    # The endpoint's own keys (for later associations).
    a.set_auth_key(7, b"k7", None)
    a.set_active_auth_key(7, None)
    assert a.active_auth_key(None) == 7


def test_asconf():
    auth = sctp.SctpAuthConfig(chunks=[], hmac_algorithms=["sha256", "sha1"])
    link, a_id, _ = pair(config(auth=auth), a_local=["10.0.0.1"], b_local=["10.0.0.2"])
    a = link.a
    assert a.local_addresses() == ["10.0.0.1"] and a.auto_asconf()
    results = lambda: link.of(0, E.ADDRESS_REQUEST_RESULT)
    for ip in ("10.0.0.3", "10.0.0.5"):
        link.addrs[0].append(ip + ":9899")
        a.add_local_address(link.now, ip)
    assert link.run(lambda: len(results()) == 2)
    assert [(r.request, r.address, r.outcome, r.cause_code, r.reason) for r in results()] == [
        (sctp.AddressRequestKind.ADD_LOCAL, "10.0.0.3", sctp.AddressRequestOutcome.ACCEPTED, None, ""),
        (sctp.AddressRequestKind.ADD_LOCAL, "10.0.0.5", sctp.AddressRequestOutcome.ACCEPTED, None, ""),
    ]
    a.remove_local_address(link.now, "10.0.0.5")
    a.set_peer_primary(link.now, a_id, "10.0.0.3")
    assert link.run(lambda: len(results()) == 4)
    assert [(r.request, r.address, r.outcome) for r in results()[2:]] == [
        (sctp.AddressRequestKind.REMOVE_LOCAL, "10.0.0.5", sctp.AddressRequestOutcome.ACCEPTED),
        (sctp.AddressRequestKind.SET_PEER_PRIMARY, "10.0.0.3", sctp.AddressRequestOutcome.ACCEPTED),
    ]
    assert a.local_addresses() == ["10.0.0.1", "10.0.0.3"]
    # auto_asconf off: the address stays local, nothing is asked.
    a.set_auto_asconf(False)
    assert not a.auto_asconf()
    a.add_local_address(link.now, "10.0.0.4")
    link.run(lambda: False, 2_000_000)
    assert len(results()) == 4 and "10.0.0.4" in a.local_addresses()
    expect_error(sctp.SctpError.InvalidArgument, lambda: a.add_local_address(link.now, "not an ip"))
    expect_error(sctp.SctpError.InvalidArgument, lambda: a.set_peer_primary(link.now, a_id, "10.9.9.9"))


def main():
    for t in (test_config, test_reconfig, test_association_and_incoming_resets, test_auth, test_asconf):
        t()
    print("uniffi python: config, stream reconfiguration, SCTP-AUTH and ASCONF")


if __name__ == "__main__":
    sys.exit(main())
