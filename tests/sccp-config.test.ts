// What the phone's configuration file sets for registration (issue 17):
// the DSCP of the SCCP signalling from dscpForCm2Dvce (CS3 without it), and
// the lines: the simulated CallManagers answer LineStat from the <lines> of
// the SEP file the TFTP server serves the device. The whole phone
// (phone.wasm) on the simulated network, its capture read back.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs, run } from "./helpers/tools.js";
import { buildNetwork, bootPhone, CALLMANAGERS, DEFAULT_LOAD, DEFAULT_PHONE_MAC, sepFileName } from "../host/sim/network.js";
import { cnfLines, cnfXml } from "../host/sim/cnf.js";
import { parseScenario } from "../host/scenario.js";

const work = mkdtempSync(join(tmpdir(), "sccp-config-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Boots the phone with a SEP file from cnfXml(extra); returns the network and its capture's path. */
function boot(name: string, extra: Parameters<typeof cnfXml>[0] extends infer O ? Partial<O> : never) {
  const cnf = cnfXml({ callManagers: CALLMANAGERS.map((host, i) => ({ host, priority: i })), load: DEFAULT_LOAD, ...extra });
  const net = buildNetwork({ seed: 1, pcap: true, tftpFiles: { [sepFileName(DEFAULT_PHONE_MAC)]: new TextEncoder().encode(cnf) } });
  const r = bootPhone(net, 120_000);
  net.scheduler.runUntil(net.scheduler.now + 2_000_000); // the standby connection's first KeepAlive too
  const file = join(work, `${name}.pcap`);
  writeFileSync(file, net.pcap!.toBuffer());
  return { net, r, file };
}

/** (DSCP, CoS) of every segment the phone sent to port 2000 of each CallManager. */
function marks(file: string): string[] {
  const r = run("tshark", ["-r", file, "-Y", "ip.src == 192.0.2.50 && tcp.dstport == 2000", "-T", "fields", "-e", "ip.dst", "-e", "ip.dsfield.dscp", "-e", "vlan.priority"]);
  assert.equal(r.status, 0, r.stderr);
  return [...new Set(r.stdout.trim().split("\n"))].sort();
}

test("dscpForCm2Dvce 104 (AF31, an older QoS baseline's call signalling): every SCCP segment, the standby's too, carries DSCP 26 and CoS 3", () => {
  const { net, r, file } = boot("af31", { dscpForCm2Dvce: 104 });
  assert.equal(r.registered, true);
  const tl = net.phone.timeline;
  assert.ok(tl.some((e) => e.event === "dscp" && e.detail === "signalling DSCP 26: dscpForCm2Dvce 104"), tl.map((e) => `${e.event} ${e.detail}`).join("\n"));
  if (needs("tshark") !== false) return;
  assert.deepEqual(marks(file), ["192.0.2.11\t26\t3", "192.0.2.12\t26\t3"]);
});

test("CUCM's default dscpForCm2Dvce 96, and no DSCP element at all: CS3 (24), CoS 3", () => {
  const given = boot("cs3", { dscpForCm2Dvce: 96 });
  assert.ok(given.net.phone.timeline.some((e) => e.event === "dscp" && e.detail === "signalling DSCP 24 (CS3): dscpForCm2Dvce 96"));
  const absent = boot("none", {});
  assert.ok(!absent.net.phone.timeline.some((e) => e.event === "dscp"));
  if (needs("tshark") !== false) return;
  for (const f of [given.file, absent.file]) assert.deepEqual(marks(f), ["192.0.2.11\t24\t3", "192.0.2.12\t24\t3"]);
});

test("dscpForCm2Dvce out of range (a DSCP written where CUCM writes the TOS byte with ECN bits, 97): the file is refused, stage 5 says so", () => {
  const { net, r } = boot("bad", { dscpForCm2Dvce: 97 });
  assert.equal(r.registered, false);
  assert.match(net.phone.report().causes.tftp ?? "", /configuration file rejected: bad value/);
});

test("lines from the configuration: the SEP file's <lines> (number, display name) are what the CallManagers answer LineStat with", () => {
  const lines = [{ dirNumber: "2001", displayName: "Front desk" }, { dirNumber: "2002", displayName: "Back office & Co <2>" }];
  const xml = cnfXml({ callManagers: [{ host: "192.0.2.11" }], lines });
  assert.match(xml, /<lines>\n<line button="1">\n<featureID>9<\/featureID>\n<featureLabel>2001<\/featureLabel>\n<name>2001<\/name>\n<displayName>Front desk<\/displayName>/);
  assert.deepEqual(cnfLines(xml), lines);
  assert.equal(cnfLines(cnfXml({ callManagers: [{ host: "192.0.2.11" }] })), null);
  assert.throws(() => cnfXml({ callManagers: [{ host: "192.0.2.11" }], lines: [{ dirNumber: "20 01", displayName: "" }] }), /directory number/);
  const { net, r } = boot("lines", { lines });
  assert.equal(r.registered, true);
  const report = net.phone.report();
  assert.equal(report.lcd, "Registered | 2001 Front desk | 2002 Back office & Co <2> | 2026-12-02 09:00");
  const cm1 = net.callManagers[0].logic;
  assert.deepEqual(cm1.registrations()[0].lines, lines);
  assert.deepEqual(cm1.devices().map((d) => d.lines), [lines]);
  // The phone asked LineStat for both line buttons of the template the lines made.
  assert.equal(net.callManagers[0].events.filter((e) => e.type === "setup" && e.detail === "LineStatReq").length, 2);
  // The file the TFTP server serves is the CallManagers' source: changed, the next registration has the new line.
  net.tftp.files.set(sepFileName(DEFAULT_PHONE_MAC), new TextEncoder().encode(cnfXml({ callManagers: [{ host: "192.0.2.11" }], lines: [lines[0]] })));
  assert.deepEqual(net.callManagers[1].logic.lines("SEP001B54C2A710"), [lines[0]]);
  // Without <lines> (and for a device without a SEP file): one line from the MAC, as before.
  const plain = boot("no-lines", {});
  assert.deepEqual(plain.net.callManagers[0].logic.registrations()[0].lines, [{ dirNumber: "3768", displayName: "Phone 3768" }]);
});

test("scenarios: config.lines and config.dscp_for_cm2dvce write the SEP file's <lines> and dscpForCm2Dvce; bad values name the field", () => {
  const sc = parseScenario(JSON.stringify({ tftp: { files: { "SEP<MAC>.cnf.xml": { config: { lines: [{ number: "1001", name: "Alice" }], dscp_for_cm2dvce: 104 } } } } }), "s.json");
  const file = Object.values(sc.network.tftpFiles ?? {})[0];
  assert.ok(file !== undefined);
  const xml = new TextDecoder().decode(file);
  assert.deepEqual(cnfLines(xml), [{ dirNumber: "1001", displayName: "Alice" }]);
  assert.match(xml, /<dscpForCm2Dvce>104<\/dscpForCm2Dvce>/);
  const bad = (config: object) => () => parseScenario(JSON.stringify({ tftp: { files: { "SEP<MAC>.cnf.xml": { config } } } }), "s.json");
  assert.throws(bad({ lines: [{ number: "10 01" }] }), /^ScenarioError: scenario s\.json: .*config\.lines\[0\]\.number must be 1 to 24 of 0-9 \* # \+, got "10 01"$|config\.lines\[0\]\.number must be 1 to 24 of 0-9 \* # \+, got "10 01"/);
  assert.throws(bad({ lines: [{ number: "1001", label: "x" }] }), /lines\[0\]/);
  assert.throws(bad({ dscp_for_cm2dvce: 256 }), /dscp_for_cm2dvce must be an integer 0\.\.255/);
});
