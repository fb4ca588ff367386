// The hal ABI: the firmware imports only numeric `hal` functions. (The host's
// tables of event codes, counters and other enums: tests/registries.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModule, PHONE_WASM, BOOT_WASM, BUILD_DIR } from "../host/firmware.js";
import { needs, run } from "./helpers/tools.js";

const MODULES = [PHONE_WASM, BOOT_WASM, BUILD_DIR + "phone.debug.wasm", BUILD_DIR + "boot.debug.wasm"];

test("every module imports only functions from `hal` taking and returning numbers", () => {
  for (const path of MODULES) {
    const imports = WebAssembly.Module.imports(loadModule(path));
    assert.ok(imports.length > 0, path);
    for (const i of imports) {
      assert.equal(i.module, "hal", `${path} imports ${i.module}.${i.name}`);
      assert.equal(i.kind, "function", `${path} imports ${i.name} as ${i.kind}`);
    }
  }
});

test("wasm-objdump -x -j Import lists only hal.* for both release modules", { skip: needs("wasm-objdump") }, () => {
  for (const path of [PHONE_WASM, BOOT_WASM]) {
    const r = run("wasm-objdump", ["-x", "-j", "Import", path]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l.includes("<-"));
    assert.ok(lines.length > 0, r.stdout);
    for (const l of lines) assert.match(l, /<- hal\.[a-z_]+$/, l);
  }
});

test("the release phone fits one 64 KiB page of linear memory", () => {
  const m = loadModule(PHONE_WASM);
  const x = WebAssembly.Module.exports(m).map((e) => e.name).sort();
  assert.deepEqual(x, ["counter_count", "counters", "link", "memory", "on_frame", "poe_class", "poe_current_ua", "poe_flp_loopback",
    "poe_power_good", "poe_set_class", "poll", "rx_buffer", "rx_capacity"]);
  const mem = new WebAssembly.Instance(m, { hal: stubHal() }).exports.memory as WebAssembly.Memory;
  assert.equal(mem.buffer.byteLength, 65536);
  assert.throws(() => mem.grow(1), RangeError);
});

function stubHal(): Record<string, () => number> {
  const names = ["mac_tx", "flash_read", "flash_program", "flash_erase", "random", "event", "lcd", "log", "watchdog_kick", "reset"];
  return Object.fromEntries(names.map((n) => [n, () => 0]));
}
