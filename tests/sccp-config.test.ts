// What the phone's configuration file sets for registration (issue 17):
// the DSCP of the SCCP signalling from dscpForCm2Dvce (CS3 without it). The
// whole phone (phone.wasm) on the simulated network, its capture read back.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs, run } from "./helpers/tools.js";
import { buildNetwork, bootPhone, CALLMANAGERS, DEFAULT_LOAD, DEFAULT_PHONE_MAC, sepFileName } from "../host/sim/network.js";
import { cnfXml } from "../host/sim/cnf.js";

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
