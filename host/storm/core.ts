// The servers' side of the building: the distribution router with an SVI per
// access switch, and on its server LAN (a switch at 1 Gbit/s, 192.0.2.0/24)
// the DHCP server (scopes per voice subnet, an answer rate and a backlog),
// the TFTP server (every phone's SEP<MAC>.cnf.xml, the load when the
// configuration names a new one, one uplink bandwidth shared by all
// transfers), DNS for option 66's name, and one to three CallManagers
// (registrations per second: over the rate they wait their turn).
import { readFileSync } from "node:fs";
import { EthernetSwitch } from "../sim/switch.js";
import { ACCESS_LINK_LATENCY_US, Wire, serialisationUs } from "../sim/wire.js";
import type { Scheduler } from "../sim/scheduler.js";
import { TftpServer } from "../sim/tftp-server.js";
import { sipSubscribers } from "../sim/network.js";
import type { SipRegistrarStats } from "../sim/sip-registrar.js";
import { DnsServer } from "../sim/dns-server.js";
import { SimCallManager } from "../sim/callmanager.js";
import { cnfXml } from "../sim/cnf.js";
import { Random } from "../sim/random.js";
import { buildImage, devKey, signImage } from "../image.js";
import { PHONE_WASM } from "../firmware.js";
import type { CmEvent } from "../callmanager/server.js";
import { sepFileName } from "../sim/network.js";
import type { DhcpServer, DhcpServerStats } from "../sim/dhcp-server.js";
import { buildingDhcp } from "./dhcp.js";
import { Router, type RouterConfig, type RouterStats } from "../sim/router.js";
import { ROUTER_MAC, SERVER_NET, SERVERS, VOICE_VLAN, TFTP_NAME, cellOfIp, maskOf, phoneMac, phoneSeed, type StormPlan } from "./plan.js";
import { parseIp } from "../wire/address.js";
import { dhcpClientOf, type UplinkMessage } from "./cell.js";

export interface CallManagerResult {
  name: string;
  ip: string;
  registrationsPerSecond: number;
  registrations: number;
  throttled: number;
  rejects: number;
  connections: number;
  keepalives: number;
  peakQueue: number;
  /** Registrations in each second of virtual time. */
  perSecond: number[];
  /** What the node's SIP registrar saw (all zero when the phones speak SCCP). */
  sip: SipRegistrarStats;
  /** Real storm: phones registered on it that then lost it (it went away mid-storm). */
  lostRegistered?: number;
}

export interface CoreResult {
  dhcp: DhcpServerStats & { answersPerSecondLimit: number; backlog: number; ip?: string };
  tftp: {
    /** Real storm: the server's address as the phones saw it (the simulated one's is SERVERS.tftp). */
    ip?: string;
    bytesPerSecond: number;
    requests: number;
    completed: number;
    bytesSent: number;
    dataSent: number;
    retransmitted: number;
    timeouts: number;
    notFound: number;
    peakConcurrent: number;
    /** The serving limit (0: none), and what it did: requests queued, the longest queue, busy answers. */
    connections: number;
    maxServingCount: number;
    queued: number;
    peakQueue: number;
    busy: number;
    /** Transfers under way, sampled each second of virtual time (the largest seen in the second). */
    concurrentPerSecond: number[];
    /** File bytes sent in each second. */
    bytesPerSecondSeen: number[];
  };
  dns: { queries: number };
  callManagers: CallManagerResult[];
  router: RouterStats;
  lostDown: number;
  /** Frames lost on each access switch's uplink on the way down. */
  lostDownByCell: number[];
  /** DHCP answers the uplinks lost on the way down, by phone (global index): [phone, count] pairs in phone order. */
  dhcpLostDown: Array<[number, number]>;
}

/** The distribution router: an SVI per access switch, one on the server LAN, and (it kept its power) warm ARP entries for the servers. */
function routerConfig(plan: StormPlan): RouterConfig {
  return {
    mac: ROUTER_MAC,
    serverIp: parseIp(SERVER_NET.router),
    serverMask: parseIp(SERVER_NET.mask),
    dhcpServer: parseIp(SERVERS.dhcp.ip),
    gateways: plan.cells.map((c) => c.gateway),
    masks: plan.cells.map((c) => maskOf(c.prefix)),
    interfaceOf: (ip) => cellOfIp(plan, ip),
    vlan: VOICE_VLAN,
    warm: [SERVERS.dhcp, SERVERS.tftp, SERVERS.dns, ...SERVERS.callManagers].map((s) => ({ ip: parseIp(s.ip), mac: s.mac })),
  };
}

const SERVER_LAN = { router: 0, dhcp: 1, tftp: 2, dns: 3, callManagers: [4, 5, 6] } as const;
const GIGABIT = 1_000_000_000;

export class Core {
  readonly router: Router;
  readonly dhcp: DhcpServer;
  readonly tftp: TftpServer;
  readonly dns: DnsServer;
  readonly callManagers: SimCallManager[];
  private readonly lan: EthernetSwitch;
  private readonly busyUntilUs: Float64Array;
  private readonly seqs: Uint32Array;
  private readonly lossRandom: Random[];
  private lostDown = 0;
  private readonly lostDownByCell: number[];
  private readonly dhcpLostDown = new Map<number, number>();
  private readonly tftpStats = { peakConcurrent: 0, concurrentPerSecond: [] as number[], bytesPerSecondSeen: [] as number[] };
  private readonly cmStats: Array<{ peakQueue: number; perSecond: number[] }>;

  constructor(private readonly scheduler: Scheduler, private readonly plan: StormPlan, private readonly outbox: UplinkMessage[]) {
    const cells = plan.cells.length;
    this.busyUntilUs = new Float64Array(cells);
    this.seqs = new Uint32Array(cells);
    this.lossRandom = plan.cells.map((c) => new Random(phoneSeed(plan.seed ^ 0x5eed_0002, c.index)));
    this.lostDownByCell = plan.cells.map(() => 0);
    this.lan = new EthernetSwitch(scheduler, 8);
    const plug = (port: number, host: { plug(wire: Wire, side: 0 | 1): void }) => {
      const wire = new Wire(scheduler, { bitsPerSecond: GIGABIT, latencyUs: ACCESS_LINK_LATENCY_US });
      host.plug(wire, 0);
      this.lan.connect(port, wire, 1);
    };
    this.router = new Router(scheduler, routerConfig(plan), (cell, frame) => this.sendDown(cell, frame));
    plug(SERVER_LAN.router, this.router);
    this.dhcp = buildingDhcp(scheduler, plan);
    plug(SERVER_LAN.dhcp, this.dhcp);

    const cms = plan.callManagers.map((_, i) => ({ host: SERVERS.callManagers[i].ip, priority: i, name: `CM_${i + 1}` }));
    const config = new TextEncoder().encode(cnfXml({ callManagers: cms, load: plan.load }));
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < plan.phones; i++) files.set(sepFileName(phoneMac(i)), plan.protocol === "SIP" ? sipConfig(plan, cms, i) : config);
    files.set("XMLDefault.cnf.xml", new TextEncoder().encode(cnfXml({ callManagers: cms, load: plan.load, xmlDefault: true })));
    if (plan.upgrade) {
      const wasm = new Uint8Array(readFileSync(plan.upgrade.wasm ?? PHONE_WASM));
      const image = signImage(buildImage(wasm, { loadName: plan.upgrade.load, securityCounter: 1 }), devKey());
      // A corrupt image (scenario load_corrupt): one bit flipped after signing, as boot's image.corrupt does.
      if (plan.upgrade.corrupt) image[image.length >> 1] ^= 0x01;
      files.set(`${plan.upgrade.load}.bin`, image);
    }
    this.tftp = new TftpServer(scheduler, {
      ...SERVERS.tftp, files, bytesPerSecond: plan.tftp.bytesPerSecond, maxWindowsize: plan.tftp.maxWindowsize,
      ...(plan.tftp.connections > 0 ? { serving: { connections: plan.tftp.connections, maxServingCount: plan.tftp.maxServingCount } } : {}),
    });
    this.tftp.onEvent = (e) => {
      if (e.type === "request") {
        const active = this.tftp.active + 1;
        if (active > this.tftpStats.peakConcurrent) this.tftpStats.peakConcurrent = active;
        const s = this.second();
        grow(this.tftpStats.concurrentPerSecond, s);
        if (active > this.tftpStats.concurrentPerSecond[s]) this.tftpStats.concurrentPerSecond[s] = active;
      } else if (e.type === "done") {
        const s = this.second();
        grow(this.tftpStats.bytesPerSecondSeen, s);
        this.tftpStats.bytesPerSecondSeen[s] += e.bytes;
      }
    };
    plug(SERVER_LAN.tftp, this.tftp);
    this.dns = new DnsServer(scheduler, { ...SERVERS.dns, records: { [TFTP_NAME]: SERVERS.tftp.ip } });
    plug(SERVER_LAN.dns, this.dns);
    this.cmStats = plan.callManagers.map(() => ({ peakQueue: 0, perSecond: [] }));
    const subscribers = sipSubscribers(this.tftp);
    this.callManagers = plan.callManagers.map((c, i) => {
      const cm = new SimCallManager(scheduler, {
        name: `CM${i + 1}`, ...SERVERS.callManagers[i], seed: phoneSeed(plan.seed ^ 0xc411, i),
        registrationsPerSecond: c.registrationsPerSecond, burst: c.burst, keepAliveS: c.keepAliveS, down: c.down,
        // The node's SIP registrar: the same rate, its subscribers the SIP lines of the files the TFTP server holds.
        sip: { subscribers, registrationsPerSecond: c.registrationsPerSecond, burst: c.burst },
      });
      cm.onEvent = (e) => this.onCmEvent(i, e);
      plug(SERVER_LAN.callManagers[i], cm);
      return cm;
    });
  }

  /** A frame from access switch m.cell's uplink reaches the router at m.atUs. */
  deliver(m: UplinkMessage): void {
    this.scheduler.at(m.atUs, () => this.router.fromCell(m.cell, m.frame));
  }

  /** Housekeeping at a window's end: the CallManagers' event logs are not kept. */
  trim(): void {
    for (const cm of this.callManagers) cm.events.length = 0;
  }

  private sendDown(cell: number, frame: Uint8Array): void {
    const start = Math.max(this.scheduler.now, this.busyUntilUs[cell]);
    const done = start + serialisationUs(frame.length, this.plan.uplink.bitsPerSecond);
    this.busyUntilUs[cell] = done;
    if (this.plan.loss > 0 && this.lossRandom[cell].next() < this.plan.loss) { this.lose(cell, frame); return; }
    this.outbox.push({ cell, up: false, atUs: done + this.plan.uplink.latencyUs, seq: this.seqs[cell]++, frame });
  }

  /** A frame the uplink lost on its way down: a DHCP answer is counted against the phone it was for. */
  private lose(cell: number, frame: Uint8Array): void {
    this.lostDown++;
    this.lostDownByCell[cell]++;
    const phone = dhcpClientOf(frame, 68);
    if (phone >= 0) this.dhcpLostDown.set(phone, (this.dhcpLostDown.get(phone) ?? 0) + 1);
  }

  private onCmEvent(i: number, e: CmEvent): void {
    const st = this.cmStats[i];
    if (e.type === "throttle") {
      const waiting = Number.parseInt(e.detail ?? "", 10);
      if (waiting > st.peakQueue) st.peakQueue = waiting;
    } else if (e.type === "register") {
      const s = this.second();
      grow(st.perSecond, s);
      st.perSecond[s]++;
    }
  }

  private second(): number {
    return Math.floor(this.scheduler.now / 1_000_000);
  }

  result(): CoreResult {
    const t = this.tftp.stats;
    return {
      dhcp: { ...this.dhcp.stats, answersPerSecondLimit: this.plan.dhcp.answersPerSecond, backlog: this.plan.dhcp.backlog },
      tftp: {
        bytesPerSecond: this.plan.tftp.bytesPerSecond, requests: t.requests, completed: t.completed, bytesSent: t.bytesSent,
        dataSent: t.dataSent, retransmitted: t.retransmitted, timeouts: t.timeouts, notFound: t.notFound, ...this.tftpStats,
        connections: this.plan.tftp.connections, maxServingCount: this.plan.tftp.maxServingCount, queued: t.queued, peakQueue: t.peakQueue, busy: t.busy,
      },
      dns: { queries: this.dns.stats.queries },
      callManagers: this.callManagers.map((cm, i) => {
        const s = cm.logic.stats;
        return {
          name: `CM${i + 1}`, ip: SERVERS.callManagers[i].ip, registrationsPerSecond: this.plan.callManagers[i].registrationsPerSecond,
          registrations: s.registrations, throttled: s.throttled, rejects: s.rejects, connections: s.connections, keepalives: s.keepalives,
          peakQueue: this.cmStats[i].peakQueue, perSecond: this.cmStats[i].perSecond, sip: cm.sip.registrar.report().stats,
        };
      }),
      router: this.router.stats,
      lostDown: this.lostDown,
      lostDownByCell: this.lostDownByCell,
      dhcpLostDown: [...this.dhcpLostDown.entries()].sort((a, b) => a[0] - b[0]),
    };
  }
}

function grow(a: number[], i: number): void {
  while (a.length <= i) a.push(0);
}

/** Phone `i`'s SIP file: the same CallManagers as proxies, one line of its own (100000 + i, auth name sep<i>, its own password). */
function sipConfig(plan: StormPlan, cms: Array<{ host: string; priority: number; name: string }>, i: number): Uint8Array {
  const number = String(100_000 + i);
  return new TextEncoder().encode(cnfXml({
    callManagers: cms, load: plan.load, protocol: "SIP", sipTransport: plan.sipTransport,
    lines: [{ dirNumber: number, displayName: `Phone ${i + 1}`, authName: `sep${i}`, password: `pw-${number}` }],
  }));
}
