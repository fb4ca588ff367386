// The receive path (Ethernet -> ARP | IPv4 -> ICMP | UDP | TCP) and the
// IPv4/UDP send path with next-hop and ARP resolution. Every received frame
// ends as Accepted or one Drop* counter. What is above the stack registers
// here at start: a handler for link-local frames (CDP, LLDP), one for TCP,
// and one per bound UDP port; and for ICMP errors (RFC 1122 4.1.3.3), one
// for TCP and one per UDP slot, each asked whether the quoted datagram
// belongs to the exchange it is running.
import { MAC_BROADCAST } from "../lib/bytes";
import { Ctr, count, drop } from "../counters";
import { ETH_HEADER, EtherType, ethDst, ethSrc, ethType } from "../wire/ethernet";
import { VLAN_TAG, VOICE_PCP, VlanRepr } from "../wire/vlan";
import { CDP_MULTICAST } from "../wire/cdp";
import { ETHERTYPE_LLDP, LLDP_MULTICAST } from "../wire/lldp";
import { IP_BROADCAST, IPV4_HEADER, IpProto, Ipv4Repr } from "../wire/ipv4";
import { ICMP_HEADER, IcmpQuote, IcmpRepr, IcmpType, IcmpUnreach } from "../wire/icmp";
import { UDP_HEADER, UdpRepr } from "../wire/udp";
import { arpLookup, arpParse, arpRequest, arpRx } from "./arp";
import { acdRx } from "./acd";
import { myIp, myMac, netmask, onVoiceVlan, router, rxBuf, RX_CAPACITY, tagVid, txBuf, txFrame, txL3, TX_CAPACITY } from "./netif";

const vlanIn = changetype<VlanRepr>(memory.data(offsetof<VlanRepr>()));
const ipIn = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));
const ipOut = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));
const icmpIn = changetype<IcmpRepr>(memory.data(offsetof<IcmpRepr>()));
const icmpOut = changetype<IcmpRepr>(memory.data(offsetof<IcmpRepr>()));
const udpIn = changetype<UdpRepr>(memory.data(offsetof<UdpRepr>()));
const udpOut = changetype<UdpRepr>(memory.data(offsetof<UdpRepr>()));
const quoteIn = changetype<IcmpQuote>(memory.data(offsetof<IcmpQuote>()));

// ---- registration -------------------------------------------------------------

export const enum LinkLocal { Cdp, Lldp }
/** A link-local frame: CDP (`p` is the whole frame in rxBuf) or LLDP (`p` is the LLDPDU). */
export type LinkLocalHandler = (kind: LinkLocal, p: usize, len: i32, now: i64) => bool;
/** A segment or datagram's payload of `len` bytes at `p`, from `src` to `dst`. */
export type IpHandler = (p: usize, len: i32, src: u32, dst: u32, now: i64) => bool;
/** A UDP payload of `len` bytes at `p`, from srcIp:srcPort, to a bound port. */
export type UdpHandler = (p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64) => bool;
/**
 * ICMP destination unreachable (`code`: IcmpUnreach) for a datagram sent from
 * a port of the slot to dst:dstPort. True when it ends the client's exchange
 * with exactly that peer; false when it is not about that exchange.
 */
export type UdpErrorHandler = (dst: u32, dstPort: u32, code: u32, now: i64) => bool;
/** The same for a TCP segment sent from srcPort to dst:dstPort with sequence number `seq`. */
export type TcpErrorHandler = (dst: u32, dstPort: u32, srcPort: u32, seq: u32, code: u32, now: i64) => bool;

// Handlers as function pointers, 0 while none is registered.
let linkLocalHandler: usize = 0;
let tcpHandler: usize = 0;
let tcpErrorHandler: usize = 0;

export function stackOnLinkLocal(h: LinkLocalHandler): void { linkLocalHandler = changetype<usize>(h); }
export function stackOnTcp(h: IpHandler): void { tcpHandler = changetype<usize>(h); }
export function stackOnTcpError(h: TcpErrorHandler): void { tcpErrorHandler = changetype<usize>(h); }

function linkLocalRx(kind: LinkLocal, p: usize, len: i32, now: i64): bool {
  if (linkLocalHandler == 0) return drop(Ctr.DropEthType);
  return changetype<LinkLocalHandler>(linkLocalHandler)(kind, p, len, now);
}

/** The UDP port table: a slot per user, its port 0 while unbound; searched in slot order. */
const UDP_SLOTS = 4;
const udpPorts = memory.data(UDP_SLOTS * 4);
const udpHandlers = memory.data(UDP_SLOTS * sizeof<usize>());
const udpErrorHandlers = memory.data(UDP_SLOTS * sizeof<usize>()); // 0: the slot's client takes no ICMP errors
let udpSlotsUsed = 0;

/** Forgets every registration (for tests: the firmware registers once, at start). */
export function stackReset(): void {
  linkLocalHandler = tcpHandler = tcpErrorHandler = 0;
  udpSlotsUsed = 0;
  memory.fill(udpPorts, 0, UDP_SLOTS * 4);
  memory.fill(udpErrorHandlers, 0, UDP_SLOTS * sizeof<usize>());
  icmpSpanStart = i64.MIN_VALUE >> 1;
  icmpInSpan = 0;
}

/** Reserves a slot for `h` (at start); returns it for udpBind, or -1 when the table is full. */
export function udpSlot(h: UdpHandler): i32 {
  if (udpSlotsUsed == UDP_SLOTS) return -1;
  const s = udpSlotsUsed++;
  store<usize>(udpHandlers + (<usize>s * sizeof<usize>()), changetype<usize>(h));
  return s;
}

/** ICMP errors about datagrams sent from the port of `slot` go to `h` (at start). */
export function udpOnError(slot: i32, h: UdpErrorHandler): void {
  store<usize>(udpErrorHandlers + (<usize>slot * sizeof<usize>()), changetype<usize>(h));
}

/** Datagrams to `port` go to the handler of `slot` from now on (0: none). */
export function udpBind(slot: i32, port: u32): void {
  if (slot >= 0 && slot < UDP_SLOTS) store<u32>(udpPorts + (<usize>slot << 2), port);
}

function udpHandlerFor(port: u32): i32 {
  for (let s = 0; s < udpSlotsUsed; s++) if (load<u32>(udpPorts + (<usize>s << 2)) == port) return s;
  return -1;
}

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
    if (vlanIn.parse(rxBuf + 12, len - 12) != 0) return drop(Ctr.DropEthTruncated);
    // Only the voice VLAN (or priority tags while untagged) reaches the phone.
    if (vlanIn.vid != tagVid) return drop(Ctr.DropVlanOther);
    type = vlanIn.innerType;
    off += VLAN_TAG;
  } else if (type <= MAX_8023_LENGTH) {
    return linkLocalRx(LinkLocal.Cdp, rxBuf, len, now);
  } else if (type == ETHERTYPE_LLDP) {
    return linkLocalRx(LinkLocal.Lldp, rxBuf + ETH_HEADER, len - ETH_HEADER, now);
  } else if (onVoiceVlan() && (type == EtherType.Arp || type == EtherType.Ipv4)) {
    // On the voice VLAN, untagged IP belongs to the data VLAN behind the phone.
    return drop(Ctr.DropVlanOther);
  }
  const p = rxBuf + <usize>off;
  const n = len - off;
  if (type == EtherType.Arp) return arpInput(p, n, now);
  if (type == EtherType.Ipv4) return ipRx(p, n, now);
  return drop(Ctr.DropEthType);
}

function arpInput(p: usize, len: i32, now: i64): bool {
  const err = arpParse(p, len);
  if (err != 0) return drop(err);
  return acdRx(now) || arpRx(now);
}

@inline function subnetBroadcast(): u32 { return myIp | ~netmask; }

function ipRx(p: usize, len: i32, now: i64): bool {
  const ip = ipIn;
  const err = ip.parse(p, len);
  if (err != 0) return drop(err);
  const dst = ip.dst;
  const src = ip.src;
  const proto = ip.proto;
  // RFC 1122 3.2.1.3: a broadcast or multicast source is invalid; nothing may answer it.
  if (src >= 0xe000_0000) return drop(Ctr.DropIpSource);
  const broadcast = dst == IP_BROADCAST || (myIp != 0 && dst == subnetBroadcast());
  // Unconfigured, a DHCP server may send the offer to the address it offers.
  if (dst != myIp && !broadcast && !(myIp == 0 && proto == IpProto.Udp)) return drop(Ctr.DropIpNotForUs);
  const l4 = p + <usize>ip.headerLen;
  const l4len = ip.payloadLen;
  if (proto == IpProto.Udp) return udpRx(l4, l4len, src, dst, now);
  if (proto == IpProto.Tcp && tcpHandler != 0) return changetype<IpHandler>(tcpHandler)(l4, l4len, src, dst, now);
  if (proto != IpProto.Icmp) return drop(Ctr.DropIpProtocol);
  // No echo replies to broadcasts (RFC 1122 3.2.2.6 allows silence; no smurf amplifier).
  if (myIp == 0 || broadcast) return drop(Ctr.DropIpNotForUs);
  return icmpRx(l4, l4len, src, now);
}

function udpRx(p: usize, len: i32, src: u32, dst: u32, now: i64): bool {
  const u = udpIn;
  const err = u.parse(p, len, src, dst);
  if (err != 0) return drop(err);
  const s = u.dstPort != 0 ? udpHandlerFor(u.dstPort) : -1;
  if (s < 0) return drop(Ctr.DropUdpPort);
  const h = changetype<UdpHandler>(load<usize>(udpHandlers + (<usize>s * sizeof<usize>())));
  return h(p + UDP_HEADER, u.payloadLen, src, u.srcPort, now);
}

function icmpRx(p: usize, len: i32, src: u32, now: i64): bool {
  const req = icmpIn;
  const err = req.parse(p, len);
  if (err != 0) return drop(err);
  if (req.type == IcmpType.Unreachable) return icmpErrorRx(p + ICMP_HEADER, req.payloadLen, req.code, now);
  if (req.type != IcmpType.EchoRequest || req.code != 0) return drop(Ctr.DropIcmpType);
  const out = txL3() + IPV4_HEADER;
  if (<i32>(out - txBuf) + len > TX_CAPACITY) return drop(Ctr.DropIcmpMalformed);
  memory.copy(out + ICMP_HEADER, p + ICMP_HEADER, <usize>req.payloadLen);
  const reply = icmpOut;
  reply.type = IcmpType.EchoReply;
  reply.code = 0;
  reply.ident = req.ident;
  reply.seq = req.seq;
  reply.payloadLen = req.payloadLen;
  reply.emit(out);
  ipHeader(src, IpProto.Icmp, len);
  // Answer the way the request came: the sender's MAC needs no ARP look-up.
  txFrame(ethSrc(rxBuf), EtherType.Ipv4, IPV4_HEADER + len);
  return true;
}

// ---- ICMP errors ----------------------------------------------------------------

/** ICMP errors acted on: at most this many in each span, so a flood cannot keep cutting exchanges. */
const ICMP_ERROR_BURST = 8;
const ICMP_ERROR_SPAN: i64 = 1000;
let icmpSpanStart: i64 = i64.MIN_VALUE >> 1;
let icmpInSpan = 0;

/**
 * Destination unreachable (host or port): handed to the client whose
 * exchange the quoted datagram belongs to. Anything else, or a quote that
 * matches no live exchange (a forgery, a late one), is ignored.
 */
function icmpErrorRx(p: usize, len: i32, code: u32, now: i64): bool {
  if (code != IcmpUnreach.Host && code != IcmpUnreach.Port) return drop(Ctr.DropIcmpError);
  const q = quoteIn;
  const err = q.parse(p, len);
  if (err != 0) return drop(err);
  if (q.src != myIp || !icmpErrorAllowed(now) || !quotedExchange(code, now)) return drop(Ctr.DropIcmpError);
  count(Ctr.IcmpErrors);
  return true;
}

function icmpErrorAllowed(now: i64): bool {
  if (now - icmpSpanStart >= ICMP_ERROR_SPAN) {
    icmpSpanStart = now;
    icmpInSpan = 0;
  }
  return ++icmpInSpan <= ICMP_ERROR_BURST;
}

/** Asks the quoted datagram's sender (the UDP slot bound to its source port, or TCP) to take the error. */
function quotedExchange(code: u32, now: i64): bool {
  const q = quoteIn;
  if (q.proto == IpProto.Udp) {
    const s = q.srcPort != 0 ? udpHandlerFor(q.srcPort) : -1;
    if (s < 0) return false;
    const h = load<usize>(udpErrorHandlers + (<usize>s * sizeof<usize>()));
    return h != 0 && changetype<UdpErrorHandler>(h)(q.dst, q.dstPort, code, now);
  }
  if (q.proto == IpProto.Tcp && tcpErrorHandler != 0) {
    return changetype<TcpErrorHandler>(tcpErrorHandler)(q.dst, q.dstPort, q.srcPort, q.seq, code, now);
  }
  return false;
}

let ipIdent: u32 = 0;

/** Writes the IPv4 header in front of the `len`-byte payload at ipTxPayload(). */
function ipHeader(dst: u32, proto: u32, len: i32, dscp: u32 = 0): void {
  const ip = ipOut;
  ip.set(myIp, dst, proto, len);
  ip.tos = dscp << 2;
  ipIdent = (ipIdent + 1) & 0xffff;
  ip.ident = ipIdent;
  ip.emit(txL3());
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
export function ipOutput(dst: u32, proto: u32, len: i32, now: i64, dscp: u32 = 0): bool {
  const mac = resolve(dst, now);
  if (mac == 0) {
    count(Ctr.TxArpPending);
    return false;
  }
  ipHeader(dst, proto, len, dscp);
  // A marked packet's CoS is its class selector (CS3 -> 3, EF -> 5); unmarked ones keep the voice VLAN's.
  txFrame(mac, EtherType.Ipv4, IPV4_HEADER + len, dscp != 0 ? dscp >> 3 : VOICE_PCP);
  return true;
}

/** Sends the `len`-byte UDP payload already at udpTxPayload(). */
export function udpSend(dst: u32, srcPort: u32, dstPort: u32, len: i32, now: i64, dscp: u32 = 0): bool {
  const u = udpOut;
  u.srcPort = srcPort;
  u.dstPort = dstPort;
  u.payloadLen = len;
  u.emit(ipTxPayload(), myIp, dst);
  return ipOutput(dst, IpProto.Udp, UDP_HEADER + len, now, dscp);
}

/**
 * One client's wait for its next hop's MAC, the same for every protocol: a
 * send that could not leave (ARP is resolving the next hop) calls hold(),
 * and the client tries again at `retryAt`, or the moment the reply arrives
 * (ready()). After `limit` such sends in a row hold() says no more: the
 * client counts the packet as lost. A send that left calls clear().
 */
@unmanaged export class HopWait {
  dst: u32;
  waits: i32;
  retryAt: i64;

  hold(dst: u32, now: i64, retry: i64, limit: i32): bool {
    this.dst = dst;
    if (++this.waits > limit) {
      this.clear();
      return false;
    }
    this.retryAt = now + retry;
    return true;
  }

  clear(): void {
    this.waits = 0;
    this.retryAt = i64.MAX_VALUE;
  }

  @inline get waiting(): bool { return this.waits > 0; }

  /** True while waiting once the next hop's MAC is known. */
  ready(now: i64): bool { return this.waits > 0 && canSend(this.dst, now); }
}

/** True when datagrams to `port` have a handler (a client bound it). */
export function udpBound(port: u32): bool { return port != 0 && udpHandlerFor(port) >= 0; }
