import { fromHex, scratch, toHex } from "./hex";
import { ICMP_ECHO, IP, IP_FIRST_FRAGMENT, IP_WITH_OPTIONS, UDP, UDP_DATAGRAM } from "./fixtures";
import { IpProto, IPV4_HEADER, prefixLen } from "../wire/ipv4";
import { ipv4 } from "./records";
import { icmp } from "./records";
import { IcmpType, ICMP_HEADER } from "../wire/icmp";
import { udp } from "./records";
import { UDP_HEADER } from "../wire/udp";
import { Ctr } from "../counters";
import { resetFirmware } from "./reset";

const out = memory.data(256);

describe("IPv4", () => {
  beforeAll(resetFirmware);
  it("parses a scapy header and emits the same bytes", () => {
    const n = fromHex(ICMP_ECHO);
    expect(ipv4.parse(scratch, n)).toBe(0);
    expect(ipv4.src).toBe(0xc0000201);
    expect(ipv4.dst).toBe(0xc0000232);
    expect(ipv4.proto).toBe(IpProto.Icmp);
    expect(ipv4.ttl).toBe(64);
    expect(ipv4.ident).toBe(0x1234);
    expect(ipv4.headerLen).toBe(IPV4_HEADER);
    expect(ipv4.payloadLen).toBe(n - IPV4_HEADER);
    expect(ipv4.emit(out)).toBe(IPV4_HEADER);
    expect(toHex(out, IPV4_HEADER)).toBe(toHex(scratch, IPV4_HEADER));
  });

  it("skips options (record route) to find the payload", () => {
    const n = fromHex(IP_WITH_OPTIONS);
    expect(ipv4.parse(scratch, n)).toBe(0);
    expect(ipv4.headerLen).toBe(28);
    expect(ipv4.payloadLen).toBe(9);
    expect(udp.parse(scratch + 28, ipv4.payloadLen, ipv4.src, ipv4.dst)).toBe(0);
    expect(udp.dstPort).toBe(2000);
  });

  it("drops a fragment", () => {
    const n = fromHex(IP_FIRST_FRAGMENT);
    expect(ipv4.parse(scratch, n)).toBe(Ctr.DropIpFragment);
  });

  it("names each kind of bad header", () => {
    const n = fromHex(ICMP_ECHO);
    expect(ipv4.parse(scratch, 19)).toBe(Ctr.DropIpTruncated);
    expect(ipv4.parse(scratch, n - 1)).toBe(Ctr.DropIpTotalLength); // total length says more than arrived
    store<u8>(scratch + 10, load<u8>(scratch + 10) ^ 1);
    expect(ipv4.parse(scratch, n)).toBe(Ctr.DropIpChecksum);
    fromHex(ICMP_ECHO);
    store<u8>(scratch, 0x65);
    expect(ipv4.parse(scratch, n)).toBe(Ctr.DropIpVersion);
    store<u8>(scratch, 0x44); // header length 16 bytes
    expect(ipv4.parse(scratch, n)).toBe(Ctr.DropIpHeaderLength);
    store<u8>(scratch, 0x4f); // 60 bytes, more than the packet
    expect(ipv4.parse(scratch, n)).toBe(Ctr.DropIpHeaderLength);
  });

  it("derives prefix lengths from masks", () => {
    expect(prefixLen(0xffffff00)).toBe(24);
    expect(prefixLen(0xffffffff)).toBe(32);
    expect(prefixLen(0)).toBe(0);
    expect(prefixLen(0xfffffff0)).toBe(28);
  });
});

describe("ICMP", () => {
  beforeAll(resetFirmware);
  it("parses a scapy echo request and emits the same bytes", () => {
    const n = fromHex(ICMP_ECHO);
    const p = scratch + IP;
    const len = n - IP;
    expect(icmp.parse(p, len)).toBe(0);
    expect(icmp.type).toBe(IcmpType.EchoRequest);
    expect(icmp.ident).toBe(0x77);
    expect(icmp.seq).toBe(3);
    expect(icmp.payloadLen).toBe(12);
    memory.copy(out + ICMP_HEADER, p + ICMP_HEADER, 12);
    expect(icmp.emit(out)).toBe(ICMP_HEADER);
    expect(toHex(out, len)).toBe(toHex(p, len));
  });

  it("rejects a bad checksum and a truncated header", () => {
    const n = fromHex(ICMP_ECHO);
    const p = scratch + IP;
    expect(icmp.parse(p, 7)).toBe(Ctr.DropIcmpMalformed);
    store<u8>(p + 10, 0x21);
    expect(icmp.parse(p, n - IP)).toBe(Ctr.DropIcmpChecksum);
  });
});

describe("UDP", () => {
  beforeAll(resetFirmware);
  it("parses a scapy datagram, checks its pseudo-header checksum and emits the same bytes", () => {
    const n = fromHex(UDP_DATAGRAM);
    const p = scratch + IP;
    const len = n - IP;
    expect(udp.parse(p, len, 0xc0000201, 0xc0000232)).toBe(0);
    expect(udp.srcPort).toBe(69);
    expect(udp.dstPort).toBe(50000);
    expect(udp.payloadLen).toBe(11);
    memory.copy(out + UDP_HEADER, p + UDP_HEADER, 11);
    expect(udp.emit(out, 0xc0000201, 0xc0000232)).toBe(UDP_HEADER);
    expect(toHex(out, len)).toBe(toHex(p, len));
  });

  it("rejects a checksum over the wrong addresses, and bad lengths", () => {
    const n = fromHex(UDP_DATAGRAM);
    const p = scratch + IP;
    expect(udp.parse(p, n - IP, 0xc0000201, 0xc0000233)).toBe(Ctr.DropUdpChecksum);
    expect(udp.parse(p, 7, 0xc0000201, 0xc0000232)).toBe(Ctr.DropUdpMalformed);
    expect(udp.parse(p, n - IP - 1, 0xc0000201, 0xc0000232)).toBe(Ctr.DropUdpMalformed);
  });

  it("accepts a datagram sent without a checksum", () => {
    const n = fromHex(UDP_DATAGRAM);
    const p = scratch + IP;
    store<u16>(p + 6, 0);
    expect(udp.parse(p, n - IP, 0xc0000201, 0xc0000299)).toBe(0);
  });
});
