// The built-in simulated network of `ipphone boot`: a Catalyst-like access
// switch with the phone on port 0 (access VLAN 1, voice VLAN 110 announced
// by CDP) and the servers in the voice VLAN: DHCP (options 150 and 66),
// TFTP with the phone's SEP<MAC>.cnf.xml, DNS, and three CallManagers. All
// on the documentation range 192.0.2.0/24, unless an addressing plan says
// otherwise: with the servers on a subnet of their own, a router on a stick
// (host/sim/router.ts) joins the two VLANs and relays DHCP.
import { Scheduler } from "./scheduler.js";
import { ACCESS_LINK_LATENCY_US, Wire, type Side } from "./wire.js";
import { EthernetSwitch, voiceTrafficVlan } from "./switch.js";
import { DhcpServer, type DhcpServerConfig } from "./dhcp-server.js";
import { TftpServer, type TftpServerConfig } from "./tftp-server.js";
import { DnsServer, type DnsServerConfig } from "./dns-server.js";
import { PcapWriter } from "./pcap.js";
import { PortDiscovery, type VlanAnnouncement } from "./discovery.js";
import { cnfLines, cnfXml, type CnfLine } from "./cnf.js";
import type { SipSubscriber } from "./sip-registrar.js";
import { defaultLines } from "../callmanager/server.js";
import { SimCallManager, type SimCallManagerConfig } from "./callmanager.js";
import { Phone, type PhoneOptions } from "../phone.js";
import { PoeSwitch, type PoeMode, type PoePriority } from "../poe.js";
import { PoeFrontEnd } from "../firmware.js";
import { parseMac } from "../wire/address.js";
import { acceptedProbe, NetworkFaults, type FaultSpec } from "./faults.js";
import { Router } from "./router.js";
import type { DhcpScopeConfig } from "./dhcp-core.js";
import { ipToString, parseIp } from "../wire/address.js";

export const DEFAULT_PHONE_MAC = "00:1b:54:c2:a7:10";
export const DEFAULT_VOICE_VLAN = 110;
export const NATIVE_VLAN = 1;
export const DEFAULT_LOAD = "P0030801SR01";
export const CALLMANAGERS = ["192.0.2.11", "192.0.2.12", "192.0.2.13"];

/** Where everything is: subnets in CIDR notation, addresses dotted. */
export interface AddressPlan {
  /** The phone's subnet: the DHCP scope's. */
  voiceSubnet: string;
  /** The servers' subnet; when it is not the voice subnet, a router joins the two (the servers then need their own VLAN). */
  serverSubnet: string;
  poolStart: string;
  poolEnd: string;
  /** Option 3, the phone's default gateway: with two subnets, the router's voice interface. */
  router: string;
  dhcp: string;
  tftp: string;
  dns: string;
  /** One to three, in priority order. */
  callManagers: readonly string[];
}

export const DEFAULT_PLAN: AddressPlan = {
  voiceSubnet: "192.0.2.0/24", serverSubnet: "192.0.2.0/24", poolStart: "192.0.2.50", poolEnd: "192.0.2.199",
  router: "192.0.2.1", dhcp: "192.0.2.1", tftp: "192.0.2.10", dns: "192.0.2.53", callManagers: CALLMANAGERS,
};

export const DEFAULT_DHCP: DhcpServerConfig = {
  mac: "02:00:5e:00:02:01",
  ip: DEFAULT_PLAN.dhcp,
  poolStart: DEFAULT_PLAN.poolStart,
  poolEnd: DEFAULT_PLAN.poolEnd,
  subnetMask: "255.255.255.0",
  router: DEFAULT_PLAN.router,
  dnsServers: [DEFAULT_PLAN.dns],
  domainName: "voice.example",
  leaseTimeS: 3600,
  tftpServers: [DEFAULT_PLAN.tftp],
  tftpServerName: "tftp.voice.example",
};

export const DEFAULT_TFTP = { mac: "02:00:5e:00:02:0a", ip: DEFAULT_PLAN.tftp };
export const DEFAULT_DNS = { mac: "02:00:5e:00:02:35", ip: DEFAULT_PLAN.dns };

/** The phone's configuration file name: SEP and the MAC in upper-case hex. */
export function sepFileName(mac: string): string {
  return `SEP${Array.from(parseMac(mac), (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase()}.cnf.xml`;
}

/** The SEP file the built-in TFTP server holds: the CallManagers in priority order, the running load. */
export function defaultConfig(load = DEFAULT_LOAD, callManagers: readonly string[] = CALLMANAGERS): Uint8Array {
  return new TextEncoder().encode(cnfXml({ callManagers: callManagers.map((host, i) => ({ host, priority: i, name: `CM_${i + 1}` })), load }));
}

/** "198.51.100.0/24" -> its network address and mask. */
export function parseCidr(cidr: string): { net: number; mask: number; prefix: number } {
  const [ip, len] = cidr.split("/");
  const prefix = Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`not a subnet in CIDR notation: ${cidr}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { net: (parseIp(ip) & mask) >>> 0, mask, prefix };
}

/** The two subnets differ: the servers sit behind a router. */
export function isRouted(plan: AddressPlan): boolean {
  const [voice, servers] = [parseCidr(plan.voiceSubnet), parseCidr(plan.serverSubnet)];
  return voice.net !== servers.net || voice.prefix !== servers.prefix;
}

/** The router's address on the server subnet: its last usable one. */
export function routerServerSide(plan: AddressPlan): string {
  const { net, mask } = parseCidr(plan.serverSubnet);
  return ipToString(((net | ~mask) - 1) >>> 0);
}

/** The MAC of the router on a stick (a Catalyst's base MAC). */
const ROUTER_MAC = "00:1e:7a:fe:00:01";

export interface NetworkOptions {
  seed: number;
  mac?: string;
  dhcp?: Partial<DhcpServerConfig>;
  tftp?: Partial<TftpServerConfig>;
  /** The TFTP server's files (default: the phone's SEP file from defaultConfig()). */
  tftpFiles?: Record<string, Uint8Array>;
  /** The load the default SEP file names (default DEFAULT_LOAD). */
  configLoad?: string;
  /** Subnets, pool, router and server addresses (default DEFAULT_PLAN: everything on 192.0.2.0/24). */
  plan?: AddressPlan;
  dns?: Partial<DnsServerConfig>;
  /** Settings of CallManager 1, 2 and 3 (the plan's, 192.0.2.11-13 by default): outages, reject lists, rates. */
  callManagers?: Partial<SimCallManagerConfig>[];
  /** Record the phone's port in a pcap. */
  pcap?: boolean;
  /** `switchport voice vlan` of the phone's port; null for none (default 110). */
  voiceVlan?: number | null;
  /** Which protocols announce the voice VLAN (default "cdp"). */
  announce?: VlanAnnouncement;
  /** The VLAN the servers are on (default: the voice VLAN, else the native VLAN; with a routed plan it must be another). */
  serverVlan?: number;
  /** The switch's PoE: its budget (default 370 W, a WS-C3560-48PS), detection mode, the phone port's priority. */
  poe?: { budgetMw?: number; mode?: PoeMode; priority?: PoePriority };
  phone?: Partial<PhoneOptions>;
  /** Hook (issue 12): makes the phone in place of host/phone.ts's Phone, e.g. host/device/native-phone.ts's wasm2c build. */
  makePhone?: (clock: Scheduler, options: PhoneOptions) => Phone;
  /** Seeded link faults (host/sim/faults.ts), by link: phone, dhcp, tftp, dns, cm1-3. */
  faults?: FaultSpec;
  /** One-way latency of every link to the switch, in µs (default ACCESS_LINK_LATENCY_US, 50); phone to server crosses two. */
  latencyUs?: number;
}

export interface Network {
  scheduler: Scheduler;
  phone: Phone;
  dhcp: DhcpServer;
  tftp: TftpServer;
  dns: DnsServer;
  callManagers: SimCallManager[];
  switch: EthernetSwitch;
  discovery: PortDiscovery;
  poe: PoeSwitch;
  pcap: PcapWriter | null;
  /** The router between the voice and server subnets, when the plan has two. */
  router: Router | null;
  /** The link faults in force (stats by link and direction), or null. */
  faults: NetworkFaults | null;
  /** Plugs another host into `port` of the switch, in the servers' VLAN (or `vlan`). */
  plug(port: number, host: { plug(wire: Wire, side: Side): void }, vlan?: number): void;
}

/** Switch ports: the phone, free ports for tests (1-3), DNS, TFTP, DHCP, CallManagers (8-10), the router. */
export const PORTS = { phone: 0, dns: 4, tftp: 5, dhcp: 7, callManagers: [8, 9, 10], router: 11 } as const;
const SWITCH_PORTS = 12;
/** The fault spec's name of each server's link, by switch port. */
const FAULT_LINKS: Record<number, string> = { 4: "dns", 5: "tftp", 7: "dhcp", 8: "cm1", 9: "cm2", 10: "cm3" };

export function buildNetwork(opts: NetworkOptions): Network {
  const scheduler = new Scheduler();
  const sw = new EthernetSwitch(scheduler, SWITCH_PORTS);
  const mac = opts.mac ?? DEFAULT_PHONE_MAC;
  const voiceVlan = opts.voiceVlan === undefined ? DEFAULT_VOICE_VLAN : opts.voiceVlan;
  const phoneVlan = voiceTrafficVlan(voiceVlan, NATIVE_VLAN);
  const serverVlan = opts.serverVlan ?? phoneVlan;
  const plan = opts.plan ?? DEFAULT_PLAN;
  const routed = isRouted(plan);
  if (routed && serverVlan === phoneVlan) throw new RangeError(`buildNetwork: servers on ${plan.serverSubnet} behind a router need a VLAN other than the phone's (${serverVlan})`);
  const faults = opts.faults ? new NetworkFaults(scheduler, opts.faults, opts.seed) : null;
  const latencyUs = opts.latencyUs ?? ACCESS_LINK_LATENCY_US;
  const plug = (port: number, host: { plug(wire: Wire, side: Side): void }, vlan = serverVlan) => {
    const wire = new Wire(scheduler, { latencyUs });
    faults?.attach(wire, FAULT_LINKS[port] ?? `port${port}`);
    host.plug(wire, 0);
    sw.connect(port, wire, 1);
    sw.configurePort(port, { accessVlan: vlan });
  };

  const phoneWire = new Wire(scheduler, { latencyUs });
  const phoneOptions: PhoneOptions = { mac, seed: opts.seed, ...opts.phone };
  const phone = opts.makePhone ? opts.makePhone(scheduler, phoneOptions) : new Phone(scheduler, phoneOptions);
  phone.connect(phoneWire.attach(0, phone));
  faults?.attach(phoneWire, "phone", (up) => phone.setLink(up))?.watch(0, acceptedProbe(phone));
  sw.connect(PORTS.phone, phoneWire, 1);
  sw.configurePort(PORTS.phone, { accessVlan: NATIVE_VLAN, voiceVlan });
  // Stage 1: the switch powers the phone when it detects and classifies it; a phone without power stays dark.
  const poe = new PoeSwitch({
    clock: scheduler,
    budgetMw: opts.poe?.budgetMw ?? 370_000,
    mode: opts.poe?.mode ?? "both",
    ports: Array.from({ length: SWITCH_PORTS }, (_, p) => ({ priority: p === PORTS.phone ? opts.poe?.priority ?? "low" : "low" })),
    onPower: (port, on) => {
      if (port !== PORTS.phone) return;
      if (on) phone.powerOn(() => discovery.start());
      if (!on) phone.powerOff();
    },
    onLog: (entry) => { if (entry.port === PORTS.phone) phone.note("power", entry.kind, entry.text); },
  });
  const discovery = new PortDiscovery(scheduler, sw, PORTS.phone, { announce: opts.announce ?? "cdp", poe });
  sw.onLinkLocal = (port, frame) => { if (port === PORTS.phone) discovery.receive(frame); };

  const dhcp = new DhcpServer(scheduler, dhcpConfig(plan, opts.dhcp));
  plug(PORTS.dhcp, dhcp);
  const files = opts.tftpFiles ?? { [sepFileName(mac)]: defaultConfig(opts.configLoad, plan.callManagers) };
  const tftp = new TftpServer(scheduler, { ...DEFAULT_TFTP, ip: plan.tftp, files, ...opts.tftp });
  plug(PORTS.tftp, tftp);
  const dns = new DnsServer(scheduler, { ...DEFAULT_DNS, ip: plan.dns, records: { "tftp.voice.example": plan.tftp }, ...opts.dns });
  plug(PORTS.dns, dns);
  const router = routed ? routerFor(scheduler, plan, phoneVlan) : null;
  if (router) {
    const wire = new Wire(scheduler, { latencyUs });
    router.plugOnAStick(wire, 0);
    sw.connect(PORTS.router, wire, 1);
    sw.configurePort(PORTS.router, { accessVlan: serverVlan, voiceVlan: phoneVlan });
  }
  // A device's lines: the <lines> of the SEP file the TFTP server serves it (as CUCM's database), else one from its MAC.
  const lines = (device: string) => {
    const file = tftp.files.get(`${device}.cnf.xml`);
    return (file === undefined ? null : cnfLines(file)) ?? defaultLines(device);
  };
  const subscribers = sipSubscribers(tftp);
  const callManagers = plan.callManagers.map((ip, i) => {
    const extra = opts.callManagers?.[i];
    const cm = new SimCallManager(scheduler, {
      name: `CM${i + 1}`, mac: `02:00:5e:00:02:${(0x11 + i).toString(16)}`, ip, seed: opts.seed + i, lines, ...extra, sip: { subscribers, ...extra?.sip },
    });
    plug(PORTS.callManagers[i], cm);
    return cm;
  });

  let pcap: PcapWriter | null = null;
  if (opts.pcap) {
    pcap = new PcapWriter();
    pcap.tapWire(phoneWire);
  }
  return { scheduler, phone, dhcp, tftp, dns, callManagers, switch: sw, discovery, poe, pcap, router, faults, plug };
}

/**
 * The SIP subscribers: the lines with an auth name of the SEP files the
 * TFTP server holds (the CallManagers' database, as for LineStat), found by
 * the line's name. Each file is read once, as long as it stays the same.
 */
export function sipSubscribers(tftp: TftpServer): (user: string) => SipSubscriber | null {
  const parsed = new WeakMap<Uint8Array, CnfLine[]>();
  return (user) => {
    for (const [name, file] of tftp.files) {
      if (!/^SEP[0-9A-F]{12}\.cnf\.xml$/.test(name)) continue;
      let lines = parsed.get(file);
      if (lines === undefined) parsed.set(file, (lines = cnfLines(file) ?? []));
      // A SIP line: credentials written (cnfLines leaves out an auth name that is the line's name).
      const l = lines.find((x) => x.dirNumber === user && (x.authName !== undefined || x.password !== undefined));
      if (l !== undefined) return { user, authName: l.authName ?? l.dirNumber, password: l.password ?? "" };
    }
    return null;
  };
}

/** The DHCP server at the plan's address, its scope the voice subnet; behind the router, chosen by the relay's giaddr. */
function dhcpConfig(plan: AddressPlan, extra: Partial<DhcpServerConfig> | undefined): DhcpServerConfig {
  const voice = parseCidr(plan.voiceSubnet);
  const scope = {
    ...DEFAULT_DHCP, ip: plan.dhcp, poolStart: plan.poolStart, poolEnd: plan.poolEnd, subnetMask: ipToString(voice.mask),
    router: plan.router, dnsServers: [plan.dns], tftpServers: [plan.tftp], ...extra,
  } as DhcpServerConfig & DhcpScopeConfig;
  return isRouted(plan) ? { ...scope, scopes: [{ ...scope, subnet: plan.router }] } : scope;
}

/** `interface Vlan<voice>` (the plan's router) and one on the server subnet, `ip helper-address` the DHCP server. */
function routerFor(scheduler: Scheduler, plan: AddressPlan, vlan: number): Router {
  const voice = parseCidr(plan.voiceSubnet);
  return new Router(scheduler, {
    mac: ROUTER_MAC, serverIp: parseIp(routerServerSide(plan)), serverMask: parseCidr(plan.serverSubnet).mask, dhcpServer: parseIp(plan.dhcp),
    gateways: [parseIp(plan.router)], masks: [voice.mask], vlan,
  });
}

export interface BootResult {
  registered: boolean;
  /** Virtual time when the phone was first registered (ms, to the µs), or null. */
  registeredAtMs: number | null;
  bound: boolean;
  /** Virtual time when the phone was first bound (ms), or null. */
  boundAtMs: number | null;
}

/** After reaching its goal, keep running this long so what follows at once (ARP announcements) goes out. */
const SETTLE_US = 2_500_000;

/** Powers the phone on and runs the network until it is registered, or `limitMs` of virtual time. */
export function bootPhone(net: Network, limitMs = 300_000): BootResult {
  const { scheduler, phone } = net;
  const limitUs = scheduler.now + limitMs * 1000;
  let boundAtMs: number | null = null;
  // Plugging the phone in: the switch's PoE detects it through the firmware's front end, which needs no power.
  phone.note("power", "plugged", "into Fa0/1");
  net.poe.plug(PORTS.phone, PoeFrontEnd.dark());
  scheduler.run({
    untilUs: limitUs,
    until: () => {
      if (boundAtMs === null && phone.isBound) boundAtMs = phone.tMs;
      return phone.isRegistered;
    },
  });
  const registeredAtMs = phone.isRegistered ? phone.tMs : null;
  scheduler.run({ untilUs: Math.min(limitUs, scheduler.now + SETTLE_US) });
  return { registered: phone.isRegistered, registeredAtMs, bound: phone.isBound, boundAtMs };
}
