// DHCP/BOOTP messages (RFC 2131/2132): the fixed header, options (with
// overload, RFC 2131 4.1, and long options split, RFC 3396), and helpers to
// read and build option values.

import { asciiBytes, bytesToAscii, checkU, getU16, getU32, setU16, setU32 } from './bytes.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_MAGIC_COOKIE = 0x63825363;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_FLAG_BROADCAST = 0x8000;
/** Fixed BOOTP header (236) + magic cookie (4). */
export const DHCP_FIXED_LEN = 240;
/** RFC 951's 300-byte BOOTP message; many relays drop shorter ones. */
export const BOOTP_MIN_LEN = 300;

export const DhcpType = {
  DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8,
} as const;

export const DhcpOpt = {
  PAD: 0, SUBNET_MASK: 1, ROUTER: 3, DNS_SERVERS: 6, HOST_NAME: 12, DOMAIN_NAME: 15,
  BROADCAST_ADDRESS: 28, REQUESTED_IP: 50, LEASE_TIME: 51, OVERLOAD: 52, MESSAGE_TYPE: 53,
  SERVER_ID: 54, PARAM_REQUEST_LIST: 55, MESSAGE: 56, MAX_MESSAGE_SIZE: 57, RENEWAL_TIME: 58,
  REBINDING_TIME: 59, VENDOR_CLASS_ID: 60, CLIENT_ID: 61, TFTP_SERVER_NAME: 66, BOOTFILE_NAME: 67,
  TFTP_SERVERS: 150, END: 255,
} as const;

export interface DhcpOption {
  code: number;
  data: Uint8Array;
}

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** 16 bytes; the hardware address is the first hlen. */
  chaddr: Uint8Array;
  /** 64 raw bytes; holds options instead of a name when overload has bit 2. */
  sname: Uint8Array;
  /** 128 raw bytes; holds options instead of a name when overload has bit 1. */
  file: Uint8Array;
  /** In wire order: options field, then file, then sname (RFC 2131 4.1). */
  options: DhcpOption[];
}

export interface DecodedDhcp extends DhcpMessage {
  /** Option 52 value: 0 none, 1 file, 2 sname, 3 both. */
  overload: number;
}

export interface DhcpInit {
  op: number;
  xid: number;
  chaddr: Uint8Array;
  htype?: number;
  hlen?: number;
  hops?: number;
  secs?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  siaddr?: number;
  giaddr?: number;
  sname?: string | Uint8Array;
  file?: string | Uint8Array;
  options?: DhcpOption[];
}

/** Parses one option area into out; false if an option runs past the end. */
function parseOptionArea(b: Uint8Array, out: DhcpOption[]): boolean {
  let i = 0;
  while (i < b.length) {
    const code = b[i];
    if (code === DhcpOpt.PAD) { i++; continue; }
    if (code === DhcpOpt.END) return true;
    if (i + 1 >= b.length) return false;
    const len = b[i + 1];
    if (i + 2 + len > b.length) return false;
    out.push({ code, data: b.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return true;
}

export function decodeDhcp(b: Uint8Array): DecodedDhcp | null {
  if (b.length < DHCP_FIXED_LEN) return null;
  const op = b[0];
  const hlen = b[2];
  if ((op !== BOOTREQUEST && op !== BOOTREPLY) || hlen > 16) return null;
  if (getU32(b, 236) !== DHCP_MAGIC_COOKIE) return null;
  const sname = b.subarray(44, 108);
  const file = b.subarray(108, 236);
  const options: DhcpOption[] = [];
  if (!parseOptionArea(b.subarray(DHCP_FIXED_LEN), options)) return null;
  const ov = options.find((o) => o.code === DhcpOpt.OVERLOAD);
  const overload = ov === undefined ? 0 : ov.data.length === 1 ? ov.data[0] : -1;
  if (overload < 0 || overload > 3) return null;
  if ((overload & 1) !== 0 && !parseOptionArea(file, options)) return null;
  if ((overload & 2) !== 0 && !parseOptionArea(sname, options)) return null;
  return {
    op, htype: b[1], hlen, hops: b[3], xid: getU32(b, 4), secs: getU16(b, 8), flags: getU16(b, 10),
    ciaddr: getU32(b, 12), yiaddr: getU32(b, 16), siaddr: getU32(b, 20), giaddr: getU32(b, 24),
    chaddr: b.subarray(28, 44), sname, file, options, overload,
  };
}

function fixedField(name: string, value: string | Uint8Array | undefined, size: number): Uint8Array {
  const bytes = typeof value === 'string' ? asciiBytes(name, value) : value ?? new Uint8Array(0);
  if (bytes.length > size) throw new RangeError(`DHCP ${name} holds at most ${size} bytes, got ${bytes.length}`);
  return bytes;
}

/** Options are written in list order; data over 255 bytes is split (RFC 3396). */
export function encodeDhcp(m: DhcpInit, minLength = BOOTP_MIN_LEN): Uint8Array {
  const chaddr = fixedField('chaddr', m.chaddr, 16);
  const sname = fixedField('sname', m.sname, 64);
  const file = fixedField('file', m.file, 128);
  const options = m.options ?? [];
  let optLen = 1;
  for (const o of options) {
    checkU('DHCP option code', o.code, 8);
    if (o.code === DhcpOpt.PAD || o.code === DhcpOpt.END) throw new RangeError(`DHCP option ${o.code} is reserved`);
    optLen += dhcpOptionSize(o);
  }
  const out = new Uint8Array(Math.max(DHCP_FIXED_LEN + optLen, minLength));
  const words: Array<[string, number, number]> = [
    ['op', m.op, 8], ['htype', m.htype ?? 1, 8], ['hlen', m.hlen ?? Math.min(chaddr.length, 16), 8],
    ['hops', m.hops ?? 0, 8], ['xid', m.xid, 32], ['secs', m.secs ?? 0, 16], ['flags', m.flags ?? 0, 16],
    ['ciaddr', m.ciaddr ?? 0, 32], ['yiaddr', m.yiaddr ?? 0, 32], ['siaddr', m.siaddr ?? 0, 32],
    ['giaddr', m.giaddr ?? 0, 32],
  ];
  for (const [name, value, bits] of words) checkU(`DHCP ${name}`, value, bits);
  out[0] = m.op;
  out[1] = m.htype ?? 1;
  out[2] = m.hlen ?? Math.min(chaddr.length, 16);
  out[3] = m.hops ?? 0;
  setU32(out, 4, m.xid);
  setU16(out, 8, m.secs ?? 0);
  setU16(out, 10, m.flags ?? 0);
  setU32(out, 12, m.ciaddr ?? 0);
  setU32(out, 16, m.yiaddr ?? 0);
  setU32(out, 20, m.siaddr ?? 0);
  setU32(out, 24, m.giaddr ?? 0);
  out.set(chaddr, 28);
  out.set(sname, 44);
  out.set(file, 108);
  setU32(out, 236, DHCP_MAGIC_COOKIE);
  let p = DHCP_FIXED_LEN;
  for (const o of options) p = writeOption(out, p, o);
  out[p] = DhcpOpt.END;
  return out;
}

function writeOption(out: Uint8Array, at: number, o: DhcpOption): number {
  let p = at;
  let i = 0;
  do {
    const chunk = o.data.subarray(i, i + 255);
    out[p] = o.code;
    out[p + 1] = chunk.length;
    out.set(chunk, p + 2);
    p += 2 + chunk.length;
    i += 255;
  } while (i < o.data.length);
  return p;
}

/** Encoded size of one option, as encodeDhcp writes it. */
export function dhcpOptionSize(o: DhcpOption): number {
  return o.data.length + 2 * Math.max(1, Math.ceil(o.data.length / 255));
}

// ------------------------------------------------------------ option helpers

/** All instances of an option, concatenated (RFC 3396); null if absent. */
export function dhcpOption(m: DhcpMessage, code: number): Uint8Array | null {
  const parts = m.options.filter((o) => o.code === code);
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0].data;
  const out = new Uint8Array(parts.reduce((n, o) => n + o.data.length, 0));
  let p = 0;
  for (const o of parts) { out.set(o.data, p); p += o.data.length; }
  return out;
}

export function dhcpMessageType(m: DhcpMessage): number | null {
  const d = dhcpOption(m, DhcpOpt.MESSAGE_TYPE);
  return d !== null && d.length === 1 ? d[0] : null;
}

export function dhcpOptionU32(m: DhcpMessage, code: number): number | null {
  const d = dhcpOption(m, code);
  return d !== null && d.length === 4 ? getU32(d, 0) : null;
}

export function dhcpOptionU16(m: DhcpMessage, code: number): number | null {
  const d = dhcpOption(m, code);
  return d !== null && d.length === 2 ? getU16(d, 0) : null;
}

export function dhcpOptionIpList(m: DhcpMessage, code: number): number[] | null {
  const d = dhcpOption(m, code);
  if (d === null || d.length === 0 || d.length % 4 !== 0) return null;
  return Array.from({ length: d.length / 4 }, (_, i) => getU32(d, 4 * i));
}

/** Byte-per-char string; trailing NULs (sent by some clients) are dropped. */
export function dhcpOptionString(m: DhcpMessage, code: number): string | null {
  const d = dhcpOption(m, code);
  return d === null ? null : bytesToAscii(d).replace(/\0+$/, '');
}

export function optU8(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 8);
  return { code, data: Uint8Array.of(value) };
}

export function optU16(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 16);
  return { code, data: Uint8Array.of(value >>> 8, value & 0xff) };
}

export function optU32(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 32);
  return { code, data: Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff) };
}

export function optIpList(code: number, ips: readonly number[]): DhcpOption {
  const data = new Uint8Array(4 * ips.length);
  ips.forEach((ip, i) => data.set(optU32(code, ip).data, 4 * i));
  return { code, data };
}

export function optString(code: number, s: string): DhcpOption {
  return { code, data: asciiBytes(`DHCP option ${code}`, s) };
}

export function optBytes(code: number, data: Uint8Array): DhcpOption {
  return { code, data };
}
