// W1-W3 in memory: anysctp through napi and through wasm (two sans-IO
// Endpoints joined by an in-memory wire, same shapes as shared/perf-anchors),
// and werift's SCTP via the perf-anchors script, in the same run.
//   node bindings-js/bench/bench.mjs [--quick] [--per-call] [--reps N]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const here = fileURLToPath(new URL(".", import.meta.url));
const quick = process.argv.includes("--quick");
const perCall = process.argv.includes("--per-call");
const SHAPES = {
  W1: { size: 65536, streams: 1, unordered: false, count: quick ? 256 : 2048, werift: 256 },
  W2: { size: 1024, streams: 1, unordered: false, count: quick ? 20000 : 65536, werift: 20000 },
  W3: { size: 100, streams: 16, unordered: true, count: quick ? 20000 : 262144, werift: 20000 },
};
const BACKLOG = 1 << 20;

function run(S, shape) {
  const opts = { outboundStreams: 16, receiveBuffer: 1 << 20, sendBuffer: 4 << 20, maxMessageSize: 1 << 17, rtoMin: 1000 };
  const a = new S.Endpoint({ port: 5000, seed: new Uint8Array(32).fill(1), association: opts });
  const b = new S.Endpoint({ port: 5000, acceptIncoming: true, seed: new Uint8Array(32).fill(2), association: opts });
  const A = "10.0.0.1:9899", B = "10.0.0.2:9899";
  const t0 = performance.now();
  let skew = 0;
  const clock = () => performance.now() - t0 + skew;
  const id = a.connect(clock(), B, opts);
  let got = 0, bytes = 0, sent = 0, sentBytes = 0;
  const msg = new Uint8Array(shape.size).fill(120);
  // The batch calls (one crossing for many datagrams or events); --per-call
  // measures the one-at-a-time calls instead.
  const pump = perCall ? () => {
    let moved = 0, p, e;
    const t = clock();
    while ((p = a.pollTransmit(t))) { b.handleDatagram(t, A, p.data); moved++; }
    while ((p = b.pollTransmit(t))) { a.handleDatagram(t, B, p.data); moved++; }
    while ((e = b.pollEvent())) if (e.type === "message") { got++; bytes += e.data.length; }
    while ((e = a.pollEvent())) if (e.type === "close") throw new Error(`closed: ${JSON.stringify(e)}`);
    return moved;
  } : () => {
    const t = clock();
    const pa = a.pollTransmits(t);
    if (pa.length) b.handleDatagrams(t, A, pa.map((p) => p.data));
    const pb = b.pollTransmits(t);
    if (pb.length) a.handleDatagrams(t, B, pb.map((p) => p.data));
    for (const e of b.pollEvents()) if (e.type === "message") { got++; bytes += e.data.length; }
    for (const e of a.pollEvents()) if (e.type === "close") throw new Error(`closed: ${JSON.stringify(e)}`);
    return pa.length + pb.length;
  };
  while (pump());
  const start = performance.now();
  while (got < shape.count) {
    while (sent < shape.count && (sentBytes === bytes || sentBytes - bytes + shape.size <= BACKLOG)) {
      try {
        a.send(clock(), id, msg, { stream: sent % shape.streams, unordered: shape.unordered, ppid: 53 });
      } catch (e) {
        if (e.code === "ERR_SCTP_WOULD_BLOCK") break;
        throw e;
      }
      sent++; sentBytes += shape.size;
    }
    if (!pump()) {
      const d = Math.max(a.pollTimeout() ?? Infinity, 0), e = b.pollTimeout() ?? Infinity;
      const next = Math.min(d, e);
      if (next === Infinity) throw new Error(`stalled: got ${got} sent ${sent} a=${JSON.stringify(a.stats(id))} state=${a.state(id)}`);
      // skip idle time (delayed SACK): the harness rule "clock = real + skipped idle"
      skew += Math.max(0, next - clock());
      a.handleTimeout(clock()); b.handleTimeout(clock());
    }
  }
  const secs = (performance.now() - start) / 1000;
  return { msgs: got / secs, mbs: bytes / secs / 1e6 };
}

function werift(w, shape) {
  const dir = join(here, ".werift");
  const src = process.env.PERF_ANCHORS ?? "/work/shared/perf-anchors/node";
  if (!existsSync(join(src, "werift_bench.js"))) return null;
  mkdirSync(dir, { recursive: true });
  for (const f of ["werift_bench.js", "wire.js"]) cpSync(join(src, f), join(dir, f));
  writeFileSync(join(dir, "package.json"), "{\"type\": \"commonjs\"}\n");
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(here, "..", "node_modules"), join(dir, "node_modules"));
  const out = execFileSync("node", [join(dir, "werift_bench.js"), w, `size=${shape.size}`, `count=${shape.werift}`, `streams=${shape.streams}`, `unordered=${shape.unordered ? 1 : 0}`, "loss=0", "seed=1", `backlog=${BACKLOG}`], { encoding: "utf8" });
  const r = JSON.parse(out.split("\n").find((l) => l.startsWith("RESULT ")).slice(7));
  return { msgs: r.messages / r.secs, mbs: r.bytes / r.secs / 1e6 };
}

if (process.env.ONLY) for (const k of Object.keys(SHAPES)) if (k !== process.env.ONLY) delete SHAPES[k];
const napi = await import("../../bindings-node/index.js");
const wasm = await import("../../bindings-wasm/node.js");
// The machine may be shared: each shape runs `--reps N` times (default 3),
// the three implementations interleaved, and the best run of each counts.
const repsArg = process.argv.indexOf("--reps");
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;
if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError("--reps takes a positive integer");
const best = (x, y) => (x === null ? y : y === null || x.msgs >= y.msgs ? x : y);
const rows = [];
for (const [w, shape] of Object.entries(SHAPES)) {
  let n = null, m = null, r = null;
  for (let i = 0; i < reps; i++) {
    n = best(n, run(napi, shape));
    m = best(m, run(wasm, shape));
    r = best(r, werift(w, shape));
  }
  rows.push({ w, n, m, r });
}
console.log(`best of ${reps} runs, ${perCall ? "one-at-a-time calls" : "batch calls"}${quick ? ", --quick" : ""}`);
const f = (x) => (x === null ? "-" : x.toFixed(0));
console.log(`| workload | anysctp napi msg/s (MB/s) | anysctp wasm msg/s (MB/s) | werift msg/s (MB/s) | napi/werift | wasm/werift |`);
console.log(`|---|---|---|---|---|---|`);
for (const { w, n, m, r } of rows) {
  console.log(`| ${w} | ${f(n.msgs)} (${n.mbs.toFixed(1)}) | ${f(m.msgs)} (${m.mbs.toFixed(1)}) | ${r ? `${f(r.msgs)} (${r.mbs.toFixed(1)})` : "-"} | ${r ? (n.msgs / r.msgs).toFixed(1) + "x" : "-"} | ${r ? (m.msgs / r.msgs).toFixed(1) + "x" : "-"} |`);
}
