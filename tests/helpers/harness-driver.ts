// What every testing-module phone (assembly/testing/*-harness.ts) on the
// simulated network shares: its poll run at the deadline it returns (one
// timer at a time), and its counters read by name.
import type { Scheduler, Timer } from "../../host/sim/scheduler.js";
import { COUNTER_NAMES } from "../../host/counters.js";

export class PollTimer {
  private timer: Timer | null = null;

  constructor(private readonly s: Scheduler, private readonly poll: (nowMs: bigint) => bigint) {}

  get nowMs(): number { return Math.floor(this.s.now / 1000); }

  /** Polls now, and again when the firmware asks (never in the past). */
  schedule(): void {
    const next = Number(this.poll(BigInt(this.nowMs)));
    if (this.timer !== null) this.s.cancel(this.timer);
    this.timer = null;
    if (next >= Number.MAX_SAFE_INTEGER) return;
    this.timer = this.s.at(Math.max(next * 1000, this.s.now + 1), () => { this.timer = null; this.schedule(); });
  }
}

/** A firmware counter by its name (host/counters.ts). */
export function readCounter(x: Record<string, (...args: any[]) => any> & { memory: WebAssembly.Memory }, name: string): number {
  const i = COUNTER_NAMES.indexOf(name as (typeof COUNTER_NAMES)[number]);
  return new DataView(x.memory.buffer).getUint32(x.counters() + i * 4, true);
}
