// CDP and LLDP frames made by real tools, for the parse/emit tests of
// assembly/wire/cdp.ts and assembly/wire/lldp.ts. Whole Ethernet frames, as
// captured (no FCS).
//
// lldpd 1.0.16 (Debian 12 package) in two network namespaces joined by a veth pair:
//   ip netns add cdpsw; ip netns add cdpph
//   ip link add vsw netns cdpsw type veth peer name vph netns cdpph
//   ip -n cdpsw link set vsw address 02:00:5e:00:53:01; ip -n cdpph link set vph address 00:1b:54:c2:a7:10
//   ip -n cdpsw addr add 192.0.2.2/24 dev vsw; IPv6 disabled on both (sysctl disable_ipv6=1)
//   "switch": ip netns exec cdpsw lldpd -d -k -l -ccccc -M 4 -I vsw -O sw.conf (-u/-p in /tmp), sw.conf:
//     configure system hostname access-sw1 / system description "Linux access switch (lldpd)" /
//     system platform WS-C3560-48PS / med policy application voice tagged vlan 110 priority voice dscp 46 /
//     med power pse source primary priority high value 15400 /
//     dot3 power pse supported enabled paircontrol powerpairs spare class class-3 / inventory model WS-C3560-48PS
//   "phone": ip netns exec cdpph lldpd -d -k -l -ccccc -M 3 -I vph -O ph.conf, ph.conf:
//     configure system hostname SEP001B54C2A710 / system description "Cisco IP Phone (lldpd stand-in)" /
//     system platform "Cisco IP Phone 7960" / med policy application voice unknown /
//     med power pd source pse priority high value 6300 /
//     dot3 power pd supported enabled powerpairs signal class class-2 type 1 source pse priority high requested 6300 allocated 6300 /
//     inventory model CP-7960G / inventory manufacturer "Cisco Systems, Inc."
//   30 s later, for odd-length CDP PDUs, one character more in each:
//     lldpcli configure system hostname access-sw01 (switch); lldpcli configure system description "Cisco IP Phone (lldpd stand-in)." (phone)
//   captured with: ip netns exec cdpph tshark -i vph -f "ether dst 01:00:0c:cc:cc:cc or ether proto 0x88cc" -a duration:75 -w run.pcapng
//   printed with scapy 2.5.0: bytes(rdpcap("run.pcapng")[n]).hex()
// tshark 4.0.17 reports every CDP checksum below as correct ("cdp.checksum.status == 1").

// lldpd "switch", CDPv2 (frame 2): Device ID access-sw1, Addresses 192.0.2.2, Port ID vsw, Capabilities Host,
// Software, Platform WS-C3560-48PS; TTL 120; CDP PDU 98 bytes (even).
export const CDP_LLDPD_SWITCH = "01000ccccccc02005e005301006aaaaa0300000c20000278291b0001000e6163636573732d73773100020011000000010101cc0004c00002020003000776737700040008000000100005001f4c696e7578206163636573732073776974636820286c6c647064290006001157532d43333536302d34385053";

// The same after "hostname access-sw01" (frame 24): CDP PDU 99 bytes (odd), last byte 0x53 ('S', below 0x80).
export const CDP_LLDPD_SWITCH_ODD = "01000ccccccc02005e005301006baaaa0300000c20000278c54d0001000f6163636573732d7377303100020011000000010101cc0004c00002020003000776737700040008000000100005001f4c696e7578206163636573732073776974636820286c6c647064290006001157532d43333536302d34385053";

// lldpd "phone", CDPv2 (frame 4): Device ID SEP001B54C2A710, Port ID vph, Capabilities Host, Software,
// Platform "Cisco IP Phone 7960", Power consumption 8700 mW, Power Requested (request 1, management 1, 8700 mW);
// CDP PDU 114 bytes (even).
export const CDP_LLDPD_PHONE = "01000ccccccc001b54c2a710007aaaaa0300000c20000278e6930001001353455030303142353443324137313000030007767068000400080000001000050023436973636f2049502050686f6e6520286c6c647064207374616e642d696e2900060017436973636f2049502050686f6e6520373936300010000621fc0019000c00010001000021fc";

// The same after the longer description (frame 22): Power consumption 15400 mW, request ID 6;
// CDP PDU 115 bytes (odd), last byte 0xfc (0x80 or above: Cisco's off-by-one rule).
export const CDP_LLDPD_PHONE_ODD = "01000ccccccc001b54c2a710007baaaa0300000c20000278bd430001001353455030303142353443324137313000030007767068000400080000001000050024436973636f2049502050686f6e6520286c6c647064207374616e642d696e292e00060017436973636f2049502050686f6e652037393630001000063c280019000c00060001000021fc";

// lldpd "switch", LLDP-MED (frame 5): chassis/port MAC 02:00:5e:00:53:01, TTL 120, System Name access-sw1,
// capabilities 0x009c/0x0080, management 192.0.2.2, 802.3 TLVs, MED capabilities 0x003f class 4,
// software revision "Unknown", model, voice policy tagged VLAN 110 priority 5 DSCP 46, PSE primary high 15.4 W.
export const LLDP_LLDPD_SWITCH = "0180c200000e02005e00530188cc02070402005e00530104070302005e005301060200780a0a6163636573732d7377310c1b4c696e7578206163636573732073776974636820286c6c647064290e04009c0080100c0501c00002020200000002000803767377fe0900120f030100000000fe0900120f010080000036fe0700120f020f0204fe070012bb01003f04fe0b0012bb07556e6b6e6f776efe110012bb0a57532d43333536302d34385053fe080012bb020140dd6efe070012bb0412009a0000";

// lldpd "phone", LLDP-MED (frame 3): chassis/port MAC 00:1b:54:c2:a7:10, TTL 120, System Name SEP001B54C2A710,
// MED capabilities 0x003f class 3, inventory, voice policy unknown, PD from PSE, high, 6.3 W.
export const LLDP_LLDPD_PHONE = "0180c200000e001b54c2a71088cc020704001b54c2a710040703001b54c2a710060200780a0f5345503030314235344332413731300c1f436973636f2049502050686f6e6520286c6c647064207374616e642d696e290e0400bc00200803767068fe0900120f030100000000fe0900120f010080000036fe0c00120f02060103d2003f003ffe070012bb01003f03fe0b0012bb07556e6b6e6f776efe170012bb09436973636f2053797374656d732c20496e632efe0c0012bb0a43502d3739363047fe080012bb0201800000fe070012bb0452003f0000";

// lldpd "switch" stopping (frame 25, kill of its pid): the shutdown LLDPDU, TTL 0, 38 bytes (veth does not pad).
export const LLDP_LLDPD_SHUTDOWN = "0180c200000e02005e00530188cc02070402005e00530104070302005e005301060200000000";

// lldpd sends no VoIP VLAN Reply, so the switch that gives a voice VLAN is made with scapy 2.5.0
// (Debian python3-scapy), printed with bytes(packet).hex():
// Dot3(dst="01:00:0c:cc:cc:cc", src="02:00:5e:00:53:01")/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0x0c, code=0x2000)
//   /CDPv2_HDR(vers=2, ttl=180, msg=[CDPMsgDeviceID(val=b"access-sw1"),
//     CDPMsgSoftwareVersion(val=b"Cisco IOS Software, C3560 Software (C3560-IPBASEK9-M), Version 12.2(55)SE"),
//     CDPMsgPlatform(val=b"cisco WS-C3560-48PS"), CDPMsgAddr(addr=[CDPAddrRecordIPv4(addr="192.0.2.2")]),
//     CDPMsgPortID(iface=b"FastEthernet0/1"), CDPMsgCapabilities(cap=0x28), CDPMsgVTPMgmtDomain(val=b"voice"),
//     CDPMsgVoIPVLANReply(status=1, vlan=110), CDPMsgNativeVLAN(vlan=10), CDPMsgDuplex(duplex=1),
//     CDPMsgTrustBitmap(trust_bitmap=0), CDPMsgUntrustedPortCoS(untrusted_port_cos=0),
//     CDPMsgGeneric(type=0x1a, val=bytes.fromhex("00010001") + (15400).to_bytes(4, "big") + bytes.fromhex("ffffffff"))])
// CDP PDU 215 bytes (odd), last byte 0xff; tshark 4.0.17: checksum correct, VoIP VLAN Reply 110, Power Available 15400 mW.
export const CDP_SCAPY_SWITCH_VOICE = "01000ccccccc02005e00530100dfaaaa0300000c200002b4694b0001000e6163636573732d7377310005004d436973636f20494f5320536f6674776172652c20433335363020536f667477617265202843333536302d4950424153454b392d4d292c2056657273696f6e2031322e3228353529534500060017636973636f2057532d43333536302d3438505300020011000000010101cc0004c0000202000300134661737445746865726e6574302f31000400080000002800090009766f696365000e000701006e000a0006000a000b00050100120005000013000500001a00100001000100003c28ffffffff";

// A short CDP frame padded to the Ethernet minimum as a MAC would (scapy 2.5.0):
// b = bytes(Dot3(dst="01:00:0c:cc:cc:cc", src="02:00:5e:00:53:01")/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0x0c, code=0x2000)
//   /CDPv2_HDR(vers=2, ttl=180, msg=[CDPMsgDeviceID(val=b"sw2"), CDPMsgVoIPVLANReply(status=1, vlan=240)])); b += b"\0" * (60 - len(b))
// 802.3 length 26, CDP PDU 18 bytes, 34 bytes of padding; tshark 4.0.17: checksum correct, voice VLAN 240.
export const CDP_SCAPY_PADDED = "01000ccccccc02005e005301001aaaaa0300000c200002b441db00010007737732000e00070100f00000000000000000000000000000000000000000";

// An odd PDU whose last byte is exactly 0x80 (scapy 2.5.0), where scapy and Wireshark disagree:
// Dot3(...)/LLC(...)/SNAP(...)/CDPv2_HDR(vers=2, ttl=180, msg=[CDPMsgDeviceID(val=b"sw"), CDPMsgDuplex(duplex=0x80)])
// scapy's own checksum (it pads 0x80 as 0x0080) is 0x893d: tshark 4.0.17 says "incorrect, should be 0x8a3d".
export const CDP_SCAPY_ODD_80_SCAPY_SUM = "01000ccccccc02005e0053010017aaaa0300000c200002b4893d000100067377000b000580";
// The same with cksum=0x8a3d set in CDPv2_HDR (the value tshark asks for): tshark says correct.
export const CDP_SCAPY_ODD_80 = "01000ccccccc02005e0053010017aaaa0300000c200002b48a3d000100067377000b000580";
