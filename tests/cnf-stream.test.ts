// Issue 18: the configuration read as it streams. A CUCM-style SEP file of
// 64 KiB (vendorConfig, phone services, comments, CDATA, three lines), four
// times the old 16 KiB buffer, is served by the simulated TFTP server; the
// phone reads it block by block and registers with the CallManagers it
// names. A file past the phone's bound (256 KiB) is refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone, CALLMANAGERS, DEFAULT_LOAD, DEFAULT_PHONE_MAC, sepFileName, type Network } from "../host/sim/network.js";
import { cnfLines, cnfXml } from "../host/sim/cnf.js";

const SEP = sepFileName(DEFAULT_PHONE_MAC);
const LINES = [
  { dirNumber: "2001", displayName: "Front desk" },
  { dirNumber: "2002", displayName: "Back office" },
  { dirNumber: "2003", displayName: "Lobby" },
];
/** The phone reads files up to this size (CNF_MAX_FILE in assembly/phone/config.ts). */
const BOUND = 262144;

function file(size: number): Uint8Array {
  // Members out of priority order, one on another port (the simulated CallManagers listen on 2000 only: the phone registers with priority 0).
  const callManagers = [
    { host: CALLMANAGERS[2], priority: 2 },
    { host: CALLMANAGERS[0], priority: 0 },
    { host: CALLMANAGERS[1], priority: 1 },
  ];
  return new TextEncoder().encode(cnfXml({ callManagers, load: DEFAULT_LOAD, lines: LINES, dscpForCm2Dvce: 96, size }));
}

function events(net: Network, name: string): string[] {
  return net.phone.timeline.filter((e) => e.event === name).map((e) => e.detail);
}

for (const options of ["rfc2347", "ignore"] as const) {
  test(`a 64 KiB CUCM-style configuration (${options === "rfc2347" ? "1428-byte blocks" : "512-byte blocks, no options"}): read as it streams, the phone registers with the CallManagers it names`, () => {
    const cnf = file(65536);
    assert.ok(cnf.length >= 65536 && cnf.length < 66560, `${cnf.length} bytes`);
    const text = new TextDecoder().decode(cnf);
    for (const part of ["<vendorConfig>", "<phoneServices useHTTPS=\"false\">", "<!--", "<![CDATA[", "<lines>"]) assert.ok(text.includes(part), part);
    assert.deepEqual(cnfLines(cnf), LINES);
    const net = buildNetwork({ seed: 18, tftpFiles: { [SEP]: cnf }, tftp: { options } });
    const r = bootPhone(net, 120_000);
    const tl = net.phone.timeline.map((e) => `${e.event} ${e.detail}`).join("\n");
    assert.equal(r.registered, true, tl);
    assert.ok(events(net, "done").some((d) => d.startsWith(`${cnf.length} bytes`)), tl);
    if (options === "rfc2347") assert.ok(events(net, "size").includes(`${cnf.length} bytes (room for ${BOUND})`), tl);
    assert.deepEqual(events(net, "config"), ["3 CallManagers, protocol SCCP"]);
    assert.deepEqual(events(net, "call manager"), ["priority 0: 192.0.2.11 port 2000", "priority 1: 192.0.2.12 port 2000", "priority 2: 192.0.2.13 port 2000"]);
    assert.ok(events(net, "registered").some((d) => d.startsWith("with CM1")), tl);
    assert.deepEqual(net.callManagers[0].logic.devices().map((d) => d.lines), [LINES]);
  });
}

test(`a configuration past the bound (${BOUND} bytes): refused from its tsize, or at the bound without options; the cause named; the phone does not register`, () => {
  const cnf = file(BOUND + 1);
  assert.ok(cnf.length > BOUND);
  for (const options of ["rfc2347", "ignore"] as const) {
    const net = buildNetwork({ seed: 19, tftpFiles: { [SEP]: cnf }, tftp: { options } });
    const r = bootPhone(net, 30_000);
    assert.equal(r.registered, false, options);
    assert.equal(net.phone.lcd, "Configuration error", options);
    assert.ok(events(net, "config failed").includes("configuration file rejected: too large"), options);
    assert.ok(events(net, "abort").includes(`sent ERROR 3 (too large for its destination) after ${options === "rfc2347" ? 0 : BOUND} bytes`), `${options}: ${events(net, "abort").join("; ")}`);
  }
  // Exactly the bound is read.
  const edge = file(BOUND - 600);
  const padded = new Uint8Array(BOUND);
  padded.set(edge);
  padded.fill(0x20, edge.length);
  const net = buildNetwork({ seed: 20, tftpFiles: { [SEP]: padded } });
  assert.equal(bootPhone(net, 120_000).registered, true, net.phone.timeline.map((e) => `${e.event} ${e.detail}`).join("\n"));
});
