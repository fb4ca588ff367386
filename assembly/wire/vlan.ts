// IEEE 802.1Q tags: TPID 0x8100, then priority (PCP), DEI and VLAN id.
// The phone tags its IP traffic on the voice VLAN with PCP 5 (voice).
import { get16, put16 } from "../lib/bytes";
import { Ctr } from "../counters";

export const VLAN_TAG = 4;
export const TPID: u32 = 0x8100;
export const VOICE_PCP: u32 = 5;

@unmanaged export class VlanRepr {
  pcp: u32;
  dei: bool;
  vid: u32;
  /** The EtherType of what the tag carries. */
  innerType: u32;

  /** Reads the tag at `p` (where the EtherType of an untagged frame would be). */
  parse(p: usize, len: i32): i32 {
    if (len < VLAN_TAG + 2 || get16(p) != TPID) return Ctr.DropEthTruncated;
    const tci = get16(p + 2);
    this.pcp = tci >> 13;
    this.dei = (tci & 0x1000) != 0;
    this.vid = tci & 0x0fff;
    this.innerType = get16(p + 4);
    return 0;
  }

  /** Writes TPID, TCI and the inner EtherType; returns 6. */
  emit(p: usize): i32 {
    put16(p, TPID);
    put16(p + 2, (this.pcp << 13) | (this.dei ? 0x1000 : 0) | (this.vid & 0x0fff));
    put16(p + 4, this.innerType);
    return VLAN_TAG + 2;
  }
}
