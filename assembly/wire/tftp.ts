// TFTP packets (RFC 1350) with the option extension (RFC 2347-2349, 7440).
import { get16, get8, put16, put8 } from "../lib/bytes";
import { Ctr } from "../counters";

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
export const MIN_BLKSIZE: u32 = 8;
/** Longest file name this client asks for. */
export const TFTP_NAME_MAX = 128;

// "octet", option names, and the messages of the ERROR packets we send.
const OCTET = memory.data<u8>([111, 99, 116, 101, 116]);
const BLKSIZE = memory.data<u8>([98, 108, 107, 115, 105, 122, 101]);
const TSIZE = memory.data<u8>([116, 115, 105, 122, 101]);
const TIMEOUT = memory.data<u8>([116, 105, 109, 101, 111, 117, 116]);
const WINDOWSIZE = memory.data<u8>([119, 105, 110, 100, 111, 119, 115, 105, 122, 101]);
// "Disk full or allocation exceeded"
export const MSG_FULL = memory.data<u8>([68, 105, 115, 107, 32, 102, 117, 108, 108, 32, 111, 114, 32, 97, 108, 108, 111, 99, 97, 116, 105, 111, 110, 32, 101, 120, 99, 101, 101, 100, 101, 100]);
export const MSG_FULL_LEN = 32;
// "Unknown transfer ID"
export const MSG_TID = memory.data<u8>([85, 110, 107, 110, 111, 119, 110, 32, 116, 114, 97, 110, 115, 102, 101, 114, 32, 73, 68]);
export const MSG_TID_LEN = 19;
// "Option negotiation failed"
export const MSG_OPT = memory.data<u8>([79, 112, 116, 105, 111, 110, 32, 110, 101, 103, 111, 116, 105, 97, 116, 105, 111, 110, 32, 102, 97, 105, 108, 101, 100]);
export const MSG_OPT_LEN = 25;
// "File content refused"
export const MSG_BAD = memory.data<u8>([70, 105, 108, 101, 32, 99, 111, 110, 116, 101, 110, 116, 32, 114, 101, 102, 117, 115, 101, 100]);
export const MSG_BAD_LEN = 20;

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
