// Frames made by a real tool, for parse/emit tests. Each was printed by
// scapy 2.5.0 (Debian python3-scapy) with bytes(packet).hex(); the command
// is above each constant.

// Ether(dst="ff:ff:ff:ff:ff:ff", src="00:1b:54:c2:a7:10")/ARP(op=1, hwsrc="00:1b:54:c2:a7:10", psrc="192.0.2.50", pdst="192.0.2.1")
export const ARP_REQUEST = "ffffffffffff001b54c2a71008060001080006040001001b54c2a710c0000232000000000000c0000201";

// IP(src="192.0.2.1", dst="192.0.2.50", id=0x1234, ttl=64)/ICMP(type=8, id=0x77, seq=3)/b"ipphone-ping"
export const ICMP_ECHO = "45000028123400004001e46dc0000201c000023208006a4000770003697070686f6e652d70696e67";

// IP(src="192.0.2.1", dst="192.0.2.50", id=7, ttl=64)/UDP(sport=69, dport=50000)/b"hello phone"
export const UDP_DATAGRAM = "45000027000700004011f68bc0000201c00002320045c35000132f3568656c6c6f2070686f6e65";

// IP(src="192.0.2.1", dst="192.0.2.50", id=9, ttl=64, options=[IPOption_RR(routers=["198.51.100.1"])])/UDP(sport=1000, dport=2000)/b"x"
export const IP_WITH_OPTIONS = "47000025000900004011b45ac0000201c0000232070704c63364010003e807d00009f7ef78";

// IP(src="192.0.2.1", dst="192.0.2.50", id=10, flags="MF", frag=0)/UDP(sport=1,dport=2)/b"abcdefgh"
export const IP_FIRST_FRAGMENT = "45000024000a20004011d68bc0000201c0000232000100020010ea016162636465666768";

// Ether(dst="00:1b:54:c2:a7:10", src="02:00:5e:00:02:01")/IP(src="192.0.2.1", dst="192.0.2.50", id=1)/UDP(sport=67, dport=68)
//   /BOOTP(op=2, xid=0x12345678, yiaddr="192.0.2.50", siaddr="192.0.2.1", chaddr=<MAC>)
//   /DHCP(options=[("message-type","offer"), ("server_id","192.0.2.1"), ("lease_time",3600), ("subnet_mask","255.255.255.0"),
//     ("router","192.0.2.1"), ("name_server","192.0.2.1","198.51.100.53"), ("domain","voice.example"),
//     (66, b"tftp.voice.example"), (150, bytes([192,0,2,10,198,51,100,10])), "end"])
export const DHCP_OFFER = "001b54c2a71002005e00020108004500015f000100004011f559c0000201c000023200430044014b72e802010600123456780000000000000000c0000232c000020100000000001b54c2a710" + "00".repeat(202) + "638253633501023604c0000201330400000e100104ffffff000304c00002010608c0000201c63364350f0d766f6963652e6578616d706c654212746674702e766f6963652e6578616d706c659608c000020ac633640aff";

// The same kind of reply whose options continue in the `file` field (option 52 = 1):
// BOOTP(op=2, xid=0x12345678, yiaddr="192.0.2.51", chaddr=<MAC>, file=bytes([1,4,255,255,255,0,3,4,192,0,2,1,255]) + zeros)
//   /DHCP(options=[("message-type","ack"), ("server_id","192.0.2.1"), ("lease_time",600), (52, b"\x01"), "end"])
export const DHCP_ACK_OVERLOAD = "001b54c2a71002005e00020108004500011f000200004011f597c0000201c000023300430044010b32f702010600123456780000000000000000c00002330000000000000000001b54c2a710" + "00".repeat(74) + "0104ffffff000304c0000201ff" + "00".repeat(115) + "638253633501053604c0000201330400000258340101ff";

export const ETH = 14;
export const IP = 20;
export const UDP = 8;
