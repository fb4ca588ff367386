// Writes the factory data record (layout in assembly/flash/factory.ts) the
// way a manufacturing line would: MAC, serial, model, signing-key hash (the
// SHA-256 of the Ed25519 public key whose images the bootloader accepts).
import { crc32 } from "node:zlib";
import { Flash, FLASH_OK, LAYOUT } from "./flash.js";
import { parseMac } from "./wire/address.js";

export const FACTORY_ADDR = LAYOUT.factory;
export const FACTORY_MAGIC = 0x49505046; // "IPPF"
export const FACTORY_LEN = 84;
/** Where each field starts in the record (the CRC-32 of the bytes before it is last). */
export const FACTORY_FIELDS = { mac: 8, serial: 16, model: 32, keyHash: 48, crc: 80 } as const;

export interface FactoryData {
  mac: string;
  serial?: string;
  model?: string;
  keyHash?: Uint8Array;
}

export function encodeFactory(f: FactoryData): Uint8Array {
  const b = new Uint8Array(FACTORY_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, FACTORY_MAGIC);
  v.setUint16(4, 1);
  v.setUint16(6, FACTORY_LEN);
  const at = FACTORY_FIELDS;
  b.set(parseMac(f.mac), at.mac);
  b.set(ascii(f.serial ?? "FCH1234A0BC", at.model - at.serial), at.serial);
  b.set(ascii(f.model ?? "CP-7960G", at.keyHash - at.model), at.model);
  if (f.keyHash) b.set(f.keyHash.subarray(0, at.crc - at.keyHash), at.keyHash);
  v.setUint32(at.crc, crc32(b.subarray(0, at.crc)) >>> 0);
  return b;
}

function ascii(text: string, max: number): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text) || text.length > max) {
    throw new RangeError(`factory field ${JSON.stringify(text)}: at most ${max} printable ASCII characters`);
  }
  return new TextEncoder().encode(text);
}

export function writeFactory(flash: Flash, f: FactoryData): void {
  const rc = flash.erase(FACTORY_ADDR);
  const rc2 = flash.program(FACTORY_ADDR, encodeFactory(f));
  if (rc !== FLASH_OK || rc2 !== FLASH_OK) throw new Error(`writing factory data failed (${rc}, ${rc2})`);
}
