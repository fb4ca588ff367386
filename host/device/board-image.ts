// Board images: the phone's WebAssembly translated by wasm2c and compiled for
// a board (make -C host/device mps2-image), wrapped and signed as a
// WebAssembly image is (host/image.ts): the same header, load name, key and
// TLVs; the header's target says the payload is native code and its load
// address where the board's resident program copies it to run it (RAM-load,
// host/device/native_abi.h).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KeyObject } from "node:crypto";
import { buildImage, devKey, DEFAULT_LOAD_NAME, sha256, hex, signImage } from "../image.js";

const DEVICE_SRC = fileURLToPath(new URL("../../../host/device", import.meta.url));
const IMAGES_DIR = fileURLToPath(new URL("../../../build/device/images/", import.meta.url));
export const PHONE_WASM = fileURLToPath(new URL("../../../build/phone.wasm", import.meta.url));
/** "IPPN": the native image descriptor at the payload's start (native_abi.h). */
const NATIVE_MAGIC = 0x4e505049;

/** A version string a board image announces on start: printable ASCII, no quote or backslash (it goes into C). */
export function checkVersion(v: string): void {
  if (!/^[\x20\x21\x23-\x5b\x5d-\x7e]{1,48}$/.test(v)) throw new RangeError(`version ${JSON.stringify(v)}: 1 to 48 printable ASCII characters, no quote or backslash`);
}

export interface BoardCode {
  /** The payload: native code linked to run at loadAddr. */
  code: Uint8Array;
  loadAddr: number;
  /** RAM the image takes from loadAddr (code, data and bss). */
  ramBytes: number;
  elf: string;
}

/** Compiles `wasmPath` for mps2-an386 with `version` compiled in (cached by their hash). Throws with make's output when it fails. */
export function buildBoardCode(wasmPath: string, version: string): BoardCode {
  checkVersion(version);
  const wasm = new Uint8Array(readFileSync(wasmPath));
  const dir = `${IMAGES_DIR}${hex(sha256(wasm, new TextEncoder().encode(`\n${version}`))).slice(0, 16)}`;
  mkdirSync(dir, { recursive: true });
  const versionH = `#define IMAGE_VERSION "${version}"\n`;
  if (!existsSync(`${dir}/image_version.h`) || readFileSync(`${dir}/image_version.h`, "utf8") !== versionH) writeFileSync(`${dir}/image_version.h`, versionH);
  if (!existsSync(`${dir}/phone.wasm`)) writeFileSync(`${dir}/phone.wasm`, wasm);
  const r = spawnSync("make", ["-s", "-C", DEVICE_SRC, "mps2-image", `IMAGE_WASM=${dir}/phone.wasm`, `IMAGE_DIR=${dir}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make -C host/device mps2-image failed: ${r.stderr || r.stdout || r.error?.message}`);
  const code = new Uint8Array(readFileSync(`${dir}/image.bin`));
  const v = new DataView(code.buffer, code.byteOffset, code.byteLength);
  if (code.length < 28 || v.getUint32(0, true) !== NATIVE_MAGIC) throw new Error(`${dir}/image.bin: no native image descriptor`);
  const loadAddr = v.getUint32(8, true);
  return { code, loadAddr, ramBytes: v.getUint32(12, true) - loadAddr, elf: `${dir}/image.elf` };
}

export interface BoardImageOptions {
  loadName?: string;
  securityCounter?: number;
  /** Default: the load name. */
  version?: string;
  /** null: unsigned. Default: the development key. */
  key?: KeyObject | null;
}

/** A signed board image of `wasmPath` (default build/phone.wasm as the default load, counter 1, development key). */
export function boardImage(wasmPath = PHONE_WASM, o: BoardImageOptions = {}): Uint8Array {
  const loadName = o.loadName ?? DEFAULT_LOAD_NAME;
  const { code, loadAddr } = buildBoardCode(wasmPath, o.version ?? loadName);
  const image = buildImage(code, { loadName, securityCounter: o.securityCounter ?? 1, target: "mps2-an386", loadAddr });
  const key = o.key === undefined ? devKey() : o.key;
  return key ? signImage(image, key) : image;
}
