// TCP (RFC 9293, formerly 793), the client side only: active open with the
// MSS option, in-order delivery into a static receive buffer (out-of-order
// segments are dropped and answered with a duplicate ACK), retransmission
// per RFC 6298 (SRTT/RTTVAR, Karn's rule, exponential backoff, bounded
// tries), zero-window probing, FIN both ways, TIME-WAIT, and RFC 5961's
// defences (challenge ACKs for RSTs and SYNs that are not exactly in place,
// ACKs outside the acceptable range dropped). Three connections at once
// (registration: the CallManager registered with, the standby one, and the
// probe of a higher one while on a backup), each with a 1 KiB send and a
// 1 KiB receive buffer; no allocation.
import { random } from "../hal";
import { Ctr, count, drop } from "../counters";
import { Rto } from "../lib/rto";
import { IpProto } from "../wire/ipv4";
import { inWindow, seqGe, seqGt, seqLe, seqLt, TCP_HEADER, TcpFlag, TcpRepr } from "../wire/tcp";
import { myIp } from "./netif";
import { HopWait, ipOutput, ipTxPayload, stackOnTcp, stackOnTcpError } from "./stack";

const tcpIn = changetype<TcpRepr>(memory.data(offsetof<TcpRepr>()));
const tcpOut = changetype<TcpRepr>(memory.data(offsetof<TcpRepr>()));

// ---- connections ----------------------------------------------------------------

export const enum TcpState { Closed, SynSent, Established, FinWait1, FinWait2, Closing, TimeWait, CloseWait, LastAck }
/** How a connection ended (None while it runs). */
export const enum TcpOutcome { None, Refused, Reset, Timeout, Closed, Unreachable }

export const TCP_CONNECTIONS = 3;
export const TCP_SND_BUF = 1024;
/**
 * A message is taken whole from here (SCCP, SIP), so this bounds the largest
 * one: a registrar's 200 OK to REGISTER lists every binding of the AOR
 * (RFC 3261 §10.3 step 8), Kamailio all in one Contact header; ten bindings
 * of a Cisco phone (~180 bytes each with +sip.instance) and the other
 * headers come to about 2.6 KB, and §18.1.1 sends anything over 1300 bytes
 * by TCP. 4 KB holds that with room; a larger message is counted and the
 * flow moves on. Three connections: 12 KB in all.
 */
export const TCP_RCV_BUF = 4096;
/** What we announce: the Ethernet MTU less the IPv4 and TCP headers. */
export const TCP_MSS: u32 = 1460;
/** RFC 9293 3.7.1: without the option, 536. */
const DEFAULT_MSS: i32 = 536;
export const RTO_INITIAL = 1000; // RFC 6298 (2.1)
export const RTO_MIN = 1000; // RFC 6298 (2.4)
export const RTO_MAX = 60_000; // RFC 6298 (2.5)
/** RFC 6298 (5.7): after a lost SYN, data starts with a 3 s RTO. */
export const RTO_AFTER_SYN_LOSS = 3000;
/** Retransmissions of the SYN before the connection attempt times out (at 1+2+4+8 = 15 s). */
export const SYN_RETRIES = 3;
/** Retransmissions of data or FIN without any answer before the connection is given up. */
export const DATA_RETRIES = 7;
/** A segment that could not leave because the next hop's MAC is not known yet is tried again when the ARP reply comes, or this soon... */
export const ARP_RETRY: i64 = 100;
/** ...for at most this many sends in a row, 3.1 s (the ARP layer asks once a second meanwhile). */
const ARP_GIVE_UP = 31;
/** TIME-WAIT lasts 2 MSL, with an MSL of 30 s. */
export const TIME_WAIT: i64 = 60_000;
/** Challenge and duplicate ACKs for unacceptable segments: at most one per connection in this long. */
export const CHALLENGE_INTERVAL: i64 = 500;
const NEVER = i64.MAX_VALUE;
const EPHEMERAL_BASE: u32 = 49152;

@unmanaged class Tcb {
  state: i32;
  outcome: i32;
  inUse: bool;
  userClosed: bool;
  finQueued: bool;
  finAcked: bool;
  ackNow: bool;
  timing: bool;
  synRetransmitted: bool;
  localPort: u32;
  remotePort: u32;
  remoteIp: u32;
  /** DSCP of every segment of the connection. */
  dscp: u32;
  iss: u32;
  sndUna: u32;
  sndNxt: u32;
  sndMax: u32;
  sndWnd: u32;
  maxSndWnd: u32;
  sndWl1: u32;
  sndWl2: u32;
  rcvNxt: u32;
  rttSeq: u32;
  sndLen: i32;
  rcvLen: i32;
  mss: i32;
  tries: i32;
  rttStart: i64;
  challengeAt: i64;
  rtxAt: i64;
  persistAt: i64;
  timeWaitAt: i64;
}

// Each connection's record: its Tcb, its RTO estimator, its wait for the next hop's MAC.
const RECORD = offsetof<Tcb>() + offsetof<Rto>() + offsetof<HopWait>();
const tcbs = memory.data(<i32>RECORD * TCP_CONNECTIONS);
@lazy const sndBufs = memory.data(TCP_SND_BUF * TCP_CONNECTIONS);
@lazy const rcvBufs = memory.data(TCP_RCV_BUF * TCP_CONNECTIONS);

@inline function tcb(h: i32): Tcb { return changetype<Tcb>(tcbs + <usize>h * RECORD); }
@inline function rtoOf(t: Tcb): Rto { return changetype<Rto>(changetype<usize>(t) + offsetof<Tcb>()); }
@inline function hopOf(t: Tcb): HopWait { return changetype<HopWait>(changetype<usize>(t) + offsetof<Tcb>() + offsetof<Rto>()); }
@inline function sndBuf(h: i32): usize { return sndBufs + <usize>(h * TCP_SND_BUF); }
@inline function rcvBuf(h: i32): usize { return rcvBufs + <usize>(h * TCP_RCV_BUF); }
@inline function valid(h: i32): bool { return h >= 0 && h < TCP_CONNECTIONS && tcb(h).inUse; }

/** States in which both sides' sequence numbers are known. */
@inline function synchronized(s: i32): bool { return s >= TcpState.Established; }

// ---- the user's calls -------------------------------------------------------------

/**
 * Opens a connection to `ip`:`port` and sends the SYN. Returns the handle
 * (0 to TCP_CONNECTIONS - 1), or -1 when every slot is in use. A connection in TIME-WAIT gives up
 * its slot (a new connection has a new port and a new ISN).
 */
export function tcpConnect(ip: u32, port: u32, now: i64, dscp: u32 = 0): i32 {
  if (ip == 0 || port == 0 || port > 0xffff) return -1;
  let h = -1;
  for (let i = 0; i < TCP_CONNECTIONS; i++) if (!tcb(i).inUse) { h = i; break; }
  if (h < 0) for (let i = 0; i < TCP_CONNECTIONS; i++) if (tcb(i).state == TcpState.TimeWait) { h = i; break; }
  // Still none: take one the user has closed and that is still closing (with a RST).
  if (h < 0) for (let i = 0; i < TCP_CONNECTIONS; i++) if (tcb(i).userClosed) { tcpAbort(i, now); h = i; break; }
  if (h < 0) return -1;
  const t = tcb(h);
  memory.fill(changetype<usize>(t), 0, RECORD);
  t.inUse = true;
  t.state = TcpState.SynSent;
  t.remoteIp = ip;
  t.remotePort = port;
  t.dscp = dscp;
  let lport: u32 = 0;
  do lport = EPHEMERAL_BASE + (random() & 0x3fff);
  while (portTaken(h, lport));
  t.localPort = lport;
  t.iss = random();
  t.sndUna = t.sndNxt = t.sndMax = t.iss;
  t.mss = DEFAULT_MSS;
  rtoOf(t).init(RTO_INITIAL, RTO_MIN, RTO_MAX);
  hopOf(t).clear();
  t.rtxAt = t.persistAt = t.timeWaitAt = NEVER;
  t.challengeAt = i64.MIN_VALUE >> 1;
  output(h, now, false);
  return h;
}

/** Another connection in use has local port `port`. */
function portTaken(h: i32, port: u32): bool {
  for (let i = 0; i < TCP_CONNECTIONS; i++) if (i != h && tcb(i).inUse && tcb(i).localPort == port) return true;
  return false;
}

/** Queues up to `len` bytes from `p` and sends what the window allows; returns the bytes queued (-1: not open for sending). */
export function tcpSend(h: i32, p: usize, len: i32, now: i64): i32 {
  if (!valid(h) || len < 0) return -1;
  const t = tcb(h);
  const s = t.state;
  if (t.finQueued || !(s == TcpState.SynSent || s == TcpState.Established || s == TcpState.CloseWait)) return -1;
  const n = min(len, TCP_SND_BUF - t.sndLen);
  memory.copy(sndBuf(h) + <usize>t.sndLen, p, <usize>n);
  t.sndLen += n;
  output(h, now, false);
  return n;
}

/** Bytes tcpSend would take now: a user whose messages must not be cut checks first. */
export function tcpSendRoom(h: i32): i32 { return valid(h) ? TCP_SND_BUF - tcb(h).sndLen : 0; }

/** Bytes received in order and not yet consumed. */
export function tcpAvailable(h: i32): i32 { return valid(h) ? tcb(h).rcvLen : 0; }

/** Where those bytes are (contiguous, at the start of the connection's receive buffer). */
export function tcpPeek(h: i32): usize { return valid(h) ? rcvBuf(h) : 0; }

/** Drops the first `n` received bytes, opening the window (with an update when it grows past half). */
export function tcpConsume(h: i32, n: i32, now: i64): void {
  if (!valid(h) || n <= 0) return;
  const t = tcb(h);
  if (n > t.rcvLen) n = t.rcvLen;
  const before = TCP_RCV_BUF - t.rcvLen;
  t.rcvLen -= n;
  memory.copy(rcvBuf(h), rcvBuf(h) + <usize>n, <usize>t.rcvLen);
  // RFC 9293 3.8.6.2.2: announce a larger window only once it has grown enough.
  const half = TCP_RCV_BUF >> 1;
  if (before < half && TCP_RCV_BUF - t.rcvLen >= half && synchronized(t.state)) {
    t.ackNow = true;
    output(h, now, false);
  }
}

/** Copies up to `max` received bytes to `dst` and consumes them; returns the count. */
export function tcpRecv(h: i32, dst: usize, max: i32, now: i64): i32 {
  if (!valid(h) || max <= 0) return 0;
  const n = min(max, tcb(h).rcvLen);
  memory.copy(dst, rcvBuf(h), <usize>n);
  tcpConsume(h, n, now);
  return n;
}

/**
 * The user is done with the connection: what is queued is sent, then a FIN.
 * The handle is no longer the user's; the slot frees itself once closed.
 */
export function tcpClose(h: i32, now: i64): void {
  if (!valid(h)) return;
  const t = tcb(h);
  t.userClosed = true;
  t.rcvLen = 0;
  const s = t.state;
  if (s == TcpState.Established || s == TcpState.CloseWait) {
    t.finQueued = true;
    t.state = s == TcpState.Established ? TcpState.FinWait1 : TcpState.LastAck;
    output(h, now, false);
  } else if (s == TcpState.Closed || s == TcpState.SynSent) {
    finish(t, t.outcome);
  }
}

/** Drops the connection at once, with a RST to the peer when it is synchronized, and frees the handle. */
export function tcpAbort(h: i32, now: i64): void {
  if (!valid(h)) return;
  const t = tcb(h);
  if (synchronized(t.state) && t.state != TcpState.TimeWait) sendSegment(t, t.sndMax, TcpFlag.Rst | TcpFlag.Ack, 0, now);
  t.userClosed = true;
  finish(t, TcpOutcome.Closed);
}

/** Ends every connection without a word (the address went away); the user sees Reset. */
export function tcpDropAll(): void {
  for (let h = 0; h < TCP_CONNECTIONS; h++) if (tcb(h).inUse && tcb(h).state != TcpState.Closed) finish(tcb(h), TcpOutcome.Reset);
}

/** Back to the state at power-on: every connection slot free. */
export function tcpReset(): void { memory.fill(tcbs, 0, <i32>RECORD * TCP_CONNECTIONS); }

export function tcpState(h: i32): TcpState { return valid(h) ? tcb(h).state : TcpState.Closed; }
export function tcpOutcome(h: i32): TcpOutcome { return valid(h) ? tcb(h).outcome : TcpOutcome.Closed; }
/** The current retransmission timeout (ms), for tests and diagnostics. */
export function tcpRto(h: i32): i32 { return valid(h) ? rtoOf(tcb(h)).rto : 0; }
/** Smoothed RTT (ms) and its variation, 0 before the first sample. */
export function tcpSrtt(h: i32): i32 { return valid(h) ? rtoOf(tcb(h)).srtt : 0; }
export function tcpRttvar(h: i32): i32 { return valid(h) ? rtoOf(tcb(h)).rttvar : 0; }
export function tcpLocalPort(h: i32): u32 { return valid(h) ? tcb(h).localPort : 0; }

// ---- timers -------------------------------------------------------------------------

/** Runs what is due; returns the next deadline of any connection. */
export function tcpPoll(now: i64): i64 {
  let next = NEVER;
  for (let h = 0; h < TCP_CONNECTIONS; h++) {
    const t = tcb(h);
    if (!t.inUse || t.state == TcpState.Closed) continue;
    if (now >= t.timeWaitAt) { finish(t, TcpOutcome.Closed); continue; }
    const hop = hopOf(t);
    if (hop.waiting && (now >= hop.retryAt || hop.ready(now))) {
      output(h, now, false);
      if (t.state == TcpState.Closed) continue;
    }
    if (now >= t.rtxAt) onRetransmitTimer(h, now);
    if (t.state == TcpState.Closed) continue;
    if (now >= t.persistAt) {
      t.persistAt = NEVER;
      output(h, now, true);
    }
    next = min(next, min(min(t.rtxAt, t.persistAt), min(hop.retryAt, t.timeWaitAt)));
  }
  return next;
}

/** RFC 6298 (5.4)-(5.6): back off, go back to the oldest unacknowledged byte, send again. */
function onRetransmitTimer(h: i32, now: i64): void {
  const t = tcb(h);
  t.rtxAt = NEVER;
  if (t.sndMax == t.sndUna) return;
  if (t.tries >= (t.state == TcpState.SynSent ? SYN_RETRIES : DATA_RETRIES)) {
    if (synchronized(t.state)) sendSegment(t, t.sndMax, TcpFlag.Rst | TcpFlag.Ack, 0, now);
    finish(t, TcpOutcome.Timeout);
    return;
  }
  t.tries++;
  count(Ctr.TcpRetransmits);
  rtoOf(t).backoff();
  if (t.state == TcpState.SynSent) t.synRetransmitted = true;
  t.timing = false; // Karn: no RTT sample from a retransmitted segment
  t.sndNxt = t.sndUna;
  output(h, now, t.sndWnd == 0);
  t.rtxAt = now + <i64>rtoOf(t).rto;
}

/** A round trip of `r` ms; under 1 ms counts as 1 (the clock's granularity). */
function rttSample(t: Tcb, r: i32): void { rtoOf(t).sample(max(r, 1)); }

function finish(t: Tcb, outcome: i32): void {
  t.state = TcpState.Closed;
  t.outcome = outcome;
  t.rtxAt = t.persistAt = t.timeWaitAt = NEVER;
  hopOf(t).clear();
  if (t.userClosed) t.inUse = false;
}

// ---- output -----------------------------------------------------------------------

/** The window we announce: the free space of the receive buffer. */
@inline function rcvWindow(t: Tcb): u32 { return <u32>(t.userClosed ? TCP_RCV_BUF : TCP_RCV_BUF - t.rcvLen); }

/** Sends one segment whose payload (if any) is already at ipTxPayload() + TCP_HEADER. */
function sendSegment(t: Tcb, seq: u32, flags: u32, n: i32, now: i64): bool {
  tcpOut.srcPort = t.localPort;
  tcpOut.dstPort = t.remotePort;
  tcpOut.seq = seq;
  tcpOut.ack = (flags & TcpFlag.Ack) != 0 ? t.rcvNxt : 0;
  tcpOut.flags = flags;
  tcpOut.window = rcvWindow(t);
  tcpOut.mss = (flags & TcpFlag.Syn) != 0 ? TCP_MSS : 0;
  tcpOut.payloadLen = n;
  return ipOutput(t.remoteIp, IpProto.Tcp, tcpOut.emit(ipTxPayload(), myIp, t.remoteIp), now, t.dscp);
}

/** A segment that takes sequence space could not leave (no MAC for the next hop yet): try again soon. */
function arpWait(t: Tcb, now: i64): void {
  if (!hopOf(t).hold(t.remoteIp, now, ARP_RETRY, ARP_GIVE_UP)) finish(t, TcpOutcome.Timeout);
}

/** Notes that a segment ending at `end` went out: starts the timer and, for new data, times it. */
function sent(t: Tcb, seq: u32, end: u32, now: i64): void {
  hopOf(t).clear();
  if (!t.timing && seqGe(seq, t.sndMax)) {
    t.timing = true;
    t.rttSeq = seq;
    t.rttStart = now;
  }
  t.sndNxt = end;
  if (seqGt(end, t.sndMax)) t.sndMax = end;
  if (t.rtxAt == NEVER) t.rtxAt = now + <i64>rtoOf(t).rto; // RFC 6298 (5.1)
}

/**
 * Sends what is due: the SYN, data within the peer's window (one byte
 * past a zero window when `probe`), the FIN after the data, or an ACK.
 */
function output(h: i32, now: i64, probe: bool): void {
  const t = tcb(h);
  const s = t.state;
  if (s == TcpState.SynSent) {
    if (t.sndNxt != t.iss) return;
    if (!sendSegment(t, t.iss, TcpFlag.Syn, 0, now)) { arpWait(t, now); return; }
    sent(t, t.iss, t.iss + 1, now);
    return;
  }
  if (!synchronized(s)) return;
  let sentAny = false;
  const canSend = s != TcpState.FinWait2 && s != TcpState.TimeWait && !t.finAcked;
  if (canSend) {
    const dataEnd = t.sndUna + <u32>t.sndLen;
    while (seqLt(t.sndNxt, dataEnd)) {
      const off = <i32>(t.sndNxt - t.sndUna);
      const avail = t.sndLen - off;
      let wnd = <i32>(t.sndUna + t.sndWnd - t.sndNxt);
      if (wnd <= 0) {
        if (!probe || t.sndNxt != t.sndUna) break;
        wnd = 1; // RFC 9293 3.8.6.1: probe a zero window with one byte
      }
      const n = min(min(avail, wnd), t.mss);
      let flags: u32 = TcpFlag.Ack;
      if (n == avail) flags |= TcpFlag.Psh;
      let end = t.sndNxt + <u32>n;
      if (n == avail && t.finQueued) { flags |= TcpFlag.Fin; end++; }
      memory.copy(ipTxPayload() + TCP_HEADER, sndBuf(h) + <usize>off, <usize>n);
      if (!sendSegment(t, t.sndNxt, flags, n, now)) { arpWait(t, now); return; }
      sent(t, t.sndNxt, end, now);
      sentAny = true;
    }
    // A FIN on its own, once the data is out.
    if (t.finQueued && t.sndNxt == dataEnd) {
      if (!sendSegment(t, dataEnd, TcpFlag.Fin | TcpFlag.Ack, 0, now)) { arpWait(t, now); return; }
      sent(t, dataEnd, dataEnd + 1, now);
      sentAny = true;
    }
  }
  if (t.ackNow && !sentAny) sendSegment(t, t.sndNxt, TcpFlag.Ack, 0, now);
  t.ackNow = false;
  // Data waits behind a zero window with nothing in flight: the persist timer probes it.
  const waiting = canSend && t.sndLen > 0 && seqLt(t.sndNxt, t.sndUna + <u32>t.sndLen);
  if (waiting && t.sndWnd == 0 && t.sndMax == t.sndUna) {
    if (t.persistAt == NEVER) t.persistAt = now + <i64>rtoOf(t).rto;
  } else {
    t.persistAt = NEVER;
  }
}

/** RFC 9293 3.10.7.1: the answer to a segment for no connection. */
function sendResetFor(src: u32, srcPort: u32, dstPort: u32, seq: u32, ack: u32, flags: u32, segLen: u32, now: i64): void {
  tcpOut.srcPort = dstPort;
  tcpOut.dstPort = srcPort;
  if ((flags & TcpFlag.Ack) != 0) {
    tcpOut.seq = ack;
    tcpOut.ack = 0;
    tcpOut.flags = TcpFlag.Rst;
  } else {
    tcpOut.seq = 0;
    tcpOut.ack = seq + segLen;
    tcpOut.flags = TcpFlag.Rst | TcpFlag.Ack;
  }
  tcpOut.window = 0;
  tcpOut.mss = 0;
  tcpOut.payloadLen = 0;
  ipOutput(src, IpProto.Tcp, tcpOut.emit(ipTxPayload(), myIp, src), now);
}

// ---- input ------------------------------------------------------------------------

function lookup(src: u32, srcPort: u32, dstPort: u32): i32 {
  for (let h = 0; h < TCP_CONNECTIONS; h++) {
    const t = tcb(h);
    if (t.inUse && t.state != TcpState.Closed && t.remoteIp == src && t.remotePort == srcPort && t.localPort == dstPort) return h;
  }
  return -1;
}

/** Handles the `len`-byte segment at `p` (IPv4 payload from `src` to `dst`); true when accepted. */
export function tcpRx(p: usize, len: i32, src: u32, dst: u32, now: i64): bool {
  if (myIp == 0 || dst != myIp) return drop(Ctr.DropIpNotForUs);
  const err = tcpIn.parse(p, len, src, dst);
  if (err != 0) return drop(err);
  const h = lookup(src, tcpIn.srcPort, tcpIn.dstPort);
  if (h < 0) {
    const flags = tcpIn.flags;
    if ((flags & TcpFlag.Rst) == 0) {
      const segLen = <u32>tcpIn.payloadLen + ((flags & TcpFlag.Syn) != 0 ? 1 : 0) + ((flags & TcpFlag.Fin) != 0 ? 1 : 0);
      sendResetFor(src, tcpIn.srcPort, tcpIn.dstPort, tcpIn.seq, tcpIn.ack, flags, segLen, now);
    }
    return drop(Ctr.DropTcpNoConnection);
  }
  if (tcb(h).state == TcpState.SynSent) return synSent(h, now);
  return arrives(h, p + <usize>tcpIn.headerLen, now);
}

/** RFC 9293 3.10.7.3, for the client: only a SYN-ACK for our SYN (or a RST acknowledging it) counts. */
function synSent(h: i32, now: i64): bool {
  const t = tcb(h);
  const flags = tcpIn.flags;
  const hasAck = (flags & TcpFlag.Ack) != 0;
  if (hasAck && (seqLe(tcpIn.ack, t.iss) || seqGt(tcpIn.ack, t.sndMax))) {
    if ((flags & TcpFlag.Rst) == 0) sendResetFor(t.remoteIp, tcpIn.srcPort, tcpIn.dstPort, tcpIn.seq, tcpIn.ack, flags, 0, now);
    return drop(Ctr.DropTcpOutOfWindow);
  }
  if ((flags & TcpFlag.Rst) != 0) {
    // Connection refused; a RST without an ACK of our SYN could be anyone's (RFC 5961 3.2).
    if (!hasAck) return drop(Ctr.DropTcpOutOfWindow);
    finish(t, TcpOutcome.Refused);
    return true;
  }
  // A SYN without ACK (simultaneous open) is not something a client needs.
  if ((flags & TcpFlag.Syn) == 0 || !hasAck) return drop(Ctr.DropTcpUnexpected);
  t.rcvNxt = tcpIn.seq + 1;
  t.sndUna = tcpIn.ack;
  if (seqLt(t.sndNxt, t.sndUna)) t.sndNxt = t.sndUna;
  const mss = <i32>tcpIn.mss;
  t.mss = mss == 0 ? DEFAULT_MSS : min(mss, <i32>TCP_MSS);
  t.sndWnd = tcpIn.window;
  t.maxSndWnd = tcpIn.window;
  t.sndWl1 = tcpIn.seq;
  t.sndWl2 = tcpIn.ack;
  if (t.timing) rttSample(t, <i32>(now - t.rttStart));
  t.timing = false;
  if (t.synRetransmitted && !rtoOf(t).sampled) rtoOf(t).rto = RTO_AFTER_SYN_LOSS;
  t.tries = 0;
  t.rtxAt = NEVER;
  t.state = TcpState.Established;
  t.ackNow = true;
  output(h, now, false);
  return true;
}

/** RFC 9293 3.10.7.4 with RFC 5961: a segment for a synchronized connection. */
function arrives(h: i32, data: usize, now: i64): bool {
  const t = tcb(h);
  const flags = tcpIn.flags;
  const seq = tcpIn.seq;
  let n = tcpIn.payloadLen;
  let fin = (flags & TcpFlag.Fin) != 0;
  const syn = (flags & TcpFlag.Syn) != 0;
  const rst = (flags & TcpFlag.Rst) != 0;
  const wnd = rcvWindow(t);
  let reason = 0; // a drop reason for a segment whose ACK was used but whose data was not

  // 1. Is it in the window?
  const segLen = <u32>n + (syn ? 1 : 0) + (fin ? 1 : 0);
  let ok: bool;
  if (segLen == 0) ok = wnd == 0 ? seq == t.rcvNxt : inWindow(seq, t.rcvNxt, wnd);
  else ok = wnd != 0 && (inWindow(seq, t.rcvNxt, wnd) || inWindow(seq + segLen - 1, t.rcvNxt, wnd));
  if (!ok) {
    if (wnd == 0 && seq == t.rcvNxt && !syn && !rst) {
      // A probe of our zero window: its ACK counts, its data cannot.
      n = 0;
      fin = false;
      reason = Ctr.DropTcpOutOfWindow;
      t.ackNow = true;
    } else {
      if (!rst) challenge(h, now);
      return drop(Ctr.DropTcpOutOfWindow);
    }
  }

  // 2. RST: only one exactly at RCV.NXT resets; another in the window gets a challenge ACK.
  if (rst) {
    if (seq != t.rcvNxt) { challenge(h, now); return drop(Ctr.DropTcpChallenge); }
    const s = t.state;
    finish(t, s == TcpState.LastAck || s == TcpState.Closing || s == TcpState.TimeWait ? TcpOutcome.Closed : TcpOutcome.Reset);
    return true;
  }
  // 3. A SYN on a synchronized connection: challenge ACK (RFC 5961 4.2).
  if (syn) { challenge(h, now); return drop(Ctr.DropTcpChallenge); }
  // 4. Every segment after the handshake carries an ACK.
  if ((flags & TcpFlag.Ack) == 0) return drop(Ctr.DropTcpUnexpected);

  // 5. The ACK: acceptable from SND.UNA - MAX.SND.WND to SND.NXT (RFC 5961 5.2).
  const ack = tcpIn.ack;
  if (seqGt(ack, t.sndMax) || seqLt(ack, t.sndUna - t.maxSndWnd)) {
    challenge(h, now);
    return drop(Ctr.DropTcpOutOfWindow);
  }
  if (seqGt(ack, t.sndUna)) {
    const acked = <i32>(ack - t.sndUna);
    const dataAcked = min(acked, t.sndLen);
    t.sndLen -= dataAcked;
    memory.copy(sndBuf(h), sndBuf(h) + <usize>dataAcked, <usize>t.sndLen);
    if (acked > dataAcked && t.finQueued) t.finAcked = true;
    t.sndUna = ack;
    if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;
    if (t.timing && seqGt(ack, t.rttSeq)) {
      rttSample(t, <i32>(now - t.rttStart));
      t.timing = false;
    }
    t.tries = 0;
    // RFC 6298 (5.2)/(5.3)
    t.rtxAt = t.sndUna == t.sndMax ? NEVER : now + <i64>rtoOf(t).rto;
  }
  if (seqLt(t.sndWl1, seq) || (t.sndWl1 == seq && seqLe(t.sndWl2, ack))) {
    // A zero window opens and our probe byte was not taken: send again from SND.UNA.
    if (t.sndWnd == 0 && tcpIn.window != 0 && ack == t.sndUna && t.sndNxt != t.sndUna) {
      t.sndNxt = t.sndUna;
      t.timing = false;
    }
    t.sndWnd = tcpIn.window;
    t.sndWl1 = seq;
    t.sndWl2 = ack;
    if (t.sndWnd > t.maxSndWnd) t.maxSndWnd = t.sndWnd;
  }
  // An answer to a zero-window probe: the peer is alive, the probing goes on.
  if (t.sndWnd == 0 && ack == t.sndUna) t.tries = 0;
  if (t.finAcked) {
    const s = t.state;
    if (s == TcpState.FinWait1) {
      t.state = TcpState.FinWait2;
      // Closed by the user: a peer that never sends its FIN does not hold the slot forever.
      t.timeWaitAt = now + TIME_WAIT;
    }
    else if (s == TcpState.Closing) enterTimeWait(t, now);
    else if (s == TcpState.LastAck) { finish(t, TcpOutcome.Closed); return true; }
  }

  // 6. The data, in order only.
  const s = t.state;
  if (n > 0 || fin) {
    if (s == TcpState.Established || s == TcpState.FinWait1 || s == TcpState.FinWait2) {
      if (seqGt(seq, t.rcvNxt)) {
        // Out of order: not kept; the duplicate ACK tells the peer what is missing.
        t.ackNow = true;
        n = 0;
        fin = false;
        reason = Ctr.DropTcpOutOfOrder;
      } else {
        const skip = <i32>(t.rcvNxt - seq);
        if (skip > 0) { data += <usize>skip; n -= skip; }
        if (n > <i32>wnd) { n = <i32>wnd; fin = false; }
        if (n > 0) {
          if (!t.userClosed) {
            memory.copy(rcvBuf(h) + <usize>t.rcvLen, data, <usize>n);
            t.rcvLen += n;
          }
          t.rcvNxt += <u32>n;
          t.ackNow = true;
        }
      }
    } else {
      fin = false; // after the peer's FIN nothing more is expected
      t.ackNow = true;
    }
  }

  // 7. The FIN, once everything before it has arrived.
  if (fin) {
    t.rcvNxt++;
    t.ackNow = true;
    if (s == TcpState.Established) t.state = TcpState.CloseWait;
    else if (s == TcpState.FinWait1) {
      if (t.finAcked) enterTimeWait(t, now);
      else t.state = TcpState.Closing;
    } else if (s == TcpState.FinWait2) enterTimeWait(t, now);
  }
  output(h, now, false);
  return reason != 0 ? drop(reason) : true;
}

function enterTimeWait(t: Tcb, now: i64): void {
  t.state = TcpState.TimeWait;
  t.rtxAt = t.persistAt = NEVER;
  hopOf(t).clear();
  t.timeWaitAt = now + TIME_WAIT;
}

/**
 * RFC 5961: an ACK with our current numbers, the answer to an unacceptable
 * segment. At most one per CHALLENGE_INTERVAL (RFC 5961 7, as Linux limits
 * them): two ends out of step would otherwise ACK each other's ACKs forever.
 */
function challenge(h: i32, now: i64): void {
  const t = tcb(h);
  if (now - t.challengeAt < CHALLENGE_INTERVAL) return;
  t.challengeAt = now;
  sendSegment(t, t.sndNxt, TcpFlag.Ack, 0, now);
}

/** Takes the stack's TCP segments; once, at start. */
/**
 * ICMP destination unreachable quoting a segment of ours: it ends a connect
 * under way (as Linux does in SYN-SENT), if the quote is a segment we sent
 * and that is not yet acknowledged. Established connections treat it as a
 * soft error (RFC 1122 4.2.3.9) and go on.
 */
function tcpUnreachable(dst: u32, dstPort: u32, srcPort: u32, seq: u32, code: u32, now: i64): bool {
  const h = lookup(dst, dstPort, srcPort);
  if (h < 0) return false;
  const t = tcb(h);
  if (t.state != TcpState.SynSent || !inWindow(seq, t.sndUna, t.sndMax - t.sndUna)) return false;
  finish(t, TcpOutcome.Unreachable);
  return true;
}

export function tcpInit(): void {
  stackOnTcp(tcpRx);
  stackOnTcpError(tcpUnreachable);
}
