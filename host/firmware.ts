// Loads the firmware's WebAssembly modules and implements their `hal`
// imports (the ABI is in README "The hal ABI"). A compiled module is shared:
// each phone is one instance with its own 64 KiB memory.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Flash } from "./flash.js";
import { COUNTER_NAMES, type Counters } from "./counters.js";

export const BUILD_DIR = fileURLToPath(new URL("../../build/", import.meta.url));
export const PHONE_WASM = BUILD_DIR + "phone.wasm";
export const BOOT_WASM = BUILD_DIR + "boot.wasm";
/** poll() returns this when nothing is pending. */
export const NEVER = 0x7fff_ffff_ffff_ffffn;

const modules = new Map<string, WebAssembly.Module>();

/** Compiles a module once per path; instances share the code. */
export function loadModule(path: string): WebAssembly.Module {
  let m = modules.get(path);
  if (!m) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new Error(`cannot read firmware ${path}: ${(e as Error).message} (run "npm run build")`);
    }
    m = new WebAssembly.Module(bytes);
    modules.set(path, m);
  }
  return m;
}

/** What the device around the firmware provides. */
export interface Hal {
  /** A frame to transmit: a view into firmware memory, valid only during the call. */
  macTx(frame: Uint8Array): void;
  event(code: number, a: number, b: number): void;
  random(): number;
  flash: Flash;
  lcd?(text: string): void;
  log?(level: number, text: string): void;
  reset?(reason: number): void;
  watchdogKick?(): void;
}

export class FirmwareInstance {
  readonly instance: WebAssembly.Instance;
  readonly memory: WebAssembly.Memory;

  private view: Uint8Array | null = null;

  constructor(module: WebAssembly.Module, hal: Hal) {
    const bytes = () => this.bytes();
    const imports = {
      hal: {
        mac_tx: (ptr: number, len: number) => hal.macTx(bytes().subarray(ptr, ptr + len)),
        flash_read: (addr: number, ptr: number, len: number) => {
          if (len < 0 || ptr < 0 || ptr + len > bytes().length) return -1;
          return hal.flash.readInto(addr >>> 0, bytes().subarray(ptr, ptr + len));
        },
        // A view, not a copy: Flash.program copies what it keeps.
        flash_program: (addr: number, ptr: number, len: number) => {
          if (len < 0 || ptr < 0 || ptr + len > bytes().length) return -1;
          return hal.flash.program(addr >>> 0, bytes().subarray(ptr, ptr + len));
        },
        flash_erase: (addr: number) => hal.flash.erase(addr >>> 0),
        random: () => hal.random() | 0,
        event: (code: number, a: number, b: number) => hal.event(code, a, b),
        lcd: (ptr: number, len: number) => hal.lcd?.(this.text(ptr, len)),
        log: (level: number, ptr: number, len: number) => hal.log?.(level, this.text(ptr, len)),
        watchdog_kick: () => hal.watchdogKick?.(),
        reset: (reason: number) => hal.reset?.(reason),
      },
    };
    this.instance = new WebAssembly.Instance(module, imports);
    this.memory = this.instance.exports.memory as WebAssembly.Memory;
  }

  /**
   * The firmware's memory as bytes, one view kept for every call: a frame
   * crosses the boundary without a view made per frame. Growing the memory
   * (the firmware declares one page at most) would detach it: then it is
   * made again.
   */
  bytes(): Uint8Array {
    let v = this.view;
    if (v === null || v.byteLength === 0) v = this.view = new Uint8Array(this.memory.buffer);
    return v;
  }

  /** ASCII text of firmware memory, clipped to the memory. */
  text(ptr: number, len: number): string {
    const mem = this.bytes();
    const start = Math.max(0, Math.min(ptr >>> 0, mem.length));
    return String.fromCharCode(...mem.subarray(start, Math.min(start + Math.max(0, len), mem.length)));
  }
}

interface PhoneExports {
  poll(now: bigint): bigint;
  on_frame(len: number, now: bigint): void;
  link(up: number, now: bigint): void;
  rx_buffer(): number;
  rx_capacity(): number;
  counters(): number;
  counter_count(): number;
}

let lastMs = -1;
let lastMsBig = 0n;

/** now_ms as the i64 the exports take; the BigInt is reused while the instant lasts (a flood reaches many phones at once). */
function msArg(ms: number): bigint {
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsBig = BigInt(ms);
  }
  return lastMsBig;
}

/** build/phone.wasm: the phone's application firmware. */
export class PhoneFirmware extends FirmwareInstance {
  private readonly x: PhoneExports;
  readonly rxPtr: number;
  readonly rxCapacity: number;

  constructor(module: WebAssembly.Module, hal: Hal) {
    super(module, hal);
    this.x = this.instance.exports as unknown as PhoneExports;
    this.rxPtr = this.x.rx_buffer();
    this.rxCapacity = this.x.rx_capacity();
    if (this.x.counter_count() !== COUNTER_NAMES.length) {
      throw new Error(`firmware has ${this.x.counter_count()} counters, host knows ${COUNTER_NAMES.length}: rebuild both`);
    }
  }

  /** Runs the firmware's timers; returns the next wake-up in ms, or null for none. */
  poll(nowMs: number): number | null {
    const next = this.x.poll(msArg(nowMs));
    return next >= NEVER ? null : Number(next);
  }

  /** Delivers a received frame. Frames longer than the receive buffer are reported as such, not written. */
  onFrame(frame: Uint8Array, nowMs: number): void {
    if (frame.length <= this.rxCapacity) this.bytes().set(frame, this.rxPtr);
    this.x.on_frame(frame.length, msArg(nowMs));
  }

  link(up: boolean, nowMs: number): void {
    this.x.link(up ? 1 : 0, msArg(nowMs));
  }

  /** The PoE front end of this instance (poe_* exports). */
  poe(): PoeFrontEnd {
    return new PoeFrontEnd(this.instance);
  }

  counters(): Counters {
    const words = new Uint32Array(this.memory.buffer, this.x.counters(), COUNTER_NAMES.length);
    const c = {} as Counters;
    COUNTER_NAMES.forEach((name, i) => (c[name] = words[i]));
    return c;
  }
}

// ---- PoE front end (assembly/phone/poe.ts) ----------------------------------

interface PoeExports {
  poe_flp_loopback(): number;
  poe_current_ua(mv: number): number;
  poe_power_good(on: number): void;
  poe_class(): number;
  poe_set_class(c: number): number;
}

/**
 * The powered-device front end of a phone.wasm instance: what the switch
 * probes on the cable while the phone is dark (a PoweredDevice for
 * host/poe.ts). It needs no poll, no factory data and no hal call.
 */
export class PoeFrontEnd {
  private readonly x: PoeExports;

  constructor(instance: WebAssembly.Instance) {
    this.x = instance.exports as unknown as PoeExports;
    if (typeof this.x.poe_current_ua !== "function") throw new Error("the firmware has no PoE front end (poe_* exports): rebuild it");
  }

  /** A front end on an instance of its own whose hal imports all throw: proof that it needs none. */
  static dark(module: WebAssembly.Module = loadModule(PHONE_WASM)): PoeFrontEnd {
    const hal = Object.fromEntries(WebAssembly.Module.imports(module).map((i) => [i.name, () => {
      throw new Error(`the PoE front end called hal.${i.name}`);
    }]));
    return new PoeFrontEnd(new WebAssembly.Instance(module, { hal }));
  }

  /** True while unpowered: the relay loops the switch's Fast Link Pulses back. */
  flpLoopback(): boolean {
    return this.x.poe_flp_loopback() !== 0;
  }

  /** µA drawn at `mv` millivolts (either polarity). */
  currentAt(mv: number): number {
    return this.x.poe_current_ua(Math.round(mv) | 0);
  }

  /** The switch applied (true) or removed (false) power. */
  powerGood(on: boolean): void {
    this.x.poe_power_good(on ? 1 : 0);
  }

  /** The class (0-4) the device presents. */
  get pdClass(): number {
    return this.x.poe_class();
  }

  /** Sets the class (0-4); false when refused (powered, or out of range). */
  setClass(c: number): boolean {
    return this.x.poe_set_class(c | 0) !== 0;
  }
}

/** build/boot.wasm: the bootloader. */
export class BootFirmware extends FirmwareInstance {
  /** The slot to start, or a negative error. */
  boot(): number {
    return (this.instance.exports.boot as () => number)();
  }

  /** Where the chosen image's WebAssembly is in flash, after boot() returned a slot. */
  image(): { addr: number; size: number } {
    const x = this.instance.exports as { image_addr(): number; image_size(): number };
    return { addr: x.image_addr() >>> 0, size: x.image_size() >>> 0 };
  }
}

// ---------------------------------------------------------------- images from flash

const imageModules = new Map<string, WebAssembly.Module>();

/**
 * Compiles the WebAssembly that the bootloader found at flash [addr, addr +
 * size): once per distinct payload (by SHA-256), so phones that share an
 * image share its code. Throws when the bytes are not a WebAssembly module.
 */
export function loadImageModule(flash: Flash, addr: number, size: number): { module: WebAssembly.Module; sha256: string } {
  // An image in shared sectors (every phone of a storm has the factory's): the same sectors, the same module, without copying and hashing it again.
  const shared = flash.sharedSectors(addr, size);
  const key = shared ? `${addr % flash.geometry.sectorSize}:${size}` : "";
  const known = shared ? bySectors.get(shared[0])?.find((k) => k.key === key && sameList(k.sectors, shared)) : undefined;
  if (known) return { module: imageModules.get(known.sha256)!, sha256: known.sha256 };
  const found = loadImageFromBytes(flash, addr, size);
  if (shared) {
    let list = bySectors.get(shared[0]);
    if (!list) bySectors.set(shared[0], (list = []));
    list.push({ key, sectors: shared, sha256: found.sha256 });
  }
  return found;
}

/** Images already compiled from shared flash sectors, by their first sector. */
const bySectors = new WeakMap<Uint8Array, Array<{ key: string; sectors: Uint8Array[]; sha256: string }>>();

function sameList(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function loadImageFromBytes(flash: Flash, addr: number, size: number): { module: WebAssembly.Module; sha256: string } {
  const payload = new Uint8Array(size);
  flash.copyOut(addr, payload);
  const sha256 = createHash("sha256").update(payload).digest("hex");
  let module = imageModules.get(sha256);
  if (!module) {
    module = new WebAssembly.Module(payload);
    imageModules.set(sha256, module);
  }
  return { module, sha256 };
}

/** Distinct image payloads compiled so far. */
export function imageModuleCount(): number {
  return imageModules.size;
}
