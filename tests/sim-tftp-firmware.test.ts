// The firmware's TFTP and DNS clients (assembly/client/tftp.ts, dns.ts) against
// the simulated servers, over a simulated switch, before they are wired into
// phone.wasm: the test-only AssemblyScript harness of helpers/tftp-harness.ts
// dispatches ARP and UDP to them as stack.ts will, and exports a sink that
// hashes what arrives. The same measurement as the throughput test of
// sim-tftp-server.test.ts, but with the real client.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DnsRcode } from '../host/wire/dns.js';
import { parseUdpFrame } from '../host/wire/udp.js';
import { Ev } from '../host/events.js';
import {
  CNF, DNS_IP, DNS2_IP, DnsStatus, TFTP_IP, TftpStatus, file, fnv, harnessModule, network, rate,
} from './helpers/tftp-harness.js';

before(() => {
  harnessModule();
});

test('the firmware fetches its config from the simulated server: OACK, window, every byte in order', () => {
  const data = file(3000);
  const { s, phone, server } = network({ files: { [CNF]: data } });
  phone.fetch(TFTP_IP, CNF, 64 * 1024);
  s.run({ untilUs: 10_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Done);
  assert.equal(phone.x.tftp_size(), 3000);
  assert.equal(phone.x.sink_hash() >>> 0, fnv(data));
  assert.equal(phone.x.sink_ordered(), 1);
  assert.equal(phone.x.tftp_blksize(), 1428);
  assert.equal(phone.x.tftp_window(), 256);
  assert.equal(server.stats.completed, 1);
  assert.equal(server.stats.retransmitted, 0);
  assert.deepEqual(phone.events.map((e) => e.code), [Ev.TftpFile, Ev.TftpRequest, Ev.TftpSize, Ev.TftpOptions, Ev.TftpDone]);
});

test('8 MiB image, 100 Mbit/s, 1 ms round trip: the firmware client gets 90 % of the link; lockstep does not', () => {
  const windowed = rate({});
  const lockstep = rate({ options: 'ignore' });
  console.log(`# firmware TFTP client, 8 MiB over 100 Mbit/s with a 1 ms RTT: windowsize 256 blksize 1428: ${(windowed.fraction * 100).toFixed(1)} % of the link (${windowed.ms} ms); lockstep blksize 512: ${(lockstep.fraction * 100).toFixed(1)} % (${lockstep.ms} ms)`);
  assert.ok(windowed.fraction >= 0.9, `windowed ${windowed.fraction}`);
  assert.ok(lockstep.fraction < 0.05, `lockstep ${lockstep.fraction}`);
});

test('a plain server: lockstep 512; a server refusing options: ERROR 8 then plain; a missing file: not found', () => {
  const data = file(2000);
  for (const options of ['ignore', 'refuse'] as const) {
    const { s, phone } = network({ files: { [CNF]: data }, options });
    phone.fetch(TFTP_IP, CNF, 64 * 1024);
    s.run({ untilUs: 10_000_000 });
    assert.equal(phone.x.tftp_status(), TftpStatus.Done, options);
    assert.equal(phone.x.sink_hash() >>> 0, fnv(data));
    assert.equal(phone.x.tftp_blksize(), 512);
    assert.equal(phone.eventCount(Ev.TftpPlain), 1);
  }
  const { s, phone, server } = network({ files: {} });
  phone.fetch(TFTP_IP, CNF, 64 * 1024);
  s.run({ untilUs: 10_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.NotFound);
  assert.equal(server.stats.notFound, 1);
});

test('a file larger than its destination is refused from the tsize, before any data', () => {
  const { s, phone, server } = network({ files: { [CNF]: file(70_000) } });
  phone.fetch(TFTP_IP, CNF, 65_536);
  s.run({ untilUs: 10_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Refused);
  assert.equal(phone.x.tftp_error(), 3);
  assert.equal(server.stats.dataSent, 0);
  assert.equal(server.stats.aborted, 1);
  assert.equal(server.active, 0);
});

test('a lossy port: every 23rd frame in and every 31st out lost; the file still arrives whole, in bounded time', () => {
  const data = file(600_000, 3);
  const { s, phone, server } = network({ files: { 'image.bin': data } });
  phone.dropIn = (f, n) => n % 23 === 22 && parseUdpFrame(f) !== null;
  phone.dropOut = (f, n) => n % 31 === 30 && parseUdpFrame(f) !== null;
  phone.fetch(TFTP_IP, 'image.bin', 1 << 20);
  s.run({ untilUs: 120_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Done);
  assert.equal(phone.x.sink_hash() >>> 0, fnv(data));
  assert.equal(phone.x.sink_ordered(), 1);
  assert.ok(server.stats.retransmitted > 0);
  assert.ok(phone.counter('drop_tftp_out_of_order') > 0);
  const done = phone.events.find((e) => e.code === Ev.TftpDone)!;
  assert.ok(done.b < 60_000, `took ${done.b} ms`);
});

test('block numbers roll over on the wire: 65601 blocks of 8 bytes', () => {
  const data = file(65_600 * 8 + 5, 9);
  const { s, phone } = network({ files: { 'f.bin': data }, maxBlksize: 8 });
  phone.fetch(TFTP_IP, 'f.bin', 1 << 20);
  s.run({ untilUs: 120_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Done);
  assert.equal(phone.x.tftp_size(), data.length);
  assert.equal(phone.x.sink_hash() >>> 0, fnv(data));
});

test('an unreachable server: the RRQ five times, then a timeout', () => {
  const { s, phone, server } = network({ files: {}, silent: true });
  phone.fetch(TFTP_IP, CNF, 1024);
  s.run({ untilUs: 120_000_000 });
  assert.equal(phone.x.tftp_status(), TftpStatus.Timeout);
  assert.equal(phone.eventCount(Ev.TftpTimeout), 1);
  assert.ok(server.stats.received >= 1);
});

test('the firmware resolves option 66 with the simulated DNS servers: answer, NXDOMAIN, SERVFAIL then the next', () => {
  {
    const { s, phone } = network({}, 250, [{ records: { 'tftp.voice.example': '192.0.2.10' } }]);
    phone.resolve('tftp.voice.example', [DNS_IP]);
    s.run({ untilUs: 30_000_000 });
    assert.equal(phone.x.dns_status(), DnsStatus.Done);
    assert.equal(phone.x.dns_address() >>> 0, TFTP_IP);
    phone.resolve('nothere.voice.example', [DNS_IP]);
    s.run({ untilUs: s.now + 30_000_000 });
    assert.equal(phone.x.dns_status(), DnsStatus.NotFound);
  }
  {
    const { s, phone, dnsServers } = network({}, 250, [
      { rcode: DnsRcode.SERVFAIL }, { records: { 'tftp.voice.example': '192.0.2.10' }, cnames: { 'tftp2.voice.example': 'tftp.voice.example' } },
    ]);
    phone.resolve('tftp2.voice.example', [DNS_IP, DNS2_IP]);
    s.run({ untilUs: 30_000_000 });
    assert.equal(phone.x.dns_status(), DnsStatus.Done);
    assert.equal(phone.x.dns_address() >>> 0, TFTP_IP);
    assert.equal(dnsServers[0].stats.forced, 1);
    assert.equal(dnsServers[1].stats.answers, 1);
    // Answered within the first second: the SERVFAIL moved on to the next server at once.
    assert.equal(phone.events.at(-1)!.code, Ev.DnsAnswer);
    assert.ok(phone.events.at(-1)!.tMs < 1000);
  }
  {
    const { s, phone } = network({}, 250, [{ silent: true }]);
    phone.resolve('tftp.voice.example', [DNS_IP]);
    s.run({ untilUs: 60_000_000 });
    assert.equal(phone.x.dns_status(), DnsStatus.Timeout);
    assert.equal(phone.eventCount(Ev.DnsQuery), 3);
  }
});
