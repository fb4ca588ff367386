// Simulated DHCP server (RFC 2131/2132) on one wire. Replies carry 53, 54, 51,
// 58, 59 and only the options the client listed in 55, as dnsmasq does.

import { answerArp } from './arp.js';
import {
  BOOTP_MIN_LEN, BOOTREPLY, BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_FIXED_LEN, DHCP_FLAG_BROADCAST,
  DHCP_SERVER_PORT, DhcpOpt, DhcpType, broadcastMac, buildUdpFrame, decodeDhcp, dhcpMessageType,
  dhcpOption, dhcpOptionSize, dhcpOptionU16, dhcpOptionU32, encodeDhcp, ipToString, isBroadcastMac,
  macEquals, optIpList, optString, optU32, optU8, parseIp, parseMac, parseUdpFrame,
} from './packets.js';
import type { DecodedDhcp, DhcpOption, Mac } from './packets.js';
import type { Scheduler } from './scheduler.js';
import type { Nic, Side, Wire, WirePort } from './wire.js';

export type Ip = number | string;

export interface DhcpServerConfig {
  mac: Mac | string;
  ip: Ip;
  poolStart: Ip;
  poolEnd: Ip;
  subnetMask: Ip;
  router?: Ip;
  dnsServers?: Ip[];
  domainName?: string;
  /** Default 3600 s. */
  leaseTimeS?: number;
  /** T1, default lease/2. */
  renewalTimeS?: number;
  /** T2, default lease*7/8. */
  rebindingTimeS?: number;
  /** Option 66: an address or a host name. */
  tftpServerName?: string;
  /** Option 150 (Cisco): TFTP server addresses. */
  tftpServers?: Ip[];
  /** How long an OFFER reserves its address (default 60 s). */
  offerHoldS?: number;
  /** How long a declined address is kept out of the pool (default 600 s). */
  declineHoldS?: number;
  answerDelayUs?: number;
  nakAll?: boolean;
  silent?: boolean;
  /** 0 = unlimited. Messages over the limit are dropped unprocessed, as by an overloaded server. */
  maxAnswersPerSecond?: number;
}

export type LeaseState = 'offered' | 'bound' | 'released';

export interface Lease {
  ip: number;
  clientId: string;
  chaddr: Mac;
  state: LeaseState;
  expiresUs: number;
}

export type DhcpServerEventType = 'offer' | 'ack' | 'nak' | 'decline' | 'release' | 'inform';

export interface DhcpServerEvent {
  type: DhcpServerEventType;
  tUs: number;
  /** The address concerned (0 for a NAK or an INFORM). */
  ip: number;
  clientId: string;
  xid: number;
}

export interface DhcpServerStats {
  received: number;
  discovers: number;
  requests: number;
  declines: number;
  releases: number;
  informs: number;
  offers: number;
  acks: number;
  naks: number;
  /** Not for us, malformed, bad checksum, tagged, unknown type. */
  ignored: number;
  silenced: number;
  rateLimited: number;
  poolExhausted: number;
  arpReplies: number;
}

/** RFC 2131: a client must accept 576-byte datagrams; IP + UDP headers take 28. */
const MIN_MAX_MESSAGE = 576;
const IP_UDP_HEADERS = 28;
const MTU = 1500;
const MAX_POOL = 1 << 20;

function ipOf(name: string, v: Ip): number {
  if (typeof v === 'string') return parseIp(v);
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`DhcpServer: ${name} is not an IPv4 address: ${v}`);
  return v;
}

function seconds(name: string, v: number | undefined, dflt: number): number {
  const s = v ?? dflt;
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new RangeError(`DhcpServer: ${name} must be whole seconds, got ${s}`);
  return s;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class DhcpServer implements Nic {
  readonly mac: Mac;
  readonly ip: number;
  readonly poolStart: number;
  readonly poolEnd: number;
  readonly subnetMask: number;
  readonly leaseTimeS: number;
  readonly renewalTimeS: number;
  readonly rebindingTimeS: number;
  answerDelayUs: number;
  nakAll: boolean;
  silent: boolean;
  maxAnswersPerSecond: number;
  onEvent: ((e: DhcpServerEvent) => void) | null = null;
  readonly stats: DhcpServerStats = {
    received: 0, discovers: 0, requests: 0, declines: 0, releases: 0, informs: 0, offers: 0, acks: 0,
    naks: 0, ignored: 0, silenced: 0, rateLimited: 0, poolExhausted: 0, arpReplies: 0,
  };
  private readonly config: DhcpServerConfig;
  private readonly offerHoldUs: number;
  private readonly declineHoldUs: number;
  private readonly excluded = new Set<number>();
  private readonly byClient = new Map<string, Lease>();
  private readonly byIp = new Map<number, Lease>();
  private readonly declined = new Map<number, number>();
  private cursor = 0;
  private ipId = 0;
  private windowS = -1;
  private answersInWindow = 0;
  private port: WirePort | null = null;

  constructor(private readonly scheduler: Scheduler, config: DhcpServerConfig) {
    this.config = config;
    this.mac = typeof config.mac === 'string' ? parseMac(config.mac) : config.mac;
    this.ip = ipOf('ip', config.ip);
    this.poolStart = ipOf('poolStart', config.poolStart);
    this.poolEnd = ipOf('poolEnd', config.poolEnd);
    this.subnetMask = ipOf('subnetMask', config.subnetMask);
    this.leaseTimeS = seconds('leaseTimeS', config.leaseTimeS, 3600);
    this.renewalTimeS = seconds('renewalTimeS', config.renewalTimeS, Math.floor(this.leaseTimeS / 2));
    this.rebindingTimeS = seconds('rebindingTimeS', config.rebindingTimeS, Math.floor((this.leaseTimeS * 7) / 8));
    this.offerHoldUs = seconds('offerHoldS', config.offerHoldS, 60) * 1_000_000;
    this.declineHoldUs = seconds('declineHoldS', config.declineHoldS, 600) * 1_000_000;
    this.answerDelayUs = config.answerDelayUs ?? 0;
    this.nakAll = config.nakAll ?? false;
    this.silent = config.silent ?? false;
    this.maxAnswersPerSecond = config.maxAnswersPerSecond ?? 0;
    this.validate();
  }

  plug(wire: Wire, side: Side): void {
    this.port = wire.attach(side, this);
  }

  /** Snapshot of the lease table, ordered by address. */
  leases(): Lease[] {
    return Array.from(this.byIp.values(), (l) => ({ ...l, chaddr: l.chaddr.slice() })).sort((a, b) => a.ip - b.ip);
  }

  leaseOf(ip: Ip): Lease | null {
    const l = this.byIp.get(ipOf('ip', ip));
    return l === undefined ? null : { ...l, chaddr: l.chaddr.slice() };
  }

  isDeclined(ip: Ip): boolean {
    const until = this.declined.get(ipOf('ip', ip));
    return until !== undefined && until > this.scheduler.now;
  }

  onSubnet(ip: number): boolean {
    return ((ip ^ this.ip) & this.subnetMask) === 0;
  }

  receive(frame: Uint8Array): void {
    this.stats.received++;
    if (this.silent) { this.stats.silenced++; return; }
    const arpReply = answerArp(frame, this.mac, this.ip);
    if (arpReply !== null) {
      this.stats.arpReplies++;
      this.transmit(arpReply);
      return;
    }
    const msg = this.acceptDhcp(frame);
    if (msg === null) { this.stats.ignored++; return; }
    this.dispatch(msg.dhcp, msg.srcMac);
  }

  // ------------------------------------------------------------ input

  private acceptDhcp(frame: Uint8Array): { dhcp: DecodedDhcp; srcMac: Mac } | null {
    const f = parseUdpFrame(frame);
    if (f === null || f.eth.vlan !== null || f.udp.dstPort !== DHCP_SERVER_PORT) return null;
    if (!isBroadcastMac(f.eth.dst) && !macEquals(f.eth.dst, this.mac)) return null;
    if (f.ip.dst !== 0xffffffff && f.ip.dst !== this.ip) return null;
    if (!f.ip.checksumOk || f.udp.checksumOk === false) return null;
    const dhcp = decodeDhcp(f.udp.payload);
    if (dhcp === null || dhcp.op !== BOOTREQUEST || dhcp.htype !== 1 || dhcp.hlen !== 6) return null;
    return { dhcp, srcMac: f.eth.src };
  }

  private dispatch(m: DecodedDhcp, srcMac: Mac): void {
    const type = dhcpMessageType(m);
    const answers = type === DhcpType.DISCOVER || type === DhcpType.REQUEST || type === DhcpType.INFORM;
    if (answers && !this.takeAnswerSlot()) { this.stats.rateLimited++; return; }
    switch (type) {
      case DhcpType.DISCOVER: this.stats.discovers++; return this.onDiscover(m, srcMac);
      case DhcpType.REQUEST: this.stats.requests++; return this.onRequest(m, srcMac);
      case DhcpType.DECLINE: this.stats.declines++; return this.onDecline(m);
      case DhcpType.RELEASE: this.stats.releases++; return this.onRelease(m);
      case DhcpType.INFORM: this.stats.informs++; return this.onInform(m, srcMac);
      default: this.stats.ignored++;
    }
  }

  private takeAnswerSlot(): boolean {
    if (this.maxAnswersPerSecond <= 0) return true;
    const s = Math.floor(this.scheduler.now / 1_000_000);
    if (s !== this.windowS) { this.windowS = s; this.answersInWindow = 0; }
    if (this.answersInWindow >= this.maxAnswersPerSecond) return false;
    this.answersInWindow++;
    return true;
  }

  // ------------------------------------------------------------ RFC 2131 4.3

  private onDiscover(m: DecodedDhcp, srcMac: Mac): void {
    const id = clientIdOf(m);
    const ip = this.allocate(id, dhcpOptionU32(m, DhcpOpt.REQUESTED_IP));
    if (ip === null) { this.stats.poolExhausted++; return; }
    this.bind(id, m, ip, 'offered', this.offerHoldUs);
    this.reply(m, srcMac, DhcpType.OFFER, ip, 'offer', id);
  }

  private onRequest(m: DecodedDhcp, srcMac: Mac): void {
    const id = clientIdOf(m);
    const serverId = dhcpOptionU32(m, DhcpOpt.SERVER_ID);
    const requested = dhcpOptionU32(m, DhcpOpt.REQUESTED_IP);
    if (serverId !== null) return this.onSelecting(m, srcMac, id, serverId, requested);
    const ip = m.ciaddr !== 0 ? m.ciaddr : requested; // RENEWING/REBINDING, else INIT-REBOOT
    if (ip === null) { this.stats.ignored++; return; }
    if (this.nakAll || !this.canConfirm(id, ip)) return this.nak(m, srcMac, id);
    this.bind(id, m, ip, 'bound', this.leaseTimeS * 1_000_000);
    this.reply(m, srcMac, DhcpType.ACK, ip, 'ack', id);
  }

  private onSelecting(m: DecodedDhcp, srcMac: Mac, id: string, serverId: number, requested: number | null): void {
    const lease = this.byClient.get(id);
    if (serverId !== this.ip) {
      // The client chose another server's offer: free ours without a word.
      if (lease !== undefined && lease.state === 'offered') this.forget(lease);
      return;
    }
    if (requested === null) { this.stats.ignored++; return; }
    if (this.nakAll || lease === undefined || lease.ip !== requested || !this.isFree(requested, id)) {
      return this.nak(m, srcMac, id);
    }
    this.bind(id, m, requested, 'bound', this.leaseTimeS * 1_000_000);
    this.reply(m, srcMac, DhcpType.ACK, requested, 'ack', id);
  }

  /** INIT-REBOOT/RENEW/REBIND: only the address this client already holds (or held, if still free). */
  private canConfirm(id: string, ip: number): boolean {
    const lease = this.byClient.get(id);
    return this.onSubnet(ip) && lease !== undefined && lease.ip === ip && this.isFree(ip, id);
  }

  private onDecline(m: DecodedDhcp): void {
    const serverId = dhcpOptionU32(m, DhcpOpt.SERVER_ID);
    const ip = dhcpOptionU32(m, DhcpOpt.REQUESTED_IP);
    if ((serverId !== null && serverId !== this.ip) || ip === null || !this.inPool(ip)) return;
    const id = clientIdOf(m);
    const lease = this.byIp.get(ip);
    if (lease !== undefined && lease.clientId !== id) return; // only the holder may decline it
    if (lease !== undefined) this.forget(lease);
    this.declined.set(ip, this.scheduler.now + this.declineHoldUs);
    this.emit('decline', ip, id, m.xid);
  }

  private onRelease(m: DecodedDhcp): void {
    const id = clientIdOf(m);
    const lease = this.byIp.get(m.ciaddr);
    if (lease === undefined || lease.clientId !== id) return;
    lease.state = 'released';
    lease.expiresUs = this.scheduler.now;
    this.emit('release', m.ciaddr, id, m.xid);
  }

  private onInform(m: DecodedDhcp, srcMac: Mac): void {
    if (m.ciaddr === 0) { this.stats.ignored++; return; }
    this.reply(m, srcMac, DhcpType.ACK, 0, 'inform', clientIdOf(m));
  }

  private nak(m: DecodedDhcp, srcMac: Mac, id: string): void {
    this.reply(m, srcMac, DhcpType.NAK, 0, 'nak', id);
  }

  // ------------------------------------------------------------ lease table

  private inPool(ip: number): boolean {
    return ip >= this.poolStart && ip <= this.poolEnd && !this.excluded.has(ip);
  }

  private isFree(ip: number, id: string): boolean {
    const until = this.declined.get(ip);
    if (until !== undefined) {
      if (until > this.scheduler.now) return false;
      this.declined.delete(ip);
    }
    const lease = this.byIp.get(ip);
    return lease === undefined || lease.clientId === id || lease.state === 'released'
      || lease.expiresUs <= this.scheduler.now;
  }

  /** Same client, same address; else the requested one; else the next free one. */
  private allocate(id: string, requested: number | null): number | null {
    const own = this.byClient.get(id);
    if (own !== undefined && this.isFree(own.ip, id)) return own.ip;
    if (requested !== null && this.inPool(requested) && this.isFree(requested, id)) return requested;
    const size = this.poolEnd - this.poolStart + 1;
    for (let i = 0; i < size; i++) {
      const ip = this.poolStart + ((this.cursor + i) % size);
      if (this.inPool(ip) && this.isFree(ip, id)) {
        this.cursor = (this.cursor + i + 1) % size;
        return ip;
      }
    }
    return null;
  }

  private bind(id: string, m: DecodedDhcp, ip: number, state: LeaseState, holdUs: number): void {
    const mine = this.byClient.get(id);
    if (mine !== undefined && mine.ip !== ip) this.forget(mine);
    const other = this.byIp.get(ip);
    if (other !== undefined && other.clientId !== id) this.forget(other);
    const lease: Lease = { ip, clientId: id, chaddr: m.chaddr.slice(0, 6), state, expiresUs: this.scheduler.now + holdUs };
    this.byClient.set(id, lease);
    this.byIp.set(ip, lease);
  }

  private forget(lease: Lease): void {
    if (this.byClient.get(lease.clientId) === lease) this.byClient.delete(lease.clientId);
    if (this.byIp.get(lease.ip) === lease) this.byIp.delete(lease.ip);
  }

  // ------------------------------------------------------------ output

  private reply(m: DecodedDhcp, srcMac: Mac, type: number, yiaddr: number, ev: DhcpServerEventType, id: string): void {
    const isNak = type === DhcpType.NAK;
    const payload = encodeDhcp({
      op: BOOTREPLY, xid: m.xid, chaddr: m.chaddr, hlen: m.hlen, flags: m.flags, giaddr: m.giaddr,
      ciaddr: isNak || ev === 'offer' ? 0 : m.ciaddr, yiaddr,
      options: this.replyOptions(m, type, ev === 'inform'),
    }, BOOTP_MIN_LEN);
    const frame = this.frameFor(m, srcMac, isNak, payload);
    this.count(ev);
    this.emit(ev, yiaddr, id, m.xid);
    if (this.answerDelayUs > 0) this.scheduler.after(this.answerDelayUs, () => this.transmit(frame));
    else this.transmit(frame);
  }

  /** RFC 2131 4.1 addressing, with the brief's rule: broadcast flag or no ciaddr -> broadcast. */
  private frameFor(m: DecodedDhcp, srcMac: Mac, isNak: boolean, payload: Uint8Array): Uint8Array {
    const base = { srcMac: this.mac, srcIp: this.ip, srcPort: DHCP_SERVER_PORT, payload, id: this.nextIpId() };
    if (m.giaddr !== 0) {
      return buildUdpFrame({ ...base, dstMac: srcMac, dstIp: m.giaddr, dstPort: DHCP_SERVER_PORT });
    }
    const broadcast = isNak || (m.flags & DHCP_FLAG_BROADCAST) !== 0 || m.ciaddr === 0;
    return buildUdpFrame({
      ...base,
      dstMac: broadcast ? broadcastMac() : m.chaddr.slice(0, 6),
      dstIp: broadcast ? 0xffffffff : m.ciaddr,
      dstPort: DHCP_CLIENT_PORT,
    });
  }

  /** Mandatory options first, then the client's list in its order; whatever does not fit option 57 is left out. */
  private replyOptions(m: DecodedDhcp, type: number, inform: boolean): DhcpOption[] {
    const out: DhcpOption[] = [optU8(DhcpOpt.MESSAGE_TYPE, type), optU32(DhcpOpt.SERVER_ID, this.ip)];
    if (type === DhcpType.NAK) return [...out, optString(DhcpOpt.MESSAGE, 'address not available')];
    if (!inform) {
      out.push(optU32(DhcpOpt.LEASE_TIME, this.leaseTimeS));
      out.push(optU32(DhcpOpt.RENEWAL_TIME, this.renewalTimeS));
      out.push(optU32(DhcpOpt.REBINDING_TIME, this.rebindingTimeS));
    }
    let room = this.maxMessage(m) - DHCP_FIXED_LEN - 1 - out.reduce((n, o) => n + dhcpOptionSize(o), 0);
    const asked = dhcpOption(m, DhcpOpt.PARAM_REQUEST_LIST) ?? new Uint8Array(0);
    for (const code of asked) {
      const opt = this.configuredOption(code);
      if (opt === null || out.some((o) => o.code === code) || dhcpOptionSize(opt) > room) continue;
      out.push(opt);
      room -= dhcpOptionSize(opt);
    }
    return out;
  }

  private maxMessage(m: DecodedDhcp): number {
    const asked = dhcpOptionU16(m, DhcpOpt.MAX_MESSAGE_SIZE) ?? MIN_MAX_MESSAGE;
    return Math.min(Math.max(asked, MIN_MAX_MESSAGE), MTU) - IP_UDP_HEADERS;
  }

  private configuredOption(code: number): DhcpOption | null {
    const c = this.config;
    switch (code) {
      case DhcpOpt.SUBNET_MASK: return optU32(code, this.subnetMask);
      case DhcpOpt.BROADCAST_ADDRESS: return optU32(code, (this.ip | ~this.subnetMask) >>> 0);
      case DhcpOpt.ROUTER: return c.router === undefined ? null : optIpList(code, [ipOf('router', c.router)]);
      case DhcpOpt.DNS_SERVERS: return nonEmpty(c.dnsServers) ? optIpList(code, c.dnsServers.map((d) => ipOf('dns', d))) : null;
      case DhcpOpt.DOMAIN_NAME: return c.domainName === undefined ? null : optString(code, c.domainName);
      case DhcpOpt.TFTP_SERVER_NAME: return c.tftpServerName === undefined ? null : optString(code, c.tftpServerName);
      case DhcpOpt.TFTP_SERVERS: return nonEmpty(c.tftpServers) ? optIpList(code, c.tftpServers.map((t) => ipOf('tftp', t))) : null;
      default: return null;
    }
  }

  private count(ev: DhcpServerEventType): void {
    if (ev === 'offer') this.stats.offers++;
    else if (ev === 'nak') this.stats.naks++;
    else this.stats.acks++;
  }

  private emit(type: DhcpServerEventType, ip: number, clientId: string, xid: number): void {
    if (this.onEvent !== null) this.onEvent({ type, tUs: this.scheduler.now, ip, clientId, xid });
  }

  private transmit(frame: Uint8Array): void {
    if (this.port === null) throw new Error('DhcpServer: not plugged into a wire');
    this.port.send(frame);
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private validate(): void {
    const c = this.config;
    const inverted = ~this.subnetMask >>> 0;
    if ((inverted & (inverted + 1)) !== 0) throw new RangeError(`DhcpServer: subnet mask ${ipToString(this.subnetMask)} is not contiguous`);
    if (this.poolStart > this.poolEnd) throw new RangeError('DhcpServer: poolStart is after poolEnd');
    if (!this.onSubnet(this.poolStart) || !this.onSubnet(this.poolEnd)) throw new RangeError('DhcpServer: pool is not on the server\'s subnet');
    if (this.poolEnd - this.poolStart >= MAX_POOL) throw new RangeError(`DhcpServer: pool larger than ${MAX_POOL} addresses`);
    if (this.rebindingTimeS < this.renewalTimeS || this.leaseTimeS < this.rebindingTimeS) throw new RangeError('DhcpServer: need T1 <= T2 <= lease time');
    if (!Number.isSafeInteger(this.answerDelayUs) || this.answerDelayUs < 0) throw new RangeError('DhcpServer: answerDelayUs must be a non-negative integer');
    if (!Number.isSafeInteger(this.maxAnswersPerSecond) || this.maxAnswersPerSecond < 0) throw new RangeError('DhcpServer: maxAnswersPerSecond must be a non-negative integer');
    this.excluded.add(this.ip);
    if (c.router !== undefined) this.excluded.add(ipOf('router', c.router));
    for (const d of c.dnsServers ?? []) this.excluded.add(ipOf('dns', d));
    for (const t of c.tftpServers ?? []) this.excluded.add(ipOf('tftp', t));
    if (c.domainName !== undefined) optString(DhcpOpt.DOMAIN_NAME, c.domainName);
    if (c.tftpServerName !== undefined) optString(DhcpOpt.TFTP_SERVER_NAME, c.tftpServerName);
  }
}

function nonEmpty<T>(list: T[] | undefined): list is T[] {
  return list !== undefined && list.length > 0;
}

/** Option 61 when present, else the hardware address (RFC 2131 4.2). */
export function clientIdOf(m: DecodedDhcp): string {
  const id = dhcpOption(m, DhcpOpt.CLIENT_ID);
  return id !== null && id.length > 0 ? `id:${hex(id)}` : `hw:${hex(m.chaddr.subarray(0, m.hlen))}`;
}
