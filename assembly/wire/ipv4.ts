// IPv4 (RFC 791). Options are skipped; fragments are dropped (the phone's
// protocols never need reassembly, and keeping none costs no RAM).
import { checksum, get16, get32, get8, put16, put32, put8 } from "../lib/bytes";
import { Ctr } from "../counters";

export const IPV4_HEADER = 20;
export const enum IpProto { Icmp = 1, Tcp = 6, Udp = 17 }
export const IP_BROADCAST: u32 = 0xffff_ffff;
const DEFAULT_TTL: u32 = 64;

@inline export function ipHeaderLen(p: usize): i32 { return <i32>(get8(p) & 0xf) << 2; }
@inline export function ipTotalLen(p: usize): i32 { return <i32>get16(p + 2); }
@inline export function ipProto(p: usize): u32 { return get8(p + 9); }
@inline export function ipSrc(p: usize): u32 { return get32(p + 12); }
@inline export function ipDst(p: usize): u32 { return get32(p + 16); }

/**
 * DiffServ code points as Cisco phones mark their traffic (Cisco's QoS
 * baseline, RFC 4594): call signalling CS3, voice bearer EF. The class
 * selector's top three bits give the 802.1p CoS (3 and 5).
 */
export const enum Dscp { Default = 0, Cs3 = 24, Ef = 46 }

@unmanaged export class Ipv4Repr {
  src: u32;
  /** The TOS byte: DSCP << 2 (ECN not used). */
  tos: u32;
  dst: u32;
  proto: u32;
  ttl: u32;
  ident: u32;
  /** Header length as received (options included); 20 on emit. */
  headerLen: i32;
  payloadLen: i32;

  /** Checks the header of the `len`-byte packet at `p`. Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < IPV4_HEADER) return Ctr.DropIpTruncated;
    if (get8(p) >> 4 != 4) return Ctr.DropIpVersion;
    const hl = ipHeaderLen(p);
    if (hl < IPV4_HEADER || hl > len) return Ctr.DropIpHeaderLength;
    const total = ipTotalLen(p);
    if (total < hl || total > len) return Ctr.DropIpTotalLength;
    if (checksum(p, hl) != 0) return Ctr.DropIpChecksum;
    // More-fragments set, or a non-zero offset: part of a fragmented datagram.
    if ((get16(p + 6) & 0x3fff) != 0) return Ctr.DropIpFragment;
    this.src = ipSrc(p);
    this.dst = ipDst(p);
    this.proto = ipProto(p);
    this.ttl = get8(p + 8);
    this.ident = get16(p + 4);
    this.headerLen = hl;
    this.payloadLen = total - hl;
    return 0;
  }

  /** Writes a 20-byte header (no options) for `payloadLen` bytes; returns 20. */
  emit(p: usize): i32 {
    put8(p, 0x45);
    put8(p + 1, this.tos);
    put16(p + 2, <u32>(IPV4_HEADER + this.payloadLen));
    put16(p + 4, this.ident);
    put16(p + 6, 0);
    put8(p + 8, this.ttl);
    put8(p + 9, this.proto);
    put16(p + 10, 0);
    put32(p + 12, this.src);
    put32(p + 16, this.dst);
    put16(p + 10, checksum(p, IPV4_HEADER));
    this.headerLen = IPV4_HEADER;
    return IPV4_HEADER;
  }

  /** Fills the fields of an outgoing datagram. */
  set(src: u32, dst: u32, proto: u32, payloadLen: i32): void {
    this.src = src;
    this.dst = dst;
    this.proto = proto;
    this.payloadLen = payloadLen;
    this.ttl = DEFAULT_TTL;
    this.tos = 0;
  }
}
export const ipv4 = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));

/** Prefix length of a contiguous netmask (a non-contiguous one counts its leading ones). */
export function prefixLen(mask: u32): i32 { return <i32>clz<u32>(~mask); }
