// The firmware's SIP registration (assembly/testing/sip-harness.ts: the
// receive path, TCP and assembly/phone/sip.ts) as a host on a simulated
// switch with test registrars (tests/helpers/sip-registrar.ts).
import { testingModule } from "./testing-wasm.js";
import { Scheduler } from "../../host/sim/scheduler.js";
import { Wire, type Nic, type WirePort } from "../../host/sim/wire.js";
import { EthernetSwitch } from "../../host/sim/switch.js";
import { PcapWriter } from "../../host/sim/pcap.js";
import { parseIp } from "../../host/wire/address.js";
import { describeEvent, formatEntry } from "../../host/events.js";
import { PollTimer, readCounter } from "./harness-driver.js";
import { runMs, runUntil } from "./register-net.js";
import { TcpRegistrar, UdpRegistrar, type RegistrarConfig } from "./sip-registrar.js";

const module = testingModule("sip-harness");
type Exports = Record<string, (...args: any[]) => any> & { memory: WebAssembly.Memory };

export const PHONE_IP = "198.51.100.50";

/** A line; `proxy` its own proxy's address (port 5060). */
export interface LineConfig { name: string; auth?: string; password: string; display?: string; proxy?: number }

export class SipPhone implements Nic {
  readonly x: Exports;
  readonly events: Array<{ tMs: number; code: number; a: number; b: number }> = [];
  readonly screens: string[] = [];
  port!: WirePort;
  private readonly clock: PollTimer;
  private seed = 11;

  constructor(private readonly s: Scheduler) {
    const hal = {
      mac_tx: (ptr: number, len: number) => this.port.send(new Uint8Array(this.x.memory.buffer, ptr, len).slice()),
      random: () => {
        this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
        return this.seed | 0;
      },
      event: (code: number, a: number, b: number) => { this.events.push({ tMs: this.nowMs, code, a, b }); },
      lcd: (ptr: number, len: number) => { this.screens.push(Buffer.from(new Uint8Array(this.x.memory.buffer, ptr, len)).toString("latin1")); },
      reset: () => {}, flash_read: () => -1, flash_program: () => -1, flash_erase: () => -1, log: () => {}, watchdog_kick: () => {},
    };
    this.x = new WebAssembly.Instance(module, { hal }).exports as unknown as Exports;
    this.clock = new PollTimer(s, (t) => this.x.poll(t));
    this.x.setup(0x001b, 0x54c2a710, parseIp(PHONE_IP), parseIp("255.255.255.0"), parseIp("198.51.100.1"));
  }

  get nowMs(): number { return this.clock.nowMs; }
  get state(): number { return this.x.state(); }
  get proxy(): number { return this.x.proxy(); }
  lineState(i: number): number { return this.x.line_state(i); }
  lineExpires(i: number): number { return this.x.line_expires(i); }

  start(proxies: number[], lines: LineConfig[], opts: { tcp?: boolean; t1?: number; t2?: number; expires?: number; dscp?: number; fallbackMs?: number } = {}): void {
    proxies.forEach((ip, i) => this.x.set_proxy(i, ip, 5060));
    this.x.set_transport(opts.tcp === false ? 0 : 1, opts.t1 ?? 0, opts.t2 ?? 0, opts.expires ?? 0, opts.dscp ?? 24);
    const mem = () => new Uint8Array(this.x.memory.buffer, this.x.text_buffer(), 256);
    lines.forEach((l, i) => {
      const put = (s: string, at: number) => { mem().set(Buffer.from(s, "latin1"), at); return s.length; };
      this.x.set_line(i, put(l.name, 0), put(l.auth ?? "", 64), put(l.password, 128), put(l.display ?? "", 192));
      if (l.proxy !== undefined) this.x.set_line_proxy(i, l.proxy, 5060);
    });
    if (opts.fallbackMs !== undefined) this.x.set_fallback(opts.fallbackMs);
    this.x.start(BigInt(this.nowMs));
    this.schedule();
  }

  receive(frame: Uint8Array): void {
    new Uint8Array(this.x.memory.buffer).set(frame, this.x.rx_buffer());
    this.x.on_frame(frame.length, BigInt(this.nowMs));
    this.schedule();
  }

  schedule(): void { this.clock.schedule(); }

  counter(name: string): number { return readCounter(this.x, name); }

  of(code: number): Array<{ tMs: number; a: number; b: number }> { return this.events.filter((e) => e.code === code); }

  timeline(): string {
    return this.events.map((e) => formatEntry(describeEvent(e.tMs, e.code, e.a, e.b, () => "…"))).join("\n");
  }
}

export interface SipNet { s: Scheduler; phone: SipPhone; regs: Array<TcpRegistrar | UdpRegistrar>; pcap: PcapWriter }

/** The phone and registrars at 198.51.100.10, .11, ... on one switch (250 µs wires). */
export function sipNet(configs: Array<RegistrarConfig & { udp?: boolean; closed?: boolean }>): SipNet {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, 8);
  const wire = (port: number) => {
    const w = new Wire(s, { latencyUs: 250 });
    sw.connect(port, w, 1);
    return w;
  };
  const phone = new SipPhone(s);
  const pw = wire(0);
  phone.port = pw.attach(0, phone);
  const pcap = new PcapWriter();
  pcap.tapWire(pw);
  const regs = configs.map((c, i) => {
    const mac = `02:00:5e:00:0b:0${i + 1}`, ip = `198.51.100.${10 + i}`;
    const r = c.udp ? new UdpRegistrar(s, mac, ip, c, c.closed) : new TcpRegistrar(s, mac, ip, c);
    r.plug(wire(1 + i), 0);
    return r;
  });
  return { s, phone, regs, pcap };
}

export { runMs, runUntil };
