// The lab's processes: started inside a namespace with `ip netns exec`
// (which execs, so the PID is the server's own), either attached (output
// piped to us, for tests) or detached (own process group, output to a log
// file, outliving `ipphone lab up`). Stopped by PID: SIGTERM, a bounded
// wait, SIGKILL; a recorded PID is only signalled while its start time
// still matches, so a reused PID is never hit.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";

/** A started process as the state file keeps it. */
export interface ProcessRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): with the PID, names this process and no later one. */
  startTime: string;
  argv: string[];
  /** Its stdout and stderr (detached processes). */
  log?: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The start time of `pid` (see ProcessRecord.startTime), or "" when there is no such process. */
export function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/** Is the process this record names still running (same PID, same start time, not a zombie)? */
export function recordAlive(r: ProcessRecord): boolean {
  if (startTimeOf(r.pid) !== r.startTime) return false;
  try {
    const stat = readFileSync(`/proc/${r.pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export interface Spawned {
  child: ChildProcess;
  /** Its output so far. */
  output: () => string;
}

/** Starts `args` in namespace `ns`: output piped to us, or (logFile given) detached with output to the file. */
export function spawnInNs(ns: string, args: string[], logFile?: string): Spawned {
  const argv = ["netns", "exec", ns, ...args];
  if (logFile === undefined) {
    const child = spawn("ip", argv, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (d) => (log += d));
    child.stderr?.on("data", (d) => (log += d));
    return { child, output: () => log };
  }
  const fd = openSync(logFile, "a");
  try {
    const child = spawn("ip", argv, { stdio: ["ignore", fd, fd], detached: true });
    child.unref();
    return { child, output: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "") };
  } finally {
    closeSync(fd);
  }
}

/** Waits until `ready(output so far)` holds; throws when the process exits first or after `limitMs`. */
export async function waitReady(name: string, s: Spawned, ready: (log: string) => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!ready(s.output())) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`${name} exited with ${s.child.exitCode ?? s.child.signalCode}: ${s.output().trim()}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready in ${limitMs} ms: ${s.output().trim()}`);
    await sleep(50);
  }
}

/** Stops the PIDs: SIGTERM, up to `graceMs` for them to go, then SIGKILL. Resolves with those that needed SIGKILL. */
export async function stopPids(pids: number[], graceMs = 3000): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(isAliveNotZombie) && Date.now() < deadline) await sleep(50);
  const stubborn = pids.filter(isAliveNotZombie);
  for (const pid of stubborn) signal(pid, "SIGKILL");
  return stubborn;
}

function isAliveNotZombie(pid: number): boolean {
  const t = startTimeOf(pid);
  return t !== "" && recordAlive({ name: "", pid, startTime: t, argv: [] });
}
