// The image stream writer: an image arriving in blocks of any size goes into
// a slot as it comes, staged into whole sectors, each erased when reached and
// programmed in full. No whole-image buffer: one sector of RAM.
import { flash_erase } from "../hal";
import { SECTOR_SIZE, slotAddr } from "./layout";
import { slotBeginWrite, slotWrite } from "./slots";

@lazy const sector = memory.data(<i32>SECTOR_SIZE);
let slot: i32 = 0;
let staged: u32 = 0; // bytes of the current sector in `sector`
let flushed: u32 = 0; // bytes already in flash
/** A flash operation failed: the image in the slot is not whole. */
export let writerFailed = false;

/** Starts writing an image into `s` (erasing its trailer first); 0, or a SlotErr. */
export function writerBegin(s: i32): i32 {
  slot = s;
  staged = 0;
  flushed = 0;
  writerFailed = false;
  return slotBeginWrite(s, 0);
}

/** Bytes taken so far. */
export function writerBytes(): u32 { return flushed + staged; }

/** Takes the `len` bytes at `p`, which belong at `offset` of the image; false when out of order or flash failed. */
export function writerAppend(offset: u32, p: usize, len: i32): bool {
  if (offset != flushed + staged) return false;
  while (len > 0) {
    let n = <i32>(SECTOR_SIZE - staged);
    if (n > len) n = len;
    memory.copy(sector + staged, p, <usize>n);
    staged += <u32>n;
    p += <usize>n;
    len -= n;
    if (staged == SECTOR_SIZE && !writerFlush()) return false;
  }
  return true;
}

/** Writes the sector staged so far (the image's last, partial one); false when flash failed. */
export function writerFlush(): bool {
  if (staged == 0) return true;
  if (flash_erase(slotAddr(slot) + flushed) != 0 || slotWrite(slot, flushed, sector, <i32>staged) != 0) {
    writerFailed = true;
    return false;
  }
  flushed += staged;
  staged = 0;
  return true;
}
