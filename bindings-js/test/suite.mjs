// One behaviour suite, run against both packages (bindings-node/test and
// bindings-wasm/test import it with their own module).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/sctp-packets.json", import.meta.url), "utf8"));
const fast = { rtoInitial: 100, rtoMin: 50, rtoMax: 1000, sackDelay: 20 };

function fromHex(h) {
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}
/** The project's interop message: 8-byte LE id, then byte i = (id + i) % 251. */
export function interopMessage(id, size) {
  const m = new Uint8Array(size);
  new DataView(m.buffer).setBigUint64(0, BigInt(id), true);
  for (let i = 8; i < size; i++) m[i] = (id + i) % 251;
  return m;
}
function checkInterop(m) {
  const id = Number(new DataView(m.buffer, m.byteOffset, m.byteLength).getBigUint64(0, true));
  for (let i = 8; i < m.length; i++) if (m[i] !== (id + i) % 251) return -1;
  return id;
}

/** Moves datagrams between two sans-IO endpoints until neither has any; `tap` sees a's packets. */
function pumpPair(a, b, t = 0, tap = () => {}, A = "10.0.0.1:9899", B = "10.0.0.2:9899") {
  for (let moved = true; moved;) {
    moved = false;
    let p;
    while ((p = a.pollTransmit(t))) { tap(p.data); b.handleDatagram(t, A, p.data); moved = true; }
    while ((p = b.pollTransmit(t))) { a.handleDatagram(t, B, p.data); moved = true; }
  }
}
function drainEvents(ep) {
  const out = [];
  for (let e; (e = ep.pollEvent());) out.push(e);
  return out;
}

export function runSuite(name, S) {
  const SINGLE = S.SINGLE_PATH_ADDRESS;
  test(`${name}: shared packet vectors parse (checksum, header, chunk types)`, () => {
    assert.ok(vectors.length > 10);
    for (const v of vectors) {
      const p = S.parsePacket(fromHex(v.hex));
      assert.equal(p.srcPort, v.packet.src_port, v.name);
      assert.equal(p.dstPort, v.packet.dst_port, v.name);
      assert.equal(p.verificationTag, v.packet.verification_tag, v.name);
      assert.equal(p.checksum, v.packet.checksum, v.name);
      assert.deepEqual(p.chunks.map((c) => c.type), v.chunks.map((c) => c.type_id), v.name);
      assert.deepEqual(p.chunks.map((c) => c.flags), v.chunks.map((c) => c.flags), v.name);
    }
  });

  test(`${name}: a corrupted checksum is rejected`, () => {
    const b = fromHex(vectors[0].hex);
    b[b.length - 1] ^= 0xff;
    assert.throws(() => S.parsePacket(b), (e) => e.code === "ERR_SCTP_MALFORMED_PACKET" && /checksum|crc/i.test(e.message));
  });

  test(`${name}: bad input throws TypeError or RangeError with a clear message`, () => {
    assert.throws(() => new S.Endpoint({ port: 70000 }), { name: "RangeError", message: /port must be an integer between 0 and 65535/ });
    assert.throws(() => new S.Endpoint({ seed: new Uint8Array(5) }), { name: "RangeError", message: /32 bytes/ });
    assert.throws(() => new S.Endpoint({ seed: "x" }), { name: "TypeError", message: /seed must be a Uint8Array/ });
    assert.throws(() => new S.Endpoint({ association: { mtu: 10 } }), { name: "RangeError", message: /mtu/ });
    assert.throws(() => new S.Endpoint({ association: { nodelay: 1 } }), { name: "TypeError", message: /nodelay must be a boolean/ });
    assert.throws(() => new S.Endpoint({ association: { pfMaxRetrans: 5 } }), { name: "RangeError", message: /pf_max_retrans must be below max_path_retransmits/ });
    new S.Endpoint({ association: { maxPathRetransmits: 8, pfMaxRetrans: 5 } });
    new S.Endpoint({ association: { pfMaxRetrans: null } });
    assert.throws(() => new S.Endpoint({ association: { maxInitTimeout: 0 } }), { name: "RangeError", message: /max_init_timeout must be greater than zero/ });
    const ep = new S.Endpoint();
    assert.throws(() => ep.connect(0, "not an address"), { name: "TypeError", message: /is not "ip:port"/ });
    assert.throws(() => ep.connect(0, []), { name: "TypeError", message: /non-empty array/ });
    assert.throws(() => ep.connect(-1, "127.0.0.1:9899"), { name: "RangeError", message: /time must be/ });
    assert.throws(() => ep.handleDatagram(0, "127.0.0.1:1", 42), { name: "TypeError", message: /data must be a Uint8Array/ });
    assert.throws(() => ep.send(0, 1, new Uint8Array(1), { stream: 70000 }), { name: "RangeError", message: /stream must be/ });
    assert.throws(() => ep.send(0, 12345, new Uint8Array(1)), (e) => e.code === "ERR_SCTP_NO_SUCH_ASSOCIATION");
    assert.throws(() => ep.setBufferedAmountLowThreshold(0, -1), RangeError);
    // Garbage from the network is not an error of the caller: dropped silently.
    ep.handleDatagram(0, "127.0.0.1:1", new Uint8Array([1, 2, 3]));
    assert.equal(ep.pollEvent(), null);
  });

  test(`${name}: sans-IO endpoints handshake and exchange messages`, () => {
    const a = new S.Endpoint({ port: 5000 });
    const b = new S.Endpoint({ port: 5000, acceptIncoming: true });
    const A = "10.0.0.1:9899", B = "10.0.0.2:9899";
    let t = 0;
    const id = a.connect(t, B);
    const pump = () => {
      for (let moved = true; moved;) {
        moved = false;
        let p;
        while ((p = a.pollTransmit(t))) { assert.equal(p.destination, B); b.handleDatagram(t, A, p.data); moved = true; }
        while ((p = b.pollTransmit(t))) { assert.equal(p.destination, A); a.handleDatagram(t, B, p.data); moved = true; }
      }
    };
    pump();
    const ea = a.pollEvent();
    assert.equal(ea.type, "open");
    assert.equal(ea.association, id);
    const eb = b.pollEvent();
    assert.equal(eb.type, "open");
    a.send(t, id, "hello", { stream: 3 });
    pump();
    const m = b.pollEvent();
    assert.equal(m.type, "message");
    assert.equal(m.stream, 3);
    assert.equal(m.ppid, 51);
    assert.equal(new TextDecoder().decode(m.data), "hello");
    assert.equal(a.state(id), "ESTABLISHED");
    assert.equal(a.stats(id).state, "ESTABLISHED");
    assert.ok(typeof a.pollTimeout() === "number");
    a.abort(t, id, "done");
    pump();
    const after = [];
    for (let e; (e = a.pollEvent());) after.push(e.type);
    assert.equal(after.at(-1), "close");
    assert.equal(a.state(id), null);
  });

  test(`${name}: batch calls (handleDatagrams, pollTransmits, pollEvents) match the one-at-a-time calls`, () => {
    // Two pairs of endpoints with the same seeds: one driven by the batch
    // calls, one by the single calls; the wire and the events must agree.
    const opts = { association: { outboundStreams: 4 } };
    const mk = () => [new S.Endpoint({ port: 5000, seed: new Uint8Array(32).fill(1), ...opts }),
      new S.Endpoint({ port: 5000, acceptIncoming: true, seed: new Uint8Array(32).fill(2), ...opts })];
    const A = "10.0.0.1:9899", B = "10.0.0.2:9899";
    const hex = (d) => Buffer.from(d).toString("hex");
    const [a1, b1] = mk(), [a2, b2] = mk();
    const wire1 = [], wire2 = [];
    const pumpBatch = (t) => {
      for (let moved = true; moved;) {
        const pa = a1.pollTransmits(t);
        pa.forEach((p) => { assert.equal(p.destination, B); wire1.push(hex(p.data)); });
        if (pa.length) b1.handleDatagrams(t, A, pa.map((p) => p.data));
        const pb = b1.pollTransmits(t);
        pb.forEach((p) => { assert.equal(p.destination, A); wire1.push(hex(p.data)); });
        if (pb.length) a1.handleDatagrams(t, B, pb.map((p) => p.data));
        moved = pa.length + pb.length > 0;
      }
    };
    // handleDatagrams is handleDatagram on each datagram with the
    // receiver's output collected between them (and handed out first by the
    // next poll), as a host that polls after every datagram sees it.
    let earlyA = [];
    const pumpSingle = (t) => {
      const pollAll = (ep, q) => { for (let p; (p = ep.pollTransmit(t));) q.push(p.data.slice()); };
      const feed = (ep, from, list, q) => list.forEach((d, i) => { ep.handleDatagram(t, from, d); if (i < list.length - 1) pollAll(ep, q); });
      for (let moved = true; moved;) {
        const pa = earlyA;
        earlyA = [];
        pollAll(a2, pa);
        pa.forEach((d) => wire2.push(hex(d)));
        const pb = [];
        feed(b2, A, pa, pb);
        pollAll(b2, pb);
        pb.forEach((d) => wire2.push(hex(d)));
        feed(a2, B, pb, earlyA);
        moved = pa.length + pb.length > 0;
      }
    };
    const single = (ep) => { const out = []; for (let e; (e = ep.pollEvent());) out.push(e); return out; };
    const plain = (e) => ({ ...e, ...(e.data ? { data: hex(e.data) } : {}) });
    const id1 = a1.connect(0, B, { outboundStreams: 4 }), id2 = a2.connect(0, B, { outboundStreams: 4 });
    assert.equal(id1, id2);
    pumpBatch(0); pumpSingle(0);
    const open1 = a1.pollEvents(), open2 = single(a2);
    assert.deepEqual(open1.map(plain), open2.map(plain));
    assert.equal(open1[0].type, "open");
    assert.equal(open1[0].outboundStreams, 4);
    assert.deepEqual(b1.pollEvents().map(plain), single(b2).map(plain));
    for (let i = 0; i < 300; i++) {
      const m = interopMessage(i, 8 + (i % 5) * 700);
      const o = { stream: i % 4, unordered: i % 3 === 0, ppid: 50 + (i % 3) };
      a1.send(1, id1, m, o); a2.send(1, id2, m, o);
    }
    pumpBatch(1); pumpSingle(1);
    const got1 = b1.pollEvents(), got2 = single(b2);
    assert.equal(got1.length, 300);
    assert.deepEqual(got1.map(plain), got2.map(plain));
    for (const e of got1) assert.ok(checkInterop(e.data) >= 0, "payload intact");
    assert.deepEqual(b1.pollEvents(), [], "drained: an empty array");
    assert.deepEqual(wire1, wire2, "same packets on the wire");
    a1.abort(2, id1, "bye"); a2.abort(2, id2, "bye");
    pumpBatch(2); pumpSingle(2);
    const close1 = b1.pollEvents(), close2 = single(b2);
    assert.deepEqual(close1.map(plain), close2.map(plain));
    assert.equal(close1.at(-1).type, "close");
    assert.equal(close1.at(-1).reason, "peer-aborted");
    assert.match(close1.at(-1).message, /bye/);
    assert.deepEqual(a1.pollTransmits(3), []);
    a1.handleDatagrams(3, A, []);
  });

  test(`${name}: batch calls reject bad input with a clear message`, () => {
    const ep = new S.Endpoint();
    assert.throws(() => ep.handleDatagrams(0, "127.0.0.1:1", new Uint8Array(3)), { name: "TypeError", message: /datagrams must be an array/ });
    assert.throws(() => ep.handleDatagrams(0, "127.0.0.1:1", [new Uint8Array(3), 42]), { name: "TypeError", message: /datagrams\[1\] must be a Uint8Array/ });
    assert.throws(() => ep.handleDatagrams(0, "nowhere", [new Uint8Array(3)]), { name: "TypeError", message: /is not "ip:port"/ });
    assert.throws(() => ep.handleDatagrams(0, 7, [new Uint8Array(3)]), { name: "TypeError", message: /from must be a string/ });
    assert.throws(() => ep.handleDatagrams(-1, "127.0.0.1:1", [new Uint8Array(3)]), { name: "RangeError", message: /time must be/ });
    assert.throws(() => ep.pollTransmits("now"), { name: "TypeError", message: /now must be a number/ });
    assert.throws(() => ep.pollTransmits(-5), { name: "RangeError", message: /time must be/ });
    // Garbage from the network is not an error of the caller: dropped silently.
    ep.handleDatagrams(0, "127.0.0.1:1", [new Uint8Array([1, 2, 3]), new ArrayBuffer(0), new DataView(new ArrayBuffer(20))]);
    assert.deepEqual(ep.pollEvents(), []);
  });

  test(`${name}: two associations across a lossy link deliver every message in order`, async () => {
    const link = S.createLink({ loss: 0.1, seed: 42 });
    const server = await S.listen({ transport: link.b, ...fast });
    const received = new Map();
    let count = 0;
    let done;
    const all = new Promise((r) => (done = r));
    const N = 400;
    server.onassociation = (ev) => {
      ev.association.onmessage = (m) => {
        const id = checkInterop(m.data);
        assert.ok(id >= 0, "payload intact");
        const list = received.get(m.stream) ?? [];
        list.push(id);
        received.set(m.stream, list);
        if (++count === N) done();
      };
    };
    const a = await S.connect({ transport: link.a, ...fast });
    assert.equal(a.readyState, "open");
    for (let i = 0; i < N; i++) a.send(interopMessage(i, 8 + (i % 7) * 300), { stream: i % 4 });
    await all;
    for (const [stream, ids] of received) assert.deepEqual(ids, ids.slice().sort((x, y) => x - y), `stream ${stream} in order`);
    assert.equal(count, N);
    assert.ok(link.dropped > 0, "the link did drop packets");
    await a.shutdown();
    assert.equal(a.readyState, "closed");
    assert.equal(await a.closed, "shutdown");
    await server.close();
  });

  test(`${name}: a transport may reuse its receive buffer once onmessage returns`, async () => {
    // The driver reads bursts of datagrams later, in one call: it must not
    // keep views of bytes the transport overwrites.
    const link = S.createLink({ seed: 7 });
    const reusing = (end) => {
      const scratch = new Uint8Array(65536);
      const t = { onmessage: null, send: (d, to) => end.send(d, to), close: () => end.close() };
      end.onmessage = (d, from) => {
        scratch.set(d);
        if (t.onmessage) t.onmessage(scratch.subarray(0, d.length), from);
        scratch.fill(0xee, 0, d.length);
      };
      return t;
    };
    const server = await S.listen({ transport: reusing(link.b), ...fast });
    const N = 200;
    let got = 0, done;
    const all = new Promise((r) => (done = r));
    server.onassociation = (ev) => {
      ev.association.onmessage = (m) => {
        assert.equal(checkInterop(m.data), got, "payload intact, in order");
        if (++got === N) done();
      };
    };
    const a = await S.connect({ transport: reusing(link.a), ...fast });
    for (let i = 0; i < N; i++) a.send(interopMessage(i, 8 + (i % 4) * 400));
    await all;
    assert.equal(got, N);
    await a.shutdown();
    await server.close();
  });

  test(`${name}: createLink's queue drops what overflows it, and each direction stays in order`, async () => {
    // 100 bytes/s: a 1,000-byte packet holds the limiter for 10 s, so the
    // queue cannot drain between these synchronous sends.
    const slow = S.createLink({ bandwidth: 100, queue: 3000 });
    for (let i = 0; i < 10; i++) slow.a.send(new Uint8Array(1000).fill(i), SINGLE);
    assert.equal(slow.overflowed, 7, "3 packets of 1,000 bytes fit a 3,000-byte queue");
    assert.equal(slow.dropped, 0);
    slow.a.close(); slow.b.close();

    // A shorter delay set while a packet is on its way does not let the next overtake it.
    const link = S.createLink({ delay: 40 });
    const got = [];
    const both = new Promise((resolve) => { link.b.onmessage = (d) => { got.push(d[0]); if (got.length === 2) resolve(); }; });
    link.a.send(Uint8Array.of(1), SINGLE);
    link.delay = 0;
    link.a.send(Uint8Array.of(2), SINGLE);
    await both;
    assert.deepEqual(got, [1, 2]);
    assert.equal(link.delivered, 2);
    link.a.close(); link.b.close();

    assert.throws(() => S.createLink({ delay: -1 }), (e) => e instanceof RangeError && /delay must not be negative/.test(e.message));
    assert.throws(() => S.createLink({ bandwidth: -5 }), (e) => e instanceof RangeError && /bandwidth/.test(e.message));
    assert.throws(() => S.createLink({ queue: -1 }), (e) => e instanceof RangeError && /queue/.test(e.message));
    assert.throws(() => S.createLink({ queue: "big" }), TypeError);
  });

  test(`${name}: UDP on 127.0.0.1 (RFC 6951), echo with async iterators and bufferedamountlow`, async () => {
    const server = await S.listen({ host: "127.0.0.1", port: 0, ...fast });
    const port = server.address.port;
    (async () => {
      for await (const assoc of server) {
        (async () => { for await (const m of assoc) assoc.send(m.data, { stream: m.stream, ppid: m.ppid }); })();
      }
    })();
    const a = await S.connect({ host: "127.0.0.1", port, ...fast });
    a.bufferedAmountLowThreshold = 1024;
    let low = 0;
    a.onbufferedamountlow = () => low++;
    const N = 200;
    let got = 0;
    const it = a.messages();
    for (let i = 0; i < N; i++) a.send(interopMessage(i, 1000), { stream: i % 8 });
    assert.ok(a.bufferedAmount >= 0);
    for await (const m of it) {
      assert.ok(checkInterop(m.data) >= 0);
      if (++got === N) break;
    }
    assert.equal(got, N);
    assert.ok(low >= 1, "bufferedamountlow fired");
    const st = a.stats();
    assert.ok(st.messagesReceived >= N);
    assert.ok(st.paths[0].srtt !== null);
    await a.shutdown();
    await server.close();
  });

  test(`${name}: connect to a port nobody answers rejects, and send before open throws`, async () => {
    const link = S.createLink({ loss: 1 });
    const p = S.connect({ transport: link.a, rtoInitial: 20, rtoMin: 10, rtoMax: 40, maxInitRetransmits: 2 });
    await assert.rejects(p, (e) => e.code === "ERR_SCTP_CONNECT_FAILED");
    link.a.close(); link.b.close();
  });

  test(`${name}: sans-IO stream reset (RFC 6525): both sides' events, messages before and after in order`, () => {
    const a = new S.Endpoint({ port: 5000 });
    const b = new S.Endpoint({ port: 5000, acceptIncoming: true });
    const t = 0;
    const id = a.connect(t, "10.0.0.2:9899");
    const pump = () => pumpPair(a, b, t);
    const drain = drainEvents;
    pump();
    const bid = drain(b).find((e) => e.type === "open").association;
    drain(a);
    a.send(t, id, "before-1", { stream: 1 });
    a.send(t, id, "before-2", { stream: 1 });
    a.resetStreams(t, id, [1]);
    assert.throws(() => a.resetStreams(t, id, [1]), (e) => e.code === "ERR_SCTP_RECONFIG_IN_PROGRESS" && /already outstanding/.test(e.message));
    a.send(t, id, "after", { stream: 1 });
    pump();
    assert.deepEqual(drain(a).filter((e) => e.type === "streamsreset"), [{ type: "streamsreset", association: id, direction: "outgoing", streams: [1], result: "success" }]);
    const seen = drain(b).map((e) => (e.type === "message" ? new TextDecoder().decode(e.data) : e.type === "streamsreset" ? `${e.direction}:${e.streams}:${e.result}` : e.type));
    assert.deepEqual(seen, ["before-1", "before-2", "incoming:1:success", "after"]);

    a.addStreams(t, id, 2);
    pump();
    const added = drain(a).find((e) => e.type === "streamsadded");
    assert.deepEqual(added, { type: "streamsadded", association: id, outboundStreams: 12, inboundStreams: 10, result: "success" });
    b.setReconfigPolicy(bid, { acceptStreamReset: false });
    a.resetStreams(t, id, [0]);
    pump();
    assert.equal(drain(a).find((e) => e.type === "streamsreset").result, "denied");

    assert.throws(() => a.resetStreams(t, id, []), (e) => e instanceof RangeError && e.code === "ERR_SCTP_INVALID_RECONFIG");
    assert.throws(() => a.resetStreams(t, id, [70000]), RangeError);
    assert.throws(() => a.resetStreams(t, id, "1"), TypeError);
    assert.throws(() => a.resetStreams(t, id, [500]), (e) => e.code === "ERR_SCTP_INVALID_STREAM");
    assert.throws(() => b.setReconfigPolicy(bid, { acceptAddStreams: 1 }), TypeError);

    const c = new S.Endpoint({ association: { reconfig: false } });
    const d = new S.Endpoint({ acceptIncoming: true });
    const cid = c.connect(t, "10.0.0.2:9899", { reconfig: false });
    pumpPair(c, d, t);
    assert.equal(c.state(cid), "ESTABLISHED");
    assert.throws(() => c.resetStreams(t, cid, [0]), (e) => e.code === "ERR_SCTP_RECONFIG_UNAVAILABLE" && /unavailable/.test(e.message));
  });

  test(`${name}: sans-IO association reset (RFC 6525 SSN/TSN): TSNs restart as the event says, in both event paths`, () => {
    const a = new S.Endpoint({ port: 5000 });
    const b = new S.Endpoint({ port: 5000, acceptIncoming: true });
    let t = 0;
    const id = a.connect(t, "10.0.0.2:9899", { nodelay: true });
    const tsns = []; // [tsn, ssn, first payload byte] of a's DATA chunks
    const tap = (d) => {
      // Common header 12 bytes, then chunks (type, flags, length); DATA is type 0.
      for (let o = 12; o + 4 <= d.length;) {
        const len = (d[o + 2] << 8) | d[o + 3];
        if (d[o] === 0) {
          const v = new DataView(d.buffer, d.byteOffset + o);
          tsns.push([v.getUint32(4), v.getUint16(10), d[o + 16]]);
        }
        o += (len + 3) & ~3;
        if (len < 4) break;
      }
    };
    const pump = () => pumpPair(a, b, t, tap);
    pump();
    const bid = drainEvents(b).find((e) => e.type === "open").association;
    drainEvents(a);
    // Refused by the default policy: nothing reset.
    a.resetAssociation(t, id);
    assert.throws(() => a.resetAssociation(t, id), (e) => e.code === "ERR_SCTP_RECONFIG_IN_PROGRESS");
    pump();
    const denied = drainEvents(a).find((e) => e.type === "associationreset");
    assert.equal(denied.result, "denied");
    assert.deepEqual(drainEvents(b).filter((e) => e.type === "associationreset"), []);

    b.setReconfigPolicy(bid, { acceptSsnTsnReset: true });
    assert.throws(() => b.setReconfigPolicy(bid, { acceptSsnTsnReset: "yes" }), TypeError);
    a.send(t, id, "A", { stream: 1 });
    a.send(t, id, "B", { stream: 1 });
    // Mid-traffic: "A" and "B" are on the wire, unacknowledged.
    let p;
    while ((p = a.pollTransmit(t))) { tap(p.data); b.handleDatagram(t, "10.0.0.1:9899", p.data); }
    a.resetAssociation(t, id);
    a.send(t, id, "C", { stream: 1 });
    for (let i = 0; i < 100 && !tsns.some(([, , x]) => x === 67); i++) {
      pump();
      const next = Math.min(a.pollTimeout() ?? Infinity, b.pollTimeout() ?? Infinity);
      if (Number.isFinite(next)) { t = Math.max(t, next); a.handleTimeout(t); b.handleTimeout(t); }
    }
    pump();
    // a: the single path (pollEvent); b: the batch path (pollEvents).
    const ours = drainEvents(a).filter((e) => e.type === "associationreset");
    const theirs = b.pollEvents();
    const peer = theirs.filter((e) => e.type === "associationreset");
    assert.equal(ours.length, 1);
    assert.deepEqual(peer, [{ type: "associationreset", association: bid, localTsn: ours[0].remoteTsn, remoteTsn: ours[0].localTsn, result: "success" }]);
    assert.equal(ours[0].result, "success");
    const c = tsns.find(([, , x]) => x === 67);
    assert.deepEqual(c, [ours[0].localTsn, 0, 67], "the first DATA after the reset: the announced TSN, SSN 0");
    const kinds = theirs.map((e) => (e.type === "message" ? new TextDecoder().decode(e.data) : e.type)).filter((k) => k !== "senderdry" && k !== "bufferedamountlow");
    assert.deepEqual(kinds, ["A", "B", "associationreset", "C"]);
  });

  test(`${name}: sans-IO incoming stream reset and added incoming streams`, () => {
    const a = new S.Endpoint({ port: 5000 });
    const b = new S.Endpoint({ port: 5000, acceptIncoming: true });
    const t = 0;
    const id = a.connect(t, "10.0.0.2:9899");
    const pump = () => pumpPair(a, b, t);
    pump();
    const bid = drainEvents(b).find((e) => e.type === "open").association;
    drainEvents(a);
    a.resetStreams(t, id, [1], { direction: "incoming" });
    pump();
    assert.deepEqual(drainEvents(a).filter((e) => e.type === "streamsreset"), [{ type: "streamsreset", association: id, direction: "incoming", streams: [1], result: "success" }]);
    assert.deepEqual(drainEvents(b).filter((e) => e.type === "streamsreset"), [{ type: "streamsreset", association: bid, direction: "outgoing", streams: [1], result: "success" }]);
    assert.throws(() => a.resetStreams(t, id, [1], { direction: "sideways" }), TypeError);
    assert.throws(() => a.resetStreams(t, id, [], { direction: "both" }), (e) => e.code === "ERR_SCTP_INVALID_RECONFIG");

    a.addStreams(t, id, 0, { incoming: 2 });
    pump();
    const added = drainEvents(a).filter((e) => e.type === "streamsadded");
    assert.deepEqual(added.at(-1), { type: "streamsadded", association: id, outboundStreams: 10, inboundStreams: 12, result: "success" });
    b.send(t, bid, "on a new stream", { stream: 11 });
    pump();
    assert.ok(drainEvents(a).some((e) => e.type === "message" && e.stream === 11));
    assert.throws(() => a.addStreams(t, id, 0, { incoming: 70000 }), RangeError);
  });

  test(`${name}: Association.resetAssociation over createLink fires associationreset`, { timeout: 20000 }, async () => {
    const link = S.createLink();
    const server = await S.listen({ transport: link.b, ...fast });
    server.onassociation = () => {};
    const a = await S.connect({ transport: link.a, ...fast });
    const ev = await new Promise((r) => { a.onassociationreset = r; a.resetAssociation(); });
    // The server keeps the default policy.
    assert.equal(ev.result, "denied");
    assert.equal(typeof ev.localTsn, "number");
    await a.shutdown();
    await server.close();
  });

  test(`${name}: Association.resetStreams over createLink fires streamsreset on both sides`, { timeout: 20000 }, async () => {
    const link = S.createLink();
    const server = await S.listen({ transport: link.b, ...fast });
    const log = [];
    let peerReset;
    const peerSaw = new Promise((r) => (peerReset = r));
    server.onassociation = (ev) => {
      ev.association.onmessage = (m) => log.push(new TextDecoder().decode(m.data));
      ev.association.onstreamsreset = (e) => { log.push(`reset ${e.direction} ${e.streams}`); peerReset(); };
    };
    const a = await S.connect({ transport: link.a, ...fast });
    const mine = new Promise((r) => a.addEventListener("streamsreset", r, { once: true }));
    a.send("one", { stream: 2 });
    a.resetStreams([2]);
    a.send("two", { stream: 2 });
    const ev = await mine;
    assert.equal(ev.direction, "outgoing");
    assert.deepEqual(ev.streams, [2]);
    assert.equal(ev.result, "success");
    await peerSaw;
    while (log.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(log, ["one", "reset incoming 2", "two"]);
    await a.shutdown();
    await server.close();
  });

  test(`${name}: SCTP-AUTH option: authenticated data flows; bad auth values throw`, async () => {
    const auth = { chunks: [0], hmacAlgorithms: ["sha256", "sha1"] };
    const a = new S.Endpoint({ port: 5000, association: { auth } });
    const b = new S.Endpoint({ port: 5000, acceptIncoming: true, association: { auth } });
    for (const ep of [a, b]) {
      ep.setAuthKey(1, "shared secret");
      ep.setActiveAuthKey(1);
      assert.equal(ep.activeAuthKey(), 1);
    }
    const id = a.connect(0, "10.0.0.2:9899", { auth });
    pumpPair(a, b);
    a.send(0, id, "secret data");
    const chunkTypes = [];
    pumpPair(a, b, 0, (d) => chunkTypes.push(S.parsePacket(d).chunks.map((c) => c.type)));
    const events = drainEvents(b);
    assert.ok(events.some((e) => e.type === "message" && new TextDecoder().decode(e.data) === "secret data"));
    assert.ok(events.some((e) => e.type === "authentication" && e.keyId === 1 && e.indication === "new-key"));
    // RFC 4895 §6.2: AUTH (15) goes before the DATA (0) it covers.
    const withData = chunkTypes.filter((c) => c.includes(0));
    assert.ok(withData.length > 0 && withData.every((c) => c.indexOf(15) >= 0 && c.indexOf(15) < c.indexOf(0)));
    assert.deepEqual(a.localAuthChunks(id).slice(0, 1), [0]);
    assert.ok(a.peerAuthChunks(id).includes(0));

    assert.throws(() => new S.Endpoint({ association: { auth: { hmacAlgorithms: ["md5"] } } }), (e) => e instanceof TypeError && /"sha1" or "sha256"/.test(e.message));
    assert.throws(() => new S.Endpoint({ association: { auth: { hmacAlgorithms: ["sha256"] } } }), (e) => e instanceof RangeError && /Sha1/.test(e.message));
    assert.throws(() => new S.Endpoint({ association: { auth: { chunks: [300] } } }), (e) => e instanceof RangeError && /chunks\[0\]/.test(e.message));
    assert.throws(() => new S.Endpoint({ association: { auth: { chunks: [1] } } }), (e) => e instanceof RangeError && /INIT \(1\)/.test(e.message));
    assert.throws(() => new S.Endpoint({ association: { auth: { chunks: "data" } } }), TypeError);
    assert.throws(() => new S.Endpoint({ association: { auth: 5 } }), TypeError);
    assert.throws(() => a.setActiveAuthKey(9), (e) => e.code === "ERR_SCTP_AUTH");
    assert.throws(() => a.setAuthKey(70000, "k"), RangeError);
    assert.throws(() => a.setAuthKey(1, "k", 999), (e) => e.code === "ERR_SCTP_NO_SUCH_ASSOCIATION");
    new S.Endpoint({ association: { auth: true } });
  });

  test(`${name}: local addresses (RFC 5061): add, remove, and clear errors`, () => {
    const a = new S.Endpoint({ association: { auth: true } });
    assert.equal(a.autoAsconf, true);
    a.addLocalAddress(0, "10.0.0.1");
    a.addLocalAddress(0, "10.0.1.1");
    assert.deepEqual(a.localAddresses(), ["10.0.0.1", "10.0.1.1"]);
    assert.throws(() => a.addLocalAddress(0, "10.0.0.1"), (e) => e.code === "ERR_SCTP_INVALID_ADDRESS" && /already one of ours/.test(e.message));
    a.removeLocalAddress(0, "10.0.0.1");
    assert.throws(() => a.removeLocalAddress(0, "10.0.1.1"), (e) => e.code === "ERR_SCTP_INVALID_ADDRESS" && /last address/.test(e.message));
    assert.throws(() => a.addLocalAddress(0, "10.0.0.1:9899"), (e) => e instanceof TypeError && /not an IP address/.test(e.message));
    a.autoAsconf = false;
    assert.equal(a.autoAsconf, false);
    assert.throws(() => { a.autoAsconf = "yes"; }, TypeError);
    // set_peer_primary: the peer (no AUTH, so no ASCONF) cannot take it.
    const b = new S.Endpoint({ acceptIncoming: true });
    const id = a.connect(0, "10.0.0.2:9899");
    pumpPair(a, b);
    assert.equal(a.state(id), "ESTABLISHED");
    assert.throws(() => a.setPeerPrimary(0, id, "10.0.1.1"), (e) => e.code === "ERR_SCTP_INVALID_STATE" && /does not support dynamic address reconfiguration/.test(e.message));
    assert.throws(() => a.setPeerPrimary(0, id, "10.9.9.9"), (e) => e.code === "ERR_SCTP_INVALID_ADDRESS");
  });
}

/** The names every package exports (the runtime side of anysctp.d.ts). */
export const API_NAMES = [
  "Association", "DEFAULT_SCTP_PORT", "DEFAULT_UDP_PORT", "Endpoint", "SINGLE_PATH_ADDRESS", "SctpCloseEvent",
  "SctpErrorEvent", "SctpMessageEvent", "Server", "WebSocketTransport", "connect", "createLink", "listen", "parsePacket",
];
export function checkExports(name, S) {
  test(`${name}: exports exactly the declared API`, () => {
    assert.deepEqual(Object.keys(S).sort(), API_NAMES);
  });
}
