// The simulated TFTP server: option negotiation, windows, retransmission,
// TIDs, rollover, shared bandwidth, real files, and its throughput on a
// 100 Mbit/s, 1 ms round-trip switched link with a receiver that follows the
// firmware's ACK policy (assembly/client/tftp.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import type { Nic, WirePort } from '../host/sim/wire.js';
import { EthernetSwitch } from '../host/sim/switch.js';
import { TftpServer } from '../host/sim/tftp-server.js';
import { TFTP_PORT, TftpError, TftpOp, decodeTftp, encodeAck, encodeError, encodeRrq } from '../host/wire/tftp.js';
import type { TftpServerConfig, TftpServerEvent } from '../host/sim/tftp-server.js';
import type { TftpPacket } from '../host/wire/tftp.js';
import { ARP_REQUEST, decodeArp, encodeArp } from '../host/wire/arp.js';
import { ETHERTYPE_ARP, decodeEthernet, encodeEthernet } from '../host/wire/ethernet.js';
import { buildUdpFrame, parseUdpFrame } from '../host/wire/udp.js';
import { parseIp, parseMac } from '../host/wire/address.js';

const SERVER_MAC = '02:00:5e:00:02:0a';
const SERVER_IP = parseIp('192.0.2.10');
const CLIENT_MAC = parseMac('00:1b:54:c2:a7:10');
const CLIENT_IP = parseIp('192.0.2.50');
const STRANGER_IP = parseIp('192.0.2.99');
const CPORT = 50000;

/** Deterministic file contents: byte i = (7 i + 3) & 0xff. */
function file(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

interface Rx { tUs: number; srcPort: number; dstPort: number; srcIp: number; p: TftpPacket }

/** A hand-driven client: sends what the test says, records what comes back. */
class Client implements Nic {
  readonly got: Rx[] = [];
  port!: WirePort;
  constructor(private readonly s: Scheduler, readonly mac: Uint8Array = CLIENT_MAC) {}
  receive(frame: Uint8Array): void {
    const f = parseUdpFrame(frame);
    if (f === null) return;
    assert.equal(f.ip.checksumOk, true);
    assert.equal(f.udp.checksumOk, true);
    const p = decodeTftp(f.udp.payload);
    assert.ok(p !== null, 'server sent a malformed TFTP packet');
    this.got.push({ tUs: this.s.now, srcPort: f.udp.srcPort, dstPort: f.udp.dstPort, srcIp: f.ip.src, p });
  }
  send(payload: Uint8Array, dstPort: number, srcPort = CPORT, srcIp = CLIENT_IP): void {
    this.port.send(buildUdpFrame({
      srcMac: this.mac, dstMac: parseMac(SERVER_MAC), srcIp, dstIp: SERVER_IP, srcPort, dstPort, payload,
    }));
  }
  /** Records again what arrives (after a Receiver took the client over). */
  record(): void {
    this.receive = Client.prototype.receive.bind(this);
  }
  take(): Rx[] {
    return this.got.splice(0);
  }
}

function rig(config: Partial<TftpServerConfig> = {}, latencyUs = 100) {
  const s = new Scheduler();
  const wire = new Wire(s, { latencyUs });
  const server = new TftpServer(s, {
    mac: SERVER_MAC, ip: SERVER_IP, files: { 'SEP001B54C2A710.cnf.xml': file(3000), 'big.bin': file(100_000) }, ...config,
  });
  const events: TftpServerEvent[] = [];
  server.onEvent = (e) => events.push(e);
  const client = new Client(s);
  client.port = wire.attach(0, client);
  server.plug(wire, 1);
  return { s, server, client, events };
}

const OPTS: Array<[string, number]> = [['blksize', 1428], ['tsize', 0], ['timeout', 1], ['windowsize', 256]];

test('answers ARP for its address', () => {
  const { s, client, server } = rig();
  const frames: Uint8Array[] = [];
  client.receive = (f) => frames.push(f);
  client.port.send(encodeEthernet({
    dst: parseMac('ff:ff:ff:ff:ff:ff'), src: CLIENT_MAC, etherType: ETHERTYPE_ARP,
    payload: encodeArp({ op: ARP_REQUEST, senderMac: CLIENT_MAC, senderIp: CLIENT_IP, targetMac: new Uint8Array(6), targetIp: SERVER_IP }),
  }, true));
  s.run({});
  assert.equal(frames.length, 1);
  assert.equal(decodeArp(decodeEthernet(frames[0])!.payload)!.senderIp, SERVER_IP);
  assert.equal(server.stats.arpReplies, 1);
});

test('negotiates blksize, tsize, timeout and windowsize in an OACK from a new port; leaves out unknown options', () => {
  const { s, client, server, events } = rig({ maxWindowsize: 64 });
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', [['BLKSIZE', 9000], ['tsize', 0], ['timeout', 2], ['windowsize', 256], ['multicast', '']]), TFTP_PORT);
  s.run({ untilUs: 10_000 });
  const [r] = client.take();
  assert.notEqual(r.srcPort, TFTP_PORT);
  assert.equal(r.dstPort, CPORT);
  assert.deepEqual(r.p, { op: TftpOp.OACK, options: [['BLKSIZE', '1468'], ['tsize', '3000'], ['timeout', '2'], ['windowsize', '64']] });
  assert.equal(server.stats.oacks, 1);
  assert.deepEqual(events.map((e) => e.type), ['request', 'oack']);
  assert.equal(server.active, 1);
});

test('sends a window of blocks after ACK 0, the next window after the ACK of its last block, and ends on the last ACK', () => {
  const { s, client, server, events } = rig();
  client.send(encodeRrq('big.bin', [['blksize', 1000], ['windowsize', 8]]), TFTP_PORT);
  s.run({ untilUs: 10_000 });
  const tid = client.take()[0].srcPort;
  client.send(encodeAck(0), tid);
  s.run({ untilUs: 20_000 });
  let got = client.take();
  assert.deepEqual(got.map((r) => (r.p as { block: number }).block), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(got.every((r) => r.srcPort === tid && r.p.op === TftpOp.DATA));
  const received: Uint8Array[] = got.map((r) => (r.p as { data: Uint8Array }).data);
  for (let b = 8; b < 101; b += 8) {
    client.send(encodeAck(b), tid);
    s.run({ untilUs: s.now + 10_000 });
    got = client.take();
    received.push(...got.map((r) => (r.p as { data: Uint8Array }).data));
  }
  // 100 000 bytes in 1000-byte blocks: 100 full blocks and an empty 101st.
  assert.equal(received.length, 101);
  assert.equal(received[100].length, 0);
  assert.deepEqual(Buffer.concat(received), Buffer.from(file(100_000)));
  assert.equal(server.active, 1);
  client.send(encodeAck(101), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.equal(server.active, 0);
  assert.equal(server.stats.completed, 1);
  assert.equal(server.stats.retransmitted, 0);
  assert.equal(events.at(-1)!.type, 'done');
  assert.equal(events.at(-1)!.bytes, 100_000);
});

test('without options, or when told to ignore them: DATA 1 of 512 bytes at once, lockstep', () => {
  for (const [options, asked] of [['rfc2347', []], ['ignore', OPTS]] as const) {
    const { s, client, server } = rig({ options });
    client.send(encodeRrq('SEP001B54C2A710.cnf.xml', [...asked]), TFTP_PORT);
    s.run({ untilUs: 10_000 });
    const [r] = client.take();
    assert.equal(r.p.op, TftpOp.DATA);
    assert.equal((r.p as { block: number }).block, 1);
    assert.equal((r.p as { data: Uint8Array }).data.length, 512);
    assert.equal(server.stats.oacks, 0);
  }
});

test('told to refuse options: ERROR 8, as tftp-hpa answers options it rejects', () => {
  const { s, client } = rig({ options: 'refuse' });
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', OPTS), TFTP_PORT);
  s.run({});
  const [r] = client.take();
  assert.deepEqual(r.p, { op: TftpOp.ERROR, code: TftpError.OPTIONS, message: 'Unsupported option(s) requested' });
});

test('a missing file is ERROR 1 from a new port; a WRQ ERROR 2; an unknown mode ERROR 4', () => {
  const { s, client, server, events } = rig();
  client.send(encodeRrq('missing.cnf.xml', OPTS), TFTP_PORT);
  client.send(Uint8Array.from([0, 2, ...Buffer.from('x\0octet\0')]), TFTP_PORT, CPORT + 1);
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', [], 'mail'), TFTP_PORT, CPORT + 2);
  s.run({});
  const got = client.take();
  assert.deepEqual(got.map((r) => (r.p as { code: number }).code), [TftpError.NOT_FOUND, TftpError.ACCESS, TftpError.ILLEGAL]);
  assert.ok(got.every((r) => r.srcPort !== TFTP_PORT && r.p.op === TftpOp.ERROR));
  assert.equal(server.stats.notFound, 1);
  assert.equal(server.active, 0);
  assert.ok(events.some((e) => e.type === 'not-found' && e.file === 'missing.cnf.xml'));
});

test('a packet from another port or host gets ERROR 5; the transfer goes on', () => {
  const { s, client, server } = rig();
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', [['blksize', 1428]]), TFTP_PORT);
  s.run({ untilUs: 10_000 });
  const tid = client.take()[0].srcPort;
  client.send(encodeAck(0), tid, CPORT + 7);
  client.send(encodeAck(0), tid, CPORT, STRANGER_IP);
  s.run({ untilUs: 20_000 });
  const got = client.take();
  assert.deepEqual(got.map((r) => [r.p.op, (r.p as { code: number }).code, r.dstPort]), [
    [TftpOp.ERROR, TftpError.UNKNOWN_TID, CPORT + 7], [TftpOp.ERROR, TftpError.UNKNOWN_TID, CPORT],
  ]);
  assert.equal(server.stats.unknownTid, 2);
  client.send(encodeAck(0), tid);
  s.run({ untilUs: 30_000 });
  assert.equal((client.take()[0].p as { block: number }).block, 1);
});

test('retransmits the OACK, then the window from the last ACK, on timeout; gives up after maxRetries', () => {
  const { s, client, server, events } = rig({ maxRetries: 3 });
  client.send(encodeRrq('big.bin', [['blksize', 1000], ['timeout', 2], ['windowsize', 4]]), TFTP_PORT);
  s.run({ untilUs: 2_100_000 });
  const oacks = client.take();
  assert.equal(oacks.length, 2); // the OACK and, 2 s later (timeout 2), again
  assert.ok(oacks[1].tUs - oacks[0].tUs >= 2_000_000);
  const tid = oacks[0].srcPort;
  client.send(encodeAck(0), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.deepEqual(client.take().map((r) => (r.p as { block: number }).block), [1, 2, 3, 4]);
  // Blocks 3 and 4 were lost: after its timeout the client ACKs 2; the server starts again at 3.
  client.send(encodeAck(2), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.deepEqual(client.take().map((r) => (r.p as { block: number }).block), [3, 4, 5, 6]);
  // Silence: the window 3..6 again every 2 s, then nothing.
  s.run({ untilUs: s.now + 20_000_000 });
  const again = client.take();
  assert.equal(again.length, 3 * 4);
  assert.equal(server.stats.timeouts, 1);
  assert.equal(server.active, 0);
  assert.equal(events.at(-1)!.type, 'timeout');
  assert.equal(events.at(-1)!.bytes, 2000);
  assert.equal(server.stats.retransmitted, 2 + 12);
});

test('old and repeated ACKs are ignored: no Sorcerer\'s Apprentice', () => {
  const { s, client, server } = rig();
  client.send(encodeRrq('big.bin', []), TFTP_PORT);
  s.run({ untilUs: 10_000 });
  const tid = client.take()[0].srcPort;
  client.send(encodeAck(1), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.equal((client.take()[0].p as { block: number }).block, 2);
  // A delayed duplicate of ACK 1, an ACK of a block not sent yet, and garbage: no DATA.
  client.send(encodeAck(1), tid);
  client.send(encodeAck(1), tid);
  client.send(encodeAck(9), tid);
  client.send(Uint8Array.from([0, 4]), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.deepEqual(client.take(), []);
  assert.equal(server.stats.staleAcks, 3);
  client.send(encodeAck(2), tid);
  s.run({ untilUs: s.now + 10_000 });
  assert.equal((client.take()[0].p as { block: number }).block, 3);
});

test('an ERROR from the client ends the transfer', () => {
  const { s, client, server, events } = rig();
  client.send(encodeRrq('big.bin', OPTS), TFTP_PORT);
  s.run({ untilUs: 10_000 });
  const tid = client.take()[0].srcPort;
  client.send(encodeError(TftpError.DISK_FULL, 'Disk full or allocation exceeded'), tid);
  s.run({ untilUs: s.now + 10_000_000 });
  assert.deepEqual(client.take(), []);
  assert.equal(server.active, 0);
  assert.equal(server.stats.aborted, 1);
  assert.equal(events.at(-1)!.detail, 'ERROR 3 Disk full or allocation exceeded');
});

test('block numbers roll over after 65535 to 0, or to 1 when so configured', () => {
  for (const rollover of [0, 1] as const) {
    const size = 65_540 * 8;
    const { s, client, server } = rig({ rollover, files: { f: file(size) } });
    const rx = new Receiver(s, client, { name: 'f', blksize: 8, windowsize: 256, rollover });
    rx.start();
    s.run({});
    assert.equal(rx.done, true, `rollover ${rollover}`);
    assert.deepEqual(Buffer.from(rx.data()), Buffer.from(file(size)));
    assert.equal(rx.blocksSeen[65535], 65535);
    assert.equal(rx.blocksSeen[65536], rollover);
    assert.equal(server.stats.completed, 1);
  }
});

test('transfers share the configured bandwidth', () => {
  const timeFor = (n: number): number[] => {
    const s = new Scheduler();
    const server = new TftpServer(s, { mac: SERVER_MAC, ip: SERVER_IP, files: { f: file(500_000) }, bytesPerSecond: 1_000_000 });
    const sw = new EthernetSwitch(s, n + 1);
    const w = new Wire(s, { latencyUs: 100 });
    server.plug(w, 0);
    sw.connect(n, w, 1);
    const rxs: Receiver[] = [];
    for (let i = 0; i < n; i++) {
      const cw = new Wire(s, { latencyUs: 100 });
      const c = new Client(s, Uint8Array.from([0x00, 0x1b, 0x54, 0xc2, 0xa7, 0x10 + i]));
      c.port = cw.attach(0, c);
      sw.connect(i, cw, 1);
      const rx = new Receiver(s, c, { name: 'f', blksize: 1428, windowsize: 16, srcIp: CLIENT_IP + i, srcPort: CPORT + i });
      rxs.push(rx);
      rx.start();
    }
    s.run({});
    assert.ok(rxs.every((r) => r.done));
    return rxs.map((r) => r.doneUs / 1e6);
  };
  const [alone] = timeFor(1);
  const both = timeFor(2);
  // 500 000 file bytes are about 516 000 bytes of frames: half a second alone, a second for two.
  assert.ok(alone > 0.5 && alone < 0.56, `alone ${alone}`);
  for (const t of both) assert.ok(t > 1.0 && t < 1.1, `shared ${t}`);
});

test('serves a directory of real files, and nothing outside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tftp-root-'));
  try {
    writeFileSync(join(dir, 'XMLDefault.cnf.xml'), '<Default/>');
    writeFileSync(join(tmpdir(), 'tftp-outside.txt'), 'secret');
    const { s, client } = rig({ root: dir, files: {} });
    const rx = new Receiver(s, client, { name: '/XMLDefault.cnf.xml', blksize: 1428, windowsize: 4 });
    rx.start();
    s.run({});
    assert.equal(Buffer.from(rx.data()).toString(), '<Default/>');
    client.record();
    for (const [i, name] of ['../tftp-outside.txt', 'a/../../tftp-outside.txt', 'nothere'].entries()) {
      client.send(encodeRrq(name), TFTP_PORT, CPORT + 10 + i);
    }
    s.run({});
    assert.deepEqual(client.take().map((r) => (r.p as { code: number }).code), [TftpError.ACCESS, TftpError.ACCESS, TftpError.NOT_FOUND]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'tftp-outside.txt'), { force: true });
  }
});

// ---------------------------------------------------------------- throughput

/**
 * A receiver with the firmware's policy (assembly/client/tftp.ts): ACK 0 after
 * the OACK, ACK at the end of each window and on the last block, nothing for
 * duplicates. No timers: the runs here lose nothing.
 */
class Receiver {
  done = false;
  doneUs = 0;
  startUs = 0;
  readonly blocksSeen: number[] = [0];
  private readonly chunks: Uint8Array[] = [];
  private tid = 0;
  private blksize = 512;
  private window = 1;
  private expected = 1;
  private lastAck = 0;
  private readonly srcIp: number;
  private readonly srcPort: number;

  constructor(private readonly s: Scheduler, private readonly c: Client,
    private readonly o: { name: string; blksize: number; windowsize: number; srcIp?: number; srcPort?: number; rollover?: 0 | 1 }) {
    this.srcIp = o.srcIp ?? CLIENT_IP;
    this.srcPort = o.srcPort ?? CPORT;
    c.receive = (frame) => this.onFrame(frame);
  }

  start(): void {
    this.startUs = this.s.now;
    const opts: Array<[string, number]> = this.o.windowsize > 1 || this.o.blksize !== 512
      ? [['blksize', this.o.blksize], ['tsize', 0], ['timeout', 1], ['windowsize', this.o.windowsize]] : [];
    this.c.send(encodeRrq(this.o.name, opts), TFTP_PORT, this.srcPort, this.srcIp);
  }

  data(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  private onFrame(frame: Uint8Array): void {
    const f = parseUdpFrame(frame);
    if (f === null || f.udp.dstPort !== this.srcPort || f.ip.dst !== this.srcIp) return;
    const p = decodeTftp(f.udp.payload);
    if (p === null) return;
    if (p.op === TftpOp.OACK && this.tid === 0) {
      this.tid = f.udp.srcPort;
      for (const [k, v] of p.options) {
        if (k === 'blksize') this.blksize = Number(v);
        if (k === 'windowsize') this.window = Number(v);
      }
      this.ack(0);
      return;
    }
    if (p.op !== TftpOp.DATA) return;
    if (this.tid === 0) this.tid = f.udp.srcPort;
    if (p.block !== this.wire(this.expected)) return;
    this.blocksSeen.push(p.block);
    this.chunks.push(p.data.slice());
    const n = this.expected++;
    if (p.data.length < this.blksize) {
      this.ack(n);
      this.done = true;
      this.doneUs = this.s.now;
    } else if (n - this.lastAck >= this.window) {
      this.ack(n);
    }
  }

  private wire(n: number): number {
    return this.o.rollover === 1 && n > 0 ? ((n - 1) % 65535) + 1 : n & 0xffff;
  }

  private ack(n: number): void {
    this.lastAck = n;
    this.c.send(encodeAck(this.wire(n)), this.tid, this.srcPort, this.srcIp);
  }
}

/** An 8 MiB transfer across a switch, 250 µs each way on each of two 100 Mbit/s wires: a 1 ms round trip. */
function throughput(blksize: number, windowsize: number): number {
  const s = new Scheduler();
  const size = 8 * 1024 * 1024;
  const server = new TftpServer(s, { mac: SERVER_MAC, ip: SERVER_IP, files: { 'image.bin': file(size) } });
  const sw = new EthernetSwitch(s, 2);
  const cw = new Wire(s, { latencyUs: 250 });
  const sww = new Wire(s, { latencyUs: 250 });
  const client = new Client(s);
  client.port = cw.attach(0, client);
  sw.connect(0, cw, 1);
  server.plug(sww, 0);
  sw.connect(1, sww, 1);
  const rx = new Receiver(s, client, { name: 'image.bin', blksize, windowsize });
  rx.start();
  s.run({});
  assert.equal(rx.done, true);
  assert.equal(rx.data().length, size);
  return (size * 8) / ((rx.doneUs - rx.startUs) / 1e6) / 100e6;
}

test('8 MiB at 100 Mbit/s and 1 ms round trip: windowsize 256 with 1428-byte blocks reaches 90 % of the link', () => {
  const windowed = throughput(1428, 256);
  const lockstep = throughput(512, 1);
  console.log(`# TFTP 8 MiB, 100 Mbit/s, 1 ms RTT: windowsize 256 blksize 1428 ${(windowed * 100).toFixed(1)} % of the link; lockstep blksize 512 ${(lockstep * 100).toFixed(1)} %`);
  assert.ok(windowed >= 0.9, `windowed ${windowed}`);
  assert.ok(windowed < 1428 / 1474);
  assert.ok(lockstep < 0.05, `lockstep ${lockstep}`);
});

test("Cisco TFTP's serving limit: a few at a time, the rest queued in order, busy (ERROR 0) past the maximum serving count, repeats dropped", () => {
  const { s, client, server, events } = rig({ serving: { connections: 2, maxServingCount: 3 } });
  // Four phones (client ports) ask at once, no options: DATA 1 comes at once to those served.
  for (let i = 0; i < 4; i++) client.send(encodeRrq('SEP001B54C2A710.cnf.xml', []), TFTP_PORT, CPORT + i);
  s.run({ untilUs: 10_000 });
  const first = client.take();
  const data = first.filter((r) => r.p.op === TftpOp.DATA);
  assert.deepEqual(data.map((r) => r.dstPort), [CPORT, CPORT + 1], 'two served: the connections');
  const busy = first.filter((r) => r.p.op === TftpOp.ERROR);
  assert.deepEqual(busy.map((r) => [r.dstPort, r.p]), [[CPORT + 3, { op: TftpOp.ERROR, code: 0, message: 'Server busy (503)' }]], 'the fourth is past the maximum serving count');
  assert.equal(server.queueLength, 1);
  assert.deepEqual(events.map((e) => e.type), ['request', 'request', 'queued', 'busy']);
  // The third phone retransmits its RRQ while queued: the copy is dropped, not queued again.
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', []), TFTP_PORT, CPORT + 2);
  s.run({ untilUs: 20_000 });
  assert.equal(client.take().length, 0);
  assert.equal(server.stats.duplicates, 1);
  // The first transfer ends (3000 bytes: blocks 1-6 of 512): its connection goes to the queued request.
  const tid = data[0].srcPort;
  for (let b = 1; b <= 6; b++) {
    client.send(encodeAck(b), tid, CPORT);
    s.run({ untilUs: s.now + 10_000 });
  }
  const after = client.take();
  assert.equal(server.stats.completed, 1);
  assert.deepEqual(after.filter((r) => r.dstPort === CPORT + 2).map((r) => r.p.op), [TftpOp.DATA], 'the queued request is served when a connection frees');
  assert.equal(server.queueLength, 0);
  assert.deepEqual([server.stats.queued, server.stats.peakQueue, server.stats.busy], [1, 1, 1]);
  // Room again: a new request is taken (queued behind the two transfers under way), not answered busy.
  client.send(encodeRrq('SEP001B54C2A710.cnf.xml', []), TFTP_PORT, CPORT + 9);
  s.run({ untilUs: s.now + 10_000 });
  assert.equal(server.stats.busy, 1);
  assert.equal(server.queueLength, 1);
});

test('without a serving limit every request is served at once', () => {
  const { s, client, server } = rig();
  for (let i = 0; i < 8; i++) client.send(encodeRrq('SEP001B54C2A710.cnf.xml', []), TFTP_PORT, CPORT + i);
  s.run({ untilUs: 10_000 });
  assert.equal(client.take().filter((r) => r.p.op === TftpOp.DATA).length, 8);
  assert.equal(server.active, 8);
  assert.deepEqual([server.stats.queued, server.stats.busy], [0, 0]);
});
