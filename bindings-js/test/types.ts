// Type-level test: both packages' declarations satisfy the one API.
import type * as Api from "../anysctp.js";
import type { Transmit } from "../anysctp.js";
import * as NodePkg from "anysctp";
import * as WasmPkg from "anysctp-wasm";

type Shape = typeof Api;
const node: Shape = NodePkg;
const wasm: Shape = WasmPkg;

async function usage(S: Shape): Promise<void> {
  const ep = new S.Endpoint({ port: 5000, association: { outboundStreams: 4 } });
  const id: number = ep.connect(performance.now(), "127.0.0.1:9899", { port: 5000 });
  const t = ep.pollTransmit(performance.now());
  if (t) ep.handleDatagram(performance.now(), t.destination, t.data);
  const e = ep.pollEvent();
  if (e && e.type === "message") { const d: Uint8Array = e.data; void d; }
  const batch: Transmit[] = ep.pollTransmits(performance.now());
  ep.handleDatagrams(performance.now(), "127.0.0.1:9899", batch.map((x) => x.data));
  for (const ev of ep.pollEvents()) if (ev.type === "open") { const n: number = ev.outboundStreams; void n; }
  const a = await S.connect({ host: "127.0.0.1", port: 9899, outboundStreams: 8 });
  a.onmessage = (ev) => { const s: number = ev.stream; void s; };
  a.addEventListener("bufferedamountlow", () => {});
  a.send("hi", { stream: 1, unordered: true });
  for await (const m of a) { const p: number = m.ppid; void p; break; }
  const st = a.stats();
  if (st) { const c: number = st.paths[0].cwnd; void c; }
  await a.shutdown();
  const link = S.createLink({ loss: 0.01, delay: 20, bandwidth: 1.25e6, queue: 64 * 1024 });
  link.loss = 0.05;
  const lost: number = link.dropped + link.overflowed;
  await S.listen({ transport: link.b });
  void id; void lost;
}
void node; void wasm; void usage;
