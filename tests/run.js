// `npm test`: runs every test file with node's test runner (the firmware's
// as-pect unit tests run inside it, see assembly.test.ts) and ends with the
// line "N passed, N failed, N skipped".
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = new URL("../dist/tests/", import.meta.url).pathname;
const specDir = new URL("../assembly/__tests__/", import.meta.url).pathname;
// "NAME.spec" names one of the firmware's as-pect specs (assembly/__tests__/NAME.spec.ts):
// it runs alone, through assembly.test.js.
const specs = process.argv.slice(2).filter((o) => o.endsWith(".spec") || o.endsWith(".spec.ts")).map((o) => o.replace(/\.spec(\.ts)?$/, ""));
const missingSpecs = specs.filter((name) => !readdirSync(specDir).includes(`${name}.spec.ts`));
if (missingSpecs.length > 0) {
  console.error(`tests/run.js: no as-pect spec ${missingSpecs.map((n) => `assembly/__tests__/${n}.spec.ts`).join(", ")}`);
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(2);
}
if (specs.length > 0) process.env.IPPHONE_ASPECT_SPECS = specs.join(",");
const only = process.argv.slice(2).filter((o) => !(o.endsWith(".spec") || o.endsWith(".spec.ts"))).concat(specs.length > 0 ? ["assembly.test"] : []);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.js"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => join(dir, f));
const unmatched = only.filter((o) => !readdirSync(dir).some((f) => f.endsWith(".test.js") && f.includes(o)));
if (unmatched.length > 0) {
  // A filter that matches nothing is a typo, not "run everything" nor "0 passed".
  console.error(`tests/run.js: no test file matches ${unmatched.map((o) => `"${o}"`).join(", ")} (test files: ${dir}*.test.js; see \`ls tests/*.test.ts\`)`);
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "ipphone-test-"));
const countsFile = join(work, "counts.json");
const reporter = new URL("./count-reporter.js", import.meta.url).pathname;
const run = spawnSync(process.execPath, [
  "--test",
  "--test-concurrency=1",
  "--test-reporter=spec", "--test-reporter-destination=stdout",
  `--test-reporter=${reporter}`, `--test-reporter-destination=${countsFile}`,
  ...files,
], { stdio: "inherit", env: childEnv() });

/** Our environment, less what a test runner above us (when run.js is itself under test) would make the child report to. */
function childEnv() {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

let counts = { passed: 0, failed: 1, skipped: 0 };
try {
  counts = JSON.parse(readFileSync(countsFile, "utf8"));
} catch {
  console.error("the test runner wrote no counts");
}
rmSync(work, { recursive: true, force: true });
const failed = counts.failed + (run.status !== 0 && counts.failed === 0 ? 1 : 0);
console.log(`${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
