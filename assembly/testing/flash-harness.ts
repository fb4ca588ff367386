// Test-only entry (build/testing/flash-harness.wasm, see host/boot/harness.ts):
// the flash code that phone.wasm and boot.wasm share (slot writer, trailer
// flags, preferences, boot record), run by host tests on the flash model
// with power cuts. Numbers only, like the hal.
import { slotBeginWrite, slotConfirm, slotMarkPending, slotState, slotWrite, trailerSeq } from "../flash/slots";
import { prefsGet, prefsSet } from "../flash/prefs";
import { bootrecCounter, bootrecLoad, bootrecSlot, bootrecStore } from "../flash/bootrec";

const BUFFER_SIZE = 8192;
const buf = memory.data(BUFFER_SIZE);

/** A buffer the host fills before write()/prefs_set() and reads after prefs_get(). */
export function buffer(): usize { return buf; }
export function buffer_size(): i32 { return BUFFER_SIZE; }

export function begin_write(slot: i32, size: u32): i32 { return slotBeginWrite(slot, size); }
export function write(slot: i32, offset: u32, len: i32): i32 { return slotWrite(slot, offset, buf, len); }
export function mark_pending(slot: i32, seq: u32): i32 { return slotMarkPending(slot, seq); }
export function confirm(): i32 { return slotConfirm(); }
export function slot_state(slot: i32): i32 { return slotState(slot); }
export function slot_seq(slot: i32): u32 { slotState(slot); return trailerSeq; }

export function prefs_get(key: i32, cap: i32): i32 { return prefsGet(key, buf, min(cap, BUFFER_SIZE)); }
export function prefs_set(key: i32, len: i32): i32 { return prefsSet(key, buf, len); }

/** The slot the bootloader last started (-1: none recorded); boot_counter() its recorded security counter. */
export function running_slot(): i32 { bootrecLoad(); return bootrecSlot; }
export function boot_counter(): u32 { bootrecLoad(); return bootrecCounter; }
/** Writes a boot record as the bootloader would (to fill the log in tests). */
export function record_boot(slot: i32, counter: u32): i32 { return bootrecStore(slot, counter); }
