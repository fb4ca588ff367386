// VXLAN (RFC 7348): an Ethernet frame in a UDP datagram behind an 8-byte
// header (flags with the I bit, then a 24-bit network identifier).

import { ETH_HEADER_LEN } from './ethernet.js';

export const VXLAN_PORT = 4789;
export const VXLAN_HEADER_LEN = 8;
const FLAG_VNI_VALID = 0x08;

export function vxlanEncap(vni: number, frame: Uint8Array): Uint8Array {
  return vxlanEncapInto(new Uint8Array(VXLAN_HEADER_LEN + frame.length), vni, frame);
}

/** Writes the datagram for `frame` at the start of `out` (room for the header and the frame); returns `out`. */
export function vxlanEncapInto(out: Uint8Array, vni: number, frame: Uint8Array): Uint8Array {
  out.fill(0, 0, VXLAN_HEADER_LEN);
  out[0] = FLAG_VNI_VALID;
  out[4] = (vni >> 16) & 0xff;
  out[5] = (vni >> 8) & 0xff;
  out[6] = vni & 0xff;
  out.set(frame, VXLAN_HEADER_LEN);
  return out;
}

/** The inner frame of a VXLAN datagram for `vni`, or null (another VNI, no I flag, too short). */
export function vxlanDecap(vni: number, datagram: Uint8Array): Uint8Array | null {
  if (datagram.length < VXLAN_HEADER_LEN + ETH_HEADER_LEN || (datagram[0] & FLAG_VNI_VALID) === 0) return null;
  const got = (datagram[4] << 16) | (datagram[5] << 8) | datagram[6];
  return got === vni ? datagram.subarray(VXLAN_HEADER_LEN) : null;
}
