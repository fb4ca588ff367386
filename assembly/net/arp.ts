// ARP (RFC 826) for IPv4 over Ethernet: a small cache with ageing, requests
// for next hops, and replies for our address. Address conflict detection
// (RFC 5227) looks at each packet first (net/acd.ts).
import { MAC_BROADCAST } from "../lib/bytes";
import { Ctr, drop } from "../counters";
import { EtherType } from "../wire/ethernet";
import { ArpOp, ArpRepr } from "../wire/arp";
import { myIp, myMac, txFrame, txL3 } from "./netif";

/** The packet received last (valid from arpParse until the next one). */
export const arpIn = changetype<ArpRepr>(memory.data(offsetof<ArpRepr>()));
const arpOut = changetype<ArpRepr>(memory.data(offsetof<ArpRepr>()));

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

/** Forgets every entry and the request rate limit (a new link or address). */
export function arpReset(): void {
  memory.fill(cache, 0, CACHE_ENTRIES * ENTRY);
  lastRequestIp = 0;
  lastRequestAt = -REQUEST_INTERVAL_MS;
}

export function arpFlush(): void { memory.fill(cache, 0, CACHE_ENTRIES * ENTRY); }

export function arpSend(op: u32, dstMac: u64, senderIp: u32, targetMac: u64, targetIp: u32): void {
  const a = arpOut;
  a.op = op;
  a.senderMac = myMac;
  a.senderIp = senderIp;
  a.targetMac = targetMac;
  a.targetIp = targetIp;
  txFrame(dstMac, EtherType.Arp, a.emit(txL3()));
}

/** Asks who has `ip`, at most once a second for the same address. */
export function arpRequest(ip: u32, now: i64): void {
  if (ip == lastRequestIp && now - lastRequestAt < REQUEST_INTERVAL_MS) return;
  lastRequestIp = ip;
  lastRequestAt = now;
  arpSend(ArpOp.Request, MAC_BROADCAST, myIp, 0, ip);
}

/** Parses the ARP packet at `p` into arpIn; returns 0 or the Ctr drop reason. */
export function arpParse(p: usize, len: i32): i32 { return arpIn.parse(p, len); }

/** Learns from the packet in arpIn and answers a request for our address; true when accepted. */
export function arpRx(now: i64): bool {
  const a = arpIn;
  const forUs = myIp != 0 && a.targetIp == myIp;
  if (a.senderIp != 0) arpLearn(a.senderIp, a.senderMac, now, forUs);
  if (!forUs) return drop(Ctr.DropArpNotForUs);
  if (a.op == ArpOp.Request) arpSend(ArpOp.Reply, a.senderMac, myIp, a.senderMac, a.senderIp);
  return true;
}
