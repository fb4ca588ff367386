// Learning Ethernet switch (IEEE 802.1D transparent bridging), untagged only.
// Tagged frames are forwarded unchanged, as an unmanaged switch does; the MAC
// tables are already per VLAN so 802.1Q access/voice VLANs can slot in.

import { ETH_HEADER_LEN, isMulticastMac, macToNumber } from './packets.js';
import type { Scheduler } from './scheduler.js';
import type { Nic, Side, Wire, WirePort } from './wire.js';

export interface SwitchOptions {
  /** Entries not refreshed for this long are forgotten (default 300 s, 802.1D). */
  ageingUs?: number;
  /** Table capacity; when full, new addresses are not learned (default 16384). */
  maxEntries?: number;
}

export interface SwitchStats {
  received: number;
  forwarded: number;
  flooded: number;
  /** Destination is on the ingress port: nothing to do. */
  filtered: number;
  /** Runts and frames on unconnected ports. */
  dropped: number;
  learned: number;
}

interface MacEntry {
  port: number;
  lastSeenUs: number;
}

/** VLAN every untagged frame belongs to until VLAN support lands. */
const DEFAULT_VLAN = 1;

export class EthernetSwitch {
  readonly portCount: number;
  readonly ageingUs: number;
  readonly maxEntries: number;
  private readonly ports: Array<WirePort | null>;
  /** VLAN -> (48-bit MAC -> entry). */
  private readonly tables = new Map<number, Map<number, MacEntry>>();
  private entries = 0;
  private lastSweepUs = -Infinity;
  private readonly counters: SwitchStats = { received: 0, forwarded: 0, flooded: 0, filtered: 0, dropped: 0, learned: 0 };

  constructor(private readonly scheduler: Scheduler, portCount: number, options: SwitchOptions = {}) {
    if (!Number.isInteger(portCount) || portCount < 1 || portCount > 65536) {
      throw new RangeError(`EthernetSwitch: portCount must be an integer in [1, 65536], got ${portCount}`);
    }
    this.portCount = portCount;
    this.ageingUs = options.ageingUs ?? 300_000_000;
    this.maxEntries = options.maxEntries ?? 16384;
    this.ports = new Array<WirePort | null>(portCount).fill(null);
  }

  /** Plugs port `port` into one side of a wire. */
  connect(port: number, wire: Wire, side: Side): void {
    this.checkPort(port);
    if (this.ports[port] !== null) throw new Error(`EthernetSwitch: port ${port} is already connected`);
    const nic: Nic = { receive: (frame) => this.ingress(port, frame) };
    this.ports[port] = wire.attach(side, nic);
  }

  get stats(): Readonly<SwitchStats> {
    return this.counters;
  }

  /** Port a unicast MAC was learned on (untagged VLAN), or null if unknown or aged out. */
  lookup(mac: Uint8Array): number | null {
    return this.lookupMac(DEFAULT_VLAN, macToNumber(mac));
  }

  get tableSize(): number {
    return this.entries;
  }

  /** Drops every aged entry; lookups already ignore them, this just frees memory. */
  sweep(): void {
    const now = this.scheduler.now;
    this.lastSweepUs = now;
    for (const table of this.tables.values()) {
      for (const [mac, e] of table) {
        if (now - e.lastSeenUs > this.ageingUs) { table.delete(mac); this.entries--; }
      }
    }
  }

  private ingress(port: number, frame: Uint8Array): void {
    this.counters.received++;
    if (frame.length < ETH_HEADER_LEN) { this.counters.dropped++; return; }
    const vlan = this.classify(port, frame);
    this.learn(vlan, frame, port);
    const out = isMulticastMac(frame) ? null : this.lookupMac(vlan, macToNumber(frame, 0));
    if (out === null) return this.flood(port, frame);
    if (out === port) { this.counters.filtered++; return; }
    this.counters.forwarded++;
    this.ports[out]?.send(frame);
  }

  /** Which VLAN a frame belongs to; the hook for 802.1Q access/voice VLANs. */
  private classify(_port: number, _frame: Uint8Array): number {
    return DEFAULT_VLAN;
  }

  private learn(vlan: number, frame: Uint8Array, port: number): void {
    if ((frame[6] & 1) === 1) return; // a group source address is invalid; never learn it
    const mac = macToNumber(frame, 6);
    const table = this.tableFor(vlan);
    const entry = table.get(mac);
    const now = this.scheduler.now;
    if (entry !== undefined) {
      entry.port = port;
      entry.lastSeenUs = now;
      return;
    }
    // Sweeping is O(table): at most once a second, or a full table costs that per frame.
    if (this.entries >= this.maxEntries && now - this.lastSweepUs >= 1_000_000) this.sweep();
    if (this.entries >= this.maxEntries) return;
    table.set(mac, { port, lastSeenUs: now });
    this.entries++;
    this.counters.learned++;
  }

  private tableFor(vlan: number): Map<number, MacEntry> {
    let table = this.tables.get(vlan);
    if (table === undefined) {
      table = new Map<number, MacEntry>();
      this.tables.set(vlan, table);
    }
    return table;
  }

  private lookupMac(vlan: number, mac: number): number | null {
    const table = this.tables.get(vlan);
    const entry = table?.get(mac);
    if (table === undefined || entry === undefined) return null;
    if (this.scheduler.now - entry.lastSeenUs > this.ageingUs) {
      table.delete(mac);
      this.entries--;
      return null;
    }
    return entry.port;
  }

  private flood(ingress: number, frame: Uint8Array): void {
    this.counters.flooded++;
    for (let p = 0; p < this.portCount; p++) {
      if (p !== ingress) this.ports[p]?.send(frame);
    }
  }

  private checkPort(port: number): void {
    if (!Number.isInteger(port) || port < 0 || port >= this.portCount) {
      throw new RangeError(`EthernetSwitch: port must be an integer in [0, ${this.portCount}), got ${port}`);
    }
  }
}
