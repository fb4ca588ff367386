// The seeded mutation fuzzer (runs anywhere Node runs: CI's short fuzz and
// `npm run fuzz`): libFuzzer's mutations (bit and byte flips, interesting
// values, erase, insert, copy, splice with another input, dictionary tokens)
// stacked 1-6 deep on the seed corpus, with a cheap feedback: an input that
// makes its parser return a value not seen before joins the corpus. Each run
// is a pure function of its seed. The coverage-guided fuzzer is libFuzzer on
// the same entry points translated by wasm2c (host/fuzz/native/).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../sim/random.js";
import { FuzzInstance, MAX_INPUT, type FuzzTarget } from "./targets.js";

export const CORPUS_DIR = new URL("../../../tests/fuzz-corpus/", import.meta.url).pathname;
export const REGRESSIONS_DIR = new URL("../../../tests/regressions/", import.meta.url).pathname;

export interface Crash {
  target: string;
  /** "trap: <message>", or "bad result N". */
  kind: string;
  input: Uint8Array;
  /** Where it was saved, if it was. */
  file: string | null;
}

export interface FuzzReport {
  target: string;
  runs: number;
  seed: number;
  traps: number;
  badResults: number;
  crashes: Crash[];
  /** How often each return value came up. */
  results: Record<number, number>;
  corpusStart: number;
  corpusEnd: number;
  ms: number;
}

/** The seed corpus of a target: tests/fuzz-corpus/<name>/*. */
export function seedCorpus(name: string, dir = CORPUS_DIR): Uint8Array[] {
  const d = join(dir, name);
  if (!existsSync(d)) return [];
  return readdirSync(d).sort().map((f) => new Uint8Array(readFileSync(join(d, f))));
}

/** Regression inputs of a target: tests/regressions/<name>-*.bin. */
export function regressions(name: string, dir = REGRESSIONS_DIR): { file: string; input: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith(".bin")).sort()
    .map((f) => ({ file: join(dir, f), input: new Uint8Array(readFileSync(join(dir, f))) }));
}

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x40, 0x3c, 0x3e, 0x26];
const INTERESTING16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400, 0x5dc, 0x5dd, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x400000];

export class Mutator {
  constructor(private readonly rng: Random, private readonly dictionary: Uint8Array[] = []) {}

  /** 1-6 stacked mutations of `input`, spliced with `other` sometimes. */
  mutate(input: Uint8Array, other: Uint8Array): Uint8Array {
    let f: Uint8Array = input.slice();
    for (let n = 1 + this.rng.int(this.rng.chance(0.5) ? 2 : 6); n > 0; n--) f = this.once(f, other);
    return f.length > MAX_INPUT ? f.subarray(0, MAX_INPUT) : f;
  }

  private once(f: Uint8Array, other: Uint8Array): Uint8Array {
    const r = this.rng;
    const at = (extra = 0) => r.int(Math.max(1, f.length - extra));
    switch (r.int(14)) {
      case 0: if (f.length) f[at()] ^= 1 << r.int(8); return f;
      case 1: if (f.length) f[at()] = r.int(256); return f;
      case 2: if (f.length) f[at()] = INTERESTING8[r.int(INTERESTING8.length)]; return f;
      case 3: if (f.length >= 2) { const v = INTERESTING16[r.int(INTERESTING16.length)] + (r.chance(0.3) ? r.int(5) - 2 : 0); const p = at(1); const le = r.chance(0.25); f[p] = le ? v & 0xff : (v >> 8) & 0xff; f[p + 1] = le ? (v >> 8) & 0xff : v & 0xff; } return f;
      case 4: if (f.length >= 4) { const v = INTERESTING32[r.int(INTERESTING32.length)] >>> 0; const p = at(3); new DataView(f.buffer, f.byteOffset).setUint32(p, v, r.chance(0.25)); } return f;
      case 5: { // erase a range
        if (f.length < 2) return f;
        const p = at(); const n = 1 + r.int(Math.min(f.length - p, r.chance(0.8) ? 8 : 256));
        return concat(f.subarray(0, p), f.subarray(p + n));
      }
      case 6: { // insert random bytes, or one byte repeated
        const p = r.int(f.length + 1); const n = 1 + r.int(r.chance(0.8) ? 8 : 128);
        const ins = r.chance(0.5) ? new Uint8Array(n).fill(r.int(256)) : Uint8Array.from({ length: n }, () => r.int(256));
        return concat(f.subarray(0, p), ins, f.subarray(p));
      }
      case 7: { // copy a range of the input over another place
        if (f.length < 2) return f;
        const from = at(); const to = at(); const n = 1 + r.int(Math.min(f.length - Math.max(from, to), 64));
        f.copyWithin(to, from, from + n); return f;
      }
      case 8: { // duplicate a range (insert a copy)
        if (f.length < 1) return f;
        const from = at(); const n = 1 + r.int(Math.min(f.length - from, 64)); const to = r.int(f.length + 1);
        return concat(f.subarray(0, to), f.slice(from, from + n), f.subarray(to));
      }
      case 9: // truncate
        return f.subarray(0, r.int(f.length + 1)).slice();
      case 10: { // splice: this input's head, the other's tail
        const p = r.int(f.length + 1); const q = r.int(other.length + 1);
        return concat(f.subarray(0, p), other.subarray(q));
      }
      case 11: case 12: { // a dictionary token, over or into the input
        if (this.dictionary.length === 0) return f;
        const t = this.dictionary[r.int(this.dictionary.length)];
        const p = r.int(f.length + 1);
        if (r.chance(0.5) && p + t.length <= f.length) { f.set(t, p); return f; }
        return concat(f.subarray(0, p), t, f.subarray(p));
      }
      default: { // add or subtract a small number to a byte (lengths, counts)
        if (f.length) { const p = at(); f[p] = (f[p] + r.int(17) - 8) & 0xff; }
        return f;
      }
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function inputName(target: string, input: Uint8Array): string {
  return `${target}-${createHash("sha256").update(input).digest("hex").slice(0, 16)}.bin`;
}

export interface FuzzOptions {
  runs: number;
  seed?: number;
  /** Write each crashing input into this directory (tests/regressions/ for `--save`). */
  saveDir?: string;
  /** Stop at the first crash. */
  stopOnCrash?: boolean;
  corpusDir?: string;
  instance?: FuzzInstance;
}

/** Fuzzes one target `runs` times from its seed corpus; every trap or out-of-range result is a crash. */
export function fuzz(t: FuzzTarget, o: FuzzOptions): FuzzReport {
  const fi = o.instance ?? new FuzzInstance();
  const seed = o.seed ?? 1;
  const rng = new Random(seed);
  const mutator = new Mutator(rng, t.dictionary);
  const corpus = seedCorpus(t.name, o.corpusDir);
  if (corpus.length === 0) corpus.push(new Uint8Array(0));
  const corpusStart = corpus.length;
  const max = t.maxResult(fi.ctrCount);
  const results = new Map<number, number>();
  const crashes: Crash[] = [];
  let traps = 0;
  let badResults = 0;
  const started = performance.now();
  const check = (input: Uint8Array): boolean => {
    let r: number;
    try {
      r = fi.run(t, input);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      traps++;
      fi.reset();
      crashes.push(save(t, `trap: ${e.message}`, input, o.saveDir));
      return false;
    }
    const seen = results.get(r);
    results.set(r, (seen ?? 0) + 1);
    if (!Number.isInteger(r) || r < 0 || r > max) {
      badResults++;
      crashes.push(save(t, `bad result ${r}`, input, o.saveDir));
      return false;
    }
    // Feedback: a return value not seen before keeps its input (bounded).
    if (seen === undefined && corpus.length < 4096) corpus.push(input.slice());
    return true;
  };
  // The seeds themselves first.
  let runs = 0;
  for (const s of corpus.slice(0, corpusStart)) { check(s); runs++; }
  while (runs < o.runs) {
    const base = corpus[rng.int(corpus.length)];
    const other = corpus[rng.int(corpus.length)];
    const ok = check(mutator.mutate(base, other));
    runs++;
    if (!ok && o.stopOnCrash) break;
  }
  return {
    target: t.name, runs, seed, traps, badResults, crashes,
    results: Object.fromEntries([...results].sort((a, b) => a[0] - b[0])),
    corpusStart, corpusEnd: corpus.length, ms: Math.round(performance.now() - started),
  };
}

function save(t: FuzzTarget, kind: string, input: Uint8Array, dir: string | undefined): Crash {
  let file: string | null = null;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    file = join(dir, inputName(t.name, input));
    writeFileSync(file, input);
  }
  return { target: t.name, kind, input: input.slice(), file };
}
