// The firmware's TFTP and DNS clients (assembly/net/tftp.ts, dns.ts) as a
// host on a simulated switch, outside phone.wasm: a small test-only
// AssemblyScript entry (written and compiled here, once a process)
// dispatches ARP and UDP to them as stack.ts does, and exports a sink that
// hashes what arrives. Used by tests/sim-tftp-firmware.test.ts and by the
// TFTP throughput figure of `npm run bench` (tests/bench/tftp-bench.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './tools.js';
import { Scheduler } from '../../host/sim/scheduler.js';
import type { Timer } from '../../host/sim/scheduler.js';
import { Wire } from '../../host/sim/wire.js';
import type { Nic, WirePort } from '../../host/sim/wire.js';
import { EthernetSwitch } from '../../host/sim/switch.js';
import { TftpServer } from '../../host/sim/tftp-server.js';
import type { TftpServerConfig } from '../../host/sim/tftp-server.js';
import { DnsServer } from '../../host/sim/dns-server.js';
import type { DnsServerConfig } from '../../host/sim/dns-server.js';
import { parseIp } from '../../host/wire/address.js';
import { COUNTER_NAMES } from '../../host/counters.js';
import { Ev } from '../../host/events.js';

const harness = (net: string) => `
import { rxBuf, setMac, configure } from "${net}/netif";
import { arpRx, arpPoll } from "${net}/arp";
import { ipv4 } from "${net}/ipv4";
import { udp, UDP_HEADER } from "${net}/udp";
import { countersPtr } from "${net}/../counters";
import { tftpStart, tftpPoll, tftpOwns, tftpRx, tftpSetSink, tftpStatus, tftpSize, tftpErrorCode, tftpBlksize, tftpWindow } from "${net}/tftp";
import { dnsStart, dnsPoll, dnsOwns, dnsRx, dnsStatus, dnsAddress } from "${net}/dns";

const text = memory.data(256);
const servers = memory.data(16);
let hash: u32 = 0x811c9dc5;
let next: u32 = 0;
let ordered = true;
function sink(offset: u32, p: usize, len: i32): bool {
  if (offset != next) ordered = false;
  next = offset + <u32>len;
  for (let i = 0; i < len; i++) hash = (hash ^ <u32>load<u8>(p + <usize>i)) * 16777619;
  return true;
}
export function rx_buffer(): usize { return rxBuf; }
export function text_buffer(): usize { return text; }
export function servers_buffer(): usize { return servers; }
export function counters(): usize { return countersPtr(); }
export function setup(macHi: u32, macLo: u32, ip: u32): void {
  setMac((<u64>macHi << 32) | <u64>macLo);
  configure(ip, 0xffffff00, 0);
  tftpSetSink(sink);
}
export function on_frame(len: i32, now: i64): void {
  if (len < 14) return;
  if (load<u8>(rxBuf + 12) == 8 && load<u8>(rxBuf + 13) == 6) { arpRx(rxBuf + 14, len - 14, now); return; }
  if (ipv4.parse(rxBuf + 14, len - 14) != 0 || ipv4.proto != 17) return;
  const l4 = rxBuf + 14 + <usize>ipv4.headerLen;
  if (udp.parse(l4, ipv4.payloadLen, ipv4.src, ipv4.dst) != 0) return;
  const port = udp.dstPort;
  if (tftpOwns(port)) tftpRx(l4 + UDP_HEADER, udp.payloadLen, ipv4.src, udp.srcPort, now);
  else if (dnsOwns(port)) dnsRx(l4 + UDP_HEADER, udp.payloadLen, ipv4.src, udp.srcPort, now);
}
export function start_tftp(server: u32, nameLen: i32, capacity: u32, now: i64): void {
  hash = 0x811c9dc5; next = 0; ordered = true;
  tftpStart(server, text, nameLen, capacity, now);
}
export function start_dns(nameLen: i32, count: i32, now: i64): void { dnsStart(text, nameLen, servers, count, now); }
export function poll(now: i64): i64 { return min(min(tftpPoll(now), dnsPoll(now)), arpPoll(now)); }
export function tftp_status(): i32 { return tftpStatus; }
export function tftp_size(): u32 { return tftpSize; }
export function tftp_error(): u32 { return tftpErrorCode; }
export function tftp_blksize(): u32 { return tftpBlksize; }
export function tftp_window(): u32 { return tftpWindow; }
export function sink_hash(): u32 { return hash; }
export function sink_ordered(): bool { return ordered; }
export function dns_status(): i32 { return dnsStatus; }
export function dns_address(): u32 { return dnsAddress; }
`;

export const TftpStatus = { Running: 1, Done: 2, NotFound: 3, Refused: 4, ServerError: 5, Protocol: 6, Timeout: 7 };
export const DnsStatus = { Running: 1, Done: 2, NotFound: 3, Timeout: 4 };

let compiled: WebAssembly.Module | null = null;

/** The harness compiled with the project's asc (seconds; once a process). */
export function harnessModule(): WebAssembly.Module {
  if (compiled !== null) return compiled;
  const work = mkdtempSync(join(tmpdir(), 'tftp-harness-'));
  try {
    const src = join(work, 'harness.ts');
    writeFileSync(src, harness(relative(work, join(ROOT, 'assembly/net'))));
    const out = join(work, 'harness.wasm');
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), src,
      '--runtime', 'stub', '--noAssert', '--use', 'abort=', '-O2', '-o', out], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`the TFTP harness did not compile (status ${r.status}): ${r.stderr || r.error?.message}`);
    compiled = new WebAssembly.Module(readFileSync(out));
    return compiled;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
  private timer: Timer | null = null;
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
    this.x.setup(0x001b, 0x54c2a710, ip);
  }

  get nowMs(): number { return Math.floor(this.s.now / 1000); }

  receive(frame: Uint8Array): void {
    if (this.dropIn(frame, this.inCount++)) return;
    new Uint8Array(this.x.memory.buffer).set(frame, this.x.rx_buffer());
    this.x.on_frame(frame.length, BigInt(this.nowMs));
    this.schedule();
  }

  /** Runs the firmware's timers when it asks. */
  schedule(): void {
    const next = Number(this.x.poll(BigInt(this.nowMs)));
    if (this.timer !== null) this.s.cancel(this.timer);
    this.timer = null;
    if (next >= Number.MAX_SAFE_INTEGER) return;
    const at = Math.max(next * 1000, this.s.now + 1);
    this.timer = this.s.at(at, () => { this.timer = null; this.schedule(); });
  }

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

  counter(name: string): number {
    const i = COUNTER_NAMES.indexOf(name as (typeof COUNTER_NAMES)[number]);
    return new DataView(this.x.memory.buffer).getUint32(this.x.counters() + i * 4, true);
  }

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
