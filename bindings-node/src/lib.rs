//! napi-rs shell over the anysctp core: the raw sans-IO endpoint that the
//! package's JavaScript layer (`bindings-js/lib`) builds its API on. Errors
//! are thrown as `"[CODE] message"`; the JavaScript layer maps the codes to
//! TypeError / RangeError / Error with `.code`.

#![deny(clippy::all)]

#[path = "../../bindings-js/common.rs"]
#[allow(dead_code)]
mod common;

use bytes::Bytes;
use std::cell::{RefCell, RefMut};
use std::rc::Rc;

use napi::bindgen_prelude::{Buffer, BufferSlice, External, Float64ArraySlice, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

fn js(e: String) -> Error {
    Error::new(Status::GenericFailure, e)
}

/// Parses one SCTP packet (checksum, framing); JSON text, see `common.rs`.
#[napi]
pub fn parse_packet(data: Uint8Array) -> Result<String> {
    common::parse_packet_json(&data).map_err(js)
}

/// A datagram to send.
#[napi(object)]
pub struct RawTransmit {
    /// `"ip:port"` of the peer.
    pub destination: String,
    /// The SCTP packet.
    pub data: Buffer,
}

/// An event, flattened; the JavaScript layer gives it its final shape.
#[napi(object)]
pub struct RawEvent {
    /// Association id.
    pub id: f64,
    /// Event kind.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Stream id.
    pub stream: u32,
    /// PPID.
    pub ppid: u32,
    /// Unordered flag.
    pub unordered: bool,
    /// Payload.
    pub data: Option<Buffer>,
    /// Text (reason, address).
    pub text: Option<String>,
    /// Short code.
    pub code: Option<String>,
    /// Negotiated outbound streams.
    pub outbound_streams: u32,
    /// Negotiated inbound streams.
    pub inbound_streams: u32,
}

/// Many datagrams or events in one crossing (see `common::Batch`), copied
/// into memory JavaScript owns: a plain Buffer and a Float64Array, no
/// external memory and no finalizer to run per batch.
#[napi(object)]
pub struct RawBatch<'env> {
    /// Packets or payloads, back to back.
    pub data: BufferSlice<'env>,
    /// Numbers per item: `common::TRANSMIT_STRIDE` or `common::EVENT_STRIDE`.
    pub meta: Float64ArraySlice<'env>,
    /// Destinations, or codes and texts.
    pub texts: Vec<String>,
    /// More may be waiting.
    pub more: bool,
}

fn raw_batch<'env>(env: &'env Env, b: &common::Batch) -> Result<Option<RawBatch<'env>>> {
    if b.is_empty() {
        return Ok(None);
    }
    Ok(Some(RawBatch {
        data: BufferSlice::copy_from(env, &b.data)?,
        meta: Float64ArraySlice::copy_from(env, &b.meta)?,
        texts: b.texts.clone(),
        more: b.more,
    }))
}

/// The raw sans-IO endpoint.
#[napi]
pub struct RawEndpoint {
    host: Shared,
}

/// The host, shared by the class and its [`Handle`].
type Shared = Rc<RefCell<common::Host>>;

/// The endpoint for the hot free functions (`raw*` below): a napi-rs class
/// method pays for its `this` bookkeeping on every call (~0.5 µs, measured
/// with an empty method), a free function taking an External does not.
pub type Handle = External<Shared>;

fn borrow(h: &Shared) -> Result<RefMut<'_, common::Host>> {
    h.try_borrow_mut().map_err(|_| {
        js("[ERR_SCTP_REENTRANT] the endpoint is already in a call (called from inside one of its own calls)".into())
    })
}

#[napi]
impl RawEndpoint {
    /// A new endpoint; `options` is the flat list described in `common.rs`.
    #[napi(constructor)]
    pub fn new(
        port: u32,
        accept_incoming: bool,
        max_associations: u32,
        options: Vec<f64>,
        seed: Uint8Array,
    ) -> Result<Self> {
        let host = common::Host::new(port, accept_incoming, max_associations, &options, &seed)
            .map_err(js)?;
        Ok(Self {
            host: Rc::new(RefCell::new(host)),
        })
    }

    /// The handle the hot free functions take (see [`Handle`]).
    #[napi]
    pub fn handle(&self) -> Handle {
        External::new(self.host.clone())
    }

    /// Starts an association; returns its id.
    #[napi]
    pub fn connect(
        &mut self,
        now: f64,
        remotes: Vec<String>,
        port: u32,
        options: Vec<f64>,
    ) -> Result<f64> {
        borrow(&self.host)?
            .connect(now, &remotes, port, &options)
            .map_err(js)
    }

    /// The next datagram to send.
    #[napi]
    pub fn poll_transmit(&mut self, now: f64) -> Result<Option<RawTransmit>> {
        Ok(borrow(&self.host)?
            .poll_transmit(now)
            .map_err(js)?
            .map(|(dst, b)| RawTransmit {
                destination: dst.to_string(),
                data: Buffer::from(b.to_vec()),
            }))
    }

    /// The next event.
    #[napi]
    pub fn poll_event(&mut self) -> Result<Option<RawEvent>> {
        Ok(borrow(&self.host)?.poll_event().map(|f| RawEvent {
            id: f.id,
            kind: f.kind.to_string(),
            stream: f.stream,
            ppid: f.ppid,
            unordered: f.unordered,
            data: f.data.map(|d| Buffer::from(d.to_vec())),
            text: f.text,
            code: f.code.map(str::to_string),
            outbound_streams: f.outbound_streams,
            inbound_streams: f.inbound_streams,
        }))
    }

    /// Graceful shutdown.
    #[napi]
    pub fn shutdown(&mut self, now: f64, id: f64) -> Result<()> {
        borrow(&self.host)?.shutdown(now, id).map_err(js)
    }

    /// Abort with a reason.
    #[napi]
    pub fn abort(&mut self, now: f64, id: f64, reason: String) -> Result<()> {
        borrow(&self.host)?.abort(now, id, &reason).map_err(js)
    }

    /// Bytes queued and not yet sent, or null for an unknown association.
    #[napi]
    pub fn buffered_amount(&self, id: f64) -> Result<Option<f64>> {
        borrow(&self.host)?.buffered_amount(id).map_err(js)
    }

    /// Sets the buffered-amount low-water mark.
    #[napi]
    pub fn set_buffered_amount_low_threshold(&mut self, id: f64, n: f64) -> Result<()> {
        borrow(&self.host)?
            .set_buffered_amount_low_threshold(id, n)
            .map_err(js)
    }

    /// The RFC name of the association's state, or null.
    #[napi]
    pub fn state(&self, id: f64) -> Result<Option<String>> {
        Ok(borrow(&self.host)?
            .state(id)
            .map_err(js)?
            .map(str::to_string))
    }

    /// Statistics as JSON text, or null.
    #[napi]
    pub fn stats(&self, id: f64) -> Result<Option<String>> {
        Ok(borrow(&self.host)?
            .stats(id)
            .map_err(js)?
            .map(|s| common::stats_json(&s)))
    }

    /// Association ids.
    #[napi]
    pub fn associations(&self) -> Result<Vec<f64>> {
        Ok(borrow(&self.host)?.associations())
    }

    /// Peer transport addresses, or null.
    #[napi]
    pub fn peer_addresses(&self, id: f64) -> Result<Option<Vec<String>>> {
        borrow(&self.host)?.peer_addresses(id).map_err(js)
    }

    /// Makes `addr` the primary path.
    #[napi]
    pub fn set_primary(&mut self, id: f64, addr: String) -> Result<()> {
        borrow(&self.host)?.set_primary(id, &addr).map_err(js)
    }

    /// Resets `streams` (RFC 6525) in `direction`: "outgoing", "incoming" or "both".
    #[napi]
    pub fn reset_streams(
        &mut self,
        now: f64,
        id: f64,
        streams: Vec<u32>,
        direction: String,
    ) -> Result<()> {
        borrow(&self.host)?
            .reset_streams(now, id, &streams, &direction)
            .map_err(js)
    }

    /// Resets the association's TSNs and sequence numbers (RFC 6525 SSN/TSN Reset).
    #[napi]
    pub fn reset_association(&mut self, now: f64, id: f64) -> Result<()> {
        borrow(&self.host)?.reset_association(now, id).map_err(js)
    }

    /// Asks for `n` more outbound and `incoming` more inbound streams.
    #[napi]
    pub fn add_streams(&mut self, now: f64, id: f64, n: u32, incoming: u32) -> Result<()> {
        borrow(&self.host)?
            .add_streams(now, id, n, incoming)
            .map_err(js)
    }

    /// Which re-configuration requests of the peer are accepted.
    #[napi]
    pub fn set_reconfig_policy(
        &mut self,
        id: f64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u32,
        accept_ssn_tsn_reset: bool,
    ) -> Result<()> {
        borrow(&self.host)?
            .set_reconfig_policy(
                id,
                accept_stream_reset,
                accept_add_streams,
                max_outbound_streams,
                accept_ssn_tsn_reset,
            )
            .map_err(js)
    }

    /// An SCTP-AUTH key command (see `common::Host::auth_key`).
    #[napi]
    pub fn auth_key(&mut self, op: String, id: f64, key_id: u32, secret: &[u8]) -> Result<f64> {
        borrow(&self.host)?
            .auth_key(&op, id, key_id, secret)
            .map_err(js)
    }

    /// Chunk types the peer (`peer`) or we require authenticated.
    #[napi]
    pub fn auth_chunks(&self, id: f64, peer: bool) -> Result<Vec<u32>> {
        borrow(&self.host)?.auth_chunks(id, peer).map_err(js)
    }

    /// Adds (`add`) or removes one of this host's IP addresses.
    #[napi]
    pub fn local_address(&mut self, now: f64, add: bool, ip: String) -> Result<()> {
        borrow(&self.host)?.local_address(now, add, &ip).map_err(js)
    }

    /// This endpoint's own IP addresses.
    #[napi]
    pub fn local_addresses(&self) -> Result<Vec<String>> {
        Ok(borrow(&self.host)?.local_addresses())
    }

    /// Sets auto-ASCONF when `on` is given; returns the setting.
    #[napi]
    pub fn auto_asconf(&mut self, on: Option<bool>) -> Result<bool> {
        Ok(borrow(&self.host)?.auto_asconf(on))
    }

    /// Asks the peer to send to our `ip` by preference.
    #[napi]
    pub fn set_peer_primary(&mut self, now: f64, id: f64, ip: String) -> Result<()> {
        borrow(&self.host)?
            .set_peer_primary(now, id, &ip)
            .map_err(js)
    }
}

// The hot calls, only as free functions on a [`Handle`]: the package's
// JavaScript (native.js) gives its RawEndpoint methods of these names
// (send, handleDatagram(s), pollTransmits, pollEvents, pollTimeout,
// handleTimeout) that call them.

/// Queues a message. `lifetime` (ms) and `max_retransmits` are negative when unset.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn raw_send(
    h: &Handle,
    now: f64,
    id: f64,
    stream: u32,
    data: &[u8],
    ppid: u32,
    unordered: bool,
    lifetime: f64,
    max_retransmits: f64,
) -> Result<()> {
    let data = Bytes::copy_from_slice(data);
    let (lifetime, max_rtx) = send_limits(lifetime, max_retransmits);
    borrow(h)?
        .send(now, id, stream, data, ppid, unordered, lifetime, max_rtx)
        .map_err(js)
}

/// Feeds a received datagram.
#[napi]
pub fn raw_handle_datagram(h: &Handle, now: f64, from: String, data: &[u8]) -> Result<()> {
    let data = Bytes::copy_from_slice(data);
    borrow(h)?.handle_datagram(now, &from, data).map_err(js)
}

/// Feeds datagrams from one address, in order (the output between them is
/// collected, see `common::Host::handle_datagrams`).
#[napi]
pub fn raw_handle_datagrams(
    h: &Handle,
    now: f64,
    from: String,
    datagrams: Vec<&[u8]>,
) -> Result<()> {
    let list = datagrams.iter().map(|d| Bytes::copy_from_slice(d));
    borrow(h)?.handle_datagrams(now, &from, list).map_err(js)
}

/// Every datagram ready now, in one batch; null when there is none.
#[napi]
pub fn raw_poll_transmits<'env>(
    env: &'env Env,
    h: &Handle,
    now: f64,
) -> Result<Option<RawBatch<'env>>> {
    let mut host = borrow(h)?;
    raw_batch(env, host.poll_transmits(now).map_err(js)?)
}

/// Every pending event, in one batch; null when there is none.
#[napi]
pub fn raw_poll_events<'env>(env: &'env Env, h: &Handle) -> Result<Option<RawBatch<'env>>> {
    let mut host = borrow(h)?;
    raw_batch(env, host.poll_events())
}

/// The next deadline (milliseconds), or null.
#[napi]
pub fn raw_poll_timeout(h: &Handle) -> Result<Option<f64>> {
    Ok(borrow(h)?.poll_timeout())
}

/// Runs due timers.
#[napi]
pub fn raw_handle_timeout(h: &Handle, now: f64) -> Result<()> {
    borrow(h)?.handle_timeout(now).map_err(js)
}

/// `lifetime` (ms) and `max_retransmits` of a send: negative when unset.
fn send_limits(lifetime: f64, max_retransmits: f64) -> (Option<f64>, Option<u32>) {
    let lifetime = (lifetime >= 0.0).then_some(lifetime);
    // `as` saturates: above u32::MAX gives u32::MAX.
    let max_rtx = (max_retransmits >= 0.0).then_some(max_retransmits as u32);
    (lifetime, max_rtx)
}
