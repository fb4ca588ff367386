// SCCP (Skinny) messages on the host: the same framing as the firmware's
// assembly/wire/sccp.ts and Wireshark's skinny dissector. A message is a
// 4-byte little-endian data length (message id + data), a 4-byte header
// version (0, "Basic"), a 4-byte message id, then the data; all fields are
// little-endian except the station's IPv4 address (network order).
// Decoders take untrusted bytes and return null on anything malformed.

export const SccpMsg = {
  KeepAlive: 0x0000,
  Register: 0x0001,
  IpPort: 0x0002,
  Unregister: 0x0027,
  RegisterAck: 0x0081,
  RegisterReject: 0x009d,
  Reset: 0x009f,
  KeepAliveAck: 0x0100,
  UnregisterAck: 0x0118,
} as const;

/** Wireshark's names for the message ids above. */
export const SCCP_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  0x0000: "KeepAliveReq", 0x0001: "RegisterReq", 0x0002: "IpPort", 0x0027: "UnregisterReq", 0x0081: "RegisterAck",
  0x009d: "RegisterReject", 0x009f: "Reset", 0x0100: "KeepAliveAck", 0x0118: "UnregisterAck",
};

export const SCCP_HEADER_LEN = 12;
/** Data lengths past this are not SCCP (the firmware's limit too). */
export const SCCP_MAX_DATA = 0x10000;
export const SCCP_PORT = 2000;
export const ResetType = { Reset: 1, Restart: 2 } as const;
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
