// IEEE 802.1Q: the 4-byte tag between the source MAC and the EtherType.

export const ETHERTYPE_VLAN = 0x8100;
export const VLAN_TAG_LEN = 4;

export interface VlanTag {
  pcp: number;
  dei: boolean;
  vid: number;
}

/** The tag control information (TCI) word. */
export function decodeTci(tci: number): VlanTag {
  return { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
}

export function encodeTci(tag: VlanTag): number {
  return (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid;
}
