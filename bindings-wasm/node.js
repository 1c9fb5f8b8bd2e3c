// anysctp-wasm in Node: the same WebAssembly module, loaded from disk, with
// SCTP over UDP (RFC 6951) through node:dgram.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { webcrypto } from "node:crypto";
import { initSync, RawEndpoint, parsePacket as rawParsePacket } from "./pkg/anysctp_wasm.js";
import { createApi } from "./lib/api.js";
import { createUdpSocket } from "./lib/udp.js";

initSync({ module: readFileSync(new URL("./pkg/anysctp_wasm_bg.wasm", import.meta.url)) });

const api = createApi(RawEndpoint, {
  now: () => performance.now(),
  parsePacket: rawParsePacket,
  randomSeed: () => webcrypto.getRandomValues(new Uint8Array(32)),
  createUdpSocket,
  WebSocket: globalThis.WebSocket,
});

export const {
  parsePacket, Endpoint, Association, Server, connect, listen, WebSocketTransport, createLink,
  SctpMessageEvent, SctpCloseEvent, SctpErrorEvent, SINGLE_PATH_ADDRESS, DEFAULT_UDP_PORT, DEFAULT_SCTP_PORT,
} = api;
