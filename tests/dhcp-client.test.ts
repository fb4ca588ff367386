// Stage 4 as DHCP servers see a Cisco phone: the 79xx fingerprint (option 55
// in its order), RFC 2131's initial random delay, and INIT-REBOOT with the
// lease kept in the flash preferences after a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNetwork, bootPhone, PORTS, type Network } from "../host/sim/network.js";
import { needs, run } from "./helpers/tools.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-dhcp-client-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const at = (net: Network, event: string) => net.phone.timeline.filter((e) => e.stage === "dhcp" && e.event === event).map((e) => e.t_ms);

test("the simulated server logs the phone's fingerprint: FingerBank's Cisco IP Phone 1,66,6,3,15,150,35", () => {
  const net = buildNetwork({ seed: 3 });
  assert.equal(bootPhone(net).registered, true);
  assert.deepEqual([...net.dhcp.core.fingerprints.values()], ["1,66,6,3,15,150,35"]);
});

test("RFC 2131 4.4.1: the first DISCOVER waits 1 to 10 s after DHCP starts, differently per seed", () => {
  const waits = new Set<number>();
  for (const seed of [1, 2, 3, 4, 5]) {
    const net = buildNetwork({ seed });
    bootPhone(net);
    const wait = at(net, "DISCOVER")[0] - at(net, "start")[0];
    assert.ok(wait >= 1000 && wait <= 10_000, `seed ${seed}: ${wait} ms`);
    waits.add(wait);
  }
  assert.ok(waits.size >= 4, [...waits].join(","));
});

test("a restart within the lease goes INIT-REBOOT: REQUEST with option 50, no server id, no DISCOVER; tshark agrees", { skip: needs("tshark") }, () => {
  const net = buildNetwork({ seed: 5, pcap: true });
  assert.equal(bootPhone(net).registered, true);
  assert.equal(at(net, "DISCOVER").length, 1);
  const restartMs = net.phone.nowMs;
  net.poe.unplug(PORTS.phone);
  net.scheduler.run({ untilUs: net.scheduler.now + 5_000_000 });
  const again = bootPhone(net);
  assert.equal(again.registered, true);
  assert.equal(at(net, "DISCOVER").length, 1, "no DISCOVER after the restart");
  const requests = net.phone.timeline.filter((e) => e.event === "REQUEST" && e.t_ms > restartMs);
  assert.deepEqual(requests.map((e) => e.detail), ["192.0.2.50 (rebooting)"]);
  // No initial delay: the REQUEST goes as DHCP starts.
  assert.equal(requests[0].t_ms, at(net, "start").pop());
  const file = join(tmp, "reboot.pcap");
  writeFileSync(file, net.pcap!.toBuffer());
  const r = run("tshark", ["-r", file, "-Y", "dhcp.option.dhcp == 3", "-T", "fields", "-E", "separator=|",
    "-e", "frame.time_epoch", "-e", "dhcp.option.requested_ip_address", "-e", "dhcp.option.dhcp_server_id", "-e", "dhcp.ip.client"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => l.split("|"));
  const last = rows.filter(([t]) => Number(t) * 1000 > restartMs);
  assert.equal(last.length, 1, r.stdout);
  assert.deepEqual(last[0].slice(1), ["192.0.2.50", "", "0.0.0.0"]);
});

test("INIT-REBOOT on a network whose server has no record of the phone: silence, then INIT after two tries", () => {
  const first = buildNetwork({ seed: 6 });
  const flash = first.phone.flash;
  assert.equal(bootPhone(first).registered, true);
  // The same phone (its flash) on another network: a fresh server that never leased to it.
  const net = buildNetwork({ seed: 6, phone: { flash } });
  assert.equal(bootPhone(net).registered, true);
  const requests = net.phone.timeline.filter((e) => e.event === "REQUEST").map((e) => e.detail);
  assert.deepEqual(requests.slice(0, 2), ["192.0.2.50 (rebooting)", "192.0.2.50 (rebooting)"]);
  assert.equal(at(net, "DISCOVER").length, 1);
  assert.ok(net.phone.timeline.some((e) => e.event === "give up" || /back to init/.test(e.detail)), "gave INIT-REBOOT up");
});
