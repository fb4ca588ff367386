// TFTP read client: RFC 1350 with the option extension (RFC 2347) for
// blksize (RFC 2348), timeout and tsize (RFC 2349) and windowsize (RFC 7440).
// Sans-IO, one transfer at a time, no whole-file buffer: each in-order DATA
// block is handed to a sink (flash writer, config buffer) as it arrives.
//
// Use: tftpSetSink(fn); tftpStart(server, name, len, capacity, now); call
// tftpPoll(now) when its deadline comes; the UDP receive path hands every
// datagram whose destination port tftpOwns() to tftpRx(). tftpStatus says
// how it ended (Done, NotFound, Refused, ServerError, Protocol, Timeout).
import { event, random } from "../hal";
import { get16, get8, put16, put8 } from "../lib/bytes";
import { Ctr, drop } from "../counters";
import { Ev } from "../events";
import { canSend, udpSend, udpTxPayload } from "./stack";

export const TFTP_PORT: u32 = 69;
export const enum TftpOp { Rrq = 1, Wrq = 2, Data = 3, Ack = 4, Error = 5, Oack = 6 }
export const enum TftpErr {
  Undefined = 0, NotFound = 1, Access = 2, DiskFull = 3, Illegal = 4, UnknownTid = 5,
  Exists = 6, NoUser = 7, Options = 8,
}
/** Bits of TftpRepr.options: which options an OACK carried (or an RRQ asks for). */
export const enum TftpOpt { Blksize = 1, Tsize = 2, Timeout = 4, Windowsize = 8 }

/** RFC 1350 block size, used when the server does not take the blksize option. */
export const DEFAULT_BLKSIZE: u32 = 512;
/**
 * The block size asked for: the largest whose DATA fits a 1500-byte IP MTU
 * (1500 - 20 IP - 8 UDP - 4 TFTP = 1468 would fit; 1428 leaves room for IP
 * options or a tunnel, as Cisco phones ask). An 802.1Q tag does not shrink the IP MTU.
 */
export const REQ_BLKSIZE: u32 = 1428;
/**
 * Blocks per window asked for (RFC 7440). RFC 7440 senders stop after each
 * window until its ACK comes back, so the link idles one round trip per
 * window. A 1428-byte block is a 1474-byte frame, 118 us at 100 Mbit/s; with
 * a 1 ms round trip plus the last frame's second hop, a window of W blocks
 * carries W*1428 bytes per (W*118 + 1128) us: W = 124 is the least that
 * reaches 90 % of the link rate, 256 gives 93 % (the ceiling is 1428/1474 =
 * 97 %). The receiver buffers nothing per block, so a big window costs no RAM.
 */
export const REQ_WINDOW: u32 = 256;
/** Seconds the server should wait before retransmitting (RFC 2349). */
export const REQ_TIMEOUT: u32 = 1;
const MIN_BLKSIZE: u32 = 8;
/** Longest file name this client asks for. */
export const TFTP_NAME_MAX = 128;

// "octet", option names, and the messages of the ERROR packets we send.
const OCTET = memory.data<u8>([111, 99, 116, 101, 116]);
const BLKSIZE = memory.data<u8>([98, 108, 107, 115, 105, 122, 101]);
const TSIZE = memory.data<u8>([116, 115, 105, 122, 101]);
const TIMEOUT = memory.data<u8>([116, 105, 109, 101, 111, 117, 116]);
const WINDOWSIZE = memory.data<u8>([119, 105, 110, 100, 111, 119, 115, 105, 122, 101]);
// "Disk full or allocation exceeded"
const MSG_FULL = memory.data<u8>([68, 105, 115, 107, 32, 102, 117, 108, 108, 32, 111, 114, 32, 97, 108, 108, 111, 99, 97, 116, 105, 111, 110, 32, 101, 120, 99, 101, 101, 100, 101, 100]);
const MSG_FULL_LEN = 32;
// "Unknown transfer ID"
const MSG_TID = memory.data<u8>([85, 110, 107, 110, 111, 119, 110, 32, 116, 114, 97, 110, 115, 102, 101, 114, 32, 73, 68]);
const MSG_TID_LEN = 19;
// "Option negotiation failed"
const MSG_OPT = memory.data<u8>([79, 112, 116, 105, 111, 110, 32, 110, 101, 103, 111, 116, 105, 97, 116, 105, 111, 110, 32, 102, 97, 105, 108, 101, 100]);
const MSG_OPT_LEN = 25;

/** Option values past this are saturated (tsize beyond any destination). */
const VALUE_MAX: u64 = 0xff_ffff_ffff;

/**
 * One TFTP packet. parse() reads what a server sends (DATA, ERROR, OACK; any
 * opcode is reported, the client decides what it may receive); emit() writes
 * what a client sends (RRQ with the options of `options`, ACK, ERROR).
 */
@unmanaged export class TftpRepr {
  op: u32;
  /** DATA and ACK: the block number; ERROR: the error code. */
  block: u32;
  /** DATA: the data; ERROR: the message without its NUL (emit: the message to send). */
  dataPtr: usize;
  dataLen: i32;
  /** OACK: the options it carried; RRQ emit: the options to ask for. */
  options: u32;
  /** OACK: an option we do not know, one given twice, or a value that is not a decimal number. */
  bad: bool;
  blksize: u32;
  tsize: u64;
  timeout: u32;
  windowsize: u32;
  /** RRQ emit: the file name. */
  namePtr: usize;
  nameLen: i32;

  /** Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < 2) return Ctr.DropTftpMalformed;
    const op = get16(p);
    this.op = op;
    this.dataPtr = 0;
    this.dataLen = 0;
    if (op == TftpOp.Data || op == TftpOp.Ack) {
      if (len < 4) return Ctr.DropTftpMalformed;
      this.block = get16(p + 2);
      this.dataPtr = p + 4;
      this.dataLen = len - 4;
      return 0;
    }
    if (op == TftpOp.Error) {
      if (len < 4) return Ctr.DropTftpMalformed;
      this.block = get16(p + 2);
      // The message should end in a NUL; a missing one is tolerated (the code is what matters).
      let n = 0;
      while (4 + n < len && get8(p + 4 + <usize>n) != 0) n++;
      this.dataPtr = p + 4;
      this.dataLen = n;
      return 0;
    }
    if (op == TftpOp.Oack) return this.parseOptions(p + 2, len - 2);
    if (op == TftpOp.Rrq || op == TftpOp.Wrq) return 0; // a request: the client only needs the opcode
    return Ctr.DropTftpMalformed;
  }

  /** "name\0value\0" pairs; every string must end inside the packet. */
  private parseOptions(p: usize, len: i32): i32 {
    this.options = 0;
    this.bad = false;
    this.blksize = this.timeout = this.windowsize = 0;
    this.tsize = 0;
    let i = 0;
    while (i < len) {
      const name = i;
      const nameEnd = strEnd(p, i, len);
      if (nameEnd < 0) return Ctr.DropTftpMalformed;
      const value = nameEnd + 1;
      const valueEnd = strEnd(p, value, len);
      if (valueEnd < 0) return Ctr.DropTftpMalformed;
      i = valueEnd + 1;
      const v = decimal(p + <usize>value, valueEnd - value);
      const nameLen = nameEnd - name;
      const np = p + <usize>name;
      let bit: u32 = 0;
      if (nameIs(np, nameLen, BLKSIZE, 7)) bit = TftpOpt.Blksize;
      else if (nameIs(np, nameLen, TSIZE, 5)) bit = TftpOpt.Tsize;
      else if (nameIs(np, nameLen, TIMEOUT, 7)) bit = TftpOpt.Timeout;
      else if (nameIs(np, nameLen, WINDOWSIZE, 10)) bit = TftpOpt.Windowsize;
      if (bit == 0 || (this.options & bit) != 0 || v < 0) {
        this.bad = true;
        continue;
      }
      this.options |= bit;
      const u = <u64>v;
      const small = u > 0xffff_ffff ? 0xffff_ffff : <u32>u;
      if (bit == TftpOpt.Blksize) this.blksize = small;
      else if (bit == TftpOpt.Tsize) this.tsize = u;
      else if (bit == TftpOpt.Timeout) this.timeout = small;
      else this.windowsize = small;
    }
    return 0;
  }

  /** Writes an RRQ, ACK or ERROR (by `op`) at `p`; returns its length. */
  emit(p: usize): i32 {
    put16(p, this.op);
    if (this.op == TftpOp.Ack) {
      put16(p + 2, this.block);
      return 4;
    }
    if (this.op == TftpOp.Error) {
      put16(p + 2, this.block);
      memory.copy(p + 4, this.dataPtr, <usize>this.dataLen);
      put8(p + 4 + <usize>this.dataLen, 0);
      return 5 + this.dataLen;
    }
    // RRQ: name, mode, then the options asked for.
    let o = putStr(p + 2, this.namePtr, this.nameLen);
    o = putStr(o, OCTET, 5);
    const opts = this.options;
    if ((opts & TftpOpt.Blksize) != 0) o = putDecimal(putStr(o, BLKSIZE, 7), <u64>this.blksize);
    if ((opts & TftpOpt.Tsize) != 0) o = putDecimal(putStr(o, TSIZE, 5), this.tsize);
    if ((opts & TftpOpt.Timeout) != 0) o = putDecimal(putStr(o, TIMEOUT, 7), <u64>this.timeout);
    if ((opts & TftpOpt.Windowsize) != 0) o = putDecimal(putStr(o, WINDOWSIZE, 10), <u64>this.windowsize);
    return <i32>(o - p);
  }
}
export const tftp = changetype<TftpRepr>(memory.data(offsetof<TftpRepr>()));

/** Index of the NUL ending the string that starts at `i`, or -1 if none before `len`. */
function strEnd(p: usize, i: i32, len: i32): i32 {
  while (i < len) {
    if (get8(p + <usize>i) == 0) return i;
    i++;
  }
  return -1;
}

/** A decimal number of 1 to 20 digits (saturated at VALUE_MAX), or -1. */
function decimal(p: usize, n: i32): i64 {
  if (n < 1 || n > 20) return -1;
  let v: u64 = 0;
  for (let i = 0; i < n; i++) {
    const c = get8(p + <usize>i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + <u64>(c - 48);
    if (v > VALUE_MAX) v = VALUE_MAX;
  }
  return <i64>v;
}

/** Case-insensitive comparison with a lower-case option name (RFC 2347). */
function nameIs(p: usize, n: i32, key: usize, keyLen: i32): bool {
  if (n != keyLen) return false;
  for (let i = 0; i < n; i++) {
    if ((get8(p + <usize>i) | 0x20) != get8(key + <usize>i)) return false;
  }
  return true;
}

function putStr(o: usize, src: usize, n: i32): usize {
  memory.copy(o, src, <usize>n);
  put8(o + <usize>n, 0);
  return o + <usize>n + 1;
}

function putDecimal(o: usize, v: u64): usize {
  let digits = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    put8(o + <usize>i, <u32>(v % 10) + 48);
    v /= 10;
  }
  put8(o + <usize>digits, 0);
  return o + <usize>digits + 1;
}

// ---- the client ---------------------------------------------------------------

/** How the last transfer ended (Running while one is under way). */
export const enum TftpStatus {
  Idle = 0,
  Running = 1,
  /** The whole file went to the sink; tftpSize bytes. */
  Done = 2,
  /** The server said ERROR 1: no such file. */
  NotFound = 3,
  /** The file does not fit (tsize or the data past the capacity) or the sink refused: we sent ERROR 3. */
  Refused = 4,
  /** The server sent another ERROR; tftpErrorCode is its code. */
  ServerError = 5,
  /** The server broke the protocol (an OACK we cannot accept): we sent ERROR tftpErrorCode (8). */
  Protocol = 6,
  /** No answer after MAX_TRIES timeouts in a row. */
  Timeout = 7,
  /** tftpStart was given a name longer than TFTP_NAME_MAX, or empty. */
  BadName = 8,
}

/** Where received data goes: `len` bytes at `p` belong at `offset` of the file. false = cannot store: abort. */
export type TftpSink = (offset: u32, p: usize, len: i32) => bool;

function discard(offset: u32, p: usize, len: i32): bool { return true; }

const enum Phase { Idle, Request, Transfer, Dally }

const NEVER = i64.MAX_VALUE;
/** Timeouts in a row before giving up (the first packet plus four retransmissions). */
export const MAX_TRIES = 5;
/** Retransmission timeout before any round-trip sample (RFC 6298), its floor and its ceiling, ms. */
export const INITIAL_RTO: i64 = 1000;
export const MIN_RTO: i64 = 500;
export const MAX_RTO: i64 = 8000;
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
/** The current retransmission timeout, ms. */
export let tftpRto: i64 = INITIAL_RTO;

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
let arpWaits = 0;
let gapAcked = false;
let strangerSeen = false;
let lastReAck: i64 = 0;
let startedAt: i64 = 0;
// Round-trip estimate (RFC 6298), ms scaled by 8 and 4; -1 = no sample yet.
let srtt8: i64 = -1;
let rttvar4: i64 = 0;
/** When the last ACK/RRQ went out or the last in-order block came; valid = no retransmission since. */
let mark: i64 = 0;
let markValid = false;

/** Sets where data goes (the config buffer, the flash writer). */
export function tftpSetSink(s: TftpSink): void { sink = s; }

/**
 * Starts reading `name` (ASCII, `nameLen` bytes) from `server`; at most
 * `capacity` bytes are accepted. Abandons any transfer under way.
 */
export function tftpStart(srv: u32, namePtr: usize, len: i32, cap: u32, now: i64): void {
  phase = Phase.Idle;
  deadline = NEVER;
  if (len <= 0 || len > TFTP_NAME_MAX) {
    tftpStatus = TftpStatus.BadName;
    return;
  }
  memory.copy(name, namePtr, <usize>len);
  nameLen = len;
  server = srv;
  capacity = cap;
  withOptions = true;
  srtt8 = -1;
  rttvar4 = 0;
  tftpRto = INITIAL_RTO;
  startedAt = now;
  strangerSeen = false;
  event(Ev.TftpFile, <i32>name, nameLen);
  request(now);
}

/** Abandons the transfer without a word (link down, new lease). */
export function tftpStop(): void {
  phase = Phase.Idle;
  deadline = NEVER;
  if (tftpStatus == TftpStatus.Running) tftpStatus = TftpStatus.Idle;
}

/** A new RRQ from a new port: a fresh transfer (the first one, or plain after options were refused). */
function request(now: i64): void {
  tftpStatus = TftpStatus.Running;
  phase = Phase.Request;
  tftpLocalPort = EPHEMERAL_BASE + random() % 16384;
  serverPort = 0;
  tftpSize = 0;
  tftpTsize = 0;
  tftpErrorCode = 0;
  tftpBlksize = DEFAULT_BLKSIZE;
  tftpWindow = 1;
  rollover1 = false;
  tries = 0;
  arpWaits = 0;
  sendRrq(now);
}

function sendRrq(now: i64): void {
  tftp.op = TftpOp.Rrq;
  tftp.namePtr = name;
  tftp.nameLen = nameLen;
  tftp.options = withOptions ? TftpOpt.Blksize | TftpOpt.Tsize | TftpOpt.Timeout | TftpOpt.Windowsize : 0;
  tftp.blksize = REQ_BLKSIZE;
  tftp.tsize = 0;
  tftp.timeout = REQ_TIMEOUT;
  tftp.windowsize = REQ_WINDOW;
  if (!udpSend(server, tftpLocalPort, TFTP_PORT, tftp.emit(udpTxPayload()), now)) {
    waitArp(now);
    return;
  }
  if (tries == 0) event(Ev.TftpRequest, <i32>server, withOptions ? 1 : 0);
  arm(now);
}

/** The next hop is being resolved: send again soon; after a while it counts as a lost packet. */
function waitArp(now: i64): void {
  if (++arpWaits <= MAX_ARP_WAITS) {
    deadline = now + ARP_RETRY;
    markValid = false;
  } else {
    arm(now);
  }
}

/** Something went out: time it, and wait one RTO for what comes next. */
function arm(now: i64): void {
  arpWaits = 0;
  if (tries == 0) {
    mark = now;
    markValid = true;
  }
  deadline = now + tftpRto;
}

function sendAck(block: u32, now: i64): bool {
  tftp.op = TftpOp.Ack;
  tftp.block = wire(block);
  return udpSend(server, tftpLocalPort, serverPort, tftp.emit(udpTxPayload()), now);
}

function sendError(code: u32, msg: usize, msgLen: i32, dst: u32, dstPort: u32, now: i64): void {
  tftp.op = TftpOp.Error;
  tftp.block = code;
  tftp.dataPtr = msg;
  tftp.dataLen = msgLen;
  udpSend(dst, tftpLocalPort, dstPort, tftp.emit(udpTxPayload()), now);
}

export function tftpPoll(now: i64): i64 {
  if (now >= deadline || (arpWaits > 0 && canSend(server, now))) onTimer(now);
  return deadline;
}

function onTimer(now: i64): void {
  if (phase == Phase.Dally) {
    phase = Phase.Idle;
    deadline = NEVER;
    return;
  }
  if (phase == Phase.Idle) {
    deadline = NEVER;
    return;
  }
  if (arpWaits > 0) {
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
  tftpRto = min(tftpRto * 2, MAX_RTO);
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
  phase = Phase.Idle;
  deadline = NEVER;
}

/** We end the transfer: ERROR `code` to the peer. */
function abort(status: TftpStatus, code: u32, dst: u32, dstPort: u32, now: i64): bool {
  if (code == TftpErr.DiskFull) sendError(code, MSG_FULL, MSG_FULL_LEN, dst, dstPort, now);
  else sendError(code, MSG_OPT, MSG_OPT_LEN, dst, dstPort, now);
  event(Ev.TftpAbort, <i32>code, <i32>tftpSize);
  finish(status, code);
  return true;
}

/** A round-trip sample of `r` ms updates the RTO (RFC 6298 2.2, 2.3). */
function sample(r: i64): void {
  if (srtt8 < 0) {
    srtt8 = r << 3;
    rttvar4 = r << 1;
  } else {
    const err = r - (srtt8 >> 3);
    srtt8 += err;
    rttvar4 += (err < 0 ? -err : err) - (rttvar4 >> 2);
  }
  const rto = (srtt8 >> 3) + max<i64>(1, rttvar4);
  tftpRto = rto < MIN_RTO ? MIN_RTO : rto > MAX_RTO ? MAX_RTO : rto;
}

/** Progress: a sample since the last mark if nothing was retransmitted, then a new mark. */
function progress(now: i64): void {
  if (markValid) sample(now - mark);
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

/** True when `dstPort` is the port of the transfer under way (or dallying after it). */
export function tftpOwns(dstPort: u32): bool {
  return phase != Phase.Idle && dstPort == tftpLocalPort;
}

/**
 * Handles the `len`-byte UDP payload at `p` sent from srcIp:srcPort to our
 * transfer port (check tftpOwns first). Returns true when accepted.
 */
export function tftpRx(p: usize, len: i32, srcIp: u32, srcPort: u32, now: i64): bool {
  if (phase == Phase.Idle) return drop(Ctr.DropUdpPort);
  const err = tftp.parse(p, len);
  if (err != 0) return drop(err);
  const op = tftp.op;
  const locked = serverPort != 0;
  if (srcIp != server || (locked && srcPort != serverPort)) return stranger(srcIp, srcPort, now);
  if (op == TftpOp.Error) return onError(now);
  if (phase == Phase.Request) {
    if (op == TftpOp.Oack) return onOack(srcPort, now);
    if (op == TftpOp.Data && tftp.block == 1) {
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
  if (op == TftpOp.Data && delta(tftp.block) == -1) {
    reAck(now);
    return drop(Ctr.DropTftpDuplicate);
  }
  return drop(Ctr.DropTftpUnexpected);
}

/** RFC 1350 section 4: a packet from another TID gets ERROR 5; the transfer goes on. */
function stranger(ip: u32, port: u32, now: i64): bool {
  if (tftp.op != TftpOp.Error) sendError(TftpErr.UnknownTid, MSG_TID, MSG_TID_LEN, ip, port, now);
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
  lastReAck = now - tftpRto;
}

function onError(now: i64): bool {
  const code = tftp.block;
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
  const opts = tftp.options;
  const blk = tftp.blksize;
  const win = tftp.windowsize;
  let ok = withOptions && !tftp.bad;
  if ((opts & TftpOpt.Blksize) != 0 && (blk < MIN_BLKSIZE || blk > REQ_BLKSIZE)) ok = false;
  if ((opts & TftpOpt.Windowsize) != 0 && (win < 1 || win > REQ_WINDOW)) ok = false;
  if ((opts & TftpOpt.Timeout) != 0 && tftp.timeout != REQ_TIMEOUT) ok = false;
  if (!ok) return abort(TftpStatus.Protocol, TftpErr.Options, server, port, now);
  if ((opts & TftpOpt.Tsize) != 0) {
    const size = tftp.tsize;
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
  const len = tftp.dataLen;
  const d = delta(tftp.block);
  if (d != 0) {
    if (d > 0) {
      // A gap: RFC 7440 says tell the sender once by acknowledging the last block in order.
      // Blocks past the window are not the server's (or it ignores the window): no answer.
      if (!gapAcked && <u32>d < tftpWindow) {
        gapAcked = true;
        markValid = false;
        lastAcked = expected - 1;
        if (sendAck(lastAcked, now)) deadline = now + tftpRto;
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
  if (len > 0 && !sink(tftpSize, tftp.dataPtr, len)) {
    return abort(TftpStatus.Refused, TftpErr.DiskFull, server, serverPort, now);
  }
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
    deadline = now + tftpRto;
  }
  return true;
}

/** Acknowledges the last acknowledged block again, at most once per RTO. */
function reAck(now: i64): void {
  if (now - lastReAck < tftpRto) return;
  lastReAck = now;
  markValid = false;
  sendAck(lastAcked, now);
}
