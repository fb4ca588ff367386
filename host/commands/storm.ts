// `ipphone storm`: a building of phones after a power cut, in virtual time:
// how long until every phone is registered, and which server held them up.
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { makePlan, MAX_PHONES, PlanError, type Scenario, type StormPlan } from "../storm/plan.js";
import { loadStormScenario, MAX_INITIAL_DELAY_MS } from "../storm/scenario.js";
import { RealStorm } from "../storm/realtime.js";
import { VxlanLink } from "../links/vxlan.js";
import type { StormRun } from "../storm/engine.js";
import { ScenarioError } from "../scenario.js";
import { phoneCsv, switchCsv, switchCsvPath } from "../storm/csv.js";
import { runStorm } from "../storm/engine.js";
import { formatSummary, summarize, type StormSummary } from "../storm/summary.js";
import { EXIT_LOAD_NOT_REACHED } from "../verdict.js";
import { renderReport } from "../storm/report.js";
import type { Progress } from "../storm/partition.js";
import { checkOutputFile, parseCommandArgs, parseIntArg, parseIpv4Arg, parseSeed, UsageError } from "./args.js";

export const STORM_USAGE = `  storm   boot a building of phones at once after a power cut (virtual time) and report
          --phones N      how many phones (1..${MAX_PHONES}; or "phones" in the scenario)
          --switches S    access switches, the phones spread over them (default: one per 48 phones)
          --seed N        seed of the whole building (default 1)
          --loss P        frame loss on each access switch's uplink, each way, 0..0.5 (default 0)
          --scenario FILE JSON: PoE budget and port priorities, DHCP/TFTP/CallManager limits and states, a new load,
                          the uplinks (fields as in boot's scenarios: snake_case, checked before any phone boots)
          --workers N     threads to simulate with (default 1: two step together, 1.1x faster at 10,000 phones);
                          any N gives the same result
          --json          print the summary as one JSON object (no wall-clock figures in it)
          --report FILE   write an HTML report (charts and tables, one self-contained page)
          --csv FILE      write one CSV row per phone (switch, port, MAC, IP, CallManager, load, upgrade outcome,
                          failure cause, ms per stage) to FILE, and one per access switch to FILE-switches.csv
          --dhcp-delay MS|MIN-MAX  RFC 2131's random wait before each phone's first DISCOVER, ms (the firmware's
                          own: 1000-10000); or dhcp.initial_delay_ms in the scenario
          --link vxlan    the phones in real time against REAL servers, through a Linux VXLAN interface (run it in
                          the namespace \`ipphone lab up\` prints); the harness is their access switches (CDP voice
                          VLAN, 802.1Q, PoE), the voice VLAN untagged on the link:
            --remote ADDR   the VXLAN interface's local address (required)
            --vni N         VXLAN network identifier (default 42); --port P its UDP port (default 4789); --local ADDR
            --mac-base M    the first phone's MAC (default 00:1b:54:10:00:00), the others counting up from it
            --stagger MS    phone n gets power n * MS after the start (default 0: all at once)
            --timeout S     stop after S seconds of real time (default 300), registered or not`;

export const STORM_HELP = `usage: ipphone storm --phones N [--switches S] [--seed N] [--loss P] [--scenario FILE] [--workers N] [--dhcp-delay MS|MIN-MAX] [--json] [--report FILE.html] [--csv FILE.csv]
       ipphone storm --link vxlan --remote ADDR [--vni N] [--port P] --phones N [--mac-base M] [--stagger MS] [--timeout S] [--switches S] [--seed N] [--dhcp-delay MS|MIN-MAX] [--json] [--report FILE.html] [--csv FILE.csv]

${STORM_USAGE}

exit status: 0 when every phone that got power registered on the load its configuration names; 1 when some
did not register within the time limit; 16 when all registered, but some not on that load (the upgrade failed,
was refused or reverted, as boot's 16); 2 bad usage (checked before any phone boots, the report's and the CSV
files' directories included).`;

const STORM_OPTIONS = {
  "dhcp-delay": { type: "string" },
  link: { type: "string" },
  remote: { type: "string" },
  vni: { type: "string" },
  port: { type: "string" },
  local: { type: "string" },
  "mac-base": { type: "string" },
  stagger: { type: "string" },
  timeout: { type: "string" },
  phones: { type: "string" },
  switches: { type: "string" },
  seed: { type: "string" },
  loss: { type: "string" },
  scenario: { type: "string" },
  workers: { type: "string" },
  json: { type: "boolean", default: false },
  report: { type: "string" },
  csv: { type: "string" },
} as const;

/** From this many phones a run needs V8 without trap-handler bounds checks (see needsOwnProcess). */
const BIG_STORM = 2000;
export const NO_TRAP_HANDLER = "--disable-wasm-trap-handler";

/**
 * The Node flags a big storm runs under: no trap handler (trapHandlerDisabled),
 * and 64 MiB semi-spaces (V8's default is 16 MiB; the flag holds for worker
 * threads too). A storm's events allocate small short-lived objects (closures,
 * frames) while tens of thousands of old ones (phones, connections, the
 * scheduler's heap) point at them, so each young-generation collection costs
 * 7-25 ms whatever its size: measured at 20,000 phones (seed 1, one thread),
 * 1,939 of them took 31.6 s of a 188.7 s run; with 64 MiB, 592 took 15.2 s
 * of 152.2 s. 128 and 256 MiB were no faster (168.7 and 159.9 s).
 */
export const BIG_STORM_NODE_FLAGS = [NO_TRAP_HANDLER, "--max-semi-space-size=64"];

/**
 * Threads for a storm without --workers: one. Two step together in windows
 * of one uplink latency and each waits for the other about 45 % of the run
 * (the cells are busy while phones boot, the core while they register):
 * measured (README "Where the time goes") two were no faster than one at
 * 5,000 phones, and a busy neighbouring process doubled their time where it
 * slowed one thread by 11-17 %. Later (issue 22's fourth look) two took
 * 51.4 s at 10,000 phones where one took 56.7 s: still not worth a thread
 * that a neighbour can stall.
 */
export const DEFAULT_WORKERS = 1;

/**
 * V8 reserves about 10 GiB of address space per WebAssembly memory while its
 * trap handler does the bounds checks: a process holds at most ~12,900 of
 * them, and each phone has one (plus its bootloader's until collected). A big
 * storm therefore runs in a Node started with --disable-wasm-trap-handler
 * (explicit bounds checks, a plain 64 KiB allocation per memory).
 */
export function trapHandlerDisabled(): boolean {
  return process.execArgv.includes(NO_TRAP_HANDLER) || (process.env.NODE_OPTIONS ?? "").includes(NO_TRAP_HANDLER);
}

function loadScenario(path: string | undefined): Scenario | undefined {
  if (path === undefined) return undefined;
  try {
    return loadStormScenario(path);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
}

function parseLoss(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(v >= 0 && v <= 0.5)) throw new UsageError(`--loss must be a probability 0..0.5, got '${text}'`);
  return v;
}

function progressBar(p: Progress & { tUs: number; phones: number }): string {
  const cols = Math.max(60, process.stderr.columns ?? 100);
  const text = ` t=${(p.tUs / 1e6).toFixed(1)}s powered ${p.powered} bound ${p.bound} configured ${p.configured} registered ${p.registered}/${p.phones}`;
  const width = Math.max(10, Math.min(40, cols - text.length - 4));
  const done = Math.round((p.registered / Math.max(1, p.phones)) * width);
  const bound = Math.max(done, Math.round((p.bound / Math.max(1, p.phones)) * width));
  return `\r[${"#".repeat(done)}${"+".repeat(bound - done)}${".".repeat(width - bound)}]${text}`.slice(0, cols);
}

export async function stormCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, STORM_OPTIONS);
  checkOutputFile("--report", values.report);
  checkOutputFile("--csv", values.csv);
  if (values.csv !== undefined) checkOutputFile("--csv", switchCsvPath(values.csv));
  const scenario = loadScenario(values.scenario);
  let plan;
  try {
    plan = makePlan({
      phones: values.phones === undefined ? undefined : parseIntArg("--phones", values.phones, 1, MAX_PHONES, 0),
      switches: values.switches === undefined ? undefined : parseIntArg("--switches", values.switches, 1, MAX_PHONES, 0),
      seed: values.seed === undefined ? undefined : parseSeed(values.seed),
      loss: parseLoss(values.loss),
      scenario,
    });
  } catch (e) {
    if (e instanceof PlanError) throw new UsageError(e.message.startsWith("phones must") && values.phones === undefined ? `--phones is required (or "phones" in the scenario)` : e.message);
    throw e;
  }
  const delay = parseDhcpDelay(values["dhcp-delay"]);
  if (delay) plan.dhcpInitialDelayMs = delay;
  if (values.link !== undefined) return realStorm(plan, values, scenario);
  for (const o of REAL_ONLY) if (values[o] !== undefined) throw new UsageError(`--${o} goes with --link vxlan (real servers)`);
  const workers = values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 64, 1) : DEFAULT_WORKERS;

  if (plan.phones > BIG_STORM && !trapHandlerDisabled() && process.env.IPPHONE_STORM_CHILD === undefined) {
    // Run again in a Node that can hold this many WebAssembly memories (see trapHandlerDisabled) and collects less often.
    const r = spawnSync(process.execPath, [...BIG_STORM_NODE_FLAGS, ...process.execArgv, process.argv[1], "storm", ...args], {
      stdio: "inherit", env: { ...process.env, IPPHONE_STORM_CHILD: "1" },
    });
    if (r.error) throw r.error;
    return r.status ?? 1;
  }

  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const run = await runStorm(plan, { workers, onProgress: tty ? (p) => process.stderr.write(progressBar(p)) : undefined });
  const seconds = (performance.now() - started) / 1000;
  if (tty) process.stderr.write("\r\x1b[K");
  return printStorm(summarize(run), run, values, { seconds, workers: run.workers });
}

/** Options that only mean something against real servers. */
const REAL_ONLY = ["remote", "vni", "port", "local", "mac-base", "stagger", "timeout"] as const;

/** "--dhcp-delay 2000" or "--dhcp-delay 0-2000": ms. */
export function parseDhcpDelay(text: string | undefined): { min: number; max: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(text);
  const min = Number(m?.[1]), max = Number(m?.[2] ?? m?.[1]);
  if (!m || max < min || max > MAX_INITIAL_DELAY_MS) throw new UsageError(`--dhcp-delay must be ms or MIN-MAX ms within 0..${MAX_INITIAL_DELAY_MS}, like 1000-10000, got '${text}'`);
  return { min, max };
}

/** "00:1b:54:10:00:00" -> its 48 bits as a number; room for `phones` MACs after it. */
export function parseMacBase(text: string | undefined, phones: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text)) throw new UsageError(`--mac-base must be a MAC like 00:1b:54:10:00:00, got '${text}'`);
  const n = parseInt(text.replace(/:/g, ""), 16);
  if (Math.floor(n / 2 ** 40) & 1) throw new UsageError(`--mac-base ${text} is a multicast address (its first byte is odd)`);
  // Counting up must not carry into the first byte (the next one up may be a multicast address).
  if (Math.floor((n + phones - 1) / 2 ** 40) !== Math.floor(n / 2 ** 40)) throw new UsageError(`--mac-base ${text}: ${phones} phones run past ${text.slice(0, 2)}:ff:ff:ff:ff:ff`);
  return n;
}

/** Scenario fields that describe the simulated servers or network: meaningless against real ones. */
function simOnlyScenarioField(sc: Scenario): string | null {
  if (sc.loss !== undefined) return "loss";
  if (sc.tftp !== undefined) return "tftp";
  if (sc.callManagers !== undefined) return "callmanagers";
  if (sc.uplink !== undefined) return "uplink";
  if (sc.load !== undefined) return "load";
  if (sc.dhcp && (sc.dhcp.answersPerSecond !== undefined || sc.dhcp.backlog !== undefined || sc.dhcp.leaseS !== undefined)) return "dhcp (but initial_delay_ms)";
  return null;
}

type StormValues = ReturnType<typeof parseCommandArgs<typeof STORM_OPTIONS>>["values"];

/** storm --link vxlan: the phones in real time against real servers. */
async function realStorm(plan: StormPlan, values: StormValues, scenario: Scenario | undefined): Promise<number> {
  if (values.link !== "vxlan") throw new UsageError(`--link must be 'vxlan', got '${values.link}'`);
  for (const o of ["loss", "workers"] as const) if (values[o] !== undefined) throw new UsageError(`--${o} describes the simulation; with --link vxlan the network and servers are real`);
  const field = scenario ? simOnlyScenarioField(scenario) : null;
  if (field) throw new UsageError(`the scenario's ${field} describes simulated servers; with --link vxlan they are real (a scenario may set phones, switches, seed, poe, dhcp.initial_delay_ms)`);
  const link = {
    remote: parseIpv4Arg("--remote", values.remote),
    vni: parseIntArg("--vni", values.vni, 0, 0xffffff, 42),
    port: parseIntArg("--port", values.port, 1, 65535, 4789),
    local: values.local === undefined ? undefined : parseIpv4Arg("--local", values.local),
  };
  plan.macBase = parseMacBase(values["mac-base"], plan.phones);
  const staggerMs = parseIntArg("--stagger", values.stagger, 0, 60_000, 0);
  const timeoutS = parseIntArg("--timeout", values.timeout, 1, 86_400, 300);
  const tty = process.stderr.isTTY === true;
  const storm = new RealStorm(plan, new VxlanLink(link), {
    staggerMs, timeoutMs: timeoutS * 1000, onProgress: tty ? (p) => process.stderr.write(progressBar(p)) : undefined,
  });
  const run = await storm.run();
  if (tty) process.stderr.write("\r\x1b[K");
  const summary = summarize(run);
  summary.real = { link: { kind: "vxlan", remote: link.remote, vni: link.vni, port: link.port }, registered_at_end: storm.registeredNow, servers: run.seen, harness: run.harness };
  return printStorm(summary, run, values, null);
}

/** Writes the report and CSV asked for and prints the summary; the exit status. */
function printStorm(summary: StormSummary, run: StormRun, values: StormValues, wall: { seconds: number; workers: number } | null): number {
  if (values.report !== undefined) writeFileSync(values.report, renderReport(summary, run));
  if (values.csv !== undefined) {
    writeFileSync(values.csv, phoneCsv(run));
    writeFileSync(switchCsvPath(values.csv), switchCsv(run));
  }
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    const lines = formatSummary(summary, wall ? { ...wall, peakRssBytes: process.resourceUsage().maxRSS * 1024 } : undefined);
    if (values.report !== undefined) lines.push(`  report written to ${values.report}`);
    if (values.csv !== undefined) lines.push(`  CSV written to ${values.csv} (phones) and ${switchCsvPath(values.csv)} (switches)`);
    for (const l of lines) console.log(l);
  }
  return stormExitCode(summary);
}

/** 1 when a powered phone did not register; else 16 when one runs another load than its configuration's; else 0. */
export function stormExitCode(s: StormSummary): number {
  if (s.time_to_all_registered_ms === null) return 1;
  return s.load_not_reached > 0 ? EXIT_LOAD_NOT_REACHED : 0;
}
