//! Shared by the napi (bindings-node) and wasm-bindgen (bindings-wasm) shells:
//! turns JavaScript-friendly values (milliseconds as f64, addresses as
//! strings, options as a flat list of numbers) into core types and back. No
//! protocol logic lives here. Included with `#[path]` by both crates.

use std::net::SocketAddr;

use anysctp::{
    AddressRequest, AddressRequestOutcome, AssociationConfig, AssociationId, AssociationStats,
    AuthConfig, AuthIndication, CloseReason, Endpoint, EndpointConfig, Error, Event, HmacAlgorithm,
    Instant, PeerAddressState, Ppid, ReconfigPolicy, ReconfigResult, ResetDirection, SendFailure,
    SendOptions, StreamDirection, StreamId,
};
use bytes::Bytes;
use core::time::Duration;

/// Errors are thrown as `"[CODE] message"`; the JavaScript layer turns the
/// code into a TypeError, RangeError or an Error with `.code`.
pub fn error_text(e: &Error) -> String {
    let code = match e {
        Error::InvalidConfig(_) => "ERR_SCTP_INVALID_CONFIG",
        Error::NoSuchAssociation => "ERR_SCTP_NO_SUCH_ASSOCIATION",
        Error::InvalidState { .. } => "ERR_SCTP_INVALID_STATE",
        Error::InvalidStream { .. } => "ERR_SCTP_INVALID_STREAM",
        Error::MessageTooLarge { .. } => "ERR_SCTP_MESSAGE_TOO_LARGE",
        Error::EmptyMessage => "ERR_SCTP_EMPTY_MESSAGE",
        Error::WouldBlock { .. } => "ERR_SCTP_WOULD_BLOCK",
        Error::TooManyAssociations => "ERR_SCTP_TOO_MANY_ASSOCIATIONS",
        Error::InvalidAddress(_) => "ERR_SCTP_INVALID_ADDRESS",
        Error::ReconfigUnavailable(_) => "ERR_SCTP_RECONFIG_UNAVAILABLE",
        Error::ReconfigInProgress => "ERR_SCTP_RECONFIG_IN_PROGRESS",
        Error::InvalidReconfig(_) => "ERR_SCTP_INVALID_RECONFIG",
        Error::Auth(_) => "ERR_SCTP_AUTH",
        _ => "ERR_SCTP",
    };
    format!("[{code}] {e}")
}

fn arg_error(code: &str, msg: impl core::fmt::Display) -> String {
    format!("[{code}] {msg}")
}

/// Milliseconds (as from `performance.now()`) to the core's clock.
pub fn instant(ms: f64) -> Result<Instant, String> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(arg_error(
            "ERR_OUT_OF_RANGE",
            "time must be a finite, non-negative number of milliseconds",
        ));
    }
    Ok(Instant::from_micros((ms * 1000.0) as u64))
}

/// The core's clock to milliseconds.
pub fn millis(t: Instant) -> f64 {
    t.as_micros() as f64 / 1000.0
}

/// `"1.2.3.4:9899"` or `"[::1]:9899"`.
pub fn address(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        arg_error(
            "ERR_INVALID_ARG_VALUE",
            format_args!("address {s:?} is not \"ip:port\" (IPv6 as \"[ip]:port\")"),
        )
    })
}

/// An IP address without port, e.g. `"10.0.0.1"` or `"::1"`.
pub fn ip_address(s: &str) -> Result<std::net::IpAddr, String> {
    s.parse().map_err(|_| {
        arg_error(
            "ERR_INVALID_ARG_VALUE",
            format_args!("{s:?} is not an IP address (no port)"),
        )
    })
}

fn reconfig_result(r: ReconfigResult) -> &'static str {
    match r {
        ReconfigResult::Success => "success",
        ReconfigResult::Denied => "denied",
        ReconfigResult::Failed => "failed",
    }
}

/// Association ids travel as JavaScript numbers.
pub fn association(id: f64) -> Result<AssociationId, String> {
    if !(id.is_finite() && id >= 0.0 && id.fract() == 0.0 && id <= 9_007_199_254_740_991.0) {
        return Err(arg_error(
            "ERR_INVALID_ARG_VALUE",
            "association id must be a non-negative integer",
        ));
    }
    Ok(AssociationId(id as u64))
}

/// Number of slots the flat options list given by the JavaScript layer
/// always has; SCTP-AUTH identifiers and chunk types may follow them (see
/// [`association_config`]).
pub const OPTION_SLOTS: usize = 22;

/// Association options as a flat list (NaN = default), in this order:
/// outboundStreams, maxInboundStreams, rtoInitialMs, rtoMinMs, rtoMaxMs,
/// maxInitRetransmits, maxAssociationRetransmits, heartbeatIntervalMs (0 =
/// off), sackDelayMs, mtu, maxMessageSize, receiveBuffer, sendBuffer,
/// nodelay (0/1), iData (0/1), partialReliability (0/1),
/// maxPathRetransmits, pfMaxRetrans (-1 = SCTP-PF off), maxInitTimeoutMs,
/// asconf (0/1), reconfig (0/1), then the SCTP-AUTH tail: slot 21 holds the number `h` of
/// HMAC identifiers (NaN = no SCTP-AUTH), the next `h` slots those
/// identifiers (RFC 4895 §3.3: 1 SHA-1, 3 SHA-256), and every later slot
/// one chunk type to require authenticated.
pub fn association_config(v: &[f64]) -> Result<AssociationConfig, String> {
    let mut c = AssociationConfig::default();
    let get = |i: usize| v.get(i).copied().filter(|x| !x.is_nan());
    let int = |i: usize, max: f64, name: &str| -> Result<Option<u64>, String> {
        match get(i) {
            None => Ok(None),
            Some(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= max => {
                Ok(Some(x as u64))
            }
            Some(x) => Err(arg_error(
                "ERR_OUT_OF_RANGE",
                format_args!("{name} must be an integer between 0 and {max}, got {x}"),
            )),
        }
    };
    let ms = |x: u64| Duration::from_millis(x);
    const DAY_MS: f64 = 86_400_000.0;
    if let Some(x) = int(0, 65535.0, "outboundStreams")? {
        c.outbound_streams = x as u16;
    }
    if let Some(x) = int(1, 65535.0, "maxInboundStreams")? {
        c.max_inbound_streams = x as u16;
    }
    if let Some(x) = int(2, DAY_MS, "rtoInitial")? {
        c.rto_initial = ms(x);
    }
    if let Some(x) = int(3, DAY_MS, "rtoMin")? {
        c.rto_min = ms(x);
    }
    if let Some(x) = int(4, DAY_MS, "rtoMax")? {
        c.rto_max = ms(x);
    }
    if let Some(x) = int(5, 1e6, "maxInitRetransmits")? {
        c.max_init_retransmits = x as u32;
    }
    if let Some(x) = int(6, 1e6, "maxAssociationRetransmits")? {
        c.max_association_retransmits = x as u32;
    }
    if let Some(x) = int(7, DAY_MS, "heartbeatInterval")? {
        c.heartbeat_interval = (x > 0).then(|| ms(x));
    }
    if let Some(x) = int(8, 500.0, "sackDelay")? {
        c.sack_delay = ms(x);
    }
    if let Some(x) = int(9, 65507.0, "mtu")? {
        c.mtu = x as usize;
    }
    if let Some(x) = int(10, (1u64 << 32) as f64, "maxMessageSize")? {
        c.max_message_size = x as usize;
    }
    if let Some(x) = int(11, u32::MAX as f64, "receiveBuffer")? {
        c.receive_buffer = x as u32;
    }
    if let Some(x) = int(12, (1u64 << 32) as f64, "sendBuffer")? {
        c.send_buffer = x as usize;
    }
    if let Some(x) = int(13, 1.0, "nodelay")? {
        c.nodelay = x == 1;
    }
    if let Some(x) = int(14, 1.0, "iData")? {
        c.i_data = x == 1;
    }
    if let Some(x) = int(15, 1.0, "partialReliability")? {
        c.partial_reliability = x == 1;
    }
    if let Some(x) = int(16, 1e6, "maxPathRetransmits")? {
        c.max_path_retransmits = x as u32;
    }
    if get(17) == Some(-1.0) {
        c.pf_max_retrans = None;
    } else if let Some(x) = int(17, 1e6, "pfMaxRetrans")? {
        c.pf_max_retrans = Some(x as u32);
    }
    if let Some(x) = int(18, DAY_MS, "maxInitTimeout")? {
        c.max_init_timeout = Some(ms(x));
    }
    if let Some(x) = int(19, 1.0, "asconf")? {
        c.asconf = x == 1;
    }
    if let Some(x) = int(20, 1.0, "reconfig")? {
        c.reconfig = x == 1;
    }
    if let Some(h) = int(21, 2.0, "auth.hmacAlgorithms length")? {
        let tail = v.get(22..).unwrap_or(&[]);
        let (ids, chunks) = tail.split_at((h as usize).min(tail.len()));
        let hmac_algorithms = ids
            .iter()
            .map(|&id| match id {
                1.0 => Ok(HmacAlgorithm::Sha1),
                3.0 => Ok(HmacAlgorithm::Sha256),
                _ => Err(arg_error(
                    "ERR_INVALID_ARG_VALUE",
                    "auth.hmacAlgorithms must list \"sha1\" and optionally \"sha256\"",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let chunks = chunks
            .iter()
            .map(|&t| {
                if t.fract() == 0.0 && (0.0..=255.0).contains(&t) {
                    Ok(t as u8)
                } else {
                    Err(arg_error(
                        "ERR_OUT_OF_RANGE",
                        format_args!(
                            "auth.chunks must hold chunk types between 0 and 255, got {t}"
                        ),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        c.auth = Some(AuthConfig {
            chunks,
            hmac_algorithms,
        });
    }
    c.validate().map_err(|e| error_text(&e))?;
    Ok(c)
}

/// An endpoint plus the scratch buffer its packets are written into.
pub struct Host {
    /// The core endpoint.
    pub endpoint: Endpoint,
    buf: Vec<u8>,
    /// The last batch (kept for its buffers' capacity).
    batch: Batch,
    /// Packets the endpoint produced between the datagrams of one
    /// [`Host::handle_datagrams`] call, not yet polled: bytes back to back,
    /// and (destination, end) per packet from `early_next` on.
    early: Vec<u8>,
    early_items: Vec<(SocketAddr, usize)>,
    early_next: usize,
}

/// A flattened event, easy to hand to either binding generator.
#[derive(Default)]
pub struct FlatEvent {
    /// Association id.
    pub id: f64,
    /// `"open"`, `"message"`, `"sendfailed"`, `"close"`, ...
    pub kind: &'static str,
    /// Stream id (message, sendfailed); key id (authentication); local
    /// TSN (associationreset).
    pub stream: u32,
    /// PPID (message, sendfailed); cause code (addressrequestresult);
    /// remote TSN (associationreset).
    pub ppid: u32,
    /// Unordered flag (message).
    pub unordered: bool,
    /// Payload (message, sendfailed); stream ids as big-endian u16 pairs
    /// (streamsreset); the refusal text (addressrequestresult).
    pub data: Option<Bytes>,
    /// Reason / error text / address; the result of streamsreset,
    /// streamsadded and associationreset; "request ip" of
    /// addressrequestresult.
    pub text: Option<String>,
    /// A short code: close reason kind, address state, failure kind.
    pub code: Option<&'static str>,
    /// Outbound streams (open).
    pub outbound_streams: u32,
    /// Inbound streams (open).
    pub inbound_streams: u32,
}

impl Host {
    /// A new endpoint on SCTP port `port`.
    pub fn new(
        port: u32,
        accept_incoming: bool,
        max_associations: u32,
        options: &[f64],
        seed: &[u8],
    ) -> Result<Self, String> {
        let port = u16::try_from(port)
            .map_err(|_| arg_error("ERR_OUT_OF_RANGE", "port must be between 0 and 65535"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| {
            arg_error(
                "ERR_INVALID_ARG_VALUE",
                "seed must be exactly 32 bytes (e.g. crypto.getRandomValues(new Uint8Array(32)))",
            )
        })?;
        let config = EndpointConfig {
            port,
            accept_incoming,
            max_associations: max_associations as usize,
            association: association_config(options)?,
            ..EndpointConfig::default()
        };
        let endpoint = Endpoint::new(config, seed).map_err(|e| error_text(&e))?;
        Ok(Self {
            endpoint,
            buf: vec![0; 65536],
            batch: Batch::default(),
            early: Vec::new(),
            early_items: Vec::new(),
            early_next: 0,
        })
    }

    /// Starts an association.
    pub fn connect(
        &mut self,
        now: f64,
        remotes: &[String],
        port: u32,
        options: &[f64],
    ) -> Result<f64, String> {
        let now = instant(now)?;
        let port = u16::try_from(port)
            .map_err(|_| arg_error("ERR_OUT_OF_RANGE", "port must be between 0 and 65535"))?;
        let addrs = remotes
            .iter()
            .map(|s| address(s))
            .collect::<Result<Vec<_>, _>>()?;
        if addrs.is_empty() {
            return Err(arg_error(
                "ERR_INVALID_ARG_VALUE",
                "connect needs at least one address",
            ));
        }
        let cfg = association_config(options)?;
        self.endpoint
            .connectx(now, &addrs, port, cfg)
            .map(|id| id.0 as f64)
            .map_err(|e| error_text(&e))
    }

    /// Feeds a received datagram.
    pub fn handle_datagram(&mut self, now: f64, from: &str, data: Bytes) -> Result<(), String> {
        let now = instant(now)?;
        let from = address(from)?;
        self.endpoint.handle_datagram(now, from, data);
        Ok(())
    }

    /// The next packet: destination and bytes (borrowed from the scratch buffer).
    pub fn poll_transmit(&mut self, now: f64) -> Result<Option<(SocketAddr, &[u8])>, String> {
        let now = instant(now)?;
        if let Some((to, start, end)) = self.next_early() {
            return Ok(self.early.get(start..end).map(|b| (to, b)));
        }
        Ok(match self.endpoint.poll_transmit(now, &mut self.buf) {
            Some(t) => self.buf.get(..t.len).map(|b| (t.destination, b)),
            None => None,
        })
    }

    /// Next deadline in milliseconds.
    pub fn poll_timeout(&mut self) -> Option<f64> {
        self.endpoint.poll_timeout().map(millis)
    }

    /// Runs due timers.
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), String> {
        self.endpoint.handle_timeout(instant(now)?);
        Ok(())
    }

    /// The next event, flattened.
    pub fn poll_event(&mut self) -> Option<FlatEvent> {
        let (id, ev) = self.endpoint.poll_event()?;
        let mut f = FlatEvent {
            id: id.0 as f64,
            ..FlatEvent::default()
        };
        match ev {
            Event::Connected {
                outbound_streams,
                inbound_streams,
            } => {
                f.kind = "open";
                f.outbound_streams = outbound_streams.into();
                f.inbound_streams = inbound_streams.into();
            }
            Event::Restarted => f.kind = "restart",
            Event::Message {
                stream,
                ppid,
                unordered,
                data,
            } => {
                f.kind = "message";
                f.stream = stream.0.into();
                f.ppid = ppid.0;
                f.unordered = unordered;
                f.data = Some(data);
            }
            Event::SendFailed {
                stream,
                ppid,
                reason,
                data,
            } => {
                f.kind = "sendfailed";
                f.stream = stream.0.into();
                f.ppid = ppid.0;
                f.code = Some(match reason {
                    SendFailure::Abandoned => "abandoned",
                    SendFailure::AssociationClosed => "closed",
                    _ => "other",
                });
                f.data = Some(data);
            }
            Event::RemoteError(s) => {
                f.kind = "error";
                f.text = Some(s);
            }
            Event::PeerAddressChange { address, state, .. } => {
                f.kind = "peeraddresschange";
                f.text = Some(address.to_string());
                f.code = Some(match state {
                    PeerAddressState::Available => "available",
                    PeerAddressState::Unreachable => "unreachable",
                    PeerAddressState::Confirmed => "confirmed",
                    PeerAddressState::MadePrimary => "primary",
                    PeerAddressState::Added => "added",
                    PeerAddressState::Removed => "removed",
                    PeerAddressState::PotentiallyFailed => "potentially-failed",
                    _ => "other",
                });
            }
            Event::ShutdownReceived => f.kind = "shutdown",
            Event::SenderDry => f.kind = "senderdry",
            Event::BufferedAmountLow => f.kind = "bufferedamountlow",
            Event::Closed(reason) => {
                f.kind = "close";
                let (code, text) = match reason {
                    CloseReason::Shutdown => ("shutdown", String::new()),
                    CloseReason::PeerAborted(s) => ("peer-aborted", s),
                    CloseReason::LocallyAborted(s) => ("locally-aborted", s),
                    CloseReason::Timeout => ("timeout", String::new()),
                    CloseReason::SetupFailed => ("setup-failed", String::new()),
                    _ => ("other", String::new()),
                };
                f.code = Some(code);
                f.text = Some(text);
            }
            Event::StreamsReset {
                direction,
                streams,
                result,
            } => {
                f.kind = "streamsreset";
                f.code = Some(match direction {
                    StreamDirection::Incoming => "incoming",
                    StreamDirection::Outgoing => "outgoing",
                });
                f.text = Some(reconfig_result(result).into());
                f.data = Some(streams.iter().flat_map(|s| s.0.to_be_bytes()).collect());
            }
            Event::StreamsAdded {
                inbound_streams,
                outbound_streams,
                result,
            } => {
                f.kind = "streamsadded";
                f.outbound_streams = outbound_streams.into();
                f.inbound_streams = inbound_streams.into();
                f.text = Some(reconfig_result(result).into());
            }
            Event::AssociationReset {
                local_tsn,
                remote_tsn,
                result,
            } => {
                f.kind = "associationreset";
                f.stream = local_tsn.0;
                f.ppid = remote_tsn.0;
                f.text = Some(reconfig_result(result).into());
            }
            Event::Authentication { key_id, indication } => {
                f.kind = "authentication";
                f.stream = key_id.into();
                f.code = Some(match indication {
                    AuthIndication::NewKey => "new-key",
                    AuthIndication::FreeKey => "free-key",
                    AuthIndication::NoAuth => "no-auth",
                    _ => "other",
                });
            }
            Event::AddressRequestResult { request, outcome } => {
                f.kind = "addressrequestresult";
                f.text = Some(match request {
                    AddressRequest::AddLocal(ip) => format!("add-local {ip}"),
                    AddressRequest::RemoveLocal(ip) => format!("remove-local {ip}"),
                    AddressRequest::SetPeerPrimary(ip) => format!("set-peer-primary {ip}"),
                    _ => "other".into(),
                });
                let (code, cause, reason) = match outcome {
                    AddressRequestOutcome::Accepted => ("accepted", 0, String::new()),
                    AddressRequestOutcome::Refused { cause_code, reason } => {
                        ("refused", cause_code, reason)
                    }
                    AddressRequestOutcome::Unsupported => ("unsupported", 0, String::new()),
                    _ => ("other", 0, String::new()),
                };
                f.code = Some(code);
                f.ppid = cause.into();
                f.data = Some(Bytes::from(reason));
            }
            _ => f.kind = "other",
        }
        Some(f)
    }

    /// Resets `streams` (RFC 6525 §5.1.2, §5.1.3) in `direction`:
    /// "outgoing" (ours), "incoming" (the peer's) or "both".
    pub fn reset_streams(
        &mut self,
        now: f64,
        id: f64,
        streams: &[u32],
        direction: &str,
    ) -> Result<(), String> {
        let now = instant(now)?;
        let streams = streams
            .iter()
            .map(|&s| u16::try_from(s).map(StreamId))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| arg_error("ERR_OUT_OF_RANGE", "stream ids must be between 0 and 65535"))?;
        let direction = match direction {
            "outgoing" => ResetDirection::Outgoing,
            "incoming" => ResetDirection::Incoming,
            "both" => ResetDirection::Both,
            _ => {
                return Err(arg_error(
                    "ERR_INVALID_ARG_VALUE",
                    "direction must be \"outgoing\", \"incoming\" or \"both\"",
                ))
            }
        };
        self.endpoint
            .reset_streams_with(now, association(id)?, &streams, direction)
            .map_err(|e| error_text(&e))
    }

    /// Resets both directions' TSNs and every stream's sequence numbers
    /// (RFC 6525 §5.1.4 SSN/TSN Reset).
    pub fn reset_association(&mut self, now: f64, id: f64) -> Result<(), String> {
        let now = instant(now)?;
        self.endpoint
            .reset_association(now, association(id)?)
            .map_err(|e| error_text(&e))
    }

    /// Asks for `n` more outbound and `incoming` more inbound streams (RFC
    /// 6525 §5.1.5, §5.1.6).
    pub fn add_streams(&mut self, now: f64, id: f64, n: u32, incoming: u32) -> Result<(), String> {
        let now = instant(now)?;
        let n = u16::try_from(n)
            .map_err(|_| arg_error("ERR_OUT_OF_RANGE", "count must be between 0 and 65535"))?;
        let incoming = u16::try_from(incoming).map_err(|_| {
            arg_error(
                "ERR_OUT_OF_RANGE",
                "options.incoming must be between 0 and 65535",
            )
        })?;
        self.endpoint
            .add_streams_with(now, association(id)?, incoming, n)
            .map_err(|e| error_text(&e))
    }

    /// Which re-configuration requests of the peer are accepted.
    pub fn set_reconfig_policy(
        &mut self,
        id: f64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u32,
        accept_ssn_tsn_reset: bool,
    ) -> Result<(), String> {
        let policy = ReconfigPolicy {
            accept_stream_reset,
            accept_add_streams,
            accept_ssn_tsn_reset,
            max_outbound_streams: u16::try_from(max_outbound_streams).map_err(|_| {
                arg_error(
                    "ERR_OUT_OF_RANGE",
                    "maxOutboundStreams must be between 0 and 65535",
                )
            })?,
        };
        self.endpoint
            .set_reconfig_policy(association(id)?, policy)
            .map_err(|e| error_text(&e))
    }

    /// An SCTP-AUTH key command: `op` is "set" (with `secret`), "activate",
    /// "deactivate", "delete" or "active" (returns the active key); `id`
    /// NaN means the endpoint's keys.
    pub fn auth_key(
        &mut self,
        op: &str,
        id: f64,
        key_id: u32,
        secret: &[u8],
    ) -> Result<f64, String> {
        let scope = if id.is_nan() {
            None
        } else {
            Some(association(id)?)
        };
        let key = u16::try_from(key_id)
            .map_err(|_| arg_error("ERR_OUT_OF_RANGE", "keyId must be between 0 and 65535"))?;
        let ep = &mut self.endpoint;
        let r = match op {
            "set" => ep.set_auth_key(scope, key, secret),
            "activate" => ep.set_active_auth_key(scope, key),
            "deactivate" => ep.deactivate_auth_key(scope, key),
            "delete" => ep.delete_auth_key(scope, key),
            "active" => {
                return ep
                    .active_auth_key(scope)
                    .map(f64::from)
                    .map_err(|e| error_text(&e))
            }
            _ => {
                return Err(arg_error(
                    "ERR_INVALID_ARG_VALUE",
                    "unknown auth key operation",
                ))
            }
        };
        r.map(|()| key_id.into()).map_err(|e| error_text(&e))
    }

    /// The chunk types the peer (`peer`) or we require authenticated.
    pub fn auth_chunks(&self, id: f64, peer: bool) -> Result<Vec<u32>, String> {
        let id = association(id)?;
        let r = if peer {
            self.endpoint.peer_auth_chunks(id)
        } else {
            self.endpoint.local_auth_chunks(id)
        };
        r.map(|v| v.into_iter().map(u32::from).collect())
            .map_err(|e| error_text(&e))
    }

    /// Adds (`add`) or removes one of this host's IP addresses (RFC 5061).
    pub fn local_address(&mut self, now: f64, add: bool, ip: &str) -> Result<(), String> {
        let now = instant(now)?;
        let ip = ip_address(ip)?;
        let r = if add {
            self.endpoint.add_local_address(now, ip)
        } else {
            self.endpoint.remove_local_address(now, ip)
        };
        r.map_err(|e| error_text(&e))
    }

    /// This endpoint's own IP addresses.
    pub fn local_addresses(&self) -> Vec<String> {
        self.endpoint
            .local_addresses()
            .iter()
            .map(|ip| ip.to_string())
            .collect()
    }

    /// Sets auto-ASCONF when `on` is given; returns the setting.
    pub fn auto_asconf(&mut self, on: Option<bool>) -> bool {
        if let Some(on) = on {
            self.endpoint.set_auto_asconf(on);
        }
        self.endpoint.auto_asconf()
    }

    /// Asks the peer to send to our `ip` by preference (RFC 5061).
    pub fn set_peer_primary(&mut self, now: f64, id: f64, ip: &str) -> Result<(), String> {
        let now = instant(now)?;
        let ip = ip_address(ip)?;
        self.endpoint
            .set_peer_primary(now, association(id)?, ip)
            .map_err(|e| error_text(&e))
    }

    /// Queues a message.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: f64,
        id: f64,
        stream: u32,
        data: Bytes,
        ppid: u32,
        unordered: bool,
        lifetime_ms: Option<f64>,
        max_retransmits: Option<u32>,
    ) -> Result<(), String> {
        let now = instant(now)?;
        let id = association(id)?;
        let stream = u16::try_from(stream).map_err(|_| {
            arg_error(
                "ERR_OUT_OF_RANGE",
                "stream must be an integer between 0 and 65535",
            )
        })?;
        let lifetime = match lifetime_ms {
            None => None,
            Some(x) if x.is_finite() && x >= 0.0 => {
                Some(Duration::from_micros((x * 1000.0) as u64))
            }
            Some(_) => {
                return Err(arg_error(
                    "ERR_OUT_OF_RANGE",
                    "maxPacketLifeTime must be a non-negative number of milliseconds",
                ))
            }
        };
        let max_retransmits = match max_retransmits {
            None => None,
            Some(x) => Some(u16::try_from(x).map_err(|_| {
                arg_error(
                    "ERR_OUT_OF_RANGE",
                    "maxRetransmits must be between 0 and 65535",
                )
            })?),
        };
        let opts = SendOptions {
            ppid: Ppid(ppid),
            unordered,
            lifetime,
            max_retransmits,
        };
        self.endpoint
            .send(now, id, StreamId(stream), data, opts)
            .map_err(|e| error_text(&e))
    }

    /// Graceful shutdown.
    pub fn shutdown(&mut self, now: f64, id: f64) -> Result<(), String> {
        let now = instant(now)?;
        self.endpoint
            .shutdown(now, association(id)?)
            .map_err(|e| error_text(&e))
    }

    /// Abort.
    pub fn abort(&mut self, now: f64, id: f64, reason: &str) -> Result<(), String> {
        let now = instant(now)?;
        self.endpoint
            .abort(now, association(id)?, reason)
            .map_err(|e| error_text(&e))
    }

    /// Bytes queued and not yet sent; `None` for an unknown association.
    pub fn buffered_amount(&self, id: f64) -> Result<Option<f64>, String> {
        Ok(self
            .endpoint
            .buffered_amount(association(id)?)
            .map(|n| n as f64))
    }

    /// Sets the low-water mark.
    pub fn set_buffered_amount_low_threshold(&mut self, id: f64, n: f64) -> Result<(), String> {
        if !(n.is_finite() && n >= 0.0) {
            return Err(arg_error(
                "ERR_OUT_OF_RANGE",
                "bufferedAmountLowThreshold must be a non-negative number",
            ));
        }
        self.endpoint
            .set_buffered_amount_low_threshold(association(id)?, n as usize)
            .map_err(|e| error_text(&e))
    }

    /// The association's RFC state name.
    pub fn state(&self, id: f64) -> Result<Option<&'static str>, String> {
        Ok(self.endpoint.state(association(id)?).map(|s| s.name()))
    }

    /// Statistics.
    pub fn stats(&self, id: f64) -> Result<Option<AssociationStats>, String> {
        Ok(self.endpoint.stats(association(id)?))
    }

    /// Association ids.
    pub fn associations(&self) -> Vec<f64> {
        self.endpoint
            .associations()
            .into_iter()
            .map(|a| a.0 as f64)
            .collect()
    }

    /// Peer transport addresses.
    pub fn peer_addresses(&self, id: f64) -> Result<Option<Vec<String>>, String> {
        Ok(self
            .endpoint
            .peer_addresses(association(id)?)
            .map(|v| v.iter().map(|a| a.to_string()).collect()))
    }

    /// Makes `addr` primary.
    pub fn set_primary(&mut self, id: f64, addr: &str) -> Result<(), String> {
        let addr = address(addr)?;
        self.endpoint
            .set_primary(association(id)?, addr)
            .map_err(|e| error_text(&e))
    }
}

/// Event kinds of a batch by index; `lib/api.js` has the same list.
pub const EVENT_KINDS: [&str; 16] = [
    "open",
    "restart",
    "message",
    "sendfailed",
    "error",
    "peeraddresschange",
    "shutdown",
    "senderdry",
    "bufferedamountlow",
    "close",
    "other",
    "streamsreset",
    "streamsadded",
    "authentication",
    "addressrequestresult",
    "associationreset",
];

/// Numbers per event in [`Batch::meta`] of [`Host::poll_events`]: kind
/// (index in [`EVENT_KINDS`]), association id, stream, ppid, unordered (0/1),
/// end of the payload in [`Batch::data`] (it starts where the previous one
/// ended), then for `open` the outbound and inbound streams, for the others
/// the index in [`Batch::texts`] of the code and of the text (-1: none).
pub const EVENT_STRIDE: usize = 8;

/// Numbers per datagram in [`Batch::meta`] of [`Host::poll_transmits`]: end
/// of the packet in [`Batch::data`], index of its destination in
/// [`Batch::texts`].
pub const TRANSMIT_STRIDE: usize = 2;

/// A batch stops growing once it holds this many bytes or items (the caller
/// asks again while [`Batch::more`]): one crossing of the JavaScript
/// boundary carries many packets or events, and a batch stays bounded. Its
/// buffers are kept by the [`Host`] and reused, so a steady flow allocates
/// nothing here; 256 KiB keeps that memory small while a crossing still
/// carries hundreds of packets.
const BATCH_BYTES: usize = 64 << 10;
/// Output collected between the datagrams of one batch, not yet polled.
const EARLY_BYTES: usize = 4 << 20;
const BATCH_ITEMS: usize = 4096;

/// Many datagrams or events in one crossing: their bytes back to back in
/// `data`, their fields as numbers in `meta`, strings in `texts`. The shells
/// copy it into JavaScript memory; the [`Host`] keeps it for the next call.
#[derive(Default)]
pub struct Batch {
    /// Payloads (events) or packets (transmits), back to back.
    pub data: Vec<u8>,
    /// [`EVENT_STRIDE`] or [`TRANSMIT_STRIDE`] numbers per item.
    pub meta: Vec<f64>,
    /// Destinations (transmits, each once) or codes and texts (events).
    pub texts: Vec<String>,
    /// The batch stopped at its size limit: more may be waiting.
    pub more: bool,
    /// Destinations of a transmit batch, at the index of their text.
    addrs: Vec<SocketAddr>,
}

impl Batch {
    /// Nothing in it and nothing waiting: the shells return no object at all.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty() && !self.more
    }
    fn clear(&mut self) {
        // One large message may have grown the buffer: do not keep that.
        if self.data.capacity() > 4 * BATCH_BYTES {
            self.data = Vec::new();
        }
        self.data.clear();
        self.meta.clear();
        self.texts.clear();
        self.addrs.clear();
        self.more = false;
    }
    fn text(&mut self, t: Option<&str>) -> f64 {
        match t {
            None => -1.0,
            Some(t) => {
                self.texts.push(t.to_string());
                (self.texts.len() - 1) as f64
            }
        }
    }
}

impl Host {
    /// Every datagram ready now (up to the batch limit), back to back. The
    /// batch is borrowed from the host until the next batch call.
    pub fn poll_transmits(&mut self, now: f64) -> Result<&Batch, String> {
        let now = instant(now)?;
        self.batch.clear();
        while self.batch.meta.len() < BATCH_ITEMS * TRANSMIT_STRIDE
            && self.batch.data.len() < BATCH_BYTES
        {
            let destination = if let Some((to, start, end)) = self.next_early() {
                let bytes = self.early.get(start..end).unwrap_or_default();
                self.batch.data.extend_from_slice(bytes);
                to
            } else {
                let Some(t) = self.endpoint.poll_transmit(now, &mut self.buf) else {
                    return Ok(&self.batch);
                };
                self.batch
                    .data
                    .extend_from_slice(self.buf.get(..t.len).unwrap_or_default());
                t.destination
            };
            let b = &mut self.batch;
            // Each destination's text is made once per batch.
            let index = match b.addrs.iter().position(|a| *a == destination) {
                Some(i) => i,
                None => {
                    b.addrs.push(destination);
                    b.texts.push(destination.to_string());
                    b.addrs.len() - 1
                }
            };
            b.meta.push(b.data.len() as f64);
            b.meta.push(index as f64);
        }
        self.batch.more = true;
        Ok(&self.batch)
    }

    /// Feeds many datagrams from one address, in order. Each datagram has
    /// bytes of its own: the core keeps slices of them.
    ///
    /// Between two datagrams the endpoint's output is collected (and handed
    /// out first by the next poll), exactly as a host that polls after every
    /// datagram would see it: a receiver still acknowledges every second
    /// packet (RFC 9260 §6.2) and a sender still answers each SACK with its
    /// own burst (§6.1 D), instead of one SACK and one Max.Burst for the
    /// whole batch, which would hold the flow to a few packets per batch.
    pub fn handle_datagrams(
        &mut self,
        now: f64,
        from: &str,
        datagrams: impl IntoIterator<Item = Bytes>,
    ) -> Result<(), String> {
        let now = instant(now)?;
        let from = address(from)?;
        let mut list = datagrams.into_iter().peekable();
        while let Some(d) = list.next() {
            self.endpoint.handle_datagram(now, from, d);
            if list.peek().is_some() {
                self.collect_early(now);
            }
        }
        Ok(())
    }

    /// Moves the endpoint's pending output into the early queue (bounded:
    /// past [`EARLY_BYTES`] it stays in the endpoint until polled, for a
    /// host that feeds datagrams and never polls).
    fn collect_early(&mut self, now: Instant) {
        if self.early_next == self.early_items.len() {
            // A large burst may have grown the buffer: do not keep that.
            if self.early.capacity() > 4 * BATCH_BYTES {
                self.early = Vec::new();
            }
            self.early.clear();
            self.early_items.clear();
            self.early_next = 0;
        }
        while self.early.len() < EARLY_BYTES {
            let Some(t) = self.endpoint.poll_transmit(now, &mut self.buf) else {
                return;
            };
            self.early
                .extend_from_slice(self.buf.get(..t.len).unwrap_or_default());
            self.early_items.push((t.destination, self.early.len()));
        }
    }

    /// The next early packet: destination and its range in `early`.
    fn next_early(&mut self) -> Option<(SocketAddr, usize, usize)> {
        let (to, end) = *self.early_items.get(self.early_next)?;
        let start = match self.early_next {
            0 => 0,
            i => self.early_items.get(i - 1).map_or(0, |e| e.1),
        };
        self.early_next += 1;
        Some((to, start, end))
    }

    /// Every pending event (up to the batch limit), payloads back to back.
    /// The batch is borrowed from the host until the next batch call.
    pub fn poll_events(&mut self) -> &Batch {
        self.batch.clear();
        while let Some(f) = self.poll_event() {
            let b = &mut self.batch;
            let kind = EVENT_KINDS.iter().position(|k| *k == f.kind).unwrap_or(10);
            if let Some(d) = &f.data {
                b.data.extend_from_slice(d);
            }
            let (x, y) = if f.kind == "open" {
                (f64::from(f.outbound_streams), f64::from(f.inbound_streams))
            } else {
                (b.text(f.code), b.text(f.text.as_deref()))
            };
            // `streamsadded` carries its stream counts where others carry
            // the stream and PPID (its code and text still go as texts).
            let (stream, ppid) = if f.kind == "streamsadded" {
                (f64::from(f.outbound_streams), f64::from(f.inbound_streams))
            } else {
                (f64::from(f.stream), f64::from(f.ppid))
            };
            b.meta.extend_from_slice(&[
                kind as f64,
                f.id,
                stream,
                ppid,
                if f.unordered { 1.0 } else { 0.0 },
                b.data.len() as f64,
                x,
                y,
            ]);
            if b.data.len() >= BATCH_BYTES || b.meta.len() >= BATCH_ITEMS * EVENT_STRIDE {
                b.more = true;
                break;
            }
        }
        &self.batch
    }
}

/// Statistics as JSON text (parsed by the JavaScript layer; stats are read
/// rarely, and one format serves both shells). Unknown numbers are `null`.
pub fn stats_json(s: &AssociationStats) -> String {
    use core::fmt::Write;
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            "null".to_string()
        }
    };
    let mut o = String::with_capacity(512);
    let _ = write!(
        o,
        "{{\"state\":\"{}\",\"outboundStreams\":{},\"inboundStreams\":{},\"peerRwnd\":{},\"bufferedAmount\":{},\"bytesInFlight\":{},\"retransmissions\":{},\"fastRetransmissions\":{},\"timeouts\":{},\"packetsSent\":{},\"packetsReceived\":{},\"messagesSent\":{},\"messagesReceived\":{},\"bytesAcked\":{},\"bytesReceived\":{},\"paths\":[",
        s.state.name(),
        s.outbound_streams,
        s.inbound_streams,
        s.peer_rwnd,
        s.buffered_amount,
        s.bytes_in_flight,
        s.retransmissions,
        s.fast_retransmissions,
        s.timeouts,
        s.packets_sent,
        s.packets_received,
        s.messages_sent,
        s.messages_received,
        s.bytes_acked,
        s.bytes_received,
    );
    for (i, p) in s.paths.iter().enumerate() {
        let state = match p.state {
            anysctp::PathState::Unconfirmed => "unconfirmed",
            anysctp::PathState::Active => "active",
            anysctp::PathState::PotentiallyFailed => "potentially-failed",
            _ => "inactive",
        };
        let _ = write!(
            o,
            "{}{{\"address\":\"{}\",\"state\":\"{}\",\"primary\":{},\"srtt\":{},\"rttvar\":{},\"rto\":{},\"cwnd\":{},\"ssthresh\":{},\"bytesInFlight\":{},\"errorCount\":{},\"mtu\":{}}}",
            if i == 0 { "" } else { "," },
            p.address,
            state,
            p.primary,
            num(p.srtt.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)),
            num(p.rttvar.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)),
            num(p.rto.as_secs_f64() * 1000.0),
            p.cwnd,
            p.ssthresh,
            p.bytes_in_flight,
            p.error_count,
            p.mtu,
        );
    }
    o.push_str("]}");
    o
}

/// Parses one SCTP packet (checksum verified, chunks framed) for tests and
/// tools: JSON with the common header and each chunk's type, flags and
/// length. No protocol state is involved.
pub fn parse_packet_json(data: &[u8]) -> Result<String, String> {
    use anysctp::wire::{ChecksumPolicy, Packet};
    use core::fmt::Write;
    let p = Packet::new_checked(data, ChecksumPolicy::Required)
        .map_err(|e| arg_error("ERR_SCTP_MALFORMED_PACKET", format_args!("{e}")))?;
    let mut o = String::with_capacity(128);
    let _ = write!(
        o,
        "{{\"srcPort\":{},\"dstPort\":{},\"verificationTag\":{},\"checksum\":{},\"chunks\":[",
        p.src_port(),
        p.dst_port(),
        p.verification_tag().0,
        // The checksum field read in network byte order, as the shared vectors
        // and packet dumps show it (the core reads the CRC32c's own order).
        data.get(8..12)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    );
    for (i, c) in p.chunks().enumerate() {
        let c = c.map_err(|e| arg_error("ERR_SCTP_MALFORMED_PACKET", format_args!("{e}")))?;
        let _ = write!(
            o,
            "{}{{\"type\":{},\"flags\":{},\"length\":{}}}",
            if i == 0 { "" } else { "," },
            c.chunk_type,
            c.flags,
            c.value.len() + 4
        );
    }
    o.push_str("]}");
    Ok(o)
}
