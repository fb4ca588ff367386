// `ipphone storm`: a building of phones after a power cut, in virtual time:
// how long until every phone is registered, and which server held them up.
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { makePlan, MAX_PHONES, PlanError, type Scenario } from "../storm/plan.js";
import { loadStormScenario } from "../storm/scenario.js";
import { ScenarioError } from "../scenario.js";
import { phoneCsv, switchCsv, switchCsvPath } from "../storm/csv.js";
import { runStorm } from "../storm/engine.js";
import { formatSummary, summarize, type StormSummary } from "../storm/summary.js";
import { EXIT_LOAD_NOT_REACHED } from "../verdict.js";
import { renderReport } from "../storm/report.js";
import type { Progress } from "../storm/partition.js";
import { checkOutputFile, parseCommandArgs, parseIntArg, parseSeed, UsageError } from "./args.js";

export const STORM_USAGE = `  storm   boot a building of phones at once after a power cut (virtual time) and report
          --phones N      how many phones (1..${MAX_PHONES}; or "phones" in the scenario)
          --switches S    access switches, the phones spread over them (default: one per 48 phones)
          --seed N        seed of the whole building (default 1)
          --loss P        frame loss on each access switch's uplink, each way, 0..0.5 (default 0)
          --scenario FILE JSON: PoE budget and port priorities, DHCP/TFTP/CallManager limits and states, a new load,
                          the uplinks (fields as in boot's scenarios: snake_case, checked before any phone boots)
          --workers N     threads to simulate with (default: 2 from 2000 phones on a machine with 2 cores or more,
                          else 1); any N gives the same result
          --json          print the summary as one JSON object (no wall-clock figures in it)
          --report FILE   write an HTML report (charts and tables, one self-contained page)
          --csv FILE      write one CSV row per phone (switch, port, MAC, IP, CallManager, load, upgrade outcome,
                          failure cause, ms per stage) to FILE, and one per access switch to FILE-switches.csv`;

export const STORM_HELP = `usage: ipphone storm --phones N [--switches S] [--seed N] [--loss P] [--scenario FILE] [--workers N] [--json] [--report FILE.html] [--csv FILE.csv]

${STORM_USAGE}

exit status: 0 when every phone that got power registered on the load its configuration names; 1 when some
did not register within the time limit; 16 when all registered, but some not on that load (the upgrade failed,
was refused or reverted, as boot's 16); 2 bad usage (checked before any phone boots, the report's and the CSV
files' directories included).`;

const STORM_OPTIONS = {
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

/** Threads for a storm without --workers: two from BIG_STORM phones on a machine with two cores or more. */
export function defaultWorkers(phones: number): number {
  return phones >= BIG_STORM && availableParallelism() >= 2 ? 2 : 1;
}

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
  const workers = values.workers !== undefined ? parseIntArg("--workers", values.workers, 1, 64, 1) : defaultWorkers(plan.phones);

  if (plan.phones > BIG_STORM && !trapHandlerDisabled() && process.env.IPPHONE_STORM_CHILD === undefined) {
    // Run again in a Node that can hold this many WebAssembly memories (see trapHandlerDisabled).
    const r = spawnSync(process.execPath, [NO_TRAP_HANDLER, ...process.execArgv, process.argv[1], "storm", ...args], {
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
  const summary = summarize(run);
  if (values.report !== undefined) writeFileSync(values.report, renderReport(summary, run));
  if (values.csv !== undefined) {
    writeFileSync(values.csv, phoneCsv(run));
    writeFileSync(switchCsvPath(values.csv), switchCsv(run));
  }
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    const lines = formatSummary(summary, { seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, workers: run.workers });
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
