// The files the lab's TFTP server serves, as a CallManager's TFTP service
// would: SEP<MAC>.cnf.xml for the default phone, XMLDefault.cnf.xml for
// every other one (auto-registration), both naming the lab's CallManagers
// in priority order and the load, and that load's signed image.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cnfXml } from "../sim/cnf.js";
import { DEFAULT_PHONE_MAC, sepFileName } from "../sim/network.js";
import { devImage } from "../image.js";
import { PHONE_WASM } from "../firmware.js";
import { SCCP_PORT } from "../wire/sccp.js";
import { callManagerIp } from "./plan.js";
import { callManagerName } from "./callmanager.js";

export interface TftpFiles {
  callManagers: number;
  /** The load the configurations name; its image is built from build/phone.wasm and signed with the development key. */
  load: string;
  /** The phone that gets a SEP file of its own. */
  mac?: string;
  /** More phones that get one (a storm's: phoneMac(0..N-1)). */
  macs?: string[];
}

/** Writes the files into `root` (created); their names. */
export function writeTftpRoot(root: string, opts: TftpFiles): string[] {
  mkdirSync(root, { recursive: true });
  const callManagers = Array.from({ length: opts.callManagers }, (_, i) => ({ host: callManagerIp(i), port: SCCP_PORT, priority: i, name: callManagerName(i) }));
  const files: Record<string, string | Uint8Array> = {
    [sepFileName(opts.mac ?? DEFAULT_PHONE_MAC)]: cnfXml({ callManagers, load: opts.load }),
    "XMLDefault.cnf.xml": cnfXml({ callManagers, load: opts.load, xmlDefault: true }),
    [`${opts.load}.bin`]: devImage(PHONE_WASM, opts.load),
  };
  for (const mac of opts.macs ?? []) files[sepFileName(mac)] = files[sepFileName(opts.mac ?? DEFAULT_PHONE_MAC)];
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, name), body);
  return Object.keys(files);
}
