// Entry point of build/phone.wasm, the phone's application firmware.
// The host drives it: poll(now) runs timers and returns the next wake-up;
// on_frame(len, now) handles a frame the host wrote at rx_buffer().
import { count, countersPtr, Ctr, drop } from "./counters";
import { rxBuf, RX_CAPACITY } from "./net/netif";
import { onFrame } from "./net/stack";
import { startupLink, startupPoll, startupRunning } from "./phone/startup";

/** Runs everything due at `now_ms`; returns the absolute time (ms) it next needs a poll. */
export function poll(now_ms: i64): i64 {
  return startupPoll(now_ms);
}

/** The received frame of `len` bytes is at rx_buffer(); `now_ms` is its arrival time. */
export function on_frame(len: i32, now_ms: i64): void {
  if (startupRunning()) {
    onFrame(len, now_ms);
  } else {
    // Before the first poll, or without factory data: counted, not handled.
    count(Ctr.RxFrames);
    drop(Ctr.DropNotRunning);
  }
}

/** The PHY's link state changed. */
export function link(up: i32, now_ms: i64): void {
  startupLink(up != 0, now_ms);
}

export function rx_buffer(): usize { return rxBuf; }
export function rx_capacity(): i32 { return RX_CAPACITY; }
export function counters(): usize { return countersPtr(); }
export function counter_count(): i32 { return Ctr.Count; }

// ---- PoE front end (assembly/phone/poe.ts) ----------------------------------
// What the switch probes while the phone is dark: these need no poll, no
// factory data and call no hal import.
import { poeClass, poeCurrentUa, poeFlpLoopback, poePowerGood, poeSetClass } from "./phone/poe";
/** 1 while unpowered: the relay loops the switch's Fast Link Pulses back. */
export function poe_flp_loopback(): i32 { return poeFlpLoopback() ? 1 : 0; }
/** µA drawn at `mv` across the PD's input (signature, class, mark, or operating current). */
export function poe_current_ua(mv: i32): i32 { return poeCurrentUa(mv); }
/** The switch applied (1) or removed (0) power: the relay opens or closes. */
export function poe_power_good(on: i32): void { poePowerGood(on != 0); }
/** The class (0-4) the PD presents. */
export function poe_class(): i32 { return poeClass(); }
/** Sets the class (0-4); 1 when done, 0 when refused (powered, or out of range). */
export function poe_set_class(c: i32): i32 { return poeSetClass(c) ? 1 : 0; }
// ---- end of the PoE front end ------------------------------------------------
