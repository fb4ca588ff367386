// `ipphone lab up|status|down` behind the command line: builds a lab whose
// processes outlive the command, keeps its state file current while it is
// built (a crash half-way leaves a state `down` can use), checks it, and
// takes it down by the state file or, without one, by the lab's names:
// namespaces `ipplab-NAME-*`, directories `ipphone-lab-NAME-*` in the
// temporary directory, processes whose command line names such a directory.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PHONE_WASM } from "../firmware.js";
import { DEFAULT_PHONE_MAC } from "../sim/network.js";
import { Lab, reapNamespaces } from "./lab.js";
import { canCreateNamespaces, haveTool, leftoverNamespaces, namespaceExists } from "./netns.js";
import { callManagerIp, commandLabId, FIRST_PORT, FIRST_VNI, LAB_DNS_IP, LAB_POOL, LAB_TFTP_IP, labNames, SERVER_IP, UNDERLAY_HARNESS, UNDERLAY_MTU, UNDERLAY_SWITCH } from "./plan.js";
import { recordAlive, startTimeOf, stopPids, type ProcessRecord } from "./procs.js";
import { launchers, toolsFor, type DhcpServer, type TftpServer } from "./servers.js";
import { callManagerLauncher } from "./callmanager.js";
import { writeTftpRoot } from "./tftp-root.js";
import { phoneMac } from "../storm/plan.js";
import { readState, removeState, statePath, STATE_VERSION, writeState, type LabState } from "./state.js";

/** The lab cannot run here (not root, a tool missing, no namespaces): a sentence saying why. */
export class LabUnavailable extends Error {}

export interface UpOptions {
  name: string;
  dhcp: DhcpServer;
  tftp: TftpServer;
  callManagers: number;
  load: string;
  /** Phones a storm command printed for it boots. */
  stormPhones: number;
  /** Registrations each CallManager answers per second (0: no limit). */
  cmRate?: number;
}

export function dirPrefix(name: string): string {
  return `ipphone-lab-${name}-`;
}

/** Refuses, with the reason, what cannot work here; before anything is made. */
export function checkCanRun(): void {
  if (process.getuid?.() !== 0) {
    throw new LabUnavailable("must run as root: it creates network namespaces and starts servers in them (try: sudo ipphone lab ...)");
  }
}

function checkTools(opts: UpOptions): void {
  const needed = [{ tool: "ip", pkg: "iproute2" }, { tool: "ethtool", pkg: "ethtool" }, { tool: "ss", pkg: "iproute2" }, ...toolsFor(opts.dhcp, opts.tftp)];
  const missing = needed.filter((t) => !haveTool(t.tool));
  if (missing.length > 0) {
    const which = missing.map((t) => `${t.tool} (Debian package ${t.pkg})`).join(", ");
    throw new LabUnavailable(`--servers ${opts.dhcp} --tftp ${opts.tftp} needs ${which}, not installed`);
  }
  if (!existsSync(PHONE_WASM)) throw new LabUnavailable(`no ${PHONE_WASM} for the TFTP root's image: run npm run build`);
  if (!canCreateNamespaces()) throw new LabUnavailable("cannot create network namespaces here (ip netns add failed)");
}

/** The commands that use a lab, as `up` prints them. */
export function labCommands(name: string, stormPhones: number): { boot: string; storm: string } {
  const ns = labNames(commandLabId(name)).harness;
  const link = `--link vxlan --remote ${UNDERLAY_SWITCH} --vni ${FIRST_VNI}`;
  return {
    boot: `ip netns exec ${ns} ipphone boot ${link} --port ${FIRST_PORT} --mac ${DEFAULT_PHONE_MAC}`,
    storm: `ip netns exec ${ns} ipphone storm ${link} --phones ${stormPhones}`,
  };
}

/** Builds the lab; resolves with its state. On any failure what was made is undone before the error propagates. */
export async function labUp(opts: UpOptions): Promise<LabState> {
  checkCanRun();
  const existing = readState(opts.name);
  if (existing) throw new Error(`lab '${opts.name}' is already up (${statePath(opts.name)}); run 'ipphone lab down${nameFlag(opts.name)}' first`);
  const id = commandLabId(opts.name);
  const leftovers = leftoverNamespaces(`${id}-`);
  if (leftovers.length > 0) throw new Error(`leftovers of lab '${opts.name}' (${leftovers.join(", ")}): run 'ipphone lab down${nameFlag(opts.name)}' first`);
  checkTools(opts);
  const cms = Array.from({ length: opts.callManagers }, (_, i) => callManagerIp(i));
  const lab = new Lab({ id, dirPrefix: dirPrefix(opts.name), detach: true, serverAddresses: [SERVER_IP, LAB_TFTP_IP, ...cms, LAB_DNS_IP] });
  const state: LabState = {
    version: STATE_VERSION, name: opts.name, created: new Date().toISOString(), complete: false,
    namespaces: lab.namespaces(), links: lab.links(), dir: lab.dir, tftpRoot: lab.file("tftp"),
    servers: { dhcp: opts.dhcp, tftp: opts.tftp, callManagers: opts.callManagers, load: opts.load },
    processes: lab.records, commands: labCommands(opts.name, opts.stormPhones),
  };
  writeState(state);
  // Interrupted on the way (Ctrl-C): undo what was made, as on a failure.
  let interrupted = "";
  const onSignal = (sig: NodeJS.Signals) => (interrupted = sig);
  const check = () => {
    if (interrupted) throw new Error(`interrupted by ${interrupted}; what was made is undone`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await lab.up();
    check();
    writeTftpRoot(state.tftpRoot, { callManagers: opts.callManagers, load: opts.load, macs: Array.from({ length: opts.stormPhones }, (_, i) => phoneMac(i)) });
    const hosts: Record<string, string> = { [`tftp.voice.example`]: LAB_TFTP_IP };
    cms.forEach((ip, i) => (hosts[`cm${i + 1}.voice.example`] = ip));
    const ctx = { dir: lab.dir, tftpRoot: state.tftpRoot, serverIf: lab.serverIf, hosts, listeningUdp: () => lab.inSwitch("ss", "-uln") };
    const all = [...launchers(opts.dhcp, opts.tftp, ctx), ...cms.map((_, i) => callManagerLauncher(i, state.tftpRoot, opts.cmRate ?? 0))];
    for (const l of all) {
      await lab.start(l.name, l.argv, l.ready, 15_000, l.role);
      writeState(state);
      check();
    }
  } catch (e) {
    await lab.down();
    removeState(opts.name);
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  state.complete = true;
  writeState(state);
  return state;
}

function nameFlag(name: string): string {
  return name === DEFAULT_LAB_NAME ? "" : ` --name ${name}`;
}

export const DEFAULT_LAB_NAME = "default";

/** What `up` prints: what runs where, and the commands that use it. */
export function formatUp(s: LabState): string {
  const [sw, h] = s.namespaces;
  const lines = [
    `lab ${s.name} up: namespaces ${sw} (bridge br0, the servers) and ${h} (the phones); veth underlay ${UNDERLAY_HARNESS} - ${UNDERLAY_SWITCH}, MTU ${UNDERLAY_MTU}; VXLAN VNI ${FIRST_VNI}, UDP port ${FIRST_PORT}`,
    `phones' pool ${LAB_POOL.start}-${LAB_POOL.end}; router ${SERVER_IP}, DNS ${LAB_DNS_IP}, TFTP ${LAB_TFTP_IP} (option 150, and option 66 tftp.voice.example)`,
    ...s.processes.map((p) => `  ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} ${p.role}`),
    ...tftpRootLines(s.tftpRoot),
    `state ${statePath(s.name)}`,
    "",
    "boot a phone against it:",
    `  ${s.commands.boot}`,
    "a building of phones against it:",
    `  ${s.commands.storm}`,
    `take it down: ipphone lab down${nameFlag(s.name)}`,
  ];
  return lines.join("\n");
}

/** The TFTP root's files, the storm phones' SEP files counted on a line of their own. */
function tftpRootLines(root: string): string[] {
  const first = `SEP${phoneMac(0).replace(/:/g, "").toUpperCase()}`.slice(0, 12);
  const files = readdirSafe(root);
  const storm = files.filter((f) => f.startsWith(first));
  const lines = [`TFTP root ${root}: ${files.filter((f) => !storm.includes(f)).join(" ")}`];
  if (storm.length) lines.push(`  and ${storm.length} SEP<MAC>.cnf.xml for the storm's phones ${phoneMac(0)} on`);
  return lines;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export interface LabStatus {
  name: string;
  up: boolean;
  state: string | null;
  complete: boolean;
  namespaces: { name: string; present: boolean }[];
  processes: { name: string; role: string; pid: number; alive: boolean }[];
  /** Namespaces of this lab's name that no state file records. */
  leftovers: string[];
  commands: { boot: string; storm: string } | null;
}

export function labStatus(name: string): LabStatus {
  checkCanRun();
  const s = readState(name);
  const found = leftoverNamespaces(`${commandLabId(name)}-`);
  if (!s) return { name, up: false, state: null, complete: false, namespaces: [], processes: [], leftovers: found, commands: null };
  const namespaces = s.namespaces.map((ns) => ({ name: ns, present: namespaceExists(ns) }));
  const processes = s.processes.map((p) => ({ name: p.name, role: p.role, pid: p.pid, alive: recordAlive(p) }));
  const up = s.complete && namespaces.every((n) => n.present) && processes.every((p) => p.alive);
  return { name, up, state: statePath(name), complete: s.complete, namespaces, processes, leftovers: found.filter((n) => !s.namespaces.includes(n)), commands: s.commands };
}

export function formatStatus(st: LabStatus): string {
  if (st.state === null) {
    const extra = st.leftovers.length > 0 ? `; leftovers without a state file: ${st.leftovers.join(", ")} (ipphone lab down${nameFlag(st.name)} removes them)` : "";
    return `lab ${st.name}: not up (no ${statePath(st.name)})${extra}`;
  }
  const broken = [
    ...(st.complete ? [] : ["never finished coming up"]),
    ...st.namespaces.filter((n) => !n.present).map((n) => `namespace ${n.name} gone`),
    ...st.processes.filter((p) => !p.alive).map((p) => `${p.name} (pid ${p.pid}) dead`),
  ];
  return [
    `lab ${st.name}: ${st.up ? "up" : `DEGRADED: ${broken.join(", ")}`} (${st.state})`,
    ...st.namespaces.map((n) => `  namespace ${n.name.padEnd(20)} ${n.present ? "present" : "GONE"}`),
    ...st.processes.map((p) => `  ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} ${p.alive ? "alive" : "DEAD "}  ${p.role}`),
    ...(st.commands ? [`boot: ${st.commands.boot}`, `storm: ${st.commands.storm}`] : []),
  ].join("\n");
}

export interface DownReport {
  stopped: { name: string; pid: number }[];
  namespaces: string[];
  dirs: string[];
  stateFile: string | null;
  /** What could not be removed. */
  remaining: string[];
}

/** Takes the lab down by its state file, and whatever is left of it by its names. */
export async function labDown(name: string): Promise<DownReport> {
  checkCanRun();
  let s: LabState | null = null;
  try {
    s = readState(name);
  } catch {
    s = null; // unreadable: fall back on the names
  }
  const id = commandLabId(name);
  const recorded: ProcessRecord[] = (s?.processes ?? []).filter(recordAlive);
  const strays = straysOf(name).filter((p) => !recorded.some((r) => r.pid === p.pid));
  const victims = [...recorded, ...strays];
  await stopPids(victims.map((p) => p.pid));
  const namespaces = [...new Set([...(s?.namespaces ?? []), ...leftoverNamespaces(`${id}-`)])].filter(namespaceExists);
  reapNamespaces(namespaces);
  // Only directories named as the lab names its own are removed, whatever the state file says.
  const recordedDir = s && typeof s.dir === "string" && basename(s.dir).startsWith(dirPrefix(name)) ? [s.dir] : [];
  const dirs = [...new Set([...recordedDir, ...ownDirs(name)])].filter((d) => existsSync(d));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const stateFile = existsSync(statePath(name)) ? statePath(name) : null;
  removeState(name);
  const remaining = [
    ...leftoverNamespaces(`${id}-`).map((n) => `namespace ${n}`),
    ...straysOf(name).map((p) => `process ${p.pid} (${p.name})`),
    ...dirs.filter((d) => existsSync(d)),
  ];
  return { stopped: victims.map((p) => ({ name: p.name, pid: p.pid })), namespaces, dirs, stateFile, remaining };
}

export function formatDown(name: string, r: DownReport): string {
  if (r.stopped.length === 0 && r.namespaces.length === 0 && r.dirs.length === 0 && r.stateFile === null) return `lab ${name}: nothing was up`;
  const lines = [`lab ${name} down:`];
  if (r.stopped.length) lines.push(`  stopped ${r.stopped.map((p) => `${p.name} (pid ${p.pid})`).join(", ")}`);
  if (r.namespaces.length) lines.push(`  deleted namespaces ${r.namespaces.join(", ")} (and their links)`);
  if (r.dirs.length) lines.push(`  removed ${r.dirs.join(", ")}`);
  if (r.stateFile) lines.push(`  removed ${r.stateFile}`);
  if (r.remaining.length) lines.push(`  LEFT: ${r.remaining.join(", ")}`);
  return lines.join("\n");
}

/** The lab's own directories in the temporary directory. */
function ownDirs(name: string): string[] {
  const prefix = dirPrefix(name);
  return readdirSafe(tmpdir()).filter((d) => d.startsWith(prefix)).map((d) => join(tmpdir(), d));
}

/** "dnsmasq", or "ipphone callmanager" for node running the product's command. */
function processName(argv: string[]): string {
  const base = (a: string | undefined) => a?.split("/").pop() ?? "?";
  return base(argv[1]) === "ipphone.js" ? `ipphone ${argv[2] ?? ""}`.trim() : base(argv[0]);
}

/** Processes whose command line names one of the lab's directories (its servers, after the state file was lost). */
function straysOf(name: string): ProcessRecord[] {
  const marker = join(tmpdir(), dirPrefix(name));
  const out: ProcessRecord[] = [];
  for (const entry of readdirSafe("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    } catch {
      continue;
    }
    if (!argv.some((a) => a.includes(marker))) continue;
    out.push({ name: processName(argv), pid, startTime: startTimeOf(pid), argv });
  }
  return out.filter((p) => p.startTime !== "" && recordAlive(p));
}
