// TCP segments (RFC 9293): the header record and sequence-number arithmetic.
import { fold, get16, get32, get8, pseudoSum, put16, put32, put8, sum16 } from "../lib/bytes";
import { Ctr } from "../counters";
import { IpProto } from "./ipv4";

export const TCP_HEADER = 20;
const MSS_OPTION = 4;
export const enum TcpFlag { Fin = 1, Syn = 2, Rst = 4, Psh = 8, Ack = 16 }

/**
 * One TCP segment. parse() checks the header, the checksum (over the IPv4
 * pseudo-header) and the options, and reads the MSS option; emit() writes a
 * header (with the MSS option when `mss` is set) in front of the
 * `payloadLen` bytes already at `p + TCP_HEADER`.
 */
@unmanaged export class TcpRepr {
  srcPort: u32;
  dstPort: u32;
  seq: u32;
  ack: u32;
  flags: u32;
  window: u32;
  /** MSS option: received value, or the value to send (0 = none). */
  mss: u32;
  headerLen: i32;
  payloadLen: i32;

  /** Checks the `len`-byte segment at `p` (IP payload). Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32, src: u32, dst: u32): i32 {
    if (len < TCP_HEADER) return Ctr.DropTcpMalformed;
    const hl = <i32>(get8(p + 12) >> 4) << 2;
    if (hl < TCP_HEADER || hl > len) return Ctr.DropTcpMalformed;
    if (fold(sum16(p, len, pseudoSum(src, dst, IpProto.Tcp, len))) != 0) return Ctr.DropTcpChecksum;
    this.mss = 0;
    let i = TCP_HEADER;
    while (i < hl) {
      const kind = get8(p + <usize>i);
      if (kind == 0) break; // end of options
      if (kind == 1) { i++; continue; } // no-op
      if (i + 2 > hl) return Ctr.DropTcpMalformed;
      const n = <i32>get8(p + <usize>i + 1);
      if (n < 2 || i + n > hl) return Ctr.DropTcpMalformed;
      if (kind == 2 && n == 4) this.mss = get16(p + <usize>i + 2);
      i += n;
    }
    this.srcPort = get16(p);
    this.dstPort = get16(p + 2);
    this.seq = get32(p + 4);
    this.ack = get32(p + 8);
    this.flags = get8(p + 13) & 0x3f;
    this.window = get16(p + 14);
    this.headerLen = hl;
    this.payloadLen = len - hl;
    return 0;
  }

  /** Writes the header at `p` and the checksum; returns the segment's length. */
  emit(p: usize, src: u32, dst: u32): i32 {
    const hl = this.mss != 0 ? TCP_HEADER + MSS_OPTION : TCP_HEADER;
    put16(p, this.srcPort);
    put16(p + 2, this.dstPort);
    put32(p + 4, this.seq);
    put32(p + 8, this.ack);
    put8(p + 12, <u32>(hl >> 2) << 4);
    put8(p + 13, this.flags);
    put16(p + 14, this.window);
    put32(p + 16, 0); // checksum, urgent pointer
    if (this.mss != 0) {
      put8(p + 20, 2);
      put8(p + 21, 4);
      put16(p + 22, this.mss);
    }
    const len = hl + this.payloadLen;
    put16(p + 16, fold(sum16(p, len, pseudoSum(src, dst, IpProto.Tcp, len))));
    this.headerLen = hl;
    return len;
  }
}

// ---- sequence numbers: modulo 2^32 (RFC 9293 3.4) -----------------------------

@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline export function seqLe(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
@inline export function seqGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }
/** start <= x < start + len */
@inline export function inWindow(x: u32, start: u32, len: u32): bool { return x - start < len; }
