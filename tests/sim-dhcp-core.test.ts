// The DHCP server's I/O-free core: payloads and the time in, answers out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpCore, type DhcpCoreConfig } from '../host/sim/dhcp-core.js';
import { broadcastMac, macToString, parseIp, parseMac } from '../host/wire/address.js';
import {
  BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpOpt, DhcpType, decodeDhcp, dhcpMessageType, dhcpOptionU32, encodeDhcp, optU8,
} from '../host/wire/dhcp.js';

const RELAY_MAC = parseMac('02:00:5e:00:01:fe');
const PHONE = parseMac('00:1b:54:aa:bb:cc');
const ip = parseIp;

/** Two relayed voice subnets behind one server at 192.0.2.1, each scope's option 54 its gateway. */
const TWO_SCOPES: DhcpCoreConfig = {
  ip: ip('192.0.2.1'),
  scopes: [
    { serverId: '10.1.0.1', poolStart: '10.1.0.10', poolEnd: '10.1.0.20', subnetMask: '255.255.255.0', router: '10.1.0.1' },
    { serverId: '10.2.0.1', poolStart: '10.2.0.10', poolEnd: '10.2.0.20', subnetMask: '255.255.255.0', router: '10.2.0.1' },
  ],
};

function discover(giaddr: number, xid = 1, mac = PHONE): Uint8Array {
  return encodeDhcp({ op: BOOTREQUEST, xid, chaddr: mac, giaddr, hops: giaddr === 0 ? 0 : 1, options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.DISCOVER)] });
}

test('a relayed DISCOVER is served from the scope holding its giaddr, and the OFFER goes back to the relay', () => {
  const core = new DhcpCore(TWO_SCOPES);
  const a = core.receive(discover(ip('10.2.0.1')), RELAY_MAC, 0);
  assert.ok(a !== null);
  assert.equal(macToString(a.dstMac), macToString(RELAY_MAC));
  assert.equal(a.dstIp, ip('10.2.0.1'));
  assert.equal(a.dstPort, DHCP_SERVER_PORT);
  const m = decodeDhcp(a.payload)!;
  assert.equal(dhcpMessageType(m), DhcpType.OFFER);
  assert.equal(m.yiaddr, ip('10.2.0.10'));
  assert.equal(dhcpOptionU32(m, DhcpOpt.SERVER_ID), ip('10.2.0.1'));
});

test('a giaddr in no scope, and a request with none when the server has no scope of its own, are ignored', () => {
  const core = new DhcpCore(TWO_SCOPES);
  assert.equal(core.receive(discover(ip('10.9.0.1')), RELAY_MAC, 0), null);
  assert.equal(core.receive(discover(0), PHONE, 0), null);
  assert.equal(core.receive(Uint8Array.of(1, 2, 3), PHONE, 0), null);
  assert.equal(core.stats.ignored, 3);
  assert.equal(core.stats.answers, 0);
});

test('without a relay the answer is broadcast to the client port', () => {
  const core = new DhcpCore({ ip: ip('192.0.2.1'), scopes: [{ poolStart: '192.0.2.100', poolEnd: '192.0.2.110', subnetMask: '255.255.255.0' }] });
  const a = core.receive(discover(0), PHONE, 0)!;
  assert.equal(macToString(a.dstMac), macToString(broadcastMac()));
  assert.equal(a.dstIp, 0xffffffff);
  assert.equal(a.dstPort, DHCP_CLIENT_PORT);
  assert.equal(dhcpOptionU32(decodeDhcp(a.payload)!, DhcpOpt.SERVER_ID), ip('192.0.2.1'));
});

test('the backlog serves one request per service time, holds `depth` more, and drops the rest', () => {
  const core = new DhcpCore({ ...TWO_SCOPES, backlog: { answersPerSecond: 10, depth: 2 } });
  const gi = ip('10.1.0.1');
  const phones = [1, 2, 3, 4].map((n) => parseMac(`00:1b:54:00:00:0${n}`));
  for (const [i, mac] of phones.entries()) assert.equal(core.receive(discover(gi, i + 1, mac), RELAY_MAC, 0), null);
  // One in service, two waiting, one dropped.
  assert.equal(core.stats.dropped, 1);
  assert.equal(core.backlogLength, 2);
  assert.equal(core.dueUs, 100_000);
  assert.equal(core.poll(99_999), null, 'not before its service time is over');
  const answered: number[] = [];
  for (let t = 100_000; core.dueUs !== null; t += 100_000) {
    assert.equal(core.dueUs, t);
    answered.push(decodeDhcp(core.poll(t)!.payload)!.xid);
  }
  assert.deepEqual(answered, [1, 2, 3]);
  assert.equal(core.stats.served, 3);
  assert.equal(core.stats.maxWaitUs, 300_000);
  assert.equal(core.stats.peakBacklog, 2);
});

test('over maxAnswersPerSecond, requests are dropped unprocessed until the next second', () => {
  const core = new DhcpCore({ ...TWO_SCOPES, maxAnswersPerSecond: 1 });
  const gi = ip('10.1.0.1');
  assert.ok(core.receive(discover(gi, 1), RELAY_MAC, 0) !== null);
  assert.equal(core.receive(discover(gi, 2), RELAY_MAC, 500_000), null);
  assert.equal(core.stats.rateLimited, 1);
  assert.ok(core.receive(discover(gi, 3), RELAY_MAC, 1_000_000) !== null);
});
