// One simulated IPv4 host on one wire: its MAC and address, ARP (answering
// for its address, resolving others with a queue of frames waiting for the
// answer), IPv4 in and out, and a UDP port table. The simulated servers
// (DHCP, DNS, TFTP) and the TCP host are this plus their protocol.
//
// It takes untagged frames to its MAC or to broadcast, and IPv4 to its
// address or to the limited broadcast. A "silent" host is gone: nothing in,
// nothing out, not even ARP. A datagram to a UDP port nobody listens on is
// answered with ICMP port unreachable, rate-limited, as Linux does.

import { broadcastMac, ipOf, ipToString, isBroadcastMac, macEquals, macOf, type Ip, type Mac } from '../wire/address.js';
import { ARP_REQUEST, arpReply, arpRequest, decodeArp, encodeArp } from '../wire/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, type EthernetFrame } from '../wire/ethernet.js';
import { icmpUnreachable, UNREACH_PORT } from '../wire/icmp.js';
import { decodeIpv4, encodeIpv4, IPPROTO_ICMP, IPPROTO_UDP, IPV4_BROADCAST, isUnfragmented, type Ipv4Packet } from '../wire/ipv4.js';
import { buildUdpFrame, decodeUdp } from '../wire/udp.js';
import { ArpTable } from './arp-table.js';
import { sendOwned, type Nic, type Side, type Wire, type WirePort } from './wire.js';

/** The time ARP retries are reckoned in (a Scheduler is one). */
export interface Clock {
  readonly now: number;
}

export interface IpHostStats {
  /** Frames taken while up. */
  framesIn: number;
  framesOut: number;
  /** Frames that arrived while silent. */
  silenced: number;
  arpReplies: number;
  arpRequests: number;
  /** Frames delivered to no one: tagged, not for us, malformed, bad checksum, no listener. */
  ignored: number;
  /** ICMP port unreachable sent for datagrams to a port with no listener. */
  portUnreachables: number;
}

/** Linux's ICMP rate limit per peer (net.ipv4.icmp_ratelimit, 1 s, and its burst of 6). */
const ICMP_INTERVAL_US = 1_000_000;
const ICMP_BURST = 6;

/** A datagram as a UDP listener gets it. */
export interface UdpIn {
  srcMac: Mac;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A datagram to send, to a link address the sender already knows (the request's source, or broadcast). */
export interface UdpOut {
  dstMac: Mac;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export type UdpListener = (d: UdpIn) => void;
export type IpListener = (ip: Ipv4Packet) => void;

export class IpHost implements Nic {
  readonly mac: Mac;
  /** Changeable: a host may take another address. */
  ip: number;
  silent = false;
  readonly stats: IpHostStats = { framesIn: 0, framesOut: 0, silenced: 0, arpReplies: 0, arpRequests: 0, ignored: 0, portUnreachables: 0 };
  private port: WirePort | null = null;
  private readonly udp = new Map<number, UdpListener>();
  private readonly protocols = new Map<number, IpListener>();
  private readonly neighbours = new ArpTable<Uint8Array>();
  private ipId = 0;
  /** The ICMP rate limiter's tokens (in µs of credit) and when they were last topped up. */
  private icmpCreditUs = ICMP_BURST * ICMP_INTERVAL_US;
  private icmpCreditAt = 0;

  constructor(private readonly clock: Clock, mac: Mac | string, ip: Ip) {
    this.mac = macOf(mac);
    this.ip = ipOf(ip);
  }

  plug(wire: Wire, side: Side): void {
    this.port = wire.attach(side, this);
  }

  bindUdp(port: number, listener: UdpListener): void {
    this.udp.set(port, listener);
  }

  unbindUdp(port: number): void {
    this.udp.delete(port);
  }

  /** Another IP protocol (TCP): its listener gets the packets to this address that pass the header checks. */
  bindProtocol(protocol: number, listener: IpListener): void {
    this.protocols.set(protocol, listener);
  }

  receive(frame: Uint8Array): void {
    if (this.silent) { this.stats.silenced++; return; }
    this.stats.framesIn++;
    if (!this.deliver(frame)) this.stats.ignored++;
  }

  // ------------------------------------------------------------ input

  private deliver(frame: Uint8Array): boolean {
    const eth = decodeEthernet(frame);
    if (eth === null || eth.vlan !== null) return false;
    if (eth.etherType === ETHERTYPE_ARP) return this.onArp(eth.payload);
    if (eth.etherType !== ETHERTYPE_IPV4 || !(isBroadcastMac(eth.dst) || macEquals(eth.dst, this.mac))) return false;
    const ip = decodeIpv4(eth.payload);
    if (ip === null || !ip.checksumOk || !isUnfragmented(ip)) return false;
    if (ip.dst !== this.ip && ip.dst !== IPV4_BROADCAST) return false;
    // No routing table: a peer is reached where its packets come from (the router, for another subnet's).
    if (ip.dst === this.ip && ip.src !== 0) this.flush(this.neighbours.learn(ip.src, eth.src), eth.src);
    if (ip.protocol === IPPROTO_UDP) return this.onUdp(ip, eth, eth.payload);
    const listener = this.protocols.get(ip.protocol);
    if (listener === undefined || ip.dst !== this.ip) return false;
    listener(ip);
    return true;
  }

  /** Requests for our address are answered (RFC 5227 probes too: that is how a prober learns it is taken). */
  private onArp(body: Uint8Array): boolean {
    const arp = decodeArp(body);
    if (arp === null) return false;
    const forUs = arp.targetIp === this.ip;
    this.flush(this.neighbours.merge(arp, this.ip), arp.senderMac);
    if (!forUs || arp.op !== ARP_REQUEST) return false;
    this.stats.arpReplies++;
    this.transmit(this.ethernet(arp.senderMac, ETHERTYPE_ARP, encodeArp(arpReply(arp, this.mac))));
    return true;
  }

  private onUdp(ip: Ipv4Packet, eth: EthernetFrame, packet: Uint8Array): boolean {
    const udp = decodeUdp(ip.payload, ip.src, ip.dst);
    if (udp === null || udp.checksumOk === false) return false;
    const listener = this.udp.get(udp.dstPort);
    if (listener === undefined) {
      // RFC 1122 3.2.2.1 and 4.1.3.1: port unreachable, never for a broadcast.
      if (ip.dst === this.ip && ip.src !== 0) this.portUnreachable(ip.src, packet.subarray(0, ip.headerLength + ip.payload.length));
      return false;
    }
    listener({
      srcMac: eth.src.slice(), srcIp: ip.src, dstIp: ip.dst, srcPort: udp.srcPort, dstPort: udp.dstPort, payload: udp.payload,
    });
    return true;
  }

  /** ICMP port unreachable to `dst` about `datagram` (the IPv4 packet it sent), within the rate limit. */
  portUnreachable(dst: number, datagram: Uint8Array): void {
    if (!this.icmpAllowed()) return;
    this.stats.portUnreachables++;
    this.sendIp(dst, IPPROTO_ICMP, icmpUnreachable(UNREACH_PORT, datagram));
  }

  /** A token bucket like Linux's: a burst of ICMP_BURST, then one per ICMP_INTERVAL_US. */
  private icmpAllowed(): boolean {
    const now = this.clock.now;
    this.icmpCreditUs = Math.min(ICMP_BURST * ICMP_INTERVAL_US, this.icmpCreditUs + (now - this.icmpCreditAt));
    this.icmpCreditAt = now;
    if (this.icmpCreditUs < ICMP_INTERVAL_US) return false;
    this.icmpCreditUs -= ICMP_INTERVAL_US;
    return true;
  }

  // ------------------------------------------------------------ output

  /** A UDP frame from this host, its IPv4 identification taken now; send it with transmit() (now or later). */
  udpFrame(d: UdpOut): Uint8Array {
    return buildUdpFrame({ ...d, srcMac: this.mac, srcIp: this.ip, id: this.nextIpId() });
  }

  /** An IPv4 packet to `dst` on this link, its MAC resolved by ARP first when not known. */
  sendIp(dst: number, protocol: number, payload: Uint8Array, dontFragment = false): void {
    const packet = encodeIpv4({ src: this.ip, dst, protocol, id: this.nextIpId(), dontFragment, payload });
    const frame = this.ethernet(new Uint8Array(6), ETHERTYPE_IPV4, packet);
    const mac = this.neighbours.get(dst);
    if (mac !== undefined) {
      frame.set(mac, 0);
      this.transmit(frame);
      return;
    }
    if (!this.neighbours.hold(dst, frame, this.clock.now).ask) return;
    this.stats.arpRequests++;
    this.transmit(this.ethernet(broadcastMac(), ETHERTYPE_ARP, encodeArp(arpRequest(this.mac, this.ip, dst))));
  }

  /** A frame out of this host's port (nothing leaves a silent host). It is handed over: the caller made it and does not touch it again. */
  transmit(frame: Uint8Array): void {
    if (this.silent) return;
    if (this.port === null) throw new Error(`IpHost ${ipToString(this.ip)}: not plugged into a wire`);
    this.stats.framesOut++;
    sendOwned(this.port, frame);
  }

  private flush(frames: Uint8Array[], mac: Mac): void {
    for (const f of frames) {
      f.set(mac, 0);
      this.transmit(f);
    }
  }

  private ethernet(dst: Mac, etherType: number, payload: Uint8Array): Uint8Array {
    return encodeEthernet({ dst, src: this.mac, etherType, payload }, true);
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }
}

/** What a server on an IP host counts of its link: everything that came, ARP answered, frames it was not given. */
export interface LinkCounts {
  received: number;
  arpReplies: number;
  ignored: number;
}

/** A simulated server: its protocol on an IP host, which is its MAC, address, wire and silence. */
export abstract class HostedServer implements Nic {
  readonly host: IpHost;

  constructor(clock: Clock, mac: Mac | string, ip: Ip, silent = false) {
    this.host = new IpHost(clock, mac, ip);
    this.host.silent = silent;
  }

  get mac(): Mac { return this.host.mac; }
  get ip(): number { return this.host.ip; }
  /** The host is gone: nothing in, nothing out. */
  get silent(): boolean { return this.host.silent; }
  set silent(on: boolean) { this.host.silent = on; }

  plug(wire: Wire, side: Side): void {
    this.host.plug(wire, side);
  }

  receive(frame: Uint8Array): void {
    this.host.receive(frame);
  }

  /** The link's counts, `ignored` adding the frames the host gave no one to what the server itself ignored. */
  protected linkCounts(ignoredByServer: number): LinkCounts {
    const h = this.host.stats;
    return { received: h.framesIn + h.silenced, arpReplies: h.arpReplies, ignored: ignoredByServer + h.ignored };
  }
}
