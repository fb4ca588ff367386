// Registration (stage 6) by SIP, when the configuration's deviceProtocol
// says so: every line REGISTERs (RFC 3261 §10) with its proxy: the line's
// own <proxy> when the file gives one, else the proxy list, which is the
// configuration's CallManagers in priority order at their SIP port. A flow
// (a TCP connection, or the UDP port 5060) per proxy in use, one REGISTER
// client transaction at a time (§17.1.2: Timer E retransmits over UDP from
// T1 doubling to T2, Timer F ends it at 64*T1 on both; Timer K keeps
// absorbing retransmitted answers for T4), the lines one after the other as
// Cisco phones do. A 401/407 is answered once per nonce with MD5 digest
// credentials (RFC 2617, RFC 8760), and only to the proxy that challenged;
// the same realm challenged again, not stale, means a wrong password, as does
// 403: the line stops with a named failure and is tried again after
// LINE_RETRY. 423 is retried at Min-Expires. A 5xx, 408, Timer F, a lost
// connection or ICMP moves the list's lines to the next proxy (Retry-After
// keeps the proxy out that long); after the last one, a wait with backoff
// and a new round; a line's own proxy is tried again after a backoff.
// Registered with a backup of the list, the phone tries the proxies above it
// every fallbackMs (SCCP's PRIMARY_RETRY by default), as Cisco phones
// "reregister with the primary proxy while registered to the secondary":
// a REGISTER of the first line there; once it is answered 2xx every line
// moves there, then each binding at the backup is removed (Expires: 0) and
// its flow closed (event Fallback). Each binding is refreshed before it
// expires (the granted expires less REGISTER_DELTA, Cisco's
// timerRegisterDelta, or half of a short one), with the line's Call-ID and
// the next CSeq (§10.2.4). Requests the proxy sends (OPTIONS keepalives) are
// answered. Registered = every line has a binding.
import { event, lcd, random } from "../hal";
import { Ev } from "../events";
import { Ctr, count, drop } from "../counters";
import { myIp } from "../net/netif";
import { TCP_RCV_BUF, TcpOutcome, TcpState, tcpAbort, tcpAvailable, tcpClose, tcpConnect, tcpConsume, tcpLocalPort, tcpOutcome, tcpPeek, tcpSend, tcpSendRoom, tcpState } from "../net/tcp";
import { canSend, udpBind, udpOnError, udpSend, udpSlot, udpTxPayload } from "../net/stack";
import { Dscp } from "../wire/ipv4";
import { digestResponse } from "../lib/digest";
import {
  SipAlg, SipAuth, SipMethod, SipRegister, SipRepr, sipAnswerStatus, sipDomainUri, sipEmitResponse, sipFrameLength, sipHostPort, sipKeepAlive, sipOwnContact,
} from "../wire/sip";
import { PRIMARY_RETRY, RegFail, RegState } from "./register";
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
/** Bounds of the interval at which a higher proxy is tried while on a backup. */
export const FALLBACK_MIN: i64 = 1_000;
export const FALLBACK_MAX: i64 = 3_600_000;
/** A nonce answered this often in one registration without success: the server is looping, the line fails. */
const AUTH_ANSWERS_MAX = 3;
const NEVER = i64.MAX_VALUE;
/** The UDP payload a SIP message may take (an Ethernet frame less the headers, VLAN tag included). */
const UDP_ROOM = 1400;

export const enum SipLineState { Off, Waiting, Trying, Registered, Failed }
const enum FlowState { Idle, Connecting, Up }
/** The transaction under way: a REGISTER, or the one with Expires: 0 that removes a binding at the proxy left. */
const enum Kind { Register, Unregister }

// Flows: LIST is the proxy list's (at sipProxy), AUX the probe of a higher
// proxy while on a backup and, after going back, the backup's until its
// bindings are removed; OWN + j line j's own proxy (later lines naming the
// same proxy share it). Proxy indexes in events: 0-2 the list, SIP_PROXIES + j line j's.
const LIST = 0, AUX = 1, OWN = 2;
const FLOWS = OWN + SIP_LINES;
@unmanaged class Flow {
  state: FlowState;
  h: i32;
  localPort: u32;
  ip: u32;
  port: u32;
  /** The proxy index (events). */
  proxy: i32;
  /** A line's own proxy that failed: opened again no sooner than this, the wait doubling. */
  retryAt: i64;
  backoff: i64;
}
const FLOW_SIZE = offsetof<Flow>();
const flowRecs = memory.data(<i32>FLOW_SIZE * FLOWS);
@inline function flow(f: i32): Flow { return changetype<Flow>(flowRecs + <usize>f * FLOW_SIZE); }

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
  /** The line's flow (LIST, or OWN + the first line with the same own proxy); its own proxy (0: the list's). */
  flow: i32;
  ownIp: u32;
  ownPort: u32;
  /** When the next REGISTER of the line is due (Waiting), or when a failed line is tried again. */
  due: i64;
  cseq: u32;
  expiresWant: u32;
  granted: u32;
  /** The challenge held: its kind (SipAuth), the proxy that sent it, lengths, qop=auth, the nc of its nonce, answers in this registration. */
  auth: SipAuth;
  authFrom: u32;
  realmLen: i32;
  nonceLen: i32;
  opaqueLen: i32;
  qopAuth: bool;
  nc: u32;
  answers: i32;
  /** The REGISTER under way carries credentials. */
  authSent: bool;
  /** Going back: the line is to register at the higher proxy (moving), then leave the backup (leaving). */
  moving: bool;
  leaving: bool;
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
/** The proxy of the list (index) now in use. */
export let sipProxy = 0;
let tcp = true;
let t1: i64 = 500;
let t2: i64 = 4_000;
const T4: i64 = 5_000;
let expiresDefault: u32 = 3600;
let dscp: u32 = Dscp.Cs3;
let fallbackMs: i64 = PRIMARY_RETRY;

let round = 0;
let backoff: i64 = ALL_DOWN_FIRST;
let retryAt: i64 = NEVER;
let allRegistered = false;
// On a backup: when the next higher proxy is tried, and which; the AUX flow probing, or leaving the backup (its index).
let probeAt: i64 = NEVER;
let probeNext = 0;
let probing = false;
let leavingProxy = -1;
// The transaction under way: its line (-1: none), flow, kind, branch, Timer E (next send and interval), Timer F.
let active = -1;
let txFlow = LIST;
let txKind = Kind.Register;
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
  for (let f = 0; f < FLOWS; f++) flow(f).h = -1;
}

/** Forgets the proxies and lines; back to the defaults (TCP, T1 500 ms, T2 4 s, 3600 s, CS3, fallback PRIMARY_RETRY). */
export function sipClear(): void {
  sipProxyCount = sipLineCount = 0;
  tcp = true;
  t1 = 500; t2 = 4_000;
  expiresDefault = 3600;
  dscp = Dscp.Cs3;
  fallbackMs = PRIMARY_RETRY;
}

/** Proxy `i` of the list (0 = first), port 0 meaning 5060. */
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

/** Registered with a backup: how often a higher proxy is tried, in ms (0: PRIMARY_RETRY), within FALLBACK_MIN..FALLBACK_MAX. */
export function sipSetFallback(ms: u32): void {
  fallbackMs = ms == 0 ? PRIMARY_RETRY : min(max(<i64>ms, FALLBACK_MIN), FALLBACK_MAX);
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

/** Line `i`'s own proxy (its <proxy> in <sipLines>), port 0 meaning 5060; address 0: the list's. After sipSetLine. */
export function sipSetLineProxy(i: i32, ip: u32, port: u32): void {
  if (i < 0 || i >= sipLineCount) return;
  line(i).ownIp = ip;
  line(i).ownPort = port == 0 || port > 0xffff ? SIP_PORT : port;
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

/** Starts registering every line: the list's from its first proxy, the others with their own. */
export function sipStart(now: i64): void {
  closeAll(now);
  round = 1;
  backoff = ALL_DOWN_FIRST;
  retryAt = probeAt = NEVER;
  probing = false;
  leavingProxy = -1;
  memory.fill(blockedUntil, 0, SIP_PROXIES * 8);
  let list = false, routed = false;
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen == 0) continue;
    l.flow = flowOf(i);
    // §10.2.4: one Call-ID per line for as long as the phone runs, its own From tag.
    l.callIdLen = newCallId(i);
    hex32(txt(i, TAG), random());
    l.cseq = 0;
    l.expiresWant = expiresDefault;
    l.auth = SipAuth.None;
    l.moving = l.leaving = false;
    l.state = SipLineState.Waiting;
    l.due = now;
    if (l.flow == LIST && sipProxyCount == 0) {
      // No proxy for it anywhere: it stays failed.
      l.state = SipLineState.Failed;
      l.due = NEVER;
    } else {
      routed = true;
      if (l.flow == LIST) list = true;
    }
  }
  if (!routed) {
    sipState = RegState.Off;
    event(Ev.RegNoCallManager, 0, 0);
    return;
  }
  allRegistered = false;
  if (slot >= 0) udpBind(slot, tcp ? 0 : SIP_PORT);
  sipState = RegState.Registering;
  if (list) openList(0, now);
  showScreen();
}

/** LIST, or the flow of the first line with the same own proxy. */
function flowOf(i: i32): i32 {
  const l = line(i);
  if (l.ownIp == 0) return LIST;
  let j = 0;
  while (line(j).ownIp != l.ownIp || line(j).ownPort != l.ownPort || line(j).nameLen == 0) j++;
  const f = flow(OWN + j);
  f.ip = l.ownIp;
  f.port = l.ownPort;
  f.proxy = SIP_PROXIES + j;
  f.retryAt = 0;
  f.backoff = ALL_DOWN_FIRST;
  return OWN + j;
}

/** Stops at once (the address is lost: nothing can be sent); the bindings expire at the registrar. */
export function sipStop(now: i64): void {
  closeAll(now);
  if (!tcp && slot >= 0) udpBind(slot, 0);
  for (let i = 0; i < sipLineCount; i++) if (line(i).nameLen > 0) line(i).state = SipLineState.Off;
  sipState = RegState.Off;
  retryAt = probeAt = NEVER;
  probing = false;
  leavingProxy = -1;
  allRegistered = false;
}

export function sipPoll(now: i64): i64 {
  if (sipState == RegState.Off) return NEVER;
  if (sipState == RegState.AllDown && now >= retryAt) {
    retryAt = NEVER;
    round++;
    openList(firstOpen(0, now), now);
  }
  if (tcp) for (let f = 0; f < FLOWS; f++) if (flow(f).state != FlowState.Idle) serviceTcp(f, now);
  if (active >= 0) timers(now);
  if (active < 0) startNext(now);
  return nextWake();
}

function nextWake(): i64 {
  if (sipState == RegState.Off) return NEVER;
  if (active >= 0) return min(timerF, rtxAt);
  let next = sipState == RegState.AllDown ? retryAt : NEVER;
  // Connecting: TCP's poll gives the wake-up; the lines wait for the connection.
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.state != SipLineState.Waiting && l.state != SipLineState.Failed && l.state != SipLineState.Registered) continue;
    const f = flow(l.flow);
    if (f.state == FlowState.Up) next = min(next, l.due);
    else if (f.state == FlowState.Idle && l.flow != LIST) next = min(next, max(l.due, f.retryAt));
  }
  if (flow(LIST).state == FlowState.Up) next = min(next, probeAt);
  return next;
}

// ---- flows to the proxies ------------------------------------------------------------------

/** The list's flow to proxy `i`. */
function openList(i: i32, now: i64): void {
  sipProxy = i;
  const f = flow(LIST);
  f.ip = proxyIp(i);
  f.port = proxyPort(i);
  f.proxy = i;
  sipState = tcp ? RegState.Connecting : RegState.Registering;
  openFlow(LIST, now);
  showScreen();
}

function openFlow(f: i32, now: i64): void {
  const fl = flow(f);
  event(f == AUX ? Ev.RegProbe : Ev.RegConnecting, <i32>fl.ip, fl.proxy | <i32>(fl.port << 8));
  if (tcp) {
    fl.state = FlowState.Connecting;
    fl.h = tcpConnect(fl.ip, fl.port, now, dscp);
    if (fl.h < 0) flowFailed(f, RegFail.NoConnection, now);
  } else {
    fl.state = FlowState.Up;
    fl.localPort = SIP_PORT;
  }
}

/** Ends flow `f` (a FIN when `polite`, else a RST), and the transaction on it. */
function closeFlow(f: i32, now: i64, polite: bool = false): void {
  const fl = flow(f);
  if (tcp && fl.h >= 0) {
    if (polite) tcpClose(fl.h, now);
    else tcpAbort(fl.h, now);
  }
  fl.h = -1;
  fl.state = FlowState.Idle;
  if (active >= 0 && txFlow == f) {
    active = -1;
    rtxAt = timerF = NEVER;
  }
}

function closeAll(now: i64): void {
  for (let f = 0; f < FLOWS; f++) closeFlow(f, now);
  active = -1;
  rtxAt = timerF = NEVER;
}

function serviceTcp(f: i32, now: i64): void {
  const fl = flow(f);
  if (fl.state == FlowState.Connecting) {
    const st = tcpState(fl.h);
    if (st == TcpState.Established) {
      fl.state = FlowState.Up;
      fl.localPort = tcpLocalPort(fl.h);
      if (f == LIST) sipState = allRegistered ? RegState.Registered : RegState.Registering;
    } else if (st == TcpState.Closed) {
      flowFailed(f, outcomeFail(tcpOutcome(fl.h)), now);
    }
    return;
  }
  if (!readStream(f, now)) return;
  const st = tcpState(fl.h);
  if (st != TcpState.Established) {
    const o = tcpOutcome(fl.h);
    flowFailed(f, st == TcpState.CloseWait ? RegFail.Closed : o == TcpOutcome.None ? RegFail.Reset : outcomeFail(o), now);
  }
}

function outcomeFail(o: TcpOutcome): RegFail {
  return o == TcpOutcome.Refused ? RegFail.Refused : o == TcpOutcome.Timeout ? RegFail.Timeout
    : o == TcpOutcome.Unreachable ? RegFail.Unreachable : o == TcpOutcome.Closed ? RegFail.Closed : RegFail.Reset;
}

/** Handles each complete message on flow `f`'s connection; false when the flow failed meanwhile. */
function readStream(f: i32, now: i64): bool {
  const fl = flow(f);
  const conn = fl.h;
  while (fl.state == FlowState.Up && fl.h == conn) {
    let avail = tcpAvailable(conn);
    const skip = sipKeepAlive(tcpPeek(conn), avail);
    if (skip > 0) { tcpConsume(conn, skip, now); avail -= skip; }
    if (avail == 0) return true;
    const total = sipFrameLength(tcpPeek(conn), avail, TCP_RCV_BUF);
    if (total == 0) return true;
    if (total < 0) {
      // The stream cannot be resynchronised: another connection, to the next proxy.
      count(<Ctr>(-total));
      flowFailed(f, RegFail.Malformed, now);
      return false;
    }
    ownContact(fl.localPort);
    const r = msgIn.parse(tcpPeek(conn), total);
    if (r != 0) count(<Ctr>r);
    else onMessage(now, f, 0, 0);
    if (fl.h == conn && fl.state == FlowState.Up) tcpConsume(conn, total, now);
  }
  return false;
}

/** The binding the registrar's 200 OK is to show for us: "@address:port". */
function ownContact(port: u32): void {
  store<u8>(hostPort, 0x40);
  sipOwnContact(hostPort, 1 + sipHostPort(myIp, port, hostPort + 1, 23));
}

/** A datagram to port 5060. */
function sipUdpRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  if (tcp || sipState == RegState.Off) return drop(Ctr.DropSipUnexpected);
  ownContact(SIP_PORT);
  const r = msgIn.parse(p, len);
  if (r != 0) return drop(<Ctr>r);
  return onMessage(now, -1, srcIp, srcPort);
}

/** ICMP unreachable for a datagram to a proxy: that proxy is down. */
function sipUdpError(dst: u32, dstPort: u32, code: u32, now: i64): bool {
  if (tcp) return false;
  for (let f = 0; f < FLOWS; f++) {
    const fl = flow(f);
    if (fl.state == FlowState.Up && fl.ip == dst && fl.port == dstPort) {
      flowFailed(f, RegFail.Unreachable, now);
      return true;
    }
  }
  return false;
}

/**
 * Sends the `n` bytes of a message: at txMsg on flow `f`'s connection for
 * TCP, already at udpTxPayload() for UDP (to ip:port). Over TCP a message is
 * queued whole or not at all (a cut one would corrupt the stream): a
 * REGISTER that does not fit fails the flow, an answer is left out (the
 * proxy asks again).
 */
function transmit(n: i32, f: i32, ip: u32, port: u32, now: i64, answer: bool = false): void {
  if (n < 0) return;
  if (tcp) {
    if (f < 0) return;
    const h = flow(f).h;
    if (tcpSendRoom(h) < n) {
      if (!answer) flowFailed(f, RegFail.NoConnection, now);
      return;
    }
    tcpSend(h, txMsg, n, now);
  } else if (!udpSend(ip, SIP_PORT, port, n, now, dscp) && active >= 0 && f == txFlow) {
    // The proxy's MAC is being resolved: the request leaves the moment ARP answers, not at Timer E.
    arpHeld = true;
  }
}
@inline function txBuf(): usize { return tcp ? txMsg : udpTxPayload(); }
@inline function txCap(): i32 { return tcp ? 1400 : UDP_ROOM; }

/** Flow `f` failed (`why`): the list's lines to the next proxy, a line's own proxy later, the probe or the backup given up. */
function flowFailed(f: i32, why: RegFail, now: i64): void {
  if (f == LIST) {
    fail(why, now);
    return;
  }
  const fl = flow(f);
  event(Ev.RegFailed, fl.proxy, why);
  closeFlow(f, now);
  if (f == AUX) {
    endAux(now);
    return;
  }
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.flow == f) unbind(l, now);
  }
  fl.retryAt = now + fl.backoff + <i64>(random() % <u32>(fl.backoff / 4 + 1));
  fl.backoff = min(fl.backoff * 2, ALL_DOWN_MAX);
  if (allRegistered) {
    allRegistered = false;
    if (sipState == RegState.Registered) sipState = RegState.Registering;
  }
  showScreen();
}

/** The line's proxy failed: it waits to register again (and challenged afresh: that proxy's nonce is of no use elsewhere). */
function unbind(l: Line, now: i64): void {
  if (l.state == SipLineState.Trying || l.state == SipLineState.Registered || l.state == SipLineState.Waiting) {
    l.state = SipLineState.Waiting;
    l.due = now;
    l.auth = SipAuth.None;
    l.answers = 0;
  }
  l.moving = l.leaving = false;
}

/** The probe ended without going back (the next higher proxy later), or the backup's flow ended. */
function endAux(now: i64): void {
  if (probing) {
    probing = false;
    probeNext = flow(AUX).proxy + 1;
    probeAt = now + fallbackMs;
  }
  if (leavingProxy >= 0) {
    leavingProxy = -1;
    for (let i = 0; i < sipLineCount; i++) line(i).leaving = false;
    probeAt = sipProxy > 0 ? now + fallbackMs : NEVER;
  }
}

/**
 * The list's proxy failed (`why`): its lines to the next proxy, or, after
 * the last one, a wait before the next round.
 */
function fail(why: RegFail, now: i64): void {
  const from = sipProxy;
  event(Ev.RegFailed, from, why);
  closeFlow(LIST, now);
  // Going back, or leaving the backup, ends with it.
  if (flow(AUX).state != FlowState.Idle) closeFlow(AUX, now);
  probing = false;
  leavingProxy = -1;
  probeAt = NEVER;
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.flow == LIST) unbind(l, now);
    l.leaving = false;
  }
  allRegistered = false;
  const next = firstOpen(from + 1, now);
  if (next < sipProxyCount) {
    event(Ev.RegFailover, from, next);
    openList(next, now);
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

// ---- going back to a higher proxy -----------------------------------------------------------

/** The first line of the list with a binding (the one that tries the higher proxy), or -1. */
function probeLine(): i32 {
  for (let i = 0; i < sipLineCount; i++) if (line(i).nameLen > 0 && line(i).flow == LIST && line(i).state == SipLineState.Registered) return i;
  return -1;
}

/** When the next REGISTER of a line is due (NEVER: none). */
function nextDue(): i64 {
  let next = NEVER;
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.nameLen > 0 && (l.state == SipLineState.Registered || l.state == SipLineState.Waiting)) next = min(next, l.due);
  }
  return next;
}

/** On a backup: the AUX flow to the next proxy above it that no Retry-After keeps out. */
function startProbe(now: i64): void {
  probeAt = NEVER;
  if (probeNext >= sipProxy) probeNext = 0;
  let q = probeNext;
  while (q < sipProxy && blocked(q) > now) q++;
  if (q >= sipProxy || probeLine() < 0) {
    probeNext = 0;
    probeAt = now + fallbackMs;
    return;
  }
  probing = true;
  const fl = flow(AUX);
  fl.ip = proxyIp(q);
  fl.port = proxyPort(q);
  fl.proxy = q;
  openFlow(AUX, now);
}

/**
 * The higher proxy registered line `i`: it becomes the list's proxy, every
 * other line of the list registers there, then each leaves the backup.
 */
function goBack(i: i32, now: i64): void {
  const from = sipProxy;
  const to = flow(AUX).proxy;
  // The flows trade places: the backup's connection stays open for the removals.
  memory.copy(txMsg, flowRecs, FLOW_SIZE);
  memory.copy(flowRecs, flowRecs + FLOW_SIZE, FLOW_SIZE);
  memory.copy(flowRecs + FLOW_SIZE, txMsg, FLOW_SIZE);
  txFlow = LIST;
  sipProxy = to;
  probing = false;
  leavingProxy = from;
  probeAt = NEVER;
  for (let j = 0; j < sipLineCount; j++) {
    const l = line(j);
    if (l.nameLen == 0 || l.flow != LIST || l.state != SipLineState.Registered) continue;
    l.leaving = true;
    if (j == i) continue;
    l.moving = true;
    l.due = now;
  }
  event(Ev.RegFallback, to, from);
}

// ---- transactions --------------------------------------------------------------------------

/** The next line whose REGISTER is due starts its transaction; then the probe, or the removals at the backup left. */
function startNext(now: i64): void {
  let moving = false;
  for (let i = 0; i < sipLineCount; i++) {
    const l = line(i);
    if (l.moving) moving = true;
    if (l.nameLen == 0 || l.due > now) continue;
    if (l.state == SipLineState.Failed) {
      // Tried again from scratch: a new password may be in place by now.
      l.auth = SipAuth.None;
      l.answers = 0;
      l.expiresWant = expiresDefault;
    } else if (l.state != SipLineState.Waiting && l.state != SipLineState.Registered) continue;
    const f = flow(l.flow);
    if (f.state == FlowState.Idle && l.flow != LIST && now >= f.retryAt) openFlow(l.flow, now);
    if (f.state != FlowState.Up) continue;
    begin(i, l.flow, Kind.Register, now);
    return;
  }
  if (flow(AUX).state != FlowState.Up) {
    if (!probing && leavingProxy < 0 && sipProxy > 0 && now >= probeAt && flow(LIST).state == FlowState.Up) {
      // One transaction at a time: a probe that could run to Timer F must not hold up a refresh at the backup.
      const soonest = nextDue();
      if (soonest < now + 64 * t1) probeAt = soonest + 1;
      else startProbe(now);
    }
    if (flow(AUX).state != FlowState.Up) return;
  }
  if (probing) {
    const i = probeLine();
    if (i >= 0) begin(i, AUX, Kind.Register, now);
    else flowFailed(AUX, RegFail.NoConnection, now);
    return;
  }
  if (leavingProxy < 0 || moving) return;
  for (let i = 0; i < sipLineCount; i++) {
    if (!line(i).leaving) continue;
    begin(i, AUX, Kind.Unregister, now);
    return;
  }
  // Every binding at the backup removed: its connection ends.
  closeFlow(AUX, now, true);
  leavingProxy = -1;
  probeAt = sipProxy > 0 ? now + fallbackMs : NEVER;
  probeNext = 0;
}

/** A new REGISTER transaction for line `i` on flow `f`: the next CSeq, a new branch, credentials when that proxy's challenge is held. */
function begin(i: i32, f: i32, kind: Kind, now: i64): void {
  const l = line(i);
  arpHeld = false;
  l.cseq++;
  hex32(branch, random());
  hex32(branch + 8, random());
  if (l.auth != SipAuth.None && l.authFrom != flow(f).ip) {
    l.auth = SipAuth.None;
    l.answers = 0;
  }
  if (l.auth != SipAuth.None) {
    l.nc++;
    hex32(txt(i, CNONCE), random());
  }
  if (kind == Kind.Register && l.state != SipLineState.Registered) l.state = SipLineState.Trying;
  l.authSent = l.auth != SipAuth.None;
  active = i;
  txFlow = f;
  txKind = kind;
  timerF = now + 64 * t1;
  rtxEvery = t1;
  rtxAt = tcp ? NEVER : now + t1;
  event(Ev.SipRegister, i, <i32>(l.cseq & 0xffff) | (l.auth != SipAuth.None ? 0x10000 : 0) | (kind == Kind.Unregister ? 0x20000 : 0));
  sendRegister(i, now);
  showScreen();
}

function timers(now: i64): void {
  if (now >= timerF) {
    flowFailed(txFlow, RegFail.NoAnswer, now);
    return;
  }
  if (arpHeld && canSend(flow(txFlow).ip, now)) {
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
  const fl = flow(txFlow);
  const domain = fl.ip;
  reg.tcp = tcp;
  reg.domain = domain;
  reg.localIp = myIp;
  reg.localPort = fl.localPort;
  reg.userPtr = txt(i, NAME); reg.userLen = l.nameLen;
  reg.displayPtr = txt(i, DISP); reg.displayLen = l.dispLen;
  reg.callIdPtr = txt(i, CALLID); reg.callIdLen = l.callIdLen;
  reg.fromTagPtr = txt(i, TAG); reg.fromTagLen = 8;
  reg.branchPtr = branch; reg.branchLen = 16;
  reg.cseq = l.cseq;
  reg.expires = txKind == Kind.Unregister ? 0 : l.expiresWant;
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
    // Names and a nonce too long for one message: this line cannot register (there).
    if (txFlow == AUX) flowFailed(AUX, RegFail.Rejected, now);
    else lineFailed(i, Ev.SipLineRejected, 0, now);
    return;
  }
  transmit(n, txFlow, domain, fl.port, now);
}
const REGISTER = memory.data<u8>([0x52, 0x45, 0x47, 0x49, 0x53, 0x54, 0x45, 0x52]);

/** A parsed message from a proxy (f: the TCP flow it came on, -1 over UDP; srcIp/srcPort: its datagram's source). */
function onMessage(now: i64, f: i32, srcIp: u32, srcPort: u32): bool {
  if (msgIn.isRequest) {
    answer(now, f, srcIp, srcPort);
    return true;
  }
  const i = ownerOf();
  if (i < 0) return drop(Ctr.DropSipUnexpected);
  const l = line(i);
  if (i != active || (f >= 0 && f != txFlow) || msgIn.cseq != <i32>l.cseq || !sameBranch()) {
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
  if (txKind == Kind.Unregister) removed(i, st, now);
  else if (st < 300) registered(i, now);
  else if (st == 401 || st == 407) challenged(i, st, now);
  else if (st == 423 && msgIn.minExpires > <i32>l.expiresWant) {
    l.expiresWant = <u32>msgIn.minExpires;
    event(Ev.SipIntervalTooBrief, i, msgIn.minExpires);
    if (txFlow == AUX) {
      begin(i, AUX, Kind.Register, now);
      return true;
    }
    l.state = SipLineState.Waiting;
    l.due = now;
  } else if (st >= 500 && st < 600 || st == 408) {
    if (msgIn.retryAfter > 0 && flow(txFlow).proxy < SIP_PROXIES) {
      store<i64>(blockedUntil + (<usize>flow(txFlow).proxy << 3), now + <i64>msgIn.retryAfter * 1000);
      event(Ev.SipRetryAfter, flow(txFlow).proxy, msgIn.retryAfter);
    }
    flowFailed(txFlow, st == 408 ? RegFail.NoAnswer : RegFail.ServerError, now);
  } else if (txFlow == AUX) flowFailed(AUX, RegFail.Rejected, now); // the higher proxy is up but will not take the line: stay
  else if (st == 403) lineFailed(i, Ev.SipAuthFailed, st, now);
  else lineFailed(i, Ev.SipLineRejected, st, now);
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
  // The registrar lists every binding of the AOR: ours is the one at our address and port (§10.2.4).
  const granted: u32 = msgIn.ownExpires >= 0 ? <u32>msgIn.ownExpires : msgIn.expires >= 0 ? <u32>msgIn.expires : l.expiresWant;
  if (granted == 0) {
    if (txFlow == AUX) flowFailed(AUX, RegFail.Rejected, now);
    else lineFailed(i, Ev.SipLineRejected, 200, now);
    return;
  }
  l.granted = granted;
  l.state = SipLineState.Registered;
  l.answers = 0;
  l.moving = false;
  const ms = <i64>granted * 1000;
  l.due = now + (ms > 2 * REGISTER_DELTA ? ms - REGISTER_DELTA : ms / 2);
  if (txFlow == AUX) goBack(i, now);
  if (txFlow == LIST) {
    backoff = ALL_DOWN_FIRST;
    if (sipProxy > 0 && probeAt == NEVER && !probing && leavingProxy < 0) {
      probeAt = now + fallbackMs;
      probeNext = 0;
    }
  } else flow(txFlow).backoff = ALL_DOWN_FIRST;
  event(Ev.SipLineRegistered, i, <i32>granted);
  checkAll();
  showScreen();
}

/** The answer to a REGISTER with Expires: 0 at the backup left: a challenge is answered once, anything else ends it. */
function removed(i: i32, st: i32, now: i64): void {
  const l = line(i);
  if ((st == 401 || st == 407) && !l.authSent && answerable()) {
    hold(i, flow(AUX).ip);
    begin(i, AUX, Kind.Unregister, now);
    return;
  }
  l.leaving = false;
  event(Ev.SipBindingRemoved, i, st | (leavingProxy << 16));
}

/** The challenge just parsed is one the phone can answer (Digest, MD5, qop auth if any, fields that fit). */
function answerable(): bool {
  return msgIn.auth != SipAuth.None && msgIn.algorithm != SipAlg.Unsupported && (!msgIn.qop || msgIn.qopAuth)
    && msgIn.realmLen <= REALM_MAX && msgIn.nonceLen <= NONCE_MAX && msgIn.opaqueLen <= OPAQUE_MAX;
}

/** Keeps the challenge just parsed for line `i`, from the proxy at `from`. */
function hold(i: i32, from: u32): void {
  const l = line(i);
  l.auth = msgIn.auth;
  l.authFrom = from;
  l.realmLen = copyIn(txt(i, REALM), msgIn.realmPtr, msgIn.realmLen, REALM_MAX);
  l.nonceLen = copyIn(txt(i, NONCE), msgIn.noncePtr, msgIn.nonceLen, NONCE_MAX);
  l.opaqueLen = copyIn(txt(i, OPAQUE), msgIn.opaquePtr, msgIn.opaqueLen, OPAQUE_MAX);
  l.qopAuth = msgIn.qopAuth;
  l.nc = 0;
}

function challenged(i: i32, st: i32, now: i64): void {
  const l = line(i);
  // §22.2: credentials for this realm challenged again, not as stale (the nonce aged), are wrong: the
  // same nonce again, or a new one (Kamailio issues a new nonce with each challenge).
  const refused = l.authSent && l.realmLen == msgIn.realmLen && memory.compare(txt(i, REALM), msgIn.realmPtr, <usize>l.realmLen) == 0 && !msgIn.stale;
  // Also a challenge that cannot be answered, or a server that never accepts.
  if (!answerable() || refused || l.answers >= AUTH_ANSWERS_MAX) {
    if (txFlow == AUX) flowFailed(AUX, RegFail.Rejected, now);
    else lineFailed(i, Ev.SipAuthFailed, st, now);
    return;
  }
  l.answers++;
  hold(i, flow(txFlow).ip);
  event(Ev.SipChallenge, i, st);
  if (l.state != SipLineState.Registered) l.state = SipLineState.Waiting;
  l.due = now;
  begin(i, txFlow, Kind.Register, now);
}

function lineFailed(i: i32, ev: Ev, status: i32, now: i64): void {
  const l = line(i);
  if (active == i) {
    active = -1;
    rtxAt = timerF = NEVER;
  }
  l.state = SipLineState.Failed;
  l.auth = SipAuth.None;
  l.moving = false;
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

/** Answers a request from a proxy (§8.2): 200 to OPTIONS, 405 or 501 to the rest, nothing to ACK. */
function answer(now: i64, f: i32, srcIp: u32, srcPort: u32): void {
  const st = sipAnswerStatus(msgIn.method);
  if (st == 0) return;
  const n = sipEmitResponse(msgIn, st, txt(0, TAG), 8, txBuf(), txCap());
  event(Ev.SipAnswered, msgIn.method, st);
  transmit(n, f, srcIp, srcPort, now, true);
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
