//! `anysctp`: SCTP over UDP (RFC 6951) for every OS — a netcat for SCTP,
//! plus bench, demo and capture.

mod capture;
mod host;
mod nc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// SCTP for every host: SCTP over UDP (RFC 6951), no kernel SCTP needed.
///
/// Examples:
///   anysctp listen 9899                       # print what arrives
///   anysctp connect 127.0.0.1:9899            # send stdin, line by line
///   anysctp listen 9899 --echo                # an echo server
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
    /// Write every SCTP packet sent and received to FILE (pcap, as SCTP over UDP; opens in Wireshark)
    #[arg(long, global = true, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Print association and path statistics as JSON lines to stderr every SECS seconds
    #[arg(long, global = true, value_name = "SECS")]
    pub stats: Option<f64>,
    /// Log filter, e.g. `debug` or `anysctp=trace` (to stderr)
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Wait for associations on a UDP port; print what arrives to stdout
    Listen(nc::ListenArgs),
    /// Start an association; send stdin (or a file, or generated messages) and print what arrives
    Connect(nc::ConnectArgs),
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("anysctp: {e:#}");
            ExitCode::FAILURE
        }
    }
}
