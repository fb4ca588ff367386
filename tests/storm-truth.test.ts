// The storm's answers (issue 19): time lost to dead and silent CallManagers
// and to failing over is charged to them, a building with no CallManager
// alive says so, uplink loss is not blamed on DHCP, the upgrade's outcomes
// and the failure causes are counted, --csv has a row per phone, and storm
// scenario files are checked like boot's, in boot's naming style.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePlan, phoneMac } from "../host/storm/plan.js";
import { runStorm, type StormRun } from "../host/storm/engine.js";
import { formatSummary, summarize, type StormSummary } from "../host/storm/summary.js";
import { parseStormScenario } from "../host/storm/scenario.js";
import { PHONE_COLUMNS, phoneCsv, switchCsv, switchCsvPath } from "../host/storm/csv.js";
import { ipphone } from "./helpers/tools.js";

async function run(phones: number, scenarioJson: object, opts: { loss?: number; switches?: number; seed?: number } = {}): Promise<StormRun> {
  const scenario = parseStormScenario(JSON.stringify(scenarioJson), "test.json");
  return runStorm(makePlan({ phones, switches: opts.switches, seed: opts.seed ?? 1, loss: opts.loss, scenario }));
}

test("CM1 silent: the bottleneck is CM1, charged with the time the phones lost failing over from it", async () => {
  const s = summarize(await run(48, { callmanagers: [{ state: "silent" }, {}, {}] }, { switches: 1 }));
  assert.equal(s.registered, 48);
  assert.equal(s.bottleneck.server, "callmanager");
  assert.match(s.bottleneck.name!, /^CallManager CM1 192\.0\.2\.11, down, silent/);
  const cm1 = s.servers.callmanagers[0];
  assert.equal(cm1.state, "silent");
  assert.deepEqual(cm1.failed_attempts, { "connect timeout": 48 });
  // Each phone gives up its TCP connect to CM1 after its connect timeout (seconds), then registers with CM2.
  assert.ok(s.time_lost.failed_attempts_phone_s[0] > 48 * 5, JSON.stringify(s.time_lost));
  assert.equal(cm1.lost_phone_s, s.time_lost.failed_attempts_phone_s[0]);
  assert.match(s.bottleneck.reason, /lost on CallManagers that failed the phones, before failing over: CM1 \d+\.\d$/);
  assert.equal(s.servers.callmanagers[1].registrations, 48);
  assert.equal(s.servers.callmanagers[1].state, "up");
  const text = formatSummary(s).join("\n");
  assert.match(text, /^ {2}CM1 192\.0\.2\.11: DOWN, SILENT \(NO ANSWER AT ALL\): .*48 connect timeout/m);
  assert.match(text, /^ {2}bottleneck: CallManager CM1 192\.0\.2\.11/m);
});

test("uplink loss is its own line and cause: DHCP, which dropped nothing, is not the bottleneck", async () => {
  // No TFTP serving limit here: with it, every packet lost in a transfer holds one of Cisco TFTP's five connections for a retransmission timeout, and TFTP becomes the bottleneck.
  const s = summarize(await run(300, { tftp: { connections: 0 } }, { loss: 0.05, seed: 5 }));
  assert.equal(s.registered, 300);
  assert.equal(s.servers.dhcp.dropped, 0);
  assert.ok(s.uplinks.dhcp_lost > 0, JSON.stringify(s.uplinks));
  assert.ok(s.time_lost.uplink_loss_phone_s > s.time_lost.dhcp_phone_s, JSON.stringify(s.time_lost));
  assert.notEqual(s.bottleneck.server, "dhcp");
  assert.equal(s.bottleneck.name, "uplink loss");
  assert.match(formatSummary(s).join("\n"), /^ {2}uplink loss: \d+ frames lost up, \d+ down \(\d+ of them DHCP, which no server saw\)/m);
  // Without loss there is no such line, and DHCP keeps all its waiting.
  const clean = summarize(await run(48, {}, { switches: 1 }));
  assert.equal(clean.time_lost.uplink_loss_phone_s, 0);
  assert.equal(clean.time_lost.dhcp_phone_s, clean.server_wait_ms.dhcp.total_phone_s);
  assert.doesNotMatch(formatSummary(clean).join("\n"), /uplink loss/);
});

test("upgrade outcomes are counted: a new load upgrades every phone, a corrupt image is refused by every bootloader", async () => {
  const good = summarize(await run(24, { load: "P0030801SR02" }, { switches: 1 }));
  assert.deepEqual(good.upgrade_outcomes, { upgraded: 24 });
  assert.deepEqual(good.upgrade_reasons, []);
  const bad = summarize(await run(24, { load: "P0030801SR02", load_corrupt: true }, { switches: 1 }));
  assert.equal(bad.registered, 24, "the phones stay on their load and register");
  assert.deepEqual(bad.upgrade_outcomes, { refused: 24 });
  assert.equal(bad.upgrade_reasons.length, 1);
  assert.equal(bad.upgrade_reasons[0].phones, 24);
  assert.match(bad.upgrade_reasons[0].reason, /^slot B: /);
  assert.match(formatSummary(bad).join("\n"), /upgrade to P0030801SR02: 24 refused by the bootloader\n {4}24 refused by the bootloader: slot B: /);
  assert.equal(bad.config_load, "P0030801SR02");
  assert.equal(bad.load_not_reached, 24);
  const plain = summarize(await run(24, {}, { switches: 1 }));
  assert.deepEqual(plain.upgrade_outcomes, { none: 24 });
  assert.equal(good.load_not_reached + plain.load_not_reached, 0);
});

test("ipphone storm exits 16 when every phone registered but not on the configuration's load, as boot does; 0 once it is reached", () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-storm-load-"));
  try {
    const scenario = (name: string, body: object) => {
      writeFileSync(join(dir, name), JSON.stringify({ phones: 12, switches: 1, load: "P0030801SR02", ...body }));
      return join(dir, name);
    };
    const bad = ipphone("storm", "--scenario", scenario("bad.json", { load_corrupt: true }));
    assert.equal(bad.status, 16, bad.stderr);
    assert.match(bad.stdout, /^ {2}powered 12, registered 12, dark 0$/m);
    assert.match(bad.stdout, /^ {2}12 registered phones NOT on the configuration's load P0030801SR02 \(the upgrade failed, was refused or reverted\)$/m);
    const json = ipphone("storm", "--scenario", scenario("bad.json", { load_corrupt: true }), "--json");
    assert.equal(json.status, 16);
    assert.equal((JSON.parse(json.stdout) as StormSummary).load_not_reached, 12);
    const good = ipphone("storm", "--scenario", scenario("good.json", {}));
    assert.equal(good.status, 0, good.stderr);
    assert.doesNotMatch(good.stdout, /NOT on the configuration's load/);
    assert.match(ipphone("storm", "--help").stdout, /16 when all registered, but some not on that load/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CSV: a row per phone that matches the phone, dark ones included, and a row per switch", async () => {
  const r = await run(60, { poe: { budget_w: 70 } }, { switches: 1 });
  const s = summarize(r);
  const rows = phoneCsv(r).trimEnd().split("\n").map((l) => l.split(","));
  assert.deepEqual(rows[0], [...PHONE_COLUMNS]);
  assert.equal(rows.length, 61);
  const col = (name: string) => PHONE_COLUMNS.indexOf(name as (typeof PHONE_COLUMNS)[number]);
  const registered = rows.slice(1).filter((row) => row[col("registered_ms")] !== "");
  assert.equal(registered.length, s.registered);
  rows.slice(1).forEach((row, i) => {
    assert.equal(row[col("mac")], phoneMac(i));
    assert.equal(row[col("port")], `Fa0/${i + 1}`);
  });
  for (const row of registered) {
    assert.match(row[col("ip")], /^10\.110\.0\.\d+$/);
    assert.equal(row[col("callmanager")], "CM1");
    assert.equal(row[col("load")], "P0030801SR01");
    assert.equal(row[col("upgrade")], "none");
    assert.equal(row[col("failure_stage")], "");
    const stages = ["power_ms", "boot_ms", "vlan_ms", "dhcp_ms", "tftp_ms", "register_ms"].map((c) => Number(row[col(c)]));
    assert.ok(Math.abs(stages.reduce((a, b) => a + b, 0) - Number(row[col("registered_ms")])) < 0.01, "the stages add up to the time to registered");
  }
  const dark = rows.slice(1).filter((row) => row[col("failure_stage")] === "power");
  assert.equal(dark.length, s.dark);
  for (const row of dark) assert.equal(row[col("ip")], "");
  const sw = switchCsv(r).trimEnd().split("\n");
  assert.equal(sw.length, 2);
  assert.equal(sw[1].split(",").slice(0, 6).join(","), `access-sw1,60,${s.powered},${s.dark},${s.registered},0`);
  assert.equal(switchCsvPath("/x/run.csv"), "/x/run-switches.csv");
  assert.equal(switchCsvPath("out"), "out-switches.csv");
});

test("ipphone storm with no CallManager alive: 'no CallManager answered', the cause counted, exit 1, --csv written", () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-storm-truth-"));
  try {
    const scenario = join(dir, "dead.json");
    writeFileSync(scenario, JSON.stringify({ phones: 24, switches: 1, limit_s: 60, callmanagers: [{ state: "silent" }, { state: "refuse" }, { state: "refuse" }] }));
    const csv = join(dir, "run.csv");
    const r = ipphone("storm", "--scenario", scenario, "--json", "--csv", csv);
    assert.equal(r.status, 1, r.stderr);
    const s = JSON.parse(r.stdout) as StormSummary;
    assert.equal(s.registered, 0);
    assert.equal(s.bottleneck.server, "callmanager");
    assert.equal(s.bottleneck.name, "no CallManager answered");
    assert.match(s.bottleneck.reason, /^CM1 192\.0\.2\.11 down, silent \(no answer at all\): \d+ connect timeout; CM2 192\.0\.2\.12 down, refusing connections: \d+ refused; .* phone-seconds lost trying them \(CM1 \d+\.\d(, CM[23] \d+\.\d)*, back-off after all failed \d+\.\d\)$/);
    assert.deepEqual(s.servers.callmanagers.map((c) => c.state), ["silent", "refuse", "refuse"]);
    assert.equal(s.failure_causes.length, 1);
    assert.equal(s.failure_causes[0].phones, 24);
    assert.equal(s.failure_causes[0].stage, "register");
    assert.match(s.failure_causes[0].cause, /^no CallManager registered the phone: CM1 192\.0\.2\.11:2000 connect timeout; CM2 192\.0\.2\.12:2000 refused/);
    assert.ok(s.time_lost.all_down_backoff_phone_s > 0, "between rounds the phones back off");
    const text = formatSummary(s).join("\n");
    assert.match(text, /^ {2}bottleneck: no CallManager answered: /m);
    assert.match(text, /^ {2}not registered \(24\), by cause:\n {4}\s+24 {2}register: no CallManager registered the phone/m);
    const rows = readFileSync(csv, "utf8").trimEnd().split("\n");
    assert.equal(rows.length, 25);
    for (const row of rows.slice(1)) assert.match(row, /,register,"?no CallManager registered the phone: CM1 192\.0\.2\.11:2000 connect timeout; /);
    assert.match(readFileSync(switchCsvPath(csv), "utf8"), /^access-sw1,24,24,0,0,24,/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("storm scenarios are checked like boot's: wrong types, unknown fields and old spellings are one-line usage errors, before any phone boots", () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-storm-scenario-"));
  try {
    const refused = (json: string, message: RegExp) => {
      const file = join(dir, "s.json");
      writeFileSync(file, json);
      const r = ipphone("storm", "--scenario", file, "--csv", join(dir, "never.csv"));
      assert.equal(r.status, 2, `${json}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "", "nothing ran");
      assert.equal(r.stderr.trim().split("\n").length <= 2, true, r.stderr);
    };
    refused(`{"phones":"96"}`, /scenario .*s\.json: phones must be an integer 1\.\.100000, got "96"/);
    refused(`{"phones":10,"poe":{"budgetW":70}}`, /poe\.budgetW is spelled poe\.budget_w \(scenario fields are snake_case, as in boot's scenarios\)/);
    refused(`{"phones":10,"limitS":60}`, /limitS is spelled limit_s/);
    refused(`{"phones":10,"colour":"red"}`, /unknown field "colour" \(known: description, phones/);
    refused(`{"phones":10,"callmanagers":[{"state":"dead"}]}`, /callmanagers\[0\]\.state must be one of "up", "refuse", "silent", got "dead"/);
    refused(`{"phones":10,"dhcp":{"answers_per_s":-1}}`, /dhcp\.answers_per_s must be an integer 0\.\.1000000, got -1/);
    refused(`{"phones":10,"load_corrupt":true}`, /name it in "load"/);
    refused(`[1]`, /must be a JSON object/);
    const csvNowhere = ipphone("storm", "--phones", "10", "--csv", join(dir, "no", "such", "run.csv"));
    assert.equal(csvNowhere.status, 2);
    assert.match(csvNowhere.stderr, /--csv .*run\.csv: directory .* does not exist/);
    // Every field of the README's example is accepted.
    const ok = parseStormScenario(JSON.stringify({
      phones: 10000, switches: 209, seed: 1, loss: 0, limit_s: 900,
      poe: { budget_w: 370, priorities: { critical: "1-2", high: "3-12" }, switches: { 3: { budget_w: 150 } } },
      dhcp: { answers_per_s: 1000, backlog: 512, lease_s: 86400 }, tftp: { bytes_per_s: 12500000, max_windowsize: 256 },
      callmanagers: [{ registrations_per_s: 100 }, { registrations_per_s: 100, state: "silent" }],
      load: "P0030801SR02", uplink: { latency_us: 500, bits_per_s: 1000000000 },
    }), "readme.json");
    assert.equal(ok.poe?.switches?.["3"].budgetW, 150);
    assert.equal(ok.callManagers?.[1].down, "silent");
    assert.equal(ok.dhcp?.answersPerSecond, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the new accounting and the CSV are the same on one thread or two (CM1 silent, lossy uplinks)", async () => {
  const scenario = parseStormScenario(JSON.stringify({ callmanagers: [{ state: "silent" }, {}], load: "P0030801SR02" }), "w.json");
  const runs = await Promise.all([1, 2].map((workers) => runStorm(makePlan({ phones: 96, switches: 4, seed: 7, loss: 0.02, scenario }), { workers })));
  assert.equal(JSON.stringify(summarize(runs[1])), JSON.stringify(summarize(runs[0])));
  assert.equal(phoneCsv(runs[1]), phoneCsv(runs[0]));
  assert.equal(switchCsv(runs[1]), switchCsv(runs[0]));
  const s = summarize(runs[0]);
  assert.ok(s.time_lost.failed_attempts_phone_s[0] > 0 && s.upgrade_outcomes.upgraded! > 0, JSON.stringify([s.time_lost, s.upgrade_outcomes]));
});
