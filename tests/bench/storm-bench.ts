// Bench figures of `ipphone storm` (issues 10 and 22): the default building
// at 10,000 and 40,000 phones, each in a Node process of its own (as the
// command runs a big storm: without V8's wasm trap handler, see
// host/commands/storm.ts), so that its peak RSS is its own; threads as the
// command picks them. Then the 10,000-phone run again while a second busy
// process shares the machine: the bench starts a plain CPU loop itself and
// stops it (by its PID) afterwards.
// Prints wall time, phones per second, peak RSS and the virtual time to all
// registered per size, the growth ratio, the slowdown with the neighbour,
// then the targets: 40,000 phones in <= 60 s of wall time and <= 8 GiB; a
// busy neighbour slows the 10,000-phone run by at most 1.5x.
// STORM_BENCH_RUNS=N runs each measurement N times in turn and keeps the
// fastest (the machine is shared: another process can steal a core). Last,
// 1,000 SIP phones beside 1,000 SCCP ones (virtual time to all registered).
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { makePlan } from "../../host/storm/plan.js";
import { runStorm } from "../../host/storm/engine.js";
import { summarize } from "../../host/storm/summary.js";
import { BIG_STORM_NODE_FLAGS, DEFAULT_WORKERS } from "../../host/commands/storm.js";

const SMALL = 10_000;
const BIG = 40_000;
const RUNS = Math.max(1, Number(process.env.STORM_BENCH_RUNS ?? 1) | 0);
const WALL_TARGET_S = 60;
const RSS_TARGET = 8 * 2 ** 30;
const NEIGHBOUR_TARGET = 1.5;
const SIP_PHONES = 1_000;

interface ChildResult {
  phones: number;
  workers: number;
  wallS: number;
  peakRssBytes: number;
  registered: number;
  allRegisteredMs: number | null;
  bottleneck: string | null;
}

async function child(phones: number, protocol: "SCCP" | "SIP"): Promise<void> {
  const started = performance.now();
  const plan = makePlan({ phones, seed: 1, scenario: { protocol } });
  const run = await runStorm(plan, { workers: DEFAULT_WORKERS });
  const s = summarize(run);
  const result: ChildResult = {
    phones, workers: run.workers, wallS: (performance.now() - started) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    registered: s.registered, allRegisteredMs: s.time_to_all_registered_ms, bottleneck: s.bottleneck.name,
  };
  console.log(JSON.stringify(result));
}

function measureOnce(phones: number, protocol: "SCCP" | "SIP" = "SCCP"): ChildResult {
  const r = spawnSync(process.execPath, [...BIG_STORM_NODE_FLAGS, fileURLToPath(import.meta.url), "child", String(phones), protocol], {
    encoding: "utf8", maxBuffer: 16 << 20, timeout: 30 * 60_000,
  });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`storm bench at ${phones} phones failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as ChildResult;
}

/** The same measurement while a plain CPU loop (another process) runs; the loop is stopped by its PID, also on failure. */
function withNeighbour(phones: number): ChildResult {
  const loop = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  try {
    return measureOnce(phones);
  } finally {
    if (loop.pid !== undefined) process.kill(loop.pid, "SIGKILL");
  }
}

/** The fastest of its runs (the same storm: the same virtual result), with the largest peak RSS. */
function fastest(runs: ChildResult[]): ChildResult {
  const best = runs.reduce((a, b) => (b.wallS < a.wallS ? b : a));
  return { ...best, peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)) };
}

const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
const gib = (b: number) => (b / 2 ** 30).toFixed(2);

function line(label: string, r: ChildResult): string {
  const all = r.allRegisteredMs === null ? `not all registered (${r.registered})` : `all registered at ${(r.allRegisteredMs / 1000).toFixed(3)} s virtual`;
  const best = RUNS > 1 ? ` (best of ${RUNS})` : "";
  return `storm ${r.phones} phones${label}: wall ${r.wallS.toFixed(1)} s${best}, ${Math.round(r.phones / r.wallS)} phones/s (${r.workers} thread${r.workers === 1 ? "" : "s"}), peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${all}, bottleneck ${r.bottleneck ?? "none"}`;
}

export function stormBench(): string[] {
  const small: ChildResult[] = [];
  const big: ChildResult[] = [];
  const busy: ChildResult[] = [];
  for (let round = 0; round < RUNS; round++) {
    small.push(measureOnce(SMALL));
    big.push(measureOnce(BIG));
    busy.push(withNeighbour(SMALL));
  }
  const s = fastest(small);
  const b = fastest(big);
  const n = fastest(busy);
  const growth = b.wallS / s.wallS;
  const slowdown = n.wallS / s.wallS;
  return [
    line("", s),
    line("", b),
    line(" with a busy neighbour (one CPU-loop process)", n),
    `storm wall time ${SMALL} -> ${BIG} phones: x${growth.toFixed(2)} (linear: x${BIG / SMALL}): ${verdict(growth <= BIG / SMALL)}`,
    `storm ${BIG} phones registered in <= ${WALL_TARGET_S} s of wall time: ${b.wallS.toFixed(1)} s: ${verdict(b.registered === b.phones && b.wallS <= WALL_TARGET_S)}`,
    `storm ${BIG} phones peak RSS <= ${RSS_TARGET / 2 ** 30} GiB: ${gib(b.peakRssBytes)} GiB: ${verdict(b.peakRssBytes <= RSS_TARGET)}`,
    `storm ${SMALL} phones with a busy neighbour: x${slowdown.toFixed(2)} of the quiet run (target <= x${NEIGHBOUR_TARGET}): ${verdict(slowdown <= NEIGHBOUR_TARGET)}`,
    sipLine(),
  ];
}

/** 1,000 SIP phones (a line each, digest over TCP, the nodes' registrars at the CallManagers' rate) beside as many SCCP ones: virtual time to all registered, one run each (the seed's). */
function sipLine(): string {
  const sccp = measureOnce(SIP_PHONES);
  const sip = measureOnce(SIP_PHONES, "SIP");
  const at = (r: ChildResult) => (r.allRegisteredMs === null ? `not all registered (${r.registered})` : `${(r.allRegisteredMs / 1000).toFixed(3)} s`);
  return `storm ${sip.phones} SIP phones: all registered at ${at(sip)} virtual (SCCP: ${at(sccp)}), wall ${sip.wallS.toFixed(1)} s, bottleneck ${sip.bottleneck ?? "none"}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "child") {
  await child(Number(process.argv[3]), process.argv[4] === "SIP" ? "SIP" : "SCCP");
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `node dist/tests/bench/storm-bench.js`: the storm figures alone.
  for (const l of stormBench()) console.log(l);
}
