// The README's sample outputs, regenerated from the current build. A block
// is marked by a comment line naming the command's arguments, followed by a
// fenced block holding what `ipphone ARGS` prints (run in an empty
// directory, so files it writes land there):
//
//   <!-- sample: boot --pcap boot.pcap -->
//   ```
//   ...output...
//   ```
//
// `node tests/readme-samples.js` exits 1 naming each stale block (the
// cli test runs it); `--write` rewrites them. Only deterministic commands
// belong here: no wall-clock figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const readmePath = join(root, "README.md");
const cli = join(root, "bin/ipphone.js");
const write = process.argv.includes("--write");

const readme = readFileSync(readmePath, "utf8");
const marker = /<!-- sample: (.+?) -->\n```\n([\s\S]*?)```\n/g;
const stale = [];
let count = 0;
const work = mkdtempSync(join(tmpdir(), "ipphone-readme-"));
const updated = readme.replace(marker, (whole, args, shown) => {
  count++;
  const r = spawnSync(process.execPath, [cli, ...args.split(" ")], { cwd: work, encoding: "utf8", maxBuffer: 16 << 20 });
  const now = r.stdout;
  if (now !== shown) stale.push({ args, status: r.status, first: firstDifference(shown, now) });
  return `<!-- sample: ${args} -->\n\`\`\`\n${now}\`\`\`\n`;
});
rmSync(work, { recursive: true, force: true });

function firstDifference(a, b) {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}: README has ${JSON.stringify(x[i] ?? null)}, the build prints ${JSON.stringify(y[i] ?? null)}`;
  }
  return "";
}

if (count === 0) {
  console.error("readme-samples: no <!-- sample: ... --> block in README.md");
  process.exit(1);
}
if (write) {
  if (updated !== readme) writeFileSync(readmePath, updated);
  console.log(`readme-samples: ${count} samples, ${stale.length} rewritten`);
} else if (stale.length > 0) {
  for (const s of stale) console.error(`README sample "ipphone ${s.args}" is stale: ${s.first}`);
  console.error("regenerate with: node tests/readme-samples.js --write");
  process.exit(1);
} else {
  console.log(`readme-samples: ${count} samples up to date`);
}
