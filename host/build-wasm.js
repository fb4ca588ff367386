// Builds the firmware: boot.wasm and phone.wasm, release and debug; and,
// never shipped: fuzz.wasm, the parsers' fuzz entry points (assembly/fuzz.ts),
// and build/testing/*.wasm, the tests' own entry points (assembly/testing/).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
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

// The tests' entry points, each with the options its tests expect. A file in
// assembly/testing/ with no entry here stops the build rather than go unbuilt.
const HARNESS = ["--runtime", "stub", "--noAssert", "--use", "abort=", "-O2"];
const RELEASE = ["--config", "asconfig.json", "--target", "release"];
const TESTING = {
  "tftp-harness": HARNESS,    // tests/helpers/tftp-harness.ts: the TFTP and DNS clients on a simulated switch
  "register-harness": HARNESS, // tests/callmanager-failover.test.ts: ARP, TCP and registration
  "sip-harness": HARNESS,     // tests/sip-register.test.ts: the receive path and SIP registration
  "phone-next": RELEASE,       // tests/upgrade.test.ts: the phone plus build_id(), the "next" load
  "flash-harness": RELEASE,    // host/boot/harness.ts: slots, preferences and boot record on the flash model
};
const unlisted = readdirSync("assembly/testing").filter((f) => f.endsWith(".ts") && !(f.slice(0, -3) in TESTING));
if (unlisted.length > 0) throw new Error(`host/build-wasm.js: give assembly/testing/${unlisted.join(", ")} build options in TESTING`);
mkdirSync("build/testing", { recursive: true });
for (const [name, options] of Object.entries(TESTING)) {
  execFileSync(process.execPath, [asc, `assembly/testing/${name}.ts`, ...options, "--outFile", `build/testing/${name}.wasm`], { stdio: "inherit" });
}
