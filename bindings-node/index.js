// anysctp for Node.js: the shared API (lib/api.js) over the native module.
import { performance } from "node:perf_hooks";
import { webcrypto } from "node:crypto";
import { RawEndpoint, parsePacket as rawParsePacket } from "./native.js";
import { createApi } from "./lib/api.js";
import { createUdpSocket } from "./lib/udp.js";

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
