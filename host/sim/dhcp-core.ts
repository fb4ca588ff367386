// The DHCP server (RFC 2131/2132) without I/O: scopes chosen by giaddr, each
// with its lease table; answers carrying 53, 54, 51, 58, 59 and only the
// options the client listed in 55, as dnsmasq does; and the two ways a busy
// server falls behind: a limit of answers per second (what is over it is
// dropped unprocessed), or a backlog served at a fixed rate (what finds it
// full is dropped, and the client's own backoff decides when it asks again).
// The caller hands in BOOTP payloads and the time, and sends the answers it
// gets back (host/sim/dhcp-server.ts puts it on a wire).

import { broadcastMac, ipToString, parseIp, type Ip, type Mac } from '../wire/address.js';
import {
  BOOTP_MIN_LEN, BOOTREPLY, BOOTREQUEST, DHCP_CLIENT_PORT, DHCP_FIXED_LEN, DHCP_FLAG_BROADCAST, DHCP_SERVER_PORT,
  DhcpOpt, DhcpType, decodeDhcp, dhcpMessageType, dhcpOption, dhcpOptionSize, dhcpOptionU16, dhcpOptionU32, encodeDhcp,
  optIpList, optString, optU32, optU8, type DecodedDhcp, type DhcpOption,
} from '../wire/dhcp.js';
import { IPV4_BROADCAST } from '../wire/ipv4.js';

/** One subnet's addresses and options. */
export interface DhcpScopeConfig {
  poolStart: Ip;
  poolEnd: Ip;
  subnetMask: Ip;
  /** Option 54, and the address the scope's subnet is reckoned from: the server's own, or (behind a relay with RFC 5107's server-id-override) the subnet's gateway. */
  serverId?: Ip;
  /** An address of the scope's subnet, when serverId is not one (a relayed subnet whose server keeps its own identifier). */
  subnet?: Ip;
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
  /**
   * Option 150 as text instead (wins over tftpServers): the string's ASCII
   * bytes, as isc-dhcp-server sends the option when it is declared `text`.
   * A misconfiguration the phone must refuse.
   */
  tftpServersText?: string;
  /** How long an OFFER reserves its address (default 60 s). */
  offerHoldS?: number;
  /** How long a declined address is kept out of the pool (default 600 s). */
  declineHoldS?: number;
}

/** A backlog served one request every 1/answersPerSecond seconds, holding at most `depth` waiting. */
export interface DhcpBacklogConfig {
  answersPerSecond: number;
  depth: number;
}

export interface DhcpCoreConfig {
  /** The address the server listens on: requests with no giaddr are served from the scope holding it. */
  ip: number;
  scopes: DhcpScopeConfig[];
  nakAll?: boolean;
  /** 0 = unlimited. Messages over the limit are dropped unprocessed, as by an overloaded server. */
  maxAnswersPerSecond?: number;
  backlog?: DhcpBacklogConfig;
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

export interface DhcpCoreStats {
  discovers: number;
  requests: number;
  declines: number;
  releases: number;
  informs: number;
  /** OFFERs, ACKs and NAKs sent. */
  answers: number;
  offers: number;
  acks: number;
  naks: number;
  /** Malformed, not a BOOTREQUEST, unknown type, no scope for the giaddr. */
  ignored: number;
  rateLimited: number;
  poolExhausted: number;
  /** Requests dropped because the backlog was full. */
  dropped: number;
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

/** A BOOTREPLY and where RFC 2131 4.1 sends it. */
export interface DhcpAnswer {
  payload: Uint8Array;
  dstMac: Mac;
  dstIp: number;
  dstPort: number;
}

interface Request {
  m: DecodedDhcp;
  /** The link address it came from: the client, or its relay. */
  srcMac: Mac;
  scope: DhcpScope;
  atUs: number;
}

/** RFC 2131: a client must accept 576-byte datagrams; IP + UDP headers take 28. */
const MIN_MAX_MESSAGE = 576;
const IP_UDP_HEADERS = 28;
const MTU = 1500;
const MAX_POOL = 1 << 20;
const US = 1_000_000;

/** A configured address, checked: a bad one is a configuration error naming its field. */
function configIp(name: string, v: Ip): number {
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

function nonEmpty<T>(list: T[] | undefined): list is T[] {
  return list !== undefined && list.length > 0;
}

function bump(a: number[], i: number): void {
  while (a.length <= i) a.push(0);
  a[i]++;
}

/** Option 61 when present, else the hardware address (RFC 2131 4.2). */
function clientIdOf(m: DecodedDhcp): string {
  const id = dhcpOption(m, DhcpOpt.CLIENT_ID);
  return id !== null && id.length > 0 ? `id:${hex(id)}` : `hw:${hex(m.chaddr.subarray(0, m.hlen))}`;
}

// ---------------------------------------------------------------- one subnet

/** A subnet's pool and lease table. */
export class DhcpScope {
  readonly serverId: number;
  /** The address the scope's subnet is reckoned from. */
  readonly anchor: number;
  readonly poolStart: number;
  readonly poolEnd: number;
  readonly subnetMask: number;
  readonly leaseTimeS: number;
  readonly renewalTimeS: number;
  readonly rebindingTimeS: number;
  /** How long an OFFER reserves its address. */
  readonly offerHoldUs: number;
  private readonly declineHoldUs: number;
  private readonly excluded = new Set<number>();
  private readonly byClient = new Map<string, Lease>();
  private readonly byIp = new Map<number, Lease>();
  private readonly declined = new Map<number, number>();
  private cursor = 0;

  constructor(private readonly config: DhcpScopeConfig, serverIp: number) {
    this.serverId = config.serverId === undefined ? serverIp : configIp('serverId', config.serverId);
    this.anchor = config.subnet === undefined ? this.serverId : configIp('subnet', config.subnet);
    this.poolStart = configIp('poolStart', config.poolStart);
    this.poolEnd = configIp('poolEnd', config.poolEnd);
    this.subnetMask = configIp('subnetMask', config.subnetMask);
    this.leaseTimeS = seconds('leaseTimeS', config.leaseTimeS, 3600);
    this.renewalTimeS = seconds('renewalTimeS', config.renewalTimeS, Math.floor(this.leaseTimeS / 2));
    this.rebindingTimeS = seconds('rebindingTimeS', config.rebindingTimeS, Math.floor((this.leaseTimeS * 7) / 8));
    this.offerHoldUs = seconds('offerHoldS', config.offerHoldS, 60) * US;
    this.declineHoldUs = seconds('declineHoldS', config.declineHoldS, 600) * US;
    this.validate();
  }

  onSubnet(ip: number): boolean {
    return ((ip ^ this.anchor) & this.subnetMask) === 0;
  }

  /** Snapshot of the lease table, ordered by address. */
  leases(): Lease[] {
    return Array.from(this.byIp.values(), copyLease).sort((a, b) => a.ip - b.ip);
  }

  leaseOf(ip: number): Lease | null {
    const l = this.byIp.get(ip);
    return l === undefined ? null : copyLease(l);
  }

  isDeclined(ip: number, nowUs: number): boolean {
    const until = this.declined.get(ip);
    return until !== undefined && until > nowUs;
  }

  inPool(ip: number): boolean {
    return ip >= this.poolStart && ip <= this.poolEnd && !this.excluded.has(ip);
  }

  isFree(ip: number, id: string, nowUs: number): boolean {
    const until = this.declined.get(ip);
    if (until !== undefined) {
      if (until > nowUs) return false;
      this.declined.delete(ip);
    }
    const lease = this.byIp.get(ip);
    return lease === undefined || lease.clientId === id || lease.state === 'released' || lease.expiresUs <= nowUs;
  }

  holder(id: string): Lease | undefined {
    return this.byClient.get(id);
  }

  leaseAt(ip: number): Lease | undefined {
    return this.byIp.get(ip);
  }

  /** Same client, same address; else the requested one; else the next free one. */
  allocate(id: string, requested: number | null, nowUs: number): number | null {
    const own = this.byClient.get(id);
    if (own !== undefined && this.isFree(own.ip, id, nowUs)) return own.ip;
    if (requested !== null && this.inPool(requested) && this.isFree(requested, id, nowUs)) return requested;
    const size = this.poolEnd - this.poolStart + 1;
    for (let i = 0; i < size; i++) {
      const ip = this.poolStart + ((this.cursor + i) % size);
      if (this.inPool(ip) && this.isFree(ip, id, nowUs)) {
        this.cursor = (this.cursor + i + 1) % size;
        return ip;
      }
    }
    return null;
  }

  /** INIT-REBOOT/RENEW/REBIND: only the address this client already holds (or held, if still free). */
  canConfirm(id: string, ip: number, nowUs: number): boolean {
    const lease = this.byClient.get(id);
    return this.onSubnet(ip) && lease !== undefined && lease.ip === ip && this.isFree(ip, id, nowUs);
  }

  bind(id: string, chaddr: Uint8Array, ip: number, state: LeaseState, expiresUs: number): void {
    const mine = this.byClient.get(id);
    if (mine !== undefined && mine.ip !== ip) this.forget(mine);
    const other = this.byIp.get(ip);
    if (other !== undefined && other.clientId !== id) this.forget(other);
    const lease: Lease = { ip, clientId: id, chaddr: chaddr.slice(0, 6), state, expiresUs };
    this.byClient.set(id, lease);
    this.byIp.set(ip, lease);
  }

  forget(lease: Lease): void {
    if (this.byClient.get(lease.clientId) === lease) this.byClient.delete(lease.clientId);
    if (this.byIp.get(lease.ip) === lease) this.byIp.delete(lease.ip);
  }

  decline(ip: number, nowUs: number): void {
    this.declined.set(ip, nowUs + this.declineHoldUs);
  }

  /** Mandatory options first, then the client's list in its order; whatever does not fit option 57 is left out. */
  replyOptions(m: DecodedDhcp, type: number, inform: boolean): DhcpOption[] {
    const out: DhcpOption[] = [optU8(DhcpOpt.MESSAGE_TYPE, type), optU32(DhcpOpt.SERVER_ID, this.serverId)];
    if (type === DhcpType.NAK) return [...out, optString(DhcpOpt.MESSAGE, 'address not available')];
    if (!inform) {
      out.push(optU32(DhcpOpt.LEASE_TIME, this.leaseTimeS));
      out.push(optU32(DhcpOpt.RENEWAL_TIME, this.renewalTimeS));
      out.push(optU32(DhcpOpt.REBINDING_TIME, this.rebindingTimeS));
    }
    let room = maxMessage(m) - DHCP_FIXED_LEN - 1 - out.reduce((n, o) => n + dhcpOptionSize(o), 0);
    const asked = dhcpOption(m, DhcpOpt.PARAM_REQUEST_LIST) ?? new Uint8Array(0);
    for (const code of asked) {
      const opt = this.configuredOption(code);
      if (opt === null || out.some((o) => o.code === code) || dhcpOptionSize(opt) > room) continue;
      out.push(opt);
      room -= dhcpOptionSize(opt);
    }
    return out;
  }

  private configuredOption(code: number): DhcpOption | null {
    const c = this.config;
    switch (code) {
      case DhcpOpt.SUBNET_MASK: return optU32(code, this.subnetMask);
      case DhcpOpt.BROADCAST_ADDRESS: return optU32(code, (this.anchor | ~this.subnetMask) >>> 0);
      case DhcpOpt.ROUTER: return c.router === undefined ? null : optIpList(code, [configIp('router', c.router)]);
      case DhcpOpt.DNS_SERVERS: return nonEmpty(c.dnsServers) ? optIpList(code, c.dnsServers.map((d) => configIp('dns', d))) : null;
      case DhcpOpt.DOMAIN_NAME: return c.domainName === undefined ? null : optString(code, c.domainName);
      case DhcpOpt.TFTP_SERVER_NAME: return c.tftpServerName === undefined ? null : optString(code, c.tftpServerName);
      case DhcpOpt.TFTP_SERVERS: if (c.tftpServersText !== undefined) return optString(code, c.tftpServersText);
        return nonEmpty(c.tftpServers) ? optIpList(code, c.tftpServers.map((t) => configIp('tftp', t))) : null;
      default: return null;
    }
  }

  private validate(): void {
    const c = this.config;
    const inverted = ~this.subnetMask >>> 0;
    if ((inverted & (inverted + 1)) !== 0) throw new RangeError(`DhcpServer: subnet mask ${ipToString(this.subnetMask)} is not contiguous`);
    if (this.poolStart > this.poolEnd) throw new RangeError('DhcpServer: poolStart is after poolEnd');
    if (!this.onSubnet(this.poolStart) || !this.onSubnet(this.poolEnd)) throw new RangeError('DhcpServer: pool is not on the server\'s subnet');
    if (this.poolEnd - this.poolStart >= MAX_POOL) throw new RangeError(`DhcpServer: pool larger than ${MAX_POOL} addresses`);
    if (this.rebindingTimeS < this.renewalTimeS || this.leaseTimeS < this.rebindingTimeS) throw new RangeError('DhcpServer: need T1 <= T2 <= lease time');
    this.excluded.add(this.serverId);
    if (c.router !== undefined) this.excluded.add(configIp('router', c.router));
    for (const d of c.dnsServers ?? []) this.excluded.add(configIp('dns', d));
    for (const t of c.tftpServers ?? []) this.excluded.add(configIp('tftp', t));
    if (c.domainName !== undefined) optString(DhcpOpt.DOMAIN_NAME, c.domainName);
    if (c.tftpServerName !== undefined) optString(DhcpOpt.TFTP_SERVER_NAME, c.tftpServerName);
  }
}

function copyLease(l: Lease): Lease {
  return { ...l, chaddr: l.chaddr.slice() };
}

function maxMessage(m: DecodedDhcp): number {
  const asked = dhcpOptionU16(m, DhcpOpt.MAX_MESSAGE_SIZE) ?? MIN_MAX_MESSAGE;
  return Math.min(Math.max(asked, MIN_MAX_MESSAGE), MTU) - IP_UDP_HEADERS;
}

// ---------------------------------------------------------------- the server

export class DhcpCore {
  readonly ip: number;
  readonly scopes: DhcpScope[];
  nakAll: boolean;
  maxAnswersPerSecond: number;
  onEvent: ((e: DhcpServerEvent) => void) | null = null;
  /** The DHCP fingerprint (option 55, in order) each client sent last, by client id. */
  readonly fingerprints = new Map<string, string>();
  readonly stats: DhcpCoreStats = {
    discovers: 0, requests: 0, declines: 0, releases: 0, informs: 0, answers: 0, offers: 0, acks: 0, naks: 0, ignored: 0,
    rateLimited: 0, poolExhausted: 0, dropped: 0, peakBacklog: 0, waitUs: 0, maxWaitUs: 0, served: 0,
    answersPerSecond: [], dropsPerSecond: [],
  };
  private readonly local: DhcpScope | null;
  /** Scopes by subnet, for each distinct mask: a relay's giaddr finds its scope in constant time. */
  private readonly bySubnet = new Map<number, Map<number, DhcpScope>>();
  /** null: every request is served as it comes. */
  private readonly backlog: Backlog<Request> | null;
  private windowS = -1;
  private answersInWindow = 0;
  private nowUs = 0;

  constructor(config: DhcpCoreConfig) {
    this.ip = config.ip;
    this.scopes = config.scopes.map((s) => new DhcpScope(s, config.ip));
    for (const s of this.scopes) {
      let nets = this.bySubnet.get(s.subnetMask);
      if (nets === undefined) this.bySubnet.set(s.subnetMask, (nets = new Map()));
      nets.set((s.anchor & s.subnetMask) >>> 0, s);
    }
    this.local = this.scopeOn(config.ip);
    this.nakAll = config.nakAll ?? false;
    this.maxAnswersPerSecond = config.maxAnswersPerSecond ?? 0;
    const rate = config.backlog?.answersPerSecond ?? 0;
    this.backlog = rate > 0 ? new Backlog(Math.max(1, Math.round(US / rate)), config.backlog?.depth ?? 0) : null;
    if (!Number.isSafeInteger(this.maxAnswersPerSecond) || this.maxAnswersPerSecond < 0) {
      throw new RangeError('DhcpServer: maxAnswersPerSecond must be a non-negative integer');
    }
  }

  /** The scope a request relayed from `giaddr` is served from (0: the server's own subnet), or null. */
  scopeFor(giaddr: number): DhcpScope | null {
    return giaddr === 0 ? this.local : this.scopeOn(giaddr);
  }

  get backlogLength(): number {
    return this.backlog?.length ?? 0;
  }

  /** When poll() next has a request to serve, or null. */
  get dueUs(): number | null {
    return this.backlog?.dueUs ?? null;
  }

  /** A BOOTP payload from `srcMac`: the answer when it is served at once, else null (queued, dropped or ignored). */
  receive(payload: Uint8Array, srcMac: Mac, nowUs: number): DhcpAnswer | null {
    this.nowUs = nowUs;
    const m = decodeDhcp(payload);
    const scope = m === null ? null : this.scopeFor(m.giaddr);
    if (m === null || scope === null) { this.stats.ignored++; return null; }
    const request: Request = { m, srcMac, scope, atUs: nowUs };
    if (this.backlog === null) return this.serve(request);
    if (!this.backlog.push(request, nowUs)) {
      this.stats.dropped++;
      bump(this.stats.dropsPerSecond, this.second());
      return null;
    }
    this.stats.peakBacklog = this.backlog.peak;
    return null;
  }

  /** Serves the request whose service time is over; the next one starts. */
  poll(nowUs: number): DhcpAnswer | null {
    this.nowUs = nowUs;
    const done = this.backlog?.take(nowUs) ?? null;
    return done === null ? null : this.serve(done);
  }

  private serve(r: Request): DhcpAnswer | null {
    const wait = this.nowUs - r.atUs;
    this.stats.served++;
    this.stats.waitUs += wait;
    if (wait > this.stats.maxWaitUs) this.stats.maxWaitUs = wait;
    const m = r.m;
    if (m.op !== BOOTREQUEST || m.htype !== 1 || m.hlen !== 6) { this.stats.ignored++; return null; }
    return this.dispatch(m, r.srcMac, r.scope);
  }

  private dispatch(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope): DhcpAnswer | null {
    const type = dhcpMessageType(m);
    if (type === DhcpType.DISCOVER || type === DhcpType.REQUEST) this.logFingerprint(m);
    const answers = type === DhcpType.DISCOVER || type === DhcpType.REQUEST || type === DhcpType.INFORM;
    if (answers && !this.takeAnswerSlot()) { this.stats.rateLimited++; return null; }
    switch (type) {
      case DhcpType.DISCOVER: this.stats.discovers++; return this.onDiscover(m, srcMac, scope);
      case DhcpType.REQUEST: this.stats.requests++; return this.onRequest(m, srcMac, scope);
      case DhcpType.DECLINE: this.stats.declines++; this.onDecline(m, scope); return null;
      case DhcpType.RELEASE: this.stats.releases++; this.onRelease(m, scope); return null;
      case DhcpType.INFORM: this.stats.informs++; return this.onInform(m, srcMac, scope);
      default: this.stats.ignored++; return null;
    }
  }

  /** Option 55 in the client's order, as profiling systems log it ("1,66,6,3,15,150,35"), by client id. */
  private logFingerprint(m: DecodedDhcp): void {
    const prl = dhcpOption(m, DhcpOpt.PARAM_REQUEST_LIST);
    if (prl) this.fingerprints.set(clientIdOf(m), Array.from(prl).join(","));
  }

  private takeAnswerSlot(): boolean {
    if (this.maxAnswersPerSecond <= 0) return true;
    const s = this.second();
    if (s !== this.windowS) { this.windowS = s; this.answersInWindow = 0; }
    if (this.answersInWindow >= this.maxAnswersPerSecond) return false;
    this.answersInWindow++;
    return true;
  }

  // ------------------------------------------------------------ RFC 2131 4.3

  private onDiscover(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope): DhcpAnswer | null {
    const id = clientIdOf(m);
    const ip = scope.allocate(id, dhcpOptionU32(m, DhcpOpt.REQUESTED_IP), this.nowUs);
    if (ip === null) { this.stats.poolExhausted++; return null; }
    scope.bind(id, m.chaddr, ip, 'offered', this.nowUs + scope.offerHoldUs);
    return this.reply(m, srcMac, scope, DhcpType.OFFER, ip, 'offer', id);
  }

  private onRequest(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope): DhcpAnswer | null {
    const id = clientIdOf(m);
    const serverId = dhcpOptionU32(m, DhcpOpt.SERVER_ID);
    const requested = dhcpOptionU32(m, DhcpOpt.REQUESTED_IP);
    if (serverId !== null) return this.onSelecting(m, srcMac, scope, id, serverId, requested);
    const ip = m.ciaddr !== 0 ? m.ciaddr : requested; // RENEWING/REBINDING, else INIT-REBOOT
    if (ip === null) { this.stats.ignored++; return null; }
    // INIT-REBOOT from a client the server has no record of: silence (RFC 2131 4.3.2), unless
    // the address is surely wrong (another network, or another client's).
    const unknown = m.ciaddr === 0 && scope.holder(id) === undefined && scope.onSubnet(ip) && scope.isFree(ip, id, this.nowUs);
    if (unknown && !this.nakAll) { this.stats.ignored++; return null; }
    if (this.nakAll || !scope.canConfirm(id, ip, this.nowUs)) return this.nak(m, srcMac, scope, id);
    return this.ack(m, srcMac, scope, id, ip);
  }

  private onSelecting(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope, id: string, serverId: number, requested: number | null): DhcpAnswer | null {
    const lease = scope.holder(id);
    if (serverId !== scope.serverId) {
      // The client chose another server's offer: free ours without a word.
      if (lease !== undefined && lease.state === 'offered') scope.forget(lease);
      return null;
    }
    if (requested === null) { this.stats.ignored++; return null; }
    if (this.nakAll || lease === undefined || lease.ip !== requested || !scope.isFree(requested, id, this.nowUs)) {
      return this.nak(m, srcMac, scope, id);
    }
    return this.ack(m, srcMac, scope, id, requested);
  }

  private ack(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope, id: string, ip: number): DhcpAnswer {
    scope.bind(id, m.chaddr, ip, 'bound', this.nowUs + scope.leaseTimeS * US);
    return this.reply(m, srcMac, scope, DhcpType.ACK, ip, 'ack', id);
  }

  private onDecline(m: DecodedDhcp, scope: DhcpScope): void {
    const serverId = dhcpOptionU32(m, DhcpOpt.SERVER_ID);
    const ip = dhcpOptionU32(m, DhcpOpt.REQUESTED_IP);
    if ((serverId !== null && serverId !== scope.serverId) || ip === null || !scope.inPool(ip)) return;
    const id = clientIdOf(m);
    const lease = scope.leaseAt(ip);
    if (lease !== undefined && lease.clientId !== id) return; // only the holder may decline it
    if (lease !== undefined) scope.forget(lease);
    scope.decline(ip, this.nowUs);
    this.emit('decline', ip, id, m.xid);
  }

  private onRelease(m: DecodedDhcp, scope: DhcpScope): void {
    const id = clientIdOf(m);
    const lease = scope.leaseAt(m.ciaddr);
    if (lease === undefined || lease.clientId !== id) return;
    lease.state = 'released';
    lease.expiresUs = this.nowUs;
    this.emit('release', m.ciaddr, id, m.xid);
  }

  private onInform(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope): DhcpAnswer | null {
    if (m.ciaddr === 0) { this.stats.ignored++; return null; }
    return this.reply(m, srcMac, scope, DhcpType.ACK, 0, 'inform', clientIdOf(m));
  }

  private nak(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope, id: string): DhcpAnswer {
    return this.reply(m, srcMac, scope, DhcpType.NAK, 0, 'nak', id);
  }

  // ------------------------------------------------------------ output

  private reply(m: DecodedDhcp, srcMac: Mac, scope: DhcpScope, type: number, yiaddr: number, ev: DhcpServerEventType, id: string): DhcpAnswer {
    const isNak = type === DhcpType.NAK;
    const payload = encodeDhcp({
      op: BOOTREPLY, xid: m.xid, chaddr: m.chaddr, hlen: m.hlen, flags: m.flags, giaddr: m.giaddr,
      ciaddr: isNak || ev === 'offer' ? 0 : m.ciaddr, yiaddr,
      options: scope.replyOptions(m, type, ev === 'inform'),
    }, BOOTP_MIN_LEN);
    this.count(ev);
    this.emit(ev, yiaddr, id, m.xid);
    return { payload, ...destination(m, srcMac, isNak) };
  }

  private count(ev: DhcpServerEventType): void {
    this.stats.answers++;
    if (ev === 'offer') this.stats.offers++;
    else if (ev === 'nak') this.stats.naks++;
    else this.stats.acks++;
    bump(this.stats.answersPerSecond, this.second());
  }

  private emit(type: DhcpServerEventType, ip: number, clientId: string, xid: number): void {
    if (this.onEvent !== null) this.onEvent({ type, tUs: this.nowUs, ip, clientId, xid });
  }

  private scopeOn(ip: number): DhcpScope | null {
    for (const [mask, nets] of this.bySubnet) {
      const s = nets.get((ip & mask) >>> 0);
      if (s !== undefined) return s;
    }
    return null;
  }

  private second(): number {
    return Math.floor(this.nowUs / US);
  }
}

/**
 * One request in service at a time, each for `serviceUs`, and at most
 * `depth` waiting behind it (a socket buffer's worth): what finds them all
 * taken is refused.
 */
class Backlog<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private inService: T | null = null;
  private serviceEndsUs = 0;
  /** The longest the queue was, counting a request that arrived to an idle server and went straight into service. */
  peak = 0;

  constructor(private readonly serviceUs: number, private readonly depth: number) {}

  /** Requests waiting (the one in service not counted). */
  get length(): number {
    return this.queue.length - this.head;
  }

  /** When the request in service is done, or null when idle. */
  get dueUs(): number | null {
    return this.inService === null ? null : this.serviceEndsUs;
  }

  /** Queues `item` (taken into service at once when idle); false when the backlog is full. */
  push(item: T, nowUs: number): boolean {
    if (this.length >= this.depth) return false;
    this.queue.push(item);
    if (this.length > this.peak) this.peak = this.length;
    if (this.inService === null) this.startNext(nowUs);
    return true;
  }

  /** The item whose service is over, the next one starting; null when none is done. */
  take(nowUs: number): T | null {
    const done = this.inService;
    if (done === null || nowUs < this.serviceEndsUs) return null;
    this.startNext(nowUs);
    return done;
  }

  private startNext(nowUs: number): void {
    if (this.head >= this.queue.length) {
      this.inService = null;
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    this.inService = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as T;
    // Drop the served head now and then, not on every request.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.serviceEndsUs = nowUs + this.serviceUs;
  }
}

/** RFC 2131 4.1: to the relay; else broadcast when the client asked for it, has no address yet, or is refused; else to the client. */
function destination(m: DecodedDhcp, srcMac: Mac, isNak: boolean): Omit<DhcpAnswer, 'payload'> {
  if (m.giaddr !== 0) return { dstMac: srcMac, dstIp: m.giaddr, dstPort: DHCP_SERVER_PORT };
  const broadcast = isNak || (m.flags & DHCP_FLAG_BROADCAST) !== 0 || m.ciaddr === 0;
  return {
    dstMac: broadcast ? broadcastMac() : m.chaddr.slice(0, 6),
    dstIp: broadcast ? IPV4_BROADCAST : m.ciaddr,
    dstPort: DHCP_CLIENT_PORT,
  };
}
