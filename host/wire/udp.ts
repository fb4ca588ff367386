// UDP (RFC 768), and the whole Ethernet + IPv4 + UDP frame the simulated
// servers send and take.

import type { Mac } from './address.js';
import { checkU, getU16, setU16 } from './bytes.js';
import { internetChecksum, pseudoChecksumOk, pseudoHeaderSum } from './checksum.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_IPV4, type EthernetFrame } from './ethernet.js';
import { decodeIpv4, encodeIpv4, IPPROTO_UDP, isUnfragmented, type Ipv4Packet } from './ipv4.js';
import type { VlanTag } from './vlan.js';

export const UDP_HEADER_LEN = 8;

export interface UdpFields {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  checksum: number;
  /** null when the sender sent no checksum (zero). */
  checksumOk: boolean | null;
  payload: Uint8Array;
}

export function decodeUdp(b: Uint8Array, srcIp: number, dstIp: number): UdpDatagram | null {
  if (b.length < UDP_HEADER_LEN) return null;
  const length = getU16(b, 4);
  if (length < UDP_HEADER_LEN || length > b.length) return null;
  const checksum = getU16(b, 6);
  const checksumOk = checksum === 0 ? null : pseudoChecksumOk(b.subarray(0, length), srcIp, dstIp, IPPROTO_UDP);
  return { srcPort: getU16(b, 0), dstPort: getU16(b, 2), checksum, checksumOk, payload: b.subarray(UDP_HEADER_LEN, length) };
}

export function encodeUdp(f: UdpFields): Uint8Array {
  checkU('UDP source port', f.srcPort, 16);
  checkU('UDP destination port', f.dstPort, 16);
  const length = UDP_HEADER_LEN + f.payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram too long: ${length} bytes`);
  const out = new Uint8Array(length);
  setU16(out, 0, f.srcPort);
  setU16(out, 2, f.dstPort);
  setU16(out, 4, length);
  out.set(f.payload, UDP_HEADER_LEN);
  const sum = internetChecksum(out, pseudoHeaderSum(f.srcIp, f.dstIp, IPPROTO_UDP, length));
  setU16(out, 6, sum === 0 ? 0xffff : sum);
  return out;
}

// ------------------------------------------------- Ethernet + IPv4 + UDP in one

export interface UdpFrameFields extends UdpFields {
  srcMac: Mac;
  dstMac: Mac;
  ttl?: number;
  id?: number;
  vlan?: VlanTag | null;
}

export interface UdpFrame {
  eth: EthernetFrame;
  ip: Ipv4Packet;
  udp: UdpDatagram;
}

export function buildUdpFrame(f: UdpFrameFields): Uint8Array {
  const ip = encodeIpv4({ src: f.srcIp, dst: f.dstIp, protocol: IPPROTO_UDP, ttl: f.ttl, id: f.id, payload: encodeUdp(f) });
  return encodeEthernet({ dst: f.dstMac, src: f.srcMac, etherType: ETHERTYPE_IPV4, vlan: f.vlan, payload: ip }, true);
}

/** An unfragmented IPv4/UDP frame, or null. Checksum verdicts are left to the caller. */
export function parseUdpFrame(frame: Uint8Array): UdpFrame | null {
  const eth = decodeEthernet(frame);
  if (eth === null || eth.etherType !== ETHERTYPE_IPV4) return null;
  const ip = decodeIpv4(eth.payload);
  if (ip === null || ip.protocol !== IPPROTO_UDP || !isUnfragmented(ip)) return null;
  const udp = decodeUdp(ip.payload, ip.src, ip.dst);
  return udp === null ? null : { eth, ip, udp };
}
