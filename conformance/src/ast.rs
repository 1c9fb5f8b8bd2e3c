//! The typed syntax tree of a packetdrill script, as the ETSI TS 102 369
//! suite uses the language.
//!
//! Packet fields are [`Val`]s: either a concrete value or `...` (any value
//! in an expected packet; "compute a sensible value" in an injected one).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A field of a packet: a concrete value or the wildcard `...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val<T> {
    /// `...`: any value when expected; the runner picks one when injecting.
    Any,
    /// A concrete value.
    Is(T),
}

impl<T> Val<T> {
    /// The concrete value, if any.
    pub fn get(&self) -> Option<&T> {
        match self {
            Val::Any => None,
            Val::Is(v) => Some(v),
        }
    }
}

impl<T: PartialEq> Val<T> {
    /// Whether `actual` satisfies this expectation (`...` matches anything).
    pub fn matches(&self, actual: &T) -> bool {
        match self {
            Val::Any => true,
            Val::Is(v) => v == actual,
        }
    }
}

/// A parsed script.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// Command line options given in the script (`--tolerance_usecs=25000`).
    pub options: Vec<ScriptOption>,
    /// The events, in script order.
    pub events: Vec<Event>,
}

/// packetdrill's default timing tolerance in microseconds.
pub const DEFAULT_TOLERANCE_USECS: u64 = 4000;

impl Script {
    /// The timing tolerance (`--tolerance_usecs`, default 4000 us).
    pub fn tolerance_usecs(&self) -> u64 {
        self.options
            .iter()
            .rev()
            .find(|o| o.name == "tolerance_usecs")
            .and_then(|o| o.value.as_deref())
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_TOLERANCE_USECS)
    }
}

/// An option line `--name=value` or `--name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptOption {
    /// 1-based line number.
    pub line: u32,
    /// The option name without the leading dashes.
    pub name: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
}

/// One timed event of the script.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// 1-based line number where the event starts.
    pub line: u32,
    /// When the event happens.
    pub time: EventTime,
    /// What happens.
    pub action: Action,
}

/// The time specification of an event, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventTime {
    /// `*`: any time (only for expected packets).
    Any,
    /// `1.0` (or the range `1.0~1.5`): since the start of the script.
    Absolute {
        /// Start of the window.
        start: i64,
        /// End of the window for a range.
        end: Option<i64>,
    },
    /// `+0.1` (or the range `+0.1~+0.3`): after the previous event.
    Relative {
        /// Start of the window.
        start: i64,
        /// End of the window for a range.
        end: Option<i64>,
    },
}

/// What an event does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `<` (injected) or `>` (expected) packet.
    Packet(PacketEvent),
    /// A system call with its expected result.
    Syscall(Syscall),
    /// A shell command in backticks (`sysctl ...`).
    Command(String),
}

/// Direction of a packet event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `<`: the script injects the packet into the stack.
    Inbound,
    /// `>`: the stack is expected to send the packet.
    Outbound,
}

/// A packet line.
#[derive(Clone, Debug, PartialEq)]
pub struct PacketEvent {
    /// Injected or expected.
    pub direction: Direction,
    /// Explicit `src > dst` addresses, if given.
    pub addresses: Option<(IpAddr, IpAddr)>,
    /// `sctp(tag=N)`: explicit verification tag (script value, not remapped).
    pub tag: Option<u32>,
    /// `sctp(bad_crc32c)`: inject with a wrong checksum.
    pub bad_crc32c: bool,
    /// The chunks or raw bytes after `sctp:`.
    pub payload: Payload,
}

/// The SCTP payload of a packet line.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Chunks separated by `;`.
    Chunks(Vec<Chunk>),
    /// `[0x01, 0x00, ...]`: raw bytes after the common header.
    Raw(Vec<u8>),
}

/// A chunk in a packet line.
#[derive(Clone, Debug, PartialEq)]
pub enum Chunk {
    /// DATA (RFC 9260 §3.3.1).
    Data {
        /// Flags (`BE`, `U`, ...).
        flags: Val<u8>,
        /// Chunk length (header included, padding excluded).
        len: Val<u16>,
        /// TSN.
        tsn: Val<u32>,
        /// Stream identifier.
        sid: Val<u16>,
        /// Stream sequence number.
        ssn: Val<u16>,
        /// Payload protocol identifier.
        ppid: Val<u32>,
    },
    /// INIT (§3.3.2).
    Init(InitChunk),
    /// INIT ACK (§3.3.3).
    InitAck(InitChunk),
    /// SACK (§3.3.4).
    Sack {
        /// Flags.
        flags: Val<u8>,
        /// Cumulative TSN ack.
        cum_tsn: Val<u32>,
        /// Advertised receiver window.
        a_rwnd: Val<u32>,
        /// Gap ack blocks `start:end` (offsets from `cum_tsn`).
        gaps: Val<Vec<(u16, u16)>>,
        /// Duplicate TSNs.
        dups: Val<Vec<u32>>,
    },
    /// HEARTBEAT (§3.3.5).
    Heartbeat {
        /// Flags.
        flags: Val<u8>,
        /// Parameters (heartbeat info).
        params: ParamList,
    },
    /// HEARTBEAT ACK (§3.3.6).
    HeartbeatAck {
        /// Flags.
        flags: Val<u8>,
        /// Parameters (heartbeat info).
        params: ParamList,
    },
    /// ABORT (§3.3.7); flag `T` = 0x01.
    Abort {
        /// Flags.
        flags: Val<u8>,
        /// Error causes.
        causes: CauseList,
    },
    /// SHUTDOWN (§3.3.8).
    Shutdown {
        /// Flags.
        flags: Val<u8>,
        /// Cumulative TSN ack.
        cum_tsn: Val<u32>,
    },
    /// SHUTDOWN ACK (§3.3.9).
    ShutdownAck {
        /// Flags.
        flags: Val<u8>,
    },
    /// ERROR (§3.3.10).
    Error {
        /// Flags.
        flags: Val<u8>,
        /// Error causes.
        causes: CauseList,
    },
    /// COOKIE ECHO (§3.3.11).
    CookieEcho {
        /// Flags.
        flags: Val<u8>,
        /// Chunk length.
        len: Val<u16>,
        /// Cookie bytes.
        val: Val<Vec<u8>>,
    },
    /// COOKIE ACK (§3.3.12).
    CookieAck {
        /// Flags.
        flags: Val<u8>,
    },
    /// SHUTDOWN COMPLETE (§3.3.13); flag `T` = 0x01.
    ShutdownComplete {
        /// Flags.
        flags: Val<u8>,
    },
    /// I-DATA (RFC 8260 §2.1): `ppid=` on a first fragment, `fsn=`
    /// otherwise (the same field).
    IData {
        /// Flags (`I`, `U`, `B`, `E`).
        flags: Val<u8>,
        /// Chunk length (header included, padding excluded).
        len: Val<u16>,
        /// TSN.
        tsn: Val<u32>,
        /// Stream identifier.
        sid: Val<u16>,
        /// Message identifier.
        mid: Val<u32>,
        /// Payload protocol identifier (B bit set) or fragment sequence
        /// number.
        ppid_fsn: Val<u32>,
    },
    /// FORWARD-TSN (RFC 3758 §3.2).
    ForwardTsn {
        /// Flags.
        flags: Val<u8>,
        /// Chunk length.
        len: Val<u16>,
        /// New cumulative TSN.
        cum_tsn: Val<u32>,
        /// `ids=[{sid, ssn}, ...]`: stream and stream sequence number.
        ids: Val<Vec<(u16, u16)>>,
    },
    /// I-FORWARD-TSN (RFC 8260 §2.3.1).
    IForwardTsn {
        /// Flags.
        flags: Val<u8>,
        /// Chunk length.
        len: Val<u16>,
        /// New cumulative TSN.
        cum_tsn: Val<u32>,
        /// `ids=[{sid, u, mid}, ...]`: stream, U flag (0 or 1) and message
        /// identifier.
        ids: Val<Vec<(u16, bool, u32)>>,
    },
    /// RE-CONFIG (RFC 6525 §3.1) with its parameters.
    Reconfig {
        /// Flags.
        flags: Val<u8>,
        /// Chunk length.
        len: Val<u16>,
        /// The parameters (`...` at the end allows more).
        params: ReconfigParams,
    },
    /// `CHUNK[type=.., flgs=.., len=.., val=[..]]`: any chunk as raw fields.
    Generic {
        /// Chunk type.
        ty: Val<u8>,
        /// Flags.
        flags: Val<u8>,
        /// Chunk length (may disagree with `val` on purpose).
        len: Val<u16>,
        /// Chunk value bytes.
        val: Val<Vec<u8>>,
    },
}

impl Chunk {
    /// The chunk's name as written in scripts.
    pub fn name(&self) -> &'static str {
        match self {
            Chunk::Data { .. } => "DATA",
            Chunk::Init(_) => "INIT",
            Chunk::InitAck(_) => "INIT_ACK",
            Chunk::Sack { .. } => "SACK",
            Chunk::Heartbeat { .. } => "HEARTBEAT",
            Chunk::HeartbeatAck { .. } => "HEARTBEAT_ACK",
            Chunk::Abort { .. } => "ABORT",
            Chunk::Shutdown { .. } => "SHUTDOWN",
            Chunk::ShutdownAck { .. } => "SHUTDOWN_ACK",
            Chunk::Error { .. } => "ERROR",
            Chunk::CookieEcho { .. } => "COOKIE_ECHO",
            Chunk::CookieAck { .. } => "COOKIE_ACK",
            Chunk::ShutdownComplete { .. } => "SHUTDOWN_COMPLETE",
            Chunk::IData { .. } => "I_DATA",
            Chunk::ForwardTsn { .. } => "FORWARD_TSN",
            Chunk::IForwardTsn { .. } => "I_FORWARD_TSN",
            Chunk::Reconfig { .. } => "RECONFIG",
            Chunk::Generic { .. } => "CHUNK",
        }
    }
}

/// Fields of INIT and INIT ACK.
#[derive(Clone, Debug, PartialEq)]
pub struct InitChunk {
    /// Flags.
    pub flags: Val<u8>,
    /// Initiate tag.
    pub tag: Val<u32>,
    /// Advertised receiver window credit.
    pub a_rwnd: Val<u32>,
    /// Number of outbound streams.
    pub os: Val<u16>,
    /// Number of inbound streams.
    pub is: Val<u16>,
    /// Initial TSN.
    pub tsn: Val<u32>,
    /// Optional/variable parameters.
    pub params: ParamList,
}

/// A list of parameters; `more` when the list ends in `...`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamList {
    /// The parameters written in the script, in order.
    pub items: Vec<Param>,
    /// `...` was given: further (or other) parameters are allowed.
    pub more: bool,
}

/// The parameters of a RE-CONFIG chunk; `more` when the list ends in `...`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReconfigParams {
    /// The parameters written in the script, in order.
    pub items: Vec<ReconfigParam>,
    /// `...` was given: further (or other) parameters are allowed.
    pub more: bool,
}

/// A RE-CONFIG parameter (RFC 6525 §4). Sequence numbers and TSNs are in
/// the TSN space of the endpoint that chose them: `req_sn` and `last_tsn`
/// of a request and `sender_next_tsn` of a response are the sender's;
/// `resp_sn` of an Outgoing SSN Reset Request and `req_sn` and
/// `receiver_next_tsn` of a response are the receiver's. The runner maps
/// the stack's side onto the script's numbering, as it does for TSNs.
#[derive(Clone, Debug, PartialEq)]
pub enum ReconfigParam {
    /// `OUTGOING_SSN_RESET[req_sn, resp_sn, last_tsn, sids=[..]]` (13).
    OutgoingSsnReset {
        /// Re-configuration request sequence number.
        req_sn: Val<u32>,
        /// Re-configuration response sequence number.
        resp_sn: Val<u32>,
        /// Sender's last assigned TSN.
        last_tsn: Val<u32>,
        /// Streams to reset (empty: all).
        sids: Val<Vec<u16>>,
    },
    /// `INCOMING_SSN_RESET[req_sn, sids=[..]]` (14).
    IncomingSsnReset {
        /// Re-configuration request sequence number.
        req_sn: Val<u32>,
        /// Streams to reset (empty: all).
        sids: Val<Vec<u16>>,
    },
    /// `SSN_TSN_RESET[req_sn]` (15).
    SsnTsnReset {
        /// Re-configuration request sequence number.
        req_sn: Val<u32>,
    },
    /// `RECONFIG_RESPONSE[req_sn, result, sender_next_tsn, receiver_next_tsn]`
    /// (16); the two TSNs are present only when written.
    Response {
        /// The request answered.
        req_sn: Val<u32>,
        /// Result (RFC 6525 §4.4: 0 success nothing to do, 1 performed,
        /// 2 denied, ...).
        result: Val<u32>,
        /// Next TSN of the sender (SSN/TSN reset only).
        sender_next_tsn: Option<Val<u32>>,
        /// Next TSN of the receiver (SSN/TSN reset only).
        receiver_next_tsn: Option<Val<u32>>,
    },
    /// `ADD_OUTGOING_STREAMS[req_sn, number_of_new_streams]` (17).
    AddOutgoingStreams {
        /// Re-configuration request sequence number.
        req_sn: Val<u32>,
        /// Streams to add.
        number_of_new_streams: Val<u16>,
    },
    /// `ADD_INCOMING_STREAMS[req_sn, number_of_new_streams]` (18).
    AddIncomingStreams {
        /// Re-configuration request sequence number.
        req_sn: Val<u32>,
        /// Streams to add.
        number_of_new_streams: Val<u16>,
    },
}

/// A list of error causes; `more` when the list ends in `...`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CauseList {
    /// The causes written in the script, in order.
    pub items: Vec<Cause>,
    /// `...` was given: further (or other) causes are allowed.
    pub more: bool,
}

/// Address families in SUPPORTED_ADDRESS_TYPES.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressType {
    /// IPv4 (5).
    Ipv4,
    /// IPv6 (6).
    Ipv6,
    /// Host name (11).
    Hostname,
}

impl AddressType {
    /// The parameter type it stands for (RFC 9260 §3.3.2.1).
    pub fn code(self) -> u16 {
        match self {
            AddressType::Ipv4 => 5,
            AddressType::Ipv6 => 6,
            AddressType::Hostname => 11,
        }
    }
}

/// A parameter inside INIT, INIT ACK, HEARTBEAT or an error cause.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// IPv4 address (5).
    Ipv4Address(Val<Ipv4Addr>),
    /// IPv6 address (6).
    Ipv6Address(Val<Ipv6Addr>),
    /// State cookie (7).
    StateCookie {
        /// Parameter length.
        len: Val<u16>,
        /// Cookie bytes.
        val: Val<Vec<u8>>,
    },
    /// Unrecognized parameter (8), wrapping the parameters reported.
    UnrecognizedParameter(Val<Vec<Param>>),
    /// Cookie preservative (9), suggested increment in milliseconds.
    CookiePreservative(Val<u32>),
    /// Host name address (11).
    HostnameAddress(Val<String>),
    /// Supported address types (12).
    SupportedAddressTypes(Val<Vec<AddressType>>),
    /// Heartbeat info (1).
    HeartbeatInformation {
        /// Parameter length.
        len: Val<u16>,
        /// Info bytes.
        val: Val<Vec<u8>>,
    },
    /// `PARAMETER[type=.., len=.., val=[..]]`: any parameter as raw fields.
    Generic {
        /// Parameter type.
        ty: Val<u16>,
        /// Parameter length.
        len: Val<u16>,
        /// Value bytes.
        val: Val<Vec<u8>>,
    },
}

/// An error cause inside ABORT or ERROR (RFC 9260 §3.3.10).
#[derive(Clone, Debug, PartialEq)]
pub enum Cause {
    /// Invalid stream identifier (1).
    InvalidStreamIdentifier(Val<u16>),
    /// Missing mandatory parameter (2) with the missing types.
    MissingMandatoryParameter(Val<Vec<u16>>),
    /// Stale cookie error (3), staleness in microseconds.
    StaleCookie(Val<u32>),
    /// Unresolvable address (5) carrying the address parameter.
    UnresolvableAddress(Val<Box<Param>>),
    /// Unrecognized chunk type (6) carrying the chunk.
    UnrecognizedChunkType(Val<Box<Chunk>>),
    /// Invalid mandatory parameter (7).
    InvalidMandatoryParameter,
    /// Unrecognized parameters (8).
    UnrecognizedParameters(Val<Vec<Param>>),
    /// No user data (9) for a TSN.
    NoUserData(Val<u32>),
    /// Protocol violation (13) with additional information.
    ProtocolViolation(Val<Vec<u8>>),
}

/// A system call event: `name(args) = ret [ERRNO] [(note)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Syscall {
    /// The call's name (`socket`, `connect`, `setsockopt`, ...).
    pub name: String,
    /// Arguments as written.
    pub args: Vec<Expr>,
    /// Expected return value (`...` = any).
    pub ret: Expr,
    /// Expected errno name, if given (`EINPROGRESS`).
    pub errno: Option<String>,
    /// Free text in parentheses after the result.
    pub note: Option<String>,
}

/// An expression in a system call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `...`
    Ellipsis,
    /// An integer (decimal or hex, possibly negative).
    Int(i64),
    /// A symbolic constant (`SOCK_STREAM`, `SO_ERROR`, `ETIMEDOUT`).
    Ident(String),
    /// `A | B | ...` of constants.
    BitOr(Vec<Expr>),
    /// `[x, y]`: a pointer to values (e.g. `[4]` for an option length).
    List(Vec<Expr>),
    /// `{key=value, ...}`: a structure.
    Struct(Vec<(String, Expr)>),
    /// `"text"`
    Str(String),
}

impl Expr {
    /// The field `key` of a structure expression.
    pub fn field(&self, key: &str) -> Option<&Expr> {
        match self {
            Expr::Struct(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The integer value, if this is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Expr::Int(v) => Some(*v),
            _ => None,
        }
    }
}
