import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import type { Nic } from '../host/sim/wire.js';
import { DhcpServer } from '../host/sim/dhcp-server.js';
import { LINKTYPE_ETHERNET, PcapWriter, readPcap } from '../host/sim/pcap.js';
import { ARP_REQUEST, encodeArp } from '../host/wire/arp.js';
import { BOOTREQUEST, DHCP_FLAG_BROADCAST, DhcpOpt, DhcpType, encodeDhcp, optBytes, optU32, optU8 } from '../host/wire/dhcp.js';
import { ETHERTYPE_ARP, encodeEthernet } from '../host/wire/ethernet.js';
import { broadcastMac, parseIp, parseMac } from '../host/wire/address.js';
import { buildUdpFrame } from '../host/wire/udp.js';

const PHONE = parseMac('00:1b:54:aa:bb:cc');
const SERVER_IP = parseIp('192.0.2.1');

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const tsharkSkip = tshark.error !== undefined || tshark.status !== 0 ? 'tshark not installed' : false;

function discover(xid: number, type: number, extra: Array<ReturnType<typeof optU8>> = []): Uint8Array {
  const payload = encodeDhcp({
    op: BOOTREQUEST, xid, chaddr: PHONE, flags: DHCP_FLAG_BROADCAST,
    options: [optU8(DhcpOpt.MESSAGE_TYPE, type), optBytes(DhcpOpt.PARAM_REQUEST_LIST, Uint8Array.of(1, 3, 6, 15, 66, 150)), ...extra],
  });
  return buildUdpFrame({ srcMac: PHONE, dstMac: broadcastMac(), srcIp: 0, dstIp: 0xffffffff, srcPort: 68, dstPort: 67, payload });
}

/** A DORA exchange plus an ARP probe/answer, captured on the phone's wire. */
function capture(): { pcap: PcapWriter; times: number[] } {
  const s = new Scheduler();
  const wire = new Wire(s, { latencyUs: 5 });
  const pcap = new PcapWriter();
  const times: number[] = [];
  wire.tap = (tUs, frame) => { times.push(tUs); pcap.record(tUs, frame); };
  const server = new DhcpServer(s, {
    mac: '02:00:00:00:00:01', ip: '192.0.2.1', poolStart: '192.0.2.100', poolEnd: '192.0.2.110', subnetMask: '255.255.255.0',
    router: '192.0.2.1', dnsServers: ['192.0.2.1'], domainName: 'example.test', tftpServerName: 'tftp.example.test',
    tftpServers: ['192.0.2.10'],
  });
  const phone: Nic = { receive: () => {} };
  const port = wire.attach(0, phone);
  server.plug(wire, 1);
  s.at(1_000_000, () => port.send(discover(1, DhcpType.DISCOVER)));
  s.at(2_500_000, () => port.send(discover(1, DhcpType.REQUEST, [optU32(DhcpOpt.REQUESTED_IP, parseIp('192.0.2.100')), optU32(DhcpOpt.SERVER_ID, SERVER_IP)])));
  s.at(3_000_000, () => {
    const arp = encodeArp({ op: ARP_REQUEST, senderMac: PHONE, senderIp: parseIp('192.0.2.100'), targetMac: new Uint8Array(6), targetIp: SERVER_IP });
    port.send(encodeEthernet({ dst: broadcastMac(), src: PHONE, etherType: ETHERTYPE_ARP, payload: arp }, true));
  });
  s.run({ maxEvents: 1000 });
  return { pcap, times };
}

test('writer output reads back: header, virtual timestamps, bytes', () => {
  const { pcap, times } = capture();
  const buf = pcap.toBuffer();
  const dv = new DataView(buf.buffer, buf.byteOffset);
  assert.equal(dv.getUint32(0, true), 0xa1b2c3d4);
  assert.equal(dv.getUint16(4, true), 2);
  assert.equal(dv.getUint16(6, true), 4);
  assert.equal(dv.getUint32(16, true), 65535);
  const file = readPcap(buf);
  assert.ok(file !== null);
  assert.equal(file.linktype, LINKTYPE_ETHERNET);
  assert.equal(file.records.length, 6, 'DISCOVER, OFFER, REQUEST, ACK, ARP request, ARP reply');
  assert.deepEqual(file.records.map((r) => r.tUs), times);
  assert.ok(times[0] > 1_000_000 && times[0] < 1_001_000);
  assert.equal(file.records[0].data.length, 342);
  assert.equal(pcap.records, 6);
});

test('snaplen truncates captured bytes but keeps the original length', () => {
  const pcap = new PcapWriter(20);
  pcap.record(1_234_567, new Uint8Array(100).fill(3));
  const file = readPcap(pcap.toBuffer());
  assert.equal(file?.records[0].data.length, 20);
  assert.equal(file?.records[0].origLen, 100);
  assert.equal(file?.records[0].tUs, 1_234_567);
});

test('the reader rejects truncated and foreign files', () => {
  const buf = capture().pcap.toBuffer();
  assert.equal(readPcap(buf.subarray(0, 23)), null);
  assert.equal(readPcap(buf.subarray(0, buf.length - 1)), null);
  const bad = buf.slice(); bad[0] = 0;
  assert.equal(readPcap(bad), null);
  assert.throws(() => new PcapWriter().record(-1, new Uint8Array(60)), /timestamp/);
});

test('tshark dissects the capture with valid checksums and nothing malformed', { skip: tsharkSkip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipphone-pcap-'));
  try {
    const file = path.join(dir, 'dora.pcap');
    fs.writeFileSync(file, capture().pcap.toBuffer());
    const r = spawnSync('tshark', [
      '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|',
      '-e', 'frame.time_epoch', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status',
      '-e', 'dhcp.option.dhcp', '-e', 'arp.opcode', '-e', '_ws.expert.severity',
    ], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 6);
    for (const [, protocols, ipOk, udpOk, , , severity] of rows) {
      assert.ok(!protocols.includes('malformed'), `malformed frame: ${protocols}`);
      assert.equal(severity, '', `expert info raised: ${severity}`);
      if (protocols.includes(':udp')) {
        assert.equal(ipOk, '1', 'IPv4 checksum good');
        assert.equal(udpOk, '1', 'UDP checksum good');
      }
    }
    assert.deepEqual(rows.map((row) => row[4]), ['1', '2', '3', '5', '', '']);
    assert.deepEqual(rows.map((row) => row[5]), ['', '', '', '', '1', '2']);
    assert.ok(Math.abs(Number(rows[0][0]) - 1.000033) < 0.00005, `virtual time in the file: ${rows[0][0]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
