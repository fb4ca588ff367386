// TCP segments (RFC 9293): the header, the MSS option, the checksum.

import { getU16, getU32, setU16, setU32 } from './bytes.js';
import { internetChecksum, pseudoChecksumOk, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_TCP } from './ipv4.js';

export const TcpFlag = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;
export const TCP_HEADER_LEN = 20;
const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;

/** The header fields a segment and the values to build one share. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
}

export interface TcpSegment extends TcpHeader {
  /** The MSS option, or null. */
  mss: number | null;
  checksumOk: boolean;
  payload: Uint8Array;
}

export interface TcpFields extends TcpHeader {
  /** For the checksum's pseudo-header. */
  srcIp: number;
  dstIp: number;
  mss?: number;
  payload?: Uint8Array;
}

/** The MSS option of an options area; undefined when the area is malformed. */
function mssOption(b: Uint8Array, hl: number): number | null | undefined {
  let mss: number | null = null;
  for (let i = TCP_HEADER_LEN; i < hl;) {
    const kind = b[i];
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) { i++; continue; }
    if (i + 2 > hl || b[i + 1] < 2 || i + b[i + 1] > hl) return undefined;
    if (kind === OPT_MSS && b[i + 1] === 4) mss = getU16(b, i + 2);
    i += b[i + 1];
  }
  return mss;
}

/** A TCP segment from untrusted bytes (the IPv4 payload), or null when malformed. */
export function decodeTcp(b: Uint8Array, srcIp: number, dstIp: number): TcpSegment | null {
  if (b.length < TCP_HEADER_LEN) return null;
  const hl = (b[12] >> 4) * 4;
  if (hl < TCP_HEADER_LEN || hl > b.length) return null;
  const mss = mssOption(b, hl);
  if (mss === undefined) return null;
  return {
    srcPort: getU16(b, 0),
    dstPort: getU16(b, 2),
    seq: getU32(b, 4),
    ack: getU32(b, 8),
    flags: b[13] & 0x3f,
    window: getU16(b, 14),
    mss,
    checksumOk: pseudoChecksumOk(b, srcIp, dstIp, IPPROTO_TCP),
    payload: b.subarray(hl),
  };
}

export function encodeTcp(f: TcpFields): Uint8Array {
  const payload = f.payload ?? new Uint8Array(0);
  const hl = f.mss !== undefined ? TCP_HEADER_LEN + 4 : TCP_HEADER_LEN;
  const out = new Uint8Array(hl + payload.length);
  setU16(out, 0, f.srcPort);
  setU16(out, 2, f.dstPort);
  setU32(out, 4, f.seq >>> 0);
  setU32(out, 8, f.ack >>> 0);
  out[12] = (hl / 4) << 4;
  out[13] = f.flags;
  setU16(out, 14, f.window);
  if (f.mss !== undefined) {
    out[20] = OPT_MSS;
    out[21] = 4;
    setU16(out, 22, f.mss);
  }
  out.set(payload, hl);
  setU16(out, 16, internetChecksum(out, pseudoHeaderSum(f.srcIp, f.dstIp, IPPROTO_TCP, out.length)));
  return out;
}
