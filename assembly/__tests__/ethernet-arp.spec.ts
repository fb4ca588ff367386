import { fromHex, scratch, toHex } from "./hex";
import { ARP_REQUEST, ETH } from "./fixtures";
import { eth } from "./records";
import { EtherType, ETH_HEADER } from "../wire/ethernet";
import { arp } from "./records";
import { ArpOp, ARP_LEN } from "../wire/arp";
import { Ctr } from "../counters";
import { resetFirmware } from "./reset";

const out = memory.data(128);

describe("Ethernet", () => {
  beforeAll(resetFirmware);
  it("parses the header of a scapy frame and emits the same bytes", () => {
    const n = fromHex(ARP_REQUEST);
    expect(eth.parse(scratch, n)).toBe(0);
    expect(eth.dst).toBe(0xffff_ffff_ffff);
    expect(eth.src).toBe(0x001b54c2a710);
    expect(eth.etherType).toBe(EtherType.Arp);
    expect(eth.emit(out)).toBe(ETH_HEADER);
    expect(toHex(out, ETH_HEADER)).toBe(toHex(scratch, ETH_HEADER));
  });

  it("rejects a frame shorter than its header", () => {
    fromHex(ARP_REQUEST);
    expect(eth.parse(scratch, 13)).toBe(Ctr.DropEthTruncated);
    expect(eth.parse(scratch, 0)).toBe(Ctr.DropEthTruncated);
  });
});

describe("ARP", () => {
  beforeAll(resetFirmware);
  it("parses a scapy request and emits the same bytes", () => {
    fromHex(ARP_REQUEST);
    const p = scratch + ETH;
    expect(arp.parse(p, ARP_LEN)).toBe(0);
    expect(arp.op).toBe(ArpOp.Request);
    expect(arp.senderMac).toBe(0x001b54c2a710);
    expect(arp.senderIp).toBe(0xc0000232);
    expect(arp.targetMac).toBe(0);
    expect(arp.targetIp).toBe(0xc0000201);
    expect(arp.emit(out)).toBe(ARP_LEN);
    expect(toHex(out, ARP_LEN)).toBe(toHex(p, ARP_LEN));
  });

  it("rejects truncated packets, other hardware or protocol types, and unknown operations", () => {
    fromHex(ARP_REQUEST);
    const p = scratch + ETH;
    expect(arp.parse(p, ARP_LEN - 1)).toBe(Ctr.DropArpMalformed);
    store<u8>(p + 7, 3); // op 3 (RARP request)
    expect(arp.parse(p, ARP_LEN)).toBe(Ctr.DropArpMalformed);
    store<u8>(p + 7, 1);
    store<u8>(p + 1, 6); // htype 6 (IEEE 802)
    expect(arp.parse(p, ARP_LEN)).toBe(Ctr.DropArpMalformed);
    store<u8>(p + 1, 1);
    store<u8>(p + 4, 8); // hlen 8
    expect(arp.parse(p, ARP_LEN)).toBe(Ctr.DropArpMalformed);
  });
});
