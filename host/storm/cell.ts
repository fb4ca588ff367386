// One access switch of the building and its phones: a Catalyst-like switch
// (phone ports with access VLAN 1 and voice VLAN 110 announced by CDP, an
// 802.1Q uplink carrying both), its PoE with a budget and port priorities,
// and a Phone on each port running the real boot.wasm and phone.wasm. The
// uplink leaves the cell as timestamped messages (see engine.ts): the cell
// never calls into the core directly, which is what lets a worker thread
// own it.
import { EthernetSwitch } from "../sim/switch.js";
import { Wire, serialisationUs, type Link, type Nic } from "../sim/wire.js";
import type { Scheduler } from "../sim/scheduler.js";
import { PortDiscovery } from "../sim/discovery.js";
import { Random } from "../sim/random.js";
import { PoeSwitch, catalystLogLine, type PoweredDevice } from "../poe.js";
import { PoeFrontEnd } from "../firmware.js";
import { Phone } from "../phone.js";
import { Ev, STAGES, type StageName } from "../events.js";
import { NATIVE_VLAN, VOICE_VLAN, phoneMac, phoneSeed, type CellPlan, type StormPlan } from "./plan.js";

/** A frame crossing an uplink: it reaches the other end at `atUs`. */
export interface UplinkMessage {
  /** The access switch (cell) whose uplink it crosses. */
  cell: number;
  /** true: towards the servers. */
  up: boolean;
  atUs: number;
  /** Per cell and direction, in sending order: with atUs and cell it orders messages the same way in every run. */
  seq: number;
  frame: Uint8Array;
}

/** Per-phone milestones, µs of virtual time (NaN: not reached). */
export const M = {
  powered: 0,
  boot: 1,
  vlan: 2,
  dhcp: 3,
  tftp: 4,
  register: 5,
  registered: 6,
  bound: 7,
  dhcpFirst: 8,
  dhcpAck: 9,
  tftpBusy: 10,
  regSent: 11,
  tftpReq: 12,
} as const;
export const MILESTONES = 13;
/** Per-phone counts. */
export const C = { discovers: 0, transfers: 1, failovers: 2, upgraded: 3, regFailures: 4, resets: 5 } as const;
export const COUNTS = 6;

/** Where each stage's start goes (Ev.Stage names the stage by its index in STAGES). */
const STAGE_COLUMN: Partial<Record<StageName, number>> = { boot: M.boot, vlan: M.vlan, dhcp: M.dhcp, tftp: M.tftp, register: M.register };

export interface CellProgress {
  powered: number;
  /** Ports refused power right now (they may still get it when budget frees up). */
  denied: number;
  bound: number;
  configured: number;
  registered: number;
}

/** What a cell hands back at the end: small and structured-cloneable. */
export interface CellResult {
  index: number;
  name: string;
  firstPhone: number;
  phones: number;
  milestones: Float64Array;
  counts: Uint16Array;
  /** Ports (0-based) without power at the end, with the switch's log lines for them. */
  dark: Array<{ port: number; priority: string; log: string[] }>;
  poe: { budgetW: number; usedW: number; granted: number; denials: number };
  framesUp: number;
  framesDown: number;
  bytesUp: number;
  bytesDown: number;
  lostUp: number;
  flooded: number;
}

/**
 * The PD front end the switch probes, shared by every port of a cell: one
 * phone.wasm instance answers for all the dark phones. Each detection and
 * classification is a burst of calls at one instant that starts from 0 V
 * (the PD forgets its state), so sharing gives every port the answers its
 * own front end would give. Power-good is not passed on: the phone that
 * powers up runs its own instance from then on, and the shared one stays
 * the front end of an unpowered phone (its relay keeps looping FLPs back).
 */
class PortPd implements PoweredDevice {
  constructor(private readonly fe: PoeFrontEnd) {}
  flpLoopback(): boolean { return this.fe.flpLoopback(); }
  currentAt(mv: number): number { return this.fe.currentAt(mv); }
  powerGood(): void { /* the powered phone is its own device */ }
}

export class Cell {
  readonly index: number;
  readonly plan: CellPlan;
  readonly sw: EthernetSwitch;
  readonly poe: PoeSwitch;
  readonly phones: Phone[] = [];
  readonly milestones: Float64Array;
  readonly counts: Uint16Array;
  private readonly discovery: PortDiscovery[] = [];
  private readonly uplinkPort: number;
  private uplinkNic: Nic | null = null;
  private readonly bitsPerSecond: number;
  private readonly latencyUs: number;
  private busyUntilUs = 0;
  private seq = 0;
  private readonly loss: number;
  private readonly lossRandom: Random;
  private readonly denials = new Map<number, string[]>();
  private readonly deniedNow = new Set<number>();
  private readonly stats = { framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0, lostUp: 0 };

  /** `total`: the partition's progress, which its cells keep up to date (so progress costs nothing per window). */
  constructor(private readonly scheduler: Scheduler, storm: StormPlan, plan: CellPlan, private readonly outbox: UplinkMessage[], readonly total: CellProgress) {
    this.index = plan.index;
    this.plan = plan;
    this.bitsPerSecond = storm.uplink.bitsPerSecond;
    this.latencyUs = storm.uplink.latencyUs;
    this.loss = storm.loss;
    this.lossRandom = new Random(phoneSeed(storm.seed ^ 0x5eed_0001, plan.index));
    this.milestones = new Float64Array(plan.phones * MILESTONES).fill(NaN);
    this.counts = new Uint16Array(plan.phones * COUNTS);
    for (let i = 0; i < plan.phones; i++) this.milestones[i * MILESTONES + M.tftpBusy] = 0;

    this.uplinkPort = plan.ports - 1;
    this.sw = new EthernetSwitch(scheduler, plan.ports);
    // The uplink: an 802.1Q trunk (native VLAN 1, voice VLAN tagged) whose far end is the core, reached through messages.
    const uplink: Link = { attach: (_side, nic) => { this.uplinkNic = nic; return { send: (f) => this.sendUp(f) }; } };
    this.sw.connect(this.uplinkPort, uplink, 0);
    this.sw.configurePort(this.uplinkPort, { accessVlan: NATIVE_VLAN, voiceVlan: VOICE_VLAN });

    this.poe = new PoeSwitch({
      clock: scheduler,
      budgetMw: plan.budgetMw,
      ports: plan.priorities.map((priority) => ({ priority })),
      onPower: (port, on) => this.onPower(port, on),
      onLog: (e) => {
        if (e.kind !== "denied") return;
        if (!this.deniedNow.has(e.port)) { this.deniedNow.add(e.port); this.total.denied++; }
        let lines = this.denials.get(e.port);
        if (!lines) this.denials.set(e.port, (lines = []));
        if (lines.length < 4) lines.push(catalystLogLine(e));
      },
    });
    const deviceId = `${plan.name}.voice.example`;
    for (let p = 0; p < plan.phones; p++) {
      const n = plan.firstPhone + p;
      const phone = new Phone(scheduler, { mac: phoneMac(n), seed: phoneSeed(storm.seed, n), keepTimeline: false, onFirmwareEvent: (code, a) => this.onFirmwareEvent(p, code, a) });
      const wire = new Wire(scheduler);
      phone.connect(wire.attach(0, phone));
      this.sw.connect(p, wire, 1);
      this.sw.configurePort(p, { accessVlan: NATIVE_VLAN, voiceVlan: VOICE_VLAN });
      this.phones.push(phone);
      this.discovery.push(new PortDiscovery(scheduler, this.sw, p, { announce: "cdp", poe: this.poe, deviceId }));
    }
    this.sw.onLinkLocal = (port, frame) => this.discovery[port]?.receive(frame);
  }

  /** The power comes back: every PSE port starts detecting at this instant. */
  start(): void {
    const fe = new PortPd(PoeFrontEnd.dark());
    for (let p = 0; p < this.plan.phones; p++) this.poe.plug(p, fe);
  }

  /** A frame from the core arrives on the uplink at m.atUs. */
  deliver(m: UplinkMessage): void {
    this.scheduler.at(m.atUs, () => {
      this.stats.framesDown++;
      this.stats.bytesDown += m.frame.length;
      this.uplinkNic?.receive(m.frame);
    });
  }

  private sendUp(frame: Uint8Array): void {
    // The switch's own copy (from a wire or its tagging): the core only reads it, so it crosses uncopied.
    const start = Math.max(this.scheduler.now, this.busyUntilUs);
    const done = start + serialisationUs(frame.length, this.bitsPerSecond);
    this.busyUntilUs = done;
    this.stats.framesUp++;
    this.stats.bytesUp += frame.length;
    if (this.loss > 0 && this.lossRandom.next() < this.loss) { this.stats.lostUp++; return; }
    this.outbox.push({ cell: this.index, up: true, atUs: done + this.latencyUs, seq: this.seq++, frame });
  }

  private onPower(port: number, on: boolean): void {
    const phone = this.phones[port];
    if (!phone) return;
    if (!on) { phone.powerOff(); return; }
    this.total.powered++;
    if (this.deniedNow.delete(port)) this.total.denied--;
    this.milestones[port * MILESTONES + M.powered] = this.scheduler.now;
    if (phone.powerOn()) this.discovery[port].start();
  }

  /** Milestones and counts, by the firmware's event codes. */
  private onFirmwareEvent(p: number, code: number, a: number): void {
    const t = this.scheduler.now;
    const m = this.milestones;
    const base = p * MILESTONES;
    const c = p * COUNTS;
    switch (code) {
      case Ev.Stage: {
        const col = STAGE_COLUMN[STAGES[a]];
        if (col === undefined || !Number.isNaN(m[base + col])) break;
        m[base + col] = t;
        if (col === M.register) this.total.configured++;
        break;
      }
      case Ev.DhcpDiscover:
        this.counts[c + C.discovers]++;
        if (Number.isNaN(m[base + M.dhcpFirst])) m[base + M.dhcpFirst] = t;
        break;
      case Ev.DhcpAck:
        if (Number.isNaN(m[base + M.dhcpAck])) m[base + M.dhcpAck] = t;
        break;
      case Ev.DhcpBound:
        if (Number.isNaN(m[base + M.bound])) { m[base + M.bound] = t; this.total.bound++; }
        break;
      case Ev.TftpRequest:
        m[base + M.tftpReq] = t;
        break;
      case Ev.TftpDone:
        if (Number.isNaN(m[base + M.tftpReq])) break;
        m[base + M.tftpBusy] += t - m[base + M.tftpReq];
        m[base + M.tftpReq] = NaN;
        this.counts[c + C.transfers]++;
        break;
      case Ev.RegConnected:
        if (Number.isNaN(m[base + M.regSent])) m[base + M.regSent] = t;
        break;
      case Ev.RegRegistered:
        if (Number.isNaN(m[base + M.registered])) { m[base + M.registered] = t; this.total.registered++; }
        break;
      case Ev.RegFailover: this.counts[c + C.failovers]++; break;
      case Ev.RegFailed: this.counts[c + C.regFailures]++; break;
      case Ev.UpgradeReady: this.counts[c + C.upgraded]++; break;
      case Ev.RegReset: this.counts[c + C.resets]++; break;
    }
  }

  result(): CellResult {
    const dark: CellResult["dark"] = [];
    let granted = 0;
    for (let p = 0; p < this.plan.phones; p++) {
      const s = this.poe.status(p);
      if (s.oper === "on") granted++;
      else dark.push({ port: p, priority: s.priority, log: this.denials.get(p) ?? [] });
    }
    const denials = [...this.denials.values()].reduce((n, l) => n + l.length, 0);
    return {
      index: this.index, name: this.plan.name, firstPhone: this.plan.firstPhone, phones: this.plan.phones,
      milestones: this.milestones, counts: this.counts, dark,
      poe: { budgetW: this.poe.budgetMw / 1000, usedW: this.poe.usedMw / 1000, granted, denials },
      ...this.stats, flooded: this.sw.stats.flooded,
    };
  }
}
