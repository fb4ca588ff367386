// For tests: the firmware's own slot writer, preferences and boot record code
// (assembly/testing/flash-harness.ts, built by `npm run build` into
// build/testing/flash-harness.wasm) run on a Flash, so power cuts hit the
// real code.
import { existsSync, readFileSync } from "node:fs";
import { BUILD_DIR, FirmwareInstance } from "../firmware.js";
import type { Flash } from "../flash.js";

const WASM = BUILD_DIR + "testing/flash-harness.wasm";

let compiled: WebAssembly.Module | null = null;

/** The harness module (built with the release settings of asconfig.json). */
export function harnessModule(): WebAssembly.Module {
  if (compiled) return compiled;
  if (!existsSync(WASM)) throw new Error(`${WASM} is missing: run npm run build (assembly/testing/flash-harness.ts)`);
  compiled = new WebAssembly.Module(readFileSync(WASM));
  return compiled;
}

interface HarnessExports {
  buffer(): number;
  buffer_size(): number;
  begin_write(slot: number, size: number): number;
  write(slot: number, offset: number, len: number): number;
  mark_pending(slot: number, seq: number): number;
  confirm(): number;
  slot_state(slot: number): number;
  slot_seq(slot: number): number;
  prefs_get(key: number, cap: number): number;
  prefs_set(key: number, len: number): number;
  running_slot(): number;
  boot_counter(): number;
  record_boot(slot: number, counter: number): number;
}

/** The firmware's flash code on `flash`; events it reports go to `events`. */
export class FlashHarness extends FirmwareInstance {
  readonly x: HarnessExports;
  readonly events: { code: number; a: number; b: number }[] = [];

  constructor(readonly flash: Flash) {
    const events: { code: number; a: number; b: number }[] = [];
    super(harnessModule(), { flash, macTx: () => {}, random: () => 0, event: (code, a, b) => events.push({ code, a, b }) });
    this.events = events;
    this.x = this.instance.exports as unknown as HarnessExports;
  }

  private put(bytes: Uint8Array): void {
    if (bytes.length > this.x.buffer_size()) throw new RangeError("harness buffer too small");
    new Uint8Array(this.memory.buffer, this.x.buffer(), bytes.length).set(bytes);
  }

  /** The installer, as phone firmware runs it: erase, program in `chunk`-byte pieces, mark pending. */
  install(slot: number, image: Uint8Array, seq: number, chunk = 1024): void {
    const check = (rc: number, what: string) => {
      if (rc !== 0) throw new Error(`${what} failed: ${rc}`);
    };
    check(this.x.begin_write(slot, image.length), "begin_write");
    for (let off = 0; off < image.length; off += chunk) {
      const piece = image.subarray(off, Math.min(off + chunk, image.length));
      this.put(piece);
      check(this.x.write(slot, off, piece.length), `write at ${off}`);
    }
    check(this.x.mark_pending(slot, seq), "mark_pending");
  }

  prefsSet(key: number, value: Uint8Array): number {
    this.put(value);
    return this.x.prefs_set(key, value.length);
  }

  /** The value of `key`, or null when unset. */
  prefsGet(key: number): Uint8Array | null {
    const n = this.x.prefs_get(key, this.x.buffer_size());
    if (n < 0) return null;
    return new Uint8Array(this.memory.buffer, this.x.buffer(), n).slice();
  }
}
