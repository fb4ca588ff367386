// Bench figure of issue 22: the default building's virtual time to all
// registered, before and after boots took device time and the servers got
// their published limits, and which server is the bottleneck. The virtual
// result is the same for a seed whatever the machine, so each model runs
// once, in a Node process of its own (without V8's wasm trap handler, as
// `ipphone storm` runs a big storm).
//   before:       boots take no virtual time; DHCP 1000 answers/s and an
//                 unlimited TFTP server (the guesses of before);
//   device boots: boots take device time (host/device-time.ts), the same servers;
//   after:        device boots and the published limits (Kea memfile's lease
//                 rate, Cisco TFTP's five connections and maximum serving count).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { makePlan, type Scenario } from "../../host/storm/plan.js";
import { runStorm } from "../../host/storm/engine.js";
import { summarize } from "../../host/storm/summary.js";
import { BIG_STORM_NODE_FLAGS, DEFAULT_WORKERS } from "../../host/commands/storm.js";

const PHONES = 10_000;
const MODELS: Record<string, Scenario> = {
  before: { phone: { deviceTime: false }, dhcp: { answersPerSecond: 1000 }, tftp: { connections: 0 } },
  "device boots": { dhcp: { answersPerSecond: 1000 }, tftp: { connections: 0 } },
  after: {},
};

interface Result { model: string; registered: number; allMs: number | null; bootP50Ms: number; bottleneck: string | null; reason: string; wallS: number }

async function child(model: string): Promise<void> {
  const started = Date.now();
  const run = await runStorm(makePlan({ phones: PHONES, seed: 1, scenario: MODELS[model] }), { workers: DEFAULT_WORKERS });
  const s = summarize(run);
  const r: Result = {
    model, registered: s.registered, allMs: s.time_to_all_registered_ms, bootP50Ms: s.stages_ms.boot.p50 ?? 0,
    bottleneck: s.bottleneck.name, reason: s.bottleneck.reason, wallS: (Date.now() - started) / 1000,
  };
  console.log(JSON.stringify(r));
}

function measure(model: string): Result {
  const r = spawnSync(process.execPath, [...BIG_STORM_NODE_FLAGS, fileURLToPath(import.meta.url), "child", model], { encoding: "utf8", maxBuffer: 16 << 20, timeout: 30 * 60_000 });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`storm time bench (${model}) failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as Result;
}

export function stormTimeBench(): string[] {
  return Object.keys(MODELS).map((m) => {
    const r = measure(m);
    const all = r.allMs === null ? `not all registered (${r.registered})` : `all ${PHONES} registered at ${(r.allMs / 1000).toFixed(3)} s virtual`;
    return `storm ${PHONES} phones, ${m}: ${all}, boot stage p50 ${(r.bootP50Ms / 1000).toFixed(3)} s, bottleneck ${r.bottleneck ?? "none"} (${r.reason}) [wall ${r.wallS.toFixed(1)} s]`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "child") {
  await child(process.argv[3]);
}
