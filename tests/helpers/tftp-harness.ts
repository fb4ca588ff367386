// The firmware's TFTP and DNS clients (assembly/client/tftp.ts, dns.ts) as a
// host on a simulated switch, outside phone.wasm: a small test-only
// AssemblyScript entry (assembly/testing/tftp-harness.ts, built into
// build/testing/) dispatches ARP and UDP to them as stack.ts does, and
// exports a sink that hashes what arrives. Used by
// tests/sim-tftp-firmware.test.ts and by the TFTP throughput figure of
// `npm run bench` (tests/bench/tftp-bench.ts).
import assert from 'node:assert/strict';
import { testingModule } from './testing-wasm.js';
import { Scheduler } from '../../host/sim/scheduler.js';
import { Wire } from '../../host/sim/wire.js';
import type { Nic, WirePort } from '../../host/sim/wire.js';
import { EthernetSwitch } from '../../host/sim/switch.js';
import { TftpServer } from '../../host/sim/tftp-server.js';
import type { TftpServerConfig } from '../../host/sim/tftp-server.js';
import { DnsServer } from '../../host/sim/dns-server.js';
import type { DnsServerConfig } from '../../host/sim/dns-server.js';
import { parseIp } from '../../host/wire/address.js';
import { PollTimer, readCounter } from './harness-driver.js';
import { Ev } from '../../host/events.js';
import { TftpStatus } from './firmware-enums.js';

export { TftpStatus, DnsStatus } from './firmware-enums.js';

/** The harness, assembly/testing/tftp-harness.ts, as `npm run build` built it. */
export function harnessModule(): WebAssembly.Module {
  return testingModule('tftp-harness');
}

export type Exports = Record<string, (...args: any[]) => any> & { memory: WebAssembly.Memory };

/** The firmware clients as a host on the wire: frames in through on_frame, out through hal.mac_tx. */
export class FirmwarePhone implements Nic {
  readonly x: Exports;
  readonly events: Array<{ tMs: number; code: number; a: number; b: number }> = [];
  port!: WirePort;
  /** Frames from the wire to drop (loss on the phone's port). */
  dropIn: (frame: Uint8Array, n: number) => boolean = () => false;
  dropOut: (frame: Uint8Array, n: number) => boolean = () => false;
  private inCount = 0;
  private outCount = 0;
  private readonly clock: PollTimer;
  private seed = 12345;

  constructor(private readonly s: Scheduler, readonly ip: number, module: WebAssembly.Module = harnessModule()) {
    const hal = {
      mac_tx: (ptr: number, len: number) => {
        const frame = new Uint8Array(this.x.memory.buffer, ptr, len).slice();
        if (!this.dropOut(frame, this.outCount++)) this.port.send(frame);
      },
      random: () => {
        this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
        return this.seed | 0;
      },
      event: (code: number, a: number, b: number) => { this.events.push({ tMs: this.nowMs, code, a, b }); },
      flash_read: () => -1, flash_program: () => -1, flash_erase: () => -1,
      lcd: () => {}, log: () => {}, watchdog_kick: () => {}, reset: () => {},
    };
    const imports: WebAssembly.Imports = { hal };
    for (const i of WebAssembly.Module.imports(module)) {
      if (i.module !== 'hal') throw new Error(`harness imports ${i.module}.${i.name}`);
    }
    this.x = new WebAssembly.Instance(module, imports).exports as unknown as Exports;
    this.clock = new PollTimer(s, (t) => this.x.poll(t));
    this.x.setup(0x001b, 0x54c2a710, ip);
  }

  get nowMs(): number { return this.clock.nowMs; }

  receive(frame: Uint8Array): void {
    if (this.dropIn(frame, this.inCount++)) return;
    new Uint8Array(this.x.memory.buffer).set(frame, this.x.rx_buffer());
    this.x.on_frame(frame.length, BigInt(this.nowMs));
    this.schedule();
  }

  /** Runs the firmware's timers when it asks. */
  schedule(): void { this.clock.schedule(); }

  text(s: string): number {
    new Uint8Array(this.x.memory.buffer).set(Buffer.from(s, 'ascii'), this.x.text_buffer());
    return s.length;
  }

  fetch(server: number, name: string, capacity: number): void {
    this.x.start_tftp(server, this.text(name), capacity, BigInt(this.nowMs));
    this.schedule();
  }

  resolve(name: string, servers: number[]): void {
    const v = new DataView(this.x.memory.buffer, this.x.servers_buffer(), 16);
    servers.forEach((a, i) => v.setUint32(i * 4, a));
    this.x.start_dns(this.text(name), servers.length, BigInt(this.nowMs));
    this.schedule();
  }

  counter(name: string): number { return readCounter(this.x, name); }

  eventCount(code: number): number {
    return this.events.filter((e) => e.code === code).length;
  }
}

export function fnv(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

export function file(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const PHONE_IP = parseIp('192.0.2.50');
export const TFTP_IP = parseIp('192.0.2.10');
export const DNS_IP = parseIp('192.0.2.53');
export const DNS2_IP = parseIp('192.0.2.54');

/** Phone, TFTP server and DNS servers on one switch; each wire `latencyUs` one way (250: a 1 ms round trip). */
export function network(tftp: Partial<TftpServerConfig> = {}, latencyUs = 250, dns: Array<Partial<DnsServerConfig>> = []) {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, 8);
  const wire = (port: number) => {
    const w = new Wire(s, { latencyUs });
    sw.connect(port, w, 1);
    return w;
  };
  const phone = new FirmwarePhone(s, PHONE_IP);
  phone.port = wire(0).attach(0, phone);
  const server = new TftpServer(s, { mac: '02:00:5e:00:02:0a', ip: TFTP_IP, ...tftp });
  server.plug(wire(1), 0);
  const dnsServers = dns.map((d, i) => {
    const srv = new DnsServer(s, { mac: `02:00:5e:00:02:${(0x35 + i).toString(16)}`, ip: DNS_IP + i, ...d });
    srv.plug(wire(2 + i), 0);
    return srv;
  });
  return { s, phone, server, dnsServers };
}

export const CNF = 'SEP001B54C2A710.cnf.xml';

/**
 * An 8 MiB image over the phone's 100 Mbit/s port with a 1 ms round trip,
 * after the server's MAC is resolved (as it is once the phone fetched its
 * config): the fraction of the line rate from RRQ to the last block, the
 * virtual ms it took, and the block size and window the transfer used.
 */
export function rate(o: { options?: 'rfc2347' | 'ignore' }): { fraction: number; ms: number; blksize: number; window: number } {
  const size = 8 * 1024 * 1024;
  const data = file(size, 7);
  const { s, phone, server } = network({ files: { 'image.bin': data }, ...o });
  // Resolve the server's MAC first, as the phone has by then (it fetched its config).
  phone.fetch(TFTP_IP, 'none', 1);
  s.run({ untilUs: 1_000_000 });
  const t0 = s.now;
  phone.fetch(TFTP_IP, 'image.bin', 16 * 1024 * 1024);
  s.run({ untilUs: s.now + 120_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Done);
  assert.equal(phone.x.sink_hash() >>> 0, fnv(data));
  assert.equal(server.stats.retransmitted, 0);
  const done = phone.events.find((e) => e.code === Ev.TftpDone)!;
  const us = done.tMs * 1000 - t0;
  return { fraction: (size * 8) / (us / 1e6) / 100e6, ms: us / 1000, blksize: phone.x.tftp_blksize(), window: phone.x.tftp_window() };
}
