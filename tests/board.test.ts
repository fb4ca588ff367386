// The emulated board's host side without a network (the lab test,
// peers-board.test.ts, boots it): `ipphone device flash` writes the NOR as
// the board maps it (16 MiB, factory data, slot A, the rest erased);
// `device` refuses bad usage before any work; the board's program links for
// the AN386's memory map with its vector table at 0 and the LAN9118's
// handler on NVIC line 13; its console lines become boot's timeline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ipphone } from "./helpers/tools.js";
import { setupFlash } from "../host/phone-setup.js";
import { BOARD_ELF, BoardPhone, boardToolsMissing, buildBoard } from "../host/device/board-phone.js";
import { LAYOUT } from "../host/flash.js";
import { boardImage } from "../host/device/board-image.js";
import { parseImage, TARGETS } from "../host/image.js";
import { Ev } from "../host/events.js";

const MAC = "00:1b:54:c2:a7:52";

test("device flash: 16 MiB as the board maps its PSRAM: the factory data of setupFlash and the board image of build/phone.wasm in slot A, the rest erased", { skip: boardToolsMissing(), timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-board-"));
  try {
    const out = join(dir, "flash.bin");
    const r = ipphone("device", "flash", "--board", "mps2-an386", "--mac", MAC, "--out", out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(out).size, 16 * 1024 * 1024);
    const bytes = readFileSync(out);
    const image = boardImage();
    assert.equal(parseImage(image).header.target, TARGETS.indexOf("mps2-an386"));
    const want = setupFlash(MAC, { image });
    const expected = new Uint8Array(want.size);
    want.copyOut(0, expected);
    assert.ok(bytes.subarray(0, want.size).equals(expected), "the same bytes as the simulated phone's flash");
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "IPPF");
    assert.equal([...bytes.subarray(8, 14)].map((b) => b.toString(16).padStart(2, "0")).join(":"), MAC, "the MAC the board's driver reads at 8");
    assert.notEqual(bytes[LAYOUT.slots[0]], 0xff, "slot A holds the image");
    assert.ok(bytes.subarray(LAYOUT.slots[1], LAYOUT.slots[1] + 4096).every((b) => b === 0xff), "slot B erased");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("device: bad usage is refused before any work", () => {
  const cases: [string[], RegExp][] = [
    [["device"], /needs a subcommand: flash or run$/],
    [["device", "flash", "--out", "/tmp/x.bin"], /^--board is required/],
    [["device", "flash", "--board", "lm3s6965evb", "--out", "/tmp/x.bin"], /^--board must be mps2-an386, got 'lm3s6965evb'$/],
    [["device", "flash", "--board", "mps2-an386"], /^--out FLASH is required$/],
    [["device", "flash", "--board", "mps2-an386", "--out", "/tmp/x.bin", "--tap", "t0"], /^--tap goes with 'device run'$/],
    [["device", "run", "--board", "mps2-an386", "--tap", "t0"], /^--flash FLASH is required/],
    [["device", "run", "--board", "mps2-an386", "--flash", "/etc/hostname", "--tap", "t0"], /is not a 16 MiB flash file/],
    [["device", "run", "--board", "mps2-an386", "--flash", "/nonexistent", "--tap", "t0"], /no such file$/],
  ];
  for (const [args, reason] of cases) {
    const r = ipphone(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    const [line, pointer] = r.stderr.split("\n");
    assert.ok(line.startsWith("ipphone device: "), line);
    assert.match(line.slice("ipphone device: ".length), reason, args.join(" "));
    assert.equal(pointer, "run 'ipphone device --help' for usage");
  }
});

test("console lines become boot's timeline: bootloader events, the start, lease, reset and the next boot", () => {
  const phone = new BoardPhone({ mac: MAC, seed: 0 });
  const lines = [
    "#H mps2-an386 1",
    `#E ${Ev.BootSlot} 0 1`,
    "#B 0 65536 40000",
    "#S 0 ",
    "mps2-an386: LAN9118 id 01180001 mac 00:1b:54:c2:a7:52",
    "#L Configuring\\x20IP",
    `#E ${Ev.DhcpBound} ${(192 << 24 | 2 << 8 | 77) | 0} 24`,
    "#C 3 10 12 9",
    "#R 2",
    "#H mps2-an386 2",
    "#B 1 4259840 40000",
    "#S 0 ",
  ];
  for (const l of lines) phone.line(l);
  const r = phone.report();
  const events = r.timeline.map((e) => `${e.stage} ${e.event}`);
  assert.ok(events.includes("power on") && events.includes("boot run"), events.join("\n"));
  assert.equal(r.lcd, "Configuring IP", "escapes undone");
  assert.equal(phone.boardMac, MAC);
  assert.equal(phone.boardBoots, 2);
  const reset = r.timeline.find((e) => e.event === "reset");
  assert.match(reset?.detail ?? "", /reason 2/);
  assert.equal(r.timeline.filter((e) => e.event === "run").length, 2, "the boot after the reset runs again");
  assert.equal(r.bound, false, "a reset forgets the lease");
});

const skip = boardToolsMissing();

test("the board's program links for the AN386 map: vectors at 0 in SSRAM1, data in SSRAM2, the LAN9118 handler on line 13", { skip, timeout: 300_000 }, () => {
  assert.equal(buildBoard(), false);
  const elf = BOARD_ELF["mps2-an386"];
  const sections = spawnSync("arm-none-eabi-objdump", ["-h", elf], { encoding: "utf8" }).stdout;
  assert.match(sections, /\.isr_vector\s+\S+\s+00000000 /, sections);
  assert.match(sections, /\.bss\s+\S+\s+20[0-3][0-9a-f]{5} /, sections);
  const syms = spawnSync("arm-none-eabi-nm", [elf], { encoding: "utf8" }).stdout;
  const addr = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, "m").exec(syms)?.[1] ?? "NaN", 16);
  const dump = spawnSync("arm-none-eabi-objdump", ["-s", "-j", ".isr_vector", elf], { encoding: "utf8" }).stdout;
  const words = dump.split("\n").filter((l) => /^ [0-9a-f]{4} /.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1, 5))
    .map((w) => Buffer.from(w, "hex").readUInt32LE(0));
  assert.equal(words[1], addr("Reset_Handler") | 1);
  assert.equal(words[15], addr("SysTick_Handler") | 1);
  assert.equal(words[16 + 13], addr("ETH_IRQHandler") | 1);
});

test("console lines of a board with no bootable image: boot failed, named, the phone dark", () => {
  const phone = new BoardPhone({ mac: MAC, seed: 0 });
  for (const l of ["#H mps2-an386 1", `#E ${Ev.BootNoImage} 0 0`, "#B -2 0 0", "#S -1 no bootable image"]) phone.line(l);
  const r = phone.report();
  assert.equal(r.stage, "boot");
  const failed = r.timeline.find((e) => e.stage === "boot" && e.event === "failed");
  assert.match(failed?.detail ?? "", /bootloader error -2/, JSON.stringify(r.timeline));
  assert.equal(r.timeline.some((e) => e.event === "run"), false);
  assert.equal(phone.image, null);
});
