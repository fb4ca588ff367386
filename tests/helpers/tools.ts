// Finding the external tools some tests need, and running the CLI.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = ROOT + "bin/ipphone.js";

/** True when `name` is on PATH. */
export function have(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** A skip reason for node:test when a tool is missing (printed by the runner), else false. */
export function needs(...tools: string[]): string | false {
  const missing = tools.filter((t) => !have(t));
  return missing.length ? `needs ${missing.join(", ")} (Debian packages: tshark, wabt); not installed here` : false;
}

export function run(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, maxBuffer: 64 << 20, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function ipphone(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return run(process.execPath, [CLI, ...args]);
}
