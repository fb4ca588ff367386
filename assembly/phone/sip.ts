// Registration (stage 6) by SIP, when the configuration's deviceProtocol
// says so: every line REGISTERs (RFC 3261 §10) with the proxies, which are
// the configuration's CallManagers in priority order at their SIP port.
// One flow at a time (a TCP connection, or the UDP port 5060) to the
// current proxy, one REGISTER client transaction at a time (§17.1.2: Timer
// E retransmits over UDP from T1 doubling to T2, Timer F ends it at 64*T1
// on both; Timer K keeps absorbing retransmitted answers for T4), the lines
// one after the other as Cisco phones do. A 401/407 is answered once per
// nonce with MD5 digest credentials (RFC 2617, RFC 8760); the same nonce
// challenged again, not stale, means a wrong password, as does 403: the line
// stops with a named failure and is tried again after LINE_RETRY. 423 is
// retried at Min-Expires. A 5xx, 408, Timer F, a lost connection or ICMP
// moves every line to the next proxy (Retry-After keeps the proxy out that
// long); after the last one, a wait with backoff and a new round. Each
// binding is refreshed before it expires (the granted expires less
// REGISTER_DELTA, Cisco's timerRegisterDelta, or half of a short one), with
// the line's Call-ID and the next CSeq (§10.2.4). Requests the proxy sends
// (OPTIONS keepalives) are answered. Registered = every line has a binding.
import { event, lcd, random } from "../hal";
import { Ev } from "../events";
import { Ctr, count, drop } from "../counters";
import { myIp } from "../net/netif";
import { TCP_RCV_BUF, TcpOutcome, TcpState, tcpAbort, tcpAvailable, tcpConnect, tcpConsume, tcpLocalPort, tcpOutcome, tcpPeek, tcpSend, tcpSendRoom, tcpState } from "../net/tcp";
import { canSend, udpBind, udpOnError, udpSend, udpSlot, udpTxPayload } from "../net/stack";
import { Dscp } from "../wire/ipv4";
import { digestResponse } from "../lib/digest";
import {
  SipAlg, SipAuth, SipMethod, SipRegister, SipRepr, sipAnswerStatus, sipDomainUri, sipEmitResponse, sipFrameLength, sipHostPort, sipKeepAlive,
} from "../wire/sip";
import { RegFail, RegState } from "./register";
import { Lcd, lcdCopy } from "./lcd";
import { loadName, loadNameLength } from "./identity";

export const SIP_PORT: u32 = 5060;
export const SIP_LINES = 4;
export const SIP_PROXIES = 3;
export const SIP_NAME_MAX = 32;
export const SIP_PASS_MAX = 64;
/** Cisco's timerRegisterDelta: a binding is refreshed this long before it expires. */
export const REGISTER_DELTA: i64 = 5_000;
/** A line that failed (wrong password, 403, another final refusal) is tried again after this long. */
export const LINE_RETRY: i64 = 60_000;
/** All proxies down: the first wait before the next round, doubling up to the last (plus up to 25 % jitter). */
export const ALL_DOWN_FIRST: i64 = 5_000;
export const ALL_DOWN_MAX: i64 = 60_000;
/** A nonce answered this often in one registration without success: the server is looping, the line fails. */
const AUTH_ANSWERS_MAX = 3;
const NEVER = i64.MAX_VALUE;
/** The UDP payload a SIP message may take (an Ethernet frame less the headers, VLAN tag included). */
const UDP_ROOM = 1400;

export const enum SipLineState { Off, Waiting, Trying, Registered, Failed }
const enum Flow { Idle, Connecting, Up }

// Per line: the texts (name, auth name, password, display name, Call-ID,
// From tag, cnonce, and the challenge's realm, nonce, opaque) at fixed offsets.
const NAME = 0, AUTH = 32, PASS = 64, DISP = 128, CALLID = 160, TAG = 208, CNONCE = 216, REALM = 224, NONCE = 288, OPAQUE = 416, TEXT = 480;
const REALM_MAX = 64, NONCE_MAX = 128, OPAQUE_MAX = 64;
const texts = memory.data(TEXT * SIP_LINES);

@unmanaged class Line {
  state: SipLineState;
  nameLen: i32;
  authLen: i32;
  passLen: i32;
  dispLen: i32;
  callIdLen: i32;
  /** When the next REGISTER of the line is due (Waiting), or when a failed line is tried again. */
  due: i64;
  cseq: u32;
  expiresWant: u32;
  granted: u32;
  /** The challenge held: its kind (SipAuth), lengths, qop=auth, the nc of its nonce, answers in this registration. */
  auth: SipAuth;
  realmLen: i32;
  nonceLen: i32;
  opaqueLen: i32;
  qopAuth: bool;
  nc: u32;
  answers: i32;
  /** The REGISTER under way carries credentials. */
  authSent: bool;
  /** The last CSeq whose final answer came, absorbed for T4 (Timer K) when retransmitted. */
  doneCseq: u32;
  doneUntil: i64;
}
const LINE_SIZE = offsetof<Line>();
const lineRecs = memory.data(<i32>LINE_SIZE * SIP_LINES);
@inline function line(i: i32): Line { return changetype<Line>(lineRecs + <usize>i * LINE_SIZE); }
@inline function txt(i: i32, at: i32): usize { return texts + <usize>(i * TEXT + at); }

const proxyIps = memory.data(SIP_PROXIES * 4);
const proxyPorts = memory.data(SIP_PROXIES * 4);
const blockedUntil = memory.data(SIP_PROXIES * 8);
@inline function proxyIp(i: i32): u32 { return load<u32>(proxyIps + (<usize>i << 2)); }
@inline function proxyPort(i: i32): u32 { return load<u32>(proxyPorts + (<usize>i << 2)); }
@inline function blocked(i: i32): i64 { return load<i64>(blockedUntil + (<usize>i << 3)); }

export let sipProxyCount = 0;
export let sipLineCount = 0;
export let sipState = RegState.Off;
/** The proxy (index) now in use. */
export let sipProxy = 0;
let tcp = true;
let t1: i64 = 500;
let t2: i64 = 4_000;
const T4: i64 = 5_000;
let expiresDefault: u32 = 3600;
let dscp: u32 = Dscp.Cs3;

let flow = Flow.Idle;
let h = -1;
let localPort: u32 = 0;
let round = 0;
let backoff: i64 = ALL_DOWN_FIRST;
let retryAt: i64 = NEVER;
let allRegistered = false;
// The transaction under way: its line (-1: none), branch, Timer E (next send and interval), Timer F.
let active = -1;
const branch = memory.data(16);
let rtxAt: i64 = NEVER;
let rtxEvery: i64 = 0;
let timerF: i64 = NEVER;
let arpHeld = false;

let slot = -1;
const msgIn = changetype<SipRepr>(memory.data(offsetof<SipRepr>()));
const reg = changetype<SipRegister>(memory.data(offsetof<SipRegister>()));
const txMsg = memory.data(1400);
const uri = memory.data(24);
const response = memory.data(32);
const ncText = memory.data(8);
const hostPort = memory.data(24);
const screen = memory.data(40 + SIP_LINES * (SIP_NAME_MAX + 16));

// ---- configuration (startup.ts or a test harness fills it) ----------------------------------

/** Once, at start: the UDP port table slot for SIP over UDP, and its ICMP errors. */
export function sipInit(): void {
  slot = udpSlot(sipUdpRx);
  if (slot >= 0) udpOnError(slot, sipUdpError);
}

/** Forgets the proxies and lines; back to the defaults (TCP, T1 500 ms, T2 4 s, 3600 s, CS3). */
export function sipClear(): void {
  sipProxyCount = sipLineCount = 0;
  tcp = true;
  t1 = 500; t2 = 4_000;
  expiresDefault = 3600;
  dscp = Dscp.Cs3;
}

/** Proxy `i` (0 = first), port 0 meaning 5060. */
export function sipSetProxy(i: i32, ip: u32, port: u32): void {
  if (i < 0 || i >= SIP_PROXIES || ip == 0) return;
  store<u32>(proxyIps + (<usize>i << 2), ip);
  store<u32>(proxyPorts + (<usize>i << 2), port == 0 || port > 0xffff ? SIP_PORT : port);
  if (i >= sipProxyCount) sipProxyCount = i + 1;
}

/** Transport (TCP or UDP), timers T1/T2 in ms (0: the default), the expires asked for in s, the DSCP of the signalling. */
export function sipSetTransport(useTcp: bool, timerT1: u32, timerT2: u32, expires: u32, d: u32): void {
  tcp = useTcp;
  t1 = timerT1 == 0 ? 500 : <i64>timerT1;
  t2 = timerT2 == 0 ? 4_000 : max(<i64>timerT2, t1);
  expiresDefault = expires == 0 ? 3600 : expires;
  dscp = d & 63;
}

/** Line `i`: its name (the AOR's user), auth name (length 0: the name), password and display name, copied. */
export function sipSetLine(i: i32, name: usize, nameLen: i32, authName: usize, authLen: i32, pass: usize, passLen: i32, disp: usize, dispLen: i32): void {
  if (i < 0 || i >= SIP_LINES || nameLen <= 0) return;
  const l = line(i);
  memory.fill(changetype<usize>(l), 0, LINE_SIZE);
  l.nameLen = copyIn(txt(i, NAME), name, nameLen, SIP_NAME_MAX);
  l.authLen = copyIn(txt(i, AUTH), authLen > 0 ? authName : name, authLen > 0 ? authLen : nameLen, SIP_NAME_MAX);
  l.passLen = copyIn(txt(i, PASS), pass, passLen, SIP_PASS_MAX);
  l.dispLen = copyIn(txt(i, DISP), disp, dispLen, SIP_NAME_MAX);
  if (i >= sipLineCount) sipLineCount = i + 1;
}

function copyIn(dst: usize, src: usize, n: i32, max: i32): i32 {
  const k = n < 0 ? 0 : n > max ? max : n;
  memory.copy(dst, src, <usize>k);
  return k;
}

export function sipLineState(i: i32): SipLineState { return i >= 0 && i < sipLineCount ? line(i).state : SipLineState.Off; }
/** The expires the registrar granted line `i` (s), 0 when it has no binding. */
export function sipLineExpires(i: i32): u32 { return sipLineState(i) == SipLineState.Registered ? line(i).granted : 0; }
/** The CSeq of line `i`'s last REGISTER. */
export function sipLineCseq(i: i32): u32 { return line(i).cseq; }

// ---- start, stop, poll ---------------------------------------------------------------------

/** Starts registering every line, from the first proxy. */
export function sipStart(now: i64): void {
  closeFlow(now);
  round = 1;
  backoff = ALL_DOWN_FIRST;
  retryAt = NEVER;
  memory.fill(blockedUntil, 0, SIP_PROXIES * 8);
  if (sipProxyCount == 0 || sipLineCount == 0) {
    sipState = RegState.Off;
    event(Ev.RegNoCallManager, 0, 0);
    return;
  }
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen == 0) continue;
    // §10.2.4: one Call-ID per line for as long as the phone runs, its own From tag.
    l.callIdLen = newCallId(i);
    hex32(txt(i, TAG), random());
    l.cseq = 0;
    l.expiresWant = expiresDefault;
    l.auth = SipAuth.None;
    l.state = SipLineState.Waiting;
    l.due = now;
  }
  allRegistered = false;
  openFlow(0, now);
}

/** Stops at once (the address is lost: nothing can be sent); the bindings expire at the registrar. */
export function sipStop(now: i64): void {
  closeFlow(now);
  for (let i = 0; i < sipLineCount; i++) if (line(i).nameLen > 0) line(i).state = SipLineState.Off;
  sipState = RegState.Off;
  retryAt = NEVER;
  allRegistered = false;
}

export function sipPoll(now: i64): i64 {
  if (sipState == RegState.Off) return NEVER;
  if (sipState == RegState.AllDown) {
    if (now < retryAt) return retryAt;
    retryAt = NEVER;
    round++;
    openFlow(firstOpen(0, now), now);
  }
  if (tcp && flow != Flow.Idle) serviceTcp(now);
  if (flow == Flow.Up && active >= 0) timers(now);
  if (flow == Flow.Up && active < 0) startNext(now);
  return nextWake();
}

function nextWake(): i64 {
  if (sipState == RegState.AllDown) return retryAt;
  let next = NEVER;
  if (active >= 0) next = min(timerF, rtxAt);
  // Connecting: TCP's poll gives the wake-up; the lines wait for the connection.
  else if (flow == Flow.Up) for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.state == SipLineState.Waiting || l.state == SipLineState.Failed || l.state == SipLineState.Registered) next = min(next, l.due);
  }
  return next;
}

// ---- the flow to the proxy -----------------------------------------------------------------

function openFlow(i: i32, now: i64): void {
  sipProxy = i;
  active = -1;
  event(Ev.RegConnecting, <i32>proxyIp(i), i | <i32>(proxyPort(i) << 8));
  if (tcp) {
    flow = Flow.Connecting;
    sipState = RegState.Connecting;
    h = tcpConnect(proxyIp(i), proxyPort(i), now, dscp);
    if (h < 0) fail(RegFail.NoConnection, now);
  } else {
    udpBind(slot, SIP_PORT);
    localPort = SIP_PORT;
    flow = Flow.Up;
    sipState = RegState.Registering;
  }
  showScreen();
}

function closeFlow(now: i64): void {
  if (tcp && h >= 0) tcpAbort(h, now);
  if (!tcp && slot >= 0) udpBind(slot, 0);
  h = -1;
  flow = Flow.Idle;
  active = -1;
  rtxAt = timerF = NEVER;
}

function serviceTcp(now: i64): void {
  const st = tcpState(h);
  if (flow == Flow.Connecting) {
    if (st == TcpState.Established) {
      flow = Flow.Up;
      localPort = tcpLocalPort(h);
      sipState = allRegistered ? RegState.Registered : RegState.Registering;
    } else if (st == TcpState.Closed) {
      fail(outcomeFail(tcpOutcome(h)), now);
    }
    return;
  }
  if (!readStream(now)) return;
  if (tcpState(h) != TcpState.Established) {
    const o = tcpOutcome(h);
    fail(st == TcpState.CloseWait ? RegFail.Closed : o == TcpOutcome.None ? RegFail.Reset : outcomeFail(o), now);
  }
}

function outcomeFail(o: TcpOutcome): RegFail {
  return o == TcpOutcome.Refused ? RegFail.Refused : o == TcpOutcome.Timeout ? RegFail.Timeout
    : o == TcpOutcome.Unreachable ? RegFail.Unreachable : o == TcpOutcome.Closed ? RegFail.Closed : RegFail.Reset;
}

/** Handles each complete message on the connection; false when the flow failed meanwhile. */
function readStream(now: i64): bool {
  const conn = h;
  while (flow == Flow.Up && h == conn) {
    let avail = tcpAvailable(h);
    const skip = sipKeepAlive(tcpPeek(h), avail);
    if (skip > 0) { tcpConsume(h, skip, now); avail -= skip; }
    if (avail == 0) return true;
    const total = sipFrameLength(tcpPeek(h), avail, TCP_RCV_BUF);
    if (total == 0) return true;
    if (total < 0) {
      // The stream cannot be resynchronised: another connection, to the next proxy.
      count(<Ctr>(-total));
      fail(RegFail.Malformed, now);
      return false;
    }
    const r = msgIn.parse(tcpPeek(h), total);
    if (r != 0) count(<Ctr>r);
    else onMessage(now, 0, 0);
    if (h == conn && flow == Flow.Up) tcpConsume(h, total, now);
  }
  return false;
}

/** A datagram to port 5060. */
function sipUdpRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  if (tcp || flow != Flow.Up) return drop(Ctr.DropSipUnexpected);
  const r = msgIn.parse(p, len);
  if (r != 0) return drop(<Ctr>r);
  return onMessage(now, srcIp, srcPort);
}

/** ICMP unreachable for a datagram to the proxy: the proxy is down. */
function sipUdpError(dst: u32, dstPort: u32, code: u32, now: i64): bool {
  if (tcp || flow != Flow.Up || dst != proxyIp(sipProxy) || dstPort != proxyPort(sipProxy)) return false;
  fail(RegFail.Unreachable, now);
  return true;
}

/**
 * Sends the `n` bytes of a message: at txMsg for TCP, already at
 * udpTxPayload() for UDP (to ip:port). Over TCP a message is queued whole
 * or not at all (a cut one would corrupt the stream): a REGISTER that does
 * not fit fails the flow, an answer is left out (the proxy asks again).
 */
function transmit(n: i32, ip: u32, port: u32, now: i64, answer: bool = false): void {
  if (n < 0) return;
  if (tcp) {
    if (tcpSendRoom(h) < n) {
      if (!answer) fail(RegFail.NoConnection, now);
      return;
    }
    tcpSend(h, txMsg, n, now);
  } else if (!udpSend(ip, SIP_PORT, port, n, now, dscp) && active >= 0 && ip == proxyIp(sipProxy)) {
    // The proxy's MAC is being resolved: the request leaves the moment ARP answers, not at Timer E.
    arpHeld = true;
  }
}
@inline function txBuf(): usize { return tcp ? txMsg : udpTxPayload(); }
@inline function txCap(): i32 { return tcp ? 1400 : UDP_ROOM; }

/**
 * The current proxy failed (`why`): every line to the next proxy, or, after
 * the last one, a wait before the next round.
 */
function fail(why: RegFail, now: i64): void {
  const from = sipProxy;
  event(Ev.RegFailed, from, why);
  closeFlow(now);
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.state == SipLineState.Trying || l.state == SipLineState.Registered || l.state == SipLineState.Waiting) {
      // The next proxy challenges afresh: a nonce of this one would be refused there, not stale.
      l.state = SipLineState.Waiting;
      l.due = now;
      l.auth = SipAuth.None;
      l.answers = 0;
    }
  }
  allRegistered = false;
  const next = firstOpen(from + 1, now);
  if (next < sipProxyCount) {
    event(Ev.RegFailover, from, next);
    openFlow(next, now);
    return;
  }
  let wait = backoff + <i64>(random() % <u32>(backoff / 4 + 1));
  backoff = min(backoff * 2, ALL_DOWN_MAX);
  // Retry-After: no sooner than the first proxy that asked for a pause allows.
  const open = firstOpen(0, now);
  if (open >= sipProxyCount) {
    let soonest = NEVER;
    for (let i = 0; i < sipProxyCount; i++) soonest = min(soonest, blocked(i));
    wait = max(wait, soonest - now);
  }
  retryAt = now + wait;
  sipState = RegState.AllDown;
  event(Ev.RegAllDown, <i32>wait, round);
  showScreen();
}

/** The first proxy from `i` on that no Retry-After keeps out now (sipProxyCount: none). */
function firstOpen(i: i32, now: i64): i32 {
  for (; i < sipProxyCount; i++) if (blocked(i) <= now) return i;
  // Every proxy asked for a pause (a new round only): the first one regardless.
  return sipState == RegState.AllDown ? 0 : sipProxyCount;
}

// ---- transactions --------------------------------------------------------------------------

/** The next line whose REGISTER is due starts its transaction. */
function startNext(now: i64): void {
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen == 0 || l.due > now) continue;
    if (l.state == SipLineState.Failed) {
      // Tried again from scratch: a new password may be in place by now.
      l.auth = SipAuth.None;
      l.answers = 0;
      l.expiresWant = expiresDefault;
    } else if (l.state != SipLineState.Waiting && l.state != SipLineState.Registered) continue;
    begin(i, now);
    return;
  }
}

/** A new REGISTER transaction for line `i`: the next CSeq, a new branch, credentials when a challenge is held. */
function begin(i: i32, now: i64): void {
  const l = line(i);
  arpHeld = false;
  l.cseq++;
  hex32(branch, random());
  hex32(branch + 8, random());
  if (l.auth != SipAuth.None) {
    l.nc++;
    hex32(txt(i, CNONCE), random());
  }
  if (l.state != SipLineState.Registered) l.state = SipLineState.Trying;
  l.authSent = l.auth != SipAuth.None;
  active = i;
  timerF = now + 64 * t1;
  rtxEvery = t1;
  rtxAt = tcp ? NEVER : now + t1;
  event(Ev.SipRegister, i, <i32>(l.cseq & 0xffff) | (l.auth != SipAuth.None ? 0x10000 : 0));
  sendRegister(i, now);
  showScreen();
}

function timers(now: i64): void {
  if (now >= timerF) {
    fail(RegFail.NoAnswer, now);
    return;
  }
  if (arpHeld && canSend(proxyIp(sipProxy), now)) {
    arpHeld = false;
    sendRegister(active, now);
  }
  if (now >= rtxAt) {
    // Timer E (§17.1.2.2): T1, doubling, at most T2.
    rtxEvery = min(rtxEvery * 2, t2);
    rtxAt = now + rtxEvery;
    sendRegister(active, now);
  }
}

function sendRegister(i: i32, now: i64): void {
  const l = line(i);
  const domain = proxyIp(sipProxy);
  reg.tcp = tcp;
  reg.domain = domain;
  reg.localIp = myIp;
  reg.localPort = localPort;
  reg.userPtr = txt(i, NAME); reg.userLen = l.nameLen;
  reg.displayPtr = txt(i, DISP); reg.displayLen = l.dispLen;
  reg.callIdPtr = txt(i, CALLID); reg.callIdLen = l.callIdLen;
  reg.fromTagPtr = txt(i, TAG); reg.fromTagLen = 8;
  reg.branchPtr = branch; reg.branchLen = 16;
  reg.cseq = l.cseq;
  reg.expires = l.expiresWant;
  reg.loadPtr = loadName; reg.loadLen = loadNameLength;
  reg.auth = l.auth;
  if (l.auth != SipAuth.None) {
    reg.authUserPtr = txt(i, AUTH); reg.authUserLen = l.authLen;
    reg.realmPtr = txt(i, REALM); reg.realmLen = l.realmLen;
    reg.noncePtr = txt(i, NONCE); reg.nonceLen = l.nonceLen;
    reg.opaquePtr = txt(i, OPAQUE); reg.opaqueLen = l.opaqueLen;
    reg.qopAuth = l.qopAuth;
    reg.cnoncePtr = txt(i, CNONCE); reg.cnonceLen = 8;
    reg.nc = l.nc;
    hex32(ncText, l.nc);
    const uriLen = sipDomainUri(domain, uri, 24);
    digestResponse(txt(i, AUTH), l.authLen, txt(i, REALM), l.realmLen, txt(i, PASS), l.passLen, REGISTER, 8, uri, uriLen,
      txt(i, NONCE), l.nonceLen, l.qopAuth, ncText, txt(i, CNONCE), 8, response);
    reg.responsePtr = response;
  }
  const n = reg.emit(txBuf(), txCap());
  if (n < 0) {
    // Names and a nonce too long for one message: this line cannot register.
    lineFailed(i, Ev.SipLineRejected, 0, now);
    return;
  }
  transmit(n, domain, proxyPort(sipProxy), now);
}
const REGISTER = memory.data<u8>([0x52, 0x45, 0x47, 0x49, 0x53, 0x54, 0x45, 0x52]);

/** A parsed message from the proxy (srcIp/srcPort: its datagram's source; 0 over TCP). */
function onMessage(now: i64, srcIp: u32, srcPort: u32): bool {
  if (msgIn.isRequest) {
    answer(now, srcIp, srcPort);
    return true;
  }
  const i = ownerOf();
  if (i < 0) return drop(Ctr.DropSipUnexpected);
  const l = line(i);
  if (i != active || msgIn.cseq != <i32>l.cseq || !sameBranch()) {
    // A retransmitted final answer inside Timer K is expected; anything else is not ours.
    if (msgIn.cseq == <i32>l.doneCseq && now < l.doneUntil) return true;
    return drop(Ctr.DropSipUnexpected);
  }
  const st = msgIn.status;
  if (st < 200) {
    // Proceeding (§17.1.2.2): retransmissions at T2 from now on.
    rtxEvery = t2;
    if (rtxAt != NEVER) rtxAt = now + t2;
    return true;
  }
  active = -1;
  rtxAt = timerF = NEVER;
  l.doneCseq = l.cseq;
  l.doneUntil = tcp ? now : now + T4;
  if (st < 300) registered(i, now);
  else if (st == 401 || st == 407) challenged(i, st, now);
  else if (st == 423 && msgIn.minExpires > <i32>l.expiresWant) {
    l.expiresWant = <u32>msgIn.minExpires;
    event(Ev.SipIntervalTooBrief, i, msgIn.minExpires);
    l.state = SipLineState.Waiting;
    l.due = now;
  } else if (st == 403) lineFailed(i, Ev.SipAuthFailed, st, now);
  else if (st >= 500 && st < 600 || st == 408) {
    if (msgIn.retryAfter > 0) {
      store<i64>(blockedUntil + (<usize>sipProxy << 3), now + <i64>msgIn.retryAfter * 1000);
      event(Ev.SipRetryAfter, sipProxy, msgIn.retryAfter);
    }
    fail(st == 408 ? RegFail.NoAnswer : RegFail.ServerError, now);
  } else lineFailed(i, Ev.SipLineRejected, st, now);
  return true;
}

/** The line whose Call-ID the response carries, or -1. */
function ownerOf(): i32 {
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen > 0 && l.callIdLen == msgIn.callIdLen && memory.compare(txt(i, CALLID), msgIn.callIdPtr, <usize>l.callIdLen) == 0) return i;
  }
  return -1;
}

function sameBranch(): bool {
  return msgIn.branchLen == 23 && memory.compare(msgIn.branchPtr + 7, branch, 16) == 0 && msgIn.cseqMethod == SipMethod.Register;
}

function registered(i: i32, now: i64): void {
  const l = line(i);
  let granted = msgIn.expires >= 0 ? <u32>msgIn.expires : l.expiresWant;
  // The registrar lists every binding of the AOR: ours is the one at our address and port (§10.2.4).
  store<u8>(hostPort, 0x40);
  const n = 1 + sipHostPort(myIp, localPort, hostPort + 1, 23);
  for (let c = 0; c < msgIn.contactCount; c++) {
    if (msgIn.contactExpires(c) >= 0 && contains(msgIn.contactUri(c), msgIn.contactUriLen(c), hostPort, n)) granted = <u32>msgIn.contactExpires(c);
  }
  if (granted == 0) {
    lineFailed(i, Ev.SipLineRejected, 200, now);
    return;
  }
  l.granted = granted;
  l.state = SipLineState.Registered;
  l.answers = 0;
  const ms = <i64>granted * 1000;
  l.due = now + (ms > 2 * REGISTER_DELTA ? ms - REGISTER_DELTA : ms / 2);
  backoff = ALL_DOWN_FIRST;
  event(Ev.SipLineRegistered, i, <i32>granted);
  checkAll();
  showScreen();
}

/** `s` (n bytes, "@a.b.c.d:port") appears in the URI and ends there or at a parameter. */
function contains(p: usize, len: i32, s: usize, n: i32): bool {
  for (let k = 0; k + n <= len; k++) {
    if (memory.compare(p + <usize>k, s, <usize>n) != 0) continue;
    if (k + n == len || load<u8>(p + <usize>(k + n)) == 0x3b) return true;
  }
  return false;
}

function challenged(i: i32, st: i32, now: i64): void {
  const l = line(i);
  // §22.2: credentials for this realm challenged again, not as stale (the nonce aged), are wrong: the
  // same nonce again, or a new one (Kamailio issues a new nonce with each challenge).
  const refused = l.authSent && l.realmLen == msgIn.realmLen && memory.compare(txt(i, REALM), msgIn.realmPtr, <usize>l.realmLen) == 0 && !msgIn.stale;
  // Also a challenge that cannot be answered (no Digest, an algorithm other than MD5, qop without auth,
  // fields too long), or a server that never accepts.
  if (msgIn.auth == SipAuth.None || msgIn.algorithm == SipAlg.Unsupported || (msgIn.qop && !msgIn.qopAuth)
    || msgIn.realmLen > REALM_MAX || msgIn.nonceLen > NONCE_MAX || msgIn.opaqueLen > OPAQUE_MAX
    || refused || l.answers >= AUTH_ANSWERS_MAX) {
    lineFailed(i, Ev.SipAuthFailed, st, now);
    return;
  }
  l.answers++;
  l.auth = msgIn.auth;
  l.realmLen = copyIn(txt(i, REALM), msgIn.realmPtr, msgIn.realmLen, REALM_MAX);
  l.nonceLen = copyIn(txt(i, NONCE), msgIn.noncePtr, msgIn.nonceLen, NONCE_MAX);
  l.opaqueLen = copyIn(txt(i, OPAQUE), msgIn.opaquePtr, msgIn.opaqueLen, OPAQUE_MAX);
  l.qopAuth = msgIn.qopAuth;
  l.nc = 0;
  event(Ev.SipChallenge, i, st);
  if (l.state != SipLineState.Registered) l.state = SipLineState.Waiting;
  l.due = now;
  begin(i, now);
}

function lineFailed(i: i32, ev: Ev, status: i32, now: i64): void {
  const l = line(i);
  if (active == i) {
    active = -1;
    rtxAt = timerF = NEVER;
  }
  l.state = SipLineState.Failed;
  l.auth = SipAuth.None;
  l.due = now + LINE_RETRY;
  event(ev, i, status);
  if (allRegistered) {
    allRegistered = false;
    sipState = RegState.Registering;
    event(Ev.RegUnregistered, sipProxy, 0);
  }
  showScreen();
}

/** Registered: every configured line holds a binding. */
function checkAll(): void {
  for (let i = 0; i < sipLineCount; i++) if (line(i).nameLen > 0 && line(i).state != SipLineState.Registered) return;
  sipState = RegState.Registered;
  if (!allRegistered) {
    allRegistered = true;
    event(Ev.RegRegistered, sipProxy, 0);
  }
}

/** Answers a request from the proxy (§8.2): 200 to OPTIONS, 405 or 501 to the rest, nothing to ACK. */
function answer(now: i64, srcIp: u32, srcPort: u32): void {
  const st = sipAnswerStatus(msgIn.method);
  if (st == 0) return;
  const n = sipEmitResponse(msgIn, st, txt(0, TAG), 8, txBuf(), txCap());
  event(Ev.SipAnswered, msgIn.method, st);
  transmit(n, srcIp, srcPort, now, true);
}

// ---- identifiers and the display ------------------------------------------------------------------

function hex32(p: usize, v: u32): void {
  for (let k = 0; k < 8; k++) {
    const d = (v >> <u32>(28 - 4 * k)) & 15;
    store<u8>(p + <usize>k, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
  }
}

/** 16 random hex digits "@" the phone's address. */
function newCallId(i: i32): i32 {
  const p = txt(i, CALLID);
  hex32(p, random());
  hex32(p + 8, random());
  store<u8>(p + 16, 0x40);
  return 17 + sipHostPort(myIp, 0, p + 17, 30);
}

/** "Registered | 1001 ok | 1002 auth failed": the status, then each line's state. */
function showScreen(): void {
  let n = lcdCopy(sipState == RegState.Registered ? Lcd.Registered : sipState == RegState.AllDown ? Lcd.CallManagerDown : Lcd.Registering, screen);
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen == 0) continue;
    n = put(n, " | ");
    memory.copy(screen + <usize>n, txt(i, NAME), <usize>l.nameLen);
    n += l.nameLen;
    n = put(n, l.state == SipLineState.Registered ? " ok" : l.state == SipLineState.Failed ? " failed" : " ...");
  }
  lcd(screen, n);
}

function put(n: i32, s: string): i32 {
  for (let k = 0; k < s.length; k++) store<u8>(screen + <usize>(n + k), <u8>s.charCodeAt(k));
  return n + s.length;
}
