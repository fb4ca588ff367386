// The parsers' fuzz entry points (build/fuzz.wasm, assembly/fuzz.ts): a short
// seeded fuzz of every parser (the long runs are `npm run fuzz`), the seed
// corpus of real frames, every saved crash and edge input replayed, at least
// one per parser (tests/regressions/), and
// the guard that makes reading past an input a trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PHONE_WASM, BOOT_WASM } from "../host/firmware.js";
import { FuzzInstance, FUZZ_WASM, TARGETS } from "../host/fuzz/targets.js";
import { fuzz, inputName, Mutator, regressions, REGRESSIONS_DIR, seedCorpus } from "../host/fuzz/engine.js";
import { Random } from "../host/sim/random.js";

const PARSERS = ["ethernet", "vlan", "arp", "ipv4", "icmp", "udp", "tcp", "cdp", "lldp", "dhcp", "dns", "tftp", "cnf", "sccp", "sip", "image"];

test("build/fuzz.wasm has an entry point per parser; the release modules have none", () => {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(FUZZ_WASM))).map((e) => e.name);
  for (const p of [...PARSERS, "stack", "session"]) assert.ok(exports.includes(`fuzz_${p}`), p);
  assert.deepEqual(TARGETS.map((t) => t.name).sort(), [...PARSERS, "stack", "session"].sort());
  for (const path of [PHONE_WASM, BOOT_WASM]) {
    const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path))).map((e) => e.name);
    assert.deepEqual(names.filter((n) => n.startsWith("fuzz")), [], path);
  }
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(FUZZ_WASM)));
  assert.ok(imports.every((i) => i.module === "hal"), "numbers-only hal imports, as the firmware");
});

test("an input ends at the end of memory: a parser reading one byte past it traps", () => {
  const fi = new FuzzInstance();
  const arp = TARGETS.find((t) => t.name === "arp")!;
  assert.equal(fi.run(arp, new Uint8Array(27)), fi.run(arp, new Uint8Array(3)), "too short: refused without reading");
  // The same entry told the input is one byte longer than what is left of memory: the parser reads past the end.
  const fn = fi.exports.fuzz_arp as (p: number, n: number) => number;
  const end = (fi.exports.memory as WebAssembly.Memory).buffer.byteLength;
  const mem = new Uint8Array((fi.exports.memory as WebAssembly.Memory).buffer);
  mem.set([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0x5e, 0, 0, 1], end - 27); // a request from a unicast sender: the parser reads on
  assert.throws(() => fn(end - 27, 28), WebAssembly.RuntimeError);
  mem.copyWithin(end - 28, end - 27, end);
  assert.equal(fn(end - 28, 28), 0, "the same 28 bytes in bounds are an ARP request");
});

test("the seed corpus: real frames for every parser, each parsed without a trap, most accepted", () => {
  const fi = new FuzzInstance();
  for (const t of TARGETS) {
    const seeds = seedCorpus(t.name);
    assert.ok(seeds.length >= 1, `${t.name}: seeds`);
    const results = seeds.map((s) => fi.run(t, s));
    assert.ok(results.every((r) => r >= 0 && r <= t.maxResult(fi.ctrCount)), `${t.name}: ${results}`);
    assert.ok(results.includes(0), `${t.name}: at least one seed is accepted (${results})`);
  }
});

test("a short fuzz of every parser: 0 traps, 0 results out of range", () => {
  const fi = new FuzzInstance();
  const summary: string[] = [];
  for (const t of TARGETS) {
    const r = fuzz(t, { runs: 15_000, seed: 11, instance: fi });
    summary.push(`${t.name} ${Object.keys(r.results).length}`);
    assert.equal(r.traps + r.badResults, 0, `${t.name}: ${r.crashes.map((c) => `${c.kind} ${Buffer.from(c.input).toString("hex")}`).join("; ")}`);
    assert.equal(r.runs, 15_000);
  }
  // The mutants reach more than one verdict in the parsers with many checks.
  for (const name of ["ipv4", "cdp", "cnf", "image", "tcp", "dns"]) {
    const r = fuzz(TARGETS.find((t) => t.name === name)!, { runs: 3000, seed: 12, instance: fi });
    assert.ok(Object.keys(r.results).length >= 3, `${name}: ${JSON.stringify(r.results)} (${summary.join(", ")})`);
  }
});

/** Replays every saved input of `dir` through its parser; how many each parser replayed. */
function replayAll(fi: FuzzInstance, dir = REGRESSIONS_DIR): Map<string, number> {
  const replayed = new Map<string, number>();
  for (const t of TARGETS) {
    for (const { file, input } of regressions(t.name, dir)) {
      const r = fi.run(t, input);
      assert.ok(r >= 0 && r <= t.maxResult(fi.ctrCount), `${file}: ${r}`);
      replayed.set(t.name, (replayed.get(t.name) ?? 0) + 1);
    }
  }
  return replayed;
}

/** The parsers `replayed` has nothing for. */
const unreplayed = (replayed: Map<string, number>) => TARGETS.map((t) => t.name).filter((n) => !replayed.has(n));

test("every saved crash replays without a trap, at least one per parser (tests/regressions/)", () => {
  const fi = new FuzzInstance();
  assert.deepEqual(unreplayed(replayAll(fi)), [], "parsers with no saved input to replay");
  const empty = mkdtempSync(join(tmpdir(), "no-regressions-"));
  try {
    assert.equal(unreplayed(replayAll(fi, empty)).length, TARGETS.length, "an empty directory leaves every parser unreplayed");
  } finally {
    rmSync(empty, { recursive: true });
  }
});

test("every file in tests/regressions/ is named <parser>-<sha256 prefix>.bin for a parser that exists, so none is skipped", () => {
  const names = new Set(TARGETS.map((t) => t.name));
  const files = readdirSync(REGRESSIONS_DIR).filter((f) => f !== "README.md");
  assert.ok(files.length >= TARGETS.length, `${files.length} files`);
  for (const f of files) {
    const parser = /^([a-z0-9]+)-[0-9a-f]{16}\.bin$/.exec(f)?.[1];
    assert.ok(parser !== undefined && names.has(parser), `${f}: not <parser>-<hash>.bin for a parser of ${[...names].join(", ")}`);
    assert.equal(inputName(parser, new Uint8Array(readFileSync(join(REGRESSIONS_DIR, f)))), f, `${f}: its name is not its content's hash`);
  }
});

test("the mutation loop is a function of its seed", () => {
  const a = new Mutator(new Random(5), [Uint8Array.of(1, 2)]);
  const b = new Mutator(new Random(5), [Uint8Array.of(1, 2)]);
  const x = Uint8Array.from({ length: 40 }, (_, i) => i);
  for (let i = 0; i < 200; i++) assert.deepEqual(a.mutate(x, x), b.mutate(x, x));
  const t = TARGETS.find((x) => x.name === "dhcp")!;
  assert.deepEqual(fuzz(t, { runs: 2000, seed: 3 }).results, fuzz(t, { runs: 2000, seed: 3 }).results);
});
