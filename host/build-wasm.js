// Builds the firmware: boot.wasm and phone.wasm, release and debug; and
// fuzz.wasm, the parsers' fuzz entry points (assembly/fuzz.ts), never shipped.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { shrinkWasm } from "./shrink-wasm.js";

const asc = new URL("../node_modules/assemblyscript/bin/asc.js", import.meta.url).pathname;
mkdirSync("build", { recursive: true });
for (const entry of ["boot", "phone"]) {
  for (const target of ["release", "debug"]) {
    const out = target === "release" ? `build/${entry}.wasm` : `build/${entry}.debug.wasm`;
    execFileSync(process.execPath, [asc, `assembly/${entry}.ts`, "--config", "asconfig.json", "--target", target, "--outFile", out], { stdio: "inherit" });
    if (target === "release") shrinkWasm(out);
  }
}
// The fuzz entry points: optimized like the release, with assertions kept
// (a failed one traps), function names kept (coverage reports name them),
// and memory to spare after the firmware's data so that
// an input can end exactly at the end of memory.
execFileSync(process.execPath, [asc, "assembly/fuzz.ts", "--outFile", "build/fuzz.wasm", "--optimizeLevel", "3", "--shrinkLevel", "0",
  "--runtime", "stub", "--use", "abort=", "--initialMemory", "3", "--maximumMemory", "3", "--debug"], { stdio: "inherit" });
