// DHCP client (RFC 2131, options RFC 2132): INIT, SELECTING, REQUESTING,
// BOUND, RENEWING, REBINDING, INIT-REBOOT/REBOOTING, with the address
// checked by ARP probes (RFC 5227) before use and declined on a conflict.
import { event, random } from "../hal";
import { get32 } from "../lib/bytes";
import { Ctr, count, drop } from "../counters";
import { Ev } from "../events";
import { IP_BROADCAST, prefixLen } from "../wire/ipv4";
import {
  DHCP_CLIENT_PORT, DHCP_MAX_DNS, DHCP_MAX_MESSAGE, DHCP_MAX_TFTP, DHCP_SERVER_PORT, DHCP_TEXT_MAX, dhcpAddrOptionOk, DhcpRepr, MsgType, Opt,
} from "../wire/dhcp";
import { configure, hostName, hostNameLen, myIp, myMac, unconfigure, voiceVlan } from "../net/netif";
import { Pref, prefsGet, prefsSet } from "../flash/prefs";
import { arpFlush } from "../net/arp";
import { acdAnnounce, acdProbe, acdStop, acdTakeVerdict, AcdVerdict } from "../net/acd";
import { HopWait, udpBind, udpSend, udpSlot, udpTxPayload } from "../net/stack";

const dhcpIn = changetype<DhcpRepr>(memory.data(offsetof<DhcpRepr>()));
const dhcpOut = changetype<DhcpRepr>(memory.data(offsetof<DhcpRepr>()));

export const enum DhcpState { Off, Init, Selecting, Requesting, Checking, Bound, Renewing, Rebinding, Rebooting }

const NEVER = i64.MAX_VALUE;
const MAX_REQUESTS = 4; // REQUESTING tries before starting over
// INIT-REBOOT tries (about 12 s) before INIT: a server with no record of the
// phone (another network, a non-authoritative server) stays silent (RFC 2131 4.3.2).
const MAX_REBOOT_REQUESTS = 2;
const DECLINE_WAIT: i64 = 10_000; // RFC 2131 3.1.5
const RATE_LIMIT_WAIT: i64 = 60_000; // RFC 5227 after MAX_CONFLICTS
const MAX_CONFLICTS = 10;
const MIN_RENEW_WAIT: i64 = 60_000; // RFC 2131 4.4.5
/** A unicast renewal waiting for the server's MAC goes when ARP answers, else again this soon, this many times. */
const ARP_RETRY: i64 = 1000;
const MAX_ARP_WAITS = 10;
/**
 * RFC 2131 4.4.1: the client SHOULD wait a random 1 to 10 s before its first
 * DISCOVER, so that a building powering up at once does not flood the
 * server. The firmware's setting (ms); boot adds its wait to stage 4.
 */
export const DHCP_INITIAL_DELAY_MIN: i64 = 1000;
export const DHCP_INITIAL_DELAY_MAX: i64 = 10_000;
/** The lease kept in the preferences: address, voice VLAN (u32 each), expiry in poll() time (i64). */
const SAVED_LEASE_LEN = 16;
const saved = memory.data(SAVED_LEASE_LEN);
/** Pref.DhcpInitialDelay's value, and the longest wait it may ask (an hour: the random span stays within u32). */
const delayPref = memory.data(8);
const DHCP_INITIAL_DELAY_CAP: i64 = 3_600_000;

export let dhcpState = DhcpState.Off;
let deadline: i64 = NEVER;
const hop = changetype<HopWait>(memory.data(offsetof<HopWait>()));
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
export const dnsServers = memory.data(DHCP_MAX_DNS * 4);
export let tftpCount = 0;
export const tftpServers = memory.data(DHCP_MAX_TFTP * 4);
export let tftpNameLen = 0;
export const tftpName = memory.data(DHCP_TEXT_MAX);
export let domainLen = 0;
export const domain = memory.data(DHCP_TEXT_MAX);

/**
 * The first acquisition after start-up: INIT-REBOOT with the address kept in
 * the preferences when its lease runs on (RFC 2131 3.2, 4.4.2), else INIT
 * after the initial random delay.
 */
export function dhcpBoot(now: i64): void {
  if (prefsGet(Pref.DhcpLease, saved, SAVED_LEASE_LEN) == SAVED_LEASE_LEN) {
    const ip = load<u32>(saved);
    if (ip != 0 && load<u32>(saved, 4) == voiceVlan && now < load<i64>(saved, 8)) {
      dhcpStart(now);
      reboot(ip, now);
      return;
    }
  }
  let lo = DHCP_INITIAL_DELAY_MIN;
  let hi = DHCP_INITIAL_DELAY_MAX;
  if (prefsGet(Pref.DhcpInitialDelay, delayPref, 8) == 8) {
    lo = min<i64>(<i64>get32(delayPref), DHCP_INITIAL_DELAY_CAP);
    hi = max<i64>(lo, min<i64>(<i64>get32(delayPref + 4), DHCP_INITIAL_DELAY_CAP));
  }
  dhcpStart(now, lo + <i64>(random() % <u32>(hi - lo + 1)));
}

/** Keeps the lease for the next start (or forgets it: `ip` 0). */
function saveLease(ip: u32): void {
  store<u32>(saved, ip);
  store<u32>(saved, voiceVlan, 4);
  store<i64>(saved, expiresAt, 8);
  prefsSet(Pref.DhcpLease, saved, ip != 0 ? SAVED_LEASE_LEN : 0);
}

/** Starts (or restarts) acquiring an address after `delay` ms. */
export function dhcpStart(now: i64, delay: i64 = 0): void {
  if (myIp != 0) unconfigure();
  acdStop();
  leaseIp = 0;
  expiresAt = NEVER;
  dhcpState = DhcpState.Init;
  deadline = now + delay;
  hop.clear();
}

export function dhcpPoll(now: i64): i64 {
  const verdict = acdTakeVerdict();
  if (verdict == AcdVerdict.Lost) addressLost(now);
  else if (verdict != AcdVerdict.None) addressChecked(verdict == AcdVerdict.Free, now);
  if (now >= deadline || hop.ready(now)) onTimer(now);
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
      if (tries >= (dhcpState == DhcpState.Rebooting ? MAX_REBOOT_REQUESTS : MAX_REQUESTS)) {
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
  dhcpOut.xid = xid;
  dhcpOut.secs = secsSince(now);
  dhcpOut.flags = 0;
  dhcpOut.ciaddr = 0;
  dhcpOut.chaddr = myMac;
  dhcpOut.msgType = type;
  dhcpOut.requestedIp = 0;
  dhcpOut.serverId = 0;
  dhcpOut.maxSize = DHCP_MAX_MESSAGE;
  dhcpOut.full = true;
  dhcpOut.hostNamePtr = hostName;
  dhcpOut.hostNameLen = hostNameLen;
}

function send(dst: u32, now: i64): bool {
  return udpSend(dst, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, dhcpOut.emit(udpTxPayload()), now);
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
    dhcpOut.requestedIp = offered;
    dhcpOut.serverId = serverId;
  } else if (state == DhcpState.Rebooting) {
    dhcpOut.requestedIp = offered;
  } else {
    dhcpOut.ciaddr = leaseIp;
    if (state == DhcpState.Renewing) dst = serverId;
  }
  requestSent = now;
  event(Ev.DhcpRequest, <i32>(dhcpOut.requestedIp | dhcpOut.ciaddr), state);
  const sent = send(dst, now);
  // A unicast renewal waiting for the server's MAC: try again once ARP had time to answer.
  if (state == DhcpState.Renewing && !sent && hop.hold(serverId, now, ARP_RETRY, MAX_ARP_WAITS)) {
    deadline = min(hop.retryAt, t2At);
    return;
  }
  hop.clear();
  if (state == DhcpState.Renewing) deadline = halfwayTo(t2At, now);
  else if (state == DhcpState.Rebinding) deadline = halfwayTo(expiresAt, now);
  else deadline = now + retransmitDelay();
}

function decline(ip: u32, now: i64): void {
  prepare(MsgType.Decline, now);
  dhcpOut.requestedIp = ip;
  dhcpOut.serverId = serverId;
  dhcpOut.full = false;
  event(Ev.DhcpDecline, <i32>ip, 0);
  send(IP_BROADCAST, now);
}

/** Handles a message for the client port; returns true when accepted. */
export function dhcpRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  const err = dhcpIn.parse(p, len);
  if (err != 0) return drop(err);
  if (dhcpIn.op != 2 || dhcpIn.chaddr != myMac || dhcpIn.xid != xid) return drop(Ctr.DropDhcpNotForUs);
  const type = dhcpIn.msgType;
  const state = dhcpState;
  if (type == MsgType.Offer && state == DhcpState.Selecting) return onOffer(now);
  const waiting = state == DhcpState.Requesting || state == DhcpState.Rebooting ||
    state == DhcpState.Renewing || state == DhcpState.Rebinding;
  // In REQUESTING only the selected server may answer.
  if (!waiting || (state == DhcpState.Requesting && dhcpIn.serverId != serverId)) return drop(Ctr.DropDhcpUnexpected);
  if (type == MsgType.Ack) return onAck(now);
  if (type == MsgType.Nak) {
    event(Ev.DhcpNak, <i32>dhcpIn.serverId, 0);
    saveLease(0);
    // Restart at once, but not in a tight loop with a server that NAKs everything.
    dhcpStart(now, ++naks > 2 ? DECLINE_WAIT : 0);
    return true;
  }
  return drop(Ctr.DropDhcpUnexpected);
}

function onOffer(now: i64): bool {
  if (dhcpIn.yiaddr == 0 || dhcpIn.serverId == 0) return drop(Ctr.DropDhcpMalformed);
  offered = dhcpIn.yiaddr;
  serverId = dhcpIn.serverId;
  event(Ev.DhcpOffer, <i32>offered, <i32>serverId);
  dhcpState = DhcpState.Requesting;
  tries = 0;
  request(now);
  return true;
}

function onAck(now: i64): bool {
  if (dhcpIn.yiaddr == 0 || dhcpIn.lease == 0) return drop(Ctr.DropDhcpMalformed);
  event(Ev.DhcpAck, <i32>dhcpIn.yiaddr, <i32>dhcpIn.lease);
  naks = 0;
  if (dhcpIn.serverId != 0) serverId = dhcpIn.serverId;
  const renewal = (dhcpState == DhcpState.Renewing || dhcpState == DhcpState.Rebinding) && dhcpIn.yiaddr == leaseIp;
  takeLease();
  if (renewal) {
    bind(now);
  } else {
    // A new address: check nobody uses it before configuring it.
    if (myIp != 0) unconfigure();
    offered = dhcpIn.yiaddr;
    dhcpState = DhcpState.Checking;
    deadline = NEVER;
    acdProbe(offered, now);
  }
  return true;
}

/** Copies the parameters of the ACK in `dhcp`. */
function takeLease(): void {
  const maskOk = shapeOk(Opt.SubnetMask, dhcpIn.maskLen);
  leaseMask = maskOk && dhcpIn.mask != 0 ? dhcpIn.mask : classfulMask(dhcpIn.yiaddr);
  leaseRouter = shapeOk(Opt.Router, dhcpIn.routerLen) ? dhcpIn.router : 0;
  leaseSecs = dhcpIn.lease;
  // T1 and T2 default to 50 % and 87.5 % of the lease (RFC 2131 4.4.5).
  t1Secs = dhcpIn.t1 != 0 ? dhcpIn.t1 : leaseSecs >> 1;
  t2Secs = dhcpIn.t2 != 0 ? dhcpIn.t2 : leaseSecs - (leaseSecs >> 3);
  // A list of the wrong length is not addresses (option 150 declared as text, say): none, then.
  dnsCount = shapeOk(Opt.Dns, dhcpIn.dnsLen) ? copyAddrs(dnsServers, dhcpIn.dnsPtr, dhcpIn.dnsCount, DHCP_MAX_DNS) : 0;
  tftpCount = shapeOk(Opt.TftpServers, dhcpIn.tftpLen) ? copyAddrs(tftpServers, dhcpIn.tftpPtr, dhcpIn.tftpCount, DHCP_MAX_TFTP) : 0;
  tftpNameLen = copyText(tftpName, dhcpIn.tftpNamePtr, dhcpIn.tftpNameLen);
  domainLen = copyText(domain, dhcpIn.domainPtr, dhcpIn.domainLen);
}

/** True when the address option `code` of `len` bytes is absent (-1) or well formed; else it is refused, counted and named. */
function shapeOk(code: u32, len: i32): bool {
  if (len < 0 || dhcpAddrOptionOk(code, len)) return true;
  count(Ctr.DhcpOptionMalformed);
  event(Ev.DhcpOptionMalformed, <i32>code, len);
  return false;
}

function copyAddrs(dst: usize, src: usize, n: i32, max: i32): i32 {
  if (n > max) n = max;
  memory.copy(dst, src, <usize>(n << 2));
  return n;
}

function copyText(dst: usize, src: usize, n: i32): i32 {
  if (n > DHCP_TEXT_MAX) n = DHCP_TEXT_MAX;
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
  saveLease(leaseIp);
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

/** ACD's verdict on the address of the ACK. */
function addressChecked(free: bool, now: i64): void {
  if (dhcpState != DhcpState.Checking) return;
  if (free) {
    conflicts = 0;
    bind(now);
    return;
  }
  decline(offered, now);
  loseAddress(now);
}

/** Another host took our address and we gave it up. */
function addressLost(now: i64): void {
  decline(leaseIp, now);
  loseAddress(now);
}

function loseAddress(now: i64): void {
  arpFlush();
  saveLease(0);
  // RFC 2131 3.1.5 waits 10 s after a decline; RFC 5227 rate-limits repeated conflicts.
  dhcpStart(now, ++conflicts >= MAX_CONFLICTS ? RATE_LIMIT_WAIT : DECLINE_WAIT);
}

export function dhcpLinkDown(): void {
  if (myIp != 0) unconfigure();
  acdStop();
  dhcpState = DhcpState.Off;
  deadline = NEVER;
  hop.clear();
}

/** Back to the state at power-on: no lease, nothing under way. */
export function dhcpReset(): void {
  dhcpLinkDown();
  xid = 0;
  tries = naks = conflicts = 0;
  serverId = offered = leaseIp = leaseMask = leaseRouter = 0;
  leaseSecs = t1Secs = t2Secs = 0;
  t1At = t2At = expiresAt = NEVER;
  dnsCount = tftpCount = tftpNameLen = domainLen = 0;
}

/** On a new link, reuse a lease still running (INIT-REBOOT), else start from INIT. */
export function dhcpLinkUp(now: i64): void {
  if (leaseIp == 0 || now >= expiresAt) {
    dhcpStart(now);
    return;
  }
  const ip = leaseIp;
  leaseIp = 0;
  arpFlush();
  reboot(ip, now);
}

/** INIT-REBOOT: REQUEST `ip` (option 50, no server id), broadcast. */
function reboot(ip: u32, now: i64): void {
  offered = ip;
  xid = random();
  started = now;
  tries = 0;
  dhcpState = DhcpState.Rebooting;
  request(now);
}

/** Binds the client port; once, at start. */
export function dhcpInit(): void { udpBind(udpSlot(dhcpRx), DHCP_CLIENT_PORT); }
