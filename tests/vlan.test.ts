// Stage 3 on the simulated network: the voice VLAN from CDP or LLDP-MED,
// 802.1Q tagging of everything after it, and the untagged fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNetwork, bootPhone, type Network, type NetworkOptions } from "../host/sim/network.js";
import { needs, run } from "./helpers/tools.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-vlan-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function boot(opts: Omit<NetworkOptions, "seed"> & { seed?: number }): { net: Network; bound: boolean } {
  const net = buildNetwork({ seed: 21, pcap: true, ...opts });
  return { net, bound: bootPhone(net).bound };
}

function capture(net: Network, name: string): string {
  const file = join(tmp, name);
  writeFileSync(file, net.pcap!.toBuffer());
  return file;
}

function tshark(file: string, filter: string, ...fields: string[]): string[] {
  const args = ["-r", file, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-Y", filter];
  if (fields.length) args.push("-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f]));
  const r = run("tshark", args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

const PHONE_MAC = "00:1b:54:c2:a7:10";

test("the default network: voice VLAN 110 from CDP, and the phone's traffic tagged from then on", () => {
  const { net, bound } = boot({});
  assert.equal(bound, true);
  const r = net.phone.report();
  assert.equal(r.vlan, 110);
  assert.equal(r.vlan_source, "cdp");
  assert.equal(r.ip, "192.0.2.50");
  const learned = net.phone.timeline.find((e) => e.event === "vlan learned");
  assert.equal(learned?.detail, "voice VLAN 110 from cdp");
  assert.ok(net.discovery.neighbors.some((n) => n.protocol === "cdp" && n.deviceId === "SEP001B54C2A710"));
});

test("tshark: DHCP and ARP from the phone are tagged VID 110 with priority 5; CDP and LLDP are good", { skip: needs("tshark") }, () => {
  const { net } = boot({ announce: "both" });
  const file = capture(net, "both.pcap");
  const fromPhone = `eth.src == ${PHONE_MAC}`;
  const tagged = tshark(file, `${fromPhone} && (dhcp || arp)`, "vlan.id", "vlan.priority");
  assert.ok(tagged.length >= 7, tagged.join("\n"));
  for (const l of tagged) assert.equal(l, "110|5");
  assert.deepEqual(tshark(file, `${fromPhone} && (dhcp || arp) && !vlan`), []);
  const cdp = tshark(file, `${fromPhone} && cdp`, "cdp.deviceid", "cdp.checksum.status", "cdp.software_version", "cdp.platform");
  assert.ok(cdp.length >= 3, "fast start");
  // checksum status 1: good
  for (const l of cdp) assert.equal(l, "SEP001B54C2A710|1|P0030801SR01|Cisco IP Phone 7960");
  const lldp = tshark(file, `${fromPhone} && lldp`, "lldp.tlv.system.name");
  assert.ok(lldp.length >= 3);
  // No malformed packet and no expert info of warning level or worse (0x00600000); SYNs are "chat".
  assert.deepEqual(tshark(file, "_ws.malformed || _ws.expert.severity >= 0x00600000"), []);
});

test("LLDP-MED alone gives the VLAN", () => {
  const { net, bound } = boot({ announce: "lldp" });
  assert.equal(bound, true);
  assert.equal(net.phone.report().vlan, 110);
  assert.equal(net.phone.report().vlan_source, "lldp");
});

test("with both, CDP wins", () => {
  const { net, bound } = boot({ announce: "both" });
  assert.equal(bound, true);
  assert.equal(net.phone.report().vlan_source, "cdp");
  assert.equal(net.phone.timeline.filter((e) => e.event === "vlan learned").length, 1);
});

test("with no CDP or LLDP the phone waits 10 s, then stays untagged on the native VLAN", { skip: needs("tshark") }, () => {
  const { net, bound } = boot({ announce: "none", serverVlan: 1 });
  assert.equal(bound, true);
  const r = net.phone.report();
  assert.equal(r.vlan, null);
  assert.equal(r.vlan_source, null);
  const start = net.phone.timeline.find((e) => e.stage === "vlan" && e.event === "start");
  const none = net.phone.timeline.find((e) => e.event === "vlan none");
  assert.equal((none?.t_ms ?? 0) - (start?.t_ms ?? 0), 10_000);
  const file = capture(net, "none.pcap");
  assert.deepEqual(tshark(file, "vlan"), []);
  assert.ok(tshark(file, `eth.src == ${PHONE_MAC} && dhcp`).length >= 2);
});

test("a voice VLAN announced while the DHCP server sits on another VLAN leaves the phone without an address", () => {
  const { net, bound } = boot({ serverVlan: 1 });
  assert.equal(bound, false);
  assert.equal(net.phone.report().vlan, 110);
  assert.ok(net.switch.stats.vlanDropped === 0, "the switch never saw a foreign tag");
});

test("a new voice VLAN from CDP later makes the phone get an address on it", () => {
  const net = buildNetwork({ seed: 23 });
  assert.equal(bootPhone(net).bound, true);
  net.switch.configurePort(0, { accessVlan: 1, voiceVlan: 120 });
  net.switch.configurePort(7, { accessVlan: 120 });
  net.discovery.triggerCdp();
  net.scheduler.run({ untilUs: net.scheduler.now + 30_000_000, until: () => net.phone.report().vlan === 120 && net.phone.isBound });
  const r = net.phone.report();
  assert.equal(r.vlan, 120);
  assert.equal(r.bound, true);
  assert.ok(net.phone.timeline.some((e) => e.event === "vlan changed" && e.detail === "voice VLAN 110 -> 120: DHCP again"));
  assert.equal(net.phone.timeline.filter((e) => e.event === "DISCOVER").length, 2);
});
