// Runs the storm: partitions of the building advance together in
// synchronisation windows as long as an uplink's latency (conservative
// parallel simulation: nothing sent in a window can arrive before the next
// one), then exchange the frames that crossed uplinks. Partitions run in
// this thread or in worker threads (a share of the access switches each,
// the core in this thread); the windows, the exchange and the order of
// injection are the same whatever the split, so a seed gives the same run,
// byte for byte, on one thread or several.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { messageOrder, Partition, type PartitionResult, type PartitionSpec, type Progress } from "./partition.js";
import type { UplinkMessage } from "./cell.js";
import type { StormPlan } from "./plan.js";
import { addProgress, CTRL, decodeMessages, encodeMessages, PROGRESS_FIELDS, type WorkerInit } from "./exchange.js";

export interface RunOptions {
  /** Threads simulating (this one included); default 1. */
  workers?: number;
  /** Called with the progress now and then (wall-clock paced: it never changes the run). */
  onProgress?: (p: Progress & { tUs: number; phones: number }) => void;
  progressEveryMs?: number;
}

export interface StormRun {
  plan: StormPlan;
  cells: PartitionResult["cells"];
  core: NonNullable<PartitionResult["core"]>;
  /** Why the run ended: every phone that has power is registered, the time limit, or nothing left to do. */
  stoppedBy: "registered" | "limit" | "idle";
  /** Virtual time at the end of the last window, µs. */
  endUs: number;
  windows: number;
  events: number;
  messages: number;
  /** Threads used (not part of the result: the run is the same for any count). */
  workers: number;
}

interface Runner {
  /** One window for every partition; inboxes[i] goes to partition i. */
  round(untilUs: number, inboxes: UplinkMessage[][]): { out: UplinkMessage[][]; next: Array<number | null>; progress: Progress };
  results(): Promise<PartitionResult[]>;
  close(): Promise<void>;
}

/**
 * The core's work (router, DHCP, TFTP, the CallManagers' queues, retries
 * and keepalives) in cells' worth, as a share of the cells: profiled at
 * 10,000 phones (209 cells), the core's partition spent 25 s in the core
 * and each cell cost 0.26 s, so the core weighs about 0.45 of all the cells.
 */
export const CORE_SHARE = 0.45;

/**
 * Cells dealt out to the partitions in turn, partition 0 also running the
 * core and so getting fewer cells (CORE_SHARE): in lockstep each window
 * lasts as long as its busiest partition, and the core's partition used to
 * take twice as long as the other. Interleaved, not in blocks: the servers
 * answer in the order requests arrive, which follows the cell index within
 * an instant, so a block of neighbours tends to be busy in the same windows
 * while another idles.
 */
export function partitionSpecs(plan: StormPlan, workers: number): PartitionSpec[] {
  const s = plan.cells.length;
  const n = Math.max(1, Math.min(workers, s));
  const specs: PartitionSpec[] = Array.from({ length: n }, (_, i) => ({ cells: [], core: i === 0 }));
  if (n === 1) {
    for (let i = 0; i < s; i++) specs[0].cells.push(i);
    return specs;
  }
  // Partition 0 carries the core as CORE_SHARE * s cells: each cell goes to the partition whose load is least after it.
  const load = specs.map((_, i) => (i === 0 ? CORE_SHARE * s : 0));
  for (let i = 0; i < s; i++) {
    let best = 0;
    for (let p = 1; p < n; p++) if (load[p] < load[best]) best = p;
    specs[best].cells.push(i);
    load[best]++;
  }
  return specs;
}

class LocalRunner implements Runner {
  constructor(private readonly parts: Partition[]) {}

  round(untilUs: number, inboxes: UplinkMessage[][]) {
    const out = this.parts.map((p, i) => {
      p.inject(inboxes[i]);
      return p.runWindow(untilUs);
    });
    const progress = this.parts[0].progress();
    for (const p of this.parts.slice(1)) {
      const q = p.progress();
      for (const k of PROGRESS_FIELDS) progress[k] += q[k];
    }
    return { out, next: this.parts.map((p) => p.nextEventUs()), progress };
  }

  async results(): Promise<PartitionResult[]> {
    return this.parts.map((p) => p.result());
  }

  async close(): Promise<void> {}
}

interface WorkerSlot {
  worker: Worker;
  ctrl: Int32Array;
  f64: Float64Array;
  progress: Int32Array;
  inbox: Uint8Array;
  outbox: Uint8Array;
  go: number;
  done: Waiter;
  result: Promise<PartitionResult>;
}

const BUFFER_BYTES = 64 << 20;

/** Partition 0 runs here, the others in worker threads; rounds synchronise through shared memory and Atomics. */
class WorkerRunner implements Runner {
  private constructor(private readonly local: Partition, private readonly slots: WorkerSlot[]) {}

  static async start(plan: StormPlan, specs: PartitionSpec[]): Promise<WorkerRunner> {
    const url = new URL("./worker.js", import.meta.url);
    const spin = specs.length <= availableParallelism();
    const slots: WorkerSlot[] = [];
    const ready: Promise<void>[] = [];
    for (const spec of specs.slice(1)) {
      const ctrlBuf = new SharedArrayBuffer(4 * 8);
      const f64Buf = new SharedArrayBuffer(8 * 2);
      const progBuf = new SharedArrayBuffer(4 * PROGRESS_FIELDS.length);
      const inBuf = new SharedArrayBuffer(BUFFER_BYTES);
      const outBuf = new SharedArrayBuffer(BUFFER_BYTES);
      const init: WorkerInit = { plan, spec, spin, ctrl: ctrlBuf, f64: f64Buf, progress: progBuf, inbox: inBuf, outbox: outBuf };
      const worker = new Worker(url, { workerData: init });
      let resolveResult!: (r: PartitionResult) => void;
      let rejectResult!: (e: Error) => void;
      const result = new Promise<PartitionResult>((res, rej) => { resolveResult = res; rejectResult = rej; });
      result.catch(() => {});
      ready.push(new Promise<void>((res, rej) => {
        worker.on("message", (m: { type: string; result?: PartitionResult }) => {
          if (m.type === "ready") res();
          else if (m.type === "result") resolveResult(m.result!);
        });
        worker.on("error", (e) => { rej(e); rejectResult(e); });
        worker.on("exit", (code) => { if (code !== 0) { const e = new Error(`storm worker exited with ${code}`); rej(e); rejectResult(e); } });
      }));
      slots.push({
        worker, ctrl: new Int32Array(ctrlBuf), f64: new Float64Array(f64Buf), progress: new Int32Array(progBuf),
        inbox: new Uint8Array(inBuf), outbox: new Uint8Array(outBuf), go: 0, result,
        done: new Waiter(new Int32Array(ctrlBuf), CTRL.done, CTRL.doneSleeper, spin),
      });
    }
    try {
      const local = new Partition(plan, specs[0]);
      await Promise.all(ready);
      return new WorkerRunner(local, slots);
    } catch (e) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    }
  }

  /** Stops the workers without their results (after a failure). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Power comes back in every partition (the workers start theirs when built). */
  startLocal(): void {
    this.local.start();
  }

  round(untilUs: number, inboxes: UplinkMessage[][]) {
    this.slots.forEach((s, i) => {
      encodeMessages(inboxes[i + 1], s.inbox);
      s.f64[0] = untilUs;
      s.ctrl[CTRL.cmd] = 1;
      s.go++;
      signal(s.ctrl, CTRL.go, CTRL.goSleeper, s.go);
    });
    this.local.inject(inboxes[0]);
    const out: UplinkMessage[][] = [this.local.runWindow(untilUs)];
    const next: Array<number | null> = [this.local.nextEventUs()];
    const progress = this.local.progress();
    const t0 = performance.now();
    for (const s of this.slots) {
      s.done.wait(s.go);
      if (s.ctrl[CTRL.error] !== 0) throw new Error("a storm worker failed (its error is printed above)");
      out.push(decodeMessages(s.outbox));
      next.push(Number.isNaN(s.f64[1]) ? null : s.f64[1]);
      addProgress(progress, s.progress);
    }
    this.waitMs += performance.now() - t0;
    return { out, next, progress };
  }

  /** Time this thread spent waiting for the workers (STORM_TRACE prints it). */
  waitMs = 0;

  async results(): Promise<PartitionResult[]> {
    if (process.env.STORM_TRACE) console.error(`storm: the main thread waited ${this.waitMs.toFixed(0)} ms for the workers`);
    for (const s of this.slots) {
      s.ctrl[CTRL.cmd] = 2;
      s.go++;
      signal(s.ctrl, CTRL.go, CTRL.goSleeper, s.go);
    }
    const rest = await Promise.all(this.slots.map((s) => s.result));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    return [this.local.result(), ...rest];
  }
}

/**
 * How long a thread spins at most before it sleeps, ms. Most windows' work
 * is under a quarter of a millisecond, and waking a sleeping thread costs
 * tens of microseconds, which over 100,000 windows would be seconds.
 */
export const SPIN_MS = 0.25;

/**
 * One side of a handshake word: waits until ctrl[i] reaches a value, and
 * says so to the other side. Spinning pays only while the thread waited for
 * is on a core: when another process takes one, the spinner keeps a core
 * the late thread needs. So the spin adapts: a wait that outlasted the spin
 * halves the next one (down to none), a wait that would have ended within
 * it restores the full spin. Sleeping is announced in ctrl[sleeper], and
 * the notifying side calls Atomics.notify only then (it costs a lock even
 * with nobody waiting, on each of 100,000 windows).
 */
export class Waiter {
  private spinMs: number;

  constructor(private readonly ctrl: Int32Array, private readonly i: number, private readonly sleeper: number, spin: boolean) {
    this.spinMs = spin ? SPIN_MS : 0;
    this.canSpin = spin;
  }

  private readonly canSpin: boolean;

  wait(value: number): void {
    const ctrl = this.ctrl;
    const i = this.i;
    if (Atomics.load(ctrl, i) >= value) return;
    const t0 = performance.now();
    if (this.spinMs > 0) {
      const until = t0 + this.spinMs;
      for (;;) {
        for (let k = 0; k < 500; k++) if (Atomics.load(ctrl, i) >= value) return;
        if (performance.now() >= until) break;
      }
    }
    Atomics.store(ctrl, this.sleeper, 1);
    for (;;) {
      const now = Atomics.load(ctrl, i);
      if (now >= value) break;
      Atomics.wait(ctrl, i, now, 1000);
    }
    Atomics.store(ctrl, this.sleeper, 0);
    if (!this.canSpin) return;
    const waited = performance.now() - t0;
    this.spinMs = waited <= SPIN_MS ? SPIN_MS : this.spinMs < SPIN_MS / 16 ? 0 : this.spinMs / 2;
  }
}

/** Sets ctrl[i] to `value` and wakes the other side if it sleeps on it. */
export function signal(ctrl: Int32Array, i: number, sleeper: number, value: number): void {
  Atomics.store(ctrl, i, value);
  if (Atomics.load(ctrl, sleeper) !== 0) Atomics.notify(ctrl, i);
}

/** Phones that could still get power are all registered: the storm is over. */
function finished(p: Progress, phones: number): boolean {
  return p.powered + p.denied === phones && p.registered === p.powered;
}

export async function runStorm(plan: StormPlan, opts: RunOptions = {}): Promise<StormRun> {
  const specs = partitionSpecs(plan, opts.workers ?? 1);
  let runner: Runner;
  if (specs.length === 1) {
    const part = new Partition(plan, specs[0]);
    part.start();
    runner = new LocalRunner([part]);
  } else {
    const wr = await WorkerRunner.start(plan, specs);
    wr.startLocal();
    runner = wr;
  }
  const owner = new Int32Array(plan.cells.length);
  specs.forEach((s, i) => { for (const c of s.cells) owner[c] = i; });
  const W = plan.uplink.latencyUs;
  let inboxes: UplinkMessage[][] = specs.map(() => []);
  let k = 0;
  let windows = 0;
  let messages = 0;
  let stoppedBy: StormRun["stoppedBy"] = "idle";
  let endUs = 0;
  const every = opts.progressEveryMs ?? 100;
  let shownAt = -Infinity;
  try {
    for (;;) {
      const untilUs = (k + 1) * W - 1;
      const r = runner.round(untilUs, inboxes);
      windows++;
      endUs = untilUs;
      const next = specs.map((): UplinkMessage[] => []);
      for (const out of r.out) {
        messages += out.length;
        for (const m of out) next[m.up ? 0 : owner[m.cell]].push(m);
      }
      for (const box of next) box.sort(messageOrder);
      inboxes = next;
      const p = r.progress;
      if (opts.onProgress) {
        const wall = performance.now();
        if (wall - shownAt >= every) {
          shownAt = wall;
          opts.onProgress({ ...p, tUs: untilUs, phones: plan.phones });
        }
      }
      if (finished(p, plan.phones)) { stoppedBy = "registered"; break; }
      let t: number | null = null;
      for (const n of r.next) if (n !== null && (t === null || n < t)) t = n;
      for (const box of inboxes) if (box.length > 0 && (t === null || box[0].atUs < t)) t = box[0].atUs;
      if (t === null) { stoppedBy = "idle"; break; }
      if (t > plan.limitUs) { stoppedBy = "limit"; break; }
      k = Math.max(k + 1, Math.floor(t / W));
    }
  } catch (e) {
    await runner.close();
    throw e;
  }
  const results = await runner.results();
  const core = results[0].core!;
  return {
    plan,
    cells: results.flatMap((r) => r.cells).sort((a, b) => a.index - b.index),
    core,
    stoppedBy,
    endUs,
    windows,
    events: results.reduce((n, r) => n + r.events, 0),
    messages,
    workers: specs.length,
  };
}
