//! In-memory benchmarks: two endpoints in one thread joined by a wire that
//! follows the perf-anchors contract (see the shared `perf-anchors/README.md`):
//! two FIFO directions, seeded loss and reordering (splitmix64 per
//! direction, seeded `seed*2 + dir`), one datagram delivered at a time with
//! the receiver's output collected after each, and the clock jumped to the
//! next deadline when nothing can progress (reported as stall).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant as WallInstant};

use anysctp::{
    AssociationConfig, AssociationId, Endpoint, EndpointConfig, Error, Event, Instant, SendOptions,
    StreamId,
};
use bytes::Bytes;

/// One benchmark run's parameters (the contract's keys).
#[derive(Clone, Debug)]
pub struct BenchArgs {
    /// W1..W5.
    pub workload: String,
    /// Message size in bytes (W5: 0).
    pub size: usize,
    /// Messages to deliver (W5: associations).
    pub count: usize,
    /// Message i goes on stream i % streams.
    pub streams: usize,
    /// Send unordered.
    pub unordered: bool,
    /// Loss, parts per million, both directions, after setup.
    pub loss_ppm: u64,
    /// Reordering, parts per million.
    pub reorder_ppm: u64,
    /// Wire seed.
    pub seed: u64,
    /// Most bytes written but not yet read by the receiving application.
    pub backlog: usize,
    /// Time stands still while work is done (deterministic).
    pub virtual_clock: bool,
    /// Deliver every queued datagram of a direction before pulling output.
    pub batch: bool,
}

impl BenchArgs {
    /// The contract's defaults for a workload (counts of the "fast" class).
    pub fn workload(name: &str) -> Option<Self> {
        let base = BenchArgs {
            workload: name.to_string(),
            size: 1024,
            count: 65_536,
            streams: 1,
            unordered: false,
            loss_ppm: 0,
            reorder_ppm: 0,
            seed: 1,
            backlog: 1 << 20,
            virtual_clock: false,
            batch: false,
        };
        Some(match name {
            "W1" => BenchArgs {
                size: 65_536,
                count: 4096,
                ..base
            },
            "W2" => base,
            "W3" => BenchArgs {
                size: 100,
                count: 262_144,
                streams: 16,
                unordered: true,
                ..base
            },
            "W4" => BenchArgs {
                loss_ppm: 10_000,
                ..base
            },
            "W5" => BenchArgs {
                size: 0,
                count: 2000,
                ..base
            },
            _ => return None,
        })
    }

    /// Applies `key=value` arguments (unknown keys are ignored, as the
    /// contract says).
    pub fn apply(&mut self, kv: &str) -> Result<(), String> {
        let Some((k, v)) = kv.split_once('=') else {
            return Ok(());
        };
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{k}={v}: not a number"))
        };
        match k {
            "size" => self.size = num(v)? as usize,
            "count" => self.count = num(v)? as usize,
            "streams" => self.streams = (num(v)? as usize).max(1),
            "unordered" => self.unordered = v == "1",
            "loss" => self.loss_ppm = num(v)?,
            "reorder" => self.reorder_ppm = num(v)?,
            "seed" => self.seed = num(v)?,
            "backlog" => self.backlog = num(v)? as usize,
            "clock" => self.virtual_clock = v == "virtual",
            "batch" => self.batch = v == "1",
            _ => {}
        }
        Ok(())
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct BenchResult {
    /// Messages (W5: associations) delivered.
    pub messages: u64,
    /// Payload bytes delivered.
    pub bytes: u64,
    /// Timed phase, seconds.
    pub secs: f64,
    /// Whole run including teardown (W5), seconds.
    pub cycle_secs: f64,
    /// Every check passed.
    pub ok: bool,
    /// Time jumped while waiting on timers, milliseconds.
    pub stall_ms: f64,
    /// Packets per direction.
    pub pkts: [u64; 2],
    /// Bytes per direction.
    pub wire_bytes: [u64; 2],
    /// Dropped per direction.
    pub dropped: [u64; 2],
    /// Reordered per direction.
    pub reordered: [u64; 2],
    /// Largest packet per direction.
    pub max_pkt: [u64; 2],
    /// First failure, if any.
    pub error: Option<String>,
}

fn splitmix64(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Default)]
struct Dir {
    q: VecDeque<Bytes>,
    held: Option<Bytes>,
    rng: u64,
}

/// The contract's wire.
struct Wire {
    dirs: [Dir; 2],
    loss_ppm: u64,
    reorder_ppm: u64,
    impair: bool,
    r: BenchResult,
}

impl Wire {
    fn new(a: &BenchArgs) -> Self {
        let mk = |d: u64| Dir {
            rng: a.seed.wrapping_mul(2).wrapping_add(d),
            ..Dir::default()
        };
        Wire {
            dirs: [mk(0), mk(1)],
            loss_ppm: a.loss_ppm,
            reorder_ppm: a.reorder_ppm,
            impair: false,
            r: BenchResult::default(),
        }
    }

    fn send(&mut self, dir: usize, p: Bytes) {
        let len = p.len() as u64;
        self.r.pkts[dir] += 1;
        self.r.wire_bytes[dir] += len;
        self.r.max_pkt[dir] = self.r.max_pkt[dir].max(len);
        let d = &mut self.dirs[dir];
        if self.impair && self.loss_ppm > 0 && splitmix64(&mut d.rng) % 1_000_000 < self.loss_ppm {
            self.r.dropped[dir] += 1;
            return;
        }
        if self.impair
            && self.reorder_ppm > 0
            && d.held.is_none()
            && splitmix64(&mut d.rng) % 1_000_000 < self.reorder_ppm
        {
            d.held = Some(p);
            self.r.reordered[dir] += 1;
            return;
        }
        d.q.push_back(p);
        if let Some(h) = d.held.take() {
            d.q.push_back(h);
        }
    }

    fn pop(&mut self, dir: usize) -> Option<Bytes> {
        let d = &mut self.dirs[dir];
        if d.q.is_empty() {
            return d.held.take();
        }
        d.q.pop_front()
    }

    fn is_empty(&self) -> bool {
        self.dirs.iter().all(|d| d.q.is_empty() && d.held.is_none())
    }
}

/// The benchmark's timeline: real time plus skipped idle time (hybrid), or
/// skipped idle time only (virtual).
struct Clock {
    start: WallInstant,
    skipped: Duration,
    virtual_clock: bool,
}

impl Clock {
    fn now(&self) -> Instant {
        let d = if self.virtual_clock {
            self.skipped
        } else {
            self.start.elapsed() + self.skipped
        };
        Instant::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    fn skip_to(&mut self, t: Instant) {
        let n = self.now();
        if t > n {
            self.skipped += t - n;
        }
    }
}

const A_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
    9899,
);
const B_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)),
    9899,
);

/// Two endpoints and the wire.
struct Pair {
    a: Endpoint,
    b: Endpoint,
    wire: Wire,
    clock: Clock,
    buf: Vec<u8>,
    batch: bool,
}

impl Pair {
    fn drain(&mut self, side: usize) {
        let now = self.clock.now();
        let ep = if side == 0 { &mut self.a } else { &mut self.b };
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
        }
        while let Some(t) = ep.poll_transmit(now, &mut self.buf) {
            self.wire
                .send(side, Bytes::copy_from_slice(&self.buf[..t.len]));
        }
    }

    /// Moves datagrams until the wire is empty; returns how many moved.
    fn pump(&mut self) -> usize {
        let mut moved = 0;
        loop {
            self.drain(0);
            self.drain(1);
            if self.wire.is_empty() {
                return moved;
            }
            while let Some(p) = self.wire.pop(0) {
                let now = self.clock.now();
                self.b.handle_datagram(now, A_ADDR, p);
                if !self.batch {
                    self.drain(1);
                }
                moved += 1;
            }
            while let Some(p) = self.wire.pop(1) {
                let now = self.clock.now();
                self.a.handle_datagram(now, B_ADDR, p);
                if !self.batch {
                    self.drain(0);
                }
                moved += 1;
            }
        }
    }

    fn idle_skip(&mut self) {
        let t = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let target = t.unwrap_or_else(|| self.clock.now() + Duration::from_millis(10));
        self.clock.skip_to(target);
    }
}

fn config(a: &BenchArgs) -> AssociationConfig {
    AssociationConfig {
        outbound_streams: a.streams.clamp(1, 65535) as u16,
        max_message_size: a.size.max(64 * 1024),
        nodelay: true,
        send_buffer: a.backlog.max(a.size) + a.size,
        ..AssociationConfig::default()
    }
}

/// Establishes an association from A to B; returns A's and B's ids.
fn connect(
    p: &mut Pair,
    cfg: &AssociationConfig,
) -> Result<(AssociationId, AssociationId), String> {
    let now = p.clock.now();
    let id =
        p.a.connect(now, B_ADDR, 5000, cfg.clone())
            .map_err(|e| e.to_string())?;
    let (mut a_up, mut b_up) = (false, None);
    for _ in 0..10_000 {
        let moved = p.pump();
        while let Some((i, ev)) = p.a.poll_event() {
            if i == id && matches!(ev, Event::Connected { .. }) {
                a_up = true;
            }
        }
        while let Some((i, ev)) = p.b.poll_event() {
            if matches!(ev, Event::Connected { .. }) {
                b_up = Some(i);
            }
        }
        if let (true, Some(b)) = (a_up, b_up) {
            return Ok((id, b));
        }
        if moved == 0 {
            p.idle_skip();
        }
    }
    Err("the association did not come up".into())
}

/// Runs one workload.
pub fn run(a: &BenchArgs) -> BenchResult {
    let cfg = config(a);
    let ep = |accept: bool, seed: u8| {
        Endpoint::new(
            EndpointConfig {
                port: 5000,
                accept_incoming: accept,
                association: cfg.clone(),
                ..EndpointConfig::default()
            },
            [seed; 32],
        )
    };
    let (ea, eb) = match (ep(false, 1), ep(true, 2)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            return BenchResult {
                error: Some(e.to_string()),
                ..BenchResult::default()
            }
        }
    };
    let mut p = Pair {
        a: ea,
        b: eb,
        wire: Wire::new(a),
        clock: Clock {
            start: WallInstant::now(),
            skipped: Duration::ZERO,
            virtual_clock: a.virtual_clock,
        },
        buf: vec![0; 65_536],
        batch: a.batch,
    };
    let result = if a.workload == "W5" {
        run_handshakes(a, &mut p, &cfg)
    } else {
        run_transfer(a, &mut p, &cfg)
    };
    let mut r = std::mem::take(&mut p.wire.r);
    match result {
        Ok((messages, bytes, secs, cycle)) => {
            r.messages = messages;
            r.bytes = bytes;
            r.secs = secs;
            r.cycle_secs = cycle;
            r.ok = messages == a.count as u64;
        }
        Err(e) => r.error = Some(e),
    }
    r.stall_ms = p.clock.skipped.as_secs_f64() * 1e3;
    r
}

fn run_handshakes(
    a: &BenchArgs,
    p: &mut Pair,
    cfg: &AssociationConfig,
) -> Result<(u64, u64, f64, f64), String> {
    let t0 = WallInstant::now();
    let mut setup = 0.0;
    let mut done = 0u64;
    for _ in 0..a.count {
        let s0 = WallInstant::now();
        let (ida, _) = connect(p, cfg)?;
        setup += s0.elapsed().as_secs_f64();
        done += 1;
        p.a.abort(p.clock.now(), ida, "bench teardown")
            .map_err(|e| e.to_string())?;
        p.pump();
        while p.a.poll_event().is_some() {}
        while p.b.poll_event().is_some() {}
    }
    Ok((done, 0, setup, t0.elapsed().as_secs_f64()))
}

fn run_transfer(
    a: &BenchArgs,
    p: &mut Pair,
    cfg: &AssociationConfig,
) -> Result<(u64, u64, f64, f64), String> {
    let (ida, _) = connect(p, cfg)?;
    p.wire.impair = true;
    let streams = a.streams.max(1);
    let mut next_seq = vec![0u64; streams];
    for (s, n) in next_seq.iter_mut().enumerate() {
        *n = s as u64;
    }
    let template = vec![b'x'; a.size];
    let (mut sent, mut sent_bytes) = (0usize, 0u64);
    let (mut got, mut got_bytes) = (0u64, 0u64);
    let mut bad: Option<String> = None;
    let t0 = WallInstant::now();
    let mut idle_rounds = 0u32;
    while (got as usize) < a.count {
        let mut progress = false;
        let now = p.clock.now();
        while sent < a.count
            && (sent_bytes == got_bytes
                || sent_bytes - got_bytes + a.size as u64 <= a.backlog as u64)
        {
            let mut m = template.clone();
            if m.len() >= 8 {
                m[..8].copy_from_slice(&(sent as u64).to_le_bytes());
            }
            let opts = SendOptions {
                unordered: a.unordered,
                ..SendOptions::default()
            };
            let stream = StreamId((sent % streams) as u16);
            match p.a.send(now, ida, stream, Bytes::from(m), opts) {
                Ok(()) => {
                    sent += 1;
                    sent_bytes += a.size as u64;
                    progress = true;
                }
                Err(Error::WouldBlock { .. }) => break,
                Err(e) => return Err(format!("send failed: {e}")),
            }
        }
        if p.pump() > 0 {
            progress = true;
        }
        while let Some((_, ev)) = p.b.poll_event() {
            if let Event::Message {
                stream,
                data,
                unordered,
                ..
            } = ev
            {
                got += 1;
                got_bytes += data.len() as u64;
                progress = true;
                if data.len() != a.size {
                    bad.get_or_insert(format!(
                        "message of {} bytes, expected {}",
                        data.len(),
                        a.size
                    ));
                }
                if !unordered && a.size >= 8 {
                    let mut h = [0u8; 8];
                    h.copy_from_slice(&data[..8]);
                    let seq = u64::from_le_bytes(h);
                    let s = usize::from(stream.0);
                    if s >= streams || seq != next_seq[s] {
                        bad.get_or_insert(format!("stream {s}: message {seq} out of order"));
                    } else {
                        next_seq[s] += streams as u64;
                    }
                }
            }
        }
        while p.a.poll_event().is_some() {}
        if progress {
            idle_rounds = 0;
        } else {
            idle_rounds += 1;
            if idle_rounds > 100_000 {
                return Err(format!("stalled after {got} of {} messages", a.count));
            }
            p.idle_skip();
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    if let Some(b) = bad {
        return Err(b);
    }
    Ok((got, got_bytes, secs, secs))
}

/// The contract's `RESULT {json}` line.
pub fn result_line(a: &BenchArgs, r: &BenchResult) -> String {
    serde_json::json!({
        "impl": "anysctp", "version": env!("CARGO_PKG_VERSION"),
        "workload": a.workload, "size": a.size, "count": a.count, "streams": a.streams,
        "unordered": u8::from(a.unordered), "loss_ppm": a.loss_ppm,
        "messages": r.messages, "bytes": r.bytes, "secs": r.secs, "cycle_secs": r.cycle_secs,
        "ok": r.ok && r.error.is_none(), "stall_ms": r.stall_ms.round(),
        "wire": {"pkts": r.pkts, "bytes": r.wire_bytes, "dropped": r.dropped,
                 "reordered": r.reordered, "max_pkt": r.max_pkt},
        "config": {"host_loop": if a.batch {"batch"} else {"per-datagram"},
                   "clock": if a.virtual_clock {"virtual"} else {"hybrid"},
                   "error": r.error},
    })
    .to_string()
}

/// Builds the perf-anchors usrsctp bench (`gcc -O2 ... -lusrsctp`) into
/// `target/anysctp-usrsctp-bench/` (or the system's temp dir), next to
/// nothing in the repository; rebuilt when the source is newer.
pub fn build_usrsctp_bench(src: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    let meta = std::fs::metadata(src)
        .with_context(|| format!("cannot read the usrsctp bench source {}", src.display()))?;
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("anysctp-usrsctp-bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = dir.join("usrsctp_bench");
    let fresh = std::fs::metadata(&exe)
        .and_then(|m| m.modified())
        .ok()
        .zip(meta.modified().ok())
        .is_some_and(|(built, source)| built >= source);
    if !fresh {
        let include = src.parent().unwrap_or(std::path::Path::new("."));
        eprintln!("anysctp: building {} with gcc -O2", src.display());
        let out = std::process::Command::new("gcc")
            .arg("-O2")
            .arg("-I")
            .arg(include)
            .arg(src)
            .arg("-o")
            .arg(&exe)
            .args(["-lusrsctp", "-lpthread", "-lm"])
            .output()
            .context("cannot run gcc (install gcc and libusrsctp-dev)")?;
        anyhow::ensure!(
            out.status.success(),
            "building the usrsctp bench failed (is libusrsctp-dev installed?): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    Ok(exe)
}

/// Runs the usrsctp bench with the same contract arguments; returns its
/// messages per second and whether it reported `ok`.
pub fn run_usrsctp(exe: &std::path::Path, a: &BenchArgs) -> anyhow::Result<(f64, bool)> {
    let mut args = vec![
        a.workload.clone(),
        format!("size={}", a.size),
        format!("count={}", a.count),
        format!("streams={}", a.streams),
        format!("unordered={}", u8::from(a.unordered)),
        format!("loss={}", a.loss_ppm),
        format!("reorder={}", a.reorder_ppm),
        format!("seed={}", a.seed),
        format!("backlog={}", a.backlog),
    ];
    if a.virtual_clock {
        args.push("clock=virtual".into());
    }
    let out = std::process::Command::new(exe).args(&args).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| anyhow::anyhow!("no RESULT line (exit {})", out.status))?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let messages = v["messages"].as_f64().unwrap_or(0.0);
    let secs = v["secs"].as_f64().unwrap_or(0.0).max(1e-9);
    Ok((messages / secs, v["ok"].as_bool().unwrap_or(false)))
}
