// What the storm's threads share: the control words of a round, the progress
// counters, and the uplink messages of a window packed into shared memory
// (cell u32, direction u8, arrival f64, sequence u32, length u32, bytes).
import type { UplinkMessage } from "./cell.js";
import type { PartitionSpec, Progress } from "./partition.js";
import type { StormPlan } from "./plan.js";

/**
 * Int32 control words: round counter (main -> worker), rounds done (worker ->
 * main), command (1 round, 2 finish), error flag, and whether the worker
 * sleeps waiting for `go` and the main thread for `done` (see Waiter).
 */
export const CTRL = { go: 0, done: 1, cmd: 2, error: 3, goSleeper: 4, doneSleeper: 5 } as const;
export const PROGRESS_FIELDS = ["powered", "denied", "bound", "configured", "registered", "dhcpBacklog"] as const;

/** A partition's progress into the shared counters, in PROGRESS_FIELDS order. */
export function writeProgress(p: Progress, out: Int32Array): void {
  PROGRESS_FIELDS.forEach((k, i) => (out[i] = p[k]));
}

/** Adds the progress in the shared counters `from` to `sum`. */
export function addProgress(sum: Progress, from: Int32Array): void {
  PROGRESS_FIELDS.forEach((k, i) => (sum[k] += from[i]));
}

export interface WorkerInit {
  plan: StormPlan;
  spec: PartitionSpec;
  /** Spin before sleeping while waiting (every thread has a core). */
  spin: boolean;
  ctrl: SharedArrayBuffer;
  f64: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  inbox: SharedArrayBuffer;
  outbox: SharedArrayBuffer;
}

const HEADER = 4 + 1 + 8 + 4 + 4;

export class ExchangeOverflow extends Error {}

/** Packs messages into `buf` (a count first); throws ExchangeOverflow when they do not fit. */
export function encodeMessages(messages: UplinkMessage[], buf: Uint8Array): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 4;
  for (const m of messages) {
    if (at + HEADER + m.frame.length > buf.length) throw new ExchangeOverflow(`a window's uplink traffic exceeds the ${buf.length}-byte exchange buffer`);
    v.setUint32(at, m.cell, true);
    v.setUint8(at + 4, m.up ? 1 : 0);
    v.setFloat64(at + 5, m.atUs, true);
    v.setUint32(at + 13, m.seq, true);
    v.setUint32(at + 17, m.frame.length, true);
    buf.set(m.frame, at + HEADER);
    at += HEADER + m.frame.length;
  }
  v.setUint32(0, messages.length, true);
}

export function decodeMessages(buf: Uint8Array): UplinkMessage[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint32(0, true);
  const out: UplinkMessage[] = new Array(n);
  let at = 4;
  for (let i = 0; i < n; i++) {
    const len = v.getUint32(at + 17, true);
    out[i] = {
      cell: v.getUint32(at, true),
      up: v.getUint8(at + 4) === 1,
      atUs: v.getFloat64(at + 5, true),
      seq: v.getUint32(at + 13, true),
      frame: buf.slice(at + HEADER, at + HEADER + len),
    };
    at += HEADER + len;
  }
  return out;
}
