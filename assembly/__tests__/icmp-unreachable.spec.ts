// ICMP destination unreachable (RFC 1122 4.1.3.3): it ends a TFTP transfer
// or a TCP connect under way only when the datagram it quotes is one the
// exchange sent, to the peer it talks to; forgeries and floods change nothing.
import { IcmpQuote } from "../wire/icmp";
import { TFTP_PORT } from "../wire/tftp";
import { TftpStatus, tftpErrorCode, tftpLocalPort, tftpRx, tftpStart, tftpStatus } from "../client/tftp";
import { TcpOutcome, TcpState, tcpConnect, tcpOutcome, tcpState } from "../net/tcp";
import { configure, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame, udpBound } from "../net/stack";
import { arpFlush } from "../net/arp";
import { checksum, get16, get32, put16, put32, putMac } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { resetFirmware } from "./reset";
import { learnArp } from "./arp-reply";

const PHONE_MAC: u64 = 0x001b54c2a710;
const PHONE_IP: u32 = 0xc0000232; // 192.0.2.50
const SERVER: u32 = 0xc000020a; // 192.0.2.10
const SERVER_MAC: u64 = 0x02005e00020a;
const OTHER: u32 = 0xc0000263; // 192.0.2.99
const CM: u32 = 0xc000020b; // 192.0.2.11
const CM_MAC: u64 = 0x02005e00020b;
const NAME = memory.data<u8>([83, 69, 80, 46, 99, 110, 102]); // "SEP.cnf"
const ICMP = 14 + 20; // the ICMP message in rxBuf
const QUOTE = ICMP + 8; // the quoted IPv4 header
const QUOTE_LEN = 28; // its 20 bytes and the first 8 of UDP or TCP
const pkt = memory.data(600);

function setup(now: i64): void {
  setMac(PHONE_MAC);
  configure(PHONE_IP, 0xffffff00, 0);
  arpFlush();
  learnArp(SERVER, SERVER_MAC, now);
  learnArp(CM, CM_MAC, now);
}

/** ICMP destination unreachable `code` from `src`, quoting the frame the phone sent last; returns its length. */
function unreachable(code: u32, src: u32): i32 {
  putMac(rxBuf, PHONE_MAC);
  putMac(rxBuf + 6, SERVER_MAC);
  put16(rxBuf + 12, 0x0800);
  const ip = rxBuf + 14;
  store<u8>(ip, 0x45); store<u8>(ip + 1, 0); put16(ip + 2, 20 + 8 + QUOTE_LEN); put32(ip + 4, 0);
  store<u8>(ip + 8, 64); store<u8>(ip + 9, 1); put16(ip + 10, 0); put32(ip + 12, src); put32(ip + 16, PHONE_IP);
  put16(ip + 10, checksum(ip, 20));
  const m = rxBuf + ICMP;
  store<u8>(m, 3); store<u8>(m + 1, <u8>code); put32(m + 4, 0);
  memory.copy(rxBuf + QUOTE, txBuf + 14, QUOTE_LEN);
  seal();
  return 14 + 20 + 8 + QUOTE_LEN;
}

/** The ICMP checksum again, after a field of the quote was changed. */
function seal(): void {
  const m = rxBuf + ICMP;
  put16(m + 2, 0);
  put16(m + 2, checksum(m, 8 + QUOTE_LEN));
}

function forged16(at: i32, v: u32): i32 {
  const n = unreachable(3, SERVER);
  put16(rxBuf + QUOTE + at, v);
  seal();
  return n;
}

function forged32(at: i32, v: u32): i32 {
  const n = unreachable(3, SERVER);
  put32(rxBuf + QUOTE + at, v);
  seal();
  return n;
}

describe("ICMP quote", () => {
  it("reads the quoted addresses, protocol, ports and sequence number", () => {
    const q = changetype<IcmpQuote>(memory.data(offsetof<IcmpQuote>()));
    const h: u8[] = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 50, 192, 0, 2, 11, 0xc3, 0x50, 0x07, 0xd0, 1, 2, 3, 4];
    for (let i = 0; i < h.length; i++) store<u8>(pkt + <usize>i, h[i]);
    expect(q.parse(pkt, 28)).toBe(0);
    expect(q.proto).toBe(6);
    expect(q.src).toBe(PHONE_IP);
    expect(q.dst).toBe(CM);
    expect(q.srcPort).toBe(50000);
    expect(q.dstPort).toBe(2000);
    expect(q.seq).toBe(0x01020304);
  });

  it("refuses a quote without 8 bytes past its header, or not IPv4", () => {
    const q = changetype<IcmpQuote>(memory.data(offsetof<IcmpQuote>()));
    for (let n = 0; n < 28; n++) expect(q.parse(pkt, n)).toBe(Ctr.DropIcmpMalformed);
    store<u8>(pkt, 0x46); // 24-byte header: 32 bytes needed
    expect(q.parse(pkt, 28)).toBe(Ctr.DropIcmpMalformed);
    store<u8>(pkt, 0x65);
    expect(q.parse(pkt, 28)).toBe(Ctr.DropIcmpMalformed);
  });
});

describe("ICMP unreachable and TFTP", () => {
  beforeEach(resetFirmware);

  it("port unreachable for the RRQ ends the transfer at once", () => {
    setup(0);
    tftpStart(SERVER, NAME, 7, 4096, 0);
    const port = tftpLocalPort;
    expect(udpBound(port)).toBe(true);
    onFrame(unreachable(3, SERVER), 40);
    expect(tftpStatus).toBe(TftpStatus.Unreachable);
    expect(tftpErrorCode).toBe(3);
    expect(udpBound(port)).toBe(false);
    expect(counterValue(Ctr.IcmpErrors)).toBe(1);
    expect(counterValue(Ctr.DropIcmpError)).toBe(0);
  });

  it("host unreachable from a router ends it too", () => {
    setup(0);
    tftpStart(SERVER, NAME, 7, 4096, 0);
    onFrame(unreachable(1, 0xc0000201), 40);
    expect(tftpStatus).toBe(TftpStatus.Unreachable);
    expect(tftpErrorCode).toBe(1);
  });

  it("a forged quote (another port or address, not our datagram) or another code changes nothing", () => {
    setup(0);
    tftpStart(SERVER, NAME, 7, 4096, 0);
    const port = tftpLocalPort;
    onFrame(forged16(22, 70), 10); // to another server port
    onFrame(forged32(16, OTHER), 20); // to another server
    onFrame(forged16(20, port ^ 1), 30); // from a port the transfer does not use
    onFrame(forged32(12, OTHER), 40); // not sent by us
    onFrame(unreachable(0, SERVER), 50); // net unreachable: a soft error
    onFrame(unreachable(2, SERVER), 60); // protocol unreachable: not ours to act on
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(udpBound(port)).toBe(true);
    expect(counterValue(Ctr.DropIcmpError)).toBe(6);
    expect(counterValue(Ctr.IcmpErrors)).toBe(0);
    // A bad checksum is no ICMP at all.
    const n = unreachable(3, SERVER);
    store<u8>(rxBuf + ICMP + 2, load<u8>(rxBuf + ICMP + 2) ^ 1);
    onFrame(n, 70);
    expect(counterValue(Ctr.DropIcmpChecksum)).toBe(1);
    expect(tftpStatus).toBe(TftpStatus.Running);
  });

  it("once the server's TID is locked, only a quote to that TID counts", () => {
    setup(0);
    tftpStart(SERVER, NAME, 7, 4096, 0);
    // DATA block 1 from TID 40001 (the server ignored the options): the phone ACKs it to that port.
    put16(pkt, 3); put16(pkt + 2, 1);
    for (let i = 0; i < 512; i++) store<u8>(pkt + 4 + <usize>i, 0);
    expect(tftpRx(pkt, 4 + 512, SERVER, 40001, 20)).toBe(true);
    expect(get16(txBuf + 14 + 22)).toBe(40001);
    onFrame(forged16(22, TFTP_PORT), 30); // the RRQ's destination, no longer the exchange's
    expect(tftpStatus).toBe(TftpStatus.Running);
    onFrame(unreachable(3, SERVER), 40);
    expect(tftpStatus).toBe(TftpStatus.Unreachable);
  });

  it("at most 8 errors a second are looked at: a flood cannot keep cutting exchanges", () => {
    setup(0);
    tftpStart(SERVER, NAME, 7, 4096, 0);
    for (let i = 0; i < 8; i++) onFrame(forged16(22, 70), 100);
    onFrame(unreachable(3, SERVER), 100);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(counterValue(Ctr.DropIcmpError)).toBe(9);
    onFrame(unreachable(3, SERVER), 1100);
    expect(tftpStatus).toBe(TftpStatus.Unreachable);
  });
});

describe("ICMP unreachable and TCP", () => {
  beforeEach(resetFirmware);

  it("port unreachable quoting our SYN ends the connect: the outcome says unreachable", () => {
    setup(0);
    const h = tcpConnect(CM, 2000, 0);
    expect(get32(txBuf + 14 + 16)).toBe(CM);
    onFrame(unreachable(3, CM), 5);
    expect(tcpState(h)).toBe(TcpState.Closed);
    expect(tcpOutcome(h)).toBe(TcpOutcome.Unreachable);
    expect(counterValue(Ctr.IcmpErrors)).toBe(1);
  });

  it("a quote with a sequence number we never sent, or another port, is ignored", () => {
    setup(0);
    const h = tcpConnect(CM, 2000, 0);
    const iss = get32(txBuf + 14 + 20 + 4);
    onFrame(forged32(24, iss + 1000), 5); // not a segment in flight
    onFrame(forged16(22, 2001), 6);
    onFrame(forged16(20, get16(txBuf + 14 + 20) ^ 1), 7);
    expect(tcpState(h)).toBe(TcpState.SynSent);
    expect(counterValue(Ctr.DropIcmpError)).toBe(3);
    onFrame(unreachable(1, CM), 8);
    expect(tcpOutcome(h)).toBe(TcpOutcome.Unreachable);
  });
});
