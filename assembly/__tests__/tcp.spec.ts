// TCP against hand-built segments: each segment the "CallManager" sends is
// written byte by byte below (header, MSS option, checksum over the IPv4
// pseudo-header); what the phone sends is read back from txBuf.
import { fromHex, toHex } from "./hex";
import {
  TCP_CONNECTIONS, TCP_MSS, TCP_RCV_BUF, TcpOutcome, TcpState, tcpAbort, tcpAvailable, tcpClose, tcpConnect, tcpLocalPort, tcpOutcome, tcpPoll, tcpRecv, tcpRto, tcpRttvar, tcpRx, tcpSend, tcpSrtt, tcpState,
} from "../net/tcp";
import { TcpRepr, seqGt, seqLt } from "../wire/tcp";
import { arpFlush } from "../net/arp";
import { configure, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame } from "../net/stack";
import { fold, get16, get32, get8, pseudoSum, put16, put32, put8, putMac, sum16 } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { resetFirmware } from "./reset";

const PHONE_MAC: u64 = 0x001b54c2a710;
const CM_MAC: u64 = 0x02005e000a01;
const CM2_MAC: u64 = 0x02005e000a02;
const PHONE_IP: u32 = 0xc6336432; // 198.51.100.50
const CM_IP: u32 = 0xc633640a; // 198.51.100.10
const CM2_IP: u32 = 0xc633640b; // 198.51.100.11
const SILENT_IP: u32 = 0xc633640c; // nobody answers ARP for it
const SYN: u32 = 2, FIN: u32 = 1, RST: u32 = 4, PSH: u32 = 8, ACK: u32 = 16;
const seg = memory.data(1600);
const data = memory.data(1100);
const got = memory.data(TCP_RCV_BUF);
const OUT = txBuf + 14 + 20;

let now: i64 = 1000;

/** Teaches the phone's ARP cache (mac, ip) with a request for the phone's address. */
function learn(mac: u64, ip: u32): void {
  const f = rxBuf;
  putMac(f, 0xffff_ffff_ffff);
  putMac(f + 6, mac);
  put16(f + 12, 0x0806);
  put16(f + 14, 1);
  put16(f + 16, 0x0800);
  put8(f + 18, 6);
  put8(f + 19, 4);
  put16(f + 20, 1);
  putMac(f + 22, mac);
  put32(f + 28, ip);
  putMac(f + 32, 0);
  put32(f + 38, PHONE_IP);
  onFrame(42, now);
}

/** Each group starts from a phone at power-on, configured, that knows both CallManagers' MACs. */
function freshPhone(): void {
  resetFirmware();
  setup();
}

function setup(): void {
  setMac(PHONE_MAC);
  configure(PHONE_IP, 0xffffff00, 0xc6336401);
  arpFlush();
  learn(CM_MAC, CM_IP);
  learn(CM2_MAC, CM2_IP);
}

/** A segment from `src`:`sport` to the phone's `dport`, `n` payload bytes from `data` (or `mss` option); returns its length. */
function mk(sport: u32, dport: u32, sq: u32, ak: u32, flags: u32, win: u32, n: i32 = 0, mss: u32 = 0, src: u32 = CM_IP): i32 {
  const hl = mss != 0 ? 24 : 20;
  put16(seg, sport);
  put16(seg + 2, dport);
  put32(seg + 4, sq);
  put32(seg + 8, ak);
  put8(seg + 12, <u32>(hl >> 2) << 4);
  put8(seg + 13, flags);
  put16(seg + 14, win);
  put32(seg + 16, 0);
  if (mss != 0) {
    put8(seg + 20, 2);
    put8(seg + 21, 4);
    put16(seg + 22, mss);
  }
  memory.copy(seg + <usize>hl, data, <usize>n);
  const len = hl + n;
  put16(seg + 16, fold(sum16(seg, len, pseudoSum(src, PHONE_IP, 6, len))));
  return len;
}

function rx(len: i32, src: u32 = CM_IP): bool { return tcpRx(seg, len, src, PHONE_IP, now); }

function fillData(n: i32, base: u8): void {
  for (let i = 0; i < n; i++) store<u8>(data + <usize>i, <u8>(base + <u8>i));
}

// The last segment the phone sent.
function outProto(): u32 { return get8(txBuf + 14 + 9); }
function outDst(): u32 { return get32(txBuf + 14 + 16); }
function outSrcPort(): u32 { return get16(OUT); }
function outDstPort(): u32 { return get16(OUT + 2); }
function outSeq(): u32 { return get32(OUT + 4); }
function outAck(): u32 { return get32(OUT + 8); }
function outHl(): i32 { return <i32>(get8(OUT + 12) >> 4) << 2; }
function outFlags(): u32 { return get8(OUT + 13); }
function outWin(): u32 { return get16(OUT + 14); }
function outSegLen(): i32 { return <i32>get16(txBuf + 14 + 2) - 20; }
function outLen(): i32 { return outSegLen() - outHl(); }
function outChecksumOk(): bool {
  const n = outSegLen();
  return fold(sum16(OUT, n, pseudoSum(PHONE_IP, outDst(), 6, n))) == 0;
}
function tx(): u32 { return counterValue(Ctr.TxFrames); }

// The connection the tests share: the phone's handle, port, ISN; the CallManager's ISN.
let h = -1;
let lport: u32 = 0;
let iss: u32 = 0;
const IRS: u32 = 0xffff_ffe0; // the peer's ISN, 32 below the wrap

/** Opens a connection to CM_IP:2000 and completes the handshake after `rtt` ms. */
function open(rtt: i64, peerWindow: u32 = 8192, mss: u32 = 1400, irs: u32 = IRS): i32 {
  learn(CM_MAC, CM_IP); // ARP entries age out after 300 s
  const c = tcpConnect(CM_IP, 2000, now);
  lport = outSrcPort();
  iss = outSeq();
  now += rtt;
  rx(mk(2000, lport, irs, iss + 1, SYN | ACK, peerWindow, 0, mss));
  return c;
}

describe("TCP segment", () => {
  beforeAll(freshPhone);
  it("round-trips a header with the MSS option and rejects bad ones", () => {
    const t = changetype<TcpRepr>(memory.data(offsetof<TcpRepr>()));
    const len = mk(2000, 49999, 0x01020304, 0x0a0b0c0d, SYN | ACK, 5000, 0, 1400);
    expect(t.parse(seg, len, CM_IP, PHONE_IP)).toBe(0);
    expect(t.srcPort).toBe(2000);
    expect(t.dstPort).toBe(49999);
    expect(t.seq).toBe(0x01020304);
    expect(t.ack).toBe(0x0a0b0c0d);
    expect(t.flags).toBe(SYN | ACK);
    expect(t.window).toBe(5000);
    expect(t.mss).toBe(1400);
    expect(t.headerLen).toBe(24);
    expect(t.payloadLen).toBe(0);
    // Emitted again from the same fields: the same bytes.
    const copy = memory.data(64);
    memory.copy(copy, seg, 24);
    t.payloadLen = 0;
    expect(t.emit(seg, CM_IP, PHONE_IP)).toBe(24);
    expect(toHex(seg, 24)).toBe(toHex(copy, 24));
    // Wrong checksum, short, header length under 20 or past the end, an option of length 0.
    put8(seg + 9, get8(seg + 9) ^ 1);
    expect(t.parse(seg, 24, CM_IP, PHONE_IP)).toBe(Ctr.DropTcpChecksum);
    expect(t.parse(seg, 19, CM_IP, PHONE_IP)).toBe(Ctr.DropTcpMalformed);
    mk(1, 2, 3, 4, ACK, 5);
    put8(seg + 12, 0x40);
    expect(t.parse(seg, 20, CM_IP, PHONE_IP)).toBe(Ctr.DropTcpMalformed);
    put8(seg + 12, 0xf0);
    expect(t.parse(seg, 40, CM_IP, PHONE_IP)).toBe(Ctr.DropTcpMalformed);
    const n = mk(1, 2, 3, 4, ACK, 5, 0, 1400);
    put8(seg + 21, 0); // MSS option claiming length 0
    put16(seg + 16, 0);
    put16(seg + 16, fold(sum16(seg, n, pseudoSum(CM_IP, PHONE_IP, 6, n))));
    expect(t.parse(seg, n, CM_IP, PHONE_IP)).toBe(Ctr.DropTcpMalformed);
  });

  it("compares sequence numbers modulo 2^32", () => {
    expect(seqLt(0xffff_fff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xffff_fff0)).toBe(true);
    expect(seqLt(0x10, 0xffff_fff0)).toBe(false);
    expect(seqLt(5, 5)).toBe(false);
  });
});

describe("TCP handshake and data", () => {
  beforeAll(freshPhone);
  it("opens with a SYN carrying MSS 1460 and a fresh port and ISN", () => {
    setup();
    const before = tx();
    h = tcpConnect(CM_IP, 2000, now);
    expect(h).toBe(0);
    expect(tx()).toBe(before + 1);
    expect(outProto()).toBe(6);
    expect(outDst()).toBe(CM_IP);
    expect(outDstPort()).toBe(2000);
    lport = outSrcPort();
    expect(lport >= 49152).toBe(true);
    iss = outSeq();
    expect(outFlags()).toBe(SYN);
    expect(outAck()).toBe(0);
    expect(outHl()).toBe(24);
    expect(toHex(OUT + 20, 4)).toBe("020405b4");
    expect(outWin()).toBe(TCP_RCV_BUF);
    expect(outChecksumOk()).toBe(true);
    expect(tcpState(h)).toBe(TcpState.SynSent);
    expect(tcpRto(h)).toBe(1000); // RFC 6298 (2.1)
    expect(TCP_MSS).toBe(1460);
  });

  it("drops a SYN-ACK acknowledging something else, with a RST", () => {
    const before = counterValue(Ctr.DropTcpOutOfWindow);
    expect(rx(mk(2000, lport, IRS, iss + 7, SYN | ACK, 8192, 0, 1400))).toBe(false);
    expect(counterValue(Ctr.DropTcpOutOfWindow)).toBe(before + 1);
    expect(outFlags()).toBe(RST);
    expect(outSeq()).toBe(iss + 7);
    expect(tcpState(h)).toBe(TcpState.SynSent);
  });

  it("is established by the SYN-ACK, ACKs it, and takes the first RTT sample (RFC 6298 2.2)", () => {
    now += 800;
    expect(rx(mk(2000, lport, IRS, iss + 1, SYN | ACK, 8192, 0, 1400))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.Established);
    expect(outFlags()).toBe(ACK);
    expect(outSeq()).toBe(iss + 1);
    expect(outAck()).toBe(IRS + 1);
    expect(outHl()).toBe(20);
    expect(outChecksumOk()).toBe(true);
    // R = 800: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 2400.
    expect(tcpSrtt(h)).toBe(800);
    expect(tcpRttvar(h)).toBe(400);
    expect(tcpRto(h)).toBe(2400);
  });

  it("sends data with PSH, and updates SRTT and RTTVAR from its ACK (RFC 6298 2.3)", () => {
    fillData(100, 1);
    expect(tcpSend(h, data, 100, now)).toBe(100);
    expect(outFlags()).toBe(PSH | ACK);
    expect(outSeq()).toBe(iss + 1);
    expect(outLen()).toBe(100);
    expect(get8(OUT + 20)).toBe(1);
    expect(outChecksumOk()).toBe(true);
    now += 400;
    expect(rx(mk(2000, lport, IRS + 1, iss + 101, ACK, 8192))).toBe(true);
    // RTTVAR = 3/4 400 + 1/4 |800 - 400| = 400; SRTT = 7/8 800 + 1/8 400 = 750; RTO = 750 + 1600.
    expect(tcpSrtt(h)).toBe(750);
    expect(tcpRttvar(h)).toBe(400);
    expect(tcpRto(h)).toBe(2350);
    expect(tcpPoll(now)).toBe(i64.MAX_VALUE); // nothing outstanding: no timer
  });

  it("receives in order across the sequence number wrap and ACKs each segment", () => {
    fillData(40, 0x40);
    expect(rx(mk(2000, lport, IRS + 1, iss + 101, PSH | ACK, 8192, 40))).toBe(true);
    expect(outAck()).toBe(IRS + 41); // 0x00000009: past the wrap
    expect(outAck()).toBe(9);
    expect(outWin()).toBe(TCP_RCV_BUF - 40);
    fillData(10, 0x68);
    expect(rx(mk(2000, lport, 9, iss + 101, PSH | ACK, 8192, 10))).toBe(true);
    expect(outAck()).toBe(19);
    expect(tcpAvailable(h)).toBe(50);
    expect(tcpRecv(h, got, 1000, now)).toBe(50);
    for (let i = 0; i < 50; i++) expect(load<u8>(got + <usize>i)).toBe(<u8>(0x40 + i));
    expect(tcpAvailable(h)).toBe(0);
  });

  it("accepts the new part of a segment that overlaps what it has", () => {
    fillData(20, 0x90);
    // Bytes 9..28 again and new: sequence 9 is already in, 19..28 are new.
    expect(rx(mk(2000, lport, 9, iss + 101, ACK, 8192, 20))).toBe(true);
    expect(outAck()).toBe(29);
    expect(tcpRecv(h, got, 100, now)).toBe(10);
    expect(load<u8>(got)).toBe(0x9a);
  });

  it("drops an out-of-order segment with a duplicate ACK, then takes the data in order", () => {
    const before = counterValue(Ctr.DropTcpOutOfOrder);
    fillData(10, 0);
    expect(rx(mk(2000, lport, 39, iss + 101, ACK, 8192, 10))).toBe(false);
    expect(counterValue(Ctr.DropTcpOutOfOrder)).toBe(before + 1);
    expect(outFlags()).toBe(ACK);
    expect(outAck()).toBe(29);
    expect(tcpAvailable(h)).toBe(0);
    expect(rx(mk(2000, lport, 29, iss + 101, ACK, 8192, 10))).toBe(true);
    expect(outAck()).toBe(39);
    expect(tcpRecv(h, got, 100, now)).toBe(10);
  });

  it("segments by the peer's MSS", () => {
    // A second connection whose peer announces MSS 100.
    const mainPort = lport, mainIss = iss;
    const c = open(50, 8192, 100);
    expect(c).toBe(1);
    expect(tcpState(c)).toBe(TcpState.Established);
    const before = tx();
    fillData(250, 0);
    expect(tcpSend(c, data, 250, now)).toBe(250);
    expect(tx()).toBe(before + 3);
    expect(outSeq()).toBe(iss + 201);
    expect(outLen()).toBe(50);
    tcpAbort(c, now);
    expect(outFlags()).toBe(RST | ACK);
    expect(tcpState(c)).toBe(TcpState.Closed);
    lport = mainPort;
    iss = mainIss;
  });
});

// Goes on with the connection the group above left established.
describe("TCP retransmission (RFC 6298)", () => {
  it("retransmits at RTO, doubling it each time", () => {
    fillData(10, 0x30);
    const t0 = now;
    const una = iss + 101;
    expect(tcpSend(h, data, 10, now)).toBe(10);
    expect(tcpPoll(now)).toBe(t0 + 2350); // (5.1) the timer runs for RTO
    const r0 = counterValue(Ctr.TcpRetransmits);
    const before = tx();
    tcpPoll(t0 + 2349);
    expect(tx()).toBe(before);
    now = t0 + 2350;
    expect(tcpPoll(now)).toBe(now + 4700); // (5.5) RTO doubled, (5.6) timer restarted
    expect(tx()).toBe(before + 1);
    expect(counterValue(Ctr.TcpRetransmits)).toBe(r0 + 1);
    expect(outSeq()).toBe(una);
    expect(outLen()).toBe(10);
    expect(tcpRto(h)).toBe(4700);
    now += 4700;
    expect(tcpPoll(now)).toBe(now + 9400);
    expect(outSeq()).toBe(una);
    expect(counterValue(Ctr.TcpRetransmits)).toBe(r0 + 2);
  });

  it("takes no RTT sample from a retransmitted segment (Karn) and keeps the backed-off RTO", () => {
    now += 300;
    expect(rx(mk(2000, lport, 39, iss + 111, ACK, 8192))).toBe(true);
    expect(tcpSrtt(h)).toBe(750);
    expect(tcpRto(h)).toBe(9400);
    expect(tcpPoll(now)).toBe(i64.MAX_VALUE); // (5.2) all acknowledged: timer off
    // New data, answered in 300 ms: a sample again.
    fillData(5, 0);
    tcpSend(h, data, 5, now);
    now += 300;
    expect(rx(mk(2000, lport, 39, iss + 116, ACK, 8192))).toBe(true);
    // SRTT = 7/8 750 + 1/8 300 = 693.75, RTTVAR = 3/4 400 + 1/4 450 = 412.5, RTO = SRTT + 4 RTTVAR = 2343.75.
    expect(tcpSrtt(h)).toBe(693);
    expect(tcpRttvar(h)).toBe(412);
    expect(tcpRto(h)).toBe(2343);
  });

  it("restarts the timer when an ACK covers part of the data (5.3)", () => {
    fillData(30, 0);
    tcpSend(h, data, 30, now);
    const sent = now;
    now += 1000;
    expect(rx(mk(2000, lport, 39, iss + 126, ACK, 8192))).toBe(true);
    expect(tcpPoll(now)).toBe(now + tcpRto(h));
    expect(tcpPoll(now) > sent + 2343).toBe(true);
    now += 10;
    rx(mk(2000, lport, 39, iss + 146, ACK, 8192));
    expect(tcpPoll(now)).toBe(i64.MAX_VALUE);
  });

  it("retransmits a lost SYN at 1, 3 and 7 s, then reports a timeout at 15 s", () => {
    const c = tcpConnect(CM2_IP, 2000, now);
    const t0 = now;
    const synSeq = outSeq();
    const r0 = counterValue(Ctr.TcpRetransmits);
    expect(tcpPoll(now)).toBe(t0 + 1000);
    now = t0 + 1000;
    expect(tcpPoll(now)).toBe(t0 + 3000);
    expect(outFlags()).toBe(SYN);
    expect(outSeq()).toBe(synSeq);
    now = t0 + 3000;
    expect(tcpPoll(now)).toBe(t0 + 7000);
    now = t0 + 7000;
    expect(tcpPoll(now)).toBe(t0 + 15000);
    expect(counterValue(Ctr.TcpRetransmits)).toBe(r0 + 3);
    const before = tx();
    now = t0 + 15000;
    tcpPoll(now);
    expect(tx()).toBe(before); // no RST for a connection that never was
    expect(tcpState(c)).toBe(TcpState.Closed);
    expect(tcpOutcome(c)).toBe(TcpOutcome.Timeout);
    tcpClose(c, now); // the handle is free again
    expect(tcpConnect(CM2_IP, 2000, now)).toBe(c);
    tcpAbort(c, now);
  });

  it("starts data with a 3 s RTO after a lost SYN (RFC 6298 5.7)", () => {
    const c = tcpConnect(CM2_IP, 2000, now);
    const p = outSrcPort();
    const s = outSeq();
    now += 1000;
    tcpPoll(now); // the SYN again
    now += 100;
    expect(rx(mk(2000, p, 5000, s + 1, SYN | ACK, 8192, 0, 1460, CM2_IP), CM2_IP)).toBe(true);
    expect(tcpState(c)).toBe(TcpState.Established);
    expect(tcpRto(c)).toBe(3000);
    tcpAbort(c, now);
  });
});

// Goes on with the connection the group above left established.
describe("TCP resets (RFC 5961)", () => {
  it("answers a RST in the window but not at RCV.NXT with a challenge ACK, and stays up", () => {
    const before = counterValue(Ctr.DropTcpChallenge);
    expect(rx(mk(2000, lport, 39 + 100, 0, RST, 0))).toBe(false);
    expect(counterValue(Ctr.DropTcpChallenge)).toBe(before + 1);
    expect(outFlags()).toBe(ACK);
    expect(outAck()).toBe(39);
    expect(outSeq()).toBe(iss + 146);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("ignores a RST outside the window without a word", () => {
    const before = tx();
    const drops = counterValue(Ctr.DropTcpOutOfWindow);
    expect(rx(mk(2000, lport, 39 + 5000, 0, RST, 0))).toBe(false);
    expect(rx(mk(2000, lport, 38, 0, RST, 0))).toBe(false);
    expect(counterValue(Ctr.DropTcpOutOfWindow)).toBe(drops + 2);
    expect(tx()).toBe(before);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("answers a SYN on the open connection with a challenge ACK", () => {
    const before = counterValue(Ctr.DropTcpChallenge);
    expect(rx(mk(2000, lport, 39, 0, SYN, 8192, 0, 1460))).toBe(false);
    expect(counterValue(Ctr.DropTcpChallenge)).toBe(before + 1);
    expect(outFlags()).toBe(ACK);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("drops data outside the window and ACKs beyond what was sent, each with an ACK", () => {
    const drops = counterValue(Ctr.DropTcpOutOfWindow);
    fillData(10, 0);
    expect(rx(mk(2000, lport, 39 + TCP_RCV_BUF + 1000, iss + 146, ACK, 8192, 10))).toBe(false);
    expect(outAck()).toBe(39);
    expect(rx(mk(2000, lport, 39, iss + 9999, ACK, 8192))).toBe(false);
    expect(outFlags()).toBe(ACK);
    expect(counterValue(Ctr.DropTcpOutOfWindow)).toBe(drops + 2);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("sends at most one challenge ACK per 500 ms: no ACK war with a peer out of step", () => {
    now += 1000;
    const before = tx();
    for (let i = 0; i < 10; i++) rx(mk(2000, lport, 39 + TCP_RCV_BUF + 2000, iss + 146, ACK, 8192)); // far ahead
    expect(tx()).toBe(before + 1);
    now += 499;
    rx(mk(2000, lport, 39, iss + 9999, ACK, 8192)); // acknowledges what was never sent
    expect(tx()).toBe(before + 1);
    now += 1;
    rx(mk(2000, lport, 39 + 100, 0, RST, 0));
    expect(tx()).toBe(before + 2);
    expect(outAck()).toBe(39);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("drops a segment with a bad checksum", () => {
    const before = counterValue(Ctr.DropTcpChecksum);
    const n = mk(2000, lport, 39, iss + 146, RST | ACK, 0);
    put8(seg + 19, get8(seg + 19) ^ 0x55);
    expect(rx(n)).toBe(false);
    expect(counterValue(Ctr.DropTcpChecksum)).toBe(before + 1);
    expect(tcpState(h)).toBe(TcpState.Established);
  });

  it("is reset by a RST exactly at RCV.NXT", () => {
    expect(rx(mk(2000, lport, 39, 0, RST, 0))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.Closed);
    expect(tcpOutcome(h)).toBe(TcpOutcome.Reset);
    tcpClose(h, now);
  });

  it("reports a refused connection: RST acknowledging the SYN", () => {
    h = tcpConnect(CM_IP, 2000, now);
    lport = outSrcPort();
    iss = outSeq();
    // A RST without ACK could be anyone's: ignored.
    expect(rx(mk(2000, lport, 0, 0, RST, 0))).toBe(false);
    expect(tcpState(h)).toBe(TcpState.SynSent);
    expect(rx(mk(2000, lport, 0, iss + 1, RST | ACK, 0))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.Closed);
    expect(tcpOutcome(h)).toBe(TcpOutcome.Refused);
    tcpClose(h, now);
  });

  it("answers segments for no connection with a RST (RFC 9293 3.10.7.1)", () => {
    const before = counterValue(Ctr.DropTcpNoConnection);
    expect(rx(mk(40000, 80, 0x1000, 0, SYN, 8192, 0, 1460))).toBe(false);
    expect(outFlags()).toBe(RST | ACK);
    expect(outSeq()).toBe(0);
    expect(outAck()).toBe(0x1001);
    expect(outSrcPort()).toBe(80);
    expect(outDstPort()).toBe(40000);
    fillData(5, 0);
    expect(rx(mk(40000, 80, 0x1000, 0x7777, ACK, 8192, 5))).toBe(false);
    expect(outFlags()).toBe(RST);
    expect(outSeq()).toBe(0x7777);
    const sent = tx();
    expect(rx(mk(40000, 80, 0x1000, 0x7777, RST, 0))).toBe(false); // never a RST for a RST
    expect(tx()).toBe(sent);
    expect(counterValue(Ctr.DropTcpNoConnection)).toBe(before + 3);
  });
});

describe("TCP close", () => {
  beforeAll(freshPhone);
  it("passive: the peer's FIN, our FIN, the last ACK", () => {
    h = open(100);
    expect(tcpState(h)).toBe(TcpState.Established);
    fillData(3, 0x61);
    expect(rx(mk(2000, lport, IRS + 1, iss + 1, FIN | PSH | ACK, 8192, 3))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.CloseWait);
    expect(outAck()).toBe(IRS + 5); // 3 bytes and the FIN
    expect(tcpAvailable(h)).toBe(3);
    tcpClose(h, now);
    expect(tcpState(h)).toBe(TcpState.LastAck);
    expect(outFlags()).toBe(FIN | ACK);
    expect(outSeq()).toBe(iss + 1);
    expect(rx(mk(2000, lport, IRS + 5, iss + 2, ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.Closed); // and freed
    expect(tcpConnect(CM_IP, 2000, now)).toBe(h);
    tcpAbort(h, now);
  });

  it("active: data then FIN, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 2 MSL", () => {
    h = open(100);
    fillData(4, 0);
    tcpSend(h, data, 4, now);
    tcpClose(h, now);
    expect(tcpState(h)).toBe(TcpState.FinWait1);
    expect(outFlags()).toBe(FIN | ACK); // the FIN alone, after the data
    expect(outSeq()).toBe(iss + 5);
    expect(rx(mk(2000, lport, IRS + 1, iss + 5, ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.FinWait1);
    expect(rx(mk(2000, lport, IRS + 1, iss + 6, ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.FinWait2);
    expect(rx(mk(2000, lport, IRS + 1, iss + 6, FIN | ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.TimeWait);
    expect(outFlags()).toBe(ACK);
    expect(outAck()).toBe(IRS + 2);
    expect(tcpPoll(now)).toBe(now + 60_000);
    now += 60_000;
    tcpPoll(now);
    expect(tcpState(h)).toBe(TcpState.Closed);
  });

  it("simultaneous: FIN crossing FIN goes through CLOSING", () => {
    h = open(100);
    tcpClose(h, now);
    expect(rx(mk(2000, lport, IRS + 1, iss + 1, FIN | ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.Closing);
    expect(rx(mk(2000, lport, IRS + 2, iss + 2, ACK, 8192))).toBe(true);
    expect(tcpState(h)).toBe(TcpState.TimeWait);
    // A new connection may take the TIME-WAIT slot when none is free (the other two are busy).
    const other = open(10);
    expect(other >= 0).toBe(true);
    expect(TCP_CONNECTIONS).toBe(3);
    const syn = tcpConnect(CM2_IP, 2001, now);
    expect(syn >= 0 && syn != h && syn != other).toBe(true);
    const third = tcpConnect(CM2_IP, 2000, now);
    expect(third).toBe(h);
    expect(tcpLocalPort(third) != tcpLocalPort(other) && tcpLocalPort(third) != tcpLocalPort(syn)).toBe(true);
    tcpAbort(third, now);
    tcpAbort(syn, now);
    tcpAbort(other, now);
  });
});

describe("TCP windows", () => {
  beforeAll(freshPhone);
  it("probes a zero window with one byte, backing off, and never gives up while the peer answers", () => {
    h = open(100, 0);
    const una = iss + 1;
    const before = tx();
    fillData(10, 0x41);
    expect(tcpSend(h, data, 10, now)).toBe(10);
    expect(tx()).toBe(before); // nothing fits
    const rto = tcpRto(h);
    expect(tcpPoll(now)).toBe(now + rto); // the persist timer
    now += rto;
    tcpPoll(now);
    expect(outLen()).toBe(1);
    expect(outSeq()).toBe(una);
    for (let i = 0; i < 12; i++) {
      now += 100;
      learn(CM_MAC, CM_IP); // minutes go by: keep the ARP entry fresh
      expect(rx(mk(2000, lport, IRS + 1, una, ACK, 0))).toBe(true);
      const next = tcpPoll(now);
      expect(next > now).toBe(true);
      now = next;
      tcpPoll(now);
      expect(outLen()).toBe(1);
      expect(outSeq()).toBe(una);
      expect(tcpState(h)).toBe(TcpState.Established);
    }
    expect(tcpRto(h)).toBe(60_000); // backed off to the limit
    // The window opens: everything goes, from the byte the probe carried.
    expect(rx(mk(2000, lport, IRS + 1, una, ACK, 4096))).toBe(true);
    expect(outSeq()).toBe(una);
    expect(outLen()).toBe(10);
    expect(rx(mk(2000, lport, IRS + 1, una + 10, ACK, 4096))).toBe(true);
    expect(tcpPoll(now)).toBe(i64.MAX_VALUE);
  });

  it("announces the free space of its buffer, refuses data past it, and reopens past half", () => {
    fillData(512, 0);
    const full: u32 = TCP_RCV_BUF;
    for (let at: u32 = 0; at < full; at += 512) {
      expect(rx(mk(2000, lport, IRS + 1 + at, iss + 11, ACK, 4096, 512))).toBe(true);
      expect(outWin()).toBe(full - at - 512);
    }
    expect(outAck()).toBe(IRS + 1 + full);
    // A probe of our zero window: ACKed, not taken.
    const drops = counterValue(Ctr.DropTcpOutOfWindow);
    expect(rx(mk(2000, lport, IRS + 1 + full, iss + 11, ACK, 4096, 1))).toBe(false);
    expect(counterValue(Ctr.DropTcpOutOfWindow)).toBe(drops + 1);
    expect(outAck()).toBe(IRS + 1 + full);
    expect(outWin()).toBe(0);
    // Reading 100 bytes does not announce a tiny window; reading past half does.
    const before = tx();
    tcpRecv(h, got, 100, now);
    expect(tx()).toBe(before);
    tcpRecv(h, got, full / 2, now);
    expect(tx()).toBe(before + 1);
    expect(outWin()).toBe(full / 2 + 100);
    tcpAbort(h, now);
  });
});

describe("TCP and ARP", () => {
  beforeAll(freshPhone);
  it("holds the SYN while the CallManager's MAC is unknown and sends it once ARP answers", () => {
    arpFlush();
    const pending = counterValue(Ctr.TxArpPending);
    h = tcpConnect(CM_IP, 2000, now);
    expect(get16(txBuf + 12)).toBe(0x0806); // an ARP request went out instead
    expect(counterValue(Ctr.TxArpPending)).toBe(pending + 1);
    expect(tcpPoll(now)).toBe(now + 100);
    learn(CM_MAC, CM_IP);
    now += 100;
    tcpPoll(now);
    expect(get16(txBuf + 12)).toBe(0x0800);
    expect(outFlags()).toBe(SYN);
    expect(tcpRto(h)).toBe(1000); // not a retransmission
    expect(tcpPoll(now)).toBe(now + 1000);
    tcpAbort(h, now);
  });

  it("gives up on a next hop that never answers ARP after 3 s", () => {
    h = tcpConnect(SILENT_IP, 2000, now);
    const t0 = now;
    while (now < t0 + 10_000) {
      const next = tcpPoll(now);
      if (tcpState(h) == TcpState.Closed) break;
      now = next;
    }
    expect(tcpOutcome(h)).toBe(TcpOutcome.Timeout);
    expect(now - t0 <= 3100).toBe(true);
    tcpClose(h, now);
  });

  it("gives up on data after 7 unanswered retransmissions, with a RST", () => {
    tcpAbort(0, now);
    tcpAbort(1, now);
    setup();
    h = open(100);
    fillData(10, 0);
    tcpSend(h, data, 10, now);
    const r0 = counterValue(Ctr.TcpRetransmits);
    const t0 = now;
    while (tcpState(h) != TcpState.Closed && now < t0 + 1_000_000) {
      learn(CM_MAC, CM_IP);
      now = tcpPoll(now);
    }
    expect(counterValue(Ctr.TcpRetransmits)).toBe(r0 + 7);
    expect(tcpOutcome(h)).toBe(TcpOutcome.Timeout);
    expect(outFlags()).toBe(RST | ACK);
    tcpClose(h, now);
    expect(fromHex("00") > 0).toBe(true);
  });
});
