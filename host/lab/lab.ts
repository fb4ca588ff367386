// A lab of real servers: two network namespaces joined by a veth pair on
// 198.51.100.0/24. The switch namespace holds a bridge with the VXLAN ends
// and the servers on 192.0.2.0/24; the harness namespace runs `ipphone boot
// --link vxlan` (or storm). Used by the tests (processes attached, stopped
// by their handles) and by `ipphone lab up` (processes detached, recorded
// in the state file). Every wait is bounded.
import { type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addBridge, addClient, addServerAddresses, addTunnelClient, addUnderlay, canCreateNamespaces, checksumOffloadOff, deleteNamespaces, haveTool, inNs, leftoverNamespaces, namespacePids, underlayLinks } from "./netns.js";
import { LAB_PREFIX, labNames, SERVER_IP } from "./plan.js";
import { isAlive, sleep, spawnInNs, startTimeOf, waitReady, type ProcessRecord } from "./procs.js";

export interface LabOptions {
  /** The namespaces' common prefix (default ipplab<pid>x<n>, a test's). */
  id?: string;
  /** The prefix of the lab's temporary directory (default ipphone-lab-). */
  dirPrefix?: string;
  /** Put the servers' address on VLAN `voiceVlan` (a user-space br0.N port, see vlanPort) instead of untagged br0. */
  voiceVlan?: number;
  /** The program terminating the voice VLAN: argv given (bridge, port name, VLAN); ready when it prints "ready". */
  vlanPort?: (bridge: string, port: string, vlan: number) => string[];
  /** VXLAN ends: one per phone that will run at the same time (VNI 42, 43, ... on ports 4789, 4790, ...). */
  phones?: number;
  /**
   * Reference clients (curl): a third namespace with a plain host on br0 at
   * CLIENT_IP, and TUNNEL_CLIENT_IP in the harness namespace, reaching br0
   * through a kernel VXLAN over the phone's underlay (the phone's path without the phone).
   */
  client?: boolean;
  /** The servers' addresses on their interface (default 192.0.2.1 alone). */
  serverAddresses?: string[];
  /** Start processes detached, their output in DIR/NAME.log, so that they outlive this process. */
  detach?: boolean;
}

let serial = 0;

/** Why the lab cannot run here, or false when it can. */
export function labUnavailable(...tools: string[]): string | false {
  if (process.getuid?.() !== 0) return "the lab needs root (ip netns)";
  const missing = ["ip", "ethtool", ...tools].filter((t) => !haveTool(t));
  if (missing.length) return `needs ${missing.join(", ")} (Debian packages: iproute2, ethtool, dnsmasq-base, isc-dhcp-server, lldpd, tftpd-hpa)`;
  return canCreateNamespaces() ? false : "cannot create network namespaces here";
}

export class Lab {
  readonly id: string;
  readonly sw: string;
  readonly harness: string;
  readonly client: string;
  readonly dir: string;
  readonly serverIf: string;
  /** Every process started, as the state file records it. */
  readonly records: (ProcessRecord & { role: string })[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly veth: string;

  constructor(private readonly opts: LabOptions = {}) {
    const names = labNames(opts.id ?? `${LAB_PREFIX}${process.pid}x${serial++}`);
    this.id = names.id;
    this.sw = names.sw;
    this.harness = names.harness;
    this.client = names.client;
    this.veth = this.id.slice(-6);
    this.dir = mkdtempSync(join(tmpdir(), opts.dirPrefix ?? "ipphone-lab-"));
    this.serverIf = opts.voiceVlan ? `v${opts.voiceVlan}` : "br0";
    // Servers that drop privileges (lldpd's _lldpd user) must reach their sockets here.
    chmodSync(this.dir, 0o755);
  }

  /** The namespaces this lab makes. */
  namespaces(): string[] {
    return [this.sw, this.harness, ...(this.opts.client ? [this.client] : [])];
  }

  /** Its links, "namespace/link" (they go with the namespaces). */
  links(): string[] {
    const [h, s, ...rest] = underlayLinks(this.veth, this.opts.phones ?? 1);
    return [`${this.harness}/${h}`, `${this.sw}/${s}`, ...rest.map((l) => `${this.sw}/${l}`)];
  }

  /** Runs `args` inside the harness namespace (where the phone runs, and the tunnelled reference client). */
  inHarness(...args: string[]): string {
    return inNs(this.harness, ...args);
  }

  /** Runs `args` inside the reference client's namespace (LabOptions.client). */
  inClient(...args: string[]): string {
    return inNs(this.client, ...args);
  }

  /** Runs `args` inside the switch namespace. */
  inSwitch(...args: string[]): string {
    return inNs(this.sw, ...args);
  }

  async up(): Promise<void> {
    const names = { id: this.id, sw: this.sw, harness: this.harness, client: this.client };
    addUnderlay(names, this.veth);
    addBridge(names, this.veth, this.opts.phones ?? 1);
    if (this.opts.voiceVlan) {
      if (!this.opts.vlanPort) throw new Error("a voice VLAN needs LabOptions.vlanPort");
      // The servers' side of the voice VLAN, as br0.N would be; in user space.
      await this.start("vlan port", this.opts.vlanPort("br0", this.serverIf, this.opts.voiceVlan), (log) => log.includes("ready"));
      this.inSwitch("ip", "link", "set", this.serverIf, "up");
    }
    addServerAddresses(names, this.serverIf, this.opts.serverAddresses ?? [SERVER_IP]);
    checksumOffloadOff(names, ["br0", this.serverIf]);
    if (this.opts.client) {
      addClient(names, `${this.veth}c`);
      addTunnelClient(names, `${this.veth}s`);
    }
  }

  /** tshark capturing what `filter` selects on the servers' interface into `file` (pcap; a 32 MiB kernel buffer: a storm's bursts); resolves once it captures. */
  capture(file: string, filter: string): Promise<ChildProcess> {
    return this.start("tshark", ["tshark", "-n", "-B", "32", "-i", this.serverIf, "-F", "pcap", "-w", file, "-f", filter], (log) => /Capturing on/.test(log));
  }

  /** Starts a server in the switch namespace; resolves when `ready(its output so far)` holds (bounded). */
  async start(name: string, args: string[], ready: (log: string) => boolean, limitMs = 10_000, role = ""): Promise<ChildProcess> {
    const log = this.opts.detach ? this.file(`${name.replace(/[^A-Za-z0-9.-]+/g, "-")}.log`) : undefined;
    const s = spawnInNs(this.sw, args, log);
    this.procs.push(s.child);
    if (s.child.pid !== undefined) this.records.push({ name, role, pid: s.child.pid, startTime: startTimeOf(s.child.pid), argv: args, ...(log ? { log } : {}) });
    await waitReady(name, s, ready, limitMs);
    return s.child;
  }

  /** Keeps `p` (started elsewhere) to be stopped with the lab. */
  adopt(p: ChildProcess): void {
    this.procs.push(p);
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): string {
    const f = this.file(name);
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  /** Stops every process (SIGTERM, then SIGKILL after a bounded wait) and deletes the namespaces and the directory. */
  async down(): Promise<void> {
    const running = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
    for (const p of this.procs) if (running(p)) p.kill("SIGTERM");
    const deadline = Date.now() + 3000;
    while (this.procs.some(running) && Date.now() < deadline) await sleep(50);
    for (const p of this.procs) if (running(p)) p.kill("SIGKILL");
    // Children the servers forked (tftpd-hpa's transfers) are found by namespace.
    for (const ns of [this.sw, this.harness, this.client]) for (const pid of namespacePids(ns)) killHard(pid);
    deleteNamespaces([this.sw, this.harness, this.client]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** PIDs this lab started that are still alive. */
  alive(): number[] {
    return this.procs.filter((p) => p.pid !== undefined && isAlive(p.pid)).map((p) => p.pid as number);
  }
}

function killHard(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/** Kills whatever runs in the namespaces and deletes them. */
export function reapNamespaces(names: string[]): void {
  for (const ns of names) {
    for (const pid of namespacePids(ns)) killHard(pid);
    deleteNamespaces([ns]);
  }
}

/** Removes the labs of test processes that were killed before they could clean up (ipplab<pid>x<n>, that PID gone). */
export function reapStaleLabs(): void {
  const stale = leftoverNamespaces().filter((ns) => {
    const pid = Number(/^ipplab(\d+)x/.exec(ns)?.[1]);
    return pid > 0 && !isAlive(pid);
  });
  reapNamespaces(stale);
}

/** Stops `p` with SIGINT (tshark then finishes its file) and waits, bounded, for it to exit. */
export async function stopGently(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGINT");
  const deadline = Date.now() + 5000;
  while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(50);
}

export { isAlive, sleep } from "./procs.js";
export { leftoverNamespaces } from "./netns.js";
