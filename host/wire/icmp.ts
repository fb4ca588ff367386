// ICMP (RFC 792): echo and destination unreachable, with the datagram an
// error quotes (its IPv4 header and the first bytes of what it carried).
import { internetChecksum } from './checksum.js';

export const ICMP_HEADER_LEN = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
/** RFC 1812 4.3.2.3: an error quotes as much of the datagram as keeps it within 576 bytes of IPv4. */
const MAX_QUOTE = 576 - 20 - ICMP_HEADER_LEN;

export interface IcmpMessage {
  type: number;
  code: number;
  /** Bytes 4-7: identifier and sequence of an echo; unused (0) in an unreachable. */
  rest: number;
  /** What follows the header: echo data, or the quoted datagram. */
  body: Uint8Array;
  checksumOk: boolean;
}

export function encodeIcmp(m: Omit<IcmpMessage, 'checksumOk'>): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_LEN + m.body.length);
  const v = new DataView(out.buffer);
  out[0] = m.type;
  out[1] = m.code;
  v.setUint32(4, m.rest >>> 0);
  out.set(m.body, ICMP_HEADER_LEN);
  v.setUint16(2, internetChecksum(out));
  return out;
}

export function decodeIcmp(b: Uint8Array): IcmpMessage | null {
  if (b.length < ICMP_HEADER_LEN) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: b[0], code: b[1], rest: v.getUint32(4), body: b.subarray(ICMP_HEADER_LEN), checksumOk: internetChecksum(b) === 0 };
}

/** Destination unreachable `code` about `datagram` (the whole IPv4 packet that could not be delivered). */
export function icmpUnreachable(code: number, datagram: Uint8Array): Uint8Array {
  return encodeIcmp({ type: ICMP_UNREACHABLE, code, rest: 0, body: datagram.subarray(0, MAX_QUOTE) });
}
