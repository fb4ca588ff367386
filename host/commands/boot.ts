// `ipphone boot`: one phone, on the built-in simulated network (virtual
// time) or on a real network through VXLAN (real time).
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { buildNetwork, bootPhone, DEFAULT_PHONE_MAC, PORTS } from "../sim/network.js";
import { applyOutages, loadScenario, type Scenario } from "../scenario.js";
import { deviceTiming } from "../device-time.js";
import type { StageName } from "../events.js";
import { formatSeconds, timelinePrinter, type TimelineEntry } from "../events.js";
import { Phone, type PhoneReport } from "../phone.js";
import { LAYOUT } from "../flash.js";
import { PcapWriter } from "../sim/pcap.js";
import { VxlanLink } from "../links/vxlan.js";
import { RealTimeClock } from "../links/realtime.js";
import type { Nic } from "../sim/wire.js";
import { checkMac, checkOutputFile, parseCommandArgs, parseIntArg, parseIpv4Arg, parseSeed, UsageError } from "./args.js";
import { EXIT_LOAD_NOT_REACHED, formatVerdict } from "../verdict.js";
import { loadOf, readImageFile, readKeyHash, setupFlash, SetupError, type PhoneSetup } from "../phone-setup.js";

export const BOOT_USAGE = `  boot    boot one phone and print its timeline
          --mac M       the phone's MAC (default ${DEFAULT_PHONE_MAC})
          --seed N      seed of the phone's random numbers and the simulation (default 1)
          --pcap FILE   write what crossed the phone's port as a pcap file
          --json        print one JSON report instead of the timeline
          --scenario F  the network described by the JSON scenario file F (README "Scenarios")
          --image FILE  boot this signed image (ipphone image build) from slot A instead of the built-in load;
                        the built-in configuration names its load
          --key FILE    the public key (FILE.pub.pem, or 64 hex digits of its hash) the phone's factory
                        data trusts, in place of the development key: the key --image is signed with
          --verbose     show the firmware's log lines (hal.log) in the timeline and the JSON
          --link vxlan  boot on a real network through a Linux VXLAN interface, in real time:
            --remote ADDR   the VXLAN interface's local address (required)
            --vni N         VXLAN network id (default 42)
            --port P        UDP port, the interface's dstport (default 4789)
            --local ADDR    address to bind (default any)
            --timeout S     give up waiting for --until after S seconds (default 120)
            --until G       what counts as success: bound, or registered (default)
            --stay S        keep the phone running S seconds after reaching it, however
                            long the wait took (default 0)`;

export const BOOT_HELP = `usage: ipphone boot [--mac M] [--seed N] [--scenario FILE] [--image FILE] [--key FILE] [--pcap FILE] [--json] [--verbose]
       ipphone boot --link vxlan --remote ADDR [--vni N] [--port P] [--local ADDR] [--timeout S]
                    [--until bound|registered] [--stay S] [--mac M] [--seed N] [--image FILE] [--key FILE]
                    [--pcap FILE] [--json] [--verbose]

${BOOT_USAGE}

The summary (and --json's "firmware") says the load running and its slot, the load the configuration
names, and the upgrade's outcome: none, upgraded (confirmed), refused by the bootloader (its reason),
download failed, reverted. A failure names the most specific cause seen in the stage that failed.

exit status:
  0   registered, on the load the configuration names (with --link vxlan: reached --until)
  10  power, 11 boot, 12 vlan, 13 dhcp, 14 tftp, 15 register: the stage that failed
  16  registered, but not on the load the configuration names (the upgrade failed or was refused)
  2   bad usage: one line on stderr, nothing run
  1   any other failure`;

const BOOT_OPTIONS = {
  mac: { type: "string" },
  seed: { type: "string" },
  pcap: { type: "string" },
  json: { type: "boolean", default: false },
  link: { type: "string" },
  remote: { type: "string" },
  vni: { type: "string" },
  port: { type: "string" },
  local: { type: "string" },
  timeout: { type: "string" },
  stay: { type: "string" },
  until: { type: "string" },
  scenario: { type: "string" },
  image: { type: "string" },
  key: { type: "string" },
  verbose: { type: "boolean", default: false },
} as const;

/** Options that only mean something on a real network (--link vxlan). */
const VXLAN_ONLY = ["remote", "vni", "port", "local", "timeout", "stay", "until"] as const;
/** Options that only mean something on the built-in simulated network. */
const SIM_ONLY = ["scenario"] as const;

export async function bootCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, BOOT_OPTIONS);
  const seed = parseSeed(values.seed);
  const mac = checkMac(values.mac, DEFAULT_PHONE_MAC);
  const json = values.json ?? false;
  checkOutputFile("--pcap", values.pcap);
  const setup = phoneSetupArgs(values.image, values.key);
  const verbose = values.verbose ?? false;
  const print = json ? undefined : timelinePrinter((line) => console.log(line));
  if (values.link === undefined || values.link === "sim") {
    for (const o of VXLAN_ONLY) if (values[o] !== undefined) throw new UsageError(`--${o} goes with --link vxlan (a real network); the simulated network has none`);
    const scenario = values.scenario === undefined ? null : loadScenario(values.scenario);
    const seedOf = values.seed === undefined && scenario?.seed !== undefined ? scenario.seed : seed;
    // The command line's --image and --key win over the scenario's, as --mac and --seed do.
    const own = { setup: { ...scenario?.phoneSetup, ...setup }, verbose };
    return bootSimulated(seedOf, values.mac === undefined ? scenario?.network.mac ?? mac : mac, json, values.pcap, print, scenario, own);
  }
  if (values.link !== "vxlan") throw new UsageError(`--link must be 'vxlan' (or 'sim'), got '${values.link}'`);
  for (const o of SIM_ONLY) if (values[o] !== undefined) throw new UsageError(`--${o} describes the simulated network; with --link vxlan the network is real`);
  const vxlan = {
    remote: parseIpv4Arg("--remote", values.remote),
    vni: parseIntArg("--vni", values.vni, 0, 0xffffff, 42),
    port: parseIntArg("--port", values.port, 1, 65535, 4789),
    local: values.local === undefined ? undefined : parseIpv4Arg("--local", values.local),
  };
  const timeoutS = parseIntArg("--timeout", values.timeout, 1, 86400, 120);
  const stayS = parseIntArg("--stay", values.stay, 0, 86400, 0);
  const until = values.until ?? "registered";
  if (until !== "bound" && until !== "registered") throw new UsageError(`--until must be 'bound' or 'registered', got '${until}'`);
  return bootVxlan({ seed, mac, json, pcap: values.pcap, print, vxlan, timeoutMs: timeoutS * 1000, stayMs: stayS * 1000, until, setup, verbose });
}

// ---- the user's own firmware (--image, --key) and its log lines (--verbose)

/** Reads --image and --key before any work: a file that is missing or not what it should be is a usage error. */
function phoneSetupArgs(image: string | undefined, key: string | undefined): PhoneSetup {
  return {
    ...(image !== undefined ? { image: asUsage("--image", () => readImageFile(image)) } : {}),
    ...(key !== undefined ? { keyHash: asUsage("--key", () => readKeyHash(key)) } : {}),
  };
}

function asUsage<T>(option: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SetupError) throw new UsageError(`${option} ${e.message}`);
    throw e;
  }
}

/** The phone's own flash when the user gave an image, a key or a counter; else the factory default. */
function phoneFlash(mac: string, setup: PhoneSetup) {
  return Object.keys(setup).length > 0 ? { flash: setupFlash(mac, setup) } : {};
}

/** With the user's image, the built-in configuration names its load, so that booting it is no upgrade. */
function configForImage(setup: PhoneSetup, files: Record<string, Uint8Array> | undefined) {
  if (files !== undefined || setup.image === undefined) return {};
  return { configLoad: loadOf(setup.image) };
}

interface OwnFirmware {
  setup: PhoneSetup;
  verbose: boolean;
}

function bootSimulated(seed: number, mac: string, json: boolean, pcap: string | undefined, print: ((e: TimelineEntry) => void) | undefined, scenario: Scenario | null, own: OwnFirmware): number {
  const phone = { ...(print ? { onEvent: print } : {}), ...phoneFlash(mac, own.setup), firmwareLogs: own.verbose, deviceTime: deviceTiming(scenario?.cpuMhz) };
  const net = buildNetwork({ ...scenario?.network, ...configForImage(own.setup, scenario?.network.tftpFiles), seed, mac, pcap: pcap !== undefined, phone });
  if (scenario) applyOutages(net, scenario);
  const result = bootPhone(net, scenario?.limitMs);
  if (pcap !== undefined && net.pcap) writeFileSync(pcap, net.pcap.toBuffer());
  const report = net.phone.report();
  const failure = result.registered ? null : failureOf(report);
  const exitCode = exitCodeOf(report, failure);
  const switchLog = net.poe.log.filter((l) => l.port === PORTS.phone).map((l) => l.text);
  // What the CallManagers' SIP registrars saw, when the phone spoke SIP to any.
  const sip = net.callManagers.map((cm) => cm.sip.registrar.report()).filter((r) => r.stats.requests > 0);
  finish({
    seed, scenario: scenario?.name ?? null, ...report, bound_at_ms: result.boundAtMs, registered_at_ms: result.registeredAtMs, failure, exit_code: exitCode, switch_log: switchLog,
    ...(sip.length > 0 ? { sip_registrars: sip } : {}),
  }, json, pcap);
  return exitCode;
}

/** The exit status of `ipphone boot`: 0 registered, else the stage that failed (README). */
export const EXIT_CODES: Record<StageName, number> = { power: 10, boot: 11, vlan: 12, dhcp: 13, tftp: 14, register: 15 };

/** A failed stage's code; else 16 when the configuration's load does not run; else 0. */
export function exitCodeOf(report: PhoneReport, failure: Failure | null): number {
  if (failure) return EXIT_CODES[failure.stage];
  return report.firmware.load_reached === false ? EXIT_LOAD_NOT_REACHED : 0;
}

export interface Failure {
  stage: StageName;
  /** The most specific cause seen in that stage (a RegisterReject's reason, NXDOMAIN, ...), else its last event. */
  reason: string;
  /** The last thing that happened in that stage. */
  last_event: string;
  lcd: string;
}

export function failureOf(report: PhoneReport): Failure {
  const last = report.timeline.filter((e) => e.stage === report.stage && e.event !== "lcd" && e.event !== "start" && e.event !== "log").at(-1);
  const lastEvent = last ? `${last.event}${last.detail ? `: ${last.detail}` : ""}` : "nothing happened";
  return { stage: report.stage, reason: report.causes[report.stage] ?? lastEvent, last_event: lastEvent, lcd: report.lcd };
}

export interface VxlanBoot {
  seed: number;
  mac: string;
  json: boolean;
  pcap: string | undefined;
  print?: (e: TimelineEntry) => void;
  vxlan: { remote: string; vni: number; port: number; local?: string };
  /** --timeout: the longest wait for --until. */
  timeoutMs: number;
  /** --stay: how long the phone runs on once --until is reached. */
  stayMs: number;
  until: "bound" | "registered";
  setup: PhoneSetup;
  verbose: boolean;
}

/** What the real-network boot needs of its link (a VxlanLink; tests give another). */
export interface RealLink {
  open(nic: Nic): Promise<void>;
  send(frame: Uint8Array): void;
  close(): void;
  readonly framesIn: number;
  readonly framesOut: number;
  /** The link's own counters (drops, buffer) for the report, read before close(). */
  stats?(): Record<string, number | null>;
}

/**
 * The two spans of a real-network boot: the wait for the goal, bounded by
 * `timeoutMs`, then, once the goal is reached, `stayMs` of its own (the
 * timeout no longer runs). `done` says how the wait ended.
 */
export class GoalWait {
  readonly done: Promise<"reached" | "timeout">;
  private end: (how: "reached" | "timeout") => void = () => {};
  private readonly timer: ReturnType<typeof setTimeout>;
  private reachedAt = false;
  private ended = false;

  constructor(timeoutMs: number, private readonly stayMs: number) {
    this.done = new Promise((resolve) => (this.end = (how) => {
      this.ended = true;
      resolve(how);
    }));
    this.timer = setTimeout(() => this.end("timeout"), timeoutMs);
  }

  get isReached(): boolean {
    return this.reachedAt;
  }

  /** The goal is reached: the timeout stops, the stay begins (not after the timeout ended the wait). */
  reached(): void {
    if (this.reachedAt || this.ended) return;
    this.reachedAt = true;
    clearTimeout(this.timer);
    setTimeout(() => this.end("reached"), this.stayMs);
  }
}

export async function bootVxlan(o: VxlanBoot, link: RealLink = new VxlanLink(o.vxlan)): Promise<number> {
  // On a real link the firmware runs at its top tier from its first frame:
  // V8 would otherwise compile its hot functions again (TurboFan, on helper
  // threads) in the middle of the first bulk transfer, taking a CPU from the
  // phone and the server (lockstep TFTP 4 MiB: ~0.29 -> ~0.25 s). Read when
  // a module is compiled, so it holds for the image the bootloader starts.
  // The harness's own JavaScript stays at its baseline tiers (--no-opt):
  // its per-frame work is small, and TurboFan compiling it on helper
  // threads mid-transfer cost more than it gave (4 MiB from tftpd-hpa:
  // medians 0.223-0.258 s -> 0.191-0.199 s).
  setFlagsFromString("--no-wasm-dynamic-tiering --no-opt");
  const clock = new RealTimeClock();
  const pcap = o.pcap !== undefined ? new PcapWriter() : null;
  let boundAtMs: number | null = null;
  let registeredAtMs: number | null = null;
  let wait: GoalWait | null = null;
  const phone = new Phone(clock, {
    mac: o.mac,
    seed: o.seed,
    ...phoneFlash(o.mac, o.setup),
    firmwareLogs: o.verbose,
    onEvent: (e) => {
      o.print?.(e);
      if (boundAtMs === null && phone.isBound) boundAtMs = e.t_ms;
      if (registeredAtMs === null && phone.isRegistered) registeredAtMs = e.t_ms;
      if (o.until === "bound" ? phone.isBound : phone.isRegistered) wait?.reached();
    },
  });
  const nic: Nic = {
    receive: (frame) => {
      pcap?.record(clock.now, frame);
      phone.receive(frame);
    },
    receiveNow: (frame) => {
      pcap?.record(clock.now, frame);
      phone.receiveNow(frame);
    },
    settle: () => phone.settle(),
  };
  phone.connect({
    send: (frame) => {
      pcap?.record(clock.now, frame);
      link.send(frame);
    },
  });
  // A whole slot's room, touched before the phone runs: an upgrade written
  // into new memory pays a page fault per sector mid-download (4 MiB from
  // tftpd-hpa: 0.185 -> 0.167 s, with the flash's erased-tail fast path).
  phone.flash.reserve(LAYOUT.slotSize);
  await link.open(nic);
  wait = new GoalWait(o.timeoutMs, o.stayMs);
  phone.powerOn();
  await wait.done;
  const linkStats = link.stats?.() ?? { frames_in: link.framesIn, frames_out: link.framesOut };
  link.close();
  const phoneReport = phone.report();
  phone.powerOff();
  if (o.pcap !== undefined && pcap) writeFileSync(o.pcap, pcap.toBuffer());
  const reachedGoal = o.until === "bound" ? phoneReport.bound : phoneReport.registered;
  const failure = reachedGoal ? null : failureOf(phoneReport);
  // --until bound asks nothing of the load; --until registered asks what the simulation asks.
  const exitCode = failure ? EXIT_CODES[failure.stage] : o.until === "registered" ? exitCodeOf(phoneReport, null) : 0;
  const report = { seed: o.seed, ...phoneReport, bound_at_ms: boundAtMs, registered_at_ms: registeredAtMs, failure, exit_code: exitCode, until: o.until, link: { kind: "vxlan", ...o.vxlan, ...linkStats } };
  finish(report, o.json, o.pcap, "real time");
  return exitCode;
}

function tftpSummary(r: PhoneReport): string {
  const list = r.tftp_servers.map((s) => `${s} (option 150)`);
  if (r.tftp_server_name) list.push(`${r.tftp_server_name} (option 66)`);
  return list.join(", ") || "none offered";
}

export type BootReport = PhoneReport & { seed: number; bound_at_ms: number | null; registered_at_ms: number | null; failure?: Failure | null; [more: string]: unknown };

/**
 * "power 0.590000s, boot 0.000000s, vlan 0.000412s, ...": how long the phone spent in
 * each stage up to `endMs`, summed over every start of the firmware (after an
 * upgrade's reset the second DHCP counts as dhcp, not as the tftp stage it
 * interrupted). A stage begins at its "start" entry; events a stage's
 * background work emits later (ARP announcements) do not move it.
 */
export function stageBreakdown(timeline: TimelineEntry[], endMs: number): string {
  const spent = new Map<string, number>();
  let current: { stage: string; t: number } | null = null;
  const close = (t: number) => {
    if (current) spent.set(current.stage, (spent.get(current.stage) ?? 0) + Math.max(0, t - current.t));
  };
  for (const e of timeline) {
    if (e.t_ms > endMs) break;
    if (current === null || (e.event === "start" && e.stage !== current.stage) || (e.event === "reset" && e.stage === "boot")) {
      close(e.t_ms);
      current = { stage: e.stage, t: e.t_ms };
      if (!spent.has(e.stage)) spent.set(e.stage, 0);
    }
  }
  close(endMs);
  return [...spent].map(([stage, ms]) => `${stage} ${formatSeconds(ms)}`).join(", ");
}

/** "link vxlan to 192.0.2.1: frames in 3010, out 2950, ...": the real link's own counters. */
function linkSummary(l: Record<string, unknown>): string {
  const drops = l.kernel_drops === null || l.kernel_drops === undefined ? "kernel drops unknown" : `kernel drops ${l.kernel_drops}`;
  const buffer = typeof l.recv_buffer_bytes === "number" ? ` (receive buffer ${l.recv_buffer_bytes} bytes)` : "";
  return `link ${l.kind} to ${l.remote}: frames in ${l.frames_in}, out ${l.frames_out}, not ours ${l.ignored ?? 0}, ${drops}${buffer}`;
}

export function finish(report: BootReport, json: boolean, pcap: string | undefined, clock = "virtual time"): void {
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const c = report.counters;
  const vlan = report.vlan === null ? "untagged" : `voice VLAN ${report.vlan} (${report.vlan_source})`;
  if (report.registered && report.registered_at_ms !== null) {
    const t = report.registered_at_ms;
    console.log(`phone ${report.mac} registered with ${report.callmanager} in ${formatSeconds(t)} of ${clock}: ${stageBreakdown(report.timeline, t)}`);
  } else if (report.failure === null && report.bound) {
    console.log(`phone ${report.mac} bound (--until bound), not registered`);
  } else {
    const f = report.failure ?? failureOf(report);
    console.log(`phone ${report.mac} not registered: failed in stage ${f.stage}: ${f.reason}; display "${f.lcd}"`);
    if (f.last_event !== f.reason) console.log(`  last event in ${f.stage}: ${f.last_event}`);
  }
  console.log(formatVerdict(report.firmware));
  if (report.bound) console.log(`address ${report.ip}/${report.mask} on ${vlan}; TFTP ${tftpSummary(report)}`);
  console.log(`frames in ${c.frames_in}, out ${c.frames_out}, dropped ${JSON.stringify(c.dropped)}`);
  const link = report.link as Record<string, unknown> | undefined;
  if (link) console.log(linkSummary(link));
  if (pcap !== undefined) console.log(`capture written to ${pcap} (open it with: wireshark ${pcap})`);
  if (report.exit_code === EXIT_LOAD_NOT_REACHED) console.log(`exit status ${EXIT_LOAD_NOT_REACHED}: the phone does not run the load its configuration names`);
}
