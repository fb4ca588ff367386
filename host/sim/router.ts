// A router between voice subnets and a server LAN: one routed interface (an
// SVI for the voice VLAN) per voice subnet, each its gateway, and one on the
// server LAN. The storm's distribution router has one per access switch; the
// boot network's, when its scenario puts the servers on a subnet of their
// own, one on a stick. It does what a Catalyst's `interface Vlan110` with
// `ip helper-address <DHCP server>` does for a phone: answers ARP for the
// gateway, relays DHCP (RFC 2131 4.1 / RFC 1542: giaddr, hops, unicast to
// the server, the answer back to the client), and routes IPv4 between the
// subnets (TTL, header checksum, next hop by ARP). Each voice VLAN is its own
// broadcast domain, as in a campus whose VLANs end at the distribution layer.
import { broadcastMac, isBroadcastMac, macEquals, macOf, type Mac } from "../wire/address.js";
import { ARP_REQUEST, arpReply, arpRequest, decodeArp, encodeArp } from "../wire/arp.js";
import { internetChecksum } from "../wire/checksum.js";
import { getU32, setU32 } from "../wire/bytes.js";
import { BOOTREPLY, BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_FIXED_LEN, DHCP_FLAG_BROADCAST, DHCP_SERVER_PORT, DhcpType, decodeDhcp, dhcpMessageType } from "../wire/dhcp.js";
import { ETH_HEADER_LEN, ETH_MIN_FRAME, ETH_VLAN_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../wire/ethernet.js";
import { decodeIpv4, encodeIpv4, IPPROTO_UDP, IPV4_BROADCAST } from "../wire/ipv4.js";
import { buildUdpFrame, encodeUdp, UDP_HEADER_LEN } from "../wire/udp.js";
import { ETHERTYPE_VLAN } from "../wire/vlan.js";
import { ArpTable } from "./arp-table.js";
import type { Scheduler } from "./scheduler.js";
import { sendOwned, type Link, type Nic, type Side, type WirePort } from "./wire.js";

export interface RouterConfig {
  mac: Mac | string;
  /** The router's address on the server LAN (untagged), and that LAN's mask. */
  serverIp: number;
  serverMask: number;
  /** `ip helper-address`: where DHCP broadcasts on the voice subnets are relayed. */
  dhcpServer: number;
  /** The voice interfaces: each one's gateway address and subnet mask. */
  gateways: number[];
  masks: number[];
  /** The voice interface whose subnet may hold `ip`, or -1 (default: the first whose subnet does). */
  interfaceOf?: (ip: number) => number;
  /** The VLAN the voice interfaces' frames are tagged with. */
  vlan: number;
  /** Server LAN neighbours known from the start (ARP entries kept warm). */
  warm?: Array<{ ip: number; mac: Mac | string }>;
}

export interface RouterStats {
  routed: number;
  relayedUp: number;
  relayedDown: number;
  arpRequests: number;
  arpReplies: number;
  /** Frames and packets dropped, by reason. */
  dropped: Record<string, number>;
}

const MAX_HOPS = 16;
/** Server LAN interface number: cells are 0..S-1. */
const SERVER_IF = -1;

export class Router implements Nic {
  readonly mac: Mac;
  readonly serverIp: number;
  readonly stats: RouterStats = { routed: 0, relayedUp: 0, relayedDown: 0, arpRequests: 0, arpReplies: 0, dropped: {} };
  private readonly serverNet: number;
  private readonly serverMask: number;
  private readonly dhcpServer: number;
  private readonly neighbours = new ArpTable<{ ifc: number; frame: Uint8Array }>();
  private serverPort: WirePort | null = null;
  private ipId = 0;
  private readonly gateways: number[];
  private readonly masks: number[];
  private readonly vlan: number;
  private readonly interfaceOf: (ip: number) => number;

  /** `toCell` carries a frame out of voice interface `cell` (a trunk to its access switch). */
  constructor(private readonly scheduler: Scheduler, config: RouterConfig, private toCell: (cell: number, frame: Uint8Array) => void = () => {}) {
    this.mac = macOf(config.mac);
    this.serverIp = config.serverIp;
    this.serverMask = config.serverMask;
    this.serverNet = (config.serverIp & config.serverMask) >>> 0;
    this.dhcpServer = config.dhcpServer;
    this.gateways = config.gateways;
    this.masks = config.masks;
    this.vlan = config.vlan;
    this.interfaceOf = config.interfaceOf ?? ((ip) => this.gateways.findIndex((g, i) => ((ip ^ g) & this.masks[i]) === 0));
    for (const n of config.warm ?? []) this.neighbours.set(n.ip, macOf(n.mac));
  }

  /** The server LAN's port. */
  plug(wire: Link, side: Side): void {
    this.serverPort = wire.attach(side, this);
  }

  /** Router on a stick: one port carrying the server LAN untagged and voice interface 0 tagged with the voice VLAN. */
  plugOnAStick(wire: Link, side: Side): void {
    const port = wire.attach(side, { receive: (f) => (isTagged(f) ? this.fromCell(0, f) : this.receive(f)) });
    this.serverPort = port;
    this.toCell = (_, f) => port.send(f);
  }

  private drop(reason: string): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  // ---------------------------------------------------------------- input

  /** A frame from access switch `cell`'s trunk. */
  fromCell(cell: number, frame: Uint8Array): void {
    if (frame.length < ETH_VLAN_HEADER_LEN || ((frame[12] << 8) | frame[13]) !== ETHERTYPE_VLAN) return this.drop("untagged");
    if ((((frame[14] << 8) | frame[15]) & 0x0fff) !== this.vlan) return this.drop("vlan");
    this.input(cell, frame, ETH_VLAN_HEADER_LEN);
  }

  /** A frame from the server LAN. */
  receive(frame: Uint8Array): void {
    if (frame.length < ETH_HEADER_LEN || isTagged(frame)) return this.drop("tagged");
    this.input(SERVER_IF, frame, ETH_HEADER_LEN);
  }

  private input(ifc: number, frame: Uint8Array, l3: number): void {
    const type = (frame[l3 - 2] << 8) | frame[l3 - 1];
    if (type === ETHERTYPE_ARP) return this.onArp(ifc, frame.subarray(l3));
    if (type !== ETHERTYPE_IPV4) return this.drop("ethertype");
    const toUs = macEquals(frame.subarray(0, 6), this.mac);
    const broadcast = isBroadcastMac(frame.subarray(0, 6));
    if (!toUs && !broadcast) return this.drop("not for us");
    const ip = decodeIpv4(frame.subarray(l3));
    if (ip === null) return this.drop("malformed");
    if (!ip.checksumOk) return this.drop("checksum");
    const dst = ip.dst;
    const udp = ip.protocol === IPPROTO_UDP && ip.payload.length >= UDP_HEADER_LEN ? ip.payload : null;
    const dport = udp ? (udp[2] << 8) | udp[3] : -1;
    if (broadcast) {
      if (ifc !== SERVER_IF && udp && dport === DHCP_SERVER_PORT) return this.relayUp(ifc, udp);
      return this.drop("broadcast");
    }
    // Each switch's gateway lies in its own subnet: the subnet names the only gateway dst can be.
    const cell = this.interfaceOf(dst);
    const toGateway = cell >= 0 && this.gateways[cell] === dst;
    if (ifc === SERVER_IF && dport === DHCP_SERVER_PORT && udp && toGateway) return this.relayDown(cell, udp.subarray(UDP_HEADER_LEN, (udp[4] << 8) | udp[5]));
    if (dst === this.serverIp || toGateway) return this.drop("to the router");
    // The packet as the total length bounds it, header and all: forwarded with one copy.
    this.forward(frame.subarray(l3, l3 + ip.headerLength + ip.payload.length));
  }

  private onArp(ifc: number, body: Uint8Array): void {
    const arp = decodeArp(body);
    if (arp === null) return this.drop("arp malformed");
    const mine = this.address(ifc);
    for (const w of this.neighbours.merge(arp, mine)) {
      w.frame.set(arp.senderMac, 0);
      this.transmit(w.ifc, w.frame);
    }
    if (arp.op === ARP_REQUEST && arp.targetIp === mine) {
      this.stats.arpReplies++;
      this.emit(ifc, arp.senderMac, ETHERTYPE_ARP, encodeArp(arpReply(arp, this.mac)));
    }
  }

  /** The router's address on interface `ifc`. */
  private address(ifc: number): number {
    return ifc === SERVER_IF ? this.serverIp : this.gateways[ifc];
  }

  // ---------------------------------------------------------------- DHCP relay

  /** A client's broadcast to port 67: giaddr and hops, then unicast to the helper address. */
  private relayUp(cell: number, datagram: Uint8Array): void {
    const bootp = datagram.slice(UDP_HEADER_LEN, (datagram[4] << 8) | datagram[5]);
    if (bootp.length < DHCP_FIXED_LEN || bootp[0] !== BOOTREQUEST) return this.drop("bootp");
    if (bootp[3] >= MAX_HOPS) return this.drop("hops");
    bootp[3]++;
    if (getU32(bootp, 24) === 0) setU32(bootp, 24, this.gateways[cell]);
    this.stats.relayedUp++;
    const udp = encodeUdp({ srcIp: this.serverIp, dstIp: this.dhcpServer, srcPort: DHCP_SERVER_PORT, dstPort: DHCP_SERVER_PORT, payload: bootp });
    this.send(encodeIpv4({ src: this.serverIp, dst: this.dhcpServer, protocol: IPPROTO_UDP, id: this.nextId(), payload: udp }));
  }

  /** The server's answer to giaddr: to the client, broadcast when it asked for that (or a NAK), else to yiaddr at chaddr. */
  private relayDown(cell: number, bootp: Uint8Array): void {
    const m = decodeDhcp(bootp);
    if (m === null || m.op !== BOOTREPLY) return this.drop("bootp");
    const broadcast = (m.flags & DHCP_FLAG_BROADCAST) !== 0 || dhcpMessageType(m) === DhcpType.NAK || m.yiaddr === 0;
    this.stats.relayedDown++;
    this.toCell(cell, buildUdpFrame({
      srcMac: this.mac, dstMac: broadcast ? broadcastMac() : m.chaddr.slice(0, 6),
      srcIp: this.gateways[cell], dstIp: broadcast ? IPV4_BROADCAST : m.yiaddr,
      srcPort: DHCP_SERVER_PORT, dstPort: DHCP_CLIENT_PORT, payload: bootp, id: this.nextId(),
      vlan: { pcp: 0, dei: false, vid: this.vlan },
    }));
  }

  // ---------------------------------------------------------------- forwarding

  /** Routes a packet: one copy, into the outgoing frame, where TTL and the header checksum are patched. */
  private forward(packet: Uint8Array): void {
    if (packet[8] <= 1) return this.drop("ttl");
    const dst = getU32(packet, 16);
    const ifc = this.route(dst);
    if (ifc === null) return this.drop("no route");
    const frame = this.frame(ifc, ETHERTYPE_IPV4, packet.length);
    const at = headerLength(ifc);
    frame.set(packet, at);
    frame[at + 8]--;
    const hl = (packet[0] & 0x0f) * 4;
    frame[at + 10] = 0;
    frame[at + 11] = 0;
    const sum = internetChecksum(frame.subarray(at, at + hl));
    frame[at + 10] = sum >> 8;
    frame[at + 11] = sum & 0xff;
    this.stats.routed++;
    this.out(ifc, dst, frame);
  }

  /** Sends a packet the router itself made (the relayed DHCP request). */
  private send(packet: Uint8Array): void {
    const dst = getU32(packet, 16);
    const ifc = this.route(dst);
    if (ifc === null) return this.drop("no route");
    const frame = this.frame(ifc, ETHERTYPE_IPV4, packet.length);
    frame.set(packet, headerLength(ifc));
    this.out(ifc, dst, frame);
  }

  /** The interface whose subnet holds `dst`, or null. */
  private route(dst: number): number | null {
    if (((dst ^ this.serverNet) & this.serverMask) === 0) return SERVER_IF;
    const ifc = this.interfaceOf(dst);
    return ifc < 0 || ((dst ^ this.gateways[ifc]) & this.masks[ifc]) !== 0 ? null : ifc;
  }

  /** A frame out of `ifc` (tagged on a trunk), source MAC set, destination MAC left for out(). */
  private frame(ifc: number, etherType: number, payloadLength: number): Uint8Array {
    const header = headerLength(ifc);
    const frame = new Uint8Array(Math.max(ETH_MIN_FRAME, header + payloadLength));
    frame.set(this.mac, 6);
    if (ifc !== SERVER_IF) {
      frame[12] = ETHERTYPE_VLAN >> 8;
      frame[13] = ETHERTYPE_VLAN & 0xff;
      frame[14] = this.vlan >> 8;
      frame[15] = this.vlan & 0xff;
    }
    frame[header - 2] = etherType >> 8;
    frame[header - 1] = etherType & 0xff;
    return frame;
  }

  /** To the next hop's MAC, resolving it by ARP first. */
  private out(ifc: number, nextHop: number, frame: Uint8Array): void {
    const mac = this.neighbours.get(nextHop);
    if (mac !== undefined) {
      frame.set(mac, 0);
      return this.transmit(ifc, frame);
    }
    const held = this.neighbours.hold(nextHop, { ifc, frame }, this.scheduler.now);
    if (held.dropped) this.drop("arp queue");
    if (!held.ask) return;
    this.stats.arpRequests++;
    this.emit(ifc, broadcastMac(), ETHERTYPE_ARP, encodeArp(arpRequest(this.mac, this.address(ifc), nextHop)));
  }

  private emit(ifc: number, dstMac: Mac, etherType: number, payload: Uint8Array): void {
    const frame = this.frame(ifc, etherType, payload.length);
    frame.set(dstMac, 0);
    frame.set(payload, headerLength(ifc));
    this.transmit(ifc, frame);
  }

  /** Every frame the router sends is one it made for that send: the wire may keep it without a copy. */
  private transmit(ifc: number, frame: Uint8Array): void {
    if (ifc !== SERVER_IF) return this.toCell(ifc, frame);
    if (this.serverPort) sendOwned(this.serverPort, frame);
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }
}

function isTagged(frame: Uint8Array): boolean {
  return frame.length >= ETH_HEADER_LEN && ((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN;
}

/** Frames on the server LAN are untagged; on a trunk to an access switch, tagged with the voice VLAN. */
function headerLength(ifc: number): number {
  return ifc === SERVER_IF ? ETH_HEADER_LEN : ETH_VLAN_HEADER_LEN;
}
