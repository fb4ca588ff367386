// CDP, the Cisco Discovery Protocol (versions 1 and 2), as Cisco switches
// and IP phones speak it. A CDP frame is IEEE 802.3 (a length where Ethernet
// II has its EtherType) with LLC/SNAP (AA AA 03, OUI 00:00:0c, PID 0x2000),
// sent to 01:00:0c:cc:cc:cc; the CDP PDU is a 4-byte header (version, TTL,
// checksum) and TLVs (type u16, length u16 counting the 4-byte TLV header).
// The switch tells the phone its voice VLAN (VoIP VLAN Reply); the phone
// announces itself as SEP<MAC> and asks for power (Power Requested).
// Because the Ethernet header is part of the format, parse() and emit()
// work on the whole frame.
import { fold, get16, get32, get8, getMac, put16, put32, put8, putMac, sum16 } from "../lib/bytes";
import { Ctr } from "../counters";
import { ETH_HEADER, ETH_MIN_FRAME } from "./ethernet";

export const CDP_MULTICAST: u64 = 0x0100_0ccc_cccc;
/** LLC (DSAP, SSAP, control) and SNAP (OUI, PID) after the 802.3 header. */
export const LLC_SNAP_LEN = 8;
/** Offset of the CDP PDU in the frame. */
export const CDP_PDU = ETH_HEADER + LLC_SNAP_LEN;
export const CDP_HEADER = 4;
/** The holdtime a Cisco phone announces, in seconds. */
export const CDP_TTL: u32 = 180;
// AA AA 03 | 00 00 0C | 20 00, as two big-endian words.
const SNAP_HI: u32 = 0xaaaa_0300;
const SNAP_LO: u32 = 0x000c_2000;
/** Longest text emit() copies into one TLV (keeps a frame well inside the TX buffer). */
export const CDP_TEXT_MAX = 255;

export const enum CdpTlv {
  DeviceId = 0x01, Addresses = 0x02, PortId = 0x03, Capabilities = 0x04,
  SoftwareVersion = 0x05, Platform = 0x06, VtpDomain = 0x09, NativeVlan = 0x0a,
  Duplex = 0x0b, VoipVlanReply = 0x0e, VoipVlanQuery = 0x0f, Power = 0x10,
  TrustBitmap = 0x12, UntrustedCos = 0x13, PowerRequested = 0x19, PowerAvailable = 0x1a,
}

export const enum CdpCap {
  Router = 0x01, TransparentBridge = 0x02, SourceRouteBridge = 0x04, Switch = 0x08,
  Host = 0x10, Igmp = 0x20, Repeater = 0x40, Phone = 0x80,
}

const PORT_1 = memory.data<u8>([80, 111, 114, 116, 32, 49]); // "Port 1"
const PORT_1_LEN = 6;
// "Cisco IP Phone 7960"
const PLATFORM = memory.data<u8>([67, 105, 115, 99, 111, 32, 73, 80, 32, 80, 104, 111, 110, 101, 32, 55, 57, 54, 48]);
const PLATFORM_LEN = 19;
// The VoIP VLAN Query value phones send to make the switch answer with its
// voice VLAN (the same 4 bytes as cdpr's query).
const VLAN_QUERY: u32 = 0x2002_0001;

/**
 * The CDP checksum of the `len`-byte PDU at `p`: the Internet checksum,
 * except for an odd last byte `v`. Cisco adds it as the word 0x00vv (not
 * 0xvv00), and, summing it as a signed char, adds 0xff00 + v - 1 when v >=
 * 0x80 (the sign extension plus the carry that it loses). Wireshark's
 * dissector and lldpd 1.0.16 do the same; over a PDU with a correct
 * checksum the result is 0.
 */
export function cdpChecksum(p: usize, len: i32): u32 {
  const even = len & ~1;
  let acc = sum16(p, even, 0);
  if (len & 1) {
    const v = get8(p + <usize>even);
    acc += (v & 0x80) != 0 ? 0xff00 + v - 1 : v;
  }
  return fold(acc);
}

/** Writes a TLV header and `n` bytes from `src`; returns the TLV's length. */
function putText(p: usize, type: u32, src: usize, n: i32): i32 {
  if (n > CDP_TEXT_MAX) n = CDP_TEXT_MAX;
  if (n < 0) n = 0;
  put16(p, type);
  put16(p + 2, <u32>(4 + n));
  memory.copy(p + 4, src, <usize>n);
  return 4 + n;
}

/**
 * One CDP frame. parse() fills the fields from a received frame (text fields
 * point into it; absent numbers are -1 or 0 as noted); emit() writes the
 * phone's frame from the same fields (setPhone() fills the defaults).
 */
@unmanaged export class CdpRepr {
  /** Source MAC (received), or the phone's MAC (emitted). */
  src: u64;
  version: u32;
  /** Holdtime in seconds. */
  ttl: u32;
  deviceIdPtr: usize;
  deviceIdLen: i32;
  portIdPtr: usize;
  portIdLen: i32;
  softwarePtr: usize;
  softwareLen: i32;
  platformPtr: usize;
  platformLen: i32;
  /** CdpCap bits; 0 when absent. */
  capabilities: u32;
  /** The first IPv4 address of the Addresses TLV; 0 when none (emit: none sent). */
  address: u32;
  /** Native VLAN, -1 when absent (emit: not sent). */
  nativeVlan: i32;
  /** VoIP VLAN Reply: the voice VLAN (0 = 802.1p priority tagging, 4095 = untagged), -1 when absent or out of range. */
  voiceVlan: i32;
  /** VoIP VLAN Query present (emit: send one). */
  vlanQuery: bool;
  /** 1 full, 0 half, -1 absent (emit: not sent). */
  duplex: i32;
  /** Trust bitmap and untrusted port CoS, -1 when absent. */
  trustBitmap: i32;
  untrustedCos: i32;
  /** Power consumption (0x10), mW; 0 when absent (emit: not sent). */
  powerConsumptionMw: u32;
  /** Power Requested (0x19): the first level, mW; 0 when absent (emit: not sent). */
  powerRequestMw: u32;
  /** Power Available (0x1a): the first level, mW; 0 when absent. */
  powerAvailableMw: u32;
  /** A Power Available TLV was present (received only). */
  powerAvailable: bool;
  /** Request and management IDs of Power Requested or Power Available, whichever came last. */
  powerRequestId: u32;
  powerManagementId: u32;

  /** Checks the `len`-byte frame at `f` (Ethernet header first). Returns 0, or the Ctr drop reason. */
  parse(f: usize, len: i32): i32 {
    if (len < CDP_PDU) return Ctr.DropCdpMalformed;
    if (get32(f + ETH_HEADER) != SNAP_HI || get32(f + ETH_HEADER + 4) != SNAP_LO) return Ctr.DropLlcOther;
    // The 802.3 length bounds the PDU: padding after it is not CDP.
    const n = <i32>get16(f + 12) - LLC_SNAP_LEN;
    if (n < CDP_HEADER || n > len - CDP_PDU) return Ctr.DropCdpMalformed;
    const p = f + CDP_PDU;
    const version = get8(p);
    if (version != 1 && version != 2) return Ctr.DropCdpMalformed;
    if (cdpChecksum(p, n) != 0) return Ctr.DropCdpChecksum;
    this.src = getMac(f + 6);
    this.version = version;
    this.ttl = get8(p + 1);
    this.deviceIdLen = this.portIdLen = this.softwareLen = this.platformLen = 0;
    this.deviceIdPtr = this.portIdPtr = this.softwarePtr = this.platformPtr = 0;
    this.capabilities = this.address = 0;
    this.nativeVlan = this.voiceVlan = this.duplex = this.trustBitmap = this.untrustedCos = -1;
    this.vlanQuery = this.powerAvailable = false;
    this.powerConsumptionMw = this.powerRequestMw = this.powerAvailableMw = 0;
    this.powerRequestId = this.powerManagementId = 0;
    // Every TLV advances by at least 4 bytes, so the walk ends.
    let i = CDP_HEADER;
    while (i < n) {
      if (n - i < 4) return Ctr.DropCdpMalformed;
      const tlen = <i32>get16(p + <usize>i + 2);
      if (tlen < 4 || tlen > n - i) return Ctr.DropCdpMalformed;
      this.tlv(get16(p + <usize>i), p + <usize>i + 4, tlen - 4);
      i += tlen;
    }
    return 0;
  }

  /** Records one TLV's value (`n` bytes at `v`); values too short for their type are ignored. */
  private tlv(type: u32, v: usize, n: i32): void {
    switch (type) {
      case CdpTlv.DeviceId: this.deviceIdPtr = v; this.deviceIdLen = n; break;
      case CdpTlv.PortId: this.portIdPtr = v; this.portIdLen = n; break;
      case CdpTlv.SoftwareVersion: this.softwarePtr = v; this.softwareLen = n; break;
      case CdpTlv.Platform: this.platformPtr = v; this.platformLen = n; break;
      case CdpTlv.Addresses: this.addresses(v, n); break;
      case CdpTlv.Capabilities: if (n >= 4) this.capabilities = get32(v); break;
      case CdpTlv.NativeVlan: if (n >= 2) this.nativeVlan = <i32>get16(v); break;
      case CdpTlv.Duplex: if (n >= 1) this.duplex = <i32>get8(v); break;
      case CdpTlv.VoipVlanReply: {
        // One byte of data (1 on Cisco switches), then the VLAN.
        if (n >= 3) {
          const vlan = <i32>get16(v + 1);
          if (vlan <= 4095) this.voiceVlan = vlan;
        }
        break;
      }
      case CdpTlv.VoipVlanQuery: this.vlanQuery = true; break;
      case CdpTlv.Power: if (n >= 2) this.powerConsumptionMw = get16(v); break;
      case CdpTlv.TrustBitmap: if (n >= 1) this.trustBitmap = <i32>get8(v); break;
      case CdpTlv.UntrustedCos: if (n >= 1) this.untrustedCos = <i32>get8(v); break;
      case CdpTlv.PowerRequested: {
        // Request ID, management ID, then a list of levels in mW.
        if (n >= 8) {
          this.powerRequestId = get16(v);
          this.powerManagementId = get16(v + 2);
          this.powerRequestMw = get32(v + 4);
        }
        break;
      }
      case CdpTlv.PowerAvailable: {
        if (n >= 8) {
          this.powerRequestId = get16(v);
          this.powerManagementId = get16(v + 2);
          this.powerAvailableMw = get32(v + 4);
          this.powerAvailable = true;
        }
        break;
      }
    }
  }

  /** Finds the first IPv4 address in an Addresses TLV; stops quietly at a short record. */
  private addresses(v: usize, n: i32): void {
    if (n < 4) return;
    let count = get32(v);
    let i = 4;
    // Each record: protocol type, protocol length, protocol, address length (u16), address.
    while (count > 0 && n - i >= 2) {
      const plen = <i32>get8(v + <usize>i + 1);
      const a = i + 2 + plen;
      if (n - a < 2) return;
      const alen = <i32>get16(v + <usize>a);
      if (n - a - 2 < alen) return;
      // NLPID (1), length 1, 0xCC: IPv4
      if (get8(v + <usize>i) == 1 && plen == 1 && get8(v + <usize>i + 2) == 0xcc && alen == 4 && this.address == 0) {
        this.address = get32(v + <usize>a + 2);
      }
      i = a + 2 + alen;
      count--;
    }
  }

  /** Sets the phone's own announcement: SEP<MAC>, "Port 1", Host and Phone, full duplex, the load name. */
  setPhone(mac: u64, namePtr: usize, nameLen: i32, loadPtr: usize, loadLen: i32): void {
    this.src = mac;
    this.version = 2;
    this.ttl = CDP_TTL;
    this.deviceIdPtr = namePtr;
    this.deviceIdLen = nameLen;
    this.portIdPtr = PORT_1;
    this.portIdLen = PORT_1_LEN;
    this.softwarePtr = loadPtr;
    this.softwareLen = loadLen;
    this.platformPtr = PLATFORM;
    this.platformLen = PLATFORM_LEN;
    this.capabilities = CdpCap.Host | CdpCap.Phone;
    this.address = 0;
    this.nativeVlan = -1;
    this.voiceVlan = -1;
    this.vlanQuery = false;
    this.duplex = 1;
    this.trustBitmap = this.untrustedCos = -1;
    this.powerConsumptionMw = this.powerAvailableMw = 0;
    this.powerRequestMw = 0;
    this.powerAvailable = false;
    this.powerRequestId = this.powerManagementId = 0;
  }

  /**
   * Writes the whole frame at `f` (802.3 header, LLC/SNAP, CDP with its
   * checksum): Device ID, Addresses (if `address`), Port ID, Capabilities,
   * Software Version, Platform, Native VLAN (if >= 0), VoIP VLAN Query (if
   * `vlanQuery`), Duplex (if >= 0), Power consumption (if `powerConsumptionMw`),
   * Power Requested (if `powerRequestMw`). Pads to the Ethernet minimum;
   * returns the frame's length (at most 1,124 bytes).
   */
  emit(f: usize): i32 {
    putMac(f, CDP_MULTICAST);
    putMac(f + 6, this.src);
    put32(f + ETH_HEADER, SNAP_HI);
    put32(f + ETH_HEADER + 4, SNAP_LO);
    const p = f + CDP_PDU;
    put8(p, this.version);
    put8(p + 1, this.ttl);
    put16(p + 2, 0);
    let i = CDP_HEADER;
    i += putText(p + <usize>i, CdpTlv.DeviceId, this.deviceIdPtr, this.deviceIdLen);
    if (this.address != 0) {
      let t = p + <usize>i;
      put32(t, (CdpTlv.Addresses << 16) | 17);
      put32(t + 4, 1);
      put32(t + 8, 0x0101_cc00); // NLPID, length 1, IP; address length (high byte)
      put8(t + 12, 4);
      put32(t + 13, this.address);
      i += 17;
    }
    i += putText(p + <usize>i, CdpTlv.PortId, this.portIdPtr, this.portIdLen);
    put32(p + <usize>i, (CdpTlv.Capabilities << 16) | 8);
    put32(p + <usize>i + 4, this.capabilities);
    i += 8;
    i += putText(p + <usize>i, CdpTlv.SoftwareVersion, this.softwarePtr, this.softwareLen);
    i += putText(p + <usize>i, CdpTlv.Platform, this.platformPtr, this.platformLen);
    if (this.nativeVlan >= 0) {
      put32(p + <usize>i, (CdpTlv.NativeVlan << 16) | 6);
      put16(p + <usize>i + 4, <u32>this.nativeVlan);
      i += 6;
    }
    if (this.vlanQuery) {
      put32(p + <usize>i, (CdpTlv.VoipVlanQuery << 16) | 8);
      put32(p + <usize>i + 4, VLAN_QUERY);
      i += 8;
    }
    if (this.duplex >= 0) {
      put32(p + <usize>i, (CdpTlv.Duplex << 16) | 5);
      put8(p + <usize>i + 4, <u32>this.duplex);
      i += 5;
    }
    if (this.powerConsumptionMw != 0) {
      put32(p + <usize>i, (CdpTlv.Power << 16) | 6);
      put16(p + <usize>i + 4, this.powerConsumptionMw);
      i += 6;
    }
    if (this.powerRequestMw != 0) {
      put32(p + <usize>i, (CdpTlv.PowerRequested << 16) | 12);
      put16(p + <usize>i + 4, this.powerRequestId);
      put16(p + <usize>i + 6, this.powerManagementId);
      put32(p + <usize>i + 8, this.powerRequestMw);
      i += 12;
    }
    put16(f + 12, <u32>(LLC_SNAP_LEN + i));
    put16(p + 2, cdpChecksum(p, i));
    let len = CDP_PDU + i;
    if (len < ETH_MIN_FRAME) {
      memory.fill(f + <usize>len, 0, <usize>(ETH_MIN_FRAME - len));
      len = ETH_MIN_FRAME;
    }
    return len;
  }
}
