// W1-W3 in memory: anysctp through napi and through wasm (two sans-IO
// Endpoints joined by the perf-anchors wire: bench/perf-anchors/node) and
// werift's SCTP (the perf-anchors script), in the same run.
//   node bindings-js/bench/bench.mjs [--quick] [--per-call] [--reps N]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const here = fileURLToPath(new URL(".", import.meta.url));
const quick = process.argv.includes("--quick");
const perCall = process.argv.includes("--per-call");
// Every implementation runs as a fresh process through the perf-anchors
// contract (the harness's Node wire, checker and clock), with the same
// message count, so JIT warm-up and the host loop cost the same for all.
const SHAPES = {
  W1: { size: 65536, streams: 1, unordered: false, count: quick ? 256 : 1024 },
  W2: { size: 1024, streams: 1, unordered: false, count: quick ? 20000 : 65536 },
  W3: { size: 100, streams: 16, unordered: true, count: quick ? 20000 : 65536 },
};
const BACKLOG = 1 << 20;
const harness = process.env.PERF_ANCHORS ?? [join(here, "..", "..", "..", "shared", "perf-anchors"), "/work/shared/perf-anchors"].find((d) => existsSync(join(d, "node", "wire.js")));

function keys(w, shape) {
  return [w, `size=${shape.size}`, `count=${shape.count}`, `streams=${shape.streams}`, `unordered=${shape.unordered ? 1 : 0}`, "loss=0", "seed=1", `backlog=${BACKLOG}`];
}

function result(out) {
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in:\n${out}`);
  const r = JSON.parse(line.slice(7));
  if (!r.ok) throw new Error(`${r.impl} ${r.workload}: the harness's checks failed (${line})`);
  return { msgs: r.messages / r.secs, mbs: r.bytes / r.secs / 1e6 };
}

/** anysctp through one package (`napi` or `wasm`), batch calls unless --per-call. */
function anysctp(impl, w, shape) {
  const bench = join(here, "..", "..", "bench", "perf-anchors", "node", "anysctp_bench.mjs");
  const args = [bench, ...keys(w, shape), `impl=${impl}`, `batch=${perCall ? 0 : 1}`];
  return result(execFileSync("node", args, { encoding: "utf8", env: { ...process.env, PERF_ANCHORS: harness } }));
}

function werift(w, shape) {
  const dir = join(here, ".werift");
  if (!harness) return null;
  const src = join(harness, "node");
  mkdirSync(dir, { recursive: true });
  for (const f of ["werift_bench.js", "wire.js"]) cpSync(join(src, f), join(dir, f));
  writeFileSync(join(dir, "package.json"), "{\"type\": \"commonjs\"}\n");
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(here, "..", "node_modules"), join(dir, "node_modules"));
  return result(execFileSync("node", [join(dir, "werift_bench.js"), ...keys(w, shape)], { encoding: "utf8" }));
}

if (process.env.ONLY) for (const k of Object.keys(SHAPES)) if (k !== process.env.ONLY) delete SHAPES[k];
// The machine may be shared: each shape runs `--reps N` times (default 3),
// the three implementations interleaved, and the median of each counts.
const repsArg = process.argv.indexOf("--reps");
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;
if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError("--reps takes a positive integer");
const median = (runs) => {
  const ok = runs.filter((r) => r !== null).sort((x, y) => x.msgs - y.msgs);
  return ok.length ? ok[(ok.length - 1) >> 1] : null;
};
const rows = [];
for (const [w, shape] of Object.entries(SHAPES)) {
  const n = [], m = [], r = [];
  for (let i = 0; i < reps; i++) {
    n.push(anysctp("napi", w, shape));
    m.push(anysctp("wasm", w, shape));
    r.push(werift(w, shape));
  }
  rows.push({ w, n: median(n), m: median(m), r: median(r) });
}
console.log(`median of ${reps} runs (fresh processes, perf-anchors contract, same counts: ${Object.entries(SHAPES).map(([w, s]) => `${w} ${s.count}`).join(", ")}), anysctp ${perCall ? "one datagram per call" : "batch calls"}${quick ? ", --quick" : ""}`);
const f = (x) => (x === null ? "-" : x.toFixed(0));
console.log(`| workload | anysctp napi msg/s (MB/s) | anysctp wasm msg/s (MB/s) | werift msg/s (MB/s) | napi/werift | wasm/werift |`);
console.log(`|---|---|---|---|---|---|`);
for (const { w, n, m, r } of rows) {
  console.log(`| ${w} | ${f(n.msgs)} (${n.mbs.toFixed(1)}) | ${f(m.msgs)} (${m.mbs.toFixed(1)}) | ${r ? `${f(r.msgs)} (${r.mbs.toFixed(1)})` : "-"} | ${r ? (n.msgs / r.msgs).toFixed(1) + "x" : "-"} | ${r ? (m.msgs / r.msgs).toFixed(1) + "x" : "-"} |`);
}
