// For tests and the bench: flashes as the factory leaves them, images signed
// with the development key, and one boot of a phone on a flash, with or
// without the simulated network around it.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { Flash } from "../flash.js";
import { writeFactory } from "../factory.js";
import { PHONE_WASM } from "../firmware.js";
import { buildImage, devKey, flashImage, keyHashOf, signImage, type FlashImageOptions } from "../image.js";
import { Phone } from "../phone.js";
import { Scheduler } from "../sim/scheduler.js";
import { buildNetwork, bootPhone, type Network } from "../sim/network.js";

export const TEST_MAC = "00:1b:54:c2:a7:10";

/** A flash with factory data naming `key` (default: the development key). */
export function factoryFlash(key: KeyObject = devKey()): Flash {
  const flash = new Flash();
  writeFactory(flash, { mac: TEST_MAC, keyHash: keyHashOf(key) });
  return flash;
}

const phoneWasm = new Map<string, Uint8Array>();
function wasm(path: string): Uint8Array {
  let w = phoneWasm.get(path);
  if (!w) phoneWasm.set(path, (w = new Uint8Array(readFileSync(path))));
  return w;
}

/** build/phone.wasm as a signed image. */
export function phoneImage(loadName: string, securityCounter = 1, key: KeyObject | null = devKey(), payload?: Uint8Array): Uint8Array {
  const img = buildImage(payload ?? wasm(PHONE_WASM), { loadName, securityCounter });
  return key ? signImage(img, key) : img;
}

export function otherKey(): KeyObject {
  const { privateKey } = generateKeyPairSync("ed25519");
  return createPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" }));
}

/** The usual flash: factory data and `image` confirmed in slot A (sequence 1). */
export function flashWith(slotA: Uint8Array | null, slotB: Uint8Array | null = null, b: FlashImageOptions = {}, a: FlashImageOptions = {}): Flash {
  const flash = factoryFlash();
  if (slotA) flashImage(flash, 0, slotA, a);
  if (slotB) flashImage(flash, 1, slotB, { seq: 2, ...b });
  return flash;
}

/** Powers a phone on `flash` with no network: the bootloader runs and its image starts (or not). */
export function powerOn(flash: Flash, seed = 1): { phone: Phone; ok: boolean } {
  const phone = new Phone(new Scheduler(), { mac: TEST_MAC, seed, flash });
  const ok = phone.powerOn();
  return { phone, ok };
}

/** Boots a phone on `flash` on the simulated network, until bound (the firmware confirms a trial there). */
export function bootOnNetwork(flash: Flash, seed = 1, limitMs = 60_000): { net: Network; bound: boolean } {
  const net = buildNetwork({ seed, phone: { flash } });
  return { net, bound: bootPhone(net, limitMs).bound };
}

/** Timeline lines of the boot stage, "event  detail". */
export function bootLines(phone: Phone): string[] {
  return phone.timeline.filter((e) => e.stage === "boot").map((e) => `${e.event}  ${e.detail}`.trim());
}
