// The storm's settings that reach the phones themselves: RFC 2131's initial
// DHCP wait, written into each phone's flash preferences (host/prefs.ts, the
// firmware's own log format) and honoured by the firmware; the first MAC of
// a real storm; their command-line and scenario checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash, LAYOUT } from "../host/flash.js";
import { FlashHarness } from "../host/boot/harness.js";
import { emitPrefRecord, initialDelayValue, parsePrefRecord, PREF, writePrefs } from "../host/prefs.js";
import { makePlan, phoneMac } from "../host/storm/plan.js";
import { runStorm } from "../host/storm/engine.js";
import { phoneTable } from "../host/storm/summary.js";
import { M } from "../host/storm/cell.js";
import { parseStormScenario } from "../host/storm/scenario.js";
import { parseDhcpDelay, parseMacBase } from "../host/commands/storm.js";

test("a preference the host writes into a blank flash is what the firmware reads; records round-trip, a torn one is refused", () => {
  const flash = new Flash();
  const value = initialDelayValue(250, 4000);
  writePrefs(flash, [{ key: PREF.DhcpInitialDelay, value }, { key: 9, value: new Uint8Array(40).fill(7) }]);
  const h = new FlashHarness(flash);
  assert.deepEqual(h.prefsGet(PREF.DhcpInitialDelay), value);
  assert.deepEqual(h.prefsGet(9), new Uint8Array(40).fill(7));
  assert.equal(h.prefsGet(PREF.DhcpLease), null);
  const rec = emitPrefRecord({ key: 5, value: Uint8Array.of(1, 2, 3) });
  assert.equal(rec.length % LAYOUT.writeUnit, 0);
  assert.deepEqual(parsePrefRecord(rec), { key: 5, value: Uint8Array.of(1, 2, 3), size: rec.length });
  const torn = rec.slice();
  torn[5] ^= 1;
  assert.equal(parsePrefRecord(torn), null);
  assert.equal(parsePrefRecord(new Uint8Array(16).fill(0xff)), null);
});

/** Per phone, ms from the start of stage dhcp to its first DISCOVER. */
async function initialWaits(delay: { min: number; max: number } | undefined): Promise<number[]> {
  const plan = makePlan({ phones: 8, seed: 3 });
  if (delay) plan.dhcpInitialDelayMs = delay;
  const t = phoneTable(await runStorm(plan));
  const start = t.col(M.dhcp), first = t.col(M.dhcpFirst);
  return Array.from(first, (f, i) => (f - start[i]) / 1000);
}

test("storm --dhcp-delay: the phones wait what the setting says before their first DISCOVER; without it, the firmware's 1..10 s", async () => {
  for (const w of await initialWaits({ min: 0, max: 0 })) assert.ok(w >= 0 && w < 50, `waited ${w} ms`);
  for (const w of await initialWaits({ min: 3000, max: 3000 })) assert.ok(w >= 2990 && w < 3050, `waited ${w} ms`);
  const own = await initialWaits(undefined);
  for (const w of own) assert.ok(w >= 990 && w <= 10_050, `waited ${w} ms`);
  assert.ok(new Set(own.map((w) => Math.round(w))).size > 1, "random waits differ");
});

test("--dhcp-delay, --mac-base and dhcp.initial_delay_ms are checked", () => {
  assert.deepEqual(parseDhcpDelay("500"), { min: 500, max: 500 });
  assert.deepEqual(parseDhcpDelay("0-2000"), { min: 0, max: 2000 });
  for (const bad of ["2000-100", "-5", "1s", "1-99999999"]) assert.throws(() => parseDhcpDelay(bad), /--dhcp-delay/);
  assert.equal(parseMacBase("00:1b:54:20:00:00", 10), 0x001b54200000);
  assert.equal(phoneMac(1, 0x001b542000ff), "00:1b:54:20:01:00");
  assert.throws(() => parseMacBase("01:00:5e:00:00:01", 1), /multicast/);
  assert.throws(() => parseMacBase("fe:ff:ff:ff:ff:fe", 5), /run past/);
  assert.throws(() => parseMacBase("001b54200000", 1), /--mac-base/);
  const sc = parseStormScenario(JSON.stringify({ dhcp: { initial_delay_ms: [100, 900] } }), "s.json");
  assert.deepEqual(sc.dhcp?.initialDelayMs, { min: 100, max: 900 });
  assert.deepEqual(makePlan({ phones: 1, scenario: sc }).dhcpInitialDelayMs, { min: 100, max: 900 });
  assert.throws(() => parseStormScenario(JSON.stringify({ dhcp: { initial_delay_ms: [900, 100] } }), "s.json"), /less than the least/);
  assert.throws(() => parseStormScenario(JSON.stringify({ dhcp: { initial_delay_ms: 5 } }), "s.json"), /\[least, most\]/);
});
