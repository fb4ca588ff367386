// Bad input is data, not a crash: a bound phone is fed truncated, oversized,
// corrupt and hostile frames and thousands of random ones. Each frame must
// end in exactly one of accepted/drop_* (BoundPhone.deliver checks, and that
// a dropped frame makes the phone send nothing), with the reason the layer
// it breaks gives; no frame may trap; the phone must still answer afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CounterName } from "../host/counters.js";
import { Ev } from "../host/events.js";
import { Random } from "../host/sim/random.js";
import { buildNetwork, bootPhone } from "../host/sim/network.js";
import { ARP_REPLY, ARP_REQUEST, encodeArp } from "../host/wire/arp.js";
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpOpt, DhcpType, optBytes } from "../host/wire/dhcp.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, encodeEthernet } from "../host/wire/ethernet.js";
import { encodeIpv4, IPPROTO_UDP } from "../host/wire/ipv4.js";
import { icmpUnreachable, UNREACH_PORT } from "../host/wire/icmp.js";
import { broadcastMac, parseIp, parseMac } from "../host/wire/address.js";
import { encodeUdp } from "../host/wire/udp.js";
import { internetChecksum } from "../host/wire/checksum.js";
import {
  BoundPhone, ICMP_ECHO_REQUEST, IPPROTO_ICMP, IP_BROADCAST, LEASE_S, PEER, PHONE, SERVER, SUBNET_BROADCAST,
  arpRequest, bootBoundPhone, checkEchoReply, checkStillAnswers, dhcpFrame, dhcpReply,
  dhcpReplyMessage, echoRequest, findDhcp, icmpMessage, ipv4Frame, otherClientDiscover, outcomeSum, pingData,
  runUntil, type Host,
} from "./helpers/bound-phone.js";

const ETH = 14;
const IP = 20;
const FOREIGN_XID = 0x13572468;
const COOKIE = 0x63825363;
/** A sender in another /24: no single-byte change of its address gives the phone's (no accidental ARP conflict). */
const FAR: Host = { mac: parseMac("02:00:5e:00:71:07"), ip: parseIp("198.51.100.7") };

interface Case {
  name: string;
  frame: Uint8Array;
  want: CounterName;
}

/** Delivers every case; fails listing each frame counted otherwise than expected. */
function expectOutcomes(bp: BoundPhone, cases: Case[]): void {
  const wrong = cases.map((c) => ({ c, got: bp.deliver(c.frame) })).filter(({ c, got }) => got !== c.want);
  assert.deepEqual(wrong.map(({ c, got }) => `${c.name}: ${got}, expected ${c.want}`), []);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function flipBit(frame: Uint8Array, byte: number, bit: number): Uint8Array {
  const f = frame.slice();
  f[byte] ^= 1 << bit;
  return f;
}

/** Recomputes the IPv4 header checksum of an Ethernet frame when its header fits. */
function fixIpChecksum(f: Uint8Array): void {
  const hl = (f[ETH] & 0xf) * 4;
  if (hl < IP || f.length < ETH + hl) return;
  view(f).setUint16(ETH + 10, 0);
  view(f).setUint16(ETH + 10, internetChecksum(f.subarray(ETH, ETH + hl)));
}

/** A copy of `frame` with `edit` applied to its IPv4 header, the checksum recomputed when `fix`. */
function editIp(frame: Uint8Array, edit: (ip: DataView) => void, fix = true): Uint8Array {
  const f = frame.slice();
  edit(new DataView(f.buffer, ETH));
  if (fix) fixIpChecksum(f);
  return f;
}

function udpFrame(from: Host, to: Host, dstPort: number, payload: Uint8Array): Uint8Array {
  const udp = encodeUdp({ srcIp: from.ip, dstIp: to.ip, srcPort: DHCP_SERVER_PORT, dstPort, payload });
  return ipv4Frame(from, to, IPPROTO_UDP, udp);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// Real frames, unpadded so that every cut is inside a header or payload.
const ARP_US = arpRequest(PHONE.ip, PEER, false);
const ECHO = echoRequest(1, 32, PEER, false);
const OFFER_MSG = dhcpReplyMessage(DhcpType.OFFER, FOREIGN_XID);
const OFFER = dhcpFrame(OFFER_MSG);
const OFFER_END = endOption(OFFER_MSG);

/** Offset of the End option of a well-formed DHCP message. */
function endOption(msg: Uint8Array): number {
  let i = 240;
  while (msg[i] !== DhcpOpt.END) i += msg[i] === DhcpOpt.PAD ? 1 : 2 + msg[i + 1];
  return i;
}

test("the counters of a normal boot add up: rx_frames == accepted + every drop", () => {
  const bp = bootBoundPhone(3);
  const c = bp.fw.counters();
  assert.ok(c.rx_frames >= 2, "OFFER and ACK");
  assert.equal(c.rx_frames, outcomeSum(c));
  const net = buildNetwork({ seed: 7 });
  assert.equal(bootPhone(net).bound, true);
  const s = net.phone.report().counters;
  assert.ok(s.frames_in >= 2);
  assert.equal(s.frames_in, s.accepted + Object.values(s.dropped).reduce((a, b) => a + b, 0));
});

test("a frame cut at every length is dropped by the layer it breaks", () => {
  const bp = bootBoundPhone();
  const cut = (name: string, frame: Uint8Array, reason: (len: number) => CounterName): Case[] =>
    range(frame.length + 1).map((len) => ({ name: `${name} cut to ${len}`, frame: frame.subarray(0, len), want: len < ETH ? "drop_eth_truncated" : reason(len) }));
  const ipReason = (full: number, whole: CounterName) => (len: number): CounterName =>
    len < ETH + IP ? "drop_ip_truncated" : len < full ? "drop_ip_total_length" : whole;
  expectOutcomes(bp, [
    ...cut("ARP request", ARP_US, (len) => (len < ARP_US.length ? "drop_arp_malformed" : "accepted")),
    ...cut("echo request", ECHO, ipReason(ECHO.length, "accepted")),
    ...cut("DHCP offer", OFFER, ipReason(OFFER.length, "drop_dhcp_not_for_us")),
  ]);
  checkStillAnswers(bp);
});

test("an ICMP, UDP or DHCP message cut at every length inside consistent outer headers", () => {
  const bp = bootBoundPhone();
  const icmp = ECHO.subarray(ETH + IP);
  const udp = OFFER.subarray(ETH + IP, ETH + IP + 8 + OFFER_MSG.length);
  const cases: Case[] = [
    ...range(icmp.length + 1).map((k): Case => ({
      name: `ICMP cut to ${k}`,
      frame: ipv4Frame(PEER, PHONE, IPPROTO_ICMP, icmp.subarray(0, k)),
      want: k < 8 ? "drop_icmp_malformed" : internetChecksum(icmp.subarray(0, k)) === 0 ? "accepted" : "drop_icmp_checksum",
    })),
    ...range(udp.length + 1).map((k): Case => ({
      name: `UDP cut to ${k}`,
      frame: ipv4Frame(SERVER, { mac: broadcastMac(), ip: IP_BROADCAST }, IPPROTO_UDP, udp.subarray(0, k)),
      want: k < udp.length ? "drop_udp_malformed" : "drop_dhcp_not_for_us",
    })),
    ...range(OFFER_MSG.length + 1).map((k): Case => ({
      name: `DHCP cut to ${k}`,
      frame: dhcpFrame(OFFER_MSG.subarray(0, k)),
      want: k <= OFFER_END ? "drop_dhcp_malformed" : "drop_dhcp_not_for_us",
    })),
  ];
  assert.ok(cases.filter((c) => c.want === "drop_icmp_checksum").length > 20, "most ICMP cuts break the checksum");
  expectOutcomes(bp, cases);
  checkStillAnswers(bp);
});

test("frames longer than the receive buffer are dropped as oversize; one that fills it is answered", () => {
  const bp = bootBoundPhone();
  const cap = bp.fw.rxCapacity;
  const big = (len: number) => {
    const f = new Uint8Array(len);
    f.set(arpRequest(PHONE.ip));
    return f;
  };
  expectOutcomes(bp, [cap + 1, cap + ETH, 2048, 9018, 65535, 1 << 20].map((len) => ({ name: `${len} bytes`, frame: big(len), want: "drop_oversize" })));
  expectOutcomes(bp, [{ name: "echo of capacity + 1", frame: echoRequest(2, cap + 1 - ETH - IP - 8), want: "drop_oversize" }]);
  const full = echoRequest(3, cap - ETH - IP - 8);
  assert.equal(full.length, cap);
  assert.equal(bp.deliver(full), "accepted");
  const sent = bp.takeSent();
  assert.equal(sent.length, 1);
  checkEchoReply(sent[0], full);
});

test("IPv4 headers with a bad checksum, version, header length, total length, or fragments", () => {
  const bp = bootBoundPhone();
  const small = echoRequest(4, 0, PEER, false); // a 28-byte datagram: header lengths over 28 do not fit
  const checksumBytes = [1, 4, 5, ...range(12).map((i) => 8 + i)];
  const cases: Case[] = [
    ...[ECHO, OFFER].flatMap((frame, n) => checksumBytes.flatMap((b) => range(8).map((bit): Case => ({
      name: `frame ${n} header byte ${b} bit ${bit}`, frame: flipBit(frame, ETH + b, bit), want: "drop_ip_checksum",
    })))),
    ...range(16).filter((v) => v !== 4).map((v): Case => ({
      name: `version ${v}`, frame: editIp(ECHO, (ip) => ip.setUint8(0, (v << 4) | 5)), want: "drop_ip_version",
    })),
    ...range(5).map((ihl): Case => ({ name: `IHL ${ihl}`, frame: editIp(ECHO, (ip) => ip.setUint8(0, 0x40 | ihl)), want: "drop_ip_header_length" })),
    ...range(8).map((i): Case => ({ name: `IHL ${8 + i} over 28 bytes`, frame: editIp(small, (ip) => ip.setUint8(0, 0x48 + i), false), want: "drop_ip_header_length" })),
    ...[0, 1, 19, ECHO.length - ETH + 1, 0xffff].map((t): Case => ({
      name: `total length ${t}`, frame: editIp(ECHO, (ip) => ip.setUint16(2, t)), want: "drop_ip_total_length",
    })),
    ...[0x2000, 0x0001, 0x1fff, 0x20b9, 0x6000, 0x4001].map((frag): Case => ({
      name: `flags/offset 0x${frag.toString(16)}`, frame: editIp(ECHO, (ip) => ip.setUint16(6, frag)), want: "drop_ip_fragment",
    })),
    ...[0, 2, 41, 58, 255].map((p): Case => ({ name: `protocol ${p}`, frame: editIp(ECHO, (ip) => ip.setUint8(9, p)), want: "drop_ip_protocol" })),
    { name: "echo to another address", frame: ipv4Frame(PEER, { mac: PHONE.mac, ip: SERVER.ip }, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_not_for_us" },
    { name: "echo to 0.0.0.0", frame: ipv4Frame(PEER, { mac: PHONE.mac, ip: 0 }, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_not_for_us" },
    { name: "echo to the subnet broadcast", frame: ipv4Frame(PEER, { mac: broadcastMac(), ip: SUBNET_BROADCAST }, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_not_for_us" },
    { name: "echo to 255.255.255.255", frame: ipv4Frame(PEER, { mac: broadcastMac(), ip: IP_BROADCAST }, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_not_for_us" },
    { name: "UDP to another address", frame: udpFrame(SERVER, { mac: PHONE.mac, ip: PEER.ip }, DHCP_CLIENT_PORT, OFFER_MSG), want: "drop_ip_not_for_us" },
    // RFC 1122 3.2.1.3: a broadcast or multicast source address is invalid and must not be answered.
    { name: "echo from 255.255.255.255", frame: ipv4Frame({ mac: PEER.mac, ip: IP_BROADCAST }, PHONE, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_source" },
    { name: "echo from 224.0.0.1", frame: ipv4Frame({ mac: PEER.mac, ip: 0xe0000001 }, PHONE, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_ip_source" },
    { name: "ARP request from a broadcast MAC", frame: arpRequest(PHONE.ip, { mac: broadcastMac(), ip: PEER.ip }), want: "drop_arp_malformed" },
  ];
  expectOutcomes(bp, cases);
  checkStillAnswers(bp);
});

test("an echo request with IP options or Don't Fragment is answered", () => {
  const bp = bootBoundPhone();
  const icmp = icmpMessage(ICMP_ECHO_REQUEST, 0, 9, 9, pingData(40));
  for (const extra of [{ options: Uint8Array.of(1, 1, 1, 0) }, { options: new Uint8Array(40).fill(1) }, { dontFragment: true }]) {
    const frame = ipv4Frame(PEER, PHONE, IPPROTO_ICMP, icmp, extra);
    assert.equal(bp.deliver(frame), "accepted", JSON.stringify(extra));
    const sent = bp.takeSent();
    assert.equal(sent.length, 1);
    checkEchoReply(sent[0], frame);
  }
});

/** ICMP port unreachable quoting a datagram from the phone's port 50000, which nothing has bound. */
function unreachableForNothing(): Uint8Array {
  const quoted = encodeIpv4({ src: PHONE.ip, dst: PEER.ip, protocol: IPPROTO_UDP, payload: encodeUdpHeader(50000, 69) });
  return ipv4Frame(PEER, PHONE, IPPROTO_ICMP, icmpUnreachable(UNREACH_PORT, quoted));
}

function encodeUdpHeader(src: number, dst: number): Uint8Array {
  const u = new Uint8Array(8);
  new DataView(u.buffer).setUint16(0, src);
  new DataView(u.buffer).setUint16(2, dst);
  new DataView(u.buffer).setUint16(4, 8);
  return u;
}

test("ICMP and UDP with a bad checksum, other ICMP types, other UDP ports", () => {
  const bp = bootBoundPhone();
  const udpBytes = range(OFFER_MSG.length + 8).filter((b) => b !== 4 && b !== 5); // not the length field
  const udpFlips = udpBytes.flatMap((b) => range(8).map((bit) => flipBit(OFFER, ETH + IP + b, bit)))
    .filter((f) => view(f).getUint16(ETH + IP + 6) !== 0); // a zero checksum means "none"
  const noChecksum = OFFER.slice();
  view(noChecksum).setUint16(ETH + IP + 6, 0);
  const icmpOf = (type: number, code: number) => ipv4Frame(PEER, PHONE, IPPROTO_ICMP, icmpMessage(type, code, 1, 1, pingData(8)));
  expectOutcomes(bp, [
    ...range(ECHO.length - ETH - IP).flatMap((b) => range(8).map((bit): Case => ({
      name: `ICMP byte ${b} bit ${bit}`, frame: flipBit(ECHO, ETH + IP + b, bit), want: "drop_icmp_checksum",
    }))),
    ...udpFlips.map((frame, i): Case => ({ name: `UDP flip ${i}`, frame, want: "drop_udp_checksum" })),
    { name: "UDP without checksum", frame: noChecksum, want: "drop_dhcp_not_for_us" },
    ...[[0, 0], [5, 1], [11, 0], [13, 0], [17, 0], [8, 1]].map(([type, code]): Case => ({
      name: `ICMP type ${type} code ${code}`, frame: icmpOf(type, code), want: "drop_icmp_type",
    })),
    // Destination unreachable: 8 bytes cannot quote a datagram; a whole quote of no exchange under way is ignored.
    { name: "ICMP port unreachable quoting 8 bytes", frame: icmpOf(3, 3), want: "drop_icmp_malformed" },
    { name: "ICMP port unreachable for no exchange", frame: unreachableForNothing(), want: "drop_icmp_error" },
    ...[0, 67, 69, 2000, 5060, 65535].map((port): Case => ({ name: `UDP port ${port}`, frame: udpFrame(PEER, PHONE, port, OFFER_MSG), want: "drop_udp_port" })),
    { name: "another client's DISCOVER", frame: otherClientDiscover(), want: "drop_udp_port" },
  ]);
  assert.ok(udpFlips.length > 2000);
  checkStillAnswers(bp);
});

test("unknown EtherTypes and frames for other MACs are dropped unanswered", () => {
  const bp = bootBoundPhone();
  const arp = ARP_US.subarray(ETH);
  // EtherTypes no phone stage handles (not 802.1Q, LLDP, or 802.3 lengths, which VLAN discovery may take).
  const types = [0x0600, 0x0805, 0x8035, 0x86dd, 0x8863, 0x8864, 0x88b5, 0xffff];
  const typed = (dst: Uint8Array, etherType: number) => encodeEthernet({ dst, src: PEER.mac, etherType, payload: arp }, true);
  const others = [PEER.mac, parseMac("01:00:5e:00:00:01"), parseMac("33:33:00:00:00:01"), new Uint8Array(6),
    ...range(48).map((bit) => flipBit(PHONE.mac, bit >> 3, bit & 7))];
  expectOutcomes(bp, [
    ...types.flatMap((t) => [PHONE.mac, broadcastMac()].map((dst, i): Case => ({ name: `type 0x${t.toString(16)} ${i}`, frame: typed(dst, t), want: "drop_eth_type" }))),
    ...others.flatMap((dst, i): Case[] => [
      { name: `ARP to MAC ${i}`, frame: typed(dst, ETHERTYPE_ARP), want: "drop_eth_not_for_us" },
      { name: `echo to MAC ${i}`, frame: ipv4Frame(PEER, { mac: dst, ip: PHONE.ip }, IPPROTO_ICMP, ECHO.subarray(ETH + IP)), want: "drop_eth_not_for_us" },
    ]),
  ]);
  checkStillAnswers(bp);
});

// ---------------------------------------------------------------- hostile DHCP

interface RawDhcp {
  options: number[];
  xid?: number;
  op?: number;
  htype?: number;
  hlen?: number;
  cookie?: number;
  chaddr?: Uint8Array;
  file?: number[];
  sname?: number[];
  /** Bytes of message; default: the options, at least 300. */
  length?: number;
}

/** A BOOTP message with exactly the bytes given: nothing checked, nothing added. */
function rawDhcp(r: RawDhcp): Uint8Array {
  const b = new Uint8Array(Math.max(240 + r.options.length, 300));
  const v = view(b);
  b.set([r.op ?? 2, r.htype ?? 1, r.hlen ?? 6]);
  v.setUint32(4, r.xid ?? FOREIGN_XID);
  v.setUint32(16, PHONE.ip);
  b.set(r.chaddr ?? PHONE.mac, 28);
  b.set(r.sname ?? [], 44);
  b.set(r.file ?? [], 108);
  v.setUint32(236, r.cookie ?? COOKIE);
  b.set(r.options, 240);
  return b.subarray(0, r.length ?? b.length);
}

const MSG_OFFER = [DhcpOpt.MESSAGE_TYPE, 1, DhcpType.OFFER];
const SERVER_ID = [DhcpOpt.SERVER_ID, 4, 192, 0, 2, 1];
const END = DhcpOpt.END;
const fill = (n: number, v: number) => new Array<number>(n).fill(v);
const opt = (code: number, data: number[]) => [code, data.length, ...data];

function hostileDhcp(xid: number): Array<[string, RawDhcp, CounterName]> {
  const garbage = fill(128, 0xab);
  return [
    ["an option runs past the end", { options: [...MSG_OFFER, 54, 200, 1, 2, 3, 4] }, "drop_dhcp_malformed"],
    ["the last option has no length byte", { options: [...MSG_OFFER, 54], length: 244 }, "drop_dhcp_malformed"],
    ["no End option, pads to the end", { options: [...MSG_OFFER, ...SERVER_ID] }, "drop_dhcp_malformed"],
    ["no End option, options to the last byte", { options: [...MSG_OFFER, ...SERVER_ID], length: 249 }, "drop_dhcp_malformed"],
    ["End only: no message type", { options: [END] }, "drop_dhcp_malformed"],
    ["message type of length 2", { options: [53, 2, 2, 2, END] }, "drop_dhcp_malformed"],
    ["message type 0", { options: [53, 1, 0, END] }, "drop_dhcp_malformed"],
    ["wrong magic cookie", { options: [...MSG_OFFER, END], cookie: COOKIE ^ 1 }, "drop_dhcp_malformed"],
    ["hardware type 6", { options: [...MSG_OFFER, END], htype: 6 }, "drop_dhcp_malformed"],
    ["hardware address length 16", { options: [...MSG_OFFER, END], hlen: 16 }, "drop_dhcp_malformed"],
    ["240 bytes: no options at all", { options: [], length: 240 }, "drop_dhcp_malformed"],
    ["241 bytes: End only", { options: [END], length: 241 }, "drop_dhcp_malformed"],
    ["overload 1, garbage in file", { options: [...MSG_OFFER, 52, 1, 1, END], file: garbage }, "drop_dhcp_malformed"],
    ["overload 2, garbage in sname", { options: [...MSG_OFFER, 52, 1, 2, END], sname: garbage.slice(0, 64) }, "drop_dhcp_malformed"],
    ["overload 3, file fine, garbage in sname", { options: [...MSG_OFFER, 52, 1, 3, END], file: [...SERVER_ID, END], sname: fill(64, 0xfe) }, "drop_dhcp_malformed"],
    ["overload 1, file without End", { options: [...MSG_OFFER, 52, 1, 1, END], file: SERVER_ID }, "drop_dhcp_malformed"],
    ["overload 1, option runs past the file field", { options: [...MSG_OFFER, 52, 1, 1, END], file: [...fill(125, 0), 6, 4, 1] }, "drop_dhcp_malformed"],
    ["overload 0xff, garbage in both", { options: [...MSG_OFFER, 52, 1, 0xff, END], file: garbage, sname: garbage.slice(0, 64) }, "drop_dhcp_malformed"],
    ["overload 0xff, empty file and sname", { options: [...MSG_OFFER, 52, 1, 0xff, END], file: [END], sname: [END] }, "drop_dhcp_not_for_us"],
    ["message type only in the file field", { options: [52, 1, 3, END], file: [...MSG_OFFER, END], sname: [END] }, "drop_dhcp_not_for_us"],
    ["overload inside the file field is not followed", { options: [...MSG_OFFER, 52, 1, 1, END], file: [52, 1, 2, END], sname: garbage.slice(0, 64) }, "drop_dhcp_not_for_us"],
    ["option 52 of length 2 is ignored", { options: [...MSG_OFFER, 52, 2, 3, 3, END], file: garbage }, "drop_dhcp_not_for_us"],
    ["zero-length options", { options: [...MSG_OFFER, ...[1, 3, 6, 15, 50, 51, 54, 57, 58, 59, 66, 150].flatMap((c) => [c, 0]), END] }, "drop_dhcp_not_for_us"],
    ["255-byte address lists and names", { options: [...MSG_OFFER, ...opt(6, fill(255, 7)), ...opt(150, fill(252, 9)), ...opt(66, fill(255, 0)), ...opt(15, fill(255, 0x61)), END] }, "drop_dhcp_not_for_us"],
    ["a BOOTREQUEST with the phone's xid", { options: [...MSG_OFFER, END], op: 1, xid }, "drop_dhcp_not_for_us"],
    ["the phone's xid for another chaddr", { options: [...MSG_OFFER, END], xid, chaddr: PEER.mac }, "drop_dhcp_not_for_us"],
    ["an OFFER for the phone's xid while bound", { options: [...MSG_OFFER, ...SERVER_ID, END], xid }, "drop_dhcp_unexpected"],
    ["an ACK for the phone's xid while bound", { options: [53, 1, DhcpType.ACK, ...SERVER_ID, 51, 4, 0, 0, 1, 0, END], xid }, "drop_dhcp_unexpected"],
    ["a NAK for the phone's xid while bound", { options: [53, 1, DhcpType.NAK, ...SERVER_ID, END], xid }, "drop_dhcp_unexpected"],
  ];
}

test("hostile DHCP messages are dropped for the right reason and leave the lease alone", () => {
  const bp = bootBoundPhone();
  const events = bp.events.length;
  expectOutcomes(bp, hostileDhcp(bp.xid).map(([name, raw, want]) => ({ name, frame: dhcpFrame(rawDhcp(raw)), want })));
  assert.deepEqual(bp.events.slice(events), [], "no DHCP event: the phone kept its lease");
  checkStillAnswers(bp);
});

// RFC 5227 2.4 (b): a host with an address in use defends it once, and gives it up only when challenged again within 10 s.
test("a bound phone defends its address once against an ARP claiming it", () => {
  const bp = bootBoundPhone();
  bp.nowMs += 5000;
  const claim = encodeArp({ op: ARP_REQUEST, senderMac: PEER.mac, senderIp: PHONE.ip, targetMac: new Uint8Array(6), targetIp: PHONE.ip });
  assert.equal(bp.deliver(encodeEthernet({ dst: broadcastMac(), src: PEER.mac, etherType: ETHERTYPE_ARP, payload: claim }, true)), "accepted");
  assert.ok(bp.events.includes(Ev.ArpDefend), `defended: events ${bp.events.join(",")}`);
  assert.ok(!bp.events.includes(Ev.DhcpDecline), "kept the address");
  checkStillAnswers(bp);
});

test("a renewing phone refuses ACKs without lease or address and survives oversized option lists", () => {
  const bp = bootBoundPhone();
  // At T1 (half the lease) the phone first asks for the server's MAC: the renewal is unicast.
  runUntil(bp, () => bp.events.includes(Ev.DhcpRenew) || null, "T1", LEASE_S * 1000);
  const arpForServer = bp.takeSent().filter((f) => view(f).getUint16(12) === ETHERTYPE_ARP && view(f).getUint32(ETH + 24) === SERVER.ip);
  assert.equal(arpForServer.length, 1);
  const serverArp = encodeArp({ op: ARP_REPLY, senderMac: SERVER.mac, senderIp: SERVER.ip, targetMac: PHONE.mac, targetIp: PHONE.ip });
  assert.equal(bp.deliver(encodeEthernet({ dst: PHONE.mac, src: SERVER.mac, etherType: ETHERTYPE_ARP, payload: serverArp }, true)), "accepted");
  const xid = runUntil(bp, () => findDhcp(bp.takeSent(), DhcpType.REQUEST), "the unicast DHCPREQUEST");
  const ack = (edit: (m: Uint8Array) => void, extra: ReturnType<typeof optBytes>[] = []) => {
    const m = dhcpReplyMessage(DhcpType.ACK, xid, PHONE.mac, extra);
    edit(m);
    return dhcpFrame(m);
  };
  const zeroLease = (m: Uint8Array) => m.set([0, 0, 0, 0], 240 + 3 + 6 + 2);
  const zeroYiaddr = (m: Uint8Array) => view(m).setUint32(16, 0);
  expectOutcomes(bp, [
    { name: "ACK with lease 0", frame: ack(zeroLease), want: "drop_dhcp_malformed" },
    { name: "ACK with yiaddr 0", frame: ack(zeroYiaddr), want: "drop_dhcp_malformed" },
  ]);
  const big = [optBytes(DhcpOpt.DNS_SERVERS, new Uint8Array(252).fill(7)), optBytes(DhcpOpt.TFTP_SERVERS, new Uint8Array(252).fill(9)),
    optBytes(DhcpOpt.TFTP_SERVER_NAME, new Uint8Array(255)), optBytes(DhcpOpt.DOMAIN_NAME, new Uint8Array(255).fill(0x61))];
  expectOutcomes(bp, [{ name: "ACK with 255-byte lists and names", frame: ack(() => undefined, big), want: "accepted" }]);
  expectOutcomes(bp, [{ name: "the same ACK again", frame: ack(() => undefined, big), want: "drop_dhcp_unexpected" }]);
  checkStillAnswers(bp);
});

// ---------------------------------------------------------------- random frames

function randomBytes(rng: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** Random bytes, shaped with some probability into what each layer checks first, so the fuzz reaches deep. */
function randomFrame(rng: Random, cap: number): Uint8Array {
  const f = randomBytes(rng, rng.chance(0.02) ? cap + 1 + rng.int(2000) : rng.int(cap + 1));
  if (f.length < ETH) return f;
  f.set(pick(rng, [PHONE.mac, broadcastMac(), f.subarray(0, 6)]), 0);
  const type = pick(rng, [ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV4, rng.int(0x10000)]);
  view(f).setUint16(12, type);
  if (type === ETHERTYPE_ARP && f.length >= ETH + 28 && rng.chance(0.7)) shapeArp(rng, f);
  if (type === ETHERTYPE_IPV4 && f.length >= ETH + IP + 8 && rng.chance(0.8)) shapeIpv4(rng, f);
  return f;
}

function shapeArp(rng: Random, f: Uint8Array): void {
  const v = view(f);
  v.setUint32(ETH, 0x00010800);
  v.setUint16(ETH + 4, 0x0604);
  v.setUint16(ETH + 6, 1 + rng.int(2));
  if (v.getUint32(ETH + 14) === PHONE.ip) v.setUint32(ETH + 14, FAR.ip);
  if (rng.chance(0.5)) v.setUint32(ETH + 24, PHONE.ip);
}

function shapeIpv4(rng: Random, f: Uint8Array): void {
  const v = view(f);
  const n = f.length - ETH;
  f[ETH] = rng.chance(0.9) ? 0x45 : 0x40 | rng.int(16);
  v.setUint16(ETH + 2, rng.chance(0.8) ? n : rng.int(0x10000));
  v.setUint16(ETH + 6, rng.chance(0.8) ? 0 : rng.int(0x10000));
  const proto = pick(rng, [IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_UDP, rng.int(256)]);
  f[ETH + 9] = proto;
  v.setUint32(ETH + 16, pick(rng, [PHONE.ip, IP_BROADCAST, v.getUint32(ETH + 16)]));
  if (proto === IPPROTO_UDP) shapeUdp(rng, f);
  if (proto === IPPROTO_ICMP && rng.chance(0.5)) f[ETH + IP] = ICMP_ECHO_REQUEST;
  if (rng.chance(0.8)) fixIpChecksum(f);
  if (rng.chance(0.7)) fixL4Checksum(f);
}

function shapeUdp(rng: Random, f: Uint8Array): void {
  const v = view(f);
  const u = ETH + IP;
  if (rng.chance(0.8)) v.setUint16(u + 2, DHCP_CLIENT_PORT);
  v.setUint16(u + 4, rng.chance(0.8) ? f.length - u : rng.int(0x10000));
  v.setUint16(u + 6, 0); // no checksum, unless fixed later
  if (f.length < u + 8 + 240 || rng.chance(0.2)) return;
  f.set([2, 1, 6], u + 8);
  v.setUint32(u + 8 + 236, COOKIE);
  if (rng.chance(0.3)) f[u + 8 + 240] = DhcpOpt.MESSAGE_TYPE;
}

/** Recomputes the UDP or ICMP checksum of a well-formed-enough IPv4 frame. */
function fixL4Checksum(f: Uint8Array): void {
  if (f.length < ETH + IP || view(f).getUint16(12) !== ETHERTYPE_IPV4) return;
  const v = view(f);
  const hl = (f[ETH] & 0xf) * 4;
  const l4 = ETH + hl;
  const end = Math.min(f.length, ETH + v.getUint16(ETH + 2));
  if (hl < IP || end - l4 < 8) return;
  if (f[ETH + 9] === IPPROTO_ICMP) {
    v.setUint16(l4 + 2, 0);
    v.setUint16(l4 + 2, internetChecksum(f.subarray(l4, end)));
  } else if (f[ETH + 9] === IPPROTO_UDP) {
    const ulen = v.getUint16(l4 + 4);
    if (ulen < 8 || l4 + ulen > end) return;
    const pseudo = v.getUint16(ETH + 12) + v.getUint16(ETH + 14) + v.getUint16(ETH + 16) + v.getUint16(ETH + 18) + IPPROTO_UDP + ulen;
    v.setUint16(l4 + 6, 0);
    v.setUint16(l4 + 6, internetChecksum(f.subarray(l4, l4 + ulen), pseudo) || 0xffff);
  }
}

/** A valid frame changed by 1-8 random edits, its checksums then fixed half the time. */
function mutate(rng: Random, valid: Uint8Array): Uint8Array {
  let f = valid.slice();
  for (let n = 1 + rng.int(8); n > 0; n--) {
    const at = rng.int(Math.max(1, f.length));
    const op = rng.int(6);
    if (f.length === 0) break;
    if (op === 0) f[at] ^= 1 << rng.int(8);
    else if (op === 1) f[at] = rng.int(256);
    else if (op === 2) f = f.slice(0, rng.int(f.length + 1));
    else if (op === 3) f = Uint8Array.from([...f, ...randomBytes(rng, 1 + rng.int(64))]);
    else if (op === 4) f.set(randomBytes(rng, Math.min(f.length - at, 1 + rng.int(16))), at);
    else if (at + 1 < f.length) view(f).setUint16(at, pick(rng, [0, 1, 0x7fff, 0x8000, 0xffff]));
  }
  if (rng.chance(0.5)) {
    if (f.length >= ETH && view(f).getUint16(12) === ETHERTYPE_IPV4) fixIpChecksum(f);
    fixL4Checksum(f);
  }
  return f;
}

function corpus(xid: number): Uint8Array[] {
  return [
    arpRequest(PHONE.ip, FAR), arpRequest(SERVER.ip, FAR), echoRequest(5, 56, FAR),
    ipv4Frame(FAR, PHONE, IPPROTO_ICMP, icmpMessage(ICMP_ECHO_REQUEST, 0, 1, 1, pingData(24)), { options: Uint8Array.of(1, 1, 1, 0) }),
    dhcpReply(DhcpType.OFFER, FOREIGN_XID), dhcpReply(DhcpType.ACK, xid), dhcpReply(DhcpType.NAK, xid), otherClientDiscover(FAR),
    dhcpFrame(rawDhcp({ options: [...MSG_OFFER, 52, 1, 3, END], file: [...SERVER_ID, END], sname: [...opt(66, fill(20, 0x62)), END], xid })),
  ];
}

/** Delivers each frame; returns how many ended in each outcome. */
function tally(bp: BoundPhone, frames: Iterable<Uint8Array>): Map<CounterName, number> {
  const seen = new Map<CounterName, number>();
  for (const f of frames) {
    const reason = bp.deliver(f);
    seen.set(reason, (seen.get(reason) ?? 0) + 1);
  }
  return seen;
}

function* generate(n: number, make: () => Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < n; i++) yield make();
}

test("12,000 seeded random frames: no trap, one outcome each, the phone still answers", () => {
  const bp = bootBoundPhone();
  bp.keepSent = false;
  const rng = new Random(0x5eed);
  const before = bp.fw.counters();
  const seen = tally(bp, generate(12_000, () => randomFrame(rng, bp.fw.rxCapacity)));
  const after = bp.fw.counters();
  assert.equal(after.rx_frames - before.rx_frames, 12_000);
  assert.equal(outcomeSum(after) - outcomeSum(before), 12_000);
  assert.ok(seen.size >= 15, `the fuzz reaches many checks: ${[...seen].join(" ")}`);
  bp.keepSent = true;
  checkStillAnswers(bp);
  assert.equal(bp.fw.counters().arp_conflicts, 0);
});

test("12,000 seeded mutations of valid frames: no trap, one outcome each, the phone still answers", () => {
  const bp = bootBoundPhone();
  bp.keepSent = false;
  const rng = new Random(0xf00d);
  const valid = corpus(bp.xid);
  const seen = tally(bp, generate(12_000, () => mutate(rng, pick(rng, valid))));
  assert.ok((seen.get("accepted") ?? 0) > 100, `some mutants still accepted: ${[...seen].join(" ")}`);
  assert.ok(seen.size >= 15, `the mutants reach many checks: ${[...seen].join(" ")}`);
  assert.ok((seen.get("drop_dhcp_malformed") ?? 0) > 0, "mutants reach the DHCP parser");
  bp.keepSent = true;
  checkStillAnswers(bp);
  assert.equal(bp.fw.counters().arp_conflicts, 0);
  assert.ok(!bp.events.includes(Ev.DhcpNak), "no mutant took the lease away");
});

test("frames that arrive before the firmware's first poll are counted as dropped, not lost", () => {
  const bp = new BoundPhone(1);
  assert.equal(bp.deliver(arpRequest(PHONE.ip)), "drop_not_running");
  assert.equal(bp.deliver(new Uint8Array(3)), "drop_not_running");
  assert.equal(bp.txCount, 0);
});
