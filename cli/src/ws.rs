//! `listen --ws`: SCTP over WebSocket for pages that cannot send UDP.
//!
//! Each binary WebSocket frame carries exactly one SCTP packet, in both
//! directions (the framing of the JavaScript packages' `WebSocketTransport`).
//! Every WebSocket connection is one remote transport address for the core:
//! the TCP peer address of the connection, so `--allow`/`--deny`, `--pcap`,
//! `--stats` and the log name the browser's IP and TCP port.
//!
//! Non-blocking on the host's `mio` poll: tungstenite runs the handshake
//! and the framing over `mio`'s `TcpStream`, nothing blocks, and every
//! resource a peer can make us hold is bounded: the number of connections,
//! the size of a frame (the MTU plus slack), the write buffer per
//! connection, the time a handshake or a close may take, and the frames
//! read per connection and turn.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant as WallInstant};

use bytes::{Bytes, BytesMut};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use tungstenite::error::ProtocolError;
use tungstenite::handshake::server::{NoCallback, ServerHandshake};
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Error as WsError, Message, WebSocket};

/// Token of the listening TCP socket.
pub const LISTENER: Token = Token(usize::MAX - 1);
/// Connection tokens are numbered from here (UDP sockets use the small ones).
const FIRST_CONNECTION: usize = 1 << 24;
/// Most WebSocket connections at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// A peer that has not finished the opening handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After we close a connection the peer has this long to finish.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Frames read from one connection per turn before the others get theirs.
const READ_BUDGET: usize = 64;
/// Bytes queued for one connection beyond what TCP takes; past that, packets
/// are dropped like UDP datagrams on a full queue (SCTP recovers).
const MAX_WRITE_BUFFER: usize = 4 << 20;
/// Bytes gathered before a write to the TCP socket (a turn's end flushes).
const WRITE_BUFFER: usize = 64 << 10;
/// Frames may exceed the MTU by this much: the core lets a lone handshake
/// chunk (a COOKIE ECHO with a large cookie) exceed the path MTU.
pub const FRAME_SLACK: usize = 1024;

/// Where one connection stands.
enum State {
    /// Accepted; the HTTP upgrade has not started.
    New(TcpStream),
    /// The HTTP upgrade is under way.
    Handshake(MidHandshake<ServerHandshake<TcpStream, NoCallback>>),
    /// Frames flow.
    Open(WebSocket<TcpStream>),
    /// We sent a close frame and shut our side; reading what is left until
    /// the peer closes (so no reset destroys the close frame).
    Draining(TcpStream),
    /// To be removed.
    Gone,
}

struct Conn {
    peer: SocketAddr,
    local: SocketAddr,
    state: State,
    /// When a handshake or a close must be over.
    deadline: Option<WallInstant>,
    /// Frames written since the last flush.
    dirty: bool,
    /// The host was told (or need not be told) that this transport is gone.
    reported: bool,
}

/// Counts for the log and the tests' understanding of what happened.
#[derive(Clone, Copy, Debug, Default)]
pub struct WsCounters {
    /// Connections accepted (TCP).
    pub accepted: u64,
    /// Connections refused because [`MAX_CONNECTIONS`] were open.
    pub refused: u64,
    /// Connections closed by us for a text, oversized or malformed frame.
    pub bad_frames: u64,
}

/// The WebSocket side of a host.
pub struct WsServer {
    listener: TcpListener,
    local: SocketAddr,
    config: WebSocketConfig,
    conns: HashMap<Token, Conn>,
    by_peer: HashMap<SocketAddr, Token>,
    next_token: usize,
    /// Connections with frames left to read (read budget spent).
    backlog: Vec<Token>,
    /// Scratch for draining and for outgoing frames (reused: no allocation
    /// per packet once tungstenite has copied the previous frame out).
    scratch: Vec<u8>,
    out: BytesMut,
    /// Some connection may have closed since [`reap`](Self::reap).
    ended: bool,
    /// What happened.
    pub counters: WsCounters,
}

impl WsServer {
    /// Binds the TCP listener; frames larger than `frame_limit` close the
    /// connection.
    pub fn bind(addr: SocketAddr, frame_limit: usize, registry: &Registry) -> anyhow::Result<Self> {
        let mut listener = TcpListener::bind(addr).map_err(|e| {
            anyhow::anyhow!(
                "cannot listen for WebSocket on TCP {addr}: {e} (is the port in use? pick another --ws port)"
            )
        })?;
        registry.register(&mut listener, LISTENER, Interest::READABLE)?;
        let local = listener.local_addr()?;
        let config = WebSocketConfig::default()
            .read_buffer_size(frame_limit.clamp(4096, 128 << 10))
            .write_buffer_size(WRITE_BUFFER)
            .max_write_buffer_size(MAX_WRITE_BUFFER)
            .max_frame_size(Some(frame_limit))
            .max_message_size(Some(frame_limit));
        Ok(Self {
            listener,
            local,
            config,
            conns: HashMap::new(),
            by_peer: HashMap::new(),
            next_token: FIRST_CONNECTION,
            backlog: Vec::new(),
            scratch: vec![0; 4096],
            out: BytesMut::new(),
            ended: false,
            counters: WsCounters::default(),
        })
    }

    /// The TCP address actually bound (port resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether `token` is one of ours.
    pub fn owns_token(token: Token) -> bool {
        token == LISTENER || (token.0 >= FIRST_CONNECTION && token != crate::host::WAKER)
    }

    /// Whether packets to `peer` go over one of our connections.
    pub fn owns_peer(&self, peer: &SocketAddr) -> bool {
        self.by_peer.contains_key(peer)
    }

    /// True when some connection has frames left to read: the host must not
    /// sleep.
    pub fn has_backlog(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// The earliest handshake or close deadline.
    pub fn next_deadline(&self) -> Option<WallInstant> {
        self.conns.values().filter_map(|c| c.deadline).min()
    }

    /// Handles readiness of `token`; every SCTP packet that arrives goes to
    /// `deliver(from, to, packet)`.
    pub fn ready(
        &mut self,
        registry: &Registry,
        token: Token,
        deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes),
    ) {
        if token == LISTENER {
            self.accept(registry, deliver);
        } else {
            self.drive(token, deliver);
        }
    }

    /// Reads on for the connections whose budget ran out last turn.
    pub fn drain_backlog(&mut self, deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes)) {
        let backlog = std::mem::take(&mut self.backlog);
        for token in &backlog {
            self.drive(*token, deliver);
        }
        // Keep the vector's capacity for the next turn.
        let mut backlog = backlog;
        backlog.clear();
        if self.backlog.is_empty() {
            self.backlog = backlog;
        }
    }

    fn accept(
        &mut self,
        registry: &Registry,
        deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes),
    ) {
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. out of file descriptors: try again on the next event.
                    tracing::warn!(error = %e, "accepting a WebSocket connection failed");
                    return;
                }
            };
            if self.conns.len() >= MAX_CONNECTIONS {
                self.counters.refused += 1;
                tracing::warn!(%peer, "WebSocket connection refused: {MAX_CONNECTIONS} already open");
                continue; // dropped: the TCP connection closes
            }
            self.counters.accepted += 1;
            let token = Token(self.next_token);
            self.next_token = self.next_token.wrapping_add(1).max(FIRST_CONNECTION);
            if let Err(e) =
                registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            {
                tracing::warn!(%peer, error = %e, "cannot watch a WebSocket connection");
                continue;
            }
            let local = stream.local_addr().unwrap_or(self.local);
            let _ = stream.set_nodelay(true);
            tracing::debug!(%peer, "WebSocket connection");
            let state = State::New(stream);
            self.conns.insert(
                token,
                Conn {
                    peer,
                    local,
                    state,
                    deadline: Some(WallInstant::now() + HANDSHAKE_TIMEOUT),
                    dirty: false,
                    reported: true, // nothing to tell the host before it is open
                },
            );
            self.drive(token, deliver);
        }
    }

    /// Moves one connection on: handshake, reading, flushing, draining.
    fn drive(&mut self, token: Token, deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes)) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let state = std::mem::replace(&mut conn.state, State::Gone);
        let state = match state {
            State::New(stream) => {
                let r = tungstenite::accept_with_config(stream, Some(self.config));
                self.handshake_step(token, r, deliver)
            }
            State::Handshake(mid) => {
                let r = mid.handshake();
                self.handshake_step(token, r, deliver)
            }
            State::Open(mut ws) => {
                if conn.dirty && !flush_ws(&mut ws, conn.peer, &mut conn.dirty) {
                    State::Gone
                } else {
                    self.read_frames(token, ws, deliver)
                }
            }
            State::Draining(mut stream) => drain(&mut stream, &mut self.scratch)
                .map_or(State::Gone, |()| State::Draining(stream)),
            State::Gone => State::Gone,
        };
        if !matches!(state, State::Open(_) | State::Handshake(_)) {
            self.ended = true;
        }
        if let Some(conn) = self.conns.get_mut(&token) {
            conn.state = state;
        }
    }

    /// One step of the opening handshake (RFC 6455 §4.2); once it is done
    /// the connection is a transport address of the host.
    fn handshake_step(
        &mut self,
        token: Token,
        result: Result<
            WebSocket<TcpStream>,
            HandshakeError<ServerHandshake<TcpStream, NoCallback>>,
        >,
        deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes),
    ) -> State {
        let Some(conn) = self.conns.get_mut(&token) else {
            return State::Gone;
        };
        match result {
            Ok(ws) => {
                tracing::debug!(peer = %conn.peer, "WebSocket open");
                conn.deadline = None;
                conn.reported = false;
                // A TCP peer address is unique while its connection lives;
                // an older entry belongs to a connection already closed.
                self.by_peer.insert(conn.peer, token);
                // Frames may already be buffered: read them now (no new
                // readiness event would come for them).
                self.read_frames(token, ws, deliver)
            }
            Err(HandshakeError::Interrupted(mid)) => State::Handshake(mid),
            Err(HandshakeError::Failure(e)) => {
                tracing::debug!(peer = %conn.peer, error = %e, "WebSocket handshake failed");
                State::Gone
            }
        }
    }

    /// Reads frames until the socket has no more, the budget is spent, or the
    /// connection ends.
    fn read_frames(
        &mut self,
        token: Token,
        mut ws: WebSocket<TcpStream>,
        deliver: &mut dyn FnMut(SocketAddr, SocketAddr, Bytes),
    ) -> State {
        let Some(conn) = self.conns.get_mut(&token) else {
            return State::Gone;
        };
        let counters = &mut self.counters;
        for _ in 0..READ_BUDGET {
            match ws.read() {
                Ok(Message::Binary(packet)) => deliver(conn.peer, conn.local, packet),
                Ok(Message::Text(_)) => {
                    counters.bad_frames += 1;
                    return close(
                        conn,
                        ws,
                        CloseCode::Unsupported,
                        "anysctp takes binary frames only: one SCTP packet per binary frame",
                    );
                }
                // Pings are answered by tungstenite; a close frame is answered
                // and the next read reports the end.
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_)) => {
                }
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    return State::Open(ws)
                }
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(
                    WsError::ConnectionClosed
                    | WsError::AlreadyClosed
                    | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                ) => {
                    tracing::debug!(peer = %conn.peer, "WebSocket closed");
                    return State::Gone;
                }
                Err(WsError::Capacity(e)) => {
                    counters.bad_frames += 1;
                    tracing::debug!(peer = %conn.peer, error = %e, "WebSocket frame too big");
                    let reason = format!("frame too big for anysctp: {e} (raise --mtu)");
                    return close(conn, ws, CloseCode::Size, &reason);
                }
                Err(WsError::Protocol(e)) => {
                    counters.bad_frames += 1;
                    tracing::debug!(peer = %conn.peer, error = %e, "WebSocket protocol error");
                    return close(conn, ws, CloseCode::Protocol, &format!("{e}"));
                }
                Err(e) => {
                    tracing::debug!(peer = %conn.peer, error = %e, "WebSocket read failed");
                    return State::Gone;
                }
            }
        }
        self.backlog.push(token);
        State::Open(ws)
    }

    /// Queues one SCTP packet for `peer` as one binary frame; `Some(local
    /// address)` if it was queued, `None` if it was dropped.
    pub fn send(&mut self, peer: &SocketAddr, packet: &[u8]) -> Option<SocketAddr> {
        let token = *self.by_peer.get(peer)?;
        let conn = self.conns.get_mut(&token)?;
        let State::Open(ws) = &mut conn.state else {
            return None;
        };
        // Reuses the buffer once the previous frame's bytes were released.
        self.out.reserve(packet.len());
        self.out.extend_from_slice(packet);
        let frame = self.out.split().freeze();
        match ws.write(Message::Binary(frame)) {
            Ok(()) => {
                conn.dirty = true;
                Some(conn.local)
            }
            // Queued; the rest goes when the socket is writable.
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                conn.dirty = true;
                Some(conn.local)
            }
            Err(WsError::WriteBufferFull(_)) => {
                tracing::debug!(%peer, "WebSocket write buffer full: packet dropped");
                None
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "WebSocket write failed");
                conn.state = State::Gone;
                self.ended = true;
                None
            }
        }
    }

    /// Flushes what [`send`](Self::send) queued.
    pub fn flush(&mut self) {
        for conn in self.conns.values_mut().filter(|c| c.dirty) {
            let State::Open(ws) = &mut conn.state else {
                conn.dirty = false;
                continue;
            };
            if !flush_ws(ws, conn.peer, &mut conn.dirty) {
                conn.state = State::Gone;
                self.ended = true;
            }
        }
    }

    /// Ends handshakes and closes that took too long.
    pub fn expire(&mut self, now: WallInstant) {
        for conn in self.conns.values_mut() {
            if conn.deadline.is_some_and(|d| d <= now) {
                tracing::debug!(peer = %conn.peer, "WebSocket handshake or close timed out");
                conn.state = State::Gone;
                self.ended = true;
            }
        }
    }

    /// Whether a connection may have ended since the last [`reap`](Self::reap).
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Transport addresses whose connection stopped carrying packets since
    /// the last call (closed, broken, or closed by us for a bad frame): the
    /// host ends the associations that used them.
    pub fn take_lost(&mut self, lost: &mut Vec<SocketAddr>) {
        for conn in self.conns.values_mut() {
            if !conn.reported && !matches!(conn.state, State::Open(_)) {
                conn.reported = true;
                lost.push(conn.peer);
            }
        }
    }

    /// Forgets the connections that are gone (after [`take_lost`](Self::take_lost)
    /// and the last flush, so the ABORT of an association has had its try).
    pub fn reap(&mut self) {
        self.ended = false;
        let by_peer = &mut self.by_peer;
        self.conns.retain(|token, conn| {
            if !matches!(conn.state, State::Gone) {
                return true;
            }
            if by_peer.get(&conn.peer) == Some(token) {
                by_peer.remove(&conn.peer);
            }
            // Dropping the socket closes it, which also takes it out of the
            // poll set.
            false
        });
    }
}

/// Writes out what is queued for `peer`; false if the connection broke.
fn flush_ws(ws: &mut WebSocket<TcpStream>, peer: SocketAddr, dirty: &mut bool) -> bool {
    match ws.flush() {
        Ok(()) => *dirty = false,
        Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => {
            tracing::debug!(%peer, error = %e, "WebSocket write failed");
            return false;
        }
    }
    true
}

/// Sends a close frame with `reason` (cut to the 123 bytes a close frame
/// holds, RFC 6455 §5.5), shuts our sending side and drains the rest.
fn close(conn: &mut Conn, mut ws: WebSocket<TcpStream>, code: CloseCode, reason: &str) -> State {
    let frame = CloseFrame {
        code,
        reason: close_reason(reason).to_string().into(),
    };
    tracing::info!(peer = %conn.peer, reason, "closing WebSocket connection");
    // Best effort: a peer that does not read loses the reason, nothing else.
    let _ = ws.close(Some(frame));
    let _ = ws.flush();
    let _ = ws.get_ref().shutdown(Shutdown::Write);
    conn.deadline = Some(WallInstant::now() + CLOSE_TIMEOUT);
    conn.dirty = false;
    State::Draining(ws.into_inner())
}

/// `reason` cut to the 123 bytes a close frame has room for (RFC 6455
/// §5.5: control frames carry at most 125 bytes, 2 of them the code), at a
/// character boundary.
fn close_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// Reads and discards until the peer closes (`Err`) or would block (`Ok`).
fn drain(stream: &mut TcpStream, scratch: &mut [u8]) -> Result<(), ()> {
    for _ in 0..READ_BUDGET {
        match stream.read(scratch) {
            Ok(0) => return Err(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_control_frame() {
        assert_eq!(close_reason("short"), "short");
        let long = "é".repeat(100); // 200 bytes, 2 per character
        let cut = close_reason(&long);
        assert_eq!(cut.len(), 122);
        assert!(long.starts_with(cut));
        assert_eq!(close_reason(&"x".repeat(500)).len(), 123);
    }

    #[test]
    fn tokens_of_the_websocket_side_are_told_apart() {
        assert!(WsServer::owns_token(LISTENER));
        assert!(WsServer::owns_token(Token(FIRST_CONNECTION + 5)));
        assert!(!WsServer::owns_token(Token(0)));
        assert!(!WsServer::owns_token(Token(3)));
        assert!(!WsServer::owns_token(crate::host::WAKER));
    }
}
