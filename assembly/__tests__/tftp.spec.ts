// The TFTP read client against real servers' bytes and hand-made hostile ones.
import { fromHex, scratch, toHex } from "./hex";
import {
  DALLY, INITIAL_RTO, MAX_RTO, MIN_RTO, Sink, TftpStatus, tftpBlksize, tftpErrorCode, tftpLocalPort, tftpPoll, tftpRto, tftpRx, tftpSetSink, tftpSize, tftpStart, tftpStatus, tftpStop, tftpTsize, tftpWindow,
} from "../client/tftp";
import { REQ_BLKSIZE, REQ_WINDOW, TFTP_PORT, TftpErr, TftpOp, TftpOpt } from "../wire/tftp";
import { tftp } from "./records";
import { configure, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame, udpBound } from "../net/stack";
import { arpFlush } from "../net/arp";
import { get16, get32, put16, put32, putMac } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { resetFirmware } from "./reset";
import { learnArp } from "./arp-reply";

// ---- fixtures ----------------------------------------------------------------
// UDP payloads of real servers, printed (as hex) by a Python socket client in a
// network namespace of our own (client 192.0.2.50, servers 192.0.2.10/.11):
//   ip netns exec <cli> /usr/bin/python3 client.py
// against dnsmasq 2.90 (`dnsmasq --enable-tftp --tftp-root=root ...` on 192.0.2.10)
// and tftp-hpa 5.2 (`in.tftpd -L -s root -a 192.0.2.11:69`). The file served,
// SEP001B54C2A710.cnf.xml, is 3000 bytes: byte i = (7 i + 3) & 0xff.

// scapy 2.5.0: bytes(TFTP()/TFTP_RRQ(filename=b"SEP001B54C2A710.cnf.xml", mode=b"octet")/TFTP_Options(options=[
//   TFTP_Option(oname=b"blksize", value=b"1428"), TFTP_Option(oname=b"tsize", value=b"0"),
//   TFTP_Option(oname=b"timeout", value=b"1"), TFTP_Option(oname=b"windowsize", value=b"256")])).hex()
const RRQ_OPTIONS = "00015345503030314235344332413731302e636e662e786d6c006f6374657400626c6b73697a650031343238007473697a6500300074696d656f757400310077696e646f7773697a650032353600";
// dnsmasq 2.90's answer to RRQ_OPTIONS, from a new port: blksize 1428, tsize 3000 (no timeout, no windowsize).
const DNSMASQ_OACK = "0006626c6b73697a650031343238007473697a65003330303000";
// tftp-hpa 5.2's answer to RRQ_OPTIONS: blksize 1428, tsize 3000, timeout 1 (no windowsize).
const TFTPD_HPA_OACK = "0006626c6b73697a650031343238007473697a6500333030300074696d656f7574003100";
// dnsmasq 2.90 to a packet sent to its transfer port from another port: ERROR 5.
const DNSMASQ_ERROR_TID = "0005000569676e6f72696e67207061636b65742066726f6d203139322e302e322e35302028544944206d69736d617463682900";
// dnsmasq 2.90 and tftp-hpa 5.2 to RRQ_OPTIONS for "missing.cnf.xml": ERROR 1.
const DNSMASQ_ERROR_NOTFOUND = "0005000166696c65202f746d702f66782f726f6f742f6d697373696e672e636e662e786d6c206e6f7420666f756e6420666f72203139322e302e322e353000";
const TFTPD_HPA_ERROR_NOTFOUND = "0005000146696c65206e6f7420666f756e6400";
// tftp-hpa 5.2 to an RRQ with option timeout 0: ERROR 8 "Unsupported option(s) requested".
const TFTPD_HPA_ERROR_OPTIONS = "00050008556e737570706f72746564206f7074696f6e2873292072657175657374656400";
// The first 16 bytes of DATA block 1 from dnsmasq 2.90 (after ACK 0).
const DNSMASQ_DATA1_HEAD = "00030001030a11181f262d343b424950";
// scapy 2.5.0: bytes(TFTP()/TFTP_OACK()/TFTP_Options(options=[TFTP_Option(oname=b"BLKSIZE", value=b"1428"),
//   TFTP_Option(oname=b"tsize", value=b"3000"), TFTP_Option(oname=b"timeout", value=b"1"),
//   TFTP_Option(oname=b"windowsize", value=b"256")])).hex()
const OACK_WINDOW = "0006424c4b53495a450031343238007473697a6500333030300074696d656f757400310077696e646f7773697a650032353600";
// scapy 2.5.0: bytes(TFTP()/TFTP_OACK()/TFTP_Options(options=[TFTP_Option(oname=b"blksize", value=b"1428"),
//   TFTP_Option(oname=b"rollover", value=b"1")])).hex(): an option never asked for.
const OACK_UNASKED = "0006626c6b73697a65003134323800726f6c6c6f766572003100";
// scapy 2.5.0: bytes(TFTP()/TFTP_ACK(block=0)).hex()
const ACK0 = "00040000";
// scapy 2.5.0: bytes(TFTP()/TFTP_ERROR(errorcode=5, errormsg=b"Unknown transfer ID")).hex()
const ERROR_TID = "00050005556e6b6e6f776e207472616e7366657220494400";
// scapy 2.5.0: bytes(TFTP()/TFTP_ERROR(errorcode=3, errormsg=b"Disk full or allocation exceeded")).hex()
const ERROR_FULL = "000500034469736b2066756c6c206f7220616c6c6f636174696f6e20657863656564656400";
// scapy 2.5.0: bytes(TFTP()/TFTP_DATA(block=3)/b"end of file").hex()
const DATA_LAST = "00030003656e64206f662066696c65";

// ---- harness -------------------------------------------------------------------

const PHONE_MAC: u64 = 0x001b54c2a710;
const PHONE_IP: u32 = 0xc0000232; // 192.0.2.50
const SERVER: u32 = 0xc000020a; // 192.0.2.10
const SERVER_MAC: u64 = 0x02005e00020a;
const STRANGER: u32 = 0xc0000263; // 192.0.2.99
const STRANGER_MAC: u64 = 0x02005e000263;
const TID: u32 = 40001; // the server's port for the transfer
const PAYLOAD = 14 + 20 + 8; // where the UDP payload of a sent frame starts
const NAME = memory.data<u8>([83, 69, 80, 48, 48, 49, 66, 53, 52, 67, 50, 65, 55, 49, 48, 46, 99, 110, 102, 46, 120, 109, 108]);
const NAME_LEN = 23; // "SEP001B54C2A710.cnf.xml"
const pkt = memory.data(1600);

/** The test file's byte at `i` (the one dnsmasq served). */
@inline function pattern(i: u32): u8 { return <u8>(i * 7 + 3); }

// The sink: checks every byte arrives once, in order, at its offset.
let sunk: u32 = 0;
let sinkOk = true;
let sinkCalls = 0;
let sinkLimit: u32 = 0xffff_ffff;
let sinkCheck = true;
let sinkRefusal = Sink.Full;
function checkingSink(offset: u32, p: usize, len: i32): Sink {
  sinkCalls++;
  if (offset != sunk) sinkOk = false;
  if (sinkCheck) {
    for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) != pattern(offset + <u32>i)) sinkOk = false;
  }
  sunk += <u32>len;
  return sunk <= sinkLimit ? Sink.Taken : sinkRefusal;
}
function resetSink(): void {
  sunk = 0;
  sinkOk = true;
  sinkCalls = 0;
  sinkLimit = 0xffff_ffff;
  sinkCheck = true;
  sinkRefusal = Sink.Full;
  tftpSetSink(checkingSink);
}

function setup(now: i64): void {
  setMac(PHONE_MAC);
  configure(PHONE_IP, 0xffffff00, 0);
  arpFlush();
  learnArp(SERVER, SERVER_MAC, now);
  learnArp(STRANGER, STRANGER_MAC, now);
  resetSink();
}

function txCount(): u32 { return counterValue(Ctr.TxFrames); }
@inline function sentOp(): u32 { return get16(txBuf + PAYLOAD); }
@inline function sentBlock(): u32 { return get16(txBuf + PAYLOAD + 2); }
@inline function sentDst(): u32 { return get32(txBuf + 14 + 16); }
@inline function sentSrcPort(): u32 { return get16(txBuf + 14 + 20); }
@inline function sentDstPort(): u32 { return get16(txBuf + 14 + 20 + 2); }

/** Hands the fixture `hex` to the client as if from ip:port. */
function rxHex(hex: string, now: i64, port: u32 = TID, ip: u32 = SERVER): bool {
  const n = fromHex(hex, pkt);
  return tftpRx(pkt, n, ip, port, now);
}

/** DATA block `block` (wire number) holding `len` bytes of the file from `offset`. */
function data(block: u32, offset: u32, len: i32, now: i64, port: u32 = TID, ip: u32 = SERVER): bool {
  put16(pkt, TftpOp.Data);
  put16(pkt + 2, block & 0xffff);
  for (let i = 0; i < len; i++) store<u8>(pkt + 4 + <usize>i, pattern(offset + <u32>i));
  return tftpRx(pkt, 4 + len, ip, port, now);
}

/** A hand-made OACK with blksize, windowsize and (when > 0) tsize. */
function oack(blksize: u32, windowsize: u32, tsize: u32, now: i64): bool {
  let s = "0006" + text("blksize") + text(blksize.toString()) + text("windowsize") + text(windowsize.toString());
  if (tsize > 0) s += text("tsize") + text(tsize.toString());
  return rxHex(s, now);
}
function text(s: string): string {
  let h = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h += (c < 16 ? "0" : "") + c.toString(16);
  }
  return h + "00";
}

/** Starts a transfer at `now` with a windowed OACK already accepted. */
function negotiated(blksize: u32, windowsize: u32, capacity: u32, now: i64): void {
  setup(now);
  tftpStart(SERVER, NAME, NAME_LEN, capacity, now);
  oack(blksize, windowsize, 0, now);
}

// ---- the packet ------------------------------------------------------------------

describe("TFTP packet", () => {
  beforeAll(resetFirmware);
  it("emits the RRQ with our options byte for byte as scapy builds it", () => {
    tftp.op = TftpOp.Rrq;
    tftp.namePtr = NAME;
    tftp.nameLen = NAME_LEN;
    tftp.options = TftpOpt.Blksize | TftpOpt.Tsize | TftpOpt.Timeout | TftpOpt.Windowsize;
    tftp.blksize = REQ_BLKSIZE;
    tftp.tsize = 0;
    tftp.timeout = 1;
    tftp.windowsize = REQ_WINDOW;
    const n = tftp.emit(pkt);
    expect(toHex(pkt, n)).toBe(RRQ_OPTIONS);
  });

  it("reads dnsmasq's and tftp-hpa's OACKs", () => {
    expect(tftp.parse(scratch, fromHex(DNSMASQ_OACK))).toBe(0);
    expect(tftp.op).toBe(TftpOp.Oack);
    expect(tftp.options).toBe(TftpOpt.Blksize | TftpOpt.Tsize);
    expect(tftp.blksize).toBe(1428);
    expect(tftp.tsize).toBe(3000);
    expect(tftp.bad).toBe(false);
    expect(tftp.parse(scratch, fromHex(TFTPD_HPA_OACK))).toBe(0);
    expect(tftp.options).toBe(TftpOpt.Blksize | TftpOpt.Tsize | TftpOpt.Timeout);
    expect(tftp.timeout).toBe(1);
  });

  it("takes option names in any case and reads windowsize", () => {
    expect(tftp.parse(scratch, fromHex(OACK_WINDOW))).toBe(0);
    expect(tftp.options).toBe(TftpOpt.Blksize | TftpOpt.Tsize | TftpOpt.Timeout | TftpOpt.Windowsize);
    expect(tftp.blksize).toBe(1428);
    expect(tftp.windowsize).toBe(256);
    expect(tftp.bad).toBe(false);
  });

  it("marks an option never asked for, a repeated one and a value that is not a number", () => {
    expect(tftp.parse(scratch, fromHex(OACK_UNASKED))).toBe(0);
    expect(tftp.bad).toBe(true);
    expect(tftp.parse(scratch, fromHex("0006" + text("tsize") + text("1") + text("TSIZE") + text("2")))).toBe(0);
    expect(tftp.bad).toBe(true);
    expect(tftp.parse(scratch, fromHex("0006" + text("blksize") + text("-1")))).toBe(0);
    expect(tftp.bad).toBe(true);
    expect(tftp.parse(scratch, fromHex("0006" + text("blksize") + text("")))).toBe(0);
    expect(tftp.bad).toBe(true);
    // Saturates a huge tsize instead of wrapping.
    expect(tftp.parse(scratch, fromHex("0006" + text("tsize") + text("99999999999999999999")))).toBe(0);
    expect(tftp.bad).toBe(false);
    expect(tftp.tsize).toBeGreaterThan(<u64>0xffff_ffff);
  });

  it("reads ERROR packets of both servers and DATA", () => {
    expect(tftp.parse(scratch, fromHex(DNSMASQ_ERROR_NOTFOUND))).toBe(0);
    expect(tftp.op).toBe(TftpOp.Error);
    expect(tftp.block).toBe(TftpErr.NotFound);
    expect(tftp.parse(scratch, fromHex(TFTPD_HPA_ERROR_NOTFOUND))).toBe(0);
    expect(tftp.block).toBe(TftpErr.NotFound);
    expect(String.UTF8.decodeUnsafe(tftp.dataPtr, tftp.dataLen)).toBe("File not found");
    expect(tftp.parse(scratch, fromHex(TFTPD_HPA_ERROR_OPTIONS))).toBe(0);
    expect(tftp.block).toBe(TftpErr.Options);
    expect(tftp.parse(scratch, fromHex(DNSMASQ_ERROR_TID))).toBe(0);
    expect(tftp.block).toBe(TftpErr.UnknownTid);
    const n = fromHex(DATA_LAST);
    expect(tftp.parse(scratch, n)).toBe(0);
    expect(tftp.op).toBe(TftpOp.Data);
    expect(tftp.block).toBe(3);
    expect(tftp.dataLen).toBe(11);
    expect(tftp.parse(scratch, fromHex(DNSMASQ_DATA1_HEAD))).toBe(0);
    expect(tftp.block).toBe(1);
    expect(load<u8>(tftp.dataPtr + 1)).toBe(pattern(1));
  });

  it("emits ACK and ERROR as scapy does", () => {
    tftp.op = TftpOp.Ack;
    tftp.block = 0;
    expect(toHex(pkt, tftp.emit(pkt))).toBe(ACK0);
  });

  it("rejects truncated packets, unterminated options and unknown opcodes", () => {
    fromHex(OACK_WINDOW);
    expect(tftp.parse(scratch, 1)).toBe(Ctr.DropTftpMalformed);
    expect(tftp.parse(scratch, 50)).toBe(Ctr.DropTftpMalformed); // last value's NUL cut off
    expect(tftp.parse(scratch, 10)).toBe(Ctr.DropTftpMalformed); // inside a name
    fromHex(DATA_LAST);
    expect(tftp.parse(scratch, 3)).toBe(Ctr.DropTftpMalformed);
    expect(tftp.parse(scratch, 4)).toBe(0); // an empty DATA block is a valid last block
    expect(tftp.parse(scratch, fromHex("0007000100"))).toBe(Ctr.DropTftpMalformed);
    expect(tftp.parse(scratch, fromHex("0000"))).toBe(Ctr.DropTftpMalformed);
    expect(tftp.parse(scratch, fromHex("0005"))).toBe(Ctr.DropTftpMalformed);
  });

  it("never reads past any prefix of a fixture, nor traps on random bytes", () => {
    const all = [RRQ_OPTIONS, DNSMASQ_OACK, TFTPD_HPA_OACK, OACK_WINDOW, OACK_UNASKED, DNSMASQ_ERROR_TID, TFTPD_HPA_ERROR_OPTIONS, DATA_LAST];
    for (let f = 0; f < all.length; f++) {
      const n = fromHex(all[f]);
      // The bytes after the prefix are poisoned: a parser reading them would find no NUL.
      for (let len = 0; len <= n; len++) {
        memory.fill(scratch + <usize>len, 0x41, 64);
        const r = tftp.parse(scratch, len);
        // A prefix is refused as malformed or is itself a whole packet (a shorter DATA, a request): no other verdict.
        expect(r == 0 || r == Ctr.DropTftpMalformed).toBe(true);
        if (len < 2) expect(r).toBe(Ctr.DropTftpMalformed);
        fromHex(all[f]);
      }
      expect(tftp.parse(scratch, n)).toBe(0);
    }
    let seed: u32 = 12345;
    let accepted = 0;
    let malformed = 0;
    for (let i = 0; i < 2000; i++) {
      const len = <i32>(seed % 64);
      for (let k = 0; k < len; k++) {
        seed = seed * 1103515245 + 12345;
        store<u8>(scratch + <usize>k, <u8>(seed >> 16));
      }
      store<u8>(scratch, 0);
      store<u8>(scratch + 1, <u8>(1 + (seed >> 8) % 6));
      const r = tftp.parse(scratch, len);
      if (r == 0) accepted++;
      else if (r == Ctr.DropTftpMalformed) malformed++;
    }
    expect(accepted + malformed).toBe(2000);
    expect(accepted).toBeGreaterThan(0);
    expect(malformed).toBeGreaterThan(0);
  });
});

// ---- the client ------------------------------------------------------------------

describe("TFTP client, friendly servers", () => {
  beforeAll(resetFirmware);
  it("sends the RRQ to port 69 from an ephemeral port", () => {
    setup(0);
    const before = txCount();
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(txCount()).toBe(before + 1);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(sentDst()).toBe(SERVER);
    expect(sentDstPort()).toBe(TFTP_PORT);
    expect(sentSrcPort()).toBe(tftpLocalPort);
    expect(tftpLocalPort).toBeGreaterThanOrEqual(49152);
    expect(toHex(txBuf + PAYLOAD, 78)).toBe(RRQ_OPTIONS);
    expect(udpBound(tftpLocalPort)).toBe(true);
    expect(udpBound(TFTP_PORT)).toBe(false);
    expect(tftpPoll(0)).toBe(INITIAL_RTO);
  });

  it("takes dnsmasq's OACK (no windowsize: lockstep) and gets the 3000-byte file", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(rxHex(DNSMASQ_OACK, 1)).toBe(true);
    expect(sentOp()).toBe(TftpOp.Ack);
    expect(sentBlock()).toBe(0);
    expect(sentDstPort()).toBe(TID);
    expect(tftpBlksize).toBe(1428);
    expect(tftpWindow).toBe(1);
    expect(tftpTsize).toBe(3000);
    expect(data(1, 0, 1428, 2)).toBe(true);
    expect(sentBlock()).toBe(1);
    expect(data(2, 1428, 1428, 3)).toBe(true);
    expect(sentBlock()).toBe(2);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(data(3, 2856, 144, 4)).toBe(true);
    expect(sentBlock()).toBe(3);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(tftpSize).toBe(3000);
    expect(sunk).toBe(3000);
    expect(sinkOk).toBe(true);
  });

  it("takes tftp-hpa's OACK, which acknowledges the timeout", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(rxHex(TFTPD_HPA_OACK, 1)).toBe(true);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(sentBlock()).toBe(0);
    expect(tftpBlksize).toBe(1428);
  });

  it("with a window, acknowledges only each window's last block and the file's last block", () => {
    negotiated(512, 4, 1 << 20, 0);
    expect(tftpWindow).toBe(4);
    const before = txCount();
    for (let b: u32 = 1; b <= 10; b++) {
      data(b, (b - 1) * 512, 512, 1);
      if (b == 4 || b == 8) {
        expect(sentBlock()).toBe(b);
      }
    }
    expect(txCount()).toBe(before + 2);
    data(11, 5120, 100, 2);
    expect(txCount()).toBe(before + 3);
    expect(sentBlock()).toBe(11);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(tftpSize).toBe(5220);
    expect(sinkOk).toBe(true);
  });

  it("a file of whole blocks ends with an empty block", () => {
    negotiated(512, 2, 1024, 0);
    data(1, 0, 512, 1);
    data(2, 512, 512, 1);
    expect(sentBlock()).toBe(2);
    expect(tftpStatus).toBe(TftpStatus.Running);
    data(3, 1024, 0, 2);
    expect(sentBlock()).toBe(3);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(tftpSize).toBe(1024);
    expect(sinkCalls).toBe(2);
  });

  it("a server that ignores the options: RFC 1350 lockstep with 512-byte blocks", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(data(1, 0, 512, 1)).toBe(true);
    expect(tftpBlksize).toBe(512);
    expect(tftpWindow).toBe(1);
    expect(sentOp()).toBe(TftpOp.Ack);
    expect(sentBlock()).toBe(1);
    expect(sentDstPort()).toBe(TID);
    data(2, 512, 10, 2);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(tftpSize).toBe(522);
    expect(sinkOk).toBe(true);
  });

  it("a server that refuses the options (tftp-hpa's ERROR 8): asks again, plain, from a new port", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    const first = tftpLocalPort;
    expect(rxHex(TFTPD_HPA_ERROR_OPTIONS, 1)).toBe(true);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(tftpLocalPort).not.toBe(first);
    expect(sentOp()).toBe(TftpOp.Rrq);
    expect(sentSrcPort()).toBe(tftpLocalPort);
    // Name and mode only.
    expect(get16(txBuf + 14 + 20 + 4)).toBe(8 + 2 + NAME_LEN + 1 + 6);
    data(1, 0, 100, 2, TID + 1);
    expect(tftpStatus).toBe(TftpStatus.Done);
  });

  it("file not found is its own outcome (dnsmasq and tftp-hpa)", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    const before = txCount();
    expect(rxHex(DNSMASQ_ERROR_NOTFOUND, 1)).toBe(true);
    expect(tftpStatus).toBe(TftpStatus.NotFound);
    expect(txCount()).toBe(before); // no answer to an ERROR
    expect(udpBound(tftpLocalPort)).toBe(false);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 10);
    rxHex(TFTPD_HPA_ERROR_NOTFOUND, 11);
    expect(tftpStatus).toBe(TftpStatus.NotFound);
    expect(tftpPoll(20)).toBe(i64.MAX_VALUE);
  });

  it("another ERROR from the server ends the transfer with its code", () => {
    negotiated(512, 4, 1 << 20, 0);
    data(1, 0, 512, 1);
    expect(rxHex("0005000241636365737300", 2)).toBe(true); // ERROR 2 "Access"
    expect(tftpStatus).toBe(TftpStatus.ServerError);
    expect(tftpErrorCode).toBe(2);
  });

  it("repeats its ACK of the OACK when the server repeats the OACK", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    oack(1428, 8, 0, 1);
    const before = txCount();
    expect(oack(1428, 8, 0, 1200)).toBe(false);
    expect(txCount()).toBe(before + 1);
    expect(sentBlock()).toBe(0);
    expect(counterValue(Ctr.DropTftpDuplicate)).toBeGreaterThan(0);
    expect(tftpStatus).toBe(TftpStatus.Running);
  });

  it("after the last ACK, dallies: a repeated last block is acknowledged again, then the port closes", () => {
    negotiated(512, 4, 1 << 20, 0);
    data(1, 0, 10, 1);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(udpBound(tftpLocalPort)).toBe(true);
    const before = txCount();
    expect(data(1, 0, 10, 1000)).toBe(false);
    expect(txCount()).toBe(before + 1);
    expect(sentBlock()).toBe(1);
    expect(tftpPoll(1 + DALLY)).toBe(i64.MAX_VALUE);
    expect(udpBound(tftpLocalPort)).toBe(false);
    expect(tftpStatus).toBe(TftpStatus.Done);
  });
});

describe("TFTP client, loss and timers", () => {
  beforeAll(resetFirmware);
  it("sends the RRQ again with backoff, and gives up after 5 tries", () => {
    setup(0);
    const before = txCount();
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    let t = tftpPoll(0);
    expect(t).toBe(1000);
    t = tftpPoll(t);
    expect(t).toBe(1000 + 2000);
    t = tftpPoll(t);
    expect(t).toBe(3000 + 4000);
    t = tftpPoll(t);
    expect(t).toBe(7000 + MAX_RTO);
    t = tftpPoll(t);
    expect(t).toBe(15000 + MAX_RTO);
    expect(txCount()).toBe(before + 5);
    expect(tftpStatus).toBe(TftpStatus.Running);
    t = tftpPoll(t);
    expect(t).toBe(i64.MAX_VALUE);
    expect(txCount()).toBe(before + 5);
    expect(tftpStatus).toBe(TftpStatus.Timeout);
  });

  it("a late answer to the first RRQ is still taken (same port for the retransmission)", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    tftpPoll(1000);
    expect(rxHex(DNSMASQ_OACK, 1100)).toBe(true);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(sentBlock()).toBe(0);
  });

  it("on a timeout mid-window, acknowledges the last block in order (RFC 7440)", () => {
    negotiated(512, 4, 1 << 20, 0);
    data(1, 0, 512, 1);
    data(2, 512, 512, 1);
    const before = txCount();
    const t = tftpPoll(2);
    expect(txCount()).toBe(before);
    expect(tftpPoll(t)).toBeGreaterThan(t);
    expect(txCount()).toBe(before + 1);
    expect(sentBlock()).toBe(2);
    // The server starts a new window at 3: the next ACK is at 2 + 4.
    for (let b: u32 = 3; b <= 6; b++) data(b, (b - 1) * 512, 512, t + 10);
    expect(txCount()).toBe(before + 2);
    expect(sentBlock()).toBe(6);
    expect(sinkOk).toBe(true);
  });

  it("gives up mid-transfer after 5 timeouts in a row", () => {
    negotiated(512, 4, 1 << 20, 0);
    data(1, 0, 512, 1);
    let t: i64 = 1;
    for (let i = 0; i < 5; i++) t = tftpPoll(tftpPoll(t));
    expect(tftpStatus).toBe(TftpStatus.Timeout);
    expect(tftpSize).toBe(512);
  });

  it("the RTO follows the round trip: fast answers bring it to its floor, slow ones raise it", () => {
    negotiated(512, 1, 1 << 20, 0);
    let t: i64 = 0;
    for (let b: u32 = 1; b <= 20; b++) {
      t += 2;
      data(b, (b - 1) * 512, 512, t);
    }
    expect(tftpRto()).toBe(MIN_RTO);
    for (let b: u32 = 21; b <= 40; b++) {
      t += 900;
      data(b, (b - 1) * 512, 512, t);
    }
    expect(tftpRto()).toBeGreaterThan(900);
    expect(tftpRto()).toBeLessThanOrEqual(MAX_RTO);
    expect(tftpStatus).toBe(TftpStatus.Running);
  });
});

describe("TFTP client, hostile servers", () => {
  beforeAll(resetFirmware);
  it("wrong TID: ERROR 5 to the stranger, the transfer goes on", () => {
    negotiated(512, 4, 1 << 20, 0);
    data(1, 0, 512, 1);
    const drops = counterValue(Ctr.DropTftpTid);
    expect(data(2, 512, 512, 2, TID + 7)).toBe(false);
    expect(sentOp()).toBe(TftpOp.Error);
    expect(toHex(txBuf + PAYLOAD, 24)).toBe(ERROR_TID);
    expect(sentDst()).toBe(SERVER);
    expect(sentDstPort()).toBe(TID + 7);
    expect(sentSrcPort()).toBe(tftpLocalPort);
    // Another host, even from the right port number.
    expect(data(2, 512, 512, 3, TID, STRANGER)).toBe(false);
    expect(sentDst()).toBe(STRANGER);
    expect(sentDstPort()).toBe(TID);
    // An ERROR from a stranger is not answered, and does not end the transfer.
    const before = txCount();
    expect(rxHex(DNSMASQ_ERROR_NOTFOUND, 4, 999)).toBe(false);
    expect(txCount()).toBe(before);
    expect(counterValue(Ctr.DropTftpTid)).toBe(drops + 3);
    expect(tftpStatus).toBe(TftpStatus.Running);
    for (let b: u32 = 2; b <= 4; b++) data(b, (b - 1) * 512, 512, 5);
    expect(sentBlock()).toBe(4);
    data(5, 2048, 1, 6);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(sinkOk).toBe(true);
  });

  it("before the server answers, only the server's address may answer", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(rxHex(DNSMASQ_OACK, 1, TID, STRANGER)).toBe(false);
    expect(sentOp()).toBe(TftpOp.Error);
    expect(sentDst()).toBe(STRANGER);
    expect(tftpStatus).toBe(TftpStatus.Running);
    expect(rxHex(DNSMASQ_OACK, 2)).toBe(true);
    expect(sentOp()).toBe(TftpOp.Ack);
  });

  it("out-of-order blocks: one ACK of the last block in order, none per stray block", () => {
    negotiated(512, 8, 1 << 20, 0);
    data(1, 0, 512, 1);
    data(2, 512, 512, 1);
    const before = txCount();
    const ooo = counterValue(Ctr.DropTftpOutOfOrder);
    expect(data(4, 1536, 512, 1)).toBe(false); // 3 was lost
    expect(txCount()).toBe(before + 1);
    expect(sentBlock()).toBe(2);
    data(5, 2048, 512, 1);
    data(6, 2560, 512, 1);
    data(60, 0, 512, 1); // far out of the window
    expect(txCount()).toBe(before + 1);
    expect(counterValue(Ctr.DropTftpOutOfOrder)).toBe(ooo + 4);
    // The server starts again at 3; the window now ends at 2 + 8.
    for (let b: u32 = 3; b <= 10; b++) data(b, (b - 1) * 512, 512, 2);
    expect(txCount()).toBe(before + 2);
    expect(sentBlock()).toBe(10);
    expect(sinkOk).toBe(true);
    expect(sunk).toBe(10 * 512);
  });

  it("duplicates are dropped; a repeat of the last acknowledged block gets one ACK per RTO", () => {
    negotiated(512, 4, 1 << 20, 0);
    for (let b: u32 = 1; b <= 4; b++) data(b, (b - 1) * 512, 512, 1);
    const before = txCount();
    const dups = counterValue(Ctr.DropTftpDuplicate);
    // The server did not get ACK 4 and sends the window again.
    for (let b: u32 = 1; b <= 3; b++) expect(data(b, (b - 1) * 512, 512, 1000)).toBe(false);
    expect(txCount()).toBe(before);
    expect(data(4, 1536, 512, 1000)).toBe(false);
    expect(txCount()).toBe(before + 1);
    expect(sentBlock()).toBe(4);
    for (let i = 0; i < 10; i++) data(4, 1536, 512, 1001);
    expect(txCount()).toBe(before + 1);
    expect(counterValue(Ctr.DropTftpDuplicate)).toBe(dups + 14);
    expect(sunk).toBe(2048);
    expect(sinkOk).toBe(true);
  });

  it("an OACK with an option never asked for: ERROR 8 and abort", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    expect(rxHex(OACK_UNASKED, 1)).toBe(true);
    expect(sentOp()).toBe(TftpOp.Error);
    expect(get16(txBuf + PAYLOAD + 2)).toBe(TftpErr.Options);
    expect(sentDstPort()).toBe(TID);
    expect(tftpStatus).toBe(TftpStatus.Protocol);
    expect(tftpErrorCode).toBe(8);
    expect(udpBound(tftpLocalPort)).toBe(false);
  });

  it("an OACK with more than was asked (blksize, windowsize) or another timeout: ERROR 8", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 0);
    oack(1429, 4, 0, 1);
    expect(tftpStatus).toBe(TftpStatus.Protocol);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 2);
    oack(1428, REQ_WINDOW + 1, 0, 3);
    expect(tftpStatus).toBe(TftpStatus.Protocol);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 4);
    oack(4, 4, 0, 5);
    expect(tftpStatus).toBe(TftpStatus.Protocol);
    tftpStart(SERVER, NAME, NAME_LEN, 1 << 20, 6);
    rxHex("0006" + text("timeout") + text("5"), 7);
    expect(tftpStatus).toBe(TftpStatus.Protocol);
    expect(sentOp()).toBe(TftpOp.Error);
  });

  it("tsize past the destination: ERROR 3, refused before any data", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 2999, 0);
    expect(rxHex(DNSMASQ_OACK, 1)).toBe(true);
    expect(toHex(txBuf + PAYLOAD, 37)).toBe(ERROR_FULL);
    expect(tftpStatus).toBe(TftpStatus.Refused);
    expect(tftpErrorCode).toBe(3);
    expect(sinkCalls).toBe(0);
  });

  it("endless data is cut at the destination's capacity", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 10 * 512, 0);
    // A plain server that never sends a short block.
    let b: u32 = 1;
    for (; b <= 100 && tftpStatus == TftpStatus.Running; b++) data(b, (b - 1) * 512, 512, 1);
    expect(b).toBe(12);
    expect(tftpStatus).toBe(TftpStatus.Refused);
    expect(sentOp()).toBe(TftpOp.Error);
    expect(get16(txBuf + PAYLOAD + 2)).toBe(TftpErr.DiskFull);
    expect(tftpSize).toBe(10 * 512);
    expect(sunk).toBe(10 * 512);
    // Later packets find the port closed.
    expect(udpBound(tftpLocalPort)).toBe(false);
  });

  it("a destination that cannot take more aborts with ERROR 3", () => {
    negotiated(512, 4, 1 << 20, 0);
    sinkLimit = 1000;
    data(1, 0, 512, 1);
    data(2, 512, 512, 1);
    expect(tftpStatus).toBe(TftpStatus.Refused);
    expect(get16(txBuf + PAYLOAD + 2)).toBe(TftpErr.DiskFull);
  });

  it("a destination that refuses the content aborts with ERROR 0 \"File content refused\"", () => {
    negotiated(512, 4, 1 << 20, 0);
    sinkLimit = 100;
    sinkRefusal = Sink.Refused;
    data(1, 0, 512, 1);
    expect(tftpStatus).toBe(TftpStatus.Refused);
    expect(get16(txBuf + PAYLOAD + 2)).toBe(TftpErr.Undefined);
    expect(String.UTF8.decodeUnsafe(txBuf + PAYLOAD + 4, 20)).toBe("File content refused");
    expect(load<u8>(txBuf + PAYLOAD + 24)).toBe(0);
  });

  it("drops a block longer than negotiated, requests, ACKs and garbage: no answer, no trap", () => {
    negotiated(512, 4, 1 << 20, 0);
    const before = txCount();
    expect(data(1, 0, 513, 1)).toBe(false);
    expect(rxHex("00040001", 1)).toBe(false);
    expect(rxHex(RRQ_OPTIONS, 1)).toBe(false);
    expect(rxHex(OACK_WINDOW, 1)).toBe(false); // an OACK is a duplicate only before data; here still block 1 expected
    expect(rxHex("00", 1)).toBe(false);
    let seed: u32 = 7;
    for (let i = 0; i < 500; i++) {
      const len = <i32>(seed % 40);
      for (let k = 0; k < len; k++) {
        seed = seed * 1103515245 + 12345;
        store<u8>(pkt + <usize>k, <u8>(seed >> 16));
      }
      tftpRx(pkt, len, SERVER, TID, 1);
    }
    expect(tftpStatus == TftpStatus.Running || tftpStatus == TftpStatus.ServerError || tftpStatus == TftpStatus.Done).toBe(true);
    expect(txCount() - before).toBeLessThanOrEqual(8);
  });

  it("a name too long for an RRQ is refused at the start", () => {
    tftpStart(SERVER, NAME, 129, 100, 0);
    expect(tftpStatus).toBe(TftpStatus.BadName);
    tftpStart(SERVER, NAME, 0, 100, 0);
    expect(tftpStatus).toBe(TftpStatus.BadName);
    tftpStop();
  });
});

describe("TFTP block numbers", () => {
  beforeAll(resetFirmware);
  it("roll over past 65535 to 0, as tftp-hpa and dnsmasq send them", () => {
    negotiated(8, 256, 0xffff_ffff, 0);
    sinkCheck = false;
    let acks = 0;
    let lastAck: u32 = 0;
    for (let b: u32 = 1; b <= 65600; b++) {
      const before = txCount();
      expect<bool>(data(b, 0, 8, 1)).toBe(true);
      if (txCount() != before) {
        acks++;
        lastAck = sentBlock();
      }
    }
    expect(acks).toBe(256); // 65600 / 256 windows
    expect(lastAck).toBe(65536 & 0xffff); // the 256th window ends at block 65536, sent as 0
    expect(tftpSize).toBe(65600 * 8);
    data(65601, 0, 3, 2);
    expect(sentBlock()).toBe(65601 & 0xffff);
    expect(tftpStatus).toBe(TftpStatus.Done);
  });

  it("in lockstep, also a server that wraps to 1", () => {
    setup(0);
    tftpStart(SERVER, NAME, NAME_LEN, 0xffff_ffff, 0);
    sinkCheck = false;
    for (let b: u32 = 1; b <= 65535; b++) data(b, 0, 512, 1);
    expect(sentBlock()).toBe(65535);
    expect(data(1, 0, 512, 1)).toBe(true); // 65536th block, numbered 1
    expect(sentBlock()).toBe(1);
    expect(data(1, 0, 512, 1)).toBe(false); // its repeat is a duplicate
    expect(data(2, 0, 100, 1)).toBe(true);
    expect(tftpStatus).toBe(TftpStatus.Done);
    expect(tftpSize).toBe(65536 * 512 + 100);
  });
});
