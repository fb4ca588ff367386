// DHCP client (RFC 2131, options RFC 2132): INIT, SELECTING, REQUESTING,
// BOUND, RENEWING, REBINDING, INIT-REBOOT/REBOOTING, with the address
// checked by ARP probes (RFC 5227) before use and declined on a conflict.
import { event, random } from "../hal";
import { get16, get32, get8, getMac, put16, put32, put8, putMac } from "../lib/bytes";
import { Ctr, drop } from "../counters";
import { Ev } from "../events";
import { configure, myIp, myMac, unconfigure } from "./netif";
import { IP_BROADCAST, prefixLen } from "./ipv4";
import { acdAnnounce, acdProbe, acdStop, arpFlush } from "./arp";
import { udpSend, udpTxPayload } from "./stack";
import { DEVICE_NAME_LEN, deviceName } from "../phone/identity";

export const DHCP_CLIENT_PORT: u32 = 68;
export const DHCP_SERVER_PORT: u32 = 67;
const COOKIE: u32 = 0x63825363;
const OPTIONS = 240; // offset of the options field
const SNAME = 44;
const FILE = 108;
const BOOTP_MIN = 300; // RFC 1542: relays may drop shorter BOOTP messages
const MAX_MESSAGE: u32 = 1500;

export const enum MsgType { Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7 }
export const enum Opt {
  Pad = 0, SubnetMask = 1, Router = 3, Dns = 6, HostName = 12, DomainName = 15,
  RequestedIp = 50, LeaseTime = 51, Overload = 52, MsgType = 53, ServerId = 54,
  ParamList = 55, MaxSize = 57, T1 = 58, T2 = 59, VendorClass = 60, ClientId = 61,
  TftpServerName = 66, TftpServers = 150, End = 255,
}

const MAX_DNS = 3;
const MAX_TFTP = 4;
const TEXT_MAX = 64;

// A Cisco phone's option 60: "Cisco Systems, Inc. IP Phone CP-7960"
const VENDOR_CLASS = memory.data<u8>([
  67, 105, 115, 99, 111, 32, 83, 121, 115, 116, 101, 109, 115, 44, 32, 73, 110, 99, 46, 32,
  73, 80, 32, 80, 104, 111, 110, 101, 32, 67, 80, 45, 55, 57, 54, 48,
]);
const VENDOR_CLASS_LEN = 36;
// Parameter request list: mask, router, DNS, domain name, TFTP server name, TFTP servers.
const PARAM_LIST = memory.data<u8>([1, 3, 6, 15, 66, 150]);
const PARAM_LIST_LEN = 6;

// RFC 3396: an option that appears more than once (split because it is
// long, or again in the overloaded file and sname fields) is its pieces
// concatenated in order. Those the phone keeps are gathered here, each up to
// what the phone keeps of it.
const RX_DNS = memory.data(MAX_DNS * 4);
const RX_TFTP = memory.data(MAX_TFTP * 4);
const RX_TFTP_NAME = memory.data(TEXT_MAX);
const RX_DOMAIN = memory.data(TEXT_MAX);

/** Appends the `n` bytes at `v` to the `have` bytes at `dst`, up to `cap`; returns the new length. */
function gather(dst: usize, cap: i32, have: i32, v: usize, n: i32): i32 {
  const k = min(n, cap - have);
  if (k <= 0) return have;
  memory.copy(dst + <usize>have, v, <usize>k);
  return have + k;
}

/**
 * One DHCP message. parse() reads a BOOTP header and the options this phone
 * uses (the lists and texts gathered into buffers of their own); emit() writes a
 * client message with the options whose fields are set.
 */
@unmanaged export class DhcpRepr {
  op: u32;
  xid: u32;
  secs: u32;
  flags: u32;
  ciaddr: u32;
  yiaddr: u32;
  siaddr: u32;
  chaddr: u64;
  msgType: u32;
  serverId: u32;
  requestedIp: u32;
  maxSize: u32;
  mask: u32;
  router: u32;
  lease: u32;
  t1: u32;
  t2: u32;
  dnsCount: i32;
  tftpCount: i32;
  tftpPtr: usize;
  tftpNamePtr: usize;
  tftpNameLen: i32;
  domainPtr: usize;
  domainLen: i32;
  dnsPtr: usize;
  dnsBytes: i32;
  tftpBytes: i32;
  /** emit(): add options 12, 55, 60 and 57 (DISCOVER and REQUEST). */
  full: bool;

  /** Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < OPTIONS + 1 || get32(p + 236) != COOKIE) return Ctr.DropDhcpMalformed;
    if (get8(p + 1) != 1 || get8(p + 2) != 6) return Ctr.DropDhcpMalformed;
    this.op = get8(p);
    this.xid = get32(p + 4);
    this.secs = get16(p + 8);
    this.flags = get16(p + 10);
    this.ciaddr = get32(p + 12);
    this.yiaddr = get32(p + 16);
    this.siaddr = get32(p + 20);
    this.chaddr = getMac(p + 28);
    this.msgType = 0;
    this.serverId = this.requestedIp = this.maxSize = this.mask = this.router = 0;
    this.lease = this.t1 = this.t2 = 0;
    this.dnsCount = this.tftpCount = this.tftpNameLen = this.domainLen = this.dnsBytes = this.tftpBytes = 0;
    this.dnsPtr = RX_DNS;
    this.tftpPtr = RX_TFTP;
    this.tftpNamePtr = RX_TFTP_NAME;
    this.domainPtr = RX_DOMAIN;
    const overload = this.options(p + OPTIONS, len - OPTIONS);
    if (overload < 0) return Ctr.DropDhcpMalformed;
    // Option 52: the file and then the sname fields carry more options.
    if ((overload & 1) != 0 && this.options(p + FILE, 128) < 0) return Ctr.DropDhcpMalformed;
    if ((overload & 2) != 0 && this.options(p + SNAME, 64) < 0) return Ctr.DropDhcpMalformed;
    if (this.msgType == 0) return Ctr.DropDhcpMalformed;
    return 0;
  }

  /** Walks one options area; returns the overload value (0..3), or -1 if malformed. */
  private options(p: usize, len: i32): i32 {
    let overload = 0;
    let i = 0;
    while (i < len) {
      const code = get8(p + <usize>i);
      if (code == Opt.End) return overload;
      if (code == Opt.Pad) { i++; continue; }
      if (i + 2 > len) return -1;
      const n = <i32>get8(p + <usize>i + 1);
      const v = p + <usize>i + 2;
      i += 2 + n;
      if (i > len) return -1;
      if (code == Opt.Overload && n == 1) overload = <i32>get8(v) & 3;
      else this.option(code, v, n);
    }
    return -1; // no End option
  }

  private option(code: u32, v: usize, n: i32): void {
    const a = n >= 4 ? get32(v) : 0;
    switch (code) {
      case Opt.MsgType: if (n == 1) this.msgType = get8(v); break;
      case Opt.ServerId: this.serverId = a; break;
      case Opt.RequestedIp: this.requestedIp = a; break;
      case Opt.SubnetMask: this.mask = a; break;
      case Opt.Router: this.router = a; break;
      case Opt.LeaseTime: this.lease = a; break;
      case Opt.T1: this.t1 = a; break;
      case Opt.T2: this.t2 = a; break;
      case Opt.MaxSize: if (n == 2) this.maxSize = get16(v); break;
      case Opt.Dns:
        this.dnsBytes = gather(RX_DNS, MAX_DNS * 4, this.dnsBytes, v, n);
        this.dnsCount = this.dnsBytes >> 2;
        break;
      case Opt.TftpServers:
        this.tftpBytes = gather(RX_TFTP, MAX_TFTP * 4, this.tftpBytes, v, n);
        this.tftpCount = this.tftpBytes >> 2;
        break;
      case Opt.TftpServerName: this.tftpNameLen = gather(RX_TFTP_NAME, TEXT_MAX, this.tftpNameLen, v, n); break;
      case Opt.DomainName: this.domainLen = gather(RX_DOMAIN, TEXT_MAX, this.domainLen, v, n); break;
    }
  }

  /** Writes a client message at `p`; returns its length. */
  emit(p: usize): i32 {
    memory.fill(p, 0, OPTIONS);
    put8(p, 1); // BOOTREQUEST
    put8(p + 1, 1);
    put8(p + 2, 6);
    put32(p + 4, this.xid);
    put16(p + 8, this.secs);
    put16(p + 10, this.flags);
    put32(p + 12, this.ciaddr);
    putMac(p + 28, this.chaddr);
    put32(p + 236, COOKIE);
    let o = p + OPTIONS;
    put8(o, Opt.MsgType); put8(o + 1, 1); put8(o + 2, this.msgType); o += 3;
    // Client identifier: hardware type 1 and the MAC (RFC 2132 9.14).
    put8(o, Opt.ClientId); put8(o + 1, 7); put8(o + 2, 1); putMac(o + 3, this.chaddr); o += 9;
    if (this.requestedIp != 0) o = optAddr(o, Opt.RequestedIp, this.requestedIp);
    if (this.serverId != 0) o = optAddr(o, Opt.ServerId, this.serverId);
    if (this.full) {
      put8(o, Opt.MaxSize); put8(o + 1, 2); put16(o + 2, this.maxSize); o += 4;
      o = optBytes(o, Opt.HostName, deviceName, DEVICE_NAME_LEN);
      o = optBytes(o, Opt.VendorClass, VENDOR_CLASS, VENDOR_CLASS_LEN);
      o = optBytes(o, Opt.ParamList, PARAM_LIST, PARAM_LIST_LEN);
    }
    put8(o++, Opt.End);
    let len = <i32>(o - p);
    if (len < BOOTP_MIN) {
      memory.fill(o, 0, BOOTP_MIN - len);
      len = BOOTP_MIN;
    }
    return len;
  }
}
export const dhcp = changetype<DhcpRepr>(memory.data(offsetof<DhcpRepr>()));

function optAddr(o: usize, code: u32, a: u32): usize {
  put8(o, code); put8(o + 1, 4); put32(o + 2, a);
  return o + 6;
}
function optBytes(o: usize, code: u32, src: usize, n: i32): usize {
  put8(o, code); put8(o + 1, <u32>n);
  memory.copy(o + 2, src, <usize>n);
  return o + 2 + <usize>n;
}

// ---- the client ---------------------------------------------------------------

export const enum DhcpState { Off, Init, Selecting, Requesting, Checking, Bound, Renewing, Rebinding, Rebooting }

const NEVER = i64.MAX_VALUE;
const MAX_REQUESTS = 4; // REQUESTING / REBOOTING tries before starting over
const DECLINE_WAIT: i64 = 10_000; // RFC 2131 3.1.5
const RATE_LIMIT_WAIT: i64 = 60_000; // RFC 5227 after MAX_CONFLICTS
const MAX_CONFLICTS = 10;
const MIN_RENEW_WAIT: i64 = 60_000; // RFC 2131 4.4.5
const ARP_RETRY: i64 = 1000;

export let dhcpState = DhcpState.Off;
let deadline: i64 = NEVER;
let xid: u32 = 0;
let tries = 0;
let started: i64 = 0; // start of this acquisition, for `secs`
let requestSent: i64 = 0; // the lease runs from here (RFC 2131 4.4.1)
let serverId: u32 = 0;
let offered: u32 = 0;
let naks = 0;
let conflicts = 0;

// The lease: valid while Bound, Renewing, Rebinding (and remembered across a link flap).
export let leaseIp: u32 = 0;
export let leaseMask: u32 = 0;
export let leaseRouter: u32 = 0;
let leaseSecs: u32 = 0;
let t1Secs: u32 = 0;
let t2Secs: u32 = 0;
let t1At: i64 = NEVER;
let t2At: i64 = NEVER;
let expiresAt: i64 = NEVER;
export let dnsCount = 0;
export const dnsServers = memory.data(MAX_DNS * 4);
export let tftpCount = 0;
export const tftpServers = memory.data(MAX_TFTP * 4);
export let tftpNameLen = 0;
export const tftpName = memory.data(TEXT_MAX);
export let domainLen = 0;
export const domain = memory.data(TEXT_MAX);

/** Starts (or restarts) acquiring an address after `delay` ms. */
export function dhcpStart(now: i64, delay: i64 = 0): void {
  if (myIp != 0) unconfigure();
  acdStop();
  leaseIp = 0;
  expiresAt = NEVER;
  dhcpState = DhcpState.Init;
  deadline = now + delay;
}

export function dhcpPoll(now: i64): i64 {
  if (now >= deadline) onTimer(now);
  return deadline;
}

function onTimer(now: i64): void {
  switch (dhcpState) {
    case DhcpState.Init: {
      xid = random();
      started = now;
      tries = 0;
      dhcpState = DhcpState.Selecting;
      discover(now);
      break;
    }
    case DhcpState.Selecting: { discover(now); break; }
    case DhcpState.Requesting:
    case DhcpState.Rebooting: {
      if (tries >= MAX_REQUESTS) {
        event(Ev.DhcpGiveUp, dhcpState, 0);
        dhcpStart(now);
      } else {
        request(now);
      }
      break;
    }
    case DhcpState.Bound: {
      // T1: renew with the server that gave the lease, by unicast.
      dhcpState = DhcpState.Renewing;
      xid = random();
      started = now;
      event(Ev.DhcpRenew, <i32>serverId, 0);
      request(now);
      break;
    }
    case DhcpState.Renewing: {
      if (now >= t2At) {
        dhcpState = DhcpState.Rebinding;
        event(Ev.DhcpRebind, 0, 0);
      }
      request(now);
      break;
    }
    case DhcpState.Rebinding: {
      if (now >= expiresAt) {
        event(Ev.DhcpExpired, <i32>leaseIp, 0);
        dhcpStart(now);
      } else {
        request(now);
      }
      break;
    }
    default: deadline = NEVER;
  }
}

/** 4 s doubling to 64 s, randomised by ±1 s (RFC 2131 4.1). */
function retransmitDelay(): i64 {
  const base = tries >= 4 ? 64_000 : <i64>(4000 << tries);
  tries++;
  return base - 1000 + <i64>(random() % 2001);
}

/** Half the time left until `end`, but at least 60 s, and never past `end` (RFC 2131 4.4.5). */
function halfwayTo(end: i64, now: i64): i64 {
  let wait = (end - now) / 2;
  if (wait < MIN_RENEW_WAIT) wait = MIN_RENEW_WAIT;
  return now + wait < end ? now + wait : end;
}

function secsSince(now: i64): u32 {
  const s = (now - started) / 1000;
  return s > 0xffff ? 0xffff : <u32>s;
}

function prepare(type: u32, now: i64): void {
  dhcp.xid = xid;
  dhcp.secs = secsSince(now);
  dhcp.flags = 0;
  dhcp.ciaddr = 0;
  dhcp.chaddr = myMac;
  dhcp.msgType = type;
  dhcp.requestedIp = 0;
  dhcp.serverId = 0;
  dhcp.maxSize = MAX_MESSAGE;
  dhcp.full = true;
}

function send(dst: u32, now: i64): bool {
  return udpSend(dst, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, dhcp.emit(udpTxPayload()), now);
}

function discover(now: i64): void {
  prepare(MsgType.Discover, now);
  event(Ev.DhcpDiscover, <i32>xid, tries + 1);
  send(IP_BROADCAST, now);
  deadline = now + retransmitDelay();
}

/** DHCPREQUEST in the form the state asks for (RFC 2131 4.3.2). */
function request(now: i64): void {
  prepare(MsgType.Request, now);
  let dst = IP_BROADCAST;
  const state = dhcpState;
  if (state == DhcpState.Requesting) {
    dhcp.requestedIp = offered;
    dhcp.serverId = serverId;
  } else if (state == DhcpState.Rebooting) {
    dhcp.requestedIp = offered;
  } else {
    dhcp.ciaddr = leaseIp;
    if (state == DhcpState.Renewing) dst = serverId;
  }
  requestSent = now;
  event(Ev.DhcpRequest, <i32>(dhcp.requestedIp | dhcp.ciaddr), state);
  const sent = send(dst, now);
  // A unicast renewal waiting for the server's MAC: try again once ARP had time to answer.
  if (state == DhcpState.Renewing) deadline = sent ? halfwayTo(t2At, now) : min(now + ARP_RETRY, t2At);
  else if (state == DhcpState.Rebinding) deadline = halfwayTo(expiresAt, now);
  else deadline = now + retransmitDelay();
}

function decline(ip: u32, now: i64): void {
  prepare(MsgType.Decline, now);
  dhcp.requestedIp = ip;
  dhcp.serverId = serverId;
  dhcp.full = false;
  event(Ev.DhcpDecline, <i32>ip, 0);
  send(IP_BROADCAST, now);
}

/** Handles a message for the client port; returns true when accepted. */
export function dhcpRx(p: usize, len: i32, now: i64): bool {
  const err = dhcp.parse(p, len);
  if (err != 0) return drop(err);
  if (dhcp.op != 2 || dhcp.chaddr != myMac || dhcp.xid != xid) return drop(Ctr.DropDhcpNotForUs);
  const type = dhcp.msgType;
  const state = dhcpState;
  if (type == MsgType.Offer && state == DhcpState.Selecting) return onOffer(now);
  const waiting = state == DhcpState.Requesting || state == DhcpState.Rebooting ||
    state == DhcpState.Renewing || state == DhcpState.Rebinding;
  // In REQUESTING only the selected server may answer.
  if (!waiting || (state == DhcpState.Requesting && dhcp.serverId != serverId)) return drop(Ctr.DropDhcpUnexpected);
  if (type == MsgType.Ack) return onAck(now);
  if (type == MsgType.Nak) {
    event(Ev.DhcpNak, <i32>dhcp.serverId, 0);
    // Restart at once, but not in a tight loop with a server that NAKs everything.
    dhcpStart(now, ++naks > 2 ? DECLINE_WAIT : 0);
    return true;
  }
  return drop(Ctr.DropDhcpUnexpected);
}

function onOffer(now: i64): bool {
  if (dhcp.yiaddr == 0 || dhcp.serverId == 0) return drop(Ctr.DropDhcpMalformed);
  offered = dhcp.yiaddr;
  serverId = dhcp.serverId;
  event(Ev.DhcpOffer, <i32>offered, <i32>serverId);
  dhcpState = DhcpState.Requesting;
  tries = 0;
  request(now);
  return true;
}

function onAck(now: i64): bool {
  if (dhcp.yiaddr == 0 || dhcp.lease == 0) return drop(Ctr.DropDhcpMalformed);
  event(Ev.DhcpAck, <i32>dhcp.yiaddr, <i32>dhcp.lease);
  naks = 0;
  if (dhcp.serverId != 0) serverId = dhcp.serverId;
  const renewal = (dhcpState == DhcpState.Renewing || dhcpState == DhcpState.Rebinding) && dhcp.yiaddr == leaseIp;
  takeLease();
  if (renewal) {
    bind(now);
  } else {
    // A new address: check nobody uses it before configuring it.
    if (myIp != 0) unconfigure();
    offered = dhcp.yiaddr;
    dhcpState = DhcpState.Checking;
    deadline = NEVER;
    acdProbe(offered, now);
  }
  return true;
}

/** Copies the parameters of the ACK in `dhcp`. */
function takeLease(): void {
  leaseMask = dhcp.mask != 0 ? dhcp.mask : classfulMask(dhcp.yiaddr);
  leaseRouter = dhcp.router;
  leaseSecs = dhcp.lease;
  // T1 and T2 default to 50 % and 87.5 % of the lease (RFC 2131 4.4.5).
  t1Secs = dhcp.t1 != 0 ? dhcp.t1 : leaseSecs >> 1;
  t2Secs = dhcp.t2 != 0 ? dhcp.t2 : leaseSecs - (leaseSecs >> 3);
  dnsCount = copyAddrs(dnsServers, dhcp.dnsPtr, dhcp.dnsCount, MAX_DNS);
  tftpCount = copyAddrs(tftpServers, dhcp.tftpPtr, dhcp.tftpCount, MAX_TFTP);
  tftpNameLen = copyText(tftpName, dhcp.tftpNamePtr, dhcp.tftpNameLen);
  domainLen = copyText(domain, dhcp.domainPtr, dhcp.domainLen);
}

function copyAddrs(dst: usize, src: usize, n: i32, max: i32): i32 {
  if (n > max) n = max;
  memory.copy(dst, src, <usize>(n << 2));
  return n;
}

function copyText(dst: usize, src: usize, n: i32): i32 {
  if (n > TEXT_MAX) n = TEXT_MAX;
  // Servers may count a trailing NUL in the option (RFC 2132 allows neither but some do).
  while (n > 0 && load<u8>(src + <usize>n - 1) == 0) n--;
  memory.copy(dst, src, <usize>n);
  return n;
}

function classfulMask(ip: u32): u32 {
  return ip < 0x8000_0000 ? 0xff00_0000 : ip < 0xc000_0000 ? 0xffff_0000 : 0xffff_ff00;
}

/** Uses the lease: configures the interface and sets T1, T2 and expiry from when it was requested. */
function bind(now: i64): void {
  const fresh = myIp != leaseIpOrOffered();
  leaseIp = leaseIpOrOffered();
  dhcpState = DhcpState.Bound;
  const infinite = leaseSecs == 0xffff_ffff;
  t1At = infinite ? NEVER : requestSent + <i64>t1Secs * 1000;
  t2At = infinite ? NEVER : requestSent + <i64>t2Secs * 1000;
  expiresAt = infinite ? NEVER : requestSent + <i64>leaseSecs * 1000;
  deadline = t1At;
  if (!fresh) return;
  configure(leaseIp, leaseMask, leaseRouter);
  reportLease();
  acdAnnounce(leaseIp, now);
}

@inline function leaseIpOrOffered(): u32 { return dhcpState == DhcpState.Checking ? offered : leaseIp; }

function reportLease(): void {
  event(Ev.DhcpBound, <i32>leaseIp, prefixLen(leaseMask));
  if (leaseRouter != 0) event(Ev.DhcpRouter, <i32>leaseRouter, 0);
  for (let i = 0; i < dnsCount; i++) event(Ev.DhcpDns, <i32>get32(dnsServers + (<usize>i << 2)), i);
  for (let i = 0; i < tftpCount; i++) event(Ev.DhcpTftp, <i32>get32(tftpServers + (<usize>i << 2)), i);
  if (tftpNameLen > 0) event(Ev.DhcpTftpName, <i32>tftpName, tftpNameLen);
  if (domainLen > 0) event(Ev.DhcpDomain, <i32>domain, domainLen);
  event(Ev.DhcpLease, <i32>t1Secs, <i32>t2Secs);
}

/** The ARP probe's verdict on the address of the ACK (from net/arp). */
export function dhcpAddressChecked(free: bool, now: i64): void {
  if (dhcpState != DhcpState.Checking) return;
  if (free) {
    conflicts = 0;
    bind(now);
    return;
  }
  decline(offered, now);
  loseAddress(now);
}

/** Another host took our address and we gave it up (from net/arp). */
export function dhcpAddressLost(now: i64): void {
  decline(leaseIp, now);
  loseAddress(now);
}

function loseAddress(now: i64): void {
  arpFlush();
  // RFC 2131 3.1.5 waits 10 s after a decline; RFC 5227 rate-limits repeated conflicts.
  dhcpStart(now, ++conflicts >= MAX_CONFLICTS ? RATE_LIMIT_WAIT : DECLINE_WAIT);
}

export function dhcpLinkDown(): void {
  if (myIp != 0) unconfigure();
  acdStop();
  dhcpState = DhcpState.Off;
  deadline = NEVER;
}

/** On a new link, reuse a lease still running (INIT-REBOOT), else start from INIT. */
export function dhcpLinkUp(now: i64): void {
  if (leaseIp == 0 || now >= expiresAt) {
    dhcpStart(now);
    return;
  }
  offered = leaseIp;
  leaseIp = 0;
  xid = random();
  started = now;
  tries = 0;
  arpFlush();
  dhcpState = DhcpState.Rebooting;
  request(now);
}
