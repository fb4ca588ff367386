// A Clock in real time, for a phone on a real network: the same Phone
// that runs on the simulation's virtual clock.
import { performance } from "node:perf_hooks";
import type { Timer } from "../sim/scheduler.js";

interface RealTimer extends Timer {
  atUs: number;
  cancelled: boolean;
  handle: NodeJS.Timeout;
}

export class RealTimeClock {
  private readonly origin = performance.now();

  /** Microseconds since the clock was made. */
  get now(): number {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  at(tUs: number, fn: () => void): Timer {
    const timer: RealTimer = {
      atUs: tUs,
      cancelled: false,
      handle: setTimeout(() => {
        if (!timer.cancelled) fn();
      }, Math.max(0, (tUs - this.now) / 1000)),
    };
    return timer;
  }

  cancel(timer: Timer): void {
    const t = timer as RealTimer;
    t.cancelled = true;
    clearTimeout(t.handle);
  }
}
