// A phone as a device: flash with factory data, the bootloader, the
// application firmware, and its Ethernet port. It runs on any Clock: the
// simulation's virtual one or real time, and sends through any link.
import { BootFirmware, BOOT_WASM, loadImageModule, loadModule, PhoneFirmware, PHONE_WASM, type Hal } from "./firmware.js";
import { Flash, PowerCut } from "./flash.js";
import { writeFactory } from "./factory.js";
import { bootErrorText, devImage, devKey, flashImage, keyHashOf, slotName } from "./image.js";
import { describeEvent, Ev, STAGES, VLAN_SOURCES, type StageName, type TimelineEntry } from "./events.js";
import { summarizeCounters } from "./counters.js";
import type { Nic, WirePort } from "./sim/wire.js";
import type { Timer } from "./sim/scheduler.js";
import { ipToString } from "./sim/packets.js";
import { Random } from "./sim/random.js";

/** Time in µs and timers: the simulation's Scheduler, or a real-time clock. */
export interface Clock {
  readonly now: number;
  at(tUs: number, fn: () => void): Timer;
  cancel(timer: Timer): void;
}

export interface PhoneOptions {
  mac: string;
  /** Seeds the phone's random numbers (xids, backoff jitter, ARP probe waits). */
  seed: number;
  /** Slot A of a new flash holds this module as a signed image (default build/phone.wasm). */
  phoneWasm?: string;
  bootWasm?: string;
  /** The phone's flash; without one, a new flash gets factory data and a signed image in slot A. */
  flash?: Flash;
  /** Keep every entry in `timeline` (default true). A storm of thousands of phones reads onEvent instead and keeps none. */
  keepTimeline?: boolean;
  /** Called with each timeline entry as it happens. */
  onEvent?: (e: TimelineEntry) => void;
}

const CALLMANAGER_NAMES = ["CM1", "CM2", "CM3"];

export interface PhoneReport {
  registered: boolean;
  /** The CallManager it is registered with: CM1 is the highest priority in its configuration. */
  callmanager: string | null;
  /** The status line on the phone's display. */
  lcd: string;
  stage: StageName;
  mac: string;
  ip: string | null;
  mask: string | null;
  router: string | null;
  dns: string[];
  tftp_servers: string[];
  tftp_server_name: string | null;
  domain: string | null;
  vlan: number | null;
  /** Which protocol gave the voice VLAN: "cdp" or "lldp"; null when untagged. */
  vlan_source: string | null;
  bound: boolean;
  timeline: TimelineEntry[];
  counters: ReturnType<typeof summarizeCounters> & { all: Record<string, number> };
}

/** What the bootloader started. */
export interface BootedImage {
  slot: number;
  load: string;
  /** A new image's first start: it must confirm itself or the next boot reverts it. */
  trial: boolean;
}

export class Phone implements Nic {
  readonly flash: Flash;
  readonly timeline: TimelineEntry[] = [];
  private firmware: PhoneFirmware | null = null;
  private port: WirePort | null = null;
  private timer: Timer | null = null;
  private readonly random: Random;
  private readonly lease = { ip: null as string | null, mask: null as string | null, router: null as string | null, dns: [] as string[], tftp: [] as string[], tftpName: null as string | null, domain: null as string | null };
  private bound = false;
  private registered: { cm: number } | null = null;
  /** What the phone's display shows. */
  lcd = "";
  private vlan: { id: number; source: string } | null = null;
  private stageReached = 0;
  /** The image running, as the bootloader reported it; null while dark. */
  image: BootedImage | null = null;
  /** Starts of the firmware since power-on, resets included. */
  boots = 0;
  private resetPending = false;

  constructor(private readonly clock: Clock, readonly options: PhoneOptions) {
    this.random = new Random(options.seed);
    this.flash = options.flash ?? new Flash();
    if (!options.flash) {
      // As the factory leaves it: the development key's hash in factory data,
      // and slot A holding the phone firmware signed with that key (confirmed).
      writeFactory(this.flash, { mac: options.mac, keyHash: keyHashOf(devKey()) });
      flashImage(this.flash, 0, devImage(options.phoneWasm ?? PHONE_WASM), { shared: true });
    }
  }

  connect(port: WirePort): void {
    this.port = port;
  }

  get nowMs(): number {
    return Math.floor(this.clock.now / 1000);
  }

  /** The last stage this boot of the firmware reached. */
  get stage(): StageName {
    return STAGES[this.stageReached];
  }

  /** An export of the running firmware (tests ask a build what it is); undefined when dark. */
  firmwareExport(name: string): unknown {
    return this.firmware?.instance.exports[name];
  }

  get isRegistered(): boolean {
    return this.registered !== null;
  }

  get isBound(): boolean {
    return this.bound;
  }

  /** Power comes on: run the bootloader, then start the firmware it chose. */
  powerOn(): boolean {
    this.record({ t_ms: this.nowMs, stage: "power", event: "on", detail: "" });
    return this.boot(true);
  }

  // ---- boot path (issue 6): boot.wasm picks a slot, its WebAssembly runs.

  /** Runs boot.wasm, then instantiates the WebAssembly in the slot it chose. */
  private boot(retry: boolean): boolean {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
    this.firmware = null;
    this.image = null;
    let bootFw: BootFirmware | null = null;
    const chosen = { load: "", trial: false };
    const hal: Hal = {
      ...this.hal(),
      event: (code, a, b) => {
        const text = (p: number, n: number) => bootFw?.text(p, n) ?? "";
        if (code === Ev.BootLoad) chosen.load = text(a, b);
        else if (code === Ev.BootImage) chosen.trial = b !== 0;
        else this.record(describeEvent(this.nowMs, code, a, b, text));
      },
    };
    bootFw = new BootFirmware(loadModule(this.options.bootWasm ?? BOOT_WASM), hal);
    const slot = bootFw.boot();
    if (slot < 0) {
      this.record({ t_ms: this.nowMs, stage: "boot", event: "failed", detail: `bootloader error ${slot}: ${bootErrorText(slot)}` });
      return false;
    }
    const { addr, size } = bootFw.image();
    try {
      this.firmware = new PhoneFirmware(loadImageModule(this.flash, addr, size).module, this.hal());
    } catch (e) {
      if (e instanceof PowerCut) throw e;
      this.record({ t_ms: this.nowMs, stage: "boot", event: "failed", detail: `slot ${slotName(slot)}: the image does not start (${(e as Error).message})` });
      // A trial that cannot start is over: booting again reverts it.
      return chosen.trial && retry ? this.boot(false) : false;
    }
    this.image = { slot, load: chosen.load, trial: chosen.trial };
    this.boots++;
    this.record({ t_ms: this.nowMs, stage: "boot", event: "run", detail: `${chosen.load} from slot ${slotName(slot)} (${chosen.trial ? "trial" : "confirmed"})` });
    this.wake();
    return true;
  }

  /** hal.reset: once the firmware's current call returns, the bootloader runs again. */
  reset(reason: number): void {
    if (this.resetPending || !this.firmware) return;
    this.resetPending = true;
    this.firmware = null;
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
    this.clock.at(this.clock.now, () => {
      this.resetPending = false;
      this.bound = false;
      this.registered = null;
      this.vlan = null;
      this.stageReached = STAGES.indexOf("boot");
      this.record({ t_ms: this.nowMs, stage: "boot", event: "reset", detail: `requested by the firmware (reason ${reason})` });
      this.boot(true);
    });
  }

  receive(frame: Uint8Array): void {
    if (!this.firmware) return; // dark: no PHY powered
    this.firmware.onFrame(frame, this.nowMs);
    this.wake();
  }

  /** Power goes away: the firmware stops, its timer with it. */
  powerOff(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
    this.firmware = null;
  }

  setLink(up: boolean): void {
    if (!this.firmware) return;
    this.firmware.link(up, this.nowMs);
    this.wake();
  }

  private hal(): Hal {
    return {
      macTx: (frame) => { if (!this.resetPending) this.port?.send(frame); },
      event: (code, a, b) => this.onFirmwareEvent(code, a, b),
      random: () => this.random.nextU32(),
      flash: this.flash,
      log: (level, text) => this.record({ t_ms: this.nowMs, stage: STAGES[this.stageReached], event: "log", detail: `[${level}] ${text}` }),
      lcd: (text) => {
        this.lcd = text;
        this.record({ t_ms: this.nowMs, stage: STAGES[this.stageReached], event: "lcd", detail: text });
      },
      reset: (reason) => this.reset(reason),
    };
  }

  /** Polls the firmware and arms the timer for its next wake-up. */
  private wake(): void {
    const fw = this.firmware;
    if (!fw) return;
    const next = fw.poll(this.nowMs);
    const atUs = next === null ? null : Math.max(next * 1000, this.clock.now);
    if (this.timer && (atUs === null || this.timer.atUs !== atUs)) {
      this.clock.cancel(this.timer);
      this.timer = null;
    }
    if (atUs !== null && !this.timer) {
      this.timer = this.clock.at(atUs, () => {
        this.timer = null;
        this.wake();
      });
    }
  }

  private onFirmwareEvent(code: number, a: number, b: number): void {
    const entry = describeEvent(this.nowMs, code, a, b, (p, n) => this.firmware?.text(p, n) ?? "");
    this.noteLease(code, a, b);
    this.record(entry);
  }

  private noteLease(code: number, a: number, b: number): void {
    const l = this.lease;
    const addr = ipToString(a >>> 0);
    switch (code) {
      case Ev.DhcpBound:
        Object.assign(l, { ip: addr, mask: ipToString(b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0), router: null, dns: [], tftp: [], tftpName: null, domain: null });
        this.bound = true;
        break;
      case Ev.DhcpRouter: l.router = addr; break;
      case Ev.DhcpDns: l.dns.push(addr); break;
      case Ev.DhcpTftp: l.tftp.push(addr); break;
      case Ev.DhcpTftpName: l.tftpName = this.firmware?.text(a, b) ?? null; break;
      case Ev.DhcpDomain: l.domain = this.firmware?.text(a, b) ?? null; break;
      case Ev.DhcpExpired: case Ev.DhcpNak: case Ev.DhcpDecline: case Ev.LinkDown: this.bound = false; break;
      case Ev.RegRegistered: this.registered = { cm: a }; break;
      case Ev.RegFallback: this.registered = { cm: a }; break;
      case Ev.RegConnecting: case Ev.RegAllDown: case Ev.RegReset: case Ev.RegUnregistered: this.registered = null; break;
      case Ev.VlanLearned: this.vlan = { id: a, source: VLAN_SOURCES[b] ?? String(b) }; break;
      case Ev.VlanChanged: this.bound = false; if (a === 0) this.vlan = null; break;
    }
  }

  /** A timeline entry from outside the firmware (the switch's PoE, the host). */
  note(stage: StageName, event: string, detail: string): void {
    this.record({ t_ms: this.nowMs, stage, event, detail });
  }

  private record(e: TimelineEntry): void {
    const stage = STAGES.indexOf(e.stage);
    if (stage > this.stageReached) this.stageReached = stage;
    if (this.options.keepTimeline !== false) this.timeline.push(e);
    this.options.onEvent?.(e);
  }

  report(): PhoneReport {
    const all = this.firmware?.counters() ?? null;
    const summary = all ? summarizeCounters(all) : { frames_in: 0, frames_out: 0, accepted: 0, dropped: {} };
    const l = this.lease;
    return {
      registered: this.registered !== null,
      callmanager: this.registered ? CALLMANAGER_NAMES[this.registered.cm] ?? `CM${this.registered.cm + 1}` : null,
      lcd: this.lcd,
      stage: STAGES[this.stageReached],
      mac: this.options.mac.toLowerCase(),
      ip: l.ip,
      mask: l.mask,
      router: l.router,
      dns: l.dns,
      tftp_servers: l.tftp,
      tftp_server_name: l.tftpName,
      domain: l.domain,
      vlan: this.vlan?.id ?? null,
      vlan_source: this.vlan?.source ?? null,
      bound: this.bound,
      timeline: this.timeline,
      counters: { ...summary, all: all ?? {} },
    };
  }
}
