import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Random } from '../host/sim/random.js';

test('events run in time order and the clock reads each event time', () => {
  const s = new Scheduler();
  const seen: Array<[string, number]> = [];
  s.at(30, () => seen.push(['c', s.now]));
  s.at(10, () => seen.push(['a', s.now]));
  s.after(20, () => seen.push(['b', s.now]));
  const r = s.run({});
  assert.deepEqual(seen, [['a', 10], ['b', 20], ['c', 30]]);
  assert.deepEqual(r, { events: 3, stoppedBy: 'idle' });
});

test('ties run in insertion order, including events scheduled while running', () => {
  const s = new Scheduler();
  const order: number[] = [];
  for (let i = 0; i < 5; i++) s.at(100, () => order.push(i));
  s.at(100, () => s.after(0, () => order.push(99)));
  s.at(100, () => order.push(5));
  s.run({});
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 99]);
});

test('cancel removes a timer; cancelling twice or after it ran is harmless', () => {
  const s = new Scheduler();
  const ran: string[] = [];
  const a = s.at(5, () => ran.push('a'));
  const b = s.at(6, () => ran.push('b'));
  s.cancel(a);
  s.cancel(a);
  assert.equal(a.cancelled, true);
  assert.equal(s.pending, 1);
  s.run({});
  s.cancel(b);
  assert.deepEqual(ran, ['b']);
  assert.equal(s.pending, 0);
});

test('runUntil stops before later events and advances the clock to the limit', () => {
  const s = new Scheduler();
  const ran: number[] = [];
  s.at(1_000, () => ran.push(1));
  s.at(2_000, () => ran.push(2));
  s.at(2_001, () => ran.push(3));
  const r = s.runUntil(2_000);
  assert.deepEqual(ran, [1, 2]);
  assert.equal(r.stoppedBy, 'time');
  assert.equal(s.now, 2_000);
  assert.equal(s.nextEventUs(), 2_001);
  s.runUntil(5_000);
  assert.equal(s.now, 5_000);
  assert.deepEqual(ran, [1, 2, 3]);
});

test('a predicate stops the run right after the event that satisfied it', () => {
  const s = new Scheduler();
  let n = 0;
  for (let t = 1; t <= 10; t++) s.at(t * 10, () => n++);
  const r = s.run({ untilUs: 1_000, until: () => n === 4 });
  assert.deepEqual(r, { events: 4, stoppedBy: 'predicate' });
  assert.equal(s.now, 40);
});

test('maxEvents bounds a run that would never end', () => {
  const s = new Scheduler();
  const tick = (): void => { s.after(0, tick); };
  s.at(0, tick);
  const r = s.run({ maxEvents: 1000 });
  assert.deepEqual(r, { events: 1000, stoppedBy: 'maxEvents' });
  assert.equal(s.now, 0);
});

test('bad times are rejected with a clear error', () => {
  const s = new Scheduler();
  s.runUntil(100);
  assert.throws(() => s.at(99, () => {}), /in the past/);
  assert.throws(() => s.after(-1, () => {}), /non-negative integer/);
  assert.throws(() => s.after(1.5, () => {}), /non-negative integer/);
  assert.throws(() => s.run({ maxEvents: -1 }), /maxEvents/);
});

test('heap order holds over many random events with lazy cancellation', () => {
  const s = new Scheduler();
  const rng = new Random(42);
  const fired: Array<[number, number]> = [];
  const expected: Array<[number, number]> = [];
  for (let i = 0; i < 20_000; i++) {
    const t = rng.int(5_000);
    const timer = s.at(t, () => fired.push([t, i]));
    if (rng.chance(0.3)) s.cancel(timer);
    else expected.push([t, i]);
  }
  expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.equal(s.pending, expected.length);
  s.run({});
  assert.deepEqual(fired, expected);
});

test('the same seed gives the same run', () => {
  const trace = (seed: number): number[] => {
    const s = new Scheduler();
    const rng = new Random(seed);
    const out: number[] = [];
    const hop = (depth: number): void => {
      out.push(s.now);
      if (depth < 200) s.after(rng.int(1_000), () => hop(depth + 1));
    };
    s.at(0, () => hop(0));
    s.run({});
    return out;
  };
  assert.deepEqual(trace(7), trace(7));
  assert.notDeepEqual(trace(7), trace(8));
});

test('Random: values in range, int bounded, seeds reproducible', () => {
  const a = new Random(1);
  const b = new Random(1);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60_000; i++) {
    const x = a.next();
    assert.ok(x >= 0 && x < 1);
    assert.equal(b.next(), x);
    counts[a.int(6)]++;
    b.int(6);
  }
  for (const c of counts) assert.ok(c > 9_000 && c < 11_000, `int(6) skewed: ${counts.join(',')}`);
  assert.notEqual(new Random(2).nextU32(), new Random(1).nextU32());
  assert.throws(() => a.int(0), /int/);
  assert.throws(() => new Random(0.5), /seed/);
});
