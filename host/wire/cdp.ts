// CDP (Cisco Discovery Protocol) as the simulated switch speaks it: 802.3
// length + LLC/SNAP to 01:00:0c:cc:cc:cc, a version/TTL/checksum header and
// TLVs. The checksum is the Internet checksum with Cisco's rule for an odd
// final byte (added in the low half, sign-extended, minus one if negative).

import { getU16, getU32 } from './bytes.js';

export const CDP_MAC = Uint8Array.of(0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc);
/** LLC/SNAP header of a CDP frame: after the 802.3 header, before the CDP header. */
export const CDP_SNAP = Uint8Array.of(0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00);

export const CdpTlv = {
  DeviceId: 0x01, Addresses: 0x02, PortId: 0x03, Capabilities: 0x04, SoftwareVersion: 0x05, Platform: 0x06,
  NativeVlan: 0x0a, Duplex: 0x0b, VoipVlanReply: 0x0e, VoipVlanQuery: 0x0f,
  Power: 0x10, PowerRequested: 0x19, PowerAvailable: 0x1a,
} as const;

export interface CdpTlvValue { type: number; value: Uint8Array }

export function cdpChecksum(pdu: Uint8Array): number {
  let sum = 0;
  const even = pdu.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (pdu[i] << 8) | pdu[i + 1];
  if (pdu.length & 1) {
    const last = pdu[pdu.length - 1];
    sum += last & 0x80 ? ((last - 1) | 0xff00) : last;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A whole CDPv2 frame from `src` carrying `tlvs`. */
export function encodeCdp(src: Uint8Array, tlvs: CdpTlvValue[], ttl = 180): Uint8Array {
  const body = tlvs.reduce((n, t) => n + 4 + t.value.length, 0);
  const pdu = new Uint8Array(4 + body);
  pdu[0] = 2;
  pdu[1] = ttl;
  let o = 4;
  for (const t of tlvs) {
    pdu[o] = t.type >> 8; pdu[o + 1] = t.type & 0xff;
    pdu[o + 2] = (4 + t.value.length) >> 8; pdu[o + 3] = (4 + t.value.length) & 0xff;
    pdu.set(t.value, o + 4);
    o += 4 + t.value.length;
  }
  const c = cdpChecksum(pdu);
  pdu[2] = c >> 8; pdu[3] = c & 0xff;
  const frame = new Uint8Array(Math.max(60, 14 + CDP_SNAP.length + pdu.length));
  frame.set(CDP_MAC, 0);
  frame.set(src, 6);
  const len = CDP_SNAP.length + pdu.length;
  frame[12] = len >> 8; frame[13] = len & 0xff;
  frame.set(CDP_SNAP, 14);
  frame.set(pdu, 22);
  return frame;
}

/** The TLVs of a CDP frame with a good checksum, or null. */
export function decodeCdp(frame: Uint8Array): CdpTlvValue[] | null {
  if (frame.length < 26) return null;
  const len = getU16(frame, 12);
  if (len > 1500 || 14 + len > frame.length) return null;
  if (!CDP_SNAP.every((b, i) => frame[14 + i] === b)) return null;
  const pdu = frame.subarray(22, 14 + len);
  if (pdu.length < 4 || cdpChecksum(pdu) !== 0) return null;
  const tlvs: CdpTlvValue[] = [];
  for (let o = 4; o + 4 <= pdu.length;) {
    const type = getU16(pdu, o);
    const n = getU16(pdu, o + 2);
    if (n < 4 || o + n > pdu.length) return null;
    tlvs.push({ type, value: pdu.subarray(o + 4, o + n) });
    o += n;
  }
  return tlvs;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);

/** VoIP VLAN Reply (0x0e): data byte 1, then the VLAN id. */
export function voipVlanReply(vid: number): CdpTlvValue {
  return { type: CdpTlv.VoipVlanReply, value: Uint8Array.of(1, vid >> 8, vid & 0xff) };
}

/** The IPv4 addresses of an Addresses TLV (0x02): a count, then records of NLPID 0xCC (protocol type 1, length 1), 4-byte address. */
export function cdpAddresses(value: Uint8Array): string[] {
  const out: string[] = [];
  if (value.length < 4) return out;
  let n = getU32(value, 0);
  let o = 4;
  while (n-- > 0 && o + 2 <= value.length) {
    const plen = value[o + 1];
    const a = o + 2 + plen;
    if (a + 2 > value.length) break;
    const alen = getU16(value, a);
    if (a + 2 + alen > value.length) break;
    if (value[o] === 1 && plen === 1 && value[o + 2] === 0xcc && alen === 4) out.push(Array.from(value.subarray(a + 2, a + 6)).join("."));
    o = a + 2 + alen;
  }
  return out;
}
