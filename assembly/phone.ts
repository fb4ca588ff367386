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
