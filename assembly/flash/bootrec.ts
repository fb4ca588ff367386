// What the bootloader remembers across boots, in the log store at
// BOOTREC_ADDR (one record, key 1): the slot it last started and the highest
// security counter of a confirmed image it has started. Only the bootloader
// writes it, and only when it changes; the firmware reads it to know which
// slot it runs from (the other one is where a new image goes).
//   value: slot u8 | 0xFF 0xFF 0xFF | security counter u32 (big-endian)
import { get32, put32 } from "../lib/bytes";
import { logGet, logSet } from "./log";
import { BOOTREC_ADDR } from "./layout";

const KEY = 1;
const LEN = 8;
const value = memory.data(LEN);

/** The slot last started (0 = A, 1 = B), or -1 when none was recorded. */
export let bootrecSlot: i32 = -1;
/** The highest security counter accepted so far; images below it are refused. */
export let bootrecCounter: u32 = 0;

export function bootrecLoad(): void {
  if (logGet(BOOTREC_ADDR, KEY, value, LEN) == LEN && load<u8>(value) <= 1) {
    bootrecSlot = load<u8>(value);
    bootrecCounter = get32(value + 4);
  } else {
    bootrecSlot = -1;
    bootrecCounter = 0;
  }
}

/** Records `slot` and `counter`; returns 0 or a negative error. */
export function bootrecStore(slot: i32, counter: u32): i32 {
  store<u32>(value, 0xffffffff);
  store<u8>(value, <u8>slot);
  put32(value + 4, counter);
  const err = logSet(BOOTREC_ADDR, KEY, value, LEN);
  if (err == 0) { bootrecSlot = slot; bootrecCounter = counter; }
  return err;
}
