// For tests: compiles assembly/flash/harness.ts (the firmware's own slot
// writer, preferences and boot record code) and runs it on a Flash, so power
// cuts hit the real code. Compiled once per source version, cached in the
// system's temporary directory.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FirmwareInstance } from "../firmware.js";
import type { Flash } from "../flash.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENTRY = "assembly/flash/harness.ts";

function sourceHash(): string {
  const h = createHash("sha256");
  for (const dir of ["assembly", "assembly/flash", "assembly/lib"]) {
    for (const f of readdirSync(ROOT + dir).filter((n) => n.endsWith(".ts")).sort()) {
      h.update(f).update(readFileSync(join(ROOT, dir, f)));
    }
  }
  h.update(readFileSync(ROOT + "asconfig.json"));
  return h.digest("hex").slice(0, 16);
}

let compiled: WebAssembly.Module | null = null;

/** The harness module (compiled with the release settings of asconfig.json). */
export function harnessModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const dir = join(tmpdir(), "ipphone-harness");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `flash-${sourceHash()}.wasm`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    const asc = ROOT + "node_modules/assemblyscript/bin/asc.js";
    execFileSync(process.execPath, [asc, ENTRY, "--config", "asconfig.json", "--target", "release", "--outFile", tmp], { cwd: ROOT, stdio: "inherit" });
    renameSync(tmp, out);
  }
  compiled = new WebAssembly.Module(readFileSync(out));
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
