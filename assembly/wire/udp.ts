// UDP (RFC 768), checksum over the IPv4 pseudo-header.
import { fold, get16, pseudoSum, put16, sum16 } from "../lib/bytes";
import { Ctr } from "../counters";
import { IpProto } from "./ipv4";

export const UDP_HEADER = 8;

@unmanaged export class UdpRepr {
  srcPort: u32;
  dstPort: u32;
  payloadLen: i32;

  /** Checks the datagram at `p` (`len` bytes of IP payload). Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32, src: u32, dst: u32): i32 {
    if (len < UDP_HEADER) return Ctr.DropUdpMalformed;
    const ulen = <i32>get16(p + 4);
    if (ulen < UDP_HEADER || ulen > len) return Ctr.DropUdpMalformed;
    // A zero checksum means the sender computed none (allowed for IPv4).
    if (get16(p + 6) != 0 && fold(sum16(p, ulen, pseudoSum(src, dst, IpProto.Udp, ulen))) != 0) {
      return Ctr.DropUdpChecksum;
    }
    this.srcPort = get16(p);
    this.dstPort = get16(p + 2);
    this.payloadLen = ulen - UDP_HEADER;
    return 0;
  }

  /** Writes the header in front of the payload already at `p + 8`, with its checksum. */
  emit(p: usize, src: u32, dst: u32): i32 {
    const ulen = UDP_HEADER + this.payloadLen;
    put16(p, this.srcPort);
    put16(p + 2, this.dstPort);
    put16(p + 4, <u32>ulen);
    put16(p + 6, 0);
    const c = fold(sum16(p, ulen, pseudoSum(src, dst, IpProto.Udp, ulen)));
    put16(p + 6, c == 0 ? 0xffff : c);
    return UDP_HEADER;
  }
}
