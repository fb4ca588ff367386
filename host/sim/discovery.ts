// The discovery side of a Catalyst access port with `switchport voice vlan
// N`: CDP with the VoIP VLAN Reply (at link-up, every 60 s, and at once when
// a phone asks), and LLDP-MED network policy once the port has heard a MED
// endpoint (fast start: four frames a second apart, then every 30 s).
import type { Scheduler } from "./scheduler.js";
import type { EthernetSwitch } from "./switch.js";
import { CdpTlv, cdpAddresses, decodeCdp, encodeCdp, text, u16, voipVlanReply, type CdpTlvValue } from "../wire/cdp.js";
import { powerAvailableTlv, type PoeSwitch } from "../poe.js";
import { decodeLldp, encodeLldp, isMedEndpoint, LldpTlv, medTlv, MedSubtype, tlv, voicePolicy } from "../wire/lldp.js";

export type VlanAnnouncement = "cdp" | "lldp" | "both" | "none";

export interface DiscoveryOptions {
  /** Which protocols tell the phone its voice VLAN. */
  announce: VlanAnnouncement;
  deviceId?: string;
  cdpIntervalS?: number;
  lldpIntervalS?: number;
  /** The port's power sourcing: CDP Power Requested renegotiates it, and CDP carries Power Available. */
  poe?: PoeSwitch;
}

const LLDP_FAST_START = 4;

/** What the switch heard from the device on the port. */
export interface Neighbor {
  protocol: "cdp" | "lldp";
  deviceId: string | null;
  tUs: number;
  /** CDP Addresses (0x02): the device's IPv4 addresses (`show cdp neighbors detail`). */
  addresses?: string[];
  /** CDP Power Requested (0x19) as received: request id, management id, mW. */
  powerRequest?: { requestId: number; managementId: number; mw: number };
  /** CDP Power (0x10), the consumption 79xx phones announce, mW. */
  powerMw?: number;
}

export class PortDiscovery {
  readonly neighbors: Neighbor[] = [];
  cdpSent = 0;
  lldpSent = 0;
  private lldpFastLeft = 0;
  private readonly mac: Uint8Array;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly sw: EthernetSwitch,
    private readonly port: number,
    private readonly opts: DiscoveryOptions,
  ) {
    this.mac = Uint8Array.of(0x00, 0x1e, 0x7a, 0x00, port >> 8, port & 0xff);
  }

  private get speaksCdp(): boolean { return this.opts.announce === "cdp" || this.opts.announce === "both"; }
  private get speaksLldp(): boolean { return this.opts.announce === "lldp" || this.opts.announce === "both"; }

  /** Link up: CDP goes out at once and then periodically. */
  start(): void {
    if (this.speaksCdp) this.cdpTick();
  }

  /** Sends CDP now, as a switch does after `switchport voice vlan` changes. */
  triggerCdp(): void {
    if (this.speaksCdp) this.sendCdp();
  }

  receive(frame: Uint8Array): void {
    const cdp = decodeCdp(frame);
    if (cdp) return this.onCdp(cdp);
    const lldp = decodeLldp(frame);
    if (lldp) this.onLldp(lldp);
  }

  private onCdp(tlvs: CdpTlvValue[]): void {
    const id = tlvs.find((t) => t.type === CdpTlv.DeviceId);
    const n: Neighbor = { protocol: "cdp", deviceId: id ? new TextDecoder().decode(id.value) : null, tUs: this.scheduler.now };
    const addr = tlvs.find((t) => t.type === CdpTlv.Addresses);
    if (addr) n.addresses = cdpAddresses(addr.value);
    const legacy = tlvs.find((t) => t.type === CdpTlv.Power && t.value.length >= 2);
    if (legacy) n.powerMw = (legacy.value[0] << 8) | legacy.value[1];
    const req = tlvs.find((t) => t.type === CdpTlv.PowerRequested && t.value.length >= 8);
    if (req) {
      const v = new DataView(req.value.buffer, req.value.byteOffset, req.value.byteLength);
      n.powerRequest = { requestId: v.getUint16(0), managementId: v.getUint16(2), mw: v.getUint32(4) };
    }
    this.neighbors.push(n);
    const renegotiated = this.renegotiatePower(n);
    if (this.speaksCdp && (renegotiated || tlvs.some((t) => t.type === CdpTlv.VoipVlanQuery))) this.sendCdp();
  }

  /**
   * As a Catalyst reads a phone's power TLVs: Power Requested (0x19) with a
   * non-zero request id renegotiates the allocation (request id 0 is "no
   * request"); without one, the legacy Power TLV (0x10) of 79xx phones sets
   * it. True when the allocation moved, or a new request wants its answer.
   */
  private renegotiatePower(n: Neighbor): boolean {
    const poe = this.opts.poe;
    if (!poe) return false;
    const req = n.powerRequest && n.powerRequest.requestId !== 0 ? n.powerRequest : null;
    const requestedMw = req ? req.mw : n.powerMw;
    if (requestedMw === undefined) return false;
    const before = poe.cdpPowerAvailable(this.port);
    const answer = poe.cdpPowerRequest(this.port, { requestId: req?.requestId ?? 0, managementId: req?.managementId, requestedMw });
    return answer !== null && (before === null || answer.availableMw !== before.availableMw || answer.requestId !== before.requestId);
  }

  private onLldp(tlvs: { type: number; value: Uint8Array }[]): void {
    const name = tlvs.find((t) => t.type === LldpTlv.SystemName);
    this.neighbors.push({ protocol: "lldp", deviceId: name ? new TextDecoder().decode(name.value) : null, tUs: this.scheduler.now });
    const first = this.lldpSent === 0 && this.lldpFastLeft === 0;
    if (this.speaksLldp && isMedEndpoint(tlvs) && first) {
      this.lldpFastLeft = LLDP_FAST_START;
      this.lldpTick();
    }
  }

  private cdpTick(): void {
    this.sendCdp();
    this.scheduler.after((this.opts.cdpIntervalS ?? 60) * 1_000_000, () => this.cdpTick());
  }

  private lldpTick(): void {
    this.sendLldp();
    const fast = this.lldpFastLeft > 0 && --this.lldpFastLeft > 0;
    this.scheduler.after(fast ? 1_000_000 : (this.opts.lldpIntervalS ?? 30) * 1_000_000, () => this.lldpTick());
  }

  private sendCdp(): void {
    const { accessVlan, voiceVlan } = this.sw.portVlans(this.port);
    const tlvs: CdpTlvValue[] = [
      { type: CdpTlv.DeviceId, value: text(this.opts.deviceId ?? "access-sw1.voice.example") },
      { type: CdpTlv.PortId, value: text(`FastEthernet0/${this.port + 1}`) },
      { type: CdpTlv.Capabilities, value: Uint8Array.of(0, 0, 0, 0x28) }, // switch, IGMP
      { type: CdpTlv.Platform, value: text("cisco WS-C3560-48PS") },
      { type: CdpTlv.NativeVlan, value: u16(accessVlan) },
      { type: CdpTlv.Duplex, value: Uint8Array.of(1) },
    ];
    if (voiceVlan !== null && voiceVlan !== undefined) tlvs.push(voipVlanReply(voiceVlan));
    const power = this.opts.poe?.cdpPowerAvailable(this.port);
    if (power) tlvs.push(powerAvailableTlv(power));
    this.cdpSent++;
    this.sw.sendFrom(this.port, encodeCdp(this.mac, tlvs));
  }

  private sendLldp(): void {
    const { voiceVlan } = this.sw.portVlans(this.port);
    const tlvs = [
      tlv(LldpTlv.ChassisId, Uint8Array.of(4, ...this.mac)),
      tlv(LldpTlv.PortId, Uint8Array.of(5, ...text(`Fa0/${this.port + 1}`))),
      tlv(LldpTlv.Ttl, u16(120)),
      tlv(LldpTlv.SystemName, text(this.opts.deviceId ?? "access-sw1.voice.example")),
      medTlv(MedSubtype.Capabilities, [0x00, 0x0f, 4]), // network connectivity device
    ];
    // 4095 (untagged): an untagged policy; 0 (dot1p): tagged with VID 0.
    if (voiceVlan !== null && voiceVlan !== undefined) {
      tlvs.push(voicePolicy({ vid: voiceVlan === 4095 ? 0 : voiceVlan, tagged: voiceVlan !== 4095, priority: 5, dscp: 46 }));
    }
    this.lldpSent++;
    this.sw.sendFrom(this.port, encodeLldp(this.mac, tlvs));
  }
}
