// Bench figure of `ipphone storm --link vxlan` (issue 21): 1,000 firmware
// phones, power back at once, against the lab's real servers (dnsmasq for
// DHCP, DNS and TFTP, two `ipphone callmanager`), in real time: time to all
// registered, the harness's CPU seconds and event-loop lag p99; beside it
// the simulated storm of the same building (1,000 phones, two CallManagers)
// and the ratio real/simulated. 1,000 leases do not fit the documentation
// /24 the lab's servers use: the phones' pool is an RFC 1918 /20 on the
// lab's bridge, inside its namespace (nothing leaves it), routed to the
// servers by the switch namespace's kernel. The pool has four times the
// phones' addresses: dnsmasq does not hold the address it offers, so in a
// pool barely larger than the building it offers the last free addresses
// to many phones at once and NAKs all but the first REQUEST (a /22 for
// 1,000 phones: 6,210 NAKs, DHCP p50 53 s).
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { CLI } from "../helpers/tools.js";
import { labUnavailable, UNDERLAY_SWITCH, withLab } from "../peers/lab.js";
import { callManagerIp, FIRST_VNI, LAB_DNS_IP, LAB_TFTP_IP, SERVER_IP } from "../../host/lab/plan.js";
import { callManagerLauncher } from "../../host/lab/callmanager.js";
import { writeTftpRoot } from "../../host/lab/tftp-root.js";
import { DEFAULT_LOAD } from "../../host/sim/network.js";
import { makePlan, phoneMac } from "../../host/storm/plan.js";
import { runStorm } from "../../host/storm/engine.js";
import { formatSeen, summarize, type StormSummary } from "../../host/storm/summary.js";

/** STORM_REAL_PHONES and STORM_REAL_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") run it smaller or profiled; STORM_REAL_SAVE=PREFIX keeps its summary (PREFIX.json) and CSV. */
const PHONES = Number(process.env.STORM_REAL_PHONES ?? 1000);
const NODE_ARGS = (process.env.STORM_REAL_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
const TIMEOUT_S = 400;
const POOL_GATEWAY = "10.110.0.1";

function stormIn(ns: string, csv: string): Promise<{ status: number | null; summary: StormSummary | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("ip", ["netns", "exec", ns, process.execPath, ...NODE_ARGS, CLI, "storm", "--link", "vxlan", "--remote", UNDERLAY_SWITCH, "--vni", String(FIRST_VNI),
      "--phones", String(PHONES), "--timeout", String(TIMEOUT_S), "--json", "--csv", csv], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (status) => {
      let summary: StormSummary | null = null;
      try { summary = JSON.parse(out); } catch { summary = null; }
      if (process.env.STORM_REAL_SAVE) { writeFileSync(`${process.env.STORM_REAL_SAVE}.json`, out); copyFileSync(csv, `${process.env.STORM_REAL_SAVE}.csv`); }
      resolve({ status, summary, stderr: err + out.slice(0, 500) });
    });
  });
}

const NEIGH = "/proc/sys/net/ipv4/neigh/default/";

/**
 * Room in the kernel's ARP table for the building, until `undo()`: the
 * table is one for every namespace (its gc_thresh* are set in the first
 * one only), and its default hard limit, 1,024 entries, is what 1,000
 * phones and the addresses dnsmasq offers fill: "neighbor table overflow",
 * and the servers' answers to some phones are dropped (460 DHCP requests
 * unanswered, the last phone bound after 78 s). Only raised, put back after.
 */
function roomForNeighbours(entries: number): () => void {
  const saved: Array<[string, string]> = [];
  try {
    for (const [name, want] of [["gc_thresh2", entries], ["gc_thresh3", entries * 2]] as const) {
      const was = readFileSync(NEIGH + name, "utf8").trim();
      if (Number(was) >= want) continue;
      writeFileSync(NEIGH + name, String(want));
      saved.push([name, was]);
    }
  } catch {
    // Not writable here: the run goes on with the table as it is (the figures will show it).
  }
  return () => { for (const [name, was] of saved.reverse()) writeFileSync(NEIGH + name, was); };
}

export async function stormRealBench(): Promise<string[]> {
  const why = labUnavailable("dnsmasq");
  if (why) return [`storm over the real link, ${PHONES} phones: skipped (${why})`];
  const undoNeighbours = roomForNeighbours(4 * PHONES);
  const real = await withLab({ serverAddresses: [SERVER_IP, LAB_TFTP_IP, callManagerIp(0), callManagerIp(1), LAB_DNS_IP] }, async (lab) => {
    lab.inSwitch("ip", "addr", "add", `${POOL_GATEWAY}/20`, "dev", lab.serverIf);
    const root = lab.file("tftp");
    writeTftpRoot(root, { callManagers: 2, load: DEFAULT_LOAD, macs: Array.from({ length: PHONES }, (_, i) => phoneMac(i)) });
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", `--interface=${lab.serverIf}`,
      "--bind-interfaces", "--dhcp-authoritative", "--no-ping", `--dhcp-lease-max=${PHONES + 100}`, "--dhcp-range=10.110.0.10,10.110.15.250,255.255.240.0,1h",
      `--dhcp-option=3,${POOL_GATEWAY}`, `--dhcp-option=6,${LAB_DNS_IP}`, `--dhcp-option=150,${LAB_TFTP_IP}`, `--dhcp-leasefile=${lab.file("leases")}`,
      "--enable-tftp", `--tftp-root=${root}`, `--tftp-max=${PHONES}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    for (const i of [0, 1]) {
      const l = callManagerLauncher(i, root);
      await lab.start(l.name, l.argv, l.ready, 15_000, l.role);
    }
    return stormIn(lab.harness, lab.file("phones.csv"));
  }).finally(undoNeighbours);
  const s = real.summary;
  if (!s?.real) return [`storm over the real link, ${PHONES} phones: FAILED (status ${real.status}): ${real.stderr.slice(0, 400)}`];
  const sim = summarize(await runStorm(makePlan({ phones: PHONES, seed: 1, scenario: { callManagers: [{}, {}] } })));
  const realS = s.time_to_all_registered_ms === null ? null : s.time_to_all_registered_ms / 1000;
  const simS = sim.time_to_all_registered_ms === null ? null : sim.time_to_all_registered_ms / 1000;
  const h = s.real.harness;
  const st = (x: StormSummary) => `dhcp p50 ${((x.stages_ms.dhcp.p50 ?? 0) / 1000).toFixed(2)} s, tftp p50 ${((x.stages_ms.tftp.p50 ?? 0) / 1000).toFixed(3)} s, register p50 ${((x.stages_ms.register.p50 ?? 0) / 1000).toFixed(3)} s`;
  return [
    `storm over the real link, ${PHONES} phones at once (dnsmasq DHCP/DNS/TFTP, 2 ipphone callmanager): ${realS === null ? `NOT all registered (${s.registered}/${PHONES} in ${TIMEOUT_S} s)` : `all registered in ${realS.toFixed(2)} s`} real time; harness ${h.cpu_s.toFixed(1)} CPU s in ${h.wall_s.toFixed(1)} s, event-loop lag p99 ${h.event_loop_lag_ms.p99} ms, deadlines late p99 ${h.deadline_lateness_ms.p99 ?? 0} ms; ${st(s)}`,
    ...formatSeen(s.real).map((l) => `  ${l.trim()}`),
    `storm simulated, the same building (${PHONES} phones, 2 CallManagers, seed 1): all registered in ${simS === null ? "-" : simS.toFixed(2)} s virtual; ${st(sim)}; ratio real/simulated ${realS !== null && simS !== null ? (realS / simS).toFixed(2) : "-"}`,
    `  note: both wait RFC 2131's 1-10 s before DISCOVER and RFC 5227's ARP probes, which set the pace; the simulated servers answer at their modelled rates (DHCP 1,000/s, CallManagers 100 registrations/s each) where the real ones answer as fast as this machine lets them, and the real run shares two busy cores with the servers and the harness (its lag above), which the simulation's virtual clock never feels`,
  ];
}
