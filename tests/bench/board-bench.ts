// Bench figures of the phone on QEMU's mps2-an386 (host/device/board/): the
// resident program's flash (text + data) and RAM (data + bss) and the board
// image's (arm-none-eabi-size), and, under -icount shift=0 (one instruction
// per ns of virtual time, read by the board from the LAN9118's 25 MHz
// free-running counter: exact to 40 instructions), the bootloader's verify
// of slot A and the firmware's start: from reset to the phone's first poll
// (the bootloader, the copy of the image to RAM, the drivers' start). These
// last are what the simulation charges for the boot stage.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupFlash } from "../../host/phone-setup.js";
import { BOARD_ELF, BoardPhone, boardToolsMissing, buildBoard, runBoard, writeBoardFlash } from "../../host/device/board-phone.js";
import { boardImage, buildBoardCode, PHONE_WASM } from "../../host/device/board-image.js";
import { buildImage, DEFAULT_LOAD_NAME, devKey, HEADER_SIZE, parseHeader, signImage } from "../../host/image.js";

/** The clock the simulation charges the boot stage at (the AN386's FPGA clock is 25 MHz; a shipping Cortex-M4 runs at 168). */
const CLOCKS_MHZ = [25, 168];
const TICK_INSTRUCTIONS = 40;

function sizes(elf: string): { text: number; data: number; bss: number } {
  const out = spawnSync("arm-none-eabi-size", [elf], { encoding: "utf8" }).stdout.trim().split("\n")[1];
  const [text, data, bss] = out.trim().split(/\s+/).map(Number);
  return { text, data, bss };
}

function sizeLines(): string[] {
  const r = sizes(BOARD_ELF["mps2-an386"]);
  const img = buildBoardCode(PHONE_WASM, DEFAULT_LOAD_NAME);
  const i = sizes(img.elf);
  return [
    `mps2-an386 resident program (drivers + boot.wasm, arm-none-eabi-gcc -Os, newlib-nano): flash ${r.text + r.data} bytes (text + data), RAM ${r.data + r.bss} bytes (data + bss, with boot's 64 KiB linear memory page and a 16 KiB stack)`,
    `mps2-an386 board image of build/phone.wasm: payload ${img.code.length} bytes in its slot; RAM ${img.ramBytes} bytes from its load address 0x${img.loadAddr.toString(16)} (code ${i.text}, data ${i.data}, bss ${i.bss} with the phone's 64 KiB linear memory page)`,
  ];
}

const at = (instructions: number) => CLOCKS_MHZ.map((mhz) => `${(instructions / (mhz * 1e6)).toFixed(3)} s at ${mhz} MHz`).join(", ");

/** The board image of build/phone.wasm with `extra` zero bytes after its code: `extra` bytes more to hash (the bench stops after the verify). */
export function paddedImage(extra: number): Uint8Array {
  const { code, loadAddr } = buildBoardCode(PHONE_WASM, DEFAULT_LOAD_NAME);
  const padded = new Uint8Array(code.length + extra);
  padded.set(code);
  return signImage(buildImage(padded, { loadName: DEFAULT_LOAD_NAME, securityCounter: 1, target: "mps2-an386", loadAddr }), devKey());
}

/**
 * Instructions (under -icount shift=0: 40 a tick of the 25 MHz counter) of
 * boot.wasm's verify of a slot-A image (default: build/phone.wasm's board
 * image), and of the firmware's start: reset to the phone's first poll less
 * the verify (drivers, copy to RAM, the image's start); null for a padded image.
 */
export async function measureBoot(image?: Uint8Array): Promise<{ verify: number; start: number | null; signedBytes: number } | string> {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-board-bench-"));
  try {
    const flashFile = join(dir, "flash.bin");
    const img = image ?? boardImage();
    writeBoardFlash(setupFlash("00:1b:54:c2:a7:53", { image: img }), flashFile);
    const phone = new BoardPhone({ mac: "00:1b:54:c2:a7:53", seed: 0 });
    const ticks = () => phone.notes.map((n) => /boot\.wasm ran (\d+) ticks/.exec(n)?.[1]).find((t) => t !== undefined);
    const done = () => ticks() !== undefined && (image !== undefined || phone.firstPollTicks.length > 0);
    const run = await runBoard(phone, { board: "mps2-an386", flashFile, tap: null, icount: true, timeoutMs: 120_000, done });
    const t = ticks();
    if (!run.reached || t === undefined) return run.stderr.trim() || `QEMU ${run.qemuExit}`;
    const verify = Number(t) * TICK_INSTRUCTIONS;
    const start = image === undefined ? phone.firstPollTicks[0] * TICK_INSTRUCTIONS - verify : null;
    return { verify, start, signedBytes: HEADER_SIZE + parseHeader(img).payloadSize };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PAD_BYTES = 512 * 1024;

async function bootInstructions(): Promise<string[]> {
  const base = await measureBoot();
  if (typeof base === "string") return [`mps2-an386 bootloader instructions: not measured (${base})`];
  const big = await measureBoot(paddedImage(PAD_BYTES));
  const lines = [`mps2-an386 bootloader (boot.wasm through wasm2c -Os: verify slot A's board image, choose it) under -icount shift=0: ${(base.verify / 1e6).toFixed(1)} M instructions for ${base.signedBytes} signed bytes (about one a cycle: ${at(base.verify)})`];
  if (typeof big !== "string") {
    const perByte = (big.verify - base.verify) / (big.signedBytes - base.signedBytes);
    const fixed = base.verify - perByte * base.signedBytes;
    lines.push(`mps2-an386 verify cost: ${perByte.toFixed(1)} instructions a signed byte (SHA-256 over it; ${(big.verify / 1e6).toFixed(1)} M for ${big.signedBytes} bytes) + ${(fixed / 1e6).toFixed(2)} M fixed (the key hash and the Ed25519 check of the digest)`);
  }
  if (base.start !== null) lines.push(`mps2-an386 firmware start, reset to the phone's first poll less the verify (drivers, copy to RAM, the image's start): ${(base.start / 1e6).toFixed(2)} M instructions (${at(base.start)})`);
  return lines;
}

export async function boardBench(): Promise<string[]> {
  const missing = boardToolsMissing();
  if (missing) return [`mps2-an386 board: not measured (${missing})`];
  const why = buildBoard();
  if (why) return [`mps2-an386 board: not built (${why})`];
  return [...sizeLines(), ...(await bootInstructions())];
}
