// Issue 17: "registered" means the SCCP station set-up completed, on both
// sides. The whole phone (phone.wasm) on the simulated network against
// CallManagers that withhold what follows RegisterAck: the phone is not
// registered anywhere (its report, its cause, the CallManagers' lists), and
// with one good CallManager it registers there, with the codecs and lines the
// set-up carried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone } from "../host/sim/network.js";

const DEVICE = "SEP001B54C2A710";

test("every CallManager withholds the set-up after RegisterAck: not registered, and the cause says why", () => {
  const withhold = { withholdSetup: true };
  const net = buildNetwork({ seed: 1, callManagers: [withhold, withhold, withhold] });
  const r = bootPhone(net, 120_000);
  assert.equal(r.registered, false);
  const report = net.phone.report();
  assert.equal(report.registered, false);
  assert.equal(report.callmanager, null);
  assert.doesNotMatch(report.lcd, /^Registered/);
  const tl = net.phone.timeline;
  assert.ok(tl.some((e) => e.event === "register ack"), "RegisterAck came");
  assert.ok(!tl.some((e) => e.event === "registered"));
  assert.ok(tl.some((e) => e.event === "failed" && e.detail === "CM1: station set-up not answered"), tl.map((e) => `${e.event} ${e.detail}`).join("\n"));
  assert.match(report.causes.register ?? "", /CM1 192\.0\.2\.11:2000 station set-up not answered; CM2 .* station set-up not answered; CM3 .* station set-up not answered/);
  for (const cm of net.callManagers) {
    assert.equal(cm.logic.isRegistered(DEVICE), false);
    assert.equal(cm.logic.stats.registrations, 0);
    assert.ok(cm.logic.stats.acks > 0);
  }
});

test("CM1 withholds the set-up: the phone leaves it after 10 s and registers with CM2, which has its codecs and line", () => {
  const net = buildNetwork({ seed: 1, callManagers: [{ withholdSetup: true }, { lines: () => [{ dirNumber: "2001", displayName: "Front desk" }] }] });
  const r = bootPhone(net, 120_000);
  assert.equal(r.registered, true);
  const report = net.phone.report();
  assert.equal(report.callmanager, "CM2");
  assert.equal(report.lcd, "Registered | 2001 Front desk | 2026-12-02 09:00");
  const tl = net.phone.timeline;
  const ack = tl.find((e) => e.event === "register ack")!;
  const failed = tl.find((e) => e.event === "failed")!;
  assert.equal(failed.detail, "CM1: station set-up not answered");
  // 10 s on the firmware's ms clock; the timeline's µs stamps put both events within a millisecond of it.
  assert.ok(Math.abs(failed.t_ms - ack.t_ms - 10_000) < 1, `${failed.t_ms - ack.t_ms}`);
  assert.equal(tl.find((e) => e.event === "line")?.detail, "line 1: 2001 Front desk");
  assert.equal(net.callManagers[0].logic.isRegistered(DEVICE), false);
  const reg = net.callManagers[1].logic.registrations();
  assert.equal(reg.length, 1);
  assert.deepEqual(reg[0].codecs, ["G.711 mu-law", "G.711 A-law", "G.729", "G.722"]);
  assert.deepEqual(reg[0].lines, [{ dirNumber: "2001", displayName: "Front desk" }]);
  const done = net.callManagers[1].events.find((e) => e.type === "register");
  assert.match(done?.detail ?? "", /^set-up complete in \d+ ms: 2001; G\.711 mu-law, G\.711 A-law, G\.729, G\.722$/);
});
