// `ipphone boot --link vxlan`'s spans without a real network: --timeout
// bounds the wait for --until, --stay is its own span after it (a timeout
// no longer cuts it short), and a link that carries nothing times out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootVxlan, GoalWait, type RealLink } from "../host/commands/boot.js";
import type { Nic } from "../host/sim/wire.js";

test("--stay runs its whole span after the goal, even past --timeout", async () => {
  const t0 = performance.now();
  const wait = new GoalWait(100, 300);
  setTimeout(() => wait.reached(), 50);
  assert.equal(await wait.done, "reached");
  const took = performance.now() - t0;
  assert.ok(took >= 340, `ended after ${took.toFixed(0)} ms: the timeout (100 ms) cut the stay (50 + 300 ms) short`);
});

test("--timeout ends a wait whose goal never comes", async () => {
  const t0 = performance.now();
  const wait = new GoalWait(100, 5000);
  assert.equal(await wait.done, "timeout");
  const took = performance.now() - t0;
  assert.ok(took >= 95 && took < 1000, `${took.toFixed(0)} ms`);
  wait.reached(); // too late: no stay begins
  assert.equal(wait.isReached, false);
});

/** A link to nowhere: it takes what the phone sends and brings nothing back. */
class SilentLink implements RealLink {
  framesIn = 0;
  framesOut = 0;
  opened = false;
  closed = false;
  async open(_nic: Nic): Promise<void> { this.opened = true; }
  send(_frame: Uint8Array): void { this.framesOut++; }
  close(): void { this.closed = true; }
}

test("boot over a link that answers nothing: ends at --timeout with the failed stage's exit status", async () => {
  const link = new SilentLink();
  const out: string[] = [];
  const log = console.log;
  console.log = (s: string) => out.push(s);
  const t0 = performance.now();
  let code: number;
  try {
    code = await bootVxlan({
      seed: 1, mac: "00:1b:54:c2:a7:10", json: true, pcap: undefined,
      vxlan: { remote: "192.0.2.1", vni: 42, port: 4789 }, timeoutMs: 1500, stayMs: 60_000, until: "bound", setup: {}, verbose: false,
    }, link);
  } finally {
    console.log = log;
  }
  const took = performance.now() - t0;
  assert.ok(took < 10_000, `${took.toFixed(0)} ms: --stay does not start without the goal`);
  assert.ok(link.opened && link.closed);
  assert.ok(link.framesOut > 0, "the phone sent (CDP, DHCP)");
  const report = JSON.parse(out.join("\n"));
  assert.equal(report.bound, false);
  assert.equal(report.exit_code, code);
  assert.ok(code >= 10 && code <= 15, `exit ${code}`);
});
