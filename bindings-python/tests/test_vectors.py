"""The shared vectors (tests/vectors/sctp-packets.json at the repository root)."""

import json
import pathlib
import struct

import pytest

from anysctp import ProtocolError, wire

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "sctp-packets.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_header_and_checksum(vector: dict) -> None:
    packet = bytes.fromhex(vector["hex"])
    src, dst, vtag, csum = struct.unpack("!HHII", packet[:12])
    fields = vector["packet"]
    assert (src, dst, vtag, csum) == (
        fields["src_port"],
        fields["dst_port"],
        fields["verification_tag"],
        fields["checksum"],
    )
    assert wire.verify_checksum(packet)
    assert wire.checksum(packet) == fields["checksum"]
    # Re-emitted byte for byte: fixing a correct packet changes nothing, and
    # a broken checksum is repaired to the same bytes.
    assert wire.fix_checksum(packet) == packet
    broken = bytearray(packet)
    broken[8] ^= 0xFF
    assert not wire.verify_checksum(broken)
    assert wire.fix_checksum(memoryview(broken)) == packet


def test_vectors_through_a_pcap_capture() -> None:
    packets = [bytes.fromhex(v["hex"]) for v in VECTORS]
    records = [
        (i * 0.001, wire.encapsulate_udp(("192.0.2.1", 9899), ("192.0.2.2", 9899), p)) for i, p in enumerate(packets)
    ]
    for ethernet in (False, True):
        capture = wire.pcap_write(records, ethernet=ethernet)
        back = wire.pcap_read(capture)
        assert [round(ts, 6) for ts, _ in back] == [round(ts, 6) for ts, _ in records]
        for (_, ip), p in zip(back, packets):
            src, dst, payload = wire.decapsulate_udp(ip)
            assert (src, dst, payload) == (("192.0.2.1", 9899), ("192.0.2.2", 9899), p)


def test_crc32c_known_value() -> None:
    # RFC 3720 B.4: 32 bytes of zeros.
    assert wire.crc32c(bytes(32)) == 0x8A9136AA


def test_short_packets_and_bad_captures_raise_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="12-byte common header"):
        wire.verify_checksum(b"\x00" * 11)
    with pytest.raises(ProtocolError):
        wire.pcap_read(b"not a capture")
    with pytest.raises(ProtocolError):
        wire.decapsulate_udp(b"\x45\x00")
