#!/usr/bin/env python3
"""Regenerate the language-neutral SCTP test vectors.

    python3 tests/vectors/generate.py

writes `sctp-packets.json` and `malformed.json` next to this file. Self-contained
(standard library only): the packet bytes are built here straight from the RFC
layouts, independently of the Rust codecs they are meant to check. The format
is described in README.md. Every packet is also dissected by tshark in
core/tests/vectors_tshark.rs, an independent check of this encoder.
"""

import ipaddress
import json
import os
import struct

# --------------------------------------------------------------------------
# CRC32c (Castagnoli), reflected polynomial 0x82F63B78. RFC 9260 Appendix A.


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value

# --------------------------------------------------------------------------
# Names and numbers.

CHUNK_TYPES = {
    "DATA": 0, "INIT": 1, "INIT_ACK": 2, "SACK": 3, "HEARTBEAT": 4,
    "HEARTBEAT_ACK": 5, "ABORT": 6, "SHUTDOWN": 7, "SHUTDOWN_ACK": 8,
    "ERROR": 9, "COOKIE_ECHO": 10, "COOKIE_ACK": 11, "ECNE": 12, "CWR": 13,
    "SHUTDOWN_COMPLETE": 14, "AUTH": 15, "I_DATA": 64, "ASCONF_ACK": 0x80,
    "RE_CONFIG": 0x82, "PAD": 0x84, "FORWARD_TSN": 0xC0, "ASCONF": 0xC1,
    "I_FORWARD_TSN": 0xC2,
}

PARAM_TYPES = {
    "HEARTBEAT_INFO": 1, "IPV4_ADDRESS": 5, "IPV6_ADDRESS": 6,
    "STATE_COOKIE": 7, "UNRECOGNIZED_PARAMETER": 8, "COOKIE_PRESERVATIVE": 9,
    "SUPPORTED_ADDRESS_TYPES": 12, "OUTGOING_SSN_RESET_REQUEST": 13,
    "INCOMING_SSN_RESET_REQUEST": 14, "SSN_TSN_RESET_REQUEST": 15,
    "RECONFIGURATION_RESPONSE": 16, "ADD_OUTGOING_STREAMS_REQUEST": 17,
    "ADD_INCOMING_STREAMS_REQUEST": 18, "ECN_CAPABLE": 0x8000,
    "ZERO_CHECKSUM_ACCEPTABLE": 0x8001, "RANDOM": 0x8002, "CHUNK_LIST": 0x8003,
    "REQUESTED_HMAC_ALGORITHM": 0x8004, "PADDING": 0x8005,
    "SUPPORTED_EXTENSIONS": 0x8008, "FORWARD_TSN_SUPPORTED": 0xC000,
    "ADD_IP_ADDRESS": 0xC001, "DELETE_IP_ADDRESS": 0xC002,
    "ERROR_CAUSE_INDICATION": 0xC003, "SET_PRIMARY_ADDRESS": 0xC004,
    "SUCCESS_INDICATION": 0xC005, "ADAPTATION_LAYER_INDICATION": 0xC006,
}

CAUSE_CODES = {
    "INVALID_STREAM_IDENTIFIER": 1, "MISSING_MANDATORY_PARAMETER": 2,
    "STALE_COOKIE": 3, "OUT_OF_RESOURCE": 4, "UNRESOLVABLE_ADDRESS": 5,
    "UNRECOGNIZED_CHUNK_TYPE": 6, "INVALID_MANDATORY_PARAMETER": 7,
    "UNRECOGNIZED_PARAMETERS": 8, "NO_USER_DATA": 9,
    "COOKIE_RECEIVED_WHILE_SHUTTING_DOWN": 10,
    "RESTART_WITH_NEW_ADDRESSES": 11, "USER_INITIATED_ABORT": 12,
    "PROTOCOL_VIOLATION": 13, "DELETE_LAST_REMAINING_IP_ADDRESS": 0xA0,
    "OPERATION_REFUSED_RESOURCE_SHORTAGE": 0xA1,
    "DELETE_SOURCE_IP_ADDRESS": 0xA2, "ILLEGAL_ASCONF_ACK": 0xA3,
    "REQUEST_REFUSED_NO_AUTHORIZATION": 0xA4, "UNSUPPORTED_HMAC_IDENTIFIER": 105,
}

# RFC 9260 §3.2: action for an unrecognized chunk type, from its upper 2 bits.
UNKNOWN_ACTIONS = ["stop", "stop_and_report", "skip", "skip_and_report"]


def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def tail_pad(tlvs):
    """Padding after the last of the already encoded `tlvs`, 0 if none.

    RFC 9260 §3.2: a chunk's length counts the padding of every parameter
    but the last one. The same rule is used here for TLVs nested in a
    parameter or a cause (the vectors avoid relying on it: their nested
    TLVs are 4-byte multiples).
    """
    return (-tlvs[-1]["length"]) % 4 if tlvs else 0


def tlv(typ, value, trailing=0):
    """A type-length-value, padded to 4 bytes.

    RFC 9260 §3.2.1: the length does not count the TLV's own padding, nor the
    padding of the last TLV nested in it (`trailing`); the padding bytes are
    still present on the wire.
    """
    return pad4(struct.pack("!HH", typ, 4 + len(value) - trailing) + value)


# --------------------------------------------------------------------------
# Parameters. Each encoder fills in "type_id" and "length" and returns bytes.


def enc_params(params):
    return b"".join(enc_param(p) for p in params)


def enc_addr(p):
    return ipaddress.ip_address(p["address"]).packed


def enc_param(p):
    t = p["type"]
    p["type_id"] = PARAM_TYPES[t]
    if t == "HEARTBEAT_INFO":
        v = bytes.fromhex(p["info_hex"])
    elif t in ("IPV4_ADDRESS", "IPV6_ADDRESS"):
        v = enc_addr(p)
    elif t == "STATE_COOKIE":
        v = bytes.fromhex(p["cookie_hex"])
    elif t in ("UNRECOGNIZED_PARAMETER",):
        v = enc_params(p["params"])
    elif t == "COOKIE_PRESERVATIVE":
        v = struct.pack("!I", p["life_span_increment"])
    elif t == "SUPPORTED_ADDRESS_TYPES":
        v = b"".join(struct.pack("!H", a) for a in p["address_types"])
    elif t == "OUTGOING_SSN_RESET_REQUEST":
        v = struct.pack("!III", p["request_sequence_number"],
                        p["response_sequence_number"], p["last_tsn"])
        v += b"".join(struct.pack("!H", s) for s in p["stream_ids"])
    elif t == "INCOMING_SSN_RESET_REQUEST":
        v = struct.pack("!I", p["request_sequence_number"])
        v += b"".join(struct.pack("!H", s) for s in p["stream_ids"])
    elif t == "SSN_TSN_RESET_REQUEST":
        v = struct.pack("!I", p["request_sequence_number"])
    elif t == "RECONFIGURATION_RESPONSE":
        v = struct.pack("!II", p["response_sequence_number"], p["result"])
        if "sender_next_tsn" in p:
            v += struct.pack("!II", p["sender_next_tsn"], p["receiver_next_tsn"])
    elif t in ("ADD_OUTGOING_STREAMS_REQUEST", "ADD_INCOMING_STREAMS_REQUEST"):
        v = struct.pack("!IHH", p["request_sequence_number"],
                        p["number_of_new_streams"], 0)
    elif t in ("ECN_CAPABLE", "FORWARD_TSN_SUPPORTED"):
        v = b""
    elif t == "ZERO_CHECKSUM_ACCEPTABLE":
        v = struct.pack("!I", p["edmid"])
    elif t == "RANDOM":
        v = bytes.fromhex(p["random_hex"])
    elif t in ("CHUNK_LIST", "SUPPORTED_EXTENSIONS"):
        v = bytes(p["chunk_types"])
    elif t == "REQUESTED_HMAC_ALGORITHM":
        v = b"".join(struct.pack("!H", h) for h in p["hmac_ids"])
    elif t == "PADDING":
        v = b"\x00" * p["padding_length"]
    elif t in ("ADD_IP_ADDRESS", "DELETE_IP_ADDRESS", "SET_PRIMARY_ADDRESS"):
        v = struct.pack("!I", p["correlation_id"]) + enc_params(p["params"])
    elif t == "ERROR_CAUSE_INDICATION":
        v = struct.pack("!I", p["correlation_id"]) + enc_causes(p["causes"])
    elif t == "SUCCESS_INDICATION":
        v = struct.pack("!I", p["correlation_id"])
    elif t == "ADAPTATION_LAYER_INDICATION":
        v = struct.pack("!I", p["adaptation_code_point"])
    else:
        raise ValueError(t)
    trailing = tail_pad(p.get("params") or p.get("causes") or [])
    p["length"] = 4 + len(v) - trailing
    return tlv(p["type_id"], v, trailing)


def enc_causes(causes):
    return b"".join(enc_cause(c) for c in causes)


def enc_cause(c):
    t = c["code"]
    c["code_id"] = CAUSE_CODES[t]
    if t == "INVALID_STREAM_IDENTIFIER":
        v = struct.pack("!HH", c["stream_id"], 0)
    elif t == "MISSING_MANDATORY_PARAMETER":
        v = struct.pack("!I", len(c["missing_types"]))
        v += b"".join(struct.pack("!H", m) for m in c["missing_types"])
    elif t == "STALE_COOKIE":
        v = struct.pack("!I", c["staleness_us"])
    elif t == "UNRECOGNIZED_CHUNK_TYPE":
        v = bytes.fromhex(c["chunk_hex"])
    elif t == "NO_USER_DATA":
        v = struct.pack("!I", c["tsn"])
    elif t in ("UNRESOLVABLE_ADDRESS", "UNRECOGNIZED_PARAMETERS",
               "RESTART_WITH_NEW_ADDRESSES", "DELETE_LAST_REMAINING_IP_ADDRESS",
               "OPERATION_REFUSED_RESOURCE_SHORTAGE", "DELETE_SOURCE_IP_ADDRESS",
               "REQUEST_REFUSED_NO_AUTHORIZATION"):
        v = enc_params(c["params"])
    elif t == "USER_INITIATED_ABORT":
        v = bytes.fromhex(c["reason_hex"])
    elif t == "PROTOCOL_VIOLATION":
        v = bytes.fromhex(c["info_hex"])
    elif t == "UNSUPPORTED_HMAC_IDENTIFIER":
        v = struct.pack("!H", c["hmac_id"])
    elif t in ("OUT_OF_RESOURCE", "INVALID_MANDATORY_PARAMETER",
               "COOKIE_RECEIVED_WHILE_SHUTTING_DOWN", "ILLEGAL_ASCONF_ACK"):
        v = b""
    else:
        raise ValueError(t)
    trailing = tail_pad(c.get("params", []))
    c["length"] = 4 + len(v) - trailing
    return tlv(c["code_id"], v, trailing)


# --------------------------------------------------------------------------
# Chunks. Each encoder fills in "type_id", "flags" and "length".


def enc_chunk(c):
    t = c["type"]
    flags = 0
    if t == "UNKNOWN":
        v = bytes.fromhex(c["value_hex"])
        c["action"] = UNKNOWN_ACTIONS[c["type_id"] >> 6]
        flags = c.get("flags", 0)
    else:
        c["type_id"] = CHUNK_TYPES[t]
    if t in ("DATA", "I_DATA"):
        # RFC 9260 §3.3.1, RFC 7053 §3 (I bit), RFC 8260 §2.1.
        flags = (8 if c["immediate_sack"] else 0) | (4 if c["unordered"] else 0) \
            | (2 if c["beginning"] else 0) | (1 if c["ending"] else 0)
        if t == "DATA":
            v = struct.pack("!IHHI", c["tsn"], c["stream_id"], c["ssn"], c["ppid"])
        else:
            # PPID when B is set, FSN otherwise (the FSN of a first fragment is 0).
            last = c["ppid"] if c["beginning"] else c["fsn"]
            v = struct.pack("!IHHII", c["tsn"], c["stream_id"], 0, c["mid"], last)
        v += bytes.fromhex(c["payload_hex"])
    elif t in ("INIT", "INIT_ACK"):
        v = struct.pack("!IIHHI", c["initiate_tag"], c["a_rwnd"],
                        c["outbound_streams"], c["inbound_streams"],
                        c["initial_tsn"]) + enc_params(c["params"])
    elif t == "SACK":
        v = struct.pack("!IIHH", c["cumulative_tsn_ack"], c["a_rwnd"],
                        len(c["gap_blocks"]), len(c["duplicate_tsns"]))
        v += b"".join(struct.pack("!HH", s, e) for s, e in c["gap_blocks"])
        v += b"".join(struct.pack("!I", d) for d in c["duplicate_tsns"])
    elif t in ("HEARTBEAT", "HEARTBEAT_ACK", "RE_CONFIG"):
        v = enc_params(c["params"])
    elif t in ("ABORT", "SHUTDOWN_COMPLETE"):
        flags = 1 if c["t_bit"] else 0  # RFC 9260 §3.3.7, §3.3.13
        v = enc_causes(c.get("causes", []))
    elif t == "ERROR":
        v = enc_causes(c["causes"])
    elif t == "SHUTDOWN":
        v = struct.pack("!I", c["cumulative_tsn_ack"])
    elif t in ("SHUTDOWN_ACK", "COOKIE_ACK"):
        v = b""
    elif t == "COOKIE_ECHO":
        v = bytes.fromhex(c["cookie_hex"])
    elif t in ("ECNE", "CWR"):
        v = struct.pack("!I", c["lowest_tsn"])  # RFC 9260 Appendix A
    elif t == "AUTH":
        v = struct.pack("!HH", c["shared_key_id"], c["hmac_id"])
        v += bytes.fromhex(c["hmac_hex"])
    elif t in ("ASCONF", "ASCONF_ACK"):
        v = struct.pack("!I", c["serial_number"]) + enc_params(c["params"])
    elif t == "PAD":
        v = b"\x00" * c["padding_length"]
    elif t == "FORWARD_TSN":
        v = struct.pack("!I", c["new_cumulative_tsn"])
        v += b"".join(struct.pack("!HH", s["stream_id"], s["ssn"]) for s in c["streams"])
    elif t == "I_FORWARD_TSN":
        v = struct.pack("!I", c["new_cumulative_tsn"])
        v += b"".join(struct.pack("!HHI", s["stream_id"], 1 if s["unordered"] else 0,
                                  s["mid"]) for s in c["streams"])
    elif t != "UNKNOWN":
        raise ValueError(t)
    # RFC 9260 §3.2: the chunk length excludes the last parameter's padding.
    trailing = tail_pad(c.get("params") or c.get("causes") or [])
    c["flags"] = flags
    c["length"] = 4 + len(v) - trailing
    return pad4(struct.pack("!BBH", c["type_id"], flags, c["length"]) + v)


def order(obj):
    """Key order for readable JSON: identity first, then fields, then lists."""
    if isinstance(obj, list):
        return [order(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    first = ["name", "description", "type", "type_id", "code", "code_id",
             "flags", "length", "hex", "packet"]
    last = ["params", "causes", "chunks"]
    keys = [k for k in first if k in obj]
    keys += sorted(k for k in obj if k not in first and k not in last)
    keys += [k for k in last if k in obj]
    return {k: order(obj[k]) for k in keys}


def packet(name, description, chunks, vtag=0x1234ABCD, src=5000, dst=5001):
    body = b"".join(enc_chunk(c) for c in chunks)
    head = struct.pack("!HHII", src, dst, vtag, 0)
    crc = crc32c(head + body)
    # RFC 9260 Appendix A: the CRC32c is stored least significant byte first
    # (the reflected CRC's natural byte order).
    raw = head[:8] + struct.pack("<I", crc) + body
    return order({
        "name": name,
        "description": description,
        "hex": raw.hex(),
        "packet": {"src_port": src, "dst_port": dst, "verification_tag": vtag,
                   "checksum": int.from_bytes(raw[8:12], "big")},
        "chunks": chunks,
    })


# --------------------------------------------------------------------------
# The vectors.


def data(tsn, flags, payload=b"hello", stream=1, ssn=0, ppid=51):
    i, u, b, e = (f in flags for f in "IUBE")
    return {"type": "DATA", "tsn": tsn, "stream_id": stream, "ssn": ssn,
            "ppid": ppid, "immediate_sack": i, "unordered": u, "beginning": b,
            "ending": e, "payload_hex": payload.hex()}


def v4(a):
    return {"type": "IPV4_ADDRESS", "address": a}


def v6(a):
    return {"type": "IPV6_ADDRESS", "address": a}


RANDOM32 = bytes(range(0x10, 0x30)).hex()
COOKIE = bytes(range(0xA0, 0xA0 + 36)).hex()


def vectors():
    out = []
    # DATA: every B/E/U/I combination (16).
    for n in range(16):
        fl = "".join(f for bit, f in zip((8, 4, 2, 1), "IUBE") if n & bit)
        out.append(packet(
            "data_flags_" + (fl.lower() or "none"),
            "DATA chunk with flags {%s} (RFC 9260 §3.3.1, RFC 7053 §3)"
            % ",".join(fl),
            [data(1000 + n, fl, payload=b"x" * (n + 1), stream=n, ssn=n * 3,
                  ppid=n + 50)]))
    out.append(packet(
        "data_boundary_values",
        "DATA with a 1-byte payload at stream 65535, PPID 0xFFFFFFFF, TSN 0xFFFFFFFF"
        " (boundary values)",
        [data(0xFFFFFFFF, "BE", payload=b"\x00", stream=65535, ssn=65535,
              ppid=0xFFFFFFFF)]))
    out.append(packet(
        "init_all_params",
        "INIT with every parameter an INIT may carry (RFC 9260 §3.3.2, RFC 3758,"
        " RFC 4895, RFC 5061, RFC 6525, RFC 9653)",
        [{"type": "INIT", "initiate_tag": 0xA1B2C3D4, "a_rwnd": 131072,
          "outbound_streams": 10, "inbound_streams": 65535,
          "initial_tsn": 0xFFFFFFF0, "params": [
              v4("192.0.2.1"), v6("2001:db8::1"),
              {"type": "COOKIE_PRESERVATIVE", "life_span_increment": 5000},
              {"type": "SUPPORTED_ADDRESS_TYPES", "address_types": [5, 6]},
              {"type": "ECN_CAPABLE"},
              {"type": "FORWARD_TSN_SUPPORTED"},
              {"type": "SUPPORTED_EXTENSIONS",
               "chunk_types": [0xC0, 0xC2, 0x40, 0x82, 0x0F, 0xC1, 0x80]},
              {"type": "RANDOM", "random_hex": RANDOM32},
              {"type": "CHUNK_LIST", "chunk_types": [0xC1, 0x80]},
              {"type": "REQUESTED_HMAC_ALGORITHM", "hmac_ids": [3, 1]},
              {"type": "ADAPTATION_LAYER_INDICATION",
               "adaptation_code_point": 0x01020304},
              {"type": "ZERO_CHECKSUM_ACCEPTABLE", "edmid": 1},
          ]}], vtag=0))
    out.append(packet(
        "init_minimal",
        "INIT with no parameters, verification tag 0 (RFC 9260 §8.5.1)",
        [{"type": "INIT", "initiate_tag": 1, "a_rwnd": 1500,
          "outbound_streams": 1, "inbound_streams": 1, "initial_tsn": 0,
          "params": []}], vtag=0))
    out.append(packet(
        "init_ack_cookie_unrecognized",
        "INIT ACK with a state cookie and an Unrecognized Parameter reporting"
        " a Padding parameter (RFC 4820) the INIT carried (RFC 9260 §3.3.3)",
        [{"type": "INIT_ACK", "initiate_tag": 0x0BADCAFE, "a_rwnd": 65535,
          "outbound_streams": 5, "inbound_streams": 7, "initial_tsn": 42,
          "params": [
              {"type": "STATE_COOKIE", "cookie_hex": COOKIE},
              v4("198.51.100.7"),
              {"type": "UNRECOGNIZED_PARAMETER", "params": [
                  {"type": "PADDING", "padding_length": 4}]},
              {"type": "FORWARD_TSN_SUPPORTED"},
          ]}], vtag=0xA1B2C3D4))
    out.append(packet("sack_no_gaps", "SACK with no gap blocks and no duplicates",
                      [{"type": "SACK", "cumulative_tsn_ack": 999, "a_rwnd": 100000,
                        "gap_blocks": [], "duplicate_tsns": []}]))
    out.append(packet("sack_one_gap", "SACK with one gap ack block (RFC 9260 §3.3.4)",
                      [{"type": "SACK", "cumulative_tsn_ack": 1000, "a_rwnd": 65000,
                        "gap_blocks": [[2, 3]], "duplicate_tsns": []}]))
    out.append(packet(
        "sack_gaps_and_dups",
        "SACK with three gap ack blocks and two duplicate TSNs, cumulative TSN"
        " ack wrapping near 2^32",
        [{"type": "SACK", "cumulative_tsn_ack": 0xFFFFFFFE, "a_rwnd": 0,
          "gap_blocks": [[2, 2], [4, 10], [12, 65535]],
          "duplicate_tsns": [0xFFFFFFFD, 0xFFFFFFFE]}]))
    out.append(packet("heartbeat", "HEARTBEAT with a Heartbeat Info parameter",
                      [{"type": "HEARTBEAT", "params": [
                          {"type": "HEARTBEAT_INFO",
                           "info_hex": "0001020304050607deadbeef"}]}]))
    out.append(packet("heartbeat_ack", "HEARTBEAT ACK echoing an odd-length info"
                      " (padding after the parameter)",
                      [{"type": "HEARTBEAT_ACK", "params": [
                          {"type": "HEARTBEAT_INFO", "info_hex": "0102030405"}]}]))
    out.append(packet("abort_no_t_bit", "ABORT without T bit, with a User-Initiated"
                      " Abort cause (RFC 9260 §3.3.7, §3.3.10.12)",
                      [{"type": "ABORT", "t_bit": False, "causes": [
                          {"code": "USER_INITIATED_ABORT",
                           "reason_hex": "627965"}]}]))
    out.append(packet("abort_t_bit", "ABORT with T bit set (tag reflected) and no"
                      " cause", [{"type": "ABORT", "t_bit": True, "causes": []}]))
    out.append(packet("abort_protocol_violation",
                      "ABORT with two causes: Protocol Violation and Invalid"
                      " Mandatory Parameter",
                      [{"type": "ABORT", "t_bit": False, "causes": [
                          {"code": "PROTOCOL_VIOLATION", "info_hex": "6261642073736e"},
                          {"code": "INVALID_MANDATORY_PARAMETER"}]}]))
    out.append(packet("shutdown", "SHUTDOWN (RFC 9260 §3.3.8)",
                      [{"type": "SHUTDOWN", "cumulative_tsn_ack": 0x80000000}]))
    out.append(packet("shutdown_ack", "SHUTDOWN ACK", [{"type": "SHUTDOWN_ACK"}]))
    out.append(packet("shutdown_complete", "SHUTDOWN COMPLETE without T bit",
                      [{"type": "SHUTDOWN_COMPLETE", "t_bit": False}]))
    out.append(packet("shutdown_complete_t_bit", "SHUTDOWN COMPLETE with T bit",
                      [{"type": "SHUTDOWN_COMPLETE", "t_bit": True}]))
    out.append(packet("error_causes_1_to_4", "ERROR with causes 1, 2, 3, 4",
                      [{"type": "ERROR", "causes": [
                          {"code": "INVALID_STREAM_IDENTIFIER", "stream_id": 17},
                          {"code": "MISSING_MANDATORY_PARAMETER",
                           "missing_types": [7, 12, 9]},
                          {"code": "STALE_COOKIE", "staleness_us": 250000},
                          {"code": "OUT_OF_RESOURCE"}]}]))
    out.append(packet("error_causes_5_to_8", "ERROR with causes 5, 6, 7, 8",
                      [{"type": "ERROR", "causes": [
                          {"code": "UNRESOLVABLE_ADDRESS",
                           "params": [v6("2001:db8::42")]},
                          {"code": "UNRECOGNIZED_CHUNK_TYPE",
                           "chunk_hex": "7f00000801020304"},
                          {"code": "INVALID_MANDATORY_PARAMETER"},
                          {"code": "UNRECOGNIZED_PARAMETERS", "params": [
                              {"type": "ECN_CAPABLE"},
                              {"type": "ZERO_CHECKSUM_ACCEPTABLE", "edmid": 1}]}]}]))
    out.append(packet("error_causes_9_to_13", "ERROR with causes 9 to 13 and 105",
                      [{"type": "ERROR", "causes": [
                          {"code": "NO_USER_DATA", "tsn": 4242},
                          {"code": "COOKIE_RECEIVED_WHILE_SHUTTING_DOWN"},
                          {"code": "RESTART_WITH_NEW_ADDRESSES",
                           "params": [v4("203.0.113.9")]},
                          {"code": "USER_INITIATED_ABORT", "reason_hex": "0a0b0c"},
                          {"code": "PROTOCOL_VIOLATION", "info_hex": ""},
                          {"code": "UNSUPPORTED_HMAC_IDENTIFIER", "hmac_id": 2}]}]))
    out.append(packet("cookie_echo", "COOKIE ECHO carrying a 36-byte cookie",
                      [{"type": "COOKIE_ECHO", "cookie_hex": COOKIE}]))
    out.append(packet("cookie_ack", "COOKIE ACK", [{"type": "COOKIE_ACK"}]))
    out.append(packet("ecne", "ECNE (RFC 9260 Appendix A)",
                      [{"type": "ECNE", "lowest_tsn": 12345}]))
    out.append(packet("cwr", "CWR (RFC 9260 Appendix A)",
                      [{"type": "CWR", "lowest_tsn": 12345}]))
    out.append(packet("auth_then_asconf_ack",
                      "AUTH with HMAC-SHA-256 (RFC 4895 §4.2) authenticating an"
                      " ASCONF ACK",
                      [{"type": "AUTH", "shared_key_id": 0, "hmac_id": 3,
                        "hmac_hex": bytes(range(32)).hex()},
                       {"type": "ASCONF_ACK", "serial_number": 7, "params": [
                           {"type": "SUCCESS_INDICATION", "correlation_id": 1}]}]))
    out.append(packet("i_data_first_fragment",
                      "I-DATA first fragment: B set, carries the PPID (RFC 8260 §2.1)",
                      [{"type": "I_DATA", "tsn": 77, "stream_id": 3, "mid": 0x10000,
                        "ppid": 53, "immediate_sack": False, "unordered": False,
                        "beginning": True, "ending": False,
                        "payload_hex": "0102030405"}]))
    out.append(packet("i_data_middle_unordered",
                      "I-DATA unordered middle fragment: carries the FSN",
                      [{"type": "I_DATA", "tsn": 78, "stream_id": 3, "mid": 9,
                        "fsn": 1, "immediate_sack": True, "unordered": True,
                        "beginning": False, "ending": False, "payload_hex": "06"}]))
    out.append(packet("forward_tsn", "FORWARD TSN with two stream/SSN pairs"
                      " (RFC 3758 §3.2)",
                      [{"type": "FORWARD_TSN", "new_cumulative_tsn": 5000,
                        "streams": [{"stream_id": 1, "ssn": 10},
                                    {"stream_id": 4, "ssn": 65535}]}]))
    out.append(packet("forward_tsn_empty", "FORWARD TSN without streams",
                      [{"type": "FORWARD_TSN", "new_cumulative_tsn": 1,
                        "streams": []}]))
    out.append(packet("i_forward_tsn", "I-FORWARD-TSN with an ordered and an"
                      " unordered entry (RFC 8260 §2.3.1)",
                      [{"type": "I_FORWARD_TSN", "new_cumulative_tsn": 6000,
                        "streams": [{"stream_id": 2, "unordered": False, "mid": 5},
                                    {"stream_id": 2, "unordered": True,
                                     "mid": 0xFFFFFFFF}]}]))
    out.append(packet("re_config_outgoing_incoming",
                      "RE-CONFIG with Outgoing and Incoming SSN Reset Requests"
                      " (RFC 6525 §4.1, §4.2)",
                      [{"type": "RE_CONFIG", "params": [
                          {"type": "OUTGOING_SSN_RESET_REQUEST",
                           "request_sequence_number": 100,
                           "response_sequence_number": 200, "last_tsn": 300,
                           "stream_ids": [1, 2, 3]},
                          {"type": "INCOMING_SSN_RESET_REQUEST",
                           "request_sequence_number": 101, "stream_ids": []}]}]))
    out.append(packet("re_config_ssn_tsn_reset", "RE-CONFIG with SSN/TSN Reset"
                      " Request (RFC 6525 §4.3)",
                      [{"type": "RE_CONFIG", "params": [
                          {"type": "SSN_TSN_RESET_REQUEST",
                           "request_sequence_number": 102}]}]))
    out.append(packet("re_config_responses", "RE-CONFIG with a short and a long"
                      " Re-configuration Response (RFC 6525 §4.4)",
                      [{"type": "RE_CONFIG", "params": [
                          {"type": "RECONFIGURATION_RESPONSE",
                           "response_sequence_number": 100, "result": 1},
                          {"type": "RECONFIGURATION_RESPONSE",
                           "response_sequence_number": 102, "result": 1,
                           "sender_next_tsn": 7000, "receiver_next_tsn": 8000}]}]))
    out.append(packet("re_config_add_streams", "RE-CONFIG with Add Outgoing and"
                      " Add Incoming Streams Requests (RFC 6525 §4.5, §4.6)",
                      [{"type": "RE_CONFIG", "params": [
                          {"type": "ADD_OUTGOING_STREAMS_REQUEST",
                           "request_sequence_number": 103,
                           "number_of_new_streams": 16},
                          {"type": "ADD_INCOMING_STREAMS_REQUEST",
                           "request_sequence_number": 104,
                           "number_of_new_streams": 1}]}]))
    out.append(packet("asconf", "ASCONF: add, delete and set-primary address"
                      " (RFC 5061 §4.1.1, §4.2)",
                      [{"type": "ASCONF", "serial_number": 0x01000000, "params": [
                          v4("192.0.2.1"),
                          {"type": "ADD_IP_ADDRESS", "correlation_id": 1,
                           "params": [v4("192.0.2.2")]},
                          {"type": "DELETE_IP_ADDRESS", "correlation_id": 2,
                           "params": [v6("2001:db8::3")]},
                          {"type": "SET_PRIMARY_ADDRESS", "correlation_id": 3,
                           "params": [v4("192.0.2.2")]}]}]))
    out.append(packet("asconf_ack", "ASCONF ACK with success and error indications"
                      " (RFC 5061 §4.1.2, §5.2)",
                      [{"type": "ASCONF_ACK", "serial_number": 0x01000000,
                        "params": [
                            {"type": "SUCCESS_INDICATION", "correlation_id": 1},
                            {"type": "ERROR_CAUSE_INDICATION", "correlation_id": 2,
                             "causes": [
                                 {"code": "DELETE_LAST_REMAINING_IP_ADDRESS",
                                  "params": [{"type": "DELETE_IP_ADDRESS",
                                              "correlation_id": 2,
                                              "params": [v6("2001:db8::3")]}]}]},
                            {"type": "ERROR_CAUSE_INDICATION", "correlation_id": 3,
                             "causes": [
                                 {"code": "REQUEST_REFUSED_NO_AUTHORIZATION",
                                  "params": [{"type": "SET_PRIMARY_ADDRESS",
                                              "correlation_id": 3,
                                              "params": [v4("192.0.2.2")]}]}]}]}]))
    out.append(packet("pad", "PAD chunk with 9 bytes of padding (RFC 4820 §3),"
                      " before a HEARTBEAT",
                      [{"type": "PAD", "padding_length": 9},
                       {"type": "HEARTBEAT", "params": [
                           {"type": "HEARTBEAT_INFO", "info_hex": "00"}]}]))
    for n, t in enumerate((0x30, 0x70, 0xB0, 0xF0)):
        act = UNKNOWN_ACTIONS[t >> 6]
        out.append(packet("unknown_chunk_" + act,
                          "Unassigned chunk type 0x%02X: upper bits %d%d = %s"
                          " (RFC 9260 §3.2), followed by a COOKIE ACK"
                          % (t, t >> 7, (t >> 6) & 1, act),
                          [{"type": "UNKNOWN", "type_id": t, "flags": n,
                            "value_hex": "0102030405"[:2 * (n + 2)]},
                           {"type": "COOKIE_ACK"}]))
    out.append(packet("bundle_cookie_echo_data",
                      "COOKIE ECHO bundled with DATA (RFC 9260 §5.1, §6.10)",
                      [{"type": "COOKIE_ECHO", "cookie_hex": COOKIE},
                       data(42, "BE", payload=b"first message")]))
    out.append(packet("bundle_sack_data3", "SACK bundled with three DATA chunks",
                      [{"type": "SACK", "cumulative_tsn_ack": 41, "a_rwnd": 200000,
                        "gap_blocks": [[2, 3]], "duplicate_tsns": [40]},
                       data(100, "B", payload=b"abcd", stream=7, ssn=1, ppid=0),
                       data(101, "", payload=b"efgh", stream=7, ssn=1, ppid=0),
                       data(102, "E", payload=b"ij", stream=7, ssn=1, ppid=0)]))
    return out


# --------------------------------------------------------------------------
# Malformed packets: each must be rejected by a correct parser.


def finish(body, vtag=0x1234ABCD, good_crc=True):
    head = struct.pack("!HHII", 5000, 5001, vtag, 0)
    crc = crc32c(head + body)
    if not good_crc:
        crc ^= 0x1
    return head[:8] + struct.pack("<I", crc) + body


def malformed():
    good_data = enc_chunk(data(1, "BE"))
    init = enc_chunk({"type": "INIT", "initiate_tag": 1, "a_rwnd": 1500,
                      "outbound_streams": 1, "inbound_streams": 1,
                      "initial_tsn": 0, "params": []})
    out = []

    def m(name, reason, raw, reject_by="parser"):
        out.append({"name": name, "reject_by": reject_by, "reason": reason,
                    "hex": raw.hex()})

    m("bad_checksum", "CRC32c does not match (RFC 9260 §6.8): discard",
      finish(good_data, good_crc=False))
    m("truncated_common_header", "fewer than 12 bytes: no common header",
      finish(good_data)[:10])
    m("chunk_length_below_4", "chunk length 2 < 4 (RFC 9260 §3.2)",
      finish(struct.pack("!BBH", 11, 0, 2)))
    m("chunk_length_past_end", "chunk length 40 but only 8 bytes follow",
      finish(struct.pack("!BBHI", 7, 0, 40, 1)))
    m("chunk_header_truncated", "a second chunk with only 2 header bytes",
      finish(enc_chunk({"type": "COOKIE_ACK"}) + b"\x0b\x00"))
    m("data_too_short", "DATA chunk of length 12: shorter than its 16-byte"
      " fixed part (RFC 9260 §3.3.1)",
      finish(struct.pack("!BBHII", 0, 3, 12, 1, 0)))
    m("data_no_user_data", "DATA with length 16 (no user data): RFC 9260 §6.2"
      " says to answer with an ABORT carrying the No User Data cause",
      finish(struct.pack("!BBHIHHI", 0, 3, 16, 1, 0, 0, 0)), "association")
    m("init_bundled", "INIT bundled with another chunk (RFC 9260 §6.10: INIT,"
      " INIT ACK and SHUTDOWN COMPLETE must not be bundled)",
      finish(init + enc_chunk({"type": "COOKIE_ACK"}), vtag=0), "association")
    m("init_nonzero_vtag", "INIT in a packet whose verification tag is not 0"
      " (RFC 9260 §8.5.1)", finish(init, vtag=7), "association")
    m("param_length_past_chunk_end", "INIT whose parameter claims 40 bytes but the"
      " chunk ends after 8", finish(
          struct.pack("!BBHIIHHI", 1, 0, 28, 1, 1500, 1, 1, 0)
          + struct.pack("!HHI", 5, 40, 0x01020304), vtag=0))
    m("param_length_below_4", "INIT with a parameter of length 0",
      finish(struct.pack("!BBHIIHHI", 1, 0, 28, 1, 1500, 1, 1, 0)
             + struct.pack("!HHI", 5, 0, 0), vtag=0))
    m("sack_counts_past_end", "SACK announcing 100 gap blocks in a 16-byte chunk",
      finish(struct.pack("!BBHIIHH", 3, 0, 16, 1, 1000, 100, 0)))
    m("cause_length_past_chunk_end", "ERROR whose cause claims 64 bytes",
      finish(struct.pack("!BBHHHI", 9, 0, 12, 1, 64, 0)))
    m("init_zero_streams", "INIT with 0 inbound streams (RFC 9260 §3.3.2: MUST"
      " abort)", finish(struct.pack("!BBHIIHHI", 1, 0, 20, 1, 1500, 1, 0, 0),
                        vtag=0), "association")
    m("init_zero_initiate_tag", "INIT with Initiate Tag 0 (RFC 9260 §3.3.2: MUST"
      " abort)", finish(struct.pack("!BBHIIHHI", 1, 0, 20, 0, 1500, 1, 1, 0), vtag=0),
      "association")
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sctp-packets.json"), "w", encoding="utf-8") as f:
        json.dump(vectors(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(here, "malformed.json"), "w", encoding="utf-8") as f:
        json.dump(malformed(), f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
