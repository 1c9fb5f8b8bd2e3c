// anysctp-wasm for browsers and bundlers: loads the module (top-level await),
// then offers the shared API. Time from performance.now(), seed from
// crypto.getRandomValues: the core has neither of its own.
import init, { RawEndpoint, parsePacket as rawParsePacket } from "./pkg/anysctp_wasm.js";
import { createApi } from "./lib/api.js";

await init({ module_or_path: new URL("./pkg/anysctp_wasm_bg.wasm", import.meta.url) });

const api = createApi(RawEndpoint, {
  now: () => performance.now(),
  parsePacket: rawParsePacket,
  randomSeed: () => crypto.getRandomValues(new Uint8Array(32)),
  WebSocket: globalThis.WebSocket,
});

export const {
  parsePacket, Endpoint, Association, Server, connect, listen, WebSocketTransport, createLink,
  SctpMessageEvent, SctpCloseEvent, SctpErrorEvent, SINGLE_PATH_ADDRESS, DEFAULT_UDP_PORT, DEFAULT_SCTP_PORT,
} = api;
