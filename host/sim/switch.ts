// Learning Ethernet switch (IEEE 802.1D transparent bridging) with 802.1Q
// access ports as a Catalyst configures them: `switchport access vlan A`
// (untagged) and `switchport voice vlan V` (tagged). Link-local frames
// (CDP, LLDP) are never forwarded: they go to the port's discovery agent.

import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import { ETHERTYPE_VLAN } from '../wire/vlan.js';
import { isMulticastMac, macToNumber } from '../wire/address.js';
import type { Scheduler } from './scheduler.js';
import { batchDeliveries, sendOwned, type Link, type Nic, type Side, type WirePort } from './wire.js';

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
  /** Tagged with a VLAN the ingress port is not a member of. */
  vlanDropped: number;
  learned: number;
}

/**
 * A port's VLANs: untagged frames belong to accessVlan; frames tagged
 * voiceVlan to that VLAN. Voice VLAN 0 (`switchport voice vlan dot1p`) and
 * 4095 (`... untagged`) are announced to the phone but are no VLAN of their
 * own: its traffic stays in the access VLAN, priority-tagged (VID 0) or not.
 */
export interface PortVlans {
  accessVlan: number;
  voiceVlan?: number | null;
}

/** The VLAN a phone's voice traffic lands in: its voice VLAN, or the access VLAN for none, 0 (dot1p) and 4095 (untagged). */
export function voiceTrafficVlan(voiceVlan: number | null, accessVlan: number): number {
  return voiceVlan === null || voiceVlan === 0 || voiceVlan === 4095 ? accessVlan : voiceVlan;
}

/** Receives CDP and LLDP frames arriving on a port (they are not forwarded). */
export type LinkLocalHandler = (port: number, frame: Uint8Array) => void;

/** 01:80:c2:00:00:0x (IEEE link-local: LLDP, STP, ...) and 01:00:0c:cc:cc:cc (CDP, VTP, DTP). */
export function isLinkLocal(frame: Uint8Array): boolean {
  const ieee = frame[0] === 0x01 && frame[1] === 0x80 && frame[2] === 0xc2 && frame[3] === 0 && frame[4] === 0 && (frame[5] & 0xf0) === 0;
  const cisco = frame[0] === 0x01 && frame[1] === 0x00 && frame[2] === 0x0c && frame[3] === 0xcc && frame[4] === 0xcc && frame[5] === 0xcc;
  return ieee || cisco;
}

const VOICE_PCP = 5;

interface MacEntry {
  port: number;
  lastSeenUs: number;
}

/** VLAN of untagged frames on a port nobody configured (Cisco's default VLAN 1). */
const DEFAULT_VLAN = 1;

export class EthernetSwitch {
  readonly portCount: number;
  readonly ageingUs: number;
  readonly maxEntries: number;
  private readonly ports: Array<WirePort | null>;
  private readonly vlans: PortVlans[];
  /** Where CDP and LLDP frames go; dropped when unset. */
  onLinkLocal: LinkLocalHandler | null = null;
  /** VLAN -> (48-bit MAC -> entry). */
  private readonly tables = new Map<number, Map<number, MacEntry>>();
  private entries = 0;
  private lastSweepUs = -Infinity;
  private readonly counters: SwitchStats = { received: 0, forwarded: 0, flooded: 0, filtered: 0, dropped: 0, vlanDropped: 0, learned: 0 };

  constructor(private readonly scheduler: Scheduler, portCount: number, options: SwitchOptions = {}) {
    if (!Number.isInteger(portCount) || portCount < 1 || portCount > 65536) {
      throw new RangeError(`EthernetSwitch: portCount must be an integer in [1, 65536], got ${portCount}`);
    }
    this.portCount = portCount;
    this.ageingUs = options.ageingUs ?? 300_000_000;
    this.maxEntries = options.maxEntries ?? 16384;
    this.ports = new Array<WirePort | null>(portCount).fill(null);
    this.vlans = Array.from({ length: portCount }, () => ({ accessVlan: DEFAULT_VLAN, voiceVlan: null }));
  }

  /** `switchport access vlan` / `switchport voice vlan` for one port. */
  configurePort(port: number, vlans: PortVlans): void {
    this.checkPort(port);
    for (const v of [vlans.accessVlan, vlans.voiceVlan === 0 || vlans.voiceVlan === 4095 ? 1 : vlans.voiceVlan ?? 1]) {
      if (!Number.isInteger(v) || v < 1 || v > 4094) throw new RangeError(`EthernetSwitch: VLAN must be 1..4094 (voice also 0 or 4095), got ${v}`);
    }
    this.vlans[port] = { accessVlan: vlans.accessVlan, voiceVlan: vlans.voiceVlan ?? null };
  }

  portVlans(port: number): Readonly<PortVlans> {
    this.checkPort(port);
    return this.vlans[port];
  }

  /** Sends a frame out of one port as the switch itself (CDP, LLDP). */
  sendFrom(port: number, frame: Uint8Array): void {
    this.checkPort(port);
    this.ports[port]?.send(frame);
  }

  /** Plugs port `port` into one side of a wire (or another link). */
  connect(port: number, wire: Link, side: Side): void {
    this.checkPort(port);
    if (this.ports[port] !== null) throw new Error(`EthernetSwitch: port ${port} is already connected`);
    const nic: Nic = { receive: (frame) => this.ingress(port, frame) };
    this.ports[port] = wire.attach(side, nic);
  }

  get stats(): Readonly<SwitchStats> {
    return this.counters;
  }

  /** Port a unicast MAC was learned on in `vlan` (default VLAN 1), or null if unknown or aged out. */
  lookup(mac: Uint8Array, vlan = DEFAULT_VLAN): number | null {
    return this.lookupMac(vlan, macToNumber(mac));
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
    if (isLinkLocal(frame)) { this.onLinkLocal?.(port, frame); return; }
    const vlan = this.classify(port, frame);
    if (vlan === null) { this.counters.vlanDropped++; return; }
    this.learn(vlan, frame, port);
    const out = isMulticastMac(frame) ? null : this.lookupMac(vlan, macToNumber(frame, 0));
    if (out === null) return this.flood(port, vlan, frame);
    if (out === port) { this.counters.filtered++; return; }
    this.counters.forwarded++;
    this.egress(out, vlan, frame);
  }

  /** The VLAN of a frame arriving on `port`, or null when the port does not carry its tag. */
  private classify(port: number, frame: Uint8Array): number | null {
    const { accessVlan, voiceVlan } = this.vlans[port];
    if (!isTagged(frame)) return accessVlan;
    const vid = ((frame[14] << 8) | frame[15]) & 0x0fff;
    if (vid === 0) return accessVlan; // priority-tagged
    return vid === voiceVlan && vid !== 4095 ? vid : null;
  }

  /**
   * Sends a frame of `vlan` out of `port`, tagged or untagged as the port
   * carries that VLAN. `memo` (a flood) keeps the one tagged or untagged
   * copy for every port: receivers only read frames, so one copy serves all.
   */
  private egress(port: number, vlan: number, frame: Uint8Array, memo?: { tagged?: Uint8Array; untagged?: Uint8Array }): void {
    const out = this.ports[port];
    if (!out) return;
    const { accessVlan, voiceVlan } = this.vlans[port];
    let f: Uint8Array;
    if (vlan === accessVlan) f = !isTagged(frame) ? frame : memo ? (memo.untagged ??= untag(frame)) : untag(frame);
    else if (vlan === voiceVlan) f = isTagged(frame) ? frame : memo ? (memo.tagged ??= tag(frame, vlan)) : tag(frame, vlan);
    else return;
    // What the switch received (or tagged) is its own and never modified: the wire need not copy it again.
    sendOwned(out, f);
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

  private flood(ingress: number, vlan: number, frame: Uint8Array): void {
    this.counters.flooded++;
    // Copies of one frame reaching many ports at one instant: one scheduler event (the same order, less work).
    const memo = {};
    batchDeliveries(() => {
      for (let p = 0; p < this.portCount; p++) {
        if (p !== ingress) this.egress(p, vlan, frame, memo);
      }
    });
  }

  private checkPort(port: number): void {
    if (!Number.isInteger(port) || port < 0 || port >= this.portCount) {
      throw new RangeError(`EthernetSwitch: port must be an integer in [0, ${this.portCount}), got ${port}`);
    }
  }
}

function isTagged(frame: Uint8Array): boolean {
  return frame.length >= 18 && ((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN;
}

function untag(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12));
  out.set(frame.subarray(16), 12);
  return out;
}

function tag(frame: Uint8Array, vid: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12));
  out[12] = ETHERTYPE_VLAN >> 8;
  out[13] = ETHERTYPE_VLAN & 0xff;
  out[14] = (VOICE_PCP << 5) | (vid >> 8);
  out[15] = vid & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}
