// The receive path (Ethernet -> ARP | IPv4 -> ICMP | UDP -> client) and
// the IPv4/UDP send path with next-hop and ARP resolution. Every received
// frame ends as Accepted or one Drop* counter.
import { MAC_BROADCAST } from "../lib/bytes";
import { Ctr, count, drop } from "../counters";
import { ETH_HEADER, EtherType, ethDst, ethSrc, ethType } from "./ethernet";
import { VLAN_TAG, vlan } from "./vlan";
import { CDP_MULTICAST } from "./cdp";
import { ETHERTYPE_LLDP, LLDP_MULTICAST } from "./lldp";
import { cdpRx, lldpRx } from "../phone/discovery";
import { IP_BROADCAST, IPV4_HEADER, IpProto, ipv4 } from "./ipv4";
import { ICMP_HEADER, IcmpType, icmp } from "./icmp";
import { UDP_HEADER, udp } from "./udp";
import { arpLookup, arpRequest, arpRx } from "./arp";
import { myIp, myMac, netmask, router, rxBuf, RX_CAPACITY, txBuf, txFrame, txL3, TX_CAPACITY, voiceVlan } from "./netif";
import { DHCP_CLIENT_PORT, dhcpRx } from "./dhcp";
import { tftpOwns, tftpRx } from "./tftp";
import { dnsOwns, dnsRx } from "./dns";
import { tcpRx } from "./tcp";

/** Handles the `len`-byte frame the host wrote into rxBuf. */
export function onFrame(len: i32, now: i64): void {
  count(Ctr.RxFrames);
  if (ethRx(len, now)) count(Ctr.Accepted);
}

/** Largest EtherType field value that is an 802.3 length (then LLC follows: CDP). */
const MAX_8023_LENGTH: u32 = 1500;

function ethRx(len: i32, now: i64): bool {
  if (len > RX_CAPACITY || len < 0) return drop(Ctr.DropOversize);
  if (len < ETH_HEADER) return drop(Ctr.DropEthTruncated);
  const dst = ethDst(rxBuf);
  if (dst != myMac && dst != MAC_BROADCAST && dst != CDP_MULTICAST && dst != LLDP_MULTICAST) return drop(Ctr.DropEthNotForUs);
  let type = ethType(rxBuf);
  let off = ETH_HEADER;
  if (type == EtherType.Vlan) {
    if (vlan.parse(rxBuf + 12, len - 12) != 0) return drop(Ctr.DropEthTruncated);
    // Only the voice VLAN (or priority tags while untagged) reaches the phone.
    if (vlan.vid != voiceVlan) return drop(Ctr.DropVlanOther);
    type = vlan.innerType;
    off += VLAN_TAG;
  } else if (type <= MAX_8023_LENGTH) {
    return cdpRx(len, now);
  } else if (type == ETHERTYPE_LLDP) {
    return lldpRx(rxBuf + ETH_HEADER, len - ETH_HEADER, now);
  } else if (voiceVlan != 0 && (type == EtherType.Arp || type == EtherType.Ipv4)) {
    // On the voice VLAN, untagged IP belongs to the data VLAN behind the phone.
    return drop(Ctr.DropVlanOther);
  }
  const p = rxBuf + <usize>off;
  const n = len - off;
  if (type == EtherType.Arp) return arpRx(p, n, now);
  if (type == EtherType.Ipv4) return ipRx(p, n, now);
  return drop(Ctr.DropEthType);
}

@inline function subnetBroadcast(): u32 { return myIp | ~netmask; }

function ipRx(p: usize, len: i32, now: i64): bool {
  const err = ipv4.parse(p, len);
  if (err != 0) return drop(err);
  const dst = ipv4.dst;
  const src = ipv4.src;
  const proto = ipv4.proto;
  // RFC 1122 3.2.1.3: a broadcast or multicast source is invalid; nothing may answer it.
  if (src >= 0xe000_0000) return drop(Ctr.DropIpSource);
  const broadcast = dst == IP_BROADCAST || (myIp != 0 && dst == subnetBroadcast());
  // Unconfigured, a DHCP server may send the offer to the address it offers.
  if (dst != myIp && !broadcast && !(myIp == 0 && proto == IpProto.Udp)) return drop(Ctr.DropIpNotForUs);
  const l4 = p + <usize>ipv4.headerLen;
  const l4len = ipv4.payloadLen;
  if (proto == IpProto.Udp) return udpRx(l4, l4len, src, dst, now);
  if (proto == IpProto.Tcp) return tcpRx(l4, l4len, src, dst, now);
  if (proto != IpProto.Icmp) return drop(Ctr.DropIpProtocol);
  // No echo replies to broadcasts (RFC 1122 3.2.2.6 allows silence; no smurf amplifier).
  if (myIp == 0 || broadcast) return drop(Ctr.DropIpNotForUs);
  return icmpRx(l4, l4len, src);
}

function udpRx(p: usize, len: i32, src: u32, dst: u32, now: i64): bool {
  const err = udp.parse(p, len, src, dst);
  if (err != 0) return drop(err);
  if (udp.dstPort == DHCP_CLIENT_PORT) return dhcpRx(p + UDP_HEADER, udp.payloadLen, now);
  if (tftpOwns(udp.dstPort)) return tftpRx(p + UDP_HEADER, udp.payloadLen, src, udp.srcPort, now);
  if (dnsOwns(udp.dstPort)) return dnsRx(p + UDP_HEADER, udp.payloadLen, src, udp.srcPort, now);
  return drop(Ctr.DropUdpPort);
}

function icmpRx(p: usize, len: i32, src: u32): bool {
  const err = icmp.parse(p, len);
  if (err != 0) return drop(err);
  if (icmp.type != IcmpType.EchoRequest || icmp.code != 0) return drop(Ctr.DropIcmpType);
  const out = txL3() + IPV4_HEADER;
  if (<i32>(out - txBuf) + len > TX_CAPACITY) return drop(Ctr.DropIcmpMalformed);
  memory.copy(out + ICMP_HEADER, p + ICMP_HEADER, <usize>icmp.payloadLen);
  icmp.type = IcmpType.EchoReply;
  icmp.emit(out);
  ipHeader(src, IpProto.Icmp, len);
  // Answer the way the request came: the sender's MAC needs no ARP look-up.
  txFrame(ethSrc(rxBuf), EtherType.Ipv4, IPV4_HEADER + len);
  return true;
}

let ipIdent: u32 = 0;

/** Writes the IPv4 header in front of the `len`-byte payload at ipTxPayload(). */
function ipHeader(dst: u32, proto: u32, len: i32): void {
  ipv4.set(myIp, dst, proto, len);
  ipIdent = (ipIdent + 1) & 0xffff;
  ipv4.ident = ipIdent;
  ipv4.emit(txL3());
}

/** Where the payload of an IPv4 packet to be sent is built (TCP segments, ICMP). */
@inline export function ipTxPayload(): usize { return txL3() + IPV4_HEADER; }

/** Where a UDP payload to be sent is built. */
@inline export function udpTxPayload(): usize { return txL3() + IPV4_HEADER + UDP_HEADER; }

@inline function isBroadcast(dst: u32): bool { return dst == IP_BROADCAST || myIp == 0 || dst == subnetBroadcast(); }

/** The next hop towards `dst`: the host itself on our subnet, else the router (0: none). */
@inline function nextHop(dst: u32): u32 { return (dst & netmask) == (myIp & netmask) ? dst : router; }

/** The MAC to send `dst` to: broadcast, the host on our subnet, or the router; 0 if unknown yet. */
function resolve(dst: u32, now: i64): u64 {
  if (isBroadcast(dst)) return MAC_BROADCAST;
  const hop = nextHop(dst);
  if (hop == 0) return 0;
  const mac = arpLookup(hop, now);
  if (mac == 0) arpRequest(hop, now);
  return mac;
}

/**
 * True when a packet to `dst` would leave now, its next hop's MAC known: a
 * client that is waiting on ARP sends the moment the reply arrives rather
 * than at its next retry.
 */
export function canSend(dst: u32, now: i64): bool {
  if (isBroadcast(dst)) return true;
  const hop = nextHop(dst);
  return hop != 0 && arpLookup(hop, now) != 0;
}

/**
 * Sends the `len`-byte payload already at ipTxPayload() to `dst` as protocol
 * `proto`. A packet whose next hop is not yet in the ARP cache is dropped
 * after asking for it: the protocols above retransmit (as smoltcp does).
 */
export function ipOutput(dst: u32, proto: u32, len: i32, now: i64): bool {
  const mac = resolve(dst, now);
  if (mac == 0) {
    count(Ctr.TxArpPending);
    return false;
  }
  ipHeader(dst, proto, len);
  txFrame(mac, EtherType.Ipv4, IPV4_HEADER + len);
  return true;
}

/** Sends the `len`-byte UDP payload already at udpTxPayload(). */
export function udpSend(dst: u32, srcPort: u32, dstPort: u32, len: i32, now: i64): bool {
  udp.srcPort = srcPort;
  udp.dstPort = dstPort;
  udp.payloadLen = len;
  udp.emit(ipTxPayload(), myIp, dst);
  return ipOutput(dst, IpProto.Udp, UDP_HEADER + len, now);
}
