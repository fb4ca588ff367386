// SCCP (Skinny), the messages a phone needs to register and to set itself
// up after RegisterAck, framed as Wireshark's skinny dissector reads them: a 4-byte data length (counting
// the message id and the data, not itself nor the header version), a
// 4-byte header version (0: "Basic"), a 4-byte message id, the data. All
// little-endian, except the station's IPv4 address (network order).
import { get32, put32 } from "../lib/bytes";
import { Ctr } from "../counters";

// Message ids and the station set-up's layouts follow Wireshark's
// tools/SkinnyProtocolOptimized.xml (packet-skinny.c) for protocol v11,
// cross-checked with Asterisk's chan_skinny.c structs (same sizes).
export const enum SccpMsg {
  KeepAlive = 0x0000,
  Register = 0x0001,
  IpPort = 0x0002,
  ForwardStatReq = 0x0009,
  SpeedDialStatReq = 0x000a,
  LineStatReq = 0x000b,
  ConfigStatReq = 0x000c,
  TimeDateReq = 0x000d,
  ButtonTemplateReq = 0x000e,
  CapabilitiesRes = 0x0010,
  SoftKeySetReq = 0x0025,
  Unregister = 0x0027,
  SoftKeyTemplateReq = 0x0028,
  HeadsetStatus = 0x002b,
  RegisterAvailableLines = 0x002d,
  RegisterAck = 0x0081,
  SetRinger = 0x0085,
  SetLamp = 0x0086,
  ForwardStat = 0x0090,
  SpeedDialStat = 0x0091,
  LineStat = 0x0092,
  ConfigStat = 0x0093,
  DefineTimeDate = 0x0094,
  ButtonTemplate = 0x0097,
  DisplayText = 0x0099,
  CapabilitiesReq = 0x009b,
  RegisterReject = 0x009d,
  Reset = 0x009f,
  KeepAliveAck = 0x0100,
  SoftKeyTemplateRes = 0x0108,
  SoftKeySetRes = 0x0109,
  SelectSoftKeys = 0x0110,
  DisplayPromptStatus = 0x0112,
  ClearPromptStatus = 0x0113,
  DisplayNotify = 0x0114,
  UnregisterAck = 0x0118,
}
/** Reset's resetType (Wireshark's DeviceResetType): reset (power-cycle), restart, apply the new configuration. */
export const enum SccpResetType { Reset = 1, Restart = 2, ApplyConfig = 3 }
/** ButtonTemplate's buttonDefinition values the phone acts on (Wireshark's ButtonType). */
export const enum SccpButton { SpeedDial = 0x02, Line = 0x09 }
/** HeadsetStatus's headsetStatus (Wireshark: 1 on, 2 off). */
export const HEADSET_OFF: u32 = 2;
/** ButtonTemplate carries at most 42 definitions (StationMaxButtonTemplateSize). */
export const SCCP_MAX_BUTTONS = 42;

/** Data length, header version, message id. */
export const SCCP_HEADER = 12;
/** A data length past this is not SCCP: the stream is garbage. */
export const SCCP_MAX_DATA = 0x10000;
const DEVICE_NAME_FIELD = 16;
/** StationRegister's data: sid (24), IP, device type, max streams (12), then activeStreams, protocol version, features, maxConferences (12) and 4 spare bytes (Wireshark reads the protocol version only when the data length exceeds 52). */
const REGISTER_DATA = 52;
const REJECT_TEXT = 32;
/** LineStat: lineNumber, lineDirNumber[24], lineFullyQualifiedDisplayName[40], lineTextLabel[40], lineDisplayOptions (112 bytes). */
const DIR_NUMBER = 24;
const DISPLAY_NAME = 40;
/** ConfigStat: sid (24), userName[40], serverName[40], numberLines, numberSpeedDials (112 bytes). */
const CONFIG_LINES_AT = 104;
/** DisplayText, DisplayNotify and DisplayPromptStatus texts (v11: 32 bytes). */
const DISPLAY_TEXT = 32;
/**
 * CapabilitiesRes: capCount, then per codec payloadCapability,
 * maxFramesPerPacket (ms of audio a packet may hold) and an 8-byte
 * payload parameter union (zero for these codecs). Wireshark's
 * Media_PayloadType: 4 G.711 mu-law, 2 G.711 A-law, 11 G.729, 6 G.722.
 */
const CAPS = memory.data<u32>([4, 40, 2, 40, 11, 60, 6, 40]);
export const SCCP_CODECS = 4;
const CAP_SIZE = 16;

/** Cisco 7960 ("StationTelecasterMgr" in Wireshark's table). */
export const DEVICE_TYPE_7960: u32 = 7;
export const SCCP_PROTOCOL_VERSION: u32 = 11;

@inline function le32(p: usize): u32 { return load<u32>(p); }
@inline function putLe32(p: usize, v: u32): void { store<u32>(p, v); }

/**
 * The length of the message at the start of `avail` bytes: its total size
 * when all of it is there, 0 when more bytes are needed, -1 when the
 * length field cannot be SCCP (under 4, or past SCCP_MAX_DATA).
 */
export function sccpFrameLength(p: usize, avail: i32): i32 {
  if (avail < 4) return 0;
  const dataLen = le32(p);
  if (dataLen < 4 || dataLen > <u32>SCCP_MAX_DATA) return -1;
  const total = <i32>dataLen + 8;
  return avail < total ? 0 : total;
}

/** The total length the header at `p` announces (call after sccpFrameLength said it is sane). */
export function sccpDeclaredLength(p: usize): i32 { return <i32>le32(p) + 8; }

/**
 * One SCCP message. parse() reads a complete message (as framed by
 * sccpFrameLength) and the fields of the ones the phone receives; emit()
 * writes the message `msgId` with the fields it carries.
 */
@unmanaged export class SccpRepr {
  msgId: u32;
  version: u32;
  /** Bytes after the message id. */
  dataLen: i32;
  // StationRegister (emit: the device name is copied from namePtr)
  namePtr: usize;
  nameLen: i32;
  userId: u32;
  instance: u32;
  stationIp: u32;
  deviceType: u32;
  maxStreams: u32;
  protocolVersion: u32;
  // RegisterAck
  keepAlive: u32;
  secondaryKeepAlive: u32;
  maxProtocolVersion: u32;
  // RegisterReject: its text, NUL-terminated or not, in the message
  textPtr: usize;
  textLen: i32;
  // Reset
  resetType: u32;
  // IpPort
  rtpPort: u32;
  // UnregisterAck
  status: u32;
  // One u32 argument: LineStatReq / ForwardStatReq's line, SpeedDialStatReq's number,
  // RegisterAvailableLines' count, HeadsetStatus's status (emit); LineStat's line,
  // DisplayNotify's timeout, SetLamp's stimulus, SetRinger's ringMode (parse)
  arg: u32;
  // SetLamp: stimulusInstance, lampMode; SetRinger: ringDuration, lineInstance
  arg2: u32;
  arg3: u32;
  // LineStat's display name (its directory number is in textPtr/textLen)
  namePtr2: usize;
  nameLen2: i32;
  // ButtonTemplate: buttonCount definitions of (instanceNumber, buttonDefinition) bytes
  buttonsPtr: usize;
  buttonCount: i32;
  // ConfigStat
  numberLines: u32;
  numberSpeedDials: u32;
  // DefineTimeDate
  year: u32;
  month: u32;
  day: u32;
  hour: u32;
  minute: u32;
  second: u32;

  /** Reads the `len`-byte message at `p`. Returns 0, or the Ctr reason it is malformed. */
  parse(p: usize, len: i32): i32 {
    if (len < SCCP_HEADER || sccpFrameLength(p, len) != len) return Ctr.SccpMalformed;
    this.version = le32(p + 4);
    this.msgId = le32(p + 8);
    const d = p + SCCP_HEADER;
    const n = len - SCCP_HEADER;
    this.dataLen = n;
    switch (this.msgId) {
      case SccpMsg.RegisterAck: {
        // keepAliveInterval, dateTemplate[6], padding, secondaryKeepAliveInterval, then (newer) maxProtocolVer.
        if (n < 16) return Ctr.SccpMalformed;
        this.keepAlive = le32(d);
        this.secondaryKeepAlive = le32(d + 12);
        this.maxProtocolVersion = n >= 17 ? <u32>load<u8>(d + 16) : 0;
        break;
      }
      case SccpMsg.RegisterReject: {
        this.text(d, n, 0, REJECT_TEXT);
        break;
      }
      case SccpMsg.LineStat: {
        if (n < 4 + DIR_NUMBER + DISPLAY_NAME) return Ctr.SccpMalformed;
        this.arg = le32(d);
        this.text(d, n, 4 + DIR_NUMBER, DISPLAY_NAME);
        this.namePtr2 = this.textPtr;
        this.nameLen2 = this.textLen;
        this.text(d, n, 4, DIR_NUMBER);
        break;
      }
      case SccpMsg.ButtonTemplate: {
        // buttonOffset, buttonCount, totalButtonCount, definitions.
        if (n < 12) return Ctr.SccpMalformed;
        const c = le32(d + 4);
        if (c > <u32>SCCP_MAX_BUTTONS || <i32>c * 2 > n - 12) return Ctr.SccpMalformed;
        this.buttonCount = <i32>c;
        this.buttonsPtr = d + 12;
        break;
      }
      case SccpMsg.ConfigStat: {
        if (n < CONFIG_LINES_AT + 8) return Ctr.SccpMalformed;
        this.numberLines = le32(d + CONFIG_LINES_AT);
        this.numberSpeedDials = le32(d + CONFIG_LINES_AT + 4);
        break;
      }
      case SccpMsg.DefineTimeDate: {
        // wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds, systemTime.
        if (n < 28) return Ctr.SccpMalformed;
        this.year = le32(d);
        this.month = le32(d + 4);
        this.day = le32(d + 12);
        this.hour = le32(d + 16);
        this.minute = le32(d + 20);
        this.second = le32(d + 24);
        if (this.month - 1 > 11 || this.day - 1 > 30 || this.hour > 23 || this.minute > 59 || this.second > 60) return Ctr.SccpMalformed;
        break;
      }
      case SccpMsg.DisplayText: {
        this.text(d, n, 0, DISPLAY_TEXT);
        break;
      }
      case SccpMsg.DisplayNotify:
      case SccpMsg.DisplayPromptStatus: {
        // timeout, then the text (DisplayPromptStatus: then lineInstance, callReference).
        if (n < 4) return Ctr.SccpMalformed;
        this.arg = le32(d);
        this.text(d, n, 4, DISPLAY_TEXT);
        break;
      }
      case SccpMsg.SetLamp:
      case SccpMsg.SetRinger: {
        // SetLamp: stimulus, stimulusInstance, lampMode. SetRinger: ringMode, ringDuration, lineInstance, callReference.
        if (n < 12) return Ctr.SccpMalformed;
        this.arg = le32(d);
        this.arg2 = le32(d + 4);
        this.arg3 = le32(d + 8);
        break;
      }
      case SccpMsg.Reset: {
        if (n < 4) return Ctr.SccpMalformed;
        this.resetType = le32(d);
        break;
      }
      case SccpMsg.UnregisterAck: {
        this.status = n >= 4 ? le32(d) : 0;
        break;
      }
      case SccpMsg.Register: {
        if (n < 36) return Ctr.SccpMalformed;
        this.userId = le32(d + 16);
        this.instance = le32(d + 20);
        this.stationIp = get32(d + 24);
        this.deviceType = le32(d + 28);
        this.maxStreams = le32(d + 32);
        this.protocolVersion = n >= 41 ? <u32>load<u8>(d + 40) : 0;
        break;
      }
      case SccpMsg.IpPort: {
        if (n < 4) return Ctr.SccpMalformed;
        this.rtpPort = le32(d);
        break;
      }
    }
    return 0;
  }

  /** Writes the message `msgId` at `p`; returns its length. */
  emit(p: usize): i32 {
    const d = p + SCCP_HEADER;
    let n = 0;
    switch (this.msgId) {
      case SccpMsg.Register: {
        n = REGISTER_DATA;
        memory.fill(d, 0, n);
        memory.copy(d, this.namePtr, <usize>min(this.nameLen, DEVICE_NAME_FIELD - 1));
        putLe32(d + DEVICE_NAME_FIELD, this.userId);
        putLe32(d + 20, this.instance);
        put32(d + 24, this.stationIp); // network order, as Wireshark reads it
        putLe32(d + 28, this.deviceType);
        putLe32(d + 32, this.maxStreams);
        // d + 36: active streams 0
        store<u8>(d + 40, <u8>this.protocolVersion);
        break;
      }
      case SccpMsg.IpPort: {
        n = 4;
        putLe32(d, this.rtpPort);
        break;
      }
      case SccpMsg.LineStatReq:
      case SccpMsg.ForwardStatReq:
      case SccpMsg.SpeedDialStatReq:
      case SccpMsg.RegisterAvailableLines:
      case SccpMsg.HeadsetStatus: {
        n = 4;
        putLe32(d, this.arg);
        break;
      }
      case SccpMsg.CapabilitiesRes: {
        n = 4 + SCCP_CODECS * CAP_SIZE;
        memory.fill(d, 0, n);
        putLe32(d, SCCP_CODECS);
        for (let i = 0; i < SCCP_CODECS; i++) {
          const c = d + 4 + <usize>(i * CAP_SIZE);
          putLe32(c, load<u32>(CAPS + (<usize>i << 3)));
          putLe32(c + 4, load<u32>(CAPS + (<usize>i << 3), 4));
        }
        break;
      }
      case SccpMsg.RegisterAck: {
        n = 20;
        memory.fill(d, 0, n);
        putLe32(d, this.keepAlive);
        putLe32(d + 12, this.secondaryKeepAlive);
        store<u8>(d + 16, <u8>this.maxProtocolVersion);
        break;
      }
      case SccpMsg.Reset: {
        n = 4;
        putLe32(d, this.resetType);
        break;
      }
      case SccpMsg.UnregisterAck: {
        n = 4;
        putLe32(d, this.status);
        break;
      }
      // KeepAlive, KeepAliveAck, Unregister and the set-up's other requests: no data.
    }
    putLe32(p, <u32>(4 + n));
    putLe32(p + 4, 0);
    putLe32(p + 8, this.msgId);
    return SCCP_HEADER + n;
  }

  /** textPtr/textLen: the NUL-terminated (or field-long) text of the `field`-byte field at `d + at`, cut to the `n` data bytes. */
  private text(d: usize, n: i32, at: i32, field: i32): void {
    const limit = max(0, min(n - at, field));
    const p = d + <usize>at;
    let t = 0;
    while (t < limit && load<u8>(p + <usize>t) != 0) t++;
    this.textPtr = p;
    this.textLen = t;
  }
}
