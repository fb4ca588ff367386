// IPv4 (RFC 791) headers. The decoder bounds the payload by the total length
// field, so Ethernet padding never reaches the layer above.

import { checkU, getU16, getU32, setU16, setU32 } from './bytes.js';
import { foldSum, internetChecksum, sum16 } from './checksum.js';

export const IPV4_HEADER_LEN = 20;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPV4_BROADCAST = 0xffffffff;

export interface Ipv4Fields {
  src: number;
  dst: number;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units, as on the wire. */
  fragmentOffset?: number;
  /** Raw option bytes, a multiple of 4, at most 40. */
  options?: Uint8Array;
}

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  id: number;
  tos: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  options: Uint8Array;
  headerLength: number;
  checksumOk: boolean;
  /** Bounded by the total length field: Ethernet padding is excluded. */
  payload: Uint8Array;
}

export function decodeIpv4(b: Uint8Array): Ipv4Packet | null {
  if (b.length < IPV4_HEADER_LEN || b[0] >> 4 !== 4) return null;
  const headerLength = (b[0] & 0x0f) * 4;
  const total = getU16(b, 2);
  if (headerLength < IPV4_HEADER_LEN || total < headerLength || total > b.length) return null;
  const frag = getU16(b, 6);
  return {
    src: getU32(b, 12),
    dst: getU32(b, 16),
    protocol: b[9],
    ttl: b[8],
    id: getU16(b, 4),
    tos: b[1],
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragmentOffset: frag & 0x1fff,
    options: b.subarray(IPV4_HEADER_LEN, headerLength),
    headerLength,
    checksumOk: foldSum(sum16(b.subarray(0, headerLength))) === 0xffff,
    payload: b.subarray(headerLength, total),
  };
}

/** A whole datagram: not a fragment of one. */
export function isUnfragmented(p: Ipv4Packet): boolean {
  return !p.moreFragments && p.fragmentOffset === 0;
}

export function encodeIpv4(f: Ipv4Fields): Uint8Array {
  const options = f.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) {
    throw new RangeError(`IPv4 options must be a multiple of 4 bytes, at most 40; got ${options.length}`);
  }
  const headerLength = IPV4_HEADER_LEN + options.length;
  const total = headerLength + f.payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too long: ${total} bytes`);
  checkU('IPv4 src', f.src, 32);
  checkU('IPv4 dst', f.dst, 32);
  checkU('IPv4 protocol', f.protocol, 8);
  checkU('IPv4 ttl', f.ttl ?? 64, 8);
  checkU('IPv4 id', f.id ?? 0, 16);
  checkU('IPv4 tos', f.tos ?? 0, 8);
  checkU('IPv4 fragment offset', f.fragmentOffset ?? 0, 13);
  const out = new Uint8Array(total);
  out[0] = 0x40 | (headerLength / 4);
  out[1] = f.tos ?? 0;
  setU16(out, 2, total);
  setU16(out, 4, f.id ?? 0);
  setU16(out, 6, (f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0) | (f.fragmentOffset ?? 0));
  out[8] = f.ttl ?? 64;
  out[9] = f.protocol;
  setU32(out, 12, f.src);
  setU32(out, 16, f.dst);
  out.set(options, IPV4_HEADER_LEN);
  setU16(out, 10, internetChecksum(out.subarray(0, headerLength)));
  out.set(f.payload, headerLength);
  return out;
}
