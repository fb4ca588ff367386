// The standby connection (issue 17): registered, the phone keeps a TCP
// connection to the next CallManager of its list that carries only
// KeepAlive, at RegisterAck's secondaryKeepAliveInterval; when its
// CallManager fails it registers over that connection at once, then opens
// a standby to the one after. The firmware's registration
// (assembly/testing/register-harness.ts) against simulated CallManagers
// (tests/helpers/register-net.ts). The failover is measured both ways in
// the same run: with the standby connection, and without it (the harness's
// set_standby(0), the cold connect of before).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs, run } from "./helpers/tools.js";
import { RegState } from "./helpers/firmware-enums.js";
import { net, registeredWith, runMs, runUntil, type Net } from "./helpers/register-net.js";
import { Ev } from "../host/events.js";

const DEVICE = "SEP001B54C2A710";
const standbyWith = (n: Net, i: number) => () => n.phone.x.standby_cm() === i;

test("registered with CM1: a standby connection to CM2 that carries only KeepAlive, at the secondary keepalive interval", (t) => {
  const n = net([{ keepAliveS: 10, secondaryKeepAliveS: 20 }, {}, {}]);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000), n.phone.timeline());
  assert.ok(runUntil(n, standbyWith(n, 1), 100), n.phone.timeline());
  const up = n.s.now;
  runMs(n, 65_000);
  assert.equal(n.phone.x.standby_cm(), 1);
  const cm2 = n.cms[1];
  // The first KeepAlive at once, then every 20 s (CM1's RegisterAck): 0, 20, 40, 60 s.
  assert.deepEqual(cm2.events.map((e) => e.type), ["connect", "standby", "keepalive", "keepalive", "keepalive", "keepalive"]);
  const kas = cm2.events.filter((e) => e.type === "keepalive");
  assert.ok(kas[0].tMs - up / 1000 < 2, "the first KeepAlive at once");
  const times = kas.map((e) => (e.tMs - kas[0].tMs) / 1000);
  t.diagnostic(`standby KeepAlives at +${times.map((x) => x.toFixed(3)).join(", +")} s`);
  assert.deepEqual(times.map(Math.round), [0, 20, 40, 60]);
  assert.equal(cm2.logic.isRegistered(DEVICE), false);
  assert.equal(cm2.logic.stats.acks, 0);
  assert.equal(cm2.logic.standbys().length, 1);
  assert.equal(n.cms[2].logic.stats.connections, 0, "no standby to CM3");
  assert.equal(n.cms[0].logic.isRegistered(DEVICE), true);
  const tl = n.phone.timeline();
  assert.match(tl, /register +standby +CM2 198\.51\.100\.11:2000: standby connection \(KeepAlive only\)/);
  assert.match(tl, /register +standby connected +CM2 acknowledged KeepAlive, every 20s/);
  assert.equal(n.phone.counter("tcp_retransmits"), 0);
  if (needs("tshark") !== false) return;
  // The capture: KeepAlive to CM2 and CM2's KeepAliveAck, nothing else in skinny between them.
  const work = mkdtempSync(join(tmpdir(), "standby-pcap-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const file = join(work, "standby.pcap");
  writeFileSync(file, n.pcap.toBuffer());
  const r = run("tshark", ["-r", file, "-d", "tcp.port==2000,skinny", "-Y", "skinny && ip.addr==198.51.100.11", "-T", "fields", "-e", "frame.time_relative", "-e", "ip.src", "-e", "skinny.messageId"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual(rows.map((c) => `${c[1]} ${c[2]}`), [
    "198.51.100.50 0", "198.51.100.11 256", "198.51.100.50 0", "198.51.100.11 256", "198.51.100.50 0", "198.51.100.11 256", "198.51.100.50 0", "198.51.100.11 256",
  ]);
  const sent = rows.filter((c) => c[1] === "198.51.100.50").map((c) => Number(c[0]));
  assert.deepEqual(sent.slice(1).map((x, i) => Math.round(x - sent[i])), [20, 20, 20]);
  const bad = run("tshark", ["-r", file, "-d", "tcp.port==2000,skinny", "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || (tcp.analysis.flags && !tcp.analysis.window_update)"]);
  assert.equal(bad.stdout.trim(), "", bad.stdout);
});

interface Failover {
  /** CM1 silent -> registered with CM2 (ms). */
  totalMs: number;
  /** The phone gave CM1 up (keepalive acks missing) -> registered with CM2 (ms). */
  afterDetectionMs: number;
  /** Connections CM2 accepted after CM1 went silent. */
  newConnections: number;
  n: Net;
}

/** Registered with CM1 (keepalive 30 s) for 65 s, then CM1 goes silent: how long until registered with CM2. */
function failover(standby: boolean, cmLatencyUs: number): Failover {
  const n = net([{ keepAliveS: 30 }, { keepAliveS: 30 }, { keepAliveS: 30 }], { cmLatencyUs });
  n.phone.x.set_standby(standby ? 1 : 0);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 5000), n.phone.timeline());
  runMs(n, 65_000);
  assert.equal(n.phone.x.standby_cm(), standby ? 1 : -1);
  const before = n.cms[1].logic.stats.connections;
  n.cms[0].stop("silent");
  const gone = n.s.now;
  assert.ok(runUntil(n, registeredWith(n, 1), 100_000), n.phone.timeline());
  const failed = n.phone.events.find((e) => e.code === Ev.RegFailed && e.tUs >= gone);
  assert.ok(failed !== undefined && failed.a === 0, n.phone.timeline());
  return { totalMs: (n.s.now - gone) / 1000, afterDetectionMs: (n.s.now - failed.tUs) / 1000, newConnections: n.cms[1].logic.stats.connections - before, n };
}

test("CM1 goes silent: registered with CM2 over the standby connection, without a new connection, faster than a cold connect; then a standby to CM3", (t) => {
  for (const cmLatencyUs of [250, 20_000]) {
    const cold = failover(false, cmLatencyUs);
    const warm = failover(true, cmLatencyUs);
    const where = cmLatencyUs === 250 ? "LAN (0.5 ms one way)" : "WAN (20 ms one way to the CallManagers)";
    t.diagnostic(`${where}: CM1 silent -> registered with CM2: cold connect ${cold.totalMs.toFixed(3)} ms, standby ${warm.totalMs.toFixed(3)} ms; `
      + `after the keepalive timeout: cold ${cold.afterDetectionMs.toFixed(3)} ms, standby ${warm.afterDetectionMs.toFixed(3)} ms`);
    assert.equal(cold.newConnections, 1);
    assert.equal(warm.newConnections, 0, "no SYN to CM2: the standby connection was used");
    assert.match(warm.n.phone.timeline(), /register +failover +CM1 -> CM2 over the standby connection/);
    assert.doesNotMatch(cold.n.phone.timeline(), /standby/);
    // The keepalive timeout is the same both ways (two missing acks); what the standby saves is CM2's ARP and TCP handshake:
    // two round trips of the 11 or so a registration takes (StationRegister, then the station set-up).
    const rtt = (2 * (250 + cmLatencyUs)) / 1000; // phone -> switch -> CallManager and back
    assert.ok(cold.afterDetectionMs - warm.afterDetectionMs >= 1.9 * rtt, `${cold.afterDetectionMs} vs ${warm.afterDetectionMs}`);
    assert.ok(warm.afterDetectionMs <= 9.5 * rtt + 1, `${warm.afterDetectionMs} ms`);
    assert.ok(Math.abs(cold.totalMs - cold.afterDetectionMs - (warm.totalMs - warm.afterDetectionMs)) < 1, "the same detection time");
    assert.ok(warm.totalMs < cold.totalMs);
    // Then the standby moves on: to CM3, the next after CM2.
    const n = warm.n;
    assert.ok(runUntil(n, standbyWith(n, 2), 1000), n.phone.timeline());
    assert.equal(n.cms[2].logic.standbys().length, 1);
    assert.equal(n.cms[1].logic.isRegistered(DEVICE), true);
  }
});

test("CM1 back: the phone falls back to CM1, and the standby returns to CM2 (the one on CM3 closed)", () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  runMs(n, 1000);
  n.cms[0].stop("silent");
  assert.ok(runUntil(n, registeredWith(n, 1), 40_000), n.phone.timeline());
  assert.ok(runUntil(n, standbyWith(n, 2), 1000), n.phone.timeline());
  n.cms[0].start();
  assert.ok(runUntil(n, registeredWith(n, 0), 31_000), n.phone.timeline());
  assert.ok(runUntil(n, standbyWith(n, 1), 1000), n.phone.timeline());
  runMs(n, 1000);
  assert.match(n.phone.timeline(), /register +fallback +to CM1 from CM2/);
  assert.equal(n.cms[1].logic.isRegistered(DEVICE), false);
  assert.equal(n.cms[1].logic.standbys().length, 1);
  assert.equal(n.cms[2].logic.openSessions, 0, "the standby connection to CM3 was closed");
  assert.equal(n.cms[2].events.filter((e) => e.type === "disconnect").length, 1);
  assert.equal(n.cms[0].logic.isRegistered(DEVICE), true);
});

test("the standby CallManager refuses or goes silent: standby lost, tried again every 30 s; registration stays with CM1", () => {
  const n = net([{}, { down: "refuse" }, {}]);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  runMs(n, 65_000);
  const lost = n.phone.events.filter((e) => e.code === Ev.RegStandbyLost);
  assert.deepEqual(lost.map((e) => [e.a, e.b, Math.round((e.tMs - lost[0].tMs) / 1000)]), [[1, 1, 0], [1, 1, 30], [1, 1, 60]]);
  assert.match(n.phone.timeline(), /register +standby lost +CM2: refused; again in 30s/);
  assert.equal(n.phone.x.standby_cm(), -1);
  n.cms[1].start();
  assert.ok(runUntil(n, standbyWith(n, 1), 31_000), n.phone.timeline());
  // Now CM2 vanishes: two KeepAlives without an ack (the secondary interval is 60 s) and the standby is lost.
  n.cms[1].stop("silent");
  const gone = n.s.now;
  assert.ok(runUntil(n, () => n.phone.events.some((e) => e.code === Ev.RegStandbyLost && e.tUs > gone), 200_000));
  assert.match(n.phone.timeline(), /register +standby lost +CM2: keepalive acks missing/);
  assert.equal(n.phone.state, RegState.Registered);
  assert.equal(n.phone.cm, 0);
  assert.equal(n.phone.x.standby_cm(), -1);
});

test("CM1 fails before the standby answered: the failover still goes to CM2, over the connection under way", () => {
  // CM2 is slow to answer (a WAN): CM1 refuses right after registering, while the standby's handshake is under way.
  const n = net([{}, {}, {}], { cmLatencyUs: 20_000 });
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 2000), n.phone.timeline());
  n.cms[0].stop("refuse");
  assert.ok(runUntil(n, registeredWith(n, 1), 2000), n.phone.timeline());
  assert.equal(n.cms[1].logic.stats.connections, 1);
  assert.match(n.phone.timeline(), /failover +CM1 -> CM2 over the standby connection/);
});
