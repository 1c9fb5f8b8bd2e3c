//! The sans-IO endpoint: `anysctp._anysctp.Endpoint`.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anysctp::{
    AddressRequest, AddressRequestOutcome, AssociationId, AssociationState, AuthIndication,
    CloseReason, EndpointConfig, Event, PathState, PeerAddressState, Ppid, ReconfigPolicy,
    ReconfigResult, ResetDirection, SendFailure, SendOptions, StreamDirection, StreamId,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple, PyType};

use crate::convert::{self, addr_tuple, instant, seconds, socket_addr};

/// Room for any SCTP packet over UDP.
const MAX_DATAGRAM: usize = 65_536;

/// The core's `Endpoint` with Python types at its edges.
#[pyclass(subclass, module = "anysctp._anysctp")]
pub struct Endpoint {
    inner: anysctp::Endpoint,
    /// Scratch for `poll_transmit`, reused.
    scratch: Vec<u8>,
    /// Packets of one `poll_transmit_all`, back to back, reused.
    batch: Vec<u8>,
    /// (destination, end offset in `batch`) of each packet.
    batch_meta: Vec<(SocketAddr, usize)>,
    /// Events other than messages set aside by `poll_messages`, in order,
    /// for the next `poll_event(s)`.
    held: VecDeque<(AssociationId, Event)>,
}

impl Endpoint {
    /// Runs an address command of the core with `address` (a str) as its IP.
    fn address_command(
        &mut self,
        py: Python<'_>,
        now: f64,
        address: &Bound<'_, PyAny>,
        command: fn(&mut anysctp::Endpoint, anysctp::Instant, IpAddr) -> Result<(), anysctp::Error>,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let ip = convert::ip_addr(address)?;
        command(&mut self.inner, now, ip).map_err(|e| convert::error(py, e))
    }

    fn next_event(&mut self) -> Option<(AssociationId, Event)> {
        self.held.pop_front().or_else(|| self.inner.poll_event())
    }

    /// Moves every datagram `self` has for `peer`'s address into `peer`.
    fn deliver_to(
        &mut self,
        now: anysctp::Instant,
        peer: &mut Endpoint,
        self_addr: SocketAddr,
    ) -> usize {
        let mut moved = 0;
        while let Some(t) = self.inner.poll_transmit(now, &mut self.scratch) {
            let len = t.len.min(self.scratch.len());
            let data = bytes::Bytes::copy_from_slice(&self.scratch[..len]);
            peer.inner.handle_datagram(now, self_addr, data);
            moved += 1;
        }
        moved
    }
}

/// Moves datagrams between two endpoints in memory until neither has more
/// to send, with the GIL released: what `a` sends arrives at `b` from
/// `a_address` and vice versa (every datagram goes to the other side,
/// whatever its destination). Returns how many datagrams moved. For
/// benchmarks and simulations of a perfect wire in one process.
#[pyfunction]
#[pyo3(signature = (a, b, now, a_address, b_address, max_rounds = 64))]
pub fn pump(
    py: Python<'_>,
    a: &Bound<'_, Endpoint>,
    b: &Bound<'_, Endpoint>,
    now: f64,
    a_address: &Bound<'_, PyAny>,
    b_address: &Bound<'_, PyAny>,
    max_rounds: usize,
) -> PyResult<usize> {
    if a.is(b) {
        return Err(PyValueError::new_err("pump needs two different endpoints"));
    }
    let now = instant(now)?;
    let (a_addr, b_addr) = (socket_addr(a_address)?, socket_addr(b_address)?);
    let mut a = a.borrow_mut();
    let mut b = b.borrow_mut();
    let (a, b): (&mut Endpoint, &mut Endpoint) = (&mut a, &mut b);
    Ok(py.allow_threads(|| {
        let mut total = 0;
        for _ in 0..max_rounds {
            let moved = a.deliver_to(now, b, a_addr) + b.deliver_to(now, a, b_addr);
            total += moved;
            if moved == 0 {
                break;
            }
        }
        total
    }))
}

fn id(assoc: u64) -> AssociationId {
    AssociationId(assoc)
}

fn event_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static EVENTS: GILOnceCell<Py<PyModule>> = GILOnceCell::new();
    let m = EVENTS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("anysctp.events")?.unbind()))?;
    Ok(m.bind(py).getattr(name)?.downcast_into::<PyType>()?)
}

fn enum_value<'py>(py: Python<'py>, class: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    event_class(py, class)?.call1((value,))
}

fn state_name(s: AssociationState) -> &'static str {
    s.name()
}

fn path_state_name(s: PathState) -> &'static str {
    match s {
        PathState::Unconfirmed => "unconfirmed",
        PathState::Active => "active",
        PathState::PotentiallyFailed => "potentially-failed",
        PathState::Inactive => "inactive",
        _ => "unknown",
    }
}

fn opt_secs(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

fn event_object<'py>(
    py: Python<'py>,
    assoc: AssociationId,
    ev: Event,
) -> PyResult<Bound<'py, PyAny>> {
    let a = assoc.0;
    Ok(match ev {
        Event::Connected {
            outbound_streams,
            inbound_streams,
        } => event_class(py, "Connected")?.call1((a, outbound_streams, inbound_streams))?,
        Event::Restarted => event_class(py, "Restarted")?.call1((a,))?,
        Event::Message {
            stream,
            ppid,
            unordered,
            data,
        } => event_class(py, "Message")?.call1((
            a,
            stream.0,
            ppid.0,
            unordered,
            PyBytes::new(py, &data),
        ))?,
        Event::SendFailed {
            stream,
            ppid,
            reason,
            data,
        } => {
            let reason = match reason {
                SendFailure::Abandoned => "abandoned",
                SendFailure::AssociationClosed => "association-closed",
                _ => "unknown",
            };
            event_class(py, "SendFailed")?.call1((
                a,
                stream.0,
                ppid.0,
                enum_value(py, "SendFailure", reason)?,
                PyBytes::new(py, &data),
            ))?
        }
        Event::RemoteError(text) => event_class(py, "RemoteError")?.call1((a, text))?,
        Event::PeerAddressChange { address, state, .. } => {
            let state = match state {
                PeerAddressState::Available => "available",
                PeerAddressState::Unreachable => "unreachable",
                PeerAddressState::Confirmed => "confirmed",
                PeerAddressState::MadePrimary => "made-primary",
                PeerAddressState::Added => "added",
                PeerAddressState::Removed => "removed",
                PeerAddressState::PotentiallyFailed => "potentially-failed",
                _ => "unknown",
            };
            event_class(py, "PeerAddressChange")?.call1((
                a,
                addr_tuple(py, address)?,
                enum_value(py, "PeerAddressState", state)?,
            ))?
        }
        Event::ShutdownReceived => event_class(py, "ShutdownReceived")?.call1((a,))?,
        Event::SenderDry => event_class(py, "SenderDry")?.call1((a,))?,
        Event::BufferedAmountLow => event_class(py, "BufferedAmountLow")?.call1((a,))?,
        Event::Closed(reason) => {
            let (kind, detail) = match reason {
                CloseReason::Shutdown => ("shutdown", String::new()),
                CloseReason::PeerAborted(t) => ("peer-aborted", t),
                CloseReason::LocallyAborted(t) => ("locally-aborted", t),
                CloseReason::Timeout => ("timeout", String::new()),
                CloseReason::SetupFailed => ("setup-failed", String::new()),
                _ => ("unknown", String::new()),
            };
            event_class(py, "Closed")?.call1((a, enum_value(py, "CloseReason", kind)?, detail))?
        }
        Event::StreamsReset {
            direction,
            streams,
            result,
        } => {
            let direction = match direction {
                StreamDirection::Incoming => "incoming",
                StreamDirection::Outgoing => "outgoing",
            };
            let streams = PyTuple::new(py, streams.iter().map(|s| s.0))?;
            event_class(py, "StreamsReset")?.call1((
                a,
                enum_value(py, "StreamDirection", direction)?,
                streams,
                enum_value(py, "ReconfigResult", reconfig_result(result))?,
            ))?
        }
        Event::StreamsAdded {
            inbound_streams,
            outbound_streams,
            result,
        } => event_class(py, "StreamsAdded")?.call1((
            a,
            inbound_streams,
            outbound_streams,
            enum_value(py, "ReconfigResult", reconfig_result(result))?,
        ))?,
        Event::AssociationReset {
            local_tsn,
            remote_tsn,
            result,
        } => event_class(py, "AssociationReset")?.call1((
            a,
            local_tsn.0,
            remote_tsn.0,
            enum_value(py, "ReconfigResult", reconfig_result(result))?,
        ))?,
        Event::Authentication { key_id, indication } => {
            let indication = match indication {
                AuthIndication::NewKey => "new-key",
                AuthIndication::FreeKey => "free-key",
                AuthIndication::NoAuth => "no-auth",
                _ => "unknown",
            };
            event_class(py, "Authentication")?.call1((
                a,
                key_id,
                enum_value(py, "AuthIndication", indication)?,
            ))?
        }
        Event::AddressRequestResult { request, outcome } => {
            let (kind, ip) = match request {
                AddressRequest::AddLocal(ip) => ("add-local", ip.to_string()),
                AddressRequest::RemoveLocal(ip) => ("remove-local", ip.to_string()),
                AddressRequest::SetPeerPrimary(ip) => ("set-peer-primary", ip.to_string()),
                _ => ("unknown", String::new()),
            };
            let (outcome, cause_code, reason) = match outcome {
                AddressRequestOutcome::Accepted => ("accepted", None, String::new()),
                AddressRequestOutcome::Refused { cause_code, reason } => {
                    ("refused", Some(cause_code), reason)
                }
                AddressRequestOutcome::Unsupported => ("unsupported", None, String::new()),
                _ => ("unknown", None, String::new()),
            };
            event_class(py, "AddressRequestResult")?.call1((
                a,
                enum_value(py, "AddressRequestKind", kind)?,
                ip,
                enum_value(py, "AddressRequestOutcome", outcome)?,
                cause_code,
                reason,
            ))?
        }
        other => event_class(py, "Unknown")?.call1((a, format!("{other:?}")))?,
    })
}

/// Chunk types as a list of ints (not `bytes`).
fn chunk_types(py: Python<'_>, r: Result<Vec<u8>, anysctp::Error>) -> PyResult<Vec<u16>> {
    r.map(|v| v.into_iter().map(u16::from).collect())
        .map_err(|e| convert::error(py, e))
}

fn reconfig_result(r: ReconfigResult) -> &'static str {
    match r {
        ReconfigResult::Success => "success",
        ReconfigResult::Denied => "denied",
        ReconfigResult::Failed => "failed",
    }
}

/// `None` (the endpoint's keys) or an association id.
fn key_scope(association: Option<u64>) -> Option<AssociationId> {
    association.map(id)
}

#[pymethods]
impl Endpoint {
    /// `Endpoint(port, accept_incoming, max_associations, seed, config)`;
    /// `config` is an `anysctp.AssociationConfig`, `seed` 32 bytes.
    #[new]
    #[pyo3(signature = (port, accept_incoming, max_associations, seed, config, local_addresses = Vec::new()))]
    fn new(
        port: u16,
        accept_incoming: bool,
        max_associations: usize,
        seed: &[u8],
        config: &Bound<'_, PyAny>,
        local_addresses: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| PyValueError::new_err("seed must be exactly 32 bytes"))?;
        let association = convert::association_config(config)?;
        let cfg = EndpointConfig {
            port,
            accept_incoming,
            max_associations,
            association,
            local_addresses: local_addresses
                .iter()
                .map(convert::ip_addr)
                .collect::<PyResult<Vec<_>>>()?,
        };
        let inner =
            anysctp::Endpoint::new(cfg, seed).map_err(|e| convert::error(config.py(), e))?;
        Ok(Self {
            inner,
            scratch: vec![0; MAX_DATAGRAM],
            batch: Vec::new(),
            batch_meta: Vec::new(),
            held: VecDeque::new(),
        })
    }

    /// The endpoint's SCTP port.
    #[getter]
    fn port(&self) -> u16 {
        self.inner.config().port
    }

    /// Starts an association to `remotes` (transport addresses, the first
    /// is primary) whose SCTP port is `remote_port`; returns its id.
    fn connect(
        &mut self,
        py: Python<'_>,
        now: f64,
        remotes: Vec<Bound<'_, PyAny>>,
        remote_port: u16,
        config: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let now = instant(now)?;
        let addrs = remotes
            .iter()
            .map(socket_addr)
            .collect::<PyResult<Vec<_>>>()?;
        if addrs.is_empty() {
            return Err(PyValueError::new_err(
                "connect needs at least one remote address",
            ));
        }
        let cfg = convert::association_config(config)?;
        self.inner
            .connectx(now, &addrs, remote_port, cfg)
            .map(|a| a.0)
            .map_err(|e| convert::error(py, e))
    }

    /// Processes one datagram that arrived from `source` (a `(host, port)` tuple).
    fn handle_datagram(
        &mut self,
        now: f64,
        source: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let from = socket_addr(source)?;
        let data = convert::payload(data)?;
        self.inner.handle_datagram(now, from, data);
        Ok(())
    }

    /// Processes several `(source, data)` datagrams with the GIL released.
    fn handle_datagrams(
        &mut self,
        py: Python<'_>,
        now: f64,
        datagrams: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let mut items = Vec::new();
        for item in datagrams.try_iter()? {
            let item = item?;
            let pair = item.downcast::<PyTuple>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err("datagrams must be (source, data) tuples")
            })?;
            if pair.len() != 2 {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "datagrams must be (source, data) tuples",
                ));
            }
            items.push((
                socket_addr(&pair.get_item(0)?)?,
                convert::payload(&pair.get_item(1)?)?,
            ));
        }
        let inner = &mut self.inner;
        py.allow_threads(|| {
            for (from, data) in items {
                inner.handle_datagram(now, from, data);
            }
        });
        Ok(())
    }

    /// The next datagram to send as `(destination, bytes)`, or None.
    fn poll_transmit<'py>(
        &mut self,
        py: Python<'py>,
        now: f64,
    ) -> PyResult<Option<(Bound<'py, PyTuple>, Bound<'py, PyBytes>)>> {
        let now = instant(now)?;
        match self.inner.poll_transmit(now, &mut self.scratch) {
            None => Ok(None),
            Some(t) => {
                let len = t.len.min(self.scratch.len());
                Ok(Some((
                    addr_tuple(py, t.destination)?,
                    PyBytes::new(py, &self.scratch[..len]),
                )))
            }
        }
    }

    /// Every datagram to send now, as a list of `(destination, bytes)`;
    /// the core runs with the GIL released.
    fn poll_transmit_all<'py>(
        &mut self,
        py: Python<'py>,
        now: f64,
    ) -> PyResult<Bound<'py, PyList>> {
        let now = instant(now)?;
        self.batch.clear();
        self.batch_meta.clear();
        let Self {
            inner,
            scratch,
            batch,
            batch_meta,
            ..
        } = self;
        py.allow_threads(|| {
            while let Some(t) = inner.poll_transmit(now, scratch) {
                let len = t.len.min(scratch.len());
                batch.extend_from_slice(&scratch[..len]);
                batch_meta.push((t.destination, batch.len()));
            }
        });
        let out = PyList::empty(py);
        let mut start = 0;
        for &(dest, end) in self.batch_meta.iter() {
            out.append((
                addr_tuple(py, dest)?,
                PyBytes::new(py, &self.batch[start..end]),
            ))?;
            start = end;
        }
        Ok(out)
    }

    /// The next deadline (float seconds) at which `handle_timeout` must run, or None.
    fn poll_timeout(&mut self) -> Option<f64> {
        self.inner.poll_timeout().map(seconds)
    }

    /// Runs the timers due at `now`.
    fn handle_timeout(&mut self, now: f64) -> PyResult<()> {
        let now = instant(now)?;
        self.inner.handle_timeout(now);
        Ok(())
    }

    /// The next event (an `anysctp.events` object), or None.
    fn poll_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.next_event() {
            None => Ok(None),
            Some((a, ev)) => Ok(Some(event_object(py, a, ev)?)),
        }
    }

    /// Every pending event, as a list.
    fn poll_events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        while let Some((a, ev)) = self.next_event() {
            out.append(event_object(py, a, ev)?)?;
        }
        Ok(out)
    }

    /// Up to `max` received messages, compactly: with `data_only` a list of
    /// `bytes`, else a list of `(association, stream, ppid, unordered, data)`
    /// tuples. Other events stay queued, in order, for `poll_event(s)`.
    #[pyo3(signature = (max = usize::MAX, data_only = false))]
    fn poll_messages<'py>(
        &mut self,
        py: Python<'py>,
        max: usize,
        data_only: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let mut n = 0;
        while n < max {
            let Some((a, ev)) = self.inner.poll_event() else {
                break;
            };
            match ev {
                Event::Message {
                    stream,
                    ppid,
                    unordered,
                    data,
                } => {
                    let data = PyBytes::new(py, &data);
                    if data_only {
                        out.append(data)?;
                    } else {
                        out.append((a.0, stream.0, ppid.0, unordered, data))?;
                    }
                    n += 1;
                }
                other => self.held.push_back((a, other)),
            }
        }
        Ok(out)
    }

    /// Queues one message.
    #[pyo3(signature = (now, association, stream, data, ppid=0, unordered=false, lifetime=None, max_retransmits=None))]
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        py: Python<'_>,
        now: f64,
        association: u64,
        stream: u16,
        data: &Bound<'_, PyAny>,
        ppid: u32,
        unordered: bool,
        lifetime: Option<f64>,
        max_retransmits: Option<u16>,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let data = convert::payload(data)?;
        let opts = SendOptions {
            ppid: Ppid(ppid),
            unordered,
            lifetime: lifetime
                .map(|s| convert::duration("lifetime", s))
                .transpose()?,
            max_retransmits,
        };
        self.inner
            .send(now, id(association), StreamId(stream), data, opts)
            .map_err(|e| convert::error(py, e))
    }

    /// Queues messages in order until the send buffer is full or a message
    /// is refused; returns how many were queued (the first ones). Raises
    /// only if the first message is refused for another reason than a full
    /// buffer. `stream` is one id, or a
    /// sequence giving each message's stream cyclically.
    #[pyo3(signature = (now, association, stream, messages, ppid=0, unordered=false))]
    #[allow(clippy::too_many_arguments)]
    fn send_many(
        &mut self,
        py: Python<'_>,
        now: f64,
        association: u64,
        stream: &Bound<'_, PyAny>,
        messages: &Bound<'_, PyAny>,
        ppid: u32,
        unordered: bool,
    ) -> PyResult<usize> {
        let now = instant(now)?;
        let streams: Vec<u16> = match stream.extract::<u16>() {
            Ok(s) => vec![s],
            Err(_) => stream.extract::<Vec<u16>>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "stream must be an int or a sequence of ints",
                )
            })?,
        };
        if streams.is_empty() {
            return Err(PyValueError::new_err("stream sequence is empty"));
        }
        let mut payloads = Vec::new();
        for m in messages.try_iter()? {
            payloads.push(convert::payload(&m?)?);
        }
        let opts = SendOptions {
            ppid: Ppid(ppid),
            unordered,
            lifetime: None,
            max_retransmits: None,
        };
        let inner = &mut self.inner;
        let assoc = id(association);
        let (sent, err) = py.allow_threads(|| {
            let mut sent = 0;
            for (i, data) in payloads.into_iter().enumerate() {
                let s = streams[i % streams.len()];
                match inner.send(now, assoc, StreamId(s), data, opts) {
                    Ok(()) => sent += 1,
                    Err(anysctp::Error::WouldBlock { .. }) => return (sent, None),
                    Err(e) => return (sent, Some(e)),
                }
            }
            (sent, None)
        });
        // An error on a later message returns the count so far: the caller
        // learns which messages were queued, and the failing one raises when
        // it is given again.
        match err {
            Some(e) if sent == 0 => Err(convert::error(py, e)),
            _ => Ok(sent),
        }
    }

    /// Starts a graceful shutdown (RFC 9260 §9.2).
    fn shutdown(&mut self, py: Python<'_>, now: f64, association: u64) -> PyResult<()> {
        let now = instant(now)?;
        self.inner
            .shutdown(now, id(association))
            .map_err(|e| convert::error(py, e))
    }

    /// Aborts the association (RFC 9260 §9.1) with `reason` as the user-initiated-abort cause.
    #[pyo3(signature = (now, association, reason=""))]
    fn abort(&mut self, py: Python<'_>, now: f64, association: u64, reason: &str) -> PyResult<()> {
        let now = instant(now)?;
        self.inner
            .abort(now, id(association), reason)
            .map_err(|e| convert::error(py, e))
    }

    /// The association's figures (an `anysctp.AssociationStats`), or None.
    fn stats<'py>(&self, py: Python<'py>, association: u64) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(s) = self.inner.stats(id(association)) else {
            return Ok(None);
        };
        let paths = PyList::empty(py);
        for p in &s.paths {
            let kw = PyDict::new(py);
            kw.set_item("address", addr_tuple(py, p.address)?)?;
            kw.set_item("state", path_state_name(p.state))?;
            kw.set_item("primary", p.primary)?;
            kw.set_item("srtt", opt_secs(p.srtt))?;
            kw.set_item("rttvar", opt_secs(p.rttvar))?;
            kw.set_item("rto", p.rto.as_secs_f64())?;
            kw.set_item("cwnd", p.cwnd)?;
            kw.set_item("ssthresh", p.ssthresh)?;
            kw.set_item("bytes_in_flight", p.bytes_in_flight)?;
            kw.set_item("error_count", p.error_count)?;
            kw.set_item("mtu", p.mtu)?;
            paths.append(event_class(py, "PathStats")?.call((), Some(&kw))?)?;
        }
        let kw = PyDict::new(py);
        kw.set_item("state", state_name(s.state))?;
        kw.set_item("outbound_streams", s.outbound_streams)?;
        kw.set_item("inbound_streams", s.inbound_streams)?;
        kw.set_item("peer_rwnd", s.peer_rwnd)?;
        kw.set_item("buffered_amount", s.buffered_amount)?;
        kw.set_item("bytes_in_flight", s.bytes_in_flight)?;
        kw.set_item("retransmissions", s.retransmissions)?;
        kw.set_item("fast_retransmissions", s.fast_retransmissions)?;
        kw.set_item("timeouts", s.timeouts)?;
        kw.set_item("packets_sent", s.packets_sent)?;
        kw.set_item("packets_received", s.packets_received)?;
        kw.set_item("messages_sent", s.messages_sent)?;
        kw.set_item("messages_received", s.messages_received)?;
        kw.set_item("bytes_acked", s.bytes_acked)?;
        kw.set_item("bytes_received", s.bytes_received)?;
        kw.set_item("paths", PyTuple::new(py, paths)?)?;
        Ok(Some(
            event_class(py, "AssociationStats")?.call((), Some(&kw))?,
        ))
    }

    /// The association's state (RFC name, e.g. "ESTABLISHED"), or None.
    fn state(&self, association: u64) -> Option<&'static str> {
        self.inner.state(id(association)).map(state_name)
    }

    /// Ids of the associations held.
    fn associations(&self) -> Vec<u64> {
        self.inner.associations().into_iter().map(|a| a.0).collect()
    }

    /// Bytes queued for sending and not yet sent, or None.
    fn buffered_amount(&self, association: u64) -> Option<usize> {
        self.inner.buffered_amount(id(association))
    }

    /// Sets the level at or below which `BufferedAmountLow` fires.
    fn set_buffered_amount_low_threshold(
        &mut self,
        py: Python<'_>,
        association: u64,
        threshold: usize,
    ) -> PyResult<()> {
        self.inner
            .set_buffered_amount_low_threshold(id(association), threshold)
            .map_err(|e| convert::error(py, e))
    }

    /// The peer's transport addresses, or None.
    fn peer_addresses<'py>(
        &self,
        py: Python<'py>,
        association: u64,
    ) -> PyResult<Option<Vec<Bound<'py, PyTuple>>>> {
        match self.inner.peer_addresses(id(association)) {
            None => Ok(None),
            Some(v) => Ok(Some(
                v.into_iter()
                    .map(|a| addr_tuple(py, a))
                    .collect::<PyResult<Vec<_>>>()?,
            )),
        }
    }

    /// Makes `address` the primary path.
    fn set_primary(
        &mut self,
        py: Python<'_>,
        association: u64,
        address: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let addr = socket_addr(address)?;
        self.inner
            .set_primary(id(association), addr)
            .map_err(|e| convert::error(py, e))
    }

    /// Resets `streams` (stream ids) of the association (RFC 6525 §5.1.2,
    /// §5.1.3): `direction` "outgoing" (ours; the default), "incoming"
    /// (the peer's: we ask it to reset them) or "both"; the answer comes
    /// as a `StreamsReset` event per direction.
    #[pyo3(signature = (now, association, streams, direction = "outgoing"))]
    fn reset_streams(
        &mut self,
        py: Python<'_>,
        now: f64,
        association: u64,
        streams: Vec<u16>,
        direction: &str,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let direction = match direction {
            "outgoing" => ResetDirection::Outgoing,
            "incoming" => ResetDirection::Incoming,
            "both" => ResetDirection::Both,
            other => {
                return Err(PyValueError::new_err(format!(
                    "direction {other:?}: use \"outgoing\", \"incoming\" or \"both\""
                )))
            }
        };
        let streams: Vec<StreamId> = streams.into_iter().map(StreamId).collect();
        self.inner
            .reset_streams_with(now, id(association), &streams, direction)
            .map_err(|e| convert::error(py, e))
    }

    /// Resets both directions' TSNs and every stream's sequence numbers
    /// (RFC 6525 §5.1.4 SSN/TSN Reset); the answer comes as an
    /// `AssociationReset` event.
    fn reset_association(&mut self, py: Python<'_>, now: f64, association: u64) -> PyResult<()> {
        let now = instant(now)?;
        self.inner
            .reset_association(now, id(association))
            .map_err(|e| convert::error(py, e))
    }

    /// Adds `count` outbound streams (RFC 6525 §5.1.5) and `incoming`
    /// inbound ones (§5.1.6: the peer adds them on its side); each side's
    /// answer comes as a `StreamsAdded` event.
    #[pyo3(signature = (now, association, count, incoming = 0))]
    fn add_streams(
        &mut self,
        py: Python<'_>,
        now: f64,
        association: u64,
        count: u16,
        incoming: u16,
    ) -> PyResult<()> {
        let now = instant(now)?;
        self.inner
            .add_streams_with(now, id(association), incoming, count)
            .map_err(|e| convert::error(py, e))
    }

    /// Which re-configuration requests of the peer are accepted from now on.
    #[pyo3(signature = (association, accept_stream_reset = true, accept_add_streams = true, max_outbound_streams = 65535, accept_ssn_tsn_reset = false))]
    fn set_reconfig_policy(
        &mut self,
        py: Python<'_>,
        association: u64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u16,
        accept_ssn_tsn_reset: bool,
    ) -> PyResult<()> {
        let policy = ReconfigPolicy {
            accept_stream_reset,
            accept_add_streams,
            max_outbound_streams,
            accept_ssn_tsn_reset,
        };
        self.inner
            .set_reconfig_policy(id(association), policy)
            .map_err(|e| convert::error(py, e))
    }

    /// Sets SCTP-AUTH shared key `key_id` to `secret` (RFC 4895 §6.1);
    /// `association` None: the endpoint's keys (for later associations).
    #[pyo3(signature = (key_id, secret, association = None))]
    fn set_auth_key(
        &mut self,
        py: Python<'_>,
        key_id: u16,
        secret: &Bound<'_, PyAny>,
        association: Option<u64>,
    ) -> PyResult<()> {
        let secret = convert::payload(secret)?;
        self.inner
            .set_auth_key(key_scope(association), key_id, &secret)
            .map_err(|e| convert::error(py, e))
    }

    /// Makes `key_id` the key that authenticates what is sent.
    #[pyo3(signature = (key_id, association = None))]
    fn set_active_auth_key(
        &mut self,
        py: Python<'_>,
        key_id: u16,
        association: Option<u64>,
    ) -> PyResult<()> {
        self.inner
            .set_active_auth_key(key_scope(association), key_id)
            .map_err(|e| convert::error(py, e))
    }

    /// The key that authenticates what is sent.
    #[pyo3(signature = (association = None))]
    fn active_auth_key(&self, py: Python<'_>, association: Option<u64>) -> PyResult<u16> {
        self.inner
            .active_auth_key(key_scope(association))
            .map_err(|e| convert::error(py, e))
    }

    /// Stops sending with `key_id` (RFC 6458 §8.3.4).
    #[pyo3(signature = (key_id, association = None))]
    fn deactivate_auth_key(
        &mut self,
        py: Python<'_>,
        key_id: u16,
        association: Option<u64>,
    ) -> PyResult<()> {
        self.inner
            .deactivate_auth_key(key_scope(association), key_id)
            .map_err(|e| convert::error(py, e))
    }

    /// Deletes a deactivated key (RFC 6458 §8.3.5).
    #[pyo3(signature = (key_id, association = None))]
    fn delete_auth_key(
        &mut self,
        py: Python<'_>,
        key_id: u16,
        association: Option<u64>,
    ) -> PyResult<()> {
        self.inner
            .delete_auth_key(key_scope(association), key_id)
            .map_err(|e| convert::error(py, e))
    }

    /// Chunk types the peer wants authenticated.
    fn peer_auth_chunks(&self, py: Python<'_>, association: u64) -> PyResult<Vec<u16>> {
        chunk_types(py, self.inner.peer_auth_chunks(id(association)))
    }

    /// Chunk types this side accepts only authenticated.
    fn local_auth_chunks(&self, py: Python<'_>, association: u64) -> PyResult<Vec<u16>> {
        chunk_types(py, self.inner.local_auth_chunks(id(association)))
    }

    /// Adds an IP address (a str) of this host at run time (RFC 5061).
    fn add_local_address(
        &mut self,
        py: Python<'_>,
        now: f64,
        address: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.address_command(py, now, address, anysctp::Endpoint::add_local_address)
    }

    /// Removes an IP address of this host at run time (RFC 5061).
    fn remove_local_address(
        &mut self,
        py: Python<'_>,
        now: f64,
        address: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.address_command(py, now, address, anysctp::Endpoint::remove_local_address)
    }

    /// This endpoint's own IP addresses.
    #[getter]
    fn local_addresses(&self) -> Vec<String> {
        self.inner
            .local_addresses()
            .iter()
            .map(|ip| ip.to_string())
            .collect()
    }

    /// Whether address changes are sent to peers as ASCONFs.
    #[getter]
    fn auto_asconf(&self) -> bool {
        self.inner.auto_asconf()
    }

    #[setter]
    fn set_auto_asconf(&mut self, on: bool) {
        self.inner.set_auto_asconf(on);
    }

    /// Asks the peer to send to our IP `address` by preference (RFC 5061).
    fn set_peer_primary(
        &mut self,
        py: Python<'_>,
        now: f64,
        association: u64,
        address: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let now = instant(now)?;
        let ip = convert::ip_addr(address)?;
        self.inner
            .set_peer_primary(now, id(association), ip)
            .map_err(|e| convert::error(py, e))
    }
}
