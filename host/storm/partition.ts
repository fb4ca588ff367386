// A partition of the building: some access switches with their phones and,
// in one partition, the core (router and servers), on one scheduler. Cells
// and the core talk only through uplink messages exchanged at the end of
// each synchronisation window (engine.ts), so how the cells are grouped into
// partitions cannot change what happens: events of different cells never
// touch each other, and messages are injected in one canonical order.
import { performance } from "node:perf_hooks";
import { Scheduler } from "../sim/scheduler.js";
import { Cell, type CellProgress, type CellResult, type UplinkMessage } from "./cell.js";
import { Core, type CoreResult } from "./core.js";
import type { StormPlan } from "./plan.js";

export interface PartitionSpec {
  /** The cells (access switches) it runs, by index. */
  cells: number[];
  core: boolean;
}

export interface Progress extends CellProgress {
  /** Requests waiting at the DHCP server (the core's partition only). */
  dhcpBacklog: number;
}

export interface PartitionResult {
  cells: CellResult[];
  core: CoreResult | null;
  events: number;
}

/** Canonical order of messages reaching one side at the same time: by cell, then the sender's sequence. */
export function messageOrder(a: UplinkMessage, b: UplinkMessage): number {
  return a.atUs - b.atUs || a.cell - b.cell || a.seq - b.seq;
}

export class Partition {
  readonly scheduler = new Scheduler();
  readonly cells: Cell[] = [];
  readonly core: Core | null;
  /** Messages sent during the current window. */
  readonly outbox: UplinkMessage[] = [];
  private readonly byIndex = new Map<number, Cell>();
  private readonly total = { powered: 0, denied: 0, bound: 0, configured: 0, registered: 0 };

  constructor(readonly plan: StormPlan, readonly spec: PartitionSpec) {
    for (const i of spec.cells) {
      const cell = new Cell(this.scheduler, plan, plan.cells[i], this.outbox, this.total);
      this.cells.push(cell);
      this.byIndex.set(i, cell);
    }
    this.core = spec.core ? new Core(this.scheduler, plan, this.outbox) : null;
  }

  /** Power comes back at t = 0. */
  start(): void {
    for (const c of this.cells) c.start();
  }

  /** Messages for this partition, in canonical order; their times are all after the current window. */
  inject(messages: UplinkMessage[]): void {
    for (const m of messages) {
      if (m.up) this.core!.deliver(m);
      else this.byIndex.get(m.cell)!.deliver(m);
    }
  }

  /** Wall-clock time spent running windows (STORM_TRACE prints it; never part of a result). */
  busyMs = 0;

  /** Runs every event up to and including `untilUs`; returns the messages sent meanwhile. */
  runWindow(untilUs: number): UplinkMessage[] {
    const t0 = performance.now();
    this.scheduler.run({ untilUs, maxEvents: Number.MAX_SAFE_INTEGER });
    this.core?.trim();
    const out = this.outbox.slice();
    this.outbox.length = 0;
    this.busyMs += performance.now() - t0;
    return out;
  }

  nextEventUs(): number | null {
    return this.scheduler.nextEventUs();
  }

  progress(): Progress {
    return { ...this.total, dhcpBacklog: this.core?.dhcp.backlogLength ?? 0 };
  }

  result(): PartitionResult {
    if (process.env.STORM_TRACE) console.error(`storm partition: ${this.spec.cells.length} cells${this.core ? " and the core" : ""}: ${this.busyMs.toFixed(0)} ms in windows, ${this.scheduler.eventsRun} events`);
    return { cells: this.cells.map((c) => c.result()), core: this.core?.result() ?? null, events: this.scheduler.eventsRun };
  }
}
