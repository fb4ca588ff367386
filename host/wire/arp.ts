// ARP for IPv4 over Ethernet (RFC 826).

import type { Mac } from './address.js';
import { checkMac, checkU, getU16, getU32, setU16, setU32 } from './bytes.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: number;
  targetMac: Mac;
  targetIp: number;
}

/** Ethernet/IPv4 ARP only; anything else is null. */
export function decodeArp(b: Uint8Array): ArpPacket | null {
  if (b.length < ARP_LEN) return null;
  if (getU16(b, 0) !== 1 || getU16(b, 2) !== ETHERTYPE_IPV4 || b[4] !== 6 || b[5] !== 4) return null;
  const op = getU16(b, 6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    op,
    senderMac: b.subarray(8, 14),
    senderIp: getU32(b, 14),
    targetMac: b.subarray(18, 24),
    targetIp: getU32(b, 24),
  };
}

export function encodeArp(p: ArpPacket): Uint8Array {
  checkU('ARP op', p.op, 16);
  checkMac('ARP sender MAC', p.senderMac);
  checkMac('ARP target MAC', p.targetMac);
  checkU('ARP sender IP', p.senderIp, 32);
  checkU('ARP target IP', p.targetIp, 32);
  const out = new Uint8Array(ARP_LEN);
  setU16(out, 0, 1);
  setU16(out, 2, ETHERTYPE_IPV4);
  out[4] = 6;
  out[5] = 4;
  setU16(out, 6, p.op);
  out.set(p.senderMac, 8);
  setU32(out, 14, p.senderIp);
  out.set(p.targetMac, 18);
  setU32(out, 24, p.targetIp);
  return out;
}

/** A request for `targetIp` from (senderMac, senderIp); the target MAC is zero. */
export function arpRequest(senderMac: Mac, senderIp: number, targetIp: number): ArpPacket {
  return { op: ARP_REQUEST, senderMac, senderIp, targetMac: new Uint8Array(6), targetIp };
}

/** The reply to `request` from the owner of its target address. */
export function arpReply(request: ArpPacket, ownerMac: Mac): ArpPacket {
  return { op: ARP_REPLY, senderMac: ownerMac, senderIp: request.targetIp, targetMac: request.senderMac, targetIp: request.senderIp };
}
