// The built-in simulated network of `ipphone boot`: an access switch with
// the phone on port 1 (access VLAN 1, voice VLAN 110 announced by CDP) and
// a DHCP server (offering options 66 and 150) on port 8 in the voice VLAN,
// all on the documentation range 192.0.2.0/24.
import { Scheduler } from "./scheduler.js";
import { Wire } from "./wire.js";
import { EthernetSwitch } from "./switch.js";
import { DhcpServer, type DhcpServerConfig } from "./dhcp-server.js";
import { PcapWriter } from "./pcap.js";
import { PortDiscovery, type VlanAnnouncement } from "./discovery.js";
import { Phone, type PhoneOptions } from "../phone.js";

export const DEFAULT_PHONE_MAC = "00:1b:54:c2:a7:10";
export const DEFAULT_VOICE_VLAN = 110;
export const NATIVE_VLAN = 1;

export const DEFAULT_DHCP: DhcpServerConfig = {
  mac: "02:00:5e:00:02:01",
  ip: "192.0.2.1",
  poolStart: "192.0.2.50",
  poolEnd: "192.0.2.199",
  subnetMask: "255.255.255.0",
  router: "192.0.2.1",
  dnsServers: ["192.0.2.1"],
  domainName: "voice.example",
  leaseTimeS: 3600,
  tftpServers: ["192.0.2.10"],
  tftpServerName: "192.0.2.10",
};

export interface NetworkOptions {
  seed: number;
  mac?: string;
  dhcp?: Partial<DhcpServerConfig>;
  /** Record the phone's port in a pcap. */
  pcap?: boolean;
  /** `switchport voice vlan` of the phone's port; null for none (default 110). */
  voiceVlan?: number | null;
  /** Which protocols announce the voice VLAN (default "cdp"). */
  announce?: VlanAnnouncement;
  /** The VLAN the DHCP server is on (default: the voice VLAN, else the native VLAN). */
  dhcpVlan?: number;
  phone?: Partial<PhoneOptions>;
}

export interface Network {
  scheduler: Scheduler;
  phone: Phone;
  dhcp: DhcpServer;
  switch: EthernetSwitch;
  discovery: PortDiscovery;
  pcap: PcapWriter | null;
}

const PHONE_PORT = 0;
const SERVER_PORT = 7;

export function buildNetwork(opts: NetworkOptions): Network {
  const scheduler = new Scheduler();
  const sw = new EthernetSwitch(scheduler, 8);
  const phoneWire = new Wire(scheduler);
  const serverWire = new Wire(scheduler);
  const phone = new Phone(scheduler, { mac: opts.mac ?? DEFAULT_PHONE_MAC, seed: opts.seed, ...opts.phone });
  phone.connect(phoneWire.attach(0, phone));
  sw.connect(PHONE_PORT, phoneWire, 1);
  const voiceVlan = opts.voiceVlan === undefined ? DEFAULT_VOICE_VLAN : opts.voiceVlan;
  sw.configurePort(PHONE_PORT, { accessVlan: NATIVE_VLAN, voiceVlan });
  const discovery = new PortDiscovery(scheduler, sw, PHONE_PORT, { announce: opts.announce ?? "cdp" });
  sw.onLinkLocal = (port, frame) => { if (port === PHONE_PORT) discovery.receive(frame); };
  const dhcp = new DhcpServer(scheduler, { ...DEFAULT_DHCP, ...opts.dhcp });
  dhcp.plug(serverWire, 0);
  sw.connect(SERVER_PORT, serverWire, 1);
  sw.configurePort(SERVER_PORT, { accessVlan: opts.dhcpVlan ?? voiceVlan ?? NATIVE_VLAN });
  let pcap: PcapWriter | null = null;
  if (opts.pcap) {
    pcap = new PcapWriter();
    pcap.tapWire(phoneWire);
  }
  return { scheduler, phone, dhcp, switch: sw, discovery, pcap };
}

export interface BootResult {
  bound: boolean;
  /** Virtual time when the phone was bound (ms), or null. */
  boundAtMs: number | null;
}

/** After binding, keep running this long so the ARP announcements (RFC 5227: 2, 2 s apart) go out. */
const SETTLE_US = 2_500_000;

/** Powers the phone on and runs the network until it is bound, or `limitMs` of virtual time. */
export function bootPhone(net: Network, limitMs = 300_000): BootResult {
  const { scheduler, phone } = net;
  const limitUs = scheduler.now + limitMs * 1000;
  if (!phone.powerOn()) return { bound: false, boundAtMs: null };
  net.discovery.start();
  scheduler.run({ untilUs: limitUs, until: () => phone.isBound });
  if (!phone.isBound) return { bound: false, boundAtMs: null };
  const boundAtMs = phone.nowMs;
  scheduler.run({ untilUs: Math.min(limitUs, scheduler.now + SETTLE_US) });
  return { bound: true, boundAtMs };
}
