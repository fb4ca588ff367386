// lldpd on the switch side sends CDPv2 and LLDP-MED with a voice VLAN; the
// phone learns it, tags, and leases from a dnsmasq listening on that VLAN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { explain, labUnavailable, withLab, type PhoneRun } from "./peers/lab.js";

const VOICE_VLAN = 110;
const MAC = "00:1b:54:c2:a7:31";

function report(run: PhoneRun): Record<string, unknown> {
  assert.ok(run.report, `no JSON report; status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  return run.report;
}

test("lldpd announces voice VLAN 110 by LLDP-MED; the phone tags and leases on it; lldpcli sees SEP<MAC>", { skip: labUnavailable("lldpd", "lldpcli", "dnsmasq"), timeout: 180_000 }, async () => {
  await withLab({ voiceVlan: VOICE_VLAN }, async (lab) => {
    const ctl = lab.file("lldpd.socket");
    // -cc: CDPv2 sent and received; -M 4: an LLDP-MED network connectivity device; vx0 is the phone's port.
    await lab.start("lldpd", ["lldpd", "-d", "-cc", "-M", "4", "-I", "vx0", "-u", ctl], () => existsSocket(ctl));
    const cli = (...args: string[]) => lab.inSwitch("lldpcli", "-u", ctl, ...args);
    cli("configure", "lldp", "tx-interval", "1");
    cli("configure", "med", "policy", "application", "voice", "tagged", "vlan", String(VOICE_VLAN), "priority", "voice", "dscp", "46");
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", "--dhcp-option=150,192.0.2.10",
      `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    const run = await lab.phone(0, "--mac", MAC, "--stay", "2");
    assert.equal(run.status, 0, explain(run));
    const r = report(run);
    assert.equal(r.vlan, VOICE_VLAN);
    assert.equal(r.vlan_source, "lldp");
    assert.match(String(r.ip), /^192\.0\.2\.\d+$/);
    const neighbors = cli("show", "neighbors", "details");
    assert.match(neighbors, /SEP001B54C2A731/);
    assert.match(lab.read("leases"), /00:1b:54:c2:a7:31/);
  });
});

function existsSocket(path: string): boolean {
  return spawnSync("test", ["-S", path]).status === 0;
}
