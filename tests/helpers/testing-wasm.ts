// The tests' own AssemblyScript entry points (assembly/testing/), built by
// `npm run build` (host/build-wasm.js) into build/testing/.
import { existsSync, readFileSync } from "node:fs";
import { BUILD_DIR } from "../../host/firmware.js";

export const TESTING_DIR = BUILD_DIR + "testing/";

/** build/testing/<name>.wasm, the build of assembly/testing/<name>.ts. */
export function testingWasm(name: string): Uint8Array<ArrayBuffer> {
  const path = `${TESTING_DIR}${name}.wasm`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build (assembly/testing/${name}.ts)`);
  return new Uint8Array(readFileSync(path));
}

const modules = new Map<string, WebAssembly.Module>();
/** The compiled module of build/testing/<name>.wasm (once a process). */
export function testingModule(name: string): WebAssembly.Module {
  let m = modules.get(name);
  if (m === undefined) modules.set(name, (m = new WebAssembly.Module(testingWasm(name))));
  return m;
}
