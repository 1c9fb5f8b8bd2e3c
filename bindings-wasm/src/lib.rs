//! wasm-bindgen shell over the anysctp core: the raw sans-IO endpoint that
//! the package's JavaScript layer (`bindings-js/lib`) builds its API on. The
//! core has no clock and no randomness of its own: the JavaScript side passes
//! `performance.now()` and a seed from `crypto.getRandomValues`. Errors are
//! thrown as `"[CODE] message"`; the JavaScript layer maps the codes.

#[path = "../../bindings-js/common.rs"]
#[allow(dead_code)]
mod common;

use bytes::Bytes;
use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

fn js(e: String) -> JsValue {
    js_sys::Error::new(&e).into()
}

fn set(o: &Object, k: &str, v: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

/// Parses one SCTP packet (checksum, framing); JSON text, see `common.rs`.
#[wasm_bindgen(js_name = parsePacket)]
pub fn parse_packet(data: &[u8]) -> Result<String, JsValue> {
    common::parse_packet_json(data).map_err(js)
}

/// `{data, meta, texts, more}` (see `common::Batch`): one crossing for many
/// datagrams or events; undefined when there is none.
fn batch(b: &common::Batch) -> JsValue {
    if b.is_empty() {
        return JsValue::UNDEFINED;
    }
    let o = Object::new();
    set(&o, "data", Uint8Array::from(&b.data[..]).into());
    set(&o, "meta", Float64Array::from(&b.meta[..]).into());
    let texts = Array::new();
    for t in &b.texts {
        texts.push(&JsValue::from_str(t));
    }
    set(&o, "texts", texts.into());
    set(&o, "more", b.more.into());
    o.into()
}

/// The raw sans-IO endpoint.
#[wasm_bindgen]
pub struct RawEndpoint {
    host: common::Host,
}

#[wasm_bindgen]
impl RawEndpoint {
    /// A new endpoint; `options` is the flat list described in `common.rs`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        port: u32,
        accept_incoming: bool,
        max_associations: u32,
        options: Vec<f64>,
        seed: &[u8],
    ) -> Result<RawEndpoint, JsValue> {
        let host = common::Host::new(port, accept_incoming, max_associations, &options, seed)
            .map_err(js)?;
        Ok(Self { host })
    }

    /// Starts an association; returns its id.
    pub fn connect(
        &mut self,
        now: f64,
        remotes: Vec<String>,
        port: u32,
        options: Vec<f64>,
    ) -> Result<f64, JsValue> {
        self.host.connect(now, &remotes, port, &options).map_err(js)
    }

    /// Feeds a received datagram.
    #[wasm_bindgen(js_name = handleDatagram)]
    pub fn handle_datagram(&mut self, now: f64, from: &str, data: &[u8]) -> Result<(), JsValue> {
        self.host
            .handle_datagram(now, from, Bytes::copy_from_slice(data))
            .map_err(js)
    }

    /// The next datagram to send: `{destination, data}` or undefined.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self, now: f64) -> Result<JsValue, JsValue> {
        match self.host.poll_transmit(now).map_err(js)? {
            None => Ok(JsValue::UNDEFINED),
            Some((dst, b)) => {
                let o = Object::new();
                set(&o, "destination", JsValue::from_str(&dst.to_string()));
                set(&o, "data", Uint8Array::from(b).into());
                Ok(o.into())
            }
        }
    }

    /// Feeds datagrams (an array of Uint8Array) from one address, in order;
    /// each is copied once, straight into memory the core owns.
    #[wasm_bindgen(js_name = handleDatagrams)]
    pub fn handle_datagrams(
        &mut self,
        now: f64,
        from: &str,
        datagrams: Array,
    ) -> Result<(), JsValue> {
        if !datagrams.iter().all(|d| d.is_instance_of::<Uint8Array>()) {
            return Err(js(
                "[ERR_INVALID_ARG_TYPE] datagrams must be Uint8Arrays".into()
            ));
        }
        let list = datagrams
            .iter()
            .map(|d| Bytes::from(Uint8Array::unchecked_from_js(d).to_vec()));
        self.host.handle_datagrams(now, from, list).map_err(js)
    }

    /// Every datagram ready now, in one batch.
    #[wasm_bindgen(js_name = pollTransmits)]
    pub fn poll_transmits(&mut self, now: f64) -> Result<JsValue, JsValue> {
        Ok(batch(self.host.poll_transmits(now).map_err(js)?))
    }

    /// Every pending event, in one batch.
    #[wasm_bindgen(js_name = pollEvents)]
    pub fn poll_events(&mut self) -> JsValue {
        batch(self.host.poll_events())
    }

    /// The next deadline (milliseconds), or undefined.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&mut self) -> Option<f64> {
        self.host.poll_timeout()
    }

    /// Runs due timers.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), JsValue> {
        self.host.handle_timeout(now).map_err(js)
    }

    /// The next event (a plain object) or undefined.
    #[wasm_bindgen(js_name = pollEvent)]
    pub fn poll_event(&mut self) -> JsValue {
        let Some(f) = self.host.poll_event() else {
            return JsValue::UNDEFINED;
        };
        let o = Object::new();
        set(&o, "id", f.id.into());
        set(&o, "type", JsValue::from_str(f.kind));
        set(&o, "stream", f.stream.into());
        set(&o, "ppid", f.ppid.into());
        set(&o, "unordered", f.unordered.into());
        if let Some(d) = f.data {
            set(&o, "data", Uint8Array::from(&d[..]).into());
        }
        if let Some(t) = f.text {
            set(&o, "text", JsValue::from_str(&t));
        }
        if let Some(c) = f.code {
            set(&o, "code", JsValue::from_str(c));
        }
        set(&o, "outboundStreams", f.outbound_streams.into());
        set(&o, "inboundStreams", f.inbound_streams.into());
        o.into()
    }

    /// Queues a message. `lifetime` (ms) and `max_retransmits` are negative when unset.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: f64,
        id: f64,
        stream: u32,
        data: &[u8],
        ppid: u32,
        unordered: bool,
        lifetime: f64,
        max_retransmits: f64,
    ) -> Result<(), JsValue> {
        let lifetime = (lifetime >= 0.0).then_some(lifetime);
        let max_rtx = if max_retransmits >= 0.0 {
            Some(if max_retransmits > u32::MAX as f64 {
                u32::MAX
            } else {
                max_retransmits as u32
            })
        } else {
            None
        };
        self.host
            .send(
                now,
                id,
                stream,
                Bytes::copy_from_slice(data),
                ppid,
                unordered,
                lifetime,
                max_rtx,
            )
            .map_err(js)
    }

    /// Graceful shutdown.
    pub fn shutdown(&mut self, now: f64, id: f64) -> Result<(), JsValue> {
        self.host.shutdown(now, id).map_err(js)
    }

    /// Abort with a reason.
    pub fn abort(&mut self, now: f64, id: f64, reason: &str) -> Result<(), JsValue> {
        self.host.abort(now, id, reason).map_err(js)
    }

    /// Bytes queued and not yet sent, or undefined for an unknown association.
    #[wasm_bindgen(js_name = bufferedAmount)]
    pub fn buffered_amount(&self, id: f64) -> Result<Option<f64>, JsValue> {
        self.host.buffered_amount(id).map_err(js)
    }

    /// Sets the buffered-amount low-water mark.
    #[wasm_bindgen(js_name = setBufferedAmountLowThreshold)]
    pub fn set_buffered_amount_low_threshold(&mut self, id: f64, n: f64) -> Result<(), JsValue> {
        self.host
            .set_buffered_amount_low_threshold(id, n)
            .map_err(js)
    }

    /// The RFC name of the association's state, or undefined.
    pub fn state(&self, id: f64) -> Result<Option<String>, JsValue> {
        Ok(self.host.state(id).map_err(js)?.map(str::to_string))
    }

    /// Statistics as JSON text, or undefined.
    pub fn stats(&self, id: f64) -> Result<Option<String>, JsValue> {
        Ok(self
            .host
            .stats(id)
            .map_err(js)?
            .map(|s| common::stats_json(&s)))
    }

    /// Association ids.
    pub fn associations(&self) -> Vec<f64> {
        self.host.associations()
    }

    /// Peer transport addresses, or undefined.
    #[wasm_bindgen(js_name = peerAddresses)]
    pub fn peer_addresses(&self, id: f64) -> Result<Option<Vec<String>>, JsValue> {
        self.host.peer_addresses(id).map_err(js)
    }

    /// Makes `addr` the primary path.
    #[wasm_bindgen(js_name = setPrimary)]
    pub fn set_primary(&mut self, id: f64, addr: &str) -> Result<(), JsValue> {
        self.host.set_primary(id, addr).map_err(js)
    }

    /// Resets `streams` (RFC 6525) in `direction`: "outgoing", "incoming" or "both".
    #[wasm_bindgen(js_name = resetStreams)]
    pub fn reset_streams(
        &mut self,
        now: f64,
        id: f64,
        streams: Vec<u32>,
        direction: &str,
    ) -> Result<(), JsValue> {
        self.host
            .reset_streams(now, id, &streams, direction)
            .map_err(js)
    }

    /// Resets the association's TSNs and sequence numbers (RFC 6525 SSN/TSN Reset).
    #[wasm_bindgen(js_name = resetAssociation)]
    pub fn reset_association(&mut self, now: f64, id: f64) -> Result<(), JsValue> {
        self.host.reset_association(now, id).map_err(js)
    }

    /// Asks for `n` more outbound and `incoming` more inbound streams.
    #[wasm_bindgen(js_name = addStreams)]
    pub fn add_streams(&mut self, now: f64, id: f64, n: u32, incoming: u32) -> Result<(), JsValue> {
        self.host.add_streams(now, id, n, incoming).map_err(js)
    }

    /// Which re-configuration requests of the peer are accepted.
    #[wasm_bindgen(js_name = setReconfigPolicy)]
    pub fn set_reconfig_policy(
        &mut self,
        id: f64,
        accept_stream_reset: bool,
        accept_add_streams: bool,
        max_outbound_streams: u32,
        accept_ssn_tsn_reset: bool,
    ) -> Result<(), JsValue> {
        self.host
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
    #[wasm_bindgen(js_name = authKey)]
    pub fn auth_key(
        &mut self,
        op: &str,
        id: f64,
        key_id: u32,
        secret: &[u8],
    ) -> Result<f64, JsValue> {
        self.host.auth_key(op, id, key_id, secret).map_err(js)
    }

    /// Chunk types the peer (`peer`) or we require authenticated.
    #[wasm_bindgen(js_name = authChunks)]
    pub fn auth_chunks(&self, id: f64, peer: bool) -> Result<Vec<u32>, JsValue> {
        self.host.auth_chunks(id, peer).map_err(js)
    }

    /// Adds (`add`) or removes one of this host's IP addresses.
    #[wasm_bindgen(js_name = localAddress)]
    pub fn local_address(&mut self, now: f64, add: bool, ip: &str) -> Result<(), JsValue> {
        self.host.local_address(now, add, ip).map_err(js)
    }

    /// This endpoint's own IP addresses.
    #[wasm_bindgen(js_name = localAddresses)]
    pub fn local_addresses(&self) -> Vec<String> {
        self.host.local_addresses()
    }

    /// Sets auto-ASCONF when `on` is given; returns the setting.
    #[wasm_bindgen(js_name = autoAsconf)]
    pub fn auto_asconf(&mut self, on: Option<bool>) -> bool {
        self.host.auto_asconf(on)
    }

    /// Asks the peer to send to our `ip` by preference.
    #[wasm_bindgen(js_name = setPeerPrimary)]
    pub fn set_peer_primary(&mut self, now: f64, id: f64, ip: &str) -> Result<(), JsValue> {
        self.host.set_peer_primary(now, id, ip).map_err(js)
    }
}
