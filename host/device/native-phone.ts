// The native phone: build/boot.wasm and build/phone.wasm translated by wasm2c
// and built with gcc (host/device/, `npm run build:device`), driven over a
// pipe step by step, so that it takes part in the simulated network in
// virtual time exactly where the V8 phone (host/phone.ts) would. This class
// is host/phone.ts's Phone towards the Wire and the Scheduler, with the same
// timeline, report and reset semantics; only the firmware runs in another
// engine, in another process.
//
// The pipe is synchronous: each step (boot, start, poll, frame, link) is a
// request that the device answers before virtual time moves on. Node has no
// synchronous child stdio, so the device's stdin and stdout are named pipes
// opened here with blocking fs.readSync/writeSync (protocol: main_native.c).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Flash } from "../flash.js";
import { COUNTER_NAMES, type Counters } from "../counters.js";
import { factoryFlash, type Clock, type PhoneOptions } from "../phone.js";
import { PhoneBase, type BootChoice, type FirmwareEvent, type RunningFirmware } from "../phone-base.js";

export const DEVICE_DIR = fileURLToPath(new URL("../../../build/device/", import.meta.url));
/** The native phone (gcc): `npm run build:device`. */
export const NATIVE_DEVICE = DEVICE_DIR + "ipphone-device";
/** The Cortex-M4 image (arm-none-eabi-gcc), when that toolchain is installed. */
export const CM4_ELF = DEVICE_DIR + "ipphone-cm4.elf";
const NEVER = 0x7fff_ffff_ffff_ffffn;

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let built: string | false | null = null;

/** The tools the native build needs that this machine lacks, said as a skip reason; or false. */
export function deviceToolsMissing(): string | false {
  const missing = ["make", "gcc", "wasm2c"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  return missing.length > 0 ? `the native phone needs ${missing.join(", ")} (Debian packages: make, gcc, wabt)` : false;
}

/**
 * Builds host/device with make (incremental: a new build/*.wasm is
 * translated again), the Cortex-M4 image too where arm-none-eabi-gcc is
 * installed. Returns why it failed, or false.
 */
export function buildDevice(): string | false {
  if (built !== null) return built;
  const missing = deviceToolsMissing();
  if (missing) return (built = missing);
  const r = spawnSync("make", ["-s", "-C", join(ROOT, "host/device")], { encoding: "utf8" });
  built = r.status === 0 && existsSync(NATIVE_DEVICE) ? false : `make -C host/device failed: ${r.stderr || r.stdout}`;
  return built;
}

/** Why the native phone cannot run here (builds it first), or false. */
export function nativeUnavailable(): string | false {
  return deviceToolsMissing() || (buildDevice() ? "host/device did not build" : false);
}

export { factoryFlash };

/** Writes a flash's bytes to a file up to the last programmed byte (the device reads the rest as erased). */
export function writeFlashFile(flash: Flash, path: string): void {
  const bytes = new Uint8Array(flash.size);
  flash.copyOut(0, bytes);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  writeFileSync(path, bytes.subarray(0, end));
}

/** What the device says while a step runs. */
interface StepHandlers {
  tx(frame: Uint8Array): void;
  /** `text` reads the calling module's memory, now, as host/firmware.ts text() does. */
  event(code: number, a: number, b: number, text: (ptr: number, len: number) => string): void;
  lcd(text: string): void;
  log(level: number, text: string): void;
  reset(reason: number): void;
}

export class NativeTrap extends Error {
  constructor(step: string, what: string) {
    super(`the native firmware trapped in ${step}: ${what}`);
    this.name = "NativeTrap";
  }
}

/** The device process and its synchronous pipe. */
export class NativeDevice implements RunningFirmware {
  private readonly child: ChildProcess;
  private readonly wfd: number;
  private readonly rfd: number;
  private buf = Buffer.alloc(1 << 17);
  private start = 0;
  private end = 0;
  private closed = false;
  handlers: StepHandlers | null = null;

  constructor(flashFile: string, seed: number, binary = NATIVE_DEVICE) {
    const dir = mkdtempSync(join(tmpdir(), "ipphone-native-"));
    const toDev = join(dir, "in");
    const fromDev = join(dir, "out");
    try {
      const mk = spawnSync("mkfifo", [toDev, fromDev]);
      if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
      // O_RDWR opens of a FIFO never block; once the child holds its ends,
      // ours become a plain writer and a plain reader, so the child's exit
      // is an EOF (read) or EPIPE (write) here, never a hang.
      const a = openSync(toDev, "r+");
      const b = openSync(fromDev, "r+");
      this.child = spawn(binary, ["--pipe", "--flash", flashFile, "--seed", String(seed >>> 0)], { stdio: [a, b, "inherit"] });
      this.wfd = openSync(toDev, "w");
      this.rfd = openSync(fromDev, "r");
      closeSync(a);
      closeSync(b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private send(type: string, payload: Uint8Array = new Uint8Array(0)): void {
    const msg = Buffer.alloc(5 + payload.length);
    msg[0] = type.charCodeAt(0);
    msg.writeUInt32LE(payload.length, 1);
    msg.set(payload, 5);
    for (let off = 0; off < msg.length;) off += writeSync(this.wfd, msg, off, msg.length - off);
  }

  private fill(n: number): void {
    while (this.end - this.start < n) {
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.end + n > this.buf.length) {
        const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.end + n));
        this.buf.copy(bigger, 0, 0, this.end);
        this.buf = bigger;
      }
      const got = readSync(this.rfd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) throw new Error(`the native device (pid ${this.child.pid}) exited`);
      this.end += got;
    }
  }

  private read(): { type: string; body: Buffer } {
    this.fill(5);
    const type = String.fromCharCode(this.buf[this.start]);
    const len = this.buf.readUInt32LE(this.start + 1);
    this.fill(5 + len);
    const body = Buffer.from(this.buf.subarray(this.start + 5, this.start + 5 + len));
    this.start += 5 + len;
    return { type, body };
  }

  /** Sends a command and handles what the device says until its reply of type `reply`. */
  private step(name: string, type: string, payload: Uint8Array | undefined, reply: string): Buffer {
    if (this.closed) throw new Error("the native device is closed");
    this.send(type, payload);
    let trap = "";
    for (;;) {
      const { type: t, body } = this.read();
      if (t === reply) {
        if (trap && reply !== "s") throw new NativeTrap(name, trap);
        return body;
      }
      const h = this.handlers;
      switch (t) {
        case "t": h?.tx(new Uint8Array(body)); break;
        case "l": h?.lcd(body.toString("latin1")); break;
        case "g": h?.log(body.readInt32LE(0), body.subarray(4).toString("latin1")); break;
        case "r": h?.reset(body.readInt32LE(0)); break;
        case "x": trap = body.toString("latin1"); break;
        case "e": {
          const text = (ptr: number, len: number): string => {
            const p = Buffer.alloc(8);
            p.writeUInt32LE(ptr >>> 0, 0);
            p.writeUInt32LE(len >>> 0, 4);
            this.send("R", p);
            const m = this.read();
            if (m.type !== "m") throw new Error(`native device: expected memory, got '${m.type}'`);
            return m.body.toString("latin1");
          };
          try {
            // i32 arguments, as V8 hands them to a JavaScript import: signed.
            h?.event(body.readInt32LE(0), body.readInt32LE(4), body.readInt32LE(8), text);
          } finally {
            this.send("K");
          }
          break;
        }
        default: throw new Error(`native device: unexpected message '${t}'`);
      }
    }
  }

  /** Runs boot.wasm: the slot (or a negative error) and where its WebAssembly is. */
  boot(): { slot: number; addr: number; size: number } {
    const r = this.step("boot", "B", undefined, "b");
    return { slot: r.readInt32LE(4), addr: r.readUInt32LE(8), size: r.readUInt32LE(12) };
  }

  /** Starts the translation of the image at [addr, addr + size): null, or why it does not start. */
  startImage(addr: number, size: number): { error: string | null; rxCapacity: number; counterCount: number } {
    const p = Buffer.alloc(8);
    p.writeUInt32LE(addr >>> 0, 0);
    p.writeUInt32LE(size >>> 0, 4);
    const r = this.step("start", "S", p, "s");
    const rc = r.readInt32LE(0);
    return { error: rc === 0 ? null : r.subarray(12).toString("latin1"), rxCapacity: r.readUInt32LE(4), counterCount: r.readUInt32LE(8) };
  }

  poll(nowMs: number): number | null {
    const p = Buffer.alloc(8);
    p.writeBigInt64LE(BigInt(nowMs));
    const next = this.step("poll", "P", p, "n").readBigInt64LE(4);
    return next >= NEVER ? null : Number(next);
  }

  onFrame(frame: Uint8Array, nowMs: number): void {
    const p = Buffer.alloc(8 + frame.length);
    p.writeBigInt64LE(BigInt(nowMs));
    p.set(frame, 8);
    this.step("on_frame", "F", p, "k");
  }

  link(up: boolean, nowMs: number): void {
    const p = Buffer.alloc(12);
    p.writeUInt32LE(up ? 1 : 0, 0);
    p.writeBigInt64LE(BigInt(nowMs), 4);
    this.step("link", "L", p, "k");
  }

  counters(): Counters {
    const r = this.step("counters", "C", undefined, "c");
    const c = {} as Counters;
    COUNTER_NAMES.forEach((name, i) => (c[name] = i < r.readUInt32LE(0) ? r.readUInt32LE(4 + 4 * i) : 0));
    return c;
  }

  /** Writes the device's flash, as it is now, to `path` (to load into a Flash or inspect). */
  dumpFlash(path: string): void {
    const r = this.step("dump", "D", Buffer.from(path), "k");
    if (r.readInt32LE(0) !== 0) throw new Error(`native device could not write its flash to ${path}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.send("Q");
    } catch {
      // already gone
    }
    closeSync(this.wfd);
    closeSync(this.rfd);
  }
}

export interface NativePhoneOptions extends PhoneOptions {
  /** The native binary (default build/device/ipphone-device). */
  binary?: string;
}

/**
 * A phone whose firmware runs natively: powers on like host/phone.ts's Phone,
 * and attaches to a Wire the same way (a Nic + connect(port)). While the
 * firmware runs, the device process is PhoneBase's running firmware.
 */
export class NativePhone extends PhoneBase<NativeDevice> {
  readonly flash: Flash;
  private device: NativeDevice | null = null;
  private readonly flashDir = mkdtempSync(join(tmpdir(), "ipphone-flash-"));

  constructor(clock: Clock, override readonly options: NativePhoneOptions) {
    super(clock, options);
    this.flash = options.flash ?? factoryFlash(options.mac, options.phoneWasm);
  }

  /** host/phone.ts gives the V8 instance's exports; a native firmware has none to give. */
  firmwareExport(_name: string): unknown {
    return undefined;
  }

  /** The device process (started at the first power-on; its flash and random state live there). */
  get process(): NativeDevice | null {
    return this.device;
  }

  override powerOn(onLinkUp?: () => void): boolean {
    if (!this.device) {
      const file = join(this.flashDir, "flash.bin");
      writeFlashFile(this.flash, file);
      this.device = new NativeDevice(file, this.options.seed, this.options.binary);
    }
    return super.powerOn(onLinkUp);
  }

  /** Stops the device process. */
  close(): void {
    this.powerOff();
    this.device?.close();
    this.device = null;
    rmSync(this.flashDir, { recursive: true, force: true });
  }

  /** The device's flash as it is now. */
  readFlash(): Flash {
    const dev = this.need();
    const file = join(this.flashDir, "dump.bin");
    dev.dumpFlash(file);
    const flash = new Flash();
    const bytes = new Uint8Array(readFileSync(file));
    for (let at = 0; at < bytes.length; at += 4096) {
      const sector = bytes.subarray(at, Math.min(at + 4096, bytes.length));
      if (sector.some((v) => v !== 0xff)) flash.program(at, sector);
    }
    return flash;
  }

  private need(): NativeDevice {
    if (!this.device) throw new Error("the native phone was never powered on");
    return this.device;
  }

  protected runBootloader(event: FirmwareEvent): BootChoice {
    const dev = this.need();
    dev.handlers = { ...this.handlers(), event };
    return dev.boot();
  }

  protected startImage(addr: number, size: number): NativeDevice | string {
    const dev = this.need();
    dev.handlers = this.handlers();
    const started = dev.startImage(addr, size);
    if (started.error !== null) return started.error;
    if (started.counterCount !== COUNTER_NAMES.length) {
      return `firmware has ${started.counterCount} counters, host knows ${COUNTER_NAMES.length}: rebuild both`;
    }
    return dev;
  }

  private handlers(): StepHandlers {
    return {
      tx: (frame) => this.transmit(frame),
      event: (code, a, b, text) => this.firmwareEvent(code, a, b, text),
      log: (level, text) => this.firmwareLog(level, text),
      lcd: (text) => this.showLcd(text),
      reset: (reason) => this.reset(reason),
    };
  }
}
