import { fromHex, scratch, toHex } from "./hex";
import { DHCP_ACK_OVERLOAD, DHCP_OFFER, ETH, IP, UDP } from "./fixtures";
import { dhcp } from "./records";
import {
  DhcpState, dhcpState, dhcpBoot, dhcpStart, dhcpPoll, DHCP_INITIAL_DELAY_MAX, DHCP_INITIAL_DELAY_MIN, dnsCount, tftpCount, tftpNameLen, domainLen, leaseIp,
} from "../client/dhcp";
import { dhcpAddrOptionOk, MsgType, Opt } from "../wire/dhcp";
import { acdPoll } from "../net/acd";
import { myIp, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame } from "../net/stack";
import { DEVICE_NAME_LEN, deviceName, setDeviceName } from "../phone/identity";
import { Ctr, counterValue } from "../counters";
import { get32 } from "../lib/bytes";
import { resetFirmware } from "./reset";

const BOOTP = ETH + IP + UDP;
const MAC: u64 = 0x001b54c2a710;
const out = memory.data(600);

/** The option `code` of the DHCP message at `p` (`len` bytes), as hex, or "" when absent. */
function option(p: usize, len: i32, code: u8): string {
  let i = 240;
  while (i < len) {
    const c = load<u8>(p + <usize>i);
    if (c == 255) break;
    if (c == 0) { i++; continue; }
    const n = <i32>load<u8>(p + <usize>i + 1);
    if (c == code) return toHex(p + <usize>i + 2, n);
    i += 2 + n;
  }
  return "";
}

/** Writes a server reply into the receive buffer for the client's current xid, as type `type`. */
function reply(hex: string, type: i32): i32 {
  const n = fromHex(hex, rxBuf);
  store<u32>(rxBuf + BOOTP + 4, load<u32>(txBuf + BOOTP + 4)); // same xid, same byte order
  store<u16>(rxBuf + ETH + IP + 6, 0); // no UDP checksum: the xid changed
  store<u8>(rxBuf + BOOTP + 242, <u8>type); // option 53 is first in both fixtures
  return n;
}

/** A BOOTREPLY's fixed part (Ethernet, 6-byte addresses) and the magic cookie in scratch, zeros elsewhere. */
function bootReplyHeader(): usize {
  const m = scratch;
  memory.fill(m, 0, 300);
  store<u8>(m, 2);
  store<u8>(m + 1, 1);
  store<u8>(m + 2, 6);
  store<u32>(m + 236, bswap<u32>(0x63825363));
  return m;
}

function runUntil(from: i64, to: i64): void {
  for (let t = from; t <= to; t += 100) {
    acdPoll(t);
    dhcpPoll(t);
  }
}

describe("DHCP message", () => {
  beforeAll(resetFirmware);
  it("reads every option the phone uses from a scapy OFFER", () => {
    const n = fromHex(DHCP_OFFER);
    expect(dhcp.parse(scratch + BOOTP, n - BOOTP)).toBe(0);
    expect(dhcp.op).toBe(2);
    expect(dhcp.xid).toBe(0x12345678);
    expect(dhcp.msgType).toBe(MsgType.Offer);
    expect(dhcp.yiaddr).toBe(0xc0000232);
    expect(dhcp.siaddr).toBe(0xc0000201);
    expect(dhcp.chaddr).toBe(MAC);
    expect(dhcp.serverId).toBe(0xc0000201);
    expect(dhcp.lease).toBe(3600);
    expect(dhcp.mask).toBe(0xffffff00);
    expect(dhcp.router).toBe(0xc0000201);
    expect(dhcp.dnsCount).toBe(2);
    expect(get32(dhcp.dnsPtr + 4)).toBe(0xc6336435);
    expect(dhcp.tftpCount).toBe(2);
    expect(get32(dhcp.tftpPtr)).toBe(0xc000020a);
    expect(get32(dhcp.tftpPtr + 4)).toBe(0xc633640a);
    expect(String.UTF8.decodeUnsafe(dhcp.tftpNamePtr, dhcp.tftpNameLen)).toBe("tftp.voice.example");
    expect(String.UTF8.decodeUnsafe(dhcp.domainPtr, dhcp.domainLen)).toBe("voice.example");
  });

  it("concatenates an option given more than once (RFC 3396), also across the overloaded file field", () => {
    const m = bootReplyHeader();
    // options: 53 ACK, 52 overload=file, 150 (one address and half of the next), 66 "tftp.", end
    const opts: u8[] = [53, 1, 5, 52, 1, 1, 150, 6, 192, 0, 2, 10, 198, 51, 66, 5, 116, 102, 116, 112, 46, 255];
    for (let i = 0; i < opts.length; i++) store<u8>(m + 240 + <usize>i, opts[i]);
    // file: the rest of 150 (the second address's last half, a third address), the rest of 66, end
    const file: u8[] = [150, 6, 100, 10, 192, 0, 2, 11, 66, 13, 118, 111, 105, 99, 101, 46, 101, 120, 97, 109, 112, 108, 101, 255];
    for (let i = 0; i < file.length; i++) store<u8>(m + 108 + <usize>i, file[i]);
    expect(dhcp.parse(m, 240 + opts.length)).toBe(0);
    expect(dhcp.msgType).toBe(MsgType.Ack);
    expect(dhcp.tftpCount).toBe(3);
    expect(get32(dhcp.tftpPtr)).toBe(0xc000020a);
    expect(get32(dhcp.tftpPtr + 4)).toBe(0xc633640a);
    expect(get32(dhcp.tftpPtr + 8)).toBe(0xc000020b);
    expect(String.UTF8.decodeUnsafe(dhcp.tftpNamePtr, dhcp.tftpNameLen)).toBe("tftp.voice.example");
  });

  it("keeps at most four TFTP servers however many pieces name more", () => {
    const m = bootReplyHeader();
    const opts: u8[] = [53, 1, 5, 150, 12, 10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3, 150, 8, 10, 0, 0, 4, 10, 0, 0, 5, 255];
    for (let i = 0; i < opts.length; i++) store<u8>(m + 240 + <usize>i, opts[i]);
    expect(dhcp.parse(m, 240 + opts.length)).toBe(0);
    expect(dhcp.tftpCount).toBe(4);
    expect(get32(dhcp.tftpPtr + 12)).toBe(0x0a000004);
  });

  it("measures each address option whole (RFC 3396 pieces together) for the client's shape check", () => {
    const m = bootReplyHeader();
    // 150 as isc-dhcp-server sends it declared as text: "192.0.2.1" (9 bytes); a 3-byte mask;
    // the router list in pieces of 3 and 5 bytes (8 in all: two routers); no DNS option.
    const opts: u8[] = [53, 1, 5, 150, 9, 49, 57, 50, 46, 48, 46, 50, 46, 49, 1, 3, 255, 255, 255,
      3, 3, 192, 0, 2, 3, 5, 1, 192, 0, 2, 254, 255];
    for (let i = 0; i < opts.length; i++) store<u8>(m + 240 + <usize>i, opts[i]);
    expect(dhcp.parse(m, 240 + opts.length)).toBe(0);
    expect(dhcp.tftpLen).toBe(9);
    expect(dhcpAddrOptionOk(Opt.TftpServers, dhcp.tftpLen)).toBe(false);
    expect(dhcp.maskLen).toBe(3);
    expect(dhcpAddrOptionOk(Opt.SubnetMask, dhcp.maskLen)).toBe(false);
    expect(dhcp.routerLen).toBe(8);
    expect(dhcp.router).toBe(0xc0000201); // 192.0.2.1, across the two pieces
    expect(dhcpAddrOptionOk(Opt.Router, dhcp.routerLen)).toBe(true);
    expect(dhcp.dnsLen).toBe(-1);
  });

  it("an address option's shape: the mask one address, the lists one or more", () => {
    expect(dhcpAddrOptionOk(Opt.SubnetMask, 4)).toBe(true);
    expect(dhcpAddrOptionOk(Opt.SubnetMask, 8)).toBe(false);
    expect(dhcpAddrOptionOk(Opt.TftpServers, 0)).toBe(false);
    expect(dhcpAddrOptionOk(Opt.TftpServers, 12)).toBe(true);
    expect(dhcpAddrOptionOk(Opt.Dns, 10)).toBe(false);
  });

  it("follows option overload into the file field", () => {
    const n = fromHex(DHCP_ACK_OVERLOAD);
    expect(dhcp.parse(scratch + BOOTP, n - BOOTP)).toBe(0);
    expect(dhcp.msgType).toBe(MsgType.Ack);
    expect(dhcp.lease).toBe(600);
    expect(dhcp.mask).toBe(0xffffff00);
    expect(dhcp.router).toBe(0xc0000201);
  });

  it("rejects an option running past the end, a missing End, a missing type and a bad cookie", () => {
    const n = fromHex(DHCP_OFFER);
    const p = scratch + BOOTP;
    const len = n - BOOTP;
    expect(dhcp.parse(p, len - 1)).toBe(Ctr.DropDhcpMalformed); // End cut off: option 150 runs past
    store<u8>(p + <usize>len - 1, 0); // End replaced by a pad
    expect(dhcp.parse(p, len)).toBe(Ctr.DropDhcpMalformed);
    fromHex(DHCP_OFFER);
    store<u8>(p + 241, 200); // option 53 claims 200 bytes
    expect(dhcp.parse(p, len)).toBe(Ctr.DropDhcpMalformed);
    fromHex(DHCP_OFFER);
    store<u8>(p + 240, 0); store<u8>(p + 241, 0); store<u8>(p + 242, 0); // option 53 padded away
    expect(dhcp.parse(p, len)).toBe(Ctr.DropDhcpMalformed);
    fromHex(DHCP_OFFER);
    store<u8>(p + 236, 0x64);
    expect(dhcp.parse(p, len)).toBe(Ctr.DropDhcpMalformed);
    expect(dhcp.parse(p, 100)).toBe(Ctr.DropDhcpMalformed);
  });

  it("emits a client message that parses back to the same fields", () => {
    setDeviceName(MAC);
    dhcp.xid = 0xcafe0001;
    dhcp.secs = 3;
    dhcp.flags = 0;
    dhcp.ciaddr = 0;
    dhcp.chaddr = MAC;
    dhcp.msgType = MsgType.Request;
    dhcp.requestedIp = 0xc0000232;
    dhcp.serverId = 0xc0000201;
    dhcp.maxSize = 1500;
    dhcp.full = true;
    dhcp.hostNamePtr = deviceName;
    dhcp.hostNameLen = DEVICE_NAME_LEN;
    const len = dhcp.emit(out);
    expect(len).toBe(333);
    store<u8>(out, 2); // parse() reads replies; the fields are the same
    expect(dhcp.parse(out, len)).toBe(0);
    expect(dhcp.xid).toBe(0xcafe0001);
    expect(dhcp.secs).toBe(3);
    expect(dhcp.msgType).toBe(MsgType.Request);
    expect(dhcp.requestedIp).toBe(0xc0000232);
    expect(dhcp.serverId).toBe(0xc0000201);
    expect(dhcp.maxSize).toBe(1500);
    expect(dhcp.chaddr).toBe(MAC);
    expect(option(out, len, 61)).toBe("01001b54c2a710");
    expect(option(out, len, 12)).toBe("534550303031423534433241373130"); // "SEP001B54C2A710"
    // Cisco 79xx order: 1, 66, 6, 3, 15, 150, 35 (FingerBank [os 300])
    expect(option(out, len, 55)).toBe("014206030f9623");
    // "Cisco Systems, Inc. IP Phone CP-7960"
    expect(option(out, len, 60)).toBe("436973636f2053797374656d732c20496e632e2049502050686f6e652043502d37393630");
  });

  it("pads a short message to the 300-byte BOOTP minimum", () => {
    dhcp.msgType = MsgType.Decline;
    dhcp.full = false;
    expect(dhcp.emit(out)).toBe(300);
    expect(option(out, 300, 55)).toBe("");
    expect(option(out, 300, 50)).toBe("c0000232");
  });
});

describe("DHCP client", () => {
  beforeAll(resetFirmware);
  it("sends DISCOVER with options 53, 55, 57, 60, 61 and 12", () => {
    setMac(MAC);
    setDeviceName(MAC);
    dhcpStart(0);
    expect(dhcpPoll(0)).toBeGreaterThanOrEqual(3000); // first retransmission 4 s +- 1 s
    expect(dhcpState).toBe(DhcpState.Selecting);
    const p = txBuf + BOOTP;
    expect(option(p, 400, 53)).toBe("01");
    expect(option(p, 400, 55)).toBe("014206030f9623");
    expect(option(p, 400, 57)).toBe("05dc");
    expect(option(p, 400, 61)).toBe("01001b54c2a710");
    expect(option(p, 400, 50)).toBe("");
    expect(toHex(txBuf, 6)).toBe("ffffffffffff");
  });

  it("waits 1 to 10 s before the first DISCOVER after start-up (RFC 2131 4.4.1), no lease kept", () => {
    for (let i = 0; i < 8; i++) {
      dhcpBoot(100_000);
      const first = dhcpPoll(100_000);
      expect(dhcpState).toBe(DhcpState.Init);
      expect(first).toBeGreaterThanOrEqual(100_000 + DHCP_INITIAL_DELAY_MIN);
      expect(first).toBeLessThanOrEqual(100_000 + DHCP_INITIAL_DELAY_MAX);
      dhcpPoll(first);
      expect(dhcpState).toBe(DhcpState.Selecting);
    }
    dhcpStart(0);
    dhcpPoll(0);
  });

  it("retransmits DISCOVER with a growing, randomised timeout", () => {
    const first = dhcpPoll(0);
    const second = dhcpPoll(first);
    expect(second - first).toBeGreaterThanOrEqual(7000);
    expect(second - first).toBeLessThanOrEqual(9000);
  });

  it("answers an OFFER with a REQUEST for that address to that server", () => {
    const before = counterValue(Ctr.Accepted);
    onFrame(reply(DHCP_OFFER, MsgType.Offer), 10_000);
    expect(counterValue(Ctr.Accepted)).toBe(before + 1);
    expect(dhcpState).toBe(DhcpState.Requesting);
    const p = txBuf + BOOTP;
    expect(option(p, 400, 53)).toBe("03");
    expect(option(p, 400, 50)).toBe("c0000232");
    expect(option(p, 400, 54)).toBe("c0000201");
  });

  it("ignores a reply with another transaction id", () => {
    const n = reply(DHCP_OFFER, MsgType.Ack);
    store<u32>(rxBuf + BOOTP + 4, 0x01020304);
    const before = counterValue(Ctr.DropDhcpNotForUs);
    onFrame(n, 10_001);
    expect(counterValue(Ctr.DropDhcpNotForUs)).toBe(before + 1);
    expect(dhcpState).toBe(DhcpState.Requesting);
  });

  it("probes the ACKed address with ARP before binding", () => {
    onFrame(reply(DHCP_OFFER, MsgType.Ack), 10_010);
    expect(dhcpState).toBe(DhcpState.Checking);
    expect(myIp).toBe(0);
    runUntil(10_100, 20_000);
    expect(dhcpState).toBe(DhcpState.Bound);
    expect(myIp).toBe(0xc0000232);
    expect(leaseIp).toBe(0xc0000232);
    expect(dnsCount).toBe(2);
    expect(tftpCount).toBe(2);
    expect(tftpNameLen).toBe(18);
    expect(domainLen).toBe(13);
  });

  it("renews at T1, rebinds at T2 and gives the address up when the lease expires", () => {
    // Lease 3600 s from the REQUEST at t=10 s: T1 at 1810 s, T2 at 3160 s, expiry 3610 s.
    expect(dhcpPoll(1_809_000)).toBe(1_810_000);
    dhcpPoll(1_810_000);
    expect(dhcpState).toBe(DhcpState.Renewing);
    dhcpPoll(3_160_000);
    expect(dhcpState).toBe(DhcpState.Rebinding);
    expect(get32(txBuf + BOOTP + 12)).toBe(0xc0000232); // ciaddr
    expect(toHex(txBuf, 6)).toBe("ffffffffffff");
    runUntil(3_160_100, 3_610_000);
    expect(dhcpState).toBe(DhcpState.Init);
    expect(myIp).toBe(0);
  });

  it("goes back to INIT on a NAK", () => {
    dhcpStart(4_000_000);
    dhcpPoll(4_000_000);
    onFrame(reply(DHCP_OFFER, MsgType.Offer), 4_000_100);
    expect(dhcpState).toBe(DhcpState.Requesting);
    onFrame(reply(DHCP_OFFER, MsgType.Nak), 4_000_200);
    expect(dhcpState).toBe(DhcpState.Init);
  });
});
