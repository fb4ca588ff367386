// One test per scenario in scenarios/: each ends registered or in a named
// failure (stage, reason, display) with the exit code of that stage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { ipphone, ROOT } from "./helpers/tools.js";
import { loadScenario, parseScenario, ScenarioError } from "../host/scenario.js";
import { cnfLines } from "../host/sim/cnf.js";
import type { SipRegistrarReport } from "../host/sim/sip-registrar.js";

interface Report {
  registered: boolean;
  callmanager: string | null;
  stage: string;
  lcd: string;
  vlan: number | null;
  failure: { stage: string; reason: string; last_event: string; lcd: string } | null;
  firmware: { load: string | null; slot: string | null; image: string | null; config_load: string | null; load_reached: boolean | null; upgrade: { outcome: string; load: string | null; reason: string | null } };
  exit_code: number;
  causes?: Record<string, string>;
  switch_log: string[];
  timeline: { stage: string; event: string; detail: string }[];
}

function run(name: string): { status: number | null; r: Report } {
  const out = ipphone("boot", "--json", "--scenario", `${ROOT}scenarios/${name}.json`);
  assert.ok(out.stdout.startsWith("{"), out.stderr);
  const r = JSON.parse(out.stdout) as Report;
  assert.equal(out.status, r.exit_code);
  return { status: out.status, r };
}

const ran = new Set<string>();
function scenario(name: string, check: (r: Report, status: number | null) => void): void {
  ran.add(name);
  test(`scenario ${name}`, () => {
    const { status, r } = run(name);
    check(r, status);
  });
}

scenario("full-boot", (r, status) => {
  assert.equal(status, 0);
  assert.deepEqual(r.firmware, { load: "P0030801SR01", slot: "A", image: "confirmed", config_load: "P0030801SR01", load_reached: true, upgrade: { outcome: "none", load: null, reason: null } });
  assert.equal(r.registered, true);
  assert.equal(r.callmanager, "CM1");
  assert.match(r.lcd, /^Registered \| /);
  assert.deepEqual(r.switch_log.map((l) => l.split(":")[0]), ["%ILPOWER-7-DETECT", "%ILPOWER-5-POWER_GRANTED"]);
  for (const stage of ["power", "boot", "vlan", "dhcp", "tftp", "register"]) assert.ok(r.timeline.some((e) => e.stage === stage), stage);
});

scenario("poe-budget-exhausted", (r, status) => {
  assert.equal(status, 10);
  assert.equal(r.registered, false);
  assert.equal(r.failure?.stage, "power");
  assert.match(r.failure?.reason ?? "", /inline power denied\. Reason: insufficient power/);
  assert.ok(r.switch_log.includes("%ILPOWER-5-ILPOWER_POWER_DENY: Interface Fa0/1: inline power denied. Reason: insufficient power"));
  assert.ok(!r.timeline.some((e) => e.stage === "boot"), "the phone stayed dark");
});

scenario("no-voice-vlan", (r, status) => {
  assert.equal(status, 0);
  assert.equal(r.vlan, null);
  assert.ok(r.timeline.some((e) => e.event === "vlan none"));
});

scenario("option66-only", (r, status) => {
  assert.equal(status, 0);
  assert.ok(r.timeline.some((e) => e.event === "dns answer" && e.detail.startsWith("192.0.2.10")));
});

scenario("option150-text", (r, status) => {
  // 10 ASCII bytes are not addresses: refused and named; option 66 (resolved by DNS) at once, not after timeouts.
  assert.equal(status, 0);
  const malformed = r.timeline.find((e) => e.event === "option malformed");
  assert.equal(malformed?.detail, "option 150 malformed: 10 bytes, refused");
  assert.ok(!r.timeline.some((e) => e.event === "tftp"), "no option 150 server");
  assert.deepEqual(r.timeline.filter((e) => e.event === "server").map((e) => e.detail), ["192.0.2.10 (option 66)"]);
  assert.ok(!r.timeline.some((e) => e.event === "timeout"));
});

scenario("no-tftp-option", (r, status) => {
  assert.equal(status, 14);
  assert.equal(r.failure?.stage, "tftp");
  assert.equal(r.failure?.lcd, "No TFTP server");
  assert.match(r.failure?.reason ?? "", /neither option 150 nor option 66/);
});

scenario("sep-file-missing", (r, status) => {
  assert.equal(status, 0);
  assert.deepEqual(r.timeline.filter((e) => e.event === "file").map((e) => e.detail),
    ["CTLSEP001B54C2A710.tlv", "ITLSEP001B54C2A710.tlv", "SEP001B54C2A710.cnf.xml", "XMLDefault.cnf.xml"]);
  assert.match(r.causes?.tftp ?? "", /^SEP001B54C2A710\.cnf\.xml: TFTP ERROR 1/, "the missing SEP file is the cause; the missing CTL and ITL are not");
});

scenario("cm1-down", (r, status) => {
  assert.equal(status, 0);
  assert.equal(r.callmanager, "CM2");
  assert.ok(r.timeline.some((e) => e.event === "failover"));
});

scenario("all-cms-down", (r, status) => {
  assert.equal(status, 15);
  assert.equal(r.failure?.stage, "register");
  assert.equal(r.failure?.lcd, "CallManager down");
  // The cause is what each CallManager did, not the last "all down" round.
  assert.match(r.failure?.reason ?? "", /^no CallManager registered the phone: CM1 192\.0\.2\.11:2000 \S.*; CM2 192\.0\.2\.12:2000 \S.*; CM3 192\.0\.2\.13:2000 \S/);
  assert.match(r.failure?.last_event ?? "", /^all down: /);
  // Retried with backoff, not in a tight loop: a handful of rounds in two minutes.
  const rounds = r.timeline.filter((e) => e.event === "all down").length;
  assert.ok(rounds >= 3 && rounds <= 8, `${rounds} rounds`);
});

scenario("newer-load", (r, status) => {
  assert.equal(status, 0);
  assert.deepEqual(r.firmware, { load: "P0030801SR02", slot: "B", image: "confirmed", config_load: "P0030801SR02", load_reached: true, upgrade: { outcome: "upgraded", load: "P0030801SR02", reason: null } });
  assert.deepEqual(r.timeline.filter((e) => e.event === "run").map((e) => e.detail),
    ["P0030801SR01 from slot A (confirmed)", "P0030801SR02 from slot B (trial)"]);
  assert.ok(r.timeline.some((e) => e.event === "confirmed"));
});

scenario("bad-image", (r, status) => {
  // Registered, but not on the load the configuration names: exit 16, with the bootloader's reason.
  assert.equal(status, 16);
  assert.equal(r.registered, true);
  assert.equal(r.failure, null);
  assert.equal(r.firmware.load, "P0030801SR01");
  assert.equal(r.firmware.slot, "A");
  assert.equal(r.firmware.config_load, "P0030801SR02");
  assert.equal(r.firmware.load_reached, false);
  assert.equal(r.firmware.upgrade.outcome, "refused");
  assert.match(r.firmware.upgrade.reason ?? "", /^slot B: SHA-256 .*corrupt image/);
  assert.ok(r.timeline.some((e) => e.event === "rejected" && e.detail.startsWith("slot B")));
  assert.equal(r.timeline.filter((e) => e.event === "run").at(-1)?.detail, "P0030801SR01 from slot A (confirmed)");
});

scenario("lossy-link", (r, status) => {
  assert.equal(status, 0);
  assert.equal(r.registered, true);
  const c = (r as unknown as { counters: { frames_in: number; accepted: number; dropped: Record<string, number> } }).counters;
  assert.equal(c.frames_in, c.accepted + Object.values(c.dropped).reduce((a, b) => a + b, 0));
});

scenario("routed-plan", (r, status) => {
  // The plan's addresses through the command's JSON (tests/scenario-plan.test.ts checks the router itself).
  assert.equal(status, 0);
  const j = r as unknown as { ip: string; router: string; dns: string[]; tftp_servers: string[] };
  assert.deepEqual([j.ip, j.router, j.dns, j.tftp_servers], ["203.0.113.100", "203.0.113.1", ["198.51.100.53"], ["198.51.100.69"]]);
  assert.ok(r.timeline.some((e) => e.event === "registered") && r.timeline.some((e) => e.detail.startsWith("CM1 198.51.100.21:2000")));
});

scenario("voice-vlan-dot1p", (r, status) => {
  // Voice VLAN 0: the phone tags with VID 0 (tests/vlan.test.ts reads the tags with tshark) and boots on the access VLAN.
  assert.equal(status, 0);
  assert.equal(r.vlan, 0);
  assert.ok(r.registered);
  assert.ok(r.timeline.some((e) => e.event === "vlan learned" && e.detail.startsWith("voice VLAN 0 (802.1p priority tags")));
});

// A storm scenario (ipphone storm --scenario), not a boot one: tests/storm.test.ts runs it.
ran.add("storm-sip");

ran.add("sip-phone");
test("scenario sip-phone", () => {
  const { status, r } = run("sip-phone");
  assert.equal(status, 0, JSON.stringify(r.failure));
  assert.equal(r.registered, true);
  const regs = (r as unknown as { sip_registrars?: SipRegistrarReport[] }).sip_registrars ?? [];
  const cm1 = regs.find((x) => x.name === "CM1");
  assert.ok(cm1, "CallManager 1's registrar saw the phone");
  // Both lines bound over TCP at the first proxy, each after a digest challenge; nothing refused.
  assert.deepEqual(Object.keys(cm1.bindings).sort(), ["sip:1001@192.0.2.11", "sip:1002@192.0.2.11"]);
  for (const b of Object.values(cm1.bindings)) assert.equal(b[0].transport, "tcp");
  assert.ok(cm1.stats.challenges >= 2);
  assert.equal(cm1.stats.registrations, 2);
  assert.deepEqual([cm1.stats.badPassword, cm1.stats.unknownUser, cm1.stats.wrongAuthName, cm1.stats.badRequests, cm1.stats.malformed], [0, 0, 0, 0, 0]);
});

test("scenario sip-phone: its SEP file is a SIP file whose lines the registrars know", () => {
  const s = loadScenario(`${ROOT}scenarios/sip-phone.json`);
  const file = Object.values(s.network.tftpFiles ?? {})[0];
  const xml = new TextDecoder().decode(file);
  assert.match(xml, /<deviceProtocol>SIP<\/deviceProtocol>/);
  assert.deepEqual(cnfLines(xml)?.map((l) => [l.dirNumber, l.authName, l.password]), [["1001", "sep1001", "s3cret-1001"], ["1002", "sep1002", "s3cret-1002"]]);
  assert.throws(() => parseScenario('{"tftp": {"files": {"a": {"config": {"protocol": "H323"}}}}}'), /config\.protocol must be one of "SCCP", "SIP"/);
  assert.throws(() => parseScenario('{"tftp": {"files": {"a": {"config": {"lines": [{"number": "1", "auth_name": "a b"}]}}}}}'), /auth_name must be 1 to 64 printable/);
});

test("every file in scenarios/ has a test here", () => {
  const files = readdirSync(`${ROOT}scenarios`).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  assert.deepEqual(files, [...ran].sort());
});

test("scenario files are checked field by field", () => {
  assert.throws(() => parseScenario("{"), ScenarioError);
  assert.throws(() => parseScenario('{"swtich": {}}'), /unknown field "swtich"/);
  assert.throws(() => parseScenario('{"switch": {"voice_vlan": 5000}}'), /switch\.voice_vlan must be an integer 0\.\.4095, got 5000/);
  assert.throws(() => parseScenario('{"dhcp": {"option150": ["x"]}}'), /dhcp\.option150 must be a list of IPv4 addresses/);
  assert.throws(() => parseScenario('{"callmanagers": [{"state": "asleep"}]}'), /callmanagers\[0\]\.state must be one of/);
  assert.throws(() => parseScenario('{"faults": {"phone": {"loss": 2}}}'), /faults\.phone\.loss/);
  const r = ipphone("boot", "--scenario", "/nonexistent.json");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot read scenario \/nonexistent\.json/);
});
