//! anysctp for Swift, Kotlin and Python through uniffi, at the level of the
//! sans-IO endpoint: one small object (`SctpEndpoint`), records and enums,
//! so each language sees an idiomatic class. The host moves datagrams and
//! time exactly as with the C API; addresses are `"ip:port"` strings.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use anysctp::{AssociationId, CloseReason, Endpoint, EndpointConfig, Event, Instant};
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
        let seed: [u8; 32] = seed.try_into().map_err(|_| SctpError::InvalidArgument {
            detail: "seed must be 32 bytes".into(),
        })?;
        let config = EndpointConfig {
            port,
            accept_incoming,
            ..EndpointConfig::default()
        };
        Ok(Arc::new(Self {
            inner: Mutex::new(Endpoint::new(config, seed)?),
        }))
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
}
