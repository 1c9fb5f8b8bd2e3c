//! `listen` and `connect`: netcat for SCTP.
//!
//! Messages come from stdin (one message per line), a file (`--file`, in
//! chunks of `--size` bytes) or a generator (`--count N --size B`, in the
//! interop message format: an 8-byte little-endian id, then byte i is
//! `(id + i) % 251`). What arrives goes to stdout, or is checked against
//! that format with `--verify` (which prints one `RESULT {json}` line).

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::Not;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Error, Event, Ppid, SendOptions,
    StreamId,
};
use bytes::Bytes;
use clap::Args;

use crate::host::Host;
use crate::Global;

/// Options of both `listen` and `connect`.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Outbound streams to request
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub streams: u16,
    /// Stream to send on (with --count, messages go round-robin over --send-streams)
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub stream: u16,
    /// Payload protocol identifier of the messages sent
    #[arg(long, default_value_t = 0, value_name = "P")]
    pub ppid: u32,
    /// Send unordered: `--unordered` or `--unordered 1` for all, `mixed` for odd message ids only
    #[arg(long, num_args = 0..=1, default_missing_value = "1", default_value = "0", value_name = "0|1|mixed")]
    pub unordered: String,
    /// Send every message at once (no Nagle-style bundling delay)
    #[arg(long)]
    pub nodelay: bool,
    /// Local address to bind, IP or IP:PORT (repeat for several, e.g. for multihoming)
    #[arg(long, value_name = "ADDR", value_parser = parse_local_addr)]
    pub local: Vec<SocketAddr>,
    /// Local UDP port (listen: instead of the positional PORT; connect: default any)
    #[arg(long, value_name = "PORT")]
    pub udp_port: Option<u16>,
    /// Our SCTP port (the port in the SCTP common header, not the UDP port)
    #[arg(long, value_name = "PORT")]
    pub sctp_port: Option<u16>,
    /// Echo every message back on the stream it came on
    #[arg(long)]
    pub echo: bool,
    /// Send one message of this many bytes (in the interop format) instead of --count
    #[arg(long, value_name = "BYTES")]
    pub big: Option<usize>,
    /// After a graceful end keep answering the peer this many seconds (SIGTERM/Ctrl-C ends it)
    #[arg(long, value_name = "SECS")]
    pub linger: Option<f64>,
    /// Send the contents of a file as messages of --size bytes
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Generate this many messages (in the interop format) instead of reading stdin
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Message size for --count and --file
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    pub size: usize,
    /// With --count: message i goes on stream i % N (with --verify: check that it came there) [default: 1]
    #[arg(long, value_name = "N")]
    pub send_streams: Option<u16>,
    /// Check arriving messages against the interop format and print a RESULT line
    #[arg(long)]
    pub verify: bool,
    /// Wait until this many messages have arrived before closing
    #[arg(long, value_name = "N")]
    pub expect: Option<u64>,
    /// Give up (exit code 1) after this many seconds
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Largest message, in bytes
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_message_size: usize,
    /// Largest SCTP packet, in bytes (without IP and UDP headers; 256..=65507) [default: 1200]
    #[arg(long, value_name = "BYTES")]
    pub mtu: Option<usize>,
    /// SCTP-AUTH (RFC 4895): accept these chunk types only authenticated
    /// (names like data,sack,heartbeat,abort,shutdown,cookie-echo,asconf or
    /// type numbers); `--auth` alone: data,sack
    #[arg(long, num_args = 0..=1, default_missing_value = "data,sack", value_name = "CHUNKS")]
    pub auth: Option<String>,
    /// Let the peer reset the association's TSNs and stream numbering
    /// (RFC 6525 SSN/TSN Reset; refused by default)
    #[arg(long)]
    pub accept_assoc_reset: bool,
}

/// `--auth data,sack,...` as chunk types.
fn parse_auth_chunks(s: &str) -> anyhow::Result<Vec<u8>> {
    use anysctp::wire::chunk_type as t;
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let ty = match name.to_ascii_lowercase().as_str() {
            "data" => t::DATA,
            "sack" => t::SACK,
            "heartbeat" => t::HEARTBEAT,
            "heartbeat-ack" => t::HEARTBEAT_ACK,
            "abort" => t::ABORT,
            "shutdown" => t::SHUTDOWN,
            "shutdown-ack" => t::SHUTDOWN_ACK,
            "error" => t::ERROR,
            "cookie-echo" => t::COOKIE_ECHO,
            "cookie-ack" => t::COOKIE_ACK,
            "asconf" => t::ASCONF,
            "asconf-ack" => t::ASCONF_ACK,
            "forward-tsn" => t::FORWARD_TSN,
            "reconfig" => t::RE_CONFIG,
            "idata" => t::I_DATA,
            n => n.parse::<u8>().with_context(|| {
                format!("--auth: `{n}` is neither a chunk name (data, sack, ...) nor a type number")
            })?,
        };
        out.push(ty);
    }
    Ok(out)
}

/// `anysctp listen`.
#[derive(Args, Debug, Clone)]
pub struct ListenArgs {
    /// UDP port, or ADDR:PORT, to listen on [default: 0.0.0.0:9899; no UDP with --ws alone]
    #[arg(value_parser = crate::parse_listen_addr, value_name = "[ADDR:]PORT")]
    pub addr: Option<SocketAddr>,
    /// Keep listening after the first association ends
    #[arg(long, short = 'k')]
    pub keep_open: bool,
    /// Accept WebSocket connections on this TCP port or ADDR:PORT, e.g. from a
    /// web page (one SCTP packet per binary frame). With a UDP address too
    /// (positional, --udp-port or --local) both are served; alone, only
    /// WebSocket, and the SCTP port defaults to 5000 (the JavaScript packages'
    /// default). Frames larger than --mtu plus 1 KiB and text frames close
    /// their connection with a reason
    #[arg(long, value_parser = crate::parse_listen_addr, value_name = "[ADDR:]PORT")]
    pub ws: Option<SocketAddr>,
    #[command(flatten)]
    pub common: Common,
}

/// `anysctp connect`.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// The peer's UDP address, HOST:PORT or HOST (then --remote-udp-port)
    #[arg(value_name = "HOST:PORT", required_unless_present = "remote_flag")]
    pub remote: Option<String>,
    /// The same as the positional HOST:PORT (the interop peers' spelling)
    #[arg(
        long = "remote",
        id = "remote_flag",
        value_name = "HOST:PORT",
        conflicts_with = "remote"
    )]
    pub remote_flag: Option<String>,
    /// The peer's UDP port when HOST:PORT has no port
    #[arg(long, default_value_t = crate::DEFAULT_UDP_PORT, value_name = "PORT")]
    pub remote_udp_port: u16,
    /// The peer's SCTP port (default: the same as ours)
    #[arg(long, value_name = "PORT")]
    pub remote_sctp_port: Option<u16>,
    #[command(flatten)]
    pub common: Common,
}

/// `--local` accepts an IP (any port) or IP:PORT.
fn parse_local_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = s.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 0));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| format!("`{s}` is not an IP address or IP:PORT"))
}

fn association_config(c: &Common) -> anyhow::Result<AssociationConfig> {
    let max_message_size = c.max_message_size.max(c.big.unwrap_or(0));
    let default = AssociationConfig::default();
    let cfg = AssociationConfig {
        outbound_streams: c.streams,
        nodelay: c.nodelay,
        mtu: c.mtu.unwrap_or(default.mtu),
        max_message_size,
        // Room for the largest message in reassembly, with headroom.
        receive_buffer: default
            .receive_buffer
            .max(u32::try_from(max_message_size.saturating_mul(2)).unwrap_or(u32::MAX)),
        auth: c
            .auth
            .as_deref()
            .map(|list| -> anyhow::Result<_> {
                Ok(anysctp::AuthConfig {
                    chunks: parse_auth_chunks(list)?,
                    ..anysctp::AuthConfig::default()
                })
            })
            .transpose()?,
        reconfig_policy: anysctp::config::ReconfigPolicy {
            accept_ssn_tsn_reset: c.accept_assoc_reset,
            ..default.reconfig_policy
        },
        ..default
    };
    cfg.validate().context("bad option")?;
    let send_streams = c.send_streams.unwrap_or(1);
    if c.stream >= c.streams
        || send_streams == 0
        || u32::from(c.stream) + u32::from(send_streams) > u32::from(c.streams)
    {
        bail!(
            "--stream and --send-streams must stay below --streams ({})",
            c.streams
        );
    }
    if c.size == 0 || c.size > max_message_size {
        bail!(
            "--size must be between 1 and --max-message-size ({})",
            c.max_message_size
        );
    }
    Ok(cfg)
}

/// Where outgoing messages come from.
enum Source {
    /// Lines from stdin, read by a thread.
    Stdin(mpsc::Receiver<Option<Vec<u8>>>),
    /// Chunks of a file.
    File {
        file: std::fs::File,
        size: usize,
        progress: indicatif::ProgressBar,
    },
    /// Generated interop messages.
    Generated { next: u64, count: u64 },
    /// One big interop message (`--big`).
    Big(Option<usize>),
    /// Nothing (listen without stdin data).
    Done,
}

/// One outgoing message.
struct Outgoing {
    stream: StreamId,
    unordered: bool,
    data: Bytes,
}

impl Source {
    fn next(&mut self, c: &Common) -> anyhow::Result<Option<Outgoing>> {
        let unordered_id = |id: u64| match c.unordered.as_str() {
            "1" => true,
            "mixed" => id % 2 == 1,
            _ => false,
        };
        match self {
            Source::Stdin(rx) => match rx.try_recv() {
                Ok(Some(line)) => Ok(Some(Outgoing {
                    stream: StreamId(c.stream),
                    unordered: c.unordered == "1",
                    data: Bytes::from(line),
                })),
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    *self = Source::Done;
                    Ok(None)
                }
                Err(mpsc::TryRecvError::Empty) => Ok(None),
            },
            Source::File {
                file,
                size,
                progress,
            } => {
                let mut buf = vec![0u8; *size];
                let mut filled = 0;
                while filled < buf.len() {
                    let n = file.read(&mut buf[filled..]).context("reading --file")?;
                    if n == 0 {
                        break;
                    }
                    filled += n;
                }
                if filled == 0 {
                    progress.finish();
                    *self = Source::Done;
                    return Ok(None);
                }
                buf.truncate(filled);
                progress.inc(filled as u64);
                Ok(Some(Outgoing {
                    stream: StreamId(c.stream),
                    unordered: c.unordered == "1",
                    data: Bytes::from(buf),
                }))
            }
            Source::Generated { next, count } => {
                if *next >= *count {
                    *self = Source::Done;
                    return Ok(None);
                }
                let id = *next;
                *next += 1;
                Ok(Some(Outgoing {
                    stream: StreamId(
                        c.stream + (id % u64::from(c.send_streams.unwrap_or(1).max(1))) as u16,
                    ),
                    unordered: unordered_id(id),
                    data: make_message(id, c.size),
                }))
            }
            Source::Big(size) => match size.take() {
                Some(len) => Ok(Some(Outgoing {
                    stream: StreamId(c.stream),
                    unordered: c.unordered == "1",
                    data: make_message(0, len),
                })),
                None => {
                    *self = Source::Done;
                    Ok(None)
                }
            },
            Source::Done => Ok(None),
        }
    }

    fn done(&self) -> bool {
        matches!(self, Source::Done)
    }
}

/// A message in the interop format: id (8 bytes, little endian), then byte
/// i is `(id + i) % 251`.
pub fn make_message(id: u64, len: usize) -> Bytes {
    let mut v = vec![0u8; len.max(8)];
    v[..8].copy_from_slice(&id.to_le_bytes());
    for (i, b) in v.iter_mut().enumerate().skip(8) {
        *b = ((id + i as u64) % 251) as u8;
    }
    v.truncate(len.max(8));
    Bytes::from(v)
}

/// Checks arriving interop messages.
#[derive(Default)]
pub(crate) struct Verifier {
    /// First stream of the round-robin and how many (`--stream`, `--send-streams`).
    first_stream: u16,
    send_streams: Option<u16>,
    /// Ids must stay below this (`--expect`).
    expect: Option<u64>,
    /// Messages checked.
    pub(crate) received: u64,
    /// Their bytes.
    pub(crate) bytes: u64,
    seen: HashSet<u64>,
    last_ordered: HashMap<u16, u64>,
    /// The first 20 problems found.
    pub(crate) errors: Vec<String>,
}

impl Verifier {
    /// Checks stream (`id % send_streams`) when given, and ids below `expect`.
    pub(crate) fn new(send_streams: Option<u16>, expect: Option<u64>) -> Self {
        Self {
            send_streams,
            expect,
            ..Self::default()
        }
    }

    /// Checks one message.
    pub(crate) fn check(&mut self, stream: StreamId, unordered: bool, data: &[u8]) {
        self.received += 1;
        self.bytes += data.len() as u64;
        if self.errors.len() >= 20 {
            return;
        }
        if data.len() < 8 {
            self.errors.push(format!(
                "message of {} bytes is shorter than its id",
                data.len()
            ));
            return;
        }
        let mut idb = [0u8; 8];
        idb.copy_from_slice(&data[..8]);
        let id = u64::from_le_bytes(idb);
        if let Some(i) = data
            .iter()
            .enumerate()
            .skip(8)
            .find(|(i, b)| **b != ((id + *i as u64) % 251) as u8)
            .map(|(i, _)| i)
        {
            self.errors
                .push(format!("message {id}: byte {i} corrupted"));
        }
        if let Some(n) = self.send_streams.filter(|n| *n > 0) {
            let want = u64::from(self.first_stream) + id % u64::from(n);
            if u64::from(stream.0) != want {
                self.errors.push(format!(
                    "message {id} came on stream {}, not {want}",
                    stream.0
                ));
            }
        }
        if self.expect.is_some_and(|n| id >= n) {
            self.errors.push(format!("message id {id} beyond --expect"));
        }
        if !self.seen.insert(id) {
            self.errors.push(format!("message {id} delivered twice"));
        }
        if !unordered {
            if let Some(prev) = self.last_ordered.insert(stream.0, id) {
                if id <= prev {
                    self.errors.push(format!(
                        "stream {}: ordered message {id} after {prev}",
                        stream.0
                    ));
                }
            }
        }
    }
}

/// Shared state of one netcat run.
struct Session {
    common: Common,
    source: Source,
    pending: VecDeque<(AssociationId, Outgoing)>,
    sent: u64,
    verifier: Option<Verifier>,
    echo: bool,
    shutdown_requested: bool,
    closed: Option<CloseReason>,
    stdout: std::io::Stdout,
}

impl Session {
    fn new(common: Common, stdin: Option<Arc<mio::Waker>>) -> anyhow::Result<Self> {
        let echo = common.echo;
        let source = if let Some(path) = &common.file {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot read --file {}", path.display()))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let progress = indicatif::ProgressBar::new(len).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Source::File {
                file,
                size: common.size,
                progress,
            }
        } else if let Some(big) = common.big {
            Source::Big(Some(big))
        } else if let Some(count) = common.count {
            Source::Generated { next: 0, count }
        } else if let (Some(waker), false) = (stdin, common.verify || common.echo) {
            Source::Stdin(spawn_stdin_reader(waker))
        } else {
            Source::Done
        };
        let verifier = common.verify.then(|| Verifier {
            first_stream: common.stream,
            send_streams: common.send_streams,
            expect: common.expect,
            ..Verifier::default()
        });
        Ok(Self {
            common,
            source,
            pending: VecDeque::new(),
            sent: 0,
            verifier,
            echo,
            shutdown_requested: false,
            closed: None,
            stdout: std::io::stdout(),
        })
    }

    fn received(&self) -> u64 {
        self.verifier.as_ref().map_or(0, |v| v.received)
    }

    /// Sends what the source and the echo queue have, until the send buffer
    /// is full.
    fn pump(&mut self, host: &mut Host, id: Option<AssociationId>) -> anyhow::Result<()> {
        let now = host.now();
        while let Some((aid, m)) = self.pending.pop_front() {
            match self.send_one(host, aid, &m, now) {
                Ok(true) => {}
                Ok(false) => {
                    self.pending.push_front((aid, m));
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let Some(id) = id else { return Ok(()) };
        while let Some(m) = self.source.next(&self.common)? {
            if !self.send_one(host, id, &m, now)? {
                self.pending.push_back((id, m));
                return Ok(());
            }
        }
        Ok(())
    }

    /// `Ok(false)` when the send buffer is full.
    fn send_one(
        &mut self,
        host: &mut Host,
        id: AssociationId,
        m: &Outgoing,
        now: anysctp::Instant,
    ) -> anyhow::Result<bool> {
        let opts = SendOptions {
            ppid: Ppid(self.common.ppid),
            unordered: m.unordered,
            ..SendOptions::default()
        };
        match host.endpoint.send(now, id, m.stream, m.data.clone(), opts) {
            Ok(()) => {
                self.sent += 1;
                Ok(true)
            }
            Err(Error::WouldBlock { .. }) => Ok(false),
            Err(Error::NoSuchAssociation) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// Handles the endpoint's events. Returns associations that came up.
    fn events(&mut self, host: &mut Host) -> anyhow::Result<Vec<AssociationId>> {
        let mut up = Vec::new();
        while let Some((id, ev)) = host.endpoint.poll_event() {
            match ev {
                Event::Connected {
                    outbound_streams,
                    inbound_streams,
                } => {
                    let peer = host
                        .endpoint
                        .peer_addresses(id)
                        .and_then(|a| a.first().copied());
                    eprintln!(
                        "anysctp: association {id} up{} ({outbound_streams} out / {inbound_streams} in streams)",
                        peer.map(|p| format!(" with {p}")).unwrap_or_default()
                    );
                    up.push(id);
                }
                Event::Message {
                    stream,
                    ppid,
                    unordered,
                    data,
                } => {
                    if let Some(v) = self.verifier.as_mut() {
                        v.check(stream, unordered, &data);
                    } else if !self.echo {
                        self.stdout.write_all(&data)?;
                        self.stdout.flush()?;
                    }
                    if self.echo {
                        let _ = ppid;
                        self.pending.push_back((
                            id,
                            Outgoing {
                                stream,
                                unordered,
                                data,
                            },
                        ));
                    }
                }
                Event::SendFailed {
                    stream,
                    reason,
                    data,
                    ..
                } => {
                    eprintln!(
                        "anysctp: a message of {} bytes on stream {stream} was not delivered: {reason:?}",
                        data.len()
                    );
                }
                Event::RemoteError(e) => eprintln!("anysctp: peer reported an error: {e}"),
                Event::ShutdownReceived => {}
                Event::Closed(reason) => {
                    eprintln!("anysctp: association {id} closed: {}", describe(&reason));
                    self.closed = Some(reason);
                }
                _ => {}
            }
        }
        Ok(up)
    }

    fn result_line(&self, role: &str) -> bool {
        let shutdown = match &self.closed {
            Some(CloseReason::Shutdown) => "graceful",
            Some(CloseReason::PeerAborted(_)) | Some(CloseReason::LocallyAborted(_)) => "abort",
            Some(CloseReason::Timeout) | Some(CloseReason::SetupFailed) => "timeout",
            Some(_) => "other",
            None => "none",
        };
        let Some(v) = &self.verifier else {
            return matches!(self.closed, Some(CloseReason::Shutdown));
        };
        let mut errors = v.errors.clone();
        if let Some(n) = self.common.expect {
            if v.received < n {
                errors.push(format!("expected {n} messages, received {}", v.received));
            }
        }
        let ok = errors.is_empty() && shutdown == "graceful";
        let line = serde_json::json!({
            "ok": ok, "peer": "anysctp", "role": role, "sent": self.sent, "received": v.received,
            "bytes": v.bytes, "errors": errors, "shutdown": shutdown,
        });
        println!("RESULT {line}");
        ok
    }
}

fn describe(r: &CloseReason) -> String {
    match r {
        CloseReason::Shutdown => "graceful shutdown".into(),
        CloseReason::PeerAborted(why) => format!("aborted by the peer ({why})"),
        CloseReason::LocallyAborted(why) => format!("aborted ({why})"),
        CloseReason::Timeout => "the peer stopped answering".into(),
        CloseReason::SetupFailed => "the peer did not answer the association setup".into(),
        other => format!("{other:?}"),
    }
}

fn spawn_stdin_reader(waker: Arc<mio::Waker>) -> mpsc::Receiver<Option<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        loop {
            let mut line = Vec::new();
            let (msg, last) = match lock.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => (None, true),
                Ok(_) => (Some(line), false),
            };
            if tx.send(msg).is_err() {
                return;
            }
            // The host loop sleeps until something happens: tell it.
            let _ = waker.wake();
            if last {
                return;
            }
        }
    });
    rx
}

/// Ctrl-C and SIGTERM: count them and wake the host loop.
fn install_signals(waker: Arc<mio::Waker>) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    // Only one handler per process; a second install fails harmlessly.
    let _ = ctrlc::set_handler(move || {
        c.fetch_add(1, Ordering::SeqCst);
        let _ = waker.wake();
    });
    count
}

fn after(secs: Option<f64>) -> Option<std::time::Instant> {
    secs.map(|s| std::time::Instant::now() + Duration::from_secs_f64(s.clamp(0.0, 1e9)))
}

/// How long the loop may sleep: until the earliest of our own deadlines
/// (the core's deadline is added by the host).
fn max_wait(deadlines: &[Option<std::time::Instant>]) -> Option<Duration> {
    let now = std::time::Instant::now();
    deadlines
        .iter()
        .flatten()
        .map(|d| d.saturating_duration_since(now))
        .min()
}

/// The session's loop after the association ended: answer the peer (e.g. a
/// retransmitted SHUTDOWN ACK) until `--linger` runs out or a signal comes.
fn linger(
    host: &mut Host,
    secs: Option<f64>,
    signals: &AtomicUsize,
    handled: usize,
) -> anyhow::Result<()> {
    let Some(until) = after(secs) else {
        host.flush();
        return Ok(());
    };
    while std::time::Instant::now() < until && signals.load(Ordering::SeqCst) == handled {
        host.turn(max_wait(&[Some(until)]))?;
        while host.endpoint.poll_event().is_some() {}
    }
    Ok(())
}

fn resolve_remote(a: &ConnectArgs) -> anyhow::Result<SocketAddr> {
    let text = a
        .remote
        .as_deref()
        .or(a.remote_flag.as_deref())
        .context("no peer address given")?;
    let with_port = if text.parse::<std::net::IpAddr>().is_ok() || !text.contains(':') {
        // A bare host or IP: the default UDP port.
        match text.parse::<std::net::Ipv6Addr>() {
            Ok(ip) => SocketAddr::new(ip.into(), a.remote_udp_port).to_string(),
            Err(_) => format!("{text}:{}", a.remote_udp_port),
        }
    } else {
        text.to_string()
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("`{text}` is not a reachable HOST:PORT ({e})"))?
        .next()
        .with_context(|| format!("`{text}` resolves to no address"))
}

/// `anysctp connect`.
pub fn connect(global: &Global, a: ConnectArgs) -> anyhow::Result<ExitCode> {
    let cfg = association_config(&a.common)?;
    let remote = resolve_remote(&a)?;
    let any = |port| {
        if remote.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], port))
        } else {
            SocketAddr::from(([0u16; 8], port))
        }
    };
    let mut locals = a.common.local.clone();
    if locals.is_empty() {
        locals.push(any(a.common.udp_port.unwrap_or(0)));
    } else if let (Some(port), Some(first)) = (a.common.udp_port, locals.first_mut()) {
        first.set_port(port);
    }
    let sctp_port = a.common.sctp_port.unwrap_or(remote.port());
    let remote_sctp_port = a.remote_sctp_port.unwrap_or(sctp_port);
    let ep = EndpointConfig {
        port: sctp_port,
        accept_incoming: false,
        association: cfg.clone(),
        ..EndpointConfig::default()
    };
    let mut host = Host::bind(&locals, ep)?;
    crate::capture::install(global, &mut host)?;
    let now = host.now();
    let id = host.endpoint.connect(now, remote, remote_sctp_port, cfg)?;
    let mut s = Session::new(a.common.clone(), Some(host.waker()))?;
    let signals = install_signals(host.waker());
    let mut handled_signals = 0;
    let stop_at = after(a.common.timeout);
    let mut stats = crate::capture::StatsPrinter::new(global);
    let mut connected = false;
    loop {
        host.turn(max_wait(&[stop_at, stats.next_due()]))?;
        let up = s.events(&mut host)?;
        if up.contains(&id) {
            connected = true;
        }
        if s.closed.is_some() {
            break;
        }
        if connected {
            s.pump(&mut host, Some(id))?;
        }
        stats.maybe_print(&host);
        let want_more = s.common.expect.is_some_and(|n| s.received() < n);
        let sent_all = s.source.done() && s.pending.is_empty();
        if connected && sent_all && !want_more && !s.shutdown_requested {
            // Everything handed to the association: close gracefully once it
            // is delivered (the shutdown waits for the acknowledgements).
            host.endpoint.shutdown(host.now(), id)?;
            s.shutdown_requested = true;
        }
        let n = signals.load(Ordering::SeqCst);
        if n > handled_signals {
            handled_signals = n;
            if s.shutdown_requested || !connected {
                eprintln!("anysctp: aborting");
                let _ = host.endpoint.abort(host.now(), id, "interrupted");
            } else {
                eprintln!("anysctp: shutting down (Ctrl-C again to abort)");
                host.endpoint.shutdown(host.now(), id)?;
                s.shutdown_requested = true;
            }
        }
        if stop_at.is_some_and(|t| std::time::Instant::now() >= t) {
            let _ = host.endpoint.abort(host.now(), id, "timeout");
            host.flush();
            eprintln!("anysctp: gave up after --timeout");
            s.result_line("client");
            return Ok(ExitCode::FAILURE);
        }
    }
    host.flush();
    let ok = s.result_line("client");
    if !connected && s.common.verify.not() {
        if let Some(reason) = &s.closed {
            bail!("cannot connect to {remote}: {}", describe(reason));
        }
    }
    linger(&mut host, a.common.linger, &signals, handled_signals)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The SCTP port of `listen --ws` without UDP: the JavaScript packages'
/// default `sctpPort`, so a page's `connect({ url })` needs no port.
pub const WS_DEFAULT_SCTP_PORT: u16 = 5000;

/// `anysctp listen`.
pub fn listen(global: &Global, a: ListenArgs) -> anyhow::Result<ExitCode> {
    let cfg = association_config(&a.common)?;
    // UDP unless only --ws was asked for.
    let udp = a.ws.is_none()
        || a.addr.is_some()
        || a.common.udp_port.is_some()
        || !a.common.local.is_empty();
    let addr = match (a.addr, a.common.udp_port) {
        (Some(addr), None) => addr,
        (Some(mut addr), Some(port)) => {
            addr.set_port(port);
            addr
        }
        (None, port) => SocketAddr::from(([0, 0, 0, 0], port.unwrap_or(crate::DEFAULT_UDP_PORT))),
    };
    let default_sctp_port = if udp {
        addr.port()
    } else {
        WS_DEFAULT_SCTP_PORT
    };
    let frame_limit = cfg.mtu + crate::ws::FRAME_SLACK;
    let ep = EndpointConfig {
        port: a.common.sctp_port.unwrap_or(default_sctp_port).max(1),
        accept_incoming: true,
        association: cfg,
        ..EndpointConfig::default()
    };
    let mut locals = Vec::new();
    if udp {
        // With --ws, --local alone names the UDP addresses; otherwise the
        // listen address comes first, as always.
        if a.ws.is_none()
            || a.addr.is_some()
            || a.common.udp_port.is_some()
            || a.common.local.is_empty()
        {
            locals.push(addr);
        }
        locals.extend(a.common.local.iter().copied());
    }
    let mut host = Host::bind(&locals, ep)?;
    host.endpoint.set_accept_filter(global.accept_filter());
    crate::capture::install(global, &mut host)?;
    if let Some(first) = host.local_addrs().first() {
        eprintln!("anysctp: listening on UDP {first}");
    }
    if let Some(ws) = a.ws {
        let bound = host.listen_ws(ws, frame_limit)?;
        eprintln!(
            "anysctp: listening on WebSocket ws://{bound} (SCTP port {})",
            host.endpoint.config().port
        );
    }
    let mut s = Session::new(a.common.clone(), Some(host.waker()))?;
    let signals = install_signals(host.waker());
    let mut handled_signals = 0;
    let stop_at = after(a.common.timeout);
    let mut stats = crate::capture::StatsPrinter::new(global);
    let mut current: Option<AssociationId> = None;
    loop {
        host.turn(max_wait(&[stop_at, stats.next_due()]))?;
        let up = s.events(&mut host)?;
        if let Some(&last) = up.last() {
            current = Some(last);
        }
        if s.closed.is_some() && !a.keep_open {
            break;
        }
        if s.closed.take().is_some() {
            current = None;
        }
        s.pump(&mut host, current)?;
        stats.maybe_print(&host);
        let n = signals.load(Ordering::SeqCst);
        if n > handled_signals {
            handled_signals = n;
            let ids = host.endpoint.associations();
            if ids.is_empty() {
                break;
            }
            for id in ids {
                if s.shutdown_requested {
                    let _ = host.endpoint.abort(host.now(), id, "interrupted");
                } else {
                    let _ = host.endpoint.shutdown(host.now(), id);
                }
            }
            s.shutdown_requested = true;
        }
        if stop_at.is_some_and(|t| std::time::Instant::now() >= t) {
            eprintln!("anysctp: gave up after --timeout");
            for id in host.endpoint.associations() {
                let _ = host.endpoint.abort(host.now(), id, "timeout");
            }
            host.flush();
            s.result_line("server");
            return Ok(ExitCode::FAILURE);
        }
    }
    host.flush();
    if let Some(c) = host.ws_counters() {
        eprintln!(
            "anysctp: WebSocket: {} connections, {} closed for a bad frame, {} refused (too many)",
            c.accepted, c.bad_frames, c.refused
        );
    }
    let ok = s.result_line("server");
    linger(&mut host, a.common.linger, &signals, handled_signals)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::{association_config, parse_auth_chunks, Common};
    use clap::Parser;

    #[derive(Parser)]
    struct Opts {
        #[command(flatten)]
        common: Common,
    }

    #[test]
    fn accept_assoc_reset_sets_the_policy() {
        let off = Opts::try_parse_from(["t"]).unwrap();
        let on = Opts::try_parse_from(["t", "--accept-assoc-reset"]).unwrap();
        let policy = |o: &Opts| association_config(&o.common).unwrap().reconfig_policy;
        assert!(!policy(&off).accept_ssn_tsn_reset);
        assert!(policy(&on).accept_ssn_tsn_reset);
        // The other re-configuration defaults stay as they are.
        assert!(policy(&on).accept_stream_reset && policy(&on).accept_add_streams);
    }

    #[test]
    fn auth_chunk_names_and_numbers() {
        assert_eq!(parse_auth_chunks("data,sack").unwrap(), vec![0, 3]);
        assert_eq!(
            parse_auth_chunks("cookie-echo, 64,asconf").unwrap(),
            vec![10, 64, 0xC1]
        );
        assert!(parse_auth_chunks("dta").is_err());
        assert!(parse_auth_chunks("300").is_err());
    }
}
