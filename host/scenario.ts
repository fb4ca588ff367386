// Scenario files (`ipphone boot --scenario FILE`): a JSON description of the
// network a phone boots on, checked field by field with clear errors, turned
// into the options of host/sim/network.ts. README "Scenarios" documents it.
import { readFileSync } from "node:fs";
import { CALLMANAGERS, DEFAULT_LOAD, DEFAULT_PHONE_MAC, sepFileName, type Network, type NetworkOptions } from "./sim/network.js";
import { cnfXml } from "./sim/cnf.js";
import { devImage } from "./image.js";
import { PHONE_WASM } from "./firmware.js";
import { checkFaultSpec } from "./sim/faults.js";

export class ScenarioError extends Error {}

export interface Scenario {
  name: string;
  description: string;
  seed?: number;
  /** Virtual time after which the boot is given up (ms). */
  limitMs: number;
  network: Omit<NetworkOptions, "seed">;
  /** CallManagers that are down ("refuse": the service, "silent": the host) from the start. */
  outages: ("up" | "refuse" | "silent")[];
}

type Json = Record<string, unknown>;

function obj(v: unknown, where: string): Json {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ScenarioError(`${where} must be an object`);
  return v as Json;
}

function known(o: Json, where: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ScenarioError(`${where}: unknown field "${k}" (known: ${keys.join(", ")})`);
}

function num(v: unknown, where: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(`${where} must be a number ${min}..${max}`);
  return v;
}

function str(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ScenarioError(`${where} must be a string`);
  return v;
}

function oneOf<T extends string>(v: unknown, where: string, values: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw new ScenarioError(`${where} must be one of ${values.map((x) => `"${x}"`).join(", ")}`);
  return v as T;
}

function ipList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && /^\d{1,3}(\.\d{1,3}){3}$/.test(x))) {
    throw new ScenarioError(`${where} must be a list of IPv4 addresses`);
  }
  return v as string[];
}

/** A TFTP file: inline text, a generated configuration, or an image of build/phone.wasm. */
function tftpFile(v: unknown, where: string): Uint8Array {
  const f = obj(v, where);
  known(f, where, ["text", "config", "image"]);
  if (typeof f.text === "string") return new TextEncoder().encode(f.text);
  if (f.config !== undefined) {
    const c = obj(f.config, `${where}.config`);
    known(c, `${where}.config`, ["callmanagers", "load"]);
    const cms = ipList(c.callmanagers, `${where}.config.callmanagers`) ?? CALLMANAGERS;
    return new TextEncoder().encode(cnfXml({ callManagers: cms.map((host, i) => ({ host, priority: i })), load: str(c.load, `${where}.config.load`) ?? DEFAULT_LOAD }));
  }
  if (f.image !== undefined) {
    const i = obj(f.image, `${where}.image`);
    known(i, `${where}.image`, ["load", "corrupt"]);
    const image = devImage(PHONE_WASM, str(i.load, `${where}.image.load`) ?? DEFAULT_LOAD);
    if (i.corrupt === true) image[image.length >> 1] ^= 0x01;
    return image;
  }
  throw new ScenarioError(`${where} needs "text", "config" or "image"`);
}

export function parseScenario(text: string, name = "scenario"): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${name}: not JSON: ${(e as Error).message}`);
  }
  const s = obj(raw, name);
  known(s, name, ["description", "seed", "limit_s", "phone", "switch", "dhcp", "tftp", "callmanagers", "faults"]);
  let faults;
  try {
    faults = s.faults === undefined ? undefined : checkFaultSpec(s.faults);
  } catch (e) {
    throw new ScenarioError(`faults: ${(e as Error).message}`);
  }
  const phone = obj(s.phone, "phone");
  known(phone, "phone", ["mac"]);
  const mac = str(phone.mac, "phone.mac") ?? DEFAULT_PHONE_MAC;

  const sw = obj(s.switch, "switch");
  known(sw, "switch", ["poe", "voice_vlan", "announce", "server_vlan", "latency_us"]);
  const poe = obj(sw.poe, "switch.poe");
  known(poe, "switch.poe", ["budget_w", "mode", "priority"]);
  const budgetW = num(poe.budget_w, "switch.poe.budget_w", 0, 10_000);
  const voiceVlan = sw.voice_vlan === null ? null : num(sw.voice_vlan, "switch.voice_vlan", 1, 4094);

  const dhcp = obj(s.dhcp, "dhcp");
  known(dhcp, "dhcp", ["option150", "option66", "lease_s", "silent"]);
  const tftp = obj(s.tftp, "tftp");
  known(tftp, "tftp", ["files", "dir", "options"]);
  const filesJson = tftp.files === undefined ? undefined : obj(tftp.files, "tftp.files");
  const files = filesJson && Object.fromEntries(Object.entries(filesJson).map(([n, f]) => [n.replace("SEP<MAC>", sepFileName(mac).replace(".cnf.xml", "")), tftpFile(f, `tftp.files["${n}"]`)]));

  const cmsJson = s.callmanagers === undefined ? [] : s.callmanagers;
  if (!Array.isArray(cmsJson) || cmsJson.length > 3) throw new ScenarioError("callmanagers must be a list of at most 3");
  const cms = cmsJson.map((c, i) => {
    const o = obj(c, `callmanagers[${i}]`);
    known(o, `callmanagers[${i}]`, ["state", "reject", "registrations_per_s"]);
    return {
      state: oneOf(o.state, `callmanagers[${i}].state`, ["up", "refuse", "silent"] as const) ?? "up",
      reject: o.reject === true,
      rate: num(o.registrations_per_s, `callmanagers[${i}].registrations_per_s`, 0, 1e6),
    };
  });
  const device = sepFileName(mac).replace(".cnf.xml", "");
  return {
    name,
    description: str(s.description, "description") ?? "",
    seed: num(s.seed, "seed", 0, 0xffffffff),
    limitMs: (num(s.limit_s, "limit_s", 1, 86_400) ?? 300) * 1000,
    outages: cms.map((c) => c.state),
    network: {
      mac,
      ...(faults ? { faults } : {}),
      voiceVlan,
      announce: oneOf(sw.announce, "switch.announce", ["cdp", "lldp", "both", "none"] as const),
      serverVlan: num(sw.server_vlan, "switch.server_vlan", 1, 4094),
      poe: {
        budgetMw: budgetW === undefined ? undefined : budgetW * 1000,
        mode: oneOf(poe.mode, "switch.poe.mode", ["cisco", "ieee", "both"] as const),
        priority: oneOf(poe.priority, "switch.poe.priority", ["low", "high", "critical"] as const),
      },
      dhcp: {
        ...(dhcp.option150 !== undefined ? { tftpServers: ipList(dhcp.option150, "dhcp.option150") } : {}),
        ...(dhcp.option66 !== undefined ? { tftpServerName: dhcp.option66 === null ? undefined : str(dhcp.option66, "dhcp.option66") } : {}),
        ...(dhcp.lease_s !== undefined ? { leaseTimeS: num(dhcp.lease_s, "dhcp.lease_s", 60, 0xffffffff) } : {}),
        ...(dhcp.silent === true ? { silent: true } : {}),
      },
      tftp: {
        ...(tftp.dir !== undefined ? { root: str(tftp.dir, "tftp.dir") } : {}),
        ...(tftp.options !== undefined ? { options: oneOf(tftp.options, "tftp.options", ["rfc2347", "ignore", "refuse"] as const) } : {}),
      },
      ...(files ? { tftpFiles: files } : {}),
      callManagers: cms.map((c) => ({
        ...(c.reject ? { reject: [device] } : {}),
        ...(c.rate !== undefined ? { registrationsPerSecond: c.rate } : {}),
      })),
    },
  };
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(e as Error).message}`);
  }
  return parseScenario(text, path);
}

/** Outages that hold from the start. */
export function applyOutages(net: Network, s: Scenario): void {
  s.outages.forEach((state, i) => {
    if (state !== "up") net.callManagers[i]?.stop(state);
  });
}
