// Stage 5 as a CUCM cluster sees a phone: CTLSEP<MAC>.tlv and ITLSEP<MAC>.tlv
// asked first (missing on a non-secure cluster), then SEP<MAC>.cnf.xml, and
// the configuration's deviceSecurityMode read: this phone has no trust list
// and no TLS, so modes 2 and 3 are reported rather than registered in clear.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNetwork, bootPhone, defaultConfig, type Network } from "../host/sim/network.js";
import { cnfXml } from "../host/sim/cnf.js";
import { needs, run } from "./helpers/tools.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-tftp-security-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const SEP = "SEP001B54C2A710.cnf.xml";
const files = (net: Network) => net.phone.timeline.filter((e) => e.event === "file").map((e) => e.detail);
const sep = (securityMode: 1 | 2 | 3) => new TextEncoder().encode(cnfXml({ callManagers: [{ host: "192.0.2.11" }], load: "P0030801SR01", securityMode }));

test("tshark on the default capture: RRQs for CTL, ITL, then the SEP file; ERROR 1 for the first two; registered", { skip: needs("tshark") }, () => {
  const net = buildNetwork({ seed: 11, pcap: true });
  assert.equal(bootPhone(net).registered, true);
  const file = join(tmp, "default.pcap");
  writeFileSync(file, net.pcap!.toBuffer());
  const r = run("tshark", ["-r", file, "-Y", "tftp.opcode == 1 || tftp.opcode == 5", "-T", "fields", "-E", "separator=|", "-e", "tftp.opcode", "-e", "tftp.source_file", "-e", "tftp.error.code"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["1|CTLSEP001B54C2A710.tlv|", "5||1", "1|ITLSEP001B54C2A710.tlv|", "5||1", `1|${SEP}|`]);
  assert.equal(net.phone.timeline.find((e) => e.event === "security")?.detail, "deviceSecurityMode 1 (non-secure)");
  assert.equal(net.phone.report().causes.tftp, undefined, "missing CTL and ITL are no trouble");
});

test("a cluster with CTL and ITL files: both read (and dropped), then the SEP file", () => {
  const ctl = new Uint8Array(5000).fill(0x5a);
  const itl = new Uint8Array(9000).fill(0xa5);
  const net = buildNetwork({ seed: 12, tftpFiles: { "CTLSEP001B54C2A710.tlv": ctl, "ITLSEP001B54C2A710.tlv": itl, [SEP]: defaultConfig() } });
  assert.equal(bootPhone(net).registered, true);
  assert.deepEqual(files(net), ["CTLSEP001B54C2A710.tlv", "ITLSEP001B54C2A710.tlv", SEP]);
  const done = net.phone.timeline.filter((e) => e.stage === "tftp" && e.event === "done").map((e) => e.detail.split(" ")[0]);
  assert.deepEqual(done.slice(0, 2), ["5000", "9000"]);
});

for (const mode of [2, 3] as const) {
  test(`deviceSecurityMode ${mode}: reported, stage 5 fails, no registration in clear`, () => {
    const net = buildNetwork({ seed: 13, tftpFiles: { [SEP]: sep(mode) } });
    const result = bootPhone(net, 40_000);
    assert.equal(result.registered, false);
    const failed = net.phone.timeline.find((e) => e.event === "config failed");
    assert.equal(failed?.stage, "tftp");
    assert.match(failed?.detail ?? "", new RegExp(`^deviceSecurityMode ${mode} \\(${mode === 2 ? "authenticated" : "encrypted"}\\) needs a CTL and TLS`));
    assert.equal(net.phone.timeline.find((e) => e.event === "security")?.detail, `deviceSecurityMode ${mode} (${mode === 2 ? "authenticated" : "encrypted"})`);
    assert.equal(net.phone.lcd, "Configuration error");
    assert.equal(net.phone.timeline.some((e) => e.stage === "register"), false, "no StationRegister in clear");
  });
}

test("deviceSecurityMode 1 written explicitly registers; a value out of 1-3 is a bad configuration", () => {
  assert.equal(bootPhone(buildNetwork({ seed: 14, tftpFiles: { [SEP]: sep(1) } })).registered, true);
  const bad = new TextEncoder().encode(new TextDecoder().decode(sep(1)).replace("<deviceSecurityMode>1<", "<deviceSecurityMode>7<"));
  const net = buildNetwork({ seed: 14, tftpFiles: { [SEP]: bad } });
  assert.equal(bootPhone(net, 30_000).registered, false);
  assert.match(net.phone.timeline.find((e) => e.event === "config failed")?.detail ?? "", /^configuration file rejected/);
});
