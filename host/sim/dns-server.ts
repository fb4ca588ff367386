// Simulated DNS server host (RFC 1035) on one wire: A records (and CNAMEs)
// from a table, NXDOMAIN for any other name, answers ARP for its address.
// Answers are laid out as dnsmasq lays them out (question repeated, owner
// names as compression pointers, flags QR AA RD RA), so a test can compare
// them with dnsmasq's bytes.

import { answerArp } from './arp.js';
import { buildUdpFrame, macEquals, parseIp, parseMac, parseUdpFrame } from './packets.js';
import type { Mac } from './packets.js';
import type { Scheduler } from './scheduler.js';
import type { Nic, Side, Wire, WirePort } from './wire.js';

export const DNS_PORT = 53;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
const CLASS_IN = 1;

export type Ip = number | string;

export interface DnsServerConfig {
  mac: Mac | string;
  ip: Ip;
  /** A records: name -> address(es). Names are case-insensitive; a final dot is optional. */
  records?: Record<string, Ip | Ip[]> | Map<string, Ip | Ip[]>;
  /** CNAME records: alias -> canonical name. */
  cnames?: Record<string, string>;
  /** TTL of the answers, seconds (default 0, as dnsmasq's --host-record). */
  ttl?: number;
  /** Answer every query with this rcode instead (e.g. SERVFAIL, REFUSED). */
  rcode?: number | null;
  answerDelayUs?: number;
  silent?: boolean;
}

export interface DnsServerStats {
  received: number;
  queries: number;
  answers: number;
  nxdomain: number;
  /** The name exists but has no record of the type asked for. */
  nodata: number;
  /** Answered with the configured rcode. */
  forced: number;
  /** Not for us, malformed, not a query. */
  ignored: number;
  arpReplies: number;
}

export interface DnsServerEvent {
  type: 'answer' | 'nxdomain' | 'nodata' | 'forced';
  tUs: number;
  clientIp: number;
  name: string;
  qtype: number;
  addresses: number[];
}

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question. */
  end: number;
}

/** The question of a DNS query (no compression in a question), or null. Never throws. */
export function decodeDnsQuery(b: Uint8Array): DnsQuestion | null {
  if (b.length < 12) return null;
  const flags = (b[2] << 8) | b[3];
  const qd = (b[4] << 8) | b[5];
  if ((flags & 0x8000) !== 0 || qd !== 1) return null;
  const labels: string[] = [];
  let i = 12;
  let size = 0;
  for (;;) {
    if (i >= b.length) return null;
    const n = b[i];
    if (n === 0) { i++; break; }
    if (n > 63 || i + 1 + n > b.length) return null;
    size += n + 1;
    if (size > 254) return null;
    labels.push(String.fromCharCode(...b.subarray(i + 1, i + 1 + n)));
    i += 1 + n;
  }
  if (i + 4 > b.length) return null;
  return {
    id: (b[0] << 8) | b[1], flags, name: labels.join('.'),
    qtype: (b[i] << 8) | b[i + 1], qclass: (b[i + 2] << 8) | b[i + 3], end: i + 4,
  };
}

/** A name in wire format. */
export function encodeDnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label.length === 0 || label.length > 63) throw new RangeError(`DNS: bad label in "${name}"`);
    out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  }
  out.push(0);
  return out;
}

/** A recursive query for `name` (tests and tools). */
export function encodeDnsQuery(id: number, name: string, qtype = DNS_TYPE_A): Uint8Array {
  return Uint8Array.from([id >>> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...encodeDnsName(name), 0, qtype, 0, CLASS_IN]);
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class DnsServer implements Nic {
  readonly mac: Mac;
  readonly ip: number;
  ttl: number;
  rcode: number | null;
  answerDelayUs: number;
  silent: boolean;
  onEvent: ((e: DnsServerEvent) => void) | null = null;
  readonly stats: DnsServerStats = { received: 0, queries: 0, answers: 0, nxdomain: 0, nodata: 0, forced: 0, ignored: 0, arpReplies: 0 };
  private readonly a = new Map<string, number[]>();
  private readonly cname = new Map<string, string>();
  private ipId = 0;
  private port: WirePort | null = null;

  constructor(private readonly scheduler: Scheduler, config: DnsServerConfig) {
    this.mac = typeof config.mac === 'string' ? parseMac(config.mac) : config.mac;
    this.ip = typeof config.ip === 'string' ? parseIp(config.ip) : config.ip;
    this.ttl = config.ttl ?? 0;
    this.rcode = config.rcode ?? null;
    this.answerDelayUs = config.answerDelayUs ?? 0;
    this.silent = config.silent ?? false;
    const records = config.records ?? {};
    for (const [name, v] of records instanceof Map ? records : Object.entries(records)) this.setA(name, v);
    for (const [alias, target] of Object.entries(config.cnames ?? {})) this.cname.set(canonical(alias), canonical(target));
  }

  plug(wire: Wire, side: Side): void {
    this.port = wire.attach(side, this);
  }

  setA(name: string, v: Ip | Ip[]): void {
    const list = Array.isArray(v) ? v : [v];
    this.a.set(canonical(name), list.map((x) => (typeof x === 'string' ? parseIp(x) : x)));
  }

  receive(frame: Uint8Array): void {
    this.stats.received++;
    if (this.silent) return;
    const arpReply = answerArp(frame, this.mac, this.ip);
    if (arpReply !== null) {
      this.stats.arpReplies++;
      this.transmit(arpReply);
      return;
    }
    const f = parseUdpFrame(frame);
    if (f === null || f.eth.vlan !== null || !macEquals(f.eth.dst, this.mac) || f.ip.dst !== this.ip
      || f.udp.dstPort !== DNS_PORT || !f.ip.checksumOk || f.udp.checksumOk === false) {
      this.stats.ignored++;
      return;
    }
    const q = decodeDnsQuery(f.udp.payload);
    if (q === null || ((q.flags >> 11) & 0xf) !== 0) { this.stats.ignored++; return; }
    this.stats.queries++;
    const reply = this.answer(q, f.udp.payload.subarray(0, q.end), f.ip.src);
    const frameOut = buildUdpFrame({
      srcMac: this.mac, dstMac: f.eth.src.slice(), srcIp: this.ip, dstIp: f.ip.src,
      srcPort: DNS_PORT, dstPort: f.udp.srcPort, payload: reply, id: this.nextIpId(),
    });
    if (this.answerDelayUs > 0) this.scheduler.after(this.answerDelayUs, () => this.transmit(frameOut));
    else this.transmit(frameOut);
  }

  /** The response: header, the question as asked, then CNAMEs and A records. */
  private answer(q: DnsQuestion, question: Uint8Array, client: number): Uint8Array {
    const rd = q.flags & 0x0100;
    const out: number[] = [];
    const records: number[] = [];
    let count = 0;
    let rcode: number = DnsRcode.NOERROR;
    let aa = 0x0400;
    let type: DnsServerEvent['type'] = 'answer';
    const addresses: number[] = [];
    if (this.rcode !== null) {
      rcode = this.rcode;
      aa = 0;
      type = 'forced';
      this.stats.forced++;
    } else {
      // Follow CNAMEs (at most 8), each owner a pointer to where its name was written.
      let name = canonical(q.name);
      let owner = 12;
      for (let hops = 0; hops < 8 && this.cname.has(name); hops++) {
        const target = this.cname.get(name) as string;
        const rdata = encodeDnsName(target);
        records.push(0xc0 | (owner >> 8), owner & 0xff, 0, DNS_TYPE_CNAME, 0, CLASS_IN, ...u32(this.ttl), rdata.length >> 8, rdata.length & 0xff, ...rdata);
        count++;
        // The next owner is the target name just written (the question includes the header).
        owner = question.length + records.length - rdata.length;
        name = target;
      }
      const list = this.a.get(name);
      if (list === undefined && count === 0) {
        rcode = DnsRcode.NXDOMAIN;
        aa = 0;
        type = 'nxdomain';
        this.stats.nxdomain++;
      } else if (q.qtype === DNS_TYPE_A && q.qclass === CLASS_IN && list !== undefined) {
        for (const ip of list) {
          records.push(0xc0 | (owner >> 8), owner & 0xff, 0, DNS_TYPE_A, 0, CLASS_IN, ...u32(this.ttl), 0, 4, ...u32(ip));
          addresses.push(ip);
          count++;
        }
        this.stats.answers++;
      } else {
        type = 'nodata';
        this.stats.nodata++;
      }
    }
    const flags = 0x8000 | aa | rd | 0x0080 | rcode;
    out.push(q.id >> 8, q.id & 0xff, flags >> 8, flags & 0xff, 0, 1, count >> 8, count & 0xff, 0, 0, 0, 0);
    const reply = new Uint8Array(question.length + records.length);
    reply.set(question, 0);
    reply.set(out, 0);
    reply.set(records, question.length);
    if (this.onEvent !== null) this.onEvent({ type, tUs: this.scheduler.now, clientIp: client, name: q.name, qtype: q.qtype, addresses });
    return reply;
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private transmit(frame: Uint8Array): void {
    if (this.port === null) throw new Error('DnsServer: not plugged into a wire');
    this.port.send(frame);
  }
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
