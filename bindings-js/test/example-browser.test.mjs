// examples/browser in headless Chromium: the page's two endpoints move a bulk
// transfer across its simulated link; the three charts get drawn (found in a
// screenshot by their series colours), the goodput shown fits the link's
// bandwidth, and raising the loss control makes the link drop packets and
// the sender retransmit. The message-rate mode delivers messages and refuses a
// rate of 0 with a message saying what to change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import { prepare, serve } from "../../examples/browser/serve.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const BANDWIDTH_MBIT = 8;
const CHARTS = { cwnd: "#chart-cwnd", srtt: "#chart-srtt", goodput: "#chart-goodput" };

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Pixels of (about) colour `hex` inside `rect` (CSS px = image px at scale 1); anti-aliased edges fall outside the tolerance. */
function countColour(png, rect, hex) {
  const [r, g, b] = rgb(hex);
  let n = 0;
  const x0 = Math.max(0, Math.floor(rect.x)), y0 = Math.max(0, Math.floor(rect.y));
  const x1 = Math.min(png.width, Math.ceil(rect.x + rect.width)), y1 = Math.min(png.height, Math.ceil(rect.y + rect.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      if (Math.abs(png.data[i] - r) + Math.abs(png.data[i + 1] - g) + Math.abs(png.data[i + 2] - b) <= 48) n++;
    }
  }
  return n;
}

/** Each chart's plotting canvas (legend and title excluded) in page coordinates. */
function canvasRects(page) {
  return page.evaluate((charts) => Object.fromEntries(Object.entries(charts).map(([k, sel]) => {
    const r = document.querySelector(`${sel} canvas`).getBoundingClientRect();
    return [k, { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }];
  })), CHARTS);
}

async function shoot(page) {
  return PNG.sync.read(await page.screenshot({ fullPage: true }));
}

const value = (page, id) => page.$eval(id, (el) => (el.dataset.value === "" ? null : Number(el.dataset.value)));

test("examples/browser: live charts of cwnd, srtt and goodput over a simulated link; the loss control acts on the link; message-rate mode", { timeout: 240000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
  prepare({ build: false }); // bindings-js/test.sh has built the wasm package
  const web = await serve({ port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1100 }, deviceScaleFactor: 1 });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // No random loss, and a queue (2 MiB) larger than the receive window
    // (1 MiB): nothing is dropped until the loss control is raised.
    await page.goto(`${web.url}?loss=0&delay=20&bandwidth=${BANDWIDTH_MBIT}&queue=2048`);
    await page.waitForFunction(() => window.demo?.ready === true, null, { timeout: 60000 });
    const colours = await page.evaluate(() => window.demo.colors);

    const before = await shoot(page);
    const emptyRects = await canvasRects(page);
    for (const k of Object.keys(CHARTS)) assert.equal(countColour(before, emptyRects[k], colours[k]), 0, `${k} chart is empty before the transfer`);

    await page.click("#start");
    await page.waitForFunction(() => {
      const d = window.demo.data;
      const recent = (a) => a.slice(-8);
      return d.t.length >= 12 && recent(d.goodput).some((g) => g > 0) && recent(d.srtt).some((s) => s !== null) && recent(d.cwnd).some((c) => c > 0);
    }, null, { timeout: 120000, polling: 250 });
    assert.equal(await value(page, "#s-lost"), 0, "loss 0 %: the link loses nothing");
    const rtxBefore = await value(page, "#s-rtx");
    assert.ok(rtxBefore !== null);

    // Raise the loss control as a user does: the running link starts dropping, the sender retransmits.
    await page.$eval("#loss", (el) => { el.value = "5"; el.dispatchEvent(new Event("input", { bubbles: true })); });
    assert.equal(await page.evaluate(() => window.demo.link().loss), 0.05);
    await page.waitForFunction((r) => Number(document.getElementById("s-lost").dataset.value) > 0
      && Number(document.getElementById("s-rtx").dataset.value) > r, rtxBefore, { timeout: 120000, polling: 250 });

    const png = await shoot(page);
    const dir = join(root, "target", "browser-example");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "screenshot.png");
    writeFileSync(file, PNG.sync.write(png));
    t.diagnostic(`screenshot: ${file}`);
    console.log(`examples/browser screenshot: ${file}`);

    const rects = await canvasRects(page);
    for (const k of Object.keys(CHARTS)) {
      const n = countColour(png, rects[k], colours[k]);
      assert.ok(n >= 40, `${k} chart: ${n} pixels of its series colour ${colours[k]} (want at least 40: a plotted line)`);
    }

    const bandwidth = (BANDWIDTH_MBIT * 1e6) / 8; // bytes/s
    const average = await value(page, "#s-goodput-avg");
    assert.ok(average > 0, `goodput since Start ${average} B/s`);
    // Payload bytes cannot arrive faster than the link carries packets.
    assert.ok(average <= bandwidth, `goodput since Start ${average} B/s above the link's ${bandwidth} B/s`);
    assert.deepEqual(errors, []);

    await page.click("#stop");
    assert.equal(await page.textContent("#status"), "stopped");

    // Message-rate mode, once what the bulk transfer left queued has arrived.
    await page.waitForFunction(() => ["s-buffered", "s-inflight"].every((id) => document.getElementById(id).dataset.value === "0"), null, { timeout: 120000, polling: 250 });
    const messages = await value(page, "#s-messages");
    await page.check("#mode-rate");
    await page.fill("#rate", "0");
    await page.click("#start");
    assert.match(await page.textContent("#status"), /message rate must be a whole number from 1 to 100000 msg\/s, got 0/);
    await page.fill("#rate", "500");
    await page.fill("#size", "200");
    await page.click("#start");
    assert.equal(await page.textContent("#status"), "sending 500 msg/s of 200 bytes");
    await page.waitForFunction((n) => Number(document.getElementById("s-messages").dataset.value) >= n + 100, messages, { timeout: 120000, polling: 250 });
    await page.click("#stop");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await web.close();
  }
});
