// Builds the firmware: boot.wasm and phone.wasm, release and debug.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const asc = new URL("../node_modules/assemblyscript/bin/asc.js", import.meta.url).pathname;
mkdirSync("build", { recursive: true });
for (const entry of ["boot", "phone"]) {
  for (const target of ["release", "debug"]) {
    const out = target === "release" ? `build/${entry}.wasm` : `build/${entry}.debug.wasm`;
    execFileSync(process.execPath, [asc, `assembly/${entry}.ts`, "--config", "asconfig.json", "--target", target, "--outFile", out], { stdio: "inherit" });
  }
}
