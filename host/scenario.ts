// Scenario files (`ipphone boot --scenario FILE`): a JSON description of the
// network a phone boots on, checked field by field with clear errors, turned
// into the options of host/sim/network.ts. README "Scenarios" documents it.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseMac } from "./wire/address.js";
import { CALLMANAGERS, DEFAULT_LOAD, DEFAULT_PHONE_MAC, sepFileName, type Network, type NetworkOptions } from "./sim/network.js";
import { cnfXml } from "./sim/cnf.js";
import { devImage } from "./image.js";
import { PHONE_WASM } from "./firmware.js";
import { checkFaultSpec } from "./sim/faults.js";
import { isKeyHash, readImageFile, readKeyHash, SetupError, type PhoneSetup } from "./phone-setup.js";

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
  /** The phone's own image, trusted key and recorded security counter (phone.image, factory_key, security_counter). */
  phoneSetup: PhoneSetup;
}

export type Json = Record<string, unknown>;

const got = (v: unknown) => `, got ${JSON.stringify(v) ?? String(v)}`;

export function obj(v: unknown, where: string): Json {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ScenarioError(`${where} must be an object${got(v)}`);
  return v as Json;
}

export function known(o: Json, where: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ScenarioError(`${where ? `${where}: ` : ""}unknown field "${k}" (known: ${keys.join(", ")})`);
}

export function num(v: unknown, where: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(`${where} must be a number ${min}..${max}${got(v)}`);
  return v;
}

export function int(v: unknown, where: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ScenarioError(`${where} must be an integer ${min}..${max}${got(v)}`);
  return v;
}

export function str(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ScenarioError(`${where} must be a string${got(v)}`);
  return v;
}

export function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new ScenarioError(`${where} must be true or false${got(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, where: string, values: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw new ScenarioError(`${where} must be one of ${values.map((x) => `"${x}"`).join(", ")}${got(v)}`);
  return v as T;
}

const isIpv4 = (x: unknown) => typeof x === "string" && /^\d{1,3}(\.\d{1,3}){3}$/.test(x) && x.split(".").every((p) => Number(p) <= 255);

function ipList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every(isIpv4)) throw new ScenarioError(`${where} must be a list of IPv4 addresses${got(v)}`);
  return v as string[];
}

function loadName(v: unknown, where: string): string | undefined {
  const s = str(v, where);
  if (s !== undefined && !/^[\x21-\x7e]{1,32}$/.test(s)) throw new ScenarioError(`${where} must be a load name of 1 to 32 printable ASCII characters${got(v)}`);
  return s;
}

function hostName(v: unknown, where: string): string | undefined {
  const s = str(v, where);
  if (s !== undefined && !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s)) {
    throw new ScenarioError(`${where} must be a host name or an IPv4 address${got(v)}`);
  }
  return s;
}

/** A TFTP file: inline text, a generated configuration, or an image of build/phone.wasm. */
function tftpFile(v: unknown, where: string): Uint8Array {
  const f = obj(v, where);
  known(f, where, ["text", "config", "image"]);
  const kinds = ["text", "config", "image"].filter((k) => f[k] !== undefined);
  if (kinds.length !== 1) throw new ScenarioError(`${where} needs exactly one of "text", "config" or "image"${kinds.length ? `, got ${kinds.join(" and ")}` : ""}`);
  if (f.text !== undefined) return new TextEncoder().encode(str(f.text, `${where}.text`));
  if (f.config !== undefined) {
    const c = obj(f.config, `${where}.config`);
    known(c, `${where}.config`, ["callmanagers", "load"]);
    const cms = ipList(c.callmanagers, `${where}.config.callmanagers`) ?? CALLMANAGERS;
    if (cms.length > 3) throw new ScenarioError(`${where}.config.callmanagers lists at most 3${got(c.callmanagers)}`);
    return new TextEncoder().encode(cnfXml({ callManagers: cms.map((host, i) => ({ host, priority: i })), load: loadName(c.load, `${where}.config.load`) ?? DEFAULT_LOAD }));
  }
  const i = obj(f.image, `${where}.image`);
  known(i, `${where}.image`, ["load", "corrupt"]);
  const image = devImage(PHONE_WASM, loadName(i.load, `${where}.image.load`) ?? DEFAULT_LOAD);
  if (bool(i.corrupt, `${where}.image.corrupt`) === true) image[image.length >> 1] ^= 0x01;
  return image;
}

/**
 * Parses a scenario. `name` is how errors name it (its path); relative
 * paths inside it (tftp.dir) are taken from `baseDir`, the directory the
 * file is in (default: the working directory).
 */
export function parseScenario(text: string, name?: string, baseDir = "."): Scenario {
  try {
    return parseFields(text, name ?? "scenario", baseDir);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`scenario${name === undefined ? "" : ` ${name}`}: ${e.message}`);
    throw e;
  }
}

function parseFields(text: string, name: string, baseDir: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ScenarioError(`must be a JSON object${got(raw)}`);
  const s = raw as Json;
  known(s, "", ["description", "seed", "limit_s", "phone", "switch", "dhcp", "tftp", "callmanagers", "faults"]);
  let faults;
  try {
    faults = s.faults === undefined ? undefined : checkFaultSpec(s.faults);
  } catch (e) {
    throw new ScenarioError((e as Error).message);
  }
  const phone = obj(s.phone, "phone");
  known(phone, "phone", ["mac", ...PHONE_SETUP_FIELDS]);
  const mac = str(phone.mac, "phone.mac") ?? DEFAULT_PHONE_MAC;
  try {
    parseMac(mac);
  } catch {
    throw new ScenarioError(`phone.mac must look like 00:1b:54:c2:a7:10${got(mac)}`);
  }

  const sw = obj(s.switch, "switch");
  known(sw, "switch", ["poe", "voice_vlan", "announce", "server_vlan", "latency_us"]);
  const poe = obj(sw.poe, "switch.poe");
  known(poe, "switch.poe", ["budget_w", "mode", "priority"]);
  const budgetW = num(poe.budget_w, "switch.poe.budget_w", 0, 10_000);
  const voiceVlan = sw.voice_vlan === null ? null : int(sw.voice_vlan, "switch.voice_vlan", 1, 4094);
  const latencyUs = int(sw.latency_us, "switch.latency_us", 0, 10_000_000);

  const dhcp = obj(s.dhcp, "dhcp");
  known(dhcp, "dhcp", ["option150", "option150_text", "option66", "lease_s", "silent"]);
  const option66 = dhcp.option66 === null ? null : hostName(dhcp.option66, "dhcp.option66");
  const silent = bool(dhcp.silent, "dhcp.silent");
  const tftp = obj(s.tftp, "tftp");
  known(tftp, "tftp", ["files", "dir", "options"]);
  let dir = str(tftp.dir, "tftp.dir");
  if (dir !== undefined) {
    dir = resolve(baseDir, dir);
    if (!existsSync(dir)) throw new ScenarioError(`tftp.dir ${dir} does not exist`);
    if (!statSync(dir).isDirectory()) throw new ScenarioError(`tftp.dir ${dir} is not a directory`);
  }
  const filesJson = tftp.files === undefined ? undefined : obj(tftp.files, "tftp.files");
  const device = sepFileName(mac).replace(".cnf.xml", "");
  const files = filesJson && Object.fromEntries(Object.entries(filesJson).map(([n, f]) => {
    const where = `tftp.files["${n}"]`;
    const file = n.replace("SEP<MAC>", device);
    if (file.length === 0 || file.length > 255) throw new ScenarioError(`${where}: a file name must have 1 to 255 characters`);
    // tftp.dir is served first: a name in both would be two answers to one request.
    if (dir !== undefined && existsSync(join(dir, file))) throw new ScenarioError(`${where} is also in tftp.dir (${join(dir, file)}): give it in one place`);
    return [file, tftpFile(f, where)];
  }));

  const cmsJson = s.callmanagers === undefined ? [] : s.callmanagers;
  if (!Array.isArray(cmsJson) || cmsJson.length > 3) throw new ScenarioError(`callmanagers must be a list of at most 3${got(cmsJson)}`);
  const cms = cmsJson.map((c, i) => {
    const o = obj(c, `callmanagers[${i}]`);
    known(o, `callmanagers[${i}]`, ["state", "reject", "registrations_per_s"]);
    return {
      state: oneOf(o.state, `callmanagers[${i}].state`, ["up", "refuse", "silent"] as const) ?? "up",
      reject: bool(o.reject, `callmanagers[${i}].reject`) === true,
      rate: num(o.registrations_per_s, `callmanagers[${i}].registrations_per_s`, 0, 1e6),
    };
  });
  return {
    name,
    description: str(s.description, "description") ?? "",
    seed: int(s.seed, "seed", 0, 0xffffffff),
    limitMs: (num(s.limit_s, "limit_s", 1, 86_400) ?? 300) * 1000,
    outages: cms.map((c) => c.state),
    phoneSetup: phoneSetupOf(phone, baseDir),
    network: {
      mac,
      ...(faults ? { faults } : {}),
      ...(latencyUs !== undefined ? { latencyUs } : {}),
      voiceVlan,
      announce: oneOf(sw.announce, "switch.announce", ["cdp", "lldp", "both", "none"] as const),
      serverVlan: int(sw.server_vlan, "switch.server_vlan", 1, 4094),
      poe: {
        budgetMw: budgetW === undefined ? undefined : budgetW * 1000,
        mode: oneOf(poe.mode, "switch.poe.mode", ["cisco", "ieee", "both"] as const),
        priority: oneOf(poe.priority, "switch.poe.priority", ["low", "high", "critical"] as const),
      },
      dhcp: {
        ...(dhcp.option150 !== undefined ? { tftpServers: ipList(dhcp.option150, "dhcp.option150") } : {}),
        // Option 150 declared as text on the server (isc-dhcp-server's `code 150 = text`): the string's bytes.
        ...(dhcp.option150_text !== undefined ? { tftpServersText: str(dhcp.option150_text, "dhcp.option150_text") } : {}),
        ...(dhcp.option66 !== undefined ? { tftpServerName: option66 ?? undefined } : {}),
        ...(dhcp.lease_s !== undefined ? { leaseTimeS: int(dhcp.lease_s, "dhcp.lease_s", 60, 0xffffffff) } : {}),
        ...(silent === true ? { silent: true } : {}),
      },
      tftp: {
        ...(dir !== undefined ? { root: dir } : {}),
        ...(tftp.options !== undefined ? { options: oneOf(tftp.options, "tftp.options", ["rfc2347", "ignore", "refuse"] as const) } : {}),
      },
      // With tftp.dir, the directory's files are what the server holds (no generated SEP file besides them).
      ...(files || dir !== undefined ? { tftpFiles: files ?? {} } : {}),
      callManagers: cms.map((c) => ({
        ...(c.reject ? { reject: [device] } : {}),
        ...(c.rate !== undefined ? { registrationsPerSecond: c.rate } : {}),
      })),
    },
  };
}

// ---- phone.image, phone.factory_key, phone.security_counter: the phone's own firmware

const PHONE_SETUP_FIELDS = ["image", "factory_key", "security_counter"];

/** Files are taken relative to the scenario file; factory_key may also be the key hash in hex. */
function phoneSetupOf(phone: Json, baseDir: string): PhoneSetup {
  const image = str(phone.image, "phone.image");
  const key = str(phone.factory_key, "phone.factory_key");
  const counter = int(phone.security_counter, "phone.security_counter", 0, 0xffffffff);
  return {
    ...(image !== undefined ? { image: setupField("phone.image", () => readImageFile(resolve(baseDir, image))) } : {}),
    ...(key !== undefined ? { keyHash: setupField("phone.factory_key", () => readKeyHash(isKeyHash(key) ? key : resolve(baseDir, key))) } : {}),
    ...(counter !== undefined ? { securityCounter: counter } : {}),
  };
}

function setupField<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SetupError) throw new ScenarioError(`${where} ${e.message}`);
    throw e;
  }
}

/** A scenario file's text; a file that cannot be read is a ScenarioError saying why. */
export function readScenarioText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ScenarioError(`cannot read scenario ${path}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message}`);
  }
}

export function loadScenario(path: string): Scenario {
  return parseScenario(readScenarioText(path), path, dirname(path));
}

/** Outages that hold from the start. */
export function applyOutages(net: Network, s: Scenario): void {
  s.outages.forEach((state, i) => {
    if (state !== "up") net.callManagers[i]?.stop(state);
  });
}
