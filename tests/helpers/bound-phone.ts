// A phone firmware brought to BOUND by hand, without the simulated network:
// its DISCOVER and REQUEST are answered with frames built here, and its
// RFC 5227 probes and announcements run in virtual time. Also the frames its
// neighbours send it, checks of its replies, and per-frame counter outcomes.
import { loadModule, PHONE_WASM, PhoneFirmware } from "../../host/firmware.js";
import { Flash } from "../../host/flash.js";
import { writeFactory } from "../../host/factory.js";
import { Ev } from "../../host/events.js";
import { COUNTER_NAMES, type CounterName, type Counters } from "../../host/counters.js";
import { Random } from "../../host/sim/random.js";
import { ARP_REPLY, ARP_REQUEST, decodeArp, encodeArp } from "../../host/wire/arp.js";
import { BOOTREPLY, BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpOpt, DhcpType, decodeDhcp, encodeDhcp, optIpList, optU32, optU8, type DhcpOption } from "../../host/wire/dhcp.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, decodeEthernet, encodeEthernet } from "../../host/wire/ethernet.js";
import { broadcastMac, macEquals, parseIp, parseMac, type Mac } from "../../host/wire/address.js";
import { buildUdpFrame, parseUdpFrame } from "../../host/wire/udp.js";
import { decodeIpv4, encodeIpv4, type Ipv4Fields } from "../../host/wire/ipv4.js";
import { internetChecksum } from "../../host/wire/checksum.js";

export interface Host {
  mac: Mac;
  ip: number;
}

export const PHONE_MAC_TEXT = "00:1b:54:c2:a7:10";
export const PHONE: Host = { mac: parseMac(PHONE_MAC_TEXT), ip: parseIp("192.0.2.50") };
export const SERVER: Host = { mac: parseMac("02:00:5e:00:02:01"), ip: parseIp("192.0.2.1") };
export const PEER: Host = { mac: parseMac("02:00:5e:00:02:14"), ip: parseIp("192.0.2.20") };
export const NETMASK = parseIp("255.255.255.0");
export const SUBNET_BROADCAST = (PHONE.ip | ~NETMASK) >>> 0;
export const IP_BROADCAST = 0xffffffff;
export const LEASE_S = 3600;
export const IPPROTO_ICMP = 1;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

/** The counters a received frame ends in: exactly one of them per frame. */
export const OUTCOMES: readonly CounterName[] = COUNTER_NAMES.filter((n) => n === "accepted" || n.startsWith("drop_"));

export class BoundPhone {
  readonly fw: PhoneFirmware;
  /** Virtual time (ms) for frames delivered now. */
  nowMs = 0;
  /** The xid of the DHCP exchange that got the lease. */
  xid = 0;
  /** Copies of transmitted frames, while `keepSent`. */
  readonly sent: Uint8Array[] = [];
  keepSent = true;
  txCount = 0;
  readonly events: number[] = [];

  constructor(seed: number) {
    const flash = new Flash();
    writeFactory(flash, { mac: PHONE_MAC_TEXT });
    const rng = new Random(seed);
    this.fw = new PhoneFirmware(loadModule(PHONE_WASM), {
      macTx: (frame) => {
        this.txCount++;
        if (this.keepSent) this.sent.push(frame.slice());
      },
      event: (code) => this.events.push(code),
      random: () => rng.nextU32(),
      flash,
    });
  }

  /** The transmitted frames since the last call. */
  takeSent(): Uint8Array[] {
    return this.sent.splice(0);
  }

  /** Polls at `nowMs`; returns the next wake-up. */
  pollAt(nowMs: number): number | null {
    this.nowMs = nowMs;
    return this.fw.poll(nowMs);
  }

  /** Delivers one frame and returns the single outcome counter it moved (throws if not exactly one). */
  deliver(frame: Uint8Array): CounterName {
    const before = this.fw.counters();
    const txBefore = this.txCount;
    this.fw.onFrame(frame, this.nowMs);
    const reason = outcome(before, this.fw.counters());
    const tx = this.txCount - txBefore;
    // A dropped frame must not make the phone transmit; an accepted one answers at most once.
    if (tx > (reason === "accepted" ? 1 : 0)) throw new Error(`${tx} frames sent in answer to a frame counted ${reason}`);
    return reason;
  }
}

/** The outcome counter that moved from `before` to `after`, checking rx_frames moved by one and nothing else did. */
export function outcome(before: Counters, after: Counters): CounterName {
  if (after.rx_frames !== before.rx_frames + 1) throw new Error(`rx_frames went ${before.rx_frames} -> ${after.rx_frames}`);
  const moved = OUTCOMES.filter((n) => after[n] !== before[n]);
  if (moved.length !== 1 || after[moved[0]] !== before[moved[0]] + 1) {
    throw new Error(`one frame moved ${moved.map((n) => `${n} ${before[n]}->${after[n]}`).join(", ") || "no outcome counter"}`);
  }
  return moved[0];
}

/** accepted + every drop_* counter. */
export function outcomeSum(c: Counters): number {
  return OUTCOMES.reduce((sum, n) => sum + c[n], 0);
}

/** A fresh firmware taken through DISCOVER/OFFER/REQUEST/ACK, ARP probes and announcements. */
export function bootBoundPhone(seed = 1): BoundPhone {
  const bp = new BoundPhone(seed);
  // Later stages (voice VLAN discovery) may come first: wait for the DISCOVER rather than expect it at once.
  bp.xid = runUntil(bp, () => findDhcp(bp.takeSent(), DhcpType.DISCOVER), "a DHCPDISCOVER");
  bp.deliver(dhcpReply(DhcpType.OFFER, bp.xid));
  runUntil(bp, () => findDhcp(bp.takeSent(), DhcpType.REQUEST), "a DHCPREQUEST");
  bp.deliver(dhcpReply(DhcpType.ACK, bp.xid));
  const announced = () => bp.events.filter((e) => e === Ev.ArpAnnounce).length >= 2 || null;
  runUntil(bp, announced, "binding and two ARP announcements");
  if (!bp.events.includes(Ev.DhcpBound)) throw new Error(`phone did not bind; events ${bp.events.join(",")}`);
  bp.takeSent();
  return bp;
}

const BOOT_LIMIT_MS = 120_000;

/** Polls at each wake-up the firmware asks for until `done` returns non-null. */
export function runUntil<T>(bp: BoundPhone, done: () => T | null, what: string, limitMs = BOOT_LIMIT_MS): T {
  const limit = bp.nowMs + limitMs;
  let next = bp.pollAt(bp.nowMs);
  for (;;) {
    const result = done();
    if (result !== null) return result;
    if (next === null || next > limit) throw new Error(`no ${what} within ${limitMs} ms; events ${bp.events.join(",")}`);
    next = bp.pollAt(Math.max(next, bp.nowMs));
  }
}

/** The xid of the phone's first DHCP message of `type` among `sent`, or null. */
export function findDhcp(sent: Uint8Array[], type: number): number | null {
  for (const frame of sent) {
    const udp = parseUdpFrame(frame);
    const msg = udp && udp.udp.dstPort === DHCP_SERVER_PORT ? decodeDhcp(udp.udp.payload) : null;
    const t = msg?.options.find((o) => o.code === DhcpOpt.MESSAGE_TYPE)?.data[0];
    if (msg && t === type && macEquals(msg.chaddr.subarray(0, 6), PHONE.mac)) return msg.xid;
  }
  return null;
}

// ---------------------------------------------------------------- frames to the phone

export function arpRequest(targetIp: number, from: Host = PEER, pad = true): Uint8Array {
  const arp = encodeArp({ op: ARP_REQUEST, senderMac: from.mac, senderIp: from.ip, targetMac: new Uint8Array(6), targetIp });
  return encodeEthernet({ dst: broadcastMac(), src: from.mac, etherType: ETHERTYPE_ARP, payload: arp }, pad);
}

/** An ICMP message with its checksum: type, code, identifier, sequence, data. */
export function icmpMessage(type: number, code: number, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  const v = new DataView(m.buffer);
  m[0] = type;
  m[1] = code;
  v.setUint16(4, id);
  v.setUint16(6, seq);
  m.set(data, 8);
  v.setUint16(2, internetChecksum(m));
  return m;
}

/** Data like ping's: no zero bytes, so cutting any tail changes the checksum. */
export function pingData(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => 0x10 + (i % 0x60));
}

export function ipv4Frame(from: Host, to: Host, protocol: number, payload: Uint8Array, extra: Partial<Ipv4Fields> = {}, pad = true): Uint8Array {
  const ip = encodeIpv4({ src: from.ip, dst: to.ip, protocol, payload, ...extra });
  return encodeEthernet({ dst: to.mac, src: from.mac, etherType: ETHERTYPE_IPV4, payload: ip }, pad);
}

export function echoRequest(seq = 1, dataLen = 56, from: Host = PEER, pad = true): Uint8Array {
  return ipv4Frame(from, PHONE, IPPROTO_ICMP, icmpMessage(ICMP_ECHO_REQUEST, 0, 0x1234, seq, pingData(dataLen)), {}, pad);
}

/** A DHCP payload in a broadcast UDP frame from the server to the client port. */
export function dhcpFrame(payload: Uint8Array, from: Host = SERVER): Uint8Array {
  return buildUdpFrame({
    srcMac: from.mac, dstMac: broadcastMac(), srcIp: from.ip, dstIp: IP_BROADCAST,
    srcPort: DHCP_SERVER_PORT, dstPort: DHCP_CLIENT_PORT, payload,
  });
}

/** A server's OFFER or ACK of PHONE.ip for `xid` (and `chaddr`). */
export function dhcpReplyMessage(type: number, xid: number, chaddr: Mac = PHONE.mac, extra: DhcpOption[] = []): Uint8Array {
  return encodeDhcp({
    op: BOOTREPLY, xid, chaddr, yiaddr: PHONE.ip, siaddr: SERVER.ip,
    options: [
      optU8(DhcpOpt.MESSAGE_TYPE, type), optU32(DhcpOpt.SERVER_ID, SERVER.ip), optU32(DhcpOpt.LEASE_TIME, LEASE_S),
      optU32(DhcpOpt.SUBNET_MASK, NETMASK), optIpList(DhcpOpt.ROUTER, [SERVER.ip]), ...extra,
    ],
  });
}

export function dhcpReply(type: number, xid: number, chaddr: Mac = PHONE.mac): Uint8Array {
  return dhcpFrame(dhcpReplyMessage(type, xid, chaddr));
}

/** Another client's broadcast DISCOVER (to the server port: not the phone's business). */
export function otherClientDiscover(client: Host = PEER, xid = 0x0badcafe): Uint8Array {
  const msg = encodeDhcp({ op: BOOTREQUEST, xid, chaddr: client.mac, options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.DISCOVER)] });
  return buildUdpFrame({
    srcMac: client.mac, dstMac: broadcastMac(), srcIp: 0, dstIp: IP_BROADCAST,
    srcPort: DHCP_CLIENT_PORT, dstPort: DHCP_SERVER_PORT, payload: msg,
  });
}

// ---------------------------------------------------------------- the phone's replies

/** Throws unless `frame` is the phone's ARP reply to `to`. */
export function checkArpReply(frame: Uint8Array, to: Host = PEER): void {
  const eth = decodeEthernet(frame);
  const arp = eth && eth.etherType === ETHERTYPE_ARP ? decodeArp(eth.payload) : null;
  const ok = eth !== null && arp !== null && macEquals(eth.dst, to.mac) && macEquals(eth.src, PHONE.mac) &&
    arp.op === ARP_REPLY && macEquals(arp.senderMac, PHONE.mac) && arp.senderIp === PHONE.ip &&
    macEquals(arp.targetMac, to.mac) && arp.targetIp === to.ip;
  if (!ok) throw new Error(`not an ARP reply from the phone to ${to.ip >>> 0}: ${Buffer.from(frame).toString("hex")}`);
}

/** Throws unless `reply` is the phone's echo reply to the echo request frame `request`. */
export function checkEchoReply(reply: Uint8Array, request: Uint8Array): void {
  const q = decodeIpv4(request.subarray(14));
  const eth = decodeEthernet(reply);
  const r = eth && eth.etherType === ETHERTYPE_IPV4 ? decodeIpv4(eth.payload) : null;
  if (!q || !eth || !r) throw new Error(`not an IPv4 frame: ${Buffer.from(reply).toString("hex")}`);
  const ok = macEquals(eth.dst, request.subarray(6, 12)) && macEquals(eth.src, PHONE.mac) &&
    r.checksumOk && r.protocol === IPPROTO_ICMP && r.src === PHONE.ip && r.dst === q.src &&
    r.payload.length === q.payload.length && internetChecksum(r.payload) === 0 &&
    r.payload[0] === ICMP_ECHO_REPLY && r.payload[1] === 0 &&
    Buffer.from(r.payload.subarray(4)).equals(Buffer.from(q.payload.subarray(4)));
  if (!ok) throw new Error(`not the echo reply: ${Buffer.from(reply).toString("hex")}`);
}

/** Throws unless the phone answers an ARP request for its address and an ICMP echo, correctly. */
export function checkStillAnswers(bp: BoundPhone, from: Host = PEER): void {
  bp.takeSent();
  const arp = bp.deliver(arpRequest(PHONE.ip, from));
  const arpReplies = bp.takeSent();
  if (arp !== "accepted" || arpReplies.length !== 1) throw new Error(`ARP request for the phone: ${arp}, ${arpReplies.length} replies`);
  checkArpReply(arpReplies[0], from);
  const ping = echoRequest(0x7777, 56, from);
  const echo = bp.deliver(ping);
  const echoReplies = bp.takeSent();
  if (echo !== "accepted" || echoReplies.length !== 1) throw new Error(`echo request to the phone: ${echo}, ${echoReplies.length} replies`);
  checkEchoReply(echoReplies[0], ping);
}
