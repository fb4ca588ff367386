// `ipphone soak`: many seeds of the whole boot and upgrade on faulty links,
// with power cuts, and the flash power-cut matrix over the upgrade flow.
// Prints the figures; exit 0 only when every seed registered with no trap
// and no corrupted frame accepted.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timelinePrinter } from "../events.js";
import { checkOutputDir, checkOutputFile, parseCommandArgs, parseIntArg, UsageError } from "./args.js";
import { NEW_LOAD, powerCutMatrix, soakPlan, soakScenario, soakSeed, summarize, type SoakOptions, type SoakResult } from "../soak/soak.js";

export const SOAK_USAGE = `  soak    boot many seeds through the upgrade on lossy, corrupting links, with power cuts
          --seeds N     how many seeds (default 1000), from --from (default 1)
          --seed N      replay one seed: its timeline, its faults, exit 0 if registered
          --max-loss P  highest loss per direction in percent (default 30)
          --pcap FILE   with --seed: write what crossed the phone's port
          --no-matrix   skip the power cut at every flash operation of the upgrade
          --scenarios D write a scenario file (ipphone boot --scenario) for each failed seed into D
          --json        print one JSON summary`;

export const SOAK_HELP = `usage: ipphone soak [--seeds N] [--from N] [--max-loss P] [--no-matrix] [--scenarios DIR] [--json]
       ipphone soak --seed N [--max-loss P] [--pcap FILE] [--json]

${SOAK_USAGE}
          --from N      the first seed (default 1)

exit status: 0 when every seed registered with no trap, no exception and no corrupted frame accepted,
the counters add up and the power-cut matrix passed; 1 otherwise (the failed seeds are listed with the
command that replays each); 2 bad usage.`;

const OPTIONS = {
  seeds: { type: "string" },
  from: { type: "string" },
  seed: { type: "string" },
  "max-loss": { type: "string" },
  pcap: { type: "string" },
  "no-matrix": { type: "boolean", default: false },
  scenarios: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

export function soakCommand(args: string[]): number {
  const { values } = parseCommandArgs(args, OPTIONS);
  const options: SoakOptions = { maxLoss: parseIntArg("--max-loss", values["max-loss"], 0, 100, 30) / 100 };
  if (values.seed !== undefined) {
    for (const o of ["seeds", "from", "scenarios", "no-matrix"] as const) if (values[o] !== undefined && values[o] !== false) throw new UsageError(`--${o} goes with a run of many seeds, not with --seed N`);
    const seed = parseIntArg("--seed", values.seed, 0, 0xffffffff, 1);
    return replay(seed, options, checkOutputFile("--pcap", values.pcap), values.json);
  }
  if (values.pcap !== undefined) throw new UsageError("--pcap goes with --seed N");
  const count = parseIntArg("--seeds", values.seeds, 1, 1_000_000, 1000);
  const from = parseIntArg("--from", values.from, 0, 0xffffffff, 1);
  checkOutputDir("--scenarios", values.scenarios);
  const replayCmd = (seed: number) => `ipphone soak --seed ${seed}${values["max-loss"] !== undefined ? ` --max-loss ${values["max-loss"]}` : ""}`;
  const started = performance.now();
  const results: SoakResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = soakSeed(seed, options);
    results.push(r);
    if (!values.json && (!r.registered || r.trap || r.error || r.acceptedCorrupt.length > 0)) {
      console.log(`seed ${seed}: ${r.trap ? `TRAP ${r.trap.split("\n")[0]}` : r.error ? `ERROR ${r.error.split("\n")[0]}` : r.registered ? "registered" : `not registered: stage ${r.stage}, display "${r.lcd}"`}` +
        `${r.acceptedCorrupt.length ? `, ${r.acceptedCorrupt.length} corrupted frames accepted` : ""}; replay: ${replayCmd(seed)}`);
    }
    if (!values.json && (seed - from + 1) % 100 === 0) console.error(`... ${seed - from + 1}/${count} seeds`);
  }
  const summary = summarize(results, Math.round(performance.now() - started));
  const matrix = values["no-matrix"] ? null : powerCutMatrix();
  const failed = results.filter((r) => !r.registered || r.trap || r.error || r.acceptedCorrupt.length > 0);
  if (values.scenarios !== undefined && failed.length > 0) {
    mkdirSync(values.scenarios, { recursive: true });
    for (const r of failed) writeFileSync(join(values.scenarios, `soak-${r.seed}.json`), JSON.stringify(soakScenario(r.plan, replayCmd(r.seed)), null, 2) + "\n");
  }
  const ok = failed.length === 0 && summary.countersMismatch === 0 && summary.flashViolations === 0 &&
    (matrix === null || (matrix.failures.length === 0 && matrix.violations === 0));
  if (values.json) {
    console.log(JSON.stringify({ ok, options: { seeds: count, from, maxLoss: options.maxLoss }, ...summary, matrix }, null, 2));
    return ok ? 0 : 1;
  }
  const pct = (n: number) => `${((100 * n) / summary.seeds).toFixed(1)} %`;
  console.log(`soak: ${summary.seeds} seeds from ${from}, the whole boot with the upgrade to ${NEW_LOAD}, phone link loss 0-${Math.round((options.maxLoss ?? 0.3) * 100)} % per direction with duplication, reordering, corruption and jitter`);
  console.log(`registered      ${summary.registered}/${summary.seeds} (${pct(summary.registered)}), upgraded and confirmed ${summary.upgraded}/${summary.seeds}`);
  console.log(`traps           ${summary.traps}, other exceptions ${summary.errors}`);
  console.log(`corrupted       ${summary.corruptedDelivered} delivered to a checksum, ${summary.corruptedAccepted} accepted by the firmware (${summary.corruptUnobserved} unobserved), ${summary.fcsErrors} dropped by the FCS`);
  console.log(`faults          ${summary.lost} frames lost, ${summary.duplicated} duplicated, ${summary.reordered} reordered; ${summary.flaps} seeds with a link flap, ${summary.cuts} with a power cut`);
  console.log(`counters        ${summary.seeds - summary.countersMismatch}/${summary.seeds} add up (rx_frames = accepted + drops); flash violations ${summary.flashViolations}`);
  const stages = Object.entries(summary.failuresByStage);
  console.log(`failures        ${stages.length === 0 ? "none" : stages.map(([stage, seeds]) => `${stage} ${seeds.length} (seeds ${seeds.slice(0, 10).join(", ")}${seeds.length > 10 ? ", ..." : ""})`).join("; ")}`);
  if (summary.slowest) {
    const plan = soakPlan(summary.slowest.seed, options);
    console.log(`slowest seed    ${summary.slowest.seed}: registered after ${(summary.slowest.ms / 1000).toFixed(1)} s of virtual time (loss ${Math.round(summary.slowest.loss * 100)} %${plan.powerCut ? ", power cut" : ""}${plan.faults.phone?.flaps ? ", link flap" : ""}); replay: ${replayCmd(summary.slowest.seed)}`);
  }
  if (matrix) {
    console.log(`power-cut matrix ${matrix.cuts} cuts (${matrix.ops} flash operations of the upgrade x tears ${matrix.tears.join("/")}): registered after ${matrix.registered}/${matrix.cuts}, upgrade completed ${matrix.upgraded}/${matrix.cuts}, flash violations ${matrix.violations}`);
    for (const f of matrix.failures) console.log(`  cut at op ${f.atOp} tear ${f.tear}: stage ${f.stage} "${f.lcd}" ${f.trap ?? f.error ?? ""}`);
  }
  console.log(`wall time       ${(summary.wallMs / 1000).toFixed(1)} s for the seeds`);
  return ok ? 0 : 1;
}

function replay(seed: number, options: SoakOptions, pcap: string | undefined, json: boolean): number {
  const plan = soakPlan(seed, options);
  const print = json ? undefined : timelinePrinter((line) => console.log(line));
  if (!json) {
    console.log(`soak seed ${seed}: faults ${JSON.stringify(plan.faults)}`);
    if (plan.powerCut) console.log(`power cut at flash operation ${plan.powerCut.atOp} of the upgrade, tear ${plan.powerCut.tear}`);
  }
  const r = soakSeed(seed, { ...options, pcap: pcap !== undefined, onEvent: print }, plan);
  if (pcap !== undefined && r.pcap) writeFileSync(pcap, r.pcap);
  const { timeline, pcap: _bytes, ...rest } = r;
  if (json) console.log(JSON.stringify(rest, null, 2));
  else {
    console.log(`seed ${seed}: ${r.registered ? `registered on ${r.load} after ${((r.totalMs ?? 0) / 1000).toFixed(3)} s` : `not registered: stage ${r.stage}, display "${r.lcd}"`}${r.upgraded ? " (upgraded, confirmed)" : ""}${r.cut ? ", after a power cut" : ""}`);
    console.log(`faults ${JSON.stringify(r.faults)}`);
    if (r.trap) console.log(`TRAP ${r.trap}`);
    if (r.error) console.log(`ERROR ${r.error}`);
    if (pcap !== undefined) console.log(`capture written to ${pcap}`);
  }
  return r.registered && !r.trap && !r.error && r.acceptedCorrupt.length === 0 ? 0 : 1;
}
