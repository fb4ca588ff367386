// `ipphone storm --link vxlan`: a building of firmware phones in real time
// against real servers in a namespace lab (the servers `ipphone lab up`
// starts: dnsmasq or isc-dhcp-server with tftpd-hpa, two `ipphone
// callmanager`). Every phone must lease an address of its own (the server's
// lease file names every MAC), read its own SEP<MAC>.cnf.xml (tshark sees
// the read requests) and register; a CallManager killed mid-storm sends its
// phones to the other one, and the summary names it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { CLI } from "./helpers/tools.js";
import { labUnavailable, stopGently, UNDERLAY_SWITCH, withLab, type Lab } from "./peers/lab.js";
import { callManagerIp, FIRST_VNI, LAB_DNS_IP, LAB_TFTP_IP, SERVER_IP } from "../host/lab/plan.js";
import { launchers, type DhcpServer, type TftpServer } from "../host/lab/servers.js";
import { callManagerLauncher } from "../host/lab/callmanager.js";
import { writeTftpRoot } from "../host/lab/tftp-root.js";
import { DEFAULT_LOAD } from "../host/sim/network.js";
import { phoneMac } from "../host/storm/plan.js";
import { sepFileName } from "../host/sim/network.js";
import type { StormSummary } from "../host/storm/summary.js";

const PHONES = Number(process.env.STORM_PHONES ?? 200);
const TIMEOUT_S = 240;
const MACS = Array.from({ length: PHONES }, (_, i) => phoneMac(i));

interface Servers {
  callManagers: ChildProcess[];
  /** The lease file's text, read after the storm. */
  leases: () => string;
}

/** The servers `ipphone lab up --servers DHCP --tftp TFTP --callmanagers 2` starts, attached to this test. */
async function startServers(lab: Lab, dhcp: DhcpServer, tftp: TftpServer): Promise<Servers> {
  const root = lab.file("tftp");
  writeTftpRoot(root, { callManagers: 2, load: DEFAULT_LOAD, macs: MACS });
  const ctx = { dir: lab.dir, tftpRoot: root, serverIf: lab.serverIf, hosts: { "tftp.voice.example": LAB_TFTP_IP }, listeningUdp: () => lab.inSwitch("ss", "-uln") };
  for (const l of launchers(dhcp, tftp, ctx)) await lab.start(l.name, l.argv, l.ready, 15_000, l.role);
  const callManagers: ChildProcess[] = [];
  for (const i of [0, 1]) {
    const l = callManagerLauncher(i, root);
    callManagers.push(await lab.start(l.name, l.argv, l.ready, 15_000, l.role));
  }
  return { callManagers, leases: () => lab.read(dhcp === "isc" ? "dhcpd.leases" : "dnsmasq.leases") };
}

interface StormRun { status: number | null; summary: StormSummary | null; csv: string; stdout: string; stderr: string }

/** The storm in the lab's harness namespace, as `ipphone lab up` prints it. */
function storm(lab: Lab, ...extra: string[]): { done: Promise<StormRun> } {
  const csv = lab.file("phones.csv");
  const p = spawn("ip", ["netns", "exec", lab.harness, process.execPath, CLI, "storm", "--link", "vxlan", "--remote", UNDERLAY_SWITCH,
    "--vni", String(FIRST_VNI), "--phones", String(PHONES), "--timeout", String(TIMEOUT_S), "--json", "--csv", csv, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  lab.adopt(p);
  let stdout = "", stderr = "";
  p.stdout.on("data", (d) => (stdout += d));
  p.stderr.on("data", (d) => (stderr += d));
  return {
    done: new Promise((resolve) => p.on("close", (status) => {
      let summary: StormSummary | null = null;
      try { summary = JSON.parse(stdout); } catch { summary = null; }
      let text = "";
      try { text = readFileSync(csv, "utf8"); } catch { text = ""; }
      resolve({ status, summary, csv: text, stdout, stderr });
    })),
  };
}

/**
 * The TFTP read requests tshark captured on the servers' LAN: file names,
 * read from the pcap's frames here (a phone's random source port can be a
 * port tshark then dissects as another protocol).
 */
function readRequests(pcap: string): string[] {
  const b = readFileSync(pcap);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, "a little-endian pcap");
  const names: string[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const len = b.readUInt32LE(at + 8);
    const f = b.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    if (f.length < 14 + 20 + 8 + 4 || f.readUInt16BE(12) !== 0x0800 || f[23] !== 17) continue;
    const udp = 14 + (f[14] & 0x0f) * 4;
    if (f.readUInt16BE(udp + 2) !== 69 || f.readUInt16BE(udp + 8) !== 1) continue;
    const end = f.indexOf(0, udp + 10);
    names.push(f.subarray(udp + 10, end < 0 ? f.length : end).toString("latin1"));
  }
  return names;
}

/** tshark's last frames reach its file after a moment (dumpcap hands them on through a pipe): wait, then stop it. */
async function stopCapture(cap: ChildProcess): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
  await stopGently(cap);
}

function column(csv: string, name: string): string[] {
  const [head, ...rows] = csv.trim().split("\n");
  const i = head.split(",").indexOf(name);
  return rows.map((r) => r.split(",")[i]);
}

/** Every phone leased an address of its own, read its SEP file and registered. */
function assertBuilding(run: StormRun, leases: string, requests: string[], leaseMac: RegExp): void {
  const s = run.summary;
  assert.ok(s, `no summary: status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  assert.equal(run.status, 0, `${run.stderr}\n${JSON.stringify({ registered: s.registered, causes: s.failure_causes, real: s.real }, null, 1)}`);
  assert.equal(s.registered, PHONES);
  assert.equal(s.real?.registered_at_end, PHONES);
  const ips = column(run.csv, "ip");
  assert.equal(ips.length, PHONES);
  assert.equal(new Set(ips).size, PHONES, "every phone its own address");
  for (const ip of ips) assert.match(ip, /^192\.0\.2\.\d+$/);
  const leased = new Set([...leases.matchAll(leaseMac)].map((m) => m[1].toLowerCase()));
  for (const mac of MACS) assert.ok(leased.has(mac), `${mac} not in the lease file`);
  const sep = new Set(requests.filter((f) => /^SEP[0-9A-F]{12}\.cnf\.xml$/.test(f)));
  const missing = MACS.filter((mac) => !sep.has(sepFileName(mac)));
  assert.deepEqual(missing, [], `${missing.length} phones' SEP files not requested (of ${requests.length} read requests seen, ${sep.size} SEP files)`);
  const dhcp = s.real!.servers.find((v) => v.role === "dhcp")!;
  assert.equal(dhcp.ip, SERVER_IP);
  assert.ok(dhcp.acks! >= PHONES, `DHCP ACKs ${dhcp.acks}`);
  const cms = s.real!.servers.filter((v) => v.role === "callmanager");
  assert.equal(cms.reduce((n, c) => n + c.answers, 0) >= PHONES, true);
  assert.equal(s.real!.harness.cpu_s > 0, true);
}

const DNSMASQ_LEASE = /^\d+ ([0-9a-f:]{17}) 192\.0\.2\.\d+ /gm;
const ISC_LEASE = /hardware ethernet ([0-9a-f:]{17});/gm;

test(`storm --link vxlan: ${PHONES} phones at once against dnsmasq (DHCP, TFTP) and two ipphone callmanager: distinct leases, their SEP files, all registered`, { skip: labUnavailable("dnsmasq", "tshark"), timeout: (TIMEOUT_S + 120) * 1000 }, async () => {
  await withLab({ serverAddresses: [SERVER_IP, LAB_TFTP_IP, callManagerIp(0), callManagerIp(1), LAB_DNS_IP] }, async (lab) => {
    const servers = await startServers(lab, "dnsmasq", "dnsmasq");
    const pcap = lab.file("tftp.pcap");
    const cap = await lab.capture(pcap, "udp dst port 69");
    const run = await storm(lab).done;
    await stopCapture(cap);
    assertBuilding(run, servers.leases(), readRequests(pcap), DNSMASQ_LEASE);
    assert.equal(run.summary!.real!.servers.find((v) => v.role === "tftp")!.ip, LAB_TFTP_IP);
  });
});

test(`storm --link vxlan: ${PHONES} phones, power staggered 5 ms, against isc-dhcp-server and tftpd-hpa: distinct leases, their SEP files, all registered`, { skip: labUnavailable("dnsmasq", "dhcpd", "in.tftpd", "tshark"), timeout: (TIMEOUT_S + 120) * 1000 }, async () => {
  await withLab({ serverAddresses: [SERVER_IP, LAB_TFTP_IP, callManagerIp(0), callManagerIp(1), LAB_DNS_IP] }, async (lab) => {
    const servers = await startServers(lab, "isc", "tftpd-hpa");
    const pcap = lab.file("tftp.pcap");
    const cap = await lab.capture(pcap, "udp dst port 69");
    const run = await storm(lab, "--stagger", "5").done;
    await stopCapture(cap);
    assertBuilding(run, servers.leases(), readRequests(pcap), ISC_LEASE);
  });
});

test(`storm --link vxlan: CM1 killed mid-storm: its phones fail over to CM2, all end registered, the summary names CM1 as lost`, { skip: labUnavailable("dnsmasq"), timeout: (TIMEOUT_S + 120) * 1000 }, async () => {
  await withLab({ serverAddresses: [SERVER_IP, LAB_TFTP_IP, callManagerIp(0), callManagerIp(1), LAB_DNS_IP] }, async (lab) => {
    const servers = await startServers(lab, "dnsmasq", "dnsmasq");
    const [cm1] = servers.callManagers;
    const half = Math.ceil(PHONES / 4);
    let registered = 0;
    let killedAt = -1;
    cm1.stdout!.on("data", (d: Buffer) => {
      registered += (String(d).match(/ registered \(/g) ?? []).length;
      if (registered >= half && killedAt < 0) { killedAt = registered; cm1.kill("SIGKILL"); }
    });
    const run = await storm(lab).done;
    assert.ok(killedAt >= half, `CM1 was never killed (${registered} registrations seen)`);
    const s = run.summary!;
    assert.ok(s, run.stderr);
    assert.equal(run.status, 0, `${run.stderr}\n${JSON.stringify(s.real, null, 1)}`);
    assert.equal(s.real!.registered_at_end, PHONES);
    const [c1, c2] = s.servers.callmanagers;
    assert.equal(c1.state, "lost");
    assert.ok((c1.lost_registered ?? 0) >= half, `CM1 lost ${c1.lost_registered} registered phones, ${killedAt} were on it`);
    assert.ok(s.refusals.failovers >= half);
    assert.equal(c2.state, "up");
    assert.ok(c2.registrations >= PHONES, `CM2 registered ${c2.registrations}: every phone ends on it`);
    assert.equal(column(run.csv, "callmanager").filter((c) => c === "CM1").length, 0, "no phone left on CM1");
  });
});
