// The storm's HTML report in a real browser: Debian's chromium, headless,
// opens the page from disk with no console message at all (the page has no
// script, so any would be an error), its DOM holds the charts, and a
// screenshot shows the timeline drawn (its series' colours, decoded from
// the PNG here).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { makePlan } from "../host/storm/plan.js";
import { runStorm } from "../host/storm/engine.js";
import { summarize } from "../host/storm/summary.js";
import { renderReport } from "../host/storm/report.js";
import { have } from "./helpers/tools.js";

const CHROMIUM = ["chromium", "chromium-browser"].find((c) => have(c)) ?? null;
const SKIP = CHROMIUM ? false : "needs chromium (Debian package chromium); not installed here";

interface Browse {
  status: number | null;
  stdout: string;
  /** Console messages and uncaught errors the page produced. */
  console: string[];
}

let profiles = 0;

/** Opens a file in headless chromium with a profile of its own; `mode` is --dump-dom or --screenshot=FILE. */
function chromium(dir: string, page: string, mode: string): Browse {
  const r = spawnSync(CHROMIUM!, [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", `--user-data-dir=${join(dir, `profile-${++profiles}`)}`,
    "--enable-logging=stderr", "--v=0", "--window-size=1000,1600", "--hide-scrollbars", mode, `file://${page}`,
  ], { encoding: "utf8", timeout: 90_000, maxBuffer: 64 << 20 });
  const console = (r.stderr ?? "").split("\n").filter((l) => /:CONSOLE[:(]|Uncaught/.test(l));
  return { status: r.status, stdout: r.stdout ?? "", console };
}

/** RGBA pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what chromium writes). */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(v.getUint32(0), 0x89504e47, "PNG signature");
  let at = 8;
  let width = 0, height = 0, type = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = v.getUint32(at);
    const name = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + len);
    if (name === "IHDR") {
      width = v.getUint32(at + 8);
      height = v.getUint32(at + 12);
      assert.equal(body[8], 8, "8 bits per channel");
      type = body[9];
      assert.ok(type === 2 || type === 6, `colour type ${type}`);
      assert.equal(body[12], 0, "not interlaced");
    } else if (name === "IDAT") idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = type === 6 ? 4 : 3;
  const stride = width * bpp;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let p = line[i];
      if (f === 1) p += a;
      else if (f === 2) p += b;
      else if (f === 3) p += (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = p & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out.set(cur.subarray(x * bpp, x * bpp + 3), (y * width + x) * 4);
      out[(y * width + x) * 4 + 3] = bpp === 4 ? cur[x * bpp + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, rgba: out };
}

/** Pixels within `tol` of an RGB colour. */
function countColour(img: { rgba: Uint8Array }, hex: string, tol = 24): number {
  const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (Math.abs(img.rgba[i] - r) <= tol && Math.abs(img.rgba[i + 1] - g) <= tol && Math.abs(img.rgba[i + 2] - b) <= tol) n++;
  }
  return n;
}

test("the storm report opens in headless chromium without a console message, and its timeline chart is drawn", { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-storm-report-"));
  try {
    // The check would see an error if there were one: a page that logs and throws is caught.
    const bad = join(dir, "bad.html");
    writeFileSync(bad, `<!DOCTYPE html><html><body><script>console.error("boom"); missing();</script></body></html>`);
    const control = chromium(dir, bad, "--dump-dom");
    assert.ok(control.console.some((l) => l.includes("boom")) && control.console.some((l) => l.includes("Uncaught")), control.console.join("\n"));

    const plan = makePlan({ phones: 300, seed: 11, scenario: { dhcp: { answersPerSecond: 50 } } });
    const run = await runStorm(plan);
    const summary = summarize(run);
    const page = join(dir, "storm.html");
    writeFileSync(page, renderReport(summary, run));
    const html = readFileSync(page, "utf8");
    assert.doesNotMatch(html, /<script|<link|src=|url\(/i, "self-contained: nothing to fetch, nothing to run");

    const dom = chromium(dir, page, "--dump-dom");
    assert.equal(dom.status, 0);
    assert.deepEqual(dom.console, [], "no console messages");
    assert.match(dom.stdout, /<svg id="timeline"/);
    const registered = /<path class="series" data-name="registered" d="([^"]+)"/.exec(dom.stdout);
    assert.ok(registered, "the registered curve is in the DOM");
    // The curve rises (SVG y grows downwards) through many steps: the phones registered over time, not at once.
    const ys = [...registered[1].matchAll(/V\s*(-?[\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(new Set(ys).size > 20, `a step curve through many levels, got ${new Set(ys).size}`);
    assert.ok(ys[ys.length - 1] < ys[0], "the curve ends above where it starts");
    assert.match(dom.stdout, /Bottleneck: DHCP 192\.0\.2\.1/);
    for (const id of ["load", "hist-registered", "hist-dhcp", "hist-wait-dhcp"]) assert.match(dom.stdout, new RegExp(`<svg id="${id}"`));

    const png = join(dir, "storm.png");
    const shot = chromium(dir, page, `--screenshot=${png}`);
    assert.equal(shot.status, 0);
    assert.deepEqual(shot.console, []);
    const img = decodePng(readFileSync(png));
    assert.equal(img.width, 1000);
    // The timeline's curves: registered (green), bound (blue), powered (brown) in stroke pixels.
    assert.ok(countColour(img, "#2ca02c") > 400, `registered curve pixels: ${countColour(img, "#2ca02c")}`);
    assert.ok(countColour(img, "#1f77b4") > 400, `bound curve pixels: ${countColour(img, "#1f77b4")}`);
    assert.ok(countColour(img, "#8c6d31") > 200, `powered curve pixels: ${countColour(img, "#8c6d31")}`);
    if (process.env.STORM_REPORT_PNG) writeFileSync(process.env.STORM_REPORT_PNG, readFileSync(png));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
