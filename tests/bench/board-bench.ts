// Bench figures of the phone on QEMU's mps2-an386 (host/device/board/): the
// board program's flash (text + data) and RAM (data + bss) from
// arm-none-eabi-size, and the bootloader's cost in instructions, counted by
// QEMU under -icount shift=0 (one instruction per ns of virtual time, read
// by the board from the LAN9118's 25 MHz free-running counter around
// boot.wasm's verify of slot A: exact to 40 instructions).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupFlash } from "../../host/phone-setup.js";
import { BOARD_ELF, BoardPhone, boardToolsMissing, buildBoard, runBoard, writeBoardFlash } from "../../host/device/board-phone.js";

/** The clock the simulation charges the boot stage at (the AN386's FPGA clock is 25 MHz; a shipping Cortex-M4 runs at 168). */
const CLOCKS_MHZ = [25, 168];

function sizeLine(): string {
  const out = spawnSync("arm-none-eabi-size", [BOARD_ELF["mps2-an386"]], { encoding: "utf8" }).stdout.trim().split("\n")[1];
  const [text, data, bss] = out.trim().split(/\s+/).map(Number);
  return `mps2-an386 board program (arm-none-eabi-gcc -Os, newlib-nano): flash ${text + data} bytes (text + data), RAM ${data + bss} bytes (data + bss, with the 64 KiB linear memory page and a 16 KiB stack)`;
}

async function bootInstructions(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-board-bench-"));
  try {
    const flashFile = join(dir, "flash.bin");
    writeBoardFlash(setupFlash("00:1b:54:c2:a7:53", {}), flashFile);
    const phone = new BoardPhone({ mac: "00:1b:54:c2:a7:53", seed: 0 });
    const ticks = () => phone.notes.map((n) => /boot\.wasm ran (\d+) ticks/.exec(n)?.[1]).find((t) => t !== undefined);
    const run = await runBoard(phone, { board: "mps2-an386", flashFile, tap: null, icount: true, timeoutMs: 120_000, done: () => ticks() !== undefined });
    const t = ticks();
    if (!run.reached || t === undefined) return `mps2-an386 bootloader instructions: not measured (${run.stderr.trim() || `QEMU ${run.qemuExit}`})`;
    const instructions = Number(t) * 40;
    const at = CLOCKS_MHZ.map((mhz) => `${(instructions / (mhz * 1e6)).toFixed(3)} s at ${mhz} MHz`).join(", ");
    return `mps2-an386 bootloader (boot.wasm through wasm2c -Os: verify slot A, choose it) under -icount shift=0: ${(instructions / 1e6).toFixed(1)} M instructions (about one a cycle: ${at})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function boardBench(): Promise<string[]> {
  const missing = boardToolsMissing();
  if (missing) return [`mps2-an386 board: not measured (${missing})`];
  const why = buildBoard();
  if (why) return [`mps2-an386 board: not built (${why})`];
  return [sizeLine(), await bootInstructions()];
}
