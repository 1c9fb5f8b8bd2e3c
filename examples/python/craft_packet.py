"""Build, parse and craft SCTP packets with anysctp.wire, and write a
capture for Wireshark."""

import dataclasses
import pathlib

from anysctp import WireError, wire
from anysctp.wire import Data, Packet, Sack


def main() -> None:
    data = Data(tsn=1000, stream_id=0, ssn=0, ppid=51, payload=b"hello")
    good = Packet(5000, 5000, 0x1234ABCD, [data, Sack(cumulative_tsn_ack=7, a_rwnd=65536, gap_blocks=[(2, 3)])])
    encoded = good.to_bytes()
    parsed = wire.parse_packet(encoded)
    assert parsed == good
    for chunk in parsed.chunks:
        print(chunk)

    # Malformed on purpose: a DATA chunk whose length field claims 99 bytes,
    # and a packet with a wrong checksum.
    too_long = Packet(5000, 5000, 0x1234ABCD, [dataclasses.replace(data.raw(), length_field=99)]).to_bytes()
    bad_checksum = good.to_bytes(checksum=0xDEADBEEF)
    for crafted in (too_long, bad_checksum):
        try:
            wire.parse_packet(crafted)
        except WireError as e:
            print(f"rejected: {e}")

    records = [
        (float(i), wire.encapsulate_udp(("192.0.2.1", 9899), ("192.0.2.2", 9899), p))
        for i, p in enumerate([encoded, too_long, bad_checksum])
    ]
    out = pathlib.Path("crafted.pcap")
    out.write_bytes(wire.pcap_write(records))
    print(f"wrote {out} with {len(records)} packets")


if __name__ == "__main__":
    main()
