"""Craft a packet with a bad checksum and write a capture for Wireshark."""

import pathlib
import struct

from anysctp import wire


def main() -> None:
    # DATA chunk whose length field claims 99 bytes (malformed on purpose).
    chunk = struct.pack("!BBHIHHI", 0, 0x03, 99, 1000, 0, 0, 51) + b"hello\x00\x00\x00"
    header = struct.pack("!HHII", 5000, 5000, 0x1234ABCD, 0)
    packet = wire.fix_checksum(header + chunk)
    assert wire.verify_checksum(packet)
    bad_checksum = packet[:8] + b"\xde\xad\xbe\xef" + packet[12:]
    records = [
        (float(i), wire.encapsulate_udp(("192.0.2.1", 9899), ("192.0.2.2", 9899), p))
        for i, p in enumerate([packet, bad_checksum])
    ]
    out = pathlib.Path("crafted.pcap")
    out.write_bytes(wire.pcap_write(records))
    print(f"wrote {out} with {len(records)} packets; checksum {wire.checksum(packet):#010x}")


if __name__ == "__main__":
    main()
