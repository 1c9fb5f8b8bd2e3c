//! anysctp for Swift, Kotlin and Python through uniffi, at the level of the
//! sans-IO endpoint: one small object (`SctpEndpoint`), records and enums,
//! so each language sees an idiomatic class. The host moves datagrams and
//! time exactly as with the C API; addresses are `"ip:port"` strings.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anysctp::{
    AddressRequest, AddressRequestOutcome as CoreOutcome, AssociationConfig, AssociationId,
    AuthConfig, AuthIndication as CoreIndication, CloseReason, Endpoint, EndpointConfig, Event,
    HmacAlgorithm, Instant, ReconfigPolicy, ReconfigResult as CoreResult,
    ResetDirection as CoreResetDirection, StreamDirection as CoreDirection, StreamId,
};
use bytes::Bytes;

uniffi::setup_scaffolding!();

/// Why a call failed; `detail` says what to change (not `message`:
/// Kotlin exceptions already have a `message` property, and uniffi 0.29
/// generates uncompilable Kotlin for a field of that name, uniffi-rs #1434).
#[derive(Debug, uniffi::Error)]
pub enum SctpError {
    /// A bad argument (address text, seed length, configuration).
    InvalidArgument {
        /// What is wrong.
        detail: String,
    },
    /// The send buffer is full: wait for `BufferedAmountLow`.
    WouldBlock {
        /// Details.
        detail: String,
    },
    /// The association is gone or never existed.
    NoSuchAssociation {
        /// Details.
        detail: String,
    },
    /// Any other refusal by the core (state, stream, size, ...).
    Refused {
        /// The core's message.
        detail: String,
    },
}

impl std::fmt::Display for SctpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (Self::InvalidArgument { detail }
        | Self::WouldBlock { detail }
        | Self::NoSuchAssociation { detail }
        | Self::Refused { detail }) = self;
        f.write_str(detail)
    }
}

impl From<anysctp::Error> for SctpError {
    fn from(e: anysctp::Error) -> Self {
        let detail = e.to_string();
        match e {
            anysctp::Error::WouldBlock { .. } => Self::WouldBlock { detail },
            anysctp::Error::NoSuchAssociation => Self::NoSuchAssociation { detail },
            anysctp::Error::InvalidConfig(_) | anysctp::Error::InvalidAddress(_) => {
                Self::InvalidArgument { detail }
            }
            _ => Self::Refused { detail },
        }
    }
}

fn addr(text: &str) -> Result<SocketAddr, SctpError> {
    text.parse().map_err(|_| SctpError::InvalidArgument {
        detail: format!("cannot parse {text:?} as ip:port"),
    })
}

fn ip(text: &str) -> Result<IpAddr, SctpError> {
    text.parse().map_err(|_| SctpError::InvalidArgument {
        detail: format!("cannot parse {text:?} as an IP address"),
    })
}

/// `None` (the endpoint's keys) or an association.
fn key_scope(association: Option<u64>) -> Option<AssociationId> {
    association.map(AssociationId)
}

/// Chunk types as numbers (not bytes).
fn chunk_types(r: Result<Vec<u8>, anysctp::Error>) -> Result<Vec<u16>, SctpError> {
    Ok(r?.into_iter().map(u16::from).collect())
}

fn seconds(name: &str, secs: f64) -> Result<Duration, SctpError> {
    Duration::try_from_secs_f64(secs).map_err(|_| SctpError::InvalidArgument {
        detail: format!("{name} must be a finite, non-negative number of seconds, got {secs}"),
    })
}

fn opt_seconds(name: &str, secs: Option<f64>) -> Result<Option<Duration>, SctpError> {
    secs.map(|s| seconds(name, s)).transpose()
}

/// SCTP-AUTH settings (RFC 4895) of [`SctpConfig::auth`].
#[derive(Debug, Clone, uniffi::Record)]
pub struct SctpAuthConfig {
    /// Chunk types accepted only when authenticated (e.g. 0 for DATA;
    /// INIT 1, INIT ACK 2, SHUTDOWN COMPLETE 14 and AUTH 15 may not be
    /// listed). Numbers, not bytes (`List<UShort>` in Kotlin).
    pub chunks: Vec<u16>,
    /// `"sha256"` / `"sha1"`, most preferred first; must include `"sha1"`
    /// (RFC 4895 §6.1).
    pub hmac_algorithms: Vec<String>,
}

/// Settings of the endpoint's associations (the core's
/// `AssociationConfig`; names as in the Python package). Start from
/// [`default_config`]. Durations are seconds.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SctpConfig {
    /// Outbound streams requested.
    pub outbound_streams: u16,
    /// Most inbound streams accepted.
    pub max_inbound_streams: u16,
    /// RTO.Initial.
    pub rto_initial: f64,
    /// RTO.Min.
    pub rto_min: f64,
    /// RTO.Max.
    pub rto_max: f64,
    /// Max.Init.Retransmits.
    pub max_init_retransmits: u32,
    /// Upper limit of the INIT / COOKIE ECHO retransmission timeout
    /// (SCTP_INITMSG `sinit_max_init_timeo`); `None` uses `rto_max`.
    pub max_init_timeout: Option<f64>,
    /// Association.Max.Retrans.
    pub max_association_retransmits: u32,
    /// Path.Max.Retrans.
    pub max_path_retransmits: u32,
    /// SCTP-PF (RFC 7829): a path is left as soon as its error counter
    /// exceeds this (0: on the first timeout); `None` turns SCTP-PF off.
    pub pf_max_retrans: Option<u32>,
    /// HB.interval; `None` turns heartbeats off.
    pub heartbeat_interval: Option<f64>,
    /// Offer stream reconfiguration (RFC 6525).
    pub reconfig: bool,
    /// Offer dynamic address reconfiguration (ASCONF, RFC 5061; used when
    /// both sides also have SCTP-AUTH).
    pub asconf: bool,
    /// SCTP-AUTH (RFC 4895): `None` neither offers nor accepts it.
    pub auth: Option<SctpAuthConfig>,
}

impl SctpConfig {
    fn to_core(&self) -> Result<AssociationConfig, SctpError> {
        let auth = match &self.auth {
            None => None,
            Some(a) => Some(AuthConfig {
                chunks: a
                    .chunks
                    .iter()
                    .map(|&t| {
                        u8::try_from(t).map_err(|_| SctpError::InvalidArgument {
                            detail: format!("auth.chunks: {t} is not a chunk type (0..=255)"),
                        })
                    })
                    .collect::<Result<_, _>>()?,
                hmac_algorithms: a
                    .hmac_algorithms
                    .iter()
                    .map(|n| match n.as_str() {
                        "sha1" => Ok(HmacAlgorithm::Sha1),
                        "sha256" => Ok(HmacAlgorithm::Sha256),
                        other => Err(SctpError::InvalidArgument {
                            detail: format!(
                                "auth.hmac_algorithms: unknown algorithm {other:?} (use \"sha1\" or \"sha256\")"
                            ),
                        }),
                    })
                    .collect::<Result<_, _>>()?,
            }),
        };
        let c = AssociationConfig {
            outbound_streams: self.outbound_streams,
            max_inbound_streams: self.max_inbound_streams,
            rto_initial: seconds("rto_initial", self.rto_initial)?,
            rto_min: seconds("rto_min", self.rto_min)?,
            rto_max: seconds("rto_max", self.rto_max)?,
            max_init_retransmits: self.max_init_retransmits,
            max_init_timeout: opt_seconds("max_init_timeout", self.max_init_timeout)?,
            max_association_retransmits: self.max_association_retransmits,
            max_path_retransmits: self.max_path_retransmits,
            pf_max_retrans: self.pf_max_retrans,
            heartbeat_interval: opt_seconds("heartbeat_interval", self.heartbeat_interval)?,
            reconfig: self.reconfig,
            asconf: self.asconf,
            auth,
            ..AssociationConfig::default()
        };
        c.validate()?;
        Ok(c)
    }
}

/// The core's default association settings (RFC 9260 §16 and the
/// extensions' defaults), to change before `SctpEndpoint.with_config`.
#[uniffi::export]
pub fn default_config() -> SctpConfig {
    let c = AssociationConfig::default();
    SctpConfig {
        outbound_streams: c.outbound_streams,
        max_inbound_streams: c.max_inbound_streams,
        rto_initial: c.rto_initial.as_secs_f64(),
        rto_min: c.rto_min.as_secs_f64(),
        rto_max: c.rto_max.as_secs_f64(),
        max_init_retransmits: c.max_init_retransmits,
        max_init_timeout: c.max_init_timeout.map(|d| d.as_secs_f64()),
        max_association_retransmits: c.max_association_retransmits,
        max_path_retransmits: c.max_path_retransmits,
        pf_max_retrans: c.pf_max_retrans,
        heartbeat_interval: c.heartbeat_interval.map(|d| d.as_secs_f64()),
        reconfig: c.reconfig,
        asconf: c.asconf,
        auth: c.auth.map(|a| SctpAuthConfig {
            chunks: a.chunks.into_iter().map(u16::from).collect(),
            hmac_algorithms: a
                .hmac_algorithms
                .iter()
                .map(|h| match h {
                    HmacAlgorithm::Sha1 => "sha1".to_string(),
                    HmacAlgorithm::Sha256 => "sha256".to_string(),
                })
                .collect(),
        }),
    }
}

/// Whose streams a `StreamsReset` concerns, seen from this endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StreamDirection {
    /// The peer's streams: their numbering restarts at 0 on our side.
    Incoming,
    /// Our streams (the answer to `reset_streams`).
    Outgoing,
}

/// Which streams `reset_streams_with` resets (RFC 6458 `srs_flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ResetDirection {
    /// Ours (RFC 6525 §5.1.2), as `reset_streams`.
    Outgoing,
    /// The peer's: we ask it to reset the streams it sends on (§5.1.3); an
    /// empty list means all of them.
    Incoming,
    /// Both, in one request; each stream must exist in both directions.
    Both,
}

/// How a stream re-configuration (RFC 6525) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReconfigResult {
    /// Done.
    Success,
    /// The peer refused.
    Denied,
    /// The peer answered with an error, or never answered.
    Failed,
}

impl From<CoreResult> for ReconfigResult {
    fn from(r: CoreResult) -> Self {
        match r {
            CoreResult::Success => Self::Success,
            CoreResult::Denied => Self::Denied,
            CoreResult::Failed => Self::Failed,
        }
    }
}

/// What an `Authentication` event reports (RFC 6458 §6.1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuthIndication {
    /// The peer used this key for the first time.
    NewKey,
    /// A deactivated key is no longer used and may be deleted.
    FreeKey,
    /// The peer does not support SCTP-AUTH; the association runs
    /// unauthenticated.
    NoAuth,
    /// An indication this version does not know.
    Unknown,
}

/// Which address change of ours an `AddressRequestResult` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AddressRequestKind {
    /// `add_local_address`.
    AddLocal,
    /// `remove_local_address`.
    RemoveLocal,
    /// `set_peer_primary`.
    SetPeerPrimary,
    /// A request this version does not know.
    Unknown,
}

/// How the peer answered an address change (RFC 5061 ASCONF-ACK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AddressRequestOutcome {
    /// Done.
    Accepted,
    /// Refused with an error cause (`cause_code`, `reason`).
    Refused,
    /// The peer does not understand such requests; no more are sent.
    Unsupported,
    /// An outcome this version does not know.
    Unknown,
}

/// A datagram to send to `destination` (`"ip:port"`).
#[derive(Debug, uniffi::Record)]
pub struct Datagram {
    /// Where to send it.
    pub destination: String,
    /// The UDP payload.
    pub data: Vec<u8>,
}

/// Something the application should know.
#[derive(Debug, uniffi::Enum)]
pub enum SctpEvent {
    /// The association is established.
    Connected {
        /// The association.
        association: u64,
        /// Negotiated outbound streams.
        outbound_streams: u16,
        /// Negotiated inbound streams.
        inbound_streams: u16,
    },
    /// A whole message arrived.
    Message {
        /// The association.
        association: u64,
        /// The stream.
        stream: u16,
        /// Payload protocol identifier.
        ppid: u32,
        /// Sent unordered.
        unordered: bool,
        /// The message.
        data: Vec<u8>,
    },
    /// A message will not be delivered; it comes back.
    SendFailed {
        /// The association.
        association: u64,
        /// The stream.
        stream: u16,
        /// The message.
        data: Vec<u8>,
    },
    /// The send buffer fell to its low-water mark.
    BufferedAmountLow {
        /// The association.
        association: u64,
    },
    /// The association ended.
    Closed {
        /// The association.
        association: u64,
        /// Why, as text (`"shutdown"`, `"timeout"`, the peer's abort cause...).
        reason: String,
    },
    /// Streams were reset (RFC 6525). `Outgoing`: the answer to
    /// `reset_streams`; with `Success` the next message on each stream is
    /// numbered from 0. `Incoming`: the peer reset its streams; everything
    /// it sent before was delivered before this event. An empty `streams`
    /// means all streams.
    StreamsReset {
        /// The association.
        association: u64,
        /// Whose streams.
        direction: StreamDirection,
        /// The streams.
        streams: Vec<u16>,
        /// The outcome.
        result: ReconfigResult,
    },
    /// Streams were added (RFC 6525 §5.1.5): the counts now in force
    /// (unchanged unless `result` is `Success`).
    StreamsAdded {
        /// The association.
        association: u64,
        /// Inbound streams now.
        inbound_streams: u16,
        /// Outbound streams now.
        outbound_streams: u16,
        /// The outcome.
        result: ReconfigResult,
    },
    /// Both directions' TSNs and every stream's sequence numbers were reset
    /// (RFC 6525 SSN/TSN Reset; SCTP_ASSOC_RESET_EVENT): the answer to
    /// `reset_association`, or the peer asked and we performed it. With
    /// `Success` every stream's next message in both directions is
    /// numbered from 0, and everything the peer sent before was delivered
    /// before this event; otherwise nothing was reset.
    AssociationReset {
        /// The association.
        association: u64,
        /// The TSN our next DATA chunk carries.
        local_tsn: u32,
        /// The TSN the peer's next DATA chunk carries.
        remote_tsn: u32,
        /// The outcome.
        result: ReconfigResult,
    },
    /// SCTP-AUTH news (RFC 6458 §6.1.8); `key_id` is 0 for `NoAuth`.
    Authentication {
        /// The association.
        association: u64,
        /// The shared key concerned.
        key_id: u16,
        /// What happened.
        indication: AuthIndication,
    },
    /// The peer answered one of our address changes (RFC 5061
    /// ASCONF-ACK): `request` on our IP `address`. `cause_code` and
    /// `reason` say why when `outcome` is `Refused` (else `None` and "").
    AddressRequestResult {
        /// The association.
        association: u64,
        /// Which change.
        request: AddressRequestKind,
        /// Our IP address it concerns.
        address: String,
        /// The answer.
        outcome: AddressRequestOutcome,
        /// The error cause of a refusal.
        cause_code: Option<u16>,
        /// The refusal as text.
        reason: String,
    },
    /// Any other event, described.
    Other {
        /// The association.
        association: u64,
        /// What happened.
        description: String,
    },
}

/// An SCTP endpoint (one local SCTP port, many associations). Thread-safe:
/// calls are serialized.
#[derive(uniffi::Object)]
pub struct SctpEndpoint {
    inner: Mutex<Endpoint>,
}

impl SctpEndpoint {
    fn build(
        port: u16,
        accept_incoming: bool,
        seed: Vec<u8>,
        config: Option<SctpConfig>,
        local_addresses: Vec<String>,
    ) -> Result<Arc<Self>, SctpError> {
        let seed: [u8; 32] = seed.try_into().map_err(|_| SctpError::InvalidArgument {
            detail: "seed must be 32 bytes".into(),
        })?;
        let mut config_ = EndpointConfig {
            port,
            accept_incoming,
            local_addresses: local_addresses
                .iter()
                .map(|a| ip(a))
                .collect::<Result<_, _>>()?,
            ..EndpointConfig::default()
        };
        if let Some(c) = config {
            config_.association = c.to_core()?;
        }
        Ok(Arc::new(Self {
            inner: Mutex::new(Endpoint::new(config_, seed)?),
        }))
    }

    fn ep(&self) -> MutexGuard<'_, Endpoint> {
        // A panic inside the core while locked would poison the lock; the
        // state is still memory-safe, so keep going rather than panic again.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl SctpEndpoint {
    /// An endpoint on SCTP port `port`; `accept_incoming` makes it a
    /// listener; `seed` (32 bytes) feeds every random choice.
    #[uniffi::constructor]
    pub fn new(port: u16, accept_incoming: bool, seed: Vec<u8>) -> Result<Arc<Self>, SctpError> {
        Self::build(port, accept_incoming, seed, None, Vec::new())
    }

    /// Like `new`, with association settings (`default_config()` changed
    /// as needed) and this host's IP addresses (`"10.0.0.1"`; empty: the
    /// peer knows us by our packets' source address only).
    #[uniffi::constructor]
    pub fn with_config(
        port: u16,
        accept_incoming: bool,
        seed: Vec<u8>,
        config: SctpConfig,
        local_addresses: Vec<String>,
    ) -> Result<Arc<Self>, SctpError> {
        Self::build(port, accept_incoming, seed, Some(config), local_addresses)
    }

    /// Starts an association with `remote` (`"ip:port"` transport address)
    /// whose SCTP port is `remote_port`; returns its id.
    pub fn connect(&self, now_us: u64, remote: String, remote_port: u16) -> Result<u64, SctpError> {
        let remote = addr(&remote)?;
        let config = self.ep().config().association.clone();
        Ok(self
            .ep()
            .connect(Instant::from_micros(now_us), remote, remote_port, config)?
            .0)
    }

    /// Feeds a datagram that arrived from `from` (`"ip:port"`).
    pub fn handle_datagram(
        &self,
        now_us: u64,
        from: String,
        data: Vec<u8>,
    ) -> Result<(), SctpError> {
        let from = addr(&from)?;
        self.ep()
            .handle_datagram(Instant::from_micros(now_us), from, Bytes::from(data));
        Ok(())
    }

    /// The next datagram to send, if any.
    pub fn poll_transmit(&self, now_us: u64) -> Option<Datagram> {
        let mut buf = vec![0u8; 65536];
        let t = self
            .ep()
            .poll_transmit(Instant::from_micros(now_us), &mut buf)?;
        buf.truncate(t.len);
        Some(Datagram {
            destination: t.destination.to_string(),
            data: buf,
        })
    }

    /// The next deadline (µs, same clock as `now_us`), if a timer runs.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.ep().poll_timeout().map(Instant::as_micros)
    }

    /// Runs the timers due at `now_us`.
    pub fn handle_timeout(&self, now_us: u64) {
        self.ep().handle_timeout(Instant::from_micros(now_us));
    }

    /// The next event, if any.
    pub fn poll_event(&self) -> Option<SctpEvent> {
        let (id, ev) = self.ep().poll_event()?;
        let association = id.0;
        Some(match ev {
            Event::Connected {
                outbound_streams,
                inbound_streams,
            } => SctpEvent::Connected {
                association,
                outbound_streams,
                inbound_streams,
            },
            Event::Message {
                stream,
                ppid,
                unordered,
                data,
            } => SctpEvent::Message {
                association,
                stream: stream.0,
                ppid: ppid.0,
                unordered,
                data: data.to_vec(),
            },
            Event::SendFailed { stream, data, .. } => SctpEvent::SendFailed {
                association,
                stream: stream.0,
                data: data.to_vec(),
            },
            Event::BufferedAmountLow => SctpEvent::BufferedAmountLow { association },
            Event::Closed(reason) => SctpEvent::Closed {
                association,
                reason: match reason {
                    CloseReason::Shutdown => "shutdown".into(),
                    CloseReason::Timeout => "timeout".into(),
                    CloseReason::SetupFailed => "setup failed".into(),
                    CloseReason::PeerAborted(t) => format!("peer aborted: {t}"),
                    CloseReason::LocallyAborted(t) => format!("aborted: {t}"),
                    other => format!("{other:?}"),
                },
            },
            Event::StreamsReset {
                direction,
                streams,
                result,
            } => SctpEvent::StreamsReset {
                association,
                direction: match direction {
                    CoreDirection::Incoming => StreamDirection::Incoming,
                    CoreDirection::Outgoing => StreamDirection::Outgoing,
                },
                streams: streams.iter().map(|s| s.0).collect(),
                result: result.into(),
            },
            Event::StreamsAdded {
                inbound_streams,
                outbound_streams,
                result,
            } => SctpEvent::StreamsAdded {
                association,
                inbound_streams,
                outbound_streams,
                result: result.into(),
            },
            Event::AssociationReset {
                local_tsn,
                remote_tsn,
                result,
            } => SctpEvent::AssociationReset {
                association,
                local_tsn: local_tsn.0,
                remote_tsn: remote_tsn.0,
                result: result.into(),
            },
            Event::Authentication { key_id, indication } => SctpEvent::Authentication {
                association,
                key_id,
                indication: match indication {
                    CoreIndication::NewKey => AuthIndication::NewKey,
                    CoreIndication::FreeKey => AuthIndication::FreeKey,
                    CoreIndication::NoAuth => AuthIndication::NoAuth,
                    _ => AuthIndication::Unknown,
                },
            },
            Event::AddressRequestResult { request, outcome } => {
                let (request, address) = match request {
                    AddressRequest::AddLocal(ip) => (AddressRequestKind::AddLocal, ip.to_string()),
                    AddressRequest::RemoveLocal(ip) => {
                        (AddressRequestKind::RemoveLocal, ip.to_string())
                    }
                    AddressRequest::SetPeerPrimary(ip) => {
                        (AddressRequestKind::SetPeerPrimary, ip.to_string())
                    }
                    _ => (AddressRequestKind::Unknown, String::new()),
                };
                let (outcome, cause_code, reason) = match outcome {
                    CoreOutcome::Accepted => (AddressRequestOutcome::Accepted, None, String::new()),
                    CoreOutcome::Refused { cause_code, reason } => {
                        (AddressRequestOutcome::Refused, Some(cause_code), reason)
                    }
                    CoreOutcome::Unsupported => {
                        (AddressRequestOutcome::Unsupported, None, String::new())
                    }
                    _ => (AddressRequestOutcome::Unknown, None, String::new()),
                };
                SctpEvent::AddressRequestResult {
                    association,
                    request,
                    address,
                    outcome,
                    cause_code,
                    reason,
                }
            }
            other => SctpEvent::Other {
                association,
                description: format!("{other:?}"),
            },
        })
    }

    /// Queues a message on `stream` of `association`.
    pub fn send(
        &self,
        now_us: u64,
        association: u64,
        stream: u16,
        ppid: u32,
        unordered: bool,
        data: Vec<u8>,
    ) -> Result<(), SctpError> {
        let opts = anysctp::SendOptions {
            ppid: anysctp::Ppid(ppid),
            unordered,
            ..Default::default()
        };
        self.ep().send(
            Instant::from_micros(now_us),
            AssociationId(association),
            anysctp::StreamId(stream),
            Bytes::from(data),
            opts,
        )?;
        Ok(())
    }

    /// Starts a graceful shutdown of `association`.
    pub fn shutdown(&self, now_us: u64, association: u64) -> Result<(), SctpError> {
        self.ep()
            .shutdown(Instant::from_micros(now_us), AssociationId(association))?;
        Ok(())
    }

    /// Resets our outgoing `streams` of `association` (RFC 6525 §5.1.2);
    /// the answer comes as a `StreamsReset` event.
    pub fn reset_streams(
        &self,
        now_us: u64,
        association: u64,
        streams: Vec<u16>,
    ) -> Result<(), SctpError> {
        let streams: Vec<StreamId> = streams.into_iter().map(StreamId).collect();
        self.ep().reset_streams(
            Instant::from_micros(now_us),
            AssociationId(association),
            &streams,
        )?;
        Ok(())
    }

    /// Resets `streams` of `association` in `direction` (RFC 6525 §5.1.2,
    /// §5.1.3); a `StreamsReset` event per direction brings the answer.
    pub fn reset_streams_with(
        &self,
        now_us: u64,
        association: u64,
        streams: Vec<u16>,
        direction: ResetDirection,
    ) -> Result<(), SctpError> {
        let streams: Vec<StreamId> = streams.into_iter().map(StreamId).collect();
        let direction = match direction {
            ResetDirection::Outgoing => CoreResetDirection::Outgoing,
            ResetDirection::Incoming => CoreResetDirection::Incoming,
            ResetDirection::Both => CoreResetDirection::Both,
        };
        self.ep().reset_streams_with(
            Instant::from_micros(now_us),
            AssociationId(association),
            &streams,
            direction,
        )?;
        Ok(())
    }

    /// Resets both directions' TSNs and every stream's sequence numbers of
    /// `association` (RFC 6525 §5.1.4 SSN/TSN Reset). Messages sent
    /// meanwhile wait; an `AssociationReset` event brings the answer. The
    /// peer performs it only if its policy allows it
    /// (`set_reconfig_policy_with`).
    pub fn reset_association(&self, now_us: u64, association: u64) -> Result<(), SctpError> {
        self.ep()
            .reset_association(Instant::from_micros(now_us), AssociationId(association))?;
        Ok(())
    }

    /// Asks the peer for `count` more outbound streams (RFC 6525 §5.1.5);
    /// the answer comes as a `StreamsAdded` event.
    pub fn add_streams(&self, now_us: u64, association: u64, count: u16) -> Result<(), SctpError> {
        self.add_streams_with(now_us, association, 0, count)
    }

    /// Adds `outgoing` outbound and `incoming` inbound streams to
    /// `association` (RFC 6525 §5.1.5, §5.1.6) in one request; a
    /// `StreamsAdded` event per direction brings the answer.
    pub fn add_streams_with(
        &self,
        now_us: u64,
        association: u64,
        incoming: u16,
        outgoing: u16,
    ) -> Result<(), SctpError> {
        self.ep().add_streams_with(
            Instant::from_micros(now_us),
            AssociationId(association),
            incoming,
            outgoing,
        )?;
        Ok(())
    }

    /// Which re-configuration requests of the peer are accepted from now on.
    pub fn set_reconfig_policy(
        &self,
        association: u64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u16,
    ) -> Result<(), SctpError> {
        self.set_reconfig_policy_with(
            association,
            accept_stream_reset,
            accept_add_streams,
            max_outbound_streams,
            false,
        )
    }

    /// As `set_reconfig_policy`, and whether the peer may reset the
    /// association's TSNs (`accept_ssn_tsn_reset`, RFC 6525 §5.2.4; off in
    /// `set_reconfig_policy`).
    pub fn set_reconfig_policy_with(
        &self,
        association: u64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u16,
        accept_ssn_tsn_reset: bool,
    ) -> Result<(), SctpError> {
        let policy = ReconfigPolicy {
            accept_stream_reset,
            accept_add_streams,
            max_outbound_streams,
            accept_ssn_tsn_reset,
        };
        self.ep()
            .set_reconfig_policy(AssociationId(association), policy)?;
        Ok(())
    }

    /// Sets SCTP-AUTH shared key `key_id` to `secret` (RFC 4895 §6.1);
    /// `association` `None`: the endpoint's keys (for later associations).
    pub fn set_auth_key(
        &self,
        key_id: u16,
        secret: Vec<u8>,
        association: Option<u64>,
    ) -> Result<(), SctpError> {
        self.ep()
            .set_auth_key(key_scope(association), key_id, &secret)?;
        Ok(())
    }

    /// Makes `key_id` the key that authenticates what is sent.
    pub fn set_active_auth_key(
        &self,
        key_id: u16,
        association: Option<u64>,
    ) -> Result<(), SctpError> {
        self.ep()
            .set_active_auth_key(key_scope(association), key_id)?;
        Ok(())
    }

    /// The key that authenticates what is sent.
    pub fn active_auth_key(&self, association: Option<u64>) -> Result<u16, SctpError> {
        Ok(self.ep().active_auth_key(key_scope(association))?)
    }

    /// Stops sending with `key_id` (RFC 6458 §8.3.4); an `Authentication`
    /// event with `FreeKey` says when the peer no longer uses it.
    pub fn deactivate_auth_key(
        &self,
        key_id: u16,
        association: Option<u64>,
    ) -> Result<(), SctpError> {
        self.ep()
            .deactivate_auth_key(key_scope(association), key_id)?;
        Ok(())
    }

    /// Deletes a deactivated key (RFC 6458 §8.3.5).
    pub fn delete_auth_key(&self, key_id: u16, association: Option<u64>) -> Result<(), SctpError> {
        self.ep().delete_auth_key(key_scope(association), key_id)?;
        Ok(())
    }

    /// Chunk types the peer wants authenticated.
    pub fn peer_auth_chunks(&self, association: u64) -> Result<Vec<u16>, SctpError> {
        chunk_types(self.ep().peer_auth_chunks(AssociationId(association)))
    }

    /// Chunk types this side accepts only authenticated.
    pub fn local_auth_chunks(&self, association: u64) -> Result<Vec<u16>, SctpError> {
        chunk_types(self.ep().local_auth_chunks(AssociationId(association)))
    }

    /// Adds an IP address (`"10.0.0.3"`) of this host at run time (RFC
    /// 5061); with `auto_asconf` on, peers learn it through ASCONF and the
    /// answer comes as an `AddressRequestResult` event.
    pub fn add_local_address(&self, now_us: u64, address: String) -> Result<(), SctpError> {
        self.ep()
            .add_local_address(Instant::from_micros(now_us), ip(&address)?)?;
        Ok(())
    }

    /// Removes an IP address of this host at run time (RFC 5061; never the
    /// last one).
    pub fn remove_local_address(&self, now_us: u64, address: String) -> Result<(), SctpError> {
        self.ep()
            .remove_local_address(Instant::from_micros(now_us), ip(&address)?)?;
        Ok(())
    }

    /// This endpoint's own IP addresses.
    pub fn local_addresses(&self) -> Vec<String> {
        self.ep()
            .local_addresses()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Whether address changes are sent to peers as ASCONFs (on by default).
    pub fn auto_asconf(&self) -> bool {
        self.ep().auto_asconf()
    }

    /// Turns the ASCONFs of `add_local_address` / `remove_local_address`
    /// on or off.
    pub fn set_auto_asconf(&self, on: bool) {
        self.ep().set_auto_asconf(on);
    }

    /// Asks the peer to send to our IP `address` by preference (RFC 5061
    /// Set Primary Address); the answer comes as an `AddressRequestResult`.
    pub fn set_peer_primary(
        &self,
        now_us: u64,
        association: u64,
        address: String,
    ) -> Result<(), SctpError> {
        self.ep().set_peer_primary(
            Instant::from_micros(now_us),
            AssociationId(association),
            ip(&address)?,
        )?;
        Ok(())
    }
}
