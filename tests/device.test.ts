// The firmware in a second engine (issue 12): build/boot.wasm and
// build/phone.wasm translated by wasm2c, built with gcc (host/device/), run
// as a native process that the simulated network drives frame by frame in
// virtual time. For one seed its frames must be byte-identical to the V8
// phone's: the two pcaps of the phone's port are compared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootPhone, buildNetwork, CALLMANAGERS, DEFAULT_PHONE_MAC, sepFileName, type Network, type NetworkOptions } from "../host/sim/network.js";
import { readPcap } from "../host/sim/pcap.js";
import { parseMac } from "../host/wire/address.js";
import type { Phone } from "../host/phone.js";
import { BUILD_DIR, PHONE_WASM } from "../host/firmware.js";
import { buildImage, devKey, readSlot, signImage } from "../host/image.js";
import { cnfXml } from "../host/sim/cnf.js";
import { buildDevice, CM4_ELF, deviceToolsMissing, factoryFlash, NativeDevice, NativePhone, nativeUnavailable, writeFlashFile } from "../host/device/native-phone.js";
import { Random } from "../host/sim/random.js";
import { Ev } from "../host/events.js";

test("host/device builds: wasm2c translates build/*.wasm, gcc (and arm-none-eabi-gcc where installed) compiles it", { skip: deviceToolsMissing() }, () => {
  assert.equal(buildDevice(), false);
});

const skip = nativeUnavailable();

function run(opts: NetworkOptions, native: boolean): { net: Network; result: ReturnType<typeof bootPhone>; phones: NativePhone[] } {
  const phones: NativePhone[] = [];
  const net = buildNetwork({
    ...opts,
    pcap: true,
    ...(native ? { makePhone: (clock, o) => { const p = new NativePhone(clock, o); phones.push(p); return p as unknown as Phone; } } : {}),
  });
  try {
    return { net, result: bootPhone(net), phones };
  } catch (e) {
    for (const p of phones) p.close();
    throw e;
  }
}

function fromPhone(pcap: Uint8Array, mac = DEFAULT_PHONE_MAC): { tUs: number; data: Uint8Array }[] {
  const src = parseMac(mac);
  const file = readPcap(pcap);
  assert.ok(file, "a readable pcap");
  return file.records.filter((r) => src.every((b, i) => r.data[6 + i] === b));
}

function compare(seed: number, extra: Partial<NetworkOptions> = {}): { v8: Network; native: Network } {
  const v8 = run({ seed, ...extra }, false);
  const nat = run({ seed, ...extra }, true);
  try {
    assert.equal(nat.result.registered, v8.result.registered);
    assert.equal(nat.result.registeredAtMs, v8.result.registeredAtMs);
    const a = v8.net.pcap!.toBuffer();
    const b = nat.net.pcap!.toBuffer();
    const sentV8 = fromPhone(a);
    const sentNative = fromPhone(b);
    assert.ok(sentV8.length > 10, `the V8 phone sent ${sentV8.length} frames`);
    assert.equal(sentNative.length, sentV8.length, "as many frames from the native phone as from the V8 phone");
    sentV8.forEach((r, i) => {
      assert.equal(sentNative[i].tUs, r.tUs, `frame ${i}: same virtual time`);
      assert.deepEqual(Buffer.from(sentNative[i].data), Buffer.from(r.data), `frame ${i} byte for byte`);
    });
    // And so the whole capture, both directions, is the same file.
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), "the two pcaps are byte-identical");
    const tv8 = (v8.net.phone as Phone).report().timeline;
    const tnat = (nat.net.phone as unknown as NativePhone).report().timeline;
    assert.deepEqual(tnat, tv8, "the same timeline");
    assert.deepEqual((nat.net.phone as unknown as NativePhone).report().counters, (v8.net.phone as Phone).report().counters);
    return { v8: v8.net, native: nat.net };
  } finally {
    for (const p of nat.phones) p.close();
  }
}

test("the native phone (wasm2c + gcc) boots to registered on the simulated network", { skip }, () => {
  const { net, result, phones } = run({ seed: 1 }, true);
  try {
    assert.equal(result.registered, true, JSON.stringify(phones[0].report().timeline.slice(-12), null, 1));
    const report = phones[0].report();
    assert.equal(report.callmanager, "CM1");
    assert.equal(report.ip, "192.0.2.50");
    assert.equal(report.vlan, 110);
    assert.ok(report.counters.frames_out > 10);
    assert.ok(net.pcap!.records > 20);
    assert.match(report.timeline.find((e) => e.event === "run")?.detail ?? "", /^P0030801SR01 from slot A/);
  } finally {
    for (const p of phones) p.close();
  }
});

test("same seed, same frames: the native phone's pcap is byte-identical to the V8 phone's (seeds 1, 7, 12345)", { skip, timeout: 120_000 }, () => {
  for (const seed of [1, 7, 12345]) compare(seed);
});

test("same frames through a failover: CallManager 1 refuses, the phone registers with CM2 (seed 3)", { skip, timeout: 60_000 }, () => {
  const { native } = compare(3, { callManagers: [{ down: "refuse" }] });
  assert.equal((native.phone as unknown as NativePhone).report().callmanager, "CM2");
});

test("same frames under seeded link faults: loss, duplicates, reordering, corrupted bits and a link flap (seed 5)", { skip, timeout: 60_000 }, () => {
  const faults = {
    phone: { loss: 0.05, duplicate: 0.05, reorder: 0.05, down: { corrupt: 0.05 }, flaps: [{ atMs: 3000, downMs: 1500 }] },
    dhcp: { loss: 0.1 },
    tftp: { jitterUs: 2000 },
  };
  compare(5, { faults });
});

test("twenty seeds under heavy faults (15 % loss, corruption, two flaps, lossy servers): every pcap and report the same in both engines", { skip, timeout: 120_000 }, () => {
  const faults = {
    phone: { loss: 0.15, duplicate: 0.1, reorder: 0.1, corrupt: 0.1, flaps: [{ atMs: 2000, downMs: 1500 }, { atMs: 9000, downMs: 4000 }] },
    dhcp: { loss: 0.2 }, tftp: { loss: 0.2, jitterUs: 5000 }, cm1: { loss: 0.3 },
  };
  const differing: number[] = [];
  for (let seed = 100; seed < 120; seed++) {
    const v8 = run({ seed, faults }, false);
    const nat = run({ seed, faults }, true);
    try {
      const samePcap = Buffer.from(v8.net.pcap!.toBuffer()).equals(Buffer.from(nat.net.pcap!.toBuffer()));
      const sameReport = JSON.stringify((v8.net.phone as Phone).report()) === JSON.stringify(nat.phones[0].report());
      if (!samePcap || !sameReport) differing.push(seed);
    } finally {
      for (const p of nat.phones) p.close();
    }
  }
  assert.deepEqual(differing, []);
});

test("an upgrade natively: a new load (the same WebAssembly) into slot B, hal.reset, trial boot, confirmed; frames as on V8", { skip, timeout: 60_000 }, () => {
  const load = "P0030801SR02";
  const image = signImage(buildImage(new Uint8Array(readFileSync(PHONE_WASM)), { loadName: load, securityCounter: 2 }), devKey());
  const cnf = new TextEncoder().encode(cnfXml({ callManagers: CALLMANAGERS.map((host, i) => ({ host, priority: i })), load }));
  const tftpFiles = { [sepFileName(DEFAULT_PHONE_MAC)]: cnf, [`${load}.bin`]: image };
  const v8 = run({ seed: 41, tftpFiles }, false);
  const nat = run({ seed: 41, tftpFiles }, true);
  try {
    const phone = nat.phones[0];
    const runs = phone.timeline.filter((e) => e.event === "run").map((e) => e.detail);
    assert.deepEqual(runs, ["P0030801SR01 from slot A (confirmed)", `${load} from slot B (trial)`]);
    assert.ok(phone.timeline.some((e) => e.event === "reset"), "hal.reset re-ran the bootloader");
    assert.equal(nat.result.registered, true);
    assert.equal(readSlot(phone.readFlash(), 1).state, "confirmed", "the new image confirmed itself in the device's flash");
    assert.ok(Buffer.from(nat.net.pcap!.toBuffer()).equals(Buffer.from(v8.net.pcap!.toBuffer())), "the same pcap as the V8 phone's");
    assert.deepEqual(phone.timeline, (v8.net.phone as Phone).timeline);
  } finally {
    for (const p of nat.phones) p.close();
  }
});

test("hal random(): the device's splitmix32 is host/sim/random.ts's, draw for draw", { skip }, () => {
  // The phone's DHCP xid is its first draw: the DISCOVER of both engines carries it.
  for (const seed of [0, 1, 0xdeadbeef, -5]) {
    const { net, phones } = run({ seed }, true);
    try {
      const discover = fromPhone(net.pcap!.toBuffer()).find((r) => r.data.length > 300);
      assert.ok(discover);
      const r = new Random(seed);
      const xids = Array.from({ length: 8 }, () => r.nextU32());
      const view = new DataView(discover.data.buffer, discover.data.byteOffset);
      // 802.1Q tagged: Ethernet 18 + IPv4 20 + UDP 8, then op, htype, hlen, hops, xid.
      const xid = view.getUint32(18 + 20 + 8 + 4);
      assert.ok(xids.includes(xid), `xid 0x${xid.toString(16)} is one of the first draws of seed ${seed}`);
    } finally {
      for (const p of phones) p.close();
    }
  }
});

test("the native bootloader refuses a corrupt slot A and the phone stays dark, as on V8", { skip }, () => {
  // One bit of the payload flipped: erase slot A's first sector and program it back changed.
  const corrupt = () => {
    const flash = factoryFlash(DEFAULT_PHONE_MAC);
    const sector = new Uint8Array(4096);
    flash.copyOut(0x10000, sector);
    sector[64 + 100] ^= 0x01;
    flash.erase(0x10000);
    flash.program(0x10000, sector);
    return flash;
  };
  const v8 = buildNetwork({ seed: 1, phone: { flash: corrupt() } });
  const phones: NativePhone[] = [];
  const nat = buildNetwork({ seed: 1, phone: { flash: corrupt() }, makePhone: (c, o) => { const p = new NativePhone(c, o); phones.push(p); return p as unknown as Phone; } });
  try {
    bootPhone(v8, 5000);
    bootPhone(nat, 5000);
    const failed = (p: { report(): { timeline: { event: string; detail: string }[] } }) => p.report().timeline.filter((e) => e.event === "failed" || e.event === "rejected");
    assert.ok(failed(phones[0]).length > 0, "the native bootloader said no");
    assert.deepEqual(failed(phones[0]), failed(v8.phone as Phone));
    assert.equal(phones[0].image, null);
  } finally {
    for (const p of phones) p.close();
  }
});

test("a slot holding WebAssembly the device has no translation of does not start, and says why", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-device-test-"));
  try {
    // A different (debug) build in slot A: boot.wasm accepts its signature, but this device runs only the release translation.
    const flash = factoryFlash(DEFAULT_PHONE_MAC, BUILD_DIR + "phone.debug.wasm");
    const phone = new NativePhone({ now: 0, at: () => ({ atUs: 0, cancelled: false }), cancel: () => {} }, { mac: DEFAULT_PHONE_MAC, seed: 1, flash });
    try {
      assert.equal(phone.powerOn(), false);
      const failed = phone.timeline.find((e) => e.event === "failed");
      assert.match(failed?.detail ?? "", /slot A: the image does not start \(this device has no translation/);
    } finally {
      phone.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the device's flash is its own: the boot record the native bootloader wrote reads back", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-device-test-"));
  try {
    const file = join(dir, "flash.bin");
    writeFlashFile(factoryFlash(DEFAULT_PHONE_MAC), file);
    const dev = new NativeDevice(file, 1);
    try {
      const events: number[] = [];
      dev.handlers = { tx: () => {}, lcd: () => {}, log: () => {}, reset: () => {}, event: (code) => events.push(code) };
      const r = dev.boot();
      assert.equal(r.slot, 0);
      assert.ok(events.includes(Ev.BootLoad));
      const out = join(dir, "after.bin");
      dev.dumpFlash(out);
      const bytes = new Uint8Array(readFileSync(out));
      // the boot record (0x3000) was written by the bootloader: no longer erased
      assert.ok(bytes.subarray(0x3000, 0x3010).some((b) => b !== 0xff), "boot record written");
    } finally {
      dev.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Cortex-M4 build links (arm-none-eabi-gcc, newlib)", { skip: existsSync(CM4_ELF) ? false : `${CM4_ELF} not built (needs gcc-arm-none-eabi and libnewlib-arm-none-eabi)` }, () => {
  const size = spawnSync("arm-none-eabi-size", [CM4_ELF], { encoding: "utf8" });
  assert.equal(size.status, 0, size.stderr);
  const [text, data, bss] = size.stdout.trim().split("\n")[1].trim().split(/\s+/).map(Number);
  assert.ok(text + data <= 128 * 1024, `flash ${text + data} bytes <= 128 KiB`);
  assert.ok(data + bss <= 96 * 1024, `RAM ${data + bss} bytes <= 96 KiB`);
  assert.ok(bss >= 65536, "the linear memory page is in RAM");
});
