// LLDP (IEEE 802.1AB) with the LLDP-MED extensions (TIA-1057) a voice
// switch sends: MED capabilities and a network policy for voice.

export const LLDP_MAC = Uint8Array.of(0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e);
export const ETHERTYPE_LLDP = 0x88cc;
const MED_OUI = [0x00, 0x12, 0xbb];

export const LldpTlv = { End: 0, ChassisId: 1, PortId: 2, Ttl: 3, SystemName: 5, Capabilities: 7, Org: 127 } as const;
export const MedSubtype = { Capabilities: 1, NetworkPolicy: 2, ExtendedPower: 4 } as const;

export interface LldpTlvValue { type: number; value: Uint8Array }

export function tlv(type: number, value: Uint8Array): LldpTlvValue {
  return { type, value };
}

export function medTlv(subtype: number, value: number[]): LldpTlvValue {
  return tlv(LldpTlv.Org, Uint8Array.from([...MED_OUI, subtype, ...value]));
}

export interface VoicePolicy { vid: number; tagged: boolean; priority: number; dscp: number }

/** LLDP-MED network policy, application type 1 (voice). */
export function voicePolicy(p: VoicePolicy): LldpTlvValue {
  // 3 bytes: U(1) T(1) X(1) VLAN(12) L2 priority(3) DSCP(6)
  const bits = ((p.tagged ? 1 : 0) << 22) | ((p.vid & 0xfff) << 9) | ((p.priority & 7) << 6) | (p.dscp & 0x3f);
  return medTlv(MedSubtype.NetworkPolicy, [1, (bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff]);
}

export function encodeLldp(src: Uint8Array, tlvs: LldpTlvValue[]): Uint8Array {
  const all = [...tlvs, tlv(LldpTlv.End, new Uint8Array(0))];
  const body = all.reduce((n, t) => n + 2 + t.value.length, 0);
  const frame = new Uint8Array(Math.max(60, 14 + body));
  frame.set(LLDP_MAC, 0);
  frame.set(src, 6);
  frame[12] = ETHERTYPE_LLDP >> 8;
  frame[13] = ETHERTYPE_LLDP & 0xff;
  let o = 14;
  for (const t of all) {
    const head = (t.type << 9) | t.value.length;
    frame[o] = head >> 8;
    frame[o + 1] = head & 0xff;
    frame.set(t.value, o + 2);
    o += 2 + t.value.length;
  }
  return frame;
}

/** The TLVs of an LLDP frame (End excluded), or null when malformed. */
export function decodeLldp(frame: Uint8Array): LldpTlvValue[] | null {
  if (frame.length < 16 || ((frame[12] << 8) | frame[13]) !== ETHERTYPE_LLDP) return null;
  const tlvs: LldpTlvValue[] = [];
  for (let o = 14; o + 2 <= frame.length;) {
    const head = (frame[o] << 8) | frame[o + 1];
    const type = head >> 9;
    const n = head & 0x1ff;
    if (o + 2 + n > frame.length) return null;
    if (type === LldpTlv.End) return tlvs;
    tlvs.push({ type, value: frame.subarray(o + 2, o + 2 + n) });
    o += 2 + n;
  }
  return null;
}

/** True when the frame carries any LLDP-MED TLV: the sender is a MED endpoint. */
export function isMedEndpoint(tlvs: LldpTlvValue[]): boolean {
  return tlvs.some((t) => t.type === LldpTlv.Org && t.value.length >= 4 && MED_OUI.every((b, i) => t.value[i] === b));
}
