// Bench figures of `ipphone storm` (issue 10): the default building at 1,000
// and 10,000 phones, each in a Node process of its own (as the command runs
// a big storm: without V8's wasm trap handler, see host/commands/storm.ts),
// so that its peak RSS is its own. Threads as the command picks them.
// The sizes run in turn, three rounds, and each size's fastest run counts
// (the machine is shared: another process can steal a core for seconds, and
// a 10,000-phone run varied from 23 to 30 s here; in turn, so that a busy
// spell does not fall on one size only); peak RSS is the largest.
// Then 1,000 SIP phones once, their virtual time to all registered beside
// the SCCP figure. Prints wall time, phones per second, peak RSS and the virtual time to all
// registered, then the targets: 10,000 phones in <= 60 s of wall time and
// <= 4 GiB, and wall time growing no worse than linearly (ratio <= 10).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { makePlan } from "../../host/storm/plan.js";
import { runStorm } from "../../host/storm/engine.js";
import { summarize } from "../../host/storm/summary.js";
import { defaultWorkers, NO_TRAP_HANDLER } from "../../host/commands/storm.js";

const SIZES = [1_000, 10_000];
const RUNS = 3;
const WALL_TARGET_S = 60;
const RSS_TARGET = 4 * 2 ** 30;

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
  const run = await runStorm(plan, { workers: defaultWorkers(phones) });
  const s = summarize(run);
  const result: ChildResult = {
    phones, workers: run.workers, wallS: (performance.now() - started) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    registered: s.registered, allRegisteredMs: s.time_to_all_registered_ms, bottleneck: s.bottleneck.name,
  };
  console.log(JSON.stringify(result));
}

function measureOnce(phones: number, protocol: "SCCP" | "SIP" = "SCCP"): ChildResult {
  const r = spawnSync(process.execPath, [NO_TRAP_HANDLER, fileURLToPath(import.meta.url), "child", String(phones), protocol], {
    encoding: "utf8", maxBuffer: 16 << 20, timeout: 30 * 60_000,
  });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`storm bench at ${phones} phones failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as ChildResult;
}

/** The fastest of its runs (the same storm: the same virtual result), with the largest peak RSS. */
function fastest(runs: ChildResult[]): ChildResult {
  const best = runs.reduce((a, b) => (b.wallS < a.wallS ? b : a));
  return { ...best, peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)) };
}

const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

export function stormBench(): string[] {
  const lines: string[] = [];
  const runs = SIZES.map((): ChildResult[] => []);
  for (let round = 0; round < RUNS; round++) SIZES.forEach((n, i) => runs[i].push(measureOnce(n)));
  const results = SIZES.map((n, i) => {
    const r = fastest(runs[i]);
    const all = r.allRegisteredMs === null ? `not all registered (${r.registered})` : `all registered at ${(r.allRegisteredMs / 1000).toFixed(3)} s virtual`;
    lines.push(`storm ${n} phones: wall ${r.wallS.toFixed(1)} s (best of ${RUNS}), ${Math.round(n / r.wallS)} phones/s (${r.workers} thread${r.workers === 1 ? "" : "s"}), peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${all}, bottleneck ${r.bottleneck ?? "none"}`);
    return r;
  });
  const big = results[results.length - 1];
  const ratio = big.wallS / results[0].wallS;
  const linear = big.phones / results[0].phones;
  lines.push(`storm ${big.phones} phones registered in <= ${WALL_TARGET_S} s of wall time: ${big.wallS.toFixed(1)} s: ${verdict(big.registered === big.phones && big.wallS <= WALL_TARGET_S)}`);
  lines.push(`storm ${big.phones} phones peak RSS <= 4 GiB: ${(big.peakRssBytes / 2 ** 30).toFixed(2)} GiB: ${verdict(big.peakRssBytes <= RSS_TARGET)}`);
  lines.push(`storm wall time ${results[0].phones} -> ${big.phones} phones: x${ratio.toFixed(2)} (linear: x${linear}): ${verdict(ratio <= linear)}`);
  // The same building of SIP phones (one line each, digest over TCP, the nodes' registrars at the CallManagers' rate): one run, the virtual time is the seed's.
  const sip = measureOnce(SIZES[0], "SIP");
  const sccp = results[0];
  const at = (r: ChildResult) => (r.allRegisteredMs === null ? `not all registered (${r.registered})` : `${(r.allRegisteredMs / 1000).toFixed(3)} s`);
  lines.push(`storm ${sip.phones} SIP phones: all registered at ${at(sip)} virtual (SCCP: ${at(sccp)}), wall ${sip.wallS.toFixed(1)} s, bottleneck ${sip.bottleneck ?? "none"}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "child") {
  await child(Number(process.argv[3]), process.argv[4] === "SIP" ? "SIP" : "SCCP");
}
