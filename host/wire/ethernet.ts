// Ethernet II frames, with or without an 802.1Q tag. Decoded payloads are
// subarrays of the input (no copies).

import type { Mac } from './address.js';
import { checkMac, checkU, getU16, setU16 } from './bytes.js';
import { decodeTci, encodeTci, ETHERTYPE_VLAN, VLAN_TAG_LEN, type VlanTag } from './vlan.js';

export const ETH_HEADER_LEN = 14;
export const ETH_VLAN_HEADER_LEN = ETH_HEADER_LEN + VLAN_TAG_LEN;
/** Minimum Ethernet frame without FCS; shorter frames are padded on the wire. */
export const ETH_MIN_FRAME = 60;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  /** 802.1Q tag, or null when untagged. */
  vlan: VlanTag | null;
  /** EtherType (or an 802.3 length when < 0x0600). */
  etherType: number;
  payload: Uint8Array;
}

export interface EthernetFields {
  dst: Mac;
  src: Mac;
  etherType: number;
  payload: Uint8Array;
  vlan?: VlanTag | null;
}

export function decodeEthernet(frame: Uint8Array): EthernetFrame | null {
  if (frame.length < ETH_HEADER_LEN) return null;
  const dst = frame.subarray(0, 6);
  const src = frame.subarray(6, 12);
  const type = getU16(frame, 12);
  if (type !== ETHERTYPE_VLAN) return { dst, src, vlan: null, etherType: type, payload: frame.subarray(ETH_HEADER_LEN) };
  if (frame.length < ETH_VLAN_HEADER_LEN) return null;
  const vlan = decodeTci(getU16(frame, 14));
  return { dst, src, vlan, etherType: getU16(frame, 16), payload: frame.subarray(ETH_VLAN_HEADER_LEN) };
}

export function encodeEthernet(f: EthernetFields, padToMin = false): Uint8Array {
  checkMac('Ethernet dst', f.dst);
  checkMac('Ethernet src', f.src);
  checkU('EtherType', f.etherType, 16);
  const header = f.vlan ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  const len = header + f.payload.length;
  const out = new Uint8Array(padToMin ? Math.max(len, ETH_MIN_FRAME) : len);
  out.set(f.dst, 0);
  out.set(f.src, 6);
  if (f.vlan) {
    checkU('VLAN pcp', f.vlan.pcp, 3);
    checkU('VLAN vid', f.vlan.vid, 12);
    setU16(out, 12, ETHERTYPE_VLAN);
    setU16(out, 14, encodeTci(f.vlan));
  }
  setU16(out, header - 2, f.etherType);
  out.set(f.payload, header);
  return out;
}
