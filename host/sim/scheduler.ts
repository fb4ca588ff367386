// Discrete-event scheduler on a virtual clock in integer microseconds.
// Events at the same instant run in the order they were scheduled, so a
// seed always gives the same run.

export interface Timer {
  readonly atUs: number;
  readonly cancelled: boolean;
}

interface Entry extends Timer {
  atUs: number;
  seq: number;
  fn: (() => void) | null;
  cancelled: boolean;
}

export interface RunOptions {
  /** Stop before any event later than this; the clock then reads untilUs. */
  untilUs?: number;
  /** Checked after every event; true stops the run. */
  until?: () => boolean;
  /** Hard bound on events executed by this call (default 10,000,000). */
  maxEvents?: number;
}

export type StopReason = 'time' | 'idle' | 'predicate' | 'maxEvents';

export interface RunResult {
  events: number;
  stoppedBy: StopReason;
}

export const DEFAULT_MAX_EVENTS = 10_000_000;

function checkTime(name: string, t: number): void {
  if (!Number.isSafeInteger(t) || t < 0) {
    throw new RangeError(`Scheduler.${name}: time must be a non-negative integer of microseconds, got ${t}`);
  }
}

/** Heap order: earlier time first, then earlier insertion. */
function before(a: Entry, b: Entry): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.seq < b.seq);
}

export class Scheduler {
  private nowUs = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];
  private cancelledInHeap = 0;
  private executed = 0;

  get now(): number {
    return this.nowUs;
  }

  /** Live (not cancelled) timers still waiting. */
  get pending(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** Events executed since construction. */
  get eventsRun(): number {
    return this.executed;
  }

  at(tUs: number, fn: () => void): Timer {
    checkTime('at', tUs);
    if (tUs < this.nowUs) throw new RangeError(`Scheduler.at: ${tUs} µs is in the past (now ${this.nowUs} µs)`);
    const entry: Entry = { atUs: tUs, seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    return entry;
  }

  after(dUs: number, fn: () => void): Timer {
    checkTime('after', dUs);
    return this.at(this.nowUs + dUs, fn);
  }

  /** Lazy: the entry stays in the heap and is skipped when it surfaces. */
  cancel(timer: Timer): void {
    const entry = timer as Entry;
    if (entry.cancelled || entry.fn === null) return;
    entry.cancelled = true;
    entry.fn = null;
    this.cancelledInHeap++;
    if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  /** Time of the next live event, or null when idle. */
  nextEventUs(): number | null {
    this.dropCancelledTop();
    return this.heap.length > 0 ? this.heap[0].atUs : null;
  }

  runUntil(tUs: number, maxEvents = DEFAULT_MAX_EVENTS): RunResult {
    return this.run({ untilUs: tUs, maxEvents });
  }

  run(options: RunOptions): RunResult {
    const untilUs = options.untilUs ?? Number.MAX_SAFE_INTEGER;
    checkTime('run', untilUs);
    const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 0) {
      throw new RangeError(`Scheduler.run: maxEvents must be a non-negative integer, got ${maxEvents}`);
    }
    let events = 0;
    while (events < maxEvents) {
      const next = this.nextEventUs();
      if (next === null) return this.finish(events, 'idle', options.untilUs);
      if (next > untilUs) return this.finish(events, 'time', untilUs);
      this.runOne();
      events++;
      if (options.until !== undefined && options.until()) return { events, stoppedBy: 'predicate' };
    }
    return { events, stoppedBy: 'maxEvents' };
  }

  private finish(events: number, stoppedBy: StopReason, untilUs: number | undefined): RunResult {
    if (untilUs !== undefined && untilUs > this.nowUs) this.nowUs = untilUs;
    return { events, stoppedBy };
  }

  private runOne(): void {
    const entry = this.pop();
    const fn = entry.fn;
    entry.fn = null;
    this.nowUs = entry.atUs;
    this.executed++;
    if (fn !== null) fn();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) {
      this.pop();
      this.cancelledInHeap--;
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => !e.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const e of live) this.push(e);
  }

  // Sifts move a hole instead of swapping pairs: one store per level.
  private push(entry: Entry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) this.siftDown(last);
    return top;
  }

  /** Puts `entry` in the hole at the root and moves it down to its place. */
  private siftDown(entry: Entry): void {
    const heap = this.heap;
    const n = heap.length;
    let i = 0;
    // i at least doubles each step, so this runs at most log2(n) times.
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r], heap[l]) ? r : l;
      const child = heap[c];
      if (!before(child, entry)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = entry;
  }
}
