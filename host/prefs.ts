// The phone's preferences log (assembly/flash/log.ts) as the factory or a
// provisioning tool writes it into a blank prefs area: a sector header and
// one record per key. Only for a fresh flash; the firmware itself appends
// and compacts. Layout (big-endian): header magic "IPPL" | sequence |
// CRC-32 of bytes 0..7 | 0xFFFFFFFF; record n | ~n | key | length | value |
// CRC-32 of bytes 0..4+length-1, padded with 0xFF to n 16-byte units.
import { crc32 } from "node:zlib";
import { FLASH_OK, LAYOUT, type Flash } from "./flash.js";

export const LOG_MAGIC = 0x4950504c;
const HEADER = 16;

/** The keys the firmware reads (assembly/flash/prefs.ts Pref). */
export const PREF = { DhcpLease: 1, DhcpInitialDelay: 2 } as const;

export interface PrefRecord {
  key: number;
  value: Uint8Array;
}

/** One record's bytes. */
export function emitPrefRecord(r: PrefRecord): Uint8Array {
  if (!Number.isInteger(r.key) || r.key < 0 || r.key > 254) throw new RangeError(`pref key must be 0..254, got ${r.key}`);
  if (r.value.length > 255) throw new RangeError(`pref value must be at most 255 bytes, got ${r.value.length}`);
  const n = Math.ceil((r.value.length + 8) / LAYOUT.writeUnit);
  const out = new Uint8Array(n * LAYOUT.writeUnit).fill(0xff);
  out.set([n, ~n & 0xff, r.key, r.value.length], 0);
  out.set(r.value, 4);
  new DataView(out.buffer).setUint32(4 + r.value.length, crc32(out.subarray(0, 4 + r.value.length)) >>> 0);
  return out;
}

/** The record at the start of `bytes`, or null when it is not a whole one (blank, torn, bad CRC). */
export function parsePrefRecord(bytes: Uint8Array): (PrefRecord & { size: number }) | null {
  if (bytes.length < LAYOUT.writeUnit) return null;
  const n = bytes[0];
  if (n === 0 || (n ^ bytes[1]) !== 0xff) return null;
  const size = n * LAYOUT.writeUnit;
  const len = bytes[3];
  if (bytes.length < size || Math.ceil((len + 8) / LAYOUT.writeUnit) !== n || bytes[2] > 254) return null;
  const crc = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 + len);
  if (crc !== crc32(bytes.subarray(0, 4 + len)) >>> 0) return null;
  return { key: bytes[2], value: bytes.slice(4, 4 + len), size };
}

/** Writes `records` as a new log into the flash's blank prefs area (its first sector). */
export function writePrefs(flash: Flash, records: PrefRecord[]): void {
  const header = new Uint8Array(HEADER).fill(0xff);
  const v = new DataView(header.buffer);
  v.setUint32(0, LOG_MAGIC);
  v.setUint32(4, 1);
  v.setUint32(8, crc32(header.subarray(0, 8)) >>> 0);
  let off = HEADER;
  for (const r of records) {
    const rec = emitPrefRecord(r);
    if (off + rec.length > LAYOUT.sectorSize) throw new RangeError("prefs do not fit one sector");
    if (flash.program(LAYOUT.prefs + off, rec) !== FLASH_OK) throw new Error("prefs area not blank");
    off += rec.length;
  }
  // The header last, as the firmware commits a sector.
  if (flash.program(LAYOUT.prefs, header) !== FLASH_OK) throw new Error("prefs area not blank");
}

/** Pref.DhcpInitialDelay's value: the least and the most ms, u32 each. */
export function initialDelayValue(minMs: number, maxMs: number): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, minMs);
  v.setUint32(4, maxMs);
  return out;
}
