// The wasm package in headless Chromium: a page connects over WebSocket to
// the bridge, which forwards to a Node-hosted anysctp echo server over UDP;
// 1,000 messages over 8 streams, one of them 256 KiB, come back intact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { listen } from "../../bindings-node/index.js";
import { startBridge } from "../ws-bridge/bridge.mjs";
import { serveStatic } from "./static.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

test("wasm in Chromium: echo 1,000 messages over 8 streams through the WebSocket bridge", { timeout: 120000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
  const server = await listen({ host: "127.0.0.1", port: 0, rtoMin: 100, rtoInitial: 200, maxMessageSize: 262144 });
  (async () => { for await (const a of server) (async () => { for await (const m of a) a.send(m.data, { stream: m.stream }); })(); })();
  const bridge = await startBridge({ wsPort: 0, udpPort: server.address.port });
  const web = await serveStatic(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${web.port}/bindings-js/test/browser/echo.html?ws=ws://127.0.0.1:${bridge.port}`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 100000 });
    const r = await page.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.got, 1000);
    assert.equal(r.bad, 0);
  } finally {
    await browser.close();
    await bridge.close();
    await web.close();
    await server.close({ graceful: false });
  }
});
