// The simulated IP host under every server: ARP, IPv4 and the UDP port table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire, type Nic, type WirePort } from '../host/sim/wire.js';
import { IpHost, type UdpIn } from '../host/sim/ip-host.js';
import { broadcastMac, macToString, parseIp, parseMac } from '../host/wire/address.js';
import { ARP_REPLY, ARP_REQUEST, arpRequest, decodeArp, encodeArp } from '../host/wire/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../host/wire/ethernet.js';
import { decodeIpv4 } from '../host/wire/ipv4.js';
import { buildUdpFrame } from '../host/wire/udp.js';

const HOST_MAC = parseMac('02:00:00:00:00:0a');
const HOST_IP = parseIp('192.0.2.10');
const PEER_MAC = parseMac('02:00:00:00:00:0b');
const PEER_IP = parseIp('192.0.2.11');
const IPPROTO_TEST = 253; // RFC 3692: for experiments

class Peer implements Nic {
  readonly frames: Uint8Array[] = [];
  port!: WirePort;
  receive(frame: Uint8Array): void { this.frames.push(frame); }
  arp(op: number, targetIp: number): void {
    const p = op === ARP_REQUEST ? arpRequest(PEER_MAC, PEER_IP, targetIp) : { op, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: HOST_MAC, targetIp };
    this.port.send(encodeEthernet({ dst: broadcastMac(), src: PEER_MAC, etherType: ETHERTYPE_ARP, payload: encodeArp(p) }, true));
  }
}

function rig(): { s: Scheduler; host: IpHost; peer: Peer } {
  const s = new Scheduler();
  const wire = new Wire(s);
  const host = new IpHost(s, HOST_MAC, HOST_IP);
  host.plug(wire, 0);
  const peer = new Peer();
  peer.port = wire.attach(1, peer);
  return { s, host, peer };
}

const arpsIn = (frames: Uint8Array[]) => frames.map((f) => decodeEthernet(f)!).filter((e) => e.etherType === ETHERTYPE_ARP).map((e) => decodeArp(e.payload)!);

test('answers ARP for its address only, and not while silent', () => {
  const { s, host, peer } = rig();
  peer.arp(ARP_REQUEST, parseIp('192.0.2.99'));
  peer.arp(ARP_REQUEST, HOST_IP);
  s.run({});
  const replies = arpsIn(peer.frames);
  assert.equal(replies.length, 1);
  assert.equal(replies[0].op, ARP_REPLY);
  assert.equal(macToString(replies[0].senderMac), macToString(HOST_MAC));
  host.silent = true;
  peer.arp(ARP_REQUEST, HOST_IP);
  s.run({});
  assert.equal(arpsIn(peer.frames).length, 1);
  assert.deepEqual([host.stats.arpReplies, host.stats.ignored, host.stats.silenced], [1, 1, 1]);
});

test('an unresolved destination: one ARP request a second, the last three packets wait and leave on the reply', () => {
  const { s, host, peer } = rig();
  for (let i = 0; i < 4; i++) host.sendIp(PEER_IP, IPPROTO_TEST, Uint8Array.of(i));
  s.run({});
  assert.equal(arpsIn(peer.frames).length, 1, 'one request for four packets');
  s.at(1_000_000, () => host.sendIp(PEER_IP, IPPROTO_TEST, Uint8Array.of(4)));
  s.run({});
  assert.equal(arpsIn(peer.frames).length, 2, 'asked again a second later');
  peer.frames.length = 0;
  peer.arp(ARP_REPLY, HOST_IP);
  s.run({});
  const sent = peer.frames.map((f) => decodeEthernet(f)!).filter((e) => e.etherType === ETHERTYPE_IPV4);
  assert.deepEqual(sent.map((e) => decodeIpv4(e.payload)!.payload[0]), [2, 3, 4]);
  assert.ok(sent.every((e) => macToString(e.dst) === macToString(PEER_MAC)));
});

test('UDP goes to the listener bound to its port; anything else is ignored', () => {
  const { s, host, peer } = rig();
  const got: UdpIn[] = [];
  host.bindUdp(69, (d) => got.push(d));
  const send = (dstPort: number, dstMac = HOST_MAC) => peer.port.send(buildUdpFrame({
    srcMac: PEER_MAC, dstMac, srcIp: PEER_IP, dstIp: HOST_IP, srcPort: 5000, dstPort, payload: Uint8Array.of(7),
  }));
  send(69);
  send(70);
  send(69, parseMac('02:00:00:00:00:ff'));
  s.run({});
  assert.equal(got.length, 1);
  assert.equal(macToString(got[0].srcMac), macToString(PEER_MAC));
  assert.deepEqual([got[0].srcIp, got[0].srcPort, got[0].payload[0]], [PEER_IP, 5000, 7]);
  assert.equal(host.stats.ignored, 2);
  host.unbindUdp(69);
  send(69);
  s.run({});
  assert.equal(got.length, 1);
});
