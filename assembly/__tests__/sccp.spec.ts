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
  ALL_DOWN_FIRST, PRIMARY_RETRY, REGISTER_TIMEOUT, SETUP_TIMEOUT, STANDBY_RETRY, RegState, lampMode, ringMode, registerClear, registerPoll, registerSetCallManager,
  registerSetStandby, registerStandbyCm, registerStart, registerState, registerStop, registeredCm,
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
// The station set-up (built by host/wire/sccp.ts's encoders to the layouts of
// Wireshark's SkinnyProtocolOptimized.xml; tshark 4.0.17 dissects each with
// no malformed field: tests/sccp.test.ts).
export const CAPABILITIES_REQ = "04000000000000009b000000";
export const CAPABILITIES_RES = "4800000000000000100000000400000004000000280000000000000000000000020000002800000000000000000000000b0000003c000000000000000000000006000000280000000000000000000000";
export const BUTTON_TEMPLATE_REQ = "04000000000000000e000000";
export const LINE_STAT_REQ_1 = "08000000000000000b00000001000000";
export const BUTTON_TEMPLATE = "160000000000000097000000000000000300000003000000010902090102";
export const SOFTKEY_TEMPLATE = "24000000000000000801000000000000010000000100000052656469616c0000000000000000000001000000";
export const SOFTKEY_SETS = "400000000000000009010000000000000100000001000000010000000000000000000000000000002d01000000000000000000000000000000000000000000000000000000000000";
export const CONFIG_STAT = "74000000000000009300000053455030303142353443324137313000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000434d31000000000000000000000000000000000000000000000000000000000000000000000000000200000001000000";
export const LINE_STAT_1 = "74000000000000009200000001000000313030310000000000000000000000000000000000000000416c6963650000000000000000000000000000000000000000000000000000000000000000000000313030310000000000000000000000000000000000000000000000000000000000000000000000000f000000";
export const LINE_STAT_2 = "74000000000000009200000002000000313030320000000000000000000000000000000000000000416c6963652032000000000000000000000000000000000000000000000000000000000000000000313030320000000000000000000000000000000000000000000000000000000000000000000000000f000000";
export const SPEED_DIAL_STAT = "48000000000000009100000001000000393131000000000000000000000000000000000000000000456d657267656e637900000000000000000000000000000000000000000000000000000000000000";
export const FORWARD_STAT = "640000000000000090000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
export const DEFINE_TIME_DATE = "280000000000000094000000ea0700000c0000000300000002000000090000001e0000000f000000fa00000027e50f6b";
export const DISPLAY_NOTIFY = "2800000000000000140100000a000000596f75722063757272656e74206f7074696f6e73000000000000000000000000";
export const CLEAR_PROMPT = "0c00000000000000130100000000000000000000";
export const SET_LAMP = "100000000000000086000000090000000100000002000000";
export const SET_RINGER = "14000000000000008500000001000000010000000000000000000000";
export const RESET_APPLY = "08000000000000009f00000003000000";
/** A CallManager's answers to the whole set-up of a phone with two lines and a speed dial, in one segment. */
export const SETUP_ANSWERS = CAPABILITIES_REQ + BUTTON_TEMPLATE + SOFTKEY_TEMPLATE + SOFTKEY_SETS + CONFIG_STAT + LINE_STAT_1 + LINE_STAT_2 +
  SPEED_DIAL_STAT + FORWARD_STAT + DEFINE_TIME_DATE + CLEAR_PROMPT;

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

  /** RegisterAck, then the answers to the whole station set-up; everything the phone sent is taken in. */
  register(): void {
    this.say(REGISTER_ACK);
    this.heard(SccpMsg.ButtonTemplateReq);
    this.say(SETUP_ANSWERS);
    this.takeAll();
  }

  /** Takes in (and acknowledges) the phone's data up to its last frame to us. */
  takeAll(): void {
    for (let k = 0; k < 20; k++) {
      if (!outIsTcp() || outDst() != this.ip || outLen() <= 0 || outSeq() + <u32>outLen() == this.rcv) break;
      this.rcv = outSeq() + <u32>outLen();
      this.segment(ACK);
      tcpPoll(now);
      registerPoll(now);
    }
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
  // The frame-by-frame failover below runs without the standby connection; "The standby connection" turns it on.
  registerSetStandby(false);
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

  it("writes the set-up's requests and CapabilitiesRes (G.711 mu-law and A-law, G.729, G.722) as Wireshark reads them", () => {
    sccp.msgId = SccpMsg.CapabilitiesRes;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(CAPABILITIES_RES);
    sccp.msgId = SccpMsg.LineStatReq;
    sccp.arg = 1;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(LINE_STAT_REQ_1);
    sccp.msgId = SccpMsg.ButtonTemplateReq;
    expect(toHex(scratch, sccp.emit(scratch))).toBe(BUTTON_TEMPLATE_REQ);
  });

  it("reads the set-up's answers: ButtonTemplate, LineStat, DefineTimeDate, DisplayNotify, SetLamp, SetRinger, Reset types", () => {
    const r = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
    expect(r.parse(scratch, fromHex(BUTTON_TEMPLATE))).toBe(0);
    expect(r.buttonCount).toBe(3);
    expect(load<u8>(r.buttonsPtr + 1)).toBe(9);
    expect(load<u8>(r.buttonsPtr + 5)).toBe(2);
    expect(r.parse(scratch, fromHex(LINE_STAT_2))).toBe(0);
    expect(r.arg).toBe(2);
    expect(String.UTF8.decodeUnsafe(r.textPtr, r.textLen)).toBe("1002");
    expect(String.UTF8.decodeUnsafe(r.namePtr2, r.nameLen2)).toBe("Alice 2");
    expect(r.parse(scratch, fromHex(CONFIG_STAT))).toBe(0);
    expect(r.numberLines).toBe(2);
    expect(r.numberSpeedDials).toBe(1);
    expect(r.parse(scratch, fromHex(DEFINE_TIME_DATE))).toBe(0);
    expect(r.year).toBe(2026);
    expect(r.month).toBe(12);
    expect(r.day).toBe(2);
    expect(r.hour).toBe(9);
    expect(r.minute).toBe(30);
    expect(r.second).toBe(15);
    expect(r.parse(scratch, fromHex(DISPLAY_NOTIFY))).toBe(0);
    expect(r.arg).toBe(10);
    expect(String.UTF8.decodeUnsafe(r.textPtr, r.textLen)).toBe("Your current options");
    expect(r.parse(scratch, fromHex(SET_LAMP))).toBe(0);
    expect(r.arg3).toBe(2);
    expect(r.parse(scratch, fromHex(SET_RINGER))).toBe(0);
    expect(r.arg).toBe(1);
    expect(r.parse(scratch, fromHex(CLEAR_PROMPT))).toBe(0);
    expect(r.msgId).toBe(SccpMsg.ClearPromptStatus);
    expect(r.parse(scratch, fromHex(RESET_APPLY))).toBe(0);
    expect(r.resetType).toBe(3);
  });

  it("refuses set-up answers too short or out of range, without reading past them", () => {
    const r = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
    // A ButtonTemplate that claims 3 buttons but holds 2, and one that claims 43.
    let n = fromHex("140000000000000097000000000000000300000003000000010902090000");
    expect(r.parse(scratch, n - 2)).toBe(Ctr.SccpMalformed);
    n = fromHex("16000000000000009700000000000000" + "2b000000" + "2b000000" + "010902090102");
    expect(r.parse(scratch, n)).toBe(Ctr.SccpMalformed);
    // A LineStat cut inside its display name; a DefineTimeDate with month 13.
    n = fromHex(LINE_STAT_1);
    store<u32>(scratch, 4 + 60);
    expect(r.parse(scratch, 12 + 60)).toBe(Ctr.SccpMalformed);
    n = fromHex(DEFINE_TIME_DATE);
    store<u32>(scratch + 16, 13);
    expect(r.parse(scratch, n)).toBe(Ctr.SccpMalformed);
    // A DisplayText with no NUL: its text stops at the data's end.
    n = fromHex("08000000000000009900000041424344");
    expect(r.parse(scratch, n)).toBe(0);
    expect(r.textLen).toBe(4);
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

  it("registers with CM3 once the station set-up after RegisterAck completed, and keeps alive at the interval given", () => {
    cm3.accept();
    cm3.heard(SccpMsg.Register);
    cm3.say(REGISTER_ACK);
    // IpPort, then the set-up's first request: not registered yet.
    cm3.heard(SccpMsg.ButtonTemplateReq);
    expect(registerState).toBe(RegState.Registering);
    expect(registeredCm).toBe(-1);
    cm3.say(SETUP_ANSWERS);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(2);
    expect(load<u32>(outPayload() + 8)).toBe(SccpMsg.HeadsetStatus);
    cm3.takeAll();
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
    cm2.register();
    expect(registeredCm).toBe(1);
    // Once CM2's set-up completed, CM3 got Unregister and a FIN; it closes too.
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
    cm1.register();
    expect(registeredCm).toBe(0);
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
    // Declares 6000 bytes of data (more than the 4 KB receive buffer): 508 bytes, then 11 x 500.
    let hex = "70170000" + "00000000" + "99000000";
    for (let i = 0; i < 496; i++) hex += "00";
    cm1.say(hex);
    for (let k = 0; k < 11; k++) {
      hex = "";
      for (let i = 0; i < 500; i++) hex += "00";
      cm1.say(hex);
    }
    cm1.say(KEEPALIVE_ACK); // 508 + 5500 = 6008 skipped, this one read
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
    cm2.register();
    expect(registeredCm).toBe(1);
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
    cm1.register();
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(0);
  });

  it("a CallManager that stops after RegisterAck: never registered, the next one after 10 s", () => {
    registerStart(now);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.say(REGISTER_ACK);
    cm1.heard(SccpMsg.ButtonTemplateReq);
    cm1.say(CAPABILITIES_REQ); // answered whenever it comes
    cm1.heard(SccpMsg.CapabilitiesRes);
    expect(toHex(outPayload(), 80)).toBe(CAPABILITIES_RES);
    cm1.say(BUTTON_TEMPLATE);
    cm1.heard(SccpMsg.SoftKeyTemplateReq);
    runTo(now + SETUP_TIMEOUT - 1);
    expect(registerState).toBe(RegState.Registering);
    expect(registeredCm).toBe(-1);
    runTo(now + 1);
    cm2 = new Cm(1);
    cm2.sawSyn();
    expect(registerState).toBe(RegState.Connecting);
  });

  it("asks LineStat per line button, then the time; lamps, ringer, notify and a wrong answer do not trap", () => {
    cm2.accept();
    cm2.heard(SccpMsg.Register);
    cm2.say(REGISTER_ACK);
    cm2.say(LINE_STAT_1 + SET_LAMP + SET_RINGER + DISPLAY_NOTIFY); // out of turn: not an answer
    expect(registerState).toBe(RegState.Registering);
    expect(lampMode).toBe(2);
    expect(ringMode).toBe(1);
    cm2.say(BUTTON_TEMPLATE + SOFTKEY_TEMPLATE + SOFTKEY_SETS + CONFIG_STAT);
    cm2.heard(SccpMsg.LineStatReq);
    expect(toHex(outPayload(), 16)).toBe(LINE_STAT_REQ_1);
    cm2.say(LINE_STAT_1);
    cm2.heard(SccpMsg.LineStatReq);
    expect(load<u32>(outPayload() + 12)).toBe(2);
    cm2.say(LINE_STAT_2);
    cm2.heard(SccpMsg.SpeedDialStatReq);
    cm2.say(SPEED_DIAL_STAT);
    cm2.heard(SccpMsg.ForwardStatReq);
    cm2.say(FORWARD_STAT);
    cm2.heard(SccpMsg.TimeDateReq);
    expect(registerState).toBe(RegState.Registering);
    cm2.say(DEFINE_TIME_DATE);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(1);
    cm2.takeAll();
    registerStop(now, false);
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
    cm2.register();
    expect(registeredCm).toBe(1);
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
    cm1.register();
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

describe("The standby connection", () => {
  beforeAll(resetFirmware);
  it("registered with CM1, opens a connection to CM2 that carries only KeepAlive, at RegisterAck's secondary interval", () => {
    setup();
    registerStart(now);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.register();
    expect(registeredCm).toBe(0);
    expect(registerStandbyCm()).toBe(-1);
    registerSetStandby(true);
    registerPoll(now);
    cm2 = new Cm(1);
    cm2.sawSyn();
    cm2.accept();
    // No StationRegister there: a KeepAlive at once.
    cm2.heard(SccpMsg.KeepAlive);
    expect(toHex(outPayload(), 12)).toBe(KEEPALIVE);
    expect(registerStandbyCm()).toBe(-1);
    cm2.say(KEEPALIVE_ACK);
    expect(registerStandbyCm()).toBe(1);
    // REGISTER_ACK: keepalive 30 s, secondary keepalive 60 s.
    const t0 = now;
    runTo(t0 + 30_000);
    cm1.heard(SccpMsg.KeepAlive);
    cm1.say(KEEPALIVE_ACK);
    const before = tx();
    runTo(t0 + 59_999);
    expect(tx()).toBe(before);
    runTo(t0 + 60_000);
    // CM1's keepalive, then the standby's.
    expect(tx()).toBe(before + 2);
    cm2.heard(SccpMsg.KeepAlive);
    cm2.say(KEEPALIVE_ACK);
    cm1.rcv += KEEPALIVE_LEN;
    cm1.say(KEEPALIVE_ACK);
    expect(registerStandbyCm()).toBe(1);
    expect(registeredCm).toBe(0);
  });

  it("CM1 stops answering: StationRegister over the standby connection, no SYN; registered with CM2, then a standby to CM3", () => {
    const t0 = now; // CM1's and the standby's keepalives were both due at t0
    // CM1 acknowledges TCP segments but never answers a KeepAlive again; CM2 answers its standby KeepAlive.
    runTo(t0 + 30_000);
    cm1.rcv += KEEPALIVE_LEN;
    cm1.segment(ACK);
    runTo(t0 + 60_000);
    cm2.heard(SccpMsg.KeepAlive);
    cm2.say(KEEPALIVE_ACK);
    cm1.rcv += KEEPALIVE_LEN;
    cm1.segment(ACK);
    expect(registeredCm).toBe(0);
    const before = tx();
    runTo(t0 + 90_000);
    // A RST to CM1, then StationRegister to CM2 on the standby connection: two frames, no SYN, no ARP.
    expect(tx()).toBe(before + 2);
    cm2.heard(SccpMsg.Register);
    expect(toHex(outPayload(), 64)).toBe(REGISTER);
    expect(registerState).toBe(RegState.Registering);
    expect(registerStandbyCm()).toBe(-1);
    cm2.say(REGISTER_ACK);
    cm2.heard(SccpMsg.ButtonTemplateReq);
    cm2.say(SETUP_ANSWERS);
    expect(registerState).toBe(RegState.Registered);
    expect(registeredCm).toBe(1);
    // The standby moves on to CM3.
    cm3 = new Cm(2);
    cm3.sawSyn();
    cm3.accept();
    cm3.heard(SccpMsg.KeepAlive);
    cm3.say(KEEPALIVE_ACK);
    expect(registerStandbyCm()).toBe(2);
  });

  it("a standby CallManager that refuses: tried again after STANDBY_RETRY, the registration untouched", () => {
    registerStop(now, false);
    setup();
    registerSetStandby(true);
    registerStart(now);
    cm1 = new Cm(0);
    cm1.sawSyn();
    cm1.accept();
    cm1.heard(SccpMsg.Register);
    cm1.say(REGISTER_ACK);
    cm1.heard(SccpMsg.ButtonTemplateReq);
    cm1.say(SETUP_ANSWERS);
    expect(registeredCm).toBe(0);
    cm2 = new Cm(1);
    cm2.sawSyn();
    cm2.refuse();
    expect(registerStandbyCm()).toBe(-1);
    expect(registeredCm).toBe(0);
    const t0 = now;
    runTo(t0 + STANDBY_RETRY - 1);
    expect(outIsTcp() && outFlags() == SYN && outDst() == CM_IPS[1]).toBe(false);
    runTo(t0 + STANDBY_RETRY);
    cm2 = new Cm(1);
    cm2.sawSyn();
    cm2.accept();
    cm2.heard(SccpMsg.KeepAlive);
    cm2.say(KEEPALIVE_ACK);
    expect(registerStandbyCm()).toBe(1);
    expect(registeredCm).toBe(0);
    registerStop(now, false);
  });
});
