// Runs last (tests/run.js sorts the files): after every real-peer test,
// no lab namespace and no lab server may be left on the machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { labUnavailable, leftoverNamespaces } from "./peers/lab.js";

test("no lab namespace is left after the real-peer tests", { skip: labUnavailable() }, () => {
  assert.deepEqual(leftoverNamespaces(), []);
});

test("no lab server process is left running", { skip: labUnavailable() }, () => {
  const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
  const ours = ps.split("\n").filter((l) => /ipphone-lab-|ipplab/.test(l) && !l.includes("ps -eo"));
  assert.deepEqual(ours, []);
});
