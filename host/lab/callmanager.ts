// The lab's CallManagers: `ipphone callmanager` instances, the product's own
// command, one per address 192.0.2.11, .12, ... on SCCP's port 2000, each
// reading a device's lines from the TFTP root its phones read.
import { fileURLToPath } from "node:url";
import { SCCP_PORT } from "../wire/sccp.js";
import { callManagerIp } from "./plan.js";
import type { Launcher } from "./servers.js";

/** bin/ipphone.js of this build (dist/host/lab/ -> the package root). */
export const IPPHONE_BIN = fileURLToPath(new URL("../../../bin/ipphone.js", import.meta.url));

export function callManagerName(i: number): string {
  return `CM${i + 1}`;
}

/** CallManager i (0-based) of the lab; `rate`: registrations it answers per second (callmanager --rate; 0: no limit). */
export function callManagerLauncher(i: number, tftpRoot: string, rate = 0): Launcher {
  const listen = `${callManagerIp(i)}:${SCCP_PORT}`;
  return {
    name: `callmanager ${callManagerName(i)}`,
    role: `SCCP on ${listen}${rate > 0 ? `, ${rate} registrations/s` : ""}`,
    argv: [process.execPath, IPPHONE_BIN, "callmanager", "--listen", listen, "--name", callManagerName(i), "--lines-from", tftpRoot, ...(rate > 0 ? ["--rate", String(rate)] : [])],
    ready: (log) => /listening on/.test(log),
  };
}
