// SCCP (Skinny), the messages a phone needs to register, framed as
// Wireshark's skinny dissector reads them: a 4-byte data length (counting
// the message id and the data, not itself nor the header version), a
// 4-byte header version (0: "Basic"), a 4-byte message id, the data. All
// little-endian, except the station's IPv4 address (network order).
import { get32, put32 } from "../lib/bytes";
import { Ctr } from "../counters";

export const enum SccpMsg {
  KeepAlive = 0x0000,
  Register = 0x0001,
  IpPort = 0x0002,
  Unregister = 0x0027,
  RegisterAck = 0x0081,
  RegisterReject = 0x009d,
  Reset = 0x009f,
  KeepAliveAck = 0x0100,
  UnregisterAck = 0x0118,
}
/** Reset's resetType: 1 = reset (power-cycle), 2 = restart. */
export const enum SccpResetType { Reset = 1, Restart = 2 }

/** Data length, header version, message id. */
export const SCCP_HEADER = 12;
/** A data length past this is not SCCP: the stream is garbage. */
export const SCCP_MAX_DATA = 0x10000;
const DEVICE_NAME_FIELD = 16;
/** StationRegister's data: sid (24), IP, device type, max streams (12), then activeStreams, protocol version, features, maxConferences (12) and 4 spare bytes (Wireshark reads the protocol version only when the data length exceeds 52). */
const REGISTER_DATA = 52;
const REJECT_TEXT = 32;

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
        this.textPtr = d;
        let t = 0;
        const limit = min(n, REJECT_TEXT);
        while (t < limit && load<u8>(d + <usize>t) != 0) t++;
        this.textLen = t;
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
      // KeepAlive, KeepAliveAck, Unregister: no data.
    }
    putLe32(p, <u32>(4 + n));
    putLe32(p + 4, 0);
    putLe32(p + 8, this.msgId);
    return SCCP_HEADER + n;
  }
}
