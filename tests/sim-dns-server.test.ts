// The simulated DNS server: dnsmasq's answers byte for byte, NXDOMAIN, CNAMEs,
// forced errors, ARP, and silence for what is not a query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import type { Nic, WirePort } from '../host/sim/wire.js';
import { DnsServer } from '../host/sim/dns-server.js';
import { DnsRcode, decodeDnsQuery, encodeDnsQuery } from '../host/wire/dns.js';
import type { DnsServerConfig, DnsServerEvent } from '../host/sim/dns-server.js';
import { ARP_REQUEST, decodeArp, encodeArp } from '../host/wire/arp.js';
import { ETHERTYPE_ARP, decodeEthernet, encodeEthernet } from '../host/wire/ethernet.js';
import { buildUdpFrame, parseUdpFrame } from '../host/wire/udp.js';
import { parseIp, parseMac } from '../host/wire/address.js';

// Queries by scapy 2.5.0 (bytes(DNS(id=0x1234, rd=1, qd=DNSQR(qname=NAME, qtype="A")))) and the answers of
// dnsmasq 2.90 (--no-resolv --local=/voice.example/ --host-record=tftp.voice.example,192.0.2.10
// --cname=cm.voice.example,tftp.voice.example) to them, captured in a network namespace of our own:
// the same bytes as the firmware's unit tests (assembly/__tests__/dns.spec.ts).
const QUERY_A = '123401000001000000000000047466747005766f696365076578616d706c650000010001';
const ANSWER_A = '123485800001000100000000047466747005766f696365076578616d706c650000010001c00c00010001000000000004c000020a';
const QUERY_CNAME = '12340100000100000000000002636d05766f696365076578616d706c650000010001';
const ANSWER_CNAME = '12348580000100020000000002636d05766f696365076578616d706c650000010001c00c00050001000000000014047466747005766f696365076578616d706c6500c02e00010001000000000004c000020a';
const QUERY_NXDOMAIN = '123401000001000000000000076e6f746865726505766f696365076578616d706c650000010001';
const ANSWER_NXDOMAIN = '123481830001000000000000076e6f746865726505766f696365076578616d706c650000010001';

const SERVER_MAC = '02:00:5e:00:02:35';
const SERVER_IP = parseIp('192.0.2.53');
const CLIENT_MAC = parseMac('00:1b:54:c2:a7:10');
const CLIENT_IP = parseIp('192.0.2.50');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

class Client implements Nic {
  readonly frames: Uint8Array[] = [];
  port!: WirePort;
  receive(frame: Uint8Array): void { this.frames.push(frame); }
  query(payload: Uint8Array, opts: { dstPort?: number; dstMac?: Uint8Array } = {}): void {
    this.port.send(buildUdpFrame({
      srcMac: CLIENT_MAC, dstMac: opts.dstMac ?? parseMac(SERVER_MAC), srcIp: CLIENT_IP, dstIp: SERVER_IP,
      srcPort: 50010, dstPort: opts.dstPort ?? 53, payload,
    }));
  }
  /** UDP payloads received (checksums verified). */
  answers(): Uint8Array[] {
    return this.frames.map((f) => parseUdpFrame(f)).filter((f) => f !== null).map((f) => {
      assert.equal(f!.ip.checksumOk, true);
      assert.equal(f!.udp.checksumOk, true);
      assert.equal(f!.udp.srcPort, 53);
      assert.equal(f!.udp.dstPort, 50010);
      return f!.udp.payload;
    });
  }
}

function rig(config: Partial<DnsServerConfig> = {}) {
  const s = new Scheduler();
  const wire = new Wire(s, { latencyUs: 100 });
  const server = new DnsServer(s, {
    mac: SERVER_MAC, ip: SERVER_IP,
    records: { 'tftp.voice.example': '192.0.2.10' }, cnames: { 'cm.voice.example': 'tftp.voice.example' },
    ...config,
  });
  const events: DnsServerEvent[] = [];
  server.onEvent = (e) => events.push(e);
  const client = new Client();
  client.port = wire.attach(0, client);
  server.plug(wire, 1);
  const ask = (q: Uint8Array | string, opts?: { dstPort?: number; dstMac?: Uint8Array }) => {
    client.frames.length = 0;
    client.query(typeof q === 'string' ? bytes(q) : q, opts);
    s.run({});
    return client.answers();
  };
  return { s, server, client, events, ask };
}

test('answers exactly as dnsmasq does: A through a compression pointer, CNAME, NXDOMAIN', () => {
  const { ask, events, server } = rig();
  assert.deepEqual(ask(QUERY_A).map(hex), [ANSWER_A]);
  assert.deepEqual(ask(QUERY_CNAME).map(hex), [ANSWER_CNAME]);
  assert.deepEqual(ask(QUERY_NXDOMAIN).map(hex), [ANSWER_NXDOMAIN]);
  assert.deepEqual(events.map((e) => e.type), ['answer', 'answer', 'nxdomain']);
  assert.deepEqual(events[1].addresses, [parseIp('192.0.2.10')]);
  assert.equal(server.stats.queries, 3);
  assert.equal(server.stats.nxdomain, 1);
});

test('names are case-insensitive; the question comes back as asked; several addresses and a TTL', () => {
  const { ask, server } = rig({ records: { 'TFTP.voice.example.': ['192.0.2.10', '192.0.2.11'] }, ttl: 300 });
  const [a] = ask(encodeDnsQuery(0xbeef, 'Tftp.VOICE.example'));
  const q = decodeDnsQuery(encodeDnsQuery(0xbeef, 'Tftp.VOICE.example'))!;
  assert.equal(a[0] << 8 | a[1], 0xbeef);
  assert.equal(a[3] & 0xf, DnsRcode.NOERROR);
  assert.equal(a[7], 2);
  assert.equal(hex(a.subarray(12, q.end)), hex(encodeDnsQuery(0xbeef, 'Tftp.VOICE.example').subarray(12)));
  const rr = a.subarray(q.end);
  assert.equal(hex(rr), 'c00c000100010000012c0004c000020a' + 'c00c000100010000012c0004c000020b');
  assert.equal(server.stats.answers, 1);
});

test('a known name asked for another type: NOERROR without answers (NODATA)', () => {
  const { ask, server } = rig();
  const [a] = ask(encodeDnsQuery(7, 'tftp.voice.example', 28));
  assert.equal(a[3] & 0xf, 0);
  assert.equal(a[7], 0);
  assert.equal(server.stats.nodata, 1);
});

test('a server told to fail answers every query with that rcode', () => {
  const { ask, server } = rig({ rcode: DnsRcode.SERVFAIL });
  const [a] = ask(QUERY_A);
  assert.equal(a[3] & 0xf, DnsRcode.SERVFAIL);
  assert.equal(a[7], 0);
  assert.equal(server.stats.forced, 1);
  server.rcode = DnsRcode.REFUSED;
  assert.equal(ask(QUERY_A)[0][3] & 0xf, DnsRcode.REFUSED);
});

test('answers ARP for its address', () => {
  const { s, client, server } = rig();
  client.port.send(encodeEthernet({
    dst: parseMac('ff:ff:ff:ff:ff:ff'), src: CLIENT_MAC, etherType: ETHERTYPE_ARP,
    payload: encodeArp({ op: ARP_REQUEST, senderMac: CLIENT_MAC, senderIp: CLIENT_IP, targetMac: new Uint8Array(6), targetIp: SERVER_IP }),
  }, true));
  s.run({});
  assert.equal(client.frames.length, 1);
  const arp = decodeArp(decodeEthernet(client.frames[0])!.payload)!;
  assert.equal(hex(arp.senderMac), '02005e000235');
  assert.equal(arp.senderIp, SERVER_IP);
  assert.equal(server.stats.arpReplies, 1);
});

test('says nothing to responses, truncated or multi-question queries, other ports, other MACs, or when silent', () => {
  const { ask, server } = rig();
  assert.deepEqual(ask(ANSWER_A), []);
  assert.deepEqual(ask(QUERY_A.slice(0, 40)), []);
  const two = bytes(QUERY_A);
  two[5] = 2;
  assert.deepEqual(ask(two), []);
  const loop = bytes('1234010000010000000000000474667470c00c00010001');
  assert.deepEqual(ask(loop), []);
  assert.deepEqual(ask(QUERY_A, { dstPort: 5353 }), []);
  assert.deepEqual(ask(QUERY_A, { dstMac: parseMac('02:00:5e:00:02:99') }), []);
  assert.equal(server.stats.ignored, 6);
  server.silent = true;
  assert.deepEqual(ask(QUERY_A), []);
  assert.equal(server.stats.queries, 0);
});

test('decodes a query and never throws on garbage', () => {
  const q = decodeDnsQuery(bytes(QUERY_CNAME))!;
  assert.equal(q.name, 'cm.voice.example');
  assert.equal(q.qtype, 1);
  assert.equal(q.id, 0x1234);
  let seed = 1;
  for (let i = 0; i < 2000; i++) {
    const b = bytes(QUERY_CNAME);
    for (let k = 0; k < 3; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[seed % b.length] = seed >>> 24;
    }
    decodeDnsQuery(b.subarray(0, seed % (b.length + 1)));
  }
});
