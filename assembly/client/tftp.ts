// TFTP read client: RFC 1350 with the option extension (RFC 2347) for
// blksize (RFC 2348), timeout and tsize (RFC 2349) and windowsize (RFC 7440).
// Sans-IO, one transfer at a time, no whole-file buffer: each in-order DATA
// block is handed to a sink (flash writer, the configuration scanner) as it arrives.
//
// Use: tftpInit() once; tftpSetSink(fn); tftpStart(server, name, len,
// capacity, now); call tftpPoll(now) when its deadline comes. Each transfer
// binds its own port in the stack's UDP port table, which hands its datagrams
// to tftpRx(). tftpStatus says how it ended (Done, NotFound, Refused,
// ServerError, Protocol, Timeout).
import { event, random } from "../hal";
import { Ctr, drop } from "../counters";
import { Ev } from "../events";
import { Rto } from "../lib/rto";
import {
  DEFAULT_BLKSIZE, MIN_BLKSIZE, MSG_BAD, MSG_BAD_LEN, MSG_FULL, MSG_FULL_LEN, MSG_OPT, MSG_OPT_LEN, MSG_TID, MSG_TID_LEN, REQ_BLKSIZE, REQ_TIMEOUT,
  REQ_WINDOW, TFTP_NAME_MAX, TFTP_PORT, TftpErr, TftpOp, TftpOpt, TftpRepr,
} from "../wire/tftp";
import { HopWait, udpBind, udpOnError, udpSend, udpSlot, udpTxPayload } from "../net/stack";

const tftpIn = changetype<TftpRepr>(memory.data(offsetof<TftpRepr>()));
const tftpOut = changetype<TftpRepr>(memory.data(offsetof<TftpRepr>()));

/** How the last transfer ended (Running while one is under way). */
export const enum TftpStatus {
  Idle = 0,
  Running = 1,
  /** The whole file went to the sink; tftpSize bytes. */
  Done = 2,
  /** The server said ERROR 1: no such file. */
  NotFound = 3,
  /** The file does not fit (tsize or the data past the capacity: we sent ERROR 3) or the sink refused it (its code). */
  Refused = 4,
  /** The server sent another ERROR; tftpErrorCode is its code. */
  ServerError = 5,
  /** The server broke the protocol (an OACK we cannot accept): we sent ERROR tftpErrorCode (8). */
  Protocol = 6,
  /** No answer after MAX_TRIES timeouts in a row. */
  Timeout = 7,
  /** tftpStart was given a name longer than TFTP_NAME_MAX, or empty. */
  BadName = 8,
  /** ICMP said the server's host or port is unreachable (tftpErrorCode: the ICMP code). */
  Unreachable = 9,
}

/** What a sink did with a block: the transfer goes on, or ends with ERROR 3 (Full) or ERROR 0 "File content refused" (Refused). */
export const enum Sink { Taken = 0, Full = 1, Refused = 2 }

/** Where received data goes: `len` bytes at `p` belong at `offset` of the file. */
export type TftpSink = (offset: u32, p: usize, len: i32) => Sink;

function discard(offset: u32, p: usize, len: i32): Sink { return Sink.Taken; }

const enum Phase { Idle, Request, Transfer, Dally }

const NEVER = i64.MAX_VALUE;
/** Timeouts in a row before giving up (the first packet plus four retransmissions). */
export const MAX_TRIES = 5;
/** Retransmission timeout before any round-trip sample (RFC 6298), its floor and its ceiling, ms. */
export const INITIAL_RTO = 1000;
export const MIN_RTO = 500;
export const MAX_RTO = 8000;
/** While the next hop's MAC is being resolved, try sending again this soon (not a retransmission), or when the reply comes. */
const ARP_RETRY: i64 = 50;
const MAX_ARP_WAITS = 40;
/** After the last ACK, stay to ACK a repeated last block (our ACK was lost), RFC 1350 section 6. */
export const DALLY: i64 = 3000;
const EPHEMERAL_BASE: u32 = 49152;

export let tftpStatus = TftpStatus.Idle;
/** Bytes received so far (= handed to the sink). */
export let tftpSize: u32 = 0;
/** The size the server announced (tsize), 0 when unknown. */
export let tftpTsize: u32 = 0;
/** ServerError: the server's code; Refused/Protocol: the code we sent. */
export let tftpErrorCode: u32 = 0;
/** Negotiated block size and window. */
export let tftpBlksize: u32 = DEFAULT_BLKSIZE;
export let tftpWindow: u32 = 1;
/** Our port (TID) of the current transfer. */
export let tftpLocalPort: u32 = 0;
const rto = changetype<Rto>(memory.data(offsetof<Rto>()));
/** The current retransmission timeout, ms. */
export function tftpRto(): i64 { return rto.rto; }

let sink: TftpSink = discard;
let phase = Phase.Idle;
let deadline: i64 = NEVER;
const name = memory.data(TFTP_NAME_MAX);
let nameLen = 0;
let server: u32 = 0;
let serverPort: u32 = 0; // the server's TID once locked, 0 before
let capacity: u32 = 0;
let withOptions = true;
let expected: u32 = 1; // absolute number of the next block wanted
let lastAcked: u32 = 0; // absolute number of the block last acknowledged
let rollover1 = false; // the server wraps 65535 -> 1 instead of -> 0
let tries = 0;
const hop = changetype<HopWait>(memory.data(offsetof<HopWait>()));
let slot = 0; // in the UDP port table
let gapAcked = false;
let strangerSeen = false;
let lastReAck: i64 = 0;
let startedAt: i64 = 0;
/** When the last ACK/RRQ went out or the last in-order block came; valid = no retransmission since. */
let mark: i64 = 0;
let markValid = false;

/** Sets where data goes (the configuration scanner, the flash writer). */
export function tftpSetSink(s: TftpSink): void { sink = s; }

/**
 * Starts reading `name` (ASCII, `nameLen` bytes) from `server`; at most
 * `capacity` bytes are accepted. Abandons any transfer under way.
 */
export function tftpStart(srv: u32, namePtr: usize, len: i32, cap: u32, now: i64): void {
  idle();
  if (len <= 0 || len > TFTP_NAME_MAX) {
    tftpStatus = TftpStatus.BadName;
    return;
  }
  memory.copy(name, namePtr, <usize>len);
  nameLen = len;
  server = srv;
  capacity = cap;
  withOptions = true;
  rto.init(INITIAL_RTO, MIN_RTO, MAX_RTO);
  startedAt = now;
  strangerSeen = false;
  event(Ev.TftpFile, <i32>name, nameLen);
  request(now);
}

/** No transfer under way: the port is free again. */
function idle(): void {
  phase = Phase.Idle;
  deadline = NEVER;
  udpBind(slot, 0);
}

/** Abandons the transfer without a word (link down, new lease). */
export function tftpStop(): void {
  idle();
  if (tftpStatus == TftpStatus.Running) tftpStatus = TftpStatus.Idle;
}

/** Back to the state at power-on: no transfer, no sink. */
export function tftpReset(): void {
  tftpStop();
  tftpStatus = TftpStatus.Idle;
  tftpSize = tftpTsize = tftpErrorCode = tftpLocalPort = 0;
  tftpBlksize = DEFAULT_BLKSIZE;
  tftpWindow = 1;
  sink = discard;
  rto.init(INITIAL_RTO, MIN_RTO, MAX_RTO);
}

/** A new RRQ from a new port: a fresh transfer (the first one, or plain after options were refused). */
function request(now: i64): void {
  tftpStatus = TftpStatus.Running;
  phase = Phase.Request;
  tftpLocalPort = EPHEMERAL_BASE + random() % 16384;
  udpBind(slot, tftpLocalPort);
  serverPort = 0;
  tftpSize = 0;
  tftpTsize = 0;
  tftpErrorCode = 0;
  tftpBlksize = DEFAULT_BLKSIZE;
  tftpWindow = 1;
  rollover1 = false;
  tries = 0;
  hop.clear();
  sendRrq(now);
}

function sendRrq(now: i64): void {
  tftpOut.op = TftpOp.Rrq;
  tftpOut.namePtr = name;
  tftpOut.nameLen = nameLen;
  tftpOut.options = withOptions ? TftpOpt.Blksize | TftpOpt.Tsize | TftpOpt.Timeout | TftpOpt.Windowsize : 0;
  tftpOut.blksize = REQ_BLKSIZE;
  tftpOut.tsize = 0;
  tftpOut.timeout = REQ_TIMEOUT;
  tftpOut.windowsize = REQ_WINDOW;
  if (!udpSend(server, tftpLocalPort, TFTP_PORT, tftpOut.emit(udpTxPayload()), now)) {
    waitArp(now);
    return;
  }
  if (tries == 0) event(Ev.TftpRequest, <i32>server, withOptions ? 1 : 0);
  arm(now);
}

/** The next hop is being resolved: send again soon; after a while it counts as a lost packet. */
function waitArp(now: i64): void {
  if (hop.hold(server, now, ARP_RETRY, MAX_ARP_WAITS)) {
    deadline = hop.retryAt;
    markValid = false;
  } else {
    arm(now);
  }
}

/** Something went out: time it, and wait one RTO for what comes next. */
function arm(now: i64): void {
  hop.clear();
  if (tries == 0) {
    mark = now;
    markValid = true;
  }
  deadline = now + rto.rto;
}

function sendAck(block: u32, now: i64): bool {
  tftpOut.op = TftpOp.Ack;
  tftpOut.block = wire(block);
  return udpSend(server, tftpLocalPort, serverPort, tftpOut.emit(udpTxPayload()), now);
}

function sendError(code: u32, msg: usize, msgLen: i32, dst: u32, dstPort: u32, now: i64): void {
  tftpOut.op = TftpOp.Error;
  tftpOut.block = code;
  tftpOut.dataPtr = msg;
  tftpOut.dataLen = msgLen;
  udpSend(dst, tftpLocalPort, dstPort, tftpOut.emit(udpTxPayload()), now);
}

export function tftpPoll(now: i64): i64 {
  if (now >= deadline || hop.ready(now)) onTimer(now);
  return deadline;
}

function onTimer(now: i64): void {
  if (phase == Phase.Dally || phase == Phase.Idle) {
    idle();
    return;
  }
  if (hop.waiting) {
    // Nothing went out yet: try again, not a retransmission.
    if (phase == Phase.Request) sendRrq(now);
    else if (sendAck(lastAcked, now)) arm(now);
    else waitArp(now);
    return;
  }
  if (++tries >= MAX_TRIES) {
    finish(TftpStatus.Timeout, 0);
    event(Ev.TftpTimeout, <i32>server, <i32>tftpSize);
    return;
  }
  // Karn: no sample across a retransmission; back off.
  markValid = false;
  rto.backoff();
  if (phase == Phase.Request) {
    event(Ev.TftpRetransmit, -1, tries);
    sendRrq(now);
  } else {
    // RFC 7440: on a timeout, acknowledge the last block received in order.
    lastAcked = expected - 1;
    gapAcked = false;
    event(Ev.TftpRetransmit, <i32>lastAcked, tries);
    if (sendAck(lastAcked, now)) arm(now);
    else waitArp(now);
  }
}

function finish(status: TftpStatus, code: u32): void {
  tftpStatus = status;
  tftpErrorCode = code;
  idle();
}

/** We end the transfer: ERROR `code` to the peer. */
function abort(status: TftpStatus, code: u32, dst: u32, dstPort: u32, now: i64): bool {
  if (code == TftpErr.DiskFull) sendError(code, MSG_FULL, MSG_FULL_LEN, dst, dstPort, now);
  else if (code == TftpErr.Undefined) sendError(code, MSG_BAD, MSG_BAD_LEN, dst, dstPort, now);
  else sendError(code, MSG_OPT, MSG_OPT_LEN, dst, dstPort, now);
  event(Ev.TftpAbort, <i32>code, <i32>tftpSize);
  finish(status, code);
  return true;
}

/** Progress: a sample since the last mark if nothing was retransmitted, then a new mark. */
function progress(now: i64): void {
  if (markValid) rto.sample(<i32>(now - mark));
  mark = now;
  markValid = true;
  tries = 0;
}

// ---- block numbers ----------------------------------------------------------

/** The 16-bit number of absolute block `n`: 65535 wraps to 0 (tftpd-hpa, dnsmasq), or to 1 once seen. */
@inline function wire(n: u32): u32 {
  return rollover1 ? (n - 1) % 65535 + 1 : n & 0xffff;
}

/** How far block `b` is from the one expected: 0 in order, > 0 ahead, < 0 already received. */
function delta(b: u32): i32 {
  if (!rollover1) {
    // A server that wraps to 1 (some do): only recognisable in lockstep, where
    // block 1 after 65535 cannot be anything else.
    if (tftpWindow == 1 && b == 1 && (expected & 0xffff) == 0 && expected > 0) {
      rollover1 = true;
      return 0;
    }
    return <i32><i16>(b - (expected & 0xffff));
  }
  if (b == 0) return 0x7fff;
  let d = <i32>b - <i32>wire(expected);
  if (d > 32767) d -= 65535;
  else if (d < -32767) d += 65535;
  return d;
}

// ---- receiving ----------------------------------------------------------------

/**
 * Handles the `len`-byte UDP payload at `p` sent from srcIp:srcPort to our
 * transfer port. Returns true when accepted.
 */
export function tftpRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  if (phase == Phase.Idle) return drop(Ctr.DropUdpPort);
  const err = tftpIn.parse(p, len);
  if (err != 0) return drop(err);
  const op = tftpIn.op;
  const locked = serverPort != 0;
  if (srcIp != server || (locked && srcPort != serverPort)) return stranger(srcIp, srcPort, now);
  if (op == TftpOp.Error) return onError(now);
  if (phase == Phase.Request) {
    if (op == TftpOp.Oack) return onOack(srcPort, now);
    if (op == TftpOp.Data && tftpIn.block == 1) {
      // The server ignored the options: RFC 1350 lockstep with 512-byte blocks.
      if (withOptions) event(Ev.TftpPlain, <i32>server, 0);
      lock(srcPort, now);
      return onData(now);
    }
    return drop(Ctr.DropTftpUnexpected);
  }
  if (phase == Phase.Transfer) {
    if (op == TftpOp.Data) return onData(now);
    // Our ACK of the OACK was lost: the server repeats the OACK.
    if (op == TftpOp.Oack && expected == 1) {
      reAck(now);
      return drop(Ctr.DropTftpDuplicate);
    }
    return drop(Ctr.DropTftpUnexpected);
  }
  // Dallying after the last block: the server repeats it when our last ACK was lost.
  if (op == TftpOp.Data && delta(tftpIn.block) == -1) {
    reAck(now);
    return drop(Ctr.DropTftpDuplicate);
  }
  return drop(Ctr.DropTftpUnexpected);
}

/** RFC 1350 section 4: a packet from another TID gets ERROR 5; the transfer goes on. */
function stranger(ip: u32, port: u32, now: i64): bool {
  if (tftpIn.op != TftpOp.Error) sendError(TftpErr.UnknownTid, MSG_TID, MSG_TID_LEN, ip, port, now);
  if (!strangerSeen) {
    strangerSeen = true;
    event(Ev.TftpStranger, <i32>ip, <i32>port);
  }
  return drop(Ctr.DropTftpTid);
}

function lock(port: u32, now: i64): void {
  serverPort = port;
  phase = Phase.Transfer;
  expected = 1;
  lastAcked = 0;
  gapAcked = false;
  lastReAck = now - rto.rto;
}

function onError(now: i64): bool {
  const code = tftpIn.block;
  if (phase == Phase.Dally) return drop(Ctr.DropTftpUnexpected);
  if (code == TftpErr.Options && phase == Phase.Request && withOptions) {
    // RFC 2347: the server refuses the options; ask again without them.
    event(Ev.TftpPlain, <i32>server, 1);
    withOptions = false;
    request(now);
    return true;
  }
  if (code == TftpErr.NotFound) {
    event(Ev.TftpNotFound, <i32>server, 0);
    finish(TftpStatus.NotFound, code);
  } else {
    event(Ev.TftpError, <i32>code, <i32>server);
    finish(TftpStatus.ServerError, code);
  }
  return true;
}

/** The OACK: only options we asked for, within what we asked (RFC 2347-2349, 7440); else ERROR 8. */
function onOack(port: u32, now: i64): bool {
  const opts = tftpIn.options;
  const blk = tftpIn.blksize;
  const win = tftpIn.windowsize;
  let ok = withOptions && !tftpIn.bad;
  if ((opts & TftpOpt.Blksize) != 0 && (blk < MIN_BLKSIZE || blk > REQ_BLKSIZE)) ok = false;
  if ((opts & TftpOpt.Windowsize) != 0 && (win < 1 || win > REQ_WINDOW)) ok = false;
  if ((opts & TftpOpt.Timeout) != 0 && tftpIn.timeout != REQ_TIMEOUT) ok = false;
  if (!ok) return abort(TftpStatus.Protocol, TftpErr.Options, server, port, now);
  if ((opts & TftpOpt.Tsize) != 0) {
    const size = tftpIn.tsize;
    tftpTsize = size > 0xffff_ffff ? 0xffff_ffff : <u32>size;
    event(Ev.TftpSize, <i32>tftpTsize, <i32>capacity);
    if (size > <u64>capacity) return abort(TftpStatus.Refused, TftpErr.DiskFull, server, port, now);
  }
  tftpBlksize = (opts & TftpOpt.Blksize) != 0 ? blk : DEFAULT_BLKSIZE;
  tftpWindow = (opts & TftpOpt.Windowsize) != 0 ? win : 1;
  event(Ev.TftpOptions, <i32>tftpBlksize, <i32>tftpWindow);
  lock(port, now);
  progress(now);
  if (sendAck(0, now)) arm(now);
  else waitArp(now);
  return true;
}

function onData(now: i64): bool {
  const len = tftpIn.dataLen;
  const d = delta(tftpIn.block);
  if (d != 0) {
    if (d > 0) {
      // A gap: RFC 7440 says tell the sender once by acknowledging the last block in order.
      // Blocks past the window are not the server's (or it ignores the window): no answer.
      if (!gapAcked && <u32>d < tftpWindow) {
        gapAcked = true;
        markValid = false;
        lastAcked = expected - 1;
        if (sendAck(lastAcked, now)) deadline = now + rto.rto;
      }
      return drop(Ctr.DropTftpOutOfOrder);
    }
    // Already received. A repeat of the block we last acknowledged means our ACK
    // was lost: acknowledge again, at most once per RTO (no Sorcerer's Apprentice).
    if (<u32>(-d) == expected - lastAcked) reAck(now);
    return drop(Ctr.DropTftpDuplicate);
  }
  if (<u32>len > tftpBlksize) return drop(Ctr.DropTftpMalformed);
  if (<u64>tftpSize + <u64>len > <u64>capacity) {
    return abort(TftpStatus.Refused, TftpErr.DiskFull, server, serverPort, now);
  }
  const taken = len > 0 ? sink(tftpSize, tftpIn.dataPtr, len) : Sink.Taken;
  if (taken != Sink.Taken) return abort(TftpStatus.Refused, taken == Sink.Full ? TftpErr.DiskFull : TftpErr.Undefined, server, serverPort, now);
  tftpSize += <u32>len;
  progress(now);
  gapAcked = false;
  const block = expected++;
  if (<u32>len < tftpBlksize) {
    // The last block: acknowledge it, then dally to repeat that ACK if it was lost.
    lastAcked = block;
    sendAck(block, now);
    event(Ev.TftpDone, <i32>tftpSize, <i32>(now - startedAt));
    tftpStatus = TftpStatus.Done;
    phase = Phase.Dally;
    deadline = now + DALLY;
    return true;
  }
  if (block - lastAcked >= tftpWindow) {
    lastAcked = block;
    if (sendAck(block, now)) arm(now);
    else waitArp(now);
  } else {
    deadline = now + rto.rto;
  }
  return true;
}

/** Acknowledges the last acknowledged block again, at most once per RTO. */
function reAck(now: i64): void {
  if (now - lastReAck < rto.rto) return;
  lastReAck = now;
  markValid = false;
  sendAck(lastAcked, now);
}

/**
 * ICMP destination unreachable for a datagram we sent to the server's port
 * (69 for the RRQ, its TID after): the transfer ends now, no more waiting.
 */
function tftpUnreachable(dst: u32, dstPort: u32, code: u32, now: i64): bool {
  if (phase != Phase.Request && phase != Phase.Transfer) return false;
  if (dst != server || dstPort != (serverPort != 0 ? serverPort : TFTP_PORT)) return false;
  event(Ev.TftpUnreachable, <i32>server, <i32>code);
  finish(TftpStatus.Unreachable, code);
  return true;
}

/** Takes a slot in the UDP port table (each transfer binds its own port); once, at start. */
export function tftpInit(): void {
  slot = udpSlot(tftpRx);
  udpOnError(slot, tftpUnreachable);
}
