import { fromHex, scratch, toHex } from "./hex";
import {
  CDP_LLDPD_PHONE, CDP_LLDPD_PHONE_ODD, CDP_LLDPD_SWITCH, CDP_LLDPD_SWITCH_ODD, CDP_SCAPY_ODD_80,
  CDP_SCAPY_ODD_80_SCAPY_SUM, CDP_SCAPY_PADDED, CDP_SCAPY_SWITCH_VOICE, LLDP_LLDPD_PHONE,
  LLDP_LLDPD_SHUTDOWN, LLDP_LLDPD_SWITCH,
} from "./cdp-lldp-fixtures";
import { CDP_MULTICAST, CDP_PDU, CdpCap, cdpChecksum } from "../wire/cdp";
import { cdp } from "./records";
import { ChassisSubtype, LldpCap, MedClass, PortSubtype, PowerPriority, PowerSource, PowerType } from "../wire/lldp";
import { lldp } from "./records";
import { ETH_HEADER } from "../wire/ethernet";
import { DEVICE_NAME_LEN, deviceName, setDeviceName } from "../phone/identity";
import { fold, get16, getMac, put16, put32, put8, sum16 } from "../lib/bytes";
import { Ctr } from "../counters";
import { resetFirmware } from "./reset";

const MAC: u64 = 0x001b54c2a710;
const SWITCH_MAC: u64 = 0x02005e005301;
const out = memory.data(1600);
const out2 = memory.data(1600);
// Room for 10,000 TLVs of 4 bytes.
const BIG = 40_100;
const big = memory.data(BIG);
// "P00308010200", a Cisco 7960 SCCP load name, and one with 13 characters.
const LOAD = memory.data<u8>([80, 48, 48, 51, 48, 56, 48, 49, 48, 50, 48, 48]);
const LOAD13 = memory.data<u8>([80, 48, 48, 51, 48, 56, 48, 49, 48, 50, 48, 48, 65]);

function str(p: usize, n: i32): string { return String.UTF8.decodeUnsafe(p, n); }

/** The CDP PDU length from the 802.3 length field of the frame at `f`. */
function pduLen(f: usize): i32 { return <i32>get16(f + 12) - 8; }

/** Recomputes the CDP checksum of the frame at `f` after a test changed it. */
function fixChecksum(f: usize): void {
  const p = f + CDP_PDU;
  put16(p + 2, 0);
  put16(p + 2, cdpChecksum(p, pduLen(f)));
}

/** Writes a CDP frame header at `f` for a PDU of `n` bytes (TLVs still to be written at f + 26). */
function cdpFrame(f: usize, n: i32): void {
  fromHex("01000ccccccc02005e005301001aaaaa0300000c20000278", f);
  put16(f + 12, <u32>(n + 8));
  put16(f + CDP_PDU + 2, 0);
}

describe("CDP checksum", () => {
  beforeAll(resetFirmware);
  it("verifies lldpd's even and odd PDUs, with Cisco's rule for the odd last byte", () => {
    for (let k = 0; k < 4; k++) {
      const hex = k == 0 ? CDP_LLDPD_SWITCH : k == 1 ? CDP_LLDPD_SWITCH_ODD : k == 2 ? CDP_LLDPD_PHONE : CDP_LLDPD_PHONE_ODD;
      fromHex(hex);
      expect(cdpChecksum(scratch + CDP_PDU, pduLen(scratch))).toBe(0);
    }
  });

  it("adds an odd last byte below 0x80 as 0x00vv, not as RFC 1071's 0xvv00", () => {
    fromHex(CDP_LLDPD_SWITCH_ODD);
    const p = scratch + CDP_PDU;
    const n = pduLen(scratch);
    expect(n).toBe(99);
    expect(load<u8>(p + <usize>n - 1)).toBe(0x53);
    expect(fold(sum16(p, n, 0))).not.toBe(0); // RFC 1071 padding
    expect(cdpChecksum(p, n)).toBe(0);
  });

  it("adds an odd last byte of 0x80 or more as 0xff00 + v - 1 (lldpd 1.0.16, tshark)", () => {
    fromHex(CDP_LLDPD_PHONE_ODD);
    const p = scratch + CDP_PDU;
    const n = pduLen(scratch);
    expect(n).toBe(115);
    expect(load<u8>(p + <usize>n - 1)).toBe(0xfc);
    expect(fold(sum16(p, n, 0))).not.toBe(0);
    expect(fold(sum16(p, n - 1, 0) + 0xfc)).not.toBe(0); // 0x00vv alone is not enough
    expect(cdpChecksum(p, n)).toBe(0);
  });

  it("treats exactly 0x80 as negative, as tshark does and scapy does not", () => {
    let n = fromHex(CDP_SCAPY_ODD_80);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(cdp.duplex).toBe(0x80);
    n = fromHex(CDP_SCAPY_ODD_80_SCAPY_SUM);
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropCdpChecksum);
  });

  it("rejects a frame with one bit changed", () => {
    const n = fromHex(CDP_LLDPD_SWITCH);
    store<u8>(scratch + 40, load<u8>(scratch + 40) ^ 0x10);
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropCdpChecksum);
  });
});

describe("CDP parse", () => {
  beforeAll(resetFirmware);
  it("reads lldpd's switch frame", () => {
    const n = fromHex(CDP_LLDPD_SWITCH);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(cdp.src).toBe(SWITCH_MAC);
    expect(cdp.version).toBe(2);
    expect(cdp.ttl).toBe(120);
    expect(str(cdp.deviceIdPtr, cdp.deviceIdLen)).toBe("access-sw1");
    expect(str(cdp.portIdPtr, cdp.portIdLen)).toBe("vsw");
    expect(str(cdp.platformPtr, cdp.platformLen)).toBe("WS-C3560-48PS");
    expect(str(cdp.softwarePtr, cdp.softwareLen)).toBe("Linux access switch (lldpd)");
    expect(cdp.capabilities).toBe(CdpCap.Host);
    expect(cdp.address).toBe(0xc0000202);
    expect(cdp.voiceVlan).toBe(-1);
    expect(cdp.nativeVlan).toBe(-1);
    expect(cdp.duplex).toBe(-1);
    expect(cdp.powerAvailableMw).toBe(0);
    expect(cdp.vlanQuery).toBe(false);
  });

  it("reads lldpd's phone frame: SEP name and Power Requested", () => {
    let n = fromHex(CDP_LLDPD_PHONE);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(cdp.src).toBe(MAC);
    expect(str(cdp.deviceIdPtr, cdp.deviceIdLen)).toBe("SEP001B54C2A710");
    expect(str(cdp.platformPtr, cdp.platformLen)).toBe("Cisco IP Phone 7960");
    expect(cdp.powerConsumptionMw).toBe(8700);
    expect(cdp.powerRequestMw).toBe(8700);
    expect(cdp.powerRequestId).toBe(1);
    expect(cdp.powerManagementId).toBe(1);
    n = fromHex(CDP_LLDPD_PHONE_ODD);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(str(cdp.softwarePtr, cdp.softwareLen)).toBe("Cisco IP Phone (lldpd stand-in).");
    expect(cdp.powerConsumptionMw).toBe(15400);
    expect(cdp.powerRequestId).toBe(6);
  });

  it("reads a switch's voice VLAN, native VLAN, duplex, trust, CoS and power available", () => {
    const n = fromHex(CDP_SCAPY_SWITCH_VOICE);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(cdp.ttl).toBe(180);
    expect(str(cdp.deviceIdPtr, cdp.deviceIdLen)).toBe("access-sw1");
    expect(str(cdp.portIdPtr, cdp.portIdLen)).toBe("FastEthernet0/1");
    expect(cdp.capabilities).toBe(CdpCap.Switch | CdpCap.Igmp);
    expect(cdp.address).toBe(0xc0000202);
    expect(cdp.voiceVlan).toBe(110);
    expect(cdp.nativeVlan).toBe(10);
    expect(cdp.duplex).toBe(1);
    expect(cdp.trustBitmap).toBe(0);
    expect(cdp.untrustedCos).toBe(0);
    expect(cdp.powerAvailableMw).toBe(15400);
    expect(cdp.powerRequestId).toBe(1);
    expect(cdp.powerManagementId).toBe(1);
    expect(cdp.powerAvailable).toBe(true);
  });

  it("ignores Ethernet padding after the 802.3 length", () => {
    const n = fromHex(CDP_SCAPY_PADDED);
    expect(n).toBe(60);
    expect(cdp.parse(scratch, n)).toBe(0);
    expect(cdp.voiceVlan).toBe(240);
    expect(str(cdp.deviceIdPtr, cdp.deviceIdLen)).toBe("sw2");
  });

  it("counts other LLC and SNAP frames as DropLlcOther", () => {
    let n = fromHex(CDP_LLDPD_SWITCH);
    store<u16>(scratch + 20, 0x0420); // Cisco SNAP, PID 0x2004 (DTP)
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropLlcOther);
    n = fromHex(CDP_LLDPD_SWITCH);
    put8(scratch + 14, 0x42); // STP's DSAP/SSAP
    put8(scratch + 15, 0x42);
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropLlcOther);
  });

  it("rejects truncated frames and headers, bad 802.3 lengths and versions", () => {
    const n = fromHex(CDP_LLDPD_SWITCH);
    // Every shorter frame: the 802.3 length runs past it (or the header is cut).
    for (let k = 0; k < n; k++) expect(cdp.parse(scratch, k)).toBe(Ctr.DropCdpMalformed);
    expect(cdp.parse(scratch, -1)).toBe(Ctr.DropCdpMalformed);
    put16(scratch + 12, 8 + 3); // PDU shorter than the CDP header
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropCdpMalformed);
    put16(scratch + 12, 0x88cc); // an EtherType, not a length
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropCdpMalformed);
    fromHex(CDP_LLDPD_SWITCH);
    put8(scratch + CDP_PDU, 3);
    fixChecksum(scratch);
    expect(cdp.parse(scratch, n)).toBe(Ctr.DropCdpMalformed);
  });

  it("rejects a TLV shorter than its header, running past the PDU, or cut after the last TLV", () => {
    const p = out + CDP_PDU;
    for (let tlen: u32 = 0; tlen < 4; tlen++) {
      cdpFrame(out, 12);
      put32(p + 4, 0x0001_0000 | tlen); // Device ID of length 0..3
      put32(p + 8, 0);
      fixChecksum(out);
      expect(cdp.parse(out, CDP_PDU + 12)).toBe(Ctr.DropCdpMalformed);
    }
    cdpFrame(out, 12);
    put32(p + 4, 0x0001_0009); // needs 9 bytes, 8 left
    put32(p + 8, 0x41424344);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 12)).toBe(Ctr.DropCdpMalformed);
    for (let extra = 1; extra < 4; extra++) {
      cdpFrame(out, 8 + extra);
      put32(p + 4, 0x0001_0004); // an empty Device ID, then 1..3 stray bytes
      put32(p + 8, 0x0a0b0c0d);
      fixChecksum(out);
      expect(cdp.parse(out, CDP_PDU + 12)).toBe(Ctr.DropCdpMalformed);
    }
    cdpFrame(out, 8);
    put32(p + 4, 0x0001_0004);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 8)).toBe(0);
    expect(cdp.deviceIdLen).toBe(0);
  });

  it("walks 10,000 TLVs of 4 bytes in one huge PDU without trapping", () => {
    const count = 10_000;
    const n = 4 + 4 * count;
    cdpFrame(big, n);
    const p = big + CDP_PDU;
    for (let k = 0; k < count; k++) put32(p + 4 + <usize>(4 * k), 0x7777_0004); // unknown type
    put32(p + 4 + 4 * 9_999, 0x000b_0004); // a Duplex without its byte: ignored
    fixChecksum(big);
    expect(cdp.parse(big, CDP_PDU + n)).toBe(0);
    expect(cdp.duplex).toBe(-1);
    put32(p + 4 + 4 * 5_000, 0x7777_0000); // one zero length in the middle
    fixChecksum(big);
    expect(cdp.parse(big, CDP_PDU + n)).toBe(Ctr.DropCdpMalformed);
  });

  it("survives hostile Addresses, VoIP VLAN and power TLVs", () => {
    const p = out + CDP_PDU;
    cdpFrame(out, 4 + 14 + 7 + 5);
    put32(p + 4, 0x0002_000e); // Addresses: 4 billion records in 6 bytes
    put32(p + 8, 0xffff_ffff);
    put32(p + 12, 0x0101_cc00);
    put16(p + 16, 0x04c0); // address length 4, then only 1 byte
    put32(p + 18, 0x000e_0007); // VoIP VLAN Reply 0xffff: out of range
    put8(p + 22, 1);
    put16(p + 23, 0xffff);
    put32(p + 25, 0x001a_0005); // Power Available with 1 byte
    put8(p + 29, 0x55);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 30)).toBe(0);
    expect(cdp.address).toBe(0);
    expect(cdp.voiceVlan).toBe(-1);
    expect(cdp.powerAvailableMw).toBe(0);
    expect(cdp.powerAvailable).toBe(false);
    // 4095 is `switchport voice vlan untagged`, 0 `dot1p`: both are answers.
    put16(p + 23, 4095);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 30)).toBe(0);
    expect(cdp.voiceVlan).toBe(4095);
    put16(p + 23, 0);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 30)).toBe(0);
    expect(cdp.voiceVlan).toBe(0);
    put16(p + 23, 4096);
    fixChecksum(out);
    expect(cdp.parse(out, CDP_PDU + 30)).toBe(0);
    expect(cdp.voiceVlan).toBe(-1);
  });
});

describe("CDP emit", () => {
  beforeAll(resetFirmware);
  it("writes the phone's frame and parses it back", () => {
    setDeviceName(MAC);
    cdp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 12);
    cdp.vlanQuery = true;
    cdp.powerRequestMw = 6300;
    cdp.powerRequestId = 1;
    const n = cdp.emit(out);
    expect(n).toBe(CDP_PDU + 4 + 19 + 10 + 8 + 16 + 23 + 8 + 5 + 12);
    expect(getMac(out)).toBe(CDP_MULTICAST);
    expect(cdp.parse(out, n)).toBe(0);
    expect(cdp.src).toBe(MAC);
    expect(cdp.version).toBe(2);
    expect(cdp.ttl).toBe(180);
    expect(str(cdp.deviceIdPtr, cdp.deviceIdLen)).toBe("SEP001B54C2A710");
    expect(str(cdp.portIdPtr, cdp.portIdLen)).toBe("Port 1");
    expect(str(cdp.softwarePtr, cdp.softwareLen)).toBe("P00308010200");
    expect(str(cdp.platformPtr, cdp.platformLen)).toBe("Cisco IP Phone 7960");
    expect(cdp.capabilities).toBe(CdpCap.Host | CdpCap.Phone);
    expect(cdp.duplex).toBe(1);
    expect(cdp.vlanQuery).toBe(true);
    expect(cdp.powerRequestMw).toBe(6300);
    expect(cdp.powerRequestId).toBe(1);
    expect(cdp.nativeVlan).toBe(-1);
    // Checked with tshark 4.0.17: no malformed packet, checksum correct (odd PDU, last byte 0x9c).
    expect(toHex(out, n)).toBe("01000ccccccc001b54c2a7100071aaaa0300000c200002b4e3b2000100135345503030314235344332413731300003000a506f727420"
      + "3100040008000000900005001050303033303830313032303000060017436973636f2049502050686f6e652037393630000f0008200200"
      + "01000b0005010019000c000100000000189c");
  });

  it("writes odd and even PDUs, native VLAN and address, and pads a short frame", () => {
    setDeviceName(MAC);
    for (let k = 12; k <= 13; k++) {
      cdp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD13, k);
      cdp.powerRequestMw = 6300;
      cdp.nativeVlan = 10;
      cdp.address = 0xc0000232;
      const n = cdp.emit(out);
      expect(pduLen(out) & 1).toBe(k & 1);
      expect(cdp.parse(out, n)).toBe(0);
      expect(cdp.nativeVlan).toBe(10);
      expect(cdp.address).toBe(0xc0000232);
      expect(cdp.softwareLen).toBe(k);
    }
    cdp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 0);
    cdp.deviceIdLen = 1;
    cdp.portIdLen = 0;
    cdp.platformLen = 0;
    cdp.duplex = -1;
    const n = cdp.emit(out);
    expect(n).toBe(60);
    expect(pduLen(out)).toBe(4 + 5 + 4 + 8 + 4 + 4);
    expect(cdp.parse(out, n)).toBe(0);
  });

  it("round-trips: parse, then emit from the parsed fields, gives the same bytes", () => {
    setDeviceName(MAC);
    cdp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 12);
    cdp.vlanQuery = true;
    cdp.powerRequestMw = 6300;
    const n = cdp.emit(out);
    expect(cdp.parse(out, n)).toBe(0);
    expect(cdp.emit(out2)).toBe(n);
    expect(toHex(out2, n)).toBe(toHex(out, n));
    // lldpd's frames use only TLVs the phone emits, in the same order.
    for (let k = 0; k < 4; k++) {
      const hex = k == 0 ? CDP_LLDPD_SWITCH : k == 1 ? CDP_LLDPD_SWITCH_ODD : k == 2 ? CDP_LLDPD_PHONE : CDP_LLDPD_PHONE_ODD;
      const m = fromHex(hex);
      expect(cdp.parse(scratch, m)).toBe(0);
      expect(cdp.emit(out2)).toBe(m);
      expect(toHex(out2, m)).toBe(hex);
    }
  });
});

describe("LLDP parse", () => {
  beforeAll(resetFirmware);
  it("reads lldpd's switch LLDPDU: voice policy VLAN 110 tagged, priority 5, DSCP 46", () => {
    const n = fromHex(LLDP_LLDPD_SWITCH);
    expect(lldp.parse(scratch + ETH_HEADER, n - ETH_HEADER)).toBe(0);
    expect(lldp.chassisSubtype).toBe(ChassisSubtype.MacAddress);
    expect(lldp.mac).toBe(SWITCH_MAC);
    expect(lldp.portSubtype).toBe(PortSubtype.MacAddress);
    expect(lldp.portLen).toBe(6);
    expect(lldp.ttl).toBe(120);
    expect(str(lldp.systemNamePtr, lldp.systemNameLen)).toBe("access-sw1");
    expect(lldp.capabilities).toBe(0x9c);
    expect(lldp.enabledCapabilities).toBe(LldpCap.Station);
    expect(lldp.med).toBe(true);
    expect(lldp.medCapabilities).toBe(0x3f);
    expect(lldp.medClass).toBe(MedClass.NetworkConnectivity);
    expect(lldp.voicePolicy).toBe(true);
    expect(lldp.voiceUnknown).toBe(false);
    expect(lldp.voiceTagged).toBe(true);
    expect(lldp.voiceVlan).toBe(110);
    expect(lldp.voicePriority).toBe(5);
    expect(lldp.voiceDscp).toBe(46);
    expect(lldp.power).toBe(true);
    expect(lldp.powerType).toBe(PowerType.Pse);
    expect(lldp.powerSource).toBe(1); // primary
    expect(lldp.powerPriority).toBe(PowerPriority.High);
    expect(lldp.powerValue).toBe(154);
    expect(str(lldp.softwarePtr, lldp.softwareLen)).toBe("Unknown");
    expect(str(lldp.modelPtr, lldp.modelLen)).toBe("WS-C3560-48PS");
  });

  it("reads lldpd's phone LLDPDU: class III, voice policy unknown, PD 6.3 W", () => {
    const n = fromHex(LLDP_LLDPD_PHONE);
    expect(lldp.parse(scratch + ETH_HEADER, n - ETH_HEADER)).toBe(0);
    expect(lldp.mac).toBe(MAC);
    expect(str(lldp.systemNamePtr, lldp.systemNameLen)).toBe("SEP001B54C2A710");
    expect(lldp.enabledCapabilities).toBe(LldpCap.Telephone);
    expect(lldp.medClass).toBe(MedClass.EndpointIII);
    expect(lldp.voicePolicy).toBe(true);
    expect(lldp.voiceUnknown).toBe(true);
    expect(lldp.voiceVlan).toBe(0);
    expect(lldp.powerType).toBe(PowerType.Pd);
    expect(lldp.powerSource).toBe(PowerSource.Pse);
    expect(lldp.powerPriority).toBe(PowerPriority.High);
    expect(lldp.powerValue).toBe(63);
    expect(str(lldp.modelPtr, lldp.modelLen)).toBe("CP-7960G");
  });

  it("reads a shutdown LLDPDU as TTL 0", () => {
    const n = fromHex(LLDP_LLDPD_SHUTDOWN);
    expect(lldp.parse(scratch + ETH_HEADER, n - ETH_HEADER)).toBe(0);
    expect(lldp.ttl).toBe(0);
    expect(lldp.mac).toBe(SWITCH_MAC);
    expect(lldp.med).toBe(false);
    expect(lldp.voicePolicy).toBe(false);
  });

  it("rejects missing, misordered or repeated mandatory TLVs", () => {
    const p = out;
    // TTL first
    fromHex("06020078020704001b54c2a710040703001b54c2a7100000", p);
    expect(lldp.parse(p, 24)).toBe(Ctr.DropLldpMalformed);
    // Port ID before Chassis ID
    fromHex("040703001b54c2a710020704001b54c2a710060200780000", p);
    expect(lldp.parse(p, 24)).toBe(Ctr.DropLldpMalformed);
    // End right after Chassis ID
    fromHex("020704001b54c2a7100000", p);
    expect(lldp.parse(p, 11)).toBe(Ctr.DropLldpMalformed);
    // a second TTL later
    fromHex("020704001b54c2a710040703001b54c2a7100602007806020000" + "0000", p);
    expect(lldp.parse(p, 28)).toBe(Ctr.DropLldpMalformed);
    // the same without it
    fromHex("020704001b54c2a710040703001b54c2a710060200780000", p);
    expect(lldp.parse(p, 24)).toBe(0);
    expect(lldp.ttl).toBe(120);
  });

  it("rejects bad lengths and truncation; End is optional", () => {
    const p = out;
    const hex = "020704001b54c2a710040703001b54c2a71006020078";
    fromHex(hex + "0a0f5345503030314235344332413731", p); // System Name 15, only 14 there
    expect(lldp.parse(p, 22 + 16)).toBe(Ctr.DropLldpMalformed);
    fromHex("0201040403001b54c2a71006020078", p); // Chassis ID of length 1
    expect(lldp.parse(p, 15)).toBe(Ctr.DropLldpMalformed);
    fromHex("020704001b54c2a710040703001b54c2a710060100", p); // TTL of length 1
    expect(lldp.parse(p, 21)).toBe(Ctr.DropLldpMalformed);
    fromHex(hex + "fe030012bb", p); // organizationally specific TLV without a subtype
    expect(lldp.parse(p, 27)).toBe(Ctr.DropLldpMalformed);
    fromHex(hex + "00", p); // one stray byte
    expect(lldp.parse(p, 23)).toBe(Ctr.DropLldpMalformed);
    fromHex(hex, p); // no End TLV
    expect(lldp.parse(p, 22)).toBe(0);
    expect(lldp.parse(p, 0)).toBe(Ctr.DropLldpMalformed);
    expect(lldp.parse(p, -5)).toBe(Ctr.DropLldpMalformed);
    // Every prefix of a real LLDPDU: accepted at a TLV boundary after TTL, else malformed; never a trap.
    const n = fromHex(LLDP_LLDPD_SWITCH) - ETH_HEADER;
    let accepted = 0;
    for (let k = 0; k < n; k++) {
      const r = lldp.parse(scratch + ETH_HEADER, k);
      if (r == 0) accepted++;
      else expect(r).toBe(Ctr.DropLldpMalformed);
    }
    expect(accepted).toBe(14); // TTL and the 13 TLVs after it
  });

  it("ignores LLDP-MED TLVs too short for their subtype, and other applications", () => {
    const p = out;
    fromHex("020704001b54c2a710040703001b54c2a71006020078"
      + "fe060012bb020140" // network policy with 2 of 4 bytes
      + "fe080012bb0202406e6e" // policy for voice signalling (2)
      + "fe050012bb0412" // extended power with 1 of 3 bytes
      + "fe050012bb0100" // capabilities with 1 of 3 bytes
      + "fe0600120f010000" // an IEEE 802.3 TLV
      + "0000", p);
    expect(lldp.parse(p, 22 + 10 + 10 + 7 + 7 + 8 + 2)).toBe(0);
    expect(lldp.voicePolicy).toBe(false);
    expect(lldp.power).toBe(false);
    expect(lldp.med).toBe(false);
  });

  it("walks 10,000 TLVs of 4 bytes and 10,000 empty ones without trapping", () => {
    fromHex("020704001b54c2a710040703001b54c2a71006020078", big);
    for (let k = 0; k < 10_000; k++) put32(big + 22 + <usize>(4 * k), 0x0802_4142); // Port Description "AB"
    put16(big + 22 + 40_000, 0);
    expect(lldp.parse(big, 22 + 40_002)).toBe(0);
    for (let k = 0; k < 10_000; k++) put16(big + 22 + <usize>(2 * k), 0x0800); // empty Port Description
    expect(lldp.parse(big, 22 + 20_000)).toBe(0);
    put16(big + 22 + 20_000 - 2, 0x0803); // the last one claims 3 bytes past the end
    expect(lldp.parse(big, 22 + 20_000)).toBe(Ctr.DropLldpMalformed);
  });
});

describe("LLDP emit", () => {
  beforeAll(resetFirmware);
  it("writes the phone's LLDP-MED LLDPDU, voice policy unknown, and parses it back", () => {
    setDeviceName(MAC);
    lldp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 12);
    lldp.powerValue = 63;
    const n = lldp.emit(out);
    expect(lldp.parse(out, n)).toBe(0);
    expect(lldp.mac).toBe(MAC);
    // As Cisco phones send it: chassis ID the voice address (0.0.0.0 before DHCP), port ID the MAC,
    // port description "Port 1", Bridge (the PC port) and Telephone, 802.3 MAC/PHY status.
    expect(lldp.chassisSubtype).toBe(ChassisSubtype.NetworkAddress);
    expect(lldp.address).toBe(0);
    expect(lldp.portSubtype).toBe(PortSubtype.MacAddress);
    expect(lldp.ttl).toBe(180);
    expect(str(lldp.portDescPtr, lldp.portDescLen)).toBe("Port 1");
    expect(lldp.macPhy).toBe(true);
    expect(str(lldp.systemNamePtr, lldp.systemNameLen)).toBe("SEP001B54C2A710");
    expect(lldp.capabilities).toBe(LldpCap.Bridge | LldpCap.Telephone);
    expect(lldp.enabledCapabilities).toBe(LldpCap.Bridge | LldpCap.Telephone);
    expect(lldp.medClass).toBe(MedClass.EndpointIII);
    expect(lldp.medCapabilities).toBe(0x33);
    expect(lldp.voicePolicy).toBe(true);
    expect(lldp.voiceUnknown).toBe(true);
    expect(lldp.powerType).toBe(PowerType.Pd);
    expect(lldp.powerValue).toBe(63);
    expect(str(lldp.softwarePtr, lldp.softwareLen)).toBe("P00308010200");
    expect(str(lldp.modelPtr, lldp.modelLen)).toBe("CP-7960G");
    // Checked with tshark 4.0.17 (after a 14-byte Ethernet header): no malformed packet, no expert info.
    expect(toHex(out, n)).toBe("0206050100000000040703001b54c2a710060200b40806506f727420310a0f534550303031423534433241373130"
      + "0e0400240024fe0900120f01036c000010fe070012bb01003303fe080012bb0201800000fe070012"
      + "bb0452003ffe100012bb06503030333038303130323030fe100012bb07503030333038303130323030fe0c0012bb0a43502d37393630470000");
    lldp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 12);
    lldp.address = 0xc0000232;
    expect(lldp.parse(out, lldp.emit(out))).toBe(0);
    expect(lldp.address).toBe(0xc0000232);
  });

  it("announces the voice VLAN once known, and round-trips", () => {
    setDeviceName(MAC);
    lldp.setPhone(MAC, deviceName, DEVICE_NAME_LEN, LOAD, 12);
    lldp.powerValue = 63;
    lldp.setVoiceVlan(110);
    const n = lldp.emit(out);
    expect(lldp.parse(out, n)).toBe(0);
    expect(lldp.voiceUnknown).toBe(false);
    expect(lldp.voiceTagged).toBe(true);
    expect(lldp.voiceVlan).toBe(110);
    expect(lldp.voicePriority).toBe(5);
    expect(lldp.voiceDscp).toBe(46);
    expect(lldp.emit(out2)).toBe(n);
    expect(toHex(out2, n)).toBe(toHex(out, n));
    // A locally assigned port ID instead of the MAC.
    lldp.portSubtype = PortSubtype.Local;
    lldp.portPtr = LOAD;
    lldp.portLen = 4;
    const m = lldp.emit(out);
    expect(lldp.parse(out, m)).toBe(0);
    expect(lldp.portSubtype).toBe(PortSubtype.Local);
    expect(str(lldp.portPtr, lldp.portLen)).toBe("P003");
    lldp.portSubtype = PortSubtype.Local;
    lldp.portLen = 0; // nothing to send: the MAC instead
    expect(lldp.parse(out, lldp.emit(out))).toBe(0);
    expect(lldp.portSubtype).toBe(PortSubtype.MacAddress);
  });
});
