import { fromHex, toHex } from "./hex";
import { ARP_REQUEST, ETH, ICMP_ECHO } from "./fixtures";
import { acdAnnounce } from "../net/acd";
import { arpLookup, arpRequest, arpFlush } from "../net/arp";
import { acdPoll } from "../net/acd";
import { configure, myIp, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame } from "../net/stack";
import { checksum, get16, get32, getMac, putMac, put16 } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { DhcpState, dhcpPoll, dhcpState } from "../client/dhcp";
import { resetFirmware } from "./reset";

const PHONE_MAC: u64 = 0x001b54c2a710;
const SERVER_MAC: u64 = 0x02005e000201;

describe("ARP on the stack", () => {
  beforeAll(resetFirmware);
  it("answers a request for its address and learns the asker", () => {
    setMac(SERVER_MAC);
    configure(0xc0000201, 0xffffff00, 0);
    arpFlush();
    const before = counterValue(Ctr.TxFrames);
    onFrame(fromHex(ARP_REQUEST, rxBuf), 1000);
    expect(counterValue(Ctr.TxFrames)).toBe(before + 1);
    expect(getMac(txBuf)).toBe(PHONE_MAC); // unicast back to the asker
    expect(get16(txBuf + 12)).toBe(0x0806);
    expect(get16(txBuf + ETH + 6)).toBe(2); // reply
    expect(getMac(txBuf + ETH + 8)).toBe(SERVER_MAC);
    expect(get32(txBuf + ETH + 14)).toBe(0xc0000201);
    expect(get32(txBuf + ETH + 24)).toBe(0xc0000232);
    expect(arpLookup(0xc0000232, 1000)).toBe(PHONE_MAC);
  });

  it("forgets an entry after 300 s", () => {
    expect(arpLookup(0xc0000232, 300_999)).toBe(PHONE_MAC);
    expect(arpLookup(0xc0000232, 301_000)).toBe(0);
  });

  it("does not answer, nor learn from, a request for another address", () => {
    configure(0xc0000202, 0xffffff00, 0);
    const before = counterValue(Ctr.DropArpNotForUs);
    onFrame(fromHex(ARP_REQUEST, rxBuf), 400_000);
    expect(counterValue(Ctr.DropArpNotForUs)).toBe(before + 1);
    expect(arpLookup(0xc0000232, 400_000)).toBe(0);
  });

  it("asks for an unknown address at most once a second", () => {
    const before = counterValue(Ctr.TxFrames);
    arpRequest(0xc0000263, 500_000);
    arpRequest(0xc0000263, 500_500);
    expect(counterValue(Ctr.TxFrames)).toBe(before + 1);
    arpRequest(0xc0000263, 501_000);
    expect(counterValue(Ctr.TxFrames)).toBe(before + 2);
    expect(getMac(txBuf)).toBe(0xffff_ffff_ffff);
  });

  it("defends its address once, then gives it up when challenged again within 10 s", () => {
    // The phone holds 192.0.2.50; the scapy request claims that address from another MAC.
    setMac(0x02005e000299);
    configure(0xc0000232, 0xffffff00, 0);
    acdAnnounce(0xc0000232, 600_000);
    acdPoll(600_000);
    acdPoll(602_000);
    const conflicts = counterValue(Ctr.ArpConflicts);
    onFrame(fromHex(ARP_REQUEST, rxBuf), 603_000);
    expect(counterValue(Ctr.ArpConflicts)).toBe(conflicts + 1);
    expect(myIp).toBe(0xc0000232); // defended: an announcement went out
    expect(get32(txBuf + ETH + 14)).toBe(0xc0000232);
    expect(get32(txBuf + ETH + 24)).toBe(0xc0000232);
    onFrame(fromHex(ARP_REQUEST, rxBuf), 605_000);
    expect(counterValue(Ctr.ArpConflicts)).toBe(conflicts + 2);
    dhcpPoll(605_000); // DHCP takes ACD's verdict at its next poll
    expect(myIp).toBe(0); // given up
    expect(dhcpState).toBe(DhcpState.Init);
  });
});

describe("ICMP echo on the stack", () => {
  beforeAll(resetFirmware);
  it("answers a ping to its address with the same identifier, sequence and payload", () => {
    setMac(PHONE_MAC);
    configure(0xc0000232, 0xffffff00, 0);
    putMac(rxBuf, PHONE_MAC);
    putMac(rxBuf + 6, SERVER_MAC);
    put16(rxBuf + 12, 0x0800);
    const n = ETH + fromHex(ICMP_ECHO, rxBuf + ETH);
    onFrame(n, 700_000);
    expect(getMac(txBuf)).toBe(SERVER_MAC);
    const ip = txBuf + ETH;
    expect(checksum(ip, 20)).toBe(0);
    expect(get32(ip + 12)).toBe(0xc0000232);
    expect(get32(ip + 16)).toBe(0xc0000201);
    const icmpLen = n - ETH - 20;
    expect(checksum(ip + 20, icmpLen)).toBe(0);
    expect(load<u8>(ip + 20)).toBe(0); // echo reply
    expect(toHex(ip + 24, icmpLen - 4)).toBe(toHex(rxBuf + ETH + 24, icmpLen - 4));
  });

  it("stays silent to a ping sent to the broadcast address", () => {
    const n = ETH + fromHex(ICMP_ECHO, rxBuf + ETH);
    store<u32>(rxBuf + ETH + 16, 0xffffffff);
    store<u16>(rxBuf + ETH + 10, 0);
    put16(rxBuf + ETH + 10, checksum(rxBuf + ETH, 20));
    putMac(rxBuf, 0xffff_ffff_ffff);
    const before = counterValue(Ctr.TxFrames);
    onFrame(n, 700_100);
    expect(counterValue(Ctr.TxFrames)).toBe(before);
  });
});
