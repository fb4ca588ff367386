// A compact DNS stub resolver (RFC 1035): one A query at a time, for the
// TFTP server name of DHCP option 66. The servers of option 6 are tried in
// order, each round waiting twice as long (1 s, 2 s, 4 s per server), so a
// resolution ends within 7 s per server. Answers are checked (ID, source,
// question), names with compression pointers are followed only backwards and
// never past 255 bytes, so a hostile answer can neither loop nor overrun.
//
// Use: dnsStart(name, len, servers, count, now); call dnsPoll(now) when its
// deadline comes; answers reach dnsRx() through the UDP port the lookup
// binds. dnsStatus says how it ended; dnsAddress holds the answer.
import { event, random } from "../hal";
import { get32, put32 } from "../lib/bytes";
import { Ctr, drop } from "../counters";
import { Ev } from "../events";
import { DNS_NAME_MAX, DNS_PORT, DnsRcode, DnsRepr, encodeName } from "../wire/dns";
import { HopWait, udpBind, udpSend, udpSlot, udpTxPayload } from "../net/stack";

const dnsIn = changetype<DnsRepr>(memory.data(offsetof<DnsRepr>()));
const dnsOut = changetype<DnsRepr>(memory.data(offsetof<DnsRepr>()));

export const enum DnsStatus {
  Idle = 0,
  Running = 1,
  /** dnsAddress holds the answer. */
  Done = 2,
  /** NXDOMAIN, or the name has no A record. */
  NotFound = 3,
  /** No server answered in MAX_ROUNDS rounds (or there was none). */
  Timeout = 4,
  /** The name cannot be a host name (empty or over-long label, over 255 bytes). */
  BadName = 5,
}

const NEVER = i64.MAX_VALUE;
const MAX_SERVERS = 4;
/** Rounds over the server list; a round waits 1 s, 2 s, 4 s for each server. */
export const DNS_ROUNDS = 3;
export const DNS_FIRST_WAIT: i64 = 1000;
/** While the server's next hop is being resolved, query again this soon (or when the reply comes). */
const ARP_RETRY: i64 = 50;
const MAX_ARP_WAITS = 40;
const EPHEMERAL_BASE: u32 = 49152;

export let dnsStatus = DnsStatus.Idle;
export let dnsAddress: u32 = 0;
export let dnsTtl: u32 = 0;
export let dnsLocalPort: u32 = 0;

const qname = memory.data(DNS_NAME_MAX);
let qnameLen = 0;
const servers = memory.data(MAX_SERVERS * 4);
let serverCount = 0;
let attempt = 0; // queries sent so far
const hop = changetype<HopWait>(memory.data(offsetof<HopWait>()));
let slot = 0; // in the UDP port table
let queryId: u32 = 0;
let running = false;
let deadline: i64 = NEVER;

/**
 * Resolves the host name (`nameLen` ASCII bytes at `namePtr`; when it has no
 * dot, `domain` is appended) with the `count` server addresses (u32,
 * big-endian as DHCP stores them) at `serverList`. Abandons any lookup under way.
 */
export function dnsStart(namePtr: usize, nameLen: i32, serverList: usize, count: i32, now: i64,
  domainPtr: usize = 0, domainLen: i32 = 0): void {
  stopRunning();
  dnsAddress = 0;
  dnsTtl = 0;
  qnameLen = encodeName(namePtr, nameLen, domainPtr, domainLen, qname);
  if (qnameLen < 0) {
    dnsStatus = DnsStatus.BadName;
    return;
  }
  serverCount = 0;
  for (let i = 0; i < count && serverCount < MAX_SERVERS; i++) {
    const s = get32(serverList + (<usize>i << 2));
    if (s == 0) continue;
    put32(servers + (<usize>serverCount << 2), s);
    serverCount++;
  }
  queryId = random() & 0xffff;
  dnsLocalPort = EPHEMERAL_BASE + random() % 16384;
  attempt = 0;
  hop.clear();
  dnsStatus = DnsStatus.Running;
  running = true;
  udpBind(slot, dnsLocalPort);
  query(now);
}

function stopRunning(): void {
  running = false;
  deadline = NEVER;
  udpBind(slot, 0);
}

export function dnsStop(): void {
  stopRunning();
  if (dnsStatus == DnsStatus.Running) dnsStatus = DnsStatus.Idle;
}

/** Back to the state at power-on. */
export function dnsReset(): void {
  dnsStop();
  dnsStatus = DnsStatus.Idle;
  dnsAddress = dnsTtl = dnsLocalPort = 0;
}

@inline function serverAt(i: i32): u32 { return get32(servers + (<usize>i << 2)); }

/** Sends query number `attempt` to its server, or gives up when all rounds are spent. */
function query(now: i64): void {
  if (attempt >= DNS_ROUNDS * serverCount) {
    event(Ev.DnsTimeout, attempt, 0);
    end(DnsStatus.Timeout);
    return;
  }
  const server = serverAt(attempt % serverCount);
  const q = dnsOut;
  q.id = queryId;
  q.qnamePtr = qname;
  q.qnameLen = qnameLen;
  if (!udpSend(server, dnsLocalPort, DNS_PORT, q.emit(udpTxPayload()), now) && hop.hold(server, now, ARP_RETRY, MAX_ARP_WAITS)) {
    deadline = hop.retryAt; // the server's MAC is being resolved: not a lost query
    return;
  }
  hop.clear();
  event(Ev.DnsQuery, <i32>server, attempt + 1);
  deadline = now + (DNS_FIRST_WAIT << (attempt / serverCount));
  attempt++;
}

function end(status: DnsStatus): void {
  dnsStatus = status;
  stopRunning();
}

export function dnsPoll(now: i64): i64 {
  if (running && (now >= deadline || hop.ready(now))) query(now);
  return deadline;
}

/** True when `ip` is a server this lookup has sent a query to. */
function asked(ip: u32): bool {
  const n = min(attempt, serverCount);
  for (let i = 0; i < n; i++) if (serverAt(i) == ip) return true;
  return false;
}

/** Handles the `len`-byte UDP payload at `p` from srcIp:srcPort to our query port. Returns true when accepted. */
export function dnsRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  if (!running) return drop(Ctr.DropUdpPort);
  if (srcPort != DNS_PORT || !asked(srcIp)) return drop(Ctr.DropDnsUnexpected);
  dnsIn.qnamePtr = qname;
  dnsIn.qnameLen = qnameLen;
  const err = dnsIn.parse(p, len);
  if (err != 0) return drop(err);
  if (dnsIn.id != queryId) return drop(Ctr.DropDnsUnexpected);
  const rcode = dnsIn.rcode;
  if (rcode == DnsRcode.NoError && dnsIn.address != 0) {
    dnsAddress = dnsIn.address;
    dnsTtl = dnsIn.ttl;
    event(Ev.DnsAnswer, <i32>dnsAddress, <i32>dnsTtl);
    end(DnsStatus.Done);
  } else if (rcode == DnsRcode.NoError || rcode == DnsRcode.NxDomain) {
    // NXDOMAIN, or the name exists without an address: no other server will know better.
    event(Ev.DnsNotFound, <i32>rcode, <i32>srcIp);
    end(DnsStatus.NotFound);
  } else {
    // SERVFAIL, REFUSED, ...: ask the next server now.
    query(now);
  }
  return true;
}

/** Takes a slot in the UDP port table (each lookup binds its own port); once, at start. */
export function dnsInit(): void { slot = udpSlot(dnsRx); }
