//! `--pcap` and `--stats`: what the host shows about its packets and
//! associations.

use std::time::{Duration, Instant as WallInstant};

use crate::host::Host;
use crate::Global;

/// Installs the `--pcap` capture, if asked for.
pub fn install(global: &Global, host: &mut Host) -> anyhow::Result<()> {
    if let Some(path) = &global.pcap {
        anyhow::bail!(
            "--pcap {}: captures are not available in this build yet",
            path.display()
        );
    }
    let _ = host;
    Ok(())
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
