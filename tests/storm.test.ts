// ipphone storm (issue 10): a building of phones after a power cut, all in
// one deterministic simulation. Same seed, same summary, whatever the
// number of threads; the PoE budget leaves exactly the phones the port
// priorities say dark; a slow DHCP server is named as the bottleneck.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePlan, parsePortList, phoneMac, type Scenario } from "../host/storm/plan.js";
import { runStorm } from "../host/storm/engine.js";
import { Partition } from "../host/storm/partition.js";
import { summarize, type StormSummary } from "../host/storm/summary.js";
import { decodeMessages, encodeMessages } from "../host/storm/exchange.js";
import { imageModuleCount } from "../host/firmware.js";
import { ipphone, ROOT } from "./helpers/tools.js";

async function storm(phones: number, opts: { seed?: number; switches?: number; scenario?: Scenario; workers?: number; loss?: number } = {}): Promise<StormSummary> {
  const plan = makePlan({ phones, seed: opts.seed ?? 1, switches: opts.switches, scenario: opts.scenario, loss: opts.loss });
  return summarize(await runStorm(plan, { workers: opts.workers ?? 1 }));
}

test("the same seed gives the same JSON summary, a different seed another one (300 phones)", async () => {
  const a = JSON.stringify(await storm(300, { seed: 42 }));
  const b = JSON.stringify(await storm(300, { seed: 42 }));
  assert.equal(a, b);
  const s = JSON.parse(a) as StormSummary;
  assert.equal(s.registered, 300);
  assert.equal(s.switches, 7);
  assert.ok(s.time_to_all_registered_ms !== null && s.time_to_all_registered_ms > 5000, "the RFC 5227 address check alone takes seconds");
  assert.notEqual(JSON.stringify(await storm(300, { seed: 43 })), a);
});

test("one thread or several: byte-identical summaries (worker threads exchange uplink frames at the window ends)", async () => {
  const scenario: Scenario = { dhcp: { answersPerSecond: 200 }, callManagers: [{ registrationsPerSecond: 40 }, {}] };
  const one = JSON.stringify(await storm(240, { seed: 5, switches: 6, scenario, workers: 1 }));
  const two = JSON.stringify(await storm(240, { seed: 5, switches: 6, scenario, workers: 2 }));
  const three = JSON.stringify(await storm(240, { seed: 5, switches: 6, scenario, workers: 3 }));
  assert.equal(two, one);
  assert.equal(three, one);
  assert.equal((JSON.parse(one) as StormSummary).registered, 240);
});

test("a PoE budget for 48 phones on a 60-phone switch: exactly the 12 the priorities put last stay dark, with the Catalyst's log lines", async () => {
  // A phone is granted its class 2 allocation (7.0 W) and lowers it to the 6.3 W it asks for in CDP: 48 phones
  // fit in 47 x 6.3 W + 7.0 W (the last one still at its class allocation when it is granted).
  const s = await storm(60, {
    switches: 1,
    scenario: { poe: { budgetW: 47 * 6.3 + 7.0, priorities: { critical: "55-60", high: "1-6" } } },
  });
  assert.equal(s.powered, 48);
  assert.equal(s.registered, 48);
  assert.equal(s.dark, 12);
  assert.notEqual(s.time_to_all_registered_ms, null);
  // Critical 55-60 first, then high 1-6, then low in port order: 7-42 get the rest.
  assert.deepEqual(s.dark_phones.map((p) => p.port), Array.from({ length: 12 }, (_, i) => `Fa0/${43 + i}`));
  for (const p of s.dark_phones) {
    assert.equal(p.priority, "low");
    assert.equal(p.mac, phoneMac(Number(p.port.slice(4)) - 1));
    assert.match(p.log[0], /^\*Mar  1 00:00:00\.\d{3}: %ILPOWER-5-ILPOWER_POWER_DENY: Interface Fa0\/\d+: inline power denied\. Reason: insufficient power$/);
  }
  assert.equal(s.refusals.poe_denied_ports, 12);
});

test("a DHCP server limited to 50 answers/s is named as the bottleneck", async () => {
  const s = await storm(300, { scenario: { dhcp: { answersPerSecond: 50 } } });
  assert.equal(s.registered, 300);
  assert.equal(s.bottleneck.server, "dhcp");
  assert.equal(s.bottleneck.name, "DHCP 192.0.2.1");
  assert.ok(s.server_wait_ms.dhcp.total_phone_s > 10 * s.server_wait_ms.callmanager.total_phone_s);
  assert.ok(s.servers.dhcp.seconds_at_limit >= 5, JSON.stringify(s.servers.dhcp));
  assert.ok(s.time_to_all_registered_ms! > 12_000, "600 answers at 50 a second take 12 s");
});

test("a slow CallManager is the bottleneck, with throttled registrations and failovers to the next one", async () => {
  const s = await storm(300, { scenario: { callManagers: [{ registrationsPerSecond: 10 }, { registrationsPerSecond: 10 }] } });
  assert.equal(s.registered, 300);
  assert.equal(s.bottleneck.server, "callmanager");
  assert.match(s.bottleneck.name!, /^CallManager CM[12] 192\.0\.2\.1[12]$/);
  assert.ok(s.servers.callmanagers[0].throttled > 0);
  assert.ok(s.refusals.failovers > 0, "phones waiting past the 10 s StationRegister timeout fail over to CM2");
});

test("a configuration naming a new load: every phone fetches it over the shared TFTP uplink, resets into it and registers", async () => {
  const s = await storm(48, { scenario: { load: "P0030801SR02", tftp: { bytesPerSecond: 1_000_000 } } });
  assert.equal(s.registered, 48);
  assert.deepEqual(s.upgrade, { load: "P0030801SR02", upgraded: 48 });
  assert.ok(s.servers.tftp.bytes > 48 * 35_000, `the image went to every phone: ${s.servers.tftp.bytes} bytes`);
  assert.ok(s.stages_ms.tftp.p50! > 1000, "48 images of 35 KB through 1 MB/s take seconds");
});

test("lossy uplinks (5 % each way): every phone still registers, the losses are counted", async () => {
  const s = await storm(96, { loss: 0.05 });
  assert.equal(s.registered, 96);
  assert.ok(s.uplinks.lost_up > 0 && s.uplinks.lost_down > 0, JSON.stringify(s.uplinks));
});

test("a phone is one instance of the shared module with one 64 KiB page; flash sectors of the image are shared", () => {
  const plan = makePlan({ phones: 50, seed: 3 });
  const part = new Partition(plan, { cells: plan.cells.map((c) => c.index), core: true });
  part.start();
  part.runWindow(2_000_000);
  const phones = part.cells.flatMap((c) => c.phones);
  assert.equal(phones.length, 50);
  for (const p of phones) {
    const memory = p.firmwareExport("memory") as WebAssembly.Memory;
    assert.equal(memory.buffer.byteLength, 65536);
    // Factory data and the boot record: the 35 KB image in slot A is not copied into each phone's flash.
    assert.ok(p.flash.ownedBytes() <= 4 * 4096, `${p.flash.ownedBytes()} bytes of flash of its own`);
  }
  assert.equal(imageModuleCount(), 1, "every phone runs the one compiled phone.wasm");
});

test("uplink frames survive the shared-memory exchange of the worker threads", () => {
  const msgs = [
    { cell: 3, up: true, atUs: 1_234_567, seq: 9, frame: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) },
    { cell: 0, up: false, atUs: 7, seq: 0, frame: new Uint8Array(1518).fill(0xab) },
  ];
  const buf = new Uint8Array(4096);
  encodeMessages(msgs, buf);
  assert.deepEqual(decodeMessages(buf), msgs);
  assert.throws(() => encodeMessages(msgs, new Uint8Array(100)), /exceeds the 100-byte exchange buffer/);
});

test("port lists and plans: 1-based ranges, phones spread over the switches, one voice subnet each", () => {
  assert.deepEqual(parsePortList("1-3, 7", 48), [0, 1, 2, 6]);
  assert.throws(() => parsePortList("0-2", 48), /outside 1\.\.48/);
  const plan = makePlan({ phones: 100, switches: 3 });
  assert.deepEqual(plan.cells.map((c) => c.phones), [34, 34, 32]);
  assert.deepEqual(plan.cells.map((c) => c.prefix), [24, 24, 24]);
  assert.throws(() => makePlan({ phones: 10, switches: 9 }), /leave switch 9 empty/);
});

test("ipphone storm: a summary on the terminal, --json and --report, exit 0 when every powered phone registered", () => {
  const dir = mkdtempSync(join(tmpdir(), "ipphone-storm-"));
  try {
    const report = join(dir, "storm.html");
    const text = ipphone("storm", "--phones", "60", "--seed", "9", "--report", report);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^storm: 60 phones on 2 access switches, seed 9$/m);
    assert.match(text.stdout, /every powered phone registered \d+\.\d{3} s after the power came back/);
    assert.match(text.stdout, /wall time .* phones\/s/);
    assert.match(readFileSync(report, "utf8"), /<svg id="timeline"/);
    const a = ipphone("storm", "--phones", "60", "--seed", "9", "--json");
    const b = ipphone("storm", "--phones", "60", "--seed", "9", "--json", "--workers", "2");
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout, "--json holds no wall-clock figure: the same for any thread count");
    assert.equal((JSON.parse(a.stdout) as StormSummary).registered, 60);
    const scenario = join(dir, "s.json");
    writeFileSync(scenario, JSON.stringify({ phones: 60, switches: 1, poe: { budget_w: 70 } }));
    const dark = ipphone("storm", "--scenario", scenario);
    assert.equal(dark.status, 0, "the phones that got power registered");
    assert.match(dark.stdout, /powered 11, registered 11, dark 49/, "7 W each, then 6.3 W after CDP: 11 phones fit 70 W");
    assert.equal(ipphone("storm").status, 2);
    assert.equal(ipphone("storm", "--phones", "10", "--loss", "2").status, 2);
    assert.equal(ipphone("storm", "--phones", "10", "--scenario", join(dir, "missing.json")).status, 2);
    const noImage = join(dir, "no-image.json");
    writeFileSync(noImage, JSON.stringify({ phones: 10, load: "P00309-01", load_wasm: join(dir, "missing.wasm") }));
    const refused = ipphone("storm", "--scenario", noImage);
    assert.equal(refused.status, 2, "a scenario naming an image that is not there is a usage error, before any phone boots");
    assert.match(refused.stderr, /load_wasm .*missing\.wasm does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIP phones (scenario protocol SIP, scenarios/storm-sip.json): every phone registers its own line by digest with the CallManager nodes' registrars", async () => {
  const s = await storm(120, { scenario: { protocol: "SIP", sipTransport: "tcp" } });
  assert.equal(s.registered, 120);
  const sip = s.servers.callmanagers[0].sip;
  assert.ok(sip, JSON.stringify(s.servers.callmanagers[0]));
  assert.equal(sip.registrations, 120, "one binding a phone, each its own line");
  assert.equal(sip.challenges, 120, "each challenged once");
  assert.equal(sip.forbidden + sip.bad_requests, 0);
  const file = ipphone("storm", "--phones", "30", "--scenario", `${ROOT}/scenarios/storm-sip.json`, "--json");
  assert.equal(file.status, 0, file.stderr);
  assert.equal(JSON.parse(file.stdout).registered, 30);
});
