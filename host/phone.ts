// A phone as a device: flash with factory data, the bootloader, the
// application firmware, and its Ethernet port. It runs on any Clock: the
// simulation's virtual one or real time, and sends through any link.
import { BootFirmware, BOOT_WASM, loadImageModule, loadModule, PhoneFirmware, PHONE_WASM, type Hal } from "./firmware.js";
import { Flash, PowerCut } from "./flash.js";
import { writeFactory } from "./factory.js";
import { devImage, devKey, flashImage, HEADER_SIZE, ImageError, keyHashOf, parseHeader, slotAddress } from "./image.js";
import type { DeviceTiming } from "./device-time.js";
import type { StageName, TimelineEntry } from "./events.js";
import type { summarizeCounters } from "./counters.js";
import type { Timer } from "./sim/scheduler.js";
import { Random } from "./sim/random.js";
import { PhoneBase, type BootChoice, type FirmwareEvent } from "./phone-base.js";
import type { FirmwareVerdict } from "./verdict.js";

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
  /** Record the firmware's log lines (hal.log) as timeline entries (default true; `boot` only with --verbose). */
  firmwareLogs?: boolean;
  /** Called with each timeline entry as it happens. */
  onEvent?: (e: TimelineEntry) => void;
  /** Called with each event of the firmware and its bootloader (hal.event): its code (Ev) and arguments, for counting. */
  onFirmwareEvent?: (code: number, a: number, b: number) => void;
  /** Charge the boot its device time (host/device-time.ts): verify, firmware start and link-up take virtual time. Without it they take none. */
  deviceTime?: DeviceTiming;
}

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
  /** The running load and slot, the configuration's load and what became of the upgrade (host/verdict.ts). */
  firmware: FirmwareVerdict;
  /** The most specific cause of trouble seen per stage since the firmware last started (host/verdict.ts). */
  causes: Partial<Record<StageName, string>>;
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

/**
 * A flash as the factory leaves it: the development key's hash in factory
 * data, and slot A holding the phone firmware signed with that key (confirmed).
 */
export function factoryFlash(mac: string, phoneWasm = PHONE_WASM): Flash {
  const flash = new Flash();
  writeFactory(flash, { mac, keyHash: keyHashOf(devKey()) });
  flashImage(flash, 0, devImage(phoneWasm), { shared: true });
  return flash;
}

/** The phone with its firmware in V8: the host's side of it is PhoneBase. */
export class Phone extends PhoneBase<PhoneFirmware> {
  readonly flash: Flash;
  private readonly random: Random;

  constructor(clock: Clock, options: PhoneOptions) {
    super(clock, options);
    this.random = new Random(options.seed);
    this.flash = options.flash ?? factoryFlash(options.mac, options.phoneWasm);
  }

  /** An export of the running firmware (tests ask a build what it is); undefined when dark. */
  firmwareExport(name: string): unknown {
    return this.firmware?.instance.exports[name];
  }

  protected runBootloader(event: FirmwareEvent): BootChoice {
    let bootFw: BootFirmware | null = null;
    const hal: Hal = { ...this.hal(), event: (code, a, b) => event(code, a, b, (p, n) => bootFw?.text(p, n) ?? "") };
    bootFw = new BootFirmware(loadModule(this.options.bootWasm ?? BOOT_WASM), hal);
    const slot = bootFw.boot();
    return slot < 0 ? { slot, addr: 0, size: 0 } : { slot, ...bootFw.image() };
  }

  protected startImage(addr: number, size: number): PhoneFirmware | string {
    try {
      return new PhoneFirmware(loadImageModule(this.flash, addr, size).module, this.hal());
    } catch (e) {
      if (e instanceof PowerCut) throw e;
      return (e as Error).message;
    }
  }

  protected override slotSignedBytes(slot: number): number {
    const head = new Uint8Array(HEADER_SIZE);
    this.flash.copyOut(slotAddress(slot), head);
    try {
      return HEADER_SIZE + parseHeader(head).payloadSize;
    } catch (e) {
      if (e instanceof ImageError) return 0;
      throw e;
    }
  }

  private hal(): Hal {
    return {
      macTx: (frame) => this.transmit(frame),
      event: (code, a, b) => this.firmwareEvent(code, a, b, (p, n) => this.firmware?.text(p, n) ?? ""),
      random: () => this.random.nextU32(),
      flash: this.flash,
      // Without a listener the firmware's log text is not even read out of its memory.
      ...(this.quiet || this.options.firmwareLogs === false ? {} : { log: (level: number, text: string) => this.firmwareLog(level, text) }),
      lcd: (text) => this.showLcd(text),
      reset: (reason) => this.reset(reason),
    };
  }
}
