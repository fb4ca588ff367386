// Full-duplex point-to-point Ethernet link: each direction has its own
// transmitter (serialisation delay, FIFO queue) and a propagation delay.

import { ETH_HEADER_LEN, ETH_MIN_FRAME } from '../wire/ethernet.js';
import type { Scheduler } from './scheduler.js';
import type { LinkFaults } from './faults.js';

export type Side = 0 | 1;

/** Anything with a MAC: a phone, a switch port, a server. */
export interface Nic {
  /** Called by the scheduler when the last bit has arrived. The frame is the receiver's to keep. */
  receive(frame: Uint8Array): void;
  /**
   * A real link's frame, taken at once (the firmware answers it before the
   * socket's next datagram); the poll and timer update wait for settle().
   * The frame is the receiver's to keep.
   */
  receiveNow?(frame: Uint8Array): void;
  /** After the frames of one socket read were delivered: one poll, one timer update. */
  settle?(): void;
}

/** Sees every frame when it arrives at the far end (e.g. a pcap writer). */
export type WireTap = (tUs: number, frame: Uint8Array, fromSide: Side) => void;

/**
 * One-way latency of a campus access link, µs, besides its serialisation:
 * a store-and-forward access switch (a few µs at 1 Gbit/s), 100 m of copper
 * (0.5 µs), and the end host's NIC interrupt moderation and network stack
 * (tens of µs) folded in. Phone to server crosses two such links: with the
 * serialisation at 100 Mbit/s (6 µs for a 72-byte frame, 121 µs for a full
 * one), a round trip of 0.2-0.5 ms, what ping shows between an access port
 * and a server on one campus switch. The built-in boot network and the
 * storm's access ports use it (README "Latency").
 */
export const ACCESS_LINK_LATENCY_US = 50;

export interface WireOptions {
  /** Propagation delay, µs (default 1). */
  latencyUs?: number;
  /** Line rate (default 100 Mb/s). */
  bitsPerSecond?: number;
  /** Longer frames are dropped and counted (default 1518: tagged, without FCS). */
  maxFrameBytes?: number;
}

export interface DirectionStats {
  frames: number;
  bytes: number;
  /** Runts (< 14 bytes), oversize frames, or frames sent towards an empty side. */
  dropped: number;
}

/** A handle bound to one side: what an attached device sends through. */
export interface WirePort {
  send(frame: Uint8Array): void;
  /** Sends a frame nobody will modify again (a switch forwarding what it received): no copy. */
  sendShared?(frame: Uint8Array): void;
}

/** Sends a frame its sender made for this send and never touches again: without a copy where the port takes it so. */
export function sendOwned(port: WirePort, frame: Uint8Array): void {
  if (port.sendShared) port.sendShared(frame);
  else port.send(frame);
}

/** What a device plugs into: a Wire, or a link that carries frames some other way (the storm's uplinks). */
export interface Link {
  attach(side: Side, nic: Nic): WirePort;
}

/** µs a frame of this length keeps a transmitter at `bitsPerSecond` busy (short frames count as 60 bytes). */
export function serialisationUs(length: number, bitsPerSecond: number): number {
  return Math.ceil((Math.max(length, ETH_MIN_FRAME) * 8 * 1_000_000) / bitsPerSecond);
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Wire: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

export class Wire implements Link {
  readonly latencyUs: number;
  readonly bitsPerSecond: number;
  readonly maxFrameBytes: number;
  tap: WireTap | null = null;
  /** Seeded fault injection (host/sim/faults.ts); null: none, and no cost. */
  faults: LinkFaults | null = null;
  private readonly nics: [Nic | null, Nic | null] = [null, null];
  /** When each side's transmitter is free again. */
  private readonly busyUntilUs: [number, number] = [0, 0];
  private readonly counters: [DirectionStats, DirectionStats] = [
    { frames: 0, bytes: 0, dropped: 0 },
    { frames: 0, bytes: 0, dropped: 0 },
  ];

  constructor(private readonly scheduler: Scheduler, options: WireOptions = {}) {
    this.latencyUs = options.latencyUs ?? 1;
    this.bitsPerSecond = options.bitsPerSecond ?? 100_000_000;
    this.maxFrameBytes = options.maxFrameBytes ?? 1518;
    checkInt('latencyUs', this.latencyUs, 0);
    checkInt('bitsPerSecond', this.bitsPerSecond, 1);
    checkInt('maxFrameBytes', this.maxFrameBytes, ETH_MIN_FRAME);
  }

  attach(side: Side, nic: Nic): WirePort {
    checkSide(side);
    if (this.nics[side] !== null) throw new Error(`Wire: side ${side} already has a device attached`);
    this.nics[side] = nic;
    return { send: (frame) => this.send(side, frame), sendShared: (frame) => this.send(side, frame, true) };
  }

  /** Stats for frames sent from `side`. */
  stats(side: Side): Readonly<DirectionStats> {
    checkSide(side);
    return this.counters[side];
  }

  /** µs a frame of this length keeps this wire's transmitter busy. */
  serialisationUs(length: number): number {
    return serialisationUs(length, this.bitsPerSecond);
  }

  /**
   * Queues the frame behind earlier ones from this side. Copies it (the
   * sender may reuse its buffer) unless `shared`: a frame that is already
   * a copy nobody modifies, as a switch floods one received frame to many
   * ports (receivers only read frames). One copy per hop, not per port.
   */
  send(side: Side, frame: Uint8Array, shared = false): void {
    checkSide(side);
    const stats = this.counters[side];
    const to: Side = side === 0 ? 1 : 0;
    if (frame.length < ETH_HEADER_LEN || frame.length > this.maxFrameBytes || this.nics[to] === null) {
      stats.dropped++;
      return;
    }
    const copy = shared ? frame : frame.slice();
    const start = Math.max(this.scheduler.now, this.busyUntilUs[side]);
    const done = start + this.serialisationUs(copy.length);
    this.busyUntilUs[side] = done;
    stats.frames++;
    stats.bytes += copy.length;
    const at = done + this.latencyUs;
    if (this.faults !== null) {
      flushBatch();
      this.faults.send(this, side, copy, at);
    } else if (open !== undefined) {
      if (open === null || open.scheduler !== this.scheduler || open.atUs !== at) {
        flushBatch();
        open = { scheduler: this.scheduler, atUs: at, items: [] };
      }
      open.items.push({ wire: this, to, frame: copy, from: side });
    } else {
      this.scheduler.at(at, () => this.deliver(to, copy, side));
    }
  }

  /** The frame's last bit has arrived at `to` (the fault layer calls it too). */
  deliver(to: Side, frame: Uint8Array, from: Side): void {
    if (this.tap !== null) this.tap(this.scheduler.now, frame, from);
    const nic = this.nics[to];
    if (nic !== null) nic.receive(frame);
  }
}

// ---------------------------------------------------------------- batched deliveries

interface Delivery {
  wire: Wire;
  to: Side;
  frame: Uint8Array;
  from: Side;
}

/** The deliveries collected so far for one instant; null: none yet; undefined: not batching. */
let open: { scheduler: Scheduler; atUs: number; items: Delivery[] } | null | undefined;

function flushBatch(): void {
  if (!open) return;
  const { scheduler, atUs, items } = open;
  open = null;
  if (items.length === 1) {
    const d = items[0];
    scheduler.at(atUs, () => d.wire.deliver(d.to, d.frame, d.from));
  } else {
    scheduler.at(atUs, () => { for (const d of items) d.wire.deliver(d.to, d.frame, d.from); });
  }
}

/**
 * Runs `fn` (a switch flooding one frame to many ports) with the deliveries
 * it causes that arrive at the same instant going into one scheduler event,
 * which delivers them in the order they were sent. The same as one event
 * each: events at one instant run in the order they were scheduled, and
 * these were scheduled one after the other, so nothing could run between
 * them; a run of same-instant sends is cut wherever a send takes another
 * path (a wire with faults), so that order holds too.
 */
export function batchDeliveries(fn: () => void): void {
  const outer = open;
  open = null;
  try {
    fn();
  } finally {
    flushBatch();
    open = outer;
  }
}

function checkSide(side: number): void {
  if (side !== 0 && side !== 1) throw new RangeError(`Wire: side must be 0 or 1, got ${side}`);
}
