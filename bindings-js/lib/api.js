// The one JavaScript API of anysctp, shared by the Node (napi) and the
// WebAssembly packages. Each package calls createApi() with its raw endpoint
// class and a few platform hooks; nothing here knows which build it runs on.
// No protocol logic: this file converts arguments, maps errors, drives the
// sans-IO endpoint (datagrams, timers, events) and offers the
// RTCDataChannel-style Association.

const DEFAULT_UDP_PORT = 9899; // RFC 6951 §5.1 suggests 9899 for SCTP over UDP
const DEFAULT_SCTP_PORT = 5000;
const PPID_BINARY = 53; // RFC 8831 §8: WebRTC Binary
const PPID_STRING = 51; // RFC 8831 §8: WebRTC String
/** Placeholder transport address for single-path transports (WebSocket, MessagePort, memory). */
export const SINGLE_PATH_ADDRESS = "192.0.2.1:9899";

const OPTION_NAMES = [
  "outboundStreams", "maxInboundStreams", "rtoInitial", "rtoMin", "rtoMax",
  "maxInitRetransmits", "maxAssociationRetransmits", "heartbeatInterval", "sackDelay",
  "mtu", "maxMessageSize", "receiveBuffer", "sendBuffer", "nodelay", "iData",
  "partialReliability", "maxPathRetransmits", "pfMaxRetrans",
  "maxInitTimeout", "asconf", "reconfig",
];
const BOOL_OPTIONS = new Set(["nodelay", "iData", "partialReliability", "asconf", "reconfig"]);
const HMAC_IDS = { sha1: 1, sha256: 3 }; // RFC 4895 §3.3

const RANGE_CODES = new Set([
  "ERR_OUT_OF_RANGE", "ERR_SCTP_INVALID_STREAM", "ERR_SCTP_MESSAGE_TOO_LARGE",
  "ERR_SCTP_INVALID_CONFIG", "ERR_SCTP_TOO_MANY_ASSOCIATIONS", "ERR_SCTP_INVALID_RECONFIG",
]);
const TYPE_CODES = new Set(["ERR_INVALID_ARG_VALUE", "ERR_INVALID_ARG_TYPE", "ERR_SCTP_EMPTY_MESSAGE", "ERR_SCTP_INVALID_ADDRESS"]);

/** Turns a "[CODE] message" from the core into TypeError / RangeError / Error with .code. */
function mapError(e) {
  const text = e && typeof e.message === "string" ? e.message : String(e);
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(text);
  if (!m) return e;
  const [, code, message] = m;
  const Cls = RANGE_CODES.has(code) ? RangeError : TYPE_CODES.has(code) ? TypeError : Error;
  const err = new Cls(message);
  err.code = code;
  return err;
}

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw mapError(e);
  }
}

function typeError(code, message) {
  const e = new TypeError(message);
  e.code = code;
  return e;
}
function rangeError(message) {
  const e = new RangeError(message);
  e.code = "ERR_OUT_OF_RANGE";
  return e;
}

function checkNumber(name, v) {
  if (typeof v !== "number" || Number.isNaN(v)) throw typeError("ERR_INVALID_ARG_TYPE", `${name} must be a number, got ${describe(v)}`);
}
function checkInt(name, v, min, max) {
  checkNumber(name, v);
  if (!Number.isInteger(v) || v < min || v > max) throw rangeError(`${name} must be an integer between ${min} and ${max}, got ${v}`);
}
function checkString(name, v) {
  if (typeof v !== "string") throw typeError("ERR_INVALID_ARG_TYPE", `${name} must be a string, got ${describe(v)}`);
}
function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? `an instance of ${v.constructor ? v.constructor.name : "Object"}` : `${typeof v} ${String(v)}`;
}
function checkObject(name, v) {
  if (v !== undefined && (v === null || typeof v !== "object")) throw typeError("ERR_INVALID_ARG_TYPE", `${name} must be an object, got ${describe(v)}`);
}

const encoder = new TextEncoder();
function toBytes(name, data) {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw typeError("ERR_INVALID_ARG_TYPE", `${name} must be a Uint8Array, ArrayBuffer, ArrayBufferView or string, got ${describe(data)}`);
}

/** Association options to the flat list the raw endpoint takes (NaN = default). */
function flatOptions(o) {
  checkObject("options", o);
  const v = new Array(OPTION_NAMES.length).fill(NaN);
  if (!o) return v;
  OPTION_NAMES.forEach((k, i) => {
    const x = o[k];
    if (x === undefined) return;
    if (BOOL_OPTIONS.has(k)) {
      if (typeof x !== "boolean") throw typeError("ERR_INVALID_ARG_TYPE", `options.${k} must be a boolean, got ${describe(x)}`);
      v[i] = x ? 1 : 0;
    } else if (k === "heartbeatInterval" && x === null) {
      v[i] = 0;
    } else if (k === "pfMaxRetrans" && x === null) {
      v[i] = -1;
    } else {
      checkNumber(`options.${k}`, x);
      v[i] = x;
    }
  });
  return v.concat(flatAuth(o.auth));
}

/** options.auth (SCTP-AUTH, RFC 4895) to the flat tail: [count of HMAC ids, ids..., chunk types...]. */
function flatAuth(auth) {
  if (auth === undefined || auth === null || auth === false) return [NaN];
  if (auth === true) auth = {};
  checkObject("options.auth", auth);
  const hmacs = auth.hmacAlgorithms ?? ["sha256", "sha1"];
  const chunks = auth.chunks ?? [];
  if (!Array.isArray(hmacs)) throw typeError("ERR_INVALID_ARG_TYPE", `options.auth.hmacAlgorithms must be an array, got ${describe(hmacs)}`);
  if (!Array.isArray(chunks)) throw typeError("ERR_INVALID_ARG_TYPE", `options.auth.chunks must be an array of chunk types, got ${describe(chunks)}`);
  const ids = hmacs.map((h, i) => {
    if (!(h in HMAC_IDS)) throw typeError("ERR_INVALID_ARG_VALUE", `options.auth.hmacAlgorithms[${i}] must be "sha1" or "sha256", got ${describe(h)}`);
    return HMAC_IDS[h];
  });
  if (ids.length > 2) throw rangeError("options.auth.hmacAlgorithms lists each algorithm once");
  chunks.forEach((t, i) => checkInt(`options.auth.chunks[${i}]`, t, 0, 255));
  return [ids.length, ...ids, ...chunks];
}

const decoder = new TextDecoder();
function streamIds(data) {
  const out = [];
  for (let i = 0; data && i + 1 < data.length; i += 2) out.push((data[i] << 8) | data[i + 1]);
  return out;
}

function eventFromRaw(r) {
  const association = r.id;
  switch (r.type) {
    case "open": return { type: "open", association, outboundStreams: r.outboundStreams, inboundStreams: r.inboundStreams };
    case "message": return { type: "message", association, stream: r.stream, ppid: r.ppid, unordered: r.unordered, data: r.data };
    case "sendfailed": return { type: "sendfailed", association, stream: r.stream, ppid: r.ppid, reason: r.code, data: r.data };
    case "error": return { type: "error", association, message: r.text ?? "" };
    case "peeraddresschange": return { type: "peeraddresschange", association, address: r.text ?? "", state: r.code };
    case "close": return { type: "close", association, reason: r.code, message: r.text ?? "" };
    case "streamsreset": return { type: "streamsreset", association, direction: r.code, streams: streamIds(r.data), result: r.text };
    case "streamsadded": return { type: "streamsadded", association, outboundStreams: r.outboundStreams, inboundStreams: r.inboundStreams, result: r.text };
    case "associationreset": return { type: "associationreset", association, localTsn: r.stream, remoteTsn: r.ppid, result: r.text };
    case "authentication": return { type: "authentication", association, keyId: r.stream, indication: r.code };
    case "addressrequestresult": {
      const [request, address] = (r.text ?? "").split(" ");
      return { type: "addressrequestresult", association, request, address: address ?? "", outcome: r.code, causeCode: r.code === "refused" ? r.ppid : null, reason: r.data ? decoder.decode(r.data) : "" };
    }
    default: return { type: r.type, association };
  }
}

// Batches from the raw endpoint (common.rs): the same kinds and strides.
const EVENT_KINDS = ["open", "restart", "message", "sendfailed", "error", "peeraddresschange", "shutdown", "senderdry", "bufferedamountlow", "close", "other", "streamsreset", "streamsadded", "authentication", "addressrequestresult", "associationreset"];
const EVENT_STRIDE = 8;
const TRANSMIT_STRIDE = 2;

/** A plain Uint8Array over the same bytes (the napi shell hands out Buffers, whose subarray is slower). */
function plainBytes(d) {
  return d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Appends the events of one raw batch to `out`; payloads are views into the batch's buffer. */
function eventsFromBatch(b, out) {
  const { meta, texts } = b;
  const data = plainBytes(b.data);
  let start = 0;
  for (let i = 0; i < meta.length; i += EVENT_STRIDE) {
    const type = EVENT_KINDS[meta[i]] ?? "other", association = meta[i + 1], end = meta[i + 5];
    const x = meta[i + 6], y = meta[i + 7];
    switch (type) {
      case "message": out.push({ type, association, stream: meta[i + 2], ppid: meta[i + 3], unordered: meta[i + 4] === 1, data: data.subarray(start, end) }); break;
      case "open": out.push({ type, association, outboundStreams: x, inboundStreams: y }); break;
      case "sendfailed": out.push({ type, association, stream: meta[i + 2], ppid: meta[i + 3], reason: texts[x], data: data.subarray(start, end) }); break;
      case "error": out.push({ type, association, message: texts[y] ?? "" }); break;
      case "peeraddresschange": out.push({ type, association, address: texts[y] ?? "", state: texts[x] }); break;
      case "close": out.push({ type, association, reason: texts[x], message: texts[y] ?? "" }); break;
      default:
        // The rarer events: the same fields as the single-event path.
        out.push(eventFromRaw({ type, id: association, stream: meta[i + 2], ppid: meta[i + 3], outboundStreams: meta[i + 2], inboundStreams: meta[i + 3], code: texts[x], text: texts[y], data: end > start ? data.subarray(start, end) : null }));
    }
    start = end;
  }
}

/**
 * Builds the API over a raw endpoint class.
 * platform: { now(): number, randomSeed(): Uint8Array, createUdpSocket?(opts): Promise<DatagramTransport>,
 *             WebSocket?: constructor }
 */
export function createApi(RawEndpoint, platform) {
  const now = platform.now;

  /** Parses one SCTP packet: common header and chunk framing (type, flags, length); throws on a bad checksum or framing. */
  function parsePacket(data) {
    const bytes = toBytes("data", data);
    return JSON.parse(call(() => platform.parsePacket(bytes)));
  }

  class Endpoint {
    #raw;
    constructor(options = {}) {
      checkObject("options", options);
      const port = options.port ?? DEFAULT_SCTP_PORT;
      checkInt("options.port", port, 0, 65535);
      const maxAssociations = options.maxAssociations ?? 65536;
      checkInt("options.maxAssociations", maxAssociations, 1, 0xffffffff);
      const accept = options.acceptIncoming ?? false;
      if (typeof accept !== "boolean") throw typeError("ERR_INVALID_ARG_TYPE", `options.acceptIncoming must be a boolean, got ${describe(accept)}`);
      let seed = options.seed ?? platform.randomSeed();
      if (!(seed instanceof Uint8Array)) throw typeError("ERR_INVALID_ARG_TYPE", `options.seed must be a Uint8Array of 32 bytes, got ${describe(seed)}`);
      if (seed.length !== 32) throw rangeError(`options.seed must be exactly 32 bytes, got ${seed.length}`);
      const flat = flatOptions(options.association);
      this.#raw = call(() => new RawEndpoint(port, accept, maxAssociations, flat, seed));
    }
    connect(now, addresses, options = {}) {
      checkNumber("now", now);
      const list = typeof addresses === "string" ? [addresses] : addresses;
      if (!Array.isArray(list) || list.length === 0) throw typeError("ERR_INVALID_ARG_TYPE", `addresses must be an "ip:port" string or a non-empty array of them, got ${describe(addresses)}`);
      list.forEach((a, i) => checkString(`addresses[${i}]`, a));
      checkObject("options", options);
      const port = options.port ?? DEFAULT_SCTP_PORT;
      checkInt("options.port", port, 0, 65535);
      const flat = flatOptions(options);
      return call(() => this.#raw.connect(now, list, port, flat));
    }
    handleDatagram(now, from, data) {
      checkNumber("now", now);
      checkString("from", from);
      const bytes = toBytes("data", data);
      call(() => this.#raw.handleDatagram(now, from, bytes));
    }
    pollTransmit(now) {
      checkNumber("now", now);
      return call(() => this.#raw.pollTransmit(now)) ?? null;
    }
    /** Many datagrams from one address in one call (same effect as handleDatagram on each, in order). */
    handleDatagrams(now, from, datagrams) {
      checkNumber("now", now);
      checkString("from", from);
      if (!Array.isArray(datagrams)) throw typeError("ERR_INVALID_ARG_TYPE", `datagrams must be an array of Uint8Array, ArrayBuffer or ArrayBufferView, got ${describe(datagrams)}`);
      const n = datagrams.length;
      if (n === 0) return;
      const views = new Array(n);
      for (let i = 0; i < n; i++) {
        const d = datagrams[i];
        views[i] = d instanceof Uint8Array ? d : toBytes(`datagrams[${i}]`, d);
      }
      try { this.#raw.handleDatagrams(now, from, views); } catch (e) { throw mapError(e); }
    }
    /** Every datagram ready to go now, in order; the data are views into one buffer per batch. */
    pollTransmits(now) {
      checkNumber("now", now);
      const out = [];
      for (;;) {
        let b;
        try { b = this.#raw.pollTransmits(now); } catch (e) { throw mapError(e); }
        if (b == null) return out; // none (no batch object is made)
        const { meta, texts } = b;
        const data = plainBytes(b.data);
        let start = 0;
        for (let i = 0; i < meta.length; i += TRANSMIT_STRIDE) {
          const end = meta[i];
          out.push({ destination: texts[meta[i + 1]], data: data.subarray(start, end) });
          start = end;
        }
        if (!b.more) return out;
      }
    }
    pollTimeout() {
      return this.#raw.pollTimeout() ?? null;
    }
    handleTimeout(now) {
      checkNumber("now", now);
      call(() => this.#raw.handleTimeout(now));
    }
    pollEvent() {
      const r = this.#raw.pollEvent();
      return r ? eventFromRaw(r) : null;
    }
    /** Every pending event, in order (an empty array when none); payloads are views into one buffer per batch. */
    pollEvents() {
      const out = [];
      for (;;) {
        const b = this.#raw.pollEvents();
        if (b == null) return out;
        eventsFromBatch(b, out);
        if (!b.more) return out;
      }
    }
    send(now, association, data, options = {}) {
      checkNumber("now", now);
      checkNumber("association", association);
      checkObject("options", options);
      const bytes = toBytes("data", data);
      const stream = options.stream ?? 0;
      checkInt("options.stream", stream, 0, 65535);
      const ppid = options.ppid ?? (typeof data === "string" ? PPID_STRING : PPID_BINARY);
      checkInt("options.ppid", ppid, 0, 0xffffffff);
      const unordered = options.unordered ?? false;
      if (typeof unordered !== "boolean") throw typeError("ERR_INVALID_ARG_TYPE", `options.unordered must be a boolean, got ${describe(unordered)}`);
      const life = options.maxPacketLifeTime ?? -1;
      const rtx = options.maxRetransmits ?? -1;
      if (options.maxPacketLifeTime !== undefined) { checkNumber("options.maxPacketLifeTime", life); if (life < 0) throw rangeError("options.maxPacketLifeTime must not be negative"); }
      if (options.maxRetransmits !== undefined) checkInt("options.maxRetransmits", rtx, 0, 65535);
      try { this.#raw.send(now, association, stream, bytes, ppid, unordered, life, rtx); } catch (e) { throw mapError(e); }
    }
    shutdown(now, association) {
      checkNumber("now", now);
      checkNumber("association", association);
      call(() => this.#raw.shutdown(now, association));
    }
    abort(now, association, reason = "") {
      checkNumber("now", now);
      checkNumber("association", association);
      checkString("reason", reason);
      call(() => this.#raw.abort(now, association, reason));
    }
    stats(association) {
      checkNumber("association", association);
      const s = call(() => this.#raw.stats(association));
      return s == null ? null : JSON.parse(s);
    }
    state(association) {
      checkNumber("association", association);
      return call(() => this.#raw.state(association)) ?? null;
    }
    bufferedAmount(association) {
      checkNumber("association", association);
      return call(() => this.#raw.bufferedAmount(association)) ?? 0;
    }
    setBufferedAmountLowThreshold(association, bytes) {
      checkNumber("association", association);
      checkNumber("bytes", bytes);
      call(() => this.#raw.setBufferedAmountLowThreshold(association, bytes));
    }
    associations() {
      return Array.from(this.#raw.associations());
    }
    peerAddresses(association) {
      checkNumber("association", association);
      const a = call(() => this.#raw.peerAddresses(association));
      return a == null ? null : Array.from(a);
    }
    setPrimary(association, address) {
      checkNumber("association", association);
      checkString("address", address);
      call(() => this.#raw.setPrimary(association, address));
    }
    resetStreams(now, association, streams, options = {}) {
      checkNumber("now", now);
      checkNumber("association", association);
      if (!Array.isArray(streams)) throw typeError("ERR_INVALID_ARG_TYPE", `streams must be an array of stream ids, got ${describe(streams)}`);
      streams.forEach((x, i) => checkInt(`streams[${i}]`, x, 0, 65535));
      checkObject("options", options);
      const { direction = "outgoing" } = options;
      if (!["outgoing", "incoming", "both"].includes(direction))
        throw typeError("ERR_INVALID_ARG_VALUE", `options.direction must be "outgoing", "incoming" or "both", got ${describe(direction)}`);
      call(() => this.#raw.resetStreams(now, association, streams, direction));
    }
    resetAssociation(now, association) {
      checkNumber("now", now);
      checkNumber("association", association);
      call(() => this.#raw.resetAssociation(now, association));
    }
    addStreams(now, association, count, options = {}) {
      checkNumber("now", now);
      checkNumber("association", association);
      checkInt("count", count, 0, 65535);
      checkObject("options", options);
      const { incoming = 0 } = options;
      checkInt("options.incoming", incoming, 0, 65535);
      call(() => this.#raw.addStreams(now, association, count, incoming));
    }
    setReconfigPolicy(association, policy = {}) {
      checkNumber("association", association);
      checkObject("policy", policy);
      const { acceptStreamReset = true, acceptAddStreams = true, maxOutboundStreams = 65535, acceptSsnTsnReset = false } = policy;
      for (const [k, x] of [["acceptStreamReset", acceptStreamReset], ["acceptAddStreams", acceptAddStreams], ["acceptSsnTsnReset", acceptSsnTsnReset]])
        if (typeof x !== "boolean") throw typeError("ERR_INVALID_ARG_TYPE", `policy.${k} must be a boolean, got ${describe(x)}`);
      checkInt("policy.maxOutboundStreams", maxOutboundStreams, 0, 65535);
      call(() => this.#raw.setReconfigPolicy(association, acceptStreamReset, acceptAddStreams, maxOutboundStreams, acceptSsnTsnReset));
    }
    #authKey(op, keyId, association, secret = new Uint8Array(0)) {
      checkInt("keyId", keyId, 0, 65535);
      if (association !== undefined) checkNumber("association", association);
      return call(() => this.#raw.authKey(op, association ?? NaN, keyId, secret));
    }
    setAuthKey(keyId, secret, association) { this.#authKey("set", keyId, association, toBytes("secret", secret)); }
    setActiveAuthKey(keyId, association) { this.#authKey("activate", keyId, association); }
    activeAuthKey(association) { return this.#authKey("active", 0, association); }
    deactivateAuthKey(keyId, association) { this.#authKey("deactivate", keyId, association); }
    deleteAuthKey(keyId, association) { this.#authKey("delete", keyId, association); }
    peerAuthChunks(association) {
      checkNumber("association", association);
      return Array.from(call(() => this.#raw.authChunks(association, true)));
    }
    localAuthChunks(association) {
      checkNumber("association", association);
      return Array.from(call(() => this.#raw.authChunks(association, false)));
    }
    addLocalAddress(now, ip) {
      checkNumber("now", now);
      checkString("ip", ip);
      call(() => this.#raw.localAddress(now, true, ip));
    }
    removeLocalAddress(now, ip) {
      checkNumber("now", now);
      checkString("ip", ip);
      call(() => this.#raw.localAddress(now, false, ip));
    }
    localAddresses() { return Array.from(this.#raw.localAddresses()); }
    get autoAsconf() { return this.#raw.autoAsconf(undefined); }
    set autoAsconf(on) {
      if (typeof on !== "boolean") throw typeError("ERR_INVALID_ARG_TYPE", `autoAsconf must be a boolean, got ${describe(on)}`);
      this.#raw.autoAsconf(on);
    }
    setPeerPrimary(now, association, ip) {
      checkNumber("now", now);
      checkNumber("association", association);
      checkString("ip", ip);
      call(() => this.#raw.setPeerPrimary(now, association, ip));
    }
  }

  class SctpMessageEvent extends Event {
    constructor(type, init) {
      super(type);
      this.stream = init.stream;
      this.ppid = init.ppid;
      this.unordered = init.unordered;
      this.data = init.data;
    }
  }
  class SctpCloseEvent extends Event {
    constructor(init) {
      super("close");
      this.reason = init.reason;
      this.message = init.message;
    }
  }
  class SctpErrorEvent extends Event {
    constructor(error) {
      super("error");
      this.error = error;
      this.message = error.message;
    }
  }

  function handlerProperty(proto, name) {
    const key = Symbol(name);
    Object.defineProperty(proto, `on${name}`, {
      get() { return this[key] ?? null; },
      set(fn) {
        if (this[key]) this.removeEventListener(name, this[key]);
        this[key] = typeof fn === "function" ? fn : null;
        if (this[key]) this.addEventListener(name, this[key]);
      },
    });
  }

  /** Drives one Endpoint over one datagram transport: packets, timers, events. */
  class Driver {
    constructor(endpoint, transport, { ownsTransport = true } = {}) {
      this.endpoint = endpoint;
      this.transport = transport;
      this.ownsTransport = ownsTransport;
      this.associations = new Map();
      this.timer = null;
      this.deadline = null;
      this.scheduled = false;
      this.server = null;
      this.closed = false;
      this.pending = null;
      // Datagrams arriving together (a burst from the transport) go into the
      // core in one call per source and are answered by one run, in the
      // microtask after the last of them. A transport we did not create may
      // reuse its bytes once onmessage returns: those are copied.
      this.inbox = [];
      transport.onmessage = (data, from) => {
        if (this.closed) return;
        let bytes;
        try {
          bytes = toBytes("data", data);
        } catch {
          return; // not bytes: nothing SCTP can read
        }
        this.inbox.push(from, this.ownsTransport ? bytes : bytes.slice());
        this.schedule();
      };
    }
    /** Feeds the datagrams received since the last run, one call per run of equal sources. */
    receive() {
      const inbox = this.inbox;
      if (inbox.length === 0) return;
      this.inbox = [];
      const t = now();
      for (let i = 0; i < inbox.length;) {
        const from = inbox[i];
        const group = [];
        for (; i < inbox.length && inbox[i] === from; i += 2) group.push(inbox[i + 1]);
        try {
          this.endpoint.handleDatagrams(t, from, group);
        } catch (e) {
          if (e instanceof TypeError) continue; // an unparsable source address: not ours to deliver
          throw e;
        }
      }
    }
    schedule() {
      if (this.scheduled || this.closed) return;
      this.scheduled = true;
      queueMicrotask(() => { this.scheduled = false; this.run(); });
    }
    run() {
      if (this.closed) return;
      this.receive();
      this.transmit();
      // Events one batch at a time; after an event that stops the loop the
      // rest wait in `pending` and go first on the next run.
      let events = this.pending ?? this.endpoint.pollEvents();
      this.pending = null;
      let stopped = false;
      while (events.length > 0 && !stopped) {
        for (let i = 0; i < events.length; i++) {
          if (this.dispatch(events[i])) {
            // Let the code awaiting connect()/accept run before later events.
            if (i + 1 < events.length) this.pending = events.slice(i + 1);
            setTimeout(() => this.run(), 0);
            stopped = true;
            break;
          }
        }
        if (!stopped) events = this.endpoint.pollEvents();
      }
      // sends made by event handlers
      this.transmit();
      this.arm();
    }
    transmit() {
      const list = this.endpoint.pollTransmits(now());
      for (let i = 0; i < list.length; i++) this.transport.send(list[i].data, list[i].destination);
    }
    arm() {
      const d = this.endpoint.pollTimeout();
      if (d === this.deadline) return;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.deadline = d;
      if (d === null || this.closed) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.deadline = null;
        this.endpoint.handleTimeout(now());
        this.run();
      }, Math.max(0, d - now()));
    }
    dispatch(e) {
      let a = this.associations.get(e.association);
      if (!a) {
        if (e.type !== "open" || !this.server) return false;
        a = new Association(this, e.association);
        this.associations.set(e.association, a);
      }
      const stop = a._event(e);
      if (e.type === "open" && this.server && a._incoming) { this.server._accept(a); return true; }
      if (e.type === "close") {
        this.associations.delete(e.association);
        this.maybeClose();
      }
      return stop;
    }
    maybeClose() {
      if (this.associations.size === 0 && !this.server) this.close();
    }
    close() {
      if (this.closed) return;
      this.closed = true;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      if (this.ownsTransport) this.transport.close();
    }
  }

  class Association extends EventTarget {
    #driver; #id; #state = "connecting"; #threshold = 0; #iterators = new Set();
    #closed; #resolveClosed; #openWaiters = [];
    constructor(driver, id) {
      super();
      this.#driver = driver;
      this.#id = id;
      this._incoming = true;
      this.outboundStreams = 0;
      this.inboundStreams = 0;
      this.closeReason = null;
      this.#closed = new Promise((r) => (this.#resolveClosed = r));
    }
    get id() { return this.#id; }
    get readyState() { return this.#state; }
    get bufferedAmount() {
      return this.#state === "closed" ? 0 : this.#driver.endpoint.bufferedAmount(this.#id);
    }
    get bufferedAmountLowThreshold() { return this.#threshold; }
    set bufferedAmountLowThreshold(n) {
      checkNumber("bufferedAmountLowThreshold", n);
      if (n < 0) throw rangeError("bufferedAmountLowThreshold must not be negative");
      this.#threshold = n;
      if (this.#state !== "closed") this.#driver.endpoint.setBufferedAmountLowThreshold(this.#id, n);
    }
    get remoteAddresses() { return this.#state === "closed" ? [] : this.#driver.endpoint.peerAddresses(this.#id) ?? []; }
    /** Resolves when the association has closed, with the close reason. */
    get closed() { return this.#closed; }
    send(data, options = {}) {
      if (this.#state !== "open") {
        const e = new Error(`association is ${this.#state}: send after the open event and before close`);
        e.code = "ERR_SCTP_INVALID_STATE";
        e.name = "InvalidStateError";
        throw e;
      }
      this.#driver.endpoint.send(now(), this.#id, data, options);
      this.#driver.schedule();
    }
    stats() {
      return this.#state === "closed" ? null : this.#driver.endpoint.stats(this.#id);
    }
    shutdown() {
      if (this.#state === "open" || this.#state === "connecting") {
        this.#state = "closing";
        this.#driver.endpoint.shutdown(now(), this.#id);
        this.#driver.schedule();
      }
      return this.#closed.then(() => undefined);
    }
    close() { return this.shutdown(); }
    /** Resets our outgoing `streams` (RFC 6525; `options.direction` "incoming" / "both" as on Endpoint); a "streamsreset" event brings the answer. */
    resetStreams(streams, options = {}) {
      this.#driver.endpoint.resetStreams(now(), this.#id, streams, options);
      this.#driver.schedule();
    }
    /** Resets both directions' TSNs and every stream's numbering (RFC 6525 SSN/TSN Reset); an "associationreset" event brings the answer. */
    resetAssociation() {
      this.#driver.endpoint.resetAssociation(now(), this.#id);
      this.#driver.schedule();
    }
    abort(reason = "") {
      checkString("reason", reason);
      if (this.#state === "closed") return;
      this.#driver.endpoint.abort(now(), this.#id, reason);
      this.#driver.run();
    }
    _waitOpen() {
      return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
    }
    /** Messages as an async iterator; it ends when the association closes. */
    messages() {
      const queue = [];
      let wake = null;
      const it = {
        push: (m) => { if (wake) { const w = wake; wake = null; w({ value: m, done: false }); } else queue.push(m); },
        end: () => { if (wake) { const w = wake; wake = null; w({ value: undefined, done: true }); } },
      };
      this.#iterators.add(it);
      const self = this;
      return {
        next() {
          if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
          if (self.#state === "closed") return Promise.resolve({ value: undefined, done: true });
          return new Promise((r) => (wake = r));
        },
        return() { self.#iterators.delete(it); queue.length = 0; it.end(); return Promise.resolve({ value: undefined, done: true }); },
        [Symbol.asyncIterator]() { return this; },
      };
    }
    [Symbol.asyncIterator]() { return this.messages(); }
    _event(e) {
      switch (e.type) {
        case "open": {
          this.#state = "open";
          this.outboundStreams = e.outboundStreams;
          this.inboundStreams = e.inboundStreams;
          if (this.#threshold) this.#driver.endpoint.setBufferedAmountLowThreshold(this.#id, this.#threshold);
          const w = this.#openWaiters; this.#openWaiters = [];
          w.forEach((x) => x.resolve(this));
          this.dispatchEvent(new Event("open"));
          return w.length > 0;
        }
        case "message": {
          const m = { stream: e.stream, ppid: e.ppid, unordered: e.unordered, data: e.data };
          for (const it of this.#iterators) it.push(m);
          this.dispatchEvent(new SctpMessageEvent("message", m));
          return false;
        }
        case "bufferedamountlow": this.dispatchEvent(new Event("bufferedamountlow")); return false;
        case "sendfailed": {
          this.dispatchEvent(new SctpMessageEvent("sendfailed", e));
          return false;
        }
        case "error": {
          const err = new Error(`peer reported: ${e.message}`);
          err.code = "ERR_SCTP_REMOTE";
          this.dispatchEvent(new SctpErrorEvent(err));
          return false;
        }
        case "shutdown": this.#state = "closing"; return false;
        case "streamsadded":
          if (e.result === "success") { this.outboundStreams = e.outboundStreams; this.inboundStreams = e.inboundStreams; }
        // falls through
        case "streamsreset": case "associationreset": case "authentication": case "addressrequestresult": {
          const { type, ...fields } = e;
          this.dispatchEvent(Object.assign(new Event(type), fields));
          return false;
        }
        case "close": {
          const wasOpen = this.#state !== "connecting";
          this.#state = "closed";
          this.closeReason = e.reason;
          const w = this.#openWaiters; this.#openWaiters = [];
          if (w.length) {
            const err = new Error(`association failed to open: ${e.reason}${e.message ? ` (${e.message})` : ""}`);
            err.code = "ERR_SCTP_CONNECT_FAILED";
            w.forEach((x) => x.reject(err));
          } else if (e.reason !== "shutdown" && wasOpen && this.listenerCount?.("error") !== 0) {
            const err = new Error(`association closed: ${e.reason}${e.message ? ` (${e.message})` : ""}`);
            err.code = "ERR_SCTP_CLOSED";
            this.dispatchEvent(new SctpErrorEvent(err));
          }
          for (const it of this.#iterators) it.end();
          this.#iterators.clear();
          this.dispatchEvent(new SctpCloseEvent(e));
          this.#resolveClosed(e.reason);
          return false;
        }
        default: return false;
      }
    }
  }
  for (const n of ["open", "message", "close", "error", "bufferedamountlow", "streamsreset", "streamsadded", "associationreset", "authentication", "addressrequestresult"]) handlerProperty(Association.prototype, n);

  class Server extends EventTarget {
    #driver; #queue = []; #wake = null; #closed = false;
    constructor(driver) {
      super();
      this.#driver = driver;
      driver.server = this;
    }
    get address() { return this.#driver.transport.address ?? null; }
    _accept(a) {
      if (this.#wake) { const w = this.#wake; this.#wake = null; w({ value: a, done: false }); } else if (this.#iterating) this.#queue.push(a);
      const ev = new Event("association");
      ev.association = a;
      this.dispatchEvent(ev);
    }
    #iterating = false;
    [Symbol.asyncIterator]() {
      this.#iterating = true;
      const self = this;
      return {
        next() {
          if (self.#queue.length) return Promise.resolve({ value: self.#queue.shift(), done: false });
          if (self.#closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((r) => (self.#wake = r));
        },
        return() { self.#iterating = false; return Promise.resolve({ value: undefined, done: true }); },
        [Symbol.asyncIterator]() { return this; },
      };
    }
    /** Stops accepting; aborts associations still open unless `graceful`, then releases the transport. */
    async close({ graceful = true } = {}) {
      if (this.#closed) return;
      this.#closed = true;
      if (this.#wake) { const w = this.#wake; this.#wake = null; w({ value: undefined, done: true }); }
      const d = this.#driver;
      d.server = null;
      const open = [...d.associations.values()];
      if (graceful) await Promise.all(open.map((a) => a.shutdown()));
      else open.forEach((a) => a.abort("server closed"));
      d.maybeClose();
    }
  }
  handlerProperty(Server.prototype, "association");

  function splitOptions(options) {
    checkObject("options", options);
    const o = options ?? {};
    const { transport, host, port, sctpPort, localPort, localAddress, url, seed, signal, ...assoc } = o;
    return { transport, host, port, sctpPort, localPort, localAddress, url, seed, signal, assoc };
  }

  async function makeTransport(o, listening) {
    if (o.transport) {
      checkObject("options.transport", o.transport);
      if (typeof o.transport.send !== "function" || typeof o.transport.close !== "function") throw typeError("ERR_INVALID_ARG_TYPE", "options.transport must have send(data, destination) and close()");
      return { transport: o.transport, remote: SINGLE_PATH_ADDRESS, owns: false };
    }
    if (o.url !== undefined) {
      checkString("options.url", o.url);
      if (listening) throw typeError("ERR_INVALID_ARG_VALUE", "listen() cannot take a url; a page connects to a WebSocket server such as `anysctp listen --ws PORT`");
      const t = await WebSocketTransport.connect(o.url);
      return { transport: t, remote: SINGLE_PATH_ADDRESS, owns: true };
    }
    if (!platform.createUdpSocket) throw typeError("ERR_INVALID_ARG_VALUE", "SCTP over UDP needs Node's dgram; in a browser give options.url (a WebSocket server such as `anysctp listen --ws`) or options.transport");
    const port = o.port ?? DEFAULT_UDP_PORT;
    checkInt("options.port", port, 0, 65535);
    if (listening) {
      const host = o.host ?? "0.0.0.0";
      checkString("options.host", host);
      return { transport: await platform.createUdpSocket({ port, address: host }), owns: true };
    }
    const host = o.host ?? "127.0.0.1";
    checkString("options.host", host);
    const localPort = o.localPort ?? 0;
    checkInt("options.localPort", localPort, 0, 65535);
    const v6 = host.includes(":");
    const t = await platform.createUdpSocket({ port: localPort, address: o.localAddress ?? (v6 ? "::" : "0.0.0.0") });
    return { transport: t, remote: v6 ? `[${host}]:${port}` : `${host}:${port}`, owns: true };
  }

  /** Opens an association; resolves once it is open. */
  async function connect(options) {
    const o = splitOptions(options);
    const sctpPort = o.sctpPort ?? DEFAULT_SCTP_PORT;
    checkInt("options.sctpPort", sctpPort, 0, 65535);
    const flat = flatOptions(o.assoc); // validate before any socket exists
    void flat;
    const endpoint = new Endpoint({ port: sctpPort, seed: o.seed, association: o.assoc });
    const { transport, remote, owns } = await makeTransport(o, false);
    const driver = new Driver(endpoint, transport, { ownsTransport: owns });
    let id;
    try {
      id = endpoint.connect(now(), remote, { port: sctpPort, ...o.assoc });
    } catch (e) {
      driver.close();
      throw e;
    }
    const a = new Association(driver, id);
    a._incoming = false;
    driver.associations.set(id, a);
    const opened = a._waitOpen();
    if (o.signal) {
      if (o.signal.aborted) a.abort("connect aborted");
      else o.signal.addEventListener("abort", () => { if (a.readyState === "connecting") a.abort("connect aborted"); }, { once: true });
    }
    driver.run();
    return opened;
  }

  /** Accepts associations; resolves once the transport is bound. */
  async function listen(options) {
    const o = splitOptions(options);
    const sctpPort = o.sctpPort ?? DEFAULT_SCTP_PORT;
    checkInt("options.sctpPort", sctpPort, 0, 65535);
    flatOptions(o.assoc);
    const endpoint = new Endpoint({ port: sctpPort, seed: o.seed, acceptIncoming: true, association: o.assoc });
    const { transport, owns } = await makeTransport(o, true);
    const driver = new Driver(endpoint, transport, { ownsTransport: owns });
    return new Server(driver);
  }

  /** One SCTP packet per binary WebSocket frame (the framing of `anysctp listen --ws`). */
  class WebSocketTransport {
    constructor(ws) {
      this.ws = ws;
      this.onmessage = null;
      ws.binaryType = "arraybuffer";
      ws.addEventListener("message", (ev) => {
        if (typeof ev.data === "string") return;
        if (this.onmessage) this.onmessage(new Uint8Array(ev.data), SINGLE_PATH_ADDRESS);
      });
    }
    static connect(url) {
      const WS = platform.WebSocket ?? globalThis.WebSocket;
      if (!WS) throw typeError("ERR_INVALID_ARG_VALUE", "no WebSocket implementation: pass options.transport");
      const ws = new WS(url);
      return new Promise((resolve, reject) => {
        ws.addEventListener("open", () => resolve(new WebSocketTransport(ws)), { once: true });
        ws.addEventListener("error", () => reject(new Error(`WebSocket to ${url} failed`)), { once: true });
      });
    }
    send(data) { if (this.ws.readyState === 1) this.ws.send(data); }
    close() { this.ws.close(); }
  }

  /**
   * Two connected in-memory transports joined by a simulated link, for tests
   * and demos: seeded random loss (0..1), one-way delay (ms), a bandwidth
   * limit (bytes/s, 0 = unlimited) behind a drop-tail queue of `queue` bytes
   * (0 = unbounded). Each direction is first in, first out; the settings may
   * change while running and apply to the packets sent from then on.
   */
  function createLink({ loss = 0, delay = 0, bandwidth = 0, queue = 0, seed = 1 } = {}) {
    checkNumber("loss", loss);
    if (loss < 0 || loss > 1) throw rangeError("loss must be between 0 and 1");
    checkNumber("delay", delay);
    if (delay < 0) throw rangeError(`delay must not be negative (ms), got ${delay}`);
    checkNumber("bandwidth", bandwidth);
    if (bandwidth < 0) throw rangeError(`bandwidth must not be negative (bytes/s, 0 = unlimited), got ${bandwidth}`);
    checkNumber("queue", queue);
    if (queue < 0) throw rangeError(`queue must not be negative (bytes, 0 = unbounded), got ${queue}`);
    let s = seed >>> 0 || 1;
    const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
    const link = { loss, delay, bandwidth, queue, dropped: 0, overflowed: 0, delivered: 0 };
    // One direction: the bandwidth limiter's clock and the packets on their
    // way, in delivery order, with one timer armed for the oldest.
    const mk = () => {
      let busyUntil = 0; // when the limiter has sent everything it holds
      let lastAt = 0; // delivery time of the newest packet (FIFO when the delay shrinks)
      let pending = []; // [at, data, at, data, ...] from index head on
      let head = 0;
      let armed = false;
      let timer = null;
      const flush = () => {
        armed = false;
        timer = null;
        const t = now();
        try {
          while (head < pending.length && pending[head] <= t) {
            const data = pending[head + 1];
            pending[head + 1] = null;
            head += 2;
            const peer = end.peer;
            if (!peer.closed && peer.onmessage) { link.delivered++; peer.onmessage(data, SINGLE_PATH_ADDRESS); }
          }
        } finally {
          // a receiver that throws loses its packet, not the ones behind it
          if (head === pending.length) { pending.length = 0; head = 0; } else if (head > 4096 && head * 2 > pending.length) { pending = pending.slice(head); head = 0; }
          arm();
        }
      };
      const arm = () => {
        if (armed || head >= pending.length) return;
        armed = true;
        const wait = pending[head] - now();
        if (wait <= 0) queueMicrotask(flush);
        else timer = setTimeout(flush, wait);
      };
      const end = { onmessage: null, peer: null, closed: false,
        send(data) {
          if (this.closed) return;
          if (rand() < link.loss) { link.dropped++; return; }
          const t = now();
          let at = t + link.delay;
          if (link.bandwidth > 0) {
            const start = Math.max(busyUntil, t);
            // bytes still waiting for the limiter, this packet included
            if (link.queue > 0 && ((start - t) * link.bandwidth) / 1000 + data.length > link.queue) { link.overflowed++; return; }
            busyUntil = start + (data.length * 1000) / link.bandwidth;
            at = busyUntil + link.delay;
          }
          at = Math.max(at, lastAt);
          lastAt = at;
          pending.push(at, data.slice());
          arm();
        },
        close() {
          this.closed = true;
          if (a.closed && b.closed) drops.forEach((d) => d());
        } };
      drops.push(() => { if (timer !== null) clearTimeout(timer); timer = null; armed = false; pending = []; head = 0; });
      return end;
    };
    const drops = [];
    const a = mk(), b = mk();
    a.peer = b; b.peer = a;
    link.a = a; link.b = b;
    return link;
  }

  return { parsePacket, Endpoint, Association, Server, connect, listen, WebSocketTransport, createLink, SctpMessageEvent, SctpCloseEvent, SctpErrorEvent, SINGLE_PATH_ADDRESS, DEFAULT_UDP_PORT, DEFAULT_SCTP_PORT };
}
