// The DHCP server on the simulated network: the I/O-free core of
// dhcp-core.ts on an IP host listening on port 67. The core decides; this
// only carries BOOTP payloads in and answers out, and runs the core's
// backlog and any answer delay on the virtual clock.

import { ipOf, type Ip, type Mac } from '../wire/address.js';
import { DHCP_SERVER_PORT } from '../wire/dhcp.js';
import {
  DhcpCore, type DhcpAnswer, type DhcpBacklogConfig, type DhcpCoreStats, type DhcpScopeConfig, type DhcpServerEvent, type Lease,
} from './dhcp-core.js';
import { HostedServer, type UdpIn } from './ip-host.js';
import type { Scheduler, Timer } from './scheduler.js';

export type { DhcpServerEvent } from './dhcp-core.js';

interface DhcpHostConfig {
  mac: Mac | string;
  ip: Ip;
  answerDelayUs?: number;
  nakAll?: boolean;
  silent?: boolean;
  /** 0 = unlimited. Messages over the limit are dropped unprocessed, as by an overloaded server. */
  maxAnswersPerSecond?: number;
  backlog?: DhcpBacklogConfig;
}

/** One subnet, the server's own (its fields inline), or a scope per relayed subnet. */
export type DhcpServerConfig = DhcpHostConfig & (DhcpScopeConfig | { scopes: DhcpScopeConfig[] });

export interface DhcpServerStats extends DhcpCoreStats {
  received: number;
  silenced: number;
  arpReplies: number;
}

export class DhcpServer extends HostedServer {
  readonly core: DhcpCore;
  answerDelayUs: number;
  private timer: Timer | null = null;

  constructor(private readonly scheduler: Scheduler, config: DhcpServerConfig) {
    super(scheduler, config.mac, config.ip, config.silent);
    this.core = new DhcpCore({
      ip: this.host.ip,
      scopes: 'scopes' in config ? config.scopes : [config],
      nakAll: config.nakAll,
      maxAnswersPerSecond: config.maxAnswersPerSecond,
      backlog: config.backlog,
    });
    this.answerDelayUs = config.answerDelayUs ?? 0;
    if (!Number.isSafeInteger(this.answerDelayUs) || this.answerDelayUs < 0) throw new RangeError('DhcpServer: answerDelayUs must be a non-negative integer');
    this.host.bindUdp(DHCP_SERVER_PORT, (d) => this.onRequest(d));
  }

  get nakAll(): boolean { return this.core.nakAll; }
  set nakAll(on: boolean) { this.core.nakAll = on; }
  get maxAnswersPerSecond(): number { return this.core.maxAnswersPerSecond; }
  set maxAnswersPerSecond(n: number) { this.core.maxAnswersPerSecond = n; }
  get onEvent(): ((e: DhcpServerEvent) => void) | null { return this.core.onEvent; }
  set onEvent(fn: ((e: DhcpServerEvent) => void) | null) { this.core.onEvent = fn; }

  get stats(): DhcpServerStats {
    return { ...this.core.stats, ...this.linkCounts(this.core.stats.ignored), silenced: this.host.stats.silenced };
  }

  get backlogLength(): number {
    return this.core.backlogLength;
  }

  /** The lease table of the server's own subnet, ordered by address. */
  leases(): Lease[] {
    return this.core.scopeFor(0)?.leases() ?? [];
  }

  leaseOf(ip: Ip): Lease | null {
    return this.core.scopeFor(0)?.leaseOf(ipOf(ip)) ?? null;
  }

  isDeclined(ip: Ip): boolean {
    return this.core.scopeFor(0)?.isDeclined(ipOf(ip), this.scheduler.now) ?? false;
  }

  onSubnet(ip: number): boolean {
    return this.core.scopeFor(0)?.onSubnet(ip) ?? false;
  }

  private onRequest(d: UdpIn): void {
    this.answer(this.core.receive(d.payload, d.srcMac, this.scheduler.now));
    this.armBacklog();
  }

  /** The backlog's next request is served when its service time is over. */
  private armBacklog(): void {
    const due = this.core.dueUs;
    if (due === null || this.timer !== null) return;
    this.timer = this.scheduler.at(due, () => {
      this.timer = null;
      this.answer(this.core.poll(this.scheduler.now));
      this.armBacklog();
    });
  }

  private answer(a: DhcpAnswer | null): void {
    if (a === null) return;
    const frame = this.host.udpFrame({ dstMac: a.dstMac, dstIp: a.dstIp, srcPort: DHCP_SERVER_PORT, dstPort: a.dstPort, payload: a.payload });
    if (this.answerDelayUs > 0) this.scheduler.after(this.answerDelayUs, () => this.host.transmit(frame));
    else this.host.transmit(frame);
  }
}
