// Native peers for the JavaScript tests: the `anysctp` CLI (built by cargo in
// release, as `scripts/test` does before this suite) and the usrsctp peer of
// the interop tests (interop/usrsctp-peer). Every process started here is
// bounded in time and killed when its test ends.
import { execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ANYSCTP = `${ROOT}target/release/anysctp`;
export const USRSCTP_PEER = `${ROOT}interop/build/usrsctp-peer`;

let cliBuilt = false;
/** `cargo build --release -p anysctp-cli` (a no-op when nothing changed). */
export function buildCli() {
  if (cliBuilt) return ANYSCTP;
  execFileSync("cargo", ["build", "--release", "-q", "-p", "anysctp-cli"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  cliBuilt = true;
  return ANYSCTP;
}

/** Builds the usrsctp peer like interop/run_matrix.py; throws if it cannot (libusrsctp-dev missing). */
export function buildUsrsctpPeer() {
  const src = `${ROOT}interop/usrsctp-peer`;
  const fresh = existsSync(USRSCTP_PEER)
    && ["peer.c", "Makefile"].every((f) => statSync(`${src}/${f}`).mtimeMs <= statSync(USRSCTP_PEER).mtimeMs);
  if (!fresh) execFileSync("make", ["-s", "-C", src, `BUILD=${ROOT}interop/build`], { stdio: ["ignore", "ignore", "inherit"] });
  return USRSCTP_PEER;
}

/** A UDP port free right now on 127.0.0.1 (for peers that cannot bind port 0 and tell). */
export function freeUdpPort() {
  const s = dgram.createSocket("udp4");
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/**
 * Starts `cmd args`; collects stdout and stderr. `exited` resolves with
 * { code, signal, stdout, stderr }; `kill()` ends it (SIGKILL) if it still runs.
 * The process is killed after `limitMs` whatever happens.
 */
export function startProcess(cmd, args, { limitMs = 60000 } = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  const waiters = [];
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const seen = () => { for (const w of [...waiters]) w(); };
  child.stdout.on("data", (d) => { out.stdout += d; seen(); });
  child.stderr.on("data", (d) => { out.stderr += d; seen(); });
  let running = true;
  const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const exited = new Promise((resolve) => child.on("close", (code, signal) => {
    running = false;
    clearTimeout(limit);
    seen();
    resolve({ code, signal, ...out });
  }));
  return {
    child,
    exited,
    get stdout() { return out.stdout; },
    get stderr() { return out.stderr; },
    /** Resolves with the first match of `re` in stderr; rejects if the process ends first. */
    waitFor(re, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { done(); reject(new Error(`${cmd}: no ${re} after ${timeoutMs} ms:\n${out.stderr}`)); }, timeoutMs);
        const check = () => {
          const m = re.exec(out.stderr);
          if (m) { done(); resolve(m); } else if (!running) { done(); reject(new Error(`${cmd} ended before ${re}:\n${out.stderr}`)); }
        };
        const done = () => { clearTimeout(t); const i = waiters.indexOf(check); if (i >= 0) waiters.splice(i, 1); };
        waiters.push(check);
        check();
      });
    },
    kill() { if (running) child.kill("SIGKILL"); },
  };
}

/** The peer's `RESULT {json}` line (the interop format), or null. */
export function resultLine(stdout) {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  return line ? JSON.parse(line.slice(7)) : null;
}
