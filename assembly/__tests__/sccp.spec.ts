// SCCP messages and the registration state machine, over the firmware's TCP,
// against CallManagers scripted segment by segment below.
//
// The message fixtures were built with Python's struct module to the layout of
// Wireshark's skinny dissector, and tshark 4.0.17 dissects them as
// RegisterReq (DeviceName SEP001B54C2A710, stationIpAddr 198.51.100.50, Device
// Type StationTelecasterMgr (7), Protocol Version 11), RegisterAck
// (keepAliveInterval 30, dateTemplate M/D/YA, secondaryKeepAliveInterval 60,
// maxProtocolVer 11), RegisterReject ("Device not configured"), Reset
// (restart), KeepAliveReq, KeepAliveAck, IpPort (16384), UnregisterReq
// (tests/sccp.test.ts re-checks them with tshark when it is installed).
import { fromHex, scratch, toHex } from "./hex";
import { SCCP_HEADER, SccpMsg, sccpFrameLength } from "../wire/sccp";
import { SccpRepr } from "../wire/sccp";
import { sccp } from "./records";
import {
  ALL_DOWN_FIRST, PRIMARY_RETRY, REGISTER_TIMEOUT, RegState, registerClear, registerPoll, registerSetCallManager, registerStart, registerState, registerStop, registeredCm,
} from "../phone/register";
import { TcpState, tcpPoll } from "../net/tcp";
import { tcpRx } from "../net/tcp";
import { arpFlush } from "../net/arp";
import { configure, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame } from "../net/stack";
import { DEVICE_NAME_LEN, deviceName, setDeviceName } from "../phone/identity";
import { fold, get16, get32, get8, pseudoSum, put16, put32, put8, putMac, sum16 } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { resetFirmware } from "./reset";

export const REGISTER = "380000000000000001000000534550303031423534433241373130000000000001000000c63364320700000005000000000000000b0000000000000000000000";
export const REGISTER_ACK = "1800000000000000810000001e0000004d2f442f594100003c0000000b000000";
export const REGISTER_REJECT = "24000000000000009d000000446576696365206e6f7420636f6e666967757265640000000000000000000000";
export const RESET_RESTART = "08000000000000009f00000002000000";
export const KEEPALIVE = "040000000000000000000000";
export const KEEPALIVE_ACK = "040000000000000000010000";
export const IP_PORT = "08000000000000000200000000400000";
export const UNREGISTER = "040000000000000027000000";

const PHONE_MAC: u64 = 0x001b54c2a710;
const PHONE_IP: u32 = 0xc6336432; // 198.51.100.50
const CM_IPS: u32[] = [0xc633640a, 0xc633640b, 0xc633640c]; // 198.51.100.10-12
const SYN: u32 = 2, FIN: u32 = 1, RST: u32 = 4, PSH: u32 = 8, ACK: u32 = 16;
const seg = memory.data(1600);
const OUT = txBuf + 14 + 20;

let now: i64 = 1000;

// ---- a CallManager made of hand-built segments ------------------------------------

/** An ARP reply from (mac, ip) to the phone: learned, not answered. */
function learn(mac: u64, ip: u32): void {
  const f = rxBuf;
  putMac(f, PHONE_MAC);
  putMac(f + 6, mac);
  put16(f + 12, 0x0806);
  put16(f + 14, 1);
  put16(f + 16, 0x0800);
  put8(f + 18, 6);
  put8(f + 19, 4);
  put16(f + 20, 2);
  putMac(f + 22, mac);
  put32(f + 28, ip);
  putMac(f + 32, PHONE_MAC);
  put32(f + 38, PHONE_IP);
  onFrame(42, now);
}

/** When the last frame is the phone's ARP request for a CallManager, answers it. */
function answerArp(): bool {
  if (get16(txBuf + 12) != 0x0806 || get16(txBuf + 20) != 1) return false;
  const target = get32(txBuf + 38);
  for (let i = 0; i < 3; i++) if (target == CM_IPS[i]) learn(0x02005e000a01 + <u64>i, target);
  return true;
}

function learnAll(): void {
  for (let i = 0; i < 3; i++) learn(0x02005e000a01 + <u64>i, CM_IPS[i]);
}

function outDst(): u32 { return get32(txBuf + 14 + 16); }
function outIsTcp(): bool { return get16(txBuf + 12) == 0x0800 && get8(txBuf + 14 + 9) == 6; }
function outFlags(): u32 { return get8(OUT + 13); }
function outSeq(): u32 { return get32(OUT + 4); }
function outPayload(): usize { return OUT + (<usize>(get8(OUT + 12) >> 4) << 2); }
function outLen(): i32 { return <i32>get16(txBuf + 14 + 2) - 20 - (<i32>(get8(OUT + 12) >> 4) << 2); }
function tx(): u32 { return counterValue(Ctr.TxFrames); }

/** The CallManager's end of one connection. */
class Cm {
  ip: u32 = 0;
  port: u32 = 0; // the phone's
  seq: u32 = 0x10000000; // ours
  rcv: u32 = 0; // next byte expected from the phone

  constructor(public index: i32) { this.ip = CM_IPS[index]; }

  /** The phone's SYN must be the last frame: remember its port and ISN. */
  sawSyn(): void {
    expect(outIsTcp()).toBe(true);
    expect(outDst()).toBe(this.ip);
    expect(outFlags()).toBe(SYN);
    expect(get16(OUT + 2)).toBe(2000);
    this.port = get16(OUT);
    this.rcv = outSeq() + 1;
  }

  segment(flags: u32, n: i32 = 0): bool {
    put16(seg, 2000);
    put16(seg + 2, this.port);
    put32(seg + 4, this.seq);
    put32(seg + 8, this.rcv);
    put8(seg + 12, 0x50);
    put8(seg + 13, flags);
    put16(seg + 14, 8192);
    put32(seg + 16, 0);
    const len = 20 + n;
    put16(seg + 16, fold(sum16(seg, len, pseudoSum(this.ip, PHONE_IP, 6, len))));
    const r = tcpRx(seg, len, this.ip, PHONE_IP, now);
    this.seq += <u32>n + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
    return r;
  }

  accept(): void {
    this.segment(SYN | ACK);
    registerPoll(now);
  }

  refuse(): void {
    this.seq = 0;
    this.segment(RST | ACK);
    registerPoll(now);
  }

  /** Sends SCCP bytes (hex) to the phone, then lets it run. */
  say(hex: string): bool {
    const n = fromHex(hex, seg + 20);
    const r = this.segment(PSH | ACK, n);
    registerPoll(now);
    return r;
  }

  /** The last frame is the phone's data to us: check its SCCP message id, take it in. */
  heard(id: u32): void {
    expect(outIsTcp()).toBe(true);
    expect(outDst()).toBe(this.ip);
    expect(outLen() >= SCCP_HEADER).toBe(true);
    expect(load<u32>(outPayload() + 8)).toBe(id);
    this.rcv = outSeq() + <u32>outLen();
  }
}

function setup(): void {
  setMac(PHONE_MAC);
  setDeviceName(PHONE_MAC);
  configure(PHONE_IP, 0xffffff00, 0xc6336401);
  arpFlush();
  learnAll();
  registerClear();
  for (let i = 0; i < 3; i++) registerSetCallManager(i, CM_IPS[i], 0);
}

/** Runs the firmware's timers up to `t` (ms), as the host would. */
function runTo(t: i64): void {
  while (true) {
    const next = min(tcpPoll(now), registerPoll(now));
    if (next > t) break;
    now = next;
  }
  now = t;
  tcpPoll(now);
  registerPoll(now);
}

describe("SCCP messages", () => {
  beforeAll(resetFirmware);
  it("writes StationRegister as Wireshark reads it", () => {
    setDeviceName(PHONE_MAC);
    sccp.namePtr = deviceName;
    sccp.nameLen = DEVICE_NAME_LEN;
    sccp.msgId = SccpMsg.Register;
    sccp.userId = 0;
    sccp.instance = 1;
    sccp.stationIp = PHONE_IP;
    sccp.deviceType = 7;
    sccp.maxStreams = 5;
    sccp.protocolVersion = 11;
    const n = sccp.emit(scratch);
    expect(n).toBe(64);
    expect(toHex(scratch, n)).toBe(REGISTER);
    expect(sccpFrameLength(scratch, n)).toBe(64);
  });

  it("writes KeepAlive, IpPort and Unregister", () => {
    sccp.msgId = SccpMsg.KeepAlive;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(KEEPALIVE);
    sccp.msgId = SccpMsg.IpPort;
    sccp.rtpPort = 16384;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(IP_PORT);
    sccp.msgId = SccpMsg.Unregister;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(UNREGISTER);
  });

  it("reads RegisterAck, RegisterReject, Reset and its own StationRegister", () => {
    const r = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
    let n = fromHex(REGISTER_ACK);
    expect(r.parse(scratch, n)).toBe(0);
    expect(r.msgId).toBe(SccpMsg.RegisterAck);
    expect(r.keepAlive).toBe(30);
    expect(r.secondaryKeepAlive).toBe(60);
    expect(r.maxProtocolVersion).toBe(11);
    n = fromHex(REGISTER_REJECT);
    expect(r.parse(scratch, n)).toBe(0);
    expect(String.UTF8.decodeUnsafe(r.textPtr, r.textLen)).toBe("Device not configured");
    n = fromHex(RESET_RESTART);
    expect(r.parse(scratch, n)).toBe(0);
    expect(r.resetType).toBe(2);
    n = fromHex(REGISTER);
    expect(r.parse(scratch, n)).toBe(0);
    expect(r.stationIp).toBe(PHONE_IP);
    expect(r.deviceType).toBe(7);
    expect(r.protocolVersion).toBe(11);
  });

  it("frames a stream: whole, partial, and impossible lengths", () => {
    const n = fromHex(KEEPALIVE_ACK + REGISTER_ACK);
    expect(sccpFrameLength(scratch, n)).toBe(12);
    expect(sccpFrameLength(scratch + 12, n - 12)).toBe(32);
    expect(sccpFrameLength(scratch + 12, 31)).toBe(0);
    expect(sccpFrameLength(scratch, 3)).toBe(0);
    store<u32>(scratch, 3); // shorter than a message id
    expect(sccpFrameLength(scratch, n)).toBe(-1);
    store<u32>(scratch, 0xffff_fff0); // huge
    expect(sccpFrameLength(scratch, n)).toBe(-1);
  });

  it("refuses messages too short for their type, without reading past them", () => {
    const r = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
    fromHex("08000000000000008100000001000000"); // a RegisterAck with 4 bytes of data
    expect(r.parse(scratch, 16)).toBe(Ctr.SccpMalformed);
    fromHex("04000000000000009f000000"); // a Reset without its type
    expect(r.parse(scratch, 12)).toBe(Ctr.SccpMalformed);
    expect(r.parse(scratch, 11)).toBe(Ctr.SccpMalformed);
    fromHex("0400000000000000"); // a length that says more than is there
    expect(r.parse(scratch, 8)).toBe(Ctr.SccpMalformed);
  });
});

// The connections of the scenario below, one CallManager end each.
let cm1 = new Cm(0);
let cm2 = new Cm(1);
let cm3 = new Cm(2);
const REGISTER_LEN: u32 = 64;
const IP_PORT_LEN: u32 = 16;
const KEEPALIVE_LEN: u32 = 12;

/** Answers every SYN the phone sends from now on with a RST, until `t`; returns the frames sent meanwhile. */
function refuseAllUntil(t: i64): u32 {
  const start = tx();
  let seen = tx();
  while (now < t) {
    const next = min(tcpPoll(now), registerPoll(now));
    now = min(next, t);
    tcpPoll(now);
    registerPoll(now);
    while (tx() != seen) {
      seen = tx();
      if (answerArp()) continue;
      if (outIsTcp() && outFlags() == SYN) {
        const c = new Cm(outDst() == CM_IPS[0] ? 0 : outDst() == CM_IPS[1] ? 1 : 2);
        c.sawSyn();
        c.refuse();
      }
    }
  }
  return tx() - start;
}

describe("Registration and failover", () => {
  beforeAll(resetFirmware);
  it("tries CM1, and on a refused connection CM2", () => {
    setup();
    registerStart(now);
    expect(registerState).toBe(RegState.Connecting);
    cm1.sawSyn();
    cm1.refuse();
    cm2.sawSyn();
    expect(registerState).toBe(RegState.Connecting);
  });

  it("sends StationRegister once connected, and on RegisterReject goes to CM3", () => {
    cm2.accept();
    expect(registerState).toBe(RegState.Registering);
    cm2.heard(SccpMsg.Register);
    expect(toHex(outPayload(), 64)).toBe(REGISTER);
    cm2.say(REGISTER_REJECT);
    expect(registerState).toBe(RegState.Connecting);
    cm3.sawSyn();
    // Before the SYN to CM3, a FIN to CM2, which closes too.
    cm2.rcv += 1;
    cm2.segment(FIN | ACK);
  });

  it("registers with CM3 on RegisterAck, sends IpPort, and keeps alive at the interval given", () => {
    cm3.accept();
    cm3.heard(SccpMsg.Register);
    cm3.say(REGISTER_ACK);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(2);
    cm3.heard(SccpMsg.IpPort);
    cm3.segment(ACK);
    const t0 = now;
    runTo(t0 + 29_999);
    const before = tx();
    runTo(t0 + 30_000);
    // The keepalive, then (on a backup for 30 s) the SYN of a probe to CM1.
    expect(tx()).toBe(before + 2);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm3.rcv += KEEPALIVE_LEN;
    cm3.say(KEEPALIVE_ACK);
    expect(registerState).toBe(RegState.Registered);
  });

  it("on a backup, tries the CallManagers above again and falls back to the first that accepts", () => {
    cm1.refuse();
    expect(registeredCm).toBe(2);
    runTo(now + PRIMARY_RETRY);
    // Keepalive to CM3, and the probe now goes to CM2, which accepts.
    cm2 = new Cm(1);
    cm2.sawSyn();
    cm3.rcv += KEEPALIVE_LEN;
    cm3.say(KEEPALIVE_ACK);
    cm2.accept();
    cm2.heard(SccpMsg.Register);
    expect(registeredCm).toBe(2);
    cm2.say(REGISTER_ACK);
    expect(registeredCm).toBe(1);
    cm2.heard(SccpMsg.IpPort);
    cm2.segment(ACK);
    // Before CM2's IpPort, CM3 got Unregister and a FIN; it closes too.
    cm3.rcv += KEEPALIVE_LEN + 1;
    cm3.segment(FIN | ACK);
    expect(registerState).toBe(RegState.Registered);
    runTo(now + PRIMARY_RETRY);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm2.rcv += KEEPALIVE_LEN;
    cm2.say(KEEPALIVE_ACK);
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.say(REGISTER_ACK);
    expect(registeredCm).toBe(0);
    cm1.heard(SccpMsg.IpPort);
    cm1.segment(ACK);
    cm2.rcv += KEEPALIVE_LEN + 1;
    cm2.segment(FIN | ACK);
    // On the primary: no more probes.
    const before = tx();
    runTo(now + PRIMARY_RETRY);
    expect(tx()).toBe(before + 1); // just the keepalive
    cm1.heard(SccpMsg.KeepAlive);
    cm1.say(KEEPALIVE_ACK);
  });

  it("ignores a message too short for its type and waits for one split across segments", () => {
    const bad = counterValue(Ctr.SccpMalformed);
    cm1.say("08000000000000008100000001000000"); // a RegisterAck with 4 bytes of data
    expect(counterValue(Ctr.SccpMalformed)).toBe(bad + 1);
    cm1.say("0400000000000000"); // the first half of a KeepAliveAck
    expect(registerState).toBe(RegState.Registered);
    cm1.say("00010000");
    expect(counterValue(Ctr.SccpMalformed)).toBe(bad + 1);
    expect(registerState).toBe(RegState.Registered);
  });

  it("skips a message longer than its buffer, and goes on with the next", () => {
    const bad = counterValue(Ctr.SccpMalformed);
    // Declares 2000 bytes of data: sent as 2 x 1004 bytes.
    let hex = "d0070000" + "00000000" + "99000000";
    for (let i = 0; i < 496; i++) hex += "00";
    cm1.say(hex); // 12 + 496 = 508 bytes
    for (let k = 0; k < 3; k++) {
      hex = "";
      for (let i = 0; i < 500; i++) hex += "00";
      cm1.say(hex);
    }
    cm1.say(KEEPALIVE_ACK); // 1508 + 500 = 2008 skipped, this one read
    expect(counterValue(Ctr.SccpMalformed)).toBe(bad + 1);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(0);
  });

  it("drops a connection whose stream cannot be SCCP (a huge length), with a RST, and goes to CM2", () => {
    const bad = counterValue(Ctr.SccpMalformed);
    cm1.say("f0ffff7f0000000000000000");
    expect(counterValue(Ctr.SccpMalformed)).toBe(bad + 1);
    expect(registeredCm).toBe(-1);
    expect(registerState).toBe(RegState.Connecting);
    cm2 = new Cm(1);
    cm2.sawSyn();
  });

  it("counts a connection lost when keepalive acks stop, and goes on to CM3", () => {
    cm2.accept();
    cm2.heard(SccpMsg.Register);
    cm2.say(REGISTER_ACK);
    expect(registeredCm).toBe(1);
    cm2.heard(SccpMsg.IpPort);
    cm2.segment(ACK);
    const t0 = now;
    // CM2 acknowledges TCP segments but never answers a KeepAlive.
    for (let k = 1; k <= 2; k++) {
      runTo(t0 + 30_000 * k);
      cm2.rcv += KEEPALIVE_LEN;
      cm2.segment(ACK);
    }
    expect(registeredCm).toBe(1);
    runTo(t0 + 90_000);
    expect(registeredCm).toBe(-1);
    expect(registerState).toBe(RegState.Connecting);
    cm3 = new Cm(2);
    cm3.sawSyn();
  });

  it("with every CallManager refusing: all down, rounds with backoff, few frames a minute", () => {
    cm3.refuse();
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.refuse(); // CM2 was just lost: after CM3 and CM1 the round is over
    expect(registerState).toBe(RegState.AllDown);
    const t0 = now;
    const first = refuseAllUntil(t0 + ALL_DOWN_FIRST - 1);
    expect(first).toBe(0); // quiet for the first 5 s
    refuseAllUntil(t0 + 300_000);
    // In steady state a round (3 SYNs, 3 RSTs back) comes once a minute (plus jitter, plus ARP).
    const lastMinutes = refuseAllUntil(t0 + 600_000);
    expect(lastMinutes >= 4 * 3).toBe(true);
    expect(lastMinutes <= 6 * 3 + 6).toBe(true);
    expect(registerState == RegState.AllDown || registerState == RegState.Connecting).toBe(true);
  });

  it("registers again when a CallManager comes back, from the top of the list", () => {
    // Wait for the next round's first SYN, to CM1, and accept it.
    let seen = tx();
    const limit = now + 120_000;
    while (now < limit) {
      now = min(tcpPoll(now), registerPoll(now));
      tcpPoll(now);
      registerPoll(now);
      if (tx() != seen && answerArp()) seen = tx();
      if (tx() != seen && outIsTcp() && outFlags() == SYN) break;
      seen = tx();
    }
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.say(REGISTER_ACK);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(0);
    cm1.heard(SccpMsg.IpPort);
  });

  it("fails over when StationRegister gets no answer in 10 s", () => {
    registerStart(now);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.segment(ACK);
    runTo(now + REGISTER_TIMEOUT);
    cm2 = new Cm(1);
    cm2.sawSyn();
    expect(registerState).toBe(RegState.Connecting);
  });

  it("stops on Reset from the CallManager", () => {
    cm2.accept();
    cm2.heard(SccpMsg.Register);
    cm2.say(REGISTER_ACK);
    expect(registeredCm).toBe(1);
    cm2.heard(SccpMsg.IpPort);
    cm2.say(RESET_RESTART);
    expect(registerState).toBe(RegState.Off);
    expect(registeredCm).toBe(-1);
    expect(outFlags()).toBe(RST | ACK);
  });

  it("unregisters on a graceful stop", () => {
    registerStart(now);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.say(REGISTER_ACK);
    cm1.heard(SccpMsg.IpPort);
    cm1.segment(ACK);
    const before = tx();
    const at = outSeq() + <u32>outLen();
    registerStop(now, true);
    expect(registerState).toBe(RegState.Off);
    // The Unregister, then the FIN after it.
    expect(tx()).toBe(before + 2);
    expect(outFlags()).toBe(FIN | ACK);
    expect(outSeq()).toBe(at + KEEPALIVE_LEN);
  });
});
