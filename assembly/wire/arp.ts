// ARP (RFC 826) for IPv4 over Ethernet: the packet record.
import { get16, get32, get8, getMac, put16, put32, putMac } from "../lib/bytes";
import { Ctr } from "../counters";

export const ARP_LEN = 28;
export const enum ArpOp { Request = 1, Reply = 2 }

@unmanaged export class ArpRepr {
  op: u32;
  senderMac: u64;
  senderIp: u32;
  targetMac: u64;
  targetIp: u32;

  /** Checks an Ethernet/IPv4 ARP packet. Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < ARP_LEN) return Ctr.DropArpMalformed;
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
    if (get32(p) != 0x0001_0800 || get16(p + 4) != 0x0604) return Ctr.DropArpMalformed;
    const op = get16(p + 6);
    if (op != ArpOp.Request && op != ArpOp.Reply) return Ctr.DropArpMalformed;
    // A group address cannot be a sender: never cache or answer it.
    if ((get8(p + 8) & 1) != 0) return Ctr.DropArpMalformed;
    this.op = op;
    this.senderMac = getMac(p + 8);
    this.senderIp = get32(p + 14);
    this.targetMac = getMac(p + 18);
    this.targetIp = get32(p + 24);
    return 0;
  }

  emit(p: usize): i32 {
    put32(p, 0x0001_0800);
    put16(p + 4, 0x0604);
    put16(p + 6, this.op);
    putMac(p + 8, this.senderMac);
    put32(p + 14, this.senderIp);
    putMac(p + 18, this.targetMac);
    put32(p + 24, this.targetIp);
    return ARP_LEN;
  }
}
