#!/usr/bin/env node
// Builds the wasm package (bindings-wasm/build.sh), installs the example's
// npm dependencies (uPlot) if they are missing, serves the repository root
// over HTTP on 127.0.0.1 and prints the page's URL.
//
//   node examples/browser/serve.mjs [--port 8000] [--no-build]
//
// Any static file server over the repository root does the same job once the
// two steps have run: the page imports ../../bindings-wasm/index.js.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const PAGE = "/examples/browser/";
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json" };

/** Builds the wasm package (unless `build` is false) and installs uPlot if missing; throws saying what is absent. */
export function prepare({ build = true } = {}) {
  if (build) execFileSync(join(root, "bindings-wasm", "build.sh"), { stdio: "inherit" });
  if (!existsSync(join(root, "bindings-wasm", "pkg", "anysctp_wasm_bg.wasm"))) {
    throw new Error("bindings-wasm/pkg is missing: run bindings-wasm/build.sh (or this script without --no-build)");
  }
  if (!existsSync(join(here, "node_modules", "uplot", "dist", "uPlot.esm.js"))) {
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: here, stdio: "inherit" });
  }
}

/** Serves the repository root; resolves with the page's URL and close(). Port 0 picks a free one. */
export function serve({ port = 8000, host = "127.0.0.1" } = {}) {
  const server = http.createServer(async (req, res) => {
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    } catch {
      res.writeHead(400).end("bad path");
      return;
    }
    if (path.split(sep).includes("..")) { res.writeHead(403).end("outside the repository"); return; }
    if (path.endsWith("/")) path += "index.html";
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const bound = server.address().port;
      resolve({
        url: `http://${host}:${bound}${PAGE}`,
        port: bound,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--port");
  const port = i >= 0 ? Number(args[i + 1]) : 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, got ${args[i + 1]}`);
    process.exit(2);
  }
  prepare({ build: !args.includes("--no-build") });
  try {
    const { url } = await serve({ port });
    console.log(`anysctp browser example: open ${url}  (Ctrl-C stops the server)`);
  } catch (e) {
    console.error(e.code === "EADDRINUSE" ? `port ${port} is in use: pick another with --port N` : String(e));
    process.exit(1);
  }
}
