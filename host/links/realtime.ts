// A Clock in real time, for a phone on a real network: the same Phone
// that runs on the simulation's virtual clock.
import { performance } from "node:perf_hooks";
import type { Timer } from "../sim/scheduler.js";

interface RealTimer extends Timer {
  atUs: number;
  cancelled: boolean;
  fn: () => void;
}

/** How early a Node timer fires by rounding alone: its delay counts whole milliseconds. */
const NODE_TIMER_ROUNDING_US = 1000;

/**
 * One Node timer under all of the clock's timers. A lockstep TFTP transfer
 * moves the phone's wake-up later with every block (a cancel and an at()
 * per round trip); the Node timer is re-armed only when a wake-up comes
 * earlier than the one it is set for, and a cancel that leaves nothing
 * pending only unrefs it (clearing and setting a Node timer on every round
 * trip cost more). When it fires early it runs nothing and is set again for
 * the earliest timer left.
 */
export class RealTimeClock {
  private readonly origin = performance.now();
  /** Pending timers, unordered: a phone has one or two. */
  private readonly pending: RealTimer[] = [];
  private handle: NodeJS.Timeout | null = null;
  private armedUs = Infinity;

  /** Microseconds since the clock was made. */
  get now(): number {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  at(tUs: number, fn: () => void): Timer {
    const timer: RealTimer = { atUs: tUs, cancelled: false, fn };
    this.pending.push(timer);
    if (tUs < this.armedUs) this.arm(tUs);
    else this.handle?.ref();
    return timer;
  }

  cancel(timer: Timer): void {
    const t = timer as RealTimer;
    t.cancelled = true;
    const i = this.pending.indexOf(t);
    if (i >= 0) this.pending.splice(i, 1);
    if (this.pending.length === 0) this.handle?.unref(); // nothing left to keep the process waiting
  }

  private arm(tUs: number): void {
    this.disarm();
    this.armedUs = tUs;
    this.handle = setTimeout(() => this.fire(), Math.max(0, (tUs - this.now) / 1000));
  }

  private disarm(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = null;
    this.armedUs = Infinity;
  }

  // Runs, in time order, the timers due by the time the Node timer was set
  // for (it may fire a little before performance.now() reaches it: Node
  // counts whole ms); timers they set go to the next firing, so a busy phone
  // cannot spin here. Set from a long-running task, a Node timer starts from
  // the event loop's stale clock and can fire whole ms early: then it is set
  // again for the rest.
  private fire(): void {
    const armed = this.armedUs;
    this.handle = null;
    this.armedUs = Infinity;
    if (armed - this.now > NODE_TIMER_ROUNDING_US) return this.arm(armed);
    const dueUs = Math.max(armed, this.now);
    const due = this.pending.filter((t) => t.atUs <= dueUs).sort((a, b) => a.atUs - b.atUs);
    for (const t of due) {
      if (t.cancelled) continue;
      this.pending.splice(this.pending.indexOf(t), 1);
      t.fn();
    }
    let next = Infinity;
    for (const t of this.pending) next = Math.min(next, t.atUs);
    if (next < this.armedUs) this.arm(next);
  }
}
