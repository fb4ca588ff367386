// Boots take device time (host/device-time.ts): the bootloader's verify,
// charged by the bytes it hashes and its signature check at the phone's CPU
// clock, the firmware's start, and the PHY's auto-negotiation; without
// deviceTime the boot takes no virtual time, as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildNetwork, bootPhone } from "../host/sim/network.js";
import { setupFlash } from "../host/phone-setup.js";
import { PHONE_WASM } from "../host/firmware.js";
import { buildImage, DEFAULT_LOAD_NAME, devKey, signImage } from "../host/image.js";
import { AUTONEG_US, BOOT_INSTRUCTIONS, deviceTiming, type DeviceTiming } from "../host/device-time.js";
import type { TimelineEntry } from "../host/events.js";

const MAC = "00:1b:54:c2:a7:10";

/** phone.wasm with a custom section of `extra` bytes appended (still valid WebAssembly), signed. */
function paddedImage(extra: number): Uint8Array {
  const wasm = new Uint8Array(readFileSync(PHONE_WASM));
  const leb = (n: number) => { const out: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
  const body = [...leb(3), ...new TextEncoder().encode("pad"), ...new Uint8Array(extra)];
  return signImage(buildImage(new Uint8Array([...wasm, 0, ...leb(body.length), ...body]), { loadName: DEFAULT_LOAD_NAME, securityCounter: 1 }), devKey());
}

/** Boots one phone; the µs from power-on to the firmware's run, the verify line, and whether it registered. */
function boot(deviceTime: DeviceTiming | undefined, image?: Uint8Array): { bootUs: number; verify: TimelineEntry | undefined; registered: boolean } {
  const net = buildNetwork({ seed: 3, phone: { ...(deviceTime ? { deviceTime } : {}), ...(image ? { flash: setupFlash(MAC, { image }) } : {}) } });
  const r = bootPhone(net, 60_000);
  const at = (event: string) => net.phone.timeline.find((e) => e.stage === (event === "on" ? "power" : "boot") && e.event === event)?.t_ms;
  const on = at("on"), run = at("run");
  assert.ok(on !== undefined && run !== undefined, JSON.stringify(net.phone.timeline.slice(0, 12)));
  return { bootUs: Math.round((run - on) * 1000), verify: net.phone.timeline.find((e) => e.event === "verify"), registered: r.registered };
}

test("without device time the firmware runs the instant the power comes on", () => {
  const b = boot(undefined);
  assert.equal(b.bootUs, 0);
  assert.equal(b.verify, undefined);
  assert.equal(b.registered, true);
});

test("the boot takes the verify of the bytes hashed, the signature check and the start, at the CPU clock, and the phone still registers", () => {
  const b = boot(deviceTiming(42));
  assert.equal(b.registered, true);
  const bytes = Number(/^(\d+) bytes hashed, 1 signature/.exec(b.verify?.detail ?? "")?.[1]);
  assert.equal(bytes, 64 + readFileSync(PHONE_WASM).length, "the header and the payload are hashed");
  const cpuUs = (mhz: number) => Math.ceil((bytes * BOOT_INSTRUCTIONS.verifyPerSignedByte + BOOT_INSTRUCTIONS.verifyFixed) / mhz) + Math.ceil(BOOT_INSTRUCTIONS.firmwareStart / mhz);
  assert.equal(b.bootUs, cpuUs(42));
  assert.ok(b.bootUs > AUTONEG_US, "at 42 MHz the CPU, not the link, sets the pace");
  assert.ok(cpuUs(168) < AUTONEG_US, "at 168 MHz the verify ends while the link still negotiates");
  assert.equal(boot(deviceTiming(168)).bootUs, AUTONEG_US);
});

test("a bigger image takes longer to verify: its extra bytes at the measured cost a byte", () => {
  const extra = 256 * 1024;
  const small = boot(deviceTiming(42));
  const big = boot(deviceTiming(42), paddedImage(extra));
  const extraBytes = Number(/^(\d+) bytes/.exec(big.verify?.detail ?? "")?.[1]) - Number(/^(\d+) bytes/.exec(small.verify?.detail ?? "")?.[1]);
  assert.ok(extraBytes > extra && extraBytes < extra + 16, `${extraBytes}`);
  assert.ok(Math.abs(big.bootUs - small.bootUs - (extraBytes * BOOT_INSTRUCTIONS.verifyPerSignedByte) / 42) <= 2, `${big.bootUs} - ${small.bootUs}`);
  assert.ok(big.bootUs - small.bootUs > 900_000, "a quarter MiB more is about a second at 42 MHz");
});

test("a slower CPU clock takes proportionally longer; a very fast one waits for the link instead", () => {
  const fast = boot(deviceTiming(42));
  const slow = boot(deviceTiming(21));
  assert.ok(Math.abs(slow.bootUs - 2 * fast.bootUs) <= 2, `${slow.bootUs} vs 2 x ${fast.bootUs}`);
  const fastest = boot(deviceTiming(10_000));
  assert.equal(fastest.bootUs, AUTONEG_US, "the firmware's first poll waits for auto-negotiation");
});
