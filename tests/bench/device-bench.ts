// Bench figures of the firmware on "device hardware" (host/device, issue 12):
// the Cortex-M4 image's flash (text + data) and RAM (data + bss, which holds
// the one 64 KiB linear memory page and the stack) from arm-none-eabi-size,
// its worst-case stack from gcc's call graph, the native binary's size, and
// the native phone's boot to registered on the simulated network.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { buildDevice, CM4_ELF, NATIVE_DEVICE, NativePhone } from "../../host/device/native-phone.js";
import { bootPhone, buildNetwork } from "../../host/sim/network.js";
import type { Phone } from "../../host/phone.js";

const FLASH_TARGET = 128 * 1024;
const RAM_TARGET = 96 * 1024;
const PAGE = 65536;
const DEVICE_SRC = join(dirname(fileURLToPath(import.meta.url)), "../../../host/device");

function verdict(ok: boolean): string {
  return ok ? "PASS" : "MISS";
}

function cm4Lines(): string[] {
  const size = spawnSync("arm-none-eabi-size", ["-A", CM4_ELF], { encoding: "utf8" });
  if (size.status !== 0) return [`Cortex-M4 build: not built (${size.error?.message ?? size.stderr.trim()}; Debian packages gcc-arm-none-eabi, libnewlib-arm-none-eabi)`];
  const sections = new Map<string, number>();
  for (const line of size.stdout.split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line);
    if (m) sections.set(m[1], Number(m[2]));
  }
  const berkeley = spawnSync("arm-none-eabi-size", [CM4_ELF], { encoding: "utf8" }).stdout.trim().split("\n")[1].trim().split(/\s+/).map(Number);
  const [text, data, bss] = berkeley;
  const flash = text + data;
  const ram = data + bss;
  const stack = sections.get(".stack") ?? 0;
  const ci = spawnSync("sh", ["-c", `ls ${join(dirname(CM4_ELF), "cm4")}/*.ci`], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
  const depth = spawnSync("python3", [join(DEVICE_SRC, "stack_depth.py"), "--limit", String(stack), "--entry", "Reset_Handler,SysTick_Handler",
    "--gen", join(dirname(CM4_ELF), "gen/phone.c"), "--gen", join(dirname(CM4_ELF), "gen/boot.c"), ...ci], { encoding: "utf8" });
  return [
    `Cortex-M4 flash (text + data, arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os, newlib-nano): ${flash} bytes (target <= ${FLASH_TARGET}): ${verdict(flash <= FLASH_TARGET)}`,
    `Cortex-M4 RAM (data + bss: linear memory ${PAGE}, stack ${stack}, the rest ${ram - PAGE - stack}): ${ram} bytes (target <= ${RAM_TARGET}): ${verdict(ram <= RAM_TARGET)}`,
    depth.stdout.trim() || `Cortex-M4 stack bound: ${depth.stderr.trim()}`,
  ];
}

function nativeBoot(): string {
  let phone: NativePhone | null = null;
  const net = buildNetwork({ seed: 1, makePhone: (c, o) => (phone = new NativePhone(c, o)) as unknown as Phone });
  try {
    const t = performance.now();
    const r = bootPhone(net);
    const ms = performance.now() - t;
    return `native phone (wasm2c + gcc -O2, driven over a pipe) boot to registered on the simulated network: ${r.registered ? `${r.registeredAtMs} ms virtual` : "NOT registered"}, ${ms.toFixed(1)} ms wall`;
  } finally {
    (phone as NativePhone | null)?.close();
  }
}

export function deviceBench(): string[] {
  const why = buildDevice();
  if (why) return [`native phone: not built (${why})`];
  return [`native phone binary (gcc -O2, boot.wasm + phone.wasm translated): ${statSync(NATIVE_DEVICE).size} bytes`, nativeBoot(), ...cm4Lines()];
}
