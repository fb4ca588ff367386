// The two image slots and their trailers (MCUboot's direct-XIP with revert:
// images run in place, no swap). Phone firmware writes a new image into the
// slot it is not running from and marks it "pending"; the bootloader starts it
// once on trial; the image confirms itself once healthy, else the next boot
// reverts to the other slot. None of this needs the verifier, so phone.wasm
// can import it alone.
//
// Trailer, at the start of the slot's last sector, four 16-byte fields:
//   +0   magic "IPPT" u32 | sequence u32 | CRC-32 of bytes 0..7 | 0xFFFFFFFF
//        installed: the image is complete and may be tried (the installer's last write)
//   +16  trial flag      16 x 0x00: the bootloader started the image on trial
//   +32  confirmed flag  16 x 0x00: the image confirmed itself
//   +48  rejected flag   16 x 0x00: the trial ended unconfirmed; never start it again
// Every field is one program operation from the erased state. A field counts
// only when whole (a torn magic record fails its CRC; a flag is set only when
// all 16 bytes are 0x00), so any power cut leaves a state the bootloader can
// decide, and redoing a torn write only clears more bits. The sequence orders
// installations: the installer writes the running slot's sequence + 1, and
// the bootloader prefers the higher one.
import { event, flash_erase, flash_program, flash_read } from "../hal";
import { Ev } from "../events";
import { get32, put32 } from "../lib/bytes";
import { crc32 } from "../lib/crc32";
import { IMAGE_MAX, SECTOR_SIZE, slotAddr, trailerAddr, WRITE_UNIT } from "./layout";

export const TRAILER_MAGIC: u32 = 0x49505054; // "IPPT"
export const TRAILER_SIZE = 64;

/** Offsets of the flags in the trailer. */
export const enum Flag { Trial = 16, Confirmed = 32, Rejected = 48 }

export const enum SlotState {
  Empty = 0,     // no whole trailer: nothing installed (or being written)
  Pending = 1,   // installed, never started: the next boot tries it
  Trial = 2,     // started on trial and not confirmed
  Confirmed = 3,
  Rejected = 4,  // a trial that was not confirmed
}

export const enum SlotErr { Arg = -30, Flash = -31, NotTrial = -32 }

const trailer = memory.data(TRAILER_SIZE);
const zeros = memory.data(WRITE_UNIT);

/** The sequence number of the trailer last decoded. */
export let trailerSeq: u32 = 0;

function flagSet(p: usize): bool {
  for (let i: usize = 0; i < WRITE_UNIT; i++) if (load<u8>(p + i) != 0) return false;
  return true;
}

/** Decodes the 64 trailer bytes at `p`; sets trailerSeq. */
export function trailerState(p: usize): SlotState {
  trailerSeq = 0;
  if (get32(p) != TRAILER_MAGIC || crc32(p, 8) != get32(p + 8)) return SlotState.Empty;
  trailerSeq = get32(p + 4);
  if (flagSet(p + Flag.Rejected)) return SlotState.Rejected;
  if (flagSet(p + Flag.Confirmed)) return SlotState.Confirmed;
  if (flagSet(p + Flag.Trial)) return SlotState.Trial;
  return SlotState.Pending;
}

/** Reads the trailer of `slot` (0 = A, 1 = B) from flash; sets trailerSeq. */
export function slotState(slot: i32): SlotState {
  if (flash_read(trailerAddr(slot), trailer, TRAILER_SIZE) != 0) { trailerSeq = 0; return SlotState.Empty; }
  return trailerState(trailer);
}

/** Programs one flag of the trailer of `slot`. */
export function slotSetFlag(slot: i32, flag: Flag): i32 {
  return flash_program(trailerAddr(slot) + <u32>flag, zeros, WRITE_UNIT) == 0 ? 0 : SlotErr.Flash;
}

/**
 * Confirms the image running on trial: call it once the firmware is healthy.
 * Only a slot in Trial can be running unconfirmed (the bootloader rejects any
 * other trial before it starts an image), so that slot is the running one.
 * Returns the slot confirmed, SlotErr.NotTrial when nothing is on trial (the
 * usual case), or SlotErr.Flash.
 */
export function slotConfirm(): i32 {
  for (let s = 0; s < 2; s++) {
    if (slotState(s) != SlotState.Trial) continue;
    if (slotSetFlag(s, Flag.Confirmed) != 0) return SlotErr.Flash;
    event(Ev.ImageConfirmed, s, 0);
    return s;
  }
  return SlotErr.NotTrial;
}

// Writing a new image (into the slot the firmware is NOT running from; see
// flash/bootrec.ts for which one that is): slotBeginWrite, then slotWrite
// for each chunk as it arrives, then slotMarkPending. Until the last call the
// slot has no trailer, so a power cut anywhere leaves it ignored.

/** Erases the trailer of `slot` first, then the sectors `size` bytes of image need. */
export function slotBeginWrite(slot: i32, size: u32): i32 {
  if (slot < 0 || slot > 1 || size > IMAGE_MAX) return SlotErr.Arg;
  if (flash_erase(trailerAddr(slot)) != 0) return SlotErr.Flash;
  const base = slotAddr(slot);
  for (let off: u32 = 0; off < size; off += SECTOR_SIZE) {
    if (flash_erase(base + off) != 0) return SlotErr.Flash;
  }
  return 0;
}

/**
 * Programs `len` bytes at `ptr` at `offset` of the image in `slot` (erased by
 * slotBeginWrite). `offset` must be a multiple of 16; a length that is not
 * (the last chunk) is padded with 0xFF, so parts with a program unit up to 16
 * bytes take it.
 */
export function slotWrite(slot: i32, offset: u32, ptr: usize, len: i32): i32 {
  if (slot < 0 || slot > 1 || len < 0 || offset % WRITE_UNIT != 0 || <u64>offset + <u64>len > <u64>IMAGE_MAX) return SlotErr.Arg;
  const addr = slotAddr(slot) + offset;
  const whole = len & ~(<i32>WRITE_UNIT - 1);
  if (whole > 0 && flash_program(addr, ptr, whole) != 0) return SlotErr.Flash;
  if (whole == len) return 0;
  memory.fill(trailer, 0xff, WRITE_UNIT);
  memory.copy(trailer, ptr + <usize>whole, <usize>(len - whole));
  return flash_program(addr + <u32>whole, trailer, WRITE_UNIT) == 0 ? 0 : SlotErr.Flash;
}

/** The installer's last write: the image in `slot` is whole; the next boot tries it. `seq` = running slot's + 1. */
export function slotMarkPending(slot: i32, seq: u32): i32 {
  if (slot < 0 || slot > 1) return SlotErr.Arg;
  memory.fill(trailer, 0xff, WRITE_UNIT);
  put32(trailer, TRAILER_MAGIC);
  put32(trailer + 4, seq);
  put32(trailer + 8, crc32(trailer, 8));
  return flash_program(trailerAddr(slot), trailer, WRITE_UNIT) == 0 ? 0 : SlotErr.Flash;
}
