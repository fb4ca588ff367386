// The building's one DHCP server, behind the routers' relays: a scope per
// voice subnet (chosen by giaddr, as ISC dhcpd and Windows do), and a limit
// on how fast it answers. Requests queue in a backlog (a socket buffer's
// worth) and are served one every 1/answersPerSecond seconds; a request that
// finds the backlog full is dropped unanswered, as by an overloaded server,
// and the phone's own DHCP backoff (4, 8, 16 s...) decides when it asks again.
//
// Each scope is the simulation's DhcpServer (host/sim/dhcp-server.ts) with
// the scope's gateway as its address: phones see the gateway as the DHCP
// server identifier (option 54), which is what a relay with RFC 5107's
// server-id-override (Cisco: `ip dhcp relay information option
// server-id-override`) makes them see. This host rewraps the datagrams
// between its own address on the server LAN and the scope's.
import { answerArp } from "../sim/arp.js";
import { DhcpServer } from "../sim/dhcp-server.js";
import {
  DHCP_SERVER_PORT, DhcpType, buildUdpFrame, decodeDhcp, dhcpMessageType, isBroadcastMac, macEquals, parseIp, parseMac,
  parseUdpFrame, type Mac,
} from "../sim/packets.js";
import type { Scheduler } from "../sim/scheduler.js";
import type { Nic, Side, Wire, WirePort } from "../sim/wire.js";
import { DOMAIN, SERVERS, TFTP_NAME, cellOfIp, maskOf, type StormPlan } from "./plan.js";

export interface DhcpServiceStats {
  received: number;
  /** OFFERs, ACKs and NAKs sent. */
  answers: number;
  offers: number;
  acks: number;
  naks: number;
  /** Requests dropped because the backlog was full. */
  dropped: number;
  /** Requests from a giaddr with no scope, or not DHCP. */
  ignored: number;
  /** The longest the backlog was. */
  peakBacklog: number;
  /** Time requests waited in the backlog before being served, summed (µs), and the longest. */
  waitUs: number;
  maxWaitUs: number;
  served: number;
  /** Answers in each second of virtual time. */
  answersPerSecond: number[];
  /** Drops in each second of virtual time. */
  dropsPerSecond: number[];
}

interface Queued {
  frame: Uint8Array;
  scope: DhcpServer;
  atUs: number;
}

export class DhcpService implements Nic {
  readonly mac: Mac = parseMac(SERVERS.dhcp.mac);
  readonly ip = parseIp(SERVERS.dhcp.ip);
  readonly stats: DhcpServiceStats = {
    received: 0, answers: 0, offers: 0, acks: 0, naks: 0, dropped: 0, ignored: 0, peakBacklog: 0, waitUs: 0, maxWaitUs: 0, served: 0,
    answersPerSecond: [], dropsPerSecond: [],
  };
  private port: WirePort | null = null;
  private readonly scopes: DhcpServer[];
  private readonly queue: Queued[] = [];
  private head = 0;
  private busy = false;
  private readonly serviceUs: number;
  private readonly backlog: number;
  private ipId = 0;
  /** The scope whose answer is being rewrapped (set while it runs). */
  private replyTo: Mac | null = null;

  constructor(private readonly scheduler: Scheduler, private readonly plan: StormPlan) {
    const rate = plan.dhcp.answersPerSecond;
    this.serviceUs = rate > 0 ? Math.max(1, Math.round(1_000_000 / rate)) : 0;
    this.backlog = plan.dhcp.backlog;
    const scopeWire = { attach: () => ({ send: (f: Uint8Array) => this.fromScope(f) }) } as unknown as Wire;
    this.scopes = plan.cells.map((c) => {
      const s = new DhcpServer(scheduler, {
        mac: this.mac, ip: c.gateway, poolStart: c.poolStart, poolEnd: c.poolEnd, subnetMask: maskOf(c.prefix),
        router: c.gateway, dnsServers: [SERVERS.dns.ip], domainName: DOMAIN, leaseTimeS: plan.dhcp.leaseS,
        tftpServers: [SERVERS.tftp.ip], tftpServerName: TFTP_NAME,
      });
      s.plug(scopeWire, 0);
      return s;
    });
  }

  plug(wire: Wire, side: Side): void {
    this.port = wire.attach(side, this);
  }

  get backlogLength(): number {
    return this.queue.length - this.head;
  }

  receive(frame: Uint8Array): void {
    this.stats.received++;
    const arp = answerArp(frame, this.mac, this.ip);
    if (arp !== null) { this.port?.send(arp); return; }
    const f = parseUdpFrame(frame);
    if (f === null || f.eth.vlan !== null || f.udp.dstPort !== DHCP_SERVER_PORT || f.ip.dst !== this.ip || !macEquals(f.eth.dst, this.mac)) {
      this.stats.ignored++;
      return;
    }
    const m = decodeDhcp(f.udp.payload);
    const cell = m === null ? -1 : cellOfIp(this.plan, m.giaddr);
    if (m === null || cell < 0 || this.plan.cells[cell].gateway !== m.giaddr) { this.stats.ignored++; return; }
    const scope = this.scopes[cell];
    // The scope sees the datagram addressed to itself (its gateway address), from the relay.
    const inner = buildUdpFrame({
      srcMac: f.eth.src.slice(), dstMac: this.mac, srcIp: f.ip.src, dstIp: scope.ip, srcPort: f.udp.srcPort, dstPort: DHCP_SERVER_PORT,
      payload: f.udp.payload, id: f.ip.id,
    });
    if (this.serviceUs === 0) { this.serve({ frame: inner, scope, atUs: this.scheduler.now }); return; }
    if (this.backlogLength >= this.backlog) {
      this.stats.dropped++;
      bump(this.stats.dropsPerSecond, this.second());
      return;
    }
    this.queue.push({ frame: inner, scope, atUs: this.scheduler.now });
    if (this.backlogLength > this.stats.peakBacklog) this.stats.peakBacklog = this.backlogLength;
    if (!this.busy) this.next();
  }

  /** Takes the next request: it is answered when its service time is over. */
  private next(): void {
    if (this.head >= this.queue.length) {
      this.busy = false;
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    this.busy = true;
    const q = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as Queued;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.scheduler.after(this.serviceUs, () => {
      this.serve(q);
      this.next();
    });
  }

  private serve(q: Queued): void {
    const wait = this.scheduler.now - q.atUs;
    this.stats.served++;
    this.stats.waitUs += wait;
    if (wait > this.stats.maxWaitUs) this.stats.maxWaitUs = wait;
    this.replyTo = q.frame.subarray(6, 12);
    q.scope.receive(q.frame);
    this.replyTo = null;
  }

  /** A scope's answer, to giaddr: sent from this host's own address. */
  private fromScope(frame: Uint8Array): void {
    const f = parseUdpFrame(frame);
    if (f === null) return;
    const m = decodeDhcp(f.udp.payload);
    const type = m === null ? null : dhcpMessageType(m);
    this.stats.answers++;
    if (type === DhcpType.OFFER) this.stats.offers++;
    else if (type === DhcpType.ACK) this.stats.acks++;
    else if (type === DhcpType.NAK) this.stats.naks++;
    bump(this.stats.answersPerSecond, this.second());
    this.ipId = (this.ipId + 1) & 0xffff;
    const dstMac = isBroadcastMac(f.eth.dst) && this.replyTo ? this.replyTo.slice() : f.eth.dst.slice();
    this.port?.send(buildUdpFrame({
      srcMac: this.mac, dstMac, srcIp: this.ip, dstIp: f.ip.dst, srcPort: DHCP_SERVER_PORT, dstPort: f.udp.dstPort,
      payload: f.udp.payload, id: this.ipId,
    }));
  }

  private second(): number {
    return Math.floor(this.scheduler.now / 1_000_000);
  }
}

function bump(a: number[], i: number): void {
  while (a.length <= i) a.push(0);
  a[i]++;
}
