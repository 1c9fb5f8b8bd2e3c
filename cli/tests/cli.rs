//! The `anysctp` binary on 127.0.0.1: bad input gives one line and a
//! non-zero exit code, Ctrl-C shuts down gracefully, `--pcap` writes a
//! capture tshark reads. Every process is bounded in time.

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_anysctp"))
}

/// A UDP port nobody uses right now.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for `child` at most `limit`, killing it after; returns its output.
fn finish(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, limit)
}

fn listener(port: u16, extra: &[&str]) -> Child {
    let child = bin()
        .args(["listen", &format!("127.0.0.1:{port}"), "--timeout", "20"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    child
}

/// Fails with exit code != 0 and exactly one line on stderr containing `what`.
fn assert_one_line_error(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    let lines: Vec<_> = err.lines().filter(|l| l.starts_with("anysctp: ")).collect();
    assert!(
        lines.last().is_some_and(|l| l.contains(what)),
        "stderr should say `{what}`: {err}"
    );
    assert!(
        err.lines().count() <= 2,
        "a short error, not a backtrace: {err}"
    );
}

#[test]
fn unparsable_address_is_one_line() {
    let out = run(
        bin().args(["connect", "no such host:xx"]),
        Duration::from_secs(10),
    );
    assert_one_line_error(&out, "no such host:xx");
    let out = run(
        bin().args(["listen", "127.0.0.1:notaport"]),
        Duration::from_secs(10),
    );
    assert!(!out.status.success());
}

#[test]
fn port_in_use_is_one_line() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = run(
        bin().args(["listen", &format!("127.0.0.1:{port}")]),
        Duration::from_secs(10),
    );
    assert_one_line_error(&out, "in use");
}

#[test]
fn unreadable_file_is_one_line() {
    let out = run(
        bin().args([
            "connect",
            "127.0.0.1:9",
            "--file",
            "/nonexistent/anysctp-test",
        ]),
        Duration::from_secs(10),
    );
    assert_one_line_error(&out, "/nonexistent/anysctp-test");
}

#[test]
fn unreachable_peer_fails_within_timeout() {
    let port = free_port();
    let out = run(
        bin().args(["connect", &format!("127.0.0.1:{port}"), "--timeout", "1.5"]),
        Duration::from_secs(10),
    );
    assert_one_line_error(&out, "gave up");
}

#[test]
fn refused_association_is_aborted() {
    let port = free_port();
    let server = listener(port, &["--deny", "127.0.0.0/8"]);
    let out = run(
        bin().args(["connect", &format!("127.0.0.1:{port}"), "--timeout", "10"]),
        Duration::from_secs(15),
    );
    assert_one_line_error(&out, "aborted by the peer");
    let mut server = server;
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn ctrl_c_shuts_down_gracefully() {
    let port = free_port();
    let server = listener(port, &[]);
    let mut client = bin()
        .args(["connect", &format!("127.0.0.1:{port}"), "--timeout", "20"])
        .stdin(Stdio::piped()) // kept open: only Ctrl-C ends the client
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the association, then interrupt.
    let mut err = client.stderr.take().unwrap();
    let mut seen = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains(" up") {
        assert!(start.elapsed() < Duration::from_secs(10), "no association");
        let n = err.read(&mut buf).unwrap();
        assert!(n > 0, "client ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    let status = Command::new("kill")
        .args(["-INT", &client.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = finish(client, Duration::from_secs(10));
    err.read_to_end(&mut seen).unwrap();
    let text = String::from_utf8_lossy(&seen);
    assert!(out.status.success(), "client: {text}");
    assert!(text.contains("graceful shutdown"), "client: {text}");
    let s = finish(server, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&s.stderr);
    assert!(text.contains("closed: graceful shutdown"), "server: {text}");
}

#[test]
fn pcap_has_handshake_data_and_sack_with_good_checksums() {
    let tshark = Command::new("tshark").arg("--version").output();
    if tshark.is_err() {
        eprintln!("tshark not installed; skipping");
        return;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("anysctp-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("c.pcap");
    let server = listener(port, &["--verify", "--expect", "50"]);
    let out = run(
        bin().args([
            "connect",
            &format!("127.0.0.1:{port}"),
            "--count",
            "50",
            "--size",
            "200",
            "--timeout",
            "15",
            "--pcap",
            pcap.to_str().unwrap(),
        ]),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = finish(server, Duration::from_secs(10));
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stdout));
    let decode = format!("udp.port=={port},sctp");
    let t = Command::new("tshark")
        .args(["-r", pcap.to_str().unwrap(), "-o", "sctp.checksum:CRC 32c"])
        .args(["-d", &decode, "-T", "fields", "-e", "sctp.chunk_type"])
        .args(["-e", "sctp.checksum.status", "-e", "_ws.malformed"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let types: Vec<&str> = text
        .lines()
        .flat_map(|l| l.split('\t').next().unwrap_or("").split(','))
        .collect();
    // INIT 1, INIT ACK 2, COOKIE ECHO 10, COOKIE ACK 11, DATA 0, SACK 3.
    for (t, name) in [
        ("1", "INIT"),
        ("2", "INIT ACK"),
        ("10", "COOKIE ECHO"),
        ("11", "COOKIE ACK"),
        ("0", "DATA"),
        ("3", "SACK"),
    ] {
        assert!(types.contains(&t), "no {name} in the capture:\n{text}");
    }
    for line in text.lines() {
        let cols: Vec<_> = line.split('\t').collect();
        // checksum status 1 = good
        assert_eq!(cols.get(1).copied(), Some("1"), "bad checksum: {line}");
        assert!(
            cols.get(2).is_none_or(|m| m.is_empty()),
            "malformed: {line}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- --ws

mod ws {
    use super::*;
    use anysctp::pcap::{decapsulate_udp, link_payload, PcapReader};
    use anysctp::{
        AssociationConfig, AssociationId, CloseReason, Endpoint, EndpointConfig, Event,
        Instant as CoreInstant, SendOptions, StreamId,
    };
    use bytes::Bytes;
    use std::io::{BufRead, BufReader};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::{Arc, Mutex};
    use tungstenite::protocol::frame::coding::CloseCode;
    use tungstenite::{Message, WebSocket};

    /// `anysctp listen --ws 127.0.0.1:0 ARGS`, its WebSocket address, and its
    /// stderr as it comes (read by a thread so the pipe never fills).
    struct Server {
        child: Child,
        ws: SocketAddr,
        stderr: Arc<Mutex<String>>,
    }

    impl Server {
        fn start(args: &[&str]) -> Self {
            let mut child = bin()
                .args(["listen", "--ws", "127.0.0.1:0", "--timeout", "60"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
            let mut seen = String::new();
            let ws = loop {
                let line = lines.next().expect("listen ended early").unwrap();
                seen.push_str(&line);
                seen.push('\n');
                if let Some(rest) = line.strip_prefix("anysctp: listening on WebSocket ws://") {
                    let addr = rest.split_whitespace().next().unwrap();
                    break addr.parse().unwrap();
                }
            };
            let stderr = Arc::new(Mutex::new(seen));
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    let mut s = sink.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            });
            Self { child, ws, stderr }
        }

        fn stderr(&self) -> String {
            self.stderr.lock().unwrap().clone()
        }

        /// Waits until stderr contains `what` (at most 10 s).
        fn wait_for(&self, what: &str) {
            let start = Instant::now();
            while !self.stderr().contains(what) {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "server never said `{what}`:\n{}",
                    self.stderr()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        fn running(&mut self) -> bool {
            self.child.try_wait().unwrap().is_none()
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn ws_connect(addr: SocketAddr) -> WebSocket<TcpStream> {
        let tcp = TcpStream::connect(addr).unwrap();
        let (ws, _) = tungstenite::client(format!("ws://{addr}/"), tcp).unwrap();
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        ws
    }

    /// The close frame the server answers with (reading past anything else).
    fn close_frame(ws: &mut WebSocket<TcpStream>) -> Option<(CloseCode, String)> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            match ws.read() {
                Ok(Message::Close(f)) => return f.map(|f| (f.code, f.reason.to_string())),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// An anysctp core endpoint whose only transport is one WebSocket: the
    /// page's side, in Rust.
    struct Peer {
        ws: WebSocket<TcpStream>,
        ep: Endpoint,
        origin: Instant,
        remote: SocketAddr,
        buf: Vec<u8>,
    }

    impl Peer {
        /// Connects the WebSocket and starts an association to SCTP port
        /// `sctp_port` (sent on the first turn).
        fn start(addr: SocketAddr, sctp_port: u16) -> (Self, AssociationId) {
            let ws = ws_connect(addr);
            let cfg = EndpointConfig {
                port: sctp_port,
                ..EndpointConfig::default()
            };
            let mut ep = Endpoint::new(cfg, [9; 32]).unwrap();
            let assoc = AssociationConfig {
                max_message_size: 1 << 20,
                ..AssociationConfig::default()
            };
            let id = ep
                .connect(CoreInstant::ZERO, addr, sctp_port, assoc)
                .unwrap();
            let p = Self {
                ws,
                ep,
                origin: Instant::now(),
                remote: addr,
                buf: vec![0; 65536],
            };
            (p, id)
        }

        /// [`start`](Self::start) to SCTP port 5000 and wait until it is up.
        fn connect(addr: SocketAddr) -> (Self, AssociationId) {
            Self::connect_to(addr, 5000)
        }

        fn connect_to(addr: SocketAddr, sctp_port: u16) -> (Self, AssociationId) {
            let (mut p, id) = Self::start(addr, sctp_port);
            let ev = p.next_event(Duration::from_secs(10));
            assert!(matches!(ev, Some(Event::Connected { .. })), "{ev:?}");
            (p, id)
        }

        fn now(&self) -> CoreInstant {
            CoreInstant::from_micros(self.origin.elapsed().as_micros() as u64)
        }

        /// Moves packets both ways once; false when the WebSocket is gone.
        fn turn(&mut self) -> bool {
            let now = self.now();
            while let Some(t) = self.ep.poll_transmit(now, &mut self.buf) {
                let frame = Bytes::copy_from_slice(&self.buf[..t.len]);
                if self.ws.send(Message::Binary(frame)).is_err() {
                    return false;
                }
            }
            loop {
                match self.ws.read() {
                    Ok(Message::Binary(b)) => {
                        let now = self.now();
                        self.ep.handle_datagram(now, self.remote, b);
                    }
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(_) => return false,
                }
            }
            let now = self.now();
            if self.ep.poll_timeout().is_some_and(|d| d <= now) {
                self.ep.handle_timeout(now);
            }
            true
        }

        fn next_event(&mut self, limit: Duration) -> Option<Event> {
            let start = Instant::now();
            while start.elapsed() < limit {
                if let Some((_, ev)) = self.ep.poll_event() {
                    return Some(ev);
                }
                if !self.turn() {
                    return self.ep.poll_event().map(|(_, e)| e);
                }
            }
            None
        }
    }

    /// Message `i`: its id, then bytes that depend on it.
    fn message(i: u32, len: usize) -> Bytes {
        let mut v: Vec<u8> = (0..len).map(|j| (i as usize + j) as u8).collect();
        v[..4].copy_from_slice(&i.to_le_bytes());
        Bytes::from(v)
    }

    /// Sends `n` messages over `streams` streams (one of 200 KiB) and checks
    /// that each comes back intact, on its stream, in order per stream.
    fn echo_round(p: &mut Peer, id: AssociationId, n: u32, streams: u16) {
        let size = |i: u32| {
            if i == n / 2 {
                200 * 1024
            } else {
                20 + (i as usize % 40) * 30
            }
        };
        let mut next = 0u32;
        let mut got = 0u32;
        let mut last: Vec<Option<u32>> = vec![None; streams as usize];
        let start = Instant::now();
        while got < n {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{got} of {n} echoes"
            );
            while next < n {
                let now = p.now();
                let stream = StreamId((next % u32::from(streams)) as u16);
                match p.ep.send(
                    now,
                    id,
                    stream,
                    message(next, size(next)),
                    SendOptions::default(),
                ) {
                    Ok(()) => next += 1,
                    Err(anysctp::Error::WouldBlock { .. }) => break,
                    Err(e) => panic!("send: {e}"),
                }
            }
            assert!(p.turn(), "the WebSocket closed during the echo");
            while let Some((_, ev)) = p.ep.poll_event() {
                if let Event::Message { stream, data, .. } = ev {
                    let i = u32::from_le_bytes(data[..4].try_into().unwrap());
                    assert_eq!(data, message(i, size(i)), "message {i} corrupted");
                    assert_eq!(u32::from(stream.0), i % u32::from(streams));
                    let prev = last[stream.0 as usize].replace(i);
                    assert!(
                        !prev.is_some_and(|p| p >= i),
                        "stream {} out of order",
                        stream.0
                    );
                    got += 1;
                }
            }
        }
    }

    fn shutdown(p: &mut Peer, id: AssociationId) {
        let now = p.now();
        p.ep.shutdown(now, id).unwrap();
        loop {
            match p.next_event(Duration::from_secs(10)) {
                Some(Event::Closed(reason)) => {
                    assert_eq!(reason, CloseReason::Shutdown);
                    p.turn(); // sends the SHUTDOWN COMPLETE
                    return;
                }
                Some(_) => {}
                None => panic!("no close after shutdown"),
            }
        }
    }

    #[test]
    fn ws_echo_and_graceful_shutdown_with_capture() {
        let dir = std::env::temp_dir().join(format!("anysctp-cli-ws-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pcap = dir.join("ws.pcap");
        let server = Server::start(&["--echo", "--pcap", pcap.to_str().unwrap()]);
        let (mut p, id) = Peer::connect(server.ws);
        echo_round(&mut p, id, 300, 8);
        shutdown(&mut p, id);
        let mut server = server;
        let status = {
            let start = Instant::now();
            loop {
                if let Some(s) = server.child.try_wait().unwrap() {
                    break s;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "listen did not end"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        // The thread reading stderr may still be at work.
        server.wait_for("WebSocket: 1 connections");
        let err = server.stderr();
        assert!(status.success(), "{err}");
        assert!(err.contains("closed: graceful shutdown"), "{err}");
        // The capture: SCTP over UDP between the WebSocket's TCP addresses.
        let bytes = std::fs::read(&pcap).unwrap();
        let reader = PcapReader::new(&bytes).unwrap();
        let link = reader.link_type().unwrap();
        let mut to_server = 0;
        let mut from_server = 0;
        for rec in reader {
            let rec = rec.unwrap();
            let d = decapsulate_udp(link_payload(link, rec.data).unwrap()).unwrap();
            assert!(d.payload.len() >= 12, "an SCTP packet");
            if d.dst == server.ws {
                to_server += 1;
            } else if d.src == server.ws {
                from_server += 1;
            }
        }
        assert!(
            to_server > 50 && from_server > 50,
            "{to_server} / {from_server}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ws_bad_frames_and_broken_connections_do_not_stop_the_server() {
        let mut server = Server::start(&["--echo", "-k"]);
        // A text frame: closed with 1003 and a reason that says what to send.
        let mut ws = ws_connect(server.ws);
        ws.send(Message::text("hello")).unwrap();
        let (code, reason) = close_frame(&mut ws).expect("a close frame");
        assert_eq!(code, CloseCode::Unsupported);
        assert!(reason.contains("binary"), "{reason}");
        // A frame far beyond the MTU: closed with 1009.
        let mut ws = ws_connect(server.ws);
        ws.send(Message::binary(vec![0u8; 100_000])).unwrap();
        let (code, reason) = close_frame(&mut ws).expect("a close frame");
        assert_eq!(code, CloseCode::Size);
        assert!(reason.contains("--mtu"), "{reason}");
        // Garbage instead of an HTTP upgrade, and a connection that just stops.
        let mut raw = TcpStream::connect(server.ws).unwrap();
        std::io::Write::write_all(&mut raw, b"\x16\x03\x01 not http\r\n\r\n").unwrap();
        drop(raw);
        drop(TcpStream::connect(server.ws).unwrap());
        // Binary garbage is a bad SCTP packet, dropped by the core.
        let mut ws = ws_connect(server.ws);
        ws.send(Message::binary(vec![0xAB; 100])).unwrap();
        // An association whose WebSocket breaks is ended by the server.
        let (p, _) = Peer::connect(server.ws);
        drop(p);
        server.wait_for("closed: aborted (the WebSocket connection closed)");
        assert!(server.running(), "{}", server.stderr());
        // And the server still serves.
        let (mut p, id) = Peer::connect(server.ws);
        echo_round(&mut p, id, 100, 4);
        shutdown(&mut p, id);
        server.wait_for("closed: graceful shutdown");
        assert!(server.running(), "{}", server.stderr());
        drop(ws);
        // Ctrl-C with no association left ends it, with the tally.
        let status = Command::new("kill")
            .args(["-INT", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        server.wait_for("WebSocket: 7 connections, 2 closed for a bad frame");
    }

    #[test]
    fn ws_deny_applies_to_the_tcp_peer_address() {
        let server = Server::start(&["--echo", "--deny", "127.0.0.0/8"]);
        let (mut p, _) = Peer::start(server.ws, 5000);
        let ev = p.next_event(Duration::from_secs(10));
        assert!(
            matches!(ev, Some(Event::Closed(CloseReason::PeerAborted(_)))),
            "{ev:?}"
        );
    }

    #[test]
    fn ws_and_udp_together() {
        let udp = free_port();
        let server = Server::start(&[&format!("127.0.0.1:{udp}"), "--echo", "-k"]);
        let err = server.stderr();
        assert!(
            err.contains(&format!("listening on UDP 127.0.0.1:{udp}")),
            "{err}"
        );
        // Over WebSocket (the SCTP port is the UDP port's when both listen).
        let (mut p, id) = Peer::connect_to(server.ws, udp);
        echo_round(&mut p, id, 50, 2);
        // And over UDP at the same time, with the CLI as the client.
        let out = run(
            bin().args([
                "connect",
                &format!("127.0.0.1:{udp}"),
                "--count",
                "20",
                "--size",
                "100",
                "--expect",
                "20",
                "--verify",
                "--timeout",
                "20",
            ]),
            Duration::from_secs(30),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        shutdown(&mut p, id);
    }
}
