// What a phone device is to the host, whichever engine runs its firmware:
// power, the boot sequence, resets, the wake-up timer, its Ethernet port, and
// the bookkeeping the host reads (lease, registration, VLAN, stage, timeline,
// display, report). Phone (host/phone.ts) runs the firmware in V8,
// NativePhone (host/device/native-phone.ts) in a wasm2c process; both must
// behave identically, so what they share lives only here.
import { bootErrorText, IMAGE_ERRORS, slotName } from "./image.js";
import { announcedVid, describeEvent, eventStage, Ev, STAGES, VLAN_SOURCES, type StageName, type TimelineEntry } from "./events.js";
import { summarizeCounters, type Counters } from "./counters.js";
import type { Nic, WirePort } from "./sim/wire.js";
import type { Timer } from "./sim/scheduler.js";
import { ipToString } from "./wire/address.js";
import type { BootedImage, Clock, PhoneOptions, PhoneReport } from "./phone.js";
import { VerdictTracker } from "./verdict.js";
import { AUTONEG_US, BOOT_INSTRUCTIONS, instructionsUs, verifyInstructions } from "./device-time.js";

const CALLMANAGER_NAMES = ["CM1", "CM2", "CM3"];
const REJECT_HASH = IMAGE_ERRORS.findIndex((e) => e.name === "hash");
const REJECT_SIGNATURE = IMAGE_ERRORS.findIndex((e) => e.name === "signature");

/** Reads a string out of the calling firmware's memory. */
export type TextReader = (ptr: number, len: number) => string;

/** An event from the firmware (hal.event), with a reader for its text arguments. */
export type FirmwareEvent = (code: number, a: number, b: number, text: TextReader) => void;

/** The application firmware while it runs, in whichever engine. */
export interface RunningFirmware {
  poll(nowMs: number): number | null;
  onFrame(frame: Uint8Array, nowMs: number): void;
  link(up: boolean, nowMs: number): void;
  counters(): Counters;
}

/** What the bootloader chose: a slot (negative: its error) and where the image is. */
export interface BootChoice {
  slot: number;
  addr: number;
  size: number;
}

export abstract class PhoneBase<F extends RunningFirmware> implements Nic {
  readonly timeline: TimelineEntry[] = [];
  /** What the phone's display shows. */
  lcd = "";
  /** The image running, as the bootloader reported it; null while dark. */
  image: BootedImage | null = null;
  /** The running image, started on trial, has confirmed itself (the firmware's ImageConfirmed). */
  private trialConfirmed = false;
  /** Starts of the firmware since power-on, resets included. */
  boots = 0;
  /** The running firmware; null while dark or resetting. */
  protected firmware: F | null = null;
  private port: WirePort | null = null;
  private timer: Timer | null = null;
  private readonly lease = { ip: null as string | null, mask: null as string | null, router: null as string | null, dns: [] as string[], tftp: [] as string[], tftpName: null as string | null, domain: null as string | null };
  private bound = false;
  private registered: { cm: number } | null = null;
  private vlan: { id: number; source: string } | null = null;
  private stageReached = 0;
  private resetPending = false;
  /** The firmware's start, while the bootloader's verify and the start itself take device time. */
  private pendingStart: Timer | null = null;
  /** The load, the upgrade and the most specific cause per stage, from the firmware's events. */
  private readonly verdict = new VerdictTracker();

  private readonly keepTimeline: boolean;
  /** No timeline kept and no onEvent: entries would be made for nobody. */
  protected readonly quiet: boolean;

  constructor(protected readonly clock: Clock, readonly options: PhoneOptions) {
    this.keepTimeline = options.keepTimeline !== false;
    this.quiet = !this.keepTimeline && options.onEvent === undefined;
  }

  /** Runs the bootloader, which reports the image it chose through `event`. */
  protected abstract runBootloader(event: FirmwareEvent): BootChoice;

  /** Starts the image at [addr, addr + size): the running firmware, or why it does not start. */
  protected abstract startImage(addr: number, size: number): F | string;

  /** Header and payload bytes of the image in `slot` (what the bootloader hashes), or 0 when unknown. */
  protected slotSignedBytes(_slot: number): number {
    return 0;
  }

  connect(port: WirePort): void {
    this.port = port;
  }

  /** The firmware's clock: whole milliseconds. */
  get nowMs(): number {
    return Math.floor(this.clock.now / 1000);
  }

  /** When things happen, for the timeline: ms to the µs (the host's clock, finer than the firmware's). */
  get tMs(): number {
    return this.clock.now / 1000;
  }

  /** The last stage this boot of the firmware reached. */
  get stage(): StageName {
    return STAGES[this.stageReached];
  }

  get isRegistered(): boolean {
    return this.registered !== null;
  }

  /** A new image runs on trial and has not confirmed itself yet: stopping now (a power cut) would revert it. */
  get awaitingConfirm(): boolean {
    return this.image !== null && this.image.trial && !this.trialConfirmed;
  }

  get isBound(): boolean {
    return this.bound;
  }

  /**
   * Power comes on: run the bootloader, then start the firmware it chose.
   * With options.deviceTime the start comes when the verify, the start and
   * the PHY's auto-negotiation are done; `onLinkUp` (the switch's side of
   * the link) is called then, once the firmware runs. False when the
   * bootloader found nothing to start.
   */
  powerOn(onLinkUp?: () => void): boolean {
    this.record({ t_ms: this.tMs, stage: "power", event: "on", detail: "" });
    return this.boot(true, onLinkUp ?? null);
  }

  /** Power goes away: the firmware stops, its timer with it. */
  powerOff(): void {
    this.cancelTimer();
    this.cancelStart();
    this.firmware = null;
  }

  receive(frame: Uint8Array): void {
    if (!this.firmware) return; // dark: no PHY powered
    this.firmware.onFrame(frame, this.nowMs);
    this.wake();
  }

  /** A frame from a real link: the firmware answers it from onFrame; settle() polls once after a socket read. */
  receiveNow(frame: Uint8Array): void {
    this.firmware?.onFrame(frame, this.nowMs);
  }

  settle(): void {
    this.wake();
  }

  setLink(up: boolean): void {
    if (!this.firmware) return;
    this.firmware.link(up, this.nowMs);
    this.wake();
  }

  /** hal.reset: once the firmware's current call returns, the bootloader runs again. */
  reset(reason: number): void {
    if (this.resetPending || !this.firmware) return;
    this.resetPending = true;
    this.firmware = null;
    this.cancelTimer();
    this.clock.at(this.clock.now, () => {
      this.resetPending = false;
      this.bound = false;
      this.registered = null;
      this.vlan = null;
      this.stageReached = STAGES.indexOf("boot");
      this.record({ t_ms: this.tMs, stage: "boot", event: "reset", detail: `requested by the firmware (reason ${reason})` });
      this.boot(true, null);
    });
  }

  /** A timeline entry from outside the firmware (the switch's PoE, the host). */
  note(stage: StageName, event: string, detail: string): void {
    this.verdict.note(stage, event, detail);
    this.record({ t_ms: this.tMs, stage, event, detail });
  }

  /** The most specific cause of trouble the phone saw in `stage` since the firmware last started, or null. */
  causeOf(stage: StageName): string | null {
    return this.verdict.causeOf(stage);
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
      firmware: this.verdict.verdict(),
      causes: this.verdict.causesByStage(),
      timeline: this.timeline,
      counters: { ...summary, all: all ?? {} },
    };
  }

  // ---- what the running firmware calls (hal.macTx, event, log, lcd)

  protected transmit(frame: Uint8Array): void {
    if (!this.resetPending) this.port?.send(frame);
  }

  /** Once a reset has stopped the firmware, its text arguments read as empty. */
  protected firmwareEvent(code: number, a: number, b: number, text: TextReader): void {
    this.options.onFirmwareEvent?.(code, a, b);
    const read = (p: number, n: number): string | null => (this.firmware ? text(p, n) : null);
    // Nobody reads timeline entries (a storm's phones): only the stage is kept, no text is made.
    const entry = this.quiet ? null : describeEvent(this.tMs, code, a, b, (p, n) => read(p, n) ?? "");
    this.noteLease(code, a, b, read);
    this.verdict.event(code, a, b, (p, n) => read(p, n) ?? "");
    if (entry) this.record(entry);
    else this.reached(eventStage(code, a));
  }

  protected firmwareLog(level: number, text: string): void {
    if (this.options.firmwareLogs === false || this.quiet) return;
    this.record({ t_ms: this.tMs, stage: STAGES[this.stageReached], event: "log", detail: `[${level}] ${text}` });
  }

  protected showLcd(text: string): void {
    this.lcd = text;
    if (!this.quiet) this.record({ t_ms: this.tMs, stage: STAGES[this.stageReached], event: "lcd", detail: text });
  }

  // ---- boot path (issue 6): the bootloader picks a slot, its image runs.

  /** `onLinkUp`: a cold start's (power-on) switch side, told when the link is up; null on a reset (the link stays up). */
  private boot(retry: boolean, onLinkUp: (() => void) | null): boolean {
    this.cancelTimer();
    this.cancelStart();
    this.firmware = null;
    this.image = null;
    const chosen = { load: "", trial: false };
    const hashed = { bytes: 0, signatures: 0 };
    this.verdict.starting();
    const { slot, addr, size } = this.runBootloader((code, a, b, text) => {
      this.options.onFirmwareEvent?.(code, a, b);
      if (code === Ev.BootLoad) chosen.load = text(a, b);
      else if (code === Ev.BootImage) chosen.trial = b !== 0;
      else {
        // A slot refused for its hash or signature was read to its end first; the signature check ran only in the second case.
        if (code === Ev.BootReject && (b === REJECT_HASH || b === REJECT_SIGNATURE)) {
          hashed.bytes += this.slotSignedBytes(a);
          if (b === REJECT_SIGNATURE) hashed.signatures++;
        }
        this.verdict.event(code, a, b, text);
        this.record(describeEvent(this.tMs, code, a, b, text));
      }
    });
    if (slot < 0) {
      this.verdict.bootFailed(`bootloader error ${slot}: ${bootErrorText(slot)}`);
      this.record({ t_ms: this.tMs, stage: "boot", event: "failed", detail: `bootloader error ${slot}: ${bootErrorText(slot)}` });
      return false;
    }
    const timing = this.options.deviceTime;
    if (!timing) return this.start(retry, onLinkUp, slot, addr, size, chosen);
    hashed.bytes += this.slotSignedBytes(slot);
    hashed.signatures++;
    const verifyUs = instructionsUs(verifyInstructions(hashed.bytes, hashed.signatures), timing.cpuMhz);
    const startUs = instructionsUs(BOOT_INSTRUCTIONS.firmwareStart, timing.cpuMhz);
    // The PHY negotiates in hardware from power-good while the bootloader runs; the firmware's first poll waits for both.
    const linkUs = onLinkUp ? timing.autonegUs ?? AUTONEG_US : 0;
    const waitUs = Math.max(verifyUs + startUs, linkUs);
    this.record({
      t_ms: this.tMs, stage: "boot", event: "verify",
      detail: `${hashed.bytes} bytes hashed, ${hashed.signatures} signature${hashed.signatures === 1 ? "" : "s"}: ${(verifyUs / 1000).toFixed(1)} ms, firmware start ${(startUs / 1000).toFixed(1)} ms at ${timing.cpuMhz} MHz${onLinkUp ? `; link up after ${(linkUs / 1000).toFixed(0)} ms` : ""}`,
    });
    this.pendingStart = this.clock.at(this.clock.now + waitUs, () => {
      this.pendingStart = null;
      this.start(retry, onLinkUp, slot, addr, size, chosen);
    });
    return true;
  }

  private cancelStart(): void {
    if (this.pendingStart) this.clock.cancel(this.pendingStart);
    this.pendingStart = null;
  }

  /** Starts the image the bootloader chose and polls it; the link comes up with it on a cold start. */
  private start(retry: boolean, onLinkUp: (() => void) | null, slot: number, addr: number, size: number, chosen: { load: string; trial: boolean }): boolean {
    const started = this.startImage(addr, size);
    if (typeof started === "string") {
      this.verdict.notStarted(slot, started);
      this.record({ t_ms: this.tMs, stage: "boot", event: "failed", detail: `slot ${slotName(slot)}: the image does not start (${started})` });
      // A trial that cannot start is over: booting again reverts it.
      return chosen.trial && retry ? this.boot(false, onLinkUp) : false;
    }
    this.firmware = started;
    this.image = { slot, load: chosen.load, trial: chosen.trial };
    this.trialConfirmed = false;
    this.verdict.booted(slot, chosen.load, chosen.trial);
    this.boots++;
    this.record({ t_ms: this.tMs, stage: "boot", event: "run", detail: `${chosen.load} from slot ${slotName(slot)} (${chosen.trial ? "trial" : "confirmed"})` });
    this.wake();
    onLinkUp?.();
    return true;
  }

  /** Polls the firmware and arms the timer for its next wake-up. */
  private wake(): void {
    const fw = this.firmware;
    if (!fw) return;
    const next = fw.poll(this.nowMs);
    const atUs = next === null ? null : Math.max(next * 1000, this.clock.now);
    if (this.timer && (atUs === null || this.timer.atUs !== atUs)) this.cancelTimer();
    if (atUs !== null && !this.timer) {
      this.timer = this.clock.at(atUs, () => {
        this.timer = null;
        this.wake();
      });
    }
  }

  private cancelTimer(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
  }

  private noteLease(code: number, a: number, b: number, text: (p: number, n: number) => string | null): void {
    const l = this.lease;
    const addr = () => ipToString(a >>> 0);
    switch (code) {
      case Ev.DhcpBound:
        Object.assign(l, { ip: addr(), mask: ipToString(b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0), router: null, dns: [], tftp: [], tftpName: null, domain: null });
        this.bound = true;
        break;
      case Ev.DhcpRouter: l.router = addr(); break;
      case Ev.DhcpDns: l.dns.push(addr()); break;
      case Ev.DhcpTftp: l.tftp.push(addr()); break;
      case Ev.DhcpTftpName: l.tftpName = text(a, b); break;
      case Ev.DhcpDomain: l.domain = text(a, b); break;
      case Ev.DhcpExpired: case Ev.DhcpNak: case Ev.DhcpDecline: case Ev.LinkDown: this.bound = false; break;
      case Ev.RegRegistered: this.registered = { cm: a }; break;
      case Ev.ImageConfirmed: this.trialConfirmed = true; break;
      case Ev.RegFallback: this.registered = { cm: a }; break;
      case Ev.RegConnecting: case Ev.RegAllDown: case Ev.RegReset: case Ev.RegUnregistered: this.registered = null; break;
      case Ev.VlanLearned: this.vlan = { id: announcedVid(a), source: VLAN_SOURCES[b] ?? String(b) }; break;
      case Ev.VlanChanged: this.bound = false; if (a === 0) this.vlan = null; break;
    }
  }

  private record(e: TimelineEntry): void {
    this.reached(e.stage);
    if (this.keepTimeline) this.timeline.push(e);
    this.options.onEvent?.(e);
  }

  private reached(stageName: StageName): void {
    const stage = STAGES.indexOf(stageName);
    if (stage > this.stageReached) this.stageReached = stage;
  }
}
