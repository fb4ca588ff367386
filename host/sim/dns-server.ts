// Simulated DNS server host (RFC 1035) on one wire: A records (and CNAMEs)
// from a table, NXDOMAIN for any other name, answers ARP for its address.
// Answers are laid out as dnsmasq lays them out (question repeated, owner
// names as compression pointers, flags QR AA RD RA), so a test can compare
// them with dnsmasq's bytes.

import { ipOf, type Ip, type Mac } from '../wire/address.js';
import {
  DNS_CLASS_IN, DNS_PORT, DNS_TYPE_A, DNS_TYPE_CNAME, DnsFlag, DnsRcode, addressRdata, decodeDnsQuery, dnsOpcode, encodeDnsName,
  encodeDnsRecord, encodeDnsResponseHeader, type DnsQuestion,
} from '../wire/dns.js';
import { HostedServer, type UdpIn } from './ip-host.js';
import type { Scheduler } from './scheduler.js';

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

function canonical(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class DnsServer extends HostedServer {
  ttl: number;
  rcode: number | null;
  answerDelayUs: number;
  onEvent: ((e: DnsServerEvent) => void) | null = null;
  private readonly counts = { queries: 0, answers: 0, nxdomain: 0, nodata: 0, forced: 0, ignored: 0 };
  private readonly a = new Map<string, number[]>();
  private readonly cname = new Map<string, string>();

  constructor(private readonly scheduler: Scheduler, config: DnsServerConfig) {
    super(scheduler, config.mac, config.ip, config.silent);
    this.host.bindUdp(DNS_PORT, (d) => this.onQuery(d));
    this.ttl = config.ttl ?? 0;
    this.rcode = config.rcode ?? null;
    this.answerDelayUs = config.answerDelayUs ?? 0;
    const records = config.records ?? {};
    for (const [name, v] of records instanceof Map ? records : Object.entries(records)) this.setA(name, v);
    for (const [alias, target] of Object.entries(config.cnames ?? {})) this.cname.set(canonical(alias), canonical(target));
  }

  get stats(): DnsServerStats {
    return { ...this.counts, ...this.linkCounts(this.counts.ignored) };
  }

  setA(name: string, v: Ip | Ip[]): void {
    const list = Array.isArray(v) ? v : [v];
    this.a.set(canonical(name), list.map(ipOf));
  }

  private onQuery(d: UdpIn): void {
    const q = decodeDnsQuery(d.payload);
    if (q === null || dnsOpcode(q.flags) !== 0) { this.counts.ignored++; return; }
    this.counts.queries++;
    const reply = this.answer(q, d.payload.subarray(0, q.end), d.srcIp);
    const frame = this.host.udpFrame({ dstMac: d.srcMac, dstIp: d.srcIp, srcPort: DNS_PORT, dstPort: d.srcPort, payload: reply });
    if (this.answerDelayUs > 0) this.scheduler.after(this.answerDelayUs, () => this.host.transmit(frame));
    else this.host.transmit(frame);
  }

  /** The response: header, the question as asked, then CNAMEs and A records. */
  private answer(q: DnsQuestion, question: Uint8Array, client: number): Uint8Array {
    const records: number[] = [];
    let count = 0;
    let rcode: number = DnsRcode.NOERROR;
    let aa: number = DnsFlag.AA;
    let type: DnsServerEvent['type'] = 'answer';
    const addresses: number[] = [];
    if (this.rcode !== null) {
      rcode = this.rcode;
      aa = 0;
      type = 'forced';
      this.counts.forced++;
    } else {
      // Follow CNAMEs (at most 8), each owner a pointer to where its name was written.
      let name = canonical(q.name);
      let owner = 12;
      for (let hops = 0; hops < 8 && this.cname.has(name); hops++) {
        const target = this.cname.get(name) as string;
        const rdata = encodeDnsName(target);
        records.push(...encodeDnsRecord(owner, DNS_TYPE_CNAME, this.ttl, rdata));
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
        this.counts.nxdomain++;
      } else if (q.qtype === DNS_TYPE_A && q.qclass === DNS_CLASS_IN && list !== undefined) {
        for (const ip of list) {
          records.push(...encodeDnsRecord(owner, DNS_TYPE_A, this.ttl, addressRdata(ip)));
          addresses.push(ip);
          count++;
        }
        this.counts.answers++;
      } else {
        type = 'nodata';
        this.counts.nodata++;
      }
    }
    const flags = DnsFlag.QR | aa | (q.flags & DnsFlag.RD) | DnsFlag.RA | rcode;
    const reply = new Uint8Array(question.length + records.length);
    reply.set(question, 0);
    reply.set(encodeDnsResponseHeader(q.id, flags, count), 0);
    reply.set(records, question.length);
    if (this.onEvent !== null) this.onEvent({ type, tUs: this.scheduler.now, clientIp: client, name: q.name, qtype: q.qtype, addresses });
    return reply;
  }
}
