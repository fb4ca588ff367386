// SCCP (Skinny) messages on the host: the same framing as the firmware's
// assembly/wire/sccp.ts and Wireshark's skinny dissector. A message is a
// 4-byte little-endian data length (message id + data), a 4-byte header
// version (0, "Basic"), a 4-byte message id, then the data; all fields are
// little-endian except the station's IPv4 address (network order).
// Decoders take untrusted bytes and return null on anything malformed.

// The station set-up's layouts follow Wireshark's tools/SkinnyProtocolOptimized.xml
// (protocol v11), cross-checked with Asterisk's chan_skinny.c structs.
export const SccpMsg = {
  KeepAlive: 0x0000,
  Register: 0x0001,
  IpPort: 0x0002,
  ForwardStatReq: 0x0009,
  SpeedDialStatReq: 0x000a,
  LineStatReq: 0x000b,
  ConfigStatReq: 0x000c,
  TimeDateReq: 0x000d,
  ButtonTemplateReq: 0x000e,
  CapabilitiesRes: 0x0010,
  SoftKeySetReq: 0x0025,
  Unregister: 0x0027,
  SoftKeyTemplateReq: 0x0028,
  HeadsetStatus: 0x002b,
  RegisterAvailableLines: 0x002d,
  RegisterAck: 0x0081,
  SetRinger: 0x0085,
  SetLamp: 0x0086,
  ForwardStat: 0x0090,
  SpeedDialStat: 0x0091,
  LineStat: 0x0092,
  ConfigStat: 0x0093,
  DefineTimeDate: 0x0094,
  ButtonTemplate: 0x0097,
  DisplayText: 0x0099,
  CapabilitiesReq: 0x009b,
  RegisterReject: 0x009d,
  Reset: 0x009f,
  KeepAliveAck: 0x0100,
  SoftKeyTemplateRes: 0x0108,
  SoftKeySetRes: 0x0109,
  SelectSoftKeys: 0x0110,
  DisplayPromptStatus: 0x0112,
  ClearPromptStatus: 0x0113,
  DisplayNotify: 0x0114,
  UnregisterAck: 0x0118,
} as const;

/** Wireshark's names for the message ids above (tshark 4.0 prints the CallManager's answers as ...Res). */
export const SCCP_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  0x0000: "KeepAliveReq", 0x0001: "RegisterReq", 0x0002: "IpPort", 0x0009: "ForwardStatReq", 0x000a: "SpeedDialStatReq",
  0x000b: "LineStatReq", 0x000c: "ConfigStatReq", 0x000d: "TimeDateReq", 0x000e: "ButtonTemplateReq", 0x0010: "CapabilitiesRes",
  0x0025: "SoftKeySetReq", 0x0027: "UnregisterReq", 0x0028: "SoftKeyTemplateReq", 0x002b: "HeadsetStatus", 0x002d: "RegisterAvailableLines",
  0x0081: "RegisterAck", 0x0085: "SetRinger", 0x0086: "SetLamp", 0x0090: "ForwardStatRes", 0x0091: "SpeedDialStatRes", 0x0092: "LineStatRes",
  0x0093: "ConfigStatRes", 0x0094: "TimeDateRes", 0x0097: "ButtonTemplateRes", 0x0099: "DisplayText", 0x009b: "CapabilitiesReq",
  0x009d: "RegisterReject", 0x009f: "Reset", 0x0100: "KeepAliveAck", 0x0108: "SoftKeyTemplateRes", 0x0109: "SoftKeySetRes",
  0x0110: "SelectSoftKeys", 0x0112: "DisplayPromptStatus", 0x0113: "ClearPromptStatus", 0x0114: "DisplayNotify", 0x0118: "UnregisterAck",
};

export const SCCP_HEADER_LEN = 12;
/** Data lengths past this are not SCCP (the firmware's limit too). */
export const SCCP_MAX_DATA = 0x10000;
export const SCCP_PORT = 2000;
export const ResetType = { Reset: 1, Restart: 2, ApplyConfig: 3 } as const;
/** ButtonTemplate's buttonDefinition (Wireshark's ButtonType). */
export const ButtonType = { SpeedDial: 0x02, Line: 0x09, Undefined: 0xff } as const;
/** Media_PayloadType of the codecs in CapabilitiesRes. */
export const PayloadType = { G711Alaw: 2, G711Ulaw: 4, G722: 6, G729: 11 } as const;
export const CODEC_NAMES: Readonly<Record<number, string>> = { 2: "G.711 A-law", 4: "G.711 mu-law", 6: "G.722", 11: "G.729" };
const DEVICE_NAME_FIELD = 16;
const REJECT_TEXT_FIELD = 32;
const DATE_TEMPLATE_FIELD = 6;

export interface SccpMessage {
  id: number;
  version: number;
  /** What follows the message id. */
  data: Uint8Array;
}

export function encodeMessage(id: number, data: Uint8Array = new Uint8Array(0), version = 0): Uint8Array {
  const out = new Uint8Array(SCCP_HEADER_LEN + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 4 + data.length, true);
  v.setUint32(4, version, true);
  v.setUint32(8, id, true);
  out.set(data, SCCP_HEADER_LEN);
  return out;
}

/** One complete message, or null when `b` is not exactly one. */
export function decodeMessage(b: Uint8Array): SccpMessage | null {
  if (b.length < SCCP_HEADER_LEN) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = v.getUint32(0, true);
  if (len < 4 || len > SCCP_MAX_DATA || len + 8 !== b.length) return null;
  return { id: v.getUint32(8, true), version: v.getUint32(4, true), data: b.subarray(SCCP_HEADER_LEN) };
}

function ascii(s: string, field: number, what: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(s) || s.length >= field) throw new RangeError(`${what} must be printable ASCII shorter than ${field} characters: "${s}"`);
  const out = new Uint8Array(field);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Text of a NUL-padded field (stops at the first NUL); non-printable bytes become '?'. */
function text(b: Uint8Array): string {
  let s = "";
  for (const c of b) {
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "?";
  }
  return s;
}

export interface StationRegister {
  deviceName: string;
  userId: number;
  instance: number;
  /** IPv4 as a 32-bit number. */
  stationIp: number;
  deviceType: number;
  maxStreams: number;
  /** Present when the message carries the extension (data length over 52). */
  protocolVersion: number | null;
}

/** StationRegister as the firmware sends it: 52 bytes of data (sid, address, type, streams, protocol version...). */
export function encodeStationRegister(r: StationRegister): Uint8Array {
  const d = new Uint8Array(52);
  const v = new DataView(d.buffer);
  d.set(ascii(r.deviceName, DEVICE_NAME_FIELD, "device name"));
  v.setUint32(16, r.userId, true);
  v.setUint32(20, r.instance, true);
  v.setUint32(24, r.stationIp >>> 0, false);
  v.setUint32(28, r.deviceType, true);
  v.setUint32(32, r.maxStreams, true);
  d[40] = r.protocolVersion ?? 0;
  return encodeMessage(SccpMsg.Register, d);
}

export function decodeStationRegister(data: Uint8Array): StationRegister | null {
  if (data.length < 36) return null;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    deviceName: text(data.subarray(0, DEVICE_NAME_FIELD)),
    userId: v.getUint32(16, true),
    instance: v.getUint32(20, true),
    stationIp: v.getUint32(24, false),
    deviceType: v.getUint32(28, true),
    maxStreams: v.getUint32(32, true),
    protocolVersion: data.length >= 41 ? data[40] : null,
  };
}

export interface RegisterAck {
  keepAliveS: number;
  secondaryKeepAliveS: number;
  dateTemplate: string;
  maxProtocolVersion: number;
}

export function encodeRegisterAck(a: RegisterAck): Uint8Array {
  const d = new Uint8Array(20);
  const v = new DataView(d.buffer);
  v.setUint32(0, a.keepAliveS, true);
  const date = a.dateTemplate.slice(0, DATE_TEMPLATE_FIELD);
  for (let i = 0; i < date.length; i++) d[4 + i] = date.charCodeAt(i) & 0x7f;
  v.setUint32(12, a.secondaryKeepAliveS, true);
  d[16] = a.maxProtocolVersion;
  return encodeMessage(SccpMsg.RegisterAck, d);
}

export function decodeRegisterAck(data: Uint8Array): RegisterAck | null {
  if (data.length < 16) return null;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    keepAliveS: v.getUint32(0, true),
    dateTemplate: text(data.subarray(4, 4 + DATE_TEMPLATE_FIELD)),
    secondaryKeepAliveS: v.getUint32(12, true),
    maxProtocolVersion: data.length >= 17 ? data[16] : 0,
  };
}

export function encodeRegisterReject(reason: string): Uint8Array {
  return encodeMessage(SccpMsg.RegisterReject, ascii(reason, REJECT_TEXT_FIELD, "reject text"));
}

export function decodeRegisterReject(data: Uint8Array): string {
  return text(data.subarray(0, REJECT_TEXT_FIELD));
}

function u32Message(id: number, value: number): Uint8Array {
  const d = new Uint8Array(4);
  new DataView(d.buffer).setUint32(0, value >>> 0, true);
  return encodeMessage(id, d);
}

export const encodeKeepAlive = () => encodeMessage(SccpMsg.KeepAlive);
export const encodeKeepAliveAck = () => encodeMessage(SccpMsg.KeepAliveAck);
export const encodeUnregister = () => encodeMessage(SccpMsg.Unregister);
export const encodeUnregisterAck = (status = 0) => u32Message(SccpMsg.UnregisterAck, status);
export const encodeIpPort = (port: number) => u32Message(SccpMsg.IpPort, port);
export const encodeReset = (type: number) => u32Message(SccpMsg.Reset, type);

export const encodeEmpty = (id: number) => encodeMessage(id);
/** LineStatReq, ForwardStatReq (line), SpeedDialStatReq (number), RegisterAvailableLines (count), HeadsetStatus (1 on, 2 off). */
export const encodeU32Message = u32Message;

export interface Capability {
  payload: number;
  /** maxFramesPerPacket: milliseconds of audio a packet may carry. */
  maxFramesPerPacket: number;
}

/** CapabilitiesRes: capCount, then per codec payloadCapability, maxFramesPerPacket and an 8-byte payload parameter union. */
export function encodeCapabilitiesRes(caps: readonly Capability[]): Uint8Array {
  const d = new Uint8Array(4 + 16 * caps.length);
  const v = new DataView(d.buffer);
  v.setUint32(0, caps.length, true);
  caps.forEach((c, i) => {
    v.setUint32(4 + 16 * i, c.payload, true);
    v.setUint32(8 + 16 * i, c.maxFramesPerPacket, true);
  });
  return encodeMessage(SccpMsg.CapabilitiesRes, d);
}

/** The codecs, or null when the count says more than the data holds (or over 18, StationMaxCapabilities). */
export function decodeCapabilitiesRes(data: Uint8Array): Capability[] | null {
  if (data.length < 4) return null;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = v.getUint32(0, true);
  if (n > 18 || 4 + 16 * n > data.length) return null;
  return Array.from({ length: n }, (_, i) => ({ payload: v.getUint32(4 + 16 * i, true), maxFramesPerPacket: v.getUint32(8 + 16 * i, true) }));
}

/** The codecs a 7960 offers, in the firmware's order. */
export const PHONE_CAPABILITIES: readonly Capability[] = [
  { payload: PayloadType.G711Ulaw, maxFramesPerPacket: 40 }, { payload: PayloadType.G711Alaw, maxFramesPerPacket: 40 },
  { payload: PayloadType.G729, maxFramesPerPacket: 60 }, { payload: PayloadType.G722, maxFramesPerPacket: 40 },
];

function fields(size: number, fill: (d: Uint8Array, v: DataView) => void): Uint8Array {
  const d = new Uint8Array(size);
  fill(d, new DataView(d.buffer));
  return d;
}

export interface Button {
  instance: number;
  type: number;
}

/** ButtonTemplate: buttonOffset, buttonCount, totalButtonCount, then (instanceNumber, buttonDefinition) per button. */
export function encodeButtonTemplate(buttons: readonly Button[]): Uint8Array {
  if (buttons.length > 42) throw new RangeError("ButtonTemplate holds at most 42 buttons");
  return encodeMessage(SccpMsg.ButtonTemplate, fields(12 + 2 * buttons.length, (d, v) => {
    v.setUint32(4, buttons.length, true);
    v.setUint32(8, buttons.length, true);
    buttons.forEach((b, i) => {
      d[12 + 2 * i] = b.instance;
      d[13 + 2 * i] = b.type;
    });
  }));
}

export function decodeButtonTemplate(data: Uint8Array): Button[] | null {
  if (data.length < 12) return null;
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4, true);
  if (n > 42 || 12 + 2 * n > data.length) return null;
  return Array.from({ length: n }, (_, i) => ({ instance: data[12 + 2 * i], type: data[13 + 2 * i] }));
}

/** SoftKeyTemplateRes: offset, count, total, then per key softKeyLabel[16] and softKeyEvent. */
export function encodeSoftKeyTemplateRes(keys: ReadonlyArray<{ label: string; event: number }>): Uint8Array {
  return encodeMessage(SccpMsg.SoftKeyTemplateRes, fields(12 + 20 * keys.length, (d, v) => {
    v.setUint32(4, keys.length, true);
    v.setUint32(8, keys.length, true);
    keys.forEach((k, i) => {
      d.set(ascii(k.label, 16, "softkey label"), 12 + 20 * i);
      v.setUint32(28 + 20 * i, k.event, true);
    });
  }));
}

/** SoftKeySetRes: offset, count, total, then per set softKeyTemplateIndex[16] (bytes) and softKeyInfoIndex[16] (16-bit). */
export function encodeSoftKeySetRes(sets: ReadonlyArray<readonly number[]>): Uint8Array {
  return encodeMessage(SccpMsg.SoftKeySetRes, fields(12 + 48 * sets.length, (d, v) => {
    v.setUint32(4, sets.length, true);
    v.setUint32(8, sets.length, true);
    sets.forEach((keys, i) => keys.slice(0, 16).forEach((k, j) => {
      d[12 + 48 * i + j] = k;
      v.setUint16(28 + 48 * i + 2 * j, k === 0 ? 0 : 300 + k, true);
    }));
  }));
}

export interface ConfigStat {
  deviceName: string;
  instance: number;
  userName: string;
  serverName: string;
  lines: number;
  speedDials: number;
}

/** ConfigStat: sid (deviceName[16], reserved, instance), userName[40], serverName[40], numberLines, numberSpeedDials. */
export function encodeConfigStat(c: ConfigStat): Uint8Array {
  return encodeMessage(SccpMsg.ConfigStat, fields(112, (d, v) => {
    d.set(ascii(c.deviceName, 16, "device name"), 0);
    v.setUint32(20, c.instance, true);
    d.set(ascii(c.userName, 40, "user name"), 24);
    d.set(ascii(c.serverName, 40, "server name"), 64);
    v.setUint32(104, c.lines, true);
    v.setUint32(108, c.speedDials, true);
  }));
}

export interface LineStat {
  line: number;
  dirNumber: string;
  displayName: string;
  label: string;
}

/** LineStat: lineNumber, lineDirNumber[24], lineFullyQualifiedDisplayName[40], lineTextLabel[40], lineDisplayOptions. */
export function encodeLineStat(l: LineStat): Uint8Array {
  return encodeMessage(SccpMsg.LineStat, fields(112, (d, v) => {
    v.setUint32(0, l.line, true);
    d.set(ascii(l.dirNumber, 24, "directory number"), 4);
    d.set(ascii(l.displayName, 40, "display name"), 28);
    d.set(ascii(l.label, 40, "line label"), 68);
    v.setUint32(108, 0xf, true); // lineDisplayOptions: show everything
  }));
}

export function decodeLineStat(data: Uint8Array): LineStat | null {
  if (data.length < 68) return null;
  return {
    line: new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true),
    dirNumber: text(data.subarray(4, 28)), displayName: text(data.subarray(28, 68)), label: text(data.subarray(68, 108)),
  };
}

/** SpeedDialStat: speedDialNumber, speedDialDirNumber[24], speedDialDisplayName[40]. */
export function encodeSpeedDialStat(n: number, dirNumber: string, displayName: string): Uint8Array {
  return encodeMessage(SccpMsg.SpeedDialStat, fields(68, (d, v) => {
    v.setUint32(0, n, true);
    d.set(ascii(dirNumber, 24, "speed dial number"), 4);
    d.set(ascii(displayName, 40, "speed dial name"), 28);
  }));
}

/** ForwardStat with no forward active: activeForward, lineNumber, then (active, number[24]) for all, busy, no answer. */
export function encodeForwardStat(line: number): Uint8Array {
  return encodeMessage(SccpMsg.ForwardStat, fields(96, (_d, v) => v.setUint32(4, line, true)));
}

/** DefineTimeDate: wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds, systemTime (UTC). */
export function encodeDefineTimeDate(ms: number): Uint8Array {
  const t = new Date(ms);
  return encodeMessage(SccpMsg.DefineTimeDate, fields(36, (_d, v) => {
    [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDay(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds(), Math.floor(ms / 1000)]
      .forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  }));
}

export function decodeDefineTimeDate(data: Uint8Array): Date | null {
  if (data.length < 32) return null;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const f = (i: number) => v.getUint32(4 * i, true);
  return new Date(Date.UTC(f(0), f(1) - 1, f(3), f(4), f(5), f(6), f(7)));
}

/** DisplayNotify: displayTimeout (s), displayMessage[32]. */
export const encodeDisplayNotify = (timeoutS: number, message: string) =>
  encodeMessage(SccpMsg.DisplayNotify, fields(36, (d, v) => {
    v.setUint32(0, timeoutS, true);
    d.set(ascii(message, 32, "notify text"), 4);
  }));
/** DisplayText: displayText[32]. */
export const encodeDisplayText = (message: string) => encodeMessage(SccpMsg.DisplayText, ascii(message, 32, "display text"));
/** ClearPromptStatus: lineInstance, callReference. */
export const encodeClearPromptStatus = (line = 0, callReference = 0) =>
  encodeMessage(SccpMsg.ClearPromptStatus, fields(8, (_d, v) => { v.setUint32(0, line, true); v.setUint32(4, callReference, true); }));
/** SetLamp: stimulus, stimulusInstance, lampMode (1 off, 2 on, 3 wink, 4 flash, 5 blink). */
export const encodeSetLamp = (stimulus: number, instance: number, mode: number) =>
  encodeMessage(SccpMsg.SetLamp, fields(12, (_d, v) => { v.setUint32(0, stimulus, true); v.setUint32(4, instance, true); v.setUint32(8, mode, true); }));
/** SetRinger: ringMode (1 off), ringDuration (1 normal, 2 single), lineInstance, callReference. */
export const encodeSetRinger = (mode: number, duration = 1, line = 0, callReference = 0) =>
  encodeMessage(SccpMsg.SetRinger, fields(16, (_d, v) => { [mode, duration, line, callReference].forEach((x, i) => v.setUint32(4 * i, x, true)); }));

export function decodeU32(data: Uint8Array): number | null {
  return data.length < 4 ? null : new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
}

/**
 * Cuts a TCP byte stream into messages. After a length that cannot be
 * SCCP (under 4, or past SCCP_MAX_DATA) the stream is unusable: `error`
 * says why and nothing more is returned.
 */
export class SccpFramer {
  private buf = new Uint8Array(0);
  error: string | null = null;

  push(bytes: Uint8Array): SccpMessage[] {
    if (this.error !== null) return [];
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    const out: SccpMessage[] = [];
    let p = 0;
    while (joined.length - p >= 4) {
      const len = new DataView(joined.buffer, p, 4).getUint32(0, true);
      if (len < 4 || len > SCCP_MAX_DATA) {
        this.error = `impossible SCCP data length ${len}`;
        this.buf = new Uint8Array(0);
        return out;
      }
      if (joined.length - p < len + 8) break;
      const msg = decodeMessage(joined.subarray(p, p + len + 8));
      if (msg !== null) out.push({ ...msg, data: msg.data.slice() });
      p += len + 8;
    }
    this.buf = joined.slice(p);
    return out;
  }

  /** Bytes held for a message not yet complete. */
  get pending(): number {
    return this.buf.length;
  }
}
