// The firmware's unit tests (as-pect, assembly/__tests__) run here, one
// node test per as-pect test, so that `npm test` counts and reports them.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const asp = root + "node_modules/@as-pect/cli/bin/asp.js";

interface Result { group: string; name: string; ok: boolean; detail: string }

function runAspect(): { results: Result[]; output: string; status: number | null } {
  const r = spawnSync(process.execPath, [asp, "--config", "as-pect.config.js", "--verbose", "--no-logo"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  const output = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  const results: Result[] = [];
  let group = "";
  const lines = output.split("\n");
  lines.forEach((line, i) => {
    const d = /^\s*\[Describe\]:\s*(.*)$/.exec(line);
    if (d) group = d[1].trim();
    const t = /^\s*\[(Success|Fail)\]:\s*\S+\s+(.*)$/.exec(line);
    if (t) results.push({ group, name: t[2].trim(), ok: t[1] === "Success", detail: lines.slice(i + 1, i + 6).join("\n") });
  });
  return { results, output, status: r.status };
}

const run = runAspect();

test("as-pect compiles and runs the firmware's unit tests", () => {
  assert.ok(run.results.length > 0, `as-pect reported no tests:\n${run.output.slice(-4000)}`);
  assert.equal(run.status, run.results.every((r) => r.ok) ? 0 : 1, run.output.slice(-4000));
});

for (const group of [...new Set(run.results.map((r) => r.group))]) {
  describe(`firmware: ${group}`, () => {
    for (const r of run.results.filter((x) => x.group === group)) {
      test(r.name, () => assert.ok(r.ok, r.detail));
    }
  });
}
