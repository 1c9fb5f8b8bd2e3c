// Both packages (napi and wasm, in Node) over UDP on 127.0.0.1 (RFC 6951)
// against native peers: the `anysctp` CLI and the usrsctp peer of the
// interop tests, each way round. 1,000 messages in the interop format over 8
// streams are echoed back and checked on both sides, then a graceful
// shutdown that both sides must see.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as napi from "../../bindings-node/index.js";
import * as wasm from "../../bindings-wasm/node.js";
import { interopMessage } from "./suite.mjs";
import { buildCli, buildUsrsctpPeer, freeUdpPort, startProcess, resultLine } from "./native.mjs";

const N = 1000;
const STREAMS = 8;
const SCTP_PORT = 5000;
// Larger than one packet (MTU 1200), so every message is fragmented; one
// size for all (the usrsctp peer checks it).
const SIZE = 2000;
const opts = { outboundStreams: 16, rtoInitial: 200, rtoMin: 100, sctpPort: SCTP_PORT };
// What the native peers are told: the same messages and streams.
const peerFlags = ["--streams", "16", "--send-streams", String(STREAMS), "--expect", String(N), "--size", String(SIZE)];

/** Checks interop messages: content, stream (id % 8), no duplicates, order per stream. */
class Checker {
  constructor() { this.seen = new Set(); this.last = new Map(); this.errors = []; }
  check(m) {
    const d = m.data;
    const id = Number(new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(0, true));
    for (let i = 8; i < d.length; i++) if (d[i] !== (id + i) % 251) { this.errors.push(`message ${id}: byte ${i}`); break; }
    if (d.length !== SIZE) this.errors.push(`message ${id}: ${d.length} bytes`);
    if (m.stream !== id % STREAMS) this.errors.push(`message ${id} on stream ${m.stream}`);
    if (this.seen.has(id)) this.errors.push(`message ${id} twice`);
    this.seen.add(id);
    if (!m.unordered) {
      const prev = this.last.get(m.stream);
      if (prev !== undefined && id <= prev) this.errors.push(`stream ${m.stream}: ${id} after ${prev}`);
      this.last.set(m.stream, id);
    }
  }
}

/** Sends the N messages with backpressure, checks N echoes, shuts down; returns the close reason. */
async function clientRun(a) {
  const c = new Checker();
  const done = new Promise((resolve) => {
    a.onmessage = (m) => { c.check(m); if (c.seen.size === N) resolve(); };
  });
  a.bufferedAmountLowThreshold = 64 * 1024;
  for (let id = 0; id < N; id++) {
    while (a.bufferedAmount > 256 * 1024) await new Promise((r) => a.addEventListener("bufferedamountlow", r, { once: true }));
    a.send(interopMessage(id, SIZE), { stream: id % STREAMS });
  }
  await done;
  assert.deepEqual(c.errors, []);
  await a.shutdown();
  return a.closed;
}

/** Echoes every message of the first association; resolves with its close reason and what it checked. */
async function serverRun(server) {
  const c = new Checker();
  for await (const a of server) {
    for await (const m of a) {
      c.check(m);
      a.send(m.data, { stream: m.stream, unordered: m.unordered });
    }
    return { reason: await a.closed, checker: c };
  }
  throw new Error("server closed without an association");
}

/** Bounds a promise in time (the peers are killed in `finally`). */
function within(ms, p, what) {
  let t;
  return Promise.race([p, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** The peer ended by itself, exit code 0, with every message and a graceful shutdown in its RESULT line. */
async function peerSucceeded(peer, what) {
  const r = await within(10000, peer.exited, what);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const res = resultLine(r.stdout);
  assert.equal(res.received, N);
  assert.equal(res.shutdown, "graceful");
}

/** The package connects to a native server (`start()` resolves with it and its UDP port). */
async function toNative(S, start, what) {
  const { peer, port } = await start();
  try {
    const a = await S.connect({ host: "127.0.0.1", port, ...opts });
    assert.equal(await within(40000, clientRun(a), "echo"), "shutdown");
    await peerSucceeded(peer, what);
  } finally { peer.kill(); }
}

/** A native client (`start(port)`) connects to the package's server. */
async function fromNative(S, start, what) {
  const server = await S.listen({ host: "127.0.0.1", port: 0, ...opts });
  const served = serverRun(server);
  const peer = start(server.address.port);
  try {
    const { reason, checker } = await within(40000, served, "echo server");
    assert.equal(reason, "shutdown");
    assert.equal(checker.seen.size, N);
    assert.deepEqual(checker.errors, []);
    await peerSucceeded(peer, what);
  } finally { peer.kill(); await server.close({ graceful: false }); }
}

before(() => { buildCli(); buildUsrsctpPeer(); }, { timeout: 900000 });

const limit = { timeout: 60000 };
const what = "1,000 echoed messages over 8 streams, graceful shutdown";
for (const [name, S] of [["node", napi], ["wasm", wasm]]) {
  test(`${name} → anysctp listen (CLI): ${what}`, limit, () => toNative(S, async () => {
    const peer = startProcess(buildCli(), ["listen", "127.0.0.1:0", "--sctp-port", String(SCTP_PORT), "--echo", "--verify", ...peerFlags, "--timeout", "45"]);
    const [, port] = await peer.waitFor(/listening on UDP 127\.0\.0\.1:(\d+)/).catch((e) => { peer.kill(); throw e; });
    return { peer, port: Number(port) };
  }, "anysctp listen"));

  test(`${name} ← anysctp connect (CLI): ${what}`, limit, () => fromNative(S, (port) => startProcess(buildCli(), ["connect", `127.0.0.1:${port}`,
    "--sctp-port", String(SCTP_PORT), "--count", String(N), "--verify", ...peerFlags, "--timeout", "45"]), "anysctp connect"));

  test(`${name} → usrsctp peer: ${what}`, limit, () => toNative(S, async () => {
    const port = await freeUdpPort();
    const peer = startProcess(buildUsrsctpPeer(), ["server", "--udp-port", String(port), "--sctp-port", String(SCTP_PORT), "--echo", ...peerFlags, "--timeout", "45"]);
    return { peer, port };
  }, "usrsctp peer"));

  test(`${name} ← usrsctp peer: ${what}`, limit, () => fromNative(S, (port) => startProcess(buildUsrsctpPeer(), ["client", "--remote", `127.0.0.1:${port}`,
    "--sctp-port", String(SCTP_PORT), "--remote-sctp-port", String(SCTP_PORT), "--count", String(N), ...peerFlags, "--timeout", "45"]), "usrsctp peer"));
}
