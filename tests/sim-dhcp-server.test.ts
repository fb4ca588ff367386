import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import type { Nic, WirePort } from '../host/sim/wire.js';
import { EthernetSwitch } from '../host/sim/switch.js';
import { DhcpServer } from '../host/sim/dhcp-server.js';
import type { DhcpServerConfig, DhcpServerEvent } from '../host/sim/dhcp-server.js';
import { Squatter } from '../host/sim/squatter.js';
import { ARP_REPLY, ARP_REQUEST, decodeArp, encodeArp } from '../host/wire/arp.js';
import { BOOTREPLY, BOOTREQUEST, DHCP_FLAG_BROADCAST, DhcpOpt, DhcpType, decodeDhcp, dhcpMessageType, dhcpOptionIpList, dhcpOptionString, dhcpOptionU32, encodeDhcp, optBytes, optU16, optU32, optU8 } from '../host/wire/dhcp.js';
import { ETHERTYPE_ARP, decodeEthernet, encodeEthernet } from '../host/wire/ethernet.js';
import { broadcastMac, ipToString, macToString, parseIp, parseMac } from '../host/wire/address.js';
import { buildUdpFrame, parseUdpFrame } from '../host/wire/udp.js';
import type { DecodedDhcp, DhcpOption } from '../host/wire/dhcp.js';

const SERVER_MAC = '02:00:00:00:00:01';
const SERVER_IP = parseIp('192.0.2.1');
const PHONE = parseMac('00:1b:54:aa:bb:cc');
const OTHER = parseMac('00:1b:54:00:00:02');
const ip = parseIp;

const BASE: DhcpServerConfig = {
  mac: SERVER_MAC, ip: '192.0.2.1', poolStart: '192.0.2.100', poolEnd: '192.0.2.199', subnetMask: '255.255.255.0',
  router: '192.0.2.254', dnsServers: ['192.0.2.53'], domainName: 'example.test',
  tftpServerName: 'tftp.example.test', tftpServers: ['192.0.2.10', '192.0.2.11'],
};

interface Reply { tUs: number; dstMac: string; dstIp: string; m: DecodedDhcp; type: number | null }

interface Req {
  type: number;
  mac?: Uint8Array;
  xid?: number;
  ciaddr?: number;
  broadcast?: boolean;
  requested?: number;
  serverId?: number;
  prl?: number[];
  extra?: DhcpOption[];
}

/** A hand-driven DHCP client: builds frames byte by byte, records what comes back. */
class Tester implements Nic {
  readonly frames: Array<{ tUs: number; frame: Uint8Array }> = [];
  port: WirePort | null = null;
  constructor(private readonly s: Scheduler) {}

  receive(frame: Uint8Array): void {
    this.frames.push({ tUs: this.s.now, frame });
  }

  send(r: Req): void {
    const mac = r.mac ?? PHONE;
    const options: DhcpOption[] = [optU8(DhcpOpt.MESSAGE_TYPE, r.type)];
    if (r.requested !== undefined) options.push(optU32(DhcpOpt.REQUESTED_IP, r.requested));
    if (r.serverId !== undefined) options.push(optU32(DhcpOpt.SERVER_ID, r.serverId));
    options.push(optBytes(DhcpOpt.PARAM_REQUEST_LIST, Uint8Array.from(r.prl ?? [1, 3, 6, 15, 66, 150])));
    options.push(...(r.extra ?? []));
    const ciaddr = r.ciaddr ?? 0;
    const payload = encodeDhcp({
      op: BOOTREQUEST, xid: r.xid ?? 0x1234, chaddr: mac, ciaddr, flags: r.broadcast === false ? 0 : DHCP_FLAG_BROADCAST, options,
    });
    const unicast = ciaddr !== 0 && (r.type === DhcpType.RELEASE || r.type === DhcpType.REQUEST) && r.broadcast === false;
    this.port!.send(buildUdpFrame({
      srcMac: mac, dstMac: unicast ? parseMac(SERVER_MAC) : broadcastMac(), srcIp: ciaddr,
      dstIp: unicast ? SERVER_IP : 0xffffffff, srcPort: 68, dstPort: 67, payload,
    }));
  }

  /** DHCP replies received so far (checksums asserted valid). */
  replies(): Reply[] {
    const out: Reply[] = [];
    for (const { tUs, frame } of this.frames) {
      const eth = decodeEthernet(frame);
      if (eth === null || eth.etherType !== 0x0800) continue;
      const m = decodeDhcpFrame(frame);
      out.push({ tUs, dstMac: macToString(eth.dst), dstIp: ipToString(m.ipDst), m: m.dhcp, type: dhcpMessageType(m.dhcp) });
    }
    return out;
  }

  last(): Reply {
    const r = this.replies();
    assert.ok(r.length > 0, 'expected a DHCP reply');
    return r[r.length - 1];
  }
}

function decodeDhcpFrame(frame: Uint8Array): { dhcp: DecodedDhcp; ipDst: number } {
  const f = parseUdpFrame(frame);
  assert.ok(f !== null, 'reply is not IPv4/UDP');
  assert.equal(f.ip.checksumOk, true, 'IPv4 header checksum');
  assert.equal(f.udp.checksumOk, true, 'UDP checksum');
  assert.equal(f.udp.srcPort, 67);
  assert.equal(f.udp.dstPort, 68);
  assert.equal(f.ip.src, SERVER_IP);
  const dhcp = decodeDhcp(f.udp.payload);
  assert.ok(dhcp !== null, 'reply is not DHCP');
  assert.equal(dhcp.op, BOOTREPLY);
  return { dhcp, ipDst: f.ip.dst };
}

function rig(extra: Partial<DhcpServerConfig> = {}): { s: Scheduler; server: DhcpServer; c: Tester; events: DhcpServerEvent[] } {
  const s = new Scheduler();
  const wire = new Wire(s, { latencyUs: 10 });
  const server = new DhcpServer(s, { ...BASE, ...extra });
  const c = new Tester(s);
  c.port = wire.attach(0, c);
  server.plug(wire, 1);
  const events: DhcpServerEvent[] = [];
  server.onEvent = (e) => events.push(e);
  return { s, server, c, events };
}

function exchange(s: Scheduler, c: Tester, r: Req): Reply | null {
  const before = c.replies().length;
  c.send(r);
  s.run({ maxEvents: 1000 });
  const after = c.replies();
  assert.ok(after.length <= before + 1, 'at most one reply per request');
  return after.length > before ? after[after.length - 1] : null;
}

const codes = (m: DecodedDhcp): number[] => m.options.map((o) => o.code);

test('DISCOVER -> OFFER -> REQUEST -> ACK, broadcast, with the requested options in order', () => {
  const { s, server, c, events } = rig();
  const offer = exchange(s, c, { type: DhcpType.DISCOVER, xid: 77 });
  assert.ok(offer !== null);
  assert.equal(offer.type, DhcpType.OFFER);
  assert.equal(offer.dstMac, 'ff:ff:ff:ff:ff:ff');
  assert.equal(offer.dstIp, '255.255.255.255');
  assert.equal(offer.m.xid, 77);
  assert.equal(macToString(offer.m.chaddr.subarray(0, 6)), macToString(PHONE));
  assert.equal(ipToString(offer.m.yiaddr), '192.0.2.100');
  assert.deepEqual(codes(offer.m), [53, 54, 51, 58, 59, 1, 3, 6, 15, 66, 150]);
  assert.equal(dhcpOptionU32(offer.m, DhcpOpt.SERVER_ID), SERVER_IP);
  assert.equal(dhcpOptionU32(offer.m, DhcpOpt.LEASE_TIME), 3600);
  assert.equal(dhcpOptionU32(offer.m, DhcpOpt.RENEWAL_TIME), 1800);
  assert.equal(dhcpOptionU32(offer.m, DhcpOpt.REBINDING_TIME), 3150);
  assert.equal(dhcpOptionString(offer.m, DhcpOpt.TFTP_SERVER_NAME), 'tftp.example.test');
  assert.deepEqual(dhcpOptionIpList(offer.m, DhcpOpt.TFTP_SERVERS)?.map(ipToString), ['192.0.2.10', '192.0.2.11']);
  assert.equal(server.leaseOf('192.0.2.100')?.state, 'offered');

  const ack = exchange(s, c, { type: DhcpType.REQUEST, xid: 78, requested: offer.m.yiaddr, serverId: SERVER_IP });
  assert.ok(ack !== null);
  assert.equal(ack.type, DhcpType.ACK);
  assert.equal(ack.m.yiaddr, offer.m.yiaddr);
  assert.equal(ack.dstIp, '255.255.255.255');
  const lease = server.leaseOf('192.0.2.100');
  assert.equal(lease?.state, 'bound');
  assert.deepEqual(events.map((e) => e.type), ['offer', 'ack']);
  assert.equal(lease?.expiresUs, events[1].tUs + 3600_000_000);
});

test('only the options in the parameter request list are answered; option 57 limits the size', () => {
  const { s, c } = rig({ domainName: 'd'.repeat(200), tftpServers: Array.from({ length: 60 }, (_, i) => ip('198.51.100.0') + i) });
  const small = exchange(s, c, { type: DhcpType.DISCOVER, prl: [1] });
  assert.deepEqual(codes(small!.m), [53, 54, 51, 58, 59, 1]);
  // 548-byte message limit: the 240-byte 150 list no longer fits after the 202-byte domain name
  const capped = exchange(s, c, { type: DhcpType.DISCOVER, prl: [15, 150, 1] });
  assert.deepEqual(codes(capped!.m), [53, 54, 51, 58, 59, 15, 1]);
  const big = exchange(s, c, { type: DhcpType.DISCOVER, prl: [15, 150, 1], extra: [optU16(DhcpOpt.MAX_MESSAGE_SIZE, 1500)] });
  assert.deepEqual(codes(big!.m), [53, 54, 51, 58, 59, 15, 150, 1]);
  assert.equal(dhcpOptionIpList(big!.m, DhcpOpt.TFTP_SERVERS)?.length, 60);
});

test('the same client gets the same address again; another client gets another', () => {
  const { s, c } = rig();
  const a1 = exchange(s, c, { type: DhcpType.DISCOVER });
  const b1 = exchange(s, c, { type: DhcpType.DISCOVER, mac: OTHER });
  const a2 = exchange(s, c, { type: DhcpType.DISCOVER });
  assert.equal(a1!.m.yiaddr, a2!.m.yiaddr);
  assert.notEqual(a1!.m.yiaddr, b1!.m.yiaddr);
  const clientId = optBytes(DhcpOpt.CLIENT_ID, Uint8Array.of(1, ...PHONE));
  const byId = exchange(s, c, { type: DhcpType.DISCOVER, mac: parseMac('02:11:11:11:11:11'), extra: [clientId] });
  assert.notEqual(byId!.m.yiaddr, a1!.m.yiaddr, 'client id 61 names a different client than the bare chaddr');
});

test('REQUEST naming another server silently frees the reservation', () => {
  const { s, server, c } = rig();
  const offer = exchange(s, c, { type: DhcpType.DISCOVER });
  const none = exchange(s, c, { type: DhcpType.REQUEST, requested: offer!.m.yiaddr, serverId: ip('192.0.2.2') });
  assert.equal(none, null);
  assert.equal(server.leaseOf(offer!.m.yiaddr), null);
});

test('SELECTING with an address we did not offer is NAKed', () => {
  const { s, c } = rig();
  exchange(s, c, { type: DhcpType.DISCOVER });
  const nak = exchange(s, c, { type: DhcpType.REQUEST, requested: ip('192.0.2.150'), serverId: SERVER_IP });
  assert.equal(nak?.type, DhcpType.NAK);
});

test('INIT-REBOOT: a foreign address is NAKed (broadcast), the client\'s own is ACKed, an unknown client meets silence', () => {
  const { s, server, c } = rig();
  const nak = exchange(s, c, { type: DhcpType.REQUEST, requested: ip('198.51.100.7'), broadcast: false });
  assert.ok(nak !== null);
  assert.equal(nak.type, DhcpType.NAK);
  assert.equal(nak.dstMac, 'ff:ff:ff:ff:ff:ff');
  assert.equal(nak.m.yiaddr, 0);
  assert.deepEqual(codes(nak.m), [53, 54, 56]);
  assert.equal(server.leases().length, 0);
  // RFC 2131 4.3.2: no record of this client, a free address on the subnet: remain silent.
  const unknown = exchange(s, c, { type: DhcpType.REQUEST, requested: ip('192.0.2.150') });
  assert.equal(unknown, null, 'on-subnet address this client never had');

  const offer = exchange(s, c, { type: DhcpType.DISCOVER });
  exchange(s, c, { type: DhcpType.REQUEST, requested: offer!.m.yiaddr, serverId: SERVER_IP });
  const ack = exchange(s, c, { type: DhcpType.REQUEST, requested: offer!.m.yiaddr });
  assert.equal(ack?.type, DhcpType.ACK);
  // the same address claimed by someone else is NAKed
  const stolen = exchange(s, c, { type: DhcpType.REQUEST, requested: offer!.m.yiaddr, mac: OTHER });
  assert.equal(stolen?.type, DhcpType.NAK);
});

test('RENEWING: unicast REQUEST with ciaddr extends the lease, ACK unicast to ciaddr/chaddr', () => {
  const { s, server, c } = rig();
  const offer = exchange(s, c, { type: DhcpType.DISCOVER });
  const addr = offer!.m.yiaddr;
  exchange(s, c, { type: DhcpType.REQUEST, requested: addr, serverId: SERVER_IP });
  const firstExpiry = server.leaseOf(addr)!.expiresUs;
  s.runUntil(1_800_000_000); // T1
  const renewAt = s.now;
  const ack = exchange(s, c, { type: DhcpType.REQUEST, ciaddr: addr, broadcast: false });
  assert.ok(ack !== null);
  assert.equal(ack.type, DhcpType.ACK);
  assert.equal(ack.dstMac, macToString(PHONE));
  assert.equal(ack.dstIp, ipToString(addr));
  assert.equal(ack.m.ciaddr, addr);
  assert.equal(ack.m.yiaddr, addr);
  const lease = server.leaseOf(addr)!;
  assert.ok(lease.expiresUs > firstExpiry);
  assert.ok(lease.expiresUs - renewAt >= 3600_000_000 && lease.expiresUs - renewAt < 3600_001_000);
});

test('DECLINE takes the address out of the pool until the hold expires', () => {
  const { s, server, c, events } = rig({ declineHoldS: 100 });
  const first = exchange(s, c, { type: DhcpType.DISCOVER });
  const bad = first!.m.yiaddr;
  exchange(s, c, { type: DhcpType.REQUEST, requested: bad, serverId: SERVER_IP });
  assert.equal(exchange(s, c, { type: DhcpType.DECLINE, requested: bad, serverId: SERVER_IP }), null);
  assert.equal(server.isDeclined(bad), true);
  assert.equal(server.leaseOf(bad), null);
  assert.equal(events.at(-1)?.type, 'decline');
  const second = exchange(s, c, { type: DhcpType.DISCOVER, requested: bad });
  assert.notEqual(second!.m.yiaddr, bad, 'declined address offered again');
  s.runUntil(s.now + 101_000_000);
  assert.equal(server.isDeclined(bad), false);
  const third = exchange(s, c, { type: DhcpType.DISCOVER, mac: OTHER, requested: bad });
  assert.equal(third!.m.yiaddr, bad);
});

test('RELEASE frees the address for another client', () => {
  const { s, server, c } = rig({ poolEnd: '192.0.2.100' });
  const offer = exchange(s, c, { type: DhcpType.DISCOVER });
  exchange(s, c, { type: DhcpType.REQUEST, requested: offer!.m.yiaddr, serverId: SERVER_IP });
  assert.equal(exchange(s, c, { type: DhcpType.DISCOVER, mac: OTHER }), null, 'pool of one is taken');
  assert.equal(server.stats.poolExhausted, 1);
  exchange(s, c, { type: DhcpType.RELEASE, ciaddr: offer!.m.yiaddr, serverId: SERVER_IP, broadcast: false });
  assert.equal(server.leaseOf(offer!.m.yiaddr)?.state, 'released');
  assert.equal(exchange(s, c, { type: DhcpType.DISCOVER, mac: OTHER })?.m.yiaddr, offer!.m.yiaddr);
});

test('test behaviours: nakAll, silent, answerDelayUs, maxAnswersPerSecond', () => {
  const nak = rig({ nakAll: true });
  const o = exchange(nak.s, nak.c, { type: DhcpType.DISCOVER });
  assert.equal(exchange(nak.s, nak.c, { type: DhcpType.REQUEST, requested: o!.m.yiaddr, serverId: SERVER_IP })?.type, DhcpType.NAK);

  const mute = rig({ silent: true });
  assert.equal(exchange(mute.s, mute.c, { type: DhcpType.DISCOVER }), null);
  assert.equal(mute.server.stats.silenced, 1);

  const slow = rig({ answerDelayUs: 250_000 });
  const quick = rig();
  const prompt = exchange(quick.s, quick.c, { type: DhcpType.DISCOVER });
  assert.ok(prompt !== null && prompt.tUs < 1_000, `undelayed reply at ${prompt?.tUs} µs`);
  const delayed = exchange(slow.s, slow.c, { type: DhcpType.DISCOVER });
  assert.ok(delayed !== null && delayed.tUs >= 250_000, `reply at ${delayed?.tUs} µs`);

  const busy = rig({ maxAnswersPerSecond: 2 });
  for (let i = 0; i < 3; i++) busy.c.send({ type: DhcpType.DISCOVER, mac: parseMac(`02:00:00:00:01:0${i}`) });
  busy.s.run({});
  assert.equal(busy.c.replies().length, 2);
  assert.equal(busy.server.stats.rateLimited, 1);
  busy.s.runUntil(1_000_000);
  busy.c.send({ type: DhcpType.DISCOVER, mac: parseMac('02:00:00:00:01:02') });
  busy.s.run({});
  assert.equal(busy.c.replies().length, 3, 'a new second, a new budget');
});

test('answers ARP for its own address only', () => {
  const { s, c, server } = rig();
  const ask = (target: number): void => {
    const arp = encodeArp({ op: ARP_REQUEST, senderMac: PHONE, senderIp: ip('192.0.2.100'), targetMac: new Uint8Array(6), targetIp: target });
    c.port!.send(encodeEthernet({ dst: broadcastMac(), src: PHONE, etherType: ETHERTYPE_ARP, payload: arp }, true));
    s.run({});
  };
  ask(ip('192.0.2.77'));
  assert.equal(c.frames.length, 0);
  ask(SERVER_IP);
  assert.equal(c.frames.length, 1);
  const reply = decodeArp(decodeEthernet(c.frames[0].frame)!.payload);
  assert.equal(reply?.op, ARP_REPLY);
  assert.equal(reply?.senderIp, SERVER_IP);
  assert.equal(macToString(reply!.senderMac), SERVER_MAC);
  assert.equal(server.stats.arpReplies, 1);
});

test('squatter: the offered address answers an RFC 5227 probe; DECLINE moves the client on', () => {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, 3);
  const wires = [0, 1, 2].map((p) => { const w = new Wire(s); sw.connect(p, w, 1); return w; });
  const server = new DhcpServer(s, BASE);
  server.plug(wires[0], 0);
  const squatter = new Squatter('02:00:00:00:0b:ad', null);
  squatter.plug(wires[1], 0);
  const c = new Tester(s);
  c.port = wires[2].attach(0, c);
  // the hook: whatever the server offers, the squatter is already using
  server.onEvent = (e) => { if (e.type === 'offer') squatter.ip = e.ip; };

  const offer = exchange(s, c, { type: DhcpType.DISCOVER });
  const addr = offer!.m.yiaddr;
  const probe = encodeArp({ op: ARP_REQUEST, senderMac: PHONE, senderIp: 0, targetMac: new Uint8Array(6), targetIp: addr });
  c.port.send(encodeEthernet({ dst: broadcastMac(), src: PHONE, etherType: ETHERTYPE_ARP, payload: probe }, true));
  s.run({});
  const arps = c.frames.map((f) => decodeEthernet(f.frame)!).filter((e) => e.etherType === ETHERTYPE_ARP);
  assert.equal(arps.length, 1);
  const answer = decodeArp(arps[0].payload)!;
  assert.equal(answer.op, ARP_REPLY);
  assert.equal(answer.senderIp, addr);
  assert.equal(macToString(answer.senderMac), '02:00:00:00:0b:ad');
  assert.equal(answer.targetIp, 0);
  assert.equal(macToString(arps[0].dst), macToString(PHONE), 'unicast back to the prober');

  exchange(s, c, { type: DhcpType.DECLINE, requested: addr, serverId: SERVER_IP });
  const next = exchange(s, c, { type: DhcpType.DISCOVER });
  assert.notEqual(next!.m.yiaddr, addr);
  assert.equal(server.isDeclined(addr), true);
});

test('ignores replies, bad checksums, and frames for other hosts', () => {
  const { s, c, server } = rig();
  const reply = encodeDhcp({ op: BOOTREPLY, xid: 1, chaddr: PHONE, options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.DISCOVER)] });
  c.port!.send(buildUdpFrame({ srcMac: PHONE, dstMac: broadcastMac(), srcIp: 0, dstIp: 0xffffffff, srcPort: 68, dstPort: 67, payload: reply }));
  const good = encodeDhcp({ op: BOOTREQUEST, xid: 1, chaddr: PHONE, options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.DISCOVER)] });
  const corrupt = buildUdpFrame({ srcMac: PHONE, dstMac: broadcastMac(), srcIp: 0, dstIp: 0xffffffff, srcPort: 68, dstPort: 67, payload: good });
  corrupt[corrupt.length - 1] ^= 0xff;
  c.port!.send(corrupt);
  c.port!.send(buildUdpFrame({ srcMac: PHONE, dstMac: OTHER, srcIp: 0, dstIp: 0xffffffff, srcPort: 68, dstPort: 67, payload: good }));
  s.run({});
  assert.equal(c.frames.length, 0);
  assert.equal(server.stats.ignored, 3);
});

test('bad configuration is rejected with a clear error', () => {
  const s = new Scheduler();
  assert.throws(() => new DhcpServer(s, { ...BASE, poolStart: '192.0.2.200' }), /poolStart is after poolEnd/);
  assert.throws(() => new DhcpServer(s, { ...BASE, poolEnd: '198.51.100.9' }), /subnet/);
  assert.throws(() => new DhcpServer(s, { ...BASE, subnetMask: '255.0.255.0' }), /contiguous/);
  assert.throws(() => new DhcpServer(s, { ...BASE, ip: '192.0.2' }), /not an IPv4/);
  assert.throws(() => new DhcpServer(s, { ...BASE, renewalTimeS: 4000 }), /T1 <= T2/);
});
