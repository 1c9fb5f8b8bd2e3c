//! `anysctp demo`: two endpoints on 127.0.0.1 talk through a lossy relay.
//!
//! The client sends messages in the interop format on several streams, odd
//! ids unordered; the server echoes each one on its stream; both check
//! content, duplicates and per-stream order. A status line shows cwnd, srtt,
//! throughput and retransmissions every 500 ms; a summary follows the
//! graceful shutdown.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant as WallInstant};

use anyhow::Context;
use anysctp::{
    AssociationConfig, AssociationId, CloseReason, EndpointConfig, Error, Event, SendOptions,
    StreamId,
};
use bytes::Bytes;
use clap::Args;

use crate::host::Host;
use crate::nc::{make_message, Verifier};
use crate::Global;

/// `anysctp demo`.
#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Messages the client sends (each is echoed back)
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub count: u64,
    /// Message size in bytes
    #[arg(long, default_value_t = 1000, value_name = "BYTES")]
    pub size: usize,
    /// Streams to spread the messages over
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub streams: u16,
    /// Probability that the relay drops a datagram, each way
    #[arg(long, default_value_t = 0.02, value_name = "P")]
    pub loss: f64,
    /// Probability that the relay reorders a datagram, each way
    #[arg(long, default_value_t = 0.02, value_name = "P")]
    pub reorder: f64,
    /// Seed of the relay's random choices
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop sending after this many seconds, whatever --count says
    #[arg(long, default_value_t = 8.0, value_name = "SECS")]
    pub send_time: f64,
}

/// What the demo's association looks like, on a loopback path: a short
/// minimum RTO so a loss costs milliseconds, not the RFC's 1 s meant for the
/// Internet.
fn demo_config(streams: u16) -> AssociationConfig {
    AssociationConfig {
        outbound_streams: streams,
        rto_initial: Duration::from_millis(200),
        rto_min: Duration::from_millis(50),
        sack_delay: Duration::from_millis(20),
        heartbeat_interval: None,
        ..AssociationConfig::default()
    }
}

/// What the server side saw.
struct ServerReport {
    verifier: Verifier,
    closed: Option<CloseReason>,
}

fn run_server(mut host: Host, stop: Arc<AtomicBool>, limit: WallInstant) -> ServerReport {
    let mut verifier = Verifier::new(None, None);
    let mut closed = None;
    let mut backlog: std::collections::VecDeque<(AssociationId, StreamId, bool, Bytes)> =
        Default::default();
    while closed.is_none() && !stop.load(Ordering::Relaxed) && WallInstant::now() < limit {
        if host.turn(Some(Duration::from_millis(100))).is_err() {
            break;
        }
        while let Some((id, ev)) = host.endpoint.poll_event() {
            match ev {
                Event::Message {
                    stream,
                    unordered,
                    data,
                    ..
                } => {
                    verifier.check(stream, unordered, &data);
                    backlog.push_back((id, stream, unordered, data));
                }
                Event::Closed(r) => closed = Some(r),
                _ => {}
            }
        }
        let now = host.now();
        while let Some((id, stream, unordered, data)) = backlog.pop_front() {
            let opts = SendOptions {
                unordered,
                ..SendOptions::default()
            };
            // Other errors: the association is gone; its Closed event ends the loop.
            if let Err(Error::WouldBlock { .. }) =
                host.endpoint.send(now, id, stream, data.clone(), opts)
            {
                backlog.push_front((id, stream, unordered, data));
                break;
            }
        }
    }
    host.flush();
    ServerReport { verifier, closed }
}

/// `anysctp demo`.
pub fn demo(global: &Global, a: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(a.size >= 8, "--size must be at least 8 (the message id)");
    anyhow::ensure!(a.streams >= 1, "--streams must be at least 1");
    let loopback: SocketAddr = "127.0.0.1:0".parse()?;
    let server_cfg = EndpointConfig {
        port: 5000,
        accept_incoming: true,
        association: demo_config(a.streams),
        ..EndpointConfig::default()
    };
    let server = Host::bind(&[loopback], server_cfg)?;
    let server_addr = server.local_addrs()[0];
    let imp = relay::Impairment {
        loss: a.loss,
        reorder: a.reorder,
        dup: 0.0,
    };
    let relay = relay::Relay::bind(loopback, server_addr, imp, a.seed)
        .map_err(|e| anyhow::anyhow!("cannot start the relay: {e}"))?;
    let relay_addr = relay.local_addr()?;
    let limit = WallInstant::now() + Duration::from_secs_f64(a.send_time.max(0.5) + 20.0);
    let stop = Arc::new(AtomicBool::new(false));
    let relay_stop = stop.clone();
    let relay_thread = std::thread::spawn(move || relay.run(limit, &relay_stop));
    let server_stop = stop.clone();
    let server_thread = std::thread::spawn(move || run_server(server, server_stop, limit));

    let client_cfg = EndpointConfig {
        port: 5000,
        association: demo_config(a.streams),
        ..EndpointConfig::default()
    };
    let mut client = Host::bind(&[loopback], client_cfg)?;
    // The capture is the client's view: every packet of the association.
    crate::capture::install(global, &mut client)?;
    println!(
        "anysctp demo: client {} -> relay {} ({:.0}% loss, {:.0}% reordering each way) -> server {}",
        client.local_addrs()[0],
        relay_addr,
        a.loss * 100.0,
        a.reorder * 100.0,
        server_addr
    );
    println!(
        "sending {} messages of {} B on {} streams (odd ids unordered); the server echoes each",
        a.count, a.size, a.streams
    );
    let id = client
        .endpoint
        .connect(client.now(), relay_addr, 5000, demo_config(a.streams))?;
    let mut verifier = Verifier::new(Some(a.streams), Some(a.count));
    let started = WallInstant::now();
    let send_until = started + Duration::from_secs_f64(a.send_time.max(0.5));
    let mut next_id = 0u64;
    let mut connected = false;
    let mut shutdown = false;
    let mut closed: Option<CloseReason> = None;
    let mut last_print = started;
    let mut last_bytes = 0u64;
    let mut final_stats = None;
    while closed.is_none() && WallInstant::now() < limit {
        client.turn(Some(Duration::from_millis(100)))?;
        while let Some((_, ev)) = client.endpoint.poll_event() {
            match ev {
                Event::Connected { .. } => connected = true,
                Event::Message {
                    stream,
                    unordered,
                    data,
                    ..
                } => verifier.check(stream, unordered, &data),
                Event::Closed(r) => closed = Some(r),
                _ => {}
            }
        }
        if connected && !shutdown {
            let now = client.now();
            while next_id < a.count && WallInstant::now() < send_until {
                let stream = StreamId((next_id % u64::from(a.streams)) as u16);
                let opts = SendOptions {
                    unordered: next_id % 2 == 1,
                    ..SendOptions::default()
                };
                let msg = make_message(next_id, a.size);
                match client.endpoint.send(now, id, stream, msg, opts) {
                    Ok(()) => next_id += 1,
                    Err(Error::WouldBlock { .. }) => break,
                    Err(e) => return Err(e).context("sending"),
                }
            }
            let all_sent = next_id >= a.count || WallInstant::now() >= send_until;
            if all_sent && verifier.received >= next_id {
                client.endpoint.shutdown(client.now(), id)?;
                shutdown = true;
            }
        }
        if let Some(s) = client.endpoint.stats(id) {
            final_stats = Some(s);
        }
        if last_print.elapsed() >= Duration::from_millis(500) {
            if let Some(s) = client.endpoint.stats(id) {
                let p = s.paths.iter().find(|p| p.primary).or(s.paths.first());
                let secs = last_print.elapsed().as_secs_f64();
                let rate = (s.bytes_acked.saturating_sub(last_bytes)) as f64 / secs;
                last_bytes = s.bytes_acked;
                eprint!(
                    "\r{:5.1}s  sent {:>6}  echoed {:>6}  cwnd {:>7}  srtt {:>6}  {:>7.2} MB/s  retransmissions {:>4} (fast {:>4}, timeouts {:>3})   ",
                    started.elapsed().as_secs_f64(),
                    next_id,
                    verifier.received,
                    p.map_or(0, |p| p.cwnd),
                    p.and_then(|p| p.srtt)
                        .map_or("-".to_string(), |d| format!("{:.1}ms", d.as_secs_f64() * 1e3)),
                    rate / 1e6,
                    s.retransmissions,
                    s.fast_retransmissions,
                    s.timeouts,
                );
                let _ = std::io::stderr().flush();
            }
            last_print = WallInstant::now();
        }
    }
    eprintln!();
    client.flush();
    drop(client);
    let server_report = server_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread failed"))?;
    stop.store(true, Ordering::Relaxed);
    let counters = relay_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the relay thread failed"))??;
    let secs = started.elapsed().as_secs_f64();
    let graceful = matches!(closed, Some(CloseReason::Shutdown))
        && matches!(server_report.closed, Some(CloseReason::Shutdown));
    let mut errors = verifier.errors.clone();
    errors.extend(server_report.verifier.errors.iter().cloned());
    if verifier.received != next_id {
        errors.push(format!(
            "{} messages sent, {} echoed back",
            next_id, verifier.received
        ));
    }
    let lost = counters.to_target.dropped + counters.to_client.dropped;
    println!("--- summary ---");
    println!(
        "messages: {} sent, {} received by the server, {} echoed back ({} bytes each way) in {secs:.1}s",
        next_id, server_report.verifier.received, verifier.received, verifier.bytes
    );
    println!(
        "relay: {} datagrams, {lost} dropped, {} held back for reordering",
        counters.to_target.received + counters.to_client.received,
        counters.to_target.reordered + counters.to_client.reordered
    );
    if let Some(s) = final_stats {
        println!(
            "client: {} retransmissions ({} fast retransmits, {} timeouts), {} packets sent",
            s.retransmissions, s.fast_retransmissions, s.timeouts, s.packets_sent
        );
    }
    println!(
        "order and content: {}",
        if errors.is_empty() {
            "verified (every message once, intact, in order per stream where ordered)".to_string()
        } else {
            format!("FAILED: {}", errors.join("; "))
        }
    );
    println!(
        "shutdown: {}",
        if graceful {
            "graceful, seen by both"
        } else {
            "NOT graceful"
        }
    );
    Ok(if errors.is_empty() && graceful {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
