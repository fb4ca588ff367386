// A power-safe key-value log over two flash sectors, as phones keep their
// settings: a write appends a record; reading takes the last complete record
// of a key. When the active sector is full (or ends in a torn record), the
// latest record of every key and the new one are copied into the other,
// freshly erased sector, whose header is programmed last: that one program is
// the commit. A power cut at any point leaves either the old or the new value
// readable, never a mix: a torn record fails its CRC, a torn header its CRC.
//
// Sector header (16 bytes): magic "IPPL" u32 | sequence u32 | CRC-32 of bytes
// 0..7 | 0xFFFFFFFF. The valid header with the higher sequence is active.
// Record, 16-byte aligned, n 16-byte units long (n >= 1):
//   +0 n u8 | +1 ~n u8 | +2 key u8 | +3 value length u8 | +4 value |
//   CRC-32 of bytes 0 .. 4+len-1, then 0xFF up to the unit boundary.
// n and ~n let a reader skip a torn record it cannot trust otherwise; a
// header where they disagree ends the usable log (the next write compacts).
// A value of length 0 deletes the key. Big-endian numbers.
import { flash_erase, flash_program, flash_read } from "../hal";
import { get32, put32 } from "../lib/bytes";
import { crc32 } from "../lib/crc32";
import { SECTOR_SIZE, WRITE_UNIT } from "./layout";

export const LOG_MAGIC: u32 = 0x4950504c; // "IPPL"
export const LOG_VALUE_MAX = 255;
export const LOG_KEY_MAX = 254;
const HEADER = 16;
const REC_MAX = 288; // 4 + 255 + 4 rounded up to 16
const NONE: u32 = 0xffffffff;

export const enum LogErr { Absent = -1, Read = -20, Write = -21, Full = -22, Arg = -23 }

const rec = memory.data(REC_MAX);
/** During compaction: per key, the offset of its latest record in the old sector (0 = none). */
const latest = memory.data((LOG_KEY_MAX + 1) << 1);

let active: u32 = NONE; // address of the active sector
let activeSeq: u32 = 0;
let end: u32 = 0; // offset of the first free unit in the active sector
let dirty = false; // the log ends in a header that cannot be trusted: append nowhere
let recValid = false; // set by recordAt: the record's CRC and length agree

@inline function units(len: i32): u32 { return (<u32>len + 8 + WRITE_UNIT - 1) / WRITE_UNIT; }

/** Sequence of the sector's header, or -1 when it has none. */
function headerSeq(sector: u32): i64 {
  if (flash_read(sector, rec, HEADER) != 0) return -1;
  if (get32(rec) != LOG_MAGIC || crc32(rec, 8) != get32(rec + 8)) return -1;
  return <i64>get32(rec + 4);
}

/** Finds the active sector of the log at `base`, or NONE. */
function findActive(base: u32): void {
  const s0 = headerSeq(base);
  const s1 = headerSeq(base + SECTOR_SIZE);
  active = NONE;
  if (s0 < 0 && s1 < 0) return;
  if (s1 < 0 || (s0 >= 0 && <i32>(<u32>s0 - <u32>s1) >= 0)) {
    active = base; activeSeq = <u32>s0;
  } else {
    active = base + SECTOR_SIZE; activeSeq = <u32>s1;
  }
}

/**
 * Reads the record at `off` of `sector` into `rec`. Returns its size in bytes
 * (recValid says whether it is whole), 0 at the free end of the log, or -1
 * for a header that cannot be trusted (also the end of the log).
 */
function recordAt(sector: u32, off: u32): i32 {
  recValid = false;
  if (off + WRITE_UNIT > SECTOR_SIZE) return 0;
  if (flash_read(sector + off, rec, WRITE_UNIT) != 0) return -1;
  let blank = true;
  for (let i: usize = 0; i < WRITE_UNIT; i++) if (load<u8>(rec + i) != 0xff) { blank = false; break; }
  if (blank) return 0;
  const n = <u32>load<u8>(rec);
  if (n == 0 || (n ^ <u32>load<u8>(rec, 1)) != 0xff) return -1;
  const size = n * WRITE_UNIT;
  if (off + size > SECTOR_SIZE || size > <u32>REC_MAX) return -1;
  if (size > WRITE_UNIT && flash_read(sector + off + WRITE_UNIT, rec + WRITE_UNIT, <i32>(size - WRITE_UNIT)) != 0) return -1;
  const len = <i32>load<u8>(rec, 3);
  recValid = units(len) == n && load<u8>(rec, 2) <= <u8>LOG_KEY_MAX
    && crc32(rec, 4 + len) == get32(rec + 4 + <usize>len);
  return <i32>size;
}

/** Walks the active sector; with `key` >= 0 copies that key's latest value to `dst`. Returns its length or Absent. */
function scan(key: i32, dst: usize, cap: i32): i32 {
  let found: i32 = LogErr.Absent;
  let off: u32 = HEADER;
  dirty = false;
  for (;;) {
    const size = recordAt(active, off);
    if (size <= 0) { dirty = size < 0; break; }
    if (recValid && <i32>load<u8>(rec, 2) == key) {
      const len = <i32>load<u8>(rec, 3);
      memory.copy(dst, rec + 4, <usize>min(len, cap));
      found = len == 0 ? LogErr.Absent : len;
    }
    off += <u32>size;
  }
  end = off;
  return found;
}

/** Copies the latest value of `key` (up to `cap` bytes) to `dst`; returns its full length, or Absent. */
export function logGet(base: u32, key: i32, dst: usize, cap: i32): i32 {
  findActive(base);
  if (active == NONE) return LogErr.Absent;
  return scan(key, dst, cap);
}

/** Builds the record of `key` = `len` bytes at `src` in `rec`; returns its size. */
function build(key: i32, src: usize, len: i32): u32 {
  const size = units(len) * WRITE_UNIT;
  memory.fill(rec, 0xff, size);
  store<u8>(rec, <u8>(size / WRITE_UNIT));
  store<u8>(rec, <u8>~(size / WRITE_UNIT), 1);
  store<u8>(rec, <u8>key, 2);
  store<u8>(rec, <u8>len, 3);
  memory.copy(rec + 4, src, <usize>len);
  put32(rec + 4 + <usize>len, crc32(rec, 4 + len));
  return size;
}

/** Sets `key` to the `len` bytes at `src` (length 0 deletes it). Returns 0 or a LogErr. */
export function logSet(base: u32, key: i32, src: usize, len: i32): i32 {
  if (key < 0 || key > LOG_KEY_MAX || len < 0 || len > LOG_VALUE_MAX) return LogErr.Arg;
  findActive(base);
  if (active != NONE) {
    scan(-1, 0, 0);
    const size = build(key, src, len);
    if (!dirty && end + size <= SECTOR_SIZE) {
      return flash_program(active + end, rec, <i32>size) == 0 ? 0 : LogErr.Write;
    }
  }
  return compact(base, key, src, len);
}

/** Writes the surviving records and the new one into the other sector, then commits it with its header. */
function compact(base: u32, key: i32, src: usize, len: i32): i32 {
  const from = active;
  const to = from == base ? base + SECTOR_SIZE : base;
  if (flash_erase(to) != 0) return LogErr.Write;
  memory.fill(latest, 0, (LOG_KEY_MAX + 1) << 1);
  let off: u32 = HEADER;
  if (from != NONE) {
    for (;;) { // pass 1: where each key's latest record is
      const size = recordAt(from, off);
      if (size <= 0) break;
      if (recValid) store<u16>(latest + (<usize>load<u8>(rec, 2) << 1), <u16>off);
      off += <u32>size;
    }
  }
  let out: u32 = HEADER;
  for (let k = 0; k <= LOG_KEY_MAX; k++) { // pass 2: copy them, except the key being set
    const at = <u32>load<u16>(latest + (<usize>k << 1));
    if (at == 0 || k == key) continue;
    const size = <u32>recordAt(from, at);
    if (load<u8>(rec, 3) == 0) continue; // a deletion has nothing to keep
    if (flash_program(to + out, rec, <i32>size) != 0) return LogErr.Write;
    out += size;
  }
  if (len > 0) {
    const size = build(key, src, len);
    if (out + size > SECTOR_SIZE) return LogErr.Full;
    if (flash_program(to + out, rec, <i32>size) != 0) return LogErr.Write;
  }
  memory.fill(rec, 0xff, HEADER);
  put32(rec, LOG_MAGIC);
  put32(rec + 4, from == NONE ? 1 : activeSeq + 1);
  put32(rec + 8, crc32(rec, 8));
  return flash_program(to, rec, HEADER) == 0 ? 0 : LogErr.Write;
}
