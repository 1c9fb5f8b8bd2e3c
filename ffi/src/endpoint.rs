//! The sans-IO endpoint API: datagrams in, datagrams out, time passed in,
//! events out. No sockets, no threads, no clocks.

use std::ffi::{c_char, CStr};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use bytes::{Bytes, BytesMut};
use sctp::{
    AddressRequest, AddressRequestOutcome, AssociationId, AuthIndication, CloseReason, Endpoint,
    Event, Instant, PeerAddressState, ReconfigResult, SendFailure, StreamDirection, StreamId,
};

use crate::addr::{anysctp_sockaddr, read_addr};
use crate::config::{anysctp_association_config, anysctp_endpoint_config, read};
use crate::error::{anysctp_result, guard, panic_text, Failure};
use crate::event::*;

use anysctp_result::*;

/// Bytes reserved at a time for received datagrams: they are sliced out of
/// one buffer, which is reclaimed once the core has released every slice,
/// so steady-state reception does not allocate per datagram.
const RX_CHUNK: usize = 256 * 1024;

/// An SCTP endpoint: one local SCTP port, many associations. Opaque.
///
/// Not thread-safe: call it from one thread at a time. It holds no
/// thread-local state, so it may move between threads.
pub struct anysctp_endpoint {
    ep: Endpoint,
    /// Set when a panic was caught inside a call: the state may be torn, so
    /// every later call fails with `ANYSCTP_ERR_PANIC`.
    poisoned: bool,
    /// An event taken from the core but not yet handed out
    /// (`poll_event_copy` with a too-small buffer keeps it here).
    pending: Option<(AssociationId, Event)>,
    /// Keeps the bytes of the last event alive while C borrows them.
    held_data: Bytes,
    /// The NUL-terminated text of the last event.
    held_text: Vec<u8>,
    /// The stream ids of the last `ANYSCTP_EVENT_STREAMS_RESET`.
    held_streams: Vec<u16>,
    /// Where received datagrams are copied.
    rx: BytesMut,
    /// The smallest `poll_transmit` buffer accepted: the largest MTU of any
    /// association configuration given.
    min_transmit_buf: usize,
}

fn with_ep(
    ep: *mut anysctp_endpoint,
    f: impl FnOnce(&mut anysctp_endpoint) -> Result<anysctp_result, Failure>,
) -> anysctp_result {
    guard(|| {
        if ep.is_null() {
            return Err(Failure::null("endpoint"));
        }
        // SAFETY: non-NULL; the caller promised a live endpoint from
        // anysctp_endpoint_new, used by one thread at a time (header).
        let h = unsafe { &mut *ep };
        if h.poisoned {
            return Err(Failure {
                code: ANYSCTP_ERR_PANIC,
                message:
                    "endpoint unusable: an internal error happened in an earlier call; free it"
                        .into(),
            });
        }
        match catch_unwind(AssertUnwindSafe(|| f(&mut *h))) {
            Ok(r) => r,
            Err(payload) => {
                h.poisoned = true;
                Err(Failure {
                    code: ANYSCTP_ERR_PANIC,
                    message: format!("internal error (panic): {}", panic_text(&payload)),
                })
            }
        }
    })
}

fn out_ptr<T>(p: *mut T, name: &str) -> Result<*mut T, Failure> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(p)
    }
}

/// Writes through a checked out-pointer.
fn put<T>(p: *mut T, v: T) {
    // SAFETY: only called with pointers checked by `out_ptr`; the caller
    // promised they point to writable memory of type T.
    unsafe { p.write_unaligned(v) }
}

fn bytes_arg<'a>(data: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Failure::invalid(format!(
            "{name} is NULL but its length is {len}"
        )));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "{name} length {len} is too large"
        )));
    }
    // SAFETY: non-NULL, length bounded by isize::MAX, and the caller
    // promised `len` readable bytes that stay unchanged during the call.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

fn now(us: u64) -> Instant {
    Instant::from_micros(us)
}

impl anysctp_endpoint {
    fn association_config(
        &mut self,
        cfg: *const anysctp_association_config,
    ) -> Result<sctp::AssociationConfig, Failure> {
        let c = if cfg.is_null() {
            self.ep.config().association.clone()
        } else {
            read(cfg, "config")?.to_core()?
        };
        self.min_transmit_buf = self.min_transmit_buf.max(c.mtu);
        Ok(c)
    }

    fn hold_text(&mut self, text: &str) -> (*const c_char, usize) {
        self.held_text.clear();
        // A NUL inside the text would cut it short for C; replace it.
        self.held_text
            .extend(text.bytes().map(|b| if b == 0 { b'?' } else { b }));
        self.held_text.push(0);
        (self.held_text.as_ptr().cast(), text.len())
    }

    /// Turns a core event into the C struct, keeping whatever it points to
    /// alive in `self`. `copy` = (buffer, capacity) copies message bytes
    /// there instead of borrowing them.
    fn convert(
        &mut self,
        id: AssociationId,
        ev: Event,
        copy: Option<(*mut u8, usize)>,
    ) -> anysctp_event {
        use anysctp_event_type::*;
        let mut out = anysctp_event::empty();
        out.association = id.0;
        let data_ptr = |data: Bytes, this: &mut Self| -> (*const u8, usize) {
            let len = data.len();
            match copy {
                Some((buf, _)) => {
                    if len > 0 {
                        // SAFETY: the caller checked `cap >= len` and that
                        // `buf` is non-NULL and writable for `cap` bytes.
                        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), buf, len) };
                    }
                    this.held_data = Bytes::new();
                    (buf.cast_const(), len)
                }
                None => {
                    let p = data.as_ptr();
                    this.held_data = data;
                    (p, len)
                }
            }
        };
        match ev {
            Event::Connected {
                outbound_streams,
                inbound_streams,
            } => {
                out.kind = ANYSCTP_EVENT_CONNECTED;
                out.u.connected = anysctp_event_connected {
                    outbound_streams,
                    inbound_streams,
                };
            }
            Event::Restarted => out.kind = ANYSCTP_EVENT_RESTARTED,
            Event::Message {
                stream,
                ppid,
                unordered,
                data,
            } => {
                let (data, len) = data_ptr(data, self);
                out.kind = ANYSCTP_EVENT_MESSAGE;
                out.u.message = anysctp_event_message {
                    stream: stream.0,
                    ppid: ppid.0,
                    unordered,
                    data,
                    len,
                };
            }
            Event::SendFailed {
                stream,
                ppid,
                reason,
                data,
            } => {
                let (data, len) = data_ptr(data, self);
                out.kind = ANYSCTP_EVENT_SEND_FAILED;
                out.u.send_failed = anysctp_event_send_failed {
                    stream: stream.0,
                    ppid: ppid.0,
                    reason: match reason {
                        SendFailure::Abandoned => {
                            anysctp_send_failure::ANYSCTP_SEND_FAILURE_ABANDONED
                        }
                        SendFailure::AssociationClosed => {
                            anysctp_send_failure::ANYSCTP_SEND_FAILURE_ASSOCIATION_CLOSED
                        }
                        _ => anysctp_send_failure::ANYSCTP_SEND_FAILURE_OTHER,
                    },
                    data,
                    len,
                };
            }
            Event::RemoteError(text) => {
                let (text, len) = self.hold_text(&text);
                out.kind = ANYSCTP_EVENT_REMOTE_ERROR;
                out.u.text = anysctp_event_text { text, len };
            }
            Event::PeerAddressChange { address, state, .. } => {
                use anysctp_address_state::*;
                out.kind = ANYSCTP_EVENT_PEER_ADDRESS_CHANGE;
                out.u.peer_address_change = anysctp_event_peer_address_change {
                    address: address.into(),
                    state: match state {
                        PeerAddressState::Available => ANYSCTP_ADDR_AVAILABLE,
                        PeerAddressState::Unreachable => ANYSCTP_ADDR_UNREACHABLE,
                        PeerAddressState::Confirmed => ANYSCTP_ADDR_CONFIRMED,
                        PeerAddressState::MadePrimary => ANYSCTP_ADDR_MADE_PRIMARY,
                        PeerAddressState::Added => ANYSCTP_ADDR_ADDED,
                        PeerAddressState::Removed => ANYSCTP_ADDR_REMOVED,
                        PeerAddressState::PotentiallyFailed => ANYSCTP_ADDR_POTENTIALLY_FAILED,
                        _ => ANYSCTP_ADDR_OTHER,
                    },
                };
            }
            Event::ShutdownReceived => out.kind = ANYSCTP_EVENT_SHUTDOWN_RECEIVED,
            Event::SenderDry => out.kind = ANYSCTP_EVENT_SENDER_DRY,
            Event::BufferedAmountLow => out.kind = ANYSCTP_EVENT_BUFFERED_AMOUNT_LOW,
            Event::Closed(reason) => {
                use anysctp_close_reason::*;
                let (reason, text) = match reason {
                    CloseReason::Shutdown => (ANYSCTP_CLOSE_SHUTDOWN, String::new()),
                    CloseReason::PeerAborted(t) => (ANYSCTP_CLOSE_PEER_ABORTED, t),
                    CloseReason::LocallyAborted(t) => (ANYSCTP_CLOSE_LOCALLY_ABORTED, t),
                    CloseReason::Timeout => (ANYSCTP_CLOSE_TIMEOUT, String::new()),
                    CloseReason::SetupFailed => (ANYSCTP_CLOSE_SETUP_FAILED, String::new()),
                    other => (ANYSCTP_CLOSE_OTHER, format!("{other:?}")),
                };
                let (text, len) = self.hold_text(&text);
                out.kind = ANYSCTP_EVENT_CLOSED;
                out.u.closed = anysctp_event_closed { reason, text, len };
            }
            Event::StreamsReset {
                direction,
                streams,
                result,
            } => {
                use anysctp_stream_direction::*;
                self.held_streams.clear();
                self.held_streams.extend(streams.iter().map(|s| s.0));
                out.kind = ANYSCTP_EVENT_STREAMS_RESET;
                out.u.streams_reset = anysctp_event_streams_reset {
                    direction: match direction {
                        StreamDirection::Incoming => ANYSCTP_STREAMS_INCOMING,
                        StreamDirection::Outgoing => ANYSCTP_STREAMS_OUTGOING,
                    },
                    result: reconfig_result(result),
                    streams: self.held_streams.as_ptr(),
                    count: self.held_streams.len(),
                };
            }
            Event::StreamsAdded {
                inbound_streams,
                outbound_streams,
                result,
            } => {
                out.kind = ANYSCTP_EVENT_STREAMS_ADDED;
                out.u.streams_added = anysctp_event_streams_added {
                    inbound_streams,
                    outbound_streams,
                    result: reconfig_result(result),
                };
            }
            Event::AssociationReset {
                local_tsn,
                remote_tsn,
                result,
            } => {
                out.kind = ANYSCTP_EVENT_ASSOCIATION_RESET;
                out.u.association_reset = anysctp_event_association_reset {
                    local_tsn: local_tsn.0,
                    remote_tsn: remote_tsn.0,
                    result: reconfig_result(result),
                };
            }
            Event::Authentication { key_id, indication } => {
                use anysctp_auth_indication::*;
                out.kind = ANYSCTP_EVENT_AUTHENTICATION;
                out.u.authentication = anysctp_event_authentication {
                    key_id,
                    indication: match indication {
                        AuthIndication::NewKey => ANYSCTP_AUTH_NEW_KEY,
                        AuthIndication::FreeKey => ANYSCTP_AUTH_FREE_KEY,
                        AuthIndication::NoAuth => ANYSCTP_AUTH_NO_AUTH,
                        _ => ANYSCTP_AUTH_OTHER,
                    },
                };
            }
            Event::AddressRequestResult { request, outcome } => {
                use anysctp_address_outcome::*;
                use anysctp_address_request::*;
                let (request, ip) = match request {
                    AddressRequest::AddLocal(ip) => (ANYSCTP_REQUEST_ADD_LOCAL, Some(ip)),
                    AddressRequest::RemoveLocal(ip) => (ANYSCTP_REQUEST_REMOVE_LOCAL, Some(ip)),
                    AddressRequest::SetPeerPrimary(ip) => {
                        (ANYSCTP_REQUEST_SET_PEER_PRIMARY, Some(ip))
                    }
                    _ => (ANYSCTP_REQUEST_OTHER, None),
                };
                let (outcome, cause_code, text) = match outcome {
                    AddressRequestOutcome::Accepted => (ANYSCTP_OUTCOME_ACCEPTED, 0, String::new()),
                    AddressRequestOutcome::Refused { cause_code, reason } => {
                        (ANYSCTP_OUTCOME_REFUSED, cause_code, reason)
                    }
                    AddressRequestOutcome::Unsupported => {
                        (ANYSCTP_OUTCOME_UNSUPPORTED, 0, String::new())
                    }
                    _ => (ANYSCTP_OUTCOME_OTHER, 0, String::new()),
                };
                let (text, len) = self.hold_text(&text);
                out.kind = ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT;
                out.u.address_request_result = anysctp_event_address_request_result {
                    request,
                    address: ip
                        .map(|ip| SocketAddr::new(ip, 0).into())
                        .unwrap_or_default(),
                    outcome,
                    cause_code,
                    text,
                    len,
                };
            }
            _ => out.kind = ANYSCTP_EVENT_OTHER,
        }
        out
    }
}

fn reconfig_result(r: ReconfigResult) -> anysctp_reconfig_result {
    use anysctp_reconfig_result::*;
    match r {
        ReconfigResult::Success => ANYSCTP_RECONFIG_SUCCESS,
        ReconfigResult::Denied => ANYSCTP_RECONFIG_DENIED,
        ReconfigResult::Failed => ANYSCTP_RECONFIG_FAILED,
    }
}

/// Creates an endpoint. `config` (copied; NULL = defaults) and the 32-byte
/// `seed` that feeds every random choice (verification tags, initial TSNs,
/// the cookie secret: give 32 bytes from a CSPRNG, e.g. `getrandom()`; a
/// fixed seed makes runs reproducible). On success `*out` owns a new
/// endpoint: free it with `anysctp_endpoint_free`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_new(
    config: *const anysctp_endpoint_config,
    seed: *const u8,
    out: *mut *mut anysctp_endpoint,
) -> anysctp_result {
    guard(|| {
        let out = out_ptr(out, "out")?;
        let seed: [u8; 32] = bytes_arg(seed, 32, "seed")?
            .try_into()
            .map_err(|_| Failure::invalid("seed must be 32 bytes"))?;
        let cfg = if config.is_null() {
            sctp::EndpointConfig::default()
        } else {
            read(config, "config")?.to_core()?
        };
        let mtu = cfg.association.mtu;
        let ep = Endpoint::new(cfg, seed)?;
        let handle = Box::new(anysctp_endpoint {
            ep,
            poisoned: false,
            pending: None,
            held_data: Bytes::new(),
            held_text: Vec::new(),
            held_streams: Vec::new(),
            rx: BytesMut::new(),
            min_transmit_buf: mtu,
        });
        put(out, Box::into_raw(handle));
        Ok(ANYSCTP_OK)
    })
}

/// Frees an endpoint and everything it holds (associations end without a
/// word to their peers: shut them down first for a clean close). NULL is
/// allowed and ignored. Using the pointer afterwards is undefined behaviour.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_free(ep: *mut anysctp_endpoint) {
    if ep.is_null() {
        return;
    }
    // SAFETY: non-NULL and, as the caller promised, from anysctp_endpoint_new
    // and not freed before: ownership returns to a Box, dropped here.
    let handle = unsafe { Box::from_raw(ep) };
    // A panic while dropping must not unwind into C; the memory is then leaked.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(handle)));
}

/// Feeds one datagram that arrived from transport address `from` (with SCTP
/// over UDP: the UDP payload and the sender's IP and port). The bytes are
/// copied; the buffer is yours again when the call returns. Malformed
/// datagrams are dropped or answered as RFC 9260 says, never an error.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_handle_datagram(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    from: *const anysctp_sockaddr,
    data: *const u8,
    len: usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let from = read_addr(from, "from")?;
        let data = bytes_arg(data, len, "data")?;
        if len > 65_535 {
            return Err(Failure::invalid(format!(
                "a datagram of {len} bytes is larger than any UDP payload (65535)"
            )));
        }
        if h.rx.capacity() < len {
            h.rx.reserve(RX_CHUNK.max(len));
        }
        h.rx.extend_from_slice(data);
        let datagram = h.rx.split().freeze();
        h.ep.handle_datagram(now(now_us), from, datagram);
        Ok(ANYSCTP_OK)
    })
}

/// A datagram written by `anysctp_endpoint_poll_transmit`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct anysctp_transmit {
    /// Where to send it.
    pub destination: anysctp_sockaddr,
    /// Whether `source` is set: the local address to send from
    /// (multihoming); otherwise let the system choose.
    pub has_source: bool,
    /// The local address to send from, when `has_source`.
    pub source: anysctp_sockaddr,
    /// Bytes of the buffer that hold the datagram.
    pub len: usize,
}

/// Writes the next datagram to send into `buf` (`cap` bytes: at least the
/// largest MTU configured; 65536 always suffices) and describes it in
/// `*out`. Returns `ANYSCTP_OK` (send `buf[0..out->len]` to
/// `out->destination`), or `ANYSCTP_NONE` when nothing is to be sent now.
/// Call it until it returns `ANYSCTP_NONE` after every other call.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_poll_transmit(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    buf: *mut u8,
    cap: usize,
    out: *mut anysctp_transmit,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        if buf.is_null() {
            return Err(Failure::null("buf"));
        }
        if cap < h.min_transmit_buf {
            return Err(Failure {
                code: ANYSCTP_ERR_BUFFER_TOO_SMALL,
                message: format!(
                    "poll_transmit buffer of {cap} bytes is below the MTU of {} bytes",
                    h.min_transmit_buf
                ),
            });
        }
        let cap = cap.min(isize::MAX as usize);
        // SAFETY: non-NULL, bounded, and the caller promised `cap` writable
        // bytes not used elsewhere during the call.
        let slice = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
        match h.ep.poll_transmit(now(now_us), slice) {
            Some(t) => {
                put(
                    out,
                    anysctp_transmit {
                        destination: t.destination.into(),
                        has_source: t.source.is_some(),
                        source: t.source.map(Into::into).unwrap_or_default(),
                        len: t.len,
                    },
                );
                Ok(ANYSCTP_OK)
            }
            None => Ok(ANYSCTP_NONE),
        }
    })
}

/// The next deadline, in the same microsecond clock as `now_us`, at which
/// `anysctp_endpoint_handle_timeout` must be called: `ANYSCTP_OK` with
/// `*deadline_us` set, or `ANYSCTP_NONE` when no timer runs.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_poll_timeout(
    ep: *mut anysctp_endpoint,
    deadline_us: *mut u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(deadline_us, "deadline_us")?;
        match h.ep.poll_timeout() {
            Some(t) => {
                put(out, t.as_micros());
                Ok(ANYSCTP_OK)
            }
            None => Ok(ANYSCTP_NONE),
        }
    })
}

/// Runs the timers due at `now_us`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_handle_timeout(
    ep: *mut anysctp_endpoint,
    now_us: u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.handle_timeout(now(now_us));
        Ok(ANYSCTP_OK)
    })
}

/// Takes the next event: `ANYSCTP_OK` with `*out` filled, or
/// `ANYSCTP_NONE`. Pointers inside the event (message bytes, texts) are
/// BORROWED from the endpoint and valid only until the next call on that
/// endpoint (any `anysctp_endpoint_*` function) or its free: copy what you
/// keep, or use `anysctp_endpoint_poll_event_copy`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_poll_event(
    ep: *mut anysctp_endpoint,
    out: *mut anysctp_event,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        let Some((id, ev)) = h.pending.take().or_else(|| h.ep.poll_event()) else {
            return Ok(ANYSCTP_NONE);
        };
        let e = h.convert(id, ev, None);
        put(out, e);
        Ok(ANYSCTP_OK)
    })
}

/// Like `anysctp_endpoint_poll_event`, but message bytes (of
/// `ANYSCTP_EVENT_MESSAGE` and `ANYSCTP_EVENT_SEND_FAILED`) are copied into
/// `buf` (`cap` bytes) and the event's `data` points there. When the message
/// does not fit, returns `ANYSCTP_ERR_BUFFER_TOO_SMALL`, sets `*needed` (may
/// be NULL) to its length and keeps the event: call again with a larger
/// buffer. Texts are still borrowed until the next call on the endpoint.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_poll_event_copy(
    ep: *mut anysctp_endpoint,
    out: *mut anysctp_event,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        if buf.is_null() && cap > 0 {
            return Err(Failure::invalid("buf is NULL but cap is not 0"));
        }
        let Some((id, ev)) = h.pending.take().or_else(|| h.ep.poll_event()) else {
            return Ok(ANYSCTP_NONE);
        };
        let len = match &ev {
            Event::Message { data, .. } | Event::SendFailed { data, .. } => data.len(),
            _ => 0,
        };
        if !needed.is_null() {
            put(needed, len);
        }
        if len > cap || (len > 0 && buf.is_null()) {
            h.pending = Some((id, ev));
            return Err(Failure {
                code: ANYSCTP_ERR_BUFFER_TOO_SMALL,
                message: format!("the message has {len} bytes, the buffer {cap}"),
            });
        }
        let e = h.convert(id, ev, Some((buf, cap)));
        put(out, e);
        Ok(ANYSCTP_OK)
    })
}

fn connect_common(
    h: &mut anysctp_endpoint,
    now_us: u64,
    remotes: &[SocketAddr],
    remote_port: u16,
    config: *const anysctp_association_config,
    out: *mut u64,
) -> Result<anysctp_result, Failure> {
    let out = out_ptr(out, "out")?;
    let cfg = h.association_config(config)?;
    let id = h.ep.connectx(now(now_us), remotes, remote_port, cfg)?;
    put(out, id.0);
    Ok(ANYSCTP_OK)
}

/// Starts an association with the peer at transport address `remote` whose
/// SCTP port is `remote_port`. `config` NULL = the endpoint's association
/// settings. `*out` gets the association id; `ANYSCTP_EVENT_CONNECTED` (or
/// `ANYSCTP_EVENT_CLOSED`) follows.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_connect(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    remote: *const anysctp_sockaddr,
    remote_port: u16,
    config: *const anysctp_association_config,
    out: *mut u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        let remote = read_addr(remote, "remote")?;
        connect_common(h, now_us, &[remote], remote_port, config, out)
    })
}

/// Like `anysctp_endpoint_connect` with `count` (>= 1, at most 64) peer
/// addresses of a multihomed peer (sctp_connectx).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_connectx(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    remotes: *const anysctp_sockaddr,
    count: usize,
    remote_port: u16,
    config: *const anysctp_association_config,
    out: *mut u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        if remotes.is_null() {
            return Err(Failure::null("remotes"));
        }
        if count == 0 || count > 64 {
            return Err(Failure::invalid(format!("count {count} must be 1..=64")));
        }
        let mut addrs = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: the caller promised `count` elements at `remotes`; i < count.
            addrs.push(read_addr(unsafe { remotes.add(i) }, "remotes[i]")?);
        }
        connect_common(h, now_us, &addrs, remote_port, config, out)
    })
}

/// Options of one message for `anysctp_endpoint_send_with_options`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct anysctp_send_options {
    /// Payload protocol identifier (host byte order).
    pub ppid: u32,
    /// Deliver as soon as it arrives, not in stream order.
    pub unordered: bool,
    /// Partial reliability (RFC 3758): give up after `lifetime_ms`
    /// (timed reliability) when non-zero.
    pub lifetime_ms: u32,
    /// Whether `max_retransmits` applies.
    pub has_max_retransmits: bool,
    /// Partial reliability: give up after this many retransmissions.
    pub max_retransmits: u16,
}

fn send_common(
    h: &mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    stream: u16,
    data: *const u8,
    len: usize,
    o: anysctp_send_options,
) -> Result<anysctp_result, Failure> {
    let data = bytes_arg(data, len, "data")?;
    let opts = sctp::SendOptions {
        ppid: sctp::Ppid(o.ppid),
        unordered: o.unordered,
        lifetime: (o.lifetime_ms != 0)
            .then(|| core::time::Duration::from_millis(u64::from(o.lifetime_ms))),
        max_retransmits: o.has_max_retransmits.then_some(o.max_retransmits),
    };
    // One copy of the message out of C memory; from here on the core slices
    // it without further copies.
    h.ep.send(
        now(now_us),
        AssociationId(association),
        sctp::StreamId(stream),
        Bytes::copy_from_slice(data),
        opts,
    )?;
    Ok(ANYSCTP_OK)
}

/// Queues a message of `len` bytes (copied) on `stream` of `association`.
/// Fails with `ANYSCTP_ERR_WOULD_BLOCK` when the send buffer is full (wait
/// for `ANYSCTP_EVENT_BUFFERED_AMOUNT_LOW`), `ANYSCTP_ERR_MESSAGE_TOO_LARGE`,
/// `ANYSCTP_ERR_EMPTY_MESSAGE`, `ANYSCTP_ERR_INVALID_STREAM`,
/// `ANYSCTP_ERR_NO_SUCH_ASSOCIATION`; nothing is queued then.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_send(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    stream: u16,
    ppid: u32,
    unordered: bool,
    data: *const u8,
    len: usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let o = anysctp_send_options {
            ppid,
            unordered,
            ..Default::default()
        };
        send_common(h, now_us, association, stream, data, len, o)
    })
}

/// Like `anysctp_endpoint_send` with every option (`options` NULL =
/// defaults: PPID 0, ordered, fully reliable).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_send_with_options(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    stream: u16,
    data: *const u8,
    len: usize,
    options: *const anysctp_send_options,
) -> anysctp_result {
    with_ep(ep, |h| {
        let o = if options.is_null() {
            anysctp_send_options::default()
        } else {
            read(options, "options")?
        };
        send_common(h, now_us, association, stream, data, len, o)
    })
}

/// Starts a graceful shutdown (RFC 9260 §9.2): queued data is delivered,
/// then `ANYSCTP_EVENT_CLOSED` with `ANYSCTP_CLOSE_SHUTDOWN`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_shutdown(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.shutdown(now(now_us), AssociationId(association))?;
        Ok(ANYSCTP_OK)
    })
}

/// Aborts the association (RFC 9260 §9.1); `reason` (NUL-terminated, may be
/// NULL) is sent to the peer in a User-Initiated Abort cause.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_abort(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    reason: *const c_char,
) -> anysctp_result {
    with_ep(ep, |h| {
        let reason = if reason.is_null() {
            std::borrow::Cow::Borrowed("")
        } else {
            // SAFETY: non-NULL; the caller promised a NUL-terminated string.
            unsafe { CStr::from_ptr(reason) }.to_string_lossy()
        };
        h.ep.abort(now(now_us), AssociationId(association), &reason)?;
        Ok(ANYSCTP_OK)
    })
}

/// Fills `*out` with the association's figures.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_stats(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut anysctp_stats,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        let s =
            h.ep.stats(AssociationId(association))
                .ok_or(sctp::Error::NoSuchAssociation)?;
        put(out, anysctp_stats::from(&s));
        Ok(ANYSCTP_OK)
    })
}

/// Fills `*out` with the figures of path `index` (0 = primary; below
/// `anysctp_stats.path_count`).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_path_stats(
    ep: *mut anysctp_endpoint,
    association: u64,
    index: usize,
    out: *mut anysctp_path_stats,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        let s =
            h.ep.stats(AssociationId(association))
                .ok_or(sctp::Error::NoSuchAssociation)?;
        let p = s.paths.get(index).ok_or_else(|| {
            Failure::invalid(format!("path index {index} is not below {}", s.paths.len()))
        })?;
        put(out, anysctp_path_stats::from(p));
        Ok(ANYSCTP_OK)
    })
}

/// The association's state into `*out`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_state(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut anysctp_association_state,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        let s =
            h.ep.state(AssociationId(association))
                .ok_or(sctp::Error::NoSuchAssociation)?;
        put(out, s.into());
        Ok(ANYSCTP_OK)
    })
}

/// The ids of the associations the endpoint holds: `*count` gets how many
/// there are; up to `cap` are written to `ids` (NULL when `cap` is 0).
/// Returns `ANYSCTP_ERR_BUFFER_TOO_SMALL` when `cap < *count`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_associations(
    ep: *mut anysctp_endpoint,
    ids: *mut u64,
    cap: usize,
    count: *mut usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let count = out_ptr(count, "count")?;
        if ids.is_null() && cap > 0 {
            return Err(Failure::invalid("ids is NULL but cap is not 0"));
        }
        let all = h.ep.associations();
        put(count, all.len());
        for (i, id) in all.iter().take(cap).enumerate() {
            // SAFETY: i < cap and the caller promised `cap` writable u64s.
            unsafe { ids.add(i).write_unaligned(id.0) };
        }
        if all.len() > cap {
            return Err(Failure {
                code: ANYSCTP_ERR_BUFFER_TOO_SMALL,
                message: format!("{} associations, room for {cap}", all.len()),
            });
        }
        Ok(ANYSCTP_OK)
    })
}

/// Bytes queued for sending and not yet sent, into `*out`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_buffered_amount(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let out = out_ptr(out, "out")?;
        let n =
            h.ep.buffered_amount(AssociationId(association))
                .ok_or(sctp::Error::NoSuchAssociation)?;
        put(out, n);
        Ok(ANYSCTP_OK)
    })
}

/// Sets the level at or below which `ANYSCTP_EVENT_BUFFERED_AMOUNT_LOW`
/// fires (once per crossing).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_buffered_amount_low_threshold(
    ep: *mut anysctp_endpoint,
    association: u64,
    bytes: usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.set_buffered_amount_low_threshold(AssociationId(association), bytes)?;
        Ok(ANYSCTP_OK)
    })
}

/// The peer's transport addresses: `*count` gets how many; up to `cap` are
/// written to `out`. `ANYSCTP_ERR_BUFFER_TOO_SMALL` when `cap < *count`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_peer_addresses(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut anysctp_sockaddr,
    cap: usize,
    count: *mut usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let count = list_args(out, cap, count)?;
        let all: Vec<anysctp_sockaddr> =
            h.ep.peer_addresses(AssociationId(association))
                .ok_or(sctp::Error::NoSuchAssociation)?
                .into_iter()
                .map(Into::into)
                .collect();
        put_list(&all, out, cap, count, "peer addresses")
    })
}

/// Makes `addr` (one of the peer's addresses) the primary path.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_primary(
    ep: *mut anysctp_endpoint,
    association: u64,
    addr: *const anysctp_sockaddr,
) -> anysctp_result {
    with_ep(ep, |h| {
        let addr = read_addr(addr, "addr")?;
        h.ep.set_primary(AssociationId(association), addr)?;
        Ok(ANYSCTP_OK)
    })
}

/// Resets our outgoing streams `streams[0..count]` of `association` (RFC
/// 6525 §5.1.2; count at least 1). Messages sent on them afterwards wait
/// for the answer, `ANYSCTP_EVENT_STREAMS_RESET` (outgoing); with success
/// their numbering restarts at 0. Errors: `ANYSCTP_ERR_RECONFIG_UNAVAILABLE`
/// (not negotiated), `_RECONFIG_IN_PROGRESS` (one request at a time),
/// `_INVALID_RECONFIG`, `_INVALID_STREAM`, `_INVALID_STATE`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_reset_streams(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    streams: *const u16,
    count: usize,
) -> anysctp_result {
    anysctp_endpoint_reset_streams_with(
        ep,
        now_us,
        association,
        streams,
        count,
        ANYSCTP_RESET_OUTGOING,
    )
}

/// `direction` of `anysctp_endpoint_reset_streams_with`: our streams (RFC
/// 6525 §5.1.2), as `anysctp_endpoint_reset_streams`.
pub const ANYSCTP_RESET_OUTGOING: u32 = 1;
/// `direction` of `anysctp_endpoint_reset_streams_with`: the peer's
/// streams; we ask it to reset the streams it sends on (§5.1.3).
pub const ANYSCTP_RESET_INCOMING: u32 = 2;
/// `direction` of `anysctp_endpoint_reset_streams_with`: both, in one
/// request; each stream must exist in both directions.
pub const ANYSCTP_RESET_BOTH: u32 = 3;

/// Resets streams `streams[0..count]` of `association` in `direction`
/// (RFC 6525 §5.1.2, §5.1.3; RFC 6458 SCTP_RESET_STREAMS `srs_flags`):
/// `ANYSCTP_RESET_OUTGOING` as `anysctp_endpoint_reset_streams`;
/// `ANYSCTP_RESET_INCOMING` asks the peer to reset the streams it sends on
/// (count 0: all of them), answered by `ANYSCTP_EVENT_STREAMS_RESET`
/// (incoming) after every message it sent before, or with a refusal;
/// `ANYSCTP_RESET_BOTH` both in one request. Errors as for
/// `anysctp_endpoint_reset_streams`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_reset_streams_with(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    streams: *const u16,
    count: usize,
    direction: u32,
) -> anysctp_result {
    with_ep(ep, |h| {
        let ids: Vec<StreamId> = if count == 0 {
            Vec::new()
        } else if streams.is_null() {
            return Err(Failure::invalid("streams is NULL but count is not 0"));
        } else if count > usize::from(u16::MAX) + 1 {
            return Err(Failure::invalid(format!(
                "count {count} is more than the 65536 possible streams"
            )));
        } else {
            // SAFETY: non-NULL, count bounded, and the caller promised
            // `count` readable stream ids.
            unsafe { std::slice::from_raw_parts(streams, count) }
                .iter()
                .map(|&s| StreamId(s))
                .collect()
        };
        let direction = match direction {
            ANYSCTP_RESET_OUTGOING => sctp::ResetDirection::Outgoing,
            ANYSCTP_RESET_INCOMING => sctp::ResetDirection::Incoming,
            ANYSCTP_RESET_BOTH => sctp::ResetDirection::Both,
            other => {
                return Err(Failure::invalid(format!(
                    "direction {other}: use ANYSCTP_RESET_OUTGOING, _INCOMING or _BOTH"
                )))
            }
        };
        h.ep.reset_streams_with(now(now_us), AssociationId(association), &ids, direction)?;
        Ok(ANYSCTP_OK)
    })
}

/// Resets both directions' TSNs and every stream's sequence numbers of
/// `association` (RFC 6525 §5.1.4 SSN/TSN Reset; RFC 6458
/// SCTP_RESET_ASSOC). Nothing sent is lost: messages not yet sent wait
/// until everything sent before was acknowledged and the peer answered,
/// `ANYSCTP_EVENT_ASSOCIATION_RESET`. The peer accepts only if its policy
/// allows it (`anysctp_endpoint_set_reconfig_policy_with`). Errors as for
/// `anysctp_endpoint_reset_streams`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_reset_association(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.reset_association(now(now_us), AssociationId(association))?;
        Ok(ANYSCTP_OK)
    })
}

/// Asks the peer for `count` more outbound streams on `association` (RFC
/// 6525 §5.1.5); `ANYSCTP_EVENT_STREAMS_ADDED` brings the answer. Errors
/// as for `anysctp_endpoint_reset_streams`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_add_streams(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    count: u16,
) -> anysctp_result {
    anysctp_endpoint_add_streams_with(ep, now_us, association, 0, count)
}

/// Adds `outgoing` outbound streams (RFC 6525 §5.1.5) and `incoming`
/// inbound ones (§5.1.6: the peer adds them with its own request) to
/// `association`, in one request (RFC 6458 SCTP_ADD_STREAMS `sas_instrms`,
/// `sas_outstrms`); an `ANYSCTP_EVENT_STREAMS_ADDED` per direction brings
/// the answer. Errors as for `anysctp_endpoint_reset_streams`;
/// `ANYSCTP_ERR_INVALID_RECONFIG` when both are 0 or the inbound streams
/// would exceed `max_inbound_streams`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_add_streams_with(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    incoming: u16,
    outgoing: u16,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.add_streams_with(now(now_us), AssociationId(association), incoming, outgoing)?;
        Ok(ANYSCTP_OK)
    })
}

/// Which re-configuration requests of the peer `association` accepts from
/// now on (RFC 6525 §5.2; the others are answered "Denied"): resets of its
/// streams, and added streams (ours at most `max_outbound_streams`).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_reconfig_policy(
    ep: *mut anysctp_endpoint,
    association: u64,
    accept_stream_reset: bool,
    accept_add_streams: bool,
    max_outbound_streams: u16,
) -> anysctp_result {
    anysctp_endpoint_set_reconfig_policy_with(
        ep,
        association,
        accept_stream_reset,
        accept_add_streams,
        max_outbound_streams,
        false,
    )
}

/// As `anysctp_endpoint_set_reconfig_policy`, and whether the peer may
/// reset the association's TSNs (`accept_ssn_tsn_reset`, RFC 6525 §5.2.4;
/// off in `anysctp_endpoint_set_reconfig_policy`, as in usrsctp).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_reconfig_policy_with(
    ep: *mut anysctp_endpoint,
    association: u64,
    accept_stream_reset: bool,
    accept_add_streams: bool,
    max_outbound_streams: u16,
    accept_ssn_tsn_reset: bool,
) -> anysctp_result {
    with_ep(ep, |h| {
        let policy = sctp::ReconfigPolicy {
            accept_stream_reset,
            accept_add_streams,
            max_outbound_streams,
            accept_ssn_tsn_reset,
        };
        h.ep.set_reconfig_policy(AssociationId(association), policy)?;
        Ok(ANYSCTP_OK)
    })
}

/// `association` of the SCTP-AUTH key functions that means the endpoint's
/// own keys, which associations created later start with.
pub const ANYSCTP_ENDPOINT_KEYS: u64 = 0;

fn key_scope(association: u64) -> Option<AssociationId> {
    (association != ANYSCTP_ENDPOINT_KEYS).then_some(AssociationId(association))
}

/// Sets SCTP-AUTH shared key `key_id` to `secret[0..len]` (at most 1024
/// bytes; RFC 4895 §6.1, RFC 6458 SCTP_AUTH_KEY) of `association`, or of
/// the endpoint with `ANYSCTP_ENDPOINT_KEYS`. Key 0 is the empty key until
/// replaced. Errors: `ANYSCTP_ERR_AUTH`, `_NO_SUCH_ASSOCIATION`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_auth_key(
    ep: *mut anysctp_endpoint,
    association: u64,
    key_id: u16,
    secret: *const u8,
    len: usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let secret = bytes_arg(secret, len, "secret")?;
        h.ep.set_auth_key(key_scope(association), key_id, secret)?;
        Ok(ANYSCTP_OK)
    })
}

/// Makes `key_id` (set and not deactivated) the key that authenticates
/// what `association` (or the endpoint: `ANYSCTP_ENDPOINT_KEYS`) sends.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_active_auth_key(
    ep: *mut anysctp_endpoint,
    association: u64,
    key_id: u16,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.set_active_auth_key(key_scope(association), key_id)?;
        Ok(ANYSCTP_OK)
    })
}

/// Writes the active key of `association` (or the endpoint's) to `*key_id`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_active_auth_key(
    ep: *mut anysctp_endpoint,
    association: u64,
    key_id: *mut u16,
) -> anysctp_result {
    with_ep(ep, |h| {
        let key_id = out_ptr(key_id, "key_id")?;
        put(key_id, h.ep.active_auth_key(key_scope(association))?);
        Ok(ANYSCTP_OK)
    })
}

/// Stops sending with `key_id` (RFC 6458 SCTP_AUTH_DEACTIVATE_KEY; not the
/// active key). `ANYSCTP_AUTH_FREE_KEY` says when the peer no longer uses
/// it either, so it may be deleted.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_deactivate_auth_key(
    ep: *mut anysctp_endpoint,
    association: u64,
    key_id: u16,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.deactivate_auth_key(key_scope(association), key_id)?;
        Ok(ANYSCTP_OK)
    })
}

/// Deletes deactivated key `key_id` (RFC 6458 SCTP_AUTH_DELETE_KEY).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_delete_auth_key(
    ep: *mut anysctp_endpoint,
    association: u64,
    key_id: u16,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.delete_auth_key(key_scope(association), key_id)?;
        Ok(ANYSCTP_OK)
    })
}

/// Checks the arguments of a list out-parameter (`out`, `cap`, `count`);
/// returns the checked `count`.
fn list_args<T>(out: *mut T, cap: usize, count: *mut usize) -> Result<*mut usize, Failure> {
    let count = out_ptr(count, "count")?;
    if out.is_null() && cap > 0 {
        return Err(Failure::invalid("out is NULL but cap is not 0"));
    }
    Ok(count)
}

/// Copies a list to a caller buffer checked by `list_args`: `*count` gets
/// how many; `ANYSCTP_ERR_BUFFER_TOO_SMALL` when `cap < *count`.
fn put_list<T: Copy>(
    all: &[T],
    out: *mut T,
    cap: usize,
    count: *mut usize,
    what: &str,
) -> Result<anysctp_result, Failure> {
    put(count, all.len());
    for (i, v) in all.iter().take(cap).enumerate() {
        // SAFETY: i < cap and the caller promised `cap` writable elements.
        unsafe { out.add(i).write_unaligned(*v) };
    }
    if all.len() > cap {
        return Err(Failure {
            code: ANYSCTP_ERR_BUFFER_TOO_SMALL,
            message: format!("{} {what}, room for {cap}", all.len()),
        });
    }
    Ok(ANYSCTP_OK)
}

/// Writes the chunk type list `list` gives for `association`.
fn auth_chunks(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut u8,
    cap: usize,
    count: *mut usize,
    list: fn(&Endpoint, AssociationId) -> Result<Vec<u8>, sctp::Error>,
) -> anysctp_result {
    with_ep(ep, |h| {
        let count = list_args(out, cap, count)?;
        let all = list(&h.ep, AssociationId(association))?;
        put_list(&all, out, cap, count, "chunk types")
    })
}

/// The chunk types the peer of `association` wants authenticated (RFC 6458
/// SCTP_PEER_AUTH_CHUNKS; none without SCTP-AUTH): `*count` gets how many,
/// up to `cap` are written to `out`; `ANYSCTP_ERR_BUFFER_TOO_SMALL` when
/// `cap < *count` (256 always suffices).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_peer_auth_chunks(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut u8,
    cap: usize,
    count: *mut usize,
) -> anysctp_result {
    auth_chunks(ep, association, out, cap, count, Endpoint::peer_auth_chunks)
}

/// The chunk types `association` accepts only authenticated (RFC 6458
/// SCTP_LOCAL_AUTH_CHUNKS); as `anysctp_endpoint_peer_auth_chunks`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_local_auth_chunks(
    ep: *mut anysctp_endpoint,
    association: u64,
    out: *mut u8,
    cap: usize,
    count: *mut usize,
) -> anysctp_result {
    auth_chunks(
        ep,
        association,
        out,
        cap,
        count,
        Endpoint::local_auth_chunks,
    )
}

/// Adds the IP address of `*addr` (its port is ignored) to this endpoint's
/// own addresses (RFC 6458 sctp_bindx ADD): listed in later INIT / INIT
/// ACK, and with auto-ASCONF on (the default) sent to every peer that
/// supports RFC 5061 (`ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT` answers).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_add_local_address(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    addr: *const anysctp_sockaddr,
) -> anysctp_result {
    with_ep(ep, |h| {
        let ip = read_addr(addr, "addr")?.ip();
        h.ep.add_local_address(now(now_us), ip)?;
        Ok(ANYSCTP_OK)
    })
}

/// Removes the IP address of `*addr` (port ignored) from this endpoint's
/// addresses, telling peers as `anysctp_endpoint_add_local_address` does.
/// The last address cannot be removed (`ANYSCTP_ERR_INVALID_ADDRESS`).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_remove_local_address(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    addr: *const anysctp_sockaddr,
) -> anysctp_result {
    with_ep(ep, |h| {
        let ip = read_addr(addr, "addr")?.ip();
        h.ep.remove_local_address(now(now_us), ip)?;
        Ok(ANYSCTP_OK)
    })
}

/// This endpoint's own IP addresses (port 0), as
/// `anysctp_endpoint_peer_addresses` returns a list.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_local_addresses(
    ep: *mut anysctp_endpoint,
    out: *mut anysctp_sockaddr,
    cap: usize,
    count: *mut usize,
) -> anysctp_result {
    with_ep(ep, |h| {
        let count = list_args(out, cap, count)?;
        let all: Vec<anysctp_sockaddr> =
            h.ep.local_addresses()
                .iter()
                .map(|&ip| SocketAddr::new(ip, 0).into())
                .collect();
        put_list(&all, out, cap, count, "local addresses")
    })
}

/// Whether `anysctp_endpoint_add_local_address` / `_remove_local_address`
/// send ASCONFs to peers (RFC 6458 SCTP_AUTO_ASCONF; on by default).
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_auto_asconf(
    ep: *mut anysctp_endpoint,
    on: bool,
) -> anysctp_result {
    with_ep(ep, |h| {
        h.ep.set_auto_asconf(on);
        Ok(ANYSCTP_OK)
    })
}

/// Writes whether auto-ASCONF is on to `*on`.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_auto_asconf(
    ep: *mut anysctp_endpoint,
    on: *mut bool,
) -> anysctp_result {
    with_ep(ep, |h| {
        let on = out_ptr(on, "on")?;
        put(on, h.ep.auto_asconf());
        Ok(ANYSCTP_OK)
    })
}

/// Asks the peer of `association` to send to our IP address of `*addr`
/// (port ignored) by preference (RFC 5061 Set Primary Address);
/// `ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT` answers. Fails with
/// `ANYSCTP_ERR_INVALID_STATE` when the peer does not support ASCONF,
/// `_INVALID_ADDRESS` when the address is not one of the association's.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_set_peer_primary(
    ep: *mut anysctp_endpoint,
    now_us: u64,
    association: u64,
    addr: *const anysctp_sockaddr,
) -> anysctp_result {
    with_ep(ep, |h| {
        let ip = read_addr(addr, "addr")?.ip();
        h.ep.set_peer_primary(now(now_us), AssociationId(association), ip)?;
        Ok(ANYSCTP_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_ep() -> *mut anysctp_endpoint {
        let mut ep = ptr::null_mut();
        assert_eq!(
            anysctp_endpoint_new(ptr::null(), [7u8; 32].as_ptr(), &mut ep),
            ANYSCTP_OK
        );
        assert!(!ep.is_null());
        ep
    }

    #[test]
    fn null_arguments_are_rejected_not_dereferenced() {
        let mut ep = ptr::null_mut();
        assert_eq!(
            anysctp_endpoint_new(ptr::null(), ptr::null(), &mut ep),
            ANYSCTP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            anysctp_endpoint_new(ptr::null(), [0u8; 32].as_ptr(), ptr::null_mut()),
            ANYSCTP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            anysctp_endpoint_handle_timeout(ptr::null_mut(), 0),
            ANYSCTP_ERR_INVALID_ARGUMENT
        );
        let ep = new_ep();
        let mut ev = anysctp_event::empty();
        assert_eq!(
            anysctp_endpoint_poll_event(ep, ptr::null_mut()),
            ANYSCTP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(anysctp_endpoint_poll_event(ep, &mut ev), ANYSCTP_NONE);
        assert_eq!(
            anysctp_endpoint_send(ep, 0, 1, 0, 0, false, ptr::null(), 5),
            ANYSCTP_ERR_INVALID_ARGUMENT
        );
        let mut buf = [0u8; 100];
        let mut t = anysctp_transmit {
            destination: Default::default(),
            has_source: false,
            source: Default::default(),
            len: 0,
        };
        assert_eq!(
            anysctp_endpoint_poll_transmit(ep, 0, buf.as_mut_ptr(), buf.len(), &mut t),
            ANYSCTP_ERR_BUFFER_TOO_SMALL
        );
        anysctp_endpoint_free(ep);
        anysctp_endpoint_free(ptr::null_mut());
    }

    #[test]
    fn a_panic_inside_poisons_the_handle() {
        let ep = new_ep();
        assert_eq!(with_ep(ep, |_| panic!("inner")), ANYSCTP_ERR_PANIC);
        assert_eq!(anysctp_endpoint_handle_timeout(ep, 0), ANYSCTP_ERR_PANIC);
        anysctp_endpoint_free(ep);
    }

    #[test]
    fn copy_variant_keeps_an_event_that_does_not_fit() {
        let ep = new_ep();
        // SAFETY: `ep` is live and used by this thread only.
        let h = unsafe { &mut *ep };
        h.pending = Some((
            AssociationId(3),
            Event::Message {
                stream: sctp::StreamId(2),
                ppid: sctp::Ppid(51),
                unordered: true,
                data: Bytes::from_static(b"hello"),
            },
        ));
        let mut ev = anysctp_event::empty();
        let mut small = [0u8; 4];
        let mut needed = 0;
        assert_eq!(
            anysctp_endpoint_poll_event_copy(ep, &mut ev, small.as_mut_ptr(), 4, &mut needed),
            ANYSCTP_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(needed, 5);
        let mut big = [0u8; 16];
        assert_eq!(
            anysctp_endpoint_poll_event_copy(ep, &mut ev, big.as_mut_ptr(), 16, &mut needed),
            ANYSCTP_OK
        );
        assert_eq!(ev.kind, anysctp_event_type::ANYSCTP_EVENT_MESSAGE);
        assert_eq!(ev.association, 3);
        // SAFETY: kind is MESSAGE, so `message` is the valid member.
        let m = unsafe { ev.u.message };
        assert_eq!((m.stream, m.ppid, m.unordered, m.len), (2, 51, true, 5));
        assert_eq!(m.data, big.as_ptr());
        assert_eq!(&big[..5], b"hello");
        anysctp_endpoint_free(ep);
    }

    #[test]
    fn closed_event_text_is_nul_terminated_and_borrowed() {
        let ep = new_ep();
        // SAFETY: `ep` is live and used by this thread only.
        let h = unsafe { &mut *ep };
        h.pending = Some((
            AssociationId(1),
            Event::Closed(CloseReason::PeerAborted("bye".into())),
        ));
        let mut ev = anysctp_event::empty();
        assert_eq!(anysctp_endpoint_poll_event(ep, &mut ev), ANYSCTP_OK);
        assert_eq!(ev.kind, anysctp_event_type::ANYSCTP_EVENT_CLOSED);
        // SAFETY: kind is CLOSED; the text is alive until the next call.
        let c = unsafe { ev.u.closed };
        assert_eq!(c.reason, anysctp_close_reason::ANYSCTP_CLOSE_PEER_ABORTED);
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(c.text) }.to_bytes(), b"bye");
        assert_eq!(c.len, 3);
        anysctp_endpoint_free(ep);
    }
}
