// The state file of a lab `ipphone lab up` started: everything it made
// (namespaces, links, the directory of its files, every process with its
// PID and start time), so that `status` can check it and `down` undo it.
// Root's runtime directory /run/ipphone-lab/, one file per lab name
// ($IPPHONE_LAB_RUN_DIR overrides the directory).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessRecord } from "./procs.js";
import type { DhcpServer, TftpServer } from "./servers.js";

export const STATE_VERSION = 1;

export interface LabState {
  version: number;
  name: string;
  /** ISO time `up` began. */
  created: string;
  /** Still being built (`up` has not finished, or died on the way). */
  complete: boolean;
  namespaces: string[];
  /** Links inside the namespaces (gone with them), "namespace/link". */
  links: string[];
  /** The lab's own directory (configuration, leases, logs, the TFTP root). */
  dir: string;
  tftpRoot: string;
  servers: { dhcp: DhcpServer; tftp: TftpServer; callManagers: number; load: string };
  processes: (ProcessRecord & { role: string })[];
  /** The commands that use the lab, as printed by `up`. */
  commands: { boot: string; storm: string };
}

export function runDir(): string {
  return process.env.IPPHONE_LAB_RUN_DIR || "/run/ipphone-lab";
}

export function statePath(name: string): string {
  return join(runDir(), `${name}.json`);
}

/** Writes the state whole (a rename, so a reader never sees half a file). */
export function writeState(state: LabState): void {
  mkdirSync(runDir(), { recursive: true, mode: 0o755 });
  const path = statePath(state.name);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + "\n", { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** The lab's state, or null when there is no file; a file that is not a lab state is an Error. */
export function readState(name: string): LabState | null {
  let text: string;
  try {
    text = readFileSync(statePath(name), "utf8");
  } catch {
    return null;
  }
  let s: LabState;
  try {
    s = JSON.parse(text) as LabState;
  } catch {
    throw new Error(`${statePath(name)} is not the state of lab '${name}' (not JSON)`);
  }
  if (s === null || typeof s !== "object" || s.version !== STATE_VERSION || s.name !== name || !Array.isArray(s.processes) || !Array.isArray(s.namespaces)) {
    throw new Error(`${statePath(name)} is not the state of lab '${name}'`);
  }
  return s;
}

export function removeState(name: string): void {
  rmSync(statePath(name), { force: true });
  rmSync(`${statePath(name)}.tmp`, { force: true });
}
