// Address conflict detection (RFC 5227): probing an address before use,
// announcing it, and defending it afterwards. The DHCP client starts it and
// takes its verdict at its next poll (acdTakeVerdict); the stack shows it
// every ARP packet before ARP does (acdRx).
import { event, random } from "../hal";
import { MAC_BROADCAST } from "../lib/bytes";
import { Ctr, count } from "../counters";
import { Ev } from "../events";
import { ArpOp } from "../wire/arp";
import { arpIn, arpSend } from "./arp";
import { myMac } from "./netif";

const PROBE_WAIT: u32 = 1000;
const PROBE_NUM = 3;
const PROBE_MIN: u32 = 1000;
const PROBE_MAX: u32 = 2000;
const ANNOUNCE_WAIT: i64 = 2000;
const ANNOUNCE_NUM = 2;
const ANNOUNCE_INTERVAL: i64 = 2000;
const DEFEND_INTERVAL: i64 = 10_000;
const NEVER = i64.MAX_VALUE;

const enum Phase { Idle, Probing, Announcing, Holding }

/** What ACD found out; the DHCP client takes it with acdTakeVerdict(). */
export const enum AcdVerdict {
  None,
  /** The probes went unanswered: the address is free to use. */
  Free,
  /** Another host has or wants the address we probed. */
  Conflict,
  /** Another host took the address we use, after we had defended it once. */
  Lost,
}

let phase = Phase.Idle;
let acdIp: u32 = 0;
let sent = 0;
let deadline: i64 = NEVER;
let lastDefence: i64 = -DEFEND_INTERVAL;
let verdict = AcdVerdict.None;

/** Back to the state at power-on. */
export function acdReset(): void {
  acdStop();
  acdIp = 0;
  sent = 0;
  lastDefence = -DEFEND_INTERVAL;
}

function randomMs(min: u32, max: u32): i64 { return <i64>(min + random() % (max - min + 1)); }

/** Starts probing `ip`; the verdict comes as Free or Conflict. */
export function acdProbe(ip: u32, now: i64): void {
  phase = Phase.Probing;
  acdIp = ip;
  sent = 0;
  verdict = AcdVerdict.None;
  deadline = now + randomMs(0, PROBE_WAIT);
}

/** Starts announcing `ip`, now in use, and defending it afterwards. */
export function acdAnnounce(ip: u32, now: i64): void {
  phase = Phase.Announcing;
  acdIp = ip;
  sent = 0;
  deadline = now;
}

/** Stops probing or defending; a verdict not yet taken is void. */
export function acdStop(): void {
  phase = Phase.Idle;
  deadline = NEVER;
  verdict = AcdVerdict.None;
}

/** The verdict reached since the last call (None if none), which it clears. */
export function acdTakeVerdict(): AcdVerdict {
  const v = verdict;
  verdict = AcdVerdict.None;
  return v;
}

/** When ACD next needs a poll. */
export function acdDeadline(): i64 { return deadline; }

export function acdPoll(now: i64): i64 {
  if (now < deadline) return deadline;
  if (phase == Phase.Probing) {
    if (sent == PROBE_NUM) {
      acdStop();
      verdict = AcdVerdict.Free;
    } else {
      arpSend(ArpOp.Request, MAC_BROADCAST, 0, 0, acdIp);
      event(Ev.ArpProbe, <i32>acdIp, ++sent);
      deadline = now + (sent == PROBE_NUM ? ANNOUNCE_WAIT : randomMs(PROBE_MIN, PROBE_MAX));
    }
  } else if (phase == Phase.Announcing) {
    arpSend(ArpOp.Request, MAC_BROADCAST, acdIp, 0, acdIp);
    event(Ev.ArpAnnounce, <i32>acdIp, ++sent);
    if (sent == ANNOUNCE_NUM) {
      phase = Phase.Holding;
      deadline = NEVER;
    } else {
      deadline = now + ANNOUNCE_INTERVAL;
    }
  }
  return deadline;
}

/** True when the packet in arpIn says another host has or wants our address. */
function isConflict(): bool {
  const p = arpIn;
  if (p.senderMac == myMac) return false;
  if (p.senderIp == acdIp) return true;
  // Another host probing the same address while we probe it.
  return phase == Phase.Probing && p.senderIp == 0 && p.targetIp == acdIp && p.op == ArpOp.Request;
}

/** Looks at the ARP packet in arpIn first; true when it was a conflict, handled here. */
export function acdRx(now: i64): bool {
  if (phase == Phase.Idle || !isConflict()) return false;
  count(Ctr.ArpConflicts);
  event(Ev.ArpConflict, <i32>acdIp, <i32>arpIn.senderMac);
  if (phase != Phase.Probing && now - lastDefence >= DEFEND_INTERVAL) {
    // RFC 5227 2.4 (b): defend once, then give the address up if challenged again.
    lastDefence = now;
    event(Ev.ArpDefend, <i32>acdIp, 0);
    arpSend(ArpOp.Request, MAC_BROADCAST, acdIp, 0, acdIp);
    return true;
  }
  const wasProbing = phase == Phase.Probing;
  acdStop();
  verdict = wasProbing ? AcdVerdict.Conflict : AcdVerdict.Lost;
  return true;
}
