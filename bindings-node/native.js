// Loads the native module: a local build (`npm install` in a checkout runs
// `napi build --platform`) or the prebuilt per-platform package
// `@anysctp/node-<platform>` (see README, "Publishing").
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";

const require = createRequire(import.meta.url);

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    return readFileSync("/usr/bin/ldd", "utf8").includes("musl");
  } catch {
    return !process.report?.getReport?.().header?.glibcVersionRuntime;
  }
}

function platformTag() {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const tag = platformTag();
const local = new URL(`./anysctp.${tag}.node`, import.meta.url);
let binding;
if (existsSync(local)) binding = require(local.pathname);
else {
  try {
    binding = require(`@anysctp/node-${tag}`);
  } catch (e) {
    throw new Error(`anysctp: no native module for ${tag}: run \`npm install\` in the package (needs cargo) or install @anysctp/node-${tag} (${e.message})`);
  }
}
export const parsePacket = binding.parsePacket;

// The hot calls go to free functions taking the endpoint's handle (a napi-rs
// class method pays ~0.5 µs of `this` bookkeeping per call; see src/lib.rs);
// every other method is forwarded to the native object unchanged.
const HOT = {
  send: binding.rawSend,
  handleDatagram: binding.rawHandleDatagram,
  handleDatagrams: binding.rawHandleDatagrams,
  pollTransmits: binding.rawPollTransmits,
  pollEvents: binding.rawPollEvents,
  pollTimeout: binding.rawPollTimeout,
  handleTimeout: binding.rawHandleTimeout,
};

/** The raw sans-IO endpoint (the native class, hot calls routed through its handle). */
export class RawEndpoint {
  #native;
  #handle;
  constructor(...args) {
    this.#native = new binding.RawEndpoint(...args);
    this.#handle = this.#native.handle();
  }
  send(now, id, stream, data, ppid, unordered, lifetime, maxRetransmits) {
    return HOT.send(this.#handle, now, id, stream, data, ppid, unordered, lifetime, maxRetransmits);
  }
  handleDatagram(now, from, data) { return HOT.handleDatagram(this.#handle, now, from, data); }
  handleDatagrams(now, from, datagrams) { return HOT.handleDatagrams(this.#handle, now, from, datagrams); }
  pollTransmits(now) { return HOT.pollTransmits(this.#handle, now); }
  pollEvents() { return HOT.pollEvents(this.#handle); }
  pollTimeout() { return HOT.pollTimeout(this.#handle); }
  handleTimeout(now) { return HOT.handleTimeout(this.#handle, now); }
  /** The native object, for the forwarded methods. */
  get native() { return this.#native; }
}
for (const name of Object.getOwnPropertyNames(binding.RawEndpoint.prototype)) {
  if (name === "constructor" || name === "handle" || name in HOT) continue;
  Object.defineProperty(RawEndpoint.prototype, name, {
    value: function (...args) { return this.native[name](...args); },
    writable: true,
    configurable: true,
  });
}
