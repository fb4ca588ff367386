// The building of `ipphone storm`: how many phones on how many access
// switches, the servers' limits, and the address plan. Everything here is
// plain data (it crosses to worker threads as JSON) and is derived from the
// options and the scenario file alone, so a seed gives one building.
//
// Addresses. The servers sit on the documentation range 192.0.2.0/24, as in
// `ipphone boot`. The phones need more addresses than the three
// documentation /24s hold, so each access switch's voice VLAN gets its own
// subnet from 10.110.0.0/16 onwards (RFC 1918 private space, the plan a
// campus network uses; a /24 per closet while 48 phones fit, larger when a
// switch carries more). The simulation never sends a frame outside the
// process, so no address here can reach a real network.
import { parseIp, ipToString } from "../wire/address.js";
import type { PoePriority } from "../poe.js";
import { DEFAULT_CPU_MHZ } from "../device-time.js";

export const VOICE_VLAN = 110;
export const NATIVE_VLAN = 1;
export const DEFAULT_LOAD = "P0030801SR01";
/** Phones per access switch when --switches is not given: a 48-port switch. */
export const PORTS_PER_SWITCH = 48;
export const MAX_PHONES = 100_000;

/**
 * Published DHCPv4 lease rates (a lease is a whole DISCOVER-OFFER-REQUEST-ACK,
 * so two answers). Kea: ISC's "Kea Performance Tests - 2.0" (kb.isc.org),
 * perfdhcp at a 2.5 % drop rate, one subnet, no options, Xeon E5-2680 v3:
 * memfile 11,686 leases/s single-threaded and 18,977 multi-threaded, MySQL
 * 2,559 and PostgreSQL 2,396 single-threaded. ISC dhcpd writes and fsync()s
 * its lease file before every answer (ISC KB AA-00373; ISC publishes no rate
 * since it is the disk's): 400 fsync/s on a battery-backed RAID controller,
 * 40 on a laptop disk (David Hankins, ISC, dhcp-users 2006-07-19); the 400.
 */
export const DHCP_SERVERS = {
  "kea-memfile": { leasesPerSecond: 11_686 },
  "kea-memfile-mt": { leasesPerSecond: 18_977 },
  "kea-mysql": { leasesPerSecond: 2_559 },
  "kea-postgresql": { leasesPerSecond: 2_396 },
  "isc-dhcpd": { leasesPerSecond: 400 },
} as const;
export type DhcpServerKind = keyof typeof DHCP_SERVERS;
export const DEFAULT_DHCP_SERVER: DhcpServerKind = "kea-memfile";
/** Cisco TFTP's serving limit (host/sim/tftp-server.ts TftpServing): 5 connection objects (CUCM 11.5 on), Maximum Serving Count 3000 (Cisco document 222878's suggestion for a dual-processor server). */
export const CISCO_TFTP = { connections: 5, maxServingCount: 3000 } as const;

export const SERVER_NET = { base: "192.0.2.0", mask: "255.255.255.0", router: "192.0.2.254" } as const;
export const SERVERS = {
  dhcp: { mac: "02:00:5e:00:02:01", ip: "192.0.2.1" },
  tftp: { mac: "02:00:5e:00:02:0a", ip: "192.0.2.10" },
  dns: { mac: "02:00:5e:00:02:35", ip: "192.0.2.53" },
  callManagers: [
    { mac: "02:00:5e:00:02:11", ip: "192.0.2.11" },
    { mac: "02:00:5e:00:02:12", ip: "192.0.2.12" },
    { mac: "02:00:5e:00:02:13", ip: "192.0.2.13" },
  ],
} as const;
export const TFTP_NAME = "tftp.voice.example";
export const DOMAIN = "voice.example";
/** The distribution router's MAC on every interface (a Catalyst's SVIs share the base MAC). */
export const ROUTER_MAC = "00:1e:7a:fe:00:01";
/** First voice subnet; switch s gets the s-th block after it. */
export const VOICE_BASE = "10.110.0.0";

/** What a scenario file may set (JSON); every field is optional. */
export interface Scenario {
  /** Phones; --phones wins. */
  phones?: number;
  switches?: number;
  seed?: number;
  loss?: number;
  /** Virtual seconds after which the storm stops even if phones are still unregistered (default 900). */
  limitS?: number;
  poe?: {
    /** Budget of each access switch, watts (default 370, a WS-C3560-48PS). */
    budgetW?: number;
    /** `power inline port priority` by port list ("1-12,40"), the same on every switch; unlisted ports are low. */
    priorities?: Partial<Record<PoePriority, string>>;
    /** Per switch (1-based number as key): its own budget and priorities. */
    switches?: Record<string, { budgetW?: number; priorities?: Partial<Record<PoePriority, string>> }>;
  };
  dhcp?: {
    /** The server whose published lease rate sets answersPerSecond (default kea-memfile): see DHCP_SERVERS. */
    server?: DhcpServerKind;
    /** Answers (OFFER, ACK, NAK) per second the server gets through (default two per lease of the server's rate). */
    answersPerSecond?: number;
    /** Requests waiting for an answer before new ones are dropped (default 512, a socket buffer's worth). */
    backlog?: number;
    leaseS?: number;
    /** RFC 2131 4.4.1's random wait before the first DISCOVER, least and most ms (the firmware's own 1..10 s when absent). */
    initialDelayMs?: { min: number; max: number };
  };
  tftp?: {
    /** Bytes per second of the server's uplink, shared by every transfer (default 12,500,000: 100 Mbit/s). */
    bytesPerSecond?: number;
    maxWindowsize?: number;
    /** Requests served at a time (default 5, Cisco TFTP from CUCM 11.5; 0: no limit). */
    connections?: number;
    /** Requests held past which a new one is answered busy (default 3000: Cisco's suggestion for a dual-processor TFTP server). */
    maxServingCount?: number;
  };
  /** One to three CallManagers, in priority order. */
  callManagers?: Array<{ registrationsPerSecond?: number; burst?: number; keepAliveS?: number; down?: "refuse" | "silent" }>;
  /** The load the configuration names; a load other than the phones' makes every phone fetch it and reset into it. */
  load?: string;
  /** The WebAssembly that load's image holds (default build/phone.wasm). */
  loadWasm?: string;
  /** The load's image is corrupt on the server (one bit flipped after signing): the bootloader refuses it. */
  loadCorrupt?: boolean;
  phone?: {
    /** The phones' CPU clock, MHz, their boot is charged at (host/device-time.ts; default 168). */
    cpuMhz?: number;
    /** false: boots take no virtual time (the model before issue 22). */
    deviceTime?: boolean;
  };
  power?: {
    /** Seconds between one access switch getting its power back and the next (default 0: all at once). */
    switchDelayS?: number;
  };
  /** Stage 6: SCCP (default) or SIP (each phone's SEP file a SIP one with a line of its own and a password; the CallManager nodes' registrars). */
  protocol?: "SCCP" | "SIP";
  sipTransport?: "tcp" | "udp";
  uplink?: {
    /** One-way latency between an access switch and the servers, µs (default 500). Also the synchronisation window. */
    latencyUs?: number;
    /** Line rate of each access switch's uplink (default 1 Gbit/s). */
    bitsPerSecond?: number;
  };
}

export interface CellPlan {
  index: number;
  name: string;
  /** Global index of its first phone. */
  firstPhone: number;
  phones: number;
  /** Switch ports: the phones, then the uplink. */
  ports: number;
  budgetMw: number;
  priorities: PoePriority[];
  /** Voice subnet: base address, prefix length, gateway, DHCP pool. */
  net: number;
  prefix: number;
  gateway: number;
  poolStart: number;
  poolEnd: number;
}

export interface StormPlan {
  phones: number;
  switches: number;
  seed: number;
  loss: number;
  limitUs: number;
  perSwitch: number;
  cells: CellPlan[];
  dhcp: { server: DhcpServerKind | null; answersPerSecond: number; backlog: number; leaseS: number };
  tftp: { bytesPerSecond: number; maxWindowsize: number; connections: number; maxServingCount: number };
  callManagers: Array<{ registrationsPerSecond: number; burst?: number; keepAliveS: number; down?: "refuse" | "silent" }>;
  load: string;
  upgrade: { load: string; wasm: string | null; corrupt: boolean } | null;
  uplink: { latencyUs: number; bitsPerSecond: number };
  /** The phones' boot timing; null: boots take no virtual time. */
  device: { cpuMhz: number } | null;
  /** µs between one switch's power coming back and the next's. */
  switchDelayUs: number;
  /** The first phone's MAC as a number (storm --mac-base; default DEFAULT_MAC_BASE). */
  macBase?: number;
  /** RFC 2131 4.4.1's wait before the first DISCOVER, ms (the firmware's own 1..10 s when absent). */
  dhcpInitialDelayMs?: { min: number; max: number };
  protocol: "SCCP" | "SIP";
  sipTransport: "tcp" | "udp";
}

export interface PlanOptions {
  phones?: number;
  switches?: number;
  seed?: number;
  loss?: number;
  scenario?: Scenario;
}

export class PlanError extends Error {}

function int(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new PlanError(`${name} must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function num(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new PlanError(`${name} must be a number ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** "1-12,40" (1-based ports) -> 0-based port numbers. */
export function parsePortList(text: string, ports: number): number[] {
  const out: number[] = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new PlanError(`port list "${text}": "${part}" is not a port or a range like 1-12`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b < a || b > ports) throw new PlanError(`port list "${text}": ${part} is outside 1..${ports}`);
    for (let p = a; p <= b; p++) out.push(p - 1);
  }
  return out;
}

const PRIORITY_ORDER: PoePriority[] = ["low", "high", "critical"];

function priorities(spec: Partial<Record<PoePriority, string>> | undefined, ports: number, inherit: PoePriority[] | null): PoePriority[] {
  const out: PoePriority[] = inherit ? inherit.slice() : new Array<PoePriority>(ports).fill("low");
  if (!spec) return out;
  for (const key of Object.keys(spec)) {
    if (!PRIORITY_ORDER.includes(key as PoePriority)) throw new PlanError(`poe priorities: "${key}" is not low, high or critical`);
  }
  // Applied low, high, critical: a port listed twice gets the higher priority.
  for (const pr of PRIORITY_ORDER) {
    const list = spec[pr];
    if (list !== undefined) for (const p of parsePortList(list, ports)) out[p] = pr;
  }
  return out;
}

/** The smallest power of two >= n. */
function pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function makePlan(o: PlanOptions): StormPlan {
  const sc = o.scenario ?? {};
  const phones = int("phones", o.phones ?? sc.phones, 1, MAX_PHONES);
  const switches = int("switches", o.switches ?? sc.switches ?? Math.ceil(phones / PORTS_PER_SWITCH), 1, phones);
  const seed = int("seed", o.seed ?? sc.seed ?? 1, 0, 0xffffffff);
  const loss = num("loss", o.loss ?? sc.loss ?? 0, 0, 0.5);
  const limitS = num("limitS", sc.limitS ?? 900, 1, 86_400);
  const perSwitch = Math.ceil(phones / switches);
  if (perSwitch * (switches - 1) >= phones) throw new PlanError(`${phones} phones at ${perSwitch} a switch leave switch ${switches} empty: use fewer switches`);
  const ports = Math.max(PORTS_PER_SWITCH, perSwitch);
  const poe = sc.poe ?? {};
  const budgetW = num("poe.budgetW", poe.budgetW ?? 370, 0, 100_000);
  const common = priorities(poe.priorities, ports, null);
  // One block per switch: a /24 while the phones fit, larger otherwise (10 addresses reserved at the bottom, broadcast at the top).
  const block = Math.max(256, pow2(perSwitch + 11));
  const prefix = 32 - Math.log2(block);
  const base = parseIp(VOICE_BASE);
  if (base + switches * block > parseIp("10.255.255.255")) throw new PlanError("too many phones for the 10.110.0.0 voice plan");
  for (const key of Object.keys(poe.switches ?? {})) {
    const n = Number(key);
    if (!Number.isInteger(n) || n < 1 || n > switches) throw new PlanError(`poe.switches: "${key}" is not a switch number 1..${switches}`);
  }
  const cells: CellPlan[] = [];
  for (let s = 0; s < switches; s++) {
    const first = s * perSwitch;
    const own = poe.switches?.[String(s + 1)];
    const net = base + s * block;
    cells.push({
      index: s,
      name: `access-sw${s + 1}`,
      firstPhone: first,
      phones: Math.min(perSwitch, phones - first),
      ports: ports + 1,
      budgetMw: Math.round(num(`poe.switches.${s + 1}.budgetW`, own?.budgetW ?? budgetW, 0, 100_000) * 1000),
      priorities: priorities(own?.priorities, ports, common),
      net,
      prefix,
      gateway: net + 1,
      poolStart: net + 10,
      poolEnd: net + block - 2,
    });
  }
  const dhcp = sc.dhcp ?? {};
  const tftp = sc.tftp ?? {};
  const cms = sc.callManagers ?? [{}, {}, {}];
  if (!Array.isArray(cms) || cms.length < 1 || cms.length > 3) throw new PlanError("callManagers: one to three entries");
  const load = sc.load ?? DEFAULT_LOAD;
  if (!/^[\x21-\x7e]{1,31}$/.test(load)) throw new PlanError(`load "${load}" is not a load name`);
  const uplink = sc.uplink ?? {};
  const phone = sc.phone ?? {};
  return {
    phones, switches, seed, loss,
    protocol: sc.protocol ?? "SCCP",
    sipTransport: sc.sipTransport ?? "tcp",
    limitUs: Math.round(limitS * 1_000_000),
    perSwitch,
    cells,
    dhcp: {
      // A rate given outright is no server's published one.
      server: dhcp.answersPerSecond === undefined ? dhcp.server ?? DEFAULT_DHCP_SERVER : null,
      answersPerSecond: int("dhcp.answersPerSecond", dhcp.answersPerSecond ?? 2 * DHCP_SERVERS[dhcp.server ?? DEFAULT_DHCP_SERVER].leasesPerSecond, 0, 1_000_000),
      backlog: int("dhcp.backlog", dhcp.backlog ?? 512, 1, 1_000_000),
      leaseS: int("dhcp.leaseS", dhcp.leaseS ?? 86_400, 60, 0xffffffff),
    },
    dhcpInitialDelayMs: dhcp.initialDelayMs,
    tftp: {
      bytesPerSecond: int("tftp.bytesPerSecond", tftp.bytesPerSecond ?? 12_500_000, 0, 1e12),
      maxWindowsize: int("tftp.maxWindowsize", tftp.maxWindowsize ?? 256, 0, 65535),
      connections: int("tftp.connections", tftp.connections ?? CISCO_TFTP.connections, 0, 100_000),
      maxServingCount: int("tftp.maxServingCount", tftp.maxServingCount ?? CISCO_TFTP.maxServingCount, 1, 1_000_000),
    },
    callManagers: cms.map((c, i) => ({
      registrationsPerSecond: num(`callManagers[${i}].registrationsPerSecond`, c.registrationsPerSecond ?? 100, 0, 1e6),
      burst: c.burst === undefined ? undefined : int(`callManagers[${i}].burst`, c.burst, 1, 1e6),
      keepAliveS: int(`callManagers[${i}].keepAliveS`, c.keepAliveS ?? 30, 1, 0xffff),
      down: c.down,
    })),
    load,
    upgrade: load === DEFAULT_LOAD ? null : { load, wasm: sc.loadWasm ?? null, corrupt: sc.loadCorrupt === true },
    uplink: {
      latencyUs: int("uplink.latencyUs", uplink.latencyUs ?? 500, 10, 1_000_000),
      bitsPerSecond: int("uplink.bitsPerSecond", uplink.bitsPerSecond ?? 1_000_000_000, 1_000_000, 1e11),
    },
    device: phone.deviceTime === false ? null : { cpuMhz: num("phone.cpuMhz", phone.cpuMhz ?? DEFAULT_CPU_MHZ, 1, 10_000) },
    switchDelayUs: Math.round(num("power.switchDelayS", sc.power?.switchDelayS ?? 0, 0, 3600) * 1_000_000),
  };
}

/** The first storm phone's MAC as a 48-bit number: 00:1b:54:10:00:00. */
export const DEFAULT_MAC_BASE = 0x001b54100000;

/** Phone `i`'s MAC: `base` (default 00:1b:54:10:00:00, the default phone's OUI) plus i. */
export function phoneMac(i: number, base = DEFAULT_MAC_BASE): string {
  const n = base + i;
  const out: string[] = [];
  for (let k = 5; k >= 0; k--) out.push((Math.floor(n / 2 ** (8 * k)) & 0xff).toString(16).padStart(2, "0"));
  return out.join(":");
}

/** Phone `i`'s own seed, mixed from the storm's (splitmix32 finaliser): neighbours get unrelated streams. */
export function phoneSeed(seed: number, i: number): number {
  let z = (seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The cell (access switch) a voice address belongs to, or -1. */
export function cellOfIp(plan: StormPlan, ip: number): number {
  const c0 = plan.cells[0];
  const block = 2 ** (32 - c0.prefix);
  const s = Math.floor((ip - c0.net) / block);
  return s >= 0 && s < plan.cells.length ? s : -1;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function describeNet(c: CellPlan): string {
  return `${ipToString(c.net)}/${c.prefix}`;
}
