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
