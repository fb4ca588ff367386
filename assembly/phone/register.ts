// Registration (stage 6): a TCP connection to the first CallManager of the
// configured list, StationRegister, RegisterAck, then the station set-up a
// Cisco 79xx does before a CallManager counts it registered (chan-sccp-b
// keeps a device in "Progress" until it; the order is a 7960's on protocol
// v11): CapabilitiesRes whenever CapabilitiesReq comes, ButtonTemplateReq,
// SoftKeyTemplateReq, SoftKeySetReq, ConfigStatReq, LineStatReq per line
// button, SpeedDialStatReq per speed-dial button, ForwardStatReq,
// TimeDateReq, each sent once the answer to the one before arrived, then
// RegisterAvailableLines and HeadsetStatus; registered once DefineTimeDate
// came. Then keepalives. Registered, the phone keeps a standby TCP
// connection to the next CallManager of the list, as Cisco phones do: no
// StationRegister there, only KeepAlive at RegisterAck's
// secondaryKeepAliveInterval (Wireshark's name for the field); a
// CallManager answers KeepAliveAck on a connection where no device is
// registered (chan-sccp-b's KeepAlive handler needs no device). When the
// CallManager registered with fails, the phone registers over the
// standby connection at once (no ARP, no handshake), then opens a new
// standby to the one after it. On a refused
// or timed-out connection, a RegisterReject, no answer, or a lost
// connection (reset, closed, keepalive acks missing), the next CallManager.
// Registered to a backup, the phone keeps trying the CallManagers above it
// and falls back to the first that accepts it, as Cisco phones do. When
// every CallManager has failed in a round, the phone waits (AllDown), with
// exponential backoff, before the next round from the top of the list.
import { event, lcd, random, reset } from "../hal";
import { Lcd, lcdCopy } from "./lcd";
import { Ev } from "../events";
import { Ctr, count } from "../counters";
import { hostName, hostNameLen, myIp } from "../net/netif";
import {
  TCP_RCV_BUF, TcpOutcome, TcpState, tcpAbort, tcpAvailable, tcpClose, tcpConnect, tcpConsume, tcpOutcome,
  tcpPeek, tcpSend, tcpState,
} from "../net/tcp";
import {
  DEVICE_TYPE_7960, HEADSET_OFF, SCCP_CODECS, SCCP_PROTOCOL_VERSION, SccpButton, SccpMsg, SccpRepr, sccpDeclaredLength, sccpFrameLength,
} from "../wire/sccp";
import { Dscp } from "../wire/ipv4";

const sccpIn = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
const sccpOut = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));

export const MAX_CALLMANAGERS = 3;
export const SCCP_PORT: u32 = 2000;

export const enum RegState { Off, Connecting, Registering, Registered, AllDown }
/** Why a CallManager was left (event RegFailed, b). */
export const enum RegFail {
  Refused = 1, Timeout = 2, Reset = 3, Closed = 4, Rejected = 5, NoAnswer = 6, KeepaliveLost = 7, Malformed = 8, NoConnection = 9, Unreachable = 10,
  SetupUnanswered = 11,
  /** SIP: a 5xx answer from the proxy (NoAnswer: Timer F, or 408; Malformed: a stream that is not SIP). */
  ServerError = 12,
}

/** Registered: the standby connection opens at once, and again this long after it was lost. */
export const STANDBY_RETRY: i64 = 30_000;
/** The standby keepalive interval when the RegisterAck gives none (CUCM's default for it). */
export const SECONDARY_KEEPALIVE_DEFAULT: u32 = 60;

/** StationRegister sent, no RegisterAck or RegisterReject yet: the next one. */
export const REGISTER_TIMEOUT: i64 = 10_000;
/** In the station set-up, the longest wait for the answer to one request. */
export const SETUP_TIMEOUT: i64 = 10_000;
/** The keepalive interval when the RegisterAck gives none; bounds on what it may give. */
export const KEEPALIVE_DEFAULT: u32 = 30;
const KEEPALIVE_MAX: u32 = 3600;
/** Keepalives left without an ack before the connection counts as lost. */
export const KEEPALIVE_MISSES = 2;
/** Registered to a backup: how often a CallManager above it is tried again. */
export const PRIMARY_RETRY: i64 = 30_000;
/** All down: the first wait before the next round, doubling up to the last (plus up to 25 % jitter). */
export const ALL_DOWN_FIRST: i64 = 5_000;
export const ALL_DOWN_MAX: i64 = 60_000;
/** hal.reset reason when a CallManager sends Reset (the RegReset event says reset or restart). */
export const RESET_BY_CALLMANAGER = 6;
/** The RTP port announced in IpPort after registering. */
const RTP_PORT: u32 = 16384;
const MAX_STREAMS: u32 = 5;
const NEVER = i64.MAX_VALUE;
/** RegFailover's b: the next CallManager was reached over the standby connection. */
const FAILOVER_STANDBY = 0x100;

const enum Phase { Idle, Connecting, Standby, Registering, SettingUp, Registered }
/** The set-up's requests, in the order sent. */
const enum Step { Buttons, SoftKeys, SoftKeySets, Config, Lines, SpeedDials, Forward, Time, Done }
/** Line keys kept for the display. */
const SHOWN_LINES = 2;
const LINE_KEY = 66;

/** One SCCP connection: the main one, the standby one, or the probe of a higher CallManager while on a backup. */
@unmanaged class Link {
  h: i32;
  cm: i32;
  phase: i32;
  deadline: i64;
  /** Bytes of an over-long message still to be skipped. */
  skip: i32;
  /** The keepalive intervals (ms) its RegisterAck gave: for this connection, and for the standby one. */
  keepAlive: i64;
  secondary: i64;
  /** A KeepAlive sent and not yet acknowledged, and how many in a row went unanswered. */
  pending: bool;
  misses: i32;
}
const main = changetype<Link>(memory.data(offsetof<Link>()));
const probe = changetype<Link>(memory.data(offsetof<Link>()));
const standby = changetype<Link>(memory.data(offsetof<Link>()));

// The list, in priority order (filled from the configuration file).
const cmIps = memory.data(MAX_CALLMANAGERS * 4);
const cmPorts = memory.data(MAX_CALLMANAGERS * 4);
export let callManagerCount = 0;
let dscp: u32 = Dscp.Cs3;

export let registerState = RegState.Off;
/** The CallManager the phone is registered with (index), or -1. */
export let registeredCm = -1;
let round = 0;
let attempts = 0;
let backoff: i64 = ALL_DOWN_FIRST;
let retryAt: i64 = NEVER;
let probeAt: i64 = NEVER;
let probeNext = 0;
let keepAliveMs: i64 = 0;
let keepAliveAt: i64 = NEVER;
// The standby connection: its keepalive interval, its next keepalive (or, idle, when it opens), an ack awaited.
let standbyMs: i64 = <i64>SECONDARY_KEEPALIVE_DEFAULT * 1000;
let standbyAt: i64 = NEVER;
let standbyAcked = false;
let standbyOn = true;
const msg = memory.data(96);

// The station set-up (one link at a time sets up: the main one, or the probe while the main one is registered).
let step = Step.Buttons;
let want: u32 = 0;
let lineCount = 0;
let speedDials = 0;
let item = 1;
// What the CallManager gave, for the display: line keys, the time (seconds into the day at timeAt), the status text.
export let lampMode: u32 = 0;
export let ringMode: u32 = 0;
const lineKeys = memory.data(SHOWN_LINES * LINE_KEY);
const lineKeyLen = memory.data(SHOWN_LINES * 4);
let date: i32 = 0;
let daySeconds: i32 = -1;
let timeAt: i64 = 0;
const status = memory.data(32);
let statusLen = 0;
const screen = memory.data(32 + 3 + SHOWN_LINES * (LINE_KEY + 3) + 16);

@inline function cmIp(i: i32): u32 { return load<u32>(cmIps + (<usize>i << 2)); }
@inline function cmPort(i: i32): u32 { return load<u32>(cmPorts + (<usize>i << 2)); }

/** Empties the list; signalling back to DSCP CS3. */
export function registerClear(): void {
  callManagerCount = 0;
  dscp = Dscp.Cs3;
}

/** The DSCP (0..63) of the SCCP connections opened from now on (the configuration's dscpForCm2Dvce). */
export function registerSetDscp(d: u32): void { dscp = d & 63; }

/** Sets entry `i` (0 = primary) of the list; port 0 means SCCP's 2000. */
export function registerSetCallManager(i: i32, ip: u32, port: u32): void {
  if (i < 0 || i >= MAX_CALLMANAGERS) return;
  store<u32>(cmIps + (<usize>i << 2), ip);
  store<u32>(cmPorts + (<usize>i << 2), port == 0 ? SCCP_PORT : port);
  if (i >= callManagerCount) callManagerCount = i + 1;
}

/** With `on` false, no standby connection is opened (the cold failover of before, for comparison); on, the next poll opens it. */
export function registerSetStandby(on: bool): void { standbyOn = on; }

/** The CallManager of the standby connection when it is up (its KeepAlive acknowledged), or -1. */
export function registerStandbyCm(): i32 { return standby.phase == Phase.Standby && standbyAcked ? standby.cm : -1; }

/** Starts registering, from the primary. */
export function registerStart(now: i64): void {
  stopLinks(now, false);
  round = 1;
  attempts = 0;
  backoff = ALL_DOWN_FIRST;
  retryAt = NEVER;
  if (callManagerCount == 0) {
    registerState = RegState.Off;
    event(Ev.RegNoCallManager, 0, 0);
    return;
  }
  connect(main, 0, now);
}

/** Stops: unregisters first when `graceful` (the connections are closed), else drops them. */
export function registerStop(now: i64, graceful: bool): void {
  stopLinks(now, graceful);
  registerState = RegState.Off;
  retryAt = NEVER;
}

function stopLinks(now: i64, graceful: bool): void {
  if (probe.phase != Phase.Idle) drop(probe, now, false);
  if (standby.phase != Phase.Idle) drop(standby, now, graceful);
  standbyAt = NEVER;
  if (main.phase != Phase.Idle) {
    if (graceful && main.phase == Phase.Registered) {
      send(main, SccpMsg.Unregister, now);
      event(Ev.RegUnregistered, main.cm, 0);
    }
    drop(main, now, graceful);
  }
  registeredCm = -1;
  keepAliveAt = probeAt = NEVER;
}

export function registerPoll(now: i64): i64 {
  if (registerState == RegState.AllDown && now >= retryAt) {
    retryAt = NEVER;
    round++;
    attempts = 0;
    connect(main, 0, now);
  }
  if (main.phase != Phase.Idle) service(main, now);
  if (main.phase == Phase.Registered) {
    if (now >= keepAliveAt) keepAlive(now);
    if (probe.phase == Phase.Idle && now >= probeAt && main.cm > 0) startProbe(now);
    if (standby.phase == Phase.Idle && now >= standbyAt && standbyOn) startStandby(now);
  }
  if (probe.phase != Phase.Idle) service(probe, now);
  if (standby.phase != Phase.Idle) service(standby, now);
  if (standby.phase == Phase.Standby && now >= standbyAt) standbyKeepAlive(now);
  let next = min(retryAt, min(keepAliveAt, min(probeAt, standbyOn || standby.phase != Phase.Idle ? standbyAt : NEVER)));
  if (main.phase != Phase.Idle) next = min(next, main.deadline);
  if (probe.phase != Phase.Idle) next = min(next, probe.deadline);
  return next;
}

// ---- one connection ---------------------------------------------------------------

function connect(l: Link, i: i32, now: i64): void {
  l.cm = i;
  l.skip = 0;
  l.deadline = NEVER;
  l.phase = Phase.Connecting;
  if (l == main) registerState = RegState.Connecting;
  event(l == main ? Ev.RegConnecting : l == probe ? Ev.RegProbe : Ev.RegStandby, <i32>cmIp(i), i | <i32>(cmPort(i) << 8));
  l.h = tcpConnect(cmIp(i), cmPort(i), now, dscp);
  if (l.h < 0) fail(l, RegFail.NoConnection, now);
}

/** Closes (FIN) or aborts (RST) the link's connection; the link is idle after. */
function drop(l: Link, now: i64, graceful: bool): void {
  if (graceful) tcpClose(l.h, now);
  else tcpAbort(l.h, now);
  l.phase = Phase.Idle;
  l.h = -1;
  l.deadline = NEVER;
}

function send(l: Link, id: u32, now: i64, arg: u32 = 0): void {
  sccpOut.msgId = id;
  sccpOut.arg = arg;
  if (id == SccpMsg.Register) {
    sccpOut.namePtr = hostName;
    sccpOut.nameLen = hostNameLen;
    sccpOut.userId = 0;
    sccpOut.instance = 1;
    sccpOut.stationIp = myIp;
    sccpOut.deviceType = DEVICE_TYPE_7960;
    sccpOut.maxStreams = MAX_STREAMS;
    sccpOut.protocolVersion = SCCP_PROTOCOL_VERSION;
  } else if (id == SccpMsg.IpPort) {
    sccpOut.rtpPort = RTP_PORT;
  }
  tcpSend(l.h, msg, sccpOut.emit(msg), now);
}

/** Reads what arrived, then looks at the connection's state. */
function service(l: Link, now: i64): void {
  if (l.phase != Phase.Connecting) {
    if (!readMessages(l, now)) return;
  }
  const st = tcpState(l.h);
  if (l.phase == Phase.Connecting) {
    if (st == TcpState.Established) {
      if (l == standby) {
        // Only KeepAlive on the standby connection, the first one at once.
        l.phase = Phase.Standby;
        keepAliveAcked(l);
        standbyKeepAlive(now);
      } else register(l, now);
    } else if (st == TcpState.Closed) {
      const o = tcpOutcome(l.h);
      fail(l, o == TcpOutcome.Refused ? RegFail.Refused : o == TcpOutcome.Timeout ? RegFail.Timeout :
        o == TcpOutcome.Unreachable ? RegFail.Unreachable : RegFail.Reset, now);
    }
    return;
  }
  if (st != TcpState.Established) {
    // The CallManager closed (FIN), reset, or stopped acknowledging.
    const o = tcpOutcome(l.h);
    fail(l, st == TcpState.CloseWait ? RegFail.Closed : o == TcpOutcome.Timeout ? RegFail.Timeout : RegFail.Reset, now);
    return;
  }
  if (l.phase == Phase.Registering && now >= l.deadline) fail(l, RegFail.NoAnswer, now);
  else if (l.phase == Phase.SettingUp && now >= l.deadline) fail(l, RegFail.SetupUnanswered, now);
}

/** StationRegister on the link's established connection. */
function register(l: Link, now: i64): void {
  event(Ev.RegConnected, <i32>cmIp(l.cm), l.cm | <i32>(cmPort(l.cm) << 8));
  send(l, SccpMsg.Register, now);
  l.phase = Phase.Registering;
  l.deadline = now + REGISTER_TIMEOUT;
  if (l == main) registerState = RegState.Registering;
}

/** Handles each complete message; false when the link was dropped meanwhile. */
function readMessages(l: Link, now: i64): bool {
  const h = l.h;
  while (true) {
    const avail = tcpAvailable(h);
    const p = tcpPeek(h);
    if (l.skip > 0) {
      const n = min(avail, l.skip);
      tcpConsume(h, n, now);
      l.skip -= n;
      if (l.skip > 0) return true;
      continue;
    }
    const total = sccpFrameLength(p, avail);
    if (total < 0) {
      count(Ctr.SccpMalformed);
      fail(l, RegFail.Malformed, now);
      return false;
    }
    if (total == 0) {
      // A message longer than the receive buffer can never be whole here: skip it.
      if (avail >= 4 && sccpDeclaredLength(p) > TCP_RCV_BUF) {
        count(Ctr.SccpMalformed);
        l.skip = sccpDeclaredLength(p);
        continue;
      }
      return true;
    }
    let keep = true;
    if (sccpIn.parse(p, total) != 0) count(Ctr.SccpMalformed);
    else keep = handle(l, now);
    // Harmless when the connection was dropped: a closed or new one has nothing buffered.
    tcpConsume(h, total, now);
    if (!keep) return false;
  }
  return true;
}

/** One message from the CallManager (in `sccp`); false when the link was dropped. */
function handle(l: Link, now: i64): bool {
  const id = sccpIn.msgId;
  if (l.phase == Phase.Standby) {
    // Nothing but KeepAliveAck is expected where the phone is not registered.
    if (id == SccpMsg.KeepAliveAck) {
      keepAliveAcked(l);
      if (!standbyAcked) {
        standbyAcked = true;
        event(Ev.RegStandbyConnected, l.cm, <i32>(standbyMs / 1000));
      }
    }
    return true;
  }
  if (id == SccpMsg.Reset) {
    event(Ev.RegReset, <i32>sccpIn.resetType, l.cm);
    stopLinks(now, false);
    registerState = RegState.Off;
    reset(RESET_BY_CALLMANAGER);
    return false;
  }
  if (l.phase >= Phase.SettingUp) {
    if (id == SccpMsg.CapabilitiesReq) {
      send(l, SccpMsg.CapabilitiesRes, now);
      event(Ev.RegCapabilities, l.cm, SCCP_CODECS);
    } else if (l.phase == Phase.SettingUp && id == want) {
      const fallback = l == probe;
      if (!answered(l, now)) return true;
      return !fallback; // after a fallback the connection is the main link's
    } else if (l == main || l.phase == Phase.SettingUp) indicate(id, now);
  }
  if (l.phase == Phase.Registering) {
    if (id == SccpMsg.RegisterAck) {
      startSetup(l, now);
      return true;
    }
    if (id == SccpMsg.RegisterReject) {
      event(Ev.RegRejected, <i32>sccpIn.textPtr, sccpIn.textLen);
      fail(l, RegFail.Rejected, now);
      return false;
    }
  } else if (l.phase == Phase.Registered && id == SccpMsg.KeepAliveAck) {
    keepAliveAcked(l);
  }
  return true;
}

// ---- the station set-up -------------------------------------------------------------

function startSetup(l: Link, now: i64): void {
  let k = sccpIn.keepAlive;
  if (k == 0 || k > KEEPALIVE_MAX) k = KEEPALIVE_DEFAULT;
  let k2 = sccpIn.secondaryKeepAlive;
  if (k2 == 0 || k2 > KEEPALIVE_MAX) k2 = SECONDARY_KEEPALIVE_DEFAULT;
  l.keepAlive = <i64>k * 1000;
  l.secondary = <i64>k2 * 1000;
  l.phase = Phase.SettingUp;
  event(Ev.RegAck, l.cm, <i32>k);
  send(l, SccpMsg.IpPort, now);
  step = Step.Buttons;
  lineCount = speedDials = 0;
  daySeconds = -1;
  statusLen = 0;
  memory.fill(lineKeyLen, 0, SHOWN_LINES * 4);
  request(l, now);
}

/** Sends the request of the current step (skipping steps with nothing to ask); after the last, registered. */
function request(l: Link, now: i64): void {
  l.deadline = now + SETUP_TIMEOUT;
  while (true) {
    switch (step) {
      case Step.Buttons: return ask(l, SccpMsg.ButtonTemplateReq, SccpMsg.ButtonTemplate, 0, now);
      case Step.SoftKeys: return ask(l, SccpMsg.SoftKeyTemplateReq, SccpMsg.SoftKeyTemplateRes, 0, now);
      case Step.SoftKeySets: return ask(l, SccpMsg.SoftKeySetReq, SccpMsg.SoftKeySetRes, 0, now);
      case Step.Config: {
        item = 1;
        return ask(l, SccpMsg.ConfigStatReq, SccpMsg.ConfigStat, 0, now);
      }
      case Step.Lines: {
        if (item <= lineCount) return ask(l, SccpMsg.LineStatReq, SccpMsg.LineStat, item, now);
        item = 1;
        break;
      }
      case Step.SpeedDials: {
        if (item <= speedDials) return ask(l, SccpMsg.SpeedDialStatReq, SccpMsg.SpeedDialStat, item, now);
        break;
      }
      case Step.Forward: return ask(l, SccpMsg.ForwardStatReq, SccpMsg.ForwardStat, 1, now);
      case Step.Time: return ask(l, SccpMsg.TimeDateReq, SccpMsg.DefineTimeDate, 0, now);
      default: {
        registered(l, now);
        return;
      }
    }
    step++;
  }
}

function ask(l: Link, id: u32, answer: u32, arg: i32, now: i64): void {
  want = answer;
  send(l, id, now, <u32>arg);
}

/** The answer the set-up waited for; false while the set-up goes on. */
function answered(l: Link, now: i64): bool {
  const id = sccpIn.msgId;
  if (id == SccpMsg.ButtonTemplate) countButtons();
  else if (id == SccpMsg.LineStat) keepLine();
  else if (id == SccpMsg.DefineTimeDate) {
    date = <i32>(sccpIn.year * 10000 + sccpIn.month * 100 + sccpIn.day);
    daySeconds = <i32>(sccpIn.hour * 3600 + sccpIn.minute * 60 + min(sccpIn.second, 59));
    timeAt = now;
    event(Ev.RegTime, date, daySeconds);
  }
  if (step == Step.Lines || step == Step.SpeedDials) item++;
  else step++;
  request(l, now);
  return step == Step.Done;
}

function countButtons(): void {
  lineCount = speedDials = 0;
  for (let i = 0; i < sccpIn.buttonCount; i++) {
    const def = load<u8>(sccpIn.buttonsPtr + <usize>(i * 2), 1);
    if (def == SccpButton.Line) lineCount++;
    else if (def == SccpButton.SpeedDial) speedDials++;
  }
}

/** LineStat: "1001 Alice" for line key `item` (the first SHOWN_LINES are kept for the display). */
function keepLine(): void {
  const dir = min(sccpIn.textLen, 24);
  const name = min(sccpIn.nameLen2, LINE_KEY - 25);
  const p = lineKeys + <usize>((item - 1) * LINE_KEY);
  if (item <= SHOWN_LINES) {
    memory.copy(p, sccpIn.textPtr, <usize>dir);
    store<u8>(p + <usize>dir, 0x20);
    memory.copy(p + <usize>dir + 1, sccpIn.namePtr2, <usize>name);
    store<i32>(lineKeyLen + (<usize>(item - 1) << 2), dir + 1 + name);
    event(Ev.RegLine, <i32>p, (dir + 1 + name) | (item << 16));
  } else event(Ev.RegLine, <i32>sccpIn.textPtr, dir | (item << 16));
}

/** What the CallManager shows or sets outside the set-up's answers. */
function indicate(id: u32, now: i64): void {
  if (id == SccpMsg.DisplayText || id == SccpMsg.DisplayNotify || id == SccpMsg.DisplayPromptStatus) {
    statusLen = min(sccpIn.textLen, 32);
    memory.copy(status, sccpIn.textPtr, <usize>statusLen);
    event(Ev.RegDisplay, <i32>status, statusLen);
  } else if (id == SccpMsg.ClearPromptStatus) statusLen = 0;
  else if (id == SccpMsg.SetLamp) lampMode = sccpIn.arg3;
  else if (id == SccpMsg.SetRinger) ringMode = sccpIn.arg;
  else return;
  if (registerState == RegState.Registered) registerScreen(now);
}

@inline function putc(n: i32, c: i32): i32 {
  store<u8>(screen + <usize>n, <u8>c);
  return n + 1;
}

function put2(n: i32, v: i32): i32 { return putc(putc(n, 0x30 + v / 10 % 10), 0x30 + v % 10); }

function sep(n: i32): i32 { return putc(putc(putc(n, 0x20), 0x7c), 0x20); }

/** The registered phone's display: the status line, the line keys, the date and time ("Registered | 1001 Alice | 2026-12-02 09:30"). */
export function registerScreen(now: i64): void {
  let n = statusLen;
  if (n > 0) memory.copy(screen, status, <usize>n);
  else n = lcdCopy(Lcd.Registered, screen);
  for (let i = 0; i < SHOWN_LINES; i++) {
    const len = load<i32>(lineKeyLen + (<usize>i << 2));
    if (len == 0) continue;
    n = sep(n);
    memory.copy(screen + <usize>n, lineKeys + <usize>(i * LINE_KEY), <usize>len);
    n += len;
  }
  if (daySeconds >= 0) {
    const t = <i32>((<i64>daySeconds + (now - timeAt) / 1000) % 86400);
    n = sep(n);
    n = put2(put2(n, date / 1000000), date / 10000);
    n = put2(putc(n, 0x2d), date / 100);
    n = put2(putc(n, 0x2d), date);
    n = put2(putc(n, 0x20), t / 3600);
    n = put2(putc(n, 0x3a), t / 60 % 60);
  }
  lcd(screen, n);
}

function registered(l: Link, now: i64): void {
  keepAliveMs = l.keepAlive;
  standbyMs = l.secondary;
  const k = <i32>(keepAliveMs / 1000);
  if (l == probe) {
    // Back to a higher CallManager: leave the backup (Unregister, then FIN).
    const old = main.cm;
    send(main, SccpMsg.Unregister, now);
    drop(main, now, true);
    take(probe);
    event(Ev.RegFallback, main.cm, old);
  }
  main.phase = Phase.Registered;
  main.deadline = NEVER;
  registerState = RegState.Registered;
  registeredCm = main.cm;
  attempts = 0;
  backoff = ALL_DOWN_FIRST;
  keepAliveAt = now + keepAliveMs;
  keepAliveAcked(main);
  probeAt = main.cm > 0 ? now + PRIMARY_RETRY : NEVER;
  probeNext = 0;
  // The standby connection goes to the next CallManager of the list (none after the last: the probe tries the ones above).
  const next = main.cm + 1;
  if (standby.phase != Phase.Idle && standby.cm != next) drop(standby, now, true);
  if (standby.phase == Phase.Idle) standbyAt = next < callManagerCount ? now : NEVER;
  // After a fallback these go on the new main connection, after the old one's Unregister.
  send(main, SccpMsg.RegisterAvailableLines, now, <u32>lineCount);
  send(main, SccpMsg.HeadsetStatus, now, HEADSET_OFF);
  event(Ev.RegRegistered, main.cm, k);
  registerScreen(now);
}

/** A KeepAlive on `l`; false when KEEPALIVE_MISSES in a row went unanswered and the link failed instead. */
function beat(l: Link, now: i64): bool {
  if (l.pending && ++l.misses >= KEEPALIVE_MISSES) {
    fail(l, RegFail.KeepaliveLost, now);
    return false;
  }
  send(l, SccpMsg.KeepAlive, now);
  l.pending = true;
  return true;
}

function keepAliveAcked(l: Link): void {
  l.pending = false;
  l.misses = 0;
}

function keepAlive(now: i64): void {
  if (beat(main, now)) keepAliveAt = now + keepAliveMs;
}

/** The main link takes over `l`'s connection (the probe's or the standby's); `l` is idle after. */
function take(l: Link): void {
  main.h = l.h;
  main.cm = l.cm;
  main.skip = l.skip;
  l.phase = Phase.Idle;
  l.h = -1;
  l.deadline = NEVER;
}

function startStandby(now: i64): void {
  standbyAt = NEVER;
  standbyAcked = false;
  connect(standby, main.cm + 1, now);
}

function standbyKeepAlive(now: i64): void {
  if (beat(standby, now)) standbyAt = now + standbyMs;
}

function startProbe(now: i64): void {
  if (probeNext >= main.cm) probeNext = 0;
  probeAt = NEVER;
  connect(probe, probeNext, now);
}

/** Leaves CallManager `l.cm` for `why`, and goes on to the next (or waits, all down). */
function fail(l: Link, why: i32, now: i64): void {
  if (l == standby) {
    event(Ev.RegStandbyLost, l.cm, why);
    drop(l, now, why == RegFail.Closed);
    standbyAcked = false;
    standbyAt = now + STANDBY_RETRY;
    return;
  }
  event(Ev.RegFailed, l.cm, why);
  const wasRegistered = l.phase == Phase.Registered;
  // A CallManager that answered (rejected us, or closed) gets a FIN; the others a RST.
  drop(l, now, why == RegFail.Rejected || why == RegFail.Closed);
  if (l == probe) {
    probeNext = l.cm + 1;
    probeAt = now + PRIMARY_RETRY;
    return;
  }
  if (probe.phase != Phase.Idle) drop(probe, now, false);
  if (wasRegistered) {
    registeredCm = -1;
    keepAliveAt = probeAt = NEVER;
  }
  standbyAt = NEVER;
  attempts++;
  const next = (l.cm + 1) % callManagerCount;
  const warm = standby.phase != Phase.Idle && standby.cm == next && attempts < callManagerCount;
  if (!warm && standby.phase != Phase.Idle) drop(standby, now, true);
  if (attempts >= callManagerCount) {
    allDown(now);
    return;
  }
  if (warm) {
    // Over the standby connection: StationRegister at once if it is up, else once its handshake completes.
    event(Ev.RegFailover, l.cm, next | FAILOVER_STANDBY);
    const up = standby.phase == Phase.Standby;
    take(standby);
    standbyAcked = false;
    main.phase = Phase.Connecting;
    registerState = RegState.Connecting;
    if (up) register(main, now);
    return;
  }
  event(Ev.RegFailover, l.cm, next);
  connect(main, next, now);
}

function allDown(now: i64): void {
  registerState = RegState.AllDown;
  const wait = backoff + <i64>(random() % <u32>(backoff >> 2));
  backoff = min(backoff << 1, ALL_DOWN_MAX);
  retryAt = now + wait;
  event(Ev.RegAllDown, <i32>wait, round);
}
