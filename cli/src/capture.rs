//! `--pcap` and `--stats`: what the host shows about its packets and
//! associations.

use std::time::{Duration, Instant as WallInstant};

use std::net::SocketAddr;

use anysctp::pcap::{encapsulate_udp, LinkType, PcapWriter};

use crate::host::{Captured, Host, Tap};
use crate::Global;

/// Installs the `--pcap` capture, if asked for.
pub fn install(global: &Global, host: &mut Host) -> anyhow::Result<()> {
    if let Some(path) = &global.pcap {
        let file = std::fs::File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot create --pcap {}: {e}", path.display()))?;
        let writer = PcapWriter::to_writer(std::io::BufWriter::new(file), LinkType::Raw)?;
        host.set_tap(Box::new(PcapTap { writer }));
    }
    Ok(())
}

/// Writes every packet as SCTP over UDP over IP into a pcap file.
struct PcapTap {
    writer: PcapWriter<std::io::BufWriter<std::fs::File>>,
}

/// A capture shows the address a packet really used; a socket bound to the
/// unspecified address sends from the interface towards the peer, which for
/// the usual loopback tests is the loopback address.
fn shown(addr: SocketAddr, peer: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() && peer.ip().is_loopback() {
        SocketAddr::new(peer.ip(), addr.port())
    } else {
        addr
    }
}

impl Tap for PcapTap {
    fn packet(&mut self, p: Captured<'_>) {
        let (from, to) = (shown(p.from, p.to), shown(p.to, p.from));
        let Ok(ip) = encapsulate_udp(from, to, p.sctp) else {
            return;
        };
        // Wall-clock time, so the capture lines up with other captures.
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        if let Err(e) = self
            .writer
            .write_packet(anysctp::Instant::from_micros(micros), &ip)
        {
            tracing::warn!(error = %e, "writing the capture failed");
        }
    }

    fn flush(&mut self) {
        let _ = self.writer.flush();
    }
}

/// Prints `--stats` JSON lines to stderr.
pub struct StatsPrinter {
    every: Option<Duration>,
    last: WallInstant,
}

impl StatsPrinter {
    /// From the global options.
    pub fn new(global: &Global) -> Self {
        Self {
            every: global
                .stats
                .filter(|s| *s > 0.0)
                .map(Duration::from_secs_f64),
            last: WallInstant::now(),
        }
    }

    /// When the next line is due (for the host loop's sleep).
    pub fn next_due(&self) -> Option<WallInstant> {
        self.every.map(|e| self.last + e)
    }

    /// Prints one line per association if the interval has passed.
    pub fn maybe_print(&mut self, host: &Host) {
        let Some(every) = self.every else { return };
        if self.last.elapsed() < every {
            return;
        }
        self.last = WallInstant::now();
        for id in host.endpoint.associations() {
            let Some(s) = host.endpoint.stats(id) else {
                continue;
            };
            let paths: Vec<_> = s
                .paths
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "address": p.address.to_string(),
                        "state": format!("{:?}", p.state),
                        "primary": p.primary,
                        "srtt_ms": p.srtt.map(|d| d.as_secs_f64() * 1e3),
                        "rto_ms": p.rto.as_secs_f64() * 1e3,
                        "cwnd": p.cwnd,
                        "ssthresh": p.ssthresh,
                        "bytes_in_flight": p.bytes_in_flight,
                        "error_count": p.error_count,
                    })
                })
                .collect();
            let line = serde_json::json!({
                "association": id.0,
                "state": s.state.name(),
                "peer_rwnd": s.peer_rwnd,
                "buffered_amount": s.buffered_amount,
                "bytes_in_flight": s.bytes_in_flight,
                "retransmissions": s.retransmissions,
                "fast_retransmissions": s.fast_retransmissions,
                "timeouts": s.timeouts,
                "packets_sent": s.packets_sent,
                "packets_received": s.packets_received,
                "messages_sent": s.messages_sent,
                "messages_received": s.messages_received,
                "bytes_acked": s.bytes_acked,
                "bytes_received": s.bytes_received,
                "paths": paths,
            });
            eprintln!("{line}");
        }
    }
}
