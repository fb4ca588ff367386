// ICMP (RFC 792): the phone answers echo requests, as RFC 1122 requires,
// and reads destination unreachable errors (the datagram they quote).
import { checksum, get16, get32, get8, put16, put8 } from "../lib/bytes";
import { Ctr } from "../counters";
import { ipHeaderLen, IPV4_HEADER } from "./ipv4";

export const ICMP_HEADER = 8;
export const enum IcmpType { EchoReply = 0, Unreachable = 3, EchoRequest = 8 }
/** Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1). */
export const enum IcmpUnreach { Net = 0, Host = 1, Protocol = 2, Port = 3 }
/** An error quotes the IPv4 header and at least the first 8 bytes of what it carried (RFC 792). */
const QUOTED_L4 = 8;

@unmanaged export class IcmpRepr {
  type: u32;
  code: u32;
  ident: u32;
  seq: u32;
  payloadLen: i32;

  /** Checks the message at `p` (`len` bytes). Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < ICMP_HEADER) return Ctr.DropIcmpMalformed;
    if (checksum(p, len) != 0) return Ctr.DropIcmpChecksum;
    this.type = get8(p);
    this.code = get8(p + 1);
    this.ident = get16(p + 4);
    this.seq = get16(p + 6);
    this.payloadLen = len - ICMP_HEADER;
    return 0;
  }

  /** Writes the header in front of the payload already at `p + 8`, with its checksum. */
  emit(p: usize): i32 {
    put8(p, this.type);
    put8(p + 1, this.code);
    put16(p + 2, 0);
    put16(p + 4, this.ident);
    put16(p + 6, this.seq);
    put16(p + 2, checksum(p, ICMP_HEADER + this.payloadLen));
    return ICMP_HEADER;
  }
}

/**
 * The datagram an ICMP error quotes (the payload after its 8-byte header):
 * its IPv4 addresses and protocol, and from the first 8 bytes of UDP or TCP
 * the ports and, for TCP, the sequence number.
 */
@unmanaged export class IcmpQuote {
  src: u32;
  dst: u32;
  proto: u32;
  srcPort: u32;
  dstPort: u32;
  seq: u32;

  /** Reads the quote of `len` bytes at `p`. Returns 0, or Ctr.DropIcmpMalformed. */
  parse(p: usize, len: i32): i32 {
    if (len < IPV4_HEADER + QUOTED_L4 || get8(p) >> 4 != 4) return Ctr.DropIcmpMalformed;
    const hl = ipHeaderLen(p);
    if (hl < IPV4_HEADER || hl + QUOTED_L4 > len) return Ctr.DropIcmpMalformed;
    this.proto = get8(p + 9);
    this.src = get32(p + 12);
    this.dst = get32(p + 16);
    const l4 = p + <usize>hl;
    this.srcPort = get16(l4);
    this.dstPort = get16(l4 + 2);
    this.seq = get32(l4 + 4);
    return 0;
  }
}
