import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import type { Nic, Side } from '../host/sim/wire.js';

class Recorder implements Nic {
  readonly got: Array<{ tUs: number; frame: Uint8Array }> = [];
  constructor(private readonly s: Scheduler) {}
  receive(frame: Uint8Array): void {
    this.got.push({ tUs: this.s.now, frame });
  }
}

function frame(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  f.fill(tag);
  return f;
}

function setup(latencyUs: number, bitsPerSecond: number): { s: Scheduler; w: Wire; a: Recorder; b: Recorder } {
  const s = new Scheduler();
  const w = new Wire(s, { latencyUs, bitsPerSecond });
  const a = new Recorder(s);
  const b = new Recorder(s);
  w.attach(0, a);
  w.attach(1, b);
  return { s, w, a, b };
}

test('arrival = serialisation (len*8/bps, at least 60 bytes) + propagation', () => {
  const { s, w, b } = setup(50, 1_000_000); // 1 Mb/s: one byte takes 8 µs
  w.send(0, frame(100, 1));
  s.run({});
  assert.deepEqual(b.got.map((g) => g.tUs), [100 * 8 + 50]);
  s.runUntil(10_000);
  w.send(0, frame(20, 2)); // a runt on the wire still occupies 60 bytes of time
  s.run({});
  assert.equal(b.got[1].tUs, 10_000 + 60 * 8 + 50);
  assert.equal(new Wire(s, { bitsPerSecond: 100_000_000 }).serialisationUs(60), 5, '4.8 µs rounds up');
});

test('frames queue FIFO behind each other per direction; directions are independent', () => {
  const { s, w, a, b } = setup(10, 1_000_000);
  w.send(0, frame(60, 1));
  w.send(0, frame(120, 2));
  w.send(0, frame(60, 3));
  w.send(1, frame(60, 9));
  s.run({});
  assert.deepEqual(b.got.map((g) => [g.frame[0], g.tUs]), [[1, 490], [2, 1450], [3, 1930]]);
  assert.deepEqual(a.got.map((g) => [g.frame[0], g.tUs]), [[9, 490]]);
});

test('the frame is copied on send: the sender may reuse its buffer', () => {
  const { s, w, b } = setup(1, 100_000_000);
  const buf = frame(64, 7);
  w.send(0, buf);
  buf.fill(0);
  s.run({});
  assert.equal(b.got[0].frame.every((x) => x === 7), true);
  assert.notEqual(b.got[0].frame, buf);
});

test('tap sees each delivered frame with arrival time and direction; counters add up', () => {
  const { s, w } = setup(3, 8_000_000); // one byte per µs
  const seen: Array<[number, number, Side]> = [];
  w.tap = (tUs, f, from) => seen.push([tUs, f.length, from]);
  w.send(0, frame(64, 1));
  w.send(1, frame(100, 2));
  w.send(1, frame(70, 3));
  s.run({});
  assert.deepEqual(seen, [[67, 64, 0], [103, 100, 1], [173, 70, 1]]);
  assert.deepEqual(w.stats(0), { frames: 1, bytes: 64, dropped: 0 });
  assert.deepEqual(w.stats(1), { frames: 2, bytes: 170, dropped: 0 });
});

test('runts, oversize frames and sends to an empty side are dropped and counted', () => {
  const s = new Scheduler();
  const w = new Wire(s);
  const r = new Recorder(s);
  w.attach(1, r);
  w.send(0, frame(13, 1));
  w.send(0, frame(1519, 1));
  w.send(1, frame(60, 1)); // nobody on side 0
  s.run({});
  assert.equal(r.got.length, 0);
  assert.equal(w.stats(0).dropped, 2);
  assert.equal(w.stats(1).dropped, 1);
});

test('bad configuration and double attach fail loudly', () => {
  const s = new Scheduler();
  assert.throws(() => new Wire(s, { latencyUs: -1 }), /latencyUs/);
  assert.throws(() => new Wire(s, { bitsPerSecond: 0 }), /bitsPerSecond/);
  const w = new Wire(s);
  w.attach(0, new Recorder(s));
  assert.throws(() => w.attach(0, new Recorder(s)), /already/);
  assert.throws(() => w.send(2 as Side, frame(60, 0)), /side/);
});
