// Bench figures of the bootloader: boot.wasm's size against its 10 KiB
// target (SHA-256, SHA-512 and Ed25519 included), and the time boot.wasm
// takes to verify (stream from flash, SHA-256, Ed25519) a 64 KiB image and
// the phone's own image. Wall-clock figures live here only, never in a timeline.
import { statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { BootFirmware, BOOT_WASM, loadModule, PHONE_WASM } from "../../host/firmware.js";
import { flashImage } from "../../host/image.js";
import { factoryFlash, phoneImage } from "../../host/boot/testkit.js";

const BOOT_SIZE_TARGET = 10 * 1024;
const RUNS = 30;

/** Median milliseconds of boot() verifying `image` in slot A. */
function verifyMs(image: Uint8Array): number {
  const flash = factoryFlash();
  flashImage(flash, 0, image);
  const boot = new BootFirmware(loadModule(BOOT_WASM), { flash, macTx: () => {}, random: () => 0, event: () => {} });
  for (let i = 0; i < 3; i++) if (boot.boot() !== 0) throw new Error("the bench image did not verify");
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    boot.boot();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1];
}

export function bootBench(): string[] {
  const size = statSync(BOOT_WASM).size;
  let seed = 7;
  const payload = new Uint8Array(64 * 1024).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
  const big = verifyMs(phoneImage("BENCH64K", 1, undefined, payload));
  const own = phoneImage("P0030801SR01", 1);
  const small = verifyMs(own);
  return [
    `boot.wasm size: ${size} bytes (target <= ${BOOT_SIZE_TARGET}, with SHA-256, SHA-512 and Ed25519): ${size <= BOOT_SIZE_TARGET ? "PASS" : "MISS"}`,
    `boot verify of a 64 KiB image (flash reads, SHA-256, Ed25519; median of ${RUNS}): ${big.toFixed(2)} ms`,
    `boot verify of the phone image (${own.length} bytes, ${statSync(PHONE_WASM).size} of WebAssembly): ${small.toFixed(2)} ms`,
  ];
}
