// Entry point of build/boot.wasm, the bootloader (MCUboot's direct-XIP with
// revert, README "Firmware images"). It reads both slots' trailers, ends any
// trial that was not confirmed, verifies the newest startable image (header,
// bounds, SHA-256, Ed25519 signature by the key named in factory data,
// security counter), records what it starts, and tells the host where the
// image's WebAssembly is. It never traps: every failure is a reason.
import { event } from "./hal";
import { Ev, Stage } from "./events";
import { factory, factoryLoad, FACTORY_KEY_HASH } from "./flash/factory";
import { Flag, slotSetFlag, slotState, SlotState, trailerSeq } from "./flash/slots";
import { bootrecCounter, bootrecLoad, bootrecSlot, bootrecStore } from "./flash/bootrec";
import { slotAddr, trailerAddr } from "./flash/layout";
import { HEADER_SIZE, LOAD_NAME, loadNameLen, payloadSize, securityCounter, Target } from "./boot/image";
import { header, verifySlot } from "./boot/verify";

/** boot()'s errors besides the factory data's (FactoryErr, -1..-4). */
export const enum BootErr { NoImage = -10 }

let imageAddr: u32 = 0;
let target: u32 = Target.Wasm;
let imageSize: u32 = 0;

@inline function startable(s: SlotState): bool { return s == SlotState.Pending || s == SlotState.Confirmed; }

/**
 * What the engine hosting this bootloader starts (enum Target): a WebAssembly
 * runtime leaves the default; a board whose images carry native code says so
 * before boot(). An image of another target is refused like a corrupt one.
 */
export function set_target(t: u32): void { target = t; }

/** Returns the slot to start (0 = A, 1 = B), or a negative error; then image_addr()/image_size() locate its WebAssembly. */
export function boot(): i32 {
  imageAddr = 0;
  imageSize = 0;
  event(Ev.Stage, Stage.Boot, 0);
  const err = factoryLoad();
  if (err != 0) {
    event(Ev.FactoryBad, err, 0);
    return err;
  }
  bootrecLoad();
  let state0 = slotState(0);
  const seq0 = trailerSeq;
  let state1 = slotState(1);
  const seq1 = trailerSeq;
  event(Ev.BootSlot, 0, state0);
  event(Ev.BootSlot, 1, state1);
  // A trial that was not confirmed is over: it is never started again.
  if (state0 == SlotState.Trial) state0 = revert(0);
  if (state1 == SlotState.Trial) state1 = revert(1);
  // The most recently installed startable image first (slot A on a tie).
  const first = startable(state1) && (!startable(state0) || seq1 > seq0) ? 1 : 0;
  for (let i = 0; i < 2; i++) {
    const slot = i == 0 ? first : 1 - first;
    const state = slot == 0 ? state0 : state1;
    if (!startable(state)) continue;
    const why = verifySlot(slot, bootrecCounter, factory + FACTORY_KEY_HASH, target);
    if (why != 0) {
      event(Ev.BootReject, slot, why);
      continue;
    }
    return start(slot, state == SlotState.Pending);
  }
  event(Ev.BootNoImage, BootErr.NoImage, 0);
  return BootErr.NoImage;
}

function revert(slot: i32): SlotState {
  event(Ev.BootRevert, slot, 0);
  const err = slotSetFlag(slot, Flag.Rejected);
  if (err != 0) event(Ev.BootFlashError, trailerAddr(slot) + Flag.Rejected, err);
  return SlotState.Rejected;
}

/** Records the choice (before the trial flag: a cut in between just tries again), marks a trial, reports. */
function start(slot: i32, trial: bool): i32 {
  // The security counter rises only with a confirmed image, so that a trial can still be reverted.
  const counter = securityCounter(header);
  const record = !trial && counter > bootrecCounter ? counter : bootrecCounter;
  if (record != bootrecCounter) event(Ev.BootCounter, record, bootrecCounter);
  if (slot != bootrecSlot || record != bootrecCounter) {
    const err = bootrecStore(slot, record);
    if (err != 0) event(Ev.BootFlashError, 0, err);
  }
  if (trial) {
    const err = slotSetFlag(slot, Flag.Trial);
    if (err != 0) event(Ev.BootFlashError, trailerAddr(slot) + Flag.Trial, err);
  }
  event(Ev.BootLoad, <i32>(header + LOAD_NAME), loadNameLen(header));
  event(Ev.BootImage, slot, trial ? 1 : 0);
  imageAddr = slotAddr(slot) + HEADER_SIZE;
  imageSize = payloadSize(header);
  return slot;
}

/** Flash address of the chosen image's WebAssembly (its payload); 0 when boot() failed. */
export function image_addr(): u32 { return imageAddr; }
/** Its length in bytes. */
export function image_size(): u32 { return imageSize; }
