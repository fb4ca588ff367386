// The phone on an emulated board: QEMU's mps2-an386 (Cortex-M4) runs the
// wasm2c-translated bootloader and phone with the board's own drivers, its
// LAN9118 on a tap in the lab's bridge, its NOR flash in a file. Real dnsmasq
// (DHCP), tftpd-hpa (the configuration) and `ipphone callmanager`; the host
// only reads the board's console (`ipphone device run`). Skipped, with the
// Debian package named, where QEMU, the toolchain or namespaces are missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { CLI } from "./helpers/tools.js";
import { labUnavailable, SERVER_IP, sleep, withLab, type Lab } from "./peers/lab.js";
import { DEFAULT_LOAD } from "../host/sim/network.js";
import { boardToolsMissing, buildBoard } from "../host/device/board-phone.js";
import { boardImage } from "../host/device/board-image.js";
import { otherKey } from "../host/boot/testkit.js";
import { corrupt, PHONE_NEXT_WASM, qemuPidOf, serveImage, writeCnf } from "./peers/board-lab.js";

const MAC = "00:1b:54:c2:a7:51";
const DEVICE = "SEP001B54C2A751";
const TIMEOUT_S = 60;

interface Entry { t_ms: number; stage: string; event: string; detail: string }
const NEXT_LOAD = "P0030802SR01";
const NEXT_VERSION = "next-2 (phone-next.wasm)";
interface BoardReport { counters: { all: Record<string, number> }; registered: boolean; bound: boolean; ip: string | null; callmanager: string | null; mac: string; timeline: Entry[]; exit_code: number; board: { boots: number; notes: string[] } }

/** Starts the servers (TFTP root lab.file("tftp"), the SEP file naming `load`); returns dnsmasq's log so far, read when called. */
async function servers(lab: Lab, load = DEFAULT_LOAD): Promise<() => string> {
  const root = lab.file("tftp");
  mkdirSync(root);
  writeCnf(root, DEVICE, load);
  let dhcpLog = "";
  const dnsmasq = await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-dhcp", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
    `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-authoritative", "--no-ping", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m",
    `--dhcp-option=150,${SERVER_IP}`, `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
  await lab.start("tftpd-hpa", ["in.tftpd", "--foreground", "--address", `${SERVER_IP}:69`, "--secure", "--verbose", root],
    () => lab.inSwitch("ss", "-uln").includes(`${SERVER_IP}:69`));
  await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`, "--name", "CM1"], (log) => /listen/i.test(log));
  dnsmasq.stdout?.on("data", (d) => (dhcpLog += d));
  dnsmasq.stderr?.on("data", (d) => (dhcpLog += d));
  return () => dhcpLog;
}

/** The transaction ids of the board's DISCOVERs and REQUESTs, as dnsmasq --log-dhcp logged them ("<xid> DHCPREQUEST(br0) ... <mac>"). */
function xidsIn(log: string): Set<string> {
  const re = new RegExp(`(\\d+) DHCP(?:DISCOVER|REQUEST)\\(\\S+\\) .*${MAC}`, "gi");
  return new Set([...log.matchAll(re)].map((m) => m[1]));
}

/**
 * Frames from the bridge every 50 ms for `seconds`: to another station's MAC,
 * to a multicast group the phone did not join (33:33:00:00:00:01, outside the
 * two hash buckets of its groups), and a malformed LLDPDU to the LLDP group.
 */
const INJECT = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("br0", 0))
src = bytes.fromhex("020000000001")
frames = [bytes.fromhex("020000000099") + src + b"\\x88\\xb5" + bytes(46),
          bytes.fromhex("333300000001") + src + b"\\x88\\xb5" + bytes(46),
          bytes.fromhex("0180c200000e") + src + b"\\x88\\xcc" + bytes(46)]
end = time.time() + float(sys.argv[1])
while time.time() < end:
    for f in frames: s.send(f)
    time.sleep(0.05)
`;

/** A tap in the bridge, for QEMU's NIC. */
function tap(lab: Lab, name: string): void {
  lab.inSwitch("ip", "tuntap", "add", "dev", name, "mode", "tap");
  lab.inSwitch("ip", "link", "set", name, "master", "br0");
  lab.inSwitch("ip", "link", "set", name, "up");
}

/** tap0 in the bridge and a flash file (factory data + slot A) written by `ipphone device flash`, within 30 s. */
async function tapAndFlash(lab: Lab): Promise<string> {
  tap(lab, "tap0");
  const flash = lab.file("flash.bin");
  const made = await lab.start("device flash", [process.execPath, CLI, "device", "flash", "--board", "mps2-an386", "--mac", MAC, "--out", flash], () => true);
  const t = Date.now();
  while (made.exitCode === null && Date.now() - t < 30_000) await sleep(50);
  assert.equal(made.exitCode, 0, "device flash wrote the flash file");
  return flash;
}

/** `ipphone device run` in the switch namespace (the lab stops it by PID if it outlives the test); its JSON report. */
async function boardRun(lab: Lab, flash: string, until: string): Promise<{ report: BoardReport | null; log: string }> {
  let log = "";
  const p = await lab.start("device run", [process.execPath, CLI, "device", "run", "--board", "mps2-an386", "--flash", flash, "--tap", "tap0",
    "--until", until, "--timeout", String(TIMEOUT_S), "--json"], () => true);
  p.stdout?.on("data", (d) => (log += d));
  p.stderr?.on("data", (d) => (log += d));
  const deadline = Date.now() + (TIMEOUT_S + 20) * 1000;
  while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(100);
  try {
    return { report: JSON.parse(log.slice(log.indexOf("{"))) as BoardReport, log };
  } catch {
    return { report: null, log };
  }
}

function explainBoard(r: { report: BoardReport | null; log: string }): string {
  if (!r.report) return r.log.slice(0, 3000);
  return `${r.report.timeline.map((e) => `${e.t_ms} ${e.stage} ${e.event} ${e.detail}`).join("\n")}\n${r.report.board.notes.join("\n")}`;
}

const skip = labUnavailable("dnsmasq", "in.tftpd") || boardToolsMissing();

/** A lab whose configuration names phone-next's board image (NEXT_LOAD, served), the board's tap and a flash with the old load in slot A. */
async function withNextLoadLab(body: (lab: Lab, flash: string) => Promise<void>): Promise<void> {
  assert.equal(buildBoard(), false);
  const next = boardImage(PHONE_NEXT_WASM, { loadName: NEXT_LOAD, version: NEXT_VERSION });
  await withLab({ phones: 0 }, async (lab) => {
    await servers(lab, NEXT_LOAD);
    serveImage(lab.file("tftp"), NEXT_LOAD, next);
    await body(lab, await tapAndFlash(lab));
  });
}

/** What the started images' own code announced, in order (the timeline's "version" notes). */
const versionsOf = (r: BoardReport): string[] => r.timeline.filter((e) => e.event === "version").map((e) => e.detail.replace(/^.* says it is /, ""));
const has = (r: BoardReport, event: RegExp, detail: RegExp) => r.timeline.some((e) => event.test(e.event) && detail.test(e.detail));

test("an upgrade to a different build: downloaded into slot B, reset, the NEW native code runs on trial (its version string), registers and confirms; the next boot keeps it", { skip, timeout: 600_000 }, async () => {
  await withNextLoadLab(async (lab, flash) => {
    const run = await boardRun(lab, flash, "registered");
    assert.ok(run.report, run.log);
    const r = run.report;
    assert.equal(r.exit_code, 0, explainBoard(run));
    assert.deepEqual(versionsOf(r), [DEFAULT_LOAD, NEXT_VERSION], `the factory load's code, then the new build's own code: ${explainBoard(run)}`);
    assert.ok(has(r, /^run$/i, new RegExp(`^${NEXT_LOAD} from slot B \\(trial\\)$`)), explainBoard(run));
    assert.equal(r.board.boots, 2, "one reset, into the new load");
    assert.equal(r.registered, true);
    // The confirmation is the firmware's: the next boot finds slot B confirmed and starts it again.
    const again = await boardRun(lab, flash, "bound");
    assert.ok(again.report, again.log);
    assert.ok(has(again.report, /^slot$/i, /^B confirmed$/), explainBoard(again));
    assert.deepEqual(versionsOf(again.report), [NEXT_VERSION], explainBoard(again));
  });
});

test("a corrupted board image, then one signed with another key: each downloaded into slot B and refused by the bootloader; the old load keeps running and registers", { skip, timeout: 600_000 }, async () => {
  assert.equal(buildBoard(), false);
  const badHash = corrupt(boardImage(PHONE_NEXT_WASM, { loadName: "P0030803SR01", version: "corrupt" }));
  const badKey = boardImage(PHONE_NEXT_WASM, { loadName: "P0030804SR01", version: "other-key", key: otherKey() });
  await withLab({ phones: 0 }, async (lab) => {
    const root = lab.file("tftp");
    await servers(lab, "P0030803SR01");
    serveImage(root, "P0030803SR01", badHash);
    serveImage(root, "P0030804SR01", badKey);
    const flash = await tapAndFlash(lab);
    for (const [load, why] of [["P0030803SR01", /^slot B: SHA-256/], ["P0030804SR01", /^slot B: signed with a key/]] as const) {
      writeCnf(root, DEVICE, load);
      const run = await boardRun(lab, flash, "registered");
      assert.ok(run.report, run.log);
      // Registered on the old load; the upgrade asked for did not happen: boot's exit 16.
      assert.equal(run.report.registered, true, explainBoard(run));
      assert.equal(run.report.exit_code, 16, explainBoard(run));
      assert.ok(has(run.report, /^rejected$/i, why), `${load}: ${explainBoard(run)}`);
      assert.ok(versionsOf(run.report).length >= 2 && versionsOf(run.report).every((v) => v === DEFAULT_LOAD), `only the old load's code ran: ${explainBoard(run)}`);
    }
  });
});

test("a power cut (QEMU killed) during the download of a new load: the board boots its old load from slot A, and upgrades on the next try", { skip, timeout: 600_000 }, async (t) => {
  await withNextLoadLab(async (lab, flash) => {
    // The board's port shaped to 400 kbit/s towards it (a token bucket that queues, never drops): ~100 KB take seconds, long enough to cut.
    if (spawnSync("ip", ["netns", "exec", lab.sw, "tc", "qdisc", "add", "dev", "tap0", "root", "tbf", "rate", "400kbit", "burst", "3000", "latency", "2s"]).status !== 0) {
      t.skip("needs tc's tbf qdisc (the kernel's sch_tbf module) to slow the download down enough to cut it");
      return;
    }
    let out = "";
    const p = await lab.start("device run (cut)", [process.execPath, CLI, "device", "run", "--board", "mps2-an386", "--flash", flash, "--tap", "tap0",
      "--until", "registered", "--timeout", String(TIMEOUT_S)], () => true);
    p.stdout?.on("data", (d) => (out += d));
    const t0 = Date.now();
    while (!/Upgrading firmware [1-9]\d?%/.test(out) && p.exitCode === null && Date.now() - t0 < TIMEOUT_S * 1000) await sleep(20);
    const qemu = qemuPidOf(p);
    assert.ok(qemu !== null && /Upgrading firmware [1-9]\d?%/.test(out), `the download under way, QEMU running: ${out}`);
    process.kill(qemu, "SIGKILL");
    while (p.exitCode === null && p.signalCode === null && Date.now() - t0 < (TIMEOUT_S + 10) * 1000) await sleep(50);
    assert.notEqual(p.exitCode, 0, "not registered: the power went");
    assert.doesNotMatch(out, /Upgrading firmware 100%/);
    lab.inSwitch("tc", "qdisc", "del", "dev", "tap0", "root");
    const after = await boardRun(lab, flash, "registered");
    assert.ok(after.report, after.log);
    assert.equal(after.report.exit_code, 0, explainBoard(after));
    const slotsAtPowerOn = after.report.timeline.filter((e) => /^slot$/i.test(e.event)).slice(0, 2).map((e) => e.detail);
    assert.deepEqual(slotsAtPowerOn, ["A confirmed", "B empty"], `the cut left slot B without a trailer: ${explainBoard(after)}`);
    assert.deepEqual(versionsOf(after.report), [DEFAULT_LOAD, NEXT_VERSION], explainBoard(after));
  });
});

test("the mps2-an386 board boots under QEMU on a tap: DHCP from dnsmasq, its configuration from tftpd-hpa, registered with ipphone callmanager; a second boot of the same flash uses another DHCP xid", { skip, timeout: 300_000 }, async () => {
  const why = buildBoard();
  assert.equal(why, false, String(why));
  await withLab({ phones: 0 }, async (lab) => {
    const dhcpLog = await servers(lab);
    const flash = await tapAndFlash(lab);

    const first = await boardRun(lab, flash, "registered");
    assert.ok(first.report, first.log);
    assert.equal(first.report.exit_code, 0, explainBoard(first));
    assert.equal(first.report.registered, true);
    assert.equal(first.report.callmanager, "CM1");
    assert.equal(first.report.mac, MAC, "the driver set the MAC of the factory data");
    assert.match(first.report.ip ?? "", /^192\.0\.2\.(5\d|[6-9]\d)$/);
    assert.ok(first.report.board.notes.some((n) => n.includes("LAN9118 id 01180001")), explainBoard(first));
    // dnsmasq's own record: the board's MAC, the address it reported.
    assert.match(readFileSync(lab.file("leases"), "utf8"), new RegExp(`${MAC} ${first.report.ip!.replace(/\./g, "\\.")} `, "i"));

    const firstXids = xidsIn(dhcpLog());
    assert.ok(firstXids.size > 0, dhcpLog());
    const before = dhcpLog().length;
    await lab.start("inject", ["python3", "-c", INJECT, "40"], () => true);
    const second = await boardRun(lab, flash, "bound");
    assert.ok(second.report, second.log);
    assert.equal(second.report.bound, true, explainBoard(second));
    // The second boot asks for its remembered address (REQUEST, rebooting): dnsmasq's log has its xid.
    const secondXids = xidsIn(dhcpLog().slice(before));
    assert.ok(secondXids.size > 0, dhcpLog());
    for (const x of secondXids) assert.ok(!firstXids.has(x), `xid ${x} of the second boot was drawn in the first too:\n${dhcpLog()}`);
    // The MAC's filter (not promiscuous, as QEMU leaves it): the LLDP group gets through, the other station's and the other group's frames do not.
    const c = second.report.counters.all;
    assert.ok(c.drop_lldp_malformed > 0, `the LLDP group passes the hash filter: ${JSON.stringify(c)}`);
    assert.equal(c.drop_eth_not_for_us, 0, `frames for another MAC or group never reach the firmware: ${JSON.stringify(c)}`);
  });
});

test("device run on a tap with no servers: it gives up at --timeout with the stage that failed, and QEMU is gone (stopped by PID)", { skip, timeout: 120_000 }, async () => {
  assert.equal(buildBoard(), false);
  await withLab({ phones: 0 }, async (lab) => {
    const flash = await tapAndFlash(lab);
    const t = Date.now();
    let log = "";
    const p = await lab.start("device run", [process.execPath, CLI, "device", "run", "--board", "mps2-an386", "--flash", flash, "--tap", "tap0",
      "--until", "bound", "--timeout", "4"], () => true);
    p.stdout?.on("data", (d) => (log += d));
    while (p.exitCode === null && Date.now() - t < 30_000) await sleep(100);
    // Still waiting for a voice VLAN (10 s) when the 4 s are up: the vlan stage failed (boot's exit 12).
    assert.equal(p.exitCode, 12, log);
    assert.match(log, /not registered: failed in stage vlan/);
    assert.ok(Date.now() - t < 15_000, "gave up at the timeout");
    const left = spawnSync("ip", ["netns", "pids", lab.sw], { encoding: "utf8" }).stdout.trim();
    assert.equal(left, "", `no process left in the namespace (QEMU was stopped): ${left && spawnSync("ps", ["-o", "pid,args", "-p", left.split("\n").join(",")], { encoding: "utf8" }).stdout}`);
  });
});

test("the cable pulled and put back (QEMU's set_link): the PHY's interrupt tells the driver, the firmware sees link down and up", { skip, timeout: 120_000 }, async () => {
  assert.equal(buildBoard(), false);
  await withLab({ phones: 0 }, async (lab) => {
    const flash = await tapAndFlash(lab);
    const monitor = lab.file("monitor.sock");
    let log = "";
    const p = await lab.start("device run", [process.execPath, CLI, "device", "run", "--board", "mps2-an386", "--flash", flash, "--tap", "tap0",
      "--until", "bound", "--timeout", "8", "--monitor", monitor, "--json"], () => true);
    p.stdout?.on("data", (d) => (log += d));
    await sleep(3000);
    const say = (cmd: string) => spawnSync("python3", ["-c", `import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2); s.recv(4096); s.send(sys.argv[2].encode()+b"\\n"); time.sleep(0.3)`, monitor, cmd], { encoding: "utf8" });
    assert.equal(say("set_link lan9118.0 off").status, 0);
    await sleep(1000);
    assert.equal(say("set_link lan9118.0 on").status, 0);
    const t = Date.now();
    while (p.exitCode === null && Date.now() - t < 20_000) await sleep(100);
    const report = JSON.parse(log.slice(log.indexOf("{"))) as BoardReport;
    const links = report.timeline.filter((e) => /link/i.test(e.event)).map((e) => `${e.event} ${e.detail}`);
    const down = links.findIndex((l) => /down/i.test(l));
    assert.ok(down >= 0 && links.slice(down).some((l) => /up/i.test(l) && !/down/i.test(l)), links.join("\n"));
    assert.ok(links.some((l) => /PHY reports link down/.test(l)), links.join("\n"));
    assert.ok(report.timeline.some((e) => e.stage === "power" && /down/i.test(e.event)), "the firmware's own LinkDown event");
  });
});
