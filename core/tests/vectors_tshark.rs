//! Independent check of the shared test vectors (`tests/vectors/` at the
//! repository root) with Wireshark's SCTP dissector, through our pcap module.
//!
//! Every vector is wrapped in IPv4 + UDP to port 9899 (RFC 6951), written to
//! one capture, and dissected by `tshark`. For each packet tshark must report
//! a correct CRC32c, nothing malformed, no expert error, and, field by field,
//! the values the vector's JSON describes. Requires tshark (Debian package
//! `tshark`; set `TSHARK` to use another binary): without it the test fails.
//!
//! The tshark command line (4.0):
//! `tshark -r FILE -n -o "sctp.checksum:CRC 32c" -o sctp.relative_tsns:FALSE
//! -o sctp.reassembly:FALSE -o sctp.ulp_dissection:FALSE
//! -o sctp.tsn_analysis:FALSE -o ip.check_checksum:TRUE
//! -o udp.check_checksum:TRUE -T fields -E occurrence=a -E aggregator=|
//! -e FIELD ...`. UDP port 9899 is decoded as SCTP without any option.

// The pcap module is not yet wired into lib.rs; compile it here from its
// source. It names `crate::time`, which this shim provides.
mod time {
    pub use anysctp::time::*;
}
#[allow(dead_code)]
#[path = "../src/pcap.rs"]
mod pcap;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;

use serde_json::Value;

use crate::time::Instant;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn load(name: &str) -> Vec<Value> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(v)) => v,
        other => panic!("{}: not a JSON array: {other:?}", path.display()),
    }
}

fn bytes_of(v: &Value) -> Vec<u8> {
    hex::decode(v["hex"].as_str().expect("hex field")).expect("valid hex")
}

fn stored_crc(pkt: &[u8]) -> u32 {
    u32::from_le_bytes([pkt[8], pkt[9], pkt[10], pkt[11]])
}

fn computed_crc(pkt: &[u8]) -> u32 {
    let mut copy = pkt.to_vec();
    copy[8..12].fill(0);
    crc32c::crc32c(&copy)
}

/// The vectors carry a correct CRC32c (checked with the `crc32c` crate, not
/// the generator's own table) and their JSON is well-formed.
#[test]
fn vectors_have_correct_crc32c_and_unique_names() {
    let vectors = load("sctp-packets.json");
    assert!(vectors.len() >= 50, "only {} vectors", vectors.len());
    let mut names = std::collections::HashSet::new();
    for v in &vectors {
        let name = v["name"].as_str().expect("name");
        assert!(names.insert(name.to_owned()), "duplicate name {name}");
        assert!(v["description"].as_str().is_some_and(|d| !d.is_empty()));
        let pkt = bytes_of(v);
        assert_eq!(stored_crc(&pkt), computed_crc(&pkt), "{name}: CRC32c");
        let header = &v["packet"];
        assert_eq!(
            u64::from(u16::from_be_bytes([pkt[0], pkt[1]])),
            header["src_port"]
        );
        assert_eq!(
            u64::from(u16::from_be_bytes([pkt[2], pkt[3]])),
            header["dst_port"]
        );
        let vtag = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
        assert_eq!(u64::from(vtag), header["verification_tag"], "{name}");
        let checksum = u32::from_be_bytes([pkt[8], pkt[9], pkt[10], pkt[11]]);
        assert_eq!(u64::from(checksum), header["checksum"], "{name}");
        // The chunk lengths in the JSON walk the packet exactly.
        let mut at = 12usize;
        for c in v["chunks"].as_array().expect("chunks") {
            assert_eq!(
                u64::from(pkt[at]),
                c["type_id"],
                "{name}: chunk type at {at}"
            );
            assert_eq!(u64::from(pkt[at + 1]), c["flags"], "{name}: flags at {at}");
            let len = u16::from_be_bytes([pkt[at + 2], pkt[at + 3]]);
            assert_eq!(u64::from(len), c["length"], "{name}: length at {at}");
            at += usize::from(len).div_ceil(4) * 4;
        }
        assert_eq!(at, pkt.len(), "{name}: chunks do not cover the packet");
    }
}

#[test]
fn malformed_vectors_are_described_and_checksums_as_claimed() {
    let vectors = load("malformed.json");
    assert!(vectors.len() >= 10);
    for v in &vectors {
        let name = v["name"].as_str().expect("name");
        assert!(
            v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{name}"
        );
        assert!(
            matches!(v["reject_by"].as_str(), Some("parser" | "association")),
            "{name}"
        );
        let pkt = bytes_of(v);
        if pkt.len() >= 12 {
            // Only the bad-checksum vector is rejected for its checksum; the
            // others must fail for the reason they give.
            let good = stored_crc(&pkt) == computed_crc(&pkt);
            assert_eq!(good, name != "bad_checksum", "{name}");
        }
    }
}

// ---------------------------------------------------------------------------
// What tshark should show for each vector.

/// Fields whose tshark value is a byte string (printed as hex).
const BYTE_FIELDS: &[&str] = &[
    "sctp.cookie",
    "sctp.hmac",
    "sctp.padding_data",
    "sctp.chunk_value",
    "sctp.parameter_heartbeat_information",
    "sctp.parameter_state_cookie",
    "sctp.parameter_value",
    "sctp.random_number",
    "sctp.cause_information",
];

/// Every field compared. For each, the full ordered list of its occurrences
/// in a packet must equal the expected list (so an extra or a missing chunk,
/// parameter or cause is caught too).
const FIELDS: &[&str] = &[
    "sctp.srcport",
    "sctp.dstport",
    "sctp.verification_tag",
    "sctp.checksum",
    "sctp.chunk_type",
    "sctp.chunk_flags",
    "sctp.chunk_length",
    "sctp.data_tsn_raw",
    "sctp.data_sid",
    "sctp.data_ssn",
    "sctp.data_mid",
    "sctp.data_fsn",
    "sctp.data_payload_proto_id",
    "sctp.data_i_bit",
    "sctp.data_u_bit",
    "sctp.data_b_bit",
    "sctp.data_e_bit",
    "sctp.init_initiate_tag",
    "sctp.init_credit",
    "sctp.init_nr_out_streams",
    "sctp.init_nr_in_streams",
    "sctp.init_initial_tsn",
    "sctp.initack_initiate_tag",
    "sctp.initack_credit",
    "sctp.initack_nr_out_streams",
    "sctp.initack_nr_in_streams",
    "sctp.initack_initial_tsn",
    "sctp.sack_cumulative_tsn_ack_raw",
    "sctp.sack_a_rwnd",
    "sctp.sack_number_of_gap_blocks",
    "sctp.sack_number_of_duplicated_tsns",
    "sctp.sack_gap_block_start",
    "sctp.sack_gap_block_end",
    "sctp.sack_duplicate_tsn",
    "sctp.abort_t_bit",
    "sctp.shutdown_complete_t_bit",
    "sctp.shutdown_cumulative_tsn_ack",
    "sctp.cookie",
    "sctp.ecne_lowest_tsn",
    "sctp.cwr_lowest_tsn",
    "sctp.shared_key_id",
    "sctp.hmac_id",
    "sctp.hmac",
    "sctp.asconf_seq_nr_number",
    "sctp.asconf_ack_seq_nr_number",
    "sctp.padding_data",
    "sctp.forward_tsn_tsn",
    "sctp.forward_tsn_sid",
    "sctp.forward_tsn_ssn",
    "sctp.i_forward_tsn_tsn",
    "sctp.i_forward_tsn_sid",
    "sctp.i_forward_tsn_u_bit",
    "sctp.forward_tsn_mid",
    "sctp.chunk_value",
    "sctp.parameter_type",
    "sctp.parameter_length",
    "sctp.parameter_heartbeat_information",
    "sctp.parameter_ipv4_address",
    "sctp.parameter_ipv6_address",
    "sctp.parameter_state_cookie",
    "sctp.parameter_cookie_preservative_incr",
    "sctp.parameter_supported_address_type",
    "sctp.parameter_reconfig_request_sequence_number",
    "sctp.parameter_reconfig_response_sequence_number",
    "sctp.parameter_senders_last_assigned_tsn",
    "sctp.parameter_reconfig_sid",
    "sctp.parameter_reconfig_response_result",
    "sctp.parameter_senders_next_tsn",
    "sctp.parameter_receivers_next_tsn",
    "sctp.parameter_add_outgoing_streams_number",
    "sctp.parameter_add_incoming_streams_number",
    "sctp.parameter_value",
    "sctp.random_number",
    "sctp.chunk_type_to_auth",
    "sctp.supported_chunk_type",
    "sctp.correlation_id",
    "sctp.adaptation_layer_indication",
    "sctp.cause_code",
    "sctp.cause_length",
    "sctp.cause_stream_identifier",
    "sctp.cause_nr_of_missing_parameters",
    "sctp.cause_missing_parameter_type",
    "sctp.cause_measure_of_staleness",
    "sctp.cause_tsn",
    "sctp.cause_information",
];

/// Health fields, read for every packet but not compared to the vector.
const HEALTH: &[&str] = &[
    "frame.number",
    "sctp.checksum.status",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
    "ip.checksum.status",
    "udp.checksum.status",
];

/// Wireshark's expert severity for errors (PI_ERROR).
const PI_ERROR: u64 = 0x0080_0000;

#[derive(Default)]
struct Expect(BTreeMap<&'static str, Vec<String>>);

impl Expect {
    fn push(&mut self, field: &'static str, value: impl Into<String>) {
        assert!(
            FIELDS.contains(&field),
            "field {field} not requested from tshark"
        );
        self.0.entry(field).or_default().push(value.into());
    }
    fn num(&mut self, field: &'static str, v: &Value) {
        let n = v
            .as_u64()
            .unwrap_or_else(|| panic!("{field}: not a number: {v}"));
        self.push(field, n.to_string());
    }
    fn hex32(&mut self, field: &'static str, v: &Value) {
        self.push(field, format!("{:#010x}", v.as_u64().expect("number")));
    }
    fn hex16(&mut self, field: &'static str, v: &Value) {
        self.push(field, format!("{:#06x}", v.as_u64().expect("number")));
    }
    fn bit(&mut self, field: &'static str, v: &Value) {
        self.push(field, if v.as_bool().expect("bool") { "1" } else { "0" });
    }
    fn bytes(&mut self, field: &'static str, v: &Value) {
        let s = v.as_str().expect("hex string");
        if !s.is_empty() {
            // tshark does not show an empty byte field at all.
            self.push(field, s.to_owned());
        }
    }
    fn each(&mut self, field: &'static str, v: &Value, f: fn(&mut Self, &'static str, &Value)) {
        for x in v.as_array().expect("array") {
            f(self, field, x);
        }
    }
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn expect_chunk(e: &mut Expect, c: &Value) {
    e.num("sctp.chunk_type", &c["type_id"]);
    e.push(
        "sctp.chunk_flags",
        format!("{:#04x}", c["flags"].as_u64().expect("flags")),
    );
    e.num("sctp.chunk_length", &c["length"]);
    let kind = c["type"].as_str().expect("type");
    match kind {
        "DATA" | "I_DATA" => {
            e.num("sctp.data_tsn_raw", &c["tsn"]);
            e.hex16("sctp.data_sid", &c["stream_id"]);
            if kind == "DATA" {
                e.num("sctp.data_ssn", &c["ssn"]);
                e.num("sctp.data_payload_proto_id", &c["ppid"]);
            } else {
                e.num("sctp.data_mid", &c["mid"]);
                if c["beginning"].as_bool() == Some(true) {
                    e.num("sctp.data_payload_proto_id", &c["ppid"]);
                } else {
                    e.num("sctp.data_fsn", &c["fsn"]);
                }
            }
            e.bit("sctp.data_i_bit", &c["immediate_sack"]);
            e.bit("sctp.data_u_bit", &c["unordered"]);
            e.bit("sctp.data_b_bit", &c["beginning"]);
            e.bit("sctp.data_e_bit", &c["ending"]);
            // The payload is not compared: tshark 4.0 hands only some DATA
            // payloads to its `data` dissector (not those of later chunks of
            // a bundle, nor I-DATA continuation fragments). The chunk length
            // and the CRC32c pin the payload bytes down instead.
        }
        "INIT" | "INIT_ACK" => {
            let init = kind == "INIT";
            let pick = |a, b| if init { a } else { b };
            e.hex32(
                pick("sctp.init_initiate_tag", "sctp.initack_initiate_tag"),
                &c["initiate_tag"],
            );
            e.num(
                pick("sctp.init_credit", "sctp.initack_credit"),
                &c["a_rwnd"],
            );
            e.num(
                pick("sctp.init_nr_out_streams", "sctp.initack_nr_out_streams"),
                &c["outbound_streams"],
            );
            e.num(
                pick("sctp.init_nr_in_streams", "sctp.initack_nr_in_streams"),
                &c["inbound_streams"],
            );
            e.num(
                pick("sctp.init_initial_tsn", "sctp.initack_initial_tsn"),
                &c["initial_tsn"],
            );
        }
        "SACK" => {
            e.num("sctp.sack_cumulative_tsn_ack_raw", &c["cumulative_tsn_ack"]);
            e.num("sctp.sack_a_rwnd", &c["a_rwnd"]);
            e.push(
                "sctp.sack_number_of_gap_blocks",
                list(&c["gap_blocks"]).len().to_string(),
            );
            e.push(
                "sctp.sack_number_of_duplicated_tsns",
                list(&c["duplicate_tsns"]).len().to_string(),
            );
            for g in list(&c["gap_blocks"]) {
                e.num("sctp.sack_gap_block_start", &g[0]);
                e.num("sctp.sack_gap_block_end", &g[1]);
            }
            e.each("sctp.sack_duplicate_tsn", &c["duplicate_tsns"], Expect::num);
        }
        "ABORT" => e.bit("sctp.abort_t_bit", &c["t_bit"]),
        "SHUTDOWN_COMPLETE" => e.bit("sctp.shutdown_complete_t_bit", &c["t_bit"]),
        "SHUTDOWN" => e.num("sctp.shutdown_cumulative_tsn_ack", &c["cumulative_tsn_ack"]),
        "COOKIE_ECHO" => e.bytes("sctp.cookie", &c["cookie_hex"]),
        "ECNE" => e.num("sctp.ecne_lowest_tsn", &c["lowest_tsn"]),
        "CWR" => e.num("sctp.cwr_lowest_tsn", &c["lowest_tsn"]),
        "AUTH" => {
            e.num("sctp.shared_key_id", &c["shared_key_id"]);
            e.num("sctp.hmac_id", &c["hmac_id"]);
            e.bytes("sctp.hmac", &c["hmac_hex"]);
        }
        "ASCONF" => e.hex32("sctp.asconf_seq_nr_number", &c["serial_number"]),
        "ASCONF_ACK" => e.hex32("sctp.asconf_ack_seq_nr_number", &c["serial_number"]),
        "PAD" => {
            let n = c["padding_length"].as_u64().expect("padding_length") as usize;
            if n > 0 {
                e.push("sctp.padding_data", "00".repeat(n));
            }
        }
        "FORWARD_TSN" => {
            e.num("sctp.forward_tsn_tsn", &c["new_cumulative_tsn"]);
            for s in list(&c["streams"]) {
                e.num("sctp.forward_tsn_sid", &s["stream_id"]);
                e.num("sctp.forward_tsn_ssn", &s["ssn"]);
            }
        }
        "I_FORWARD_TSN" => {
            e.num("sctp.i_forward_tsn_tsn", &c["new_cumulative_tsn"]);
            for s in list(&c["streams"]) {
                e.num("sctp.i_forward_tsn_sid", &s["stream_id"]);
                e.bit("sctp.i_forward_tsn_u_bit", &s["unordered"]);
                // tshark 4.0 names the I-FORWARD-TSN MID field
                // `sctp.forward_tsn_mid`.
                e.num("sctp.forward_tsn_mid", &s["mid"]);
            }
        }
        "UNKNOWN" => e.bytes("sctp.chunk_value", &c["value_hex"]),
        "HEARTBEAT" | "HEARTBEAT_ACK" | "RE_CONFIG" | "ERROR" | "SHUTDOWN_ACK" | "COOKIE_ACK" => {}
        other => panic!("vector chunk type {other} not handled by this test"),
    }
    for p in list(&c["params"]) {
        expect_param(e, p);
    }
    for cause in list(&c["causes"]) {
        expect_cause(e, cause);
    }
}

fn expect_param(e: &mut Expect, p: &Value) {
    e.hex16("sctp.parameter_type", &p["type_id"]);
    e.num("sctp.parameter_length", &p["length"]);
    match p["type"].as_str().expect("param type") {
        "HEARTBEAT_INFO" => e.bytes("sctp.parameter_heartbeat_information", &p["info_hex"]),
        "IPV4_ADDRESS" => e.push(
            "sctp.parameter_ipv4_address",
            p["address"].as_str().expect("addr"),
        ),
        "IPV6_ADDRESS" => e.push(
            "sctp.parameter_ipv6_address",
            p["address"].as_str().expect("addr"),
        ),
        "STATE_COOKIE" => e.bytes("sctp.parameter_state_cookie", &p["cookie_hex"]),
        "COOKIE_PRESERVATIVE" => e.num(
            "sctp.parameter_cookie_preservative_incr",
            &p["life_span_increment"],
        ),
        "SUPPORTED_ADDRESS_TYPES" => e.each(
            "sctp.parameter_supported_address_type",
            &p["address_types"],
            Expect::num,
        ),
        "OUTGOING_SSN_RESET_REQUEST" => {
            e.num(
                "sctp.parameter_reconfig_request_sequence_number",
                &p["request_sequence_number"],
            );
            e.num(
                "sctp.parameter_reconfig_response_sequence_number",
                &p["response_sequence_number"],
            );
            e.num("sctp.parameter_senders_last_assigned_tsn", &p["last_tsn"]);
            e.each("sctp.parameter_reconfig_sid", &p["stream_ids"], Expect::num);
        }
        "INCOMING_SSN_RESET_REQUEST" => {
            e.num(
                "sctp.parameter_reconfig_request_sequence_number",
                &p["request_sequence_number"],
            );
            e.each("sctp.parameter_reconfig_sid", &p["stream_ids"], Expect::num);
        }
        "SSN_TSN_RESET_REQUEST" => e.num(
            "sctp.parameter_reconfig_request_sequence_number",
            &p["request_sequence_number"],
        ),
        "RECONFIGURATION_RESPONSE" => {
            e.num(
                "sctp.parameter_reconfig_response_sequence_number",
                &p["response_sequence_number"],
            );
            e.num("sctp.parameter_reconfig_response_result", &p["result"]);
            if !p["sender_next_tsn"].is_null() {
                e.num("sctp.parameter_senders_next_tsn", &p["sender_next_tsn"]);
                e.num("sctp.parameter_receivers_next_tsn", &p["receiver_next_tsn"]);
            }
        }
        "ADD_OUTGOING_STREAMS_REQUEST" => {
            e.num(
                "sctp.parameter_reconfig_request_sequence_number",
                &p["request_sequence_number"],
            );
            e.num(
                "sctp.parameter_add_outgoing_streams_number",
                &p["number_of_new_streams"],
            );
        }
        "ADD_INCOMING_STREAMS_REQUEST" => {
            e.num(
                "sctp.parameter_reconfig_request_sequence_number",
                &p["request_sequence_number"],
            );
            e.num(
                "sctp.parameter_add_incoming_streams_number",
                &p["number_of_new_streams"],
            );
        }
        // tshark 4.0 does not know RFC 9653's Zero Checksum Acceptable
        // parameter: it shows the raw value, which must be the EDMID.
        "ZERO_CHECKSUM_ACCEPTABLE" => e.push(
            "sctp.parameter_value",
            format!("{:08x}", p["edmid"].as_u64().expect("edmid")),
        ),
        // Nor RFC 4820's Padding parameter: its value is all zeros.
        "PADDING" => {
            let n = p["padding_length"].as_u64().expect("padding_length") as usize;
            if n > 0 {
                e.push("sctp.parameter_value", "00".repeat(n));
            }
        }
        "RANDOM" => e.bytes("sctp.random_number", &p["random_hex"]),
        "CHUNK_LIST" => e.each("sctp.chunk_type_to_auth", &p["chunk_types"], Expect::num),
        "SUPPORTED_EXTENSIONS" => {
            e.each("sctp.supported_chunk_type", &p["chunk_types"], Expect::num)
        }
        "REQUESTED_HMAC_ALGORITHM" => e.each("sctp.hmac_id", &p["hmac_ids"], Expect::num),
        "ADD_IP_ADDRESS"
        | "DELETE_IP_ADDRESS"
        | "SET_PRIMARY_ADDRESS"
        | "ERROR_CAUSE_INDICATION"
        | "SUCCESS_INDICATION" => e.hex32("sctp.correlation_id", &p["correlation_id"]),
        "ADAPTATION_LAYER_INDICATION" => e.hex32(
            "sctp.adaptation_layer_indication",
            &p["adaptation_code_point"],
        ),
        "ECN_CAPABLE" | "FORWARD_TSN_SUPPORTED" | "UNRECOGNIZED_PARAMETER" => {}
        other => panic!("vector parameter {other} not handled by this test"),
    }
    for nested in list(&p["params"]) {
        expect_param(e, nested);
    }
    for cause in list(&p["causes"]) {
        expect_cause(e, cause);
    }
}

fn expect_cause(e: &mut Expect, c: &Value) {
    e.hex16("sctp.cause_code", &c["code_id"]);
    e.num("sctp.cause_length", &c["length"]);
    match c["code"].as_str().expect("cause code") {
        "INVALID_STREAM_IDENTIFIER" => e.num("sctp.cause_stream_identifier", &c["stream_id"]),
        "MISSING_MANDATORY_PARAMETER" => {
            e.push(
                "sctp.cause_nr_of_missing_parameters",
                list(&c["missing_types"]).len().to_string(),
            );
            e.each(
                "sctp.cause_missing_parameter_type",
                &c["missing_types"],
                Expect::hex16,
            );
        }
        "STALE_COOKIE" => e.num("sctp.cause_measure_of_staleness", &c["staleness_us"]),
        "NO_USER_DATA" => e.num("sctp.cause_tsn", &c["tsn"]),
        "USER_INITIATED_ABORT" => e.bytes("sctp.cause_information", &c["reason_hex"]),
        "PROTOCOL_VIOLATION" => e.bytes("sctp.cause_information", &c["info_hex"]),
        // tshark 4.0 does not know RFC 4895's cause 105: raw value instead.
        "UNSUPPORTED_HMAC_IDENTIFIER" => e.push(
            "sctp.cause_information",
            format!("{:04x}", c["hmac_id"].as_u64().expect("hmac_id")),
        ),
        "UNRECOGNIZED_CHUNK_TYPE" => {
            // tshark dissects the reported chunk as a chunk.
            let chunk = hex::decode(c["chunk_hex"].as_str().expect("chunk_hex")).expect("hex");
            assert!(chunk.len() >= 4, "reported chunk too short for this test");
            e.push("sctp.chunk_type", chunk[0].to_string());
            e.push("sctp.chunk_flags", format!("{:#04x}", chunk[1]));
            let len = usize::from(u16::from_be_bytes([chunk[2], chunk[3]]));
            e.push("sctp.chunk_length", len.to_string());
            if len > 4 {
                e.push("sctp.chunk_value", hex::encode(&chunk[4..len]));
            }
        }
        _ => {}
    }
    for p in list(&c["params"]) {
        expect_param(e, p);
    }
}

fn expect_packet(v: &Value) -> Expect {
    let mut e = Expect::default();
    let p = &v["packet"];
    e.num("sctp.srcport", &p["src_port"]);
    e.num("sctp.dstport", &p["dst_port"]);
    e.hex32("sctp.verification_tag", &p["verification_tag"]);
    e.hex32("sctp.checksum", &p["checksum"]);
    for c in list(&v["chunks"]) {
        expect_chunk(&mut e, c);
    }
    e
}

// ---------------------------------------------------------------------------
// Running tshark.

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Dissects `capture` and returns, per frame, each requested field's
/// occurrences in order.
fn tshark(capture: &[u8], fields: &[&str]) -> Vec<BTreeMap<String, Vec<String>>> {
    let path = std::env::temp_dir().join(format!(
        "anysctp-vectors-{}-{:?}.pcap",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, capture).expect("write capture to the temp dir");
    let _cleanup = TempFile(path.clone());
    let bin = std::env::var_os("TSHARK").unwrap_or_else(|| "tshark".into());
    let mut cmd = Command::new(&bin);
    cmd.arg("-r").arg(&path).arg("-n");
    for pref in [
        "sctp.checksum:CRC 32c",
        "sctp.relative_tsns:FALSE",
        "sctp.reassembly:FALSE",
        "sctp.ulp_dissection:FALSE",
        "sctp.tsn_analysis:FALSE",
        "ip.check_checksum:TRUE",
        "udp.check_checksum:TRUE",
    ] {
        cmd.arg("-o").arg(pref);
    }
    cmd.args([
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
        "-E",
        "separator=/t",
    ]);
    for f in fields {
        cmd.arg("-e").arg(f);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {bin:?} ({e}): this test needs tshark. Install it with \
             `DEBIAN_FRONTEND=noninteractive apt-get install -y tshark` or set TSHARK"
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tshark failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                cols.len(),
                fields.len(),
                "tshark line has wrong column count: {line}"
            );
            fields
                .iter()
                .zip(cols)
                .map(|(f, col)| {
                    let values = if col.is_empty() {
                        Vec::new()
                    } else {
                        col.split('|').map(|s| normalize(f, s)).collect()
                    };
                    ((*f).to_owned(), values)
                })
                .collect()
        })
        .collect()
}

fn normalize(field: &str, value: &str) -> String {
    if BYTE_FIELDS.contains(&field) {
        value.replace(':', "").to_ascii_lowercase()
    } else {
        value.to_owned()
    }
}

fn udp_v4(sctp: &[u8]) -> Vec<u8> {
    let src: SocketAddr = "192.0.2.1:9899".parse().unwrap();
    let dst: SocketAddr = "192.0.2.2:9899".parse().unwrap();
    pcap::encapsulate_udp(src, dst, sctp).expect("fits in one datagram")
}

#[test]
fn tshark_dissects_every_vector_as_described() {
    let vectors = load("sctp-packets.json");
    let malformed = load("malformed.json");
    let bad_crc = malformed
        .iter()
        .find(|m| m["name"] == "bad_checksum")
        .expect("bad_checksum vector");

    let mut writer = pcap::PcapWriter::new();
    for (i, v) in vectors.iter().enumerate() {
        let ts = Instant::from_millis(i as u64);
        writer.write_packet(ts, &udp_v4(&bytes_of(v))).unwrap();
    }
    // Two controls: the same first vector over IPv6 (tshark checks our
    // mandatory UDP checksum there), and a packet with a wrong CRC32c, which
    // tshark must flag (proof that the CRC check below is live).
    let v6_src: SocketAddr = "[2001:db8::1]:9899".parse().unwrap();
    let v6_dst: SocketAddr = "[2001:db8::2]:9899".parse().unwrap();
    let v6 = pcap::encapsulate_udp(v6_src, v6_dst, &bytes_of(&vectors[0])).unwrap();
    writer
        .write_packet(Instant::from_millis(100_000), &v6)
        .unwrap();
    writer
        .write_packet(Instant::from_millis(101_000), &udp_v4(&bytes_of(bad_crc)))
        .unwrap();
    let capture = writer.into_inner();

    // Our reader gives back every SCTP packet as written.
    let reader = pcap::PcapReader::new(&capture).unwrap();
    let link = reader.link_type().unwrap();
    let read: Vec<Vec<u8>> = reader
        .map(|r| {
            let ip = pcap::link_payload(link, r.unwrap().data).unwrap();
            pcap::decapsulate_udp(ip).unwrap().payload.to_vec()
        })
        .collect();
    assert_eq!(read.len(), vectors.len() + 2);
    for (v, got) in vectors.iter().zip(&read) {
        assert_eq!(got, &bytes_of(v));
    }

    let all: Vec<&str> = HEALTH.iter().chain(FIELDS).copied().collect();
    let frames = tshark(&capture, &all);
    assert_eq!(frames.len(), vectors.len() + 2, "tshark frame count");

    let mut failures = Vec::new();
    for (i, (v, frame)) in vectors.iter().zip(&frames).enumerate() {
        let name = v["name"].as_str().unwrap();
        let mut fail = |msg: String| failures.push(format!("#{} {name}: {msg}", i + 1));
        check_health(frame, &mut fail);
        let expected = expect_packet(v);
        for f in FIELDS {
            let want = expected.0.get(f).cloned().unwrap_or_default();
            let got = &frame[*f];
            if &want != got {
                fail(format!("{f}: tshark {got:?}, vector {want:?}"));
            }
        }
    }
    let v6_frame = &frames[vectors.len()];
    check_health(v6_frame, &mut |m| {
        failures.push(format!("IPv6 control: {m}"))
    });
    assert_eq!(v6_frame["udp.checksum.status"], ["1"], "IPv6 UDP checksum");
    let bad = &frames[vectors.len() + 1];
    assert_eq!(
        bad["sctp.checksum.status"],
        ["0"],
        "tshark must flag the bad CRC32c"
    );

    assert!(
        failures.is_empty(),
        "{} disagreements with tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_health(frame: &BTreeMap<String, Vec<String>>, fail: &mut dyn FnMut(String)) {
    if frame["sctp.checksum.status"] != ["1"] {
        fail(format!(
            "CRC32c status {:?} (1 = good)",
            frame["sctp.checksum.status"]
        ));
    }
    if frame["ip.checksum.status"].iter().any(|s| s != "1") {
        fail(format!(
            "IPv4 checksum status {:?}",
            frame["ip.checksum.status"]
        ));
    }
    if frame["udp.checksum.status"].iter().any(|s| s != "1") {
        fail(format!(
            "UDP checksum status {:?}",
            frame["udp.checksum.status"]
        ));
    }
    if !frame["_ws.malformed"].is_empty() {
        fail(format!("malformed: {:?}", frame["_ws.expert.message"]));
    }
    for (sev, msg) in frame["_ws.expert.severity"]
        .iter()
        .zip(&frame["_ws.expert.message"])
    {
        if sev.parse::<u64>().unwrap_or(u64::MAX) >= PI_ERROR {
            fail(format!("expert error: {msg}"));
        }
    }
}

/// The malformed set is checked against tshark too: every packet marked
/// `"reject_by": "parser"` must make tshark report a bad checksum or a
/// malformed packet.
#[test]
fn tshark_flags_the_malformed_parser_vectors() {
    // tshark 4.0 is more lenient than RFC 9260 here: it silently skips a
    // chunk whose length is below 4 (§3.2), and decodes a DATA chunk shorter
    // than its fixed part (§3.3.1) without an expert message.
    const TSHARK_LENIENT: &[&str] = &["chunk_length_below_4", "data_too_short"];
    let malformed = load("malformed.json");
    let mut writer = pcap::PcapWriter::new();
    for (i, m) in malformed.iter().enumerate() {
        writer
            .write_packet(Instant::from_millis(i as u64), &udp_v4(&bytes_of(m)))
            .unwrap();
    }
    let frames = tshark(&writer.into_inner(), HEALTH);
    assert_eq!(frames.len(), malformed.len());
    let mut failures = Vec::new();
    for (m, frame) in malformed.iter().zip(&frames) {
        let name = m["name"].as_str().unwrap();
        if m["reject_by"] != "parser" || TSHARK_LENIENT.contains(&name) {
            continue;
        }
        let bad_crc = frame["sctp.checksum.status"] == ["0"];
        let flagged = !frame["_ws.malformed"].is_empty();
        if !bad_crc && !flagged {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "tshark accepts these as well-formed: {failures:?}"
    );
}
