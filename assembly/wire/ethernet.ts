// Ethernet II (IEEE 802.3 with EtherType), without FCS: the MAC strips it.
import { get16, getMac, put16, putMac } from "../lib/bytes";
import { Ctr } from "../counters";

export const ETH_HEADER = 14;
/** Frames shorter than this are padded on transmit (64 bytes on the wire with FCS). */
export const ETH_MIN_FRAME = 60;

export const enum EtherType { Ipv4 = 0x0800, Arp = 0x0806, Vlan = 0x8100 }

// The view: checked once by EthernetRepr.parse (or `len >= ETH_HEADER`), then read in place.
@inline export function ethDst(f: usize): u64 { return getMac(f); }
@inline export function ethSrc(f: usize): u64 { return getMac(f + 6); }
@inline export function ethType(f: usize): u32 { return get16(f + 12); }

@unmanaged export class EthernetRepr {
  dst: u64;
  src: u64;
  etherType: u32;

  /** Returns 0, or the Ctr drop reason. */
  parse(f: usize, len: i32): i32 {
    if (len < ETH_HEADER) return Ctr.DropEthTruncated;
    this.dst = ethDst(f);
    this.src = ethSrc(f);
    this.etherType = ethType(f);
    return 0;
  }

  /** Writes the 14-byte header; returns its length. */
  emit(f: usize): i32 {
    putMac(f, this.dst);
    putMac(f + 6, this.src);
    put16(f + 12, this.etherType);
    return ETH_HEADER;
  }
}
