// A lab of real servers for tests: two network namespaces joined by a veth
// pair on 198.51.100.0/24. The "switch" namespace holds a bridge with the
// VXLAN end and the servers on 192.0.2.0/24; the "harness" namespace runs
// `ipphone boot --link vxlan`. Every process is stopped by PID and both
// namespaces deleted, also when a test fails. Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI } from "../helpers/tools.js";

export const UNDERLAY_HARNESS = "198.51.100.1";
export const UNDERLAY_SWITCH = "198.51.100.2";
export const SERVER_IP = "192.0.2.1";
/** The reference client's address on the servers' LAN (LabOptions.client). */
export const CLIENT_IP = "192.0.2.9";
/** The reference client behind a tunnel like the phone's: a kernel VXLAN in the harness namespace (LabOptions.client). */
export const TUNNEL_CLIENT_IP = "192.0.2.8";
const TUNNEL_CLIENT_VNI = 99;
const TUNNEL_CLIENT_PORT = 4799;
export const LAB_PREFIX = "ipplab";
/**
 * atftpd: Debian's package conflicts with tftpd-hpa (both provide "tftpd"),
 * so .ci/run unpacks it into /opt/atftpd instead of installing it.
 */
export const ATFTPD = ["/opt/atftpd/usr/sbin/atftpd", "/usr/sbin/atftpd"].find((p) => existsSync(p)) ?? "atftpd";
const VLAN_PORT = fileURLToPath(new URL("../../../tests/peers/vlan_port.py", import.meta.url));
/** A phone that has no address after this long gives up (the test then fails, bounded). */
export const PHONE_TIMEOUT_S = 45;

export interface LabOptions {
  /** Put the servers' address on VLAN `voiceVlan` (a br0.N subinterface) instead of untagged br0. */
  voiceVlan?: number;
  /** VXLAN ends: one per phone that will run at the same time (VNI 42, 43, ... on ports 4789, 4790, ...). */
  phones?: number;
  /**
   * Reference clients (curl): a third namespace with a plain host on br0 at
   * CLIENT_IP, and TUNNEL_CLIENT_IP in the harness namespace, reaching br0
   * through a kernel VXLAN over the phone's underlay (the phone's path without the phone).
   */
  client?: boolean;
}

export interface PhoneRun {
  status: number | null;
  report: Record<string, unknown> | null;
  stdout: string;
  stderr: string;
}

let serial = 0;

/** Why the lab cannot run here, or false when it can. */
export function labUnavailable(...tools: string[]): string | false {
  if (process.getuid?.() !== 0) return "the lab needs root (ip netns)";
  const missing = ["ip", "ethtool", ...tools].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length) return `needs ${missing.join(", ")} (Debian packages: iproute2, ethtool, dnsmasq-base, isc-dhcp-server, lldpd, tftpd-hpa)`;
  const probe = `${LAB_PREFIX}-probe-${process.pid}`;
  const ok = spawnSync("ip", ["netns", "add", probe]).status === 0;
  spawnSync("ip", ["netns", "del", probe]);
  return ok ? false : "cannot create network namespaces here";
}

function sh(args: string[], what: string): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${what}: ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export class Lab {
  readonly id = `${LAB_PREFIX}${process.pid}x${serial++}`;
  readonly sw = `${this.id}-sw`;
  readonly harness = `${this.id}-h`;
  readonly client = `${this.id}-c`;
  readonly dir = mkdtempSync(join(tmpdir(), "ipphone-lab-"));
  readonly serverIf: string;
  private readonly procs: ChildProcess[] = [];

  constructor(private readonly opts: LabOptions = {}) {
    this.serverIf = opts.voiceVlan ? `v${opts.voiceVlan}` : "br0";
    // Servers that drop privileges (lldpd's _lldpd user) must reach their sockets here.
    chmodSync(this.dir, 0o755);
  }

  /** Runs `args` inside the harness namespace (where the phone runs, and the tunnelled reference client). */
  inHarness(...args: string[]): string {
    return sh(["ip", "netns", "exec", this.harness, ...args], "harness namespace");
  }

  /** Runs `args` inside the reference client's namespace (LabOptions.client). */
  inClient(...args: string[]): string {
    return sh(["ip", "netns", "exec", this.client, ...args], "client namespace");
  }

  /** Runs `args` inside the switch namespace. */
  inSwitch(...args: string[]): string {
    return sh(["ip", "netns", "exec", this.sw, ...args], "switch namespace");
  }

  async up(): Promise<void> {
    const veth = `${this.id.slice(-6)}`;
    sh(["ip", "netns", "add", this.sw], "namespace");
    sh(["ip", "netns", "add", this.harness], "namespace");
    sh(["ip", "link", "add", `${veth}h`, "netns", this.harness, "type", "veth", "peer", "name", `${veth}s`, "netns", this.sw], "veth");
    this.inHarness("ip", "link", "set", "lo", "up");
    // Room for VXLAN's 50 bytes: the phone's side keeps a 1500-byte MTU, as on a real access port.
    this.inHarness("ip", "link", "set", `${veth}h`, "mtu", "1600");
    this.inSwitch("ip", "link", "set", `${veth}s`, "mtu", "1600");
    this.inHarness("ip", "addr", "add", `${UNDERLAY_HARNESS}/24`, "dev", `${veth}h`);
    this.inHarness("ip", "link", "set", `${veth}h`, "up");
    this.inSwitch("ip", "link", "set", "lo", "up");
    this.inSwitch("ip", "addr", "add", `${UNDERLAY_SWITCH}/24`, "dev", `${veth}s`);
    this.inSwitch("ip", "link", "set", `${veth}s`, "up");
    this.inSwitch("ip", "link", "add", "br0", "type", "bridge");
    this.inSwitch("ip", "link", "set", "br0", "up");
    for (let i = 0; i < (this.opts.phones ?? 1); i++) {
      const vx = `vx${i}`;
      this.inSwitch("ip", "link", "add", vx, "type", "vxlan", "id", String(42 + i), "local", UNDERLAY_SWITCH,
        "remote", UNDERLAY_HARNESS, "dstport", String(4789 + i), "dev", `${veth}s`);
      this.inSwitch("ip", "link", "set", vx, "mtu", "1500");
      this.inSwitch("ip", "link", "set", vx, "master", "br0");
      this.inSwitch("ip", "link", "set", vx, "up");
    }
    if (this.opts.voiceVlan) {
      // The servers' side of the voice VLAN, as br0.N would be; in user space (see vlan_port.py).
      await this.start("vlan port", ["python3", VLAN_PORT, "br0", this.serverIf, String(this.opts.voiceVlan)], (log) => log.includes("ready"));
      this.inSwitch("ip", "link", "set", this.serverIf, "up");
    }
    this.inSwitch("ip", "addr", "add", `${SERVER_IP}/24`, "dev", this.serverIf);
    // The servers' UDP checksums would otherwise be left for a NIC to fill in ("offload"),
    // and reach the phone unfinished through the VXLAN tunnel.
    for (const dev of new Set(["br0", this.serverIf])) this.inSwitch("ethtool", "-K", dev, "tx", "off");
    if (this.opts.client) {
      this.addClient(`${veth}c`);
      this.addTunnelClient(`${veth}s`);
    }
  }

  /** A kernel VXLAN in the harness namespace into br0, beside the phone's own (another VNI and port). */
  private addTunnelClient(underlay: string): void {
    const id = String(TUNNEL_CLIENT_VNI);
    const port = String(TUNNEL_CLIENT_PORT);
    this.inSwitch("ip", "link", "add", "vxc", "type", "vxlan", "id", id, "local", UNDERLAY_SWITCH, "remote", UNDERLAY_HARNESS, "dstport", port, "dev", underlay);
    this.inSwitch("ip", "link", "set", "vxc", "mtu", "1500");
    this.inSwitch("ip", "link", "set", "vxc", "master", "br0");
    this.inSwitch("ip", "link", "set", "vxc", "up");
    this.inHarness("ip", "link", "add", "vxc", "type", "vxlan", "id", id, "local", UNDERLAY_HARNESS, "remote", UNDERLAY_SWITCH, "dstport", port);
    this.inHarness("ip", "link", "set", "vxc", "mtu", "1500");
    this.inHarness("ip", "addr", "add", `${TUNNEL_CLIENT_IP}/24`, "dev", "vxc");
    this.inHarness("ip", "link", "set", "vxc", "up");
  }

  /** A host on br0 beside the VXLAN end: what a wired PC on the phone's LAN would see of the servers. */
  private addClient(veth: string): void {
    sh(["ip", "netns", "add", this.client], "namespace");
    sh(["ip", "link", "add", `${veth}x`, "netns", this.client, "type", "veth", "peer", "name", `${veth}b`, "netns", this.sw], "veth");
    this.inSwitch("ip", "link", "set", `${veth}b`, "master", "br0");
    this.inSwitch("ip", "link", "set", `${veth}b`, "up");
    this.inClient("ip", "link", "set", "lo", "up");
    this.inClient("ip", "addr", "add", `${CLIENT_IP}/24`, "dev", `${veth}x`);
    this.inClient("ip", "link", "set", `${veth}x`, "up");
  }

  /** tshark capturing what `filter` selects on the servers' interface into `file` (pcap); resolves once it captures. */
  capture(file: string, filter: string): Promise<ChildProcess> {
    return this.start("tshark", ["tshark", "-n", "-i", this.serverIf, "-F", "pcap", "-w", file, "-f", filter], (log) => /Capturing on/.test(log));
  }

  /** Starts a server in the switch namespace; resolves when `ready(its output so far)` holds (bounded). */
  async start(name: string, args: string[], ready: (log: string) => boolean, limitMs = 10_000): Promise<ChildProcess> {
    const p = spawn("ip", ["netns", "exec", this.sw, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.procs.push(p);
    let log = "";
    p.stdout?.on("data", (d) => (log += d));
    p.stderr?.on("data", (d) => (log += d));
    const deadline = Date.now() + limitMs;
    while (!ready(log)) {
      if (p.exitCode !== null) throw new Error(`${name} exited with ${p.exitCode}: ${log}`);
      if (Date.now() > deadline) throw new Error(`${name} not ready in ${limitMs} ms: ${log}`);
      await sleep(50);
    }
    return p;
  }

  /** Boots one phone over VXLAN end `index` (giving up after PHONE_TIMEOUT_S); resolves with its exit status and JSON report. */
  phone(index: number, ...extra: string[]): Promise<PhoneRun> {
    const args = ["netns", "exec", this.harness, process.execPath, CLI, "boot", "--json", "--link", "vxlan",
      "--remote", UNDERLAY_SWITCH, "--vni", String(42 + index), "--port", String(4789 + index), "--timeout", String(PHONE_TIMEOUT_S), "--until", "bound", ...extra];
    return new Promise((resolve) => {
      const p = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
      this.procs.push(p);
      let stdout = "";
      let stderr = "";
      p.stdout?.on("data", (d) => (stdout += d));
      p.stderr?.on("data", (d) => (stderr += d));
      p.on("close", (status) => {
        let report: Record<string, unknown> | null = null;
        try {
          report = JSON.parse(stdout);
        } catch {
          report = null;
        }
        resolve({ status, report, stdout, stderr });
      });
    });
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): string {
    const f = this.file(name);
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  /** Stops every process (SIGTERM, then SIGKILL after a bounded wait) and deletes the namespaces. */
  async down(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    const deadline = Date.now() + 3000;
    while (this.procs.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < deadline) await sleep(50);
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    for (const ns of [this.sw, this.harness, this.client]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** PIDs this lab started that are still alive. */
  alive(): number[] {
    return this.procs.filter((p) => p.pid !== undefined && isAlive(p.pid)).map((p) => p.pid as number);
  }
}

/** Removes the labs of test processes that were killed before they could clean up. */
export function reapStaleLabs(): void {
  for (const ns of leftoverNamespaces()) {
    const pid = Number(/^ipplab(\d+)x/.exec(ns)?.[1]);
    if (!pid || isAlive(pid)) continue;
    const pids = (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean);
    for (const p of pids) spawnSync("kill", ["-9", p]);
    spawnSync("ip", ["netns", "del", ns]);
  }
}

/** Runs `body` with a lab that is always torn down. */
/** Stops `p` with SIGINT (tshark then finishes its file) and waits, bounded, for it to exit. */
export async function stopGently(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGINT");
  const deadline = Date.now() + 5000;
  while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(50);
}

export async function withLab<T>(opts: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  reapStaleLabs();
  const lab = new Lab(opts);
  try {
    await lab.up();
    return await body(lab);
  } finally {
    await lab.down();
  }
}

/** Namespaces of any lab still present. */
export function leftoverNamespaces(): string[] {
  const out = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(LAB_PREFIX));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A failed phone run, told briefly: its timeline and counters, or what it printed. */
export function explain(run: PhoneRun): string {
  const r = run.report as { timeline?: { t_ms: number; stage: string; event: string; detail: string }[]; counters?: unknown } | null;
  if (!r?.timeline) return `status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`;
  const lines = r.timeline.map((e) => `${e.t_ms} ${e.stage} ${e.event} ${e.detail}`);
  return `status ${run.status}\n${lines.join("\n")}\n${JSON.stringify(r.counters)}\n${run.stderr}`;
}
