// ARP (RFC 826) for IPv4 over Ethernet: a small cache with ageing, replies
// for our address, and address conflict detection (RFC 5227): probing an
// address before use, announcing it, and defending it afterwards.
import { event, random } from "../hal";
import { get16, get32, get8, getMac, MAC_BROADCAST, put16, put32, putMac } from "../lib/bytes";
import { Ctr, count, drop } from "../counters";
import { Ev } from "../events";
import { EtherType } from "./ethernet";
import { myIp, myMac, txFrame, txL3 } from "./netif";
import { dhcpAddressChecked, dhcpAddressLost } from "./dhcp";

export const ARP_LEN = 28;
export const enum ArpOp { Request = 1, Reply = 2 }

@unmanaged export class ArpRepr {
  op: u32;
  senderMac: u64;
  senderIp: u32;
  targetMac: u64;
  targetIp: u32;

  /** Checks an Ethernet/IPv4 ARP packet. Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < ARP_LEN) return Ctr.DropArpMalformed;
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
    if (get32(p) != 0x0001_0800 || get16(p + 4) != 0x0604) return Ctr.DropArpMalformed;
    const op = get16(p + 6);
    if (op != ArpOp.Request && op != ArpOp.Reply) return Ctr.DropArpMalformed;
    // A group address cannot be a sender: never cache or answer it.
    if ((get8(p + 8) & 1) != 0) return Ctr.DropArpMalformed;
    this.op = op;
    this.senderMac = getMac(p + 8);
    this.senderIp = get32(p + 14);
    this.targetMac = getMac(p + 18);
    this.targetIp = get32(p + 24);
    return 0;
  }

  emit(p: usize): i32 {
    put32(p, 0x0001_0800);
    put16(p + 4, 0x0604);
    put16(p + 6, this.op);
    putMac(p + 8, this.senderMac);
    put32(p + 14, this.senderIp);
    putMac(p + 18, this.targetMac);
    put32(p + 24, this.targetIp);
    return ARP_LEN;
  }
}
export const arp = changetype<ArpRepr>(memory.data(offsetof<ArpRepr>()));

// ---- cache ----------------------------------------------------------------

const CACHE_ENTRIES = 8;
const ENTRY = 24; // ip u32, pad, mac u64, expiry i64
const cache = memory.data(CACHE_ENTRIES * ENTRY);
const ARP_AGE_MS: i64 = 300_000;
const REQUEST_INTERVAL_MS: i64 = 1000;
let lastRequestIp: u32 = 0;
let lastRequestAt: i64 = -REQUEST_INTERVAL_MS;

@inline function entry(i: i32): usize { return cache + <usize>(i * ENTRY); }

/** The MAC for `ip`, or 0 when unknown or aged out. */
export function arpLookup(ip: u32, now: i64): u64 {
  for (let i = 0; i < CACHE_ENTRIES; i++) {
    const e = entry(i);
    if (load<u32>(e) == ip && ip != 0 && load<i64>(e, 16) > now) return load<u64>(e, 8);
  }
  return 0;
}

/** Updates the live entry for `ip` when there is one (RFC 826 merge); adds it when `add`. */
function arpLearn(ip: u32, mac: u64, now: i64, add: bool): void {
  let victim = -1;
  let oldest = i64.MAX_VALUE;
  for (let i = 0; i < CACHE_ENTRIES; i++) {
    const e = entry(i);
    const expiry = load<i64>(e, 16);
    if (load<u32>(e) == ip && expiry > now) { victim = i; add = true; break; }
    if (expiry < oldest) { oldest = expiry; victim = i; }
  }
  if (!add) return;
  const e = entry(victim);
  store<u32>(e, ip);
  store<u64>(e, mac, 8);
  store<i64>(e, now + ARP_AGE_MS, 16);
}

export function arpFlush(): void { memory.fill(cache, 0, CACHE_ENTRIES * ENTRY); }

function arpSend(op: u32, dstMac: u64, senderIp: u32, targetMac: u64, targetIp: u32): void {
  arp.op = op;
  arp.senderMac = myMac;
  arp.senderIp = senderIp;
  arp.targetMac = targetMac;
  arp.targetIp = targetIp;
  txFrame(dstMac, EtherType.Arp, arp.emit(txL3()));
}

/** Asks who has `ip`, at most once a second for the same address. */
export function arpRequest(ip: u32, now: i64): void {
  if (ip == lastRequestIp && now - lastRequestAt < REQUEST_INTERVAL_MS) return;
  lastRequestIp = ip;
  lastRequestAt = now;
  arpSend(ArpOp.Request, MAC_BROADCAST, myIp, 0, ip);
}

// ---- address conflict detection (RFC 5227) ----------------------------------

const PROBE_WAIT: u32 = 1000;
const PROBE_NUM = 3;
const PROBE_MIN: u32 = 1000;
const PROBE_MAX: u32 = 2000;
const ANNOUNCE_WAIT: i64 = 2000;
const ANNOUNCE_NUM = 2;
const ANNOUNCE_INTERVAL: i64 = 2000;
const DEFEND_INTERVAL: i64 = 10_000;
const NEVER = i64.MAX_VALUE;

const enum Acd { Idle, Probing, Announcing, Holding }
let acdState = Acd.Idle;
let acdIp: u32 = 0;
let acdSent = 0;
let acdDeadline: i64 = NEVER;
let lastDefence: i64 = -DEFEND_INTERVAL;

function randomMs(min: u32, max: u32): i64 { return <i64>(min + random() % (max - min + 1)); }

/** Starts probing `ip`; dhcpAddressChecked() is called with the verdict. */
export function acdProbe(ip: u32, now: i64): void {
  acdState = Acd.Probing;
  acdIp = ip;
  acdSent = 0;
  acdDeadline = now + randomMs(0, PROBE_WAIT);
}

/** Starts announcing `ip`, now in use, and defending it afterwards. */
export function acdAnnounce(ip: u32, now: i64): void {
  acdState = Acd.Announcing;
  acdIp = ip;
  acdSent = 0;
  acdDeadline = now;
}

export function acdStop(): void {
  acdState = Acd.Idle;
  acdDeadline = NEVER;
}

export function arpPoll(now: i64): i64 {
  if (now < acdDeadline) return acdDeadline;
  if (acdState == Acd.Probing) {
    if (acdSent == PROBE_NUM) {
      acdStop();
      dhcpAddressChecked(true, now);
    } else {
      arpSend(ArpOp.Request, MAC_BROADCAST, 0, 0, acdIp);
      event(Ev.ArpProbe, <i32>acdIp, ++acdSent);
      acdDeadline = now + (acdSent == PROBE_NUM ? ANNOUNCE_WAIT : randomMs(PROBE_MIN, PROBE_MAX));
    }
  } else if (acdState == Acd.Announcing) {
    arpSend(ArpOp.Request, MAC_BROADCAST, acdIp, 0, acdIp);
    event(Ev.ArpAnnounce, <i32>acdIp, ++acdSent);
    if (acdSent == ANNOUNCE_NUM) {
      acdState = Acd.Holding;
      acdDeadline = NEVER;
    } else {
      acdDeadline = now + ANNOUNCE_INTERVAL;
    }
  }
  return acdDeadline;
}

/** True when the packet in `arp` says another host has or wants acdIp. */
function isConflict(): bool {
  if (arp.senderMac == myMac) return false;
  if (arp.senderIp == acdIp) return true;
  // Another host probing the same address while we probe it.
  return acdState == Acd.Probing && arp.senderIp == 0 && arp.targetIp == acdIp && arp.op == ArpOp.Request;
}

function onConflict(now: i64): void {
  count(Ctr.ArpConflicts);
  event(Ev.ArpConflict, <i32>acdIp, <i32>arp.senderMac);
  if (acdState != Acd.Probing && now - lastDefence >= DEFEND_INTERVAL) {
    // RFC 5227 2.4 (b): defend once, then give the address up if challenged again.
    lastDefence = now;
    event(Ev.ArpDefend, <i32>acdIp, 0);
    arpSend(ArpOp.Request, MAC_BROADCAST, acdIp, 0, acdIp);
    return;
  }
  const wasProbing = acdState == Acd.Probing;
  acdStop();
  if (wasProbing) dhcpAddressChecked(false, now);
  else dhcpAddressLost(now);
}

/** Handles a received ARP packet at `p`; returns true when accepted. */
export function arpRx(p: usize, len: i32, now: i64): bool {
  const err = arp.parse(p, len);
  if (err != 0) return drop(err);
  if (acdState != Acd.Idle && isConflict()) {
    onConflict(now);
    return true;
  }
  const forUs = myIp != 0 && arp.targetIp == myIp;
  if (arp.senderIp != 0) arpLearn(arp.senderIp, arp.senderMac, now, forUs);
  if (!forUs) return drop(Ctr.DropArpNotForUs);
  if (arp.op == ArpOp.Request) {
    arpSend(ArpOp.Reply, arp.senderMac, myIp, arp.senderMac, arp.senderIp);
  }
  return true;
}
