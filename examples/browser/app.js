// Two anysctp endpoints in one page, joined by a simulated link (createLink:
// loss, one-way delay, a bandwidth limit behind a drop-tail queue), with live
// uPlot charts of the sender's cwnd and srtt and the receiver's goodput.
// The Association API moves the packets and drives each endpoint's timers
// (pollTimeout / handleTimeout); this file wires the controls, generates the
// traffic and reads stats().
import { createLink, listen, connect } from "anysctp-wasm";
import uPlot from "uplot";

const SAMPLE_MS = 250; // one chart point every 250 ms
const HISTORY_POINTS = (60 * 1000) / SAMPLE_MS; // the charts show the last minute
const GOODPUT_WINDOW_MS = 1000; // "goodput (last 1 s)"
const BULK_MESSAGE = 16 * 1024;
const BULK_HIGH = 1024 * 1024; // bulk: keep up to this much queued in the sender,
const BULK_LOW = 256 * 1024; // refill when it drains below this
const RATE_TICK_MS = 10;
/** Series colours (the Chromium test looks for them in the screenshot). */
const COLORS = { cwnd: "#1f77b4", srtt: "#d62728", goodput: "#2ca02c", limit: "#888888" };

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// Link controls: slider value -> createLink setting. Initial values may come
// from the query string (?loss=2&delay=50&bandwidth=5&queue=128).
const LINK = {
  loss: { initial: 1, set: (link, v) => { link.loss = v / 100; } }, // %
  delay: { initial: 20, set: (link, v) => { link.delay = v; } }, // ms, one way
  bandwidth: { initial: 10, set: (link, v) => { link.bandwidth = (v * 1e6) / 8; } }, // Mbit/s -> bytes/s
  queue: { initial: 128, set: (link, v) => { link.queue = v * 1024; } }, // KiB
};

function initial(input, fallback) {
  const q = params.get(input.id);
  input.value = q !== null && q.trim() !== "" && Number.isFinite(Number(q)) ? q : String(fallback);
}

for (const [name, c] of Object.entries(LINK)) {
  const input = $(name);
  initial(input, c.initial);
  const show = () => { $(`${name}-out`).value = input.value; };
  show();
  input.addEventListener("input", () => {
    show();
    if (session) c.set(session.link, Number(input.value));
  });
}
initial($("rate"), 1000);
initial($("size"), 200);
const startMode = params.get("mode") === "rate" ? "rate" : "bulk";
$(`mode-${startMode}`).checked = true;

function linkSettings() {
  const probe = { loss: 0, delay: 0, bandwidth: 0, queue: 0 };
  for (const [name, c] of Object.entries(LINK)) c.set(probe, Number($(name).value));
  return probe;
}

// --- the two endpoints --------------------------------------------------------

/** @type {null | { link: any, server: any, assoc: any, rxBytes: number, rxMessages: number }} */
let session = null;

async function openSession() {
  const link = createLink({ ...linkSettings(), seed: 1 });
  const server = await listen({ transport: link.b });
  const s = { link, server, assoc: null, rxBytes: 0, rxMessages: 0 };
  server.onassociation = (ev) => {
    ev.association.onmessage = (m) => { s.rxBytes += m.data.length; s.rxMessages++; };
  };
  try {
    s.assoc = await connect({ transport: link.a });
  } catch (e) {
    await server.close({ graceful: false });
    link.a.close();
    link.b.close();
    throw e;
  }
  s.assoc.bufferedAmountLowThreshold = BULK_LOW;
  s.assoc.onbufferedamountlow = () => { if (traffic === "bulk") fill(); };
  s.assoc.onclose = (ev) => {
    stopTraffic(`association closed (${ev.reason}${ev.message ? `: ${ev.message}` : ""}); Start opens a new one`);
  };
  return s;
}

async function closeSession() {
  if (!session) return;
  const { link, server } = session;
  session = null;
  await server.close({ graceful: false });
  link.a.close();
  link.b.close();
}

// --- traffic -----------------------------------------------------------------

/** "bulk", "rate" or null (stopped). */
let traffic = null;
let rateTimer = null;
let startedAt = 0;
let rxAtStart = 0;
const bulkMessage = new Uint8Array(BULK_MESSAGE).map((_, i) => i % 251);

function sendOrBlock(a, data) {
  try {
    a.send(data);
    return true;
  } catch (e) {
    if (e.code === "ERR_SCTP_WOULD_BLOCK") return false; // send buffer full: wait for bufferedamountlow
    throw e;
  }
}

function fill() {
  const a = session?.assoc;
  while (traffic === "bulk" && a && a.readyState === "open" && a.bufferedAmount < BULK_HIGH) {
    if (!sendOrBlock(a, bulkMessage)) break;
  }
}

function startRate(rate, size) {
  const message = new Uint8Array(size).map((_, i) => i % 251);
  let credit = 0;
  let last = performance.now();
  rateTimer = setInterval(() => {
    const t = performance.now();
    // at most one second's worth at once (a page that was in the background)
    credit = Math.min(credit + ((t - last) * rate) / 1000, rate);
    last = t;
    const a = session?.assoc;
    while (credit >= 1 && a && a.readyState === "open") {
      if (!sendOrBlock(a, message)) { credit = 0; break; }
      credit--;
    }
  }, RATE_TICK_MS);
}

function readRate() {
  const rate = Number($("rate").value), size = Number($("size").value);
  if (!Number.isInteger(rate) || rate < 1 || rate > 100000) throw new RangeError(`message rate must be a whole number from 1 to 100000 msg/s, got ${$("rate").value}`);
  if (!Number.isInteger(size) || size < 1 || size > 65536) throw new RangeError(`message size must be a whole number from 1 to 65536 bytes, got ${$("size").value}`);
  return { rate, size };
}

async function start() {
  $("start").disabled = true;
  try {
    const mode = document.querySelector('input[name="mode"]:checked').value;
    const rate = mode === "rate" ? readRate() : null;
    if (!session || session.assoc.readyState === "closed") {
      await closeSession();
      setStatus("connecting…");
      session = await openSession();
      goodputWindow.length = 0;
    }
    traffic = mode;
    startedAt = performance.now();
    rxAtStart = session.rxBytes;
    if (mode === "bulk") fill();
    else startRate(rate.rate, rate.size);
    $("stop").disabled = false;
    setStatus(mode === "bulk" ? "bulk transfer running" : `sending ${rate.rate} msg/s of ${rate.size} bytes`);
  } catch (e) {
    $("start").disabled = false;
    setStatus(String(e.message ?? e));
  }
}

function stopTraffic(message = "stopped") {
  traffic = null;
  if (rateTimer !== null) clearInterval(rateTimer);
  rateTimer = null;
  $("start").disabled = false;
  $("stop").disabled = true;
  setStatus(message);
}

function setStatus(text) { $("status").textContent = text; }

$("start").addEventListener("click", start);
$("stop").addEventListener("click", () => stopTraffic());

// --- charts and numbers ------------------------------------------------------

const data = { t: [], cwnd: [], srtt: [], goodput: [], limit: [] };

function makeChart(el, title, yLabel, series) {
  const chart = new uPlot({
    title,
    width: Math.max(300, el.clientWidth),
    height: 240,
    legend: { live: false },
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ label: "time (s)" }, { label: yLabel }],
    series: [{ label: "t" }, ...series],
  }, [[], ...series.map(() => [])], el);
  new ResizeObserver(() => chart.setSize({ width: Math.max(300, el.clientWidth), height: 240 })).observe(el);
  return chart;
}

const charts = [
  [makeChart($("chart-cwnd"), "Congestion window (sender)", "KiB", [{ label: "cwnd", stroke: COLORS.cwnd, width: 2 }]), ["cwnd"]],
  [makeChart($("chart-srtt"), "Smoothed RTT (sender)", "ms", [{ label: "srtt", stroke: COLORS.srtt, width: 2 }]), ["srtt"]],
  [makeChart($("chart-goodput"), "Goodput (receiver, 1 s window)", "Mbit/s", [
    { label: "goodput", stroke: COLORS.goodput, width: 2 },
    { label: "link bandwidth", stroke: COLORS.limit, width: 1, dash: [6, 4] },
  ]), ["goodput", "limit"]],
];

/** Receiver byte counts over the last GOODPUT_WINDOW_MS: [time, bytes] pairs. */
const goodputWindow = [];

function show(id, value, text) {
  const el = $(id);
  el.textContent = text;
  el.dataset.value = value === null ? "" : String(value);
}
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const mbit = (bytesPerSecond) => `${((bytesPerSecond * 8) / 1e6).toFixed(2)} Mbit/s`;

function sample() {
  if (!session) return;
  const t = performance.now();
  const s = session;
  const st = s.assoc.stats();
  const path = st ? st.paths.find((p) => p.primary) ?? st.paths[0] : null;

  goodputWindow.push([t, s.rxBytes]);
  while (goodputWindow.length > 2 && goodputWindow[1][0] <= t - GOODPUT_WINDOW_MS) goodputWindow.shift();
  const [t0, rx0] = goodputWindow[0];
  const goodput = t > t0 ? ((s.rxBytes - rx0) * 1000) / (t - t0) : 0; // bytes/s
  const average = traffic && t > startedAt ? ((s.rxBytes - rxAtStart) * 1000) / (t - startedAt) : null;

  show("s-state", st?.state ?? "closed", st?.state ?? "closed");
  show("s-cwnd", path?.cwnd ?? null, path ? kib(path.cwnd) : "–");
  show("s-ssthresh", path?.ssthresh ?? null, path ? kib(path.ssthresh) : "–");
  show("s-srtt", path?.srtt ?? null, path?.srtt != null ? `${path.srtt.toFixed(1)} ms` : "–");
  show("s-rto", path?.rto ?? null, path ? `${path.rto.toFixed(0)} ms` : "–");
  show("s-inflight", st?.bytesInFlight ?? null, st ? kib(st.bytesInFlight) : "–");
  show("s-goodput", goodput, mbit(goodput));
  show("s-goodput-avg", average, average === null ? "–" : mbit(average));
  show("s-buffered", st?.bufferedAmount ?? null, st ? kib(st.bufferedAmount) : "–");
  show("s-received", s.rxBytes, `${(s.rxBytes / 1048576).toFixed(2)} MiB`);
  show("s-messages", s.rxMessages, String(s.rxMessages));
  show("s-rtx", st?.retransmissions ?? null, String(st?.retransmissions ?? "–"));
  show("s-fast", st?.fastRetransmissions ?? null, String(st?.fastRetransmissions ?? "–"));
  show("s-timeouts", st?.timeouts ?? null, String(st?.timeouts ?? "–"));
  show("s-delivered", s.link.delivered, String(s.link.delivered));
  show("s-lost", s.link.dropped, String(s.link.dropped));
  show("s-overflowed", s.link.overflowed, String(s.link.overflowed));

  data.t.push(t / 1000);
  data.cwnd.push(path ? path.cwnd / 1024 : null);
  data.srtt.push(path?.srtt ?? null);
  data.goodput.push((goodput * 8) / 1e6);
  data.limit.push(Number($("bandwidth").value));
  if (data.t.length > HISTORY_POINTS) for (const k of Object.keys(data)) data[k].shift();
  for (const [chart, keys] of charts) chart.setData([data.t, ...keys.map((k) => data[k])]);
}
setInterval(sample, SAMPLE_MS);

/** For the console and the Chromium test: the link, the plotted data, the colours. */
window.demo = { colors: COLORS, data, link: () => session?.link ?? null, ready: true };
