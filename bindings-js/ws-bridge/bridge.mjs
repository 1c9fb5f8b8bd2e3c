#!/usr/bin/env node
// WebSocket <-> SCTP-over-UDP bridge: each WebSocket connection gets its own
// UDP socket; every binary frame is one SCTP packet sent to the UDP target,
// and every datagram from the target becomes one binary frame. Lets a page
// (anysctp-wasm, options.url) reach a native SCTP-over-UDP peer (RFC 6951),
// e.g. `anysctp listen` or a Node anysctp server. Self-contained (npm `ws`),
// to be folded into the CLI as `anysctp listen --ws PORT`.
//   usage: node bridge.mjs [wsPort=8080] [udpHost=127.0.0.1] [udpPort=9899]
import dgram from "node:dgram";
import { WebSocketServer } from "ws";

export function startBridge({ wsPort = 8080, udpHost = "127.0.0.1", udpPort = 9899, host = "127.0.0.1" } = {}) {
  const wss = new WebSocketServer({ port: wsPort, host });
  wss.on("connection", (ws) => {
    const udp = dgram.createSocket(udpHost.includes(":") ? "udp6" : "udp4");
    udp.on("message", (msg, rinfo) => {
      if (rinfo.port === udpPort && ws.readyState === ws.OPEN) ws.send(msg, { binary: true });
    });
    udp.on("error", () => {});
    ws.on("message", (data, isBinary) => { if (isBinary) udp.send(data, udpPort, udpHost); });
    ws.on("close", () => udp.close());
    ws.on("error", () => ws.close());
  });
  return new Promise((resolve) => wss.on("listening", () => resolve({
    port: wss.address().port,
    close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
  })));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [wsPort = "8080", udpHost = "127.0.0.1", udpPort = "9899"] = process.argv.slice(2);
  const b = await startBridge({ wsPort: Number(wsPort), udpHost, udpPort: Number(udpPort), host: "0.0.0.0" });
  console.log(`ws://0.0.0.0:${b.port} <-> udp ${udpHost}:${udpPort}`);
}
