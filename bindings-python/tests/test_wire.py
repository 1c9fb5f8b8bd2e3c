"""anysctp.wire: packets, chunks, parameters and causes as objects, checked
against the shared vectors (tests/vectors/ at the repository root)."""

import dataclasses
import json
import pathlib
from typing import Any, Dict

import pytest

import anysctp
from anysctp import wire
from anysctp.wire import (
    Abort,
    CookieAck,
    Data,
    Heartbeat,
    HeartbeatInfo,
    Init,
    IPv4Address,
    Packet,
    RawChunk,
    Sack,
    UnknownChunk,
    UserInitiatedAbort,
)

ROOT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"
VECTORS = json.loads((ROOT / "sctp-packets.json").read_text())
MALFORMED = json.loads((ROOT / "malformed.json").read_text())


def _plain(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def _check(obj: Any, expected: Dict[str, Any], where: str) -> None:
    """Every field the JSON gives matches the object's attribute of the same
    name (``*_hex`` fields against the bytes attribute without the suffix)."""
    for key, want in expected.items():
        here = f"{where}.{key}"
        if key.endswith("_hex"):
            assert bytes(getattr(obj, key[:-4])).hex() == want, here
        elif key in ("params", "causes"):
            got = getattr(obj, key)
            assert len(got) == len(want), here
            for i, (g, w) in enumerate(zip(got, want)):
                _check(g, w, f"{here}[{i}]")
        elif key == "streams":
            got = getattr(obj, key)
            assert len(got) == len(want), here
            for g, w in zip(got, want):
                for k, v in w.items():
                    assert getattr(g, k) == v, here
        else:
            assert _plain(getattr(obj, key)) == want, here


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_fields_and_re_emit(vector: Dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    packet = wire.parse_packet(data)
    _check(packet, vector["packet"], vector["name"])
    assert len(packet.chunks) == len(vector["chunks"])
    for i, (chunk, want) in enumerate(zip(packet.chunks, vector["chunks"])):
        _check(chunk, want, f"{vector['name']}.chunks[{i}]")
    # Re-emitted byte for byte, by to_bytes() and by bytes().
    assert packet.to_bytes() == data
    assert bytes(packet) == data
    # Rebuilt from its fields, every chunk encodes to the same bytes.
    rebuilt = Packet(packet.src_port, packet.dst_port, packet.verification_tag, [dataclasses.replace(c) for c in packet.chunks])
    assert rebuilt == packet and hash(rebuilt) == hash(packet)
    assert rebuilt.to_bytes() == data


@pytest.mark.parametrize("vector", MALFORMED, ids=[v["name"] for v in MALFORMED])
def test_malformed_vectors(vector: Dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    if vector["reject_by"] == "parser":
        with pytest.raises(wire.WireError, match="malformed SCTP packet: .+") as e:
            wire.parse_packet(data)
        assert isinstance(e.value, anysctp.ProtocolError) and isinstance(e.value, anysctp.Error)
    else:
        # Well-formed bytes that break a rule the association enforces: the
        # codec gives the objects, the endpoint rejects them.
        assert wire.parse_packet(data).to_bytes() == data


def test_messages_say_what_is_wrong() -> None:
    by_name = {v["name"]: bytes.fromhex(v["hex"]) for v in MALFORMED}
    with pytest.raises(wire.WireError, match="bad checksum"):
        wire.parse_packet(by_name["bad_checksum"])
    with pytest.raises(wire.WireError, match="shorter than the 12-byte common header"):
        wire.parse_packet(by_name["truncated_common_header"])
    with pytest.raises(wire.WireError, match="runs past the end"):
        wire.parse_packet(by_name["chunk_length_past_end"])


def test_crafting_a_data_chunk_with_a_wrong_length() -> None:
    data = Data(tsn=1, stream_id=0, ssn=0, ppid=51, payload=b"hello")
    assert data.flags == 0x03 and data.length == 21
    ok = Packet(5000, 5001, 0x1234ABCD, [data]).to_bytes()
    assert wire.parse_packet(ok).chunks == (data,)
    # The length field says 12: shorter than DATA's 16-byte fixed part.
    short = dataclasses.replace(data.raw(), length_field=12, padding=0)
    bad = Packet(5000, 5001, 0x1234ABCD, [short]).to_bytes()
    assert bad[12:16] == bytes([0, 3, 0, 12])
    with pytest.raises(wire.WireError):
        wire.parse_packet(bad)
    # A length past the end of the packet.
    with pytest.raises(wire.WireError, match="runs past the end"):
        wire.parse_packet(Packet(1, 2, 3, [dataclasses.replace(data.raw(), length_field=200)]).to_bytes())


def test_checksum_choices() -> None:
    packet = Packet(5000, 5001, 7, [CookieAck()])
    good = packet.to_bytes()
    assert wire.verify_checksum(good)
    assert wire.parse_packet(good).checksum == wire.checksum(good)
    zero = packet.to_bytes(checksum=False)
    assert zero[8:12] == bytes(4) and zero[12:] == good[12:]
    wrong = packet.to_bytes(checksum=0xDEADBEEF)
    assert wrong[8:12] == bytes.fromhex("deadbeef")
    with pytest.raises(wire.WireError, match="bad checksum"):
        wire.parse_packet(wrong)
    parsed = wire.parse_packet(wrong, verify_checksum=False)
    assert parsed == packet and parsed.checksum == 0xDEADBEEF


def test_objects_are_immutable_hashable_and_readable() -> None:
    init = Init(1, 65536, 10, 10, 100, [IPv4Address("192.0.2.1")])
    assert init.params == (IPv4Address("192.0.2.1"),)  # lists become tuples
    with pytest.raises(dataclasses.FrozenInstanceError):
        init.a_rwnd = 5  # type: ignore[misc]
    assert {init: 1}[Init(1, 65536, 10, 10, 100, (IPv4Address("192.0.2.1"),))] == 1
    assert repr(Sack(5, 1000, [(2, 3)])) == (
        "Sack(cumulative_tsn_ack=5, a_rwnd=1000, gap_blocks=(GapBlock(start=2, end=3),), duplicate_tsns=())"
    )
    assert Sack(5, 1000) != Sack(6, 1000)
    assert bytes(HeartbeatInfo(b"abc")) == bytes.fromhex("00010007616263")


def test_unknown_chunks_and_causes_round_trip() -> None:
    unknown = UnknownChunk(0xB0, 0x02, b"\x01\x02\x03")
    abort = Abort([UserInitiatedAbort(b"bye")], t_bit=True)
    packet = Packet(1, 2, 3, [unknown, abort, Heartbeat([HeartbeatInfo(b"x")])])
    back = wire.parse_packet(packet.to_bytes())
    assert back == packet
    assert back.chunks[0].action == "skip" and back.chunks[1].flags == 1
    # Unknown parameter/cause types are kept whole too.
    raw = wire.UnknownParam(0x8123, b"zz")
    assert wire.parse_params(bytes(raw)) == (raw,)
    assert raw.action == "skip" and raw.length == 6
    cause = wire.UnknownCause(0x77, b"\x00\x01")
    assert wire.parse_causes(bytes(cause)) == (cause,)


def test_raw_chunk_of_a_known_type_names_it() -> None:
    raw = RawChunk(0, 3, b"\x00" * 12)
    assert raw.type == "DATA" and raw.length == 16
    # A DATA chunk with no user data parses (the association rejects it).
    chunk = wire.parse_packet(Packet(1, 2, 3, [raw]).to_bytes()).chunks[0]
    assert isinstance(chunk, Data) and chunk.payload == b""
