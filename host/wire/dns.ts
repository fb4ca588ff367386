// DNS messages (RFC 1035) as far as the phone needs them: a query's one
// question, and a response's header and resource records (owner names as
// compression pointers, as dnsmasq writes them).

export const DNS_PORT = 53;
export const DNS_HEADER_LEN = 12;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_CLASS_IN = 1;
export const DnsFlag = { QR: 0x8000, AA: 0x0400, RD: 0x0100, RA: 0x0080 } as const;
const MAX_LABEL = 63;
const MAX_NAME = 254;

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question. */
  end: number;
}

/** The opcode (0: a standard query). */
export function dnsOpcode(flags: number): number {
  return (flags >> 11) & 0xf;
}

/** The question of a DNS query (no compression in a question), or null. Never throws. */
export function decodeDnsQuery(b: Uint8Array): DnsQuestion | null {
  if (b.length < DNS_HEADER_LEN) return null;
  const flags = (b[2] << 8) | b[3];
  const qd = (b[4] << 8) | b[5];
  if ((flags & DnsFlag.QR) !== 0 || qd !== 1) return null;
  const labels: string[] = [];
  let i = DNS_HEADER_LEN;
  let size = 0;
  for (;;) {
    if (i >= b.length) return null;
    const n = b[i];
    if (n === 0) { i++; break; }
    if (n > MAX_LABEL || i + 1 + n > b.length) return null;
    size += n + 1;
    if (size > MAX_NAME) return null;
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
    if (label.length === 0 || label.length > MAX_LABEL) throw new RangeError(`DNS: bad label in "${name}"`);
    out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  }
  out.push(0);
  return out;
}

/** A recursive query for `name` (tests and tools). */
export function encodeDnsQuery(id: number, name: string, qtype = DNS_TYPE_A): Uint8Array {
  return Uint8Array.from([id >>> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...encodeDnsName(name), 0, qtype, 0, DNS_CLASS_IN]);
}

/** A response header: one question, `answers` answer records, nothing else. */
export function encodeDnsResponseHeader(id: number, flags: number, answers: number): number[] {
  return [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, answers >> 8, answers & 0xff, 0, 0, 0, 0];
}

/** A class-IN resource record whose owner name is the one written at `ownerOffset`. */
export function encodeDnsRecord(ownerOffset: number, type: number, ttl: number, rdata: readonly number[]): number[] {
  return [0xc0 | (ownerOffset >> 8), ownerOffset & 0xff, 0, type, 0, DNS_CLASS_IN, ...be32(ttl), rdata.length >> 8, rdata.length & 0xff, ...rdata];
}

/** An A record's data. */
export function addressRdata(ip: number): number[] {
  return be32(ip);
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
