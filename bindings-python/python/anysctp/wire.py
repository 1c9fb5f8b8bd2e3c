"""Packet-level helpers: SCTP checksums (RFC 9260 §6.8, Appendix A) and pcap
captures of SCTP over UDP (RFC 6951).

The checksum field is read in network byte order, as Wireshark shows it.
"""

from typing import Iterable, List, Tuple

from . import _anysctp
from ._sansio import Address, Buffer

__all__ = [
    "crc32c",
    "checksum",
    "verify_checksum",
    "fix_checksum",
    "pcap_write",
    "pcap_read",
    "encapsulate_udp",
    "decapsulate_udp",
]


def crc32c(data: Buffer) -> int:
    """CRC32c (Castagnoli) of ``data``."""
    return _anysctp.crc32c(data)


def checksum(packet: Buffer) -> int:
    """The checksum ``packet`` must carry (its field zeroed for the computation)."""
    return _anysctp.checksum(packet)


def verify_checksum(packet: Buffer) -> bool:
    """Whether the packet's checksum is right. Raises ProtocolError below 12 bytes."""
    return _anysctp.verify_checksum(packet)


def fix_checksum(packet: Buffer) -> bytes:
    """``packet`` with a correct checksum (e.g. after editing it)."""
    return _anysctp.fix_checksum(packet)


def pcap_write(records: Iterable[Tuple[float, Buffer]], *, ethernet: bool = False) -> bytes:
    """A pcap capture of ``(timestamp seconds, ip_packet)`` records (LINKTYPE_RAW, or Ethernet)."""
    return _anysctp.pcap_write(records, ethernet)


def pcap_read(capture: Buffer) -> List[Tuple[float, bytes]]:
    """The ``(timestamp seconds, ip_packet)`` records of a pcap capture."""
    return _anysctp.pcap_read(capture)


def encapsulate_udp(src: Address, dst: Address, sctp_packet: Buffer) -> bytes:
    """An IPv4/IPv6 + UDP packet carrying ``sctp_packet`` (for captures)."""
    return _anysctp.encapsulate_udp(src, dst, sctp_packet)


def decapsulate_udp(ip_packet: Buffer) -> Tuple[Address, Address, bytes]:
    """``(src, dst, payload)`` of a UDP datagram in an IP packet."""
    return _anysctp.decapsulate_udp(ip_packet)
