//! `anysctp`: SCTP over UDP (RFC 6951) for every OS — a netcat for SCTP,
//! plus bench, demo and capture.

mod bench;
mod capture;
mod demo;
mod host;
mod nc;
mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anysctp::config::{AddressFilter, Cidr};
use clap::{Args, Parser, Subcommand};

/// SCTP for every host: SCTP over UDP (RFC 6951), no kernel SCTP needed.
///
/// Examples:
///   anysctp listen 9899                       # print what arrives
///   anysctp connect 127.0.0.1:9899            # send stdin, line by line
///   anysctp listen 9899 --echo                # an echo server
///   anysctp listen --ws 8080 --echo           # an echo server for web pages (WebSocket)
///   anysctp connect 127.0.0.1:9899 --file big.iso
#[derive(Parser, Debug)]
#[command(name = "anysctp", version, about, verbatim_doc_comment)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options for every command.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Write every SCTP packet sent and received to FILE (pcap, as SCTP over UDP; opens in Wireshark). Packets of --ws connections appear as SCTP over UDP between the connection's TCP addresses
    #[arg(long, global = true, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Print association and path statistics as JSON lines to stderr every SECS seconds
    #[arg(long, global = true, value_name = "SECS")]
    pub stats: Option<f64>,
    /// Log filter, e.g. `debug` or `anysctp=trace` (to stderr)
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// Accept incoming associations only from this prefix, e.g. 10.0.0.0/8 (repeatable; default: all)
    #[arg(long, global = true, value_name = "CIDR")]
    pub allow: Vec<Cidr>,
    /// Refuse incoming associations from this prefix, answered with ABORT (repeatable; wins over --allow)
    #[arg(long, global = true, value_name = "CIDR")]
    pub deny: Vec<Cidr>,
}

impl Global {
    /// The accept policy from `--allow` and `--deny`.
    pub fn accept_filter(&self) -> AddressFilter {
        AddressFilter {
            allow: self.allow.clone(),
            deny: self.deny.clone(),
        }
    }
}

/// The UDP port of SCTP over UDP (RFC 6951 §5.1 leaves it open; 9899 is
/// the IANA-registered sctp-tunneling port).
pub const DEFAULT_UDP_PORT: u16 = 9899;

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Wait for associations on a UDP port (and/or WebSocket with --ws); print what arrives to stdout
    Listen(nc::ListenArgs),
    /// Start an association; send stdin (or a file, or generated messages) and print what arrives
    Connect(nc::ConnectArgs),
    /// Two endpoints on 127.0.0.1 exchange messages through a lossy relay, with live stats
    Demo(demo::DemoArgs),
    /// Run the W1–W5 workloads in memory (two endpoints, one thread) and print a table
    Bench(BenchCmd),
}

/// `anysctp bench`.
#[derive(Args, Debug)]
pub struct BenchCmd {
    /// Workloads to run, comma separated
    #[arg(long, value_delimiter = ',', default_value = "W1,W2,W3,W4,W5")]
    pub workloads: Vec<String>,
    /// Run an eighth of the default counts
    #[arg(long)]
    pub quick: bool,
    /// Also run each workload with usrsctp (built now from the perf-anchors C bench with gcc -O2 -lusrsctp) and print the ratio
    #[arg(long)]
    pub vs_usrsctp: bool,
    /// The perf-anchors usrsctp bench source (for --vs-usrsctp)
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/work/shared/perf-anchors/c/usrsctp_bench.c"
    )]
    pub usrsctp_bench_src: PathBuf,
    /// perf-anchors contract mode: `--contract WORKLOAD key=value ...` prints one RESULT line
    #[arg(long, num_args = 1.., value_name = "WORKLOAD KEY=VALUE")]
    pub contract: Option<Vec<String>>,
}

fn bench_cmd(b: BenchCmd) -> anyhow::Result<ExitCode> {
    if let Some(args) = b.contract {
        let Some(name) = args.first() else {
            anyhow::bail!("--contract needs a workload name (W1..W5)");
        };
        let mut a = bench::BenchArgs::workload(name)
            .ok_or_else(|| anyhow::anyhow!("unknown workload `{name}` (W1..W5)"))?;
        for kv in &args[1..] {
            a.apply(kv).map_err(anyhow::Error::msg)?;
        }
        let r = bench::run(&a);
        println!("RESULT {}", bench::result_line(&a, &r));
        return Ok(if r.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let usrsctp = if b.vs_usrsctp {
        Some(bench::build_usrsctp_bench(&b.usrsctp_bench_src)?)
    } else {
        None
    };
    println!(
        "{:<4} {:>9} {:>10} {:>12} {:>10} {:>9} {:>9}  {:<8}{}",
        "",
        "messages",
        "MB/s",
        "msg/s",
        "secs",
        "stall ms",
        "dropped",
        "check",
        if usrsctp.is_some() {
            "  usrsctp msg/s   anysctp/usrsctp"
        } else {
            ""
        }
    );
    let mut all_ok = true;
    for w in &b.workloads {
        let mut a = bench::BenchArgs::workload(w)
            .ok_or_else(|| anyhow::anyhow!("unknown workload `{w}` (W1..W5)"))?;
        if b.quick {
            a.count = (a.count / 8).max(1);
        }
        let r = bench::run(&a);
        let secs = r.secs.max(1e-9);
        let dropped = r.dropped[0] + r.dropped[1];
        let check = match (&r.error, r.ok) {
            (Some(e), _) => format!("FAILED: {e}"),
            (None, true) => "ok".to_string(),
            (None, false) => "FAILED".to_string(),
        };
        all_ok &= r.ok && r.error.is_none();
        let vs = match &usrsctp {
            None => String::new(),
            Some(exe) => match bench::run_usrsctp(exe, &a) {
                Ok((rate, ok)) => format!(
                    "  {:>13.0}   {:>6.2}x{}",
                    rate,
                    (r.messages as f64 / secs) / rate.max(1e-9),
                    if ok { "" } else { " (usrsctp run not ok)" }
                ),
                Err(e) => format!("  usrsctp failed: {e}"),
            },
        };
        println!(
            "{:<4} {:>9} {:>10.1} {:>12.0} {:>10.3} {:>9.0} {:>9}  {:<8}{}",
            w,
            r.messages,
            r.bytes as f64 / secs / 1e6,
            r.messages as f64 / secs,
            r.secs,
            r.stall_ms,
            dropped,
            check,
            vs
        );
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The address given to `listen`: `PORT` or `ADDR:PORT`.
pub fn parse_listen_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| format!("`{s}` is not PORT or ADDR:PORT (e.g. 9899 or 127.0.0.1:9899)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(filter) = &cli.global.log {
        let filter = match tracing_subscriber::EnvFilter::try_new(filter) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("anysctp: bad --log filter `{filter}`: {e}");
                return ExitCode::from(2);
            }
        };
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let result = match cli.command {
        Command::Listen(a) => nc::listen(&cli.global, a),
        Command::Connect(a) => nc::connect(&cli.global, a),
        Command::Bench(b) => bench_cmd(b),
        Command::Demo(d) => demo::demo(&cli.global, d),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("anysctp: {e:#}");
            ExitCode::FAILURE
        }
    }
}
