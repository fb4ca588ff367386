// Scenario files (`ipphone boot --scenario FILE`): a JSON description of the
// network a phone boots on, checked field by field with clear errors, turned
// into the options of host/sim/network.ts. README "Scenarios" documents it.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ipToString, parseIp, parseMac } from "./wire/address.js";
import {
  DEFAULT_LOAD, DEFAULT_PHONE_MAC, DEFAULT_PLAN, DEFAULT_VOICE_VLAN, NATIVE_VLAN, isRouted, parseCidr, routerServerSide, sepFileName,
  type AddressPlan, type Network, type NetworkOptions,
} from "./sim/network.js";
import { cnfXml, type CnfLine } from "./sim/cnf.js";
import { voiceTrafficVlan } from "./sim/switch.js";
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
  /** phone.cpu_mhz: the clock its boot is charged at (host/device-time.ts; default 168). */
  cpuMhz?: number;
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

/** A SEP file's lines: [{ "number": "1001", "name": "Alice" }, ...]. */
function lineList(v: unknown, where: string): CnfLine[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 42) throw new ScenarioError(`${where} must be a list of at most 42 lines${got(v)}`);
  return v.map((l, i) => {
    const o = obj(l, `${where}[${i}]`);
    known(o, `${where}[${i}]`, ["number", "name", "auth_name", "password"]);
    const dirNumber = str(o.number, `${where}[${i}].number`);
    if (dirNumber === undefined || !/^[0-9*#+]{1,24}$/.test(dirNumber)) throw new ScenarioError(`${where}[${i}].number must be 1 to 24 of 0-9 * # +${got(o.number)}`);
    const displayName = str(o.name, `${where}[${i}].name`) ?? "";
    if (new TextEncoder().encode(displayName).length > 39) throw new ScenarioError(`${where}[${i}].name must be at most 39 bytes${got(o.name)}`);
    // A SIP line's digest credentials (CUCM's <authName>, <authPassword>).
    const authName = str(o.auth_name, `${where}[${i}].auth_name`);
    if (authName !== undefined && !/^[\x21-\x7e]{1,64}$/.test(authName)) throw new ScenarioError(`${where}[${i}].auth_name must be 1 to 64 printable ASCII characters${got(o.auth_name)}`);
    const password = str(o.password, `${where}[${i}].password`);
    if (password !== undefined && !/^[\x20-\x7e]{0,64}$/.test(password)) throw new ScenarioError(`${where}[${i}].password must be at most 64 printable ASCII characters${got(o.password)}`);
    return { dirNumber, displayName, ...(authName !== undefined ? { authName } : {}), ...(password !== undefined ? { password } : {}) };
  });
}

/** A TFTP file: inline text, a generated configuration, or an image of build/phone.wasm. */
function tftpFile(v: unknown, where: string, plan: AddressPlan): Uint8Array {
  const f = obj(v, where);
  known(f, where, ["text", "config", "image"]);
  const kinds = ["text", "config", "image"].filter((k) => f[k] !== undefined);
  if (kinds.length !== 1) throw new ScenarioError(`${where} needs exactly one of "text", "config" or "image"${kinds.length ? `, got ${kinds.join(" and ")}` : ""}`);
  if (f.text !== undefined) return new TextEncoder().encode(str(f.text, `${where}.text`));
  if (f.config !== undefined) {
    const c = obj(f.config, `${where}.config`);
    known(c, `${where}.config`, ["callmanagers", "load", "lines", "dscp_for_cm2dvce", "protocol", "sip_transport"]);
    const cms = ipList(c.callmanagers, `${where}.config.callmanagers`) ?? plan.callManagers;
    if (cms.length > 3) throw new ScenarioError(`${where}.config.callmanagers lists at most 3${got(c.callmanagers)}`);
    return new TextEncoder().encode(cnfXml({
      callManagers: cms.map((host, i) => ({ host, priority: i })), load: loadName(c.load, `${where}.config.load`) ?? DEFAULT_LOAD,
      lines: lineList(c.lines, `${where}.config.lines`), dscpForCm2Dvce: int(c.dscp_for_cm2dvce, `${where}.config.dscp_for_cm2dvce`, 0, 255),
      protocol: oneOf(c.protocol, `${where}.config.protocol`, ["SCCP", "SIP"] as const), sipTransport: oneOf(c.sip_transport, `${where}.config.sip_transport`, ["tcp", "udp"] as const),
    }));
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
  known(s, "", ["description", "seed", "limit_s", "phone", "switch", "network", "dhcp", "tftp", "callmanagers", "faults"]);
  let faults;
  try {
    faults = s.faults === undefined ? undefined : checkFaultSpec(s.faults);
  } catch (e) {
    throw new ScenarioError((e as Error).message);
  }
  const phone = obj(s.phone, "phone");
  known(phone, "phone", ["mac", "cpu_mhz", ...PHONE_SETUP_FIELDS]);
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
  const voiceVlan = sw.voice_vlan === null ? null : int(sw.voice_vlan, "switch.voice_vlan", 0, 4095);
  const latencyUs = int(sw.latency_us, "switch.latency_us", 0, 10_000_000);
  const serverVlan = int(sw.server_vlan, "switch.server_vlan", 1, 4094);
  const plan = addressPlan(s.network);
  if (isRouted(plan)) {
    const phoneVlan = voiceTrafficVlan(voiceVlan === undefined ? DEFAULT_VOICE_VLAN : voiceVlan, NATIVE_VLAN);
    if (serverVlan === undefined || serverVlan === phoneVlan) {
      throw new ScenarioError(`network.server_subnet ${plan.serverSubnet} is not the voice subnet: the servers sit behind a router and need a VLAN of their own in switch.server_vlan (not the phone's VLAN ${phoneVlan})`);
    }
  }

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
    return [file, tftpFile(f, where, plan)];
  }));

  const cmsJson = s.callmanagers === undefined ? [] : s.callmanagers;
  if (!Array.isArray(cmsJson) || cmsJson.length > 3) throw new ScenarioError(`callmanagers must be a list of at most 3${got(cmsJson)}`);
  if (cmsJson.length > plan.callManagers.length) throw new ScenarioError(`callmanagers describes ${cmsJson.length} CallManagers, network.servers.callmanagers places ${plan.callManagers.length}`);
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
    cpuMhz: num(phone.cpu_mhz, "phone.cpu_mhz", 1, 10_000),
    network: {
      mac,
      ...(faults ? { faults } : {}),
      ...(latencyUs !== undefined ? { latencyUs } : {}),
      voiceVlan,
      announce: oneOf(sw.announce, "switch.announce", ["cdp", "lldp", "both", "none"] as const),
      serverVlan,
      plan,
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

// ---- network: the addressing plan, on the documentation ranges only

const DOC_NETS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
const DOC_RANGES = `the documentation ranges of RFC 5737 (${DOC_NETS.join(", ")})`;
/** Host parts of the default server addresses, placed in whichever server subnet the plan names. */
const HOST_PART = { dhcp: 1, tftp: 10, dns: 53, callManagers: [11, 12, 13] };

const inDocRange = (ip: number) => DOC_NETS.some((n) => ((ip ^ parseCidr(n).net) & 0xffffff00) === 0);

function subnet(v: unknown, where: string): string | undefined {
  const s = str(v, where);
  if (s === undefined) return undefined;
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (m === null || !isIpv4(m[1]) || Number(m[2]) > 32) throw new ScenarioError(`${where} must be a subnet like 198.51.100.0/24${got(v)}`);
  const { net, prefix } = parseCidr(s);
  if (!inDocRange(net) || prefix < 24) throw new ScenarioError(`${where} ${s} is outside ${DOC_RANGES}: the simulation uses no other addresses`);
  if (prefix > 29) throw new ScenarioError(`${where} ${s} is too small: at most /29`);
  if (parseIp(m[1]) !== net) throw new ScenarioError(`${where} ${s} has host bits set: the subnet is ${ipToString(net)}/${prefix}`);
  return s;
}

/** An address that must be a host of `cidr` (named `cidrName`). */
function hostIn(v: unknown, where: string, cidr: string, cidrName: string): string | undefined {
  const s = str(v, where);
  if (s === undefined) return undefined;
  if (!isIpv4(s)) throw new ScenarioError(`${where} must be an IPv4 address${got(v)}`);
  const ip = parseIp(s);
  if (!inDocRange(ip)) throw new ScenarioError(`${where} ${s} is outside ${DOC_RANGES}: the simulation uses no other addresses`);
  const { net, mask } = parseCidr(cidr);
  if (((ip ^ net) & mask) !== 0) throw new ScenarioError(`${where} ${s} is not in ${cidrName} ${cidr}`);
  if (ip === net || ip === ((net | ~mask) >>> 0)) throw new ScenarioError(`${where} ${s} is the network or broadcast address of ${cidrName} ${cidr}`);
  return s;
}

/** A default address: host part `n` of the subnet. */
const hostOf = (cidr: string, n: number) => ipToString((parseCidr(cidr).net + n) >>> 0);

/** network: subnets, pool, router and servers, each checked against the others. */
function addressPlan(v: unknown): AddressPlan {
  if (v === undefined) return DEFAULT_PLAN;
  const n = obj(v, "network");
  known(n, "network", ["voice_subnet", "server_subnet", "pool", "router", "servers"]);
  const voice = subnet(n.voice_subnet, "network.voice_subnet") ?? DEFAULT_PLAN.voiceSubnet;
  const server = subnet(n.server_subnet, "network.server_subnet") ?? voice;
  const size = 2 ** (32 - parseCidr(voice).prefix);
  const sv = obj(n.servers, "network.servers");
  known(sv, "network.servers", ["dhcp", "tftp", "dns", "callmanagers"]);
  const at = (field: string, dflt: number) => hostIn(sv[field], `network.servers.${field}`, server, "network.server_subnet") ?? hostOf(server, dflt);
  const cmsJson = sv.callmanagers;
  if (cmsJson !== undefined && (!Array.isArray(cmsJson) || cmsJson.length < 1 || cmsJson.length > 3)) throw new ScenarioError(`network.servers.callmanagers must be a list of 1 to 3 addresses${got(cmsJson)}`);
  const plan: AddressPlan = {
    voiceSubnet: voice,
    serverSubnet: server,
    ...poolOf(n.pool, voice, size),
    router: hostIn(n.router, "network.router", voice, "network.voice_subnet") ?? hostOf(voice, 1),
    dhcp: at("dhcp", HOST_PART.dhcp),
    tftp: at("tftp", HOST_PART.tftp),
    dns: at("dns", HOST_PART.dns),
    callManagers: cmsJson === undefined
      ? HOST_PART.callManagers.map((h) => hostOf(server, h))
      : (cmsJson as unknown[]).map((c, i) => hostIn(c, `network.servers.callmanagers[${i}]`, server, "network.server_subnet")!),
  };
  checkPlan(plan);
  return plan;
}

/** "first-last" in the voice subnet; default .50-.199 of a /24, the upper half of a smaller one. */
function poolOf(v: unknown, voice: string, size: number): { poolStart: string; poolEnd: string } {
  const s = str(v, "network.pool");
  if (s === undefined) return size >= 256 ? { poolStart: hostOf(voice, 50), poolEnd: hostOf(voice, 199) } : { poolStart: hostOf(voice, size / 2), poolEnd: hostOf(voice, size - 2) };
  const [first, last, ...rest] = s.split("-");
  if (last === undefined || rest.length > 0) throw new ScenarioError(`network.pool must be a range like 198.51.100.50-198.51.100.199${got(v)}`);
  const poolStart = hostIn(first, "network.pool's first address", voice, "network.voice_subnet")!;
  const poolEnd = hostIn(last, "network.pool's last address", voice, "network.voice_subnet")!;
  if (parseIp(poolStart) > parseIp(poolEnd)) throw new ScenarioError(`network.pool ${s} ends before it starts`);
  return { poolStart, poolEnd };
}

/**
 * Nothing is two things, and the pool lends no CallManager's address (the
 * DHCP server itself keeps its own, the router's, the DNS and TFTP servers'
 * out of the pool, as the default .53 inside .50-.199 shows).
 */
function checkPlan(p: AddressPlan): void {
  const routed = isRouted(p);
  const v = parseCidr(p.voiceSubnet);
  const sv = parseCidr(p.serverSubnet);
  if (routed && ((v.net ^ sv.net) & v.mask & sv.mask) === 0) throw new ScenarioError(`network.server_subnet ${p.serverSubnet} overlaps network.voice_subnet ${p.voiceSubnet}`);
  const cms = p.callManagers.map((ip, i): [string, string] => [`network.servers.callmanagers[${i}]`, ip]);
  const named: Array<[string, string]> = [
    ["network.servers.dhcp", p.dhcp], ["network.servers.tftp", p.tftp], ["network.servers.dns", p.dns], ...cms,
    // With one subnet the router is only option 3 (the DHCP server's address by default); with two it is a device of its own.
    ...(routed ? [["network.router", p.router], ["the router's server-side address", routerServerSide(p)]] as Array<[string, string]> : []),
  ];
  const [lo, hi] = [parseIp(p.poolStart), parseIp(p.poolEnd)];
  for (const [field, ip] of cms) {
    if (parseIp(ip) >= lo && parseIp(ip) <= hi) throw new ScenarioError(`network.pool ${p.poolStart}-${p.poolEnd} holds ${field} ${ip}: the phone could be given it`);
  }
  const seen = new Map<string, string>();
  for (const [field, ip] of named) {
    const other = seen.get(ip);
    if (other !== undefined) throw new ScenarioError(`${field} ${ip} is also ${other}`);
    seen.set(ip, field);
  }
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
