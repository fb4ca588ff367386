// LLDP (IEEE 802.1AB), EtherType 0x88cc to 01:80:c2:00:00:0e, with the
// LLDP-MED extensions of ANSI/TIA-1057 (OUI 00:12:bb) that a phone uses:
// capabilities and device class, the voice network policy (the switch's
// voice VLAN, priority and DSCP), extended power via MDI, and inventory.
// An LLDPDU is a list of TLVs, each a 16-bit header (7-bit type, 9-bit
// length) and the value; Chassis ID, Port ID and TTL come first, in this
// order; End (type 0) closes it. parse() and emit() work on the LLDPDU
// (after the Ethernet header).
import { get16, get32, get8, getMac, put16, put32, put8, putMac } from "../lib/bytes";
import { Ctr } from "../counters";

export const LLDP_MULTICAST: u64 = 0x0180_c200_000e;
export const ETHERTYPE_LLDP: u32 = 0x88cc;
/** The TTL the phone announces, in seconds. */
export const LLDP_TTL: u32 = 180;
const OUI_MED: u32 = 0x0012bb;
const TEXT_MAX = 255;
/** TIA-1057 inventory strings are at most 32 bytes. */
const INVENTORY_MAX = 32;

export const enum LldpTlv {
  End = 0, ChassisId = 1, PortId = 2, Ttl = 3, PortDescription = 4, SystemName = 5,
  SystemDescription = 6, SystemCapabilities = 7, ManagementAddress = 8, OrgSpecific = 127,
}
export const enum ChassisSubtype { MacAddress = 4, NetworkAddress = 5, InterfaceName = 6, Local = 7 }
export const enum PortSubtype { InterfaceAlias = 1, MacAddress = 3, NetworkAddress = 4, InterfaceName = 5, Local = 7 }
/** System capabilities (802.1AB). */
export const enum LldpCap {
  Other = 0x01, Repeater = 0x02, Bridge = 0x04, WlanAp = 0x08, Router = 0x10,
  Telephone = 0x20, Docsis = 0x40, Station = 0x80,
}
export const enum MedSubtype {
  Capabilities = 1, NetworkPolicy = 2, Location = 3, ExtendedPower = 4,
  HardwareRevision = 5, FirmwareRevision = 6, SoftwareRevision = 7, SerialNumber = 8,
  Manufacturer = 9, Model = 10, AssetId = 11,
}
/** LLDP-MED capabilities. */
export const enum MedCap {
  Capabilities = 0x01, NetworkPolicy = 0x02, Location = 0x04, PowerPse = 0x08,
  PowerPd = 0x10, Inventory = 0x20,
}
export const enum MedClass { NotDefined = 0, EndpointI = 1, EndpointII = 2, EndpointIII = 3, NetworkConnectivity = 4 }
export const enum MedApp { Voice = 1, VoiceSignaling = 2 }
/** Extended Power-via-MDI: power type, source (for a PD: 1 = from the PSE), priority. */
export const enum PowerType { Pse = 0, Pd = 1 }
export const enum PowerSource { Unknown = 0, Pse = 1, Local = 2, PseAndLocal = 3 }
export const enum PowerPriority { Unknown = 0, Critical = 1, High = 2, Low = 3 }

// "CP-7960G"
const MODEL = memory.data<u8>([67, 80, 45, 55, 57, 54, 48, 71]);
const MODEL_LEN = 8;
/** IEEE 802.3 organizationally specific TLVs (802.1AB Annex G): 00-12-0F, subtype 1 MAC/PHY configuration/status. */
const OUI_8023_MACPHY: u32 = 0x00120f01;
/** Autonegotiation supported and enabled; 10BASE-T and 100BASE-TX, half and full (IANA-MAU-MIB bits 1, 2, 4, 5); MAU type 16, 100BASE-TX full duplex. */
const MACPHY_AUTONEG: u32 = 0x03;
const MACPHY_ADVERTISED: u32 = 0x6c00;
const MACPHY_MAU_100TXFD: u32 = 16;
/** IANA address family 1, IPv4 (chassis ID subtype 5). */
const AFI_IPV4: u32 = 1;
// "Port 1": the port description Cisco phones send, CDP's Port ID.
const PORT_DESC = memory.data<u8>([80, 111, 114, 116, 32, 49]);
const PORT_DESC_LEN = 6;

@inline function tlvHeader(p: usize, type: u32, n: i32): void { put16(p, (type << 9) | <u32>n); }

/** Writes a TLV of `type` holding `n` bytes from `src` (clamped to `max`); returns its length. */
function putText(p: usize, type: u32, src: usize, n: i32, max: i32): i32 {
  if (n > max) n = max;
  if (n < 0) n = 0;
  tlvHeader(p, type, n);
  memory.copy(p + 2, src, <usize>n);
  return 2 + n;
}

/** Writes an LLDP-MED TLV header (TLV header, OUI, subtype) for `n` value bytes; returns 6. */
function putMed(p: usize, subtype: u32, n: i32): i32 {
  tlvHeader(p, LldpTlv.OrgSpecific, 4 + n);
  put32(p + 2, (OUI_MED << 8) | subtype);
  return 6;
}

/**
 * One LLDPDU. parse() fills the fields from a received one (text fields
 * point into it); emit() writes the phone's LLDP-MED announcement from the
 * same fields (setPhone() fills the defaults).
 */
@unmanaged export class LldpRepr {
  chassisSubtype: u32;
  chassisPtr: usize;
  chassisLen: i32;
  /** The chassis ID when it is a MAC address (0 otherwise); emit: chassis ID (and port ID if portSubtype is MacAddress). */
  mac: u64;
  portSubtype: u32;
  portPtr: usize;
  portLen: i32;
  /** Seconds; 0 is a shutdown LLDPDU (forget this neighbour). */
  ttl: u32;
  systemNamePtr: usize;
  systemNameLen: i32;
  /** emit: the IPv4 address of a network-address chassis ID (chassisSubtype NetworkAddress; 0.0.0.0 before DHCP). */
  address: u32;
  /** emit: Port Description (sent when portDescLen > 0) and the 802.3 MAC/PHY configuration/status TLV (when macPhy). */
  portDescPtr: usize;
  portDescLen: i32;
  macPhy: bool;
  /** System capabilities, supported and enabled (LldpCap bits). */
  capabilities: u32;
  enabledCapabilities: u32;
  /** An LLDP-MED Capabilities TLV was present (emit: send the LLDP-MED TLVs). */
  med: bool;
  medCapabilities: u32;
  medClass: u32;
  /** A network policy for application 1 (voice) was present (emit: send one). */
  voicePolicy: bool;
  /** The policy is required but not known yet (U flag); the fields below are then 0. */
  voiceUnknown: bool;
  voiceTagged: bool;
  voiceVlan: u32;
  voicePriority: u32;
  voiceDscp: u32;
  /** An Extended Power-via-MDI TLV was present (emit: send one). */
  power: bool;
  powerType: u32;
  powerSource: u32;
  powerPriority: u32;
  /** In units of 0.1 W. */
  powerValue: u32;
  /** Inventory: software revision and model name (emit: sent when not empty). */
  softwarePtr: usize;
  softwareLen: i32;
  modelPtr: usize;
  modelLen: i32;

  /** Checks the `len`-byte LLDPDU at `p`. Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    this.chassisLen = this.portLen = this.systemNameLen = this.softwareLen = this.modelLen = 0;
    this.chassisPtr = this.portPtr = this.systemNamePtr = this.softwarePtr = this.modelPtr = 0;
    this.chassisSubtype = this.portSubtype = this.ttl = 0;
    this.mac = this.address = 0;
    this.portDescPtr = 0;
    this.portDescLen = 0;
    this.macPhy = false;
    this.capabilities = this.enabledCapabilities = this.medCapabilities = this.medClass = 0;
    this.med = this.voicePolicy = this.voiceUnknown = this.voiceTagged = this.power = false;
    this.voiceVlan = this.voicePriority = this.voiceDscp = 0;
    this.powerType = this.powerSource = this.powerPriority = this.powerValue = 0;
    // Every TLV advances by at least 2 bytes, so the walk ends.
    let i = 0;
    let index = 0;
    while (true) {
      const left = len - i;
      // End is optional since 802.1AB-2009: the LLDPDU may just stop after a TLV.
      if (left == 0 && index >= 3) return 0;
      if (left < 2) return Ctr.DropLldpMalformed;
      const header = get16(p + <usize>i);
      const type = header >> 9;
      const n = <i32>(header & 0x1ff);
      if (n > left - 2) return Ctr.DropLldpMalformed;
      // Chassis ID, Port ID and TTL first, in this order, and only once.
      if (index < 3 ? type != <u32>(index + 1) : type >= <u32>LldpTlv.ChassisId && type <= <u32>LldpTlv.Ttl) {
        return Ctr.DropLldpMalformed;
      }
      const v = p + <usize>i + 2;
      switch (type) {
        case LldpTlv.End: return 0;
        case LldpTlv.ChassisId: {
          if (n < 2) return Ctr.DropLldpMalformed;
          this.chassisSubtype = get8(v);
          this.chassisPtr = v + 1;
          this.chassisLen = n - 1;
          if (this.chassisSubtype == ChassisSubtype.MacAddress && n == 7) this.mac = getMac(v + 1);
          if (this.chassisSubtype == ChassisSubtype.NetworkAddress && n == 6 && get8(v + 1) == AFI_IPV4) this.address = get32(v + 2);
          break;
        }
        case LldpTlv.PortId: {
          if (n < 2) return Ctr.DropLldpMalformed;
          this.portSubtype = get8(v);
          this.portPtr = v + 1;
          this.portLen = n - 1;
          // A chassis ID that is no MAC (Cisco phones send their address): the port ID's MAC.
          if (this.portSubtype == PortSubtype.MacAddress && n == 7 && this.mac == 0) this.mac = getMac(v + 1);
          break;
        }
        case LldpTlv.Ttl: {
          if (n < 2) return Ctr.DropLldpMalformed;
          this.ttl = get16(v);
          break;
        }
        case LldpTlv.SystemName: this.systemNamePtr = v; this.systemNameLen = n; break;
        case LldpTlv.PortDescription: this.portDescPtr = v; this.portDescLen = n; break;
        case LldpTlv.SystemCapabilities: {
          if (n >= 4) {
            this.capabilities = get16(v);
            this.enabledCapabilities = get16(v + 2);
          }
          break;
        }
        case LldpTlv.OrgSpecific: {
          if (n < 4) return Ctr.DropLldpMalformed; // OUI and subtype
          if (get32(v) >> 8 == OUI_MED) this.medTlv(get8(v + 3), v + 4, n - 4);
          else if (get32(v) == OUI_8023_MACPHY && n >= 9) this.macPhy = true;
          break;
        }
      }
      i += 2 + n;
      index++;
    }
    return 0; // not reached
  }

  /** Records one LLDP-MED TLV (`n` value bytes at `v`); a value too short for its subtype is ignored. */
  private medTlv(subtype: u32, v: usize, n: i32): void {
    switch (subtype) {
      case MedSubtype.Capabilities: {
        if (n >= 3) {
          this.med = true;
          this.medCapabilities = get16(v);
          this.medClass = get8(v + 2);
        }
        break;
      }
      case MedSubtype.NetworkPolicy: {
        // Application type, then U(1) T(1) X(1) VLAN(12) L2 priority(3) DSCP(6). The first voice policy wins.
        if (n >= 4 && get8(v) == MedApp.Voice && !this.voicePolicy) {
          const w = get32(v);
          this.voicePolicy = true;
          this.voiceUnknown = (w & 0x80_0000) != 0;
          this.voiceTagged = (w & 0x40_0000) != 0;
          this.voiceVlan = (w >> 9) & 0xfff;
          this.voicePriority = (w >> 6) & 7;
          this.voiceDscp = w & 0x3f;
        }
        break;
      }
      case MedSubtype.ExtendedPower: {
        // Power type(2) source(2) priority(4), then the value in 0.1 W.
        if (n >= 3) {
          const b = get8(v);
          this.power = true;
          this.powerType = b >> 6;
          this.powerSource = (b >> 4) & 3;
          this.powerPriority = b & 0xf;
          this.powerValue = get16(v + 1);
        }
        break;
      }
      case MedSubtype.SoftwareRevision: this.softwarePtr = v; this.softwareLen = n; break;
      case MedSubtype.Model: this.modelPtr = v; this.modelLen = n; break;
    }
  }

  /**
   * Sets the phone's own announcement: chassis and port ID its MAC, TTL 180,
   * system name (the device name), capabilities Telephone, LLDP-MED class III with
   * an unknown voice policy (see setVoiceVlan), extended power as a PD fed
   * by the PSE at high priority (powerValue still 0: set it), inventory
   * software revision `load` and model CP-7960G.
   */
  setPhone(mac: u64, namePtr: usize, nameLen: i32, loadPtr: usize, loadLen: i32): void {
    this.mac = mac;
    // As Cisco phones send it (Cisco IP Phone 8800 Administration Guide, LLDP-MED):
    // chassis ID the voice address, port ID the MAC, "Port 1", Bridge and Telephone, MAC/PHY status.
    this.chassisSubtype = ChassisSubtype.NetworkAddress;
    this.address = 0;
    this.portDescPtr = PORT_DESC;
    this.portDescLen = PORT_DESC_LEN;
    this.macPhy = true;
    this.portSubtype = PortSubtype.MacAddress;
    this.portPtr = 0;
    this.portLen = 0;
    this.ttl = LLDP_TTL;
    this.systemNamePtr = namePtr;
    this.systemNameLen = nameLen;
    this.capabilities = LldpCap.Bridge | LldpCap.Telephone; // the PC port is a bridge
    this.enabledCapabilities = LldpCap.Bridge | LldpCap.Telephone;
    this.med = true;
    this.medCapabilities = MedCap.Capabilities | MedCap.NetworkPolicy | MedCap.PowerPd | MedCap.Inventory;
    this.medClass = MedClass.EndpointIII;
    this.setVoiceVlan(-1);
    this.power = true;
    this.powerType = PowerType.Pd;
    this.powerSource = PowerSource.Pse;
    this.powerPriority = PowerPriority.High;
    this.powerValue = 0;
    this.softwarePtr = loadPtr;
    this.softwareLen = loadLen;
    this.modelPtr = MODEL;
    this.modelLen = MODEL_LEN;
  }

  /** The voice policy to announce: `vlan` tagged, priority 5, DSCP 46 (EF); unknown when `vlan` < 0. */
  setVoiceVlan(vlan: i32): void {
    this.voicePolicy = true;
    this.voiceUnknown = vlan < 0;
    this.voiceTagged = vlan >= 0;
    this.voiceVlan = vlan < 0 ? 0 : <u32>vlan & 0xfff;
    this.voicePriority = vlan < 0 ? 0 : 5;
    this.voiceDscp = vlan < 0 ? 0 : 46;
  }

  /**
   * Writes the LLDPDU at `p`: Chassis ID (MAC), Port ID (MAC, or portPtr/
   * portLen with another portSubtype when portLen > 0), TTL, System Name (if any), System
   * Capabilities, and when `med`: LLDP-MED Capabilities, voice Network
   * Policy (if `voicePolicy`), Extended Power-via-MDI (if `power`),
   * Software Revision and Model (if any); then End. Returns its length (at most 640).
   */
  emit(p: usize): i32 {
    let i = 0;
    if (this.chassisSubtype == ChassisSubtype.NetworkAddress) {
      tlvHeader(p, LldpTlv.ChassisId, 6);
      put8(p + 2, ChassisSubtype.NetworkAddress);
      put8(p + 3, AFI_IPV4);
      put32(p + 4, this.address);
      i = 8;
    } else {
      tlvHeader(p, LldpTlv.ChassisId, 7);
      put8(p + 2, ChassisSubtype.MacAddress);
      putMac(p + 3, this.mac);
      i = 9;
    }
    const q = p + <usize>i;
    // A port ID needs at least one byte besides its subtype: without one, the MAC.
    if (this.portSubtype == PortSubtype.MacAddress || this.portLen <= 0) {
      tlvHeader(q, LldpTlv.PortId, 7);
      put8(q + 2, PortSubtype.MacAddress);
      putMac(q + 3, this.mac);
      i += 9;
    } else {
      let n = this.portLen;
      if (n > TEXT_MAX) n = TEXT_MAX;
      tlvHeader(q, LldpTlv.PortId, 1 + n);
      put8(q + 2, this.portSubtype);
      memory.copy(q + 3, this.portPtr, <usize>n);
      i += 3 + n;
    }
    tlvHeader(p + <usize>i, LldpTlv.Ttl, 2);
    put16(p + <usize>i + 2, this.ttl);
    i += 4;
    if (this.portDescLen > 0) i += putText(p + <usize>i, LldpTlv.PortDescription, this.portDescPtr, this.portDescLen, TEXT_MAX);
    if (this.systemNameLen > 0) {
      i += putText(p + <usize>i, LldpTlv.SystemName, this.systemNamePtr, this.systemNameLen, TEXT_MAX);
    }
    tlvHeader(p + <usize>i, LldpTlv.SystemCapabilities, 4);
    put16(p + <usize>i + 2, this.capabilities);
    put16(p + <usize>i + 4, this.enabledCapabilities);
    i += 6;
    if (this.macPhy) {
      tlvHeader(p + <usize>i, LldpTlv.OrgSpecific, 9);
      put32(p + <usize>i + 2, OUI_8023_MACPHY);
      put8(p + <usize>i + 6, MACPHY_AUTONEG);
      put16(p + <usize>i + 7, MACPHY_ADVERTISED);
      put16(p + <usize>i + 9, MACPHY_MAU_100TXFD);
      i += 11;
    }
    if (this.med) {
      i += putMed(p + <usize>i, MedSubtype.Capabilities, 3);
      put16(p + <usize>i, this.medCapabilities);
      put8(p + <usize>i + 2, this.medClass);
      i += 3;
      if (this.voicePolicy) {
        i += putMed(p + <usize>i, MedSubtype.NetworkPolicy, 4);
        let w: u32 = <u32>MedApp.Voice << 24;
        if (this.voiceUnknown) {
          w |= 0x80_0000; // the rest is ignored when the policy is unknown
        } else {
          if (this.voiceTagged) w |= 0x40_0000;
          w |= (this.voiceVlan & 0xfff) << 9 | (this.voicePriority & 7) << 6 | (this.voiceDscp & 0x3f);
        }
        put32(p + <usize>i, w);
        i += 4;
      }
      if (this.power) {
        i += putMed(p + <usize>i, MedSubtype.ExtendedPower, 3);
        put8(p + <usize>i, (this.powerType & 3) << 6 | (this.powerSource & 3) << 4 | (this.powerPriority & 0xf));
        put16(p + <usize>i + 1, this.powerValue);
        i += 3;
      }
      i += this.inventory(p + <usize>i, MedSubtype.FirmwareRevision, this.softwarePtr, this.softwareLen);
      i += this.inventory(p + <usize>i, MedSubtype.SoftwareRevision, this.softwarePtr, this.softwareLen);
      i += this.inventory(p + <usize>i, MedSubtype.Model, this.modelPtr, this.modelLen);
    }
    tlvHeader(p + <usize>i, LldpTlv.End, 0);
    return i + 2;
  }

  /** Writes an inventory TLV when `n` > 0; returns its length. */
  private inventory(p: usize, subtype: u32, src: usize, n: i32): i32 {
    if (n <= 0) return 0;
    if (n > INVENTORY_MAX) n = INVENTORY_MAX;
    putMed(p, subtype, n);
    memory.copy(p + 6, src, <usize>n);
    return 6 + n;
  }
}
