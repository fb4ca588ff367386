// ICMP (RFC 792): the phone answers echo requests, as RFC 1122 requires.
import { checksum, get16, get8, put16, put8 } from "../lib/bytes";
import { Ctr } from "../counters";

export const ICMP_HEADER = 8;
export const enum IcmpType { EchoReply = 0, EchoRequest = 8 }

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
