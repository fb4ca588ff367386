// One access switch of the building and its phones: a Catalyst-like switch
// (phone ports with access VLAN 1 and voice VLAN 110 announced by CDP, an
// 802.1Q uplink carrying both), its PoE with a budget and port priorities,
// and a Phone on each port running the real boot.wasm and phone.wasm. The
// uplink leaves the cell as timestamped messages (see engine.ts): the cell
// never calls into the core directly, which is what lets a worker thread
// own it.
import { EthernetSwitch } from "../sim/switch.js";
import { ACCESS_LINK_LATENCY_US, Wire, serialisationUs, type Link, type Nic } from "../sim/wire.js";
import type { Scheduler } from "../sim/scheduler.js";
import { PortDiscovery } from "../sim/discovery.js";
import { Random } from "../sim/random.js";
import { PoeSwitch, catalystLogLine, type PoweredDevice } from "../poe.js";
import { PoeFrontEnd } from "../firmware.js";
import { Phone, factoryFlash } from "../phone.js";
import { deviceTiming } from "../device-time.js";
import { initialDelayValue, PREF, writePrefs } from "../prefs.js";
import type { Flash } from "../flash.js";
import { Ev, STAGES, type StageName } from "../events.js";
import type { UpgradeOutcome } from "../verdict.js";
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
  /** Start of the attempt on the CallManager in C.cm (StationRegister's TCP connect on). */
  cmSince: 13,
  /** µs lost on attempts that failed, per CallManager (CM1..CM3), and in the back-off after all failed. */
  cmLost: 14,
  allDownLost: 17,
  allDownSince: 18,
  /** The last DHCP request sent and not answered yet, and the µs lost waiting for answers that never came. */
  dhcpPending: 19,
  dhcpLost: 20,
  /** The first RegisterAck: the CallManager's answer to StationRegister (the station set-up follows). */
  regAcked: 21,
} as const;
export const MILESTONES = 22;
/** Per-phone counts. */
export const C = {
  discovers: 0, transfers: 1, failovers: 2, upgraded: 3, regFailures: 4, resets: 5,
  /** The CallManager of the attempt under way (index + 1; 0: none). */
  cm: 6,
  /** DHCP requests that got no answer, and this phone's DHCP requests the uplink lost on the way up. */
  dhcpUnanswered: 7, dhcpUplinkLost: 8,
} as const;
export const COUNTS = 9;
/** Why a CallManager was left (REG_FAILURES codes 1..11), counted per CallManager. */
export const REG_REASONS = 12;

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
  /** Per CallManager, the attempts that failed by reason code (index cm * REG_REASONS + reason). */
  cmFailures: Uint32Array;
  /** Per phone: what the phone says of itself at the end. */
  phoneInfo: PhoneInfo[];
}

/** A phone at the end of the run, from its own report (host/verdict.ts). */
export interface PhoneInfo {
  ip: string | null;
  callmanager: string | null;
  load: string | null;
  /** True when the running load is the one its configuration names; null when no configuration named one (or dark). */
  loadReached: boolean | null;
  upgrade: UpgradeOutcome;
  upgradeReason: string | null;
  /** The stage it stopped in and the most specific cause seen there; null when registered (or dark). */
  failure: { stage: StageName; reason: string } | null;
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
  private readonly switchDelayUs: number;
  private busyUntilUs = 0;
  private seq = 0;
  private readonly loss: number;
  private readonly lossRandom: Random;
  private readonly denials = new Map<number, string[]>();
  private readonly deniedNow = new Set<number>();
  private readonly stats = { framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0, lostUp: 0 };
  private readonly cmFailures = new Uint32Array(3 * REG_REASONS);

  /** `total`: the partition's progress, which its cells keep up to date (so progress costs nothing per window). */
  constructor(private readonly scheduler: Scheduler, storm: StormPlan, plan: CellPlan, private readonly outbox: UplinkMessage[], readonly total: CellProgress) {
    this.index = plan.index;
    this.plan = plan;
    this.bitsPerSecond = storm.uplink.bitsPerSecond;
    this.latencyUs = storm.uplink.latencyUs;
    this.switchDelayUs = storm.switchDelayUs;
    this.loss = storm.loss;
    this.lossRandom = new Random(phoneSeed(storm.seed ^ 0x5eed_0001, plan.index));
    this.milestones = new Float64Array(plan.phones * MILESTONES).fill(NaN);
    this.counts = new Uint16Array(plan.phones * COUNTS);
    for (let i = 0; i < plan.phones; i++) {
      const base = i * MILESTONES;
      for (const col of [M.tftpBusy, M.cmLost, M.cmLost + 1, M.cmLost + 2, M.allDownLost, M.dhcpLost]) this.milestones[base + col] = 0;
    }

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
      const mac = phoneMac(n, storm.macBase);
      const phone = new Phone(scheduler, {
        mac, seed: phoneSeed(storm.seed, n), keepTimeline: false, flash: initialDelayFlash(mac, storm.dhcpInitialDelayMs),
        onFirmwareEvent: (code, a, b) => this.onFirmwareEvent(p, code, a, b),
        ...(storm.device ? { deviceTime: deviceTiming(storm.device.cpuMhz) } : {}),
      });
      const wire = new Wire(scheduler, { latencyUs: ACCESS_LINK_LATENCY_US });
      phone.connect(wire.attach(0, phone));
      this.sw.connect(p, wire, 1);
      this.sw.configurePort(p, { accessVlan: NATIVE_VLAN, voiceVlan: VOICE_VLAN });
      this.phones.push(phone);
      this.discovery.push(new PortDiscovery(scheduler, this.sw, p, { announce: "cdp", poe: this.poe, deviceId }));
    }
    this.sw.onLinkLocal = (port, frame) => this.discovery[port]?.receive(frame);
  }

  /** Called with each firmware event of each phone (its global index) after the cell has counted it: the real storm's tally. */
  observe: ((phone: number, code: number, a: number, b: number) => void) | null = null;

  /**
   * The power comes back, switch by switch (storm.switchDelayUs apart): every
   * PSE port of this switch starts detecting then, or (staggerUs) phone n
   * n * staggerUs later.
   */
  start(staggerUs = 0): void {
    const fe = new PortPd(PoeFrontEnd.dark());
    const baseUs = this.index * this.switchDelayUs;
    for (let p = 0; p < this.plan.phones; p++) {
      const atUs = baseUs + (this.plan.firstPhone + p) * staggerUs;
      if (atUs === 0) this.poe.plug(p, fe);
      else this.scheduler.at(this.scheduler.now + atUs, () => this.poe.plug(p, fe));
    }
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
    if (this.loss > 0 && this.lossRandom.next() < this.loss) { this.lostUp(frame); return; }
    this.outbox.push({ cell: this.index, up: true, atUs: done + this.latencyUs, seq: this.seq++, frame });
  }

  /** A frame the uplink lost on its way up: a phone's DHCP request is counted against that phone. */
  private lostUp(frame: Uint8Array): void {
    this.stats.lostUp++;
    const phone = dhcpClientOf(frame, 67) - this.plan.firstPhone;
    if (phone >= 0 && phone < this.plan.phones) this.counts[phone * COUNTS + C.dhcpUplinkLost]++;
  }

  private onPower(port: number, on: boolean): void {
    const phone = this.phones[port];
    if (!phone) return;
    if (!on) { phone.powerOff(); return; }
    this.total.powered++;
    if (this.deniedNow.delete(port)) this.total.denied--;
    this.milestones[port * MILESTONES + M.powered] = this.scheduler.now;
    phone.powerOn(() => this.discovery[port].start());
  }

  /** Milestones and counts, by the firmware's event codes. */
  private onFirmwareEvent(p: number, code: number, a: number, b: number): void {
    this.countEvent(p, code, a, b);
    this.observe?.(this.plan.firstPhone + p, code, a, b);
  }

  private countEvent(p: number, code: number, a: number, b: number): void {
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
        this.dhcpSent(base, c, t);
        break;
      case Ev.DhcpRequest:
        this.dhcpSent(base, c, t);
        break;
      case Ev.DhcpOffer: case Ev.DhcpNak:
        m[base + M.dhcpPending] = NaN;
        break;
      case Ev.DhcpAck:
        if (Number.isNaN(m[base + M.dhcpAck])) m[base + M.dhcpAck] = t;
        m[base + M.dhcpPending] = NaN;
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
      case Ev.SipRegister:
        if (Number.isNaN(m[base + M.regSent])) m[base + M.regSent] = t;
        break;
      case Ev.RegAck:
        if (Number.isNaN(m[base + M.regAcked])) m[base + M.regAcked] = t;
        break;
      case Ev.RegRegistered:
        if (Number.isNaN(m[base + M.registered])) { m[base + M.registered] = t; this.total.registered++; }
        this.counts[c + C.cm] = 0;
        break;
      case Ev.RegConnecting:
        if (!Number.isNaN(m[base + M.registered])) break;
        this.closeAttempt(base, c, t);
        this.closeAllDown(base, t);
        m[base + M.cmSince] = t;
        this.counts[c + C.cm] = (b & 0xff) + 1;
        break;
      case Ev.RegAllDown:
        if (Number.isNaN(m[base + M.allDownSince])) m[base + M.allDownSince] = t;
        break;
      case Ev.RegFailover: this.counts[c + C.failovers]++; break;
      case Ev.RegFailed:
        this.counts[c + C.regFailures]++;
        if (a >= 0 && a < 3 && b > 0 && b < REG_REASONS) this.cmFailures[a * REG_REASONS + b]++;
        this.closeAttempt(base, c, t);
        break;
      case Ev.UpgradeReady: this.counts[c + C.upgraded]++; break;
      case Ev.RegReset: this.counts[c + C.resets]++; break;
    }
  }

  /** A DHCP request goes out: one still unanswered is time lost (the phone's retransmission timer ran out). */
  private dhcpSent(base: number, c: number, t: number): void {
    const m = this.milestones;
    if (!Number.isNaN(m[base + M.dhcpPending])) {
      m[base + M.dhcpLost] += t - m[base + M.dhcpPending];
      this.counts[c + C.dhcpUnanswered]++;
    }
    m[base + M.dhcpPending] = t;
  }

  /** The attempt on the current CallManager failed: its time is charged to that CallManager. */
  private closeAttempt(base: number, c: number, t: number): void {
    const cm = this.counts[c + C.cm] - 1;
    if (cm < 0) return;
    this.milestones[base + M.cmLost + cm] += t - this.milestones[base + M.cmSince];
    this.counts[c + C.cm] = 0;
  }

  private closeAllDown(base: number, t: number): void {
    const since = this.milestones[base + M.allDownSince];
    if (Number.isNaN(since)) return;
    this.milestones[base + M.allDownLost] += t - since;
    this.milestones[base + M.allDownSince] = NaN;
  }

  /** What each phone says of itself at the end: address, CallManager, load, upgrade, failure. */
  private phoneInfo(): PhoneInfo[] {
    return this.phones.map((phone, p) => {
      if (Number.isNaN(this.milestones[p * MILESTONES + M.powered])) {
        return { ip: null, callmanager: null, load: null, loadReached: null, upgrade: "none" as UpgradeOutcome, upgradeReason: null, failure: null };
      }
      const r = phone.report();
      const stage = r.stage;
      const failure = r.registered ? null : { stage, reason: r.causes[stage] ?? `did not get through stage ${stage}` };
      return { ip: r.ip, callmanager: r.callmanager, load: r.firmware.load, loadReached: r.firmware.load_reached, upgrade: r.firmware.upgrade.outcome, upgradeReason: r.firmware.upgrade.reason, failure };
    });
  }

  /** Attempts and back-offs still under way when the run ends count as lost up to now. */
  private closeOpenAccounts(): void {
    const t = this.scheduler.now;
    for (let p = 0; p < this.plan.phones; p++) {
      const base = p * MILESTONES;
      if (!Number.isNaN(this.milestones[base + M.registered])) continue;
      this.closeAttempt(base, p * COUNTS, t);
      this.closeAllDown(base, t);
    }
  }

  result(): CellResult {
    this.closeOpenAccounts();
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
      ...this.stats, flooded: this.sw.stats.flooded, cmFailures: this.cmFailures, phoneInfo: this.phoneInfo(),
    };
  }
}

/**
 * The storm phone (global index) whose DHCP message this tagged frame
 * carries, or -1: UDP to `port` (67: a client's request, 68: an answer to
 * it), the phone found by its MAC (phoneMac: 00:1b:54 and 0x100000 + index)
 * in chaddr. Read only for the frames an uplink loses.
 */
export function dhcpClientOf(frame: Uint8Array, port: number): number {
  const l3 = 18;
  if (frame.length < l3 + 20 + 8 + 34 || frame[12] !== 0x81 || frame[13] !== 0x00 || frame[16] !== 0x08 || frame[17] !== 0x00) return -1;
  const ihl = (frame[l3] & 0x0f) * 4;
  const udp = l3 + ihl;
  if (frame[l3 + 9] !== 17 || frame.length < udp + 8 + 34 || ((frame[udp + 2] << 8) | frame[udp + 3]) !== port) return -1;
  const chaddr = udp + 8 + 28;
  if (frame[chaddr] !== 0x00 || frame[chaddr + 1] !== 0x1b || frame[chaddr + 2] !== 0x54) return -1;
  return ((frame[chaddr + 3] << 16) | (frame[chaddr + 4] << 8) | frame[chaddr + 5]) - 0x100000;
}

/** A factory flash whose preferences set RFC 2131's initial DHCP wait (undefined: the phone's own flash and its 1..10 s). */
export function initialDelayFlash(mac: string, delay: { min: number; max: number } | undefined): Flash | undefined {
  if (delay === undefined) return undefined;
  const flash = factoryFlash(mac);
  writePrefs(flash, [{ key: PREF.DhcpInitialDelay, value: initialDelayValue(delay.min, delay.max) }]);
  return flash;
}
