// The firmware's registration (assembly/testing/register-harness.ts: its
// ARP, TCP and SCCP registration) as a host on a simulated switch with
// simulated CallManagers (host/sim/callmanager.ts): the network of the
// failover and standby tests.
import assert from "node:assert/strict";
import { testingModule } from "./testing-wasm.js";
import { RegState } from "./firmware-enums.js";
import { Scheduler } from "../../host/sim/scheduler.js";
import { Wire, type Nic, type WirePort } from "../../host/sim/wire.js";
import { EthernetSwitch } from "../../host/sim/switch.js";
import { SimCallManager, type SimCallManagerConfig } from "../../host/sim/callmanager.js";
import { PcapWriter } from "../../host/sim/pcap.js";
import { parseIp } from "../../host/wire/address.js";
import { describeEvent, formatEntry } from "../../host/events.js";
import { PollTimer, readCounter } from "./harness-driver.js";

/** assembly/testing/register-harness.ts, as `npm run build` built it. */
const module = testingModule("register-harness");

type Exports = Record<string, (...args: any[]) => any> & { memory: WebAssembly.Memory };

/** The firmware's registration as a host on the wire. */
export class Phone implements Nic {
  readonly x: Exports;
  readonly events: Array<{ tMs: number; tUs: number; code: number; a: number; b: number }> = [];
  readonly resets: number[] = [];
  port!: WirePort;
  framesOut = 0;
  private readonly clock: PollTimer;
  private seed = 7;

  constructor(private readonly s: Scheduler) {
    const hal = {
      mac_tx: (ptr: number, len: number) => {
        this.framesOut++;
        this.port.send(new Uint8Array(this.x.memory.buffer, ptr, len).slice());
      },
      random: () => {
        this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
        return this.seed | 0;
      },
      event: (code: number, a: number, b: number) => { this.events.push({ tMs: this.nowMs, tUs: this.s.now, code, a, b }); },
      // A reset device boots again: here, registration starts over 2 s later.
      reset: (reason: number) => {
        this.resets.push(reason);
        this.s.after(2_000_000, () => { this.x.start(BigInt(this.nowMs)); this.schedule(); });
      },
      flash_read: () => -1, flash_program: () => -1, flash_erase: () => -1, lcd: () => {}, log: () => {}, watchdog_kick: () => {},
    };
    this.x = new WebAssembly.Instance(module, { hal }).exports as unknown as Exports;
    this.clock = new PollTimer(s, (t) => this.x.poll(t));
    this.x.setup(0x001b, 0x54c2a710, parseIp("198.51.100.50"), parseIp("255.255.255.0"), parseIp("198.51.100.1"));
  }

  get nowMs(): number { return this.clock.nowMs; }
  get state(): number { return this.x.state(); }
  get cm(): number { return this.x.cm(); }

  start(cms: SimCallManager[]): void {
    cms.forEach((c, i) => this.x.set_cm(i, c.ip, 2000));
    this.x.start(BigInt(this.nowMs));
    this.schedule();
  }

  receive(frame: Uint8Array): number {
    new Uint8Array(this.x.memory.buffer).set(frame, this.x.rx_buffer());
    const r = this.x.on_frame(frame.length, BigInt(this.nowMs)) as number;
    this.schedule();
    return r;
  }

  schedule(): void { this.clock.schedule(); }

  counter(name: string): number { return readCounter(this.x, name); }

  timeline(): string {
    return this.events.map((e) => formatEntry(describeEvent(e.tMs, e.code, e.a, e.b, () => "…"))).join("\n");
  }
}

export interface Net {
  s: Scheduler;
  phone: Phone;
  cms: SimCallManager[];
  pcap: PcapWriter;
}

/**
 * The phone and CallManagers CM1.. (keepalive 10 s unless given) on one
 * switch; each on a wire of 250 µs one way, the CallManagers' wires
 * `cmLatencyUs` (a cluster across a WAN) when given.
 */
export function net(cm: Array<Partial<SimCallManagerConfig>> = [{}, {}, {}], opts: { cmLatencyUs?: number } = {}): Net {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, 8);
  const wire = (port: number) => {
    const w = new Wire(s, { latencyUs: port === 0 ? 250 : opts.cmLatencyUs ?? 250 });
    sw.connect(port, w, 1);
    return w;
  };
  const phone = new Phone(s);
  const pw = wire(0);
  phone.port = pw.attach(0, phone);
  const pcap = new PcapWriter();
  pcap.tapWire(pw);
  const cms = cm.map((c, i) => {
    const m = new SimCallManager(s, { name: `CM${i + 1}`, mac: `02:00:5e:00:0a:0${i + 1}`, ip: `198.51.100.${10 + i}`, keepAliveS: 10, seed: i + 1, ...c });
    m.plug(wire(1 + i), 0);
    return m;
  });
  return { s, phone, cms, pcap };
}

/** A simulated network with a testing-module phone on it (this file's, or sip-net's). */
type AnyNet = { s: Scheduler; phone: { timeline(): string } };

export function runUntil(n: AnyNet, cond: () => boolean, limitMs: number): boolean {
  n.s.run({ untilUs: n.s.now + limitMs * 1000, until: cond });
  return cond();
}

export function runMs(n: AnyNet, ms: number): void {
  const r = n.s.runUntil(n.s.now + ms * 1000, 2_000_000);
  assert.notEqual(r.stoppedBy, "maxEvents", `a storm: ${r.events} events in ${ms} ms\n${n.phone.timeline().slice(-3000)}`);
}

export const registeredWith = (n: Net, i: number) => () => n.phone.state === RegState.Registered && n.phone.cm === i;
