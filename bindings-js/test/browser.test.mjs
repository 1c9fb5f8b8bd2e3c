// The wasm package in headless Chromium: a page connects over WebSocket to
// the native CLI, `anysctp listen --ws` (target/release/anysctp, built by
// cargo), which echoes; 1,000 messages over 8 streams, one of them 256 KiB,
// come back intact, the CLI checks every one of them too (--verify), and the
// page's graceful shutdown ends the CLI with exit code 0.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { serveStatic } from "./static.mjs";
import { ROOT, buildCli, startProcess, resultLine } from "./native.mjs";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

before(() => buildCli(), { timeout: 900000 });

test("wasm in Chromium: echo 1,000 messages over 8 streams with `anysctp listen --ws`", { timeout: 120000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
  // SCTP port 5000 (the --ws default) is the page's default too.
  const cli = startProcess(buildCli(), ["listen", "--ws", "127.0.0.1:0", "--echo", "--max-message-size", "262144",
    "--verify", "--expect", "1000", "--send-streams", "8", "--timeout", "110"], { limitMs: 115000 });
  let web, browser;
  try {
    const [, wsAddr] = await cli.waitFor(/listening on WebSocket ws:\/\/(\S+)/);
    web = await serveStatic(ROOT);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${web.port}/bindings-js/test/browser/echo.html?ws=ws://${wsAddr}`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 100000 });
    const r = await page.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.got, 1000);
    assert.equal(r.bad, 0);
    const done = await cli.exited;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    const res = resultLine(done.stdout);
    assert.equal(res.received, 1000);
    assert.equal(res.shutdown, "graceful");
  } finally {
    cli.kill();
    await browser?.close();
    await web?.close();
  }
});
