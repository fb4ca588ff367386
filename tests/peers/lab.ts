// The tests' namespace lab: host/lab's Lab (the same machinery as `ipphone
// lab up`), with the phone runs and helpers the tests share. Every process
// is stopped by PID and the namespaces deleted, also when a test fails.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CLI } from "../helpers/tools.js";
import { Lab as HostLab, reapStaleLabs, type LabOptions as HostLabOptions } from "../../host/lab/lab.js";
import { FIRST_PORT, FIRST_VNI, UNDERLAY_SWITCH } from "../../host/lab/plan.js";

export { CLIENT_IP, LAB_PREFIX, SERVER_IP, TUNNEL_CLIENT_IP, UNDERLAY_HARNESS, UNDERLAY_SWITCH } from "../../host/lab/plan.js";
export { isAlive, labUnavailable, leftoverNamespaces, reapStaleLabs, sleep, stopGently } from "../../host/lab/lab.js";

/**
 * atftpd: Debian's package conflicts with tftpd-hpa (both provide "tftpd"),
 * so .ci/run unpacks it into /opt/atftpd instead of installing it.
 */
export const ATFTPD = ["/opt/atftpd/usr/sbin/atftpd", "/usr/sbin/atftpd"].find((p) => existsSync(p)) ?? "atftpd";
const VLAN_PORT = fileURLToPath(new URL("../../../tests/peers/vlan_port.py", import.meta.url));
/** A phone that has no address after this long gives up (the test then fails, bounded). */
export const PHONE_TIMEOUT_S = 45;

export type LabOptions = Pick<HostLabOptions, "voiceVlan" | "phones" | "client" | "serverAddresses">;

export interface PhoneRun {
  status: number | null;
  report: Record<string, unknown> | null;
  stdout: string;
  stderr: string;
}

export class Lab extends HostLab {
  constructor(opts: LabOptions = {}) {
    super({ ...opts, vlanPort: (bridge, port, vlan) => ["python3", VLAN_PORT, bridge, port, String(vlan)] });
  }

  /** Boots one phone over VXLAN end `index` (giving up after PHONE_TIMEOUT_S); resolves with its exit status and JSON report. */
  phone(index: number, ...extra: string[]): Promise<PhoneRun> {
    const args = ["netns", "exec", this.harness, process.execPath, CLI, "boot", "--json", "--link", "vxlan",
      "--remote", UNDERLAY_SWITCH, "--vni", String(FIRST_VNI + index), "--port", String(FIRST_PORT + index), "--timeout", String(PHONE_TIMEOUT_S), "--until", "bound", ...extra];
    return new Promise((resolve) => {
      const p = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
      this.adopt(p);
      let stdout = "";
      let stderr = "";
      p.stdout?.on("data", (d) => (stdout += d));
      p.stderr?.on("data", (d) => (stderr += d));
      p.on("close", (status) => {
        let report: Record<string, unknown> | null = null;
        try {
          report = JSON.parse(stdout);
        } catch {
          report = null;
        }
        resolve({ status, report, stdout, stderr });
      });
    });
  }
}

/** Runs `body` with a lab that is always torn down. */
export async function withLab<T>(opts: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  reapStaleLabs();
  const lab = new Lab(opts);
  try {
    await lab.up();
    return await body(lab);
  } finally {
    await lab.down();
  }
}

/** A failed phone run, told briefly: its timeline and counters, or what it printed. */
export function explain(run: PhoneRun): string {
  const r = run.report as { timeline?: { t_ms: number; stage: string; event: string; detail: string }[]; counters?: unknown } | null;
  if (!r?.timeline) return `status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`;
  const lines = r.timeline.map((e) => `${e.t_ms} ${e.stage} ${e.event} ${e.detail}`);
  return `status ${run.status}\n${lines.join("\n")}\n${JSON.stringify(r.counters)}\n${run.stderr}`;
}

