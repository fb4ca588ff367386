// Stage 3 on the simulated network: the voice VLAN from CDP or LLDP-MED,
// 802.1Q tagging of everything after it, and the untagged fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNetwork, bootPhone, type Network, type NetworkOptions } from "../host/sim/network.js";
import { needs, run } from "./helpers/tools.js";
import { CdpTlv, encodeCdp, text } from "../host/wire/cdp.js";

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
/** Malformed frames, or expert info of warning level or worse, less TFTP's "file not found" for the CTL and ITL a non-secure cluster lacks. */
const NOT_CLEAN = "(_ws.malformed || _ws.expert.severity >= 0x00600000) && !(tftp.error.code == 1)";

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
  assert.deepEqual(tshark(file, NOT_CLEAN), []);
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

test("CDP power as a Catalyst reads it: non-zero request ids, the switch's management id echoed, the legacy TLV, the address once bound", { skip: needs("tshark") }, () => {
  const { net, bound } = boot({});
  assert.equal(bound, true);
  const file = capture(net, "power.pcap");
  const fromPhone = `eth.src == ${PHONE_MAC} && cdp`;
  const fromSwitch = `eth.src != ${PHONE_MAC} && cdp`;
  const phone = tshark(file, fromPhone, "frame.time_epoch", "cdp.request_id", "cdp.management_id", "cdp.power_requested", "cdp.power_consumption", "cdp.nrgyz.ip_address")
    .map((l) => l.split("|"));
  const sw = tshark(file, fromSwitch, "frame.time_epoch", "cdp.request_id", "cdp.management_id").map((l) => l.split("|"));
  assert.ok(phone.length >= 3);
  for (const [, req, , mw, legacy] of phone) {
    assert.notEqual(Number(req), 0, "request id 0 is no request");
    assert.equal(mw, "6300");
    assert.equal(legacy, "6300", "the 0x10 TLV of 79xx phones");
  }
  // Each request echoes a management id the switch announced before it (0 before any; a
  // frame in flight may carry a newer one), and once settled the last one the switch sent.
  for (const [t, , mgmt] of phone) {
    const seen = ["0", ...sw.filter(([ts]) => Number(ts) < Number(t)).map((l) => l[2])];
    assert.ok(seen.includes(mgmt), `request at ${t}s echoes ${mgmt}, switch sent ${seen}`);
  }
  assert.equal(phone[phone.length - 1][2], sw[sw.length - 1][2]);
  // Request ids change when the switch's management id does, and the switch answers the last one.
  const ids = [...new Set(phone.map(([, req]) => req))];
  assert.ok(ids.length >= 2, ids.join(","));
  assert.equal(sw[sw.length - 1][1], phone[phone.length - 1][1]);
  // The Addresses TLV: none before the lease, the leased address after it (sent at once, not a minute later).
  const boundAt = (net.phone.timeline.find((e) => e.event === "bound")?.t_ms ?? 0) / 1000;
  const after = phone.filter(([t]) => Number(t) >= boundAt - 1e-6);
  const before = phone.filter(([t]) => Number(t) < boundAt - 1e-6);
  assert.ok(before.length >= 1 && before.every((l) => l[5] === ""), "no address before the lease");
  assert.ok(after.length >= 1 && Number(after[0][0]) - boundAt < 0.01, "an announcement at the lease");
  for (const l of after) assert.equal(l[5], "192.0.2.50");
  // The switch's view: show cdp neighbors detail has the address; the allocation is what the phone asked.
  const last = net.discovery.neighbors.filter((n) => n.protocol === "cdp").pop();
  assert.deepEqual(last?.addresses, ["192.0.2.50"]);
  assert.equal(last?.powerMw, 6300);
  assert.equal(net.poe.status(0).allocatedMw, 6300);
  assert.deepEqual(tshark(file, NOT_CLEAN), []);
});

test("the simulated Catalyst: request id 0 is no request; the legacy Power TLV sets the allocation then", () => {
  const net = buildNetwork({ seed: 21 });
  assert.equal(bootPhone(net).bound, true);
  const mac = Uint8Array.of(0x00, 0x1b, 0x54, 0xc2, 0xa7, 0x10);
  const power = (mw: number) => ({ type: CdpTlv.Power, value: Uint8Array.of(mw >> 8, mw & 0xff) });
  const requested = (id: number, mw: number) => {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setUint16(0, id);
    new DataView(v.buffer).setUint32(4, mw);
    return { type: CdpTlv.PowerRequested, value: v };
  };
  const name = { type: CdpTlv.DeviceId, value: text("SEP001B54C2A710") };
  net.discovery.receive(encodeCdp(mac, [name, power(5000), requested(0, 9000)]));
  assert.equal(net.poe.status(0).allocatedMw, 5000, "request id 0 ignored, 0x10 read");
  net.discovery.receive(encodeCdp(mac, [name, power(5000), requested(7, 5500)]));
  assert.equal(net.poe.status(0).allocatedMw, 5500, "a real request wins over 0x10");
  assert.equal(net.poe.cdpPowerAvailable(0)?.requestId, 7, "answered by its id");
});

for (const announce of ["cdp", "lldp"] as const) {
  test(`voice VLAN 0 from ${announce} (switchport voice vlan dot1p): priority tags, VID 0 and priority 5, on the native VLAN`, { skip: needs("tshark") }, () => {
    const { net, bound } = boot({ voiceVlan: 0, announce, serverVlan: 1 });
    assert.equal(bound, true);
    assert.equal(net.phone.report().vlan, 0);
    assert.equal(net.phone.timeline.find((e) => e.event === "vlan learned")?.detail, `voice VLAN 0 (802.1p priority tags on the native VLAN) from ${announce}`);
    assert.equal(net.phone.timeline.some((e) => e.event === "vlan none"), false, "announced: no 10 s wait");
    const file = capture(net, `dot1p-${announce}.pcap`);
    const tagged = tshark(file, `eth.src == ${PHONE_MAC} && (dhcp || arp)`, "vlan.id", "vlan.priority");
    assert.ok(tagged.length >= 7);
    for (const l of tagged) assert.equal(l, "0|5");
  });

  test(`voice VLAN 4095 from ${announce} (switchport voice vlan untagged): untagged on the native VLAN`, { skip: needs("tshark") }, () => {
    const { net, bound } = boot({ voiceVlan: 4095, announce, serverVlan: 1 });
    assert.equal(bound, true);
    assert.equal(net.phone.report().vlan, 4095);
    assert.equal(net.phone.timeline.find((e) => e.event === "vlan learned")?.detail, `voice VLAN 4095 (untagged on the native VLAN) from ${announce}`);
    assert.equal(net.phone.timeline.some((e) => e.event === "vlan none"), false);
    const file = capture(net, `untagged-${announce}.pcap`);
    assert.ok(tshark(file, `eth.src == ${PHONE_MAC} && dhcp`).length >= 2);
    assert.deepEqual(tshark(file, `eth.src == ${PHONE_MAC} && vlan`), []);
  });
}

test("tshark: LLDP-MED as Cisco phones send it: chassis ID the voice address once bound, port ID the MAC, Port 1, Bridge and Telephone, MAC/PHY", { skip: needs("tshark") }, () => {
  const { net, bound } = boot({ announce: "lldp" });
  assert.equal(bound, true);
  const file = capture(net, "lldp-cisco.pcap");
  const rows = tshark(file, `eth.src == ${PHONE_MAC} && lldp`, "frame.time_epoch", "lldp.chassis.subtype", "lldp.chassis.id.ip4", "lldp.port.subtype",
    "lldp.port.id.mac", "lldp.port.desc", "lldp.tlv.system_cap", "lldp.ieee.802_3.pmd_mau_type", "lldp.time_to_live").map((l) => l.split("|"));
  assert.ok(rows.length >= 3);
  const boundAt = (net.phone.timeline.find((e) => e.event === "bound")?.t_ms ?? 0) / 1000;
  for (const [t, chassis, ip, port, mac, desc, caps, mau, ttl] of rows) {
    assert.deepEqual([chassis, port, mac, desc, caps, mau, ttl], ["5", "3", PHONE_MAC, "Port 1", "0x0024", "0x0010", "180"]);
    assert.equal(ip, Number(t) < boundAt - 1e-6 ? "0.0.0.0" : "192.0.2.50", `at ${t}s`);
  }
  assert.ok(rows.some(([t]) => Math.abs(Number(t) - boundAt) < 0.01), "an LLDPDU at the lease");
  assert.deepEqual(tshark(file, NOT_CLEAN), []);
});
