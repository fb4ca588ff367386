// A phone's flash set up for a user's own firmware (`ipphone boot --image
// FILE --key KEY`, scenario `phone.image`, `phone.factory_key`,
// `phone.security_counter`): their signed image in slot A, the hash of the
// key they sign with in factory data, and the security counter the
// bootloader has recorded. The checks of the files run before any work and
// say what is wrong in one sentence (SetupError).
import { crc32 } from "node:zlib";
import { readFileSync } from "node:fs";
import { Flash, FLASH_OK, LAYOUT } from "./flash.js";
import { writeFactory } from "./factory.js";
import { devImage, devKey, flashImage, keyHashOf, parseImage, readKey, ImageError, IMAGE_MAX } from "./image.js";
import { PHONE_WASM } from "./firmware.js";

export class SetupError extends Error {}

export interface PhoneSetup {
  /** The image for slot A (default: build/phone.wasm signed with the development key). */
  image?: Uint8Array;
  /** SHA-256 of the public key factory data trusts (default: the development key's). */
  keyHash?: Uint8Array;
  /** The security counter the boot record holds, as if an image with it had been confirmed. */
  securityCounter?: number;
}

/** The load name in an image's header. */
export function loadOf(image: Uint8Array): string {
  return parseImage(image).header.loadName;
}

/** Reads an image file; refuses one that is not an image (the bootloader's own reasons are left to the bootloader). */
export function readImageFile(path: string): Uint8Array {
  const bytes = readFile(path);
  if (bytes.length > IMAGE_MAX) throw new SetupError(`${path}: ${bytes.length} bytes do not fit a slot (${IMAGE_MAX})`);
  try {
    parseImage(bytes);
  } catch (e) {
    if (e instanceof ImageError) throw new SetupError(`${path} is not a firmware image (${e.message}); build one with ipphone image build`);
    throw e;
  }
  return bytes;
}

/** 64 hex digits: a key's SHA-256 as `image keygen` prints it, rather than a file name. */
export const isKeyHash = (text: string) => /^[0-9a-f]{64}$/i.test(text);

/** The key hash for factory data: from a PEM key file (public or private), or 64 hex digits as `image keygen` prints. */
export function readKeyHash(pathOrHex: string): Uint8Array {
  if (isKeyHash(pathOrHex)) return Uint8Array.from(Buffer.from(pathOrHex, "hex"));
  readFile(pathOrHex); // the file's own errors first: missing, a directory, unreadable
  try {
    return keyHashOf(readKey(pathOrHex));
  } catch (e) {
    // readKey names another algorithm's key; OpenSSL's decoder errors say nothing a user can act on.
    const other = /not an Ed25519 key \((\w+)\)/.exec((e as Error).message)?.[1];
    throw new SetupError(`${pathOrHex} is not an Ed25519 key in PEM${other ? ` (it is ${other})` : ""}; make one with ipphone image keygen`);
  }
}

function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SetupError(`${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "not readable" : (e as Error).message}`);
  }
}

/** A flash as the factory would leave it for `setup`: factory data, slot A confirmed, the boot record. */
export function setupFlash(mac: string, setup: PhoneSetup): Flash {
  const flash = new Flash();
  writeFactory(flash, { mac, keyHash: setup.keyHash ?? keyHashOf(devKey()) });
  // The built-in image's sectors are shared between phones; a user's is theirs alone.
  flashImage(flash, 0, setup.image ?? devImage(PHONE_WASM), { shared: setup.image === undefined });
  if (setup.securityCounter !== undefined) writeBootRecord(flash, 0, setup.securityCounter);
  return flash;
}

// ---- the boot record (assembly/flash/bootrec.ts in the log store of assembly/flash/log.ts)

const LOG_MAGIC = 0x4950504c; // "IPPL"
const BOOTREC_KEY = 1;

/**
 * The boot record's log store as a first write leaves it: sector header
 * (magic, sequence 1, CRC-32, 0xFF) and one record of key 1 = slot u8,
 * 0xFF x3, security counter u32, with its CRC-32, in one 16-byte unit.
 */
export function encodeBootRecord(slot: number, counter: number): Uint8Array {
  const unit = LAYOUT.writeUnit;
  const b = new Uint8Array(2 * unit).fill(0xff);
  const v = new DataView(b.buffer);
  v.setUint32(0, LOG_MAGIC);
  v.setUint32(4, 1);
  v.setUint32(8, crc32(b.subarray(0, 8)) >>> 0);
  const rec = unit;
  b.set([1, 0xfe, BOOTREC_KEY, 8, slot], rec);
  v.setUint32(rec + 8, counter >>> 0);
  v.setUint32(rec + 12, crc32(b.subarray(rec, rec + 12)) >>> 0);
  return b;
}

export function writeBootRecord(flash: Flash, slot: number, counter: number): void {
  const rc = flash.erase(LAYOUT.bootRecord);
  const rc2 = flash.program(LAYOUT.bootRecord, encodeBootRecord(slot, counter));
  if (rc !== FLASH_OK || rc2 !== FLASH_OK) throw new Error(`writing the boot record failed (${rc}, ${rc2})`);
}
