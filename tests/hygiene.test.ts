// Tests that cannot fail are not tests: no assertion of a constant, in the
// host tests or the firmware's unit tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/tools.js";

/**
 * Assertions that pass whatever the code under test does: a literal compared
 * with itself, `assert.ok(true)`, a count at least 0. (`expect(false).toBe(true)`
 * in a failure branch is a deliberate failure, and fine.)
 */
const CONSTANT_ASSERTIONS = [
  /expect\(\s*(true|false|\d+)\s*\)\s*\.\s*toBe\(\s*\1\s*\)/,
  /expect\(\s*true\s*\)\s*\.\s*toBeTruthy\(\s*\)/,
  /assert\.ok\(\s*true\s*[,)]/,
  /assert\.(equal|strictEqual)\(\s*(true|false|\d+)\s*,\s*\2\s*[,)]/,
  /assert\.ok\(\s*\w+\s*>=\s*0\s*[,)]/,
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
}

/** "file:line: text" of every constant assertion in `files`. */
export function constantAssertions(files: string[], read = (f: string) => readFileSync(join(ROOT, f), "utf8")): string[] {
  return files.flatMap((f) => read(f).split("\n").flatMap((line, i) =>
    CONSTANT_ASSERTIONS.some((re) => re.test(line)) ? [`${f}:${i + 1}: ${line.trim()}`] : []));
}

test("the detector finds a constant assertion and passes a real one", () => {
  const texts: Record<string, string> = {
    "a.ts": "  expect(true).toBe(true);\n  expect(r).toBe(0);\n  if (bad) expect(false).toBe(true);",
    "b.ts": "assert.ok(replayed >= 0);\nassert.ok(n >= 1);\nassert.equal(1, 1);",
  };
  assert.deepEqual(constantAssertions(["a.ts", "b.ts"], (f) => texts[f]),
    ["a.ts:1: expect(true).toBe(true);", "b.ts:1: assert.ok(replayed >= 0);", "b.ts:3: assert.equal(1, 1);"]);
});

test("no test asserts a constant (tests/, the firmware's __tests__/)", () => {
  const unitTests = sources("assembly").filter((f) => f.split(/[\\/]/).includes("__tests__"));
  const files = [...sources("tests"), ...unitTests].filter((f) => !f.endsWith("hygiene.test.ts"));
  assert.ok(files.length > 40, `${files.length} files`);
  assert.deepEqual(constantAssertions(files), []);
});
