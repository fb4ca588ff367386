// Bench figures of the phone on QEMU's mps2-an386 (host/device/board/): the
// board program's flash (text + data) and RAM (data + bss) from
// arm-none-eabi-size, and the bootloader's cost in instructions, counted by
// QEMU under -icount shift=0 (one instruction per ns of virtual time, read
// by the board from the LAN9118's 25 MHz free-running counter around
// boot.wasm's verify of slot A: exact to 40 instructions).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupFlash } from "../../host/phone-setup.js";
import { PHONE_WASM } from "../../host/firmware.js";
import { buildImage, DEFAULT_LOAD_NAME, devImage, devKey, HEADER_SIZE, parseHeader, signImage } from "../../host/image.js";
import { BOARD_ELF, BoardPhone, boardToolsMissing, buildBoard, runBoard, writeBoardFlash } from "../../host/device/board-phone.js";

/** The clock the simulation charges the boot stage at (the AN386's FPGA clock is 25 MHz; a shipping Cortex-M4 runs at 168). */
const CLOCKS_MHZ = [25, 168];

function sizeLine(): string {
  const out = spawnSync("arm-none-eabi-size", [BOARD_ELF["mps2-an386"]], { encoding: "utf8" }).stdout.trim().split("\n")[1];
  const [text, data, bss] = out.trim().split(/\s+/).map(Number);
  return `mps2-an386 board program (arm-none-eabi-gcc -Os, newlib-nano): flash ${text + data} bytes (text + data), RAM ${data + bss} bytes (data + bss, with the 64 KiB linear memory page and a 16 KiB stack)`;
}

/** Instructions (under -icount shift=0: 40 a tick of the 25 MHz counter) of boot.wasm's verify and of phone.wasm's start, for one slot-A image. */
export async function measureBoot(image?: Uint8Array): Promise<{ verify: number; start: number | null; signedBytes: number } | string> {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-board-bench-"));
  try {
    const flashFile = join(dir, "flash.bin");
    const img = image ?? devImage(PHONE_WASM);
    writeBoardFlash(setupFlash("00:1b:54:c2:a7:53", image ? { image } : {}), flashFile);
    const phone = new BoardPhone({ mac: "00:1b:54:c2:a7:53", seed: 0 });
    const ticks = (what: string) => phone.notes.map((n) => new RegExp(`${what} ran (\\d+) ticks`).exec(n)?.[1]).find((t) => t !== undefined);
    // The start is reported only when the image is the board's own translation; a padded image stops after the verify.
    const done = () => ticks("boot\\.wasm") !== undefined && (image !== undefined || ticks("phone\\.wasm start") !== undefined);
    const run = await runBoard(phone, { board: "mps2-an386", flashFile, tap: null, icount: true, timeoutMs: 120_000, done });
    const v = ticks("boot\\.wasm");
    if (!run.reached || v === undefined) return run.stderr.trim() || `QEMU ${run.qemuExit}`;
    const s = ticks("phone\\.wasm start");
    const header = parseHeader(img);
    return { verify: Number(v) * 40, start: s === undefined ? null : Number(s) * 40, signedBytes: HEADER_SIZE + header.payloadSize };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** phone.wasm with a custom section of `extra` zero bytes appended: still valid WebAssembly, `extra` bytes more to hash. */
export function paddedImage(extra: number): Uint8Array {
  const wasm = new Uint8Array(readFileSync(PHONE_WASM));
  const name = new TextEncoder().encode("pad");
  const body = [...leb(name.length), ...name, ...new Uint8Array(extra)];
  const padded = new Uint8Array([...wasm, 0, ...leb(body.length), ...body]);
  return signImage(buildImage(padded, { loadName: DEFAULT_LOAD_NAME, securityCounter: 1 }), devKey());
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const PAD_BYTES = 512 * 1024;

async function bootInstructions(): Promise<string[]> {
  const base = await measureBoot();
  if (typeof base === "string") return [`mps2-an386 bootloader instructions: not measured (${base})`];
  const big = await measureBoot(paddedImage(PAD_BYTES));
  const at = (n: number) => CLOCKS_MHZ.map((mhz) => `${(n / (mhz * 1e6)).toFixed(3)} s at ${mhz} MHz`).join(", ");
  const lines = [`mps2-an386 bootloader (boot.wasm through wasm2c -Os: verify slot A, choose it) under -icount shift=0: ${(base.verify / 1e6).toFixed(1)} M instructions for ${base.signedBytes} signed bytes (about one a cycle: ${at(base.verify)})`];
  if (typeof big !== "string") {
    const perByte = (big.verify - base.verify) / (big.signedBytes - base.signedBytes);
    const fixed = base.verify - perByte * base.signedBytes;
    lines.push(`mps2-an386 verify cost: ${perByte.toFixed(1)} instructions a signed byte (SHA-256 and SHA-512 over it; ${(big.verify / 1e6).toFixed(1)} M for ${big.signedBytes} bytes) + ${(fixed / 1e6).toFixed(2)} M fixed (the Ed25519 check)`);
  }
  if (base.start !== null) lines.push(`mps2-an386 firmware start (phone.wasm: translation check, instantiate, start function) under -icount shift=0: ${(base.start / 1e6).toFixed(2)} M instructions (${at(base.start)})`);
  return lines;
}

export async function boardBench(): Promise<string[]> {
  const missing = boardToolsMissing();
  if (missing) return [`mps2-an386 board: not measured (${missing})`];
  const why = buildBoard();
  if (why) return [`mps2-an386 board: not built (${why})`];
  return [sizeLine(), ...(await bootInstructions())];
}
