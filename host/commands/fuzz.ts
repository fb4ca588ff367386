// `ipphone fuzz`: fuzz the firmware's parsers (build/fuzz.wasm, one entry
// point per parser). The seeded mutation loop runs anywhere; with
// --engine libfuzzer the same entry points, translated by wasm2c, run under
// clang's libFuzzer (coverage-guided; needs clang and wabt). Every crash is
// saved as tests/regressions/<parser>-<hash>.bin with --save, and the
// regression test replays it from then on.
import { parseCommandArgs, parseIntArg, UsageError } from "./args.js";
import { TARGETS, target, type FuzzTarget } from "../fuzz/targets.js";
import { fuzz, REGRESSIONS_DIR, type FuzzReport } from "../fuzz/engine.js";

export const FUZZ_USAGE = `  fuzz    fuzz the firmware's parsers: ${TARGETS.map((t) => t.name).join(", ")}
          --parser NAME  one parser, or "all" (default all)
          --runs N       inputs per parser (default 100000)
          --seed N       seed of the mutations (default 1)
          --save         write each crashing input to tests/regressions/ (the regression test replays them)
          --engine E     "js" (default: the seeded mutation loop) or "libfuzzer" (wasm2c + clang, coverage-guided)
          --jobs N       with libfuzzer: parsers fuzzed at once (default 2)
          --coverage     with libfuzzer: line and region coverage of what each entry point reaches
          --make-corpus  write the seed corpus tests/fuzz-corpus/ again from real frames
          --json         one JSON report`;

export const FUZZ_HELP = `usage: ipphone fuzz [--parser NAME|all] [--runs N] [--seed N] [--save] [--engine js|libfuzzer] [--jobs N] [--coverage] [--json]
       ipphone fuzz --make-corpus

${FUZZ_USAGE}

exit status: 0 no input trapped or gave a bad result; 1 crashes found (listed, and saved with --save);
2 bad usage.`;

const OPTIONS = {
  parser: { type: "string" },
  runs: { type: "string" },
  seed: { type: "string" },
  save: { type: "boolean", default: false },
  engine: { type: "string" },
  jobs: { type: "string" },
  coverage: { type: "boolean", default: false },
  "make-corpus": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
} as const;

export async function fuzzCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values["make-corpus"]) {
    const { writeCorpus } = await import("../fuzz/corpus.js");
    const counts = writeCorpus();
    console.log(`seed corpus written: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(", ")}`);
    return 0;
  }
  const name = values.parser ?? "all";
  let targets: FuzzTarget[];
  try {
    targets = name === "all" ? [...TARGETS] : [target(name)];
  } catch (e) {
    throw new UsageError(`--parser: ${(e as Error).message}`);
  }
  const runs = parseIntArg("--runs", values.runs, 1, 1e12, 100_000);
  const seed = parseIntArg("--seed", values.seed, 0, 0xffffffff, 1);
  const engine = values.engine ?? "js";
  if (engine !== "js" && engine !== "libfuzzer") throw new UsageError(`--engine must be 'js' or 'libfuzzer', got '${engine}'`);
  if (engine === "js") for (const o of ["jobs", "coverage"] as const) if (values[o] !== undefined && values[o] !== false) throw new UsageError(`--${o} goes with --engine libfuzzer`);
  if (engine === "libfuzzer") {
    const { runLibFuzzer } = await import("../fuzz/native.js");
    return runLibFuzzer(targets, { runs, seed, jobs: parseIntArg("--jobs", values.jobs, 1, 64, 2), save: values.save, json: values.json, coverage: values.coverage });
  }
  const reports: FuzzReport[] = [];
  for (const t of targets) {
    const r = fuzz(t, { runs, seed, saveDir: values.save ? REGRESSIONS_DIR : undefined });
    reports.push(r);
    if (!values.json) {
      const rate = Math.round(r.runs / Math.max(r.ms / 1000, 1e-3));
      console.log(`${t.name.padEnd(9)} ${r.runs} inputs, ${r.traps} traps, ${r.badResults} bad results, ${Object.keys(r.results).length} distinct results, corpus ${r.corpusStart} -> ${r.corpusEnd}, ${(r.ms / 1000).toFixed(1)} s (${rate}/s)`);
      for (const c of r.crashes.slice(0, 5)) console.log(`  ${c.kind}: ${Buffer.from(c.input.subarray(0, 64)).toString("hex")}${c.input.length > 64 ? "..." : ""}${c.file ? ` -> ${c.file}` : ""}`);
    }
  }
  const crashes = reports.reduce((n, r) => n + r.traps + r.badResults, 0);
  if (values.json) console.log(JSON.stringify(reports.map(({ crashes: cs, ...r }) => ({ ...r, crashes: cs.map((c) => ({ kind: c.kind, hex: Buffer.from(c.input).toString("hex"), file: c.file })) })), null, 2));
  else console.log(`fuzz: ${targets.length} parsers, ${reports.reduce((n, r) => n + r.runs, 0)} inputs, ${crashes} crashes`);
  return crashes === 0 ? 0 : 1;
}
