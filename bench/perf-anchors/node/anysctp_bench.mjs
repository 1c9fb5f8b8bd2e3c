// anysctp's Node and WebAssembly packages on the perf-anchors harness (Node
// edition: wire.js): two sans-IO Endpoints in one thread joined by the
// harness wire, the same host loop as the Rust bench (../src/main.rs).
//   node anysctp_bench.mjs W1..W5 key=value ... [impl=napi|wasm] [batch=1]
// impl: which package (default napi). batch=1: every queued datagram of a
// direction goes in one handleDatagrams call before the receiver's output is
// pulled (the contract's batch key); default: one datagram at a time, output
// pulled after each, through handleDatagram.
// The harness's wire.js is found through $PERF_ANCHORS (default: the shared
// copy next to this checkout, then /work/shared/perf-anchors).
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const harness = [process.env.PERF_ANCHORS, join(root, "..", "shared", "perf-anchors"), "/work/shared/perf-anchors"]
  .filter(Boolean).map((d) => join(d, "node", "wire.js")).find((f) => existsSync(f));
if (!harness) throw new Error("perf-anchors wire.js not found: set PERF_ANCHORS to the harness directory");
const { parseArgs, Wire, stamp, Checker, printResult } = createRequire(import.meta.url)(harness);

const extra = Object.fromEntries(process.argv.slice(3).map((kv) => kv.split("=")).filter((p) => p.length === 2));
const impl = extra.impl ?? "napi";
if (impl !== "napi" && impl !== "wasm") throw new RangeError(`impl must be napi or wasm, got ${impl}`);
const pkg = impl === "napi" ? join(root, "bindings-node", "index.js") : join(root, "bindings-wasm", "node.js");
const { Endpoint } = await import(pkg);
const version = createRequire(import.meta.url)(join(dirname(pkg), "package.json")).version;

const a = parseArgs();
const batch = a.batch === 1;
const A_ADDR = "10.0.0.1:5000", B_ADDR = "10.0.0.2:5000";
const opts = {
  outboundStreams: Math.min(Math.max(a.streams, 1), 65535),
  maxMessageSize: Math.max(a.size, 65536),
  nodelay: true,
  mtu: 1200,
  // The application's backlog is the send-side limit.
  sendBuffer: Math.max(a.backlog, a.size) + a.size,
};

// Clock: real time plus skipped idle time (hybrid), or skipped idle time only (virtual).
const origin = performance.now();
let skew = 0;
const now = a.clock === "virtual" ? () => skew : () => performance.now() - origin + skew;

const A = new Endpoint({ port: 5000, seed: new Uint8Array(32).fill(1), association: opts });
const B = new Endpoint({ port: 5000, acceptIncoming: true, seed: new Uint8Array(32).fill(2), association: opts });
const ends = [A, B];
const wire = new Wire(a);

function drain(side) {
  const ep = ends[side], t = now();
  const d = ep.pollTimeout();
  if (d !== null && d <= t) ep.handleTimeout(t);
  const list = ep.pollTransmits(t);
  for (let i = 0; i < list.length; i++) wire.send(side, list[i].data);
  return list.length;
}

/** Moves datagrams until the wire is empty; returns how many moved. */
function pump() {
  let moved = 0;
  for (;;) {
    drain(0);
    drain(1);
    if (wire.empty()) return moved;
    for (const d of [0, 1]) {
      const r = ends[1 - d], from = d === 0 ? A_ADDR : B_ADDR;
      let p;
      if (batch) {
        const list = [];
        while ((p = wire.pop(d)) !== null) list.push(p);
        if (list.length) r.handleDatagrams(now(), from, list);
        moved += list.length;
      } else {
        while ((p = wire.pop(d)) !== null) {
          r.handleDatagram(now(), from, p);
          drain(1 - d);
          moved++;
        }
      }
    }
  }
}

function idleSkip() {
  const ts = [A.pollTimeout(), B.pollTimeout()].filter((t) => t !== null);
  const target = ts.length ? Math.min(...ts) : now() + 10;
  if (target > now()) skew += target - now();
}

/** Connects A to B; returns A's association id once both are established. */
function connect() {
  const id = A.connect(now(), B_ADDR, { ...opts, port: 5000 });
  let aUp = false, bUp = false;
  for (let i = 0; i < 100000; i++) {
    const moved = pump();
    for (const e of A.pollEvents()) if (e.association === id && e.type === "open") aUp = true;
    for (const e of B.pollEvents()) if (e.type === "open") bUp = true;
    if (aUp && bUp) return id;
    if (!moved) idleSkip();
  }
  throw new Error("no association");
}

const ck = new Checker(a);
const config = { host_loop: batch ? "batch" : "per-datagram", package: impl, mtu: opts.mtu, send_buffer: opts.sendBuffer, nodelay: true,
  crc32c: "crc32c crate, computed and verified", clock: a.clock === "virtual" ? "virtual" : "hybrid" };
const name = `anysctp-${impl}${batch ? "/batch" : ""}`;

if (a.workload === "W5") {
  const t0 = performance.now();
  let setup = 0;
  for (let i = 0; i < a.count; i++) {
    const s0 = performance.now();
    const id = connect();
    setup += performance.now() - s0;
    ck.assoc(i);
    // Teardown: ABORT (as the Rust bench, usrsctp and dcsctp do); not timed.
    A.abort(now(), id, "bench teardown");
    pump();
    A.pollEvents();
    B.pollEvents();
  }
  printResult(name, version, a, ck, setup / 1000, (performance.now() - t0) / 1000, wire, skew, config);
  process.exit(0);
}

const id = connect();
wire.impair = true;
const streams = Math.max(a.streams, 1);
const sendOpts = Array.from({ length: streams }, (_, s) => ({ stream: s, unordered: a.unordered === 1, ppid: 53 }));
const base = Buffer.alloc(a.size, 120);
let sent = 0, sentBytes = 0, stuck = 0;
const skew0 = skew;
const t0 = performance.now();
while (ck.got < a.count) {
  let progress = false;
  const t = now();
  while (sent < a.count && (sentBytes === ck.bytes || sentBytes - ck.bytes + a.size <= a.backlog)) {
    // A fresh message each time, stamped with its sequence number (the application's bytes).
    const m = Buffer.from(base);
    stamp(m, a.size, sent);
    try {
      A.send(t, id, m, sendOpts[sent % streams]);
    } catch (e) {
      if (e.code === "ERR_SCTP_WOULD_BLOCK") break;
      throw e;
    }
    sent++;
    sentBytes += a.size;
    progress = true;
  }
  if (pump() > 0) progress = true;
  for (const e of B.pollEvents()) {
    if (e.type === "message") {
      ck.msg(e.stream, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
      progress = true;
    }
  }
  A.pollEvents();
  if (pump() > 0) progress = true;
  if (!progress) {
    idleSkip();
    if (++stuck > 2000000) { console.error(`stuck sent=${sent} got=${ck.got}`); break; }
  }
}
const secs = (performance.now() - t0) / 1000;
printResult(name, version, a, ck, secs, secs, wire, skew - skew0, config);
process.exit(0);
