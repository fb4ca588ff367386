// DNS messages (RFC 1035): an A query and the checks on its answer.
import { bytesEqual, get16, get32, get8, put16, put32, put8 } from "../lib/bytes";
import { Ctr } from "../counters";

export const DNS_PORT: u32 = 53;
export const DNS_HEADER = 12;
/** Longest name in wire format, root label included (RFC 1035 2.3.4). */
export const DNS_NAME_MAX = 255;
export const enum DnsRcode { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 }
const TYPE_A: u32 = 1;
const TYPE_CNAME: u32 = 5;
const CLASS_IN: u32 = 1;
const FLAG_QR: u32 = 0x8000;
const FLAG_RD: u32 = 0x0100;
/** CNAMEs followed from the question to its address. */
const MAX_CNAMES = 8;

// Names expanded (compression resolved, lower case) for comparison.
const owner = memory.data(DNS_NAME_MAX);
const target = memory.data(DNS_NAME_MAX);

/**
 * One DNS message. emit() writes a recursive A query for the name at
 * qnamePtr (wire format); parse() checks a response to that question and
 * finds its address, following CNAME records in the answer section.
 */
@unmanaged export class DnsRepr {
  id: u32;
  flags: u32;
  rcode: u32;
  /** The question's name in wire format, lower case (set before parse and emit). */
  qnamePtr: usize;
  qnameLen: i32;
  /** parse(): the A record of the question's name, 0 when the answer has none. */
  address: u32;
  ttl: u32;

  /** Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < DNS_HEADER) return Ctr.DropDnsMalformed;
    this.id = get16(p);
    const flags = get16(p + 2);
    this.flags = flags;
    this.rcode = flags & 0xf;
    this.address = 0;
    this.ttl = 0;
    // A response (QR) to a standard query (opcode 0).
    if ((flags & FLAG_QR) == 0 || (flags & 0x7800) != 0) return Ctr.DropDnsUnexpected;
    const qd = get16(p + 4);
    const an = get16(p + 6);
    // Error answers may leave out the question; anything else must repeat ours.
    if (qd == 0 && this.rcode != DnsRcode.NoError) return 0;
    if (qd != 1) return Ctr.DropDnsMalformed;
    const qlen = expandName(p, len, DNS_HEADER, target);
    if (qlen < 0) return Ctr.DropDnsMalformed;
    let off = skipName(p, len, DNS_HEADER);
    if (off < 0 || off + 4 > len) return Ctr.DropDnsMalformed;
    if (qlen != this.qnameLen || !bytesEqual(target, this.qnamePtr, qlen)) return Ctr.DropDnsUnexpected;
    if (get16(p + <usize>off) != TYPE_A || get16(p + <usize>off + 2) != CLASS_IN) return Ctr.DropDnsUnexpected;
    off += 4;
    // The answers: CNAMEs move the name looked for; the first A record of it is the address.
    let tlen = qlen;
    let cnames = 0;
    for (let i: u32 = 0; i < an; i++) {
      const olen = expandName(p, len, off, owner);
      if (olen < 0) return Ctr.DropDnsMalformed;
      off = skipName(p, len, off);
      if (off < 0 || off + 10 > len) return Ctr.DropDnsMalformed;
      const type = get16(p + <usize>off);
      const cls = get16(p + <usize>off + 2);
      const ttl = get32(p + <usize>off + 4);
      const rdlen = <i32>get16(p + <usize>off + 8);
      const rdata = off + 10;
      off = rdata + rdlen;
      if (off > len) return Ctr.DropDnsMalformed;
      if (cls != CLASS_IN || olen != tlen || !bytesEqual(owner, target, olen)) continue;
      if (type == TYPE_A && rdlen == 4) {
        this.address = get32(p + <usize>rdata);
        this.ttl = ttl;
        return 0;
      }
      if (type == TYPE_CNAME && cnames < MAX_CNAMES) {
        cnames++;
        tlen = expandName(p, rdata + rdlen, rdata, target);
        if (tlen < 0) return Ctr.DropDnsMalformed;
      }
    }
    return 0;
  }

  /** Writes a recursive A query; returns its length. */
  emit(p: usize): i32 {
    put16(p, this.id);
    put16(p + 2, FLAG_RD);
    put16(p + 4, 1);
    put32(p + 6, 0);
    put16(p + 10, 0);
    memory.copy(p + DNS_HEADER, this.qnamePtr, <usize>this.qnameLen);
    const q = p + DNS_HEADER + <usize>this.qnameLen;
    put16(q, TYPE_A);
    put16(q + 2, CLASS_IN);
    return DNS_HEADER + this.qnameLen + 4;
  }
}

/**
 * Copies the name at `off` of the `len`-byte message into `dst` in wire
 * format, compression resolved, lower case; returns its length, or -1. A
 * pointer must lead below everything this name has used so far (so no loop),
 * and the name may not grow past 255 bytes.
 */
export function expandName(msg: usize, len: i32, off: i32, dst: usize): i32 {
  let n = 0;
  let floor = off;
  let i = off;
  while (true) {
    if (i < 0 || i >= len) return -1;
    const c = <i32>get8(msg + <usize>i);
    if (c == 0) {
      if (n + 1 > DNS_NAME_MAX) return -1;
      put8(dst + <usize>n, 0);
      return n + 1;
    }
    if ((c & 0xc0) == 0xc0) {
      if (i + 1 >= len) return -1;
      const t = ((c & 0x3f) << 8) | <i32>get8(msg + <usize>i + 1);
      if (t >= floor) return -1;
      floor = t;
      i = t;
      continue;
    }
    if ((c & 0xc0) != 0) return -1; // the obsolete 0x40 and 0x80 label types
    if (i + 1 + c > len || n + 1 + c + 1 > DNS_NAME_MAX) return -1;
    put8(dst + <usize>n, c);
    for (let k = 1; k <= c; k++) put8(dst + <usize>(n + k), lower(get8(msg + <usize>(i + k))));
    n += 1 + c;
    i += 1 + c;
  }
  return -1;
}

/** The offset just past the name at `off` as it lies in the message (a pointer ends it), or -1. */
export function skipName(msg: usize, len: i32, off: i32): i32 {
  let i = off;
  while (i < len) {
    const c = <i32>get8(msg + <usize>i);
    if (c == 0) return i + 1;
    if ((c & 0xc0) == 0xc0) return i + 2 <= len ? i + 2 : -1;
    if ((c & 0xc0) != 0) return -1;
    i += 1 + c;
  }
  return -1;
}

@inline function lower(c: u32): u32 { return c >= 65 && c <= 90 ? c + 32 : c; }

/**
 * Writes the dotted ASCII name (`n` bytes at `p`, a final dot allowed) in
 * wire format, lower case, at `dst`, followed by `domain` when the name has no
 * dot of its own (a resolver's search domain); returns the length, or -1 for
 * an empty or over-long label or a name past 255 bytes.
 */
export function encodeName(p: usize, n: i32, domainPtr: usize, domainLen: i32, dst: usize): i32 {
  if (n > 0 && get8(p + <usize>n - 1) == 46) n--; // absolute name "a.b."
  if (n <= 0) return -1;
  let dotted = false;
  for (let i = 0; i < n; i++) if (get8(p + <usize>i) == 46) dotted = true;
  let o = appendLabels(p, n, dst, 0);
  if (o < 0) return -1;
  if (!dotted && domainLen > 0) {
    if (get8(domainPtr + <usize>domainLen - 1) == 46) domainLen--;
    if (domainLen > 0) o = appendLabels(domainPtr, domainLen, dst, o);
    if (o < 0) return -1;
  }
  if (o + 1 > DNS_NAME_MAX) return -1;
  put8(dst + <usize>o, 0);
  return o + 1;
}

function appendLabels(p: usize, n: i32, dst: usize, o: i32): i32 {
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && get8(p + <usize>i) != 46) continue;
    const l = i - start;
    if (l < 1 || l > 63 || o + 1 + l + 1 > DNS_NAME_MAX) return -1;
    put8(dst + <usize>o, <u32>l);
    for (let k = 0; k < l; k++) put8(dst + <usize>(o + 1 + k), lower(get8(p + <usize>(start + k))));
    o += 1 + l;
    start = i + 1;
  }
  return o;
}

/** The address written as a dotted quad (`n` bytes at `p`), or 0 when it is not one (then it is a name). */
export function ipv4FromText(p: usize, n: i32): u32 {
  let a: u32 = 0;
  let part: u32 = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = get8(p + <usize>i);
    if (c == 46) {
      if (digits == 0 || ++dots > 3) return 0;
      a = (a << 8) | part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return 0;
      part = part * 10 + c - 48;
      if (part > 255) return 0;
    } else {
      return 0;
    }
  }
  if (dots != 3 || digits == 0) return 0;
  return (a << 8) | part;
}
