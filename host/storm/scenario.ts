// Storm scenario files (`ipphone storm --scenario FILE`): checked field by
// field with boot's checks (host/scenario.ts) and in boot's naming style
// (snake_case, units as suffixes: limit_s, budget_w, registrations_per_s),
// then turned into the plan's Scenario. Unknown fields and wrong types are
// errors naming the field; the old camelCase spellings are refused with the
// new one in the message. README "A building after a power cut" documents it.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { bool, int, known, num, obj, oneOf, readScenarioText, ScenarioError, str, type Json } from "../scenario.js";
import type { PoePriority } from "../poe.js";
import { DHCP_SERVERS, type DhcpServerKind, type Scenario } from "./plan.js";

/** The spellings storm scenarios had before they took boot's style, and what they are now. */
const OLD_SPELLINGS: Record<string, string> = {
  limitS: "limit_s", budgetW: "budget_w", answersPerSecond: "answers_per_s", leaseS: "lease_s", bytesPerSecond: "bytes_per_s",
  maxWindowsize: "max_windowsize", callManagers: "callmanagers", registrationsPerSecond: "registrations_per_s",
  keepAliveS: "keepalive_s", down: "state", loadWasm: "load_wasm", latencyUs: "latency_us", bitsPerSecond: "bits_per_s",
};

/** known(), with a hint for a field spelled the old way. */
function fields(o: Json, where: string, keys: string[]): void {
  for (const k of Object.keys(o)) {
    const now = OLD_SPELLINGS[k];
    if (now !== undefined && !keys.includes(k) && keys.includes(now)) {
      throw new ScenarioError(`${where ? `${where}.` : ""}${k} is spelled ${where ? `${where}.` : ""}${now} (scenario fields are snake_case, as in boot's scenarios)`);
    }
  }
  known(o, where, keys);
}

const PRIORITIES = ["low", "high", "critical"] as const;

function priorities(v: unknown, where: string): Partial<Record<PoePriority, string>> | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, where);
  fields(o, where, [...PRIORITIES]);
  const out: Partial<Record<PoePriority, string>> = {};
  for (const p of PRIORITIES) {
    const list = str(o[p], `${where}.${p}`);
    if (list !== undefined) out[p] = list;
  }
  return out;
}

function poe(v: unknown): Scenario["poe"] {
  if (v === undefined) return undefined;
  const o = obj(v, "poe");
  fields(o, "poe", ["budget_w", "priorities", "switches"]);
  const perSwitch = o.switches === undefined ? undefined : Object.fromEntries(Object.entries(obj(o.switches, "poe.switches")).map(([n, x]) => {
    const where = `poe.switches["${n}"]`;
    const sw = obj(x, where);
    fields(sw, where, ["budget_w", "priorities"]);
    return [n, { budgetW: num(sw.budget_w, `${where}.budget_w`, 0, 100_000), priorities: priorities(sw.priorities, `${where}.priorities`) }];
  }));
  return { budgetW: num(o.budget_w, "poe.budget_w", 0, 100_000), priorities: priorities(o.priorities, "poe.priorities"), switches: perSwitch };
}

function callManagers(v: unknown): Scenario["callManagers"] {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length < 1 || v.length > 3) throw new ScenarioError(`callmanagers must be a list of 1 to 3${v === undefined ? "" : `, got ${JSON.stringify(v)}`}`);
  return v.map((c, i) => {
    const where = `callmanagers[${i}]`;
    const o = obj(c, where);
    fields(o, where, ["state", "registrations_per_s", "burst", "keepalive_s"]);
    const state = oneOf(o.state, `${where}.state`, ["up", "refuse", "silent"] as const);
    return {
      registrationsPerSecond: num(o.registrations_per_s, `${where}.registrations_per_s`, 0, 1e6),
      burst: int(o.burst, `${where}.burst`, 1, 1e6),
      keepAliveS: int(o.keepalive_s, `${where}.keepalive_s`, 1, 0xffff),
      down: state === "up" ? undefined : state,
    };
  });
}

/** dhcp.initial_delay_ms: [least, most] ms before a phone's first DISCOVER (RFC 2131 4.4.1 says 1..10 s). */
function initialDelay(v: unknown): { min: number; max: number } | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2) throw new ScenarioError(`dhcp.initial_delay_ms must be [least, most] in ms, like [1000, 10000], got ${JSON.stringify(v)}`);
  const min = int(v[0], "dhcp.initial_delay_ms[0]", 0, MAX_INITIAL_DELAY_MS)!;
  const max = int(v[1], "dhcp.initial_delay_ms[1]", 0, MAX_INITIAL_DELAY_MS)!;
  if (max < min) throw new ScenarioError(`dhcp.initial_delay_ms: the most (${max}) is less than the least (${min})`);
  return { min, max };
}

/** The firmware caps the initial wait at an hour. */
export const MAX_INITIAL_DELAY_MS = 3_600_000;

/** A file the scenario names: relative to the scenario's directory, and it must be there. */
function inputFile(v: unknown, where: string, baseDir: string): string | undefined {
  const s = str(v, where);
  if (s === undefined) return undefined;
  const path = resolve(baseDir, s);
  if (!existsSync(path) || !statSync(path).isFile()) throw new ScenarioError(`${where} ${path} does not exist or is not a file`);
  return path;
}

function parseFields(text: string, baseDir: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ScenarioError(`must be a JSON object, got ${JSON.stringify(raw)}`);
  const s = raw as Json;
  fields(s, "", ["description", "phones", "switches", "seed", "loss", "limit_s", "poe", "power", "phone", "dhcp", "tftp", "callmanagers", "load", "load_wasm", "load_corrupt", "uplink", "protocol", "sip_transport"]);
  const phone = obj(s.phone, "phone");
  fields(phone, "phone", ["cpu_mhz", "device_time"]);
  const power = obj(s.power, "power");
  fields(power, "power", ["switch_delay_s"]);
  str(s.description, "description");
  const dhcp = obj(s.dhcp, "dhcp");
  fields(dhcp, "dhcp", ["server", "answers_per_s", "backlog", "lease_s", "initial_delay_ms"]);
  const tftp = obj(s.tftp, "tftp");
  fields(tftp, "tftp", ["bytes_per_s", "max_windowsize", "connections", "max_serving_count"]);
  const uplink = obj(s.uplink, "uplink");
  fields(uplink, "uplink", ["latency_us", "bits_per_s"]);
  const load = str(s.load, "load");
  if (load !== undefined && !/^[\x21-\x7e]{1,31}$/.test(load)) throw new ScenarioError(`load must be a load name of 1 to 31 printable ASCII characters, got ${JSON.stringify(load)}`);
  const loadWasm = inputFile(s.load_wasm, "load_wasm", baseDir);
  const loadCorrupt = bool(s.load_corrupt, "load_corrupt");
  if ((loadWasm !== undefined || loadCorrupt !== undefined) && load === undefined) throw new ScenarioError(`load_wasm and load_corrupt describe the image of a new load: name it in "load"`);
  return {
    phones: int(s.phones, "phones", 1, 100_000),
    switches: int(s.switches, "switches", 1, 100_000),
    seed: int(s.seed, "seed", 0, 0xffffffff),
    loss: num(s.loss, "loss", 0, 0.5),
    limitS: num(s.limit_s, "limit_s", 1, 86_400),
    poe: poe(s.poe),
    dhcp: {
      server: oneOf(dhcp.server, "dhcp.server", Object.keys(DHCP_SERVERS) as DhcpServerKind[]),
      answersPerSecond: int(dhcp.answers_per_s, "dhcp.answers_per_s", 0, 1_000_000),
      backlog: int(dhcp.backlog, "dhcp.backlog", 1, 1_000_000),
      leaseS: int(dhcp.lease_s, "dhcp.lease_s", 60, 0xffffffff),
      initialDelayMs: initialDelay(dhcp.initial_delay_ms),
    },
    tftp: {
      bytesPerSecond: int(tftp.bytes_per_s, "tftp.bytes_per_s", 0, 1e12), maxWindowsize: int(tftp.max_windowsize, "tftp.max_windowsize", 0, 65535),
      connections: int(tftp.connections, "tftp.connections", 0, 100_000), maxServingCount: int(tftp.max_serving_count, "tftp.max_serving_count", 1, 1_000_000),
    },
    callManagers: callManagers(s.callmanagers),
    load,
    loadWasm,
    loadCorrupt,
    phone: { cpuMhz: num(phone.cpu_mhz, "phone.cpu_mhz", 1, 10_000), deviceTime: bool(phone.device_time, "phone.device_time") },
    power: { switchDelayS: num(power.switch_delay_s, "power.switch_delay_s", 0, 3600) },
    protocol: oneOf(s.protocol, "protocol", ["SCCP", "SIP"] as const),
    sipTransport: oneOf(s.sip_transport, "sip_transport", ["tcp", "udp"] as const),
    uplink: { latencyUs: int(uplink.latency_us, "uplink.latency_us", 10, 1_000_000), bitsPerSecond: int(uplink.bits_per_s, "uplink.bits_per_s", 1_000_000, 1e11) },
  };
}

/** Parses a storm scenario; errors are ScenarioErrors that start "scenario NAME: " and name the field. */
export function parseStormScenario(text: string, name: string, baseDir = "."): Scenario {
  try {
    return parseFields(text, baseDir);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`scenario ${name}: ${e.message}`);
    throw e;
  }
}

export function loadStormScenario(path: string): Scenario {
  return parseStormScenario(readScenarioText(path), path, dirname(path));
}
