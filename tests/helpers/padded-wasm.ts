// The phone's WebAssembly grown to a given size by a custom section: a
// multi-megabyte image that engines still load, for downloads that take time.
import { readFileSync } from "node:fs";
import { PHONE_WASM } from "../../host/firmware.js";

/** phone.wasm with a custom section ("padding") of `size` bytes appended. */
export function paddedPhoneWasm(size: number): Uint8Array {
  const wasm = readFileSync(PHONE_WASM);
  const name = new TextEncoder().encode("padding");
  const body = 1 + name.length + size;
  const leb: number[] = [];
  for (let v = body; ; v >>>= 7) {
    leb.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    if (v < 0x80) break;
  }
  const out = new Uint8Array(wasm.length + 1 + leb.length + body);
  out.set(wasm);
  let o = wasm.length;
  out[o++] = 0; // custom section
  out.set(leb, o);
  o += leb.length;
  out[o++] = name.length;
  out.set(name, o);
  return out;
}
