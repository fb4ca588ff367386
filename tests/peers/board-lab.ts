// Helpers of the board's upgrade lab (tests/peers-board.test.ts): board images
// on the TFTP server, the configuration that names one, and QEMU's PID under
// a running `ipphone device run`, for a power cut.
import { spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cnfXml } from "../../host/sim/cnf.js";
import { SERVER_IP } from "./lab.js";

/** The "next" build (assembly/testing/phone-next.ts: the phone plus build_id()). */
export const PHONE_NEXT_WASM = fileURLToPath(new URL("../../../build/testing/phone-next.wasm", import.meta.url));

/** The SEP file in `root` names `load` (CM1 at the lab's server). */
export function writeCnf(root: string, device: string, load: string): void {
  writeFileSync(join(root, `${device}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, port: 2000, priority: 0 }], load }));
}

/** `image` served as `<load>.bin`. */
export function serveImage(root: string, load: string, image: Uint8Array): void {
  writeFileSync(join(root, `${load}.bin`), image);
}

/** A copy of `image` with one payload byte flipped: its SHA-256 no longer matches. */
export function corrupt(image: Uint8Array): Uint8Array {
  const bad = image.slice();
  bad[64 + (bad.length >> 1)] ^= 0x40;
  return bad;
}

/** The PID of the qemu-system-arm that `deviceRun` started, or null. */
export function qemuPidOf(deviceRun: ChildProcess): number | null {
  if (deviceRun.pid === undefined) return null;
  const out = spawnSync("pgrep", ["-P", String(deviceRun.pid), "-x", "qemu-system-arm"], { encoding: "utf8" }).stdout.trim();
  return out ? Number(out.split("\n")[0]) : null;
}
