// host/links/realtime.ts: one Node timer under the clock's timers; they
// run in time order, a cancelled one never runs, a wake-up that moves
// later does not re-arm, and an earlier one does.
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import assert from "node:assert/strict";
import { RealTimeClock } from "../host/links/realtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("timers run in time order; a cancelled one does not run", async () => {
  const clock = new RealTimeClock();
  const ran: string[] = [];
  const t0 = clock.now;
  clock.at(t0 + 30_000, () => ran.push("c"));
  clock.at(t0 + 10_000, () => ran.push("a"));
  const b = clock.at(t0 + 20_000, () => ran.push("b"));
  clock.cancel(b);
  clock.at(t0 + 20_000, () => ran.push("b2"));
  await sleep(80);
  assert.deepEqual(ran, ["a", "b2", "c"]);
});

test("a wake-up moved later many times runs once, at the last time, not before", async () => {
  const clock = new RealTimeClock();
  let timer = clock.at(clock.now + 5_000, () => assert.fail("cancelled"));
  let ranAt = -1;
  let target = 0;
  for (let i = 0; i < 1000; i++) {
    clock.cancel(timer);
    target = clock.now + 20_000 + i;
    timer = clock.at(target, () => (ranAt = clock.now));
  }
  await sleep(60);
  assert.ok(ranAt >= target - 1000, `ran at ${ranAt} µs, due ${target} µs`); // Node's timers round to whole ms
});

test("an earlier wake-up than the one armed comes first", async () => {
  const clock = new RealTimeClock();
  const ran: string[] = [];
  clock.at(clock.now + 40_000, () => ran.push("late"));
  clock.at(clock.now + 5_000, () => ran.push("early"));
  await sleep(20);
  assert.deepEqual(ran, ["early"]);
  await sleep(50);
  assert.deepEqual(ran, ["early", "late"]);
});

test("a timer set from a timer at the same instant runs at the next firing, not in a loop", async () => {
  const clock = new RealTimeClock();
  let runs = 0;
  const again = (): void => {
    runs++;
    if (runs < 3) clock.at(clock.now, again);
  };
  clock.at(clock.now, again);
  assert.equal(runs, 0);
  await sleep(30);
  assert.equal(runs, 3);
});

test("a cancel that leaves nothing pending lets the process exit at once (the Node timer is unreffed, not kept waiting)", () => {
  const url = new URL("../host/links/realtime.js", import.meta.url).href;
  const script = `import { RealTimeClock } from ${JSON.stringify(url)};
const clock = new RealTimeClock();
let t = clock.at(clock.now + 20_000_000, () => console.log("ran"));
clock.cancel(t);
t = clock.at(clock.now + 30_000_000, () => console.log("ran"));
clock.cancel(t);`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 15_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.ok(performance.now() - t0 < 10_000, "exited long before the cancelled 20 s and 30 s wake-ups");
});
