// The switch side of Power over Ethernet (the PSE), as a Catalyst access
// switch does it: Cisco pre-standard detection (the switch's Fast Link
// Pulses come back through an unpowered phone's relay), IEEE 802.3af/at
// detection (a 19-26.5 kOhm signature measured at 2.8-10 V) and
// classification (the current drawn at 14.5-20.5 V), a power budget with
// port priorities, the Catalyst's %ILPOWER log lines, and the CDP Power
// Requested / Power Available renegotiation after the phone boots.
//
// The powered device is anything with the PoweredDevice shape: the phone's
// firmware front end (PoeFrontEnd in host/firmware.ts, the poe_* exports of
// phone.wasm) or a synthetic one in tests. Figures are IEEE 802.3 clause 33:
// 33.2.5 PSE detection (Table 33-5), 33.2.6 classification (Table 33-10),
// 33.2.7 power (Table 33-11, class power at the PSE), Table 33-11 timing.
import { CdpTlv, type CdpTlvValue } from "./wire/cdp.js";
import type { Timer } from "./sim/scheduler.js";

/** What a PSE can observe of the device on its port (the firmware's poe_* exports). */
export interface PoweredDevice {
  /** True while the device's relay loops the switch's Fast Link Pulses back (Cisco pre-standard). */
  flpLoopback(): boolean;
  /** The current (µA) the device draws with `mv` millivolts across it; the order of calls matters, as on a wire. */
  currentAt(mv: number): number;
  /** The PSE applied (true) or removed (false) its -48 V. */
  powerGood(on: boolean): void;
}

export type PoeMode = "cisco" | "ieee" | "both";
export type PoePriority = "low" | "high" | "critical";
/** Type 1: 802.3af (15.4 W a port); type 2: 802.3at (30 W, two-event classification). */
export type PseType = 1 | 2;
export type PdClass = 0 | 1 | 2 | 3 | 4;

// ---------------------------------------------------------------- IEEE detection

/** The two probe voltages (mV): inside 2.8-10 V and at least 1 V apart (33.2.5.1, Table 33-5). */
export const DETECT_MV: readonly [number, number] = [4_000, 9_000];

/**
 * Table 33-5 (33.2.5.2): a PSE shall accept 19-26.5 kOhm and shall reject
 * below 15 kOhm and above 33 kOhm; between those it may do either. A
 * Catalyst, like most PSEs, rejects there: so do we.
 */
export const SIGNATURE_OHMS = { acceptMin: 19_000, acceptMax: 26_500, rejectBelow: 15_000, rejectAbove: 33_000 } as const;

/** valid; low/high: the standard's reject zones; grey-low/grey-high: "may accept", rejected here; open: no current. */
export type SignatureZone = "valid" | "low" | "grey-low" | "grey-high" | "high" | "open";

export interface Detection {
  valid: boolean;
  /** ΔV/ΔI, to the ohm (Infinity for an open port). */
  ohms: number;
  zone: SignatureZone;
}

/** Accept or reject a measured signature resistance. */
export function judgeSignature(ohms: number): Detection {
  const r = Number.isFinite(ohms) ? Math.round(ohms) : Infinity;
  const S = SIGNATURE_OHMS;
  const zone: SignatureZone =
    !Number.isFinite(r) ? "open"
    : r < S.rejectBelow ? "low"
    : r < S.acceptMin ? "grey-low"
    : r <= S.acceptMax ? "valid"
    : r <= S.rejectAbove ? "grey-high"
    : "high";
  return { valid: zone === "valid", ohms: r, zone };
}

/**
 * IEEE detection: the port rests at 0 V (the PD forgets any earlier class
 * event), then two probe voltages; the resistance is ΔV/ΔI, so the PD's
 * diode-bridge offset cancels out, which is why the standard asks for two
 * points.
 */
export function ieeeDetect(pd: PoweredDevice): Detection {
  pd.currentAt(0);
  const [v1, v2] = DETECT_MV;
  const di = pd.currentAt(v2) - pd.currentAt(v1);
  // No change in current: an open port. Less current at the higher voltage: nothing a resistor does.
  return judgeSignature(di === 0 ? Infinity : di < 0 ? 0 : ((v2 - v1) * 1000) / di);
}

// ---------------------------------------------------------------- classification

/** The classification voltage (mV): the middle of 14.5-20.5 V. */
export const CLASS_MV = 17_500;
/** The mark voltage between the two events of 802.3at classification: inside 6.9-10 V. */
export const MARK_MV = 8_500;

/**
 * The class of a measured class current (µA), Table 33-10: 0-5 mA class 0,
 * 8-13 class 1, 16-21 class 2, 25-31 class 3, 35-45 class 4. In the bands
 * between ("class 0 or 1", ... "4 or 0" at 45-51 mA) the PSE may choose:
 * we take the class with more power, so a PD is never under-budgeted.
 * Over 51 mA there is no valid class: treated as class 0, the default.
 */
export function classOfCurrent(ua: number): PdClass {
  if (ua < 8_000) return 0;
  if (ua <= 13_000) return 1;
  if (ua <= 21_000) return 2;
  if (ua <= 31_000) return 3;
  if (ua <= 51_000) return 4;
  return 0;
}

/** Power a PSE allocates per class (mW, at the PSE: 33.2.7): 0 and 3 15.4 W, 1 4.0 W, 2 7.0 W, 4 30 W. */
export const CLASS_POWER_MW: readonly number[] = [15_400, 4_000, 7_000, 15_400, 30_000];

/** What a PSE of `type` allocates to `cls`: a type 1 PSE treats class 4 (reserved in 802.3af) as class 0. */
export function classPowerMw(cls: PdClass, type: PseType = 2): number {
  return type === 1 && cls === 4 ? CLASS_POWER_MW[0] : CLASS_POWER_MW[cls];
}

export interface Classification {
  cls: PdClass;
  /** 2 for an 802.3at two-event classification (a type 2 PSE and a class 4 PD), else 1. */
  events: number;
  /** The current of the last class event, µA. */
  ua: number;
}

/** Classification right after a valid detection. */
export function classify(pd: PoweredDevice, type: PseType = 2): Classification {
  let ua = pd.currentAt(CLASS_MV);
  let cls = classOfCurrent(ua);
  if (type === 2 && cls === 4) {
    pd.currentAt(MARK_MV);
    ua = pd.currentAt(CLASS_MV);
    cls = classOfCurrent(ua);
    return { cls, events: 2, ua };
  }
  return { cls, events: 1, ua };
}

// ---------------------------------------------------------------- timing

/**
 * How long power-up takes on a port (ms). Table 33-11 bounds detection
 * (T_det, at most 500 ms), classification (T_pdc, 10-75 ms; a mark event
 * T_ME1 6-12 ms) and power-on after a valid detection (T_pon, at most
 * 400 ms). A Catalyst 3750's log shows about 340 ms from
 * "%ILPOWER-7-DETECT" to "%ILPOWER-5-POWER_GRANTED"; classification plus
 * power-on here add up to that.
 */
export interface PoeTiming {
  detectMs: number;
  ciscoDetectMs: number;
  classMs: number;
  markMs: number;
  powerOnMs: number;
}

export const POE_TIMING: Readonly<PoeTiming> = { detectMs: 250, ciscoDetectMs: 250, classMs: 20, markMs: 10, powerOnMs: 320 };

/** Plug-in to power for a device found by `how` (ms): IEEE class 0-3 590, class 4 on a type 2 PSE 620, Cisco 570. */
export function powerUpMs(how: "ieee" | "ieee-2event" | "cisco", t: PoeTiming = POE_TIMING): number {
  if (how === "cisco") return t.ciscoDetectMs + t.powerOnMs;
  const cls = how === "ieee-2event" ? 2 * t.classMs + t.markMs : t.classMs;
  return t.detectMs + cls + t.powerOnMs;
}

// ---------------------------------------------------------------- the switch

/** Like host/phone.ts's Clock: the simulation's Scheduler (µs). */
export interface PoeClock {
  readonly now: number;
  at(tUs: number, fn: () => void): Timer;
  cancel(timer: Timer): void;
}

export interface PoePortConfig {
  /** `power inline port priority`; default low. */
  priority?: PoePriority;
  /**
   * `power inline auto max` (mW): what a Cisco pre-standard PD gets before
   * CDP (at most 15.4 W) and the ceiling of CDP requests. Default 15.4 W on
   * a type 1 PSE, 30 W on a type 2.
   */
  maxMw?: number;
  /** `power inline auto` or `power inline never` (no detection at all). */
  admin?: "auto" | "never";
}

export interface PoeSwitchOptions {
  clock: PoeClock;
  /** The power the switch can give its ports (mW); a WS-C3560-48PS has 370 W. */
  budgetMw: number;
  /** Ports: a count (all default) or one config each. */
  ports: number | PoePortConfig[];
  /** Which detections the switch runs (default "both": IEEE first, then Cisco's FLP loopback). */
  mode?: PoeMode;
  pseType?: PseType;
  timing?: Partial<PoeTiming>;
  /** The interface name in log lines (default Fa0/<port + 1>, as host/sim/discovery.ts names them). */
  ifName?: (port: number) => string;
  /** Power applied (true) or removed (false) on a port: the device behind it starts or goes dark. */
  onPower?: (port: number, on: boolean) => void;
  /** Every log line as it happens. */
  onLog?: (entry: PoeLogEntry) => void;
}

export type PoeOper = "off" | "detecting" | "powering" | "on" | "power-deny";

export interface PoeLogEntry {
  tMs: number;
  port: number;
  kind: "detect" | "granted" | "denied" | "removed";
  /** The Catalyst message, e.g. "%ILPOWER-5-POWER_GRANTED: Interface Fa0/1: Power granted". */
  text: string;
}

export interface PoePortStatus {
  port: number;
  admin: "auto" | "never";
  oper: PoeOper;
  priority: PoePriority;
  maxMw: number;
  /** How the device was found; null before (or without) a detection. */
  device: "ieee" | "cisco" | null;
  cls: PdClass | null;
  allocatedMw: number;
  /** The last IEEE detection's verdict, null before one. */
  signature: Detection | null;
  /** When the device was plugged and when it got power (ms); null when it has not. */
  pluggedAtMs: number | null;
  poweredAtMs: number | null;
}

/** The CDP Power Requested TLV (0x19) as the switch received it. */
export interface CdpPowerRequest {
  requestId: number;
  managementId?: number;
  requestedMw: number;
  /** The device's platform (CDP 0x06), shown by showPowerInline(). */
  device?: string;
}

/** What the switch puts in its CDP Power Available TLV (0x1a). */
export interface CdpPowerAvailable {
  /** Echoes the request being answered (0 before any). */
  requestId: number;
  /** The switch's power-management id for the port, bumped when the allocation changes. */
  managementId: number;
  availableMw: number;
  /** The port's maximum (`power inline auto max`). */
  maxMw: number;
}

/** The 0x1a TLV: request id, management id (16 bits each), then available and maximum (32 bits, mW). */
export function powerAvailableTlv(pa: CdpPowerAvailable): CdpTlvValue {
  const v = new Uint8Array(12);
  const d = new DataView(v.buffer);
  d.setUint16(0, pa.requestId & 0xffff);
  d.setUint16(2, pa.managementId & 0xffff);
  d.setUint32(4, pa.availableMw >>> 0);
  d.setUint32(8, pa.maxMw >>> 0);
  return { type: CdpTlv.PowerAvailable, value: v };
}

const RANK: Record<PoePriority, number> = { critical: 0, high: 1, low: 2 };

interface Port {
  index: number;
  admin: "auto" | "never";
  priority: PoePriority;
  maxMw: number;
  pd: PoweredDevice | null;
  oper: PoeOper;
  device: "ieee" | "cisco" | null;
  cls: PdClass | null;
  wantMw: number;
  allocatedMw: number;
  signature: Detection | null;
  timer: Timer | null;
  pluggedAtMs: number | null;
  poweredAtMs: number | null;
  managementId: number;
  requestId: number;
  deviceName: string | null;
}

/**
 * A PoE switch: per-port detection, classification and power-on in the
 * clock's time, one budget for all ports. Requests that arrive at the same
 * instant (a whole building powering up) are granted in priority order
 * (critical, high, low), then port order; later ones first come, first
 * served. A refused port stays dark and is powered when budget frees up.
 */
export class PoeSwitch {
  readonly budgetMw: number;
  readonly mode: PoeMode;
  readonly pseType: PseType;
  readonly timing: Readonly<PoeTiming>;
  readonly log: PoeLogEntry[] = [];
  onPower: ((port: number, on: boolean) => void) | null;
  private readonly clock: PoeClock;
  private readonly ports: Port[];
  private readonly ifName: (port: number) => string;
  private readonly onLog: ((entry: PoeLogEntry) => void) | null;
  private pending: Port[] = [];
  private passScheduled = false;

  constructor(opts: PoeSwitchOptions) {
    if (!Number.isFinite(opts.budgetMw) || opts.budgetMw < 0) throw new RangeError(`PoeSwitch: budgetMw must be >= 0, got ${opts.budgetMw}`);
    this.clock = opts.clock;
    this.budgetMw = opts.budgetMw;
    this.mode = opts.mode ?? "both";
    this.pseType = opts.pseType ?? 2;
    this.timing = { ...POE_TIMING, ...opts.timing };
    this.ifName = opts.ifName ?? ((p) => `Fa0/${p + 1}`);
    this.onPower = opts.onPower ?? null;
    this.onLog = opts.onLog ?? null;
    const configs: PoePortConfig[] = typeof opts.ports === "number" ? Array.from({ length: opts.ports }, () => ({})) : opts.ports;
    const defaultMax = this.pseType === 1 ? 15_400 : 30_000;
    this.ports = configs.map((c, index) => ({
      index, admin: c.admin ?? "auto", priority: c.priority ?? "low", maxMw: c.maxMw ?? defaultMax,
      pd: null, oper: "off", device: null, cls: null, wantMw: 0, allocatedMw: 0, signature: null, timer: null,
      pluggedAtMs: null, poweredAtMs: null, managementId: 0, requestId: 0, deviceName: null,
    }));
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** Power allocated to ports (on, or being powered). */
  get usedMw(): number {
    return this.ports.reduce((n, p) => n + p.allocatedMw, 0);
  }

  get remainingMw(): number {
    return this.budgetMw - this.usedMw;
  }

  /** A device is plugged into `port` (or is there when the switch starts): detection begins now. */
  plug(port: number, pd: PoweredDevice): void {
    const p = this.port(port);
    if (p.pd) this.unplug(port);
    p.pd = pd;
    p.pluggedAtMs = this.nowMs;
    if (p.admin === "never") return;
    p.oper = "detecting";
    if (this.mode === "cisco") this.after(p, this.timing.ciscoDetectMs, () => this.ciscoDetected(p));
    else this.after(p, this.timing.detectMs, () => this.ieeeDetected(p));
  }

  /** The device is unplugged: its power is removed and given to refused ports. */
  unplug(port: number): void {
    const p = this.port(port);
    if (!p.pd) return;
    const wasOn = p.oper === "on";
    this.stop(p);
    if (wasOn) this.emit(p, "removed", `%ILPOWER-5-IEEE_DISCONNECT: Interface ${this.ifName(p.index)}: PD removed`);
    p.pd = null;
    p.pluggedAtMs = null;
    p.signature = null;
    this.retryDenied();
  }

  /** `power inline port priority`: takes effect at the next allocation. */
  setPriority(port: number, priority: PoePriority): void {
    this.port(port).priority = priority;
  }

  status(port: number): PoePortStatus {
    const p = this.port(port);
    return {
      port: p.index, admin: p.admin, oper: p.oper, priority: p.priority, maxMw: p.maxMw, device: p.device, cls: p.cls,
      allocatedMw: p.allocatedMw, signature: p.signature, pluggedAtMs: p.pluggedAtMs, poweredAtMs: p.poweredAtMs,
    };
  }

  /**
   * The switch received the device's CDP Power Requested (0x19): lowers the
   * allocation to the request, or raises it when the port's maximum and the
   * budget allow (else keeps it). Returns what its CDP reply's Power
   * Available (0x1a) carries, or null when the port is not powered.
   */
  cdpPowerRequest(port: number, req: CdpPowerRequest): CdpPowerAvailable | null {
    const p = this.port(port);
    if (p.oper !== "on" && p.oper !== "powering") return null;
    p.requestId = req.requestId & 0xffff;
    if (req.device) p.deviceName = req.device;
    const want = Math.max(0, Math.round(req.requestedMw));
    const old = p.allocatedMw;
    if (want > 0 && want < old) p.allocatedMw = want;
    else if (want > old && want <= p.maxMw && want - old <= this.remainingMw) p.allocatedMw = want;
    if (p.allocatedMw !== old) {
      p.managementId = (p.managementId + 1) & 0xffff;
      if (p.allocatedMw < old) this.retryDenied();
    }
    return this.cdpPowerAvailable(port);
  }

  /** The Power Available the switch announces on a powered port (in every CDP frame it sends there); null when unpowered. */
  cdpPowerAvailable(port: number): CdpPowerAvailable | null {
    const p = this.port(port);
    if (p.oper !== "on" && p.oper !== "powering") return null;
    return { requestId: p.requestId, managementId: p.managementId, availableMw: p.allocatedMw, maxMw: p.maxMw };
  }

  /** `show power inline`, as a Catalyst prints it. */
  showPowerInline(): string {
    const w = (mw: number) => (mw / 1000).toFixed(1);
    const lines = [
      `Available:${w(this.budgetMw)}(w)  Used:${w(this.usedMw)}(w)  Remaining:${w(this.remainingMw)}(w)`,
      "",
      "Interface Admin  Oper       Power   Device              Class Max",
      "                            (Watts)",
      "--------- ------ ---------- ------- ------------------- ----- ----",
    ];
    for (const p of this.ports) {
      const oper = p.oper === "on" || p.oper === "power-deny" ? p.oper : "off";
      const device = p.oper === "on" ? (p.deviceName ?? (p.device === "ieee" ? "Ieee PD" : "Cisco PD")) : "n/a";
      const cls = p.oper === "on" && p.device === "ieee" && p.cls !== null ? String(p.cls) : "n/a";
      lines.push(
        `${this.ifName(p.index).padEnd(9)} ${p.admin.padEnd(6)} ${oper.padEnd(10)} ${w(p.oper === "on" ? p.allocatedMw : 0).padEnd(7)} ` +
        `${device.slice(0, 19).padEnd(19)} ${cls.padEnd(5)} ${w(p.maxMw)}`,
      );
    }
    return lines.join("\n");
  }

  // ---- the state machine

  private get nowMs(): number {
    return Math.floor(this.clock.now / 1000);
  }

  private port(port: number): Port {
    const p = this.ports[port];
    if (!Number.isInteger(port) || !p) throw new RangeError(`PoeSwitch: no port ${port} (0..${this.ports.length - 1})`);
    return p;
  }

  private after(p: Port, ms: number, fn: () => void): void {
    p.timer = this.clock.at(this.clock.now + Math.round(ms * 1000), () => {
      p.timer = null;
      fn();
    });
  }

  private ieeeDetected(p: Port): void {
    const pd = p.pd!;
    p.signature = ieeeDetect(pd);
    if (!p.signature.valid) {
      if (this.mode === "both") this.after(p, this.timing.ciscoDetectMs, () => this.ciscoDetected(p));
      else p.oper = "off";
      return;
    }
    p.device = "ieee";
    this.emit(p, "detect", `%ILPOWER-7-DETECT: Interface ${this.ifName(p.index)}: Power Device detected: IEEE PD`);
    const c = classify(pd, this.pseType);
    const ms = c.events === 2 ? 2 * this.timing.classMs + this.timing.markMs : this.timing.classMs;
    this.after(p, ms, () => {
      p.cls = c.cls;
      this.request(p, classPowerMw(c.cls, this.pseType));
    });
  }

  private ciscoDetected(p: Port): void {
    if (!p.pd!.flpLoopback()) {
      p.oper = "off";
      return;
    }
    p.device = "cisco";
    this.emit(p, "detect", `%ILPOWER-7-DETECT: Interface ${this.ifName(p.index)}: Power Device detected: Cisco PD`);
    // The switch cannot know what a pre-standard device needs until CDP tells it: the default allocation.
    this.request(p, Math.min(15_400, p.maxMw));
  }

  /** Queues a port for the allocation pass at this instant. */
  private request(p: Port, mw: number): void {
    p.wantMw = mw;
    this.pending.push(p);
    if (this.passScheduled) return;
    this.passScheduled = true;
    // Every detection finishing at this same instant runs before the pass (the clock runs same-time events in order).
    this.clock.at(this.clock.now, () => {
      this.passScheduled = false;
      const batch = this.pending;
      this.pending = [];
      this.allocate(batch, true);
    });
  }

  /** Grants in priority order, then port order, while the budget lasts. */
  private allocate(batch: Port[], logDenials: boolean): void {
    batch.sort((a, b) => RANK[a.priority] - RANK[b.priority] || a.index - b.index);
    for (const p of batch) {
      if (!p.pd) continue;
      if (p.wantMw <= this.remainingMw) {
        p.allocatedMw = p.wantMw;
        p.managementId = 1;
        p.requestId = 0;
        p.oper = "powering";
        this.after(p, this.timing.powerOnMs, () => this.powerOn(p));
      } else {
        const already = p.oper === "power-deny";
        p.oper = "power-deny";
        if (logDenials || !already) {
          this.emit(p, "denied", `%ILPOWER-5-ILPOWER_POWER_DENY: Interface ${this.ifName(p.index)}: inline power denied. Reason: insufficient power`);
        }
      }
    }
  }

  private powerOn(p: Port): void {
    p.oper = "on";
    p.poweredAtMs = this.nowMs;
    p.pd!.powerGood(true);
    this.emit(p, "granted", `%ILPOWER-5-POWER_GRANTED: Interface ${this.ifName(p.index)}: Power granted`);
    this.onPower?.(p.index, true);
  }

  /** Refused ports get power freed by an unplug or a lower CDP request (a Catalyst retries them on its next detection cycle). */
  private retryDenied(): void {
    const denied = this.ports.filter((p) => p.oper === "power-deny" && p.pd);
    if (denied.length) this.allocate(denied, false);
  }

  /** Back to no device: timers cancelled, power removed. */
  private stop(p: Port): void {
    if (p.timer) this.clock.cancel(p.timer);
    p.timer = null;
    this.pending = this.pending.filter((q) => q !== p);
    const wasOn = p.oper === "on";
    p.oper = "off";
    p.allocatedMw = 0;
    p.device = null;
    p.cls = null;
    p.poweredAtMs = null;
    p.deviceName = null;
    if (wasOn) {
      p.pd?.powerGood(false);
      this.onPower?.(p.index, false);
    }
  }

  private emit(p: Port, kind: PoeLogEntry["kind"], text: string): void {
    const entry: PoeLogEntry = { tMs: this.nowMs, port: p.index, kind, text };
    this.log.push(entry);
    this.onLog?.(entry);
  }
}

/** A log entry as a Catalyst without a clock prints it: "*Mar  1 00:00:00.590: %ILPOWER-...". */
export function catalystLogLine(e: PoeLogEntry): string {
  const ms = Math.max(0, Math.floor(e.tMs));
  const day = 1 + Math.floor(ms / 86_400_000);
  const t = new Date(ms % 86_400_000);
  const hh = String(t.getUTCHours()).padStart(2, "0");
  const mm = String(t.getUTCMinutes()).padStart(2, "0");
  const ss = String(t.getUTCSeconds()).padStart(2, "0");
  const mmm = String(t.getUTCMilliseconds()).padStart(3, "0");
  return `*Mar ${String(day).padStart(2, " ")} ${hh}:${mm}:${ss}.${mmm}: ${e.text}`;
}
